"""Complaint pages and the REST resource as users use them: the public form by the QR
link, following and evaluating, the staff list with its seed columns and filters, the
detail actions, print/PDF, export, and scope for every role (list, detail, actions,
print, export, API, guessed ids)."""
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.complaints.models import Complaint
from app.extensions import db
from tests.complaints.helpers import act, file_complaint, messages, new_id, new_mobile
from tests.conftest import csrf_token


def _complaint(app, **kw):
    """A complaint filed through the service; its SMS code is aged past the resend cooldown
    so the test can ask for another code for the same mobile."""
    from datetime import timedelta as td

    from app.core.sms import SmsCode

    with app.app_context():
        c = file_complaint(**kw)
        for code in db.session.execute(select(SmsCode).where(SmsCode.mobile == c.mobile)).scalars():
            code.created_at -= td(minutes=2)
        db.session.commit()
        return c.id, c.number, c.mobile


def _status(app, pk):
    with app.app_context():
        return db.session.get(Complaint, pk).status


def _request_code(c, mobile, page):
    token = c.token(page)
    c.http.get("/captcha/sms.png")
    return c.http.post("/sms/send", data={"mobile": mobile, "purpose": "complaint", "captcha": "TEST",
                                          "csrf_token": token})


def _code(app, mobile):
    with app.app_context():
        from tests.complaints.helpers import last_code

        return last_code(mobile)


# --- public pages -------------------------------------------------------------------------

def test_submit_by_qr_link_then_follow_and_evaluate(app, client, login):
    page = "/complaint/new?area=demo-heping"
    html = client.get(page).get_data(as_text=True)
    assert "和平小区（渝中区七星岗街道）" in html and 'name="area"' not in html
    mobile = new_mobile("1351")
    assert _request_code(client, mobile, page).get_json()["ok"] is True
    resp = client.form(page, {"name": "王五", "id_number": new_id(), "mobile": mobile,
                              "sms_code": _code(app, mobile), "address": "和平小区1栋",
                              "content": "楼道灯坏了三天"},
                       get_url=page, follow_redirects=True)
    html = resp.get_data(as_text=True)
    number = re.search(r"需求及建议已提交，编号 (\d{18})", html).group(1)
    assert "待处理" in html and "4天23小时" in html
    with app.app_context():
        c = db.session.execute(select(Complaint).where(Complaint.number == number)).scalars().one()
        pk = c.id
        act(c, "accept", "pm_a")
        act(c, "complete", "pm_a", note="已更换灯泡")
    html = client.get(f"/complaint/view/{number}").get_data(as_text=True)
    assert "已更换灯泡" in html and 'id="form-evaluate"' in html and 'id="btn-revoke"' not in html
    resp = client.form(f"/complaint/view/{number}/act", {"action": "evaluate", "satisfaction": "9"},
                       get_url=f"/complaint/view/{number}", follow_redirects=True)
    assert "满意度：请选择 1 至 5 星。" in resp.get_data(as_text=True)
    resp = client.form(f"/complaint/view/{number}/act", {"action": "evaluate", "satisfaction": "4",
                                                        "note": "及时"},
                       get_url=f"/complaint/view/{number}", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已完成：评价。" in html
    assert _status(app, pk) == "closed"
    assert "★★★★☆" in html


def test_public_form_refusals_keep_the_values(app, client):
    page = "/complaint/new?area=demo-heping"
    mobile = new_mobile("1352")
    resp = client.form(page, {"name": "王五", "id_number": "500103198808080000", "mobile": mobile,
                              "sms_code": "123456", "address": "1栋", "content": "噪音扰民"}, get_url=page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "证件号码：" in html
    assert "噪音扰民" in html and mobile in html
    assert client.get("/complaint/new?area=no-such-area").status_code == 404
    html = client.get("/complaint/new?area=demo-qixing").get_data(as_text=True)
    assert "尚未设置项目负责人" in html
    # Without a QR code the form offers the areas that take requests.
    html = client.get("/complaint/new").get_data(as_text=True)
    assert "和平小区（渝中区七星岗街道）" in html and "七星花园" not in html


def test_track_by_number_mobile_and_code_then_revoke(app, client, login):
    pk, number, mobile = _complaint(app)
    assert client.get(f"/complaint/view/{number}").status_code == 404       # no access yet
    resp = client.form("/complaint/track", {"number": number, "mobile": "13900000000", "sms_code": "111111"})
    assert "没有与该编号和手机号码相符的需求及建议。" in resp.get_data(as_text=True)
    _request_code(client, mobile, "/complaint/track")
    resp = client.form("/complaint/track", {"number": number, "mobile": mobile, "sms_code": "000000"})
    assert "验证码" in resp.get_data(as_text=True) and resp.status_code == 200
    resp = client.form("/complaint/track", {"number": number, "mobile": mobile,
                                            "sms_code": _code(app, mobile)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/complaint/view/{number}")
    html = client.get(f"/complaint/view/{number}").get_data(as_text=True)
    assert 'id="btn-revoke"' in html
    client.form(f"/complaint/view/{number}/act", {"action": "revoke"}, get_url=f"/complaint/view/{number}")
    assert _status(app, pk) == "revoked"
    # Staff actions cannot be posted from the complainant's page.
    resp = client.form(f"/complaint/view/{number}/act", {"action": "accept"}, get_url="/complaint/new")
    assert resp.status_code == 400
    pm = login("pm_a")
    assert 'id="btn-accept"' not in pm.get(f"/complaints/show/{pk}").get_data(as_text=True)


def test_signed_in_public_user_sees_own_requests(app, login):
    c = login("public1")
    page = "/complaint/new?area=demo-heping"
    resp = c.form(page, {"name": "李四", "id_number": "500103199005210028", "mobile": "13800000011",
                         "address": "2栋", "content": "电梯异响"}, get_url=page)
    assert resp.status_code == 302
    html = c.get("/complaint/mine").get_data(as_text=True)
    assert "电梯异响" in html and "待处理" in html


# --- the staff list -----------------------------------------------------------------------

def test_list_has_the_seed_columns_and_remaining_time(app, login):
    _pk, number, _m = _complaint(app, content="水管漏水请维修")
    html = login("pm_a").get(f"/complaints/list/?_flt_3_number={number}").get_data(as_text=True)
    for header in ("物业管理区域名称" if False else "物业管理区域", "行政区划", "街道", "内容", "物业服务企业",
                   "处理状态", "剩余处理时间", "提交时间", "编号"):
        assert header in html, header
    assert "水管漏水请维修" in html and "重庆安居物业服务有限公司" in html and "七星岗街道" in html
    assert re.search(r"4天23小时\d+分", html)


def test_filters_by_stage_overdue_and_number(app, login):
    pk, number, _m = _complaint(app, content="过期未处理的投诉", moment=datetime.now() - timedelta(days=10))
    c = login("street1")
    only = f"&_flt_3_number={number}"        # other tests' newer rows may fill page one
    html = c.get("/complaints/list/?_flt_0_stage=pending" + only).get_data(as_text=True)
    assert "过期未处理的投诉" in html
    assert re.search(r"超期\d+天\d+小时", html)
    html = c.get("/complaints/list/?_flt_0_stage=closed" + only).get_data(as_text=True)
    assert "过期未处理的投诉" not in html
    html = c.get("/complaints/list/?_flt_0_due_at=y" + only).get_data(as_text=True)
    assert "过期未处理的投诉" in html
    html = c.get("/complaints/list/?_flt_0_due_at=n" + only).get_data(as_text=True)
    assert "过期未处理的投诉" not in html
    html = c.get(f"/complaints/list/?_flt_3_number={number}").get_data(as_text=True)
    assert "过期未处理的投诉" in html


def test_detail_actions_for_lead_and_street(app, login):
    pk, number, mobile = _complaint(app)
    pm = login("pm_a")
    html = pm.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'id="btn-accept"' in html and 'id="btn-refuse"' in html and 'id="btn-guide"' not in html
    assert "您的需求及建议我们已收到" in html
    with app.app_context():
        full_id = db.session.get(Complaint, pk).id_number
    assert full_id not in html and "**************" + full_id[-4:] in html   # masked for the lead
    resp = pm.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url=f"/complaints/show/{pk}",
                   follow_redirects=True)
    assert "已完成：接收处理。" in resp.get_data(as_text=True)
    assert _status(app, pk) == "processing"
    st = login("street1")
    html = st.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'id="btn-further"' in html and 'id="btn-accept"' not in html
    resp = st.form(f"/complaints/act/{pk}", {"action": "guide", "note": ""}, get_url=f"/complaints/show/{pk}",
                   follow_redirects=True)
    assert "指导意见：必须填写" in resp.get_data(as_text=True)
    st.form(f"/complaints/act/{pk}", {"action": "guide", "note": "请三日内修复"}, get_url=f"/complaints/show/{pk}")
    assert _status(app, pk) == "guidance"
    resp = st.form(f"/complaints/act/{pk}", {"action": "complete", "note": "街道代办"},
                   get_url=f"/complaints/show/{pk}", follow_redirects=True)
    assert "只有该物业管理区域的项目负责人可以处理此需求及建议。" in resp.get_data(as_text=True)
    assert _status(app, pk) == "guidance"


def test_handling_sheet_print_and_pdf(app, login):
    pk, number, _m = _complaint(app, content="绿化带无人修剪")
    with app.app_context():
        act(db.session.get(Complaint, pk), "accept", "pm_a")
    pm = login("pm_a")
    html = pm.get(f"/complaints/print/{pk}").get_data(as_text=True)
    assert "需求及建议处理单" in html and number in html and "绿化带无人修剪" in html and "接收处理" in html
    resp = pm.get(f"/complaints/pdf/{pk}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF") and resp.mimetype == "application/pdf"


def test_export_masks_for_the_analyst_and_keeps_filters(app, login):
    mobile, id_number = new_mobile("1352"), new_id()
    _pk, number, _m = _complaint(app, content="导出测试投诉", name="欧阳明华", mobile=mobile, id_number=id_number)
    masked = ("欧*华", mobile[:3] + "****" + mobile[-4:], "*" * 14 + id_number[-4:])
    full = ("欧阳明华", mobile, id_number)
    # The analyst sees the complainant masked; roles holding the full view (a city
    # administrator, the enterprise administrator of the area) see the full values.
    for username, expected in (("analyst", masked), ("gov_admin", full), ("ent_a", full)):
        resp = login(username).get("/complaints/export/?_flt_0_stage=pending")
        assert resp.status_code == 200, username
        wb = load_workbook(io.BytesIO(resp.data), read_only=True)
        rows = list(wb.active.iter_rows(values_only=True))
        header = rows[0]
        assert header == ("物业管理区域", "行政区划", "街道", "内容", "物业服务企业", "处理状态", "剩余处理时间",
                          "提交时间", "编号", "类型", "投诉人", "手机号码", "证件号码"), username
        status_col, number_col = header.index("处理状态"), header.index("编号")
        assert {r[status_col] for r in rows[1:]} == {"待处理"}, username
        row = [r for r in rows[1:] if r[number_col] == number]
        assert len(row) == 1, username
        assert row[0][9] == "物业" and row[0][10:] == expected, username
        if expected == masked:
            cells = {str(v) for r in rows[1:] for v in r if v is not None}
            assert not cells & set(full), username


# --- scope --------------------------------------------------------------------------------

def test_outsiders_get_nothing(app, login, api):
    pk, number, _m = _complaint(app, content="范围测试投诉内容")
    for username in ("ent_b", "helpdesk", "public1"):
        c = login(username)
        html = c.get("/complaints/list/").get_data(as_text=True)
        assert "范围测试投诉内容" not in html, username
        assert c.get(f"/complaints/show/{pk}").status_code in (302, 403, 404), username
        assert c.get(f"/complaints/print/{pk}").status_code in (302, 403, 404), username
        assert c.get(f"/complaints/pdf/{pk}").status_code in (302, 403, 404), username
        resp = c.form(f"/complaints/act/{pk}", {"action": "accept"}, get_url="/complaint/new")
        assert resp.status_code in (302, 403, 404)
        if resp.status_code == 302:
            assert f"/complaints/show/{pk}" not in resp.headers.get("Location", "")
        export = c.get("/complaints/export/")
        if export.status_code == 200:
            assert "范围测试投诉内容".encode() not in export.data
    assert _status(app, pk) == "pending"
    # ent_b's own export holds none of ent_a's rows
    rows = list(load_workbook(io.BytesIO(login("ent_b").get("/complaints/export/").data), read_only=True)
                .active.iter_rows(values_only=True))
    assert all("安居" not in str(r) for r in rows[1:])
    http, headers = api("ent_b")
    assert http.get(f"/api/v1/complaint/{pk}", headers=headers).status_code == 404
    listed = http.get("/api/v1/complaint/", headers=headers).get_json()
    assert all(r["number"] != number for r in listed["result"])
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "accept"}, headers=headers)
    assert resp.status_code in (403, 404)


def test_each_role_sees_its_scope(app, login):
    pk, number, _m = _complaint(app, content="各角色可见性")
    for username in ("pm_a", "ent_a", "street1", "district1", "analyst", "gov_admin", "admin"):
        html = login(username).get("/complaints/list/?_flt_3_number=" + number).get_data(as_text=True)
        assert "各角色可见性" in html, username
        assert login(username).get(f"/complaints/show/{pk}").status_code == 200, username


def test_a_project_lead_sees_only_the_areas_they_lead(app, login):
    from tests.complaints.helpers import make_area, user

    with app.app_context():
        if user("pm_b") is None:
            from flask import current_app

            sm = current_app.appbuilder.sm
            sm.add_user("pm_b", "王项目", "", "pm_b@demo.anju.invalid", sm.find_role("project_lead"),
                        password="Anju@2026", org_id=user("pm_a").org_id, mobile="13800000097")
            from app.accounts.models import Person
            from app.core.validators import id_check_char

            first17 = "50010319800101009"
            db.session.add(Person(user_id=user("pm_b").id, org_id=user("pm_a").org_id, name="王项目",
                                  id_type="resident_id", id_number=first17 + id_check_char(first17),
                                  mobile="13800000097", activation="active", realname_status="verified"))
            db.session.commit()
            make_area("王项目小区")
            # The enterprise's staff record, bound by ID number, makes pm_b the area's lead.
            from tests.property.helpers import make_staff

            make_staff("ent_a", "王项目", post="project_lead", areas=["王项目小区"],
                       id_number=first17 + id_check_char(first17), mobile="13800000097")
    pk, number, _m = _complaint(app, area_name="王项目小区", content="王项目负责的小区")
    pm_a = login("pm_a")
    assert "王项目负责的小区" not in pm_a.get("/complaints/list/").get_data(as_text=True)
    assert pm_a.get(f"/complaints/show/{pk}").status_code == 404
    pm_b = login("pm_b")
    assert "王项目负责的小区" in pm_b.get(f"/complaints/list/?_flt_3_number={number}").get_data(as_text=True)
    assert "和平小区" not in pm_b.get("/areas/list/").get_data(as_text=True)


# --- REST ---------------------------------------------------------------------------------

def test_api_list_detail_transition(app, api):
    pk, number, mobile = _complaint(app, content="API 投诉")
    http, headers = api("pm_a")
    body = http.get(f"/api/v1/complaint/{pk}", headers=headers).get_json()
    assert body["result"]["number"] == number and body["result"]["mobile"] != mobile
    assert body["result"]["mobile"].startswith(mobile[:3]) and "****" in body["result"]["mobile"]
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "complete", "note": "x"},
                     headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "处理状态为“待处理”的需求及建议不能完成处理。"
    resp = http.post(f"/api/v1/complaint/{pk}/transition", json={"action": "accept"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status_label"] == "处理中"
    resp = http.post(f"/api/v1/complaint/{pk}/transition", data="x", headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "请求内容必须是 JSON 对象。"
    spec = http.get("/api/v1/_openapi", headers=headers)
    if spec.status_code == 200:
        assert "/complaint/{pk}/transition" in spec.get_data(as_text=True)


def test_api_submit_and_mine_for_public_users(app, api):
    http, headers = api("public1")
    resp = http.post("/api/v1/complaint/submit", json={"area": "demo-heping", "name": "李四",
                                                       "id_number": "500103199005210028",
                                                       "mobile": "13800000011", "address": "3栋",
                                                       "content": "API 提交的投诉"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    number = resp.get_json()["number"]
    mine = http.get("/api/v1/complaint/mine", headers=headers).get_json()["result"]
    assert number in [r["number"] for r in mine]
    resp = http.post("/api/v1/complaint/submit", json={"area": "demo-heping", "name": "李四",
                                                       "id_number": "123", "mobile": "13800000011",
                                                       "address": "3栋", "content": "x"}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"].startswith("证件号码：")
    http2, headers2 = api("pm_a")
    assert http2.post("/api/v1/complaint/submit", json={}, headers=headers2).status_code == 403


# --- areas and QR ------------------------------------------------------------------------

def test_area_qr_needs_a_lead_who_signed_in(app, login):
    from tests.complaints.helpers import area

    with app.app_context():
        heping, qixing = area("和平小区").id, area("七星花园").id
    login("pm_a")                                      # the lead has signed in now
    c = login("ent_a")
    resp = c.get(f"/areas/qr/{heping}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "/complaint/new?area=demo-heping" in html and "data:image/svg+xml" in html
    resp = login("ent_b").get(f"/areas/qr/{qixing}", follow_redirects=True)
    assert "尚未设置项目负责人" in resp.get_data(as_text=True)
    assert login("ent_b").get(f"/areas/qr/{heping}").status_code == 404
    assert login("ent_a").get(f"/areas/qr/{heping}?format=pdf").data.startswith(b"%PDF")


def test_home_counts_and_the_escalation_notice(app, login):
    from app.complaints import services
    from app.core.notices import Notice

    pk, number, _m = _complaint(app, content="首页计数超期投诉", moment=datetime.now() - timedelta(days=12))
    st = login("street1")
    html = st.get("/").get_data(as_text=True)
    overdue = int(re.search(r'id="home-complaints-overdue" data-count="(\d+)"', html).group(1))
    assert overdue >= 1
    with app.app_context():
        services.escalate_overdue()
        notice = db.session.execute(select(Notice).order_by(Notice.id.desc()).limit(1)).scalars().one()
        notice_id = notice.id
        assert number in notice.body
    assert 'id="home-notices-unread"' in st.get("/").get_data(as_text=True)
    resp = st.get(f"/notices/open/{notice_id}")
    assert resp.status_code == 302
    html = st.get(resp.headers["Location"] + f"&_flt_3_number={number}").get_data(as_text=True)
    assert "首页计数超期投诉" in html
    assert login("ent_b").get(f"/notices/open/{notice_id}").status_code == 404
    # pm_a's home counts only the areas pm_a leads; ent_b has no such request.
    html = login("ent_b").get("/").get_data(as_text=True)
    assert 'id="home-complaints-pending"' in html


def test_area_and_company_filters_are_text(app, login):
    _pk, number, _m = _complaint(app, area_name="解放碑商住楼", content="按名称筛选的投诉")
    c = login("district1")
    only = f"&_flt_3_number={number}"
    html = c.get("/complaints/list/?_flt_0_area=解放碑" + only).get_data(as_text=True)
    assert "按名称筛选的投诉" in html
    html = c.get("/complaints/list/?_flt_0_area=和平" + only).get_data(as_text=True)
    assert "按名称筛选的投诉" not in html
    html = c.get("/complaints/list/?_flt_0_org=和居" + only).get_data(as_text=True)
    assert "按名称筛选的投诉" not in html
    html = c.get("/complaints/list/?_flt_0_org=安居物业" + only).get_data(as_text=True)
    assert "按名称筛选的投诉" in html


def test_credit_proposals_stay_with_their_enterprise(app, login):
    from app.complaints import services

    pk, number, _m = _complaint(app, content="扣分建议范围", moment=datetime.now() - timedelta(days=11))
    with app.app_context():
        services.escalate_overdue()
    in_a_row = re.compile(r"<td[^>]*>\s*(?:<a [^>]*>)?%s(?:</a>)?\s*</td>" % number)
    url = f"/creditproposals/list/?_flt_0_source_number={number}"
    assert in_a_row.search(login("ent_a").get(url).get_data(as_text=True))
    assert in_a_row.search(login("district1").get(url).get_data(as_text=True))
    ent_b = login("ent_b")
    assert not in_a_row.search(ent_b.get(url).get_data(as_text=True))
    exported = ent_b.get("/creditproposals/export/")
    assert exported.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(exported.data), read_only=True).active.iter_rows(values_only=True)
             for c in row]
    assert number not in cells and "来源编号" in cells
    with app.app_context():
        from app.complaints.models import CreditProposal

        proposal_id = db.session.execute(select(CreditProposal.id).where(
            CreditProposal.source_number == number)).scalar_one()
    assert ent_b.get(f"/creditproposals/show/{proposal_id}").status_code == 404
    assert login("pm_a").get("/creditproposals/list/").status_code in (302, 403)
