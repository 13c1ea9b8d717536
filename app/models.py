"""Imports every model so that one metadata (FAB's Model) knows all tables."""
from app.core.audit import AuditHead, AuditLog  # noqa: F401
from app.security.models import AnjuUser  # noqa: F401
from app.system.models import DictItem, DictType, Organization, Parameter, Region  # noqa: F401
from app.core.sequences import Sequence  # noqa: F401
from app.core.captcha import Captcha  # noqa: F401
from app.core.sms import SmsCode, SmsMessage  # noqa: F401
from app.core.uploads import Upload  # noqa: F401
from app.core.workflow import Application, ApplicationEvent  # noqa: F401
from app.accounts.models import Person, RealnameCheck, RealnameRegistry  # noqa: F401
from app.core.jobs import Job, JobRun  # noqa: F401
from app.core.rollup import StatDaily, StatState  # noqa: F401
from app.core.notices import Notice  # noqa: F401
from app.core.tasks import Task  # noqa: F401
from app.property.models import PropertyArea  # noqa: F401
from app.complaints.models import Complaint, ComplaintEvent, CreditProposal  # noqa: F401
from app.credit.models import (  # noqa: F401
    CreditEvent, CreditListEntry, CreditObjection, CreditRecord, CreditRepair, CreditRule, CreditScore,
    CreditScoreHistory,
)
from app.rental.models import (  # noqa: F401
    AgencyPremises, ApiCallCounter, ContractSubmission, ContractTemplate, ContractTenant, LegalPage, LegalService,
    ListingVerification, Practitioner, PropertyOwner, RentalContract, RentalEvaluation, RentalProperty,
)
from app.allocation.models import (  # noqa: F401
    AllocationPlan, AllocationProject, ApplicantFiling, EligibilityRule, FamilyMember, LotteryDraw, LotteryPool,
    Objection, PriorityGroup, Registration, RegistrationEvent, UnitType,
)
