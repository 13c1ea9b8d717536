"""Complaints (需求及建议): the complaint, its history, and what escalation produces.

States (SPEC §8, seed 003 §12-§13) live in app/complaints/services.py with the rules;
this file holds only the tables. A complaint copies the routing facts of its area at
submission (company, district, street, region) so that every list filter and every scope
is one indexed column, and the history stays true if the area changes hands later.
A rental complaint (``kind`` rental, 用户维权, issue 14) has no area: it copies the rental
enterprise and the district and street of the property (from the contract or listing code
the complainant gave, else the enterprise's district).
"""
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class Complaint(db.Model):
    __tablename__ = "anju_complaint"
    # Enterprise: its own complaints; street/district/city: their region; project lead: the
    # areas they lead; the complainant: their own.
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "complainant_id", "area": "area_id",
                 "region_exact": {6: "district_code", 9: "street_code"}, "region_unindexed": True}
    __table_args__ = (
        Index("ix_anju_complaint_stage_due", "stage", "due_at"),
        Index("ix_anju_complaint_status_submitted", "status", "submitted_at"),
        Index("ix_anju_complaint_stage_submitted", "stage", "submitted_at"),
        Index("ix_anju_complaint_street_stage", "street_code", "stage", "submitted_at"),
        Index("ix_anju_complaint_district_stage", "district_code", "stage", "submitted_at"),
        Index("ix_anju_complaint_escalation", "stage", "escalated_at", "due_at"),
        Index("ix_anju_complaint_street_submitted", "street_code", "submitted_at"),
        Index("ix_anju_complaint_district_submitted", "district_code", "submitted_at"),
        Index("ix_anju_complaint_area_submitted", "area_id", "submitted_at"),
        Index("ix_anju_complaint_org_submitted", "org_id", "submitted_at"),
        Index("ix_anju_complaint_region_submitted", "region_code", "submitted_at"),
        # 类型 filter: city-wide, and a district's own (the district handles rental complaints).
        Index("ix_anju_complaint_kind_submitted", "kind", "submitted_at"),
        Index("ix_anju_complaint_district_kind", "district_code", "kind", "submitted_at"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    # property: about a property management area (handled by its project lead);
    # rental (用户维权): about a rental enterprise or agency, handled by the district of the property.
    kind = Column(String(16), nullable=False, default="property", server_default="property")
    area_id = Column(Integer, ForeignKey("anju_property_area.id"))  # property complaints only
    org_id = Column(Integer, ForeignKey("anju_org.id"))            # 物业服务企业, or the rental enterprise
    subject_number = Column(String(32))    # rental: the 合同编号 or 房源识别码 the complainant gave
    district_code = Column(String(12), ForeignKey("anju_region.code"), nullable=False)
    street_code = Column(String(12), ForeignKey("anju_region.code"))
    region_code = Column(String(12), nullable=False)
    complainant_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    name = Column(String(64), nullable=False)
    id_number = Column(String(18), nullable=False)
    mobile = Column(String(11), nullable=False, index=True)
    address = Column(String(255), nullable=False)
    content = Column(Text, nullable=False)
    status = Column(String(16), nullable=False)
    stage = Column(String(16), nullable=False)
    submitted_at = Column(DateTime, nullable=False, default=now, index=True)
    due_at = Column(DateTime, nullable=False)
    accepted_at = Column(DateTime)
    handled_at = Column(DateTime)          # 完成处理 or 拒绝处理: the clock stops
    result = Column(Text)                  # 处理结果 or the refusal reason
    refused = Column(Boolean, nullable=False, default=False)
    closed_at = Column(DateTime)
    auto_closed = Column(Boolean, nullable=False, default=False)
    satisfaction = Column(Integer)         # 1-5
    evaluation = Column(Text)
    escalated_at = Column(DateTime)        # flagged overdue and escalated to the street (once)
    version = Column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __audit__ = AuditSpec(
        _l("Complaint"), row="number",
        labels={"number": _l("Number"), "kind": _l("Request type"), "area_id": _l("Property management area"),
                "org_id": _l("Property service company"), "district_code": _l("District"),
                "street_code": _l("Street"), "region_code": _l("Region"),
                "complainant_id": _l("Complainant account"), "name": _l("Complainant"),
                "id_number": _l("ID number"), "mobile": _l("Mobile"), "address": _l("Address"),
                "content": _l("Content"), "status": _l("Handling status"), "stage": _l("Stage"),
                "submitted_at": _l("Submitted at"), "due_at": _l("Due at"),
                "accepted_at": _l("Accepted at"), "handled_at": _l("Handled at"),
                "result": _l("Handling result"), "refused": _l("Refused"), "closed_at": _l("Closed at"),
                "auto_closed": _l("Closed automatically"), "satisfaction": _l("Satisfaction"),
                "evaluation": _l("Evaluation"), "escalated_at": _l("Escalated at"),
                "subject_number": _l("Contract number or listing code"), "events": _l("History")},
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
        values={"status": "app.complaints.services:STATUS_LABELS",
                "stage": "app.complaints.services:STAGE_LABELS",
                "kind": "app.complaints.services:KIND_LABELS"},
    )

    # A rental complaint has no area. Loaded by a second SELECT of the page's areas by key:
    # outer-joined, the area's own inner-joined district would make SQLite materialise the
    # join of every area with its district for each page of complaints.
    area = relationship("PropertyArea", lazy="selectin")
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    district = relationship("Region", foreign_keys=[district_code], lazy="joined", innerjoin=True)
    street = relationship("Region", foreign_keys=[street_code], lazy="joined")
    complainant = relationship("AnjuUser", foreign_keys=[complainant_id])
    events = relationship("ComplaintEvent", order_by="ComplaintEvent.id", back_populates="complaint",
                          cascade="all, delete-orphan", lazy="select")

    def __repr__(self):
        return self.number

    @property
    def remaining_time(self):
        """剩余处理时间: remaining or overdue time while the request is open, else '-'."""
        return remaining_time(self.stage, self.due_at)


def remaining_time(stage, due_at):
    """A request's 剩余处理时间 from its stage and deadline (also the export's, from plain columns)."""
    from app.core.deadlines import remaining_text

    if stage not in ("pending", "processing") or due_at is None:
        return "-"
    return remaining_text(due_at)


class ComplaintEvent(db.Model):
    """One step in a complaint's life: who, when, from which state to which, and the text."""

    __tablename__ = "anju_complaint_event"
    id = Column(Integer, primary_key=True)
    complaint_id = Column(Integer, ForeignKey("anju_complaint.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    action = Column(String(16), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16), nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor_name = Column(String(128))
    at = Column(DateTime, default=now, nullable=False)
    note = Column(Text)

    complaint = relationship("Complaint", back_populates="events")

    __audit__ = AuditSpec(
        _l("Complaint history"), row=lambda e: _event_label(e),
        labels={"complaint_id": _l("Complaint"), "action": _l("Operation"),
                "from_status": _l("Status before"), "to_status": _l("Status after"),
                "actor_id": _l("Handler account"), "actor_name": _l("Handler"),
                "at": _l("Handled at"), "note": _l("Note")},
        masks={"actor_name": "name"},
        values={"action": "app.complaints.services:ACTION_LABELS",
                "from_status": "app.complaints.services:STATUS_LABELS",
                "to_status": "app.complaints.services:STATUS_LABELS"},
    )


def _event_label(event):
    """One history step as it reads: 受理 2024-05-01 09:30."""
    from app.complaints.services import ACTION_LABELS

    action = str(ACTION_LABELS.get(event.action, event.action))
    return f"{action} {event.at:%Y-%m-%d %H:%M}" if event.at else action


class CreditProposal(db.Model):
    """A credit-deduction proposal (信用扣分建议) for an enterprise, produced by a rule break
    such as an overdue complaint. The credit module consumes these rows; one source event
    yields at most one proposal (the unique constraint)."""

    __tablename__ = "anju_credit_proposal"
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None}
    __table_args__ = (UniqueConstraint("source_type", "source_id", "reason_code",
                                       name="uq_anju_credit_proposal_source"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    region_code = Column(String(12), nullable=False, index=True)
    source_type = Column(String(32), nullable=False)
    source_id = Column(Integer, nullable=False)
    source_number = Column(String(32))
    reason_code = Column(String(32), nullable=False)
    reason = Column(String(255), nullable=False)
    points = Column(Integer, nullable=False)
    status = Column(String(16), nullable=False, default="proposed")
    created_on = Column(DateTime, nullable=False, default=now, index=True)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")

    __audit__ = AuditSpec(
        _l("Credit deduction proposal"), row="source_number",
        labels={"org_id": _l("Enterprise"), "source_type": _l("Source type"), "source_id": _l("Source ID"),
                "source_number": _l("Source number"), "reason_code": _l("Reason code"),
                "reason": _l("Reason"), "points": _l("Points"), "status": _l("Status"),
                "created_on": _l("Created at")},
    )
