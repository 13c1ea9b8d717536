"""Masking is the viewer's, everywhere: every role that sees personal data masked walks the
whole console — every page it can reach by its links (lists, details, history rows, print
views, PDFs, exports) and every REST answer (lists and details) — and no full name, mobile
or ID number of the people in the database may appear anywhere.

A database of its own (people with known values in every place a person is kept: persons,
accounts, staff, complaints with their history, an enterprise filing, a care record).
"""
import base64
import io
import re
import tempfile
import zlib
from collections import deque
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import Client, api_token, build_app

MASKED = ["district1", "street1", "pm_a", "helpdesk", "analyst"]
# Links a walk never follows: they end the session, switch the language, or change data
# (every change is a POST with CSRF, but these GET pages would only show forms).
SKIP = re.compile(r"^/(logout|lang/|static/|swagger|api/|appbuilder/)|/(delete|action|action_post|template|"
                  r"import)(/|$)|/captcha")
PAGES_PER_ROLE = 700
PER_PATTERN = 4


@pytest.fixture(scope="module")
def walk_app():
    from app.extensions import db

    app = build_app(tempfile.mkdtemp(prefix="anju-walk-"), name="walk")
    with app.app_context():
        _more_people(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _more_people(app):
    """People in the places the demo leaves empty: a complaint and its history, a filing
    with a legal representative, a care record, a second staff member."""
    from app.complaints import services as complaints
    from app.extensions import db
    from app.property.enterprise import services as filing_services
    from app.property.models import Equipment, InspectionRecord
    from app.property.care import services as care_services
    from tests.complaints.helpers import area, file_complaint, user
    from tests.property.helpers import make_staff

    c = file_complaint("和平小区", content="楼道灯坏了，请尽快修理", name="欧阳春晓",
                       mobile="13577778888", id_number="500103198808081237")
    complaints.act(c, complaints.Action.ACCEPT, user("pm_a"))
    complaints.act(c, complaints.Action.COMPLETE, user("pm_a"), note="已更换灯泡")
    make_staff("ent_a", "司马清风", post="cleaning", areas=["和平小区"], mobile="13666665555",
               id_number="500103199202021238")
    filing_services.file_enterprise(user("ent_a"), {
        "is_local": "yes", "legal_rep": "慕容大力", "legal_rep_mobile": "13911112222",
        "contact_name": "上官多多", "contact_mobile": "13933334444", "registered_capital": "500",
        "established_on": "2012-05-18", "registered_address": "重庆市渝中区解放碑路1号",
        "office_address": "重庆市渝中区民族路2号", "business_scope": "物业管理", "staff_total": "120"})
    equipment = db.session.execute(select(Equipment).where(Equipment.area_id == area("和平小区").id)
                                   .limit(1)).scalars().first()
    if equipment is None:
        equipment = Equipment(area_id=area("和平小区").id, name="1号电梯", equip_type="elevator",
                              status="in_use")
        care_services.prepare_equipment(equipment, user("ent_a"))
        db.session.add(equipment)
        db.session.flush()
    record = InspectionRecord(equipment_id=equipment.id, person="诸葛明亮", result="normal",
                              done_on=c.submitted_at.date())
    care_services.prepare_record(record, "inspection", user("pm_a"))
    db.session.add(record)
    db.session.commit()


def _secrets(viewer=None):
    """Every full personal value in the database but the viewer's own (their own name, mobile
    and ID number on their account pages): {value: where it comes from}."""
    from app.accounts.models import Person, RealnameRegistry
    from app.complaints.models import Complaint, ComplaintEvent
    from app.core.workflow import Application, ApplicationEvent
    from app.extensions import db
    from app.property.models import EnterpriseProfile, InspectionRecord, MaintenanceRecord, Staff
    from app.rental.agencies.models import Practitioner
    from app.rental.contracts.models import ContractTenant
    from app.rental.registry.models import PropertyOwner
    from app.security.models import AnjuUser
    from app.system.models import Organization

    found = {}

    def add(value, where, kind):
        text = (value or "").strip()
        if kind == "name" and len(text) < 2:
            return
        if kind == "name" and re.fullmatch(r"[A-Za-z0-9_@.\- ]+", text):
            return  # an account-like display name (admin, pm_a) is no person's name
        if kind in ("mobile", "id_number") and len(text) < 11:
            return
        found.setdefault(text, where)

    for model, cols in [(Person, {"name": "name", "mobile": "mobile", "id_number": "id_number"}),
                        (RealnameRegistry, {"name": "name", "id_number": "id_number"}),
                        (Staff, {"name": "name", "mobile": "mobile", "id_number": "id_number"}),
                        (Complaint, {"name": "name", "mobile": "mobile", "id_number": "id_number"}),
                        (ComplaintEvent, {"actor_name": "name"}), (ApplicationEvent, {"actor_name": "name"}),
                        (Organization, {"legal_rep": "name", "contact_name": "name", "contact_mobile": "mobile"}),
                        (EnterpriseProfile, {"legal_rep": "name", "contact_name": "name",
                                             "contact_mobile": "mobile", "legal_rep_mobile": "mobile"}),
                        (InspectionRecord, {"person": "name"}), (MaintenanceRecord, {"person": "name"}),
                        (AnjuUser, {"mobile": "mobile"}),
                        (PropertyOwner, {"name": "name", "id_number": "id_number"}),
                        (ContractTenant, {"name": "name", "mobile": "mobile", "id_number": "id_number"}),
                        (Practitioner, {"name": "name", "mobile": "mobile", "id_number": "id_number"})]:
        for row in db.session.execute(select(model)).scalars():
            for col, kind in cols.items():
                add(getattr(row, col), f"{model.__name__}.{col}", kind)
    # Accounts of natural persons carry the person's name (organisation and office accounts
    # are named after the office: 渝中区管理员).
    for u in db.session.execute(select(AnjuUser).join(Person, Person.user_id == AnjuUser.id)).scalars():
        add(u.first_name, "AnjuUser.first_name", "name")
    for a in db.session.execute(select(Application)).scalars():
        for key, value in (a.payload or {}).items():
            if key in ("legal_rep", "contact_name", "branch_manager"):
                add(value, f"Application.payload.{key}", "name")
            elif key.endswith("mobile"):
                add(value, f"Application.payload.{key}", "mobile")
    # Organisation accounts are named after the organisation, not a person; office accounts (no
    # person behind them: 审核员, 渝中区管理员) after the office — also where they act (history rows).
    own = {o.name for o in db.session.execute(select(Organization)).scalars()}
    own |= set(db.session.execute(select(AnjuUser.first_name).where(
        ~AnjuUser.id.in_(select(Person.user_id).where(Person.user_id.isnot(None))))).scalars())
    if viewer is not None:
        me = db.session.execute(select(AnjuUser).where(AnjuUser.username == viewer)).scalar_one()
        own |= {me.first_name, me.mobile}
        person = db.session.execute(select(Person).where(Person.user_id == me.id)).scalars().first()
        if person is not None:
            own |= {person.name, person.mobile, person.id_number}
    return {v: w for v, w in found.items() if v not in own}


# --- reading what a response shows ------------------------------------------------------------

def pdf_text(data):
    """The text strings of a PDF made by reportlab (ASCII85 + Flate streams; the CID font's
    strings in UCS-2, the others in Latin-1), joined, for a containment check."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        head, body = data[max(0, m.start() - 300):m.start()], m.group(1).strip()
        head = head[head.rfind(b"<<"):]
        try:
            if b"ASCII85Decode" in head:
                body = body[2:] if body.startswith(b"<~") else body
                body = base64.a85decode(body[:-2] if body.endswith(b"~>") else body)
            if b"FlateDecode" in head:
                body = zlib.decompress(body)
        except Exception:
            continue
        for s in re.finditer(rb"\((.*?)(?<!\\)\)\s*Tj", body, re.S):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda e: bytes([int(e.group(1), 8)]) if e.group(1)[:1].isdigit()
                         else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(e.group(1), e.group(1)), s.group(1))
            out.append(raw.decode("latin-1"))
            if len(raw) % 2 == 0:
                out.append(raw.decode("utf-16-be", errors="ignore"))
    return "\n".join(out)


def xlsx_text(data):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


def unescaped(text):
    """Text with JSON's \\uXXXX escapes read as the characters they stand for (JSON answers
    and JSON inside pages write Chinese that way)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def shown_text(resp):
    kind = resp.headers.get("Content-Type", "")
    data = resp.get_data()
    if "pdf" in kind:
        return pdf_text(data)
    if "spreadsheet" in kind:
        return xlsx_text(data)
    return unescaped(data.decode("utf-8", errors="replace"))


def leaks(text, secrets):
    return [(v, w) for v, w in secrets.items() if v in text]


def pattern(path):
    return re.sub(r"\d+", "N", path.split("?")[0])


# --- the walk -----------------------------------------------------------------------------------

def test_pdf_text_reads_what_reportlab_writes(walk_app):
    from app.core import documents

    with walk_app.test_request_context():
        doc = documents.Document(title="测试", sections=[documents.Fields([("姓名", "欧阳春晓"),
                                                                         ("手机", "13577778888")])])
        text = pdf_text(documents.render_pdf(doc))
    assert "欧阳春晓" in text and "13577778888" in text


@pytest.mark.parametrize("username", MASKED)
def test_pages_show_no_full_personal_value(walk_app, username):
    with walk_app.app_context():
        secrets = _secrets(username)
    assert "欧阳春晓" in secrets and "13577778888" in secrets and "慕容大力" in secrets
    c = Client(walk_app)
    assert c.login(username).status_code == 302
    seen, per_pattern, queue, found, visited = set(), {}, deque(["/"]), [], 0
    while queue and visited < PAGES_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        key = pattern(path)
        if per_pattern.get(key, 0) >= PER_PATTERN:
            continue
        per_pattern[key] = per_pattern.get(key, 0) + 1
        resp = c.get(path)
        visited += 1
        if resp.status_code in (301, 302) and resp.headers.get("Location"):
            loc = urlsplit(resp.headers["Location"])
            if not loc.netloc or loc.netloc == "localhost":
                queue.append(loc.path + (f"?{loc.query}" if loc.query else ""))
            continue
        if resp.status_code != 200:
            continue
        text = shown_text(resp)
        for value, where in leaks(text, secrets):
            found.append((path, value, where))
        if "html" in resp.headers.get("Content-Type", ""):
            for href in re.findall(r'(?:href|src)="(/[^"#]*)"', text):
                href = href.replace("&amp;", "&")
                if not SKIP.search(href) and href not in seen:
                    queue.append(href)
    assert visited > 10, f"{username} reached only {visited} pages"
    assert not found, f"{username} sees full personal values: {found[:10]}"


@pytest.mark.parametrize("username", MASKED)
def test_api_answers_show_no_full_personal_value(walk_app, username):
    from flask_appbuilder import ModelRestApi

    with walk_app.app_context():
        secrets = _secrets(username)
        apis = [v for v in walk_app.appbuilder.baseviews if isinstance(v, ModelRestApi)]
        token = api_token(walk_app, username)
    http = walk_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    found, answered = [], 0
    for api in apis:
        base = f"/api/v1/{api.resource_name}/"
        resp = http.get(base + "?q=(page_size:100)", headers=headers)
        if resp.status_code != 200:
            continue
        answered += 1
        body = resp.get_json()
        found += [(base, v, w) for v, w in leaks(shown_text(resp), secrets)]
        for pk in (body.get("ids") or [])[:15]:
            detail = http.get(f"{base}{pk}", headers=headers)
            found += [(f"{base}{pk}", v, w) for v, w in leaks(shown_text(detail), secrets)]
    assert answered >= 1
    assert "欧阳春晓" in unescaped('"\\u6b27\\u9633\\u6625\\u6653"')
    assert not found, f"{username} gets full personal values from the API: {found[:10]}"


def test_a_role_with_the_permission_sees_them_in_full(walk_app):
    """The walk would pass on a console that shows nothing: the same pages show the full
    values to a role that holds the permission."""
    c = Client(walk_app)
    c.login("gov_admin")
    with walk_app.app_context():
        from app.complaints.models import Complaint

        pk = walk_app.extensions["sqlalchemy"].session.execute(
            select(Complaint.id).where(Complaint.mobile == "13577778888")).scalar_one()
    html = c.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert "欧阳春晓" in html and "13577778888" in html
    analyst = Client(walk_app)
    analyst.login("analyst")
    html = analyst.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert "欧*晓" in html and "135****8888" in html and "欧阳春晓" not in html
