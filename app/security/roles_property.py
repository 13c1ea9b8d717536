"""Who may do what in property management's filings and services (SPEC §7; issue 16), by part.

Each part (a sub-package of app/property) declares {role code: [(permission, view), ...]};
:func:`property_permissions` gives one role everything the parts grant it, and
app/security/roles.py adds that to the role. The menu group of the filings is "Property filings"
(物业区域业务办理); public pages (the area's page, 报修, survey answers) need no permission.

Roles: dev_admin (开发建设单位), ent_admin (物业服务企业), project_lead, committee (业主委员会),
gov_reviewer (受理/审核), district and street (their region), gov_admin (the city), analyst,
helpdesk (read what a caller asks about).
"""
from app.security.roles import API_READ, API_WRITE, DELETE, EXPORT, READ, WRITE, menus, perms  # noqa: F401

FILINGS_MENU = "Property filings"
SERVICE_MENU = "Property services"

# --- areas: 物业区域备案 (and 信息变更), 物业管理区域综合查询, the area's public page ------------
# (app/property/areas/). Developers and property companies file; the reviewer decides on the
# business-application pages (and by REST); the query is read by everyone with an area scope:
# the city all, district and street staff their region, enterprises and committees their areas,
# project leads theirs, the helpdesk all (read-only: no export).
_QUERY_READ = [*menus("Comprehensive query", "Area comprehensive query"),
               *perms("AreaQueryView", READ), *perms("AreaQueryApi", API_READ)]
_QUERY_EXPORT = [*_QUERY_READ, *perms("AreaQueryView", EXPORT)]
_AREA_FILE = [*menus(FILINGS_MENU, "Area filing"), *perms("AreaFilingView", ("can_list", "can_file")),
              *perms("AreaFilingApi", API_READ, ("can_file",))]
_AREA_FILINGS_READ = perms("AreaFilingApi", API_READ)
AREAS = {
    "dev_admin": [*_AREA_FILE, *_QUERY_EXPORT],
    "ent_admin": [*_AREA_FILE, *_QUERY_EXPORT],
    "committee": _QUERY_EXPORT,
    "project_lead": _QUERY_EXPORT,
    "gov_admin": [*_QUERY_EXPORT, *_AREA_FILINGS_READ],
    "gov_reviewer": [*_QUERY_EXPORT, *_AREA_FILINGS_READ, ("can_transition", "AreaFilingApi")],
    "district": [*_QUERY_EXPORT, *_AREA_FILINGS_READ],
    "street": [*_QUERY_EXPORT, *_AREA_FILINGS_READ],
    "analyst": [*_QUERY_EXPORT, *_AREA_FILINGS_READ],
    "helpdesk": _QUERY_READ,
}

# --- houses: 房屋信息补充 (house import as a business application), the house registry ---------
# (app/property/houses/). The filer (a developer or a property company) imports and submits; the
# registry is read in each role's scope (an enterprise its areas, a project lead the areas led,
# government its region, a committee its area once its filing is approved); reviewers open an
# import from the 业务单 (its subject link) and decide there. Owner name and ID number are
# masked for roles without the PII permission.
_HOUSES_READ = [*menus("Property", "Houses"), *perms("HouseView", READ, EXPORT), *perms("HouseApi", API_READ)]
_HOUSE_FILER = [*_HOUSES_READ, *menus(FILINGS_MENU, "House information supplement"),
                *perms("HouseImportView", ("can_list", "can_show", "can_import")),
                *perms("HouseImportApi", API_READ, ("can_import",))]
_HOUSE_GOV = [*_HOUSES_READ, ("can_show", "HouseImportView"), *perms("HouseImportApi", API_READ)]
HOUSES = {
    "dev_admin": _HOUSE_FILER,
    "ent_admin": _HOUSE_FILER,
    "project_lead": [*menus("Property", "Houses"), *perms("HouseView", READ), *perms("HouseApi", API_READ)],
    "committee": [*menus("Property", "Houses"), *perms("HouseView", READ), *perms("HouseApi", API_READ)],
    "gov_admin": _HOUSE_GOV,
    "gov_reviewer": _HOUSE_GOV,
    "district": _HOUSE_GOV,
    "street": _HOUSE_GOV,
    "analyst": _HOUSE_GOV,
}

# --- contracts: 物业服务合同备案, 物业承接查验备案 (app/property/filings/) --------------------------
_CONTRACT_VIEWS = ("ServiceContractFilingView", "AcceptanceFilingView")
_CONTRACT_APIS = ("ServiceContractFilingApi", "AcceptanceFilingApi")
_CONTRACT_READ_API = [pair for api in _CONTRACT_APIS for pair in perms(api, API_READ)]
CONTRACTS = {
    # The property company files (its own filings: the org scope of business applications).
    "ent_admin": [
        *menus(FILINGS_MENU, "Service contract filing", "Acceptance inspection filing"),
        *[pair for view in _CONTRACT_VIEWS for pair in perms(view, ("can_list", "can_file"))],
        *_CONTRACT_READ_API,
        *[pair for api in _CONTRACT_APIS for pair in perms(api, ("can_file",))],
    ],
    # Reviewers decide (also on the 业务单 pages); government and analysts read within their region.
    "gov_reviewer": [*_CONTRACT_READ_API, *[pair for api in _CONTRACT_APIS for pair in perms(api, ("can_transition",))]],
    "gov_admin": _CONTRACT_READ_API,
    "district": _CONTRACT_READ_API,
    "street": _CONTRACT_READ_API,
    "analyst": _CONTRACT_READ_API,
}

# --- owners: 业主委员会 registration and 业委会备案 (app/property/owners/) -------------------------
# The committee files itself; government reads the filings of its region (reviewers decide on
# the 业务单 page, which links to the filing's members).
_COMMITTEE_GOV = [("can_show", "CommitteeFilingView"), *perms("CommitteeFilingApi", API_READ)]
OWNERS = {
    "committee": [*menus(FILINGS_MENU, "Owners committee filing"),
                  *perms("CommitteeFilingView", ("can_list", "can_show", "can_file")),
                  *perms("CommitteeFilingApi", API_READ, ("can_file",))],
    "gov_admin": _COMMITTEE_GOV,
    "gov_reviewer": _COMMITTEE_GOV,
    "district": _COMMITTEE_GOV,
    "street": _COMMITTEE_GOV,
    "analyst": _COMMITTEE_GOV,
}

# --- honour and news: 诚信登记/良好行为申报 with publicity, 小区动态 (app/property/honour/, news/) --
# 诚信登记: the property company declares (its own); reviewers accept and decide on the 业务单 page
# and read the objections here; government reads and sees objections in its region; analysts read.
_HONOUR_READ = [*menus(FILINGS_MENU, "Good behaviour declaration"), ("can_list", "GoodBehaviourView"),
                *perms("GoodBehaviourApi", API_READ)]
_HONOUR_GOV = [*_HONOUR_READ, ("can_objections", "GoodBehaviourView")]
HONOUR = {
    "ent_admin": [*_HONOUR_READ, ("can_file", "GoodBehaviourView"), ("can_file", "GoodBehaviourApi")],
    "gov_reviewer": [*_HONOUR_GOV, ("can_transition", "GoodBehaviourApi")],
    "gov_admin": _HONOUR_GOV,
    "district": _HONOUR_GOV,
    "street": _HONOUR_GOV,
    "analyst": _HONOUR_READ,
}
# 小区动态: written by the property company, its project leads and the owners committee (each for
# their areas; the service checks which); government reads its region.
_NEWS_READ = [*menus("Community news", "Community news management"), *perms("AreaNewsView", READ),
              *perms("AreaNewsApi", API_READ)]
_NEWS_WRITE = [*_NEWS_READ, *perms("AreaNewsView", WRITE, DELETE, ("can_publish", "can_withdraw")),
               *perms("AreaNewsApi", API_WRITE, ("can_delete", "can_publish", "can_withdraw"))]
NEWS = {
    "ent_admin": _NEWS_WRITE,
    "project_lead": _NEWS_WRITE,
    "committee": _NEWS_WRITE,
    "gov_admin": _NEWS_READ,
    "gov_reviewer": _NEWS_READ,
    "district": _NEWS_READ,
    "street": _NEWS_READ,
    "analyst": _NEWS_READ,
}

# --- service: 报修, 满意度调查, 检查考评 (app/property/service/) ------------------------------------
# The company handles the repairs of its areas (a project lead: the areas they lead) and reads
# the inspections of its areas; government reads repairs in its region, organises surveys (city,
# district, street) and inspects (district, street); analysts read. The helpdesk, developers,
# committees and the public get nothing from the console (residents use the public pages).
_REPAIRS_READ = [*menus(SERVICE_MENU, "Repairs"), *perms("RepairView", READ, EXPORT), *perms("RepairApi", API_READ)]
_REPAIRS_ACT = [("can_act", "RepairView"), ("can_act", "RepairApi")]
_SURVEYS_READ = [*menus(SERVICE_MENU, "Satisfaction surveys"), *perms("SurveyView", READ, EXPORT),
                 *perms("SurveyApi", API_READ)]
_SURVEYS_ORGANISE = [("can_add", "SurveyView"), ("can_act", "SurveyView")]
_EVALUATIONS_READ = [*menus(SERVICE_MENU, "Inspections and evaluations"), *perms("EvaluationView", READ, EXPORT),
                     *perms("EvaluationApi", API_READ)]
_EVALUATIONS_SUBMIT = [("can_add", "EvaluationView"), ("can_submit", "EvaluationApi")]
SERVICE = {
    "ent_admin": [*_REPAIRS_READ, *_REPAIRS_ACT, *_EVALUATIONS_READ],
    "project_lead": [*_REPAIRS_READ, *_REPAIRS_ACT],
    "gov_admin": [*_REPAIRS_READ, *_SURVEYS_READ, *_SURVEYS_ORGANISE, *_EVALUATIONS_READ],
    "district": [*_REPAIRS_READ, *_SURVEYS_READ, *_SURVEYS_ORGANISE, *_EVALUATIONS_READ, *_EVALUATIONS_SUBMIT],
    "street": [*_REPAIRS_READ, *_SURVEYS_READ, *_SURVEYS_ORGANISE, *_EVALUATIONS_READ, *_EVALUATIONS_SUBMIT],
    "analyst": [*_REPAIRS_READ, *_SURVEYS_READ, *_EVALUATIONS_READ],
}

PARTS = (AREAS, HOUSES, CONTRACTS, OWNERS, HONOUR, NEWS, SERVICE)


def property_permissions(role):
    """Every (permission, view) the property parts grant ``role``, once each."""
    out = []
    for part in PARTS:
        for pair in part.get(role, ()):
            if pair not in out:
                out.append(pair)
    return out
