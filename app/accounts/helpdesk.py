"""The helpdesk (SPEC §3): look up an account by mobile, ID number, name or credit code (masked as
the helpdesk sees it), unlock it, resend its verification SMS; every step audited."""

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.accounts.models import ActivationStatus, Person
from app.accounts.services import ORG_REGISTRATION, person_of, review_label
from app.core import audit, masking, sms, workflow
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.validators import ValidationError, check_credit_code, check_resident_id
from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Organization


def classify_query(q):
    q = (q or "").strip().replace(" ", "")
    if not q:
        raise DomainError(_("Please enter a mobile number, ID number, name or credit code."))
    if len(q) > 64:
        raise DomainError(_("The search text is too long."))
    if re.fullmatch(r"1\d{10}", q):
        return "mobile", q
    if len(q) == 18:
        try:
            return "id_number", check_resident_id(q).number
        except ValidationError:
            pass
        try:
            return "credit_code", check_credit_code(q)
        except ValidationError:
            pass
    if re.fullmatch(r"[A-Za-z0-9]{5,17}", q):
        return "id_number", q.upper()
    return "name", q


def helpdesk_lookup(actor, q, limit=50):
    """Accounts matching a mobile, ID number, name or credit code: for the 客服 page and API."""
    kind, value = classify_query(q)
    stmt = select(AnjuUser).outerjoin(Person, Person.user_id == AnjuUser.id)
    if kind == "mobile":
        stmt = stmt.where(or_(AnjuUser.mobile == value, Person.mobile == value, AnjuUser.username == value))
    elif kind == "id_number":
        stmt = stmt.where(Person.id_number == value)
    elif kind == "credit_code":
        org_ids = select(Organization.id).where(Organization.credit_code == value)
        stmt = stmt.where(or_(AnjuUser.username == value, AnjuUser.org_id.in_(org_ids)))
    else:
        stmt = stmt.where(or_(Person.name == value, AnjuUser.first_name == value))
    users = db.session.execute(stmt.order_by(AnjuUser.id).limit(limit)).unique().scalars().all()
    rows = [account_summary(u) for u in users]
    audit.record(AuditAction.LOOKUP, "AnjuUser",
                 summary=_("Helpdesk lookup by %(kind)s: %(value)s (%(n)s accounts)", kind=kind,
                           value=_mask_query(kind, value), n=len(rows)), commit=True)
    return kind, rows


def _mask_query(kind, value):
    if kind == "mobile":
        return masking.mask("mobile", value)
    if kind == "id_number":
        return masking.mask("id_number", value)
    if kind == "name":
        return masking.mask("name", value)
    return value


def account_summary(user):
    """What the helpdesk sees of an account: states and reasons, personal data masked."""
    from app.security.roles import role_label

    person = person_of(user)
    org = user.org
    application = None
    if org is not None and org.review_status != "approved":
        application = workflow.latest_for_subject("organization", org.id, ORG_REGISTRATION)
    locked = bool(user.locked_until and user.locked_until > datetime.now())
    return {
        "id": user.id,
        "username": masking.mask("mobile", user.username) if re.fullmatch(r"1\d{10}", user.username or "")
        else user.username,
        "name": masking.mask("name", person.name if person else user.first_name),
        "mobile": masking.mask("mobile", user.mobile) if user.mobile else "",
        "id_type": person.id_type_label if person else "",
        "id_number": masking.mask("id_number", person.id_number) if person else "",
        "org": org.name if org else "",
        "roles": "、".join(str(role_label(r.name)) for r in user.roles),
        "active": bool(user.active),
        "activation": person.activation if person else ActivationStatus.ACTIVE,
        "realname_status": person.realname_status if person else None,
        "realname_label": person.realname_label if person else str(_("Not applicable")),
        "realname_reason": person.realname_reason if person else None,
        "review_status": org.review_status if org is not None else None,
        "review_label": review_label(org.review_status) if org is not None else "",
        "review_reason": org.review_reason if org is not None else None,
        "application_number": application.number if application else None,
        "locked": locked,
        "locked_until": user.locked_until.strftime("%Y-%m-%d %H:%M") if locked else None,
        "fail_login_count": user.fail_login_count or 0,
        "last_login": user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else None,
    }


def _helpdesk_target(user_id):
    user = db.session.get(AnjuUser, user_id) if str(user_id).isdigit() else None
    if user is None:
        raise DomainError(_("The account does not exist."))
    return user


def helpdesk_unlock(actor, user_id):
    from app.security import authority

    user = _helpdesk_target(user_id)
    authority.check_account_action(actor, user, authority.UNLOCK)
    if not (user.locked_until and user.locked_until > datetime.now()) and not user.fail_login_count:
        raise DomainError(_("The account is not locked."))
    user.locked_until = None
    user.fail_login_count = 0
    audit.record(AuditAction.UNLOCKED, "AnjuUser", user.id, summary=_("Unlocked by the helpdesk"))
    db.session.commit()
    return user


def helpdesk_resend(actor, user_id, ip=None):
    """Send the account's owner a fresh code: activation for pending staff, login otherwise."""
    user = _helpdesk_target(user_id)
    if not user.mobile:
        raise DomainError(_("The account has no mobile number."))
    person = person_of(user)
    purpose = sms.SmsPurpose.ACTIVATE if person is not None and person.activation == ActivationStatus.PENDING \
        else sms.SmsPurpose.LOGIN
    sms.send_code(user.mobile, purpose, ip=ip)
    audit.record(AuditAction.RESEND, "AnjuUser", user.id,
                 summary=_("Verification SMS resent to %(mobile)s", mobile=masking.mask("mobile", user.mobile)),
                 commit=True)
    return purpose
