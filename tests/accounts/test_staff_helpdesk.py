"""Enterprise sub-accounts and their activation, agency filing by government staff,
the helpdesk page, admin password reset, and who may reach each of them."""
import html
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Person, RealnameRegistry
from app.core.audit import AuditLog
from app.core.workflow import Application
from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Organization
from tests.accounts.helpers import (
    age_codes,
    latest_code,
    masked_person_reader,
    messages_to,
    new_credit_code,
    new_id,
    new_mobile,
    register_person,
    request_code,
)
from tests.conftest import Client


def error_of(resp):
    found = re.search(r'id="form-error">([^<]+)<', resp.get_data(as_text=True))
    return found.group(1) if found else ""


def open_account(ent, name, id_number, mobile, role="project_lead"):
    return ent.form("/staffaccounts/add", {"name": name, "id_number": id_number, "mobile": mobile, "role": role})


def activate(app, c, name, id_number, mobile, password="Anju#2026ok", code=None):
    if code is None:
        age_codes(app, mobile)
        assert request_code(c, mobile, "activate", page="/register/staff").status_code == 200
        code = latest_code(app, mobile)
    return c.form("/register/staff", {"name": name, "id_number": id_number, "mobile": mobile, "sms_code": code,
                                      "password": password, "confirm": password})


def test_enterprise_opens_a_project_lead_account_that_the_person_activates(app, login):
    ent = login("ent_a")
    page = ent.get("/staffaccounts/add").get_data(as_text=True)
    assert "开立从业人员账号" in page and "项目负责人" in page
    id_number, mobile = new_id(), new_mobile("1350")
    resp = open_account(ent, "韩项目", id_number, mobile)
    assert resp.status_code == 302, error_of(resp)
    assert any("从业人员账号激活" in m and mobile in m for m in messages_to(app, mobile))
    # Not active yet: the password login says so.
    c = Client(app)
    resp = c.login(mobile, "Anju#2026ok")
    assert "激活" in resp.get_data(as_text=True)
    # Mismatches are told in words the person can act on.
    c = Client(app)
    resp = activate(app, c, "韩不对", id_number, mobile, code="000000")
    assert "姓名" in error_of(resp) and "韩*目" in error_of(resp) and "企业管理员" in error_of(resp)
    resp = activate(app, c, "韩项目", id_number, new_mobile(), code="000000")
    assert "手机号码" in error_of(resp) and mobile[-4:] in error_of(resp)
    resp = activate(app, c, "韩项目", new_id(), mobile, code="000000")
    assert "没有企业" in error_of(resp)
    resp = activate(app, c, "韩项目", id_number, mobile)
    assert resp.status_code == 302, error_of(resp)
    # Logged in, a project lead without real-name is sent to verify first (seed 003 §6).
    pm = Client(app)
    assert pm.login(mobile, "Anju#2026ok").status_code == 302
    resp = pm.get("/")
    assert resp.status_code == 302 and "/my/" in resp.headers["Location"]
    page = pm.get("/my/").get_data(as_text=True)
    assert "未实名" in page and "去实名" in page
    with app.app_context():
        db.session.add(RealnameRegistry(name="韩项目", id_type="resident_id", id_number=id_number))
        db.session.commit()
    resp = pm.form("/my/realname", {"name": "韩项目", "id_type": "resident_id", "id_number": id_number})
    assert resp.status_code == 302
    # Verified, but no staff record as 项目负责人 yet (seed 003 §18 "用户没有从业记录").
    resp = pm.get("/")
    assert resp.status_code == 302
    assert "用户没有从业记录" in pm.get(resp.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        from tests.property.helpers import make_staff

        staff = make_staff("ent_a", "韩项目", post="project_lead", id_number=id_number, mobile=mobile)
        assert staff.user is not None and staff.user.mobile == mobile
    assert pm.get("/").status_code == 200
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.mobile == mobile)).scalar_one()
        ent_a = db.session.execute(select(AnjuUser).where(AnjuUser.username == "ent_a")).scalar_one()
        assert u.org_id == ent_a.org_id and [r.name for r in u.roles] == ["project_lead"]
    # Activating twice is refused.
    resp = activate(app, Client(app), "韩项目", id_number, mobile, code="000000")
    assert "已激活" in error_of(resp)


def test_staff_account_refusals_and_scope(app, login):
    ent = login("ent_a")
    id_number, mobile = new_id(), new_mobile("1350")
    assert open_account(ent, "魏重复", id_number, mobile).status_code == 302
    assert "已有账号" in error_of(open_account(ent, "魏重复", id_number, new_mobile("1350")))
    assert "手机" in error_of(open_account(ent, "魏别人", new_id(), mobile))
    assert "校验" in error_of(open_account(ent, "魏错号", "500103199001011234", new_mobile("1350")))
    assert "角色" in error_of(open_account(ent, "魏越权", new_id(), new_mobile("1350"), role="gov_admin"))
    # The other enterprise does not see the account.
    other = login("ent_b")
    assert mobile not in other.get("/orgusers/list/").get_data(as_text=True)
    # ent_a holds the full-personal-data permission (each such view is audited).
    assert mobile in ent.get("/orgusers/list/").get_data(as_text=True)
    # Who may open staff accounts at all.
    for username in ("public1", "helpdesk", "analyst", "street1", "pm_a"):
        c = login(username)
        assert c.get("/staffaccounts/add").status_code in (302, 403), username


def test_agency_filing_creates_the_agency_and_a_one_time_password(app, login):
    gov = login("gov_admin")
    page = gov.get("/agencyfiling/add").get_data(as_text=True)
    assert "机构备案申请" in page
    code, mobile = new_credit_code(), new_mobile("1330")
    data = {"name": "重庆诚信房地产经纪有限公司", "credit_code": code, "legal_rep": "蒋经纪", "contact_name": "沈联系",
            "contact_mobile": mobile, "district_code": "500103", "address": "重庆市渝中区解放碑民族路 88 号"}
    assert "统一社会信用代码" in error_of(gov.form("/agencyfiling/add", {**data, "credit_code": "123"}))
    assert "区县" in error_of(gov.form("/agencyfiling/add", {**data, "district_code": ""}))
    resp = gov.form("/agencyfiling/add", data)
    assert resp.status_code == 302
    assert "已有进行中" in error_of(gov.form("/agencyfiling/add", data))
    with app.app_context():
        application = db.session.execute(select(Application).where(Application.app_type == "agency_filing")
                                         .order_by(Application.id.desc())).scalars().first()
        app_id = application.id
        assert application.status == "submitted" and application.number.startswith("BA")
    # gov_admin entered it but cannot decide; the reviewer does.
    show = f"/applications/show/{app_id}"
    gov.form(f"/applications/decide/{app_id}", {"action": "accept"}, get_url="/agencyfiling/add")
    with app.app_context():
        assert db.session.get(Application, app_id).status == "submitted"
    reviewer = login("reviewer")
    reviewer.form(f"/applications/decide/{app_id}", {"action": "accept"}, get_url=show)
    resp = reviewer.form(f"/applications/decide/{app_id}", {"action": "approve"}, get_url=show, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "一次性密码" in page
    # The page escapes HTML: a generated password may hold "&" or "<".
    password = html.unescape(re.search(r"一次性密码\s*(\S+?)（", page).group(1))
    assert any(password in m for m in messages_to(app, mobile))
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalar_one()
        assert org.enterprise_type == "agency" and org.active and org.region_code == "500103"
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == code)).scalar_one()
        assert u.must_change_password and u.org_id == org.id and [r.name for r in u.roles] == ["ent_admin"]
        # The one-time password is not stored anywhere in clear.
        assert not db.session.execute(select(AuditLog).where(AuditLog.after.contains(password))).first()
    agency = Client(app)
    assert agency.login(code, password).status_code == 302
    resp = agency.get("/orgusers/list/")
    assert resp.status_code == 302 and "resetmypassword" in resp.headers["Location"].lower()
    # District staff may file within their district only.
    district = login("district1")
    resp = district.form("/agencyfiling/add", {**data, "credit_code": new_credit_code("510104"),
                                               "district_code": "510104"})
    assert "管辖" in error_of(resp)
    for username in ("public1", "ent_a", "helpdesk", "reviewer"):
        assert login(username).get("/agencyfiling/add").status_code in (302, 403), username


def test_helpdesk_lookup_unlock_and_resend(app, login):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="卫客服")
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.mobile == mobile)).scalar_one()
        u.locked_until = datetime.now() + timedelta(minutes=20)
        u.fail_login_count = 0
        db.session.commit()
        user_id = u.id
    hd = login("helpdesk")
    page = hd.get("/helpdesk/").get_data(as_text=True)
    assert "客服查询" in page
    for q in (mobile, id_number, "卫客服"):
        page = hd.get(f"/helpdesk/?q={q}").get_data(as_text=True)
        assert f'data-user="{user_id}"' in page, q
        assert mobile not in page.replace(f'value="{mobile}"', "") and id_number not in page.replace(f'value="{id_number}"', "")
        assert mobile[:3] + "****" + mobile[-4:] in page and "锁定至" in page and "未实名" in page
    page = hd.get("/helpdesk/?q=91500103MA5U7A1B23").get_data(as_text=True)
    assert "重庆安居物业服务有限公司" in page and "审核通过" in page
    assert "过长" in hd.get("/helpdesk/?q=" + "x" * 70).get_data(as_text=True)
    resp = hd.form(f"/helpdesk/unlock/{user_id}", {"q": mobile}, get_url=f"/helpdesk/?q={mobile}",
                   follow_redirects=True)
    assert "已解锁" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AnjuUser, user_id).locked_until is None
    resp = hd.form(f"/helpdesk/unlock/{user_id}", {"q": mobile}, get_url=f"/helpdesk/?q={mobile}",
                   follow_redirects=True)
    assert "未被锁定" in resp.get_data(as_text=True)
    age_codes(app, mobile)
    before = len(messages_to(app, mobile))
    resp = hd.form(f"/helpdesk/resend/{user_id}", {"q": mobile}, get_url=f"/helpdesk/?q={mobile}",
                   follow_redirects=True)
    assert "验证短信" in resp.get_data(as_text=True)
    assert len(messages_to(app, mobile)) == before + 1
    with app.app_context():
        actions = db.session.execute(select(AuditLog.action).where(AuditLog.username == "helpdesk")).scalars().all()
        assert {"helpdesk_lookup", "unlocked", "helpdesk_resend"} <= set(actions)
    # Helpdesk edits nothing else.
    for path in ("/users/edit/1", "/orgusers/edit/1", "/organizationview/edit/1", "/users/list/",
                 "/realnameregistryview/list/", "/personview/list/"):
        assert hd.get(path).status_code in (302, 403, 404), path
    # Others cannot use the helpdesk page.
    for username in ("public1", "ent_a", "analyst", "gov_admin"):
        other = login(username)
        assert other.get(f"/helpdesk/?q={mobile}").status_code in (302, 403), username


def test_admin_password_reset_forces_a_change(app, login):
    c = Client(app)
    resp, mobile, _id = register_person(c, app, name="杨重置")
    with app.app_context():
        user_id = db.session.execute(select(AnjuUser.id).where(AnjuUser.mobile == mobile)).scalar_one()
    admin = login("admin")
    resp = admin.form(f"/resetpassword/form?pk={user_id}", {"password": "Reset#2026ab", "conf_password": "Reset#2026ab"})
    assert resp.status_code in (200, 302)
    u = Client(app)
    assert u.login(mobile, "Reset#2026ab").status_code == 302
    resp = u.get("/my/")
    assert resp.status_code == 302 and "resetmypassword" in resp.headers["Location"].lower()


def test_persons_list_is_masked_and_scoped(app, login):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="秦列表")
    with app.app_context():
        pk = db.session.execute(select(Person.id).where(Person.mobile == mobile)).scalar_one()
    full = ("秦列表", mobile, id_number)
    masked = ("秦*表", mobile[:3] + "****" + mobile[-4:], "*" * 14 + id_number[-4:])
    # gov_admin holds the full-view permission (audited): full values in the list and the detail.
    gov = login("gov_admin")
    for url in (f"/personview/list/?_flt_0_mobile={mobile}", f"/personview/show/{pk}"):
        page = gov.get(url).get_data(as_text=True)
        assert all(v in page for v in full), url
        assert not any(v in page for v in masked[1:]), url
    # A masked role that may read persons (helpdesk plus a persons reader): masked values only,
    # in the list (newest first), the detail and the export.
    reader = login(masked_person_reader(app))
    for url in ("/personview/list/", f"/personview/show/{pk}"):
        resp = reader.get(url)
        assert resp.status_code == 200, url
        page = resp.get_data(as_text=True)
        assert all(v in page for v in masked), url
        assert not any(v in page for v in full), url
    rows = list(load_workbook(io.BytesIO(reader.get("/personview/export/").data), read_only=True)
                .active.iter_rows(values_only=True))
    header = rows[0]
    mine = [r for r in rows[1:] if r[header.index("手机号码")] == masked[1]
            and r[header.index("证件号码")] == masked[2]]
    assert [(r[header.index("姓名")],) for r in mine] == [(masked[0],)]
    assert not {str(v) for r in rows[1:] for v in r if v is not None} & set(full)
    admin = login("admin")
    assert admin.get("/personview/list/").status_code == 200
    for username in ("ent_a", "helpdesk", "analyst", "public1", "reviewer"):
        assert login(username).get("/personview/list/").status_code == 403, username
