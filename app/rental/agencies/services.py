"""场所分布 and 从业主体管理 (seed 001 政务端): the rules.

* An enterprise keeps its own premises and practitioners: the enterprise of every row is the
  actor's (an enterprise administrator's), never a value from a form or a file.
* A premises lies in a district (and optionally one of its streets) of the region table; its
  telephone is a mobile or a landline.
* A practitioner has a valid name, ID and mobile, a post from the dictionary
  ``practitioner_post``, a 信息卡号 unique across the city, a card validity and optionally one
  of the enterprise's premises. One record per person (ID number) and enterprise.
* A practitioner is bound to a login account by ID number, as property staff are
  (app/property/staff/accounts.py bind_accounts): the account's person (app/accounts Person) must
  carry the same ID number. Naming an account whose person has another ID number is refused
  with both numbers' last digits, so the administrator sees which one to correct.
* 离职 keeps the record as history and unbinds the account.

Functions take the acting user, raise DomainError with a Chinese message; the caller commits.
"""
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core import masking
from app.core.errors import DomainError
from app.extensions import db
from app.rental.agencies.models import AgencyPremises, Practitioner

POST_DICT = "practitioner_post"
PREMISES_STATUSES = ("open", "closed")
PRACTITIONER_ACTIVE, PRACTITIONER_LEFT = "active", "left"
_PHONE_RE = re.compile(r"(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?")
_CARD_RE = re.compile(r"[A-Za-z0-9\-]{4,32}")


def _field(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def _text(value, label, required=False, max_length=None):
    text = "" if value is None else unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        if required:
            raise _field(label, _("is required"))
        return None
    if max_length and len(text) > max_length:
        raise _field(label, _("may be at most %(n)s characters", n=max_length))
    return text


def enterprise_of(actor):
    """The enterprise whose premises and practitioners the actor keeps; refused for anyone else."""
    from app.system.models import OrgType

    org = getattr(actor, "org", None)
    if actor is None or org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Only an enterprise account can keep premises and practitioners."))
    return org


# --- regions --------------------------------------------------------------------------------

def district_options(user=None):
    """[(code, name)] of the districts the user may choose (a region scope: its own)."""
    from app.core.scope import current_user_obj, prefix_range, user_scope
    from app.security.roles import SCOPE_NONE, SCOPE_REGION
    from app.system.models import Region

    scope = user_scope(user if user is not None else current_user_obj())
    if scope.level == SCOPE_NONE:
        return []
    stmt = select(Region.code, Region.name).where(Region.level == "district")
    if scope.level == SCOPE_REGION:
        prefix = scope.region_prefix
        stmt = stmt.where(Region.code == prefix[:6]) if len(prefix) > 6 else \
            stmt.where(prefix_range(Region.code, prefix))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code)).all()]


def all_districts():
    from app.system.models import Region

    return [tuple(r) for r in db.session.execute(
        select(Region.code, Region.name).where(Region.level == "district").order_by(Region.code)).all()]


def street_options(district=None, limit=500):
    from app.system.models import Region

    stmt = select(Region.code, Region.name).where(Region.level == "street")
    if district:
        stmt = stmt.where(Region.parent_code == district)
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code).limit(limit)).all()]


def region_name(code):
    from app.system.models import Region

    if not code:
        return ""
    region = db.session.get(Region, code)
    return region.name if region is not None else code


# --- 场所 (premises) ---------------------------------------------------------------------------

def clean_premises(data):
    from app.system.models import Region

    name = _text(data.get("name"), _("Premises name"), required=True, max_length=128)
    address = _text(data.get("address"), _("Address"), required=True, max_length=255)
    region_code = _text(data.get("region_code"), _("District"), required=True, max_length=12)
    region = db.session.get(Region, region_code)
    if region is None or region.level != "district":
        raise _field(_("District"), _("please choose one of the listed districts"))
    street_code = _text(data.get("street_code"), _("Street"), max_length=12)
    if street_code:
        street = db.session.get(Region, street_code)
        if street is None or street.level != "street" or street.parent_code != region_code:
            raise _field(_("Street"), _("please choose a street of the chosen district"))
    phone = _text(data.get("phone"), _("Telephone"), max_length=32)
    if phone:
        phone = phone.replace(" ", "")
        if not (_PHONE_RE.fullmatch(phone) or re.fullmatch(r"1\d{10}", phone)):
            raise _field(_("Telephone"), _("enter a mobile number or a landline such as 023-63001234"))
    area = data.get("floor_area")
    if area in (None, ""):
        floor_area = None
    else:
        try:
            floor_area = Decimal(str(area).strip().replace(",", ""))
        except InvalidOperation:
            raise _field(_("Floor area (m²)"), _("please enter a number")) from None
        if not floor_area.is_finite() or floor_area <= 0 or floor_area >= Decimal("1000000"):
            raise _field(_("Floor area (m²)"), _("must be greater than 0"))
        floor_area = floor_area.quantize(Decimal("0.01"))
    status = (str(data.get("status") or "open")).strip()
    if status not in PREMISES_STATUSES:
        raise _field(_("Status"), _("please choose one of the listed values"))
    return {"name": name, "address": address, "region_code": region_code, "street_code": street_code,
            "phone": phone, "floor_area": floor_area, "status": status}


def _own_premises(actor, premises):
    org = enterprise_of(actor)
    if premises is None or premises.org_id != org.id:
        raise DomainError(_("The premises does not exist or is not of your enterprise."))
    return org


def save_premises(actor, data, premises=None):
    """Add (``premises`` None) or change a premises of the actor's enterprise."""
    org = enterprise_of(actor) if premises is None else _own_premises(actor, premises)
    values = clean_premises(data)
    if premises is None:
        premises = AgencyPremises(org_id=org.id, created_by_fk=actor.id)
        db.session.add(premises)
    for key, value in values.items():
        setattr(premises, key, value)
    db.session.flush()
    return premises


def delete_premises(actor, premises):
    _own_premises(actor, premises)
    used = db.session.execute(select(func.count(Practitioner.id)).where(Practitioner.premises_id == premises.id)
                              ).scalar_one()
    if used:
        raise DomainError(_("%(name)s cannot be deleted: %(n)s practitioners work there. Mark it closed instead.",
                            name=premises.name, n=used))
    db.session.delete(premises)
    db.session.flush()


def premises_choices(actor):
    """[(id, name)] of the actor's enterprise's premises (for the practitioner form)."""
    org_id = getattr(actor, "org_id", None)
    if not org_id:
        return []
    return [(str(i), n) for i, n in db.session.execute(
        select(AgencyPremises.id, AgencyPremises.name).where(AgencyPremises.org_id == org_id)
        .order_by(AgencyPremises.name, AgencyPremises.id).limit(500)).all()]


# --- 从业主体 (practitioners) --------------------------------------------------------------------

def _post(value):
    from app.system import dicts

    code = "" if value is None else str(value).strip()
    if not code:
        raise _field(_("Post"), _("is required"))
    for c, label in dicts.items(POST_DICT):
        if code in (c, str(label)):
            return c
    raise _field(_("Post"), _("please choose one of the listed values"))


def _id_type(value):
    from app.system import dicts

    code = (str(value or "resident_id")).strip()
    for c, label in dicts.items("id_type"):
        if code in (c, str(label)):
            return c
    raise _field(_("ID type"), _("please choose one of the listed types"))


def _date(value, label):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _field(label, _("please enter a date as yyyy-mm-dd")) from None


def clean_practitioner(data, org_id, current=None):
    """The fields of a practitioner form, JSON body or import row, checked."""
    from app.accounts.services import clean_id, clean_mobile, clean_name
    from app.rental.verification.services import relabel

    name = clean_name(data.get("name"), field=_("Full name"))
    id_type = _id_type(data.get("id_type"))
    try:
        id_number = clean_id(id_type, data.get("id_number"))
    except DomainError as exc:
        raise relabel(exc, _("ID number"), _("ID number")) from None
    mobile = clean_mobile(data.get("mobile"))
    post = _post(data.get("post"))
    card = _text(data.get("info_card_no"), _("Information card number"), required=True, max_length=32)
    card = card.upper()
    if not _CARD_RE.fullmatch(card):
        raise _field(_("Information card number"), _("4 to 32 letters, digits or hyphens"))
    valid_until = _date(data.get("card_valid_until"), _("Card valid until"))
    premises_id = data.get("premises_id")
    premises = None
    if premises_id not in (None, ""):
        if isinstance(premises_id, AgencyPremises):
            premises = premises_id
        else:
            text = str(premises_id).strip()
            premises = db.session.get(AgencyPremises, int(text)) if text.isdigit() else None
        if premises is None or premises.org_id != org_id:
            raise _field(_("Business premises"), _("please choose one of your enterprise's premises"))
    taken = db.session.execute(select(Practitioner).where(Practitioner.info_card_no == card)).scalars().first()
    if taken is not None and (current is None or taken.id != current.id):
        raise _field(_("Information card number"), _("this number is already held by another practitioner"))
    same = db.session.execute(select(Practitioner).where(Practitioner.org_id == org_id,
                                                         Practitioner.id_number == id_number)).scalars().first()
    if same is not None and (current is None or same.id != current.id):
        raise _field(_("ID number"), _("%(name)s with this ID number is already a practitioner of your enterprise",
                                       name=masking.mask("name", same.name)))
    return {"name": name, "id_type": id_type, "id_number": id_number, "mobile": mobile, "post": post,
            "info_card_no": card, "card_valid_until": valid_until, "premises_id": premises.id if premises else None,
            "region_code": (premises.region_code if premises is not None else None)}


def _own_practitioner(actor, practitioner):
    org = enterprise_of(actor)
    if practitioner is None or practitioner.org_id != org.id:
        raise DomainError(_("The practitioner does not exist or is not of your enterprise."))
    return org


def _account_person(username, org_id):
    """The login account named by the administrator (of the same enterprise) and its person."""
    from app.accounts.models import Person
    from app.security.models import AnjuUser

    user = db.session.execute(select(AnjuUser).where(AnjuUser.username == username.strip())).scalars().first()
    if user is None or user.org_id != org_id:
        raise _field(_("Login account"), _("no account of your enterprise has this name"))
    person = db.session.execute(select(Person).where(Person.user_id == user.id)).scalars().first()
    return user, person


def bind_account(practitioner, username=None):
    """Bind the practitioner to a login account by ID number.

    With ``username`` that account must be of the same enterprise and its person must carry
    the practitioner's ID number (refused, naming both, otherwise). Without it the account of
    the enterprise's person with the same ID number is bound, if there is one."""
    from app.accounts.models import Person

    if practitioner.status != PRACTITIONER_ACTIVE:
        practitioner.user_id = None
        return None
    if username:
        user, person = _account_person(username, practitioner.org_id)
        if person is None:
            raise _field(_("Login account"), _("the account %(user)s has no ID number on record; the person must "
                                               "complete real-name registration first", user=user.username))
        if (person.id_type, (person.id_number or "").upper()) != (practitioner.id_type,
                                                                   (practitioner.id_number or "").upper()):
            raise _field(_("Login account"), _(
                "the ID number of account %(user)s (%(theirs)s) does not match the practitioner's ID number "
                "(%(ours)s); an account is bound only to the practitioner with the same ID number",
                user=user.username, theirs=masking.mask("id_number", person.id_number),
                ours=masking.mask("id_number", practitioner.id_number)))
        practitioner.user_id = user.id
        return user
    person = db.session.execute(select(Person).where(
        Person.id_number == practitioner.id_number, Person.id_type == practitioner.id_type,
        Person.org_id == practitioner.org_id, Person.user_id.isnot(None))).scalars().first()
    practitioner.user_id = person.user_id if person is not None else None
    return person.user if person is not None else None


def bind_person(person):
    """An account was opened or activated (app/accounts STAFF_ACCOUNT_HOOKS): bind the
    enterprise's practitioner records with the person's ID number to it."""
    if person is None or not person.org_id or not person.user_id:
        return
    for p in db.session.execute(select(Practitioner).where(
            Practitioner.org_id == person.org_id, Practitioner.id_number == person.id_number,
            Practitioner.status == PRACTITIONER_ACTIVE)).scalars():
        p.user_id = person.user_id


def _flush():
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("Another practitioner with this ID number or information card number was saved at "
                            "the same moment; reload the list and check it.")) from None


def save_practitioner(actor, data, practitioner=None):
    """Add (``practitioner`` None) or change a practitioner of the actor's enterprise; the
    login account is bound by ID number (``data["account"]`` names one explicitly)."""
    org = enterprise_of(actor) if practitioner is None else _own_practitioner(actor, practitioner)
    if practitioner is not None and practitioner.status != PRACTITIONER_ACTIVE:
        raise DomainError(_("%(name)s has left; the record is kept as history and cannot be edited.",
                            name=masking.for_viewer("name", practitioner.name)))
    values = clean_practitioner(data, org.id, current=practitioner)
    values["region_code"] = values["region_code"] or org.region_code
    if practitioner is None:
        practitioner = Practitioner(org_id=org.id, status=PRACTITIONER_ACTIVE, created_by_fk=actor.id)
        db.session.add(practitioner)
    for key, value in values.items():
        setattr(practitioner, key, value)
    account = (data.get("account") or "").strip() if isinstance(data.get("account"), str) else None
    bind_account(practitioner, account or None)
    _flush()
    return practitioner


def leave(actor, practitioner, moment=None):
    """离职: kept as history; the login account is no longer bound."""
    _own_practitioner(actor, practitioner)
    if practitioner.status != PRACTITIONER_ACTIVE:
        raise DomainError(_("%(name)s has already left.", name=masking.for_viewer("name", practitioner.name)))
    practitioner.status = PRACTITIONER_LEFT
    practitioner.user_id = None
    db.session.flush()
    return practitioner


def is_card_expired(practitioner, today=None):
    return practitioner.card_valid_until is not None and practitioner.card_valid_until < (today or date.today())


# --- the import (xlsx engine, all or nothing) ------------------------------------------------

def import_columns():
    from flask_babel import lazy_gettext as _l

    from app.core import xlsx
    from app.system import dicts

    return [
        xlsx.XColumn("name", _l("Full name"), required=True, max_length=30, example="张三"),
        xlsx.XColumn("id_type", _l("ID type"), kind="choice", choices=lambda: dicts.items("id_type")),
        xlsx.XColumn("id_number", _l("ID number"), kind="id_number", required=True, mask="id_number"),
        xlsx.XColumn("mobile", _l("Mobile"), kind="mobile", required=True, mask="mobile"),
        xlsx.XColumn("post", _l("Post"), kind="choice", required=True, choices=lambda: dicts.items(POST_DICT)),
        xlsx.XColumn("info_card_no", _l("Information card number"), required=True, max_length=32,
                     example="XXK2026000123"),
        xlsx.XColumn("card_valid_until", _l("Card valid until"), kind="date"),
        xlsx.XColumn("premises", _l("Business premises"), max_length=128),
    ]


def _premises_by_name(org_id):
    return {n: i for i, n in db.session.execute(
        select(AgencyPremises.id, AgencyPremises.name).where(AgencyPremises.org_id == org_id)).all()}


def validate_import(actor, rows):
    """[(row, column key, message)] for every row a save would refuse (inside the file and
    against the database)."""
    org = enterprise_of(actor)
    premises = _premises_by_name(org.id)
    errors = []
    seen_cards, seen_ids = {}, {}
    for row in rows:
        number = row.get("_row")
        data = dict(row)
        name = (row.get("premises") or "").strip()
        if name:
            if name not in premises:
                errors.append((number, "premises", _("no premises of your enterprise has this name")))
            data["premises_id"] = premises.get(name)
        try:
            values = clean_practitioner(data, org.id)
        except DomainError as exc:
            errors.append((number, _column_of(str(exc)), str(exc)))
            continue
        card, id_number = values["info_card_no"], values["id_number"]
        if card in seen_cards:
            errors.append((number, "info_card_no", _("the same number is on row %(row)s", row=seen_cards[card])))
        if id_number in seen_ids:
            errors.append((number, "id_number", _("the same person is on row %(row)s", row=seen_ids[id_number])))
        seen_cards.setdefault(card, number)
        seen_ids.setdefault(id_number, number)
    return errors


def _column_of(message):
    labels = {"info_card_no": _("Information card number"), "id_number": _("ID number"), "mobile": _("Mobile"),
              "post": _("Post"), "name": _("Full name"), "id_type": _("ID type"),
              "card_valid_until": _("Card valid until"), "premises": _("Business premises")}
    for key, label in labels.items():
        if message.startswith(label):
            return key
    return None


def import_rows(actor, rows):
    """Save the checked rows (the request's transaction; the view commits)."""
    org = enterprise_of(actor)
    premises = _premises_by_name(org.id)
    count = 0
    for row in rows:
        data = dict(row)
        name = (row.get("premises") or "").strip()
        data["premises_id"] = premises.get(name) if name else None
        save_practitioner(actor, data)
        count += 1
    return count


# --- the console's add and edit forms (FAB fills the row; the rules are the same) -------------

PREMISES_FIELDS = ("name", "address", "region_code", "street_code", "phone", "floor_area", "status")
PRACTITIONER_FIELDS = ("name", "id_type", "id_number", "mobile", "post", "info_card_no", "card_valid_until")


def prepare_premises(actor, item, new):
    """The premises a form filled in, checked and owned by the actor's enterprise."""
    with db.session.no_autoflush:
        org = enterprise_of(actor) if new else _own_premises(actor, item)
        values = clean_premises({k: getattr(item, k, None) for k in PREMISES_FIELDS})
    for key, value in values.items():
        setattr(item, key, value)
    item.org_id = org.id
    if new:
        item.created_by_fk = actor.id
    return item


def premises_delete_problem(actor, item):
    _own_premises(actor, item)
    used = db.session.execute(select(func.count(Practitioner.id)).where(Practitioner.premises_id == item.id)
                              ).scalar_one()
    if used:
        return _("%(name)s cannot be deleted: %(n)s practitioners work there. Mark it closed instead.",
                 name=item.name, n=used)
    return None


def prepare_practitioner(actor, item, new, account=None):
    """The practitioner a form filled in, checked, owned by the actor's enterprise and bound to
    its login account by ID number."""
    with db.session.no_autoflush:
        org = enterprise_of(actor) if new else _own_practitioner(actor, item)
        if not new and item.status != PRACTITIONER_ACTIVE:
            raise DomainError(_("%(name)s has left; the record is kept as history and cannot be edited.",
                                name=masking.for_viewer("name", item.name)))
        data = {k: getattr(item, k, None) for k in PRACTITIONER_FIELDS}
        data["premises_id"] = getattr(item, "premises", None)
        values = clean_practitioner(data, org.id, current=None if new else item)
        values["region_code"] = values["region_code"] or org.region_code
        item.premises = None if values["premises_id"] is None else db.session.get(AgencyPremises,
                                                                                 values["premises_id"])
        for key, value in values.items():
            setattr(item, key, value)
        item.org_id = org.id
        if new:
            item.status = PRACTITIONER_ACTIVE
            item.created_by_fk = actor.id
        bind_account(item, (account or "").strip() or None)
    return item
