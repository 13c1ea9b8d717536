"""List paging at scale: the count a list shows, and text searches an index-friendly LIKE serves.

* :class:`ListCount` is what ``ScopedInterface.query`` returns as the count: an ``int`` with
  ``exact`` (False when counting stopped at the cap ``list.count_cap``: the value is then the
  cap and the list shows "10,000+"; on a page past the cap, the rows known to exist: that
  page and one more, so page links go on) and ``has_next``. A request with ``exact_count=1``
  counts every row.
* The text filters (starts with, ends with, contains and their negations) compile to
  ``x LIKE ? ESCAPE '\\'`` with the user's ``%``, ``_`` and ``\\`` taken literally, instead of
  FAB's ``lower(x) LIKE lower(?)`` (SQLite's LIKE already ignores ASCII case; PostgreSQL gets
  ``ILIKE`` so that behaviour stays the same there).
"""
from flask import has_request_context, request
from flask_appbuilder.models.sqla.filters import (
    FilterContains,
    FilterEndsWith,
    FilterNotContains,
    FilterNotEndsWith,
    FilterNotStartsWith,
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)

DEFAULT_COUNT_CAP = 10_000


class ListCount(int):
    """A list's row count; ``exact`` is False when it is only a lower bound (the cap)."""

    exact = True
    has_next = None     # set by ScopedInterface.query: whether a row follows this page

    def __new__(cls, value, exact=True):
        obj = super().__new__(cls, value)
        obj.exact = bool(exact)
        return obj

    def __str__(self):        # the number, as an int prints (a template's {{ count }})
        return int.__repr__(self)

    __repr__ = __str__


def wants_exact_count():
    """The request asks for every row to be counted (精确计数)."""
    return has_request_context() and request.args.get("exact_count") == "1"


def count_cap():
    """Rows counted before a list says "N+" (parameter ``list.count_cap``); None: count all."""
    if wants_exact_count():
        return None
    try:
        from app.system.params import get_param

        cap = get_param("list.count_cap")
    except Exception:  # pragma: no cover - outside an app (scripts)
        cap = DEFAULT_COUNT_CAP
    return cap or None


# --- LIKE with the user's wildcards taken literally -------------------------------------

ESCAPE = "\\"


def escape_like(value):
    """``value`` with LIKE's wildcards (and the escape character) escaped."""
    return (str(value).replace(ESCAPE, ESCAPE + ESCAPE).replace("%", ESCAPE + "%")
            .replace("_", ESCAPE + "_"))


def like(column, pattern, dialect_name):
    """``column LIKE pattern ESCAPE '\\'``; ILIKE on PostgreSQL (case-insensitive as before)."""
    if dialect_name == "postgresql":
        return column.ilike(pattern, escape=ESCAPE)
    return column.like(pattern, escape=ESCAPE)


def _dialect(datamodel):
    try:
        return datamodel.session.get_bind().dialect.name
    except Exception:  # pragma: no cover
        return "sqlite"


class _LikeFilter:
    """Mixed into FAB's text filter classes: same name and arg_name, so URLs keep working."""

    pattern = "%{}%"
    negate = False

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        clause = like(field, self.pattern.format(escape_like(value)), _dialect(self.datamodel))
        return query.filter(~clause if self.negate else clause)


class LikeStartsWith(_LikeFilter, FilterStartsWith):
    pattern = "{}%"


class LikeNotStartsWith(_LikeFilter, FilterNotStartsWith):
    pattern = "{}%"
    negate = True


class LikeEndsWith(_LikeFilter, FilterEndsWith):
    pattern = "%{}"


class LikeNotEndsWith(_LikeFilter, FilterNotEndsWith):
    pattern = "%{}"
    negate = True


class LikeContains(_LikeFilter, FilterContains):
    """包含: where the column has a trigram index (app/core/text_index.py) the index names the
    candidate rows and the LIKE confirms them; the answer is the LIKE's either way."""

    pattern = "%{}%"

    def apply(self, query, value):
        query = super().apply(query, value)
        if "." in self.column_name:
            return query
        from app.core import text_index

        session = self.datamodel.session
        try:
            bind = session.get_bind()
        except Exception:  # pragma: no cover
            bind = None
        rows = text_index.candidates(self.model, self.column_name, value, bind, session=session)
        return query if rows is None else query.filter(rows)


class LikeNotContains(_LikeFilter, FilterNotContains):
    pattern = "%{}%"
    negate = True


#: FAB's text filter -> ours (views naming FAB's classes in search_filters get ours too).
LIKE_FILTERS = {
    FilterStartsWith: LikeStartsWith, FilterNotStartsWith: LikeNotStartsWith,
    FilterEndsWith: LikeEndsWith, FilterNotEndsWith: LikeNotEndsWith,
    FilterContains: LikeContains, FilterNotContains: LikeNotContains,
}


def like_filter(cls):
    return LIKE_FILTERS.get(cls, cls)


class AnjuFilterConverter(SQLAFilterConverter):
    """FAB's converter with the LIKE filters above in place of its lower()-LIKE ones.

    FAB builds a ``Filters`` (converting every column of the model into its filter objects)
    several times per list request -- the view's joined filters, copies, the inner query --
    about 700 filter objects and 500 column-type tests a page. A column's filters depend only
    on the datamodel and the column, and filter objects hold no state of a request, so each
    column's are made once per datamodel and handed out as a new list each time (callers
    rebind or extend their lists, never change a filter)."""

    conversion_table = tuple(
        (test, [like_filter(cls) for cls in classes])
        for test, classes in SQLAFilterConverter.conversion_table
    )

    def convert(self, col_name):
        made = self.datamodel.__dict__.setdefault("_anju_column_filters", {})
        found = made.get(col_name, _NOT_MADE)
        if found is _NOT_MADE:
            found = made[col_name] = super().convert(col_name)
        return list(found) if found is not None else None


_NOT_MADE = object()
