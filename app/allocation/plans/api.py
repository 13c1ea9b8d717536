"""REST resource ``allocation_plan`` (配租计划, staff; issue 15): the plans in the caller's
region, their terms while a draft, their states and the draw, with the same services as
the console (plans.services, registrations.services, lottery.services).

* ``GET /api/v1/allocation_plan/`` (filters on ``status``, ``code``, ``title``, ``region_code``,
  the window) and ``GET /<pk>``: the plan with its projects and unit types, rules, groups,
  registrations by status and the lottery: the commitment C always, the frozen pools' hashes,
  and S, E and the seeds only once drawn (never the secret S before the draw);
* ``POST /``: a draft; ``PUT /<pk>``: change a draft's terms (only the fields sent), both through
  ``plans.save_plan`` as in the console. Projects, unit types, photos, rules and groups are read
  here and written in the console;
* ``POST /<pk>/transition`` ``{"action": publish|withdraw|publicity|freeze|results}``;
* ``POST /<pk>/draw`` ``{"entropy", "witnesses"}``: the public draw (once).

A body of the wrong shape answers 400, a broken rule 422 (Chinese), a plan outside the
caller's region 404.
"""
from flask_appbuilder.api import expose, protect, safe

from app.allocation import labels, schemas
from app.allocation.lottery import services as lottery
from app.allocation.plans import rules as rules_engine
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan, PlanStatus
from app.allocation.registrations import services as registrations
from app.allocation.schemas import Answers, NotFound, body, documented, load, stamp
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db

TERMS = ["code", "title", "region_code", "announcement", "reg_start", "reg_end", "contact_phone", "contact_hours",
         "contact_address"]
LIST = ["id", "code", "title", "status", "region_code", "org_id", "reg_start", "reg_end", "commitment",
        "published_at", "publicity_until", "frozen_at", "drawn_at", "results_until", "created_on", "changed_on"]
SHOW = [*LIST, "announcement", "contact_phone", "contact_hours", "contact_address", "review_started_at",
        "publicity_from", "results_from"]
REVEALED = (PlanStatus.DRAWN, PlanStatus.RESULTS, PlanStatus.FINISHED)


def _money(value):
    return None if value is None else f"{value:.2f}"


def unit_out(unit):
    return {"id": unit.id, "name": unit.name, "layout": unit.layout, "area": _money(unit.area),
            "rent": _money(unit.rent), "count": unit.count, "rent_list": unit.rent_list or [],
            "description": unit.description, "sort_order": unit.sort_order}


def project_out(project):
    return {"id": project.id, "name": project.name, "district_code": project.district_code,
            "address": project.address, "intro": project.intro, "traffic": project.traffic,
            "sort_order": project.sort_order, "homes": project.unit_count,
            "unit_types": [unit_out(u) for u in project.unit_types]}


def rule_out(rule):
    spec = rules_engine.FIELDS.get(rule.field)
    return {"id": rule.id, "group_id": rule.group_id, "field": rule.field,
            "field_label": str(spec.label) if spec is not None else rule.field, "op": rule.op,
            "op_label": str(rules_engine.OPS.get(rule.op, rule.op)), "value": rule.value, "reason": rule.reason}


def group_out(group):
    return {"id": group.id, "code": group.code, "name": group.name, "draw_order": group.draw_order,
            "is_default": bool(group.is_default)}


def lottery_out(plan):
    """C always; the frozen pools (hash and size); S, E and the seeds only after the draw."""
    record = lottery.draw_of(plan)
    revealed = record is not None and plan.status in REVEALED
    pools = [{"group_code": p.group_code, "group_name": p.group_name, "draw_order": p.draw_order, "size": p.size,
              "list_hash": p.list_hash, "frozen_at": stamp(p.frozen_at), "seed": p.seed if revealed else None}
             for p in lottery.pools_of(plan)]
    draw = None
    if revealed:
        draw = {"protocol": record.protocol, "secret": record.secret_hex, "entropy": record.entropy,
                "witnesses": record.witnesses, "drawn_at": stamp(record.drawn_at), "drawn_by_fk": record.drawn_by_fk,
                "summary": record.summary}
    return {"commitment": plan.commitment, "pools": pools, "draw": draw}


def plan_extras(plan):
    """What a plan's detail adds to its columns."""
    return {
        "status_label": plan.status_label, "window": plans.window_state(plan),
        "homes": int(plans.homes_of(plan)) if plan.id else 0,
        "registrations": registrations.counts_by_status(plan),
        "projects": [project_out(p) for p in plan.projects], "rules": [rule_out(r) for r in plan.rules],
        "groups": [group_out(g) for g in plans.groups_of(plan)], "lottery": lottery_out(plan),
    }


def plan_out(plan):
    out = {"id": plan.id, "code": plan.code, "title": plan.title, "status": plan.status,
           "region_code": plan.region_code, "org_id": plan.org_id, "announcement": plan.announcement,
           "contact_phone": plan.contact_phone, "contact_hours": plan.contact_hours,
           "contact_address": plan.contact_address}
    for key in ("reg_start", "reg_end", "published_at", "publicity_from", "publicity_until", "frozen_at", "drawn_at",
                "results_from", "results_until"):
        out[key] = stamp(getattr(plan, key))
    out.update(plan_extras(plan))
    return out


def _terms(plan, data, user):
    """The plan's terms for :func:`plans.save_plan`: what was sent over what the draft holds (a
    PUT sends only what changes); a new plan's region defaults to the caller's own."""
    terms = {key: getattr(plan, key) for key in TERMS} if plan is not None else {}
    if plan is None:
        org = getattr(user, "org", None)
        terms["region_code"] = org.region_code if org is not None else None
    terms.update({k: v for k, v in data.items() if not (k == "region_code" and v is None)})
    return terms


_PLAN_ANSWER = """
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {$ref: '#/components/schemas/AllocationPlanOut'}
"""


def _answer_doc(fn):
    """Put the plan answer's schema under the endpoint's first success code."""
    fn.__doc__ = fn.__doc__.replace("              content: PLAN\n", _PLAN_ANSWER.lstrip("\n"))
    return fn


class AllocationPlanApi(Answers, AnjuModelRestApi):
    resource_name = "allocation_plan"
    datamodel = ScopedInterface(AllocationPlan)
    openapi_spec_tag = "Allocation plans"
    openapi_spec_component_schemas = schemas.COMPONENTS
    base_permissions = ["can_get", "can_info", "can_post", "can_put", "can_transition", "can_draw"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "post": "post", "put": "put",
                              "transition": "transition", "draw": "draw"}
    include_route_methods = {"get", "get_list", "info", "post", "put", "transition", "draw"}
    list_columns = LIST
    show_columns = SHOW
    add_columns = edit_columns = TERMS
    search_columns = ["status", "code", "title", "region_code", "reg_start", "reg_end"]
    order_columns = ["id", "code", "reg_start", "reg_end", "created_on"]
    base_order = ("id", "desc")
    _ref = "#/components/schemas/"
    extra_response_properties = {
        "status_label": {"type": "string", "description": "the state in Chinese"},
        "window": {"type": "string", "enum": ["before", "open", "after"],
                   "description": "the registration window now"},
        "homes": {"type": "integer", "description": "homes offered (detail only)"},
        "registrations": {"type": "object", "additionalProperties": {"type": "integer"},
                          "description": "registrations by status (detail only)"},
        "projects": {"type": "array", "items": {"$ref": _ref + "AllocationProjectOut"},
                     "description": "projects (小区) with their unit types (户型) (detail only)"},
        "rules": {"type": "array", "items": {"type": "object"}, "description": "eligibility rules (detail only)"},
        "groups": {"type": "array", "items": {"type": "object"}, "description": "lottery groups (detail only)"},
        "lottery": {"$ref": _ref + "AllocationLotteryOut"},
    }

    # The plan's 服务联系方式 (contact_phone) is the housing centre's public service phone,
    # shown on the public portal: nothing in a plan is a person's data to mask.
    def _mask(self, row):
        return None

    def pre_get(self, data):
        super().pre_get(data)
        row = data.get("result")
        plan = db.session.get(AllocationPlan, data.get("id")) if data.get("id") is not None else None
        if row is not None and plan is not None:
            row["id"] = plan.id
            row.update(plan_extras(plan))

    def pre_get_list(self, data):
        super().pre_get_list(data)
        for row in data.get("result") or []:
            if row.get("status"):
                row["status_label"] = labels.label(labels.PLAN_STATUS_LABELS, row["status"])

    def _plan(self, pk):
        plan = self.datamodel.get(pk, self._base_filters)
        if plan is None:
            raise NotFound()
        return plan

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @documented
    @_answer_doc
    def post(self):
        """A new plan (草稿).
        ---
        post:
          summary: create a draft 配租计划 in the caller's region; projects, unit types, photos, rules and groups
            are added in the console
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationPlanIn'}
                example: {code: "2026-03", title: "2026年第三批保障性租赁住房配租", announcement: "配租公告……",
                          reg_start: "2026-03-01T09:00:00", reg_end: "2026-03-15T17:00:00",
                          contact_phone: "023-12345678"}
          responses:
            201:
              description: the draft
              content: PLAN
        """
        def run():
            data = load(schemas.AllocationPlanIn, body())
            user = current_user_obj()
            plan = plans.save_plan(user, None, _terms(None, data, user))
            return {"id": plan.id, "result": plan_out(plan)}
        return self._answer(run, 201)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @documented
    @_answer_doc
    def put(self, pk):
        """Change a draft's terms.
        ---
        put:
          summary: change the terms of a draft plan (only the fields sent change); a published plan's terms are
            fixed (422)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationPlanIn'}
                example: {title: "2026年第三批保障性租赁住房配租（修订）", reg_end: "2026-03-20T17:00:00"}
          responses:
            200:
              description: the draft as changed
              content: PLAN
        """
        def run():
            plan = self._plan(pk)
            data = load(schemas.AllocationPlanIn, body(), partial=True)
            user = current_user_obj()
            plans.save_plan(user, plan, _terms(plan, data, user))
            return {"id": plan.id, "result": plan_out(plan)}
        return self._answer(run)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @documented
    @_answer_doc
    def transition(self, pk):
        """Move a plan to its next state.
        ---
        post:
          summary: publish (草稿 → 已发布, draws S and publishes C), withdraw (已发布 → 草稿 before the window opens),
            publicity (审核中 → 资格公示), freeze (资格公示 → 待摇号, the pools frozen), results (已摇号 → 结果公示).
            The window opens and closes on time by itself.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationTransitionIn'}
                example: {action: publish}
          responses:
            200:
              description: the plan in its new state
              content: PLAN
        """
        steps = {"publish": plans.publish, "withdraw": plans.withdraw, "publicity": registrations.start_publicity,
                 "freeze": lottery.freeze, "results": lottery.publish_results}

        def run():
            plan = self._plan(pk)
            data = load(schemas.AllocationTransitionIn, body())
            steps[data["action"]](current_user_obj(), plan)
            db.session.flush()
            return {"id": plan.id, "result": plan_out(plan)}
        return self._answer(run)

    @expose("/<int:pk>/draw", methods=["POST"])
    @protect()
    @safe
    @documented
    @_answer_doc
    def draw(self, pk):
        """The public draw (摇号).
        ---
        post:
          summary: reveal S, take the public digits E, rank each frozen pool and record the results; a plan is
            drawn once. The answer's lottery holds S, E and each pool's seed.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AllocationDrawIn'}
                example: {entropy: "305871", witnesses: "市公证处张某；申请人代表李某"}
          responses:
            200:
              description: the drawn plan
              content: PLAN
        """
        def run():
            plan = self._plan(pk)
            data = load(schemas.AllocationDrawIn, body())
            lottery.draw(current_user_obj(), plan, data["entropy"], data.get("witnesses"))
            return {"id": plan.id, "result": plan_out(plan)}
        return self._answer(run)


def register(appbuilder):
    appbuilder.add_api(AllocationPlanApi)
