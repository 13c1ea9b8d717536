"""红黑名单 and 信用修复 screens (seed 001 红黑名单): thin pages over app/credit/services.py.

* ``CreditListView`` (/credit/lists): the red and black list entries in the user's scope (an
  enterprise sees its own, and only once decided); an entry's detail with its basis, history,
  objection and repair applications and the decisions the user may take; the proposal form
  (gov_admin); the enterprise's objection during publicity.
* ``CreditRepairView`` (/credit/repairs): 信用修复 applications; the enterprise applies for a
  black-list entry in effect, a reviewer approves (the entry ends) or refuses with a reason.
* ``register_worklist``: 待办 on the home page (reviewers: proposals and repairs waiting;
  the enterprise: its entries in publicity, which it may object to).
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField

from app.core import uploads
from app.core.errors import DomainError
from app.core.scope import apply_scope, current_user_obj
from app.core.views import AnjuModelView, ScopedInterface, display
from app.credit import services
from app.credit.models import (
    CreditListEntry,
    CreditObjection,
    CreditRecord,
    CreditRepair,
    CreditRule,
    DecisionStatus,
    ListStatus,
    ListType,
    Operation,
)
from app.credit.views import menu
from app.extensions import db
from app.system.models import Organization, OrgType
from app.system.params import get_param

# How many enterprises the proposal form offers at once (a search narrows them).
ENTERPRISE_CHOICES = 50
FORM_TEMPLATE = "anju/accounts/form.html"

LIST_ORIGIN_LABELS = {Operation.MANUAL: _l("Manual proposal"), Operation.SYSTEM: _l("System proposal")}


class FilterVisibleToEnterprise(BaseFilter):
    """A base filter computed per request: an enterprise user sees its records and entries
    only once they are decided and public (services.enterprise_visibility); everyone else
    is limited by the scope alone. Applied to list, show, export, actions and the API."""

    name = _l("Visible to the enterprise")
    arg_name = "ent_visible"

    def apply(self, query, value):
        clause = services.enterprise_visibility(self.model, current_user_obj())
        return query if clause is None else query.filter(clause)


class FilterOrgName(BaseFilter):
    """The enterprise as a text search (no dropdown of every enterprise); named ``ct`` like
    FAB's own contains, so the inline search offers it as a text box."""

    name = _l("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        names = select(Organization.id).where(Organization.name.contains(value, autoescape=True))
        return query.filter(self.model.org_id.in_(names))


def _choices(labels):
    return [("", _l("All"))] + list(labels.items())


def _short(value, n=20):
    text = value or ""
    return text if len(text) <= n else text[:n] + "…"


def _day(value):
    return value.strftime("%Y-%m-%d") if value is not None else ""


def _label(mapping):
    return lambda value: services.label_of(mapping, value)


def _form(view, title, fields, values=None, error=None, intro=None, submit=None, links=None, form_id="anju-form"):
    """A page of one declared form (the console's shared form template)."""
    return view.render_template(FORM_TEMPLATE, title=title, fields=fields, values=values or {},
                                submit=submit or _("Submit"), intro=intro, error=error, links=links or [],
                                form_id=form_id, layout=None, public=False)


def _field(name, label, kind="text", required=True, options=None, help=None, **extra):
    return {"name": name, "label": label, "kind": kind, "required": required, "options": options or [],
            "help": help, **extra}


def _files():
    return [f for f in request.files.getlist("files") if f and f.filename]


def _may_act_as(view, action):
    """The page permission a decision needs: 注销 is the administrators', the rest the reviewers'."""
    needed = "can_cancel" if action == "cancel" else "can_decide"
    return view.appbuilder.sm.has_access(needed, view.class_permission_name)


def _own_enterprise(user, entry):
    return services.is_enterprise_user(user) and getattr(user, "org_id", None) == entry.org_id


# --- 红黑名单 ------------------------------------------------------------------------------------

class CreditListView(AnjuModelView):
    datamodel = ScopedInterface(CreditListEntry)
    route_base = "/credit/lists"
    list_title = _l("Red and black lists")
    show_title = _l("Red or black list entry")
    list_template = "anju/credit/list_list.html"
    show_template = "anju/credit/list_show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_propose", "can_decide", "can_cancel",
                        "can_object"]
    method_permission_name = {"act": "show", "object_form": "object", "propose": "propose"}
    base_filters = [["status", FilterVisibleToEnterprise, None]]
    label_columns = {
        "number": _l("Entry number"), "org": _l("Enterprise"), "list_type": _l("List type"),
        "reason": _l("Reason for listing"), "status": _l("Status"), "origin": _l("Source"),
        "publicity_from": _l("Publicity from"), "publicity_until": _l("Publicity until"),
        "valid_from": _l("Valid from"), "valid_until": _l("Valid until"), "valid_months": _l("Validity (months)"),
        "basis": _l("Basis for listing"), "submitted_at": _l("Proposed at"), "decided_at": _l("Decided at"),
        "applicant_name": _l("Proposer"), "end_reason": _l("Reason"), "ended_at": _l("Ended at"),
    }
    list_columns = ["number", "org", "list_type", "reason", "status", "origin", "publicity_until", "valid_from",
                    "valid_until"]
    show_columns = ["number", "org", "list_type", "status", "origin", "reason", "basis", "valid_months",
                    "publicity_from", "publicity_until", "valid_from", "valid_until", "applicant_name",
                    "submitted_at", "decided_at", "end_reason", "ended_at"]
    search_columns = ["number", "org", "list_type", "status", "valid_until", "origin", "submitted_at"]
    inline_search_columns = ["number", "org", "list_type", "status", "valid_until"]
    search_filters = {"org": [FilterOrgName], "list_type": [FilterEqual], "status": [FilterEqual],
                      "origin": [FilterEqual]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "list_type": SelectField(_l("List type"), choices=_choices(services.LIST_TYPE_LABELS)),
        "status": SelectField(_l("Status"), choices=_choices(services.LIST_STATUS_LABELS)),
        "origin": SelectField(_l("Source"), choices=_choices(LIST_ORIGIN_LABELS)),
    }
    formatters_columns = {
        "list_type": _label(services.LIST_TYPE_LABELS),
        "status": _label(services.LIST_STATUS_LABELS),
        "origin": _label(LIST_ORIGIN_LABELS),
        "reason": _short,
        "valid_from": _day,
        "valid_until": _day,
    }
    base_order = ("submitted_at", "desc")

    def export_value(self, row, column):
        """The export carries the whole reason (the list shows it shortened)."""
        if column.key == "reason":
            return row.reason
        return super().export_value(row, column)

    # --- detail ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        self._get_show_widget(pk, item)      # audits a full view of personal data
        sm = self.appbuilder.sm
        objection = db.session.execute(
            select(CreditObjection).where(CreditObjection.subject_type == "list", CreditObjection.subject_id == item.id)
            .order_by(CreditObjection.id.desc()).limit(1)).scalars().first()
        repairs = db.session.execute(select(CreditRepair).where(CreditRepair.entry_id == item.id)
                                     .order_by(CreditRepair.id.desc())).scalars().all()
        actions = [a for a in services.allowed_actions(item, user) if _may_act_as(self, a)]
        may_object = (item.status == ListStatus.PUBLICITY and objection is None and _own_enterprise(user, item)
                      and sm.has_access("can_object", self.class_permission_name))
        repair_shown = (item.list_type == ListType.BLACK and _own_enterprise(user, item)
                        and sm.has_access("can_apply", "CreditRepairView"))
        repair_refusal = services.repair_refusal(item, user) if repair_shown else None
        return self.render_template(
            self.show_template, item=item, title=self.show_title, events=services.events_of("list", item.id),
            records=self._records_of(item), objection=objection,
            objection_files=uploads.files_of(objection) if objection is not None else [],
            repairs=repairs, actions=actions,
            need_reason={a for a in actions if services.LIST_TRANSITIONS[a][3]},
            may_object=may_object, repair_shown=repair_shown, repair_refusal=repair_refusal,
            can_open_records=sm.has_access("can_show", "CreditRecordView"),
            can_open_objection=sm.has_access("can_show", "CreditObjectionView"),
            can_open_repairs=sm.has_access("can_show", "CreditRepairView"),
            can_open_rule=sm.has_access("can_show", "CreditRuleView"),
            list_type_label=_label(services.LIST_TYPE_LABELS), status_label=_label(services.LIST_STATUS_LABELS),
            origin_label=_label(LIST_ORIGIN_LABELS), record_status_label=_label(services.RECORD_STATUS_LABELS),
            score_type_label=_label(services.SCORE_TYPE_LABELS),
            objection_status_label=_label(services.OBJECTION_STATUS_LABELS),
            repair_status_label=_label(services.REPAIR_STATUS_LABELS), action_label=services.action_label,
            url_for_upload=uploads.url_for_upload, fmt=display, day=_day,
        )

    @staticmethod
    def _records_of(item):
        """The credit records the entry rests on, as far as the viewer may see them."""
        ids = [i for i in (item.record_ids or []) if isinstance(i, int)]
        if not ids:
            return []
        stmt = apply_scope(select(CreditRecord).where(CreditRecord.id.in_(ids)), CreditRecord)
        visible = services.enterprise_visibility(CreditRecord, current_user_obj())
        if visible is not None:
            stmt = stmt.where(visible)
        return db.session.execute(stmt.order_by(CreditRecord.id)).scalars().all()

    # --- decisions: approve, reject, uphold, withdraw (reviewers), cancel (注销, administrators) ---
    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        action = request.form.get("action", "")
        if action in services.LIST_USER_ACTIONS and not _may_act_as(self, action):
            abort(403)
        item = self._item_or_404(pk)
        try:
            services.act(item, action, current_user_obj(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=services.action_label(action)), "success")
        return redirect(url_for("CreditListView.show", pk=pk))

    # --- 异议 by the enterprise during publicity ---
    @expose("/object/<int:pk>", methods=["GET", "POST"])
    @has_access
    def object_form(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        title = _("Object to %(number)s", number=item.number)
        fields = [
            _field("entry", _("Red or black list entry"), "static",
                   text=f"{item.number} {services.label_of(services.LIST_TYPE_LABELS, item.list_type)} "
                        f"{item.org.name if item.org else ''}"),
            _field("reason", _("Reasons for the objection"), "textarea"),
            _field("files", _("Objection materials"), "file", required=False,
                   help=_("PDF, JPG, PNG, DOCX or XLSX, at most 5 files.")),
        ]
        intro = _("The publicity ends on %(until)s; an objection is accepted until then, once.",
                  until=display(item.publicity_until) or "-")
        links = [(url_for("CreditListView.show", pk=item.id), _("Back"))]
        if request.method == "GET":
            return _form(self, title, fields, intro=intro, links=links, form_id="credit-object-form")
        values = {"reason": request.form.get("reason", "")}
        try:
            objection = services.object_to(item, user, request.form.get("reason"), files=_files())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return _form(self, title, fields, values=values, error=str(exc), intro=intro, links=links,
                         form_id="credit-object-form")
        flash(_("Objection %(number)s was submitted; a reviewer will decide on it.", number=objection.number),
              "success")
        return redirect(url_for("CreditListView.show", pk=item.id))

    # --- proposals by the city administrators ---
    @expose("/propose", methods=["GET", "POST"])
    @has_access
    def propose(self):
        user = current_user_obj()
        values = {k: v for k, v in request.values.items() if k != "csrf_token"}
        values.setdefault("list_type", ListType.BLACK)
        if not values.get("valid_months") and request.method == "GET":
            values["valid_months"] = str(self._default_months(values.get("list_type")))
        error = None
        if request.method == "POST":
            data = {k: values.get(k) for k in ("org_id", "list_type", "reason", "basis", "valid_months", "rule_id")}
            try:
                entry = services.propose_list_entry(user, data)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("List proposal %(number)s was submitted for review.", number=entry.number), "success")
                return redirect(url_for("CreditListView.show", pk=entry.id))
        query = (values.get("q") or "").strip()[:100]
        return self.render_template(
            "anju/credit/list_propose.html", title=_("Propose a red or black list entry"), values=values,
            error=error, q=query, enterprises=self._enterprises(query, values.get("org_id")),
            list_types=list(services.LIST_TYPE_LABELS.items()), rules=self._rules(),
            black_default=get_param("credit.black_default_months"), red_default=get_param("credit.red_default_months"),
            black_min=get_param("credit.black_min_months"), black_max=get_param("credit.black_max_months"),
            limit=ENTERPRISE_CHOICES,
        )

    @staticmethod
    def _default_months(list_type):
        return get_param("credit.red_default_months" if list_type == ListType.RED else "credit.black_default_months")

    @staticmethod
    def _enterprises(query, chosen=None):
        """Active enterprises in the user's scope matching the search (name part or credit code),
        plus the one already chosen."""
        stmt = select(Organization).where(Organization.org_type == OrgType.ENTERPRISE, Organization.active.is_(True))
        if query:
            stmt = stmt.where(Organization.name.contains(query, autoescape=True)
                              | (Organization.credit_code == query.upper()))
        stmt = apply_scope(stmt, Organization).order_by(Organization.name).limit(ENTERPRISE_CHOICES)
        rows = list(db.session.execute(stmt).scalars())
        if chosen and str(chosen).isdigit() and all(str(o.id) != str(chosen) for o in rows):
            extra = db.session.execute(apply_scope(select(Organization).where(
                Organization.id == int(chosen), Organization.org_type == OrgType.ENTERPRISE), Organization)
            ).scalars().first()
            if extra is not None:
                rows.insert(0, extra)
        return rows

    @staticmethod
    def _rules():
        return db.session.execute(select(CreditRule).where(CreditRule.is_current.is_(True),
                                                           CreditRule.enabled.is_(True))
                                  .order_by(CreditRule.code)).scalars().all()


# --- 信用修复 ------------------------------------------------------------------------------------

class RepairInterface(ScopedInterface):
    """Repairs with their list entry loaded per page in one query (the entry number column)."""

    def page_options(self, query):
        return query.options(selectinload(CreditRepair.entry))


def visible_entry(entry_id):
    """A list entry the current user may see (scope and enterprise visibility), else None."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        return None
    stmt = apply_scope(select(CreditListEntry).where(CreditListEntry.id == entry_id), CreditListEntry)
    visible = services.enterprise_visibility(CreditListEntry, current_user_obj())
    if visible is not None:
        stmt = stmt.where(visible)
    return db.session.execute(stmt).scalars().first()


class CreditRepairView(AnjuModelView):
    datamodel = RepairInterface(CreditRepair)
    route_base = "/credit/repairs"
    list_title = _l("Credit repair")
    show_title = _l("Credit repair application")
    show_template = "anju/credit/repair_show.html"
    base_permissions = ["can_list", "can_show", "can_apply", "can_decide"]
    method_permission_name = {"apply": "apply", "decide": "decide"}
    label_columns = {
        "number": _l("Application number"), "org": _l("Enterprise"), "entry": _l("Red or black list entry"),
        "status": _l("Status"), "created_on": _l("Applied at"), "statement": _l("Rectification"),
        "applicant_name": _l("Applicant"), "decided_at": _l("Decided at"),
        "decision_reason": _l("Reason for the decision"),
    }
    list_columns = ["number", "org", "entry", "status", "created_on"]
    show_columns = ["number", "org", "entry", "status", "statement", "applicant_name", "created_on", "decided_at",
                    "decision_reason"]
    search_columns = ["number", "org", "status", "created_on"]
    search_filters = {"org": [FilterOrgName], "status": [FilterEqual]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "status": SelectField(_l("Status"), choices=_choices(services.REPAIR_STATUS_LABELS)),
    }
    formatters_columns = {"status": _label(services.REPAIR_STATUS_LABELS)}
    base_order = ("created_on", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        self._get_show_widget(pk, item)      # audits a full view of personal data
        sm = self.appbuilder.sm
        entry = visible_entry(item.entry_id)
        return self.render_template(
            self.show_template, item=item, title=self.show_title, entry=entry,
            events=services.events_of("repair", item.id), files=uploads.files_of(item),
            url_for_upload=uploads.url_for_upload,
            may_decide=item.status == DecisionStatus.PENDING and sm.has_access("can_decide", self.class_permission_name)
            and services.has_role(current_user_obj(), services.DECIDER_ROLES),
            can_open_entry=entry is not None and sm.has_access("can_show", "CreditListView"),
            status_label=_label(services.REPAIR_STATUS_LABELS), list_type_label=_label(services.LIST_TYPE_LABELS),
            list_status_label=_label(services.LIST_STATUS_LABELS), action_label=services.action_label,
            fmt=display, day=_day,
        )

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        if action not in ("approve", "reject"):
            abort(400)
        try:
            services.decide_repair(item, action == "approve", current_user_obj(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=services.action_label(
                "repair_approve" if action == "approve" else "repair_reject")), "success")
        return redirect(url_for("CreditRepairView.show", pk=pk))

    @expose("/apply/<int:entry_id>", methods=["GET", "POST"])
    @has_access
    def apply(self, entry_id):
        entry = visible_entry(entry_id)
        if entry is None:
            abort(404)
        user = current_user_obj()
        back = url_for("CreditListView.show", pk=entry.id)
        refusal = services.repair_refusal(entry, user)
        if refusal and request.method == "GET":
            flash(refusal, "danger")
            return redirect(back)
        title = _("Apply for credit repair of %(number)s", number=entry.number)
        fields = [
            _field("entry", _("Red or black list entry"), "static",
                   text=f"{entry.number} {services.label_of(services.LIST_TYPE_LABELS, entry.list_type)} "
                        f"{_day(entry.valid_from)} ~ {_day(entry.valid_until)}"),
            _field("statement", _("Rectification"), "textarea"),
            _field("files", _("Rectification evidence"), "file", required=False,
                   help=_("PDF, JPG, PNG, DOCX or XLSX, at most 5 files.")),
        ]
        intro = _("Describe how the enterprise has rectified the violations and attach the evidence; a reviewer "
                  "decides. An approved repair ends the black list entry at once.")
        links = [(back, _("Back"))]
        if request.method == "GET":
            return _form(self, title, fields, intro=intro, links=links, form_id="credit-repair-form")
        try:
            repair = services.apply_repair(entry, user, request.form.get("statement"), files=_files())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return _form(self, title, fields, values={"statement": request.form.get("statement", "")},
                         error=str(exc), intro=intro, links=links, form_id="credit-repair-form")
        flash(_("Credit repair application %(number)s was submitted for review.", number=repair.number), "success")
        return redirect(url_for("CreditRepairView.show", pk=repair.id))


# --- 待办 -------------------------------------------------------------------------------------------

def _count(stmt, model):
    from app.core import worklist

    return worklist.capped_count(apply_scope(stmt, model))


def proposal_todos(user):
    from app.core import worklist

    n, capped = _count(select(CreditListEntry.id).where(CreditListEntry.status == ListStatus.PROPOSED),
                       CreditListEntry)
    return [worklist.Todo("credit.list_proposed", _l("Red and black list proposals pending review"), n,
                          level="warning", group=_l("Credit management"), capped=capped,
                          url=worklist.list_url("CreditListView", ("status", "eq", ListStatus.PROPOSED)))]


def repair_todos(user):
    from app.core import worklist

    n, capped = _count(select(CreditRepair.id).where(CreditRepair.status == DecisionStatus.PENDING), CreditRepair)
    return [worklist.Todo("credit.repair_pending", _l("Credit repair applications pending review"), n,
                          level="warning", group=_l("Credit management"), capped=capped,
                          url=worklist.list_url("CreditRepairView", ("status", "eq", DecisionStatus.PENDING)))]


def publicity_todos(user):
    """The enterprise's entries in publicity (it may object until the publicity ends)."""
    from app.core import worklist

    org_id = getattr(user, "org_id", None)
    if not org_id:
        return []
    n, capped = _count(select(CreditListEntry.id).where(CreditListEntry.org_id == org_id,
                                                        CreditListEntry.status == ListStatus.PUBLICITY),
                       CreditListEntry)
    return [worklist.Todo("credit.list_publicity", _l("Red or black list entries in publicity"), n,
                          level="danger", group=_l("Credit management"), capped=capped,
                          url=worklist.list_url("CreditListView", ("status", "eq", ListStatus.PUBLICITY)))]


def _deciding(user):
    return services.has_role(user, services.DECIDER_ROLES)


def register_worklist():
    from app.core import worklist

    worklist.register_todo("credit.list_proposed", proposal_todos, ("can_decide", "CreditListView"), order=61,
                           when=_deciding)
    worklist.register_todo("credit.repair_pending", repair_todos, ("can_decide", "CreditRepairView"), order=62,
                           when=_deciding)
    worklist.register_todo("credit.list_publicity", publicity_todos, ("can_object", "CreditListView"), order=63,
                           when=services.is_enterprise_user)


def register(appbuilder):
    menu(appbuilder, CreditListView(), "Red and black lists", _l("Red and black lists"), "fa-list-alt")
    menu(appbuilder, CreditRepairView(), "Credit repair", _l("Credit repair"), "fa-wrench")
    register_worklist()
