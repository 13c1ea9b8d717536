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


# --- 待办 on the home page (app/core/worklist.py) -------------------------------------------

def application_todos(user):
    """Reviewers: business applications waiting for a decision (已提交 or 已受理), one card per
    registered type, in scope — one GROUP BY on the (app_type, status) index."""
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import func

    from app.core import workflow, worklist
    from app.core.scope import apply_scope
    from app.core.workflow import Application, AppStatus

    stmt = apply_scope(select(Application.app_type, func.count(Application.id))
                       .where(Application.status.in_(AppStatus.OPEN)), Application, user)
    counts = dict(db.session.execute(stmt.group_by(Application.app_type)).all())
    group = _l("Business applications")
    return [worklist.Todo(f"applications.{t.code}", _l("%(type)s awaiting review", type=t.label),
                          counts.get(t.code, 0), level="warning", group=group,
                          url=worklist.list_url("ApplicationView", ("app_type", "eq", t.code),
                                                ("status", "app_waiting", "y")))
            for t in workflow.all_types()]


FAILED_RUN_DAYS = 7


def failed_runs_since(today=None):
    """Midnight ``FAILED_RUN_DAYS`` - 1 days before today: "the last 7 days" counting today
    (runs started after it; the list's 开始时间 filter says the same)."""
    from datetime import date, timedelta

    day = (today or date.today()) - timedelta(days=FAILED_RUN_DAYS - 1)
    return datetime(day.year, day.month, day.day)


def job_todos(user):
    """System administrators: failed job runs in the last 7 days (indexed by job and start)."""
    from flask_babel import lazy_gettext as _l

    from app.core import jobs, worklist
    from app.core.scope import apply_scope

    since = failed_runs_since()
    stmt = apply_scope(select(jobs.JobRun.id).where(jobs.JobRun.status == jobs.JobStatus.FAILED,
                                                    jobs.JobRun.started_at > since), jobs.JobRun, user)
    n, capped = worklist.capped_count(stmt)
    return [worklist.Todo("jobs.failed", _l("Failed job runs in the last %(n)s days", n=FAILED_RUN_DAYS), n,
                          level="danger", group=_l("System"), capped=capped,
                          url=worklist.list_url("JobRunView", ("status", "eq", jobs.JobStatus.FAILED),
                                                ("started_at", "gt", since.strftime("%Y-%m-%d %H:%M:%S"))))]


def locked_todos(user):
    """Whoever may unlock accounts: the accounts locked now, in scope."""
    from flask_babel import lazy_gettext as _l

    from app.core import worklist
    from app.core.mixins import now
    from app.core.scope import apply_scope
    from app.security.models import AnjuUser

    stmt = apply_scope(select(AnjuUser.id).where(AnjuUser.locked_until > now()), AnjuUser, user)
    n, capped = worklist.capped_count(stmt)
    return [worklist.Todo("accounts.locked", _l("Locked accounts"), n, level="danger", group=_l("System"),
                          capped=capped, url=worklist.list_url("OrgUserView", ("locked_until", "locked", "y")))]


def notice_todos(user):
    """Everyone with notices: the unread ones they can open (the notice list's own scope)."""
    from flask_babel import lazy_gettext as _l

    from app.core import worklist
    from app.core.notices import Notice
    from app.core.scope import apply_scope

    from app.core.notices import visible_to

    stmt = apply_scope(select(Notice.id).where(Notice.read_at.is_(None), visible_to(user.id)), Notice, user)
    n, capped = worklist.capped_count(stmt)
    return [worklist.Todo("notices.unread", _l("Unread notices"), n, level="info", group=_l("Notices"),
                          capped=capped, url=worklist.list_url("NoticeView", ("read_at", "unread", "y")))]


def register_worklist():
    from flask_babel import lazy_gettext as _l

    from app.core import worklist

    worklist.register_todo("applications.waiting", application_todos, ("can_decide", "ApplicationView"), order=10)
    worklist.register_todo("jobs.failed", job_todos, ("can_list", "JobRunView"), order=80)
    worklist.register_todo("accounts.locked", locked_todos, ("unlock", "OrgUserView"), order=81)
    worklist.register_todo("notices.unread", notice_todos, ("can_list", "NoticeView"), order=90)
    sc = worklist.register_shortcut
    sc("applications", _l("Business applications"), "fa-file-text", endpoint="ApplicationView.list",
       permission=("can_list", "ApplicationView"), order=10)
    sc("organizations", _l("Organizations"), "fa-sitemap", endpoint="OrganizationView.list",
       permission=("can_list", "OrganizationView"), order=60)
    sc("orgusers", _l("Organization users"), "fa-users", endpoint="OrgUserView.list",
       permission=("can_list", "OrgUserView"), order=61)
    sc("regions", _l("Regions"), "fa-map-marker", endpoint="RegionView.list",
       permission=("can_list", "RegionView"), order=62)
    sc("parameters", _l("System parameters"), "fa-sliders", endpoint="ParameterView.list",
       permission=("can_list", "ParameterView"), order=70)
    sc("jobs", _l("Scheduled jobs"), "fa-clock-o", endpoint="JobView.list",
       permission=("can_list", "JobView"), order=71)
    sc("audit", _l("Audit log"), "fa-history", endpoint="AuditLogView.list",
       permission=("can_list", "AuditLogView"), order=72)
    sc("notices", _l("Notices"), "fa-bell", endpoint="NoticeView.list",
       permission=("can_list", "NoticeView"), order=90)
