"""物业区域备案 (and 物业管理区域信息变更): the filer's pages over app/property/areas/filing.py.

``AreaFilingView`` (/areas/filing): the organisation's filings; the form for a new area or for a
change of one of its areas, with 保存 (draft) and 保存并提交; a filing's detail with its history,
documents and 打印申请表 (print and PDF); changing a draft or a returned filing (重新提交), and
terminating it. The reviewer decides on the generic business-application pages (ApplicationView).
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import documents, uploads, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.extensions import db
from app.property.areas import filing
from app.system import dicts
from app.system.models import Region

TEMPLATES = "anju/property/areas/"


def region_options():
    """Districts, streets and communities for the three selects (the page filters them by parent)."""
    rows = db.session.execute(select(Region.code, Region.name, Region.level, Region.parent_code)
                              .where(Region.level.in_(("district", "street", "community")))
                              .order_by(Region.code)).all()
    out = {"district": [], "street": [], "community": []}
    for code, name, level, parent in rows:
        out[level].append((code, name, parent or ""))
    return out


class AreaFilingView(BaseView):
    route_base = "/areas/filing"
    default_view = "index"
    base_permissions = ["can_list", "can_file"]
    method_permission_name = {"index": "list", "show": "list", "print_form": "list", "pdf": "list",
                              "new": "file", "change": "file", "edit": "file", "submit": "file",
                              "terminate": "file"}

    def _org(self):
        try:
            return filing.filer_org(current_user_obj())
        except DomainError as exc:
            flash(str(exc), "danger")
            return None

    def _item(self, pk):
        item = filing.filing_for(current_user_obj(), pk)
        if item is None:
            abort(404)
        return item

    @expose("/")
    @has_access
    def index(self):
        org = self._org()
        if org is None:
            return redirect(self.appbuilder.get_url_for_index)
        status = request.args.get("status") if request.args.get("status") in workflow.AppStatus.ALL else None
        return self.render_template(TEMPLATES + "filing_index.html", title=_("Property area filing"), org=org,
                                    filings=filing.filings_of(org.id, status=status), status=status,
                                    status_label=workflow.status_label, is_developer=filing.is_developer(org),
                                    can_file=self.appbuilder.sm.has_access("can_file", "AreaFilingView"))

    # --- the form ---------------------------------------------------------------------------
    def _form(self, title, values, mode, error=None, application=None, area=None, intro=None, status=200):
        org = filing.filer_org(current_user_obj())
        return self.render_template(
            TEMPLATES + "filing_form.html", title=title, values=values, mode=mode, error=error,
            application=application, area=area, intro=intro, labels=filing.LABELS,
            required=filing.REQUIRED, regions=region_options(), types=dicts.items("property_type"),
            is_developer=filing.is_developer(org), org=org,
            developers=[] if filing.is_developer(org) else filing.developers(),
            my_areas=filing.my_areas(current_user_obj()) if mode == filing.MODE_CHANGE else [],
            files=uploads.files_of(application) if application is not None else [],
            url_for_upload=uploads.url_for_upload,
        ), status

    @staticmethod
    def _posted():
        values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "op")}
        files = [f for f in request.files.getlist("files") if f and f.filename]
        return values, files, request.form.get("op") == "submit"

    def _saved(self, application, submitted):
        if submitted:
            flash(_("%(number)s was submitted. Print the application form and bring it with the documents to the "
                    "housing authority's counter.", number=application.number), "success")
        else:
            flash(_("%(number)s was saved as a draft.", number=application.number), "success")
        return redirect(url_for("AreaFilingView.show", pk=application.id))

    def _create(self, mode, title, area=None):
        user = current_user_obj()
        values, files, submit = self._posted()
        values["mode"] = mode
        try:
            application = filing.create(user, values, files, submit=submit)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, values, mode, error=str(exc), area=area, status=422)
        return self._saved(application, submit)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if self._org() is None:
            return redirect(url_for("AreaFilingView.index"))
        title = _("Property area filing")
        if request.method == "GET":
            return self._form(title, {}, filing.MODE_NEW)
        return self._create(filing.MODE_NEW, title)

    @expose("/change", methods=["GET", "POST"])
    @has_access
    def change(self):
        """物业管理区域信息变更: choose one of the organisation's areas, then change its fields."""
        if self._org() is None:
            return redirect(url_for("AreaFilingView.index"))
        title = _("Property area information change")
        user = current_user_obj()
        chosen = request.values.get("area_id", "")
        area = None
        if chosen:
            try:
                area = filing._area_for_change(user, chosen, db.session)
            except DomainError as exc:
                flash(str(exc), "danger")
        if request.method == "GET":
            values = filing.change_values(area) if area is not None else {}
            return self._form(title, values, filing.MODE_CHANGE, area=area)
        return self._create(filing.MODE_CHANGE, title, area=area)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """Change a draft (保存 / 保存并提交) or a returned filing (重新提交)."""
        user = current_user_obj()
        item = self._item(pk)
        try:
            filing._may_change(item, user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("AreaFilingView.show", pk=pk))
        mode = (item.payload or {}).get("mode", filing.MODE_NEW)
        area = db.session.get(filing.PropertyArea, (item.payload or {}).get("area_id") or 0) \
            if mode == filing.MODE_CHANGE else None
        title = _("Change %(number)s", number=item.number)
        intro = _("Returned because: %(reason)s", reason=item.reason) if item.reason else None
        if request.method == "GET":
            values = {k: ("" if v is None else str(v)) for k, v in (item.payload or {}).items()
                      if not isinstance(v, (list, dict))}
            return self._form(title, values, mode, application=item, area=area, intro=intro)
        values, files, submit = self._posted()
        try:
            filing.update(item, user, values, files, submit=submit)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            item = self._item(pk)
            return self._form(title, values, mode, error=str(exc), application=item, area=area, intro=intro,
                              status=422)
        return self._saved(item, submit)

    # --- one filing ---------------------------------------------------------------------------
    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        item = self._item(pk)
        mine = item.applicant_id == user.id
        return self.render_template(
            TEMPLATES + "filing_show.html", title=_("Property area filing"), item=item,
            payload=item.payload or {}, labels=filing.PAYLOAD_LABELS, events=item.events,
            files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
            may_change=mine and item.status in (workflow.AppStatus.DRAFT, workflow.AppStatus.RETURNED),
            may_submit=mine and item.status == workflow.AppStatus.DRAFT,
            may_terminate=mine and item.status in (workflow.AppStatus.DRAFT, workflow.AppStatus.RETURNED),
            can_file=self.appbuilder.sm.has_access("can_file", "AreaFilingView"),
            subject_url=url_for("AreaQueryView.show", pk=item.subject_id)
            if item.subject_id and self.appbuilder.sm.has_access("can_show", "AreaQueryView") else None,
        )

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        item = self._item(pk)
        try:
            filing.submit(item, current_user_obj())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("AreaFilingView.show", pk=pk))
        return self._saved(item, True)

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        item = self._item(pk)
        try:
            filing.transition(item, workflow.Action.TERMINATE, current_user_obj())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(workflow.Action.TERMINATE)), "success")
        return redirect(url_for("AreaFilingView.show", pk=pk))

    def _document(self, item):
        return documents.application_document(item, payload_labels=workflow.payload_labels(item), payload_masks={})

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        """打印申请表."""
        return documents.print_response(self._document(self._item(pk)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item(pk)
        return documents.pdf_response(self._document(item), f"{item.number}.pdf")
