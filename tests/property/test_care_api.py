"""REST resources ``equipment``, ``inspection_record`` and ``maintenance_record``: the same
services and checks as the pages (422 with the Chinese reason), due dates moved by records,
and scope (another enterprise, a project lead outside the areas they lead, read-only
government users, guessed ids)."""
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.property.models import Equipment, InspectionRecord, MaintenanceRecord
from tests.complaints.helpers import area
from tests.property.test_equipment import make_equipment, make_plan, other_area, uniq


def _ids(listing):
    return {row["id"] for row in listing["result"]}


def test_equipment_crud_and_refusals(app, api):
    with app.app_context():
        heping_id = area("和平小区").id
        make_plan("inspection", 1, "month", area_name="和平小区", equip_type="cctv", name=uniq("监控月检"))
    http, headers = api("ent_a")
    name = uniq("接口监控")
    resp = http.post("/api/v1/equipment/", json={"area_id": heping_id, "building": "2栋", "equip_type": "cctv",
                                                 "name": name, "installed_on": "2025-01-31"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    got = http.get(f"/api/v1/equipment/{pk}", headers=headers).get_json()["result"]
    assert got["status"] == "in_use" and got["next_inspection_due"] == "2025-02-28"     # Jan 31 + 1 month
    assert got["region_code"] == "500103001" and got["area"]["name"] == "和平小区"
    # Refusals, in Chinese
    cases = [
        ({"area_id": heping_id, "unit": "1单元", "equip_type": "cctv", "name": "x"},
         "填写了单元/梯时必须填写楼栋名称：属于整个物业区域的设施设备两项都不填，属于整个楼栋的只填楼栋名称。"),
        ({"area_id": heping_id, "equip_type": "cctv"}, "设施设备名称：必须填写"),
        ({"equip_type": "cctv", "name": "x"}, "物业管理区域：必须填写"),
        ({"area_id": heping_id, "equip_type": "rocket", "name": "x"}, "设施设备类型不存在：rocket"),
        ({"area_id": heping_id, "equip_type": "cctv", "name": "x", "status": "lost"}, "设施设备状态不存在：lost"),
        ({"area_id": heping_id, "equip_type": "cctv", "name": "x",
          "installed_on": (date.today() + timedelta(days=1)).isoformat()}, "安装日期不能晚于今天。"),
        ({"area_id": 999999, "equip_type": "cctv", "name": "x"}, "物业管理区域不存在或不在您的管理范围内。"),
    ]
    for body, message in cases:
        resp = http.post("/api/v1/equipment/", json=body, headers=headers)
        assert resp.status_code == 422 and resp.get_json()["message"] == message, (body, resp.get_json())
    resp = http.put(f"/api/v1/equipment/{pk}", json={"model": "DS-2", "building": "3栋"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert (e.model, e.building, e.org_id) == ("DS-2", "3栋", area("和平小区").company_org_id)
    resp = http.delete(f"/api/v1/equipment/{pk}", headers=headers)
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.get(Equipment, pk) is None


def test_other_enterprise_gets_nothing_by_api(app, api):
    with app.app_context():
        e = make_equipment("和平小区", name=uniq("接口范围电梯"), installed_on=date(2024, 1, 1))
        heping_id = e.area_id
        r = InspectionRecord(equipment_id=e.id, done_on=date(2025, 1, 2), person="周师傅", result="normal",
                             org_id=e.org_id, area_id=e.area_id, region_code=e.region_code)
        m = MaintenanceRecord(equipment_id=e.id, done_on=date(2025, 1, 3), person="周师傅", result="done",
                              org_id=e.org_id, area_id=e.area_id, region_code=e.region_code)
        db.session.add_all([r, m])
        db.session.commit()
        ids = {"equipment": e.id, "inspection_record": r.id, "maintenance_record": m.id}
    http, headers = api("ent_b")
    for resource, pk in ids.items():
        assert http.get(f"/api/v1/{resource}/{pk}", headers=headers).status_code == 404, resource
        assert http.put(f"/api/v1/{resource}/{pk}", json={"person": "改名", "name": "改名"},
                        headers=headers).status_code == 404, resource
        assert http.delete(f"/api/v1/{resource}/{pk}", headers=headers).status_code == 404, resource
        listing = http.get(f"/api/v1/{resource}/?q=(page_size:100)", headers=headers).get_json()
        assert pk not in _ids(listing), resource
    resp = http.post("/api/v1/equipment/", json={"area_id": heping_id, "equip_type": "elevator", "name": "越权"},
                     headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "物业管理区域不存在或不在您的管理范围内。"
    resp = http.post("/api/v1/inspection_record/", json={"equipment_id": ids["equipment"], "person": "越权",
                                                        "result": "normal", "done_on": date.today().isoformat()},
                     headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "设施设备不存在或不在您的管理范围内。"
    with app.app_context():
        assert db.session.get(InspectionRecord, ids["inspection_record"]).person == "周师傅"
        assert db.session.get(Equipment, ids["equipment"]) is not None
        assert db.session.execute(select(InspectionRecord).where(
            InspectionRecord.equipment_id == ids["equipment"], InspectionRecord.person == "越权")).first() is None


def test_records_by_api_move_due_dates_with_the_same_rules(app, api):
    from tests.property.helpers import make_staff

    with app.app_context():
        e = make_equipment("和平小区", name=uniq("接口巡检电梯"), installed_on=date(2025, 1, 1),
                           maintenance_company="山城电梯维保")
        make_plan("inspection", 1, "week", equipment=e)
        make_plan("maintenance", 15, "day", equipment=e)
        scrapped = make_equipment("和平小区", name=uniq("报废电梯"), status="scrapped")
        ent_b_worker = make_staff("ent_b", uniq("和居员工"), areas=["七星花园"])
        left = make_staff("ent_a", uniq("离职员工"), areas=["和平小区"])
        left.status, left.current_key = "left", None
        db.session.commit()
        pk, scrapped_id, ent_b_worker_id, left_id = e.id, scrapped.id, ent_b_worker.id, left.id
        assert e.next_inspection_due == date(2025, 1, 8)
    http, headers = api("ent_a")
    today = date.today().isoformat()
    base = {"equipment_id": pk, "done_on": today, "person": "吴师傅", "result": "normal"}
    cases = [
        ({**base, "result": "abnormal"}, "巡检结果为异常时，必须填写发现问题及处理情况。"),
        ({**base, "done_on": (date.today() + timedelta(days=1)).isoformat()}, "巡检日期不能晚于今天。"),
        ({**base, "done_on": "2024-12-31"}, "巡检日期不能早于安装日期（2025-01-01）。"),
        ({**base, "person": "  "}, "巡检人：必须填写"),
        ({**base, "result": "fine"}, "结果不存在：fine"),
        ({**base, "staff_id": ent_b_worker_id}, "从业人员必须是该设施设备所属企业的在职人员。"),
        ({**base, "staff_id": left_id}, "从业人员必须是该设施设备所属企业的在职人员。"),
        ({**base, "equipment_id": scrapped_id}, "已报废的设施设备不能再添加巡检或维保记录。"),
        ({**base, "done_on": None}, "巡检日期：必须填写"),
    ]
    for body, message in cases:
        resp = http.post("/api/v1/inspection_record/", json=body, headers=headers)
        assert resp.status_code == 422 and resp.get_json()["message"] == message, (body, resp.get_json())
    resp = http.post("/api/v1/inspection_record/", json={**base, "result": "abnormal", "findings": "按钮失灵"},
                     headers=headers)
    assert resp.status_code == 201, resp.get_json()
    rid = resp.get_json()["id"]
    got = http.get(f"/api/v1/equipment/{pk}", headers=headers).get_json()["result"]
    assert got["last_inspected_on"] == today
    assert got["next_inspection_due"] == (date.today() + timedelta(days=7)).isoformat()
    resp = http.put(f"/api/v1/inspection_record/{rid}", json={"done_on": "2025-02-01"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    got = http.get(f"/api/v1/equipment/{pk}", headers=headers).get_json()["result"]
    assert got["next_inspection_due"] == "2025-02-08"
    assert http.delete(f"/api/v1/inspection_record/{rid}", headers=headers).status_code == 200
    got = http.get(f"/api/v1/equipment/{pk}", headers=headers).get_json()["result"]
    assert got["last_inspected_on"] is None and got["next_inspection_due"] == "2025-01-08"
    # Maintenance: the company defaults to the equipment's 维保单位.
    resp = http.post("/api/v1/maintenance_record/", json={"equipment_id": pk, "done_on": today, "person": "郑师傅",
                                                         "result": "partial", "content": "润滑导轨"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    mid = resp.get_json()["id"]
    got = http.get(f"/api/v1/maintenance_record/{mid}", headers=headers).get_json()["result"]
    assert got["company"] == "山城电梯维保" and got["content"] == "润滑导轨" and got["person"] == "郑师傅"
    got = http.get(f"/api/v1/equipment/{pk}", headers=headers).get_json()["result"]
    assert got["next_maintenance_due"] == (date.today() + timedelta(days=15)).isoformat()


def test_project_lead_and_government_by_api(app, api):
    with app.app_context():
        other = other_area()
        other_id = other.id
        theirs = make_equipment(other, name=uniq("接口他区设备"))
        mine = make_equipment("和平小区", name=uniq("接口负责区设备"))
        outside_street = make_equipment("解放碑商住楼", name=uniq("接口街道外设备"))
        r = InspectionRecord(equipment_id=mine.id, done_on=date(2025, 1, 2), person="冯巡检员", result="normal",
                             org_id=mine.org_id, area_id=mine.area_id, region_code=mine.region_code)
        db.session.add(r)
        db.session.commit()
        ids = (theirs.id, mine.id, outside_street.id, r.id)
    http, headers = api("pm_a")
    resp = http.post("/api/v1/equipment/", json={"area_id": other_id, "equip_type": "fire", "name": "越权"},
                     headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "物业管理区域不存在或不在您的管理范围内。"
    assert http.get(f"/api/v1/equipment/{ids[0]}", headers=headers).status_code == 404
    assert http.put(f"/api/v1/equipment/{ids[0]}", json={"model": "x"}, headers=headers).status_code == 404
    resp = http.post("/api/v1/inspection_record/", json={"equipment_id": ids[0], "person": "x", "result": "normal",
                                                        "done_on": date.today().isoformat()}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "设施设备不存在或不在您的管理范围内。"
    resp = http.put(f"/api/v1/equipment/{ids[1]}", json={"model": "负责人改"}, headers=headers)
    assert resp.status_code == 200
    assert http.delete(f"/api/v1/equipment/{ids[1]}", headers=headers).status_code in (401, 403)
    assert http.delete(f"/api/v1/inspection_record/{ids[3]}", headers=headers).status_code in (401, 403)
    # The project lead sees the inspector's name masked (personal data); the enterprise in full.
    got = http.get(f"/api/v1/inspection_record/{ids[3]}", headers=headers).get_json()["result"]
    assert got["person"] == "冯*员"
    http_a, headers_a = api("ent_a")
    assert http_a.get(f"/api/v1/inspection_record/{ids[3]}", headers=headers_a).get_json()["result"]["person"] == "冯巡检员"
    # The street reads its own region only, and writes nothing.
    http, headers = api("street1")
    assert http.get(f"/api/v1/equipment/{ids[1]}", headers=headers).status_code == 200
    assert http.get(f"/api/v1/equipment/{ids[2]}", headers=headers).status_code == 404
    resp = http.post("/api/v1/equipment/", json={"area_id": area_id_of(app, "和平小区"), "equip_type": "fire",
                                                 "name": "街道"}, headers=headers)
    assert resp.status_code in (401, 403)
    assert http.put(f"/api/v1/equipment/{ids[1]}", json={"model": "x"}, headers=headers).status_code in (401, 403)
    http, headers = api("analyst")
    listing = http.get(f"/api/v1/inspection_record/{ids[3]}", headers=headers).get_json()["result"]
    assert listing["person"] == "冯*员"
    with app.app_context():
        assert db.session.get(Equipment, ids[1]).model == "负责人改"


def area_id_of(app, name):
    with app.app_context():
        return area(name).id
