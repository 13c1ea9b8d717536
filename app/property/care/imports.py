"""Equipment from a workbook (设施设备 导入, seed 004 §9 and the 承接查验 equipment sheet):
set-based checks, then one Core INSERT per batch."""
from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from app.core import xlsx
from app.core.mixins import now
from app.core.scope import apply_scope
from app.extensions import db
from app.property.care import services
from app.property.care.services import BATCH, _date_of, _user, recompute, today
from app.property.models import Equipment, EquipmentStatus, PropertyArea
from app.system import dicts

# The equipment workbook (its template, import and export), shared by 设施设备管理 and the
# equipment of a 承接查验备案 (app/property/filings).
EQUIPMENT_COLUMNS = [
    xlsx.XColumn(key="area", label=_l("Property management area name"), required=True, max_length=128, width=24),
    xlsx.XColumn(key="building", label=_l("Building name"), max_length=64, example="1栋"),
    xlsx.XColumn(key="unit", label=_l("Unit / stairway"), max_length=32, example="2单元"),
    xlsx.XColumn(key="equip_type", label=_l("Facility or equipment type"), kind="choice", required=True,
                 choices=dicts.choices("equipment_type"), example="电梯"),
    xlsx.XColumn(key="code", label=_l("Equipment number"), max_length=64),
    xlsx.XColumn(key="name", label=_l("Equipment name"), required=True, max_length=128, width=24, example="1号客梯"),
    xlsx.XColumn(key="model", label=_l("Model"), max_length=64),
    xlsx.XColumn(key="manufacturer", label=_l("Manufacturer"), max_length=128, width=24),
    xlsx.XColumn(key="installed_on", label=_l("Installation date"), kind="date"),
    xlsx.XColumn(key="maintenance_company", label=_l("Maintenance company"), max_length=128, width=24),
    xlsx.XColumn(key="status", label=_l("Status"), kind="choice",
                 choices=lambda: list(services.STATUS_LABELS.items()), example="在用"),
]


def validate_import_rows(rows, user=None, on=None):
    """Set-based checks of an equipment workbook: the areas are the importer's (one query),
    the location is well formed, the installation date is not in the future. Fills each row's
    ``_area`` (id, org, region). Returns [(row, column key, message)]."""
    user = _user(user)
    on = on or today()
    names = {(r.get("area") or "").strip() for r in rows if r.get("area")}
    found = defaultdict(list)
    name_list = sorted(names)
    for i in range(0, len(name_list), 500):
        stmt = apply_scope(select(PropertyArea.id, PropertyArea.name, PropertyArea.company_org_id,
                                  PropertyArea.region_code).where(PropertyArea.name.in_(name_list[i:i + 500])),
                           PropertyArea, user)
        for row in db.session.execute(stmt):
            found[row.name].append(row)
    errors = []
    for r in rows:
        n = r["_row"]
        name = (r.get("area") or "").strip()
        matches = found.get(name, [])
        if not matches:
            errors.append((n, "area", _("Unknown property management area, or not one of yours: %(name)s",
                                       name=name)))
        elif len(matches) > 1:
            errors.append((n, "area", _("Several of your property management areas are named %(name)s.",
                                       name=name)))
        elif matches[0].company_org_id is None:
            errors.append((n, "area", _("The property management area has no property service company yet.")))
        else:
            r["_area"] = matches[0]
        for key in ("building", "unit", "code", "name", "model", "manufacturer", "maintenance_company"):
            if isinstance(r.get(key), str):
                r[key] = r[key].strip() or None
        if r.get("unit") and not r.get("building"):
            errors.append((n, "unit", _("A unit cannot be given without a building: leave both empty for "
                                        "equipment of the whole area, or only the unit empty for a whole "
                                        "building.")))
        installed = r.get("installed_on")
        if installed is not None and _date_of(installed) > on:
            errors.append((n, "installed_on", _("%(field)s cannot be later than today.",
                                                field=_("Installation date"))))
        if r.get("status") and r["status"] not in EquipmentStatus.ALL:
            errors.append((n, "status", _("Unknown equipment status: %(value)s", value=r["status"])))
    errors.extend(_import_duplicates(rows))
    return errors


def equipment_keys(area_id, code, building, unit, equip_type, name):
    """What tells one item from another in an area: its equipment number when it has one,
    else its place, type and name. Returns (the key it is checked by, the keys it takes): an
    item with a number also takes its place key, so that a row without a number naming the
    same item is caught."""
    place = (area_id, "place", building or "", unit or "", equip_type, name)
    if code:
        number = (area_id, "code", code)
        return number, (number, place)
    return place, (place,)


def _import_duplicates(rows):
    """Rows repeating an item of the same area, in the database or earlier in the file."""
    placed = [r for r in rows if r.get("_area") is not None and r.get("name")]
    area_ids = sorted({r["_area"].id for r in placed})
    existing = set()
    for i in range(0, len(area_ids), 500):
        for e in db.session.execute(select(
                Equipment.area_id, Equipment.code, Equipment.building, Equipment.unit, Equipment.equip_type,
                Equipment.name).where(Equipment.area_id.in_(area_ids[i:i + 500]))):
            existing.update(equipment_keys(e.area_id, e.code, e.building, e.unit, e.equip_type, e.name)[1])
    first = {}
    errors = []
    for r in placed:
        n, area = r["_row"], r["_area"]
        key, takes = equipment_keys(area.id, r.get("code"), r.get("building"), r.get("unit"), r.get("equip_type"),
                                    r["name"])
        by_code = key[1] == "code"
        if key in existing:
            errors.append((n, "code", _("The equipment number %(code)s is already used in %(area)s.",
                                        code=r["code"], area=area.name)) if by_code else
                          (n, "name", _("%(area)s already has this equipment at this place (same type and name); "
                                        "give it an equipment number if it is another one.", area=area.name)))
        elif key in first:
            errors.append((n, "code", _("Row %(row)s already has the equipment number %(code)s in %(area)s.",
                                        row=first[key], code=r["code"], area=area.name)) if by_code else
                          (n, "name", _("Row %(row)s already has this equipment at this place (same type and "
                                        "name); give it an equipment number if it is another one.",
                                        row=first[key])))
        else:
            for taken in takes:
                first.setdefault(taken, n)
    return errors


def import_rows(rows, user=None):
    """Insert validated rows with Core INSERTs (the caller commits), then their due dates."""
    moment = now()
    batch = []
    orgs = set()
    first_id = (db.session.execute(select(func.max(Equipment.id))).scalar() or 0)
    for r in rows:
        area = r["_area"]
        orgs.add(area.company_org_id)
        batch.append({
            "org_id": area.company_org_id, "area_id": area.id, "region_code": area.region_code,
            "building": r.get("building"), "unit": r.get("unit"), "equip_type": r["equip_type"],
            "code": r.get("code"), "name": r["name"], "model": r.get("model"),
            "manufacturer": r.get("manufacturer"), "installed_on": _date_of(r.get("installed_on")),
            "maintenance_company": r.get("maintenance_company"),
            "status": r.get("status") or EquipmentStatus.IN_USE, "remark": None,
            "created_on": moment, "changed_on": moment,
        })
    for i in range(0, len(batch), BATCH):
        db.session.execute(insert(Equipment.__table__), batch[i:i + BATCH])
    if orgs:
        recompute([Equipment.id > first_id, Equipment.org_id.in_(orgs)])
    return len(batch)
