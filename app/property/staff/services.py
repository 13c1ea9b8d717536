"""从业人员 (staff) and their certificates: the rules (seed 003 §5, §10, §17, §18; seed 004
企业人员管理).

Plain functions taking the acting user and raising DomainError with a Chinese message; the
pages (app/property/staff/views.py), the REST resources (app/property/staff/api.py) and the
Excel import all go through them.

* An enterprise keeps its own staff: the enterprise of every record is the actor's, never a
  value from a form or a file.
* One record in service per person (ID number) and enterprise: ``Staff.current_key`` holds the
  ID number while in service and NULL after 离职, under a unique (org, current_key) index. A
  person who left keeps the old record as history; a rehire is a new record.
* After every save the record is bound to the person's login (same ID number, same
  enterprise) and the project-lead assignments follow the record (app/property/areas/services.py
  ``bind_accounts`` and ``sync_leads``).
* A record referred to elsewhere (a bound login, lead history, inspection or maintenance
  records) is not deleted: 离职 keeps it.
"""
import re
import unicodedata
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core import bulk, masking, progress, uploads, validators
from app.core.errors import DomainError
from app.core.xlsx.importing import bulk_work, write_cache
from app.core.mixins import now
from app.extensions import db
from app.property.areas import services as area_services
from app.property.staff import accounts as staff_accounts
from app.property.models import Certificate, PropertyArea, Staff, StaffStatus, staff_area
from app.system import dicts

LEAD_POST = "project_lead"
POST_DICT = "staff_post"
CERT_DICT = "certificate_type"
CERT_OWNER = "certificate"
SCAN_LABEL = "证书扫描件"
SCAN_KINDS = ("pdf", "jpg", "png")
SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")

STATUS_LABELS = {StaffStatus.ACTIVE: _l("In service"), StaffStatus.LEFT: _l("Left")}

# Separators between area names in one import cell: 、 , ， ; ； and line breaks.
AREA_SEPARATORS = re.compile(r"[、,，;；\r\n]+")

uploads.register_owner(CERT_OWNER, Certificate, ("can_show", "CertificateView"))


def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def post_label(code):
    return dicts.label(POST_DICT, code)


def cert_type_label(code):
    return dicts.label(CERT_DICT, code)


def is_expired(cert, today=None):
    return cert.valid_until is not None and cert.valid_until < (today or date.today())


def validity_text(valid_until, today=None):
    """有效期至 as shown: the date, marked 已过期 once past."""
    if valid_until is None:
        return ""
    if valid_until < (today or date.today()):
        return _("%(date)s (expired)", date=valid_until.isoformat())
    return valid_until.isoformat()


# --- the actor's enterprise -------------------------------------------------------------------

def enterprise_id(actor):
    """The enterprise whose staff the actor keeps; refused for anyone else."""
    from app.system.models import OrgType

    org = getattr(actor, "org", None)
    if actor is None or org is None or org.org_type != OrgType.ENTERPRISE:
        raise DomainError(_("Only an enterprise account can keep staff records."))
    return org.id


def _own(actor, staff):
    """The staff record must be of the actor's enterprise (the views' scope already says so;
    services called directly check it again)."""
    org_id = enterprise_id(actor)
    if staff is None or staff.org_id != org_id:
        raise DomainError(_("The staff record does not exist or is not of your enterprise."))
    return org_id


# --- field cleaning ---------------------------------------------------------------------------

def _field_error(field, message):
    return DomainError(_("%(field)s: %(message)s", field=field, message=message))


def _text(value, field, required=False, max_length=None):
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise _field_error(field, _("is required"))
        return None
    if max_length and len(text) > max_length:
        raise _field_error(field, _("at most %(n)s characters", n=max_length))
    return text


_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_date(value, field):
    """A date from a form, JSON or a cell: a date, ``2023-05-01``, ``2023/5/1``, ``2023年5月1日``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE_RE.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        raise _field_error(field, _("enter a date such as 2024-01-05"))
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _field_error(field, _("this date does not exist")) from None


def _not_future(day, field, today=None):
    if day is not None and day > (today or date.today()):
        raise _field_error(field, _("cannot be in the future"))
    return day


def clean_id_number(value):
    """Resident ID number, normalised (spaces, full-width, lower-case x) and checked."""
    field = _("Resident ID number")
    try:
        return validators.check_resident_id(value if value is not None else "").number
    except (validators.ValidationError, TypeError) as exc:
        raise _field_error(field, str(exc) if isinstance(exc, validators.ValidationError)
                           else _("Enter the ID number")) from None


def clean_mobile(value):
    try:
        return validators.check_mobile(value if value is not None else "")
    except (validators.ValidationError, TypeError) as exc:
        raise _field_error(_("Mobile"), str(exc) if isinstance(exc, validators.ValidationError)
                           else _("Enter the mobile number")) from None


def clean_post(value):
    code = "" if value is None else str(value).strip()
    if not code:
        raise _field_error(_("Post"), _("is required"))
    items = dicts.items(POST_DICT)
    for c, label in items:
        if code in (c, str(label)):
            return c
    raise _field_error(_("Post"), _("choose one of: %(choices)s", choices="、".join(str(lb) for _c, lb in items)))


def _area_ids(value):
    """Area ids from a form (list of strings), JSON (list of ints) or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        value = [v for v in str(value).split(",")]
    ids = []
    for v in value:
        if isinstance(v, dict):
            v = v.get("id")
        text = str(v).strip()
        if not text:
            continue
        if not text.isdigit():
            raise DomainError(_("Choose the property management areas from the list."))
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def enterprise_areas(org_id):
    """The areas an enterprise manages (what its staff may be assigned to), by name."""
    return db.session.execute(select(PropertyArea).where(PropertyArea.company_org_id == org_id)
                              .order_by(PropertyArea.name, PropertyArea.id)).scalars().all()


def _areas_of(org_id, ids):
    if not ids:
        return []
    found = db.session.execute(select(PropertyArea).where(PropertyArea.id.in_(ids))).scalars().all()
    by_id = {a.id: a for a in found}
    if any(i not in by_id or by_id[i].company_org_id != org_id for i in ids):
        # Never name an area the actor may not see.
        raise DomainError(_("Only the property management areas of your enterprise can be chosen."))
    return [by_id[i] for i in ids]


def clean_staff(data, org_id, current=None):
    """The values of a staff form / JSON body, checked; keys absent keep ``current``'s values."""
    def given(key):
        return key in data and (current is None or data.get(key) is not None)

    def pick(key, fallback):
        return data.get(key) if given(key) else fallback

    today = date.today()
    values = {
        "name": _text(pick("name", getattr(current, "name", None)), _("Name"), required=True, max_length=64),
        "mobile": clean_mobile(pick("mobile", getattr(current, "mobile", None))),
        "id_number": clean_id_number(pick("id_number", getattr(current, "id_number", None))),
        "post": clean_post(pick("post", getattr(current, "post", None))),
        "hired_on": _not_future(parse_date(pick("hired_on", getattr(current, "hired_on", None)),
                                           _("Hired on")), _("Hired on"), today),
        "remark": _text(pick("remark", getattr(current, "remark", None)), _("Remark"), max_length=255),
    }
    if "area_ids" in data or "areas" in data or current is None:
        raw = data.get("area_ids", data.get("areas"))
        values["areas"] = _areas_of(org_id, _area_ids(raw))
    else:
        values["areas"] = list(current.areas)
    return values


# --- one in service per person and enterprise --------------------------------------------------

def _in_service_with(org_id, id_number, exclude_id=None):
    stmt = select(Staff).where(Staff.org_id == org_id, Staff.current_key == id_number)
    if exclude_id is not None:
        stmt = stmt.where(Staff.id != exclude_id)
    return db.session.execute(stmt).scalars().first()


def _duplicate_error(name):
    return DomainError(_("A person with this ID number is already in service in your enterprise (%(name)s). "
                         "One person has one record in service; edit that record instead.",
                         name=masking.mask("name", name)))


def _race_error():
    return DomainError(_("Another record with this ID number was saved at the same moment; reload the list "
                         "and check it."))


def _flush_unique():
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _race_error() from None


def _after_save(staff, actor):
    """Bind the person's login and keep the lead assignments in line (both flush). Two saves
    making leads of one area at the same moment meet the unique current assignment."""
    try:
        staff_accounts.bind_accounts(staff.org_id, staff_ids=[staff.id])
        db.session.refresh(staff)
        area_services.sync_leads(staff, actor)
    except IntegrityError:
        db.session.rollback()
        raise _race_error() from None


# --- add, edit --------------------------------------------------------------------------------

def create_staff(actor, data, commit=True):
    """添加从业人员 for the actor's enterprise."""
    org_id = enterprise_id(actor)
    values = clean_staff(data, org_id)
    existing = _in_service_with(org_id, values["id_number"])
    if existing is not None:
        raise _duplicate_error(existing.name)
    areas = values.pop("areas")
    staff = Staff(org_id=org_id, status=StaffStatus.ACTIVE, current_key=values["id_number"], **values)
    staff.areas = areas
    db.session.add(staff)
    _flush_unique()
    _after_save(staff, actor)
    if commit:
        db.session.commit()
    return staff


def edit_problem(staff):
    """Why the record cannot be edited (a person who left: the record is history), or None."""
    if staff.status != StaffStatus.ACTIVE:
        return _("%(name)s has left; the record is kept as history and cannot be edited.", name=staff.name)
    return None


def resign_problem(staff):
    if staff.status != StaffStatus.ACTIVE:
        return _("%(name)s has already left.", name=staff.name)
    return None


def update_staff(actor, staff, data, commit=True):
    """编辑: the same checks as adding; a record of a person who left is history and stays as it is."""
    org_id = _own(actor, staff)
    problem = edit_problem(staff)
    if problem:
        raise DomainError(problem)
    values = clean_staff(data, org_id, current=staff)
    existing = _in_service_with(org_id, values["id_number"], exclude_id=staff.id)
    if existing is not None:
        raise _duplicate_error(existing.name)
    areas = values.pop("areas")
    for key, value in values.items():
        setattr(staff, key, value)
    staff.current_key = values["id_number"]
    staff.areas = areas
    _flush_unique()
    _after_save(staff, actor)
    if commit:
        db.session.commit()
    return staff


# --- 离职 -------------------------------------------------------------------------------------

def _check_resign(staff, left_on, today):
    problem = resign_problem(staff)
    if problem:
        raise DomainError(problem)
    if left_on > today:
        raise _field_error(_("Date of leaving"), _("cannot be in the future"))
    if staff.hired_on is not None and left_on < staff.hired_on:
        raise _field_error(_("Date of leaving"), _("cannot be before the hiring date %(date)s",
                                                   date=staff.hired_on.isoformat()))


def resign_staff(actor, staff, left_on=None, reason=None, commit=True):
    """离职: the record stays as history; the person's lead assignments end."""
    return resign_many(actor, [staff], left_on, reason, commit=commit)[0]


def resign_many(actor, staffs, left_on=None, reason=None, commit=True):
    """离职 of several people at once: all or nothing."""
    today = date.today()
    day = parse_date(left_on, _("Date of leaving")) or today
    reason = _text(reason, _("Reason for leaving"), max_length=255)
    if not staffs:
        raise DomainError(_("Choose at least one person."))
    for staff in staffs:
        _own(actor, staff)
        _check_resign(staff, day, today)
    for staff in staffs:
        staff.status = StaffStatus.LEFT
        staff.left_on = day
        staff.left_reason = reason
        staff.current_key = None
        area_services.sync_leads(staff, actor)
    db.session.flush()
    if commit:
        db.session.commit()
    return staffs


# --- delete -----------------------------------------------------------------------------------

def delete_problem(staff):
    """Why the record cannot be deleted (Chinese), or None."""
    reasons = staff_accounts.staff_references(staff)
    if not reasons:
        return None
    return _("%(name)s cannot be deleted: %(reasons)s. Use 离职 (resign) instead; the record is kept as history.",
             name=staff.name, reasons="；".join(str(r) for r in reasons))


def delete_staff(actor, staff, commit=True):
    return delete_many(actor, [staff], commit=commit)


def delete_many(actor, staffs, commit=True):
    """Delete records nothing refers to, with their certificates and scans: all or nothing."""
    if not staffs:
        raise DomainError(_("Choose at least one person."))
    for staff in staffs:
        _own(actor, staff)
        problem = delete_problem(staff)
        if problem:
            raise DomainError(problem)
    for staff in staffs:
        for cert in list(staff.certificates):
            for upload in uploads.files_of(cert):
                uploads.remove(upload)
        db.session.delete(staff)
    db.session.flush()
    if commit:
        db.session.commit()
    return len(staffs)


# --- 开立从业人员账号 from a staff record (registered with accounts at start-up) ----------------

def account_candidates(actor, limit=500):
    """Staff in service of the actor's enterprise without a login account, as (id, label) for
    the 开立从业人员账号 form: name and mobile as the viewer may see them, the newest records
    first (the one just added is the one an account is opened for). Empty for anyone who keeps
    no staff."""
    from app.core.scope import apply_scope

    try:
        org_id = enterprise_id(actor)
    except DomainError:
        return []
    stmt = apply_scope(select(Staff).where(Staff.org_id == org_id, Staff.status == StaffStatus.ACTIVE,
                                           Staff.user_id.is_(None))
                       .order_by(Staff.id.desc()).limit(limit), Staff, actor)
    return [(s.id, f"{masking.for_viewer('name', s.name)}（{post_label(s.post)}，"
                   f"{masking.for_viewer('mobile', s.mobile)}）")
            for s in db.session.execute(stmt).scalars()]


def account_record(actor, staff_id):
    """The name, ID number and mobile of the chosen staff record, for opening its account:
    only a record in service of the actor's own enterprise, inside the actor's scope."""
    from app.core.scope import can_see

    org_id = enterprise_id(actor)
    pk = int(staff_id) if str(staff_id or "").strip().isdigit() else None
    staff = db.session.get(Staff, pk) if pk is not None else None
    if staff is None or staff.org_id != org_id or not can_see(staff, actor):
        raise DomainError(_("The staff record does not exist or is not of your enterprise."))
    if staff.status != StaffStatus.ACTIVE:
        raise DomainError(_("%(name)s has left the enterprise; choose a staff member in service.",
                            name=masking.for_viewer("name", staff.name)))
    return {"name": staff.name, "id_number": staff.id_number, "mobile": staff.mobile}


# --- certificates -----------------------------------------------------------------------------

def _staff_of_actor(actor, staff_id):
    org_id = enterprise_id(actor)
    try:
        pk = int(str(staff_id).strip())
    except (TypeError, ValueError):
        pk = None
    staff = db.session.get(Staff, pk) if pk is not None else None
    if staff is None or staff.org_id != org_id:
        raise _field_error(_("Staff member"), _("choose a person of your enterprise"))
    return staff


def clean_certificate(data, current=None):
    def pick(key):
        if key in data and (current is None or data.get(key) is not None):
            return data.get(key)
        return getattr(current, key, None)

    cert_type = "" if pick("cert_type") is None else str(pick("cert_type")).strip()
    if not cert_type:
        raise _field_error(_("Certificate type"), _("is required"))
    items = dicts.items(CERT_DICT)
    code = next((c for c, label in items if cert_type in (c, str(label))), None)
    if code is None:
        raise _field_error(_("Certificate type"), _("choose one of: %(choices)s",
                                                    choices="、".join(str(lb) for _c, lb in items)))
    number = _text(pick("number"), _("Certificate number"), required=True, max_length=64)
    issuer = _text(pick("issuer"), _("Issuing authority"), max_length=128)
    issued_on = _not_future(parse_date(pick("issued_on"), _("Issue date")), _("Issue date"))
    valid_until = parse_date(pick("valid_until"), _("Valid until"))
    if issued_on and valid_until and valid_until < issued_on:
        raise _field_error(_("Valid until"), _("cannot be before the issue date"))
    return {"cert_type": code, "number": number, "issuer": issuer, "issued_on": issued_on,
            "valid_until": valid_until}


def _scan_name(file):
    if isinstance(file, tuple):
        return str(file[0] or "")
    return str(getattr(file, "filename", "") or "")


def _has_file(file):
    if file is None:
        return False
    if isinstance(file, tuple):
        return True
    return bool(getattr(file, "filename", ""))


def _save_scan(cert, file, actor):
    """Store the scan (uploads engine: content checked) in place of the earlier one."""
    name = uploads.clean_name(_scan_name(file))
    if not name.lower().endswith(SCAN_EXTENSIONS):
        raise DomainError(_("The scan %(name)s must be a PDF, JPG or PNG file.", name=name or "-"))
    old = uploads.files_of(cert)
    uploads.save(file, label=SCAN_LABEL, owner=cert, user=actor)
    for upload in old:
        uploads.remove(upload)


def create_certificate(actor, staff_id, data, file=None, commit=True):
    """添加证书 to a person of the actor's enterprise, with an optional scan."""
    staff = _staff_of_actor(actor, staff_id)
    values = clean_certificate(data)
    cert = Certificate(staff_id=staff.id, org_id=staff.org_id, **values)
    db.session.add(cert)
    db.session.flush()
    if _has_file(file):
        _save_scan(cert, file, actor)
    if commit:
        db.session.commit()
    return cert


def update_certificate(actor, cert, data, file=None, commit=True):
    org_id = enterprise_id(actor)
    if cert is None or cert.org_id != org_id:
        raise DomainError(_("The certificate does not exist or is not of your enterprise."))
    if "staff_id" in data and data.get("staff_id") not in (None, "") and str(data["staff_id"]) != str(cert.staff_id):
        raise _field_error(_("Staff member"), _("a certificate cannot be moved to another person"))
    for key, value in clean_certificate(data, current=cert).items():
        setattr(cert, key, value)
    db.session.flush()
    if _has_file(file):
        _save_scan(cert, file, actor)
    if commit:
        db.session.commit()
    return cert


def delete_certificate(actor, cert, commit=True):
    org_id = enterprise_id(actor)
    if cert is None or cert.org_id != org_id:
        raise DomainError(_("The certificate does not exist or is not of your enterprise."))
    for upload in uploads.files_of(cert):
        uploads.remove(upload)
    db.session.delete(cert)
    db.session.flush()
    if commit:
        db.session.commit()


def scans_of(cert):
    return uploads.files_of(cert)


# --- Excel import -----------------------------------------------------------------------------

def split_area_names(text):
    if text is None:
        return []
    names = [n.strip() for n in AREA_SEPARATORS.split(str(text))]
    return list(dict.fromkeys(n for n in names if n and n != "-"))


#: Rows checked between two looks at whether the user cancelled the import.
CHECK_EVERY = 2000
#: Rows per INSERT batch (one executemany each).
INSERT_BATCH = 5000


def validate_import(actor, rows):
    """Database checks of the rows the engine read, set-based: the enterprise's areas and
    in-service ID numbers are loaded once (one query each, never one per row). Returns
    ``[(row, column_key, message)]`` and leaves the resolved area ids on each row
    (``_area_ids``, a tuple) for :func:`import_rows`. A cancel asked while it runs (inside a
    background task) raises :class:`app.core.progress.Cancelled`: nothing is written yet."""
    with bulk_work():  # (the collector set aside: app/core/xlsx/importing.py)
        return _validate_import(actor, rows)


def _validate_import(actor, rows):
    try:
        org_id = enterprise_id(actor)
    except DomainError as exc:
        return [(None, None, str(exc))]
    progress.checkpoint("checking")
    areas, lead_of, name_of = {}, {}, {}
    for area_id, name, lead in db.session.execute(
            select(PropertyArea.id, PropertyArea.name, PropertyArea.lead_staff_id)
            .where(PropertyArea.company_org_id == org_id)):
        areas.setdefault(name, []).append((area_id, lead))
        lead_of[area_id], name_of[area_id] = lead, name
    in_service = dict(db.session.execute(
        select(Staff.current_key, Staff.name).where(Staff.org_id == org_id, Staff.current_key.isnot(None))).all())
    today = date.today()
    errors = []
    lead_rows = {}          # area id -> first file row naming a project lead for it
    split_cache = {}        # an area cell as written -> its names (the same few hundred cells repeat)
    resolved = {}           # an area cell as written -> (area ids, problems)
    for n, row in enumerate(rows, 1):
        if n % CHECK_EVERY == 0:
            progress.checkpoint("checking")
        row_no = row["_row"]
        if in_service:
            name = in_service.get(row.get("id_number"))
            if name is not None:
                errors.append((row_no, "id_number", str(_duplicate_error(name))))
        hired = row.get("hired_on")
        if hired is not None and hired > today:
            errors.append((row_no, "hired_on", _("cannot be in the future")))
        cell = row.get("area_names")
        if cell is None:
            row["_area_ids"] = ()
            continue
        # A cell's areas and problems are the same on every row naming them: worked out once,
        # and the rows share one tuple of ids.
        found = resolved.get(cell)
        if found is None:
            found = resolved[cell] = _resolve_areas(cell, areas, split_cache)
        for message in found[1]:
            errors.append((row_no, "area_names", message))
        row["_area_ids"] = found[0]
        if row.get("post") == LEAD_POST:
            for area_id in found[0]:
                if lead_of[area_id] is not None:
                    errors.append((row_no, "area_names",
                                   _("The property management area %(name)s already has a project lead; use "
                                     "'Change project lead' on the area.", name=name_of[area_id])))
                elif area_id in lead_rows:
                    errors.append((row_no, "area_names",
                                   _("Row %(row)s already names a project lead for %(name)s; an area has one "
                                     "project lead.", row=lead_rows[area_id], name=name_of[area_id])))
                else:
                    lead_rows[area_id] = row_no
    progress.checkpoint("checking")
    return errors


def _resolve_areas(cell, areas, split_cache):
    """(area ids, problems) of an area cell: names unknown to the enterprise, or ambiguous."""
    names = split_cache.get(cell)
    if names is None:
        names = split_cache[cell] = tuple(split_area_names(cell))
    ids, problems = [], []
    for area_name in names:
        found = areas.get(area_name)
        if not found:
            problems.append(_("The property management area %(name)s does not exist or is not managed by your "
                              "enterprise.", name=area_name))
        elif len(found) > 1:
            problems.append(_("Your enterprise has several property management areas named %(name)s; add this "
                              "person on the staff page instead.", name=area_name))
        else:
            ids.append(found[0][0])
    return tuple(ids), problems


def import_rows(actor, rows):
    """Insert the validated rows with SQLAlchemy Core (staff, then their areas), bind the
    logins of the people among them who have one and start the project leads' assignments.
    The caller commits; on any exception it rolls back and nothing is written.

    Set-based and in batches: one executemany per INSERT_BATCH staff rows; the area links
    found by (enterprise, ID number in service) in the database as they are inserted (no map
    of every new record's id in memory); the logins by one query over the enterprise's
    people. Reports "writing" progress (rows written of rows) between batches."""
    with bulk_work(), write_cache(db.session):  # (both in app/core/xlsx/importing.py)
        return _import_rows(actor, rows)


def _import_rows(actor, rows):
    org_id = enterprise_id(actor)
    if any("_area_ids" not in r for r in rows):
        errors = validate_import(actor, rows)
        if errors:
            raise DomainError(str(errors[0][2]))
    total = len(rows)
    progress.report("writing", 0, total)
    moment = now()
    table = Staff.__table__
    connection = db.session.connection()
    # What every row shares is written into the statement once (app/core/bulk.py).
    constants = {"org_id": org_id, "status": StaffStatus.ACTIVE, "created_on": moment, "changed_on": moment}
    columns = ("name", "mobile", "id_number", "post", "hired_on", "current_key", "remark")
    # The enterprise's records above this id are the ones this import writes: its lock keeps
    # other imports of the enterprise out, and the unique (org_id, current_key) any other
    # record of the same person in service.
    last_id = connection.execute(select(func.max(table.c.id))).scalar() or 0
    # What the steps after the write need from the rows, so that each batch of rows can be
    # released once written (the engine hands the list over): memory falls as SQLite's grows.
    lead_numbers = [r["id_number"] for r in rows if r["post"] == LEAD_POST and r["_area_ids"]]
    to_bind = _numbers_with_login(org_id, rows)
    for i in range(0, total, INSERT_BATCH):
        chunk = rows[i:i + INSERT_BATCH]
        rows[i:i + INSERT_BATCH] = [None] * len(chunk)
        bulk.insert_rows(connection, table, columns, [
            (r["name"], r["mobile"], r["id_number"], r["post"], r.get("hired_on"), r["id_number"], r.get("remark"))
            for r in chunk], constants, batch=INSERT_BATCH)
        ids = dict(connection.execute(select(table.c.current_key, table.c.id).where(
            table.c.id > last_id, table.c.org_id == org_id)).all())
        if ids:
            last_id = max(ids.values())
        links = [(ids[r["id_number"]], area_id) for r in chunk for area_id in r["_area_ids"]]
        if links:
            bulk.insert_rows(connection, staff_area, ("staff_id", "area_id"), links, batch=2 * INSERT_BATCH)
        del chunk, links
        progress.report("writing", min(i + INSERT_BATCH, total), total)
    _bind_imported(org_id, to_bind)
    for i in range(0, len(lead_numbers), 500):
        leads = db.session.execute(select(Staff).where(
            Staff.org_id == org_id, Staff.current_key.in_(lead_numbers[i:i + 500]))).scalars().all()
        for staff in leads:
            area_services.sync_leads(staff, actor)
    progress.report("writing", total, total)
    return total


def _numbers_with_login(org_id, rows):
    """The ID numbers among ``rows`` of the enterprise's people who have a login (the
    enterprise's people with a login: one query)."""
    from app.accounts.models import Person

    with_login = set(db.session.execute(select(Person.id_number).where(
        Person.org_id == org_id, Person.user_id.isnot(None))).scalars())
    return [r["id_number"] for r in rows if r["id_number"] in with_login] if with_login else []


def _bind_imported(org_id, numbers):
    """Bind the imported records of ``numbers`` (people with a login in the enterprise), as
    ``bind_accounts`` does for the records it is given."""
    staff_ids = []
    for i in range(0, len(numbers), 500):
        staff_ids += db.session.execute(select(Staff.id).where(
            Staff.org_id == org_id, Staff.current_key.in_(numbers[i:i + 500]))).scalars().all()
    staff_accounts.bind_accounts(org_id, staff_ids=staff_ids)


# --- 待办 on the home page (app/core/worklist.py) -------------------------------------------

CERT_EXPIRY_DAYS = 30
TODO_GROUP = _l("Property management")


def expiring_clause(today=None, days=CERT_EXPIRY_DAYS):
    """Certificates of staff in service that expire within ``days`` from today (inclusive),
    not yet expired: the 待办 count and the certificate list's filter share it."""
    from datetime import timedelta

    today = today or date.today()
    return (Certificate.valid_until >= today) & (Certificate.valid_until <= today + timedelta(days=days)) \
        & Certificate.staff_id.in_(select(Staff.id).where(Staff.status == StaffStatus.ACTIVE))


def certificate_todos(user):
    """Enterprises: certificates expiring within 30 days (the (org, valid_until) index)."""
    from app.core import worklist
    from app.core.scope import apply_scope

    n, capped = worklist.capped_count(apply_scope(select(Certificate.id).where(expiring_clause()), Certificate, user))
    return [worklist.Todo("staff.certificates_expiring",
                          _l("Certificates expiring within %(n)s days", n=CERT_EXPIRY_DAYS), n, level="warning",
                          group=TODO_GROUP, capped=capped,
                          url=worklist.list_url("CertificateView", ("valid_until", "cert_expiring", "y")))]


def register_worklist():
    from app.core import worklist

    worklist.register_todo("staff.certificates", certificate_todos, ("can_add", "CertificateView"), order=42)
    worklist.register_shortcut("staff.list", _l("Staff"), "fa-id-badge", endpoint="StaffView.list",
                               permission=("can_list", "StaffView"), order=42)
