"""巡检维保计划, 巡检记录, 维保记录, due dates, the daily job and 本周到期巡检维保: every rule and
refusal in Chinese; due dates (item plan over the area's type plan over the enterprise's
type plan; records move them; deletes move them back); photos; the job flags once and
notifies once per enterprise; the due list; scope of plans and records for every role."""
import io
import re
from datetime import date, timedelta

from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select

from app.core.notices import Notice
from app.extensions import db
from app.property.care import services
from app.property.models import CarePlan, Equipment, InspectionRecord, MaintenanceRecord
from tests.complaints.helpers import make_area, user
from tests.property.test_equipment import (
    ANOTHER_AREA,
    TOKEN_PAGE,
    make_equipment,
    make_plan,
    other_area,
    uniq,
)

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def make_enterprise(tag, areas=("一期", "二期")):
    """A property company of its own (with an ent_admin login and areas), so counts and plans
    of other tests cannot mix in. Returns (org id, username, {suffix: area})."""
    from flask import current_app

    from app.system import services as system_services
    from app.system.models import Organization

    org = Organization(name=f"测试物业{tag}有限公司", org_type="enterprise", enterprise_type="property_company",
                       region_code="500103", active=True)
    db.session.add(org)
    system_services.set_tree_fields(org)
    db.session.flush()
    system_services.finish_paths([org])
    db.session.commit()
    sm = current_app.appbuilder.sm
    username = f"ent_{tag}"
    sm.add_user(username, f"管理员{tag}", "", f"{username}@demo.anju.invalid", sm.find_role("ent_admin"),
                password="Anju@2026", org_id=org.id, mobile=f"137{abs(hash(tag)) % 10 ** 8:08d}",
                must_change_password=False)
    made = {suffix: make_area(f"{tag}{suffix}", company=org.name) for suffix in areas}
    return org.id, username, made


def flashed(html):
    return re.findall(r'class="alert[^"]*"[^>]*>(?:\s*<button[^>]*>[^<]*</button>)?\s*([^<]+)', html)


def plan_form(**values):
    data = {"kind": "inspection", "name": uniq("计划"), "area": "__None", "equip_type": "", "equipment": "__None",
            "cycle_value": "1", "cycle_unit": "month", "active": "y", "remark": ""}
    data.update(values)
    return data


def record_form(equipment_id, **values):
    data = {"equipment": str(equipment_id), "done_on": date.today().isoformat(), "person": "李师傅",
            "staff": "__None", "result": "normal", "findings": ""}
    data.update(values)
    return data


# --- plans -------------------------------------------------------------------------------------------

def test_plan_rules_in_chinese(app, login):
    tag = uniq("计划规则")
    with app.app_context():
        org_id, username, areas = make_enterprise(tag)
        first = areas["一期"]
        lift = make_equipment(first, name=uniq("一期电梯"))
        other_lift = make_equipment(areas["二期"], name=uniq("二期电梯"))
        first_id, lift_id, other_lift_id, region = first.id, lift.id, other_lift.id, first.region_code
    c = login(username)
    url = "/careplans/add"

    def post(**values):
        return c.form(url, plan_form(**values), get_url=url, follow_redirects=True).get_data(as_text=True)

    assert "设施设备类型和设施设备只能选择其一。" in post(equip_type="elevator", equipment=str(lift_id))
    assert "请选择设施设备类型或一个设施设备。" in post()
    assert "周期必须是 1 至 999 的整数。" in post(equip_type="fire", cycle_value="0")
    assert "计划类型：必须填写" in post(kind="", equip_type="fire")
    assert "所选设施设备不在所选物业管理区域内。" in post(area=str(first_id), equipment=str(other_lift_id))
    name = uniq("消防设施每月巡检")
    html = post(name=name, equip_type="fire")
    assert "已保存：" in html
    assert f"同一对象已有启用的同类计划：{name}。" in post(equip_type="fire", cycle_value="2")
    # The same type in one area, or for one item, is another target: allowed.
    assert "已保存：" in post(equip_type="fire", area=str(first_id))
    assert "已保存：" in post(kind="maintenance", name=uniq("电梯半月维保"), equipment=str(lift_id),
                            cycle_value="15", cycle_unit="day")
    with app.app_context():
        plan = db.session.execute(select(CarePlan).where(CarePlan.name == name)).scalars().one()
        assert (plan.org_id, plan.region_code, plan.area_id, plan.equip_type, plan.cycle_value, plan.cycle_unit) == (
            org_id, "500103", None, "fire", 1, "month")
        item_plan = db.session.execute(select(CarePlan).where(CarePlan.equipment_id == lift_id)).scalars().one()
        assert (item_plan.area_id, item_plan.equip_type, item_plan.region_code) == (first_id, None, region)
    html = c.get("/careplans/list/").get_data(as_text=True)
    assert name in html and "本企业全部物业管理区域" in html and "消防设施" in html and "个月" in html


def test_only_enterprise_admins_write_plans(app, login):
    for username in ("pm_a", "street1", "analyst", "district1"):
        assert login(username).get("/careplans/add").status_code in (302, 403), username
    assert login("pm_a").get("/careplans/list/").status_code == 200


# --- due dates ---------------------------------------------------------------------------------------

def _add_record(kind, equipment, username, **values):
    """A record saved the way the pages and the API save it (services, then recompute)."""
    model = services.RECORD_MODELS[kind]
    values.setdefault("person", "王师傅")
    values.setdefault("result", "normal" if kind == "inspection" else "done")
    r = model(equipment_id=equipment.id, **values)
    services.prepare_record(r, kind, user(username))
    db.session.add(r)
    db.session.flush()
    services.record_changed(equipment.id)
    db.session.commit()
    return r


def test_item_plan_over_area_type_plan_over_enterprise_plan(app):
    tag = uniq("到期")
    with app.app_context():
        org_id, username, areas = make_enterprise(tag)
        first, second = areas["一期"], areas["二期"]
        installed = date(2025, 1, 10)
        e_area = make_equipment(first, name=uniq("一期电梯"), installed_on=installed)
        e_org = make_equipment(second, name=uniq("二期电梯"), installed_on=installed)
        e_item = make_equipment(first, name=uniq("一期专项电梯"), installed_on=installed)
        e_fire = make_equipment(first, name=uniq("一期消防"), equip_type="fire", installed_on=installed)
        e_new = make_equipment(second, name=uniq("未装日期电梯"))
        e_stopped = make_equipment(second, name=uniq("停用电梯"), installed_on=installed, status="stopped")
        assert e_area.next_maintenance_due is None                       # no plan yet
        make_plan("maintenance", 1, "month", org=username, equip_type="elevator",
                  created_on=date(2025, 3, 31))
        make_plan("maintenance", 15, "day", area_name=first.name, equip_type="elevator")
        item_plan = make_plan("maintenance", 7, "day", equipment=e_item)
        for e in (e_area, e_org, e_item, e_fire, e_new, e_stopped):
            db.session.refresh(e)
        assert e_item.next_maintenance_due == date(2025, 1, 17)          # the item's own plan
        assert e_area.next_maintenance_due == date(2025, 1, 25)          # the area's elevator plan
        assert e_org.next_maintenance_due == date(2025, 2, 10)           # the enterprise-wide plan
        assert e_new.next_maintenance_due == date(2025, 4, 30)           # from the plan's creation (Mar 31 + 1 month)
        assert e_fire.next_maintenance_due is None and e_area.next_inspection_due is None
        assert e_stopped.next_maintenance_due is None                    # stopped: nothing due
        # A record moves the date; deleting it moves it back.
        r = _add_record("maintenance", e_area, username, done_on=date(2025, 2, 1))
        db.session.refresh(e_area)
        assert (e_area.last_maintained_on, e_area.next_maintenance_due) == (date(2025, 2, 1), date(2025, 2, 16))
        assert r.plan_id is not None and r.org_id == org_id and r.area_id == first.id
        db.session.delete(r)
        db.session.flush()
        services.record_changed(e_area.id)
        db.session.commit()
        db.session.refresh(e_area)
        assert (e_area.last_maintained_on, e_area.next_maintenance_due) == (None, date(2025, 1, 25))
        # Switching the item plan off hands the item to the area plan.
        item_plan.active = False
        services.plan_changed(services.plan_targets(item_plan))
        db.session.commit()
        db.session.refresh(e_item)
        assert e_item.next_maintenance_due == date(2025, 1, 25)
        # Overdue items are flagged by the job only, and un-flagged by any recompute once current.
        e_area.overdue_flagged_on = date.today()
        db.session.commit()
        _add_record("maintenance", e_area, username, done_on=date.today())
        db.session.refresh(e_area)
        assert e_area.overdue_flagged_on is None
        assert e_area.next_maintenance_due == date.today() + timedelta(days=15)


def test_plan_page_save_and_delete_recompute_the_plans_equipment(app, login):
    tag = uniq("计划重算")
    with app.app_context():
        org_id, username, areas = make_enterprise(tag)
        e = make_equipment(areas["一期"], name=uniq("水泵"), equip_type="water_supply", installed_on=date(2025, 5, 31))
        pk = e.id
    c = login(username)
    name = uniq("供水设备每月维保")
    c.form("/careplans/add", plan_form(kind="maintenance", name=name, equip_type="water_supply"),
           get_url="/careplans/add")
    with app.app_context():
        assert db.session.get(Equipment, pk).next_maintenance_due == date(2025, 6, 30)
        plan_id = db.session.execute(select(CarePlan.id).where(CarePlan.name == name)).scalar_one()
    c.form(f"/careplans/edit/{plan_id}", plan_form(kind="maintenance", name=name, equip_type="water_supply",
                                                    cycle_value="2", cycle_unit="week"),
           get_url=f"/careplans/edit/{plan_id}")
    with app.app_context():
        assert db.session.get(Equipment, pk).next_maintenance_due == date(2025, 6, 14)
    # Moved to another type: the water pump has no plan any more.
    c.form(f"/careplans/edit/{plan_id}", plan_form(kind="maintenance", name=name, equip_type="power"),
           get_url=f"/careplans/edit/{plan_id}")
    with app.app_context():
        assert db.session.get(Equipment, pk).next_maintenance_due is None
    c.form(f"/careplans/edit/{plan_id}", plan_form(kind="maintenance", name=name, equip_type="water_supply"),
           get_url=f"/careplans/edit/{plan_id}")
    c.form(f"/careplans/delete/{plan_id}", {}, get_url=TOKEN_PAGE)
    with app.app_context():
        assert db.session.get(CarePlan, plan_id) is None
        assert db.session.get(Equipment, pk).next_maintenance_due is None


# --- record pages ------------------------------------------------------------------------------------

def test_inspection_record_prefilled_rules_and_due_moves(app, login):
    with app.app_context():
        e = make_equipment("和平小区", name=uniq("巡检电梯"), installed_on=date(2025, 1, 1))
        make_plan("inspection", 7, "day", equipment=e)
        pk = e.id
        assert e.next_inspection_due == date(2025, 1, 8)
    c = login("ent_a")
    url = f"/inspections/add?equipment={pk}"
    html = c.get(url).get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="equipment"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option[^>]*value="(\d+)"', select_html) == [str(pk)]       # only this equipment
    assert "selected" in select_html

    def post(**values):
        return c.form(url, record_form(pk, **values), get_url=url, follow_redirects=True).get_data(as_text=True)

    html = post(result="abnormal", findings="", person="赵巡检员")
    assert "巡检结果为异常时，必须填写发现问题及处理情况。" in html and "赵巡检员" in html
    assert "巡检日期不能晚于今天。" in post(done_on=(date.today() + timedelta(days=1)).isoformat())
    assert "巡检日期不能早于安装日期（2025-01-01）。" in post(done_on="2024-12-31")
    done = date.today() - timedelta(days=2)
    html = post(done_on=done.isoformat(), result="abnormal", findings="轿厢照明损坏，已报修")
    assert "已保存：" in html
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert (e.last_inspected_on, e.next_inspection_due) == (done, done + timedelta(days=7))
        record = db.session.execute(select(InspectionRecord).where(InspectionRecord.equipment_id == pk)).scalars().one()
        assert (record.org_id, record.area_id, record.region_code) == (e.org_id, e.area_id, e.region_code)
        rid = record.id
    html = c.get(f"/equipment/show/{pk}").get_data(as_text=True)
    assert "轿厢照明损坏，已报修" in html and "异常" in html
    html = c.get("/inspections/list/?_flt_0_result=abnormal&_flt_0_equipment_id=elevator").get_data(as_text=True)
    assert "轿厢照明损坏" in html
    html = c.get("/inspections/list/?_flt_0_result=normal").get_data(as_text=True)
    assert "轿厢照明损坏" not in html
    between = (f"/inspections/list/?_flt_0_done_on={(done - timedelta(days=1)).isoformat()}"
               f"&_flt_1_done_on={(done + timedelta(days=1)).isoformat()}&_flt_0_result=abnormal")
    assert "轿厢照明损坏" in c.get(between).get_data(as_text=True)
    after = f"/inspections/list/?_flt_0_done_on={done.isoformat()}&_flt_0_result=abnormal"
    assert "轿厢照明损坏" not in c.get(after).get_data(as_text=True)
    # Deleting the record moves the due date back.
    c.form(f"/inspections/delete/{rid}", {}, get_url=TOKEN_PAGE)
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert (e.last_inspected_on, e.next_inspection_due) == (None, date(2025, 1, 8))


def test_maintenance_record_with_photos_staff_and_company(app, login):
    from tests.property.helpers import make_staff

    with app.app_context():
        e = make_equipment("和平小区", name=uniq("维保电梯"), installed_on=date(2024, 1, 1),
                           maintenance_company="重庆电梯维保有限公司")
        make_plan("maintenance", 15, "day", equipment=e)
        worker = make_staff("ent_a", uniq("工程维修员"), post="engineering", areas=["和平小区"])
        pk, worker_id = e.id, worker.id
    c = login("ent_a")
    url = f"/maintenance/add?equipment={pk}"
    html = c.get(url).get_data(as_text=True)
    assert "重庆电梯维保有限公司" in html                   # 维保单位 prefilled from the equipment
    data = {"equipment": str(pk), "done_on": date.today().isoformat(), "company": "重庆电梯维保有限公司",
            "person": "钱维保", "staff": str(worker_id), "content": "更换曳引钢丝绳", "result": "done", "findings": ""}
    token = c.token(url)
    resp = c.http.post(url, data={**data, "csrf_token": token,
                                  "photos": [(io.BytesIO(b"PK\x03\x04xx"), "说明.docx")]},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "照片只能是 JPG、PNG 或 PDF 文件：说明.docx" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(MaintenanceRecord).where(MaintenanceRecord.equipment_id == pk)).first() is None
    resp = c.http.post(url, data={**data, "csrf_token": token,
                                  "photos": [(io.BytesIO(png_bytes()), "现场.png"), (io.BytesIO(PDF), "报告.pdf")]},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "已保存：" in resp.get_data(as_text=True)
    with app.app_context():
        r = db.session.execute(select(MaintenanceRecord).where(MaintenanceRecord.equipment_id == pk)).scalars().one()
        assert (r.staff_id, r.company, r.content, r.person) == (worker_id, "重庆电梯维保有限公司", "更换曳引钢丝绳", "钱维保")
        assert db.session.get(Equipment, pk).next_maintenance_due == date.today() + timedelta(days=15)
        rid = r.id
    html = c.get(f"/maintenance/show/{rid}").get_data(as_text=True)
    assert "现场.png" in html and "报告.pdf" in html and "更换曳引钢丝绳" in html
    links = re.findall(r'href="(/uploads/[0-9a-f]+)"', html)
    assert len(links) == 2
    assert c.get(links[0]).status_code == 200
    assert login("ent_b").get(links[0]).status_code == 404
    assert login("street1").get(links[0]).status_code == 200        # in the street's region, may read
    # Deleting the record takes its photos.
    c.form(f"/maintenance/delete/{rid}", {}, get_url=TOKEN_PAGE)
    with app.app_context():
        from app.core.uploads import Upload

        assert db.session.get(MaintenanceRecord, rid) is None
        assert db.session.execute(select(Upload).where(Upload.owner_type == "maintenance",
                                                       Upload.owner_id == rid)).first() is None
        assert db.session.get(Equipment, pk).next_maintenance_due == date(2024, 1, 16)
    assert c.get(links[0]).status_code == 404


# --- the daily job -----------------------------------------------------------------------------------

def test_job_flags_once_and_notifies_once_per_enterprise(app):
    from app.core.jobs import registered
    from app.property.care import jobs

    spec = registered()["property.care_due"]
    assert spec.trigger == "cron" and spec.trigger_args == {"hour": 6, "minute": 30}
    tag = uniq("提醒")
    with app.app_context():
        org_id, username, areas = make_enterprise(tag)
        first = areas["一期"]
        late = make_equipment(first, name=uniq("超期电梯"), installed_on=date.today() - timedelta(days=60))
        soon = make_equipment(first, name=uniq("本周电梯"), equip_type="fire",
                              installed_on=date.today() - timedelta(days=1))
        make_equipment(first, name=uniq("下月电梯"), equip_type="cctv", installed_on=date.today())
        make_plan("maintenance", 1, "month", org=username, equip_type="elevator")
        make_plan("inspection", 1, "day", org=username, equip_type="fire")
        make_plan("inspection", 1, "month", org=username, equip_type="cctv")
        late_id, soon_id = late.id, soon.id
        with force_locale("en"):                          # stored in Chinese whatever the language
            result = services.run_due_job()
        assert result["flagged"] >= 1
        notes = db.session.execute(select(Notice).where(Notice.org_id == org_id)).scalars().all()
        assert len(notes) == 1
        assert notes[0].title == "设施设备巡检维保提醒：已超期 1 项，本周到期 1 项"
        assert "新增超期 1 项" in notes[0].body and notes[0].link == "/care/due/"
        assert db.session.get(Equipment, late_id).overdue_flagged_on == date.today()
        assert db.session.get(Equipment, soon_id).overdue_flagged_on is None
        # Run again the same day: nothing new flagged, no second notice.
        assert jobs.care_due().endswith("flagged=0 notices=0")
        assert len(db.session.execute(select(Notice).where(Notice.org_id == org_id)).scalars().all()) == 1
        assert db.session.get(Equipment, late_id).overdue_flagged_on == date.today()
        # A record makes the item current: the flag goes, and the next overdue period flags again.
        _add_record("maintenance", db.session.get(Equipment, late_id), username, done_on=date.today())
        assert db.session.get(Equipment, late_id).overdue_flagged_on is None


# --- due this week -----------------------------------------------------------------------------------

def test_due_this_week_page_lists_per_area_with_links(app, login):
    tag = uniq("本周")
    with app.app_context():
        org_id, username, areas = make_enterprise(tag)
        first, second = areas["一期"], areas["二期"]
        late = make_equipment(first, name=uniq("超期水泵"), equip_type="water_supply",
                              installed_on=date.today() - timedelta(days=90), building="3栋")
        today_due = make_equipment(second, name=uniq("今日到期监控"), equip_type="cctv",
                                   installed_on=date.today() - timedelta(days=1))
        later = make_equipment(first, name=uniq("下月到期水泵"), equip_type="water_supply", installed_on=date.today())
        stopped = make_equipment(first, name=uniq("停用水泵"), equip_type="water_supply", status="stopped",
                                 installed_on=date.today() - timedelta(days=90))
        make_plan("maintenance", 1, "month", org=username, equip_type="water_supply")
        make_plan("inspection", 1, "day", org=username, equip_type="cctv")
        names = [x.name for x in (late, today_due, later, stopped)]
        ids = [x.id for x in (late, today_due)]
        first_name, second_name = first.name, second.name
        empty_org, empty_user, _areas = make_enterprise(uniq("无到期"))
    html = login(username).get("/care/due/").get_data(as_text=True)
    assert "本周到期巡检维保" in html
    assert names[0] in html and names[1] in html and names[2] not in html and names[3] not in html
    assert first_name in html and second_name in html and "3栋" in html and "已超期" in html
    assert f"/maintenance/add?equipment={ids[0]}" in html and f"/inspections/add?equipment={ids[1]}" in html
    assert f"/inspections/add?equipment={ids[0]}" not in html     # only the kinds that are due
    html = login(empty_user).get("/care/due/").get_data(as_text=True)
    assert "本周没有到期或已超期的巡检、维保。" in html
    assert names[0] not in login("ent_b").get("/care/due/").get_data(as_text=True)
    # Read-only government users see the list in their region, without record links.
    html = login("district1").get("/care/due/").get_data(as_text=True)
    assert names[0] in html and f"/maintenance/add?equipment={ids[0]}" not in html


# --- scope -------------------------------------------------------------------------------------------

def test_other_enterprise_gets_no_plans_or_records(app, login):
    with app.app_context():
        e = make_equipment("和平小区", name=uniq("范围电梯"), installed_on=date(2024, 1, 1))
        plan = make_plan("inspection", 1, "month", equipment=e, name=uniq("范围计划"))
        insp = _add_record("inspection", e, "ent_a", done_on=date(2025, 3, 1), findings="范围巡检记录内容")
        maint = _add_record("maintenance", e, "ent_a", done_on=date(2025, 3, 2), content="范围维保记录内容")
        ids = {"plan": plan.id, "insp": insp.id, "maint": maint.id, "eq": e.id, "plan_name": plan.name}
    b = login("ent_b")
    assert ids["plan_name"] not in b.get("/careplans/list/").get_data(as_text=True)
    assert "范围巡检记录内容" not in b.get("/inspections/list/").get_data(as_text=True)
    assert "范围维保记录内容" not in b.get("/maintenance/list/").get_data(as_text=True)
    for url in (f"/careplans/show/{ids['plan']}", f"/careplans/edit/{ids['plan']}",
                f"/inspections/show/{ids['insp']}", f"/inspections/edit/{ids['insp']}",
                f"/maintenance/show/{ids['maint']}", f"/maintenance/edit/{ids['maint']}",
                f"/inspections/add?equipment={ids['eq']}"):
        resp = b.get(url)
        if "/add" in url:
            assert resp.status_code == 200 and "范围电梯" not in resp.get_data(as_text=True)
        else:
            assert resp.status_code == 404, url
    for url in (f"/careplans/delete/{ids['plan']}", f"/inspections/delete/{ids['insp']}",
                f"/maintenance/delete/{ids['maint']}"):
        assert b.form(url, {}, get_url=TOKEN_PAGE).status_code == 404, url
    # A record for ent_a's equipment posted by ent_b is refused.
    resp = b.form("/inspections/add", record_form(ids["eq"]), get_url=TOKEN_PAGE, follow_redirects=True)
    for path in ("/inspections/export/", "/maintenance/export/"):
        export = b.get(path)
        assert export.status_code == 200 and "范围".encode() not in export.data
    with app.app_context():
        assert db.session.get(CarePlan, ids["plan"]) is not None
        assert db.session.get(InspectionRecord, ids["insp"]) is not None
        assert db.session.get(MaintenanceRecord, ids["maint"]) is not None
        records = db.session.execute(select(InspectionRecord.id).where(
            InspectionRecord.equipment_id == ids["eq"])).scalars().all()
        assert records == [ids["insp"]]
    assert resp.status_code == 200


def test_project_lead_records_only_in_led_areas(app, login):
    with app.app_context():
        other = other_area()
        theirs = make_equipment(other, name=uniq("非负责区域电梯"))
        mine = make_equipment("解放碑商住楼", name=uniq("负责区域电梯"))
        plan_other = make_plan("maintenance", 1, "month", area_name=ANOTHER_AREA, equip_type="power",
                               name=uniq("他区配电计划"))
        ids = (theirs.id, mine.id)
        names = (theirs.name, mine.name, plan_other.name)
    pm = login("pm_a")
    html = pm.get("/inspections/add").get_data(as_text=True)
    assert names[1] in html and names[0] not in html
    html = pm.form("/inspections/add", record_form(ids[1], person="孙巡检"), get_url="/inspections/add",
                   follow_redirects=True).get_data(as_text=True)
    assert "已保存：" in html
    pm.form("/inspections/add", record_form(ids[0], person="孙巡检"), get_url="/inspections/add")
    with app.app_context():
        assert db.session.execute(select(InspectionRecord).where(
            InspectionRecord.equipment_id == ids[0])).first() is None
        mine_record = db.session.execute(select(InspectionRecord).where(
            InspectionRecord.equipment_id == ids[1])).scalars().one()
        assert mine_record.person == "孙巡检"
    assert names[2] not in pm.get("/careplans/list/").get_data(as_text=True)
    assert pm.form(f"/inspections/delete/{mine_record.id}", {}, get_url=TOKEN_PAGE).status_code in (302, 403)
    with app.app_context():
        assert db.session.get(InspectionRecord, mine_record.id) is not None
    # Inspector names are personal data: masked for the lead and the analyst, full for the enterprise.
    assert "孙*检" in pm.get(f"/inspections/show/{mine_record.id}").get_data(as_text=True)
    assert "孙*检" in login("analyst").get(f"/inspections/show/{mine_record.id}").get_data(as_text=True)
    assert "孙巡检" in login("ent_a").get(f"/inspections/show/{mine_record.id}").get_data(as_text=True)


def test_street_reads_records_of_its_region_only(app, login):
    with app.app_context():
        inside = make_equipment("和平小区", name=uniq("街道内电梯"))
        outside = make_equipment("解放碑商住楼", name=uniq("街道外电梯"))
        a = _add_record("inspection", inside, "ent_a", done_on=date.today(), findings="街道内的巡检")
        b = _add_record("inspection", outside, "ent_a", done_on=date.today(), findings="街道外的巡检")
        ids = (a.id, b.id)
    st = login("street1")
    assert st.get(f"/inspections/show/{ids[0]}").status_code == 200
    assert st.get(f"/inspections/show/{ids[1]}").status_code == 404
    html = st.get("/inspections/list/").get_data(as_text=True)
    assert "街道内的巡检" in html and "街道外的巡检" not in html
    assert st.get("/inspections/add").status_code in (302, 403)
    assert st.form(f"/inspections/delete/{ids[0]}", {}, get_url=TOKEN_PAGE).status_code in (302, 403)
    with app.app_context():
        assert db.session.get(InspectionRecord, ids[0]) is not None
