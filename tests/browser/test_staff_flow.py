"""An enterprise admin loads the workforce from an HR system's export in a real browser:
500 staff in a messy workbook (mobiles typed as numbers, trailing spaces, full-width
digits, dates as text and as Excel dates), four bad rows reported with the workbook
returned marked, the rows corrected in the returned workbook and imported again; then
the project lead of an area changed in one action."""
import datetime
import itertools

import openpyxl
from sqlalchemy import func, select

from app.core.validators import id_check_char
from app.extensions import db
from tests.browser.conftest import sign_in

AREA_A = "浏览器导入小区甲"
AREA_B = "浏览器导入小区乙"
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _id(n):
    first17 = f"500103{1970 + n % 30}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _rows(ids):
    posts = ["保洁", "秩序维护", "工程维修", "客服", "其他"]
    dates = itertools.cycle([datetime.datetime(2021, 3, 1), "2022/5/6", "2023-07-08", "2020年1月2日", None])
    rows = []
    for i, number in enumerate(ids):
        row = {"姓名": f"员工{i:03d} " if i % 7 == 0 else f"员工{i:03d}",
               "手机号码": f"139{i:08d}".translate(FULL) if i % 5 == 0 else f"139{i:08d}",
               "身份证号": number + ("  " if i % 4 == 0 else ""),
               # An 18-digit ID typed as a number has lost its last digits in Excel (the import
               # says so, tests/property/test_staff_import.py); mobiles typed as numbers survive.
               **({"手机号码": int(f"139{i:08d}")} if i % 5 == 1 else {}),
               "岗位": posts[i % len(posts)],
               "在管物业管理区域": AREA_A if i % 2 else f"{AREA_A}、{AREA_B}",
               "入职日期": next(dates)}
        rows.append(row)
    # Two project leads: the first leads 甲 (and becomes its lead), the second none yet.
    rows[0].update({"岗位": "项目负责人", "在管物业管理区域": AREA_A})
    rows[1].update({"岗位": "项目负责人", "在管物业管理区域": ""})
    return rows


def _fill(template, rows, out):
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").lstrip("*").strip() for c in ws[1]]
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            col = next(i for i, h in enumerate(headers) if h.startswith(key)) + 1
            ws.cell(row=r, column=col, value=value)
    wb.save(out)


def test_enterprise_imports_500_staff_fixes_rows_and_changes_a_lead(app, live_server, page, tmp_path):
    from app.property.models import PropertyArea, Staff
    from tests.complaints.helpers import make_area

    with app.app_context():
        for name in (AREA_A, AREA_B):
            if not db.session.execute(select(PropertyArea.id).where(PropertyArea.name == name)).first():
                make_area(name)
        area_a = db.session.execute(select(PropertyArea).where(PropertyArea.name == AREA_A)).scalar_one()
        area_pk = area_a.id
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    sign_in(page, live_server, "ent_a")
    page.goto(live_server + "/staff/list/")
    assert "从业人员管理" in page.inner_text("body")
    page.click("#anju-import")
    with page.expect_download() as dl:
        page.click("#anju-template")
    template = tmp_path / "template.xlsx"
    dl.value.save_as(template)

    ids = [_id(n) for n in range(9000, 9500)]
    rows = _rows(ids)
    # Four rows an HR export gets wrong.
    rows[10]["身份证号"] = ids[10][:-1] + ("0" if ids[10][-1] != "0" else "1")   # check digit
    rows[20]["在管物业管理区域"] = "不存在的小区"                                 # unknown area
    rows[30]["岗位"] = "保安队长"                                                # not in the dictionary
    rows[40]["身份证号"] = ids[41]                                               # duplicate inside the file
    messy = tmp_path / "hr-export.xlsx"
    _fill(template, rows, messy)
    page.set_input_files("input[name=file]", str(messy))
    page.click("#anju-import-form button[type=submit]")
    errors = page.inner_text("#anju-import-errors")
    assert "身份证" in errors and "不存在的小区" in errors and "保安队长" in errors
    for excel_row in (12, 22, 32):
        assert str(excel_row) in errors
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Staff)
                                  .where(Staff.id_number.in_(ids))).scalar() == 0   # nothing written
    # The returned workbook marks the rows; the user corrects them in it and uploads it again.
    with page.expect_download() as dl:
        page.click("#anju-error-workbook")
    marked = tmp_path / "marked.xlsx"
    dl.value.save_as(marked)
    wb = openpyxl.load_workbook(marked)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").lstrip("*").strip() for c in ws[1]]
    err_col = len(headers) - 1
    assert headers[err_col] == "错误原因"
    marked_rows = [r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=err_col + 1).value]
    assert {12, 22, 32} <= set(marked_rows)

    def col(name):
        return next(i for i, h in enumerate(headers) if h.startswith(name)) + 1

    ws.cell(row=12, column=col("身份证号"), value=ids[10])
    ws.cell(row=22, column=col("在管物业管理区域"), value=AREA_B)
    ws.cell(row=32, column=col("岗位"), value="秩序维护")
    ws.cell(row=42, column=col("身份证号"), value=ids[40])
    ws.delete_cols(err_col + 1)
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    page.goto(live_server + "/staff/import/")
    page.set_input_files("input[name=file]", str(fixed))
    page.click("#anju-import-form button[type=submit]")
    assert "500" in page.inner_text("#anju-import-ok")
    with app.app_context():
        staff = db.session.execute(select(Staff).where(Staff.id_number.in_(ids))).scalars().all()
        assert len(staff) == 500
        by_id = {s.id_number: s for s in staff}
        assert by_id[ids[0]].name == "员工000"                       # trailing space gone
        assert by_id[ids[5]].mobile == "13900000005"                 # full-width digits
        assert {s.hired_on for s in staff} >= {datetime.date(2021, 3, 1), datetime.date(2022, 5, 6),
                                               datetime.date(2023, 7, 8), datetime.date(2020, 1, 2)}
        a = db.session.get(PropertyArea, area_pk)
        assert a.lead_staff_id == by_id[ids[0]].id                   # the lead row made them the lead
        second = by_id[ids[1]]
    # The list shows the new people, masked ID numbers as seed 003 §17 shows them.
    page.goto(live_server + "/staff/list/")
    body = page.inner_text("body")
    assert "员工" in body and "在管物业管理区域" in body

    # 更换项目负责人: one action, with history.
    page.goto(live_server + f"/areas/show/{area_pk}")
    page.click("#btn-change-lead")
    page.select_option("#staff_id", str(second.id))
    page.fill("#note", "原项目负责人调往其他项目")
    page.click("#btn-lead-submit")
    page.wait_for_load_state("networkidle")
    assert "项目负责人已更换为" in page.inner_text("body")
    history = page.inner_text("#lead-history")
    assert "员工000" in history and "员工001" in history and "现任" in history
    assert "原项目负责人调往其他项目" in history
    page.screenshot(path="/tmp/anju-staff.png", full_page=True)
    with app.app_context():
        assert db.session.get(PropertyArea, area_pk).lead_staff_id == second.id

    foreign = [u for u in requests if not u.startswith(live_server) and not u.startswith(("data:", "blob:"))]
    assert not foreign, foreign
