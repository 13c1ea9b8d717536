"""合同备案 (seed 001): a signed contract filed with the housing authority, on the workflow
engine (app/core/workflow.py, type ``rental_contract_filing``); 合同补录 of a contract signed
offline when the parameter ``rental.require_online_signing`` is off; the overdue-filing rule
and its one feed into the credit module (:func:`report_overdue_filing`).

Rules, once:

* Who applies: the agent who handled the contract or an administrator of its enterprise
  (contracts.services.may_handle). Only a 已签约 contract that is not 已备案 and has no open
  filing application (草稿/已提交/已受理/已退回) may be filed.
* Who decides: only gov_reviewer (seed 001 常见问题: 具有审核权限的角色), in their region; the
  reviewer uses the business-application screens (受理 → 审核通过 / 退回 / 不予通过).
* The contract mirrors its application: submitted → filing_status 备案审核中; approved →
  已备案 with a 备案编号 (BA + date + daily sequence) and the filing time; returned, not
  approved or terminated → 未备案 again.
* Overdue: a contract signed more than ``rental.filing_due_days`` days ago, still 已签约,
  neither filed nor under review, is flagged once (app/rental/filing/jobs.py).

Functions take the acting user and raise DomainError with a Chinese message; the caller commits.
"""
import logging
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from app.core import notices, workflow
from app.core.errors import DomainError
from app.core.sequences import next_value
from app.core.workflow import Action, Application, ApplicationType, AppStatus
from app.extensions import db
from app.rental.contracts import services as contracts
from app.rental.contracts.models import ContractOrigin, ContractStatus, FilingStatus, RentalContract, WizardStep

log = logging.getLogger(__name__)

FILING_TYPE = "rental_contract_filing"
SUBJECT = "rental_contract"
PREFIX = "ZB"                       # the application number: ZB + date + 4 digits
NUMBER_PREFIX = "BA"                # the 备案编号: BA + date + 6 digits
OVERDUE_SOURCE = "rental_filing_overdue"
PARAM_NAME = "备案前是否必须进行合同网签"
MAX_TENANTS_IN_PAYLOAD = contracts.MAX_TENANTS
MAX_LESSORS_IN_PAYLOAD = 10
#: Applications that still occupy a contract (a new one is refused while one of these exists).
OPEN_STATES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)


# --- small helpers --------------------------------------------------------------------------

def _now():
    return datetime.now()


def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # the view is not registered (a job, a test app without it)
        return None


def _dict_label(dict_type, code):
    from app.system import dicts

    return dicts.label(dict_type, code) if code else ""


def origin_label(code):
    from app.rental.labels import ORIGIN_LABELS

    return str(ORIGIN_LABELS.get(code, code or ""))


def filing_status_label(code):
    from app.rental.labels import FILING_STATUS_LABELS

    return str(FILING_STATUS_LABELS.get(code, code or ""))


def contract_of(application, session=None):
    """The contract a filing application is about (None for another type)."""
    session = session or db.session
    if application is None or application.app_type != FILING_TYPE or application.subject_id is None:
        return None
    return session.get(RentalContract, application.subject_id)


def application_of(contract, session=None):
    """The contract's latest filing application, or None."""
    session = session or db.session
    if contract is None or contract.id is None:
        return None
    if contract.filing_app_id:
        found = session.get(Application, contract.filing_app_id)
        if found is not None:
            return found
    return workflow.latest_for_subject(SUBJECT, contract.id, FILING_TYPE, session=session)


def open_application(contract, session=None):
    """The contract's filing application still being handled (草稿/已提交/已受理/已退回), or None."""
    session = session or db.session
    if contract is None or contract.id is None:
        return None
    return session.execute(select(Application).where(
        Application.app_type == FILING_TYPE, Application.subject_type == SUBJECT,
        Application.subject_id == contract.id, Application.status.in_(OPEN_STATES))
        .order_by(Application.id.desc()).limit(1)).scalars().first()


def is_overdue(contract, moment=None):
    """逾期未备案: signed more than the due days ago, still signed, neither filed nor under review."""
    from app.system.params import get_param

    if contract is None or contract.status != ContractStatus.SIGNED or contract.signed_at is None:
        return False
    if contract.filing_status != FilingStatus.NONE:
        return False
    moment = moment or _now()
    return contract.signed_at < moment - timedelta(days=get_param("rental.filing_due_days"))


def overdue_clause(moment=None):
    """The same rule as a SQL clause over RentalContract (lists' 逾期未备案 filter)."""
    from app.system.params import get_param

    moment = moment or _now()
    return and_(RentalContract.filing_status == FilingStatus.NONE, RentalContract.status == ContractStatus.SIGNED,
                RentalContract.signed_at < moment - timedelta(days=get_param("rental.filing_due_days")))


# --- what a filing application shows (the business-application screens) ---------------------

def _payload_labels():
    labels = {
        "contract_number": _l("Contract number"), "contract_origin": _l("How the contract was made"),
        "enterprise": _l("Rental enterprise"), "property_district": _l("Property district"),
        "cert_no": _l("Title certificate number"), "address": _l("Property address"),
        "rented_part": _l("Rented part"),
    }
    for n in range(1, MAX_LESSORS_IN_PAYLOAD + 1):
        labels[f"lessor_{n}_name"] = _l("Lessor %(n)s", n=n)
    labels.update({
        "rent": _l("Monthly rent (yuan)"), "deposit": _l("Deposit (yuan)"), "payment_cycle": _l("Payment cycle"),
        "term": _l("Lease term"), "purpose": _l("Purpose"), "signed_on": _l("Signed on"),
    })
    for n in range(1, MAX_TENANTS_IN_PAYLOAD + 1):
        labels[f"tenant_{n}_name"] = _l("Tenant %(n)s: name", n=n)
        labels[f"tenant_{n}_id_number"] = _l("Tenant %(n)s: ID number", n=n)
        labels[f"tenant_{n}_mobile"] = _l("Tenant %(n)s: mobile", n=n)
    return labels


PAYLOAD_LABELS = _payload_labels()
#: Payload keys holding a person's data, and how they are masked (ID numbers and mobiles are
#: recognised by their names; names are declared here).
PAYLOAD_MASKS = {**{f"lessor_{n}_name": "name" for n in range(1, MAX_LESSORS_IN_PAYLOAD + 1)},
                 **{f"tenant_{n}_name": "name" for n in range(1, MAX_TENANTS_IN_PAYLOAD + 1)},
                 **{f"tenant_{n}_id_number": "id_number" for n in range(1, MAX_TENANTS_IN_PAYLOAD + 1)},
                 **{f"tenant_{n}_mobile": "mobile" for n in range(1, MAX_TENANTS_IN_PAYLOAD + 1)}}


def payload_of(contract):
    """The contract's fields as the application keeps them (a snapshot at submission)."""
    from app.system.models import region_full_name

    data = {
        "contract_number": contract.number, "contract_origin": origin_label(contract.origin),
        "enterprise": contract.org.name if contract.org is not None else "",
        "property_district": region_full_name(contract.street_code or contract.region_code),
        "cert_no": contract.cert_no, "address": contract.address,
        "rented_part": contract.rented_part or str(_("Whole property")),
        "rent": f"{contract.rent:.2f}" if contract.rent is not None else None,
        "deposit": f"{contract.deposit:.2f}" if contract.deposit is not None else None,
        "payment_cycle": _dict_label("rent_payment_cycle", contract.payment_cycle),
        "term": term_text(contract), "purpose": _dict_label("rental_purpose", contract.purpose),
        "signed_on": contract.signed_at.strftime("%Y-%m-%d") if contract.signed_at else None,
    }
    for n, name in enumerate([x for x in (contract.lessor_names or "").split("、") if x][:MAX_LESSORS_IN_PAYLOAD], 1):
        data[f"lessor_{n}_name"] = name
    for n, t in enumerate(list(contract.tenants)[:MAX_TENANTS_IN_PAYLOAD], 1):
        data[f"tenant_{n}_name"] = t.name
        data[f"tenant_{n}_id_number"] = t.id_number
        data[f"tenant_{n}_mobile"] = t.mobile
    return {k: v for k, v in data.items() if v not in (None, "")}


def term_text(contract):
    if not contract.start_date or not contract.end_date:
        return ""
    return _("%(start)s to %(end)s", start=contract.start_date.isoformat(), end=contract.end_date.isoformat())


def mask_payload(payload, full):
    """A copy of a payload with the persons masked unless ``full``."""
    from app.core import masking

    if not payload:
        return payload
    out = dict(payload)
    if full:
        return out
    for key, value in payload.items():
        kind = PAYLOAD_MASKS.get(key) or masking.kind_of_field(key)
        if kind and value:
            out[key] = masking.mask(kind, value)
    return out


def _subject_url(application):
    contract = contract_of(application)
    if contract is None:
        return None
    return _link("RentalFilingView.show", pk=application.id)


# --- who may do what -------------------------------------------------------------------------

def may_apply(contract, actor):
    return contracts.may_handle(contract, actor)


def apply_problem(contract, actor=None, session=None):
    """Why ``contract`` cannot be filed now (a Chinese sentence), or None."""
    if contract is None:
        return _("No contract of your enterprise has this number.")
    if actor is not None and not may_apply(contract, actor):
        return _("Only the agent who handled this contract or an administrator of its enterprise may apply "
                 "for its filing.")
    if contract.status != ContractStatus.SIGNED:
        return _("Only a signed contract can be filed; contract %(number)s is %(status)s.",
                 number=contract.number or contract.id, status=contracts.status_label(contract.status))
    if contract.filing_status == FilingStatus.FILED:
        return _("Contract %(number)s has already been filed (filing number %(filing)s).",
                 number=contract.number, filing=contract.filing_number or "")
    existing = open_application(contract, session=session)
    if existing is not None:
        if existing.status == AppStatus.RETURNED:
            return _("Contract %(number)s already has the filing application %(app)s, which was returned: change "
                     "and resubmit it, or terminate it before applying again.",
                     number=contract.number, app=existing.number)
        return _("Contract %(number)s already has the filing application %(app)s (%(status)s); one contract has "
                 "one filing application at a time.", number=contract.number, app=existing.number,
                 status=workflow.status_label(existing.status))
    return None


def _lock_contract(contract, session):
    """Serialise applications for one contract: an UPDATE takes the row lock (PostgreSQL) or the
    write lock (SQLite) until the commit, so a second application sees the first."""
    table = RentalContract.__table__
    session.execute(update(table).where(table.c.id == contract.id).values(filing_status=table.c.filing_status)
                    .execution_options(synchronize_session=False))


def _title(contract):
    return _("Rental contract filing: %(number)s %(address)s", number=contract.number,
             address=contract.address or "")[:200]


def apply(actor, contract, session=None):
    """申请备案: a new filing application for a signed contract, submitted at once."""
    session = session or db.session
    if contract is None or actor is None or not may_apply(contract, actor):
        raise DomainError(apply_problem(contract, actor, session) or _("No contract of your enterprise has this "
                                                                         "number."))
    _lock_contract(contract, session)
    session.refresh(contract)
    problem = apply_problem(contract, actor, session)
    if problem:
        raise DomainError(problem)
    application = workflow.create(
        FILING_TYPE, applicant=actor, title=_title(contract), org_id=contract.org_id,
        region_code=contract.street_code or contract.region_code, payload=payload_of(contract),
        subject=(SUBJECT, contract.id), submit=True, session=session)
    return application


def find_contract(actor, number, session=None):
    """A contract of the actor's enterprise (within the actor's scope) by its number, or None."""
    from app.core.scope import apply_scope

    session = session or db.session
    number = (number or "").strip().upper()
    if not number or actor is None or not actor.org_id:
        return None
    stmt = select(RentalContract).where(RentalContract.number == number, RentalContract.org_id == actor.org_id)
    return session.execute(apply_scope(stmt, RentalContract, actor)).scalars().first()


def contracts_by_certificate(actor, cert_no, limit=50, session=None):
    """The signed contracts of the actor's enterprise (in the actor's scope) on one property."""
    from app.core.scope import apply_scope
    from app.rental.registry.services import normalise_cert_no

    session = session or db.session
    cert_no = normalise_cert_no(cert_no)
    if not cert_no or actor is None or not actor.org_id:
        return []
    stmt = select(RentalContract).where(RentalContract.cert_no == cert_no, RentalContract.org_id == actor.org_id,
                                        RentalContract.status == ContractStatus.SIGNED)
    stmt = apply_scope(stmt, RentalContract, actor).order_by(RentalContract.signed_at.desc(), RentalContract.id.desc())
    return session.execute(stmt.limit(limit)).scalars().all()


def transition(application, action, actor, reason=None, session=None):
    """A step of a filing application (reviewers: accept / approve / return / reject; the
    applicant: resubmit / terminate), with the engine's checks; the hooks keep the contract in line."""
    if application is None or application.app_type != FILING_TYPE:
        raise DomainError(_("This is not a rental contract filing application."))
    if action == Action.RESUBMIT:
        contract = contract_of(application, session)
        if contract is not None:
            application.payload = payload_of(contract)
    return workflow.transition(application, action, actor, reason, session=session)


# --- hooks (inside the transition) -----------------------------------------------------------

def _contract_or_fail(application):
    contract = contract_of(application)
    if contract is None:
        raise DomainError(_("The contract of this filing application no longer exists."))
    return contract


def _submitted(application, actor):
    contract = _contract_or_fail(application)
    if contract.status != ContractStatus.SIGNED:
        raise DomainError(_("Only a signed contract can be filed; contract %(number)s is %(status)s.",
                            number=contract.number or contract.id, status=contracts.status_label(contract.status)))
    if contract.filing_status == FilingStatus.FILED:
        raise DomainError(_("Contract %(number)s has already been filed (filing number %(filing)s).",
                            number=contract.number, filing=contract.filing_number or ""))
    contract.filing_status = FilingStatus.PENDING
    contract.filing_app_id = application.id


def new_filing_number(moment, session=None):
    day = moment.strftime("%Y%m%d")
    return f"{NUMBER_PREFIX}{day}{next_value(f'rental_filing:{day}', session=session):06d}"


def _approved(application, actor):
    contract = _contract_or_fail(application)
    moment = application.decided_at or _now()
    contract.filing_status = FilingStatus.FILED
    contract.filing_number = new_filing_number(moment)
    contract.filed_at = moment
    contract.filing_app_id = application.id
    notices.notify(application.org_id, _("Contract %(number)s was filed: filing number %(filing)s.",
                                         number=contract.number, filing=contract.filing_number),
                   link=_link("RentalFilingView.show", pk=application.id), source=("application", application.id))


def _back_to_none(application, text):
    contract = contract_of(application)
    if contract is not None and contract.filing_status == FilingStatus.PENDING \
            and contract.filing_app_id == application.id:
        contract.filing_status = FilingStatus.NONE
    if text:
        notices.notify(application.org_id, text, link=_link("RentalFilingView.show", pk=application.id),
                       source=("application", application.id))


def _returned(application, actor):
    _back_to_none(application, _("The filing application %(number)s was returned: %(reason)s",
                                 number=application.number, reason=application.reason or ""))


def _rejected(application, actor):
    _back_to_none(application, _("The filing application %(number)s was not approved: %(reason)s",
                                 number=application.number, reason=application.reason or ""))


def _terminated(application, actor):
    _back_to_none(application, None)


workflow.register_type(ApplicationType(
    code=FILING_TYPE, label=_l("Rental contract filing"), prefix=PREFIX, decider_roles=("gov_reviewer",),
    on_submit=_submitted, on_approve=_approved, on_return=_returned, on_reject=_rejected,
    on_terminate=_terminated,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": PAYLOAD_MASKS, "subject_url": _subject_url,
           "subject_label": _l("Open the contract and its filing")},
))


# --- the contract page's filing buttons ------------------------------------------------------

def filing_actions(contract, user):
    """What the contract's page offers about its filing, as
    ``[{"key", "label", "url", "method"}]`` (GET links; ``method`` "post" for a form button).
    The contracts page calls this; each target checks again."""
    from flask import current_app

    from app.core.scope import can_see

    out = []
    if contract is None or user is None or not has_request_context() or not can_see(contract, user):
        return out
    sm = current_app.appbuilder.sm
    application = application_of(contract)
    if application is not None and sm.has_access("can_show", "RentalFilingView") and can_see(application, user):
        out.append({"key": "filing", "label": _("Filing application %(number)s", number=application.number),
                    "url": _link("RentalFilingView.show", pk=application.id), "method": "get"})
    if apply_problem(contract, user) is None and sm.has_access("can_apply", "RentalFilingView"):
        out.append({"key": "apply", "label": _("Apply for filing"),
                    "url": _link("RentalFilingView.apply", contract_id=contract.id), "method": "get"})
    if contract.filing_status == FilingStatus.FILED and sm.has_access("can_certificate", "RentalFilingView"):
        out.append({"key": "certificate", "label": _("Filing certificate"),
                    "url": _link("RentalFilingView.certificate", contract_id=contract.id), "method": "get"})
        out.append({"key": "certificate_pdf", "label": _("Filing certificate (PDF)"),
                    "url": _link("RentalFilingView.certificate_pdf", contract_id=contract.id), "method": "get"})
    return out


# --- 备案证明 ---------------------------------------------------------------------------------

def check_url(contract):
    """The public contract-check page for this contract (the QR code of the certificate)."""
    from urllib.parse import urlencode

    query = urlencode({"number": contract.number or "", "code": contract.check_code or ""})
    if has_request_context():
        from flask import request

        return f"{request.host_url.rstrip('/')}/rental/contract-check/?{query}"
    return f"/rental/contract-check/?{query}"


def certificate_document(contract, mask=None):
    """备案证明 of a filed contract: what was filed, the parties masked for the viewer, a QR
    code to the public contract check."""
    from app.core import masking
    from app.core.documents import Document, Fields, Table, Text, should_mask
    from app.system.models import region_full_name

    if contract.filing_status != FilingStatus.FILED:
        raise DomainError(_("Contract %(number)s has not been filed.", number=contract.number or contract.id))
    hide = should_mask(mask)

    def person(kind, value):
        return masking.mask(kind, value) if hide and value else (value or "")

    lessors = "、".join(person("name", n) for n in (contract.lessor_names or "").split("、") if n)
    facts = [
        (_("Filing number"), contract.filing_number), (_("Filed at"), contract.filed_at),
        (_("Contract number"), contract.number), (_("Signed at"), contract.signed_at),
        (_("Property address"), contract.address, True),
        (_("Property district"), region_full_name(contract.street_code or contract.region_code)),
        (_("Title certificate number"), contract.cert_no),
        (_("Lessor"), lessors), (_("Rented part"), contract.rented_part or _("Whole property")),
        (_("Lease term"), term_text(contract)),
        (_("Monthly rent (yuan)"), f"{contract.rent:.2f}" if contract.rent is not None else ""),
        (_("Rental enterprise"), contract.org.name if contract.org is not None else "", True),
    ]
    tenants = [[t.seq, person("name", t.name), _dict_label("id_type", t.id_type), person("id_number", t.id_number)]
               for t in contract.tenants]
    return Document(
        title=_("Rental contract filing certificate"), number=contract.filing_number,
        sections=[
            Fields(facts, columns=4, title=_("Filed contract")),
            Table([_("No."), _("Tenant name"), _("ID type"), _("ID number")], tenants, title=_("Tenants"),
                  widths=[1, 3, 3, 5]),
            Text(_("This rental contract has been filed with the housing authority. Scan the QR code, or open the "
                   "contract verification page with the contract number and the check code, to confirm it.")),
        ],
        qr=check_url(contract),
        footer=[_("Issued by the housing rental supervision platform")],
    )


# --- 合同补录 -----------------------------------------------------------------------------------

def backfill_allowed():
    from app.system.params import get_param

    return not get_param("rental.require_online_signing")


def check_backfill_allowed():
    if not backfill_allowed():
        raise DomainError(_("Back-filling a contract is switched off: the parameter %(param)s is on, so every "
                            "contract must be signed online before it is filed.", param=PARAM_NAME))


def parse_signed_on(value, today=None):
    day = contracts.parse_date(value, _("Signed on"))
    if day > (today or date.today()):
        raise DomainError(_("%(field)s: %(message)s", field=_("Signed on"), message=_("cannot be in the future")))
    return day


def backfill(actor, verification, details, tenants, signed_on, files, matters="", moment=None, session=None):
    """合同补录: a contract signed offline entered after the fact (parameter 备案前是否必须进行合同网签
    off). The listing must have passed verification (the same verify()); the details and
    tenants follow the wizard's rules (contracts.services); the scanned contract is required.
    The contract is numbered from the same sequence as online signing, origin 补录, 已签约."""
    from app.core import sms, uploads

    session = session or db.session
    moment = moment or _now()
    check_backfill_allowed()
    signed_day = parse_signed_on(signed_on, moment.date())
    contract = contracts.start(actor, session=session)
    contract.origin = ContractOrigin.BACKFILL
    contracts.use_verification(contract, actor, verification=verification, moment=moment)
    contracts.save_details(contract, actor, details or {}, session=session)
    contracts.save_tenants(contract, actor, tenants or [])
    contracts.save_matters(contract, actor, matters or "")
    files = [f for f in (files or []) if f]
    if files:
        uploads.save_many(files, label=str(_("Contract scan")), owner=contract, user=actor)
    if not contracts.attachments_of(contract):
        raise DomainError(_("%(field)s: %(message)s", field=_("Contract scan"),
                            message=_("please upload the signed contract (PDF or pictures)")))
    contracts.confirm_attachments(contract, actor)
    contracts._lock_property(contract, session)
    contracts.check_overlap(contract, session=session)
    contract.number = contracts.new_number(moment, session=session)
    contract.check_code = contracts.new_check_code()
    contract.status = ContractStatus.SIGNED
    contract.step = WizardStep.PREVIEW
    contract.signed_at = datetime.combine(signed_day, time(12, 0)) if signed_day != moment.date() else moment
    contract.signed_by_fk = actor.id
    contract.filing_status = FilingStatus.NONE
    session.flush()
    for tenant in contract.tenants:
        if tenant.mobile:
            sms.send_sms(tenant.mobile, "rental_contract_signed", session=session, number=contract.number,
                         address=contract.address or "", date=signed_day.isoformat(), code=contract.check_code)
    return contract


# --- 逾期未备案 -----------------------------------------------------------------------------------

def overdue_facts(contract, due_days):
    signed = contract.signed_at.strftime("%Y-%m-%d") if contract.signed_at else ""
    return _("Rental contract %(number)s was signed on %(date)s and had not been filed within %(days)s days "
             "(商品房屋租赁管理办法 §14).", number=contract.number, date=signed, days=due_days)


def report_overdue_filing(contract, moment=None, session=None, due_days=None, rule=None):
    """The one place an overdue filing reaches the credit module: a credit record proposal
    (rule ``rental.filing_overdue_rule``, 未按规定办理租赁合同网签备案) for the contract's
    enterprise, waiting for review, once per contract (feed() is idempotent by the contract id).
    ``contract`` needs id, number, org_id, region_code and signed_at. Returns the credit record,
    or None when the credit module has no such rule (logged)."""
    from app.credit.services import feed
    from app.system.params import get_param

    session = session or db.session
    moment = moment or _now()
    if not contract.org_id:
        return None
    due_days = due_days or get_param("rental.filing_due_days")
    rule = rule or get_param("rental.filing_overdue_rule")
    event_day = (contract.signed_at + timedelta(days=due_days)).date() if contract.signed_at else moment.date()
    try:
        with session.begin_nested():
            record, _created = feed(OVERDUE_SOURCE, str(contract.id), contract.org_id, rule,
                                    overdue_facts(contract, due_days), event_date=min(event_day, moment.date()),
                                    region_code=contract.region_code, session=session, moment=moment)
    except DomainError as exc:
        log.warning("overdue filing of contract %s not fed to credit: %s", contract.id, exc)
        return None
    return record


def flag_overdue(moment=None, session=None, batch=1000):
    """Flag every contract whose filing is overdue and not yet flagged: one UPDATE per batch,
    one credit proposal per contract (report_overdue_filing), then one notice per enterprise
    listing its contracts. Batches are read by (signed_at, id) from the (filing_status, status,
    signed_at) index and committed one by one. Returns {"flagged", "enterprises", "credit"}."""
    from collections import defaultdict

    from app.system.params import get_param

    session = session or db.session
    moment = moment or _now()
    due_days = get_param("rental.filing_due_days")
    rule = get_param("rental.filing_overdue_rule")
    cutoff = moment - timedelta(days=due_days)
    c = RentalContract.__table__.c
    by_org = defaultdict(list)
    flagged = credit = 0
    last = None
    while True:
        stmt = (select(c.id, c.number, c.org_id, c.region_code, c.signed_at)
                .where(c.filing_status == FilingStatus.NONE, c.status == ContractStatus.SIGNED,
                       c.signed_at < cutoff, c.overdue_flagged_at.is_(None)))
        if last is not None:
            stmt = stmt.where(or_(c.signed_at > last[0], and_(c.signed_at == last[0], c.id > last[1])))
        rows = session.execute(stmt.order_by(c.signed_at, c.id).limit(batch)).all()
        if not rows:
            break
        last = (rows[-1].signed_at, rows[-1].id)
        ids = [r.id for r in rows]
        # Only rows still unflagged and still overdue (another run or a filing meanwhile).
        session.execute(update(RentalContract.__table__)
                        .where(c.id.in_(ids), c.overdue_flagged_at.is_(None), c.filing_status == FilingStatus.NONE,
                               c.status == ContractStatus.SIGNED)
                        .values(overdue_flagged_at=moment).execution_options(synchronize_session=False))
        for r in rows:
            item = SimpleNamespace(id=r.id, number=r.number, org_id=r.org_id, region_code=r.region_code,
                                   signed_at=r.signed_at)
            if report_overdue_filing(item, moment=moment, session=session, due_days=due_days, rule=rule) is not None:
                credit += 1
            if r.org_id:
                by_org[r.org_id].append(r.number)
            flagged += 1
        session.commit()
    for org_id, numbers in by_org.items():
        shown = numbers[:50]
        more = len(numbers) - len(shown)
        body = "、".join(shown) + (_(" and %(n)s more", n=more) if more > 0 else "")
        notices.notify(org_id, _("%(n)s rental contracts have not been filed within %(days)s days of signing",
                                 n=len(numbers), days=due_days),
                       _("Please apply for the filing of these contracts at once: %(numbers)s", numbers=body),
                       link=_link("RentalFilingView.apply"), source=("rental_filing_overdue", None),
                       session=session)
    session.commit()
    return {"flagged": flagged, "enterprises": len(by_org), "credit": credit}
