"""合同网签 (online signing, seed 001) and the contracts it produces.

* :class:`RentalContract` - one lease from its first wizard step (草稿, ``step`` says where the
  agent stopped) to 已签约, 已取消 or 已撤销; or a contract signed offline and back-filled
  (合同补录, ``origin`` = backfill) when the parameter ``rental.require_online_signing`` is off.
  The filing columns mirror the contract's 合同备案 application (app/rental/filing).
* :class:`ContractTenant` - the tenants (承租人), one or more per contract.
* :class:`ContractTemplate` - 合同范本, versioned: a contract keeps the version it was
  rendered from; gov_admin maintains them; the public downloads them.

States and steps: app/rental/contracts/services.py.
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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class ContractStatus:
    DRAFT = "draft"            # 草稿 (the wizard, resumable)
    SIGNED = "signed"          # 已签约
    CANCELLED = "cancelled"    # 已取消 (given up before signing)
    REVOKED = "revoked"        # 已撤销 (ended by agreement after signing)
    ALL = (DRAFT, SIGNED, CANCELLED, REVOKED)


class ContractOrigin:
    ONLINE = "online"          # 网签
    BACKFILL = "backfill"      # 合同补录
    ALL = (ONLINE, BACKFILL)


class FilingStatus:
    NONE = "none"              # 未备案
    PENDING = "pending"        # 备案审核中
    FILED = "filed"            # 已备案
    ALL = (NONE, PENDING, FILED)


class WizardStep:
    """The wizard's steps in order (seed 001 合同网签)."""
    ACCEPT = "accept"          # 受理网签
    VERIFY = "verify"          # 房源核验
    DETAILS = "details"        # 合同详细信息
    TENANTS = "tenants"        # 承租人信息
    MATTERS = "matters"        # 双方约定事项
    ATTACHMENTS = "attachments"  # 要件上传
    PREVIEW = "preview"        # 合同预览 (签约 / 取消)
    ORDER = (ACCEPT, VERIFY, DETAILS, TENANTS, MATTERS, ATTACHMENTS, PREVIEW)


class RentalMode:
    WHOLE = "whole"            # 整租: the whole property
    PART = "part"              # 合租 / 分租: one named part (a room)
    ALL = (WHOLE, PART)


class RentalContract(db.Model):
    __tablename__ = "anju_rental_contract"
    __audit__ = AuditSpec(
        _l("Rental contract"), row=lambda c: c.number or _l("Draft contract #%(id)s", id=c.id),
        labels={"number": _l("Contract number"), "check_code": _l("Check code"), "status": _l("Status"),
                "step": _l("Wizard step"), "origin": _l("Origin"), "verification_id": _l("Listing verification"),
                "property_id": _l("Registered property"), "cert_type": _l("Title document type"),
                "cert_no": _l("Title certificate number"), "address": _l("Address"),
                "region_code": _l("District"), "street_code": _l("Street"), "lessor_names": _l("Lessor"),
                "rental_mode": _l("Rental mode"), "rented_part": _l("Rented part"),
                "rent": _l("Monthly rent (yuan)"), "deposit": _l("Deposit (yuan)"),
                "payment_cycle": _l("Payment cycle"), "start_date": _l("Term start"), "end_date": _l("Term end"),
                "purpose": _l("Purpose"), "agreed_matters": _l("Agreed matters"), "template_id": _l("Contract template"),
                "org_id": _l("Enterprise"), "created_by_fk": _l("Handled by"), "created_on": _l("Created at"),
                "changed_on": _l("Changed at"), "signed_at": _l("Signed at"), "signed_by_fk": _l("Signed by"),
                "cancelled_at": _l("Cancelled at"), "revoked_at": _l("Revoked at"), "revoke_reason": _l("Reason for revocation"),
                "filing_status": _l("Filing status"), "filing_number": _l("Filing number"), "filed_at": _l("Filed at"),
                "filing_app_id": _l("Filing application"), "overdue_flagged_at": _l("Flagged as filing overdue at"),
                "tenants": _l("Tenants"), "version": _l("Version")},
        masks={"lessor_names": "name"},
        values={"status": "app.rental.labels:CONTRACT_STATUS_LABELS", "origin": "app.rental.labels:ORIGIN_LABELS",
                "filing_status": "app.rental.labels:FILING_STATUS_LABELS", "step": "app.rental.labels:STEP_LABELS",
                "rental_mode": "app.rental.labels:RENTAL_MODE_LABELS"},
    )
    # The enterprise's rows; government by the property's district (a street by its street); an
    # agent (own scope) theirs. A district's list walks the (region_code, id) index by equality;
    # a city-wide prefix is left unindexed so the list walks the id order and stops after a page.
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "created_by_fk",
                 "region_exact": {6: "region_code", 9: "street_code"}, "region_unindexed": True}
    __table_args__ = (
        Index("ix_anju_rental_contract_org_id", "org_id", "id"),
        Index("ix_anju_rental_contract_region_id", "region_code", "id"),
        Index("ix_anju_rental_contract_status_id", "status", "id"),
        Index("ix_anju_rental_contract_owner_id", "created_by_fk", "id"),
        # The overlap rule looks up the signed contracts of one property.
        Index("ix_anju_rental_contract_property_status", "property_id", "status"),
        # The overdue-filing job: signed, not filed, by signing time.
        Index("ix_anju_rental_contract_filing_signed", "filing_status", "status", "signed_at"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), unique=True)                # 合同编号, given at signing
    check_code = Column(String(12))                         # 校验码 for the public check
    status = Column(String(16), nullable=False, default=ContractStatus.DRAFT)
    step = Column(String(16), nullable=False, default=WizardStep.ACCEPT)
    origin = Column(String(16), nullable=False, default=ContractOrigin.ONLINE)
    verification_id = Column(Integer, ForeignKey("anju_rental_verification.id"), index=True)
    property_id = Column(Integer, ForeignKey("anju_rental_property.id"))
    cert_type = Column(String(32))
    cert_no = Column(String(64), index=True)
    address = Column(String(255))
    region_code = Column(String(12))                        # the property's district
    street_code = Column(String(12))
    lessor_names = Column(String(255))                      # 出租人 (the owners), as on the certificate
    rental_mode = Column(String(16), default=RentalMode.WHOLE)
    rented_part = Column(String(64))                        # e.g. 主卧; required when the mode is part
    rent = Column(Numeric(12, 2))
    deposit = Column(Numeric(12, 2))
    payment_cycle = Column(String(16))                      # dictionary rent_payment_cycle
    start_date = Column(Date)
    end_date = Column(Date)
    purpose = Column(String(32))                            # dictionary rental_purpose
    agreed_matters = Column(Text)                           # 双方约定事项
    template_id = Column(Integer, ForeignKey("anju_rental_contract_template.id"))
    org_id = Column(Integer, ForeignKey("anju_org.id"))
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)
    signed_at = Column(DateTime)
    signed_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    cancelled_at = Column(DateTime)
    revoked_at = Column(DateTime)
    revoke_reason = Column(Text)
    filing_status = Column(String(16), nullable=False, default=FilingStatus.NONE, server_default=FilingStatus.NONE)
    filing_number = Column(String(32), unique=True)         # 备案编号, given on approval
    filed_at = Column(DateTime)
    filing_app_id = Column(Integer, ForeignKey("anju_application.id"))
    overdue_flagged_at = Column(DateTime)                   # set once by the overdue-filing job
    version = Column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    tenants = relationship("ContractTenant", order_by="ContractTenant.seq", back_populates="contract",
                           cascade="all, delete-orphan", lazy="selectin")
    verification = relationship("ListingVerification", foreign_keys=[verification_id])
    property_record = relationship("RentalProperty", foreign_keys=[property_id])
    template = relationship("ContractTemplate", foreign_keys=[template_id])
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    created_by = relationship("AnjuUser", foreign_keys=[created_by_fk])

    def __repr__(self):
        return self.number or str(_l("Draft contract #%(id)s", id=self.id))


class ContractTenant(db.Model):
    __tablename__ = "anju_rental_contract_tenant"
    __audit__ = AuditSpec(
        _l("Tenant"), row="name",
        labels={"contract_id": _l("Rental contract"), "seq": _l("No."), "name": _l("Tenant name"),
                "id_type": _l("ID type"), "id_number": _l("ID number"), "mobile": _l("Mobile"),
                "org_id": _l("Enterprise"), "region_code": _l("District")},
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
    )
    # Shown through their contract; the contract's organisation and district are copied here
    # so that a direct query is scoped like the contract.
    __scope__ = {"org": "org_id", "region": "region_code"}

    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("anju_rental_contract.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False, default=1)
    name = Column(String(64), nullable=False)
    id_type = Column(String(32), nullable=False, default="resident_id")
    id_number = Column(String(32), nullable=False, index=True)
    mobile = Column(String(20))
    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    region_code = Column(String(12))

    contract = relationship("RentalContract", back_populates="tenants")

    def __repr__(self):
        from app.core import masking

        return masking.person_text(self.name)


class ContractTemplate(db.Model):
    """合同范本: one row per version of a template; the newest active version is offered."""

    __tablename__ = "anju_rental_contract_template"
    __audit__ = AuditSpec(
        _l("Contract template"), row=lambda t: f"{t.name} v{t.version}",
        labels={"code": _l("Template code"), "name": _l("Template name"), "version": _l("Version"),
                "body": _l("Contract text"), "required_clauses": _l("Required clauses"), "notes": _l("Notes for uploads"),
                "active": _l("Active"), "published_at": _l("Published at"), "created_by_fk": _l("Created by"),
                "created_on": _l("Created at")},
    )
    __table_args__ = (UniqueConstraint("code", "version", name="uq_anju_rental_template_version"),)

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False)
    name = Column(String(128), nullable=False)
    version = Column(Integer, nullable=False, default=1)
    # The text the preview and the PDF render, with {placeholders} for the contract's fields.
    body = Column(Text, nullable=False)
    # [{"key": "rent", "label": "租金", "keywords": ["租金", ...]}]: what 合同咨询 checks for.
    required_clauses = Column(JSON)
    notes = Column(Text)                                     # 注意事项 shown with uploads
    active = Column(Boolean, nullable=False, default=True)
    published_at = Column(DateTime)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False)

    def __repr__(self):
        return f"{self.name} v{self.version}"
