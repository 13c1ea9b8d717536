"""物业管理区域 (seed 003 §7-§10): the areas complaints route to, and their project leads."""
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String
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
    # The staff record of the current project lead (app/property/areas/services.py change_lead);
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


