"""Who may do what in affordable housing allocation (SPEC §6; issue 15), by part of the module.

Each part (a sub-package of app/allocation) declares {role code: [(permission, view), ...]};
:func:`allocation_permissions` gives one role everything the parts grant it, and
app/security/roles.py adds that to the role. Menu group: "Allocation" (保障房配租).
The public pages (app/allocation/portal) need no permission.
"""
from app.security.roles import API_READ, API_WRITE, DELETE, EXPORT, READ, WRITE, menus, perms  # noqa: F401

ALLOC_MENU = "Allocation"

# --- 配租计划: plans, projects, unit types, rules, groups; the plan's states and the draw ------
# (app/allocation/plans/views.py, api.py). The housing centre's 配租管理员 runs plans in its
# region (the city); the city administrator and analysts read them.
_PLANS_READ = [*menus(ALLOC_MENU, "Allocation plans"), *perms("AllocationPlanView", READ, EXPORT),
               *perms("AllocationPlanApi", API_READ)]
_PLANS_RUN = [
    *_PLANS_READ,
    *perms("AllocationPlanView", WRITE, DELETE,
           ("can_publish", "can_withdraw", "can_publicity", "can_freeze", "can_draw", "can_results",
            "can_rules", "can_projects")),
    *perms("AllocationPlanApi", API_WRITE, ("can_transition", "can_draw")),
]
PLANS = {
    "alloc_admin": _PLANS_RUN,
    "gov_admin": _PLANS_READ,
    "gov_reviewer": _PLANS_READ,
    "analyst": _PLANS_READ,
}

# --- 配租登记 (staff): registrations, review, human reviews, objections ----------------------
# (app/allocation/registrations/views.py, api.py). Lists masked for roles without the
# full-value permission; review by the 配租管理员 (and the city's reviewers).
_REG_READ = [*menus(ALLOC_MENU, "Allocation registrations", "Eligibility objections"),
             *perms("AllocationRegistrationView", READ, EXPORT),
             *perms("AllocationObjectionView", READ),
             *perms("AllocationRegistrationApi", API_READ)]
_REG_REVIEW = [*_REG_READ, *perms("AllocationRegistrationView", ("can_review", "can_appeal")),
               ("can_decide", "AllocationObjectionView"),
               *perms("AllocationRegistrationApi", ("can_review", "can_appeal"))]
REGISTRATIONS = {
    "alloc_admin": _REG_REVIEW,
    "gov_reviewer": _REG_REVIEW,
    "gov_admin": _REG_READ,
    "analyst": _REG_READ,
}

# --- the applicant: 信息填报, 配租登记, 配租记录, 取消登记, 人工复核, 异议 ------------------------
# (app/allocation/filings/views.py, api.py). Real-name is checked by the services, not here:
# an unverified public user is told to 去实名.
APPLICANT = {
    "public": [
        *menus("My account", "My allocation records"),
        *perms("MyAllocationView", ("can_file", "can_register", "can_records", "can_cancel", "can_appeal",
                                    "can_object")),
        *perms("AllocationApplicantApi", ("can_get", "can_put", "can_register", "can_cancel", "can_records",
                                          "can_appeal")),
    ],
}

PARTS = (PLANS, REGISTRATIONS, APPLICANT)


def allocation_permissions(role):
    out = []
    for part in PARTS:
        for pair in part.get(role, ()):
            if pair not in out:
                out.append(pair)
    return out
