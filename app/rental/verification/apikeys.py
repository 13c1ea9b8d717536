"""平台接口密钥 (issue 14): the keys third-party platforms (accounts with the role ``api_client``)
call the REST API with, the per-key rate limit of their calls, and the audit entry of a call.

Keys are FAB's (``ab_api_key``, validated by FAB's ``protect()`` and our
``AnjuSecurityManager.validate_api_key``):

* :func:`issue` — sysadmin alone (三员分立: the security administrator's work, not the city
  administrator's) issues a key to an active ``api_client`` account. The key is the prefix
  (``FAB_API_KEY_PREFIXES[0]``, ``anju_``) and 32 random bytes; what is stored is FAB's keyed
  lookup hash and a salted hash (``FAB_API_KEY_HASH_METHOD``); the plaintext is returned once,
  to be shown once, and is never stored or logged. ``key_prefix`` keeps the first
  :data:`SHOWN_PREFIX` characters, so a list tells keys apart and a platform can tell which key
  it holds (the rest, 200+ random bits, stays secret).
* :func:`revoke` — sets FAB's ``revoked_on``; the next call with the key answers 401.
* :func:`count_call` / :func:`check_rate` — calls per key per minute in ``anju_api_call_counter``
  (parameter ``rental.api_calls_per_minute``, 0: no limit), one row per key and minute, counted
  by one UPDATE (or the INSERT of the minute's first call, in a savepoint) so that every worker
  and every concurrent request agrees; the key's older minutes are deleted with its first
  call of a new minute.
* :func:`record_call` — the audit entry of a platform's call: the account, the key's prefix, the
  fields sent (owners masked), the result, whether it was an idempotent replay.

The caller commits (the views, the REST endpoint, the CLI).
"""
import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_appbuilder.security.sqla.models import ApiKey
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core import audit, masking
from app.core.errors import DomainError
from app.extensions import db
from app.rental.verification.models import ApiCallCounter

PLATFORM_ROLE = "api_client"
# "anju_" and 7 random characters: enough to tell a platform's keys apart in a list.
SHOWN_PREFIX = 12
NAME_MAX = 60
PAGE_SIZE = 50


class KeyState:
    ACTIVE = "active"      # 有效
    REVOKED = "revoked"    # 已吊销
    EXPIRED = "expired"    # 已过期
    ALL = (ACTIVE, REVOKED, EXPIRED)


STATE_LABELS = {KeyState.ACTIVE: _l("Key active"), KeyState.REVOKED: _l("Key revoked"),
                KeyState.EXPIRED: _l("Key expired")}


def state_of(key, moment=None):
    moment = moment or datetime.now()
    if not key.active or key.revoked_on is not None:
        return KeyState.REVOKED
    if key.expires_on is not None and key.expires_on < moment:
        return KeyState.EXPIRED
    return KeyState.ACTIVE


def state_label(key, moment=None):
    return str(STATE_LABELS[state_of(key, moment)])


# --- who may --------------------------------------------------------------------------------

def _require_security_admin(actor):
    """Only sysadmin issues and revokes keys; ``actor`` None is the server's command line."""
    if actor is None:
        return
    if current_app.config.get("AUTH_ROLE_ADMIN") not in [r.name for r in actor.roles]:
        raise DomainError(_("Only the system administrator may issue or revoke platform API keys."))


def is_platform_account(user):
    return user is not None and PLATFORM_ROLE in [r.name for r in user.roles]


def platform_accounts(session=None):
    """Active accounts with the role api_client, by organisation and username."""
    from flask_appbuilder.security.sqla.models import Role, assoc_user_role

    from app.security.models import AnjuUser
    from app.system.models import Organization

    session = session or db.session
    role_id = select(Role.id).where(Role.name == PLATFORM_ROLE).scalar_subquery()
    user_ids = select(assoc_user_role.c.user_id).where(assoc_user_role.c.role_id == role_id)
    stmt = (select(AnjuUser).outerjoin(Organization, Organization.id == AnjuUser.org_id)
            .where(AnjuUser.id.in_(user_ids), AnjuUser.active.is_(True))
            .order_by(Organization.name, AnjuUser.username))
    return session.execute(stmt).unique().scalars().all()


# --- issue and revoke -----------------------------------------------------------------------

def parse_expiry(value, moment=None):
    """The optional 到期日期 (yyyy-mm-dd, after today): the key works through that whole day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise DomainError(_("%(field)s: %(message)s", field=_("Expiry date"),
                                message=_("please enter a date as yyyy-mm-dd"))) from None
    today = (moment or datetime.now()).date()
    if day <= today:
        raise DomainError(_("%(field)s: %(message)s", field=_("Expiry date"), message=_("must be after today")))
    return datetime.combine(day, time(23, 59, 59))


def issue(actor, user_id, name, expires_on=None, moment=None, session=None):
    """Issue a key to the platform account ``user_id``; returns ``(ApiKey, plaintext key)``.

    The plaintext is for showing once; nothing keeps it. The audit log records the new key
    with its hashes redacted (app/core/audit.py SECRET_COLUMNS)."""
    from werkzeug.security import generate_password_hash

    from app.security.models import AnjuUser

    session = session or db.session
    moment = moment or datetime.now()
    _require_security_admin(actor)
    try:
        user = session.get(AnjuUser, int(user_id)) if str(user_id or "").strip().isdigit() \
            and int(user_id) < 2 ** 31 else None
    except (TypeError, ValueError):
        user = None
    if user is None or not is_platform_account(user):
        raise DomainError(_("%(field)s: %(message)s", field=_("Platform account"),
                            message=_("please choose one of the listed platform accounts")))
    if not user.active:
        raise DomainError(_("%(field)s: %(message)s", field=_("Platform account"),
                            message=_("the account is disabled")))
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise DomainError(_("%(field)s: %(message)s", field=_("Key name"), message=_("is required")))
    if len(name) > NAME_MAX:
        raise DomainError(_("%(field)s: %(message)s", field=_("Key name"),
                            message=_("may be at most %(n)s characters", n=NAME_MAX)))
    expiry = parse_expiry(expires_on, moment)
    same = session.execute(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.name == name)).scalars().all()
    if any(state_of(k, moment) == KeyState.ACTIVE for k in same):
        raise DomainError(_("%(field)s: %(message)s", field=_("Key name"),
                            message=_("this account already has a valid key of this name")))
    config = current_app.config
    prefixes = config.get("FAB_API_KEY_PREFIXES") or ["anju_"]
    plaintext = prefixes[0] + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        key_hash=generate_password_hash(
            plaintext, method=config.get("FAB_API_KEY_HASH_METHOD", "pbkdf2:sha256:1000"),
            salt_length=config.get("FAB_API_KEY_HASH_SALT_LENGTH", 16)),
        lookup_hash=current_app.appbuilder.sm._compute_lookup_hash(plaintext),
        key_prefix=plaintext[:SHOWN_PREFIX], user_id=user.id, active=True, expires_on=expiry,
        created_on=moment,
    )
    session.add(key)
    session.flush()
    return key, plaintext


def get_key(key_id, session=None):
    session = session or db.session
    text = str(key_id or "").strip()
    if not text.isdigit() or len(text) > 10 or int(text) >= 2 ** 31:
        return None
    return session.get(ApiKey, int(text))


def revoke(actor, key_id, moment=None, session=None):
    """吊销: the key stops working at once (FAB's revoked_on; audited as a change of the key)."""
    session = session or db.session
    _require_security_admin(actor)
    key = get_key(key_id, session)
    if key is None:
        raise DomainError(_("The API key does not exist."))
    if state_of(key, moment) == KeyState.REVOKED:
        raise DomainError(_("The API key %(prefix)s is already revoked.", prefix=key.key_prefix))
    key.revoked_on = moment or datetime.now()
    session.flush()
    return key


def key_rows(state=None, page=0, page_size=PAGE_SIZE, moment=None, session=None):
    """One page of keys, newest first, with their accounts and organisations:
    ``(rows, has_more)``, rows ``[(ApiKey, AnjuUser)]``. ``state``: a :class:`KeyState` or None."""
    from sqlalchemy import or_

    from app.security.models import AnjuUser

    session = session or db.session
    moment = moment or datetime.now()
    stmt = select(ApiKey, AnjuUser).join(AnjuUser, AnjuUser.id == ApiKey.user_id)
    revoked = or_(ApiKey.active.is_(False), ApiKey.revoked_on.is_not(None))
    if state == KeyState.REVOKED:
        stmt = stmt.where(revoked)
    elif state == KeyState.EXPIRED:
        stmt = stmt.where(~revoked, ApiKey.expires_on < moment)
    elif state == KeyState.ACTIVE:
        stmt = stmt.where(~revoked, or_(ApiKey.expires_on.is_(None), ApiKey.expires_on >= moment))
    rows = session.execute(stmt.order_by(ApiKey.id.desc()).offset(page * page_size).limit(page_size + 1)).all()
    return rows[:page_size], len(rows) > page_size


# --- the rate limit -------------------------------------------------------------------------

def window_of(moment):
    return moment.strftime("%Y%m%d%H%M")


def count_call(key_id, moment=None, session=None):
    """Count one call of the key in the current minute; returns the minute's calls so far (this
    one included). Runs in the caller's transaction, which should commit at once: until then
    the counter's row is locked (PostgreSQL) or the database's write lock held (SQLite)."""
    session = session or db.session
    moment = moment or datetime.now()
    window = window_of(moment)
    table = ApiCallCounter.__table__
    bump = (update(table).where(table.c.key_id == key_id, table.c.window == window)
            .values(calls=table.c.calls + 1).returning(table.c.calls))
    calls = session.execute(bump).scalar()
    if calls is not None:
        return calls
    try:
        with session.begin_nested():
            session.execute(insert(table).values(key_id=key_id, window=window, calls=1))
    except IntegrityError:
        # Another request of the same key inserted the minute's row first: count on theirs.
        return session.execute(bump).scalar_one()
    # The key's first call of a new minute: its earlier minutes are of no more use.
    session.execute(delete(table).where(table.c.key_id == key_id, table.c.window < window))
    return 1


def check_rate(key_id, moment=None, session=None):
    """Count the call; ``None`` when it is within ``rental.api_calls_per_minute``, else
    ``(calls, limit, seconds until the next minute)``. 0 switches the limit (and counting) off."""
    from app.system.params import get_param

    limit = get_param("rental.api_calls_per_minute")
    if not limit:
        return None
    moment = moment or datetime.now()
    calls = count_call(key_id, moment, session)
    if calls <= limit:
        return None
    retry_after = 60 - moment.second if moment.second or moment.microsecond else 60
    return calls, limit, max(1, retry_after)


def calls_in_minute(key_id, moment=None, session=None):
    session = session or db.session
    window = window_of(moment or datetime.now())
    return session.execute(select(func.coalesce(func.sum(ApiCallCounter.calls), 0)).where(
        ApiCallCounter.key_id == key_id, ApiCallCounter.window == window)).scalar_one()


# --- the audit entry of a call --------------------------------------------------------------

CALL_ENTITY = "ListingVerificationCall"
audit.describe(
    CALL_ENTITY, _l("Listing verification by API"),
    labels={"key_prefix": _l("Key prefix"), "region_code": _l("Property region"),
            "cert_type": _l("Title document type"), "cert_no": _l("Title certificate number"),
            "owners": _l("Owners named"), "result": _l("Verification result"), "code": _l("Listing code"),
            "replayed": _l("Idempotent replay"), "idempotency_key": _l("Idempotency key"),
            "status": _l("Answer status"), "message": _l("Refusal")},
    values={"result": "app.rental.labels:VERIFICATION_RESULT_LABELS"},
)


def _short(value, n=64):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:n]


def masked_owners(owners, limit=10):
    """The owners a request named, masked as the log keeps them (whatever their shape)."""
    if not isinstance(owners, list):
        return None if owners is None else _short(owners)
    out = []
    for raw in owners[:limit]:
        if not isinstance(raw, dict):
            out.append({"name": masking.mask("generic", _short(raw, 30))})
            continue
        out.append({"name": masking.mask("name", _short(raw.get("name"), 30)) if raw.get("name") else "",
                    "id_type": _short(raw.get("id_type"), 20),
                    "id_number": masking.mask("id_number", _short(raw.get("id_number"), 30))
                    if raw.get("id_number") else ""})
    return out


def record_call(key, fields, status, verification=None, replayed=False, message=None, idempotency_key=None,
                session=None):
    """Write the audit entry of one verification call (in the caller's transaction).

    ``key``: ``{"id", "prefix", "name"}`` of the API key used, or None for a signed-in user's
    token; ``fields``: the request body as sent (a dict, or anything); ``status``: the HTTP status
    answered."""
    from app.rental.labels import VERIFICATION_RESULT_LABELS

    fields = fields if isinstance(fields, dict) else {}
    after = {
        "key_prefix": key["prefix"] if key else None,
        "region_code": _short(fields.get("region_code"), 24),
        "cert_type": _short(fields.get("cert_type"), 32),
        "cert_no": _short(fields.get("cert_no")),
        "owners": masked_owners(fields.get("owners")),
        "status": status,
        "idempotency_key": _short(idempotency_key, 80),
    }
    if verification is not None:
        after.update(result=verification.result, code=verification.code, replayed=bool(replayed))
    if message:
        after["message"] = _short(message, 300)
    via = _("key %(prefix)s", prefix=key["prefix"]) if key else _("signed-in token")
    if verification is not None:
        outcome = str(VERIFICATION_RESULT_LABELS.get(verification.result, verification.result))
        if verification.code:
            outcome += f" {verification.code}"
        if replayed:
            outcome += " " + _("(idempotent replay)")
    else:
        outcome = _("refused (%(status)s)", status=status)
    summary = _("Listing verification by API (%(via)s): %(outcome)s", via=via, outcome=outcome)
    audit.record(audit.AuditAction.API_CALL, CALL_ENTITY, verification.id if verification is not None else None,
                 summary=summary, after=after, session=session)


def rate_limit_hit(key, moment, session=None):
    """The audit entry of the first call refused by the rate limit in a minute (later refusals
    of the same minute are counted, not logged one by one)."""
    audit.record(audit.AuditAction.API_CALL, CALL_ENTITY, None,
                 summary=_("Rate limit reached for API key %(prefix)s in the minute %(window)s",
                           prefix=key["prefix"], window=moment.strftime("%Y-%m-%d %H:%M")),
                 after={"key_prefix": key["prefix"], "status": 429}, session=session)


def purge_counters(before=None, session=None):
    """Delete counter rows older than ``before`` (default: an hour ago), for a maintenance job."""
    session = session or db.session
    before = before or datetime.now() - timedelta(hours=1)
    table = ApiCallCounter.__table__
    return session.execute(delete(table).where(table.c.window < window_of(before))).rowcount
