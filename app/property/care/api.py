"""REST resources ``equipment``, ``inspection_record`` and ``maintenance_record``: scoped
list/get/post/put/delete with the same services and checks as the pages
(app/property/care/services.py); a refused write answers 422 with the Chinese reason."""
from flask import g

from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.property.care import services
from app.property.models import CareKind, Equipment, InspectionRecord, MaintenanceRecord

_PERMISSIONS = ["can_get", "can_info", "can_post", "can_put", "can_delete"]


class _CareApi(AnjuModelRestApi):
    base_permissions = _PERMISSIONS

    def _init_model_schemas(self):
        """Required fields are checked by the services (with Chinese messages), not by the
        schema (whose 'Missing data for required field.' is English only)."""
        super()._init_model_schemas()
        for schema in (self.add_model_schema, self.edit_model_schema):
            for field in schema.fields.values():
                field.required = False
                field.allow_none = True


class EquipmentApi(_CareApi):
    resource_name = "equipment"
    datamodel = ScopedInterface(Equipment)
    list_columns = show_columns = [
        "id", "org_id", "area_id", "area.name", "region_code", "building", "unit", "equip_type", "code", "name",
        "model", "manufacturer", "installed_on", "maintenance_company", "status", "remark",
        "last_inspected_on", "next_inspection_due", "last_maintained_on", "next_maintenance_due",
        "overdue_flagged_on"]
    add_columns = edit_columns = ["area_id", "building", "unit", "equip_type", "code", "name", "model",
                                  "manufacturer", "installed_on", "maintenance_company", "status", "remark"]
    search_columns = ["area_id", "equip_type", "building", "name", "status", "next_inspection_due",
                      "next_maintenance_due"]
    order_columns = ["id", "name", "next_inspection_due", "next_maintenance_due"]
    base_order = ("id", "desc")

    def pre_add(self, item):
        super().pre_add(item)
        services.prepare_equipment(item, current_user_obj())

    def pre_update(self, item):
        services.prepare_equipment(item, current_user_obj())

    def post_add(self, item):
        services.equipment_saved(item)
        db.session.commit()

    post_update = post_add

    def pre_delete(self, item):
        services.check_equipment_delete(item, current_user_obj())


_RECORD_FIELDS = ["id", "org_id", "area_id", "area.name", "region_code", "equipment_id", "equipment.name",
                  "plan_id", "done_on", "person", "staff_id", "result", "findings", "created_on"]


class _RecordApi(_CareApi):
    kind = None
    search_columns = ["area_id", "equipment_id", "done_on", "result"]
    order_columns = ["id", "done_on"]
    base_order = ("done_on", "desc")
    mask_columns = {"person": "name"}

    def pre_add(self, item):
        super().pre_add(item)
        services.prepare_record(item, self.kind, current_user_obj())

    def pre_update(self, item):
        services.prepare_record(item, self.kind, current_user_obj())

    def post_add(self, item):
        services.record_changed(item.equipment_id)
        db.session.commit()

    post_update = post_add

    def pre_delete(self, item):
        g.care_record_equipment = services.record_deleting(item)

    def post_delete(self, item):
        equipment_id = g.pop("care_record_equipment", None)
        if equipment_id is not None:
            services.record_changed(equipment_id)
            db.session.commit()


class InspectionRecordApi(_RecordApi):
    resource_name = "inspection_record"
    kind = CareKind.INSPECTION
    datamodel = ScopedInterface(InspectionRecord)
    list_columns = show_columns = _RECORD_FIELDS
    add_columns = ["equipment_id", "done_on", "person", "staff_id", "result", "findings"]
    edit_columns = ["done_on", "person", "staff_id", "result", "findings"]


class MaintenanceRecordApi(_RecordApi):
    resource_name = "maintenance_record"
    kind = CareKind.MAINTENANCE
    datamodel = ScopedInterface(MaintenanceRecord)
    list_columns = show_columns = _RECORD_FIELDS + ["company", "content"]
    add_columns = ["equipment_id", "done_on", "person", "staff_id", "company", "content", "result", "findings"]
    edit_columns = ["done_on", "person", "staff_id", "company", "content", "result", "findings"]


def register(appbuilder):
    appbuilder.add_api(EquipmentApi)
    appbuilder.add_api(InspectionRecordApi)
    appbuilder.add_api(MaintenanceRecordApi)
