"""Scheduled 诚信登记 work: each job is one call into the service."""
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job


def publicity_ended():
    """Daily: tell each enterprise once that a declaration's publicity ended and it waits for review."""
    from app.property.honour import services

    return f"notified={services.notice_ended()}"


register_job("property.honour_publicity_ended", "app.property.honour.jobs:publicity_ended",
             label=_l("Good behaviour publicity ended: notices to the declaring enterprises"),
             trigger="cron", hour=7, minute=10)
