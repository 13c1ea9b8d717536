"""Excel in and out on the first real users: gov admins import the register of
enterprises; sysadmin imports dictionary entries. Real .xlsx files, all-or-nothing."""
import io

import openpyxl
from sqlalchemy import func, select

from app.extensions import db
from app.system.models import DictItem, Organization

HEADERS = ["*机构名称", "*企业类型", "*统一社会信用代码", "*行政区划代码", "法定代表人", "联系人", "联系手机", "地址"]


def workbook(rows, headers=HEADERS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(c, url, data, name="data.xlsx"):
    return c.form(url, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                  follow_redirects=True)


def org_count(app):
    with app.app_context():
        return db.session.execute(select(func.count(Organization.id))).scalar()


def template_headers(c):
    resp = c.get("/organizationview/template/")
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    return [cell.value for cell in ws[1]]


def test_template_is_generated_from_the_declaration(app, login):
    headers = template_headers(login("gov_admin"))
    assert any("统一社会信用代码" in str(h) for h in headers)
    assert any("机构名称" in str(h) for h in headers)


def test_import_valid_enterprises(app, login):
    c = login("gov_admin")
    headers = template_headers(c)
    data = workbook([
        ["重庆导入测试物业一公司", "物业服务企业", "91500103MA5UA0001X"[:17], "500103", "王一", "李二", "13811112222", "渝中区解放碑"],
    ], headers)
    # (the credit code above is deliberately incomplete: proves a bad row blocks everything)
    before = org_count(app)
    html = upload(c, "/organizationview/import/", data).get_data(as_text=True)
    assert org_count(app) == before
    assert "统一社会信用代码" in html

    from app.core.validators import credit_code_check_char

    good1 = "91500103MA5UA0001" + credit_code_check_char("91500103MA5UA0001")
    good2 = "91500103MA5UA0002" + credit_code_check_char("91500103MA5UA0002")
    data = workbook([
        ["重庆导入测试物业一公司", "物业服务企业", good1, "500103", "王一", "李二", "138 1111 2222", "渝中区解放碑"],
        ["重庆导入测试租赁二公司", "住房租赁企业", f" {good2.lower()} ", "500103", "", "", "+86 13911112222", ""],
    ], headers)
    html = upload(c, "/organizationview/import/", data).get_data(as_text=True)
    assert org_count(app) == before + 2, html[-2000:]
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.credit_code == good2)).scalar_one()
        assert org.contact_mobile == "13911112222" and org.enterprise_type == "rental_company"
        assert org.parent is not None and org.parent.name == "渝中区住房和城乡建设委员会"
    # Importing the same file again: duplicates refused, nothing written.
    html = upload(c, "/organizationview/import/", data).get_data(as_text=True)
    assert org_count(app) == before + 2
    assert "该统一社会信用代码已登记" in html


def test_bad_rows_are_all_reported_and_nothing_is_written(app, login):
    from app.core.validators import credit_code_check_char

    c = login("gov_admin")
    headers = template_headers(c)
    good = "91500103MA5UB0001" + credit_code_check_char("91500103MA5UB0001")
    data = workbook([
        ["好公司", "物业服务企业", good, "500103", "", "", "", ""],
        ["坏代码", "物业服务企业", "91500103MA5UB0002Z", "500103", "", "", "", ""],
        ["坏区划", "物业服务企业", "91500103MA5UB0003" + credit_code_check_char("91500103MA5UB0003"), "999999", "", "", "", ""],
        ["坏手机", "物业服务企业", "91500103MA5UB0004" + credit_code_check_char("91500103MA5UB0004"), "500103", "", "", "12345", ""],
        ["坏类型", "火箭公司", "91500103MA5UB0005" + credit_code_check_char("91500103MA5UB0005"), "500103", "", "", "", ""],
        ["", "物业服务企业", "91500103MA5UB0006" + credit_code_check_char("91500103MA5UB0006"), "500103", "", "", "", ""],
    ], headers)
    before = org_count(app)
    resp = upload(c, "/organizationview/import/", data)
    html = resp.get_data(as_text=True)
    assert org_count(app) == before
    assert 'id="anju-import-errors"' in html
    for row in ("3", "5", "6", "7"):
        assert f"<td>{row}</td>" in html
    # The workbook with the problems marked can be downloaded.
    import re

    link = re.search(r'href="([^"]*import-errors/[^"]+)"', html)
    assert link
    err = c.get(link.group(1))
    assert err.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(err.data))
    assert any("错误" in str(cell.value) for cell in wb.worksheets[-1][1] if cell.value) or \
        any("错误" in str(cell.value) for ws in wb.worksheets for cell in ws[1] if cell.value)


def test_wrong_file_type_and_empty_file(app, login):
    c = login("gov_admin")
    before = org_count(app)
    html = upload(c, "/organizationview/import/", b"name,code\n1,2\n", name="data.csv").get_data(as_text=True)
    assert 'id="anju-import-errors"' in html
    html = upload(c, "/organizationview/import/", workbook([], template_headers(c))).get_data(as_text=True)
    assert 'id="anju-import-errors"' in html
    assert org_count(app) == before


def test_roles_without_import_permission_cannot_import(app, login):
    before = org_count(app)
    for username in ("district1", "analyst", "ent_a"):
        c = login(username)
        assert c.get("/organizationview/import/").status_code in (302, 403)
        assert c.get("/organizationview/template/").status_code in (302, 403)
        resp = c.http.post("/organizationview/import/", data={"file": (io.BytesIO(b"x"), "a.xlsx")},
                           content_type="multipart/form-data")
        assert resp.status_code in (302, 400, 403)
    assert org_count(app) == before


def test_formula_cells_neutralised_on_export(app, login):
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.name == "重庆安居物业服务有限公司")).scalar_one()
        org.address = "=HYPERLINK(\"http://evil\",\"x\")"
        db.session.commit()
    c = login("gov_admin")
    resp = c.get("/organizationview/export/?_flt_0_name=重庆安居物业服务有限公司")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    values = [cell.value for row in ws.iter_rows(min_row=2) for cell in row]
    address = [v for v in values if isinstance(v, str) and "HYPERLINK" in v]
    assert address and not address[0].startswith("=")
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_dictionary_import(app, login):
    c = login("admin")
    resp = c.get("/dictitemview/template/")
    headers = [cell.value for cell in openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0][1]]
    data = workbook([["staff_post", "gardening", "绿化", "Gardening", 70, "是"]], headers)
    upload(c, "/dictitemview/import/", data)
    with app.app_context():
        assert db.session.execute(select(DictItem).where(DictItem.code == "gardening")).scalar_one().label == "绿化"
    data = workbook([["no_such_dict", "x", "x", "", 1, "是"]], headers)
    html = upload(c, "/dictitemview/import/", data).get_data(as_text=True)
    assert 'id="anju-import-errors"' in html


def _problems(html):
    import re

    return re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


def test_the_heading_gives_the_true_count_and_how_many_are_listed(app, login):
    """2,000 wrong rows: the engine keeps 1,000 for the error workbook, the page lists 500 and
    says both numbers."""
    c = login("gov_admin")
    headers = template_headers(c)
    rows = [[f"计数测试{i}", "物业服务企业", "123", "500103", None, None, None, None] for i in range(2000)]
    html = upload(c, "/organizationview/import/", workbook(rows, headers)).get_data(as_text=True)
    assert '<h4 style="margin-top:16px" id="anju-import-count">共发现 2000 个问题，下面列出前 500 个</h4>' in html
    listed = _problems(html)
    assert len(listed) == 500 and [int(r[0]) for r in listed] == list(range(2, 502))
    assert "未导入任何数据：发现2000处问题，请修正后重新上传。" in html


def _calamine_calls(monkeypatch):
    import python_calamine

    calls = []
    real = python_calamine.CalamineWorkbook.from_filelike

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", spy)
    return calls


def test_files_too_large_are_refused_unread(app, login, monkeypatch):
    """Over the size limit, or with a part declaring more than an import of the row limit can
    need (285 KB inflating to 200 MB), the file is refused without being parsed: calamine
    never opens it, for the check nor for the error workbook."""
    import os
    import zipfile

    c = login("gov_admin")
    base = workbook([["大文件测试", "物业服务企业", "123", "500103", None, None, None, None]],
                    template_headers(c))
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w") as zf:
        for item in zipfile.ZipFile(io.BytesIO(base)).infolist():
            zf.writestr(item, zipfile.ZipFile(io.BytesIO(base)).read(item.filename))
        zf.writestr("xl/media/photo.bin", os.urandom(11 * 1024 * 1024))   # stored, incompressible
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for item in zipfile.ZipFile(io.BytesIO(base)).infolist():
            zf.writestr(item, zipfile.ZipFile(io.BytesIO(base)).read(item.filename))
        zf.writestr("xl/media/photo.bin", b"\0" * (200 * 1024 * 1024))
    assert len(bomb.getvalue()) < 300 * 1024
    calls = _calamine_calls(monkeypatch)
    html = upload(c, "/organizationview/import/", big.getvalue()).get_data(as_text=True)
    assert _problems(html) == [("", "", "", "文件超过10 MB，请拆分成较小的文件后上传。")], _problems(html)
    html = upload(c, "/organizationview/import/", bomb.getvalue()).get_data(as_text=True)
    assert _problems(html) == [("", "", "", "工作簿解压后过大，请拆分成较小的文件。")], _problems(html)
    assert calls == []


def test_error_workbooks_are_kept_for_the_parameter_then_purged(app, login):
    """They hold the uploaded rows: served and kept for import.error_keep_hours (24), then
    refused and deleted by the daily clean-up."""
    import os
    import re
    import time

    from app.core import import_files, jobs
    from app.system.models import Parameter

    c = login("gov_admin")
    bad = workbook([["保留测试", "物业服务企业", "123", "500103", None, None, None, None]], template_headers(c))
    tokens = [re.search(r"/organizationview/import-errors/([0-9a-f]+)",
                        upload(c, "/organizationview/import/", bad).get_data(as_text=True)).group(1)
              for _ in range(2)]
    from tests.complaints.helpers import user

    with app.app_context():
        uid = user("gov_admin").id
        paths = [import_files.path_for(uid, t) for t in tokens]
    old, fresh = paths
    day_ago = os.path.getmtime(old) - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    assert c.get(f"/organizationview/import-errors/{tokens[0]}").status_code == 404
    assert c.get(f"/organizationview/import-errors/{tokens[1]}").status_code == 200
    with app.app_context():
        from app.system.params import ensure_params

        ensure_params()
        db.session.execute(Parameter.__table__.update().where(Parameter.key == "import.error_keep_hours")
                           .values(value="48"))
        db.session.commit()
    try:
        assert c.get(f"/organizationview/import-errors/{tokens[0]}").status_code == 200
        with app.app_context():
            jobs.cleanup()
        assert os.path.exists(old)
    finally:
        with app.app_context():
            db.session.execute(Parameter.__table__.update().where(Parameter.key == "import.error_keep_hours")
                               .values(value="24"))
            db.session.commit()
    with app.app_context():
        assert "import_error_workbooks=" in jobs.cleanup()
    assert not os.path.exists(old) and os.path.exists(fresh)
    assert c.get(f"/organizationview/import-errors/{tokens[0]}").status_code == 404
