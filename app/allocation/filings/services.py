"""信息填报 (seed 002 §4): an applicant's household details for a plan, checked field by field.

* Only real-name users file (seed 002 §3.3: 非实名注册用户无法进行…信息填报与登记).
* One filing per applicant and plan; the first filing for a new plan starts from the
  applicant's latest one, files included (seed 002 注).
* A filing can be changed until the applicant registers; after that only cancelling the
  registration unlocks it (seed 002 §6.2).
"""
import os
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.allocation import clock
from app.allocation.filings.models import (ApplicantFiling, FamilyMember, HousingStatus, HukouType, MaritalStatus,
                                           Relation)
from app.allocation.plans.models import PlanStatus
from app.core import uploads
from app.core.errors import DomainError
from app.extensions import db

DOCUMENT_LABEL = "证件证明"
FIELDS = ("mobile", "address", "marital_status", "hukou_type", "hukou_district", "employer",
          "social_security_months", "annual_income", "housing_status", "owned_area", "current_residence",
          "birth_date")
MEMBER_FIELDS = ("name", "id_type", "id_number", "relation", "birth_date", "employer", "annual_income")
MAX_INCOME = Decimal("100000000")


def _err(field, message):
    return DomainError(_("%(field)s: %(message)s", field=field, message=message))


def _member_err(index, field, message):
    return DomainError(_("Family member %(n)s, %(field)s: %(message)s", n=index, field=field, message=message))


def person_or_refuse(user):
    """The real-name-verified person behind ``user``, or the seed's refusal (去实名)."""
    from app.accounts import services as accounts

    person = accounts.person_of(user)
    if person is None or not accounts.is_realname_verified(user):
        raise DomainError(_("Please complete real-name verification before filing or registering."))
    return person


def filing_of(user, plan, session=None):
    session = session or db.session
    return session.execute(select(ApplicantFiling).where(
        ApplicantFiling.user_id == user.id, ApplicantFiling.plan_id == plan.id)).scalar_one_or_none()


def latest_filing(user, exclude_plan_id=None, session=None):
    session = session or db.session
    stmt = select(ApplicantFiling).where(ApplicantFiling.user_id == user.id)
    if exclude_plan_id is not None:
        stmt = stmt.where(ApplicantFiling.plan_id != exclude_plan_id)
    return session.execute(stmt.order_by(ApplicantFiling.changed_on.desc(), ApplicantFiling.id.desc())
                           .limit(1)).scalar_one_or_none()


def as_dict(filing):
    """A filing's values (for a form or a snapshot); dates and amounts as text."""
    out = {k: getattr(filing, k) for k in ("name", "id_type", "id_number", *FIELDS)}
    for k in ("annual_income", "owned_area"):
        out[k] = None if out[k] is None else str(out[k])
    out["birth_date"] = out["birth_date"].isoformat() if out["birth_date"] else None
    out["members"] = [{
        "name": m.name, "id_type": m.id_type, "id_number": m.id_number, "relation": m.relation,
        "birth_date": m.birth_date.isoformat() if m.birth_date else None, "employer": m.employer,
        "annual_income": None if m.annual_income is None else str(m.annual_income),
    } for m in filing.members]
    return out


def prefill(user, plan):
    """What the filing form shows: this plan's filing, else a copy of the latest one, else the
    verified identity. ``source`` says which ("own", "previous", "new")."""
    own = filing_of(user, plan)
    if own is not None:
        return as_dict(own), "own"
    previous = latest_filing(user, exclude_plan_id=plan.id)
    person = person_or_refuse(user)
    if previous is not None:
        values = as_dict(previous)
        source = "previous"
    else:
        values = {k: None for k in FIELDS}
        values["members"] = []
        values["mobile"] = getattr(user, "mobile", None) or person.mobile
        source = "new"
    values.update(name=person.name, id_type=person.id_type, id_number=person.id_number)
    return values, source


def locked(user, plan, session=None):
    """True while the applicant holds an active registration of the plan."""
    from app.allocation.registrations.models import Registration

    session = session or db.session
    return session.execute(select(Registration.id).where(
        Registration.plan_id == plan.id, Registration.active_user_id == user.id)).first() is not None


def check_plan_accepts_filings(plan, moment=None):
    from app.allocation.plans import services as plans

    moment = moment or clock.now()
    if plan.status not in (PlanStatus.PUBLISHED, PlanStatus.OPEN) or plans.window_state(plan, moment) == "after":
        raise DomainError(_("This plan no longer accepts filings: its registration has ended."))


# --- field checks -----------------------------------------------------------------------------

def _text(value, field, required=True, limit=255):
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        if required:
            raise _err(field, _("is required"))
        return None
    if len(text) > limit:
        raise _err(field, _("at most %(n)s characters", n=limit))
    return text


def _choice(value, choices, field):
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not value:
        raise _err(field, _("is required"))
    if value not in choices:
        raise _err(field, _("please choose one of the listed options"))
    return value


def _amount(value, field, required=True, allow_zero=True):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _err(field, _("is required"))
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise _err(field, _("must be an amount such as 36000 or 36000.50"))
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise _err(field, _("must be a positive amount") if not allow_zero else _("cannot be negative"))
    if amount >= MAX_INCOME:
        raise _err(field, _("is too large"))
    if amount != amount.quantize(Decimal("0.01")):
        raise _err(field, _("at most 2 decimal places"))
    return amount.quantize(Decimal("0.01"))


def _int(value, field, low, high):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _err(field, _("is required"))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _err(field, _("must be a whole number"))
    if number < low or number > high:
        raise _err(field, _("must be between %(low)s and %(high)s", low=low, high=high))
    return number


def _date(value, field, required=True):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _err(field, _("is required"))
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise _err(field, _("must be a date such as 1990-05-01"))
    if day > date.today() or day.year < 1900:
        raise _err(field, _("is not a possible date of birth"))
    return day


def _district(value, field):
    from app.system.models import Region, RegionLevel

    code = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not code:
        raise _err(field, _("is required"))
    region = db.session.get(Region, code)
    if region is None or region.level != RegionLevel.DISTRICT:
        raise _err(field, _("please choose a district from the list"))
    return code


def _birth_from_id(id_type, number):
    from app.accounts.models import IdType
    from app.core.validators import check_resident_id

    if id_type == IdType.RESIDENT:
        return check_resident_id(number).birth_date
    return None


def clean(data, members, person):
    """Check a filing's fields and members; return (values, member dicts) or raise the first
    problem in Chinese, naming the field (and the member)."""
    from app.accounts import services as accounts
    from app.accounts.models import IdType
    from app.system.params import get_param

    data = data or {}
    v = {}
    v["mobile"] = accounts.clean_mobile(data.get("mobile"))
    v["address"] = _text(data.get("address"), _("Mailing address"))
    v["marital_status"] = _choice(data.get("marital_status"), MaritalStatus.ALL, _("Marital status"))
    v["hukou_type"] = _choice(data.get("hukou_type"), HukouType.ALL, _("Household registration"))
    v["hukou_district"] = _district(data.get("hukou_district"),
                                    _("District of household registration or residence permit"))
    v["employer"] = _text(data.get("employer"), _("Employer"), required=False, limit=128)
    v["social_security_months"] = _int(data.get("social_security_months"),
                                       _("Months of social insurance paid in the city"), 0, 720)
    v["annual_income"] = _amount(data.get("annual_income"), _("Household annual income (yuan)"))
    v["housing_status"] = _choice(data.get("housing_status"), HousingStatus.ALL, _("Housing situation"))
    v["owned_area"] = _amount(data.get("owned_area"), _("Area of homes owned in the city (㎡)"),
                              required=v["housing_status"] == HousingStatus.OWNS,
                              allow_zero=v["housing_status"] != HousingStatus.OWNS)
    if v["housing_status"] == HousingStatus.NONE:
        v["owned_area"] = None
    v["current_residence"] = _text(data.get("current_residence"), _("Current residence"), required=False)
    birth = _birth_from_id(person.id_type, person.id_number)
    v["birth_date"] = birth or _date(data.get("birth_date"), _("Date of birth"))

    members = list(members or [])
    limit = get_param("allocation.max_family_members")
    if len(members) > limit:
        raise DomainError(_("At most %(n)s family members may be listed.", n=limit))
    seen = {(person.id_type, person.id_number)}
    cleaned = []
    spouses = 0
    for index, raw in enumerate(members, start=1):
        raw = raw or {}
        try:
            name = accounts.clean_name(raw.get("name"), _("Name"))
            id_type = (raw.get("id_type") or IdType.RESIDENT).strip()
            number = accounts.clean_id(id_type, raw.get("id_number"))
        except DomainError as exc:
            raise DomainError(_("Family member %(n)s, %(error)s", n=index, error=str(exc)))
        if (id_type, number) in seen:
            raise _member_err(index, _("ID number"), _("is listed twice (or is the applicant's own)"))
        seen.add((id_type, number))
        relation = (raw.get("relation") or "").strip()
        if relation not in Relation.ALL:
            raise _member_err(index, _("Relation to the applicant"), _("please choose one of the listed options"))
        m_birth = _birth_from_id(id_type, number)
        if m_birth is None:
            try:
                m_birth = _date(raw.get("birth_date"), _("Date of birth"))
            except DomainError:
                raise _member_err(index, _("Date of birth"), _("is required for this ID type, as 1990-05-01"))
        if relation == Relation.SPOUSE:
            spouses += 1
            if spouses > 1:
                raise _member_err(index, _("Relation to the applicant"), _("only one spouse may be listed"))
            if v["marital_status"] != MaritalStatus.MARRIED:
                raise _member_err(index, _("Relation to the applicant"),
                                  _("a spouse is listed but the marital status is not married"))
        if relation == Relation.CHILD and v["birth_date"] and m_birth <= v["birth_date"]:
            raise _member_err(index, _("Relation to the applicant"), _("a child must be younger than the applicant"))
        if relation == Relation.PARENT and v["birth_date"] and m_birth >= v["birth_date"]:
            raise _member_err(index, _("Relation to the applicant"), _("a parent must be older than the applicant"))
        try:
            income = _amount(raw.get("annual_income"), _("Annual income (yuan)"), required=False)
            employer = _text(raw.get("employer"), _("Employer"), required=False, limit=128)
        except DomainError as exc:
            raise DomainError(_("Family member %(n)s, %(error)s", n=index, error=str(exc)))
        cleaned.append({"name": name, "id_type": id_type, "id_number": number, "relation": relation,
                        "birth_date": m_birth, "employer": employer, "annual_income": income})
    if v["marital_status"] == MaritalStatus.MARRIED and spouses == 0:
        raise DomainError(_("Family members: a married applicant lists the spouse as a family member."))
    return v, cleaned


def save(user, plan, data, members, files=None, moment=None):
    """Create or change the applicant's filing for ``plan`` (flushed, not committed).

    ``files``: new 证件证明 uploads (FileStorage or (name, bytes)); on the first filing for a plan
    the previous filing's files are copied. Raises DomainError for every refusal."""
    person = person_or_refuse(user)
    check_plan_accepts_filings(plan, moment)
    if locked(user, plan):
        raise DomainError(_("You have registered for this plan: cancel the registration before changing the filing."))
    values, cleaned = clean(data, members, person)
    filing = filing_of(user, plan)
    first = filing is None
    if first:
        filing = ApplicantFiling(plan_id=plan.id, user_id=user.id)
        db.session.add(filing)
    filing.region_code = plan.region_code
    filing.name, filing.id_type, filing.id_number = person.name, person.id_type, person.id_number
    for key, value in values.items():
        setattr(filing, key, value)
    filing.submitted_at = clock.now()
    filing.members.clear()
    db.session.flush()
    for m in cleaned:
        filing.members.append(FamilyMember(user_id=user.id, **m))
    db.session.flush()
    new_files = [f for f in (files or []) if not uploads._nothing_chosen(f)]
    if new_files:
        uploads.save_many(new_files, label=DOCUMENT_LABEL, owner=filing, user=user)
    if first:
        previous = latest_filing(user, exclude_plan_id=plan.id)
        if previous is not None:
            copy_files(previous, filing, user)
    if not uploads.files_of(filing, DOCUMENT_LABEL):
        raise _err(_("ID and certificate documents"), _("upload at least one file"))
    db.session.flush()
    return filing


def copy_files(source, target, user):
    """Copy a previous filing's documents to a new filing (each file stored again: a filing's
    files stay its own when the old one is deleted)."""
    for upload in uploads.files_of(source, DOCUMENT_LABEL):
        path = uploads.path_of(upload)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as fh:
            uploads.save((upload.original_name, fh.read()), label=DOCUMENT_LABEL, owner=target, user=user)


def remove_file(user, plan, token):
    """Take one document off the applicant's filing (while it may still change)."""
    filing = filing_of(user, plan)
    if filing is None:
        raise DomainError(_("There is no filing to change."))
    if locked(user, plan):
        raise DomainError(_("You have registered for this plan: cancel the registration before changing the filing."))
    for upload in uploads.files_of(filing, DOCUMENT_LABEL):
        if upload.token == token:
            uploads.remove(upload)
            return
    raise DomainError(_("That file is not part of your filing."))
