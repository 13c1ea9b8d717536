"""房源核验 (listing verification, seed 001): every attempt, passed or failed, is a row.

A passed verification carries a 房源识别码 (``code``) and is valid until ``valid_until``
(parameter ``rental.verification_valid_days``); a failed one keeps its reasons (codes of
:data:`app.rental.verification.services.REASONS`) and counts towards the per-user limit
on failures. Platforms verify by REST with an API key: ``channel`` is then ``api`` and the
request's idempotency key is kept, unique per account.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class VerificationResult:
    PASSED = "passed"    # 核验通过
    FAILED = "failed"    # 核验未通过
    ALL = (PASSED, FAILED)


class Channel:
    CONSOLE = "console"  # 监管平台 (the console)
    API = "api"          # 共享平台 / 企业平台 / 市场化平台 by REST
    ALL = (CONSOLE, API)


class ListingVerification(db.Model):
    __tablename__ = "anju_rental_verification"
    __audit__ = AuditSpec(
        _l("Listing verification"), row=lambda v: v.code or f"#{v.id}",
        labels={"code": _l("Listing code"), "result": _l("Verification result"), "reasons": _l("Reasons"),
                "property_id": _l("Registered property"), "region_code": _l("Property region"),
                "street_code": _l("Street"), "cert_type": _l("Title document type"), "cert_no": _l("Title certificate number"),
                "owners": _l("Owners named"), "address": _l("Address"), "valid_until": _l("Valid until"),
                "channel": _l("Channel"), "api_key_id": _l("API key"), "idempotency_key": _l("Idempotency key"),
                "org_id": _l("Organization"), "created_by_fk": _l("Verified by"), "created_on": _l("Verified at")},
        values={"result": "app.rental.labels:VERIFICATION_RESULT_LABELS", "channel": "app.rental.labels:CHANNEL_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "created_by_fk"}
    __table_args__ = (
        # One answer per idempotency key and account (a platform's retried request).
        UniqueConstraint("created_by_fk", "idempotency_key", name="uq_anju_rental_verification_idem"),
        Index("ix_anju_rental_verification_org_id", "org_id", "id"),
        Index("ix_anju_rental_verification_region_id", "region_code", "id"),
        # Failures per user in a window (the rate limit on failed attempts).
        Index("ix_anju_rental_verification_user_result", "created_by_fk", "result", "created_on"),
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(24), unique=True)                  # 房源识别码, only when passed
    result = Column(String(16), nullable=False)
    reasons = Column(JSON)                                  # [reason code, ...] when failed
    property_id = Column(Integer, ForeignKey("anju_rental_property.id"), index=True)
    region_code = Column(String(12), nullable=False)        # the 房屋区域 chosen (district)
    street_code = Column(String(12))                        # the property's street when found
    cert_type = Column(String(32), nullable=False)
    cert_no = Column(String(64), nullable=False, index=True)
    # The owners as typed: [{"name", "id_type", "id_number"}]; masked wherever shown.
    owners = Column(JSON, nullable=False)
    address = Column(String(255))                           # the registry's address when found
    valid_until = Column(Date)
    channel = Column(String(16), nullable=False, default=Channel.CONSOLE)
    api_key_id = Column(Integer, ForeignKey("ab_api_key.id", ondelete="SET NULL"))
    idempotency_key = Column(String(80))
    org_id = Column(Integer, ForeignKey("anju_org.id"))
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False, index=True)

    property_record = relationship("RentalProperty", lazy="joined")
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    created_by = relationship("AnjuUser", foreign_keys=[created_by_fk])

    def __repr__(self):
        return self.code or f"#{self.id}"

    @property
    def passed(self):
        return self.result == VerificationResult.PASSED


class ApiCallCounter(db.Model):
    """Calls per API key per minute: the platforms' rate limit, shared by every web worker."""

    __tablename__ = "anju_api_call_counter"
    key_id = Column(Integer, ForeignKey("ab_api_key.id", ondelete="CASCADE"), primary_key=True)
    window = Column(String(16), primary_key=True)           # 'YYYYmmddHHMM'
    calls = Column(Integer, nullable=False, default=0)
