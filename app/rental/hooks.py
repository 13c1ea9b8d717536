"""What the rental module registers with the engines at start-up (called by register_views):
upload owners, SMS templates."""


def register():
    from app.core import uploads
    from app.rental.contracts import services as contracts
    from app.rental.contracts.models import RentalContract

    # The contract's 要件: downloadable by whoever sees the contract and may show it.
    uploads.register_owner("rental_contract", RentalContract, permission=("can_show", "RentalContractView"))
    contracts.register_sms_templates()
