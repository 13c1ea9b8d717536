"""How credit records come in: 记分申请 by government staff (:func:`propose_record`, changed and
resubmitted with :func:`amend_record`) and the one idempotent entry point for other modules
(:func:`feed`), which the overdue complaints use (:func:`consume_complaint_proposals`). Both wait
for the same review (app/credit/services/states.py)."""
import logging
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import user_scope
from app.credit.models import CreditRecord, CreditRule, Operation, RecordStatus
from app.extensions import db
from app.security.roles import SCOPE_ALL, SCOPE_REGION
from app.system.models import Organization, OrgType, region_prefix
from app.system.params import get_param

log = logging.getLogger(__name__)

from app.credit.services.states import (
    EVIDENCE_LABEL, MAX_TEXT, OPERATION_LABELS, PROPOSER_ROLES, _actor_name, _event, has_role, label_of,
    new_number,
    transition,
)

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

