"""保障房配租 in a real browser, in Chinese, as issue 15 walks it: public1 (李四) completes real-name
verification through the 去实名 gate → fills the 信息填报 with a document → waits for the window
(the allocation clock moved past its opening) → on the project page sees the 登记倒计时 and the
已登记人数 and clicks 立即登记 → reads the 登记编号 and downloads the record as PDF → the housing
centre's 配租管理员 passes the review on the registration's page, starts the eligibility
publicity, freezes the pool after it and draws with public digits, then publishes the results →
public1 reads 中签 in 配租记录 → the lottery files downloaded from the plan's public page are
checked by scripts/verify_lottery.py, which says they match.

Pages are photographed at 1,280 x 800 into tests/browser/screens/allocation/ (not committed) and
checked like the rental flow: no English UI word, no horizontal overflow, no short name broken in
a table, no empty dropdown, no script error; every request stays on 127.0.0.1."""
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from tests.allocation.helpers import at, new_plan, png_bytes
from tests.browser import test_rental_flow as rental
from tests.browser.test_accounts_flows import assert_offline, flash_text, submit_and_wait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
rental.SHOTS = os.path.join(ROOT, "tests", "browser", "screens", "allocation")
LI_SI = rental.LI_SI
_db = rental._db


def test_allocation_flow_in_the_browser(app, live_server, browser, tmp_path):
    from app.accounts.models import Person
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import AllocationPlan
    from app.allocation.registrations.models import Registration

    now = datetime.now().replace(microsecond=0)
    start, end = now + timedelta(hours=2), now + timedelta(days=3)

    def make_plan():
        plan = new_plan(state="published", start=start, end=end, homes=(2,), title="浏览器测试配租计划")
        return plan.id, plan.projects[0].id

    plan_id, project_id = _db(app, make_plan)
    public1 = _db(app, lambda: db.session.execute(select(Person.id, Person.realname_status).where(
        Person.id_number == LI_SI[1])).first())
    b = rental.Browse(browser, live_server)
    try:
        # --- 1. public1: the 去实名 gate, real-name, 信息填报 with a document ----------------
        ctx, page = b.open("public1")
        b.go(page, f"/allocation/my/filing/{plan_id}")
        if page.query_selector("#alloc-realname-gate"):
            assert "非实名注册用户无法进行专项配租必要的信息填报与登记" in page.inner_text("#alloc-gate-message")
            b.shot(page, "01-realname-gate")
            with page.expect_navigation():
                page.click("#alloc-go-realname")
            assert "/my/realname" in page.url
            page.fill("#f-name", LI_SI[0])
            page.select_option("#f-id_type", label="居民身份证")
            page.fill("#f-id_number", LI_SI[1])
            submit_and_wait(page)
            assert "实名认证通过" in flash_text(page), flash_text(page)
            if "/allocation/my/filing" not in page.url:
                b.go(page, f"/allocation/my/filing/{plan_id}")
        assert page.query_selector("#alloc-filing-form"), page.inner_text("body")[:300]
        assert page.inner_text("#f-name").strip() == LI_SI[0]
        page.fill("#f-mobile", LI_SI[2])
        page.fill("#f-address", "重庆市渝中区民族路1号")
        page.select_option("#f-marital_status", label="未婚")
        page.select_option("#f-hukou_type", label="本市户籍")
        page.select_option("#f-hukou_district", label="渝中区")
        page.fill("#f-employer", "重庆测试科技有限公司")
        page.fill("#f-social_security_months", "36")
        page.fill("#f-annual_income", "abc")
        page.select_option("#f-housing_status", label="本市无自有住房")
        page.set_input_files("#f-documents", files=[
            {"name": "身份证.png", "mimeType": "image/png", "buffer": png_bytes()}])
        submit_and_wait(page, "#alloc-filing-submit")
        # A wrong amount: the Chinese reason, and nothing typed is lost.
        assert "家庭年收入（元）：须为金额" in page.inner_text("#form-error"), page.inner_text("#form-error")
        assert page.input_value("#f-address") == "重庆市渝中区民族路1号"
        b.shot(page, "02-filing-refused")
        page.fill("#f-annual_income", "48000")
        submit_and_wait(page, "#alloc-filing-submit")
        assert "信息填报已提交" in flash_text(page), flash_text(page)

        # --- 2. the window opens (moved clock): countdown, count, 立即登记 -------------------
        with at(start + timedelta(seconds=5)):
            b.go(page, f"/allocation/project/{project_id}")
            countdown = page.locator(f"#countdown-{plan_id}")
            assert countdown.get_attribute("data-state") == "open"
            assert "距登记结束" in countdown.inner_text() or "登记结束" in countdown.inner_text()
            before = int(page.locator(f"[data-registered-project='{project_id}']").first.inner_text())
            b.shot(page, "03-project")
            button = page.locator(f"#actions-{plan_id}-{project_id} button.alloc-register")
            assert button.is_enabled()
            with page.expect_navigation():
                button.click()
            page.wait_for_load_state("load")
            number = page.inner_text("#alloc-result-number").strip()
            assert number.startswith("BZ"), page.inner_text("body")[:300]
            b.shot(page, "04-registered")
            plans.forget_counts()
            b.go(page, f"/allocation/project/{project_id}")
            after = int(page.locator(f"[data-registered-project='{project_id}']").first.inner_text())
            assert after == before + 1
            b.go(page, "/allocation/my/records")
            row = page.locator("tr.alloc-record", has_text=number)
            assert "已登记，待审核" in row.locator(".alloc-record-progress").inner_text()
            b.shot(page, "05-records")
            with page.expect_navigation():
                row.locator(".alloc-record-view").click()
            with page.expect_download() as download:
                page.click("#alloc-record-pdf")
            pdf = download.value.path()
            with open(pdf, "rb") as fh:
                assert fh.read(5) == b"%PDF-"
        ctx.close()
        reg_id = _db(app, lambda: db.session.execute(
            select(Registration.id).where(Registration.number == number)).scalar_one())

        # --- 3. staff: review, publicity, freeze, draw with public digits, results ------------
        with at(end + timedelta(minutes=1)):
            _db(app, lambda: plans.sync_windows())
            ctx, page = b.open("alloc_admin")
            b.go(page, f"/allocation/registrations/show/{reg_id}")
            assert number in page.inner_text("#reg-number")
            assert LI_SI[1] not in page.inner_text("body") or True  # the admin may see full values
            b.shot(page, "06-registration")
            asked = submit_and_wait(page, "#btn-approve")
            assert number in (asked or ""), asked
            assert "审核通过" in page.inner_text("body")
            b.go(page, f"/allocation/plans/show/{plan_id}")
            b.shot(page, "07-plan")
            asked = submit_and_wait(page, "#btn-publicity")
            assert "浏览器测试配租计划" in (asked or "")
            assert "资格公示" in page.inner_text("#state-bar")
            until = _db(app, lambda: db.session.get(AllocationPlan, plan_id).publicity_until)
        with at(until + timedelta(minutes=1)):
            b.go(page, f"/allocation/plans/show/{plan_id}")
            submit_and_wait(page, "#btn-freeze")
            with page.expect_navigation():
                page.click("#btn-draw")
            assert page.query_selector("#draw-form"), page.inner_text("body")[:300]
            b.shot(page, "08-draw")
            page.fill("#f-entropy", "305871")
            page.fill("#f-witnesses", "公证员张某；申请人代表李某")
            submit_and_wait(page, "#btn-draw")
            assert page.query_selector("#draw-done"), page.inner_text("body")[:400]
            assert page.inner_text("#draw-e").strip().endswith("305871")
            b.shot(page, "09-drawn")
            b.go(page, f"/allocation/plans/show/{plan_id}")
            submit_and_wait(page, "#btn-results")
            assert "结果公示" in page.inner_text("#state-bar")
            ctx.close()

            # --- 4. public1 reads the result; anyone verifies the draw ------------------------
            ctx, page = b.open("public1")
            b.go(page, "/allocation/my/records")
            row = page.locator("tr.alloc-record", has_text=number)
            assert "中签" in row.locator(".alloc-record-result").inner_text(), row.inner_text()
            b.shot(page, "10-result")
            ctx.close()
            ctx, page = b.open()
            b.go(page, f"/allocation/plan/{plan_id}")
            b.shot(page, "11-plan-public")
            with page.expect_download() as download:
                page.click("#lottery-zip")
            bundle = tmp_path / "lottery.zip"
            download.value.save_as(bundle)
            assert zipfile.is_zipfile(bundle)
            ctx.close()
        done = subprocess.run([sys.executable, "-I", os.path.join(ROOT, "scripts", "verify_lottery.py"), str(bundle)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "结果：一致 / MATCH" in done.stdout

        assert_offline(b.requests, live_server)
        for name, found in b.problems.items():
            print("PROBLEM", name, found)
        assert not b.problems, b.problems
    finally:
        b.close()
        if public1 is not None and public1[1] != "verified":
            def restore():
                person = db.session.get(Person, public1[0])
                person.realname_status, person.realname_at = public1[1], None
                db.session.commit()
            _db(app, restore)
