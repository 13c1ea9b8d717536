"""我的导出: a user's background exports and imports, with the progress bar, cancel and the
download. A task is its owner's alone: everyone else (sysadmin included) gets 404 on its
page, its progress, its cancel and its file."""
import os
from datetime import datetime

from flask import abort, flash, g, jsonify, redirect, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import audit, tasks, xlsx
from app.core.audit import AuditAction
from app.core.tasks import STATE_LABELS, Task, TaskState
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db


class FilterMine(BaseFilter):
    """Only the user's own tasks, whatever their role's data scope."""

    name = "mine"
    arg_name = "mine"

    def apply(self, query, value):
        return query.filter(Task.owner_id == getattr(getattr(g, "user", None), "id", -1))


class FilterState(BaseFilter):
    name = _l("Is")
    arg_name = "st"

    def apply(self, query, value):
        if value in STATE_LABELS:
            return query.filter(Task.state == value)
        return query


def _size(value):
    if value is None:
        return ""
    if value < 1024 * 1024:
        return f"{max(1, value // 1024)} KB"
    return f"{value / 1024 / 1024:.1f} MB"


def _when(value):
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


class MyTasksView(AnjuModelView):
    datamodel = ScopedInterface(Task)
    route_base = "/tasks"
    list_title = _l("My exports")
    show_title = _l("Export or import")
    base_permissions = ["can_list", "can_show"]
    method_permission_name = {"status": "show", "cancel": "show", "download": "show"}
    base_filters = [["id", FilterMine, lambda: None]]
    label_columns = {"title": _l("Title"), "kind": _l("Type"), "state": _l("State"), "progress_html": _l("Progress or result"),
                     "row_count": _l("Rows"), "file_size": _l("File size"), "created_at": _l("Created at"),
                     "expires_at": _l("Kept until"), "message": _l("Result")}
    list_columns = ["title", "kind", "state", "progress_html", "row_count", "file_size", "created_at", "expires_at"]
    search_columns = ["title", "state", "created_at"]
    search_filters = {"state": [FilterState]}
    search_form_extra_fields = {"state": SelectField(_l("State"), choices=[("", _l("All"))] + [
        (k, v) for k, v in STATE_LABELS.items()])}
    base_order = ("created_at", "desc")
    formatters_columns = {
        "kind": lambda v: tasks.KIND_LABELS.get(v, v),
        "state": lambda v: STATE_LABELS.get(v, v),
        "file_size": _size,
        "created_at": _when,
        "expires_at": _when,
    }

    def _mine_or_404(self, pk):
        task = self.datamodel.get(pk, self._base_filters)
        if task is None or task.owner_id != g.user.id:
            abort(404)
        return task

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        task = self._mine_or_404(pk)
        result = task.result or {}
        error_url = back_url = next_url = None
        if task.kind == "import":
            # Links the import's own view named (its error workbook, its page, its result),
            # always paths of this console.
            error_url = _local(result.get("error_url"))
            if error_url is None and result.get("error_token") and result.get("view"):
                error_url = f"{_view_base(result['view'])}/import-errors/{result['error_token']}"
            back_url = _local(result.get("back_url"))
            if back_url is None and result.get("view"):
                back_url = f"{_view_base(result['view'])}/list/"
            next_url = _local(result.get("next_url"))
        return self.render_template("anju/tasks/show.html", title=task.title, task=task, result=result,
                                    error_url=error_url, back_url=back_url, next_url=next_url,
                                    status=task.status())

    @expose("/status/<int:pk>")
    @has_access
    def status(self, pk):
        task = self._mine_or_404(pk)
        return jsonify(task.status())

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        task = self._mine_or_404(pk)
        if tasks.request_cancel(task):
            flash(_("Cancelling %(title)s; nothing of it is kept.", title=task.title), "info")
        else:
            flash(_("%(title)s can no longer be cancelled.", title=task.title), "warning")
        return redirect(f"/tasks/show/{pk}")

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk):
        task = self._mine_or_404(pk)
        if task.kind != "export":
            abort(404)
        if not task.downloadable:
            flash(_("The file of %(title)s is no longer kept; export the list again.", title=task.title), "warning")
            return redirect(f"/tasks/show/{pk}")
        path = tasks.file_path(task)
        if path is None or not os.path.exists(path):
            flash(_("The file of %(title)s is no longer kept; export the list again.", title=task.title), "warning")
            return redirect(f"/tasks/show/{pk}")
        audit.record(AuditAction.DOWNLOAD, "Task", entity_id=task.id,
                     summary=_("Export file downloaded: %(title)s, %(n)s rows", title=task.title,
                               n=task.row_count or 0) + (f"; {(task.params or {}).get('filters')}"
                                                        if (task.params or {}).get("filters") else ""),
                     commit=True)
        response = send_file(path, mimetype=xlsx.XLSX_MIMETYPE, max_age=0)
        response.headers["Content-Disposition"] = xlsx.content_disposition(task.file_name or "export.xlsx")
        response.headers["Cache-Control"] = "no-store"
        return response


def _local(url):
    """``url`` when it is a path of this console ("/…", not "//host"), else None."""
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


def _view_base(name):
    from flask import current_app

    for view in current_app.appbuilder.baseviews:
        if view.__class__.__name__ == name:
            return view.route_base
    return ""


def register(appbuilder):
    appbuilder.add_view(MyTasksView(), "My exports", label=_l("My exports"), category="My account",
                        category_label=_l("Mine"), category_icon="fa-user-circle", icon="fa-download")
