"""房源核验 by REST (issue 14): ``/api/v1/listing_verification/``, for third-party platforms with
an API key (``Authorization: Bearer anju_...``, issued by sysadmin: apikeys.py, key_views.py)
and for signed-in console users with a token who hold the permission (agents, enterprises).

* ``POST /`` verifies a listing with the one ``verify()`` of the console (same fields, same
  result, same record); header ``Idempotency-Key`` makes a retried request answer the first
  result instead of verifying again. A key's calls are limited per minute (429 with
  ``Retry-After``); every call is audited (account, key prefix, fields with owners masked,
  result, replay).
* ``GET /`` pages the verifications in the caller's scope (a platform: its organisation's),
  owners masked; ``GET /<code>`` one of them by 房源识别码 (or id); 404 outside the scope.

Refusals: 400 for a body that is not a JSON object, 401 for a missing, wrong, revoked or expired
key or a disabled account, 403 without the permission, 422 for a malformed field (the Chinese
message names it), 429 over the rate limit.
"""
import re
from datetime import datetime

from flask import g, jsonify, make_response, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import masking
from app.core.errors import DomainError
from app.core.scope import current_user_obj, scope_clause
from app.extensions import db
from app.rental.verification import apikeys, services
from app.rental.verification.models import Channel, ListingVerification

IDEMPOTENCY_MAX = 80
TEXT_MAX = 200
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
PAGE_MAX = 100_000
# Visible ASCII (and spaces inside): what an HTTP header can carry without ambiguity.
_IDEMPOTENCY = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,24}$")


# --- the request ------------------------------------------------------------------------------

class BodyNotJson(Exception):
    pass


def _refuse(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def request_fields(data):
    """The body's fields, shaped for ``services.verify`` (which cleans and checks them): text
    where text is expected, a list of owner objects. DomainError names a field of the wrong
    type in Chinese."""
    if not isinstance(data, dict):
        raise BodyNotJson()
    fields = {}
    for key, label in (("region_code", _("Property region")), ("cert_type", _("Title document type")),
                       ("cert_no", _("Title certificate number"))):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise _refuse(label, _("must be text"))
        if value is not None and len(value) > TEXT_MAX:
            raise _refuse(label, _("may be at most %(n)s characters", n=TEXT_MAX))
        fields[key] = value
    owners = data.get("owners")
    if owners is not None and not isinstance(owners, list):
        raise _refuse(_("Owners"), _("must be a list of owners (name, id_type, id_number)"))
    if isinstance(owners, list):
        if len(owners) > services.MAX_OWNERS:
            raise _refuse(_("Owners"), _("at most %(n)s owners", n=services.MAX_OWNERS))
        shaped = []
        for index, raw in enumerate(owners, start=1):
            owner = _("Owner %(n)s", n=index)
            if not isinstance(raw, dict):
                raise _refuse(owner, _("must be an object with name, id_type and id_number"))
            item = {}
            for key, label in (("name", _("Owner name")), ("id_type", _("ID type")),
                               ("id_number", _("Owner ID number"))):
                value = raw.get(key)
                if value is not None and not isinstance(value, str):
                    raise _refuse(f"{owner} {label}", _("must be text"))
                if value is not None and len(value) > TEXT_MAX:
                    raise _refuse(f"{owner} {label}", _("may be at most %(n)s characters", n=TEXT_MAX))
                item[key] = value
            shaped.append(item)
        owners = shaped
    fields["owners"] = owners
    return fields


def idempotency_key():
    """The optional ``Idempotency-Key`` header (visible ASCII, at most 80 characters)."""
    value = request.headers.get("Idempotency-Key")
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > IDEMPOTENCY_MAX:
        raise _refuse("Idempotency-Key", _("may be at most %(n)s characters", n=IDEMPOTENCY_MAX))
    if not _IDEMPOTENCY.match(value):
        raise _refuse("Idempotency-Key", _("may hold only letters, digits and ASCII punctuation"))
    return value


def same_request(row, fields):
    """Whether a replayed idempotency key names the listing its first request named."""
    data = services.clean(fields)
    return (row.cert_type, row.cert_no, row.owners) == (data["cert_type"], data["cert_no"], data["owners"])


# --- the answers ------------------------------------------------------------------------------

def _json(status, payload):
    """A JSON answer (FAB's ``response(code, **kwargs)`` cannot carry a field named ``code``)."""
    response = make_response(jsonify(payload), status)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def _day(value):
    return value.isoformat() if value is not None else None


def result_out(row, replayed=None):
    """What a verification answers: the same result the console shows."""
    from app.rental.labels import VERIFICATION_RESULT_LABELS

    out = {
        "id": row.id,
        "code": row.code,
        "result": row.result,
        "result_label": str(VERIFICATION_RESULT_LABELS.get(row.result, row.result)),
        "reasons": services.reason_texts(row.reasons),
        "valid_until": _day(row.valid_until),
        "region_code": row.region_code,
    }
    if row.passed:
        out["address"] = row.address
    if replayed is not None:
        out["replayed"] = bool(replayed)
    return out


def row_out(row):
    """A verification in a list or by code: its result, the listing, the owners as the viewer
    may see them, the channel and time."""
    from app.rental.labels import CHANNEL_LABELS

    out = result_out(row)
    out.update({
        "cert_type": row.cert_type,
        "cert_no": row.cert_no,
        "owners": [{"name": masking.for_viewer("name", o.get("name")), "id_type": o.get("id_type"),
                    "id_number": masking.for_viewer("id_number", o.get("id_number"))}
                   for o in (row.owners or []) if isinstance(o, dict)],
        "channel": row.channel,
        "channel_label": str(CHANNEL_LABELS.get(row.channel, row.channel)),
        "created_on": row.created_on.isoformat(timespec="seconds") if row.created_on else None,
    })
    return out


# --- OpenAPI components -----------------------------------------------------------------------

_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": "string", "nullable": True}
OWNER_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": TEXT_MAX, "description": "产权人姓名", "example": "张三"},
        "id_type": {"type": "string", "maxLength": TEXT_MAX, "default": "resident_id",
                    "description": "证件类型 (dictionary id_type: resident_id, hk_macao_pass, taiwan_pass, passport)"},
        "id_number": {"type": "string", "maxLength": TEXT_MAX, "description": "产权人证件号",
                      "example": "500103198801010011"},
    },
    "required": ["name", "id_number"],
}
REQUEST_SCHEMA = {
    "type": "object",
    "description": "房源核验: the listing's certificate and the owners it names (every owner named must be a "
                   "registered owner of the certificate).",
    "properties": {
        "region_code": {"type": "string", "maxLength": TEXT_MAX,
                        "description": "房屋区域: a district or street code (GB/T 2260), e.g. 500103"},
        "cert_type": {"type": "string", "maxLength": TEXT_MAX,
                      "description": "证件类型 (dictionary property_cert_type: real_estate, house_ownership, "
                                     "purchase_contract)"},
        "cert_no": {"type": "string", "maxLength": TEXT_MAX, "description": "产权证号"},
        "owners": {"type": "array", "maxItems": services.MAX_OWNERS, "items": OWNER_SCHEMA,
                   "description": "产权人 (1 to 10)"},
    },
    "required": ["region_code", "cert_type", "cert_no", "owners"],
}
RESULT_PROPERTIES = {
    "id": {"type": "integer"},
    "code": dict(_NULLABLE_TEXT, description="房源识别码 (only when passed)"),
    "result": {"type": "string", "enum": ["passed", "failed"]},
    "result_label": dict(_TEXT, description="核验通过 / 核验未通过, in the caller's language"),
    "reasons": {"type": "array", "items": _TEXT, "description": "why it failed, in Chinese"},
    "valid_until": dict(_NULLABLE_TEXT, format="date", description="a passed verification is valid until"),
    "region_code": _TEXT,
    "address": dict(_NULLABLE_TEXT, description="the registered address (only when passed)"),
}
RESULT_SCHEMA = {
    "type": "object",
    "properties": {**RESULT_PROPERTIES,
                   "replayed": {"type": "boolean",
                                "description": "true: the answer of an earlier request with the same "
                                               "Idempotency-Key (nothing was verified again)"}},
    "required": ["id", "code", "result", "result_label", "reasons", "valid_until", "region_code"],
}
ROW_SCHEMA = {
    "type": "object",
    "properties": {
        **RESULT_PROPERTIES,
        "cert_type": _TEXT,
        "cert_no": _TEXT,
        "owners": {"type": "array", "items": {"type": "object", "properties": {
            "name": _NULLABLE_TEXT, "id_type": _NULLABLE_TEXT, "id_number": _NULLABLE_TEXT}},
            "description": "the owners named, masked unless the caller may see personal data"},
        "channel": {"type": "string", "enum": ["console", "api"]},
        "channel_label": _TEXT,
        # Local time without an offset (as every answer of the console sends): not RFC 3339 date-time.
        "created_on": dict(_NULLABLE_TEXT, format="local-date-time"),
    },
    "required": ["id", "code", "result", "reasons", "cert_type", "cert_no", "owners", "created_on"],
}
PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "result": {"type": "array", "items": {"$ref": "#/components/schemas/ListingVerificationRow"}},
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "has_more": {"type": "boolean", "description": "true: a next page exists"},
    },
    "required": ["result", "page", "page_size", "has_more"],
}
API_KEY_SCHEME = {
    "type": "http", "scheme": "bearer", "bearerFormat": "anju_<key>",
    "description": "平台接口密钥 for third-party platforms (accounts with the role api_client): "
                   "`Authorization: Bearer anju_...`. Keys are issued and revoked by the system administrator "
                   "(系统管理 → 平台接口密钥, or `flask rental issue-key`), shown once, stored hashed. A revoked or "
                   "expired key, or a disabled account, answers 401; calls per key per minute are limited "
                   "(parameter rental.api_calls_per_minute; 429 with Retry-After).",
}
JWT_SCHEME = {
    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
    "description": "A console user's access token from POST /api/v1/security/login.",
}


class ListingVerificationApi(BaseApi):
    resource_name = "listing_verification"
    # Its name on the role and permission screens (app/security/labels.py reads declared titles).
    title = _l("Listing verification API")
    allow_browser_login = False
    base_permissions = ["can_post", "can_get"]
    method_permission_name = {"post": "post", "get_list": "get", "get": "get"}
    openapi_spec_tag = "Listing verification"

    def add_apispec_components(self, api_spec):
        from apispec.exceptions import DuplicateComponentNameError

        super().add_apispec_components(api_spec)
        for name, schema in (("ListingVerificationRequest", REQUEST_SCHEMA),
                             ("ListingVerificationResult", RESULT_SCHEMA),
                             ("ListingVerificationRow", ROW_SCHEMA),
                             ("ListingVerificationPage", PAGE_SCHEMA)):
            try:
                api_spec.components.schema(name, schema)
            except DuplicateComponentNameError:
                pass
        # FAB's SecurityApi (registered before every module's API) defines the two schemes every
        # protected operation names; ours say what a platform needs to know. Never defined
        # here first: SecurityApi would then fail on the duplicate.
        schemes = api_spec.components.security_schemes
        for name, scheme in (("api_key", API_KEY_SCHEME), ("jwt", JWT_SCHEME)):
            if name in schemes:
                schemes[name] = dict(scheme)  # a copy: FAB shares one dict between jwt and jwt_refresh

    def response_401(self):
        from flask import current_app

        message = current_app.appbuilder.sm.api_key_refusal_message()
        if message:
            return self.response(401, message=message)
        return super().response_401()

    # --- per-key rate limit -----------------------------------------------------------------
    def _rate_limited(self):
        """429 when the calling key is over its calls per minute (JWT callers are not counted
        by key: the failure limit of verify() applies to every account)."""
        key = g.get("api_key")
        if not key:
            return None
        moment = datetime.now()
        try:
            over = apikeys.check_rate(key["id"], moment)
            if over is not None and over[0] == over[1] + 1:
                apikeys.rate_limit_hit(key, moment)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if over is None:
            return None
        _calls, limit, retry_after = over
        response = self.response(429, message=_(
            "Too many calls with this API key: at most %(n)s per minute. Please try again in %(s)s seconds.",
            n=limit, s=retry_after))
        response.headers["Retry-After"] = str(retry_after)
        return response

    # --- POST / ---------------------------------------------------------------------------------
    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Verify a listing (房源核验).
        ---
        post:
          summary: Verify a listing against the property registry (房源核验)
          description: >-
            The same check and record as the console's 房源核验: the certificate must be registered in
            the region chosen, every owner named must be a registered owner (name and ID number), and
            the property must be neither sealed (查封) nor mortgaged (抵押). A passed verification gets a
            房源识别码 valid for rental.verification_valid_days days; a failed one lists its reasons in
            Chinese. Send an `Idempotency-Key` header to retry safely: a repeated key answers the first
            result (`replayed: true`) without verifying again. Every call is audited.
          parameters:
          - in: header
            name: Idempotency-Key
            required: false
            schema:
              type: string
              maxLength: 80
            description: Any unique text of up to 80 visible ASCII characters, e.g. a UUID.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ListingVerificationRequest'
                examples:
                  one_owner:
                    summary: A listing with one owner
                    value:
                      region_code: '500103'
                      cert_type: real_estate
                      cert_no: 渝（2026）渝中区不动产权第000123号
                      owners:
                      - name: 张三
                        id_type: resident_id
                        id_number: '500103198801010011'
          responses:
            200:
              description: >-
                The verification's result (passed or failed; both are recorded).
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ListingVerificationResult'
                  examples:
                    passed:
                      summary: 核验通过
                      value:
                        id: 1024
                        code: FY260315ACDE3479
                        result: passed
                        result_label: 核验通过
                        reasons: []
                        valid_until: '2026-04-14'
                        region_code: '500103'
                        address: 重庆市渝中区解放碑街道民族路88号5-2
                        replayed: false
                    failed:
                      summary: 核验未通过
                      value:
                        id: 1025
                        code: null
                        result: failed
                        result_label: 核验未通过
                        reasons:
                        - 第2位产权人：姓名或证件号与登记的产权人不符。
                        - 该房屋已抵押，解除抵押前不得出租。
                        valid_until: null
                        region_code: '500103'
                        replayed: false
            400:
              $ref: '#/components/responses/400'
            401:
              description: >-
                No key or token, or a key that is wrong, revoked or expired, or whose account is
                disabled (e.g. 接口密钥已被吊销。).
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
                  example:
                    message: 接口密钥已被吊销。
            403:
              $ref: '#/components/responses/403'
            422:
              description: >-
                A malformed field, named in Chinese (nothing is recorded), an Idempotency-Key reused for
                another listing, or too many failed verifications by the account.
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        oneOf:
                        - type: string
                        - type: object
                          additionalProperties:
                            type: array
                            items:
                              type: string
                  example:
                    message: 产权人证件号：身份证号码校验位不正确
            429:
              description: Too many calls with this key in the current minute.
              headers:
                Retry-After:
                  description: Seconds until the next minute.
                  schema:
                    type: integer
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
                  example:
                    message: 该接口密钥调用过于频繁：每分钟最多60次，请在20秒后重试。
            500:
              $ref: '#/components/responses/500'
        """
        limited = self._rate_limited()
        if limited is not None:
            return limited
        user = current_user_obj()
        key = g.get("api_key")
        data = request.get_json(silent=True)
        idem = None
        try:
            idem = idempotency_key()
            fields = request_fields(data)
            moment = datetime.now()
            call = dict(channel=Channel.API, api_key_id=key["id"] if key else None, idempotency_key=idem)
            try:
                row = services.verify(fields, user, moment=moment, **call)
            except IntegrityError:
                # A concurrent request with the same Idempotency-Key was recorded first: its answer.
                db.session.rollback()
                row = services.verify(fields, user, moment=moment, **call)
            replayed = row.created_on != moment
            if replayed and not same_request(row, fields):
                raise _refuse("Idempotency-Key", _("was already used for another listing; use a new key"))
            apikeys.record_call(key, data, 200, verification=row, replayed=replayed, idempotency_key=idem)
            db.session.commit()
        except BodyNotJson:
            db.session.rollback()
            message = _("The request body must be a JSON object.")
            apikeys.record_call(key, None, 400, message=message, idempotency_key=idem)
            db.session.commit()
            return self.response(400, message=message)
        except DomainError as exc:
            db.session.rollback()
            apikeys.record_call(key, data, 422, message=str(exc), idempotency_key=idem)
            db.session.commit()
            return self.response_422(message=str(exc))
        return _json(200, result_out(row, replayed))

    # --- GET / ----------------------------------------------------------------------------------
    @staticmethod
    def _whole(name, default, low, high):
        value = request.args.get(name)
        if value is None or value == "":
            return default
        if not _DIGITS.match(value) or not low <= int(value) <= high:
            raise ValueError(name)
        return int(value)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Verifications in the caller's scope, newest first.
        ---
        get:
          summary: The verifications in the caller's scope (for a platform, its organisation's)
          description: Owners are masked unless the caller may see personal data.
          parameters:
          - in: query
            name: page
            required: false
            schema:
              type: integer
              minimum: 0
              maximum: 100000
              default: 0
          - in: query
            name: page_size
            required: false
            schema:
              type: integer
              minimum: 1
              maximum: 100
              default: 20
          - in: query
            name: result
            required: false
            schema:
              type: string
              enum: [passed, failed]
          responses:
            200:
              description: One page of verifications
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ListingVerificationPage'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            429:
              description: Too many calls with this API key in the current minute.
              headers:
                Retry-After:
                  schema:
                    type: integer
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            500:
              $ref: '#/components/responses/500'
        """
        limited = self._rate_limited()
        if limited is not None:
            return limited
        try:
            page = self._whole("page", 0, 0, PAGE_MAX)
            page_size = self._whole("page_size", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX)
        except ValueError:
            return self.response(400, message=_("The page number and page size must be whole numbers."))
        result = request.args.get("result") or None
        if result is not None and result not in ("passed", "failed"):
            return self.response(400, message=_("%(field)s: %(message)s", field=_("Verification result"),
                                                message=_("please choose one of the listed values")))
        stmt = select(ListingVerification)
        clause = scope_clause(ListingVerification, current_user_obj())
        if clause is not None:
            stmt = stmt.where(clause)
        if result:
            stmt = stmt.where(ListingVerification.result == result)
        rows = db.session.execute(stmt.order_by(ListingVerification.id.desc())
                                  .offset(page * page_size).limit(page_size + 1)).scalars().all()
        return self.response(200, result=[row_out(r) for r in rows[:page_size]], page=page, page_size=page_size,
                             has_more=len(rows) > page_size)

    # --- GET /<code> ----------------------------------------------------------------------------
    @expose("/<code>", methods=["GET"])
    @protect()
    @safe
    def get(self, code):
        """One verification by 房源识别码 (or by id).
        ---
        get:
          summary: One verification in the caller's scope, by its 房源识别码 or its id
          parameters:
          - in: path
            name: code
            required: true
            schema:
              type: string
              maxLength: 24
          responses:
            200:
              description: The verification
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        $ref: '#/components/schemas/ListingVerificationRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            429:
              description: Too many calls with this API key in the current minute.
              headers:
                Retry-After:
                  schema:
                    type: integer
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            500:
              $ref: '#/components/responses/500'
        """
        limited = self._rate_limited()
        if limited is not None:
            return limited
        text = (code or "").strip()
        if _DIGITS.match(text) and int(text) < 2 ** 31:
            where = ListingVerification.id == int(text)
        elif _CODE.match(text):
            where = ListingVerification.code == text.upper()
        else:
            return self.response_404()
        stmt = select(ListingVerification).where(where)
        clause = scope_clause(ListingVerification, current_user_obj())
        if clause is not None:
            stmt = stmt.where(clause)
        row = db.session.execute(stmt).scalars().first()
        if row is None:
            return self.response_404()
        return self.response(200, result=row_out(row))


def register(appbuilder):
    """The REST endpoint, sysadmin's key screens (key_views.py) and ``flask rental issue-key``."""
    from flask import current_app

    from app.rental.verification import key_views

    appbuilder.add_api(ListingVerificationApi)
    key_views.register(appbuilder)
    key_views.register_cli(current_app)
