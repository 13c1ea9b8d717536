"""Forms prefill what the console knows, check formats before an SMS code is spent, and every
dead end links to its fix — through the real pages."""
import html as htmlmod
import itertools
import re

from sqlalchemy import select, update

from app.accounts.models import Person
from app.core.sms import SmsMessage
from app.extensions import db
from app.security.models import AnjuUser
from tests.accounts.helpers import new_credit_code, new_id, new_mobile, register_person
from tests.conftest import Client

_seq = itertools.count(1)


def _sent_to(app, mobile):
    with app.app_context():
        return db.session.execute(select(SmsMessage).where(SmsMessage.mobile == mobile)).scalars().all()


def _ask_code(c, page, data, fetch_captcha=True):
    token = c.token(page) if fetch_captcha else data.pop("_token")
    if fetch_captcha:
        c.http.get("/captcha/sms.png")
    payload = {"captcha": "TEST", "csrf_token": token, **data}
    return c.http.post("/sms/send", data=payload), token


def _bad_check_digit(number):
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


# --- checks before a code is spent ---------------------------------------------------------

def test_registration_button_sends_its_fields_for_checking(app):
    page = Client(app).get("/register/person").get_data(as_text=True)
    assert 'data-check="name id_type id_number"' in page
    assert "请检查证件号码" in page and "请检查手机号码" in page          # the client-side hints
    assert 'data-check="credit_code"' in Client(app).get("/register/org").get_data(as_text=True)
    assert 'data-check="name id_number"' in Client(app).get("/register/staff").get_data(as_text=True)
    assert 'data-check="name id_number"' in Client(app).get("/complaint/new").get_data(as_text=True)


def test_wrong_id_check_digit_spends_no_code_nor_the_picture(app):
    c = Client(app)
    mobile = new_mobile()
    resp, token = _ask_code(c, "/register/person", {
        "mobile": mobile, "purpose": "register", "check.name": "王小明", "check.id_type": "resident_id",
        "check.id_number": _bad_check_digit(new_id())})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["ok"] is False and "证件号码" in body["message"] and body["captcha_kept"] is True
    assert _sent_to(app, mobile) == []
    # The same picture code still works once the number is right.
    resp, _t = _ask_code(c, "/register/person", {
        "_token": token, "mobile": mobile, "purpose": "register", "check.name": "王小明",
        "check.id_type": "resident_id", "check.id_number": new_id()}, fetch_captcha=False)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert len(_sent_to(app, mobile)) == 1


def test_wrong_mobile_name_or_credit_code_spend_no_code(app):
    c = Client(app)
    resp, _t = _ask_code(c, "/register/person", {"mobile": "1380000", "purpose": "register"})
    assert resp.status_code == 422 and "手机号码" in resp.get_json()["message"]
    mobile = new_mobile()
    resp, _t = _ask_code(c, "/register/person", {"mobile": mobile, "purpose": "register", "check.name": "X",
                                                 "check.id_type": "resident_id", "check.id_number": new_id()})
    assert resp.status_code == 422 and "姓名" in resp.get_json()["message"]
    resp, _t = _ask_code(c, "/register/org", {"mobile": mobile, "purpose": "register",
                                              "check.credit_code": _bad_check_digit(new_credit_code())})
    assert resp.status_code == 422 and "统一社会信用代码" in resp.get_json()["message"]
    resp, _t = _ask_code(c, "/register/person", {"mobile": mobile, "purpose": "register",
                                                 "check.id_type": "resident_id", "check.id_number": ""})
    assert resp.status_code == 422 and "证件号码" in resp.get_json()["message"]
    assert _sent_to(app, mobile) == []


def test_sms_login_checks_the_id_number_first(app):
    c = Client(app)
    resp, _t = _ask_code(c, "/login/?tab=sms", {"mobile": _bad_check_digit(new_id()), "purpose": "login"})
    assert resp.status_code == 422 and "证件号码" in resp.get_json()["message"]
    resp, _t = _ask_code(c, "/login/?tab=sms", {"mobile": "12345", "purpose": "login"})
    assert resp.status_code == 422 and "手机号码" in resp.get_json()["message"]


# --- complaint form prefilled from the verified person ---------------------------------------

def test_complaint_form_prefills_a_verified_person(app):
    c = Client(app)
    resp, mobile, id_number = register_person(c, app, name="郑预填")
    assert resp.status_code == 302
    me = Client(app)
    assert me.login(mobile, "Anju#2026ok").status_code == 302
    page = me.get("/complaint/new").get_data(as_text=True)
    assert 'value="郑预填"' in page and f'value="{mobile}"' in page
    assert id_number not in page                                  # not verified yet: no ID number
    with app.app_context():
        uid = db.session.execute(select(AnjuUser.id).where(AnjuUser.mobile == mobile)).scalar_one()
        db.session.execute(update(Person).where(Person.user_id == uid).values(realname_status="verified"))
        db.session.commit()
    page = me.get("/complaint/new").get_data(as_text=True)
    assert f'id="f-id_number" name="id_number" value="{id_number}"' in page
    assert 'value="郑预填"' in page and "已按您的实名信息填写" in page


# --- 是否本地企业 from the registration --------------------------------------------------------

def test_is_local_follows_the_credit_code_of_the_registration(ctx):
    from app.property.enterprise.services import initial_values, is_local_by_registration
    from app.system.models import Organization, Region

    def org(code, region="500103"):
        o = Organization(name="测试", credit_code=code, region_code=region)
        o.region = db.session.get(Region, region)
        return o

    assert is_local_by_registration(org(new_credit_code("500112"))) is True      # 渝北区, in 重庆
    assert is_local_by_registration(org(new_credit_code("510104"))) is False     # 成都, works in 重庆
    assert is_local_by_registration(org(new_credit_code("510104"), region=None)) is None
    assert is_local_by_registration(org("123")) is None
    values = initial_values(org(new_credit_code("510104")))
    assert values["is_local"] == "no" and values["is_local_from"] == "registration"


def test_filing_form_prefills_is_local_from_the_registration(app):
    from app.system.models import Organization
    from tests.property.test_care import make_enterprise

    tag = f"F{next(_seq)}"
    with app.app_context():
        org_id, username, _areas = make_enterprise(tag, areas=())
        db.session.get(Organization, org_id).credit_code = new_credit_code("510104")     # 成都
        db.session.commit()
    c = Client(app)
    assert c.login(username).status_code == 302
    page = c.get("/enterprise/filing/file").get_data(as_text=True)
    assert re.search(r'id="is_local-no" value="no"\s+checked', page)
    assert not re.search(r'id="is_local-yes" value="yes"\s+checked', page)
    assert 'id="is_local-prefilled"' in page and "已按注册信息" in page


# --- 开立从业人员账号 from a staff record ------------------------------------------------------

def _make_staff(app, org, name, post="cleaning", areas=()):
    from tests.property.helpers import make_staff

    with app.app_context():
        s = make_staff(org, name, post=post, areas=areas)
        return s.id, s.id_number, s.mobile


def test_staff_account_opened_from_a_chosen_record(app, login):
    sid, id_number, mobile = _make_staff(app, "ent_a", "钱选择")
    ent = login("ent_a")
    page = ent.get("/staffaccounts/add").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="f-staff_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'value="{sid}"' in select_html and id_number not in page
    assert 'data-replaces="name id_number"' in page
    resp = ent.form("/staffaccounts/add", {"staff_id": str(sid), "name": "", "id_number": "", "mobile": "",
                                           "role": "project_lead"})
    assert resp.status_code == 302, htmlmod.unescape(resp.get_data(as_text=True))[:2000]
    with app.app_context():
        person = db.session.execute(select(Person).where(Person.id_number == id_number)).scalar_one()
        assert (person.name, person.mobile) == ("钱选择", mobile)
        from app.property.models import Staff

        assert db.session.get(Staff, sid).user_id == person.user_id      # bound to the chosen record
    page = ent.get("/staffaccounts/add").get_data(as_text=True)
    assert f'value="{sid}"' not in page                                  # has an account now


def test_staff_record_of_another_enterprise_is_refused(app, login):
    sid, id_number, _m = _make_staff(app, "ent_b", "孙别家")
    ent = login("ent_a")
    assert f'value="{sid}"' not in ent.get("/staffaccounts/add").get_data(as_text=True)
    resp = ent.form("/staffaccounts/add", {"staff_id": str(sid), "name": "", "id_number": "", "mobile": "",
                                           "role": "project_lead"})
    page = htmlmod.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and "不存在或不属于本企业" in page
    with app.app_context():
        assert db.session.execute(select(Person).where(Person.id_number == id_number)).first() is None


def test_staff_account_form_preselects_from_the_link(app, login):
    sid, _i, _m = _make_staff(app, "ent_a", "周链接", post="project_lead")
    page = login("ent_a").get(f"/staffaccounts/add?staff_id={sid}&role=project_lead").get_data(as_text=True)
    assert re.search(rf'<option value="{sid}"\s+selected', page)


# --- dead ends link to their fix --------------------------------------------------------------

def _area(app, name, company="重庆安居物业服务有限公司"):
    from tests.complaints.helpers import make_area

    with app.app_context():
        return make_area(name, company=company).id


def test_area_without_lead_links_to_setting_one(app, login):
    pk = _area(app, f"无负责人小区{next(_seq)}")
    ent = login("ent_a")
    page = ent.get(f"/areas/show/{pk}").get_data(as_text=True)
    assert 'id="area-lead-problem"' in page and f'href="/areas/lead/{pk}"' in page
    resp = ent.get(f"/areas/qr/{pk}", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "尚未设置项目负责人" in page
    assert f'id="area-lead-fix" href="/areas/lead/{pk}"' in page


def test_lead_without_account_links_to_opening_it(app, login):
    name = f"有记录小区{next(_seq)}"
    pk = _area(app, name)
    sid, _i, _m = _make_staff(app, "ent_a", "吴无号", post="project_lead", areas=(name,))
    page = login("ent_a").get(f"/areas/show/{pk}").get_data(as_text=True)
    assert "尚未开立登录账号" in page
    assert f"/staffaccounts/add?staff_id={sid}&amp;role=project_lead" in page


def test_lead_who_never_signed_in_links_to_the_lead(app, login):
    from tests.property.helpers import make_lead_account

    name = f"未登录小区{next(_seq)}"
    pk = _area(app, name)
    id_number = new_id()
    with app.app_context():
        make_lead_account(f"lead_never{next(_seq)}", "冯未登", id_number=id_number)
        from tests.property.helpers import make_staff

        sid = make_staff("ent_a", "冯未登", post="project_lead", areas=(name,), id_number=id_number).id
    resp = login("ent_a").get(f"/areas/qr/{pk}", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "须先登录一次平台" in page
    assert f'id="area-lead-fix" href="/staff/show/{sid}"' in page


def test_no_lead_candidates_links_to_adding_one(app):
    from tests.property.test_care import make_enterprise

    tag = f"L{next(_seq)}"
    with app.app_context():
        _org, username, areas = make_enterprise(tag, areas=("一期",))
        pk = areas["一期"].id
    c = Client(app)
    assert c.login(username).status_code == 302
    page = c.get(f"/areas/lead/{pk}").get_data(as_text=True)
    assert 'id="no-candidates"' in page and f"/staff/add?post=project_lead&amp;area={pk}" in page
    form = c.get(f"/staff/add?post=project_lead&area={pk}").get_data(as_text=True)
    assert re.search(r'<option value="project_lead"\s+selected', form)
    assert re.search(rf'value="{pk}"\s+checked', form)


def test_equipment_without_plan_links_to_creating_one(app):
    from tests.property.test_care import make_enterprise
    from tests.property.test_equipment import make_equipment

    tag = f"P{next(_seq)}"
    with app.app_context():
        _org, username, areas = make_enterprise(tag, areas=("一期",))
        e = make_equipment(areas["一期"], name=f"消防泵{tag}", equip_type="fire")
        pk = e.id
    c = Client(app)
    assert c.login(username).status_code == 302
    page = c.get(f"/equipment/show/{pk}").get_data(as_text=True)
    assert f"/careplans/add?kind=inspection&amp;equipment={pk}" in page
    form = c.get(f"/careplans/add?kind=maintenance&equipment={pk}").get_data(as_text=True)
    assert re.search(rf'<option[^>]*value="{pk}"[^>]*selected|<option[^>]*selected[^>]*value="{pk}"', form)
    assert f"消防泵{tag}" in form


def test_area_refusing_requests_offers_another_area(app):
    pk = _area(app, f"不受理小区{next(_seq)}")
    with app.app_context():
        from app.property.models import PropertyArea

        code = db.session.get(PropertyArea, pk).public_code
    page = Client(app).get(f"/complaint/new?area={code}").get_data(as_text=True)
    assert 'id="form-error"' in page and 'href="/complaint/new"' in page and "选择其他区域" in page
