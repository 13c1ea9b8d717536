"""REST resource ``rental_contract_filing``: 合同备案 applications (app/rental/filing/services.py).

* ``GET /api/v1/rental_contract_filing/`` and ``/<pk>``: the filing applications in the
  caller's scope (an agent their own, an enterprise its own, government its region), with the
  contract's fields as filed (persons masked for a caller without the PII permission).
* ``POST /api/v1/rental_contract_filing/apply``: ``{"contract_number": ...}`` (or
  ``contract_id``): the filing application of a signed contract of the caller's enterprise,
  submitted at once (201); refused with the Chinese reason (422).
* ``POST /api/v1/rental_contract_filing/<pk>/transition``: ``{"action", "reason"}``: accept /
  approve / return / reject (gov_reviewer only), resubmit / terminate (the applicant).
"""
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import can_see, current_user_obj
from app.core.views import can_view_full_pii, ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object
from app.extensions import db
from app.rental.contracts.models import RentalContract
from app.rental.filing import services


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


class ContractFilingApi(AnjuModelRestApi):
    resource_name = "rental_contract_filing"
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.FILING_TYPE]]
    base_permissions = ["can_get", "can_info", "can_apply", "can_transition"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "apply": "apply",
                              "transition": "transition"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "subject_id",
                                   "reason", "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at", "subject_id"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")
    extra_response_properties = {
        "status_label": {"type": "string", "description": "the state in Chinese"},
        "contract": {"type": "object", "description": "the contract now: number, filing status and number"},
    }

    run_commits = True

    def _mask(self, row):
        if not row:
            return
        payload = dict(row["payload"]) if isinstance(row.get("payload"), dict) else None
        super()._mask(row)
        if payload:
            row["payload"] = services.mask_payload(payload, can_view_full_pii())
        if row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))
        contract = db.session.get(RentalContract, row["subject_id"]) if row.get("subject_id") else None
        if contract is not None:
            row["contract"] = {"id": contract.id, "number": contract.number, "filing_status": contract.filing_status,
                               "filing_number": contract.filing_number,
                               "filed_at": contract.filed_at.isoformat() if contract.filed_at else None}

    @staticmethod
    def _result(item):
        contract = services.contract_of(item)
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label,
                "contract_number": contract.number if contract else None,
                "filing_status": contract.filing_status if contract else None,
                "filing_number": contract.filing_number if contract else None}

    @expose("/apply", methods=["POST"])
    @protect()
    @safe
    def apply(self):
        """Apply for the filing of a signed contract.
        ---
        post:
          summary: 申请备案 of a signed contract of the caller's enterprise (the agent who handled it or an
            enterprise administrator); one open filing per contract
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    contract_number: {type: string, description: "合同编号", example: "HT20260105000001"}
                    contract_id: {type: integer}
                example: {contract_number: "HT20260105000001"}
          responses:
            201:
              description: submitted; the application waits for a reviewer
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      number: {type: string}
                      status: {type: string}
                      status_label: {type: string}
                      contract_number: {type: string}
                      filing_status: {type: string}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {oneOf: [{type: string}, {type: object, additionalProperties: {type: array, items: {type: string}}}]}}}
        """
        def run():
            data = _json()
            user = current_user_obj()
            contract = None
            if data.get("contract_number"):
                contract = services.find_contract(user, str(data.get("contract_number"))[:32])
            elif str(data.get("contract_id") or "").isdigit() and len(str(data.get("contract_id"))) < 12:
                contract = db.session.get(RentalContract, int(data["contract_id"]))
                if contract is not None and (contract.org_id != getattr(user, "org_id", None)
                                             or not can_see(contract, user)):
                    contract = None
            if contract is None:
                raise DomainError(_("No contract of your enterprise has this number."))
            return self._result(services.apply(user, contract))
        return self._run(run, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move a filing application.
        ---
        post:
          summary: accept, approve, return or reject (gov_reviewer); resubmit or terminate (the applicant)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [action]
                  properties:
                    action: {type: string, enum: [accept, approve, return, reject, resubmit, terminate]}
                    reason: {type: string, maxLength: 2000, description: "required for return and reject"}
                example: {action: return, reason: "承租人证件扫描件不清晰"}
          responses:
            200: {description: "the new state; after approve the contract's filing number"}
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {oneOf: [{type: string}, {type: object, additionalProperties: {type: array, items: {type: string}}}]}}}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            data = _json()
            action = data.get("action")
            if not isinstance(action, str) or not action.strip():
                raise DomainError(_("Please choose the operation."))
            reason = data.get("reason")
            services.transition(item, action.strip(), current_user_obj(),
                                reason if isinstance(reason, str) else None)
            return self._result(item)
        return self._run(run)


def register(appbuilder):
    appbuilder.add_api(ContractFilingApi)
