"""Bad input gets a refusal, never a 500: one guard in front of every view, FAB's own
(users, roles, permissions, view menus, the security API) included.

Before a view runs, ``check_request`` refuses or corrects what FAB would turn into an
exception:

* a body larger than MAX_CONTENT_LENGTH (413, JSON on the API) and a JSON body that nests
  too deep, holds a lone surrogate, control characters or numbers past 64 bits;
* list arguments: ``page_<View>`` and ``psize_<View>`` that are not whole numbers or are out
  of range, a ``psize`` above the page-size cap (lowered to the cap), ``_flt_<n>_<col>`` with
  an index past the column's filters;
* a record key (``<pk>``) beyond the key column's range (404);
* an unknown bulk action (404, logged in or not);
* the REST ``q`` argument: unparseable Rison/JSON, nesting that exhausts the parser, a value
  that is not an object, numbers out of range.

``harden_apis`` makes every REST answer's English framework text Chinese and gives a 500 an
incident number that is in the log.
"""
import json
import math
import re

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _

from app.core.schemas import CONTROL_CHARS, int_limit, translate

MAX_PAGE = 2 ** 31 - 1
MAX_Q_LENGTH = 20_000
MAX_JSON_DEPTH = 64
_FLT = re.compile(r"_flt_(\d)_(.*)")
# ASCII digits only: str.isdigit() accepts "²", which int() refuses.
_DIGITS = re.compile(r"^[0-9]+$")
_SIGNED = re.compile(r"^-?[0-9]+$")


def _views_by_blueprint():
    views = current_app.extensions.get("anju_views_by_blueprint")
    if views is None:
        views = {}
        for view in current_app.appbuilder.baseviews:
            if getattr(view, "blueprint", None) is not None:
                views[view.blueprint.name] = view
        current_app.extensions["anju_views_by_blueprint"] = views
    return views


def _current_view():
    if not request.endpoint or "." not in request.endpoint:
        return None
    return _views_by_blueprint().get(request.endpoint.rsplit(".", 1)[0])


def _refuse_list_args(message=None):
    abort(400, description=message or _("The page number and page size must be whole numbers."))


def _check_list_args(view):
    from flask_appbuilder.baseviews import BaseCRUDView

    if not isinstance(view, BaseCRUDView):
        return
    from app.system.params import get_param

    replaced = {}
    views = [view, *getattr(view, "_related_views", [])]
    for key, value in request.args.items(multi=True):
        if re.findall("page_(.*)", key) or re.findall("psize_(.*)", key):
            text = value.strip()
            if not _DIGITS.match(text) or len(text) > 10 or int(text) > MAX_PAGE:
                _refuse_list_args()
            if re.findall("psize_(.*)", key):
                size = int(text)
                if size < 1:
                    _refuse_list_args()
                cap = get_param("list.page_size_max")
                if size > cap:
                    replaced[key] = str(cap)
        match = _FLT.findall(key)
        if match:
            index, column = int(match[0][0]), match[0][1]
            for candidate in views:
                filters = getattr(candidate, "_filters", None)
                all_filters = getattr(filters, "_all_filters", {}) if filters is not None else {}
                if column not in all_filters:
                    continue
                if index >= len(all_filters[column]) or not _filter_value_fits(
                        candidate.datamodel, column, value, all_filters[column][index]):
                    _refuse_list_args(_("The search condition is not valid."))
        order = re.findall("_oc_(.*)", key)
        if order and request.args.get("_od_" + order[0]) in ("asc", "desc"):
            for candidate in views:
                if candidate.__class__.__name__ == order[0] and value not in (candidate.order_columns or []):
                    _refuse_list_args(_("The list cannot be ordered by this column."))
    if replaced:
        # FAB's security views ignore the page-size cap: lower it for every list here.
        from werkzeug.datastructures import ImmutableMultiDict

        args = request.args.copy()
        for key, value in replaced.items():
            args.setlist(key, [value])
        request.args = ImmutableMultiDict(args)


def _filter_value_fits(datamodel, column, value, search_filter):
    """A search value for FAB's filters on a whole-number column or a relation must be a
    whole number the key column can hold (or empty): else the database overflows or refuses.
    The house's own filters (e.g. a relation searched by name) read their values themselves."""
    if not value.strip() or not type(search_filter).__module__.startswith("flask_appbuilder"):
        return True
    try:
        if datamodel.is_relation(column):
            key_columns = datamodel.get_related_model(column).__mapper__.primary_key
            limit = int_limit(key_columns[0].type) if len(key_columns) == 1 else None
        elif datamodel.is_integer(column):
            limit = int_limit(datamodel.list_columns[column].type)
        else:
            return True
    except Exception:
        return True
    if limit is None:
        return True
    text = value.strip()
    return bool(_SIGNED.match(text)) and len(text) <= 20 and -limit <= int(text) <= limit


def _check_keys(view):
    """A record key beyond its column's range names no record: 404, not an overflow."""
    if not request.view_args or "pk" not in request.view_args or view is None:
        return
    _check_key(view, request.view_args["pk"])


def _check_key(view, value):
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return
    try:
        columns = datamodel.obj.__mapper__.primary_key
    except Exception:
        return
    if len(columns) != 1:
        return
    text = str(value).strip()
    length = getattr(columns[0].type, "length", None)
    if length and len(text) > length:
        abort(404)
    limit = int_limit(columns[0].type)
    if limit is None:
        return
    if not _SIGNED.match(text) or len(text) > 20 or not -limit <= int(text) <= limit:
        abort(404)


def _check_action(view):
    """FAB's action_post answers an unknown action with an AttributeError (a 500)."""
    endpoint = request.endpoint.rsplit(".", 1)[-1]
    actions = getattr(view, "actions", None)
    if actions is None:
        return
    if endpoint == "action_post":
        if request.form.get("action", "") not in actions:
            abort(404)
        for pk in request.form.getlist("rowid"):
            _check_key(view, pk)
    elif endpoint == "action" and request.view_args and request.view_args.get("name") not in actions:
        abort(404)


def _walk(value, depth=0, path=()):
    """Yield (path, problem) for what no field may hold."""
    if depth > MAX_JSON_DEPTH:
        yield path, "depth"
        return
    if isinstance(value, str):
        if CONTROL_CHARS.search(value):
            yield path, "control"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield path, "surrogate"
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -(2 ** 63) < value < 2 ** 63:
            yield path, "number"
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 2 ** 63:
            yield path, "number"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key, depth + 1, path)
            yield from _walk(item, depth + 1, path + (key,))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item, depth + 1, path)


_PROBLEMS = {
    "control": lambda: _("Control characters are not allowed."),
    "surrogate": lambda: _("The text contains characters that are not valid."),
    "number": lambda: _("The number is out of range."),
    "depth": lambda: _("The data is nested too deeply."),
}


def _json_refusal(problems):
    fields = {}
    for path, problem in problems:
        key = str(path[0]) if path else "_schema"
        fields.setdefault(key, [])
        text = _PROBLEMS[problem]()
        if text not in fields[key]:
            fields[key].append(text)
    return jsonify(message=fields), 422


def _check_json_body():
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return None
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        # Nesting deeper than the parser goes: every later read would fail the same way.
        return jsonify(message=_("The request body is not valid JSON.")), 400
    # A body that is not JSON at all is the view's to refuse (each says what it expects).
    problems = list(_walk(data))
    if problems:
        return _json_refusal(problems)
    return None


def _check_q(view):
    """FAB's REST reads (list, item, _info) parse ``q`` as Rison."""
    from flask_appbuilder.api import ModelRestApi

    value = request.args.get("q")
    if value is None or not isinstance(view, ModelRestApi) \
            or request.endpoint.rsplit(".", 1)[-1] not in ("get_list", "get", "info"):
        return None
    refusal = jsonify(message=_("The query argument q is not valid.")), 400
    if len(value) > MAX_Q_LENGTH:
        return refusal
    import prison

    try:
        try:
            parsed = prison.loads(value)
        except prison.decoder.ParserException:
            parsed = json.loads(value)
    except (RecursionError, Exception):  # the parser fails in many ways on bad input
        return refusal
    if value and not isinstance(parsed, dict):
        return refusal
    if any(True for _p in _walk(parsed)):
        return refusal
    for key in ("page", "page_size"):
        number = parsed.get(key) if isinstance(parsed, dict) else None
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)
                                   or not 0 <= number <= MAX_PAGE):
            return refusal
    return None


def _without_blank_filters():
    """A search form sent with empty boxes (no script to drop them) names filters with no value,
    which FAB would apply as "equals nothing": the same address without them."""
    if request.method != "GET" or not any(k.startswith("_flt_") and not v.strip()
                                          for k, v in request.args.items(multi=True)):
        return None
    from urllib.parse import urlencode

    from flask import redirect

    kept = [(k, v) for k, v in request.args.items(multi=True) if not (k.startswith("_flt_") and not v.strip())]
    return redirect(request.path + ("?" + urlencode(kept) if kept else ""), code=302)


def check_request():
    """The before_request guard (see the module's docstring)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        abort(413)
    view = _current_view()
    refusal = _check_json_body() or _check_q(view)
    if refusal is not None:
        return refusal
    if any(CONTROL_CHARS.search(v) for _key, values in request.args.lists() for v in values):
        abort(400, description=_("Control characters are not allowed."))
    if view is None:
        return None
    blank = _without_blank_filters()
    if blank is not None:
        return blank
    _check_keys(view)
    _check_list_args(view)
    if request.method == "POST":
        _check_action(view)
    return None


# --- the REST answers of every API, FAB's own included ------------------------------------

_FAB_400 = ("Not a valid rison", "Filter column", "Filter", "Invalid", "Order", "Arguments are not correct",
            "Request is not JSON", "400 Bad Request", "Not a valid")


_KEY = {"oneOf": [{"type": "integer"}, {"type": "string"}]}


def _correct_fab_docs(node):
    """FAB's docstrings document what its answers are not: record keys as text (they are
    numbers for numeric keys), the _info field lists as an object (they are lists), menu
    separators as objects (they are text)."""
    if isinstance(node, list):
        for item in node:
            _correct_fab_docs(item)
        return
    if not isinstance(node, dict):
        return
    props = node.get("properties")
    if isinstance(props, dict):
        if props.get("id") == {"type": "string"} or props.get("id", {}).get("type") == "string":
            props["id"] = dict(_KEY)
        ids = props.get("ids")
        if isinstance(ids, dict) and ids.get("type") == "array":
            ids["items"] = dict(_KEY)
        childs = props.get("childs")
        if isinstance(childs, dict) and childs.get("type") == "array":
            # The menu's separators are the text "-".
            childs["items"] = {"oneOf": [childs.get("items") or {"type": "object"}, {"type": "string"}]}
        for key in ("add_columns", "edit_columns"):
            if isinstance(props.get(key), dict) and props[key].get("type") == "object":
                props[key] = {"type": "array", "items": {"type": "object"}}
    for value in node.values():
        _correct_fab_docs(value)


def harden_apis():
    """Chinese texts for FAB's REST answers, and an incident number on every 500."""
    from flask_appbuilder.api import BaseApi

    if getattr(BaseApi, "_anju_hardened", False):
        return

    def response_400(self, message=None):
        if isinstance(message, str) and message.startswith("400 Bad Request: "):
            # A refusal raised with its own Chinese description (e.g. a masked column searched
            # by part of its value): that description is the answer.
            described = message[len("400 Bad Request: "):]
            if described and not described.startswith("The browser"):
                return self.response(400, message=described)
        if message is None or (isinstance(message, str) and message.startswith(_FAB_400)):
            if isinstance(message, str) and message.startswith("Request is not JSON"):
                message = _("The request body must be JSON")
            elif isinstance(message, str) and message.startswith(("Not a valid rison", "Filter", "Order",
                                                                 "Invalid")):
                message = _("The query argument q is not valid.")
            else:
                message = _("The request is not valid.")
        return self.response(400, message=translate(message))

    def response_401(self):
        return self.response(401, message=_("Please sign in first."))

    def response_403(self):
        return self.response(403, message=_("You do not have permission to do this."))

    def response_404(self):
        return self.response(404, message=_("The page or record does not exist, or is outside your scope."))

    def response_422(self, message=None):
        return self.response(422, message=translate(message) if message else _("The data could not be processed."))

    def response_500(self, message=None):
        from app.core.errors import incident_message, new_incident

        return self.response(500, message=incident_message(new_incident()))

    # A refusal's message is a text, or {field: [texts]} for field errors: say so in the
    # OpenAPI document (FAB documents a text only).
    for code in ("400", "422"):
        schema = BaseApi.responses[code]["content"]["application/json"]["schema"]
        schema["properties"]["message"] = {"oneOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        ]}
    original_operation_helper = BaseApi.operation_helper

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        original_operation_helper(self, path=path, operations=operations, methods=methods, func=func, **kwargs)
        for spec in (operations or {}).values():
            _correct_fab_docs(spec)

    BaseApi.operation_helper = operation_helper
    BaseApi.response_400 = response_400
    BaseApi.response_401 = response_401
    BaseApi.response_403 = response_403
    BaseApi.response_404 = response_404
    BaseApi.response_422 = response_422
    BaseApi.response_500 = response_500
    BaseApi._anju_hardened = True


def safe_datamodels(appbuilder):
    """FAB's own views (users, roles, groups...) write through SQLAInterface, which flashes the
    raw database error: give them the SafeInterface that the house's views use."""
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.views import SafeInterface

    for view in appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        if type(datamodel) is SQLAInterface:
            datamodel.__class__ = SafeInterface
