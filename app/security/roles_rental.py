"""Who may do what in rental supervision (SPEC §4; issue 14), by part of the module.

Each part (a sub-package of app/rental) declares {role code: [(permission, view), ...]};
:func:`rental_permissions` gives one role everything the parts grant it, and
app/security/roles.py adds that to the role. Menu group: "Rental" (住房租赁).
"""
# roles.py imports this module after defining these (the names below are ready by then).
from app.security.roles import API_READ, API_WRITE, DELETE, EXPORT, IMPORT, READ, WRITE, menus, perms  # noqa: F401

RENTAL_MENU = "Rental"

# --- 产权登记 (app/rental/registry) ------------------------------------------------------
# gov_admin maintains the register (sysadmin holds everything); reviewers, district staff and
# analysts read it inside their region (owners masked without the full-value permission);
# enterprises, agents, helpdesk and the public never browse it (they verify listings).
_REGISTRY_READ = [*menus(RENTAL_MENU, "Property registry"), *perms("RentalPropertyView", READ, EXPORT)]
REGISTRY = {
    "gov_admin": [*_REGISTRY_READ, *perms("RentalPropertyView", WRITE, DELETE, IMPORT)],
    "gov_reviewer": _REGISTRY_READ,
    "district": _REGISTRY_READ,
    "analyst": _REGISTRY_READ,
}


# --- 房源核验 and platform keys (app/rental/verification) ----------------------------------
# The console's 房源核验 form (menu "Listing verification") and the 核验记录 list (scoped: an
# agent their own, the enterprise its own, government its region, a platform its own).
_VERIFY = [*menus(RENTAL_MENU, "Listing verification"), ("can_verify", "ListingVerificationView")]
_VERIFICATIONS_READ = [*menus(RENTAL_MENU, "Verification records"), *perms("ListingVerificationView", READ, EXPORT)]
VERIFICATION = {
    "gov_admin": [*_VERIFY, *_VERIFICATIONS_READ],
    "gov_reviewer": _VERIFICATIONS_READ,
    "district": _VERIFICATIONS_READ,
    "street": _VERIFICATIONS_READ,
    "analyst": _VERIFICATIONS_READ,
    "ent_admin": [*_VERIFY, *_VERIFICATIONS_READ],
    "rental_agent": [*_VERIFY, *_VERIFICATIONS_READ],
    "api_client": _VERIFICATIONS_READ,
}


# --- platforms: API keys and REST verification (app/rental/verification/api.py, apikeys.py) ---
PLATFORM = {
}


# --- 合同网签 and contract templates (app/rental/contracts) --------------------------------
CONTRACTS = {
}


# --- 合同备案 (app/rental/filing) -------------------------------------------------------
FILING = {
}


# --- 场所分布, 从业主体, statistics (app/rental/agencies) -----------------------------------
AGENCIES = {
}


# --- public services: uploads, consultation, evaluation, legal help (app/rental/public) ---
PUBLIC = {
}


PARTS = (REGISTRY, VERIFICATION, PLATFORM, CONTRACTS, FILING, AGENCIES, PUBLIC)


def rental_permissions(role):
    out = []
    for part in PARTS:
        for pair in part.get(role, ()):
            if pair not in out:
                out.append(pair)
    return out
