"""Base classes every module's views and APIs use. They apply, once:

* the data scope (app/core/scope.py) to every query the datamodel runs: list, show,
  edit, delete, bulk actions, master-detail, related dropdowns, export and the REST API;
* masking of personal data on the server, with an audited full view for roles that hold
  the permission;
* export to .xlsx of the current filters, order and scope; template download and
  all-or-nothing import;
* FAB's open holes: GET mutations, scope-less actions, bad page sizes, COUNT(*) over
  every column.

The datamodel that puts the scope on every query is app/core/datamodels.py; the REST base
(AnjuModelRestApi, ServiceCalls) is app/core/rest.py; the list page every view shares (inline
search, advanced filters, list widget) is app/core/lists/views.py.
"""
import logging
from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app, flash, g, redirect, request, send_file, session, url_for
from flask_appbuilder import ModelView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core import audit, import_files, masking, returns, xlsx
from app.core.audit import AuditAction
from app.core.lists import reader as list_reader
from app.core.lists.paging import like_filter
from app.core.scope import stamp
from app.extensions import db
# Modules import the datamodel from here too (it was part of this file).
from app.core.datamodels import (SECRET_COLUMNS, PersonalSearchRefused, SafeInterface,  # noqa: F401
                                 ScopedInterface, _is_exact, guard_personal_filters)
from app.security.roles import PII_PERMISSION, PII_VIEW
# The console's list page (inline search, advanced filters, list widget, dropdown caches) is
# app/core/lists/views.py; modules import its names from here too.
from app.core.lists.views import (OPTIONS_TTL, _OPTIONS_MODELS, AnjuListWidget,  # noqa: F401
                                  AnjuSearchWidget, CachedOptionsWidget, ConsoleListMixin,
                                  _install_option_listener, cache_search_options, drop_cached_options)

log = logging.getLogger(__name__)



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


display.reads_values = True     # a related record's text, as its display column (app/core/lists/reader.py)


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

    def update_redirect(self):
        """No back history in the session (app/core/returns.py): FAB wrote one on every page,
        which signed and sent the session cookie again each time and was shared by every tab."""
        return None

    def get_redirect(self):
        """Where a delete or an action goes back to: a local ``next``, the page it came from
        (not the page of the record it deleted), else this view's list (app/core/returns.py)."""
        return returns.return_url(self)

    def post_add_redirect(self):
        return self._landing()

    def post_edit_redirect(self):
        return self._landing()




def export_text(value, shown):
    """What a formatter made of ``value``, fit for a cell: the full text where the list shortened
    it ("很长的内容…"), plain text where it made HTML."""
    from markupsafe import Markup

    if isinstance(shown, Markup):
        shown = shown.striptags()
    if isinstance(shown, str) and isinstance(value, str) and shown.endswith("…") \
            and len(shown) <= len(value) and value.startswith(shown[:-1]):
        return value
    return shown


@dataclass
class ImportOutcome:
    """What one import came to: the checked file, the rows written (None: nothing), the error
    workbook's token, the message and its level; ``next_url``: where its result is (e.g. the
    application it filled), when not the list."""
    result: object
    imported: int | None
    error_token: str | None
    message: str
    level: str
    next_url: str | None = None


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
    # {list column: fn(dialect name) -> SQL expression}: the value of a column that is not a
    # plain column or many-to-one relation (a property), so the list's rows are read as plain
    # values (app/core/lists/reader.py); checked against the ORM rows on the view's first pages.
    list_sql_columns = {}

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
        reader = self._page_reader()
        with list_reader.reading(reader) as reading:
            widgets = super()._get_list_widget(filters, actions=actions, order_column=order_column,
                                               order_direction=order_direction, page=page,
                                               page_size=page_size, widgets=widgets, **kwargs)
        list_widget = widgets.get("list")
        if list_widget is not None:
            # FAB hands the template a generator over the rows: read them once, here.
            args = list_widget.template_args
            args["value_columns"] = list(args.get("value_columns") or [])
            if reading.used and not reader.checked:
                orm_values = list_reader.check(self, reader, args["value_columns"], args.get("pks") or [])
                if orm_values is not None:
                    args["value_columns"] = orm_values
        self._audit_full_view(list_widget)
        return widgets

    def _page_reader(self):
        """The list's rows as plain values (app/core/lists/reader.py), else None (ORM rows)."""
        try:
            return self.__dict__["_anju_page_reader"]
        except KeyError:
            reader = self.__dict__["_anju_page_reader"] = list_reader.for_view(self)
            return reader

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
            return export_text(value, formatter(value))
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
        """The file at once when the rows are few, else a background task (app/core/lists/export_import.py)."""
        from app.core.lists import export_import

        return export_import.export_clicked(self)

    # --- import ---
    def validate_import(self, rows):
        """Cross-row and database checks: return [(row, column_key, message)]."""
        return []

    def import_rows(self, rows):
        """Write the validated rows (inside the request's transaction); return the count.
        The list is the import's own (the engine keeps no other reference to it): a large
        import may release its rows as it writes them (``rows[i] = None``)."""
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
        outcome = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Please choose an .xlsx file to upload."), "danger")
            else:
                from app.core.lists import export_import
                from app.core.errors import DomainError
                from app.system.params import get_param

                max_bytes = current_app.config["IMPORT_MAX_BYTES"]
                # Never more than the limit in memory: one byte more says the file is too large.
                data = upload.stream.read(max_bytes + 1)
                if len(data) > get_param("import.background_kb") * 1024 and len(data) <= max_bytes:
                    held, data = [data], None  # (the task's file keeps the bytes, not this request)
                    try:
                        task = export_import.import_in_background(self, held, upload.filename)
                    except DomainError as exc:
                        flash(str(exc), "danger")
                    else:
                        if task.state in ("queued", "running"):
                            flash(_("The file is large: it is imported in the background. This page shows "
                                    "how far it is."), "info")
                        return redirect(f"/tasks/show/{task.id}")
                else:
                    outcome = self.import_file(data, upload.filename)
                    flash(outcome.message, outcome.level)
        result = outcome.result if outcome is not None else None
        shown = result.listed[:self.import_shown_errors] if result is not None else []
        return self.render_template(
            "anju/import.html", title=_("Import: %(title)s", title=self.xlsx_title or self.list_title),
            result=result, shown_errors=shown, error_token=outcome.error_token if outcome else None,
            imported=outcome.imported if outcome else None,
            columns=self.xlsx_columns, modelview_name=self.__class__.__name__,
        )

    def import_file(self, data, filename):
        """Check ``data`` (an .xlsx upload: its bytes, or the path of the server's copy) and
        write it all or nothing, as the acting user:
        the page's import and the background import task both run this. Returns an
        :class:`ImportOutcome` (the message to show, the problems, the error workbook's token)."""
        from app.core import progress
        from app.system.params import get_param

        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        max_rows = get_param("import.max_rows")
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
            progress.checkpoint("checking", len(result.rows), len(result.rows))
            xlsx.add_problems(result, self.validate_import(result.rows), self.xlsx_columns)
        if result.errors:
            if locked:
                db.session.rollback()
            token = self._store_error_workbook(data, result.errors, max_bytes, max_rows)
            return ImportOutcome(result, None, token, _(
                "Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                n=result.error_count), "danger")
        progress.checkpoint("checking", len(result.rows), len(result.rows))
        progress.report("writing", 0, len(result.rows))
        # The rows go to import_rows, which may release them as it writes; the result keeps
        # its problems and counts.
        rows, result.rows = result.rows, []
        try:
            imported = self.import_rows(rows)
            audit.record(AuditAction.IMPORT, self.datamodel.obj.__name__,
                         summary=_("%(n)s rows imported from %(file)s", n=imported, file=filename[:200]))
            db.session.commit()
        except IntegrityError:  # a row saved meanwhile by someone else (not by an import)
            db.session.rollback()
            log.warning("import refused by a database constraint", exc_info=True)
            return ImportOutcome(result, None, None, _(
                "Nothing was imported: some of these records were saved by someone else at the "
                "same moment. Upload the file again to see which."), "danger")
        except Exception as exc:  # all-or-nothing
            from app.core.errors import user_message

            db.session.rollback()
            # Never the database's text (SQL and whole rows of personal data).
            return ImportOutcome(result, None, None, _("Nothing was imported: %(reason)s",
                                                       reason=user_message(exc)), "danger")
        progress.report("writing", imported, imported)
        return ImportOutcome(result, imported, None, _("%(n)s rows imported.", n=imported), "success")

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
