"""设施设备, their 巡检/维保 plans and records (seed 004 设施设备管理/巡检/维保)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, Date, ForeignKey, Index, Integer, String, Text,
                        select)
from sqlalchemy.orm import relationship

from app.core import masking
from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db
from app.property.areas.models import PropertyArea


class EquipmentStatus:
    IN_USE = "in_use"      # 在用
    STOPPED = "stopped"    # 停用
    REPAIR = "repair"      # 维修中
    SCRAPPED = "scrapped"  # 报废
    ALL = (IN_USE, STOPPED, REPAIR, SCRAPPED)


class CareKind:
    INSPECTION = "inspection"    # 巡检
    MAINTENANCE = "maintenance"  # 维保
    ALL = (INSPECTION, MAINTENANCE)


class CycleUnit:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = (DAY, WEEK, MONTH, YEAR)


class Equipment(TimestampMixin, db.Model):
    """设施设备: located in an area, a building, a unit (empty building = area-wide, seed 004).

    ``next_inspection_due`` / ``next_maintenance_due`` are computed from the plans and the
    last records (app/property/care/services.py) and kept on the row, so "due this week"
    and "overdue" lists are index range scans.
    """

    __tablename__ = "anju_equipment"
    __audit__ = AuditSpec(
        _l("Equipment"), row=lambda e: " ".join(x for x in (e.code, e.name) if x) or None,
        labels={"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "building": _l("Building name"),
                "unit": _l("Unit / stairway"), "equip_type": _l("Facility or equipment type"),
                "code": _l("Equipment number"), "name": _l("Equipment name"), "model": _l("Model"),
                "manufacturer": _l("Manufacturer"), "installed_on": _l("Installation date"),
                "maintenance_company": _l("Maintenance company"), "status": _l("Status"),
                "last_inspected_on": _l("Last inspection"), "next_inspection_due": _l("Next inspection"),
                "last_maintained_on": _l("Last maintenance"), "next_maintenance_due": _l("Next maintenance"),
                "overdue_flagged_on": _l("Flagged overdue on"), "remark": _l("Note")},
        values={"status": "app.property.care.services:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (
        Index("ix_anju_equipment_area_type", "area_id", "equip_type"),
        Index("ix_anju_equipment_org_type", "org_id", "equip_type"),
        Index("ix_anju_equipment_maint_due", "org_id", "next_maintenance_due"),
        Index("ix_anju_equipment_insp_due", "org_id", "next_inspection_due"),
    )

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    building = Column(String(64))
    unit = Column(String(32))
    equip_type = Column(String(32), nullable=False)
    code = Column(String(64))
    name = Column(String(128), nullable=False)
    model = Column(String(64))
    manufacturer = Column(String(128))
    installed_on = Column(Date)
    maintenance_company = Column(String(128))
    status = Column(String(16), nullable=False, default=EquipmentStatus.IN_USE)
    last_inspected_on = Column(Date)
    next_inspection_due = Column(Date)
    last_maintained_on = Column(Date)
    next_maintenance_due = Column(Date)
    overdue_flagged_on = Column(Date)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)

    def __repr__(self):
        return self.name

    @property
    def location(self):
        parts = [self.area.name if self.area is not None else ""]
        if self.building:
            parts.append(self.building)
            if self.unit:
                parts.append(self.unit)
        return " / ".join(p for p in parts if p)


class CarePlan(TimestampMixin, db.Model):
    """巡检/维保计划: a cycle for an equipment type (in one area or all of the enterprise's)
    or for one item, e.g. elevators maintained every half month, fire facilities inspected
    monthly."""

    __tablename__ = "anju_care_plan"
    __audit__ = AuditSpec(
        _l("Inspection and maintenance plan"), row="name",
        labels={"org_id": _l("Enterprise"), "kind": _l("Plan type"), "name": _l("Plan name"), "area_id": _l("Property management area"),
                "equip_type": _l("Facility or equipment type"), "equipment_id": _l("Equipment"),
                "cycle_value": _l("Cycle"), "cycle_unit": _l("Cycle unit"), "active": _l("Enabled"),
                "remark": _l("Note"), "created_on": _l("Created at")},
        values={"kind": "app.property.care.services:KIND_LABELS",
                "cycle_unit": "app.property.care.services:UNIT_LABELS"},
    )
    # A project lead sees the plans of the areas they lead and their enterprise's plans for
    # all its areas (area_id empty), which govern the same equipment.
    __scope__ = {"org": "org_id", "region": "region_code", "owner": None,
                 "area": lambda ids: CarePlan.area_id.in_(ids) | (
                     CarePlan.area_id.is_(None)
                     & CarePlan.org_id.in_(select(PropertyArea.company_org_id).where(PropertyArea.id.in_(ids))))}
    __table_args__ = (Index("ix_anju_care_plan_org_kind", "org_id", "kind", "active"),)

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    region_code = Column(String(12), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    name = Column(String(128), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), index=True)
    equip_type = Column(String(32))
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), index=True)
    cycle_value = Column(Integer, nullable=False)
    cycle_unit = Column(String(8), nullable=False, default=CycleUnit.MONTH)
    active = Column(Boolean, nullable=False, default=True)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined")
    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined")

    def __repr__(self):
        return self.name


class _CareRecord(TimestampMixin):
    """What a 巡检 and a 维保 record share (photos: uploads engine)."""

    __scope__ = {"org": "org_id", "region": "region_code", "area": "area_id", "owner": None}

    id = Column(Integer, primary_key=True)
    region_code = Column(String(12), nullable=False, index=True)
    done_on = Column(Date, nullable=False)
    person = Column(String(64), nullable=False)
    result = Column(String(16), nullable=False)
    findings = Column(Text)

    def __repr__(self):
        return f"{self.done_on} {masking.person_text(self.person)}"


class InspectionResult:
    NORMAL = "normal"        # 正常
    ABNORMAL = "abnormal"    # 异常
    ALL = (NORMAL, ABNORMAL)


class MaintenanceResult:
    DONE = "done"            # 已完成
    PARTIAL = "partial"      # 部分完成
    FAILED = "failed"        # 未完成（需复修）
    ALL = (DONE, PARTIAL, FAILED)


class InspectionRecord(_CareRecord, db.Model):
    """巡检记录."""

    __tablename__ = "anju_inspection_record"
    __audit__ = AuditSpec(
        _l("Inspection record"), row=lambda r: f"{r.done_on:%Y-%m-%d}" if r.done_on else None,
        labels={"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "equipment_id": _l("Equipment"),
                "plan_id": _l("Plan"), "staff_id": _l("Staff member"), "done_on": _l("Inspection date"), "person": _l("Inspector"),
                "result": _l("Result"), "findings": _l("Findings and handling"), "created_on": _l("Created at")},
        masks={"person": "name"},
        values={"result": "app.property.care.services:INSPECTION_RESULT_LABELS"},
    )
    __table_args__ = (
        Index("ix_anju_inspection_equipment", "equipment_id", "done_on"),
        Index("ix_anju_inspection_org_date", "org_id", "done_on"),
        Index("ix_anju_inspection_area_date", "area_id", "done_on"),
    )
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), nullable=False)
    plan_id = Column(Integer, ForeignKey("anju_care_plan.id", ondelete="SET NULL"))
    staff_id = Column(Integer, ForeignKey("anju_staff.id"))

    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    staff = relationship("Staff", foreign_keys=[staff_id])


class MaintenanceRecord(_CareRecord, db.Model):
    """维保记录 (the item's maintenance history, seed 004 维修记录)."""

    __tablename__ = "anju_maintenance_record"
    __audit__ = AuditSpec(
        _l("Maintenance record"), row=lambda r: f"{r.done_on:%Y-%m-%d}" if r.done_on else None,
        labels={**{"org_id": _l("Enterprise"), "area_id": _l("Property management area"), "equipment_id": _l("Equipment"),
                "plan_id": _l("Plan"), "staff_id": _l("Staff member"), "done_on": _l("Maintenance date"), "person": _l("Maintainer"),
                "result": _l("Result"), "findings": _l("Handling notes"), "created_on": _l("Created at")},
                "company": _l("Maintenance company"), "content": _l("Maintenance content")},
        masks={"person": "name"},
        values={"result": "app.property.care.services:MAINTENANCE_RESULT_LABELS"},
    )
    __table_args__ = (
        Index("ix_anju_maintenance_equipment", "equipment_id", "done_on"),
        Index("ix_anju_maintenance_org_date", "org_id", "done_on"),
        Index("ix_anju_maintenance_area_date", "area_id", "done_on"),
    )
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("anju_equipment.id", ondelete="CASCADE"), nullable=False)
    plan_id = Column(Integer, ForeignKey("anju_care_plan.id", ondelete="SET NULL"))
    staff_id = Column(Integer, ForeignKey("anju_staff.id"))
    company = Column(String(128))          # 维保单位
    content = Column(Text)                 # 维保内容

    equipment = relationship("Equipment", foreign_keys=[equipment_id], lazy="joined", innerjoin=True)
    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    staff = relationship("Staff", foreign_keys=[staff_id])


