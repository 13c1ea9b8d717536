"""Scheduled property-service work: each job is one call into a service."""
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job


def surveys_close():
    """Daily: end the published satisfaction surveys whose period is over, feeding each company's
    result to credit (app/property/service/surveys.py)."""
    from app.property.service import surveys

    result = surveys.close_due()
    return "closed={closed} credit={credit}".format(**result)


register_job("property.surveys_close", "app.property.service.jobs:surveys_close",
             label=_l("End satisfaction surveys past their period and feed their results to credit"),
             trigger="cron", hour=1, minute=10)
