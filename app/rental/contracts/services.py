"""合同网签 (seed 001): the signing wizard's rules, signing, cancelling and revoking.

The wizard is a draft contract (草稿) that remembers the step it stands on; each step's
function cleans that step's fields (a DomainError names the field in Chinese), stores them
and moves the draft on. Going back (:func:`go_back`) keeps what was typed. :func:`sign`
checks the whole contract again, takes the property's lock so that two agents cannot sign
overlapping leases of the same part at once, numbers the contract and texts the tenants.

Who may act: the agent who started the contract, or an administrator of its enterprise
(:func:`may_handle`). The caller commits.
"""
import re
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from app.core.errors import DomainError
from app.core.sequences import next_value
from app.extensions import db
from app.rental.contracts.models import (
    ContractOrigin,
    ContractStatus,
    ContractTemplate,
    ContractTenant,
    FilingStatus,
    RentalContract,
    RentalMode,
    WizardStep,
)
from app.rental.verification.models import VerificationResult

MAX_TENANTS = 10
MAX_MATTERS = 5000
MAX_AMOUNT = Decimal("100000000")

# The SMS texts the tenants get (registered with the SMS engine in app/rental/contracts/views.py).
SMS_TEMPLATES = {
    "rental_contract_signed": (
        _l("[Anju Console] Lease %(number)s for %(address)s was signed on %(date)s. Check it on the contract "
           "verification page with the number and the check code %(code)s."),
        _l("Lease signed")),
    "rental_contract_revoked": (
        _l("[Anju Console] Lease %(number)s for %(address)s was revoked on %(date)s: %(reason)s."),
        _l("Lease revoked")),
}


def register_sms_templates():
    from app.core import sms

    for name, (text, label) in SMS_TEMPLATES.items():
        sms.register_template(name, text, label)


# --- helpers ---------------------------------------------------------------------------

def _field(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def parse_amount(value, label, allow_zero=False):
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    if not text:
        raise _field(label, _("is required"))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _field(label, _("please enter an amount in yuan, e.g. 2500 or 2500.50")) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise _field(label, _("please enter an amount in yuan, e.g. 2500 or 2500.50"))
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _field(label, _("must be greater than 0") if not allow_zero else _("may not be negative"))
    if amount >= MAX_AMOUNT:
        raise _field(label, _("is too large"))
    return amount.quantize(Decimal("0.01"))


def parse_date(value, label):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise _field(label, _("is required"))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _field(label, _("please enter a date as yyyy-mm-dd")) from None


def _choice(value, dict_type, label):
    from app.system import dicts

    code = str(value or "").strip()
    if not code:
        raise _field(label, _("is required"))
    if code not in dict(dicts.items(dict_type)):
        raise _field(label, _("please choose one of the listed values"))
    return code


#: Organisations whose staff sign leases online: rental enterprises, brokerage agencies and
#: the listing platforms that submit contracts by REST (not e.g. a property company).
SIGNING_ENTERPRISE_TYPES = ("rental_company", "agency", "platform")


def may_sign_online(actor):
    org = getattr(actor, "org", None) if actor is not None and getattr(actor, "org_id", None) else None
    return org is not None and org.org_type == "enterprise" and org.enterprise_type in SIGNING_ENTERPRISE_TYPES


def may_handle(contract, actor):
    """The agent who started it, or an administrator of its enterprise."""
    if actor is None or contract.org_id is None or actor.org_id != contract.org_id:
        return False
    names = {r.name for r in actor.roles}
    return contract.created_by_fk == actor.id or "ent_admin" in names


def _check_handler(contract, actor):
    if not may_handle(contract, actor):
        raise DomainError(_("Only the agent who started this contract or an administrator of its enterprise "
                            "may change it."))


def _check_draft(contract):
    if contract.status != ContractStatus.DRAFT:
        raise DomainError(_("A contract that is %(status)s can no longer be changed.",
                            status=status_label(contract.status)))


def status_label(code):
    from app.rental.labels import CONTRACT_STATUS_LABELS

    return str(CONTRACT_STATUS_LABELS.get(code, code))


def step_label(code):
    from app.rental.labels import STEP_LABELS

    return str(STEP_LABELS.get(code, code))


def _advance(contract, done_step):
    """After a step is saved the wizard opens the next one (what later steps hold stays)."""
    order = WizardStep.ORDER
    contract.step = order[min(order.index(done_step) + 1, len(order) - 1)]
    return contract.step


def go_back(contract, actor):
    """返回上一步: the previous step; everything typed stays."""
    _check_handler(contract, actor)
    _check_draft(contract)
    index = WizardStep.ORDER.index(contract.step)
    contract.step = WizardStep.ORDER[max(index - 1, 0)]
    return contract.step


def goto(contract, actor, step):
    """Open a step already reached (the wizard's step bar)."""
    _check_handler(contract, actor)
    _check_draft(contract)
    if step not in WizardStep.ORDER:
        raise DomainError(_("Unknown step."))
    if WizardStep.ORDER.index(step) > WizardStep.ORDER.index(furthest_step(contract)):
        raise DomainError(_("Please complete the step %(step)s first.", step=step_label(contract.step)))
    contract.step = step
    return step


def furthest_step(contract):
    """The last step whose predecessors are all complete."""
    for step in WizardStep.ORDER:
        if missing(contract, step):
            return step
    return WizardStep.PREVIEW


def current_template(code=None, session=None):
    session = session or db.session
    stmt = select(ContractTemplate).where(ContractTemplate.active.is_(True))
    if code:
        stmt = stmt.where(ContractTemplate.code == code)
    return session.execute(stmt.order_by(ContractTemplate.version.desc(), ContractTemplate.id.desc())
                           .limit(1)).scalars().first()


# --- the steps -------------------------------------------------------------------------

def start(actor, template_id=None, session=None):
    """受理网签: a new draft of the actor's enterprise, on the chosen (or newest) template."""
    session = session or db.session
    if not may_sign_online(actor):
        raise DomainError(_("Only the staff of a rental enterprise or an agency may sign contracts online."))
    template = session.get(ContractTemplate, int(template_id)) if template_id else current_template(session=session)
    if template_id and (template is None or not template.active):
        raise _field(_("Contract template"), _("please choose one of the listed values"))
    contract = RentalContract(status=ContractStatus.DRAFT, step=WizardStep.ACCEPT, origin=ContractOrigin.ONLINE,
                              org_id=actor.org_id, created_by_fk=actor.id,
                              template_id=template.id if template is not None else None)
    session.add(contract)
    session.flush()
    _advance(contract, WizardStep.ACCEPT)
    return contract


def use_verification(contract, actor, verification=None, code=None, moment=None):
    """房源核验 step with a verification already made (the object, or its 房源识别码)."""
    from app.core.scope import can_see
    from app.rental.verification import services as verifications

    _check_handler(contract, actor)
    _check_draft(contract)
    if verification is None:
        verification = verifications.by_code(code)
        if verification is None or not can_see(verification, actor):
            raise _field(_("Listing code"), _("no verification of your enterprise has this code"))
    if verification.result != VerificationResult.PASSED:
        raise DomainError(_("This listing did not pass verification: %(reasons)s",
                            reasons="；".join(verifications.reason_texts(verification.reasons))))
    if verification.org_id != contract.org_id:
        raise _field(_("Listing code"), _("no verification of your enterprise has this code"))
    if not verifications.is_valid(verification, moment):
        raise _field(_("Listing code"), _("the verification expired on %(date)s; please verify the listing again",
                                          date=verification.valid_until.isoformat()))
    prop = verification.property_record
    contract.verification_id = verification.id
    contract.property_id = prop.id
    contract.cert_type, contract.cert_no = prop.cert_type, prop.cert_no
    contract.address = prop.address
    contract.region_code, contract.street_code = prop.region_code, prop.street_code
    # 出租人: the owners the verification named, as the registry spells them.
    contract.lessor_names = "、".join(o["name"] for o in verification.owners)[:255]
    _advance(contract, WizardStep.VERIFY)
    return verification


def verify_listing(contract, actor, fields, moment=None, session=None):
    """房源核验 step by verifying now: the attempt is recorded whatever its result; a passed one
    is used at once. Returns the verification (the caller shows the reasons of a failed one)."""
    from app.rental.verification import services as verifications

    _check_handler(contract, actor)
    _check_draft(contract)
    verification = verifications.verify(fields, actor, moment=moment, session=session)
    if verification.result == VerificationResult.PASSED:
        use_verification(contract, actor, verification=verification, moment=moment)
    return verification


def save_details(contract, actor, fields, session=None):
    """合同详细信息: rent, deposit, payment cycle, term, purpose, the rented part."""
    from app.system.params import get_param

    _check_handler(contract, actor)
    _check_draft(contract)
    rent = parse_amount(fields.get("rent"), _("Monthly rent (yuan)"))
    deposit = parse_amount(fields.get("deposit"), _("Deposit (yuan)"), allow_zero=True)
    cycle = _choice(fields.get("payment_cycle"), "rent_payment_cycle", _("Payment cycle"))
    purpose = _choice(fields.get("purpose"), "rental_purpose", _("Purpose"))
    start_date = parse_date(fields.get("start_date"), _("Term start"))
    end_date = parse_date(fields.get("end_date"), _("Term end"))
    if end_date <= start_date:
        raise _field(_("Term end"), _("must be after the term start"))
    years = get_param("rental.max_term_years")
    try:
        limit = start_date.replace(year=start_date.year + years)
    except ValueError:  # 29 February
        limit = start_date.replace(year=start_date.year + years, day=28)
    if end_date >= limit:
        raise _field(_("Term end"), _("a lease may run at most %(n)s years", n=years))
    mode = str(fields.get("rental_mode") or RentalMode.WHOLE).strip()
    if mode not in RentalMode.ALL:
        raise _field(_("Rental mode"), _("please choose one of the listed values"))
    part = re.sub(r"\s+", "", str(fields.get("rented_part") or ""))
    if mode == RentalMode.PART and not part:
        raise _field(_("Rented part"), _("is required when only part of the property is let"))
    if len(part) > 64:
        raise _field(_("Rented part"), _("may be at most %(n)s characters", n=64))
    contract.rent, contract.deposit, contract.payment_cycle, contract.purpose = rent, deposit, cycle, purpose
    contract.start_date, contract.end_date = start_date, end_date
    contract.rental_mode, contract.rented_part = mode, (part if mode == RentalMode.PART else None)
    if contract.property_id:
        check_overlap(contract, session=session)
    _advance(contract, WizardStep.DETAILS)
    return contract


def save_tenants(contract, actor, tenants):
    """承租人信息: one or more tenants, each with a valid name, ID and mobile."""
    from app.accounts.services import clean_id, clean_mobile, clean_name
    from app.rental.verification.services import relabel

    _check_handler(contract, actor)
    _check_draft(contract)
    if not isinstance(tenants, list) or not [t for t in tenants if isinstance(t, dict) and any(t.values())]:
        raise _field(_("Tenant name"), _("is required"))
    tenants = [t for t in tenants if isinstance(t, dict) and any(str(v or "").strip() for v in t.values())]
    if len(tenants) > MAX_TENANTS:
        raise _field(_("Tenants"), _("at most %(n)s tenants", n=MAX_TENANTS))
    lessors = set()
    if contract.verification is not None:
        lessors = {(o["id_type"], o["id_number"]) for o in contract.verification.owners}
    cleaned, seen = [], set()
    for index, raw in enumerate(tenants, start=1):
        prefix = _("Tenant %(n)s", n=index) + " " if len(tenants) > 1 else ""
        name = clean_name(raw.get("name"), field=prefix + _("Tenant name"))
        id_type = str(raw.get("id_type") or "resident_id").strip()
        try:
            id_number = clean_id(id_type, raw.get("id_number"))
        except DomainError as exc:
            # clean_id names its fields 证件类型 / 证件号码; say which tenant.
            raise relabel(relabel(exc, _("ID number"), prefix + _("ID number")), _("ID type"),
                          prefix + _("ID type")) from None
        try:
            mobile = clean_mobile(raw.get("mobile"))
        except DomainError as exc:
            raise relabel(exc, _("Mobile"), prefix + _("Mobile")) from None
        if (id_type, id_number) in seen:
            raise _field(prefix + _("ID number"), _("the same person is listed twice"))
        if (id_type, id_number) in lessors:
            raise _field(prefix + _("ID number"), _("a tenant cannot be an owner letting the property"))
        seen.add((id_type, id_number))
        cleaned.append((name, id_type, id_number, mobile))
    contract.tenants.clear()
    db.session.flush()
    for index, (name, id_type, id_number, mobile) in enumerate(cleaned, start=1):
        contract.tenants.append(ContractTenant(seq=index, name=name, id_type=id_type, id_number=id_number,
                                               mobile=mobile, org_id=contract.org_id,
                                               region_code=contract.region_code))
    _advance(contract, WizardStep.TENANTS)
    return contract


def save_matters(contract, actor, text):
    """双方约定事项: free text both parties agreed (may be empty)."""
    _check_handler(contract, actor)
    _check_draft(contract)
    text = (text or "").strip()
    if len(text) > MAX_MATTERS:
        raise _field(_("Matters agreed by both parties"), _("may be at most %(n)s characters", n=MAX_MATTERS))
    contract.agreed_matters = text
    _advance(contract, WizardStep.MATTERS)
    return contract


def attachments_of(contract):
    from app.core import uploads

    return uploads.files_of(contract)


def confirm_attachments(contract, actor):
    """要件上传 done: at least one document (the files are stored by the uploads engine)."""
    _check_handler(contract, actor)
    _check_draft(contract)
    if not attachments_of(contract):
        raise _field(_("Upload documents"), _("please upload at least one document (e.g. the tenants' ID cards)"))
    _advance(contract, WizardStep.ATTACHMENTS)
    return contract


def missing(contract, step):
    """What a step still lacks (a Chinese sentence), or None when it is complete."""
    if step == WizardStep.ACCEPT:
        return None
    if step == WizardStep.VERIFY:
        return None if contract.verification_id else _("The listing has not been verified.")
    if step == WizardStep.DETAILS:
        needed = (contract.rent, contract.deposit, contract.payment_cycle, contract.start_date, contract.end_date,
                  contract.purpose)
        return None if all(v is not None for v in needed) else _("The contract details are incomplete.")
    if step == WizardStep.TENANTS:
        return None if contract.tenants else _("No tenant has been entered.")
    if step == WizardStep.MATTERS:
        return None if contract.agreed_matters is not None else _("The agreed matters have not been confirmed.")
    if step == WizardStep.ATTACHMENTS:
        return None if attachments_of(contract) else _("No document has been uploaded.")
    return None


# --- the rules on the whole contract ---------------------------------------------------

def overlapping(contract, session=None):
    """Signed contracts of the same property whose term and part overlap this one's."""
    session = session or db.session
    stmt = select(RentalContract).where(
        RentalContract.property_id == contract.property_id,
        RentalContract.status == ContractStatus.SIGNED,
        RentalContract.id != (contract.id or 0),
        RentalContract.start_date <= contract.end_date,
        RentalContract.end_date >= contract.start_date,
    )
    if contract.rental_mode == RentalMode.PART:
        # A part overlaps a whole-property lease and a lease of the same part.
        stmt = stmt.where(or_(RentalContract.rental_mode == RentalMode.WHOLE,
                              and_(RentalContract.rental_mode == RentalMode.PART,
                                   RentalContract.rented_part == contract.rented_part)))
    return session.execute(stmt.order_by(RentalContract.id)).scalars().all()


def check_overlap(contract, session=None):
    clash = overlapping(contract, session=session)
    if clash:
        other = clash[0]
        raise DomainError(_("The property already has a signed lease %(number)s for %(start)s to %(end)s that "
                            "overlaps this one (%(part)s).", number=other.number,
                            start=other.start_date.isoformat(), end=other.end_date.isoformat(),
                            part=other.rented_part or _("Whole property")))


def _lock_property(contract, session):
    """Serialise signings of one property: an UPDATE takes the row lock (PostgreSQL) or the
    write lock (SQLite) until the commit, so the overlap check sees the other signing."""
    from app.rental.registry.models import RentalProperty

    table = RentalProperty.__table__
    session.execute(update(table).where(table.c.id == contract.property_id).values(changed_on=table.c.changed_on))


def new_number(moment, session=None):
    day = moment.strftime("%Y%m%d")
    return f"HT{day}{next_value(f'rental_contract:{day}', session=session):06d}"


def new_check_code():
    from app.rental.verification.services import _CODE_ALPHABET

    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def sign(contract, actor, moment=None, session=None):
    """签约: every step complete, the verification still valid, no overlapping signed lease;
    then the contract number, the check code, 已签约, and an SMS to each tenant."""
    from app.core import sms
    from app.rental.verification import services as verifications

    session = session or db.session
    moment = moment or datetime.now()
    _check_handler(contract, actor)
    _check_draft(contract)
    for step in WizardStep.ORDER:
        lack = missing(contract, step)
        if lack:
            raise DomainError(_("%(step)s: %(problem)s", step=step_label(step), problem=lack))
    if not verifications.is_valid(contract.verification, moment):
        raise DomainError(_("The listing verification %(code)s is no longer valid; please go back to the step "
                            "%(step)s and verify the listing again.", code=contract.verification.code,
                            step=step_label(WizardStep.VERIFY)))
    _lock_property(contract, session)
    check_overlap(contract, session=session)
    contract.number = new_number(moment, session=session)
    contract.check_code = new_check_code()
    contract.status = ContractStatus.SIGNED
    contract.signed_at = moment
    contract.signed_by_fk = actor.id
    contract.filing_status = FilingStatus.NONE
    session.flush()
    for tenant in contract.tenants:
        if tenant.mobile:
            sms.send_sms(tenant.mobile, "rental_contract_signed", session=session, number=contract.number,
                         address=contract.address or "", date=moment.strftime("%Y-%m-%d"), code=contract.check_code)
    return contract


def cancel(contract, actor, moment=None):
    """取消: a draft given up (kept as 已取消, never deleted)."""
    _check_handler(contract, actor)
    _check_draft(contract)
    contract.status = ContractStatus.CANCELLED
    contract.cancelled_at = moment or datetime.now()
    return contract


def revoke(contract, actor, reason, moment=None, session=None):
    """撤销: both parties ended a signed lease by agreement; the reason is required."""
    from app.core import sms

    session = session or db.session
    moment = moment or datetime.now()
    _check_handler(contract, actor)
    if contract.status != ContractStatus.SIGNED:
        raise DomainError(_("Only a signed contract can be revoked; this one is %(status)s.",
                            status=status_label(contract.status)))
    if contract.filing_status == FilingStatus.PENDING:
        raise DomainError(_("The contract's filing is under review; it can be revoked after the review."))
    reason = (reason or "").strip()
    if not reason:
        raise _field(_("Reason for revocation"), _("is required"))
    if len(reason) > 500:
        raise _field(_("Reason for revocation"), _("may be at most %(n)s characters", n=500))
    contract.status = ContractStatus.REVOKED
    contract.revoked_at = moment
    contract.revoke_reason = reason
    session.flush()
    for tenant in contract.tenants:
        if tenant.mobile:
            sms.send_sms(tenant.mobile, "rental_contract_revoked", session=session, number=contract.number,
                         address=contract.address or "", date=moment.strftime("%Y-%m-%d"), reason=reason)
    return contract


# --- the contract text -----------------------------------------------------------------

def render_text(contract, viewer_masks=True):
    """合同预览: the template's text with the contract's fields filled in. Personal data pass
    through the viewer's masking (the preview, the PDF and the print view show the same)."""
    from app.core import masking
    from app.system import dicts

    template = contract.template
    body = template.body if template is not None else DEFAULT_BODY

    def person(kind, value):
        return masking.for_viewer(kind, value) if viewer_masks else (value or "")

    tenants = "；".join(f"{person('name', t.name)}（{dicts.label('id_type', t.id_type)} "
                       f"{person('id_number', t.id_number)}，{person('mobile', t.mobile)}）" for t in contract.tenants)
    lessors = "、".join(person("name", n) for n in (contract.lessor_names or "").split("、") if n)
    values = {
        "number": contract.number or str(_("(given at signing)")),
        "lessor": lessors, "tenants": tenants, "address": contract.address or "",
        "cert_no": contract.cert_no or "", "listing_code": contract.verification.code if contract.verification else "",
        "part": contract.rented_part or str(_("Whole property")),
        "rent": f"{contract.rent:.2f}" if contract.rent is not None else "",
        "deposit": f"{contract.deposit:.2f}" if contract.deposit is not None else "",
        "payment_cycle": dicts.label("rent_payment_cycle", contract.payment_cycle) if contract.payment_cycle else "",
        "purpose": dicts.label("rental_purpose", contract.purpose) if contract.purpose else "",
        "start_date": contract.start_date.isoformat() if contract.start_date else "",
        "end_date": contract.end_date.isoformat() if contract.end_date else "",
        "matters": contract.agreed_matters or str(_("None")),
        "enterprise": contract.org.name if contract.org is not None else "",
        "signed_date": contract.signed_at.strftime("%Y-%m-%d") if contract.signed_at else "",
    }
    return _fill(body, values)


def _fill(body, values):
    """{name} placeholders replaced; an unknown placeholder is left as it is (a template typo
    shows in the preview instead of breaking it)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), body)


PLACEHOLDERS = ("number", "lessor", "tenants", "address", "cert_no", "listing_code", "part", "rent", "deposit",
                "payment_cycle", "purpose", "start_date", "end_date", "matters", "enterprise", "signed_date")

# The text used when no template is maintained yet (a plain 住房租赁合同 after the model text
# most cities publish); gov_admin replaces it with the city's own 合同范本.
DEFAULT_BODY = """住房租赁合同

合同编号：{number}

出租人（甲方）：{lessor}
承租人（乙方）：{tenants}
经纪/租赁机构：{enterprise}

第一条 房屋基本情况
房屋坐落于{address}，产权证号{cert_no}，房源识别码{listing_code}，出租部位：{part}。

第二条 租赁用途
乙方承租该房屋用于{purpose}，不得擅自改变用途。

第三条 租赁期限
租赁期限自{start_date}起至{end_date}止。

第四条 租金及押金
月租金为人民币{rent}元，支付方式为{payment_cycle}；押金为人民币{deposit}元，租赁期满或合同解除后，甲方扣除应由乙方承担的费用后将剩余押金退还乙方。

第五条 维修责任
租赁期间，房屋及其附属设施的自然损坏由甲方负责维修；因乙方使用不当造成损坏的，由乙方负责维修或赔偿。

第六条 违约责任
任何一方未按本合同约定履行义务的，应当承担违约责任，赔偿对方因此造成的损失。

第七条 双方约定事项
{matters}

第八条 争议解决
本合同履行中发生争议的，由双方协商解决；协商不成的，可向房屋所在地人民法院提起诉讼。

签约日期：{signed_date}
"""

DEFAULT_CLAUSES = [
    {"key": "rent", "label": "租金", "keywords": ["租金"]},
    {"key": "deposit", "label": "押金", "keywords": ["押金", "保证金"]},
    {"key": "term", "label": "租赁期限", "keywords": ["租赁期限", "租期"]},
    {"key": "purpose", "label": "租赁用途", "keywords": ["用途"]},
    {"key": "repair", "label": "维修责任", "keywords": ["维修"]},
    {"key": "breach", "label": "违约责任", "keywords": ["违约"]},
    {"key": "dispute", "label": "争议解决", "keywords": ["争议"]},
]


# --- what the screens and the REST resource need besides the steps -------------------------

#: 要件 are scans or photos: PDF and images only (the uploads engine checks the content).
ATTACHMENT_KINDS = ("pdf", "jpg", "jpeg", "png")
MAX_ATTACHMENTS = 20


def choose_template(contract, actor, template_id=None, session=None):
    """受理网签 opened again from the step bar: keep or change the template, go on."""
    session = session or db.session
    _check_handler(contract, actor)
    _check_draft(contract)
    if template_id:
        template = session.get(ContractTemplate, int(template_id)) if str(template_id).isdigit() else None
        if template is None or not template.active:
            raise _field(_("Contract template"), _("please choose one of the listed values"))
        contract.template_id = template.id
    _advance(contract, WizardStep.ACCEPT)
    return contract


def active_templates(session=None):
    """The newest version of each active 合同范本 (what 受理网签 offers)."""
    session = session or db.session
    rows = session.execute(select(ContractTemplate).where(ContractTemplate.active.is_(True))
                           .order_by(ContractTemplate.code, ContractTemplate.version.desc())).scalars()
    newest = {}
    for t in rows:
        newest.setdefault(t.code, t)
    return list(newest.values())


def add_attachments(contract, actor, files):
    """要件上传: PDF or image files stored by the uploads engine on the draft (all or none)."""
    from app.core import uploads

    _check_handler(contract, actor)
    _check_draft(contract)
    files = [f for f in (files or []) if not (hasattr(f, "filename") and not f.filename)]
    if not files:
        raise _field(_("Upload documents"), _("please choose a PDF or image file"))
    for f in files:
        name = f[0] if isinstance(f, tuple) else (f.filename or "")
        if name.rsplit(".", 1)[-1].lower() not in ATTACHMENT_KINDS or "." not in name:
            raise _field(_("Upload documents"), _("%(name)s: only PDF, JPG and PNG files are accepted",
                                                  name=uploads.clean_name(name) or name))
    if len(attachments_of(contract)) + len(files) > MAX_ATTACHMENTS:
        raise _field(_("Upload documents"), _("at most %(n)s documents", n=MAX_ATTACHMENTS))
    return uploads.save_many(files, owner=contract, user=actor, max_files=MAX_ATTACHMENTS)


def remove_attachment(contract, actor, upload_id):
    """Delete one 要件 of a draft (a signed contract keeps its documents)."""
    from app.core import uploads

    _check_handler(contract, actor)
    _check_draft(contract)
    for upload in attachments_of(contract):
        if str(upload.id) == str(upload_id):
            uploads.remove(upload)
            return upload
    raise DomainError(_("This document does not belong to the contract."))


def unmask_tenants(contract, rows):
    """Tenants sent back from a form that showed them masked: a value equal to the mask of the
    stored value of the same tenant (``seq``) means "unchanged" and takes the stored value."""
    from app.core import masking

    stored = {str(t.seq): t for t in contract.tenants}
    out = []
    for row in rows or []:
        if not isinstance(row, dict):
            out.append(row)
            continue
        row = dict(row)
        tenant = stored.get(str(row.get("seq") or ""))
        if tenant is not None:
            for key, kind in (("name", "name"), ("id_number", "id_number"), ("mobile", "mobile")):
                value, full = str(row.get(key) or "").strip(), getattr(tenant, key)
                if full and masking.MASK_CHAR in value and value == masking.mask(kind, full):
                    row[key] = full
        out.append(row)
    return out


def usable_verifications(actor, moment=None, session=None, limit=50):
    """Passed, still valid verifications of the actor's enterprise that the actor may see
    (an agent their own, an administrator the enterprise's), newest first."""
    from app.core.scope import apply_scope
    from app.rental.verification.models import ListingVerification

    session = session or db.session
    if actor is None or not actor.org_id:
        return []
    today = (moment or datetime.now()).date()
    stmt = select(ListingVerification).where(
        ListingVerification.org_id == actor.org_id,
        ListingVerification.result == VerificationResult.PASSED,
        ListingVerification.valid_until >= today)
    stmt = apply_scope(stmt, ListingVerification, actor)
    return session.execute(stmt.order_by(ListingVerification.id.desc()).limit(limit)).scalars().all()


def drafts_query(actor, step=None):
    """我的草稿: the drafts the actor may go on with (an agent their own, an administrator of
    the enterprise all of the enterprise's), newest first."""
    if actor is None or not actor.org_id:
        return select(RentalContract).where(RentalContract.id.is_(None))
    stmt = select(RentalContract).where(RentalContract.status == ContractStatus.DRAFT,
                                        RentalContract.org_id == actor.org_id)
    if "ent_admin" not in {r.name for r in actor.roles}:
        stmt = stmt.where(RentalContract.created_by_fk == actor.id)
    if step:
        stmt = stmt.where(RentalContract.step == step)
    return stmt.order_by(RentalContract.id.desc())


def check_path(contract):
    """The public 合同验证 page for this contract (number and check code), as a path."""
    from urllib.parse import urlencode

    if not contract.number or not contract.check_code:
        return None
    return "/rental/contract-check/?" + urlencode({"number": contract.number, "code": contract.check_code})


def history(contract, session=None):
    """What happened to the contract: [(time, what, actor user or None, note)], oldest first.
    Created and signed come from the contract; cancelled and revoked name the account the
    audit log recorded for the change."""
    import json

    from app.core.audit import AuditAction, AuditLog
    from app.security.models import AnjuUser

    session = session or db.session
    actors = {}
    rows = session.execute(select(AuditLog.user_id, AuditLog.after).where(
        AuditLog.entity == "RentalContract", AuditLog.entity_id == str(contract.id),
        AuditLog.action == AuditAction.UPDATE).order_by(AuditLog.id)).all()
    for user_id, after in rows:
        try:
            status = (json.loads(after or "{}") or {}).get("status")
        except ValueError:
            continue
        if status in (ContractStatus.CANCELLED, ContractStatus.REVOKED) and user_id:
            actors[status] = user_id

    def user(user_id):
        return session.get(AnjuUser, user_id) if user_id else None

    events = [(contract.created_on, _("Signing accepted"), user(contract.created_by_fk), "")]
    if contract.signed_at:
        events.append((contract.signed_at, _("Signed"), user(contract.signed_by_fk), contract.number or ""))
    if contract.cancelled_at:
        events.append((contract.cancelled_at, _("Signing cancelled"), user(actors.get(ContractStatus.CANCELLED)), ""))
    if contract.revoked_at:
        events.append((contract.revoked_at, _("Revoked"), user(actors.get(ContractStatus.REVOKED)),
                       contract.revoke_reason or ""))
    return events


# Other parts add actions to a contract's detail page (e.g. 申请备案 of app/rental/filing):
# fn(contract, user) -> [DetailAction, ...]; the page shows those the function returns.
DETAIL_ACTIONS = []


class DetailAction:
    """A button on the contract's page: a link (GET) or a form (POST with CSRF) to ``url``."""

    def __init__(self, key, label, url, method="get", confirm=None, style="default", reason=None):
        self.key, self.label, self.url, self.method = key, label, url, method
        self.confirm, self.style, self.reason = confirm, style, reason


def register_detail_action(fn):
    if fn not in DETAIL_ACTIONS:
        DETAIL_ACTIONS.append(fn)


def detail_actions(contract, user):
    out = []
    for fn in DETAIL_ACTIONS:
        out.extend(fn(contract, user) or [])
    return out
