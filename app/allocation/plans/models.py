"""配租计划 (allocation plans), their projects (小区), unit types (户型), eligibility rules and
priority groups (seed 002 §2; SPEC §6).

A plan belongs to a region (the city, or a district for a district's own plan): staff of
that region manage it and its registrations (``__scope__``). Its state moves
draft → published → open → closed → review → publicity → frozen → drawn → results → finished
(:data:`app.allocation.plans.services.TRANSITIONS`). When published it holds a secret S
(never shown until the draw) and its commitment C = SHA-256(S), which is public.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class PlanStatus:
    DRAFT = "draft"              # 草稿
    PUBLISHED = "published"      # 已发布 (window not open yet)
    OPEN = "open"                # 登记中
    CLOSED = "closed"            # 登记结束
    REVIEW = "review"            # 审核中
    PUBLICITY = "publicity"      # 资格公示
    FROZEN = "frozen"            # 待摇号 (pool frozen)
    DRAWN = "drawn"              # 已摇号
    RESULTS = "results"          # 结果公示
    FINISHED = "finished"        # 已完成
    ALL = (DRAFT, PUBLISHED, OPEN, CLOSED, REVIEW, PUBLICITY, FROZEN, DRAWN, RESULTS, FINISHED)
    PUBLIC = (PUBLISHED, OPEN, CLOSED, REVIEW, PUBLICITY, FROZEN, DRAWN, RESULTS, FINISHED)


class AllocationPlan(db.Model):
    __tablename__ = "anju_alloc_plan"
    __audit__ = AuditSpec(
        _l("Allocation plan"), row="title",
        labels={"code": _l("Plan number"), "title": _l("Plan name"), "status": _l("Plan state"),
                "region_code": _l("Region"), "announcement": _l("Allocation announcement"),
                "reg_start": _l("Registration starts"), "reg_end": _l("Registration ends"),
                "contact_phone": _l("Service phone"), "contact_hours": _l("Service hours"),
                "contact_address": _l("Service address"), "commitment": _l("Commitment C"),
                "published_at": _l("Published at"), "publicity_until": _l("Publicity ends"),
                "frozen_at": _l("Pool frozen at"), "drawn_at": _l("Drawn at"),
                "results_until": _l("Result publicity ends"), "secret": _l("Secret S"), "review_started_at": _l("Review started at"), "publicity_from": _l("Publicity starts"), "results_from": _l("Result publicity starts"), "projects": _l("Allocation projects"), "rules": _l("Eligibility rules"), "groups": _l("Priority groups")},
        values={"status": "app.allocation.labels:PLAN_STATUS_LABELS"},
    )
    __scope__ = {"region": "region_code", "org": "org_id", "owner": "created_by_fk"}

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)          # 计划编号, e.g. 2026-01
    title = Column(String(200), nullable=False)
    status = Column(String(16), nullable=False, default=PlanStatus.DRAFT, index=True)
    region_code = Column(String(12), nullable=False, index=True)    # city or district running the plan
    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    announcement = Column(Text)                                     # 《配租公告》 text
    reg_start = Column(DateTime)                                    # 登记开始
    reg_end = Column(DateTime)                                      # 登记结束
    contact_phone = Column(String(64))                              # 服务联系方式
    contact_hours = Column(String(128))
    contact_address = Column(String(255))
    secret = Column(LargeBinary(32))                                # S: revealed only by the draw
    commitment = Column(String(64))                                 # C = SHA-256(S), hex, public once published
    published_at = Column(DateTime)
    review_started_at = Column(DateTime)
    publicity_from = Column(DateTime)
    publicity_until = Column(DateTime)                              # 资格公示 ends
    frozen_at = Column(DateTime)
    drawn_at = Column(DateTime)
    results_from = Column(DateTime)
    results_until = Column(DateTime)                                # 结果公示 ends
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)

    projects = relationship("AllocationProject", back_populates="plan", order_by="AllocationProject.sort_order",
                            cascade="all, delete-orphan")
    rules = relationship("EligibilityRule", back_populates="plan", cascade="all, delete-orphan",
                         order_by="EligibilityRule.sort_order")
    groups = relationship("PriorityGroup", back_populates="plan", cascade="all, delete-orphan",
                          order_by="PriorityGroup.draw_order")
    org = relationship("Organization", foreign_keys=[org_id])

    def __repr__(self):
        return self.title or self.code

    @property
    def status_label(self):
        from app.allocation.labels import PLAN_STATUS_LABELS

        return str(PLAN_STATUS_LABELS.get(self.status, self.status))


def _plan_region(prefix):
    from app.core.scope import prefix_range

    return AllocationProject.plan_id.in_(
        db.select(AllocationPlan.id).where(prefix_range(AllocationPlan.region_code, prefix)))


class AllocationProject(db.Model):
    """配租项目 (a 小区 offered by a plan): where, what, photos (uploads owner ``alloc_project``)."""

    __tablename__ = "anju_alloc_project"
    __audit__ = AuditSpec(
        _l("Allocation project"), row="name",
        labels={"plan_id": _l("Allocation plan"), "name": _l("Project name"), "district_code": _l("District"),
                "address": _l("Address"), "intro": _l("Project introduction"), "traffic": _l("Traffic and amenities"), "unit_types": _l("Unit types"), "sort_order": _l("Order")},
    )
    __scope__ = {"region": _plan_region}

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(128), nullable=False)
    district_code = Column(String(12), nullable=False)
    address = Column(String(255), nullable=False)
    intro = Column(Text)
    traffic = Column(Text)                                          # 交通 / 周边配套
    sort_order = Column(Integer, nullable=False, default=0)

    plan = relationship("AllocationPlan", back_populates="projects")
    unit_types = relationship("UnitType", back_populates="project", order_by="UnitType.sort_order",
                              cascade="all, delete-orphan")

    def __repr__(self):
        return self.name

    @property
    def unit_count(self):
        return sum(u.count or 0 for u in self.unit_types)


def _unit_region(prefix):
    from app.core.scope import prefix_range

    return UnitType.project_id.in_(
        db.select(AllocationProject.id).join(AllocationPlan, AllocationPlan.id == AllocationProject.plan_id)
        .where(prefix_range(AllocationPlan.region_code, prefix)))


class UnitType(db.Model):
    """户型: layout, area, rent and how many homes of it the project offers (photos: owner ``alloc_unit``)."""

    __tablename__ = "anju_alloc_unit_type"
    __audit__ = AuditSpec(
        _l("Unit type"), row="name",
        labels={"project_id": _l("Allocation project"), "name": _l("Unit type name"), "layout": _l("Layout"),
                "area": _l("Floor area (㎡)"), "rent": _l("Monthly rent (yuan)"), "count": _l("Number of homes"),
                "rent_list": _l("Rent list"), "description": _l("Unit type description"), "sort_order": _l("Order")},
    )
    __scope__ = {"region": _unit_region}

    id = Column(Integer, primary_key=True)
    project_id = Column(Integer, ForeignKey("anju_alloc_project.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(64), nullable=False)                       # e.g. A户型
    layout = Column(String(64), nullable=False)                     # 一室一厅一卫
    area = Column(Numeric(8, 2), nullable=False)                    # 建筑面积 ㎡
    rent = Column(Numeric(10, 2), nullable=False)                   # 月租金 (from)
    count = Column(Integer, nullable=False, default=0)              # 房源套数
    # 租金清单: [{"room": "1-2-301", "floor": 3, "area": "45.20", "rent": "1580.00"}, ...]
    rent_list = Column(JSON)
    description = Column(Text)
    sort_order = Column(Integer, nullable=False, default=0)

    project = relationship("AllocationProject", back_populates="unit_types")

    def __repr__(self):
        return f"{self.name} {self.layout}"


class EligibilityRule(db.Model):
    """One condition on a filing's field (app/allocation/plans/rules.py FIELDS): an eligibility
    rule of the plan (``group_id`` empty) with the reason a refused applicant reads, or a
    condition for belonging to a priority group."""

    __tablename__ = "anju_alloc_rule"
    __audit__ = AuditSpec(
        _l("Eligibility rule"), row="reason",
        labels={"plan_id": _l("Allocation plan"), "group_id": _l("Priority group"), "field": _l("Filing field"),
                "op": _l("Condition"), "value": _l("Value"), "reason": _l("Reason shown when not met"),
                "sort_order": _l("Order")},
    )
    __scope__ = {"region": lambda prefix: EligibilityRule.plan_id.in_(
        db.select(AllocationPlan.id).where(_prefix(AllocationPlan.region_code, prefix)))}

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    group_id = Column(Integer, ForeignKey("anju_alloc_group.id", ondelete="CASCADE"), index=True)
    field = Column(String(32), nullable=False)
    op = Column(String(16), nullable=False)
    value = Column(JSON)
    reason = Column(String(255), nullable=False)
    sort_order = Column(Integer, nullable=False, default=0)

    plan = relationship("AllocationPlan", back_populates="rules")
    group = relationship("PriorityGroup", back_populates="conditions")


def _prefix(column, prefix):
    from app.core.scope import prefix_range

    return prefix_range(column, prefix)


class PriorityGroup(db.Model):
    """A separate lottery pool (e.g. 优先家庭), drawn in ``draw_order``; a registration joins the
    first group (by order) whose conditions all hold, else the plan's default group."""

    __tablename__ = "anju_alloc_group"
    __audit__ = AuditSpec(
        _l("Priority group"), row="name",
        labels={"plan_id": _l("Allocation plan"), "code": _l("Group code"), "name": _l("Group name"),
                "draw_order": _l("Draw order"), "is_default": _l("Default group"), "conditions": _l("Group conditions")},
    )
    __scope__ = {"region": lambda prefix: PriorityGroup.plan_id.in_(
        db.select(AllocationPlan.id).where(_prefix(AllocationPlan.region_code, prefix)))}
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_anju_alloc_group_code"),)

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    code = Column(String(16), nullable=False)                       # ascii, used in file names
    name = Column(String(64), nullable=False)
    draw_order = Column(Integer, nullable=False, default=1)
    is_default = Column(Boolean, nullable=False, default=False)

    plan = relationship("AllocationPlan", back_populates="groups")
    conditions = relationship("EligibilityRule", back_populates="group", cascade="all, delete-orphan",
                              order_by="EligibilityRule.sort_order")

    def __repr__(self):
        return self.name


Index("ix_anju_alloc_plan_region_status", AllocationPlan.region_code, AllocationPlan.status)
