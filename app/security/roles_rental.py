"""Who may do what in rental supervision (SPEC §4; issue 14), by part of the module.

Each part (a sub-package of app/rental) declares {role code: [(permission, view), ...]};
:func:`rental_permissions` gives one role everything the parts grant it, and
app/security/roles.py adds that to the role. Menu group: "Rental" (住房租赁).
"""
# roles.py imports this module after defining these (the names below are ready by then).
from app.security.roles import API_READ, API_WRITE, DELETE, EXPORT, IMPORT, READ, WRITE, menus, perms  # noqa: F401

RENTAL_MENU = "Rental"

# --- 产权登记 (app/rental/registry) ------------------------------------------------------
REGISTRY = {
}


# --- 房源核验 and platform keys (app/rental/verification) ----------------------------------
VERIFICATION = {
}


# --- platforms: API keys and REST verification (app/rental/verification/api.py, apikeys.py) ---
# POST /api/v1/listing_verification/ verifies (platforms by API key; agents and enterprise
# administrators by token); GET reads the verifications of the caller's scope, owners masked
# for roles without the full-value permission. The public has none of it. The key screens
# (PlatformKeyView: can_list, can_add = 签发, can_revoke) are sysadmin's alone (三员分立), who holds
# every permission: nobody is listed for them here.
_VERIFY_API = perms("ListingVerificationApi", ("can_post", "can_get"))
_READ_API = perms("ListingVerificationApi", ("can_get",))
PLATFORM = {
    "api_client": _VERIFY_API,
    "rental_agent": _VERIFY_API,
    "ent_admin": _VERIFY_API,
    "gov_admin": _READ_API,
    "gov_reviewer": _READ_API,
    "district": _READ_API,
    "street": _READ_API,
}


# --- 合同网签 and contract templates (app/rental/contracts) --------------------------------
# The wizard (ContractWizardView: 我的草稿 and every step) and 撤销 for the staff of a rental
# enterprise; the signed contracts read by government in its region (analysts masked); the
# REST resource rental_contract for the enterprise and for a platform (its own organisation's).
_CONTRACTS_READ = [*menus(RENTAL_MENU, "Rental contracts"), *perms("RentalContractView", READ, EXPORT),
                   *perms("RentalContractApi", API_READ)]
_CONTRACTS_SIGN = [*_CONTRACTS_READ, *menus(RENTAL_MENU, "Contract drafts"),
                   *perms("ContractWizardView", ("can_list", "can_handle")), ("can_revoke", "RentalContractView"),
                   *perms("RentalContractApi", ("can_post", "can_revoke"))]
CONTRACTS = {
    "gov_admin": _CONTRACTS_READ,
    "gov_reviewer": _CONTRACTS_READ,
    "district": _CONTRACTS_READ,
    "street": _CONTRACTS_READ,
    "analyst": _CONTRACTS_READ,
    "ent_admin": _CONTRACTS_SIGN,
    "rental_agent": _CONTRACTS_SIGN,
    "api_client": [*perms("RentalContractApi", API_READ, ("can_post", "can_revoke"))],
}


# --- 合同备案 (app/rental/filing) -------------------------------------------------------
FILING = {
}


# --- 场所分布, 从业主体, statistics (app/rental/agencies) -----------------------------------
AGENCIES = {
}


# --- public services: uploads, consultation, evaluation, legal help (app/rental/public) ---
# The public pages themselves (/rental/services/, /rental/contract-check/) need no permission;
# these are the console's lists behind them and the REST resource for signed-in citizens.
_PUBLIC_LINK = menus(RENTAL_MENU, "Housing rental services")
_SUBMISSIONS_READ = [*menus(RENTAL_MENU, "Contract uploads"), *perms("ContractSubmissionView", READ)]
_SUBMISSIONS_REVIEW = [*_SUBMISSIONS_READ, ("can_review", "ContractSubmissionView")]
_EVALUATIONS_READ = [*menus(RENTAL_MENU, "Transaction evaluations"), *perms("RentalEvaluationView", READ, EXPORT)]
PUBLIC = {
    "gov_admin": [
        *_PUBLIC_LINK, *_SUBMISSIONS_REVIEW, *_EVALUATIONS_READ,
        *menus(RENTAL_MENU, "Contract templates", "Legal services", "Legal help pages"),
        *perms("ContractTemplateView", READ, WRITE),
        *perms("LegalServiceView", READ, WRITE, DELETE),
        *perms("LegalPageView", READ, ("can_edit",)),
    ],
    "gov_reviewer": [*_PUBLIC_LINK, *_SUBMISSIONS_REVIEW, *_EVALUATIONS_READ],
    "district": [*_PUBLIC_LINK, *_SUBMISSIONS_REVIEW, *_EVALUATIONS_READ],
    "street": [*_PUBLIC_LINK, *_SUBMISSIONS_REVIEW, *_EVALUATIONS_READ],
    "analyst": [*_PUBLIC_LINK, *_SUBMISSIONS_READ, *_EVALUATIONS_READ],
    # The enterprise reads the evaluations of its own contracts.
    "ent_admin": [*_PUBLIC_LINK, *_EVALUATIONS_READ],
    "public": [("can_evaluate", "RentalPublicApi"), ("can_mine", "RentalPublicApi")],
}


# --- 用户维权: complaints about rental enterprises (app/rental/rights, the complaints engine) ---
# The public form (/rental/rights/) needs no permission; the console's complaint screens
# (ComplaintView, ComplaintApi) already reach the district (handles), the street and the
# enterprise (read) through their data scope. An overdue rental complaint is escalated to the
# city: its administrators read their organisation's notices.
RIGHTS = {
    "gov_admin": [*menus("My account", "Notices"), *perms("NoticeView", READ)],
}


PARTS = (REGISTRY, VERIFICATION, PLATFORM, CONTRACTS, FILING, AGENCIES, PUBLIC, RIGHTS)


def rental_permissions(role):
    out = []
    for part in PARTS:
        for pair in part.get(role, ()):
            if pair not in out:
                out.append(pair)
    return out
