"""合同备案 screens (seed 001), thin over app/rental/filing/services.py:

* ``RentalFilingView`` (/rental/filings): 备案申请列表 (the filing applications in the user's
  scope: an agent their own, an enterprise its own, government its region; filters by state,
  district, enterprise and dates; export), a filing's page (the contract, the history, the
  applicant's 重新提交 / 终止; reviewers decide on the business-application screens), the
  备案申请 page (选择产权证号或租赁合同编号进行核验 → 确认 → 提交), 合同补录 when the parameter
  备案前是否必须进行合同网签 is off, and the 备案证明 (print view and PDF).
* ``FilingDueView`` (/rental/filing-due): 待备案合同, signed contracts not filed yet, with the
  filter 逾期未备案.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.core import documents, uploads, workflow
from app.core.errors import DomainError
from app.core.scope import can_see, current_user_obj, prefix_range
from app.core.views import AnjuModelView, ScopedInterface
from app.core.workflow import Action, Application
from app.extensions import db
from app.rental.agencies import services as agencies
from app.rental.contracts.models import ContractStatus, FilingStatus, RentalContract
from app.rental.filing import services
from app.system.models import Organization

APPLICANT_ACTIONS = (Action.RESUBMIT, Action.TERMINATE)
MAX_FORM_ROWS = 3


# --- filters -------------------------------------------------------------------------------

class FilterDistrict(BaseFilter):
    """The district (and its streets) of the property."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value.isdigit():
            return query
        return query.filter(prefix_range(getattr(self.model, self.column_name), value))


class FilterOrgName(BaseFilter):
    """The enterprise as text (a part of its name); no dropdown of every enterprise."""

    name = _l("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(self.model.org_id.in_(
            select(Organization.id).where(Organization.name.contains(value, autoescape=True))))


class FilterOverdue(BaseFilter):
    """逾期未备案: signed more than rental.filing_due_days days ago, neither filed nor under
    review (the lead may add it to the contract list: it filters RentalContract)."""

    name = _l("Equal to")
    arg_name = "overdue"

    def apply(self, query, value):
        if value == "y":
            return query.filter(services.overdue_clause())
        if value == "n":
            return query.filter(~services.overdue_clause())
        return query


def _region(code):
    return agencies.region_name(code[:6]) + (f" {agencies.region_name(code)}" if code and len(code) > 6 else "") \
        if code else ""


def _status(code):
    return str(workflow.status_label(code))


def _choices(mapping):
    return [("", _l("All"))] + list(mapping.items())


def _district_choices():
    return [("", _l("All"))] + agencies.district_options()


def _may(permission, view):
    from flask import current_app

    return current_app.appbuilder.sm.has_access(permission, view)


class RentalFilingView(AnjuModelView):
    datamodel = ScopedInterface(Application)
    route_base = "/rental/filings"
    list_title = _l("Filing applications")
    show_title = _l("Rental contract filing")
    show_template = "anju/rental/filing/show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_apply", "can_backfill", "can_certificate"]
    method_permission_name = {"apply": "apply", "act": "apply", "backfill": "backfill",
                              "certificate": "certificate", "certificate_pdf": "certificate"}
    base_filters = [["app_type", FilterEqual, services.FILING_TYPE]]
    label_columns = {
        "number": _l("Application number"), "title": _l("Contract"), "status": _l("Filing state"),
        "org": _l("Rental enterprise"), "org_id": _l("Rental enterprise"), "region_code": _l("District"),
        "submitted_at": _l("Submitted at"), "decided_at": _l("Decided at"), "reason": _l("Reason"),
    }
    list_columns = ["number", "title", "status", "org", "region_code", "submitted_at", "decided_at"]
    show_columns = list_columns
    search_columns = ["number", "status", "region_code", "org_id", "submitted_at", "title"]
    inline_search_columns = ["number", "status", "region_code", "org_id", "submitted_at"]
    search_filters = {"status": [FilterEqual], "region_code": [FilterDistrict], "org_id": [FilterOrgName]}
    search_form_extra_fields = {
        "status": SelectField(_l("Filing state"), choices=_choices(workflow.STATUS_LABELS)),
        "region_code": SelectField(_l("District"), choices=_district_choices),
        "org_id": StringField(_l("Rental enterprise")),
    }
    formatters_columns = {"status": _status, "region_code": _region}
    order_columns = ["number", "submitted_at", "decided_at"]
    base_order = ("id", "desc")

    def export_value(self, row, column):
        if column.key == "org":
            return row.org.name if row.org is not None else ""
        if column.key in ("status", "region_code"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)

    # --- a filing's page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        contract = services.contract_of(item)
        actions = [a for a in workflow.allowed_actions(item, user) if a in APPLICANT_ACTIONS
                   and _may("can_apply", "RentalFilingView")]
        review_url = None
        if workflow.allowed_actions(item, user) and _may("can_decide", "ApplicationView"):
            review_url = url_for("ApplicationView.show", pk=item.id)
        contract_url = None
        if contract is not None and _may("can_show", "RentalContractView"):
            try:
                contract_url = url_for("RentalContractView.show", pk=contract.id)
            except Exception:  # the contracts page is not registered
                contract_url = None
        return self.render_template(
            self.show_template, title=self.show_title, item=item, contract=contract, events=item.events,
            actions=actions, action_label=workflow.action_label, review_url=review_url, contract_url=contract_url,
            may_certificate=contract is not None and contract.filing_status == FilingStatus.FILED
            and _may("can_certificate", "RentalFilingView"),
            region=_region, origin_label=services.origin_label, filing_status_label=services.filing_status_label,
            term_text=services.term_text, dict_label=services._dict_label, files=uploads.files_of(contract)
            if contract is not None else [], url_for_upload=uploads.url_for_upload,
            overdue=services.is_overdue(contract) if contract is not None else False,
        )

    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        """The applicant's steps: 重新提交 a returned filing, 终止 it."""
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        if action not in APPLICANT_ACTIONS:
            abort(400)
        try:
            services.transition(item, action, current_user_obj(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(action)), "success")
        return redirect(url_for("RentalFilingView.show", pk=pk))

    # --- 备案申请 ---
    def _contract_in_scope(self, contract_id):
        text = str(contract_id or "").strip()
        contract = db.session.get(RentalContract, int(text)) if text.isdigit() and len(text) < 12 else None
        user = current_user_obj()
        if contract is None or contract.org_id != getattr(user, "org_id", None) or not can_see(contract, user):
            return None
        return contract

    @expose("/apply", methods=["GET", "POST"])
    @has_access
    def apply(self):
        user = current_user_obj()
        if request.method == "POST":
            contract = self._contract_in_scope(request.form.get("contract_id"))
            try:
                if contract is None:
                    raise DomainError(_("No contract of your enterprise has this number."))
                application = services.apply(user, contract)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return redirect(url_for("RentalFilingView.apply", q=request.form.get("q", "")))
            flash(_("The filing application %(number)s for contract %(contract)s was submitted for review.",
                    number=application.number, contract=contract.number), "success")
            return redirect(url_for("RentalFilingView.show", pk=application.id))
        q = (request.args.get("q") or "").strip()[:64]
        found, searched = [], False
        if request.args.get("contract_id"):
            contract = self._contract_in_scope(request.args.get("contract_id"))
            found, searched = ([contract] if contract is not None else []), True
        elif q:
            searched = True
            contract = services.find_contract(user, q)
            found = [contract] if contract is not None else services.contracts_by_certificate(user, q)
        return self.render_template(
            "anju/rental/filing/apply.html", title=_("Contract filing"), q=q, searched=searched,
            found=[(c, services.apply_problem(c, user), services.is_overdue(c)) for c in found],
            waiting=self._waiting(user), backfill=services.backfill_allowed() and _may("can_backfill",
                                                                                       "RentalFilingView"),
            region=_region, term_text=services.term_text, status_label=services.contracts.status_label,
            filing_status_label=services.filing_status_label, is_overdue=services.is_overdue,
        )

    @staticmethod
    def _waiting(user, limit=20):
        """The enterprise's signed contracts not filed yet (oldest first: the overdue ones on top)."""
        from app.core.scope import apply_scope

        if not getattr(user, "org_id", None):
            return []
        stmt = select(RentalContract).where(RentalContract.org_id == user.org_id,
                                            RentalContract.status == ContractStatus.SIGNED,
                                            RentalContract.filing_status == FilingStatus.NONE)
        stmt = apply_scope(stmt, RentalContract, user).order_by(RentalContract.signed_at, RentalContract.id)
        return db.session.execute(stmt.limit(limit)).scalars().all()

    # --- 合同补录 ---
    @expose("/backfill", methods=["GET", "POST"])
    @has_access
    def backfill(self):
        if not services.backfill_allowed():
            try:
                services.check_backfill_allowed()
            except DomainError as exc:
                flash(str(exc), "danger")
            return redirect(url_for("RentalFilingView.apply"))
        user = current_user_obj()
        values = {k: v for k, v in request.form.items() if k != "csrf_token"} if request.method == "POST" else {}
        error = reasons = None
        if request.method == "POST":
            try:
                verification = self._backfill_verification(user, values)
                if not verification.passed:
                    from app.rental.verification.services import reason_texts

                    db.session.commit()          # a failed verification is recorded too
                    reasons = reason_texts(verification.reasons)
                    raise DomainError(_("The listing did not pass verification."))
                db.session.commit()
                files = [f for f in request.files.getlist("files") if f and f.filename]
                contract = services.backfill(user, verification, _details(values), _rows(values, "tenant"),
                                             values.get("signed_on"), files, matters=values.get("matters", ""))
                application = services.apply(user, contract)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("Contract %(contract)s was back-filled and its filing application %(number)s submitted.",
                        contract=contract.number, number=application.number), "success")
                return redirect(url_for("RentalFilingView.show", pk=application.id))
        from app.system import dicts

        return self.render_template(
            "anju/rental/filing/backfill.html", title=_("Contract back-filling"), values=values, error=error,
            reasons=reasons, districts=agencies.all_districts(), cert_types=dicts.items("property_cert_type"),
            id_types=dicts.items("id_type"), cycles=dicts.items("rent_payment_cycle"),
            purposes=dicts.items("rental_purpose"), rows=range(1, MAX_FORM_ROWS + 1), allowed=uploads.ALLOWED_TEXT,
        )

    @staticmethod
    def _backfill_verification(user, values):
        from app.rental.verification import services as verifications

        code = (values.get("listing_code") or "").strip()
        if code:
            found = verifications.by_code(code)
            if found is None or not can_see(found, user) or found.org_id != user.org_id:
                raise DomainError(_("%(field)s: %(message)s", field=_("Listing code"),
                                    message=_("no verification of your enterprise has this code")))
            return found
        fields = {"region_code": values.get("region_code"), "cert_type": values.get("cert_type"),
                  "cert_no": values.get("cert_no"), "owners": _rows(values, "owner")}
        return verifications.verify(fields, user)

    # --- 备案证明 ---
    def _filed_contract(self, contract_id):
        contract = db.session.get(RentalContract, contract_id)
        if contract is None or not can_see(contract, current_user_obj()) \
                or contract.filing_status != FilingStatus.FILED:
            abort(404)
        return contract

    @expose("/certificate/<int:contract_id>")
    @has_access
    def certificate(self, contract_id):
        return documents.print_response(services.certificate_document(self._filed_contract(contract_id)))

    @expose("/certificate/<int:contract_id>/pdf")
    @has_access
    def certificate_pdf(self, contract_id):
        contract = self._filed_contract(contract_id)
        return documents.pdf_response(services.certificate_document(contract), f"{contract.filing_number}.pdf")


def _rows(values, prefix):
    """owner_1_name, owner_1_id_type, owner_1_id_number ... as a list of dicts (blank rows left out)."""
    out = []
    for n in range(1, MAX_FORM_ROWS + 1):
        row = {key: values.get(f"{prefix}_{n}_{key}", "") for key in ("name", "id_type", "id_number", "mobile")}
        if prefix == "owner":
            row.pop("mobile")
        if any(str(v).strip() for k, v in row.items() if k != "id_type"):
            out.append(row)
    return out


def _details(values):
    return {key: values.get(key, "") for key in ("rent", "deposit", "payment_cycle", "purpose", "start_date",
                                                 "end_date", "rental_mode", "rented_part")}


# --- 待备案合同 ---------------------------------------------------------------------------------

def _day(value):
    return value.strftime("%Y-%m-%d") if value else ""


class FilingDueView(AnjuModelView):
    datamodel = ScopedInterface(RentalContract)
    route_base = "/rental/filing-due"
    list_title = _l("Contracts awaiting filing")
    base_permissions = ["can_list", "can_export"]
    base_filters = [["status", FilterEqual, ContractStatus.SIGNED], ["filing_status", FilterEqual, FilingStatus.NONE]]
    label_columns = {
        "number": _l("Contract number"), "address": _l("Property address"), "org": _l("Rental enterprise"),
        "org_id": _l("Rental enterprise"), "region_code": _l("District"), "signed_at": _l("Signed at"),
        "overdue_flagged_at": _l("Flagged as filing overdue at"), "origin": _l("How the contract was made"),
        "id": _l("Filing overdue"),
    }
    list_columns = ["number", "address", "org", "region_code", "origin", "signed_at", "overdue_flagged_at"]
    search_columns = ["number", "region_code", "org_id", "signed_at", "id"]
    inline_search_columns = ["number", "region_code", "org_id", "id", "signed_at"]
    search_filters = {"region_code": [FilterDistrict], "org_id": [FilterOrgName], "id": [FilterOverdue]}
    search_form_extra_fields = {
        "region_code": SelectField(_l("District"), choices=_district_choices),
        "org_id": StringField(_l("Rental enterprise")),
        "id": SelectField(_l("Filing overdue"), choices=[("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))]),
    }
    formatters_columns = {"region_code": _region, "origin": services.origin_label, "overdue_flagged_at": _day}
    order_columns = ["number", "signed_at"]
    base_order = ("signed_at", "asc")

    def export_value(self, row, column):
        if column.key == "org":
            return row.org.name if row.org is not None else ""
        if column.key in ("region_code", "origin"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)


def register(appbuilder):
    from app.rental import menu
    from app.rental.filing import jobs

    menu(appbuilder, RentalFilingView(), "Filing applications", _l("Filing applications"), "fa-archive")
    from app.rental import CATEGORY, CATEGORY_ICON, CATEGORY_LABEL

    appbuilder.add_link("Contract filing", href="/rental/filings/apply", label=_l("Contract filing"),
                        icon="fa-check-square-o", category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)
    menu(appbuilder, FilingDueView(), "Contracts awaiting filing", _l("Contracts awaiting filing"), "fa-hourglass-half")
    from flask import current_app

    jobs.register_cli(current_app)
