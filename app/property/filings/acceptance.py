"""物业承接查验备案 (seed 004 物业服务企业 8; SPEC §7).

Before taking over a new area, the property company and the developer inspect its common
parts and equipment together; the company files the result as a business application of
type ``acceptance_filing`` (numbers CJ...):

* only for an area whose current filed service contract (ServiceContract) is the filer's
  (the seed: 如项目名称的选择中没有需要承接查验备案的项目，则需要先做物业服务合同备案业务);
* 基本情况 (承接查验日期, 查验范围, 查验结论, 遗留问题及处理), both parties (the area's
  开发建设单位 and the filer, contacts and phones), the 移交资料 checklist (:data:`HANDOVER_ITEMS`:
  已移交/未移交, 份数, 备注), the equipment workbook (the 设施设备 import template; rows of the
  seed's rules, checked by care's validate_import_rows, waiting in anju_acceptance_equipment),
  要件;
* approval moves the staged equipment into 设施设备管理 for the area and the filer, all or
  nothing, once.
"""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.core import notices, workflow
from app.core.errors import DomainError
from app.core.workflow import Action, Application, ApplicationType, AppStatus
from app.extensions import db
from app.property.filings import common
from app.property.filings.contracts import current_contract
from app.property.filings.models import AcceptanceEquipment, ServiceContract
from app.property.models import PropertyArea

ACCEPTANCE_FILING = "acceptance_filing"
SUBJECT = "property_area"
FILES_LABEL = _l("Acceptance inspection filing documents")


def needs_contract():
    """The seed's note when the wanted area is not offered."""
    return _("If the project is not in the list, file its property service contract first (物业服务合同备案).")


HANDED, NOT_HANDED = "handed", "not_handed"
HANDOVER_STATUS_LABELS = {HANDED: _l("Handed over"), NOT_HANDED: _l("Not handed over")}
HANDOVER_ITEMS = [
    ("site_plan", _l("As-built general site plan")),
    ("building_drawings", _l("As-built drawings of buildings, structures and equipment")),
    ("network_drawings", _l("As-built drawings of supporting facilities and underground pipe networks")),
    ("equipment_docs", _l("Technical documents on installing, using and maintaining facilities and equipment")),
    ("warranty_docs", _l("Property quality warranty and instructions for use")),
    ("owner_roster", _l("Register of owners")),
    ("other", _l("Other")),
]
MAX_COPIES = 100000

LABELS = {
    "area": _l("Project name"), "inspected_on": _l("Acceptance inspection date"),
    "inspection_scope": _l("Scope of the inspection"), "conclusion": _l("Inspection conclusion"),
    "issues": _l("Outstanding problems and their handling"),
    "developer_name": _l("Developer"), "developer_contact": _l("Developer's contact"),
    "developer_phone": _l("Developer's phone"), "company_name": _l("Property service company"),
    "company_contact": _l("Company's contact"), "company_phone": _l("Company's phone"),
    "equipment_count": _l("Facilities and equipment (rows)"),
}
PAYLOAD_LABELS = {"area_name": LABELS["area"], **{k: v for k, v in LABELS.items() if k != "area"}}
for _code, _label in HANDOVER_ITEMS:
    PAYLOAD_LABELS[f"handover_{_code}"] = _label
PAYLOAD_MASKS = {"developer_contact": "name", "company_contact": "name", "developer_phone": "mobile",
                 "company_phone": "mobile"}


def handover_status_label(code):
    return str(HANDOVER_STATUS_LABELS.get(code, code or ""))


# --- the area -------------------------------------------------------------------------------------

def filable_areas(actor, session=None):
    """The areas whose current filed service contract is the filer's (the 项目名称 choice)."""
    session = session or db.session
    org = common.company_of(actor)
    return session.execute(
        select(PropertyArea).join(ServiceContract, ServiceContract.current_area_id == PropertyArea.id)
        .where(ServiceContract.company_org_id == org.id).order_by(PropertyArea.name).limit(500)).scalars().all()


def find_area(actor, area_id=None, area_name=None, session=None):
    """The chosen area if its current filed contract is the filer's, else DomainError (the seed's note)."""
    session = session or db.session
    org = common.company_of(actor)
    pk = common.positive_int(area_id)
    name = area_name.strip() if isinstance(area_name, str) else ""
    if pk is None and not name:
        raise common.field_error(LABELS["area"], _("please choose the property management area.") + " "
                                 + needs_contract())
    stmt = select(PropertyArea).join(ServiceContract, ServiceContract.current_area_id == PropertyArea.id) \
        .where(ServiceContract.company_org_id == org.id)
    stmt = stmt.where(PropertyArea.id == pk) if pk is not None else stmt.where(PropertyArea.name == name)
    rows = session.execute(stmt.limit(2)).scalars().all()
    if len(rows) != 1:
        raise DomainError(_("%(field)s: %(message)s", field=LABELS["area"],
                            message=_("your company has no filed service contract for this area.")) + " "
                          + needs_contract())
    return rows[0]


def check_contract(area, org_id):
    contract = current_contract(area.id)
    if contract is None or contract.company_org_id != org_id:
        raise DomainError(_("%(area)s is no longer served under a filed service contract of your company.",
                            area=area.name) + " " + needs_contract())
    return contract


def initial_values(actor, area=None):
    from app.property.enterprise import services as enterprise

    org = common.company_of(actor)
    profile = enterprise.profile_of(org.id)
    values = {"company_contact": (profile.contact_name if profile else None) or org.contact_name,
              "company_phone": (profile.contact_mobile if profile else None) or org.contact_mobile}
    if area is not None:
        values["area_id"] = str(area.id)
        if area.developer is not None:
            values.update({"developer_contact": area.developer.contact_name,
                           "developer_phone": area.developer.contact_mobile})
    for code, _label in HANDOVER_ITEMS:
        values.setdefault(f"handover_{code}_status", NOT_HANDED)
    return {k: v for k, v in values.items() if v}


# --- checking a filing -------------------------------------------------------------------------------

def _handover(data, code, label):
    status = str(data.get(f"handover_{code}_status") or "").strip() or NOT_HANDED
    if status not in HANDOVER_STATUS_LABELS:
        raise common.field_error(label, _("please choose handed over or not handed over"))
    raw = str(data.get(f"handover_{code}_copies") or "").strip()
    copies = None
    if raw:
        if not raw.isdigit() or int(raw) > MAX_COPIES:
            raise common.field_error(label, _("the number of copies is a whole number"))
        copies = int(raw)
    if status == HANDED and not copies:
        raise common.field_error(label, _("give the number of copies handed over"))
    note = common.text(data, f"handover_{code}_note", label, 255)
    if code == "other" and status == HANDED and not note:
        raise common.field_error(label, _("say in the note what was handed over"))
    return {"code": code, "status": status, "copies": copies if status == HANDED else None, "note": note}


def _handover_text(item):
    parts = [handover_status_label(item["status"])]
    if item["copies"]:
        parts.append(_("%(n)s copies", n=item["copies"]))
    if item["note"]:
        parts.append(item["note"])
    return "，".join(parts)


def clean(actor, data, area=None, today=None):
    """Check a filing's fields: (area, payload); the first broken rule raises DomainError."""
    data = data or {}
    org = common.company_of(actor)
    if area is None:
        area = find_area(actor, data.get("area_id"), data.get("area_name"))
    check_contract(area, org.id)
    payload = {"area_id": area.id, "area_name": area.name}
    payload["inspected_on"] = common.day(data, "inspected_on", LABELS["inspected_on"], required=True,
                                         not_future=True, today=today).isoformat()
    payload["inspection_scope"] = common.text(data, "inspection_scope", LABELS["inspection_scope"], 2000, True)
    payload["conclusion"] = common.text(data, "conclusion", LABELS["conclusion"], 2000, True)
    payload["issues"] = common.text(data, "issues", LABELS["issues"], 2000)
    developer = area.developer
    payload["developer_org_id"] = developer.id if developer is not None else None
    payload["developer_name"] = developer.name if developer is not None else \
        common.text(data, "developer_name", LABELS["developer_name"], 128, True)
    payload["developer_contact"] = common.person_name(data, "developer_contact", LABELS["developer_contact"], True)
    payload["developer_phone"] = common.phone(data, "developer_phone", LABELS["developer_phone"], True)
    payload.update({"company_org_id": org.id, "company_name": org.name})
    payload["company_contact"] = common.person_name(data, "company_contact", LABELS["company_contact"], True)
    payload["company_phone"] = common.phone(data, "company_phone", LABELS["company_phone"], True)
    items = [_handover(data, code, label) for code, label in HANDOVER_ITEMS]
    payload["handover"] = items
    for item in items:
        payload[f"handover_{item['code']}"] = _handover_text(item)
    return area, payload


def form_values(payload):
    values = {k: str(v) for k, v in (payload or {}).items() if v is not None and not isinstance(v, (dict, list))}
    for item in (payload or {}).get("handover") or []:
        values[f"handover_{item['code']}_status"] = item["status"]
        if item.get("copies"):
            values[f"handover_{item['code']}_copies"] = str(item["copies"])
        if item.get("note"):
            values[f"handover_{item['code']}_note"] = item["note"]
    return values


def _title(area):
    return _("Acceptance inspection filing: %(area)s", area=area.name)


def open_filing(org_id, area_id, exclude=None, session=None):
    session = session or db.session
    stmt = select(Application).where(Application.app_type == ACCEPTANCE_FILING, Application.org_id == org_id,
                                     Application.subject_type == SUBJECT, Application.subject_id == area_id,
                                     Application.status.in_(common.OPEN_STATUSES))
    if exclude is not None:
        stmt = stmt.where(Application.id != exclude)
    return session.execute(stmt.limit(1)).scalars().first()


def _check_no_open(org_id, area, exclude=None):
    existing = open_filing(org_id, area.id, exclude=exclude)
    if existing is not None:
        raise DomainError(_("%(area)s already has your acceptance inspection filing %(number)s (%(status)s): "
                            "change or finish it instead of filing again.", area=area.name,
                            number=existing.number, status=existing.status_label))


def staged_count(application, session=None):
    session = session or db.session
    return session.execute(select(func.count(AcceptanceEquipment.id))
                           .where(AcceptanceEquipment.application_id == application.id)).scalar() or 0


def staged_rows(application, limit=None, session=None):
    session = session or db.session
    stmt = select(AcceptanceEquipment).where(AcceptanceEquipment.application_id == application.id) \
        .order_by(AcceptanceEquipment.row_no, AcceptanceEquipment.id)
    if limit:
        stmt = stmt.limit(limit)
    return session.execute(stmt).scalars().all()


def _need_equipment(application):
    if staged_count(application) == 0:
        raise DomainError(_("Import the facilities and equipment (设施设备) of the area before submitting."))


def file_acceptance(actor, data, files=None, submit=False, today=None):
    """A new filing, saved as a draft (the equipment is imported into it next), or submitted
    when ``submit`` (refused without equipment)."""
    org = common.company_of(actor)
    common.lock_org(org.id)
    area, payload = clean(actor, data, today=today)
    _check_no_open(org.id, area)
    payload["equipment_count"] = 0
    application = workflow.create(ACCEPTANCE_FILING, applicant=actor, title=_title(area), org_id=org.id,
                                  region_code=area.region_code, payload=payload, subject=(SUBJECT, area.id))
    common.store_files(files, FILES_LABEL, application)
    if submit:
        _need_equipment(application)
        workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def amend_acceptance(application, actor, data, files=None, submit=False, today=None):
    """Change a draft (save, or submit) or a returned filing (resubmit); the area stays."""
    _check_type(application)
    common.check_may_change(application, actor)
    area = db.session.get(PropertyArea, application.subject_id)
    chosen = common.positive_int(data.get("area_id"))
    if chosen is not None and chosen != area.id:
        raise DomainError(_("A saved acceptance inspection filing cannot change its property management area; "
                            "terminate it and file again instead."))
    area, payload = clean(actor, data, area=area, today=today)
    payload["equipment_count"] = staged_count(application)
    application.payload = payload
    common.store_files(files, FILES_LABEL, application)
    if application.status == AppStatus.RETURNED:
        _need_equipment(application)
        workflow.transition(application, Action.RESUBMIT, actor)
    elif submit:
        _need_equipment(application)
        workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def submit_acceptance(application, actor):
    _check_type(application)
    common.check_may_change(application, actor)
    if application.status != AppStatus.DRAFT:
        raise DomainError(_("Only a draft can be submitted; a returned application is changed and resubmitted."))
    area = db.session.get(PropertyArea, application.subject_id)
    check_contract(area, application.org_id)
    _need_equipment(application)
    workflow.transition(application, Action.SUBMIT, actor)
    db.session.commit()
    return application


def transition_filing(application, action, actor, reason=None):
    _check_type(application)
    if action == Action.RESUBMIT:
        raise DomainError(_("Change the returned application and resubmit it from its form."))
    workflow.transition(application, action, actor, reason)
    db.session.commit()
    return application


def _check_type(application):
    if application is None or application.app_type != ACCEPTANCE_FILING:
        raise DomainError(_("This is not an acceptance inspection filing."))


# --- the equipment workbook ------------------------------------------------------------------------

EQUIPMENT_KEYS = ("building", "unit", "equip_type", "code", "name", "model", "manufacturer", "installed_on",
                  "maintenance_company", "status")


def check_equipment_rows(application, rows, actor):
    """care's checks of an equipment workbook (the seed's 楼栋名称 / 单元/梯 rules, types,
    dates, duplicates in the file and in the area), plus: every row is of this filing's area."""
    from app.property.care.imports import validate_import_rows

    area = db.session.get(PropertyArea, application.subject_id)
    errors = []
    for r in rows:
        name = (r.get("area") or "").strip()
        if name and name != area.name:
            errors.append((r["_row"], "area", _("The equipment must be in the area of this filing: %(area)s",
                                                area=area.name)))
    wrong = {e[0] for e in errors}
    errors.extend(validate_import_rows([r for r in rows if r["_row"] not in wrong], actor))
    return errors


def stage_equipment(application, rows, actor):
    """Keep the checked rows of a workbook for the filing, replacing what an earlier import
    staged (the caller has checked them with :func:`check_equipment_rows`). Returns the count."""
    _check_type(application)
    common.check_may_change(application, actor)
    db.session.execute(delete(AcceptanceEquipment).where(AcceptanceEquipment.application_id == application.id))
    for r in rows:
        db.session.add(AcceptanceEquipment(application_id=application.id, row_no=r["_row"],
                                           **{k: r.get(k) for k in EQUIPMENT_KEYS}))
    payload = dict(application.payload or {})
    payload["equipment_count"] = len(rows)
    application.payload = payload
    db.session.flush()
    return len(rows)


def _move_equipment(application, actor):
    """Insert the staged rows into 设施设备管理 (care's import_rows), all or nothing."""
    from app.property.care.imports import import_rows, validate_import_rows

    area = db.session.get(PropertyArea, application.subject_id)
    applicant = application.applicant
    rows = []
    for s in staged_rows(application):
        row = {k: getattr(s, k) for k in EQUIPMENT_KEYS}
        row.update({"_row": s.row_no, "area": area.name})
        rows.append(row)
    if not rows:
        return 0
    errors = validate_import_rows(rows, applicant, on=date.today())
    if errors:
        row, _key, message = errors[0]
        raise DomainError(_("The equipment cannot be moved into 设施设备管理 (row %(row)s: %(message)s); return "
                            "the filing so that the company imports it again.", row=row, message=message))
    return import_rows(rows, applicant)


# --- hooks ----------------------------------------------------------------------------------------

def _approved(application, actor):
    area = db.session.get(PropertyArea, application.subject_id)
    check_contract(area, application.org_id)
    count = _move_equipment(application, actor)
    notices.notify(application.org_id, _("Acceptance inspection filing %(number)s was approved: %(n)s items of "
                                         "equipment are now in 设施设备管理.", number=application.number, n=count),
                   link=common.link("AcceptanceFilingView.show", pk=application.id),
                   source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("Acceptance inspection filing %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=common.link("AcceptanceFilingView.show", pk=application.id),
                   source=("application", application.id))


def _rejected(application, actor):
    notices.notify(application.org_id, _("Acceptance inspection filing %(number)s was not approved: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=common.link("AcceptanceFilingView.show", pk=application.id),
                   source=("application", application.id))


def _edit_url(application):
    return common.link("AcceptanceFilingView.edit", pk=application.id)


workflow.register_type(ApplicationType(
    code=ACCEPTANCE_FILING, label=_l("Acceptance inspection filing"), prefix="CJ",
    decider_roles=("gov_reviewer",), on_approve=_approved, on_return=_returned, on_reject=_rejected,
    edit_url=_edit_url, extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": PAYLOAD_MASKS},
))


def mask_payload(payload, full):
    return common.mask_payload(payload, PAYLOAD_MASKS, full)


def import_workbook(application, actor, data, max_bytes, max_rows):
    """Read an equipment workbook into the filing, all or nothing: ``(result, count)`` where
    ``count`` is None when ``result.errors`` lists problems (nothing was kept)."""
    from app.core import xlsx
    from app.property.care.imports import EQUIPMENT_COLUMNS

    _check_type(application)
    common.check_may_change(application, actor)
    result = xlsx.read_import(data, EQUIPMENT_COLUMNS, max_bytes=max_bytes, max_rows=max_rows)
    file_sound = not any(e.row is None and e.key != xlsx.MORE_PROBLEMS for e in result.errors)
    if file_sound:
        xlsx.add_problems(result, check_equipment_rows(application, result.rows, actor), EQUIPMENT_COLUMNS)
    if result.errors:
        db.session.rollback()
        return result, None
    count = stage_equipment(application, result.rows, actor)
    db.session.commit()
    return result, count
