"""Complaint pages: the staff list (seed 003 §13) and detail with the actions the user may
take, the 处理单 print/PDF, the public submission form (also by an area's 码上办 link) and the
complainant's follow-up pages. Rules live in app/complaints/services.py."""
from flask import abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.accounts import services as accounts
from app.accounts.views import FormPage, attempt, client_ip, field
from app.complaints import documents as complaint_documents
from app.complaints import services
from app.complaints.models import Complaint, CreditProposal, remaining_time
from app.complaints.services import Stage
from app.core import deadlines, uploads, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.property.models import PropertyArea
from app.system.models import OrgType

SESSION_KEY = "complaint_access"


def _stage_choices():
    return [("", _l("All"))] + list(services.STAGE_LABELS.items())


class FilterOverdue(BaseFilter):
    """是否超期: open complaints past their deadline (是) or not (否); 即将超期 (soon): open and
    due within ``deadline.due_soon_hours`` (the home page's 待办 links here)."""

    name = _l("Is")
    arg_name = "overdue"

    def apply(self, query, value):
        if value == "soon":
            hours = services.get_param("deadline.due_soon_hours")
            return query.filter(Complaint.stage.in_(Stage.OPEN),
                                deadlines.due_within_clause(Complaint.due_at, hours))
        if value not in ("y", "n"):
            return query
        overdue = (Complaint.stage.in_(Stage.OPEN)) & deadlines.overdue_clause(Complaint.due_at)
        return query.filter(overdue if value == "y" else ~overdue)


class FilterEscalated(BaseFilter):
    name = _l("Is")
    arg_name = "escalated"

    def apply(self, query, value):
        if value == "y":
            return query.filter(Complaint.escalated_at.isnot(None))
        if value == "n":
            return query.filter(Complaint.escalated_at.is_(None))
        return query


class _NameContains(BaseFilter):
    """A text filter on a related row's name, as a subquery: the search form shows a text
    box instead of a dropdown of every area or company (thousands at city scale)."""

    name = _l("Contains")
    related = None      # (model, column of Complaint)

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        model, column = self.related()
        return query.filter(column.in_(select(model.id).where(model.name.contains(value))))


class FilterAreaName(_NameContains):
    arg_name = "area_name"

    @staticmethod
    def related():
        return PropertyArea, Complaint.area_id


class FilterCompanyName(_NameContains):
    arg_name = "company_name"

    @staticmethod
    def related():
        from app.system.models import Organization

        return Organization, Complaint.org_id


def _kind_choices():
    return [("", _l("All"))] + list(services.KIND_LABELS.items())


def _yes_no():
    return [("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))]


def _overdue_choices():
    return _yes_no() + [("soon", _l("Due soon"))]


def _content_short(value):
    text = value or ""
    return text if len(text) <= 20 else text[:20] + "…"


class ComplaintInterface(ScopedInterface):
    """A list page's requests name their area and enterprise: those load by name, not with
    their own regions, companies and parents (five more rows each)."""

    def page_options(self, query):
        from sqlalchemy.orm import joinedload

        from app.system.models import Organization, Region

        if self.obj is not Complaint:
            return query
        # One SELECT: the area, the enterprise, the district and the street join in by name
        # (the area used to come by a second SELECT, the regions with every column).
        return query.options(joinedload(Complaint.area).load_only(PropertyArea.name).lazyload("*"),
                             joinedload(Complaint.org).load_only(Organization.name).lazyload("*"),
                             joinedload(Complaint.district).load_only(Region.name).lazyload("*"),
                             joinedload(Complaint.street).load_only(Region.name).lazyload("*"))


class ComplaintView(AnjuModelView):
    datamodel = ComplaintInterface(Complaint)
    route_base = "/complaints"
    list_title = _l("Requests and suggestions")
    show_title = _l("Request details")
    show_template = "anju/complaints/show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_act"]
    method_permission_name = {"act": "act", "print_form": "show", "pdf": "show"}
    label_columns = {
        "area": _l("Property management area"), "district": _l("Administrative division"),
        "street": _l("Street"), "content": _l("Content"), "org": _l("Property service company"),
        "status": _l("Handling status"), "stage": _l("Handling status"),
        "remaining_time": _l("Remaining handling time"), "submitted_at": _l("Submitted at"),
        "number": _l("Number"), "name": _l("Complainant"), "mobile": _l("Mobile"),
        "id_number": _l("ID number"), "address": _l("Address"), "due_at": _l("Due at"),
        "accepted_at": _l("Accepted at"), "handled_at": _l("Handled at"), "result": _l("Handling result"),
        "closed_at": _l("Closed at"), "satisfaction": _l("Satisfaction"), "evaluation": _l("Evaluation"),
        "escalated_at": _l("Escalated at"), "kind": _l("Request type"),
        "subject_number": _l("Contract number or listing code"),
    }
    # 类型 (物业 / 租赁维权) last: the seed's columns keep their places; a rental complaint has no
    # area, and its enterprise (the rental enterprise complained about) is in the company column.
    list_columns = ["area", "district", "street", "content", "org", "status", "remaining_time",
                    "submitted_at", "number", "kind"]
    show_columns = ["number", "kind", "area", "district", "street", "org", "subject_number", "name", "id_number",
                    "mobile", "address", "content", "status", "submitted_at", "due_at", "accepted_at",
                    "handled_at", "result", "closed_at", "satisfaction", "evaluation", "escalated_at"]
    search_columns = ["area", "district", "street", "content", "org", "stage", "due_at", "escalated_at",
                      "submitted_at", "number", "kind"]
    inline_search_columns = ["number", "area", "district", "street", "stage", "due_at", "submitted_at", "kind"]
    search_filters = {"stage": [FilterEqual], "due_at": [FilterOverdue], "escalated_at": [FilterEscalated],
                      "area": [FilterAreaName], "org": [FilterCompanyName], "kind": [FilterEqual]}
    search_form_extra_fields = {
        "kind": SelectField(_l("Request type"), choices=_kind_choices()),
        "area": StringField(_l("Property management area")),
        "org": StringField(_l("Property service company")),
        "stage": SelectField(_l("Handling status"), choices=_stage_choices()),
        "due_at": SelectField(_l("Overdue"), choices=_overdue_choices()),
        "escalated_at": SelectField(_l("Escalated"), choices=_yes_no()),
    }
    search_form_query_rel_fields = {
        "district": [["level", FilterEqual, "district"]],
        "street": [["level", FilterEqual, "street"]],
    }
    mask_columns = {"name": "name", "mobile": "mobile", "id_number": "id_number"}
    formatters_columns = {
        "status": services.status_label,
        "kind": services.kind_label,
        "content": _content_short,
    }
    base_order = ("submitted_at", "desc")
    # The export reads plain columns (app/core/lists/export_plan.py): 剩余处理时间 from stage and deadline.
    export_computed = {"remaining_time": (("stage", "due_at"), remaining_time)}

    def export_columns(self):
        """The list's columns, then the complainant: masked unless the role may see full values."""
        return [*super().export_columns(),
                *(xlsx.XColumn(col, self.label_columns[col], mask=self.mask_columns[col])
                  for col in ("name", "mobile", "id_number"))]

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        self._get_show_widget(pk, item)      # audits a full view of personal data
        actions = services.allowed_actions(item, user)
        actions = [a for a in actions if a not in services.Action.COMPLAINANT]
        return self.render_template(
            self.show_template, item=item, title=self.show_title, actions=actions,
            files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
            view=self, events=item.events, action_label=services.action_label,
            status_label=services.status_label, note_labels=services.NOTE_LABELS, kind_label=services.kind_label,
            accept_reply=services.accept_reply(), remaining=services.remaining(item),
            can_act=self.appbuilder.sm.has_access("can_act", self.class_permission_name),
            value=lambda col: self._shown(item, col),
        )

    def _shown(self, item, col):
        value = getattr(item, col, None)
        formatter = self.formatters_columns.get(col)
        if col == "content":
            return value
        return formatter(value) if formatter and value is not None else (value if value is not None else "")

    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        try:
            services.act(item, action, current_user_obj(), request.form.get("note"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=services.action_label(action)), "success")
        return redirect(url_for("ComplaintView.show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        from app.core import documents

        item = self._item_or_404(pk)
        return documents.print_response(complaint_documents.handling_sheet(item))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        from app.core import documents

        item = self._item_or_404(pk)
        return documents.pdf_response(complaint_documents.handling_sheet(item), f"{item.number}.pdf")


class CreditProposalView(AnjuModelView):
    datamodel = ScopedInterface(CreditProposal)
    route_base = "/creditproposals"
    list_title = _l("Credit deduction proposals")
    show_title = _l("Credit deduction proposal")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {"org": _l("Enterprise"), "source_number": _l("Source number"), "reason": _l("Reason"),
                     "points": _l("Points"), "status": _l("Status"), "created_on": _l("Created at"),
                     "region_code": _l("Region code")}
    list_columns = ["org", "source_number", "reason", "points", "status", "created_on"]
    show_columns = list_columns
    search_columns = ["org", "source_number", "created_on"]
    search_form_query_rel_fields = {"org": [["org_type", FilterEqual, OrgType.ENTERPRISE]]}
    formatters_columns = {"status": lambda v: str(_l("Proposed")) if v == "proposed"
                          else str(_l("Passed to credit review")) if v == "consumed" else v}
    base_order = ("created_on", "desc")


# --- public pages ---------------------------------------------------------------------

def _granted():
    return set(session.get(SESSION_KEY, []))


def _grant(complaint_id):
    ids = list(_granted() | {complaint_id})[-20:]
    session[SESSION_KEY] = ids


def _area_options():
    """Areas that take requests online (they have a project lead), grouped by street."""
    rows = db.session.execute(select(PropertyArea).where(PropertyArea.project_lead_id.isnot(None))
                              .order_by(PropertyArea.district_code, PropertyArea.street_code,
                                        PropertyArea.name).limit(2000)).scalars()
    options = [("", _("Please choose"))]
    for a in rows:
        where = "".join(r.name for r in (a.district, a.street) if r is not None)
        options.append((a.public_code, f"{a.name}（{where}）"))
    return options


class ComplaintPublicView(FormPage, BaseView):
    """需求及建议 for the public: submit (also from an area's QR code), follow, revoke, evaluate."""

    route_base = "/complaint"
    default_view = "new"
    public_layout = True

    def _fields(self, area):
        fields = []
        if area is None:
            fields.append(field("area", _("Property management area"), "select", options=_area_options()))
        else:
            fields.append(field("area_name", _("Property management area"), "static",
                                text=f"{area.name}（{''.join(r.name for r in (area.district, area.street) if r)}）"))
        user = current_user_obj()
        verified = bool(accounts.known_identity(user).get("verified"))
        from_identity = _("Filled in from your verified identity.") if verified else None
        fields += [
            field("name", _("Name"), help=from_identity),
            field("id_number", _("ID number"), help=from_identity),
            field("mobile", _("Mobile")),
        ]
        check = ["name", "id_number"]
        if user is None or not getattr(user, "mobile", None):
            fields += [field("captcha", _("Picture code"), "captcha", purpose="sms"),
                       field("sms_code", _("SMS code"), "sms", purpose="complaint", mobile_field="mobile",
                             check=check)]
        else:
            fields.append(field("sms_code", _("SMS code"), "sms", purpose="complaint", mobile_field="mobile",
                                required=False, check=check,
                                help=_("Not needed when the mobile is your account's own number.")))
            fields.insert(-1, field("captcha", _("Picture code"), "captcha", purpose="sms", required=False))
        fields += [
            field("address", _("Address")),
            field("content", _("Content"), "textarea"),
            field("files", _("Attachments"), "file", required=False,
                  help=_("PDF, JPG, PNG, DOCX or XLSX, at most 5 files.")),
        ]
        return fields

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        code = request.values.get("area", "")
        area = services.area_by_code(code) if code else None
        if code and area is None:
            abort(404)
        fixed = area if request.args.get("area") else None
        title = _("Submit a request or suggestion")
        values = None
        user = current_user_obj()
        if request.method == "GET" and user is not None:
            # What the console knows of a signed-in person (name, mobile; ID number once verified).
            known = accounts.known_identity(user)
            values = {k: known[k] for k in ("name", "id_number", "mobile") if known.get(k)}
            if area is not None:
                values["area"] = area.public_code
        error = None
        links = [(url_for("ComplaintPublicView.track"), _("Follow a request"))]
        if area is not None and services.area_problem(area):
            if request.method == "GET":
                error = services.area_problem(area)
            # Not a dead end: the form without the area lists the areas that take requests.
            links.insert(0, (url_for("ComplaintPublicView.new"), _("Choose another area")))
        if request.method == "POST":
            complaint, error = attempt(lambda: services.submit(
                area, request.form, request.files.getlist("files"), user=user, ip=client_ip()))
            if complaint is not None:
                _grant(complaint.id)
                flash(_("Your request has been submitted. Its number is %(number)s; a receipt was sent by SMS.",
                        number=complaint.number), "success")
                return redirect(url_for("ComplaintPublicView.view", number=complaint.number))
        return self._render(title, self._fields(fixed), values=values, error=error,
                            intro=_("The project lead of the area handles your request; you are told by SMS "
                                    "at each step and may evaluate the handling."),
                            links=links)

    @expose("/track", methods=["GET", "POST"])
    def track(self):
        fields = [
            field("number", _("Request number")),
            field("mobile", _("Mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose="complaint", mobile_field="mobile"),
        ]
        error = None
        if request.method == "POST":
            complaint, error = attempt(lambda: services.verify_tracking(
                request.form.get("number"), request.form.get("mobile"), request.form.get("sms_code")))
            if complaint is not None:
                _grant(complaint.id)
                return redirect(url_for("ComplaintPublicView.view", number=complaint.number))
        return self._render(_("Follow a request"), fields, error=error,
                            intro=_("Enter the request number and the mobile it was submitted with."))

    def _mine(self, number):
        complaint = db.session.execute(select(Complaint).where(Complaint.number == number)).scalars().first()
        if complaint is None:
            abort(404)
        user = current_user_obj()
        verified = complaint.id in _granted()
        if not (verified or services.is_complainant(complaint, user)):
            abort(404)
        return complaint, user, verified

    @expose("/view/<number>")
    def view(self, number):
        complaint, user, verified = self._mine(number)
        actions = [a for a in services.allowed_actions(complaint, user, verified)
                   if a in services.Action.COMPLAINANT]
        return self.render_template(
            "anju/complaints/mine.html", item=complaint, actions=actions, events=complaint.events,
            status_label=services.status_label, action_label=services.action_label,
            remaining=services.remaining(complaint), files=uploads.files_of(complaint),
            url_for_upload=uploads.url_for_upload, title=_("My request"))

    @expose("/view/<number>/act", methods=["POST"])
    def act(self, number):
        complaint, user, verified = self._mine(number)
        action = request.form.get("action", "")
        if action not in services.Action.COMPLAINANT:
            abort(400)
        try:
            services.act(complaint, action, user, request.form.get("note"),
                         request.form.get("satisfaction"), verified=verified)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=services.action_label(action)), "success")
        return redirect(url_for("ComplaintPublicView.view", number=number))

    @expose("/mine")
    def mine(self):
        user = current_user_obj()
        if user is None:
            return redirect(url_for("AnjuAuthDBView.login", next=request.full_path))
        rows = db.session.execute(select(Complaint).where(Complaint.complainant_id == user.id)
                                  .order_by(Complaint.submitted_at.desc()).limit(200)).scalars().all()
        return self.render_template("anju/complaints/my_list.html", rows=rows, title=_("My requests"),
                                    status_label=services.status_label, remaining=services.remaining)


def register(appbuilder):
    from app.complaints import jobs  # noqa: F401  (registers the scheduled jobs)

    uploads.register_owner("complaint", Complaint, ("can_show", "ComplaintView"))
    appbuilder.add_view(ComplaintView(), "Request management", label=_l("Request management"),
                        category="Requests", category_label=_l("Requests and suggestions"), icon="fa-comments")
    appbuilder.add_view(CreditProposalView(), "Credit deduction proposals", label=_l("Credit deduction proposals"),
                        category="Requests", category_label=_l("Requests and suggestions"), icon="fa-minus-circle")
    appbuilder.add_view_no_menu(ComplaintPublicView())
    services.register_worklist()
    from app.complaints import charts; charts.register()  # noqa: E702  (dashboard charts and their summary rows)
