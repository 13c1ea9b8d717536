"""企业信息备案 as approved, and awards and penalties (seed 004 企业信息详情)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import backref, relationship

from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db


class EnterpriseProfile(TimestampMixin, db.Model):
    """企业信息备案 as last approved (seed 004): one row per enterprise.

    Local and non-local enterprises fill different fields (app/property/enterprise/services.py
    declares which are required). The filing itself is a business application
    (app/core/workflow.py, type ``enterprise_filing``); approval copies its payload here.
    """

    __tablename__ = "anju_enterprise_profile"
    __audit__ = AuditSpec(
        _l("Enterprise information"), row=lambda p: p.org.name if p.org is not None else None,
        labels={"org_id": _l("Enterprise"), "is_local": _l("Local enterprise"),
                "registered_capital": _l("Registered capital (10,000 yuan)"),
                "established_on": _l("Date of establishment"), "registered_address": _l("Registered address"),
                "office_address": _l("Office address"), "business_scope": _l("Business scope"),
                "legal_rep": _l("Legal representative"), "legal_rep_mobile": _l("Legal representative's mobile"),
                "contact_name": _l("Contact person"), "contact_mobile": _l("Contact mobile"),
                "staff_total": _l("Total staff (declared)"), "home_region": _l("Place of registration"),
                "branch_name": _l("Local branch name"), "branch_manager": _l("Local manager"),
                "branch_manager_mobile": _l("Local manager's mobile"), "branch_address": _l("Local office address"),
                "entered_on": _l("Date of entering the city"), "filed_at": _l("Filed at"),
                "application_id": _l("Application")},
        masks={"legal_rep": "name", "legal_rep_mobile": "mobile", "contact_name": "name",
               "contact_mobile": "mobile", "branch_manager": "name", "branch_manager_mobile": "mobile"},
    )
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": None}

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, unique=True)
    is_local = Column(Boolean, nullable=False, default=True)
    registered_capital = Column(Numeric(14, 2))      # 注册资本（万元）
    established_on = Column(Date)                    # 成立日期
    registered_address = Column(String(255))         # 注册地址
    office_address = Column(String(255))             # 办公地址
    business_scope = Column(Text)                    # 经营范围
    legal_rep = Column(String(64))                   # 法定代表人
    legal_rep_mobile = Column(String(20))
    contact_name = Column(String(64))                # 联系人
    contact_mobile = Column(String(20))              # 联系电话
    staff_total = Column(Integer)                    # 从业人员总数（申报）
    home_region = Column(String(128))                # 非本地：注册所在地
    branch_name = Column(String(128))                # 非本地：本地分支机构名称
    branch_manager = Column(String(64))              # 非本地：本地负责人
    branch_manager_mobile = Column(String(20))
    branch_address = Column(String(255))             # 非本地：本地办公地址
    entered_on = Column(Date)                        # 非本地：进入本市日期
    filed_at = Column(DateTime)
    application_id = Column(Integer, ForeignKey("anju_application.id"))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True,
                       backref=backref("profile", uselist=False))


class HonorKind:
    AWARD = "award"        # 奖励
    PENALTY = "penalty"    # 处罚
    ALL = (AWARD, PENALTY)


class EnterpriseHonor(TimestampMixin, db.Model):
    """企业受过的奖励和处罚, entered by government staff (seed 004 企业信息详情)."""

    __tablename__ = "anju_enterprise_honor"
    __audit__ = AuditSpec(
        _l("Award or penalty"), row="title",
        labels={"org_id": _l("Enterprise"), "kind": _l("Category"), "title": _l("Name of the award or penalty"),
                "issuer": _l("Decided by"), "decided_on": _l("Decision date"), "doc_number": _l("Document number"),
                "description": _l("Explanation")},
        values={"kind": "app.property.enterprise.services:HONOR_KIND_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": None}
    __table_args__ = (Index("ix_anju_enterprise_honor_org", "org_id", "decided_on"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    kind = Column(String(16), nullable=False)
    title = Column(String(200), nullable=False)
    issuer = Column(String(128), nullable=False)
    decided_on = Column(Date, nullable=False)
    doc_number = Column(String(64))
    description = Column(Text)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
