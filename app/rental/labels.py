"""Names on screen for the rental module's codes (rule 5: English in code, Chinese on screen)."""
from flask_babel import lazy_gettext as _l

from app.rental.contracts.models import ContractOrigin, ContractStatus, FilingStatus, RentalMode, WizardStep
from app.rental.public.models import EvaluationParty, SubmissionKind, SubmissionStatus
from app.rental.verification.models import Channel, VerificationResult

VERIFICATION_RESULT_LABELS = {VerificationResult.PASSED: _l("Listing verified"),
                              VerificationResult.FAILED: _l("Listing not verified")}
CHANNEL_LABELS = {Channel.CONSOLE: _l("Supervision console"), Channel.API: _l("Platform API")}
CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: _l("Draft"), ContractStatus.SIGNED: _l("Signed"),
    ContractStatus.CANCELLED: _l("Signing cancelled"), ContractStatus.REVOKED: _l("Revoked"),
}
ORIGIN_LABELS = {ContractOrigin.ONLINE: _l("Signed online"), ContractOrigin.BACKFILL: _l("Back-filled")}
FILING_STATUS_LABELS = {
    FilingStatus.NONE: _l("Not filed"), FilingStatus.PENDING: _l("Filing under review"), FilingStatus.FILED: _l("Filed"),
}
STEP_LABELS = {
    WizardStep.ACCEPT: _l("Accept online signing"), WizardStep.VERIFY: _l("Listing verification"),
    WizardStep.DETAILS: _l("Contract details"), WizardStep.TENANTS: _l("Tenant information"),
    WizardStep.MATTERS: _l("Matters agreed by both parties"), WizardStep.ATTACHMENTS: _l("Upload documents"),
    WizardStep.PREVIEW: _l("Contract preview"),
}
RENTAL_MODE_LABELS = {RentalMode.WHOLE: _l("Whole property"), RentalMode.PART: _l("Part of the property")}
SUBMISSION_KIND_LABELS = {SubmissionKind.REVIEW: _l("Contract upload"), SubmissionKind.CHECK: _l("Contract consultation")}
SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.SUBMITTED: _l("Waiting for review"), SubmissionStatus.REVIEWED: _l("Reviewed"),
    SubmissionStatus.CHECKED: _l("Checked"),
}
PARTY_LABELS = {EvaluationParty.TENANT: _l("Tenant"), EvaluationParty.LESSOR: _l("Lessor")}
LEGAL_SERVICE_KIND_LABELS = {"law_firm": _l("Law firm"), "legal_consulting": _l("Legal consulting company")}
PREMISES_STATUS_LABELS = {"open": _l("Open for business"), "closed": _l("Closed")}
PRACTITIONER_STATUS_LABELS = {"active": _l("Active"), "left": _l("Left")}
