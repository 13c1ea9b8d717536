"""房源核验 (seed 001): a listing's certificate and owners checked against the registry.

One function, :func:`verify`, serves the console, the signing wizard and the platforms'
REST endpoint: it cleans the fields (Chinese errors naming the field), refuses an account
that failed too often in the window, matches the registry, and records the attempt, passed
or failed. A passed verification gets a 房源识别码 and stays valid for
``rental.verification_valid_days`` days. The caller commits.
"""
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.rental.registry import services as registry
from app.rental.verification.models import Channel, ListingVerification, VerificationResult

MAX_OWNERS = 10

# Why a verification failed (codes stored on the row; labels shown in the viewer's language).
REASONS = {
    "not_found": _l("No property is registered under this certificate type and number."),
    "region_mismatch": _l("The property is not in the region chosen."),
    "owner_mismatch": _l("Owner %(n)s: the name or ID number does not match the registered owners."),
    "sealed": _l("The property is sealed (查封) and may not be let."),
    "mortgaged": _l("The property is mortgaged (抵押) and may not be let before the mortgage is released."),
}

# The code alphabet leaves out look-alike characters (0/O, 1/I/L, 2/Z, 5/S, 8/B).
_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def reason_text(code):
    key, _sep, arg = (code or "").partition(":")
    label = REASONS.get(key)
    if label is None:
        return code
    return str(label) % {"n": arg} if arg else str(label)


def reason_texts(codes):
    return [reason_text(c) for c in (codes or [])]


def new_code(moment=None):
    """房源识别码: FY + date + 8 unguessable characters (not derived from the certificate)."""
    day = (moment or datetime.now()).strftime("%y%m%d")
    return "FY" + day + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def _field(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def relabel(exc, label, new_label):
    """The same refusal naming the field as this form names it (accounts says 证件号码)."""
    text = str(exc)
    return DomainError(new_label + text[len(label):] if text.startswith(label) else text)


def clean(fields):
    """The verification form's fields, cleaned; DomainError names the field in Chinese.

    ``fields``: region_code, cert_type, cert_no, owners = [{name, id_type, id_number}].
    """
    from app.accounts.services import clean_id, clean_name
    from app.system import dicts
    from app.system.models import Region

    region_code = (fields.get("region_code") or "").strip()
    if not region_code:
        raise _field(_("Property region"), _("is required"))
    if db.session.get(Region, region_code) is None:
        raise _field(_("Property region"), _("please choose one of the listed regions"))
    cert_type = (fields.get("cert_type") or "").strip()
    if not cert_type:
        raise _field(_("Title document type"), _("is required"))
    if cert_type not in dict(dicts.items("property_cert_type")):
        raise _field(_("Title document type"), _("please choose one of the listed types"))
    cert_no = registry.normalise_cert_no(fields.get("cert_no"))
    if not cert_no:
        raise _field(_("Title certificate number"), _("is required"))
    if len(cert_no) > 64:
        raise _field(_("Title certificate number"), _("may be at most %(n)s characters", n=64))
    raw_owners = fields.get("owners") or []
    if not isinstance(raw_owners, list) or not raw_owners:
        raise _field(_("Owner name"), _("is required"))
    if len(raw_owners) > MAX_OWNERS:
        raise _field(_("Owners"), _("at most %(n)s owners", n=MAX_OWNERS))
    owners = []
    for index, raw in enumerate(raw_owners, start=1):
        if not isinstance(raw, dict):
            raise _field(_("Owner %(n)s", n=index), _("is required"))
        prefix = _("Owner %(n)s", n=index) + " " if len(raw_owners) > 1 else ""
        name = clean_name(raw.get("name"), field=prefix + _("Owner name"))
        id_type = (raw.get("id_type") or "resident_id").strip()
        try:
            id_number = clean_id(id_type, raw.get("id_number"))
        except DomainError as exc:
            raise relabel(exc, _("ID number"), prefix + _("Owner ID number")) from None
        owners.append({"name": name, "id_type": id_type, "id_number": id_number})
    return {"region_code": region_code, "cert_type": cert_type, "cert_no": cert_no, "owners": owners}


# Enterprises that let or broker housing, and listing platforms, verify listings; government staff
# may verify too (inspection). A property company or a developer has no listing to verify.
VERIFYING_ENTERPRISE_TYPES = ("rental_company", "agency", "platform")


def check_may_verify(actor):
    org = getattr(actor, "org", None) if actor is not None else None
    if org is not None and org.org_type == "enterprise" and org.enterprise_type not in VERIFYING_ENTERPRISE_TYPES:
        raise DomainError(_("Only housing rental enterprises, real estate agencies and listing platforms may verify "
                            "listings."))


def recent_failures(user_id, moment=None, session=None):
    from app.system.params import get_param

    session = session or db.session
    moment = moment or datetime.now()
    since = moment - timedelta(minutes=get_param("rental.verify_fail_window_minutes"))
    stmt = select(func.count(ListingVerification.id)).where(
        ListingVerification.created_by_fk == user_id,
        ListingVerification.result == VerificationResult.FAILED,
        ListingVerification.created_on >= since)
    return session.execute(stmt).scalar_one()


def check_failure_limit(actor, moment=None, session=None):
    from app.system.params import get_param

    limit = get_param("rental.verify_fail_limit")
    if actor is not None and recent_failures(actor.id, moment, session) >= limit:
        minutes = get_param("rental.verify_fail_window_minutes")
        raise DomainError(_("Too many failed verifications: %(n)s in the last %(m)s minutes. Please check the "
                            "certificate and owners and try again later.", n=limit, m=minutes))


def verify(fields, actor, channel=Channel.CONSOLE, api_key_id=None, idempotency_key=None,
           moment=None, session=None):
    """Verify a listing and record the attempt; returns the :class:`ListingVerification`.

    Raises DomainError for a malformed field or an account over the failure limit (nothing
    recorded then). With ``idempotency_key``, a repeated call by the same account returns
    the first answer instead of verifying again.
    """
    from app.system.params import get_param

    session = session or db.session
    moment = moment or datetime.now()
    if idempotency_key:
        idempotency_key = idempotency_key.strip()[:80]
        earlier = session.execute(select(ListingVerification).where(
            ListingVerification.created_by_fk == actor.id,
            ListingVerification.idempotency_key == idempotency_key)).scalars().first()
        if earlier is not None:
            return earlier
    check_may_verify(actor)
    data = clean(fields)
    if api_key_id is None:
        # A person's account probing owners is held back after repeated failures. A platform's
        # key serves many landlords: it has its own per-minute limit (rental.api_calls_per_minute)
        # and every call is audited, so one landlord's typos do not lock the platform out.
        check_failure_limit(actor, moment, session)
    prop, reasons = registry.match(data["region_code"], data["cert_type"], data["cert_no"], data["owners"],
                                   session=session)
    passed = not reasons
    row = ListingVerification(
        code=new_code(moment) if passed else None,
        result=VerificationResult.PASSED if passed else VerificationResult.FAILED,
        reasons=reasons or None,
        property_id=prop.id if prop is not None else None,
        region_code=(prop.region_code if prop is not None and passed else data["region_code"]),
        street_code=prop.street_code if prop is not None and passed else None,
        cert_type=data["cert_type"], cert_no=data["cert_no"], owners=data["owners"],
        address=prop.address if prop is not None and passed else None,
        valid_until=(moment + timedelta(days=get_param("rental.verification_valid_days"))).date() if passed else None,
        channel=channel, api_key_id=api_key_id, idempotency_key=idempotency_key or None,
        org_id=getattr(actor, "org_id", None), created_by_fk=getattr(actor, "id", None), created_on=moment,
    )
    session.add(row)
    session.flush()
    return row


def is_valid(verification, moment=None):
    """A passed verification that has not expired (the wizard may use it)."""
    if verification is None or verification.result != VerificationResult.PASSED:
        return False
    today = (moment or datetime.now()).date()
    return verification.valid_until is not None and verification.valid_until >= today


def by_code(code, session=None):
    session = session or db.session
    code = (code or "").strip().upper()
    if not code:
        return None
    return session.execute(select(ListingVerification).where(ListingVerification.code == code)).scalars().first()
