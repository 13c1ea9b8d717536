"""REST resource ``good_behaviour``: 诚信登记 / 企业良好行为申报.

* ``GET /api/v1/good_behaviour/`` and ``/<pk>``: the declarations in the caller's data scope (an
  enterprise its own, government its region), with the payload and the publicity window.
* ``GET /api/v1/good_behaviour/mine``: the caller's enterprise's declarations.
* ``POST /api/v1/good_behaviour/declare``: 保存并提交, multipart: the fields as form values and the
  evidence as ``files`` (at least one); 422 with the Chinese reason when refused.
* ``POST /api/v1/good_behaviour/<pk>/submit``: the applicant resubmits a returned declaration
  (重新提交, optional ``data`` with the changed fields) — or ``/<pk>/terminate``.
* ``POST /api/v1/good_behaviour/<pk>/transition``: 受理 / 审核通过 / 退回 / 不予通过 (reviewers).
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.property.honour import services


def _body():
    """JSON object, or the form fields of a multipart request."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError(_("The request body must be a JSON object."))
        return data
    return {k: v for k, v in request.form.items()}


class GoodBehaviourApi(AnjuModelRestApi):
    resource_name = "good_behaviour"
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.GOOD_BEHAVIOUR]]
    base_permissions = ["can_get", "can_info", "can_file", "can_transition"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "mine": "get",
                              "declare": "file", "submit": "file", "terminate": "file",
                              "transition": "transition"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "subject_id",
                                   "reason", "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")
    extra_response_properties = {
        "status_label": {"type": "string", "description": "the state in Chinese"},
        "publicity": {"type": "object", "description": "once accepted: id, state, state_label, starts_at, "
                                                       "ends_at and the number of objections"},
    }

    def _mask(self, row):
        super()._mask(row)
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))
        if row and row.get("id"):
            item = db.session.get(workflow.Application, row["id"])
            publicity = services.publicity_of(item) if item is not None else None
            if publicity is not None:
                row["publicity"] = {"id": publicity.id, "state": publicity.state,
                                    "state_label": services.publicity_state_label(publicity),
                                    "starts_at": publicity.starts_at.isoformat(timespec="seconds"),
                                    "ends_at": publicity.ends_at.isoformat(timespec="seconds"),
                                    "objections": services.objection_count(publicity)}

    @staticmethod
    def _result(item):
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label}

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    @expose("/mine", methods=["GET"])
    @protect()
    @safe
    def mine(self):
        """The caller's enterprise's declarations.
        ---
        get:
          summary: 我的良好行为申报 (newest first, at most 200)
          responses:
            200: {description: "{result: [{id, number, title, status, status_label}]}"}
        """
        user = current_user_obj()
        org_id = getattr(user, "org_id", None)
        rows = [r for r in services.declarations(user) if org_id and r.org_id == org_id]
        return self.response(200, result=[{**self._result(r), "title": r.title,
                                           "submitted_at": r.submitted_at.isoformat(timespec="seconds")
                                           if r.submitted_at else None} for r in rows])

    @expose("/declare", methods=["POST"])
    @protect()
    @safe
    def declare(self):
        """Declare a good behaviour (保存并提交).
        ---
        post:
          summary: 良好行为申报 by a property company's administrator; at least one evidence file
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [area_id, category, title, happened_on, description, files]
                  properties:
                    area_id: {type: integer, description: "an area the company serves"}
                    category: {type: string, description: "dictionary good_behaviour_category"}
                    title: {type: string}
                    happened_on: {type: string, format: date, description: "not later than today"}
                    description: {type: string}
                    files: {type: array, items: {type: string, format: binary}}
          responses:
            201: {description: submitted; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            files = [f for f in request.files.getlist("files") if f and f.filename]
            return self._result(services.declare(current_user_obj(), _body(), files))
        return self._run(run, 201)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Resubmit a returned declaration (重新提交, the applicant).
        ---
        post:
          summary: the applicant resubmits a returned declaration, with changed fields or as filed
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            body = _body()
            data = body.get("data") if isinstance(body.get("data"), dict) else None
            data = data or services.form_values(item.payload)
            files = [f for f in request.files.getlist("files") if f and f.filename]
            return self._result(services.amend(item, current_user_obj(), data, files))
        return self._run(run)

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """Terminate a returned declaration (终止, the applicant).
        ---
        post:
          summary: the applicant ends a returned declaration
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()
        return self._run(lambda: self._result(services.transition_declaration(
            item, workflow.Action.TERMINATE, current_user_obj())))

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Decide on a declaration (reviewers).
        ---
        post:
          summary: accept (publicity starts), approve (refused during publicity), return or reject
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    action: {type: string, enum: [accept, approve, return, reject]}
                    reason: {type: string}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            body = _body()
            action = body.get("action", "")
            if action not in workflow.Action.DECIDER:
                raise DomainError(_("Unknown operation: %(action)s", action=action))
            return self._result(services.transition_declaration(item, action, current_user_obj(),
                                                                body.get("reason")))
        return self._run(run)


def register(appbuilder):
    appbuilder.add_api(GoodBehaviourApi)
