"""Column mixins shared by domain models.

Every owned row records its organisation and region (SPEC §1): ``ScopedMixin`` gives
the two columns that app/core/scope.py filters on.
"""
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import declared_attr


def now():
    return datetime.now()


class ScopedMixin:
    """A row owned by an organisation inside a region.

    ``org_id`` is the owning organisation; ``region_code`` the GB/T 2260 code (6 digits
    for a district, 9 for a street) the row belongs to. Region scopes compare codes by
    prefix, so both must be filled on insert.
    """

    __scope__ = {"org": "org_id", "region": "region_code", "owner": "created_by_fk"}

    @declared_attr
    def org_id(cls):
        return Column(Integer, ForeignKey("anju_org.id"), nullable=True, index=True)

    @declared_attr
    def region_code(cls):
        return Column(String(12), nullable=True, index=True)


class TimestampMixin:
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)
