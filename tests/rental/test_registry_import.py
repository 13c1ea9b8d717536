"""产权登记 import from Excel through the console: the template a user downloads, filled in and
uploaded as a real .xlsx; all or nothing; every problem listed with its row and column and
marked in the error workbook; a certificate already registered is refused."""
import io
import re
from datetime import datetime

import openpyxl
from sqlalchemy import func, select

from app.extensions import db
from tests.rental.helpers import new_person, new_property

HEADERS = ["房屋区域代码", "证件类型", "产权证号", "坐落地址", "建筑面积（㎡）", "房屋用途", "查封", "抵押", "产权人姓名",
           "产权人证件类型", "产权人证件号", "产权份额（%）"]


def _cert(tag):
    return f"渝（2026）渝中区不动产权第I{tag}{datetime.now():%H%M%S%f}号"


def _row(region, cert_no, person, share="", address="重庆市渝中区民生路1号2-3", sealed="否", mortgaged="否",
         cert_type="不动产权证书", area="76.5", use="住宅"):
    return [region, cert_type, cert_no, address, area, use, sealed, mortgaged, person["name"], "居民身份证",
            person["id_number"], share]


def _filled_template(c, rows):
    """The template as gov_admin downloads it, with ``rows`` typed below the header."""
    resp = c.get("/rental/registry/template/")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    header = [str(cell.value or "").lstrip("*").strip() for cell in ws[1]]
    assert header[:len(HEADERS)] == HEADERS, header
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(c, data):
    token = c.token("/rental/registry/import/")
    resp = c.post("/rental/registry/import/", data={"csrf_token": token, "file": (io.BytesIO(data), "产权登记.xlsx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _owners_of(app, cert_no):
    from app.rental.registry.services import find_property

    with app.app_context():
        prop = find_property("real_estate", cert_no)
        if prop is None:
            return None
        return {"region": prop.region_code, "street": prop.street_code, "sealed": prop.sealed,
                "mortgaged": prop.mortgaged, "area": str(prop.building_area), "use": prop.use,
                "owners": [(o.seq, o.name, o.id_number, str(o.share) if o.share is not None else None)
                           for o in prop.owners]}


def test_good_file_makes_one_property_per_certificate(app, login):
    c = login("gov_admin")
    a, b, d = new_person(), new_person(), new_person()
    one, two = _cert("A"), _cert("B")
    rows = [_row("500103001", one, a, "50"), _row("500103001", one, b, "50"),
            _row("500103", two, d, "", mortgaged="是", use="公寓")]
    html = _upload(c, _filled_template(c, rows))
    assert "成功导入3条数据" in html, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))[-3000:]
    first = _owners_of(app, one)
    assert first["region"] == "500103" and first["street"] == "500103001"
    assert [o[1] for o in first["owners"]] == [a["name"], b["name"]]
    assert first["owners"][0][3] == "50.00" and first["area"] == "76.50" and first["use"] == "residential"
    second = _owners_of(app, two)
    assert second["street"] is None and second["mortgaged"] and not second["sealed"] and second["use"] == "apartment"
    assert second["owners"][0][3] is None


def test_bad_rows_are_all_listed_nothing_is_written_and_the_error_workbook_marks_them(app, login):
    with app.app_context():
        existing, _people = new_property("500103001")
        taken = existing.cert_no
    c = login("gov_admin")
    good, mixed, bad_id, shares, region = _cert("G"), _cert("M"), _cert("D"), _cert("S"), _cert("R")
    p = [new_person() for _ in range(6)]
    rows = [
        _row("500103001", good, p[0], "100"),                                  # row 2: sound
        _row("500103001", mixed, p[1], "", address="重庆市渝中区甲路1号"),       # row 3
        _row("500103001", mixed, p[2], "", address="重庆市渝中区乙路2号"),       # row 4: another address
        _row("500103001", bad_id, {"name": "赵六", "id_number": "500103198801010000"}),   # row 5: check digit
        _row("500103001", shares, p[3], "60"), _row("500103001", shares, p[4], "30"),     # rows 6-7: 90
        _row("999999", region, p[5]),                                          # row 8: unknown region
        _row("500103001", taken, new_person()),                                # row 9: already registered
    ]
    html = _upload(c, _filled_template(c, rows))
    assert "未导入任何数据：发现" in html, html[html.find("alert"):html.find("alert") + 300]
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    by_row = {}
    for row, column, reason in problems:
        by_row.setdefault(int(row), []).append((column, reason))
    assert 2 not in by_row
    assert by_row[4] == [("坐落地址", "同一产权证的各行须一致：第3行填写的值不同。")]
    assert by_row[5][0][0] == "产权人证件号"
    assert by_row[6] == [("产权份额（%）", "各产权人份额之和须为100（现为90）")]
    assert by_row[8][0] == ("房屋区域代码", "请选择列表中的区县或街道")
    assert by_row[9] == [("产权证号", f"证件类型为不动产权证书、产权证号为{taken}的房屋已登记，不能重复登记。")]
    # All or nothing: the sound row was not written either.
    for cert_no in (good, mixed, bad_id, shares, region):
        assert _owners_of(app, cert_no) is None
    link = re.search(r'id="anju-error-workbook" href="([^"]+)"', html).group(1)
    wb = openpyxl.load_workbook(io.BytesIO(c.get(link).data))
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[1]]
    reasons = {r[2].value: r[header.index("错误原因")].value for r in ws.iter_rows(min_row=2) if r[2].value}
    assert "第3行" in reasons[mixed] or any("第3行" in (v or "") for v in reasons.values())
    assert "已登记" in (reasons[taken] or "")


def test_import_is_refused_to_readers(login):
    for username in ("district1", "reviewer", "analyst", "agency_a"):
        c = login(username)
        assert c.get("/rental/registry/import/").status_code == 403
        assert c.get("/rental/registry/template/").status_code == 403


def test_core_insert_counts_owners(app):
    """import_rows writes every owner row and one property per certificate (the service directly)."""
    from app.rental.registry import services
    from app.rental.registry.models import PropertyOwner, RentalProperty

    with app.test_request_context("/"):
        cert = _cert("C")
        people = [new_person(), new_person()]
        rows = [{"_row": 2 + i, "region_code": "500103001", "cert_type": "real_estate", "cert_no": cert,
                 "address": "重庆市渝中区测试路1号", "building_area": None, "use": None, "sealed": False,
                 "mortgaged": False, "owner_name": p["name"], "owner_id_type": None, "owner_id_number": p["id_number"],
                 "share": None} for i, p in enumerate(people)]
        assert services.validate_import(rows) == []
        assert services.import_rows(rows) == 2
        prop_id = db.session.execute(select(RentalProperty.id).where(RentalProperty.cert_no == cert)).scalar_one()
        assert db.session.execute(select(func.count()).select_from(PropertyOwner)
                                  .where(PropertyOwner.property_id == prop_id)).scalar_one() == 2
        db.session.rollback()
