"""Base classes every module's views and APIs use. They apply, once:

* the data scope (app/core/scope.py) to every query the datamodel runs: list, show,
  edit, delete, bulk actions, master-detail, related dropdowns, export and the REST API;
* masking of personal data on the server, with an audited full view for roles that hold
  the permission;
* export to .xlsx of the current filters, order and scope; template download and
  all-or-nothing import;
* FAB's open holes: GET mutations, scope-less actions, bad page sizes, COUNT(*) over
  every column.
"""
import logging
from functools import wraps

from flask import abort, current_app, flash, g, redirect, request, send_file, session, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_appbuilder.widgets import FormWidget, ListWidget, SearchWidget
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core import audit, import_files, listing, masking, xlsx
from app.core.audit import AuditAction
from app.core.paging import AnjuFilterConverter, ListCount, count_cap, like_filter
from app.core.schemas import AnjuSchemaConverter
from app.core.scope import apply_scope, stamp
from app.extensions import db
from app.security.roles import PII_PERMISSION, PII_VIEW

log = logging.getLogger(__name__)

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
    (app/core/paging.py)."""

    filter_converter_class = AnjuFilterConverter

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
        return count, self.rows_by_ids(ids, select_columns)

    def _key_query(self, filters):
        """SELECT pk with the scope and the filters that apply to this table."""
        pk = self.obj.__mapper__.primary_key[0]
        query = apply_scope(self.session.query(pk), self.obj)
        return self.apply_filters(query, self.get_inner_filters(filters))

    def page_ids(self, filters=None, order_column="", order_direction="", page=None, page_size=None, extra=0):
        """The keys of one page (and ``extra`` more), in the list's order (ties broken by the key)."""
        query = self._key_query(filters)
        query = self.apply_order_by(query, order_column, order_direction, aliases_mapping={},
                                    bypass_many_to_many=True, add_pk=True)
        if order_column == "":
            query = query.order_by(self.obj.__mapper__.primary_key[0])
        if page_size:
            query = query.offset((page or 0) * page_size).limit(page_size + extra)
        return [row[0] for row in query.all()]

    def page_options(self, query):
        """Loader options of a page's rows (a subclass may load relations differently)."""
        return query

    def rows_by_ids(self, ids, select_columns=None):
        """The rows with these keys, in this order, loaded with the list's joins."""
        if not ids:
            return []
        pk = self.obj.__mapper__.primary_key[0]
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
        from sqlalchemy import func

        query = self._key_query(filters).order_by(None)
        cap = count_cap()
        if cap is None:
            return ListCount(query.count(), exact=True)
        if offset + shown > cap:  # a page past the cap: more rows than the cap, known already
            return ListCount(cap, exact=False)
        n = self.session.query(func.count()).select_from(query.limit(cap + 1).subquery()).scalar()
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


# --- search-form dropdowns of related rows: built once per process -----------------

#: Seconds a cached dropdown lives: writes in this process drop it at once (flush listener);
#: other processes (web workers) see a change after at most this long.
OPTIONS_TTL = 60.0
_OPTIONS_CACHE = {}
_OPTIONS_MODELS = set()
_options_generation = [0]


def _options_scope_key():
    """The viewer's reach: a dropdown of scoped rows is cached per scope, not shared."""
    from app.core.scope import current_user_obj, user_scope

    return user_scope(current_user_obj())


def drop_cached_options():
    _options_generation[0] += 1
    _OPTIONS_CACHE.clear()
    _SEARCH_TEXT_CACHE.clear()
    listing.drop_cached_choices()


def _watch_option_writes(session, flush_context):
    if not _OPTIONS_MODELS:
        return
    watched = tuple(_OPTIONS_MODELS)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, watched):
            drop_cached_options()
            return


class CachedOptionsWidget:
    """Renders a search form's select of related rows once per process, viewer scope and
    language (the search form opens with nothing chosen; a chosen value renders afresh)."""

    def __init__(self, inner, key):
        self.inner, self.key = inner, key

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __call__(self, field, **kwargs):
        import time

        from flask_babel import get_locale

        if field.data not in (None, [], "") or field.raw_data:
            return self.inner(field, **kwargs)
        if "name_" in kwargs:
            field.name = kwargs["name_"]
        key = (self.key, _options_scope_key(), str(get_locale()),
               tuple(sorted((k, str(v)) for k, v in kwargs.items())))
        hit = _OPTIONS_CACHE.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] == _options_generation[0] and now - hit[1] < OPTIONS_TTL:
            return hit[2]
        generation = _options_generation[0]
        html = self.inner(field, **kwargs)
        _OPTIONS_CACHE[key] = (generation, now, html)
        return html


_SEARCH_TEXT_CACHE = {}


class AnjuSearchWidget(SearchWidget):
    """FAB's search widget, with the column labels and filter names translated once per
    language and filter set instead of on every page (about a hundred gettext calls)."""

    def __call__(self, **kwargs):
        from flask_babel import get_locale

        form = self.template_args["form"]
        cols = tuple(self.template_args["include_cols"])
        dict_filters = self.filters.get_search_filters()
        key = (str(get_locale()), type(form), cols,
               tuple(tuple(type(f) for f in dict_filters[c]) for c in cols))
        texts = _SEARCH_TEXT_CACHE.get(key)
        if texts is None:
            texts = ({c: str(form[c].label.text) for c in cols},
                     {c: [str(f.name) for f in dict_filters[c]] for c in cols})
            _SEARCH_TEXT_CACHE[key] = texts
        kwargs["label_columns"], kwargs["search_filters"] = dict(texts[0]), {c: list(v) for c, v in texts[1].items()}
        if any(form[c].data not in (None, "", []) or form[c].raw_data for c in cols):
            kwargs["form_fields"] = {c: form[c]() for c in cols}
        else:
            # The search form opens empty (FAB's script fills it from the active filters):
            # its fields render the same for every viewer of one scope and language.
            import time

            bucket = int(time.monotonic() // OPTIONS_TTL)   # other processes' writes: at most a TTL late
            if _SEARCH_TEXT_CACHE.get("bucket") != bucket:
                _SEARCH_TEXT_CACHE.clear()
                _SEARCH_TEXT_CACHE["bucket"] = bucket
            fkey = key + (_options_scope_key(), _options_generation[0])
            fields = _SEARCH_TEXT_CACHE.get(fkey)
            if fields is None:
                fields = _SEARCH_TEXT_CACHE[fkey] = {c: form[c]() for c in cols}
            kwargs["form_fields"] = dict(fields)
        kwargs["active_filters"] = self.filters.get_filters_values_tojson()
        return FormWidget.__call__(self, **kwargs)


def cache_search_options(view):
    """Give ``view``'s search-form selects of related rows a per-process cache."""
    from flask_appbuilder.fields import QuerySelectField
    from wtforms.fields.core import UnboundField

    form = view.search_form
    if form is None:
        return
    for name in dir(form):
        unbound = getattr(form, name, None)
        if not isinstance(unbound, UnboundField) or not issubclass(unbound.field_class, QuerySelectField):
            continue
        if not view.datamodel.is_relation(name):
            continue
        _OPTIONS_MODELS.add(view.datamodel.get_related_model(name))
        widget = unbound.kwargs.get("widget")
        if widget is not None and not isinstance(widget, CachedOptionsWidget):
            unbound.kwargs["widget"] = CachedOptionsWidget(widget, (type(view).__name__, name))


def _install_option_listener():
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _watch_option_writes):
        event.listen(Session, "after_flush", _watch_option_writes)


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


def commit_keeping_rows(session=None):
    """Commit without expiring the loaded rows: the page about to be rendered keeps reading
    them from memory instead of reloading each one by its key (the entry is committed before
    rendering, so it stays even if rendering fails)."""
    session = (session or db.session)()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def can_view_full_pii():
    """Whether the acting user may see personal data unmasked (cached per request)."""
    return masking.viewer_sees_full()


def masked(kind):
    """A formatter that masks ``kind`` unless the user may see the full value."""

    def formatter(value):
        if value is None:
            return ""
        return value if can_view_full_pii() else masking.mask(kind, value)

    formatter.mask_kind = kind
    return formatter


def display(value):
    """Default cell text: empty for None, 是/否 for booleans, datetimes to the minute
    (YYYY-MM-DD HH:MM), dates as YYYY-MM-DD, lists joined with 、."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if hasattr(value, "strftime") and hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "strftime") and hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (list, tuple, set)) or (hasattr(value, "__iter__") and not isinstance(value, str)):
        return "、".join(str(v) for v in value)
    return value


def record_name(item):
    """How a saved record reads to the viewer: its declared number or name (the model's
    ``__audit__`` row), else its own text, else its kind and number; a personal value is
    masked unless the viewer may see it in full."""
    from app.core.audit import entity_name

    spec = getattr(type(item), "__audit__", None)
    text = None
    row = getattr(spec, "row", None)
    try:
        if callable(row):
            text = row(item)
        elif row:
            text = getattr(item, row, None)
            kind = (spec.masks or {}).get(row) or masking.personal_columns(type(item)).get(row)
            if kind and text and not can_view_full_pii():
                text = masking.mask(kind, text)
        if text in (None, ""):
            own = repr(item)
            if " object at 0x" not in own and not own.startswith("<"):
                text = own
    except Exception:  # a name must never break the save it reports
        log.warning("no display name for %r", type(item), exc_info=True)
        text = None
    if text in (None, ""):
        pk = getattr(item, "id", None)
        name = entity_name(type(item).__name__)
        text = f"{name} #{pk}" if pk is not None else name
    return str(text)


def _records_saved(fn):
    """Wrap a view's post_add/post_update: the request remembers which record it saved."""

    @wraps(fn)
    def wrapper(self, item, *args, **kwargs):
        result = fn(self, item, *args, **kwargs)
        g.anju_saved = (self, item)
        return result

    wrapper.records_saved = True
    return wrapper


def _page_arg_guard():
    """Refuse non-numeric page/page-size arguments before FAB turns them into a 500."""
    for key, value in request.args.items():
        if key.startswith(("psize_", "page_")) and not (value.strip().isascii() and value.strip().isdigit()):
            abort(400, description=_("The page number and page size must be whole numbers."))


class SaveLanding:
    """After add or edit, land on the saved record (its detail page, else its view's own
    list) with a message naming it: never on the list the session opened last, which is
    where FAB's history sends a save. Mixed into AnjuModelView and FAB's security views."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("post_add", "post_update"):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "records_saved", False):
                setattr(cls, name, _records_saved(fn))

    @_records_saved
    def post_add(self, item):
        super().post_add(item)

    @_records_saved
    def post_update(self, item):
        super().post_update(item)

    def saved_url(self, item):
        """Where a save lands: the record's detail page when the viewer may open it, else the
        view's own list."""
        sm = self.appbuilder.sm
        pk = self.datamodel.get_pk_value(item)
        if "can_show" in (self.base_permissions or []) and sm.has_access("can_show", self.class_permission_name):
            try:
                return url_for(f"{self.endpoint}.show", pk=pk)
            except Exception:  # no detail page of its own
                pass
        return url_for(f"{self.endpoint}.list")

    def _landing(self):
        saved = g.pop("anju_saved", None)
        if saved is None or saved[0] is not self:
            # Nothing was saved (the reason is flashed): back to the same form, not to a list.
            return redirect(request.full_path.rstrip("?") if request.method == "POST"
                            else url_for(f"{self.endpoint}.list"))
        item = saved[1]
        # FAB's generic "Added Row"/"Changed Row" gives way to a message naming the record.
        generic = {str(self.add_row_message), str(self.edit_row_message)}
        session["_flashes"] = [f for f in session.get("_flashes", []) if f[1] not in generic]
        flash(_("Saved: %(name)s", name=record_name(item)), "success")
        return redirect(self.saved_url(item))

    def post_add_redirect(self):
        return self._landing()

    def post_edit_redirect(self):
        return self._landing()


class AnjuListWidget(ListWidget):
    """The console's list (anju/widgets/list.html): FAB's arguments plus what the toolbar and
    the rows need from the view (``anju``)."""

    template = "anju/widgets/list.html"
    view = None  # set per view by AnjuModelView

    def __call__(self, **kwargs):
        kwargs["anju"] = self.view.list_extras() if self.view is not None else {}
        return super().__call__(**kwargs)


class ConsoleListMixin:
    """The console's list page for any FAB ModelView (ours, and FAB's own security views):
    anju/list.html with the inline search form, whole-day ranges, 序号, the key column's link,
    text buttons and page sizes (app/core/listing.py)."""

    list_template = "anju/list.html"
    list_widget = AnjuListWidget
    page_size = 20
    # The inline search form shows these columns (default: the first inline_search_limit of
    # search_columns); the rest stay in the advanced filters.
    inline_search_columns = None
    inline_search_limit = 5
    # The column that names a row and links to its detail (default: app/core/listing.key_column).
    list_key_column = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        listing.install_day_ranges(self)
        self._search_form_without_defaults()
        self.list_widget = type(f"{self.__class__.__name__}ListWidget", (self.list_widget,), {"view": self})

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = super()._get_search_widget(form=form, exclude_cols=exclude_cols, widgets=widgets)
        widgets["inline"] = listing.inline_search(
            self, form, () if masking.viewer_sees_full() else tuple(getattr(self, "mask_columns", None) or ()),
            choices_key=self._inline_choices_key)
        return widgets

    def _inline_choices_key(self, column):
        """The choices of an inline select are the same for every viewer of one scope and
        language: kept per process like the advanced filters' dropdowns (dropped on writes to
        their tables, at most OPTIONS_TTL late for other processes' writes)."""
        import time

        from flask_babel import get_locale

        bucket = int(time.monotonic() // OPTIONS_TTL)
        return (type(self).__name__, column, str(get_locale()), _options_scope_key(),
                _options_generation[0], bucket)

    def supports_import(self):
        return False

    @staticmethod
    def _permitted(view, permission):
        return permission in (view.base_permissions or []) and view.appbuilder.sm.has_access(
            permission, view.class_permission_name)

    def _search_form_without_defaults(self):
        """Search boxes start empty: a column's default (e.g. now() for a timestamp) is no search."""
        form = getattr(self, "search_form", None)
        if form is None:
            return
        for name in dir(form):
            unbound = getattr(form, name, None)
            kwargs = getattr(unbound, "kwargs", None)
            if isinstance(kwargs, dict) and "default" in kwargs and hasattr(unbound, "field_class"):
                kwargs["default"] = None

    def list_extras(self):
        """What the list widget needs from the view besides FAB's arguments."""
        from urllib.parse import urlencode

        from flask import url_for

        from app.system.params import get_param

        query = request.query_string.decode()
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "exact_count"]
        importable = self.supports_import()
        extras = {
            "key_column": self.list_key_column or listing.key_column(self),
            "page_sizes": listing.page_sizes(get_param("list.page_size_max")),
            "wrap_at": 40,
            "can_export": self._permitted(self, "can_export") and hasattr(self, "export"),
            "can_import": importable and self._permitted(self, "can_import"),
            "can_template": importable and self._permitted(self, "can_template"),
            "exact_count_url": request.path + "?" + urlencode(args + [("exact_count", "1")]),
        }
        name = self.__class__.__name__
        # Row links built once per page (url_for per row and action is a measurable share of a page).
        for action in ("show", "edit", "delete"):
            try:
                # a number fits both <pk> and <int:pk> routes
                extras[f"{action}_url"] = url_for(f"{name}.{action}", pk=918273645).replace("918273645", "{pk}")
            except Exception:  # the view has no such page
                extras[f"{action}_url"] = None
        if extras["can_export"]:
            extras["export_url"] = url_for(f"{name}.export") + (f"?{query}" if query else "")
        if extras["can_import"]:
            extras["import_url"] = url_for(f"{name}.import_")
        if extras["can_template"]:
            extras["template_url"] = url_for(f"{name}.template")
        return extras


class AnjuModelView(SaveLanding, ConsoleListMixin, ModelView):
    """Base ModelView: scope, masking, export, import, and FAB's holes closed."""

    search_widget = AnjuSearchWidget
    page_size = 20
    # {column: masking kind}: masked on the server unless the role may see full values.
    mask_columns = {}
    # The entity's xlsx declaration (app/<module>/schemas.py); drives export and import.
    xlsx_columns = None
    xlsx_title = None
    # Import: unique keys inside the file; a callable(rows) -> errors; a callable that
    # writes the rows inside the request's transaction.
    import_unique = ()
    # {column: [filter classes]}: replaces the filters FAB derives for a search column (e.g.
    # only FilterEqual on a coded column whose value comes from a select in
    # search_form_extra_fields).
    search_filters = {}

    base_permissions = None

    def __init__(self, **kwargs):
        if self.base_permissions is None:
            perms = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export"]
            if self.xlsx_columns and self.supports_import():
                perms += ["can_import", "can_template"]
            self.base_permissions = perms
        super().__init__(**kwargs)
        for col, classes in (self.search_filters or {}).items():
            # The search form lists _search_filters; URL arguments (_flt_<i>_<col>) index
            # _all_filters: replace both, so index i means the same filter in each.
            instances = [like_filter(cls)(col, self.datamodel) for cls in classes]
            self._filters._search_filters[col] = instances
            self._filters._all_filters = {**self._filters._all_filters, col: instances}
        dm = self.datamodel
        if all(dm.is_pk(c) or (not dm.is_relation(c) and not dm.is_property_or_function(c)
                               and hasattr(dm.obj, c)) for c in self.list_columns):
            # Lists read only the shown columns (not e.g. the audit log's before/after texts).
            pk = dm.get_pk_name()
            dm.list_select_columns = list(dict.fromkeys([pk, *self.list_columns]))
        masking.register_personal(dm.obj, self.mask_columns)
        self.mask_columns = {**masking.personal_columns(dm.obj), **self.mask_columns}
        self._personal_filters_first()
        # FAB offers ordering by a Python property or a computed list column (which SQL cannot
        # order by): a 500.
        self.order_columns = [c for c in self.order_columns or []
                              if "." in c or (hasattr(dm.obj, c)
                                              and not isinstance(getattr(dm.obj, c), property))]
        formatters = dict(self.formatters_columns or {})
        for col, kind in self.mask_columns.items():
            formatters.setdefault(col, masked(kind))
        shown = set(self.list_columns or []) | set(self.show_columns or [])
        for fieldset in self.show_fieldsets or []:
            shown |= set(fieldset[1].get("fields", []))
        for col in shown:
            formatters.setdefault(col, display)
        self.formatters_columns = formatters
        cache_search_options(self)
        _install_option_listener()

    def _personal_filters_first(self):
        """On a personal column the exact match comes first, at the same index in the search
        form and in URL arguments, so a viewer who sees the column masked is offered just
        that one (see _get_search_widget)."""
        from flask_appbuilder.models.sqla.filters import FilterEqual

        for col in self.mask_columns:
            for table in (self._filters._search_filters, self._filters._all_filters):
                flts = table.get(col)
                if flts and any(type(f) is FilterEqual for f in flts):
                    table[col] = sorted(flts, key=lambda f: type(f) is not FilterEqual)

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = super()._get_search_widget(form=form, exclude_cols=exclude_cols, widgets=widgets)
        if self.mask_columns and not can_view_full_pii():
            import copy

            shown = copy.copy(self._filters)
            shown._search_filters = {
                col: (flts[:1] if col in self.mask_columns else flts)
                for col, flts in self._filters._search_filters.items()
                if col not in self.mask_columns or (flts and _is_exact(flts[0]))
            }
            widgets["search"].template_args["filters"] = shown
            widgets["search"].filters = shown
            hidden = [c for c in self.search_columns if c not in shown._search_filters]
            if hidden:
                widgets["search"].template_args["include_cols"] = [
                    c for c in self.search_columns if c not in hidden]
        return widgets

    def supports_import(self):
        return type(self).import_rows is not AnjuModelView.import_rows

    # --- page size and counts ---
    def _list(self, **kwargs):
        _page_arg_guard()
        return super()._list(**kwargs)

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        from app.system.params import get_param

        cap = get_param("list.page_size_max")
        page_size = min(page_size or self.page_size, cap)
        widgets = super()._get_list_widget(filters, actions=actions, order_column=order_column,
                                           order_direction=order_direction, page=page,
                                           page_size=page_size, widgets=widgets, **kwargs)
        list_widget = widgets.get("list")
        if list_widget is not None:
            # FAB hands the template a generator over the rows: read them once, here.
            args = list_widget.template_args
            args["value_columns"] = list(args.get("value_columns") or [])
        self._audit_full_view(list_widget)
        return widgets

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets=widgets, actions=actions,
                                           show_fieldsets=show_fieldsets)
        if self.mask_columns and can_view_full_pii():
            audit.record(AuditAction.VIEW_PII, self.datamodel.obj.__name__, pk,
                         summary=_("Full values of: %(columns)s",
                                   columns="、".join(audit.field_label(self.datamodel.obj.__name__, c)
                                                    for c in self.mask_columns)),
                         commit=True)
        return widgets

    def _audit_full_view(self, list_widget):
        if not self.mask_columns or list_widget is None or not can_view_full_pii():
            return
        pks = list_widget.template_args.get("pks") or []
        if pks:
            audit.record(AuditAction.VIEW_PII, self.datamodel.obj.__name__,
                         summary=_("List showing records %(ids)s", ids=",".join(str(p) for p in pks)[:440]))
            commit_keeping_rows()

    def _item_or_404(self, pk):
        """One row by primary key within the user's scope and base filters, else 404: what
        every custom per-row endpoint (print, PDF, actions) starts with."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    # --- writes stamp the owner ---
    def pre_add(self, item):
        stamp(item)

    # --- edit forms: a personal value the viewer sees masked stays masked in the form ---
    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        if can_view_full_pii():
            return
        for col, kind in self.mask_columns.items():
            if col in form and isinstance(form[col].data, str) and form[col].data:
                form[col].data = masking.mask(kind, form[col].data)

    def process_form(self, form, is_created):
        """A masked value sent back unchanged keeps the stored value; a new full value
        replaces it."""
        super().process_form(form, is_created)
        if is_created or can_view_full_pii() or not self.mask_columns:
            return
        pk = (request.view_args or {}).get("pk")
        item = self.datamodel.get(pk, self._base_filters) if pk is not None else None
        if item is None:
            return
        for col, kind in self.mask_columns.items():
            stored = getattr(item, col, None)
            if col in form and isinstance(stored, str) and stored and form[col].data == masking.mask(kind, stored):
                form[col].data = stored

    # --- bulk actions honour the scope, and are all-or-nothing ---
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if request.method == "GET":
            flash(_("This operation must be submitted from its form."), "danger")
            return redirect(self.get_redirect())
        if name not in self.actions:
            abort(404)
        pk = self._deserialize_pk_if_composite(pk)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return self.actions[name].func(item)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)
        pks = request.form.getlist("rowid")
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
                 for pk in pks]
        if any(item is None for item in items):
            flash(_("Some of the selected records do not exist or are outside your scope; nothing was done."),
                  "danger")
            return redirect(self.get_redirect())
        return self.actions[name].func(items)

    # --- export ---
    def export_columns(self):
        """XColumns for export: the declared ones, else the list columns."""
        if self.xlsx_columns:
            return list(self.xlsx_columns)
        cols = []
        for name in self.list_columns:
            label = self.label_columns.get(name, name)
            cols.append(xlsx.XColumn(key=name, label=label, mask=self.mask_columns.get(name)))
        return cols

    def export_query(self):
        """The list's query: current filters, order and scope, all rows."""
        _page_arg_guard()
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, joined, order_column, order_direction)
        return query

    def export_value(self, row, column):
        value = getattr(row, column.key, None)
        if callable(value):
            value = value()
        formatter = self.formatters_columns.get(column.key)
        if column.mask or getattr(formatter, "mask_kind", None):
            kind = column.mask or formatter.mask_kind
            return value if can_view_full_pii() or value is None else masking.mask(kind, value)
        if formatter is not None and not isinstance(value, (int, float)) and value is not None \
                and not hasattr(value, "isoformat"):
            return formatter(value)
        if value is not None and not isinstance(value, (str, int, float, bool)) \
                and not hasattr(value, "isoformat"):
            if isinstance(value, (list, tuple, set)):
                return "、".join(str(v) for v in value)
            return str(value)
        return value

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        columns = self.export_columns()
        query = self.export_query().yield_per(2000)
        title = str(self.xlsx_title or self.list_title or self.datamodel.obj.__name__)
        counter = {"n": 0}

        def rows():
            for row in query:
                counter["n"] += 1
                yield row

        def on_done(count):
            audit.record(AuditAction.EXPORT, self.datamodel.obj.__name__,
                         summary=_("%(n)s rows exported", n=count) + (f"; {request.query_string.decode()[:400]}"
                                                                 if request.query_string else ""),
                         commit=True)

        return xlsx.stream_xlsx_response(
            f"{title}.xlsx", columns, rows(), sheet_title=title[:31],
            value_getter=self.export_value, on_done=on_done,
        )

    # --- import ---
    def validate_import(self, rows):
        """Cross-row and database checks: return [(row, column_key, message)]."""
        return []

    def import_rows(self, rows):
        """Write the validated rows (inside the request's transaction); return the count."""
        raise NotImplementedError

    @expose("/template/")
    @has_access
    @permission_name("template")
    def template(self):
        data = xlsx.build_template(self.xlsx_columns, str(self.xlsx_title or self.list_title))
        name = _("%(title)s-import template", title=self.xlsx_title or self.list_title) + ".xlsx"
        return xlsx.bytes_response(name, data)

    #: Problems listed on the import page (the error workbook holds up to the engine's cap).
    import_shown_errors = 500

    @expose("/import/", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def import_(self):
        result = None
        error_token = None
        imported = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Please choose an .xlsx file to upload."), "danger")
            else:
                from app.system.params import get_param

                max_bytes = current_app.config["IMPORT_MAX_BYTES"]
                max_rows = get_param("import.max_rows")
                # Never more than the limit in memory: one byte more says the file is too large.
                data = upload.stream.read(max_bytes + 1)
                result = xlsx.read_import(data, self.xlsx_columns, max_bytes=max_bytes,
                                          max_rows=max_rows, unique=self.import_unique)
                file_sound = not any(e.row is None and e.key != xlsx.MORE_PROBLEMS for e in result.errors)
                locked = False
                if file_sound and not result.errors:
                    # Imports of one list run one at a time: the second of a double click waits
                    # here for the first to commit, and its database checks then find those rows.
                    locked = self._lock_import()
                    if not locked:
                        result.errors.append(xlsx.RowError(None, None, "", _(
                            "Another import into this list is running; try again when it has finished.")))
                        result.error_count += 1
                        file_sound = False
                # The database checks run on the rows whose cells are sound, whenever the file
                # itself is readable, so every problem is reported in one pass.
                if file_sound:
                    xlsx.add_problems(result, self.validate_import(result.rows), self.xlsx_columns)
                if result.errors:
                    if locked:
                        db.session.rollback()
                    error_token = self._store_error_workbook(data, result.errors, max_bytes, max_rows)
                    flash(_("Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                            n=result.error_count), "danger")
                else:
                    try:
                        imported = self.import_rows(result.rows)
                        audit.record(AuditAction.IMPORT, self.datamodel.obj.__name__,
                                     summary=_("%(n)s rows imported from %(file)s", n=imported, file=upload.filename[:200]))
                        db.session.commit()
                    except IntegrityError:  # a row saved meanwhile by someone else (not by an import)
                        db.session.rollback()
                        log.warning("import refused by a database constraint", exc_info=True)
                        flash(_("Nothing was imported: some of these records were saved by someone else at the "
                                "same moment. Upload the file again to see which."), "danger")
                        imported = None
                    except Exception as exc:  # all-or-nothing
                        from app.core.errors import user_message

                        db.session.rollback()
                        # Never the database's text (SQL and whole rows of personal data).
                        flash(_("Nothing was imported: %(reason)s", reason=user_message(exc)), "danger")
                        imported = None
                    else:
                        flash(_("%(n)s rows imported.", n=imported), "success")
        shown = result.listed[:self.import_shown_errors] if result is not None else []
        return self.render_template(
            "anju/import.html", title=_("Import: %(title)s", title=self.xlsx_title or self.list_title),
            result=result, shown_errors=shown, error_token=error_token, imported=imported,
            columns=self.xlsx_columns, modelview_name=self.__class__.__name__,
        )

    def _lock_import(self):
        """Take this list's import lock inside the request's transaction (a counter row updated
        until commit: PostgreSQL's row lock, SQLite's write lock). False when SQLite's wait
        for another import ran out."""
        from app.core.sequences import next_value

        try:
            next_value(f"import:{self.datamodel.obj.__tablename__}"[:64])
        except OperationalError:
            db.session.rollback()
            log.warning("import lock not obtained", exc_info=True)
            return False
        return True

    @expose("/import-errors/<token>")
    @has_access
    @permission_name("import")
    def import_errors(self, token):
        path = import_files.find(getattr(g.user, "id", "anon"), token)
        if path is None:
            abort(404)
        response = send_file(path, mimetype=xlsx.XLSX_MIMETYPE)
        response.headers["Content-Disposition"] = xlsx.content_disposition(
            _("%(title)s-import errors", title=self.xlsx_title or self.list_title) + ".xlsx")
        return response

    def _label_of(self, key):
        for col in self.xlsx_columns or []:
            if col.key == key:
                return str(col.label)
        return key

    def _store_error_workbook(self, data, errors, max_bytes=xlsx.DEFAULT_MAX_BYTES,
                              max_rows=xlsx.DEFAULT_MAX_ROWS):
        try:
            content = xlsx.error_workbook(self.xlsx_columns, data, errors, max_bytes=max_bytes,
                                          max_rows=max_rows)
        except Exception:
            log.exception("error workbook not written")
            return None
        return import_files.store(getattr(g.user, "id", "anon"), content)


def json_object():
    """The JSON object of a REST request's body, or a DomainError with the Chinese reason."""
    from app.core.errors import DomainError

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."))
    return data


class ServiceCalls:
    """For REST endpoints that call a service: ``_run(fn)`` answers ``ok_status`` with the dict
    the service returned, or 422 with the Chinese reason of its DomainError (the session rolled
    back, nothing half-written). ``run_commits``: commit after a successful call, for services
    that leave the commit to their caller."""

    run_commits = False

    def _run(self, fn, ok_status=200):
        from app.core.errors import DomainError

        try:
            result = fn()
            if self.run_commits:
                db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        return self.response(ok_status, **(result or {}))


class AnjuModelRestApi(ServiceCalls, ModelRestApi):
    """Base REST API: scoped datamodel, masking, capped pages, owner stamping."""

    allow_browser_login = False
    max_page_size = 100
    mask_columns = {}
    # Typed keys, ranges, existing related rows, clean text, Chinese messages (core/schemas.py).
    model2schemaconverter = AnjuSchemaConverter
    # Never serialised in any answer (list, show, or the echo of an add or edit), never
    # searched or ordered by; they may still be written where a view lists them to add.
    secret_columns = SECRET_COLUMNS

    def _init_properties(self):
        super()._init_properties()
        secret = set(self.secret_columns)
        for attr in ("list_columns", "show_columns", "list_select_columns", "show_select_columns",
                     "search_columns", "order_columns"):
            cols = getattr(self, attr, None)
            if cols:
                setattr(self, attr, [c for c in cols if c.split(".")[-1] not in secret])
        if secret & set(self._filters.get_search_filters()):
            self._filters = self.datamodel.get_filters(search_columns=self.search_columns,
                                                       search_filters=self.search_filters)

    def _init_model_schemas(self):
        super()._init_model_schemas()
        for schema in (self.add_model_schema, self.edit_model_schema):
            for name in list(schema.fields):
                if name in self.secret_columns:
                    schema.fields[name].load_only = True
                    schema.dump_fields.pop(name, None)

    # {key: OpenAPI property} a subclass adds to every list and show row (pre_get/pre_get_list).
    extra_response_properties = {}

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        if self.extra_response_properties:
            for name in (self.list_model_schema_name, self.show_model_schema_name):
                api_spec.components.schemas[name].setdefault("properties", {}).update(
                    self.extra_response_properties)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # gettext("") is the catalog's header: an undescribed field has no description.
        description = self.description_columns.get(field.name)
        info["description"] = _(description) if description else ""
        if type(field).__module__ == "app.core.schemas":
            info["type"] = type(field).__mro__[1].__name__  # FAB's names (String, Related)
        return info

    def __init__(self, *args, **kwargs):
        # Field labels in answers and _info: the model's declared (Chinese) labels, not FAB's
        # English names made from the column ("Parent Code", "Accepted At").
        self.label_columns = {**self._declared_labels(), **(self.label_columns or {})}
        super().__init__(*args, **kwargs)
        masking.register_personal(self.datamodel.obj, self.mask_columns)

    def _declared_labels(self):
        def labels_of(model):
            spec = getattr(model, "__audit__", None)
            return {**audit.COMMON_LABELS, **(spec.labels if spec is not None else {})}

        model = self.datamodel.obj
        out = dict(labels_of(model))
        columns = set()
        for attr in ("list_columns", "show_columns", "add_columns", "edit_columns", "search_columns"):
            columns |= set(getattr(self, attr, None) or [])
        for col in columns:
            if "." not in col:
                continue
            root, leaf = col.split(".", 1)
            rel = model.__mapper__.relationships.get(root)
            if rel is not None and "." not in leaf and leaf in labels_of(rel.mapper.class_):
                out[col] = labels_of(rel.mapper.class_)[leaf]
        return out

    def pre_add(self, item):
        stamp(item)

    def _guarded(self, call):
        """Rules broken in pre_add/pre_update/pre_delete answer 422 with the message."""
        from marshmallow import ValidationError as MaValidationError
        from sqlalchemy.exc import IntegrityError

        from app.core.errors import DomainError, conflict_message
        from app.core.validators import ValidationError

        try:
            return call()
        except MaValidationError as exc:
            db.session.rollback()
            return self.response_422(message=exc.messages)
        except (DomainError, ValidationError) as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        except IntegrityError:
            db.session.rollback()
            log.warning("integrity error in %s", self.__class__.__name__, exc_info=True)
            return self.response_422(message=conflict_message())

    def post_headless(self):
        return self._guarded(super().post_headless)

    def put_headless(self, pk):
        return self._guarded(lambda: super(AnjuModelRestApi, self).put_headless(pk))

    def delete_headless(self, pk):
        return self._guarded(lambda: super(AnjuModelRestApi, self).delete_headless(pk))

    def pre_get(self, data):
        self._mask(data.get("result"))

    def pre_get_list(self, data):
        for row in data.get("result") or []:
            self._mask(row)

    def _kinds_at(self, path):
        """Personal columns of the model found at ``path`` (relation names) from ours."""
        model = self.datamodel.obj
        try:
            for name in path:
                model = model.__mapper__.relationships[name].mapper.class_
        except (KeyError, AttributeError):
            return {}
        kinds = masking.personal_columns(model)
        return {**kinds, **self.mask_columns} if not path else kinds

    def _mask(self, row):
        """Every personal value of an answer, nested relations included, as the viewer may
        see it (declared on the model, by the API, or named so: legal_rep, *_mobile, ...)."""
        if not row or can_view_full_pii():
            return
        masking.mask_tree(row, self._kinds_at)


def require_password_current(fn):
    """Refuse API calls from a user who must change the password first."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        from app.core.scope import current_user_obj

        user = current_user_obj()
        if user is not None and getattr(user, "must_change_password", False):
            return {"message": _("You must change your password before going on.")}, 403
        return fn(*args, **kwargs)

    return wrapper
