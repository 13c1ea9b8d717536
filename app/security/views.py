"""FAB's security views with our rules: lockout messages, forced password change,
the password policy, Chinese names, organisation binding."""
from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db, ResetPasswordForm
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
    UserDBModelView,
    UserInfoEditView,
)
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from marshmallow import ValidationError as MaValidationError
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.core.validators import MobileValidator, ValidationError
from app.core.views import ConsoleListMixin, SaveLanding
from app.security.passwords import ensure_strong
from app.security.roles import role_label


class ZhDisplayMixin(ConsoleListMixin):
    """FAB's own security views do not use our base view: give them the console's list page
    (inline search, 序号, text buttons) and every shown column the console's cell text
    (是/否, minutes, empty for None) unless a formatter is declared."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from app.core.views import display

        formatters = dict(self.formatters_columns or {})
        shown = set(self.list_columns or []) | set(self.show_columns or [])
        for fieldsets in (self.show_fieldsets, getattr(self, "user_show_fieldsets", None)):
            for fieldset in fieldsets or []:
                shown |= set(fieldset[1].get("fields", []))
        for col in shown:
            formatters.setdefault(col, display)
        self.formatters_columns = formatters


class PolicyPasswordForm(ResetPasswordForm):
    password = PasswordField(
        _l("New password"),
        description=_l("8-20 characters with at least three of: upper case, lower case, digits, symbols"),
        validators=[DataRequired()],
    )
    conf_password = PasswordField(
        _l("Confirm password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match"))],
    )

    def validate_password(self, field):
        try:
            ensure_strong(field.data)
        except ValidationError as exc:
            from wtforms.validators import ValidationError as WtfError

            raise WtfError(str(exc))


def landing_url(user):
    """Public users and enterprises waiting for review land on their own pages; staff on the console."""
    names = {r.name for r in user.roles}
    if names and names <= {"public", "org_applicant"}:
        return url_for("MyAccountView.index")
    return current_app.appbuilder.get_url_for_index


class AnjuAuthDBView(AuthDBView):
    """Password login (account, mobile or credit code), SMS login (mobile or ID number),
    a picture code after 3 failures, and landing pages by role."""

    login_template = "anju/login.html"

    def _failures(self):
        return session.get("login_failures", 0)

    def _need_captcha(self, user=None):
        threshold = 3
        return self._failures() >= threshold or bool(user is not None and (user.fail_login_count or 0) >= threshold)

    def _page(self, tab="password", values=None):
        return self.render_template(self.login_template, title=self.title, appbuilder=self.appbuilder,
                                    tab=tab, need_captcha=self._need_captcha(), values=values or {})

    def _finish(self, user):
        session.pop("login_failures", None)
        login_user(user, remember=False)
        nxt = request.args.get("next", "")
        return redirect(get_safe_redirect(nxt) if nxt else landing_url(user))

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        from app.core import captcha
        from app.core.errors import DomainError

        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        tab = request.args.get("tab", "password")
        if request.method == "GET":
            return self._page(tab)
        tab = request.form.get("tab", "password")
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        values = {"username": username}
        if not username or not password:
            flash(_("Please enter the account and the password."), "warning")
            return self._page(tab, values)
        sm = self.appbuilder.sm
        known = sm.find_login_user(username)
        if self._need_captcha(known):
            try:
                captcha.check_session("login", request.form.get("captcha", ""))
            except DomainError as exc:
                session["login_failures"] = max(self._failures(), 3)
                sm.login_refused_for_captcha(known, username)
                flash(sm.login_refusal_message() if getattr(g, "login_refusal", None) == "locked" else str(exc),
                      "warning")
                return self._page(tab, values)
        user = sm.auth_user_db(username, password)
        if not user:
            session["login_failures"] = self._failures() + 1
            flash(sm.login_refusal_message(), "warning")
            return self._page(tab, values)
        return self._finish(user)

    @expose("/logout/", methods=["GET", "POST"])
    @no_cache
    def logout(self):
        """POST (with the form's CSRF token) signs out and ends every session and token of the
        account; GET only asks, so a link or an image on another page cannot sign anyone out."""
        from app.security.sessions import SESSION_KEY

        user = self._get_authenticated_user()
        if request.method == "GET":
            if user is None:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("anju/logout.html", appbuilder=self.appbuilder,
                                        title=_("Logout"))
        logout_user()
        session.pop(SESSION_KEY, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)

    @expose("/login/sms", methods=["POST"])
    @no_cache
    def login_sms(self):
        from app.accounts import sms_login as account_sms_login
        from app.core.errors import DomainError

        identifier = (request.form.get("identifier") or "").strip()
        try:
            user = account_sms_login.sms_login(identifier, request.form.get("sms_code"))
        except DomainError as exc:
            from app.extensions import db

            db.session.rollback()
            session["login_failures"] = self._failures() + 1
            flash(str(exc), "warning")
            return self._page("sms", {"identifier": identifier})
        return self._finish(user)


class AnjuResetMyPasswordView(ResetMyPasswordView):
    form = PolicyPasswordForm
    form_title = _l("Change password")
    message = _l("Your password has been changed")

    def form_post(self, form):
        try:
            self.appbuilder.sm.reset_password(g.user.id, form.password.data, force_change=False)
        except ValidationError as exc:
            flash(str(exc), "danger")
            return
        flash(str(self.message), "info")


class AnjuResetPasswordView(ResetPasswordView):
    form = PolicyPasswordForm
    form_title = _l("Reset password")
    message = _l("The password has been reset; the user must change it at the next login")

    def form_post(self, form):
        from app.core.scope import can_see

        pk = request.args.get("pk")
        user = self.appbuilder.sm.get_user_by_id(pk) if pk and pk.isdigit() else None
        if user is None or not can_see(user):
            flash(_("The user does not exist or is outside your scope."), "danger")
            return
        from app.core.errors import DomainError
        from app.security import authority

        try:
            authority.check_account_action(g.user, user, authority.RESET_PASSWORD)
        except DomainError as exc:
            flash(str(exc), "danger")
            return
        self.appbuilder.sm.reset_password(user.id, form.password.data, force_change=True)
        flash(str(self.message), "info")


class AnjuUserInfoEditView(UserInfoEditView):
    form_title = _l("Edit my information")
    message = _l("Your information has been saved")


def _roles_formatter(roles):
    return "、".join(str(role_label(r.name)) for r in roles or [])


class AnjuUserDBModelView(ZhDisplayMixin, SaveLanding, UserDBModelView):
    """Sysadmin's list of every account."""

    list_title = _l("Users")
    show_title = _l("User details")
    add_title = _l("Add user")
    edit_title = _l("Edit user")
    label_columns = {
        **UserDBModelView.label_columns,
        "first_name": _l("Full name"),
        "org": _l("Organization"),
        "mobile": _l("Mobile"),
        "locked_until": _l("Locked until"),
        "must_change_password": _l("Must change password"),
        "password_changed_at": _l("Password changed at"),
        "roles": _l("Roles"),
    }
    list_columns = ["username", "first_name", "mobile", "org", "roles", "active", "locked_until", "last_login"]
    search_columns = ["username", "first_name", "mobile", "org", "roles", "active", "last_login"]
    add_columns = ["username", "first_name", "mobile", "email", "org", "roles", "active", "password", "conf_password"]
    edit_columns = ["username", "first_name", "mobile", "email", "org", "roles", "active", "must_change_password"]
    show_fieldsets = [
        (_l("Account information"), {"fields": ["username", "first_name", "mobile", "email", "org", "roles", "active"]}),
        (_l("Security state"), {"fields": ["locked_until", "must_change_password", "password_changed_at",
                                      "last_login", "login_count", "fail_login_count"]}),
        (_l("Audit info"), {"fields": ["created_on", "created_by", "changed_on", "changed_by"], "expanded": False}),
    ]
    user_show_fieldsets = [
        (_l("Account information"), {"fields": ["username", "first_name", "mobile", "org", "roles"]}),
    ]
    validators_columns = {"mobile": [MobileValidator()]}
    formatters_columns = {"roles": _roles_formatter}
    base_order = ("id", "asc")
    # A NOT NULL boolean became a required checkbox: no user could be saved without forcing a
    # password change. An unticked box means "no".
    edit_form_extra_fields = {"must_change_password": BooleanField(_l("Must change password"))}

    def _authority(self, item, action=None):
        """The same authority rules as 机构账号 and the REST API (app/security/authority.py)."""
        from app.extensions import db
        from app.security import authority
        from app.system.services import check_role_grant

        try:
            if action is not None:
                authority.check_account_action(g.user, item, action)
            if action != authority.DELETE:
                check_role_grant(authority.roles_before(g.user), [r.name for r in item.roles or []],
                                 self.appbuilder.sm.auth_role_admin, old_roles=authority.roles_before(item))
        except Exception:
            db.session.rollback()
            raise

    def pre_add(self, item):
        self._authority(item)
        super().pre_add(item)
        item.last_name = item.last_name or ""
        item.must_change_password = True
        from datetime import datetime

        item.password_changed_at = datetime.now()

    def pre_update(self, item):
        from app.security import authority

        self._authority(item, authority.EDIT)
        item.last_name = item.last_name or ""

    def pre_delete(self, item):
        from app.security import authority

        self._authority(item, authority.DELETE)


class AnjuSecurityApi(SecurityApi):
    """JWT login with the same lockout and audit as the login form."""

    @expose("/login", methods=["POST"])
    def login(self):
        from flask_appbuilder.const import API_SECURITY_ACCESS_TOKEN_KEY, API_SECURITY_REFRESH_TOKEN_KEY
        from flask_appbuilder.security.schemas import login_post
        from flask_jwt_extended import create_access_token, create_refresh_token

        if not request.is_json:
            return self.response_400(message=_("The request body must be JSON"))
        try:
            payload = login_post.load(request.json)
        except MaValidationError as error:
            return self.response_400(message=error.messages)
        sm = self.appbuilder.sm
        user = sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response_401() if getattr(g, "login_refusal", None) != "locked" \
                else self.response(401, message=sm.login_refusal_message())
        resp = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id), fresh=True)}
        if payload.get("refresh"):
            resp[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
        return self.response(200, **resp)


from flask_appbuilder.security.views import RoleModelView  # noqa: E402


def _role_name(name):
    return _with_code(str(role_label(name)), name)


class AnjuRoleModelView(ZhDisplayMixin, SaveLanding, RoleModelView):
    """Roles shown by their Chinese label with the stable code beside it (the role widgets
    are overridden in app/templates/appbuilder/general/widgets/roles/ to use formatters)."""

    list_title = _l("Roles")
    show_title = _l("Role details")
    add_title = _l("Add role")
    edit_title = _l("Edit role")
    label_columns = {"name": _l("Role"), "permissions": _l("Permissions"), "user": _l("Users"),
                     "groups": _l("User groups")}
    formatters_columns = {
        "name": _role_name,
        "permissions": lambda perms: "、".join(sorted(str(p) for p in perms or [])),
    }


from flask_appbuilder.security.views import UserGroupModelView  # noqa: E402


class AnjuGroupModelView(ZhDisplayMixin, SaveLanding, UserGroupModelView):
    """FAB's group view declares no labels, so its headers stay English; ours are translated."""

    list_title = _l("List Groups")
    label_columns = {"name": _l("Group name"), "label": _l("Group label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}


from flask_appbuilder.security import views as _fab_views  # noqa: E402

# Our three keep FAB's class names: permission names and list arguments
# (psize_PermissionModelView, ...) are derived from them.


def _with_code(label, code):
    """A Chinese name with its stable code small beside it (as system parameters show keys)."""
    from markupsafe import Markup

    if label == code:
        return code
    return Markup('{} <small class="text-muted anju-code">{}</small>').format(label, code)


def _permission_name(name):
    from app.security.labels import permission_label

    return _with_code(permission_label(name), name)


def _view_name(name):
    from app.security.labels import view_label

    return _with_code(view_label(name), name)


class PermissionModelView(ZhDisplayMixin, SaveLanding, _fab_views.PermissionModelView):
    """Base permissions by their Chinese name, the code beside it."""

    list_title = _l("Base permissions")
    label_columns = {"name": _l("Permission")}
    formatters_columns = {"name": _permission_name}


class ViewMenuModelView(ZhDisplayMixin, SaveLanding, _fab_views.ViewMenuModelView):
    """Views and menus by their Chinese name, the code beside it."""

    list_title = _l("Views and menus")
    label_columns = {"name": _l("View or menu")}
    formatters_columns = {"name": _view_name}


class PermissionViewModelView(ZhDisplayMixin, SaveLanding, _fab_views.PermissionViewModelView):
    """Permissions on views, both halves in Chinese."""

    list_title = _l("Permissions on views")
    label_columns = {"permission": _l("Permission"), "view_menu": _l("View or menu"), "role": _l("Roles")}
    formatters_columns = {"permission": lambda p: str(p) if p is not None else "",
                          "view_menu": lambda v: str(v) if v is not None else ""}
