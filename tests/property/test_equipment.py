"""设施设备管理 as users use it (seed 004; 承接查验 notes A/B): the add form and its rules,
the list with its columns and filters, the detail page, template and import (success, and
errors with the marked workbook), delete, and scope for every role (list, detail, edit,
delete, export, import naming another enterprise's area, guessed ids)."""
import io
import itertools
import json
import re
from datetime import date, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.extensions import db
from app.property.models import CarePlan, Equipment, InspectionRecord, MaintenanceRecord
from tests.complaints.helpers import area, make_area, user

_seq = itertools.count(300000)  # fixed: the same names every run

ANOTHER_AREA = "安居物业无负责人小区"      # an ent_a area that pm_a does not lead
TOKEN_PAGE = "/complaint/new"              # any page with a form gives the session's CSRF token


def uniq(prefix):
    return f"{prefix}{next(_seq)}"


def other_area():
    """An area of ent_a (the same street as 和平小区) that pm_a does not lead."""
    from app.property.models import PropertyArea

    found = db.session.execute(select(PropertyArea).where(PropertyArea.name == ANOTHER_AREA)).scalars().first()
    return found or make_area(ANOTHER_AREA)


def make_equipment(area_name, name=None, equip_type="elevator", installed_on=None, status="in_use",
                   building=None, unit=None, maintenance_company=None):
    """An equipment row made directly (the pages are tested through the client), with due dates."""
    from app.property.care import services as care_services

    a = area(area_name) if isinstance(area_name, str) else area_name
    e = Equipment(org_id=a.company_org_id, area_id=a.id, region_code=a.region_code, building=building, unit=unit,
                  equip_type=equip_type, name=name or uniq("设备"), installed_on=installed_on, status=status,
                  maintenance_company=maintenance_company)
    db.session.add(e)
    db.session.flush()
    care_services.recompute([Equipment.id == e.id])
    db.session.commit()
    return e


def make_plan(kind, cycle_value, cycle_unit="day", org="ent_a", area_name=None, equip_type=None, equipment=None,
              name=None, created_on=None, active=True):
    from app.property.care import services as care_services

    a = area(area_name) if area_name else None
    org_id = equipment.org_id if equipment is not None else (a.company_org_id if a else user(org).org_id)
    area_id = equipment.area_id if equipment is not None else (a.id if a else None)
    p = CarePlan(org_id=org_id, region_code=(a.region_code if a else "500103"), kind=kind,
                 name=name or uniq("计划"), area_id=area_id,
                 equip_type=None if equipment is not None else equip_type,
                 equipment_id=equipment.id if equipment is not None else None, cycle_value=cycle_value,
                 cycle_unit=cycle_unit, active=active)
    if created_on is not None:
        p.created_on = created_on
    db.session.add(p)
    db.session.flush()
    care_services.plan_changed(care_services.plan_targets(p))
    db.session.commit()
    return p


def equipment_named(name):
    return db.session.execute(select(Equipment).where(Equipment.name == name)).scalars().one_or_none()


def add_form(c, data, url="/equipment/add"):
    return c.form(url, data, get_url=url, follow_redirects=True)


def base_data(area_id, name, **extra):
    data = {"area": str(area_id), "building": "", "unit": "", "equip_type": "elevator", "code": "",
            "name": name, "model": "", "manufacturer": "", "installed_on": "", "maintenance_company": "",
            "status": "in_use", "remark": ""}
    data.update(extra)
    return data


def xlsx_bytes(rows, header=None):
    wb = Workbook()
    ws = wb.active
    ws.append(header or ["物业管理区域名称", "楼栋名称", "单元/梯", "设施设备类型", "设备编号", "设施设备名称", "型号",
                         "生产厂家", "安装日期", "维保单位", "状态"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload_import(c, data, url="/equipment/import/"):
    token = c.token(TOKEN_PAGE)
    return c.http.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), "设施设备.xlsx")},
                       content_type="multipart/form-data")


# --- add and edit ----------------------------------------------------------------------------------

def test_enterprise_adds_area_wide_equipment_and_sees_it_listed(app, login):
    name = uniq("小区大门道闸")
    with app.app_context():
        heping = area("和平小区")
        heping_id, org_id, region = heping.id, heping.company_org_id, heping.region_code
    c = login("ent_a")
    html = add_form(c, base_data(heping_id, name, equip_type="access_control", code="  MJ-01 ",
                                 installed_on="2023-05-01", maintenance_company="重庆门禁维保公司")).get_data(as_text=True)
    assert "已保存：" in html
    with app.app_context():
        e = equipment_named(name)
        assert e is not None
        assert (e.org_id, e.region_code, e.building, e.unit, e.code) == (org_id, region, None, None, "MJ-01")
        pk = e.id
    html = c.get(f"/equipment/list/?_flt_0_area={heping_id}&_flt_0_name={name}").get_data(as_text=True)
    headers = re.findall(r"<th[^>]*>\s*(?:<a[^>]*>)?\s*([^<]+?)\s*(?:<i[^>]*></i>\s*)?(?:</a>)?\s*</th>", html)
    expected = ["物业管理区域", "位置", "设施设备类型", "设施设备名称", "型号", "维保单位", "状态", "下次巡检", "下次维保"]
    assert [h for h in headers if h in expected] == expected, headers
    assert name in html and "整个物业区域" in html and "门禁" in html and "在用" in html
    html = c.get(f"/equipment/show/{pk}").get_data(as_text=True)
    assert "设施设备详情" in html and "整个物业区域" in html and "重庆门禁维保公司" in html
    assert "未设置适用的计划" in html and "暂无记录。" in html
    assert f"/inspections/add?equipment={pk}" in html and f"/maintenance/add?equipment={pk}" in html


def test_building_and_unit_locations(app, login):
    with app.app_context():
        heping_id = area("和平小区").id
    c = login("ent_a")
    whole_building = uniq("1栋配电柜")
    add_form(c, base_data(heping_id, whole_building, equip_type="power", building=" 1栋 "))
    in_unit = uniq("1栋2单元电梯")
    add_form(c, base_data(heping_id, in_unit, building="1栋", unit="2单元"))
    with app.app_context():
        assert (equipment_named(whole_building).building, equipment_named(whole_building).unit) == ("1栋", None)
        assert (equipment_named(in_unit).building, equipment_named(in_unit).unit) == ("1栋", "2单元")
        pk = equipment_named(in_unit).id
    assert "1栋 / 2单元" in c.get(f"/equipment/show/{pk}").get_data(as_text=True)
    html = c.get(f"/equipment/list/?_flt_0_name={in_unit}").get_data(as_text=True)
    assert "1栋 / 2单元" in html and "整个物业区域" not in html
    html = c.get(f"/equipment/list/?_flt_0_name={whole_building}").get_data(as_text=True)
    assert re.search(r"<td>\s*1栋\s*</td>", html)


def test_add_refusals_in_chinese_keep_the_form(app, login):
    with app.app_context():
        heping_id = area("和平小区").id
    c = login("ent_a")
    name = uniq("只有单元的设备")
    resp = add_form(c, base_data(heping_id, name, unit="3单元", model="型号保留-XK3"))
    html = resp.get_data(as_text=True)
    assert "填写了单元/梯时必须填写楼栋名称：属于整个物业区域的设施设备两项都不填，属于整个楼栋的只填楼栋名称。" in html
    assert "型号保留-XK3" in html                       # what was typed is still there
    future = (date.today() + timedelta(days=3)).isoformat()
    html = add_form(c, base_data(heping_id, name, installed_on=future)).get_data(as_text=True)
    assert "安装日期不能晚于今天。" in html
    html = add_form(c, base_data(heping_id, name, equip_type="")).get_data(as_text=True)
    assert "设施设备类型：必须填写" in html
    with app.app_context():
        assert equipment_named(name) is None


def test_area_dropdown_and_server_refuse_other_enterprises_areas(app, login, api):
    with app.app_context():
        qixing_id = area("七星花园").id          # ent_b's
        heping_id = area("和平小区").id
    c = login("ent_a")
    html = c.get("/equipment/add").get_data(as_text=True)
    assert "和平小区" in html and "解放碑商住楼" in html and "七星花园" not in html
    name = uniq("越权设备")
    add_form(c, base_data(qixing_id, name))
    with app.app_context():
        assert equipment_named(name) is None
    http, headers = api("ent_a")
    resp = http.post("/api/v1/equipment/", json={"area_id": qixing_id, "equip_type": "elevator", "name": name},
                     headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "物业管理区域不存在或不在您的管理范围内。"
    with app.app_context():
        assert equipment_named(name) is None
    # ent_b sees its own area, not ent_a's
    html = login("ent_b").get("/equipment/add").get_data(as_text=True)
    assert "七星花园" in html and "和平小区" not in html
    assert heping_id


def test_project_lead_adds_and_edits_only_in_the_areas_they_lead(app, login):
    with app.app_context():
        other = other_area()
        other_id, heping_id = other.id, area("和平小区").id
        theirs = make_equipment(other, name=uniq("他人区域水泵"), equip_type="water_supply")
        theirs_id = theirs.id
    pm = login("pm_a")
    html = pm.get("/equipment/add").get_data(as_text=True)
    assert "和平小区" in html and "解放碑商住楼" in html and ANOTHER_AREA not in html
    mine = uniq("负责人添加的监控")
    add_form(pm, base_data(heping_id, mine, equip_type="cctv"))
    refused = uniq("负责人越权设备")
    add_form(pm, base_data(other_id, refused))
    with app.app_context():
        assert equipment_named(mine) is not None and equipment_named(refused) is None
        mine_id = equipment_named(mine).id
    # Edit in a led area: fine. Another area's equipment: invisible.
    resp = pm.form(f"/equipment/edit/{mine_id}", base_data(heping_id, mine, equip_type="cctv", model="DS-2CD"),
                   get_url=f"/equipment/edit/{mine_id}", follow_redirects=True)
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.get(Equipment, mine_id).model == "DS-2CD"
    assert pm.get(f"/equipment/show/{theirs_id}").status_code == 404
    assert pm.get(f"/equipment/edit/{theirs_id}").status_code == 404
    assert ANOTHER_AREA not in pm.get("/equipment/list/").get_data(as_text=True)
    # No delete permission for a project lead.
    resp = pm.form(f"/equipment/delete/{mine_id}", {}, get_url=TOKEN_PAGE)
    with app.app_context():
        assert db.session.get(Equipment, mine_id) is not None
    assert resp.status_code in (302, 403)


def test_edit_moves_org_with_the_area_and_refuses_moving_history(app, login):
    with app.app_context():
        heping, jfb = area("和平小区"), area("解放碑商住楼")
        e = make_equipment(heping, name=uniq("可搬迁设备"), installed_on=date(2024, 1, 1))
        pk, jfb_id, heping_id, name = e.id, jfb.id, heping.id, e.name
    c = login("ent_a")
    c.form(f"/equipment/edit/{pk}", base_data(jfb_id, name, installed_on="2024-01-01"),
           get_url=f"/equipment/edit/{pk}")
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert e.area_id == jfb_id and e.region_code == area("解放碑商住楼").region_code
        db.session.add(InspectionRecord(org_id=e.org_id, area_id=e.area_id, region_code=e.region_code,
                                        equipment_id=e.id, done_on=date(2024, 3, 1), person="李师傅",
                                        result="normal"))
        db.session.commit()
    html = c.form(f"/equipment/edit/{pk}", base_data(heping_id, name, installed_on="2024-01-01"),
                  get_url=f"/equipment/edit/{pk}", follow_redirects=True).get_data(as_text=True)
    assert "该设施设备已有巡检或维保记录，不能更换物业管理区域。" in html
    html = c.form(f"/equipment/edit/{pk}", base_data(jfb_id, name, installed_on="2024-05-01"),
                  get_url=f"/equipment/edit/{pk}", follow_redirects=True).get_data(as_text=True)
    assert "安装日期不能晚于最早的巡检或维保记录日期（2024-03-01）。" in html
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert e.area_id == jfb_id and e.installed_on == date(2024, 1, 1)


def test_delete_refused_with_history_and_takes_item_plans_without(app, login):
    with app.app_context():
        with_history = make_equipment("和平小区", name=uniq("有记录的电梯"))
        db.session.add(MaintenanceRecord(org_id=with_history.org_id, area_id=with_history.area_id,
                                         region_code=with_history.region_code, equipment_id=with_history.id,
                                         done_on=date.today(), person="王师傅", result="done"))
        bare = make_equipment("和平小区", name=uniq("无记录的电梯"))
        plan = make_plan("maintenance", 15, equipment=bare)
        ids = (with_history.id, bare.id, plan.id)
        db.session.commit()
    c = login("ent_a")
    html = c.form(f"/equipment/delete/{ids[0]}", {}, get_url=TOKEN_PAGE,
                  follow_redirects=True).get_data(as_text=True)
    assert "该设施设备已有巡检或维保记录，不能删除；如已不再使用，请将状态改为“报废”。" in html
    c.form(f"/equipment/delete/{ids[1]}", {}, get_url=TOKEN_PAGE)
    with app.app_context():
        assert db.session.get(Equipment, ids[0]) is not None
        assert db.session.get(Equipment, ids[1]) is None
        assert db.session.get(CarePlan, ids[2]) is None


# --- list filters ------------------------------------------------------------------------------------

def test_filters_by_area_type_status_and_due_state(app, login):
    tag = uniq("筛选")
    with app.app_context():
        heping, jfb = area("和平小区"), area("解放碑商住楼")
        overdue = make_equipment(heping, name=f"{tag}超期电梯", installed_on=date.today() - timedelta(days=400))
        make_plan("maintenance", 1, "month", equipment=overdue)
        this_week = make_equipment(jfb, name=f"{tag}本周消防", equip_type="fire",
                                   installed_on=date.today() - timedelta(days=1))
        make_plan("inspection", 1, "day", equipment=this_week)        # due today
        make_equipment(heping, name=f"{tag}停用水泵", equip_type="water_supply", status="stopped")
        heping_id, jfb_id = heping.id, jfb.id
    c = login("ent_a")
    q = f"&_flt_0_name={tag}"

    def names(url):
        html = c.get(url + q).get_data(as_text=True)
        return {n for n in (f"{tag}超期电梯", f"{tag}本周消防", f"{tag}停用水泵") if n in html}

    assert names(f"/equipment/list/?_flt_0_area={heping_id}") == {f"{tag}超期电梯", f"{tag}停用水泵"}
    assert names(f"/equipment/list/?_flt_0_area={jfb_id}") == {f"{tag}本周消防"}
    assert names("/equipment/list/?_flt_0_equip_type=fire") == {f"{tag}本周消防"}
    assert names("/equipment/list/?_flt_0_status=stopped") == {f"{tag}停用水泵"}
    assert names("/equipment/list/?_flt_0_next_maintenance_due=overdue") == {f"{tag}超期电梯"}
    assert names("/equipment/list/?_flt_0_next_inspection_due=week") == {f"{tag}本周消防"}
    html = c.get(f"/equipment/list/?_flt_0_area={heping_id}{q}").get_data(as_text=True)
    assert re.search(r"\d{4}-\d{2}-\d{2}（已超期）", html)
    # The area filter offers only the areas in scope (the advanced filters' form travels as JSON).
    page = login("ent_b").get("/equipment/advanced/").get_data(as_text=True)
    assert json.dumps("七星花园")[1:-1] in page and json.dumps("和平小区")[1:-1] not in page


def test_export_keeps_filters_and_adds_due_dates(app, login):
    tag = uniq("导出")
    with app.app_context():
        e = make_equipment("和平小区", name=f"{tag}电梯", installed_on=date(2025, 1, 31), building="5栋")
        make_plan("maintenance", 1, "month", equipment=e)
        make_equipment("和平小区", name=f"另一台{tag}")
    resp = login("ent_a").get(f"/equipment/export/?_flt_0_name={tag}电梯")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data), read_only=True).active.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:6] == ["物业管理区域名称", "楼栋名称", "单元/梯", "设施设备类型", "设备编号", "设施设备名称"]
    assert "下次维保" in header and "下次巡检" in header
    assert len(rows) == 2
    row = dict(zip(header, rows[1]))
    assert (row["物业管理区域名称"], row["楼栋名称"], row["设施设备类型"], row["状态"]) == ("和平小区", "5栋", "电梯", "在用")
    due = row["下次维保"]
    assert (due.date() if hasattr(due, "date") else due) == date(2025, 2, 28)


# --- scope -----------------------------------------------------------------------------------------

def test_other_enterprise_gets_nothing(app, login, api):
    with app.app_context():
        e = make_equipment("和平小区", name=uniq("安居专属电梯"), installed_on=date(2024, 6, 1))
        pk, name, heping_id = e.id, e.name, e.area_id
    b = login("ent_b")
    assert name not in b.get("/equipment/list/").get_data(as_text=True)
    for url in (f"/equipment/show/{pk}", f"/equipment/edit/{pk}"):
        assert b.get(url).status_code == 404, url
    resp = b.form(f"/equipment/edit/{pk}", base_data(heping_id, "被改名"), get_url=TOKEN_PAGE)
    assert resp.status_code == 404
    resp = b.form(f"/equipment/delete/{pk}", {}, get_url=TOKEN_PAGE)
    assert resp.status_code == 404
    export = b.get("/equipment/export/")
    assert export.status_code == 200 and name.encode() not in export.data
    rows = list(load_workbook(io.BytesIO(export.data), read_only=True).active.iter_rows(values_only=True))
    assert all("和平小区" not in str(r) for r in rows[1:])
    with app.app_context():
        e = db.session.get(Equipment, pk)
        assert e.name == name and e.area_id == heping_id


def test_government_and_analyst_read_only_within_their_region(app, login):
    with app.app_context():
        in_street = make_equipment("和平小区", name=uniq("七星岗街道内设备"))
        outside = make_equipment("解放碑商住楼", name=uniq("解放碑街道设备"))
        a, b = (in_street.id, in_street.name), (outside.id, outside.name)
    st = login("street1")
    html = st.get("/equipment/list/").get_data(as_text=True)
    assert a[1] in html and b[1] not in html
    assert st.get(f"/equipment/show/{a[0]}").status_code == 200
    assert st.get(f"/equipment/show/{b[0]}").status_code == 404
    for username in ("street1", "analyst", "district1", "gov_admin"):
        c = login(username)
        assert c.get(f"/equipment/show/{a[0]}").status_code == 200, username
        assert c.get("/equipment/add").status_code in (302, 403), username
        assert c.get(f"/equipment/edit/{a[0]}").status_code in (302, 403), username
        assert c.get("/equipment/import/").status_code in (302, 403), username
        resp = c.form(f"/equipment/delete/{a[0]}", {}, get_url=TOKEN_PAGE)
        assert resp.status_code in (302, 403), username
    with app.app_context():
        assert db.session.get(Equipment, a[0]) is not None
    an = login("analyst").get("/equipment/list/?_flt_0_name=" + b[1]).get_data(as_text=True)
    assert b[1] in an


# --- template and import -----------------------------------------------------------------------------

def test_template_has_the_seed_columns(app, login):
    resp = login("ent_a").get("/equipment/template/")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [str(c.value or "").replace("*", "").strip() for c in ws[1]]
    assert header == ["物业管理区域名称", "楼栋名称", "单元/梯", "设施设备类型", "设备编号", "设施设备名称", "型号",
                      "生产厂家", "安装日期", "维保单位", "状态"]


def test_import_success_with_locations_dates_and_due_dates(app, login):
    tag = uniq("导入")
    with app.app_context():
        make_plan("maintenance", 15, "day", area_name="解放碑商住楼", equip_type="elevator")
    data = xlsx_bytes([
        ["和平小区 ", None, None, "门禁", "MJ-9", f"{tag}大门门禁", "X1", "海康", "2024/5/1", "门禁维保公司", "在用"],
        ["解放碑商住楼", "A座", None, "电梯", None, f"{tag}A座电梯", None, None, "2024年6月3日", None, None],
        ["解放碑商住楼", "A座", "1单元", "elevator", None, f"{tag}A座1单元电梯", None, None, date(2024, 7, 1), None,
         "停用"],
    ])
    c = login("ent_a")
    html = upload_import(c, data).get_data(as_text=True)
    assert "3" in html and 'id="anju-import-ok"' in html, html[-2000:]
    with app.app_context():
        gate = equipment_named(f"{tag}大门门禁")
        lift = equipment_named(f"{tag}A座电梯")
        stopped = equipment_named(f"{tag}A座1单元电梯")
        assert (gate.area.name, gate.building, gate.equip_type, gate.installed_on) == (
            "和平小区", None, "access_control", date(2024, 5, 1))
        assert gate.org_id == user("ent_a").org_id and gate.region_code == area("和平小区").region_code
        assert (lift.building, lift.unit, lift.installed_on, lift.status) == ("A座", None, date(2024, 6, 3), "in_use")
        assert lift.next_maintenance_due is not None               # the area's elevator plan applies
        assert (stopped.unit, stopped.status, stopped.next_maintenance_due) == ("1单元", "stopped", None)


def _errors(html):
    return re.findall(r"<td>(\d+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", html)


def test_import_cell_errors_imports_nothing(app, login):
    tag = uniq("格式错误导入")
    data = xlsx_bytes([
        ["和平小区", None, None, "电梯", None, f"{tag}正确行", None, None, None, None, None],
        ["和平小区", None, None, "不存在的类型", None, f"{tag}类型错", None, None, None, None, None],
        ["和平小区", None, None, "电梯", None, None, None, None, None, None, None],
    ])
    html = upload_import(login("ent_a"), data).get_data(as_text=True)
    rows = {int(r) for r, _reason in _errors(html)}
    assert rows == {3, 4}, _errors(html)
    with app.app_context():
        assert db.session.execute(select(Equipment).where(Equipment.name.startswith(tag))).first() is None


def test_import_with_errors_imports_nothing_and_marks_the_workbook(app, login):
    tag = uniq("错误导入")
    future = (date.today() + timedelta(days=10)).strftime("%Y-%m-%d")
    data = xlsx_bytes([
        ["和平小区", None, None, "电梯", None, f"{tag}正确行", None, None, None, None, None],
        ["和平小区", None, "2单元", "电梯", None, f"{tag}只有单元", None, None, None, None, None],
        ["七星花园", None, None, "电梯", None, f"{tag}别家小区", None, None, None, None, None],
        ["和平小区", None, None, "电梯", None, f"{tag}未来安装", None, None, future, None, None],
    ])
    c = login("ent_a")
    html = upload_import(c, data).get_data(as_text=True)
    errors = _errors(html)
    assert ("3", "填写了单元/梯时必须填写楼栋名称：属于整个物业区域的设施设备两项都不填，属于整个楼栋的只填楼栋名称。") in errors
    assert ("4", "物业管理区域不存在或不在您的管理范围内：七星花园") in errors
    assert ("5", "安装日期不能晚于今天。") in errors
    assert len(errors) == 3
    with app.app_context():
        assert db.session.execute(select(Equipment).where(Equipment.name.startswith(tag))).first() is None
    token = re.search(r"/equipment/import-errors/([0-9a-f]+)", html)
    assert token, html[-3000:]
    resp = c.get(f"/equipment/import-errors/{token.group(1)}")
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [cell.value for cell in ws[1]]
    col = next(i for i, h in enumerate(header) if h and "错误" in str(h))
    reasons = {r: ws.cell(row=r, column=col + 1).value for r in range(2, ws.max_row + 1)}
    assert not reasons[2]
    assert "七星花园" in reasons[4] and "单元/梯" in reasons[3] and "安装日期" in reasons[5]
    # another user cannot fetch this user's error workbook
    assert login("ent_b").get(f"/equipment/import-errors/{token.group(1)}").status_code == 404


def test_import_naming_another_enterprises_area_refused_row_by_row(app, login):
    tag = uniq("跨企业导入")
    with app.app_context():
        other_area()
    data = xlsx_bytes([
        ["七星花园", None, None, "电梯", None, f"{tag}自家", None, None, None, None, None],
        ["和平小区", None, None, "电梯", None, f"{tag}安居的", None, None, None, None, None],
        ["解放碑商住楼", "1栋", None, "消防设施", None, f"{tag}安居的2", None, None, None, None, None],
    ])
    html = upload_import(login("ent_b"), data).get_data(as_text=True)
    assert _errors(html) == [("3", "物业管理区域不存在或不在您的管理范围内：和平小区"),
                             ("4", "物业管理区域不存在或不在您的管理范围内：解放碑商住楼")]
    # A project lead imports into the areas they lead only.
    with app.app_context():
        from app.property.care import imports as care_imports

        rows = [{"_row": 2, "area": "和平小区", "equip_type": "elevator", "name": "x"},
                {"_row": 3, "area": ANOTHER_AREA, "equip_type": "elevator", "name": "y"}]
        errors = care_imports.validate_import_rows(rows, user("pm_a"))
        assert errors == [(3, "area", f"物业管理区域不存在或不在您的管理范围内：{ANOTHER_AREA}")]
    pm = login("pm_a")
    resp = upload_import(pm, xlsx_bytes([["和平小区", None, None, "电梯", None, f"{tag}负责人", None, None, None,
                                          None, None],
                                         [ANOTHER_AREA, None, None, "电梯", None, f"{tag}越界", None, None, None,
                                          None, None]]))
    assert resp.status_code == 200
    assert f"物业管理区域不存在或不在您的管理范围内：{ANOTHER_AREA}" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Equipment).where(Equipment.name.startswith(tag))).first() is None
    resp = upload_import(pm, xlsx_bytes([["和平小区", None, None, "电梯", None, f"{tag}负责人", None, None, None,
                                          None, None]]))
    assert resp.status_code == 200 and 'id="anju-import-ok"' in resp.get_data(as_text=True)
    with app.app_context():
        row = db.session.execute(select(Equipment).where(Equipment.name == f"{tag}负责人")).scalar_one()
        assert row.area.name == "和平小区"


def test_import_refuses_equipment_already_there_or_twice_in_the_file(app, login):
    """An item is its area plus its equipment number, or, without a number, its place, type
    and name: repeated in the file or already in the database, refused with its value."""
    tag = uniq("重复导入")
    with app.app_context():
        kept = make_equipment("和平小区", name=f"{tag}1号梯", building="1栋")
        kept.code = f"{tag}-DT1"
        db.session.commit()
    data = xlsx_bytes([
        ["和平小区", "2栋", None, "电梯", f"{tag}-DT1", f"{tag}新梯", None, None, None, None, None],   # 2: number used
        ["和平小区", "1栋", None, "电梯", None, f"{tag}1号梯", None, None, None, None, None],           # 3: same item
        ["和平小区", "3栋", None, "电梯", f"{tag}-DT9", f"{tag}9号梯", None, None, None, None, None],   # 4: fine
        ["和平小区", "3栋", None, "电梯", f"{tag}-DT9", f"{tag}9号梯乙", None, None, None, None, None],  # 5: as row 4
        ["和平小区", "4栋", None, "电梯", None, f"{tag}客梯", None, None, None, None, None],            # 6: fine
        ["和平小区", "4栋", None, "电梯", None, f"{tag}客梯", None, None, None, None, None],            # 7: as row 6
        ["解放碑商住楼", "1栋", None, "电梯", None, f"{tag}1号梯", None, None, None, None, None],       # 8: other area
    ])
    html = upload_import(login("ent_a"), data).get_data(as_text=True)
    table = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert table == [
        ("2", "设备编号", f"{tag}-DT1", f"设备编号“{tag}-DT1”在“和平小区”中已被使用。"),
        ("3", "设施设备名称", f"{tag}1号梯",
         "“和平小区”在该位置已有同类型、同名称的设备；如确为另一台设备，请填写设备编号加以区分。"),
        ("5", "设备编号", f"{tag}-DT9", f"第4行已在“和平小区”中使用设备编号“{tag}-DT9”。"),
        ("7", "设施设备名称", f"{tag}客梯", "第6行已有该位置同类型、同名称的设备；如确为另一台设备，请填写设备编号加以区分。"),
    ], table
    with app.app_context():
        assert db.session.execute(select(Equipment.name).where(Equipment.name.startswith(tag))).scalars().all() == [
            f"{tag}1号梯"]


def test_the_same_equipment_import_posted_twice_at_once_imports_once(app, login):
    from tests.property.helpers import post_at_once

    tag = uniq("双击设备")
    data = xlsx_bytes([["和平小区", "1栋", None, "电梯", f"{tag}-{n}", f"{tag}{n}号梯", None, None, None, None, None]
                       for n in (1, 2)])
    first, second = post_at_once(app, login("ent_a"), login("ent_a"), lambda c: upload_import(c, data),
                                 "INSERT INTO ANJU_EQUIPMENT")
    assert 'id="anju-import-ok"' in first, first[-1500:]
    assert 'id="anju-import-ok"' not in second
    table = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", second)
    assert table == [(str(n + 1), "设备编号", f"{tag}-{n}", f"设备编号“{tag}-{n}”在“和平小区”中已被使用。")
                     for n in (1, 2)], second[-2000:]
    with app.app_context():
        assert len(db.session.execute(select(Equipment.id).where(Equipment.name.startswith(tag))).all()) == 2
