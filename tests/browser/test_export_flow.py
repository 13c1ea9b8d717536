"""An analyst-sized export in a real browser (issue 17): 导出 on a filtered list of 20,000
requests queues a background task, the page's progress bar runs to 100%, the file downloads
and holds every row with the filter written in its 导出说明 sheet; 我的导出 lists it."""
import io
from datetime import datetime, timedelta

import openpyxl
from sqlalchemy import insert, text

from app.complaints.models import Complaint
from app.extensions import db
from tests.browser.conftest import sign_in

ROWS = 20_000


def _make_requests(app):
    from app.property.models import PropertyArea
    from app.system.models import Organization

    with app.app_context():
        org = db.session.query(Organization).filter_by(name="重庆安居物业服务有限公司").one()
        area = PropertyArea(name="浏览器导出测试小区", district_code="500103", street_code="500103001",
                            company_org_id=org.id, address="重庆市渝中区导出路1号")
        area.fill_region()
        db.session.add(area)
        db.session.flush()
        start = datetime(2008, 6, 1, 9, 0)   # a year no statistics test counts
        db.session.execute(insert(Complaint), [dict(
            number=f"BRX{i:07d}", kind="property", area_id=area.id, org_id=org.id, district_code="500103",
            street_code="500103001", region_code=area.region_code, name="导出测试", id_number="500103199001011234",
            mobile="13500000000", address="测试地址", content=f"导出测试内容第{i}条：" + "楼道灯不亮，" * 8,
            status="closed", stage="closed", submitted_at=start + timedelta(minutes=i),
            due_at=start + timedelta(days=5, minutes=i), closed_at=start + timedelta(days=2, minutes=i),
            refused=False, auto_closed=False, version=1) for i in range(ROWS)])
        db.session.commit()
        return area.id


def test_a_large_export_runs_in_the_background_with_its_progress(app, live_server, page, tmp_path):
    _make_requests(app)
    saved = {k: app.config[k] for k in ("TASKS_RUN", "TASKS_PROGRESS_SECONDS")}
    app.config.update(TASKS_RUN="thread", TASKS_PROGRESS_SECONDS=0.05)
    with app.app_context():
        old = db.session.execute(text("SELECT value FROM anju_param WHERE key = 'export.sync_rows'")).scalar()
        db.session.execute(text("UPDATE anju_param SET value = '1000' WHERE key = 'export.sync_rows'"))
        db.session.commit()
    try:
        sign_in(page, live_server, "admin")
        page.goto(f"{live_server}/complaints/list/?_flt_0_number=BRX")
        assert f"BRX{ROWS - 1:07d}" in page.inner_text("body")    # newest first
        page.click("#anju-export")
        page.wait_for_url("**/tasks/show/*")
        # The bar runs to 100% and the download appears, without reloading by hand.
        page.wait_for_function(
            "() => document.getElementById('anju-task-bar').getAttribute('aria-valuenow') === '100'",
            timeout=120_000)
        page.wait_for_selector("#anju-task-download:not(.hidden)", timeout=30_000)
        assert "已完成" in page.inner_text("#anju-task-state")
        page.screenshot(path="docs/screenshots/export-progress.png", full_page=True)
        with page.expect_download() as dl:
            page.click("#anju-task-download")
        path = tmp_path / "export.xlsx"
        dl.value.save_as(path)
        assert dl.value.suggested_filename.endswith(".xlsx")
        wb = openpyxl.load_workbook(path, read_only=True)
        data = wb.worksheets[0]
        rows = list(data.iter_rows(values_only=True))
        assert len(rows) == ROWS + 1
        header = rows[0]
        content = header.index("内容") if "内容" in header else None
        numbers = {r[header.index("编号")] for r in rows[1:]} if "编号" in header else set()
        assert not numbers or numbers == {f"BRX{i:07d}" for i in range(ROWS)}
        if content is not None:
            assert all(not str(r[content]).endswith("…") for r in rows[1:50])
        notes = {r[0]: r[1] for r in wb["导出说明"].iter_rows(values_only=True)}
        assert "BRX" in notes["筛选条件"] and notes["行数"] == str(ROWS)
        # 我的导出 lists it with its download.
        page.goto(f"{live_server}/tasks/list/")
        assert "导出：需求及建议" in page.inner_text("body") and page.query_selector("a[href^='/tasks/download/']")
    finally:
        app.config.update(saved)
        with app.app_context():
            db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = 'export.sync_rows'"), {"v": old})
            # The 20,000 requests are this test's alone: other tests count requests by period.
            db.session.execute(text("DELETE FROM anju_complaint WHERE number LIKE 'BRX%'"))
            db.session.commit()
