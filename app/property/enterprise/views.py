"""企业信息备案, 企业信息详情 and 奖励和处罚 (seed 004): thin pages over
app/property/enterprise/services.py.

* ``EnterpriseFilingView`` (/enterprise/filing): the enterprise's filed information, its
  filings with their state, the filing form (new, or amending a returned filing), a
  filing's detail with its history, and terminating a returned filing.
* ``EnterpriseDetailView`` (/enterprise/): the enterprises in the user's scope; one
  enterprise's detail page, printable and as PDF. Enterprise users go to their own.
* ``EnterpriseHonorView`` (/enterprise/honors): awards and penalties, written by city and
  district staff for the enterprises of their region.
"""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as FormValidationError

from app.core import documents, masking, uploads, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface, can_view_full_pii
from app.extensions import db
from app.property.enterprise import detail as enterprise_pages
from app.property.enterprise import services
from app.property.models import EnterpriseHonor, HonorKind
from app.system import dicts
from app.system.models import Organization, OrgType

PAGE_SIZE = 20


def _show(kind):
    """A masking function for templates: full values only for users with the PII permission."""
    def show(value):
        return "" if value is None or value == "" else masking.for_viewer(kind, value)

    return show


def _value_shower():
    """Display text of a payload/profile value by key (masked where personal)."""
    full = can_view_full_pii()

    def show(key, value):
        if value is None or value == "":
            return ""
        if key == "is_local":
            return _("Local enterprise") if value else _("Non-local enterprise")
        kind = services.MASKED_KEYS.get(key) or masking.kind_of_field(key)
        if kind and not full:
            return masking.mask(kind, value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    return show


# --- 企业信息备案 -------------------------------------------------------------------------------

class EnterpriseFilingView(BaseView):
    route_base = "/enterprise/filing"
    default_view = "index"
    base_permissions = ["can_list", "can_file"]
    method_permission_name = {"index": "list", "show": "list", "file": "file", "amend": "file",
                              "terminate": "file"}

    def _enterprise(self):
        try:
            return services.enterprise_of(current_user_obj())
        except DomainError as exc:
            flash(str(exc), "danger")
            return None

    @expose("/")
    @has_access
    def index(self):
        org = self._enterprise()
        if org is None:
            return redirect(self.appbuilder.get_url_for_index)
        user = current_user_obj()
        filings = services.filings_of(org.id)
        current = services.open_filing(org.id)
        profile = services.profile_of(org.id)
        return self.render_template(
            "anju/property/enterprise_filing.html", title=_("Enterprise information filing"), org=org,
            profile=profile, profile_values=services.profile_payload(profile) if profile else None,
            filings=filings, current=current, fields=services.FIELDS, show=_value_shower(),
            user=user, can_file=self.appbuilder.sm.has_access("can_file", "EnterpriseFilingView"),
            can_open_application=self.appbuilder.sm.has_access("can_show", "ApplicationView"),
            nonlocal_keys=services.NONLOCAL_KEYS,
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        payload = item.payload or {}
        keys = services.COMMON_KEYS + (() if payload.get("is_local") else services.NONLOCAL_KEYS)
        may_amend = item.status == workflow.AppStatus.RETURNED and item.applicant_id == user.id
        return self.render_template(
            "anju/property/enterprise_filing_show.html", title=_("Enterprise information filing"), item=item,
            payload=payload, keys=keys, labels=services.FIELD_BY_KEY, is_local_label=services.IS_LOCAL_LABEL,
            show=_value_shower(), events=item.events, files=uploads.files_of(item),
            url_for_upload=uploads.url_for_upload, may_download=lambda f: uploads.can_download(f, user),
            may_amend=may_amend,
            can_file=self.appbuilder.sm.has_access("can_file", "EnterpriseFilingView"),
            can_open_application=self.appbuilder.sm.has_access("can_show", "ApplicationView"),
        )

    def _form(self, title, values, error=None, current=None, application=None, intro=None):
        return self.render_template(
            "anju/property/enterprise_filing_form.html", title=title, values=values, error=error,
            fields=services.FIELD_BY_KEY, common_keys=services.COMMON_KEYS, nonlocal_keys=services.NONLOCAL_KEYS,
            local_required=services.LOCAL_REQUIRED, nonlocal_required=services.NONLOCAL_REQUIRED,
            common_required=services.COMMON_REQUIRED, is_local_label=services.IS_LOCAL_LABEL,
            current=current, application=application, intro=intro,
        )

    @staticmethod
    def _posted():
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        files = [f for f in request.files.getlist("files") if f and f.filename]
        return values, files

    @expose("/file", methods=["GET", "POST"])
    @has_access
    def file(self):
        org = self._enterprise()
        if org is None:
            return redirect(url_for("EnterpriseFilingView.index"))
        user = current_user_obj()
        title = _("File enterprise information")
        current = services.open_filing(org.id)
        if request.method == "GET":
            if current is not None:
                flash(str(services.OpenFilingError(current)), "warning")
                return redirect(url_for("EnterpriseFilingView.index"))
            return self._form(title, services.initial_values(org))
        values, files = self._posted()
        try:
            application = services.file_enterprise(user, values, files)
        except services.OpenFilingError as exc:
            db.session.rollback()
            return self._form(title, values, error=str(exc), current=exc.application)
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, values, error=str(exc))
        flash(_("Enterprise information filing %(number)s was submitted for review.", number=application.number),
              "success")
        return redirect(url_for("EnterpriseFilingView.show", pk=application.id))

    @expose("/amend/<int:pk>", methods=["GET", "POST"])
    @has_access
    def amend(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        title = _("Change and resubmit %(number)s", number=item.number)
        intro = _("Returned because: %(reason)s", reason=item.reason or "-")
        refusal = None
        if item.applicant_id != user.id:
            refusal = _("Only the applicant may change this application.")
        elif item.status != workflow.AppStatus.RETURNED:
            refusal = _("Only a returned application can be changed.")
        if refusal:
            flash(refusal, "danger")
            return redirect(url_for("EnterpriseFilingView.show", pk=pk))
        if request.method == "GET":
            return self._form(title, services.form_values(item.payload), application=item, intro=intro)
        values, files = self._posted()
        try:
            services.amend_filing(item, user, values, files)
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, values, error=str(exc), application=item, intro=intro)
        flash(_("The application was resubmitted."), "success")
        return redirect(url_for("EnterpriseFilingView.show", pk=pk))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        try:
            services.transition_filing(item, workflow.Action.TERMINATE, user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(workflow.Action.TERMINATE)), "success")
        return redirect(url_for("EnterpriseFilingView.show", pk=pk))


# --- 企业信息详情 -------------------------------------------------------------------------------

def _filing_state(detail):
    if detail.profile is not None and detail.profile.filed_at:
        state = _("Filed on %(date)s", date=detail.profile.filed_at.strftime("%Y-%m-%d"))
    else:
        state = _("Not filed yet")
    if detail.open_filing is not None:
        state += _("; a filing is in progress (%(number)s, %(status)s)", number=detail.open_filing.number,
                   status=detail.open_filing.status_label)
    return state


def credit_section(detail):
    """信用等级, 信用分 and the red/black list entries, as the page shows them."""
    credit = detail.credit
    if credit is None:
        return documents.Text(_("No credit information."), title=_("Credit"))
    rows = [(_("Credit level"), credit.level), (_("Credit score"), credit.score)]
    entries = [enterprise_pages.credit_entry_text(e) for e in credit.entries]
    rows.append((_("Red and black lists"), "\n".join(entries) if entries else _("None"), True))
    return documents.Fields(rows, columns=4, title=_("Credit"))


def detail_document(detail):
    """企业信息详情 as a document (print view and PDF), masked like the page."""
    show = _value_shower()
    org, profile = detail.org, detail.profile
    rows = [(_("Enterprise name"), org.name), (_("Unified social credit code"), org.credit_code or ""),
            (_("Enterprise type"), detail.type_label), (_("Region"), detail.region_name),
            (_("Filing state"), _filing_state(detail), True)]
    if profile is not None:
        rows.append((services.IS_LOCAL_LABEL, show("is_local", profile.is_local)))
        keys = services.COMMON_KEYS + (() if profile.is_local else services.NONLOCAL_KEYS)
        for key in keys:
            value = getattr(profile, key)
            rows.append((services.FIELD_BY_KEY[key].label, show(key, value), key == "business_scope"))
    else:
        rows += [(_("Legal representative"), show("legal_rep", org.legal_rep)),
                 (_("Contact person"), show("contact_name", org.contact_name)),
                 (_("Contact mobile"), show("contact_mobile", org.contact_mobile))]
    sections = [documents.Fields(rows, columns=4, title=_("Basic information"))]
    sections.append(documents.Table(
        [_("Certificate type"), _("Holders"), _("Certificates"), _("Expired")],
        [[r.label, r.holders, r.count, r.extra] for r in detail.certificates]
        + [[_("Total"), detail.certificate_totals.holders, detail.certificate_totals.count,
            detail.certificate_totals.extra]], title=_("Professional staff")))
    sections.append(documents.Table([_("Post"), _("Number of staff")],
                                    [[r.label, r.count] for r in detail.posts] + [[_("Total"), detail.staff_total]],
                                    title=_("Management staff by post")))
    sections.append(documents.Table(
        [_("Equipment type"), _("Quantity"), _("Overdue for maintenance")],
        [[r.label, r.count, r.extra] for r in detail.equipment_types]
        + [[_("Total"), detail.equipment_totals.count, detail.equipment_totals.extra]],
        title=_("Equipment in the areas")))
    sections.append(documents.Table(
        [_("Category"), _("Name of the award or penalty"), _("Decided by"), _("Decision date"), _("Document number")],
        [[services.honor_kind_label(h.kind), h.title, h.issuer, h.decided_on, h.doc_number or ""]
         for h in detail.honors], title=_("Awards and penalties"), empty_text=_("No awards or penalties recorded.")))
    sections.append(documents.Table(
        [_("Property management area"), _("Administrative division"), _("Street"), _("Project lead"),
         _("Staff in service"), _("Equipment items")],
        [[a.name, a.district, a.street, a.lead, a.staff, a.equipment] for a in detail.areas],
        title=_("Projects"), empty_text=_("The enterprise serves no property management area yet.")))
    sections.append(credit_section(detail))
    return documents.Document(title=_("Enterprise details"), subtitle=org.name, sections=sections,
                              qr=org.credit_code or None)


class EnterpriseDetailView(BaseView):
    route_base = "/enterprise"
    default_view = "list"
    base_permissions = ["can_list", "can_show"]
    method_permission_name = {"list": "list", "show": "show", "print_detail": "show", "pdf": "show"}

    @expose("/")
    @has_access
    def list(self):
        user = current_user_obj()
        own = enterprise_pages.own_enterprise_id(user)
        if own is not None:
            return redirect(url_for("EnterpriseDetailView.show", org_id=own))
        q = (request.args.get("q") or "").strip()[:128]
        ent_type = request.args.get("type") or ""
        if ent_type not in dict(dicts.items("enterprise_type")):
            ent_type = ""
        level = request.args.get("level") or ""
        if level not in enterprise_pages.credit_levels():
            level = ""
        page_arg = request.args.get("page", "0")
        page = int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 0
        rows, total = enterprise_pages.enterprise_page(user, q, ent_type, page, PAGE_SIZE, level=level)
        pages = max(1, -(-total // PAGE_SIZE))
        return self.render_template(
            "anju/property/enterprise_list.html", title=_("Enterprise details"), rows=rows, total=total,
            page=page, pages=pages, q=q, ent_type=ent_type, types=dicts.items("enterprise_type"),
            level=level, levels=enterprise_pages.credit_levels(),
        )

    def _detail(self, org_id):
        user = current_user_obj()
        org = enterprise_pages.visible_enterprise(user, org_id)
        if org is None:
            abort(404)
        return enterprise_pages.enterprise_detail(user, org, show_name=_show("name"))

    @expose("/<int:org_id>")
    @has_access
    def show(self, org_id):
        detail = self._detail(org_id)
        return self.render_template(
            "anju/property/enterprise_detail.html", title=_("Enterprise details"), d=detail,
            show=_value_shower(), fields=services.FIELD_BY_KEY, common_keys=services.COMMON_KEYS,
            nonlocal_keys=services.NONLOCAL_KEYS, is_local_label=services.IS_LOCAL_LABEL,
            filing_state=_filing_state(detail), honor_kind_label=services.honor_kind_label,
            own=enterprise_pages.own_enterprise_id(current_user_obj()) == detail.org.id,
            credit_entry_text=enterprise_pages.credit_entry_text,
        )

    @expose("/<int:org_id>/print")
    @has_access
    def print_detail(self, org_id):
        return documents.print_response(detail_document(self._detail(org_id)))

    @expose("/<int:org_id>/pdf")
    @has_access
    def pdf(self, org_id):
        detail = self._detail(org_id)
        return documents.pdf_response(detail_document(detail), _("%(name)s enterprise details.pdf",
                                                                  name=detail.org.name))


# --- 奖励和处罚 -------------------------------------------------------------------------------

class _NotFuture:
    def __call__(self, form, field):
        if field.data and field.data > date.today():
            raise FormValidationError(_("cannot be later than today"))


class FilterOrgName(BaseFilter):
    """The enterprise as a text search (no dropdown of every enterprise)."""

    name = _l("Contains")
    arg_name = "org_name"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(EnterpriseHonor.org_id.in_(select(Organization.id)
                                                       .where(Organization.name.contains(value))))


def _kind_choices():
    return [(k, services.HONOR_KIND_LABELS[k]) for k in HonorKind.ALL]


class EnterpriseHonorView(AnjuModelView):
    datamodel = ScopedInterface(EnterpriseHonor)
    route_base = "/enterprise/honors"
    list_title = _l("Awards and penalties")
    show_title = _l("Award or penalty")
    add_title = _l("Add award or penalty")
    edit_title = _l("Edit award or penalty")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    label_columns = dict(services.HONOR_LABELS)
    list_columns = ["org", "kind", "title", "issuer", "decided_on", "doc_number"]
    show_columns = ["org", "kind", "title", "issuer", "decided_on", "doc_number", "description"]
    add_columns = edit_columns = ["org", "kind", "title", "issuer", "decided_on", "doc_number", "description"]
    search_columns = ["org", "kind", "title", "decided_on"]
    search_filters = {"org": [FilterOrgName], "kind": [FilterEqual]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "kind": SelectField(_l("Category"), choices=[("", _l("All"))] + _kind_choices()),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Category"), choices=_kind_choices(), validators=[DataRequired()]),
    }
    validators_columns = {"decided_on": [_NotFuture()]}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "org": [["org_type", FilterEqual, OrgType.ENTERPRISE]],
    }
    formatters_columns = {"kind": services.honor_kind_label}
    base_order = ("decided_on", "desc")

    def _check(self, item):
        try:
            services.check_honor(item, current_user_obj())
        except DomainError as exc:
            raise ValueError(str(exc))  # FAB flashes it; nothing is saved

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)


def register(appbuilder):
    appbuilder.add_view(EnterpriseFilingView(), "Enterprise information filing",
                        label=_l("Enterprise information filing"), category="Property",
                        category_label=_l("Property management"), icon="fa-id-card")
    services.register_worklist()
    appbuilder.add_view(EnterpriseDetailView(), "Enterprise details", label=_l("Enterprise details"),
                        category="Property", category_label=_l("Property management"), icon="fa-building-o")
    appbuilder.add_view(EnterpriseHonorView(), "Awards and penalties", label=_l("Awards and penalties"),
                        category="Property", category_label=_l("Property management"), icon="fa-trophy")
