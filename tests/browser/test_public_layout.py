"""The citizen-facing pages in a real browser, at 1,280 px and on a 390 px phone: the public
layout (no admin menu), Chinese, no sideways scrolling, no JavaScript error; screenshots go
to bench/out/public/. And the SMS button's early check: a wrong ID number is pointed out
before any code is asked for."""
import os
import re

import pytest
from sqlalchemy import func, select

from tests.accounts.helpers import new_id, new_mobile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "out", "public")

PAGES = [
    ("login", "/login/"), ("login-sms", "/login/?tab=sms"), ("register", "/register/"),
    ("register-person", "/register/person"), ("register-org", "/register/org"),
    ("register-staff", "/register/staff"), ("agreement", "/register/agreement"),
    ("lookup", "/enterprise-lookup?code=91500103MA5U7A1B23"), ("complaint-new", "/complaint/new"),
    ("complaint-track", "/complaint/track"),
]
WIDTHS = [(1280, 900), (390, 844)]
# Words a Chinese page may show in Latin letters: the language switch's own name, file types.
ALLOWED = {"english", "pdf", "jpg", "jpeg", "png", "docx", "xlsx"}


def _watch_errors(page):
    errors = []
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location.get('url', '')}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("width,height", WIDTHS)
def test_public_pages_fit_are_chinese_and_have_no_admin_menu(live_server, browser, width, height):
    os.makedirs(OUT, exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    errors = _watch_errors(page)
    problems = {}
    try:
        for name, url in PAGES:
            page.goto(live_server + url)
            page.wait_for_load_state("networkidle")
            found = []
            if not page.query_selector("#public-header") or not page.query_selector("#public-footer"):
                found.append("not the public layout")
            if page.query_selector(".navbar, ul.navbar-nav, .anju-sidebar, #sidebar"):
                found.append("admin menu")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                found.append(f"{overflow}px sideways overflow")
            text = page.inner_text("body")
            if not re.search(r"[\u4e00-\u9fff]", text) or "安居管理台" not in text:
                found.append("not Chinese")
            words = sorted({w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in ALLOWED})
            if words:
                found.append(f"English: {words[:10]}")
            page.screenshot(path=os.path.join(OUT, f"{name}-{width}.png"), full_page=True)
            if found:
                problems[url] = found
        assert not problems, problems
        assert not errors, errors
    finally:
        context.close()


def test_sms_button_points_out_a_wrong_id_number_before_asking(live_server, page, app):
    from app.core.sms import SmsMessage
    from app.extensions import db

    errors = _watch_errors(page)
    mobile = new_mobile()
    good = new_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.goto(live_server + "/register/person")
    page.fill("#f-name", "王早查")
    page.fill("#f-id_number", bad)
    page.fill("#f-mobile", mobile)
    page.fill("#f-captcha", "TEST")
    page.click("#btn-sms")
    page.wait_for_selector("#sms-msg.text-danger")
    assert "请检查证件号码" in page.inner_text("#sms-msg")
    with app.app_context():
        sent = db.session.execute(select(func.count()).select_from(SmsMessage)
                                  .where(SmsMessage.mobile == mobile)).scalar()
    assert sent == 0
    assert not errors, errors
