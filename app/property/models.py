"""Property management (物业管理): the areas that complaints route to.

This is the minimal area model the complaints module needs (SPEC §7, seed 003 §7-§10):
name, district, street, community, the property service company and the current project
lead. The property-management module grows from it (houses, filings, staff, equipment).
"""
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from app.core import masking
from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db


def _public_code():
    return secrets.token_urlsafe(9)


class PropertyArea(TimestampMixin, db.Model):
    """物业管理区域.

    ``region_code`` is the street's code when the area has one, else the district's; region
    scopes (street, district, city) compare it by prefix. ``company_org_id`` is the property
    service company (物业服务企业): the enterprise scope. ``project_lead_id`` is the login of
    the current project lead (项目负责人): the project-lead scope covers the areas they lead.
    ``public_code`` is the unguessable key of the area's public complaint link (码上办).
    """

    __tablename__ = "anju_property_area"
    __audit__ = AuditSpec(
        _l("Property management area"), row="name",
        labels={"name": _l("Property management area name"), "district_code": _l("District"),
                "street_code": _l("Street"), "community_code": _l("Community"), "address": _l("Address"),
                "company_org_id": _l("Property service company"), "project_lead_id": _l("Project lead account"),
                "lead_staff_id": _l("Project lead"), "public_code": _l("Public code"),
                "staff": _l("Staff")},
    )
    __scope__ = {"org": "company_org_id", "region": "region_code", "owner": None, "area": "id"}
    __table_args__ = (
        Index("ix_anju_property_area_lead", "project_lead_id"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False, index=True)
    district_code = Column(String(12), ForeignKey("anju_region.code"), nullable=False, index=True)
    street_code = Column(String(12), ForeignKey("anju_region.code"), index=True)
    community_code = Column(String(12), ForeignKey("anju_region.code"))
    region_code = Column(String(12), nullable=False, index=True)
    address = Column(String(255))
    company_org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    project_lead_id = Column(Integer, ForeignKey("ab_user.id"))
    # The staff record of the current project lead (app/property/services.py change_lead);
    # project_lead_id is that record's bound login, NULL until the person has an account.
    lead_staff_id = Column(Integer, ForeignKey("anju_staff.id", use_alter=True,
                                               name="fk_anju_property_area_lead_staff"))
    public_code = Column(String(16), nullable=False, unique=True, default=_public_code)

    district = relationship("Region", foreign_keys=[district_code], lazy="joined", innerjoin=True)
    street = relationship("Region", foreign_keys=[street_code], lazy="joined")
    community = relationship("Region", foreign_keys=[community_code])
    company = relationship("Organization", foreign_keys=[company_org_id], lazy="joined")
    project_lead = relationship("AnjuUser", foreign_keys=[project_lead_id])
    lead_staff = relationship("Staff", foreign_keys=[lead_staff_id], post_update=True)

    def __repr__(self):
        return self.name

    def fill_region(self):
        """Keep ``region_code`` the finest known region (street, else district)."""
        self.region_code = self.street_code or self.district_code


def led_area_ids(user_id):
    """The areas a user leads now, as a SELECT for the data scope (app/core/scope.py)."""
    from sqlalchemy import select

    return select(PropertyArea.id).where(PropertyArea.project_lead_id == user_id)


def _register_scope():
    from app.core import scope

    scope.register_area_source(led_area_ids)
    _register_account_hooks()


def _register_account_hooks():
    from app.accounts import services as accounts
    from app.property import services

    if services.bind_person not in accounts.STAFF_ACCOUNT_HOOKS:
        accounts.STAFF_ACCOUNT_HOOKS.append(services.bind_person)
    if services.lead_record_problem not in accounts.LEAD_RECORD_CHECKS:
        accounts.LEAD_RECORD_CHECKS.append(services.lead_record_problem)
    # 开立从业人员账号 may start from a staff record (staff_services imports these models: late).
    accounts.STAFF_RECORD_SOURCE["candidates"] = _staff_account_candidates
    accounts.STAFF_RECORD_SOURCE["record"] = _staff_account_record


def _staff_account_candidates(actor):
    from app.property import staff_services

    return staff_services.account_candidates(actor)


def _staff_account_record(actor, staff_id):
    from app.property import staff_services

    return staff_services.account_record(actor, staff_id)


_register_scope()


# --- enterprise records (SPEC §7, seed 004 企业信息备案/企业人员管理/设施设备管理/巡检/维保) -------------

from sqlalchemy import (  # noqa: E402
    Boolean,
    Date,
    DateTime,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    select,
    union,
)
from sqlalchemy.orm import backref  # noqa: E402

from app.core.mixins import now  # noqa: E402


class StaffStatus:
    ACTIVE = "active"      # 在职
    LEFT = "left"          # 离职
    ALL = (ACTIVE, LEFT)


class EquipmentStatus:
    IN_USE = "in_use"      # 在用
    STOPPED = "stopped"    # 停用
    REPAIR = "repair"      # 维修中
    SCRAPPED = "scrapped"  # 报废
    ALL = (IN_USE, STOPPED, REPAIR, SCRAPPED)


class CareKind:
    INSPECTION = "inspection"    # 巡检
    MAINTENANCE = "maintenance"  # 维保
    ALL = (INSPECTION, MAINTENANCE)


class CycleUnit:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = (DAY, WEEK, MONTH, YEAR)


def _org_region_ids(model, prefix):
    """Rows of ``model`` whose enterprise is registered inside ``prefix``."""
    from app.core.scope import prefix_range
    from app.system.models import Organization

    return model.org_id.in_(select(Organization.id).where(prefix_range(Organization.region_code, prefix)))


staff_area = Table(
    "anju_staff_area", db.Model.metadata,
    Column("staff_id", Integer, ForeignKey("anju_staff.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", Integer, ForeignKey("anju_property_area.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_anju_staff_area_area", "area_id", "staff_id"),
)


def _staff_in_region(prefix):
    """Staff working in an area of the region, or employed by an enterprise registered there."""
    from app.core.scope import prefix_range

    in_areas = (select(staff_area.c.staff_id)
                .join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
                .where(prefix_range(PropertyArea.region_code, prefix)))
    from app.system.models import Organization

    of_orgs = (select(Staff.id).where(Staff.org_id.in_(
        select(Organization.id).where(prefix_range(Organization.region_code, prefix)))))
    return Staff.id.in_(union(in_areas, of_orgs))


def _staff_in_areas(area_ids):
    """Staff working in the given areas (a project lead's team), the lead included."""
    return Staff.id.in_(select(staff_area.c.staff_id).where(staff_area.c.area_id.in_(area_ids)))


class Staff(TimestampMixin, db.Model):
    """从业人员: a person employed by an enterprise (seed 003 §17, seed 004 企业人员管理).

    ``current_key`` holds the ID number while the person is in service and NULL once they
    leave: the unique (org, current_key) pair allows one record in service per person and
    enterprise, and keeps every earlier (离职) record as history. ``user_id`` is the login
    account bound to the record by ID number (seed 003 §5, §18).
    """

    __tablename__ = "anju_staff"
    __audit__ = AuditSpec(
        _l("Staff member"), row="name",
        labels={"org_id": _l("Enterprise"), "name": _l("Name"), "mobile": _l("Contact phone"),
                "id_number": _l("Resident ID number"), "post": _l("Post"), "hired_on": _l("Hired on"),
                "status": _l("Status"), "left_on": _l("Date of leaving"), "left_reason": _l("Reason for leaving"),
                "current_key": _l("Current-staff key"), "user_id": _l("Account"), "remark": _l("Remark"),
                "areas": _l("Property management area"), "certificates": _l("Certificates")},
        masks={"name": "name", "mobile": "mobile", "id_number": "id_number", "username": "mobile"},
        values={"status": "app.property.staff_services:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": _staff_in_region, "area": _staff_in_areas, "owner": None}
    __table_args__ = (
        UniqueConstraint("org_id", "current_key", name="uq_anju_staff_current"),
        Index("ix_anju_staff_org_id", "org_id", "id"),          # the enterprise's list, newest first
        Index("ix_anju_staff_org_status", "org_id", "status", "id"),
        Index("ix_anju_staff_org_name", "org_id", "name"),
        Index("ix_anju_staff_org_post", "org_id", "post"),
    )

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    name = Column(String(64), nullable=False, index=True)
    mobile = Column(String(20), nullable=False)
    id_number = Column(String(32), nullable=False, index=True)
    post = Column(String(32), nullable=False)
    hired_on = Column(Date)
    status = Column(String(16), nullable=False, default=StaffStatus.ACTIVE)
    left_on = Column(Date)
    left_reason = Column(String(255))
    current_key = Column(String(32))
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    user = relationship("AnjuUser", foreign_keys=[user_id], lazy="joined")
    areas = relationship("PropertyArea", secondary=staff_area, lazy="selectin", order_by="PropertyArea.name",
                         backref=backref("staff", lazy="dynamic"))
    certificates = relationship("Certificate", back_populates="staff", cascade="all, delete-orphan",
                                order_by="Certificate.id", lazy="selectin")

    def __repr__(self):
        return masking.person_text(self.name)

    @property
    def area_names(self):
        return "、".join(a.name for a in self.areas) or "-"

    @property
    def username(self):
        return self.user.username if self.user is not None else ""


class Certificate(TimestampMixin, db.Model):
    """证书: type, number, issuer, validity and the scan (uploads engine, owner "certificate")."""

    __tablename__ = "anju_staff_certificate"
    __audit__ = AuditSpec(
        _l("Certificate"), row="number",
        labels={"staff_id": _l("Staff member"), "org_id": _l("Enterprise"), "cert_type": _l("Certificate type"),
                "number": _l("Certificate number"), "issuer": _l("Issuing authority"),
                "issued_on": _l("Issue date"), "valid_until": _l("Valid until")},
    )
    __scope__ = {
        "org": "org_id", "owner": None,
        "region": lambda prefix: Certificate.staff_id.in_(select(Staff.id).where(_staff_in_region(prefix))),
        "area": lambda ids: Certificate.staff_id.in_(select(Staff.id).where(_staff_in_areas(ids))),
    }
    __table_args__ = (Index("ix_anju_staff_certificate_valid", "org_id", "valid_until"),)

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("anju_staff.id", ondelete="CASCADE"), nullable=False, index=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    cert_type = Column(String(32), nullable=False)
    number = Column(String(64), nullable=False)
    issuer = Column(String(128))
    issued_on = Column(Date)
    valid_until = Column(Date)

    staff = relationship("Staff", back_populates="certificates")

    def __repr__(self):
        return self.number


class LeadAssignment(db.Model):
    """One period of a staff member as an area's project lead (seed 003 §10).

    ``current_area_id`` equals ``area_id`` while the assignment runs and is NULL once it
    ends: its unique constraint makes "at most one current lead per area" a database rule.
    """

    __tablename__ = "anju_area_lead"
    __audit__ = AuditSpec(
        _l("Project lead assignment"), row=lambda a: a.area.name if a.area is not None else None,
        labels={"area_id": _l("Property management area"), "current_area_id": _l("Current area"), "org_id": _l("Enterprise"),
                "staff_id": _l("Project lead"), "started_at": _l("Started at"), "ended_at": _l("Ended at"),
                "started_by_id": _l("Assigned by"), "ended_by_id": _l("Ended by"), "note": _l("Note")},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (Index("ix_anju_area_lead_area", "area_id", "started_at"),)

    id = Column(Integer, primary_key=True)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", ondelete="CASCADE"), nullable=False)
    current_area_id = Column(Integer, unique=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    region_code = Column(String(12), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("anju_staff.id"), nullable=False, index=True)
    started_at = Column(DateTime, default=now, nullable=False)
    ended_at = Column(DateTime)
    started_by_id = Column(Integer, ForeignKey("ab_user.id"))
    ended_by_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(String(255))

    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    staff = relationship("Staff", foreign_keys=[staff_id], lazy="joined", innerjoin=True)
    started_by = relationship("AnjuUser", foreign_keys=[started_by_id])
    ended_by = relationship("AnjuUser", foreign_keys=[ended_by_id])




class Equipment(TimestampMixin, db.Model):
    """设施设备: located in an area, a building, a unit (empty building = area-wide, seed 004).

    ``next_inspection_due`` / ``next_maintenance_due`` are computed from the plans and the
    last records (app/property/care_services.py) and kept on the row, so "due this week"
    and "overdue" lists are index range scans.
    """

    __tablename__ = "anju_equipment"
    __audit__ = AuditSpec(
        _l("Equipment"), row=lambda e: " ".join(x for x in (e.code, e.name) if x) or None,
        labels={"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "building": _l("Building name"),
                "unit": _l("Unit / stairway"), "equip_type": _l("Facility or equipment type"),
                "code": _l("Equipment number"), "name": _l("Equipment name"), "model": _l("Model"),
                "manufacturer": _l("Manufacturer"), "installed_on": _l("Installation date"),
                "maintenance_company": _l("Maintenance company"), "status": _l("Status"),
                "last_inspected_on": _l("Last inspection"), "next_inspection_due": _l("Next inspection"),
                "last_maintained_on": _l("Last maintenance"), "next_maintenance_due": _l("Next maintenance"),
                "overdue_flagged_on": _l("Flagged overdue on"), "remark": _l("Note")},
        values={"status": "app.property.care_services:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (
        Index("ix_anju_equipment_area_type", "area_id", "equip_type"),
        Index("ix_anju_equipment_org_type", "org_id", "equip_type"),
        Index("ix_anju_equipment_maint_due", "org_id", "next_maintenance_due"),
        Index("ix_anju_equipment_insp_due", "org_id", "next_inspection_due"),
    )

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    building = Column(String(64))
    unit = Column(String(32))
    equip_type = Column(String(32), nullable=False)
    code = Column(String(64))
    name = Column(String(128), nullable=False)
    model = Column(String(64))
    manufacturer = Column(String(128))
    installed_on = Column(Date)
    maintenance_company = Column(String(128))
    status = Column(String(16), nullable=False, default=EquipmentStatus.IN_USE)
    last_inspected_on = Column(Date)
    next_inspection_due = Column(Date)
    last_maintained_on = Column(Date)
    next_maintenance_due = Column(Date)
    overdue_flagged_on = Column(Date)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)

    def __repr__(self):
        return self.name

    @property
    def location(self):
        parts = [self.area.name if self.area is not None else ""]
        if self.building:
            parts.append(self.building)
            if self.unit:
                parts.append(self.unit)
        return " / ".join(p for p in parts if p)


class CarePlan(TimestampMixin, db.Model):
    """巡检/维保计划: a cycle for an equipment type (in one area or all of the enterprise's)
    or for one item, e.g. elevators maintained every half month, fire facilities inspected
    monthly."""

    __tablename__ = "anju_care_plan"
    __audit__ = AuditSpec(
        _l("Inspection and maintenance plan"), row="name",
        labels={"org_id": _l("Enterprise"), "kind": _l("Plan type"), "name": _l("Plan name"), "area_id": _l("Property management area"),
                "equip_type": _l("Facility or equipment type"), "equipment_id": _l("Equipment"),
                "cycle_value": _l("Cycle"), "cycle_unit": _l("Cycle unit"), "active": _l("Enabled"),
                "remark": _l("Note"), "created_on": _l("Created at")},
        values={"kind": "app.property.care_services:KIND_LABELS",
                "cycle_unit": "app.property.care_services:UNIT_LABELS"},
    )
    # A project lead sees the plans of the areas they lead and their enterprise's plans for
    # all its areas (area_id empty), which govern the same equipment.
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None,
                 "area": lambda ids: CarePlan.area_id.in_(ids) | (
                     CarePlan.area_id.is_(None)
                     & CarePlan.org_id.in_(select(PropertyArea.company_org_id).where(PropertyArea.id.in_(ids))))}
    __table_args__ = (Index("ix_anju_care_plan_org_kind", "org_id", "kind", "active"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    name = Column(String(128), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), index=True)
    equip_type = Column(String(32))
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), index=True)
    cycle_value = Column(Integer, nullable=False)
    cycle_unit = Column(String(8), nullable=False, default=CycleUnit.MONTH)
    active = Column(Boolean, nullable=False, default=True)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined")
    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined")

    def __repr__(self):
        return self.name


class _CareRecord(TimestampMixin):
    """What a 巡检 and a 维保 record share (photos: uploads engine)."""

    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}

    id = Column(Integer, primary_key=True)
    region_code = Column(String(12), nullable=False, index=True)
    done_on = Column(Date, nullable=False)
    person = Column(String(64), nullable=False)
    result = Column(String(16), nullable=False)
    findings = Column(Text)

    def __repr__(self):
        return f"{self.done_on} {masking.person_text(self.person)}"


class InspectionResult:
    NORMAL = "normal"        # 正常
    ABNORMAL = "abnormal"    # 异常
    ALL = (NORMAL, ABNORMAL)


class MaintenanceResult:
    DONE = "done"            # 已完成
    PARTIAL = "partial"      # 部分完成
    FAILED = "failed"        # 未完成（需复修）
    ALL = (DONE, PARTIAL, FAILED)


class InspectionRecord(_CareRecord, db.Model):
    """巡检记录."""

    __tablename__ = "anju_inspection_record"
    __audit__ = AuditSpec(
        _l("Inspection record"), row=lambda r: f"{r.done_on:%Y-%m-%d}" if r.done_on else None,
        labels={"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "equipment_id": _l("Equipment"),
                "plan_id": _l("Plan"), "staff_id": _l("Staff member"), "done_on": _l("Inspection date"), "person": _l("Inspector"),
                "result": _l("Result"), "findings": _l("Findings and handling"), "created_on": _l("Created at")},
        masks={"person": "name"},
        values={"result": "app.property.care_services:INSPECTION_RESULT_LABELS"},
    )
    __table_args__ = (
        Index("ix_anju_inspection_equipment", "equipment_id", "done_on"),
        Index("ix_anju_inspection_org_date", "org_id", "done_on"),
        Index("ix_anju_inspection_area_date", "area_id", "done_on"),
    )
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), nullable=False)
    plan_id = Column(Integer, ForeignKey("anju_care_plan.id", ondelete="SET NULL"))
    staff_id = Column(Integer, ForeignKey("anju_staff.id"))

    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    staff = relationship("Staff", foreign_keys=[staff_id])


class MaintenanceRecord(_CareRecord, db.Model):
    """维保记录 (the item's maintenance history, seed 004 维修记录)."""

    __tablename__ = "anju_maintenance_record"
    __audit__ = AuditSpec(
        _l("Maintenance record"), row=lambda r: f"{r.done_on:%Y-%m-%d}" if r.done_on else None,
        labels={**{"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "equipment_id": _l("Equipment"),
                "plan_id": _l("Plan"), "staff_id": _l("Staff member"), "done_on": _l("Maintenance date"), "person": _l("Maintainer"),
                "result": _l("Result"), "findings": _l("Handling notes"), "created_on": _l("Created at")},
                "company": _l("Maintenance company"), "content": _l("Maintenance content")},
        masks={"person": "name"},
        values={"result": "app.property.care_services:MAINTENANCE_RESULT_LABELS"},
    )
    __table_args__ = (
        Index("ix_anju_maintenance_equipment", "equipment_id", "done_on"),
        Index("ix_anju_maintenance_org_date", "org_id", "done_on"),
        Index("ix_anju_maintenance_area_date", "area_id", "done_on"),
    )
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), nullable=False)
    plan_id = Column(Integer, ForeignKey("anju_care_plan.id", ondelete="SET NULL"))
    staff_id = Column(Integer, ForeignKey("anju_staff.id"))
    company = Column(String(128))          # 维保单位
    content = Column(Text)                 # 维保内容

    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    staff = relationship("Staff", foreign_keys=[staff_id])


class EnterpriseProfile(TimestampMixin, db.Model):
    """企业信息备案 as last approved (seed 004): one row per enterprise.

    Local and non-local enterprises fill different fields (app/property/filing_services.py
    declares which are required). The filing itself is a business application
    (app/core/workflow.py, type ``enterprise_filing``); approval copies its payload here.
    """

    __tablename__ = "anju_enterprise_profile"
    __audit__ = AuditSpec(
        _l("Enterprise information"), row=lambda p: p.org.name if p.org is not None else None,
        labels={"org_id": _l("Enterprise"), "is_local": _l("Local enterprise"),
                "registered_capital": _l("Registered capital (10,000 yuan)"),
                "established_on": _l("Date of establishment"), "registered_address": _l("Registered address"),
                "office_address": _l("Office address"), "business_scope": _l("Business scope"),
                "legal_rep": _l("Legal representative"), "legal_rep_mobile": _l("Legal representative's mobile"),
                "contact_name": _l("Contact person"), "contact_mobile": _l("Contact mobile"),
                "staff_total": _l("Total staff (declared)"), "home_region": _l("Place of registration"),
                "branch_name": _l("Local branch name"), "branch_manager": _l("Local manager"),
                "branch_manager_mobile": _l("Local manager's mobile"), "branch_address": _l("Local office address"),
                "entered_on": _l("Date of entering the city"), "filed_at": _l("Filed at"),
                "application_id": _l("Application")},
        masks={"legal_rep": "name", "legal_rep_mobile": "mobile", "contact_name": "name",
               "contact_mobile": "mobile", "branch_manager": "name", "branch_manager_mobile": "mobile"},
    )
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": None}

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, unique=True)
    is_local = Column(Boolean, nullable=False, default=True)
    registered_capital = Column(Numeric(14, 2))      # 注册资本（万元）
    established_on = Column(Date)                    # 成立日期
    registered_address = Column(String(255))         # 注册地址
    office_address = Column(String(255))             # 办公地址
    business_scope = Column(Text)                    # 经营范围
    legal_rep = Column(String(64))                   # 法定代表人
    legal_rep_mobile = Column(String(20))
    contact_name = Column(String(64))                # 联系人
    contact_mobile = Column(String(20))              # 联系电话
    staff_total = Column(Integer)                    # 从业人员总数（申报）
    home_region = Column(String(128))                # 非本地：注册所在地
    branch_name = Column(String(128))                # 非本地：本地分支机构名称
    branch_manager = Column(String(64))              # 非本地：本地负责人
    branch_manager_mobile = Column(String(20))
    branch_address = Column(String(255))             # 非本地：本地办公地址
    entered_on = Column(Date)                        # 非本地：进入本市日期
    filed_at = Column(DateTime)
    application_id = Column(Integer, ForeignKey("anju_application.id"))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True,
                       backref=backref("profile", uselist=False))


class HonorKind:
    AWARD = "award"        # 奖励
    PENALTY = "penalty"    # 处罚
    ALL = (AWARD, PENALTY)


class EnterpriseHonor(TimestampMixin, db.Model):
    """企业受过的奖励和处罚, entered by government staff (seed 004 企业信息详情)."""

    __tablename__ = "anju_enterprise_honor"
    __audit__ = AuditSpec(
        _l("Award or penalty"), row="title",
        labels={"org_id": _l("Enterprise"), "kind": _l("Category"), "title": _l("Name of the award or penalty"),
                "issuer": _l("Decided by"), "decided_on": _l("Decision date"), "doc_number": _l("Document number"),
                "description": _l("Explanation")},
        values={"kind": "app.property.filing_services:HONOR_KIND_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": None}
    __table_args__ = (Index("ix_anju_enterprise_honor_org", "org_id", "decided_on"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    kind = Column(String(16), nullable=False)
    title = Column(String(200), nullable=False)
    issuer = Column(String(128), nullable=False)
    decided_on = Column(Date, nullable=False)
    doc_number = Column(String(64))
    description = Column(Text)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
