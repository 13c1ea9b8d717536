"""Checked, scoped file storage.

(Models first; the engine follows below.)
"""
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String

from app.core.mixins import now
from app.extensions import db


class Upload(db.Model):
    """A stored file: random name on disk, checked type, and the record that owns it."""

    __tablename__ = "anju_upload"
    __table_args__ = (Index("ix_anju_upload_owner", "owner_type", "owner_id"),)
    id = Column(Integer, primary_key=True)
    token = Column(String(32), nullable=False, unique=True)
    original_name = Column(String(255), nullable=False)
    kind = Column(String(8), nullable=False)
    mime = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    label = Column(String(64))             # what the file is (营业执照, 证书扫描件 ...)
    owner_type = Column(String(32))
    owner_id = Column(Integer)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"), index=True)
    created_at = Column(DateTime, default=now, nullable=False)
