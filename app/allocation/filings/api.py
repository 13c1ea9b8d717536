"""REST resource ``allocation_applicant`` (issue 15): the public flow for the signed-in
applicant, on their own data only, with the services of the pages (filings.services,
registrations.services). Real-name is checked by the services (去实名: 422 with the reason).

* ``GET  /filing/<plan_id>``              信息填报 as it stands: this plan's filing, else a copy
                                           of the latest one (seed 002 注), else the verified identity;
* ``PUT  /filing/<plan_id>``              save it: JSON fields, ``members`` (replaced) and new
                                           证件证明 in ``documents`` as base64 ({"name", "content"}):
                                           one request saves a complete filing (the service wants at
                                           least one file; a first filing copies the previous one's);
* ``POST /filing/<plan_id>/documents``    add files to a saved filing (multipart, field ``documents``);
* ``DELETE /filing/<plan_id>/documents/<token>``  take one off;
* ``POST /register/<plan_id>``            立即登记 ``{"project_id"}``: 201 with the number and the
                                           status; a registration refused by the screening is kept
                                           (201, status ``refused`` with its ``reasons``, no number)
                                           so that a human review can be asked for;
* ``GET  /records``, ``GET /records/<id>``  配租记录 (with the history: 目前进度);
* ``POST /records/<id>/cancel``           取消登记 (before the window closes);
* ``POST /records/<id>/appeal``           ``{"text"}``: 申请人工复核 of an automatic refusal.

Another applicant's record, a plan not public (a draft) or an unknown id: 404.
"""
from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _

from app.allocation import labels, schemas
from app.allocation.filings import services as filings
from app.allocation.plans import services as plans
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import Registration
from app.allocation.schemas import Answers, BadRequest, NotFound, body, documented, load, stamp
from app.core import uploads
from app.core.errors import DomainError
from app.core.schemas import fits_key
from app.core.scope import current_user_obj
from app.extensions import db

REVEALED = ("drawn", "results", "finished")


def plan_brief(plan):
    return {"id": plan.id, "code": plan.code, "title": plan.title, "status": plan.status,
            "status_label": plan.status_label, "reg_start": stamp(plan.reg_start), "reg_end": stamp(plan.reg_end),
            "window": plans.window_state(plan)}


def document_out(upload):
    return {"token": upload.token, "name": upload.original_name, "size": upload.size,
            "url": uploads.url_for_upload(upload)}


def filing_out(user, plan):
    """The filing form's values (the applicant's own, in full) and its files."""
    values, source = filings.prefill(user, plan)
    owner = filings.filing_of(user, plan)
    if owner is None and source == "previous":
        owner = filings.latest_filing(user, exclude_plan_id=plan.id)
    documents = uploads.files_of(owner, filings.DOCUMENT_LABEL) if owner is not None else []
    return {"plan": plan_brief(plan), "source": source, "locked": filings.locked(user, plan),
            "values": values, "documents": [document_out(u) for u in documents]}


def event_out(event):
    return {"action": event.action, "action_label": labels.label(labels.REG_ACTION_LABELS, event.action),
            "status": event.status, "status_label": labels.label(labels.REG_STATUS_LABELS, event.status),
            "reason": event.reason, "at": stamp(event.at)}


def record_out(reg, detail=False):
    """配租记录: one registration as its applicant reads it (their own values, in full)."""
    drawn = reg.plan.status in REVEALED
    out = {"id": reg.id, "number": reg.number, "plan_id": reg.plan_id, "plan_title": reg.plan.title,
           "plan_status": reg.plan.status, "project_id": reg.project_id,
           "project_name": reg.project.name if reg.project is not None else None, "status": reg.status,
           "status_label": reg.status_label, "progress": registrations.progress_text(reg),
           "reasons": list(reg.reasons or []), "review_reason": reg.review_reason, "appeal_text": reg.appeal_text,
           "appeal_reason": reg.appeal_reason, "group_code": reg.group_code,
           "registered_at": stamp(reg.registered_at), "cancelled_at": stamp(reg.cancelled_at),
           "draw_rank": reg.draw_rank if drawn else None, "draw_order": reg.draw_order if drawn else None,
           "draw_result": reg.draw_result if drawn else None,
           "draw_result_label": reg.draw_result_label if drawn and reg.draw_result else None,
           "created_on": stamp(reg.created_on),
           "may_cancel": registrations.may_cancel(reg), "may_request_review": registrations.may_request_review(reg)}
    if detail:
        out["snapshot"] = reg.snapshot if isinstance(reg.snapshot, dict) else None
        out["history"] = [event_out(e) for e in reg.events]
    return out


def _plan(plan_id):
    """A plan the public may see (published or later), else 404."""
    if not fits_key(plan_id):
        raise NotFound()
    plan = plans.public_plan(int(plan_id))
    if plan is None:
        raise NotFound()
    return plan


def _own(reg_id):
    """The caller's own registration, else 404 (another applicant's is not theirs to see)."""
    user = current_user_obj()
    reg = db.session.get(Registration, int(reg_id)) if fits_key(reg_id) else None
    if reg is None or user is None or reg.user_id != user.id:
        raise NotFound()
    return reg


class AllocationApplicantApi(Answers, BaseApi):
    resource_name = "allocation_applicant"
    allow_browser_login = False
    openapi_spec_tag = "Allocation applicant"
    openapi_spec_component_schemas = schemas.COMPONENTS
    base_permissions = ["can_get", "can_put", "can_register", "can_cancel", "can_records", "can_appeal"]
    method_permission_name = {"filing": "get", "save_filing": "put", "add_documents": "put",
                              "remove_document": "put", "register": "register", "records": "records",
                              "record": "records", "cancel": "cancel", "appeal": "appeal"}

    @expose("/filing/<int:plan_id>", methods=["GET"])
    @protect()
    @safe
    @documented
    def filing(self, plan_id):
        """信息填报 as it stands.
        ---
        get:
          summary: the caller's filing for a plan (own values in full), prefilled from the latest filing or the
            verified identity when there is none yet; real-name users only
          parameters:
          - {in: path, name: plan_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the filing form's values and files
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationFilingOut'}
        """
        return self._answer(lambda: filing_out(current_user_obj(), _plan(plan_id)))

    @expose("/filing/<int:plan_id>", methods=["PUT"])
    @protect()
    @safe
    @documented
    def save_filing(self, plan_id):
        """Save 信息填报.
        ---
        put:
          summary: save the caller's filing for a plan - the fields, the family members (replacing those stored)
            and new 证件证明 files as base64 (added to the filing's files; a filing needs at least one, and a
            first filing copies the files of the previous one). Refused while the caller holds an active
            registration of the plan (cancel it first), after the window, and for users without real-name.
          parameters:
          - {in: path, name: plan_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationFilingIn'}
                example: {mobile: "13612345678", address: "重庆市江北区建新北路1号", marital_status: single,
                          hukou_type: local, hukou_district: "500105", employer: "重庆某某有限公司",
                          social_security_months: 36, annual_income: "60000", housing_status: none,
                          current_residence: "租住", members: [],
                          documents: [{name: "身份证.png", content: "iVBORw0KGgo..."}]}
          responses:
            200:
              description: the filing as saved
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationFilingOut'}
        """
        def run():
            plan = _plan(plan_id)
            data = load(schemas.AllocationFilingIn, body())
            files = [(d["name"], d["content"]) for d in data.pop("documents")]
            members = data.pop("members")
            user = current_user_obj()
            filings.save(user, plan, data, members, files=files)
            return filing_out(user, plan)
        return self._answer(run)

    @expose("/filing/<int:plan_id>/documents", methods=["POST"])
    @protect()
    @safe
    @documented
    def add_documents(self, plan_id):
        """Add 证件证明 files to a saved filing.
        ---
        post:
          summary: upload PDF, JPG or PNG files (multipart field documents, at most 10) to the caller's saved
            filing; the same rules as saving the filing apply
          parameters:
          - {in: path, name: plan_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [documents]
                  properties:
                    documents: {type: array, items: {type: string, format: binary}}
          responses:
            200:
              description: the filing with its files
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationFilingOut'}
        """
        def run():
            plan = _plan(plan_id)
            files = [f for f in request.files.getlist("documents") if f and f.filename]
            if not files:
                raise BadRequest(_("%(field)s: %(message)s", field=_("ID and certificate documents"),
                                   message=_("This field is required.")))
            user = current_user_obj()
            filing = filings.filing_of(user, plan)
            if filing is None:
                raise DomainError(_("There is no filing to change."))
            values = filings.as_dict(filing)
            members = values.pop("members")
            filings.save(user, plan, values, members, files=files)
            return filing_out(user, plan)
        return self._answer(run)

    @expose("/filing/<int:plan_id>/documents/<token>", methods=["DELETE"])
    @protect()
    @safe
    @documented
    def remove_document(self, plan_id, token):
        """Take a file off the filing.
        ---
        delete:
          summary: remove one 证件证明 file (by its token) from the caller's filing while it may still change
          parameters:
          - {in: path, name: plan_id, required: true, schema: {type: integer}}
          - {in: path, name: token, required: true, schema: {type: string}}
          responses:
            200:
              description: the filing with its remaining files
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationFilingOut'}
        """
        def run():
            plan = _plan(plan_id)
            user = current_user_obj()
            filing = filings.filing_of(user, plan)
            if filing is None or token not in {u.token for u in uploads.files_of(filing, filings.DOCUMENT_LABEL)}:
                raise NotFound()
            filings.remove_file(user, plan, token)
            return filing_out(user, plan)
        return self._answer(run)

    @expose("/register/<int:plan_id>", methods=["POST"])
    @protect()
    @safe
    @documented
    def register(self, plan_id):
        """立即登记.
        ---
        post:
          summary: register for a plan inside its window with the saved filing, screened against the plan's rules.
            Eligible - 201, status pending with a 登记编号 (an SMS receipt is sent). Not eligible - ALSO 201, status
            refused with the reasons and no number (the record is kept so that a human review can be asked for,
            POST /records/{reg_id}/appeal). Outside the window, without a filing, twice, or without real-name - 422.
          parameters:
          - {in: path, name: plan_id, required: true, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationRegisterIn'}
                example: {project_id: 12}
          responses:
            201:
              description: the registration (pending with its number, or refused with its reasons)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationRecord'}
        """
        def run():
            plan = _plan(plan_id)
            data = load(schemas.AllocationRegisterIn, body())
            reg = registrations.register(current_user_obj(), plan.id, data.get("project_id"))
            return record_out(reg)
        return self._answer(run, 201)

    @expose("/records", methods=["GET"])
    @protect()
    @safe
    @documented
    def records(self):
        """配租记录.
        ---
        get:
          summary: the caller's registrations, newest first, with 目前进度, the reasons when not passed and the
            result of the draw
          responses:
            200:
              description: the records
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count: {type: integer}
                      result: {type: array, items: {$ref: '#/components/schemas/AllocationRecord'}}
        """
        def run():
            rows = registrations.records_of(current_user_obj())
            return {"count": len(rows), "result": [record_out(r) for r in rows]}
        return self._answer(run)

    @expose("/records/<int:reg_id>", methods=["GET"])
    @protect()
    @safe
    @documented
    def record(self, reg_id):
        """One 配租记录 with its history.
        ---
        get:
          summary: one of the caller's registrations with the filing as screened and every step (目前进度)
          parameters:
          - {in: path, name: reg_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the record
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationRecordDetail'}
        """
        return self._answer(lambda: record_out(_own(reg_id), detail=True))

    @expose("/records/<int:reg_id>/cancel", methods=["POST"])
    @protect()
    @safe
    @documented
    def cancel(self, reg_id):
        """取消登记.
        ---
        post:
          summary: cancel a registration before the window closes; the filing may then change and the caller
            register again
          parameters:
          - {in: path, name: reg_id, required: true, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {type: object}
          responses:
            200:
              description: the cancelled registration
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationRecord'}
        """
        def run():
            reg = _own(reg_id)
            registrations.cancel(current_user_obj(), reg.id)
            db.session.flush()
            return record_out(reg)
        return self._answer(run)

    @expose("/records/<int:reg_id>/appeal", methods=["POST"])
    @protect()
    @safe
    @documented
    def appeal(self, reg_id):
        """申请人工复核.
        ---
        post:
          summary: ask for a human review of a registration refused by the automatic screening (PIPL §24); staff
            admit it or uphold the refusal
          parameters:
          - {in: path, name: reg_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationAppealIn'}
                example: {text: "收入含一次性拆迁补偿，请人工复核"}
          responses:
            200:
              description: the registration, now waiting for the human review
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AllocationRecord'}
        """
        def run():
            reg = _own(reg_id)
            data = load(schemas.AllocationAppealIn, body())
            registrations.request_review(current_user_obj(), reg.id, data["text"])
            db.session.flush()
            return record_out(reg)
        return self._answer(run)


def register(appbuilder):
    appbuilder.add_api(AllocationApplicantApi)
