"""Picture codes (app/core/captcha.py): a real PNG, only a keyed hash stored, single use,
expiry, Chinese refusals, the session-bound variant and the page endpoint.

The test config fixes the characters to "TEST" (CAPTCHA_TEST_ANSWER, honoured only under
TESTING). Time is moved by UPDATEs on the stored row, never by mocking the clock."""
import hashlib
import io
import re
from datetime import datetime, timedelta

import pytest
from flask import session
from flask_babel import gettext
from sqlalchemy import select, update

from app.core import captcha
from app.core.captcha import Captcha
from app.core.errors import DomainError
from app.extensions import db

CJK = re.compile(r"[\u4e00-\u9fff]")
PNG = b"\x89PNG\r\n\x1a\n"
ENTER = "Please enter the characters shown in the picture."
EXPIRED = "The picture code has expired; please get a new one."
WRONG = "The picture code is wrong; please try the new one."


@pytest.fixture
def rq(app):
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
        db.session.remove()


def refused(captcha_id, answer, msgid):
    with pytest.raises(DomainError) as info:
        captcha.check(captcha_id, answer)
    text = str(info.value)
    assert text == gettext(msgid)
    assert CJK.search(text), f"not Chinese: {text!r}"
    return text


def issued():
    captcha_id, png = captcha.issue()
    db.session.commit()
    return captcha_id, png


def row(captcha_id):
    db.session.expire_all()
    return db.session.get(Captcha, captcha_id)


def test_app_is_configured_for_a_fixed_answer(app):
    assert app.config["TESTING"] and app.config["CAPTCHA_TEST_ANSWER"] == "TEST"


def test_issue_returns_a_png_and_stores_only_a_hash(rq):
    from PIL import Image

    before = datetime.now()
    captcha_id, png = captcha.issue()
    db.session.commit()
    assert re.fullmatch(r"[0-9a-f]{32}", captcha_id)
    assert png.startswith(PNG)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (120, 44)
    stored = row(captcha_id)
    assert stored.used_at is None
    assert re.fullmatch(r"[0-9a-f]{64}", stored.answer_hash)
    assert stored.answer_hash not in (hashlib.sha256(b"TEST").hexdigest(), hashlib.sha256(b"test").hexdigest())
    for column in Captcha.__table__.columns:
        value = getattr(stored, column.key)
        assert "TEST" not in str(value).upper(), column.key
    assert before <= stored.created_at <= datetime.now()
    assert stored.expires_at - stored.created_at == timedelta(minutes=captcha.TTL_MINUTES) == timedelta(minutes=5)


def test_ids_and_hashes_differ_for_the_same_answer(rq):
    first, _ = issued()
    second, _ = issued()
    assert first != second
    assert row(first).answer_hash != row(second).answer_hash  # keyed by the id, not a bare hash


@pytest.mark.parametrize("answer", ["TEST", "test", "  tEsT  ", "\ttest\n"])
def test_right_answer_accepted_case_insensitively_with_spaces(rq, answer):
    captcha_id, _ = issued()
    assert captcha.check(captcha_id, answer) is None
    assert row(captcha_id).used_at is not None


def test_single_use(rq):
    captcha_id, _ = issued()
    captcha.check(captcha_id, "TEST")
    refused(captcha_id, "TEST", EXPIRED)
    refused(captcha_id, "test", EXPIRED)


def test_a_wrong_answer_spends_it(rq):
    captcha_id, _ = issued()
    refused(captcha_id, "ABCD", WRONG)
    assert row(captcha_id).used_at is not None
    refused(captcha_id, "TEST", EXPIRED)


def test_the_spend_survives_the_callers_rollback(rq):
    """A wrong try is committed even when the request that made it rolls back."""
    captcha_id, _ = issued()
    refused(captcha_id, "NOPE", WRONG)
    db.session.rollback()
    assert row(captcha_id).used_at is not None
    refused(captcha_id, "TEST", EXPIRED)


def test_expired_refused(rq):
    captcha_id, _ = issued()
    db.session.execute(update(Captcha).where(Captcha.id == captcha_id)
                       .values(expires_at=datetime.now() - timedelta(seconds=1)))
    db.session.commit()
    refused(captcha_id, "TEST", EXPIRED)
    refused(captcha_id, "TEST", EXPIRED)


def test_just_before_expiry_accepted(rq):
    captcha_id, _ = issued()
    db.session.execute(update(Captcha).where(Captcha.id == captcha_id)
                       .values(expires_at=datetime.now() + timedelta(seconds=30)))
    db.session.commit()
    captcha.check(captcha_id, "TEST")


@pytest.mark.parametrize("captcha_id", ["0" * 32, "f" * 40, "not-a-captcha", "'; DROP TABLE anju_captcha; --"])
def test_unknown_id_refused(rq, captcha_id):
    refused(captcha_id, "TEST", EXPIRED)


@pytest.mark.parametrize("answer", ["", "   ", None])
def test_empty_answer_refused(rq, answer):
    captcha_id, _ = issued()
    refused(captcha_id, answer, ENTER)


@pytest.mark.parametrize("captcha_id", [None, ""])
def test_missing_id_refused(rq, captcha_id):
    refused(captcha_id, "TEST", ENTER)


def test_long_expired_rows_are_removed_on_issue(rq):
    old, _ = issued()
    recent, _ = issued()
    moment = datetime.now()
    db.session.execute(update(Captcha).where(Captcha.id == old)
                       .values(created_at=moment - timedelta(hours=3), expires_at=moment - timedelta(hours=2)))
    db.session.execute(update(Captcha).where(Captcha.id == recent)
                       .values(created_at=moment - timedelta(minutes=20), expires_at=moment - timedelta(minutes=15)))
    db.session.commit()
    issued()
    ids = set(db.session.execute(select(Captcha.id).where(Captcha.id.in_([old, recent]))).scalars())
    assert ids == {recent}


def test_session_bound_captcha(rq):
    png = captcha.issue_for_session("login")
    assert png.startswith(PNG)
    captcha_id = session["captcha:login"]
    assert row(captcha_id) is not None  # committed by issue_for_session
    captcha.check_session("login", " test ")
    assert "captcha:login" not in session
    with pytest.raises(DomainError) as info:  # nothing left in the session
        captcha.check_session("login", "TEST")
    assert str(info.value) == gettext(ENTER)
    # A code issued for one purpose does not serve another.
    captcha.issue_for_session("sms")
    with pytest.raises(DomainError) as info:
        captcha.check_session("login", "TEST")
    assert str(info.value) == gettext(ENTER)
    captcha.check_session("sms", "TEST")


def test_page_endpoint_serves_an_uncached_png(app, client):
    resp = client.get("/captcha/sms.png")
    assert resp.status_code == 200
    assert resp.mimetype == "image/png"
    assert "no-store" in resp.headers.get("Cache-Control", "")
    assert resp.data.startswith(PNG)
    with client.http.session_transaction() as sess:
        captcha_id = sess["captcha:sms"]
    with app.app_context():
        stored = db.session.get(Captcha, captcha_id)
        assert stored is not None and stored.used_at is None
        db.session.remove()
    again = client.get("/captcha/sms.png")  # a reload issues a new code
    with client.http.session_transaction() as sess:
        assert sess["captcha:sms"] != captcha_id
    assert again.data.startswith(PNG)
    assert client.get("/captcha/login.png").status_code == 200


@pytest.mark.parametrize("purpose", ["other", "admin", "SMS", "sms.png"])
def test_page_endpoint_unknown_purpose_404(client, purpose):
    assert client.get(f"/captcha/{purpose}.png").status_code == 404


# --- the alphabet: no look-alikes, any case ----------------------------------------------------

def test_alphabet_has_no_look_alikes():
    for pair in ("0O", "1Il", "2Z", "5S", "8B"):
        for ch in pair:
            assert ch not in captcha.ALPHABET and ch.upper() not in captcha.ALPHABET, ch
    assert captcha.ALPHABET == captcha.ALPHABET.upper()
    assert len(set(captcha.ALPHABET)) == len(captcha.ALPHABET) >= 20


def test_drawn_codes_use_only_the_alphabet(app):
    with app.app_context():
        fixed = app.config.get("CAPTCHA_TEST_ANSWER")
        app.config["CAPTCHA_TEST_ANSWER"] = None
        try:
            drawn = "".join(captcha._text() for _ in range(300))
        finally:
            app.config["CAPTCHA_TEST_ANSWER"] = fixed
    assert set(drawn) <= set(captcha.ALPHABET)
    assert not set(drawn) & set("0O1Il2Z5S8B")


def test_answer_in_any_case_is_right(rq):
    for answer in ("test", "TeSt", " TEST "):
        captcha_id, _png = captcha.issue()
        captcha.check(captcha_id, answer)
