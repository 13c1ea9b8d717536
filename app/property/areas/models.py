"""物业管理区域 (seed 003 §7-§10): the areas complaints route to, and their project leads."""
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, select, union
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin, now
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
                "staff": _l("Staff"), "property_type": _l("Property type"), "boundaries": _l("Boundaries"),
                "land_area": _l("Land area (m²)"), "building_area": _l("Building area (m²)"),
                "building_count": _l("Number of buildings"), "developer_org_id": _l("Developer"),
                "committee_org_id": _l("Owners committee"), "contract_filed": _l("Service contract filed"),
                "houses": _l("Houses")},
    )
    # An enterprise sees the areas it serves (物业服务企业), built (开发建设单位) or represents
    # (业主委员会): three indexed lookups.
    __scope__ = {"org": lambda org_id: PropertyArea.id.in_(org_area_ids(org_id)),
                 "region": "region_code", "owner": None, "area": "id"}
    __table_args__ = (
        Index("ix_anju_property_area_lead", "project_lead_id"),
        # 综合查询: filters by community and property type, newest update first.
        Index("ix_anju_property_area_community", "community_code"),
        Index("ix_anju_property_area_type", "property_type"),
        Index("ix_anju_property_area_changed", "changed_on"),
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
    # The staff record of the current project lead (app/property/areas/services.py change_lead);
    # project_lead_id is that record's bound login, NULL until the person has an account.
    lead_staff_id = Column(Integer, ForeignKey("anju_staff.id", use_alter=True,
                                               name="fk_anju_property_area_lead_staff"))
    public_code = Column(String(16), nullable=False, unique=True, default=_public_code)
    # 物业区域备案 (seed 004 开发建设单位 2): what the filing adds to the area.
    property_type = Column(String(32))                       # dictionary property_type (物业类型)
    boundaries = Column(Text)                                # 四至
    land_area = Column(Numeric(14, 2))                       # 占地面积 (m²)
    building_area = Column(Numeric(14, 2))                   # 建筑面积 (m²)
    building_count = Column(Integer)                         # 楼栋数
    developer_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_property_area_developer"), index=True)   # 开发建设单位
    committee_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_property_area_committee"), index=True)   # 业主委员会
    contract_filed = Column(Boolean, nullable=False, default=False, server_default="0")  # 是否合同备案

    district = relationship("Region", foreign_keys=[district_code], lazy="joined", innerjoin=True)
    street = relationship("Region", foreign_keys=[street_code], lazy="joined")
    community = relationship("Region", foreign_keys=[community_code])
    company = relationship("Organization", foreign_keys=[company_org_id], lazy="joined")
    developer = relationship("Organization", foreign_keys=[developer_org_id])
    committee = relationship("Organization", foreign_keys=[committee_org_id])
    project_lead = relationship("AnjuUser", foreign_keys=[project_lead_id])
    lead_staff = relationship("Staff", foreign_keys=[lead_staff_id], post_update=True)

    def __repr__(self):
        return self.name

    def fill_region(self):
        """Keep ``region_code`` the finest known region (street, else district)."""
        self.region_code = self.street_code or self.district_code


def org_area_ids(org_id):
    """The areas an organisation serves, built or represents, as a SELECT of ids (the org scope
    of areas and of what hangs off them: houses, filings, news)."""
    return union(select(PropertyArea.id).where(PropertyArea.company_org_id == org_id),
                 select(PropertyArea.id).where(PropertyArea.developer_org_id == org_id),
                 select(PropertyArea.id).where(PropertyArea.committee_org_id == org_id))


def led_area_ids(user_id):
    """The areas a user leads now, as a SELECT for the data scope (app/core/scope.py)."""
    return select(PropertyArea.id).where(PropertyArea.project_lead_id == user_id)


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


