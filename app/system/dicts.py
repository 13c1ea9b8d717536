"""Dictionary look-ups: code -> label for display, label -> code for imports."""
from flask import g, has_request_context
from flask_babel import get_locale
from sqlalchemy import select

from app.extensions import db


def items(dict_type):
    """[(code, label)] of the active entries of a dictionary, in order, in the UI language."""
    from app.system.models import DictItem

    cache = g.setdefault("_dicts", {}) if has_request_context() else {}
    if dict_type in cache:
        return cache[dict_type]
    rows = db.session.execute(
        select(DictItem.code, DictItem.label, DictItem.label_en)
        .where(DictItem.dict_type == dict_type, DictItem.active.is_(True))
        .order_by(DictItem.sort, DictItem.id)
    ).all()
    english = str(get_locale() or "zh").startswith("en") if has_request_context() else False
    result = [(code, (label_en or label) if english else label) for code, label, label_en in rows]
    cache[dict_type] = result
    return result


def label(dict_type, code):
    if code is None:
        return ""
    return dict(items(dict_type)).get(code, code)


def formatter(dict_type):
    def fmt(code):
        return label(dict_type, code)

    return fmt


def choices(dict_type):
    return lambda: items(dict_type)
