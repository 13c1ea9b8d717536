"""物业承接查验备案 (seed 004 物业服务企业 8) as users meet it: only for an area whose current
filed service contract is the filer's (the seed's note otherwise), the 移交资料 checklist, the
equipment workbook with the seed's 楼栋名称 / 单元/梯 rules and its error workbook, approval
moving the equipment into 设施设备管理 once, REST, and scope from outside."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.core.workflow import Application
from app.extensions import db
from tests.complaints.helpers import user
from tests.property.contracts_helpers import (contract_data, decide, district2_user, new_area, new_org, new_pk,
                                              page_error)

URL = "/property/acceptance-filing"
NOTE = "如项目名称的选择中没有需要承接查验备案的项目，则需要先做物业服务合同备案业务。"
HEADER = ["物业管理区域名称", "楼栋名称", "单元/梯", "设施设备类型", "设备编号", "设施设备名称", "型号", "生产厂家", "安装日期",
          "维保单位", "状态"]


def xlsx_bytes(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def contracted_area(app, company="ent_a", developer=True):
    """An area whose current filed service contract is ``company``'s: (id, name)."""
    from app.core.workflow import Action
    from app.property.filings import contracts

    dev_id = new_org(app, enterprise_type="developer")[0] if developer else None
    area_id, name = new_area(app, developer=dev_id)
    with app.app_context():
        item = contracts.file_contract(user(company), contract_data(area_id))
        contracts.transition_filing(item, Action.ACCEPT, user("reviewer"))
        contracts.transition_filing(item, Action.APPROVE, user("reviewer"))
    return area_id, name


def form_data(area_id, **over):
    data = {"area_id": str(area_id), "inspected_on": (date.today() - timedelta(days=2)).isoformat(),
            "inspection_scope": "共用部位、共用设施设备", "conclusion": "基本合格", "issues": "2栋屋面渗水，建设单位30日内整改",
            "developer_contact": "周开发", "developer_phone": "13922220000", "company_contact": "王物业",
            "company_phone": "023-63881234", "handover_site_plan_status": "handed", "handover_site_plan_copies": "2",
            "handover_owner_roster_status": "handed", "handover_owner_roster_copies": "1", "action": "save"}
    data.update(over)
    return data


def new_draft(login, area_id, username="ent_a"):
    resp = login(username).form(f"{URL}/new", form_data(area_id))
    return new_pk(resp)


def upload(c, pk, data):
    token = c.token(f"{URL}/show/{pk}")
    return c.http.post(f"{URL}/import/{pk}", data={"csrf_token": token, "file": (io.BytesIO(data), "设施设备.xlsx")},
                       content_type="multipart/form-data")


def good_rows(name):
    return [[name, None, None, "监控", None, "小区大门监控", "DS-2CD", None, "2023-05-01", None, "在用"],
            [name, "1栋", None, "供水设备", "GS-01", "1栋二次供水泵", None, None, None, None, None],
            [name, "1栋", "2单元", "电梯", "DT-0102", "1栋2单元客梯", None, "奥的斯", "2022-01-10", "重庆电梯维保公司", "在用"]]


# --- the area ------------------------------------------------------------------------------------

def test_refused_without_a_filed_contract(app, login):
    area_id, _ = new_area(app, company="ent_a")
    resp = login("ent_a").form(f"{URL}/new", form_data(area_id))
    assert page_error(resp) == "项目名称：贵企业在该物业管理区域没有已备案的物业服务合同。 " + NOTE
    assert 'value="周开发"' in resp.get_data(as_text=True)


def test_refused_for_another_companys_contract(app, login):
    area_id, name = contracted_area(app, company="ent_b")
    c = login("ent_a")
    assert name not in c.get(f"{URL}/new").get_data(as_text=True)
    resp = c.form(f"{URL}/new", form_data(area_id))
    assert page_error(resp) == "项目名称：贵企业在该物业管理区域没有已备案的物业服务合同。 " + NOTE


def test_the_form_offers_only_contracted_areas_and_prefills_the_developer(app, login):
    area_id, name = contracted_area(app)
    text = login("ent_a").get(f"{URL}/new?area_id={area_id}").get_data(as_text=True)
    assert name in text and NOTE in text and 'value="陈联络"' in text


@pytest.mark.parametrize("change, message", [
    ({"inspected_on": (date.today() + timedelta(days=1)).isoformat()}, "承接查验日期：不能晚于今天"),
    ({"conclusion": ""}, "查验结论：必填"),
    ({"developer_phone": "110"}, "建设单位联系电话：请填写手机号码或固定电话（如023-63881234）"),
    ({"handover_site_plan_copies": ""}, "竣工总平面图：请填写移交的份数"),
    ({"handover_other_status": "handed", "handover_other_copies": "1"}, "其他：请在备注中写明移交的资料"),
])
def test_refusals_keep_what_was_typed(app, login, change, message):
    area_id, _ = contracted_area(app)
    resp = login("ent_a").form(f"{URL}/new", form_data(area_id, **change))
    error = page_error(resp)
    if message.endswith("必填"):
        assert error and error.startswith("查验结论：")
    else:
        assert error == message
    assert 'value="王物业"' in resp.get_data(as_text=True)


# --- equipment and approval -------------------------------------------------------------------------

def test_whole_life_equipment_lands_once(app, login):
    from app.property.models import Equipment

    area_id, name = contracted_area(app)
    pk = new_draft(login, area_id)
    c = login("ent_a")
    # no equipment yet: submitting is refused
    resp = c.form(f"{URL}/submit/{pk}", {}, get_url=f"{URL}/show/{pk}", follow_redirects=True)
    assert "请先导入该物业区域的设施设备，再提交。" in resp.get_data(as_text=True)
    template = c.get(f"{URL}/template")
    assert template.status_code == 200
    assert [c_.value for c_ in load_workbook(io.BytesIO(template.data)).worksheets[0][1]][:3] == \
        ["*物业管理区域名称", "楼栋名称", "单元/梯"] or template.data[:2] == b"PK"
    resp = upload(c, pk, xlsx_bytes(good_rows(name)))
    assert resp.status_code == 302
    text = c.get(f"{URL}/show/{pk}").get_data(as_text=True)
    assert "1栋2单元客梯" in text and "3条" in text
    with app.app_context():
        assert db.session.execute(select(func.count(Equipment.id)).where(Equipment.area_id == area_id)).scalar() == 0
    resp = c.form(f"{URL}/submit/{pk}", {}, get_url=f"{URL}/show/{pk}", follow_redirects=True)
    assert "已提交审核" in resp.get_data(as_text=True)
    decide(login, pk, "accept", "approve")
    with app.app_context():
        item = db.session.get(Application, pk)
        assert item.status == "approved"
        rows = db.session.execute(select(Equipment).where(Equipment.area_id == area_id)
                                  .order_by(Equipment.name)).scalars().all()
        assert len(rows) == 3 and {r.org_id for r in rows} == {user("ent_a").org_id}
        places = {r.name: (r.building, r.unit) for r in rows}
        assert places["小区大门监控"] == (None, None) and places["1栋二次供水泵"] == ("1栋", None)
        assert places["1栋2单元客梯"] == ("1栋", "2单元")
    text = decide(login, pk, "approve")
    assert "不能" in text or "审核通过" in text
    with app.app_context():
        assert db.session.execute(select(func.count(Equipment.id)).where(Equipment.area_id == area_id)).scalar() == 3
    listed = login("ent_a").get(f"/equipment/list/?_flt_0_area={area_id}").get_data(as_text=True)
    assert "1栋2单元客梯" in listed


def test_import_errors_keep_nothing_and_give_the_workbook(app, login):
    area_id, name = contracted_area(app)
    pk = new_draft(login, area_id)
    c = login("ent_a")
    rows = [[name, None, "2单元", "电梯", None, "无楼栋的电梯", None, None, None, None, None],
            ["别的小区", "1栋", None, "电梯", None, "别处电梯", None, None, None, None, None],
            [name, "1栋", None, "不存在的类型", None, "怪设备", None, None, None, None, None]]
    resp = upload(c, pk, xlsx_bytes(rows))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="import-errors"' in text
    assert "单元" in text and f"设施设备应属于本次承接查验的物业区域：{name}" in text
    import re

    token = re.search(r"/import-errors/(\w+)", text).group(1)
    book = c.get(f"{URL}/import-errors/{token}")
    assert book.status_code == 200 and book.data[:2] == b"PK"
    assert login("ent_b").get(f"{URL}/import-errors/{token}").status_code == 404
    assert 'id="no-equipment"' in c.get(f"{URL}/show/{pk}").get_data(as_text=True)


def test_approval_refused_when_the_contract_moved_away(app, login):
    from app.core.workflow import Action
    from app.property.filings import contracts

    area_id, name = contracted_area(app)
    pk = new_draft(login, area_id)
    c = login("ent_a")
    upload(c, pk, xlsx_bytes(good_rows(name)[:1]))
    c.form(f"{URL}/submit/{pk}", {}, get_url=f"{URL}/show/{pk}")
    with app.app_context():
        item = contracts.file_contract(user("ent_b"), contract_data(area_id))
        contracts.transition_filing(item, Action.ACCEPT, user("reviewer"))
        contracts.transition_filing(item, Action.APPROVE, user("reviewer"))
    text = decide(login, pk, "accept", "approve")
    assert f"{name}当前已备案的物业服务合同不是贵企业的。" in text
    with app.app_context():
        assert db.session.get(Application, pk).status == "accepted"


# --- REST ----------------------------------------------------------------------------------------------

def test_rest_file_import_submit(app, api):
    area_id, name = contracted_area(app)
    http, headers = api("ent_a")
    data = {k: v for k, v in form_data(area_id).items() if k != "action"}
    refused = http.post("/api/v1/acceptance_filing/file", json={**data, "area_id": None, "area_name": "无此小区"},
                        headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "项目名称：贵企业在该物业管理区域没有已备案的物业服务合同。 " + NOTE
    resp = http.post("/api/v1/acceptance_filing/file", json=data, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["status"] == "draft"
    pk = resp.get_json()["id"]
    bad = http.post(f"/api/v1/acceptance_filing/{pk}/equipment", headers=headers,
                    data={"file": (io.BytesIO(xlsx_bytes([[name, None, "3单元", "电梯", None, "梯", None, None, None,
                                                          None, None]])), "e.xlsx")},
                    content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["errors"]
    ok = http.post(f"/api/v1/acceptance_filing/{pk}/equipment", headers=headers,
                   data={"file": (io.BytesIO(xlsx_bytes(good_rows(name))), "e.xlsx")},
                   content_type="multipart/form-data")
    assert ok.status_code == 200 and ok.get_json()["count"] == 3
    sub = http.post(f"/api/v1/acceptance_filing/{pk}/submit", headers=headers)
    assert sub.status_code == 200 and sub.get_json()["status"] == "submitted"
    detail = http.get(f"/api/v1/acceptance_filing/{pk}", headers=headers).get_json()["result"]
    assert detail["payload"]["equipment_count"] == 3 and detail["payload"]["handover_site_plan"] == "已移交，2份"


# --- scope from outside ---------------------------------------------------------------------------------

@pytest.fixture
def draft(app, login):
    area_id, name = contracted_area(app)
    pk = new_draft(login, area_id)
    upload(login("ent_a"), pk, xlsx_bytes(good_rows(name)))
    return pk


@pytest.mark.parametrize("who", ["ent_b", "district2", "dev_a", "helpdesk", "public1"])
def test_outsiders_see_nothing(app, login, api, draft, who):
    username = district2_user(app) if who == "district2" else who
    c = login(username)
    for path in (f"{URL}/show/{draft}", f"{URL}/print/{draft}", f"{URL}/pdf/{draft}", f"{URL}/edit/{draft}",
                 f"{URL}/show/{draft + 100000}"):
        resp = c.get(path)
        assert resp.status_code in (302, 403, 404), (path, resp.status_code)
        assert "1栋2单元客梯" not in resp.get_data(as_text=True)
    resp = c.post(f"{URL}/import/{draft}", data={"file": (io.BytesIO(xlsx_bytes([])), "e.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code in (302, 400, 403, 404)
    http, headers = api(username)
    assert http.get(f"/api/v1/acceptance_filing/{draft}", headers=headers).status_code in (403, 404)
    assert http.post(f"/api/v1/acceptance_filing/{draft}/submit", headers=headers).status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Application, draft).status == "draft"


def test_anonymous_gets_nothing(app, client, draft):
    for path in (f"{URL}/", f"{URL}/show/{draft}", f"{URL}/print/{draft}", f"{URL}/template"):
        assert client.get(path).status_code in (302, 401, 403)
    assert client.get(f"/api/v1/acceptance_filing/{draft}").status_code == 401


def test_the_company_prints_its_application_form(app, login, draft):
    c = login("ent_a")
    text = c.get(f"{URL}/print/{draft}").get_data(as_text=True)
    assert "竣工总平面图" in text and "已移交，2份" in text
    assert c.get(f"{URL}/pdf/{draft}").data[:4] == b"%PDF"
