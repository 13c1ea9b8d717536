"""物业管理区域: the list (scoped), the audited correction by government staff (an area is
created or changed by its filing, app/property/areas/filing.py; a correction needs a 更正原因,
kept in the audit log), 更换项目负责人, and the area's 码上办 QR code that opens the public
complaint form (seed 003 §9)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core import audit, documents
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.property.areas import services
from app.property.models import LeadAssignment, PropertyArea, Staff
from app.system import dicts
from app.system.models import OrgType


def with_link(message, fix, link_id="area-lead-fix"):
    """A message that stops the user, with the link to the page that fixes it (escaped)."""
    if not fix:
        return message
    url, text = fix
    return Markup('{} <a class="alert-link anju-fix-link" id="{}" href="{}">{}</a>').format(
        message, link_id, url, text)


class PropertyAreaView(AnjuModelView):
    datamodel = ScopedInterface(PropertyArea)
    route_base = "/areas"
    list_title = _l("Property management areas")
    show_title = _l("Property management area")
    edit_title = _l("Correct property management area")
    # No "+": areas come from 物业区域备案. Government staff may correct one, giving the reason.
    base_permissions = ["can_list", "can_show", "can_edit", "can_delete", "can_export", "can_qr",
                        "can_change_lead"]
    method_permission_name = {"qr": "qr", "lead": "change_lead"}
    show_template = "anju/property/area_show.html"
    label_columns = {
        "name": _l("Property management area name"), "district": _l("Administrative division"),
        "street": _l("Street"), "community": _l("Community"), "address": _l("Address"),
        "company": _l("Property service company"), "project_lead": _l("Project lead account"),
        "lead_staff": _l("Project lead"),
        "changed_on": _l("Changed on"), "property_type": _l("Property type"),
        "correction_reason": _l("Reason for the correction"),
    }
    list_columns = ["name", "district", "street", "community", "company", "lead_staff", "changed_on"]
    show_columns = ["name", "district", "street", "community", "address", "company", "lead_staff", "project_lead",
                    "changed_on"]
    # The project lead changes only through 更换项目负责人 (one action, with history).
    edit_columns = ["name", "district", "street", "community", "property_type", "address", "company",
                    "correction_reason"]
    edit_form_extra_fields = {
        "property_type": SelectField(_l("Property type"),
                                     choices=lambda: [("", _l("Please choose"))] + dicts.items("property_type"),
                                     validate_choice=False),   # checked in pre_update (kept when not sent)
        "correction_reason": TextAreaField(_l("Reason for the correction"),
                                           validators=[DataRequired(), Length(max=400)],
                                           description=_l("Required: kept in the audit log with the change.")),
    }
    search_columns = ["name", "district", "street", "company"]
    _region_level = {"district": "district", "street": "street", "community": "community"}
    edit_form_query_rel_fields = search_form_query_rel_fields = {
        "district": [["level", FilterEqual, "district"]],
        "street": [["level", FilterEqual, "street"]],
        "community": [["level", FilterEqual, "community"]],
        "company": [["org_type", FilterEqual, OrgType.ENTERPRISE]],
    }
    formatters_columns = {"lead_staff": lambda s: services.masking_name(s.name) if s is not None else "-"}
    base_order = ("id", "desc")

    def _check(self, item):
        try:
            services.check_area(item)
        except DomainError as exc:
            raise ValueError(str(exc))  # FAB shows it and keeps the form

    def pre_update(self, item):
        self._check(item)
        reason = (request.form.get("correction_reason") or "").strip()[:400]
        if not reason:
            raise ValueError(_("%(field)s: %(message)s", field=_("Reason for the correction"), message=_("is required")))
        if item.property_type and item.property_type not in dict(dicts.items("property_type")):
            raise ValueError(_("%(field)s: %(message)s", field=_("Property type"),
                               message=_("please choose from the list")))
        item.property_type = item.property_type or None
        if "property_type" not in request.form:         # not on the form sent: unchanged
            from sqlalchemy import inspect as sa_inspect

            kept = sa_inspect(item).attrs.property_type.history.deleted
            if kept:
                item.property_type = kept[0]
        audit.record(AuditAction.UPDATE, "PropertyArea", item.id,
                     summary=_("Correction of %(area)s: %(reason)s", area=item.name, reason=reason))
        from sqlalchemy import inspect as sa_inspect

        # The form sets the relationship; the id column follows at flush.
        history = sa_inspect(item).attrs.company.history
        old = history.deleted[0] if history.deleted else None
        if old is not None and old is not item.company and item.lead_staff_id is not None:
            # Another company now serves the area: its old lead cannot stay on.
            services.change_lead(item, None, current_user_obj(), note=_("The property service company changed."))

    def _lead_fix(self, item):
        """The page that ends an area's dead end (no lead; a lead without an account; a lead who
        never signed in), as (url, text), when the viewer may use it; else None."""
        sm = self.appbuilder.sm
        staff = item.lead_staff
        if staff is None:
            if sm.has_access("can_change_lead", self.class_permission_name):
                return url_for("PropertyAreaView.lead", pk=item.id), _("Set the project lead")
            return None
        if staff.user_id is None:
            if sm.has_access("can_add", "StaffAccountView"):
                return (url_for("StaffAccountView.add", staff_id=staff.id, role="project_lead"),
                        _("Open the project lead's account"))
            return None
        if sm.has_access("can_show", "StaffView"):
            return url_for("StaffView.show", pk=staff.id), _("See the project lead")
        return None

    def _lead_problem(self, item):
        """Why the area cannot take requests or print its QR code, with the link to the fix."""
        from app.complaints import services as complaint_services

        problem = complaint_services.qr_problem(item)
        if not problem:
            return None
        if item.lead_staff is not None and item.lead_staff.user_id is None:
            problem = _("%(name)s, the project lead of %(area)s, has no login account yet: requests of this area "
                        "cannot be taken online and its QR code cannot be printed.",
                        name=services.masking_name(item.lead_staff.name), area=item.name)
        return with_link(problem, self._lead_fix(item))

    def _lead_context(self, item):
        from app.core import masking

        history = db.session.execute(
            select(LeadAssignment).where(LeadAssignment.area_id == item.id)
            .order_by(LeadAssignment.started_at.desc(), LeadAssignment.id.desc())).scalars().all()
        return {
            "history": history,
            "show_name": lambda v: masking.for_viewer("name", v),
            "show_mobile": lambda v: masking.for_viewer("mobile", v),
        }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        sm = self.appbuilder.sm
        widgets = self._get_show_widget(pk, item)
        return self.render_template(
            self.show_template, pk=pk, item=item, title=self.show_title, widgets=widgets,
            related_views=self._related_views,
            can_qr=sm.has_access("can_qr", self.class_permission_name),
            can_change_lead=sm.has_access("can_change_lead", self.class_permission_name),
            lead_problem=self._lead_problem(item), **self._lead_context(item))

    @expose("/lead/<int:pk>", methods=["GET", "POST"])
    @has_access
    def lead(self, pk):
        """更换项目负责人 (seed 003 §10): one action that ends the current assignment and starts
        the new one."""
        item = self._item_or_404(pk)
        actor = current_user_obj()
        error, chosen, note = None, request.form.get("staff_id", ""), request.form.get("note", "").strip()
        if request.method == "POST":
            staff = None
            if chosen.isdigit():
                staff = db.session.get(Staff, int(chosen))
            try:
                if staff is None or staff.org_id != item.company_org_id:
                    raise DomainError(_("Please choose the new project lead from the list."))
                previous = item.lead_staff.name if item.lead_staff else None
                services.change_lead(item, staff, actor, note=note[:200] or None)
                audit.record(AuditAction.UPDATE, "PropertyArea", item.id,
                             summary=_("Project lead changed from %(old)s to %(new)s",
                                       old=previous or "-", new=staff.name))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
                item = self._item_or_404(pk)
            else:
                flash(_("The project lead of %(area)s is now %(name)s.", area=item.name,
                        name=services.masking_name(staff.name)), "success")
                if staff.user_id is None:
                    flash(with_link(
                        _("%(name)s has no login account yet: requests of this area cannot be taken online "
                          "until an account is opened under Open staff account and activated.",
                          name=services.masking_name(staff.name)), self._lead_fix(item)), "warning")
                return redirect(url_for("PropertyAreaView.show", pk=pk))
        return self.render_template("anju/property/area_lead.html", item=item, error=error, chosen=chosen,
                                    note=note, candidates=services.lead_candidates(item),
                                    can_add_staff=self.appbuilder.sm.has_access("can_add", "StaffView"),
                                    can_edit_area=self.appbuilder.sm.has_access("can_edit", self.class_permission_name),
                                    **self._lead_context(item))

    @expose("/qr/<int:pk>")
    @has_access
    def qr(self, pk):
        from app.complaints import services as complaint_services

        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if complaint_services.qr_problem(item):
            flash(self._lead_problem(item), "warning")
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


class LeadAssignmentView(AnjuModelView):
    """项目负责人变更记录: every assignment, in scope (read-only; changes go through the area)."""

    datamodel = ScopedInterface(LeadAssignment)
    route_base = "/leadchanges"
    list_title = _l("Project lead changes")
    show_title = _l("Project lead assignment")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {"area": _l("Property management area"), "staff": _l("Project lead"),
                     "started_at": _l("Started at"), "ended_at": _l("Ended at"), "note": _l("Note"),
                     "started_by": _l("Set by"), "ended_by": _l("Ended by")}
    list_columns = ["area", "staff", "started_at", "ended_at", "note"]
    show_columns = ["area", "staff", "started_at", "started_by", "ended_at", "ended_by", "note"]
    search_columns = ["started_at", "ended_at"]
    formatters_columns = {"staff": lambda s: services.masking_name(s.name) if s is not None else "-",
                          "ended_at": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else _("Current")}
    base_order = ("id", "desc")

    def export_value(self, row, column):
        if column.key == "staff":
            return services.masking_name(row.staff.name)
        return super().export_value(row, column)


def register(appbuilder):
    from app.property import menu
    from app.property.areas import filing
    from app.property.areas.filing_views import AreaFilingView
    from app.property.areas.public_views import AreaPublicView
    from app.property.areas.query_views import AreaQueryView

    menu(appbuilder, AreaFilingView(), "Area filing", _l("Property area filing"), "fa-map-marker")
    menu(appbuilder, AreaQueryView(), "Area comprehensive query", _l("Property management area comprehensive query"),
         "fa-search", category="Comprehensive query")
    appbuilder.add_view_no_menu(AreaPublicView())
    filing.register_worklist()
    appbuilder.add_view(PropertyAreaView(), "Property management areas", label=_l("Property management areas"),
                        category="Property", category_label=_l("Property management"), icon="fa-building")
    appbuilder.add_view(LeadAssignmentView(), "Project lead changes", label=_l("Project lead changes"),
                        category="Property", icon="fa-exchange")
    services.register_worklist()
