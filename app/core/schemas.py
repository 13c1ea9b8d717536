"""The rules every REST schema follows, made once for the schemas FAB generates from a model:

* typed foreign keys (an integer key takes an integer, not a list or an object), integers
  within the column's range, related rows that exist (never a new row made from an id);
* text without control characters, and not blank where the column is required;
* booleans never null;
* validation messages in the user's language: marshmallow's English texts are read
  through Babel (``translate``) before they reach an answer.
"""
import re

from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import BigInteger, Integer, SmallInteger
from sqlalchemy.orm.exc import NoResultFound

# Control characters other than tab, line feed and carriage return.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
INT_RANGES = {SmallInteger: 2 ** 15 - 1, Integer: 2 ** 31 - 1, BigInteger: 2 ** 63 - 1}


def int_limit(column_type):
    for cls in (BigInteger, SmallInteger, Integer):
        if isinstance(column_type, cls):
            return INT_RANGES[cls]
    return None


KEY_MAX = INT_RANGES[Integer]


def fits_key(text):
    """Whether ``text`` is a whole number an integer key column can hold."""
    text = str(text).strip()
    return bool(re.fullmatch(r"[0-9]{1,10}", text)) and int(text) <= KEY_MAX


def check_text(value):
    """Text a user may store: valid Unicode without control characters."""
    if not isinstance(value, str):
        return
    if CONTROL_CHARS.search(value):
        raise ValidationError(_("Control characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("The text contains characters that are not valid.")) from None


class CleanString(fields.String):
    """Text a user may store (``check_text``), and not blank when the field is required (read
    at load time: a view may relax ``required`` after the schema is made)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        check_text(value)
        if self.required and not value.strip():
            raise ValidationError(_("This field is required."))
        return value


class ExistingRelated(Related):
    """A related row given by its key: a scalar that names an existing row, never an object,
    a list, or a new row made from an unknown id."""

    def _deserialize(self, value, *args, **kwargs):
        if len(self.related_keys) != 1 or isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError(_("Give the identifier of an existing record."))
        key = self.related_keys[0]
        limit = int_limit(key.columns[0].type) if getattr(key, "columns", None) else None
        if limit is not None:
            if isinstance(value, str):
                if not re.fullmatch(r"-?[0-9]{1,20}", value.strip()):
                    raise ValidationError(_("Give the identifier of an existing record."))
                value = int(value)
            if not -limit <= value <= limit:
                raise ValidationError(_("The related record does not exist."))
        try:
            return self._get_existing_instance(self.related_model, {key.key: value})
        except NoResultFound:
            raise ValidationError(_("The related record does not exist.")) from None


class AnjuSchemaConverter(Model2SchemaConverter):
    """FAB's converter with the house rules above."""

    def _meta_schema_factory(self, columns, model, class_mixin, parent_schema_name=None):
        from flask import current_app

        _model, _parent = model, parent_schema_name
        _columns = columns

        class MetaSchema(SQLAlchemyAutoSchema, class_mixin):  # type: ignore
            class Meta:
                model = _model
                load_instance = True
                # Foreign keys as typed fields (FAB leaves them untyped: any JSON went in).
                include_fk = True
                sqla_session = current_app.appbuilder.session
                parent_schema_name = _parent
                if _columns:
                    fields = _columns

        schema_cls = MetaSchema
        for name, field in schema_cls._declared_fields.items():
            if isinstance(field, fields.Field):
                harden(field, _model, name)
        return schema_cls


def harden(field, model, name):
    """Apply the house rules to one generated field (in place)."""
    column = None
    prop = getattr(getattr(model, name, None), "property", None)
    if prop is not None and hasattr(prop, "columns") and len(prop.columns) == 1:
        column = prop.columns[0]
    if isinstance(field, Related):
        field.__class__ = ExistingRelated
        return
    if isinstance(field, fields.List) and isinstance(getattr(field, "inner", None), Related):
        field.inner.__class__ = ExistingRelated
        return
    if isinstance(field, fields.Nested) and field.many and isinstance(field.nested, Schema):
        # apispec reads "many" from the nested schema: a to-many list was documented as one object.
        field.nested.many = True
    elif isinstance(field, fields.Nested):
        # A to-one related row shown in a list or detail may be absent (null).
        field.allow_none = True
    if isinstance(field, fields.Decimal):
        # Money and areas leave as text with their decimals ("2500.00"), never a float: say so.
        field.metadata = {**field.metadata, "type": "string", "format": "decimal",
                          "description": field.metadata.get("description") or "decimal number as text"}
    if isinstance(field, fields.DateTime):
        # Stored and answered as local time (Asia/Shanghai) without an offset: not RFC 3339's
        # "date-time", which requires one. Document what is sent.
        field.metadata = {**field.metadata, "format": "local-date-time",
                          "description": "ISO 8601 local time (Asia/Shanghai), no offset"}
    validators = list(field.validators)
    if type(field) is fields.String:
        field.__class__ = CleanString
    elif isinstance(field, fields.Boolean):
        field.allow_none = False
    elif isinstance(field, fields.Integer) and column is not None:
        limit = int_limit(column.type)
        if limit is not None:
            validators.append(validate.Range(-limit, limit))
    field.validators = validators


# --- messages --------------------------------------------------------------------------
# marshmallow's (and marshmallow-sqlalchemy's) English texts, as templates, and what the user
# reads instead. A text of theirs not listed here reads as the generic "not valid".
_MESSAGES = [
    ("Missing data for required field.", _l("This field is required.")),
    ("Field may not be null.", _l("This field may not be empty.")),
    ("Unknown field.", _l("Unknown field.")),
    ("Invalid input type.", _l("The data is not of the expected type.")),
    ("Not a valid string.", _l("Must be text.")),
    ("Not a valid integer.", _l("Must be a whole number.")),
    ("Not a valid number.", _l("Must be a number.")),
    ("Number too large.", _l("The number is too large.")),
    ("Not a valid boolean.", _l("Must be true or false.")),
    ("Not a valid date.", _l("Not a valid date.")),
    ("Not a valid datetime.", _l("Not a valid date and time.")),
    ("Not a valid list.", _l("Must be a list.")),
    ("Not a valid mapping type.", _l("Must be an object.")),
    ("Not a valid email address.", _l("Not a valid email address.")),
    ("Longer than maximum length {max}.", _l("At most %(max)s characters.")),
    ("Shorter than minimum length {min}.", _l("At least %(min)s characters.")),
    ("Length must be between {min} and {max}.", _l("Between %(min)s and %(max)s characters.")),
    ("Must be greater than or equal to {min} and less than or equal to {max}.",
     _l("Must be between %(min)s and %(max)s.")),
    ("Must be greater than or equal to {min}.", _l("Must be at least %(min)s.")),
    ("Must be less than or equal to {max}.", _l("Must be at most %(max)s.")),
    ("Must be one of: {choices}.", _l("Must be one of: %(choices)s.")),
]


def _template_regex(template):
    parts = re.split(r"\{(\w+)[^}]*\}", template)
    out = ""
    for i, part in enumerate(parts):
        out += re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
    return re.compile("^" + out + "$")


_COMPILED = [(_template_regex(t), msg) for t, msg in _MESSAGES]


def _library_templates():
    """Every English message marshmallow and marshmallow-sqlalchemy may give."""
    import marshmallow

    found = set()

    def walk(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    for cls in walk(fields.Field):
        found |= {m for m in getattr(cls, "default_error_messages", {}).values() if isinstance(m, str)}
    for name in dir(validate):
        cls = getattr(validate, name)
        if isinstance(cls, type):
            for attr in dir(cls):
                if attr.startswith(("message", "default_message")) and isinstance(getattr(cls, attr), str):
                    found.add(getattr(cls, attr).replace("{{", "{").replace("}}", "}"))
    found |= set(marshmallow.Schema._default_error_messages.values())
    return [_template_regex(t) for t in found]


_LIBRARY = None


def translate(messages):
    """marshmallow's messages (a str, list or dict of them) in the user's language."""
    global _LIBRARY
    if isinstance(messages, dict):
        return {k: translate(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [translate(m) for m in messages]
    if not isinstance(messages, str):
        return messages
    for regex, msg in _COMPILED:
        m = regex.match(messages)
        if m:
            return str(msg) % m.groupdict() if m.groupdict() else str(msg)
    if _LIBRARY is None:
        _LIBRARY = _library_templates()
    if any(regex.match(messages) for regex in _LIBRARY):
        return _("This value is not valid.")
    return messages
