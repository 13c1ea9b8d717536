"""Property management (物业管理): the areas that complaints route to.

This is the minimal area model the complaints module needs (SPEC §7, seed 003 §7-§10):
name, district, street, community, the property service company and the current project
lead. The property-management module grows from it (houses, filings, staff, equipment).
"""
import secrets

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

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
    public_code = Column(String(16), nullable=False, unique=True, default=_public_code)

    district = relationship("Region", foreign_keys=[district_code], lazy="joined", innerjoin=True)
    street = relationship("Region", foreign_keys=[street_code], lazy="joined")
    community = relationship("Region", foreign_keys=[community_code])
    company = relationship("Organization", foreign_keys=[company_org_id], lazy="joined")
    project_lead = relationship("AnjuUser", foreign_keys=[project_lead_id])

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


_register_scope()
