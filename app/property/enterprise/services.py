"""企业信息备案 and 企业信息详情 (seed 004; SPEC §2 business applications, §7).

Enterprise information filing is a business application of type ``enterprise_filing``
(app/core/workflow.py): an enterprise administrator files (已提交), a reviewer accepts
(已受理) and approves, returns with a reason or refuses; a returned filing is amended
in the same form and resubmitted, or terminated. Approval copies the payload into the
enterprise's :class:`EnterpriseProfile` inside the transition.

Local and non-local (外地) enterprises fill different fields: :data:`FIELDS` declares
every field once (label, kind, limits), :data:`LOCAL_REQUIRED` and
:data:`NONLOCAL_REQUIRED` which of them each kind of enterprise must fill. Forms, the
REST API, the reviewer's page and the detail page all read these declarations.

The enterprise detail page (:func:`enterprise_detail`) is a set of SQL aggregates over
staff, certificates, equipment and areas, each inside the viewer's data scope
(app/core/scope.py); which enterprises a user may open at all is :func:`enterprise_clause`.

Awards and penalties (奖励和处罚) are entered by government staff: :func:`check_honor`.

Every function takes the acting user and raises DomainError with a Chinese message.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import notices, uploads, workflow
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import can_see, scope_clause
from app.core.validators import ValidationError, check_mobile
from app.core.workflow import Action, Application, AppStatus, ApplicationType
from app.extensions import db
from app.property.models import (
    EnterpriseProfile,
    HonorKind,
    )
from app.system.models import Organization, OrgType

ENTERPRISE_FILING = "enterprise_filing"

#: A filing in one of these states blocks another (草稿, 已提交, 已受理, 已退回).
OPEN_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)

FILES_LABEL = _l("Enterprise filing documents")


# --- the fields, declared once ------------------------------------------------------------

@dataclass(frozen=True)
class FilingField:
    key: str
    label: object
    kind: str = "text"          # text | name | mobile | money | date | count | longtext
    max_len: int = 255
    help: object = None


IS_LOCAL_LABEL = _l("Local enterprise?")

FIELDS = [
    FilingField("legal_rep", _l("Legal representative"), "name", 64),
    FilingField("legal_rep_mobile", _l("Legal representative's mobile"), "mobile", 20),
    FilingField("contact_name", _l("Contact person"), "name", 64),
    FilingField("contact_mobile", _l("Contact mobile"), "mobile", 20),
    FilingField("registered_capital", _l("Registered capital (10,000 yuan)"), "money", 20,
                help=_l("In units of 10,000 yuan, e.g. 500 or 120.5")),
    FilingField("established_on", _l("Date of establishment"), "date", 10, help=_l("For example 2015-06-30")),
    FilingField("registered_address", _l("Registered address"), "text", 255),
    FilingField("office_address", _l("Office address"), "text", 255),
    FilingField("business_scope", _l("Business scope"), "longtext", 2000),
    FilingField("staff_total", _l("Total number of employees"), "count", 10),
    # Non-local (外地) enterprises only.
    FilingField("home_region", _l("Place of registration"), "text", 128,
                help=_l("Where the enterprise is registered, e.g. 四川省成都市")),
    FilingField("branch_name", _l("Name of the local branch"), "text", 128),
    FilingField("branch_manager", _l("Local manager"), "name", 64),
    FilingField("branch_manager_mobile", _l("Local manager's mobile"), "mobile", 20),
    FilingField("branch_address", _l("Local office address"), "text", 255),
    FilingField("entered_on", _l("Date of entering the city"), "date", 10, help=_l("For example 2015-06-30")),
]
FIELD_BY_KEY = {f.key: f for f in FIELDS}

COMMON_KEYS = ("legal_rep", "legal_rep_mobile", "contact_name", "contact_mobile", "registered_capital",
               "established_on", "registered_address", "office_address", "business_scope", "staff_total")
NONLOCAL_KEYS = ("home_region", "branch_name", "branch_manager", "branch_manager_mobile", "branch_address",
                 "entered_on")
COMMON_REQUIRED = ("legal_rep", "contact_name", "contact_mobile")
LOCAL_REQUIRED = COMMON_REQUIRED + ("registered_capital", "established_on", "registered_address",
                                    "office_address", "business_scope")
NONLOCAL_REQUIRED = COMMON_REQUIRED + NONLOCAL_KEYS

#: Payload keys holding personal data, and how they are masked for users without the PII permission.
# The personal fields of a filing (the enterprise profile declares the same, see models).
MASKED_KEYS = {"legal_rep": "name", "legal_rep_mobile": "mobile", "contact_mobile": "mobile",
               "branch_manager_mobile": "mobile", "contact_name": "name", "branch_manager": "name"}

MAX_CAPITAL = Decimal("999999999999.99")
MAX_STAFF = 10_000_000
_NAME_RE = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\- ]{2,30}$")


def required_keys(is_local):
    return LOCAL_REQUIRED if is_local else NONLOCAL_REQUIRED


def _field_error(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def parse_is_local(value):
    """'yes'/'no' (forms), true/false (JSON), '1'/'0'; None when not chosen or unknown."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("yes", "y", "true", "1", "local"):
        return True
    if text in ("no", "n", "false", "0", "nonlocal", "non_local"):
        return False
    return None


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return str(value).strip()


def _clean_value(f, raw):
    """One field's value, checked and normalised (JSON-safe); None when empty."""
    if f.kind in ("money", "count") and isinstance(raw, bool):
        raise _field_error(f.label, _("a number is expected"))
    text = _text(raw)
    if not text:
        return None
    if f.kind == "mobile":
        try:
            return check_mobile(text)
        except ValidationError as exc:
            raise _field_error(f.label, str(exc))
    if f.kind == "money":
        folded = unicodedata.normalize("NFKC", text).replace(",", "")
        try:
            amount = Decimal(folded)
        except InvalidOperation:
            raise _field_error(f.label, _("a positive amount with at most two decimals"))
        if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
            raise _field_error(f.label, _("a positive amount with at most two decimals"))
        if amount > MAX_CAPITAL:
            raise _field_error(f.label, _("the amount is too large"))
        return str(amount.quantize(Decimal("0.01")))
    if f.kind == "count":
        folded = unicodedata.normalize("NFKC", text)
        if isinstance(raw, float) and raw.is_integer():
            folded = str(int(raw))
        if not re.fullmatch(r"\d+", folded):
            raise _field_error(f.label, _("a whole number of 0 or more"))
        number = int(folded)
        if number > MAX_STAFF:
            raise _field_error(f.label, _("the number is too large"))
        return number
    if f.kind == "date":
        folded = unicodedata.normalize("NFKC", text).replace("/", "-").replace(".", "-")
        try:
            day = datetime.strptime(folded, "%Y-%m-%d").date()
        except ValueError:
            raise _field_error(f.label, _("a date such as 2015-06-30"))
        if day > date.today():
            raise _field_error(f.label, _("cannot be later than today"))
        if day.year < 1900:
            raise _field_error(f.label, _("a date such as 2015-06-30"))
        return day.isoformat()
    if len(text) > f.max_len:
        raise _field_error(f.label, _("at most %(n)s characters", n=f.max_len))
    if f.kind == "name" and not _NAME_RE.match(text):
        raise _field_error(f.label, _("2 to 30 Chinese characters or letters"))
    return text


def clean_filing(data):
    """Check a filing's fields (a form or a JSON object); return the payload.

    The first broken rule raises DomainError naming the field, in form order."""
    data = data or {}
    is_local = parse_is_local(data.get("is_local"))
    if is_local is None:
        raise _field_error(IS_LOCAL_LABEL, _("please choose yes or no"))
    needed = required_keys(is_local)
    keys = COMMON_KEYS + (() if is_local else NONLOCAL_KEYS)
    payload = {"is_local": is_local}
    for key in keys:
        f = FIELD_BY_KEY[key]
        value = _clean_value(f, data.get(key))
        if value is None and key in needed:
            raise _field_error(f.label, _("is required"))
        payload[key] = value
    if is_local:
        for key in NONLOCAL_KEYS:
            payload[key] = None
    elif payload.get("entered_on") and payload.get("established_on") \
            and payload["entered_on"] < payload["established_on"]:
        raise _field_error(FIELD_BY_KEY["entered_on"].label, _("cannot be earlier than the date of establishment"))
    return payload


def form_values(payload):
    """A payload (or profile values) as the strings a form shows."""
    values = {}
    for key, value in (payload or {}).items():
        if key == "is_local":
            values[key] = "yes" if value else "no"
        elif value is not None:
            values[key] = str(value)
    return values


# --- who may file -------------------------------------------------------------------------

def enterprise_of(actor):
    """The enterprise an administrator files for; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Only the administrators of an enterprise may file its information."))
    return org


def filings_of(org_id, session=None):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == ENTERPRISE_FILING, Application.org_id == org_id)
        .order_by(Application.id.desc())
    ).scalars().all()


def open_filing(org_id, session=None):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == ENTERPRISE_FILING, Application.org_id == org_id,
                                  Application.status.in_(OPEN_STATUSES))
        .order_by(Application.id.desc()).limit(1)
    ).scalars().first()


class OpenFilingError(DomainError):
    """A filing is already in progress: the message names it; ``application`` is it."""

    def __init__(self, application):
        super().__init__(_("An enterprise information filing (%(number)s, %(status)s) is already in progress; "
                           "wait for its result, or change and resubmit it if it was returned.",
                           number=application.number, status=application.status_label))
        self.application = application


def filing_for(actor, pk, session=None):
    """One enterprise filing inside the actor's data scope, else None."""
    session = session or db.session
    stmt = select(Application).where(Application.id == pk, Application.app_type == ENTERPRISE_FILING)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


def initial_values(org):
    """What the filing form starts with: the filed profile, else the organisation's record."""
    profile = profile_of(org.id)
    if profile is not None:
        return form_values(profile_payload(profile))
    values = {"legal_rep": org.legal_rep, "contact_name": org.contact_name,
              "contact_mobile": org.contact_mobile, "registered_address": org.address,
              "office_address": org.address}
    values = {k: v for k, v in values.items() if v}
    local = is_local_by_registration(org)
    if local is not None:
        values["is_local"] = "yes" if local else "no"
        values["is_local_from"] = "registration"
    return values


def _city_of(region):
    """The city a region lies in (walking up the tree), or None."""
    node, steps = region, 0
    while node is not None and steps < 6:
        if node.level == "city":
            return node
        node, steps = node.parent, steps + 1
    return None


def is_local_by_registration(org):
    """是否本地企业 as the registration tells it, or None when it cannot: the unified social
    credit code names the registering authority's area (characters 3-8, GB/T 2260); the
    enterprise is local when that area lies in the city it registered under in the console."""
    code = (org.credit_code or "").strip().upper()
    city = _city_of(org.region) if org.region_code else None
    if len(code) != 18 or not code[2:8].isdigit() or code[2:8] == "000000" or city is None:
        return None
    # A municipality (北京 110000, 重庆 500000) is one city at the province level: compare the
    # province digits; any other city by its first four digits.
    width = 2 if city.code.endswith("0000") else 4
    return code[2:2 + width] == city.code[:width]


def _title(org, payload):
    if payload["is_local"]:
        return _("%(name)s (local enterprise)", name=org.name)
    return _("%(name)s (non-local enterprise)", name=org.name)


def _store_files(files):
    files = [f for f in (files or []) if f]
    if not files:
        return []
    return uploads.save_many(files, label=str(FILES_LABEL))


def file_enterprise(actor, data, files=None):
    """File the enterprise's information (企业信息备案): a new application, submitted."""
    org = enterprise_of(actor)
    # One filing at a time per enterprise: lock the enterprise's row (PostgreSQL) so two
    # concurrent submissions queue here and the second one sees the first.
    db.session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
    existing = open_filing(org.id)
    if existing is not None:
        raise OpenFilingError(existing)
    payload = clean_filing(data)
    stored = _store_files(files)
    application = workflow.create(
        ENTERPRISE_FILING, applicant=actor, title=_title(org, payload), org_id=org.id,
        region_code=org.region_code, payload=payload, subject=("organization", org.id), submit=True,
    )
    if stored:
        uploads.attach(stored, application)
    db.session.commit()
    return application


def amend_filing(application, actor, data, files=None):
    """The applicant changes a returned filing and resubmits it (seed 003 §11)."""
    if application.app_type != ENTERPRISE_FILING or actor is None or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status != AppStatus.RETURNED:
        raise DomainError(_("Only a returned application can be changed."))
    org = db.session.get(Organization, application.org_id)
    payload = clean_filing(data)
    stored = _store_files(files)
    application.payload = payload
    application.title = _title(org, payload)[:200]
    if stored:
        uploads.attach(stored, application)
    workflow.transition(application, Action.RESUBMIT, actor)
    db.session.commit()
    return application


def transition_filing(application, action, actor, reason=None):
    """Any other step (accept / approve / return / reject by a reviewer, terminate by the applicant)."""
    if application.app_type != ENTERPRISE_FILING:
        raise DomainError(_("This is not an enterprise information filing."))
    workflow.transition(application, action, actor, reason)
    db.session.commit()
    return application


# --- hooks (inside the transition) --------------------------------------------------------------

def profile_of(org_id, session=None):
    session = session or db.session
    return session.execute(select(EnterpriseProfile).where(EnterpriseProfile.org_id == org_id)).scalars().first()


def profile_payload(profile):
    """A profile as a payload (the same keys as a filing)."""
    out = {"is_local": bool(profile.is_local)}
    for f in FIELDS:
        value = getattr(profile, f.key)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value.quantize(Decimal("0.01")))
        out[f.key] = value
    return out


def _to_column(f, value):
    if value is None or value == "":
        return None
    if f.kind == "date":
        return date.fromisoformat(str(value))
    if f.kind == "money":
        return Decimal(str(value))
    if f.kind == "count":
        return int(value)
    return value


def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # pragma: no cover - endpoint not registered (e.g. a job context)
        return None


def _approved(application, actor):
    data = application.payload or {}
    profile = profile_of(application.org_id)
    if profile is None:
        profile = EnterpriseProfile(org_id=application.org_id)
        db.session.add(profile)
    profile.is_local = bool(data.get("is_local"))
    for f in FIELDS:
        setattr(profile, f.key, _to_column(f, data.get(f.key)))
    profile.filed_at = now()
    profile.application_id = application.id
    notices.notify(application.org_id, _("Enterprise information filing %(number)s was approved.",
                                         number=application.number),
                   link=_link("EnterpriseDetailView.show", org_id=application.org_id),
                   source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("Enterprise information filing %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("EnterpriseFilingView.show", pk=application.id), source=("application", application.id))


def _rejected(application, actor):
    notices.notify(application.org_id, _("Enterprise information filing %(number)s was not approved: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("EnterpriseFilingView.show", pk=application.id), source=("application", application.id))


def _edit_url(application):
    return url_for("EnterpriseFilingView.amend", pk=application.id)


# Mobiles and ID numbers are masked on the page by documents.mask_kind_of, whatever their key.
workflow.register_payload_labels({
    "legal_rep_mobile": _l("Legal representative's mobile"),
    "branch_manager_mobile": _l("Local manager's mobile"),
    "registered_capital": _l("Registered capital (10,000 yuan)"), "established_on": _l("Date of establishment"),
    "registered_address": _l("Registered address"), "office_address": _l("Office address"),
    "business_scope": _l("Business scope"), "staff_total": _l("Total number of employees"),
    "home_region": _l("Place of registration"), "branch_name": _l("Name of the local branch"),
    "branch_manager": _l("Local manager"), "branch_address": _l("Local office address"),
    "entered_on": _l("Date of entering the city"),
})
workflow.register_type(ApplicationType(
    code=ENTERPRISE_FILING, label=_l("Enterprise information filing"), prefix="QB",
    decider_roles=("gov_reviewer",), on_approve=_approved, on_return=_returned, on_reject=_rejected,
    edit_url=_edit_url,
))


def mask_payload(payload, full):
    """A copy of a payload with personal data masked unless ``full``."""
    from app.core import masking

    if not payload:
        return payload
    out = dict(payload)
    if full:
        return out
    for key, kind in MASKED_KEYS.items():
        if out.get(key):
            out[key] = masking.mask(kind, out[key])
    return out


# --- awards and penalties --------------------------------------------------------------------

HONOR_KIND_LABELS = {HonorKind.AWARD: _l("Award"), HonorKind.PENALTY: _l("Penalty")}
HONOR_LABELS = {
    "org": _l("Enterprise"), "kind": _l("Category"), "title": _l("Name of the award or penalty"),
    "issuer": _l("Decided by"), "decided_on": _l("Decision date"), "doc_number": _l("Document number"),
    "description": _l("Explanation"),
}


def honor_kind_label(code):
    return str(HONOR_KIND_LABELS.get(code, code or ""))


def honor_enterprises(user, session=None):
    """The enterprises a user may record awards and penalties for (the dropdown)."""
    session = session or db.session
    stmt = select(Organization).where(Organization.org_type == OrgType.ENTERPRISE)
    clause = scope_clause(Organization, user)
    stmt = stmt if clause is None else stmt.where(clause)
    return session.execute(stmt.order_by(Organization.name).limit(2000)).scalars().all()


def check_honor(honor, actor):
    """Check an award or penalty before it is saved; strip its texts."""
    # The relationship first: a form sets ``org`` and leaves ``org_id`` stale until the flush.
    org = honor.org if honor.org is not None else (db.session.get(Organization, honor.org_id)
                                                   if honor.org_id else None)
    if org is None or org.org_type != OrgType.ENTERPRISE or not can_see(org, actor):
        raise _field_error(HONOR_LABELS["org"], _("please choose an enterprise of your region from the list"))
    if honor.kind not in HonorKind.ALL:
        raise _field_error(HONOR_LABELS["kind"], _("please choose award or penalty"))
    for key, limit, needed in (("title", 200, True), ("issuer", 128, True), ("doc_number", 64, False),
                               ("description", 2000, False)):
        label = HONOR_LABELS[key]
        value = (getattr(honor, key) or "").strip()
        if not value and needed:
            raise _field_error(label, _("is required"))
        if len(value) > limit:
            raise _field_error(label, _("at most %(n)s characters", n=limit))
        setattr(honor, key, value or None)
    if honor.decided_on is None:
        raise _field_error(HONOR_LABELS["decided_on"], _("is required"))
    decided = honor.decided_on.date() if isinstance(honor.decided_on, datetime) else honor.decided_on
    if decided > date.today():
        raise _field_error(HONOR_LABELS["decided_on"], _("cannot be later than today"))
    honor.decided_on = decided
    return honor


# --- 待办 on the home page (app/core/worklist.py) -------------------------------------------

def returned_filing_todos(user):
    """An enterprise's filings returned for changes (at most one is open at a time): the
    link opens it, where 修改 sits; none returned links to the filing page."""
    from app.core import worklist

    org_id = getattr(user, "org_id", None)
    rows = db.session.execute(
        select(Application.id).where(Application.app_type == ENTERPRISE_FILING, Application.org_id == org_id,
                                     Application.status == AppStatus.RETURNED)
        .order_by(Application.id.desc()).limit(worklist.DEFAULT_CAP + 1)).scalars().all() if org_id else []
    url = url_for("EnterpriseFilingView.show", pk=rows[0]) if len(rows) == 1 else url_for("EnterpriseFilingView.index")
    return [worklist.Todo("filing.returned", _l("Enterprise filings returned"), min(len(rows), worklist.DEFAULT_CAP),
                          level="danger", group=_l("Property management"), url=url,
                          capped=len(rows) > worklist.DEFAULT_CAP)]


def _of_an_enterprise(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.ENTERPRISE


def register_worklist():
    from app.core import worklist

    # Only an enterprise files (the system administrator holds the permission, not a filing).
    worklist.register_todo("filing.returned", returned_filing_todos, ("can_file", "EnterpriseFilingView"), order=39,
                           when=_of_an_enterprise)
    worklist.register_shortcut("filing.file", _l("Enterprise information filing"), "fa-building",
                               endpoint="EnterpriseFilingView.index",
                               permission=("can_file", "EnterpriseFilingView"), order=41, when=_of_an_enterprise)
