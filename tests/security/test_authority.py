"""Authority over administrators: nobody acts on an account whose roles outrank their own
(edit, deactivate, delete, reset password, unlock; on 机构账号, FAB's user views, the REST
org_user API and the helpdesk), nobody grants a role above their own, nobody deactivates
themselves, and the last active system administrator stays."""
from datetime import datetime, timedelta

from flask_appbuilder.security.sqla.models import PermissionView, Role
from sqlalchemy import select

from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Organization
from tests.conftest import Client
from tests.security.test_login import make_user

OUTRANKS = "该账号的角色高于您的角色，您无权操作。"
LAST_ADMIN = "系统中至少要保留一个启用的系统管理员，不能停用、降级或删除最后一个。"
NOT_SELF_DEACTIVATE = "不能停用自己的账号"
NOT_SELF_DELETE = "不能删除自己的账号"


def role_id(app, name):
    with app.app_context():
        return db.session.execute(select(Role.id).where(Role.name == name)).scalar_one()


def org_of(app, credit_code=None, username=None):
    with app.app_context():
        if username:
            return db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == username)).scalar_one()
        return db.session.execute(select(Organization.id).where(Organization.credit_code == credit_code)).scalar_one()


def state(app, username):
    """(roles, active, fail_login_count, locked_until, exists) as stored."""
    with app.app_context():
        db.session.expire_all()
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalar_one_or_none()
        if u is None:
            return None
        return sorted(r.name for r in u.roles), u.active, u.fail_login_count or 0, u.locked_until


def uid(app, username):
    with app.app_context():
        return db.session.execute(select(AnjuUser.id).where(AnjuUser.username == username)).scalar_one()


def set_failures(app, username, count, locked=False):
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalar_one()
        u.fail_login_count = count
        u.locked_until = datetime(2999, 1, 1) if locked else None
        db.session.commit()


def page_of(resp):
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def orguser_edit(c, pk, org, roles, active=True, first_name="改名", mobile=""):
    data = {"first_name": first_name, "mobile": mobile, "org": org, "roles": roles}
    if active:
        data["active"] = "y"
    return c.form(f"/orgusers/edit/{pk}", data, follow_redirects=True)


def orguser_action(c, action, pks):
    return c.form("/orgusers/action_post", {"action": action, "rowid": pks}, get_url="/orgusers/list/",
                  follow_redirects=True)


# --- gov_admin against a sysadmin (the case seen) ----------------------------------------------

def test_gov_admin_cannot_demote_deactivate_or_unlock_a_sysadmin(app, login):
    gov = login("gov_admin")
    admin_id, city = uid(app, "admin"), org_of(app, username="admin")
    before = state(app, "admin")
    assert before[:2] == (["sysadmin"], True)
    page = page_of(orguser_edit(gov, admin_id, city, role_id(app, "gov_admin")))
    assert OUTRANKS in page
    assert state(app, "admin") == before
    page = page_of(orguser_edit(gov, admin_id, city, role_id(app, "sysadmin"), active=False))
    assert OUTRANKS in page
    assert state(app, "admin") == before
    page = page_of(orguser_action(gov, "deactivate", [admin_id]))
    assert OUTRANKS in page and "已停用" not in page
    assert state(app, "admin") == before
    set_failures(app, "admin", 2)
    try:
        page = page_of(orguser_action(gov, "unlock", [admin_id]))
        assert OUTRANKS in page and "已解锁" not in page
        assert state(app, "admin")[2] == 2
    finally:
        set_failures(app, "admin", 0)
    # The refused form changed nothing on the way either (no half-saved name).
    with app.app_context():
        assert db.session.get(AnjuUser, admin_id).first_name == "系统管理员"


def test_gov_admin_may_act_on_an_equal(app, login):
    make_user(app, "auth_gov_peer", roles=("gov_admin",), org_id=org_of(app, username="gov_admin"))
    page = page_of(orguser_action(login("gov_admin"), "deactivate", [uid(app, "auth_gov_peer")]))
    assert "已停用 1 个账号。" in page
    assert state(app, "auth_gov_peer")[1] is False


def test_nobody_grants_a_role_above_their_own(app, login):
    from app.core.errors import DomainError
    from app.security.roles import GRANTABLE, ROLE_RANK, ROLES, account_rank, role_rank
    from app.system.services import check_role_grant

    assert set(ROLE_RANK) == set(ROLES)  # every catalogued role has its rank
    # The grant lists never give a role above the granter's own.
    for granter, grants in GRANTABLE.items():
        assert all(role_rank(r) <= role_rank(granter) for r in grants), granter
    with app.test_request_context("/"):
        try:
            check_role_grant(["gov_admin"], ["analyst", "sysadmin"])
        except DomainError as exc:
            assert str(exc) == "不能授予高于您本人的角色：系统管理员"
        else:
            raise AssertionError("granting sysadmin was not refused")
        check_role_grant(["gov_admin"], ["analyst", "sysadmin"], old_roles=["sysadmin"])  # kept, not granted
        assert account_rank(["gov_admin", "public"]) == 90
    # Through the form, the role is not even offered, and a forged choice grants nothing.
    gov = login("gov_admin")
    city = org_of(app, username="gov_admin")
    roles_select = gov.get("/orgusers/add").get_data(as_text=True).split('name="roles"')[1].split("</select>")[0]
    assert '<option value="%s">市级管理员</option>' % role_id(app, "gov_admin") in roles_select
    assert "系统管理员" not in roles_select
    base = {"username": "auth_new_root", "first_name": "王五", "mobile": "13912340001", "org": city,
            "password": "Root#2026x", "conf_password": "Root#2026x"}
    page = page_of(gov.form("/orgusers/add", {**base, "roles": role_id(app, "sysadmin")}, follow_redirects=True))
    assert "请至少选择一个角色" in page
    assert state(app, "auth_new_root") is None
    make_user(app, "auth_promote_me", roles=("analyst",), org_id=city)
    orguser_edit(gov, uid(app, "auth_promote_me"), city, [role_id(app, "analyst"), role_id(app, "sysadmin")])
    assert state(app, "auth_promote_me")[0] == ["analyst"]


def test_nobody_deactivates_themselves_by_the_edit_form(app, login):
    make_user(app, "auth_gov_self", roles=("gov_admin",), org_id=org_of(app, username="gov_admin"))
    c = Client(app)
    assert c.login("auth_gov_self", "Strong#2026").status_code == 302
    page = page_of(orguser_edit(c, uid(app, "auth_gov_self"), org_of(app, username="gov_admin"),
                                role_id(app, "gov_admin"), active=False))
    assert NOT_SELF_DEACTIVATE in page
    assert state(app, "auth_gov_self")[1] is True


# --- an enterprise administrator against a higher account in its own organisation -----------------

def test_ent_admin_cannot_touch_a_higher_account_of_its_organisation(app, login, api):
    org = org_of(app, "91500103MA5U7A1B23")
    make_user(app, "auth_ent_gov", roles=("gov_admin",), org_id=org)
    target = uid(app, "auth_ent_gov")
    before = state(app, "auth_ent_gov")
    ent = login("ent_a")
    assert OUTRANKS in page_of(orguser_edit(ent, target, org, role_id(app, "project_lead")))
    assert OUTRANKS in page_of(orguser_action(ent, "deactivate", [target]))
    assert OUTRANKS in page_of(ent.form(f"/orgusers/delete/{target}", {}, get_url="/orgusers/list/",
                                        follow_redirects=True))
    set_failures(app, "auth_ent_gov", 3, locked=True)
    assert OUTRANKS in page_of(orguser_action(ent, "unlock", [target]))
    locked = state(app, "auth_ent_gov")
    assert locked[2:] == (3, datetime(2999, 1, 1))
    http, headers = api("ent_a")
    resp = http.put(f"/api/v1/org_user/{target}", json={"active": False}, headers=headers)
    assert (resp.status_code, resp.get_json()) == (422, {"message": OUTRANKS})
    resp = http.put(f"/api/v1/org_user/{target}", json={"first_name": "改名"}, headers=headers)
    assert (resp.status_code, resp.get_json()) == (422, {"message": OUTRANKS})
    resp = http.delete(f"/api/v1/org_user/{target}", headers=headers)
    assert (resp.status_code, resp.get_json()) == (422, {"message": OUTRANKS})
    assert state(app, "auth_ent_gov") == locked
    assert before[:2] == locked[:2]


def test_ent_admin_cannot_deactivate_itself_by_rest(app, api):
    org = org_of(app, "91500103MA5U7A1B23")
    make_user(app, "auth_ent_self", roles=("ent_admin",), org_id=org)
    http = app.test_client()
    tok = http.post("/api/v1/security/login", json={"username": "auth_ent_self", "password": "Strong#2026",
                                                     "provider": "db"}).get_json()["access_token"]
    resp = http.put(f"/api/v1/org_user/{uid(app, 'auth_ent_self')}", json={"active": False},
                    headers={"Authorization": f"Bearer {tok}"})
    assert (resp.status_code, resp.get_json()) == (422, {"message": NOT_SELF_DEACTIVATE})
    assert state(app, "auth_ent_self")[1] is True


# --- the helpdesk ------------------------------------------------------------------------------------

def test_helpdesk_cannot_unlock_a_higher_account(app, login, api):
    make_user(app, "auth_locked_gov", roles=("gov_admin",), org_id=org_of(app, username="gov_admin"))
    set_failures(app, "auth_locked_gov", 0, locked=True)
    target = uid(app, "auth_locked_gov")
    hd = login("helpdesk")
    resp = hd.form(f"/helpdesk/unlock/{target}", {"q": "auth_locked_gov"}, get_url="/helpdesk/?q=auth_locked_gov",
                   follow_redirects=True)
    assert OUTRANKS in resp.get_data(as_text=True)
    http, headers = api("helpdesk")
    resp = http.post(f"/api/v1/helpdesk/{target}/unlock", headers=headers)
    assert (resp.status_code, resp.get_json()["message"]) == (422, OUTRANKS)
    assert state(app, "auth_locked_gov")[3] == datetime(2999, 1, 1)


# --- FAB's own user views and the password reset, for a role the sysadmin gave them to -----------------

def test_fab_user_views_and_reset_keep_the_same_rule(app):
    """A sysadmin may give a hand-made role FAB's user views and the password reset; its holder
    still acts only on accounts that do not outrank them."""
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("auth_user_keeper") or sm.add_role("auth_user_keeper")
        for perm, view in [("can_list", "AnjuUserDBModelView"), ("can_show", "AnjuUserDBModelView"),
                           ("can_edit", "AnjuUserDBModelView"), ("can_delete", "AnjuUserDBModelView"),
                           ("can_this_form_get", "AnjuResetPasswordView"),
                           ("can_this_form_post", "AnjuResetPasswordView")]:
            pv = sm.find_permission_view_menu(perm, view)
            assert isinstance(pv, PermissionView), (perm, view)
            sm.add_permission_role(role, pv)
        db.session.commit()
    # The hand-made role ranks just below sysadmin; gov_admin gives the city-wide data scope.
    make_user(app, "auth_keeper", roles=("gov_admin", "auth_user_keeper"), org_id=org_of(app, username="gov_admin"))
    c = Client(app)
    assert c.login("auth_keeper", "Strong#2026").status_code == 302
    admin_id = uid(app, "admin")
    before = state(app, "admin")
    with app.app_context():
        hash_before = db.session.get(AnjuUser, admin_id).password
    data = {"username": "admin", "first_name": "系统管理员", "mobile": "13800000001",
            "email": "admin@demo.anju.invalid", "org": org_of(app, username="admin"),
            "roles": role_id(app, "gov_admin"), "active": "y"}
    assert OUTRANKS in page_of(c.form(f"/users/edit/{admin_id}", data, follow_redirects=True))
    assert OUTRANKS in page_of(c.form(f"/users/delete/{admin_id}", {}, get_url="/users/list/",
                                      follow_redirects=True))
    assert OUTRANKS in page_of(c.form(f"/resetpassword/form?pk={admin_id}",
                                      {"password": "Taken#2026x", "conf_password": "Taken#2026x"},
                                      follow_redirects=True))
    assert state(app, "admin") == before
    with app.app_context():
        assert db.session.get(AnjuUser, admin_id).password == hash_before
    # A gov_admin account ranks below the hand-made role: the keeper may reset it.
    make_user(app, "auth_kept", roles=("gov_admin",), org_id=org_of(app, username="gov_admin"))
    page = page_of(c.form(f"/resetpassword/form?pk={uid(app, 'auth_kept')}",
                          {"password": "Kept#2026xx", "conf_password": "Kept#2026xx"}, follow_redirects=True))
    assert "密码已重置" in page


# --- the last sysadmin ---------------------------------------------------------------------------------

def test_the_last_active_sysadmin_stays(app, login):
    with app.app_context():
        others = db.session.execute(
            select(AnjuUser.username).join(AnjuUser.roles)
            .where(Role.name == "sysadmin", AnjuUser.active.is_(True), AnjuUser.username != "admin")
        ).scalars().all()
    assert others == []  # the demo admin is the only active sysadmin
    admin = login("admin")
    admin_id = uid(app, "admin")
    before = state(app, "admin")
    data = {"username": "admin", "first_name": "系统管理员", "mobile": "13800000001",
            "email": "admin@demo.anju.invalid", "org": org_of(app, username="admin"), "active": "y"}
    # An unticked 必须修改密码 box saves (it was a required checkbox).
    page = page_of(admin.form(f"/users/edit/{admin_id}", {**data, "roles": role_id(app, "sysadmin")},
                              follow_redirects=True))
    assert "该字段是必填字段" not in page and "已保存：" in page
    page = page_of(admin.form(f"/users/edit/{admin_id}", {**data, "roles": role_id(app, "gov_admin")},
                              follow_redirects=True))
    assert LAST_ADMIN in page
    page = page_of(admin.form(f"/users/edit/{admin_id}", {**data, "roles": role_id(app, "sysadmin"),
                                                           "active": ""}, follow_redirects=True))
    assert NOT_SELF_DEACTIVATE in page
    page = page_of(admin.form(f"/users/delete/{admin_id}", {}, get_url="/users/list/", follow_redirects=True))
    assert NOT_SELF_DELETE in page
    assert state(app, "admin") == before
    # With a second active sysadmin, one may deactivate the other.
    make_user(app, "auth_root2", roles=("sysadmin",), org_id=org_of(app, username="admin"))
    page = page_of(orguser_action(admin, "deactivate", [uid(app, "auth_root2")]))
    assert "已停用 1 个账号。" in page
    assert state(app, "auth_root2")[1] is False


def test_an_account_made_on_the_users_page_can_sign_in(app, login):
    """FAB's own add form: the password is stored hashed (our pre_add used to skip FAB's)."""
    admin = login("admin")
    resp = admin.form("/users/add", {"username": "auth_made_here", "first_name": "赵六", "mobile": "13912340002",
                                     "email": "auth_made_here@t.invalid", "org": org_of(app, username="admin"),
                                     "roles": role_id(app, "analyst"), "active": "y",
                                     "password": "Made#2026xx", "conf_password": "Made#2026xx"})
    assert resp.status_code == 302
    with app.app_context():
        stored = db.session.execute(select(AnjuUser.password).where(AnjuUser.username == "auth_made_here")).scalar_one()
    assert stored != "Made#2026xx" and stored.startswith("scrypt:")
    assert Client(app).login("auth_made_here", "Made#2026xx").status_code == 302
