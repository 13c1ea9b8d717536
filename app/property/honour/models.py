"""诚信登记 / 企业良好行为申报 (seed 004 物业服务企业 5): what the workflow does not hold.

The declaration itself is a business application of type ``good_behaviour`` (app/core/workflow.py;
its payload holds the fields, its states the steps). Two tables hang off it:

* :class:`HonourPublicity` — one row per declaration once accepted (受理): the area, the public
  fields copied from the payload (so the area's public page reads one indexed table), the
  publicity window (``starts_at`` .. ``ends_at``, N working days) and the outcome
  (``state``: 公示中 → 已公告 on approval, or 已结束 when returned or not approved).
* :class:`HonourObjection` — an objection from anyone during the window (name, mobile proven
  by an SMS code, content). Personal: masked for viewers without the PII permission, never
  shown on public pages, not visible to the declaring enterprise.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class PublicityState:
    PUBLICITY = "publicity"      # 公示中 (and, once the window ended, 待审核)
    ANNOUNCED = "announced"      # 已公告 (approved)
    CLOSED = "closed"            # 已结束 (returned, not approved or terminated)
    ALL = (PUBLICITY, ANNOUNCED, CLOSED)


PUBLICITY_STATE_LABELS = {
    PublicityState.PUBLICITY: _l("In publicity"),
    PublicityState.ANNOUNCED: _l("Announced"),
    PublicityState.CLOSED: _l("Closed"),
}


class HonourPublicity(db.Model):
    """The publicity of one good-behaviour declaration on its area's public page."""

    __tablename__ = "anju_honour_publicity"
    __audit__ = AuditSpec(
        _l("Good behaviour publicity"), row="title",
        labels={"application_id": _l("Business application"), "area_id": _l("Property management area"),
                "org_id": _l("Property service company"), "region_code": _l("Region"),
                "category": _l("Behaviour category"), "title": _l("Title"), "happened_on": _l("Date of the behaviour"),
                "description": _l("Account of what happened"), "state": _l("Publicity state"),
                "starts_at": _l("Publicity starts"), "ends_at": _l("Publicity ends"),
                "announced_at": _l("Announced at"), "end_noticed_at": _l("End of publicity notified at"),
                "objections": _l("Objections")},
        values={"state": "app.property.honour.models:PUBLICITY_STATE_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (
        UniqueConstraint("application_id", name="uq_anju_honour_publicity_application"),
        # The area's public page: what is in publicity or announced, newest first.
        Index("ix_anju_honour_publicity_area", "area_id", "state", "starts_at"),
    )

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("anju_application.id", ondelete="CASCADE",
                                                name="fk_anju_honour_publicity_application"),
                            nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_honour_publicity_area"),
                     nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_honour_publicity_org"), nullable=False,
                    index=True)
    region_code = Column(String(12), nullable=False, index=True)
    category = Column(String(32), nullable=False)            # dictionary good_behaviour_category
    title = Column(String(200), nullable=False)
    happened_on = Column(Date, nullable=False)
    description = Column(Text, nullable=False)
    state = Column(String(16), nullable=False, default=PublicityState.PUBLICITY)
    starts_at = Column(DateTime, nullable=False, default=now)
    ends_at = Column(DateTime, nullable=False, index=True)
    announced_at = Column(DateTime)
    end_noticed_at = Column(DateTime)

    application = relationship("Application", foreign_keys=[application_id])
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    org = relationship("Organization", foreign_keys=[org_id])
    objections = relationship("HonourObjection", order_by="HonourObjection.id", back_populates="publicity",
                              cascade="all, delete-orphan")

    def __repr__(self):
        return self.title

    def running(self, moment):
        """True while objections are taken (公示中 and the window not yet over)."""
        return self.state == PublicityState.PUBLICITY and self.starts_at <= moment < self.ends_at


class HonourObjection(db.Model):
    """One objection (异议) to a declaration in publicity: by anyone, mobile proven by SMS."""

    __tablename__ = "anju_honour_objection"
    __audit__ = AuditSpec(
        _l("Good behaviour objection"), row=lambda o: f"{o.created_at:%Y-%m-%d %H:%M}" if o.created_at else None,
        labels={"publicity_id": _l("Good behaviour publicity"), "region_code": _l("Region"),
                "name": _l("Name"), "mobile": _l("Mobile"), "content": _l("Objection"),
                "ip": _l("Network address"), "created_at": _l("Submitted at")},
        masks={"name": "name", "mobile": "mobile"},
    )
    # Government reads objections in its region; no enterprise reaches them (no org column).
    __scope__ = {"region": "region_code", "owner": None}
    __table_args__ = (
        Index("ix_anju_honour_objection_mobile", "publicity_id", "mobile"),
    )

    id = Column(Integer, primary_key=True)
    publicity_id = Column(Integer, ForeignKey("anju_honour_publicity.id", ondelete="CASCADE",
                                              name="fk_anju_honour_objection_publicity"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    name = Column(String(64), nullable=False)
    mobile = Column(String(20), nullable=False)
    content = Column(Text, nullable=False)
    ip = Column(String(45))
    created_at = Column(DateTime, nullable=False, default=now)

    publicity = relationship("HonourPublicity", back_populates="objections")
