"""Accounts and real-name: the rules, shared by pages, the REST API and jobs.

Each public function takes plain values and the acting user, raises DomainError with a
Chinese message when a rule is broken, and commits its own unit of work (all or nothing).
"""
import re
import secrets
import string
from datetime import datetime, timedelta

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.accounts.models import (
    ID_TYPE_LABELS,
    ActivationStatus,
    IdType,
    Person,
    RealnameCheck,
    RealnameRegistry,
    RealnameStatus,
)
from app.core import audit, masking, sms, uploads, workflow
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.validators import ValidationError, check_credit_code, check_mobile, check_resident_id
from app.core.workflow import Action, AppStatus, ApplicationType
from app.extensions import db
from app.security.models import AnjuUser
from app.security.passwords import ensure_strong
from app.system.models import Organization, OrgType, Region

ORG_REGISTRATION = "org_registration"
AGENCY_FILING = "agency_filing"
APPLICANT_ROLE = "org_applicant"
PUBLIC_ROLE = "public"

ENTERPRISE_TYPES = {
    "developer": _l("Developer"),
    "property_company": _l("Property management company"),
    "rental_company": _l("Housing rental company"),
    "agency": _l("Real estate agency"),
    "owners_committee": _l("Owners' committee"),
}

REVIEW_LABELS = {
    "pending": _l("Pending review"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "rejected": _l("Not approved"),
    "terminated": _l("Terminated"),
}

_NAME_RE = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\- ]{2,30}$")


def review_label(code):
    return str(REVIEW_LABELS.get(code, code or ""))


# --- field checks ----------------------------------------------------------------------

def _field_error(field, message):
    return DomainError(_("%(field)s: %(message)s", field=field, message=message))


def clean_name(value, field=None):
    name = (value or "").strip()
    if not name:
        raise _field_error(field or _("Name"), _("is required"))
    if not _NAME_RE.match(name):
        raise _field_error(field or _("Name"), _("2 to 30 Chinese characters or letters"))
    return name


def clean_id(id_type, value):
    """Validate an ID number for its type; return it normalised."""
    if id_type not in IdType.ALL:
        raise _field_error(_("ID type"), _("please choose one of the listed types"))
    raw = (value or "").strip().replace(" ", "")
    if not raw:
        raise _field_error(_("ID number"), _("is required"))
    if id_type == IdType.RESIDENT:
        try:
            return check_resident_id(raw).number
        except ValidationError as exc:
            raise _field_error(_("ID number"), str(exc))
    number = raw.upper()
    patterns = {
        # 港澳居民来往内地通行证: H/M + 8 or 10 digits.
        IdType.HK_MACAO: (r"[HM]\d{8}(\d{2})?", _("a Hong Kong/Macao permit is H or M followed by 8 or 10 digits")),
        # 台湾居民来往大陆通行证: 8 digits (10 for older permits).
        IdType.TAIWAN: (r"\d{8}(\d{2})?", _("a Taiwan permit number has 8 or 10 digits")),
        IdType.PASSPORT: (r"[A-Z0-9]{5,17}", _("a passport number has 5 to 17 letters or digits")),
    }
    pattern, message = patterns[id_type]
    if not re.fullmatch(pattern, number):
        raise _field_error(_("ID number"), message)
    return number


def clean_mobile(value):
    try:
        return check_mobile(value)
    except ValidationError as exc:
        raise _field_error(_("Mobile"), str(exc))


def clean_credit_code(value):
    try:
        return check_credit_code(value)
    except ValidationError as exc:
        raise _field_error(_("Unified social credit code"), str(exc))


def clean_password(password, confirm):
    if not password:
        raise _field_error(_("Password"), _("is required"))
    if password != confirm:
        raise _field_error(_("Confirm password"), _("the two passwords do not match"))
    try:
        ensure_strong(password)
    except ValidationError as exc:
        raise _field_error(_("Password"), str(exc))
    return password


def mobile_taken(mobile, except_user_id=None):
    stmt = select(AnjuUser.id).where(or_(AnjuUser.mobile == mobile, AnjuUser.username == mobile))
    if except_user_id:
        stmt = stmt.where(AnjuUser.id != except_user_id)
    return db.session.execute(stmt.limit(1)).first() is not None


def person_by_id(id_type, id_number):
    return db.session.execute(
        select(Person).where(Person.id_type == id_type, Person.id_number == id_number)
    ).scalars().first()


def _placeholder_email():
    return f"{secrets.token_hex(8)}@users.anju.invalid"


def _role(name):
    role = current_app.appbuilder.sm.find_role(name)
    if role is None:
        raise DomainError(_("The role %(role)s is missing; run `flask roles sync`.", role=name))
    return role


def hash_password(password=None):
    """Hash before any write: hashing is slow on purpose (~130 ms), and on SQLite a write
    transaction would hold the database lock all that time."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password or secrets.token_urlsafe(24))


def _new_user(username, display_name, roles, mobile, password=None, org_id=None, active=True,
              must_change=False, password_hash=None):
    """An account row (flushed, not committed)."""
    user = AnjuUser(
        username=username, first_name=display_name[:64], last_name="", email=_placeholder_email(),
        active=active, roles=[_role(r) for r in roles], mobile=mobile, org_id=org_id,
        password=password_hash or hash_password(password),
        must_change_password=must_change, password_changed_at=datetime.now(),
        created_on=datetime.now(), changed_on=datetime.now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def generate_password(length=12):
    """A one-time password that meets the policy (upper, lower, digit, symbol)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = [secrets.choice(alphabet) for _ in range(length - 2)]
        body += [secrets.choice("@#%&*!"), secrets.choice(string.digits)]
        secrets.SystemRandom().shuffle(body)
        pw = "".join(body)
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw):
            return pw


# --- personal registration ----------------------------------------------------------------

def register_person(name, id_type, id_number, mobile, sms_code, password, confirm):
    """Create a public account with its person; one account per ID number and per mobile."""
    name = clean_name(name)
    id_number = clean_id(id_type, id_number)
    mobile = clean_mobile(mobile)
    clean_password(password, confirm)
    if person_by_id(id_type, id_number) is not None:
        raise _field_error(_("ID number"), _("an account is already registered with this ID number; "
                                             "please log in, or ask the helpdesk if it is not yours"))
    if mobile_taken(mobile):
        raise _field_error(_("Mobile"), _("this mobile number is already registered; please log in"))
    hashed = hash_password(password)
    sms.verify_code(mobile, sms.SmsPurpose.REGISTER, sms_code)
    user = _new_user(mobile, name, [PUBLIC_ROLE], mobile, password_hash=hashed)
    person = Person(user_id=user.id, name=name, id_type=id_type, id_number=id_number, mobile=mobile,
                    realname_status=RealnameStatus.UNVERIFIED)
    db.session.add(person)
    _commit_unique(_("An account with this ID number or mobile was registered at the same moment."))
    return user


def _commit_unique(message):
    from sqlalchemy.exc import IntegrityError

    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(message)


# --- organisation registration (a business application) ------------------------------------

def _district(city_code, district_code):
    city = db.session.get(Region, city_code or "")
    if city is None or city.level != "city":
        raise _field_error(_("Registration city"), _("please choose a city from the list"))
    district = db.session.get(Region, district_code or "")
    if district is None or district.level != "district" or district.parent_code != city.code:
        raise _field_error(_("District"), _("please choose a district of the chosen city"))
    return district


def _registration_fields(data):
    """Check the enterprise fields shared by registration and its correction."""
    ent_type = data.get("enterprise_type")
    if ent_type not in ENTERPRISE_TYPES:
        raise _field_error(_("Enterprise type"), _("please choose one of the listed types"))
    name = (data.get("name") or "").strip()
    if not (2 <= len(name) <= 128):
        raise _field_error(_("Enterprise name"), _("2 to 128 characters"))
    legal_rep = clean_name(data.get("legal_rep"), _("Legal representative"))
    district = _district(data.get("city_code"), data.get("district_code"))
    return ent_type, name, legal_rep, district


def register_org(data, files, ip=None):
    """Organisation registration: the account (login = credit code) waits for review.

    ``data``: city_code, district_code, enterprise_type, credit_code, name, legal_rep,
    mobile, sms_code, password, confirm, agreed. ``files``: the uploaded 要件.
    Returns the business application.
    """
    ent_type, name, legal_rep, district = _registration_fields(data)
    code = clean_credit_code(data.get("credit_code"))
    mobile = clean_mobile(data.get("mobile"))
    clean_password(data.get("password"), data.get("confirm"))
    if not data.get("agreed"):
        raise DomainError(_("Please read and accept the 《机构注册协议》 (organisation registration agreement)."))
    if not files:
        raise _field_error(_("Documents"), _("please upload the business licence and other documents"))
    org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalars().first()
    user = current_app.appbuilder.sm.find_user(username=code)
    reuse = org is not None and org.review_status in ("rejected", "terminated")
    if org is not None and not reuse:
        if org.review_status == "pending" or org.review_status == "returned":
            raise _field_error(_("Unified social credit code"),
                               _("this enterprise has a registration under review; log in with the credit code to follow it"))
        raise _field_error(_("Unified social credit code"),
                           _("this enterprise is already registered; log in with the credit code"))
    if user is not None and not reuse:
        raise _field_error(_("Unified social credit code"), _("an account with this name already exists"))
    if mobile_taken(mobile, except_user_id=user.id if user is not None else None):
        raise _field_error(_("Mobile"), _("this mobile number is already used by another account"))
    hashed = hash_password(data["password"])
    # The code first: a wrong code commits its try count, and nothing else may be pending then.
    sms.verify_code(mobile, sms.SmsPurpose.REGISTER, data.get("sms_code"))
    stored = uploads.save_many(files, label=str(_("Registration documents")))
    org_type = OrgType.OWNERS_COMMITTEE if ent_type == "owners_committee" else OrgType.ENTERPRISE
    if org is None:
        org = Organization(credit_code=code, name=name, org_type=org_type)
        db.session.add(org)
    org.name, org.org_type, org.enterprise_type = name, org_type, ent_type
    org.legal_rep, org.contact_mobile, org.region_code = legal_rep, mobile, district.code
    org.active, org.review_status, org.review_reason = False, "pending", None
    from app.system.services import finish_paths, set_tree_fields

    set_tree_fields(org)
    db.session.flush()
    finish_paths([org])
    if user is None:
        user = _new_user(code, name, [APPLICANT_ROLE], mobile, password_hash=hashed, org_id=org.id)
    else:
        user.password = hashed
        user.mobile, user.first_name, user.active = mobile, name[:64], True
        user.roles = [_role(APPLICANT_ROLE)]
    application = workflow.create(
        ORG_REGISTRATION, applicant=user, title=name, org_id=org.id, region_code=district.code,
        subject=("organization", org.id), payload={"city_code": data.get("city_code"),
                                                    "ip": ip}, submit=True,
    )
    uploads.attach(stored, application)
    _commit_unique(_("This enterprise was registered at the same moment by another request."))
    return application


def correct_org_registration(application, actor, data, files):
    """The applicant changes a returned registration and resubmits it (seed 003 §11)."""
    if application.app_type != ORG_REGISTRATION or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status != AppStatus.RETURNED:
        raise DomainError(_("Only a returned application can be changed."))
    ent_type, name, legal_rep, district = _registration_fields(data)
    org = db.session.get(Organization, application.subject_id)
    if files:
        stored = uploads.save_many(files, label=str(_("Registration documents")))
        uploads.attach(stored, application)
    org.name, org.enterprise_type, org.legal_rep, org.region_code = name, ent_type, legal_rep, district.code
    org.org_type = OrgType.OWNERS_COMMITTEE if ent_type == "owners_committee" else OrgType.ENTERPRISE
    application.title, application.region_code = name, district.code
    workflow.transition(application, Action.RESUBMIT, actor)
    db.session.commit()
    return application


def _org_of(application):
    return db.session.get(Organization, application.subject_id)


def _notify_result(application, text):
    user = application.applicant
    if user is not None and user.mobile:
        sms.send_sms(user.mobile, "notice", text=text)


# The role an approved registration gives the organisation's account: a developer's files areas
# and houses, an owners committee's files itself and writes news, any other enterprise's
# administers the enterprise (staff, equipment, filings).
ADMIN_ROLE_BY_TYPE = {"developer": "dev_admin", "owners_committee": "committee"}


def admin_role_of(org):
    return ADMIN_ROLE_BY_TYPE.get(org.enterprise_type or "", "ent_admin")


def _org_approved(application, actor):
    org = _org_of(application)
    org.active, org.review_status, org.review_reason = True, "approved", None
    user = application.applicant
    user.roles = [r for r in user.roles if r.name != APPLICANT_ROLE] + [_role(admin_role_of(org))]
    _notify_result(application, _("Your organisation registration %(number)s was approved. "
                                  "Log in with the credit code.", number=application.number))


def _org_returned(application, actor):
    org = _org_of(application)
    org.review_status, org.review_reason = "returned", application.reason
    _notify_result(application, _("Your organisation registration %(number)s was returned: %(reason)s",
                                  number=application.number, reason=application.reason))


def _org_rejected(application, actor):
    org = _org_of(application)
    org.review_status, org.review_reason = "rejected", application.reason
    _notify_result(application, _("Your organisation registration %(number)s was not approved: %(reason)s",
                                  number=application.number, reason=application.reason))


def _org_resubmitted(application, actor):
    org = _org_of(application)
    if org is not None:
        org.review_status, org.review_reason = "pending", None


def _org_terminated(application, actor):
    org = _org_of(application)
    org.review_status = "terminated"


def _org_edit_url(application):
    from flask import url_for

    return url_for("RegistrationView.correct_org", pk=application.id)


# --- agency filing by government staff (seed 001 机构备案) -----------------------------------

def file_agency(actor, data):
    """Government staff file an agency; approval creates it and its admin account."""
    name = (data.get("name") or "").strip()
    if not (2 <= len(name) <= 128):
        raise _field_error(_("Agency name"), _("2 to 128 characters"))
    code = clean_credit_code(data.get("credit_code"))
    legal_rep = clean_name(data.get("legal_rep"), _("Legal representative"))
    contact = clean_name(data.get("contact_name"), _("Contact person"))
    mobile = clean_mobile(data.get("contact_mobile"))
    address = (data.get("address") or "").strip()
    if not (4 <= len(address) <= 255):
        raise _field_error(_("Business address"), _("4 to 255 characters"))
    district = db.session.get(Region, data.get("district_code") or "")
    if district is None or district.level != "district":
        raise _field_error(_("District"), _("please choose a district from the list"))
    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL, SCOPE_REGION

    scope = user_scope(actor)
    if scope.level == SCOPE_REGION and not district.code.startswith(scope.region_prefix or "-"):
        raise _field_error(_("District"), _("outside your region"))
    if scope.level not in (SCOPE_ALL, SCOPE_REGION):
        raise DomainError(_("Only government staff may file an agency."))
    if db.session.execute(select(Organization.id).where(Organization.credit_code == code)).first() \
            or current_app.appbuilder.sm.find_user(username=code):
        raise _field_error(_("Unified social credit code"), _("this organisation is already registered"))
    open_apps = db.session.execute(
        select(workflow.Application.id).where(workflow.Application.app_type == AGENCY_FILING,
                                              workflow.Application.status.notin_(AppStatus.FINAL))
        .where(workflow.Application.payload["credit_code"].as_string() == code)
    ).first()
    if open_apps:
        raise _field_error(_("Unified social credit code"), _("a filing for this agency is already under way"))
    payload = {"name": name, "credit_code": code, "legal_rep": legal_rep, "contact_name": contact,
               "contact_mobile": mobile, "address": address, "district_code": district.code}
    application = workflow.create(AGENCY_FILING, applicant=actor, title=name, org_id=actor.org_id,
                                  region_code=district.code, payload=payload, submit=True)
    db.session.commit()
    return application


def _agency_approved(application, actor):
    from app.system.services import finish_paths, set_tree_fields

    data = application.payload or {}
    code = data["credit_code"]
    if db.session.execute(select(Organization.id).where(Organization.credit_code == code)).first() \
            or current_app.appbuilder.sm.find_user(username=code):
        raise DomainError(_("An organisation with this credit code was registered meanwhile; "
                            "return the filing instead."))
    org = Organization(name=data["name"], org_type=OrgType.ENTERPRISE, enterprise_type="agency",
                       credit_code=code, region_code=data["district_code"], legal_rep=data["legal_rep"],
                       contact_name=data["contact_name"], contact_mobile=data["contact_mobile"],
                       address=data["address"], active=True, review_status="approved")
    db.session.add(org)
    set_tree_fields(org)
    db.session.flush()
    finish_paths([org])
    password = generate_password()
    mobile = data["contact_mobile"]
    if mobile_taken(mobile):
        mobile = None  # the contact's number already has an account; the SMS still goes out
    user = _new_user(code, data["name"], ["ent_admin"], mobile, password, org_id=org.id, must_change=True)
    application.subject_type, application.subject_id = "organization", org.id
    sms.send_sms(data["contact_mobile"], "one_time_password", username=code, password=password)
    # Shown once to the approving reviewer; never stored.
    g.one_time_password = (code, password)
    audit.record(AuditAction.CREATE, "AnjuUser", user.id,
                 summary=_("Agency admin account opened by filing %(number)s", number=application.number))


workflow.register_payload_labels({
    "name": _l("Name"), "credit_code": _l("Unified social credit code"),
    "legal_rep": _l("Legal representative"), "contact_name": _l("Contact person"),
    "contact_mobile": _l("Contact mobile"), "address": _l("Business address"),
    "district_code": _l("District"), "city_code": _l("Registration city"),
})
workflow.register_type(ApplicationType(
    code=ORG_REGISTRATION, label=_l("Organisation registration"), prefix="JG",
    on_approve=_org_approved, on_return=_org_returned, on_reject=_org_rejected,
    on_submit=_org_resubmitted, on_terminate=_org_terminated, edit_url=_org_edit_url,
))
workflow.register_type(ApplicationType(
    code=AGENCY_FILING, label=_l("Agency filing"), prefix="BA", on_approve=_agency_approved,
))


# --- real-name verification ------------------------------------------------------------------

class RegistryAdapter:
    """Default adapter: the reference registry that sysadmin imports."""

    name = "registry"

    def verify(self, name, id_type, id_number):
        row = db.session.execute(
            select(RealnameRegistry).where(RealnameRegistry.id_type == id_type,
                                           RealnameRegistry.id_number == id_number)
        ).scalars().first()
        if row is None:
            return False, _("No record of this ID number was found in the real-name registry.")
        if row.name.strip() != name.strip():
            return False, _("The name does not match the ID number.")
        return True, None


def get_adapter():
    spec = current_app.config.get("REALNAME_ADAPTER", "registry")
    if spec == "registry":
        return RegistryAdapter()
    import importlib

    module, _sep, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)()


def person_of(user):
    if user is None:
        return None
    return db.session.execute(select(Person).where(Person.user_id == user.id)).scalars().first()


def submit_realname(user, name, id_type, id_number):
    """Check name + ID with the adapter; record the result (已实名 / 未通过 with the reason)."""
    from app.system.params import get_param

    person = person_of(user)
    if person is None:
        raise DomainError(_("This account has no personal identity to verify."))
    if person.realname_status == RealnameStatus.VERIFIED:
        raise DomainError(_("This account is already verified."))
    name = clean_name(name, _("Real name"))
    id_number = clean_id(id_type, id_number)
    other = person_by_id(id_type, id_number)
    if other is not None and other.id != person.id:
        raise _field_error(_("ID number"), _("this ID number belongs to another account"))
    since = datetime.now() - timedelta(days=1)
    tries = db.session.execute(
        select(func.count(RealnameCheck.id)).where(RealnameCheck.person_id == person.id,
                                                   RealnameCheck.at >= since)
    ).scalar_one()
    if tries >= get_param("realname.daily_attempts"):
        raise DomainError(_("Too many verification attempts today; please try again tomorrow."))
    adapter = get_adapter()
    ok, reason = adapter.verify(name, id_type, id_number)
    person.name, person.id_type, person.id_number = name, id_type, id_number
    person.realname_status = RealnameStatus.VERIFIED if ok else RealnameStatus.FAILED
    person.realname_reason = None if ok else str(reason)[:255]
    person.realname_at = datetime.now()
    if ok:
        user.first_name = name[:64]
    db.session.add(RealnameCheck(person_id=person.id, adapter=adapter.name,
                                 result=person.realname_status, reason=person.realname_reason))
    _commit_unique(_("This ID number was bound to another account at the same moment."))
    return person


def is_realname_verified(user):
    person = person_of(user)
    return person is not None and person.realname_status == RealnameStatus.VERIFIED


def known_identity(user):
    """What a form may prefill for a signed-in person: the account's name and mobile, and for a
    real-name-verified person the verified name and ID number. Values to show the owner
    themselves (unmasked); the form's submission is checked as any other."""
    if user is None:
        return {}
    values = {"name": user.first_name or "", "mobile": getattr(user, "mobile", "") or ""}
    person = person_of(user)
    if person is not None and person.realname_status == RealnameStatus.VERIFIED:
        values.update(name=person.name, id_type=person.id_type, id_number=person.id_number,
                      mobile=values["mobile"] or person.mobile or "", verified=True)
    return values


# --- mobile ----------------------------------------------------------------------------------

def change_mobile(user, new_mobile, sms_code):
    new_mobile = clean_mobile(new_mobile)
    old = user.mobile
    if new_mobile == old:
        raise _field_error(_("New mobile"), _("this is already your mobile number"))
    if mobile_taken(new_mobile, except_user_id=user.id):
        raise _field_error(_("New mobile"), _("this mobile number is used by another account"))
    sms.verify_code(new_mobile, sms.SmsPurpose.CHANGE_MOBILE, sms_code)
    user.mobile = new_mobile
    if user.username == old:
        user.username = new_mobile
    person = person_of(user)
    if person is not None:
        person.mobile = new_mobile
    audit.record(AuditAction.UPDATE, "AnjuUser", user.id,
                 summary=_("Mobile changed from %(old)s to %(new)s", old=old or "-", new=new_mobile))
    if old:
        sms.send_sms(old, "mobile_changed", username=user.username)
    _commit_unique(_("This mobile number was taken at the same moment."))


# --- public enterprise lookup (seed 003 §4) --------------------------------------------------

# Further public facts a module adds to the enterprise lookup: fn(org) -> [(label, text, url or
# None), ...], nothing personal (the credit module adds the 信用等级 and red/black list status).
LOOKUP_EXTRAS = []


def lookup_enterprise(credit_code):
    """Whether an enterprise is registered and its review state; nothing personal."""
    code = clean_credit_code(credit_code)
    org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalars().first()
    if org is None or org.org_type not in (OrgType.ENTERPRISE, OrgType.OWNERS_COMMITTEE):
        return {"credit_code": code, "registered": False}
    extras = []
    if org.org_type == OrgType.ENTERPRISE and org.active:
        for fn in LOOKUP_EXTRAS:
            extras.extend(fn(org) or [])
    return {
        "credit_code": code, "registered": True, "name": org.name,
        "enterprise_type": str(ENTERPRISE_TYPES.get(org.enterprise_type, org.enterprise_type or "")),
        "region": org.region.full_name if org.region else "",
        "review_status": org.review_status, "review_label": review_label(org.review_status),
        "verified": org.review_status == "approved", "extras": extras,
    }


# --- enterprise sub-accounts (seed 003 §5, §17, §18) ------------------------------------------

STAFF_ROLES = ("project_lead", "ent_admin")

# Called with the Person when a staff account is opened or activated, and asked why a
# project-lead login cannot work; the property module registers both (staff records bound
# by ID number, seed 003 §5, §18), so accounts knows nothing about staff records.
STAFF_ACCOUNT_HOOKS = []
LEAD_RECORD_CHECKS = []
# The module that keeps staff records registers where 开立从业人员账号 may start from one:
# "candidates"(actor) -> [(id, label masked for the viewer)], and "record"(actor, id) ->
# {"name", "id_number", "mobile"} of a record in the actor's scope, or a DomainError.
STAFF_RECORD_SOURCE = {}


def staff_record_choices(actor):
    """The staff records an account may be opened for, as (id, label); empty without a source."""
    source = STAFF_RECORD_SOURCE.get("candidates")
    return source(actor) if source is not None else []


def open_staff_account(actor, name, id_number, mobile, role, staff_id=None):
    """An enterprise admin opens an account for a staff member, bound by ID number.

    With ``staff_id`` the name and ID number are the chosen staff record's (scoped: another
    enterprise's record is refused) and the mobile is the typed one, or else the record's."""
    from app.security.roles import grantable_roles

    if role not in STAFF_ROLES or role not in grantable_roles([r.name for r in actor.roles]):
        raise _field_error(_("Role"), _("you may not grant this role"))
    if not actor.org_id:
        raise DomainError(_("Your account is not bound to an enterprise."))
    if staff_id not in (None, ""):
        source = STAFF_RECORD_SOURCE.get("record")
        if source is None:
            raise DomainError(_("The staff record does not exist or is not of your enterprise."))
        record = source(actor, staff_id)
        name, id_number = record["name"], record["id_number"]
        mobile = (mobile or "").strip() or record["mobile"]
    name = clean_name(name)
    id_number = clean_id(IdType.RESIDENT, id_number)
    mobile = clean_mobile(mobile)
    existing = person_by_id(IdType.RESIDENT, id_number)
    if existing is not None:
        if existing.org_id == actor.org_id:
            raise _field_error(_("ID number"), _("this person already has an account in your enterprise"))
        raise _field_error(_("ID number"), _("this person already has an account of their own or of another "
                                             "enterprise; ask them to contact the helpdesk to move it"))
    if mobile_taken(mobile):
        raise _field_error(_("Mobile"), _("this mobile number is already used by another account"))
    user = _new_user(mobile, name, [role], mobile, org_id=actor.org_id, active=False,
                     password_hash=hash_password())
    person = Person(user_id=user.id, org_id=actor.org_id, name=name, id_type=IdType.RESIDENT,
                    id_number=id_number, mobile=mobile, activation=ActivationStatus.PENDING)
    db.session.add(person)
    db.session.flush()
    for hook in STAFF_ACCOUNT_HOOKS:
        hook(person)
    sms.send_sms(mobile, "account_opened", org=actor.org.name if actor.org else "", username=mobile)
    _commit_unique(_("An account with this ID number or mobile was opened at the same moment."))
    return user


def activate_staff_account(name, id_number, mobile, sms_code, password, confirm):
    """The staff member activates the account: every mismatch is said in actionable words."""
    name = clean_name(name)
    id_number = clean_id(IdType.RESIDENT, id_number)
    mobile = clean_mobile(mobile)
    clean_password(password, confirm)
    person = person_by_id(IdType.RESIDENT, id_number)
    if person is None or person.org_id is None:
        raise DomainError(_("No enterprise has opened an account for this ID number. Ask your enterprise's "
                            "administrator to add you under staff accounts first."))
    if person.activation == ActivationStatus.ACTIVE:
        raise DomainError(_("This account is already active; please log in."))
    org_name = person.org.name if person.org else ""
    if person.name != name:
        raise DomainError(_("The name does not match the staff record of %(org)s (recorded as %(name)s). "
                            "Check your name, or ask the enterprise administrator to correct the record.",
                            org=org_name, name=masking.mask("name", person.name)))
    if person.mobile != mobile:
        raise DomainError(_("The mobile number does not match the staff record of %(org)s (recorded as "
                            "%(mobile)s). Use that number, or ask the enterprise administrator to correct it.",
                            org=org_name, mobile=masking.mask("mobile", person.mobile)))
    hashed = hash_password(password)
    sms.verify_code(mobile, sms.SmsPurpose.ACTIVATE, sms_code)
    user = person.user
    user.password = hashed
    user.active = True
    user.must_change_password = False
    user.password_changed_at = datetime.now()
    person.activation = ActivationStatus.ACTIVE
    for hook in STAFF_ACCOUNT_HOOKS:
        hook(person)
    db.session.commit()
    return user


def staff_account_problem(user):
    """Why a staff account cannot work yet, in words the user can act on (or None). Asked on
    every request: only a project lead's account costs a look-up."""
    if not any(r.name == "project_lead" for r in user.roles):
        return None
    person = person_of(user)
    if person is None:
        return _("Your account has no staff record: ask your enterprise administrator to add you "
                 "with your ID number under staff accounts.")
    if person.realname_status != RealnameStatus.VERIFIED:
        return _("Your identity is not verified yet. Complete real-name verification first.")
    for check in LEAD_RECORD_CHECKS:
        problem = check(user)
        if problem:
            return problem
    return None


def id_type_choices():
    return [(code, str(label)) for code, label in ID_TYPE_LABELS.items()]


# --- the reference registry import -------------------------------------------------------------

def validate_registry_rows(rows):
    """Per-row identity checks (the engine checked types, lengths and in-file duplicates)."""
    errors = []
    for row in rows:
        row["id_type"] = row.get("id_type") or IdType.RESIDENT
        try:
            row["name"] = clean_name(row.get("name"))
        except DomainError as exc:
            errors.append((row["_row"], "name", str(exc)))
        try:
            row["id_number"] = clean_id(row["id_type"], row.get("id_number"))
        except DomainError as exc:
            errors.append((row["_row"], "id_number", str(exc)))
    return errors


def import_registry_rows(rows, source=None):
    """Insert new entries and refresh the names of known ones (the caller commits)."""
    from sqlalchemy import bindparam, insert, update

    table = RealnameRegistry.__table__
    by_type = {}
    for r in rows:
        by_type.setdefault(r["id_type"], []).append(r["id_number"])
    existing = {}
    for id_type, numbers in by_type.items():
        # (id_type, id_number) is the unique index: both columns, so the index serves the lookup.
        for i in range(0, len(numbers), 900):
            for row_id, number in db.session.execute(
                    select(table.c.id, table.c.id_number)
                    .where(table.c.id_type == id_type, table.c.id_number.in_(numbers[i:i + 900]))):
                existing[(id_type, number)] = row_id
    moment = datetime.now()
    new, changed = [], []
    for r in rows:
        key = (r["id_type"], r["id_number"])
        values = {"name": r["name"], "source": r.get("source") or source, "imported_at": moment}
        if key in existing:
            changed.append({"rid": existing[key], "b_name": values["name"], "b_source": values["source"],
                            "b_at": moment})
        else:
            new.append({"id_type": key[0], "id_number": key[1], **values})
    for i in range(0, len(new), 5000):
        db.session.execute(insert(table), new[i:i + 5000])
    if changed:
        db.session.execute(
            update(table).where(table.c.id == bindparam("rid"))
            .values(name=bindparam("b_name"), source=bindparam("b_source"), imported_at=bindparam("b_at")),
            changed)
    return len(rows)


# --- 快捷入口 on the home page (app/core/worklist.py) ----------------------------------------
# Organisation registrations waiting for review are counted with every business application
# type (app/system/services.py application_todos): one card per type, 机构注册 among them.

def register_worklist():
    from app.core import worklist

    sc = worklist.register_shortcut
    sc("accounts.helpdesk", _l("Helpdesk lookup"), "fa-headphones", endpoint="HelpdeskView.index",
       permission=("can_lookup", "HelpdeskView"), order=30)
    sc("accounts.staff_account", _l("Open staff account"), "fa-user-plus", endpoint="StaffAccountView.add",
       permission=("can_add", "StaffAccountView"), order=45)
    sc("accounts.agency_filing", _l("Agency filing"), "fa-file-text-o", endpoint="AgencyFilingView.add",
       permission=("can_add", "AgencyFilingView"), order=50)
    sc("accounts.persons", _l("Persons"), "fa-id-card", endpoint="PersonView.list",
       permission=("can_list", "PersonView"), order=55)
    sc("accounts.my", _l("My account"), "fa-user-circle", endpoint="MyAccountView.index", order=99)
