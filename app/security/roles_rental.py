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
_FILING_MENUS = menus(RENTAL_MENU, "Contract filing", "Filing applications", "Contracts awaiting filing")
_FILING_READ = [
    *menus(RENTAL_MENU, "Filing applications", "Contracts awaiting filing"),
    *perms("RentalFilingView", READ, EXPORT, ("can_certificate",)),
    *perms("FilingDueView", ("can_list",), EXPORT),
    *perms("ContractFilingApi", API_READ),
]
# The enterprise (and its agents, scope own) applies, back-fills when the parameter allows,
# resubmits or terminates, prints the 备案证明.
_FILING_APPLY = [
    *_FILING_MENUS,
    *perms("RentalFilingView", READ, EXPORT, ("can_apply", "can_backfill", "can_certificate")),
    *perms("FilingDueView", ("can_list",), EXPORT),
    *perms("ContractFilingApi", API_READ, ("can_apply", "can_transition")),
]
FILING = {
    "gov_admin": _FILING_READ,
    # Only gov_reviewer decides (seed 001 常见问题); they decide on the business-application pages.
    "gov_reviewer": [*_FILING_READ, ("can_transition", "ContractFilingApi")],
    "district": _FILING_READ,
    "street": _FILING_READ,
    "analyst": _FILING_READ,
    "ent_admin": _FILING_APPLY,
    "rental_agent": _FILING_APPLY,
}


# --- 场所分布, 从业主体, statistics (app/rental/agencies) -----------------------------------
_PREMISES_READ = [*menus(RENTAL_MENU, "Business premises", "Premises distribution"),
                  *perms("AgencyPremisesView", READ, EXPORT),
                  *perms("PremisesDistributionView", ("can_show",), EXPORT),
                  *perms("PremisesApi", API_READ)]
_PRACTITIONERS_READ = [*menus(RENTAL_MENU, "Practitioners"), *perms("PractitionerView", READ, EXPORT),
                       *perms("PractitionerApi", API_READ)]
_RENTAL_STATS = [*menus(RENTAL_MENU, "Rental statistics"), *perms("RentalStatsView", ("can_show",), EXPORT)]
_GOV_AGENCIES = [*_PREMISES_READ, *_PRACTITIONERS_READ, *_RENTAL_STATS]
AGENCIES = {
    "gov_admin": _GOV_AGENCIES,
    "gov_reviewer": _GOV_AGENCIES,
    "district": _GOV_AGENCIES,
    "street": _GOV_AGENCIES,
    "analyst": _GOV_AGENCIES,
    # The enterprise keeps its own premises and practitioners (scope org).
    "ent_admin": [
        *menus(RENTAL_MENU, "Business premises", "Practitioners"),
        *perms("AgencyPremisesView", READ, EXPORT, WRITE, DELETE),
        *perms("PractitionerView", READ, EXPORT, WRITE, DELETE, IMPORT, ("can_leave",)),
        *perms("PremisesApi", API_READ),
        *perms("PractitionerApi", API_READ),
    ],
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
