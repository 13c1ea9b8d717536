"""Imports every model so that one metadata (FAB's Model) knows all tables."""
from app.core.audit import AuditHead, AuditLog  # noqa: F401
from app.security.models import AnjuUser  # noqa: F401
from app.system.models import DictItem, DictType, Organization, Parameter, Region  # noqa: F401
