"""Image captchas (图形验证码), one mechanism for pages and the REST API.

``issue()`` draws 4 characters from an alphabet without look-alikes (none of 0/O, 1/I/L,
2/Z, 5/S, 8/B: a reader cannot mistake one for another),
stores only their HMAC with an expiry (default 5 minutes) and returns ``(captcha_id,
png_bytes)``. A page keeps the id in the session (``issue_for_session(purpose)``); a REST
client gets it in the response. ``check(captcha_id, answer)`` is case-insensitive and
single-use: a captcha is spent by the first check, right or wrong, so it cannot be tried
twice. Expired rows are removed when new ones are issued.

Under ``TESTING`` the config value ``CAPTCHA_TEST_ANSWER`` fixes the characters, so the
test suite and the browser tests can type them; it is ignored otherwise.
"""
import hashlib
import hmac
import io
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from flask_babel import gettext as _
from sqlalchemy import Column, DateTime, String, delete, update

from app.core.errors import DomainError
from app.core.mixins import now
from app.extensions import db

# Upper case only (answers are compared in upper case, so 'k' and 'K' are both right), and
# without the look-alike pairs 0/O, 1/I/l, 2/Z, 5/S, 8/B.
LOOK_ALIKES = "0O1IL2Z5S8B"
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 4
TTL_MINUTES = 5


class Captcha(db.Model):
    __tablename__ = "anju_captcha"
    id = Column(String(32), primary_key=True)
    answer_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, default=now, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    used_at = Column(DateTime)


def _digest(captcha_id, answer):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{captcha_id}:{answer.strip().upper()}".encode(), hashlib.sha256).hexdigest()


def _text():
    fixed = current_app.config.get("CAPTCHA_TEST_ANSWER")
    if current_app.config.get("TESTING") and fixed:
        return fixed
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def render_png(text):
    from captcha.image import ImageCaptcha

    image = ImageCaptcha(width=120, height=44, font_sizes=(30, 34, 36))
    buf = io.BytesIO()
    image.write(text, buf, format="png")
    return buf.getvalue()


def issue():
    """A new captcha: (id, PNG bytes). The caller commits."""
    moment = datetime.now()
    db.session.execute(delete(Captcha).where(Captcha.expires_at < moment - timedelta(hours=1)))
    captcha_id = secrets.token_hex(16)
    text = _text()
    db.session.add(Captcha(id=captcha_id, answer_hash=_digest(captcha_id, text),
                           created_at=moment, expires_at=moment + timedelta(minutes=TTL_MINUTES)))
    db.session.flush()
    return captcha_id, render_png(text)


def check(captcha_id, answer):
    """Spend the captcha; raise DomainError unless ``answer`` is right and in time."""
    if not captcha_id or not answer or not str(answer).strip():
        raise DomainError(_("Please enter the characters shown in the picture."))
    moment = datetime.now()
    row = db.session.get(Captcha, str(captcha_id)[:32])
    if row is None or row.used_at is not None:
        raise DomainError(_("The picture code has expired; please get a new one."))
    # Spend it atomically: of two requests with one captcha, only one proceeds.
    spent = db.session.execute(
        update(Captcha).where(Captcha.id == row.id, Captcha.used_at.is_(None)).values(used_at=moment)
    ).rowcount
    db.session.commit()
    if not spent or row.expires_at < moment:
        raise DomainError(_("The picture code has expired; please get a new one."))
    if not hmac.compare_digest(row.answer_hash, _digest(row.id, str(answer))):
        raise DomainError(_("The picture code is wrong; please try the new one."))


def issue_for_session(purpose):
    """Issue a captcha for a page: remember its id in the session under ``purpose``."""
    captcha_id, png = issue()
    db.session.commit()
    session[f"captcha:{purpose}"] = captcha_id
    return png


def check_session(purpose, answer):
    captcha_id = session.pop(f"captcha:{purpose}", None)
    check(captcha_id, answer)
