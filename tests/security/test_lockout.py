"""The lockout: every refused password login counts (picture code missing or wrong included),
the count is one atomic UPDATE that two concurrent attempts cannot both read and overwrite,
and the threshold and duration are the runtime parameters a sysadmin edits. The lockout's
clock (app.core.mixins.now) is fixed where a test reads locked_until."""
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import event, select, text

from app.core import mixins
from app.core.audit import AuditLog
from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Parameter
from tests.concurrency import StatementSignal
from tests.conftest import Client
from tests.security.test_login import make_user, user_state

PASSWORD = "Strong#2026"
NO_CODE = "请输入图形验证码。"


def summaries(app, username, action=None):
    with app.app_context():
        q = select(AuditLog.summary).where(AuditLog.username == username)
        if action:
            q = q.where(AuditLog.action == action)
        return db.session.execute(q.order_by(AuditLog.id)).scalars().all()


def post_login(c, username, password, code):
    """The login form with a picture code typed as given (None: the field left out)."""
    data = {"username": username, "password": password, "csrf_token": c.token("/login/")}
    if code is not None:
        c.http.get("/captcha/login.png")
        data["captcha"] = code
    return c.http.post("/login/", data=data)


def test_attempts_without_the_right_picture_code_count_and_are_audited(app):
    make_user(app, "lock_captcha")
    c = Client(app)
    for _ in range(3):
        assert c.login("lock_captcha", "Wrong#Pass1").status_code == 200
    assert user_state(app, "lock_captcha")[0] == 3
    # The picture code is now asked for: left out, the right password does not open the account ...
    resp = post_login(c, "lock_captcha", PASSWORD, None)
    assert resp.status_code == 200 and NO_CODE in resp.get_data(as_text=True)
    assert user_state(app, "lock_captcha")[0] == 4
    # ... from another browser either (the count is the account's), nor with a wrong code.
    resp = post_login(Client(app), "lock_captcha", PASSWORD, "NOPE")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "登录失败次数过多，账号已被锁定至" in page
    count, locked_until, _ = user_state(app, "lock_captcha")
    assert count == 0 and locked_until is not None
    assert summaries(app, "lock_captcha", "login_failed") == [
        "密码错误（第 1 次，上限 5 次）", "密码错误（第 2 次，上限 5 次）", "密码错误（第 3 次，上限 5 次）",
        "图片验证码缺失或错误（第 4 次，上限 5 次）", "图片验证码缺失或错误（第 5 次，上限 5 次）"]
    assert summaries(app, "lock_captcha", "locked") == [f"锁定至 {locked_until:%Y-%m-%d %H:%M}"]
    # Once locked, a refused picture code is audited as a refusal and does not extend the lock.
    post_login(Client(app), "lock_captcha", PASSWORD, None)
    assert user_state(app, "lock_captcha")[:2] == (0, locked_until)
    assert summaries(app, "lock_captcha", "login_failed")[-1] == "拒绝：账号已锁定"


def test_an_unknown_account_without_the_picture_code_is_audited(app):
    c = Client(app)
    for _ in range(3):
        c.login("no_such_cap_user", "Wrong#Pass1")
    post_login(c, "no_such_cap_user", "Wrong#Pass1", None)
    with app.app_context():
        rows = db.session.execute(select(AuditLog.summary).where(
            AuditLog.action == "login_failed", AuditLog.summary.contains("no_such_cap_user"))
            .order_by(AuditLog.id)).scalars().all()
    assert rows == ["未知账号：no_such_cap_user"] * 3 + ["未知账号：no_such_cap_user；图片验证码缺失或错误"]


def test_the_lockout_follows_its_runtime_parameters(app, login, monkeypatch):
    """Threshold 3 and 7 minutes, set by sysadmin on 系统参数: the third failure locks until
    exactly 7 minutes after it, and the lock lifts exactly then."""
    moment = datetime(2030, 5, 6, 7, 8, 9)
    monkeypatch.setattr(mixins, "now", lambda: moment)
    make_user(app, "lock_params")
    with app.app_context():
        ids = dict(db.session.execute(select(Parameter.key, Parameter.id).where(
            Parameter.key.in_(["security.lockout_threshold", "security.lockout_minutes"]))).all())
    admin = login("admin")
    try:
        admin.form(f"/parameterview/edit/{ids['security.lockout_threshold']}", {"value": "3"})
        admin.form(f"/parameterview/edit/{ids['security.lockout_minutes']}", {"value": "7"})
        with app.app_context():
            assert db.session.execute(select(Parameter.value).where(Parameter.id.in_(ids.values()))
                                      .order_by(Parameter.key)).scalars().all() == ["7", "3"]
        c = Client(app)
        c.login("lock_params", "Wrong#Pass1")
        c.login("lock_params", "Wrong#Pass1")
        assert user_state(app, "lock_params")[:2] == (2, None)
        resp = c.login("lock_params", "Wrong#Pass1")
        assert "登录失败次数过多，账号已被锁定至2030-05-06 07:15。" in resp.get_data(as_text=True)
        assert user_state(app, "lock_params")[:2] == (0, datetime(2030, 5, 6, 7, 15, 9))
        assert summaries(app, "lock_params", "login_failed") == [
            "密码错误（第 1 次，上限 3 次）", "密码错误（第 2 次，上限 3 次）", "密码错误（第 3 次，上限 3 次）"]
        assert summaries(app, "lock_params", "locked") == ["锁定至 2030-05-06 07:15"]
        moment = datetime(2030, 5, 6, 7, 15, 8)                     # one second before the end
        resp = Client(app).login("lock_params", PASSWORD)
        assert resp.status_code == 200 and "锁定" in resp.get_data(as_text=True)
        moment = datetime(2030, 5, 6, 7, 15, 9)                     # the lock has ended
        assert Client(app).login("lock_params", PASSWORD).status_code == 302
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE anju_param SET value = '5' WHERE key = 'security.lockout_threshold'"))
            db.session.execute(text("UPDATE anju_param SET value = '30' WHERE key = 'security.lockout_minutes'"))
            db.session.commit()


def test_two_concurrent_failures_are_both_counted(app):
    """Request B reads the account while A's failure is counted but not committed, then fails
    too. B's UPDATE waits for A's lock; both must count (4 and 5), so the account locks."""
    make_user(app, "lock_race")
    with app.app_context():
        user = db.session.execute(select(AnjuUser).where(AnjuUser.username == "lock_race")).scalar_one()
        user.fail_login_count = 3
        user.locked_until = None
        db.session.commit()
        user_id = user.id
    b_is_writing = StatementSignal("UPDATE AB_USER ")
    outcome = {}

    def request_b():
        with app.test_request_context("/"):
            engine = db.engine
            try:
                theirs = db.session.get(AnjuUser, user_id)
                outcome["b_read"] = theirs.fail_login_count   # A's count is not committed yet
                b_is_writing.arm(engine)
                app.appbuilder.sm.update_user_auth_stat(theirs, success=False)
                outcome["b"] = "counted"
            except Exception as exc:  # reported by the assertion below
                db.session.rollback()
                outcome["b"] = repr(exc)
            finally:
                b_is_writing.disarm()
                db.session.remove()

    other = threading.Thread(target=request_b)

    def hold_a_open(session):
        """A has counted (its UPDATE holds the row) and is about to commit: run B now."""
        other.start()
        assert b_is_writing.wait(20), "request B never reached its UPDATE"
        time.sleep(0.3)  # B waits for A's lock

    with app.test_request_context("/"):
        try:
            mine = db.session.get(AnjuUser, user_id)
            event.listen(db.session(), "before_commit", hold_a_open, once=True)
            app.appbuilder.sm.update_user_auth_stat(mine, success=False)   # A
            other.join(30)
            assert not other.is_alive()
        finally:
            db.session.rollback()
            db.session.remove()
    assert outcome == {"b_read": 3, "b": "counted"}, outcome
    count, locked_until, _ = user_state(app, "lock_race")
    assert count == 0 and locked_until is not None
    assert summaries(app, "lock_race", "login_failed") == ["密码错误（第 4 次，上限 5 次）", "密码错误（第 5 次，上限 5 次）"]
    assert len(summaries(app, "lock_race", "locked")) == 1
