"""产权登记 (property registry, issue 14): the list (paged at a million rows by the base
view), a property's page with its owners, the add/edit form with the owners, delete, the
Excel template / import (all or nothing, the error workbook) and the export.

Rules live in app/rental/registry/services.py; owners' names and ID numbers are masked for a
viewer without the full-value permission, everywhere (list, page, form, export).
"""
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterContains, FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.accounts.models import ID_TYPE_LABELS
from app.core import audit, masking, xlsx
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import current_user_obj, prefix_range
from app.core.views import AnjuModelView, ScopedInterface, commit_keeping_rows
from app.extensions import db
from app.rental.registry import schemas, services
from app.rental.registry.models import PropertyOwner, RentalProperty
from app.system import dicts


# --- shown values -------------------------------------------------------------------------

def region_cell(prop):
    return services.region_text(prop.region_code, prop.street_code)


def owner_names(prop):
    """All the owners' names, as the viewer may see them."""
    return "、".join(masking.for_viewer("name", o.name) or "" for o in prop.owners)


def owner_id_numbers(prop):
    return "、".join(masking.for_viewer("id_number", o.id_number) or "" for o in prop.owners)


def encumbrance_text(prop):
    """查封 / 抵押 in one cell (the list at 1,280 px); 无 when neither."""
    parts = [str(_("Sealed (查封)")) if prop.sealed else "", str(_("Mortgaged (抵押)")) if prop.mortgaged else ""]
    return "、".join(p for p in parts if p) or _("None")


def yes_no(value):
    return _("Yes") if value else _("No")


def area_text(value):
    return "" if value is None else f"{value:.2f}"


class PropertyInterface(ScopedInterface):
    """The scoped datamodel with the list's computed columns (region names, owners)."""

    virtual = {"region_name": region_cell, "owner_names": owner_names, "owner_id_numbers": owner_id_numbers,
               "encumbrance": encumbrance_text}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)


# --- filters ------------------------------------------------------------------------------

class FilterCertNo(BaseFilter):
    """产权证号: the whole number or its beginning (an index range; the number is no personal data)."""

    name = _l("Equal to or starts with")
    arg_name = "sw"

    def apply(self, query, value):
        value = services.normalise_cert_no(value)
        if not value:
            return query
        return query.filter(prefix_range(RentalProperty.cert_no, value))


class FilterOwnerIdNumber(BaseFilter):
    """产权人证件号: the exact full number only (it is shown masked: no part of it is searchable)."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        value = (value or "").strip().replace(" ", "").upper()
        if not value:
            return query
        return query.filter(RentalProperty.id.in_(
            select(PropertyOwner.property_id).where(PropertyOwner.id_number == value)))


class FilterYesNo(BaseFilter):
    """查封 / 抵押: 是 or 否."""

    name = _l("Is")
    arg_name = "yn"

    def apply(self, query, value):
        column = getattr(RentalProperty, self.column_name)
        if value in ("y", "1", "true"):
            return query.filter(column.is_(True))
        if value in ("n", "0", "false"):
            return query.filter(column.is_(False))
        return query


def district_choices():
    return [(code, name) for code, name, _streets in services.region_tree(services.viewer_prefix())]


def _all(choices):
    return lambda: [("", _l("All"))] + list(choices() if callable(choices) else choices)


def _yes_no():
    return [("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))]


# --- the view -----------------------------------------------------------------------------

class RentalPropertyView(AnjuModelView):
    datamodel = PropertyInterface(RentalProperty)
    route_base = "/rental/registry"
    list_title = _l("Property registry")
    show_title = _l("Registered property")
    add_title = _l("Register a property")
    edit_title = _l("Edit registered property")
    show_template = "anju/rental/registry/show.html"
    xlsx_title = _l("Property registry")
    xlsx_columns = schemas.IMPORT_COLUMNS
    import_unique = schemas.IMPORT_UNIQUE
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_import",
                        "can_template"]
    label_columns = {
        "cert_type": _l("Title document type"), "cert_no": _l("Title certificate number"),
        "region_name": _l("Property region"), "region_code": _l("Property region"), "address": _l("Property address"),
        "building_area": _l("Building area (m²)"), "use": _l("House use"), "owner_names": _l("Owners"),
        "owner_id_numbers": _l("Owner ID number"), "owners": _l("Owner ID number (full)"),
        "sealed": _l("Sealed (查封)"), "mortgaged": _l("Mortgaged (抵押)"), "encumbrance": _l("Encumbrances"),
    }
    list_columns = ["cert_type", "cert_no", "region_name", "address", "building_area", "use", "owner_names",
                    "encumbrance"]
    list_key_column = "cert_no"
    show_columns = ["cert_type", "cert_no", "region_name", "address", "building_area", "use", "owner_names",
                    "sealed", "mortgaged"]
    search_columns = ["region_code", "cert_type", "cert_no", "address", "sealed", "mortgaged", "owners"]
    inline_search_columns = ["region_code", "cert_type", "cert_no", "address", "owners", "sealed", "mortgaged"]
    search_filters = {"region_code": [FilterEqual], "cert_type": [FilterEqual], "cert_no": [FilterCertNo],
                      "address": [FilterContains], "sealed": [FilterYesNo], "mortgaged": [FilterYesNo],
                      "owners": [FilterOwnerIdNumber]}
    search_form_extra_fields = {
        "region_code": SelectField(_l("Property region"), choices=_all(district_choices)),
        "cert_type": SelectField(_l("Title document type"), choices=_all(dicts.choices("property_cert_type"))),
        "cert_no": StringField(_l("Title certificate number")),
        "address": StringField(_l("Property address")),
        "sealed": SelectField(_l("Sealed (查封)"), choices=_yes_no()),
        "mortgaged": SelectField(_l("Mortgaged (抵押)"), choices=_yes_no()),
        "owners": StringField(_l("Owner ID number (full)")),
    }
    formatters_columns = {
        "cert_type": dicts.formatter("property_cert_type"),
        "use": dicts.formatter("house_use"),
        "sealed": yes_no,
        "mortgaged": yes_no,
        "building_area": area_text,
    }
    base_order = ("id", "desc")

    # --- export: the list as the viewer sees it, owners masked unless they may see them ---
    EXPORT_COLUMNS = ["cert_type", "cert_no", "region_name", "address", "building_area", "use", "owner_names",
                      "owner_id_numbers", "sealed", "mortgaged"]

    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns[name]) for name in self.EXPORT_COLUMNS]

    def export_value(self, row, column):
        fn = self.datamodel.virtual.get(column.key)
        if fn is not None:
            return fn(row)
        if column.key in ("cert_type", "use", "sealed", "mortgaged"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)

    def export_query(self):
        from sqlalchemy.orm import selectinload

        return super().export_query().options(selectinload(RentalProperty.owners))

    def _audit_full_view(self, list_widget):
        """A list page that showed owners in full is audited (the owners are computed columns,
        so the base view's check of declared masked columns does not see them)."""
        if list_widget is None or not masking.viewer_sees_full():
            return
        pks = list_widget.template_args.get("pks") or []
        if pks:
            audit.record(AuditAction.VIEW_PII, "RentalProperty",
                         summary=_("List showing records %(ids)s", ids=",".join(str(p) for p in pks)[:440]))
            commit_keeping_rows()

    # --- a property's page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        full = masking.viewer_sees_full()
        if full:
            audit.record(AuditAction.VIEW_PII, "RentalProperty", item.id,
                         summary=_("Full values of: %(columns)s", columns=_("Owners")), commit=True)
        owners = [{"name": masking.for_viewer("name", o.name), "id_type": ID_TYPE_LABELS.get(o.id_type, o.id_type),
                   "id_number": masking.for_viewer("id_number", o.id_number),
                   "share": area_text(o.share) if o.share is not None else ""} for o in item.owners]
        return self.render_template(
            self.show_template, title=self.show_title, item=item, owners=owners,
            region=region_cell(item), cert_type=dicts.label("property_cert_type", item.cert_type),
            use=dicts.label("house_use", item.use) if item.use else "", area=area_text(item.building_area),
            yes_no=yes_no, can_edit=self._permitted(self, "can_edit"),
            can_delete=self._permitted(self, "can_delete"), delete_refusal=services.delete_refusal(item),
            share_label=_("Ownership share (%)"),
        )

    # --- add and edit: the property with its owners, through services.save_property ---
    @staticmethod
    def _posted():
        form = request.form
        data = {k: form.get(k, "") for k in ("district", "street", "cert_type", "cert_no", "address",
                                             "building_area", "use")}
        data["region_code"] = data["street"] or data["district"]
        data["sealed"] = form.get("sealed") == "y"
        data["mortgaged"] = form.get("mortgaged") == "y"
        names, types = form.getlist("owner_name"), form.getlist("owner_id_type")
        numbers, shares = form.getlist("owner_id_number"), form.getlist("owner_share")
        owners = []
        for i in range(max(len(names), len(numbers))):
            owners.append({"name": names[i] if i < len(names) else "",
                           "id_type": types[i] if i < len(types) else "resident_id",
                           "id_number": numbers[i] if i < len(numbers) else "",
                           "share": shares[i] if i < len(shares) else ""})
        return data, owners

    def _form(self, title, values, owners, error=None, item=None):
        return self.render_template(
            "anju/rental/registry/form.html", title=title, values=values, owners=owners or [{}], error=error,
            item=item, regions=services.region_tree(services.viewer_prefix()),
            cert_types=dicts.items("property_cert_type"), uses=dicts.items("house_use"),
            id_types=list(ID_TYPE_LABELS.items()), share_label=_("Ownership share (%)"),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        title = _("Register a property")
        if request.method == "GET":
            return self._form(title, {}, [{}])
        data, owners = self._posted()
        try:
            prop = services.save_property(None, data, owners, current_user_obj())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, data, owners, error=str(exc))
        flash(_("Saved: %(name)s", name=prop.cert_no), "success")
        return redirect(url_for("RentalPropertyView.show", pk=prop.id))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item_or_404(pk)
        title = _("Edit registered property")
        stored = list(item.owners)
        if request.method == "GET":
            values = {"district": item.region_code, "street": item.street_code or "", "cert_type": item.cert_type,
                      "cert_no": item.cert_no, "address": item.address,
                      "building_area": area_text(item.building_area), "use": item.use or "",
                      "sealed": item.sealed, "mortgaged": item.mortgaged}
            owners = [{"name": masking.for_viewer("name", o.name), "id_type": o.id_type,
                       "id_number": masking.for_viewer("id_number", o.id_number),
                       "share": area_text(o.share) if o.share is not None else ""} for o in stored]
            return self._form(title, values, owners, item=item)
        data, owners = self._posted()
        # A value the viewer saw masked and sent back unchanged keeps the stored one.
        if not masking.viewer_sees_full():
            for i, owner in enumerate(owners):
                if i < len(stored):
                    if owner["name"] == masking.mask("name", stored[i].name):
                        owner["name"] = stored[i].name
                    if owner["id_number"] == masking.mask("id_number", stored[i].id_number):
                        owner["id_number"] = stored[i].id_number
        try:
            services.save_property(item, data, owners, current_user_obj())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            item = self._item_or_404(pk)
            return self._form(title, data, owners, error=str(exc), item=item)
        flash(_("Saved: %(name)s", name=item.cert_no), "success")
        return redirect(url_for("RentalPropertyView.show", pk=item.id))

    def pre_delete(self, item):
        refusal = services.delete_refusal(item)
        if refusal:
            raise ValueError(refusal)

    # --- import: all or nothing, the same checks as the form ---
    def validate_import(self, rows):
        return services.validate_import(rows, current_user_obj())

    def import_rows(self, rows):
        return services.import_rows(rows, current_user_obj())


def register(appbuilder):
    from app.rental import menu

    menu(appbuilder, RentalPropertyView(), "Property registry", _l("Property registry"), "fa-building")

