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
# (app/property/houses/)
HOUSES = {}

# --- contracts: 物业服务合同备案, 物业承接查验备案 (app/property/filings/) --------------------------
CONTRACTS = {}

# --- owners: 业主委员会 registration and 业委会备案 (app/property/owners/) -------------------------
OWNERS = {}

# --- honour and news: 诚信登记/良好行为申报 with publicity, 小区动态 (app/property/honour/, news/) --
HONOUR = {}
NEWS = {}

# --- service: 报修, 满意度调查, 检查考评 (app/property/service/) ------------------------------------
SERVICE = {}

PARTS = (AREAS, HOUSES, CONTRACTS, OWNERS, HONOUR, NEWS, SERVICE)


def property_permissions(role):
    """Every (permission, view) the property parts grant ``role``, once each."""
    out = []
    for part in PARTS:
        for pair in part.get(role, ()):
            if pair not in out:
                out.append(pair)
    return out
