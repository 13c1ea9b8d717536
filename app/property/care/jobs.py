"""Scheduled property work: each job is one call into a service."""
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job


def care_due():
    """Daily: recompute the equipment's inspection and maintenance due dates, flag what became
    overdue and send each enterprise its reminder (app/property/care/services.py)."""
    from app.property.care import services as care_services

    result = care_services.run_due_job()
    return "recomputed={recomputed} flagged={flagged} notices={notices}".format(**result)


register_job("property.care_due", "app.property.care.jobs:care_due",
             label=_l("Equipment inspection and maintenance due dates and reminders"),
             trigger="cron", hour=6, minute=30)
