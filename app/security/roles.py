"""The role catalogue (SPEC §1) as data: who may do what, and how far their data reaches.

Applied by `flask roles sync` and by the demo seed; tested as a matrix in
tests/security/test_role_matrix.py. Role names are stable codes; labels are shown.
"""
from flask_babel import lazy_gettext as _l

# Data scopes, narrowest last. A user with several roles gets the widest.
SCOPE_ALL = "all"          # the whole database
SCOPE_REGION = "region"    # rows whose region lies inside the user's organisation's region
SCOPE_ORG = "org"          # rows of the user's own organisation
SCOPE_OWN = "own"          # rows the user owns (created, or is)
SCOPE_AREA = "area"        # rows of the property areas the user leads (project lead), and own rows
SCOPE_NONE = "none"
SCOPE_ORDER = [SCOPE_NONE, SCOPE_OWN, SCOPE_AREA, SCOPE_ORG, SCOPE_REGION, SCOPE_ALL]

# Pseudo view whose permission lifts masking of personal data (each full view audited).
PII_VIEW = "PersonalData"
PII_PERMISSION = "can_view_full_pii"

READ = ("can_list", "can_show")
EXPORT = ("can_export",)
IMPORT = ("can_import", "can_template")
WRITE = ("can_add", "can_edit")
DELETE = ("can_delete",)
API_READ = ("can_get", "can_info")
API_WRITE = ("can_post", "can_put")
API_DELETE = ("can_delete",)


def perms(view, *groups):
    """[(permission, view), ...] for the permission groups given."""
    return [(p, view) for group in groups for p in group]


def menus(*names):
    return [("menu_access", name) for name in names]


# A person's own real-name state and verification request (REST).
REALNAME_API = [("can_get", "RealnameApi"), ("can_post", "RealnameApi")]

# Complaints (需求及建议): the list and detail, the REST resource, and statistics.
COMPLAINTS_READ = [
    *menus("Requests", "Request management"),
    *perms("ComplaintView", READ, EXPORT),
    *perms("ComplaintApi", API_READ),
]
COMPLAINTS_ACT = [("can_act", "ComplaintView"), ("can_transition", "ComplaintApi")]
COMPLAINT_STATS = [*menus("Requests", "Request statistics"), *perms("ComplaintStatsView", ("can_show", "can_export"))]
CREDIT_PROPOSALS = [*menus("Requests", "Credit deduction proposals"), *perms("CreditProposalView", READ, EXPORT)]
AREAS_READ = [*menus("Property", "Property management areas"), *perms("PropertyAreaView", READ, EXPORT)]
# No "+" (areas come from 物业区域备案, app/property/areas/filing.py): an audited correction only.
AREAS_WRITE = [*AREAS_READ, *perms("PropertyAreaView", ("can_edit",), DELETE)]
AREA_QR = [("can_qr", "PropertyAreaView")]
NOTICES = [*menus("My account", "Notices"), *perms("NoticeView", READ)]
# 数据看板 (app/system/dashboard.py): the page and its exports; which charts a role sees follows
# the permissions of each chart's data (app/core/charts.py).
DASHBOARD = [("menu_access", "Dashboard"), *perms("DashboardView", ("can_show", "can_export"))]

# Enterprise records (SPEC §7, seed 004): staff, certificates, project-lead changes, equipment,
# inspection and maintenance, enterprise filing and detail. Views of app/property.
_RECORD_MENUS = ("Staff", "Project lead changes", "Facilities and equipment", "Care plans",
                 "Inspection records", "Maintenance records", "Care due this week", "Enterprise details")
ENT_RECORDS_READ = [
    *menus("Property", *_RECORD_MENUS),
    *perms("StaffView", READ, EXPORT),
    *perms("CertificateView", READ),
    *perms("LeadAssignmentView", READ, EXPORT),
    *perms("EquipmentView", READ, EXPORT),
    *perms("CarePlanView", READ),
    *perms("InspectionRecordView", READ, EXPORT),
    *perms("MaintenanceRecordView", READ, EXPORT),
    ("can_list", "CareDueView"),
    *perms("EnterpriseDetailView", READ),
    *perms("EnterpriseHonorView", READ),
    *perms("StaffApi", API_READ),
    *perms("CertificateApi", API_READ),
    *perms("EquipmentApi", API_READ),
    *perms("InspectionRecordApi", API_READ),
    *perms("MaintenanceRecordApi", API_READ),
    *perms("EnterpriseFilingApi", API_READ),
]
# The enterprise's own day: everything above, written (the import cannot reach another enterprise).
ENT_RECORDS_WRITE = [
    *ENT_RECORDS_READ,
    *menus("Property", "Enterprise information filing"),
    *perms("StaffView", WRITE, DELETE, IMPORT, ("can_resign",)),
    *perms("CertificateView", WRITE, DELETE),
    *perms("EquipmentView", WRITE, DELETE, IMPORT),
    *perms("CarePlanView", WRITE, DELETE),
    *perms("InspectionRecordView", WRITE, DELETE),
    *perms("MaintenanceRecordView", WRITE, DELETE),
    ("can_change_lead", "PropertyAreaView"),
    *perms("EnterpriseFilingView", ("can_list", "can_file")),
    *perms("StaffApi", API_WRITE, API_DELETE, ("can_resign",)),
    *perms("CertificateApi", API_WRITE, API_DELETE),
    *perms("EquipmentApi", API_WRITE, API_DELETE),
    *perms("InspectionRecordApi", API_WRITE, API_DELETE),
    *perms("MaintenanceRecordApi", API_WRITE, API_DELETE),
    *perms("EnterpriseFilingApi", ("can_file",)),
]
# A project lead keeps the equipment and the records of the areas they lead.
LEAD_RECORDS = [
    *ENT_RECORDS_READ,
    *perms("EquipmentView", WRITE, IMPORT),
    *perms("InspectionRecordView", WRITE),
    *perms("MaintenanceRecordView", WRITE),
    *perms("EquipmentApi", API_WRITE),
    *perms("InspectionRecordApi", API_WRITE),
    *perms("MaintenanceRecordApi", API_WRITE),
]
HONORS_WRITE = [*menus("Property", "Awards and penalties"), *perms("EnterpriseHonorView", READ, WRITE, DELETE)]

# Credit (SPEC §5, app/credit): scoring standards, records, objections, red/black lists, repair,
# enterprise scores. Government reads within its region; gov_admin maintains the standards and
# the lists; district and street staff apply for scoring; gov_reviewer decides; the enterprise
# sees its own (once public), objects and applies for repair; helpdesk sees levels and list status.
_CREDIT_MENU = "Credit"
CREDIT_SCORES_READ = [*menus(_CREDIT_MENU, "Enterprise credit"), *perms("CreditScoreView", READ),
                      *perms("CreditScoreApi", API_READ)]
CREDIT_READ = [
    *menus(_CREDIT_MENU, "Scoring standards", "Credit records", "Red and black lists", "Objections",
           "Credit repair", "Enterprise credit"),
    ("menu_access", "Credit disclosure"),
    *perms("CreditRuleView", READ, EXPORT),
    *perms("CreditRecordView", READ, EXPORT),
    *perms("CreditListView", READ, EXPORT),
    *perms("CreditObjectionView", READ),
    *perms("CreditRepairView", READ),
    *perms("CreditScoreView", READ, EXPORT),
    *perms("CreditRuleApi", API_READ),
    *perms("CreditRecordApi", API_READ),
    *perms("CreditListApi", API_READ),
    *perms("CreditScoreApi", API_READ),
]
CREDIT_PROPOSE = [("can_propose", "CreditRecordView"), ("can_propose", "CreditRecordApi"),
                  ("can_transition", "CreditRecordApi"), ("can_resubmit", "CreditRecordView")]
CREDIT_ADMIN = [
    *perms("CreditRuleView", WRITE, IMPORT),
    *perms("CreditRuleApi", API_WRITE),
    ("can_revoke", "CreditRecordView"),
    ("can_propose", "CreditListView"), ("can_cancel", "CreditListView"),
    ("can_propose", "CreditListApi"), ("can_transition", "CreditListApi"),
]
CREDIT_DECIDE = [
    ("can_decide", "CreditRecordView"), ("can_decide", "CreditListView"), ("can_decide", "CreditObjectionView"),
    ("can_decide", "CreditRepairView"), ("can_transition", "CreditRecordApi"), ("can_transition", "CreditListApi"),
]
# The enterprise: its own records, entries, objections, repairs and score (scope org).
CREDIT_ENTERPRISE = [
    *menus(_CREDIT_MENU, "Credit records", "Red and black lists", "Objections", "Credit repair", "Enterprise credit"),
    *perms("CreditRecordView", READ, ("can_object",)),
    *perms("CreditListView", READ, ("can_object",)),
    *perms("CreditObjectionView", READ),
    *perms("CreditRepairView", READ, ("can_apply",)),
    *perms("CreditScoreView", READ),
    *perms("CreditRecordApi", API_READ, ("can_object",)),
    *perms("CreditListApi", API_READ, ("can_object", "can_repair")),
    *perms("CreditScoreApi", API_READ),
]

# Rental supervision grants, declared by part of the module (app/security/roles_rental.py).
from app.security.roles_rental import rental_permissions  # noqa: E402
# Housing allocation grants (app/security/roles_allocation.py), declared the same way.
from app.security.roles_allocation import allocation_permissions  # noqa: E402
# Property filings, houses, committees, news and service grants (app/security/roles_property.py).
from app.security.roles_property import property_permissions  # noqa: E402


def module_permissions(role):
    """What the modules that declare their grants by part give ``role``."""
    out = list(rental_permissions(role))
    for source in (allocation_permissions, property_permissions):
        for pair in source(role):
            if pair not in out:
                out.append(pair)
    return out

ROLES = {
    "sysadmin": {
        "label": _l("System administrator"),
        "scope": SCOPE_ALL,
        # FAB's admin role (AUTH_ROLE_ADMIN) holds every permission; listed for the matrix.
        "permissions": "*",
    },
    "gov_admin": {
        "label": _l("City administrator"),
        "scope": SCOPE_ALL,
        "permissions": [
            *DASHBOARD,
            *module_permissions("gov_admin"),
            *CREDIT_READ, *CREDIT_PROPOSE, *CREDIT_ADMIN,
            *COMPLAINTS_READ, *COMPLAINT_STATS, *CREDIT_PROPOSALS, *AREAS_WRITE, *AREA_QR,
            *ENT_RECORDS_READ, *HONORS_WRITE,
            *menus("System", "Regions", "Organizations", "Organization users", "Dictionaries", "Parameters"),
            *perms("RegionView", READ, EXPORT),
            *perms("OrganizationView", READ, EXPORT, IMPORT, WRITE),
            *perms("OrgUserView", READ, EXPORT, WRITE, ("unlock", "deactivate")),
            *perms("DictItemView", READ, EXPORT),
            *perms("ParameterView", READ),
            *perms("OrganizationApi", API_READ, API_WRITE),
            *perms("OrgUserApi", API_READ),
            *perms("DictItemApi", API_READ),
            *perms("RegionApi", API_READ),
            *menus("Accounts", "Persons", "Business applications", "Agency filing"),
            *perms("PersonView", READ, EXPORT),
            *perms("ApplicationView", READ, EXPORT),
            ("can_add", "AgencyFilingView"),
            *perms("PersonApi", API_READ),
            *perms("OrganizationApplicationApi", API_READ),
            (PII_PERMISSION, PII_VIEW),
        ],
    },
    "gov_reviewer": {
        "label": _l("Reviewer"),
        "scope": SCOPE_REGION,
        "permissions": [
            *DASHBOARD,
            *module_permissions("gov_reviewer"),
            *CREDIT_READ, *CREDIT_DECIDE,
            *menus("System", "Organizations", "Organization users"),
            *perms("OrganizationView", READ, EXPORT),
            *perms("OrgUserView", READ),
            *perms("OrganizationApi", API_READ),
            *perms("RegionApi", API_READ),
            *perms("DictItemApi", API_READ),
            *menus("Accounts", "Business applications"),
            *perms("ApplicationView", READ, EXPORT, ("can_decide",)),
            *perms("OrganizationApplicationApi", API_READ, ("can_transition",)),
            *menus("Property", "Enterprise details"),
            *perms("EnterpriseDetailView", READ),
            *perms("EnterpriseFilingApi", API_READ, ("can_transition",)),
            (PII_PERMISSION, PII_VIEW),
        ],
    },
    "district": {
        "label": _l("District administrator"),
        "scope": SCOPE_REGION,
        "permissions": [
            *DASHBOARD,
            *module_permissions("district"),
            *CREDIT_READ, *CREDIT_PROPOSE,
            *COMPLAINTS_READ, *COMPLAINTS_ACT, *COMPLAINT_STATS, *CREDIT_PROPOSALS, *AREAS_WRITE, *AREA_QR, *NOTICES,
            *ENT_RECORDS_READ, *HONORS_WRITE,
            *menus("System", "Organizations", "Organization users"),
            *perms("OrganizationView", READ, EXPORT),
            *perms("OrgUserView", READ, EXPORT),
            *perms("OrganizationApi", API_READ),
            *perms("RegionApi", API_READ),
            *perms("DictItemApi", API_READ),
            *menus("Accounts", "Business applications", "Agency filing"),
            *perms("ApplicationView", READ),
            ("can_add", "AgencyFilingView"),
        ],
    },
    "street": {
        "label": _l("Street / community"),
        "scope": SCOPE_REGION,
        "permissions": [
            *DASHBOARD,
            *module_permissions("street"),
            *CREDIT_READ, *CREDIT_PROPOSE,
            *COMPLAINTS_READ, *COMPLAINTS_ACT, *CREDIT_PROPOSALS, *AREAS_READ, *AREA_QR, *NOTICES,
            *ENT_RECORDS_READ,
            *menus("System", "Organizations"),
            *perms("OrganizationView", READ),
            *perms("OrganizationApi", API_READ),
            *perms("RegionApi", API_READ),
            *perms("DictItemApi", API_READ),
        ],
    },
    "ent_admin": {
        "label": _l("Enterprise administrator"),
        "scope": SCOPE_ORG,
        "permissions": [
            *DASHBOARD,
            *module_permissions("ent_admin"),
            *CREDIT_ENTERPRISE,
            *COMPLAINTS_READ, *CREDIT_PROPOSALS, *AREAS_READ, *AREA_QR, *NOTICES,
            *ENT_RECORDS_WRITE,
            *menus("System", "Organizations", "Organization users"),
            *perms("OrganizationView", READ),
            *perms("OrgUserView", READ, EXPORT, WRITE, DELETE, ("unlock", "deactivate")),
            *perms("OrgUserApi", API_READ, API_WRITE, API_DELETE),
            *perms("OrganizationApi", API_READ),
            *perms("DictItemApi", API_READ),
            *menus("Accounts", "Open staff account"),
            ("can_add", "StaffAccountView"),
            (PII_PERMISSION, PII_VIEW),
        ],
    },
    # The administrator of a 开发建设单位 (developer; seed 004 开发建设单位): files the areas it
    # built and their houses, and sees those areas.
    "dev_admin": {
        "label": _l("Developer administrator"),
        "scope": SCOPE_ORG,
        "permissions": [
            *module_permissions("dev_admin"),
            *NOTICES,
            *perms("DictItemApi", API_READ),
        ],
    },
    # An owners committee (业主委员会; seed 004 业主委员会), logging in with its 机构代码: files
    # itself (业委会备案), writes 小区动态, and sees its area.
    "committee": {
        "label": _l("Owners committee"),
        "scope": SCOPE_ORG,
        "permissions": [
            *module_permissions("committee"),
            *NOTICES,
            *perms("DictItemApi", API_READ),
        ],
    },
    "project_lead": {
        "label": _l("Project lead"),
        "scope": SCOPE_AREA,
        "permissions": [
            *DASHBOARD,
            *module_permissions("project_lead"),
            *COMPLAINTS_READ, *COMPLAINTS_ACT, *AREAS_READ, *AREA_QR, *NOTICES, *LEAD_RECORDS,
            *perms("DictItemApi", API_READ),
            *REALNAME_API,
        ],
    },
    # An agent (经纪人员) of a rental enterprise or brokerage agency: verifies listings and signs
    # contracts; sees the verifications and contracts they handled (their enterprise's
    # administrator sees all of the enterprise's).
    "rental_agent": {
        "label": _l("Rental agent"),
        "scope": SCOPE_OWN,
        "permissions": [
            *module_permissions("rental_agent"),
            *NOTICES,
        ],
    },
    # The housing centre's 配租管理员 (保障房中心): allocation plans, their review and the draw,
    # for the region of their organisation (the city's centre: the whole city).
    "alloc_admin": {
        "label": _l("Allocation administrator"),
        "scope": SCOPE_REGION,
        "permissions": [
            *module_permissions("alloc_admin"),
            *NOTICES,
            *perms("DictItemApi", API_READ),
        ],
    },
    "helpdesk": {
        "label": _l("Helpdesk"),
        "scope": SCOPE_ALL,
        "permissions": [
            *module_permissions("helpdesk"),
            *CREDIT_SCORES_READ,
            *menus("System", "Organizations", "Organization users"),
            *perms("OrganizationView", READ),
            *perms("OrgUserView", READ),
            *perms("OrgUserApi", API_READ),
            *menus("Accounts", "Helpdesk lookup"),
            *perms("HelpdeskView", ("can_lookup", "can_unlock", "can_resend")),
            *perms("HelpdeskApi", ("can_lookup", "can_unlock", "can_resend")),
        ],
    },
    "analyst": {
        "label": _l("Data analyst"),
        "scope": SCOPE_REGION,
        "permissions": [
            *DASHBOARD,
            *module_permissions("analyst"),
            *CREDIT_READ,
            *COMPLAINTS_READ, *COMPLAINT_STATS, *CREDIT_PROPOSALS, *AREAS_READ, *ENT_RECORDS_READ,
            *menus("System", "Organizations", "Organization users", "Regions"),
            *perms("OrganizationView", READ, EXPORT),
            *perms("OrgUserView", READ, EXPORT),
            *perms("RegionView", READ, EXPORT),
            *perms("OrganizationApi", API_READ),
            *perms("OrgUserApi", API_READ),
            *perms("RegionApi", API_READ),
            *perms("DictItemApi", API_READ),
        ],
    },
    "public": {
        "label": _l("Public user"),
        "scope": SCOPE_OWN,
        "permissions": [
            *module_permissions("public"),
            *perms("ComplaintApi", ("can_submit", "can_mine")),
            ("can_show", "ApplicationView"),
            *REALNAME_API,
        ],
    },
    # A self-registered enterprise until a reviewer approves it: its own application only.
    "org_applicant": {
        "label": _l("Organisation awaiting review"),
        "scope": SCOPE_OWN,
        "permissions": [
            *module_permissions("org_applicant"),
            ("can_show", "ApplicationView"),
            *perms("OrganizationApplicationApi", ("can_get", "can_transition")),
        ],
    },
    "api_client": {
        "label": _l("Third-party platform"),
        "scope": SCOPE_ORG,
        "permissions": [
            *module_permissions("api_client"),
            *perms("OrganizationApi", API_READ),
            *perms("DictItemApi", API_READ),
            ("can_get", "OpenApi"),
        ],
    },
}

# Permissions every logged-in role needs (own password, own info, language switch).
COMMON = [
    ("can_this_form_get", "AnjuResetMyPasswordView"),
    ("can_this_form_post", "AnjuResetMyPasswordView"),
    ("can_this_form_get", "AnjuUserInfoEditView"),
    ("can_this_form_post", "AnjuUserInfoEditView"),
    ("can_userinfo", "AnjuUserDBModelView"),
    ("can_resetmypassword", "AnjuUserDBModelView"),
    ("can_userinfoedit", "AnjuUserDBModelView"),
    ("menu_access", "My account"),
]


# 我的导出 (app/system/task_views.py): every role that may export or import a list follows its
# background exports and imports there (each user sees only their own).
MY_TASKS = [*menus("My account", "My exports"), *perms("MyTasksView", READ)]


def tasks_permissions(permissions):
    """MY_TASKS for a role that holds any export or import permission, else nothing."""
    if any(perm in ("can_export", "can_import") and view.endswith("View") for perm, view in permissions):
        return MY_TASKS
    return []


# Roles outside the catalogue that FAB itself keeps (AUTH_ROLE_PUBLIC: whoever is not signed in).
OTHER_ROLE_LABELS = {"anonymous": _l("Visitors not signed in")}


def role_label(code):
    role = ROLES.get(code)
    if role:
        return role["label"]
    return OTHER_ROLE_LABELS.get(code, code)


def data_scope(role_names):
    """The widest data scope among the given role names."""
    best = SCOPE_NONE
    for name in role_names:
        scope = ROLES.get(name, {}).get("scope", SCOPE_NONE)
        if SCOPE_ORDER.index(scope) > SCOPE_ORDER.index(best):
            best = scope
    return best


# Which roles a user may grant to the accounts they manage (checked on the server).
GRANTABLE = {
    "gov_admin": ["gov_admin", "gov_reviewer", "district", "street", "helpdesk", "analyst",
                  "ent_admin", "project_lead", "rental_agent", "api_client", "alloc_admin",
                  "dev_admin", "committee"],
    "district": ["street", "analyst"],
    "ent_admin": ["ent_admin", "project_lead", "rental_agent"],
}


def grantable_roles(role_names, admin_role="sysadmin"):
    if admin_role in role_names:
        return [name for name in ROLES]
    out = []
    for name in role_names:
        for grant in GRANTABLE.get(name, []):
            if grant not in out:
                out.append(grant)
    return out


# Authority over accounts (app/security/authority.py): nobody acts on an account whose roles
# outrank their own, nor grants a role that outranks their own. An account ranks as its
# highest role; equal ranks may act on each other (an enterprise's administrators, the city's).
ROLE_RANK = {
    "sysadmin": 100,
    "gov_admin": 90,
    "gov_reviewer": 70,
    "district": 70,
    "alloc_admin": 70,
    "street": 60,
    "analyst": 50,
    "helpdesk": 50,       # serves enterprises and the public, not government staff
    "ent_admin": 40,
    "dev_admin": 40,
    "committee": 35,
    "api_client": 40,
    "project_lead": 30,
    "rental_agent": 30,
    "org_applicant": 10,
    "public": 10,
}
# A role made by hand in 角色 (not in the catalogue): only sysadmin acts on its holders.
RANK_UNLISTED = 95


def role_rank(name):
    return ROLE_RANK.get(name, RANK_UNLISTED)


def account_rank(role_names):
    """An account's rank: that of its highest role (0 without roles)."""
    return max((role_rank(n) for n in role_names), default=0)
