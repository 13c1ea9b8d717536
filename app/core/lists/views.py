"""The console's list page, for every list view (ours and FAB's own security views): the
inline search form and the advanced filters (fetched when opened), the list widget with what
its toolbar and rows need from the view, and the search form's dropdowns of related rows kept
per process. app/core/views.py's AnjuModelView builds on it (and re-exports its names)."""

from flask import request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import FormWidget, ListWidget, SearchWidget

from app.core import masking
from app.core.datamodels import guard_personal_filters
from app.core.lists import search

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
    search.drop_cached_choices()


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
    text buttons and page sizes (app/core/lists/search.py)."""

    list_template = "anju/list.html"
    list_widget = AnjuListWidget
    page_size = 20
    # The inline search form shows these columns (default: the first inline_search_limit of
    # search_columns); the rest stay in the advanced filters.
    inline_search_columns = None
    inline_search_limit = 5
    # The column that names a row and links to its detail (default: app/core/search.key_column).
    list_key_column = None

    def __init__(self, **kwargs):
        mapped = self.method_permission_name
        if mapped:
            # The advanced filters are part of the list: whatever the list's permission is
            # called on this view (FAB's own security views call it can_read).
            self.method_permission_name = {**mapped, "advanced_filters": mapped.get("list", "list")}
        super().__init__(**kwargs)
        search.install_day_ranges(self)
        self._search_form_without_defaults()
        self.list_widget = type(f"{self.__class__.__name__}ListWidget", (self.list_widget,), {"view": self})

    @expose("/advanced/")
    @has_access
    @permission_name("list")
    def advanced_filters(self):
        """The list's advanced filters (FAB's search widget) with the query's filters in force,
        fetched when 高级筛选 is first opened: a list page no longer builds and sends them
        behind the toggle on every view (up to 20 KB of HTML and JSON a page). The guards
        of every list argument (app/core/guards.py) run before this as before the list."""
        get_filter_args(self._filters)
        if hasattr(self.datamodel, "personal_kind"):
            # A masked column's filter echoes only an exact full value, as on the list.
            guard_personal_filters(self.datamodel, self._filters)
        widgets = self._get_search_widget(form=self.search_form.refresh(), widgets={})
        return widgets["search"]()

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = super()._get_search_widget(form=form, exclude_cols=exclude_cols, widgets=widgets)
        widgets["inline"] = search.inline_search(
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
            "key_column": self.list_key_column or search.key_column(self),
            "page_sizes": search.page_sizes(get_param("list.page_size_max")),
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
