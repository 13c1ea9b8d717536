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
