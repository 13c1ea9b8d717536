"""The accounts module in a real browser, in Chinese: a person registers, signs in and
verifies the real name; an enterprise registers and is approved by a reviewer; the
helpdesk finds a locked account (masked) and unlocks it. Every page stays offline."""
import itertools
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.validators import credit_code_check_char, id_check_char
from app.extensions import db
from tests.browser.conftest import sign_in, wait_for_captcha
from tests.conftest import DEMO_PASSWORD

PASSWORD = "Anju#2026ok"

# Unique values from a fixed counter (not the clock), in a range the other helpers' counters
# never reach: the same values every run.
_seq = itertools.count(50_500_000)


def fresh_mobile(prefix="139"):
    width = 11 - len(prefix)
    return f"{prefix}{next(_seq) % 10 ** width:0{width}d}"


def fresh_id(region="500103"):
    n = next(_seq)
    birth = date(1998, 1, 1) + timedelta(days=n % 2500)          # after 1997: Chongqing county codes exist
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def fresh_credit_code():
    body = f"91500103MA{next(_seq) % 10_000_000:07d}"
    return body + credit_code_check_char(body)


def latest_sms_code(app, mobile):
    """The newest SMS to a mobile, read from anju_sms_outbox; its 6-digit code."""
    from app.core.sms import SmsMessage

    with app.app_context():
        msg = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == mobile)
                                 .order_by(SmsMessage.id.desc()).limit(1)).scalars().first()
        assert msg is not None, f"no SMS to {mobile} in the outbox"
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", msg.content)
        assert found, msg.content
        return found.group(1)


def real_pdf(path):
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Business licence")
    pdf.save()
    assert path.read_bytes().startswith(b"%PDF")
    return path


@pytest.fixture
def browse(browser):
    """Open pages in new browser contexts (separate cookies), all watched for requests."""
    contexts, requests = [], []

    def open_page():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        context.on("request", lambda req: requests.append(req.url))
        contexts.append(context)
        return context.new_page()

    open_page.requests = requests
    yield open_page
    for context in contexts:
        context.close()


def assert_offline(requests, base):
    """Every request the pages made went to the console itself."""
    assert requests, "no requests were recorded"
    foreign = [u for u in requests if not u.startswith(base) and not u.startswith("data:")
               and not u.startswith("blob:")]
    assert not foreign, foreign


def flash_text(page):
    return " ".join(page.locator("div.alert").all_inner_texts())


def request_sms_code(page, app, mobile):
    """Type the picture code, click 获取验证码, wait for the success message, read the outbox."""
    page.fill("#f-captcha", "TEST")
    page.click("#btn-sms")
    page.wait_for_selector("#sms-msg.text-success, #sms-msg.text-danger", timeout=10_000)
    message = page.inner_text("#sms-msg")
    if "图形验证码" in message:
        # The picture code was drawn again after it was typed (a race of the page's image
        # request with the click): wait for the new one and ask once more.
        wait_for_captcha(page)
        page.fill("#f-captcha", "TEST")
        page.click("#btn-sms")
        page.wait_for_function("() => !document.querySelector('#sms-msg').innerText.includes('图形验证码')",
                               timeout=10_000)
        page.wait_for_selector("#sms-msg.text-success, #sms-msg.text-danger", timeout=10_000)
        message = page.inner_text("#sms-msg")
    assert "text-success" in page.get_attribute("#sms-msg", "class"), message
    assert "验证码已发送" in message, message
    # The button counts down and the picture code is cleared for the next use.
    assert page.is_disabled("#btn-sms")
    return latest_sms_code(app, mobile)


def submit_and_wait(page, selector="#btn-submit"):
    """Click and wait for the next page. An action that asks first (data-confirm, a Chinese
    dialog naming the record) is confirmed with 确定; the question asked is returned."""
    if not page.get_attribute(selector, "data-confirm"):
        with page.expect_navigation():
            page.click(selector)
        page.wait_for_load_state("load")
        return None
    page.click(selector)
    page.locator("#anju-confirm").wait_for(state="visible")
    asked = page.inner_text("#anju-confirm-text")
    with page.expect_navigation():
        page.click("#anju-confirm-ok")
    page.wait_for_load_state("load")
    return asked


def password_login(page, base, username, password, org=False, captcha=False):
    page.goto(base + "/login/" + ("?tab=org" if org else ""))
    if captcha:
        page.fill("#f-captcha", "TEST")
    page.fill("#username", username)
    page.fill("#password", password)
    submit_and_wait(page, "#btn-login")


# --- 1. personal registration → login → real-name ---------------------------------------------

def test_person_registers_logs_in_and_verifies_real_name(app, live_server, browse, tmp_path):
    from app.accounts.models import RealnameRegistry

    page = browse()
    name, mobile, id_number = "林浏览", fresh_mobile("1399"), fresh_id()

    page.goto(live_server + "/register/person")
    body = page.inner_text("body")
    for label in ("个人注册", "姓名", "证件类型", "证件号码", "手机号码", "图形验证码", "短信验证码", "确认密码"):
        assert label in body, label
    wait_for_captcha(page)
    page.fill("#f-name", name)
    page.select_option("#f-id_type", label="居民身份证")
    page.fill("#f-id_number", id_number)
    page.fill("#f-mobile", mobile)
    assert page.inner_text("#btn-sms").strip() == "获取验证码"
    code = request_sms_code(page, app, mobile)
    page.fill("#f-sms_code", code)
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirm", PASSWORD)
    submit_and_wait(page)

    assert "/login" in page.url, (page.url, flash_text(page))
    assert "注册成功，请登录" in flash_text(page)
    assert "个人登录" in page.inner_text("body")

    password_login(page, live_server, mobile, PASSWORD)
    assert page.url.endswith("/my/"), (page.url, flash_text(page))
    assert "未实名" in page.inner_text("#realname-state")
    profile = page.inner_text("#my-profile")
    assert name in profile and id_number[-4:] in profile and id_number not in profile

    # Test setup: the person is in the real-name registry (the import page has its own test).
    with app.app_context():
        db.session.add(RealnameRegistry(name=name, id_type="resident_id", id_number=id_number, source="公安"))
        db.session.commit()

    with page.expect_navigation():
        page.click("#go-realname")
    assert "/my/realname" in page.url
    assert "实名认证" in page.inner_text("h2")
    assert page.input_value("#f-id_number") == id_number
    page.fill("#f-name", "林不对")
    submit_and_wait(page)
    assert "未通过" in page.inner_text("#realname-state")
    assert "不一致" in page.inner_text("#realname-reason")
    assert "实名认证未通过" in flash_text(page)

    page.fill("#f-name", name)
    page.select_option("#f-id_type", label="居民身份证")
    page.fill("#f-id_number", id_number)
    submit_and_wait(page)
    assert page.url.endswith("/my/"), (page.url, flash_text(page))
    assert "已实名" in page.inner_text("#realname-state")
    assert page.query_selector("#go-realname") is None
    page.screenshot(path=str(tmp_path / "person-realname.png"), full_page=True)
    assert_offline(browse.requests, live_server)


# --- 2. organisation registration through reviewer approval -----------------------------------

def test_org_registers_and_is_approved_by_the_reviewer(app, live_server, browse, tmp_path):
    code, mobile = fresh_credit_code(), fresh_mobile("1398")
    ent_name = f"重庆浏览器{code[-5:]}物业服务有限公司"
    licence = real_pdf(tmp_path / "营业执照.pdf")

    page = browse()
    page.goto(live_server + "/register/org")
    body = page.inner_text("body")
    for label in ("机构注册", "注册城市", "所在区县", "企业类型", "统一社会信用代码", "企业名称", "法定代表人",
                  "机构注册协议"):
        assert label in body, label
    # The district list depends on the city.
    yuzhong = page.locator("#f-district_code option", has_text="渝中区")
    assert yuzhong.evaluate("o => o.hidden"), "districts are shown before a city is chosen"
    page.select_option("#f-city_code", label="重庆市")
    assert not yuzhong.evaluate("o => o.hidden")
    assert page.locator("#f-district_code option", has_text="东城区").evaluate("o => o.hidden")
    page.select_option("#f-district_code", label="渝中区")
    page.select_option("#f-enterprise_type", label="物业服务企业")
    page.fill("#f-credit_code", code)
    page.fill("#f-name", ent_name)
    page.fill("#f-legal_rep", "赵浏览")
    page.fill("#f-mobile", mobile)
    sms_code = request_sms_code(page, app, mobile)
    page.fill("#f-sms_code", sms_code)
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirm", PASSWORD)
    page.set_input_files("#f-files", str(licence))
    page.check("#f-agreed")
    submit_and_wait(page)
    assert "/login" in page.url, (page.url, flash_text(page))
    flashed = flash_text(page)
    assert "注册申请已提交" in flashed, flashed
    number = re.search(r"JG[0-9A-Za-z-]+", flashed).group(0)

    # The enterprise follows its application (企业登录 tab: credit code + password).
    page.click("#tab-org")
    page.wait_for_selector("label[for=username]:has-text('统一社会信用代码')")
    assert "企业登录" in page.inner_text("#login-tabs")
    page.fill("#username", code)
    page.fill("#password", PASSWORD)
    submit_and_wait(page, "#btn-login")
    assert page.url.endswith("/my/"), (page.url, flash_text(page))
    row = page.locator("#my-applications tr", has_text=number)
    assert "已提交" in row.locator("td.app-status").inner_text()

    # The reviewer, in a browser of its own, opens 业务单 from the menu.
    reviewer = browse()
    sign_in(reviewer, live_server, "reviewer", DEMO_PASSWORD)
    reviewer.click("#anju-menu a.anju-menu-group-toggle:has-text('账号与实名')")
    with reviewer.expect_navigation():
        reviewer.click("#anju-menu a:has-text('业务单')")
    assert "/applications/list" in reviewer.url
    assert "业务单" in reviewer.inner_text("body")
    reviewer_row = reviewer.locator("table tr", has_text=number)
    with reviewer.expect_navigation():
        reviewer_row.locator("a[href*='/applications/show/']").first.click()
    assert number in reviewer.inner_text("h2")
    assert "已提交" in reviewer.inner_text("#app-status")
    assert "营业执照.pdf" in reviewer.inner_text("#app-files")
    assert reviewer.inner_text("#btn-accept").strip() == "受理"
    submit_and_wait(reviewer, "#btn-accept")
    assert "已受理" in reviewer.inner_text("#app-status"), flash_text(reviewer)
    assert reviewer.inner_text("#btn-approve").strip() == "审核通过"
    submit_and_wait(reviewer, "#btn-approve")
    assert "审核通过" in reviewer.inner_text("#app-status"), flash_text(reviewer)
    history = reviewer.inner_text("#app-history")
    assert "受理" in history and "审核通过" in history
    reviewer.screenshot(path=str(tmp_path / "org-approved.png"), full_page=True)

    # The enterprise signs in again and works in the console.
    ent = browse()
    password_login(ent, live_server, code, PASSWORD, org=True)
    assert "/login" not in ent.url, flash_text(ent)
    resp = ent.goto(live_server + "/orgusers/list/")
    assert resp.status == 200 and "/orgusers/list" in ent.url
    console = ent.inner_text("body")
    assert "机构账号" in console and code in console and "企业管理员" in console, console

    ent.goto(live_server + f"/enterprise-lookup?code={code}")
    assert "审核通过" in ent.inner_text("#review-label")
    assert ent_name in ent.inner_text("#lookup-result")
    assert_offline(browse.requests, live_server)


# --- 3. helpdesk lookup and unlock ------------------------------------------------------------

def test_helpdesk_finds_a_locked_account_and_unlocks_it(app, live_server, browse, tmp_path):
    from tests.conftest import Client

    mobile, id_number = fresh_mobile("1397"), fresh_id()
    # A fresh public account, registered through the Flask test client.
    c = Client(app)
    token = c.token("/register/person")
    c.http.get("/captcha/sms.png")
    resp = c.http.post("/sms/send", data={"mobile": mobile, "purpose": "register", "captcha": "TEST",
                                          "csrf_token": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = c.form("/register/person", {"name": "韩锁定", "id_type": "resident_id", "id_number": id_number,
                                       "mobile": mobile, "sms_code": latest_sms_code(app, mobile),
                                       "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]

    page = browse()
    for attempt in range(1, 6):
        password_login(page, live_server, mobile, "Wrong#Pass99", captcha=attempt > 3)
        assert "/login" in page.url
        if attempt == 3:
            # After the 3rd failure the picture code field appears.
            page.goto(live_server + "/login/")
            assert page.is_visible("#f-captcha") and "图形验证码" in page.inner_text("#login-form")
        elif attempt < 3:
            assert page.query_selector("#f-captcha") is None, attempt
    message = flash_text(page)
    assert "锁定" in message, message
    # Even the right password is refused now.
    password_login(page, live_server, mobile, PASSWORD, captcha=True)
    assert "/login" in page.url and "锁定" in flash_text(page)

    helpdesk = browse()
    sign_in(helpdesk, live_server, "helpdesk", DEMO_PASSWORD)
    helpdesk.click("#anju-menu a.anju-menu-group-toggle:has-text('账号与实名')")
    with helpdesk.expect_navigation():
        helpdesk.click("#anju-menu a:has-text('客服查询')")
    assert "/helpdesk/" in helpdesk.url and "客服查询" in helpdesk.inner_text("h2")
    helpdesk.fill("#helpdesk-form input[name=q]", mobile)
    with helpdesk.expect_navigation():
        helpdesk.click("#helpdesk-form button[type=submit]")
    table = helpdesk.locator("#helpdesk-results")
    assert "共找到 1 个账号" in helpdesk.inner_text("body")
    assert table.locator("tbody tr").count() == 1
    row = table.locator("tbody tr").first
    text = row.inner_text()
    masked = mobile[:3] + "****" + mobile[-4:]
    assert masked in text, text
    assert re.search(r"1\d{2}\*{4}\d{4}", text)
    assert mobile not in helpdesk.inner_text("body")
    # No cell holds it either (only the search box and the forms' hidden q echo what was typed).
    cells = " ".join(table.locator("td").all_text_contents())
    assert mobile not in cells and id_number not in cells and id_number[-4:] in cells
    lock_state = row.locator("td.lock-state").inner_text()
    assert re.search(r"锁定至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", lock_state), lock_state
    assert row.locator("button.btn-unlock").inner_text().strip() == "解锁"
    with helpdesk.expect_navigation():
        row.locator("button.btn-unlock").click()
    assert "账号已解锁" in flash_text(helpdesk)
    row = helpdesk.locator("#helpdesk-results tbody tr").first
    assert row.locator("td.lock-state").inner_text().strip() == "正常"
    assert row.locator("button.btn-unlock").is_disabled()
    helpdesk.screenshot(path=str(tmp_path / "helpdesk-unlocked.png"), full_page=True)

    # The account signs in now (a new browser: no failure count in its session).
    again = browse()
    password_login(again, live_server, mobile, PASSWORD)
    assert again.url.endswith("/my/"), (again.url, flash_text(again))
    assert "未实名" in again.inner_text("#realname-state")
    assert_offline(browse.requests, live_server)
