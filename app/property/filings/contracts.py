"""物业服务合同备案 (seed 004 物业服务企业 7; seed 003 §8; SPEC §7).

A property service company files the contract it signed for an area, as a business
application of type ``service_contract_filing`` (app/core/workflow.py, numbers HT...):
保存 (草稿) or 保存并提交 → 受理 → 审核通过 / 退回 / 不予通过; a returned filing is changed
and resubmitted (its area stays: seed 003 §11) or terminated.

* 物业合同类型: 前期 (the developer appoints the company for a new area) or 后期 (the owners'
  assembly appoints or renews). The 选聘单位 is the area's 开发建设单位 (前期) or its
  业主委员会 (后期, refused when the area has none); its contact and phone are the filer's.
* The area (项目名称) is any area of the filer's city; the filer need not serve it yet. An
  area that is not there yet is filed first (物业区域备案).
* Due within ``property.contract_filing_days`` (15) days of signing (:func:`due_date`; a due
  day on a holiday moves to the next working day); a filing first submitted after its due
  day is marked late; the daily job (jobs.py) flags overdue filings once and proposes a
  credit deduction (rule ``property.contract_overdue_rule``) through credit's feed().
* Approval keeps the contract (:class:`ServiceContract`): the area's company becomes the
  filer (the previous company's current lead ends, as when the company changes on the area
  page), the previous current contract ends, and the area shows 是否合同备案 = 是.

Every function takes the acting user and raises DomainError with a Chinese message.
"""
import logging
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from app.core import notices, workflow
from app.core.deadlines import is_working_day
from app.core.errors import DomainError
from app.core.workflow import Action, Application, ApplicationType, AppStatus
from app.extensions import db
from app.property.filings import common
from app.property.filings.models import ContractFilingDue, ContractType, FeeMethod, ServiceContract
from app.property.models import PropertyArea
from app.system.models import Organization, Region

log = logging.getLogger(__name__)

SERVICE_CONTRACT_FILING = "service_contract_filing"
SUBJECT = "property_area"
OVERDUE_SOURCE = "property_contract_overdue"
FILES_LABEL = _l("Service contract filing documents")

CONTRACT_TYPE_LABELS = {ContractType.EARLY: _l("Early-stage (前期)"), ContractType.LATER: _l("Later-stage (后期)")}
FEE_METHOD_LABELS = {FeeMethod.LUMP_SUM: _l("Lump-sum (包干制)"), FeeMethod.COMMISSION: _l("Commission (酬金制)")}

LABELS = {
    "contract_type": _l("Property contract type"), "area": _l("Project name"),
    "client_name": _l("Appointing party"), "client_credit_code": _l("Appointing party's credit code"),
    "client_contact": _l("Appointing party's contact"), "client_phone": _l("Appointing party's phone"),
    "company_name": _l("Property service company"), "company_credit_code": _l("Company's credit code"),
    "company_legal_rep": _l("Company's legal representative"), "company_contact": _l("Company's contact"),
    "company_phone": _l("Company's phone"), "start_on": _l("Entrusted from"), "end_on": _l("Entrusted until"),
    "signed_on": _l("Contract signing date"), "service_content": _l("Service content"),
    "fee_method": _l("Charging method"), "residential_fee": _l("Residential service fee (yuan/m²·month)"),
    "non_residential_fee": _l("Non-residential service fee (yuan/m²·month)"),
    "parking_fee": _l("Parking space service fee"), "other_fees": _l("Other fees"),
}
#: What the business-application pages show, in this order (display texts, not codes).
PAYLOAD_LABELS = {
    "contract_type_text": LABELS["contract_type"], "area_name": LABELS["area"],
    "area_address": _l("Area address"), **{k: LABELS[k] for k in (
        "client_name", "client_credit_code", "client_contact", "client_phone", "company_name",
        "company_credit_code", "company_legal_rep", "company_contact", "company_phone", "start_on", "end_on",
        "signed_on")},
    "due_on": _l("Filing due date"), "service_content": LABELS["service_content"],
    "fee_method_text": LABELS["fee_method"], "residential_fee": LABELS["residential_fee"],
    "non_residential_fee": LABELS["non_residential_fee"], "parking_fee": LABELS["parking_fee"],
    "other_fees": LABELS["other_fees"],
}
PAYLOAD_MASKS = {"client_contact": "name", "company_contact": "name", "company_legal_rep": "name",
                 "client_phone": "mobile", "company_phone": "mobile"}


def contract_type_label(code):
    return str(CONTRACT_TYPE_LABELS.get(code, code or ""))


def fee_method_label(code):
    return str(FEE_METHOD_LABELS.get(code, code or ""))


# --- the deadline -------------------------------------------------------------------------------

def filing_days():
    from app.system.params import get_param

    return get_param("property.contract_filing_days")


def due_date(signed_on, days=None):
    """The last day to file: ``days`` (property.contract_filing_days) after signing; a last
    day that is a holiday or a rest day moves to the next working day."""
    due = signed_on + timedelta(days=filing_days() if days is None else days)
    while not is_working_day(due):
        due += timedelta(days=1)
    return due


def is_late(due_on, submitted_on):
    return submitted_on is not None and due_on is not None and submitted_on > due_on


def due_of(application, session=None):
    session = session or db.session
    return session.execute(select(ContractFilingDue).where(ContractFilingDue.application_id == application.id)
                           ).scalars().first()


# --- the area -------------------------------------------------------------------------------------

def _city_code(org):
    city = common.city_of(org.region) if org.region_code else None
    return city.code if city is not None else None


def _in_city(city_code):
    return PropertyArea.district_code.in_(select(Region.code).where(Region.parent_code == city_code))


def area_filing_hint():
    """The seed's note when the wanted area is not there, with the link to 物业区域备案."""
    return _("If the project is not in the list, file the property management area first (物业区域备案).")


def candidate_areas(actor, q="", limit=20, session=None):
    """Areas of the filer's city whose name contains ``q`` (the 项目名称 choice)."""
    session = session or db.session
    org = common.company_of(actor)
    city = _city_code(org)
    if city is None:
        return []
    stmt = select(PropertyArea).where(_in_city(city))
    q = (q or "").strip()[:64]
    if q:
        stmt = stmt.where(PropertyArea.name.contains(q))
    return session.execute(stmt.order_by(PropertyArea.name, PropertyArea.id).limit(limit)).scalars().all()


def find_area(actor, area_id=None, area_name=None, session=None):
    """The chosen area, by id (the page) or by its exact name (REST), inside the filer's city."""
    session = session or db.session
    org = common.company_of(actor)
    city = _city_code(org)
    missing = DomainError(_("%(field)s: %(message)s", field=LABELS["area"],
                            message=_("no such property management area in your city.")) + " " + area_filing_hint())
    if city is None:
        raise missing
    stmt = select(PropertyArea).where(_in_city(city))
    pk = common.positive_int(area_id)
    name = (area_name or "").strip() if isinstance(area_name, str) else ""
    if pk is not None:
        stmt = stmt.where(PropertyArea.id == pk)
    elif name:
        stmt = stmt.where(PropertyArea.name == name)
    else:
        raise common.field_error(LABELS["area"], _("please choose the property management area.") + " "
                                 + area_filing_hint())
    rows = session.execute(stmt.limit(2)).scalars().all()
    if not rows:
        raise missing
    if len(rows) > 1:
        raise common.field_error(LABELS["area"], _("several areas of your city have this name; choose it on the "
                                                   "page or give its id."))
    return rows[0]


def client_of(area, contract_type):
    """The 选聘单位 of a contract: the developer (前期) or the owners committee (后期, required)."""
    if contract_type == ContractType.LATER:
        if area.committee_org_id is None:
            raise DomainError(_("%(area)s has no filed owners committee, so a later-stage contract (appointed by "
                                "the owners' assembly) cannot be filed for it yet.", area=area.name))
        return area.committee
    return area.developer


def _profile(org_id):
    from app.property.enterprise import services as enterprise

    return enterprise.profile_of(org_id)


def initial_values(actor, area=None, contract_type=None):
    """What the form starts with: the company from the filer's organisation and its 企业信息备案
    profile; the appointing party from the area."""
    org = common.company_of(actor)
    profile = _profile(org.id)
    values = {
        "company_legal_rep": (profile.legal_rep if profile else None) or org.legal_rep,
        "company_contact": (profile.contact_name if profile else None) or org.contact_name,
        "company_phone": (profile.contact_mobile if profile else None) or org.contact_mobile,
    }
    if contract_type:
        values["contract_type"] = contract_type
    if area is not None:
        values["area_id"] = str(area.id)
        client = None
        try:
            client = client_of(area, contract_type or ContractType.EARLY)
        except DomainError:
            client = None
        if client is not None:
            values.update({"client_name": client.name, "client_contact": client.contact_name,
                           "client_phone": client.contact_mobile})
    return {k: v for k, v in values.items() if v}


# --- checking a filing ---------------------------------------------------------------------------

def clean(actor, data, area=None, today=None):
    """Check a filing's fields (a form or a JSON object): (area, payload). ``area`` fixes the
    area (a returned filing keeps it). The first broken rule raises DomainError."""
    data = data or {}
    today = today or date.today()
    org = common.company_of(actor)
    contract_type = common.choice(data, "contract_type", LABELS["contract_type"], ContractType.ALL)
    if area is None:
        area = find_area(actor, data.get("area_id"), data.get("area_name"))
    client = client_of(area, contract_type)
    payload = {"contract_type": contract_type, "contract_type_text": contract_type_label(contract_type),
               "area_id": area.id, "area_name": area.name, "area_address": area.address or ""}
    if client is not None:
        payload.update({"client_org_id": client.id, "client_name": client.name,
                        "client_credit_code": client.credit_code or ""})
    else:
        payload.update({"client_org_id": None,
                        "client_name": common.text(data, "client_name", LABELS["client_name"], 128, True),
                        "client_credit_code": common.text(data, "client_credit_code", LABELS["client_credit_code"],
                                                          32) or ""})
    payload["client_contact"] = common.person_name(data, "client_contact", LABELS["client_contact"], True)
    payload["client_phone"] = common.phone(data, "client_phone", LABELS["client_phone"], True)
    payload.update({"company_org_id": org.id, "company_name": org.name, "company_credit_code": org.credit_code or ""})
    payload["company_legal_rep"] = common.person_name(data, "company_legal_rep", LABELS["company_legal_rep"], True)
    payload["company_contact"] = common.person_name(data, "company_contact", LABELS["company_contact"], True)
    payload["company_phone"] = common.phone(data, "company_phone", LABELS["company_phone"], True)
    start = common.day(data, "start_on", LABELS["start_on"], required=True)
    end = common.day(data, "end_on", LABELS["end_on"], required=True)
    if end <= start:
        raise common.field_error(LABELS["end_on"], _("must be later than the start of the term"))
    signed = common.day(data, "signed_on", LABELS["signed_on"], required=True, not_future=True, today=today)
    payload.update({"start_on": start.isoformat(), "end_on": end.isoformat(), "signed_on": signed.isoformat(),
                    "due_on": due_date(signed).isoformat()})
    payload["service_content"] = common.text(data, "service_content", LABELS["service_content"], 2000, True)
    method = common.choice(data, "fee_method", LABELS["fee_method"], FeeMethod.ALL)
    payload.update({"fee_method": method, "fee_method_text": fee_method_label(method)})
    payload["residential_fee"] = common.fee(data, "residential_fee", LABELS["residential_fee"])
    payload["non_residential_fee"] = common.fee(data, "non_residential_fee", LABELS["non_residential_fee"])
    if payload["residential_fee"] is None and payload["non_residential_fee"] is None:
        raise common.field_error(LABELS["residential_fee"], _("give the residential or the non-residential fee"))
    payload["parking_fee"] = common.text(data, "parking_fee", LABELS["parking_fee"], 128)
    payload["other_fees"] = common.text(data, "other_fees", LABELS["other_fees"], 255)
    return area, payload


def form_values(payload):
    """A payload as the strings the form shows."""
    return {k: str(v) for k, v in (payload or {}).items() if v is not None and not isinstance(v, (dict, list))}


def _title(area, payload):
    return _("%(type)s property service contract: %(area)s", type=payload["contract_type_text"], area=area.name)


def open_filing(org_id, area_id, session=None, exclude=None):
    session = session or db.session
    stmt = select(Application).where(Application.app_type == SERVICE_CONTRACT_FILING, Application.org_id == org_id,
                                     Application.subject_type == SUBJECT, Application.subject_id == area_id,
                                     Application.status.in_(common.OPEN_STATUSES))
    if exclude is not None:
        stmt = stmt.where(Application.id != exclude)
    return session.execute(stmt.order_by(Application.id.desc()).limit(1)).scalars().first()


def _check_no_open(org_id, area, exclude=None):
    existing = open_filing(org_id, area.id, exclude=exclude)
    if existing is not None:
        raise DomainError(_("%(area)s already has your service contract filing %(number)s (%(status)s): change or "
                            "finish it instead of filing again.", area=area.name, number=existing.number,
                            status=existing.status_label))


def _set_due(application, payload, org_id, area):
    due = due_of(application)
    signed = date.fromisoformat(payload["signed_on"])
    if due is None:
        due = ContractFilingDue(application_id=application.id, org_id=org_id, region_code=area.region_code,
                                signed_on=signed, due_on=date.fromisoformat(payload["due_on"]))
        db.session.add(due)
    else:
        due.signed_on, due.due_on = signed, date.fromisoformat(payload["due_on"])
        due.region_code = area.region_code
    db.session.flush()
    return due


def file_contract(actor, data, files=None, submit=True, today=None):
    """A new filing: 保存 (draft, ``submit`` False) or 保存并提交."""
    org = common.company_of(actor)
    common.lock_org(org.id)
    area, payload = clean(actor, data, today=today)
    _check_no_open(org.id, area)
    application = workflow.create(
        SERVICE_CONTRACT_FILING, applicant=actor, title=_title(area, payload), org_id=org.id,
        region_code=area.region_code, payload=payload, subject=(SUBJECT, area.id))
    _set_due(application, payload, org.id, area)
    common.store_files(files, FILES_LABEL, application)
    if submit:
        workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def amend_contract(application, actor, data, files=None, submit=True, today=None):
    """Change a draft (save it again, or submit it) or a returned filing (resubmit it). A
    returned filing keeps its area (seed 003 §11)."""
    _check_type(application)
    common.check_may_change(application, actor)
    area = db.session.get(PropertyArea, application.subject_id)
    keep_area = application.status == AppStatus.RETURNED
    wanted = data.get("area_id") or data.get("area_name")
    if not keep_area and wanted:
        area = find_area(actor, data.get("area_id"), data.get("area_name"))
    elif keep_area and wanted:
        chosen = common.positive_int(data.get("area_id"))
        if (chosen is not None and chosen != area.id) or (data.get("area_name") and data.get("area_name") != area.name):
            raise DomainError(_("A returned application cannot change its property management area; terminate it "
                                "and file again instead."))
    area, payload = clean(actor, data, area=area, today=today)
    _check_no_open(application.org_id, area, exclude=application.id)
    application.payload = payload
    application.title = _title(area, payload)[:200]
    application.subject_id = area.id
    application.region_code = area.region_code
    _set_due(application, payload, application.org_id, area)
    common.store_files(files, FILES_LABEL, application)
    if application.status == AppStatus.RETURNED:
        workflow.transition(application, Action.RESUBMIT, actor)
    elif submit:
        workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def submit_contract(application, actor):
    """保存并提交 a draft as it was saved (its fields are checked again)."""
    _check_type(application)
    common.check_may_change(application, actor)
    if application.status != AppStatus.DRAFT:
        raise DomainError(_("Only a draft can be submitted; a returned application is changed and resubmitted."))
    area = db.session.get(PropertyArea, application.subject_id)
    clean(actor, application.payload or {}, area=area)
    workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def transition_filing(application, action, actor, reason=None):
    """Any other step: accept / approve / return / reject (reviewers), terminate (the applicant)."""
    _check_type(application)
    if action == Action.RESUBMIT:
        raise DomainError(_("Change the returned application and resubmit it from its form."))
    workflow.transition(application, action, actor, reason)
    db.session.commit()
    return application


def _check_type(application):
    if application is None or application.app_type != SERVICE_CONTRACT_FILING:
        raise DomainError(_("This is not a property service contract filing."))


# --- hooks (inside the transition) ----------------------------------------------------------------

def _submitted(application, actor):
    due = due_of(application)
    if due is None or due.submitted_late:
        return
    day = (application.submitted_at or datetime.now()).date()
    if is_late(due.due_on, day):
        due.submitted_late = True


def current_contract(area_id, session=None):
    session = session or db.session
    return session.execute(select(ServiceContract).where(ServiceContract.current_area_id == area_id)
                           ).scalars().first()


def _approved(application, actor):
    from app.property.areas import services as areas

    data = application.payload or {}
    area = db.session.get(PropertyArea, application.subject_id)
    if area is None:
        raise DomainError(_("The property management area of this filing no longer exists."))
    db.session.execute(update(PropertyArea.__table__).where(PropertyArea.__table__.c.id == area.id)
                       .values(contract_filed=PropertyArea.__table__.c.contract_filed)
                       .execution_options(synchronize_session=False))
    today = date.today()
    previous = current_contract(area.id)
    if previous is not None:
        previous.current_area_id = None
        previous.ended_on = today
        db.session.flush()
    if area.company_org_id != application.org_id:
        if area.lead_staff_id is not None:
            areas.change_lead(area, None, actor, note=_("The property service company changed."))
        area.company_org_id = application.org_id
        area.company = db.session.get(Organization, application.org_id)
    area.contract_filed = True
    db.session.add(ServiceContract(
        area_id=area.id, current_area_id=area.id, company_org_id=application.org_id,
        client_org_id=data.get("client_org_id"), contract_type=data["contract_type"],
        start_on=date.fromisoformat(data["start_on"]), end_on=date.fromisoformat(data["end_on"]),
        signed_on=date.fromisoformat(data["signed_on"]), fee_method=data.get("fee_method"),
        residential_fee=data.get("residential_fee"), non_residential_fee=data.get("non_residential_fee"),
        parking_fee=data.get("parking_fee"), other_fees=data.get("other_fees"),
        service_content=data.get("service_content"), application_id=application.id,
        region_code=area.region_code))
    db.session.flush()
    notices.notify(application.org_id, _("Service contract filing %(number)s was approved: %(area)s is now served "
                                         "by your company.", number=application.number, area=area.name),
                   link=common.link("ServiceContractFilingView.show", pk=application.id),
                   source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("Service contract filing %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=common.link("ServiceContractFilingView.show", pk=application.id),
                   source=("application", application.id))


def _rejected(application, actor):
    notices.notify(application.org_id, _("Service contract filing %(number)s was not approved: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=common.link("ServiceContractFilingView.show", pk=application.id),
                   source=("application", application.id))


def _edit_url(application):
    return common.link("ServiceContractFilingView.edit", pk=application.id)


def _subject_url(application):
    return common.link("ServiceContractFilingView.show", pk=application.id)


workflow.register_type(ApplicationType(
    code=SERVICE_CONTRACT_FILING, label=_l("Property service contract filing"), prefix="HT",
    decider_roles=("gov_reviewer",), on_submit=_submitted, on_approve=_approved, on_return=_returned,
    on_reject=_rejected, edit_url=_edit_url,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": PAYLOAD_MASKS},
))


def mask_payload(payload, full):
    return common.mask_payload(payload, PAYLOAD_MASKS, full)


# --- 逾期未备案 -------------------------------------------------------------------------------------

def overdue_facts(application, due):
    return _("Property service contract filing %(number)s (%(area)s) signed on %(signed)s was due by %(due)s "
             "(物业管理条例: within %(days)s days of signing).", number=application.number,
             area=(application.payload or {}).get("area_name", ""), signed=due.signed_on.isoformat(),
             due=due.due_on.isoformat(), days=filing_days())


def flag_overdue(today=None, session=None):
    """Flag, once each, the filings past their due day still a draft or returned, and those
    submitted late: one credit proposal each (feed() is idempotent by the application), one
    notice per enterprise. Returns {"flagged", "credit", "enterprises"}."""
    from app.credit.services import feed
    from app.system.params import get_param

    session = session or db.session
    today = today or date.today()
    rule = get_param("property.contract_overdue_rule")
    rows = session.execute(
        select(ContractFilingDue, Application).join(Application, Application.id == ContractFilingDue.application_id)
        .where(ContractFilingDue.flagged_on.is_(None),
               or_(ContractFilingDue.submitted_late.is_(True),
                   and_(ContractFilingDue.due_on < today,
                        Application.status.in_((AppStatus.DRAFT, AppStatus.RETURNED)))))
        .order_by(ContractFilingDue.due_on, ContractFilingDue.id).limit(5000)).all()
    flagged = credit = 0
    by_org = {}
    moment = datetime.combine(today, datetime.min.time()).replace(hour=2)
    for due, application in rows:
        due.flagged_on = today
        flagged += 1
        by_org.setdefault(due.org_id, []).append(application.number)
        try:
            with session.begin_nested():
                feed(OVERDUE_SOURCE, str(application.id), due.org_id, rule, overdue_facts(application, due),
                     event_date=min(due.due_on + timedelta(days=1), today), region_code=due.region_code,
                     session=session, moment=moment)
            credit += 1
        except DomainError as exc:
            log.warning("overdue contract filing %s not fed to credit: %s", application.number, exc)
    for org_id, numbers in by_org.items():
        notices.notify(org_id, _("%(n)s property service contract filings were not filed in time",
                                 n=len(numbers)), "、".join(numbers[:50]),
                       link=common.link("ServiceContractFilingView.index"), source=(OVERDUE_SOURCE, None),
                       session=session)
    session.commit()
    return {"flagged": flagged, "credit": credit, "enterprises": len(by_org)}
