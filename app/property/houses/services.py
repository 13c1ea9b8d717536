"""房屋信息补充 (seed 004 开发建设单位 3) and the house registry (anju_house).

A developer (开发建设单位) or a property company (物业服务企业) chooses one of its areas and
the 交存时点, downloads the template (楼栋, 单元, 房号, 楼层, 建筑面积, 产权人姓名, 证件号码) and
imports it. The import is all-or-nothing: every problem of the workbook (required cells,
a positive area, a whole floor, resident ID numbers with their check digit, a room twice in
the file or already registered in the area, one ID number under two names) comes back at
once with the error workbook, and nothing is kept. A sound workbook becomes a business
application of type ``house_import`` (prefix FW) in 草稿, its rows waiting in
``anju_house_staged`` (never the JSON payload); 保存并提交 sends it to the reviewers;
a returned one is imported again and 重新提交. Approval copies the rows into ``anju_house``
with one INSERT ... SELECT, refusing when a room was registered meanwhile.

Speed (``make bench`` imports 2,000,000 houses into 20,000 areas through the real endpoint):
the workbook is streamed by the xlsx engine (python-calamine), checks run in sets (one query
for the area's registered rooms), rows are written with Core INSERTs in batches.

Every function takes the acting user and raises DomainError with a Chinese message.
"""
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, literal, or_, select

from app.core import notices, progress, workflow, xlsx
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import scope_clause
from app.core.workflow import Action, Application, AppStatus, ApplicationType
from app.extensions import db
from app.property.models import House, HouseStaged, PropertyArea
from app.system.models import OrgType

HOUSE_IMPORT = "house_import"
OPEN_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)
#: The applicant may (re-)import and submit in these states.
EDITABLE = (AppStatus.DRAFT, AppStatus.RETURNED)
BATCH = 5000
MAX_FLOOR = 300
MAX_AREA = Decimal("100000")

COLUMNS = [
    xlsx.XColumn(key="building", label=_l("Building"), required=True, max_length=64, example="1栋"),
    xlsx.XColumn(key="unit", label=_l("Unit"), max_length=32, example="1单元"),
    xlsx.XColumn(key="room", label=_l("Room number"), required=True, max_length=32, example="101"),
    xlsx.XColumn(key="floor", label=_l("Floor"), kind="int", required=True, example="1"),
    xlsx.XColumn(key="floor_area", label=_l("Building area"), kind="decimal", required=True, example="89.56"),
    xlsx.XColumn(key="owner_name", label=_l("Owner's name"), required=True, max_length=64, mask="name",
                 example="张三"),
    xlsx.XColumn(key="owner_id_number", label=_l("Owner's ID number"), kind="id_number", required=True,
                 mask="id_number", width=22),
]
UNIQUE = [("building", "unit", "room")]

PAYLOAD_LABELS = {
    "area_name": _l("Property management area"), "deposit_date": _l("Deposit date"),
    "house_count": _l("Number of houses"), "file_name": _l("Imported file"),
}


def room_text(building, unit, room):
    return "-".join(x for x in (building, unit, room) if x)


# --- who files, for which areas -------------------------------------------------------------

def filer_org(actor):
    """The enterprise (developer or property company) that files; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Only a developer or a property service company may supplement house information."))
    return org


def _filer_clause(org_id):
    return or_(PropertyArea.developer_org_id == org_id, PropertyArea.company_org_id == org_id)


def filer_areas(actor, session=None):
    """The areas the actor's enterprise built or serves (the 物业区域 dropdown)."""
    session = session or db.session
    org = filer_org(actor)
    return session.execute(select(PropertyArea).where(_filer_clause(org.id))
                           .order_by(PropertyArea.name, PropertyArea.id).limit(5000)).scalars().all()


def filer_area(actor, area_id, session=None):
    session = session or db.session
    org = filer_org(actor)
    try:
        area_id = int(area_id)
    except (TypeError, ValueError):
        area_id = None
    area = session.execute(select(PropertyArea).where(PropertyArea.id == area_id, _filer_clause(org.id))
                           ).scalars().first() if area_id else None
    if area is None:
        raise DomainError(_("%(field)s: %(message)s", field=_("Property management area"),
                            message=_("please choose one of your areas from the list")))
    return area


def parse_deposit_date(value):
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    if not text:
        raise DomainError(_("%(field)s: %(message)s", field=_("Deposit date"), message=_("is required")))
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(_("%(field)s: %(message)s", field=_("Deposit date"),
                            message=_("a date such as 2015-06-30")))
    if day.year < 1950:
        raise DomainError(_("%(field)s: %(message)s", field=_("Deposit date"),
                            message=_("a date such as 2015-06-30")))
    return day


def open_import(area_id, session=None):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == HOUSE_IMPORT, Application.subject_type == "property_area",
                                  Application.subject_id == area_id, Application.status.in_(OPEN_STATUSES))
        .order_by(Application.id.desc()).limit(1)).scalars().first()


def imports_of(org_id, session=None, limit=200):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == HOUSE_IMPORT, Application.org_id == org_id)
        .order_by(Application.id.desc()).limit(limit)).scalars().all()


def import_for(actor, pk, session=None):
    """One house import inside the actor's data scope, else None."""
    session = session or db.session
    stmt = select(Application).where(Application.id == pk, Application.app_type == HOUSE_IMPORT)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


# --- checking a workbook ----------------------------------------------------------------------

def template_bytes():
    return xlsx.build_template(COLUMNS, str(_("House information supplement")))


def _clean(rows):
    for r in rows:
        for key in ("building", "unit", "room", "owner_name"):
            value = r.get(key)
            r[key] = value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def validate_rows(area, rows, session=None):
    """Set-based checks of sound rows against the area: [(row, column key, message)]."""
    session = session or db.session
    _clean(rows)
    problems = []
    registered = {}
    owners = {}
    for h in session.execute(select(House.building, House.unit, House.room, House.owner_id_number,
                                     House.owner_name).where(House.area_id == area.id)):
        registered[(h.building, h.unit or "", h.room)] = True
        if h.owner_id_number:
            owners.setdefault(h.owner_id_number, h.owner_name)
    first_name = {}
    for r in rows:
        n = r["_row"]
        if r["floor"] == 0 or abs(r["floor"]) > MAX_FLOOR:
            problems.append((n, "floor", _("a whole number of floors such as 1, or -1 below ground")))
        area_value = Decimal(str(r["floor_area"]))
        if area_value <= 0 or area_value > MAX_AREA or area_value.as_tuple().exponent < -2:
            problems.append((n, "floor_area", _("a positive area in m² with at most two decimals")))
        key = (r["building"], r["unit"] or "", r["room"])
        if key in registered:
            problems.append((n, "room", _("%(room)s is already registered in %(area)s",
                                          room=room_text(*key), area=area.name)))
        number, name = r["owner_id_number"], r["owner_name"]
        known = owners.get(number)
        if known is not None and known != name:
            problems.append((n, "owner_name", _("this ID number is registered in the area under another name")))
        elif number in first_name and first_name[number][0] != name:
            problems.append((n, "owner_name", _("row %(row)s has this ID number under another name",
                                                row=first_name[number][1])))
        else:
            first_name.setdefault(number, (name, n))
    return problems


def check_workbook(area, data, max_bytes=None, max_rows=None):
    """Read and check an upload; the ImportResult holds every problem (nothing is written)."""
    from flask import current_app

    from app.system.params import get_param

    max_bytes = max_bytes or current_app.config.get("IMPORT_MAX_BYTES", xlsx.DEFAULT_MAX_BYTES)
    max_rows = max_rows or get_param("import.max_rows")
    result = xlsx.read_import(data, COLUMNS, max_bytes=max_bytes, max_rows=max_rows, unique=UNIQUE)
    sound = not any(e.row is None and e.key != xlsx.MORE_PROBLEMS for e in result.errors)
    if sound:
        xlsx.add_problems(result, validate_rows(area, result.rows), COLUMNS)
    return result


def error_workbook(data, errors):
    return xlsx.error_workbook(COLUMNS, data, errors)


# --- the business application ---------------------------------------------------------------

class OpenImportError(DomainError):
    def __init__(self, application):
        super().__init__(_("The area already has a house information supplement (%(number)s, %(status)s) in "
                           "progress; wait for its result, or import again into it if it is yours.",
                           number=application.number, status=application.status_label))
        self.application = application


def _stage(application, area, rows, session):
    """Write the checked rows into the application's staging table, replacing what it held;
    reports "writing" progress (rows written of rows) between batches."""
    session.execute(delete(HouseStaged).where(HouseStaged.application_id == application.id))
    total = len(rows)
    progress.report("writing", 0, total)
    batch = []
    done = 0
    for r in rows:
        batch.append({"application_id": application.id, "area_id": area.id, "row_no": r["_row"],
                      "building": r["building"], "unit": r["unit"] or "", "room": r["room"], "floor": r["floor"],
                      "floor_area": r["floor_area"], "owner_name": r["owner_name"],
                      "owner_id_number": r["owner_id_number"]})
        if len(batch) >= BATCH:
            session.execute(insert(HouseStaged.__table__), batch)
            done += len(batch)
            progress.report("writing", done, total)
            batch = []
    if batch:
        session.execute(insert(HouseStaged.__table__), batch)
    progress.report("writing", total, total)


def _title(area, count):
    return _("%(area)s house information supplement (%(n)s houses)", area=area.name, n=count)


def import_houses(actor, area_id, deposit_date, data, file_name="", session=None):
    """Import a workbook for one area: (application, result).

    With problems, ``application`` is None and nothing is written. Otherwise the rows are
    staged in the area's draft (or returned) application of this actor, created when there is
    none; the caller commits (this function does)."""
    session = session or db.session
    area = filer_area(actor, area_id, session)
    day = parse_deposit_date(deposit_date)
    # One import per area at a time: the area's row is locked (PostgreSQL) while checking.
    session.execute(select(PropertyArea.id).where(PropertyArea.id == area.id).with_for_update())
    existing = open_import(area.id, session)
    if existing is not None and (existing.status not in EDITABLE or existing.applicant_id != actor.id):
        raise OpenImportError(existing)
    result = check_workbook(area, data)
    if result.errors:
        session.rollback()
        return None, result
    count = len(result.rows)
    payload = {"area_id": area.id, "area_name": area.name, "deposit_date": day.isoformat(), "house_count": count,
               "file_name": (file_name or "")[:200]}
    if existing is None:
        application = workflow.create(HOUSE_IMPORT, applicant=actor, title=_title(area, count), org_id=actor.org_id,
                                      region_code=area.region_code, payload=payload,
                                      subject=("property_area", area.id), session=session)
    else:
        application = existing
        application.payload = payload
        application.title = _title(area, count)[:200]
        application.region_code = area.region_code
    _stage(application, area, result.rows, session)
    session.commit()
    return application, result


def staged_count(application, session=None):
    session = session or db.session
    return session.execute(select(func.count()).select_from(HouseStaged)
                           .where(HouseStaged.application_id == application.id)).scalar() or 0


def staged_rows(application, offset=0, limit=50, session=None):
    session = session or db.session
    return session.execute(select(HouseStaged).where(HouseStaged.application_id == application.id)
                           .order_by(HouseStaged.row_no).offset(offset).limit(limit)).scalars().all()


def conflicts(application, limit=10, session=None):
    """Rooms of the application registered in the area meanwhile (at most ``limit``)."""
    session = session or db.session
    rows = session.execute(
        select(HouseStaged.building, HouseStaged.unit, HouseStaged.room)
        .join(House, and_(House.area_id == HouseStaged.area_id, House.building == HouseStaged.building,
                          House.unit == HouseStaged.unit, House.room == HouseStaged.room))
        .where(HouseStaged.application_id == application.id).order_by(HouseStaged.row_no).limit(limit)).all()
    return [room_text(*r) for r in rows]


def _conflict_error(rooms):
    return DomainError(_("These rooms were registered in the area meanwhile: %(rooms)s. Return the application "
                         "so that the applicant checks the workbook and imports it again.",
                         rooms="、".join(rooms)))


def submit_import(application, actor, session=None):
    """保存并提交 (a draft) or 重新提交 (a returned import)."""
    session = session or db.session
    if application.app_type != HOUSE_IMPORT or actor is None or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status not in EDITABLE:
        raise DomainError(_("An application that is %(status)s cannot be %(action)s.",
                            status=application.status_label, action=workflow.action_label(Action.SUBMIT)))
    if staged_count(application, session) == 0:
        raise DomainError(_("Import the houses before submitting."))
    rooms = conflicts(application, session=session)
    if rooms:
        raise DomainError(_("These rooms are already registered in the area: %(rooms)s. Correct the workbook and "
                            "import it again.", rooms="、".join(rooms)))
    action = Action.SUBMIT if application.status == AppStatus.DRAFT else Action.RESUBMIT
    workflow.transition(application, action, actor, session=session)
    session.commit()
    return application


def transition_import(application, action, actor, reason=None, session=None):
    session = session or db.session
    if application.app_type != HOUSE_IMPORT:
        raise DomainError(_("This is not a house information supplement."))
    workflow.transition(application, action, actor, reason, session=session)
    session.commit()
    return application


# --- hooks (inside the transition) ------------------------------------------------------------

def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # pragma: no cover - endpoint not registered
        return None


def _approved(application, actor):
    session = db.session
    rooms = conflicts(application, session=session)
    if rooms:
        raise _conflict_error(rooms)
    area = session.get(PropertyArea, application.subject_id)
    payload = application.payload or {}
    deposit = date.fromisoformat(payload["deposit_date"]) if payload.get("deposit_date") else None
    s = HouseStaged.__table__.c
    source = select(
        s.area_id, s.building, s.unit, s.room, s.floor, s.floor_area, s.owner_name, s.owner_id_number,
        literal(deposit, House.__table__.c.deposit_date.type), literal(area.region_code),
        literal(application.id), literal(now(), House.__table__.c.created_on.type),
    ).where(s.application_id == application.id).order_by(s.row_no)
    h = House.__table__.c
    session.execute(insert(House.__table__).from_select(
        [h.area_id, h.building, h.unit, h.room, h.floor, h.floor_area, h.owner_name, h.owner_id_number,
         h.deposit_date, h.region_code, h.application_id, h.created_on], source))
    session.execute(delete(HouseStaged).where(HouseStaged.application_id == application.id))
    notices.notify(application.org_id, _("House information supplement %(number)s was approved.",
                                         number=application.number),
                   link=_link("HouseView.list"), source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("House information supplement %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("HouseImportView.show", pk=application.id), source=("application", application.id))


def _ended(application, actor):
    db.session.execute(delete(HouseStaged).where(HouseStaged.application_id == application.id))
    if application.status == AppStatus.REJECTED:
        notices.notify(application.org_id, _("House information supplement %(number)s was not approved: "
                                             "%(reason)s", number=application.number, reason=application.reason),
                       link=_link("HouseImportView.show", pk=application.id), source=("application", application.id))


def _subject_url(application):
    return url_for("HouseImportView.show", pk=application.id)


workflow.register_type(ApplicationType(
    code=HOUSE_IMPORT, label=_l("House information supplement"), prefix="FW",
    decider_roles=("gov_reviewer",), on_approve=_approved, on_return=_returned, on_reject=_ended,
    on_terminate=_ended, edit_url=_subject_url,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": {}, "subject_url": _subject_url,
           "subject_label": _l("The imported houses")},
))


# --- 待办 and 快捷入口 (app/core/worklist.py) ---------------------------------------------------

def _of_an_enterprise(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.ENTERPRISE


def register_worklist():
    from app.core import worklist

    worklist.register_shortcut("property.house_import", _l("House information supplement"), "fa-home",
                               endpoint="HouseImportView.index", permission=("can_import", "HouseImportView"),
                               order=43, when=_of_an_enterprise)
