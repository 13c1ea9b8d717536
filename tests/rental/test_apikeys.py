"""平台接口密钥 (issue 14): sysadmin issues a key to a platform account (shown once, stored hashed,
with a prefix), revokes it (then 401); a wrong, expired or revoked key and a disabled account get
401 with a Chinese message; last_used_on is written at most once a minute; the key screens are
sysadmin's alone; the audit log never holds the plaintext or the hashes; `flask rental issue-key`
prints a key the demo platform can call with."""
import itertools
import logging
import re
from datetime import datetime, timedelta

import pytest
from flask_appbuilder.security.sqla.models import ApiKey
from sqlalchemy import select

from app.core.audit import AuditLog
from app.core.errors import DomainError
from app.extensions import db
from app.rental.verification import apikeys
from tests.conftest import DEMO_PASSWORD, csrf_token
from tests.rental.helpers import new_property, user, verification_fields

URL = "/api/v1/listing_verification/"
KEYS = "/system/platform-keys/"
_seq = itertools.count(1)


# --- helpers shared with test_verification_api.py ---------------------------------------------

def new_platform(region="500103"):
    """A fresh platform organisation with an api_client account: (org, account)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields
    from tests.accounts.helpers import new_credit_code
    from tests.complaints.helpers import new_mobile

    n = next(_seq)
    stamp = f"{n}_{datetime.now():%H%M%S%f}"
    org = Organization(name=f"测试房屋租赁信息平台{stamp}", org_type="enterprise", enterprise_type="platform",
                       region_code=region, credit_code=new_credit_code(region), active=True)
    db.session.add(org)
    set_tree_fields(org)
    db.session.flush()
    finish_paths([org])
    db.session.commit()
    sm = current_app.appbuilder.sm
    sm.add_user(f"platform{stamp}", "平台接口账号", "", f"platform{stamp}@test.anju.invalid",
                sm.find_role("api_client"), password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1366"),
                must_change_password=False)
    return org, user(f"platform{stamp}")


def issued_key(account, name=None, expires_on=None):
    """Issue a key to ``account`` as the command line does; returns (ApiKey, plaintext)."""
    key, plaintext = apikeys.issue(None, account.id, name or f"测试密钥{next(_seq)}", expires_on)
    db.session.commit()
    return key, plaintext


def bearer(plaintext):
    return {"Authorization": f"Bearer {plaintext}"}


class Fresh:
    """A test client whose every request runs in an app context of its own, as in production:
    the test's context (the ``ctx`` fixture) would otherwise lend the request its ``g`` (the
    signed-in key, cached parameters) and its database session."""

    def __init__(self, app, headers=None):
        self.app, self.http, self.headers = app, app.test_client(), dict(headers or {})

    def _call(self, method, url, headers=None, **kwargs):
        db.session.expire_all()
        with self.app.app_context():
            return getattr(self.http, method)(url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url, **kwargs):
        return self._call("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self._call("post", url, **kwargs)


def fresh(app, headers=None):
    return Fresh(app, headers)


def token_client(app, username):
    """A client calling with ``username``'s JWT (signed in by the REST login)."""
    from tests.conftest import api_token

    with app.app_context():
        token = api_token(app, username)
    return Fresh(app, {"Authorization": f"Bearer {token}"})


def body_for(prop, people):
    return verification_fields(prop, people)


@pytest.fixture
def platform(ctx):
    return new_platform()


# --- issue -------------------------------------------------------------------------------------

def test_a_key_is_shown_once_stored_hashed_with_a_prefix(app, platform, caplog):
    from werkzeug.security import check_password_hash

    _org, account = platform
    caplog.set_level(logging.DEBUG)
    key, plaintext = issued_key(account, "生产系统")
    assert re.fullmatch(r"anju_[A-Za-z0-9_-]{43}", plaintext)
    stored = db.session.get(ApiKey, key.id)
    assert stored.key_prefix == plaintext[:12] and plaintext.startswith(stored.key_prefix)
    assert plaintext not in (stored.key_hash, stored.lookup_hash)
    assert stored.key_hash.startswith("pbkdf2:sha256:1000$") and check_password_hash(stored.key_hash, plaintext)
    assert stored.lookup_hash == app.appbuilder.sm._compute_lookup_hash(plaintext)
    assert apikeys.state_of(stored) == "active" and apikeys.state_label(stored) == "有效"
    # Neither the log nor the audit log keeps the key or its hashes.
    assert plaintext not in caplog.text
    entry = db.session.execute(select(AuditLog).where(AuditLog.entity == "ApiKey", AuditLog.entity_id == str(key.id),
                                                      AuditLog.action == "create")).scalars().one()
    assert '"key_hash": "******"' in entry.after and '"lookup_hash": "******"' in entry.after
    for column in (AuditLog.summary, AuditLog.before, AuditLog.after):
        assert db.session.execute(select(AuditLog.id).where(column.contains(plaintext[5:]))).first() is None
        assert db.session.execute(select(AuditLog.id).where(column.contains(stored.key_hash))).first() is None


@pytest.mark.parametrize("change,message", [
    ({"user_id": ""}, "平台接口账号：请从列表中选择一个平台接口账号"),
    ({"user_id": "agent"}, "平台接口账号：请从列表中选择一个平台接口账号"),
    ({"name": "  "}, "密钥名称：必须填写"),
    ({"name": "长" * 61}, "密钥名称：最多60个字符"),
    ({"expires_on": "2026-13-40"}, "到期日期：请按 yyyy-mm-dd 填写日期"),
    ({"expires_on": "today"}, "到期日期：必须晚于今天"),
])
def test_issue_refusals_name_the_field(platform, change, message):
    from tests.rental.helpers import new_rental_enterprise

    _org, account = platform
    values = {"user_id": account.id, "name": "对接", "expires_on": None}
    values.update(change)
    if values["user_id"] == "agent":
        values["user_id"] = new_rental_enterprise()[2].id  # not a platform account
    if values["expires_on"] == "today":
        values["expires_on"] = datetime.now().date().isoformat()
    with pytest.raises(DomainError) as err:
        apikeys.issue(None, values["user_id"], values["name"], values["expires_on"])
    assert str(err.value) == message
    db.session.rollback()


def test_one_valid_key_per_name_and_only_sysadmin_issues_or_revokes(platform):
    _org, account = platform
    key, _plain = issued_key(account, "对接")
    with pytest.raises(DomainError) as err:
        apikeys.issue(None, account.id, "对接")
    assert str(err.value) == "密钥名称：该账号已有同名的有效密钥"
    db.session.rollback()
    for username in ("gov_admin", "helpdesk", "platform_a"):
        with pytest.raises(DomainError) as err:
            apikeys.issue(user(username), account.id, "另一个")
        assert str(err.value) == "只有系统管理员可以签发或吊销平台接口密钥。"
        with pytest.raises(DomainError):
            apikeys.revoke(user(username), key.id)
        db.session.rollback()
    apikeys.revoke(user("admin"), key.id)
    db.session.commit()
    with pytest.raises(DomainError) as err:
        apikeys.revoke(user("admin"), key.id)
    assert str(err.value) == f"接口密钥 {key.key_prefix} 已被吊销。"
    db.session.rollback()
    # Revoked, the name is free again.
    issued_key(account, "对接")


# --- calls with a key --------------------------------------------------------------------------

def test_wrong_revoked_and_expired_keys_and_a_disabled_account_get_401(app, platform):
    from app.security.models import AnjuUser

    _org, account = platform
    http = fresh(app)
    key, plaintext = issued_key(account)
    assert http.get(URL, headers=bearer(plaintext)).status_code == 200

    answer = http.get(URL, headers=bearer(plaintext[:-4] + "abcd"))
    assert answer.status_code == 401 and answer.get_json()["message"] == "接口密钥无效。"
    assert http.get(URL, headers=bearer("anju_" + "x" * 300)).get_json()["message"] == "接口密钥无效。"
    answer = http.get(URL)
    assert answer.status_code == 401 and answer.get_json()["message"] == "请先登录。"
    # A bearer value that is neither a token nor one of our keys (another prefix).
    answer = http.get(URL, headers=bearer("sst_" + plaintext[5:]))
    assert answer.status_code == 401 and answer.get_json()["message"] == "接口密钥或登录令牌无效。"

    # Expired yesterday.
    stored = db.session.get(ApiKey, key.id)
    stored.expires_on = datetime.now() - timedelta(days=1)
    db.session.commit()
    answer = http.get(URL, headers=bearer(plaintext))
    assert answer.status_code == 401 and answer.get_json()["message"] == "接口密钥已过期。"

    # Revoked.
    key2, plaintext2 = issued_key(account)
    assert http.post(URL, json={}, headers=bearer(plaintext2)).status_code == 422
    apikeys.revoke(user("admin"), key2.id)
    db.session.commit()
    answer = http.post(URL, json={}, headers=bearer(plaintext2))
    assert answer.status_code == 401 and answer.get_json()["message"] == "接口密钥已被吊销。"

    # The account disabled: every key of it stops.
    _key3, plaintext3 = issued_key(account)
    assert http.get(URL, headers=bearer(plaintext3)).status_code == 200
    db.session.get(AnjuUser, account.id).active = False
    db.session.commit()
    answer = http.get(URL, headers=bearer(plaintext3))
    assert answer.status_code == 401 and answer.get_json()["message"] == "该接口密钥所属账号已停用。"
    db.session.get(AnjuUser, account.id).active = True
    db.session.commit()
    assert http.get(URL, headers=bearer(plaintext3)).status_code == 200


def test_a_key_works_whatever_the_accounts_sign_in_generation(app, platform):
    """Signing out (which ends every session and token) is about passwords: keys keep working."""
    from app.security import sessions

    _org, account = platform
    _key, plaintext = issued_key(account)
    sessions.end_sessions(account)
    db.session.commit()
    assert fresh(app).get(URL, headers=bearer(plaintext)).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(app, platform):
    _org, account = platform
    key, plaintext = issued_key(account)
    http = fresh(app)
    assert db.session.get(ApiKey, key.id).last_used_on is None
    assert http.get(URL, headers=bearer(plaintext)).status_code == 200
    db.session.expire_all()
    first = db.session.get(ApiKey, key.id).last_used_on
    assert first is not None
    # Thirty seconds ago: a call now leaves it alone.
    recent = first - timedelta(seconds=30)
    db.session.get(ApiKey, key.id).last_used_on = recent
    db.session.commit()
    http.get(URL, headers=bearer(plaintext))
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).last_used_on == recent
    # Two minutes ago: the call writes it again, and the write is not an audited change.
    stale = first - timedelta(minutes=2)
    db.session.get(ApiKey, key.id).last_used_on = stale
    db.session.commit()
    before = db.session.execute(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)).scalar()
    http.get(URL, headers=bearer(plaintext))
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).last_used_on > stale
    assert db.session.execute(select(AuditLog.id).where(AuditLog.id > before, AuditLog.entity == "ApiKey")).first() \
        is None


# --- the screens -------------------------------------------------------------------------------

def test_sysadmin_issues_a_key_shown_once_and_revokes_it_with_confirmation(app, platform, login):
    org, account = platform
    c = login("admin")
    page = c.get(KEYS).get_data(as_text=True)
    assert "平台接口密钥" in page and "签发密钥" in page
    form = c.get(KEYS + "issue").get_data(as_text=True)
    assert f'value="{account.id}"' in form and org.name in form
    # A refusal keeps what was typed.
    answer = c.form(KEYS + "issue", {"user_id": account.id, "name": ""}).get_data(as_text=True)
    assert "密钥名称：必须填写" in answer
    answer = c.form(KEYS + "issue", {"user_id": account.id, "name": "页面签发", "expires_on": ""})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "密钥仅在此显示一次。" in html
    plaintext = re.search(r'id="key-plaintext" value="(anju_[^"]+)"', html).group(1)
    assert "no-store" in answer.headers.get("Cache-Control", "")
    db.session.expire_all()
    key = db.session.execute(select(ApiKey).where(ApiKey.user_id == account.id, ApiKey.name == "页面签发")).scalars().one()
    # The list shows the prefix, never the key.
    listing = c.get(KEYS).get_data(as_text=True)
    assert key.key_prefix in listing and plaintext not in listing and "尚未使用" in listing
    assert f'id="btn-revoke-{key.id}"' in listing and "确定要吊销" in listing
    assert fresh(app).get(URL, headers=bearer(plaintext)).status_code == 200
    # 吊销 is a POST with the page's token.
    token = csrf_token(listing)
    answer = c.post(KEYS + f"revoke/{key.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "已吊销，此后使用该密钥的调用将被拒绝" in answer.get_data(as_text=True)
    assert fresh(app).get(URL, headers=bearer(plaintext)).status_code == 401
    revoked = c.get(KEYS + "?state=revoked").get_data(as_text=True)
    assert f'id="key-{key.id}" data-state="revoked"' in revoked and f'id="btn-revoke-{key.id}"' not in revoked
    # The revocation is in the audit log.
    entry = db.session.execute(select(AuditLog).where(AuditLog.entity == "ApiKey", AuditLog.entity_id == str(key.id),
                                                      AuditLog.action == "update")).scalars().one()
    assert "revoked_on" in entry.after and entry.username == "admin"
    assert c.post(KEYS + "revoke/999999999", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("username", ["gov_admin", "district1", "helpdesk", "agency_a", "platform_a", "public1"])
def test_nobody_but_sysadmin_reaches_the_key_screens(app, platform, login, username):
    _org, account = platform
    key, plaintext = issued_key(account)
    c = login(username)
    assert c.get(KEYS).status_code in (302, 403)
    assert c.get(KEYS + "issue").status_code in (302, 403)
    token = csrf_token(c.get("/my/", follow_redirects=True).get_data(as_text=True))
    before = db.session.execute(select(ApiKey.id).order_by(ApiKey.id.desc()).limit(1)).scalar()
    assert c.post(KEYS + "issue", data={"user_id": account.id, "name": "越权", "csrf_token": token}).status_code \
        in (302, 403)
    assert c.post(KEYS + f"revoke/{key.id}", data={"csrf_token": token}).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.execute(select(ApiKey.id).order_by(ApiKey.id.desc()).limit(1)).scalar() == before
    assert db.session.get(ApiKey, key.id).revoked_on is None
    assert fresh(app).get(KEYS).status_code in (302, 401, 403)


# --- the command line (the demo) ---------------------------------------------------------------

def test_the_cli_issues_a_key_the_demo_platform_calls_with(app, ctx):
    runner = app.test_cli_runner()
    name = f"demo-{datetime.now():%H%M%S%f}"
    result = runner.invoke(args=["rental", "issue-key", "--username", "platform_a", "--name", name])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip().splitlines()[-1]
    assert plaintext.startswith("anju_") and len(plaintext) == 48
    prop, people = new_property()
    answer = fresh(app).post(URL, json=body_for(prop, people), headers=bearer(plaintext))
    assert answer.status_code == 200 and answer.get_json()["result"] == "passed"
    db.session.expire_all()
    key = db.session.execute(select(ApiKey).where(ApiKey.name == name)).scalars().one()
    assert key.user.username == "platform_a"
    entry = db.session.execute(select(AuditLog).where(AuditLog.entity == "ApiKey", AuditLog.entity_id == str(key.id))
                               ).scalars().one()
    assert entry.username == "cli"
    # Refusals are the service's, in Chinese.
    again = runner.invoke(args=["rental", "issue-key", "--username", "platform_a", "--name", name])
    assert again.exit_code != 0 and "该账号已有同名的有效密钥" in again.output
    other = runner.invoke(args=["rental", "issue-key", "--username", "agent_a", "--name", "x"])
    assert other.exit_code != 0 and "请从列表中选择一个平台接口账号" in other.output


# --- the rate-limit counter --------------------------------------------------------------------

def test_the_counter_counts_per_key_and_minute_and_drops_old_minutes(platform):
    from app.rental.verification.models import ApiCallCounter

    _org, account = platform
    key, _plain = issued_key(account)
    other, _plain2 = issued_key(account)
    moment = datetime(2026, 3, 15, 10, 0, 5)
    assert [apikeys.count_call(key.id, moment) for _ in range(3)] == [1, 2, 3]
    assert apikeys.count_call(other.id, moment) == 1
    later = moment + timedelta(minutes=1)
    assert apikeys.count_call(key.id, later) == 1
    db.session.commit()
    windows = db.session.execute(select(ApiCallCounter.window).where(ApiCallCounter.key_id == key.id)).scalars().all()
    assert windows == ["202603151001"]
    assert apikeys.calls_in_minute(other.id, moment) == 1
    assert apikeys.purge_counters(before=later + timedelta(minutes=5)) >= 2
    db.session.commit()
    assert apikeys.calls_in_minute(key.id, later) == 0
