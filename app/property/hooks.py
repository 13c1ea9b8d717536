"""What the property module registers with the engines and with other modules at start-up
(called by ``register_views``): the project-lead data scope, and the staff-account hooks of
the accounts module (binding by ID number, 用户没有从业记录, 开立从业人员账号 from a record)."""


def register():
    from app.accounts import services as accounts
    from app.core import scope
    from app.property.areas.models import led_area_ids
    from app.property.staff import accounts as staff_accounts
    from app.property.staff import services as staff_services

    scope.register_area_source(led_area_ids)
    from app.property import charts; charts.register()  # noqa: E702  (dashboard chart)
    if staff_accounts.bind_person not in accounts.STAFF_ACCOUNT_HOOKS:
        accounts.STAFF_ACCOUNT_HOOKS.append(staff_accounts.bind_person)
    if staff_accounts.lead_record_problem not in accounts.LEAD_RECORD_CHECKS:
        accounts.LEAD_RECORD_CHECKS.append(staff_accounts.lead_record_problem)
    accounts.STAFF_RECORD_SOURCE["candidates"] = staff_services.account_candidates
    accounts.STAFF_RECORD_SOURCE["record"] = staff_services.account_record
