"""物业服务合同备案 and 承接查验备案 (seed 004 物业服务企业 7-8): the applicant's pages, thin
over app/property/filings/contracts.py and acceptance.py. Reviewers decide on the generic
业务单 pages (app/system/application_views.py).

* ``ServiceContractFilingView`` (/property/contract-filing): the company's filings; 新建
  (step 1: 物业合同类型 and 项目名称; step 2: the form), 保存 / 保存并提交, a filing's page
  with 修改, 提交, 终止, 打印申请表 and PDF.
* ``AcceptanceFilingView`` (/property/acceptance-filing): the same for 承接查验备案, plus the
  设施设备 template, its import into the filing and the error workbook.
"""
from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import documents, import_files, masking, uploads, workflow, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import can_view_full_pii
from app.extensions import db
from app.property.filings import acceptance, common, contracts
from app.property.filings.models import ContractType


def _shower(masks):
    full = can_view_full_pii()

    def show(key, value):
        if value is None or value == "":
            return ""
        kind = masks.get(key) or masking.kind_of_field(key)
        if kind and not full:
            return masking.mask(kind, value)
        return value

    return show


def _posted():
    values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "action")}
    files = [f for f in request.files.getlist("files") if f and f.filename]
    return values, files, request.form.get("action") == "submit"


def _document(item):
    return documents.application_document(item, payload_labels=workflow.payload_labels(item),
                                          payload_masks=workflow.get_type(item.app_type).extra.get("payload_masks"))


class _FilingPages(BaseView):
    """What both filing pages share: the list, a filing's page, submit, terminate, print, PDF."""

    default_view = "index"
    base_permissions = ["can_list", "can_file"]
    method_permission_name = {"index": "list", "show": "list", "print_form": "list", "pdf": "list",
                              "new": "file", "edit": "file", "submit": "file", "terminate": "file",
                              "template": "file", "import_equipment": "file", "import_errors": "file"}
    app_type = None
    services = None
    list_template = None
    show_template = None
    title = None

    def _company(self):
        try:
            return common.company_of(current_user_obj())
        except DomainError as exc:
            flash(str(exc), "danger")
            return None

    def _item(self, pk):
        item = common.filing_for(current_user_obj(), pk, self.app_type)
        if item is None:
            abort(404)
        return item

    @expose("/")
    @has_access
    def index(self):
        org = self._company()
        if org is None:
            return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.list_template, title=str(self.title), org=org,
                                    filings=common.filings_of(org.id, self.app_type), **self._list_extras(org))

    def _list_extras(self, org):
        return {}

    def _show_args(self, item):
        user = current_user_obj()
        return dict(
            title=str(self.title), item=item, payload=item.payload or {}, events=item.events,
            files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
            may_download=lambda f: uploads.can_download(f, user),
            may_change=item.applicant_id == user.id and item.status in common.EDITABLE,
            is_draft=item.status == workflow.AppStatus.DRAFT,
            can_file=self.appbuilder.sm.has_access("can_file", self.class_permission_name),
            show=_shower(self.services.PAYLOAD_MASKS), labels=workflow.payload_labels(item),
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        item = self._item(pk)
        return self.render_template(self.show_template, **self._show_args(item))

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        return documents.print_response(_document(self._item(pk)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item(pk)
        return documents.pdf_response(_document(item), f"{item.number}.pdf")

    def _submit(self, item, user):
        raise NotImplementedError

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        item = self._item(pk)
        try:
            self._submit(item, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("%(number)s was submitted for review. Print the application form and bring it with the "
                    "documents to the service window.", number=item.number), "success")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        item = self._item(pk)
        try:
            self.services.transition_filing(item, workflow.Action.TERMINATE, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(workflow.Action.TERMINATE)), "success")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))


# --- 物业服务合同备案 ---------------------------------------------------------------------------------

class ServiceContractFilingView(_FilingPages):
    route_base = "/property/contract-filing"
    app_type = contracts.SERVICE_CONTRACT_FILING
    services = contracts
    list_template = "anju/property/filings/contract_list.html"
    show_template = "anju/property/filings/contract_show.html"
    title = _l("Property service contract filing")

    def _list_extras(self, org):
        dues = {}
        for f in common.filings_of(org.id, self.app_type):
            due = contracts.due_of(f)
            if due is not None:
                dues[f.id] = due
        return {"dues": dues}

    def _show_args(self, item):
        args = super()._show_args(item)
        args["due"] = contracts.due_of(item)
        args["days"] = contracts.filing_days()
        return args

    def _form(self, values, error=None, item=None, area=None):
        area_link = common.link("AreaFilingView.index")
        return self.render_template(
            "anju/property/filings/contract_form.html", title=str(self.title), values=values, error=error,
            item=item, area=area, labels=contracts.LABELS, types=contracts.CONTRACT_TYPE_LABELS,
            methods=contracts.FEE_METHOD_LABELS, days=contracts.filing_days(), area_link=area_link,
            hint=contracts.area_filing_hint(), due=_due_text(values),
            later=ContractType.LATER, client_fixed=_client_fixed(area, values.get("contract_type")),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        org = self._company()
        if org is None:
            return redirect(url_for("ServiceContractFilingView.index"))
        user = current_user_obj()
        if request.method == "POST":
            values, files, submit = _posted()
            try:
                item = contracts.file_contract(user, values, files, submit=submit)
            except DomainError as exc:
                db.session.rollback()
                return self._form(values, error=str(exc), area=_area_or_none(user, values.get("area_id")))
            flash(_("%(number)s was submitted for review. Print the application form and bring it with the "
                    "documents to the service window.", number=item.number) if submit else
                  _("%(number)s was saved as a draft.", number=item.number), "success")
            return redirect(url_for("ServiceContractFilingView.show", pk=item.id))
        contract_type = request.args.get("contract_type") or ""
        area_id = request.args.get("area_id")
        if area_id and contract_type in ContractType.ALL:
            try:
                area = contracts.find_area(user, area_id)
                contracts.client_of(area, contract_type)
            except DomainError as exc:
                flash(str(exc), "danger")
            else:
                return self._form(contracts.initial_values(user, area, contract_type), area=area)
        q = (request.args.get("q") or "").strip()[:64]
        return self.render_template(
            "anju/property/filings/contract_choose.html", title=str(self.title), q=q,
            areas=contracts.candidate_areas(user, q), types=contracts.CONTRACT_TYPE_LABELS,
            contract_type=contract_type if contract_type in ContractType.ALL else ContractType.EARLY,
            hint=contracts.area_filing_hint(), area_link=common.link("AreaFilingView.index"))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item(pk)
        user = current_user_obj()
        try:
            common.check_may_change(item, user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("ServiceContractFilingView.show", pk=pk))
        area = _area_or_none(user, item.subject_id)
        if request.method == "GET":
            return self._form(contracts.form_values(item.payload), item=item, area=area)
        values, files, submit = _posted()
        values["area_id"] = str(item.subject_id)
        was_returned = item.status == workflow.AppStatus.RETURNED
        try:
            contracts.amend_contract(item, user, values, files, submit=submit)
        except DomainError as exc:
            db.session.rollback()
            return self._form(values, error=str(exc), item=item, area=area)
        flash(_("The application was resubmitted.") if was_returned else
              (_("%(number)s was submitted for review. Print the application form and bring it with the documents "
                 "to the service window.", number=item.number) if submit else _("Saved.")), "success")
        return redirect(url_for("ServiceContractFilingView.show", pk=pk))

    def _submit(self, item, user):
        contracts.submit_contract(item, user)


def _area_or_none(user, area_id):
    from app.property.models import PropertyArea

    pk = common.positive_int(area_id)
    return db.session.get(PropertyArea, pk) if pk else None


def _client_fixed(area, contract_type):
    """The appointing party as the area names it (read-only on the form), or None."""
    if area is None:
        return None
    try:
        return contracts.client_of(area, contract_type or ContractType.EARLY)
    except DomainError:
        return None


def _due_text(values):
    from datetime import date

    try:
        signed = date.fromisoformat(str(values.get("signed_on") or ""))
    except ValueError:
        return None
    return contracts.due_date(signed).isoformat()


# --- 承接查验备案 -----------------------------------------------------------------------------------

class AcceptanceFilingView(_FilingPages):
    route_base = "/property/acceptance-filing"
    app_type = acceptance.ACCEPTANCE_FILING
    services = acceptance
    list_template = "anju/property/filings/acceptance_list.html"
    show_template = "anju/property/filings/acceptance_show.html"
    title = _l("Acceptance inspection filing")

    def _show_args(self, item, **extra):
        args = super()._show_args(item)
        args.update(equipment=acceptance.staged_rows(item, limit=200), equipment_count=acceptance.staged_count(item),
                    handover_items=acceptance.HANDOVER_ITEMS, status_label=acceptance.handover_status_label,
                    type_label=_equipment_type_label, result=None, shown_errors=[], error_token=None)
        args.update(extra)
        return args

    def _form(self, values, error=None, item=None, areas=None):
        return self.render_template(
            "anju/property/filings/acceptance_form.html", title=str(self.title), values=values, error=error,
            item=item, areas=areas or [], labels=acceptance.LABELS, handover_items=acceptance.HANDOVER_ITEMS,
            statuses=acceptance.HANDOVER_STATUS_LABELS, hint=acceptance.needs_contract(),
            contract_link=url_for("ServiceContractFilingView.new"),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        org = self._company()
        if org is None:
            return redirect(url_for("AcceptanceFilingView.index"))
        user = current_user_obj()
        areas = acceptance.filable_areas(user)
        if request.method == "POST":
            values, files, submit = _posted()
            try:
                item = acceptance.file_acceptance(user, values, files, submit=submit)
            except DomainError as exc:
                db.session.rollback()
                return self._form(values, error=str(exc), areas=areas)
            flash(_("%(number)s was saved as a draft. Import its facilities and equipment, then submit it.",
                    number=item.number), "success")
            return redirect(url_for("AcceptanceFilingView.show", pk=item.id))
        area = None
        if request.args.get("area_id"):
            try:
                area = acceptance.find_area(user, request.args.get("area_id"))
            except DomainError as exc:
                flash(str(exc), "danger")
        return self._form(acceptance.initial_values(user, area), areas=areas)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item(pk)
        user = current_user_obj()
        try:
            common.check_may_change(item, user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AcceptanceFilingView.show", pk=pk))
        if request.method == "GET":
            return self._form(acceptance.form_values(item.payload), item=item)
        values, files, submit = _posted()
        values["area_id"] = str(item.subject_id)
        was_returned = item.status == workflow.AppStatus.RETURNED
        try:
            acceptance.amend_acceptance(item, user, values, files, submit=submit)
        except DomainError as exc:
            db.session.rollback()
            return self._form(values, error=str(exc), item=item)
        flash(_("The application was resubmitted.") if was_returned else
              (_("%(number)s was submitted for review. Print the application form and bring it with the documents "
                 "to the service window.", number=item.number) if submit else _("Saved.")), "success")
        return redirect(url_for("AcceptanceFilingView.show", pk=pk))

    def _submit(self, item, user):
        acceptance.submit_acceptance(item, user)

    @expose("/template")
    @has_access
    def template(self):
        from app.property.care.imports import EQUIPMENT_COLUMNS

        title = _("Facilities and equipment")
        return xlsx.bytes_response(_("%(title)s-import template", title=title) + ".xlsx",
                                   xlsx.build_template(EQUIPMENT_COLUMNS, title))

    @expose("/import/<int:pk>", methods=["POST"])
    @has_access
    def import_equipment(self, pk):
        from app.property.care.imports import EQUIPMENT_COLUMNS
        from app.system.params import get_param

        item = self._item(pk)
        user = current_user_obj()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Please choose an .xlsx file to upload."), "danger")
            return redirect(url_for("AcceptanceFilingView.show", pk=pk))
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        max_rows = get_param("import.max_rows")
        data = upload.stream.read(max_bytes + 1)
        try:
            result, count = acceptance.import_workbook(item, user, data, max_bytes, max_rows)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("AcceptanceFilingView.show", pk=pk))
        if count is not None:
            flash(_("%(n)s rows imported.", n=count), "success")
            return redirect(url_for("AcceptanceFilingView.show", pk=pk))
        token = None
        try:
            token = import_files.store(user.id, xlsx.error_workbook(EQUIPMENT_COLUMNS, data, result.errors,
                                                                    max_bytes=max_bytes, max_rows=max_rows))
        except Exception:  # the page lists the problems anyway
            current_app.logger.exception("error workbook not written")
        flash(_("Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                n=result.error_count), "danger")
        return self.render_template(self.show_template, **self._show_args(
            item, result=result, shown_errors=result.listed[:200], error_token=token))

    @expose("/import-errors/<token>")
    @has_access
    def import_errors(self, token):
        path = import_files.find(getattr(g.user, "id", "anon"), token)
        if path is None:
            abort(404)
        response = send_file(path, mimetype=xlsx.XLSX_MIMETYPE)
        response.headers["Content-Disposition"] = xlsx.content_disposition(
            _("%(title)s-import errors", title=_("Facilities and equipment")) + ".xlsx")
        return response


def _equipment_type_label(code):
    from app.system import dicts

    return dicts.label("equipment_type", code) if code else ""


def _of_a_property_company(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == "enterprise"


def register(appbuilder):
    from app.core import worklist
    from app.property import menu
    from app.property.filings import jobs  # noqa: F401  (registers the overdue job and its CLI)

    menu(appbuilder, ServiceContractFilingView(), "Service contract filing", _l("Service contract filing"),
         "fa-file-text-o")
    menu(appbuilder, AcceptanceFilingView(), "Acceptance inspection filing", _l("Acceptance inspection filing"),
         "fa-check-square-o")
    worklist.register_shortcut("property.contract_filing", _l("Service contract filing"), "fa-file-text-o",
                               endpoint="ServiceContractFilingView.index",
                               permission=("can_file", "ServiceContractFilingView"), order=42,
                               when=_of_a_property_company)
    worklist.register_shortcut("property.acceptance_filing", _l("Acceptance inspection filing"), "fa-check-square-o",
                               endpoint="AcceptanceFilingView.index",
                               permission=("can_file", "AcceptanceFilingView"), order=43, when=_of_a_property_company)
    jobs.register_cli(current_app)
