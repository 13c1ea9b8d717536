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
    # FAB action permissions carry no can_ prefix
    "resetmypassword": _l("change own password"), "resetpasswords": _l("reset passwords"),
    "userinfoedit": _l("edit own information"), "copyrole": _l("copy role"),
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
    return str(label) if label is not None else name


def view_label(name):
    label = VIEW_LABELS.get(name)
    return str(label) if label is not None else name


def role_display(name):
    from app.security.roles import role_label

    return str(role_label(name))


def install():
    """Give FAB's security models Chinese display names."""
    from flask_appbuilder.security.sqla import models as m

    m.Permission.__repr__ = lambda self: permission_label(self.name)
    m.ViewMenu.__repr__ = lambda self: view_label(self.name)
    m.PermissionView.__repr__ = lambda self: gettext(
        "%(permission)s on %(view)s", permission=permission_label(self.permission.name),
        view=view_label(self.view_menu.name))
    m.Role.__repr__ = lambda self: role_display(self.name)
