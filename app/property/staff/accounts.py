"""A staff record and the login of its person (seed 003 §5, §18): binding by ID number,
what keeps a record from deletion, and the 用户没有从业记录 check."""
from flask_babel import gettext as _

from app.property import models as m


def bind_accounts(org_id, staff_ids=None, session=None):
    """Bind in-service staff records to the login of the person with the same ID number in
    the same enterprise (seed 003 §5: the two must match), and refresh the login of the areas
    they lead. Set-based: one UPDATE per table."""
    from sqlalchemy import and_, select, update

    from app.accounts.models import Person
    from app.extensions import db

    session = session or db.session
    session.flush()
    person_user = (select(Person.user_id)
                   .where(Person.id_number == m.Staff.id_number, Person.org_id == m.Staff.org_id,
                          Person.user_id.isnot(None))
                   .limit(1).scalar_subquery())
    stmt = update(m.Staff).where(m.Staff.org_id == org_id, m.Staff.status == m.StaffStatus.ACTIVE)
    if staff_ids is not None:
        stmt = stmt.where(m.Staff.id.in_(list(staff_ids)))
    session.execute(stmt.values(user_id=person_user).execution_options(synchronize_session=False))
    lead_user = select(m.Staff.user_id).where(m.Staff.id == m.PropertyArea.lead_staff_id).scalar_subquery()
    session.execute(update(m.PropertyArea)
                    .where(and_(m.PropertyArea.company_org_id == org_id, m.PropertyArea.lead_staff_id.isnot(None)))
                    .values(project_lead_id=lead_user).execution_options(synchronize_session=False))
    session.expire_all()


def bind_person(person, session=None):
    """A staff account was opened or activated: bind the enterprise's staff records to it."""
    if person is not None and person.org_id:
        bind_accounts(person.org_id, session=session)


def staff_references(staff, session=None):
    """Why a staff record cannot be deleted (and must be resigned instead), in Chinese."""
    from sqlalchemy import exists, select

    from app.extensions import db

    session = session or db.session
    reasons = []
    if staff.user_id is not None:
        reasons.append(_("the person has a login account bound to this record"))
    if session.execute(select(exists().where(m.LeadAssignment.staff_id == staff.id))).scalar():
        reasons.append(_("the person has been a project lead (the lead history refers to them)"))
    if session.execute(select(exists().where(m.InspectionRecord.staff_id == staff.id))).scalar() \
            or session.execute(select(exists().where(m.MaintenanceRecord.staff_id == staff.id))).scalar():
        reasons.append(_("inspection or maintenance records name the person"))
    return reasons


def lead_record_problem(user, session=None):
    """Why a project-lead login has no working staff record (seed 003 §18 "用户没有从业记录"), or None."""
    from sqlalchemy import select

    from app.extensions import db

    session = session or db.session
    row = session.execute(
        select(m.Staff.id).where(m.Staff.user_id == user.id, m.Staff.status == m.StaffStatus.ACTIVE,
                                 m.Staff.post == "project_lead").limit(1)).first()
    if row is not None:
        return None
    return _("Your account has no staff record as project lead (用户没有从业记录). Ask your enterprise "
             "administrator to add you under Staff with your ID number and the post 项目负责人.")
