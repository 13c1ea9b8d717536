"""Marshmallow schemas of the allocation REST resources (app/allocation/*/api.py): one
description of each request body (checked here for types and presence: 400 with a Chinese
message naming the field) and of each answer (for the OpenAPI document).

The rules themselves (window, code format, eligibility, who may do what) stay in the
services: a body that has the right shape but breaks a rule answers 422 with the service's
message. ``load(schema, data)`` is the one way the APIs read a body.
"""
import base64
import binascii
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app.allocation.filings.models import FILING_LABELS, HousingStatus, HukouType, MaritalStatus, Relation
from app.core.schemas import KEY_MAX, check_text, translate

TRANSITIONS = ("publish", "withdraw", "publicity", "freeze", "results")
# marshmallow's Length message speaks of characters: a list counts items.
ITEMS = _l("Give between {min} and {max} items.")


class BadRequest(Exception):
    """A body of the wrong shape: ``message`` names the first field, ``fields`` lists all."""

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.message = message
        self.fields = problems or {}


# --- fields --------------------------------------------------------------------------------

class Text(fields.String):
    """Text a user may store (no control characters); blank counts as missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        check_text(value)
        if self.required and not value.strip():
            raise ValidationError(_("This field is required."))
        return value


class Scalar(fields.String):
    """A value a person types: text, or a number sent as a JSON number (an amount, months).
    Handed to the service as text; the service says what is wrong with its value."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError(_("Must be text."))
        if isinstance(value, float) and value != value:  # NaN
            raise ValidationError(_("Must be a number."))
        value = str(value)
        check_text(value)
        return value


class Key(fields.Integer):
    """A record's id: a whole number a key column can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(1, KEY_MAX))
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(_("Must be a whole number."))
        return super()._deserialize(value, attr, data, **kwargs)


class LocalDateTime(fields.DateTime):
    """A date and time, stored as local time without an offset: a value with an offset is
    converted to the server's local time."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value.tzinfo is not None:
            try:
                value = value.astimezone().replace(tzinfo=None)
            except (OverflowError, ValueError):
                raise ValidationError(_("Not a valid date and time.")) from None
        if not 1900 <= value.year <= 9999:
            raise ValidationError(_("Not a valid date and time."))
        return value.replace(microsecond=0)


class Base64File(fields.String):
    """A file's content in base64 (standard alphabet, padding required)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(_("Not valid base64 content.")) from None


class StrictBoolean(fields.Boolean):
    """true or false only (no "yes", 1 ...)."""

    truthy = {True}
    falsy = {False}


# --- reading a body ---------------------------------------------------------------------------

class _Body(Schema):
    """Unknown fields are refused; ``labels`` names the fields in messages."""

    labels = {}

    class Meta:
        unknown = RAISE


def _label(schema, name):
    field = schema.fields.get(name) if schema is not None else None
    label = (type(schema).labels.get(name) if schema is not None else None)
    if label is None and field is not None:
        label = field.metadata.get("label")
    return str(label) if label is not None else str(name)


def _nested_schema(schema, name):
    field = schema.fields.get(name) if schema is not None else None
    if isinstance(field, fields.List):
        field = field.inner
    if isinstance(field, fields.Nested):
        return field.schema
    return None


def _flatten(schema, errors, path, out, texts):
    """(path text, message) pairs in the schema's field order."""
    if isinstance(errors, (list, tuple)):
        for message in errors:
            if isinstance(message, dict):
                _flatten(schema, message, path, out, texts)
            else:
                out.append((path, str(translate(message))))
        return
    if not isinstance(errors, dict):
        out.append((path, str(translate(errors))))
        return
    order = list(schema.fields) if schema is not None else []
    keys = sorted(errors, key=lambda k: (order.index(k) if k in order else len(order), str(k)))
    for key in keys:
        value = errors[key]
        if key == "_schema":
            _flatten(None, value, path, out, texts)
            continue
        label = _label(schema, key)
        here = _("%(parent)s, %(child)s", parent=path, child=label) if path else label
        nested = _nested_schema(schema, key)
        if isinstance(value, dict) and value and all(isinstance(i, int) for i in value):
            # A list's items: {index: errors}
            for index in sorted(value):
                item = _("%(field)s, item %(n)s", field=here, n=index + 1)
                _flatten(nested, value[index], item, out, texts)
        elif isinstance(value, dict):
            _flatten(nested, value, here, out, texts)
        else:
            _flatten(nested, value, here, out, texts)
        texts.setdefault(str(key), _keys_as_text(translate(value)))


def _keys_as_text(value):
    if isinstance(value, dict):
        return {str(k): _keys_as_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keys_as_text(v) for v in value]
    return str(value)


def load(schema_cls, data, partial=False):
    """The body ``data`` read by ``schema_cls``, or :class:`BadRequest` naming the first
    problem in Chinese (``%(field)s：%(message)s``)."""
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    schema = schema_cls(partial=partial)
    try:
        return schema.load(data)
    except ValidationError as exc:
        out, texts = [], {}
        _flatten(schema, exc.messages, "", out, texts)
        path, message = out[0] if out else ("", _("The request is not valid."))
        text = _("%(field)s: %(message)s", field=path, message=message) if path else message
        raise BadRequest(text, texts) from None


class NotFound(Exception):
    """A record the caller may not see, or that does not exist: 404 (never which of the two)."""


def body():
    """The request's JSON object ({} when the body is empty), or :class:`BadRequest`."""
    from flask import request

    if not request.get_data(cache=True):
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    return data


class Answers:
    """How the allocation APIs answer: ``fn()`` runs and commits; a body of the wrong shape
    answers 400 (the first problem named in ``message``, all of them in ``fields``), a broken
    rule 422 with the service's Chinese message, a record outside the caller's reach 404."""

    def _answer(self, fn, status=200):
        from sqlalchemy.exc import IntegrityError

        from app.core.errors import DomainError, conflict_message
        from app.core.validators import ValidationError as FieldError
        from app.extensions import db

        try:
            result = fn()
            db.session.commit()
        except NotFound:
            db.session.rollback()
            return self.response_404()
        except BadRequest as exc:
            db.session.rollback()
            return self.response(400, message=str(exc.message), fields=exc.fields)
        except (DomainError, FieldError) as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        except IntegrityError:
            db.session.rollback()
            return self.response_422(message=conflict_message())
        return self.response(status, **(result or {}))


#: OpenAPI text of the refusals every allocation endpoint may give (appended to docstrings).
REFUSALS = """
            400:
              description: the body has the wrong shape (a field missing, of the wrong type, unknown);
                message names the first field in Chinese, fields lists every problem
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message: {oneOf: [{type: string}, {type: object}]}
                      fields: {type: object, additionalProperties: true}
            401: {description: not signed in}
            403: {description: the caller's role may not do this}
            404: {description: not found, or outside the caller's scope (another applicant's, another region's)}
            422:
              description: refused by a rule, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {oneOf: [{type: string}, {type: object}]}}}
"""


def documented(fn):
    """Append :data:`REFUSALS` to an endpoint's OpenAPI text (its ``responses:`` comes last)."""
    fn.__doc__ = (fn.__doc__ or "").rstrip() + "\n" + REFUSALS
    return fn


# --- request bodies: staff ------------------------------------------------------------------

PLAN_LABELS = {
    "code": _l("Plan number"), "title": _l("Plan name"), "region_code": _l("Region"),
    "announcement": _l("Allocation announcement"), "reg_start": _l("Registration starts"),
    "reg_end": _l("Registration ends"), "contact_phone": _l("Service phone"), "contact_hours": _l("Service hours"),
    "contact_address": _l("Service address"),
}


class AllocationPlanIn(_Body):
    """配租计划 terms (a draft); a PUT may send only the fields it changes."""

    labels = PLAN_LABELS
    code = Text(required=True, validate=validate.Length(max=32),
                metadata={"description": "计划编号: letters, digits, - and _ (unique)", "example": "2026-01"})
    title = Text(required=True, validate=validate.Length(max=200), metadata={"description": "计划名称"})
    region_code = Text(allow_none=True, validate=validate.Length(max=12),
                       metadata={"description": "region of the plan: your own region (default) or a district in it"})
    announcement = Text(allow_none=True, validate=validate.Length(max=20000), metadata={"description": "《配租公告》"})
    reg_start = LocalDateTime(required=True, metadata={"description": "登记开始 (local time; an offset is converted)"})
    reg_end = LocalDateTime(required=True, metadata={"description": "登记结束 (local time; an offset is converted)"})
    contact_phone = Text(allow_none=True, validate=validate.Length(max=64), metadata={"description": "服务电话"})
    contact_hours = Text(allow_none=True, validate=validate.Length(max=128), metadata={"description": "服务时间"})
    contact_address = Text(allow_none=True, validate=validate.Length(max=255), metadata={"description": "服务地址"})


class AllocationTransitionIn(_Body):
    labels = {"action": _l("Operation")}
    action = fields.String(required=True, validate=validate.OneOf(TRANSITIONS), metadata={
        "description": "publish 发布 (draws S, publishes C) · withdraw 撤回 (before the window opens) · "
                       "publicity 资格公示 · freeze 冻结摇号池 · results 结果公示"})


class AllocationDrawIn(_Body):
    labels = {"entropy": _l("Public entropy E"), "witnesses": _l("Witnesses")}
    entropy = Text(required=True, validate=validate.Length(max=200),
                   metadata={"description": "公开随机数E: the digits drawn in public", "example": "305871"})
    witnesses = Text(allow_none=True, validate=validate.Length(max=500), metadata={"description": "见证人员"})


class AllocationReviewIn(_Body):
    labels = {"ids": _l("Registrations to review"), "approve": _l("Whether the review passes"),
              "reason": _l("Reason not passed")}
    ids = fields.List(Key(), required=True, validate=validate.Length(min=1, max=1000, error=ITEMS),
                      metadata={"description": "ids of registrations of ONE plan (all or nothing)"})
    approve = StrictBoolean(required=True, metadata={"description": "true 审核通过, false 不通过 (with reason)"})
    reason = Text(allow_none=True, validate=validate.Length(max=500),
                  metadata={"description": "不通过原因 (required when approve is false)"})


class AllocationAppealDecisionIn(_Body):
    labels = {"admit": _l("Whether the registration is admitted"), "reason": _l("Human review decision")}
    admit = StrictBoolean(required=True, metadata={
        "description": "true: admitted (the registration gets a 登记编号); false: the refusal is upheld"})
    reason = Text(required=True, validate=validate.Length(max=500), metadata={"description": "人工复核意见"})


# --- request bodies: the applicant ----------------------------------------------------------

class AllocationMemberIn(_Body):
    labels = {"name": _l("Name"), "id_type": _l("ID type"), "id_number": _l("ID number"),
              "relation": _l("Relation to the applicant"), "birth_date": _l("Date of birth"),
              "employer": _l("Employer"), "annual_income": _l("Annual income (yuan)")}
    name = Text(required=True, validate=validate.Length(max=64))
    id_type = Text(load_default="resident_id", validate=validate.Length(max=16),
                   metadata={"description": "resident_id (default) or another ID type of the accounts module"})
    id_number = Text(required=True, validate=validate.Length(max=32))
    relation = fields.String(required=True, validate=validate.OneOf(Relation.ALL))
    birth_date = Text(allow_none=True, validate=validate.Length(max=10),
                      metadata={"description": "YYYY-MM-DD; read from a resident ID number when there is one"})
    employer = Text(allow_none=True, validate=validate.Length(max=128))
    annual_income = Scalar(allow_none=True, validate=validate.Length(max=20),
                           metadata={"description": "yuan, e.g. 36000.00 (text or number)"})


class AllocationDocumentIn(_Body):
    labels = {"name": _l("File name"), "content": _l("File content (base64)")}
    name = Text(required=True, validate=validate.Length(max=200),
                metadata={"description": "file name with its type: .pdf, .jpg, .png", "example": "身份证.png"})
    content = Base64File(required=True, metadata={"description": "the file's bytes in base64"})


class AllocationFilingIn(_Body):
    """信息填报: the form's fields (filings.services.FIELDS), the family members, and new
    证件证明 files in base64 (added to those already on the filing)."""

    labels = {**{k: FILING_LABELS[k] for k in (
        "mobile", "address", "marital_status", "hukou_type", "hukou_district", "employer", "social_security_months",
        "annual_income", "housing_status", "owned_area", "current_residence", "birth_date", "members")},
        "documents": _l("ID and certificate documents")}
    mobile = Text(required=True, validate=validate.Length(max=20))
    address = Text(required=True, validate=validate.Length(max=255))
    marital_status = fields.String(required=True, validate=validate.OneOf(MaritalStatus.ALL))
    hukou_type = fields.String(required=True, validate=validate.OneOf(HukouType.ALL))
    hukou_district = Text(required=True, validate=validate.Length(max=12),
                          metadata={"description": "district code (6 digits) of 户籍 or 居住证", "example": "500105"})
    employer = Text(allow_none=True, validate=validate.Length(max=128))
    social_security_months = Scalar(required=True, validate=validate.Length(max=10),
                                    metadata={"description": "months of social insurance paid in the city"})
    annual_income = Scalar(required=True, validate=validate.Length(max=20),
                           metadata={"description": "household annual income in yuan (text or number)"})
    housing_status = fields.String(required=True, validate=validate.OneOf(HousingStatus.ALL))
    owned_area = Scalar(allow_none=True, validate=validate.Length(max=20),
                        metadata={"description": "㎡ of homes owned in the city (required when housing_status is owns)"})
    current_residence = Text(allow_none=True, validate=validate.Length(max=255))
    birth_date = Text(allow_none=True, validate=validate.Length(max=10),
                      metadata={"description": "YYYY-MM-DD; only for an applicant whose ID is not a resident ID"})
    members = fields.List(fields.Nested(AllocationMemberIn), load_default=list,
                          validate=validate.Length(max=50, error=_l("Give at most {max} items.")),
                          metadata={"description": "共同申请的家庭成员 (the applicant is not listed); replaces those stored"})
    documents = fields.List(fields.Nested(AllocationDocumentIn), load_default=list,
                            validate=validate.Length(max=10, error=_l("Give at most {max} items.")),
                            metadata={"description": "new 证件证明 files (base64), added to the filing's files; "
                                                     "a filing needs at least one file"})


class AllocationRegisterIn(_Body):
    labels = {"project_id": _l("Preferred project")}
    project_id = Key(allow_none=True, metadata={"description": "意向项目: a project of the plan (optional)"})


class AllocationAppealIn(_Body):
    labels = {"text": _l("Request for human review")}
    text = Text(required=True, validate=validate.Length(max=1000),
                metadata={"description": "why the automatic refusal should be reviewed by a person"})


# --- answers (documentation) ----------------------------------------------------------------

def _nullable(field):
    field.allow_none = True
    return field


class AllocationEvent(Schema):
    action = fields.String()
    action_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    reason = _nullable(fields.String())
    at = _nullable(fields.String(metadata={"description": "local time, ISO 8601"}))


class AllocationStaffEvent(AllocationEvent):
    actor_id = _nullable(fields.Integer())


class AllocationMemberOut(Schema):
    name = _nullable(fields.String())
    id_type = _nullable(fields.String())
    id_number = _nullable(fields.String())
    relation = _nullable(fields.String())
    birth_date = _nullable(fields.String())
    employer = _nullable(fields.String())
    annual_income = _nullable(fields.String())


class AllocationFilingValues(Schema):
    """A filing's values (the applicant's own: in full; in a staff answer: masked)."""

    name = _nullable(fields.String())
    id_type = _nullable(fields.String())
    id_number = _nullable(fields.String())
    mobile = _nullable(fields.String())
    address = _nullable(fields.String())
    marital_status = _nullable(fields.String())
    hukou_type = _nullable(fields.String())
    hukou_district = _nullable(fields.String())
    employer = _nullable(fields.String())
    social_security_months = _nullable(fields.Integer())
    annual_income = _nullable(fields.String())
    housing_status = _nullable(fields.String())
    owned_area = _nullable(fields.String())
    current_residence = _nullable(fields.String())
    birth_date = _nullable(fields.String())
    members = fields.List(fields.Nested(AllocationMemberOut))


class AllocationDocumentOut(Schema):
    token = fields.String()
    name = fields.String()
    size = _nullable(fields.Integer())
    url = fields.String(metadata={"description": "download address (the applicant and the staff who may see it)"})


class AllocationPlanBrief(Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    status = fields.String()
    status_label = fields.String()
    reg_start = _nullable(fields.String())
    reg_end = _nullable(fields.String())
    window = fields.String(metadata={"description": "before, open or after the registration window"})


class AllocationFilingOut(Schema):
    plan = fields.Nested(AllocationPlanBrief)
    source = fields.String(metadata={"description": "own (this plan's filing), previous (copied from your latest "
                                                    "filing: saved with its files on the first PUT) or new"})
    locked = fields.Boolean(metadata={"description": "true while you hold an active registration of the plan"})
    values = fields.Nested(AllocationFilingValues)
    documents = fields.List(fields.Nested(AllocationDocumentOut))


class AllocationRecord(Schema):
    """配租记录: one registration as its applicant reads it."""

    id = fields.Integer()
    number = _nullable(fields.String(metadata={"description": "登记编号 (none when refused by the screening)"}))
    plan_id = fields.Integer()
    plan_title = _nullable(fields.String())
    plan_status = _nullable(fields.String())
    project_id = _nullable(fields.Integer())
    project_name = _nullable(fields.String())
    status = fields.String(metadata={"description": "refused, appealed, appeal_denied, pending, approved, rejected, "
                                                    "cancelled"})
    status_label = fields.String()
    progress = fields.String(metadata={"description": "目前进度"})
    reasons = fields.List(fields.String(), metadata={"description": "why the screening refused it"})
    review_reason = _nullable(fields.String(metadata={"description": "不通过原因"}))
    appeal_text = _nullable(fields.String())
    appeal_reason = _nullable(fields.String())
    group_code = _nullable(fields.String())
    registered_at = _nullable(fields.String())
    cancelled_at = _nullable(fields.String())
    draw_rank = _nullable(fields.Integer())
    draw_order = _nullable(fields.Integer())
    draw_result = _nullable(fields.String())
    draw_result_label = _nullable(fields.String())
    created_on = _nullable(fields.String())
    may_cancel = fields.Boolean(metadata={"description": "取消登记 is possible now (POST /records/{reg_id}/cancel)"})
    may_request_review = fields.Boolean(metadata={
        "description": "申请人工复核 is possible now (POST /records/{reg_id}/appeal)"})


class AllocationRecordDetail(AllocationRecord):
    snapshot = _nullable(fields.Nested(AllocationFilingValues, metadata={"description": "the filing as screened"}))
    history = fields.List(fields.Nested(AllocationEvent))


class AllocationReviewed(Schema):
    """A registration after a staff decision (the applicant's name masked for the caller)."""

    id = fields.Integer()
    number = _nullable(fields.String())
    plan_id = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    name = fields.String()
    review_reason = _nullable(fields.String())
    appeal_reason = _nullable(fields.String())
    reviewed_at = _nullable(fields.String())
    plan_status = fields.String()
    plan_status_label = fields.String()


class AllocationProjectOut(Schema):
    id = fields.Integer()
    name = fields.String()
    district_code = fields.String()
    address = fields.String()
    intro = _nullable(fields.String())
    traffic = _nullable(fields.String())
    sort_order = _nullable(fields.Integer())
    homes = fields.Integer()
    unit_types = fields.List(fields.Dict())


class AllocationPoolOut(Schema):
    group_code = fields.String()
    group_name = fields.String()
    draw_order = fields.Integer()
    size = fields.Integer()
    list_hash = fields.String(metadata={"description": "SHA-256 of the frozen canonical list (hex)"})
    frozen_at = _nullable(fields.String())
    seed = _nullable(fields.String(metadata={"description": "after the draw"}))


class AllocationDrawOut(Schema):
    protocol = fields.String()
    secret = fields.String(metadata={"description": "S (hex), revealed by the draw"})
    entropy = fields.String(metadata={"description": "E, the public digits"})
    witnesses = _nullable(fields.String())
    drawn_at = _nullable(fields.String())
    drawn_by_fk = _nullable(fields.Integer())
    summary = _nullable(fields.Dict())


class AllocationLotteryOut(Schema):
    commitment = _nullable(fields.String(metadata={"description": "C = SHA-256(S), public once published"}))
    pools = fields.List(fields.Nested(AllocationPoolOut))
    draw = _nullable(fields.Nested(AllocationDrawOut, metadata={"description": "only after the draw"}))


class AllocationPlanOut(Schema):
    """A plan as the staff API answers it (never the secret S before the draw)."""

    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    status = fields.String()
    status_label = fields.String()
    region_code = fields.String()
    org_id = _nullable(fields.Integer())
    announcement = _nullable(fields.String())
    reg_start = _nullable(fields.String())
    reg_end = _nullable(fields.String())
    contact_phone = _nullable(fields.String())
    contact_hours = _nullable(fields.String())
    contact_address = _nullable(fields.String())
    published_at = _nullable(fields.String())
    publicity_from = _nullable(fields.String())
    publicity_until = _nullable(fields.String())
    frozen_at = _nullable(fields.String())
    drawn_at = _nullable(fields.String())
    results_from = _nullable(fields.String())
    results_until = _nullable(fields.String())
    window = fields.String()
    homes = fields.Integer()
    registrations = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                metadata={"description": "registrations by status"})
    projects = fields.List(fields.Nested(AllocationProjectOut))
    rules = fields.List(fields.Dict())
    groups = fields.List(fields.Dict())
    lottery = fields.Nested(AllocationLotteryOut)


COMPONENTS = (AllocationPlanIn, AllocationTransitionIn, AllocationDrawIn, AllocationReviewIn,
              AllocationAppealDecisionIn, AllocationFilingIn, AllocationRegisterIn, AllocationAppealIn,
              AllocationPlanOut, AllocationFilingOut, AllocationRecord, AllocationRecordDetail, AllocationStaffEvent,
              AllocationReviewed)


def stamp(value):
    """A datetime as the answers give it (ISO 8601 local time), None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
