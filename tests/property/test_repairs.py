"""报修: the public report (refusals), the company's handling with SMS to the resident, the
resident's single evaluation, the equipment's history, masking and scope from outside."""
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.property.helpers import make_lead_account, make_staff
from tests.property.service_helpers import (add_house, data, gov_user, make_area, messages, new_id, new_mobile, png,
                                            send_code, set_param, user)


@pytest.fixture(scope="module")
def place(app):
    """An area of ent_a with a house, an item of equipment and a staff member; a second area led
    by another project lead; a district-2 account."""
    from tests.property.test_equipment import make_equipment

    with data(app):
        a = make_area("报修测试小区")
        add_house(a, "1栋", "2单元", "301", "王业主", new_id())
        e = make_equipment(a, name="报修测试电梯")
        staff = make_staff("ent_a", "李维修", post="engineering", areas=[a])
        other = make_area("报修外区小区")
        lead_id = new_id()
        make_lead_account("svc_lead_b", "赵项目", id_number=lead_id)
        make_staff("ent_a", "赵项目", post="project_lead", areas=[other], id_number=lead_id)
        db.session.refresh(other)
        assert other.project_lead_id == user("svc_lead_b").id
        return {"area": a.id, "code": a.public_code, "equipment": e.id, "staff": staff.id,
                "district2": gov_user("district", "500112", "svc_d2_")}


def _report(app, client, place, mobile=None, **extra):
    mobile = mobile or new_mobile("1361")
    with data(app):
        code = send_code(mobile)
    page = f"/area/{place['code']}/repair"
    form = {"name": "王业主", "mobile": mobile, "sms_code": code, "location_kind": "house", "building": "1栋",
            "unit": "2单元", "room": "301", "equipment": str(place["equipment"]), "content": "电梯门关不上", **extra}
    return client.form(page, form, get_url=page), mobile


def _repair(app, number):
    from app.property.service.models import Repair

    with data(app):
        r = db.session.execute(select(Repair).where(Repair.number == number)).scalars().one()
        return {"id": r.id, "status": r.status, "satisfaction": r.satisfaction, "house_id": r.house_id,
                "equipment_id": r.equipment_id, "location": r.location}


def _number(resp):
    return re.search(r"/repair/view/(BX\d+)", resp.headers["Location"]).group(1)


def test_unknown_area_code_is_404(client):
    assert client.get("/area/no-such-code/repair").status_code == 404
    assert client.post("/area/no-such-code/repair", data={}).status_code in (400, 404)


def test_report_refusals_keep_the_values(app, client, place):
    page = f"/area/{place['code']}/repair"
    html = client.get(page).get_data(as_text=True)
    assert "报修测试小区" in html and 'name="building"' in html and "报修测试电梯" in html
    mobile = new_mobile("1362")
    base = {"name": "王业主", "mobile": mobile, "location_kind": "house", "building": "1栋", "unit": "2单元",
            "room": "301", "content": "楼道灯不亮"}
    with data(app):
        send_code(mobile)
    resp = client.form(page, {**base, "sms_code": "000000"}, get_url=page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "验证码错误" in html and "楼道灯不亮" in html and mobile in html
    # An unknown house, then a photo that is not a photo, then one too large.
    resp = client.form(page, {**base, "room": "999", "sms_code": "000000"}, get_url=page)
    assert "报修位置：本小区没有房屋1栋-2单元-999。" in resp.get_data(as_text=True)
    resp = client.form(page, {**base, "sms_code": "000000", "photos": (io.BytesIO(b"%PDF-1.4 x"),
                                                                        "scan.pdf")},
                       get_url=page, content_type="multipart/form-data")
    assert "文件scan.pdf不是照片（仅限JPG、PNG）。" in resp.get_data(as_text=True)
    with data(app):
        set_param("property.repair_photo_max_mb", 1)
    try:
        big = png() + b"\0" * (1024 * 1024 + 10)
        resp = client.form(page, {**base, "sms_code": "000000", "photos": (io.BytesIO(big), "big.png")},
                           get_url=page, content_type="multipart/form-data")
        assert "照片big.png超过1MB。" in resp.get_data(as_text=True)
    finally:
        with data(app):
            set_param("property.repair_photo_max_mb", 5)
    # A common area needs its location.
    resp = client.form(page, {**base, "location_kind": "common", "sms_code": "000000"}, get_url=page)
    assert "报修位置：必须填写" in resp.get_data(as_text=True)
    # Nothing was stored.
    from app.property.service.models import Repair

    with data(app):
        assert db.session.execute(select(Repair).where(Repair.mobile == mobile)).first() is None


def test_repair_flow_end_to_end(app, client, login, place):
    mobile = new_mobile("1363")
    resp, mobile = _report(app, client, place, mobile=mobile, photos=(io.BytesIO(png()), "door.png"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    number = _number(resp)
    row = _repair(app, number)
    assert row["status"] == "submitted" and row["location"] == "1栋-2单元-301" and row["house_id"]
    with data(app):
        assert any(f"您的报修{number}已受理" in m for m in messages(mobile))
    html = client.get(f"/repair/view/{number}").get_data(as_text=True)
    assert "待指派" in html and 'id="form-evaluate"' not in html
    # The company assigns (SMS), handles, completes (SMS).
    ent = login("ent_a")
    html = ent.get(f"/repairs/show/{row['id']}").get_data(as_text=True)
    assert "王业主" in html and mobile in html and 'id="btn-assign"' in html and "李维修" in html
    assert "door.png" in html
    show = f"/repairs/show/{row['id']}"
    resp = ent.form(f"/repairs/act/{row['id']}", {"action": "assign", "staff": "999999"}, get_url=show,
                    follow_redirects=True)
    assert "维修人员：请选择在本小区服务的在职人员。" in resp.get_data(as_text=True)
    ent.form(f"/repairs/act/{row['id']}", {"action": "assign", "staff": str(place["staff"])}, get_url=show)
    assert _repair(app, number)["status"] == "assigned"
    with data(app):
        assert any(f"您的报修{number}已指派给重庆安居物业服务有限公司的维修人员" in m for m in messages(mobile))
    resp = ent.form(f"/repairs/act/{row['id']}", {"action": "handle", "note": ""}, get_url=show, follow_redirects=True)
    assert "处理情况：必须填写" in resp.get_data(as_text=True)
    ent.form(f"/repairs/act/{row['id']}", {"action": "handle", "note": "已联系厂家"}, get_url=show)
    assert _repair(app, number)["status"] == "handling"
    # A repair in progress cannot be rejected.
    resp = ent.form(f"/repairs/act/{row['id']}", {"action": "reject", "note": "不属实"}, get_url=show,
                    follow_redirects=True)
    assert "处理中的报修不能拒绝。" in resp.get_data(as_text=True)
    ent.form(f"/repairs/act/{row['id']}", {"action": "complete", "note": "已更换门机"}, get_url=show)
    assert _repair(app, number)["status"] == "completed"
    with data(app):
        assert any(f"您的报修{number}已维修完成：已更换门机" in m for m in messages(mobile))
    # The resident follows it with the number, the mobile and a code, then evaluates once.
    other = type(client)(app)
    assert other.get(f"/repair/view/{number}").status_code == 404
    resp = other.form("/repair/track", {"number": number, "mobile": mobile, "sms_code": "000000"})
    assert resp.status_code == 200 and "验证码" in resp.get_data(as_text=True)
    with data(app):
        code = send_code(mobile)
    resp = other.form("/repair/track", {"number": number, "mobile": mobile, "sms_code": code})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/repair/view/{number}")
    view = f"/repair/view/{number}"
    html = other.get(view).get_data(as_text=True)
    assert "已更换门机" in html and 'id="form-evaluate"' in html
    resp = other.form(f"{view}/evaluate", {"satisfaction": "7"}, get_url=view, follow_redirects=True)
    assert "满意度：请选择 1 至 5 星。" in resp.get_data(as_text=True)
    other.form(f"{view}/evaluate", {"satisfaction": "4", "comment": "很及时"}, get_url=view)
    assert _repair(app, number)["satisfaction"] == 4
    assert 'id="form-evaluate"' not in other.get(view).get_data(as_text=True)
    resp = other.form(f"{view}/evaluate", {"satisfaction": "1"}, get_url="/repair/track", follow_redirects=True)
    assert "该报修已评价过。" in resp.get_data(as_text=True) and _repair(app, number)["satisfaction"] == 4
    # The equipment's page lists the repair in its history.
    html = ent.get(f"/equipment/show/{place['equipment']}").get_data(as_text=True)
    assert 'id="history-repairs"' in html and number in html and "已更换门机" in html


def test_close_needs_a_reason_and_reject_only_before_assignment(app, client, login, place):
    resp, _mobile = _report(app, client, place)
    number = _number(resp)
    pk = _repair(app, number)["id"]
    pm = login("svc_lead_b")          # leads another area: not this one
    assert pm.get(f"/repairs/show/{pk}").status_code == 404
    ent = login("ent_a")
    show = f"/repairs/show/{pk}"
    resp = ent.form(f"/repairs/act/{pk}", {"action": "reject", "note": ""}, get_url=show, follow_redirects=True)
    assert "拒绝原因：必须填写" in resp.get_data(as_text=True)
    ent.form(f"/repairs/act/{pk}", {"action": "reject", "note": "非物业维修范围"}, get_url=show)
    assert _repair(app, number)["status"] == "rejected"


def test_masking_for_staff_without_the_pii_permission(app, client, login, place):
    resp, mobile = _report(app, client, place)
    pk = _repair(app, _number(resp))["id"]
    html = login("street1").get(f"/repairs/show/{pk}").get_data(as_text=True)
    assert mobile not in html and mobile[:3] in html and "王业主" not in html
    assert 'id="btn-assign"' not in html
    listing = login("street1").get("/repairs/list/").get_data(as_text=True)
    assert mobile not in listing


def test_scope_from_outside(app, client, login, api, place):
    resp, mobile = _report(app, client, place)
    number = _number(resp)
    pk = _repair(app, number)["id"]
    for username in ("ent_b", "svc_lead_b", place["district2"]):
        c = login(username)
        assert number not in c.get("/repairs/list/").get_data(as_text=True), username
        assert c.get(f"/repairs/show/{pk}").status_code == 404, username
        status = c.form(f"/repairs/act/{pk}", {"action": "assign", "staff": str(place["staff"])},
                        get_url="/repairs/list/").status_code
        assert status in (403, 404), username
        http, headers = api(username)
        assert http.get(f"/api/v1/repair/{pk}", headers=headers).status_code == 404, username
        assert number not in http.get("/api/v1/repair/", headers=headers).get_data(as_text=True)
        assert http.post(f"/api/v1/repair/{pk}/assign", json={"staff": place["staff"]},
                         headers=headers).status_code in (403, 404), username
    for username in ("helpdesk", "public1", "dev_a"):
        c = login(username)
        assert c.get("/repairs/list/").status_code == 403, username
        assert c.get(f"/repairs/show/{pk}").status_code == 403, username
        assert c.get("/repairs/export/").status_code in (403, 404), username
        http, headers = api(username)
        assert http.get(f"/api/v1/repair/{pk}", headers=headers).status_code == 403, username
    assert client.get(f"/repairs/show/{pk}").status_code in (302, 401, 403)
    assert client.get("/api/v1/repair/").status_code == 401
    # District 1 reads it and cannot act; guessed ids are 404.
    d1 = login("district1")
    assert number in d1.get("/repairs/list/").get_data(as_text=True)
    assert d1.get(f"/repairs/show/{pk}").status_code == 200
    assert d1.form(f"/repairs/act/{pk}", {"action": "close", "note": "x"}, get_url="/repairs/list/").status_code == 403
    ent = login("ent_a")
    assert ent.get("/repairs/show/99999999").status_code == 404
    assert _repair(app, number)["status"] == "submitted"


def test_api_company_side(app, client, api, place):
    resp, mobile = _report(app, client, place)
    number = _number(resp)
    pk = _repair(app, number)["id"]
    http, headers = api("ent_a")
    body = http.get(f"/api/v1/repair/{pk}", headers=headers).get_json()
    assert body["result"]["number"] == number and body["result"]["mobile"] == mobile
    answer = http.post(f"/api/v1/repair/{pk}/complete", json={"note": "修好了"}, headers=headers)
    assert answer.status_code == 422 and "待指派的报修不能完成。" in answer.get_json()["message"]
    answer = http.post(f"/api/v1/repair/{pk}/assign", json={"staff": place["staff"]}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["status"] == "assigned"
    assert http.post(f"/api/v1/repair/{pk}/handle", json={"note": "处理中"}, headers=headers).status_code == 200
    answer = http.post(f"/api/v1/repair/{pk}/complete", json={"note": "修好了"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["status_label"] == "已完成"
    # A government reader sees the reporter masked.
    http, headers = api("street1")
    row = http.get(f"/api/v1/repair/{pk}", headers=headers).get_json()["result"]
    assert row["mobile"] != mobile and row["name"] != "王业主"
