"""诚信登记 / 企业良好行为申报: thin pages over app/property/honour/services.py.

* ``GoodBehaviourView`` (/property/honour): the declarations in the user's scope (an enterprise
  its own, government its region), the declaration form (保存并提交), a declaration's page
  with its publicity window, evidence, history and — for government — the objections; 打印申请表
  and PDF; 修改并重新提交 and 终止 of a returned declaration. Reviewers decide on the generic
  业务单 page (ApplicationView), which links here.
* ``HonourPublicView`` (/area/<public_code>/honour/<id>, no login): a declaration in publicity or
  announced, and the objection form during the window.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.views import FormPage, attempt, client_ip, field
from app.core import documents, masking, sms, uploads, workflow
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import current_user_obj
from app.extensions import db
from app.property import menu
from app.property.honour import services


def _area_options(org):
    return [("", _("Please choose"))] + [(str(a.id), a.name) for a in services.areas_of(org)]


def _category_options():
    return [("", _("Please choose"))] + [(code, label) for code, label in services.category_choices()]


class GoodBehaviourView(BaseView):
    route_base = "/property/honour"
    default_view = "index"
    base_permissions = ["can_list", "can_file", "can_objections"]
    method_permission_name = {"index": "list", "show": "list", "print_form": "list", "pdf": "list",
                              "new": "file", "amend": "file", "terminate": "file"}

    def _sm(self):
        return self.appbuilder.sm

    @expose("/")
    @has_access
    def index(self):
        user = current_user_obj()
        rows = services.declarations(user)
        publicity = {}
        for row in rows:
            p = services.publicity_of(row)
            if p is not None:
                publicity[row.id] = services.publicity_state_label(p)
        may_declare = self._sm().has_access("can_file", "GoodBehaviourView")
        try:
            services.company_of(user)
        except DomainError:
            may_declare = False
        return self.render_template("anju/property/honour/index.html", title=_("Good behaviour declaration"),
                                    rows=rows, publicity=publicity, may_declare=may_declare,
                                    category_label=services.category_label)

    def _form(self, title, org, values, error=None, application=None, intro=None):
        return self.render_template(
            "anju/property/honour/form.html", title=title, values=values, error=error, application=application,
            intro=intro, areas=_area_options(org), categories=_category_options(), labels=services.LABELS,
            max_title=services.MAX_TITLE, max_description=services.MAX_DESCRIPTION)

    @staticmethod
    def _posted():
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        files = [f for f in request.files.getlist("files") if f and f.filename]
        return values, files

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        user = current_user_obj()
        try:
            org = services.company_of(user)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("GoodBehaviourView.index"))
        title = _("Declare good behaviour")
        if request.method == "GET":
            return self._form(title, org, {})
        values, files = self._posted()
        try:
            application = services.declare(user, values, files)
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, org, values, error=str(exc))
        flash(_("Good behaviour declaration %(number)s was submitted. Print the application form and bring it "
                "with the evidence to the acceptance window.", number=application.number), "success")
        return redirect(url_for("GoodBehaviourView.show", pk=application.id))

    def _item(self, pk):
        item = services.declaration_for(current_user_obj(), pk)
        if item is None:
            abort(404)
        return item

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        item = self._item(pk)
        publicity = services.publicity_of(item)
        may_read_objections = self._sm().has_access("can_objections", "GoodBehaviourView") \
            and item.org_id != getattr(user, "org_id", None)
        objections = services.objections_of(publicity) if publicity is not None and may_read_objections else []
        return self.render_template(
            "anju/property/honour/show.html", title=_("Good behaviour declaration"), item=item,
            payload=item.payload or {}, labels=services.PAYLOAD_LABELS, publicity=publicity,
            publicity_state=services.publicity_state_label(publicity) if publicity else None,
            objection_count=services.objection_count(publicity) if publicity else 0,
            objections=objections, may_read_objections=may_read_objections,
            show_name=lambda v: masking.for_viewer("name", v), show_mobile=lambda v: masking.for_viewer("mobile", v),
            events=item.events, files=uploads.files_of(item), url_for_upload=uploads.url_for_upload,
            may_download=lambda f: uploads.can_download(f, user),
            may_amend=services.may_amend(item, user) and self._sm().has_access("can_file", "GoodBehaviourView"),
            can_open_application=self._sm().has_access("can_show", "ApplicationView"),
            problem=services.approval_problem(item) if item.status == workflow.AppStatus.ACCEPTED else None,
        )

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        item = self._item(pk)
        return documents.print_response(documents.application_document(
            item, payload_labels=workflow.payload_labels(item), payload_masks={}))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item(pk)
        doc = documents.application_document(item, payload_labels=workflow.payload_labels(item), payload_masks={})
        return documents.pdf_response(doc, f"{item.number}.pdf")

    @expose("/amend/<int:pk>", methods=["GET", "POST"])
    @has_access
    def amend(self, pk):
        user = current_user_obj()
        item = self._item(pk)
        if not services.may_amend(item, user):
            flash(_("Only a returned application can be changed.") if item.applicant_id == user.id
                  else _("Only the applicant may change this application."), "danger")
            return redirect(url_for("GoodBehaviourView.show", pk=pk))
        org = services.company_of(user)
        title = _("Change and resubmit %(number)s", number=item.number)
        intro = _("Returned because: %(reason)s", reason=item.reason or "-")
        if request.method == "GET":
            return self._form(title, org, services.form_values(item.payload), application=item, intro=intro)
        values, files = self._posted()
        try:
            services.amend(item, user, values, files)
        except DomainError as exc:
            db.session.rollback()
            return self._form(title, org, values, error=str(exc), application=item, intro=intro)
        flash(_("The application was resubmitted."), "success")
        return redirect(url_for("GoodBehaviourView.show", pk=pk))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        item = self._item(pk)
        try:
            services.transition_declaration(item, workflow.Action.TERMINATE, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(workflow.Action.TERMINATE)), "success")
        return redirect(url_for("GoodBehaviourView.show", pk=pk))


# --- public ------------------------------------------------------------------------------------

def _area_or_404(code):
    from app.complaints.services import area_by_code

    area = area_by_code(code) if code and len(code) <= 16 else None
    if area is None:
        abort(404)
    return area


class HonourPublicView(FormPage, BaseView):
    """A declaration on the area's public page, and the objection form (no login)."""

    route_base = "/area"
    default_view = "show"
    public_layout = True

    def _publicity(self, code, pk):
        area = _area_or_404(code)
        publicity = services.public_publicity(area, pk)
        if publicity is None:
            abort(404)
        return area, publicity

    @expose("/<code>/honour/<int:pk>")
    def show(self, code, pk):
        area, publicity = self._publicity(code, pk)
        return self.render_template(
            "anju/property/honour/public_show.html", title=publicity.title, area=area, p=publicity,
            running=publicity.running(now()), category=services.category_label(publicity.category),
            state=services.publicity_state_label(publicity))

    @expose("/<code>/honour/<int:pk>/object", methods=["GET", "POST"])
    def object(self, code, pk):
        area, publicity = self._publicity(code, pk)
        back = url_for("HonourPublicView.show", code=code, pk=pk)
        if not publicity.running(now()):
            flash(_("This declaration is not in publicity; objections are no longer taken."), "danger")
            if request.method == "POST":
                return redirect(back), 303
            return redirect(back)
        error = None
        if request.method == "POST":
            done, error = attempt(lambda: services.object_to(publicity, request.form, ip=client_ip()))
            if done is not None:
                flash(_("Your objection was received; the reviewer reads it before deciding."), "success")
                return redirect(back)
        fields = [
            field("declaration", _("Declaration"), "static", text=f"{publicity.title}（{area.name}）"),
            field("name", _("Name")),
            field("mobile", _("Mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.OBJECTION, mobile_field="mobile",
                  check=["name"]),
            field("content", _("Objection"), "textarea"),
        ]
        return self._render(_("Raise an objection"), fields, error=error,
                            intro=_("Publicity until %(end)s. Your name and mobile are seen only by the reviewing "
                                    "authority.", end=publicity.ends_at.strftime("%Y-%m-%d %H:%M")),
                            links=[(back, _("Back"))])


def register(appbuilder):
    from app.property.honour import jobs  # noqa: F401  (registers the scheduled job)
    from app.property.public import register_section

    menu(appbuilder, GoodBehaviourView(), "Good behaviour declaration", _l("Good behaviour declaration"),
         "fa-thumbs-o-up")
    appbuilder.add_view_no_menu(HonourPublicView())
    register_section("honour", services.public_section, order=60)
    services.register_worklist()
