"""SMS: one gateway interface, the default outbox backend, and verification codes.

(Models first; the engine follows below.)
"""
from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from app.core.mixins import now
from app.extensions import db


class SmsMessage(db.Model):
    """A message handed to the gateway. The default backend stops here (the outbox)."""

    __tablename__ = "anju_sms_outbox"
    id = Column(Integer, primary_key=True)
    mobile = Column(String(20), nullable=False, index=True)
    template = Column(String(32), nullable=False)
    content = Column(Text, nullable=False)
    backend = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="sent")
    error = Column(String(255))
    created_at = Column(DateTime, default=now, nullable=False, index=True)


class SmsCode(db.Model):
    """A verification code, stored as an HMAC (never in clear)."""

    __tablename__ = "anju_sms_code"
    __table_args__ = (
        Index("ix_anju_sms_code_mobile_purpose", "mobile", "purpose", "created_at"),
        Index("ix_anju_sms_code_ip_created", "ip", "created_at"),
    )
    id = Column(Integer, primary_key=True)
    mobile = Column(String(20), nullable=False)
    purpose = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    ip = Column(String(45))
    created_at = Column(DateTime, default=now, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used_at = Column(DateTime)
