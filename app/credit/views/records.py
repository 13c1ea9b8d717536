"""信用记录, 记分申请 and 异议: thin pages over app/credit/services.py.

* ``CreditRecordView`` (/credit/records): the records in the user's scope (an enterprise sees
  its own once they are decided and public), a record's page with its rule version, facts,
  evidence, history, objection and the steps the user may take now; the 记分申请 form, the
  applicant's change of a returned application, and the enterprise's objection.
* ``CreditObjectionView`` (/credit/objections): objections to records and list entries, and
  the reviewer's decision (异议成立: withdraw; 异议不成立: keep).
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, select
from wtforms import SelectField, StringField

from app.core import uploads, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj, prefix_range, user_scope
from app.core.views import AnjuModelView
from app.credit import services
from app.credit.models import (
    CreditObjection,
    CreditRecord,
    CreditRule,
    DecisionStatus,
    Operation,
    RecordStatus,
    ScoreType,
)
from app.credit.views.rules import VirtualColumnsInterface
from app.extensions import db
from app.security.roles import SCOPE_ALL, SCOPE_REGION
from app.system.models import Organization, OrgType

# The permission each step on a record needs besides the service's own check of who may act.
ACT_PERMISSIONS = {
    "approve": "can_decide", "return": "can_decide", "reject": "can_decide",
    "uphold": "can_decide", "withdraw": "can_decide",
    "resubmit": "can_resubmit", "terminate": "can_resubmit",
    "revoke": "can_revoke",
}
NEED_REASON = frozenset(a for a, (_s, _t, _w, need) in services.RECORD_TRANSITIONS.items() if need)
ENTERPRISE_OPTIONS = 50


# --- filters ------------------------------------------------------------------------------

class FilterEnterpriseVisible(BaseFilter):
    """A base filter computed per request: an enterprise user sees its records (and
    objections' subjects) only once decided and public (services.enterprise_visibility)."""

    name = _l("Visible")
    arg_name = "ent_visible"

    def apply(self, query, value):
        clause = services.enterprise_visibility(self.model, current_user_obj())
        return query if clause is None else query.filter(clause)


class FilterOrgName(BaseFilter):
    """The enterprise as a text search (no dropdown of every enterprise); ``ct`` like FAB's own
    "contains", so the inline search shows it as a text box."""

    name = _l("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(self.model.org_id.in_(
            select(Organization.id).where(Organization.name.contains(value, autoescape=True))))


class FilterMine(BaseFilter):
    """我提交的: the records the user applied for (the home page's 待办 links here)."""

    name = _l("Mine")
    arg_name = "mine"

    def apply(self, query, value):
        user = current_user_obj()
        if value != "y" or user is None:
            return query
        return query.filter(CreditRecord.applicant_id == user.id)


# --- shown values ---------------------------------------------------------------------------

def signed_score(record):
    """+5 for a bonus, −5 for a deduction."""
    sign = "+" if record.score_type == ScoreType.BONUS else "−"
    return f"{sign}{record.score}"


def rule_text(rule):
    return f"{rule.code} {rule.item}" if rule is not None else ""


RULE_ITEM_IN_LIST = 12


def rule_short(rule):
    """The list's cell: the number and the start of the item (the page and the export show it all)."""
    if rule is None:
        return ""
    item = rule.item if len(rule.item) <= RULE_ITEM_IN_LIST else rule.item[:RULE_ITEM_IN_LIST] + "…"
    return f"{rule.code} {item}"


def day(value):
    return value.strftime("%Y-%m-%d") if value else ""


def _labels(mapping):
    return lambda code: services.label_of(mapping, code)


def _choices(mapping):
    return [("", _l("All"))] + list(mapping.items())


class RecordInterface(VirtualColumnsInterface):
    virtual = {"signed_score": signed_score}


class VirtualExport:
    """Exports read computed columns as the list shows them."""

    def export_value(self, row, column):
        fn = self.datamodel.virtual.get(column.key)
        if fn is None:
            return super().export_value(row, column)
        value = fn(row)
        return value.striptags() if isinstance(value, Markup) else value


def _user():
    return current_user_obj()


def _may(permission, view):
    from flask import current_app

    return current_app.appbuilder.sm.has_access(permission, view)


# --- 信用记录 ---------------------------------------------------------------------------------

class CreditRecordView(VirtualExport, AnjuModelView):
    datamodel = RecordInterface(CreditRecord)
    route_base = "/credit/records"
    list_title = _l("Credit records")
    show_title = _l("Credit record")
    show_template = "anju/credit/record_show.html"
    list_template = "anju/credit/record_list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_propose", "can_resubmit", "can_decide",
                        "can_revoke", "can_object"]
    method_permission_name = {"act": "show", "propose": "propose", "amend": "resubmit", "object_": "object"}
    base_filters = [["status", FilterEnterpriseVisible, None]]
    label_columns = {
        "number": _l("Record number"), "org": _l("Enterprise"), "rule": _l("Credit rule"),
        "score_type": _l("Scoring type"), "signed_score": _l("Score"), "score": _l("Score"),
        "event_date": _l("Date of the event"), "status": _l("Status"), "origin": _l("Source"),
        "submitted_at": _l("Submitted at"), "publicity_until": _l("Publicity until"),
        "effective_until": _l("Effective until"), "applicant_id": _l("Submitted by me"),
        "applicant_name": _l("Applicant"), "facts": _l("Facts"),
    }
    # The export carries every column; the list the ones that fit a 1,280-pixel screen (the sign of
    # the score says bonus or deduction; the record's page shows the rest).
    export_list_columns = ["number", "org", "rule", "score_type", "signed_score", "event_date", "status", "origin",
                           "submitted_at", "publicity_until", "effective_until"]
    list_columns = ["number", "org", "rule", "signed_score", "event_date", "status", "publicity_until",
                    "effective_until"]
    show_columns = export_list_columns
    search_columns = ["number", "org", "status", "score_type", "submitted_at", "origin", "event_date",
                      "applicant_id"]
    inline_search_columns = ["number", "org", "status", "score_type", "submitted_at"]
    search_filters = {"org": [FilterOrgName], "status": [FilterEqual], "score_type": [FilterEqual],
                      "origin": [FilterEqual], "applicant_id": [FilterMine]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "status": SelectField(_l("Status"), choices=_choices(services.RECORD_STATUS_LABELS)),
        "score_type": SelectField(_l("Scoring type"), choices=_choices(services.SCORE_TYPE_LABELS)),
        "origin": SelectField(_l("Source"), choices=_choices(services.ORIGIN_LABELS)),
        "applicant_id": SelectField(_l("Submitted by me"), choices=[("", _l("All")), ("y", _l("Yes"))]),
    }
    formatters_columns = {
        "rule": rule_short,
        "publicity_until": day,
        "effective_until": day,
        "score_type": _labels(services.SCORE_TYPE_LABELS),
        "status": _labels(services.RECORD_STATUS_LABELS),
        "origin": _labels(services.ORIGIN_LABELS),
    }
    base_order = ("submitted_at", "desc")

    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns.get(name, name)) for name in self.export_list_columns]

    def export_value(self, row, column):
        if column.key == "rule":
            return rule_text(row.rule)
        if column.key in ("publicity_until", "effective_until"):
            return getattr(row, column.key)
        return super().export_value(row, column)

    # --- a record's page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = _user()
        self._get_show_widget(pk, item)      # audits a full view of personal data
        objection = self._objection_of(item)
        actions = [a for a in services.allowed_actions(item, user)
                   if _may(ACT_PERMISSIONS.get(a, "-"), "CreditRecordView")]
        may_amend = "resubmit" in actions
        actions = [a for a in actions if a != "resubmit"]
        may_object = (item.status == RecordStatus.PUBLICITY and objection is None
                      and _may("can_object", "CreditRecordView")
                      and getattr(user, "org_id", None) == item.org_id)
        return self.render_template(
            self.show_template, title=self.show_title, item=item, rule=item.rule,
            files=uploads.files_of(item), events=services.events_of("record", item.id),
            objection=objection, objection_files=uploads.files_of(objection) if objection else [],
            actions=actions, may_amend=may_amend, may_object=may_object, need_reason=NEED_REASON,
            action_label=services.action_label, status_label=_labels(services.RECORD_STATUS_LABELS),
            objection_status=_labels(services.OBJECTION_STATUS_LABELS),
            score_type=_labels(services.SCORE_TYPE_LABELS), origin=_labels(services.ORIGIN_LABELS),
            severity=_labels(services.SEVERITY_LABELS), signed_score=signed_score,
            can_open_rule=_may("can_show", "CreditRuleView"),
            can_open_objection=_may("can_show", "CreditObjectionView"),
        )

    @staticmethod
    def _objection_of(record):
        return db.session.execute(select(CreditObjection).where(
            CreditObjection.subject_type == "record", CreditObjection.subject_id == record.id)
            .order_by(CreditObjection.id.desc()).limit(1)).scalars().first()

    # --- a step: approve, return, reject, terminate, revoke, decide an objection ---
    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        if action not in ACT_PERMISSIONS:
            abort(400)
        if not _may(ACT_PERMISSIONS[action], "CreditRecordView"):
            abort(403)
        try:
            services.act(item, action, _user(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=services.action_label(action)), "success")
        return redirect(url_for("CreditRecordView.show", pk=pk))

    # --- 记分申请 ---
    def _form(self, title, values, error=None, record=None, org=None, q=""):
        user = _user()
        return self.render_template(
            "anju/credit/record_form.html", title=title, values=values, error=error, record=record,
            enterprises=[] if record is not None else enterprise_options(user, q, values.get("org_id")),
            q=q, org=org, rules=manual_rules(), score_type=_labels(services.SCORE_TYPE_LABELS),
            allowed=uploads.ALLOWED_TEXT,
        )

    @staticmethod
    def _posted():
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        files = [f for f in request.files.getlist("files") if f and f.filename]
        return values, files

    @expose("/propose", methods=["GET", "POST"])
    @has_access
    def propose(self):
        title = _("Scoring application")
        q = (request.args.get("q") or "").strip()[:64]
        if request.method == "GET":
            values = {"org_id": request.args.get("org_id", "")}
            return self._form(title, values, q=q)
        values, files = self._posted()
        try:
            record = services.propose_record(_user(), values, files=files)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, values, error=str(exc), q=q)
        flash(_("Scoring application %(number)s was submitted for review.", number=record.number), "success")
        return redirect(url_for("CreditRecordView.show", pk=record.id))

    @expose("/amend/<int:pk>", methods=["GET", "POST"])
    @has_access
    def amend(self, pk):
        item = self._item_or_404(pk)
        user = _user()
        title = _("Change and resubmit %(number)s", number=item.number)
        refusal = None
        if item.applicant_id != getattr(user, "id", None):
            refusal = _("Only the applicant may do this.")
        elif item.status != RecordStatus.RETURNED:
            refusal = _("Only a returned scoring application can be changed.")
        if refusal:
            flash(refusal, "danger")
            return redirect(url_for("CreditRecordView.show", pk=pk))
        if request.method == "GET":
            values = {"rule_id": str(item.rule_id), "score": str(item.score), "facts": item.facts,
                      "event_date": item.event_date.isoformat()}
            return self._form(title, values, record=item, org=item.org)
        values, files = self._posted()
        try:
            services.amend_record(item, user, values, files=files)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            item = self._item_or_404(pk)
            return self._form(title, values, error=str(exc), record=item, org=item.org)
        flash(_("The scoring application was resubmitted."), "success")
        return redirect(url_for("CreditRecordView.show", pk=pk))

    # --- 异议 by the enterprise ---
    @expose("/object/<int:pk>", methods=["GET", "POST"])
    @has_access
    def object_(self, pk):
        item = self._item_or_404(pk)
        title = _("Object to credit record %(number)s", number=item.number)
        if request.method == "GET":
            return self.render_template("anju/credit/record_object.html", title=title, item=item, values={},
                                        error=None, allowed=uploads.ALLOWED_TEXT)
        reason = request.form.get("reason", "")
        files = [f for f in request.files.getlist("files") if f and f.filename]
        try:
            objection = services.object_to(item, _user(), reason, files=files)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            item = self._item_or_404(pk)
            return self.render_template("anju/credit/record_object.html", title=title, item=item,
                                        values={"reason": reason}, error=str(exc), allowed=uploads.ALLOWED_TEXT)
        flash(_("Objection %(number)s was submitted; a reviewer will decide it.", number=objection.number),
              "success")
        return redirect(url_for("CreditRecordView.show", pk=pk))


def enterprise_options(user, q="", chosen=None):
    """Active enterprises the user may apply for scoring about (services.in_reach decides),
    matching ``q`` (a part of the name or the whole credit code), at most ENTERPRISE_OPTIONS;
    the one already chosen is kept."""
    scope = user_scope(user)
    if scope.level not in (SCOPE_ALL, SCOPE_REGION):
        return []
    stmt = select(Organization).where(Organization.org_type == OrgType.ENTERPRISE, Organization.active.is_(True))
    if q:
        stmt = stmt.where(or_(Organization.name.contains(q, autoescape=True), Organization.credit_code == q.upper()))
    if scope.level == SCOPE_REGION:
        # Inside the user's region, or registered at a region that contains it (a street's
        # district); in_reach has the last word.
        prefix = scope.region_prefix
        above = {prefix[:6], prefix[:4] + "00", prefix[:2] + "0000"} if len(prefix) >= 6 else set()
        stmt = stmt.where(or_(prefix_range(Organization.region_code, prefix), Organization.region_code.in_(above)))
    rows = [o for o in db.session.execute(stmt.order_by(Organization.name).limit(ENTERPRISE_OPTIONS * 4))
            .scalars() if services.in_reach(user, o)][:ENTERPRISE_OPTIONS]
    if chosen and str(chosen).isdigit() and all(str(o.id) != str(chosen) for o in rows):
        org = db.session.get(Organization, int(chosen))
        if org is not None and org.org_type == OrgType.ENTERPRISE and services.in_reach(user, org):
            rows.insert(0, org)
    return rows


def manual_rules():
    """The scoring standards a 记分申请 may use: current, enabled, manual."""
    return db.session.execute(select(CreditRule).where(
        CreditRule.is_current.is_(True), CreditRule.enabled.is_(True), CreditRule.operation == Operation.MANUAL)
        .order_by(CreditRule.code)).scalars().all()


# --- 异议 -----------------------------------------------------------------------------------

def subject_link(objection):
    """The record or list entry objected to, linked to its page."""
    subject = services.subject_of(objection)
    if subject is None:
        return ""
    if objection.subject_type == "record":
        href = services.record_link(subject)
    else:
        href = services.list_link(subject)
    return Markup('<a href="{}">{}</a>').format(href, subject.number)


def _short(value):
    text = value or ""
    return text if len(text) <= 30 else text[:30] + "…"


class ObjectionInterface(VirtualColumnsInterface):
    virtual = {"subject": subject_link}


class CreditObjectionView(VirtualExport, AnjuModelView):
    datamodel = ObjectionInterface(CreditObjection)
    route_base = "/credit/objections"
    list_title = _l("Objections")
    show_title = _l("Objection")
    show_template = "anju/credit/objection_show.html"
    base_permissions = ["can_list", "can_show", "can_decide"]
    method_permission_name = {"decide": "decide"}
    label_columns = {
        "number": _l("Objection number"), "subject": _l("Objected to"), "org": _l("Enterprise"),
        "reason": _l("Reasons for the objection"), "status": _l("Status"), "created_on": _l("Objected at"),
        "subject_type": _l("Objected to"),
    }
    list_columns = ["number", "subject", "org", "reason", "status", "created_on"]
    show_columns = list_columns
    search_columns = ["number", "org", "status", "subject_type", "created_on"]
    inline_search_columns = ["number", "org", "status", "created_on"]
    search_filters = {"org": [FilterOrgName], "status": [FilterEqual], "subject_type": [FilterEqual]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "status": SelectField(_l("Status"), choices=_choices(services.OBJECTION_STATUS_LABELS)),
        "subject_type": SelectField(_l("Objected to"), choices=[
            ("", _l("All")), ("record", _l("Credit record")), ("list", _l("Red or black list entry"))]),
    }
    formatters_columns = {"reason": _short, "status": _labels(services.OBJECTION_STATUS_LABELS)}
    base_order = ("created_on", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        self._get_show_widget(pk, item)
        subject = services.subject_of(item)
        is_record = item.subject_type == "record"
        return self.render_template(
            self.show_template, title=self.show_title, item=item, subject=subject, is_record=is_record,
            subject_url=(services.record_link(subject) if is_record else services.list_link(subject))
            if subject is not None else None,
            files=uploads.files_of(item), subject_files=uploads.files_of(subject) if is_record and subject is not None else [],
            events=services.events_of("objection", item.id), action_label=services.action_label,
            objection_status=_labels(services.OBJECTION_STATUS_LABELS),
            subject_status=_labels(services.RECORD_STATUS_LABELS if is_record else services.LIST_STATUS_LABELS),
            list_type=_labels(services.LIST_TYPE_LABELS), signed_score=signed_score, rule_text=rule_text,
            may_decide=item.status == DecisionStatus.PENDING and _may("can_decide", "CreditObjectionView"),
        )

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._item_or_404(pk)
        decision = request.form.get("decision", "")
        if decision not in ("accept", "reject"):
            abort(400)
        try:
            services.decide_objection(item, decision == "accept", _user(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            label = services.OBJECTION_STATUS_LABELS[DecisionStatus.ACCEPTED if decision == "accept"
                                                     else DecisionStatus.REJECTED]
            flash(_("Done: %(action)s.", action=label), "success")
        return redirect(url_for("CreditObjectionView.show", pk=pk))


def register(appbuilder):
    from app.credit import worklist
    from app.credit.views import menu

    menu(appbuilder, CreditRecordView(), "Credit records", _l("Credit records"), "fa-file-text-o")
    menu(appbuilder, CreditObjectionView(), "Objections", _l("Objections"), "fa-commenting-o")
    worklist.register()
