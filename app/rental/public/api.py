"""REST ``rental_public`` (issue 14): the public part's services for apps and platforms, with
the rules of the pages (app/rental/public/services.py).

* ``GET  /api/v1/rental_public/templates``        合同范本: the newest active versions, with links;
* ``GET  /api/v1/rental_public/contract_check``   合同验证 by number + 校验码 (no login; rate-limited);
* ``POST /api/v1/rental_public/evaluations``      交易评价 (a real-name verified user);
* ``GET  /api/v1/rental_public/evaluations/mine`` the user's evaluations.
"""
from flask import request, url_for
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.accounts.api import _ip, _json
from app.core.rest import ServiceCalls
from app.core.scope import current_user_obj
from app.rental.public import services


def _template_out(t):
    f = services.template_file(t)
    return {"id": t.id, "code": t.code, "name": t.name, "version": t.version,
            "published_at": t.published_at.isoformat() if t.published_at else None,
            "notes": t.notes, "required_clauses": [c["label"] for c in t.required_clauses or []],
            "file_name": f.original_name if f is not None else None,
            "download_url": url_for("RentalServicesView.template_download", pk=t.id, _external=True)
            if f is not None else None}


def _evaluation_out(e):
    return {"id": e.id, "contract_number": e.contract.number, "party": e.party,
            "party_label": services.party_label(e.party), "transaction_score": e.transaction_score,
            "transaction_comment": e.transaction_comment, "execution_score": e.execution_score,
            "execution_comment": e.execution_comment, "created_on": e.created_on.isoformat()}


class RentalPublicApi(ServiceCalls, BaseApi):
    resource_name = "rental_public"
    allow_browser_login = False
    base_permissions = ["can_evaluate", "can_mine"]
    method_permission_name = {"evaluate": "evaluate", "mine": "mine"}
    openapi_spec_tag = "Rental public services"

    @expose("/templates", methods=["GET"])
    @safe
    def templates(self):
        """合同范本: the newest active version of each template (no login).
        ---
        get:
          summary: Contract templates (合同范本) with their download links
          responses:
            200:
              description: the templates
              content:
                application/json:
                  example: {"result": [{"id": 1, "code": "ZLHT-CQ", "name": "重庆市住房租赁合同（示范文本）", "version": 2,
                             "required_clauses": ["租金", "押金"], "file_name": "范本.docx",
                             "download_url": "https://example.invalid/rental/services/templates/1/file"}]}
        """
        return self.response(200, result=[_template_out(t) for t in services.newest_templates()])

    @expose("/contract_check", methods=["GET"])
    @safe
    def contract_check(self):
        """合同验证 by contract number and check code (no login; wrong pairs are limited per address).
        ---
        get:
          summary: A signed contract's status, term, filing, enterprise and district (nothing personal)
          parameters:
          - {in: query, name: number, required: true, schema: {type: string}, example: HT20260105000001}
          - {in: query, name: code, required: true, schema: {type: string}, example: ACDE34}
          responses:
            200:
              description: the contract's public facts
              content:
                application/json:
                  example: {"number": "HT20260105000001", "status": "signed", "status_label": "已签约",
                            "start_date": "2026-01-05", "end_date": "2027-01-04", "signed_date": "2026-01-05",
                            "filing_status": "filed", "filing_status_label": "已备案", "filing_number": "BA2026000001",
                            "enterprise": "重庆安居住房租赁有限公司", "district": "渝中区"}
            422: {description: "a wrong pair (one message whether the number exists or not), or too many wrong pairs"}
        """
        return self._run(lambda: services.check_contract(request.args.get("number", "")[:64],
                                                         request.args.get("code", "")[:32], _ip()))

    @expose("/evaluations", methods=["POST"])
    @protect()
    @safe
    def evaluate(self):
        """交易评价: bind the contract by number + check code, or by listing code, and score it.
        ---
        post:
          summary: Evaluate a transaction (a real-name verified tenant or owner; once per contract per party)
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    number: {type: string}
                    code: {type: string}
                    listing_code: {type: string, description: 房源识别码, instead of number and code}
                    transaction_score: {type: integer, minimum: 1, maximum: 5}
                    transaction_comment: {type: string}
                    execution_score: {type: integer, minimum: 1, maximum: 5}
                    execution_comment: {type: string}
                example: {"number": "HT20260105000001", "code": "ACDE34", "transaction_score": 5,
                          "execution_score": 4, "transaction_comment": "服务周到"}
          responses:
            201: {description: the evaluation}
            422: {description: refused, with the reason in Chinese}
        """
        return self._run(lambda: _evaluation_out(services.evaluate(current_user_obj(), _json(), ip=_ip())), 201)

    @expose("/evaluations/mine", methods=["GET"])
    @protect()
    @safe
    def mine(self):
        """The signed-in user's evaluations, newest first.
        ---
        get:
          summary: My transaction evaluations
          responses:
            200: {description: the list}
        """
        return self.response(200, result=[_evaluation_out(e) for e in services.my_evaluations(current_user_obj())])


def register(appbuilder):
    appbuilder.add_api(RentalPublicApi)
