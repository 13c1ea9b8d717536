"""Security baseline: lockout (form and REST, counted in the database), forced password
change, idle timeout, password policy everywhere, CSRF, headers, JWT, Swagger."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditLog
from app.extensions import db
from app.security.models import AnjuUser
from tests.conftest import DEMO_PASSWORD, Client


def make_user(app, username, roles=("public",), password="Strong#2026", org_id=None, **extra):
    with app.app_context():
        sm = app.appbuilder.sm
        existing = sm.find_user(username=username)
        if existing is not None:
            return existing.id
        user = sm.add_user(username, username, "", f"{username}@t.invalid",
                           [sm.find_role(r) for r in roles], password=password, org_id=org_id, **extra)
        return user.id


def user_state(app, username):
    with app.app_context():
        db.session.expire_all()
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalar_one()
        return u.fail_login_count, u.locked_until, u.must_change_password


def test_login_and_logout_are_audited(app, client):
    resp = client.login("analyst")
    assert resp.status_code == 302
    client.logout()
    with app.app_context():
        actions = db.session.execute(
            select(AuditLog.action).where(AuditLog.username == "analyst").order_by(AuditLog.id.desc()).limit(2)
        ).scalars().all()
    assert actions == ["logout", "login"]


def test_five_failures_lock_the_account_through_the_form(app, monkeypatch):
    from app.core import mixins

    monkeypatch.setattr(mixins, "now", lambda: datetime(2031, 2, 3, 4, 5, 6))  # the lockout's clock
    make_user(app, "lock_form")
    c = Client(app)
    for _ in range(4):
        c.login("lock_form", "Wrong#Pass1")
    assert user_state(app, "lock_form")[0] == 4
    resp = c.login("lock_form", "Wrong#Pass1")
    page = resp.get_data(as_text=True)
    assert "登录失败次数过多，账号已被锁定至2031-02-03 04:35。" in page
    count, locked_until, _ = user_state(app, "lock_form")
    assert (count, locked_until) == (0, datetime(2031, 2, 3, 4, 35, 6))
    # The right password no longer opens it while locked.
    resp = c.login("lock_form", "Strong#2026")
    assert resp.status_code == 200 and "锁定" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(AuditLog.action == "locked",
                                                         AuditLog.username == "lock_form")).first()


def test_lock_is_shared_by_the_rest_login(app):
    make_user(app, "lock_api")
    http = app.test_client()
    for i in range(5):
        r = http.post("/api/v1/security/login", json={"username": "lock_api", "password": "Wrong#Pass1",
                                                       "provider": "db"})
        assert r.status_code == 401
    r = http.post("/api/v1/security/login", json={"username": "lock_api", "password": "Strong#2026",
                                                   "provider": "db"})
    assert r.status_code == 401
    assert "锁定" in r.get_json()["message"]
    # And through the form too: the count lives in the database, not in a worker.
    c = Client(app)
    resp = c.login("lock_api", "Strong#2026")
    assert resp.status_code == 200 and "锁定" in resp.get_data(as_text=True)


def test_lock_expires(app):
    make_user(app, "lock_expire")
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == "lock_expire")).scalar_one()
        u.locked_until = datetime.now() - timedelta(minutes=1)
        db.session.commit()
    c = Client(app)
    assert c.login("lock_expire", "Strong#2026").headers["Location"].endswith("/")


def test_unknown_username_failure_is_audited(app, client):
    client.login("no_such_user_xyz", "Whatever#1")
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(AuditLog.action == "login_failed",
                                                        AuditLog.summary.contains("no_such_user_xyz"))).scalar()
    assert row is not None and row.summary.startswith("未知账号")


def test_forced_password_change_at_first_login(app):
    make_user(app, "first_login", must_change_password=True)
    c = Client(app)
    c.login("first_login", "Strong#2026")
    resp = c.get("/orgusers/list/")
    assert resp.status_code == 302 and "resetmypassword" in resp.headers["Location"]
    # A weak password is refused with a Chinese message.
    resp = c.form("/resetmypassword/form", {"password": "weakpass", "conf_password": "weakpass"},
                  follow_redirects=True)
    assert "密码" in resp.get_data(as_text=True)
    assert user_state(app, "first_login")[2] is True
    resp = c.form("/resetmypassword/form", {"password": "Better#2027", "conf_password": "Better#2027"})
    assert user_state(app, "first_login")[2] is False
    assert c.get("/").status_code == 200


def test_admin_reset_forces_change(app, login):
    uid = make_user(app, "reset_me")
    admin = login("admin")
    admin.form(f"/resetpassword/form?pk={uid}", {"password": "Reset#2026x", "conf_password": "Reset#2026x"})
    assert user_state(app, "reset_me")[2] is True
    c = Client(app)
    c.login("reset_me", "Reset#2026x")
    assert "resetmypassword" in c.get("/").headers.get("Location", "")


def test_api_refuses_user_who_must_change_password(app):
    make_user(app, "api_must_change", roles=("analyst",), must_change_password=True)
    http = app.test_client()
    tok = http.post("/api/v1/security/login", json={"username": "api_must_change",
                                                     "password": "Strong#2026", "provider": "db"}).get_json()
    r = http.get("/api/v1/organization/", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert r.status_code == 403


@pytest.mark.parametrize("password", [
    "Sh0rt!a",            # 7 characters
    "alllowercase123",    # two classes only
    "NoDigitsHere",       # two classes only
    "Aa1!" * 6,           # 24 characters
    "abc def 1A!",        # whitespace
])
def test_password_policy_in_add_user(app, password):
    """The seed and CLI path (add_user) refuses weak passwords with a Chinese message."""
    from app.core.validators import ValidationError

    with app.app_context():
        sm = app.appbuilder.sm
        with pytest.raises(ValidationError) as info:
            sm.add_user("weak_user", "x", "", "weak@t.invalid", sm.find_role("public"), password=password)
        assert "密码" in str(info.value)
        assert sm.find_user(username="weak_user") is None


def test_strong_password_accepted_by_add_user(app):
    uid = make_user(app, "strong_user", password="Go0d#pass")
    assert uid


def test_idle_timeout_signs_out(app):
    c = Client(app)
    c.login("analyst")
    assert c.get("/").status_code == 200
    with c.http.session_transaction() as sess:
        sess["last_seen"] = datetime.now().timestamp() - 31 * 60
    resp = c.get("/orgusers/list/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "/login" in c.get("/orgusers/list/").headers.get("Location", "")


def test_an_unchanged_session_is_not_sent_again(app, monkeypatch):
    from app.security import manager

    c = Client(app)
    c.login("admin")
    c.get("/regionview/list/")
    again = c.get("/regionview/list/")          # the same page again: nothing in the session moved
    assert again.status_code == 200 and not again.headers.getlist("Set-Cookie")
    monkeypatch.setattr(manager, "LAST_SEEN_STEP", 0)
    with c.http.session_transaction() as sess:
        before = sess["last_seen"]
    moved = c.get("/regionview/list/")          # the last activity moved: written and sent
    assert any(h.startswith("session=") for h in moved.headers.getlist("Set-Cookie"))
    with c.http.session_transaction() as sess:
        assert sess["last_seen"] > before


def test_csrf_required_on_forms(app):
    c = Client(app)
    resp = c.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
    assert resp.status_code == 400
    assert "表单" in resp.get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/login/")
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_jwt_login_and_openapi(app, api):
    http, headers = api("admin")
    assert http.get("/api/v1/_openapi", headers=headers).status_code == 200
    spec = http.get("/api/v1/_openapi", headers=headers).get_json()
    assert "/api/v1/organization/" in spec["paths"]


def test_swagger_ui_only_for_sysadmin(app, login):
    assert login("admin").get("/swagger/v1").status_code == 200
    assert login("gov_admin").get("/swagger/v1").status_code in (302, 403)


def test_login_by_mobile(app):
    c = Client(app)
    resp = c.login("13800000010")  # analyst's mobile
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"]


def test_csrf_refusal_for_a_signed_in_user_is_a_chinese_400(app, login):
    c = login("gov_admin")
    resp = c.http.post("/orgusers/add", data={"username": "x"})
    assert resp.status_code == 400
    assert "表单" in resp.get_data(as_text=True)
