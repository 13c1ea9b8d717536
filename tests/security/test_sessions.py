"""Logout, password change, admin reset, lock and deactivation end every session and token of
the account (the session epoch); GET /logout/ does not sign out."""
from sqlalchemy import select

from app.core.audit import AuditLog
from app.extensions import db
from app.security.models import AnjuUser
from tests.conftest import Client, csrf_token
from tests.security.test_login import make_user

PASSWORD = "Strong#2026"
ENDED = "登录已失效，请重新登录。"


def signed_in(app, username, password=PASSWORD):
    c = Client(app)
    resp = c.login(username, password)
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"], username
    return c


def tokens(app, username, password=PASSWORD):
    resp = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    return body["access_token"], body["refresh_token"]


def api_get(app, token):
    return app.test_client().get("/api/v1/dictionary/", headers={"Authorization": f"Bearer {token}"})


def refresh(app, token):
    return app.test_client().post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {token}"})


def is_signed_in(c):
    resp = c.get("/my/")
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302 and "/login" in resp.headers["Location"], resp.status_code
    return False


def replay(app, cookie):
    """A new browser that presents a saved session cookie."""
    c = Client(app)
    c.http.set_cookie("session", cookie)
    return c


def session_cookie(c):
    return c.http.get_cookie("session").value


def audit_actions(app, username):
    with app.app_context():
        return db.session.execute(select(AuditLog.action).where(AuditLog.username == username)
                                  .order_by(AuditLog.id)).scalars().all()


def user_id(app, username):
    with app.app_context():
        return db.session.execute(select(AnjuUser.id).where(AnjuUser.username == username)).scalar_one()


def refused(resp):
    return resp.status_code == 401 and resp.get_json() == {"message": ENDED}


def test_a_saved_cookie_replayed_after_logout_is_refused(app):
    make_user(app, "sess_replay", roles=("gov_admin",))
    c = signed_in(app, "sess_replay")
    saved = session_cookie(c)
    assert is_signed_in(replay(app, saved))        # the copy works while the session lives
    resp = c.logout()
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/")
    assert not is_signed_in(c)
    assert not is_signed_in(replay(app, saved))    # ... and not after 退出登录


def test_get_logout_only_asks(app):
    make_user(app, "sess_get_logout", roles=("gov_admin",))
    c = signed_in(app, "sess_get_logout")
    resp = c.get("/logout/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'action="/logout/"' in page and 'method="post"' in page and "退出登录" in page
    assert is_signed_in(c)
    # A POST without the form's token (another site's form) is refused too.
    assert c.post("/logout/").status_code == 400
    assert is_signed_in(c)
    assert "logout" not in audit_actions(app, "sess_get_logout")
    resp = c.post("/logout/", data={"csrf_token": csrf_token(page)})
    assert resp.status_code == 302
    assert not is_signed_in(c)
    assert audit_actions(app, "sess_get_logout")[-1] == "logout"


def test_the_menu_signs_out_by_a_form(app):
    make_user(app, "sess_menu", roles=("gov_admin",))
    page = signed_in(app, "sess_menu").get("/orgusers/list/").get_data(as_text=True)
    assert '<a href="/logout/"' not in page
    assert '<form method="post" action="/logout/" class="anju-logout-form">' in page
    assert '<input type="hidden" name="csrf_token" value="' in page.split('action="/logout/"')[1][:200]


def test_logout_ends_every_session_and_token_of_the_account(app):
    make_user(app, "sess_all", roles=("gov_admin",))
    first, second = signed_in(app, "sess_all"), signed_in(app, "sess_all")
    access, refresh_token = tokens(app, "sess_all")
    assert api_get(app, access).status_code == 200
    renewed = refresh(app, refresh_token)
    assert renewed.status_code == 200
    assert api_get(app, renewed.get_json()["access_token"]).status_code == 200
    first.logout()
    assert not is_signed_in(second)
    assert refused(api_get(app, access))
    assert refused(api_get(app, renewed.get_json()["access_token"]))
    assert refused(refresh(app, refresh_token))
    # Signing in again works, with a fresh session and fresh tokens.
    again = signed_in(app, "sess_all")
    assert is_signed_in(again)
    assert api_get(app, tokens(app, "sess_all")[0]).status_code == 200


def test_own_password_change_ends_the_other_sessions_and_tokens(app):
    make_user(app, "sess_pw", roles=("gov_admin",))
    mine, other = signed_in(app, "sess_pw"), signed_in(app, "sess_pw")
    access, refresh_token = tokens(app, "sess_pw")
    resp = mine.form("/resetmypassword/form", {"password": "Newer#2027", "conf_password": "Newer#2027"})
    assert resp.status_code == 302
    assert is_signed_in(mine)                       # the session the change was made in goes on
    assert not is_signed_in(other)
    assert refused(api_get(app, access))
    assert refused(refresh(app, refresh_token))
    assert api_get(app, tokens(app, "sess_pw", "Newer#2027")[0]).status_code == 200


def test_admin_reset_ends_every_session_and_token(app, login):
    uid = make_user(app, "sess_reset", roles=("gov_admin",))
    theirs = signed_in(app, "sess_reset")
    access, refresh_token = tokens(app, "sess_reset")
    login("admin").form(f"/resetpassword/form?pk={uid}", {"password": "Reset#2026x", "conf_password": "Reset#2026x"})
    assert not is_signed_in(theirs)
    assert refused(api_get(app, access))
    assert refused(refresh(app, refresh_token))


def test_lockout_ends_every_session_and_token(app):
    make_user(app, "sess_lock", roles=("gov_admin",))
    theirs = signed_in(app, "sess_lock")
    access, refresh_token = tokens(app, "sess_lock")
    attacker = Client(app)
    for _ in range(5):
        attacker.login("sess_lock", "Wrong#Pass1")
    assert not is_signed_in(theirs)
    assert refused(api_get(app, access))
    assert refused(refresh(app, refresh_token))


def test_deactivation_on_the_page_ends_every_session_and_token(app, login):
    make_user(app, "sess_off", roles=("analyst",), org_id=1)
    theirs = signed_in(app, "sess_off")
    access, refresh_token = tokens(app, "sess_off")
    resp = login("gov_admin").form("/orgusers/action_post", {"action": "deactivate",
                                                            "rowid": [user_id(app, "sess_off")]},
                                   get_url="/orgusers/list/", follow_redirects=True)
    assert "已停用 1 个账号" in resp.get_data(as_text=True)
    assert not is_signed_in(theirs)
    assert refused(api_get(app, access))
    assert refused(refresh(app, refresh_token))
    assert not is_signed_in(replay(app, session_cookie(theirs)))


def test_deactivation_by_rest_ends_every_session_and_token(app, api):
    with app.app_context():
        from app.system.models import Organization

        org = db.session.execute(select(Organization.id).where(
            Organization.credit_code == "91500103MA5U7A1B23")).scalar_one()
    make_user(app, "sess_api_off", roles=("project_lead",), org_id=org)
    theirs = signed_in(app, "sess_api_off")
    access, refresh_token = tokens(app, "sess_api_off")
    http, headers = api("ent_a")
    resp = http.put(f"/api/v1/org_user/{user_id(app, 'sess_api_off')}", json={"active": False}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert not is_signed_in(theirs)
    assert refused(api_get(app, access))
    assert refused(refresh(app, refresh_token))
