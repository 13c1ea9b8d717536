"""Registry import rows/s (not a test: run it by hand, it measures wall-clock time).

    .venv/bin/python -m tests.rental.bench_registry_import [rows]

Builds a fresh migrated and seeded database (SQLite in a temp dir, or TEST_DATABASE_URL),
writes a .xlsx of ``rows`` owner rows (50,000 by default; about one property in four has two
owners), uploads it as gov_admin through the console's import page (the engine's reading and
cell checks, the registry's checks, the Core inserts, the commit) and prints the rows per second
of the whole request and of its parts."""
import io
import sys
import tempfile
import time
from datetime import datetime


def workbook(n_rows):
    import xlsxwriter

    from app.core.validators import id_check_char

    headers = ["房屋区域代码", "证件类型", "产权证号", "坐落地址", "建筑面积（㎡）", "房屋用途", "查封", "抵押", "产权人姓名",
               "产权人证件类型", "产权人证件号", "产权份额（%）"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, headers)
    streets = ["500103001", "500103003", "500103004", "500103005", "500103007", "500103008"]
    row = 1
    prop = 0
    stamp = datetime.now().strftime("%H%M%S")
    while row <= n_rows:
        prop += 1
        owners = 2 if prop % 4 == 0 and row + 1 <= n_rows else 1
        cert = f"渝（2025）渝中区不动产权第B{stamp}{prop:07d}号"
        for k in range(owners):
            first17 = f"500103{1950 + row % 50}{1 + row % 12:02d}{1 + row % 28:02d}{row % 1000:03d}"
            ws.write_row(row, 0, [streets[prop % len(streets)], "不动产权证书", cert, f"重庆市渝中区测试路{prop}号",
                                  "88.50", "住宅", "否", "否", "测试" + "甲乙丙丁戊己庚辛壬癸"[row % 10],
                                  "居民身份证", first17 + id_check_char(first17), "50" if owners == 2 else "100"])
            row += 1
    wb.close()
    return buf.getvalue(), prop


def main(n_rows=50_000):
    from sqlalchemy import text

    from tests.conftest import DEMO_PASSWORD, Client, build_app

    app = build_app(tempfile.mkdtemp(prefix="anju-bench-registry-"), name="bench")
    app.config["IMPORT_MAX_BYTES"] = 64 * 1024 * 1024
    data, properties = workbook(n_rows)
    print(f"file: {n_rows} rows, {properties} properties, {len(data) / 1024 / 1024:.1f} MB")

    from app.core import xlsx
    from app.rental.registry import schemas, services
    from app.extensions import db

    with app.test_request_context("/"):
        t0 = time.perf_counter()
        result = xlsx.read_import(data, schemas.IMPORT_COLUMNS, max_rows=n_rows + 10, max_bytes=len(data) + 1,
                                  unique=schemas.IMPORT_UNIQUE)
        t1 = time.perf_counter()
        assert not result.errors, result.errors[:5]
        problems = services.validate_import(result.rows)
        t2 = time.perf_counter()
        assert not problems, problems[:5]
        written = services.import_rows(result.rows)
        t3 = time.perf_counter()
        db.session.rollback()
        print(f"read and cell checks: {n_rows / (t1 - t0):,.0f} rows/s ({t1 - t0:.1f} s)")
        print(f"registry checks:      {n_rows / (t2 - t1):,.0f} rows/s ({t2 - t1:.1f} s)")
        print(f"Core inserts:         {written / (t3 - t2):,.0f} rows/s ({t3 - t2:.1f} s)")

    with app.app_context():
        db.session.execute(text("UPDATE anju_param SET value = :n WHERE key = 'import.max_rows'"), {"n": str(n_rows + 10)})
        db.session.commit()
    c = Client(app)
    assert c.login("gov_admin", DEMO_PASSWORD).status_code == 302
    token = c.token("/rental/registry/import/")
    t0 = time.perf_counter()
    resp = c.post("/rental/registry/import/", data={"csrf_token": token, "file": (io.BytesIO(data), "bench.xlsx")},
                  content_type="multipart/form-data")
    elapsed = time.perf_counter() - t0
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f"成功导入{n_rows}条数据" in html, html[-2000:]
    print(f"whole upload through the page (commit included): {n_rows / elapsed:,.0f} rows/s ({elapsed:.1f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
