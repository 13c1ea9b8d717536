"""物业管理区域综合查询 (seed 003 §7): one area's 资料 (print and PDF), its 流程图 (every business
application about it, each with its steps), and what the area's public page (/area/<code>) shows.

Which areas a user sees is the data scope of PropertyArea (app/core/scope.py): the city all,
district and street staff their region, an enterprise (company, developer, committee) the areas
it serves, built or represents (``org_area_ids``), a project lead the areas they lead. The list
itself is app/property/areas/query_views.py (the base list view: scope, filters, export).
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.core import documents, masking
from app.core.workflow import Application
from app.extensions import db
from app.property.areas.filing import SUBJECT
from app.property.areas.models import PropertyArea
from app.system import dicts

#: Relations every row of the query shows: loaded with the page, never one query per row.
ROW_LOADS = (joinedload(PropertyArea.district), joinedload(PropertyArea.street),
             joinedload(PropertyArea.community), joinedload(PropertyArea.company),
             joinedload(PropertyArea.developer), joinedload(PropertyArea.committee))


def type_label(code):
    return dicts.label("property_type", code) if code else ""


def yes_no(value):
    return _("Yes") if value else _("No")


def org_name(org):
    return org.name if org is not None else ""


def region_name(region):
    return region.name if region is not None else ""


def applications_of(area_id, session=None, limit=500):
    """Every business application whose subject is the area, oldest first, with their steps."""
    session = session or db.session
    return session.execute(
        select(Application).where(Application.subject_type == SUBJECT, Application.subject_id == area_id)
        .options(selectinload(Application.events)).order_by(Application.id).limit(limit)).scalars().all()


def house_count(area_id, session=None):
    from app.property.houses.models import House

    session = session or db.session
    return session.execute(select(func.count(House.id)).where(House.area_id == area_id)).scalar_one()


@dataclass
class TimelineStep:
    at: object
    action: str
    status: str
    actor: str
    reason: str


@dataclass
class TimelineEntry:
    application: Application
    steps: list = field(default_factory=list)


def timeline(area, session=None):
    """查看流程图: each application about the area with its steps (newest step last); the
    handlers' names are masked as the viewer must see them."""
    out = []
    for a in applications_of(area.id, session):
        steps = [TimelineStep(e.at, e.action_label, e.to_label,
                              masking.for_viewer("name", e.actor_name) if e.actor_name else "", e.reason or "")
                 for e in a.events]
        out.append(TimelineEntry(a, steps))
    return out


def area_fields(area):
    """(label, value) of the area, as the print page and the detail page show them."""
    return [
        (_("Property management area name"), area.name),
        (_("Administrative division"), region_name(area.district)),
        (_("Street"), region_name(area.street)), (_("Community"), region_name(area.community)),
        (_("Property type"), type_label(area.property_type)), (_("Address"), area.address or ""),
        (_("Boundaries"), area.boundaries or "", True),
        (_("Land area (m²)"), area.land_area if area.land_area is not None else ""),
        (_("Building area (m²)"), area.building_area if area.building_area is not None else ""),
        (_("Number of buildings"), area.building_count if area.building_count is not None else ""),
        (_("Service contract filed"), yes_no(area.contract_filed)),
        (_("Developer"), org_name(area.developer)), (_("Property service company"), org_name(area.company)),
        (_("Owners committee"), org_name(area.committee)),
        (_("Latest update"), area.changed_on.strftime("%Y-%m-%d %H:%M:%S") if area.changed_on else ""),
    ]


def area_document(area, session=None):
    """打印资料: the area's fields, its houses, the current contract holder and its filing history."""
    rows = area_fields(area)
    holder = org_name(area.company) if area.contract_filed else _("No service contract filed")
    rows += [(_("Houses registered"), house_count(area.id, session)), (_("Current contract holder"), holder)]
    history = []
    for entry in timeline(area, session):
        a = entry.application
        last = entry.steps[-1] if entry.steps else None
        history.append([a.number, a.type_label, a.status_label,
                        a.submitted_at.strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
                        last.at.strftime("%Y-%m-%d %H:%M") if last and last.at else ""])
    return documents.Document(
        title=_("Property management area information"), subtitle=area.name,
        sections=[documents.Fields(rows, columns=4, title=_("Basic information")),
                  documents.Table([_("Application number"), _("Business type"), _("Status"), _("Submitted at"),
                                   _("Last step"), ], history, title=_("Filing history"),
                                  empty_text=_("No business application about this area yet."))])


# --- the public page --------------------------------------------------------------------------

def public_area(code, session=None):
    """The area with this public code, or None (also for codes that cannot be one)."""
    session = session or db.session
    code = (code or "").strip()
    if not code or len(code) > 16:
        return None
    return session.execute(select(PropertyArea).where(PropertyArea.public_code == code)
                           .options(*ROW_LOADS, joinedload(PropertyArea.lead_staff))).scalars().first()


def public_facts(area):
    """What anyone may read about an area: no personal data but the lead's masked name."""
    lead = area.lead_staff
    company = area.company
    return {
        "name": area.name, "address": area.address or "",
        "district": region_name(area.district), "street": region_name(area.street),
        "community": region_name(area.community), "property_type": type_label(area.property_type),
        "company": org_name(company), "developer": org_name(area.developer), "committee": org_name(area.committee),
        "lead": masking.mask("name", lead.name) if lead is not None and lead.name else "",
        "phone": (company.contact_mobile or "") if company is not None else "",
        "contract_filed": area.contract_filed,
    }
