"""Services for the public (seed 000 平台服务): contract uploads and machine checks, the
directory of legal services, transaction evaluations and the legal-help pages.

* :class:`ContractSubmission` - 合同上传 (a contract sent for review, ``kind`` = review) or
  合同咨询 (a machine check against the template's required clauses, ``kind`` = check).
* :class:`LegalService` - 律师事务所 / 法律咨询公司 in the 咨询通道 directory (gov_admin).
* :class:`RentalEvaluation` - 交易评价: once per contract per party, two 1-5 scores.
* :class:`LegalPage` - 维权须知, 咨询通道 and 免责声明 texts, edited by gov_admin.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class SubmissionKind:
    REVIEW = "review"      # 合同上传 (for review by staff)
    CHECK = "check"        # 合同咨询 (machine check)
    ALL = (REVIEW, CHECK)


class SubmissionStatus:
    SUBMITTED = "submitted"  # 待审阅
    REVIEWED = "reviewed"    # 已审阅
    CHECKED = "checked"      # 已检验 (machine check done)
    ALL = (SUBMITTED, REVIEWED, CHECKED)


class ContractSubmission(db.Model):
    __tablename__ = "anju_rental_submission"
    __audit__ = AuditSpec(
        _l("Contract submission"), row=lambda s: f"#{s.id}",
        labels={"kind": _l("Kind"), "status": _l("Status"), "contract_id": _l("Rental contract"),
                "contract_number": _l("Contract number"), "template_id": _l("Contract template"),
                "missing_clauses": _l("Missing clauses"), "found_clauses": _l("Clauses found"),
                "legal_service_id": _l("Legal service chosen"), "review_comment": _l("Review comment"),
                "reviewed_by_fk": _l("Reviewed by"), "reviewed_at": _l("Reviewed at"),
                "region_code": _l("District"), "created_by_fk": _l("Submitted by"), "created_on": _l("Submitted at")},
        values={"kind": "app.rental.labels:SUBMISSION_KIND_LABELS", "status": "app.rental.labels:SUBMISSION_STATUS_LABELS"},
    )
    # The submitter sees their own; government staff by the contract's district.
    __scope__ = {"region": "region_code", "owner": "created_by_fk"}
    __table_args__ = (Index("ix_anju_rental_submission_region_id", "region_code", "id"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False)
    contract_id = Column(Integer, ForeignKey("anju_rental_contract.id"), index=True)
    contract_number = Column(String(32))
    template_id = Column(Integer, ForeignKey("anju_rental_contract_template.id"))
    missing_clauses = Column(JSON)          # [clause key, ...] for a machine check
    found_clauses = Column(JSON)
    legal_service_id = Column(Integer, ForeignKey("anju_rental_legal_service.id"))
    review_comment = Column(Text)
    reviewed_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    reviewed_at = Column(DateTime)
    region_code = Column(String(12))
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"), index=True)
    created_on = Column(DateTime, default=now, nullable=False)

    contract = relationship("RentalContract", foreign_keys=[contract_id])
    legal_service = relationship("LegalService", foreign_keys=[legal_service_id])

    def __repr__(self):
        return f"#{self.id}"


class LegalService(db.Model):
    __tablename__ = "anju_rental_legal_service"
    __audit__ = AuditSpec(
        _l("Legal service"), row="name",
        labels={"name": _l("Name"), "kind": _l("Kind"), "phone": _l("Telephone"), "address": _l("Address"),
                "intro": _l("Introduction"), "region_code": _l("District"), "sort": _l("Sort order"),
                "active": _l("Active"), "created_on": _l("Created at")},
        values={"kind": "app.rental.labels:LEGAL_SERVICE_KIND_LABELS"},
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False)
    kind = Column(String(32), nullable=False)   # dictionary legal_service_kind: law_firm, legal_consulting
    phone = Column(String(32))                  # an office number, not a person's
    address = Column(String(255))
    intro = Column(Text)
    region_code = Column(String(12))
    sort = Column(Integer, nullable=False, default=100)
    active = Column(Boolean, nullable=False, default=True)
    created_on = Column(DateTime, default=now, nullable=False)

    def __repr__(self):
        return self.name


class EvaluationParty:
    TENANT = "tenant"      # 承租人
    LESSOR = "lessor"      # 出租人
    ALL = (TENANT, LESSOR)


class RentalEvaluation(db.Model):
    __tablename__ = "anju_rental_evaluation"
    __audit__ = AuditSpec(
        _l("Transaction evaluation"), row=lambda e: f"#{e.id}",
        labels={"contract_id": _l("Rental contract"), "party": _l("Party"), "user_id": _l("Evaluated by"),
                "bound_by": _l("Bound by"), "transaction_score": _l("Transaction score"),
                "transaction_comment": _l("Transaction comment"), "execution_score": _l("Contract execution score"),
                "execution_comment": _l("Contract execution comment"), "org_id": _l("Enterprise"),
                "region_code": _l("District"), "created_on": _l("Evaluated at")},
        values={"party": "app.rental.labels:PARTY_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "user_id"}
    __table_args__ = (
        UniqueConstraint("contract_id", "party", name="uq_anju_rental_evaluation_party"),
        Index("ix_anju_rental_evaluation_org_id", "org_id", "id"),
    )

    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("anju_rental_contract.id"), nullable=False)
    party = Column(String(16), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    bound_by = Column(String(16))                  # contract_number | listing_code
    transaction_score = Column(Integer, nullable=False)
    transaction_comment = Column(Text)
    execution_score = Column(Integer, nullable=False)
    execution_comment = Column(Text)
    org_id = Column(Integer, ForeignKey("anju_org.id"))
    region_code = Column(String(12))
    created_on = Column(DateTime, default=now, nullable=False)

    contract = relationship("RentalContract", foreign_keys=[contract_id], lazy="joined")

    def __repr__(self):
        return f"#{self.id}"


class LegalPage(db.Model):
    __tablename__ = "anju_rental_legal_page"
    __audit__ = AuditSpec(
        _l("Legal help page"), row="key",
        labels={"key": _l("Page"), "title": _l("Title"), "body": _l("Text"), "changed_on": _l("Changed at"),
                "changed_by_fk": _l("Changed by")},
    )

    key = Column(String(32), primary_key=True)    # rights_notice | channels | disclaimer
    title = Column(String(128), nullable=False)
    body = Column(Text, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)
    changed_by_fk = Column(Integer, ForeignKey("ab_user.id"))

    def __repr__(self):
        return self.title
