"""Every table of the allocation module, from its sub-packages (for Alembic and app/models.py)."""
from app.allocation.lottery.models import LotteryDraw, LotteryPool  # noqa: F401
from app.allocation.filings.models import ApplicantFiling, FamilyMember  # noqa: F401
from app.allocation.plans.models import (AllocationPlan, AllocationProject, EligibilityRule,  # noqa: F401
                                         PriorityGroup, UnitType)
from app.allocation.registrations.models import Objection, Registration, RegistrationEvent  # noqa: F401
