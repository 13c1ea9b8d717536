"""What every list page shows, declared once per view and rendered by the base templates:

* the inline search form above the table (text boxes, dictionary selects, yes/no selects and
  Chinese date ranges) built from the view's ``search_columns`` (or ``inline_search_columns``);
* inclusive date-range filters (从 … 至 …, whole days) for every date and time search column;
* the key column of a row (编号, 名称, 姓名 …) that links to its detail;
* the page-size choice (10/20/50/100 within the console's cap) and the row numbers (序号).

The inline form writes FAB's own URL arguments (``_flt_<index>_<column>``), so paging, sorting,
the advanced filters and export keep the query as they always did.
"""
import datetime
from dataclasses import dataclass, field

from flask import request
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_babel import lazy_gettext as _l

#: Page sizes offered under every list (those above the console's cap are left out).
PAGE_SIZES = (10, 20, 50, 100)

#: A choice with more options than this is left to the advanced filters.
MAX_INLINE_OPTIONS = 300

#: Column names that identify a row to a person, in order of preference.
KEY_COLUMN_NAMES = ("number", "title", "name", "code", "username", "full_name", "real_name", "subject",
                    "key", "label", "no", "serial")


def _parse_day(value):
    """A yyyy-mm-dd day (or a timestamp whose day is taken), else None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()[:10]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


class _DayBound(BaseFilter):
    """A whole-day bound on a date or a time column: the typed day itself is included."""

    def _bound(self, day):
        raise NotImplementedError

    def apply(self, query, value):
        day = _parse_day(value)
        if day is None:
            return query
        query, column = get_field_setup_query(query, self.model, self.column_name)
        is_datetime = self.datamodel.is_datetime(self.column_name)
        return query.filter(self._bound(column, day, is_datetime))


class FilterDayFrom(_DayBound):
    """On or after the day (从)."""

    name = _l("From (day)")
    arg_name = "day_from"

    def _bound(self, column, day, is_datetime):
        start = datetime.datetime.combine(day, datetime.time()) if is_datetime else day
        return column >= start


class FilterDayTo(_DayBound):
    """On or before the day (至): up to the end of that day for a time column."""

    name = _l("To (day)")
    arg_name = "day_to"

    def _bound(self, column, day, is_datetime):
        if is_datetime:
            return column < datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return column <= day


def install_day_ranges(view):
    """Give each date or time search column the two whole-day bounds, at the end of its
    filter list so the indexes of the filters already there (and saved links) keep their
    meaning."""
    dm = view.datamodel
    filters = view._filters
    replaced = set(getattr(view, "search_form_extra_fields", None) or {}) | set(getattr(view, "search_filters", None) or {})
    for col in list(view.search_columns or []):
        if "." in col or col in replaced or not (dm.is_date(col) or dm.is_datetime(col)):
            continue
        current = filters._all_filters.get(col) or []
        if any(isinstance(f, _DayBound) for f in current):
            continue
        added = [FilterDayFrom(col, dm), FilterDayTo(col, dm)]
        filters._all_filters = {**filters._all_filters, col: [*current, *added]}
        searched = filters._search_filters.get(col)
        if searched is not None:
            filters._search_filters[col] = [*searched, *added]


@dataclass
class InlineField:
    """One box of the inline search form."""

    column: str
    label: str
    kind: str  # text | select | daterange
    name: str = ""
    value: str = ""
    options: list = field(default_factory=list)  # [(value, text)]
    placeholder: str = ""
    # daterange: the two argument names and their values
    name_from: str = ""
    name_to: str = ""
    value_from: str = ""
    value_to: str = ""


def _index_of(filters, wanted):
    """Index of the first filter whose URL name (FAB's ``arg_name``: ct, sw, eq, rel_o_m …) is
    one of ``wanted``, in the order wanted."""
    for arg_name in wanted:
        for i, flt in enumerate(filters):
            if getattr(flt, "arg_name", None) == arg_name:
                return i
    return None


def _arg(col, index):
    return f"_flt_{index}_{col}"


def inline_columns(view):
    declared = getattr(view, "inline_search_columns", None)
    if declared is not None:
        return list(declared)
    return list(view.search_columns or [])[:view.inline_search_limit]


def inline_fields(view, form=None, masked_columns=(), choices_key=None):
    """The inline search boxes of ``view``: its declared columns, each with the filter that a
    person expects from a box of that kind (a part of a text, the exact value of a choice, a
    day range), prefilled from the request."""
    dm = view.datamodel
    all_filters = view._filters._all_filters
    search_filters = view._filters._search_filters
    args = request.args
    fields = []
    for col in inline_columns(view):
        flts = all_filters.get(col) or []
        shown = search_filters.get(col)
        if not flts or shown is None:
            continue
        label = str(view.label_columns.get(col, col))
        form_field = form[col] if form is not None and col in form else None
        if (dm.is_date(col) or dm.is_datetime(col)) and "." not in col \
                and _index_of(flts, [FilterDayFrom.arg_name]) is not None:
            i_from = _index_of(flts, [FilterDayFrom.arg_name])
            i_to = _index_of(flts, [FilterDayTo.arg_name])
            if i_from is None or i_to is None:
                continue
            fields.append(InlineField(col, label, "daterange",
                                      name_from=_arg(col, i_from), name_to=_arg(col, i_to),
                                      value_from=args.get(_arg(col, i_from), ""),
                                      value_to=args.get(_arg(col, i_to), "")))
            continue
        choices = _cached_choices(view, col, form_field, choices_key)
        if choices is not None and col in (getattr(view, "search_form_extra_fields", None) or {}):
            label = str(form_field.label.text)  # the view's own wording for its choice
        if choices is not None:
            index = _index_of(flts, ["eq", "rel_o_m"])
            if index is None:
                index = 0  # the view's own filter for its choice (e.g. 是否超期)
            name = _arg(col, index)
            fields.append(InlineField(col, label, "select", name=name, value=args.get(name, ""),
                                      options=choices))
            continue
        if col in masked_columns:
            index = _index_of(flts, ["eq"])
            placeholder = _l("Exact full value")
        else:
            index = _index_of(flts, ["ct", "sw", "eq"])
            placeholder = ""
        if index is None:
            continue
        name = _arg(col, index)
        fields.append(InlineField(col, label, "text", name=name, value=args.get(name, ""),
                                  placeholder=str(placeholder) if placeholder else ""))
    return fields


@dataclass
class InlineSearch:
    fields: list
    hidden: list  # [(name, value)] the request's other arguments, kept on a new search
    advanced_open: bool = False  # filters beyond the inline boxes are in force


_CHOICES_CACHE = {}


def drop_cached_choices():
    _CHOICES_CACHE.clear()


def inline_search(view, form=None, masked_columns=(), choices_key=None):
    fields = inline_fields(view, form, masked_columns, choices_key)
    names = set()
    for f in fields:
        names.update([f.name_from, f.name_to] if f.kind == "daterange" else [f.name])
    hidden, advanced = [], False
    for key, value in request.args.items(multi=True):
        if key in names or key.startswith("page_"):
            continue
        hidden.append((key, value))
        if key.startswith("_flt_"):
            advanced = True
    return InlineSearch(fields, hidden, advanced)


def _cached_choices(view, col, form_field, choices_key):
    if choices_key is None:
        return _choices(view, col, form_field)
    key = choices_key(col)
    if key not in _CHOICES_CACHE:
        if len(_CHOICES_CACHE) > 2000:
            _CHOICES_CACHE.clear()
        _CHOICES_CACHE[key] = _choices(view, col, form_field)
    return _CHOICES_CACHE[key]


def _choices(view, col, form_field):
    """[(value, text)] for a column chosen from a list (a dictionary, a relation, yes/no), else
    None for a free-text column."""
    from flask_babel import gettext as _

    dm = view.datamodel
    if "." not in col and dm.is_boolean(col):
        return [("y", _("Yes"))]
    if form_field is None:
        return None
    if not hasattr(form_field, "iter_choices") or form_field.type in ("StringField", "TextAreaField"):
        return None
    options = []
    try:
        for n, choice in enumerate(form_field.iter_choices()):
            if n > MAX_INLINE_OPTIONS:
                return None  # too many to choose from: a text box on the advanced filters instead
            value, text = choice[0], choice[1]
            if value in (None, "", "__None"):
                continue
            options.append((str(value), str(text)))
    except Exception:  # a field whose choices need a request it does not have
        return None
    return options


def key_column(view):
    """The column that names a row (and links to its detail)."""
    declared = getattr(view, "list_key_column", None)
    columns = list(view.list_columns or [])
    if declared:
        return declared if declared in columns else None
    for name in KEY_COLUMN_NAMES:
        if name in columns:
            return name
    for name in KEY_COLUMN_NAMES:
        for col in columns:
            if col.endswith("_" + name) or col.endswith("." + name):
                return col
    return columns[0] if columns else None


def page_sizes(cap):
    sizes = [s for s in PAGE_SIZES if s <= cap]
    return sizes or [cap]
