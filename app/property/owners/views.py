"""业委会备案 (seed 004 业主委员会 2): thin pages over app/property/owners/services.py.

``CommitteeFilingView`` (/committee/filing): the committee's filings with their deadline
(days left or 已逾期), the form (基本情况, 表决情况, 成员及候补成员 with a 验证 button per
member, 要件) saved as a draft (保存) or submitted (保存并提交), a filing's page with its
members masked for the viewer, the application form to print or as PDF, 终止.
Reviewers open the page from the 业务单 (its subject link); they decide there.
"""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import documents, masking, uploads, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.extensions import db
from app.property import menu
from app.property.owners import services

FILES_LABEL = _l("Owners committee filing documents")
BLANK_ROWS = 3


def _show(kind):
    def show(value):
        return "" if value is None or value == "" else masking.for_viewer(kind, value)
    return show


def posted_members(form):
    """The member rows of the form (parallel lists m_name, m_id_number, m_role, m_house, m_mobile)."""
    keys = ("name", "id_number", "role", "house", "mobile")
    columns = {k: form.getlist(f"m_{k}") for k in keys}
    n = max((len(v) for v in columns.values()), default=0)
    return [{k: (columns[k][i] if i < len(columns[k]) else "") for k in keys} for i in range(min(n, 200))]


def filing_document(item):
    """The 申请表 of a committee filing: the application, then the members (masked for the viewer)."""
    doc = documents.application_document(item, payload_labels=workflow.payload_labels(item),
                                         payload_masks=services.PAYLOAD_MASKS)
    name, id_number, mobile = _show("name"), _show("id_number"), _show("mobile")
    rows = [[i, name(m.get("name")), id_number(m.get("id_number")), services.role_label(m.get("role")),
             m.get("house") or "", mobile(m.get("mobile"))] for i, m in enumerate(services.members_of(item), 1)]
    doc.sections.insert(1, documents.Table(
        ["#", _("Name"), _("ID number"), _("Position"), _("Room number"), _("Contact phone")], rows,
        title=_("Members and alternates"), empty_text=_("No members.")))
    return doc


class CommitteeFilingView(BaseView):
    route_base = "/committee/filing"
    default_view = "index"
    base_permissions = ["can_list", "can_show", "can_file"]
    method_permission_name = {"index": "list", "show": "show", "print_form": "show", "pdf": "show",
                              "file": "file", "edit": "file", "check_member": "file", "submit": "file",
                              "terminate": "file"}

    def _committee(self):
        try:
            return services.committee_of(current_user_obj())
        except DomainError as exc:
            flash(str(exc), "danger")
            return None

    @expose("/")
    @has_access
    def index(self):
        org = self._committee()
        if org is None:
            return redirect(self.appbuilder.get_url_for_index)
        filings = services.filings_of(org.id)
        return self.render_template(
            "anju/property/owners/index.html", title=_("Owners committee filing"), org=org, filings=filings,
            current=services.open_filing(org.id), deadline=services.deadline_state,
            can_file=self.appbuilder.sm.has_access("can_file", "CommitteeFilingView"),
        )

    def _form(self, title, values, members, error=None, results=None, application=None, status=200):
        user = current_user_obj()
        rows = list(members) + [{} for _i in range(BLANK_ROWS)]
        return self.render_template(
            "anju/property/owners/form.html", title=title, values=values, members=rows, error=error,
            results=results or [], areas=services.committee_areas(user), org=services.committee_of(user),
            labels=services.FIELD_LABELS, roles=services.role_choices(), application=application,
            files_label=FILES_LABEL,
        ), status

    def _posted(self):
        values = {k: v for k, v in request.form.items() if k != "csrf_token" and not k.startswith("m_")}
        members = posted_members(request.form)
        values["members"] = members
        files = [f for f in request.files.getlist("files") if f and f.filename]
        return values, members, files

    def _save(self, title, application=None):
        user = current_user_obj()
        values, members, files = self._posted()
        action = request.form.get("action", "save")
        if action == "validate":
            try:
                _area, payload, results = services.clean_filing(user, values)
            except DomainError as exc:
                db.session.rollback()
                return self._form(title, values, members, error=str(exc), application=application)
            return self._form(title, values, payload["members"], results=results, application=application)
        stored = []
        try:
            if files:
                stored = uploads.save_many(files, label=str(FILES_LABEL))
            item, results = services.save_filing(user, values, submit=action == "submit", application=application)
        except DomainError as exc:
            db.session.rollback()
            results = None
            try:
                _area, payload, results = services.clean_filing(user, values)
                members = payload["members"]
            except DomainError:
                db.session.rollback()
            return self._form(title, values, members, error=str(exc), results=results, application=application)
        if stored:
            uploads.attach(stored, item)
            db.session.commit()
        if action == "submit":
            flash(_("Owners committee filing %(number)s was submitted for review. Print the application form and "
                    "bring it with the documents to the service window.", number=item.number), "success")
        else:
            flash(_("Owners committee filing %(number)s was saved.", number=item.number), "success")
        return redirect(url_for("CommitteeFilingView.show", pk=item.id))

    @expose("/file", methods=["GET", "POST"])
    @has_access
    def file(self):
        org = self._committee()
        if org is None:
            return redirect(url_for("CommitteeFilingView.index"))
        current = services.open_filing(org.id)
        if current is not None:
            flash(str(services.OpenFilingError(current)), "warning")
            return redirect(url_for("CommitteeFilingView.show", pk=current.id))
        title = _("Owners committee filing")
        if request.method == "GET":
            return self._form(title, {}, [])
        return self._save(title)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        if item.applicant_id != user.id or item.status not in services.EDITABLE:
            flash(_("Only a draft or a returned application can be changed."), "danger")
            return redirect(url_for("CommitteeFilingView.show", pk=pk))
        title = _("Change %(number)s", number=item.number)
        if request.method == "GET":
            payload = dict(item.payload or {})
            members = payload.pop("members", [])
            return self._form(title, payload, members, application=item)
        return self._save(title, application=item)

    @expose("/check-member", methods=["POST"])
    @has_access
    def check_member(self):
        """验证: one member against the area's house registry (JSON for the form's button)."""
        user = current_user_obj()
        data = request.get_json(silent=True) if request.is_json else request.form
        data = data or {}
        try:
            ok, message = services.check_one(user, data.get("area_id"), data.get("name"), data.get("id_number"))
        except DomainError as exc:
            return jsonify(ok=False, message=str(exc)), 422
        return jsonify(ok=ok, message=message)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        payload = item.payload or {}
        members = services.members_of(item)
        results = services.check_members(payload.get("area_id"), members) if members else []
        overdue, deadline_text = services.deadline_state(item)
        mine = item.applicant_id == user.id
        return self.render_template(
            "anju/property/owners/show.html", title=_("Owners committee filing"), item=item, payload=payload,
            members=members, results=results, labels=services.FIELD_LABELS, role_label=services.role_label,
            show_name=_show("name"), show_id=_show("id_number"), show_mobile=_show("mobile"),
            overdue=overdue, deadline_text=deadline_text, events=item.events, files=uploads.files_of(item),
            url_for_upload=uploads.url_for_upload,
            may_edit=mine and item.status in services.EDITABLE,
            can_open_application=self.appbuilder.sm.has_access("can_show", "ApplicationView"),
        )

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        user = current_user_obj()
        item = services.filing_for(user, pk)
        if item is None:
            abort(404)
        data = dict(item.payload or {})
        try:
            services.save_filing(user, data, submit=True, application=item)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Owners committee filing %(number)s was submitted for review. Print the application form and "
                    "bring it with the documents to the service window.", number=item.number), "success")
        return redirect(url_for("CommitteeFilingView.show", pk=pk))

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
        return redirect(url_for("CommitteeFilingView.show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        item = services.filing_for(current_user_obj(), pk)
        if item is None:
            abort(404)
        return documents.print_response(filing_document(item))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = services.filing_for(current_user_obj(), pk)
        if item is None:
            abort(404)
        return documents.pdf_response(filing_document(item), f"{item.number}.pdf")



def register(appbuilder):
    menu(appbuilder, CommitteeFilingView(), "Owners committee filing", _l("Owners committee filing"), "fa-users")
    services.register_worklist()
