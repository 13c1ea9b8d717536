"""A list page's rows read as plain values: one SQL statement instead of ORM objects.

A console list page reads its 20-100 rows by key (``ScopedInterface.query``: the page's keys
first, then those rows). Read as ORM objects, with their many-to-one relations joined and
the to-many names read by a second statement, building the objects costs about a tenth of a
cheap page (the staff list: 0.5 ms of 6). The cells only need values, so a list whose every
column is known here reads them with one statement of plain columns:

* a column of the model is selected as it is;
* a many-to-one relation's cell is its display column (the related model's
  ``__export_label__``, else the first of ``name``, ``label``, ``title``, ``number``,
  ``code``), read by a correlated subquery, unless the view formats the cell itself (its
  formatter may read the related object; ``display``, marked ``reads_values``, does not);
* ``rel.col`` (one level) is that column of the related row, read the same way;
* a value computed from the row's columns is the view's ``export_computed`` declaration
  (``{column: (("stage", "due_at"), fn)}``, as its export reads it): those columns are
  selected and ``fn`` given their values;
* anything else (a property, a method, a to-many relation) is declared by the view as SQL:
  ``list_sql_columns = {column: fn}``, ``fn(dialect_name)`` answering an expression over the
  model's table (a correlated subquery, a ``coalesce`` ...) that gives the cell the value the
  property would.

A list with any other column keeps the ORM way (:func:`for_view` answers None).

Trust, but check: the first page a view reads this way in a process is also read the ORM
way, and every cell is compared after the view's formatters (masking included). Any
difference is logged, that page is shown from the ORM values, and the view reads ORM objects
from then on; so the fast rows can only ever show what the ORM rows would have shown.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect

log = logging.getLogger(__name__)

_current: ContextVar = ContextVar("anju_list_reader", default=None)

#: Pages compared at most: a related record empty on every row of them (a street a district's
#: requests never name) is not waited for on every page after.
ENOUGH_PAGES = 20


class Row:
    """One list row: an attribute per list column (``org.name`` included, read by
    ``getattr(row, "org.name")`` as the datamodel reads a dotted column)."""

    def __repr__(self):
        # Its key only: the values may be personal, and a repr ends up in logs and tracebacks.
        first = next(iter(self.__dict__.values()), None)
        return f"<Row {first!r}>"


class PageReader:
    """The rows of one view's list pages by key, as :class:`Row` values."""

    def __init__(self, model, names, build, related=(), computed=()):
        self.model = model
        self.names = tuple(names)        # attribute names, in the statement's column order
        self.computed = tuple(computed)  # (name, positions of its columns, fn), selected after those
        self.related = tuple(related)    # the many-to-one columns (their display column read)
        self._build = build              # dialect name -> Select (keys bound as anju_page_ids)
        self._statements = {}
        self.checked = False             # the first page matched the ORM rows cell by cell
        self.compared = 0                # pages compared so far
        self.off = False                 # a difference was found: ORM objects from now on

    def statement(self, dialect_name):
        stmt = self._statements.get(dialect_name)
        if stmt is None:
            stmt = self._statements[dialect_name] = self._build(dialect_name)
        return stmt

    def read(self, session, ids):
        """The rows with these keys, in this order."""
        if not ids:
            return []
        dialect = session.get_bind(mapper=sa_inspect(self.model)).dialect.name
        names, computed = self.names, self.computed
        by_key = {}
        for values in session.execute(self.statement(dialect), {"anju_page_ids": list(ids)}):
            row = Row()
            cells = row.__dict__
            cells.update(zip(names, values))
            for name, positions, fn in computed:
                cells[name] = fn(*[values[i] for i in positions])
            by_key[values[0]] = row
        return [by_key[i] for i in ids if i in by_key]


def _display_column(target):
    from app.core.lists.export_plan import _display_column as display

    return display(target)


def for_view(view):
    """The view's :class:`PageReader`, or None when a list column needs the ORM objects."""
    model = view.datamodel.obj
    mapper = sa_inspect(model)
    declared = getattr(view, "list_sql_columns", None) or {}
    from_columns = getattr(view, "export_computed", None) or {}
    formatters = getattr(view, "formatters_columns", None) or {}
    pk = view.datamodel.get_pk_name()
    if not isinstance(pk, str):      # a composite key
        return None
    plan = [(pk, "column", pk)]
    for column in view.list_columns or []:
        if column == pk:
            continue
        if column in declared:
            plan.append((column, "sql", declared[column]))
        elif column in from_columns:
            sources, fn = from_columns[column]
            if any(source not in mapper.columns for source in sources):
                return None
            plan.append((column, "computed", (tuple(sources), fn)))
        elif column in mapper.columns:
            plan.append((column, "column", column))
        elif "." not in column and column in mapper.relationships:
            rel = mapper.relationships[column]
            label = _display_column(rel.mapper.class_)
            if rel.uselist or rel.secondary is not None or label is None or rel.direction.name != "MANYTOONE":
                return None
            formatter = formatters.get(column)
            if formatter is not None and not getattr(formatter, "reads_values", False):
                return None     # a formatter of its own may read the related object's attributes
            plan.append((column, "related", (rel, label)))
        elif column.count(".") == 1 and column.split(".")[0] in mapper.relationships:
            root, leaf = column.split(".")
            rel = mapper.relationships[root]
            if (rel.uselist or rel.secondary is not None or rel.direction.name != "MANYTOONE"
                    or leaf not in sa_inspect(rel.mapper.class_).columns):
                return None
            plan.append((column, "related", (rel, leaf)))
        else:
            return None

    shown = [(name, kind, spec) for name, kind, spec in plan if kind != "computed"]
    computed, sources = [], []
    for name, kind, spec in plan:
        if kind == "computed":
            positions = []
            for source in spec[0]:
                if source not in sources:
                    sources.append(source)
                positions.append(len(shown) + sources.index(source))
            computed.append((name, tuple(positions), spec[1]))

    def build(dialect_name):
        exprs = []
        for name, kind, spec in shown:
            if kind == "column":
                exprs.append(getattr(model, spec))
            elif kind == "sql":
                exprs.append(spec(dialect_name).label(name.replace(".", "_")))
            else:
                # The related row by an alias of its table (a relation to the same table, e.g. a
                # parent, must not correlate with the list's own row).
                rel, leaf = spec
                related = rel.mapper.local_table.alias()
                value = related.c[sa_inspect(rel.mapper.class_).columns[leaf].name]
                where = [related.c[remote.name] == local for local, remote in rel.local_remote_pairs]
                exprs.append(select(value).where(*where).correlate(model)
                             .scalar_subquery().label(name.replace(".", "_")))
        exprs += [getattr(model, source).label(f"anju_from_{source}") for source in sources]
        key = getattr(model, pk)
        return select(*exprs).where(key.in_(bindparam("anju_page_ids", expanding=True)))

    return PageReader(model, [name for name, _kind, _spec in shown], build,
                      related=[name for name, kind, _spec in shown if kind == "related" and "." not in name],
                      computed=computed)


class _Reading:
    __slots__ = ("reader", "used")

    def __init__(self, reader):
        self.reader = reader
        self.used = False


@contextmanager
def reading(reader):
    """Within: ``ScopedInterface.query`` reads its page's rows with ``reader`` (when the page
    is of the reader's model). Yields whether it did (``.used``)."""
    state = _Reading(reader)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def current(model):
    """The reader a list page of ``model`` uses now (marking it used), else None."""
    state = _current.get()
    if state is None:
        return None
    reader = state.reader
    if reader is None or reader.off or reader.model is not model:
        return None
    state.used = True
    return reader


def _cell(formatter, value):
    try:
        out = formatter(value) if formatter is not None else value
    except Exception as exc:  # a formatter that needs the ORM object
        return ("error", type(exc).__name__)
    if out is None:
        return None
    return out.__html__() if hasattr(out, "__html__") else str(out)


def check(view, reader, fast_values, pks):
    """Whether the page's cells read by ``reader`` equal those of the ORM rows, after the
    view's formatters. Returns the ORM values when they differ (and turns the reader off),
    else None. Done per view and process until a page has compared a value of every column
    that is a related record (one empty on every row of the page proves nothing about how
    the record displays), or ENOUGH_PAGES pages have been compared."""
    if not pks:
        return None
    dm = view.datamodel
    slow_rows = dm.rows_by_ids(list(pks), dm.list_select_columns)
    slow_values = list(dm.get_values(slow_rows, view.list_columns))
    reader.compared += 1
    reader.checked = reader.compared >= ENOUGH_PAGES or all(
        any(slow[col] is not None for slow in slow_values) for col in reader.related)
    formatters = view.formatters_columns or {}
    fast_values = list(fast_values)
    if len(slow_values) == len(fast_values):
        differences = [(i, col) for i, (fast, slow) in enumerate(zip(fast_values, slow_values))
                       for col in view.list_columns
                       if _cell(formatters.get(col), fast[col]) != _cell(formatters.get(col), slow[col])]
    else:
        differences = [("rows", len(fast_values), len(slow_values))]
    if not differences:
        return None
    reader.off = True
    log.warning("%s: the list's fast rows differ from its ORM rows (%s); reading ORM rows from now on",
                type(view).__name__, differences[:5])
    return slow_values
