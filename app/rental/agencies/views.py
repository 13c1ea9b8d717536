"""场所分布, 从业主体管理 and 租赁统计 (seed 001 政务端), thin over app/rental/agencies/services.py
and stats.py:

* ``AgencyPremisesView`` (/rental/premises): an enterprise keeps its premises; government
  lists them in its region; export.
* ``PremisesDistributionView`` (/rental/premises-distribution): premises open for business by
  district and by enterprise type, charts (ECharts) and tables, export.
* ``PractitionerView`` (/rental/practitioners): an enterprise keeps its practitioners (bound to
  their login accounts by ID number), marks 离职, imports them from Excel; government lists
  them masked, with filters and export.
* ``RentalStatsView`` (/rental/stats): verifications, signings, filings and overdue filings by
  district and by month.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from app.core import audit, xlsx
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.rental.agencies import services, stats
from app.rental.agencies.models import AgencyPremises, Practitioner
from app.rental.filing.views import FilterDistrict, FilterOrgName
from app.rental.labels import PRACTITIONER_STATUS_LABELS, PREMISES_STATUS_LABELS

audit.describe("RentalStats", _l("Rental statistics"))
audit.describe("PremisesDistribution", _l("Premises distribution"))


def _label(mapping):
    return lambda code: str(mapping.get(code, code or ""))


def _choices(mapping):
    return [("", _l("All"))] + list(mapping.items())


def _district_choices():
    return [("", _l("All"))] + services.district_options()


def _all_districts():
    return [("", "")] + services.all_districts()


def _streets():
    names = dict(services.all_districts())
    return [("", "")] + [(code, f"{names.get(code[:6], '')} {name}") for code, name in services.street_options()]


def _region(code):
    return services.region_name(code)


def _day(value):
    return value.strftime("%Y-%m-%d") if value else ""


def _user():
    return current_user_obj()


class _Owned:
    """FAB's add and edit forms run the services' rules (pre_add / pre_update raise a
    DomainError with the Chinese message, which FAB flashes)."""

    def pre_delete(self, item):
        problem = self._delete_problem(item)
        if problem:
            raise DomainError(problem)

    def _delete_problem(self, item):
        return None


# --- 场所 -------------------------------------------------------------------------------------

class AgencyPremisesView(_Owned, AnjuModelView):
    datamodel = ScopedInterface(AgencyPremises)
    route_base = "/rental/premises"
    list_title = _l("Business premises")
    show_title = _l("Business premises")
    add_title = _l("Add business premises")
    edit_title = _l("Edit business premises")
    label_columns = {
        "name": _l("Premises name"), "address": _l("Address"), "region_code": _l("District"),
        "street_code": _l("Street"), "phone": _l("Telephone"), "floor_area": _l("Floor area (m²)"),
        "status": _l("Status"), "org": _l("Enterprise"), "org_id": _l("Enterprise"), "created_on": _l("Created at"),
    }
    list_columns = ["name", "org", "region_code", "street_code", "address", "phone", "floor_area", "status"]
    show_columns = ["name", "org", "region_code", "street_code", "address", "phone", "floor_area", "status",
                    "created_on"]
    add_columns = edit_columns = ["name", "address", "region_code", "street_code", "phone", "floor_area", "status"]
    search_columns = ["name", "region_code", "org_id", "status"]
    search_filters = {"region_code": [FilterDistrict], "org_id": [FilterOrgName], "status": [FilterEqual]}
    search_form_extra_fields = {
        "region_code": SelectField(_l("District"), choices=_district_choices),
        "org_id": StringField(_l("Enterprise")),
        "status": SelectField(_l("Status"), choices=_choices(PREMISES_STATUS_LABELS)),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "region_code": SelectField(_l("District"), choices=_all_districts),
        "street_code": SelectField(_l("Street"), choices=_streets, validators=[Optional()]),
        "status": SelectField(_l("Status"), choices=list(PREMISES_STATUS_LABELS.items())),
    }
    formatters_columns = {"region_code": _region, "street_code": _region, "status": _label(PREMISES_STATUS_LABELS)}
    order_columns = ["name", "region_code"]
    base_order = ("id", "desc")

    def pre_add(self, item):
        services.prepare_premises(_user(), item, True)

    def pre_update(self, item):
        services.prepare_premises(_user(), item, False)

    def _delete_problem(self, item):
        return services.premises_delete_problem(_user(), item)

    def export_value(self, row, column):
        if column.key == "org":
            return row.org.name if row.org is not None else ""
        if column.key in ("region_code", "street_code", "status"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)


class PremisesDistributionView(BaseView):
    """场所分布: premises open for business by district and by enterprise type."""

    route_base = "/rental/premises-distribution"
    default_view = "index"
    base_permissions = ["can_show", "can_export"]
    method_permission_name = {"index": "show", "export": "export"}

    def _district(self):
        district = (request.args.get("district") or "").strip() or None
        if district is not None and district not in dict(services.district_options()):
            flash(_("The chosen district is not within your data scope; all districts are counted."), "warning")
            district = None
        return district

    @expose("/")
    @has_access
    def index(self):
        district = self._district()
        tables = stats.premises_tables(_user(), district)
        return self.render_template(
            "anju/rental/agencies/stats.html", title=_("Premises distribution"), tables=list(tables.values()),
            filters=None, district=district, districts=services.district_options(), cell=_cell,
            export_endpoint="PremisesDistributionView.export", export_args={"district": district} if district else {},
            form_endpoint="PremisesDistributionView.index", list_url=url_for("AgencyPremisesView.list"))

    @expose("/export/<table>")
    @has_access
    def export(self, table):
        tables = stats.premises_tables(_user(), self._district())
        if table not in tables:
            abort(404)
        data, count = stats.workbook(tables[table])
        audit.record(AuditAction.EXPORT, "PremisesDistribution", entity_id=table,
                     summary=_("%(n)s rows exported", n=count), commit=True)
        return xlsx.bytes_response(f"{_('Premises distribution')}-{tables[table].title}.xlsx", data)


# --- 从业主体 ----------------------------------------------------------------------------------

class PractitionerView(_Owned, AnjuModelView):
    datamodel = ScopedInterface(Practitioner)
    route_base = "/rental/practitioners"
    list_title = _l("Practitioners")
    show_title = _l("Practitioner")
    add_title = _l("Add practitioner")
    edit_title = _l("Edit practitioner")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_import",
                        "can_template", "can_leave"]
    method_permission_name = {"leave": "leave"}
    label_columns = {
        "name": _l("Full name"), "id_type": _l("ID type"), "id_number": _l("ID number"), "mobile": _l("Mobile"),
        "post": _l("Post"), "info_card_no": _l("Information card number"), "card_valid_until": _l("Card valid until"),
        "premises": _l("Business premises"), "status": _l("Status"), "user": _l("Login account"),
        "org": _l("Enterprise"), "org_id": _l("Enterprise"), "region_code": _l("District"),
        "account": _l("Login account"), "created_on": _l("Created at"),
    }
    list_columns = ["name", "id_number", "mobile", "post", "info_card_no", "card_valid_until", "org", "premises",
                    "status", "user"]
    show_columns = ["name", "id_type", "id_number", "mobile", "post", "info_card_no", "card_valid_until", "org",
                    "premises", "region_code", "status", "user", "created_on"]
    add_columns = edit_columns = ["name", "id_type", "id_number", "mobile", "post", "info_card_no",
                                  "card_valid_until", "premises", "account"]
    search_columns = ["name", "info_card_no", "post", "status", "region_code", "org_id", "id_number"]
    inline_search_columns = ["name", "info_card_no", "post", "status", "region_code"]
    search_filters = {"post": [FilterEqual], "status": [FilterEqual], "region_code": [FilterDistrict],
                      "org_id": [FilterOrgName]}
    search_form_extra_fields = {
        "post": SelectField(_l("Post"), choices=lambda: [("", _l("All"))] + _dict_items(services.POST_DICT)),
        "status": SelectField(_l("Status"), choices=_choices(PRACTITIONER_STATUS_LABELS)),
        "region_code": SelectField(_l("District"), choices=_district_choices),
        "org_id": StringField(_l("Enterprise")),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "id_type": SelectField(_l("ID type"), choices=lambda: _dict_items("id_type")),
        "post": SelectField(_l("Post"), choices=lambda: _dict_items(services.POST_DICT)),
        "account": StringField(_l("Login account"), validators=[Optional()],
                               description=_l("Optional: the login name of the practitioner's account; it is "
                                              "bound only if its ID number is the practitioner's. Left empty, "
                                              "the account with the same ID number is bound.")),
    }
    formatters_columns = {
        "post": lambda code: _dict_label(services.POST_DICT, code),
        "id_type": lambda code: _dict_label("id_type", code),
        "status": _label(PRACTITIONER_STATUS_LABELS), "card_valid_until": _day, "region_code": _region,
    }
    order_columns = ["name", "info_card_no", "card_valid_until"]
    base_order = ("id", "desc")
    xlsx_title = _l("Practitioners")

    @property
    def xlsx_columns(self):
        return services.import_columns()

    def supports_import(self):
        return True

    def pre_add(self, item):
        services.prepare_practitioner(_user(), item, True, request.form.get("account"))

    def pre_update(self, item):
        services.prepare_practitioner(_user(), item, False, request.form.get("account"))

    def _delete_problem(self, item):
        services._own_practitioner(_user(), item)
        if item.user_id:
            return _("The practitioner is bound to a login account; mark them as left instead.")
        return None

    def validate_import(self, rows):
        return services.validate_import(_user(), rows)

    def import_rows(self, rows):
        return services.import_rows(_user(), rows)

    def export_columns(self):
        return [xlsx.XColumn(key=c, label=self.label_columns.get(c, c), mask=self.mask_columns.get(c))
                for c in self.list_columns]

    def export_value(self, row, column):
        if column.key in ("org", "premises", "user"):
            value = getattr(row, column.key)
            return "" if value is None else (value.name if column.key != "user" else value.username)
        if column.key in ("post", "status", "card_valid_until"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)

    @action("leave", _l("Mark as left"), _l("Mark the selected practitioners as left?"), "fa-sign-out",
            multiple=False)
    def leave(self, item):
        try:
            services.leave(_user(), item)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=_("Mark as left")), "success")
        return redirect(url_for("PractitionerView.show", pk=item.id))


def _dict_items(dict_type):
    from app.system import dicts

    return dicts.items(dict_type)


def _dict_label(dict_type, code):
    from app.system import dicts

    return dicts.label(dict_type, code) if code else ""


# --- 租赁统计 ----------------------------------------------------------------------------------

def _cell(value):
    return "-" if value is None else value


class RentalStatsView(BaseView):
    """租赁统计: verifications, signings, filings and overdue filings by district and by month."""

    route_base = "/rental/stats"
    default_view = "index"
    base_permissions = ["can_show", "can_export"]
    method_permission_name = {"index": "show", "export": "export"}

    @expose("/")
    @has_access
    def index(self):
        user = _user()
        filters, problems = stats.parse_filters(request.args, user)
        for problem in problems:
            flash(problem, "warning")
        tables = stats.compute(filters, user)
        return self.render_template(
            "anju/rental/agencies/stats.html", title=_("Rental statistics"), tables=list(tables.values()),
            filters=filters, district=filters.district, districts=services.district_options(user), cell=_cell,
            export_endpoint="RentalStatsView.export", export_args=filters.args(), form_endpoint="RentalStatsView.index",
            list_url=None)

    @expose("/export/<table>")
    @has_access
    def export(self, table):
        if table not in stats.TABLES:
            abort(404)
        user = _user()
        filters, _problems = stats.parse_filters(request.args, user)
        result = stats.compute(filters, user, only={table})[table]
        data, count = stats.workbook(result)
        audit.record(AuditAction.EXPORT, "RentalStats", entity_id=table,
                     summary=f"{result.title}: " + _("%(n)s rows exported", n=count) + "; "
                     + "&".join(f"{k}={v}" for k, v in filters.args().items()), commit=True)
        name = f"{_('Rental statistics')}-{result.title}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
        return xlsx.bytes_response(name, data)


def register(appbuilder):
    from app.accounts import services as accounts
    from app.rental import menu

    menu(appbuilder, AgencyPremisesView(), "Business premises", _l("Business premises"), "fa-map-marker")
    menu(appbuilder, PremisesDistributionView(), "Premises distribution", _l("Premises distribution"),
         "fa-pie-chart")
    menu(appbuilder, PractitionerView(), "Practitioners", _l("Practitioners"), "fa-id-badge")
    menu(appbuilder, RentalStatsView(), "Rental statistics", _l("Rental statistics"), "fa-bar-chart")
    # A staff account opened or activated is bound to the practitioner with its ID number.
    if services.bind_person not in accounts.STAFF_ACCOUNT_HOOKS:
        accounts.STAFF_ACCOUNT_HOOKS.append(services.bind_person)
