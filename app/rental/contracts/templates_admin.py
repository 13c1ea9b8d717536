"""合同范本 administration (gov_admin; menu 住房租赁 → 合同范本): the templates' versions, a
version's page with its text, required clauses, 注意事项 and file, and the add / edit form.

A version a contract was rendered from never changes: saving it writes version n+1
(app/rental/public/services.save_template decides). Registered by app/rental/public/views.py.
"""
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import uploads
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.rental.contracts.models import ContractTemplate
from app.rental.contracts.services import DEFAULT_BODY, DEFAULT_CLAUSES, PLACEHOLDERS
from app.rental.public import services


class ContractTemplateView(AnjuModelView):
    datamodel = ScopedInterface(ContractTemplate)
    route_base = "/rental/templates"
    list_title = _l("Contract templates")
    show_title = _l("Contract template")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    label_columns = {"code": _l("Template code"), "name": _l("Template name"), "version": _l("Version"),
                     "active": _l("Active"), "published_at": _l("Published at"), "created_on": _l("Created at")}
    list_columns = ["code", "name", "version", "active", "published_at"]
    search_columns = ["code", "name", "active"]
    search_filters = {"code": [FilterEqual]}
    base_order = ("code", "asc")
    order_columns = ["code", "version", "published_at"]

    def _form(self, title, values, item=None, error=None, status=200):
        return self.render_template(
            "anju/rental/public/template_form.html", title=title, values=values, item=item, error=error,
            placeholders=["{%s}" % p for p in PLACEHOLDERS], file=services.template_file(item) if item is not None else None,
            in_use=services.template_in_use(item) if item is not None else False), status

    @staticmethod
    def _values(item=None):
        if item is None:
            return {"code": "", "name": "", "body": DEFAULT_BODY, "clauses": services.clauses_text(DEFAULT_CLAUSES),
                    "notes": services.DEFAULT_NOTES, "active": "1"}
        return {"code": item.code, "name": item.name, "body": item.body,
                "clauses": services.clauses_text(item.required_clauses), "notes": item.notes or "",
                "active": "1" if item.active else ""}

    @staticmethod
    def _posted():
        return {k: request.form.get(k, "") for k in ("code", "name", "body", "clauses", "notes", "active")}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        versions = db.session.execute(select(ContractTemplate).where(ContractTemplate.code == item.code)
                                      .order_by(ContractTemplate.version.desc())).scalars().all()
        return self.render_template(
            "anju/rental/public/template_show.html", title=self.show_title, item=item, versions=versions,
            file=services.template_file(item), url_for_upload=uploads.url_for_upload,
            in_use={v.id: services.template_in_use(v) for v in versions},
            can_edit=self._permitted(self, "can_edit"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        title = _("New contract template")
        if request.method == "GET":
            return self._form(title, self._values())
        values = self._posted()
        try:
            row = services.save_template(current_user_obj(), values, file=request.files.get("file"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, values, error=str(exc), status=422)
        flash(_("Contract template %(code)s v%(version)s was saved.", code=row.code, version=row.version), "success")
        return redirect(url_for("ContractTemplateView.show", pk=row.id))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item_or_404(pk)
        title = _("Change contract template %(code)s v%(version)s", code=item.code, version=item.version)
        if request.method == "GET":
            return self._form(title, self._values(item), item=item)
        values = self._posted()
        try:
            row = services.save_template(current_user_obj(), values, template=item, file=request.files.get("file"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            item = self._item_or_404(pk)
            return self._form(title, values, item=item, error=str(exc), status=422)
        if row.id != item.id:
            flash(_("Version %(old)s is used by signed contracts and stays as it was; the change was saved as "
                    "version %(new)s.", old=item.version, new=row.version), "success")
        else:
            flash(_("Contract template %(code)s v%(version)s was saved.", code=row.code, version=row.version),
                  "success")
        return redirect(url_for("ContractTemplateView.show", pk=row.id))


def register(appbuilder):
    from app.rental import menu

    menu(appbuilder, ContractTemplateView(), "Contract templates", _l("Contract templates"), "fa-file-word-o")
