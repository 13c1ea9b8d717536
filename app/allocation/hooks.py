"""What the allocation module registers with the engines at start-up (called by register_views):
upload owners, SMS templates, home-page 待办."""
from flask_babel import lazy_gettext as _l


def register():
    from app.allocation.filings.models import ApplicantFiling
    from app.allocation.plans.models import AllocationPlan, AllocationProject, UnitType
    from app.core import uploads
    from app.core.sms import register_template

    # 证件证明 of a filing: the applicant (owner) and the staff who may see the filing.
    uploads.register_owner("alloc_filing", ApplicantFiling, permission=("can_show", "AllocationRegistrationView"))
    # Photos and attachments: the staff screens; the public portal serves those of published plans itself.
    uploads.register_owner("alloc_plan", AllocationPlan, permission=("can_show", "AllocationPlanView"))
    uploads.register_owner("alloc_project", AllocationProject, permission=("can_show", "AllocationPlanView"))
    uploads.register_owner("alloc_unit", UnitType, permission=("can_show", "AllocationPlanView"))
    register_template("allocation_registered",
                      "You have registered for %(plan)s. Registration number: %(number)s.",
                      _l("Allocation registration received"))
    register_template("allocation_reviewed",
                      "Review of registration %(number)s for %(plan)s: %(result)s.",
                      _l("Allocation registration reviewed"))
    register_template("allocation_appeal_denied",
                      "Your request for a human review for %(plan)s was not admitted; see your allocation records for the reason.",
                      _l("Allocation human review decided"))
    register_template("allocation_result",
                      "Lottery result of %(plan)s for registration %(number)s: %(result)s, order %(order)s.",
                      _l("Allocation lottery result"))
    from app.allocation import charts; charts.register()  # noqa: E702  (dashboard chart and its summary rows)
