"""Every table of the rental module, from its sub-packages (for Alembic and app/models.py)."""
from app.rental.agencies.models import AgencyPremises, Practitioner  # noqa: F401
from app.rental.contracts.models import ContractTemplate, ContractTenant, RentalContract  # noqa: F401
from app.rental.public.models import ContractSubmission, LegalPage, LegalService, RentalEvaluation  # noqa: F401
from app.rental.registry.models import PropertyOwner, RentalProperty  # noqa: F401
from app.rental.verification.models import ApiCallCounter, ListingVerification  # noqa: F401
