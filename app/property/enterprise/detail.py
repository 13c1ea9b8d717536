"""企业信息详情 (seed 004): which enterprises a user may open, the enterprise list with credit
levels, and the detail page (basic information, professionals, staff by post, equipment,
awards and penalties, projects)."""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, false, func, or_, select

from app.core.scope import prefix_range, scope_clause, user_scope
from app.core.workflow import Application
from app.extensions import db
from app.property.models import (
    Certificate,
    EnterpriseHonor,
    EnterpriseProfile,
    Equipment,
    EquipmentStatus,
    PropertyArea,
    Staff,
    StaffStatus,
    staff_area,
)
from app.security.roles import SCOPE_ALL, SCOPE_AREA, SCOPE_ORG, SCOPE_REGION
from app.system import dicts
from app.system.models import Organization, OrgType, region_full_name
from app.property.enterprise.services import ENTERPRISE_FILING, open_filing, profile_of


# --- which enterprises a user may open ------------------------------------------------------------

def enterprise_clause(user):
    """Enterprises the user may look at: all (city), those registered in or serving an area
    of the user's region (street, district, analyst, reviewer), their own (enterprise
    staff and project leads), else none."""
    scope = user_scope(user)
    is_ent = Organization.org_type == OrgType.ENTERPRISE
    if scope.level == SCOPE_ALL:
        return is_ent
    if scope.level == SCOPE_REGION and scope.region_prefix:
        serving = select(PropertyArea.company_org_id).where(
            prefix_range(PropertyArea.region_code, scope.region_prefix), PropertyArea.company_org_id.isnot(None))
        return and_(is_ent, or_(prefix_range(Organization.region_code, scope.region_prefix),
                                Organization.id.in_(serving)))
    if scope.level in (SCOPE_ORG, SCOPE_AREA) and scope.org_id:
        return and_(is_ent, Organization.id == scope.org_id)
    return false()


def own_enterprise_id(user):
    """The enterprise of an enterprise administrator or project lead, else None."""
    scope = user_scope(user)
    if scope.level in (SCOPE_ORG, SCOPE_AREA) and scope.org_id:
        org = getattr(user, "org", None)
        if org is not None and org.org_type == OrgType.ENTERPRISE:
            return org.id
    return None


def visible_enterprise(user, org_id, session=None):
    session = session or db.session
    return session.execute(select(Organization).where(Organization.id == org_id)
                           .where(enterprise_clause(user))).scalars().first()


@dataclass
class EnterpriseRow:
    org: Organization
    type_label: str
    region_name: str
    filed_at: datetime | None
    areas: int
    credit_level: str = ""
    credit_score: int | None = None


# --- credit (app/credit: 信用等级 and 信用分, red/black lists) -------------------------------------

def credit_levels():
    """The credit levels, best first (the enterprise list's level filter)."""
    from app.credit import scoring

    return scoring.LEVELS


def _base_credit():
    """(score, level) of an enterprise whose score was never computed."""
    from app.credit import scoring

    policy = scoring.Policy.current()
    base = policy.score(0, 0)
    return base, policy.level(base)


@dataclass
class CreditSummary:
    level: str
    score: int
    entries: list = field(default_factory=list)     # red/black entries in publicity or in effect


def credit_of(org_id, session=None):
    """The enterprise's 信用等级, 信用分 and list entries, as the credit module states them."""
    from app.credit import scoring
    from app.credit import services as credit

    session = session or db.session
    score = scoring.score_of(org_id, session)
    return CreditSummary(score.level, score.score, credit.active_entries(org_id, session))


def credit_entry_text(entry):
    """One line for a list entry: 黑名单 HM2026...（生效，至 2027-03-01）：reason."""
    from app.credit import services as credit

    dates = []
    if entry.status == "effective" and entry.valid_until:
        dates.append(_("until %(day)s", day=entry.valid_until.strftime("%Y-%m-%d")))
    elif entry.publicity_until:
        dates.append(_("in publicity until %(day)s", day=entry.publicity_until.strftime("%Y-%m-%d")))
    status = credit.label_of(credit.LIST_STATUS_LABELS, entry.status)
    return _("%(list)s %(number)s (%(status)s%(dates)s): %(reason)s",
             list=credit.label_of(credit.LIST_TYPE_LABELS, entry.list_type), number=entry.number,
             status=status, dates="".join("，" + d for d in dates), reason=entry.reason)


def enterprise_page(user, q="", enterprise_type="", page=0, page_size=20, session=None, level=""):
    """One page of the enterprises the user may open: (rows, total). ``level`` filters by
    信用等级 (an enterprise never scored has the base level)."""
    from app.credit.models import CreditScore

    session = session or db.session
    stmt = select(Organization, CreditScore.level, CreditScore.score) \
        .outerjoin(CreditScore, CreditScore.org_id == Organization.id).where(enterprise_clause(user))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(Organization.name.contains(q), Organization.credit_code == q.upper()))
    if enterprise_type:
        stmt = stmt.where(Organization.enterprise_type == enterprise_type)
    base_score, base_level = _base_credit()
    if level:
        unscored = CreditScore.org_id.is_(None) if level == base_level else false()
        stmt = stmt.where(or_(CreditScore.level == level, unscored))
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(Organization.id)
                                                             .subquery())).scalar_one()
    found = session.execute(stmt.order_by(Organization.name, Organization.id)
                            .offset(page * page_size).limit(page_size)).all()
    orgs = [o for o, _level, _score in found]
    credit = {o.id: (lv or base_level, base_score if sc is None else sc) for o, lv, sc in found}
    ids = [o.id for o in orgs]
    filed = dict(session.execute(select(EnterpriseProfile.org_id, EnterpriseProfile.filed_at)
                                 .where(EnterpriseProfile.org_id.in_(ids))).all()) if ids else {}
    area_q = (select(PropertyArea.company_org_id, func.count(PropertyArea.id))
              .where(PropertyArea.company_org_id.in_(ids)).group_by(PropertyArea.company_org_id))
    clause = scope_clause(PropertyArea, user)
    if clause is not None:
        area_q = area_q.where(clause)
    areas = dict(session.execute(area_q).all()) if ids else {}
    rows = [EnterpriseRow(o, dicts.label("enterprise_type", o.enterprise_type) if o.enterprise_type else "",
                          region_full_name(o.region_code), filed.get(o.id), areas.get(o.id, 0),
                          credit[o.id][0], credit[o.id][1]) for o in orgs]
    return rows, total


# --- the detail page ---------------------------------------------------------------------------

@dataclass
class CountRow:
    code: str
    label: str
    count: int = 0
    extra: int = 0        # expired certificates / equipment overdue for maintenance
    holders: int = 0      # certificates: distinct holders


@dataclass
class AreaRow:
    id: int
    name: str
    district: str
    street: str
    lead: str
    staff: int
    equipment: int


@dataclass
class EnterpriseDetail:
    org: Organization
    type_label: str
    region_name: str
    profile: EnterpriseProfile | None
    latest_filing: Application | None
    open_filing: Application | None
    certificates: list = field(default_factory=list)
    certificate_totals: CountRow | None = None
    posts: list = field(default_factory=list)
    staff_total: int = 0
    equipment_types: list = field(default_factory=list)
    equipment_areas: list = field(default_factory=list)
    equipment_totals: CountRow | None = None
    honors: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    credit: CreditSummary | None = None      # 信用等级, 信用分 and red/black list entries
    partial_scope: bool = False


def _scoped(stmt, model, user):
    clause = scope_clause(model, user)
    return stmt if clause is None else stmt.where(clause)


def _by_dictionary(dict_type, counted):
    """Rows for every dictionary entry (zeros included), then codes the dictionary lacks."""
    rows = []
    for code, label in dicts.items(dict_type):
        rows.append(counted.pop(code, None) or CountRow(code, label))
        rows[-1].label = label
    for code in sorted(counted):
        row = counted[code]
        row.label = code
        rows.append(row)
    return rows


def _in_service(org_id):
    return and_(Staff.org_id == org_id, Staff.status == StaffStatus.ACTIVE)


def certificate_counts(org_id, user, today=None, session=None):
    """专业人员情况: in-service staff holding certificates, by type, with expired counts."""
    session = session or db.session
    today = today or date.today()
    expired = func.sum(case((Certificate.valid_until < today, 1), else_=0))
    base = select(Certificate.cert_type, func.count(func.distinct(Certificate.staff_id)),
                  func.count(Certificate.id), expired).join(Staff, Staff.id == Certificate.staff_id) \
        .where(_in_service(org_id))
    base = _scoped(base, Staff, user)
    counted = {code: CountRow(code, code, count=n, extra=int(x or 0), holders=h)
               for code, h, n, x in session.execute(base.group_by(Certificate.cert_type)).all()}
    totals = select(func.count(func.distinct(Certificate.staff_id)), func.count(Certificate.id), expired) \
        .join(Staff, Staff.id == Certificate.staff_id).where(_in_service(org_id))
    h, n, x = session.execute(_scoped(totals, Staff, user)).one()
    return _by_dictionary("certificate_type", counted), CountRow("", "", count=n, extra=int(x or 0), holders=h)


def post_counts(org_id, user, session=None):
    """管理人员专业及人数: in-service staff by post, and the total."""
    session = session or db.session
    stmt = _scoped(select(Staff.post, func.count(Staff.id)).where(_in_service(org_id)), Staff, user)
    counted = {code: CountRow(code, code, count=n) for code, n in session.execute(stmt.group_by(Staff.post)).all()}
    rows = _by_dictionary("staff_post", counted)
    return rows, sum(r.count for r in rows)


def equipment_counts(org_id, user, today=None, session=None):
    """小区设备情况: equipment in use (not scrapped) by type and by area, with counts
    overdue for maintenance (``next_maintenance_due`` before today)."""
    session = session or db.session
    today = today or date.today()
    overdue = func.sum(case((Equipment.next_maintenance_due < today, 1), else_=0))
    where = and_(Equipment.org_id == org_id, Equipment.status != EquipmentStatus.SCRAPPED)
    by_type = _scoped(select(Equipment.equip_type, func.count(Equipment.id), overdue).where(where), Equipment, user)
    counted = {code: CountRow(code, code, count=n, extra=int(x or 0))
               for code, n, x in session.execute(by_type.group_by(Equipment.equip_type)).all()}
    types = _by_dictionary("equipment_type", counted)
    by_area = _scoped(select(PropertyArea.id, PropertyArea.name, func.count(Equipment.id), overdue)
                      .join(PropertyArea, PropertyArea.id == Equipment.area_id).where(where), Equipment, user)
    areas = [CountRow(str(pk), name, count=n, extra=int(x or 0)) for pk, name, n, x in
             session.execute(by_area.group_by(PropertyArea.id, PropertyArea.name).order_by(PropertyArea.name)).all()]
    totals = CountRow("", "", count=sum(r.count for r in types), extra=sum(r.extra for r in types))
    return types, areas, totals


def area_rows(org_id, user, show_name, session=None):
    """项目情况: the areas the enterprise serves, with the current lead, staff and equipment counts."""
    from sqlalchemy.orm import selectinload

    session = session or db.session
    stmt = _scoped(select(PropertyArea).where(PropertyArea.company_org_id == org_id), PropertyArea, user) \
        .options(selectinload(PropertyArea.lead_staff), selectinload(PropertyArea.project_lead)) \
        .order_by(PropertyArea.name, PropertyArea.id)
    areas = session.execute(stmt).scalars().all()
    ids = [a.id for a in areas]
    staff, equipment = {}, {}
    if ids:
        staff_q = _scoped(select(staff_area.c.area_id, func.count(func.distinct(Staff.id)))
                          .join(Staff, Staff.id == staff_area.c.staff_id)
                          .where(staff_area.c.area_id.in_(ids), _in_service(org_id)), Staff, user)
        staff = dict(session.execute(staff_q.group_by(staff_area.c.area_id)).all())
        equip_q = _scoped(select(Equipment.area_id, func.count(Equipment.id))
                          .where(Equipment.area_id.in_(ids), Equipment.org_id == org_id,
                                 Equipment.status != EquipmentStatus.SCRAPPED), Equipment, user)
        equipment = dict(session.execute(equip_q.group_by(Equipment.area_id)).all())
    rows = []
    for a in areas:
        if a.lead_staff is not None:
            lead = a.lead_staff.name
        elif a.project_lead is not None:
            lead = a.project_lead.first_name
        else:
            lead = None
        rows.append(AreaRow(a.id, a.name, a.district.name if a.district else "", a.street.name if a.street else "",
                            show_name(lead) if lead else "", staff.get(a.id, 0), equipment.get(a.id, 0)))
    return rows


def honors_of(org_id, session=None):
    session = session or db.session
    return session.execute(select(EnterpriseHonor).where(EnterpriseHonor.org_id == org_id)
                           .order_by(EnterpriseHonor.decided_on.desc(), EnterpriseHonor.id.desc())).scalars().all()


def enterprise_detail(user, org, show_name=lambda v: v, session=None):
    """Every section of 企业信息详情 for one enterprise the user may open."""
    session = session or db.session
    filings = session.execute(
        select(Application).where(Application.app_type == ENTERPRISE_FILING, Application.org_id == org.id)
        .order_by(Application.id.desc()).limit(1)).scalars().first()
    detail = EnterpriseDetail(
        org=org, type_label=dicts.label("enterprise_type", org.enterprise_type) if org.enterprise_type else "",
        region_name=region_full_name(org.region_code), profile=profile_of(org.id, session),
        latest_filing=filings, open_filing=open_filing(org.id, session),
    )
    detail.certificates, detail.certificate_totals = certificate_counts(org.id, user, session=session)
    detail.posts, detail.staff_total = post_counts(org.id, user, session=session)
    detail.equipment_types, detail.equipment_areas, detail.equipment_totals = equipment_counts(org.id, user,
                                                                                               session=session)
    detail.honors = honors_of(org.id, session)
    detail.areas = area_rows(org.id, user, show_name, session=session)
    detail.credit = credit_of(org.id, session)
    level = user_scope(user).level
    detail.partial_scope = level in (SCOPE_REGION, SCOPE_AREA)
    return detail
