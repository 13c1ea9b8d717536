"""摇号 (the draw, SPEC §6): the frozen pools and the one draw of a plan.

A pool is frozen per priority group when review and objections end: its canonical list of
登记编号 and its SHA-256 are stored and published. The draw reveals S, takes the public
entropy E and stores, per pool, the seed and the ranking. ``plan_id`` is unique in
:class:`LotteryDraw`: the database refuses a second draw of a plan.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class LotteryPool(db.Model):
    __tablename__ = "anju_alloc_pool"
    __audit__ = AuditSpec(
        _l("Lottery pool"), row=lambda p: f"{p.group_code} {p.list_hash[:12]}",
        labels={"plan_id": _l("Allocation plan"), "group_code": _l("Lottery group"), "group_name": _l("Group name"),
                "draw_order": _l("Draw order"), "numbers": _l("Frozen list"), "list_hash": _l("List hash"),
                "size": _l("Pool size"), "seed": _l("Seed"), "ranking": _l("Ranking"),
                "frozen_at": _l("Pool frozen at")},
    )
    __table_args__ = (UniqueConstraint("plan_id", "group_code", name="uq_anju_alloc_pool_group"),)

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    group_code = Column(String(16), nullable=False)
    group_name = Column(String(64), nullable=False)
    draw_order = Column(Integer, nullable=False)
    numbers = Column(Text, nullable=False)          # the canonical list: numbers joined by "\n"
    list_hash = Column(String(64), nullable=False)  # SHA-256 of the canonical UTF-8 bytes, hex
    size = Column(Integer, nullable=False)
    seed = Column(String(64))                       # after the draw
    ranking = Column(Text)                          # after the draw: numbers in rank order, "\n"-joined
    frozen_at = Column(DateTime, default=now, nullable=False)


class LotteryDraw(db.Model):
    __tablename__ = "anju_alloc_draw"
    __audit__ = AuditSpec(
        _l("Lottery draw"), row=lambda d: f"#{d.plan_id}",
        labels={"plan_id": _l("Allocation plan"), "secret_hex": _l("Secret S"), "entropy": _l("Public entropy E"),
                "protocol": _l("Protocol version"), "summary": _l("Draw summary"), "drawn_by_fk": _l("Drawn by"),
                "drawn_at": _l("Drawn at"), "witnesses": _l("Witnesses")},
    )

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False)
    protocol = Column(String(32), nullable=False)
    secret_hex = Column(String(64), nullable=False)
    entropy = Column(String(200), nullable=False)
    witnesses = Column(String(500))                 # 公证人员 / 申请人代表 named at the draw
    summary = Column(JSON)                          # per group: size, seed, homes, selected
    drawn_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    drawn_at = Column(DateTime, default=now, nullable=False)

    plan = relationship("AllocationPlan")

    __table_args__ = (UniqueConstraint("plan_id", name="uq_anju_alloc_draw_plan"),)
