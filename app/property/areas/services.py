"""Property area rules: the area's regions, and its project lead (seed 003 §5, §10)."""
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.property import models as m


def check_area(area):
    """The street lies in the district, the community in the street; fill ``region_code``."""
    if not (area.name or "").strip():
        raise DomainError(_("%(field)s: %(message)s", field=_("Property management area name"),
                            message=_("is required")))
    area.name = area.name.strip()
    district = area.district_code or getattr(area.district, "code", None)
    street = area.street_code or getattr(area.street, "code", None)
    community = area.community_code or getattr(area.community, "code", None)
    if not district:
        raise DomainError(_("%(field)s: %(message)s", field=_("Administrative division"), message=_("is required")))
    if street and not street.startswith(district):
        raise DomainError(_("The street does not lie in the chosen district."))
    if community and (not street or not community.startswith(street)):
        raise DomainError(_("The community does not lie in the chosen street."))
    area.district_code, area.street_code, area.community_code = district, street, community
    area.fill_region()


# --- project leads (seed 003 §5, §10, §17, §18) -------------------------------------------------
#
# An area has at most one current project lead: a LeadAssignment row whose current_area_id is
# the area's id (unique). The area keeps the lead's staff record (lead_staff_id) and that
# record's bound login (project_lead_id), which the complaint routing and the project-lead
# data scope read. Changing the lead is one transaction: the old assignment ends, the new one
# starts, the area moves from the old lead's 在管物业管理区域 to the new lead's.

def _lead_error(message):
    return DomainError(message)


def current_assignment(area, session=None):
    from sqlalchemy import select

    from app.extensions import db

    session = session or db.session
    return session.execute(select(m.LeadAssignment).where(m.LeadAssignment.current_area_id == area.id)
                           ).scalars().first()


def _start(area, staff, actor, note=None, session=None):
    from app.core.mixins import now
    from app.extensions import db

    session = session or db.session
    assignment = m.LeadAssignment(area_id=area.id, current_area_id=area.id, org_id=staff.org_id,
                                  region_code=area.region_code, staff_id=staff.id, started_at=now(),
                                  started_by_id=getattr(actor, "id", None), note=note)
    session.add(assignment)
    area.lead_staff_id = staff.id
    area.project_lead_id = staff.user_id
    return assignment


def _end(area, actor, note=None, session=None):
    from app.core.mixins import now

    assignment = current_assignment(area, session)
    if assignment is not None:
        assignment.current_area_id = None
        assignment.ended_at = now()
        assignment.ended_by_id = getattr(actor, "id", None)
        if note:
            assignment.note = (f"{assignment.note}；{note}" if assignment.note else note)[:255]
    area.lead_staff_id = None
    area.project_lead_id = None
    return assignment


def lead_candidates(area, session=None):
    """In-service 项目负责人 of the area's company: whom the lead may be changed to."""
    from sqlalchemy import select

    from app.extensions import db

    session = session or db.session
    if area.company_org_id is None:
        return []
    return session.execute(
        select(m.Staff).where(m.Staff.org_id == area.company_org_id, m.Staff.status == m.StaffStatus.ACTIVE,
                              m.Staff.post == "project_lead").order_by(m.Staff.name, m.Staff.id)
    ).scalars().all()


def change_lead(area, staff, actor, note=None, session=None):
    """更换项目负责人: end the current assignment and start ``staff``'s, in one transaction.

    ``staff`` None only ends the current one (the area then has no lead and takes no online
    requests until a new one is set). Flushes; the caller commits.
    """
    from app.extensions import db

    session = session or db.session
    if area.company_org_id is None:
        raise _lead_error(_("The area has no property service company yet, so it cannot have a project lead."))
    if actor is not None and getattr(actor, "org_id", None) and _is_enterprise_actor(actor) \
            and actor.org_id != area.company_org_id:
        raise _lead_error(_("Only the area's property service company may change its project lead."))
    if staff is not None:
        if staff.org_id != area.company_org_id:
            raise _lead_error(_("%(name)s is not staff of the area's property service company.", name=staff.name))
        if staff.status != m.StaffStatus.ACTIVE:
            raise _lead_error(_("%(name)s has left the enterprise and cannot lead an area.", name=staff.name))
        if staff.post != "project_lead":
            raise _lead_error(_("%(name)s's post is not project lead. Set the post to 项目负责人 first.",
                                name=staff.name))
        if area.lead_staff_id == staff.id:
            raise _lead_error(_("%(name)s is already the project lead of this area.", name=staff.name))
    old = area.lead_staff
    if old is None and staff is None:
        raise _lead_error(_("The area has no project lead to end."))
    _end(area, actor, note, session)
    if old is not None and area in old.areas:
        old.areas.remove(area)
    if staff is not None:
        if area not in staff.areas:
            staff.areas.append(area)
        session.flush()
        _start(area, staff, actor, note, session)
    session.flush()
    return area


def _is_enterprise_actor(actor):
    org = getattr(actor, "org", None)
    return org is not None and org.org_type == "enterprise"


def sync_leads(staff, actor, session=None):
    """Keep lead assignments in line with a staff record after it is saved or resigned.

    A 项目负责人 in service becomes the lead of each of their areas that has none; an area that
    already has another lead is refused (the change goes through 更换项目负责人); areas the
    person no longer manages, or all of them once they leave or change post, lose them as lead.
    """
    from sqlalchemy import select

    from app.extensions import db

    session = session or db.session
    session.flush()
    leading = staff.status == m.StaffStatus.ACTIVE and staff.post == "project_lead"
    wanted = {a.id for a in staff.areas} if leading else set()
    led = session.execute(select(m.PropertyArea).where(m.PropertyArea.lead_staff_id == staff.id)).scalars().all()
    for area in led:
        if area.id not in wanted:
            _end(area, actor, session=session)
    for area in staff.areas if leading else ():
        if area.lead_staff_id == staff.id:
            continue
        if area.lead_staff_id is not None:
            other = area.lead_staff
            raise _lead_error(_("The area %(area)s already has a project lead (%(name)s). Use 'Change project lead' "
                                "on the area to replace them.", area=area.name,
                                name=masking_name(other.name if other else "")))
        _start(area, staff, actor, session=session)
    session.flush()


def masking_name(name):
    from app.core import masking

    return masking.for_viewer("name", name)


# --- 快捷入口 on the home page (app/core/worklist.py) ----------------------------------------

def register_worklist():
    from flask_babel import lazy_gettext as _l

    from app.core import worklist

    worklist.register_shortcut("property.areas", _l("Property management areas"), "fa-building",
                               endpoint="PropertyAreaView.list", permission=("can_list", "PropertyAreaView"),
                               order=40)
