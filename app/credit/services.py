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

Other modules feed records through :func:`feed` (one source type and key gives at most one
record, also from two sessions at once). Scores and levels: app/credit/scoring.py.
Every function takes the acting user (None for the scheduled job) and raises DomainError
with a Chinese message. The caller commits.
"""
import logging
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
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
    CreditRule,
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
from app.system.models import Organization, OrgType, region_prefix
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


# --- rules, as records need them ---------------------------------------------------------

def current_rule(code, session=None):
    session = session or db.session
    return session.execute(select(CreditRule).where(CreditRule.code == code, CreditRule.is_current.is_(True))
                           ).scalars().first()


def _usable_rule(rule, on_day, operation=None):
    if rule is None:
        raise DomainError(_("Please choose a scoring standard."))
    if not rule.is_current:
        raise DomainError(_("Scoring standard %(code)s has a newer version; please choose it again.", code=rule.code))
    if not rule.enabled:
        raise DomainError(_("Scoring standard %(code)s is disabled.", code=rule.code))
    if operation and rule.operation != operation:
        raise DomainError(_("Scoring standard %(code)s is for %(op)s only.", code=rule.code,
                            op=label_of(OPERATION_LABELS, rule.operation)))
    if rule.effective_from and on_day < rule.effective_from or rule.effective_to and on_day > rule.effective_to:
        raise DomainError(_("Scoring standard %(code)s was not in force on %(day)s.", code=rule.code,
                            day=on_day.isoformat()))


def check_score(rule, score):
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise DomainError(_("The score must be a whole number."))
    if value < rule.min_score or value > rule.max_score:
        raise DomainError(_("The score must be between %(min)s and %(max)s for scoring standard %(code)s.",
                            min=rule.min_score, max=rule.max_score, code=rule.code))
    return value


def _parse_day(value, label):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise DomainError(_("Please fill in %(field)s.", field=label))
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise DomainError(_("%(field)s must be a date such as 2026-05-01.", field=label))


def _facts(value):
    text = (value or "").strip()
    if not text:
        raise DomainError(_("Please describe the facts."))
    if len(text) > MAX_TEXT:
        raise DomainError(_("The facts may be at most %(n)s characters.", n=MAX_TEXT))
    return text


# --- records ----------------------------------------------------------------------------------

def _enterprise(org_id, session):
    try:
        org = session.get(Organization, int(org_id))
    except (TypeError, ValueError):
        org = None
    if org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Please choose an enterprise."))
    if not org.active:
        raise DomainError(_("Enterprise %(name)s is not active.", name=org.name))
    return org


def in_reach(user, org):
    """May ``user`` propose about ``org``? City-wide users always; district and street staff
    for enterprises of their district (the enterprise's region and theirs on one line)."""
    scope = user_scope(user)
    if scope.level == SCOPE_ALL:
        return True
    if scope.level != SCOPE_REGION or not scope.region_prefix:
        return False
    theirs = region_prefix(org.region_code or "") or ""
    mine = scope.region_prefix
    return bool(theirs) and (theirs.startswith(mine) or mine.startswith(theirs))


def _record_region(user, org):
    own = getattr(getattr(user, "org", None), "region_code", None)
    if own and org.region_code and own.startswith(org.region_code) and len(own) > len(org.region_code):
        return own                     # a street's own proposal stays visible to the street
    return org.region_code or own or ""


def new_number(prefix, moment=None, session=None):
    day = (moment or now()).strftime("%Y%m%d")
    return f"{prefix}{day}{next_value(f'credit:{prefix}{day}', session=session):04d}"


def propose_record(actor, data, files=None, session=None, moment=None):
    """记分申请: a rule applied to an enterprise, waiting for a reviewer."""
    session = session or db.session
    moment = moment or now()
    if actor is None or not has_role(actor, PROPOSER_ROLES):
        raise DomainError(_("Only city, district or street staff may apply for scoring."))
    org = _enterprise(data.get("org_id"), session)
    if not in_reach(actor, org):
        raise DomainError(_("Enterprise %(name)s is outside your region.", name=org.name))
    rule = _rule_by_id(data.get("rule_id"), session)
    event_date = _parse_day(data.get("event_date"), _("Date of the event"))
    if event_date > moment.date():
        raise DomainError(_("The date of the event cannot be later than today."))
    _usable_rule(rule, event_date, Operation.MANUAL)
    score = check_score(rule, data.get("score") if data.get("score") not in (None, "") else rule.suggested_score)
    record = CreditRecord(
        number=new_number("XY", moment, session), org_id=org.id, region_code=_record_region(actor, org),
        rule_id=rule.id, score_type=rule.score_type, score=score, severity=rule.severity,
        facts=_facts(data.get("facts")), event_date=event_date, status=RecordStatus.REVIEW,
        origin=Operation.MANUAL, applicant_id=actor.id, applicant_name=_actor_name(actor), submitted_at=moment)
    session.add(record)
    session.flush()
    _event("record", record, "submit", None, RecordStatus.REVIEW, actor, None, moment, session)
    if files:
        uploads.save_many(files, label=str(EVIDENCE_LABEL), owner=record, user=actor)
    return record


def _rule_by_id(rule_id, session):
    try:
        return session.get(CreditRule, int(rule_id))
    except (TypeError, ValueError):
        return None


def amend_record(record, actor, data, files=None, session=None, moment=None):
    """The applicant changes a returned 记分申请 and resubmits it."""
    session = session or db.session
    moment = moment or now()
    if record.status != RecordStatus.RETURNED:
        raise DomainError(_("Only a returned application can be changed."))
    if actor is None or record.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may do this."))
    rule = record.rule
    if data.get("rule_id") not in (None, "") and str(data.get("rule_id")) != str(record.rule_id):
        rule = _rule_by_id(data.get("rule_id"), session)
    event_date = _parse_day(data.get("event_date") or record.event_date, _("Date of the event"))
    if event_date > moment.date():
        raise DomainError(_("The date of the event cannot be later than today."))
    _usable_rule(rule, event_date, Operation.MANUAL)
    record.rule_id, record.score_type, record.severity = rule.id, rule.score_type, rule.severity
    record.rule = rule
    record.score = check_score(rule, data.get("score") if data.get("score") not in (None, "") else record.score)
    record.facts = _facts(data.get("facts") if data.get("facts") is not None else record.facts)
    record.event_date = event_date
    if files:
        uploads.save_many(files, label=str(EVIDENCE_LABEL), owner=record, user=actor)
    return transition(record, "resubmit", actor, moment=moment, session=session)


def feed(source_type, source_key, org_id, rule_code, facts, event_date=None, region_code=None, score=None,
         session=None, moment=None):
    """The one entry point for records proposed by other modules (overdue complaints, overdue
    filings, good-behaviour declarations, surveys): one record per (source type, key), waiting
    for the same review as a 记分申请. Returns ``(record, created)``; a second call, also from
    another session at the same time, returns the first record and ``False``."""
    session = session or db.session
    moment = moment or now()
    source_type, source_key = str(source_type)[:32], str(source_key)[:64]

    def existing():
        return session.execute(select(CreditRecord).where(CreditRecord.source_type == source_type,
                                                          CreditRecord.source_key == source_key)).scalars().first()

    found = existing()
    if found is not None:
        return found, False
    rule = current_rule(rule_code, session)
    if rule is None:
        raise DomainError(_("Scoring standard %(code)s does not exist.", code=rule_code))
    day = _parse_day(event_date or moment.date(), _("Date of the event"))
    _usable_rule(rule, day)
    org = session.get(Organization, org_id)
    if org is None:
        raise DomainError(_("Please choose an enterprise."))
    value = rule.suggested_score if score is None else min(max(int(score), rule.min_score), rule.max_score)
    record = CreditRecord(
        number=new_number("XY", moment, session), org_id=org.id, region_code=region_code or org.region_code or "",
        rule_id=rule.id, score_type=rule.score_type, score=value, severity=rule.severity,
        facts=_facts(facts)[:MAX_TEXT], event_date=day, status=RecordStatus.REVIEW, origin=Operation.SYSTEM,
        source_type=source_type, source_key=source_key, applicant_name=str(_("System (automatic)")), submitted_at=moment)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # Another session fed the same source first.
        found = existing()
        if found is None:
            raise
        return found, False
    _event("record", record, "submit", None, RecordStatus.REVIEW, None, None, moment, session)
    return record, True


def consume_complaint_proposals(session=None, moment=None, batch=500):
    """信用扣分建议 of the complaints module become records waiting for review, each once."""
    from app.complaints import services as complaints

    session = session or db.session
    moment = moment or now()
    code = get_param("credit.complaint_overdue_rule")
    if current_rule(code, session) is None:
        log.warning("credit rule %s for overdue complaints is missing; proposals wait", code)
        return 0
    total = 0
    while True:
        proposals = complaints.open_credit_proposals(limit=batch, session=session)
        if not proposals:
            break
        done = []
        for p in proposals:
            if p.org_id is None:
                done.append(p.id)
                continue
            feed(f"{p.source_type}_{p.reason_code}", str(p.source_id), p.org_id, code, p.reason,
                 event_date=p.created_on.date(), region_code=p.region_code, score=p.points,
                 session=session, moment=moment)
            done.append(p.id)
            total += 1
        complaints.mark_credit_proposals(done, "consumed", session=session)
        session.commit()
    return total


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


# --- red and black lists ----------------------------------------------------------------------

def _valid_months(list_type, value):
    if value in (None, ""):
        return get_param("credit.black_default_months" if list_type == ListType.BLACK
                         else "credit.red_default_months")
    try:
        months = int(str(value).strip())
    except ValueError:
        raise DomainError(_("The validity must be a whole number of months."))
    if list_type == ListType.BLACK:
        low, high = get_param("credit.black_min_months"), get_param("credit.black_max_months")
    else:
        low, high = 1, get_param("credit.black_max_months")
    if not low <= months <= high:
        raise DomainError(_("The validity must be between %(min)s and %(max)s months.", min=low, max=high))
    return months


def open_entry(org_id, list_type, session=None):
    session = session or db.session
    return session.execute(select(CreditListEntry).where(
        CreditListEntry.org_id == org_id, CreditListEntry.list_type == list_type,
        CreditListEntry.status.in_(ListStatus.OPEN)).limit(1)).scalars().first()


def propose_list_entry(actor, data, session=None, moment=None, source_key=None):
    """A red or black list proposal: by gov_admin (``actor``) or by the job (``actor`` None)."""
    session = session or db.session
    moment = moment or now()
    if actor is not None and not has_role(actor, ADMIN_ROLES):
        raise DomainError(_("Only a city administrator may propose red or black list entries."))
    list_type = data.get("list_type")
    if list_type not in ListType.ALL:
        raise DomainError(_("Please choose the red list or the black list."))
    org = _enterprise(data.get("org_id"), session)
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise DomainError(_("Please give the reason for listing."))
    if len(reason) > MAX_TEXT:
        raise DomainError(_("The reason may be at most %(n)s characters.", n=MAX_TEXT))
    current = open_entry(org.id, list_type, session)
    if current is not None:
        raise DomainError(_("%(name)s already has a %(list)s entry %(number)s that is %(status)s.",
                            name=org.name, list=label_of(LIST_TYPE_LABELS, list_type), number=current.number,
                            status=label_of(LIST_STATUS_LABELS, current.status)))
    rule = _rule_by_id(data.get("rule_id"), session) if data.get("rule_id") not in (None, "") else None
    entry = CreditListEntry(
        number=new_number("HM" if list_type == ListType.BLACK else "HS", moment, session), org_id=org.id,
        region_code=org.region_code or "", list_type=list_type, reason=reason,
        basis=((data.get("basis") or "").strip() or None), rule_id=rule.id if rule else None,
        record_ids=data.get("record_ids"), status=ListStatus.PROPOSED,
        origin=Operation.MANUAL if actor is not None else Operation.SYSTEM, source_key=source_key,
        valid_months=_valid_months(list_type, data.get("valid_months")),
        applicant_id=getattr(actor, "id", None), applicant_name=_actor_name(actor), submitted_at=moment)
    session.add(entry)
    session.flush()
    _event("list", entry, "propose", None, ListStatus.PROPOSED, actor, None, moment, session)
    _tell_enterprise("list", entry, "propose", reason, session)
    return entry


def active_entries(org_id, session=None, statuses=ListStatus.PUBLIC):
    """The enterprise's red/black entries in publicity or in effect (warnings, lookups)."""
    session = session or db.session
    return session.execute(select(CreditListEntry).where(
        CreditListEntry.org_id == org_id, CreditListEntry.status.in_(statuses))
        .order_by(CreditListEntry.id.desc())).scalars().all()


def is_blacklisted(org_id, session=None):
    session = session or db.session
    return session.execute(select(exists().where(
        CreditListEntry.org_id == org_id, CreditListEntry.list_type == ListType.BLACK,
        CreditListEntry.status == ListStatus.EFFECTIVE))).scalar()


def blacklist_warning(org_id, session=None):
    """The warning a reviewer sees on a business application of a black-listed enterprise."""
    if not org_id:
        return None
    session = session or db.session
    entry = session.execute(select(CreditListEntry).where(
        CreditListEntry.org_id == org_id, CreditListEntry.list_type == ListType.BLACK,
        CreditListEntry.status == ListStatus.EFFECTIVE).limit(1)).scalars().first()
    if entry is None:
        return None
    return _("This enterprise is on the black list (%(number)s, until %(until)s): %(reason)s",
             number=entry.number, until=entry.valid_until.strftime("%Y-%m-%d") if entry.valid_until else "-",
             reason=entry.reason)


# --- credit repair ------------------------------------------------------------------------------

def repair_refusal(entry, actor, session=None, moment=None):
    """None when the enterprise may apply for credit repair of ``entry`` now, else why not."""
    session = session or db.session
    moment = moment or now()
    refusal = _may(ENTERPRISE, entry, actor, session)
    if refusal:
        return refusal
    if entry.list_type != ListType.BLACK:
        return _("Credit repair applies to black list entries only.")
    if entry.status != ListStatus.EFFECTIVE:
        return _("Credit repair is possible only for an entry in effect; this one is %(status)s.",
                 status=label_of(LIST_STATUS_LABELS, entry.status))
    days = get_param("credit.repair_min_days")
    allowed_from = (entry.valid_from or moment) + timedelta(days=days)
    if moment < allowed_from:
        return _("Credit repair may be applied for %(days)s days after the entry took effect, from %(day)s.",
                 days=days, day=allowed_from.strftime("%Y-%m-%d"))
    pending = session.execute(select(CreditRepair.number).where(
        CreditRepair.entry_id == entry.id, CreditRepair.status == DecisionStatus.PENDING)).scalar()
    if pending:
        return _("Credit repair application %(number)s is already waiting for review.", number=pending)
    return None


def apply_repair(entry, actor, statement, files=None, session=None, moment=None):
    """信用修复: the black-listed enterprise applies with its rectification and evidence."""
    session = session or db.session
    moment = moment or now()
    refusal = repair_refusal(entry, actor, session, moment)
    if refusal:
        raise DomainError(refusal)
    statement = (statement or "").strip()
    if not statement:
        raise DomainError(_("Please describe the rectification."))
    if len(statement) > MAX_TEXT:
        raise DomainError(_("The rectification may be at most %(n)s characters.", n=MAX_TEXT))
    repair = CreditRepair(number=new_number("XF", moment, session), entry_id=entry.id, org_id=entry.org_id,
                          region_code=entry.region_code, statement=statement, status=DecisionStatus.PENDING,
                          applicant_id=actor.id, applicant_name=_actor_name(actor), created_on=moment)
    session.add(repair)
    session.flush()
    _event("repair", repair, "apply_repair", None, DecisionStatus.PENDING, actor, None, moment, session)
    _event("list", entry, "apply_repair", entry.status, entry.status, actor, None, moment, session)
    if files:
        uploads.save_many(files, label=str(_l("Rectification evidence")), owner=repair, user=actor)
    return repair


def decide_repair(repair, approve, actor, reason=None, session=None, moment=None):
    """The reviewer approves (the entry ends now) or refuses (with a reason) a repair."""
    session = session or db.session
    moment = moment or now()
    entry = session.get(CreditListEntry, repair.entry_id)
    refusal = _may(DECIDER, repair, actor, session)
    if refusal:
        raise DomainError(refusal)
    if repair.status != DecisionStatus.PENDING:
        raise DomainError(_("This credit repair application has already been decided."))
    reason = _clean_reason(reason, not approve)
    repair.status = DecisionStatus.ACCEPTED if approve else DecisionStatus.REJECTED
    repair.decided_at, repair.decider_id, repair.decision_reason = moment, actor.id, reason
    action = "repair_approve" if approve else "repair_reject"
    _event("repair", repair, action, DecisionStatus.PENDING, repair.status, actor, reason, moment, session)
    if approve:
        if entry.status != ListStatus.EFFECTIVE:
            raise DomainError(_("The entry is no longer in effect; nothing to repair."))
        from_status = entry.status
        entry.status = ListStatus.REPAIRED
        _apply("list", entry, "repair", actor, reason, moment, session)
        _event("list", entry, "repair", from_status, entry.status, actor, reason, moment, session)
        session.flush()
        _tell_enterprise("list", entry, "repair", reason, session)
        from app.credit import scoring

        scoring.note(entry.org_id, _("Credit repair %(number)s approved; black list entry %(entry)s ended.",
                                     number=repair.number, entry=entry.number), moment=moment, session=session)
    else:
        tell(repair.org_id, _("Credit repair application %(number)s was not approved: %(reason)s",
                              number=repair.number, reason=reason), f"/credit/repairs/show/{repair.id}",
             ("credit_repair", repair.id), session)
    session.flush()
    return repair


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
