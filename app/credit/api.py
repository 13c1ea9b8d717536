"""REST resources of the credit module, with the same services and rules as the pages:

* ``credit_rule``: 记分标准. Staff with API read list and read them; gov_admin adds (POST) and
  changes (PUT) them. A change of a rule in use writes the next version: the answer then
  carries the NEW version's id and body. No DELETE.
* ``credit_record``: 信用记录 in the caller's scope (an enterprise its own, once public);
  ``POST /`` is a 记分申请; ``POST /<pk>/transition`` the reviewer's and applicant's steps;
  ``POST /<pk>/object`` the enterprise's objection during publicity.
* ``credit_list``: 红黑名单 entries; ``POST /`` a proposal (gov_admin); ``/<pk>/transition``;
  ``/<pk>/object``; ``/<pk>/repair`` 信用修复 by the black-listed enterprise.
* ``credit_score``: read-only scores and levels by enterprise id, with the red/black list
  status (helpdesk reads every enterprise's; an enterprise only its own).

A broken rule answers 422 with its Chinese message; a row outside the caller's scope 404.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as MaValidationError
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.schemas import KEY_MAX
from app.core.scope import current_user_obj, scope_clause
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.credit import rules, scoring, services
from app.credit.models import (
    CreditListEntry,
    CreditRecord,
    CreditRule,
    CreditScore,
    ListStatus,
    ListType,
)
from app.credit.views.lists import FilterVisibleToEnterprise
from app.extensions import db
from app.system.models import Organization, OrgType

TEXT_MAX = services.MAX_TEXT

# --- request bodies ---------------------------------------------------------------------------


def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."))
    return data


def _text(data, key, label, required=False):
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(_("Please fill in %(field)s.", field=label))
        return None
    if not isinstance(value, str):
        raise DomainError(_("%(field)s must be text.", field=label))
    if len(value) > TEXT_MAX:
        raise DomainError(_("%(field)s may be at most %(n)s characters.", field=label, n=TEXT_MAX))
    return value


def _whole(data, key, label, required=False, low=None, high=None):
    """A whole number given as a number or as digits; None when absent and not required."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise DomainError(_("Please fill in %(field)s.", field=label))
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not (isinstance(text, int) or (isinstance(text, str) and text.lstrip("-").isdigit()
                                                                   and len(text) <= 10)):
        raise DomainError(_("%(field)s must be a whole number.", field=label))
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        raise DomainError(_("%(field)s must be a whole number.", field=label))
    return number


def _key(data, key, label, required=True):
    return _whole(data, key, label, required=required, low=1, high=KEY_MAX)


def _action(data):
    value = data.get("action")
    if not isinstance(value, str) or not value.strip():
        raise DomainError(_("Please choose the operation."))
    return value.strip()


class _Answers:
    """DomainError and marshmallow errors answer 422 with the message; the transaction rolls back."""

    def _run(self, fn, ok_status=200):
        try:
            result = fn()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        except MaValidationError as exc:
            db.session.rollback()
            return self.response_422(message=exc.messages)
        return self.response(ok_status, **(result or {}))

    def _one(self, pk):
        return self.datamodel.get(pk, self._base_filters)


class _Steps:
    """The bodies of the transition and objection endpoints of records and list entries (each
    endpoint keeps its own OpenAPI text)."""

    def _step(self, pk, out):
        item = self._one(pk)
        if item is None:
            return self.response_404()

        def run():
            data = _body()
            services.act(item, _action(data), current_user_obj(), _text(data, "reason", _("Reason")))
            return {"id": item.id, "result": out(item)}
        return self._run(run)

    def _object(self, pk):
        item = self._one(pk)
        if item is None:
            return self.response_404()

        def run():
            data = _body()
            objection = services.object_to(item, current_user_obj(),
                                           _text(data, "reason", _("Reasons for the objection"), required=True))
            return {"id": objection.id, "result": objection_out(objection, item)}
        return self._run(run, 201)


def _stamp(value):
    return value.isoformat() if value is not None else None


def record_out(record):
    return {"id": record.id, "number": record.number, "org_id": record.org_id, "rule_id": record.rule_id,
            "score_type": record.score_type, "score": record.score, "status": record.status,
            "status_label": services.label_of(services.RECORD_STATUS_LABELS, record.status),
            "publicity_until": _stamp(record.publicity_until), "effective_until": _stamp(record.effective_until)}


def entry_out(entry):
    return {"id": entry.id, "number": entry.number, "org_id": entry.org_id, "list_type": entry.list_type,
            "status": entry.status, "status_label": services.label_of(services.LIST_STATUS_LABELS, entry.status),
            "valid_months": entry.valid_months, "publicity_until": _stamp(entry.publicity_until),
            "valid_from": _stamp(entry.valid_from), "valid_until": _stamp(entry.valid_until)}


def objection_out(objection, subject):
    return {"id": objection.id, "number": objection.number, "status": objection.status,
            "subject_id": subject.id, "subject_status": subject.status}


# --- 记分标准 ----------------------------------------------------------------------------------

RULE_FIELDS = ["id", "code", "version", "is_current", *rules.FIELDS, "created_on", "changed_on"]


class CreditRuleApi(_Answers, AnjuModelRestApi):
    resource_name = "credit_rule"
    datamodel = ScopedInterface(CreditRule)
    base_permissions = ["can_get", "can_info", "can_post", "can_put"]
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    list_columns = show_columns = RULE_FIELDS
    add_columns = ["code", *rules.FIELDS]
    edit_columns = list(rules.FIELDS)
    search_columns = ["code", "category", "score_type", "operation", "severity", "is_current", "enabled",
                      "effective_from"]
    order_columns = ["id", "code", "version", "effective_from"]
    base_order = ("code", "asc")

    def pre_add(self, item):
        super().pre_add(item)
        rules.check_new(item)

    def put_headless(self, pk):
        """Change a rule: in place while no record uses it, else as its next version (whose
        id and body are returned)."""
        item = self._one(pk)
        if item is None:
            return self.response_404()

        def run():
            data = self._merge_update_item(item, dict(_body()))
            data = {k: v for k, v in data.items() if k in self.edit_columns}
            # No autoflush: a query inside the checks must not write the new values into the
            # old row before save_edit has read which columns changed.
            with db.session.no_autoflush:
                loaded = self.edit_model_schema.load(data, instance=item)
                saved = rules.save_edit(loaded)
            return {"id": saved.id, "result": self.show_model_schema.dump(saved)}
        return self._run(run)


# --- 信用记录 ----------------------------------------------------------------------------------

RECORD_FIELDS = ["id", "number", "org_id", "org.name", "region_code", "rule_id", "rule.code", "rule.version",
                 "rule.item", "score_type", "score", "severity", "facts", "event_date", "status", "origin",
                 "applicant_name", "submitted_at", "decided_at", "reason", "publicity_from", "publicity_until",
                 "effective_from", "effective_until"]


class CreditRecordApi(_Steps, _Answers, AnjuModelRestApi):
    resource_name = "credit_record"
    datamodel = ScopedInterface(CreditRecord)
    base_filters = [["status", FilterVisibleToEnterprise, None]]
    base_permissions = ["can_get", "can_info", "can_propose", "can_transition", "can_object"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "post": "propose",
                              "transition": "transition", "objection": "object"}
    include_route_methods = {"get", "get_list", "info", "post", "transition", "objection"}
    list_columns = show_columns = RECORD_FIELDS
    add_columns = ["org_id", "rule_id", "score", "facts", "event_date"]
    search_columns = ["number", "org_id", "rule_id", "score_type", "status", "origin", "event_date",
                      "submitted_at", "publicity_until", "effective_until"]
    order_columns = ["id", "submitted_at", "event_date", "publicity_until"]
    base_order = ("id", "desc")

    def post_headless(self):
        """记分申请 (JSON: org_id, rule_id, score, facts, event_date); waits for a reviewer."""
        def run():
            data = _body()
            record = services.propose_record(current_user_obj(), {
                "org_id": _key(data, "org_id", _("Enterprise")),
                "rule_id": _key(data, "rule_id", _("Scoring standard")),
                "score": _whole(data, "score", _("Score"), low=-10 ** 6, high=10 ** 6),
                "facts": _text(data, "facts", _("Facts"), required=True),
                "event_date": _text(data, "event_date", _("Date of the event"), required=True),
            })
            return {"id": record.id, "result": record_out(record)}
        return self._run(run, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move a credit record.
        ---
        post:
          summary: approve, return or reject (reviewers); resubmit or terminate (the applicant);
            uphold or withdraw after an objection (reviewers); revoke (city administrators)
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
                    action: {type: string, enum: [approve, return, reject, resubmit, terminate, uphold, withdraw,
                      revoke]}
                    reason: {type: string, maxLength: 2000, description: "required for return, reject, uphold,
                      withdraw and revoke"}
          responses:
            200:
              description: the record after the step
              content:
                application/json:
                  schema:
                    type: object
                    properties: {id: {type: integer}, result: {type: object}}
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {description: "the reason in Chinese (per field
                    for a malformed body)", oneOf: [{type: string}, {type: object}]}}}
        """
        return self._step(pk, record_out)

    @expose("/<int:pk>/object", methods=["POST"])
    @protect()
    @safe
    def objection(self, pk):
        """Object to a credit record in publicity.
        ---
        post:
          summary: 异议 by the enterprise concerned, once, while the record is in publicity
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
                  required: [reason]
                  properties:
                    reason: {type: string, maxLength: 2000}
          responses:
            201:
              description: the objection; the record is now under objection
              content:
                application/json:
                  schema:
                    type: object
                    properties: {id: {type: integer}, result: {type: object}}
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {description: "the reason in Chinese (per field
                    for a malformed body)", oneOf: [{type: string}, {type: object}]}}}
        """
        return self._object(pk)


# --- 红黑名单 ----------------------------------------------------------------------------------

LIST_FIELDS = ["id", "number", "org_id", "org.name", "region_code", "list_type", "reason", "basis", "rule_id",
               "record_ids", "status", "origin", "valid_months", "publicity_from", "publicity_until", "valid_from",
               "valid_until", "applicant_name", "submitted_at", "decided_at", "end_reason", "ended_at"]


class CreditListApi(_Steps, _Answers, AnjuModelRestApi):
    resource_name = "credit_list"
    datamodel = ScopedInterface(CreditListEntry)
    base_filters = [["status", FilterVisibleToEnterprise, None]]
    base_permissions = ["can_get", "can_info", "can_propose", "can_transition", "can_object", "can_repair"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "post": "propose",
                              "transition": "transition", "objection": "object", "repair": "repair"}
    include_route_methods = {"get", "get_list", "info", "post", "transition", "objection", "repair"}
    list_columns = show_columns = LIST_FIELDS
    add_columns = ["org_id", "list_type", "reason", "basis", "valid_months", "rule_id"]
    search_columns = ["number", "org_id", "list_type", "status", "origin", "valid_until", "submitted_at"]
    order_columns = ["id", "submitted_at", "valid_until"]
    base_order = ("id", "desc")

    def post_headless(self):
        """A red or black list proposal by a city administrator (JSON: org_id, list_type,
        reason, basis, valid_months, rule_id); waits for a reviewer."""
        def run():
            data = _body()
            list_type = _text(data, "list_type", _("List type"), required=True)
            if list_type not in ListType.ALL:
                raise DomainError(_("Please choose the red list or the black list."))
            entry = services.propose_list_entry(current_user_obj(), {
                "org_id": _key(data, "org_id", _("Enterprise")),
                "list_type": list_type,
                "reason": _text(data, "reason", _("Reason for listing"), required=True),
                "basis": _text(data, "basis", _("Basis")),
                "valid_months": _whole(data, "valid_months", _("Validity (months)"), low=-10 ** 6, high=10 ** 6),
                "rule_id": _key(data, "rule_id", _("Scoring standard"), required=False),
            })
            return {"id": entry.id, "result": entry_out(entry)}
        return self._run(run, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move a red or black list entry.
        ---
        post:
          summary: approve or reject a proposal, uphold or withdraw after an objection (reviewers);
            cancel (注销, city administrators)
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
                    action: {type: string, enum: [approve, reject, uphold, withdraw, cancel]}
                    reason: {type: string, maxLength: 2000, description: "required except for approve"}
          responses:
            200:
              description: the entry after the step
              content:
                application/json:
                  schema:
                    type: object
                    properties: {id: {type: integer}, result: {type: object}}
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {description: "the reason in Chinese (per field
                    for a malformed body)", oneOf: [{type: string}, {type: object}]}}}
        """
        return self._step(pk, entry_out)

    @expose("/<int:pk>/object", methods=["POST"])
    @protect()
    @safe
    def objection(self, pk):
        """Object to a red or black list entry in publicity.
        ---
        post:
          summary: 异议 by the enterprise concerned, once, while the entry is in publicity
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
                  required: [reason]
                  properties:
                    reason: {type: string, maxLength: 2000}
          responses:
            201:
              description: the objection; the entry is now under objection
              content:
                application/json:
                  schema:
                    type: object
                    properties: {id: {type: integer}, result: {type: object}}
            404: {description: not found or outside your scope}
            422:
              description: refused, with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {description: "the reason in Chinese (per field
                    for a malformed body)", oneOf: [{type: string}, {type: object}]}}}
        """
        return self._object(pk)

    @expose("/<int:pk>/repair", methods=["POST"])
    @protect()
    @safe
    def repair(self, pk):
        """Apply for credit repair of a black list entry in effect.
        ---
        post:
          summary: 信用修复 by the black-listed enterprise after the minimum period; a reviewer decides
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
                  required: [statement]
                  properties:
                    statement: {type: string, maxLength: 2000, description: the rectification}
          responses:
            201:
              description: the repair application, waiting for a reviewer
              content:
                application/json:
                  schema:
                    type: object
                    properties: {id: {type: integer}, result: {type: object}}
            404: {description: not found or outside your scope}
            422:
              description: refused (e.g. not yet allowed), with the reason in Chinese
              content:
                application/json:
                  schema: {type: object, properties: {message: {description: "the reason in Chinese (per field
                    for a malformed body)", oneOf: [{type: string}, {type: object}]}}}
        """
        item = self._one(pk)
        if item is None:
            return self.response_404()

        def run():
            data = _body()
            repair = services.apply_repair(item, current_user_obj(),
                                           _text(data, "statement", _("Rectification"), required=True))
            return {"id": repair.id, "result": {"id": repair.id, "number": repair.number, "status": repair.status,
                                                "entry_id": item.id}}
        return self._run(run, 201)


# --- 企业信用 ----------------------------------------------------------------------------------

SCORE_FIELDS = ["org_id", "org.name", "org.credit_code", "region_code", "score", "level", "bonus", "deduction",
                "level_since", "computed_at"]
_LIST_STATUS = {"type": "string", "nullable": True,
                "description": "publicity, objected or effective: the entry in publicity or in effect; null: none"}


def list_status(org_ids):
    """{org_id: {"red_list": status, "black_list": status}} of the entries in publicity or effect."""
    out = {org_id: {"red_list": None, "black_list": None} for org_id in org_ids}
    if not out:
        return out
    rows = db.session.execute(select(CreditListEntry.org_id, CreditListEntry.list_type, CreditListEntry.status)
                              .where(CreditListEntry.org_id.in_(list(out)),
                                     CreditListEntry.status.in_(ListStatus.PUBLIC))
                              .order_by(CreditListEntry.id))
    for org_id, list_type, status in rows:
        out[org_id]["black_list" if list_type == ListType.BLACK else "red_list"] = status
    return out


class CreditScoreApi(_Answers, AnjuModelRestApi):
    resource_name = "credit_score"
    datamodel = ScopedInterface(CreditScore)
    base_permissions = ["can_get", "can_info"]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = SCORE_FIELDS
    search_columns = ["org_id", "level", "score", "region_code", "computed_at"]
    order_columns = ["org_id", "score", "level", "computed_at"]
    base_order = ("org_id", "asc")
    label_columns = {"score": _l("Credit score"), "level": _l("Credit level"), "bonus": _l("Bonus"),
                     "deduction": _l("Deduction"), "level_since": _l("Level since"),
                     "computed_at": _l("Computed at"), "org_id": _l("Enterprise"), "org.name": _l("Enterprise"),
                     "org.credit_code": _l("Unified social credit code")}
    extra_response_properties = {"red_list": _LIST_STATUS, "black_list": _LIST_STATUS}

    def pre_get(self, data):
        super().pre_get(data)
        row = data.get("result")
        if row:
            row.update(list_status([data.get("id")]).get(data.get("id"), {}))

    def pre_get_list(self, data):
        super().pre_get_list(data)
        rows = data.get("result") or []
        found = list_status([r.get("org_id") for r in rows if r.get("org_id") is not None])
        for r in rows:
            r.update(found.get(r.get("org_id"), {"red_list": None, "black_list": None}))

    def get_headless(self, pk, **kwargs):
        """One enterprise's score; an enterprise of the caller's reach never scored yet has
        the base score."""
        if self._one(pk) is not None:
            return super().get_headless(pk, **kwargs)
        org = self._enterprise_in_reach(pk)
        if org is None:
            return self.response_404()
        view = scoring.score_of(org.id)
        result = {"org_id": org.id, "org": {"name": org.name, "credit_code": org.credit_code},
                  "region_code": org.region_code, "score": view.score, "level": view.level, "bonus": view.bonus,
                  "deduction": view.deduction, **list_status([org.id])[org.id]}
        return self.response(200, id=org.id, result=result)

    @staticmethod
    def _enterprise_in_reach(pk):
        """The enterprise ``pk`` if the caller's scope reaches it (read on the organisation:
        its id and region, as the score's own scope reads them)."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        if not 0 < pk <= KEY_MAX:
            return None
        stmt = select(Organization).where(Organization.id == pk, Organization.org_type == OrgType.ENTERPRISE)
        clause = scope_clause(Organization)
        if clause is not None:
            stmt = stmt.where(clause)
        return db.session.execute(stmt).scalars().first()


def register(appbuilder):
    appbuilder.add_api(CreditRuleApi)
    appbuilder.add_api(CreditRecordApi)
    appbuilder.add_api(CreditListApi)
    appbuilder.add_api(CreditScoreApi)
