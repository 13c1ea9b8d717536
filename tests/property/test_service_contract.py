"""物业服务合同备案 (seed 004 物业服务企业 7, seed 003 §8) as users meet it: the two steps of the
form, every refusal in Chinese with the typed values kept, 后期 without a committee, the due date
across a holiday and lateness, the overdue job feeding credit once, approval linking the area to
the company (ending the old company's lead, the previous contract, setting 是否合同备案), the REST
resource, and who may see a filing (pages, print, PDF, API, guessed ids)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.core.workflow import Application
from app.extensions import db
from tests.property.contracts_helpers import (contract_data, decide, district2_user, new_area, new_org, new_pk,
                                              page_error)

URL = "/property/contract-filing"


def _file(login, username, data, action="submit"):
    c = login(username)
    return c.form(f"{URL}/new", {**data, "action": action}, get_url=f"{URL}/new?contract_type=early&area_id="
                  f"{data['area_id']}")


# --- the form -------------------------------------------------------------------------------------

def test_step_one_lists_areas_of_the_city_and_the_area_filing_hint(app, login):
    _id, name = new_area(app, company="ent_b")
    c = login("ent_a")
    text = c.get(f"{URL}/new?q={name}").get_data(as_text=True)
    assert name in text
    text = c.get(f"{URL}/new?q=没有这个小区XYZ").get_data(as_text=True)
    assert "没有找到物业区域" in text
    assert "如项目名称的选择中没有需要合同备案的项目，则需要先做物业区域备案业务。" in text


def test_step_two_prefills_the_developer_and_the_company(app, login):
    dev_id, _u = new_org(app, enterprise_type="developer", name=None)
    area_id, _name = new_area(app, developer=dev_id)
    c = login("ent_a")
    text = c.get(f"{URL}/new?contract_type=early&area_id={area_id}").get_data(as_text=True)
    with app.app_context():
        from app.system.models import Organization

        dev = db.session.get(Organization, dev_id)
        assert dev.name in text and 'value="陈联络"' in text
    assert "重庆安居物业服务有限公司" in text
    assert "应于合同签订之日起15日内备案" in text


@pytest.mark.parametrize("change, message", [
    ({"contract_type": ""}, "物业合同类型：请选择其中一项"),
    ({"end_on": (date.today() - timedelta(days=30)).isoformat()}, "委托期限止：应晚于起始日期"),
    ({"signed_on": (date.today() + timedelta(days=1)).isoformat()}, "合同签订日期：不能晚于今天"),
    ({"client_phone": "12345"}, "选聘单位联系电话：请填写手机号码或固定电话（如023-63881234）"),
    ({"residential_fee": "abc"}, "住宅物业服务费（元/㎡·月）：请填写金额，如2.50"),
    ({"residential_fee": "", "non_residential_fee": ""}, "住宅物业服务费（元/㎡·月）：请填写住宅或非住宅物业服务费"),
    ({"service_content": ""}, "服务内容：必填"),
    ({"area_id": "999999999"}, "项目名称：本市没有该物业管理区域。 如项目名称的选择中没有需要合同备案的项目，则需要先做物业区域备案业务。"),
])
def test_refusals_keep_what_was_typed(app, login, change, message):
    area_id, _ = new_area(app)
    data = {**contract_data(area_id), **change}
    resp = _file(login, "ent_a", data)
    assert resp.status_code == 200
    error = page_error(resp)
    if message == "服务内容：必填":
        assert error and error.startswith("服务内容：")
    else:
        assert error == message
    assert 'value="王物业"' in resp.get_data(as_text=True)


def test_later_stage_needs_the_areas_committee(app, login):
    area_id, name = new_area(app)
    resp = _file(login, "ent_a", contract_data(area_id, contract_type="later"))
    assert page_error(resp) == (f"{name}尚无已备案的业主委员会，暂不能办理后期（业主大会选聘）物业服务合同备案。")
    committee_id, _u = new_org(app, org_type="owners_committee", enterprise_type="owners_committee")
    area2, _ = new_area(app, committee=committee_id)
    resp = _file(login, "ent_a", contract_data(area2, contract_type="later"))
    assert resp.status_code == 302
    with app.app_context():
        item = db.session.get(Application, new_pk(resp))
        assert item.payload["client_org_id"] == committee_id and item.status == "submitted"
        assert item.subject_type == "property_area" and item.subject_id == area2
        assert item.region_code == "500103001" and item.number.startswith("HT")


# --- the deadline ------------------------------------------------------------------------------------

def test_due_date_moves_past_a_holiday(ctx):
    from app.property.filings import contracts

    # 2024-09-16 + 15 days = 2024-10-01 (国庆节): due on the first working day after, 10-08.
    assert contracts.due_date(date(2024, 9, 16)) == date(2024, 10, 8)
    assert contracts.due_date(date(2024, 3, 1)) == date(2024, 3, 18)       # a Saturday moves to Monday
    assert contracts.due_date(date(2024, 3, 4)) == date(2024, 3, 19)       # a working day stays
    assert not contracts.is_late(date(2024, 10, 8), date(2024, 10, 8))
    assert contracts.is_late(date(2024, 10, 8), date(2024, 10, 9))


def test_a_late_submission_is_marked_late_and_an_early_one_not(app, login):
    from app.property.filings import contracts

    area_id, _ = new_area(app)
    signed = date.today() - timedelta(days=40)
    resp = _file(login, "ent_a", contract_data(area_id, signed_on=signed.isoformat(), start_on=signed.isoformat()))
    pk = new_pk(resp)
    text = login("ent_a").get(f"{URL}/show/{pk}").get_data(as_text=True)
    assert 'id="late-flag"' in text and "逾期提交" in text
    with app.app_context():
        assert contracts.due_date(signed).isoformat() in text
    area2, _ = new_area(app)
    pk2 = new_pk(_file(login, "ent_a", contract_data(area2)))
    assert 'id="late-flag"' not in login("ent_a").get(f"{URL}/show/{pk2}").get_data(as_text=True)


def test_overdue_job_feeds_credit_once(app, login):
    from app.credit.models import CreditRecord
    from app.property.filings import jobs

    area_id, _ = new_area(app)
    signed = date.today() - timedelta(days=40)
    # A draft never submitted, past its due day.
    resp = _file(login, "ent_a", contract_data(area_id, signed_on=signed.isoformat(), start_on=signed.isoformat()),
                 action="save")
    pk = new_pk(resp)
    with app.app_context():
        first = jobs.run_overdue()
        second = jobs.run_overdue()
        assert first["flagged"] >= 1 and second["flagged"] == 0
        records = db.session.execute(select(CreditRecord).where(CreditRecord.source_type == "property_contract_overdue",
                                                                CreditRecord.source_key == str(pk))).scalars().all()
        assert len(records) == 1
        assert records[0].rule.code == "WY-K-001" and records[0].status == "review"
    assert 'id="overdue-flag"' in login("ent_a").get(f"{URL}/show/{pk}").get_data(as_text=True)


def test_the_cli_runs_the_job_at_a_date(app):
    result = app.test_cli_runner().invoke(args=["property", "contract-overdue", "--at", "2031-01-01"])
    assert result.exit_code == 0, result.output
    assert "flagged:" in result.output
    bad = app.test_cli_runner().invoke(args=["property", "contract-overdue", "--at", "tomorrow"])
    assert bad.exit_code != 0


# --- approval -----------------------------------------------------------------------------------------

def test_approval_links_the_area_ends_the_old_lead_and_contract(app, login):
    from app.property.filings.models import ServiceContract
    from app.property.models import LeadAssignment, PropertyArea
    from tests.property.helpers import make_staff

    area_id, name = new_area(app, company="ent_b")
    with app.app_context():
        make_staff("ent_b", "钱经理", post="project_lead", areas=[name])
        area = db.session.get(PropertyArea, area_id)
        assert area.lead_staff_id is not None and not area.contract_filed
    # ent_b's own contract first, then ent_a takes over.
    pk_b = new_pk(_file(login, "ent_b", contract_data(area_id)))
    decide(login, pk_b, "accept", "approve")
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        assert area.contract_filed and area.company_org_id == db.session.get(Application, pk_b).org_id
        assert area.lead_staff_id is not None   # the same company: its lead stays
    pk_a = new_pk(_file(login, "ent_a", contract_data(area_id)))
    text = decide(login, pk_a, "accept", "approve")
    assert "审核通过" in text
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        item = db.session.get(Application, pk_a)
        assert area.company_org_id == item.org_id and area.contract_filed
        assert area.lead_staff_id is None and area.project_lead_id is None
        leads = db.session.execute(select(LeadAssignment).where(LeadAssignment.area_id == area_id)).scalars().all()
        assert leads and all(a.ended_at is not None and a.current_area_id is None for a in leads)
        contracts_ = db.session.execute(select(ServiceContract).where(ServiceContract.area_id == area_id)
                                        .order_by(ServiceContract.id)).scalars().all()
        assert [c.current_area_id for c in contracts_] == [None, area_id]
        assert contracts_[0].ended_on == date.today() and contracts_[1].application_id == pk_a


def test_returned_filing_keeps_its_area_and_resubmits(app, login):
    area_id, _ = new_area(app)
    other, _ = new_area(app)
    pk = new_pk(_file(login, "ent_a", contract_data(area_id)))
    decide(login, pk, "return")
    c = login("ent_a")
    assert "请补正" in c.get(f"{URL}/edit/{pk}").get_data(as_text=True)
    resp = c.form(f"{URL}/edit/{pk}", {**contract_data(other, company_contact="赵改正"), "action": "submit"})
    assert resp.status_code == 302   # the area posted is ignored: the page keeps the filing's area
    with app.app_context():
        item = db.session.get(Application, pk)
        assert item.status == "submitted" and item.subject_id == area_id
        assert item.payload["company_contact"] == "赵改正"


def test_one_open_filing_per_area_and_company(app, login):
    area_id, name = new_area(app)
    first = new_pk(_file(login, "ent_a", contract_data(area_id)))
    resp = _file(login, "ent_a", contract_data(area_id))
    with app.app_context():
        number = db.session.get(Application, first).number
    assert page_error(resp) == f"{name}已有贵企业的物业服务合同备案{number}（已提交），请修改或办结该业务，不要重复申报。"


def test_demo_contract_of_heping(app):
    from app.property.filings import contracts, demo
    from app.property.models import PropertyArea

    with app.app_context():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.name == "和平小区")).scalars().one()
        assert area.contract_filed
        current = contracts.current_contract(area.id)
        assert current is not None and current.contract_type == "early" and current.company_org_id == area.company_org_id
        assert demo.load_demo() == 0


# --- REST ---------------------------------------------------------------------------------------------

def test_rest_create_submit_amend_detail_and_list(app, api):
    area_id, _ = new_area(app)
    http, headers = api("ent_a")
    bad = http.post("/api/v1/service_contract_filing/file", json=contract_data(area_id, end_on="2000-01-01"),
                    headers=headers)
    assert bad.status_code == 422 and bad.get_json()["message"] == "委托期限止：应晚于起始日期"
    resp = http.post("/api/v1/service_contract_filing/file",
                     json={**contract_data(area_id), "area_id": None, "area_name": None, "submit": False},
                     headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"].startswith("项目名称：请选择物业管理区域。")
    resp = http.post("/api/v1/service_contract_filing/file", json={**contract_data(area_id), "submit": False},
                     headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["status"] == "draft"
    resp = http.post(f"/api/v1/service_contract_filing/{pk}/amend",
                     json={"data": contract_data(area_id, company_contact="孙修改")}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "draft"
    resp = http.post(f"/api/v1/service_contract_filing/{pk}/submit", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    again = http.post(f"/api/v1/service_contract_filing/{pk}/submit", headers=headers)
    assert again.status_code == 422 and again.get_json()["message"] == "只有草稿或已退回的业务可以修改。"
    detail = http.get(f"/api/v1/service_contract_filing/{pk}", headers=headers).get_json()["result"]
    assert detail["payload"]["company_contact"] == "孙修改"
    listed = http.get("/api/v1/service_contract_filing/", headers=headers).get_json()
    assert pk in listed["ids"]
    # the reviewer decides by REST
    rhttp, rheaders = api("reviewer")
    assert rhttp.post(f"/api/v1/service_contract_filing/{pk}/transition", json={"action": "accept"},
                      headers=rheaders).status_code == 200
    assert rhttp.post(f"/api/v1/service_contract_filing/{pk}/transition", json={"action": "approve"},
                      headers=rheaders).get_json()["status"] == "approved"
    # the applicant cannot decide
    resp = http.post(f"/api/v1/service_contract_filing/{pk}/transition", json={"action": "accept"}, headers=headers)
    assert resp.status_code in (401, 403)


# --- scope from outside -------------------------------------------------------------------------------

OUTSIDERS = ["ent_b", "district2", "dev_a", "helpdesk", "public1"]


@pytest.fixture
def filed(app, login):
    area_id, _ = new_area(app)
    return new_pk(_file(login, "ent_a", contract_data(area_id, client_contact="周秘密")))


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_see_nothing(app, login, api, filed, who):
    username = district2_user(app) if who == "district2" else who
    c = login(username)
    for path in (f"{URL}/show/{filed}", f"{URL}/print/{filed}", f"{URL}/pdf/{filed}", f"{URL}/edit/{filed}",
                 f"{URL}/show/{filed + 100000}"):
        resp = c.get(path)
        assert resp.status_code in (302, 403, 404), (path, resp.status_code)
        assert "周秘密" not in resp.get_data(as_text=True)
    resp = c.post(f"{URL}/terminate/{filed}", data={"csrf_token": "x"})
    assert resp.status_code in (302, 400, 403, 404)
    with app.app_context():
        assert db.session.get(Application, filed).status == "submitted"
    http, headers = api(username)
    one = http.get(f"/api/v1/service_contract_filing/{filed}", headers=headers)
    assert one.status_code in (403, 404)
    listed = http.get("/api/v1/service_contract_filing/", headers=headers)
    assert listed.status_code == 403 or filed not in listed.get_json()["ids"]
    assert http.post(f"/api/v1/service_contract_filing/{filed}/terminate", headers=headers).status_code in (403, 404)


def test_anonymous_gets_nothing(app, client, filed):
    for path in (f"{URL}/", f"{URL}/show/{filed}", f"{URL}/print/{filed}", f"{URL}/pdf/{filed}"):
        resp = client.get(path)
        assert resp.status_code in (302, 401, 403)
    assert client.get(f"/api/v1/service_contract_filing/{filed}").status_code == 401


def test_district_of_the_area_reads_masked_and_the_company_prints(app, login, api, filed):
    http, headers = api("district1")
    payload = http.get(f"/api/v1/service_contract_filing/{filed}", headers=headers).get_json()["result"]["payload"]
    assert payload["client_contact"] != "周秘密" and payload["client_contact"].startswith("周")
    c = login("ent_a")
    assert c.get(f"{URL}/print/{filed}").status_code == 200
    pdf = c.get(f"{URL}/pdf/{filed}")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Application)
                                  .where(Application.id == filed)).scalar() == 1
