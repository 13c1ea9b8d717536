"""物业服务 (seed 004 报修, 满意度调查, 检查考评): repairs reported by residents, satisfaction
surveys of government, and inspection evaluations by district and street staff."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, select)
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class RepairStatus:
    SUBMITTED = "submitted"      # 待指派
    ASSIGNED = "assigned"        # 已指派
    HANDLING = "handling"        # 处理中
    COMPLETED = "completed"      # 已完成
    CLOSED = "closed"            # 已关闭
    REJECTED = "rejected"        # 已拒绝
    OPEN = (SUBMITTED, ASSIGNED, HANDLING)
    FINISHED = (COMPLETED, CLOSED, REJECTED)
    ALL = (SUBMITTED, ASSIGNED, HANDLING, COMPLETED, CLOSED, REJECTED)


class Repair(db.Model):
    """报修: a resident's report for a house or a common part of an area (optionally one item of
    its equipment), handled by the area's property company."""

    __tablename__ = "anju_repair"
    __audit__ = AuditSpec(
        _l("Repair"), row="number",
        labels={"number": _l("Repair number"), "area_id": _l("Property management area"),
                "org_id": _l("Property service company"), "region_code": _l("Region"), "house_id": _l("House"),
                "location": _l("Repair location"), "equipment_id": _l("Equipment"), "name": _l("Reporter"),
                "mobile": _l("Mobile"), "content": _l("Repair content"), "status": _l("Status"),
                "assignee_id": _l("Assigned to"), "note": _l("Handling note"), "result": _l("Handling result"),
                "reason": _l("Reason"), "satisfaction": _l("Satisfaction"), "evaluation": _l("Evaluation"),
                "submitted_at": _l("Reported at"), "assigned_at": _l("Assigned at"),
                "handling_at": _l("Handling started at"), "completed_at": _l("Completed at"),
                "closed_at": _l("Closed at"), "evaluated_at": _l("Evaluated at"), "actor_id": _l("Last handled by")},
        masks={"name": "name", "mobile": "mobile"},
        values={"status": "app.property.service.repairs:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (
        UniqueConstraint("number", name="uq_anju_repair_number"),
        Index("ix_anju_repair_org_status", "org_id", "status", "submitted_at"),
        Index("ix_anju_repair_area_date", "area_id", "submitted_at"),
        Index("ix_anju_repair_region", "region_code", "submitted_at"),
        Index("ix_anju_repair_equipment", "equipment_id", "submitted_at"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_repair_area"), nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_repair_org"))
    region_code = Column(String(12), nullable=False)
    house_id = Column(Integer, ForeignKey("anju_house.id", name="fk_anju_repair_house"))
    location = Column(String(255), nullable=False)
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", name="fk_anju_repair_equipment",
                                              ondelete="SET NULL"))
    name = Column(String(64), nullable=False)
    mobile = Column(String(20), nullable=False)
    content = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=RepairStatus.SUBMITTED)
    assignee_id = Column(Integer, ForeignKey("anju_staff.id", name="fk_anju_repair_assignee"))
    note = Column(Text)
    result = Column(Text)
    reason = Column(Text)
    satisfaction = Column(Integer)
    evaluation = Column(Text)
    submitted_at = Column(DateTime, nullable=False, default=now)
    assigned_at = Column(DateTime)
    handling_at = Column(DateTime)
    completed_at = Column(DateTime)
    closed_at = Column(DateTime)
    evaluated_at = Column(DateTime)
    actor_id = Column(Integer, ForeignKey("ab_user.id", name="fk_anju_repair_actor"))

    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    house = relationship("House", foreign_keys=[house_id])
    equipment = relationship("Equipment", foreign_keys=[equipment_id])
    assignee = relationship("Staff", foreign_keys=[assignee_id])

    def __repr__(self):
        return self.number


class SurveyStatus:
    DRAFT = "draft"        # 草稿
    OPEN = "open"          # 已发布
    CLOSED = "closed"      # 已结束
    ALL = (DRAFT, OPEN, CLOSED)


# The survey's fixed items (满意度调查): column suffix -> label, each answered 1-5.
SURVEY_ITEMS = (
    ("overall", _l("Overall satisfaction")),
    ("cleaning", _l("Cleaning service")),
    ("order", _l("Order maintenance")),
    ("greening", _l("Greening maintenance")),
    ("repair", _l("Facility and equipment repair")),
    ("service", _l("Customer service response")),
)


def _survey_region(prefix):
    """A survey is in a region when one of its areas is (a city survey reaches the district
    staff of its areas)."""
    from app.core.scope import prefix_range

    return Survey.id.in_(select(SurveyArea.survey_id).where(prefix_range(SurveyArea.region_code, prefix)))


class Survey(db.Model):
    """满意度调查 by government for one or more areas' owners, over a period."""

    __tablename__ = "anju_survey"
    __audit__ = AuditSpec(
        _l("Satisfaction survey"), row="title",
        labels={"title": _l("Survey title"), "description": _l("Description"), "start_date": _l("Start date"),
                "end_date": _l("End date"), "status": _l("Status"), "org_id": _l("Organised by"),
                "region_code": _l("Region"), "created_by_id": _l("Created by"), "created_at": _l("Created at"),
                "published_at": _l("Published at"), "closed_at": _l("Closed at"), "areas": _l("Surveyed areas")},
        values={"status": "app.property.service.surveys:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": _survey_region, "owner": "created_by_id",
                 "area": lambda ids: Survey.id.in_(select(SurveyArea.survey_id).where(SurveyArea.area_id.in_(ids)))}
    __table_args__ = (Index("ix_anju_survey_status_end", "status", "end_date"),)

    id = Column(Integer, primary_key=True)
    title = Column(String(128), nullable=False)
    description = Column(Text)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    status = Column(String(16), nullable=False, default=SurveyStatus.DRAFT)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_survey_org"))
    region_code = Column(String(12), nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", name="fk_anju_survey_creator"))
    created_at = Column(DateTime, nullable=False, default=now)
    published_at = Column(DateTime)
    closed_at = Column(DateTime)

    org = relationship("Organization", foreign_keys=[org_id])
    areas = relationship("SurveyArea", back_populates="survey", cascade="all, delete-orphan",
                         order_by="SurveyArea.id")

    def __repr__(self):
        return self.title


class SurveyArea(db.Model):
    """One surveyed area, with its company when the survey was published (results by company)."""

    __tablename__ = "anju_survey_area"
    __audit__ = AuditSpec(
        _l("Surveyed area"), row=lambda s: s.area.name if s.area is not None else None,
        labels={"survey_id": _l("Satisfaction survey"), "area_id": _l("Property management area"),
                "org_id": _l("Property service company"), "region_code": _l("Region")},
    )
    __table_args__ = (
        UniqueConstraint("survey_id", "area_id", name="uq_anju_survey_area"),
        Index("ix_anju_survey_area_area", "area_id"),
        Index("ix_anju_survey_area_region", "region_code"),
    )

    id = Column(Integer, primary_key=True)
    survey_id = Column(Integer, ForeignKey("anju_survey.id", name="fk_anju_survey_area_survey", ondelete="CASCADE"),
                       nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_survey_area_area"), nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_survey_area_org"))
    region_code = Column(String(12), nullable=False)

    survey = relationship("Survey", back_populates="areas")
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")


class SurveyResponse(db.Model):
    """One owner's answer: verified against the area's house registry (name + ID number); one per
    owner, area and survey."""

    __tablename__ = "anju_survey_response"
    __audit__ = AuditSpec(
        _l("Survey answer"), row=lambda r: r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else None,
        labels={"survey_id": _l("Satisfaction survey"), "area_id": _l("Property management area"),
                "house_id": _l("House"), "org_id": _l("Property service company"), "name": _l("Owner's name"),
                "id_number": _l("Owner's ID number"), "score_overall": _l("Overall satisfaction"),
                "score_cleaning": _l("Cleaning service"), "score_order": _l("Order maintenance"),
                "score_greening": _l("Greening maintenance"), "score_repair": _l("Facility and equipment repair"),
                "score_service": _l("Customer service response"), "comment": _l("Comments and suggestions"),
                "submitted_at": _l("Answered at")},
        masks={"name": "name", "id_number": "id_number"},
    )
    __table_args__ = (
        UniqueConstraint("survey_id", "area_id", "id_number", name="uq_anju_survey_response_owner"),
        Index("ix_anju_survey_response_org", "survey_id", "org_id"),
    )

    id = Column(Integer, primary_key=True)
    survey_id = Column(Integer, ForeignKey("anju_survey.id", name="fk_anju_survey_response_survey",
                                           ondelete="CASCADE"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_survey_response_area"), nullable=False)
    house_id = Column(Integer, ForeignKey("anju_house.id", name="fk_anju_survey_response_house"))
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_survey_response_org"))
    name = Column(String(64), nullable=False)
    id_number = Column(String(32), nullable=False)
    score_overall = Column(Integer, nullable=False)
    score_cleaning = Column(Integer, nullable=False)
    score_order = Column(Integer, nullable=False)
    score_greening = Column(Integer, nullable=False)
    score_repair = Column(Integer, nullable=False)
    score_service = Column(Integer, nullable=False)
    comment = Column(Text)
    submitted_at = Column(DateTime, nullable=False, default=now)


class Evaluation(db.Model):
    """检查考评: district or street staff score an area's company against the checklist."""

    __tablename__ = "anju_evaluation"
    __audit__ = AuditSpec(
        _l("Inspection evaluation"), row="number",
        labels={"number": _l("Evaluation number"), "area_id": _l("Property management area"),
                "org_id": _l("Property service company"), "region_code": _l("Region"),
                "checked_on": _l("Inspection date"), "items": _l("Checklist scores"), "total": _l("Total score"),
                "max_total": _l("Full score"), "requirements": _l("Rectification requirements"),
                "inspector_id": _l("Inspector"), "inspector_org_id": _l("Inspecting organisation"),
                "submitted_at": _l("Submitted at")},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": "inspector_id"}
    __table_args__ = (
        UniqueConstraint("number", name="uq_anju_evaluation_number"),
        Index("ix_anju_evaluation_org", "org_id", "checked_on"),
        Index("ix_anju_evaluation_region", "region_code", "checked_on"),
        Index("ix_anju_evaluation_area", "area_id", "checked_on"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_evaluation_area"), nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_evaluation_org"), nullable=False)
    region_code = Column(String(12), nullable=False)
    checked_on = Column(Date, nullable=False)
    items = Column(JSON, nullable=False)              # [{"name", "max", "score", "reason"}]
    total = Column(Numeric(6, 1), nullable=False)
    max_total = Column(Numeric(6, 1), nullable=False)
    requirements = Column(Text)
    inspector_id = Column(Integer, ForeignKey("ab_user.id", name="fk_anju_evaluation_inspector"))
    inspector_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_evaluation_inspector_org"))
    submitted_at = Column(DateTime, nullable=False, default=now)

    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    inspector = relationship("AnjuUser", foreign_keys=[inspector_id])
    inspector_org = relationship("Organization", foreign_keys=[inspector_org_id])

    def __repr__(self):
        return self.number
