"""设施设备管理, 巡检维保计划, 巡检记录, 维保记录 and 本周到期巡检维保 (SPEC §7; seed 004
设施设备管理). Thin: every rule is in app/property/care/services.py."""
from flask import abort, flash, g, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterContains, FilterEqual, FilterGreater, FilterSmaller
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select
from wtforms import MultipleFileField, SelectField

from app.core import uploads, xlsx
from app.core.errors import DomainError
from app.core.schemas import fits_key
from app.core.scope import apply_scope, current_user_obj
from app.core.views import AnjuModelView, ScopedInterface, masked
from app.extensions import db
from app.property.care import imports, services
from app.property.models import (
    CareKind,
    CarePlan,
    Equipment,
    EquipmentStatus,
    InspectionRecord,
    MaintenanceRecord,
    Staff,
    StaffStatus,
)
from app.system import dicts

CATEGORY = "Property"
_NOTHING = (set(), set(), set())


# --- choices and filters -----------------------------------------------------------------------

def _with_blank(pairs, blank=None):
    return lambda: [("", str(blank or _l("Please choose")))] + [(c, str(label)) for c, label in
                                                                (pairs() if callable(pairs) else pairs)]


_type_choices = _with_blank(lambda: dicts.items("equipment_type"))
_kind_choices = _with_blank(lambda: list(services.KIND_LABELS.items()))
_unit_choices = lambda: [(c, str(label)) for c, label in services.UNIT_LABELS.items()]  # noqa: E731
_area_filter_choices = _with_blank(lambda: services.areas_for_select(), _l("All"))
_type_filter_choices = _with_blank(lambda: dicts.items("equipment_type"), _l("All"))
_status_filter_choices = _with_blank(lambda: list(services.STATUS_LABELS.items()), _l("All"))
_due_filter_choices = _with_blank([("overdue", _l("Already overdue")), ("week", _l("Due this week"))], _l("All"))


class FilterAreaIs(BaseFilter):
    """物业管理区域: one area chosen from the areas in the user's scope (the list is scoped anyway)."""

    name = _l("Is")
    arg_name = "care_area"

    def apply(self, query, value):
        value = str(value or "").strip()
        if not value.isdigit():
            return query
        # An id no key can hold (e.g. 20 digits) matches nothing, not an overflow.
        return query.filter(self.model.area_id == int(value) if fits_key(value) else false())


class FilterDueState(BaseFilter):
    """维保到期 / 巡检到期: overdue, or due this week (Monday to Sunday, not yet overdue)."""

    name = _l("Due state")
    arg_name = "care_due"

    def apply(self, query, value):
        column = getattr(self.model, self.column_name)
        on = services.today()
        if value == "overdue":
            return query.filter(column < on)
        if value == "week":
            return query.filter(column >= on, column <= services.week_bounds(on)[1])
        return query


class FilterEquipmentType(BaseFilter):
    """Records by the type of their equipment (a subquery on the equipment's indexed columns)."""

    name = _l("Is")
    arg_name = "care_type"

    def apply(self, query, value):
        value = str(value or "").strip()
        if not value:
            return query
        return query.filter(self.model.equipment_id.in_(select(Equipment.id).where(Equipment.equip_type == value)))


def _equipment_options():
    """Equipment the user may record for (not scrapped), or only the one named by ?equipment=."""
    stmt = apply_scope(select(Equipment).where(Equipment.status != EquipmentStatus.SCRAPPED), Equipment)
    wanted = request.args.get("equipment", "")
    if wanted.isdigit():
        stmt = stmt.where(Equipment.id == int(wanted))
    stmt = stmt.order_by(Equipment.area_id, Equipment.name, Equipment.id).limit(2000)
    return db.session.execute(stmt).scalars().all()


def _staff_options():
    """In-service staff in the user's scope (of the prefilled equipment's enterprise)."""
    stmt = apply_scope(select(Staff).where(Staff.status == StaffStatus.ACTIVE), Staff)
    wanted = request.args.get("equipment", "")
    if wanted.isdigit():
        equipment = services.equipment_in_scope(int(wanted))
        if equipment is not None:
            stmt = stmt.where(Staff.org_id == equipment.org_id)
    return db.session.execute(stmt.order_by(Staff.name, Staff.id).limit(2000)).scalars().all()


def _equipment_label(e):
    return f"{e.name}（{e.location}）"


def _equipment_field(label, allow_blank=False):
    return QuerySelectField(label, query_func=_equipment_options, get_pk_func=lambda e: e.id,
                            get_label=_equipment_label, allow_blank=allow_blank, widget=Select2Widget())


def _staff_field():
    return QuerySelectField(_l("Staff member"), query_func=_staff_options, get_pk_func=lambda s: s.id,
                            get_label=str, allow_blank=True, widget=Select2Widget())


def _short(value, size=30):
    text = value or ""
    return text if len(text) <= size else text[:size] + "…"


def _area_name(area):
    return area.name if area is not None else ""


# --- shared page behaviour ---------------------------------------------------------------------

class _FormPages:
    """Add and edit pages that keep what was typed when a rule refuses the save (the reason
    is flashed), write the row and its consequences in one transaction, and may prefill the
    add form from the query string."""

    def prefill_add(self, form):
        """Fill the add form from the query string (override)."""

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                try:
                    form.populate_obj(item)
                    self.pre_add(item)
                    db.session.add(item)
                    db.session.flush()
                    self.post_add(item)
                    db.session.commit()
                except DomainError as exc:
                    db.session.rollback()
                    flash(str(exc), "danger")
                else:
                    flash(str(self.add_row_message), "success")
                    return None
        else:
            self.prefill_add(form)
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        if request.method != "POST":
            return super()._edit(pk)
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        form = self.edit_form.refresh(request.form)
        self._fill_form_exclude_cols(exclude_cols, form)
        form._id = self.datamodel.get_pk_value(item)
        if form.validate():
            self.process_form(form, False)
            try:
                form.populate_obj(item)
                self.pre_update(item)
                db.session.flush()
                self.post_update(item)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                flash(str(self.edit_row_message), "success")
                return None
        return self._get_edit_widget(form=form, exclude_cols=exclude_cols)

    def _can(self, permission, view=None):
        return self.appbuilder.sm.has_access(permission, view or self.class_permission_name)


# --- equipment ---------------------------------------------------------------------------------

EQUIPMENT_COLUMNS = imports.EQUIPMENT_COLUMNS

_EQUIPMENT_LABELS = {
    "area": _l("Property management area"), "building": _l("Building name"), "unit": _l("Unit / stairway"),
    "equip_type": _l("Facility or equipment type"), "code": _l("Equipment number"), "name": _l("Equipment name"),
    "model": _l("Model"), "manufacturer": _l("Manufacturer"), "installed_on": _l("Installation date"),
    "maintenance_company": _l("Maintenance company"), "status": _l("Status"), "remark": _l("Note"),
    "next_inspection_due": _l("Next inspection"), "next_maintenance_due": _l("Next maintenance"),
    "last_inspected_on": _l("Last inspection"), "last_maintained_on": _l("Last maintenance"),
    "org": _l("Property service company"), "place": _l("Location"),
}


class _EquipmentInterface(ScopedInterface):
    """Equipment rows plus one computed list column, ``place`` (位置: building / unit, or
    整个物业区域), which needs two columns of the row (a formatter sees one value)."""

    @staticmethod
    def _get_attr_value(item, col):
        if col == "place":
            return services.place_text(item.building, item.unit)
        return ScopedInterface._get_attr_value(item, col)


class EquipmentView(_FormPages, AnjuModelView):
    datamodel = _EquipmentInterface(Equipment)
    route_base = "/equipment"
    list_title = _l("Facilities and equipment")
    show_title = _l("Equipment details")
    add_title = _l("Add equipment")
    edit_title = _l("Edit equipment")
    show_template = "anju/property/equipment_show.html"
    label_columns = _EQUIPMENT_LABELS
    list_columns = ["area", "place", "equip_type", "name", "model", "maintenance_company", "status",
                    "next_inspection_due", "next_maintenance_due"]
    show_columns = ["area", "building", "unit", "equip_type", "code", "name", "model", "manufacturer",
                    "installed_on", "maintenance_company", "status", "remark", "org"]
    add_columns = edit_columns = ["area", "building", "unit", "equip_type", "code", "name", "model", "manufacturer",
                                  "installed_on", "maintenance_company", "status", "remark"]
    description_columns = {
        "building": _l("Leave empty for equipment of the whole area (e.g. the main gate)."),
        "unit": _l("Leave empty for equipment of the whole building."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "equip_type": SelectField(_l("Facility or equipment type"), choices=_type_choices),
        "status": SelectField(_l("Status"), choices=lambda: [(c, str(label)) for c, label in
                                                             services.STATUS_LABELS.items()]),
    }
    search_columns = ["area", "equip_type", "building", "name", "status", "next_maintenance_due",
                      "next_inspection_due"]
    search_filters = {"area": [FilterAreaIs], "equip_type": [FilterEqual], "status": [FilterEqual],
                      "name": [FilterContains, FilterEqual], "building": [FilterContains, FilterEqual],
                      "next_maintenance_due": [FilterDueState], "next_inspection_due": [FilterDueState]}
    search_form_extra_fields = {
        "area": SelectField(_l("Property management area"), choices=_area_filter_choices),
        "equip_type": SelectField(_l("Facility or equipment type"), choices=_type_filter_choices),
        "status": SelectField(_l("Status"), choices=_status_filter_choices),
        "next_maintenance_due": SelectField(_l("Maintenance due"), choices=_due_filter_choices),
        "next_inspection_due": SelectField(_l("Inspection due"), choices=_due_filter_choices),
    }
    formatters_columns = {
        "area": _area_name,
        "equip_type": dicts.formatter("equipment_type"),
        "status": services.status_label,
        "next_inspection_due": services.due_text,
        "next_maintenance_due": services.due_text,
    }
    base_order = ("id", "desc")
    xlsx_columns = EQUIPMENT_COLUMNS
    xlsx_title = _l("Facilities and equipment")

    def export_columns(self):
        return list(EQUIPMENT_COLUMNS) + [
            xlsx.XColumn(key="last_inspected_on", label=_l("Last inspection"), kind="date"),
            xlsx.XColumn(key="next_inspection_due", label=_l("Next inspection"), kind="date"),
            xlsx.XColumn(key="last_maintained_on", label=_l("Last maintenance"), kind="date"),
            xlsx.XColumn(key="next_maintenance_due", label=_l("Next maintenance"), kind="date"),
        ]

    def validate_import(self, rows):
        return imports.validate_import_rows(rows, current_user_obj())

    def import_rows(self, rows):
        return imports.import_rows(rows, current_user_obj())

    def pre_add(self, item):
        super().pre_add(item)
        services.prepare_equipment(item, current_user_obj())

    def pre_update(self, item):
        services.prepare_equipment(item, current_user_obj())

    def post_add(self, item):
        services.equipment_saved(item)

    def post_update(self, item):
        services.equipment_saved(item)

    def pre_delete(self, item):
        services.check_equipment_delete(item, current_user_obj())

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        from app.property.service import repairs as repair_services

        item = self._item_or_404(pk)
        person = masked("name")
        return self.render_template(
            self.show_template, item=item, title=self.show_title, pk=pk,
            place=services.place_text(item.building, item.unit), type_label=services.type_label(item.equip_type),
            status_label=services.status_label(item.status), due=services.due_plans(item),
            inspections=services.history(item, CareKind.INSPECTION),
            maintenance=services.history(item, CareKind.MAINTENANCE),
            repairs=repair_services.repairs_of_equipment(item), repair_status=repair_services.status_label,
            result_label=services.result_label, due_text=services.due_text, person=person, today=services.today(),
            can_edit=self._can("can_edit"), can_add_plan=self._can("can_add", "CarePlanView"),
            can_inspect=self._can("can_add", "InspectionRecordView") and item.status != EquipmentStatus.SCRAPPED,
            can_maintain=self._can("can_add", "MaintenanceRecordView") and item.status != EquipmentStatus.SCRAPPED,
        )


# --- plans -------------------------------------------------------------------------------------

class CarePlanView(_FormPages, AnjuModelView):
    datamodel = ScopedInterface(CarePlan)
    route_base = "/careplans"
    list_title = _l("Inspection and maintenance plans")
    show_title = _l("Inspection and maintenance plan")
    add_title = _l("Add inspection or maintenance plan")
    edit_title = _l("Edit inspection or maintenance plan")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    label_columns = {
        "kind": _l("Plan type"), "name": _l("Plan name"), "area": _l("Property management area"),
        "equip_type": _l("Facility or equipment type"), "equipment": _l("Equipment"), "cycle_value": _l("Cycle"),
        "cycle_unit": _l("Cycle unit"), "active": _l("Enabled"), "remark": _l("Note"),
        "org": _l("Property service company"), "created_on": _l("Created at"),
    }
    list_columns = ["kind", "name", "area", "equip_type", "equipment", "cycle_value", "cycle_unit", "active"]
    show_columns = ["kind", "name", "org", "area", "equip_type", "equipment", "cycle_value", "cycle_unit", "active",
                    "remark", "created_on"]
    add_columns = edit_columns = ["kind", "name", "area", "equip_type", "equipment", "cycle_value", "cycle_unit",
                                  "active", "remark"]
    description_columns = {
        "area": _l("Leave empty for all of the enterprise's areas."),
        "equip_type": _l("Choose an equipment type, or one piece of equipment below, not both."),
        "cycle_value": _l("E.g. elevators are maintained every 15 days, fire facilities inspected every month."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Plan type"), choices=_kind_choices),
        "equip_type": SelectField(_l("Facility or equipment type"),
                                  choices=_with_blank(lambda: dicts.items("equipment_type"), "-")),
        "equipment": _equipment_field(_l("Equipment"), allow_blank=True),
        "cycle_unit": SelectField(_l("Cycle unit"), choices=_unit_choices, default="month"),
    }
    search_columns = ["kind", "name", "area", "equip_type", "active"]
    search_filters = {"kind": [FilterEqual], "area": [FilterAreaIs], "equip_type": [FilterEqual]}
    search_form_extra_fields = {
        "kind": SelectField(_l("Plan type"), choices=_with_blank(lambda: list(services.KIND_LABELS.items()),
                                                                 _l("All"))),
        "area": SelectField(_l("Property management area"), choices=_area_filter_choices),
        "equip_type": SelectField(_l("Facility or equipment type"), choices=_type_filter_choices),
    }
    formatters_columns = {
        "kind": services.kind_label,
        "area": lambda a: a.name if a is not None else str(_("All areas of the enterprise")),
        "equip_type": services.type_label,
        "equipment": lambda e: e.name if e is not None else "",
        "cycle_unit": services.unit_label,
    }
    base_order = ("id", "desc")

    def prefill_add(self, form):
        """From the equipment page's 新建计划 link: ?kind=inspection|maintenance&equipment=<id>."""
        kind = request.args.get("kind", "")
        if kind in services.KIND_LABELS:
            form.kind.data = kind
        wanted = request.args.get("equipment", "")
        equipment = services.equipment_in_scope(wanted) if wanted.isdigit() else None
        if equipment is not None:
            form.equipment.data = equipment
            if not form.name.data:
                form.name.data = f"{equipment.name}{services.kind_label(kind)}" if kind in services.KIND_LABELS \
                    else equipment.name

    # What a plan reached before the change waits in ``g`` (views are shared by all requests).
    def pre_add(self, item):
        super().pre_add(item)
        g.care_plan_before = services.prepare_plan(item, current_user_obj())

    def pre_update(self, item):
        g.care_plan_before = services.prepare_plan(item, current_user_obj())

    def post_add(self, item):
        services.plan_changed(g.pop("care_plan_before", _NOTHING), services.plan_targets(item))

    def post_update(self, item):
        services.plan_changed(g.pop("care_plan_before", _NOTHING), services.plan_targets(item))

    def pre_delete(self, item):
        g.care_plan_before = services.plan_targets(item)

    def post_delete(self, item):
        services.plan_changed(g.pop("care_plan_before", _NOTHING))
        db.session.commit()


# --- records -----------------------------------------------------------------------------------

class _RecordView(_FormPages, AnjuModelView):
    kind = None
    show_template = "anju/property/care_record_show.html"
    mask_columns = {"person": "name"}
    search_filters = {"area": [FilterAreaIs], "equipment_id": [FilterEquipmentType],
                      "done_on": [FilterGreater, FilterSmaller, FilterEqual], "result": [FilterEqual]}
    base_order = ("done_on", "desc")

    def prefill_add(self, form):
        wanted = request.args.get("equipment", "")
        equipment = services.equipment_in_scope(wanted) if wanted.isdigit() else None
        if equipment is not None:
            form.equipment.data = equipment
            if self.kind == CareKind.MAINTENANCE and equipment.maintenance_company:
                form.company.data = equipment.maintenance_company
        if not form.done_on.data:
            form.done_on.data = services.today()

    def pre_add(self, item):
        super().pre_add(item)
        self._prepare(item)

    def pre_update(self, item):
        self._prepare(item)

    def _prepare(self, item):
        user = current_user_obj()
        services.prepare_record(item, self.kind, user)
        services.save_photos(item, request.files.getlist("photos"), user)

    def post_add(self, item):
        services.record_changed(item.equipment_id)

    def post_update(self, item):
        services.record_changed(item.equipment_id)

    def pre_delete(self, item):
        g.care_record_equipment = services.record_deleting(item)

    def post_delete(self, item):
        equipment_id = g.pop("care_record_equipment", None)
        if equipment_id is not None:
            services.record_changed(equipment_id)
            db.session.commit()

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        widgets = self._get_show_widget(pk, item)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=[], item=item, files=uploads.files_of(item),
                                    url_for_upload=uploads.url_for_upload)


_RECORD_LABELS = {
    "equipment": _l("Equipment"), "area": _l("Property management area"), "staff": _l("Staff member"),
    "result": _l("Result"), "photos": _l("Photos"), "equipment_id": _l("Facility or equipment type"),
    "created_on": _l("Created at"),
}
_PHOTO_HELP = _l("JPG, PNG or PDF, at most 10 files.")


class InspectionRecordView(_RecordView):
    kind = CareKind.INSPECTION
    datamodel = ScopedInterface(InspectionRecord)
    route_base = "/inspections"
    list_title = _l("Inspection records")
    show_title = _l("Inspection record")
    add_title = _l("Add inspection record")
    edit_title = _l("Edit inspection record")
    label_columns = {**_RECORD_LABELS, "done_on": _l("Inspection date"), "person": _l("Inspector"),
                     "findings": _l("Findings and handling")}
    list_columns = ["done_on", "area", "equipment", "person", "result", "findings"]
    show_columns = ["equipment", "area", "done_on", "person", "staff", "result", "findings", "created_on"]
    add_columns = ["equipment", "done_on", "person", "staff", "result", "findings", "photos"]
    edit_columns = ["done_on", "person", "staff", "result", "findings", "photos"]
    description_columns = {"findings": _l("Required when the result is abnormal."), "photos": _PHOTO_HELP}
    add_form_extra_fields = {
        "equipment": _equipment_field(_l("Equipment")),
        "staff": _staff_field(),
        "result": SelectField(_l("Result"), choices=_with_blank(
            lambda: list(services.INSPECTION_RESULT_LABELS.items()))),
        "photos": MultipleFileField(_l("Photos")),
    }
    edit_form_extra_fields = {k: v for k, v in add_form_extra_fields.items() if k != "equipment"}
    search_columns = ["area", "equipment_id", "done_on", "result"]
    search_form_extra_fields = {
        "area": SelectField(_l("Property management area"), choices=_area_filter_choices),
        "equipment_id": SelectField(_l("Facility or equipment type"), choices=_type_filter_choices),
        "result": SelectField(_l("Result"), choices=_with_blank(
            lambda: list(services.INSPECTION_RESULT_LABELS.items()), _l("All"))),
    }
    formatters_columns = {
        "area": _area_name,
        "equipment": lambda e: e.name if e is not None else "",
        "result": lambda v: services.result_label(CareKind.INSPECTION, v),
        "findings": _short,
    }


class MaintenanceRecordView(_RecordView):
    kind = CareKind.MAINTENANCE
    datamodel = ScopedInterface(MaintenanceRecord)
    route_base = "/maintenance"
    list_title = _l("Maintenance records")
    show_title = _l("Maintenance record")
    add_title = _l("Add maintenance record")
    edit_title = _l("Edit maintenance record")
    label_columns = {**_RECORD_LABELS, "done_on": _l("Maintenance date"), "person": _l("Maintainer"),
                     "findings": _l("Handling notes"), "company": _l("Maintenance company"),
                     "content": _l("Maintenance content")}
    list_columns = ["done_on", "area", "equipment", "company", "person", "result", "content"]
    show_columns = ["equipment", "area", "done_on", "company", "person", "staff", "content", "result", "findings",
                    "created_on"]
    add_columns = ["equipment", "done_on", "company", "person", "staff", "content", "result", "findings", "photos"]
    edit_columns = ["done_on", "company", "person", "staff", "content", "result", "findings", "photos"]
    description_columns = {"photos": _PHOTO_HELP}
    add_form_extra_fields = {
        "equipment": _equipment_field(_l("Equipment")),
        "staff": _staff_field(),
        "result": SelectField(_l("Result"), choices=_with_blank(
            lambda: list(services.MAINTENANCE_RESULT_LABELS.items()))),
        "photos": MultipleFileField(_l("Photos")),
    }
    edit_form_extra_fields = {k: v for k, v in add_form_extra_fields.items() if k != "equipment"}
    search_columns = ["area", "equipment_id", "done_on", "result"]
    search_form_extra_fields = {
        "area": SelectField(_l("Property management area"), choices=_area_filter_choices),
        "equipment_id": SelectField(_l("Facility or equipment type"), choices=_type_filter_choices),
        "result": SelectField(_l("Result"), choices=_with_blank(
            lambda: list(services.MAINTENANCE_RESULT_LABELS.items()), _l("All"))),
    }
    formatters_columns = {
        "area": _area_name,
        "equipment": lambda e: e.name if e is not None else "",
        "result": lambda v: services.result_label(CareKind.MAINTENANCE, v),
        "content": _short,
    }


# --- due this week -----------------------------------------------------------------------------

class CareDueView(BaseView):
    """本周到期巡检维保: per area in scope, what is due by Sunday or overdue, with links to record it."""

    route_base = "/care/due"
    default_view = "list"
    base_permissions = ["can_list"]

    @expose("/")
    @has_access
    def list(self):
        on = services.today()
        monday, sunday = services.week_bounds(on)
        groups, truncated = services.due_this_week(current_user_obj(), on)
        sm = self.appbuilder.sm
        return self.render_template(
            "anju/property/care_due.html", title=_("Inspection and maintenance due this week"), groups=groups,
            truncated=truncated, limit=services.DUE_LIST_LIMIT, monday=monday, sunday=sunday, today=on,
            place_text=services.place_text, type_label=services.type_label,
            can_inspect=sm.has_access("can_add", "InspectionRecordView"),
            can_maintain=sm.has_access("can_add", "MaintenanceRecordView"),
        )


def register(appbuilder):
    from app.property.care import jobs  # noqa: F401  (registers the daily care job)

    uploads.register_owner("inspection", InspectionRecord, ("can_show", "InspectionRecordView"))
    uploads.register_owner("maintenance", MaintenanceRecord, ("can_show", "MaintenanceRecordView"))
    label = _l("Property management")
    appbuilder.add_view(EquipmentView(), "Facilities and equipment", label=_l("Facilities and equipment"),
                        category=CATEGORY, category_label=label, icon="fa-cogs")
    appbuilder.add_view(CarePlanView(), "Care plans", label=_l("Inspection and maintenance plans"),
                        category=CATEGORY, category_label=label, icon="fa-calendar")
    appbuilder.add_view(InspectionRecordView(), "Inspection records", label=_l("Inspection records"),
                        category=CATEGORY, category_label=label, icon="fa-search")
    appbuilder.add_view(MaintenanceRecordView(), "Maintenance records", label=_l("Maintenance records"),
                        category=CATEGORY, category_label=label, icon="fa-wrench")
    appbuilder.add_view(CareDueView(), "Care due this week", label=_l("Inspection and maintenance due this week"),
                        category=CATEGORY, category_label=label, icon="fa-bell")
    services.register_worklist()
