"""信用管理 in a real browser, in Chinese, as the issue walks it: gov_admin imports a 记分标准
workbook → district1 applies for a deduction for ent_a with a PDF → the reviewer approves →
the publicity ends (the daily job at a moved clock) → ent_a sees the new score and level on
its home page → gov_admin cancels ent_a's old black list entry (注销) and proposes a new one,
the reviewer approves it, ent_a objects, the reviewer does not uphold the objection → the entry
takes effect and shows on the public 信息公示 without signing in → after the minimum period ent_a
applies for 信用修复 and the reviewer approves it. Every page stays offline."""
import re
from datetime import date, timedelta

import openpyxl
from sqlalchemy import select, update

from app.extensions import db
from tests.accounts.helpers import real_pdf
from tests.browser.conftest import sign_in
from tests.browser.test_accounts_flows import assert_offline, flash_text, submit_and_wait

RULE = "LL-K-001"
ENT_A = "重庆安居物业服务有限公司"


def _fill(template, rows, out):
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").lstrip("*").strip() for c in ws[1]]
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=r, column=headers.index(key) + 1, value=value)
    wb.save(out)


def _rule_row(**extra):
    row = {"信用规则编号": RULE, "计分事项": "浏览器测试：消防通道长期堵塞未整改", "类别": "物业服务", "计分类型": "扣分",
           "建议分值": 4, "最低分值": 2, "最高分值": 6, "操作类型": "人工记分", "严重程度": "一般", "有效期（月）": 12,
           "生效日期": date(2025, 1, 1), "启用": "是"}
    row.update(extra)
    return row


def _db(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def _open(browser, requests):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.on("request", lambda req: requests.append(req.url))
    return context, context.new_page()


def _as(browser, base, username, requests):
    context, page = _open(browser, requests)
    sign_in(page, base, username)
    return context, page


def _card(page):
    return page.inner_text("#home-card-credit-score")


def test_credit_life_in_the_browser(app, live_server, browser, tmp_path):
    from app.credit import jobs, scoring
    from app.credit.models import CreditListEntry, CreditObjection, CreditRecord, CreditRepair, ListStatus
    from app.system.models import Organization

    requests = []
    ent_a_id = _db(app, lambda: db.session.execute(select(Organization.id).where(Organization.name == ENT_A)).scalar_one())
    before = _db(app, lambda: (scoring.score_of(ent_a_id).score, scoring.score_of(ent_a_id).level))

    # 1. gov_admin: the template, a workbook refused as a whole, then the corrected one.
    ctx, page = _as(browser, live_server, "gov_admin", requests)
    page.goto(live_server + "/credit/rules/list/")
    assert "记分标准" in page.inner_text("body")
    page.click("#anju-import")
    with page.expect_download() as dl:
        page.click("#anju-template")
    template = tmp_path / "template.xlsx"
    dl.value.save_as(template)
    bad = tmp_path / "bad.xlsx"
    _fill(template, [_rule_row(), _rule_row(信用规则编号="LL-K-002", 最低分值=9)], bad)
    page.set_input_files("input[name=file]", str(bad))
    page.click("#anju-import-form button[type=submit]")
    errors = page.inner_text("#anju-import-errors")
    assert "3" in errors and "最低分值" in errors
    good = tmp_path / "good.xlsx"
    _fill(template, [_rule_row()], good)
    page.goto(live_server + "/credit/rules/import/")
    page.set_input_files("input[name=file]", str(good))
    page.click("#anju-import-form button[type=submit]")
    assert "1" in page.inner_text("#anju-import-ok")
    page.goto(live_server + "/credit/rules/list/")
    assert RULE in page.inner_text("body")
    ctx.close()

    # 2. district1 applies for a deduction for ent_a, with a PDF.
    pdf = tmp_path / "现场检查记录.pdf"
    pdf.write_bytes(real_pdf())
    ctx, page = _as(browser, live_server, "district1", requests)
    page.goto(live_server + "/credit/records/list/")
    page.click("#btn-propose")
    page.fill("#q", "安居物业")
    with page.expect_navigation():
        page.click("#btn-find")
    page.select_option("#f-org_id", str(ent_a_id))
    rule_value = page.eval_on_selector(
        "#f-rule_id", f"s => [...s.options].find(o => o.textContent.includes('{RULE}')).value")
    page.select_option("#f-rule_id", rule_value)
    page.fill("#f-score", "5")
    page.fill("#f-event_date", (date.today() - timedelta(days=3)).isoformat())
    page.fill("#f-facts", "2026年11月现场检查发现消防通道堵塞，责令整改后仍未整改。")
    page.set_input_files("#f-files", str(pdf))
    submit_and_wait(page)
    assert page.inner_text("#record-status").strip() == "待审核"
    assert "现场检查记录.pdf" in page.inner_text("#record-files")
    record_id = int(re.search(r"/credit/records/show/(\d+)", page.url).group(1))
    ctx.close()

    # 3. The reviewer approves: 公示中.
    ctx, page = _as(browser, live_server, "reviewer", requests)
    page.goto(live_server + f"/credit/records/show/{record_id}")
    asked = submit_and_wait(page, "#btn-approve")
    assert asked and "审核通过" in asked
    assert page.inner_text("#record-status").strip() == "公示中"
    ctx.close()

    # 4. The publicity ends: the daily job at the moment it ends.
    until = _db(app, lambda: db.session.get(CreditRecord, record_id).publicity_until)
    summary = _db(app, lambda: jobs.run_daily(moment=until))
    assert summary["effective"] >= 1
    assert _db(app, lambda: db.session.get(CreditRecord, record_id).status) == "effective"

    # 5. ent_a sees its new score and level on its home page.
    after = _db(app, lambda: (scoring.score_of(ent_a_id).score, scoring.score_of(ent_a_id).level))
    assert after[0] == before[0] - 5
    ctx, page = _as(browser, live_server, "ent_a", requests)
    page.goto(live_server + "/")
    assert _card(page).split() == [f"{after[1]}", "·", f"{after[0]}"] or f"{after[1]} · {after[0]}" in _card(page)
    ctx.close()

    # 6. gov_admin ends the demo black list entry (注销) and proposes a new one.
    old = _db(app, lambda: db.session.execute(select(CreditListEntry.id).where(
        CreditListEntry.org_id == ent_a_id, CreditListEntry.list_type == "black",
        CreditListEntry.status.in_(ListStatus.OPEN))).scalar())
    ctx, page = _as(browser, live_server, "gov_admin", requests)
    if old:
        page.goto(live_server + f"/credit/lists/show/{old}")
        page.fill("#reason-cancel", "原认定事项已整改完毕，予以注销")
        submit_and_wait(page, "#btn-cancel")
        assert page.inner_text("#list-status").strip() == "已注销"
    page.goto(live_server + "/credit/lists/list/")
    page.click("#btn-propose-list")
    page.fill("#f-q", "安居物业")
    with page.expect_navigation():
        page.click("#btn-find")
    page.select_option("#f-org_id", str(ent_a_id))
    page.select_option("#f-list_type", "black")
    page.fill("#f-reason", "一年内多次被扣分，消防通道堵塞拒不整改。")
    page.fill("#f-basis", f"信用记录（{RULE}）")
    submit_and_wait(page)
    assert page.inner_text("#list-status").strip() == "待审核"
    entry_id = int(re.search(r"/credit/lists/show/(\d+)", page.url).group(1))
    ctx.close()

    # 7. The reviewer approves the entry: 公示中.
    ctx, page = _as(browser, live_server, "reviewer", requests)
    page.goto(live_server + f"/credit/lists/show/{entry_id}")
    submit_and_wait(page, "#btn-approve")
    assert page.inner_text("#list-status").strip() == "公示中"
    ctx.close()

    # 8. ent_a objects with its reasons and a file.
    ctx, page = _as(browser, live_server, "ent_a", requests)
    page.goto(live_server + f"/credit/lists/show/{entry_id}")
    page.click("#btn-object")
    page.wait_for_load_state("load")
    page.fill("#f-reason", "消防通道已于当月清理，附整改照片说明。")
    page.set_input_files("#f-files", str(pdf))
    submit_and_wait(page)
    assert "异议" in flash_text(page)
    assert page.inner_text("#list-status").strip() == "异议处理中"
    ctx.close()

    # 9. The reviewer does not uphold the objection: the entry stands, in publicity.
    objection_id = _db(app, lambda: db.session.execute(select(CreditObjection.id).where(
        CreditObjection.subject_type == "list", CreditObjection.subject_id == entry_id)).scalar_one())
    ctx, page = _as(browser, live_server, "reviewer", requests)
    page.goto(live_server + f"/credit/objections/show/{objection_id}")
    page.fill("#reason-reject", "经复核，整改照片拍摄于检查之前，异议不成立。")
    submit_and_wait(page, "#btn-reject")
    assert page.inner_text("#objection-status").strip() == "异议不成立"
    page.goto(live_server + f"/credit/lists/show/{entry_id}")
    assert page.inner_text("#list-status").strip() == "公示中"
    ctx.close()

    # 10. The publicity ends; the entry shows on 信息公示 to anyone, without signing in.
    until = _db(app, lambda: db.session.get(CreditListEntry, entry_id).publicity_until)
    _db(app, lambda: jobs.run_daily(moment=until))
    assert _db(app, lambda: db.session.get(CreditListEntry, entry_id).status) == "effective"
    ctx, page = _open(browser, requests)
    page.goto(live_server + "/credit/public/?q=安居物业服务")
    body = page.inner_text("body")
    assert ENT_A in body and "黑名单" in body
    page.click(f"text={ENT_A}")
    page.wait_for_load_state("load")
    detail = page.inner_text("body")
    assert "一年内多次被扣分" in detail and "生效" in detail
    assert "登录" in detail               # the public layout, not the console
    page.screenshot(path=str(tmp_path / "credit-public.png"), full_page=True)
    ctx.close()

    # 11. Time passes (the entry has been in effect past the minimum period): ent_a applies for 信用修复.
    def age_entry():
        entry = db.session.get(CreditListEntry, entry_id)
        shift = timedelta(days=100) + (entry.valid_from - entry.publicity_from)
        db.session.execute(update(CreditListEntry).where(CreditListEntry.id == entry_id).values(
            valid_from=entry.valid_from - shift, valid_until=entry.valid_until - shift,
            publicity_from=entry.publicity_from - shift, publicity_until=entry.publicity_until - shift))
        db.session.commit()
    _db(app, age_entry)
    ctx, page = _as(browser, live_server, "ent_a", requests)
    page.goto(live_server + f"/credit/lists/show/{entry_id}")
    page.click("#btn-apply-repair")
    page.wait_for_load_state("load")
    page.fill("#f-statement", "已完成消防通道整改并建立每日巡查制度，附整改报告。")
    page.set_input_files("#f-files", str(pdf))
    submit_and_wait(page)
    repair_id = _db(app, lambda: db.session.execute(select(CreditRepair.id).where(
        CreditRepair.entry_id == entry_id)).scalar_one())
    ctx.close()

    # 12. The reviewer approves the repair: the entry ends early, shown in its history.
    ctx, page = _as(browser, live_server, "reviewer", requests)
    page.goto(live_server + f"/credit/repairs/show/{repair_id}")
    page.fill("#reason-approve", "整改到位，同意信用修复。")
    submit_and_wait(page, "#btn-approve")
    assert "审核通过" in page.inner_text("#repair-status")
    page.goto(live_server + f"/credit/lists/show/{entry_id}")
    assert page.inner_text("#list-status").strip() == "已信用修复"
    assert "信用修复" in page.inner_text("#list-history")
    ctx.close()
    ctx, page = _as(browser, live_server, "ent_a", requests)
    page.goto(live_server + "/")
    assert page.query_selector("#home-card-credit-blacklist") is None
    ctx.close()
    assert_offline(requests, live_server)
