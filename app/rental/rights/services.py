"""用户维权 (seed 000 反馈意见 → 用户维权; SPEC §4/§8; issue 14): a complaint about a rental
enterprise or agency, filed through the complaints engine (app/complaints/services.py
:func:`file_request`: the complainant's fields, the SMS code, the number, the 5-day deadline,
the receipt SMS, the states and the evaluation are the engine's) and routed here:

* the enterprise complained about: the one chosen from the active rental enterprises and
  agencies (:func:`enterprise_choices`), or the one that signed the contract whose number the
  complainant gives;
* the district (and street) of the property: from the signed contract (合同编号) or the
  verified listing (房源识别码) when one is given, else the enterprise's own district.

The district's staff handle it (接收处理 / 完成处理 / 拒绝处理), the enterprise reads it and is
told by a notice, the street of the property reads it, the complainant follows it with the
number and the mobile. A wrong contract number or listing code counts against the network
address like the public contract check does (app/rental/public/services.py), and the lookup
runs only once the mobile is proven by its SMS code (so numbers cannot be tried out)."""
import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.complaints import services as complaints
from app.core.errors import DomainError
from app.extensions import db

#: Enterprise types a complaint may be about (dictionary enterprise_type).
RIGHTS_TYPES = ("rental_company", "agency")
MAX_SUBJECT = 32
MAX_CHOICES = 2000

ENTERPRISE_LABEL = _l("Enterprise complained about")
SUBJECT_LABEL = _l("Contract number or listing code")


def _field(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def _rights_enterprises(session):
    from app.system.models import Organization, OrgType

    return select(Organization).where(
        Organization.org_type == OrgType.ENTERPRISE, Organization.enterprise_type.in_(RIGHTS_TYPES),
        Organization.active.is_(True), Organization.review_status == "approved")


def enterprise_choices(search=None, session=None, limit=MAX_CHOICES):
    """The rental enterprises and agencies a complaint may name, by district and name; with
    ``search``, those whose name contains it. Returns [(id, name, district name)]."""
    from app.system.models import Organization, Region

    session = session or db.session
    query = _rights_enterprises(session)
    search = (search or "").strip()[:64]
    if search:
        query = query.where(Organization.name.contains(search))
    rows = session.execute(query.order_by(Organization.region_code, Organization.name).limit(limit)).scalars().all()
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({o.region_code for o in rows}))).all()) if rows else {}
    return [(o.id, o.name, names.get(o.region_code, "")) for o in rows]


def _enterprise(value, session):
    from app.system.models import Organization

    try:
        org_id = int(str(value).strip())
    except (TypeError, ValueError):
        org_id = None
    org = session.execute(_rights_enterprises(session).where(Organization.id == org_id)).scalars().first() \
        if org_id else None
    if org is None:
        raise _field(ENTERPRISE_LABEL, _("no rental enterprise or agency in operation matches your choice"))
    return org


def clean_subject(value):
    """合同编号 or 房源识别码 as stored: no spaces, upper case; '' when not given."""
    number = re.sub(r"\s+", "", str(value or "")).upper()
    if len(number) > MAX_SUBJECT:
        raise _field(SUBJECT_LABEL, _("at most %(n)s characters", n=MAX_SUBJECT))
    return number


def check(data, ip=None, moment=None, session=None):
    """The complaint's own fields, before the SMS code is spent: (enterprise or None, number)."""
    from app.rental.public import services as public

    session = session or db.session
    number = clean_subject(data.get("subject_number"))
    chosen = str(data.get("enterprise") or "").strip()
    if not chosen and not number:
        raise _field(ENTERPRISE_LABEL, _("please choose the rental enterprise or agency, or enter the contract "
                                         "number or listing code"))
    enterprise = _enterprise(chosen, session) if chosen else None
    if number:
        # An address that guessed too many numbers here or on the contract check is refused.
        public.check_guard(ip, moment or datetime.now(), session)
    return enterprise, number


def _district_of(code, session):
    """(district, street) of a region code: a district's own code, or a street's district."""
    from app.system.models import Region

    region = session.get(Region, code) if code else None
    if region is None:
        return None, None
    if region.level == "district":
        return region.code, None
    if region.level == "street" and region.parent_code:
        return region.parent_code, region.code
    return None, None


def _routing(enterprise, district_code, street_code, number):
    return complaints.Routing(kind=complaints.Kind.RENTAL, org_id=enterprise.id, district_code=district_code,
                              street_code=street_code, region_code=street_code or district_code,
                              subject_number=number or None)


def _wrong_number(enterprise, ip, moment, session):
    from app.rental.public import services as public

    public._count_wrong_guess(ip, moment, session)   # the same per-address count as 合同验证
    if enterprise is not None:
        return _field(SUBJECT_LABEL, _("%(name)s has no signed contract with this number, and no verified listing "
                                       "has this code", name=enterprise.name))
    return _field(SUBJECT_LABEL, _("no signed contract or verified listing has this number"))


def route(enterprise, number, ip=None, moment=None, session=None):
    """Where the complaint goes (a complaints.Routing); called once the mobile is proven."""
    from app.rental.contracts.models import RentalContract
    from app.rental.public.services import CHECKABLE
    from app.rental.verification import services as verifications

    session = session or db.session
    moment = moment or datetime.now()
    if number:
        contract = session.execute(select(RentalContract).where(
            RentalContract.number == number, RentalContract.status.in_(CHECKABLE))).scalars().first()
        if contract is not None and (enterprise is None or contract.org_id == enterprise.id):
            district, street = _district_of(contract.street_code or contract.region_code, session)
            if enterprise is None:
                enterprise = contract.org
                if enterprise is None:
                    raise _field(ENTERPRISE_LABEL, _("please choose the rental enterprise or agency you complain "
                                                     "about"))
            if district is not None:
                return _routing(enterprise, district, street, number)
            return _by_enterprise(enterprise, number, session)
        verification = verifications.by_code(number, session)
        if verification is None or verification.code is None:
            raise _wrong_number(enterprise, ip, moment, session)
        if enterprise is None:
            made_by = verification.org
            if made_by is None or made_by.enterprise_type not in RIGHTS_TYPES:
                raise _field(ENTERPRISE_LABEL, _("this listing code was not verified by a rental enterprise or "
                                                 "agency; please choose the enterprise you complain about"))
            enterprise = made_by
        district, street = _district_of(verification.street_code or verification.region_code, session)
        if district is not None:
            return _routing(enterprise, district, street, number)
    return _by_enterprise(enterprise, number, session)


def _by_enterprise(enterprise, number, session):
    district, street = _district_of(enterprise.region_code, session)
    if district is None:
        raise DomainError(_("%(name)s has no district on record; please enter the contract number or listing "
                            "code of the property.", name=enterprise.name))
    return _routing(enterprise, district, street, number)


def submit(data, files=(), user=None, ip=None, moment=None):
    """File a 用户维权 complaint (the engine's rules, this module's routing). Commits; returns
    the complaint."""
    chosen = {}

    def precheck():
        chosen["enterprise"], chosen["number"] = check(data, ip, moment)

    return complaints.file_request(
        lambda: route(chosen["enterprise"], chosen["number"], ip, moment), data, files, user=user, moment=moment,
        check=precheck)
