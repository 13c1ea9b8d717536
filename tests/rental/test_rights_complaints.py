"""用户维权 (seed 000 反馈意见 → 用户维权; issue 14): a complaint about a rental enterprise filed on
/rental/rights/ goes through the complaints engine (number, SMS, the 5-day deadline) to the
district of the property (from the contract or listing code, else the enterprise's district).
The district's staff handle it; the enterprise reads it and gets a notice; the street of the
property reads it; the complainant follows it by number and mobile; everyone else sees nothing.
Overdue ones are escalated to the city, with no credit-deduction proposal."""
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.complaints.models import Complaint, ComplaintEvent, CreditProposal
from app.core.notices import Notice
from app.extensions import db
from tests.complaints.helpers import last_code, messages, new_id, new_mobile
from tests.rental.helpers import PDF, new_rental_enterprise, org, signed_contract, user, verified

PAGE = "/rental/rights/"


# --- helpers --------------------------------------------------------------------------------

def _sms_code(app, mobile):
    """A complaint code for ``mobile`` sent by the SMS service, read back from the outbox."""
    from app.core import sms

    with app.app_context():
        sms.send_code(mobile, sms.SmsPurpose.COMPLAINT)
        return last_code(mobile)


def _form(app, enterprise=None, number="", mobile=None, **change):
    mobile = mobile or new_mobile("1356")
    data = {"name": "周维权", "id_number": new_id(), "mobile": mobile, "address": "重庆市渝中区测试路1号",
            "enterprise": str(enterprise or ""), "subject_number": number,
            "content": "中介收取看房费后拒不退还押金"}
    data.update(change)
    if "sms_code" not in data:
        data["sms_code"] = _sms_code(app, data["mobile"])
    return data


def _messages(app, mobile):
    with app.app_context():
        return messages(mobile)


def _submit(client, data):
    return client.form(PAGE, data, follow_redirects=True)


def _row(app, number):
    with app.app_context():
        c = db.session.execute(select(Complaint).where(Complaint.number == number)).scalars().one()
        db.session.expunge(c)
        return c


def _number(html):
    return re.search(r"投诉编号 (\d{18})", html).group(1)


def _file(app, enterprise=None, number="", moment=None, **change):
    """A rental complaint filed through the service (the page's call)."""
    from app.rental.rights import services

    data = _form(app, enterprise, number, **change)
    with app.app_context():
        c = services.submit(data, moment=moment)
        return c.id, c.number, c.mobile


def _org_id(app, key):
    with app.app_context():
        return org(key).id


def _district_user(app, region="500112"):
    """A district staff account of 渝北区 (the demo has none)."""
    from app.system.models import Organization
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        sm = app.appbuilder.sm
        username = f"district_{region}"
        if sm.find_user(username=username) is None:
            office = db.session.execute(select(Organization).where(
                Organization.region_code == region, Organization.org_type == "district")).scalars().one()
            sm.add_user(username, "渝北区管理员", "", f"{username}@test.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=office.id, mobile=new_mobile("1357"),
                        must_change_password=False)
        return username


@pytest.fixture
def yubei(app):
    """A rental enterprise of 渝北区 with its administrator (who logs in)."""
    with app.app_context():
        o, admin, _agent = new_rental_enterprise(region="500112", agent=False)
        return o.id, o.name, admin.username


@pytest.fixture
def contract_in_yuzhong(app, yubei):
    """A contract the 渝北 enterprise signed for a property in 渝中区 七星岗街道."""
    with app.app_context():
        admin = user(yubei[2])
        c = signed_contract(admin)
        assert (c.region_code, c.street_code) == ("500103", "500103001")
        return c.number


# --- the page -------------------------------------------------------------------------------

def test_the_form_has_the_seed_steps_and_is_linked_from_the_rental_services(app, client):
    html = client.get(PAGE).get_data(as_text=True)
    for text in ("用户维权", "第一步：填写投诉人信息", "第二步：填写投诉内容", "第三步：选择文件", "第四步：提交",
                 "姓名", "居民身份证", "电话号码", "地址", "被投诉企业", "合同编号或房源识别码",
                 "投诉内容", "上传相关文件", 'name="sms_code"', 'name="captcha"'):
        assert text in html, text
    # Rental enterprises and agencies only: not a property company, not a listing platform.
    assert "重庆安居住房租赁有限公司（渝中区）" in html and "重庆渝北宜居住房租赁有限公司（渝北区）" in html
    assert "重庆安居物业服务有限公司" not in html and "重庆市房屋租赁信息共享平台" not in html
    html = client.get(PAGE + "?q=渝北").get_data(as_text=True)
    assert "重庆渝北宜居住房租赁有限公司" in html and "重庆安居住房租赁有限公司" not in html
    html = client.get(PAGE + "?q=不存在的企业").get_data(as_text=True)
    assert "没有该名称的住房租赁企业或房地产经纪机构。" in html
    landing = client.get("/rental/services/").get_data(as_text=True)
    assert 'id="link-rights" href="/rental/rights/"' in landing
    templates = client.get("/rental/services/templates").get_data(as_text=True)
    nav = re.search(r'<ul class="nav nav-pills rental-public-nav".*?</ul>', templates, re.S).group(0)
    assert 'href="/rental/rights/"' in nav and "用户维权" in nav


def test_without_a_number_the_complaint_goes_to_the_enterprise_district(app, client):
    ent_c = _org_id(app, "ent_c")
    data = _form(app, ent_c)
    resp = _submit(client, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "您的投诉已提交" in html, html[:2000]
    number = _number(html)
    assert "重庆渝北宜居住房租赁有限公司" in html and "渝北区住房主管部门" in html
    c = _row(app, number)
    assert (c.kind, c.area_id, c.org_id, c.district_code, c.street_code, c.region_code, c.subject_number) == \
        ("rental", None, ent_c, "500112", None, "500112", None)
    assert number.startswith("500112" + c.submitted_at.strftime("%Y%m%d"))
    assert c.status == "pending" and c.due_at == c.submitted_at + timedelta(days=5)
    assert c.complainant_id is None and c.name == "周维权"
    assert [m for m in _messages(app, data["mobile"]) if number in m], "no receipt SMS"
    with app.app_context():
        notice = db.session.execute(select(Notice).where(Notice.org_id == ent_c, Notice.source_id == c.id)
                                    ).scalars().one()
        assert notice.title == f"收到对贵企业的投诉：{number}" and notice.link == f"/complaints/show/{c.id}"
    # The answer page is the submitter's browser's only.
    assert client.get("/rental/rights/done").status_code == 200
    from tests.conftest import Client

    assert Client(app).get("/rental/rights/done").status_code == 404


def test_a_contract_number_routes_to_the_property_district_and_names_the_enterprise(app, client, yubei,
                                                                                     contract_in_yuzhong):
    org_id, name, _admin = yubei
    # The number alone: the enterprise is the one that signed it. The file is the complaint's.
    data = _form(app, number=contract_in_yuzhong.lower())
    data["files"] = (io.BytesIO(PDF), "押金收据.pdf")
    html = _submit(client, data).get_data(as_text=True)
    c = _row(app, _number(html))
    assert (c.org_id, c.district_code, c.street_code, c.region_code, c.subject_number) == \
        (org_id, "500103", "500103001", "500103001", contract_in_yuzhong)
    assert name in html and "渝中区住房主管部门" in html
    with app.app_context():
        from app.core import uploads

        assert [u.original_name for u in uploads.files_of(db.session.get(Complaint, c.id))] == ["押金收据.pdf"]
    # The number and the same enterprise chosen.
    html = _submit(client, _form(app, org_id, contract_in_yuzhong)).get_data(as_text=True)
    assert _row(app, _number(html)).district_code == "500103"
    # Without the number the same enterprise's complaint goes to its own district.
    html = _submit(client, _form(app, org_id)).get_data(as_text=True)
    c = _row(app, _number(html))
    assert (c.district_code, c.street_code) == ("500112", None)


def test_a_listing_code_routes_to_the_district_of_the_listing(app, client, yubei):
    org_id, _name, admin = yubei
    with app.app_context():
        v, _prop, _people = verified(user(admin), region="500103003")
        code = v.code
    html = _submit(client, _form(app, number=code)).get_data(as_text=True)
    c = _row(app, _number(html))
    assert (c.org_id, c.district_code, c.street_code, c.subject_number) == (org_id, "500103", "500103003", code)


def test_refusals_name_the_field_and_keep_what_was_typed(app, client, yubei, contract_in_yuzhong):
    ent_c = _org_id(app, "ent_c")
    ent_a = _org_id(app, "ent_a")
    with app.app_context():
        before = db.session.execute(select(func.count(Complaint.id))).scalar()
    good_id = new_id()
    bad_id = good_id[:17] + ("0" if good_id[-1] != "0" else "1")
    cases = [
        ({"id_number": bad_id}, None),
        ({"mobile": "1234"}, None),
        ({"name": ""}, "姓名：必须填写"),
        ({"address": ""}, "地址：必须填写"),
        ({"content": "   "}, "内容：必须填写"),
        ({"enterprise": ""}, "被投诉企业：请选择住房租赁企业或房地产经纪机构，或填写合同编号或房源识别码"),
        ({"enterprise": str(ent_a)}, "被投诉企业：所选企业不是在营的住房租赁企业或房地产经纪机构"),
        ({"enterprise": "999999999"}, "被投诉企业：所选企业不是在营的住房租赁企业或房地产经纪机构"),
        ({"enterprise": "", "subject_number": "ZLHT20990101T00000"},
         "合同编号或房源识别码：没有该编号的已签约合同或已核验房源"),
        # Another enterprise's contract: the same answer as an unknown number (nothing leaks).
        ({"enterprise": str(ent_c), "subject_number": contract_in_yuzhong},
         "合同编号或房源识别码：重庆渝北宜居住房租赁有限公司没有该编号的已签约合同，也没有该识别码的已核验房源"),
        ({"enterprise": "", "subject_number": "X" * 33}, "合同编号或房源识别码：最多 32 个字"),
    ]
    from app.core.validators import MESSAGES

    with app.test_request_context():
        checksum = str(MESSAGES["id.checksum"])
        mobile_format = str(MESSAGES["mobile.format"])
    for change, expected in cases:
        if "id_number" in change:
            expected = f"证件号码：{checksum}"
        if change.get("mobile") == "1234":
            expected = f"手机号码：{mobile_format}"
        data = _form(app, ent_c, **({"sms_code": "000000"} if "mobile" in change else {}))
        data.update(change)
        resp = client.form(PAGE, data)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, (change, html[:500])
        assert f'<div class="alert alert-danger" id="form-error">{expected}</div>' in html, (change, expected)
        if "content" not in change:
            assert "中介收取看房费后拒不退还押金" in html          # what was typed comes back
    with app.app_context():
        assert db.session.execute(select(func.count(Complaint.id))).scalar() == before


def test_a_wrong_number_keeps_the_sms_code_for_the_corrected_form(app, client, yubei, contract_in_yuzhong):
    data = _form(app, number="ZLHT20990101T99999")
    resp = client.form(PAGE, data)
    assert resp.status_code == 422
    assert "合同编号或房源识别码：没有该编号的已签约合同或已核验房源" in resp.get_data(as_text=True)
    data["subject_number"] = contract_in_yuzhong
    html = _submit(client, data).get_data(as_text=True)
    assert _row(app, _number(html)).org_id == yubei[0]


def test_the_wrong_sms_code_is_refused_before_any_lookup(app, client):
    """A number is looked up only for someone who holds the phone: with a wrong SMS code the
    answer is about the code, whatever the number."""
    data = _form(app, number="ZLHT20990101T77777")
    data["sms_code"] = "000000" if data["sms_code"] != "000000" else "111111"
    resp = client.form(PAGE, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert '<div class="alert alert-danger" id="form-error">验证码错误，还可尝试4次。</div>' in html
    assert "没有该编号的已签约合同" not in html


# --- handling -------------------------------------------------------------------------------

def test_the_district_of_the_property_accepts_and_completes_with_sms(app, login, yubei, contract_in_yuzhong):
    pk, number, mobile = _file(app, number=contract_in_yuzhong)
    d = login("district1")
    html = d.get(f"/complaints/list/?_flt_0_kind=rental&_flt_3_number={number}").get_data(as_text=True)
    assert number in html and "租赁维权" in html and yubei[1] in html
    html = d.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'id="complaint-kind">租赁维权' in html and f'id="complaint-enterprise">{yubei[1]}' in html
    assert f'id="complaint-subject">{contract_in_yuzhong}' in html
    assert 'id="btn-accept"' in html and 'id="btn-refuse"' in html
    assert 'id="btn-guide"' not in html and 'id="btn-further"' not in html and 'id="btn-supplement"' not in html
    resp = d.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url=f"/complaints/show/{pk}",
                  follow_redirects=True)
    assert "已完成：接收处理。" in resp.get_data(as_text=True)
    resp = d.form(f"/complaints/act/{pk}", {"action": "complete", "note": "已约谈企业，押金已退还"},
                  get_url=f"/complaints/show/{pk}", follow_redirects=True)
    assert "已完成：完成处理。" in resp.get_data(as_text=True)
    c = _row(app, number)
    assert c.status == "to_evaluate" and c.result == "已约谈企业，押金已退还"
    sent = _messages(app, mobile)
    assert len(sent) >= 4 and number in sent[-1] and "已约谈企业，押金已退还" in sent[-1]
    assert number in sent[-2] and "您的需求及建议我们已收到" in sent[-2]
    with app.app_context():
        from app.core.sms import SmsMessage

        templates = [m.template for m in db.session.execute(
            select(SmsMessage).where(SmsMessage.mobile == mobile).order_by(SmsMessage.id)).scalars()]
    assert templates[-3:] == ["complaint_received", "complaint_accepted", "complaint_completed"]
    # The print sheet says what it is about.
    html = d.get(f"/complaints/print/{pk}").get_data(as_text=True)
    assert "租赁维权" in html and yubei[1] in html and contract_in_yuzhong in html


def test_the_district_refuses_from_pending(app, login):
    pk, number, mobile = _file(app, _org_id(app, "agency_a"))
    d = login("district1")
    d.form(f"/complaints/act/{pk}", {"action": "refuse", "note": "不属于租赁纠纷"}, get_url=f"/complaints/show/{pk}")
    c = _row(app, number)
    assert c.status == "to_evaluate" and c.refused and "不属于租赁纠纷" in _messages(app, mobile)[-1]


def test_the_street_and_the_enterprise_read_only(app, login, api):
    agency = _org_id(app, "agency_a")
    pk, number, _m = _file(app, agency, number="")
    c = _row(app, number)
    assert (c.district_code, c.street_code) == ("500103", None)      # agency_a is registered at the district
    # agency_a (ent_admin of the enterprise complained about): reads, cannot act, has the notice.
    a = login("agency_a")
    html = a.get(f"/complaints/list/?_flt_3_number={number}").get_data(as_text=True)
    assert f'class="anju-key">{number}</a>' in html
    html = a.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert "中介收取看房费后拒不退还押金" in html and 'id="complaint-actions"' not in html
    resp = a.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url=f"/complaints/show/{pk}",
                  follow_redirects=True)
    assert resp.status_code in (200, 403)
    assert _row(app, number).status == "pending"
    html = a.get("/notices/list/").get_data(as_text=True)
    assert f"收到对贵企业的投诉：{number}" in html
    http, headers = api("agency_a")
    assert http.get(f"/api/v1/complaint/{pk}", headers=headers).status_code == 200
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "accept"}, headers=headers)
    assert resp.status_code == 403 and _row(app, number).status == "pending"


def test_the_street_of_the_property_reads_but_may_not_handle_or_intervene(app, login, yubei, contract_in_yuzhong):
    pk, number, _m = _file(app, number=contract_in_yuzhong, content="街道只读的租赁投诉")
    s = login("street1")
    html = s.get(f"/complaints/list/?_flt_3_number={number}").get_data(as_text=True)
    assert "街道只读的租赁投诉" in html
    html = s.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'id="btn-accept"' not in html and 'id="btn-guide"' not in html
    resp = s.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url=f"/complaints/show/{pk}",
                  follow_redirects=True)
    assert "只有房屋所在区县的住房主管部门可以处理此投诉。" in resp.get_data(as_text=True)
    resp = s.form(f"/complaints/act/{pk}", {"action": "guide", "note": "请尽快处理"}, get_url=f"/complaints/show/{pk}",
                  follow_redirects=True)
    assert "租赁维权投诉由区县住房主管部门直接处理，没有街道或区局介入环节。" in resp.get_data(as_text=True)
    assert _row(app, number).status == "pending"


def test_another_district_and_everyone_else_see_nothing(app, login, api, client):
    ent_c = _org_id(app, "ent_c")
    pk, number, _m = _file(app, ent_c, content="渝北区租赁企业的范围测试投诉")
    only = f"?_flt_3_number={number}"
    for username in ("district1", "street1", "pm_a", "ent_a", "agency_a"):
        c = login(username)
        html = c.get("/complaints/list/" + only).get_data(as_text=True)
        assert "渝北区租赁企业的范围测试投诉" not in html, username     # (the number is echoed in the search box)
        assert c.get(f"/complaints/show/{pk}").status_code == 404, username
        assert c.get(f"/complaints/print/{pk}").status_code == 404, username
        assert c.get(f"/complaints/pdf/{pk}").status_code == 404, username
        c.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url="/complaints/list/")
        assert _row(app, number).status == "pending", username
        resp = c.get("/complaints/export/?_flt_0_kind=rental")
        assert resp.status_code == 200, username
        rows = list(load_workbook(io.BytesIO(resp.data), read_only=True).active.iter_rows(values_only=True))
        assert not any(number in [str(v) for v in r] for r in rows), username
        http, headers = api(username)
        assert http.get(f"/api/v1/complaint/{pk}", headers=headers).status_code == 404, username
        resp = http.get("/api/v1/complaint/?q=(filters:!((col:number,opr:eq,value:'%s')))" % number,
                        headers=headers)
        assert resp.status_code == 200 and resp.get_json()["count"] == 0, username
        resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "accept"}, headers=headers)
        # 404 for those who may handle requests (not theirs), 403 for the enterprises (no handling at all).
        assert resp.status_code == (403 if username in ("ent_a", "agency_a") else 404), username
    # helpdesk and the public have no complaint screens at all; anonymous is sent to log in.
    for username in ("helpdesk", "public1"):
        assert login(username).get(f"/complaints/show/{pk}").status_code in (302, 403, 404), username
    assert client.get(f"/complaints/show/{pk}").status_code in (302, 403, 404)
    # The district of 渝北 sees it and handles it; the city reads it.
    yubei_office = login(_district_user(app, "500112"))
    html = yubei_office.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'id="btn-accept"' in html
    yubei_office.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url=f"/complaints/show/{pk}")
    assert _row(app, number).status == "processing"
    assert number in login("gov_admin").get("/complaints/list/" + only).get_data(as_text=True)


def test_the_complainant_follows_by_number_and_mobile_and_evaluates(app, client, login):
    pk, number, mobile = _file(app, _org_id(app, "agency_a"))
    with app.app_context():
        from app.complaints import services

        services.act(db.session.get(Complaint, pk), "accept", user("district1"))
        services.act(db.session.get(Complaint, pk), "complete", user("district1"), note="已协调退还押金")
    from app.core.sms import SmsCode

    with app.app_context():       # age the submission's code past the resend wait
        for code in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
            code.created_at -= timedelta(minutes=2)
        db.session.commit()
    code = _sms_code(app, mobile)
    resp = client.form("/complaint/track", {"number": number, "mobile": mobile, "sms_code": code, "captcha": "TEST"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert 'id="complaint-enterprise">重庆安居住房租赁有限公司' in html and "已协调退还押金" in html
    assert 'id="form-evaluate"' in html
    client.form(f"/complaint/view/{number}/act", {"action": "evaluate", "satisfaction": "5"},
                get_url=f"/complaint/view/{number}")
    assert _row(app, number).status == "closed"


def test_a_signed_in_citizen_files_with_the_own_mobile_and_sees_it_in_my_requests(app, login):
    c = login("public1")
    html = c.get(PAGE).get_data(as_text=True)
    assert 'value="李四"' in html and 'value="13800000011"' in html
    resp = c.form(PAGE, {"name": "李四", "id_number": "500103199005210028", "mobile": "13800000011",
                         "address": "渝中区测试路2号", "enterprise": str(_org_id(app, "agency_a")),
                         "content": "经纪人员隐瞒房屋抵押情况"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    number = _number(html)
    assert 'id="link-view"' in html
    html = c.get("/complaint/mine").get_data(as_text=True)
    assert number in html and "重庆安居住房租赁有限公司" in html
    html = c.get(f"/complaint/view/{number}").get_data(as_text=True)
    assert "经纪人员隐瞒房屋抵押情况" in html


# --- lists, filters, REST -------------------------------------------------------------------

def test_the_list_filters_by_kind_and_the_export_says_it(app, login):
    pk, number, _m = _file(app, _org_id(app, "agency_a"), content="租赁类型过滤测试")
    d = login("district1")
    only = f"&_flt_3_number={number}"
    assert "租赁类型过滤测试" in d.get("/complaints/list/?_flt_0_kind=rental" + only).get_data(as_text=True)
    assert "租赁类型过滤测试" not in d.get("/complaints/list/?_flt_0_kind=property" + only).get_data(as_text=True)
    html = d.get("/complaints/list/?_flt_0_kind=property").get_data(as_text=True)
    assert "租赁维权</td>" not in html
    resp = d.get(f"/complaints/export/?_flt_0_kind=rental{only}")
    rows = list(load_workbook(io.BytesIO(resp.data), read_only=True).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[header.index("编号") + 1] == "类型"
    row = [r for r in rows[1:] if r[header.index("编号")] == number][0]
    assert row[header.index("类型")] == "租赁维权" and row[header.index("物业管理区域")] in (None, "")


def test_the_rest_resource_gives_kind_and_subject_number(app, api, yubei, contract_in_yuzhong):
    pk, number, _m = _file(app, number=contract_in_yuzhong)
    http, headers = api("district1")
    body = http.get(f"/api/v1/complaint/{pk}", headers=headers).get_json()["result"]
    assert body["kind"] == "rental" and body["subject_number"] == contract_in_yuzhong
    assert body["area_id"] is None and body["org"]["name"] == yubei[1]
    resp = http.get("/api/v1/complaint/?q=(filters:!((col:kind,opr:eq,value:rental),"
                    "(col:number,opr:eq,value:'%s')))" % number, headers=headers)
    assert resp.get_json()["count"] == 1
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "accept"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["kind"] == "rental"
    http, headers = api("street1")
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "complete", "note": "x"},
                     headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "只有房屋所在区县的住房主管部门可以处理此投诉。"


def test_a_project_lead_sees_no_rental_complaint(app, login, api):
    _file(app, _org_id(app, "agency_a"), content="项目负责人不应看到的租赁投诉")
    html = login("pm_a").get("/complaints/list/?_flt_0_kind=rental").get_data(as_text=True)
    assert "项目负责人不应看到的租赁投诉" not in html and "租赁维权</td>" not in html
    http, headers = api("pm_a")
    resp = http.get("/api/v1/complaint/?q=(filters:!((col:kind,opr:eq,value:rental)))", headers=headers)
    assert resp.get_json()["count"] == 0


# --- overdue ---------------------------------------------------------------------------------

def test_overdue_rental_complaints_go_to_the_city_without_a_credit_proposal(app, login):
    from app.complaints import services
    from app.system.models import Organization

    moment = datetime.now()
    pk, number, _m = _file(app, _org_id(app, "agency_a"), moment=moment - timedelta(days=6),
                           content="超期的租赁维权投诉")
    with app.app_context():
        services.escalate_overdue(moment)
        c = db.session.get(Complaint, pk)
        assert c.escalated_at == moment
        event = db.session.execute(select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == pk, ComplaintEvent.action == "escalate")).scalars().one()
        assert event.note == "超过处理期限未完成，已升级至市级督办。"
        assert db.session.execute(select(CreditProposal).where(
            CreditProposal.source_type == "complaint", CreditProposal.source_id == pk)).first() is None
        city = db.session.execute(select(Organization).where(Organization.org_type == "city")).scalars().first()
        notice = db.session.execute(select(Notice).where(Notice.org_id == city.id)
                                    .order_by(Notice.id.desc())).scalars().first()
        assert number in notice.body and re.fullmatch(r"\d+ 件需求及建议超期未处理，已转您督办", notice.title)
        notice_id = notice.id
        street = db.session.execute(select(Organization).where(Organization.name == "七星岗街道办事处")).scalars().one()
        assert not db.session.execute(select(Notice).where(Notice.org_id == street.id,
                                                           Notice.body.contains(number))).first()
    # The city reads its notice; the district sees the complaint flagged overdue.
    city_admin = login("gov_admin")
    assert "件需求及建议超期未处理，已转您督办" in city_admin.get("/notices/list/").get_data(as_text=True)
    assert number in city_admin.get(f"/notices/show/{notice_id}").get_data(as_text=True)
    html = login("district1").get(f"/complaints/list/?_flt_0_due_at=y&_flt_3_number={number}").get_data(as_text=True)
    assert "超期的租赁维权投诉" in html
