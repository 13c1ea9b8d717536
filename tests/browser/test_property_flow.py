"""物业 filings in a real browser, in Chinese, as issue 16 walks them.

1. An area's life: dev_a files a new area through 物业区域备案 (fields, a real 要件, 保存并提交)
   and opens 打印申请表 → the reviewer 受理 and 审核通过 on the 业务单 page → the area exists →
   dev_a imports its houses through 房屋信息补充 (a workbook with a bad ID number refused with the
   problem listed, then a good one) and submits → approved → the houses are in 房屋信息 →
   ent_a files the 前期 物业服务合同备案 → approved → 物业管理区域综合查询 shows 是否合同备案 是 and
   ent_a → ent_a files 承接查验备案 with an equipment workbook → approved → the equipment is in
   设施设备管理 → ent_a writes a 小区动态 item and 发布 → it is on the area's public page.
2. A good-behaviour declaration: ent_a files 诚信登记 with evidence → 受理 → in publicity on the
   area's public page → an anonymous visitor objects (SMS code from the outbox) → the publicity
   ends (its window moved into the past, as tests/property/test_good_behaviour.py does) → the
   reviewer reads the objection and approves → the public page shows the announcement and ent_a
   has the 加分 credit record.

Pages are photographed at 1,366 x 900 into tests/browser/screens/property/ (not committed) and
checked: no English UI word, no horizontal overflow, no script error; every request stays on
127.0.0.1."""
import os
import re
from datetime import date, datetime, timedelta

import openpyxl
from sqlalchemy import select

from app.core.validators import id_check_char
from app.extensions import db
from tests.accounts.helpers import real_pdf
from tests.browser import test_rental_flow as rental
from tests.browser.conftest import wait_for_captcha
from tests.browser.test_accounts_flows import (assert_offline, flash_text, fresh_id, fresh_mobile,
                                               request_sms_code, submit_and_wait)
from tests.browser.test_console import UI_TEXT, english_words

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "tests", "browser", "screens", "property")
VIEWPORT = {"width": 1366, "height": 900}
COMPANY = "重庆安居物业服务有限公司"          # ent_a's company
_db = rental._db


class Browse(rental.Browse):
    """The rental flow's contexts (every request recorded, script errors kept) at 1,366 px,
    photographed into screens/property/."""

    def __init__(self, browser, base):
        super().__init__(browser, base)
        os.makedirs(SHOTS, exist_ok=True)

    def open(self, username=None):
        context = self.browser.new_context(locale="zh-CN", viewport=VIEWPORT, accept_downloads=True)
        context.on("request", lambda req: self.requests.append(req.url))
        self.contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.errors = errors
        if username:
            rental.sign_in(page, self.base, username)
            assert "/login" not in page.url, f"{username} could not sign in"
        return context, page

    def shot(self, page, name):
        page.wait_for_load_state("load")
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        found = []
        words = english_words(page.evaluate(UI_TEXT))
        if words:
            found.append(f"English: {words}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            found.append(f"horizontal overflow {overflow}px")
        if page.errors:
            found.append(f"script errors: {page.errors}")
        if found:
            self.problems[name] = found


def _stamp():
    return datetime.now().strftime("%m%d%H%M%S%f")[:-3]


def _bad_id():
    good = fresh_id()
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def _fill(template_path, rows, out_path):
    """Rows into the downloaded template, by its Chinese headings (a leading * marks required)."""
    wb = openpyxl.load_workbook(template_path)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").lstrip("*").strip() for c in ws[1]]
    for r in range(2, ws.max_row + 1):          # the template's example row, if any
        for c in range(1, ws.max_column + 1):
            ws.cell(row=r, column=c, value=None)
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            assert key in headers, (key, headers)
            ws.cell(row=r, column=headers.index(key) + 1, value=value)
    wb.save(out_path)
    return out_path


def _download(page, selector, path):
    with page.expect_download() as dl:
        page.click(selector)
    dl.value.save_as(path)
    return path


def _decide(b, page, pk, *actions, shot=None):
    """The reviewer's decisions on the 业务单 page, each behind its confirm dialog."""
    b.go(page, f"/applications/show/{pk}")
    for action in actions:
        asked = submit_and_wait(page, f"#btn-{action}")
        assert asked, action
        assert flash_text(page).startswith("已完成") or "已完成" in flash_text(page), flash_text(page)
    if shot:
        b.shot(page, shot)
    return page.inner_text("#app-status").strip()


def _pdf(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(real_pdf())
    return str(path)


def test_area_life_in_the_browser(app, live_server, browser, tmp_path):
    from app.core.workflow import Application
    from app.property.models import PropertyArea

    stamp = _stamp()
    area_name = f"浏览器物业小区{stamp}"
    b = Browse(browser, live_server)
    try:
        # --- 1. dev_a: 物业区域备案 ---------------------------------------------------------------
        ctx, page = b.open("dev_a")
        b.go(page, "/areas/filing/")
        b.shot(page, "01-area-filings")
        b.go(page, "/areas/filing/new")
        assert page.query_selector("#developer-self"), page.inner_text("body")[:400]
        page.fill("#f-area_name", area_name)
        page.select_option("#f-district_code", label="渝中区")
        page.select_option("#f-street_code", label="七星岗街道")
        page.select_option("#f-property_type", index=1)
        page.fill("#f-address", f"重庆市渝中区浏览器路{stamp[-4:]}号")
        page.fill("#f-boundaries", "东至和平路，南至中山一路，西至七星岗，北至枣子岚垭")
        page.fill("#f-land_area", "12000.5")
        page.fill("#f-building_area", "56000")
        page.fill("#f-building_count", "2")
        b.shot(page, "02-area-filing-form")
        page.set_input_files("#f-files", _pdf(tmp_path, "规划许可证.pdf"))
        submit_and_wait(page, "#btn-submit")
        assert "/areas/filing/show/" in page.url, (page.url, page.inner_text("body")[:600])
        area_app = int(re.search(r"/show/(\d+)", page.url).group(1))
        assert "已提交" in page.inner_text("#app-status")
        assert "规划许可证.pdf" in page.inner_text("#app-files")
        b.shot(page, "03-area-filing-submitted")
        with page.expect_popup() as popup:
            page.click("#btn-print")
        printed = popup.value
        printed.wait_for_load_state("load")
        assert area_name in printed.inner_text("body")
        printed.close()
        ctx.close()

        # --- 2. the reviewer: 受理 → 审核通过 → the area exists -------------------------------------
        ctx, page = b.open("reviewer")
        b.go(page, "/applications/list/")
        with page.expect_navigation():
            page.click(f"a[href$='/applications/show/{area_app}']")
        assert area_name in page.inner_text("body")
        assert _decide(b, page, area_app, "accept", "approve", shot="04-area-approved") == "审核通过"
        area_id, public_code = _db(app, lambda: db.session.execute(
            select(PropertyArea.id, PropertyArea.public_code).where(PropertyArea.name == area_name)).one())
        assert _db(app, lambda: db.session.get(Application, area_app).subject_id) == area_id
        ctx.close()

        # --- 3. dev_a: 房屋信息补充 -----------------------------------------------------------------
        ctx, page = b.open("dev_a")
        b.go(page, "/houses/import/")
        template = _download(page, "#btn-template", tmp_path / "houses-template.xlsx")
        owners = [("赵一楼", fresh_id()), ("钱二楼", fresh_id()), ("孙三楼", fresh_id())]

        def house_rows(bad=False):
            rows = []
            for i, (name, number) in enumerate(owners):
                rows.append({"楼栋": "1栋", "单元": "1单元", "房号": f"10{i + 1}", "楼层": 1,
                             "建筑面积": 89.5 + i, "产权人姓名": name,
                             "证件号码": _bad_id() if bad and i == 1 else number})
            return rows

        def upload(path):
            page.select_option("#area_id", label=area_name)
            page.fill("#deposit_date", date.today().isoformat())
            page.set_input_files("#file", str(path))
            with page.expect_navigation():
                page.click("#btn-import")
            page.wait_for_load_state("load")

        upload(_fill(template, house_rows(bad=True), tmp_path / "houses-bad.xlsx"))
        assert "没有导入" in page.inner_text("#form-error") or page.query_selector("#anju-import-errors"), \
            page.inner_text("body")[:600]
        errors = page.inner_text("#anju-import-errors")
        assert "3" in errors and "证件号码" in errors, errors
        assert page.input_value("#deposit_date") == date.today().isoformat()
        b.shot(page, "05-houses-refused")
        upload(_fill(template, house_rows(), tmp_path / "houses-good.xlsx"))
        assert "/houses/import/show/" in page.url, page.inner_text("body")[:600]
        house_app = int(re.search(r"/show/(\d+)", page.url).group(1))
        assert page.inner_text("#house-count").strip() == "3"
        assert page.locator("#staged-houses tbody tr").count() == 3
        b.shot(page, "06-houses-imported")
        asked = submit_and_wait(page, "#btn-submit")
        assert asked and "提交" in asked
        assert page.inner_text("#app-status").strip() == "已提交", flash_text(page)
        ctx.close()

        ctx, page = b.open("reviewer")
        assert _decide(b, page, house_app, "accept", "approve", shot="07-houses-approved") == "审核通过"
        ctx.close()
        ctx, page = b.open("dev_a")
        b.go(page, f"/houses/list/?_flt_1_area={area_id}")
        body = page.locator("table").last.inner_text()
        assert body.count("1栋") == 3, body
        for room in ("101", "102", "103"):
            assert room in body
        b.shot(page, "08-houses")
        ctx.close()

        # --- 4. ent_a: 物业服务合同备案 (前期) ---------------------------------------------------------
        ctx, page = b.open("ent_a")
        b.go(page, "/property/contract-filing/new")
        page.check("#type-early")
        page.fill("#f-q", area_name)
        with page.expect_navigation():
            page.click("#btn-search")
        page.check(f"#area-{area_id}")
        b.shot(page, "09-contract-choose")
        with page.expect_navigation():
            page.click("#btn-next")
        assert area_name in page.inner_text("#area-name"), page.inner_text("body")[:600]
        assert "重庆渝开置业有限公司" in page.inner_text("#client-name")
        signed = date.today() - timedelta(days=2)
        page.fill("#f-client_contact", "周开发")
        page.fill("#f-client_phone", "13911110000")
        page.fill("#f-company_legal_rep", "李安居")
        page.fill("#f-company_contact", "王物业")
        page.fill("#f-company_phone", "023-63881234")
        page.fill("#f-start_on", signed.isoformat())
        page.fill("#f-end_on", (signed + timedelta(days=3 * 365)).isoformat())
        page.fill("#f-signed_on", signed.isoformat())
        page.fill("#f-service_content", "保洁、秩序维护、共用设施设备维修养护")
        page.check("#method-lump_sum")
        page.fill("#f-residential_fee", "2.50")
        page.set_input_files("#f-files", _pdf(tmp_path, "前期物业服务合同.pdf"))
        b.shot(page, "10-contract-form")
        asked = submit_and_wait(page, "#btn-save-submit")
        assert asked, "no confirm before submitting the contract filing"
        assert "/property/contract-filing/show/" in page.url, (page.url, page.inner_text("body")[:800])
        contract_app = int(re.search(r"/show/(\d+)", page.url).group(1))
        b.shot(page, "11-contract-submitted")
        ctx.close()

        ctx, page = b.open("reviewer")
        assert _decide(b, page, contract_app, "accept", "approve", shot="12-contract-approved") == "审核通过"
        b.go(page, "/areas/query/list/")
        b.shot(page, "13-area-query")
        row = page.locator("table tr", has_text=area_name)
        assert row.count() == 1, page.inner_text("body")[:1500]
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        assert "是" in cells and COMPANY in cells and "重庆渝开置业有限公司" in cells, cells
        ctx.close()

        # --- 5. ent_a: 承接查验备案 with equipment -----------------------------------------------------
        ctx, page = b.open("ent_a")
        b.go(page, "/property/acceptance-filing/new")
        page.select_option("#f-area_id", label=area_name)
        page.fill("#f-inspected_on", date.today().isoformat())
        page.fill("#f-inspection_scope", "共用部位、共用设施设备")
        page.fill("#f-conclusion", "符合承接条件")
        page.fill("#f-developer_contact", "周开发")
        page.fill("#f-developer_phone", "13911110000")
        page.fill("#f-company_contact", "王物业")
        page.fill("#f-company_phone", "023-63881234")
        page.select_option("#f-handover_site_plan_status", label="已移交")
        page.fill("#f-handover_site_plan_copies", "2")
        page.set_input_files("#f-files", _pdf(tmp_path, "承接查验协议.pdf"))
        b.shot(page, "14-acceptance-form")
        submit_and_wait(page, "#btn-save")
        assert "/property/acceptance-filing/show/" in page.url, (page.url, page.inner_text("#form-error")
                                                                 if page.query_selector("#form-error") else "")
        acceptance_app = int(re.search(r"/show/(\d+)", page.url).group(1))
        template = _download(page, "#btn-template", tmp_path / "equipment-template.xlsx")
        lift, gate = f"浏览器客梯{stamp[-5:]}", f"浏览器大门{stamp[-5:]}"
        _fill(template, [
            {"物业管理区域名称": area_name, "楼栋名称": "1栋", "单元/梯": "1单元", "设施设备类型": "电梯",
             "设施设备名称": lift, "状态": "在用"},
            {"物业管理区域名称": area_name, "设施设备类型": "电梯", "设施设备名称": gate},
        ], tmp_path / "equipment.xlsx")
        page.set_input_files("#equipment-import input[name=file]", str(tmp_path / "equipment.xlsx"))
        with page.expect_navigation():
            page.click("#btn-import")
        page.wait_for_load_state("load")
        assert "2" in flash_text(page), (flash_text(page), page.inner_text("body")[:800])
        rows = page.inner_text("#equipment-rows")
        assert lift in rows and gate in rows, rows
        b.shot(page, "15-acceptance-equipment")
        asked = submit_and_wait(page, "#btn-submit")
        assert asked
        assert "已提交" in page.inner_text("#filing-status"), flash_text(page)
        ctx.close()

        ctx, page = b.open("reviewer")
        assert _decide(b, page, acceptance_app, "accept", "approve", shot="16-acceptance-approved") == "审核通过"
        ctx.close()

        ctx, page = b.open("ent_a")
        b.go(page, "/equipment/list/")
        body = page.inner_text("body")
        assert lift in body and gate in body, body[:1500]
        b.shot(page, "17-equipment")

        # --- 6. ent_a: 小区动态 → 发布 → the public page ------------------------------------------------
        title = f"浏览器停水通知{stamp[-5:]}"
        b.go(page, "/property/news/add")
        page.select_option("#area_id", label=area_name)
        page.fill("#title", title)
        page.fill("#content", "因管网检修，本周六9:00-12:00停水，请提前储水。")
        b.shot(page, "18-news-add")
        with page.expect_navigation():
            page.click("#model_form button[type=submit]")
        page.wait_for_load_state("load")
        b.go(page, "/property/news/list/")
        row = page.locator("table tr", has_text=title)
        assert row.count() == 1, page.inner_text("body")[:1500]
        with page.expect_navigation():
            row.locator("a[href*='/property/news/show/']").first.click()
        assert page.inner_text("#news-status").strip() == "草稿", page.inner_text("#news-status")
        asked = submit_and_wait(page, "#btn-publish")
        assert asked and title in asked and area_name in asked, asked
        assert "已发布" in page.inner_text("#news-status"), flash_text(page)
        b.shot(page, "19-news-published")
        ctx.close()

        ctx, page = b.open()
        b.go(page, f"/area/{public_code}")
        assert page.inner_text("#area-name").strip() == area_name
        assert COMPANY in page.inner_text("#area-company")
        news = page.inner_text("#section-news")
        assert title in news, page.inner_text("body")[:1500]
        b.shot(page, "20-area-public")
        with page.expect_navigation():
            page.click(f"#section-news a:has-text('{title}')")
        assert "停水" in page.inner_text("body")
        b.shot(page, "21-news-public")
        ctx.close()

        assert_offline(b.requests, live_server)
        for name, found in b.problems.items():
            print("PROBLEM", name, found)
        assert not b.problems, b.problems
    finally:
        b.close()


def _area_of_ent_a(app, stamp):
    """A fresh area served by ent_a (unique name): (id, name, public_code)."""
    from app.property.models import PropertyArea
    from app.system.models import Organization

    def make():
        org = db.session.execute(select(Organization).where(Organization.name == COMPANY)).scalars().one()
        area = PropertyArea(name=f"浏览器诚信小区{stamp}", district_code="500103", street_code="500103001",
                            company_org_id=org.id, address="重庆市渝中区诚信路8号")
        area.fill_region()
        db.session.add(area)
        db.session.commit()
        return area.id, area.name, area.public_code

    return _db(app, make)


def test_good_behaviour_in_the_browser(app, live_server, browser, tmp_path):
    from app.core.workflow import Application
    from app.credit.models import CreditRecord
    from app.property.honour import services as honour

    stamp = _stamp()
    area_id, area_name, public_code = _area_of_ent_a(app, stamp)
    title = f"浏览器义务植树{stamp[-5:]}"
    b = Browse(browser, live_server)
    try:
        # --- ent_a: 诚信登记 with evidence ------------------------------------------------------------
        ctx, page = b.open("ent_a")
        b.go(page, "/property/honour/new")
        page.select_option("#f-area_id", label=area_name)
        page.select_option("#f-category", label="公益活动")
        page.fill("#f-title", title)
        page.fill("#f-happened_on", (date.today() - timedelta(days=10)).isoformat())
        page.fill("#f-description", "物业服务中心组织业主在小区绿地义务植树50株。")
        page.set_input_files("#f-files", _pdf(tmp_path, "表彰文件.pdf"))
        b.shot(page, "31-honour-form")
        submit_and_wait(page, "#btn-submit")
        assert "/property/honour/show/" in page.url, (page.url, page.inner_text("body")[:800])
        pk = int(re.search(r"/show/(\d+)", page.url).group(1))
        assert "表彰文件.pdf" in page.inner_text("#honour-files")
        b.shot(page, "32-honour-submitted")
        ctx.close()

        # --- the reviewer accepts: the publicity starts ---------------------------------------------
        ctx, page = b.open("reviewer")
        assert _decide(b, page, pk, "accept", shot="33-honour-accepted") == "已受理"
        ctx.close()

        # --- anyone: the public page, and an objection with an SMS code --------------------------
        ctx, page = b.open()
        b.go(page, f"/area/{public_code}")
        section = page.inner_text("#section-honour")
        assert title in section and "公示中" in section, page.inner_text("body")[:1500]
        b.shot(page, "34-area-public-publicity")
        with page.expect_navigation():
            page.click(f"#section-honour a:has-text('{title}')")
        b.shot(page, "35-honour-public")
        with page.expect_navigation():
            page.click("#btn-object")
        wait_for_captcha(page)
        mobile = fresh_mobile("1356")
        objection = "该活动实际只种了20株，申报数量不实。"
        page.fill("#f-name", "吴异议")
        page.fill("#f-mobile", mobile)
        page.fill("#f-sms_code", request_sms_code(page, app, mobile))
        page.fill("#f-content", objection)
        b.shot(page, "36-objection-form")
        submit_and_wait(page, "#btn-submit")
        assert "异议已收到" in flash_text(page) or "已收到" in flash_text(page), \
            (flash_text(page), page.inner_text("body")[:800])
        ctx.close()

        # --- the publicity ends (its window moved into the past) ----------------------------------
        def end_publicity():
            p = honour.publicity_of(db.session.get(Application, pk))
            p.starts_at, p.ends_at = datetime.now() - timedelta(days=10), datetime.now() - timedelta(minutes=1)
            db.session.commit()

        _db(app, end_publicity)

        # --- the reviewer reads the objection and approves -----------------------------------------
        ctx, page = b.open("reviewer")
        b.go(page, f"/property/honour/show/{pk}")
        assert page.inner_text("#objection-count").strip() == "1"
        assert objection in page.inner_text("#honour-objections")
        b.shot(page, "37-honour-objections")
        assert _decide(b, page, pk, "approve", shot="38-honour-approved") == "审核通过"
        ctx.close()

        ctx, page = b.open()
        b.go(page, f"/area/{public_code}")
        section = page.inner_text("#section-honour")
        assert title in section and "已公告" in section, section
        b.shot(page, "39-area-public-announced")
        ctx.close()

        records = _db(app, lambda: [(r.org_id, r.score_type, r.score) for r in db.session.execute(
            select(CreditRecord).where(CreditRecord.source_type == "good_behaviour",
                                       CreditRecord.source_key == str(pk))).scalars()])
        org_id = _db(app, lambda: db.session.get(Application, pk).org_id)
        assert len(records) == 1 and records[0][0] == org_id, records
        assert records[0][1] == "bonus" and records[0][2] > 0, records

        assert_offline(b.requests, live_server)
        for name, found in b.problems.items():
            print("PROBLEM", name, found)
        assert not b.problems, b.problems
    finally:
        b.close()
