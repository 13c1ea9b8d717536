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
