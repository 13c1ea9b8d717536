"""Export and import of every list (the toolbar's 导出 and 导入), in the background when they are large.

``AnjuModelView.export`` and ``AnjuModelView.import_`` call this module:

* **Export.** The rows the click means (the list's filters, order and scope, and whether the
  user sees personal data in full) are counted up to ``export.sync_rows``: a small result
  downloads at once, a larger one is queued as a task (app/core/tasks.py) that rebuilds the
  same query as the same user, writes the workbook with its progress, and keeps the file for
  its owner for ``export.keep_hours``. Both ways write the same file: full values (never the
  list's shortened display), masking as the exporter sees it, and a 导出说明 sheet naming the
  exporter, the time, the filters and the order. Every export and every download is audited
  with its filters.
* **Import.** An upload over ``import.background_kb`` runs as a task: the same checks, the same
  all-or-nothing write and error workbook as the page, with its progress (reading, checking,
  writing) and a cancel that works until the write starts.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import audit, masking, progress, tasks, xlsx
from app.core.audit import AuditAction
from app.core.lists import export_plan
from app.core.mixins import now
from app.extensions import db

log = logging.getLogger(__name__)


# --- what the click means ---------------------------------------------------------------------

def describe_filters(view):
    """The list's filters in words (街道 等于 七星岗街道; 受理时间 从 2026-01-01), for the file's
    导出说明 and the audit entry."""
    parts = []
    filters = getattr(view, "_filters", None)
    if filters is None:
        return ""
    for flt, value in zip(filters.filters, filters.values, strict=False):
        if value in (None, "", [], ()):
            continue
        column = getattr(flt, "column_name", "")
        label = str(view.label_columns.get(column, column))
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value if v not in (None, ""))
            if not value:
                continue
        shown = _related_name(view, column, value)
        kind = view.mask_columns.get(column) if hasattr(view, "mask_columns") else None
        if kind and isinstance(value, str) and not masking.viewer_sees_full():
            shown = masking.mask(kind, value)
        parts.append(f"{label} {flt.name} {shown}")
    return "; ".join(parts)


def _related_name(view, column, value):
    """A relation filter's value is the related row's key: show its name (和平小区, not 17)."""
    try:
        if not view.datamodel.is_relation(column):
            return value
        model = view.datamodel.get_related_model(column)
        keys = [v for v in str(value).split(",") if v]
        names = [str(db.session.get(model, model.__mapper__.primary_key[0].type.python_type(k)) or k)
                 for k in keys[:20]]
        return "、".join(names) or value
    except Exception:  # a value that is not a key: shown as typed
        return value


def describe_order(view):
    from flask_appbuilder.urltools import get_order_args

    column, direction = get_order_args().get(view.__class__.__name__, ("", ""))
    if not column and getattr(view, "base_order", None):
        column, direction = view.base_order
    if not column:
        return ""
    if column == view.datamodel.get_pk_name():
        return _("Newest first") if direction == "desc" else _("Oldest first")
    label = str(view.label_columns.get(column, column))
    return f"{label} {_('descending') if direction == 'desc' else _('ascending')}"


def _exporter_name(user):
    name = getattr(user, "real_name", None) or " ".join(
        x for x in (getattr(user, "last_name", ""), getattr(user, "first_name", "")) if x).strip()
    name = name or getattr(user, "username", "")
    return f"{name}（{user.username}）" if name != user.username else name


def info_lines(view, count=None):
    """The 导出说明 sheet: who, when, which list, which filters and order, how many rows, masking."""
    user = g.user
    lines = [(_("List"), str(view.xlsx_title or view.list_title or view.datamodel.obj.__name__)),
             (_("Exported by"), _exporter_name(user)),
             (_("Exported at"), now().strftime("%Y-%m-%d %H:%M")),
             (_("Filters"), describe_filters(view) or _("None (all rows in your scope)")),
             (_("Order"), describe_order(view) or _("Default"))]
    if count is not None:
        lines.append((_("Rows"), str(count)))
    if view.mask_columns:
        lines.append((_("Personal data"), _("Full values") if masking.viewer_sees_full()
                      else _("Masked as on your screen")))
    return lines


def _title(view):
    return str(view.xlsx_title or view.list_title or view.datamodel.obj.__name__)


def _file_name(view):
    return f"{_title(view)}-{now():%Y%m%d%H%M}.xlsx"


def frozen_args():
    """The click's query arguments, in order, repeated keys kept."""
    return [[k, v] for k, v in request.args.items(multi=True)]


def _dedupe_key(kind, view, extra=""):
    raw = json.dumps([kind, view.__class__.__name__, frozen_args(), extra], ensure_ascii=False)
    return hashlib.sha1(raw.encode()).hexdigest()


def count_upto(query, cap):
    """Rows of ``query``, counted no further than ``cap`` + 1."""
    inner = query.order_by(None).limit(cap + 1).with_entities(query.column_descriptions[0]["entity"].__table__.c[
        query.column_descriptions[0]["entity"].__mapper__.primary_key[0].name]).subquery()
    return db.session.execute(select(func.count()).select_from(inner)).scalar_one()


def _audit_export(view, count, how):
    summary = _("%(n)s rows exported", n=count) + f" ({how})"
    described = describe_filters(view)
    if described:
        summary += f"; {described}"
    elif request.query_string:
        summary += f"; {request.query_string.decode()[:300]}"
    audit.record(AuditAction.EXPORT, view.datamodel.obj.__name__, summary=summary[:480], commit=True)


# --- export -------------------------------------------------------------------------------------

def export_clicked(view):
    """导出 on a list: the file at once when small, else a task and its progress page."""
    from flask import flash, redirect

    from app.core.errors import DomainError
    from app.system.params import get_param

    query = view.export_query()
    cap = get_param("export.sync_rows")
    n = count_upto(query, cap)
    if n <= cap:
        columns = view.export_columns()

        def on_done(count):
            _audit_export(view, count, _("downloaded at once"))

        rows, getter, _how = export_plan.checked_rows(view, query, columns)
        return xlsx.stream_xlsx_response(
            _file_name(view), columns, rows, sheet_title=_title(view)[:31],
            value_getter=getter, on_done=on_done, info=info_lines(view, n))
    try:
        task = tasks.enqueue(
            "export", _("Export: %(title)s", title=_title(view)), view.__class__.__name__,
            {"path": request.path, "args": frozen_args(), "full_pii": masking.viewer_sees_full(),
             "locale": _locale(), "filters": describe_filters(view)[:1000]},
            owner_id=g.user.id, dedupe_key=_dedupe_key("export", view))
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(view.get_redirect())
    if task.state in tasks.TaskState.ACTIVE:
        flash(_("The export runs in the background; you will get a notice with the download link when it is "
                "done."), "info")
    return redirect(f"/tasks/show/{task.id}")


def _locale():
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def find_view(name):
    for view in current_app.appbuilder.baseviews:
        if view.__class__.__name__ == name:
            return view
    return None


def run_export(task):
    """The export task, inside the owner's rebuilt request (app/core/tasks.py)."""
    from app.core.errors import DomainError

    view = find_view(task.source)
    if view is None or not current_app.appbuilder.sm.has_access("can_export", task.source):
        raise DomainError(_("You may no longer export this list."))
    progress.report("counting", 0, None)
    query = view.export_query()
    total = db.session.execute(select(func.count()).select_from(
        query.order_by(None).with_entities(*_pk_columns(query)).subquery())).scalar_one()
    progress.checkpoint("exporting", 0, total)
    token = tasks.new_token()
    path = tasks.file_path(task.owner_id, token)
    partial = path + ".part"
    columns = view.export_columns()
    rows, getter, how = export_plan.checked_rows(view, query, columns)
    log.info("export %s of %s rows (%s)", task.source, total, how)
    try:
        count = xlsx.write_xlsx(
            partial, columns, rows, sheet_title=_title(view)[:31],
            value_getter=getter, info=info_lines(view, total),
            progress=lambda n: progress.checkpoint("exporting", n, total))
        os.replace(partial, path)
    except BaseException:
        tasks._remove(partial)
        raise
    try:
        os.chmod(path, 0o600)
        _audit_export(view, count, _("in the background"))
        db.session.commit()
    except BaseException:
        tasks._remove(path)
        raise
    return {"file_name": _file_name(view), "file_token": token, "file_size": os.path.getsize(path),
            "row_count": count, "expires_at": tasks.keep_until(),
            "message": _("%(n)s rows exported.", n=count)}


def _pk_columns(query):
    entity = query.column_descriptions[0]["entity"]
    return [getattr(entity, c.key) for c in entity.__mapper__.primary_key]


# --- import -------------------------------------------------------------------------------------

def import_in_background(view, upload, filename, form=None):
    """Queue an import of an upload too large for one request; returns the task. ``upload``
    is a one-item list holding the bytes: they are written to the task's file and the list
    emptied, so that the request holds no copy while the task runs (in the request itself
    with ``TASKS_RUN="inline"``).

    The task runs ``view.import_file(path, filename, **form)`` as the user: ``form`` holds what
    the page asked besides the file (e.g. the area and date of a house import), frozen at the
    click. A view may also say where its error workbook and its page are
    (``import_error_url(token)``, ``import_back_url()``)."""
    form = {k: str(v)[:200] for k, v in (form or {}).items()}
    data = upload.pop()
    token = tasks.new_token()
    path = tasks.file_path(g.user.id, token, suffix=".upload")
    with open(path, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    digest = hashlib.sha1(data).hexdigest()
    size = len(data)
    del data
    try:
        return tasks.enqueue(
            "import", _("Import: %(title)s", title=_import_title(view)), view.__class__.__name__,
            {"path": request.path, "args": [], "locale": _locale(), "full_pii": masking.viewer_sees_full(),
             "upload": token, "filename": filename[:200], "bytes": size, "form": form},
            owner_id=g.user.id, dedupe_key=_dedupe_key("import", view, [digest, form]))
    except BaseException:
        tasks._remove(path)
        raise


def _import_title(view):
    """What the import is into: the view's workbook title, else its list's (or page's)."""
    return (getattr(view, "xlsx_title", None) or getattr(view, "list_title", None)
            or getattr(view, "import_title", None) or view.__class__.__name__)


def run_import(task):
    """The import task: the page's own checks and write (``AnjuModelView.import_file``)."""
    from app.core.errors import DomainError

    view = find_view(task.source)
    if view is None or not current_app.appbuilder.sm.has_access("can_import", task.source):
        raise DomainError(_("You may no longer import into this list."))
    params = task.params or {}
    try:
        path = tasks.file_path(task.owner_id, params.get("upload"), suffix=".upload")
        if not os.path.isfile(path):
            raise OSError(path)
    except (OSError, TypeError):
        raise DomainError(_("The uploaded file is no longer there; please upload it again.")) from None
    try:
        # The file itself: the engine reads it once, and calamine reads the sheet from it
        # without a second copy of the upload in memory.
        outcome = view.import_file(path, params.get("filename") or "upload.xlsx", **(params.get("form") or {}))
    finally:
        tasks._remove(path)
    result = outcome.result
    shown = [{"row": e.row, "column": e.column, "value": str(e.value)[:100], "message": str(e.reason)}
             for e in (result.listed[:50] if result is not None else [])]
    summary = {"imported": outcome.imported, "errors": result.error_count if result is not None else 0,
               "error_token": outcome.error_token, "shown": shown, "view": view.__class__.__name__,
               "next_url": outcome.next_url}
    if outcome.error_token and hasattr(view, "import_error_url"):
        summary["error_url"] = view.import_error_url(outcome.error_token)
    if hasattr(view, "import_back_url"):
        summary["back_url"] = view.import_back_url()
    return {"row_count": outcome.imported or 0, "result": summary, "message": outcome.message,
            "expires_at": tasks.keep_until(),
            "state": tasks.TaskState.DONE if outcome.imported is not None else tasks.TaskState.FAILED}


tasks.register_handler("export", run_export)
tasks.register_handler("import", run_import)
