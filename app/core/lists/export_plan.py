"""The fast way to read a list's rows for export: one SQL statement of plain columns instead of
ORM objects.

An export of a million rows through ORM objects spends most of its time building objects and
their eager-loaded relations, and calling formatters that translate the same few codes again
and again. :func:`plan` reads the same rows (the list's own query: its filters, joins, scope
and order) as tuples of exactly the exported columns:

* a column of the model is selected as it is;
* a many-to-one relation is joined (aliased, outer) and its display column selected: the
  column named by the related model's ``__export_label__``, else the first of ``name``,
  ``label``, ``title``, ``number``, ``code`` it has;
* a value computed from columns is declared by the view: ``export_computed = {key: (("stage",
  "due_at"), fn)}``, ``fn`` taking those columns' values;
* masking as the viewer sees it, and formatters memoised per distinct value (a stage code is
  translated once per export, not once per row).

Anything else (a property, a method, a to-many relation, a view with its own
``export_value``) keeps the ORM way: :func:`plan` answers None and the caller reads objects.

Trust, but check: before the fast rows are used, the first rows are read both ways and
compared value by value; any difference falls back to the ORM way (and is logged), so the
fast path can only ever write what the list's own export would have written.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import aliased

from app.core import masking
from app.extensions import db

log = logging.getLogger(__name__)

LABEL_NAMES = ("name", "label", "title", "number", "code")
CHECK_ROWS = 50
MEMO_LIMIT = 20000


def _display_column(target_cls):
    declared = getattr(target_cls, "__export_label__", None)
    columns = sa_inspect(target_cls).columns
    if declared:
        return declared if declared in columns else None
    for name in LABEL_NAMES:
        if name in columns:
            return name
    return None


def _memo(fn: Callable) -> Callable:
    cache: dict = {}

    def call(value):
        try:
            return cache[value]
        except KeyError:
            result = fn(value)
            if len(cache) < MEMO_LIMIT:
                cache[value] = result
            return result
        except TypeError:  # unhashable
            return fn(value)

    return call


def _base_export_value(view):
    from app.core.views import AnjuModelView

    return type(view).export_value is AnjuModelView.export_value


class Plan:
    """The fast rows of one export: ``rows()`` yields tuples in column order, ready to write."""

    def __init__(self, statement, converters, width, pk_index, entity):
        self.statement = statement
        self.converters = converters
        self.width = width
        self.pk_index = pk_index
        self.entity = entity

    def rows(self, session=None, batch=2000) -> Iterator[tuple]:
        session = session or db.session
        result = session.execute(self.statement.execution_options(yield_per=batch))
        converters = self.converters
        for raw in result:
            yield tuple(conv(raw) for conv in converters)


def plan(view, query, columns):
    """A :class:`Plan` for exporting ``query`` (the list's ORM query) as ``columns``, or None
    when some column needs the ORM objects."""
    if not _base_export_value(view):
        return None
    try:
        entity = query.column_descriptions[0]["entity"]
        if entity is None or len(query.column_descriptions) != 1:
            return None
        mapper = sa_inspect(entity)
    except Exception:  # pragma: no cover - not an ORM query of one entity
        return None
    computed = getattr(view, "export_computed", {}) or {}
    full = masking.viewer_sees_full()
    formatters = getattr(view, "formatters_columns", {}) or {}
    selected = []         # SQL expressions
    joins = []            # (alias, onclause)
    converters = []

    def pick(expr):
        selected.append(expr)
        return len(selected) - 1

    for column in columns:
        key = column.key
        formatter = formatters.get(key)
        kind = column.mask or getattr(formatter, "mask_kind", None)
        if key in computed:
            names, fn = computed[key]
            if any(n not in mapper.columns for n in names):
                return None
            idx = [pick(getattr(entity, n)) for n in names]
            converters.append(_computed(fn, idx))
            continue
        if key in mapper.columns:
            idx = pick(getattr(entity, key))
        elif key in mapper.relationships:
            rel = mapper.relationships[key]
            if rel.uselist or rel.secondary is not None:
                return None
            target = rel.mapper.class_
            label = _display_column(target)
            if label is None:
                return None
            alias = aliased(target)
            joins.append((alias, getattr(entity, key).of_type(alias)))
            idx = pick(getattr(alias, label))
            kind = kind or None
            formatter = None      # the base export writes str(related object): its display name
        else:
            return None
        converters.append(_converter(idx, kind, full, formatter))
    pks = mapper.primary_key
    if len(pks) != 1:
        return None
    pk_index = pick(getattr(entity, pks[0].key))
    q = query.with_entities(*selected)
    for _alias, onclause in joins:
        q = q.outerjoin(onclause)
    return Plan(q.statement, converters, len(columns), pk_index, entity)


def _computed(fn, idx):
    if len(idx) == 1:
        i = idx[0]
        return lambda raw: fn(raw[i])
    return lambda raw: fn(*(raw[i] for i in idx))


def _converter(i, kind, full, formatter):
    """row -> the cell's value, as AnjuModelView.export_value gives it."""
    if kind:
        if full:
            return lambda raw: raw[i]
        mask = masking.mask

        def masked(raw):
            value = raw[i]
            return None if value is None else mask(kind, value)

        return masked
    if formatter is not None:
        from app.core.views import export_text

        fmt = _memo(lambda value: export_text(value, formatter(value)))

        def formatted(raw):
            value = raw[i]
            if value is None or isinstance(value, (int, float)) or hasattr(value, "isoformat"):
                return value
            return fmt(value)

        return formatted

    def plain(raw):
        value = raw[i]
        if value is not None and not isinstance(value, (str, int, float, bool)) and not hasattr(value, "isoformat"):
            if isinstance(value, (list, tuple, set)):
                return "、".join(str(v) for v in value)
            return str(value)
        return value

    return plain


def _same(a, b):
    if a == b:
        return True
    return (a is None and b == "") or (b is None and a == "") or str(a) == str(b)


def checked_rows(view, query, columns, session=None):
    """The rows to export: the fast plan's tuples when it exists and its first rows agree with
    the ORM way, else the ORM objects through ``view.export_value``. Returns (rows, value_getter,
    how) for xlsx.write_xlsx."""
    fast = plan(view, query, columns)
    orm = (query.yield_per(2000), view.export_value, "orm")
    if fast is None:
        return orm
    session = session or db.session
    head = {raw[fast.pk_index]: tuple(conv(raw) for conv in fast.converters)
            for raw in session.execute(fast.statement.limit(CHECK_ROWS))}
    if head:
        pk = sa_inspect(fast.entity).primary_key[0]
        objects = {getattr(o, pk.key): o for o in query.filter(pk.in_(list(head))).order_by(None).all()}
        if set(objects) != set(head):
            log.warning("export plan of %s: the rows differ from the list's; the ORM way is used",
                        type(view).__name__)
            return orm
        # A declared computed value is the same function of the same columns both ways; it may
        # read the clock (剩余处理时间) and differ by a minute between the two reads: not checked.
        computed = set(getattr(view, "export_computed", {}) or {})
        for key, row in head.items():
            for col, value in zip(columns, row, strict=True):
                if col.key in computed:
                    continue
                expected = view.export_value(objects[key], col)
                if not _same(expected, value):
                    log.warning("export plan of %s differs on %s (%r vs %r); the ORM way is used",
                                type(view).__name__, col.key, expected, value)
                    return orm
    return fast.rows(session), None, "fast"
