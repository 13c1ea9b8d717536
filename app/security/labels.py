"""Chinese names for FAB's permission and view identifiers.

FAB shows permissions as 'can list on OrganizationView' on the role and permission
screens; these maps give every identifier a translatable label, installed as the
display form (``__repr__``) of FAB's Permission, ViewMenu and PermissionView models.
Unknown identifiers fall back to the raw name.
"""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

PERMISSION_LABELS = {
    "can_list": _l("view list"), "can_show": _l("view details"), "can_add": _l("add"),
    "can_edit": _l("edit"), "can_delete": _l("delete"), "can_export": _l("export to Excel"),
    "can_import": _l("import from Excel"), "can_template": _l("download import template"),
    "can_download": _l("download"), "can_action": _l("bulk actions"), "menu_access": _l("menu access"),
    "can_get": _l("API read"), "can_info": _l("API metadata"), "can_post": _l("API create"),
    "can_put": _l("API update"), "can_this_form_get": _l("open form"),
    "can_this_form_post": _l("submit form"), "can_userinfo": _l("own information"),
    "can_resetmypassword": _l("change own password"), "can_resetpasswords": _l("reset passwords"),
    "can_userinfoedit": _l("edit own information"), "can_view_full_pii": _l("view full personal data"),
    "can_chart": _l("chart"), "can_import_": _l("import from Excel"), "can_import_errors": _l("download import errors"),
    "can_invalidate": _l("invalidate"), "can_read": _l("read"), "can_write": _l("write"),
    "can_file": _l("file"), "can_change_lead": _l("change project lead"), "can_resign": _l("record leaving"),
    "can_qr": _l("print scan-to-submit code"), "can_transition": _l("API state change"),
    "can_decide": _l("decide"), "can_act": _l("handle"),
    # credit (issue 13)
    "can_propose": _l("apply or propose"), "can_resubmit": _l("change and resubmit"), "can_revoke": _l("revoke"),
    "can_object": _l("raise an objection"), "can_cancel": _l("cancel a listing"),
    "can_apply": _l("apply for credit repair"), "can_repair": _l("credit repair by API"),
    # FAB action permissions carry no can_ prefix
    "resetmypassword": _l("change own password"), "resetpasswords": _l("reset passwords"),
    "userinfoedit": _l("edit own information"), "copyrole": _l("copy role"),
    "can_pause": _l("Pause"), "can_resume": _l("Resume"), "can_run": _l("Run now"),
    "can_resend": _l("Resend verification SMS"), "can_unlock": _l("Unlock"), "can_lookup": _l("Look up"),
    "can_submit": _l("Submit"), "can_mine": _l("My requests"),
    # rental (issue 14)
    "can_verify": _l("verify listings"), "can_handle": _l("handle online signing"),
    "can_backfill": _l("back-fill offline contracts"), "can_certificate": _l("filing certificate"),
    "can_evaluate": _l("evaluate transactions"), "can_review": _l("review"),
    "can_leave": _l("record a practitioner leaving"),
    # allocation (issue 15)
    "can_publish": _l("publish"), "can_withdraw": _l("withdraw"), "can_publicity": _l("start the publicity"),
    "can_freeze": _l("freeze the lottery pool"), "can_draw": _l("draw the lottery"),
    "can_results": _l("publish the results"), "can_rules": _l("edit eligibility rules"),
    "can_projects": _l("edit projects and unit types"), "can_appeal": _l("human review of a refusal"),
    "can_register": _l("register for allocation"), "can_records": _l("allocation records"),
    # property: 诚信登记 (issue 16)
    "can_objections": _l("read objections"),
}

VIEW_LABELS = {
    "OrganizationView": _l("Organizations"), "OrgUserView": _l("Organization users"),
    "RegionView": _l("Regions"), "DictItemView": _l("Dictionaries"), "ParameterView": _l("System parameters"),
    "AuditLogView": _l("Audit log"), "OrganizationApi": _l("Organizations API"),
    "OrgUserApi": _l("Organization users API"), "RegionApi": _l("Regions API"),
    "DictItemApi": _l("Dictionaries API"), "AuditLogApi": _l("Audit log API"),
    "AnjuUserDBModelView": _l("Users"), "RoleModelView": _l("Roles"), "AnjuRoleModelView": _l("Roles"),
    "UserGroupModelView": _l("User groups"), "AnjuGroupModelView": _l("User groups"),
    "PermissionModelView": _l("Base permissions"), "AnjuPermissionModelView": _l("Base permissions"),
    "ViewMenuModelView": _l("Views and menus"), "AnjuViewMenuModelView": _l("Views and menus"),
    "PermissionViewModelView": _l("Permissions on views"), "AnjuPermissionViewModelView": _l("Permissions on views"),
    "UserStatsChartView": _l("User statistics"), "ResetMyPasswordView": _l("Change password"),
    "AnjuResetMyPasswordView": _l("Change password"), "ResetPasswordView": _l("Reset password"),
    "AnjuResetPasswordView": _l("Reset password"), "UserInfoEditView": _l("Edit my information"),
    "AnjuUserInfoEditView": _l("Edit my information"), "OpenApi": _l("OpenAPI document"),
    "SwaggerView": _l("API documentation"), "MenuApi": _l("Menu API"), "SecurityApi": _l("Login API"),
    "PersonalData": _l("Personal data"), "ApiKeyModelView": _l("API keys"),
    "StaffView": _l("Staff"), "CertificateView": _l("Certificate"), "LeadAssignmentView": _l("Project lead changes"),
    "EquipmentView": _l("Facilities and equipment"), "CarePlanView": _l("Care plans"),
    "InspectionRecordView": _l("Inspection records"), "MaintenanceRecordView": _l("Maintenance records"),
    "CareDueView": _l("Care due this week"), "EnterpriseFilingView": _l("Enterprise information filing"),
    "EnterpriseDetailView": _l("Enterprise details"), "EnterpriseHonorView": _l("Awards and penalties"),
    "PropertyAreaView": _l("Property management areas"),
    "DashboardView": _l("Dashboard"), "Dashboard": _l("Dashboard"),
    "ServiceContractFilingView": _l("Service contract filing"), "AcceptanceFilingView": _l("Acceptance inspection filing"),
    "ServiceContractFilingApi": _l("Service contract filing API"),
    "AcceptanceFilingApi": _l("Acceptance inspection filing API"),
    # property owners part (issue 16): houses and owners committees
    "HouseImportView": _l("House information supplement"), "HouseView": _l("House information"),
    "Houses": _l("House information"), "House information supplement": _l("House information supplement"),
    "CommitteeFilingView": _l("Owners committee filing"), "Owners committee filing": _l("Owners committee filing"),
    "HouseImportApi": _l("House information supplement API"), "HouseApi": _l("House information API"),
    "CommitteeFilingApi": _l("Owners committee filing API"),
    # property filings (issue 16): areas
    "AreaFilingView": _l("Property area filing"), "AreaQueryView": _l("Property management area comprehensive query"),
    "AreaFilingApi": _l("Property area filing API"), "AreaQueryApi": _l("Area comprehensive query API"),
    "AreaPublicView": _l("Area public page"), "Area filing": _l("Property area filing"),
    "Area comprehensive query": _l("Property management area comprehensive query"),
    "Property filings": _l("Property filing business"), "Comprehensive query": _l("Comprehensive query"),
    # rental (issue 14): public pages and APIs not named after a menu page
    "ListingPublicView": _l("Listing code check (public)"), "RentalServicesView": _l("Housing rental services"),
    "ContractCheckView": _l("Contract verification"), "RentalRightsView": _l("Rights protection (public)"),
    "ContractFilingApi": _l("Contract filing API"), "PremisesApi": _l("Business premises API"),
    "RentalPublicApi": _l("Rental public services API"), "CreditPublicView": _l("Credit disclosure (public)"),
    "HomeView": _l("Home page"), "UtilView": _l("Back"), "LocaleView": _l("Switch language"),
    "AnjuSecurityApi": _l("Login API"), "RegistrationView": _l("Account registration"),
    "MyAccountView": _l("My account"), "My account": _l("My account"),
    "ComplaintPublicView": _l("Public request pages"),
    "OrganizationApplicationApi": _l("Organization registration API"), "RealnameApi": _l("Real-name verification API"),
    # allocation (issue 15)
    "AllocationPlanView": _l("Allocation plans"), "AllocationRegistrationView": _l("Allocation registrations"),
    "AllocationObjectionView": _l("Eligibility objections"), "MyAllocationView": _l("My allocation records"),
    "AllocationPlanApi": _l("Allocation plans API"), "AllocationRegistrationApi": _l("Allocation registrations API"),
    "AllocationApplicantApi": _l("Allocation applicant API"), "Allocation": _l("Housing allocation"),
    "Allocation plans": _l("Allocation plans"), "Allocation registrations": _l("Allocation registrations"),
    "Eligibility objections": _l("Eligibility objections"), "My allocation records": _l("My allocation records"),
    # property services (issue 16): 报修, 满意度调查, 检查考评
    "RepairView": _l("Repairs"), "SurveyView": _l("Satisfaction surveys"),
    "EvaluationView": _l("Inspections and evaluations"), "RepairApi": _l("Repairs API"),
    "SurveyApi": _l("Satisfaction surveys API"), "EvaluationApi": _l("Inspections and evaluations API"),
    "RepairPublicView": _l("Repair report (public)"), "SurveyPublicView": _l("Satisfaction survey (public)"),
    # property: 诚信登记 and 小区动态 (issue 16)
    "GoodBehaviourView": _l("Good behaviour declaration"), "HonourPublicView": _l("Good behaviour publicity (public)"),
    "AreaNewsView": _l("Community news management"), "NewsPublicView": _l("Community news (public)"),
    "Good behaviour declaration": _l("Good behaviour declaration"),
    "Community news management": _l("Community news management"),
    # menu names
    "System": _l("System"), "Security": _l("Security"), "Organizations": _l("Organizations"),
    "Organization users": _l("Organization users"), "Regions": _l("Regions"),
    "Dictionaries": _l("Dictionaries"), "Parameters": _l("System parameters"), "Audit log": _l("Audit log"),
    "List Users": _l("List Users"), "List Roles": _l("List Roles"), "List Groups": _l("List Groups"),
    "User's Statistics": _l("User's Statistics"), "Base Permissions": _l("Base Permissions"),
    "Views/Menus": _l("Views/Menus"), "Permission on Views/Menus": _l("Permission on Views/Menus"),
}


def permission_label(name):
    label = PERMISSION_LABELS.get(name)
    if label is None:
        label = action_labels().get(name)
    return str(label) if label is not None else name


def _registered_labels():
    """{view or menu name: label} from what the app registered: each menu entry's label (by
    the entry's name and by its view's permission name), else a view's own declared title.
    Built once per app; every module's view gets a Chinese name without being listed here."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return {}
    ext = current_app.extensions.setdefault("anju_view_labels", {})
    if ext:
        return ext
    appbuilder = getattr(current_app, "appbuilder", None)
    if appbuilder is None:
        return {}

    def walk(items):
        for item in items:
            if item.label:
                ext.setdefault(item.name, item.label)
                view = item.baseview
                if view is not None:
                    ext.setdefault(getattr(view, "class_permission_name", None) or type(view).__name__, item.label)
            walk(item.childs or [])

    walk(appbuilder.menu.get_list())
    for view in appbuilder.baseviews:
        name = getattr(view, "class_permission_name", None) or type(view).__name__
        for attr in ("list_title", "form_title", "title"):
            title = getattr(type(view), attr, None)
            # Only a declared (translatable) title; FAB's own default is "List <Class>".
            if title and not isinstance(title, str):
                ext.setdefault(name, title)
                break
    return ext


def view_label(name):
    label = VIEW_LABELS.get(name)
    if label is None:
        label = _registered_labels().get(name)
    if label is None and name.endswith("Api") and len(name) > 3:
        # A module's REST API is named after its page: ComplaintApi beside ComplaintView.
        page = view_label(name[:-3] + "View")
        if page != name[:-3] + "View":
            return gettext("%(name)s API", name=page)
    return str(label) if label is not None else name


def action_labels():
    """{action name: label} of every bulk action the app registered (FAB names an action's
    permission after the action, without a can_ prefix)."""
    from flask import current_app, has_app_context

    if not has_app_context() or getattr(current_app, "appbuilder", None) is None:
        return {}
    out = {}
    for view in current_app.appbuilder.baseviews:
        for name, act in (getattr(view, "actions", None) or {}).items():
            out.setdefault(name, act.text)
    return out


def role_display(name):
    from app.security.roles import role_label

    return str(role_label(name))


def install():
    """Give FAB's security models Chinese display names."""
    from flask_appbuilder.security.sqla import models as m

    m.Permission.__repr__ = lambda self: permission_label(self.name)
    m.ViewMenu.__repr__ = lambda self: view_label(self.name)
    m.PermissionView.__repr__ = lambda self: gettext(
        "%(permission)s · %(view)s", permission=permission_label(self.permission.name),
        view=view_label(self.view_menu.name))
    m.Role.__repr__ = lambda self: role_display(self.name)
    _blank_choice_in_chinese()


def _blank_choice_in_chinese():
    """FAB's related-record selects offer an empty first choice whose text WTForms renders as
    its value, "__None": show 请选择 instead (in the viewer's language, at render time)."""
    from flask_appbuilder.fields import QuerySelectField

    original = QuerySelectField.iter_choices
    if getattr(original, "anju_blank_text", False):
        return

    def iter_choices(self):
        for choice in original(self):
            if choice[0] == "__None" and not choice[1]:
                choice = (choice[0], gettext("Please choose"), *choice[2:])
            yield choice

    iter_choices.anju_blank_text = True
    QuerySelectField.iter_choices = iter_choices
