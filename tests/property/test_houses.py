"""房屋信息补充 and 房屋信息 (seed 004 开发建设单位 3) as users meet them, with real .xlsx files:
the template, every refusal of a workbook listed with the error workbook and nothing kept,
the draft → 保存并提交 → 受理 → 审核通过 life that writes the houses once, a room registered
meanwhile refusing the approval, 退回 → re-import → 重新提交, the REST resources, and who may
see which house (other developers and companies, another district, helpdesk, the public,
anonymous; masking of the owner for roles without the PII permission)."""
import base64
import io
import itertools
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.core.workflow import Application
from app.extensions import db
from app.property.models import House, HouseStaged, PropertyArea
from tests.complaints.helpers import make_area, new_id, user
from tests.conftest import DEMO_PASSWORD

HEADER = ["楼栋", "单元", "房号", "楼层", "建筑面积", "产权人姓名", "证件号码"]
_seq = itertools.count(1)
DEV = "重庆渝开置业有限公司"


def uniq(prefix):
    import time

    return f"{prefix}{int(time.time() * 1000) % 10 ** 8}{next(_seq)}"


def workbook(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def houses(n, building="1栋", unit="1单元"):
    return [[building, unit, f"{100 + i}", 1 + i // 4, "88.50", f"业主{chr(0x4e00 + i)}", new_id()] for i in range(n)]


def new_dev_area(app, developer=DEV, company="重庆安居物业服务有限公司", district="500103", street="500103001"):
    """A fresh area built by ``developer`` (dev_a's enterprise by default): (id, name)."""
    from app.system.models import Organization

    with app.app_context():
        a = make_area(uniq("房屋测试小区"), district=district, street=street, company=company)
        a.developer_org_id = db.session.execute(select(Organization.id).where(Organization.name == developer)).scalar()
        db.session.commit()
        return a.id, a.name


def upload(c, area_id, data, deposit="2024-06-30", name="houses.xlsx"):
    return c.form("/houses/import/upload", {"area_id": str(area_id), "deposit_date": deposit,
                                           "file": (io.BytesIO(data), name)},
                  get_url="/houses/import/", content_type="multipart/form-data")


def application_of(app, area_id):
    with app.app_context():
        a = db.session.execute(select(Application).where(Application.app_type == "house_import",
                                                         Application.subject_id == area_id)
                               .order_by(Application.id.desc())).scalars().first()
        return (a.id, a.status, a.number) if a else None


def count_houses(app, area_id):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(House).where(House.area_id == area_id)).scalar()


def decide(reviewer, pk, action, reason=None):
    data = {"action": action}
    if reason:
        data["reason"] = reason
    return reviewer.form(f"/applications/decide/{pk}", data, get_url=f"/applications/show/{pk}",
                         follow_redirects=True)


def flashes(html):
    import html as htmllib

    return [htmllib.unescape(x.strip()) for x in
            re.findall(r'class="alert[^"]*"[^>]*>(?:\s*<button[^>]*>[^<]*</button>)?\s*([^<]+)', html)]


def district2_user(app):
    """A district administrator of 渝北区 (500112)."""
    from flask import current_app

    from app.system.models import Organization

    with app.app_context():
        if user("district2_h") is None:
            sm = current_app.appbuilder.sm
            org = db.session.execute(select(Organization).where(Organization.name == "渝北区住房和城乡建设委员会")
                                     ).scalars().one()
            sm.add_user("district2_h", "渝北区管理员", "", "district2_h@test.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=org.id, mobile="13600990001", must_change_password=False)
    return "district2_h"


def imported_and_approved(app, login, n=6):
    """An area of dev_a with ``n`` houses imported, submitted and approved: (area id, rows)."""
    area_id, _name = new_dev_area(app)
    rows = houses(n)
    dev = login("dev_a")
    assert upload(dev, area_id, workbook(rows)).status_code == 302
    pk, status, _number = application_of(app, area_id)
    dev.form(f"/houses/import/submit/{pk}", {}, get_url=f"/houses/import/show/{pk}")
    reviewer = login("reviewer")
    decide(reviewer, pk, "accept")
    decide(reviewer, pk, "approve")
    assert application_of(app, area_id)[1] == "approved"
    return area_id, rows


# --- the template ------------------------------------------------------------------------------

def test_template_has_the_seed_columns_and_instructions(app, login):
    resp = login("dev_a").get("/houses/import/template")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in wb.worksheets[0][1]] == ["*楼栋", "单元", "*房号", "*楼层", "*建筑面积", "*产权人姓名",
                                                       "*证件号码"]
    assert "填写说明" in wb.sheetnames
    page = login("dev_a").get("/houses/import/").get_data(as_text=True)
    assert "房屋信息补充" in page and "交存时点" in page and "下载模板" in page
    for username in ("analyst", "helpdesk", "public1", "committee_a"):
        assert login(username).get("/houses/import/template").status_code in (302, 403), username


# --- refusals: every problem at once, nothing kept -------------------------------------------

def test_a_workbook_with_problems_is_refused_whole_with_the_error_workbook(app, login):
    area_id, area_name = new_dev_area(app)
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        db.session.add(House(area_id=area_id, building="2栋", unit="1单元", room="808", floor=8, floor_area=90,
                             owner_name="王已登", owner_id_number=new_id(), region_code=area.region_code))
        db.session.commit()
    same = new_id()
    rows = houses(3) + [
        ["1栋", "1单元", None, 3, "80", "李房号", new_id()],            # row 5: no room
        ["1栋", "1单元", "501", 5, "-3", "李面积", new_id()],           # row 6: area not positive
        ["1栋", "1单元", "502", 5.5, "80", "李楼层", new_id()],         # row 7: floor not whole
        ["1栋", "1单元", "503", 5, "80", "李证件", "500103198808080000"],  # row 8: bad check digit
        ["1栋", "1单元", "100", 1, "80", "李重复", new_id()],           # row 9: repeats row 2's room
        ["2栋", "1单元", "808", 8, "90", "李已有", new_id()],           # row 10: registered already
        ["3栋", "", "1", 1, "60", "赵同号", same],
        ["3栋", "", "2", 1, "60", "钱同号", same],                     # row 12: same ID, other name
    ]
    data = workbook(rows)
    dev = login("dev_a")
    resp = upload(dev, area_id, data)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "未导入任何数据：发现7处问题，请修正后重新上传。" in page
    table = page[page.index('id="anju-import-errors"'):]
    assert "2栋-1单元-808 已在" + area_name + "登记" in table
    assert "第11行的同一证件号码对应的产权人姓名不同" in table
    assert "应为大于 0 的面积（平方米），最多两位小数" in table
    for row in ("5", "6", "7", "8", "9", "10", "12"):
        assert f"<td>{row}</td>" in table, row
    assert 'value="2024-06-30"' in page                       # the form keeps what was typed
    assert application_of(app, area_id) is None and count_houses(app, area_id) == 1
    token = re.search(r'/houses/import/errors/([0-9a-f]+)', page).group(1)
    book = dev.get(f"/houses/import/errors/{token}")
    assert book.status_code == 200
    ws = load_workbook(io.BytesIO(book.data)).worksheets[0]
    header = [c.value for c in ws[1]]
    reasons = [ws.cell(row=r, column=len(header)).value for r in range(2, ws.max_row + 1)]
    assert header[-1] == "错误原因" and sum(1 for r in reasons if r) == 7
    # Someone else cannot fetch that workbook.
    assert login("ent_a").get(f"/houses/import/errors/{token}").status_code == 404


def test_one_bad_row_keeps_nothing_and_another_enterprises_area_is_refused(app, login):
    area_id, _name = new_dev_area(app)
    rows = houses(20)
    rows[13][4] = "0"
    dev = login("dev_a")
    assert upload(dev, area_id, workbook(rows)).status_code == 200
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(HouseStaged)
                                  .where(HouseStaged.area_id == area_id)).scalar() == 0
    assert application_of(app, area_id) is None
    # ent_b neither built nor serves the area.
    resp = upload(login("ent_b"), area_id, workbook(houses(2)))
    assert "请从列表中选择本单位的物业管理区域" in resp.get_data(as_text=True)
    resp = upload(dev, area_id, workbook(houses(2)), deposit="")
    assert "交存时点：必须填写" in resp.get_data(as_text=True)


# --- the life of an import ---------------------------------------------------------------------

def test_import_submit_approve_writes_the_houses_once(app, login):
    area_id, area_name = new_dev_area(app)
    rows = houses(12) + houses(4, building="2栋", unit="")
    dev = login("dev_a")
    resp = upload(dev, area_id, workbook(rows))
    assert resp.status_code == 302
    pk, status, number = application_of(app, area_id)
    assert status == "draft" and number.startswith("FW")
    page = dev.get(f"/houses/import/show/{pk}").get_data(as_text=True)
    assert "共 16 条" in page and "保存并提交" in page and "打印申请表" in page
    assert count_houses(app, area_id) == 0                     # waiting in the staging table
    with app.app_context():
        a = db.session.get(Application, pk)
        assert "members" not in (a.payload or {}) and a.payload["house_count"] == 16 and len(str(a.payload)) < 300
        assert a.subject_type == "property_area" and a.subject_id == area_id
        assert a.region_code == db.session.get(PropertyArea, area_id).region_code
    resp = dev.form(f"/houses/import/submit/{pk}", {}, get_url=f"/houses/import/show/{pk}", follow_redirects=True)
    assert "已提交审核" in resp.get_data(as_text=True)
    printed = dev.get(f"/houses/import/print/{pk}").get_data(as_text=True)
    assert number in printed and area_name in printed and "交存时点" in printed
    assert dev.get(f"/houses/import/pdf/{pk}").status_code == 200
    reviewer = login("reviewer")
    shown = reviewer.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "房屋信息补充" in shown and f"/houses/import/show/{pk}" in shown
    assert reviewer.get(f"/houses/import/show/{pk}").status_code == 200
    decide(reviewer, pk, "accept")
    decide(reviewer, pk, "approve")
    assert application_of(app, area_id)[1] == "approved"
    assert count_houses(app, area_id) == 16
    with app.app_context():
        h = db.session.execute(select(House).where(House.area_id == area_id, House.room == "100")).scalars().first()
        assert h.owner_id_number == rows[0][6] and str(h.deposit_date) == "2024-06-30" and h.application_id == pk
        assert db.session.execute(select(func.count()).select_from(HouseStaged)
                                  .where(HouseStaged.application_id == pk)).scalar() == 0
    # A second approval is impossible; the houses stay written once.
    decide(reviewer, pk, "approve")
    assert count_houses(app, area_id) == 16
    # The same rooms again are refused, row by row.
    resp = upload(dev, area_id, workbook(rows[:2]))
    assert "已在" + area_name + "登记" in resp.get_data(as_text=True)


def test_a_room_registered_meanwhile_refuses_the_approval(app, login):
    area_id, _name = new_dev_area(app)
    rows = houses(5)
    dev = login("dev_a")
    upload(dev, area_id, workbook(rows))
    pk = application_of(app, area_id)[0]
    dev.form(f"/houses/import/submit/{pk}", {}, get_url=f"/houses/import/show/{pk}")
    reviewer = login("reviewer")
    decide(reviewer, pk, "accept")
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        db.session.add(House(area_id=area_id, building="1栋", unit="1单元", room="102", floor=1, floor_area=80,
                             owner_name="抢先登", owner_id_number=new_id(), region_code=area.region_code))
        db.session.commit()
    page = decide(reviewer, pk, "approve").get_data(as_text=True)
    assert "以下房屋在此期间已登记：1栋-1单元-102。请退回申请人核对后重新导入。" in page
    assert application_of(app, area_id)[1] == "accepted" and count_houses(app, area_id) == 1
    # 退回 → the filer imports again (without the room) and 重新提交 → approved.
    decide(reviewer, pk, "return", "102室已登记，请删除后重新导入")
    assert application_of(app, area_id)[1] == "returned"
    resp = upload(dev, area_id, workbook([r for r in rows if r[2] != "102"]))
    assert resp.status_code == 302 and application_of(app, area_id)[0] == pk      # the same application
    dev.form(f"/houses/import/submit/{pk}", {}, get_url=f"/houses/import/show/{pk}")
    assert application_of(app, area_id)[1] == "submitted"
    decide(reviewer, pk, "accept")
    decide(reviewer, pk, "approve")
    assert count_houses(app, area_id) == 5


def test_one_open_import_per_area(app, login):
    area_id, _name = new_dev_area(app)
    upload(login("dev_a"), area_id, workbook(houses(2)))
    resp = upload(login("ent_a"), area_id, workbook(houses(2, building="9栋")))   # the area's company
    assert "该物业管理区域已有一份房屋信息补充" in resp.get_data(as_text=True)


# --- REST ------------------------------------------------------------------------------------------

def test_rest_import_base64_and_multipart_submit_and_refusals(app, api, login):
    area_id, _name = new_dev_area(app)
    http, headers = api("dev_a")
    bad = houses(2)
    bad[1][6] = "123"
    resp = http.post("/api/v1/house_import/import", headers=headers, json={
        "area_id": area_id, "deposit_date": "2024-01-01", "workbook": base64.b64encode(workbook(bad)).decode()})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["message"] == "未导入任何数据：发现1处问题，请修正后重新上传。"
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "证件号码"
    resp = http.post("/api/v1/house_import/import", headers=headers, json={
        "area_id": area_id, "deposit_date": "2024-01-01", "workbook": base64.b64encode(workbook(houses(3))).decode()})
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["imported"] == 3 and resp.get_json()["status"] == "draft"
    resp = http.post("/api/v1/house_import/import", headers=headers, data={
        "area_id": str(area_id), "deposit_date": "2024-01-02", "file": (io.BytesIO(workbook(houses(4))), "h.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.get_json()["id"] == pk and resp.get_json()["imported"] == 4
    resp = http.post(f"/api/v1/house_import/{pk}/submit", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    assert http.get(f"/api/v1/house_import/{pk}", headers=headers).status_code == 200
    other, oh = api("ent_b")
    assert other.get(f"/api/v1/house_import/{pk}", headers=oh).status_code == 404
    assert other.post(f"/api/v1/house_import/{pk}/submit", headers=oh).status_code == 404


# --- the registry: scope and masking -----------------------------------------------------------

def test_house_registry_scope_and_masking(app, login, api):
    area_id, rows = imported_and_approved(app, login, n=3)
    name, number = rows[0][5], rows[0][6]
    masked_name = name[0] + "*" + name[-1]
    with app.app_context():
        pk = db.session.execute(select(House.id).where(House.area_id == area_id, House.room == "100")).scalar()
    url = f"/houses/list/?_flt_1_area={area_id}"
    # The area's company and the reviewer (PII permission) read full values.
    for username in ("ent_a", "reviewer"):
        page = login(username).get(url).get_data(as_text=True)
        assert number in page and name in page, username
    # The developer and district staff (no PII permission) see the owner masked, in list, show and export.
    page = login("dev_a").get(url).get_data(as_text=True)
    assert number not in page and name not in page and masked_name in page
    d1 = login("district1")
    page = d1.get(url).get_data(as_text=True)
    assert number not in page and name not in page and number[-4:] in page and masked_name in page
    assert number not in d1.get(f"/houses/show/{pk}").get_data(as_text=True)
    export = d1.get(f"/houses/export/?_flt_1_area={area_id}")
    assert export.status_code == 200
    cells = [str(c.value) for row in load_workbook(io.BytesIO(export.data)).worksheets[0].iter_rows() for c in row]
    assert number not in cells and masked_name in cells
    http, headers = api("district1")
    body = http.get(f"/api/v1/house/{pk}", headers=headers).get_json()
    assert body["result"]["owner_id_number"] != number and body["result"]["owner_id_number"].endswith(number[-4:])
    # Outsiders: another company, another district: empty lists, 404 on the row, API 404.
    for username in ("ent_b", district2_user(app)):
        c = login(username)
        assert number not in c.get(url).get_data(as_text=True), username
        assert c.get(f"/houses/show/{pk}").status_code == 404, username
        assert number not in c.get(f"/houses/export/?_flt_1_area={area_id}").get_data(as_text=False).decode(
            "latin-1"), username
        h, hd = api(username)
        assert h.get(f"/api/v1/house/{pk}", headers=hd).status_code == 404, username
    # pm_a does not lead this area.
    assert number not in login("pm_a").get(url).get_data(as_text=True)
    # No access at all.
    for username in ("helpdesk", "public1"):
        c = login(username)
        assert c.get(url).status_code in (302, 403), username
        assert c.get(f"/houses/show/{pk}").status_code in (302, 403, 404), username
        h, hd = api(username)
        assert h.get(f"/api/v1/house/{pk}", headers=hd).status_code in (401, 403), username
    from tests.conftest import Client

    anon = Client(app)
    assert anon.get(url).status_code in (302, 401, 403)
    assert anon.get(f"/api/v1/house/{pk}").status_code == 401


def test_house_import_pages_outside_scope(app, login):
    area_id, _name = new_dev_area(app)
    dev = login("dev_a")
    upload(dev, area_id, workbook(houses(2)))
    pk = application_of(app, area_id)[0]
    dev.form(f"/houses/import/submit/{pk}", {}, get_url=f"/houses/import/show/{pk}")
    for username in ("ent_b", district2_user(app)):
        c = login(username)
        for path in (f"/houses/import/show/{pk}", f"/houses/import/print/{pk}", f"/houses/import/pdf/{pk}"):
            assert c.get(path).status_code in (403, 404), (username, path)
    for username in ("helpdesk", "public1", "committee_a"):
        c = login(username)
        assert c.get(f"/houses/import/show/{pk}").status_code in (302, 403, 404), username
    # Another filer cannot submit or terminate it.
    ent_b = login("ent_b")
    assert ent_b.form(f"/houses/import/terminate/{pk}", {}, get_url="/houses/import/").status_code in (403, 404)
    assert application_of(app, area_id)[1] == "submitted"


# --- a large file: the background task (issue 17) ----------------------------------------------

def test_a_large_house_file_is_imported_in_the_background_with_its_phases(app, login):
    """Over import.background_kb the workbook is checked and staged by a background task with
    its progress; the task page links to the application it filled. Problems: nothing staged,
    the error workbook linked from the task; a wrong area or date is said at once, no task."""
    from app.core.tasks import Task
    from tests.core.test_tasks import param, phases_seen, task_id_of

    area_id, _name = new_dev_area(app)
    dev = login("dev_a")
    with phases_seen() as seen, param(app, "import.background_kb", 1):
        pk = task_id_of(upload(dev, area_id, workbook(houses(40)), name="大文件.xlsx"))
        bad = houses(10)
        bad[4][4] = "-1"
        bad_pk = task_id_of(upload(dev, area_id, workbook(bad), name="有错.xlsx"))
        at_once = upload(dev, area_id, workbook(houses(3)), deposit="2024-02-30")
        elsewhere = upload(login("ent_b"), area_id, workbook(houses(3)))
    assert "reading" in seen and "checking" in seen and "writing" in seen
    with app.app_context():
        task = db.session.get(Task, pk)
        assert task.state == "done", task.message
        assert task.row_count == 40 and "40" in task.message
        application_pk = application_of(app, area_id)[0]
        assert db.session.execute(select(func.count()).select_from(HouseStaged)
                                  .where(HouseStaged.application_id == application_pk)).scalar() == 40
    page = dev.get(f"/tasks/show/{pk}").get_data(as_text=True)
    assert f'href="/houses/import/show/{application_pk}"' in page and "大文件.xlsx" in page
    assert 'href="/houses/import/"' in page
    # The file with a problem: nothing staged from it (the 40 rows of the first stay), its
    # error workbook from the task page, for its owner only.
    with app.app_context():
        failed = db.session.get(Task, bad_pk)
        assert failed.state == "failed" and "未导入" in failed.message
        assert db.session.execute(select(func.count()).select_from(HouseStaged)
                                  .where(HouseStaged.application_id == application_pk)).scalar() == 40
    page = dev.get(f"/tasks/show/{bad_pk}").get_data(as_text=True)
    token = re.search(r'href="/houses/import/errors/([0-9a-f]+)"', page).group(1)
    assert "应为大于 0 的面积" in page
    assert dev.get(f"/houses/import/errors/{token}").status_code == 200
    assert login("ent_a").get(f"/tasks/show/{bad_pk}").status_code == 404
    # A wrong date or another enterprise's area: said on the page at once, no task.
    assert at_once.status_code == 200 and "交存时点" in at_once.get_data(as_text=True)
    assert elsewhere.status_code == 200 and "请从列表中选择本单位的物业管理区域" in elsewhere.get_data(as_text=True)
