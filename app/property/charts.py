"""Property chart (app/core/charts.py): equipment whose inspection (巡检) or maintenance (维保)
falls due this month, or is overdue, by property management area, in the user's scope (an
enterprise its areas, a project lead the areas led). Counted live: the equipment registry is
small next to complaints, and indexed by organisation and due date."""
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from app.core import charts
from app.core.charts import ChartData
from app.core.mixins import now as _now
from app.core.scope import prefix_range, scope_clause
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.care.models import Equipment, EquipmentStatus

TOP_AREAS = 15


def _month_end(today):
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def care_due(user, f):
    today = _now().date()
    end = _month_end(today)
    cols = []
    for due in (Equipment.next_inspection_due, Equipment.next_maintenance_due):
        cols.append(func.sum(case((and_(due >= today, due <= end), 1), else_=0)))
        cols.append(func.sum(case((due < today, 1), else_=0)))
    stmt = (select(Equipment.area_id, *cols)
            .where(Equipment.status != EquipmentStatus.SCRAPPED,
                   or_(Equipment.next_inspection_due <= end, Equipment.next_maintenance_due <= end))
            .group_by(Equipment.area_id))
    clause = scope_clause(Equipment, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if f.street:
        stmt = stmt.where(prefix_range(Equipment.region_code, f.street))
    elif f.district:
        stmt = stmt.where(prefix_range(Equipment.region_code, f.district))
    rows = [(area_id, *[int(v or 0) for v in values]) for area_id, *values in db.session.execute(stmt).all()]
    rows.sort(key=lambda r: (-(r[2] + r[4]), -(r[1] + r[3]), r[0]))
    rows = rows[:TOP_AREAS]
    names = dict(db.session.execute(select(PropertyArea.id, PropertyArea.name)
                                    .where(PropertyArea.id.in_([r[0] for r in rows]))).all()) if rows else {}
    return ChartData([names.get(r[0], str(r[0])) for r in rows], [
        (_("Inspection due this month"), [r[1] for r in rows]),
        (_("Inspection overdue"), [r[2] for r in rows]),
        (_("Maintenance due this month"), [r[3] for r in rows]),
        (_("Maintenance overdue"), [r[4] for r in rows]),
    ], unit=_("pieces of equipment"), category_label=_("Property management area"),
        note=_("Equipment in the registry as of today (the period does not apply); the %(n)s areas with most overdue.",
               n=TOP_AREAS))


def register():
    charts.register_chart("property.care_due", _l("Equipment care due this month and overdue"), care_due,
                          ("can_list", "EquipmentView"),
                          roles_hint=("ent_admin", "project_lead", "district", "street"), order=40, kind="stack",
                          wide=True)
