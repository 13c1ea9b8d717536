"""配租登记 for the housing centre's staff (seed 002 §5–§7; SPEC §6; issue 15), thin pages over
app/allocation/registrations/services.py:

* ``AllocationRegistrationView`` (/allocation/registrations): the registrations of the plans in
  the viewer's scope (paged at 100,000 rows per plan by the base view), filters, the .xlsx
  export; a registration's page (the filing as screened, family members, 证件证明, screening
  reasons, the request for a human review, history, objections) with 审核通过 / 不通过 and the
  human review's decision; bulk 审核通过 and bulk 不通过 with one reason.
* ``AllocationObjectionView`` (/allocation/objections): objections raised during the eligibility
  publicity (资格公示), an objection's page and its 处理 (成立 / 不成立 with 处理意见).
* The home page's 待办: registrations waiting for review in plans whose registration has closed,
  human reviews waiting, objections pending.

People (applicants, family members, objectors) are masked for a viewer without the full-value
permission everywhere: lists, pages, history, export. Every rule is the services'; a refusal is
flashed in the services' Chinese words.
"""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select
from wtforms import SelectField, StringField

from app.allocation import labels
from app.allocation.filings.models import FILING_LABELS
from app.allocation.plans.models import AllocationPlan, AllocationProject, PlanStatus, PriorityGroup
from app.allocation.registrations import services
from app.allocation.registrations.models import Objection, ObjectionStatus, Registration, RegStatus
from app.core import audit, masking, returns, uploads, xlsx
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import apply_scope, current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db

GROUP = _l("Housing allocation")


def _user():
    return current_user_obj()


def _may(permission, view):
    from flask import current_app

    return bool(current_app.appbuilder.sm.has_access(permission, view))


def _label(mapping, code):
    return labels.label(mapping, code)


def _minute(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


# --- shown values ---------------------------------------------------------------------------

def plan_title(item):
    return item.plan.title if item.plan is not None else ""


def project_name(reg):
    return reg.project.name if reg.project is not None else ""


def group_name(reg):
    """摇号分组: the plan's group of that code by its name (the code when the group is gone)."""
    if not reg.group_code:
        return ""
    names = g.setdefault("alloc_group_names", {})
    key = reg.plan_id
    if key not in names:
        names[key] = {grp.code: grp.name for grp in (reg.plan.groups if reg.plan is not None else [])}
    return names[key].get(reg.group_code, reg.group_code)


def number_text(value):
    """登记编号; a registration refused by the screening has none."""
    return value or _("(no number)")


def status_text(code):
    return _label(labels.REG_STATUS_LABELS, code)


def draw_result_text(code):
    return _label(labels.DRAW_RESULT_LABELS, code) if code else ""


def objection_status_text(code):
    return _label(labels.OBJECTION_STATUS_LABELS, code)


def person_of_user(user_id):
    """A user (applicant, objector, staff) as the viewer may see them (AnjuUser masks itself)."""
    from app.security.models import AnjuUser

    if not user_id:
        return ""
    user = db.session.get(AnjuUser, user_id)
    return str(user) if user is not None else ""


def objector_text(obj):
    return person_of_user(obj.user_id)


def objection_number(obj):
    return obj.registration.number if obj.registration is not None else ""


class VirtualInterface(ScopedInterface):
    """The scoped datamodel with computed list columns (``virtual``: name -> fn(row))."""

    virtual = {}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)


class RegistrationInterface(VirtualInterface):
    virtual = {"plan_title": plan_title, "project_name": project_name, "group_name": group_name}


class ObjectionInterface(VirtualInterface):
    virtual = {"plan_title": plan_title, "reg_number": objection_number, "objector": objector_text}


# --- filters --------------------------------------------------------------------------------

class FilterKeyEqual(BaseFilter):
    """配租计划 / 意向项目 by key (the plans console links with ``_flt_0_plan_id=<id>``); a value that
    cannot be a key matches nothing."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        text = str(value or "").strip()
        column = getattr(self.model, self.column_name)
        if not text:
            return query
        if not (text.isdigit() and len(text) < 12):
            return query.filter(false())
        return query.filter(column == int(text))


class FilterRegNumber(BaseFilter):
    """登记编号: the whole number (case and spaces as typed do not matter)."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        text = str(value or "").strip().replace(" ", "").upper()
        if not text:
            return query
        return query.filter(getattr(self.model, self.column_name) == text)


class FilterStatusInReview(BaseFilter):
    """目前进度 equal to a state, in plans whose registration has closed and whose review has not
    ended (登记结束 / 审核中): the home page's 待审核."""

    name = _l("Equal to, in plans under review")
    arg_name = "in_review"

    def apply(self, query, value):
        if value not in RegStatus.ALL:
            return query.filter(false())
        plans_in_review = select(AllocationPlan.id).where(AllocationPlan.status.in_(services.REVIEWABLE_PLAN))
        return query.filter(Registration.status == value, Registration.plan_id.in_(plans_in_review))


def _plans_in_scope():
    stmt = apply_scope(select(AllocationPlan.id, AllocationPlan.title)
                       .where(AllocationPlan.status != PlanStatus.DRAFT)
                       .order_by(AllocationPlan.id.desc()).limit(300), AllocationPlan, _user())
    return [(str(i), title) for i, title in db.session.execute(stmt)]


def _projects_in_scope():
    stmt = apply_scope(select(AllocationProject.id, AllocationProject.name, AllocationPlan.title)
                       .join(AllocationPlan, AllocationPlan.id == AllocationProject.plan_id)
                       .where(AllocationPlan.status != PlanStatus.DRAFT)
                       .order_by(AllocationPlan.id.desc(), AllocationProject.sort_order, AllocationProject.id)
                       .limit(300), AllocationPlan, _user())
    return [(str(i), f"{title} · {name}") for i, name, title in db.session.execute(stmt)]


def _groups_in_scope():
    stmt = apply_scope(select(PriorityGroup.code, PriorityGroup.name)
                       .join(AllocationPlan, AllocationPlan.id == PriorityGroup.plan_id)
                       .where(AllocationPlan.status != PlanStatus.DRAFT)
                       .order_by(PriorityGroup.draw_order, PriorityGroup.code).limit(300), AllocationPlan, _user())
    names = {}
    for code, name in db.session.execute(stmt):
        names.setdefault(code, [])
        if name not in names[code]:
            names[code].append(name)
    return [(code, "、".join(shown)) for code, shown in names.items()]


def _with_all(choices):
    return lambda: [("", _l("All"))] + list(choices() if callable(choices) else choices)


def _status_choices(mapping):
    return [("", _l("All"))] + [(code, text) for code, text in mapping.items()]


def _list_url(candidate=None):
    """The registrations list the user came from (its filters and page kept), else the list."""
    for url in (candidate, request.referrer):
        page = returns.page_of(url)
        if page is not None and page[0] == "AllocationRegistrationView.list":
            return page[2]
    return url_for("AllocationRegistrationView.list")


def _ids(values):
    out = []
    for value in values:
        text = str(value or "").strip()
        if text.isdigit() and len(text) < 12:
            out.append(int(text))
    return out


# --- 配租登记 -------------------------------------------------------------------------------------

class AllocationRegistrationView(AnjuModelView):
    datamodel = RegistrationInterface(Registration)
    route_base = "/allocation/registrations"
    list_title = _l("Allocation registrations")
    show_title = _l("Allocation registration")
    xlsx_title = _l("Allocation registrations")
    show_template = "anju/allocation/registrations/show.html"
    list_template = "anju/allocation/registrations/list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_review", "can_appeal"]
    method_permission_name = {
        "review": "review", "approve_selected": "review", "reject_selected": "review", "bulk_reject": "review",
        "decide_appeal": "appeal",
    }
    label_columns = {
        "number": _l("Registration number"), "plan_title": _l("Allocation plan"), "plan_id": _l("Allocation plan"),
        "name": _l("Applicant"), "id_number": _l("ID number"), "mobile": _l("Contact mobile"),
        "family_size": _l("Family size"), "project_name": _l("Preferred project"),
        "project_id": _l("Preferred project"), "group_name": _l("Lottery group"), "group_code": _l("Lottery group"),
        "status": _l("Progress"), "registered_at": _l("Registered on"), "draw_rank": _l("Lottery rank"),
        "draw_order": _l("Selection order"), "draw_result": _l("Lottery result"),
    }
    list_columns = ["number", "plan_title", "name", "id_number", "mobile", "family_size", "project_name",
                    "group_name", "status", "registered_at", "draw_rank", "draw_order", "draw_result"]
    list_key_column = "number"
    order_columns = ["registered_at", "draw_order"]
    search_columns = ["plan_id", "status", "group_code", "project_id", "number", "id_number", "registered_at"]
    inline_search_columns = ["plan_id", "status", "group_code", "project_id", "number", "id_number", "registered_at"]
    search_filters = {
        "plan_id": [FilterKeyEqual], "project_id": [FilterKeyEqual], "status": [FilterEqual, FilterStatusInReview],
        "group_code": [FilterEqual], "number": [FilterRegNumber], "id_number": [FilterEqual],
    }
    search_form_extra_fields = {
        "plan_id": SelectField(_l("Allocation plan"), choices=_with_all(_plans_in_scope)),
        "status": SelectField(_l("Progress"), choices=_status_choices(labels.REG_STATUS_LABELS)),
        "group_code": SelectField(_l("Lottery group"), choices=_with_all(_groups_in_scope)),
        "project_id": SelectField(_l("Preferred project"), choices=_with_all(_projects_in_scope)),
        "number": StringField(_l("Registration number")),
        "id_number": StringField(_l("Applicant's ID number")),
    }
    formatters_columns = {"number": number_text, "status": status_text, "draw_result": draw_result_text}
    base_order = ("id", "desc")

    # --- export: the list's columns, people masked as on the page ---
    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns[name], mask=self.mask_columns.get(name))
                for name in self.list_columns]

    def export_query(self):
        from sqlalchemy.orm import defer

        # The filing snapshot and the screening texts are not exported: not read either.
        return super().export_query().options(defer(Registration.snapshot), defer(Registration.reasons),
                                              defer(Registration.appeal_text))

    def export_value(self, row, column):
        fn = self.datamodel.virtual.get(column.key)
        if fn is not None:
            return fn(row)
        if column.key in ("status", "draw_result"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        if column.key == "number":
            return row.number or ""
        return super().export_value(row, column)

    # --- a registration's page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        if masking.viewer_sees_full():
            audit.record(AuditAction.VIEW_PII, "Registration", item.id,
                         summary=_("Full values of: %(columns)s",
                                   columns="、".join(str(x) for x in (_("Applicant"), _("ID number"), _("Contact mobile"),
                                                                      _("Family members")))),
                         commit=True)
        filing_rows, members = snapshot_rows(item.snapshot or {})
        files = []
        if item.filing is not None:
            from app.allocation.filings.services import DOCUMENT_LABEL

            files = uploads.files_of(item.filing, DOCUMENT_LABEL)
        objections = db.session.execute(apply_scope(
            select(Objection).where(Objection.registration_id == item.id).order_by(Objection.id), Objection,
            _user())).scalars().all()
        return self.render_template(
            self.show_template, title=self.show_title, item=item, number=number_text(item.number),
            applicant=masking.for_viewer("name", item.name), id_number=masking.for_viewer("id_number", item.id_number),
            mobile=masking.for_viewer("mobile", item.mobile), status=status_text(item.status),
            plan_status=item.plan.status_label, group=group_name(item), project=project_name(item),
            draw_result=draw_result_text(item.draw_result), filing_rows=filing_rows, members=members, files=files,
            history=history_rows(item), objections=objections, objection_status=objection_status_text,
            objector=objector_text, reviewer=person_of_user(item.reviewed_by_fk), minute=_minute,
            may_review=item.status == RegStatus.PENDING and self._permitted(self, "can_review"),
            may_appeal=item.status == RegStatus.APPEALED and self._permitted(self, "can_appeal"),
            may_see_objections=_may("can_show", "AllocationObjectionView"),
        )

    def _back(self, pk):
        return redirect(url_for("AllocationRegistrationView.show", pk=pk))

    # --- 审核通过 / 不通过, one registration ---
    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    def review(self, pk):
        item = self._item_or_404(pk)
        approve = request.form.get("decision") == "approve"
        if request.form.get("decision") not in ("approve", "reject"):
            flash(_("Choose whether the review passes."), "danger")
            return self._back(pk)
        try:
            services.review(_user(), [item.id], approve, request.form.get("reason", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._back(pk)
        if approve:
            flash(_("Registration %(number)s passed the review.", number=item.number), "success")
        else:
            flash(_("Registration %(number)s did not pass the review.", number=item.number), "success")
        return self._back(pk)

    # --- bulk: 审核通过 with a confirmation naming the count; 不通过 with one reason ---
    @action("approve", _l("Review passed"), _l("Pass the review of the selected registrations?"), "fa-check",
            multiple=True, single=False)
    def approve_selected(self, items):
        items = items if isinstance(items, list) else [items]
        try:
            services.review(_user(), [i.id for i in items], True)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("%(n)s registrations passed the review.", n=len(items)), "success")
        return redirect(_list_url())

    @action("reject", _l("Review not passed"), None, "fa-times", multiple=True, single=False)
    def reject_selected(self, items):
        """不通过 for the selection: a page naming them, asking for the one reason."""
        items = items if isinstance(items, list) else [items]
        return self._reject_form(items)

    def _reject_form(self, items, error=None, reason="", status=200):
        rows = [{"id": i.id, "number": number_text(i.number), "name": masking.for_viewer("name", i.name),
                 "plan": plan_title(i), "status": status_text(i.status)} for i in items]
        body = self.render_template(
            "anju/allocation/registrations/bulk_reject.html", title=_("Review not passed"), rows=rows,
            error=error, reason=reason, back=_list_url(request.form.get("next")))
        return body, status

    @expose("/bulk-reject", methods=["POST"])
    @has_access
    def bulk_reject(self):
        ids = _ids(request.form.getlist("rowid"))
        items = [self.datamodel.get(pk, self._base_filters) for pk in ids]
        if not items or any(item is None for item in items):
            flash(_("Some of the selected records do not exist or are outside your scope; nothing was done."),
                  "danger")
            return redirect(_list_url(request.form.get("next")))
        reason = request.form.get("reason", "")
        try:
            services.review(_user(), ids, False, reason)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            items = [self.datamodel.get(pk, self._base_filters) for pk in ids]
            return self._reject_form([i for i in items if i is not None], error=str(exc), reason=reason, status=422)
        flash(_("%(n)s registrations did not pass the review.", n=len(ids)), "success")
        return redirect(_list_url(request.form.get("next")))

    # --- 人工复核: admit (a 登记编号, then reviewed as any other) or uphold the refusal ---
    @expose("/appeal/<int:pk>", methods=["POST"])
    @has_access
    def decide_appeal(self, pk):
        item = self._item_or_404(pk)
        decision = request.form.get("decision")
        if decision not in ("admit", "uphold"):
            flash(_("Choose whether to admit the registration or uphold the refusal."), "danger")
            return self._back(pk)
        try:
            services.decide_appeal(_user(), item.id, decision == "admit", request.form.get("reason", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._back(pk)
        if decision == "admit":
            flash(_("Human review decided: the registration is admitted with number %(number)s.",
                    number=item.number), "success")
        else:
            flash(_("Human review decided: the refusal is upheld."), "success")
        return self._back(pk)


def birth_text(value):
    """A date of birth: in full for a viewer who may see full values, else the year only (an ID
    number is never shown with its birth date, SPEC §2)."""
    text = str(value or "")
    if not text or masking.viewer_sees_full():
        return text
    return text[:4] + "-**-**"


def snapshot_rows(snapshot):
    """The filing as screened: [(label, shown value)] for every field, and the family members,
    each person's name, ID number, mobile and date of birth as the viewer may see them."""
    from app.accounts.models import ID_TYPE_LABELS
    from app.system.models import region_full_name

    values = {
        "id_type": lambda v: _label(ID_TYPE_LABELS, v),
        "marital_status": lambda v: _label(labels.MARITAL_LABELS, v),
        "hukou_type": lambda v: _label(labels.HUKOU_LABELS, v),
        "housing_status": lambda v: _label(labels.HOUSING_LABELS, v),
        "hukou_district": region_full_name,
        "name": lambda v: masking.for_viewer("name", v),
        "id_number": lambda v: masking.for_viewer("id_number", v),
        "mobile": lambda v: masking.for_viewer("mobile", v),
        "birth_date": birth_text,
    }
    order = ("name", "id_type", "id_number", "birth_date", "mobile", "address", "marital_status", "hukou_type",
             "hukou_district", "employer", "social_security_months", "annual_income", "housing_status",
             "owned_area", "current_residence")
    keys = [k for k in order if k in snapshot] + [k for k in snapshot if k not in order and k != "members"]
    rows = []
    for key in keys:
        value = snapshot.get(key)
        shown = "" if value in (None, "") else (values[key](value) if key in values else value)
        rows.append((str(FILING_LABELS.get(key, key)), shown))
    members = []
    for m in snapshot.get("members") or []:
        members.append({
            "name": masking.for_viewer("name", m.get("name")) or "",
            "id_type": _label(ID_TYPE_LABELS, m.get("id_type")),
            "id_number": masking.for_viewer("id_number", m.get("id_number")) or "",
            "relation": _label(labels.RELATION_LABELS, m.get("relation")),
            "birth_date": birth_text(m.get("birth_date")), "employer": m.get("employer") or "",
            "annual_income": m.get("annual_income") or "",
        })
    return rows, members


def history_rows(reg):
    """目前进度's history: (time, what, progress after it, who, reason), oldest first; the
    applicant named as the viewer may see them."""
    rows = []
    for event in reg.events:
        who = person_of_user(event.actor_id) if event.actor_id else _("the system")
        rows.append((_minute(event.at), _label(labels.REG_ACTION_LABELS, event.action),
                     status_text(event.status), who, event.reason or ""))
    return rows


# --- 资格异议 -------------------------------------------------------------------------------------

class AllocationObjectionView(AnjuModelView):
    datamodel = ObjectionInterface(Objection)
    route_base = "/allocation/objections"
    list_title = _l("Eligibility objections")
    show_title = _l("Eligibility objection")
    show_template = "anju/allocation/registrations/objection.html"
    base_permissions = ["can_list", "can_show", "can_decide"]
    method_permission_name = {"decide": "decide"}
    label_columns = {
        "plan_title": _l("Allocation plan"), "plan_id": _l("Allocation plan"), "reg_number": _l("Registration number"),
        "text": _l("Objection"), "status": _l("Objection state"), "created_on": _l("Raised at"),
        "objector": _l("Objector"),
    }
    list_columns = ["plan_title", "reg_number", "text", "status", "created_on", "objector"]
    list_key_column = "reg_number"
    order_columns = ["created_on"]
    search_columns = ["plan_id", "status", "created_on"]
    search_filters = {"plan_id": [FilterKeyEqual], "status": [FilterEqual]}
    search_form_extra_fields = {
        "plan_id": SelectField(_l("Allocation plan"), choices=_with_all(_plans_in_scope)),
        "status": SelectField(_l("Objection state"), choices=_status_choices(labels.OBJECTION_STATUS_LABELS)),
    }
    formatters_columns = {"status": objection_status_text}
    base_order = ("id", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        reg = item.registration
        reg_url = None
        if reg is not None and _may("can_show", "AllocationRegistrationView"):
            reg_url = url_for("AllocationRegistrationView.show", pk=reg.id)
        return self.render_template(
            self.show_template, title=self.show_title, item=item, plan=plan_title(item),
            number=objection_number(item), reg_url=reg_url,
            applicant=masking.for_viewer("name", reg.name) if reg is not None else "",
            reg_status=status_text(reg.status) if reg is not None else "",
            status=objection_status_text(item.status), objector=objector_text(item),
            decided_by=person_of_user(item.decided_by_fk), minute=_minute,
            may_decide=item.status == ObjectionStatus.PENDING and self._permitted(self, "can_decide"),
        )

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._item_or_404(pk)
        decision = request.form.get("decision")
        if decision not in ("upheld", "dismissed"):
            flash(_("Choose whether the objection is upheld."), "danger")
            return redirect(url_for("AllocationObjectionView.show", pk=pk))
        try:
            services.decide_objection(_user(), item.id, decision == "upheld", request.form.get("reason", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Objection decided: %(result)s.", result=objection_status_text(item.status)), "success")
        return redirect(url_for("AllocationObjectionView.show", pk=pk))


# --- the home page's 待办 ------------------------------------------------------------------------

def _count(stmt, model, user):
    from app.core import worklist

    return worklist.capped_count(apply_scope(stmt, model, user))


def _in_plans(status, plan_states):
    """Registrations in ``status`` of plans in ``plan_states``, as a join from the few plans (an
    IN over a subquery makes SQLite walk every registration)."""
    return (select(Registration.id).join(AllocationPlan, AllocationPlan.id == Registration.plan_id)
            .where(AllocationPlan.status.in_(plan_states), Registration.status == status))


def review_todos(user):
    """登记待审核: pending registrations of plans whose registration has closed (登记结束 / 审核中)."""
    from app.core import worklist

    n, capped = _count(_in_plans(RegStatus.PENDING, services.REVIEWABLE_PLAN), Registration, user)
    return [worklist.Todo("allocation.review", _l("Registrations pending review"), n, level="warning", group=GROUP,
                          capped=capped, url=worklist.list_url("AllocationRegistrationView",
                                                               ("status", "in_review", RegStatus.PENDING)))]


def appeal_todos(user):
    """人工复核待处理: applicants refused by the screening who asked for a person to decide."""
    from app.core import worklist

    # A human review waits only in a plan where it can be decided (the publicity starts when
    # none waits): said so, the count is served by the (plan_id, status, id) index.
    n, capped = _count(_in_plans(RegStatus.APPEALED, services.APPEAL_PLAN), Registration, user)
    return [worklist.Todo("allocation.appeals", _l("Human reviews pending"), n, level="warning", group=GROUP,
                          capped=capped, url=worklist.list_url("AllocationRegistrationView",
                                                               ("status", "eq", RegStatus.APPEALED)))]


def objection_todos(user):
    """资格异议待处理."""
    from app.core import worklist

    n, capped = _count(select(Objection.id).where(Objection.status == ObjectionStatus.PENDING), Objection, user)
    return [worklist.Todo("allocation.objections", _l("Eligibility objections pending"), n, level="warning",
                          group=GROUP, capped=capped,
                          url=worklist.list_url("AllocationObjectionView", ("status", "eq", ObjectionStatus.PENDING)))]


def register(appbuilder):
    from app.allocation import menu
    from app.core import views as core_views
    from app.core import worklist

    menu(appbuilder, AllocationRegistrationView(), "Allocation registrations", _l("Allocation registrations"),
         "fa-list-alt")
    menu(appbuilder, AllocationObjectionView(), "Eligibility objections", _l("Eligibility objections"),
         "fa-commenting-o")
    # The plan, project and group choices of the search forms are cached per process like the
    # base view's dropdowns: a write to these tables drops the cache.
    core_views._OPTIONS_MODELS.update({AllocationPlan, AllocationProject, PriorityGroup})
    worklist.register_todo("allocation.review", review_todos, ("can_review", "AllocationRegistrationView"), order=50)
    worklist.register_todo("allocation.appeals", appeal_todos, ("can_appeal", "AllocationRegistrationView"), order=51)
    worklist.register_todo("allocation.objections", objection_todos, ("can_decide", "AllocationObjectionView"),
                           order=52)
