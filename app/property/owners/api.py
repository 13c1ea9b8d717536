"""REST resource ``committee_filing``: 业委会备案 (seed 004 业主委员会 2).

* ``GET /api/v1/committee_filing/`` and ``/<pk>``: filings in the caller's scope (a committee
  its own, government its region); members' names, ID numbers and mobiles masked for callers
  without the PII permission.
* ``POST /file``: a committee saves a filing (``submit``: true to submit at once); 201, or 422
  with the Chinese reason (and ``members``: each member's check when one is not an owner).
* ``POST /check-members``: ``{area_id, members: [{name, id_number}]}`` → each member's check
  against the area's house registry (验证有效 or the reason).
* ``POST /<pk>/submit`` (保存并提交 / 重新提交, optionally with changed ``data``), ``/<pk>/terminate``.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import masking, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import can_view_full_pii, ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object
from app.extensions import db
from app.property.owners import services

MEMBER_MASKS = {"name": "name", "id_number": "id_number", "mobile": "mobile"}


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


def mask_payload(payload):
    if not payload or can_view_full_pii():
        return payload
    out = dict(payload)
    if out.get("contact_phone"):
        out["contact_phone"] = masking.mask("mobile", out["contact_phone"])
    out["members"] = [{k: (masking.mask(MEMBER_MASKS[k], v) if k in MEMBER_MASKS and v else v) for k, v in m.items()}
                      for m in out.get("members") or []]
    return out


class CommitteeFilingApi(AnjuModelRestApi):
    resource_name = "committee_filing"
    extra_response_properties = {"status_label": {"type": "string", "description": "the state in Chinese"}}
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.COMMITTEE_FILING]]
    base_permissions = ["can_get", "can_info", "can_file"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "file": "file",
                              "check_members": "file", "submit": "file", "terminate": "file"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "reason",
                                   "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")

    def _mask(self, row):
        # The row's only personal data is in the payload (masked here, once).
        if row and row.get("payload"):
            row["payload"] = mask_payload(row["payload"])
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))

    @staticmethod
    def _result(item):
        overdue, text = services.deadline_state(item)
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label,
                "due_date": (item.payload or {}).get("due_date"), "overdue": overdue, "deadline": text}

    @staticmethod
    def _checks(members, results):
        return [{"name": masking.for_viewer("name", m["name"]), "ok": ok, "message": reason}
                for m, (ok, reason, _rooms) in zip(members, results)]

    def _save(self, body, application=None, submit=False):
        data = body.get("data", body)
        if not isinstance(data, dict):
            raise DomainError(_("The request body must be a JSON object."))
        user = current_user_obj()
        try:
            item, _results = services.save_filing(user, data, submit=submit, application=application)
        except DomainError as exc:
            db.session.rollback()
            extra = {}
            try:
                _area, payload, results = services.clean_filing(user, data)
                extra["members"] = self._checks(payload["members"], results)
            except DomainError:
                db.session.rollback()
            return self.response(422, message=str(exc), **extra)
        return self.response(201 if application is None else 200, **self._result(item))

    @expose("/file", methods=["POST"])
    @protect()
    @safe
    def file(self):
        """File (or save as a draft) the caller committee's filing.
        ---
        post:
          summary: 业委会备案 by an owners committee
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [area_id, election_date, term_start, term_end, office_address, contact_phone,
                             owners_total, total_area, voters, voters_area, agreed, agreed_area, members]
                  properties:
                    submit: {type: boolean, description: "true: 保存并提交; false: a draft"}
                    area_id: {type: integer}
                    election_date: {type: string, format: date}
                    term_start: {type: string, format: date}
                    term_end: {type: string, format: date}
                    office_address: {type: string}
                    contact_phone: {type: string}
                    owners_total: {type: integer}
                    total_area: {type: string}
                    voters: {type: integer}
                    voters_area: {type: string}
                    agreed: {type: integer}
                    agreed_area: {type: string}
                    members:
                      type: array
                      items:
                        type: object
                        properties:
                          name: {type: string}
                          id_number: {type: string}
                          role: {type: string, enum: [director, deputy, member, alternate]}
                          house: {type: string}
                          mobile: {type: string}
          responses:
            201: {description: saved (and submitted)}
            422: {description: refused, with the reason in Chinese}
        """
        try:
            body = _json()
        except DomainError as exc:
            return self.response_422(message=str(exc))
        return self._save(body, submit=bool(body.get("submit")))

    @expose("/check-members", methods=["POST"])
    @protect()
    @safe
    def check_members(self):
        """Check members against the area's house registry.
        ---
        post:
          summary: 验证 each member (owner of the area by name and ID number)
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    area_id: {type: integer}
                    members: {type: array, items: {type: object}}
          responses:
            200: {description: each member's result}
            422: {description: refused, with the reason in Chinese}
        """
        try:
            body = _json()
            user = current_user_obj()
            area = services.committee_area(user, body.get("area_id"))
            out = []
            for raw in body.get("members") or []:
                raw = raw if isinstance(raw, dict) else {}
                ok, message = services.check_one(user, area.id, raw.get("name"), raw.get("id_number"))
                out.append({"name": masking.for_viewer("name", str(raw.get("name") or "")), "ok": ok,
                            "message": str(message)})
        except DomainError as exc:
            return self.response_422(message=str(exc))
        return self.response(200, members=out)

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Submit a draft or resubmit a returned filing (optionally with changed ``data``).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: submitted}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) and isinstance(body.get("data"), dict) else {"data": dict(item.payload or {})}
        return self._save(body, application=item, submit=True)

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """Terminate a draft or returned filing.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: terminated}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()
        try:
            services.transition_filing(item, workflow.Action.TERMINATE, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        return self.response(200, **self._result(item))


def register(appbuilder):
    appbuilder.add_api(CommitteeFilingApi)
