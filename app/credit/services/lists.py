"""红黑名单 and 信用修复: proposals (by gov_admin or the daily job), the enterprise's entries in
publicity or in effect (warnings, lookups), and credit repair: who may apply when, and the decision.
The entries' states move through :func:`app.credit.services.states.transition`."""
import logging
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from app.core import uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.credit.models import CreditListEntry, CreditRepair, DecisionStatus, ListStatus, ListType, Operation
from app.extensions import db
from app.system.params import get_param

log = logging.getLogger(__name__)

from app.credit.services.states import (
    ADMIN_ROLES, DECIDER, ENTERPRISE, LIST_STATUS_LABELS, LIST_TYPE_LABELS, MAX_TEXT, _actor_name, _apply,
    _clean_reason, _event, _may, _tell_enterprise, has_role, label_of, new_number, tell,
)

from app.credit.services.intake import _enterprise, _rule_by_id

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

