"""The rules of a plan's life (SPEC §6; seed 002 §2): checks on what staff enter, the states,
the registration window, and the public figures (已登记人数).

States (:class:`PlanStatus`) move only through :func:`transition` along :data:`TRANSITIONS`.
Publishing draws the secret S and publishes C = SHA-256(S). The window job
(app/allocation/plans/jobs.py) opens and closes windows on time; whether registration is
possible is always decided by the clock against the window itself (:func:`window_state`),
so a late job never lets anyone in early or late.

The staff console's edits of a draft (the end of this file): :func:`save_plan`,
:func:`save_project` / :func:`delete_project`, :func:`save_unit` (租金清单 through
:func:`parse_rent_list`) / :func:`delete_unit`, :func:`add_files` / :func:`remove_file` (photos
实景照片, 户型图, 室内照片: JPG or PNG; 公告附件), :func:`add_rule` / :func:`move_rule` /
:func:`delete_rule`, :func:`save_group` / :func:`delete_group`, :func:`delete_plan`; each
refuses anything but a draft (:func:`check_editable`).
"""
import re
import time
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

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


def shown_status(plan, moment=None):
    """The state the public reads: the window decides between 已发布 / 登记中 / 登记结束 even in
    the minute before the window job moves the stored state."""
    state = window_state(plan, moment)
    if plan.status == PlanStatus.PUBLISHED and state == "open":
        return PlanStatus.OPEN
    if plan.status in (PlanStatus.PUBLISHED, PlanStatus.OPEN) and state == "after":
        return PlanStatus.CLOSED
    return plan.status


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


# --- the staff console's edits of a draft plan (app/allocation/plans/views.py) ----------------
# A plan's terms (its own fields, projects, unit types, photos and attachments, eligibility
# rules, priority groups) change only while it is a draft (check_editable); each function
# checks what staff typed, changes the rows (flushed) and leaves the commit to the caller.

PROJECT_PHOTO = "实景照片"
UNIT_PLAN = "户型图"
UNIT_PHOTO = "室内照片"
ATTACHMENT_LABEL = "公告附件"
#: upload labels each kind of owner takes, and the file types each label accepts
FILE_LABELS = {"plan": (ATTACHMENT_LABEL,), "project": (PROJECT_PHOTO,), "unit": (UNIT_PLAN, UNIT_PHOTO)}
PICTURE_TYPES = ("jpg", "jpeg", "png")
ATTACHMENT_TYPES = ("pdf", "docx", "jpg", "jpeg", "png")
MAX_RENT_ROWS = 2000
MAX_ROW_ERRORS = 20
GROUP_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,15}")


def _text(value, field, required=True, limit=255):
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        if required:
            raise _err(field, _("is required"))
        return None
    if len(text) > limit:
        raise _err(field, _("at most %(n)s characters", n=limit))
    return text


def _whole(value, field, low, high, default=None):
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise _err(field, _("is required"))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _err(field, _("must be a whole number"))
    if number < low or number > high:
        raise _err(field, _("must be between %(low)s and %(high)s", low=low, high=high))
    return number


def _decimal(value):
    """A positive amount with at most 2 decimals, or None when it is not one."""
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        return None
    return number.quantize(Decimal("0.01"))


def _amount(value, field, limit):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _err(field, _("is required"))
    number = _decimal(value)
    if number is None:
        raise _err(field, _("must be a positive number with at most 2 decimal places"))
    if number >= limit:
        raise _err(field, _("is too large"))
    return number


def parse_moment(value, field):
    """A date and time as a datetime-local box or a person types it (2026-03-01T09:00,
    2026-03-01 09:00[:00]); None when empty."""
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip().replace("T", " ")
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise _err(field, _("must be a date and time such as 2026-03-01 09:00"))


def _regions(levels, prefix=None):
    from app.system.models import Region

    stmt = select(Region.code, Region.name).where(Region.level.in_(levels)).order_by(Region.code)
    return [(code, name) for code, name in db.session.execute(stmt) if not prefix or code.startswith(prefix)]


def region_choices(user):
    """Regions a plan of ``user`` may belong to: their own region (the city, or a district)
    and the districts inside it; everything for a user without a region limit."""
    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL, SCOPE_REGION
    from app.system.models import RegionLevel

    scope = user_scope(user)
    if scope.level == SCOPE_ALL:
        return _regions((RegionLevel.CITY, RegionLevel.DISTRICT))
    if scope.level != SCOPE_REGION or not scope.region_prefix:
        return []
    return _regions((RegionLevel.CITY, RegionLevel.DISTRICT), scope.region_prefix)


def district_choices(plan):
    """Districts a project of ``plan`` may lie in: the districts of the plan's region."""
    from app.system.models import RegionLevel, region_prefix

    return _regions((RegionLevel.DISTRICT,), region_prefix(plan.region_code))


def city_district_choices(plan):
    """Districts of the plan's city (for conditions on the district of 户籍/居住证)."""
    from app.system.models import Region, RegionLevel, region_prefix

    region = db.session.get(Region, plan.region_code)
    city = region.parent_code if region is not None and region.level == RegionLevel.DISTRICT else plan.region_code
    return _regions((RegionLevel.DISTRICT,), region_prefix(city))


def save_plan(actor, plan, data):
    """Create a draft (``plan`` None) or change a draft's own fields; returns the plan."""
    if plan is not None:
        check_editable(plan)
    code = check_code(data.get("code"), plan.id if plan is not None else None)
    title = _text(data.get("title"), _("Plan name"), limit=200)
    region_code = (data.get("region_code") or "").strip()
    if not region_code:
        raise _err(_("Region"), _("is required"))
    if region_code not in {c for c, _n in region_choices(actor)}:
        raise _err(_("Region"), _("please choose a region within your own"))
    announcement = _text(data.get("announcement"), _("Allocation announcement"), required=False, limit=20000)
    start = parse_moment(data.get("reg_start"), _("Registration starts"))
    end = parse_moment(data.get("reg_end"), _("Registration ends"))
    check_window(start, end)
    values = {
        "code": code, "title": title, "region_code": region_code, "announcement": announcement,
        "reg_start": start, "reg_end": end,
        "contact_phone": _text(data.get("contact_phone"), _("Service phone"), required=False, limit=64),
        "contact_hours": _text(data.get("contact_hours"), _("Service hours"), required=False, limit=128),
        "contact_address": _text(data.get("contact_address"), _("Service address"), required=False, limit=255),
    }
    if plan is None:
        plan = AllocationPlan(status=PlanStatus.DRAFT, created_by_fk=getattr(actor, "id", None),
                              org_id=getattr(actor, "org_id", None))
        db.session.add(plan)
    for key, value in values.items():
        setattr(plan, key, value)
    db.session.flush()
    return plan


def check_deletable(plan):
    if plan.status != PlanStatus.DRAFT:
        raise DomainError(_("The plan is %(state)s: only a draft plan can be deleted.",
                            state=status_label(plan.status)))


def delete_plan(plan):
    """Delete a draft plan with its projects, unit types, rules, groups and files."""
    check_deletable(plan)
    remove_plan_files(plan)
    db.session.delete(plan)
    db.session.flush()


def remove_plan_files(plan):
    """Delete the upload rows of the plan, its projects and unit types (the files go with the
    next purge); called before the plan itself is deleted."""
    from app.core import uploads

    for owner in [plan, *plan.projects, *[u for p in plan.projects for u in p.unit_types]]:
        for upload in uploads.files_of(owner):
            uploads.remove(upload)


# --- projects and unit types -------------------------------------------------------------------

def save_project(actor, plan, project, data):
    """Add (``project`` None) or change a project (小区) of a draft plan."""
    check_editable(plan)
    name = _text(data.get("name"), _("Project name"), limit=128)
    district = (data.get("district_code") or "").strip()
    if not district:
        raise _err(_("District"), _("is required"))
    if district not in {c for c, _n in district_choices(plan)}:
        raise _err(_("District"), _("please choose a district from the list"))
    address = _text(data.get("address"), _("Address"), limit=255)
    intro = _text(data.get("intro"), _("Project introduction"), required=False, limit=5000)
    traffic = _text(data.get("traffic"), _("Traffic and amenities"), required=False, limit=2000)
    if any(p.name == name and p is not project for p in plan.projects):
        raise _err(_("Project name"), _("the plan already has a project of this name"))
    order = _whole(data.get("sort_order"), _("Order"), 0, 9999,
                   default=project.sort_order if project is not None else len(plan.projects) + 1)
    if project is None:
        project = AllocationProject()
        plan.projects.append(project)
    project.name, project.district_code, project.address = name, district, address
    project.intro, project.traffic, project.sort_order = intro, traffic, order
    db.session.flush()
    return project


def delete_project(plan, project):
    from app.core import uploads

    check_editable(plan)
    for owner in [project, *project.unit_types]:
        for upload in uploads.files_of(owner):
            uploads.remove(upload)
    plan.projects.remove(project)
    db.session.flush()


def parse_rent_list(text):
    """租金清单 as staff paste it: one home a line, 房号, 楼层, 面积, 月租金 separated by commas
    or tabs (a header line 房号… is skipped). Returns the rows as stored, or raises with every
    bad line named (at most MAX_ROW_ERRORS)."""
    rows, problems, seen = [], [], set()
    lines = [(n, line) for n, line in enumerate((text or "").splitlines(), start=1) if line.strip()]
    if lines and lines[0][1].strip().startswith(("房号", "room", "Room")):
        lines = lines[1:]
    if len(lines) > MAX_RENT_ROWS:
        raise _err(_("Rent list"), _("at most %(n)s homes", n=MAX_RENT_ROWS))

    def problem(n, message):
        problems.append(_("Rent list, line %(n)s: %(message)s", n=n, message=message))

    for n, line in lines:
        cells = [c.strip() for c in re.split(r"[,，\t]", line.strip())]
        if len(cells) != 4:
            problem(n, _("give 4 values: room, floor, area, monthly rent"))
            continue
        room, floor, area, rent = cells
        if not room or len(room) > 32:
            problem(n, _("the room number is required (at most 32 characters)"))
            continue
        if room in seen:
            problem(n, _("room %(room)s is listed twice", room=room))
            continue
        seen.add(room)
        try:
            floor_n = int(floor)
        except ValueError:
            floor_n = None
        if floor_n is None or not -10 <= floor_n <= 300:
            problem(n, _("the floor must be a whole number between -10 and 300"))
            continue
        area_n, rent_n = _decimal(area), _decimal(rent)
        if area_n is None or area_n >= 10000:
            problem(n, _("the area must be a positive number (㎡) with at most 2 decimal places"))
            continue
        if rent_n is None or rent_n >= 1000000:
            problem(n, _("the monthly rent must be a positive amount with at most 2 decimal places"))
            continue
        rows.append({"room": room, "floor": floor_n, "area": str(area_n), "rent": str(rent_n)})
    if problems:
        shown = problems[:MAX_ROW_ERRORS]
        if len(problems) > MAX_ROW_ERRORS:
            shown.append(_("and %(n)s more problems", n=len(problems) - MAX_ROW_ERRORS))
        raise DomainError("；".join(str(p) for p in shown))
    return rows


def rent_list_text(rows):
    """The stored rent list as the lines staff edit."""
    return "\n".join(f"{r.get('room', '')},{r.get('floor', '')},{r.get('area', '')},{r.get('rent', '')}"
                     for r in rows or [])


def save_unit(actor, plan, project, unit, data):
    """Add (``unit`` None) or change a unit type (户型) of a draft plan's project."""
    check_editable(plan)
    name = _text(data.get("name"), _("Unit type name"), limit=64)
    layout = _text(data.get("layout"), _("Layout"), limit=64)
    area = _amount(data.get("area"), _("Floor area (㎡)"), Decimal("1000000"))
    rent = _amount(data.get("rent"), _("Monthly rent (yuan)"), Decimal("100000000"))
    count = _whole(data.get("count"), _("Number of homes"), 1, 100000)
    rows = parse_rent_list(data.get("rent_list"))
    if rows and len(rows) != count:
        raise DomainError(_("The rent list has %(rows)s homes but the unit type offers %(count)s: give one "
                            "line per home.", rows=len(rows), count=count))
    description = _text(data.get("description"), _("Unit type description"), required=False, limit=2000)
    if any(u.name == name and u is not unit for u in project.unit_types):
        raise _err(_("Unit type name"), _("the project already has a unit type of this name"))
    order = _whole(data.get("sort_order"), _("Order"), 0, 9999,
                   default=unit.sort_order if unit is not None else len(project.unit_types) + 1)
    if unit is None:
        unit = UnitType()
        project.unit_types.append(unit)
    unit.name, unit.layout, unit.area, unit.rent, unit.count = name, layout, area, rent, count
    unit.rent_list, unit.description, unit.sort_order = rows or None, description, order
    db.session.flush()
    return unit


def delete_unit(plan, unit):
    from app.core import uploads

    check_editable(plan)
    for upload in uploads.files_of(unit):
        uploads.remove(upload)
    unit.project.unit_types.remove(unit)
    db.session.flush()


# --- photos and announcement attachments --------------------------------------------------------

def file_owner(plan, kind, owner_id):
    """The plan itself, one of its projects or one of its unit types; None when ``owner_id``
    is no such record of this plan."""
    try:
        owner_id = int(owner_id)
    except (TypeError, ValueError):
        return None
    if kind == "plan":
        return plan if owner_id == plan.id else None
    if kind == "project":
        return next((p for p in plan.projects if p.id == owner_id), None)
    if kind == "unit":
        return next((u for p in plan.projects for u in p.unit_types if u.id == owner_id), None)
    return None


def _owner_kind(owner):
    return {AllocationPlan: "plan", AllocationProject: "project", UnitType: "unit"}[type(owner)]


def add_files(actor, plan, owner, label, files):
    """Photos of a project (实景照片) or unit type (户型图 / 室内照片): JPG or PNG; attachments of
    the announcement (公告附件): PDF, DOCX, JPG or PNG. All or none are stored."""
    import os

    from app.core import uploads

    check_editable(plan)
    kind = _owner_kind(owner)
    if label not in FILE_LABELS[kind]:
        raise _err(_("Document"), _("please choose one of the listed options"))
    chosen = [f for f in files or [] if isinstance(f, tuple) or getattr(f, "filename", None)]
    if not chosen:
        raise DomainError(_("Choose at least one file to upload."))
    allowed = ATTACHMENT_TYPES if kind == "plan" else PICTURE_TYPES
    for f in chosen:
        filename = f[0] if isinstance(f, tuple) else f.filename
        shown = uploads.clean_name(filename) or _("(no name)")
        if os.path.splitext(shown)[1].lower().lstrip(".") not in allowed:
            if kind == "plan":
                raise DomainError(_("The file %(name)s is not of an allowed type (allowed: %(types)s).",
                                    name=shown, types="PDF, DOCX, JPG, PNG"))
            raise DomainError(_("The file %(name)s is not a JPG or PNG picture.", name=shown))
    return uploads.save_many(chosen, label=label, owner=owner, user=actor)


def plan_files(plan):
    """{(kind, id): [uploads]} of the plan, its projects and unit types, in one query."""
    from app.core.uploads import Upload

    owners = {("alloc_plan", plan.id): ("plan", plan.id)}
    for p in plan.projects:
        owners[("alloc_project", p.id)] = ("project", p.id)
        for u in p.unit_types:
            owners[("alloc_unit", u.id)] = ("unit", u.id)
    out = {key: [] for key in owners.values()}
    types = {t for t, _i in owners}
    ids = {i for _t, i in owners}
    rows = db.session.execute(select(Upload).where(Upload.owner_type.in_(types), Upload.owner_id.in_(ids))
                              .order_by(Upload.id)).scalars()
    for upload in rows:
        key = owners.get((upload.owner_type, upload.owner_id))
        if key is not None:
            out[key].append(upload)
    return out


def remove_file(plan, upload_id):
    """Delete a photo or attachment of a draft plan; False when it is none of this plan's."""
    from app.core import uploads
    from app.core.uploads import Upload

    check_editable(plan)
    try:
        upload = db.session.get(Upload, int(upload_id))
    except (TypeError, ValueError):
        upload = None
    if upload is None:
        return False
    owner = uploads.owner_of(upload)
    if owner is None or type(owner) not in (AllocationPlan, AllocationProject, UnitType):
        return False
    if file_owner(plan, _owner_kind(owner), owner.id) is not owner:
        return False
    uploads.remove(upload)
    return True


# --- eligibility rules and priority groups -------------------------------------------------------

def add_rule(plan, field, op, value, reason, group=None):
    """An eligibility rule of the plan, or (``group``) a condition of a priority group (its
    reason defaults to the group's name)."""
    from app.allocation.plans import rules as rules_engine
    from app.allocation.plans.models import EligibilityRule

    check_editable(plan)
    if group is not None and not (reason or "").strip():
        reason = group.name
    field, op, value, reason = rules_engine.clean_rule(field, op, value, reason)
    siblings = [r for r in plan.rules if r.group_id == (group.id if group is not None else None)]
    rule = EligibilityRule(field=field, op=op, value=value, reason=reason,
                           sort_order=max([r.sort_order for r in siblings] or [0]) + 1)
    plan.rules.append(rule)
    if group is not None:
        group.conditions.append(rule)
    db.session.flush()
    return rule


def delete_rule(plan, rule):
    check_editable(plan)
    if rule.group is not None:
        rule.group.conditions.remove(rule)
    plan.rules.remove(rule)
    db.session.flush()


def move_rule(plan, rule, step):
    """Move a rule one place up (step -1) or down (+1) among the rules of its kind."""
    check_editable(plan)
    siblings = sorted((r for r in plan.rules if r.group_id == rule.group_id), key=lambda r: (r.sort_order, r.id))
    for i, r in enumerate(siblings, start=1):
        r.sort_order = i
    at = siblings.index(rule)
    other = at + (1 if step > 0 else -1)
    if 0 <= other < len(siblings):
        siblings[at].sort_order, siblings[other].sort_order = siblings[other].sort_order, siblings[at].sort_order
    db.session.flush()


def save_group(plan, group, data):
    """Add (``group`` None) or change a priority group: its code (letters and digits, used in
    the lottery's file names), name and draw order."""
    check_editable(plan)
    code = (data.get("code") or "").strip().lower()
    if not code:
        raise _err(_("Group code"), _("is required"))
    if not GROUP_CODE.fullmatch(code):
        raise _err(_("Group code"), _("lower-case letters, digits, - and _ only, at most 16"))
    if any(g.code == code and g is not group for g in plan.groups):
        raise _err(_("Group code"), _("the plan already has a group with this code"))
    name = _text(data.get("name"), _("Priority group name"), limit=64)
    if any(g.name == name and g is not group for g in plan.groups):
        raise _err(_("Priority group name"), _("the plan already has a group of this name"))
    order = _whole(data.get("draw_order"), _("Draw order"), 1, 99)
    if group is None:
        group = PriorityGroup(is_default=False)
        plan.groups.append(group)
    group.code, group.name, group.draw_order = code, name, order
    db.session.flush()
    return group


def delete_group(plan, group):
    check_editable(plan)
    for rule in list(group.conditions):
        if rule in plan.rules:
            plan.rules.remove(rule)
    plan.groups.remove(group)
    db.session.flush()
