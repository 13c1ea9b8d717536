"""配租登记 and its review (seed 002 §5–§7; SPEC §6): register, cancel, ask for a human
review, review, objections during the eligibility publicity.

Every function takes the acting user, changes the rows (flushed) and leaves the commit to the
caller, except :func:`register`, which commits itself: the database decides a burst of
simultaneous clicks (one active registration per plan and applicant) and the loser is told
in Chinese that they have registered already.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.allocation import clock
from app.allocation.filings import services as filings
from app.allocation.plans import rules as rules_engine
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan, AllocationProject, PlanStatus
from app.allocation.registrations.models import (Objection, ObjectionStatus, Registration, RegistrationEvent,
                                                 RegStatus)
from app.core.errors import DomainError
from app.extensions import db

ACTIVE = (RegStatus.APPEALED, RegStatus.PENDING, RegStatus.APPROVED, RegStatus.REJECTED)
REVIEWABLE_PLAN = (PlanStatus.CLOSED, PlanStatus.REVIEW)
APPEAL_PLAN = (PlanStatus.OPEN, PlanStatus.CLOSED, PlanStatus.REVIEW)


def _event(reg, action, actor=None, reason=None, moment=None):
    reg.events.append(RegistrationEvent(owner_id=reg.user_id, action=action, status=reg.status, reason=reason,
                                        actor_id=getattr(actor, "id", None), at=moment or clock.now()))


def _reason(text, field=None, required=True, limit=500):
    text = (text or "").strip()
    if required and not text:
        raise DomainError(_("%(field)s: %(message)s", field=field or _("Reason"), message=_("is required")))
    if len(text) > limit:
        raise DomainError(_("%(field)s: %(message)s", field=field or _("Reason"),
                            message=_("at most %(n)s characters", n=limit)))
    return text or None


def new_number(moment=None, session=None):
    """A 登记编号 such as BZ2026-000123: a yearly counter, unrelated to the person (never derived
    from an ID number), unique under concurrency (app/core/sequences.py)."""
    from app.core.sequences import next_value

    year = (moment or clock.now()).year
    return f"BZ{year}-{next_value(f'alloc-reg-{year}', session=session):06d}"


def group_for(plan, fact_values):
    """The first priority group (by draw order) whose conditions all hold, else the default."""
    default = None
    for group in plans.groups_of(plan):
        if group.is_default:
            default = default or group
            continue
        if group.conditions and all(rules_engine.holds(c.field, c.op, c.value, fact_values) for c in group.conditions):
            return group.code
    return default.code if default is not None else plans.DEFAULT_GROUP[0]


def eligibility_rules(plan):
    return [r for r in plan.rules if r.group_id is None]


def screen_filing(plan, filing, moment=None):
    """(reasons, group code, facts) for a filing against the plan's rules."""
    day = (moment or clock.now()).date()
    fact_values = rules_engine.facts(filing, day)
    reasons = rules_engine.screen(eligibility_rules(plan), fact_values)
    return reasons, group_for(plan, fact_values), fact_values


def _snapshot(filing):
    return filings.as_dict(filing)


def active_of(user, plan, session=None):
    session = session or db.session
    return session.execute(select(Registration).where(
        Registration.plan_id == plan.id, Registration.active_user_id == user.id)).scalar_one_or_none()


def register(user, plan_id, project_id=None, moment=None):
    """立即登记: inside the window, real-name, with a filing, screened against the plan's rules.

    Returns the registration: ``pending`` with a 登记编号 when eligible, ``refused`` with the
    reasons otherwise (kept so that the applicant can ask for a human review). Commits."""
    from app.core.sms import send_sms

    moment = moment or clock.now()
    session = db.session
    plan = session.get(AllocationPlan, plan_id) if plan_id is not None else None
    if plan is None or plan.status not in PlanStatus.PUBLIC:
        raise DomainError(_("This allocation plan does not exist."))
    filings.person_or_refuse(user)
    state = plans.window_state(plan, moment)
    if state == "before":
        raise DomainError(_("Registration for this plan opens at %(start)s.",
                            start=plan.reg_start.strftime("%Y-%m-%d %H:%M:%S")))
    if state == "after" or plan.status not in (PlanStatus.PUBLISHED, PlanStatus.OPEN):
        raise DomainError(_("Registration for this plan closed at %(end)s.",
                            end=plan.reg_end.strftime("%Y-%m-%d %H:%M:%S")))
    project = None
    if project_id not in (None, ""):
        try:
            project = session.get(AllocationProject, int(project_id))
        except (TypeError, ValueError):
            project = None
        if project is None or project.plan_id != plan.id:
            raise DomainError(_("The project chosen is not part of this plan."))
    if active_of(user, plan) is not None:
        raise DomainError(_("You have already registered for this plan. To change your filing, cancel the registration first."))
    filing = filings.filing_of(user, plan)
    if filing is None:
        raise DomainError(_("Please fill in your information (信息填报) for this plan before registering."))
    reasons, group, _facts = screen_filing(plan, filing, moment)
    reg = Registration(plan_id=plan.id, project_id=project.id if project else None, user_id=user.id,
                       filing_id=filing.id, region_code=plan.region_code, snapshot=_snapshot(filing),
                       name=filing.name, id_number=filing.id_number, mobile=filing.mobile,
                       family_size=filing.family_size, group_code=group, created_on=moment)
    if reasons:
        reg.status = RegStatus.REFUSED
        reg.reasons = reasons
        _event(reg, "refuse", user, "；".join(reasons), moment)
        session.add(reg)
        session.commit()
        return reg
    reg.status = RegStatus.PENDING
    reg.active_user_id = user.id
    reg.registered_at = moment
    session.add(reg)
    try:
        session.flush()
        reg.number = new_number(moment)
        _event(reg, "register", user, None, moment)
        send_sms(filing.mobile, "allocation_registered", plan=plan.title, number=reg.number)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError(_("You have already registered for this plan. To change your filing, cancel the registration first."))
    plans.forget_counts(plan.id)
    return reg


def _own(user, reg_id):
    reg = db.session.get(Registration, reg_id) if reg_id is not None else None
    if reg is None or reg.user_id != user.id:
        raise DomainError(_("This registration does not exist."))
    return reg


def may_cancel(reg, moment=None):
    """True where :func:`cancel` would accept: 已登记 or 人工复核中 while the window is open."""
    return reg.status in (RegStatus.PENDING, RegStatus.APPEALED) and \
        plans.window_state(reg.plan, moment or clock.now()) == "open"


def may_request_review(reg):
    """True where :func:`request_review` would accept (a refusal while the plan still takes them)."""
    return reg.status == RegStatus.REFUSED and reg.plan.status in APPEAL_PLAN


def cancel(user, reg_id, moment=None):
    """取消登记 before the window closes (seed 002 §6.2); the filing may then change again."""
    moment = moment or clock.now()
    reg = _own(user, reg_id)
    if reg.status not in (RegStatus.PENDING, RegStatus.APPEALED):
        raise DomainError(_("This registration is %(state)s: it cannot be cancelled.", state=reg.status_label))
    if plans.window_state(reg.plan, moment) != "open":
        raise DomainError(_("Registration closed at %(end)s: it can no longer be cancelled.",
                            end=reg.plan.reg_end.strftime("%Y-%m-%d %H:%M:%S")))
    reg.status = RegStatus.CANCELLED
    reg.active_user_id = None
    reg.cancelled_at = moment
    _event(reg, "cancel", user, None, moment)
    db.session.flush()
    plans.forget_counts(reg.plan_id)
    return reg


def request_review(user, reg_id, text, moment=None):
    """申请人工复核 of an automatic refusal (PIPL §24): the reasons are shown, staff decide."""
    moment = moment or clock.now()
    reg = _own(user, reg_id)
    if reg.status != RegStatus.REFUSED:
        raise DomainError(_("Only a registration refused by the automatic screening can be reviewed by a person."))
    if reg.plan.status not in APPEAL_PLAN:
        raise DomainError(_("The plan is %(state)s: a human review can no longer be requested.",
                            state=reg.plan.status_label))
    text = _reason(text, _("Request for human review"), limit=1000)
    if active_of(user, reg.plan) is not None:
        raise DomainError(_("You have already registered for this plan. To change your filing, cancel the registration first."))
    reg.status = RegStatus.APPEALED
    reg.active_user_id = user.id
    reg.appeal_text = text
    reg.appeal_at = moment
    _event(reg, "appeal", user, text, moment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("You have already registered for this plan. To change your filing, cancel the registration first."))
    return reg


def _staff_reg(actor, reg_id):
    from app.core.scope import can_see

    reg = db.session.get(Registration, reg_id) if reg_id is not None else None
    if reg is None or not can_see(reg, actor):
        raise DomainError(_("This registration does not exist."))
    return reg


def decide_appeal(actor, reg_id, admit, reason, moment=None):
    """Staff decide a human review: admit (a 登记编号, then reviewed as any other) or uphold the refusal."""
    from app.core.sms import send_sms

    moment = moment or clock.now()
    reg = _staff_reg(actor, reg_id)
    if reg.status != RegStatus.APPEALED:
        raise DomainError(_("This registration is %(state)s: there is no human review to decide.",
                            state=reg.status_label))
    if reg.plan.status not in APPEAL_PLAN:
        raise DomainError(_("The plan is %(state)s: a human review can no longer be decided.",
                            state=reg.plan.status_label))
    reason = _reason(reason, _("Human review decision"))
    reg.appeal_reason = reason
    reg.appeal_decided_at = moment
    if admit:
        reg.status = RegStatus.PENDING
        reg.registered_at = moment
        reg.number = new_number(moment)
        _event(reg, "admit", actor, reason, moment)
        send_sms(reg.mobile, "allocation_registered", plan=reg.plan.title, number=reg.number)
    else:
        reg.status = RegStatus.APPEAL_DENIED
        reg.active_user_id = None
        _event(reg, "deny", actor, reason, moment)
        send_sms(reg.mobile, "allocation_appeal_denied", plan=reg.plan.title)
    db.session.flush()
    plans.forget_counts(reg.plan_id)
    return reg


def review(actor, reg_ids, approve, reason=None, moment=None):
    """审核通过 / 不通过 (with the reason) for one or many registrations of ONE plan; all or nothing.
    The first decision moves the plan from 登记结束 to 审核中."""
    from app.core.sms import send_sms

    moment = moment or clock.now()
    ids = sorted({int(i) for i in reg_ids or []})
    if not ids:
        raise DomainError(_("Choose at least one registration."))
    regs = [_staff_reg(actor, i) for i in ids]
    plan_ids = {r.plan_id for r in regs}
    if len(plan_ids) != 1:
        raise DomainError(_("Review the registrations of one plan at a time."))
    plan = regs[0].plan
    if plan.status not in REVIEWABLE_PLAN:
        raise DomainError(_("The plan is %(state)s: registrations are reviewed after registration closes and before the publicity.",
                            state=plan.status_label))
    reason = _reason(reason, _("Reason not passed"), required=not approve)
    for reg in regs:
        if reg.status != RegStatus.PENDING:
            raise DomainError(_("Registration %(number)s is %(state)s: only registrations waiting for review can be reviewed.",
                                number=reg.number or reg.id, state=reg.status_label))
    if plan.status == PlanStatus.CLOSED:
        plans.transition(plan, PlanStatus.REVIEW)
        plan.review_started_at = moment
    for reg in regs:
        reg.status = RegStatus.APPROVED if approve else RegStatus.REJECTED
        reg.review_reason = None if approve else reason
        reg.reviewed_at = moment
        reg.reviewed_by_fk = actor.id
        _event(reg, "approve" if approve else "reject", actor, reason, moment)
        send_sms(reg.mobile, "allocation_reviewed", plan=plan.title, number=reg.number,
                 result=_("passed") if approve else _("not passed"))
    db.session.flush()
    return regs


def counts_by_status(plan, session=None):
    session = session or db.session
    rows = session.execute(select(Registration.status, func.count(Registration.id))
                           .where(Registration.plan_id == plan.id).group_by(Registration.status)).all()
    return {status: n for status, n in rows}


def start_publicity(actor, plan, moment=None):
    """审核中 → 资格公示 for ``allocation.publicity_working_days`` working days; nothing may still
    wait for review or for a human review."""
    from app.core.deadlines import due_at
    from app.system.params import get_param

    moment = moment or clock.now()
    counts = counts_by_status(plan)
    waiting = counts.get(RegStatus.PENDING, 0) + counts.get(RegStatus.APPEALED, 0)
    if plan.status == PlanStatus.CLOSED and waiting == 0:
        plans.transition(plan, PlanStatus.REVIEW)
        plan.review_started_at = moment
    if plan.status != PlanStatus.REVIEW:
        raise DomainError(_("The plan is %(state)s: the eligibility publicity starts after the review.",
                            state=plan.status_label))
    if waiting:
        raise DomainError(_("%(n)s registrations still wait for a review or a human review.", n=waiting))
    plans.transition(plan, PlanStatus.PUBLICITY)
    plan.publicity_from = moment
    plan.publicity_until = due_at(moment, get_param("allocation.publicity_working_days"), "days", "working")
    db.session.flush()
    return plan


def publicity_open(plan, moment=None):
    moment = moment or clock.now()
    return plan.status == PlanStatus.PUBLICITY and plan.publicity_until is not None and moment < plan.publicity_until


def object_to(user, plan_id, number, text, moment=None):
    """异议: anyone signed in may object to a publicised eligible registration, once each, during
    the publicity."""
    moment = moment or clock.now()
    plan = db.session.get(AllocationPlan, plan_id) if plan_id is not None else None
    if plan is None or plan.status not in PlanStatus.PUBLIC:
        raise DomainError(_("This allocation plan does not exist."))
    if not publicity_open(plan, moment):
        raise DomainError(_("Objections are accepted only during the eligibility publicity."))
    number = (number or "").strip().upper()
    reg = db.session.execute(select(Registration).where(
        Registration.plan_id == plan.id, Registration.number == number,
        Registration.status == RegStatus.APPROVED)).scalar_one_or_none()
    if reg is None:
        raise DomainError(_("%(field)s: %(message)s", field=_("Registration number"),
                            message=_("not on this plan's eligible list")))
    text = _reason(text, _("Objection"), limit=1000)
    dup = db.session.execute(select(Objection.id).where(
        Objection.registration_id == reg.id, Objection.user_id == user.id)).first()
    if dup is not None:
        raise DomainError(_("You have already raised an objection to this registration."))
    obj = Objection(plan_id=plan.id, registration_id=reg.id, user_id=user.id, region_code=plan.region_code,
                    text=text, created_on=moment)
    db.session.add(obj)
    db.session.flush()
    return obj


def decide_objection(actor, objection_id, uphold, reason, moment=None):
    """异议成立 (the registration loses its eligibility, with the reason) or 不成立."""
    from app.core.scope import can_see

    moment = moment or clock.now()
    obj = db.session.get(Objection, objection_id) if objection_id is not None else None
    if obj is None or not can_see(obj, actor):
        raise DomainError(_("This objection does not exist."))
    if obj.status != ObjectionStatus.PENDING:
        raise DomainError(_("This objection has already been decided."))
    if obj.plan.status != PlanStatus.PUBLICITY:
        raise DomainError(_("The plan is %(state)s: objections can no longer be decided.", state=obj.plan.status_label))
    reason = _reason(reason, _("Decision"))
    obj.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    obj.decision = reason
    obj.decided_by_fk = actor.id
    obj.decided_at = moment
    if uphold:
        reg = obj.registration
        if reg.status == RegStatus.APPROVED:
            reg.status = RegStatus.REJECTED
            reg.review_reason = reason
            reg.reviewed_at = moment
            reg.reviewed_by_fk = actor.id
            _event(reg, "objection", actor, reason, moment)
    db.session.flush()
    return obj


def pending_objections(plan, session=None):
    session = session or db.session
    return session.execute(select(func.count(Objection.id)).where(
        Objection.plan_id == plan.id, Objection.status == ObjectionStatus.PENDING)).scalar_one()


def eligible_numbers(plan, session=None):
    """The publicised eligible list: numbers of approved registrations, sorted."""
    session = session or db.session
    return list(session.execute(select(Registration.number).where(
        Registration.plan_id == plan.id, Registration.status == RegStatus.APPROVED)
        .order_by(Registration.number)).scalars())


def records_of(user, session=None):
    """配租记录: the applicant's registrations, newest first."""
    session = session or db.session
    return list(session.execute(select(Registration).where(Registration.user_id == user.id)
                                .order_by(Registration.id.desc())).scalars())


def progress_text(reg):
    """目前进度 as the applicant reads it."""
    from app.allocation.plans.models import PlanStatus as PS

    if reg.status == RegStatus.APPROVED and reg.plan.status in (PS.DRAWN, PS.RESULTS, PS.FINISHED) and reg.draw_result:
        return _("Lottery drawn: %(result)s", result=reg.draw_result_label)
    return reg.status_label


# Rules screened by bulk (the benchmark and a re-screen by staff): the plan's rules once, then
# one dict per filing.
def screen_many(plan, filings_iter, moment=None):
    day = (moment or clock.now()).date()
    rules = eligibility_rules(plan)
    for filing in filings_iter:
        fact_values = rules_engine.facts(filing, day)
        yield rules_engine.screen(rules, fact_values), group_for(plan, fact_values)

