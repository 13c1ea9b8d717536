"""REST resource ``allocation_registration`` (配租登记, staff; issue 15): the registrations of
the plans in the caller's region, their review and the human reviews of refusals, with the
services of the console (app/allocation/registrations/services.py).

* ``GET /api/v1/allocation_registration/`` (filters on ``plan_id``, ``status``, ``group_code``,
  ``number`` ... ) and ``GET /<pk>``: the applicant's name, ID number and mobile masked for a
  caller without the full-value permission (in the filing as screened too, family members
  included), with the history (目前进度) in the detail;
* ``POST /review`` ``{"ids": [...], "approve": true|false, "reason"}``: 审核通过 / 不通过 of
  registrations of one plan, all or nothing;
* ``POST /<pk>/appeal`` ``{"admit": true|false, "reason"}``: decide a human review (人工复核).

A body of the wrong shape answers 400, a broken rule 422 (Chinese), a registration outside
the caller's region 404.
"""
from flask_appbuilder.api import expose, protect, safe

from app.allocation import labels, schemas
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import Registration
from app.allocation.schemas import Answers, NotFound, body, documented, load, stamp
from app.core import masking
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db

LIST = ["id", "number", "plan_id", "project_id", "status", "group_code", "name", "id_number", "mobile",
        "family_size", "reasons", "registered_at", "cancelled_at", "reviewed_at", "review_reason", "appeal_text",
        "appeal_at", "appeal_reason", "appeal_decided_at", "draw_rank", "draw_order", "draw_result", "created_on"]
SHOW = [*LIST, "reviewed_by_fk"]

# The applicant's and the members' personal values in a filing as screened (snapshot); the address
# masked as generic text (app/core/masking.py has no "address" rule).
SNAPSHOT_KINDS = {"name": "name", "id_number": "id_number", "mobile": "mobile", "address": "generic"}
MEMBER_KINDS = {"name": "name", "id_number": "id_number"}


def snapshot_for_viewer(snapshot):
    """The filing as screened, its people as the caller may see them."""
    if not isinstance(snapshot, dict):
        return None
    out = {k: masking.for_viewer(SNAPSHOT_KINDS.get(k), v) if not isinstance(v, (list, dict)) else v
           for k, v in snapshot.items() if k != "members"}
    out["members"] = [{k: masking.for_viewer(MEMBER_KINDS.get(k), v) for k, v in (m or {}).items()}
                      for m in snapshot.get("members") or [] if isinstance(m, dict)]
    return out


def event_out(event, staff=False):
    out = {"action": event.action, "action_label": labels.label(labels.REG_ACTION_LABELS, event.action),
           "status": event.status, "status_label": labels.label(labels.REG_STATUS_LABELS, event.status),
           "reason": event.reason, "at": stamp(event.at)}
    if staff:
        out["actor_id"] = event.actor_id
    return out


def staff_out(reg):
    """One registration as a review answers it (people masked for the caller)."""
    return {"id": reg.id, "number": reg.number, "plan_id": reg.plan_id, "status": reg.status,
            "status_label": reg.status_label, "name": masking.for_viewer("name", reg.name),
            "review_reason": reg.review_reason, "appeal_reason": reg.appeal_reason,
            "reviewed_at": stamp(reg.reviewed_at), "plan_status": reg.plan.status,
            "plan_status_label": reg.plan.status_label}


class AllocationRegistrationApi(Answers, AnjuModelRestApi):
    resource_name = "allocation_registration"
    datamodel = ScopedInterface(Registration)
    openapi_spec_tag = "Allocation registrations"
    openapi_spec_component_schemas = schemas.COMPONENTS
    base_permissions = ["can_get", "can_info", "can_review", "can_appeal"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "review": "review",
                              "appeal": "appeal"}
    include_route_methods = {"get", "get_list", "info", "review", "appeal"}
    list_columns = LIST
    show_columns = SHOW
    search_columns = ["plan_id", "status", "group_code", "number", "project_id", "draw_result", "name",
                      "id_number", "mobile", "registered_at"]
    order_columns = ["id", "number", "registered_at", "reviewed_at", "draw_order"]
    base_order = ("id", "desc")
    mask_columns = {"name": "name", "id_number": "id_number", "mobile": "mobile"}
    extra_response_properties = {
        "status_label": {"type": "string", "description": "目前进度 in Chinese"},
        "draw_result_label": {"type": "string", "description": "中签 / 轮候 (after the draw)"},
        "plan_title": {"type": "string", "description": "the plan's name (detail only)"},
        "project_name": {"type": "string", "nullable": True, "description": "意向项目 (detail only)"},
        "snapshot": {"type": "object", "nullable": True,
                     "description": "the filing as screened (fields of AllocationFilingValues), people masked for "
                                    "the caller (detail only)"},
        "history": {"type": "array", "items": {"$ref": "#/components/schemas/AllocationStaffEvent"},
                    "description": "目前进度: every step, oldest first (detail only)"},
    }

    def _labels(self, row):
        if row.get("status"):
            row["status_label"] = labels.label(labels.REG_STATUS_LABELS, row["status"])
        row["draw_result_label"] = labels.label(labels.DRAW_RESULT_LABELS, row.get("draw_result")) \
            if row.get("draw_result") else ""

    def pre_get(self, data):
        super().pre_get(data)
        row = data.get("result")
        reg = db.session.get(Registration, data.get("id")) if data.get("id") is not None else None
        if row is None or reg is None:
            return
        row["id"] = reg.id
        self._labels(row)
        row["plan_title"] = reg.plan.title
        row["project_name"] = reg.project.name if reg.project is not None else None
        row["snapshot"] = snapshot_for_viewer(reg.snapshot)
        row["history"] = [event_out(e, staff=True) for e in reg.events]

    def pre_get_list(self, data):
        super().pre_get_list(data)
        for row in data.get("result") or []:
            self._labels(row)

    def _reg(self, pk):
        reg = self.datamodel.get(pk, self._base_filters)
        if reg is None:
            raise NotFound()
        return reg

    @expose("/review", methods=["POST"])
    @protect()
    @safe
    @documented
    def review(self):
        """审核 (review) of registrations waiting for it.
        ---
        post:
          summary: 审核通过 (approve true) or 不通过 with the reason (approve false) for registrations of one plan
            whose registration has closed; all or nothing; each applicant is told by SMS
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationReviewIn'}
                example: {ids: [101, 102], approve: false, reason: "收入证明与社保记录不符"}
          responses:
            200:
              description: the registrations decided
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: array, items: {$ref: '#/components/schemas/AllocationReviewed'}}
        """
        def run():
            data = load(schemas.AllocationReviewIn, body())
            ids = list(dict.fromkeys(data["ids"]))
            for reg_id in ids:  # every id inside the caller's scope, else none of them is touched
                self._reg(reg_id)
            regs = registrations.review(current_user_obj(), ids, data["approve"], data.get("reason"))
            db.session.flush()
            return {"result": [staff_out(r) for r in regs]}
        return self._answer(run)

    @expose("/<int:pk>/appeal", methods=["POST"])
    @protect()
    @safe
    @documented
    def appeal(self, pk):
        """人工复核: decide an applicant's request for a human review of a refusal.
        ---
        post:
          summary: admit (the registration gets a 登记编号 and waits for review) or uphold the automatic refusal,
            with the reason the applicant reads
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationAppealDecisionIn'}
                example: {admit: true, reason: "一次性补偿不计入家庭收入"}
          responses:
            200:
              description: the registration after the decision
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {$ref: '#/components/schemas/AllocationReviewed'}
        """
        def run():
            reg = self._reg(pk)
            data = load(schemas.AllocationAppealDecisionIn, body())
            registrations.decide_appeal(current_user_obj(), reg.id, data["admit"], data["reason"])
            db.session.flush()
            return {"id": reg.id, "result": staff_out(reg)}
        return self._answer(run)


def register(appbuilder):
    appbuilder.add_api(AllocationRegistrationApi)
