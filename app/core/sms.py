"""SMS (短信): one gateway interface, the default outbox backend, and verification codes.

Every SMS the console sends goes through this module; no other module talks to a gateway.

Sending a message
-----------------
``send_sms(mobile, template, **params) -> SmsMessage`` renders a named template of
:data:`TEMPLATES` in Chinese (SMS always go out in Chinese, whatever the user's UI
language), hands it to the configured backend and records it in ``anju_sms_outbox``::

    from app.core import sms

    sms.send_sms(user.mobile, "account_opened", org=org.name, username=user.username)
    sms.send_sms(old_mobile, "mobile_changed", username=user.username)
    sms.send_sms(person.mobile, "notice", text=_l("Your complaint has been answered."))
    db.session.commit()            # the caller commits, with its own work

* Parameters that are lazy strings (``lazy_gettext``) are rendered in Chinese too; an
  already-rendered ``gettext`` string would be in the user's UI language.

* The outbox row is written in the caller's session and transaction (flushed, not
  committed): it persists if the caller commits and vanishes if the caller rolls back.
* The mobile is validated and normalised (``+86 139-0000-0001`` -> ``13900000001``); an
  invalid one raises :class:`~app.core.errors.DomainError` with the validator's message.
* An unknown template name or a missing template parameter is a programming error and
  raises ``ValueError``.
* When the backend raises, the row is recorded with ``status="failed"`` and the error
  text, and ``DomainError("短信发送失败，请稍后重试。")`` is raised. The failed row is in
  the caller's session like a sent one: a caller that wants the failure kept while
  carrying on catches the DomainError and commits.

Templates (name: parameters)
    ``verify_code``: code, minutes (used by :func:`send_code`; do not call it directly) ·
    ``account_opened``: org, username (an enterprise opened an account for you;
    activate it on the staff activation page with this mobile number) · ``one_time_password``: username, password
    (to be changed at first sign-in) · ``registration_approved``: (none) ·
    ``registration_returned``: reason · ``mobile_changed``: username (sent to the OLD
    number) · ``notice``: text (free text, already in Chinese).
    A module that needs another message adds a template here (an English msgid with
    %(name)s parameters, translated in the zh catalog) rather than formatting its own.

Verification codes (验证码)
--------------------------
``send_code(mobile, purpose, ip=None) -> SmsCode`` checks the limits, creates a random
6-digit code, stores only its HMAC-SHA256 (keyed by ``SECRET_KEY`` over
``mobile|purpose|code``), sends template ``verify_code`` and COMMITS: it is a standalone
action, so call it in its own request (e.g. a "get code" button), not in the middle of
other changes. It refuses with a DomainError (Chinese message) when

* a code for the same mobile and purpose was sent less than ``sms.resend_seconds`` ago
  ("请等待N秒后再获取验证码。"),
* the mobile got ``sms.daily_per_mobile`` codes today (all purposes, since local midnight),
* the IP got ``sms.daily_per_ip`` codes today. ``ip`` defaults to ``request.remote_addr``
  inside a request (put the app behind ProxyFix so that it is the client's address);
  outside a request and without ``ip`` there is no per-IP limit.

If the gateway fails, the code row is kept but spent (it still counts for the limits,
so a failing gateway cannot be hammered), the failed outbox row is committed and the
DomainError raised.

``verify_code(mobile, purpose, code, consume=True) -> SmsCode`` checks a code typed by
the user against the NEWEST unused code for that mobile and purpose (sending a new code
replaces the older ones). It raises DomainError when

* there is no such code or it is expired ("验证码已过期或未发送，请重新获取。"),
* ``sms.max_attempts`` wrong tries were made ("验证码错误次数过多，请重新获取验证码。"),
  even if the code given now is right,
* the code is wrong ("验证码错误，还可尝试N次。"; after the last try "验证码错误，请重新
  获取验证码。"). Whitespace around the code is ignored; anything but 6 digits is simply
  wrong (and counts as a try).

Every try first reserves an attempt with one conditional UPDATE (``attempts =
attempts + 1 WHERE attempts < max``), so parallel guesses cannot exceed the cap. A wrong
try COMMITS the session at once, so the count survives the caller's rollback: call
``verify_code`` before making other changes in the session. A right try gives the
attempt back and, when ``consume`` is true, marks the code used with a conditional
UPDATE (``WHERE used_at IS NULL``): of two concurrent requests with the same code only
one succeeds, the other gets the "expired" error. A right try does NOT commit: the caller
commits together with its own work (if it rolls back, the code stays usable). Use
``consume=False`` to check a code in an early step and consume it in the last one.

Typical view code::

    try:
        sms.verify_code(form.mobile.data, sms.SmsPurpose.CHANGE_MOBILE, form.code.data)
        services.change_mobile(user, form.mobile.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")

Purposes are the constants of :class:`SmsPurpose` (register, login, change_mobile,
activate, reset_password); a code is only valid for the purpose it was sent for. Add a
constant there for a new purpose.

Limits are runtime parameters (group "sms", edited by sysadmin): ``sms.code_ttl_minutes``
(5), ``sms.resend_seconds`` (60), ``sms.max_attempts`` (5), ``sms.daily_per_mobile`` (10),
``sms.daily_per_ip`` (50).

Other functions: ``latest_message(mobile)`` the newest outbox row for a mobile (tests,
the console); ``purge_expired(older_than_days=30)`` deletes used or expired codes created
more than that many days ago and commits (for a scheduled job); ``get_backend()`` the
configured backend instance.

Backends
--------
Config ``SMS_BACKEND`` selects the gateway: ``"outbox"`` (default: :class:`OutboxBackend`,
the message stays in ``anju_sms_outbox`` where sysadmin reads it in the console under
系统管理 > 短信发件箱) or ``"package.module:Class"``, a subclass of :class:`SmsBackend`
built once with no arguments (read settings from ``current_app.config``). Its
``send(mobile, content, template)`` delivers one message and raises on failure; its
``name`` goes in the outbox's ``backend`` column. Every message is recorded in the
outbox whichever backend is used. A bad ``SMS_BACKEND`` raises :class:`SmsConfigError`
at the first send.

The outbox rows are written with a Core INSERT, outside the ORM's flush events, so the
audit log (immutable, readable by auditors) never holds codes or one-time passwords.
"""
import hashlib
import hmac
import importlib
import logging
import math
import re
import secrets
from datetime import datetime, time, timedelta

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Index, Integer, String, Text, delete, func, or_, select, update

from app.core.audit import AuditSpec
from app.core.errors import DomainError
from app.core.mixins import now
from app.extensions import db


class SmsMessage(db.Model):
    """A message handed to the gateway. The default backend stops here (the outbox)."""

    __tablename__ = "anju_sms_outbox"
    __audit__ = AuditSpec(_l("SMS message"), row="mobile",
                          labels={"mobile": _l("Mobile"), "template": _l("Template"), "content": _l("Content"),
                                  "backend": _l("SMS gateway"), "status": _l("Status"), "error": _l("Error"),
                                  "created_at": _l("Date and time")},
                          masks={"mobile": "mobile"})
    id = Column(Integer, primary_key=True)
    mobile = Column(String(20), nullable=False, index=True)
    template = Column(String(32), nullable=False)
    content = Column(Text, nullable=False)
    backend = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="sent")
    error = Column(String(255))
    created_at = Column(DateTime, default=now, nullable=False, index=True)


class SmsCode(db.Model):
    """A verification code, stored as an HMAC (never in clear)."""

    __tablename__ = "anju_sms_code"
    __table_args__ = (
        Index("ix_anju_sms_code_mobile_purpose", "mobile", "purpose", "created_at"),
        Index("ix_anju_sms_code_ip_created", "ip", "created_at"),
    )
    id = Column(Integer, primary_key=True)
    mobile = Column(String(20), nullable=False)
    purpose = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    ip = Column(String(45))
    created_at = Column(DateTime, default=now, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used_at = Column(DateTime)


log = logging.getLogger(__name__)


class SmsPurpose:
    """What a verification code is for; a code only verifies for its own purpose."""

    REGISTER = "register"
    LOGIN = "login"
    CHANGE_MOBILE = "change_mobile"
    ACTIVATE = "activate"
    RESET_PASSWORD = "reset_password"
    COMPLAINT = "complaint"          # submitting or following a complaint (需求及建议)
    OBJECTION = "objection"          # an objection to something in public publicity (公示异议)
    ALL = (REGISTER, LOGIN, CHANGE_MOBILE, ACTIVATE, RESET_PASSWORD, COMPLAINT, OBJECTION)


class SmsStatus:
    SENT = "sent"
    FAILED = "failed"
    ALL = (SENT, FAILED)


STATUS_LABELS = {SmsStatus.SENT: _l("Sent"), SmsStatus.FAILED: _l("Failed")}

# Named templates: English msgids (translated in the zh catalog), rendered in Chinese.
TEMPLATES = {
    "verify_code": _l("[Anju Console] Your verification code is %(code)s, valid for %(minutes)s "
                      "minutes. Do not tell it to anyone."),
    "account_opened": _l("[Anju Console] %(org)s has opened the account %(username)s for you. "
                         "Activate it on the staff account activation page with this mobile number and an SMS code."),
    "one_time_password": _l("[Anju Console] The one-time password of your account %(username)s is "
                            "%(password)s. You must change it when you first sign in. Do not tell it to anyone."),
    "registration_approved": _l("[Anju Console] Your registration has been approved. You can now sign in."),
    "registration_returned": _l("[Anju Console] Your registration was returned: %(reason)s. "
                                "Please correct it and submit it again."),
    "mobile_changed": _l("[Anju Console] The mobile number of your account %(username)s has been "
                         "changed. If you did not do this, contact the administrator at once."),
    "notice": _l("[Anju Console] %(text)s"),
    "complaint_received": _l("[Anju Console] Your request %(number)s has been received; it is due to be "
                             "handled by %(due)s. Follow it with the number and this mobile."),
    "complaint_accepted": _l("[Anju Console] Your request %(number)s: %(reply)s"),
    "complaint_completed": _l("[Anju Console] Your request %(number)s has been handled: %(result)s. "
                              "Please evaluate the handling."),
    "complaint_refused": _l("[Anju Console] Your request %(number)s was refused: %(reason)s. "
                            "Please evaluate the handling."),
    "complaint_escalated": _l("[Anju Console] %(n)s requests in your area are overdue and escalated to "
                              "you: %(numbers)s. Please see the console."),
}

TEMPLATE_LABELS = {
    "verify_code": _l("Verification code"),
    "account_opened": _l("Account opened"),
    "one_time_password": _l("One-time password"),
    "registration_approved": _l("Registration approved"),
    "registration_returned": _l("Registration returned"),
    "mobile_changed": _l("Mobile number changed"),
    "notice": _l("Notice"),
    "complaint_received": _l("Request received"),
    "complaint_accepted": _l("Request accepted"),
    "complaint_completed": _l("Request handled"),
    "complaint_refused": _l("Request refused"),
    "complaint_escalated": _l("Requests escalated"),
}



def register_template(name, text, label):
    """A module's own SMS template (English msgid rendered in Chinese), added at start-up."""
    TEMPLATES[name] = text
    TEMPLATE_LABELS[name] = label


CODE_LENGTH = 6
_CODE_RE = re.compile(r"[0-9]{%d}" % CODE_LENGTH)


# --- backends -------------------------------------------------------------------------

class SmsConfigError(RuntimeError):
    """SMS_BACKEND names no usable backend (a deployment error, not a user's)."""


class SmsBackend:
    """The gateway interface. Subclasses deliver one message and raise on failure."""

    #: Recorded in the outbox's ``backend`` column (at most 32 characters).
    name = None

    def send(self, mobile, content, template):
        """Deliver ``content`` (already rendered, Chinese) to ``mobile`` (11 digits)."""
        raise NotImplementedError

    @property
    def label(self):
        return (self.name or type(self).__name__.lower())[:32]


class OutboxBackend(SmsBackend):
    """The default: nothing leaves the server; the outbox row is the delivery."""

    name = "outbox"

    def send(self, mobile, content, template):
        return None


_EXT_KEY = "anju_sms_backend"


def _load_backend(value):
    value = (value or "").strip()
    if value == "outbox":
        return OutboxBackend()
    module_name, sep, class_name = value.partition(":")
    if not sep or not module_name or not class_name:
        raise SmsConfigError(
            f"SMS_BACKEND={value!r}: expected 'outbox' or 'package.module:Class'")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SmsConfigError(f"SMS_BACKEND={value!r} cannot be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsBackend)):
        raise SmsConfigError(f"SMS_BACKEND={value!r} is not a subclass of app.core.sms.SmsBackend")
    return cls()


def get_backend():
    """The configured backend, built once per app (rebuilt if SMS_BACKEND changes)."""
    value = current_app.config.get("SMS_BACKEND", "outbox")
    cached = current_app.extensions.get(_EXT_KEY)
    if cached is None or cached[0] != value:
        cached = (value, _load_backend(value))
        current_app.extensions[_EXT_KEY] = cached
    return cached[1]


# --- sending --------------------------------------------------------------------------

def _mobile(value):
    """The 11-digit mobile, or DomainError with the validator's (Chinese) message."""
    from app.core.validators import ValidationError, check_mobile

    try:
        return check_mobile(value)
    except (ValidationError, TypeError) as exc:
        raise DomainError(str(exc) if isinstance(exc, ValidationError)
                          else _("Please enter a valid mobile number.")) from exc


def render(template, **params):
    """The Chinese text of a template (ValueError for an unknown name or parameter)."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown SMS template {template!r}")
    with force_locale("zh"):
        text = str(TEMPLATES[template])
        try:
            return text % params
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"SMS template {template!r} needs parameters: {exc}") from exc


def _record(mobile, template, content, backend, status, error=None, session=None):
    # Core INSERT: no ORM flush event, so the content (codes, one-time passwords) stays
    # out of the audit log. Same session and transaction as the caller.
    session = session or db.session
    result = session.execute(SmsMessage.__table__.insert().values(
        mobile=mobile, template=template, content=content, backend=backend[:32],
        status=status, error=error[:255] if error else None, created_at=now()))
    return session.get(SmsMessage, result.inserted_primary_key[0])


def send_sms(mobile, template, session=None, **params):
    """Render ``template`` in Chinese, send it and record it in the outbox (not committed;
    in ``session``, default the request's, so the record shares the caller's transaction)."""
    mobile = _mobile(mobile)
    content = render(template, **params)
    backend = get_backend()
    try:
        backend.send(mobile, content, template)
    except Exception as exc:
        log.warning("SMS %s to %s*** failed via %s: %s", template, mobile[:3], backend.label,
                    type(exc).__name__)
        _record(mobile, template, content, backend.label, SmsStatus.FAILED,
                f"{type(exc).__name__}: {exc}", session=session)
        raise DomainError(_("The SMS could not be sent; please try again later.")) from exc
    return _record(mobile, template, content, backend.label, SmsStatus.SENT, session=session)


def latest_message(mobile):
    """The newest outbox row for ``mobile`` (normalised when valid), or None."""
    from app.core.validators import is_valid_mobile

    if is_valid_mobile(mobile):
        mobile = _mobile(mobile)
    return db.session.execute(
        select(SmsMessage).where(SmsMessage.mobile == mobile)
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(1)
        .execution_options(populate_existing=True)).scalars().first()


# --- verification codes ---------------------------------------------------------------

def _params():
    from app.system.params import get_param

    return {k: get_param(f"sms.{k}") for k in
            ("code_ttl_minutes", "resend_seconds", "max_attempts", "daily_per_mobile", "daily_per_ip")}


def _check_purpose(purpose):
    if purpose not in SmsPurpose.ALL:
        raise ValueError(f"unknown SMS purpose {purpose!r}; use the SmsPurpose constants")


def code_digest(mobile, purpose, code):
    """HMAC-SHA256 (hex) keyed by SECRET_KEY over ``mobile|purpose|code``."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, f"{mobile}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()


def _check_limits(mobile, purpose, ip, moment, p):
    last = db.session.execute(
        select(func.max(SmsCode.created_at))
        .where(SmsCode.mobile == mobile, SmsCode.purpose == purpose)).scalar()
    if last is not None:
        wait = p["resend_seconds"] - (moment - last).total_seconds()
        if wait > 0:
            seconds = min(p["resend_seconds"], max(1, math.ceil(wait)))
            raise DomainError(_("Please wait %(seconds)s seconds before requesting a new code.",
                                seconds=seconds))
    midnight = datetime.combine(moment.date(), time.min)
    sent_today = db.session.execute(
        select(func.count(SmsCode.id))
        .where(SmsCode.mobile == mobile, SmsCode.created_at >= midnight)).scalar()
    if sent_today >= p["daily_per_mobile"]:
        raise DomainError(_("This mobile number has had %(n)s verification codes today, the most "
                            "allowed; please try again tomorrow.", n=p["daily_per_mobile"]))
    if ip:
        from_ip = db.session.execute(
            select(func.count(SmsCode.id))
            .where(SmsCode.ip == ip, SmsCode.created_at >= midnight)).scalar()
        if from_ip >= p["daily_per_ip"]:
            raise DomainError(_("Too many verification codes were requested from your network "
                                "today; please try again tomorrow."))


def send_code(mobile, purpose, ip=None):
    """Check the limits, send a new 6-digit code and COMMIT. Returns the SmsCode row."""
    _check_purpose(purpose)
    mobile = _mobile(mobile)
    if ip is None and has_request_context():
        ip = request.remote_addr
    ip = str(ip)[:45] if ip else None
    p = _params()
    moment = now()
    _check_limits(mobile, purpose, ip, moment, p)
    code = "".join(secrets.choice("0123456789") for _i in range(CODE_LENGTH))
    row = SmsCode(mobile=mobile, purpose=purpose, code_hash=code_digest(mobile, purpose, code),
                  ip=ip, created_at=moment,
                  expires_at=moment + timedelta(minutes=p["code_ttl_minutes"]), attempts=0)
    db.session.add(row)
    db.session.flush()
    try:
        send_sms(mobile, "verify_code", code=code, minutes=p["code_ttl_minutes"])
    except DomainError:
        # Never delivered: spend it, but keep it for the cooldown and the daily limits.
        row.used_at = moment
        db.session.commit()
        raise
    db.session.commit()
    return row


def _expired_error():
    return DomainError(_("The verification code has expired or was not sent; please get a new one."))


def verify_code(mobile, purpose, code, consume=True):
    """Check ``code`` against the newest unused code; see the module doc for the rules."""
    _check_purpose(purpose)
    mobile = _mobile(mobile)
    p = _params()
    moment = now()
    row = db.session.execute(
        select(SmsCode)
        .where(SmsCode.mobile == mobile, SmsCode.purpose == purpose, SmsCode.used_at.is_(None))
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).limit(1)
        .execution_options(populate_existing=True)).scalars().first()
    if row is None or row.expires_at <= moment:
        raise _expired_error()
    too_many = DomainError(_("Too many wrong tries; please get a new verification code."))
    if row.attempts >= p["max_attempts"]:
        raise too_many
    code_id = row.id
    # Reserve this try first, so parallel guesses cannot go past the cap.
    reserved = db.session.execute(
        update(SmsCode).where(SmsCode.id == code_id, SmsCode.attempts < p["max_attempts"])
        .values(attempts=SmsCode.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not reserved:
        raise too_many
    given = str(code if code is not None else "").strip()
    right = bool(_CODE_RE.fullmatch(given)) and hmac.compare_digest(
        row.code_hash, code_digest(mobile, purpose, given))
    if not right:
        db.session.commit()  # the wrong try counts even if the caller rolls back
        attempts = db.session.execute(select(SmsCode.attempts).where(SmsCode.id == code_id)).scalar()
        left = p["max_attempts"] - (attempts or 0)
        if left <= 0:
            raise DomainError(_("The verification code is wrong; please get a new one."))
        raise DomainError(_("The verification code is wrong; %(n)s tries left.", n=left))
    # Right: give the try back (only wrong tries count).
    db.session.execute(
        update(SmsCode).where(SmsCode.id == code_id).values(attempts=SmsCode.attempts - 1)
        .execution_options(synchronize_session=False))
    if consume:
        won = db.session.execute(
            update(SmsCode)
            .where(SmsCode.id == code_id, SmsCode.used_at.is_(None), SmsCode.expires_at > moment)
            .values(used_at=moment)
            .execution_options(synchronize_session=False)).rowcount
        if not won:
            raise _expired_error()
    db.session.expire(row)
    return row


def purge_expired(older_than_days=30):
    """Delete used or expired codes created more than ``older_than_days`` ago; commit.

    Returns the number deleted. At least one day, so today's limits stay intact."""
    days = int(older_than_days)
    if days < 1:
        raise ValueError("older_than_days must be at least 1")
    moment = now()
    cutoff = moment - timedelta(days=days)
    deleted = db.session.execute(
        delete(SmsCode).where(SmsCode.created_at < cutoff,
                              or_(SmsCode.used_at.isnot(None), SmsCode.expires_at < moment))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return deleted
