"""Personal and organisation registration, login variants, real-name, change of mobile,
public enterprise lookup — through the real pages, as a user clicks them."""
import io
import re
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.accounts.models import Person, RealnameRegistry
from app.core.audit import AuditLog
from app.core.sms import SmsCode
from app.core.workflow import Application
from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Organization
from tests.accounts.helpers import (
    age_codes,
    latest_code,
    messages_to,
    new_credit_code,
    new_id,
    new_mobile,
    register_org,
    register_person,
    request_code,
)
from tests.conftest import Client

CJK = re.compile(r"[\u4e00-\u9fff]")


def user(app, username):
    with app.app_context():
        return db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalars().first()


# --- personal registration -----------------------------------------------------------------

def test_person_registers_then_logs_in_by_mobile_and_lands_on_own_page(app):
    c = Client(app)
    page = c.get("/register/person").get_data(as_text=True)
    for label in ("姓名", "证件类型", "证件号码", "手机号码", "图形验证码", "短信验证码", "确认密码",
                  "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "护照"):
        assert label in page, label
    resp, mobile, id_number = register_person(c, app)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.mobile == mobile)).scalar_one()
        assert [r.name for r in u.roles] == ["public"]
        person = db.session.execute(select(Person).where(Person.user_id == u.id)).scalar_one()
        assert person.id_number == id_number and person.realname_status == "unverified"
        # The code is stored hashed, never in clear.
        code_row = db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars().first()
        assert code_row.used_at is not None and latest_code(app, mobile) not in code_row.code_hash
    c2 = Client(app)
    resp = c2.login(mobile, "Anju#2026ok")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/my/")
    page = c2.get("/my/").get_data(as_text=True)
    assert "未实名" in page and id_number[-4:] in page and id_number[:6] not in page


def test_registration_refusals_are_chinese_and_keep_the_values(app):
    c = Client(app)
    taken_resp, taken_mobile, taken_id = register_person(c, app, name="钱多多")
    assert taken_resp.status_code == 302
    cases = [
        ({"id_number": "500103199001011234"}, "校验"),           # wrong check digit
        ({"id_number": "500103209901011238"}, "出生"),           # future / impossible birth date
        ({"id_number": taken_id}, "已"),                          # one account per ID number
        ({"mobile": taken_mobile}, "已"),                         # one account per mobile
        ({"mobile": "12345"}, "手机"),
        ({"confirm": "Other#2026ok"}, "不一致"),
        ({"password": "short", "confirm": "short"}, "8"),
        ({"name": ""}, "姓名"),
        ({"id_type": "passport", "id_number": "??"}, "护照"),
        ({"id_type": "hk_macao_pass", "id_number": "X1234567"}, "H"),
        ({"id_type": "unknown"}, "证件类型"),
        ({"sms_code": "000000"}, "验证码"),
    ]
    for change, expected in cases:
        mobile = new_mobile()
        data = {"name": "孙悟空", "id_type": "resident_id", "id_number": new_id(), "mobile": mobile,
                "sms_code": "", "password": "Anju#2026ok", "confirm": "Anju#2026ok"}
        data.update(change)
        if "sms_code" not in change and data["mobile"] == mobile:
            assert request_code(c, mobile, "register").status_code == 200
            data["sms_code"] = latest_code(app, mobile)
        resp = c.form("/register/person", data)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200, (change, resp.status_code)
        error = re.search(r'id="form-error">([^<]+)<', body)
        assert error and expected in error.group(1) and CJK.search(error.group(1)), (change, error and error.group(1))
        if change.get("name") != "":
            assert 'value="孙悟空"' in body  # nothing typed is lost
        assert "Anju#2026ok" not in body      # passwords are never echoed


def test_sms_code_needs_the_picture_code(app):
    c = Client(app)
    mobile = new_mobile()
    resp = request_code(c, mobile, "register", captcha="XXXX")
    assert resp.status_code == 422 and "图形" in resp.get_json()["message"]
    token = c.token("/register/person")
    resp = c.post("/sms/send", data={"mobile": mobile, "purpose": "register", "captcha": "TEST", "csrf_token": token})
    assert resp.status_code == 422  # no picture was issued in this session
    assert messages_to(app, mobile) == []
    resp = request_code(c, mobile, "register")
    assert resp.status_code == 200 and resp.get_json()["wait"] == 60
    resp = request_code(c, mobile, "register")
    assert resp.status_code == 422 and "秒" in resp.get_json()["message"]   # resend cooldown


def test_same_id_registered_twice_at_once_gives_one_account(app):
    """The unique constraint holds even when both requests passed the checks."""
    from app.accounts import services
    from app.core.errors import DomainError

    id_number = new_id()
    m1, m2 = new_mobile(), new_mobile()
    with app.test_request_context():
        db.session.add(Person(name="甲", id_type="resident_id", id_number=id_number, mobile=m1))
        db.session.commit()
        try:
            person = Person(name="乙", id_type="resident_id", id_number=id_number, mobile=m2)
            db.session.add(person)
            services._commit_unique("重复")
        except DomainError as exc:
            assert str(exc) == "重复"
        else:
            raise AssertionError("duplicate ID accepted")
        assert db.session.execute(select(Person).where(Person.id_number == id_number)).scalars().all().__len__() == 1


# --- login variants -------------------------------------------------------------------------

def test_picture_code_after_three_failures(app):
    c = Client(app)
    resp, mobile, _id = register_person(c, app, name="周三次")
    c = Client(app)
    for _ in range(3):
        c.login(mobile, "Wrong#Pass99", captcha=False)
    page = c.get("/login/").get_data(as_text=True)
    assert "图形验证码" in page
    # Without the picture code even the right password is refused, and not counted.
    resp = c.login(mobile, "Anju#2026ok", captcha=False)
    assert resp.status_code == 200 and "请输入图形验证码" in resp.get_data(as_text=True)
    resp = c.login(mobile, "Anju#2026ok", captcha=True)
    assert resp.status_code == 302
    # The account's own counter asks for the code in a fresh browser too.
    c2 = Client(app)
    for _ in range(3):
        c2.login(mobile, "Wrong#Pass99", captcha=True)
    c3 = Client(app)
    resp = c3.login(mobile, "Anju#2026ok", captcha=False)
    assert resp.status_code == 200


def test_sms_login_by_mobile_and_by_id_number(app):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="吴短信")
    for identifier in (mobile, id_number):
        age_codes(app, mobile)
        c = Client(app)
        assert request_code(c, identifier, "login", page="/login/?tab=sms").status_code == 200
        code = latest_code(app, mobile)
        token = c.token("/login/?tab=sms")
        resp = c.post("/login/sms", data={"identifier": identifier, "sms_code": code, "csrf_token": token})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/my/"), identifier
    c = Client(app)
    resp = request_code(c, new_mobile(), "login", page="/login/?tab=sms")
    assert resp.status_code == 422 and "未注册" in resp.get_json()["message"]
    token = c.token("/login/?tab=sms")
    resp = c.post("/login/sms", data={"identifier": mobile, "sms_code": "123456", "csrf_token": token})
    assert resp.status_code == 200 and "验证码" in resp.get_data(as_text=True)


def test_enterprise_login_by_credit_code(app):
    from app.security.models import AnjuUser  # noqa: F401

    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == "91500103MA5U7A1B23")).scalar_one()
        u = user(app, "ent_a")
    # ent_a's login name is its own; an enterprise registered through the form uses its code.
    c = Client(app)
    resp, code, mobile = register_org(c, app, name="重庆登录测试物业有限公司")
    assert resp.status_code == 302
    c = Client(app)
    page = c.get("/login/?tab=org").get_data(as_text=True)
    assert "统一社会信用代码" in page
    resp = c.login(code, "Anju#2026ok")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/my/")
    assert org.id and u is not None


# --- organisation registration and review ---------------------------------------------------

def test_org_registration_reviewed_returned_corrected_and_approved(app, login):
    c = Client(app)
    page = c.get("/register/org").get_data(as_text=True)
    for label in ("注册城市", "企业类型", "统一社会信用代码", "企业名称", "法定代表人", "机构注册协议",
                  "开发建设单位", "物业服务企业", "住房租赁企业", "房地产经纪机构", "业主委员会"):
        assert label in page, label
    resp, code, mobile = register_org(c, app, name="重庆审核流程物业有限公司")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalar_one()
        assert org.review_status == "pending" and not org.active and org.region_code == "500103"
        application = db.session.execute(select(Application).where(Application.subject_id == org.id,
                                                                   Application.app_type == "org_registration")).scalar_one()
        app_id, number = application.id, application.number
        assert application.status == "submitted" and number.startswith("JG")
    # The applicant sees only its own application.
    applicant = Client(app)
    assert applicant.login(code, "Anju#2026ok").status_code == 302
    assert applicant.get(f"/applications/show/{app_id}").status_code == 200
    assert applicant.get("/organizationview/list/").status_code in (302, 403)
    assert applicant.get("/applications/list/").status_code in (302, 403)
    page = applicant.get(f"/applications/show/{app_id}").get_data(as_text=True)
    assert "营业执照.pdf" in page and "已提交" in page
    file_url = re.search(r'href="(/uploads/[0-9a-f]+)"', page).group(1)
    assert applicant.get(file_url).data.startswith(b"%PDF")
    # Another enterprise cannot open it or its file.
    other = login("ent_b")
    assert other.get(f"/applications/show/{app_id}").status_code in (403, 404)
    assert other.get(file_url).status_code == 404
    # The reviewer accepts, then returns with a reason.
    reviewer = login("reviewer")
    listing = reviewer.get("/applications/list/").get_data(as_text=True)
    assert number in listing
    assert reviewer.get(file_url).status_code == 200
    url = f"/applications/decide/{app_id}"
    show = f"/applications/show/{app_id}"
    reviewer.form(url, {"action": "approve"}, get_url=show)          # illegal before acceptance
    page = reviewer.get(show).get_data(as_text=True)
    assert "已提交" in page
    reviewer.form(url, {"action": "accept"}, get_url=show)
    resp = reviewer.form(url, {"action": "return", "reason": ""}, get_url=show, follow_redirects=True)
    assert "原因" in resp.get_data(as_text=True)                    # a reason is required
    reviewer.form(url, {"action": "return", "reason": "营业执照不清晰，请重新上传"}, get_url=show)
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalar_one()
        assert org.review_status == "returned" and "营业执照" in org.review_reason
    assert any("退回" in m for m in messages_to(app, mobile))
    # The public lookup tells the state, nothing personal.
    page = Client(app).get(f"/enterprise-lookup?code={code}").get_data(as_text=True)
    assert "已退回" in page and "赵大力" not in page and mobile not in page
    # The applicant corrects and resubmits; a helpdesk user cannot decide.
    page = applicant.get(show).get_data(as_text=True)
    assert "营业执照不清晰" in page and "btn-correct" in page
    token = applicant.token(f"/register/org/correct/{app_id}")
    from tests.accounts.helpers import real_pdf

    resp = applicant.post(f"/register/org/correct/{app_id}", data={
        "csrf_token": token, "city_code": "500000", "district_code": "500103",
        "enterprise_type": "property_company", "name": "重庆审核流程物业服务有限公司", "legal_rep": "赵大力",
        "files": [(io.BytesIO(real_pdf()), "营业执照-清晰.pdf")]}, content_type="multipart/form-data")
    assert resp.status_code == 302
    helpdesk = login("helpdesk")
    assert helpdesk.form(url, {"action": "accept"}, get_url="/helpdesk/?q=13800000001").status_code in (302, 403, 404)
    reviewer.form(url, {"action": "accept"}, get_url=show)
    reviewer.form(url, {"action": "approve"}, get_url=show)
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == code)).scalar_one()
        assert org.review_status == "approved" and org.active and org.name == "重庆审核流程物业服务有限公司"
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == code)).scalar_one()
        assert [r.name for r in u.roles] == ["ent_admin"]
        app_row = db.session.get(Application, app_id)
        assert [e.action for e in app_row.events] == ["create", "submit", "accept", "return", "resubmit",
                                                      "accept", "approve"]
        assert all(e.actor_name for e in app_row.events)
    page = Client(app).get(f"/enterprise-lookup?code={code}").get_data(as_text=True)
    assert "审核通过" in page
    # Now the enterprise works in the console.
    ent = Client(app)
    assert ent.login(code, "Anju#2026ok").status_code == 302
    assert ent.get("/orgusers/list/").status_code == 200


def test_org_registration_refusals(app):
    c = Client(app)
    resp, code, _m = register_org(c, app, name="重庆重复注册物业有限公司")
    assert resp.status_code == 302
    for kwargs, expected in (
        ({"code": code}, "已"),                            # registered already (under review)
        ({"code": "91500103MA5U7A1B2X"}, "统一社会信用代码"),  # bad check character
        ({"agreed": False}, "协议"),
        ({"files": False}, "上传"),
        ({"district": "510104"}, "区县"),                  # a 成都 district under 重庆
    ):
        c = Client(app)
        resp, _code, _mobile = register_org(c, app, **kwargs)
        body = resp.get_data(as_text=True)
        error = re.search(r'id="form-error">([^<]+)<', body)
        assert resp.status_code == 200 and error and expected in error.group(1), (kwargs, error and error.group(1))


def test_upload_of_wrong_type_is_refused_and_nothing_is_created(app):
    c = Client(app)
    code = new_credit_code()
    mobile = new_mobile("1360")
    assert request_code(c, mobile, "register", page="/register/org").status_code == 200
    data = {"city_code": "500000", "district_code": "500103", "enterprise_type": "developer",
            "credit_code": code, "name": "重庆假文件开发有限公司", "legal_rep": "赵大力", "mobile": mobile,
            "sms_code": latest_code(app, mobile), "password": "Anju#2026ok", "confirm": "Anju#2026ok",
            "agreed": "1", "files": [(io.BytesIO(b"MZ\x90\x00fake exe"), "营业执照.pdf")],
            "csrf_token": c.token("/register/org")}
    resp = c.post("/register/org", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200 and "营业执照.pdf" in re.search(r'id="form-error">([^<]+)<',
                                                                 resp.get_data(as_text=True)).group(1)
    with app.app_context():
        assert db.session.execute(select(Organization).where(Organization.credit_code == code)).first() is None
        assert db.session.execute(select(AnjuUser).where(AnjuUser.username == code)).first() is None


# --- real-name ------------------------------------------------------------------------------

def _registry_workbook(rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "证件类型", "证件号码", "来源"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import_registry(admin, rows):
    token = admin.token("/realnameregistryview/import/")
    return admin.post("/realnameregistryview/import/", data={
        "csrf_token": token, "file": (io.BytesIO(_registry_workbook(rows)), "registry.xlsx")},
        content_type="multipart/form-data")


def test_realname_against_the_imported_registry(app, login):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="郑实名")
    admin = login("admin")
    bad = _import_registry(admin, [("郑实名", "居民身份证", id_number, "公安"), ("坏号", "居民身份证", "500103199001011234", "")])
    assert "未导入任何数据" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(RealnameRegistry).where(RealnameRegistry.id_number == id_number)).first() is None
    if id_number[-1] != "X":
        # An 18-digit number stored as an Excel number has lost digits: refused, with the fix.
        lost = _import_registry(admin, [("郑实名", "居民身份证", int(id_number), "公安")])
        assert "文本格式" in lost.get_data(as_text=True)
    ok = _import_registry(admin, [("郑实名", "居民身份证", f" {id_number} ", "公安")])
    assert "成功导入1条数据" in ok.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(RealnameRegistry).where(RealnameRegistry.id_number == id_number)).first()
    me = Client(app)
    me.login(mobile, "Anju#2026ok")
    page = me.get("/my/realname").get_data(as_text=True)
    assert "真实姓名" in page
    resp = me.form("/my/realname", {"name": "郑不对", "id_type": "resident_id", "id_number": id_number},
                   follow_redirects=True)
    assert "未通过" in resp.get_data(as_text=True) and "不一致" in resp.get_data(as_text=True)
    resp = me.form("/my/realname", {"name": "郑实名", "id_type": "resident_id", "id_number": id_number})
    assert resp.status_code == 302
    page = me.get("/my/").get_data(as_text=True)
    assert "已实名" in page
    with app.app_context():
        person = db.session.execute(select(Person).where(Person.id_number == id_number)).scalar_one()
        assert person.realname_status == "verified" and person.realname_at is not None
    # The REST view of one's own state agrees.
    from tests.conftest import api_token

    token = api_token(app, mobile, "Anju#2026ok")
    r = app.test_client().get("/api/v1/realname/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json()["status"] == "verified" and r.get_json()["label"] == "已实名"


def test_realname_daily_attempts_are_capped(app):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="冯多次")
    me = Client(app)
    me.login(mobile, "Anju#2026ok")
    for _ in range(5):
        me.form("/my/realname", {"name": "冯多次", "id_type": "resident_id", "id_number": id_number})
    resp = me.form("/my/realname", {"name": "冯多次", "id_type": "resident_id", "id_number": id_number})
    assert "明天" in resp.get_data(as_text=True)


def test_realname_required_refuses_with_a_link(fresh_app):
    """The guard later modules put on pages that need a verified identity."""
    from app.accounts.views import realname_required

    app = fresh_app
    app.add_url_rule("/test-realname-probe", "realname_probe", realname_required(lambda: "ok"))
    c = Client(app)
    resp, mobile, _id = register_person(c, app, name="陈未实")
    me = Client(app)
    me.login(mobile, "Anju#2026ok")
    resp = me.get("/test-realname-probe")
    assert resp.status_code == 302 and "/my/realname" in resp.headers["Location"]
    page = me.get(resp.headers["Location"]).get_data(as_text=True)
    assert "当前身份未实名认证" in page and "真实姓名" in page


# --- mobile ---------------------------------------------------------------------------------

def test_change_mobile_with_code_to_the_new_number(app):
    c = Client(app)
    resp, old, _id = register_person(c, app, name="褚换号")
    me = Client(app)
    me.login(old, "Anju#2026ok")
    new = new_mobile()
    assert request_code(me, new, "change_mobile", page="/my/mobile").status_code == 200
    resp = me.form("/my/mobile", {"mobile": new, "sms_code": "000000"})
    assert "验证码" in resp.get_data(as_text=True)
    resp = me.form("/my/mobile", {"mobile": new, "sms_code": latest_code(app, new)})
    assert resp.status_code == 302
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.mobile == new)).scalar_one()
        assert u.username == new
        entries = db.session.execute(select(AuditLog.summary).where(AuditLog.entity == "AnjuUser",
                                                                    AuditLog.entity_id == str(u.id))).scalars().all()
        assert any(old in (s or "") for s in entries)
    assert any("手机号码已变更" in m for m in messages_to(app, old))
    # Anonymous users cannot ask for a change-mobile code.
    anon = Client(app)
    resp = request_code(anon, new_mobile(), "change_mobile", page="/register/person")
    assert resp.status_code == 422


def test_enterprise_lookup_unknown_and_invalid(app):
    c = Client(app)
    page = c.get("/enterprise-lookup?code=" + new_credit_code()).get_data(as_text=True)
    assert "未查询到" in page
    page = c.get("/enterprise-lookup?code=123").get_data(as_text=True)
    assert "统一社会信用代码" in page and "alert-danger" in page
    page = c.get("/enterprise-lookup?code=91500103MA5U7A1B23").get_data(as_text=True)
    assert "重庆安居物业服务有限公司" in page and "审核通过" in page


def test_applicants_cannot_reach_each_others_applications(app, login):
    first = Client(app)
    resp, code_a, _m = register_org(first, app, name="重庆甲方物业服务有限公司")
    second = Client(app)
    resp, code_b, _m = register_org(second, app, name="重庆乙方物业服务有限公司")
    with app.app_context():
        ids = {}
        for code in (code_a, code_b):
            org_id = db.session.execute(select(Organization.id).where(Organization.credit_code == code)).scalar_one()
            ids[code] = db.session.execute(select(Application.id).where(Application.subject_id == org_id)).scalar_one()
    a = Client(app)
    assert a.login(code_a, "Anju#2026ok").status_code == 302
    assert a.get(f"/applications/show/{ids[code_a]}").status_code == 200
    # A guessed id of someone else's application, its correction page and its decision endpoint.
    assert a.get(f"/applications/show/{ids[code_b]}").status_code == 404
    assert a.get(f"/register/org/correct/{ids[code_b]}").status_code == 404
    token = a.token(f"/applications/show/{ids[code_a]}") if "csrf_token" in a.get(
        f"/applications/show/{ids[code_a]}").get_data(as_text=True) else a.token("/my/mobile")
    resp = a.post(f"/applications/decide/{ids[code_b]}", data={"action": "terminate", "csrf_token": token})
    assert resp.status_code in (403, 404)
    # The public user sees no application lists, and a district admin (no decider) cannot decide.
    assert login("public1").get(f"/applications/show/{ids[code_b]}").status_code == 404
    district = login("district1")
    assert district.get(f"/applications/show/{ids[code_b]}").status_code == 200
    district.form(f"/applications/decide/{ids[code_b]}", {"action": "accept"}, get_url="/agencyfiling/add")
    with app.app_context():
        assert db.session.get(Application, ids[code_b]).status == "submitted"


def test_application_form_prints_and_downloads_as_pdf_for_those_who_see_it(app, login):
    c = Client(app)
    resp, code, mobile = register_org(c, app, name="重庆打印测试物业有限公司")
    with app.app_context():
        org_id = db.session.execute(select(Organization.id).where(Organization.credit_code == code)).scalar_one()
        pk = db.session.execute(select(Application.id).where(Application.subject_id == org_id)).scalar_one()
    applicant = Client(app)
    applicant.login(code, "Anju#2026ok")
    page = applicant.get(f"/applications/print/{pk}").get_data(as_text=True)
    assert "机构注册申请表" in page and "注册城市" in page and "重庆市" in page and "window.print" in page
    assert mobile not in page
    pdf = applicant.get(f"/applications/pdf/{pk}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    reviewer = login("reviewer")
    assert reviewer.get(f"/applications/pdf/{pk}").status_code == 200
    for username in ("ent_b", "public1"):
        other = login(username)
        assert other.get(f"/applications/print/{pk}").status_code in (403, 404), username
        assert other.get(f"/applications/pdf/{pk}").status_code in (403, 404), username


def test_own_pages_need_a_login(client):
    for path in ("/my/", "/my/realname", "/my/mobile", "/register/org/correct/1", "/applications/print/1",
                 "/applications/pdf/1", "/staffaccounts/add", "/agencyfiling/add", "/helpdesk/?q=13800000011"):
        resp = client.get(path)
        assert resp.status_code in (302, 401, 403) and "/login" in resp.headers.get("Location", "/login"), path
    r = client.get("/api/v1/realname/")
    assert r.status_code == 401
