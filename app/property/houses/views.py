"""房屋信息补充 and 房屋信息 (seed 004 开发建设单位 3): thin pages over
app/property/houses/services.py.

* ``HouseImportView`` (/houses/import): choose the area and 交存时点, download the template,
  import (all-or-nothing, with the error workbook), the imported rows, 保存并提交 /
  重新提交, 终止, the application form (申请表) to print.
* ``HouseView`` (/houses): the house registry in the viewer's scope, owner name and ID
  number masked for viewers without the PII permission; filters; export.
"""
from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField

from app.core import documents, import_files, masking, workflow, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.system.params import get_param
from app.extensions import db
from app.property import menu
from app.property.houses import services
from app.property.models import House, PropertyArea

SHOWN_ERRORS = 500
PAGE = 50


def _document(item):
    return documents.application_document(item, payload_labels=workflow.payload_labels(item),
                                          payload_masks={})


class HouseImportView(BaseView):
    route_base = "/houses/import"
    default_view = "index"
    import_title = _l("House information supplement")
    base_permissions = ["can_list", "can_show", "can_import"]
    method_permission_name = {"index": "list", "template": "import", "upload": "import", "submit": "import",
                              "terminate": "import", "errors": "import", "show": "show", "print_form": "show",
                              "pdf": "show"}

    def _render_index(self, values=None, result=None, error=None, error_token=None, status=200):
        user = current_user_obj()
        try:
            org = services.filer_org(user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(self.appbuilder.get_url_for_index)
        shown = result.listed[:SHOWN_ERRORS] if result is not None else []
        return self.render_template(
            "anju/property/houses/import.html", title=_("House information supplement"), org=org,
            areas=services.filer_areas(user), imports=services.imports_of(org.id), values=values or {},
            result=result, shown_errors=shown, error=error, error_token=error_token, columns=services.COLUMNS,
        ), status

    @expose("/")
    @has_access
    def index(self):
        values = {"area_id": request.args.get("area", "")}
        return self._render_index(values)

    @expose("/template")
    @has_access
    def template(self):
        name = _("%(title)s-import template", title=_("House information supplement")) + ".xlsx"
        return xlsx.bytes_response(name, services.template_bytes())

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        from flask import current_app

        user = current_user_obj()
        values = {"area_id": request.form.get("area_id", ""), "deposit_date": request.form.get("deposit_date", "")}
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._render_index(values, error=_("Please choose an .xlsx file to upload."))
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        data = upload.stream.read(max_bytes + 1)
        if len(data) > get_param("import.background_kb") * 1024 and len(data) <= max_bytes:
            # A large file: the area and date are checked now, the workbook in a background task
            # with its progress (app/core/lists/export_import.py), which runs import_file below.
            from app.core.lists import export_import

            try:
                services.filer_area(user, values["area_id"])
                services.parse_deposit_date(values["deposit_date"])
                held, data = [data], None
                task = export_import.import_in_background(self, held, upload.filename, form=values)
            except DomainError as exc:
                db.session.rollback()
                return self._render_index(values, error=str(exc))
            if task.state in ("queued", "running"):
                flash(_("The file is large: it is imported in the background. This page shows how far it is."),
                      "info")
            return redirect(f"/tasks/show/{task.id}")
        try:
            outcome = self.import_file(data, upload.filename, **values)
        except DomainError as exc:
            return self._render_index(values, error=str(exc))
        if outcome.imported is None:
            return self._render_index(values, result=outcome.result, error_token=outcome.error_token,
                                      error=outcome.message)
        flash(outcome.message, outcome.level)
        return redirect(outcome.next_url)

    def import_file(self, data, filename, area_id=None, deposit_date=None):
        """Check the workbook (its bytes, or the path of the server's copy) and stage its rows in
        the area's application, as the acting user: the page and the background task both run
        this. An ImportOutcome; a refusal of the area or date raises DomainError."""
        from app.core.views import ImportOutcome

        user = current_user_obj()
        try:
            application, result = services.import_houses(user, area_id, deposit_date, data, file_name=filename)
        except DomainError:
            db.session.rollback()
            raise
        if application is None:
            token = None
            try:
                token = import_files.store(getattr(g.user, "id", "anon"), services.error_workbook(data, result.errors))
            except Exception:  # pragma: no cover - the list on the page still says everything
                import logging

                logging.getLogger(__name__).exception("error workbook not written")
            return ImportOutcome(result, None, token, _(
                "Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                n=result.error_count), "danger")
        return ImportOutcome(result, len(result.rows), None, _(
            "%(n)s houses were imported into %(number)s. Check them, then click 保存并提交.",
            n=len(result.rows), number=application.number), "success",
            next_url=url_for("HouseImportView.show", pk=application.id))

    def import_error_url(self, token):
        return url_for("HouseImportView.errors", token=token)

    def import_back_url(self):
        return url_for("HouseImportView.index")

    @expose("/errors/<token>")
    @has_access
    def errors(self, token):
        path = import_files.find(getattr(g.user, "id", "anon"), token)
        if path is None:
            abort(404)
        response = send_file(path, mimetype=xlsx.XLSX_MIMETYPE)
        response.headers["Content-Disposition"] = xlsx.content_disposition(
            _("%(title)s-import errors", title=_("House information supplement")) + ".xlsx")
        return response

    def _item(self, pk):
        item = services.import_for(current_user_obj(), pk)
        if item is None:
            abort(404)
        return item

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        item = self._item(pk)
        page_arg = request.args.get("page", "0")
        page = int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 0
        total = services.staged_count(item)
        rows = services.staged_rows(item, offset=page * PAGE, limit=PAGE)
        mine = item.applicant_id == user.id
        payload = item.payload or {}
        return self.render_template(
            "anju/property/houses/show.html", title=_("House information supplement"), item=item, payload=payload,
            rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)), room_text=services.room_text,
            may_edit=mine and item.status in services.EDITABLE,
            may_terminate=mine and item.status in (workflow.AppStatus.DRAFT, workflow.AppStatus.RETURNED),
            can_import=self.appbuilder.sm.has_access("can_import", "HouseImportView"),
            can_open_application=self.appbuilder.sm.has_access("can_show", "ApplicationView"),
            show_name=lambda v: masking.for_viewer("name", v) if v else "",
            show_id=lambda v: masking.for_viewer("id_number", v) if v else "",
            events=item.events,
        )

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        item = self._item(pk)
        try:
            services.submit_import(item, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("House information supplement %(number)s was submitted for review. Print the application form "
                    "and bring it with the documents to the service window.", number=item.number), "success")
        return redirect(url_for("HouseImportView.show", pk=pk))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        item = self._item(pk)
        try:
            services.transition_import(item, workflow.Action.TERMINATE, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(workflow.Action.TERMINATE)), "success")
        return redirect(url_for("HouseImportView.show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        return documents.print_response(_document(self._item(pk)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item(pk)
        return documents.pdf_response(_document(item), f"{item.number}.pdf")


# --- 房屋信息 ----------------------------------------------------------------------------------

class FilterAreaName(BaseFilter):
    """The area as a text search (no dropdown of every area)."""

    name = _l("Contains")
    arg_name = "area_name"

    def apply(self, query, value):
        value = (value or "").strip()[:128]
        if not value:
            return query
        return query.filter(House.area_id.in_(select(PropertyArea.id).where(PropertyArea.name.contains(value))))


class FilterAreaId(BaseFilter):
    """One area by its id (links from an area's page: ?_flt_1_area=<id>)."""

    name = _l("Equal to")
    arg_name = "area_id"

    def apply(self, query, value):
        try:
            return query.filter(House.area_id == int(value))
        except (TypeError, ValueError):
            return query


HOUSE_LABELS = {
    "area": _l("Property management area"), "building": _l("Building"), "unit": _l("Unit"),
    "room": _l("Room number"), "floor": _l("Floor"), "floor_area": _l("Building area (m²)"),
    "owner_name": _l("Owner's name"), "owner_id_number": _l("Owner's ID number"),
    "deposit_date": _l("Deposit date"), "created_on": _l("Registered on"),
}

EXPORT_COLUMNS = [
    xlsx.XColumn(key="area", label=_l("Property management area"), width=24),
    xlsx.XColumn(key="building", label=_l("Building")),
    xlsx.XColumn(key="unit", label=_l("Unit")),
    xlsx.XColumn(key="room", label=_l("Room number")),
    xlsx.XColumn(key="floor", label=_l("Floor"), kind="int"),
    xlsx.XColumn(key="floor_area", label=_l("Building area"), kind="decimal"),
    xlsx.XColumn(key="owner_name", label=_l("Owner's name"), mask="name"),
    xlsx.XColumn(key="owner_id_number", label=_l("Owner's ID number"), kind="id_number", mask="id_number", width=22),
    xlsx.XColumn(key="deposit_date", label=_l("Deposit date"), kind="date"),
]


class HouseView(AnjuModelView):
    datamodel = ScopedInterface(House)
    route_base = "/houses"
    list_title = _l("House information")
    show_title = _l("House information")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = dict(HOUSE_LABELS)
    list_columns = ["area", "building", "unit", "room", "floor", "floor_area", "owner_name", "owner_id_number",
                    "deposit_date"]
    show_columns = list_columns + ["created_on"]
    search_columns = ["area", "building", "owner_name", "owner_id_number"]
    search_filters = {"area": [FilterAreaName, FilterAreaId], "building": [FilterEqual, FilterStartsWith],
                      "owner_name": [FilterEqual], "owner_id_number": [FilterEqual]}
    search_form_extra_fields = {"area": StringField(_l("Property management area"))}
    mask_columns = {"owner_name": "name", "owner_id_number": "id_number"}
    order_columns = ["building", "room", "floor", "deposit_date"]
    base_order = ("id", "asc")
    xlsx_columns = EXPORT_COLUMNS
    xlsx_title = _l("House information")


def register(appbuilder):
    menu(appbuilder, HouseImportView(), "House information supplement", _l("House information supplement"),
         "fa-home")
    menu(appbuilder, HouseView(), "Houses", _l("House information"), "fa-building-o", category="Property")
    services.register_worklist()
