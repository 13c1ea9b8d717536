"""物业服务 console pages (menu "Property services" 物业服务), thin over the services:

* ``RepairView`` (/repairs): the repairs of the company's areas (a project lead: the areas they
  lead; government: its region), with 指派 / 处理 / 完成 / 关闭 / 拒绝 on the detail page.
* ``SurveyView`` (/surveys): 满意度调查 by government: create (draft), 发布, 结束, results by area
  and by company.
* ``EvaluationView`` (/evaluations): 检查考评 by district and street staff; the company reads its
  own, read-only.

The public pages (报修, 报修查询 and 评价, the survey answer page) are in ``public.py``.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import masking, uploads
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.property import menu
from app.property.service import evaluations, repairs, surveys
from app.property.service.models import Evaluation, Repair, Survey


def _choices(labels):
    return [("", _l("All"))] + list(labels.items())


def _short(value, size=20):
    text = value or ""
    return text if len(text) <= size else text[:size] + "…"


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


# --- 报修 -----------------------------------------------------------------------------------

class RepairView(AnjuModelView):
    datamodel = ScopedInterface(Repair)
    route_base = "/repairs"
    list_title = _l("Repairs")
    show_title = _l("Repair details")
    show_template = "anju/property/service/repair_show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_act"]
    method_permission_name = {"act": "act"}
    label_columns = {
        "number": _l("Repair number"), "area": _l("Property management area"), "org": _l("Property service company"),
        "location": _l("Repair location"), "equipment": _l("Equipment"), "name": _l("Reporter"),
        "mobile": _l("Mobile"), "content": _l("Repair content"), "status": _l("Status"),
        "submitted_at": _l("Reported at"), "assignee": _l("Assigned to"), "completed_at": _l("Completed at"),
        "satisfaction": _l("Satisfaction"),
    }
    list_columns = ["number", "area", "location", "content", "name", "mobile", "status", "submitted_at",
                    "satisfaction"]
    show_columns = ["number", "area", "org", "location", "equipment", "name", "mobile", "content", "status",
                    "submitted_at", "completed_at", "satisfaction"]
    search_columns = ["number", "status", "submitted_at"]
    search_filters = {"status": [FilterEqual]}
    search_form_extra_fields = {"status": SelectField(_l("Status"), choices=_choices(repairs.STATUS_LABELS))}
    mask_columns = {"name": "name", "mobile": "mobile"}
    formatters_columns = {"status": repairs.status_label, "content": _short}
    base_order = ("submitted_at", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        self._get_show_widget(pk, item)      # audits a full view of personal data
        user = current_user_obj()
        can_act = self.appbuilder.sm.has_access("can_act", self.class_permission_name)
        actions = repairs.allowed_actions(item, user) if can_act else []
        staff = repairs.assignable_staff(item) if repairs.Action.ASSIGN in actions else []
        return self.render_template(
            self.show_template, item=item, title=self.show_title, actions=actions, staff=staff,
            action_label=repairs.action_label, status_label=repairs.status_label, note_labels=repairs.NOTE_LABELS,
            show=lambda kind, value: masking.for_viewer(kind, value) or "", time=_time,
            files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
        )

    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        try:
            repairs.act(item, action, current_user_obj(), request.form.get("note"), request.form.get("staff"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=repairs.action_label(action)), "success")
        return redirect(url_for("RepairView.show", pk=pk))


# --- 满意度调查 ------------------------------------------------------------------------------

class SurveyView(AnjuModelView):
    datamodel = ScopedInterface(Survey)
    route_base = "/surveys"
    list_title = _l("Satisfaction surveys")
    show_title = _l("Satisfaction survey")
    show_template = "anju/property/service/survey_show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_add", "can_act"]
    method_permission_name = {"act": "act"}
    label_columns = {"title": _l("Survey title"), "start_date": _l("Start date"), "end_date": _l("End date"),
                     "status": _l("Status"), "org": _l("Organised by"), "created_at": _l("Created at")}
    list_columns = ["title", "start_date", "end_date", "status", "org", "created_at"]
    show_columns = list_columns
    search_columns = ["title", "status", "start_date"]
    search_filters = {"status": [FilterEqual]}
    search_form_extra_fields = {"status": SelectField(_l("Status"), choices=_choices(surveys.STATUS_LABELS))}
    formatters_columns = {"status": surveys.status_label}
    base_order = ("created_at", "desc")

    def _form(self, values, error=None):
        user = current_user_obj()
        return self.render_template("anju/property/service/survey_form.html", title=_("New satisfaction survey"),
                                    values=values, error=error, areas=surveys.area_choices(user),
                                    chosen={str(x) for x in values.get("areas", [])},
                                    items=surveys.item_labels())

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "GET":
            return self._form({"areas": request.args.getlist("area")})
        values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "areas")}
        values["areas"] = request.form.getlist("areas")
        try:
            survey = surveys.create_survey(current_user_obj(), values, values["areas"])
        except DomainError as exc:
            db.session.rollback()
            return self._form(values, error=str(exc))
        flash(_("The survey was saved as a draft; publish it to open it to owners."), "success")
        return redirect(url_for("SurveyView.show", pk=survey.id))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        can_act = self.appbuilder.sm.has_access("can_act", self.class_permission_name)
        return self.render_template(
            self.show_template, item=item, title=self.show_title, results=surveys.results(item),
            items=surveys.item_labels(), status_label=surveys.status_label,
            may_manage=can_act and surveys.may_manage(item, user),
            answer_url=url_for("SurveyPublicView.answer", pk=item.id, _external=True),
        )

    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        user = current_user_obj()
        try:
            if action == "publish":
                surveys.publish(item, user)
                message = _("The survey was published.")
            elif action == "close":
                records = surveys.close(item, user)
                message = _("The survey was ended; %(n)s credit records were proposed.", n=len(records))
            elif action == "delete":
                surveys.delete_draft(item, user)
                flash(_("The draft survey was deleted."), "success")
                return redirect(url_for("SurveyView.list"))
            else:
                abort(400)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(message, "success")
        return redirect(url_for("SurveyView.show", pk=pk))


# --- 检查考评 --------------------------------------------------------------------------------

class EvaluationView(AnjuModelView):
    datamodel = ScopedInterface(Evaluation)
    route_base = "/evaluations"
    list_title = _l("Inspections and evaluations")
    show_title = _l("Inspection evaluation")
    show_template = "anju/property/service/evaluation_show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_add"]
    label_columns = {"number": _l("Evaluation number"), "area": _l("Property management area"),
                     "org": _l("Property service company"), "checked_on": _l("Inspection date"),
                     "total": _l("Total score"), "max_total": _l("Full score"), "submitted_at": _l("Submitted at"),
                     "requirements": _l("Rectification requirements")}
    list_columns = ["number", "area", "org", "checked_on", "total", "max_total", "submitted_at"]
    show_columns = list_columns + ["requirements"]
    search_columns = ["number", "checked_on"]
    base_order = ("submitted_at", "desc")

    def _form(self, values, error=None):
        user = current_user_obj()
        return self.render_template("anju/property/service/evaluation_form.html", title=_("New inspection evaluation"),
                                    values=values, error=error, areas=evaluations.area_choices(user),
                                    checklist=evaluations.checklist(), full=evaluations.full_score())

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "GET":
            return self._form({"area": request.args.get("area", "")})
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        files = [f for f in request.files.getlist("photos") if f and f.filename]
        try:
            evaluation = evaluations.submit(current_user_obj(), values, files)
        except DomainError as exc:
            db.session.rollback()
            return self._form(values, error=str(exc))
        flash(_("Inspection evaluation %(number)s was submitted; total %(total)s.", number=evaluation.number,
                total=evaluation.total), "success")
        return redirect(url_for("EvaluationView.show", pk=evaluation.id))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        return self.render_template(self.show_template, item=item, title=self.show_title,
                                    files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
                                    inspector=masking.for_viewer("name", item.inspector.first_name
                                                                 if item.inspector else None) or "")


def register(appbuilder):
    from app.property.public import register_section
    from app.property.service import jobs  # noqa: F401  (registers the scheduled job)
    from app.property.service import public

    repairs.register_templates()
    uploads.register_owner("repair", Repair, ("can_show", "RepairView"))
    uploads.register_owner("evaluation", Evaluation, ("can_show", "EvaluationView"))
    register_section("surveys", public.survey_section, order=70)
    menu(appbuilder, RepairView(), "Repairs", _l("Repairs"), "fa-wrench", category="Property services")
    menu(appbuilder, SurveyView(), "Satisfaction surveys", _l("Satisfaction surveys"), "fa-smile-o",
         category="Property services")
    menu(appbuilder, EvaluationView(), "Inspections and evaluations", _l("Inspections and evaluations"),
         "fa-check-square-o", category="Property services")
    appbuilder.add_view_no_menu(public.RepairPublicView())
    appbuilder.add_view_no_menu(public.SurveyPublicView())

