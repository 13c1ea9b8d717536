"""Complaint rules (需求及建议, SPEC §8, seed 003 §12-§13): submission, routing, the state
machine, evaluation, automatic closing and escalation of overdue complaints.

States and who moves them::

    待处理 ──接收处理(项目负责人)──▶ 处理中 ──完成处理 / 拒绝处理──▶ 待评价 ──评价──▶ 已结束
      │                               ▲                          │
      │   街道/区局: 待进一步处理, 待补充处理, 街道/区局指导 (each with a note)
      │                                                          └─ 7 days without evaluation: 已结束
      └─ 撤销 (the complainant, before completion) ──▶ 已撤销

* 拒绝处理 is allowed from 待处理 too (seed 003 §12: 接收处理 or 拒绝处理).
* 待补充处理 may also be asked of a 待评价 complaint, before the complainant evaluates it.
* The query condition 处理状态 (seed 003 §13) groups the states into stages: 处理中 covers
  处理中, 待进一步处理, 待补充处理 and 街道/区局指导. ``stage`` is stored beside ``status``.
* Completion is due ``deadline.complaint_days`` after submission (calendar or working days,
  app/core/deadlines.py), stored at submission. The scheduled job ``complaints.escalate``
  flags what is overdue and still open, once per complaint: an event, a notice (and SMS)
  to the street, and a credit-deduction proposal for the enterprise.

Two kinds of request (``Kind``), one engine (number, SMS, deadline, states, evaluation):

* 物业 (property): about a property management area, routed to it (:func:`submit`) and handled
  by its project lead, with the street and district intervening;
* 租赁维权 (rental, seed 000 用户维权): about a rental enterprise or agency, routed by the rental
  module (app/rental/rights/services.py) through :func:`file_request` to the district of the
  property. The district's staff (role ``district`` of that district) 接收处理 / 完成处理 /
  拒绝处理; there is no intervention step (the district is the handler); the enterprise reads
  it (its data scope) and gets a notice on arrival; the street of the property reads it. An
  overdue rental complaint is flagged like the others but escalated to the city (a notice to
  the city's housing authority) and yields no credit-deduction proposal: the enterprise is
  complained about, not the handler that missed the deadline.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from functools import wraps

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm.exc import StaleDataError

from app.complaints.models import Complaint, ComplaintEvent, CreditProposal
from app.core import deadlines, notices, sequences, sms, uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.extensions import db
from app.property.models import PropertyArea
from app.system.params import get_param


class Kind:
    PROPERTY = "property"
    RENTAL = "rental"
    ALL = (PROPERTY, RENTAL)


KIND_LABELS = {
    Kind.PROPERTY: _l("Property (request type)"),
    Kind.RENTAL: _l("Rental rights"),
}


class ComplaintStatus:
    PENDING = "pending"
    PROCESSING = "processing"
    FURTHER = "further"
    SUPPLEMENT = "supplement"
    GUIDANCE = "guidance"
    TO_EVALUATE = "to_evaluate"
    CLOSED = "closed"
    REVOKED = "revoked"
    ALL = (PENDING, PROCESSING, FURTHER, SUPPLEMENT, GUIDANCE, TO_EVALUATE, CLOSED, REVOKED)
    IN_HAND = (PROCESSING, FURTHER, SUPPLEMENT, GUIDANCE)
    OPEN = (PENDING, *IN_HAND)          # the deadline clock runs


class Stage:
    PENDING = "pending"
    PROCESSING = "processing"
    TO_EVALUATE = "to_evaluate"
    CLOSED = "closed"
    REVOKED = "revoked"
    ALL = (PENDING, PROCESSING, TO_EVALUATE, CLOSED, REVOKED)
    OPEN = (PENDING, PROCESSING)


STATUS_LABELS = {
    ComplaintStatus.PENDING: _l("Pending"),
    ComplaintStatus.PROCESSING: _l("Processing"),
    ComplaintStatus.FURTHER: _l("Awaiting further handling"),
    ComplaintStatus.SUPPLEMENT: _l("Awaiting supplementary handling"),
    ComplaintStatus.GUIDANCE: _l("Street/district guidance"),
    ComplaintStatus.TO_EVALUATE: _l("Awaiting evaluation"),
    ComplaintStatus.CLOSED: _l("Closed"),
    ComplaintStatus.REVOKED: _l("Revoked"),
}
STAGE_LABELS = {
    Stage.PENDING: _l("Pending"),
    Stage.PROCESSING: _l("Processing"),
    Stage.TO_EVALUATE: _l("Awaiting evaluation"),
    Stage.CLOSED: _l("Closed"),
    Stage.REVOKED: _l("Revoked"),
}
STAGE_OF = {
    ComplaintStatus.PENDING: Stage.PENDING,
    ComplaintStatus.PROCESSING: Stage.PROCESSING,
    ComplaintStatus.FURTHER: Stage.PROCESSING,
    ComplaintStatus.SUPPLEMENT: Stage.PROCESSING,
    ComplaintStatus.GUIDANCE: Stage.PROCESSING,
    ComplaintStatus.TO_EVALUATE: Stage.TO_EVALUATE,
    ComplaintStatus.CLOSED: Stage.CLOSED,
    ComplaintStatus.REVOKED: Stage.REVOKED,
}


class Action:
    SUBMIT = "submit"
    ACCEPT = "accept"
    COMPLETE = "complete"
    REFUSE = "refuse"
    FURTHER = "further"
    SUPPLEMENT = "supplement"
    GUIDE = "guide"
    REVOKE = "revoke"
    EVALUATE = "evaluate"
    AUTO_CLOSE = "auto_close"
    ESCALATE = "escalate"
    LEAD = (ACCEPT, COMPLETE, REFUSE)
    INTERVENE = (FURTHER, SUPPLEMENT, GUIDE)
    COMPLAINANT = (REVOKE, EVALUATE)
    NEED_NOTE = (COMPLETE, REFUSE, FURTHER, SUPPLEMENT, GUIDE)


ACTION_LABELS = {
    Action.SUBMIT: _l("Submit"),
    Action.ACCEPT: _l("Accept for handling"),
    Action.COMPLETE: _l("Complete handling"),
    Action.REFUSE: _l("Refuse handling"),
    Action.FURTHER: _l("Require further handling"),
    Action.SUPPLEMENT: _l("Require supplementary handling"),
    Action.GUIDE: _l("Give guidance"),
    Action.REVOKE: _l("Revoke"),
    Action.EVALUATE: _l("Evaluate"),
    Action.AUTO_CLOSE: _l("Closed automatically"),
    Action.ESCALATE: _l("Escalated as overdue"),
}
NOTE_LABELS = {
    Action.COMPLETE: _l("Handling result"),
    Action.REFUSE: _l("Reason for refusal"),
    Action.FURTHER: _l("Note"),
    Action.SUPPLEMENT: _l("Note"),
    Action.GUIDE: _l("Guidance"),
}

S = ComplaintStatus
TRANSITIONS = {
    Action.ACCEPT: ((S.PENDING,), S.PROCESSING),
    Action.COMPLETE: (S.IN_HAND, S.TO_EVALUATE),
    Action.REFUSE: ((S.PENDING, *S.IN_HAND), S.TO_EVALUATE),
    Action.FURTHER: ((S.PENDING, S.PROCESSING, S.SUPPLEMENT, S.GUIDANCE), S.FURTHER),
    Action.SUPPLEMENT: ((S.PROCESSING, S.FURTHER, S.GUIDANCE, S.TO_EVALUATE), S.SUPPLEMENT),
    Action.GUIDE: ((S.PENDING, S.PROCESSING, S.FURTHER, S.SUPPLEMENT), S.GUIDANCE),
    Action.REVOKE: (S.OPEN, S.REVOKED),
    Action.EVALUATE: ((S.TO_EVALUATE,), S.CLOSED),
}

# Roles that may intervene (their data scope decides which complaints).
INTERVENER_ROLES = ("street", "district")
MAX_NOTE = 2000
MAX_CONTENT = 2000


def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def kind_label(code):
    return str(KIND_LABELS.get(code, code or ""))


def stage_label(code):
    return str(STAGE_LABELS.get(code, code or ""))


def action_label(code):
    return str(ACTION_LABELS.get(code, code or ""))


def accept_reply(locale=None):
    """The fixed reply sent on 接收处理 (seed 003 §12: the page's text cannot be changed).
    The page shows it in the user's language; the SMS and the history keep it in Chinese."""
    if locale:
        with force_locale(locale):
            return accept_reply()
    return _("Your request has been received and is being handled; we will reply when it is done.")


def _in_chinese(fn):
    """Texts a function stores (history notes, proposals, notices) are Chinese records,
    whatever the language of the user or job that triggers it."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        with force_locale("zh"):
            return fn(*args, **kwargs)
    return wrapper


def remaining(complaint, moment=None):
    """剩余处理时间 as shown in lists: remaining or overdue time while open, else '-'."""
    if complaint.stage not in Stage.OPEN or complaint.due_at is None:
        return "-"
    return deadlines.remaining_text(complaint.due_at, moment)


# --- submission -----------------------------------------------------------------------------

def area_by_code(public_code):
    if not public_code:
        return None
    return db.session.execute(select(PropertyArea).where(PropertyArea.public_code == public_code)).scalars().first()


def area_problem(area):
    """Why an area cannot take complaints now, or None (seed 003 §9: 码上办 needs a project
    lead with an account who has signed in)."""
    if area is None:
        return _("Property management area: please choose an area.")
    if area.project_lead_id is None:
        return _("The area %(name)s has no project lead yet, so it cannot take requests online; "
                 "please contact the property service company or the street office.", name=area.name)
    return None


def qr_problem(area):
    """Why the area's 码上办 QR code cannot be printed yet, or None."""
    problem = area_problem(area)
    if problem:
        return problem
    lead = area.project_lead
    if lead is None or not lead.active or lead.last_login is None:
        return _("The project lead of %(name)s must sign in to the console once before the QR code can be printed.",
                 name=area.name)
    return None


def _clean_text(value, label, limit):
    text = (value or "").strip()
    if not text:
        raise DomainError(_("%(field)s: %(message)s", field=label, message=_("is required")))
    if len(text) > limit:
        raise DomainError(_("%(field)s: %(message)s", field=label,
                            message=_("at most %(n)s characters", n=limit)))
    return text


def new_number(district_code, moment, session=None):
    """Region code + date + daily sequence: 500103 20261123 0001 (unique under concurrency)."""
    day = moment.strftime("%Y%m%d")
    value = sequences.next_value(f"CP{district_code}{day}", session=session)
    return f"{district_code}{day}{value:04d}"


@dataclass(frozen=True)
class Routing:
    """Where a request goes: copied onto the complaint at submission (see models.py)."""

    kind: str
    district_code: str
    region_code: str
    org_id: int | None = None
    street_code: str | None = None
    area_id: int | None = None
    subject_number: str | None = None


def area_routing(area):
    return Routing(kind=Kind.PROPERTY, area_id=area.id, org_id=area.company_org_id,
                   district_code=area.district_code, street_code=area.street_code, region_code=area.region_code)


def submit(area, data, files=(), user=None, ip=None, moment=None):
    """File a complaint for ``area``. The mobile is verified by an SMS code unless it is the
    signed-in user's own (already verified) number. Commits. ``moment`` (the submission
    time) is for tests and data loads; pages and the API leave it to the clock."""
    problem = area_problem(area)
    if problem:
        raise DomainError(problem)
    return file_request(lambda: area_routing(area), data, files, user=user, moment=moment)


def file_request(route, data, files=(), user=None, moment=None, check=None):
    """The engine's one submission, whatever the request is about: the complainant's fields
    (姓名, 居民身份证, 电话号码, 住址, 内容), then ``check()`` (the caller's own fields, before
    the SMS code is spent), the files, the SMS code (unless the mobile is the signed-in
    user's own), then ``route()`` -> :class:`Routing` (after the mobile is proven, so a
    lookup answers only someone who holds the phone; a refusal there rolls the code back
    with the rest). Numbers, stores, attaches the files, sends the receipt SMS (and, for a
    rental complaint, a notice to the enterprise). Commits; returns the complaint."""
    from app.accounts import services as accounts

    name = accounts.clean_name(data.get("name"))
    id_number = accounts.clean_id("resident_id", data.get("id_number"))
    mobile = accounts.clean_mobile(data.get("mobile"))
    address = _clean_text(data.get("address"), _("Address"), 255)
    content = _clean_text(data.get("content"), _("Content"), MAX_CONTENT)
    if check is not None:
        check()
    files = [f for f in (files or []) if getattr(f, "filename", True)]
    for f in files:
        uploads.check(f)            # refuse a bad file before the SMS code is used up
    own_mobile = user is not None and getattr(user, "mobile", None) == mobile
    if not own_mobile:
        sms.verify_code(mobile, sms.SmsPurpose.COMPLAINT, data.get("sms_code"))
    routing = route()
    checked = uploads.save_many(files, label=str(_("Attachments"))) if files else []
    moment = moment or now()
    complaint = Complaint(
        number=new_number(routing.district_code, moment), kind=routing.kind, area_id=routing.area_id,
        org_id=routing.org_id, subject_number=routing.subject_number,
        district_code=routing.district_code, street_code=routing.street_code, region_code=routing.region_code,
        complainant_id=getattr(user, "id", None), name=name, id_number=id_number, mobile=mobile,
        address=address, content=content, status=S.PENDING, stage=Stage.PENDING,
        submitted_at=moment, due_at=deadlines.due_for("complaint", moment),
    )
    db.session.add(complaint)
    _event(complaint, Action.SUBMIT, None, S.PENDING, user, None, actor_name=name)
    db.session.flush()
    if checked:
        uploads.attach(checked, complaint)
    sms.send_sms(mobile, "complaint_received", number=complaint.number,
                 due=complaint.due_at.strftime("%Y-%m-%d %H:%M"))
    if complaint.kind == Kind.RENTAL and complaint.org_id is not None:
        _notify_enterprise(complaint)
    db.session.commit()
    return complaint


@_in_chinese
def _notify_enterprise(complaint):
    """The rental enterprise complained about learns of it in its console (it reads, the
    district handles)."""
    notices.notify(complaint.org_id, _("A complaint about your enterprise was filed: %(number)s",
                                       number=complaint.number),
                   _("The district housing authority handles it by %(due)s; you can read it in the console.",
                     due=complaint.due_at.strftime("%Y-%m-%d %H:%M")),
                   link=f"/complaints/show/{complaint.id}", source=("complaint", complaint.id))


# --- the state machine --------------------------------------------------------------------

def _role_names(user):
    return {r.name for r in getattr(user, "roles", [])}


def is_lead(complaint, user):
    return user is not None and complaint.area is not None and complaint.area.project_lead_id == user.id


#: The role that handles rental complaints, for the district of the property.
RENTAL_HANDLER_ROLE = "district"


def is_district_handler(complaint, user):
    """A rental complaint's handler: staff with the district role whose organisation is the
    district the complaint was routed to."""
    org = getattr(user, "org", None)
    return (user is not None and RENTAL_HANDLER_ROLE in _role_names(user) and org is not None
            and org.active and org.region_code == complaint.district_code)


def is_handler(complaint, user):
    """Who may 接收处理 / 完成处理 / 拒绝处理: the area's project lead, or for a rental
    complaint the district's staff."""
    if complaint.kind == Kind.RENTAL:
        return is_district_handler(complaint, user)
    return is_lead(complaint, user)


def is_intervener(complaint, user, session=None):
    """Street or district staff over a property complaint's area (a rental complaint has no
    intervention: the district handles it itself)."""
    from app.core.scope import can_see

    return (complaint.kind != Kind.RENTAL and user is not None
            and bool(_role_names(user) & set(INTERVENER_ROLES))
            and can_see(complaint, user, session=session))


def is_complainant(complaint, user=None, verified=False):
    """The complainant: the signed-in submitter, or someone who proved the mobile by SMS."""
    return verified or (user is not None and complaint.complainant_id is not None
                        and complaint.complainant_id == user.id)


def allowed_actions(complaint, user=None, verified=False):
    actions = []
    for action, (sources, _target) in TRANSITIONS.items():
        if complaint.status not in sources:
            continue
        if action in Action.LEAD and is_handler(complaint, user):
            actions.append(action)
        elif action in Action.INTERVENE and is_intervener(complaint, user):
            actions.append(action)
        elif action in Action.COMPLAINANT and is_complainant(complaint, user, verified):
            actions.append(action)
    return actions


def transition(complaint, action, actor=None, note=None, satisfaction=None, verified=False, session=None):
    """Move ``complaint`` by ``action``; raise DomainError (Chinese) when not allowed.
    Does not commit; SMS go out in the same transaction (the outbox)."""
    session = session or db.session
    if action not in TRANSITIONS:
        raise DomainError(_("Unknown operation: %(action)s", action=action))
    sources, target = TRANSITIONS[action]
    if action in Action.LEAD and not is_handler(complaint, actor):
        if complaint.kind == Kind.RENTAL:
            raise DomainError(_("Only the district housing authority of the property may handle this complaint."))
        raise DomainError(_("Only the project lead of the area may handle this request."))
    if action in Action.INTERVENE and complaint.kind == Kind.RENTAL:
        raise DomainError(_("A complaint about a rental enterprise is handled by the district itself; "
                            "it has no intervention step."))
    if action in Action.INTERVENE and not is_intervener(complaint, actor, session):
        raise DomainError(_("Only the street or district responsible for the area may intervene."))
    if action in Action.COMPLAINANT and not is_complainant(complaint, actor, verified):
        raise DomainError(_("Only the person who submitted the request may %(action)s it.",
                            action=action_label(action)))
    if complaint.status not in sources:
        raise DomainError(_("A request that is %(status)s cannot be %(action)s.",
                            status=status_label(complaint.status), action=action_label(action)))
    note = (note or "").strip() or None
    if action in Action.NEED_NOTE and not note:
        raise DomainError(_("%(field)s: %(message)s", field=NOTE_LABELS[action], message=_("is required")))
    if note and len(note) > MAX_NOTE:
        raise DomainError(_("%(field)s: %(message)s", field=NOTE_LABELS.get(action, _("Note")),
                            message=_("at most %(n)s characters", n=MAX_NOTE)))
    if action == Action.EVALUATE:
        try:
            satisfaction = int(str(satisfaction).strip())
        except (TypeError, ValueError):
            satisfaction = None
        if satisfaction not in (1, 2, 3, 4, 5):
            raise DomainError(_("Satisfaction: please choose 1 to 5 stars."))
    if action == Action.ACCEPT:
        note = accept_reply("zh")
    from_status = complaint.status
    moment = now()
    try:
        with session.no_autoflush:
            complaint.status = target
            complaint.stage = STAGE_OF[target]
            if action == Action.ACCEPT:
                complaint.accepted_at = moment
            elif action in (Action.COMPLETE, Action.REFUSE):
                complaint.handled_at = moment
                complaint.result = note
                complaint.refused = action == Action.REFUSE
                if complaint.accepted_at is None and action == Action.REFUSE:
                    complaint.accepted_at = moment
            elif action == Action.EVALUATE:
                complaint.satisfaction = satisfaction
                complaint.evaluation = note
                complaint.closed_at = moment
            elif action == Action.REVOKE:
                complaint.closed_at = moment
            _event(complaint, action, from_status, target, actor, note)
        session.flush()
    except StaleDataError:
        session.rollback()
        raise DomainError(_("This request was handled by someone else meanwhile; please reload it."))
    _notify_complainant(complaint, action, note, session)
    return complaint


def _notify_complainant(complaint, action, note, session):
    template = {Action.ACCEPT: ("complaint_accepted", "reply"), Action.COMPLETE: ("complaint_completed", "result"),
                Action.REFUSE: ("complaint_refused", "reason")}.get(action)
    if template:
        sms.send_sms(complaint.mobile, template[0], session=session,
                     **{"number": complaint.number, template[1]: note})


def _event(complaint, action, from_status, to_status, actor, note, actor_name=None, at=None):
    complaint.events.append(ComplaintEvent(
        action=action, from_status=from_status, to_status=to_status,
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "first_name", None) or getattr(actor, "username", None),
        at=at or now(), note=note,
    ))


def act(complaint, action, actor=None, note=None, satisfaction=None, verified=False):
    """One user action, committed; what views and the API call."""
    transition(complaint, action, actor, note, satisfaction, verified)
    db.session.commit()
    return complaint


# --- complainant access -------------------------------------------------------------------

def find_for_complainant(number, mobile):
    """The complaint with this number and mobile (both must match), or None."""
    number = (number or "").strip()
    mobile = (mobile or "").strip()
    if not number or not mobile:
        return None
    return db.session.execute(select(Complaint).where(Complaint.number == number,
                                                      Complaint.mobile == mobile)).scalars().first()


def verify_tracking(number, mobile, code):
    from app.accounts import services as accounts

    mobile = accounts.clean_mobile(mobile)
    complaint = find_for_complainant(number, mobile)
    if complaint is None:
        raise DomainError(_("No request matches this number and mobile."))
    sms.verify_code(mobile, sms.SmsPurpose.COMPLAINT, code)
    db.session.commit()
    return complaint


# --- scheduled work -----------------------------------------------------------------------

BATCH = 500


@_in_chinese
def auto_close(moment=None, session=None):
    """Close complaints left 待评价 for ``complaint.auto_close_days`` days. Returns the count."""
    session = session or db.session
    moment = moment or now()
    days = get_param("complaint.auto_close_days")
    cutoff = moment - timedelta(days=days)
    note = _("No evaluation within %(n)s days.", n=days)
    total = 0
    while True:
        ids = session.execute(select(Complaint.id).where(
            Complaint.stage == Stage.TO_EVALUATE, Complaint.handled_at <= cutoff).limit(BATCH)).scalars().all()
        if not ids:
            break
        done = session.execute(
            update(Complaint).where(Complaint.id.in_(ids), Complaint.status == S.TO_EVALUATE)
            .values(status=S.CLOSED, stage=Stage.CLOSED, closed_at=moment, auto_closed=True,
                    version=Complaint.version + 1)
            .returning(Complaint.id).execution_options(synchronize_session=False)).scalars().all()
        if done:
            session.execute(insert(ComplaintEvent), [
                {"complaint_id": cid, "action": Action.AUTO_CLOSE, "from_status": S.TO_EVALUATE,
                 "to_status": S.CLOSED, "actor_name": _("System (automatic)"), "at": moment, "note": note}
                for cid in done])
        session.commit()
        total += len(done)
    return total


def _street_org(street_code, district_code, session):
    from app.system.models import Organization, OrgType

    for code, kind in ((street_code, OrgType.STREET), (district_code, OrgType.DISTRICT)):
        if not code:
            continue
        org = session.execute(select(Organization).where(
            Organization.region_code == code, Organization.org_type == kind,
            Organization.active.is_(True)).order_by(Organization.id).limit(1)).scalars().first()
        if org is not None:
            return org
    return None


def _city_org(district_code, session):
    """The city housing authority over ``district_code`` (the active city organisation whose
    region holds the district)."""
    from app.system.models import Organization, OrgType, region_prefix

    cities = session.execute(select(Organization).where(
        Organization.org_type == OrgType.CITY, Organization.active.is_(True))
        .order_by(Organization.id)).scalars().all()
    for org in cities:
        prefix = region_prefix(org.region_code)
        if prefix and (district_code or "").startswith(prefix):
            return org
    return None


@_in_chinese
def escalate_overdue(moment=None, session=None):
    """Flag every open complaint past its deadline, once: an event, a credit-deduction
    proposal for the enterprise, and per street office one notice (and SMS) per run listing
    them. A rental complaint (handled by the district) is escalated to the city instead, and
    yields no proposal (the enterprise complained about is not the one that missed the
    deadline). A conditional UPDATE claims each complaint, so concurrent runs never escalate
    twice. Claims, events and proposals commit batch by batch; the notices follow at the end of the
    run (a run that dies midway leaves flagged requests without their notice, but the
    street still finds them with the 已升级督办 filter). Returns the number escalated."""
    session = session or db.session
    moment = moment or now()
    points = get_param("complaint.overdue_deduction_points")
    notes = {Kind.PROPERTY: _("Not completed by the deadline; escalated to the street."),
             Kind.RENTAL: _("Not completed by the deadline; escalated to the city.")}
    system = _("System (automatic)")
    total = 0
    by_office = defaultdict(list)     # (kind, street, district) -> numbers escalated in this run
    while True:
        ids = session.execute(select(Complaint.id).where(
            Complaint.stage.in_(Stage.OPEN), deadlines.overdue_clause(Complaint.due_at, moment),
            Complaint.escalated_at.is_(None)).limit(BATCH)).scalars().all()
        if not ids:
            break
        claimed = session.execute(
            update(Complaint).where(Complaint.id.in_(ids), Complaint.escalated_at.is_(None))
            .values(escalated_at=moment)
            .returning(Complaint.id, Complaint.number, Complaint.status, Complaint.org_id,
                       Complaint.region_code, Complaint.street_code, Complaint.district_code,
                       Complaint.due_at, Complaint.kind)
            .execution_options(synchronize_session=False)).all()
        if claimed:
            session.execute(insert(ComplaintEvent), [
                {"complaint_id": r.id, "action": Action.ESCALATE, "from_status": r.status,
                 "to_status": r.status, "actor_name": system, "at": moment,
                 "note": notes.get(r.kind, notes[Kind.PROPERTY])}
                for r in claimed])
            proposals = [
                {"org_id": r.org_id, "region_code": r.region_code, "source_type": "complaint",
                 "source_id": r.id, "source_number": r.number, "reason_code": "complaint_overdue",
                 "reason": _("Request %(number)s not completed by its deadline %(due)s.",
                             number=r.number, due=r.due_at.strftime("%Y-%m-%d %H:%M")),
                 "points": points, "status": "proposed", "created_on": moment}
                for r in claimed if r.org_id is not None and r.kind != Kind.RENTAL]
            if proposals:
                session.execute(insert(CreditProposal), proposals)
        # Claim, event and proposal commit together, batch by batch.
        session.commit()
        for r in claimed:
            if r.kind == Kind.RENTAL:
                by_office[(Kind.RENTAL, None, r.district_code)].append(r.number)
            else:
                by_office[(Kind.PROPERTY, r.street_code, r.district_code)].append(r.number)
        total += len(claimed)
    _notify_offices(by_office, session)
    return total


def _notify_offices(by_office, session):
    """One notice (and SMS to the office's contact mobile) per office per run: the street
    (else the district) of property complaints, the city of rental complaints."""
    offices = {}
    grouped = defaultdict(list)
    for key, numbers in by_office.items():
        kind, street_code, district_code = key
        if key not in offices:
            offices[key] = (_city_org(district_code, session) if kind == Kind.RENTAL
                            else _street_org(street_code, district_code, session))
        if offices[key] is not None:
            grouped[offices[key].id].extend(numbers)
    orgs = {org.id: org for org in offices.values() if org is not None}
    for org_id, numbers in grouped.items():
        org = orgs[org_id]
        shown = "、".join(numbers[:20]) + ("…" if len(numbers) > 20 else "")
        title = _("%(n)s requests are overdue and escalated to you", n=len(numbers))
        notices.notify(org, title, shown, link="/complaints/list/?_flt_0_escalated_at=y", session=session)
        if org.contact_mobile:
            sms.send_sms(org.contact_mobile, "complaint_escalated", session=session,
                         n=len(numbers), numbers=shown[:60])
    session.commit()


# --- 待办 on the home page (app/core/worklist.py) -------------------------------------------

TODO_GROUP = _l("Requests and suggestions")


def _open_in_scope(user):
    from app.core.scope import apply_scope

    return apply_scope(select(Complaint.id).where(Complaint.stage.in_(Stage.OPEN)), Complaint, user)


def open_todos(user):
    """Everyone who reads requests: pending ones and overdue ones, in scope (capped counts on
    the stage/due indexes, never a whole-table count)."""
    from app.core import worklist

    pending = worklist.capped_count(_open_in_scope(user).where(Complaint.stage == Stage.PENDING))
    overdue = worklist.capped_count(_open_in_scope(user).where(deadlines.overdue_clause(Complaint.due_at)))
    return [
        worklist.Todo("complaints.pending", _l("Requests pending"), pending[0], level="warning",
                      group=TODO_GROUP, capped=pending[1],
                      url=worklist.list_url("ComplaintView", ("stage", "eq", Stage.PENDING))),
        worklist.Todo("complaints.overdue", _l("Requests overdue"), overdue[0], level="danger",
                      group=TODO_GROUP, capped=overdue[1],
                      url=worklist.list_url("ComplaintView", ("due_at", "overdue", "y"))),
    ]


def handling_todos(user):
    """Those who handle requests (project lead, street, district): what falls due within
    ``deadline.due_soon_hours`` and what was escalated and is still overdue."""
    from app.core import worklist

    hours = get_param("deadline.due_soon_hours")
    soon = worklist.capped_count(_open_in_scope(user).where(deadlines.due_within_clause(Complaint.due_at, hours)))
    escalated = worklist.capped_count(_open_in_scope(user).where(
        deadlines.overdue_clause(Complaint.due_at), Complaint.escalated_at.isnot(None)))
    return [
        worklist.Todo("complaints.due_soon", _l("Requests due within %(hours)s hours", hours=hours), soon[0],
                      level="warning", group=TODO_GROUP, capped=soon[1],
                      url=worklist.list_url("ComplaintView", ("due_at", "overdue", "soon"))),
        worklist.Todo("complaints.escalated", _l("Escalated requests still overdue"), escalated[0],
                      level="danger", group=TODO_GROUP, capped=escalated[1],
                      url=worklist.list_url("ComplaintView", ("due_at", "overdue", "y"),
                                            ("escalated_at", "escalated", "y"))),
    ]


def register_worklist():
    from app.core import worklist

    worklist.register_todo("complaints.open", open_todos, ("can_list", "ComplaintView"), order=20)
    worklist.register_todo("complaints.handling", handling_todos, ("can_act", "ComplaintView"), order=21)
    worklist.register_shortcut("complaints.list", _l("Request management"), "fa-comments",
                               endpoint="ComplaintView.list", permission=("can_list", "ComplaintView"), order=20)
    worklist.register_shortcut("complaints.stats", _l("Request statistics"), "fa-bar-chart",
                               endpoint="ComplaintStatsView.index", permission=("can_show", "ComplaintStatsView"),
                               order=21)
    # A signed-in citizen: the public request pages.
    worklist.register_shortcut("complaints.new", _l("Submit a request or suggestion"), "fa-pencil-square-o",
                               endpoint="ComplaintPublicView.new", permission=("can_submit", "ComplaintApi"),
                               order=22)
    worklist.register_shortcut("complaints.track", _l("Follow a request"), "fa-search",
                               endpoint="ComplaintPublicView.track", permission=("can_submit", "ComplaintApi"),
                               order=23)


# --- the credit module reads the 信用扣分建议 through these two ----------------------------------

def open_credit_proposals(limit=500, session=None):
    """Proposals not yet taken by the credit module, oldest first."""
    session = session or db.session
    return session.execute(select(CreditProposal).where(CreditProposal.status == "proposed")
                           .order_by(CreditProposal.id).limit(limit)).scalars().all()


def mark_credit_proposals(ids, status, session=None):
    """Mark proposals as taken (``consumed``); a proposal already taken is left alone."""
    session = session or db.session
    if not ids:
        return 0
    result = session.execute(update(CreditProposal).where(CreditProposal.id.in_(list(ids)),
                                                          CreditProposal.status == "proposed")
                             .values(status=status).execution_options(synchronize_session=False))
    return result.rowcount
