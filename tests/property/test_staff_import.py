"""Staff template and import (seed 004 企业人员管理 添加方式二) with real .xlsx files: a messy
HR-system workbook (numbers, trailing spaces, full-width digits, lower-case x, dates as text and
as Excel dates, several area separators) imports; every problem is listed and nothing is
written; the error workbook carries the reasons; the importing enterprise is always the
actor's, so ent_b's file naming ent_a's area is refused row by row."""
import io
import re
import time
from datetime import date, datetime, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.property.models import LeadAssignment, PropertyArea, Staff
from tests.property.test_staff import add_staff, new_area, new_id, new_mobile, uniq

HEADER = ["姓名", "手机号码", "身份证号", "岗位", "在管物业管理区域", "入职日期", "备注"]
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def workbook(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, data, name="staff.xlsx"):
    return client.form("/staff/import/", {"file": (io.BytesIO(data), name)}, get_url="/staff/import/",
                       content_type="multipart/form-data")


def id_with_x():
    while True:
        number = new_id()
        if number.endswith("X"):
            return number


def count_named(app, prefix):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Staff)
                                  .where(Staff.name.startswith(prefix))).scalar()


def test_template_has_the_seed_columns(app, login):
    resp = login("ent_a").get("/staff/template/")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["*姓名", "*手机号码", "*身份证号", "*岗位", "在管物业管理区域", "入职日期", "备注"]
    lists = " ".join(str(dv.formula1) for dv in ws.data_validations.dataValidation)
    assert "项目负责人" in lists and "保洁" in lists
    assert login("analyst").get("/staff/template/").status_code in (302, 403)


def test_a_messy_hr_workbook_imports(app, login):
    area1, name1 = new_area(app)
    area2, name2 = new_area(app)
    lead_area, lead_name = new_area(app)
    tag = uniq("导入甲")
    ids = [new_id() for _ in range(4)] + [id_with_x()]
    mobiles = [new_mobile() for _ in range(5)]
    rows = [
        # trailing spaces, mobile typed as a number, text date with slashes, two areas with 、
        [f" {tag}一 ", int(mobiles[0]), ids[0] + "  ", "保洁", f"{name1}、{name2}", "2023/5/1", "夜班 "],
        # full-width digits, the post by its code, ， separator, date with 年月日
        [f"{tag}二", mobiles[1].translate(FULL), ids[1].translate(FULL), "cleaning", f"{name1}，{name2}",
         "2023年5月1日", None],
        # a real Excel date, line break and ; between areas
        [f"{tag}三", mobiles[2], ids[2], "秩序维护", f"{name2}\n{name1};", datetime(2023, 5, 1), None],
        # a project lead of a free area; ISO date text
        [f"{tag}四", mobiles[3], ids[3], "项目负责人", lead_name, "2023-05-01", None],
        # lower-case x, an 8-digit number as date, no area
        [f"{tag}五", mobiles[4], ids[4].lower(), "工程维修", "", 20230501, None],
    ]
    html = upload(login("ent_a"), workbook(rows)).get_data(as_text=True)
    assert "成功导入5条数据。" in html, re.findall(r"<td>([^<]*)</td>", html)[:12]
    with app.app_context():
        found = {s.name: s for s in db.session.execute(select(Staff).where(Staff.name.startswith(tag))).scalars()}
        assert sorted(found) == sorted(f"{tag}{n}" for n in "一二三四五")
        assert [found[f"{tag}{n}"].id_number for n in "一二三四五"] == ids
        assert [found[f"{tag}{n}"].mobile for n in "一二三四五"] == mobiles
        assert {s.hired_on for s in found.values()} == {date(2023, 5, 1)}
        assert {s.current_key for s in found.values()} == set(ids) and {s.status for s in found.values()} == {"active"}
        assert sorted(a.name for a in found[f"{tag}一"].areas) == sorted([name1, name2])
        assert sorted(a.name for a in found[f"{tag}三"].areas) == sorted([name1, name2])
        assert found[f"{tag}五"].areas == [] and found[f"{tag}一"].remark == "夜班"
        assert found[f"{tag}四"].post == "project_lead" and found[f"{tag}二"].post == "cleaning"
        assert {s.org_id for s in found.values()} == {found[f"{tag}一"].org.id} and found[f"{tag}一"].org.name == \
            "重庆安居物业服务有限公司"
        area = db.session.get(PropertyArea, lead_area)
        assert area.lead_staff_id == found[f"{tag}四"].id
        assert db.session.execute(select(LeadAssignment).where(LeadAssignment.current_area_id == lead_area)
                                  ).scalars().one().staff_id == found[f"{tag}四"].id


def test_an_id_number_that_excel_stored_as_a_number_is_refused(app, login):
    """18 digits in a number cell have lost their last digits (Excel keeps 15): refused, not guessed."""
    tag = uniq("数值")
    number = new_id()
    while number.endswith("X"):   # an ID ending in X can't be typed as a number at all
        number = new_id()
    html = upload(login("ent_a"), workbook([[tag, new_mobile(), int(number), "保洁", None, None, None]])
                  ).get_data(as_text=True)
    assert "身份证号码在Excel中被存为数值，末尾数字已丢失，请将单元格设置为文本格式后重新录入" in html
    assert count_named(app, tag) == 0


def test_every_problem_is_listed_nothing_is_written_and_the_error_workbook_says_why(app, login):
    free, free_name = new_area(app)
    taken, taken_name = new_area(app)
    add_staff(app, name=uniq("现任"), post="project_lead", area_ids=[taken])
    twin_number = new_id()
    add_staff(app, name="欧阳建国", id_number=twin_number)
    tag = uniq("错误")
    dup = new_id()
    rows = [
        [f"{tag}1", new_mobile(), new_id(), "保洁", "不存在的小区", None, None],                     # 2: unknown area
        [f"{tag}2", new_mobile(), new_id(), "保洁", f"{free_name}、七星花园", None, None],           # 3: ent_b's area
        [f"{tag}3", new_mobile(), dup, "保洁", None, None, None],                                  # 4
        [f"{tag}4", new_mobile(), dup, "保洁", None, None, None],                                  # 5: same ID in file
        [f"{tag}5", new_mobile(), twin_number, "保洁", None, None, None],                          # 6: in service
        [f"{tag}6", new_mobile(), new_id(), "项目负责人", taken_name, None, None],                  # 7: area has a lead
        [f"{tag}7", new_mobile(), new_id(), "项目负责人", free_name, None, None],                   # 8: fine alone
        [f"{tag}8", new_mobile(), new_id(), "项目负责人", free_name, None, None],                   # 9: second lead
        [f"{tag}9", new_mobile(), new_id(), "保洁", None, (date.today() + timedelta(days=3)).isoformat(), None],
        [f"{tag}10", "12345", new_id(), "厨师", None, None, None],                                 # 11: mobile, post
        [f"{tag}11", new_mobile(), new_id(), "保洁", None, None, None],                            # 12: fine
    ]
    ent_a = login("ent_a")
    html = upload(ent_a, workbook(rows)).get_data(as_text=True)
    assert "未导入任何数据" in html and 'id="anju-error-workbook"' in html
    assert count_named(app, tag) == 0
    # The engine's cell checks come first (a file whose cells are wrong is not checked further).
    assert "请输入以13至19开头的11位中国大陆手机号码" in html and "厨师" in html
    assert "重复：第4行已有相同的“身份证号”" in html
    # Corrected cells: now the database checks speak.
    rows[9] = [f"{tag}10", new_mobile(), new_id(), "保洁", None, None, None]
    rows[3][2] = new_id()
    html = upload(ent_a, workbook(rows)).get_data(as_text=True)
    assert count_named(app, tag) == 0
    expected = {
        2: "物业管理区域“不存在的小区”不存在或不属于本企业。",
        3: "物业管理区域“七星花园”不存在或不属于本企业。",
        6: "本企业已有使用该身份证号的在职人员（欧*国）。同一人只能有一条在职记录，请编辑该记录。",
        7: f"物业管理区域“{taken_name}”已有项目负责人，如需更换请在该物业管理区域使用“更换项目负责人”。",
        9: f"第 8 行已为“{free_name}”指定项目负责人，一个物业管理区域只能有一名项目负责人。",
        10: "不能晚于今天",
    }
    table = re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    listed = {(int(r), reason) for r, _col, _val, reason in table if r}
    for row_no, reason in expected.items():
        assert (row_no, reason) in listed, (row_no, reason, table)
    assert not any(r in ("4", "5", "8", "11", "12") for r, *_ in table)
    token = re.search(r'/staff/import-errors/([0-9a-f]+)"', html).group(1)
    resp = ent_a.get(f"/staff/import-errors/{token}")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:7] == HEADER and header[7] == "错误原因"
    reasons = {r: ws.cell(row=r, column=8).value or "" for r in range(2, 13)}
    for row_no, reason in expected.items():
        assert reason in reasons[row_no], (row_no, reasons[row_no])
    assert reasons[8] == "" and reasons[12] == ""
    assert ws.cell(row=2, column=1).value == f"{tag}1"
    # Another user cannot fetch the error workbook.
    assert login("ent_b").get(f"/staff/import-errors/{token}").status_code == 404


def test_ent_b_cannot_import_into_ent_a_areas(app, login):
    tag = uniq("乙方")
    rows = [[f"{tag}1", new_mobile(), new_id(), "保洁", "和平小区", None, None],
            [f"{tag}2", new_mobile(), new_id(), "项目负责人", "解放碑商住楼", None, None],
            [f"{tag}3", new_mobile(), new_id(), "保洁", "七星花园", None, None]]
    html = upload(login("ent_b"), workbook(rows)).get_data(as_text=True)
    assert "物业管理区域“和平小区”不存在或不属于本企业。" in html
    assert "物业管理区域“解放碑商住楼”不存在或不属于本企业。" in html
    assert count_named(app, tag) == 0
    # Without those rows, ent_b's own area imports, and the rows are ent_b's.
    html = upload(login("ent_b"), workbook(rows[2:])).get_data(as_text=True)
    assert "成功导入1条数据。" in html
    with app.app_context():
        s = db.session.execute(select(Staff).where(Staff.name == f"{tag}3")).scalars().one()
        assert s.org.name == "重庆和居物业管理有限公司" and [a.name for a in s.areas] == ["七星花园"]


def test_an_account_without_an_enterprise_cannot_import(app, login):
    tag = uniq("无企业")
    html = upload(login("admin"), workbook([[tag, new_mobile(), new_id(), "保洁", None, None, None]])
                  ).get_data(as_text=True)
    assert "只有企业账号可以管理从业人员。" in html and count_named(app, tag) == 0
    for username in ("pm_a", "district1", "analyst"):
        assert login(username).get("/staff/import/").status_code in (302, 403), username


def test_a_large_file_goes_in_with_core_inserts(app, login):
    """3,000 rows with areas, through the page: inserted set-based, not row by row."""
    from sqlalchemy import event

    area, area_name = new_area(app)
    tag = uniq("批量")
    n = 3000
    rows = [[f"{tag}-{i}", new_mobile(), new_id("110101"), "保洁", area_name, "2023-05-01", None] for i in range(n)]
    data = workbook(rows)
    statements = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO ANJU_STAFF"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        html = upload(login("ent_a"), data).get_data(as_text=True)
        seconds = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert f"成功导入{n}条数据。" in html
    assert count_named(app, tag) == n
    # Batches, not rows: SQLite takes each batch as one executemany; psycopg2 pages of 1,000 rows.
    assert len(statements) <= 2 * -(-n // 1000), len(statements)
    with app.app_context():
        linked = db.session.execute(select(func.count()).select_from(Staff).join(Staff.areas)
                                    .where(Staff.name.startswith(tag), PropertyArea.id == area)).scalar()
        assert linked == n
    print(f"staff import: {n} rows in {seconds:.2f}s = {n / seconds:,.0f} rows/s")


def test_a_failure_while_writing_leaves_nothing(app, login):
    """The rows are in the database before the leads are set. Here the database itself refuses
    the lead: another request made someone the area's current lead at the same moment (its
    current assignment is stored, the area row does not show it yet), so the unique current
    assignment per area is violated at write time; the staff rows already written roll back."""
    from app.core.audit import AuditLog
    from app.property.models import staff_area

    area, area_name = new_area(app)
    other = add_staff(app, post="project_lead")
    with app.app_context():
        a = db.session.get(PropertyArea, area)
        db.session.add(LeadAssignment(area_id=area, current_area_id=area, org_id=a.company_org_id,
                                      region_code=a.region_code, staff_id=other))
        db.session.commit()
        audit_before = db.session.execute(select(func.max(AuditLog.id))).scalar()
    tag = uniq("回滚")
    rows = [[f"{tag}1", new_mobile(), new_id(), "保洁", area_name, None, None],
            [f"{tag}2", new_mobile(), new_id(), "项目负责人", area_name, None, None]]
    html = upload(login("ent_a"), workbook(rows)).get_data(as_text=True)
    assert "未导入任何数据：" in html and "成功导入" not in html
    assert count_named(app, tag) == 0
    with app.app_context():
        a = db.session.get(PropertyArea, area)
        assert (a.lead_staff_id, a.project_lead_id) == (None, None)
        assert db.session.execute(select(LeadAssignment.staff_id, LeadAssignment.current_area_id)
                                  .where(LeadAssignment.area_id == area)).all() == [(other, area)]
        assert db.session.execute(select(func.count()).select_from(staff_area)
                                  .where(staff_area.c.area_id == area)).scalar() == 0
        assert db.session.execute(select(func.count(AuditLog.id)).where(
            AuditLog.id > audit_before, AuditLog.action == "import")).scalar() == 0


def test_the_same_import_posted_twice_at_once_imports_once(app, login):
    """A double click: both requests read the file, one writes; the other waits for it and then
    reports each row as already in service, in Chinese, with no database error text."""
    from tests.property.helpers import post_at_once

    tag = uniq("双击")
    numbers = [new_id() for _ in range(3)]
    data = workbook([[f"{tag}{i}", new_mobile(), number, "保洁", None, None, None]
                     for i, number in enumerate(numbers)])
    first, second = post_at_once(app, login("ent_a"), login("ent_a"), lambda c: upload(c, data),
                                 "INSERT INTO ANJU_STAFF")
    assert "成功导入3条数据。" in first, first[-1500:]
    assert "成功导入" not in second
    assert "未导入任何数据：发现3处问题，请修正后重新上传。" in second, second[-1500:]
    table = re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", second)
    assert table == [(str(row), "身份证号", numbers[row - 2],
                      f"本企业已有使用该身份证号的在职人员（{tag[0]}*{row - 2}）。同一人只能有一条在职记录，请编辑该记录。")
                     for row in (2, 3, 4)]
    for page in (first, second):
        assert "IntegrityError" not in page and "INSERT" not in page and "UNIQUE" not in page.upper()
    assert count_named(app, tag) == 3


def test_an_id_number_written_through_a_double_is_refused_on_the_page(app, login):
    """A JavaScript or Go tool writes the ID as the double's shortest text (…091800): it passes
    the check digit, yet it is not the person's number, so it is refused as lost digits."""
    from tests.workbooks import numeric_cells

    tag = uniq("浮点")
    data = numeric_cells([HEADER, [tag, new_mobile(), "PLACEHOLDER", "保洁", None, None, None]],
                         {"C2": "500154197909091800"})
    html = upload(login("ent_a"), data).get_data(as_text=True)
    table = re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert table == [("2", "身份证号", "500154197909091800",
                      "身份证号码在Excel中被存为数值，末尾数字已丢失，请将单元格设置为文本格式后重新录入")]
    assert count_named(app, tag) == 0


def test_a_workbook_as_offices_make_it_imports(app, login):
    """Instructions on the first sheet, the data on the second with a leading 序号 column (and
    numbers running on below the records), an ID typed with a leading apostrophe."""
    area_id, area_name = new_area(app)
    tag = uniq("办公室")
    ids = [new_id(), new_id()]
    wb = Workbook()
    notes = wb.active
    notes.title = "填写说明"
    notes.append(["填写说明：每行一人，身份证号请设为文本格式"])
    notes.append(["姓名", "请填写真实姓名"])
    data = wb.create_sheet("人员名单")
    data.append(["序号", *HEADER])
    data.append([1, f"{tag}一", new_mobile(), "'" + ids[0], "保洁", area_name, "2023-05-01", None])
    data.append([2, f"{tag}二", new_mobile(), ids[1], "秩序维护", None, None, None])
    for n in range(3, 20):
        data.append([n])
    buf = io.BytesIO()
    wb.save(buf)
    html = upload(login("ent_a"), buf.getvalue()).get_data(as_text=True)
    assert "成功导入2条数据。" in html, re.findall(r"<td>([^<]*)</td>", html)[:12]
    with app.app_context():
        found = {s.name: s.id_number for s in db.session.execute(
            select(Staff).where(Staff.name.startswith(tag))).scalars()}
        assert found == {f"{tag}一": ids[0], f"{tag}二": ids[1]}


def test_database_problems_show_their_values_in_row_order(app, login):
    """Cell problems and database problems together, sorted by row, each with its value; the
    heading gives the true count."""
    taken = new_id()
    add_staff(app, name=uniq("在职"), id_number=taken)
    tag = uniq("排序")
    rows = [
        [f"{tag}1", new_mobile(), new_id(), "保洁", "不存在的小区甲", None, None],          # 2: database
        [f"{tag}2", "12345", new_id(), "保洁", None, None, None],                         # 3: cell
        [f"{tag}3", new_mobile(), taken, "保洁", None, None, None],                       # 4: database
    ]
    html = upload(login("ent_a"), workbook(rows)).get_data(as_text=True)
    table = re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert [(r, c, v) for r, c, v, _reason in table] == [
        ("2", "在管物业管理区域", "不存在的小区甲"), ("3", "手机号码", "12345"), ("4", "身份证号", taken)]
    assert '<h4 style="margin-top:16px" id="anju-import-count">共发现 3 个问题</h4>' in html
    assert count_named(app, tag) == 0
