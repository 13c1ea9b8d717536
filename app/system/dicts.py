"""Dictionary look-ups: code -> label for display, label -> code for imports."""
from flask import g, has_request_context
from flask_babel import get_locale
from sqlalchemy import select

from app.core.cache import cached
from app.extensions import db

DICTS_TTL = 60.0


def items(dict_type):
    """[(code, label)] of the active entries of a dictionary, in order, in the UI language."""
    from app.system.models import DictItem

    per_request = g.setdefault("_dicts", {}) if has_request_context() else {}
    if dict_type in per_request:
        return per_request[dict_type]
    english = str(get_locale() or "zh").startswith("en") if has_request_context() else False

    def load():
        rows = db.session.execute(
            select(DictItem.code, DictItem.label, DictItem.label_en)
            .where(DictItem.dict_type == dict_type, DictItem.active.is_(True))
            .order_by(DictItem.sort, DictItem.id)
        ).all()
        return tuple((code, (label_en or label) if english else label) for code, label, label_en in rows)

    # Kept between requests (app/core/cache.py): a change in this process counts at once, in
    # another within DICTS_TTL seconds.
    result = list(cached("dict", (dict_type, english), ("anju_dict_item",), DICTS_TTL, load))
    per_request[dict_type] = result
    return result


def label(dict_type, code):
    if code is None:
        return ""
    labels = g.setdefault("_dict_labels", {}) if has_request_context() else {}
    mapping = labels.get(dict_type)
    if mapping is None:
        mapping = labels[dict_type] = dict(items(dict_type))
    return mapping.get(code, code)


def formatter(dict_type):
    def fmt(code):
        return label(dict_type, code)

    return fmt


def choices(dict_type):
    return lambda: items(dict_type)
