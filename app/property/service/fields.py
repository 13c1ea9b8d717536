"""Field cleaning shared by repairs, surveys and evaluations (Chinese messages naming the field)."""
from datetime import date

from flask_babel import gettext as _

from app.core.errors import DomainError


def text(value, label, max_length, required=True):
    """Stripped text (None when empty and optional), or DomainError."""
    out = (value or "").strip()
    if required and not out:
        raise DomainError(_("%(field)s: %(message)s", field=label, message=_("is required")))
    if len(out) > max_length:
        raise DomainError(_("%(field)s: at most %(n)s characters", field=label, n=max_length))
    return out or None


def day(value, label):
    """A date from ISO text (2026-01-31), or DomainError."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("%(field)s: please enter a date such as 2026-01-31.", field=label))
