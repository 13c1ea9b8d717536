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
# (app/property/areas/)
AREAS = {}

# --- houses: 房屋信息补充 (house import as a business application), the house registry ---------
# (app/property/houses/)
HOUSES = {}

# --- contracts: 物业服务合同备案, 物业承接查验备案 (app/property/filings/) --------------------------
CONTRACTS = {}

# --- owners: 业主委员会 registration and 业委会备案 (app/property/owners/) -------------------------
OWNERS = {}

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
