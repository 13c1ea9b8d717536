"""REST resource ``complaint``: the scoped, masked list and detail; the state transitions as
one action endpoint; submission and "my requests" for signed-in public users. The same
services and rules as the pages (app/complaints/services.py)."""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import select
from sqlalchemy.orm import Load, defaultload

from app.accounts.api import _ip, _json
from app.complaints import services
from app.complaints.models import Complaint
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db

FIELDS = ["id", "number", "kind", "subject_number", "area_id", "area.name", "org_id", "org.name", "district_code",
          "street_code",
          "name", "mobile", "id_number", "address", "content", "status", "stage", "submitted_at",
          "due_at", "accepted_at", "handled_at", "result", "refused", "closed_at", "auto_closed",
          "satisfaction", "evaluation", "escalated_at"]


def _out(item):
    return {"id": item.id, "number": item.number, "kind": item.kind, "status": item.status,
            "status_label": services.status_label(item.status), "stage": item.stage,
            "remaining": services.remaining(item)}


class _ComplaintInterface(ScopedInterface):
    """FAB joins a dotted column's relation (``area.name``) itself, as an outer join, and then
    the area's own eager relations (its district: an inner join) are appended as plain joins,
    which would drop every complaint without an area (a rental complaint). The joined
    relations' own relations are loaded lazily instead: only their named columns are read."""

    def apply_inner_select_joins(self, query, select_columns=None, aliases_mapping=None):
        aliases_mapping = {} if aliases_mapping is None else aliases_mapping
        query = super().apply_inner_select_joins(query, select_columns, aliases_mapping)
        for root, alias in aliases_mapping.items():
            relation = getattr(self.obj, root, None)
            if relation is not None and self.is_relation_many_to_one(root):
                # The alias is also a root entity of FAB's query: both paths.
                query = query.options(defaultload(relation.of_type(alias)).lazyload("*"), Load(alias).lazyload("*"))
        return query


class ComplaintApi(AnjuModelRestApi):
    resource_name = "complaint"
    datamodel = _ComplaintInterface(Complaint)
    base_permissions = ["can_get", "can_info", "can_transition", "can_submit", "can_mine"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "transition": "transition",
                              "submit": "submit", "mine": "mine"}
    list_columns = show_columns = FIELDS
    search_columns = ["number", "kind", "status", "stage", "area_id", "org_id", "district_code", "street_code",
                      "submitted_at", "due_at"]
    order_columns = ["id", "submitted_at", "due_at"]
    base_order = ("submitted_at", "desc")
    mask_columns = {"name": "name", "mobile": "mobile", "id_number": "id_number"}

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move a request.
        ---
        post:
          summary: accept, complete or refuse (the area's project lead); further, supplement or guide (street, district)
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
                    action: {type: string, enum: [accept, complete, refuse, further, supplement, guide, revoke, evaluate]}
                    note: {type: string}
                    satisfaction: {type: integer, minimum: 1, maximum: 5}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            d = _json()
            services.act(item, str(d.get("action", "")), current_user_obj(), d.get("note"), d.get("satisfaction"))
            return _out(item)
        return self._run(run)

    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self):
        """Submit a request (signed-in public users; multipart when files are attached).
        ---
        post:
          summary: Submit a request or suggestion for an area (by its public code)
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    area: {type: string, description: the area's public code (码上办)}
                    name: {type: string}
                    id_number: {type: string}
                    mobile: {type: string}
                    sms_code: {type: string, description: needed unless the mobile is the account's own}
                    address: {type: string}
                    content: {type: string}
                    files: {type: array, items: {type: string, format: binary}}
              application/json:
                schema: {type: object}
          responses:
            201: {description: submitted; the number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            data = request.get_json(silent=True) if request.is_json else dict(request.form.items())
            if not isinstance(data, dict):
                data = _json()
            area = services.area_by_code(str(data.get("area", "")))
            files = [f for f in request.files.getlist("files") if f and f.filename]
            item = services.submit(area, data, files, user=current_user_obj(), ip=_ip())
            return _out(item)
        return self._run(run, 201)

    @expose("/mine", methods=["GET"])
    @protect()
    @safe
    def mine(self):
        """The signed-in user's own requests.
        ---
        get:
          summary: My requests, newest first
          responses:
            200: {description: the list}
        """
        user = current_user_obj()
        rows = db.session.execute(select(Complaint).where(Complaint.complainant_id == user.id)
                                  .order_by(Complaint.submitted_at.desc()).limit(200)).scalars().all()
        return self.response(200, result=[{**_out(c), "area": c.area.name if c.area else None,
                                           "enterprise": c.org.name if c.org else None, "content": c.content,
                                           "submitted_at": c.submitted_at.isoformat(), "result": c.result}
                                          for c in rows])


def register(appbuilder):
    appbuilder.add_api(ComplaintApi)
