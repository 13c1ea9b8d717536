"""A gov admin imports the register of enterprises in a real browser: template download,
a workbook with a bad row refused as a whole with the problem shown, corrected, imported."""
import openpyxl

from app.core.validators import credit_code_check_char
from tests.browser.conftest import sign_in


def fill(template_path, rows, out_path):
    wb = openpyxl.load_workbook(template_path)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").lstrip("*").strip() for c in ws[1]]
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=r, column=headers.index(key) + 1, value=value)
    wb.save(out_path)


def test_import_enterprises_in_browser(live_server, page, tmp_path):
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    sign_in(page, live_server, "gov_admin")
    page.goto(live_server + "/organizationview/list/")
    page.click("#anju-import")
    with page.expect_download() as dl:
        page.click("#anju-template")
    template = tmp_path / "template.xlsx"
    dl.value.save_as(template)

    code = "91500103MA5UC0001" + credit_code_check_char("91500103MA5UC0001")
    bad = tmp_path / "bad.xlsx"
    fill(template, [
        {"机构名称": "浏览器导入物业公司", "企业类型": "物业服务企业", "统一社会信用代码": code, "行政区划代码": "500103"},
        {"机构名称": "错误代码公司", "企业类型": "物业服务企业", "统一社会信用代码": code[:-1] + "0" if code[-1] != "0" else code[:-1] + "1",
         "行政区划代码": "500103"},
    ], bad)
    page.set_input_files("input[name=file]", str(bad))
    page.click("#anju-import-form button[type=submit]")
    errors = page.inner_text("#anju-import-errors")
    assert "3" in errors and "统一社会信用代码" in errors
    page.goto(live_server + "/organizationview/list/?_flt_0_name=浏览器导入物业公司")
    assert "浏览器导入物业公司" not in page.inner_text("table.table-hover") if page.query_selector("table.table-hover") else True

    good = tmp_path / "good.xlsx"
    fill(template, [
        {"机构名称": "浏览器导入物业公司", "企业类型": "物业服务企业", "统一社会信用代码": code, "行政区划代码": "500103"},
    ], good)
    page.goto(live_server + "/organizationview/import/")
    page.set_input_files("input[name=file]", str(good))
    page.click("#anju-import-form button[type=submit]")
    assert "1" in page.inner_text("#anju-import-ok")
    page.goto(live_server + "/organizationview/list/?_flt_0_name=浏览器导入物业公司")
    assert "浏览器导入物业公司" in page.inner_text("body")
    page.screenshot(path="/tmp/anju-import.png", full_page=True)

    # Offline: every request the pages made went to the console itself.
    foreign = [u for u in requests if not u.startswith(live_server) and not u.startswith("data:")
               and not u.startswith("blob:")]
    assert not foreign, foreign
