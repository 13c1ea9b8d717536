"""Server-side masking of personal data.

Mask before a value leaves the server for a user without :data:`PERM_VIEW_FULL`;
never rely on the browser to hide it.  All functions accept ``None``, strings
and other values (converted with ``str``) and return a string.
"""

from __future__ import annotations

from collections.abc import Callable

#: Permission that lifts masking (checked by the view layer).
PERM_VIEW_FULL = "can_view_full_pii"

MASK_CHAR = "*"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def mask_id_number(value) -> str:
    """Keep only the last 4 characters: ``'**************0021'``."""
    text = _text(value)
    if len(text) <= 4:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 4) + text[-4:]


def mask_mobile(value) -> str:
    """First 3 + stars + last 4 (``'177****1234'``) when longer than 7
    characters; otherwise keep only the last 2 (nothing if 2 or fewer)."""
    text = _text(value)
    if len(text) > 7:
        return text[:3] + MASK_CHAR * (len(text) - 7) + text[-4:]
    if len(text) <= 2:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 2) + text[-2:]


def mask_name(value) -> str:
    """``'张小三'`` -> ``'张*三'``, ``'张三'`` -> ``'张*'``, one character unchanged.

    Names of 3+ characters keep their first and last character around a
    single star (the length is not revealed); this covers compound Chinese
    surnames and Latin names (``'John Smith'`` -> ``'J*h'``) alike.
    """
    text = _text(value)
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + MASK_CHAR
    return text[0] + MASK_CHAR + text[-1]


def mask_generic(value) -> str:
    """Keep the first and last character, star the others (length kept)."""
    text = _text(value)
    if len(text) <= 1:
        return MASK_CHAR * len(text)
    if len(text) == 2:
        return text[0] + MASK_CHAR
    return text[0] + MASK_CHAR * (len(text) - 2) + text[-1]


def mask_account(value) -> str:
    """A login name: masked like a mobile or an ID number when it is one (staff accounts
    are often opened on the mobile), left alone otherwise (``'pm_a'``)."""
    text = _text(value)
    digits = text.upper()
    if len(digits) == 11 and digits.isdigit():
        return mask_mobile(text)
    if len(digits) in (15, 18) and digits[:-1].isdigit():
        return mask_id_number(text)
    return text


MASKERS: dict[str, Callable[[object], str]] = {
    "account": mask_account,
    "id_number": mask_id_number,
    "mobile": mask_mobile,
    "name": mask_name,
    "generic": mask_generic,
}


def mask(kind: str, value) -> str:
    """Mask ``value`` with the rule named ``kind`` (a key of :data:`MASKERS`)."""
    try:
        masker = MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown mask kind {kind!r}; expected one of {sorted(MASKERS)}") from None
    return masker(value)


# --- the viewer's masking: one rule for every place a person appears ----------------------

#: Field names that hold a person's data wherever they appear (payloads, JSON answers,
#: declarations of models that have not said otherwise), and how to mask them.
PERSONAL_FIELD_KINDS = {
    "id_number": "id_number", "legal_rep_id_number": "id_number", "contact_id_number": "id_number",
    "owner_id_number": "id_number", "id_no": "id_number", "id_card": "id_number",
    "mobile": "mobile", "phone": "mobile", "contact_mobile": "mobile", "legal_rep_mobile": "mobile",
    "branch_manager_mobile": "mobile", "contact_phone": "mobile",
    "legal_rep": "name", "contact_name": "name", "branch_manager": "name", "actor_name": "name",
    "applicant_name": "name", "owner_name": "name", "person_name": "name", "first_name": "name",
    "last_name": "name", "real_name": "name",
}


def kind_of_field(key) -> str | None:
    """How a field named ``key`` is masked when it stands on its own (a payload key, a JSON
    field), or None when the name says nothing about a person ("name" alone does not: an
    area has a name too; models declare theirs in ``__audit__`` masks)."""
    if not isinstance(key, str):
        return None
    if key in PERSONAL_FIELD_KINDS:
        return PERSONAL_FIELD_KINDS[key]
    if key.endswith(("_mobile", "_phone")):
        return "mobile"
    if key.endswith(("_id_number", "_id_no", "_id_card")):
        return "id_number"
    return None


# Columns that views and APIs declared masked, per model (registered at start-up), added to
# the model's own declaration (its ``__audit__`` masks).
_REGISTERED: dict[type, dict[str, str]] = {}


def register_personal(model, columns: dict[str, str]) -> None:
    """Declare more personal columns of ``model`` (views and APIs do this with their
    ``mask_columns``), so that every list, filter, export and answer of the model masks them."""
    if columns:
        _REGISTERED.setdefault(model, {}).update(columns)


def personal_columns(model) -> dict[str, str]:
    """{column: mask kind} of every personal column of ``model``: the ``masks`` of the
    model's one declaration (``__audit__``, app/core/audit.py AuditSpec) plus what views and
    APIs registered."""
    if model is None:
        return {}
    out = dict(getattr(getattr(model, "__audit__", None), "masks", None) or {})
    out.update(_REGISTERED.get(model, {}))
    return out


def viewer_sees_full() -> bool:
    """Whether the acting user may see personal data unmasked (cached per request).
    Outside a request (jobs, CLI) nobody is looking: False, so what is written for later
    readers (notices, summaries) is masked."""
    from flask.globals import _cv_app, _cv_request

    app_ctx = _cv_app.get(None)
    if app_ctx is None or _cv_request.get(None) is None:
        return False
    g = app_ctx.g          # read directly: a list asks once per masked cell
    known = g.__dict__.get("can_view_full_pii")
    if known is None:
        try:
            from app.security.roles import PII_PERMISSION, PII_VIEW

            known = bool(app_ctx.app.appbuilder.sm.has_access(PII_PERMISSION, PII_VIEW))
        except Exception:
            known = False
        g.can_view_full_pii = known
    return known


def for_viewer(kind: str | None, value):
    """``value`` as the acting user may see it: masked with ``kind`` unless they hold the
    permission; ``None`` stays ``None``, a kind of None leaves the value alone."""
    if value is None or kind is None or value == "":
        return value
    if viewer_sees_full():
        return value
    return mask(kind, value)


def person_text(value):
    """A person's name as the viewer may see it (for ``__repr__`` of person models)."""
    if value is None:
        return ""
    return for_viewer("name", value)


def mask_tree(data, kinds_for=None):
    """Mask, in place, every personal field of a JSON-like tree for the viewer: keys whose
    name says they are personal (:func:`kind_of_field`) and the keys ``kinds_for(path)``
    names for the dict found at ``path`` (a tuple of keys). Returns ``data``."""
    if viewer_sees_full():
        return data

    def walk(node, path):
        if isinstance(node, dict):
            declared = (kinds_for(path) if kinds_for else None) or {}
            for key, value in list(node.items()):
                if isinstance(value, (dict, list)):
                    walk(value, path + (key,))
                    continue
                kind = declared.get(key) or kind_of_field(key)
                if kind and value not in (None, ""):
                    node[key] = mask(kind, value)
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(data, ())
    return data


def is_full_value(kind: str, value) -> bool:
    """Whether ``value`` can be a whole value of ``kind`` (what an exact search on a masked
    column needs): an 18- or 15-character ID number, a mobile of 11 digits, a name of two
    characters or more."""
    text = _text(value)
    if not text or MASK_CHAR in text:
        return False
    if kind == "id_number":
        return (len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] in "xX")) or \
            (len(text) == 15 and text.isdigit())
    if kind == "mobile":
        return len(text) == 11 and text.isdigit()
    if kind == "name":
        return len(text) >= 2
    return True


def kind_label(kind: str) -> str:
    """The Chinese (translated) name of what a mask kind hides, for messages."""
    from flask_babel import gettext as _

    return {
        "id_number": _("The ID number"), "mobile": _("The mobile number"), "name": _("The name"),
        "account": _("The account"),
    }.get(kind, _("This field"))
