"""报修 (seed 004 报修): the rules of a repair's life.

A resident reports at /area/<public_code>/repair (no login): name, mobile proven by an SMS code
(the 码上办 purpose of the public complaint form), the location (a house of the area by
building / unit / room, or a common part described in words), optionally one item of the area's
equipment, the content and photos. The report gets a number and an SMS receipt.

The area's property company (its enterprise administrator, or the area's project lead) then
指派 (to one of its staff in service in that area; SMS to the resident), 处理 (in progress, with a
note), 完成 (with the result; SMS), or 关闭 / 拒绝 with a reason. Once finished, the resident
evaluates once (1-5 and a comment) from /repair/track. A repair of an item of equipment is part
of that item's maintenance history (:func:`repairs_of_equipment`).
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import sequences, sms, uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.care.models import Equipment
from app.property.houses.models import House
from app.property.service.fields import text
from app.property.service.models import Repair, RepairStatus as S
from app.property.staff.models import Staff, StaffStatus, staff_area
from app.system.params import get_param

STATUS_LABELS = {
    S.SUBMITTED: _l("Awaiting assignment"), S.ASSIGNED: _l("Assigned"), S.HANDLING: _l("In progress"),
    S.COMPLETED: _l("Completed"), S.CLOSED: _l("Closed"), S.REJECTED: _l("Rejected"),
}


class Action:
    ASSIGN = "assign"        # 指派
    HANDLE = "handle"        # 处理
    COMPLETE = "complete"    # 完成
    CLOSE = "close"          # 关闭
    REJECT = "reject"        # 拒绝
    ALL = (ASSIGN, HANDLE, COMPLETE, CLOSE, REJECT)


ACTION_LABELS = {
    Action.ASSIGN: _l("Assign"), Action.HANDLE: _l("Start handling"), Action.COMPLETE: _l("Complete"),
    Action.CLOSE: _l("Close"), Action.REJECT: _l("Reject"),
}
# The text each action asks for, and whether it is required.
NOTE_LABELS = {
    Action.HANDLE: _l("Handling note"), Action.COMPLETE: _l("Handling result"),
    Action.CLOSE: _l("Reason for closing"), Action.REJECT: _l("Reason for rejection"),
}
# Which states each action leaves from, and where it goes.
MOVES = {
    Action.ASSIGN: ((S.SUBMITTED, S.ASSIGNED), S.ASSIGNED),
    Action.HANDLE: ((S.ASSIGNED,), S.HANDLING),
    Action.COMPLETE: ((S.ASSIGNED, S.HANDLING), S.COMPLETED),
    Action.CLOSE: (S.OPEN, S.CLOSED),
    Action.REJECT: ((S.SUBMITTED,), S.REJECTED),
}

LOCATION_HOUSE = "house"
LOCATION_COMMON = "common"
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png")
MAX_CONTENT = 2000
MAX_TEXT = 2000

SMS_TEMPLATES = {
    "repair_received": (_l("[Anju Console] Your repair report %(number)s has been received. Follow it with the "
                           "number and this mobile."), _l("Repair received")),
    "repair_assigned": (_l("[Anju Console] Your repair report %(number)s has been assigned to the maintenance "
                           "staff of %(company)s, who will contact you."), _l("Repair assigned")),
    "repair_completed": (_l("[Anju Console] Your repair report %(number)s has been completed: %(result)s. "
                            "Please evaluate the repair."), _l("Repair completed")),
}


def register_templates():
    for name, (message, label) in SMS_TEMPLATES.items():
        sms.register_template(name, message, label)


def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def action_label(code):
    return str(ACTION_LABELS.get(code, code or ""))


# --- the public side -----------------------------------------------------------------------

def area_by_code(public_code):
    if not public_code:
        return None
    return db.session.execute(select(PropertyArea).where(PropertyArea.public_code == public_code)).scalars().first()


def has_houses(area):
    return db.session.execute(select(House.id).where(House.area_id == area.id).limit(1)).first() is not None


def building_options(area):
    """The buildings of an area's house registry (the uq_anju_house_room index serves it)."""
    rows = db.session.execute(select(House.building).where(House.area_id == area.id).distinct()
                              .order_by(House.building)).scalars()
    return list(rows)


def equipment_options(area):
    rows = db.session.execute(select(Equipment).where(Equipment.area_id == area.id)
                              .order_by(Equipment.equip_type, Equipment.name, Equipment.id).limit(500)).scalars()
    return [(e.id, " ".join(x for x in (e.code, e.name, e.building, e.unit) if x)) for e in rows]




def find_house(area, building, unit, room):
    """The house of ``area`` at building / unit / room (one indexed lookup), or DomainError."""
    building = (building or "").strip()
    unit = (unit or "").strip()
    room = (room or "").strip()
    if not building or not room:
        raise DomainError(_("Repair location: please choose the building and enter the room number."))
    house = db.session.execute(select(House).where(House.area_id == area.id, House.building == building,
                                                   House.unit == unit, House.room == room)).scalars().first()
    if house is None:
        raise DomainError(_("Repair location: no house %(house)s in this area.",
                            house="-".join(x for x in (building, unit, room) if x)))
    return house


def house_label(house):
    return "-".join(x for x in (house.building, house.unit, house.room) if x)


def check_photos(files):
    """Photos only (JPG or PNG), each within ``property.repair_photo_max_mb``, at most
    ``property.repair_photo_max_files``; then the upload engine's own checks."""
    files = [f for f in (files or []) if getattr(f, "filename", None) or isinstance(f, tuple)]
    most = get_param("property.repair_photo_max_files")
    if len(files) > most:
        raise DomainError(_("At most %(max)s photos may be uploaded.", max=most))
    limit_mb = get_param("property.repair_photo_max_mb")
    for f in files:
        name, size = _name_and_size(f)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in PHOTO_EXTENSIONS:
            raise DomainError(_("The file %(name)s is not a photo (allowed: JPG, PNG).", name=name))
        if size > limit_mb * 1024 * 1024:
            raise DomainError(_("The photo %(name)s is larger than %(max)s MB.", name=name, max=limit_mb))
        uploads.check(f)
        _rewind(f)
    return files


def _name_and_size(f):
    if isinstance(f, tuple):
        return f[0] or "", len(f[1])
    stream = f.stream
    pos = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(pos)
    return f.filename or "", size


def _rewind(f):
    if not isinstance(f, tuple):
        f.stream.seek(0)


def new_number(prefix, district_code, moment):
    """BX + district + date + daily sequence: BX500103202611230001."""
    day = moment.strftime("%Y%m%d")
    value = sequences.next_value(f"{prefix}{district_code}{day}")
    return f"{prefix}{district_code}{day}{value:04d}"


def report(area, data, files=(), user=None, moment=None):
    """A resident's repair report for ``area``. The mobile is proven by an SMS code unless it is
    the signed-in user's own. Commits; returns the repair."""
    from app.accounts import services as accounts

    if area is None:
        raise DomainError(_("Property management area: please choose an area."))
    name = accounts.clean_name(data.get("name"), _("Reporter"))
    mobile = accounts.clean_mobile(data.get("mobile"))
    kind = data.get("location_kind") or (LOCATION_HOUSE if data.get("building") else LOCATION_COMMON)
    house = None
    if kind == LOCATION_HOUSE:
        house = find_house(area, data.get("building"), data.get("unit"), data.get("room"))
        location = house_label(house)
    else:
        location = text(data.get("location"), _("Repair location"), 255)
    equipment = None
    raw_equipment = (data.get("equipment") or "").strip()
    if raw_equipment:
        try:
            equipment = db.session.get(Equipment, int(raw_equipment))
        except ValueError:
            equipment = None
        if equipment is None or equipment.area_id != area.id:
            raise DomainError(_("Equipment: please choose an item of this area's equipment."))
    content = text(data.get("content"), _("Repair content"), MAX_CONTENT)
    files = check_photos(files)
    if not (user is not None and getattr(user, "mobile", None) == mobile):
        sms.verify_code(mobile, sms.SmsPurpose.COMPLAINT, data.get("sms_code"))
    moment = moment or now()
    repair = Repair(number=new_number("BX", area.district_code, moment), area_id=area.id,
                    org_id=area.company_org_id, region_code=area.region_code, house_id=getattr(house, "id", None),
                    location=location, equipment_id=getattr(equipment, "id", None), name=name, mobile=mobile,
                    content=content, status=S.SUBMITTED, submitted_at=moment)
    db.session.add(repair)
    db.session.flush()
    if files:
        uploads.save_many(files, label=str(_("Repair photos")), owner=repair, user=user)
    sms.send_sms(mobile, "repair_received", number=repair.number)
    db.session.commit()
    return repair


def find_for_reporter(number, mobile):
    return db.session.execute(select(Repair).where(Repair.number == (number or "").strip(),
                                                   Repair.mobile == mobile)).scalars().first()


def verify_tracking(number, mobile, code):
    """报修查询: the number and the mobile it was reported with, proven by an SMS code."""
    from app.accounts import services as accounts

    mobile = accounts.clean_mobile(mobile)
    repair = find_for_reporter(number, mobile)
    if repair is None:
        raise DomainError(_("No repair report matches this number and mobile."))
    sms.verify_code(mobile, sms.SmsPurpose.COMPLAINT, code)
    db.session.commit()
    return repair


def may_evaluate(repair):
    return repair.status in S.FINISHED and repair.evaluated_at is None


def evaluate(repair, satisfaction, comment=None, moment=None):
    """The resident's evaluation, once, after the repair is finished. Commits."""
    if repair.evaluated_at is not None:
        raise DomainError(_("This repair has already been evaluated."))
    if repair.status not in S.FINISHED:
        raise DomainError(_("The repair can be evaluated once it is finished."))
    try:
        value = int(str(satisfaction).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise DomainError(_("Satisfaction: please choose 1 to 5 stars."))
    repair.satisfaction = value
    repair.evaluation = text(comment, _("Evaluation"), MAX_TEXT, required=False)
    repair.evaluated_at = moment or now()
    db.session.commit()
    return repair


# --- the company side ----------------------------------------------------------------------

def _role_names(user):
    return {r.name for r in getattr(user, "roles", [])}


def is_handler(repair, user):
    """The area's property company (an enterprise administrator of the repair's company) or the
    area's current project lead."""
    if user is None:
        return False
    roles = _role_names(user)
    if "ent_admin" in roles and repair.org_id is not None and getattr(user, "org_id", None) == repair.org_id:
        return True
    return "project_lead" in roles and repair.area is not None and repair.area.project_lead_id == user.id


def allowed_actions(repair, user):
    if not is_handler(repair, user):
        return []
    return [a for a in Action.ALL if repair.status in MOVES[a][0]]


def assignable_staff(repair):
    """The repair company's staff in service who work in the repair's area."""
    if repair.org_id is None:
        return []
    in_area = select(staff_area.c.staff_id).where(staff_area.c.area_id == repair.area_id)
    return list(db.session.execute(select(Staff).where(Staff.org_id == repair.org_id,
                                                       Staff.status == StaffStatus.ACTIVE,
                                                       Staff.id.in_(in_area)).order_by(Staff.name)).scalars())


def act(repair, action, user, note=None, staff_id=None, moment=None):
    """指派 / 处理 / 完成 / 关闭 / 拒绝 by the area's company. Commits."""
    if action not in Action.ALL:
        raise DomainError(_("Unknown action."))
    if not is_handler(repair, user):
        raise DomainError(_("Only the area's property service company may handle this repair."))
    sources, target = MOVES[action]
    if repair.status not in sources:
        raise DomainError(_("A repair that is %(status)s cannot be %(action)s.", status=status_label(repair.status),
                            action=action_label(action)))
    moment = moment or now()
    if action == Action.ASSIGN:
        try:
            staff = db.session.get(Staff, int(staff_id))
        except (TypeError, ValueError):
            staff = None
        if staff is None or staff not in assignable_staff(repair):
            raise DomainError(_("Assigned to: please choose a staff member in service in this area."))
        repair.assignee_id = staff.id
        repair.assigned_at = moment
        company = repair.org.name if repair.org is not None else ""
        sms.send_sms(repair.mobile, "repair_assigned", number=repair.number, company=company)
    elif action == Action.HANDLE:
        repair.note = text(note, str(NOTE_LABELS[action]), MAX_TEXT)
        repair.handling_at = moment
    elif action == Action.COMPLETE:
        repair.result = text(note, str(NOTE_LABELS[action]), MAX_TEXT)
        repair.completed_at = moment
        sms.send_sms(repair.mobile, "repair_completed", number=repair.number, result=repair.result[:60])
    else:
        repair.reason = text(note, str(NOTE_LABELS[action]), MAX_TEXT)
        repair.closed_at = moment
    repair.status = target
    repair.actor_id = getattr(user, "id", None)
    db.session.commit()
    return repair


def repairs_of_equipment(equipment, limit=50):
    """An item's repairs, newest first (its maintenance history, with the 维保 records)."""
    return list(db.session.execute(select(Repair).where(Repair.equipment_id == equipment.id)
                                   .order_by(Repair.submitted_at.desc(), Repair.id.desc()).limit(limit)).scalars())

