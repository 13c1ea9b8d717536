"""What both property filings share: field cleaning with Chinese messages, the filer's
enterprise, finding a filing inside the actor's scope, masking of payloads, files and links."""
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import masking, uploads
from app.core.errors import DomainError
from app.core.scope import scope_clause
from app.core.validators import ValidationError, check_mobile
from app.core.workflow import Application, AppStatus
from app.extensions import db
from app.system.models import Organization, OrgType

#: A filing in one of these states still occupies its area (草稿, 已提交, 已受理, 已退回).
OPEN_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)
#: States in which the applicant may still change the filing.
EDITABLE = (AppStatus.DRAFT, AppStatus.RETURNED)

_NAME_RE = re.compile(r"^[\u3400-\u9fffA-Za-z·•.\- ]{2,30}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
MAX_FEE = Decimal("9999.99")


def field_error(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def text(data, key, label, max_len=255, required=False):
    value = data.get(key)
    value = "" if value is None else str(value).strip()
    if not value:
        if required:
            raise field_error(label, _("is required"))
        return None
    if len(value) > max_len:
        raise field_error(label, _("at most %(n)s characters", n=max_len))
    return value


def person_name(data, key, label, required=False):
    value = text(data, key, label, 64, required)
    if value is not None and not _NAME_RE.match(value):
        raise field_error(label, _("2 to 30 Chinese characters or letters"))
    return value


def phone(data, key, label, required=False):
    """A mobile (11 digits) or a landline such as 023-63881234."""
    value = text(data, key, label, 20, required)
    if value is None:
        return None
    folded = unicodedata.normalize("NFKC", value).replace(" ", "")
    if _LANDLINE_RE.match(folded):
        return folded
    try:
        return check_mobile(folded)
    except ValidationError:
        raise field_error(label, _("a mobile number or a landline such as 023-63881234"))


def day(data, key, label, required=False, not_future=False, today=None):
    value = data.get(key)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        raw = unicodedata.normalize("NFKC", str(value or "")).strip().replace("/", "-").replace(".", "-")
        if not raw:
            if required:
                raise field_error(label, _("is required"))
            return None
        try:
            parsed = datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            raise field_error(label, _("a date such as 2015-06-30"))
    if parsed.year < 1900:
        raise field_error(label, _("a date such as 2015-06-30"))
    if not_future and parsed > (today or date.today()):
        raise field_error(label, _("cannot be later than today"))
    return parsed


def fee(data, key, label, required=False):
    """An amount in yuan (per m² and month) with at most two decimals; 0 is allowed."""
    value = data.get(key)
    if isinstance(value, bool):
        raise field_error(label, _("an amount such as 2.50"))
    raw = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip().replace(",", "")
    if not raw:
        if required:
            raise field_error(label, _("is required"))
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise field_error(label, _("an amount such as 2.50"))
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise field_error(label, _("an amount such as 2.50"))
    if amount > MAX_FEE:
        raise field_error(label, _("the amount is too large"))
    return str(amount.quantize(Decimal("0.01")))


def choice(data, key, label, choices):
    value = str(data.get(key) or "").strip()
    if value not in choices:
        raise field_error(label, _("please choose one of the options"))
    return value


def positive_int(value):
    """An id from a form or JSON, or None."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2 ** 31 else None


# --- who files ------------------------------------------------------------------------------

def company_of(actor):
    """The property company an administrator files for; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Only the administrators of a property service company may file this."))
    return org


def city_of(region):
    node, steps = region, 0
    while node is not None and steps < 6:
        if node.level == "city":
            return node
        node, steps = node.parent, steps + 1
    return None


def lock_org(org_id):
    """Serialise one enterprise's filings (PostgreSQL row lock; SQLite's write lock at the next write)."""
    db.session.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())


def filing_for(actor, pk, app_type, session=None):
    """One filing of ``app_type`` inside the actor's data scope, else None."""
    session = session or db.session
    pk = positive_int(pk)
    if pk is None or actor is None:
        return None
    stmt = select(Application).where(Application.id == pk, Application.app_type == app_type)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


def filings_of(org_id, app_type, limit=200, session=None):
    session = session or db.session
    return session.execute(
        select(Application).where(Application.app_type == app_type, Application.org_id == org_id)
        .order_by(Application.id.desc()).limit(limit)).scalars().all()


def check_may_change(application, actor):
    if actor is None or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status not in EDITABLE:
        raise DomainError(_("Only a draft or a returned application can be changed."))


def store_files(files, label, application):
    files = [f for f in (files or []) if f]
    if files:
        stored = uploads.save_many(files, label=str(label))
        if stored:
            uploads.attach(stored, application)


def mask_payload(payload, masks, full):
    """A copy of a payload with the persons masked unless ``full`` (the viewer's masking)."""
    if not payload:
        return payload
    out = dict(payload)
    if full:
        return out
    for key, value in payload.items():
        kind = masks.get(key) or masking.kind_of_field(key)
        if kind and value and isinstance(value, str):
            out[key] = masking.mask(kind, value)
    return out


def link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # the view is not registered (a job, another part not merged yet)
        return None
