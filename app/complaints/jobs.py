"""Scheduled complaint work: each job is one call into app/complaints/services.py."""
from flask_babel import lazy_gettext as _l

from app.complaints import services
from app.core.jobs import register_job


def escalate():
    return f"escalated={services.escalate_overdue()}"


def auto_close():
    return f"closed={services.auto_close()}"


register_job("complaints.escalate", "app.complaints.jobs:escalate", label=_l("Escalate overdue requests"),
             trigger="interval", minutes=10)
register_job("complaints.auto_close", "app.complaints.jobs:auto_close",
             label=_l("Close requests not evaluated in time"), trigger="cron", hour=2, minute=7)
