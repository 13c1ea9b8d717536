"""SMS engine: the outbox backend and Chinese templates, verification codes (stored as
HMAC, expiry, cooldown, daily limits, wrong-try cap, single use under concurrency), a
failing gateway, and the sysadmin's outbox screen.

Each test uses its own mobiles (139000001xx) because the session database is shared.
Time is moved by UPDATEs on the stored rows, never by mocking the clock."""
import contextlib
import io
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from flask import g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from app.core import sms
from app.core.errors import DomainError
from app.core.sms import SmsCode, SmsConfigError, SmsMessage, SmsPurpose
from app.extensions import db
from app.system.params import PARAMS, get_param

from tests.concurrency import StatementSignal

CHINESE = re.compile(r"[\u4e00-\u9fff]")


class BrokenGateway(sms.SmsBackend):
    """A real backend whose gateway is down."""

    name = "broken-gateway"

    def send(self, mobile, content, template):
        raise ConnectionError("gateway down")


class NotABackend:
    def send(self, mobile, content, template):
        return None


# --- helpers ----------------------------------------------------------------------------

def code_of(mobile):
    """The code in the newest outbox message of ``mobile`` (what the user reads)."""
    return re.search(r"\d{6}", sms.latest_message(mobile).content).group(0)


@contextlib.contextmanager
def param(key, value):
    old = db.session.execute(text("SELECT value FROM anju_param WHERE key = :k"), {"k": key}).scalar()
    assert old is not None, f"parameter {key} not seeded"
    db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"k": key, "v": str(value)})
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"k": key, "v": old})
        db.session.commit()


@contextlib.contextmanager
def backend(app, value):
    old = app.config["SMS_BACKEND"]
    app.config["SMS_BACKEND"] = value
    try:
        yield
    finally:
        app.config["SMS_BACKEND"] = old


def code_rows(mobile):
    return db.session.execute(text(
        "SELECT id, created_at, expires_at, attempts, used_at FROM anju_sms_code "
        "WHERE mobile = :m ORDER BY id"), {"m": mobile}).all()


def move_back(mobile, seconds=None, to=None):
    """Pretend the mobile's codes were sent earlier (created_at and expires_at alike)."""
    for row in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
        created = to if to is not None else row.created_at - timedelta(seconds=seconds)
        shift = row.created_at - created
        db.session.execute(text("UPDATE anju_sms_code SET created_at = :c, expires_at = :e WHERE id = :i"),
                           {"c": created, "e": row.expires_at - shift, "i": row.id})
    db.session.commit()
    db.session.expire_all()


def attempts_in_db(app, mobile):
    """Read through a separate connection: what is really committed."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT attempts FROM anju_sms_code WHERE mobile = :m ORDER BY id DESC"),
                            {"m": mobile}).scalars().first()


def refused(call, *args, **kwargs):
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    return str(info.value)


def msg(msgid, **params):
    from flask_babel import gettext

    return gettext(msgid, **params)


EXPIRED = "The verification code has expired or was not sent; please get a new one."
TOO_MANY = "Too many wrong tries; please get a new verification code."


# --- sending and templates ------------------------------------------------------------

def test_send_sms_writes_the_outbox_in_chinese(ctx):
    with force_locale("en"):  # whatever the user's language, SMS go out in Chinese
        message = sms.send_sms("+86 139-0000-0101", "notice", text="请于本周五前补充材料")
    assert message.id is not None
    assert (message.mobile, message.template, message.status, message.backend) == \
           ("13900000101", "notice", "sent", "outbox")
    assert message.content.startswith("【安居管理台】")
    assert "请于本周五前补充材料" in message.content
    assert sms.latest_message("13900000101").id == message.id
    assert sms.latest_message("139 0000 0101").id == message.id
    with force_locale("en"):  # lazy parameters are rendered in Chinese too
        message = sms.send_sms("13900000101", "notice", text=_l("SMS outbox"))
    assert message.content == "【安居管理台】短信发件箱"


def test_outbox_row_belongs_to_the_callers_transaction(ctx):
    sms.send_sms("13900000102", "registration_approved")
    db.session.rollback()
    assert sms.latest_message("13900000102") is None
    sms.send_sms("13900000102", "registration_approved")
    db.session.commit()
    assert sms.latest_message("13900000102").status == "sent"


@pytest.mark.parametrize("template,params,must_contain", [
    ("verify_code", {"code": "123456", "minutes": 5}, ["验证码", "123456", "5"]),
    ("account_opened", {"org": "重庆安居物业服务有限公司", "username": "zhang3"},
     ["重庆安居物业服务有限公司", "zhang3", "激活"]),
    ("one_time_password", {"username": "zhang3", "password": "Xy7#kq2M"}, ["zhang3", "Xy7#kq2M", "修改"]),
    ("registration_approved", {}, ["通过"]),
    ("registration_returned", {"reason": "身份证照片不清晰"}, ["退回", "身份证照片不清晰"]),
    ("mobile_changed", {"username": "zhang3"}, ["zhang3", "手机号码"]),
    ("notice", {"text": "系统将于今晚维护"}, ["系统将于今晚维护"]),
])
def test_every_template_renders_in_chinese(ctx, template, params, must_contain):
    assert template in sms.TEMPLATES and template in sms.TEMPLATE_LABELS
    content = sms.render(template, **params)
    assert content.startswith("【安居管理台】") and "Anju" not in content
    for part in must_contain:
        assert part in content
    assert len(CHINESE.findall(content.replace(params.get("org", ""), ""))) > 4


def test_unknown_template_or_missing_parameter_is_a_programming_error(ctx):
    with pytest.raises(ValueError):
        sms.send_sms("13900000103", "no_such_template")
    with pytest.raises(ValueError):
        sms.send_sms("13900000103", "registration_returned")  # no reason
    assert sms.latest_message("13900000103") is None


def test_invalid_mobile_refused(ctx):
    for bad in ("12345", "23900000104", "+1 415 555 0100", "", None):
        refused(sms.send_sms, bad, "notice", text="x")
        refused(sms.send_code, bad, SmsPurpose.REGISTER)
        refused(sms.verify_code, bad, SmsPurpose.REGISTER, "123456")
    message = refused(sms.send_code, "1390000010", SmsPurpose.REGISTER)
    assert CHINESE.search(message) and "11" in message  # the validator's own message
    assert db.session.execute(text("SELECT count(*) FROM anju_sms_code WHERE mobile LIKE '1390000010%'")).scalar() == 0


def test_unknown_purpose_is_a_programming_error(ctx):
    with pytest.raises(ValueError):
        sms.send_code("13900000105", "lottery")
    with pytest.raises(ValueError):
        sms.verify_code("13900000105", "lottery", "123456")


# --- backends ---------------------------------------------------------------------------

def test_failing_backend_is_recorded_as_failed(app, ctx):
    with backend(app, "tests.core.test_sms:BrokenGateway"):
        assert isinstance(sms.get_backend(), BrokenGateway)
        message = refused(sms.send_sms, "13900000106", "notice", text="测试")
        assert message == msg("The SMS could not be sent; please try again later.")
        row = sms.latest_message("13900000106")
        assert (row.status, row.backend, row.template) == ("failed", "broken-gateway", "notice")
        assert "gateway down" in row.error and "ConnectionError" in row.error
        assert "测试" in row.content


def test_failing_backend_during_send_code_commits_the_failure_and_spends_the_code(app, ctx):
    mobile = "13900000107"
    with backend(app, "tests.core.test_sms:BrokenGateway"):
        refused(sms.send_code, mobile, SmsPurpose.LOGIN)
    db.session.rollback()  # the caller's rollback does not lose the record
    row = sms.latest_message(mobile)
    assert row.status == "failed" and row.template == "verify_code"
    [code] = code_rows(mobile)
    assert code.used_at is not None  # never delivered: cannot be verified
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code_of(mobile)) == msg(EXPIRED)
    # ...but it still counts for the cooldown, so a failing gateway is not hammered
    assert "60" in refused(sms.send_code, mobile, SmsPurpose.LOGIN)


def test_bad_backend_setting_is_a_clear_error_at_first_use(app, ctx):
    for value in ("smsgate", "no.such.module:Gateway", "tests.core.test_sms:Missing",
                  "tests.core.test_sms:NotABackend"):
        with backend(app, value):
            with pytest.raises(SmsConfigError, match="SMS_BACKEND"):
                sms.send_sms("13900000108", "notice", text="x")
    assert sms.latest_message("13900000108") is None
    assert isinstance(sms.get_backend(), sms.OutboxBackend)  # back to the default


# --- codes: storage and expiry ----------------------------------------------------------

def test_code_is_sent_in_chinese_and_stored_only_as_hmac(app, ctx):
    mobile = "13900000110"
    row = sms.send_code(mobile, SmsPurpose.REGISTER, ip="10.1.1.110")
    message = sms.latest_message(mobile)
    assert message.template == "verify_code" and "验证码" in message.content
    assert "【安居管理台】" in message.content and "5" in message.content
    code = code_of(mobile)
    assert row.code_hash == sms.code_digest(mobile, SmsPurpose.REGISTER, code)
    assert len(row.code_hash) == 64
    raw = db.session.execute(text("SELECT * FROM anju_sms_code WHERE mobile = :m"), {"m": mobile}).one()
    assert all(code not in str(value) for value in raw)
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert (row.ip, row.attempts, row.used_at) == ("10.1.1.110", 0, None)
    # committed: visible from another connection
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM anju_sms_code WHERE mobile = :m"), {"m": mobile}).scalar() == 1
    # neither the code nor the message reaches the audit log
    logged = db.session.execute(text("SELECT count(*) FROM anju_audit_log WHERE after LIKE :c OR summary LIKE :c"),
                                {"c": f"%{code}%"}).scalar()
    assert logged == 0


def test_codes_are_random(ctx):
    codes = set()
    for purpose in SmsPurpose.ALL:
        sms.send_code("13900000111", purpose)
        codes.add(code_of("13900000111"))
    assert len(codes) >= 4


def test_ttl_comes_from_the_parameter(ctx):
    with param("sms.code_ttl_minutes", 2):
        row = sms.send_code("13900000112", SmsPurpose.ACTIVATE)
        assert row.expires_at - row.created_at == timedelta(minutes=2)
        assert "2" in sms.latest_message("13900000112").content


def test_expired_code_is_refused(ctx):
    mobile = "13900000113"
    sms.send_code(mobile, SmsPurpose.LOGIN)
    code = code_of(mobile)
    move_back(mobile, seconds=4 * 60 + 50)
    assert sms.verify_code(mobile, SmsPurpose.LOGIN, code, consume=False)  # 10 s left
    move_back(mobile, seconds=11)
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code) == msg(EXPIRED)
    assert refused(sms.verify_code, "13900000199", SmsPurpose.LOGIN, code) == msg(EXPIRED)  # never sent


def test_right_code_verifies_once_and_only_for_its_purpose(ctx):
    mobile = "13900000114"
    sms.send_code(mobile, SmsPurpose.RESET_PASSWORD)
    code = code_of(mobile)
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code) == msg(EXPIRED)
    assert sms.verify_code(mobile, SmsPurpose.RESET_PASSWORD, f"  {code}\n", consume=False)
    row = sms.verify_code(mobile, SmsPurpose.RESET_PASSWORD, code)
    db.session.commit()
    assert row.used_at is not None and row.attempts == 0
    assert refused(sms.verify_code, mobile, SmsPurpose.RESET_PASSWORD, code) == msg(EXPIRED)


def test_success_is_not_committed_by_verify(ctx):
    mobile = "13900000115"
    sms.send_code(mobile, SmsPurpose.ACTIVATE)
    code = code_of(mobile)
    sms.verify_code(mobile, SmsPurpose.ACTIVATE, code)
    db.session.rollback()  # the caller's work failed: the code is still usable
    assert code_rows(mobile)[0].used_at is None
    sms.verify_code(mobile, SmsPurpose.ACTIVATE, code)
    db.session.commit()
    assert code_rows(mobile)[0].used_at is not None


def test_newest_code_replaces_older_ones(ctx):
    mobile = "13900000116"
    sms.send_code(mobile, SmsPurpose.LOGIN)
    first = code_of(mobile)
    move_back(mobile, seconds=61)
    sms.send_code(mobile, SmsPurpose.LOGIN)
    second = code_of(mobile)
    if first != second:
        refused(sms.verify_code, mobile, SmsPurpose.LOGIN, first)
    assert sms.verify_code(mobile, SmsPurpose.LOGIN, second)


# --- codes: limits ----------------------------------------------------------------------

def test_resend_cooldown_says_how_long_to_wait(ctx):
    mobile = "13900000120"
    sms.send_code(mobile, SmsPurpose.REGISTER)
    message = refused(sms.send_code, mobile, SmsPurpose.REGISTER)
    assert message == msg("Please wait %(seconds)s seconds before requesting a new code.", seconds=60)
    assert "60" in message and "秒" in message
    move_back(mobile, seconds=45)
    assert refused(sms.send_code, mobile, SmsPurpose.REGISTER) == \
        msg("Please wait %(seconds)s seconds before requesting a new code.", seconds=15)
    sms.send_code(mobile, SmsPurpose.LOGIN)  # the cooldown is per purpose
    move_back(mobile, seconds=61)
    sms.send_code(mobile, SmsPurpose.REGISTER)
    assert len(code_rows(mobile)) == 3


def test_cooldown_comes_from_the_parameter(ctx):
    mobile = "13900000121"
    with param("sms.resend_seconds", 10):
        sms.send_code(mobile, SmsPurpose.REGISTER)
        assert "10" in refused(sms.send_code, mobile, SmsPurpose.REGISTER)
        move_back(mobile, seconds=11)
        sms.send_code(mobile, SmsPurpose.REGISTER)


def test_daily_limit_per_mobile_counts_all_purposes_since_midnight(ctx):
    mobile = "13900000122"
    with param("sms.daily_per_mobile", 2):
        sms.send_code(mobile, SmsPurpose.REGISTER)
        sms.send_code(mobile, SmsPurpose.LOGIN)
        message = refused(sms.send_code, mobile, SmsPurpose.CHANGE_MOBILE)
        assert message == msg("This mobile number has had %(n)s verification codes today, the most "
                              "allowed; please try again tomorrow.", n=2)
        assert len(code_rows(mobile)) == 2
        sms.send_code("13900000123", SmsPurpose.REGISTER)  # another mobile is not affected
        # yesterday's codes do not count
        midnight = datetime.combine(datetime.now().date(), datetime.min.time())
        move_back(mobile, to=midnight - timedelta(seconds=1))
        sms.send_code(mobile, SmsPurpose.CHANGE_MOBILE)


def test_daily_limit_per_ip(ctx):
    ip = "10.77.0.1"
    with param("sms.daily_per_ip", 2):
        sms.send_code("13900000124", SmsPurpose.REGISTER, ip=ip)
        sms.send_code("13900000125", SmsPurpose.REGISTER, ip=ip)
        message = refused(sms.send_code, "13900000126", SmsPurpose.REGISTER, ip=ip)
        assert message == msg("Too many verification codes were requested from your network today; "
                              "please try again tomorrow.")
        assert code_rows("13900000126") == []
        sms.send_code("13900000126", SmsPurpose.REGISTER, ip="10.77.0.2")


def test_ip_defaults_to_the_requests_address(app):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.77.9.9"}):
        row = sms.send_code("13900000127", SmsPurpose.LOGIN)
        assert row.ip == "10.77.9.9"
        db.session.remove()


# --- codes: wrong tries -----------------------------------------------------------------

def test_five_wrong_tries_then_refused_even_with_the_right_code(app, ctx):
    mobile = "13900000130"
    sms.send_code(mobile, SmsPurpose.LOGIN)
    code = code_of(mobile)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, wrong) == \
            msg("The verification code is wrong; %(n)s tries left.", n=left)
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, wrong) == \
        msg("The verification code is wrong; please get a new one.")
    assert attempts_in_db(app, mobile) == 5
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code) == msg(TOO_MANY)
    assert attempts_in_db(app, mobile) == 5


def test_malformed_codes_are_wrong_tries(app, ctx):
    mobile = "13900000131"
    sms.send_code(mobile, SmsPurpose.LOGIN)
    code = code_of(mobile)
    wrong = [msg("The verification code is wrong; %(n)s tries left.", n=n) for n in (4, 3, 2, 1)]
    wrong.append(msg("The verification code is wrong; please get a new one."))
    for bad, expected in zip(("12345", "abcdef", None, code + "0", f"{code[:3]} {code[3:]}"), wrong):
        assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, bad) == expected
    assert attempts_in_db(app, mobile) == 5
    assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code) == msg(TOO_MANY)


def test_max_attempts_comes_from_the_parameter(app, ctx):
    mobile = "13900000132"
    with param("sms.max_attempts", 2):
        sms.send_code(mobile, SmsPurpose.LOGIN)
        code = code_of(mobile)
        wrong = "000000" if code != "000000" else "111111"
        refused(sms.verify_code, mobile, SmsPurpose.LOGIN, wrong)
        refused(sms.verify_code, mobile, SmsPurpose.LOGIN, wrong)
        assert refused(sms.verify_code, mobile, SmsPurpose.LOGIN, code) == msg(TOO_MANY)


def test_wrong_try_survives_the_callers_rollback(app, ctx):
    mobile = "13900000133"
    sms.send_code(mobile, SmsPurpose.CHANGE_MOBILE)
    code = code_of(mobile)
    wrong = "000000" if code != "000000" else "111111"
    refused(sms.verify_code, mobile, SmsPurpose.CHANGE_MOBILE, wrong)
    db.session.rollback()
    assert attempts_in_db(app, mobile) == 1
    # a right try does not count
    sms.verify_code(mobile, SmsPurpose.CHANGE_MOBILE, code, consume=False)
    db.session.commit()
    assert attempts_in_db(app, mobile) == 1


def test_new_code_after_too_many_tries_works(ctx):
    mobile = "13900000134"
    with param("sms.max_attempts", 1):
        sms.send_code(mobile, SmsPurpose.LOGIN)
        code = code_of(mobile)
        refused(sms.verify_code, mobile, SmsPurpose.LOGIN, "000000" if code != "000000" else "111111")
        move_back(mobile, seconds=61)
        sms.send_code(mobile, SmsPurpose.LOGIN)
        assert sms.verify_code(mobile, SmsPurpose.LOGIN, code_of(mobile))


# --- codes: concurrency -----------------------------------------------------------------

def test_two_concurrent_requests_consume_a_code_once(app):
    """Request B reads the code as unused while A holds it; A commits; B must lose."""
    mobile = "13900000140"
    with app.app_context():
        sms.send_code(mobile, SmsPurpose.LOGIN)
        code = code_of(mobile)
        db.session.remove()
    b_is_writing = StatementSignal("UPDATE ANJU_SMS_CODE")
    outcome = {}

    def request_b():
        with app.app_context():
            engine = db.engine
            b_is_writing.arm(engine)
            try:
                sms.verify_code(mobile, SmsPurpose.LOGIN, code)
                db.session.commit()
                outcome["b"] = "consumed"
            except DomainError as exc:
                db.session.rollback()
                outcome["b"] = str(exc)
            except Exception as exc:  # reported by the assertion below
                db.session.rollback()
                outcome["b"] = repr(exc)
            finally:
                b_is_writing.disarm(release=False)
                db.session.remove()

    with app.app_context():
        sms.verify_code(mobile, SmsPurpose.LOGIN, code)  # A: right, transaction still open
        other = threading.Thread(target=request_b)
        other.start()
        assert b_is_writing.wait(10), "request B never reached its UPDATE"
        time.sleep(0.3)  # B has read the row as unused and now waits for A's lock
        db.session.commit()
        other.join(30)
        assert not other.is_alive()
        assert outcome["b"] == msg(EXPIRED)
        assert len([r for r in code_rows(mobile) if r.used_at is not None]) == 1
        db.session.remove()


# --- housekeeping and parameters --------------------------------------------------------

def test_purge_expired_deletes_old_codes_only(ctx):
    mobile_old, mobile_new = "13900000150", "13900000151"
    sms.send_code(mobile_old, SmsPurpose.LOGIN)
    sms.send_code(mobile_new, SmsPurpose.LOGIN)
    move_back(mobile_old, seconds=31 * 86400)
    assert sms.purge_expired() >= 1
    assert code_rows(mobile_old) == []
    assert len(code_rows(mobile_new)) == 1
    with pytest.raises(ValueError):
        sms.purge_expired(0)


def test_parameters_are_declared_seeded_and_defaulted(ctx):
    expected = {"sms.code_ttl_minutes": (5, 1, 60), "sms.resend_seconds": (60, 10, 3600),
                "sms.max_attempts": (5, 1, 20), "sms.daily_per_mobile": (10, 1, 1000),
                "sms.daily_per_ip": (50, 1, 100000)}
    for key, (default, low, high) in expected.items():
        spec = PARAMS[key]
        assert (spec.type, spec.default, spec.min, spec.max, spec.group) == ("int", default, low, high, "sms")
    # The test session lifts the per-IP cap (every test request comes from 127.0.0.1).
    seeded = dict(db.session.execute(text("SELECT key, value FROM anju_param WHERE key LIKE 'sms.%'")).all())
    assert seeded == {k: ("100000" if k == "sms.daily_per_ip" else str(v[0])) for k, v in expected.items()}
    for key, (default, _low, _high) in expected.items():
        if key != "sms.daily_per_ip":
            assert get_param(key) == default
    db.session.execute(text("DELETE FROM anju_param WHERE key = 'sms.max_attempts'"))
    assert get_param("sms.max_attempts") == 5  # a missing row falls back to the default
    db.session.rollback()


# --- the outbox screen ------------------------------------------------------------------

def _outbox_view(application):
    return next(v for v in application.appbuilder.baseviews if type(v).__name__ == "SmsOutboxView")


def test_sysadmin_reads_the_outbox_newest_first_with_full_mobiles(app, login):
    with app.app_context():
        sms.send_sms("13900000160", "notice", text="较早的通知")
        sms.send_sms("13900000160", "notice", text="最新的通知")
        db.session.commit()
    c = login("admin")
    resp = c.get("/smsoutbox/list/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "13900000160" in html  # sysadmin holds the PII permission
    assert html.index("最新的通知") < html.index("较早的通知")
    assert "短信发件箱" in html
    # search by mobile
    html = c.get("/smsoutbox/list/?_flt_0_mobile=13900000160").get_data(as_text=True)
    assert "最新的通知" in html
    # the menu entry
    assert "/smsoutbox/list/" in c.get("/").get_data(as_text=True)


def test_outbox_show_and_export(app, login):
    import openpyxl

    with app.app_context():
        pk = sms.send_sms("13900000161", "mobile_changed", username="zhang3").id
        db.session.commit()
    c = login("admin")
    html = c.get(f"/smsoutbox/show/{pk}").get_data(as_text=True)
    assert "zhang3" in html and "outbox" in html
    resp = c.get("/smsoutbox/export/?_flt_0_mobile=13900000161")
    assert resp.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "手机号码", "模板", "内容", "状态")
    assert rows[1][1] == "13900000161" and rows[1][2] == "手机号码变更" and rows[1][4] == "已发送"


def test_outbox_is_read_only_even_for_sysadmin(app, login):
    with app.app_context():
        pk = sms.send_sms("13900000163", "registration_approved").id
        db.session.commit()
    c = login("admin")
    assert c.get("/smsoutbox/add").status_code in (302, 403, 404, 405)
    assert c.get(f"/smsoutbox/edit/{pk}").status_code in (302, 403, 404, 405)
    resp = c.form(f"/smsoutbox/delete/{pk}", {}, get_url="/smsoutbox/list/")
    assert resp.status_code in (302, 403, 404, 405)
    with app.app_context():
        assert db.session.get(SmsMessage, pk) is not None
    view = _outbox_view(app)
    assert sorted(view.base_permissions) == ["can_export", "can_list", "can_show"]


@pytest.mark.parametrize("username", ["gov_admin", "helpdesk", "public1"])
def test_outbox_is_closed_to_other_roles(app, login, username):
    with app.app_context():
        pk = sms.send_sms("13900000164", "registration_approved").id
        db.session.commit()
    c = login(username)
    for url in ("/smsoutbox/list/", f"/smsoutbox/show/{pk}", "/smsoutbox/export/"):
        resp = c.get(url)
        assert resp.status_code in (302, 403), (url, resp.status_code)
        assert "13900000" not in resp.get_data(as_text=True)


def test_outbox_masks_mobiles_without_the_pii_permission(app):
    view = _outbox_view(app)
    assert view.mask_columns == {"mobile": "mobile"}
    with app.test_request_context("/smsoutbox/list/"):
        g.can_view_full_pii = False
        assert view.formatters_columns["mobile"]("13900000162") == "139****0162"
        g.can_view_full_pii = True
        assert view.formatters_columns["mobile"]("13900000162") == "13900000162"
