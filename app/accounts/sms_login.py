"""Signing in with an SMS code (seed 002 §3.2, seed 003 §1), and the checks made before any SMS code
is spent (the mobile, and the name, ID number or credit code the page asked for)."""

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.accounts.models import ActivationStatus, IdType
from app.accounts.services import (
    _field_error,
    clean_credit_code,
    clean_id,
    clean_mobile,
    clean_name,
    person_by_id,
    person_of,
)
from app.core import sms
from app.core.errors import DomainError
from app.core.validators import ValidationError, check_resident_id
from app.extensions import db
from app.security.models import AnjuUser


def resolve_sms_login(identifier):
    """The account behind a mobile number or an ID number, or None."""
    ident = (identifier or "").strip().replace(" ", "")
    if re.fullmatch(r"1\d{10}", ident):
        return db.session.execute(select(AnjuUser).where(
            or_(AnjuUser.mobile == ident, AnjuUser.username == ident))).scalars().first()
    try:
        number = check_resident_id(ident).number
    except ValidationError:
        return None
    person = person_by_id(IdType.RESIDENT, number)
    return person.user if person is not None else None


# --- checks before an SMS code is spent -------------------------------------------------------

# The fields a form may send with its 获取验证码 button, and how each is checked: the same
# cleaning the form's own submission applies, so a code is never sent for a form that the
# submission will refuse for a typing mistake.
CODE_REQUEST_CHECKS = ("name", "id_number", "credit_code")


def clean_login_identifier(identifier):
    """A mobile or a resident ID number (SMS login); the format error says which is wrong."""
    ident = (identifier or "").strip().replace(" ", "")
    if not ident:
        raise _field_error(_("Mobile or ID number"), _("is required"))
    if len(ident) <= 14 or ident.startswith(("+", "86")) and len(ident) < 18:
        return clean_mobile(ident)
    try:
        return check_resident_id(ident).number
    except ValidationError as exc:
        raise _field_error(_("ID number"), str(exc))


def check_code_request(purpose, target, fields):
    """Check what a form sends with its SMS-code button before the code is spent.

    ``target``: the mobile (for login, a mobile or an ID number). ``fields``: the form's other
    fields the button sends (``name``, ``id_type`` + ``id_number``, ``credit_code``), each
    checked as the form's submission will check it when present. Returns the cleaned target;
    raises DomainError with a Chinese message naming the field."""
    if purpose == sms.SmsPurpose.LOGIN:
        target = clean_login_identifier(target)
    else:
        target = clean_mobile(target)
    if "name" in fields:
        clean_name(fields.get("name"))
    if "id_number" in fields:
        clean_id(fields.get("id_type") or IdType.RESIDENT, fields.get("id_number"))
    if "credit_code" in fields:
        clean_credit_code(fields.get("credit_code"))
    return target


def send_login_code(identifier, ip=None):
    user = resolve_sms_login(identifier)
    if user is None or not user.mobile:
        raise DomainError(_("No account is registered with this mobile or ID number."))
    sms.send_code(user.mobile, sms.SmsPurpose.LOGIN, ip=ip)
    return user


def sms_login(identifier, code):
    user = resolve_sms_login(identifier)
    if user is None or not user.mobile:
        raise DomainError(_("No account is registered with this mobile or ID number."))
    sm = current_app.appbuilder.sm
    if sm.is_locked(user):
        raise DomainError(_("Too many failed logins: the account is locked until %(until)s.",
                            until=user.locked_until.strftime("%Y-%m-%d %H:%M")))
    if not user.active:
        person = person_of(user)
        if person is not None and person.activation == ActivationStatus.PENDING:
            raise DomainError(_("This account has not been activated yet; activate it first."))
        raise DomainError(_("This account is disabled."))
    sms.verify_code(user.mobile, sms.SmsPurpose.LOGIN, code)
    db.session.commit()
    return user
