"""REST resource ``rental_contract`` (合同网签 by REST; issue 14, SPEC §1 "contract submission by
REST"): the same services as the wizard's pages.

* ``GET /api/v1/rental_contract/`` and ``/<pk>``: contracts in the caller's scope (drafts
  included), tenants and lessors masked for a caller without the PII permission.
* ``POST /``: 受理网签 (a draft; optionally with a verification's 房源识别码 used at once);
  ``POST /<pk>/verification``, ``/details``, ``/tenants``, ``/matters``, ``/attachments``
  (multipart), ``/back``: the wizard's steps; ``/sign``, ``/cancel``; ``/revoke`` a signed
  contract with a reason.

A broken rule answers 422 with its Chinese message; a contract outside the caller's scope 404.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.core import masking
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.rental import labels
from app.rental.contracts import services
from app.rental.contracts.models import ContractTenant, RentalContract

FIELDS = ["id", "number", "status", "step", "origin", "verification_id", "cert_type", "cert_no", "address",
          "region_code", "street_code", "lessor_names", "rental_mode", "rented_part", "rent", "deposit",
          "payment_cycle", "start_date", "end_date", "purpose", "agreed_matters", "template_id", "org_id",
          "created_on", "signed_at", "cancelled_at", "revoked_at", "revoke_reason", "filing_status",
          "filing_number", "filed_at"]

_ERRORS = """
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese (naming the field)
              content:
                application/json:
                  schema: {type: object, properties: {message: {oneOf: [{type: string}, {type: object, additionalProperties: {type: array, items: {type: string}}}]}}}
"""


def _with_errors(fn):
    """Append the 404 and 422 answers to an endpoint's OpenAPI text."""
    fn.__doc__ = (fn.__doc__ or "").rstrip() + "\n" + _ERRORS
    return fn


def _body():
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."))
    return data


def _text(value):
    return value if isinstance(value, str) else ("" if value is None else str(value))


def tenant_out(tenant):
    return {"seq": tenant.seq, "name": masking.for_viewer("name", tenant.name), "id_type": tenant.id_type,
            "id_number": masking.for_viewer("id_number", tenant.id_number),
            "mobile": masking.for_viewer("mobile", tenant.mobile)}


def contract_out(contract):
    """One contract as every step answers it (people as the caller may see them)."""
    c = contract
    return {
        "id": c.id, "number": c.number, "check_code": c.check_code if c.number else None,
        "status": c.status, "status_label": services.status_label(c.status),
        "step": c.step, "step_label": services.step_label(c.step),
        "furthest_step": services.furthest_step(c) if c.status == "draft" else None,
        "verification_id": c.verification_id,
        "listing_code": c.verification.code if c.verification is not None else None,
        "address": c.address, "cert_no": c.cert_no, "region_code": c.region_code,
        "lessor_names": _lessors(c.lessor_names),
        "rental_mode": c.rental_mode, "rented_part": c.rented_part,
        "rent": f"{c.rent:.2f}" if c.rent is not None else None,
        "deposit": f"{c.deposit:.2f}" if c.deposit is not None else None,
        "payment_cycle": c.payment_cycle, "purpose": c.purpose,
        "start_date": c.start_date.isoformat() if c.start_date else None,
        "end_date": c.end_date.isoformat() if c.end_date else None,
        "agreed_matters": c.agreed_matters, "tenants": [tenant_out(t) for t in c.tenants],
        "attachments": [{"id": u.id, "name": u.original_name, "size": u.size}
                        for u in services.attachments_of(c)] if c.id else [],
        "signed_at": c.signed_at.isoformat() if c.signed_at else None,
        "filing_status": c.filing_status,
        "filing_status_label": str(labels.FILING_STATUS_LABELS.get(c.filing_status, c.filing_status)),
    }


def _lessors(value):
    return "、".join(masking.for_viewer("name", n) for n in (value or "").split("、") if n)


class RentalContractApi(AnjuModelRestApi):
    resource_name = "rental_contract"
    datamodel = ScopedInterface(RentalContract)
    base_permissions = ["can_get", "can_info", "can_post", "can_revoke"]
    method_permission_name = {
        "get_list": "get", "get": "get", "info": "info", "post": "post", "verification": "post",
        "details": "post", "tenants": "post", "matters": "post", "attachments": "post", "back": "post",
        "sign": "post", "cancel": "post", "revoke": "revoke",
    }
    include_route_methods = {"get", "get_list", "info", "post", "verification", "details", "tenants", "matters",
                             "attachments", "back", "sign", "cancel", "revoke"}
    list_columns = show_columns = FIELDS
    add_columns = ["template_id"]
    search_columns = ["number", "status", "step", "filing_status", "cert_no", "region_code", "signed_at",
                      "created_on"]
    order_columns = ["id", "signed_at", "created_on"]
    base_order = ("id", "desc")
    extra_response_properties = {
        "lessor_names": {"type": "string", "description": "the owners letting the property (masked names)"},
        # Money as text with two decimals (as stored), never a float.
        "rent": {"type": "string", "nullable": True, "description": "monthly rent in yuan, e.g. 2500.00"},
        "deposit": {"type": "string", "nullable": True, "description": "deposit in yuan, e.g. 2500.00"},
        "tenants": {"type": "array", "items": {"type": "object", "properties": {
            "seq": {"type": "integer"}, "name": {"type": "string"}, "id_type": {"type": "string"},
            "id_number": {"type": "string"}, "mobile": {"type": "string"}}}},
    }

    # --- reading: tenants added, people masked ---
    def _add_tenants(self, rows):
        ids = [r.get("id") for r in rows if r.get("id") is not None]
        if not ids:
            return
        found = {}
        for t in db.session.execute(select(ContractTenant).where(ContractTenant.contract_id.in_(ids))
                                    .order_by(ContractTenant.contract_id, ContractTenant.seq)).scalars():
            found.setdefault(t.contract_id, []).append(tenant_out(t))
        for r in rows:
            r["tenants"] = found.get(r.get("id"), [])

    def _lessor_rows(self, rows, raw):
        for r in rows:
            if r.get("id") in raw:
                r["lessor_names"] = _lessors(raw[r["id"]])

    def _raw_lessors(self, ids):
        if not ids:
            return {}
        return dict(db.session.execute(select(RentalContract.id, RentalContract.lessor_names)
                                       .where(RentalContract.id.in_(ids))).all())

    def pre_get(self, data):
        super().pre_get(data)
        row = data.get("result")
        if row is not None:
            row["id"] = data.get("id")
            self._add_tenants([row])
            self._lessor_rows([row], self._raw_lessors([row["id"]]))

    def pre_get_list(self, data):
        super().pre_get_list(data)
        rows = data.get("result") or []
        self._add_tenants(rows)
        self._lessor_rows(rows, self._raw_lessors([r.get("id") for r in rows if r.get("id") is not None]))

    # --- the steps ---
    def _one(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    def _run(self, fn, status=200):
        try:
            result = fn()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        except StaleDataError:
            db.session.rollback()
            return self.response_422(message=_(
                "The contract was changed by someone else meanwhile; please check it and try again."))
        return self.response(status, id=result.id, result=contract_out(result))

    def _step(self, pk, call):
        contract = self._one(pk)
        if contract is None:
            return self.response_404()

        def run():
            call(contract, current_user_obj())
            return contract
        return self._run(run)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Start a contract (受理网签).
        ---
        post:
          summary: 受理网签 - a new draft of the caller's enterprise; with listing_code the verification is used at once
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    template_id: {type: integer, description: "an active contract template (default: the newest)"}
                    listing_code: {type: string, description: "房源识别码 of a valid verification of your enterprise"}
                  example: {listing_code: FY260101ACDEFGHJ}
          responses:
            201:
              description: the draft, at the step it stands on
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
            422:
              description: refused, with the reason in Chinese (naming the field)
              content:
                application/json:
                  schema: {type: object, properties: {message: {oneOf: [{type: string}, {type: object, additionalProperties: {type: array, items: {type: string}}}]}}}
        """
        def run():
            data = _body()
            user = current_user_obj()
            contract = services.start(user, data.get("template_id") or None)
            code = _text(data.get("listing_code")).strip()
            if code:
                services.use_verification(contract, user, code=code)
            return contract
        return self._run(run, 201)

    @expose("/<int:pk>/verification", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def verification(self, pk):
        """房源核验 step.
        ---
        post:
          summary: use a valid verification by its 房源识别码 (code), or verify the listing now (the verification
            fields); a failed verification is recorded and answers 422 with its reasons
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    code: {type: string, description: 房源识别码}
                    region_code: {type: string, description: "房屋区域 (district code)"}
                    cert_type: {type: string, description: "证件类型 (dictionary property_cert_type)"}
                    cert_no: {type: string, description: 产权证号}
                    owners:
                      type: array
                      items:
                        type: object
                        required: [name, id_number]
                        properties: {name: {type: string}, id_type: {type: string}, id_number: {type: string}}
                  example: {region_code: "500103", cert_type: real_estate, cert_no: "渝（2026）渝中区不动产权第000001号",
                            owners: [{name: 张三, id_type: resident_id, id_number: "500103198801010011"}]}
          responses:
            200:
              description: the draft, now at 合同详细信息
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        contract = self._one(pk)
        if contract is None:
            return self.response_404()
        try:
            data = _body()
            user = current_user_obj()
            code = _text(data.get("code")).strip()
            if code:
                services.use_verification(contract, user, code=code)
                verification = None
            else:
                verification = services.verify_listing(contract, user, {
                    "region_code": _text(data.get("region_code")), "cert_type": _text(data.get("cert_type")),
                    "cert_no": _text(data.get("cert_no")), "owners": data.get("owners")})
            # A failed attempt is recorded too (it counts towards the limit on failures).
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        if verification is not None and not verification.passed:
            from app.rental.verification import services as verifications

            reasons = verifications.reason_texts(verification.reasons)
            return self.response(422, message=_("The listing did not pass verification.") + "；".join(reasons),
                                 reasons=reasons, verification_id=verification.id)
        return self.response(200, id=contract.id, result=contract_out(contract))

    @expose("/<int:pk>/details", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def details(self, pk):
        """合同详细信息 step.
        ---
        post:
          summary: rent, deposit, payment cycle, purpose, term and the rented part
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [rent, deposit, payment_cycle, purpose, start_date, end_date]
                  properties:
                    rent: {type: string, description: "月租金 in yuan, e.g. 2500.00"}
                    deposit: {type: string, description: 押金 in yuan}
                    payment_cycle: {type: string, description: "dictionary rent_payment_cycle (monthly ...)"}
                    purpose: {type: string, description: "dictionary rental_purpose (residence ...)"}
                    start_date: {type: string, format: date}
                    end_date: {type: string, format: date}
                    rental_mode: {type: string, enum: [whole, part]}
                    rented_part: {type: string, description: "出租部位, required when rental_mode is part"}
          responses:
            200:
              description: the draft, now at 承租人信息
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, lambda c, u: services.save_details(
            c, u, {k: _text(v) for k, v in _body().items()}))

    @expose("/<int:pk>/tenants", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def tenants(self, pk):
        """承租人信息 step.
        ---
        post:
          summary: one or more tenants (replaces those stored); a masked value sent back unchanged keeps the stored one
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [tenants]
                  properties:
                    tenants:
                      type: array
                      items:
                        type: object
                        required: [name, id_number, mobile]
                        properties: {seq: {type: integer}, name: {type: string}, id_type: {type: string},
                                     id_number: {type: string}, mobile: {type: string}}
          responses:
            200:
              description: the draft, now at 双方约定事项
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        def call(contract, user):
            rows = _body().get("tenants")
            if isinstance(rows, list):
                rows = [{k: _text(v) for k, v in r.items()} if isinstance(r, dict) else r for r in rows]
                rows = services.unmask_tenants(contract, rows)
            services.save_tenants(contract, user, rows)
        return self._step(pk, call)

    @expose("/<int:pk>/matters", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def matters(self, pk):
        """双方约定事项 step.
        ---
        post:
          summary: the matters both parties agreed (may be empty)
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [text]
                  properties: {text: {type: string, maxLength: 5000}}
          responses:
            200:
              description: the draft, now at 要件上传
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, lambda c, u: services.save_matters(c, u, _text(_body().get("text"))))

    @expose("/<int:pk>/attachments", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def attachments(self, pk):
        """要件上传 step.
        ---
        post:
          summary: upload PDF or image files (field files); with done=1 (and at least one document) the step is finished
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    files: {type: array, items: {type: string, format: binary}}
                    done: {type: string, enum: ["0", "1"]}
          responses:
            200:
              description: the draft with its documents
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        files = [f for f in request.files.getlist("files") if f and f.filename]
        done = request.form.get("done") in ("1", "true")

        def call(contract, user):
            if files or not done:
                services.add_attachments(contract, user, files)
            if done:
                services.confirm_attachments(contract, user)
        return self._step(pk, call)

    @expose("/<int:pk>/back", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def back(self, pk):
        """返回上一步.
        ---
        post:
          summary: the previous step; everything entered stays
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {type: object}
          responses:
            200:
              description: the draft at the previous step
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, services.go_back)

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def sign(self, pk):
        """签约.
        ---
        post:
          summary: sign a complete draft - a contract number and a check code; the tenants get a text message
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {type: object}
          responses:
            200:
              description: the signed contract
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, services.sign)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def cancel(self, pk):
        """取消.
        ---
        post:
          summary: give up a draft (kept as 已取消)
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {type: object}
          responses:
            200:
              description: the cancelled contract
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, services.cancel)

    @expose("/<int:pk>/revoke", methods=["POST"])
    @protect()
    @safe
    @_with_errors
    def revoke(self, pk):
        """撤销.
        ---
        post:
          summary: end a signed contract by agreement of both parties; the tenants get a text message
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reason]
                  properties: {reason: {type: string, maxLength: 500}}
          responses:
            200:
              description: the revoked contract
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, result: {type: object}}}
        """
        return self._step(pk, lambda c, u: services.revoke(c, u, _text(_body().get("reason"))))


def register(appbuilder):
    appbuilder.add_api(RentalContractApi)
