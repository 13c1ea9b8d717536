"""Accounts screens: registration, activation, SMS codes, the personal centre, real-name,
change of mobile, enterprise lookup, staff accounts, agency filing, helpdesk, and the
real-name registry. Thin: every rule is in app/accounts/services.py."""
from functools import wraps

from flask import abort, flash, g, jsonify, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from app.accounts import helpdesk, services, sms_login
from app.accounts.models import (
    ID_TYPE_LABELS,
    REALNAME_LABELS,
    IdType,
    Person,
    RealnameRegistry,
)
from app.core import captcha, sms, uploads, workflow, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.core.validators import ValidationError, check_resident_id
from app.extensions import db
from app.system.models import Region


def field(name, label, kind="text", required=True, options=None, help=None, **extra):
    return {"name": name, "label": label, "kind": kind, "required": required,
            "options": options or [], "help": help, **extra}


def client_ip():
    return (request.remote_addr or "")[:45]


def login_required(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        if current_user_obj() is None:
            return redirect(url_for("AnjuAuthDBView.login", next=request.full_path))
        return fn(*args, **kwargs)

    return wrapper


def realname_required(fn):
    """For views that need a verified identity (SPEC §3): refuse with a link to verify."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        user = current_user_obj()
        if user is None:
            return redirect(url_for("AnjuAuthDBView.login", next=request.full_path))
        if not services.is_realname_verified(user):
            message = _("Your identity is not verified yet. Complete real-name verification first.")
            if request.path.startswith("/api/"):
                return jsonify(message=message, verify_url=url_for("MyAccountView.realname")), 403
            flash(message, "warning")
            return redirect(url_for("MyAccountView.realname", next=request.full_path))
        return fn(*args, **kwargs)

    return wrapper


def attempt(call):
    """Run one service call: ``(result, None)``, or on a broken rule roll back, flash the
    Chinese message and return ``(None, message)`` so the page is shown again with the values."""
    try:
        return call(), None
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return None, str(exc)


def _form_values(exclude=("password", "confirm", "csrf_token", "sms_code", "captcha")):
    return {k: v for k, v in request.form.items() if k not in exclude}


def _city_options():
    rows = db.session.execute(select(Region).where(Region.level == "city").order_by(Region.code)).scalars()
    return [("", _("Please choose"))] + [(r.code, r.name) for r in rows]


def _district_options():
    rows = db.session.execute(select(Region).where(Region.level == "district").order_by(Region.code)).scalars()
    return [("", _("Please choose"))] + [(r.code, r.name, r.parent_code) for r in rows]


def _id_type_options():
    return [(code, str(label)) for code, label in ID_TYPE_LABELS.items()]


def _enterprise_options():
    return [("", _("Please choose"))] + [(k, str(v)) for k, v in services.ENTERPRISE_TYPES.items()]


PUBLIC_LAYOUT = "anju/public_base.html"
CONSOLE_LAYOUT = "appbuilder/base.html"


class FormPage:
    """Views whose pages are one declared form (app/templates/anju/accounts/form.html).
    ``public_layout``: the page is for citizens (registration, complaints) and uses the public
    layout instead of the console's."""

    public_layout = False

    def _render(self, title, fields, values=None, submit=None, intro=None, error=None, links=None,
                form_id="anju-form"):
        return self.render_template("anju/accounts/form.html", title=title, fields=fields,
                                    values=values if values is not None else _form_values(),
                                    submit=submit or _("Submit"), intro=intro,
                                    error=error, links=links or [], form_id=form_id,
                                    layout=PUBLIC_LAYOUT if self.public_layout else CONSOLE_LAYOUT,
                                    public=self.public_layout)


class RegistrationView(FormPage, BaseView):
    """Public pages: registration, activation, picture and SMS codes, enterprise lookup."""

    route_base = ""
    default_view = "choose"
    public_layout = True

    @expose("/register/")
    def choose(self):
        return self.render_template("anju/accounts/register.html")

    # --- codes ---
    @expose("/captcha/<purpose>.png")
    def captcha_image(self, purpose):
        if purpose not in ("sms", "login"):
            abort(404)
        png = captcha.issue_for_session(purpose)
        resp = make_response(png)
        resp.headers["Content-Type"] = "image/png"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @expose("/sms/send", methods=["POST"])
    def send_sms_code(self):
        purpose = request.form.get("purpose", "")
        target = request.form.get("mobile", "")
        try:
            if purpose not in (sms.SmsPurpose.REGISTER, sms.SmsPurpose.LOGIN, sms.SmsPurpose.ACTIVATE,
                               sms.SmsPurpose.CHANGE_MOBILE, sms.SmsPurpose.COMPLAINT,
                               sms.SmsPurpose.OBJECTION):
                raise DomainError(_("Unknown purpose of the code."))
            if purpose == sms.SmsPurpose.CHANGE_MOBILE and current_user_obj() is None:
                raise DomainError(_("Please sign in first."))
            # Formats first (the page's button sends the fields its form will submit): a form
            # the submission would refuse spends neither the picture code nor an SMS.
            checked = {k: request.form.get(f"check.{k}", "") for k in (*sms_login.CODE_REQUEST_CHECKS, "id_type")
                       if f"check.{k}" in request.form}
            try:
                sms_login.check_code_request(purpose, target, checked)
            except DomainError as exc:
                return jsonify(ok=False, message=str(exc), captcha_kept=True), 422
            captcha.check_session("sms", request.form.get("captcha", ""))
            if purpose == sms.SmsPurpose.LOGIN:
                sms_login.send_login_code(target, ip=client_ip())
            else:
                sms.send_code(services.clean_mobile(target), purpose, ip=client_ip())
        except DomainError as exc:
            db.session.rollback()
            return jsonify(ok=False, message=str(exc)), 422
        return jsonify(ok=True, message=_("The code has been sent; it is valid for %(n)s minutes.",
                                          n=_ttl()), wait=_cooldown())

    # --- personal registration ---
    def _person_fields(self):
        return [
            field("name", _("Name")),
            field("id_type", _("ID type"), "select", options=_id_type_options()),
            field("id_number", _("ID number")),
            field("mobile", _("Mobile"), help=_("The number must be registered under your real name with the carrier.")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.REGISTER, mobile_field="mobile",
                  check=["name", "id_type", "id_number"]),
            field("password", _("Password"), "password", help=_("8-20 characters with at least three of: upper case, lower case, digits, symbols")),
            field("confirm", _("Confirm password"), "password"),
        ]

    @expose("/register/person", methods=["GET", "POST"])
    def person(self):
        error = None
        if request.method == "POST":
            f = request.form
            _done, error = attempt(lambda: services.register_person(f.get("name"), f.get("id_type"), f.get("id_number"), f.get("mobile"),
                                         f.get("sms_code"), f.get("password"), f.get("confirm")))
            if error is None:
                flash(_("Registration complete. Please sign in."), "success")
                return redirect(url_for("AnjuAuthDBView.login"))
        return self._render(_("Personal registration"), self._person_fields(), _form_values(),
                            submit=_("Register"), error=error,
                            links=[(url_for("RegistrationView.org"), _("Register an organisation instead"))])

    # --- organisation registration ---
    def _org_fields(self, with_account=True):
        fields = [
            field("city_code", _("Registration city"), "select", options=_city_options()),
            field("district_code", _("District"), "select", options=_district_options(), dependent="city_code"),
            field("enterprise_type", _("Enterprise type"), "select", options=_enterprise_options()),
        ]
        if with_account:
            fields.append(field("credit_code", _("Unified social credit code"),
                                help=_("18 characters; it becomes your login name.")))
        fields += [field("name", _("Enterprise name")), field("legal_rep", _("Legal representative"))]
        if with_account:
            fields += [
                field("mobile", _("Mobile")),
                field("captcha", _("Picture code"), "captcha", purpose="sms"),
                field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.REGISTER, mobile_field="mobile",
                      check=["credit_code"]),
                field("password", _("Password"), "password",
                      help=_("8-20 characters with at least three of: upper case, lower case, digits, symbols")),
                field("confirm", _("Confirm password"), "password"),
            ]
        fields.append(field("files", _("Documents"), "file", required=with_account,
                            help=_("Business licence and other documents: pdf, jpg, png, docx or xlsx, up to 10 files.")))
        if with_account:
            fields.append(field("agreed", _("Agreement"), "checkbox",
                                text=_("I have read and accept the 《机构注册协议》 (organisation registration agreement)"),
                                link=url_for("RegistrationView.agreement")))
        return fields

    @expose("/register/agreement")
    def agreement(self):
        return self.render_template("anju/accounts/agreement.html")

    @expose("/register/org", methods=["GET", "POST"])
    def org(self):
        error = None
        if request.method == "POST":
            data = dict(request.form.items())
            data["agreed"] = bool(request.form.get("agreed"))
            files = [f for f in request.files.getlist("files") if f and f.filename]
            application, error = attempt(lambda: services.register_org(data, files, ip=client_ip()))
            if error is None:
                flash(_("Registration submitted as %(number)s. It waits for review; sign in with the credit "
                        "code to follow it.", number=application.number), "success")
                return redirect(url_for("AnjuAuthDBView.login"))
        return self._render(_("Organisation registration"), self._org_fields(), _form_values(),
                            submit=_("Register"), error=error,
                            links=[(url_for("RegistrationView.person"), _("Register a person instead"))])

    @expose("/register/org/correct/<int:pk>", methods=["GET", "POST"])
    @login_required
    def correct_org(self, pk):
        user = current_user_obj()
        application = db.session.get(workflow.Application, pk)
        if application is None or application.applicant_id != user.id \
                or application.app_type != services.ORG_REGISTRATION:
            abort(404)
        org = db.session.get(services.Organization, application.subject_id)
        error = None
        if request.method == "POST":
            files = [f for f in request.files.getlist("files") if f and f.filename]
            _done, error = attempt(lambda: services.correct_org_registration(application, user, dict(request.form.items()), files))
            if error is None:
                flash(_("The application was resubmitted."), "success")
                return redirect(url_for("ApplicationView.show", pk=application.id))
        values = _form_values() if request.method == "POST" else {
            "city_code": (application.payload or {}).get("city_code"), "district_code": org.region_code,
            "enterprise_type": org.enterprise_type, "name": org.name, "legal_rep": org.legal_rep}
        return self._render(_("Correct and resubmit %(number)s", number=application.number),
                            self._org_fields(with_account=False), values, submit=_("Resubmit"), error=error,
                            intro=_("Returned because: %(reason)s", reason=application.reason or "-"))

    # --- staff activation ---
    @expose("/register/staff", methods=["GET", "POST"])
    def staff(self):
        error = None
        if request.method == "POST":
            f = request.form
            _done, error = attempt(lambda: services.activate_staff_account(f.get("name"), f.get("id_number"), f.get("mobile"),
                                                f.get("sms_code"), f.get("password"), f.get("confirm")))
            if error is None:
                flash(_("Your account is active. Sign in, then complete real-name verification."), "success")
                return redirect(url_for("AnjuAuthDBView.login"))
        fields = [
            field("name", _("Name")), field("id_number", _("Resident ID number")), field("mobile", _("Mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.ACTIVATE, mobile_field="mobile",
                  check=["name", "id_number"]),
            field("password", _("Password"), "password"), field("confirm", _("Confirm password"), "password"),
        ]
        return self._render(_("Activate a staff account"), fields, _form_values(), submit=_("Activate"),
                            error=error, intro=_("Your enterprise opened this account for you. Enter the same name, "
                                                 "ID number and mobile as your enterprise recorded."))

    # --- public enterprise lookup (seed 003 §4) ---
    @expose("/enterprise-lookup")
    def enterprise_lookup(self):
        code = request.args.get("code", "").strip()
        result, error = None, None
        if code:
            try:
                result = services.lookup_enterprise(code)
            except DomainError as exc:
                error = str(exc)
        return self.render_template("anju/accounts/lookup.html", code=code, result=result, error=error)


def _ttl():
    from app.system.params import get_param

    return get_param("sms.code_ttl_minutes")


def _cooldown():
    from app.system.params import get_param

    return get_param("sms.resend_seconds")


class MyAccountView(FormPage, BaseView):
    """个人中心: identity, real-name state, mobile, own applications."""

    route_base = "/my"
    default_view = "index"

    @expose("/")
    @login_required
    def index(self):
        user = current_user_obj()
        person = services.person_of(user)
        apps = db.session.execute(
            select(workflow.Application).where(workflow.Application.applicant_id == user.id)
            .order_by(workflow.Application.id.desc()).limit(50)).scalars().all()
        return self.render_template("anju/accounts/my.html", user=user, person=person, applications=apps,
                                    problem=services.staff_account_problem(user))

    @expose("/realname", methods=["GET", "POST"])
    @login_required
    def realname(self):
        user = current_user_obj()
        person = services.person_of(user)
        if person is None:
            flash(_("This account has no personal identity to verify."), "warning")
            return redirect(url_for("MyAccountView.index"))
        error = None
        if request.method == "POST":
            f = request.form
            checked, error = attempt(lambda: services.submit_realname(user, f.get("name"), f.get("id_type"),
                                                                      f.get("id_number")))
            if error is None:
                person = checked
                if person.realname_status == "verified":
                    flash(_("Real-name verification passed."), "success")
                    from flask_appbuilder.utils.base import get_safe_redirect

                    nxt = get_safe_redirect(request.args.get("next", ""))
                    return redirect(nxt if request.args.get("next") else url_for("MyAccountView.index"))
                flash(_("Real-name verification failed: %(reason)s", reason=person.realname_reason), "danger")
        return self.render_template("anju/accounts/realname.html", person=person, error=error,
                                    id_types=_id_type_options(), values=_form_values() or {
                                        "name": person.name, "id_type": person.id_type,
                                        "id_number": person.id_number})

    @expose("/mobile", methods=["GET", "POST"])
    @login_required
    def mobile(self):
        user = current_user_obj()
        error = None
        if request.method == "POST":
            _done, error = attempt(lambda: services.change_mobile(user, request.form.get("mobile"), request.form.get("sms_code")))
            if error is None:
                flash(_("Your mobile number has been changed."), "success")
                return redirect(url_for("MyAccountView.index"))
        fields = [
            field("mobile", _("New mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.CHANGE_MOBILE, mobile_field="mobile"),
        ]
        return self._render(_("Change mobile"), fields, submit=_("Bind the new number"), error=error,
                            intro=_("A code is sent to the new number."))


class StaffAccountView(FormPage, BaseView):
    """An enterprise admin opens accounts for staff, bound by ID number (seed 003 §5)."""

    route_base = "/staffaccounts"
    default_view = "add"
    class_permission_name = "StaffAccountView"
    method_permission_name = {"add": "add"}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        from app.security.roles import grantable_roles, role_label

        user = current_user_obj()
        roles = [r for r in services.STAFF_ROLES if r in grantable_roles([x.name for x in user.roles])]
        error = None
        if request.method == "POST":
            f = request.form
            _done, error = attempt(lambda: services.open_staff_account(
                user, f.get("name"), f.get("id_number"), f.get("mobile"), f.get("role"),
                staff_id=f.get("staff_id") or None))
            if error is None:
                flash(_("The account was opened. The person activates it at %(url)s with an SMS code.",
                        url=url_for("RegistrationView.staff", _external=False)), "success")
                return redirect(url_for("OrgUserView.list"))
        fields = []
        records = services.staff_record_choices(user)
        chosen = request.values.get("staff_id", "")
        if records or chosen:
            # Start from a staff record (masked for the viewer) instead of retyping it.
            fields.append(field("staff_id", _("Staff record"), "select", required=False,
                                options=[("", _("None: type the person's details below"))]
                                + [(str(pk), label) for pk, label in records],
                                replaces=["name", "id_number"],
                                help=_("Choose the staff record: the account takes its name, ID number and "
                                       "mobile. Type a mobile below only to use another number.")))
        fields += [
            field("name", _("Name")), field("id_number", _("Resident ID number")), field("mobile", _("Mobile")),
            field("role", _("Role"), "select", options=[(r, str(role_label(r))) for r in roles]),
        ]
        values = _form_values() if request.method == "POST" else {
            k: request.args[k] for k in ("staff_id", "role") if request.args.get(k)}
        return self._render(_("Open a staff account"), fields, values, submit=_("Open account"), error=error,
                            intro=_("The account is bound to the person by ID number; the person activates "
                                    "it with an SMS code and then verifies their real name."))


class AgencyFilingView(FormPage, BaseView):
    """Government staff file an agency (seed 001 机构备案申请)."""

    route_base = "/agencyfiling"
    default_view = "add"
    class_permission_name = "AgencyFilingView"
    method_permission_name = {"add": "add"}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        user = current_user_obj()
        error = None
        if request.method == "POST":
            application, error = attempt(lambda: services.file_agency(user, dict(request.form.items())))
            if error is None:
                flash(_("Agency filing %(number)s submitted for review.", number=application.number), "success")
                return redirect(url_for("ApplicationView.show", pk=application.id))
        districts = [("", _("Please choose"))] + [(c, n) for c, n, _p in _district_options()[1:]]
        fields = [
            field("name", _("Agency name")), field("credit_code", _("Unified social credit code")),
            field("legal_rep", _("Legal representative")), field("contact_name", _("Contact person")),
            field("contact_mobile", _("Contact mobile"),
                  help=_("The admin account and its one-time password are sent to this number on approval.")),
            field("district_code", _("District"), "select", options=districts),
            field("address", _("Business address")),
        ]
        return self._render(_("Agency filing application"), fields, error=error,
                            intro=_("On approval the agency and its administrator account (login: the "
                                    "credit code) are created with a one-time password."))


class HelpdeskView(BaseView):
    """客服: look up accounts and their states; unlock; resend the verification SMS."""

    route_base = "/helpdesk"
    default_view = "index"
    class_permission_name = "HelpdeskView"
    method_permission_name = {"index": "lookup", "unlock": "unlock", "resend": "resend"}

    @expose("/")
    @has_access
    def index(self):
        q = request.args.get("q", "").strip()
        rows, kind, error = None, None, None
        if q:
            try:
                kind, rows = helpdesk.helpdesk_lookup(current_user_obj(), q)
            except DomainError as exc:
                error = str(exc)
        return self.render_template("anju/accounts/helpdesk.html", q=q, rows=rows, kind=kind, error=error)

    @expose("/unlock/<int:user_id>", methods=["POST"])
    @has_access
    def unlock(self, user_id):
        try:
            helpdesk.helpdesk_unlock(current_user_obj(), user_id)
            flash(_("The account was unlocked."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("HelpdeskView.index", q=request.form.get("q", "")))

    @expose("/resend/<int:user_id>", methods=["POST"])
    @has_access
    def resend(self, user_id):
        try:
            helpdesk.helpdesk_resend(current_user_obj(), user_id, ip=client_ip())
            flash(_("A verification SMS was sent to the account's mobile."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("HelpdeskView.index", q=request.form.get("q", "")))


# --- lists ---------------------------------------------------------------------------------------

REGISTRY_COLUMNS = [
    xlsx.XColumn(key="name", label=_l("Name"), required=True, max_length=64),
    xlsx.XColumn(key="id_type", label=_l("ID type"), kind="choice", required=False,
                 choices=lambda: list(ID_TYPE_LABELS.items()), example="居民身份证"),
    xlsx.XColumn(key="id_number", label=_l("ID number"), required=True, max_length=32, width=22),
    xlsx.XColumn(key="source", label=_l("Source"), required=False, max_length=64),
]


class RealnameRegistryView(AnjuModelView):
    """The reference registry behind the default real-name adapter (sysadmin imports it)."""

    datamodel = ScopedInterface(RealnameRegistry)
    list_title = _l("Real-name registry")
    show_title = _l("Registry entry")
    add_title = _l("Add registry entry")
    edit_title = _l("Edit registry entry")
    label_columns = {"name": _l("Name"), "id_type": _l("ID type"), "id_number": _l("ID number"),
                     "source": _l("Source"), "imported_at": _l("Imported at")}
    list_columns = ["name", "id_type", "id_number", "source", "imported_at"]
    search_columns = ["name", "id_number", "source"]
    add_columns = edit_columns = ["name", "id_type", "id_number", "source"]
    show_columns = list_columns
    mask_columns = {"name": "name", "id_number": "id_number"}
    formatters_columns = {"id_type": lambda v: str(ID_TYPE_LABELS.get(v, v))}
    # The ID type is chosen by its Chinese name, not typed as a code (resident_id).
    add_form_extra_fields = edit_form_extra_fields = {
        "id_type": SelectField(_l("ID type"), choices=_id_type_options),
    }
    base_order = ("id", "desc")
    xlsx_columns = REGISTRY_COLUMNS
    xlsx_title = _l("Real-name registry")
    import_unique = ("id_number",)

    def validate_import(self, rows):
        return services.validate_registry_rows(rows)

    def import_rows(self, rows):
        return services.import_registry_rows(rows)

    def pre_add(self, item):
        self._clean(item)

    def pre_update(self, item):
        self._clean(item)

    def _clean(self, item):
        try:
            item.id_type = item.id_type or IdType.RESIDENT
            item.name = services.clean_name(item.name)
            item.id_number = services.clean_id(item.id_type, item.id_number)
        except DomainError as exc:
            raise ValueError(str(exc))


class PersonView(AnjuModelView):
    """Registered persons and their real-name state (read-only, masked)."""

    datamodel = ScopedInterface(Person)
    list_title = _l("Persons")
    show_title = _l("Person details")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {"name": _l("Name"), "id_type": _l("ID type"), "id_number": _l("ID number"),
                     "mobile": _l("Mobile"), "org": _l("Organization"), "realname_status": _l("Real-name state"),
                     "realname_reason": _l("Reason"), "realname_at": _l("Verified at"),
                     "activation": _l("Activation"), "created_on": _l("Registered at")}
    list_columns = ["name", "id_type", "id_number", "mobile", "org", "realname_status", "realname_reason",
                    "created_on"]
    show_columns = list_columns + ["realname_at", "activation"]
    search_columns = ["name", "id_number", "mobile", "realname_status"]
    mask_columns = {"name": "name", "id_number": "id_number", "mobile": "mobile"}
    formatters_columns = {
        "id_type": lambda v: str(ID_TYPE_LABELS.get(v, v)),
        "realname_status": lambda v: str(REALNAME_LABELS.get(v, v)),
        "activation": lambda v: str(_("Active")) if v == "active" else str(_("Waiting for activation")),
    }
    base_order = ("id", "desc")


def register(appbuilder):
    from flask import current_app

    from app.system.params import get_param

    # {{ site_param('site.service_contact') }}: the public layout's footer reads a parameter.
    current_app.jinja_env.globals["site_param"] = get_param
    from app.accounts import charts; charts.register()  # noqa: E702  (dashboard chart and its summary rows)
    appbuilder.add_view_no_menu(RegistrationView())
    appbuilder.add_view_no_menu(MyAccountView())
    appbuilder.add_view(HelpdeskView(), "Helpdesk lookup", label=_l("Helpdesk lookup"),
                        category="Accounts", category_label=_l("Accounts"), icon="fa-headphones")
    appbuilder.add_view(PersonView(), "Persons", label=_l("Persons"), category="Accounts",
                        icon="fa-id-card")
    appbuilder.add_view(RealnameRegistryView(), "Real-name registry", label=_l("Real-name registry"),
                        category="Accounts", icon="fa-database")
    appbuilder.add_view(StaffAccountView(), "Open staff account", label=_l("Open staff account"),
                        category="Accounts", icon="fa-user-plus")
    services.register_worklist()
    appbuilder.add_view(AgencyFilingView(), "Agency filing", label=_l("Agency filing"),
                        category="Accounts", icon="fa-building")
