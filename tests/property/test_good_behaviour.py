"""诚信登记 / 企业良好行为申报 (seed 004 物业服务企业 5) as users meet it: the form and its
refusals (typed values kept), 保存并提交 → 打印申请表 → 受理 → publicity on the area's public page
for N working days (across a holiday) with SMS-verified objections → 审核通过 refused during the
publicity, allowed after → 公告 and one credit bonus; the REST resource; and who may see which
declaration (pages, print, API, guessed ids)."""
import html as htmllib
import io
import itertools
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.workflow import Application
from app.extensions import db
from tests.accounts.helpers import real_pdf
from tests.complaints.helpers import last_code, new_mobile, user
from tests.conftest import DEMO_PASSWORD

_seq = itertools.count(1)

FIELDS = {"category": "public_welfare", "title": "组织业主开展义务植树活动", "happened_on": "2024-09-20",
          "description": "物业服务中心组织业主在小区绿地义务植树50株。\n养护责任到人。"}


def honour_area(app, company="重庆安居物业服务有限公司", district="500103", street="500103001"):
    """A fresh area of the company (unique name): (id, public_code)."""
    from app.property.models import PropertyArea
    from app.system.models import Organization

    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.name == company)).scalars().one()
        a = PropertyArea(name=f"诚信测试小区{next(_seq)}-{datetime.now():%H%M%S%f}", district_code=district,
                         street_code=street, company_org_id=org.id, address="重庆市渝中区诚信路1号")
        a.fill_region()
        db.session.add(a)
        db.session.commit()
        return a.id, a.public_code


def district2_user(app):
    """A district administrator of 渝北区 (500112), outside 渝中区."""
    from flask import current_app

    from app.system.models import Organization

    with app.app_context():
        if user("honour_d2") is None:
            org = db.session.execute(select(Organization).where(Organization.region_code == "500112",
                                                                Organization.org_type == "district")).scalars().one()
            sm = current_app.appbuilder.sm
            sm.add_user("honour_d2", "渝北区管理员", "", "honour_d2@test.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1367"), must_change_password=False)
        return "honour_d2"


def post(c, url, data, files=None, follow=False):
    payload = dict(data)
    payload["csrf_token"] = c.token("/resetmypassword/form")
    if files:
        payload["files"] = files
    return c.post(url, data=payload, content_type="multipart/form-data", follow_redirects=follow)


def error_of(resp):
    m = re.search(r'id="form-error">\s*([^<]+?)\s*(?:<|$)', resp.get_data(as_text=True))
    return htmllib.unescape(m.group(1)) if m else None


def evidence():
    return [(io.BytesIO(real_pdf()), "表彰文件.pdf")]


def declare(app, area_id, username="ent_a", **over):
    """A declaration through the service (submitted): its id."""
    from app.property.honour import services

    from werkzeug.datastructures import FileStorage

    with app.app_context():
        f = FileStorage(stream=io.BytesIO(real_pdf()), filename="证明.pdf", content_type="application/pdf")
        a = services.declare(user(username), {**FIELDS, "area_id": str(area_id), **over}, [f])
        return a.id


def step(app, pk, action, reason=None, username="reviewer"):
    from app.property.honour import services

    with app.app_context():
        a = db.session.get(Application, pk)
        services.transition_declaration(a, action, user(username), reason)


def publicity(app, pk):
    from app.property.honour import services

    with app.app_context():
        p = services.publicity_of(db.session.get(Application, pk))
        return None if p is None else {"id": p.id, "starts_at": p.starts_at, "ends_at": p.ends_at, "state": p.state}


def end_publicity(app, pk):
    """Move the window into the past (the publicity is over)."""
    from app.property.honour import services

    with app.app_context():
        p = services.publicity_of(db.session.get(Application, pk))
        p.starts_at, p.ends_at = datetime.now() - timedelta(days=10), datetime.now() - timedelta(minutes=1)
        db.session.commit()


def accepted(app, area_id, **over):
    pk = declare(app, area_id, **over)
    step(app, pk, "accept")
    return pk


def code_for(app, mobile):
    from app.core import sms
    from app.core.sms import SmsCode

    with app.app_context():
        # Earlier codes were asked for long enough ago (the resend wait is not what is tested).
        for old in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
            old.created_at -= timedelta(minutes=2)
        db.session.commit()
        sms.send_code(mobile, sms.SmsPurpose.OBJECTION)
        db.session.commit()
        return last_code(mobile)


def credit_records(app, pk):
    from app.credit.models import CreditRecord

    with app.app_context():
        return db.session.execute(select(CreditRecord).where(CreditRecord.source_type == "good_behaviour",
                                                             CreditRecord.source_key == str(pk))).scalars().all()


# --- the form --------------------------------------------------------------------------------

def test_form_lists_only_the_companys_areas_and_categories(app, login):
    mine, _code = honour_area(app)
    theirs, _code2 = honour_area(app, company="重庆和居物业管理有限公司")
    html = login("ent_a").get("/property/honour/new").get_data(as_text=True)
    assert f'value="{mine}"' in html and f'value="{theirs}"' not in html
    for label in ("获得政府表彰", "参与社区治理", "应急抢险", "公益活动", "其他"):
        assert label in html
    assert "保存并提交" in html


@pytest.mark.parametrize("change, message", [
    ({"area_id": ""}, "物业管理区域：请选择本企业服务的物业管理区域"),
    ({"category": "bribe"}, "行为类别：请从列表中选择类别"),
    ({"title": "  "}, "标题：必须填写"),
    ({"title": "长" * 101}, "标题：最多 100 个字"),
    ({"happened_on": "2024-13-01"}, "发生日期：应为日期，例如 2015-06-30"),
    ({"happened_on": (date.today() + timedelta(days=1)).isoformat()}, "发生日期：不能晚于今天"),
    ({"description": ""}, "情况说明：必须填写"),
])
def test_refusals_name_the_field_and_keep_what_was_typed(app, login, change, message):
    area_id, _code = honour_area(app)
    c = login("ent_a")
    data = {**FIELDS, "area_id": str(area_id), **change}
    resp = post(c, "/property/honour/new", data, files=evidence())
    assert resp.status_code == 200
    assert error_of(resp) == message
    if change.get("title", "").strip() and len(change["title"]) <= 100:
        assert change["title"] in resp.get_data(as_text=True)
    assert "组织业主开展义务植树活动" in resp.get_data(as_text=True) or "title" in change


def test_evidence_is_required_and_another_companys_area_refused(app, login):
    area_id, _code = honour_area(app)
    other, _code2 = honour_area(app, company="重庆和居物业管理有限公司")
    c = login("ent_a")
    with app.app_context():
        before = db.session.execute(select(func.count(Application.id))
                                    .where(Application.app_type == "good_behaviour")).scalar_one()
    resp = post(c, "/property/honour/new", {**FIELDS, "area_id": str(area_id)})
    assert error_of(resp) == "证据材料：请至少上传一份文件"
    assert "义务植树" in resp.get_data(as_text=True)
    resp = post(c, "/property/honour/new", {**FIELDS, "area_id": str(other)}, files=evidence())
    assert error_of(resp) == "物业管理区域：请选择本企业服务的物业管理区域"
    with app.app_context():
        after = db.session.execute(select(func.count(Application.id))
                                   .where(Application.app_type == "good_behaviour")).scalar_one()
    assert after == before


def test_only_property_company_administrators_declare(app, login):
    # A rental enterprise's administrator holds the permission but is not a property company.
    resp = login("agency_a").get("/property/honour/new", follow_redirects=True)
    assert "只有物业服务企业的管理员才能申报良好行为。" in resp.get_data(as_text=True)
    for username in ("district1", "reviewer", "public1", "dev_a", "committee_a", "helpdesk", "pm_a"):
        assert login(username).get("/property/honour/new").status_code == 403, username


# --- the life ---------------------------------------------------------------------------------

def test_declare_print_accept_publicity_object_approve_announce(app, login, monkeypatch):
    area_id, code = honour_area(app)
    c = login("ent_a")
    resp = post(c, "/property/honour/new", {**FIELDS, "area_id": str(area_id)}, files=evidence())
    assert resp.status_code == 302
    pk = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        a = db.session.get(Application, pk)
        assert a.number.startswith("CX") and a.status == "submitted"
        assert (a.subject_type, a.subject_id) == ("property_area", area_id)
        assert a.region_code == "500103001" and a.org_id == user("ent_a").org_id
        from app.core.notices import Notice

        titles = [n.title for n in db.session.execute(select(Notice).where(Notice.source_id == pk)).scalars()]
        assert any("已提交" in t and "打印申请表" in t for t in titles)
    page = c.get(f"/property/honour/show/{pk}").get_data(as_text=True)
    assert "申报受理后开始公示。" in page and "组织业主开展义务植树活动" in page
    printed = c.get(f"/property/honour/print/{pk}")
    assert printed.status_code == 200 and "申请表" in printed.get_data(as_text=True)
    assert "组织业主开展义务植树活动" in printed.get_data(as_text=True)
    assert c.get(f"/property/honour/pdf/{pk}").data[:4] == b"%PDF"
    # Not public before acceptance.
    from app.property import public

    with app.app_context():
        from app.property.models import PropertyArea

        assert not [s for s in public.sections(db.session.get(PropertyArea, area_id)) if s["key"] == "honour"]

    # 受理 by the reviewer on the generic 业务单 page: the publicity starts.
    r = login("reviewer")
    r.form(f"/applications/decide/{pk}", {"action": "accept"}, get_url=f"/applications/show/{pk}")
    p = publicity(app, pk)
    assert p["state"] == "publicity" and p["ends_at"] > datetime.now()
    show = r.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "公示期结束前不能审核通过" in show
    resp = r.form(f"/applications/decide/{pk}", {"action": "approve"}, get_url=f"/applications/show/{pk}",
                  follow_redirects=True)
    assert "公示期内不能审核通过" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, pk).status == "accepted"
    assert credit_records(app, pk) == []

    # The area's public page lists it; the declaration's page takes objections.
    with app.app_context():
        from app.property.models import PropertyArea

        sections = public.sections(db.session.get(PropertyArea, area_id))
        honour = [s for s in sections if s["key"] == "honour"][0]
        assert [i["id"] for i in honour["context"]["items"]] == [p["id"]]
        assert honour["context"]["items"][0]["running"] is True
    anon = app.test_client()
    page = anon.get(f"/area/{code}/honour/{p['id']}").get_data(as_text=True)
    assert "公示中" in page and "组织业主开展义务植树活动" in page and "提出异议" in page
    mobile = new_mobile("1370")
    from tests.conftest import Client

    visitor = Client(app)
    url = f"/area/{code}/honour/{p['id']}/object"
    assert visitor.get(url).status_code == 200
    resp = visitor.form(url, {"name": "王异议", "mobile": mobile, "sms_code": code_for(app, mobile),
                              "content": "该活动实际由社区组织，物业仅派一人参加。"})
    assert resp.status_code == 302
    page = anon.get(f"/area/{code}/honour/{p['id']}").get_data(as_text=True)
    assert "王异议" not in page and mobile not in page and mobile[:3] + "****" not in page
    # The enterprise sees the count, not the objector; the reviewer reads them in full.
    ent_page = c.get(f"/property/honour/show/{pk}").get_data(as_text=True)
    assert 'id="objection-count">1<' in ent_page and "王异议" not in ent_page and "honour-objections" not in ent_page
    rev_page = r.get(f"/property/honour/show/{pk}").get_data(as_text=True)
    assert "王异议" in rev_page and mobile in rev_page and "实际由社区组织" in rev_page
    d_page = login("district1").get(f"/property/honour/show/{pk}").get_data(as_text=True)
    assert "王异议" not in d_page and "实际由社区组织" in d_page     # masked for district staff

    # After the window: the reviewer sees the objections count, approves; announced; one credit record.
    end_publicity(app, pk)
    assert anon.get(f"/area/{code}/honour/{p['id']}").status_code == 404     # between publicity and decision
    show = r.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "共收到1条异议" in show
    r.form(f"/applications/decide/{pk}", {"action": "approve"}, get_url=f"/applications/show/{pk}")
    with app.app_context():
        assert db.session.get(Application, pk).status == "approved"
    records = credit_records(app, pk)
    assert len(records) == 1 and records[0].score_type == "bonus" and records[0].rule.code == "WY-J-002"
    page = anon.get(f"/area/{code}/honour/{p['id']}").get_data(as_text=True)
    assert "已公告" in page and "提出异议" not in page and "王异议" not in page
    # Twice is once: the credit entry point is idempotent by the application.
    from app.property.honour import services

    with app.app_context():
        again = services.bonus_record(db.session.get(Application, pk))
        db.session.commit()
        assert again.id == records[0].id
    assert len(credit_records(app, pk)) == 1
    with app.app_context():
        from app.core.notices import Notice

        titles = [n.title for n in db.session.execute(select(Notice).where(Notice.source_id == pk)).scalars()]
        assert any("已受理" in t for t in titles) and any("已审核通过" in t for t in titles)


def test_publicity_counts_working_days_across_a_holiday(app, monkeypatch):
    from app.property.honour import services

    area_id, code = honour_area(app)
    pk = declare(app, area_id)
    monkeypatch.setattr(services, "now", lambda: datetime(2024, 9, 27, 10, 0))
    step(app, pk, "accept")
    p = publicity(app, pk)
    # Five working days from Friday 27 September 2024: Sunday 29 and Monday 30 September are
    # adjusted working days, 1-7 October the National Day holiday.
    assert p["starts_at"] == datetime(2024, 9, 27, 10, 0) and p["ends_at"] == datetime(2024, 10, 10, 10, 0)
    with app.app_context():
        assert services.publicity_end(datetime(2024, 9, 27, 10, 0), 5) == datetime(2024, 10, 10, 10, 0)
    monkeypatch.setattr(services, "now", lambda: datetime(2024, 10, 9, 23, 59))
    with pytest.raises(Exception) as refused:
        step(app, pk, "approve")
    assert str(refused.value) == "公示期至2024-10-10 10:00结束，公示期内不能审核通过。"
    monkeypatch.setattr(services, "now", lambda: datetime(2024, 10, 10, 10, 0))
    step(app, pk, "approve")
    assert len(credit_records(app, pk)) == 1


def test_objection_refusals(app, monkeypatch):
    from app.core.errors import DomainError
    from app.property.honour import services
    from app.property.models import HonourPublicity

    area_id, code = honour_area(app)
    pk = accepted(app, area_id)
    p = publicity(app, pk)
    mobile = new_mobile("1371")
    good = {"name": "李异议", "mobile": mobile, "content": "不实"}
    with app.app_context():
        row = db.session.get(HonourPublicity, p["id"])
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "sms_code": "000000"})
        assert str(e.value) == "验证码已过期或未发送，请重新获取。"
    code_ = code_for(app, mobile)
    wrong = "111111" if code_ != "111111" else "222222"
    with app.app_context():
        row = db.session.get(HonourPublicity, p["id"])
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "sms_code": wrong})
        assert str(e.value) == "验证码错误，还可尝试4次。"
        db.session.rollback()
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "name": "1", "sms_code": code_})
        assert str(e.value) == "姓名：应为 2 至 30 个汉字或字母"
        db.session.rollback()
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "content": " ", "sms_code": code_})
        assert str(e.value) == "异议：必须填写"
        db.session.rollback()
    # An expired code.
    with app.app_context():
        from app.core.sms import SmsCode

        for c in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
            c.expires_at = datetime.now() - timedelta(seconds=1)
        db.session.commit()
        row = db.session.get(HonourPublicity, p["id"])
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "sms_code": code_})
        assert str(e.value) == "验证码已过期或未发送，请重新获取。"
        db.session.rollback()
    # Outside the publicity: after the window, and before it (an area's other code), refused.
    end_publicity(app, pk)
    fresh = code_for(app, mobile)
    with app.app_context():
        row = db.session.get(HonourPublicity, p["id"])
        with pytest.raises(DomainError) as e:
            services.object_to(row, {**good, "sms_code": fresh})
        assert str(e.value) == "该申报不在公示期内，不再受理异议。"
        assert services.objection_count(row) == 0
    from tests.conftest import Client

    visitor = Client(app)
    url = f"/area/{code}/honour/{p['id']}/object"
    assert visitor.get(url).status_code == 404       # no longer public at all


def test_objections_per_mobile_are_capped_and_the_page_keeps_what_was_typed(app):
    from tests.conftest import Client

    area_id, code = honour_area(app)
    pk = accepted(app, area_id)
    p = publicity(app, pk)
    mobile = new_mobile("1372")
    visitor = Client(app)
    url = f"/area/{code}/honour/{p['id']}/object"
    resp = visitor.form(url, {"name": "赵异议", "mobile": mobile, "sms_code": "123", "content": "内容不实"})
    assert resp.status_code == 200 and "赵异议" in resp.get_data(as_text=True)
    assert "内容不实" in resp.get_data(as_text=True)
    for _i in range(3):
        resp = visitor.form(url, {"name": "赵异议", "mobile": mobile, "sms_code": code_for(app, mobile),
                                  "content": "内容不实"})
        assert resp.status_code == 302
    resp = visitor.form(url, {"name": "赵异议", "mobile": mobile, "sms_code": code_for(app, mobile),
                              "content": "内容不实"})
    assert error_of(resp) == "该手机号已对此申报提出3条异议。"


def test_return_closes_the_publicity_and_resubmission_opens_it_again(app, login):
    from app.property.honour import services

    area_id, code = honour_area(app)
    pk = accepted(app, area_id)
    p = publicity(app, pk)
    step(app, pk, "return", reason="请补充表彰文件")
    assert publicity(app, pk)["state"] == "closed"
    assert app.test_client().get(f"/area/{code}/honour/{p['id']}").status_code == 404
    c = login("ent_a")
    assert "请补充表彰文件" in c.get(f"/property/honour/amend/{pk}").get_data(as_text=True)
    resp = post(c, f"/property/honour/amend/{pk}", {**FIELDS, "area_id": str(area_id), "title": "义务植树（补充）"})
    assert resp.status_code == 302          # the files already sent are kept
    with app.app_context():
        a = db.session.get(Application, pk)
        assert a.status == "submitted" and a.payload["behaviour_title"] == "义务植树（补充）"
    step(app, pk, "accept")
    again = publicity(app, pk)
    assert again["id"] == p["id"] and again["state"] == "publicity"
    step(app, pk, "reject", reason="经核查不属实")
    assert publicity(app, pk)["state"] == "closed"
    assert credit_records(app, pk) == []
    with app.app_context():
        from app.property.models import PropertyArea

        assert services.public_rows(db.session.get(PropertyArea, area_id)) == []


def test_the_end_of_publicity_job_tells_the_enterprise_once(app):
    from app.core.notices import Notice
    from app.property.honour import services

    area_id, _code = honour_area(app)
    pk = accepted(app, area_id)
    end_publicity(app, pk)
    with app.app_context():
        assert services.notice_ended() >= 1
        services.notice_ended()
        titles = [n.title for n in db.session.execute(select(Notice).where(Notice.source_id == pk)).scalars()]
        assert len([t for t in titles if "公示期已结束" in t]) == 1


# --- REST ---------------------------------------------------------------------------------------

def test_api_declare_detail_mine_and_refusals(app, api):
    area_id, _code = honour_area(app)
    http, headers = api("ent_a")
    resp = http.post("/api/v1/good_behaviour/declare", headers=headers,
                     data={**FIELDS, "area_id": str(area_id)}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["message"] == "证据材料：请至少上传一份文件"
    resp = http.post("/api/v1/good_behaviour/declare", headers=headers,
                     data={**FIELDS, "area_id": str(area_id), "happened_on": "2999-01-01",
                           "files": (io.BytesIO(real_pdf()), "证明.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["message"] == "发生日期：不能晚于今天"
    resp = http.post("/api/v1/good_behaviour/declare", headers=headers,
                     data={**FIELDS, "area_id": str(area_id), "files": (io.BytesIO(real_pdf()), "证明.pdf")},
                     content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["status_label"] == "已提交"
    detail = http.get(f"/api/v1/good_behaviour/{pk}", headers=headers).get_json()["result"]
    assert detail["payload"]["behaviour_title"] == FIELDS["title"] and "publicity" not in detail
    mine = http.get("/api/v1/good_behaviour/mine", headers=headers).get_json()["result"]
    assert pk in [r["id"] for r in mine]
    # The applicant cannot decide; the reviewer accepts, approval is refused during publicity.
    assert http.post(f"/api/v1/good_behaviour/{pk}/transition", headers=headers,
                     json={"action": "accept"}).status_code == 403
    rh, rheaders = api("reviewer")
    assert rh.post(f"/api/v1/good_behaviour/{pk}/transition", headers=rheaders,
                   json={"action": "accept"}).status_code == 200
    resp = rh.post(f"/api/v1/good_behaviour/{pk}/transition", headers=rheaders, json={"action": "approve"})
    assert resp.status_code == 422 and "公示期内不能审核通过" in resp.get_json()["message"]
    detail = http.get(f"/api/v1/good_behaviour/{pk}", headers=headers).get_json()["result"]
    assert detail["publicity"]["state"] == "publicity" and detail["publicity"]["objections"] == 0
    # Return, resubmit by the applicant as filed.
    rh.post(f"/api/v1/good_behaviour/{pk}/transition", headers=rheaders, json={"action": "return", "reason": "补充"})
    resp = http.post(f"/api/v1/good_behaviour/{pk}/submit", headers=headers, json={})
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    resp = http.post(f"/api/v1/good_behaviour/{pk}/submit", headers=headers, json={})
    assert resp.status_code == 422 and resp.get_json()["message"] == "只有已退回的业务单可以修改。"


# --- scope ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ent_a_declaration(app):
    area_id, code = honour_area(app)
    pk = accepted(app, area_id)
    return pk, code, publicity(app, pk)["id"]


def test_outsiders_get_nothing(app, login, api, client, ent_a_declaration):
    pk, code, pub = ent_a_declaration
    d2 = district2_user(app)
    with app.app_context():
        number = db.session.get(Application, pk).number
    for username in ("ent_b", d2):
        c = login(username)
        assert number not in c.get("/property/honour/").get_data(as_text=True), username
        for url in (f"/property/honour/show/{pk}", f"/property/honour/print/{pk}", f"/property/honour/pdf/{pk}",
                    "/property/honour/show/999999999"):
            assert c.get(url).status_code == 404, (username, url)
        # ent_b may file (its own): another's is not found; district staff may not file at all.
        assert c.get(f"/property/honour/amend/{pk}").status_code == (404 if username == "ent_b" else 403)
        http, headers = api(username)
        assert http.get(f"/api/v1/good_behaviour/{pk}", headers=headers).status_code == 404
        ids = [r["id"] for r in http.get("/api/v1/good_behaviour/", headers=headers).get_json()["result"]]
        assert pk not in ids
    http, headers = api("ent_b")
    assert http.post(f"/api/v1/good_behaviour/{pk}/terminate", headers=headers).status_code == 404
    assert http.post(f"/api/v1/good_behaviour/{pk}/submit", headers=headers, json={}).status_code == 404
    for username in ("helpdesk", "public1", "dev_a", "committee_a"):
        c = login(username)
        for url in ("/property/honour/", f"/property/honour/show/{pk}", f"/property/honour/print/{pk}"):
            assert c.get(url).status_code == 403, (username, url)
        http, headers = api(username)
        assert http.get(f"/api/v1/good_behaviour/{pk}", headers=headers).status_code == 403, username
    for url in ("/property/honour/", f"/property/honour/show/{pk}", f"/property/honour/print/{pk}"):
        assert client.get(url).status_code in (302, 401, 403)
    assert client.get(f"/api/v1/good_behaviour/{pk}").status_code == 401
    # The public page: the right area only; a guessed id or another area's code is 404.
    assert client.get(f"/area/{code}/honour/{pub}").status_code == 200
    assert client.get(f"/area/demo-qixing/honour/{pub}").status_code == 404
    assert client.get(f"/area/{code}/honour/999999999").status_code == 404
    assert client.get(f"/area/no-such-code/honour/{pub}").status_code == 404


def test_government_reads_in_its_region(app, login, api, ent_a_declaration):
    pk, _code, _pub = ent_a_declaration
    for username in ("district1", "street1", "gov_admin", "analyst", "reviewer"):
        c = login(username)
        assert c.get(f"/property/honour/show/{pk}").status_code == 200, username
        assert c.get("/property/honour/new").status_code == 403, username
        http, headers = api(username)
        assert http.get(f"/api/v1/good_behaviour/{pk}", headers=headers).status_code == 200, username
    http, headers = api("district1")
    assert http.post(f"/api/v1/good_behaviour/{pk}/transition", headers=headers,
                     json={"action": "approve"}).status_code == 403
    # The analyst reads the declaration, not the objections.
    assert "honour-objections" not in login("analyst").get(f"/property/honour/show/{pk}").get_data(as_text=True)


def test_the_objection_forms_code_button_sends_an_objection_code(app, ent_a_declaration):
    """The form's 获取验证码 asks /sms/send for purpose ``objection`` (picture code first); the code
    it sends is the one the objection takes."""
    from tests.conftest import Client

    pk, code, pub = ent_a_declaration
    visitor = Client(app)
    url = f"/area/{code}/honour/{pub}/object"
    page = visitor.get(url).get_data(as_text=True)
    assert 'data-purpose="objection"' in page
    mobile = new_mobile("1373")
    token = visitor.token(url)
    visitor.http.get("/captcha/sms.png")
    resp = visitor.http.post("/sms/send", data={"mobile": mobile, "purpose": "objection", "captcha": "TEST",
                                                "csrf_token": token})
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    with app.app_context():
        sms_code = last_code(mobile)
    resp = visitor.form(url, {"name": "孙异议", "mobile": mobile, "sms_code": sms_code, "content": "与事实不符"})
    assert resp.status_code == 302
