"""Credit records, red/black lists, objections and repair: the states, the transitions and who
may take them, in one place (SPEC §5; seed 001 信息管理, 红黑名单).

Credit record (信用记录)::

    记分申请 ──▶ 待审核 ──approve──▶ 公示中 ──(N working days, job)──▶ 生效 ──(validity, job)──▶ 已失效
                  │  │                 │  ▲                            │
                  │  └─return─▶ 已退回 ─resubmit─┘ (applicant)         └─revoke─▶ 已撤销 (gov_admin)
                  │             └─terminate─▶ 已终止
                  └─reject─▶ 不予通过       object (enterprise) ▼  │ uphold (reviewer: the record stands)
                                                           异议处理中 ──withdraw──▶ 已撤回

Red/black list entry (红黑名单)::

    proposal (job or gov_admin) ─▶ 待审核 ─approve─▶ 公示中 ─(N working days)─▶ 生效 ─(valid until)─▶ 已过期
                                      └─reject─▶ 不予通过   │ object / uphold / withdraw as above
                                                          └─cancel (注销, gov_admin)─▶ 已注销 ◀─cancel─ 生效
                                                             生效 (black) ─repair approved─▶ 已信用修复

:data:`RECORD_TRANSITIONS` and :data:`LIST_TRANSITIONS` say, for every action, the states it
leaves, the state it reaches and who may take it (:data:`ACTORS`); :func:`transition` is the
only code that changes a state. Each step writes a :class:`CreditEvent`; decisions about an
enterprise tell it by a console notice and an SMS to its contact mobile.

How records come in (记分申请, the feed of other modules): intake.py beside this file; red and
black list proposals and credit repair: lists.py. Scores and levels: app/credit/scoring.py.
Every function takes the acting user (None for the scheduled job) and raises DomainError
with a Chinese message. The caller commits.
"""
import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.core import deadlines, notices, sms, uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import can_see, prefix_range, user_scope
from app.core.sequences import next_value
from app.credit.models import (
    CreditEvent,
    CreditListEntry,
    CreditObjection,
    CreditRecord,
    CreditRepair,
    DecisionStatus,
    ListStatus,
    ListType,
    Operation,
    RecordStatus,
    ScoreType,
    Severity,
)
from app.extensions import db
from app.security.roles import SCOPE_ALL, SCOPE_REGION
from app.system.models import Organization, OrgType
from app.system.params import get_param

log = logging.getLogger(__name__)


# --- names on screen ----------------------------------------------------------------------

SCORE_TYPE_LABELS = {ScoreType.BONUS: _l("Bonus"), ScoreType.DEDUCTION: _l("Deduction")}
OPERATION_LABELS = {Operation.MANUAL: _l("Manual scoring"), Operation.SYSTEM: _l("System scoring")}
SEVERITY_LABELS = {Severity.GENERAL: _l("General (severity)"), Severity.SERIOUS: _l("Serious")}
RECORD_STATUS_LABELS = {
    RecordStatus.REVIEW: _l("Pending review"), RecordStatus.RETURNED: _l("Returned"),
    RecordStatus.REJECTED: _l("Not approved"), RecordStatus.TERMINATED: _l("Terminated"),
    RecordStatus.PUBLICITY: _l("In publicity"), RecordStatus.OBJECTED: _l("Objection under review"),
    RecordStatus.EFFECTIVE: _l("In effect"), RecordStatus.EXPIRED: _l("No longer in effect"),
    RecordStatus.REVOKED: _l("Revoked"), RecordStatus.WITHDRAWN: _l("Withdrawn"),
}
LIST_TYPE_LABELS = {ListType.RED: _l("Red list"), ListType.BLACK: _l("Black list")}
LIST_STATUS_LABELS = {
    ListStatus.PROPOSED: _l("Pending review"), ListStatus.REJECTED: _l("Not approved"),
    ListStatus.PUBLICITY: _l("In publicity"), ListStatus.OBJECTED: _l("Objection under review"),
    ListStatus.EFFECTIVE: _l("In effect"), ListStatus.CANCELLED: _l("Cancelled"),
    ListStatus.EXPIRED: _l("Expired"), ListStatus.WITHDRAWN: _l("Withdrawn"),
    ListStatus.REPAIRED: _l("Ended by credit repair"),
}
OBJECTION_STATUS_LABELS = {DecisionStatus.PENDING: _l("Pending"),
                           DecisionStatus.ACCEPTED: _l("Objection upheld"),
                           DecisionStatus.REJECTED: _l("Objection not upheld")}
REPAIR_STATUS_LABELS = {DecisionStatus.PENDING: _l("Pending review"), DecisionStatus.ACCEPTED: _l("Approved"),
                        DecisionStatus.REJECTED: _l("Not approved")}
ORIGIN_LABELS = {Operation.MANUAL: _l("Scoring application"), Operation.SYSTEM: _l("System (automatic)")}

ACTION_LABELS = {
    "submit": _l("Submit"), "approve": _l("Approve"), "return": _l("Return for changes"),
    "reject": _l("Do not approve"), "resubmit": _l("Resubmit"), "terminate": _l("Terminate"),
    "object": _l("Raise an objection"), "uphold": _l("Objection not upheld: keep"),
    "withdraw": _l("Objection upheld: withdraw"), "take_effect": _l("Take effect"),
    "expire": _l("Expire"), "revoke": _l("Revoke"), "cancel": _l("Cancel the listing"),
    "repair": _l("Credit repair"), "propose": _l("Propose"), "apply_repair": _l("Apply for credit repair"),
    "repair_approve": _l("Approve credit repair"), "repair_reject": _l("Refuse credit repair"),
}


def label_of(mapping, code):
    value = mapping.get(code)
    return str(value) if value is not None else (code or "")


def action_label(code):
    return label_of(ACTION_LABELS, code)


# --- who may act --------------------------------------------------------------------------

PROPOSER_ROLES = ("gov_admin", "district", "street")    # 记分申请
DECIDER_ROLES = ("gov_reviewer",)                       # decisions
ADMIN_ROLES = ("gov_admin",)                            # rules, list proposals, 注销, 撤销
ENTERPRISE_ROLES = ("ent_admin",)                       # objections and repair

APPLICANT, DECIDER, ADMIN, ENTERPRISE, SYSTEM = "applicant", "decider", "admin", "enterprise", "system"
ACTORS = {
    APPLICANT: _l("the applicant"), DECIDER: _l("a reviewer"), ADMIN: _l("a city administrator"),
    ENTERPRISE: _l("the enterprise concerned"), SYSTEM: _l("the system"),
}

# action: (states it leaves, state it reaches, who may take it, needs a reason)
RECORD_TRANSITIONS = {
    "approve": ((RecordStatus.REVIEW,), RecordStatus.PUBLICITY, DECIDER, False),
    "return": ((RecordStatus.REVIEW,), RecordStatus.RETURNED, DECIDER, True),
    "reject": ((RecordStatus.REVIEW,), RecordStatus.REJECTED, DECIDER, True),
    "resubmit": ((RecordStatus.RETURNED,), RecordStatus.REVIEW, APPLICANT, False),
    "terminate": ((RecordStatus.RETURNED,), RecordStatus.TERMINATED, APPLICANT, False),
    "object": ((RecordStatus.PUBLICITY,), RecordStatus.OBJECTED, ENTERPRISE, True),
    "uphold": ((RecordStatus.OBJECTED,), RecordStatus.PUBLICITY, DECIDER, True),
    "withdraw": ((RecordStatus.OBJECTED,), RecordStatus.WITHDRAWN, DECIDER, True),
    "take_effect": ((RecordStatus.PUBLICITY,), RecordStatus.EFFECTIVE, SYSTEM, False),
    "expire": ((RecordStatus.EFFECTIVE,), RecordStatus.EXPIRED, SYSTEM, False),
    "revoke": ((RecordStatus.PUBLICITY, RecordStatus.EFFECTIVE), RecordStatus.REVOKED, ADMIN, True),
}
LIST_TRANSITIONS = {
    "approve": ((ListStatus.PROPOSED,), ListStatus.PUBLICITY, DECIDER, False),
    "reject": ((ListStatus.PROPOSED,), ListStatus.REJECTED, DECIDER, True),
    "object": ((ListStatus.PUBLICITY,), ListStatus.OBJECTED, ENTERPRISE, True),
    "uphold": ((ListStatus.OBJECTED,), ListStatus.PUBLICITY, DECIDER, True),
    "withdraw": ((ListStatus.OBJECTED,), ListStatus.WITHDRAWN, DECIDER, True),
    "take_effect": ((ListStatus.PUBLICITY,), ListStatus.EFFECTIVE, SYSTEM, False),
    "expire": ((ListStatus.EFFECTIVE,), ListStatus.EXPIRED, SYSTEM, False),
    "cancel": ((ListStatus.PUBLICITY, ListStatus.EFFECTIVE), ListStatus.CANCELLED, ADMIN, True),
    "repair": ((ListStatus.EFFECTIVE,), ListStatus.REPAIRED, SYSTEM, False),
}
# Actions a user starts from a screen or the API (the others are taken by the job or by
# another step: an objection, an approved repair).
RECORD_USER_ACTIONS = ("approve", "return", "reject", "resubmit", "terminate", "uphold", "withdraw", "revoke")
LIST_USER_ACTIONS = ("approve", "reject", "uphold", "withdraw", "cancel")

# What an enterprise sees of its own records and entries: nothing before the decision.
RECORD_VISIBLE_TO_ENTERPRISE = (RecordStatus.PUBLICITY, RecordStatus.OBJECTED, RecordStatus.EFFECTIVE,
                                RecordStatus.EXPIRED, RecordStatus.REVOKED, RecordStatus.WITHDRAWN)
LIST_VISIBLE_TO_ENTERPRISE = (ListStatus.PUBLICITY, ListStatus.OBJECTED, ListStatus.EFFECTIVE,
                              ListStatus.CANCELLED, ListStatus.EXPIRED, ListStatus.WITHDRAWN,
                              ListStatus.REPAIRED)

MAX_TEXT = 2000
EVIDENCE_LABEL = _l("Evidence")

uploads.register_owner("credit_record", CreditRecord, ("can_show", "CreditRecordView"))
uploads.register_owner("credit_objection", CreditObjection, ("can_show", "CreditObjectionView"))
uploads.register_owner("credit_repair", CreditRepair, ("can_show", "CreditRepairView"))


def _roles(user):
    return {r.name for r in getattr(user, "roles", None) or []}


def has_role(user, roles):
    return bool(_roles(user) & set(roles))


def is_enterprise_user(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.ENTERPRISE


def _actor_name(user):
    if user is None:
        return str(_("System (automatic)"))
    return getattr(user, "first_name", None) or getattr(user, "username", None)


def _may(who, subject, user, session):
    """None when ``user`` is ``who`` for ``subject``; else the Chinese refusal."""
    if who == SYSTEM:
        return None if user is None else _("This step is taken by the system only.")
    if user is None:
        return _("Please sign in.")
    if who == APPLICANT:
        return None if subject.applicant_id == user.id else _("Only the applicant may do this.")
    if who == ENTERPRISE:
        if not has_role(user, ENTERPRISE_ROLES) or getattr(user, "org_id", None) != subject.org_id:
            return _("Only the enterprise concerned may object or apply for credit repair.")
        return None
    roles = DECIDER_ROLES if who == DECIDER else ADMIN_ROLES
    if not has_role(user, roles):
        return _("Only %(who)s may do this.", who=ACTORS[who])
    if not can_see(subject, user, session=session):
        return _("This record is outside your scope.")
    return None


def _event(subject_type, subject, action, from_status, to_status, actor, reason, moment, session):
    session.add(CreditEvent(subject_type=subject_type, subject_id=subject.id, action=action,
                            from_status=from_status, to_status=to_status,
                            actor_id=getattr(actor, "id", None), actor_name=_actor_name(actor),
                            at=moment, reason=reason))


def events_of(subject_type, subject_id, session=None):
    session = session or db.session
    return session.execute(select(CreditEvent).where(CreditEvent.subject_type == subject_type,
                                                     CreditEvent.subject_id == subject_id)
                           .order_by(CreditEvent.id)).scalars().all()


def _clean_reason(reason, needed):
    reason = (reason or "").strip() or None
    if needed and not reason:
        raise DomainError(_("Please give the reason."))
    if reason and len(reason) > MAX_TEXT:
        raise DomainError(_("The reason may be at most %(n)s characters.", n=MAX_TEXT))
    return reason


def allowed_actions(subject, user, session=None):
    """The user actions ``user`` may take on a record or list entry now (buttons and checks)."""
    session = session or db.session
    table, user_actions = _table_of(subject)
    out = []
    for action in user_actions:
        sources, _target, who, _need = table[action]
        if subject.status not in sources:
            continue
        if action == "return" and getattr(subject, "origin", None) == Operation.SYSTEM:
            continue
        if _may(who, subject, user, session) is None:
            out.append(action)
    return out


def _table_of(subject):
    if isinstance(subject, CreditRecord):
        return RECORD_TRANSITIONS, RECORD_USER_ACTIONS
    return LIST_TRANSITIONS, LIST_USER_ACTIONS


def _status_labels(subject):
    return RECORD_STATUS_LABELS if isinstance(subject, CreditRecord) else LIST_STATUS_LABELS


def transition(subject, action, actor, reason=None, moment=None, session=None, recompute=True, notify=True):
    """Move a record or a list entry by ``action``; the only writer of their states."""
    session = session or db.session
    moment = moment or now()
    table, _user_actions = _table_of(subject)
    labels = _status_labels(subject)
    if action not in table:
        raise DomainError(_("Unknown operation: %(action)s", action=action))
    sources, target, who, need_reason = table[action]
    refusal = _may(who, subject, actor, session)
    if refusal:
        raise DomainError(refusal)
    if subject.status not in sources:
        raise DomainError(_("A record that is %(status)s cannot be %(action)s.",
                            status=label_of(labels, subject.status), action=action_label(action)))
    if action == "return" and getattr(subject, "origin", None) == Operation.SYSTEM:
        raise DomainError(_("A record proposed by the system cannot be returned; approve it or do not approve it."))
    reason = _clean_reason(reason, need_reason)
    from_status = subject.status
    kind = "record" if isinstance(subject, CreditRecord) else "list"
    try:
        with session.no_autoflush:
            subject.status = target
            _apply(kind, subject, action, actor, reason, moment, session)
            _event(kind, subject, action, from_status, subject.status, actor, reason, moment, session)
        session.flush()
    except StaleDataError:
        session.rollback()
        raise DomainError(_("This record was handled by someone else meanwhile; please reload it."))
    _after(kind, subject, action, from_status, reason, moment, session, recompute, notify)
    return subject


def _working_days_after(moment, days):
    return deadlines.due_at(moment, int(days), "days", "working")


def _apply(kind, subject, action, actor, reason, moment, session):
    """The dates and fields a transition sets besides the state."""
    if action in ("approve", "reject", "return", "uphold", "withdraw"):
        subject.decided_at = moment
        subject.decider_id = getattr(actor, "id", None)
    if action in ("return", "reject") and kind == "record":
        subject.reason = reason
    if action == "approve":
        days = get_param("credit.record_publicity_days" if kind == "record" else "credit.list_publicity_days")
        subject.publicity_from = moment
        subject.publicity_until = _working_days_after(moment, days)
    elif action == "resubmit":
        subject.submitted_at = moment
        subject.reason = None
    elif action == "uphold" and subject.publicity_until is not None and subject.publicity_until <= moment:
        # The objection was decided after the publicity ended: the record takes effect now.
        _take_effect(kind, subject, subject.publicity_until if kind == "record" else moment, moment)
        subject.status = RecordStatus.EFFECTIVE if kind == "record" else ListStatus.EFFECTIVE
    elif action == "take_effect":
        _take_effect(kind, subject, subject.publicity_until or moment, moment)
    elif action in ("revoke", "withdraw"):
        if kind == "record":
            subject.reason = reason
        else:
            subject.end_reason, subject.ended_at = reason, moment
    elif action in ("cancel", "expire", "repair") and kind == "list":
        subject.end_reason = reason if action != "expire" else subject.end_reason
        subject.ended_at = moment
        if action == "repair":
            subject.valid_until = moment


def _take_effect(kind, subject, start, moment):
    if kind == "record":
        months = subject.rule.validity_months if subject.rule else 12
        subject.effective_from = start
        subject.effective_until = deadlines.add_cycle(start, months, "month")
    else:
        subject.valid_from = start
        subject.valid_until = deadlines.add_cycle(start, subject.valid_months, "month")


def _after(kind, subject, action, from_status, reason, moment, session, recompute=True, notify=True):
    """Scores and notices after a transition (inside the same transaction)."""
    from app.credit import scoring

    if recompute and kind == "record" and RecordStatus.EFFECTIVE in (from_status, subject.status):
        scoring.recompute([subject.org_id], _("Credit record %(number)s: %(action)s",
                                              number=subject.number, action=action_label(action)),
                          moment=moment, session=session)
    if notify:
        _tell_enterprise(kind, subject, action, reason, session)


# --- notices ---------------------------------------------------------------------------------

_RECORD_NEWS = {
    "approve": _l("Credit record %(number)s about your enterprise is in publicity until %(until)s; you may object until then."),
    "take_effect": _l("Credit record %(number)s about your enterprise has taken effect."),
    "uphold": _l("Your objection to credit record %(number)s was not upheld: %(reason)s"),
    "withdraw": _l("Your objection to credit record %(number)s was upheld and the record withdrawn: %(reason)s"),
    "revoke": _l("Credit record %(number)s about your enterprise was revoked: %(reason)s"),
    "expire": _l("Credit record %(number)s about your enterprise has expired."),
}
_LIST_NEWS = {
    "propose": _l("Your enterprise was proposed for the %(list)s (%(number)s): %(reason)s"),
    "approve": _l("Your enterprise is on the %(list)s in publicity (%(number)s) until %(until)s; you may object until then."),
    "reject": _l("The proposal to put your enterprise on the %(list)s (%(number)s) was not approved."),
    "take_effect": _l("The %(list)s entry %(number)s of your enterprise has taken effect."),
    "uphold": _l("Your objection to the %(list)s entry %(number)s was not upheld: %(reason)s"),
    "withdraw": _l("Your objection to the %(list)s entry %(number)s was upheld and the entry withdrawn: %(reason)s"),
    "cancel": _l("The %(list)s entry %(number)s of your enterprise was cancelled: %(reason)s"),
    "expire": _l("The %(list)s entry %(number)s of your enterprise has expired."),
    "repair": _l("Credit repair approved: the black list entry %(number)s of your enterprise has ended."),
}


def record_link(record):
    return f"/credit/records/show/{record.id}"


def list_link(entry):
    return f"/credit/lists/show/{entry.id}"


def _tell_enterprise(kind, subject, action, reason, session):
    template = (_RECORD_NEWS if kind == "record" else _LIST_NEWS).get(action)
    if template is None:
        return
    until = subject.publicity_until.strftime("%Y-%m-%d %H:%M") if subject.publicity_until else ""
    text = str(template) % {"number": subject.number, "until": until, "reason": reason or "",
                            "list": label_of(LIST_TYPE_LABELS, getattr(subject, "list_type", None))}
    link = record_link(subject) if kind == "record" else list_link(subject)
    tell(subject.org_id, text, link, (f"credit_{kind}", subject.id), session)


_MANY_NEWS = {
    ("record", "take_effect"): _l("%(n)s credit records about your enterprise have taken effect: %(numbers)s"),
    ("record", "expire"): _l("%(n)s credit records about your enterprise have expired: %(numbers)s"),
    ("list", "take_effect"): _l("%(n)s red or black list entries of your enterprise have taken effect: %(numbers)s"),
    ("list", "expire"): _l("%(n)s red or black list entries of your enterprise have expired: %(numbers)s"),
}
SHOWN_NUMBERS = 5


def tell_many(kind, action, subjects, session=None):
    """The scheduled job's news to one enterprise: one notice (and SMS) per enterprise and step,
    naming the records, instead of one per record."""
    if not subjects:
        return
    if len(subjects) == 1 or (kind, action) not in _MANY_NEWS:
        for subject in subjects:
            _tell_enterprise(kind, subject, action, None, session)
        return
    numbers = "、".join(s.number for s in subjects[:SHOWN_NUMBERS]) + ("……" if len(subjects) > SHOWN_NUMBERS else "")
    text = str(_MANY_NEWS[(kind, action)]) % {"n": len(subjects), "numbers": numbers}
    tell(subjects[0].org_id, text, "/credit/records/list/" if kind == "record" else "/credit/lists/list/",
         (f"credit_{kind}", subjects[0].id), session)


def tell(org_id, text, link=None, source=None, session=None):
    """A console notice to the enterprise and an SMS to its contact mobile (an SMS that cannot
    be sent is logged in the outbox and never undoes the decision)."""
    session = session or db.session
    notices.notify(org_id, text, link=link, source=source, session=session)
    org = session.get(Organization, org_id)
    mobile = getattr(org, "contact_mobile", None)
    if mobile:
        try:
            with session.begin_nested():
                sms.send_sms(mobile, "notice", session=session, text=text)
        except DomainError as exc:
            log.info("credit SMS to org %s not sent: %s", org_id, exc)


def new_number(prefix, moment=None, session=None):
    day = (moment or now()).strftime("%Y%m%d")
    return f"{prefix}{day}{next_value(f'credit:{prefix}{day}', session=session):04d}"


# --- objections -----------------------------------------------------------------------------------

def object_to(subject, actor, reason, files=None, session=None, moment=None):
    """异议: the enterprise objects to a record or list entry in publicity."""
    session = session or db.session
    moment = moment or now()
    kind = "record" if isinstance(subject, CreditRecord) else "list"
    reason = _clean_reason(reason, True)
    refusal = _may(ENTERPRISE, subject, actor, session)
    if refusal:
        raise DomainError(refusal)
    if subject.publicity_until is not None and subject.publicity_until <= moment:
        raise DomainError(_("The publicity ended on %(until)s; objections are no longer accepted.",
                            until=subject.publicity_until.strftime("%Y-%m-%d %H:%M")))
    already = session.execute(select(CreditObjection.id).where(
        CreditObjection.subject_type == kind, CreditObjection.subject_id == subject.id)).first()
    if already is not None:
        raise DomainError(_("An objection to this has already been made; only one objection is accepted."))
    transition(subject, "object", actor, reason, moment=moment, session=session)
    objection = CreditObjection(number=new_number("YY", moment, session), subject_type=kind, subject_id=subject.id,
                                org_id=subject.org_id, region_code=subject.region_code, reason=reason,
                                status=DecisionStatus.PENDING, applicant_id=actor.id,
                                applicant_name=_actor_name(actor), created_on=moment)
    session.add(objection)
    session.flush()
    _event("objection", objection, "object", None, DecisionStatus.PENDING, actor, reason, moment, session)
    if files:
        uploads.save_many(files, label=str(_l("Objection materials")), owner=objection, user=actor)
    return objection


def pending_objection(subject, session=None):
    session = session or db.session
    kind = "record" if isinstance(subject, CreditRecord) else "list"
    return session.execute(select(CreditObjection).where(
        CreditObjection.subject_type == kind, CreditObjection.subject_id == subject.id,
        CreditObjection.status == DecisionStatus.PENDING).order_by(CreditObjection.id.desc()).limit(1)
    ).scalars().first()


def act(subject, action, actor, reason=None, session=None, moment=None):
    """A user's action on a record or list entry, from a screen or the API: only the actions
    users take (RECORD_USER_ACTIONS / LIST_USER_ACTIONS); the outcome of an objection (uphold,
    withdraw) goes through :func:`decide_objection`, so the objection records it too."""
    session = session or db.session
    _table, user_actions = _table_of(subject)
    if action not in user_actions:
        raise DomainError(_("Unknown operation: %(action)s", action=str(action)[:40]))
    if action in ("uphold", "withdraw"):
        objection = pending_objection(subject, session)
        if objection is not None:
            decide_objection(objection, action == "withdraw", actor, reason, session=session, moment=moment)
            return subject
    return transition(subject, action, actor, reason, moment=moment, session=session)


def subject_of(objection, session=None):
    session = session or db.session
    model = CreditRecord if objection.subject_type == "record" else CreditListEntry
    return session.get(model, objection.subject_id)


def decide_objection(objection, upheld, actor, reason, session=None, moment=None):
    """The reviewer decides: an upheld objection withdraws the record or entry, otherwise it
    stands (back in publicity, or in effect when the publicity has ended)."""
    session = session or db.session
    moment = moment or now()
    if objection.status != DecisionStatus.PENDING:
        raise DomainError(_("This objection has already been decided."))
    subject = subject_of(objection, session)
    transition(subject, "withdraw" if upheld else "uphold", actor, reason, moment=moment, session=session)
    objection.status = DecisionStatus.ACCEPTED if upheld else DecisionStatus.REJECTED
    objection.decided_at, objection.decider_id = moment, actor.id
    objection.decision_reason = _clean_reason(reason, True)
    _event("objection", objection, "withdraw" if upheld else "uphold", DecisionStatus.PENDING, objection.status,
           actor, reason, moment, session)
    session.flush()
    return objection


# --- scope helpers for views and the API ------------------------------------------------------

def enterprise_visibility(model, user):
    """An extra clause for enterprise users: their records and entries only once decided and
    public (None for everyone else)."""
    if not is_enterprise_user(user) or user_scope(user).level == SCOPE_ALL:
        return None
    if model is CreditRecord:
        return CreditRecord.status.in_(RECORD_VISIBLE_TO_ENTERPRISE)
    if model is CreditListEntry:
        return CreditListEntry.status.in_(LIST_VISIBLE_TO_ENTERPRISE)
    return None


def region_clause(column, user):
    scope = user_scope(user)
    if scope.level == SCOPE_REGION and scope.region_prefix:
        return prefix_range(column, scope.region_prefix)
    return None
