"""配租计划 in the staff console (SPEC §6; issue 15 "Staff console"): the list, a plan's page
with its state bar, registration counts, projects and unit types with their photos, the
announcement's attachments, eligibility rules and priority groups, and the plan's life —
发布, 撤回, 开始资格公示, 冻结摇号名单, 摇号 (a page of its own), 发布结果.

Thin: every check lives in app/allocation/plans/services.py (terms of a draft),
registrations/services.py (publicity) and lottery/services.py (freeze, draw, results); a
refusal is the service's Chinese message, flashed or shown on the form, and nothing changes.
Every URL finds the plan within the viewer's scope first (404 otherwise), then the project,
unit type, rule, group or file inside that plan (404 otherwise).
"""
import re

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterContains, FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import SelectField, StringField

from app.allocation import labels
from app.allocation.plans import rules as rules_engine
from app.allocation.plans import services
from app.allocation.plans.models import AllocationPlan, AllocationProject, PlanStatus, UnitType
from app.core import xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db

VIEW = "AllocationPlanView"
DRAW_PAGE_STATES = (PlanStatus.FROZEN, PlanStatus.DRAWN, PlanStatus.RESULTS, PlanStatus.FINISHED)

STATE_STYLE = {
    PlanStatus.DRAFT: "default", PlanStatus.PUBLISHED: "info", PlanStatus.OPEN: "success",
    PlanStatus.CLOSED: "warning", PlanStatus.REVIEW: "warning", PlanStatus.PUBLICITY: "primary",
    PlanStatus.FROZEN: "primary", PlanStatus.DRAWN: "danger", PlanStatus.RESULTS: "danger",
    PlanStatus.FINISHED: "default",
}

PLAN_FIELDS = ("code", "title", "region_code", "announcement", "reg_start", "reg_end", "contact_phone",
               "contact_hours", "contact_address")
PROJECT_FIELDS = ("name", "district_code", "address", "intro", "traffic", "sort_order")
UNIT_FIELDS = ("name", "layout", "area", "rent", "count", "rent_list", "description", "sort_order")
GROUP_FIELDS = ("code", "name", "draw_order")
CHOICE_LABELS = {"hukou_type": labels.HUKOU_LABELS, "housing_status": labels.HOUSING_LABELS,
                 "marital_status": labels.MARITAL_LABELS}


def _user():
    return current_user_obj()


def status_label(code):
    return labels.label(labels.PLAN_STATUS_LABELS, code)


def status_cell(code):
    return Markup('<span class="label label-{}">{}</span>').format(STATE_STYLE.get(code, "default"),
                                                                  status_label(code))


def moment_text(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def input_moment(value):
    """A datetime as a datetime-local box holds it."""
    return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else (value or "")


def money(value):
    return "" if value is None else f"{value:,.2f}"


def registrations_url(plan, status=None):
    """The registrations list filtered to the plan (and a 目前进度): the filters the
    registrations view declares, plan_id and status equality."""
    url = f"/allocation/registrations/list/?_flt_0_plan_id={plan.id}"
    return url + (f"&_flt_0_status={status}" if status else "")


# --- the list's computed columns: one grouped query per page, counts cached by the service -----

def _plan_figures():
    """{plan id: (projects, homes)} of every plan, once per request (a few hundred plans)."""
    figures = request.environ.get("anju.alloc_plan_figures")
    if figures is None:
        projects = dict(db.session.execute(select(AllocationProject.plan_id, func.count(AllocationProject.id))
                                           .group_by(AllocationProject.plan_id)).all())
        homes = dict(db.session.execute(
            select(AllocationProject.plan_id, func.coalesce(func.sum(UnitType.count), 0))
            .join(UnitType, UnitType.project_id == AllocationProject.id)
            .group_by(AllocationProject.plan_id)).all())
        figures = {pid: (projects.get(pid, 0), homes.get(pid, 0)) for pid in set(projects) | set(homes)}
        request.environ["anju.alloc_plan_figures"] = figures
    return figures


def project_count(plan):
    return _plan_figures().get(plan.id, (0, 0))[0]


def home_count(plan):
    return int(_plan_figures().get(plan.id, (0, 0))[1] or 0)


def registered_count(plan):
    if plan.status == PlanStatus.DRAFT:
        return 0
    return services.registered_counts(plan.id).get("plan", 0)


class PlanInterface(ScopedInterface):
    virtual = {"project_count": project_count, "home_count": home_count, "registered_count": registered_count}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)


def _status_choices():
    return [("", _l("All"))] + list(labels.PLAN_STATUS_LABELS.items())


# --- the view --------------------------------------------------------------------------------------

class AllocationPlanView(AnjuModelView):
    datamodel = PlanInterface(AllocationPlan)
    route_base = "/allocation/plans"
    list_title = _l("Allocation plans")
    show_title = _l("Allocation plan")
    add_title = _l("New allocation plan")
    edit_title = _l("Edit allocation plan")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_publish",
                        "can_withdraw", "can_publicity", "can_freeze", "can_draw", "can_results", "can_rules",
                        "can_projects"]
    method_permission_name = {
        "project_form": "projects", "project_delete": "projects", "unit_form": "projects",
        "unit_delete": "projects", "files_add": "projects", "file_delete": "projects",
        "rule_add": "rules", "rule_delete": "rules", "rule_move": "rules", "group_save": "rules",
        "group_delete": "rules", "publish": "publish", "withdraw": "withdraw", "publicity": "publicity",
        "freeze": "freeze", "draw": "draw", "results": "results",
    }
    label_columns = {
        "code": _l("Plan number"), "title": _l("Plan name"), "status": _l("Plan state"),
        "reg_start": _l("Registration starts"), "reg_end": _l("Registration ends"),
        "project_count": _l("Number of projects"), "home_count": _l("Number of homes"),
        "registered_count": _l("Registered applicants"), "region_code": _l("Region"),
        "commitment": _l("Commitment C"),
    }
    list_columns = ["code", "title", "status", "reg_start", "reg_end", "project_count", "home_count",
                    "registered_count"]
    list_key_column = "code"
    show_columns = list_columns
    search_columns = ["status", "reg_start", "title"]
    inline_search_columns = ["status", "reg_start", "title"]
    search_filters = {"status": [FilterEqual], "title": [FilterContains]}
    search_form_extra_fields = {
        "status": SelectField(_l("Plan state"), choices=_status_choices),
        "title": StringField(_l("Plan name")),
    }
    formatters_columns = {"status": status_cell}
    order_columns = ["code", "reg_start", "reg_end"]
    base_order = ("id", "desc")

    # --- export: the list as shown, with the public commitment (never the secret) ---
    EXPORT_COLUMNS = ["code", "title", "status", "region_code", "reg_start", "reg_end", "project_count",
                      "home_count", "registered_count", "commitment"]

    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns[name]) for name in self.EXPORT_COLUMNS]

    def export_value(self, row, column):
        key = column.key
        if key in self.datamodel.virtual:
            return self.datamodel.virtual[key](row)
        if key == "status":
            return status_label(row.status)
        if key == "region_code":
            from app.system.models import region_full_name

            return region_full_name(row.region_code)
        if key in ("reg_start", "reg_end"):
            return moment_text(getattr(row, key))
        if key == "commitment":
            return row.commitment or ""
        return super().export_value(row, column)

    # --- helpers -----------------------------------------------------------------------------
    def _plan(self, pk):
        return self._item_or_404(pk)

    def _may(self, permission):
        return self._permitted(self, permission)

    def _back(self, plan, anchor=""):
        return redirect(url_for(f"{VIEW}.show", pk=plan.id) + (f"#{anchor}" if anchor else ""))

    def _run(self, plan, call, done, anchor=""):
        """Call a service; commit and flash ``done`` on success, roll back and flash the refusal."""
        try:
            call()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(done, "success")
        return self._back(plan, anchor)

    # --- a plan's page -------------------------------------------------------------------------
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        from app.allocation.lottery import services as lottery
        from app.allocation.registrations import services as registrations
        from app.allocation.registrations.models import RegStatus

        plan = self._plan(pk)
        editable = services.editable(plan)
        counts = registrations.counts_by_status(plan)
        reg_rows = [(code, labels.label(labels.REG_STATUS_LABELS, code), counts.get(code, 0),
                     registrations_url(plan, code)) for code in RegStatus.ALL]
        rules = [r for r in plan.rules if r.group_id is None]
        record = lottery.draw_of(plan)
        return self.render_template(
            "anju/allocation/plans/show.html", title=self.show_title, plan=plan, editable=editable,
            bar=self._state_bar(plan), status_label=status_label, status_cell=status_cell,
            region=_region_name(plan.region_code), district_name=_region_name, moment=moment_text, money=money,
            reg_rows=reg_rows, reg_total=sum(counts.values()), registrations_url=registrations_url(plan),
            files=services.plan_files(plan), rules=rules, groups=services.groups_of(plan),
            describe=rules_engine.describe, homes=services.homes_of(plan),
            registered=registered_count(plan), pools=lottery.pools_of(plan), record=record,
            actions=self._actions(plan), rule_form=self._rule_form(plan),
            file_labels=services.FILE_LABELS,
            may_edit=self._may("can_edit") and editable, may_delete=self._may("can_delete") and editable,
            may_projects=self._may("can_projects") and editable, may_rules=self._may("can_rules") and editable,
            lottery_zip=f"/allocation/plan/{plan.id}/lottery.zip", selected=_selected_by_group(record),
            draw_page=self._may("can_draw") and plan.status in DRAW_PAGE_STATES,
        )

    @staticmethod
    def _state_bar(plan):
        order = list(PlanStatus.ALL)
        at = order.index(plan.status) if plan.status in order else -1
        bar = []
        for i, code in enumerate(order):
            text = _("Plan published") if code == PlanStatus.PUBLISHED else status_label(code)
            bar.append({"code": code, "n": i + 1, "label": text,
                        "state": "done" if i < at else "current" if i == at else "todo"})
        return bar

    def _actions(self, plan):
        """The lifecycle buttons for the plan's state and the viewer's permissions; whether the
        step may happen now is the service's to say when the button is pressed."""
        name = plan.title
        publicity = ("publicity", _("Start the eligibility publicity"), "primary", _(
            "Start the eligibility publicity of 「%(name)s」? The numbers that passed the review are "
            "published for objections.", name=name))
        candidates = {
            PlanStatus.DRAFT: ("publish", _("Publish the plan"), "primary", _(
                "Publish the allocation plan 「%(name)s」? Its commitment C is published with it and its "
                "terms can no longer be changed.", name=name)),
            PlanStatus.PUBLISHED: ("withdraw", _("Withdraw the plan"), "warning", _(
                "Withdraw the allocation plan 「%(name)s」 to a draft? Its commitment C is dropped and a new "
                "one drawn when it is published again.", name=name)),
            PlanStatus.CLOSED: publicity,
            PlanStatus.REVIEW: publicity,
            PlanStatus.PUBLICITY: ("freeze", _("Freeze the lottery list"), "primary", _(
                "Freeze the lottery list of 「%(name)s」? The pools and their SHA-256 are published and can "
                "no longer change.", name=name)),
            PlanStatus.FROZEN: ("draw", _("Start the draw"), "danger", None),
            PlanStatus.DRAWN: ("results", _("Publish the results"), "primary", _(
                "Publish the lottery results of 「%(name)s」? Every drawn applicant is sent a text message.",
                name=name)),
        }
        found = candidates.get(plan.status)
        if found is None or not self._may(f"can_{found[0]}"):
            return []
        key, label, style, confirm = found
        return [{"key": key, "label": label, "style": style, "confirm": confirm,
                 "url": url_for(f"{VIEW}.{key}", pk=plan.id), "method": "get" if key == "draw" else "post"}]

    def _rule_form(self, plan):
        """What the rule and condition forms offer: the fields with their kinds, the conditions
        each kind allows, the options of choice fields and the districts of the city."""
        fields = [{"key": f.key, "label": str(f.label), "kind": f.kind} for f in rules_engine.FIELDS.values()]
        ops = [{"key": k, "label": str(v), "number": k in rules_engine.NUMBER_OPS,
                "choice": k in rules_engine.CHOICE_OPS} for k, v in rules_engine.OPS.items()]
        options = {key: [(code, str(text)) for code, text in mapping.items()] for key, mapping in CHOICE_LABELS.items()}
        return {"fields": fields, "ops": ops, "options": options, "districts": services.city_district_choices(plan)}

    # --- add and edit the plan itself ----------------------------------------------------------
    def _plan_form(self, title, values, plan=None, error=None):
        return self.render_template(
            "anju/allocation/plans/form.html", title=title, values=values, plan=plan, error=error,
            regions=services.region_choices(_user()))

    @staticmethod
    def _posted(names):
        return {k: request.form.get(k, "") for k in names}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        title = _("New allocation plan")
        if request.method == "GET":
            choices = services.region_choices(_user())
            return self._plan_form(title, {"region_code": choices[0][0] if choices else ""})
        data = self._posted(PLAN_FIELDS)
        try:
            plan = services.save_plan(_user(), None, data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._plan_form(title, data, error=str(exc))
        flash(_("Saved: %(name)s", name=plan.title), "success")
        return self._back(plan)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        plan = self._plan(pk)
        title = _("Edit allocation plan")
        if not services.editable(plan):
            try:
                services.check_editable(plan)
            except DomainError as exc:
                flash(str(exc), "danger")
            return self._back(plan)
        if request.method == "GET":
            values = {k: getattr(plan, k) or "" for k in PLAN_FIELDS}
            values["reg_start"], values["reg_end"] = input_moment(plan.reg_start), input_moment(plan.reg_end)
            return self._plan_form(title, values, plan=plan)
        data = self._posted(PLAN_FIELDS)
        try:
            services.save_plan(_user(), plan, data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._plan_form(title, data, plan=self._plan(pk), error=str(exc))
        flash(_("Saved: %(name)s", name=plan.title), "success")
        return self._back(plan)

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """删除 a draft plan with its projects, unit types, photos and conditions (a POST from
        its form; a GET changes nothing)."""
        if request.method == "GET":
            flash(_("This operation must be submitted from its form."), "danger")
            return redirect(url_for(f"{VIEW}.list"))
        plan = self._plan(pk)
        title = plan.title
        try:
            services.delete_plan(plan)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._back(plan)
        flash(_("Deleted: %(name)s", name=title), "success")
        return redirect(url_for(f"{VIEW}.list"))

    # --- projects and unit types --------------------------------------------------------------
    @staticmethod
    def _project_of(plan, project_id):
        project = next((p for p in plan.projects if p.id == project_id), None)
        if project is None:
            abort(404)
        return project

    @staticmethod
    def _unit_of(plan, unit_id):
        unit = next((u for p in plan.projects for u in p.unit_types if u.id == unit_id), None)
        if unit is None:
            abort(404)
        return unit

    def _refused_unless_editable(self, plan):
        if services.editable(plan):
            return None
        try:
            services.check_editable(plan)
        except DomainError as exc:
            flash(str(exc), "danger")
        return self._back(plan)

    @expose("/<int:pk>/projects/add", methods=["GET", "POST"])
    @expose("/<int:pk>/projects/<int:project_id>/edit", methods=["GET", "POST"])
    @has_access
    def project_form(self, pk, project_id=None):
        plan = self._plan(pk)
        project = self._project_of(plan, project_id) if project_id is not None else None
        refused = self._refused_unless_editable(plan)
        if refused is not None:
            return refused
        title = _("Edit project") if project is not None else _("Add a project")
        if request.method == "GET":
            values = {k: getattr(project, k) if getattr(project, k) is not None else "" for k in PROJECT_FIELDS} \
                if project is not None else {}
            return self._project_page(title, plan, project, values)
        data = self._posted(PROJECT_FIELDS)
        try:
            saved = services.save_project(_user(), plan, project, data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            plan = self._plan(pk)
            project = self._project_of(plan, project_id) if project_id is not None else None
            return self._project_page(title, plan, project, data, error=str(exc))
        flash(_("Saved: %(name)s", name=saved.name), "success")
        return self._back(plan, f"project-{saved.id}")

    def _project_page(self, title, plan, project, values, error=None):
        return self.render_template(
            "anju/allocation/plans/project_form.html", title=title, plan=plan, project=project, values=values,
            error=error, districts=services.district_choices(plan))

    @expose("/<int:pk>/projects/<int:project_id>/delete", methods=["POST"])
    @has_access
    def project_delete(self, pk, project_id):
        plan = self._plan(pk)
        project = self._project_of(plan, project_id)
        name = project.name
        return self._run(plan, lambda: services.delete_project(plan, project),
                         _("Deleted: %(name)s", name=name), "projects")

    @expose("/<int:pk>/projects/<int:project_id>/units/add", methods=["GET", "POST"])
    @expose("/<int:pk>/units/<int:unit_id>/edit", methods=["GET", "POST"])
    @has_access
    def unit_form(self, pk, project_id=None, unit_id=None):
        plan = self._plan(pk)
        unit = self._unit_of(plan, unit_id) if unit_id is not None else None
        project = unit.project if unit is not None else self._project_of(plan, project_id)
        refused = self._refused_unless_editable(plan)
        if refused is not None:
            return refused
        title = _("Edit unit type") if unit is not None else _("Add a unit type")
        if request.method == "GET":
            values = {}
            if unit is not None:
                values = {k: getattr(unit, k) if getattr(unit, k) is not None else "" for k in UNIT_FIELDS}
                values["rent_list"] = services.rent_list_text(unit.rent_list)
            return self._unit_page(title, plan, project, unit, values)
        data = self._posted(UNIT_FIELDS)
        try:
            saved = services.save_unit(_user(), plan, project, unit, data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            plan = self._plan(pk)
            unit = self._unit_of(plan, unit_id) if unit_id is not None else None
            project = unit.project if unit is not None else self._project_of(plan, project_id)
            return self._unit_page(title, plan, project, unit, data, error=str(exc))
        flash(_("Saved: %(name)s", name=f"{project.name} {saved.name}"), "success")
        return self._back(plan, f"project-{project.id}")

    def _unit_page(self, title, plan, project, unit, values, error=None):
        return self.render_template(
            "anju/allocation/plans/unit_form.html", title=title, plan=plan, project=project, unit=unit,
            values=values, error=error)

    @expose("/<int:pk>/units/<int:unit_id>/delete", methods=["POST"])
    @has_access
    def unit_delete(self, pk, unit_id):
        plan = self._plan(pk)
        unit = self._unit_of(plan, unit_id)
        name, project_id = f"{unit.project.name} {unit.name}", unit.project_id
        return self._run(plan, lambda: services.delete_unit(plan, unit),
                         _("Deleted: %(name)s", name=name), f"project-{project_id}")

    # --- photos and attachments -----------------------------------------------------------------
    @expose("/<int:pk>/files", methods=["POST"])
    @has_access
    def files_add(self, pk):
        plan = self._plan(pk)
        kind = request.form.get("owner_kind", "")
        owner = services.file_owner(plan, kind, request.form.get("owner_id"))
        if owner is None:
            abort(404)
        anchor = "attachments" if kind == "plan" else f"project-{owner.id if kind == 'project' else owner.project_id}"
        files = request.files.getlist("files")
        label = request.form.get("label", "")
        return self._run(plan, lambda: services.add_files(_user(), plan, owner, label, files),
                         _("%(n)s files uploaded.", n=len([f for f in files if f.filename])), anchor)

    @expose("/<int:pk>/files/<int:upload_id>/delete", methods=["POST"])
    @has_access
    def file_delete(self, pk, upload_id):
        plan = self._plan(pk)
        if not services.editable(plan):
            return self._refused_unless_editable(plan)
        if not services.remove_file(plan, upload_id):
            abort(404)
        db.session.commit()
        flash(_("The file was deleted."), "success")
        anchor = request.form.get("anchor", "")
        return self._back(plan, anchor if re.fullmatch(r"[a-z]+(-\d+)?", anchor) else "")

    # --- eligibility rules and priority groups ---------------------------------------------------
    @staticmethod
    def _rule_of(plan, rule_id):
        rule = next((r for r in plan.rules if r.id == rule_id), None)
        if rule is None:
            abort(404)
        return rule

    @staticmethod
    def _group_of(plan, group_id):
        group = next((gr for gr in plan.groups if gr.id == group_id), None)
        if group is None:
            abort(404)
        return group

    @staticmethod
    def _rule_value(field):
        """The value as the form sent it: a number box, or the options ticked for a choice or
        district field (value_<field>)."""
        spec = rules_engine.FIELDS.get(field)
        if spec is None or spec.kind == "number":
            return request.form.get("value", "")
        chosen = request.form.getlist(f"value_{field}")
        return chosen if chosen else request.form.get("value", "")

    @expose("/<int:pk>/rules/add", methods=["POST"])
    @has_access
    def rule_add(self, pk):
        plan = self._plan(pk)
        group_id = request.form.get("group_id", "")
        group = None
        if group_id:
            try:
                group = self._group_of(plan, int(group_id))
            except ValueError:
                abort(404)
        field, op = request.form.get("field", ""), request.form.get("op", "")
        anchor = f"group-{group.id}" if group is not None else "rules"
        return self._run(plan, lambda: services.add_rule(plan, field, op, self._rule_value(field),
                                                         request.form.get("reason", ""), group=group),
                         _("The condition was added."), anchor)

    @expose("/<int:pk>/rules/<int:rule_id>/delete", methods=["POST"])
    @has_access
    def rule_delete(self, pk, rule_id):
        plan = self._plan(pk)
        rule = self._rule_of(plan, rule_id)
        anchor = f"group-{rule.group_id}" if rule.group_id else "rules"
        return self._run(plan, lambda: services.delete_rule(plan, rule), _("The condition was deleted."), anchor)

    @expose("/<int:pk>/rules/<int:rule_id>/move", methods=["POST"])
    @has_access
    def rule_move(self, pk, rule_id):
        plan = self._plan(pk)
        rule = self._rule_of(plan, rule_id)
        step = -1 if request.form.get("direction") == "up" else 1
        anchor = f"group-{rule.group_id}" if rule.group_id else "rules"
        return self._run(plan, lambda: services.move_rule(plan, rule, step), _("The order was changed."), anchor)

    @expose("/<int:pk>/groups/add", methods=["POST"])
    @expose("/<int:pk>/groups/<int:group_id>/edit", methods=["POST"])
    @has_access
    def group_save(self, pk, group_id=None):
        plan = self._plan(pk)
        group = self._group_of(plan, group_id) if group_id is not None else None
        data = self._posted(GROUP_FIELDS)
        return self._run(plan, lambda: services.save_group(plan, group, data),
                         _("Saved: %(name)s", name=(data.get("name") or "").strip()), "groups")

    @expose("/<int:pk>/groups/<int:group_id>/delete", methods=["POST"])
    @has_access
    def group_delete(self, pk, group_id):
        plan = self._plan(pk)
        group = self._group_of(plan, group_id)
        name = group.name
        return self._run(plan, lambda: services.delete_group(plan, group), _("Deleted: %(name)s", name=name),
                         "groups")

    # --- the plan's life ------------------------------------------------------------------------
    @expose("/<int:pk>/publish", methods=["POST"])
    @has_access
    def publish(self, pk):
        plan = self._plan(pk)
        return self._run(plan, lambda: services.publish(_user(), plan),
                         _("The allocation plan %(name)s was published.", name=plan.title))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        plan = self._plan(pk)
        return self._run(plan, lambda: services.withdraw(_user(), plan),
                         _("The allocation plan %(name)s is a draft again.", name=plan.title))

    @expose("/<int:pk>/publicity", methods=["POST"])
    @has_access
    def publicity(self, pk):
        from app.allocation.registrations import services as registrations

        plan = self._plan(pk)
        return self._run(plan, lambda: registrations.start_publicity(_user(), plan),
                         _("The eligibility publicity of %(name)s has started.", name=plan.title))

    @expose("/<int:pk>/freeze", methods=["POST"])
    @has_access
    def freeze(self, pk):
        from app.allocation.lottery import services as lottery

        plan = self._plan(pk)
        return self._run(plan, lambda: lottery.freeze(_user(), plan),
                         _("The lottery list of %(name)s is frozen.", name=plan.title), "lottery")

    @expose("/<int:pk>/results", methods=["POST"])
    @has_access
    def results(self, pk):
        from app.allocation.lottery import services as lottery

        plan = self._plan(pk)
        return self._run(plan, lambda: lottery.publish_results(_user(), plan),
                         _("The lottery results of %(name)s are published.", name=plan.title), "lottery")

    @expose("/<int:pk>/draw", methods=["GET", "POST"])
    @has_access
    def draw(self, pk):
        """摇号: the commitment, the frozen pools with their SHA-256 and the homes offered; the
        public digits E and the witnesses; after the draw S, E, the seeds and the results."""
        from app.allocation.lottery import services as lottery

        plan = self._plan(pk)
        error = None
        entropy = request.form.get("entropy", "") if request.method == "POST" else ""
        witnesses = request.form.get("witnesses", "") if request.method == "POST" else ""
        if request.method == "POST":
            try:
                lottery.draw(_user(), plan, entropy, witnesses)     # commits
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
                plan = self._plan(pk)
            else:
                flash(_("The allocation plan %(name)s has been drawn.", name=plan.title), "success")
                return redirect(url_for(f"{VIEW}.draw", pk=plan.id))
        record = lottery.draw_of(plan)
        return self.render_template(
            "anju/allocation/plans/draw.html", title=_("Lottery draw"), plan=plan, record=record,
            pools=lottery.pools_of(plan), homes=services.homes_of(plan), status_cell=status_cell,
            moment=moment_text, error=error, entropy=entropy, witnesses=witnesses,
            may_draw=record is None and plan.status == PlanStatus.FROZEN,
            lottery_zip=f"/allocation/plan/{plan.id}/lottery.zip")


def _selected_by_group(record):
    """{group code: homes selected} from a draw's summary."""
    if record is None or not record.summary:
        return {}
    return {s.get("group"): s.get("selected", 0) for s in record.summary.get("groups", [])}


def _region_name(code):
    from app.system.models import region_full_name

    return region_full_name(code) if code else ""


def register(appbuilder):
    from app.allocation import menu

    menu(appbuilder, AllocationPlanView(), "Allocation plans", _l("Allocation plans"), "fa-list-alt")
