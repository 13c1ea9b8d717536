"""FAB's user extended with the organisation binding and the security baseline columns."""
from flask_appbuilder.security.sqla.models import ApiKey, Group, RegisterUser, Role, User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec


class AnjuUser(User):
    """Every user is bound to an organisation; its region gives the data scope."""

    __tablename__ = "ab_user"
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": "id"}

    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    mobile = Column(String(20), index=True)
    locked_until = Column(DateTime)
    must_change_password = Column(Boolean, default=False, nullable=False, server_default="0")
    password_changed_at = Column(DateTime)
    # Raised whenever every session and token of the account must end (logout, password
    # change or reset, lock, deactivation): sessions and JWTs carry the epoch they began in.
    session_epoch = Column(Integer, default=0, nullable=False, server_default="0")

    org = relationship("Organization", lazy="joined", foreign_keys=[org_id])

    def __repr__(self):
        # Wherever an account stands for its holder (a list cell, a select, a history row),
        # the holder's name as the viewer may see it.
        from app.core import masking

        return masking.person_text(self.get_full_name().strip() or self.username)
    __audit__ = AuditSpec(
        _l("Account"), row="username",
        labels={"first_name": _l("Full name"), "last_name": _l("Last Name"), "username": _l("Username"),
                "password": _l("Password"), "active": _l("Is Active?"), "email": _l("Email"),
                "last_login": _l("Last login"), "login_count": _l("Login count"),
                "fail_login_count": _l("Failed login count"), "org_id": _l("Organization"),
                "mobile": _l("Mobile"), "locked_until": _l("Locked until"),
                "must_change_password": _l("Must change password"),
                "password_changed_at": _l("Password changed at"), "session_epoch": _l("Sign-in generation"), "roles": _l("Roles"), "groups": _l("Groups"),
                "created": _l("Accounts created"), "changed": _l("Accounts changed"), "api_keys": _l("API keys")},
        masks={"first_name": "name", "last_name": "name", "mobile": "mobile", "email": "generic",
               "username": "account"},
    )

    @property
    def org_name(self):
        return self.org.name if self.org else ""

    @property
    def role_names(self):
        return [r.name for r in self.roles]


# FAB's own security tables, described here since their classes live in FAB.
User.__audit__ = AnjuUser.__audit__
Role.__audit__ = AuditSpec(
    _l("Role"), row=lambda r: _role_label(r.name),
    labels={"name": _l("Role code"), "permissions": _l("Permissions"), "user": _l("Users"), "groups": _l("Groups")},
)
Group.__audit__ = AuditSpec(
    _l("Group"), row="label",
    labels={"name": _l("Group name"), "label": _l("Group label"), "description": _l("Description"),
            "users": _l("Users"), "roles": _l("Roles")},
)
ApiKey.__audit__ = AuditSpec(
    _l("API key"), row="name",
    labels={"uuid": _l("Key ID"), "name": _l("Key name"), "key_hash": _l("Key hash"), "lookup_hash": _l("Lookup hash"),
            "key_prefix": _l("Key prefix"), "user_id": _l("Account"), "scopes": _l("Scopes"),
            "active": _l("Active"), "expires_on": _l("Expires on"), "revoked_on": _l("Revoked on"),
            "last_used_on": _l("Last used on")},
)
RegisterUser.__audit__ = AuditSpec(
    _l("Self-registration"), row="username",
    labels={"first_name": _l("Full name"), "last_name": _l("Last Name"), "username": _l("Username"),
            "password": _l("Password"), "email": _l("Email"), "registration_date": _l("Registered at"),
            "registration_hash": _l("Registration code")},
    masks={"first_name": "name", "last_name": "name", "email": "generic"},
)


def _role_label(code):
    from app.security.roles import role_label

    return str(role_label(code))
