"""物业管理区域: the list (scoped), add and edit for government staff, and the area's
码上办 QR code that opens the public complaint form (seed 003 §9)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import documents
from app.core.errors import DomainError
from app.core.views import AnjuModelView, ScopedInterface
from app.property import services
from app.property.models import PropertyArea
from app.system.models import OrgType


class _ProjectLeadFilter(BaseFilter):
    """Related-field filter: only accounts holding the project-lead role."""

    name = "project_leads"

    def apply(self, query, value):
        from app.security.models import AnjuUser

        return query.filter(AnjuUser.roles.any(name="project_lead"))


class PropertyAreaView(AnjuModelView):
    datamodel = ScopedInterface(PropertyArea)
    route_base = "/areas"
    list_title = _l("Property management areas")
    show_title = _l("Property management area")
    add_title = _l("Add property management area")
    edit_title = _l("Edit property management area")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_qr"]
    method_permission_name = {"qr": "qr"}
    label_columns = {
        "name": _l("Property management area name"), "district": _l("Administrative division"),
        "street": _l("Street"), "community": _l("Community"), "address": _l("Address"),
        "company": _l("Property service company"), "project_lead": _l("Project lead"),
        "changed_on": _l("Changed on"),
    }
    list_columns = ["name", "district", "street", "community", "company", "project_lead", "changed_on"]
    show_columns = ["name", "district", "street", "community", "address", "company", "project_lead", "changed_on"]
    add_columns = edit_columns = ["name", "district", "street", "community", "address", "company", "project_lead"]
    search_columns = ["name", "district", "street", "company", "project_lead"]
    _region_level = {"district": "district", "street": "street", "community": "community"}
    add_form_query_rel_fields = edit_form_query_rel_fields = search_form_query_rel_fields = {
        "district": [["level", FilterEqual, "district"]],
        "street": [["level", FilterEqual, "street"]],
        "community": [["level", FilterEqual, "community"]],
        "company": [["org_type", FilterEqual, OrgType.ENTERPRISE]],
        "project_lead": [["id", _ProjectLeadFilter, None]],
    }
    base_order = ("id", "desc")

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)

    def _check(self, item):
        try:
            services.check_area(item)
        except DomainError as exc:
            raise ValueError(str(exc))  # FAB shows it and keeps the form

    def post_add_redirect(self):
        return redirect(url_for("PropertyAreaView.list"))

    @expose("/qr/<int:pk>")
    @has_access
    def qr(self, pk):
        from app.complaints import services as complaint_services

        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        problem = complaint_services.qr_problem(item)
        if problem:
            flash(problem, "warning")
            return redirect(url_for("PropertyAreaView.show", pk=pk))
        link = url_for("ComplaintPublicView.new", area=item.public_code, _external=True)
        doc = documents.Document(
            title=_("Scan-to-submit code for requests and suggestions"), subtitle=item.name,
            sections=[
                documents.Fields([(_("Property management area"), item.name),
                                  (_("Administrative division"), item.district.name if item.district else ""),
                                  (_("Street"), item.street.name if item.street else ""),
                                  (_("Property service company"), item.company.name if item.company else ""),
                                  (_("Link"), link, True)], columns=4),
                documents.Text(_("Scan the code to submit a request or suggestion to the project lead of this "
                                 "area; you are told by SMS at each step.")),
            ],
            qr=link, page_numbers=False,
        )
        if request.args.get("format") == "pdf":
            return documents.pdf_response(doc, _("%(area)s scan-to-submit code.pdf", area=item.name))
        return documents.print_response(doc)


def register(appbuilder):
    appbuilder.add_view(PropertyAreaView(), "Property management areas", label=_l("Property management areas"),
                        category="Property", category_label=_l("Property management"), icon="fa-building")
