"""物业服务合同备案 and 物业承接查验备案 (seed 004 物业服务企业 7-8): what the filings keep
besides their business application (app/core/workflow.py)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class ContractType:
    EARLY = "early"    # 前期: the developer appoints the company for a new area
    LATER = "later"    # 后期: the owners' assembly appoints or renews
    ALL = (EARLY, LATER)


class FeeMethod:
    LUMP_SUM = "lump_sum"      # 包干制
    COMMISSION = "commission"  # 酬金制
    ALL = (LUMP_SUM, COMMISSION)


class ServiceContract(db.Model):
    """One filed (approved) property service contract of an area.

    ``current_area_id`` equals ``area_id`` while the contract is the area's current one and is
    NULL once a later filed contract ends it: its unique constraint makes "at most one current
    contract per area" a database rule (as LeadAssignment does for leads)."""

    __tablename__ = "anju_service_contract"
    __audit__ = AuditSpec(
        _l("Property service contract"), row=lambda c: c.area.name if c.area is not None else None,
        labels={"area_id": _l("Property management area"), "current_area_id": _l("Current area"),
                "company_org_id": _l("Property service company"), "client_org_id": _l("Appointing party"),
                "contract_type": _l("Property contract type"), "start_on": _l("Entrusted from"),
                "end_on": _l("Entrusted until"), "signed_on": _l("Contract signing date"),
                "fee_method": _l("Charging method"), "residential_fee": _l("Residential service fee (yuan/m²·month)"),
                "non_residential_fee": _l("Non-residential service fee (yuan/m²·month)"),
                "parking_fee": _l("Parking space service fee"), "other_fees": _l("Other fees"),
                "service_content": _l("Service content"), "application_id": _l("Business application"),
                "region_code": _l("Region code"), "ended_on": _l("Ended on"), "created_on": _l("Created at")},
        values={"contract_type": "app.property.filings.contracts:CONTRACT_TYPE_LABELS",
                "fee_method": "app.property.filings.contracts:FEE_METHOD_LABELS"},
    )
    __scope__ = {"org": "company_org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (Index("ix_anju_service_contract_area", "area_id", "signed_on"),
                      UniqueConstraint("current_area_id", name="uq_anju_service_contract_current_area"),
                      UniqueConstraint("application_id", name="uq_anju_service_contract_application"))

    id = Column(Integer, primary_key=True)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_service_contract_area"),
                     nullable=False)
    current_area_id = Column(Integer)
    company_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_service_contract_company"),
                            nullable=False, index=True)
    client_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_service_contract_client"))
    contract_type = Column(String(16), nullable=False)
    start_on = Column(Date, nullable=False)
    end_on = Column(Date, nullable=False)
    signed_on = Column(Date, nullable=False)
    fee_method = Column(String(16))
    residential_fee = Column(Numeric(10, 2))
    non_residential_fee = Column(Numeric(10, 2))
    parking_fee = Column(String(128))
    other_fees = Column(String(255))
    service_content = Column(Text)
    application_id = Column(Integer, ForeignKey("anju_application.id", name="fk_anju_service_contract_application"),
                            nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    ended_on = Column(Date)
    created_on = Column(DateTime, default=now, nullable=False)

    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    company = relationship("Organization", foreign_keys=[company_org_id])
    client = relationship("Organization", foreign_keys=[client_org_id])

    @property
    def is_current(self):
        return self.current_area_id is not None


class ContractFilingDue(db.Model):
    """The filing deadline of one service-contract filing (signing date + property.contract_filing_days,
    moved past a holiday): whether it was submitted late, and when the overdue job flagged it."""

    __tablename__ = "anju_contract_filing_due"
    __audit__ = AuditSpec(
        _l("Service contract filing deadline"), row="due_on",
        labels={"application_id": _l("Business application"), "org_id": _l("Enterprise"),
                "region_code": _l("Region code"), "signed_on": _l("Contract signing date"),
                "due_on": _l("Filing due date"), "submitted_late": _l("Submitted late"),
                "flagged_on": _l("Flagged overdue on")},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None}
    __table_args__ = (Index("ix_anju_contract_filing_due_open", "flagged_on", "due_on"),
                      UniqueConstraint("application_id", name="uq_anju_contract_filing_due_application"))

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("anju_application.id", ondelete="CASCADE",
                                                name="fk_anju_contract_filing_due_application"),
                            nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_contract_filing_due_org"), nullable=False)
    region_code = Column(String(12), nullable=False)
    signed_on = Column(Date, nullable=False)
    due_on = Column(Date, nullable=False)
    submitted_late = Column(Boolean, nullable=False, default=False, server_default="0")
    flagged_on = Column(Date)


class AcceptanceEquipment(db.Model):
    """A row of a 承接查验备案's equipment workbook, waiting for the approval that moves it into
    设施设备管理 (anju_equipment)."""

    __tablename__ = "anju_acceptance_equipment"
    __audit__ = AuditSpec(
        _l("Acceptance inspection equipment"), row="name",
        labels={"application_id": _l("Business application"), "row_no": _l("Row"),
                "building": _l("Building name"), "unit": _l("Unit / stairway"),
                "equip_type": _l("Facility or equipment type"), "code": _l("Equipment number"),
                "name": _l("Equipment name"), "model": _l("Model"), "manufacturer": _l("Manufacturer"),
                "installed_on": _l("Installation date"), "maintenance_company": _l("Maintenance company"),
                "status": _l("Status")},
    )
    __table_args__ = (Index("ix_anju_acceptance_equipment_app", "application_id", "row_no"),)

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("anju_application.id", ondelete="CASCADE",
                                                name="fk_anju_acceptance_equipment_application"), nullable=False)
    row_no = Column(Integer, nullable=False)
    building = Column(String(64))
    unit = Column(String(32))
    equip_type = Column(String(32), nullable=False)
    code = Column(String(64))
    name = Column(String(128), nullable=False)
    model = Column(String(64))
    manufacturer = Column(String(128))
    installed_on = Column(Date)
    maintenance_company = Column(String(128))
    status = Column(String(16))
