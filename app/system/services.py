"""Rules of the system module: the organisation tree, imports, user accounts."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.security.passwords import ensure_strong
from app.security.roles import grantable_roles
from app.system.models import DictItem, DictType, Organization, OrgType, Region


from app.core.errors import DomainError  # noqa: E402,F401  (re-exported for the views)


def district_org_for(region_code):
    """The district government organisation whose region contains ``region_code``."""
    if not region_code or len(region_code) < 6:
        return None
    return db.session.execute(
        select(Organization).where(Organization.org_type == OrgType.DISTRICT,
                                   Organization.region_code == region_code[:6])
    ).scalars().first()


def set_tree_fields(org):
    """Parent and materialised path: enterprises hang off their district's organisation."""
    if org.org_type in (OrgType.ENTERPRISE, OrgType.OWNERS_COMMITTEE) and org.parent_id is None:
        parent = district_org_for(org.region_code)
        if parent is not None:
            org.parent_id = parent.id
            org.parent = parent
    parent = org.parent if org.parent is not None else (
        db.session.get(Organization, org.parent_id) if org.parent_id else None)
    org.path = (parent.path if parent is not None and parent.path else "/") + (f"{org.id}/" if org.id else "")


def finish_paths(orgs):
    """After a flush assigned ids, append each org's own id to its path."""
    for org in orgs:
        if org.path and not org.path.endswith(f"/{org.id}/"):
            org.path = org.path + f"{org.id}/"


def check_region(code):
    if not code or db.session.get(Region, code) is None:
        raise DomainError(_("Unknown region code: %(code)s", code=code or ""))


def validate_org_import(rows, scope_prefix=None):
    """Database checks for an organisation import: known regions inside the user's scope,
    credit codes not yet registered."""
    errors = []
    codes = [r["credit_code"] for r in rows if r.get("credit_code")]
    existing = set()
    for i in range(0, len(codes), 500):
        existing.update(db.session.execute(
            select(Organization.credit_code).where(Organization.credit_code.in_(codes[i:i + 500]))
        ).scalars())
    regions = set(db.session.execute(select(Region.code)).scalars())
    for row in rows:
        if row.get("credit_code") in existing:
            errors.append((row["_row"], "credit_code", _("This credit code is already registered")))
        code = row.get("region_code")
        if code not in regions:
            errors.append((row["_row"], "region_code", _("Unknown region code")))
        elif scope_prefix and not code.startswith(scope_prefix):
            errors.append((row["_row"], "region_code", _("This region is outside your scope")))
    return errors


def import_organizations(rows):
    """Insert enterprises (all-or-nothing: the caller commits or rolls back)."""
    orgs = []
    for row in rows:
        org = Organization(
            name=row["name"], org_type=OrgType.ENTERPRISE, enterprise_type=row["enterprise_type"],
            credit_code=row["credit_code"], region_code=row["region_code"],
            legal_rep=row.get("legal_rep"), contact_name=row.get("contact_name"),
            contact_mobile=row.get("contact_mobile"), address=row.get("address"), active=True,
        )
        set_tree_fields(org)
        db.session.add(org)
        orgs.append(org)
    db.session.flush()
    finish_paths(orgs)
    db.session.flush()
    return len(orgs)


def validate_dict_import(rows):
    errors = []
    types = set(db.session.execute(select(DictType.code)).scalars())
    existing = set(db.session.execute(select(DictItem.dict_type, DictItem.code)).all())
    for row in rows:
        if row["dict_type"] not in types:
            errors.append((row["_row"], "dict_type", _("Unknown dictionary")))
        if (row["dict_type"], row["code"]) in existing:
            errors.append((row["_row"], "code", _("This code already exists in the dictionary")))
    return errors


def import_dict_items(rows):
    payload = [{
        "dict_type": r["dict_type"], "code": r["code"], "label": r["label"],
        "label_en": r.get("label_en"), "sort": r.get("sort") or 0,
        "active": True if r.get("active") is None else r["active"],
    } for r in rows]
    if payload:
        db.session.execute(insert(DictItem), payload)
    return len(payload)


def check_role_grant(acting_roles, new_roles, admin_role="sysadmin", old_roles=()):
    """Roles given to an account (``new_roles`` not already in ``old_roles``) must be grantable
    by the acting user and must not outrank the acting user's own roles."""
    from app.security.roles import account_rank, role_label, role_rank

    added = [r for r in new_roles if r not in set(old_roles)]
    higher = [r for r in added if role_rank(r) > account_rank(acting_roles)]
    if higher:
        raise DomainError(_("You may not grant a role higher than your own: %(roles)s",
                            roles="、".join(str(role_label(r)) for r in higher)))
    allowed = set(grantable_roles(acting_roles, admin_role))
    bad = [r for r in added if r not in allowed]
    if bad:
        raise DomainError(_("You may not grant these roles: %(roles)s", roles="、".join(bad)))


def prepare_new_account(user, password):
    """Hash a policy-checked password; new accounts change it at first login."""
    ensure_strong(password)
    user.password = generate_password_hash(password)
    user.last_name = user.last_name or ""
    if not user.email:
        user.email = f"{user.username}@users.anju.invalid"
    user.must_change_password = True
    user.password_changed_at = datetime.now()
    user.active = True if user.active is None else user.active


def unlock_accounts(users, acting):
    """Clear lock and failure count (each change audited by the listeners)."""
    from app.security import authority

    for user in users:
        authority.check_account_action(acting, user, authority.UNLOCK)
    for user in users:
        user.locked_until = None
        user.fail_login_count = 0
    db.session.commit()


def deactivate_accounts(users, acting):
    from app.security import authority

    for user in users:
        authority.check_account_action(acting, user, authority.DEACTIVATE)
    for user in users:
        user.active = False
    db.session.commit()


def clean_organization(org, acting_user=None):
    """The one check of an organisation written by a form or the API: valid credit code and
    mobile, a known region inside the acting user's region scope; then its tree fields.
    Raises DomainError or validators.ValidationError with a Chinese message."""
    from app.core.scope import current_user_obj, user_scope
    from app.core.validators import check_credit_code, check_mobile

    from app.system import dicts

    # Coded columns take the dictionary's codes only (the API once stored org_type "bogus").
    if org.org_type not in dict(dicts.items("org_type")):
        raise DomainError(_("Unknown organization type."))
    if org.enterprise_type and org.enterprise_type not in dict(dicts.items("enterprise_type")):
        raise DomainError(_("Unknown enterprise type."))
    org.credit_code = check_credit_code(org.credit_code) if org.credit_code else None
    if org.contact_mobile:
        org.contact_mobile = check_mobile(org.contact_mobile)
    if getattr(org, "region", None) is not None and org.region.code != org.region_code:
        org.region_code = org.region.code
    check_region(org.region_code)
    scope = user_scope(acting_user or current_user_obj())
    if scope.level == "region" and not org.region_code.startswith(scope.region_prefix):
        raise DomainError(_("This region is outside your scope"))
    set_tree_fields(org)
    if org.id:
        finish_paths([org])


def check_account(account, acting_user):
    """The one check of an account written by a form or the API: at least one role, only
    roles the acting user may grant, an organisation inside the acting user's scope, a
    valid mobile. Raises DomainError or validators.ValidationError."""
    from sqlalchemy import inspect

    from app.core.scope import can_see
    from app.core.validators import check_mobile
    from app.security import authority

    if inspect(account).persistent:
        authority.check_account_action(acting_user, account, authority.EDIT)
    if not account.roles:
        raise DomainError(_("Choose at least one role"))
    check_role_grant(authority.roles_before(acting_user), [r.name for r in account.roles],
                     old_roles=authority.roles_before(account))
    org = account.org if account.org is not None else (
        db.session.get(Organization, account.org_id) if account.org_id else None)
    if org is None:
        raise DomainError(_("Choose the organization"))
    if not can_see(org, acting_user):
        raise DomainError(_("This organization is outside your scope"))
    if account.mobile:
        account.mobile = check_mobile(account.mobile)


def check_account_delete(account, acting_user):
    from app.security import authority

    authority.check_account_action(acting_user, account, authority.DELETE)
