"""Natural persons behind accounts, their real-name state, and the reference registry."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import backref, relationship

from app.core import masking
from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin, now
from app.extensions import db


class IdType:
    RESIDENT = "resident_id"
    HK_MACAO = "hk_macao_pass"
    TAIWAN = "taiwan_pass"
    PASSPORT = "passport"
    ALL = (RESIDENT, HK_MACAO, TAIWAN, PASSPORT)


ID_TYPE_LABELS = {
    IdType.RESIDENT: _l("Resident Identity Card"),
    IdType.HK_MACAO: _l("Mainland Travel Permit for Hong Kong and Macao Residents"),
    IdType.TAIWAN: _l("Mainland Travel Permit for Taiwan Residents"),
    IdType.PASSPORT: _l("Passport"),
}


class RealnameStatus:
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    FAILED = "failed"
    ALL = (UNVERIFIED, VERIFIED, FAILED)


REALNAME_LABELS = {
    RealnameStatus.UNVERIFIED: _l("Not verified"),
    RealnameStatus.VERIFIED: _l("Verified"),
    RealnameStatus.FAILED: _l("Verification failed"),
}


class ActivationStatus:
    """Sub-accounts an enterprise opens wait for the person to activate them."""

    ACTIVE = "active"
    PENDING = "pending"


class Person(TimestampMixin, db.Model):
    """The natural person behind an account: identity, mobile, real-name state.

    Public registrants and enterprise staff accounts have one; an ID number belongs to
    one person only (one account per ID number, SPEC §3).
    """

    __tablename__ = "anju_person"
    __audit__ = AuditSpec(
        _l("Person"), row="name",
        labels={"user_id": _l("Account"), "name": _l("Name"), "id_type": _l("ID type"),
                "id_number": _l("ID number"), "mobile": _l("Mobile"), "activation": _l("Activation"),
                "realname_status": _l("Real-name state"), "realname_reason": _l("Reason"),
                "realname_at": _l("Verified at"), "created_on": _l("Registered at")},
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
        values={"id_type": "app.accounts.models:ID_TYPE_LABELS",
                "realname_status": "app.accounts.models:REALNAME_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": "user_id"}
    __table_args__ = (UniqueConstraint("id_type", "id_number", name="uq_anju_person_id"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), unique=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    name = Column(String(64), nullable=False, index=True)
    id_type = Column(String(16), nullable=False, default=IdType.RESIDENT)
    id_number = Column(String(32), nullable=False, index=True)
    mobile = Column(String(20), nullable=False, index=True)
    activation = Column(String(16), nullable=False, default=ActivationStatus.ACTIVE)
    realname_status = Column(String(16), nullable=False, default=RealnameStatus.UNVERIFIED, index=True)
    realname_reason = Column(String(255))
    realname_at = Column(DateTime)

    user = relationship("AnjuUser", foreign_keys=[user_id], lazy="joined",
                        backref=backref("person", uselist=False))
    org = relationship("Organization", foreign_keys=[org_id])

    def __repr__(self):
        return masking.person_text(self.name)

    @property
    def realname_label(self):
        return str(REALNAME_LABELS.get(self.realname_status, self.realname_status))

    @property
    def id_type_label(self):
        return str(ID_TYPE_LABELS.get(self.id_type, self.id_type))


class RealnameRegistry(db.Model):
    """The reference registry the default verification adapter matches against.

    Sysadmin imports it from Excel (app/accounts/views.py, the foundation's import engine).
    """

    __tablename__ = "anju_realname_registry"
    __audit__ = AuditSpec(
        _l("Real-name registry entry"), row="name",
        labels={"name": _l("Name"), "id_type": _l("ID type"), "id_number": _l("ID number"),
                "source": _l("Source"), "imported_at": _l("Imported at")},
        masks={"name": "name", "id_number": "id_number"},
        values={"id_type": "app.accounts.models:ID_TYPE_LABELS"},
    )
    __table_args__ = (UniqueConstraint("id_type", "id_number", name="uq_anju_realname_registry_id"),)
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    id_type = Column(String(16), nullable=False, default=IdType.RESIDENT)
    id_number = Column(String(32), nullable=False)
    source = Column(String(64))
    imported_at = Column(DateTime, default=now, nullable=False)


class RealnameCheck(db.Model):
    """Every verification attempt: for the person's history and the helpdesk."""

    __tablename__ = "anju_realname_check"
    __audit__ = AuditSpec(
        _l("Real-name check"), row=lambda c: f"{c.at:%Y-%m-%d %H:%M}" if c.at else None,
        labels={"person_id": _l("Person"), "adapter": _l("Verification service"), "result": _l("Result"),
                "reason": _l("Reason"), "at": _l("Checked at")},
    )
    __table_args__ = (Index("ix_anju_realname_check_person", "person_id", "at"),)
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("anju_person.id", ondelete="CASCADE"), nullable=False)
    adapter = Column(String(32), nullable=False)
    result = Column(String(16), nullable=False)
    reason = Column(String(255))
    at = Column(DateTime, default=now, nullable=False)
