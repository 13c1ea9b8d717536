"""Every table of the property module, from its sub-packages (for Alembic and app/models.py)."""
from app.property.areas.models import LeadAssignment, PropertyArea, led_area_ids, org_area_ids  # noqa: F401
from app.property.care.models import (CarePlan, CareKind, CycleUnit, Equipment, EquipmentStatus,  # noqa: F401
                                      InspectionRecord, InspectionResult, MaintenanceRecord, MaintenanceResult)
from app.property.enterprise.models import EnterpriseHonor, EnterpriseProfile, HonorKind  # noqa: F401
from app.property.staff.models import Certificate, Staff, StaffStatus, staff_area  # noqa: F401
from app.property.filings.models import AcceptanceEquipment, ContractFilingDue, ServiceContract  # noqa: F401
from app.property.service.models import (Evaluation, Repair, RepairStatus, Survey, SurveyArea,  # noqa: F401
                                         SurveyResponse, SurveyStatus)
from app.property.houses.models import House, HouseStaged  # noqa: F401
from app.property.owners.models import CommitteeMember, CommitteeRole  # noqa: F401
from app.property.honour.models import HonourObjection, HonourPublicity, PublicityState  # noqa: F401
from app.property.news.models import AreaNews, NewsStatus  # noqa: F401
