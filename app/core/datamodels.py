"""The datamodel every console view and REST API uses (app/core/views.py, app/core/rest.py):
the data scope on every query FAB runs (list, show, edit, delete, bulk actions, related
dropdowns, export, REST), typed and bounded list parameters, and the secret columns never
serialised."""
import enum
import logging
from functools import reduce

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import cache, masking
from app.core.lists import reader as list_reader
from app.core.lists.paging import AnjuFilterConverter, ListCount, count_cap
from app.core.scope import apply_scope
from app.extensions import db

log = logging.getLogger(__name__)

#: Counts past the cap ("10,000+") kept between requests: the same statement with the same
#: values (scope and filters included) answers the same until a write to one of its tables
#: (at once in this process, through app/core/cache.py) or, for another process's writes,
#: OVER_CAP_TTL seconds. An exact count is never kept: only "more than the cap" is, and it
#: stops being true only when more rows than the margin over the cap go at once.
OVER_CAP = "list_count_over_cap"
OVER_CAP_TTL = 30


def statement_key(stmt):
    """A hashable key of a statement and its values (SQLAlchemy's own cache key: the SQL's
    structure, literals included, and each bound value), or None if it has none."""
    ck = stmt._generate_cache_key()
    if ck is None:
        return None
    values = []
    for bp in ck.bindparams:
        value = bp.effective_value
        values.append(tuple(value) if isinstance(value, list) else value)
    key = (ck.key, tuple(values))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def tables_of(stmt):
    """The names of the tables a statement reads, subqueries and EXISTS included."""
    from sqlalchemy import Table
    from sqlalchemy.sql.util import find_tables

    found = find_tables(stmt, check_columns=True, include_aliases=True, include_joins=True,
                        include_selects=True)
    return tuple(sorted({t.name for t in found if isinstance(t, Table)}))


class PersonalSearchRefused(Exception):
    """A search on a masked column by anything but its exact full value."""


def _is_exact(flt):
    from flask_appbuilder.models.sqla.filters import FilterEqual

    return type(flt) is FilterEqual


def guard_personal_filters(datamodel, filters):
    """Refuse any filter on a column the viewer sees masked unless it is an exact match on a
    full value: a prefix, a suffix, a part, a range or an inequality would rebuild the value
    a few characters at a time. Applies to list pages, REST, exports and counts alike."""
    if masking.viewer_sees_full():
        return
    for flt, value in zip(filters.filters, filters.values):
        kind = datamodel.personal_kind(getattr(flt, "column_name", None))
        if kind is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        if not _is_exact(flt) or not values or not all(
                isinstance(v, str) and masking.is_full_value(kind, v) for v in values):
            from werkzeug.exceptions import BadRequest

            raise BadRequest(description=_(
                "%(column)s is shown masked to you: it can only be searched by its exact full value.",
                column=masking.kind_label(kind)))


#: How far into a list (rows) a page is read with the scope's per-row form (see page_ids).
WALK_ROWS = 2000

_MISSING = object()


def _literal_int(n):
    """A LIMIT or OFFSET written into the statement (an int, so nothing else can be written)."""
    from sqlalchemy import literal_column

    return literal_column(str(int(n)))


# Column names whose values are secrets: never serialised in any answer.
SECRET_COLUMNS = frozenset({"password", "password_hash", "secret", "token", "api_key", "code_hash", "answer_hash",
                            "otp_secret"})


# --- the datamodel: scope on every query --------------------------------------------

class SafeInterface(SQLAInterface):
    """SQLAInterface whose writes never hand a database error's text to the user: the error
    is logged and a DomainError with the Chinese message is raised instead (the conflict
    message for an integrity error, else the generic one with an incident number). Pages
    flash it, APIs answer 422 with it. create_app gives FAB's own views this interface too.
    Text searches compile to ``LIKE ? ESCAPE`` with the user's wildcards taken literally
    (app/core/lists/paging.py)."""

    filter_converter_class = AnjuFilterConverter

    @staticmethod
    def _get_attr_value(item, col):
        """FAB's cell value (a dotted path, a method called, an Enum's value, "" for a
        missing path) with one attribute read instead of three: FAB's hasattr, callable
        test and read each computed a property again (a request's remaining time thrice
        per row)."""
        value = getattr(item, col, _MISSING)
        if value is _MISSING:
            try:
                return reduce(getattr, col.split("."), item)
            except Exception:
                return ""
        if callable(value):
            return value()
        if isinstance(value, enum.Enum):
            return value.value
        return value

    def _write(self, method, *args, **kwargs):
        from sqlalchemy.exc import SQLAlchemyError

        from app.core.errors import DomainError, user_message

        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            self.session.rollback()
            cause = exc
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, SQLAlchemyError) else None
            if cause is None:
                raise
            self.session.rollback()
        raise DomainError(user_message(cause)) from cause

    def add(self, item, *args, **kwargs):
        return self._write(super().add, item, *args, **kwargs)

    def edit(self, item, *args, **kwargs):
        return self._write(super().edit, item, *args, **kwargs)

    def delete(self, item, *args, **kwargs):
        return self._write(super().delete, item, *args, **kwargs)

    @staticmethod
    def _typed_key(model, value):
        """``value`` as ``model``'s key type, or raise ValueError when it cannot be one."""
        pk_columns = model.__mapper__.primary_key
        if len(pk_columns) != 1 or isinstance(value, (dict, list, tuple)):
            return value
        try:
            python_type = pk_columns[0].type.python_type
        except NotImplementedError:
            return value
        if python_type is str and not isinstance(value, str):
            return str(value)
        if python_type is int and not isinstance(value, int):
            text = str(value).strip()
            if not text.lstrip("-").isdigit():
                raise ValueError(value)
            return int(text)
        return value

    def get_related_obj(self, col_name, value):
        """The related row of a relation filter; none for a value that cannot be its key (an
        empty filter box), without asking the database (PostgreSQL would refuse the
        comparison and abort the request's transaction)."""
        try:
            value = self._typed_key(self.get_related_model(col_name), value)
        except ValueError:
            return None
        return super().get_related_obj(col_name, value)

    def get(self, id, filters=None, *args, **kwargs):
        """One row by key, the key taken as its column's type: FAB's REST routes read every key
        as a number (``/<int:pk>``), which PostgreSQL refuses to compare with a text key (a
        region's code), and a text key a number column cannot hold is no row."""
        try:
            id = self._typed_key(self.obj, id)
        except ValueError:
            return None
        return super().get(id, filters, *args, **kwargs)

    def delete_all(self, items, *args, **kwargs):
        return self._write(super().delete_all, items, *args, **kwargs)


class ScopedInterface(SafeInterface):
    """SQLAInterface that adds the current user's scope to every query it builds."""

    def __init__(self, obj, session=None):
        super().__init__(obj, session or db.session)

    def _apply_inner_all(self, query, filters=None, *args, **kwargs):
        query = apply_scope(query, self.obj)
        return super()._apply_inner_all(query, filters, *args, **kwargs)

    # Set by a list view whose columns are all plain columns: list queries load only those.
    list_select_columns = None

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        """(count, rows) of one page. The count is a :class:`ListCount`: exact up to the cap
        ``list.count_cap`` (and on the last page), else the cap with ``exact`` False (past the
        cap: the rows known to exist, this page and one more); ``exact_count=1`` counts all.
        A page is read ids first: the page's keys with the filters, scope and order (an index
        walk that touches no other table), then those rows with their joins, in that order;
        deep pages no longer join the related rows of every skipped row."""
        select_columns = select_columns or self.list_select_columns
        if not page_size:
            return super().query(filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)
        ids = self.page_ids(filters, order_column, order_direction, page, page_size, extra=1)
        has_next = len(ids) > page_size
        ids = ids[:page_size]
        offset = (page or 0) * page_size
        if ids and not has_next and count_cap() is not None:
            count = ListCount(offset + len(ids), exact=True)     # the last page: the total is known
        else:
            count = self.list_count(filters, offset=offset, shown=len(ids))
            if not count.exact and has_next and offset + len(ids) + 1 > int(count):
                # Past the cap the count says what is known to exist (this page and a row
                # after it), so page links keep offering the next page.
                count = ListCount(offset + len(ids) + 1, exact=False)
        count.has_next = has_next
        fast = list_reader.current(self.obj)   # a console list page of plain values
        if fast is not None:
            return count, fast.read(self.session, ids)
        return count, self.rows_by_ids(ids, select_columns)

    def _key_query(self, filters, walk=False):
        """SELECT pk with the scope and the filters that apply to this table."""
        pk = self.obj.__mapper__.primary_key[0]
        query = apply_scope(self.session.query(pk), self.obj, walk=walk)
        return self.apply_filters(query, self.get_inner_filters(filters))

    def page_ids(self, filters=None, order_column="", order_direction="", page=None, page_size=None, extra=0):
        """The keys of one page (and ``extra`` more), in the list's order (ties broken by the key).
        Pages within WALK_ROWS of the start use the scope's per-row form where a model has one
        (app/core/scope.py): the query walks the order and stops after the page."""
        from app.core import text_index

        walk = (page_size is not None and ((page or 0) + 1) * page_size <= WALK_ROWS
                and self._order_is_indexed(order_column))
        with text_index.walking(walk):
            query = self._key_query(filters, walk=walk)
        query = self.apply_order_by(query, order_column, order_direction, aliases_mapping={},
                                    bypass_many_to_many=True, add_pk=True)
        if order_column == "":
            query = query.order_by(self.obj.__mapper__.primary_key[0])
        if page_size:
            # Written into the SQL, not bound: SQLite plans a bound LIMIT as unknown and may
            # then walk the whole table in the list's order where an index answers a known
            # small one (a company that matches no staff: 70 ms instead of 0.1).
            query = query.offset(_literal_int((page or 0) * page_size)).limit(_literal_int(page_size + extra))
        return [row[0] for row in query.all()]

    def _order_is_indexed(self, order_column):
        """Whether an index gives the list's order (the key, or a column an index starts
        with): only then does a walk in that order stop after one page."""
        table = self.obj.__table__
        if not order_column or order_column == self.get_pk_name():
            return True
        col = table.c.get(order_column)
        if col is None:
            return False
        if col.index or col.unique or col.primary_key:
            return True
        return any(next(iter(ix.columns), None) is col for ix in table.indexes)

    def page_options(self, query):
        """Loader options of a page's rows (a subclass may load relations differently)."""
        return query

    def _page_statement(self, select_columns):
        """``SELECT obj WHERE pk IN :ids`` with the list's column options and page_options,
        built once per column list (a list of plain columns only; dotted ones join other
        tables per request, through FAB). Executing one built statement saves building and
        keying FAB's per-column options on every page (about a third of reading the rows)."""
        made = self.__dict__.setdefault("_anju_page_statements", {})
        if select_columns in made:
            return made[select_columns]
        stmt = None
        if not any("." in c for c in select_columns):
            from sqlalchemy import bindparam, select

            pk = self.obj.__mapper__.primary_key[0]
            stmt = select(self.obj).where(pk.in_(bindparam("anju_page_ids", expanding=True)))
            if select_columns:
                stmt = self.apply_inner_select_joins(stmt, list(select_columns), {})
            stmt = self.page_options(stmt)
        made[select_columns] = stmt
        return stmt

    def rows_by_ids(self, ids, select_columns=None):
        """The rows with these keys, in this order, loaded with the list's joins."""
        if not ids:
            return []
        pk = self.obj.__mapper__.primary_key[0]
        stmt = self._page_statement(tuple(select_columns or ()))
        if stmt is not None:
            rows = self.session.scalars(stmt, {"anju_page_ids": list(ids)}).unique().all()
            by_key = {getattr(r, pk.key): r for r in rows}
            return [by_key[i] for i in ids if i in by_key]
        query = self.session.query(self.obj).filter(pk.in_(ids))
        if select_columns:
            plain = [c for c in select_columns if "." not in c or not (
                self.is_relation_many_to_many(c.split(".", 1)[0])
                or self.is_relation_one_to_many(c.split(".", 1)[0]))]
            query = self.apply_inner_select_joins(query, plain, {})
        query = self.page_options(query)
        rows = query.all()
        result = []
        for item in rows:  # a joined select gives (row, related, ...) tuples
            result.append(getattr(item, self.obj.__name__) if hasattr(item, self.obj.__name__) else item)
        by_key = {getattr(r, pk.key): r for r in result}
        return [by_key[i] for i in ids if i in by_key]

    def list_count(self, filters=None, offset=0, shown=0):
        """The list's count: exact up to the cap, else ``ListCount(cap, exact=False)``."""
        cap = count_cap()
        if cap is None:
            return ListCount(self._key_query(filters).order_by(None).count(), exact=True)
        if offset + shown > cap:  # a page past the cap: more rows than the cap, known already
            return ListCount(cap, exact=False)
        # Counting stops at the cap: the scope's per-row form stops with it.
        query = self._key_query(filters, walk=True).order_by(None)
        stmt = select(func.count()).select_from(query.limit(_literal_int(cap + 1)).subquery())
        key = statement_key(stmt)
        if key is not None and cache.kept(OVER_CAP, key, OVER_CAP_TTL) is not cache.MISSING:
            return ListCount(cap, exact=False)
        tables = tables_of(stmt) if key is not None else ()
        seen = cache.generation(tables)
        n = self.session.execute(stmt).scalar()
        if n > cap and key is not None:
            cache.keep(OVER_CAP, key, tables, seen, True)
        return ListCount(cap, exact=False) if n > cap else ListCount(n, exact=True)

    def query_count(self, query, filters=None, select_columns=None):
        """COUNT over the primary key only, not over a subquery of every column."""
        return self._key_query(filters).order_by(None).count()

    def get_related_interface(self, col_name):
        return self.__class__(self.get_related_model(col_name), self.session)

    # --- personal columns: searched only by the exact full value, never ordered by ---
    def personal_kind(self, column):
        """The mask kind of ``column`` (dotted through relations) if it holds personal
        data, else None."""
        model, leaf = self.obj, column or ""
        try:
            while "." in leaf:
                root, leaf = leaf.split(".", 1)
                model = model.__mapper__.relationships[root].mapper.class_
            return masking.personal_columns(model).get(leaf)
        except (KeyError, AttributeError):
            return None

    def apply_filters(self, query, filters):
        if filters:
            guard_personal_filters(self, filters)
        return super().apply_filters(query, filters)

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        if order_column and self.personal_kind(order_column) and not masking.viewer_sees_full():
            # An order over masked values would line them up: the rows come by number instead.
            order_column = self.get_pk_name()
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
