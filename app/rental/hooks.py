"""What the rental module registers with the engines at start-up (called by register_views):
upload owners, SMS templates."""


def register():
    from app.core import uploads
    from app.rental.contracts import services as contracts
    from app.rental.contracts.models import ContractTemplate, RentalContract

    # The contract's 要件: downloadable by whoever sees the contract and may show it.
    uploads.register_owner("rental_contract", RentalContract, permission=("can_show", "RentalContractView"))
    # 合同范本 files: the console's template screens (the public page serves the newest versions' files).
    uploads.register_owner("rental_template", ContractTemplate, permission=("can_show", "ContractTemplateView"))
    contracts.register_sms_templates()
    register_parts()
    register_worklist()
    from app.rental import charts; charts.register()  # noqa: E702  (dashboard charts and their summary rows)


def register_parts():
    """What one part of the module offers another, wired here so that neither imports the
    other's views: the filing buttons on the contract's page, and the demo's filings."""
    from app.rental import demo
    from app.rental.contracts import services as contracts
    from app.rental.filing import services as filing

    def filing_buttons(contract, user):
        return [contracts.DetailAction(a["key"], a["label"], a["url"], a.get("method", "get"))
                for a in filing.filing_actions(contract, user)]

    contracts.register_detail_action(filing_buttons)
    demo.FILING_DEMO["fn"] = demo_filing


def demo_filing(contract, agent, how, moment, session):
    """A demo contract's filing: submitted by the agent; with ``approved`` also accepted and
    approved by the city reviewer."""
    from flask import current_app

    from app.rental.filing import services as filing

    application = filing.apply(agent, contract, session=session)
    application.submitted_at = moment
    if how == "approved":
        reviewer = current_app.appbuilder.sm.find_user(username="reviewer")
        filing.transition(application, "accept", reviewer, session=session)
        filing.transition(application, "approve", reviewer, session=session)


def overdue_filing_todos(user):
    """待办 of a rental enterprise: its signed contracts past the filing deadline (逾期未备案),
    counted in the user's scope, linking to the contract list filtered to them."""
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from app.core import worklist
    from app.core.scope import apply_scope
    from app.rental.contracts.models import RentalContract
    from app.rental.filing import services as filing

    stmt = apply_scope(select(RentalContract.id).where(filing.overdue_clause()), RentalContract, user)
    n, capped = worklist.capped_count(stmt)
    if not n:
        return []
    return [worklist.Todo("rental.filing_overdue", _l("Contracts not filed in time"), n,
                          url=worklist.list_url("RentalContractView", ("overdue_flagged_at", "overdue", "y")),
                          level="danger", group=_l("Housing rental"), capped=capped)]


def register_worklist():
    from app.core import worklist
    from app.rental.contracts import services as contracts

    worklist.register_todo("rental.filing_overdue", overdue_filing_todos, ("can_list", "RentalContractView"),
                           order=42, when=contracts.may_sign_online)
