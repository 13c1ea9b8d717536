"""物业区域备案 and 物业管理区域信息变更 (seed 004 开发建设单位 2, 物业服务企业 6; seed 003 §16).

One business application type, ``area_filing`` (prefix QY, app/core/workflow.py), in two modes:

* ``new``: a developer (dev_admin) or a property company (ent_admin) files an area that the
  console does not know yet. On approval the area exists: its developer is the filing developer,
  or, for a company's filing, the registered developer it chose (none when the developer cannot
  be found or no longer exists: the seed's case), and its company the filing company.
* ``change``: the filer picks one of its own areas (the org scope, ``org_area_ids``) and changes
  its fields (e.g. fills in a missing 街道). Approval applies only the fields that the filing
  changed (compared with the area when it was saved), and the audit log records it.

保存 keeps a draft (only the fields filled in are checked); 保存并提交 checks everything (the
``on_submit`` hook runs the same checks, whichever page or API submits); the reviewer's 受理 →
审核通过 / 退回 / 不予通过 happen on the generic business-application pages; a returned filing
is changed and resubmitted (重新提交) or terminated.

The application's subject is the area (``property_area``): set at once for a change, on approval
for a new area. ``region_code`` is the area's (or the chosen street's, else district's), so the
district and street reviewers see it. Every function takes the acting user and raises
DomainError with a Chinese message; the caller commits.
"""
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, notices, uploads, workflow
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import prefix_range, scope_clause
from app.core.workflow import Action, Application, ApplicationType, AppStatus
from app.extensions import db
from app.property.areas import services as area_services
from app.property.areas.models import PropertyArea, org_area_ids
from app.system import dicts
from app.system.models import Organization, OrgType, Region

AREA_FILING = "area_filing"
SUBJECT = "property_area"
MODE_NEW, MODE_CHANGE = "new", "change"
#: A filing in one of these states occupies its area (or its name in the district).
OPEN_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)
#: A submitted filing holds its area's name in the district (a draft does not: it may never be sent).
NAME_BLOCKING = (AppStatus.SUBMITTED, AppStatus.ACCEPTED, AppStatus.RETURNED)
FILES_LABEL = _l("Area filing documents")
MAX_AREA = Decimal("9999999999.99")
MAX_BUILDINGS = 100000

LABELS = {
    "area_name": _l("Property management area name"), "district_code": _l("Administrative division"),
    "street_code": _l("Street"), "community_code": _l("Community"), "property_type": _l("Property type"),
    "address": _l("Address"), "boundaries": _l("Boundaries"), "land_area": _l("Land area (m²)"),
    "building_area": _l("Building area (m²)"), "building_count": _l("Number of buildings"),
    "developer_org_id": _l("Developer"), "files": _l("Documents"),
}
REQUIRED = ("area_name", "district_code", "property_type", "address", "land_area", "building_area",
            "building_count")
#: The fields a filing sets on the area (payload key -> column).
AREA_COLUMNS = {"area_name": "name", "district_code": "district_code", "street_code": "street_code",
                "community_code": "community_code", "property_type": "property_type", "address": "address",
                "boundaries": "boundaries", "land_area": "land_area", "building_area": "building_area",
                "building_count": "building_count", "developer_org_id": "developer_org_id"}
MODE_LABELS = {MODE_NEW: _l("Property area filing"), MODE_CHANGE: _l("Property area information change")}

# What the business-application pages and the 申请表 show (display texts kept in the payload).
PAYLOAD_LABELS = {
    "mode_text": _l("Filing type"), "area_name": _l("Property management area name"),
    "region_text": _l("Administrative division / street / community"), "property_type_text": _l("Property type"),
    "address": _l("Address"), "boundaries": _l("Boundaries"), "land_area": _l("Land area (m²)"),
    "building_area": _l("Building area (m²)"), "building_count": _l("Number of buildings"),
    "developer_text": _l("Developer"), "changes_text": _l("Changes"),
}


def _field_error(key, message):
    return DomainError(_("%(field)s: %(message)s", field=LABELS[key], message=message))


def _text(value):
    if value is None or isinstance(value, bool):
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip() if not isinstance(value, str) else value.strip()


# --- who files ---------------------------------------------------------------------------------

def filer_org(actor):
    """The developer or property company an administrator files for; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.ENTERPRISE \
            or org.enterprise_type not in ("developer", "property_company"):
        raise DomainError(_("Only the administrators of a developer or a property service company may file "
                            "property management areas."))
    return org


def is_developer(org):
    return org is not None and org.enterprise_type == "developer"


def developers(session=None):
    """The registered developers a company may name (active, approved), by name."""
    session = session or db.session
    return session.execute(
        select(Organization.id, Organization.name).where(
            Organization.org_type == OrgType.ENTERPRISE, Organization.enterprise_type == "developer",
            Organization.active.is_(True), Organization.review_status == "approved")
        .order_by(Organization.name).limit(5000)).all()


def my_areas(actor, session=None):
    """The areas the filer may change (those it serves or built), by name."""
    session = session or db.session
    org = filer_org(actor)
    return session.execute(select(PropertyArea).where(PropertyArea.id.in_(org_area_ids(org.id)))
                           .order_by(PropertyArea.name, PropertyArea.id)).scalars().all()


# --- the fields ---------------------------------------------------------------------------------

def _number(key, raw, whole=False):
    text = _text(raw).replace(",", "")
    if isinstance(raw, bool):
        raise _field_error(key, _("a number is expected"))
    if not text:
        return None
    if whole:
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not re.fullmatch(r"\d+", text) or int(text) < 1:
            raise _field_error(key, _("a whole number of 1 or more"))
        if int(text) > MAX_BUILDINGS:
            raise _field_error(key, _("the number is too large"))
        return int(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _field_error(key, _("a positive number of square metres with at most two decimals"))
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:
        raise _field_error(key, _("a positive number of square metres with at most two decimals"))
    if value > MAX_AREA:
        raise _field_error(key, _("the number is too large"))
    return str(value.quantize(Decimal("0.01")))


def _region(key, code, level, session):
    if not code:
        return None
    region = session.get(Region, code)
    if region is None or region.level != level:
        raise _field_error(key, _("please choose from the list"))
    return region


def clean(data, org, strict, session=None):
    """Check a filing's fields (a form or a JSON object) and return the payload's values.

    ``strict`` (保存并提交): every required field must be there; a draft (保存) checks only
    what is filled in, so that nothing typed is lost. Raises DomainError naming the field."""
    session = session or db.session
    data = data or {}
    out = {}
    name = _text(data.get("area_name", data.get("name")))
    if len(name) > 128:
        raise _field_error("area_name", _("at most %(n)s characters", n=128))
    out["area_name"] = name or None
    district = _region("district_code", _text(data.get("district_code")), "district", session)
    street = _region("street_code", _text(data.get("street_code")), "street", session)
    community = _region("community_code", _text(data.get("community_code")), "community", session)
    if street is not None and (district is None or not street.code.startswith(district.code)):
        raise DomainError(_("The street does not lie in the chosen district."))
    if community is not None and (street is None or not community.code.startswith(street.code)):
        raise DomainError(_("The community does not lie in the chosen street."))
    out["district_code"] = district.code if district else None
    out["street_code"] = street.code if street else None
    out["community_code"] = community.code if community else None
    ptype = _text(data.get("property_type"))
    if ptype and ptype not in dict(dicts.items("property_type")):
        raise _field_error("property_type", _("please choose from the list"))
    out["property_type"] = ptype or None
    for key, limit in (("address", 255), ("boundaries", 1000)):
        value = _text(data.get(key))
        if len(value) > limit:
            raise _field_error(key, _("at most %(n)s characters", n=limit))
        out[key] = value or None
    out["land_area"] = _number("land_area", data.get("land_area"))
    out["building_area"] = _number("building_area", data.get("building_area"))
    out["building_count"] = _number("building_count", data.get("building_count"), whole=True)
    out["developer_org_id"] = _developer(data.get("developer_org_id"), org, session)
    if strict:
        for key in REQUIRED:
            if out.get(key) in (None, ""):
                raise _field_error(key, _("is required"))
    return out


def _developer(raw, org, session):
    """A developer filing names itself; a company names a registered developer or none."""
    if is_developer(org):
        return org.id
    text = _text(raw)
    if not text or text in ("0", "none"):
        return None
    if not text.isdigit() or len(text) > 9:
        raise _field_error("developer_org_id", _("please choose from the list"))
    dev = session.get(Organization, int(text))
    if dev is None or dev.org_type != OrgType.ENTERPRISE or dev.enterprise_type != "developer":
        raise _field_error("developer_org_id", _("please choose from the list"))
    return dev.id


def _region_text(values, session):
    names = [session.get(Region, values[k]).name for k in ("district_code", "street_code", "community_code")
             if values.get(k) and session.get(Region, values[k]) is not None]
    return " / ".join(names)


def _developer_text(dev_id, session):
    if not dev_id:
        return str(_("None (the developer cannot be found or no longer exists)"))
    dev = session.get(Organization, dev_id)
    return dev.name if dev is not None else str(dev_id)


def _current_values(area):
    """An area's fields as payload values (strings as a filing keeps them)."""
    def num(v):
        return None if v is None else str(Decimal(v).quantize(Decimal("0.01")))
    return {"area_name": area.name, "district_code": area.district_code, "street_code": area.street_code,
            "community_code": area.community_code, "property_type": area.property_type,
            "address": area.address, "boundaries": area.boundaries, "land_area": num(area.land_area),
            "building_area": num(area.building_area), "building_count": area.building_count,
            "developer_org_id": area.developer_org_id}


def _shown(key, value, session):
    if value in (None, ""):
        return str(_("(empty)"))
    if key in ("district_code", "street_code", "community_code"):
        region = session.get(Region, value)
        return region.name if region else value
    if key == "property_type":
        return dicts.label("property_type", value)
    if key == "developer_org_id":
        return _developer_text(value, session)
    return str(value)


def _payload(mode, values, org, area=None, session=None):
    """The application's payload: the values, the changed keys (a change) and display texts."""
    session = session or db.session
    payload = dict(values)
    payload["mode"] = mode
    payload["mode_text"] = str(MODE_LABELS[mode])
    payload["region_text"] = _region_text(values, session)
    payload["property_type_text"] = dicts.label("property_type", values["property_type"]) \
        if values.get("property_type") else None
    payload["developer_text"] = _developer_text(values.get("developer_org_id"), session)
    if area is not None:
        before = _current_values(area)
        if not is_developer(org) and values.get("developer_org_id") is None and before["developer_org_id"]:
            # A company that leaves the developer empty does not take it off the area.
            values["developer_org_id"] = payload["developer_org_id"] = before["developer_org_id"]
            payload["developer_text"] = _developer_text(before["developer_org_id"], session)
        if is_developer(org):
            values["developer_org_id"] = payload["developer_org_id"] = before["developer_org_id"] or org.id
        changed = [k for k in AREA_COLUMNS if values.get(k) is not None and values.get(k) != before.get(k)]
        payload["area_id"] = area.id
        payload["changed"] = changed
        payload["changes_text"] = "；".join(
            f"{LABELS[k]}：{_shown(k, before.get(k), session)} → {_shown(k, values.get(k), session)}"
            for k in changed) or None
    return {k: v for k, v in payload.items() if v is not None or k in ("changed",)}


def _title(mode, values, area=None):
    name = values.get("area_name") or (area.name if area is not None else "") or str(_("(no name yet)"))
    return _("%(type)s: %(name)s", type=MODE_LABELS[mode], name=name)


def _region_of(values, area=None):
    if area is not None and not values.get("district_code"):
        return area.region_code
    return values.get("street_code") or values.get("district_code") or (area.region_code if area else None)


# --- rules across rows ---------------------------------------------------------------------------

def duplicate_problem(name, district_code, exclude_area_id=None, exclude_app_id=None, session=None):
    """Why ``name`` cannot be used in the district (an area or an open new-area filing has it), or None."""
    session = session or db.session
    if not name or not district_code:
        return None
    stmt = select(PropertyArea.id).where(PropertyArea.name == name,
                                         PropertyArea.district_code == district_code)
    if exclude_area_id:
        stmt = stmt.where(PropertyArea.id != exclude_area_id)
    if session.execute(stmt.limit(1)).first():
        return _("A property management area named %(name)s already exists in %(district)s; choose another name "
                 "or file a change of the existing area.", name=name, district=_shown("district_code", district_code,
                                                                                     session))
    others = _open_named(name, district_code, exclude_app_id, session)
    if others:
        return _("The area filing %(number)s for %(name)s in %(district)s is already in progress.",
                 number=others.number, name=name, district=_shown("district_code", district_code, session))
    return None


def _open_named(name, district_code, exclude_app_id, session):
    """An open filing (not ``exclude_app_id``) that would give an area this name in this district."""
    rows = session.execute(select(Application).where(
        Application.app_type == AREA_FILING, Application.status.in_(NAME_BLOCKING),
        Application.id != (exclude_app_id or 0), prefix_range(Application.region_code, district_code))
        .order_by(Application.id).limit(2000)).scalars().all()
    for other in rows:
        p = other.payload or {}
        if p.get("mode") == MODE_CHANGE and "area_name" not in (p.get("changed") or []) \
                and "district_code" not in (p.get("changed") or []):
            continue
        if (p.get("area_name") or "").lower() == name.lower() and p.get("district_code") == district_code:
            return other
    return None


def open_filing_of_area(area_id, exclude_app_id=None, session=None):
    session = session or db.session
    return session.execute(select(Application).where(
        Application.app_type == AREA_FILING, Application.subject_type == SUBJECT, Application.subject_id == area_id,
        Application.status.in_(OPEN_STATUSES), Application.id != (exclude_app_id or 0))
        .order_by(Application.id.desc()).limit(1)).scalars().first()


def _check_whole(application, session):
    """Everything 保存并提交 needs: the fields, the documents, no duplicate (run on submit)."""
    payload = application.payload or {}
    org = session.get(Organization, application.org_id)
    values = clean(payload, org, strict=True, session=session)
    area = None
    if payload.get("mode") == MODE_CHANGE:
        area = session.get(PropertyArea, payload.get("area_id"))
        if area is None:
            raise DomainError(_("The property management area no longer exists."))
        if not payload.get("changed"):
            raise DomainError(_("Nothing was changed: change at least one field of the area."))
    problem = duplicate_problem(values["area_name"], values["district_code"],
                                exclude_area_id=area.id if area else None, exclude_app_id=application.id,
                                session=session)
    if problem and (area is None or "area_name" in payload.get("changed", [])
                    or "district_code" in payload.get("changed", [])):
        raise DomainError(problem)
    if not uploads.files_of(application):
        raise _field_error("files", _("upload at least one document"))


# --- create, save, submit, amend -------------------------------------------------------------------

def _lock(org, session):
    """Serialise one filer's writes (PostgreSQL row lock; SQLite locks on the first write)."""
    session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())


def _area_for_change(actor, area_id, session):
    org = filer_org(actor)
    text = _text(area_id)
    if not text.isdigit() or len(text) > 9:
        raise DomainError(_("Please choose one of your property management areas."))
    area = session.execute(select(PropertyArea).where(PropertyArea.id == int(text),
                                                      PropertyArea.id.in_(org_area_ids(org.id)))).scalars().first()
    if area is None:
        raise DomainError(_("Please choose one of your property management areas."))
    return area


def change_values(area):
    """What the change form starts with: the area's fields as they are."""
    values = _current_values(area)
    values["area_id"] = area.id
    return {k: ("" if v is None else str(v)) for k, v in values.items()}


def _store_files(files):
    files = [f for f in (files or []) if f]
    return uploads.save_many(files, label=str(FILES_LABEL)) if files else []


def create(actor, data, files=None, submit=False, session=None):
    """A new filing (保存: a draft; 保存并提交: submitted). ``data["mode"]`` is new or change
    (with ``area_id``)."""
    session = session or db.session
    org = filer_org(actor)
    _lock(org, session)
    mode = MODE_CHANGE if _text((data or {}).get("mode")) == MODE_CHANGE else MODE_NEW
    area = _area_for_change(actor, (data or {}).get("area_id"), session) if mode == MODE_CHANGE else None
    if area is not None:
        existing = open_filing_of_area(area.id, session=session)
        if existing is not None:
            raise DomainError(_("The area %(area)s already has the filing %(number)s (%(status)s) in progress; "
                                "one filing per area at a time.", area=area.name, number=existing.number,
                                status=existing.status_label))
    values = clean(data, org, strict=submit, session=session)
    if not submit and not values.get("area_name") and area is None:
        raise _field_error("area_name", _("is required"))
    stored = _store_files(files)
    payload = _payload(mode, values, org, area, session)
    application = workflow.create(
        AREA_FILING, applicant=actor, title=_title(mode, values, area), org_id=org.id,
        region_code=_region_of(values, area), payload=payload,
        subject=(SUBJECT, area.id) if area is not None else None, session=session)
    if stored:
        uploads.attach(stored, application)
    if submit:
        workflow.transition(application, Action.SUBMIT, actor, session=session)
    return application


def filing_for(actor, pk, session=None):
    """One area filing inside the actor's data scope, else None."""
    session = session or db.session
    if not str(pk).isdigit() or len(str(pk)) > 12:
        return None
    stmt = select(Application).where(Application.id == int(pk), Application.app_type == AREA_FILING)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


def filings_of(org_id, session=None, limit=200, status=None):
    """The organisation's filings, newest first (only those in ``status`` when given)."""
    session = session or db.session
    stmt = select(Application).where(Application.app_type == AREA_FILING, Application.org_id == org_id)
    if status in AppStatus.ALL:
        stmt = stmt.where(Application.status == status)
    return session.execute(stmt.order_by(Application.id.desc()).limit(limit)).scalars().all()


def _may_change(application, actor):
    if application.app_type != AREA_FILING or actor is None or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status not in (AppStatus.DRAFT, AppStatus.RETURNED):
        raise DomainError(_("Only a draft or a returned application can be changed."))


def update(application, actor, data, files=None, submit=False, session=None):
    """Save a draft or a returned filing again (保存), or save and submit it (保存并提交 /
    重新提交). The mode and the area stay those of the filing."""
    session = session or db.session
    _may_change(application, actor)
    org = filer_org(actor)
    _lock(org, session)
    old = application.payload or {}
    mode = old.get("mode", MODE_NEW)
    area = session.get(PropertyArea, old.get("area_id")) if mode == MODE_CHANGE else None
    if mode == MODE_CHANGE and area is None:
        raise DomainError(_("The property management area no longer exists."))
    values = clean(data, org, strict=submit, session=session)
    if not submit and not values.get("area_name") and area is None:
        raise _field_error("area_name", _("is required"))
    stored = _store_files(files)
    application.payload = _payload(mode, values, org, area, session)
    application.title = _title(mode, values, area)[:200]
    application.region_code = _region_of(values, area)
    if stored:
        uploads.attach(stored, application)
    if submit:
        action = Action.RESUBMIT if application.status == AppStatus.RETURNED else Action.SUBMIT
        workflow.transition(application, action, actor, session=session)
    else:
        session.flush()
    return application


def submit(application, actor, session=None):
    """保存并提交 of a saved draft as it is (the checks run in the submit hook)."""
    session = session or db.session
    _may_change(application, actor)
    action = Action.RESUBMIT if application.status == AppStatus.RETURNED else Action.SUBMIT
    workflow.transition(application, action, actor, session=session)
    return application


def transition(application, action, actor, reason=None, session=None):
    if application.app_type != AREA_FILING:
        raise DomainError(_("This is not a property area filing."))
    workflow.transition(application, action, actor, reason, session=session)
    return application


# --- hooks (inside the transition) ---------------------------------------------------------------------

def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # pragma: no cover - the view is not registered (a job)
        return None


def _on_submit(application, actor):
    session = db.session
    _check_whole(application, session)
    payload = application.payload or {}
    if payload.get("mode") == MODE_CHANGE:
        other = open_filing_of_area(payload.get("area_id"), exclude_app_id=application.id, session=session)
        if other is not None:
            raise DomainError(_("The area %(area)s already has the filing %(number)s (%(status)s) in progress; "
                                "one filing per area at a time.", area=payload.get("area_name"),
                                number=other.number, status=other.status_label))


def _decimal(value):
    return None if value in (None, "") else Decimal(str(value))


def _approved(application, actor):
    session = db.session
    payload = application.payload or {}
    org = session.get(Organization, application.org_id)
    values = clean(payload, org, strict=True, session=session)
    if payload.get("mode") == MODE_CHANGE:
        area = session.get(PropertyArea, payload.get("area_id"))
        if area is None:
            raise DomainError(_("The property management area no longer exists."))
        changed = payload.get("changed") or []
        if "area_name" in changed or "district_code" in changed:
            problem = duplicate_problem(values["area_name"], values["district_code"], exclude_area_id=area.id,
                                        exclude_app_id=application.id, session=session)
            if problem:
                raise DomainError(problem)
        for key in changed:
            column = AREA_COLUMNS[key]
            value = values.get(key)
            if key in ("land_area", "building_area"):
                value = _decimal(value)
            setattr(area, column, value)
        area_services.check_area(area)
        session.flush()
        audit.record(AuditAction.UPDATE, "PropertyArea", area.id,
                     summary=_("Changed by the approved filing %(number)s: %(changes)s", number=application.number,
                               changes=payload.get("changes_text") or "-"))
    else:
        if application.subject_id is not None:
            raise DomainError(_("The area of this filing has already been created."))
        problem = duplicate_problem(values["area_name"], values["district_code"], exclude_app_id=application.id,
                                    session=session)
        if problem:
            raise DomainError(problem)
        area = PropertyArea(name=values["area_name"], district_code=values["district_code"],
                            street_code=values["street_code"], community_code=values["community_code"],
                            property_type=values["property_type"], address=values["address"],
                            boundaries=values["boundaries"], land_area=_decimal(values["land_area"]),
                            building_area=_decimal(values["building_area"]),
                            building_count=values["building_count"],
                            developer_org_id=values["developer_org_id"],
                            company_org_id=None if is_developer(org) else org.id)
        area_services.check_area(area)
        session.add(area)
        session.flush()
        application.subject_type, application.subject_id = SUBJECT, area.id
    application.region_code = area.region_code
    notices.notify(application.org_id, _("%(type)s %(number)s was approved.", type=MODE_LABELS[payload.get(
        "mode", MODE_NEW)], number=application.number),
        link=_link("AreaFilingView.show", pk=application.id), source=("application", application.id))


def _returned(application, actor):
    notices.notify(application.org_id, _("Area filing %(number)s was returned: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("AreaFilingView.show", pk=application.id), source=("application", application.id))


def _rejected(application, actor):
    notices.notify(application.org_id, _("Area filing %(number)s was not approved: %(reason)s",
                                         number=application.number, reason=application.reason),
                   link=_link("AreaFilingView.show", pk=application.id), source=("application", application.id))


def _edit_url(application):
    return url_for("AreaFilingView.edit", pk=application.id)


def _subject_url(application):
    if application.subject_type != SUBJECT or not application.subject_id:
        return None
    return _link("AreaQueryView.show", pk=application.subject_id)


workflow.register_type(ApplicationType(
    code=AREA_FILING, label=_l("Property area filing"), prefix="QY", decider_roles=("gov_reviewer",),
    on_submit=_on_submit, on_approve=_approved, on_return=_returned, on_reject=_rejected, edit_url=_edit_url,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": {}, "subject_url": _subject_url,
           "subject_label": _l("The property management area")},
))


# --- 待办 and 快捷入口 on the home page ------------------------------------------------------------------

def _files_area(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.ENTERPRISE \
        and org.enterprise_type in ("developer", "property_company")


def returned_todos(user):
    from app.core import worklist

    org_id = getattr(user, "org_id", None)
    rows = db.session.execute(
        select(Application.id).where(Application.app_type == AREA_FILING, Application.org_id == org_id,
                                     Application.status == AppStatus.RETURNED)
        .order_by(Application.id.desc()).limit(worklist.DEFAULT_CAP + 1)).scalars().all() if org_id else []
    url = url_for("AreaFilingView.show", pk=rows[0]) if len(rows) == 1 else url_for(
        "AreaFilingView.index", status=AppStatus.RETURNED)
    return [worklist.Todo("area_filing.returned", _l("Area filings returned"), min(len(rows), worklist.DEFAULT_CAP),
                          level="danger", group=_l("Property management"), url=url,
                          capped=len(rows) > worklist.DEFAULT_CAP)]


def register_worklist():
    from app.core import worklist

    worklist.register_todo("area_filing.returned", returned_todos, ("can_file", "AreaFilingView"), order=38,
                           when=_files_area)
    worklist.register_shortcut("area_filing.file", _l("Property area filing"), "fa-map-marker",
                               endpoint="AreaFilingView.index", permission=("can_file", "AreaFilingView"),
                               order=36, when=_files_area)
    worklist.register_shortcut("area_query", _l("Area comprehensive query"), "fa-search",
                               endpoint="AreaQueryView.list", permission=("can_list", "AreaQueryView"), order=37,
                               when=_files_area)
