"""System screens: home, regions, organisations, organisation users, dictionaries,
parameters and the audit log. Thin: rules live in services.py and app/core."""
from flask import flash, g, redirect
from flask_appbuilder import IndexView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo

from app.core import audit
from app.core.audit import readable
from app.core.validators import CreditCodeValidator, MobileValidator
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.security.models import AnjuUser
from app.security.roles import grantable_roles, role_label
from app.system import dicts, schemas, services
from app.system.models import DictItem, Organization, Parameter, Region
from app.system.params import PARAMS, parse_value


class HomeView(IndexView):
    """首页: a greeting, the user's 待办 and 快捷入口 (both from app/core/worklist.py, filled by
    each module's providers); the public entrances for a visitor who has not signed in."""

    index_template = "anju/index.html"

    @expose("/")
    def index(self):
        from app.core import worklist
        from app.core.scope import current_user_obj
        from app.system import dashboard

        user = current_user_obj()
        home = None
        if user is not None:
            home = {
                # The user's own name: shown in full (masking protects others from the viewer).
                "name": user.first_name or user.username,
                "roles": "、".join(str(role_label(r.name)) for r in user.roles),
                "org": user.org.name if getattr(user, "org", None) else "",
                "cards": worklist.cards_for(user),
                "todos": worklist.todos_for(user),
                "shortcuts": worklist.shortcuts_for(user),
                "charts": dashboard.home_charts(user),
                "charts_export": self.appbuilder.sm.has_access("can_export", "DashboardView"),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder, home=home)


def _region_name(region):
    return region.full_name if region is not None else ""


class RegionView(AnjuModelView):
    datamodel = ScopedInterface(Region)
    list_title = _l("Regions")
    show_title = _l("Region details")
    add_title = _l("Add region")
    edit_title = _l("Edit region")
    label_columns = {"code": _l("Region code"), "name": _l("Region name"), "level": _l("Level"),
                     "parent": _l("Parent region"), "parent_code": _l("Parent code")}
    list_columns = ["code", "name", "level", "parent"]
    search_columns = ["code", "name", "level"]
    add_columns = edit_columns = ["code", "name", "level", "parent"]
    show_columns = ["code", "name", "level", "parent"]
    base_order = ("code", "asc")
    formatters_columns = {"level": lambda v: {
        "city": _("City"), "district": _("District / county"), "street": _("Street / town"),
        "community": _("Community")}.get(v, v)}


class OrganizationView(AnjuModelView):
    datamodel = ScopedInterface(Organization)
    list_title = _l("Organizations")
    show_title = _l("Organization details")
    add_title = _l("Add organization")
    edit_title = _l("Edit organization")
    xlsx_title = _l("Organizations")
    xlsx_columns = schemas.ORGANIZATION_COLUMNS
    import_unique = [("credit_code",)]
    label_columns = {
        "name": _l("Organization name"), "org_type": _l("Organization type"),
        "enterprise_type": _l("Enterprise type"), "credit_code": _l("Unified social credit code"),
        "region": _l("Region"), "region_code": _l("Region code"), "parent": _l("Parent organization"),
        "legal_rep": _l("Legal representative"), "contact_name": _l("Contact person"),
        "contact_mobile": _l("Contact mobile"), "address": _l("Address"), "active": _l("Active"),
        "created_on": _l("Created on"), "changed_on": _l("Changed on"), "path": _l("Path"),
    }
    list_columns = ["name", "org_type", "enterprise_type", "credit_code", "region", "parent",
                    "contact_mobile", "active"]
    search_columns = ["name", "org_type", "enterprise_type", "credit_code", "region_code", "active"]
    show_columns = ["name", "org_type", "enterprise_type", "credit_code", "region", "parent",
                    "legal_rep", "contact_name", "contact_mobile", "address", "active",
                    "created_on", "changed_on"]
    add_columns = edit_columns = ["name", "org_type", "enterprise_type", "credit_code", "region",
                                  "parent", "legal_rep", "contact_name", "contact_mobile", "address",
                                  "active"]
    mask_columns = {"contact_mobile": "mobile", "legal_rep": "name", "contact_name": "name"}
    validators_columns = {"credit_code": [CreditCodeValidator()], "contact_mobile": [MobileValidator()]}
    formatters_columns = {
        "org_type": dicts.formatter("org_type"),
        "enterprise_type": dicts.formatter("enterprise_type"),
        "region": _region_name,
    }
    base_order = ("id", "asc")

    def export_columns(self):
        from app.core.xlsx import XColumn

        return [XColumn("name", _l("Organization name")),
                XColumn("org_type", _l("Organization type"), kind="choice", choices=dicts.choices("org_type")),
                *self.xlsx_columns[1:]]

    def pre_add(self, item):
        super().pre_add(item)
        services.clean_organization(item, g.user)

    def post_add(self, item):
        services.finish_paths([item])
        db.session.commit()

    def pre_update(self, item):
        services.clean_organization(item, g.user)

    def validate_import(self, rows):
        from app.core.scope import user_scope

        scope = user_scope(g.user)
        prefix = scope.region_prefix if scope.level in ("region",) else None
        return services.validate_org_import(rows, prefix)

    def import_rows(self, rows):
        return services.import_organizations(rows)


class FilterLocked(BaseFilter):
    """锁定中: accounts whose lockout has not ended (the home page's 待办 links here)."""

    name = _l("Is")
    arg_name = "locked"

    def apply(self, query, value):
        from app.core.mixins import now

        if value == "y":
            return query.filter(AnjuUser.locked_until > now())
        if value == "n":
            return query.filter((AnjuUser.locked_until.is_(None)) | (AnjuUser.locked_until <= now()))
        return query


class OrgUserView(AnjuModelView):
    """Accounts of the organisations the user manages (an enterprise's sub-accounts)."""

    route_base = "/orgusers"
    datamodel = ScopedInterface(AnjuUser)
    list_title = _l("Organization users")
    show_title = _l("Account details")
    add_title = _l("Add account")
    edit_title = _l("Edit account")
    label_columns = {
        "username": _l("Account"), "first_name": _l("Full name"), "mobile": _l("Mobile"),
        "org": _l("Organization"), "roles": _l("Roles"), "active": _l("Active"),
        "locked_until": _l("Locked until"), "last_login": _l("Last login"),
        "password": _l("Initial password"), "conf_password": _l("Confirm password"),
        "must_change_password": _l("Must change password"), "created_on": _l("Created on"),
    }
    list_columns = ["username", "first_name", "mobile", "org", "roles", "active", "locked_until", "last_login"]
    search_columns = ["username", "first_name", "mobile", "org", "active", "locked_until"]
    search_filters = {"locked_until": [FilterLocked]}
    search_form_extra_fields = {"locked_until": SelectField(_l("Locked now"), choices=[
        ("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))])}
    show_columns = ["username", "first_name", "mobile", "org", "roles", "active", "locked_until",
                    "must_change_password", "last_login", "created_on"]
    add_columns = ["username", "first_name", "mobile", "org", "roles", "password", "conf_password"]
    edit_columns = ["first_name", "mobile", "org", "roles", "active"]
    mask_columns = {"mobile": "mobile"}
    validators_columns = {"mobile": [MobileValidator()]}
    formatters_columns = {"roles": lambda roles: "、".join(str(role_label(r.name)) for r in roles or [])}
    base_order = ("id", "asc")
    add_form_extra_fields = {
        "password": PasswordField(_l("Initial password"), validators=[DataRequired()],
                                  widget=BS3PasswordFieldWidget(),
                                  description=_l("8-20 characters with at least three of: upper case, lower case, digits, symbols; the user changes it at first login")),
        "conf_password": PasswordField(_l("Confirm password"),
                                       validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match"))],
                                       widget=BS3PasswordFieldWidget()),
    }

    @staticmethod
    def _grantable_filter(query):
        from flask_appbuilder.security.sqla.models import Role

        names = grantable_roles([r.name for r in g.user.roles])
        return query.filter(Role.name.in_(names or ["-"]))

    def __init__(self, **kwargs):
        self.add_form_query_rel_fields = {"roles": [["name", _RoleGrantFilter, None]]}
        self.edit_form_query_rel_fields = self.add_form_query_rel_fields
        super().__init__(**kwargs)

    @staticmethod
    def _refused(check, *args):
        """Run a check; on refusal undo the form's changes to the row before FAB shows the message."""
        try:
            check(*args)
        except Exception:
            db.session.rollback()
            raise

    def _check(self, item):
        self._refused(services.check_account, item, g.user)

    def pre_add(self, item):
        self._check(item)
        from flask import request

        services.prepare_new_account(item, request.form.get("password", ""))

    def pre_update(self, item):
        self._check(item)

    def pre_delete(self, item):
        self._refused(services.check_account_delete, item, g.user)

    def _bulk(self, items, service, done):
        """Run an account service on the selected rows, all or nothing; flash its refusal or
        ``done`` (a message taking n)."""
        items = items if isinstance(items, list) else [items]
        try:
            service(items, g.user)
        except services.DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(done(len(items)), "success")
        return redirect(self.get_redirect())

    @action("unlock", _l("Unlock"), _l("Unlock the selected accounts?"), "fa-unlock")
    def unlock(self, items):
        return self._bulk(items, services.unlock_accounts, lambda n: _("%(n)s accounts unlocked.", n=n))

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected accounts?"), "fa-ban")
    def deactivate(self, items):
        return self._bulk(items, services.deactivate_accounts,
                          lambda n: _("%(n)s accounts deactivated.", n=n))





class _RoleGrantFilter(BaseFilter):
    """Related-field filter: only the roles the acting user may grant."""

    name = "grantable"

    def apply(self, query, value):
        return OrgUserView._grantable_filter(query)


class DictItemView(AnjuModelView):
    datamodel = ScopedInterface(DictItem)
    list_title = _l("Dictionaries")
    show_title = _l("Dictionary entry")
    add_title = _l("Add dictionary entry")
    edit_title = _l("Edit dictionary entry")
    xlsx_title = _l("Dictionaries")
    xlsx_columns = schemas.DICT_ITEM_COLUMNS
    import_unique = [("dict_type", "code")]
    label_columns = {"type": _l("Dictionary"), "dict_type": _l("Dictionary"), "code": _l("Code"),
                     "label": _l("Label (Chinese)"), "label_en": _l("Label (English)"),
                     "sort": _l("Sort order"), "active": _l("Active")}
    list_columns = ["type", "code", "label", "label_en", "sort", "active"]
    search_columns = ["type", "code", "label", "active"]
    add_columns = edit_columns = show_columns = ["type", "code", "label", "label_en", "sort", "active"]
    base_order = ("dict_type", "asc")

    def validate_import(self, rows):
        return services.validate_dict_import(rows)

    def import_rows(self, rows):
        return services.import_dict_items(rows)


def _param_group(code):
    from app.system.params import group_label

    return group_label(code)


def _param_key(key):
    """The parameter's Chinese label, its key small beside it."""
    from markupsafe import Markup, escape

    spec = PARAMS.get(key)
    if spec is None:
        return key
    return Markup('{} <small class="text-muted anju-code">{}</small>').format(escape(str(spec.label)), key)


def _param_value(value):
    text = str(value if value is not None else "").strip().lower()
    if text in ("true", "false"):
        return _("Yes") if text == "true" else _("No")
    return value if value is not None else ""


PARAM_TYPES = {"int": _l("Whole number"), "bool": _l("Yes or no"), "str": _l("Text"), "decimal": _l("Decimal number")}


def _param_type(code):
    label = PARAM_TYPES.get(code)
    return str(label) if label is not None else (code or "")


class ParameterView(AnjuModelView):
    datamodel = ScopedInterface(Parameter)
    base_permissions = ["can_list", "can_show", "can_edit", "can_export"]
    list_title = _l("System parameters")
    show_title = _l("Parameter")
    edit_title = _l("Edit parameter")
    label_columns = {"key": _l("Parameter"), "value": _l("Value"), "value_type": _l("Type"),
                     "group": _l("Group"), "description": _l("Description"), "changed_on": _l("Changed on")}
    list_columns = ["group", "key", "value", "changed_on"]
    search_columns = ["group", "key", "value"]
    show_columns = ["group", "key", "description", "value", "value_type", "changed_on"]
    edit_columns = ["value"]
    base_order = ("key", "asc")
    formatters_columns = {"description": lambda v: v, "group": lambda v: _param_group(v),
                          "key": lambda v: _param_key(v), "value": lambda v: _param_value(v),
                          "value_type": lambda v: _param_type(v)}

    def prefill_form(self, form, pk):
        """A yes/no parameter is edited as 是/否, as the screen shows it (either is accepted)."""
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        spec = PARAMS.get(getattr(item, "key", None))
        if spec is not None and spec.type == "bool" and "value" in form:
            form["value"].data = _param_value(form["value"].data)

    def pre_update(self, item):
        spec = PARAMS.get(item.key)
        if spec is None:
            raise services.DomainError(_("Unknown parameter"))
        value = parse_value(spec, item.value)
        from app.system.params import format_value

        item.value = format_value(spec, value)


class AuditLogView(AnjuModelView):
    from app.core.audit import AuditLog

    datamodel = ScopedInterface(AuditLog)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = _l("Audit log")
    show_title = _l("Audit entry")
    label_columns = {"ts": _l("Time"), "username": _l("User"), "user_id": _l("User ID"), "ip": _l("IP address"),
                     "action": _l("Operation"), "entity": _l("Object"), "entity_id": _l("Object ID"),
                     "summary": _l("Summary"), "summary_text": _l("Summary"), "before": _l("Before"), "after": _l("After"),
                     "hash": _l("Hash"), "prev_hash": _l("Previous hash")}
    list_columns = ["ts", "username", "ip", "action", "entity", "entity_id", "summary_text"]
    # The export reads plain columns (app/core/lists/export_plan.py): the summary in words from its own columns.
    export_computed = {"summary_text": (("summary", "entity"), readable)}
    search_columns = ["ts", "username", "action", "entity", "entity_id", "summary", "ip"]
    # before/after are shown as the labelled, masked table of the show template.
    show_columns = ["ts", "username", "user_id", "ip", "action", "entity", "entity_id", "summary_text",
                    "prev_hash", "hash"]
    show_template = "anju/audit_show.html"
    base_order = ("id", "desc")
    page_size = 50
    formatters_columns = {"action": lambda v: str(ACTION_LABELS.get(v, v)),
                          "entity": lambda v: audit.entity_name(v),
                          "entity_id": lambda v: _job_name(v),
                          "summary": lambda v: audit.readable(v)}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        from app.core.views import can_view_full_pii

        g.audit_changes = audit.change_rows(item.entity, item.before, item.after, can_view_full_pii())
        return super()._get_show_widget(pk, item, widgets=widgets, actions=actions,
                                        show_fieldsets=show_fieldsets)


def _job_name(value):
    """A job's key (complaints.auto_close) as its name; other object IDs as they are."""
    from app.core.jobs import registered

    spec = registered().get(value) if value else None
    return str(spec.label) if spec is not None else (value or "")


ACTION_LABELS = {
    "create": _l("Create"), "update": _l("Update"), "delete": _l("Delete"), "login": _l("Login"),
    "login_failed": _l("Failed login"), "logout": _l("Logout"), "locked": _l("Account locked"),
    "unlocked": _l("Account unlocked"), "export": _l("Export"), "import": _l("Import"),
    "view_pii": _l("Full personal data viewed"), "password_change": _l("Password change"),
    "download": _l("Download"), "helpdesk_lookup": _l("Helpdesk lookup"),
    "helpdesk_resend": _l("Verification SMS resent"), "api_call": _l("Platform API call"),
}


def register(appbuilder):
    """Menus and views of the system module."""
    appbuilder.add_view(OrganizationView, "Organizations", label=_l("Organizations"),
                        icon="fa-sitemap", category="System", category_label=_l("System"),
                        category_icon="fa-cog")
    appbuilder.add_view(OrgUserView, "Organization users", label=_l("Organization users"),
                        icon="fa-users", category="System")
    appbuilder.add_view(RegionView, "Regions", label=_l("Regions"), icon="fa-map", category="System")
    appbuilder.add_view(DictItemView, "Dictionaries", label=_l("Dictionaries"), icon="fa-book",
                        category="System")
    appbuilder.add_view(ParameterView, "Parameters", label=_l("System parameters"), icon="fa-sliders",
                        category="System")
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Audit log"), icon="fa-history",
                        category="System")
    services.register_worklist()
    from app.system import dashboard; dashboard.register(appbuilder)  # noqa: E702  (数据看板, charts, stats job)
