"""The one domain error: a broken rule, with a message meant for the user (Chinese); and what
a user is told when something else fails."""
import logging
import secrets
from datetime import datetime


class DomainError(Exception):
    """Raised by services; views flash it, APIs answer 422 with it, imports list it."""


# --- what a user is told when something fails ----------------------------------------
# No database or Python text ever reaches a user: an integrity error becomes the conflict
# message; anything unexpected gets the generic message with an incident number, and the
# number is written to the log beside the traceback.

log = logging.getLogger("app.incident")


def conflict_message():
    from flask_babel import gettext as _

    return _("The record already exists or conflicts with another record. Please refresh and try again.")


def new_incident(exc_info=True):
    """Log the current error (with its traceback) under a new incident number; return it."""
    number = datetime.now().strftime("%Y%m%d") + "-" + secrets.token_hex(4).upper()
    where = ""
    try:
        from flask import has_request_context, request

        if has_request_context():
            where = f" {request.method} {request.path}"
    except Exception:  # pragma: no cover - logging must never fail
        pass
    log.error("incident %s%s", number, where, exc_info=exc_info)
    return number


def incident_message(number):
    from flask_babel import gettext as _

    return _("Something went wrong on the server. Incident number: %(number)s. Please tell the administrator.",
             number=number)


def user_message(exc):
    """The text a user may see for ``exc``: a domain message as it is, the conflict message
    for an integrity error, else the generic message with a logged incident number."""
    from sqlalchemy.exc import IntegrityError

    from app.core.validators import ValidationError

    if isinstance(exc, (DomainError, ValidationError)):
        return str(exc)
    if isinstance(exc, IntegrityError):
        log.warning("integrity error: %s", exc)
        return conflict_message()
    return incident_message(new_incident(exc_info=exc))
