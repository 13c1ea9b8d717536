"""The rules of a plan's life (SPEC §6; seed 002 §2): checks on what staff enter, the states,
the registration window, and the public figures (已登记人数).

States (:class:`PlanStatus`) move only through :func:`transition` along :data:`TRANSITIONS`.
Publishing draws the secret S and publishes C = SHA-256(S). The window job
(app/allocation/plans/jobs.py) opens and closes windows on time; whether registration is
possible is always decided by the clock against the window itself (:func:`window_state`),
so a late job never lets anyone in early or late.
"""
import time
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.allocation import clock
from app.allocation.plans.models import AllocationPlan, AllocationProject, PlanStatus, PriorityGroup, UnitType
from app.core.errors import DomainError
from app.extensions import db

TRANSITIONS = {
    PlanStatus.DRAFT: (PlanStatus.PUBLISHED,),
    PlanStatus.PUBLISHED: (PlanStatus.OPEN, PlanStatus.DRAFT),
    PlanStatus.OPEN: (PlanStatus.CLOSED,),
    PlanStatus.CLOSED: (PlanStatus.REVIEW,),
    PlanStatus.REVIEW: (PlanStatus.PUBLICITY,),
    PlanStatus.PUBLICITY: (PlanStatus.FROZEN,),
    PlanStatus.FROZEN: (PlanStatus.DRAWN,),
    PlanStatus.DRAWN: (PlanStatus.RESULTS,),
    PlanStatus.RESULTS: (PlanStatus.FINISHED,),
    PlanStatus.FINISHED: (),
}
DEFAULT_GROUP = ("general", "普通家庭")


def _err(field, message):
    return DomainError(_("%(field)s: %(message)s", field=field, message=message))


def status_label(code):
    from app.allocation.labels import PLAN_STATUS_LABELS

    return str(PLAN_STATUS_LABELS.get(code, code))


def transition(plan, target, moment=None):
    """Move ``plan`` to ``target`` or refuse in Chinese (the only writer of ``plan.status``)."""
    if target not in TRANSITIONS.get(plan.status, ()):
        raise DomainError(_("The plan is %(state)s: it cannot become %(target)s.",
                            state=status_label(plan.status), target=status_label(target)))
    plan.status = target
    return plan


def editable(plan):
    """Staff change a plan's terms (window, projects, units, rules, groups) only as a draft."""
    return plan.status == PlanStatus.DRAFT


def check_editable(plan):
    if not editable(plan):
        raise DomainError(_("The plan is %(state)s: its terms can no longer be changed.",
                            state=status_label(plan.status)))


def check_window(start, end):
    if start is None:
        raise _err(_("Registration starts"), _("is required"))
    if end is None:
        raise _err(_("Registration ends"), _("is required"))
    if end <= start:
        raise _err(_("Registration ends"), _("must be after the start"))


def check_code(code, plan_id=None):
    code = (code or "").strip()
    if not code:
        raise _err(_("Plan number"), _("is required"))
    if len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code) or not code.isascii():
        raise _err(_("Plan number"), _("letters, digits, - and _ only, at most 32"))
    other = db.session.execute(select(AllocationPlan.id).where(AllocationPlan.code == code)).scalar()
    if other is not None and other != plan_id:
        raise _err(_("Plan number"), _("another plan already has this number"))
    return code


def groups_of(plan):
    """The plan's lottery groups in draw order; a plan without groups has one default group."""
    groups = sorted(plan.groups, key=lambda g: (g.draw_order, g.id or 0))
    return groups


def ensure_default_group(plan):
    if not any(g.is_default for g in plan.groups):
        code, name = DEFAULT_GROUP
        taken = {g.code for g in plan.groups}
        while code in taken:
            code += "_"
        order = max([g.draw_order for g in plan.groups] or [0]) + 1
        plan.groups.append(PriorityGroup(code=code, name=name, draw_order=order, is_default=True))
    return plan


def homes_of(plan):
    """Homes the plan offers: the sum of its unit types' counts."""
    return db.session.execute(
        select(func.coalesce(func.sum(UnitType.count), 0)).join(AllocationProject)
        .where(AllocationProject.plan_id == plan.id)).scalar_one()


def publish(actor, plan, moment=None):
    """草稿 → 已发布: checks the plan is complete, draws S and publishes C = SHA-256(S)."""
    from app.allocation.lottery import protocol

    moment = moment or clock.now()
    check_window(plan.reg_start, plan.reg_end)
    if plan.reg_end <= moment:
        raise _err(_("Registration ends"), _("is already past"))
    if not (plan.announcement or "").strip():
        raise _err(_("Allocation announcement"), _("is required"))
    if not plan.projects:
        raise DomainError(_("Add at least one project before publishing the plan."))
    for project in plan.projects:
        if not project.unit_types:
            raise DomainError(_("Project %(name)s has no unit type.", name=project.name))
    if homes_of(plan) <= 0:
        raise DomainError(_("The plan offers no homes: give the unit types their numbers of homes."))
    ensure_default_group(plan)
    transition(plan, PlanStatus.PUBLISHED)
    secret = protocol.new_secret()
    plan.secret = secret
    plan.commitment = protocol.commitment(secret).hex()
    plan.published_at = moment
    if plan.reg_start <= moment:
        transition(plan, PlanStatus.OPEN)
    db.session.flush()
    return plan


def withdraw(actor, plan, moment=None):
    """已发布 → 草稿 before the window opens (a mistake found after publishing); the
    commitment is dropped and a new one drawn when published again."""
    moment = moment or clock.now()
    if plan.status != PlanStatus.PUBLISHED or (plan.reg_start and plan.reg_start <= moment):
        raise DomainError(_("Only a published plan whose registration has not opened can be withdrawn."))
    transition(plan, PlanStatus.DRAFT)
    plan.secret = None
    plan.commitment = None
    plan.published_at = None
    db.session.flush()
    return plan


def window_state(plan, moment=None):
    """'before', 'open' or 'after': the window is [reg_start, reg_end)."""
    moment = moment or clock.now()
    if plan.reg_start is None or moment < plan.reg_start:
        return "before"
    if plan.reg_end is None or moment < plan.reg_end:
        return "open"
    return "after"


def sync_windows(moment=None, session=None):
    """Open plans whose window began and close plans whose window ended; end result publicity.
    Returns counts (the job's run log)."""
    session = session or db.session
    moment = moment or clock.now()
    opened = closed = finished = 0
    for plan in session.execute(select(AllocationPlan).where(
            AllocationPlan.status == PlanStatus.PUBLISHED, AllocationPlan.reg_start <= moment)).scalars():
        transition(plan, PlanStatus.OPEN)
        opened += 1
    for plan in session.execute(select(AllocationPlan).where(
            AllocationPlan.status == PlanStatus.OPEN, AllocationPlan.reg_end <= moment)).scalars():
        transition(plan, PlanStatus.CLOSED)
        closed += 1
    for plan in session.execute(select(AllocationPlan).where(
            AllocationPlan.status == PlanStatus.RESULTS, AllocationPlan.results_until <= moment)).scalars():
        transition(plan, PlanStatus.FINISHED)
        finished += 1
    session.commit()
    return {"opened": opened, "closed": closed, "finished": finished}


def public_plans(session=None):
    """Plans the public sees (published or later), newest window first."""
    session = session or db.session
    return list(session.execute(
        select(AllocationPlan).where(AllocationPlan.status.in_(PlanStatus.PUBLIC))
        .order_by(AllocationPlan.reg_start.desc(), AllocationPlan.id.desc())).scalars())


def public_plan(plan_id, session=None):
    session = session or db.session
    plan = session.get(AllocationPlan, plan_id)
    if plan is None or plan.status not in PlanStatus.PUBLIC:
        return None
    return plan


# --- 已登记人数: counted at most every few seconds per process -----------------------------

_COUNTS = {}


def registered_counts(plan_id, session=None, max_age=None):
    """{"plan": n, project_id: n} of registrations that count as 已登记 (a number given and not
    cancelled). Cached per process for ``allocation.count_cache_seconds``: thousands of
    visitors at the opening minute share one COUNT."""
    from app.allocation.registrations.models import Registration, RegStatus
    from app.system.params import get_param

    if max_age is None:
        max_age = get_param("allocation.count_cache_seconds")
    hit = _COUNTS.get(plan_id)
    now_ts = time.monotonic()
    if hit is not None and now_ts - hit[0] < max_age:
        return hit[1]
    session = session or db.session
    rows = session.execute(
        select(Registration.project_id, func.count(Registration.id))
        .where(Registration.plan_id == plan_id, Registration.status.in_(RegStatus.REGISTERED))
        .group_by(Registration.project_id)).all()
    counts = {"plan": 0}
    for project_id, n in rows:
        counts[project_id] = n
        counts["plan"] += n
    _COUNTS[plan_id] = (now_ts, counts)
    return counts


def forget_counts(plan_id=None):
    if plan_id is None:
        _COUNTS.clear()
    else:
        _COUNTS.pop(plan_id, None)


def countdown(plan, moment=None):
    """Seconds until the window opens (before) or closes (open), for the page's 登记倒计时."""
    moment = moment or clock.now()
    state = window_state(plan, moment)
    if state == "before" and plan.reg_start:
        return state, int((plan.reg_start - moment) / timedelta(seconds=1))
    if state == "open" and plan.reg_end:
        return state, int((plan.reg_end - moment) / timedelta(seconds=1))
    return state, 0
