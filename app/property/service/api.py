"""REST resources of 物业服务 (scope and masking as the pages):

* ``repair``: ``GET /api/v1/repair/`` and ``/<pk>`` (the caller's scope, reporter masked);
  ``POST /api/v1/repair/<pk>/<action>`` with action assign (``staff``), handle (``note``),
  complete (``note``: the result), close or reject (``note``: the reason) - the area's company.
* ``survey``: ``GET /api/v1/survey/`` and ``/<pk>``; ``GET /api/v1/survey/<pk>/results``.
* ``evaluation``: ``GET /api/v1/evaluation/`` and ``/<pk>``; ``POST /api/v1/evaluation/submit``
  (district and street staff; ``area``, ``checked_on``, ``scores`` [numbers in checklist order],
  ``reasons``, ``requirements``).
422 with the Chinese reason on a refused write.
"""
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object
from app.property.service import evaluations, repairs, surveys
from app.property.service.models import Evaluation, Repair, Survey


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


class _Api(AnjuModelRestApi):
    """The 物业服务 resources: writes go through the services (``_run``: 422 with the reason)."""


class RepairApi(_Api):
    resource_name = "repair"
    datamodel = ScopedInterface(Repair)
    base_permissions = ["can_get", "can_info", "can_act"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "act": "act"}
    list_columns = show_columns = ["id", "number", "area_id", "area.name", "org_id", "location", "equipment_id",
                                   "name", "mobile", "content", "status", "assignee_id", "note", "result", "reason",
                                   "satisfaction", "evaluation", "submitted_at", "assigned_at", "completed_at",
                                   "closed_at"]
    search_columns = ["number", "status", "area_id", "submitted_at"]
    order_columns = ["id", "submitted_at"]
    base_order = ("submitted_at", "desc")
    mask_columns = {"name": "name", "mobile": "mobile"}

    @expose("/<int:pk>/<action>", methods=["POST"])
    @protect()
    @safe
    def act(self, pk, action):
        """Handle a repair.
        ---
        post:
          summary: assign, handle, complete, close or reject a repair (the area's property company)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          - in: path
            name: action
            schema: {type: string, enum: [assign, handle, complete, close, reject]}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    staff: {type: integer, description: "assign: a staff member in service in the area"}
                    note: {type: string, description: "handle: the note; complete: the result; close/reject: the reason"}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None or action not in repairs.Action.ALL:
            return self.response_404()

        def run():
            body = _json()
            repairs.act(item, action, current_user_obj(), body.get("note"), body.get("staff"))
            return {"id": item.id, "number": item.number, "status": item.status,
                    "status_label": repairs.status_label(item.status)}
        return self._run(run)


class SurveyApi(_Api):
    resource_name = "survey"
    datamodel = ScopedInterface(Survey)
    base_permissions = ["can_get", "can_info"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "results": "get"}
    list_columns = show_columns = ["id", "title", "description", "start_date", "end_date", "status", "org_id",
                                   "created_at", "published_at", "closed_at"]
    search_columns = ["title", "status", "start_date"]
    order_columns = ["id", "created_at"]
    base_order = ("created_at", "desc")

    @expose("/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    def results(self, pk):
        """A survey's results.
        ---
        get:
          summary: answers and average per item, by area and by company
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: "{total, areas: [...], companies: [...]}"}
            404: {description: not found or outside your scope}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        found = surveys.results(item)

        def rows(rows, key):
            return [{key: r.key, "name": r.name, "count": r.count, "average": _num(r.average),
                     "items": {k: _num(v) for k, v in r.averages.items()}} for r in rows]
        return self.response(200, id=item.id, status=item.status, total=found["total"],
                             areas=rows(found["areas"], "area_id"), companies=rows(found["companies"], "org_id"))


def _num(value):
    return None if value is None else float(value)


class EvaluationApi(_Api):
    resource_name = "evaluation"
    datamodel = ScopedInterface(Evaluation)
    base_permissions = ["can_get", "can_info", "can_submit"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "submit": "submit"}
    list_columns = show_columns = ["id", "number", "area_id", "area.name", "org_id", "org.name", "checked_on",
                                   "items", "total", "max_total", "requirements", "submitted_at"]
    search_columns = ["number", "area_id", "org_id", "checked_on"]
    order_columns = ["id", "checked_on", "submitted_at"]
    base_order = ("submitted_at", "desc")

    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self):
        """Submit an inspection evaluation.
        ---
        post:
          summary: 检查考评 of an area's company by district or street staff (read-only once submitted)
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [area, checked_on, scores]
                  properties:
                    area: {type: integer}
                    checked_on: {type: string, format: date}
                    scores: {type: array, items: {type: number}, description: "in checklist order"}
                    reasons: {type: array, items: {type: string}, description: "required where a score is below full"}
                    requirements: {type: string}
          responses:
            201: {description: submitted; number and total returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            body = _json()
            data = {"area": body.get("area"), "checked_on": body.get("checked_on"),
                    "requirements": body.get("requirements")}
            scores = body.get("scores") or []
            reasons = body.get("reasons") or []
            if not isinstance(scores, list) or not isinstance(reasons, list):
                raise DomainError(_("The request body must be a JSON object."))
            for i, score in enumerate(scores):
                data[f"score_{i}"] = score
            for i, reason in enumerate(reasons):
                data[f"reason_{i}"] = reason
            evaluation = evaluations.submit(current_user_obj(), data)
            return {"id": evaluation.id, "number": evaluation.number, "total": float(evaluation.total),
                    "max_total": float(evaluation.max_total)}
        return self._run(run, 201)


def register(appbuilder):
    appbuilder.add_api(RepairApi)
    appbuilder.add_api(SurveyApi)
    appbuilder.add_api(EvaluationApi)
