"""The public part's screens (issue 14; seed 000 平台服务), thin over app/rental/public/services.py.

For the public (the citizen layout, no JavaScript framework):

* ``RentalServicesView`` (/rental/services/): the 住房租赁服务 landing page; 合同范本下载 and the
  templates' files; 合同上传 (signed in) and 我的合同上传; 合同咨询 (signed in): the machine
  check, its result and the choice of a 律师事务所 / 法律咨询公司; 交易评价 (real-name verified)
  and 我的评价; 维权须知, 咨询通道 and 免责声明.
* ``ContractCheckView`` (/rental/contract-check/?number=&code=): 合同验证 without signing in,
  the page the contract PDF's QR code opens.

For government (menu 住房租赁): ``ContractSubmissionView`` (合同上传 and 合同咨询 by district, 审阅),
``RentalEvaluationView`` (交易评价 with each enterprise's averages), ``LegalServiceView`` (the
directory) and ``LegalPageView`` (the 法律帮助 texts); ``ContractTemplateView`` from
app/rental/contracts/templates_admin.py.
"""
from flask import abort, flash, make_response, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.accounts.views import client_ip
from app.core import uploads
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.rental.labels import (
    LEGAL_SERVICE_KIND_LABELS,
    PARTY_LABELS,
    SUBMISSION_KIND_LABELS,
    SUBMISSION_STATUS_LABELS,
)
from app.rental.public import services
from app.rental.public.models import (
    ContractSubmission,
    LegalPage,
    LegalService,
    RentalEvaluation,
    SubmissionKind,
    SubmissionStatus,
)

PUBLIC = "anju/rental/public/"


def _label(mapping):
    return lambda code: str(mapping.get(code, code or ""))


def _sign_in():
    return redirect(url_for("AnjuAuthDBView.login", next=request.full_path))


class RentalServicesView(BaseView):
    route_base = "/rental/services"
    default_view = "index"

    def _page(self, _template_name, status=200, **context):
        return self.render_template(PUBLIC + _template_name, **context), status

    @expose("/")
    def index(self):
        return self._page("index.html", title=_("Housing rental services"))

    # --- 合同范本下载 ---
    @expose("/templates")
    def templates(self):
        rows = services.newest_templates()
        return self._page("templates.html", title=_("Contract template downloads"), rows=rows,
                          file_of=services.template_file)

    @expose("/templates/<int:pk>/file")
    def template_download(self, pk):
        template = services.public_template(pk)
        upload = services.template_file(template)
        if upload is None:
            abort(404)
        response = send_file(uploads.path_of(upload), mimetype=upload.mime, as_attachment=True,
                             download_name=upload.original_name, conditional=False, etag=False,
                             last_modified=None, max_age=None)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    # --- 合同上传 ---
    @expose("/upload", methods=["GET", "POST"])
    def upload(self):
        user = current_user_obj()
        if user is None:
            return _sign_in()
        error, values = None, {}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in ("number", "code", "region_code")}
            try:
                submission = services.submit_for_review(
                    user, request.files.getlist("files"), values["number"], values["code"], values["region_code"],
                    ip=client_ip())
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("Your contract was uploaded (No. %(id)s); the housing authority will review it.",
                        id=submission.id), "success")
                return redirect(url_for("RentalServicesView.my_uploads"))
        template = (services.newest_templates() or [None])[0]
        return self._page("upload.html", status=422 if error else 200, title=_("Contract upload"), error=error,
                          values=values, notes=(template.notes if template is not None and template.notes
                                                else services.DEFAULT_NOTES),
                          districts=services.district_choices())

    @expose("/uploads")
    def my_uploads(self):
        user = current_user_obj()
        if user is None:
            return _sign_in()
        return self._page("my_uploads.html", title=_("My contract uploads"),
                          rows=services.my_submissions(user, SubmissionKind.REVIEW),
                          status_label=_label(SUBMISSION_STATUS_LABELS), files_of=uploads.files_of)

    # --- 合同咨询 ---
    @expose("/consult", methods=["GET", "POST"])
    def consult(self):
        user = current_user_obj()
        if user is None:
            return _sign_in()
        error, chosen = None, request.form.get("template_id", "")
        if request.method == "POST":
            try:
                submission = services.machine_check(user, request.files.get("file"), chosen or None)
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                return redirect(url_for("RentalServicesView.consult_result", pk=submission.id))
        return self._page("consult.html", status=422 if error else 200, title=_("Contract consultation"),
                          error=error, templates=services.newest_templates(), chosen=chosen,
                          mine=services.my_submissions(user, SubmissionKind.CHECK, limit=20))

    def _my_check(self, pk):
        user = current_user_obj()
        submission = db.session.get(ContractSubmission, pk)
        if user is None or submission is None or submission.created_by_fk != user.id \
                or submission.kind != SubmissionKind.CHECK:
            abort(404)
        return submission, user

    @expose("/consult/<int:pk>")
    def consult_result(self, pk):
        if current_user_obj() is None:
            return _sign_in()
        from app.rental.contracts.models import ContractTemplate

        submission, _user = self._my_check(pk)
        template = db.session.get(ContractTemplate, submission.template_id) if submission.template_id else None
        return self._page("consult_result.html", title=_("Contract consultation"), item=submission, used_template=template,
                          services=services.legal_services(), kind_label=_label(LEGAL_SERVICE_KIND_LABELS))

    @expose("/consult/<int:pk>/choose", methods=["POST"])
    def consult_choose(self, pk):
        if current_user_obj() is None:
            return _sign_in()
        submission, user = self._my_check(pk)
        try:
            service = services.choose_legal_service(submission, user, request.form.get("service_id"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("You chose %(name)s; contact them with the details below.", name=service.name), "success")
        return redirect(url_for("RentalServicesView.consult_result", pk=pk) + "#chosen")

    # --- 交易评价 ---
    @expose("/evaluate", methods=["GET", "POST"])
    def evaluate(self):
        from app.accounts.services import is_realname_verified

        user = current_user_obj()
        if user is None:
            return _sign_in()
        if not is_realname_verified(user):
            flash(_("Only a real-name verified user may evaluate a transaction. Please complete real-name "
                    "verification first."), "warning")
            return redirect(url_for("MyAccountView.realname", next=request.full_path))
        error, values = None, {}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in (
                "number", "code", "listing_code", "transaction_score", "transaction_comment", "execution_score",
                "execution_comment")}
            try:
                row = services.evaluate(user, values, ip=client_ip())
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("Thank you: your evaluation of contract %(number)s as its %(party)s was submitted.",
                        number=row.contract.number, party=services.party_label(row.party)), "success")
                return redirect(url_for("RentalServicesView.my_evaluations"))
        else:
            values = {k: request.args.get(k, "") for k in ("number", "code", "listing_code")}
        return self._page("evaluate.html", status=422 if error else 200, title=_("Transaction evaluation"),
                          error=error, values=values)

    @expose("/evaluations")
    def my_evaluations(self):
        user = current_user_obj()
        if user is None:
            return _sign_in()
        return self._page("my_evaluations.html", title=_("My evaluations"), rows=services.my_evaluations(user),
                          party_label=services.party_label)

    # --- 法律帮助 ---
    @expose("/legal/<key>")
    def legal(self, key):
        page = services.legal_page(key)
        if page is None:
            abort(404)
        return self._page("legal.html", title=page.title, page=page, key=key,
                          services=services.legal_services() if key == "channels" else [],
                          kind_label=_label(LEGAL_SERVICE_KIND_LABELS))


class ContractCheckView(BaseView):
    """合同验证 (no login): the contract's status, term, signing and filing, its enterprise and
    district, by number and 校验码; never a person or the full address."""

    route_base = "/rental/contract-check"
    default_view = "check"

    @expose("/")
    def check(self):
        number = (request.args.get("number") or "").strip()[:64]
        code = (request.args.get("code") or "").strip()[:32]
        facts, error = None, None
        if number or code:
            try:
                facts = services.check_contract(number, code, client_ip())
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
        response = make_response(self.render_template(
            PUBLIC + "contract_check.html", title=_("Contract verification"), number=number, code=code,
            facts=facts, error=error), 422 if error else 200)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"   # the code is in the address
        return response


# --- government -------------------------------------------------------------------------------

def _choices(mapping):
    return [("", _l("All"))] + list(mapping.items())


def _day(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _clauses(value):
    return "、".join(value or [])


class ContractSubmissionView(AnjuModelView):
    """合同上传 and 合同咨询 as government reads them: by the contract's district (an upload without a
    verified contract: the district the user named); 审阅 with a comment."""

    datamodel = ScopedInterface(ContractSubmission)
    route_base = "/rental/submissions"
    list_title = _l("Contract uploads and consultations")
    show_title = _l("Contract submission")
    base_permissions = ["can_list", "can_show", "can_review"]
    method_permission_name = {"review": "review"}
    label_columns = {"id": _l("No."), "kind": _l("Kind"), "status": _l("Status"), "contract_number": _l("Contract number"),
                     "region_code": _l("District"), "created_on": _l("Submitted at"),
                     "missing_clauses": _l("Missing clauses"), "reviewed_at": _l("Reviewed at")}
    list_columns = ["id", "kind", "status", "contract_number", "region_code", "missing_clauses", "created_on"]
    search_columns = ["kind", "status", "contract_number", "region_code", "created_on"]
    search_filters = {"kind": [FilterEqual], "status": [FilterEqual], "region_code": [FilterEqual]}
    search_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=_choices(SUBMISSION_KIND_LABELS)),
        "status": SelectField(_l("Status"), choices=_choices(SUBMISSION_STATUS_LABELS)),
    }
    formatters_columns = {"kind": _label(SUBMISSION_KIND_LABELS), "status": _label(SUBMISSION_STATUS_LABELS),
                          "missing_clauses": _clauses, "created_on": _day}
    base_order = ("id", "desc")
    order_columns = ["id", "created_on"]

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        from app.system.models import Region

        item = self._item_or_404(pk)
        region = db.session.get(Region, item.region_code) if item.region_code else None
        return self.render_template(
            PUBLIC + "submission_show.html", title=self.show_title, item=item, region=region,
            files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
            kind_label=_label(SUBMISSION_KIND_LABELS), status_label=_label(SUBMISSION_STATUS_LABELS),
            may_review=(item.kind == SubmissionKind.REVIEW and item.status == SubmissionStatus.SUBMITTED
                        and self._permitted(self, "can_review")),
            reviewer=db.session.get(self.appbuilder.sm.user_model, item.reviewed_by_fk) if item.reviewed_by_fk else None,
        )

    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    def review(self, pk):
        item = self._item_or_404(pk)
        try:
            services.review(item, current_user_obj(), request.form.get("comment"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("The contract upload was reviewed."), "success")
        return redirect(url_for("ContractSubmissionView.show", pk=pk))


class RentalEvaluationView(AnjuModelView):
    """交易评价: an enterprise its own contracts', government by district; each enterprise's
    averages above the list."""

    datamodel = ScopedInterface(RentalEvaluation)
    route_base = "/rental/evaluations"
    list_title = _l("Transaction evaluations")
    show_title = _l("Transaction evaluation")
    list_template = PUBLIC + "evaluation_list.html"
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {"contract": _l("Rental contract"), "party": _l("Party"), "org": _l("Enterprise"),
                     "transaction_score": _l("Transaction score"), "execution_score": _l("Contract execution score"),
                     "transaction_comment": _l("Transaction comment"),
                     "execution_comment": _l("Contract execution comment"), "region_code": _l("District"),
                     "created_on": _l("Evaluated at"), "contract_id": _l("Rental contract")}
    list_columns = ["contract", "party", "transaction_score", "execution_score", "transaction_comment",
                    "region_code", "created_on"]
    show_columns = ["contract", "party", "transaction_score", "transaction_comment", "execution_score",
                    "execution_comment", "region_code", "created_on"]
    search_columns = ["party", "transaction_score", "execution_score", "region_code", "created_on"]
    search_filters = {"party": [FilterEqual], "region_code": [FilterEqual]}
    search_form_extra_fields = {"party": SelectField(_l("Party"), choices=_choices(PARTY_LABELS))}
    formatters_columns = {"party": _label(PARTY_LABELS), "created_on": _day}
    base_order = ("created_on", "desc")
    order_columns = ["created_on", "transaction_score", "execution_score"]

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["averages"] = services.enterprise_averages(current_user_obj())
        return super().render_template(template, **kwargs)


class LegalServiceView(AnjuModelView):
    """咨询通道's directory of 律师事务所 and 法律咨询公司 (gov_admin)."""

    datamodel = ScopedInterface(LegalService)
    route_base = "/rental/legal-services"
    list_title = _l("Law firms and legal consulting companies")
    show_title = _l("Legal service")
    add_title = _l("New legal service")
    edit_title = _l("Change legal service")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    label_columns = {"name": _l("Name"), "kind": _l("Kind"), "phone": _l("Telephone"), "address": _l("Address"),
                     "intro": _l("Introduction"), "sort": _l("Sort order"), "active": _l("Active")}
    list_columns = ["name", "kind", "phone", "address", "sort", "active"]
    show_columns = ["name", "kind", "phone", "address", "intro", "sort", "active"]
    add_columns = ["name", "kind", "phone", "address", "intro", "sort", "active"]
    edit_columns = add_columns
    search_columns = ["name", "kind", "active"]
    search_filters = {"kind": [FilterEqual]}
    search_form_extra_fields = {"kind": SelectField(_l("Kind"), choices=_choices(LEGAL_SERVICE_KIND_LABELS))}
    add_form_extra_fields = {"kind": SelectField(_l("Kind"), choices=list(LEGAL_SERVICE_KIND_LABELS.items()))}
    edit_form_extra_fields = add_form_extra_fields
    formatters_columns = {"kind": _label(LEGAL_SERVICE_KIND_LABELS)}
    base_order = ("sort", "asc")

    def pre_add(self, item):
        super().pre_add(item)
        self._check(item)

    def pre_update(self, item):
        self._check(item)

    @staticmethod
    def _check(item):
        if not (item.name or "").strip():
            raise DomainError(_("%(field)s: %(message)s", field=_("Name"), message=_("is required")))
        if item.kind not in LEGAL_SERVICE_KIND_LABELS:
            raise DomainError(_("%(field)s: %(message)s", field=_("Kind"),
                                message=_("please choose one of the listed values")))
        if item.sort is None:
            item.sort = 100
        if item.active is None:
            item.active = True


class LegalPageView(AnjuModelView):
    """维权须知, 咨询通道 and 免责声明: the texts the public reads (gov_admin edits them)."""

    datamodel = ScopedInterface(LegalPage)
    route_base = "/rental/legal-pages"
    list_title = _l("Legal help pages")
    show_title = _l("Legal help page")
    edit_title = _l("Change legal help page")
    base_permissions = ["can_list", "can_show", "can_edit"]
    label_columns = {"key": _l("Page"), "title": _l("Title"), "body": _l("Text"), "changed_on": _l("Changed at")}
    list_columns = ["title", "changed_on"]
    show_columns = ["title", "body", "changed_on"]
    edit_columns = ["title", "body"]
    search_columns = ["title"]
    formatters_columns = {"changed_on": _day}

    def pre_update(self, item):
        services.save_legal_page(item, current_user_obj(), item.title, item.body)


def register(appbuilder):
    from app.rental import menu
    from app.rental.contracts import templates_admin

    uploads.register_owner("rental_submission", ContractSubmission, permission=("can_show", "ContractSubmissionView"))
    appbuilder.add_view_no_menu(RentalServicesView())
    appbuilder.add_view_no_menu(ContractCheckView())
    templates_admin.register(appbuilder)
    menu(appbuilder, ContractSubmissionView(), "Contract uploads", _l("Contract uploads and consultations"),
         "fa-upload")
    menu(appbuilder, RentalEvaluationView(), "Transaction evaluations", _l("Transaction evaluations"), "fa-star")
    menu(appbuilder, LegalServiceView(), "Legal services", _l("Law firms and legal consulting companies"), "fa-gavel")
    menu(appbuilder, LegalPageView(), "Legal help pages", _l("Legal help pages"), "fa-book")
    appbuilder.add_link("Housing rental services", href="/rental/services/", label=_l("Housing rental services"),
                        icon="fa-home", category="Rental")
