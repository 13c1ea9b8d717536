"""Credit (SPEC §5; seed 001 信息管理, 记分标准, 红黑名单): the tables.

* :class:`CreditRule` - 记分标准, one row per version: a rule in use is never edited in
  place; an edit writes version n+1 and the records keep the version they were scored under.
* :class:`CreditRecord` - 信用记录: a rule applied to an enterprise, from 记分申请 (manual) or
  from another module's feed (system, unique by source type and key).
* :class:`CreditListEntry` - 红黑名单 entries; :class:`CreditRepair` - 信用修复 applications.
* :class:`CreditObjection` - 异议 against a record or a list entry in publicity.
* :class:`CreditEvent` - every step of a record, entry, objection or repair.
* :class:`CreditScore` / :class:`CreditScoreHistory` - the current score and level of an
  enterprise, and one row per change with its cause.

States, transitions and who may act: app/credit/services.py.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class ScoreType:
    BONUS = "bonus"            # 加分
    DEDUCTION = "deduction"    # 扣分
    ALL = (BONUS, DEDUCTION)


class Operation:
    MANUAL = "manual"          # 人工记分
    SYSTEM = "system"          # 系统记分
    ALL = (MANUAL, SYSTEM)


class Severity:
    GENERAL = "general"        # 一般
    SERIOUS = "serious"        # 严重
    ALL = (GENERAL, SERIOUS)


class RecordStatus:
    REVIEW = "review"            # 待审核
    RETURNED = "returned"        # 已退回
    REJECTED = "rejected"        # 不予通过
    TERMINATED = "terminated"    # 已终止 (the applicant gave a returned application up)
    PUBLICITY = "publicity"      # 公示中
    OBJECTED = "objected"        # 异议处理中
    EFFECTIVE = "effective"      # 生效
    EXPIRED = "expired"          # 已失效
    REVOKED = "revoked"          # 已撤销
    WITHDRAWN = "withdrawn"      # 已撤回 (an objection was upheld)
    ALL = (REVIEW, RETURNED, REJECTED, TERMINATED, PUBLICITY, OBJECTED, EFFECTIVE, EXPIRED, REVOKED,
           WITHDRAWN)
    PUBLIC = (PUBLICITY, OBJECTED)


class ListType:
    RED = "red"                # 红名单
    BLACK = "black"            # 黑名单
    ALL = (RED, BLACK)


class ListStatus:
    PROPOSED = "proposed"        # 待审核
    REJECTED = "rejected"        # 不予通过
    PUBLICITY = "publicity"      # 公示中
    OBJECTED = "objected"        # 异议处理中
    EFFECTIVE = "effective"      # 生效
    CANCELLED = "cancelled"      # 已注销
    EXPIRED = "expired"          # 已过期
    WITHDRAWN = "withdrawn"      # 已撤回 (an objection was upheld)
    REPAIRED = "repaired"        # 已信用修复
    ALL = (PROPOSED, REJECTED, PUBLICITY, OBJECTED, EFFECTIVE, CANCELLED, EXPIRED, WITHDRAWN, REPAIRED)
    OPEN = (PROPOSED, PUBLICITY, OBJECTED, EFFECTIVE)
    PUBLIC = (PUBLICITY, OBJECTED, EFFECTIVE)


class DecisionStatus:
    PENDING = "pending"          # 待处理
    ACCEPTED = "accepted"        # 异议成立 / 修复通过
    REJECTED = "rejected"        # 异议不成立 / 修复不予通过
    ALL = (PENDING, ACCEPTED, REJECTED)


class CreditRule(db.Model):
    """记分标准, one version per row (``is_current`` marks the newest of a code)."""

    __tablename__ = "anju_credit_rule"
    __audit__ = AuditSpec(
        _l("Scoring standard"), row=lambda r: f"{r.code} v{r.version}",
        labels={"code": _l("Credit rule number"), "version": _l("Version"), "item": _l("Scoring item"),
                "category": _l("Category"), "score_type": _l("Scoring type"),
                "suggested_score": _l("Suggested score"), "min_score": _l("Lowest score"),
                "max_score": _l("Highest score"), "operation": _l("Operation type"), "severity": _l("Severity"),
                "validity_months": _l("Validity (months)"), "effective_from": _l("Effective from"),
                "effective_to": _l("Effective to"), "enabled": _l("Enabled"), "is_current": _l("Current version"),
                "basis": _l("Basis")},
        values={"score_type": "app.credit.services:SCORE_TYPE_LABELS",
                "operation": "app.credit.services:OPERATION_LABELS",
                "severity": "app.credit.services:SEVERITY_LABELS"},
    )
    __table_args__ = (UniqueConstraint("code", "version", name="uq_anju_credit_rule_code_version"),
                      Index("ix_anju_credit_rule_current", "is_current", "code"))

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, index=True)
    version = Column(Integer, nullable=False, default=1)
    item = Column(String(200), nullable=False)
    category = Column(String(32), nullable=False)
    score_type = Column(String(16), nullable=False)
    suggested_score = Column(Integer, nullable=False)
    min_score = Column(Integer, nullable=False)
    max_score = Column(Integer, nullable=False)
    operation = Column(String(16), nullable=False, default=Operation.MANUAL)
    severity = Column(String(16), nullable=False, default=Severity.GENERAL)
    validity_months = Column(Integer, nullable=False, default=12)
    effective_from = Column(Date, nullable=False)
    effective_to = Column(Date)
    enabled = Column(Boolean, nullable=False, default=True)
    is_current = Column(Boolean, nullable=False, default=True)
    basis = Column(Text)
    created_on = Column(DateTime, nullable=False, default=now)
    changed_on = Column(DateTime, nullable=False, default=now, onupdate=now)

    def __repr__(self):
        return f"{self.code} {self.item}"


class CreditRecord(db.Model):
    """信用记录: one rule applied to one enterprise, with its review, publicity and effect."""

    __tablename__ = "anju_credit_record"
    __audit__ = AuditSpec(
        _l("Credit record"), row="number",
        labels={"number": _l("Record number"), "org_id": _l("Enterprise"), "region_code": _l("Region code"),
                "rule_id": _l("Scoring standard"), "score_type": _l("Scoring type"), "score": _l("Score"),
                "severity": _l("Severity"), "facts": _l("Facts"), "event_date": _l("Date of the event"),
                "status": _l("Status"), "origin": _l("Source"), "source_type": _l("Source type"),
                "source_key": _l("Source key"), "applicant_id": _l("Applicant account"),
                "applicant_name": _l("Applicant"), "submitted_at": _l("Submitted at"),
                "decided_at": _l("Decided at"), "decider_id": _l("Decided by"), "reason": _l("Reason"),
                "publicity_from": _l("Publicity from"), "publicity_until": _l("Publicity until"),
                "effective_from": _l("Effective from"), "effective_until": _l("Effective until")},
        masks={"applicant_name": "name"},
        values={"status": "app.credit.services:RECORD_STATUS_LABELS",
                "score_type": "app.credit.services:SCORE_TYPE_LABELS"},
    )
    # A region prefix as an unindexable test: the planner walks the list's submitted_at index and stops
    # after a page, instead of sorting every row of a district (bench: district1, 54,009 of 1,000,000).
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "applicant_id", "region_unindexed": True}
    __table_args__ = (
        UniqueConstraint("source_type", "source_key", name="uq_anju_credit_record_source"),
        Index("ix_anju_credit_record_org_status", "org_id", "status"),
        Index("ix_anju_credit_record_status_publicity", "status", "publicity_until"),
        Index("ix_anju_credit_record_status_effective", "status", "effective_until"),
        # Covers the score GROUP BY (records in effect per enterprise and type): measured 1.69 s
        # → 0.10 s over 1,000,000 records.
        Index("ix_anju_credit_record_status_org_score", "status", "org_id", "score_type", "score"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    rule_id = Column(Integer, ForeignKey("anju_credit_rule.id"), nullable=False, index=True)
    score_type = Column(String(16), nullable=False)
    score = Column(Integer, nullable=False)
    severity = Column(String(16), nullable=False)
    facts = Column(Text, nullable=False)
    event_date = Column(Date, nullable=False)
    status = Column(String(16), nullable=False, default=RecordStatus.REVIEW, index=True)
    origin = Column(String(16), nullable=False, default=Operation.MANUAL)
    source_type = Column(String(32))
    source_key = Column(String(64))
    applicant_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    applicant_name = Column(String(128))
    submitted_at = Column(DateTime, nullable=False, default=now, index=True)
    decided_at = Column(DateTime)
    decider_id = Column(Integer, ForeignKey("ab_user.id"))
    reason = Column(Text)
    publicity_from = Column(DateTime)
    publicity_until = Column(DateTime)
    effective_from = Column(DateTime)
    effective_until = Column(DateTime)
    version = Column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    rule = relationship("CreditRule", foreign_keys=[rule_id], lazy="joined")

    def __repr__(self):
        return self.number


class CreditListEntry(db.Model):
    """红黑名单: one entry of one enterprise on the red or the black list."""

    __tablename__ = "anju_credit_list"
    __audit__ = AuditSpec(
        _l("Red or black list entry"), row="number",
        labels={"number": _l("Entry number"), "org_id": _l("Enterprise"), "region_code": _l("Region code"),
                "list_type": _l("List type"), "reason": _l("Reason for listing"), "basis": _l("Basis"),
                "rule_id": _l("Scoring standard"), "record_ids": _l("Credit records"), "status": _l("Status"),
                "origin": _l("Source"), "source_key": _l("Source key"), "valid_months": _l("Validity (months)"),
                "publicity_from": _l("Publicity from"), "publicity_until": _l("Publicity until"),
                "valid_from": _l("Valid from"), "valid_until": _l("Valid until"),
                "applicant_id": _l("Proposed by"), "applicant_name": _l("Proposer"),
                "submitted_at": _l("Proposed at"), "decided_at": _l("Decided at"), "decider_id": _l("Decided by"),
                "end_reason": _l("Reason"), "ended_at": _l("Ended at")},
        masks={"applicant_name": "name"},
        values={"status": "app.credit.services:LIST_STATUS_LABELS",
                "list_type": "app.credit.services:LIST_TYPE_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "applicant_id"}
    __table_args__ = (
        UniqueConstraint("source_key", name="uq_anju_credit_list_source"),
        Index("ix_anju_credit_list_org_status", "org_id", "status"),
        Index("ix_anju_credit_list_status_type", "status", "list_type"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    list_type = Column(String(8), nullable=False)
    reason = Column(Text, nullable=False)
    basis = Column(Text)
    rule_id = Column(Integer, ForeignKey("anju_credit_rule.id"))
    record_ids = Column(JSON)
    status = Column(String(16), nullable=False, default=ListStatus.PROPOSED)
    origin = Column(String(16), nullable=False, default=Operation.MANUAL)
    source_key = Column(String(64))
    valid_months = Column(Integer, nullable=False, default=12)
    publicity_from = Column(DateTime)
    publicity_until = Column(DateTime)
    valid_from = Column(DateTime)
    valid_until = Column(DateTime)
    applicant_id = Column(Integer, ForeignKey("ab_user.id"))
    applicant_name = Column(String(128))
    submitted_at = Column(DateTime, nullable=False, default=now, index=True)
    decided_at = Column(DateTime)
    decider_id = Column(Integer, ForeignKey("ab_user.id"))
    end_reason = Column(Text)
    ended_at = Column(DateTime)
    version = Column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    rule = relationship("CreditRule", foreign_keys=[rule_id])

    def __repr__(self):
        return self.number


class CreditObjection(db.Model):
    """异议: an enterprise objects to a record or a list entry about it during publicity."""

    __tablename__ = "anju_credit_objection"
    __audit__ = AuditSpec(
        _l("Objection"), row="number",
        labels={"number": _l("Objection number"), "subject_type": _l("Subject type"), "subject_id": _l("Subject ID"),
                "org_id": _l("Enterprise"), "region_code": _l("Region code"), "reason": _l("Reasons for the objection"),
                "status": _l("Status"), "applicant_id": _l("Objected by"), "applicant_name": _l("Objector"),
                "created_on": _l("Objected at"), "decided_at": _l("Decided at"), "decider_id": _l("Decided by"),
                "decision_reason": _l("Reason for the decision")},
        masks={"applicant_name": "name"},
        values={"status": "app.credit.services:OBJECTION_STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "applicant_id"}
    __table_args__ = (Index("ix_anju_credit_objection_subject", "subject_type", "subject_id"),
                      Index("ix_anju_credit_objection_status", "status", "created_on"))

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    subject_type = Column(String(16), nullable=False)       # record | list
    subject_id = Column(Integer, nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    region_code = Column(String(12), nullable=False, index=True)
    reason = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=DecisionStatus.PENDING)
    applicant_id = Column(Integer, ForeignKey("ab_user.id"))
    applicant_name = Column(String(128))
    created_on = Column(DateTime, nullable=False, default=now)
    decided_at = Column(DateTime)
    decider_id = Column(Integer, ForeignKey("ab_user.id"))
    decision_reason = Column(Text)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")

    def __repr__(self):
        return self.number


class CreditRepair(db.Model):
    """信用修复: a black-listed enterprise asks to end its entry early after rectifying."""

    __tablename__ = "anju_credit_repair"
    __audit__ = AuditSpec(
        _l("Credit repair application"), row="number",
        labels={"number": _l("Application number"), "entry_id": _l("Red or black list entry"),
                "org_id": _l("Enterprise"), "region_code": _l("Region code"),
                "statement": _l("Rectification"), "status": _l("Status"), "applicant_id": _l("Applicant account"),
                "applicant_name": _l("Applicant"), "created_on": _l("Applied at"), "decided_at": _l("Decided at"),
                "decider_id": _l("Decided by"), "decision_reason": _l("Reason for the decision")},
        masks={"applicant_name": "name"},
        values={"status": "app.credit.services:REPAIR_STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "applicant_id"}
    __table_args__ = (Index("ix_anju_credit_repair_status", "status", "created_on"),)

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    entry_id = Column(Integer, ForeignKey("anju_credit_list.id"), nullable=False, index=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    region_code = Column(String(12), nullable=False, index=True)
    statement = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=DecisionStatus.PENDING)
    applicant_id = Column(Integer, ForeignKey("ab_user.id"))
    applicant_name = Column(String(128))
    created_on = Column(DateTime, nullable=False, default=now)
    decided_at = Column(DateTime)
    decider_id = Column(Integer, ForeignKey("ab_user.id"))
    decision_reason = Column(Text)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    entry = relationship("CreditListEntry", foreign_keys=[entry_id])

    def __repr__(self):
        return self.number


class CreditEvent(db.Model):
    """One step of a record, list entry, objection or repair: who, when, from what to what, why."""

    __tablename__ = "anju_credit_event"
    __audit__ = AuditSpec(
        _l("Credit history"),
        row=lambda e: f"{e.subject_type}:{e.subject_id} {e.action}",
        labels={"subject_type": _l("Subject type"), "subject_id": _l("Subject ID"), "action": _l("Operation"),
                "from_status": _l("Status before"), "to_status": _l("Status after"),
                "actor_id": _l("Handler account"), "actor_name": _l("Handler"), "at": _l("Handled at"),
                "reason": _l("Reason")},
        masks={"actor_name": "name"},
        values={"action": "app.credit.services:ACTION_LABELS"},
    )
    __table_args__ = (Index("ix_anju_credit_event_subject", "subject_type", "subject_id"),)

    id = Column(Integer, primary_key=True)
    subject_type = Column(String(16), nullable=False)
    subject_id = Column(Integer, nullable=False)
    action = Column(String(16), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16))
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor_name = Column(String(128))
    at = Column(DateTime, nullable=False, default=now)
    reason = Column(Text)


class CreditScore(db.Model):
    """The current score and level of one enterprise (recomputed, never typed in)."""

    __tablename__ = "anju_credit_score"
    __audit__ = AuditSpec(
        _l("Credit score"), row=lambda s: f"{s.level} {s.score}",
        labels={"org_id": _l("Enterprise"), "region_code": _l("Region code"), "score": _l("Credit score"),
                "level": _l("Credit level"), "bonus": _l("Bonus"), "deduction": _l("Deduction"),
                "level_since": _l("Level held since"), "computed_at": _l("Computed at")},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None}
    __table_args__ = (Index("ix_anju_credit_score_level", "level", "score"),)

    org_id = Column(Integer, ForeignKey("anju_org.id"), primary_key=True)
    region_code = Column(String(12), index=True)
    score = Column(Integer, nullable=False)
    level = Column(String(4), nullable=False)
    bonus = Column(Integer, nullable=False, default=0)
    deduction = Column(Integer, nullable=False, default=0)
    level_since = Column(DateTime, nullable=False, default=now)
    computed_at = Column(DateTime, nullable=False, default=now)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")

    def __repr__(self):
        return f"{self.level} {self.score}"


class CreditScoreHistory(db.Model):
    """信用历史: one row per change of an enterprise's score or level, with its cause."""

    __tablename__ = "anju_credit_score_history"
    __audit__ = AuditSpec(
        _l("Credit history"), row=lambda h: f"{h.level} {h.score}",
        labels={"org_id": _l("Enterprise"), "region_code": _l("Region code"), "at": _l("Changed at"),
                "score": _l("Credit score"), "level": _l("Credit level"), "prev_score": _l("Previous score"),
                "prev_level": _l("Previous level"), "cause": _l("Cause")},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None}
    __table_args__ = (Index("ix_anju_credit_score_history_org_at", "org_id", "at"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    region_code = Column(String(12), index=True)
    at = Column(DateTime, nullable=False, default=now)
    score = Column(Integer, nullable=False)
    level = Column(String(4), nullable=False)
    prev_score = Column(Integer)
    prev_level = Column(String(4))
    cause = Column(String(255), nullable=False)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
