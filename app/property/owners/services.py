"""业委会备案 (seed 004 业主委员会 2): an owners committee files itself within
``property.committee_filing_days`` (default 30) days of its election.

The filing is a business application of type ``committee_filing`` (prefix YW), filed by the
committee's account (its organisation: org_type owners_committee), whose subject is the
area. It holds 基本情况 (the committee, the area, 选举日期, 任期, 办公地址, 联系电话),
表决情况 (owners, their building area, participants and those agreeing, each with their
area: participants ≤ total, agreeing ≤ participants) and 成员及候补成员 (姓名, 证件号码,
职务, 房号, 联系电话): exactly one 主任 and at least one 副主任, every member an owner of
the area by name and ID number in the house registry — checked for the whole list with ONE
indexed query over (area_id, owner_id_number) (:func:`check_members`).

A draft is saved (保存) and changed until 保存并提交; a returned filing is changed and
重新提交. The deadline is the election date plus the parameter's days; when that last day
is not a working day (a weekend or a statutory holiday, chinese_calendar) it moves to the
next working day (民法典 第二百零三条). Lists show the days left or 已逾期; the filing keeps
``filed_late`` when it was submitted after its deadline.

Approval writes the members (anju_committee_member; the area's previous members stop being
current) and links the area to the committee (``committee_org_id``), so the committee then
sees its area and its houses.
"""
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from app.core import deadlines, masking, notices, workflow
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import scope_clause
from app.core.validators import ValidationError, check_mobile, check_resident_id
from app.core.workflow import Action, Application, AppStatus, ApplicationType
from app.extensions import db
from app.property.houses.services import room_text
from app.property.models import CommitteeMember, CommitteeRole, House, PropertyArea
from app.property.owners.models import ROLE_LABELS
from app.system.models import Organization, OrgType

COMMITTEE_FILING = "committee_filing"
OPEN_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)
EDITABLE = (AppStatus.DRAFT, AppStatus.RETURNED)
MAX_MEMBERS = 60
MAX_COUNT = 1_000_000
MAX_AREA = Decimal("100000000")

VALID_TEXT = _l("Valid: an owner of the area")
NOT_IN_REGISTRY = _l("The ID number is not in this area's house registry")
NAME_DIFFERS = _l("The name differs from the owner in the house registry")

FIELD_LABELS = {
    "committee_name": _l("Owners committee name"), "area_id": _l("Property management area"),
    "election_date": _l("Election date"), "term_start": _l("Term starts"), "term_end": _l("Term ends"),
    "office_address": _l("Office address"), "contact_phone": _l("Contact phone"),
    "owners_total": _l("Total number of owners"), "total_area": _l("Total building area (m²)"),
    "voters": _l("Owners taking part in the vote"), "voters_area": _l("Building area of those voting (m²)"),
    "agreed": _l("Owners agreeing"), "agreed_area": _l("Building area of those agreeing (m²)"),
}
MEMBER_LABELS = {"name": _l("Name"), "id_number": _l("ID number"), "role": _l("Position"),
                 "house": _l("Room number"), "mobile": _l("Contact phone")}
COUNT_KEYS = ("owners_total", "voters", "agreed")
AREA_KEYS = ("total_area", "voters_area", "agreed_area")
BASIC_KEYS = ("election_date", "term_start", "term_end", "office_address", "contact_phone")

PAYLOAD_LABELS = {
    "committee_name": FIELD_LABELS["committee_name"], "area_name": _l("Property management area"),
    "election_date": FIELD_LABELS["election_date"], "term_start": FIELD_LABELS["term_start"],
    "term_end": FIELD_LABELS["term_end"], "office_address": FIELD_LABELS["office_address"],
    "contact_phone": FIELD_LABELS["contact_phone"], "owners_total": FIELD_LABELS["owners_total"],
    "total_area": FIELD_LABELS["total_area"], "voters": FIELD_LABELS["voters"],
    "voters_area": FIELD_LABELS["voters_area"], "agreed": FIELD_LABELS["agreed"],
    "agreed_area": FIELD_LABELS["agreed_area"], "member_count": _l("Members and alternates"),
    "due_date": _l("Filing deadline"),
}
PAYLOAD_MASKS = {"contact_phone": "mobile"}


def role_label(code):
    return str(ROLE_LABELS.get(code, code or ""))


def role_choices():
    return [(code, ROLE_LABELS[code]) for code in CommitteeRole.ALL]


def _field_error(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


# --- who files, for which areas --------------------------------------------------------------

def committee_of(actor):
    """The owners committee that files; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.OWNERS_COMMITTEE:
        raise DomainError(_("Only an owners committee may file itself."))
    return org


def _district_of(org):
    return (org.region_code or "")[:6]


def committee_areas(actor, session=None):
    """The areas of the committee's district (the 物业管理区域 dropdown)."""
    session = session or db.session
    org = committee_of(actor)
    district = _district_of(org)
    if len(district) != 6:
        return []
    return session.execute(select(PropertyArea).where(PropertyArea.district_code == district)
                           .order_by(PropertyArea.name, PropertyArea.id).limit(5000)).scalars().all()


def committee_area(actor, area_id, session=None):
    session = session or db.session
    org = committee_of(actor)
    try:
        area_id = int(area_id)
    except (TypeError, ValueError):
        area_id = None
    area = session.get(PropertyArea, area_id) if area_id else None
    if area is None or area.district_code != _district_of(org):
        raise _field_error(FIELD_LABELS["area_id"], _("please choose an area of your district from the list"))
    return area


# --- the deadline -----------------------------------------------------------------------------

def due_date(election_date):
    """The last day to file: the election date plus the parameter's days, moved to the next
    working day when it falls on a weekend or a statutory holiday."""
    from app.system.params import get_param

    last = election_date + timedelta(days=get_param("property.committee_filing_days"))
    while not deadlines.is_working_day(last):
        last += timedelta(days=1)
    return last


def deadline_state(application, today=None):
    """(overdue, text) of a filing: days left or 已逾期 while the committee has it (草稿,
    已退回); 按期提交 / 逾期提交 once submitted."""
    payload = application.payload or {}
    if not payload.get("due_date"):
        return False, ""
    last = date.fromisoformat(payload["due_date"])
    if application.status in EDITABLE:
        left = (last - (today or date.today())).days
        if left < 0:
            return True, _("Overdue, not filed")
        return False, _("%(n)s days left", n=left) if left > 0 else _("Last day today")
    if payload.get("filed_late"):
        return True, _("Filed late")
    return False, _("Filed in time")


# --- checking a filing ------------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _date(key, raw, required=True):
    text = _text(raw).replace("/", "-").replace(".", "-")
    if not text:
        if required:
            raise _field_error(FIELD_LABELS[key], _("is required"))
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise _field_error(FIELD_LABELS[key], _("a date such as 2015-06-30"))
    if day.year < 1990 or day.year > 2100:
        raise _field_error(FIELD_LABELS[key], _("a date such as 2015-06-30"))
    return day


def _count(key, raw):
    text = _text(raw)
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not text:
        raise _field_error(FIELD_LABELS[key], _("is required"))
    if not text.isdigit() or int(text) > MAX_COUNT:
        raise _field_error(FIELD_LABELS[key], _("a whole number of 0 or more"))
    return int(text)


def _area(key, raw):
    text = _text(raw).replace(",", "")
    if not text:
        raise _field_error(FIELD_LABELS[key], _("is required"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _field_error(FIELD_LABELS[key], _("a positive area in m² with at most two decimals"))
    if not value.is_finite() or value < 0 or value > MAX_AREA or value.as_tuple().exponent < -2:
        raise _field_error(FIELD_LABELS[key], _("a positive area in m² with at most two decimals"))
    return value


def _member_error(index, label, message):
    return DomainError(_("Member %(n)s, %(field)s: %(message)s", n=index, field=label, message=message))


def clean_members(raw_members):
    """The member rows, checked one by one (blank rows skipped): [{name, id_number, role, house, mobile}]."""
    members = []
    seen = {}
    for raw in raw_members or []:
        if not isinstance(raw, dict):
            raise DomainError(_("Each member must be an object with name, id_number, role, house and mobile."))
        row = {k: _text(raw.get(k)) for k in ("name", "id_number", "role", "house", "mobile")}
        if not any(row.values()) or (not row["name"] and not row["id_number"] and not row["house"]
                                     and not row["mobile"]):
            continue
        n = len(members) + 1
        if not row["name"]:
            raise _member_error(n, MEMBER_LABELS["name"], _("is required"))
        if len(row["name"]) > 64:
            raise _member_error(n, MEMBER_LABELS["name"], _("at most %(n)s characters", n=64))
        try:
            row["id_number"] = check_resident_id(row["id_number"]).number
        except ValidationError as exc:
            raise _member_error(n, MEMBER_LABELS["id_number"], str(exc))
        if row["role"] not in CommitteeRole.ALL:
            raise _member_error(n, MEMBER_LABELS["role"], _("please choose one of the listed positions"))
        if len(row["house"]) > 128:
            raise _member_error(n, MEMBER_LABELS["house"], _("at most %(n)s characters", n=128))
        if row["mobile"]:
            try:
                row["mobile"] = check_mobile(row["mobile"])
            except ValidationError as exc:
                raise _member_error(n, MEMBER_LABELS["mobile"], str(exc))
        if row["id_number"] in seen:
            raise _member_error(n, MEMBER_LABELS["id_number"],
                                _("the same person is already member %(n)s", n=seen[row["id_number"]]))
        seen[row["id_number"]] = n
        members.append(row)
        if len(members) > MAX_MEMBERS:
            raise DomainError(_("At most %(n)s members and alternates.", n=MAX_MEMBERS))
    return members


def check_roles(members):
    directors = sum(1 for m in members if m["role"] == CommitteeRole.DIRECTOR)
    deputies = sum(1 for m in members if m["role"] == CommitteeRole.DEPUTY)
    if directors == 0 or deputies == 0:
        raise DomainError(_("The committee must have a director (主任) and a deputy director (副主任)."))
    if directors > 1:
        raise DomainError(_("The committee has exactly one director (主任)."))


def check_members(area_id, members, session=None):
    """Each member against the area's house registry, by ID number then name, in ONE query
    over (area_id, owner_id_number). Returns [(ok, reason, rooms)] in the members' order."""
    session = session or db.session
    numbers = sorted({m["id_number"] for m in members if m.get("id_number")})
    owners = {}
    if numbers and area_id:
        for row in session.execute(select(House.owner_id_number, House.owner_name, House.building, House.unit,
                                          House.room).where(House.area_id == area_id,
                                                            House.owner_id_number.in_(numbers))):
            entry = owners.setdefault(row.owner_id_number, {"names": set(), "rooms": []})
            entry["names"].add(row.owner_name)
            entry["rooms"].append(room_text(row.building, row.unit, row.room))
    out = []
    for m in members:
        entry = owners.get(m.get("id_number"))
        if entry is None:
            out.append((False, str(NOT_IN_REGISTRY), []))
        elif m.get("name") not in entry["names"]:
            out.append((False, str(NAME_DIFFERS), entry["rooms"]))
        else:
            out.append((True, str(VALID_TEXT), entry["rooms"]))
    return out


def check_one(actor, area_id, name, id_number, session=None):
    """验证: one member (the form's per-row button). Returns (ok, message)."""
    area = committee_area(actor, area_id, session)
    try:
        number = check_resident_id(_text(id_number)).number
    except ValidationError as exc:
        return False, _("%(field)s: %(message)s", field=MEMBER_LABELS["id_number"], message=str(exc))
    if not _text(name):
        return False, _("%(field)s: %(message)s", field=MEMBER_LABELS["name"], message=_("is required"))
    ok, reason, _rooms = check_members(area.id, [{"name": _text(name), "id_number": number}], session)[0]
    return ok, reason


def clean_filing(actor, data, session=None):
    """Check a filing (form or JSON); return (area, payload, member results)."""
    session = session or db.session
    org = committee_of(actor)
    data = data or {}
    area = committee_area(actor, data.get("area_id"), session)
    payload = {"committee_name": org.name, "area_id": area.id, "area_name": area.name}
    election = _date("election_date", data.get("election_date"))
    if election > date.today():
        raise _field_error(FIELD_LABELS["election_date"], _("cannot be later than today"))
    start = _date("term_start", data.get("term_start"))
    end = _date("term_end", data.get("term_end"))
    if end <= start:
        raise _field_error(FIELD_LABELS["term_end"], _("must be later than the start of the term"))
    if start < election:
        raise _field_error(FIELD_LABELS["term_start"], _("cannot be earlier than the election date"))
    address = _text(data.get("office_address"))
    if not address:
        raise _field_error(FIELD_LABELS["office_address"], _("is required"))
    if len(address) > 255:
        raise _field_error(FIELD_LABELS["office_address"], _("at most %(n)s characters", n=255))
    phone = _text(data.get("contact_phone"))
    if not phone:
        raise _field_error(FIELD_LABELS["contact_phone"], _("is required"))
    if len(phone) > 20 or not all(ch.isdigit() or ch in "-+ ()" for ch in phone):
        raise _field_error(FIELD_LABELS["contact_phone"], _("a telephone or mobile number"))
    payload.update({"election_date": election.isoformat(), "term_start": start.isoformat(),
                    "term_end": end.isoformat(), "office_address": address, "contact_phone": phone})
    counts = {k: _count(k, data.get(k)) for k in COUNT_KEYS}
    areas = {k: _area(k, data.get(k)) for k in AREA_KEYS}
    if counts["owners_total"] == 0:
        raise _field_error(FIELD_LABELS["owners_total"], _("must be at least 1"))
    if areas["total_area"] == 0:
        raise _field_error(FIELD_LABELS["total_area"], _("a positive area in m² with at most two decimals"))
    if counts["voters"] > counts["owners_total"]:
        raise DomainError(_("Owners taking part in the vote cannot outnumber the owners."))
    if areas["voters_area"] > areas["total_area"]:
        raise DomainError(_("The building area of those voting cannot exceed the total building area."))
    if counts["agreed"] > counts["voters"]:
        raise DomainError(_("Owners agreeing cannot outnumber those taking part in the vote."))
    if areas["agreed_area"] > areas["voters_area"]:
        raise DomainError(_("The building area of those agreeing cannot exceed that of those voting."))
    payload.update(counts)
    payload.update({k: str(v.quantize(Decimal("0.01"))) for k, v in areas.items()})
    members = clean_members(data.get("members"))
    if not members:
        raise DomainError(_("Add the members and alternates of the committee."))
    check_roles(members)
    results = check_members(area.id, members, session)
    for m, (ok, _reason, rooms) in zip(members, results):
        if ok and not m["house"] and rooms:
            m["house"] = rooms[0]
    payload["members"] = members
    payload["member_count"] = len(members)
    payload["due_date"] = due_date(election).isoformat()
    return area, payload, results


def owner_problems(payload, results):
    """The members who are not owners, as one sentence (None when all are)."""
    bad = [f"{masking.for_viewer('name', m['name'])}（{reason}）"
           for m, (ok, reason, _rooms) in zip(payload["members"], results) if not ok]
    if not bad:
        return None
    return _("Every member must be an owner of the area: %(members)s.", members="；".join(bad))


# --- the business application -----------------------------------------------------------------

class OpenFilingError(DomainError):
    def __init__(self, application):
        super().__init__(_("A committee filing (%(number)s, %(status)s) is already in progress; wait for its "
                           "result, or change and resubmit it if it was returned.",
                           number=application.number, status=application.status_label))
        self.application = application


def filings_of(org_id, session=None, limit=200):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == COMMITTEE_FILING, Application.org_id == org_id)
        .order_by(Application.id.desc()).limit(limit)).scalars().all()


def open_filing(org_id, session=None):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == COMMITTEE_FILING, Application.org_id == org_id,
                                  Application.status.in_(OPEN_STATUSES))
        .order_by(Application.id.desc()).limit(1)).scalars().first()


def filing_for(actor, pk, session=None):
    """One committee filing inside the actor's data scope, else None."""
    session = session or db.session
    stmt = select(Application).where(Application.id == pk, Application.app_type == COMMITTEE_FILING)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


def _title(org, area):
    return _("%(committee)s filing (%(area)s)", committee=org.name, area=area.name)


def save_filing(actor, data, submit=False, application=None, session=None):
    """保存 (a draft) or 保存并提交: a new filing, or the applicant's draft / returned one
    changed. Returns (application, member results). Refused when a member is not an owner
    and ``submit``; the caller shows the results."""
    session = session or db.session
    org = committee_of(actor)
    session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
    if application is None:
        existing = open_filing(org.id, session)
        if existing is not None:
            raise OpenFilingError(existing)
    else:
        if application.app_type != COMMITTEE_FILING or application.applicant_id != actor.id:
            raise DomainError(_("Only the applicant may change this application."))
        if application.status not in EDITABLE:
            raise DomainError(_("Only a draft or a returned application can be changed."))
    area, payload, results = clean_filing(actor, data, session)
    if submit:
        problem = owner_problems(payload, results)
        if problem:
            raise DomainError(problem)
    if application is None:
        application = workflow.create(COMMITTEE_FILING, applicant=actor, title=_title(org, area), org_id=org.id,
                                      region_code=area.region_code, payload=payload,
                                      subject=("property_area", area.id), session=session)
    else:
        application.payload = payload
        application.title = _title(org, area)[:200]
        application.region_code = area.region_code
        application.subject_type, application.subject_id = "property_area", area.id
    if submit:
        action = Action.SUBMIT if application.status == AppStatus.DRAFT else Action.RESUBMIT
        workflow.transition(application, action, actor, session=session)
    session.commit()
    return application, results


def transition_filing(application, action, actor, reason=None, session=None):
    session = session or db.session
    if application.app_type != COMMITTEE_FILING:
        raise DomainError(_("This is not an owners committee filing."))
    workflow.transition(application, action, actor, reason, session=session)
    session.commit()
    return application


def members_of(application):
    return list((application.payload or {}).get("members") or [])


# --- hooks (inside the transition) ------------------------------------------------------------

def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # pragma: no cover
        return None


def _submitted(application, actor):
    payload = dict(application.payload or {})
    if payload.get("due_date") and application.submitted_at:
        payload["filed_late"] = application.submitted_at.date() > date.fromisoformat(payload["due_date"])
        application.payload = payload


def _approved(application, actor):
    session = db.session
    payload = application.payload or {}
    area = session.get(PropertyArea, application.subject_id)
    members = members_of(application)
    results = check_members(area.id, members, session)
    problem = owner_problems(payload, results)
    if problem:
        raise DomainError(problem)
    session.execute(update(CommitteeMember).where(CommitteeMember.area_id == area.id, CommitteeMember.current)
                    .values(current=False))
    start = date.fromisoformat(payload["term_start"]) if payload.get("term_start") else None
    end = date.fromisoformat(payload["term_end"]) if payload.get("term_end") else None
    moment = now()
    if members:
        session.execute(insert(CommitteeMember.__table__), [
            {"committee_org_id": application.org_id, "area_id": area.id, "name": m["name"],
             "id_number": m["id_number"], "role": m["role"], "house": m.get("house") or None,
             "mobile": m.get("mobile") or None, "term_start": start, "term_end": end,
             "application_id": application.id, "region_code": area.region_code, "current": True,
             "created_on": moment} for m in members])
    area.committee_org_id = application.org_id
    notices.notify(application.org_id, _("Owners committee filing %(number)s was approved.",
                                         number=application.number),
                   link=_link("CommitteeFilingView.show", pk=application.id), source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("Owners committee filing %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("CommitteeFilingView.show", pk=application.id), source=("application", application.id))


def _rejected(application, actor):
    notices.notify(application.org_id, _("Owners committee filing %(number)s was not approved: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("CommitteeFilingView.show", pk=application.id), source=("application", application.id))


def _subject_url(application):
    return url_for("CommitteeFilingView.show", pk=application.id)


def _edit_url(application):
    return url_for("CommitteeFilingView.edit", pk=application.id)


workflow.register_type(ApplicationType(
    code=COMMITTEE_FILING, label=_l("Owners committee filing"), prefix="YW",
    decider_roles=("gov_reviewer",), on_submit=_submitted, on_approve=_approved, on_return=_returned,
    on_reject=_rejected, edit_url=_edit_url,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": PAYLOAD_MASKS, "subject_url": _subject_url,
           "subject_label": _l("Members and voting")},
))


# --- 快捷入口 ----------------------------------------------------------------------------------

def _of_a_committee(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.OWNERS_COMMITTEE


def register_worklist():
    from app.core import worklist

    worklist.register_shortcut("property.committee_filing", _l("Owners committee filing"), "fa-users",
                               endpoint="CommitteeFilingView.index", permission=("can_file", "CommitteeFilingView"),
                               order=44, when=_of_a_committee)
