"""配租登记 (registrations, seed 002 §5–§7), their history, and objections during publicity.

A registration is screened against the plan's rules when made: it passes with a 登记编号
(status ``pending``, 待审核) or is refused with the reasons (``refused``, no number). A refused
applicant may ask for a human review (PIPL §24: ``appealed``); staff then admit it (it becomes
``pending`` with a number) or uphold the refusal (``appeal_denied``). Staff review pending ones:
``approved`` (审核通过) or ``rejected`` (不通过, with the reason). The applicant cancels before
the window closes (``cancelled``). The draw gives approved ones a rank and a result.

One ACTIVE registration per plan and applicant, enforced by the database:
``active_user_id`` holds the applicant's id while the registration counts (anything but
cancelled) and NULL once cancelled, under a unique constraint with ``plan_id`` (NULLs never
collide on SQLite or PostgreSQL), so a burst of clicks cannot create two.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class RegStatus:
    REFUSED = "refused"              # 未通过登记条件筛查
    APPEALED = "appealed"            # 人工复核中
    APPEAL_DENIED = "appeal_denied"  # 复核未通过
    PENDING = "pending"              # 已登记，待审核
    APPROVED = "approved"            # 审核通过
    REJECTED = "rejected"            # 审核不通过
    CANCELLED = "cancelled"          # 已取消登记
    ALL = (REFUSED, APPEALED, APPEAL_DENIED, PENDING, APPROVED, REJECTED, CANCELLED)
    REGISTERED = (PENDING, APPROVED, REJECTED)   # has a 登记编号 and counts as 已登记


class DrawResult:
    SELECTED = "selected"            # 中签 (within the homes offered)
    WAITING = "waiting"              # 轮候 (ranked after them)
    ALL = (SELECTED, WAITING)


REGISTRATION_LABELS = {
    "number": _l("Registration number"), "plan_id": _l("Allocation plan"), "project_id": _l("Preferred project"),
    "user_id": _l("Applicant account"), "filing_id": _l("Applicant filing"), "status": _l("Progress"),
    "group_code": _l("Lottery group"), "reasons": _l("Reasons not passed"), "snapshot": _l("Filing as screened"),
    "region_code": _l("Region"), "name": _l("Applicant name"), "id_number": _l("ID number"), "mobile": _l("Contact mobile"),
    "family_size": _l("Family size"), "registered_at": _l("Registered at"), "cancelled_at": _l("Cancelled at"),
    "review_reason": _l("Reason not passed"), "reviewed_at": _l("Reviewed at"), "reviewed_by_fk": _l("Reviewed by"),
    "appeal_text": _l("Request for human review"), "appeal_at": _l("Review requested at"),
    "appeal_reason": _l("Human review decision"), "appeal_decided_at": _l("Human review decided at"),
    "draw_rank": _l("Lottery rank"), "draw_order": _l("Selection order"), "draw_result": _l("Lottery result"),
    "active_user_id": _l("Active applicant"), "created_on": _l("Created at"), "events": _l("Registration history"),
}


class Registration(db.Model):
    __tablename__ = "anju_alloc_registration"
    __audit__ = AuditSpec(
        _l("Allocation registration"), row=lambda r: r.number or f"#{r.id}", labels=REGISTRATION_LABELS,
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
        values={"status": "app.allocation.labels:REG_STATUS_LABELS",
                "draw_result": "app.allocation.labels:DRAW_RESULT_LABELS"},
    )
    # A plan is run by a city or a district (a 6-digit code): a district's staff compare with
    # equality (the (region_code, id) index serves their list in order); a city-wide prefix
    # matches every row, so it is tested unindexed and a list filtered by plan walks the
    # (plan_id, status, id) index or the id order and stops after one page (app/core/scope.py).
    __scope__ = {"region": "region_code", "owner": "user_id", "region_exact": {6: "region_code"},
                 "region_unindexed": True}
    __table_args__ = (
        UniqueConstraint("plan_id", "active_user_id", name="uq_anju_alloc_registration_active"),
        Index("ix_anju_alloc_registration_plan_status", "plan_id", "status", "id"),
        Index("ix_anju_alloc_registration_region_id", "region_code", "id"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), unique=True)                        # 登记编号 (pseudonymous)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False)
    project_id = Column(Integer, ForeignKey("anju_alloc_project.id", ondelete="SET NULL"), index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    active_user_id = Column(Integer)
    filing_id = Column(Integer, ForeignKey("anju_alloc_filing.id", ondelete="SET NULL"), index=True)
    region_code = Column(String(12), nullable=False)                # the plan's region
    status = Column(String(16), nullable=False)
    group_code = Column(String(16))
    reasons = Column(JSON)                                          # screening: [reason text, ...]
    snapshot = Column(JSON)                                         # the filing screened
    name = Column(String(64), nullable=False)                       # copied from the filing for lists
    id_number = Column(String(32), nullable=False)
    mobile = Column(String(20), nullable=False)
    family_size = Column(Integer, nullable=False, default=1)
    registered_at = Column(DateTime)
    cancelled_at = Column(DateTime)
    reviewed_at = Column(DateTime)
    reviewed_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    review_reason = Column(String(500))
    appeal_text = Column(String(1000))
    appeal_at = Column(DateTime)
    appeal_reason = Column(String(500))
    appeal_decided_at = Column(DateTime)
    draw_rank = Column(Integer)                                     # rank inside its group's pool
    draw_order = Column(Integer)                                    # overall selection order
    draw_result = Column(String(16))
    created_on = Column(DateTime, default=now, nullable=False)

    plan = relationship("AllocationPlan", lazy="joined")
    project = relationship("AllocationProject")
    filing = relationship("ApplicantFiling")
    events = relationship("RegistrationEvent", back_populates="registration", order_by="RegistrationEvent.id",
                          cascade="all, delete-orphan")

    def __repr__(self):
        return self.number or f"#{self.id}"

    @property
    def status_label(self):
        from app.allocation.labels import REG_STATUS_LABELS

        return str(REG_STATUS_LABELS.get(self.status, self.status))

    @property
    def draw_result_label(self):
        from app.allocation.labels import DRAW_RESULT_LABELS

        return str(DRAW_RESULT_LABELS.get(self.draw_result, "")) if self.draw_result else ""


class RegistrationEvent(db.Model):
    """One step of a registration's history (目前进度): who, when, what, why."""

    __tablename__ = "anju_alloc_reg_event"
    __audit__ = AuditSpec(
        _l("Registration history"), row="action",
        labels={"registration_id": _l("Allocation registration"), "action": _l("Action"), "status": _l("Progress"),
                "reason": _l("Reason"), "actor_id": _l("Handled by"), "at": _l("Time"), "owner_id": _l("Applicant account")},
        values={"status": "app.allocation.labels:REG_STATUS_LABELS",
                "action": "app.allocation.labels:REG_ACTION_LABELS"},
    )
    __scope__ = {"region": lambda prefix: RegistrationEvent.registration_id.in_(
        db.select(Registration.id).where(_prefix(Registration.region_code, prefix))), "owner": "owner_id"}

    id = Column(Integer, primary_key=True)
    registration_id = Column(Integer, ForeignKey("anju_alloc_registration.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    owner_id = Column(Integer, nullable=False)                      # the applicant (own scope)
    action = Column(String(24), nullable=False)
    status = Column(String(16), nullable=False)
    reason = Column(String(1000))
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    at = Column(DateTime, default=now, nullable=False)

    registration = relationship("Registration", back_populates="events")


def _prefix(column, prefix):
    from app.core.scope import prefix_range

    return prefix_range(column, prefix)


class ObjectionStatus:
    PENDING = "pending"      # 待处理
    UPHELD = "upheld"        # 异议成立 (the registration loses its eligibility)
    DISMISSED = "dismissed"  # 异议不成立
    ALL = (PENDING, UPHELD, DISMISSED)


class Objection(db.Model):
    """An objection to a registration on the publicised eligible list (资格公示), decided by staff."""

    __tablename__ = "anju_alloc_objection"
    __audit__ = AuditSpec(
        _l("Eligibility objection"), row=lambda o: f"#{o.id}",
        labels={"plan_id": _l("Allocation plan"), "registration_id": _l("Allocation registration"),
                "user_id": _l("Objector"), "text": _l("Objection"), "status": _l("Objection state"),
                "decision": _l("Decision"), "decided_by_fk": _l("Decided by"), "decided_at": _l("Decided at"),
                "region_code": _l("Region"), "created_on": _l("Raised at")},
        values={"status": "app.allocation.labels:OBJECTION_STATUS_LABELS"},
    )
    __scope__ = {"region": "region_code", "owner": "user_id"}

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    registration_id = Column(Integer, ForeignKey("anju_alloc_registration.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    region_code = Column(String(12), nullable=False, index=True)
    text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=ObjectionStatus.PENDING)
    decision = Column(String(1000))
    decided_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    decided_at = Column(DateTime)
    created_on = Column(DateTime, default=now, nullable=False)

    registration = relationship("Registration")
    plan = relationship("AllocationPlan")
