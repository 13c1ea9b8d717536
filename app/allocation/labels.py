"""Names on screen for the allocation module's codes (rule 5: English in code, Chinese on screen)."""
from flask_babel import lazy_gettext as _l

from app.allocation.filings.models import HousingStatus, HukouType, MaritalStatus, Relation
from app.allocation.plans.models import PlanStatus
from app.allocation.registrations.models import DrawResult, ObjectionStatus, RegStatus

PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"), PlanStatus.PUBLISHED: _l("Published, registration not open yet"),
    PlanStatus.OPEN: _l("Registration open"), PlanStatus.CLOSED: _l("Registration closed"),
    PlanStatus.REVIEW: _l("Under review"), PlanStatus.PUBLICITY: _l("Eligibility publicity"),
    PlanStatus.FROZEN: _l("Waiting for the draw"), PlanStatus.DRAWN: _l("Drawn"),
    PlanStatus.RESULTS: _l("Result publicity"), PlanStatus.FINISHED: _l("Finished"),
}
REG_STATUS_LABELS = {
    RegStatus.REFUSED: _l("Registration conditions not met"), RegStatus.APPEALED: _l("Human review requested"),
    RegStatus.APPEAL_DENIED: _l("Human review: not admitted"), RegStatus.PENDING: _l("Registered, waiting for review"),
    RegStatus.APPROVED: _l("Review passed"), RegStatus.REJECTED: _l("Review not passed"),
    RegStatus.CANCELLED: _l("Registration cancelled"),
}
REG_ACTION_LABELS = {
    "register": _l("Registered"), "refuse": _l("Refused by the screening"), "appeal": _l("Asked for a human review"),
    "admit": _l("Admitted by human review"), "deny": _l("Refusal upheld by human review"),
    "cancel": _l("Cancelled the registration"), "approve": _l("Review passed"), "reject": _l("Review not passed"),
    "objection": _l("Objection upheld"), "draw": _l("Lottery result"),
}
DRAW_RESULT_LABELS = {DrawResult.SELECTED: _l("Selected"), DrawResult.WAITING: _l("Waiting list")}
OBJECTION_STATUS_LABELS = {
    ObjectionStatus.PENDING: _l("Pending"), ObjectionStatus.UPHELD: _l("Objection upheld"),
    ObjectionStatus.DISMISSED: _l("Objection dismissed"),
}
HUKOU_LABELS = {
    HukouType.LOCAL: _l("Household registered in the city"), HukouType.PERMIT: _l("Holds the city's residence permit"),
    HukouType.OTHER: _l("Household registered elsewhere, no residence permit"),
}
HOUSING_LABELS = {HousingStatus.NONE: _l("No home owned in the city"), HousingStatus.OWNS: _l("Owns a home in the city")}
MARITAL_LABELS = {
    MaritalStatus.SINGLE: _l("Unmarried"), MaritalStatus.MARRIED: _l("Married"),
    MaritalStatus.DIVORCED: _l("Divorced"), MaritalStatus.WIDOWED: _l("Widowed"),
}
RELATION_LABELS = {
    Relation.SPOUSE: _l("Spouse"), Relation.CHILD: _l("Child"), Relation.PARENT: _l("Parent"),
    Relation.OTHER: _l("Other family member living together"),
}


def label(mapping, code):
    value = mapping.get(code)
    return str(value) if value is not None else (code or "")
