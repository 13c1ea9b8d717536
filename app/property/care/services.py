"""Facilities and equipment (设施设备), inspection (巡检) and maintenance (维保) plans and
records, and their due dates (SPEC §7; seed 004 设施设备管理, 承接查验 notes A/B).

Rules
-----

* **Location** is area / building / unit. An empty building means the whole area (e.g.
  the main gate, 小区大门); a building without a unit means the whole building; a unit
  without a building is refused. The enterprise (``org_id``) and ``region_code`` always
  come from the area, never from the form: an area the actor cannot see in their data
  scope (their enterprise's areas; a project lead: the areas they lead) is refused.
* **Plans** (巡检维保计划) cover one equipment type in one area, one type in all of the
  enterprise's areas, or one piece of equipment: exactly one of type and equipment.
  One active plan per kind and target.
* **Due dates**, for each equipment and kind: the applicable active plan is the item's
  own plan, else the type plan of its area, else the enterprise-wide type plan; the next
  due date is :func:`app.core.deadlines.add_cycle` from the last record's date, else the
  installation date, else the plan's creation date. Equipment stopped (停用) or scrapped
  (报废) has no due dates. The dates are stored on the equipment row and recomputed on
  record save/delete, plan save/delete, equipment save and by the daily job
  (``property.care_due``), in batches: a fixed number of queries per 5,000 rows.
* **Records**: the date is neither in the future nor before the installation; an
  abnormal inspection needs its findings; the staff member (optional) is in service with
  the equipment's enterprise; photos are JPG, PNG or PDF (uploads engine). The record's
  enterprise, area and region are copied from the equipment.
* **Overdue flag**: the job stamps ``overdue_flagged_on`` once per overdue period (cleared
  by any recompute that finds the item current again) and sends each enterprise one
  console notice a day with its counts overdue and due this week.
"""
from collections import defaultdict
from datetime import timedelta
from functools import wraps

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy import inspect as sa_inspect

from app.core import notices, uploads
from app.core.deadlines import add_cycle
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import apply_scope, current_user_obj
from app.extensions import db
from app.property.models import (
    CareKind,
    CarePlan,
    CycleUnit,
    Equipment,
    EquipmentStatus,
    InspectionRecord,
    InspectionResult,
    MaintenanceRecord,
    MaintenanceResult,
    PropertyArea,
    Staff,
    StaffStatus,
)
from app.system import dicts

BATCH = 5000
DUE_LIST_LIMIT = 2000
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "pdf")
NOTICE_SOURCE = "care_due"
DUE_LIST_URL = "/care/due/"

STATUS_LABELS = {
    EquipmentStatus.IN_USE: _l("In use"),
    EquipmentStatus.STOPPED: _l("Stopped"),
    EquipmentStatus.REPAIR: _l("Under repair"),
    EquipmentStatus.SCRAPPED: _l("Scrapped"),
}
# Equipment in these states has inspections and maintenance due.
CARED_STATUSES = (EquipmentStatus.IN_USE, EquipmentStatus.REPAIR)

KIND_LABELS = {CareKind.INSPECTION: _l("Inspection"), CareKind.MAINTENANCE: _l("Maintenance")}
UNIT_LABELS = {CycleUnit.DAY: _l("day(s)"), CycleUnit.WEEK: _l("week(s)"),
               CycleUnit.MONTH: _l("month(s)"), CycleUnit.YEAR: _l("year(s)")}
INSPECTION_RESULT_LABELS = {InspectionResult.NORMAL: _l("Normal"), InspectionResult.ABNORMAL: _l("Abnormal")}
MAINTENANCE_RESULT_LABELS = {MaintenanceResult.DONE: _l("Completed"),
                             MaintenanceResult.PARTIAL: _l("Partly completed"),
                             MaintenanceResult.FAILED: _l("Not completed")}
RESULT_LABELS = {CareKind.INSPECTION: INSPECTION_RESULT_LABELS, CareKind.MAINTENANCE: MAINTENANCE_RESULT_LABELS}
RECORD_MODELS = {CareKind.INSPECTION: InspectionRecord, CareKind.MAINTENANCE: MaintenanceRecord}
# Equipment columns (last done, next due) per kind.
DUE_COLUMNS = {CareKind.INSPECTION: ("last_inspected_on", "next_inspection_due"),
               CareKind.MAINTENANCE: ("last_maintained_on", "next_maintenance_due")}


def _in_chinese(fn):
    """Texts stored for others to read (notices) are Chinese whatever the caller's language."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        with force_locale("zh"):
            return fn(*args, **kwargs)
    return wrapper


def today():
    return now().date()


def week_bounds(day=None):
    """(Monday, Sunday) of the week holding ``day`` (local date)."""
    day = day or today()
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


# --- labels -----------------------------------------------------------------------------------

def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def kind_label(code):
    return str(KIND_LABELS.get(code, code or ""))


def unit_label(code):
    return str(UNIT_LABELS.get(code, code or ""))


def type_label(code):
    return dicts.label("equipment_type", code) if code else ""


def result_label(kind, code):
    return str(RESULT_LABELS[kind].get(code, code or ""))


def cycle_text(value, unit):
    """每 15 天, 每 1 月 ..."""
    if not value or not unit:
        return ""
    return _("Every %(n)s %(unit)s", n=value, unit=unit_label(unit))


def due_text(day, on=None):
    """A due date as shown in lists: the date, and 已超期 once it has passed."""
    if day is None:
        return ""
    if day < (on or today()):
        return _("%(day)s (overdue)", day=day.isoformat())
    return day.isoformat()


def place_text(building, unit):
    """位置 within the area: building / unit, or 整个物业区域 (seed 004 承接查验 notes A, B)."""
    if not building:
        return _("The whole area")
    return f"{building} / {unit}" if unit else building


# --- small helpers ----------------------------------------------------------------------------

def _required(label):
    return DomainError(_("%(field)s: %(message)s", field=label, message=_("is required")))


def _clean(value):
    """Strip text; empty text is NULL. (Lengths are checked by the form, the API schema and the
    import engine, from the columns.)"""
    text = value.strip() if isinstance(value, str) else value
    return None if text == "" else text


def _user(user):
    return user if user is not None else current_user_obj()


def _scoped_one(model, pk, user):
    """One row by id if it lies in the user's data scope, else None."""
    if pk in (None, ""):
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    stmt = apply_scope(select(model).where(model.id == pk), model, _user(user))
    return db.session.execute(stmt).scalars().first()


def _target(item, rel, fk):
    """The id a form (relationship ``rel`` changed) or an API call (column ``fk``) asks for."""
    state = sa_inspect(item)
    related = getattr(item, rel)
    if related is not None and (state.attrs[rel].history.has_changes() or getattr(item, fk) is None):
        return related.id
    return getattr(item, fk)


def _original(item, attr):
    """The stored value of column ``attr`` before this change: a form changes the relationship
    (the column keeps its stored value until the flush), the API the column itself (the old
    value waits in ``committed_state``). None for a new row."""
    state = sa_inspect(item)
    if state.transient or state.pending:
        return None
    return state.committed_state.get(attr, getattr(item, attr))


def _no_autoflush(fn):
    """Checks query the database: never flush the half-checked row on the way."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return fn(*args, **kwargs)
    return wrapper


def _date_of(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def area_in_scope(area_id, user=None):
    return _scoped_one(PropertyArea, area_id, user)


def equipment_in_scope(equipment_id, user=None):
    return _scoped_one(Equipment, equipment_id, user)


def areas_for_select(user=None, limit=1000):
    """[(id, name)] of the areas in the user's scope, for filters and forms."""
    stmt = apply_scope(select(PropertyArea.id, PropertyArea.name), PropertyArea, _user(user))
    return [(str(i), n) for i, n in db.session.execute(stmt.order_by(PropertyArea.name).limit(limit))]


def type_codes():
    return [code for code, _label in dicts.items("equipment_type")]


# --- equipment --------------------------------------------------------------------------------

def _record_dates(equipment_id):
    """(earliest, count) of the inspection and maintenance records of one item."""
    first, count = None, 0
    for model in RECORD_MODELS.values():
        low, n = db.session.execute(select(func.min(model.done_on), func.count(model.id))
                                    .where(model.equipment_id == equipment_id)).one()
        count += n
        if low is not None and (first is None or low < first):
            first = low
    return first, count


@_no_autoflush
def prepare_equipment(item, user=None, on=None):
    """Check and complete an equipment row before it is saved (page, API); raises DomainError."""
    user = _user(user)
    on = on or today()
    area_id = _target(item, "area", "area_id")
    if area_id in (None, ""):
        raise _required(_("Property management area"))
    area = area_in_scope(area_id, user)
    if area is None:
        raise DomainError(_("The property management area does not exist or is outside your scope."))
    if area.company_org_id is None:
        raise DomainError(_("The property management area has no property service company yet."))
    item.building = _clean(item.building)
    item.unit = _clean(item.unit)
    if item.unit and not item.building:
        raise DomainError(_("A unit cannot be given without a building: leave both empty for equipment of "
                            "the whole area, or only the unit empty for a whole building."))
    item.equip_type = _clean(item.equip_type)
    if not item.equip_type:
        raise _required(_("Facility or equipment type"))
    if item.equip_type not in type_codes():
        raise DomainError(_("Unknown equipment type: %(value)s", value=item.equip_type))
    item.name = _clean(item.name)
    if not item.name:
        raise _required(_("Equipment name"))
    for attr in ("code", "model", "manufacturer", "maintenance_company", "remark"):
        setattr(item, attr, _clean(getattr(item, attr)))
    item.status = _clean(item.status) or EquipmentStatus.IN_USE
    if item.status not in EquipmentStatus.ALL:
        raise DomainError(_("Unknown equipment status: %(value)s", value=item.status))
    if item.installed_on is not None and _date_of(item.installed_on) > on:
        raise DomainError(_("%(field)s cannot be later than today.", field=_("Installation date")))
    if item.id is not None:
        old_area = _original(item, "area_id")
        first, count = _record_dates(item.id)
        if count and old_area is not None and old_area != area.id:
            raise DomainError(_("Equipment with inspection or maintenance records cannot be moved to another "
                                "property management area."))
        if first is not None and item.installed_on is not None and _date_of(item.installed_on) > first:
            raise DomainError(_("The installation date cannot be later than the earliest inspection or "
                                "maintenance record (%(day)s).", day=first.isoformat()))
    item.area, item.area_id = area, area.id
    item.org_id = area.company_org_id
    item.region_code = area.region_code
    return item


def equipment_saved(item):
    """After an equipment row is saved: its due dates (the caller commits)."""
    db.session.flush()
    recompute([Equipment.id == item.id])


def check_equipment_delete(item, user=None):
    """Equipment with history is kept (set it 报废 instead); its own plans go with it."""
    _first, count = _record_dates(item.id)
    if count:
        raise DomainError(_("Equipment with inspection or maintenance records cannot be deleted; set its "
                            "status to scrapped instead."))
    db.session.execute(delete(CarePlan).where(CarePlan.equipment_id == item.id))


# --- plans ------------------------------------------------------------------------------------

def _plan_target_clause(plan):
    """The plans that compete with ``plan`` for the same equipment (same kind and target)."""
    clause = [CarePlan.kind == plan.kind, CarePlan.active.is_(True), CarePlan.org_id == plan.org_id]
    if plan.equipment_id is not None:
        clause.append(CarePlan.equipment_id == plan.equipment_id)
    else:
        clause += [CarePlan.equipment_id.is_(None), CarePlan.equip_type == plan.equip_type,
                   CarePlan.area_id.is_(None) if plan.area_id is None else CarePlan.area_id == plan.area_id]
    if plan.id is not None:
        clause.append(CarePlan.id != plan.id)
    return clause


@_no_autoflush
def prepare_plan(item, user=None):
    """Check and complete a plan before it is saved; returns what to recompute afterwards."""
    from app.system.models import Organization, OrgType

    user = _user(user)
    before = plan_targets(item, include_current=False)
    item.kind = _clean(item.kind)
    if not item.kind:
        raise _required(_("Plan type"))
    if item.kind not in CareKind.ALL:
        raise DomainError(_("Unknown plan type: %(value)s", value=item.kind))
    item.name = _clean(item.name)
    if not item.name:
        raise _required(_("Plan name"))
    item.remark = _clean(item.remark)
    area_id = _target(item, "area", "area_id")
    equipment_id = _target(item, "equipment", "equipment_id")
    item.equip_type = _clean(item.equip_type)
    if equipment_id and item.equip_type:
        raise DomainError(_("Choose either an equipment type or one piece of equipment, not both."))
    if not equipment_id and not item.equip_type:
        raise DomainError(_("Choose an equipment type or one piece of equipment."))
    area = None
    if area_id:
        area = area_in_scope(area_id, user)
        if area is None:
            raise DomainError(_("The property management area does not exist or is outside your scope."))
    equipment = None
    if equipment_id:
        equipment = equipment_in_scope(equipment_id, user)
        if equipment is None:
            raise DomainError(_("The equipment does not exist or is outside your scope."))
        if area is not None and area.id != equipment.area_id:
            raise DomainError(_("The chosen equipment is not in the chosen property management area."))
        area = equipment.area
    elif item.equip_type not in type_codes():
        raise DomainError(_("Unknown equipment type: %(value)s", value=item.equip_type))
    try:
        item.cycle_value = int(item.cycle_value)
    except (TypeError, ValueError):
        raise DomainError(_("The cycle must be a whole number from 1 to 999."))
    if not 1 <= item.cycle_value <= 999:
        raise DomainError(_("The cycle must be a whole number from 1 to 999."))
    if item.cycle_unit not in CycleUnit.ALL:
        raise DomainError(_("Unknown cycle unit: %(value)s", value=item.cycle_unit or ""))
    if area is not None:
        if area.company_org_id is None:
            raise DomainError(_("The property management area has no property service company yet."))
        org_id, region = area.company_org_id, area.region_code
    else:
        org = db.session.get(Organization, user.org_id) if getattr(user, "org_id", None) else None
        if org is None or org.org_type != OrgType.ENTERPRISE:
            raise DomainError(_("Only a property service company can set up a plan for all of its areas."))
        org_id, region = org.id, org.region_code
    item.area, item.area_id = area, area.id if area is not None else None
    item.equipment, item.equipment_id = equipment, equipment.id if equipment is not None else None
    item.org_id, item.region_code = org_id, region
    item.active = True if item.active is None else bool(item.active)
    if item.active:
        other = db.session.execute(select(CarePlan.name).where(*_plan_target_clause(item)).limit(1)).scalar()
        if other is not None:
            raise DomainError(_("An active plan of this type already exists for the same target: %(name)s.",
                                name=other))
    return before


def plan_targets(plan, include_current=True):
    """(org ids, equipment types, equipment ids) a plan reached before a change and, with
    ``include_current``, reaches now: what to recompute after a save or a delete."""
    orgs, types, ids = set(), set(), set()
    values = []
    state = sa_inspect(plan)
    if not (state.transient or state.pending):
        values.append((_original(plan, "org_id"), _original(plan, "equip_type"), _original(plan, "equipment_id")))
    if include_current:
        values.append((plan.org_id, plan.equip_type,
                       plan.equipment.id if plan.equipment is not None else plan.equipment_id))
    for org_id, equip_type, equipment_id in values:
        if org_id:
            orgs.add(org_id)
        if equip_type:
            types.add(equip_type)
        if equipment_id:
            ids.add(equipment_id)
    return orgs, types, ids


def plan_changed(*targets):
    """Recompute the equipment a plan reached before and reaches after a change."""
    orgs, types, ids = set(), set(), set()
    for o, t, i in targets:
        orgs |= o
        types |= t
        ids |= i
    conds = []
    if types and orgs:
        conds.append(and_(Equipment.org_id.in_(orgs), Equipment.equip_type.in_(types)))
    if ids:
        conds.append(Equipment.id.in_(ids))
    if conds:
        db.session.flush()
        recompute([or_(*conds)])


# --- records ----------------------------------------------------------------------------------

def check_photos(files):
    """Photos are JPG, PNG or PDF (checked before anything is stored)."""
    chosen = [f for f in (files or []) if getattr(f, "filename", None) or isinstance(f, tuple)]
    for f in chosen:
        name = f[0] if isinstance(f, tuple) else f.filename
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in PHOTO_EXTENSIONS:
            raise DomainError(_("Photos must be JPG, PNG or PDF files: %(name)s", name=uploads.clean_name(name)))
    return chosen


def save_photos(record, files, user=None):
    chosen = check_photos(files)
    if chosen:
        uploads.save_many(chosen, owner=record, user=user)


def applicable_plan(equipment, kind, plans=None):
    """The plan that governs ``equipment`` for ``kind`` (item, else area type, else enterprise type)."""
    if plans is None:
        plans = _PlanIndex.load([equipment.org_id])
    return plans.find(kind, equipment.id, equipment.org_id, equipment.area_id, equipment.equip_type)


@_no_autoflush
def prepare_record(item, kind, user=None, on=None):
    """Check and complete an inspection or maintenance record before it is saved."""
    user = _user(user)
    on = on or today()
    is_new = item.id is None
    equipment_id = _target(item, "equipment", "equipment_id")
    if not equipment_id:
        raise _required(_("Equipment"))
    equipment = equipment_in_scope(equipment_id, user)
    if equipment is None:
        raise DomainError(_("The equipment does not exist or is outside your scope."))
    if is_new and equipment.status == EquipmentStatus.SCRAPPED:
        raise DomainError(_("No records can be added for scrapped equipment."))
    date_label = _("Inspection date") if kind == CareKind.INSPECTION else _("Maintenance date")
    if item.done_on is None:
        raise _required(date_label)
    item.done_on = _date_of(item.done_on)
    if item.done_on > on:
        raise DomainError(_("%(field)s cannot be later than today.", field=date_label))
    if equipment.installed_on is not None and item.done_on < equipment.installed_on:
        raise DomainError(_("%(field)s cannot be earlier than the installation date (%(day)s).",
                            field=date_label, day=equipment.installed_on.isoformat()))
    item.person = _clean(item.person)
    if not item.person:
        raise _required(_("Inspector") if kind == CareKind.INSPECTION else _("Maintainer"))
    staff_id = _target(item, "staff", "staff_id")
    staff = None
    if staff_id:
        staff = _scoped_one(Staff, staff_id, user)
        changed = is_new or staff_id != _original(item, "staff_id")
        if staff is None or staff.org_id != equipment.org_id or (
                changed and staff.status != StaffStatus.ACTIVE):
            raise DomainError(_("The staff member must be in service with the equipment's enterprise."))
    item.staff, item.staff_id = staff, staff.id if staff is not None else None
    item.result = _clean(item.result)
    if not item.result:
        raise _required(_("Result"))
    if item.result not in RESULT_LABELS[kind]:
        raise DomainError(_("Unknown result: %(value)s", value=item.result))
    item.findings = _clean(item.findings)
    if kind == CareKind.INSPECTION and item.result == InspectionResult.ABNORMAL and not item.findings:
        raise DomainError(_("Findings and handling are required when the inspection result is abnormal."))
    if kind == CareKind.MAINTENANCE:
        item.company = _clean(item.company) or equipment.maintenance_company
        item.content = _clean(item.content)
    item.equipment, item.equipment_id = equipment, equipment.id
    item.org_id, item.area_id, item.region_code = equipment.org_id, equipment.area_id, equipment.region_code
    plan = applicable_plan(equipment, kind)
    item.plan_id = plan.id if plan is not None else None
    return item


def record_deleting(record):
    """Before a record is deleted: its photos go with it. Returns the equipment to recompute."""
    for upload in uploads.files_of(record):
        uploads.remove(upload)
    return record.equipment_id


def record_changed(equipment_id):
    """After a record is saved or deleted: that equipment's due dates."""
    db.session.flush()
    recompute([Equipment.id == equipment_id])


# --- due dates --------------------------------------------------------------------------------

class _PlanIndex:
    """The active plans of some enterprises, indexed by what they cover."""

    def __init__(self, plans):
        self.item, self.area, self.org = {}, {}, {}
        # Ascending id: a later plan for the same target wins (only reachable through old data).
        for p in sorted(plans, key=lambda p: p.id):
            if p.equipment_id is not None:
                self.item[(p.kind, p.equipment_id)] = p
            elif p.area_id is not None:
                self.area[(p.kind, p.area_id, p.equip_type)] = p
            else:
                self.org[(p.kind, p.org_id, p.equip_type)] = p

    @classmethod
    def load(cls, org_ids=None):
        stmt = select(CarePlan.id, CarePlan.kind, CarePlan.org_id, CarePlan.area_id, CarePlan.equip_type,
                      CarePlan.equipment_id, CarePlan.cycle_value, CarePlan.cycle_unit, CarePlan.created_on,
                      CarePlan.name).where(CarePlan.active.is_(True))
        if org_ids is not None:
            org_ids = [o for o in org_ids if o is not None]
            if not org_ids:
                return cls([])
            stmt = stmt.where(CarePlan.org_id.in_(org_ids))
        return cls(db.session.execute(stmt).all())

    def find(self, kind, equipment_id, org_id, area_id, equip_type):
        return (self.item.get((kind, equipment_id)) or self.area.get((kind, area_id, equip_type))
                or self.org.get((kind, org_id, equip_type)))


def _next_due(plan, last, installed_on):
    if plan is None:
        return None
    start = last or installed_on or _date_of(plan.created_on)
    return add_cycle(start, plan.cycle_value, plan.cycle_unit)


def _last_dates(conn, model, lo, hi):
    table = model.__table__
    return dict(conn.execute(select(table.c.equipment_id, func.max(table.c.done_on))
                             .where(table.c.equipment_id >= lo, table.c.equipment_id <= hi)
                             .group_by(table.c.equipment_id)).all())


def recompute(where=None, on=None):
    """Recompute the stored due dates of the equipment matching ``where`` (a list of SQL
    conditions on Equipment; None = all), in batches of BATCH rows: per batch one query for
    the rows, one per record table for the last dates (ranges of the (equipment_id, done_on)
    indexes), one executemany UPDATE for the rows that changed. Clears ``overdue_flagged_on``
    of items no longer overdue. Core statements on the session's connection (no ORM objects).
    Returns the number of rows changed."""
    on = on or today()
    conds = list(where or [])
    db.session.flush()
    conn = db.session.connection()
    table = Equipment.__table__
    c = table.c
    orgs = None
    if conds:
        orgs = [o for (o,) in conn.execute(select(c.org_id).where(*conds).distinct())]
    plans = _PlanIndex.load(orgs)
    find = plans.find
    cols = (c.id, c.org_id, c.area_id, c.equip_type, c.status, c.installed_on, c.last_inspected_on,
            c.next_inspection_due, c.last_maintained_on, c.next_maintenance_due, c.overdue_flagged_on)
    stmt_update = (update(table).where(c.id == bindparam("b_id"))
                   .values(last_inspected_on=bindparam("b_li"), next_inspection_due=bindparam("b_ni"),
                           last_maintained_on=bindparam("b_lm"), next_maintenance_due=bindparam("b_nm"),
                           overdue_flagged_on=bindparam("b_flag")))
    inspection, maintenance, cared = CareKind.INSPECTION, CareKind.MAINTENANCE, CARED_STATUSES
    after, changed = 0, 0
    while True:
        rows = conn.execute(select(*cols).where(*conds, c.id > after).order_by(c.id).limit(BATCH)).all()
        if not rows:
            break
        lo, hi = rows[0][0], rows[-1][0]
        after = hi
        last_i = _last_dates(conn, InspectionRecord, lo, hi)
        last_m = _last_dates(conn, MaintenanceRecord, lo, hi)
        updates = []
        for (eid, org_id, area_id, equip_type, status, installed, old_li, old_ni, old_lm, old_nm,
             old_flag) in rows:
            li, lm = last_i.get(eid), last_m.get(eid)
            if status in cared:
                ni = _next_due(find(inspection, eid, org_id, area_id, equip_type), li, installed)
                nm = _next_due(find(maintenance, eid, org_id, area_id, equip_type), lm, installed)
            else:
                ni = nm = None
            overdue = (ni is not None and ni < on) or (nm is not None and nm < on)
            flag = old_flag if overdue else None
            if li != old_li or ni != old_ni or lm != old_lm or nm != old_nm or flag != old_flag:
                updates.append({"b_id": eid, "b_li": li, "b_ni": ni, "b_lm": lm, "b_nm": nm, "b_flag": flag})
        if updates:
            conn.execute(stmt_update, updates)
            changed += len(updates)
        if len(rows) < BATCH:
            break
    if changed:
        # Loaded Equipment objects must not keep their old dates.
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Equipment):
                db.session.expire(obj, ["last_inspected_on", "next_inspection_due", "last_maintained_on",
                                        "next_maintenance_due", "overdue_flagged_on"])
    return changed


def overdue_clause(on=None):
    """Equipment with an inspection or a maintenance past due. Written NULL-safe (IS NOT NULL
    AND ...) so that its negation means "nothing overdue" for items with one date only."""
    on = on or today()
    return or_(and_(Equipment.next_inspection_due.isnot(None), Equipment.next_inspection_due < on),
               and_(Equipment.next_maintenance_due.isnot(None), Equipment.next_maintenance_due < on))


def due_by_clause(day):
    return or_(Equipment.next_inspection_due <= day, Equipment.next_maintenance_due <= day)


def due_plans(equipment):
    """For the detail page: per kind, the applicable plan (or None), the last and next dates."""
    plans = _PlanIndex.load([equipment.org_id])
    out = []
    for kind in CareKind.ALL:
        last_col, next_col = DUE_COLUMNS[kind]
        plan = plans.find(kind, equipment.id, equipment.org_id, equipment.area_id, equipment.equip_type)
        out.append({"kind": kind, "label": kind_label(kind), "plan": plan,
                    "cycle": cycle_text(plan.cycle_value, plan.cycle_unit) if plan else "",
                    "last": getattr(equipment, last_col), "next": getattr(equipment, next_col)})
    return out


def history(equipment, kind, limit=50):
    model = RECORD_MODELS[kind]
    return list(db.session.execute(select(model).where(model.equipment_id == equipment.id)
                                   .order_by(model.done_on.desc(), model.id.desc()).limit(limit)).scalars())


def due_this_week(user=None, on=None, limit=DUE_LIST_LIMIT):
    """The 本周到期 list: equipment in the user's scope with an inspection or maintenance due
    by Sunday of this week (overdue included), grouped by area. Returns (groups, truncated)."""
    on = on or today()
    _monday, sunday = week_bounds(on)
    stmt = apply_scope(select(Equipment).where(due_by_clause(sunday)), Equipment, _user(user))
    first = func.coalesce(Equipment.next_inspection_due, Equipment.next_maintenance_due)
    second = func.coalesce(Equipment.next_maintenance_due, Equipment.next_inspection_due)
    earliest = case((first <= second, first), else_=second)          # LEAST() on every dialect
    rows = list(db.session.execute(stmt.order_by(Equipment.area_id, earliest, Equipment.id)
                                   .limit(limit + 1)).scalars())
    truncated = len(rows) > limit
    groups = {}
    for e in rows[:limit]:
        group = groups.setdefault(e.area_id, {"area": e.area, "items": []})
        group["items"].append({
            "equipment": e,
            "inspection": e.next_inspection_due if e.next_inspection_due and e.next_inspection_due <= sunday
            else None,
            "maintenance": e.next_maintenance_due if e.next_maintenance_due and e.next_maintenance_due <= sunday
            else None,
        })
    ordered = sorted(groups.values(), key=lambda g: g["area"].name)
    return ordered, truncated


# --- the daily job ----------------------------------------------------------------------------

@_in_chinese
def run_due_job(on=None):
    """Recompute every due date, flag what became overdue (once per overdue period) and send
    each enterprise with something overdue or due this week one notice a day. Idempotent:
    a second run on the same day flags nothing and sends nothing. Commits."""
    on = on or today()
    _monday, sunday = week_bounds(on)
    changed = recompute(on=on)
    db.session.commit()
    overdue = overdue_clause(on)
    flagged = db.session.execute(
        update(Equipment).where(overdue, Equipment.overdue_flagged_on.is_(None))
        .values(overdue_flagged_on=on).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    counts = defaultdict(lambda: {"overdue": 0, "week": 0, "new": 0})
    for org_id, n in db.session.execute(select(Equipment.org_id, func.count(Equipment.id))
                                        .where(overdue).group_by(Equipment.org_id)):
        counts[org_id]["overdue"] = n
    for org_id, n in db.session.execute(select(Equipment.org_id, func.count(Equipment.id))
                                        .where(~overdue, due_by_clause(sunday))
                                        .group_by(Equipment.org_id)):
        counts[org_id]["week"] = n
    for org_id, n in db.session.execute(select(Equipment.org_id, func.count(Equipment.id))
                                        .where(Equipment.overdue_flagged_on == on)
                                        .group_by(Equipment.org_id)):
        counts[org_id]["new"] = n
    day_key = int(on.strftime("%Y%m%d"))
    already = set(db.session.execute(select(notices.Notice.org_id).where(
        notices.Notice.source_type == NOTICE_SOURCE, notices.Notice.source_id == day_key)).scalars())
    sent = 0
    for org_id, c in sorted(counts.items()):
        if org_id in already or not (c["overdue"] or c["week"]):
            continue
        title = _("Equipment care reminder: %(overdue)s overdue, %(week)s due this week",
                  overdue=c["overdue"], week=c["week"])
        body = _("Overdue inspections or maintenance: %(overdue)s items (%(new)s newly overdue); due this week "
                 "(by %(sunday)s): %(week)s items. Open the list of care due this week to record them.",
                 overdue=c["overdue"], new=c["new"], week=c["week"], sunday=sunday.isoformat())
        notices.notify(org_id, title, body, link=DUE_LIST_URL, source=(NOTICE_SOURCE, day_key))
        sent += 1
    db.session.commit()
    return {"recomputed": changed, "flagged": flagged, "notices": sent}


# --- 待办 on the home page (app/core/worklist.py) -------------------------------------------

def care_todos(kind):
    """Equipment whose inspection (or maintenance) is past due, in scope: the same test as the
    equipment list's 已超期 filter, on the (org, next_*_due) indexes."""
    column = DUE_COLUMNS[kind][1]
    label = _l("Inspections overdue") if kind == CareKind.INSPECTION else _l("Maintenance overdue")

    def provider(user):
        from app.core import worklist

        due = getattr(Equipment, column)
        stmt = apply_scope(select(Equipment.id).where(due.isnot(None), due < today()), Equipment, user)
        n, capped = worklist.capped_count(stmt)
        return [worklist.Todo(f"care.{kind}_overdue", label, n, level="danger", group=_l("Property management"),
                              capped=capped, url=worklist.list_url("EquipmentView", (column, "care_due", "overdue")))]

    return provider


def register_worklist():
    from app.core import worklist

    worklist.register_todo("care.inspection", care_todos(CareKind.INSPECTION),
                           ("can_add", "InspectionRecordView"), order=40)
    worklist.register_todo("care.maintenance", care_todos(CareKind.MAINTENANCE),
                           ("can_add", "MaintenanceRecordView"), order=41)
    sc = worklist.register_shortcut
    sc("care.equipment", _l("Facilities and equipment"), "fa-cogs", endpoint="EquipmentView.list",
       permission=("can_list", "EquipmentView"), order=43)
    sc("care.due", _l("Inspection and maintenance due this week"), "fa-calendar-check-o",
       endpoint="CareDueView.list", permission=("can_list", "CareDueView"), order=44)
