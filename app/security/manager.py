"""Our SecurityManager: lockout counted in the database, forced password change,
idle timeout, password policy everywhere a password is set, and audit of every
login, failed login, logout and lock."""
import logging
from datetime import datetime, timedelta

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext as _
from flask_login import logout_user
from sqlalchemy import func, select, update

from app.core import audit, mixins  # mixins.now(): the lockout's clock
from app.core.audit import AuditAction
from app.core.cache import cached
from app.security.models import AnjuUser
from app.security import sessions
from app.security.passwords import ensure_strong
from app.system.params import get_param

log = logging.getLogger(__name__)

#: The tables a role's permissions are read from, and how late another process's change to
#: them may be seen here (this process's own changes count at once).
PERMISSION_TABLES = ("ab_permission_view_role", "ab_permission_view", "ab_permission", "ab_view_menu", "ab_role")
PERMISSIONS_TTL = 10.0

#: Seconds by which the session's last activity moves before it is written again (the idle
#: timeout is then kept to within this many seconds of the parameter's minutes).
LAST_SEEN_STEP = 30
# Endpoints a user who must change the password may still reach.
_PASSWORD_CHANGE_ALLOWED = {
    "ResetMyPasswordView.this_form_get",
    "ResetMyPasswordView.this_form_post",
    "AuthDBView.logout",
    "AuthDBView.login",
    "LocaleView.index",
    "appbuilder.static",
    "static",
}


# Pages a user may always reach: own account, registration, login, password, language.
_OWN_PAGES = ("MyAccountView.", "RegistrationView.", "AnjuAuthDBView.", "AnjuResetMyPasswordView.",
              "LocaleView.", "uploads.")


class AnjuSecurityManager(SecurityManager):
    user_model = AnjuUser

    def __init__(self, appbuilder):
        from app.security import views as sec_views

        self.userdbmodelview = sec_views.AnjuUserDBModelView
        self.authdbview = sec_views.AnjuAuthDBView
        self.resetmypasswordview = sec_views.AnjuResetMyPasswordView
        self.resetpasswordview = sec_views.AnjuResetPasswordView
        self.userinfoeditview = sec_views.AnjuUserInfoEditView
        self.security_api = sec_views.AnjuSecurityApi
        self.rolemodelview = sec_views.AnjuRoleModelView
        self.groupmodelview = sec_views.AnjuGroupModelView
        self.permissionmodelview = sec_views.PermissionModelView
        self.viewmenumodelview = sec_views.ViewMenuModelView
        self.permissionviewmodelview = sec_views.PermissionViewModelView
        # FAB's statistics chart loads Google's chart loader: unusable on an offline intranet.
        self.userstatschartview = None
        super().__init__(appbuilder)

    # --- sessions and tokens carry the account's session epoch (app/security/sessions.py) ---
    def create_login_manager(self, app):
        lm = super().create_login_manager(app)
        lm.user_loader(self.load_user_session)
        return lm

    def get_user_by_id(self, pk):
        """The user with their roles and groups in one query (every request asks for both).
        The statement is built once: building it and its loader options again on every
        request cost a third of loading the user."""
        stmt = self.__dict__.get("_anju_user_by_id")
        if stmt is None:
            from sqlalchemy import bindparam, select
            from sqlalchemy.orm import joinedload

            model = self.user_model
            stmt = (select(model).options(joinedload(model.roles), joinedload(model.groups))
                    .where(model.id == bindparam("anju_user_pk")))
            self._anju_user_by_id = stmt
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        return self.session.execute(stmt, {"anju_user_pk": pk}).unique().scalar_one_or_none()

    def load_user_session(self, pk):
        """The user of a browser session, unless the session is from an ended epoch."""
        user = self.load_user(pk)
        if user is None or not sessions.session_is_current(user):
            return None
        return user

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(self._jwt_claims)
        jwt_manager.user_lookup_error_loader(self._jwt_refused)
        # No token, or a bearer value that is neither a token nor one of our API keys (e.g. a
        # key with another prefix): 401 in Chinese, not flask-jwt-extended's English (a 422 for
        # the latter).
        jwt_manager.unauthorized_loader(lambda _reason: (jsonify(message=_("Please sign in first.")), 401))
        jwt_manager.invalid_token_loader(
            lambda _reason: (jsonify(message=_("The API key or sign-in token is not valid.")), 401))
        jwt_manager.expired_token_loader(self._jwt_refused)
        return jwt_manager

    def _jwt_claims(self, identity):
        """Every access and refresh token (login and refresh alike) carries the epoch."""
        return {sessions.JWT_CLAIM: sessions.current_epoch(int(identity), self.session)}

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = self.load_user(jwt_data["sub"])
        if user is None or not sessions.token_is_current(user, jwt_data):
            return None
        g.user = user
        return user

    @staticmethod
    def _jwt_refused(_jwt_header, _jwt_data):
        return jsonify(message=_("The sign-in has ended; please sign in again.")), 401

    # --- platforms' API keys (FAB_API_KEY_ENABLED; issued in app/rental/verification/apikeys.py) ---
    # last_used_on is written at most once per this many seconds per key: a busy platform does
    # not write (and lock the key's row) on every request.
    API_KEY_TOUCH_SECONDS = 60

    def validate_api_key(self, api_key_string):
        """FAB's check of ``Authorization: Bearer anju_...`` (lookup hash, then the stored hash;
        the key active, not revoked, not expired; its account active), plus: why a key was
        refused (``g.api_key_refusal``, for a Chinese 401), which key signed in (``g.api_key``:
        id, prefix, name) and last_used_on written by one conditional UPDATE at most once a
        minute, outside the audited ORM flush (a use is not a change of the key)."""
        from flask_appbuilder.security.sqla.models import ApiKey
        from sqlalchemy import or_
        from werkzeug.security import check_password_hash

        g.api_key_refusal, g.api_key = "invalid", None
        if not api_key_string or len(api_key_string) > 256:
            return None
        lookup = self._compute_lookup_hash(api_key_string)
        key = self.session.execute(select(ApiKey).where(ApiKey.lookup_hash == lookup)).scalars().first()
        if key is None or not check_password_hash(key.key_hash, api_key_string):
            return None
        moment = datetime.now()
        if not key.active or key.revoked_on is not None:
            g.api_key_refusal = "revoked"
            return None
        if key.expires_on is not None and key.expires_on < moment:
            g.api_key_refusal = "expired"
            return None
        user = self.get_user_by_id(key.user_id)
        if user is None or not user.is_active:
            g.api_key_refusal = "inactive"
            return None
        g.api_key = {"id": key.id, "prefix": key.key_prefix, "name": key.name}
        stale = moment - timedelta(seconds=self.API_KEY_TOUCH_SECONDS)
        if key.last_used_on is None or key.last_used_on < stale:
            table = ApiKey.__table__
            # Conditional: of concurrent requests, one writes; the others find it fresh.
            self.session.execute(update(table).where(
                table.c.id == key.id, or_(table.c.last_used_on.is_(None), table.c.last_used_on < stale))
                .values(last_used_on=moment))
            self.session.commit()
        g.api_key_refusal = None
        g.user = user
        g._api_key_user = True
        return user

    @staticmethod
    def api_key_refusal_message():
        """Why the API key of this request was refused (None: no key was refused)."""
        reason = g.get("api_key_refusal")
        if reason == "revoked":
            return _("The API key has been revoked.")
        if reason == "expired":
            return _("The API key has expired.")
        if reason == "inactive":
            return _("The account of this API key is disabled.")
        if reason == "invalid":
            return _("The API key is not valid.")
        return None

    # --- permission checks, once per request ----------------------------------------
    def has_access(self, permission_name, view_name):
        """FAB queries the database for every check (one per menu item); remember the
        answers for the rest of the request."""
        from flask import has_request_context

        if not has_request_context():
            return super().has_access(permission_name, view_name)
        cache = g.setdefault("_anju_access", {})
        # Keyed by the acting user too: a request that signs someone in or out asks again.
        user = g.get("user")
        if hasattr(user, "_get_current_object"):     # FAB's g.user is the current_user proxy
            user = user._get_current_object()
        key = (getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", False) else None,
               permission_name, view_name)
        if key not in cache:
            pairs = g.get("_anju_perm_by_user", {}).get(key[0]) if key[0] is not None else None
            if pairs is not None and not getattr(g, "_api_key_user", False):
                # This signed-in user's pairs were read by an earlier check of the request:
                # FAB's answer for an active signed-in user is exactly this lookup.
                cache[key] = (permission_name, view_name) in pairs
            else:
                cache[key] = super().has_access(permission_name, view_name)
        return cache[key]

    def _has_view_access(self, user, permission_name, view_name):
        """Load the user's (permission, view) pairs in one query per request instead of
        one query per check (FAB checks every menu item separately)."""
        from flask import has_request_context
        from flask_appbuilder.security.sqla.models import (
            Permission,
            PermissionView,
            ViewMenu,
            assoc_permissionview_role,
        )

        if not has_request_context():
            return super()._has_view_access(user, permission_name, view_name)
        # The user's pairs once per request (None: a builtin role, answered by FAB).
        by_user = g.setdefault("_anju_perm_by_user", {})
        user_key = getattr(user, "id", None)
        if user_key not in by_user:
            roles = self.get_user_roles(user)
            if any(r.name in self.builtin_roles for r in roles):
                by_user[user_key] = None
            else:
                role_ids = tuple(sorted(r.id for r in roles))

                def load():
                    rows = self.session.execute(
                        select(Permission.name, ViewMenu.name)
                        .join(PermissionView, PermissionView.permission_id == Permission.id)
                        .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
                        .join(assoc_permissionview_role,
                              assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                        .where(assoc_permissionview_role.c.role_id.in_(role_ids))
                    ).all() if role_ids else []
                    return frozenset((p, v) for p, v in rows)

                # A role set's pairs are kept between requests (app/core/cache.py): a change to
                # the roles' permissions in this process counts at once, in others within
                # PERMISSIONS_TTL. The user's roles themselves are read on every request.
                by_user[user_key] = cached("permissions", role_ids, PERMISSION_TABLES, PERMISSIONS_TTL, load)
        pairs = by_user[user_key]
        if pairs is None:
            return super()._has_view_access(user, permission_name, view_name)
        return (permission_name, view_name) in pairs

    # --- passwords -------------------------------------------------------------------
    def add_user(self, username, first_name, last_name, email, role=None, password="",
                 hashed_password="", groups=None, commit=True, **extra):
        if password:
            ensure_strong(password)
        user = super().add_user(username, first_name, last_name, email, role=role,
                                password=password, hashed_password=hashed_password,
                                groups=groups, commit=False)
        if user:
            for key, value in extra.items():
                setattr(user, key, value)
            user.password_changed_at = datetime.now()
            if commit:
                self.session.commit()
        return user

    def reset_password(self, userid, password, force_change=None):
        """Set a password. A reset by someone else forces a change at next login."""
        ensure_strong(password)
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        acting = getattr(g, "user", None)
        by_self = acting is not None and getattr(acting, "id", None) == user.id
        user.must_change_password = (not by_self) if force_change is None else force_change
        user.password_changed_at = datetime.now()
        audit.record(AuditAction.PASSWORD, "AnjuUser", user.id,
                     summary=_("Changed by the user") if by_self else _("Reset by an administrator"))
        self.session.commit()  # the new password ends every session and token (sessions.py)
        if by_self:
            sessions.remember_epoch(user)  # ... except the one the user changed it in

    # --- login, lockout ------------------------------------------------------------------
    def find_login_user(self, username):
        user = self.find_user(username=username)
        if user is None and username:
            user = self.session.execute(
                select(AnjuUser).where(AnjuUser.mobile == username)
            ).scalars().first()
        return user

    def is_locked(self, user):
        return bool(user and user.locked_until and user.locked_until > mixins.now())

    def auth_user_db(self, username, password):
        g.login_refusal = None
        user = self.find_login_user(username) if username else None
        if user is not None and self.is_locked(user):
            g.login_refusal = "locked"
            g.locked_until = user.locked_until
            audit.record(AuditAction.LOGIN_FAILED, "AnjuUser", user.id,
                         summary=_("Refused: the account is locked"), user=user, commit=True)
            return None
        if user is not None and not user.active:
            from app.accounts.models import ActivationStatus

            person = getattr(user, "person", None)
            g.login_refusal = "pending" if person is not None and person.activation == ActivationStatus.PENDING \
                else "inactive"
            audit.record(AuditAction.LOGIN_FAILED, "AnjuUser", user.id,
                         summary=_("Refused: the account is not active"), user=user, commit=True)
            return None
        if user is not None and user.username != username:
            username = user.username  # login by mobile
        result = super().auth_user_db(username, password)
        if result is None and user is None:
            # FAB does not call on_user_login_failed for unknown names.
            audit.record(AuditAction.LOGIN_FAILED, summary=_("Unknown account: %(name)s", name=str(username)[:64]),
                         commit=True)
        return result

    def update_user_auth_stat(self, user, success=True):
        if success:
            user.fail_login_count = 0
            user.locked_until = None
            return super().update_user_auth_stat(user, True)
        self.count_failed_login(user, lambda count, threshold: _(
            "Wrong password (%(count)s of %(max)s)", count=count, max=threshold))

    def count_failed_login(self, user, summary):
        """Count one failed login of a known account, audit it with ``summary(count, threshold)``
        and lock the account when the count reaches the threshold. The count is one UPDATE in
        the database, so every worker and every concurrent attempt agrees."""
        table = AnjuUser.__table__
        self.session.execute(
            update(table).where(table.c.id == user.id)
            .values(fail_login_count=func.coalesce(table.c.fail_login_count, 0) + 1)
        )
        count = self.session.execute(
            select(table.c.fail_login_count).where(table.c.id == user.id)
        ).scalar_one()
        self.session.expire(user, ["fail_login_count"])
        threshold = get_param("security.lockout_threshold")
        audit.record(AuditAction.LOGIN_FAILED, "AnjuUser", user.id, summary=summary(count, threshold), user=user)
        if count >= threshold:
            until = mixins.now() + timedelta(minutes=get_param("security.lockout_minutes"))
            self.session.execute(
                update(table).where(table.c.id == user.id)
                .values(locked_until=until, fail_login_count=0, session_epoch=table.c.session_epoch + 1)
            )
            self.session.expire(user, ["locked_until", "fail_login_count", "session_epoch"])
            g.login_refusal = "locked"
            g.locked_until = until
            audit.record(AuditAction.LOCKED, "AnjuUser", user.id,
                         summary=_("Locked until %(until)s", until=until.strftime("%Y-%m-%d %H:%M")), user=user)
        self.session.commit()

    def login_refused_for_captcha(self, user, username):
        """A password login refused because the picture code was missing or wrong: it counts
        toward the lockout like a wrong password, and is audited."""
        if user is None:
            audit.record(AuditAction.LOGIN_FAILED, summary=_(
                "Unknown account: %(name)s; missing or wrong picture code", name=str(username)[:64]), commit=True)
            return
        if self.is_locked(user):
            g.login_refusal, g.locked_until = "locked", user.locked_until
            audit.record(AuditAction.LOGIN_FAILED, "AnjuUser", user.id,
                         summary=_("Refused: the account is locked"), user=user, commit=True)
            return
        self.count_failed_login(user, lambda count, threshold: _(
            "Missing or wrong picture code (%(count)s of %(max)s)", count=count, max=threshold))

    def unlock(self, user):
        user.locked_until = None
        user.fail_login_count = 0
        audit.record(AuditAction.UNLOCKED, "AnjuUser", user.id)
        self.session.commit()

    def on_user_login(self, user):
        g.pop("_anju_access", None)
        session.permanent = True
        session["last_seen"] = datetime.now().timestamp()
        audit.record(AuditAction.LOGIN, "AnjuUser", user.id, user=user, commit=True)

    def on_user_logout(self, user):
        """Signing out ends every session and token of the account, not only this one."""
        g.pop("_anju_access", None)
        sessions.end_sessions(user, self.session)
        audit.record(AuditAction.LOGOUT, "AnjuUser", user.id, user=user, commit=True)

    @staticmethod
    def _api_guard():
        """JWT callers: refuse locked users and users who must change their password."""
        from flask_jwt_extended import current_user as jwt_user
        from flask_jwt_extended import verify_jwt_in_request

        try:
            verify_jwt_in_request(optional=True)
        except Exception:
            return None  # @protect answers 401 for a bad token
        user = jwt_user if jwt_user else None
        if user is None:
            return None
        if current_app.appbuilder.sm.is_locked(user):
            return jsonify(message=_("The account is locked.")), 401
        if getattr(user, "must_change_password", False):
            return jsonify(message=_("You must change your password before going on.")), 403
        return None

    def login_refusal_message(self):
        if getattr(g, "login_refusal", None) == "locked":
            until = g.locked_until
            return _("Too many failed logins: the account is locked until %(until)s.",
                     until=until.strftime("%Y-%m-%d %H:%M"))
        if getattr(g, "login_refusal", None) == "pending":
            return _("This account has not been activated yet; activate it first.")
        if getattr(g, "login_refusal", None) == "inactive":
            return _("This account is disabled or waiting for review; contact the helpdesk.")
        return _("Wrong account or password.")

    # --- every request ----------------------------------------------------------------
    @staticmethod
    def before_request():
        SecurityManager.before_request()
        sm = current_app.appbuilder.sm
        user = g.user
        if request.path.startswith("/api/") and not request.path.startswith("/api/v1/security/"):
            return AnjuSecurityManager._api_guard()
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        if request.endpoint in ("appbuilder.static", "static"):
            return None
        now = datetime.now().timestamp()
        last = session.get("last_seen")
        timeout = get_param("security.idle_timeout_minutes") * 60
        if last is not None and now - last > timeout:
            audit.record(AuditAction.LOGOUT, "AnjuUser", user.id, summary=_("Signed out after inactivity"),
                         user=user, commit=True)
            logout_user()
            session.pop("last_seen", None)
            flash(_("You were signed out after %(minutes)s minutes without activity.",
                    minutes=timeout // 60), "warning")
            return redirect(url_for("AnjuAuthDBView.login", next=request.full_path))
        if last is None or now - last >= LAST_SEEN_STEP:
            # Written when it moved by LAST_SEEN_STEP: an unchanged session is not signed and
            # sent again on every page (SESSION_REFRESH_EACH_REQUEST is off, config.py).
            session["last_seen"] = now
        if not session.permanent:
            session.permanent = True
        if sm.is_locked(user):
            logout_user()
            return redirect(url_for("AnjuAuthDBView.login"))
        if getattr(user, "must_change_password", False) and request.endpoint not in _PASSWORD_CHANGE_ALLOWED \
                and not (request.endpoint or "").startswith("AnjuResetMyPasswordView.") \
                and not (request.endpoint or "").startswith("AnjuAuthDBView."):
            if request.path.startswith("/api/"):
                return jsonify(message=_("You must change your password before going on.")), 403
            flash(_("Please change your password before going on."), "warning")
            return redirect(url_for("AnjuResetMyPasswordView.this_form_get"))
        endpoint = request.endpoint or ""
        if not endpoint.startswith(_OWN_PAGES) and endpoint not in _PASSWORD_CHANGE_ALLOWED:
            # Staff accounts (project leads) work only with a verified identity (seed 003 §6, §18).
            from app.accounts.services import staff_account_problem

            problem = staff_account_problem(user)
            if problem:
                flash(problem, "warning")
                return redirect(url_for("MyAccountView.index"))
        return None
