"""Authority over accounts: the one check every path that acts on an account calls
(机构账号 /orgusers/ pages and actions, FAB's own user views, the REST org_user API, the
password reset, the helpdesk unlock).

Rules: nobody acts on an account whose roles outrank their own (ranks in roles.py); nobody
deactivates or deletes their own account; the last active system administrator is never
deactivated, demoted or deleted. Refusals are DomainErrors with a Chinese message.
"""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, inspect, select

from app.core.errors import DomainError
from app.extensions import db
from app.security.models import AnjuUser
from app.security.roles import account_rank

EDIT = "edit"
DEACTIVATE = "deactivate"
DELETE = "delete"
RESET_PASSWORD = "reset_password"
UNLOCK = "unlock"
LOCK = "lock"


def _admin_role():
    return current_app.config.get("AUTH_ROLE_ADMIN", "sysadmin")


def roles_before(user):
    """Role names as stored, before changes made to ``user`` in this session (a form's)."""
    state = inspect(user)
    if state.transient or state.pending:
        return []
    hist = state.attrs.roles.history
    if hist.has_changes():
        return [r.name for r in list(hist.unchanged or []) + list(hist.deleted or [])]
    return [r.name for r in user.roles]


def active_before(user):
    state = inspect(user)
    hist = state.attrs.active.history
    if hist.deleted:
        return bool(hist.deleted[0])
    if hist.added and not hist.unchanged and state.persistent:
        return bool(db.session.execute(select(AnjuUser.active).where(AnjuUser.id == user.id)).scalar())
    return bool(user.active)


def other_active_admins(user_id):
    from flask_appbuilder.security.sqla.models import Role, assoc_user_role

    return db.session.execute(
        select(func.count(AnjuUser.id))
        .join(assoc_user_role, assoc_user_role.c.user_id == AnjuUser.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .where(Role.name == _admin_role(), AnjuUser.active.is_(True), AnjuUser.id != user_id)
    ).scalar()


def check_account_action(actor, target, action):
    """Raise DomainError unless ``actor`` may do ``action`` to ``target``. For EDIT, ``target``
    holds the form's new values (roles, active) and its history the stored ones."""
    with db.session.no_autoflush:
        if actor is None:
            raise DomainError(_("You may not act on an account whose roles outrank yours."))
        target_roles = roles_before(target)
        if account_rank(target_roles) > account_rank(roles_before(actor)):
            raise DomainError(_("You may not act on an account whose roles outrank yours."))
        is_self = actor.id == target.id
        was_active = active_before(target)
        deactivating = action == DEACTIVATE or (action == EDIT and was_active and target.active is False)
        if deactivating and is_self:
            raise DomainError(_("You cannot deactivate your own account"))
        if action == DELETE and is_self:
            raise DomainError(_("You cannot delete your own account"))
        admin = _admin_role()
        demoting = action == EDIT and admin not in [r.name for r in target.roles]
        if was_active and admin in target_roles and (deactivating or demoting or action == DELETE) \
                and not other_active_admins(target.id):
            raise DomainError(_("At least one active system administrator must remain: the last one "
                                "cannot be deactivated, demoted or deleted."))
