"""The console as each role sees it in a real browser at 1,280 px: the home page and every menu
page open without a JavaScript error, in Chinese, without horizontal overflow; every list has
序号 and the inline search form; date pickers are Chinese. Screenshots of the main pages go to
docs/screenshots/ (the README shows them)."""
import os
import re

import pytest

from tests.browser.conftest import sign_in

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "docs", "screenshots")

ROLES = ["admin", "gov_admin", "reviewer", "district1", "street1", "ent_a", "pm_a", "helpdesk", "analyst"]

# Words of FAB's or our own English UI that must never reach a Chinese page.
ENGLISH_UI = ["List", "Add", "Edit", "Delete", "Search", "Actions", "Record Count", "Security",
              "Show", "Cancel", "Save", "Back", "Refresh", "Users", "Roles", "Permissions",
              "Statistics", "Logout", "Language", "Welcome", "No records found", "Remove",
              "Filter", "Page size", "Home", "Export", "Import", "Reset", "Today", "True", "False",
              "None", "OK", "Yes", "No row selected", "Select", "Profile"]

UI_TEXT = """() => { const b = document.body.cloneNode(true);
    // data cells and stored content may hold English by right
    b.querySelectorAll('table tbody td, .anju-data, script, style, pre, code').forEach(e => e.remove());
    return b.innerText; }"""


def english_words(text):
    return [w for w in ENGLISH_UI
            if re.search(r"(?<![A-Za-z_])" + re.escape(w) + r"(?![A-Za-z_])", text)]


def menu_links(page):
    hrefs = page.eval_on_selector_all("#anju-menu a[href]", "els => els.map(e => e.getAttribute('href'))")
    return sorted({h for h in hrefs if h and h.startswith("/") and h != "#"})


def check_page(page, url):
    """Problems found on the page now open."""
    problems = []
    words = english_words(page.evaluate(UI_TEXT))
    if words:
        problems.append(f"English: {words}")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"horizontal overflow {overflow}px")
    if page.query_selector(".anju-list"):
        if not page.query_selector("th.anju-col-no"):
            problems.append("list without 序号")
        if not page.query_selector("form#anju-search"):
            problems.append("list without the inline search form")
    date_input = page.query_selector("form#anju-search input.anju-date")
    if date_input:
        date_input.click()
        picker = page.wait_for_selector(".datepicker-dropdown", timeout=3000)
        text = picker.inner_text()
        if "一" not in text or "今天" not in text:
            problems.append(f"date picker not in Chinese: {text[:40]!r}")
        page.keyboard.press("Escape")
    return problems


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role(live_server, browser, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    try:
        sign_in(page, live_server, username)
        assert page.query_selector("#anju-sidebar"), "no left menu"
        assert page.query_selector("#anju-breadcrumb"), "no breadcrumbs"
        problems = {}
        home = check_page(page, "/")
        if home:
            problems["/"] = home
        if username in ("admin", "pm_a", "district1"):
            os.makedirs(SHOTS, exist_ok=True)
            page.screenshot(path=os.path.join(SHOTS, f"home-{username}.png"))
        links = menu_links(page)
        assert links, "no menu page"
        for href in links:
            response = page.goto(live_server + href)
            assert response.status < 400, (href, response.status)
            found = check_page(page, href)
            if found:
                problems[href] = found
        assert not problems, problems
        assert not errors, errors
    finally:
        context.close()


def test_list_page_layout_and_search(live_server, page):
    """The complaint list: inline search with a day range, 序号 from the page's first row, the key
    column linking to the detail, text buttons, 共 N 条, a page-size choice that keeps the search."""
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/complaints/list/")
    assert page.inner_text("th.anju-col-no") == "序号"
    assert page.query_selector("#anju-search .anju-daterange"), "no day range"
    page.click("#anju-search .anju-daterange [data-anju-range=month]")
    start = page.input_value("#anju-search .anju-daterange input.anju-date >> nth=0")
    assert re.fullmatch(r"\d{4}-\d{2}-01", start), start
    page.click("#anju-search-submit")
    page.wait_for_load_state("networkidle")
    assert start in page.url and "_flt_0_stage" not in page.url  # empty boxes are not sent
    assert re.search(r"共 \d+ 条|超过", page.inner_text("#anju-count"))
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "list-complaints.png"))
    # the search survives a change of page size
    page.select_option("select.anju-psize", index=0)
    page.wait_for_url(re.compile(r".*psize_ComplaintView=10.*"))
    assert start in page.url and "psize_ComplaintView=10" in page.url
    # the sidebar folds to icons and stays folded on the next page
    page.click("#anju-sidebar-toggle")
    page.goto(live_server + "/organizationview/list/")
    assert "anju-collapsed" in page.evaluate("document.body.className")


def test_advanced_filters_are_fetched_when_first_opened(live_server, page):
    """高级筛选 brings FAB's filter form from the list's own page on first opening; a filter added
    there searches, and the page it lands on holds that filter."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/complaints/list/")
    assert page.query_selector("#filter_form") is None
    page.click("#anju-advanced-toggle")
    page.wait_for_selector("#filter_form", state="visible")
    assert "添加过滤条件" in page.inner_text("#anju-advanced")
    page.click("#filter_form .dropdown-toggle")
    page.click("#filter_form a.filter[name=content]")
    box = page.wait_for_selector("#filter_form .filter_val[name$='_content']")
    box.fill("漏水")
    page.click("#filter_form button[type=submit]")
    page.wait_for_url(re.compile(r".*_flt_\d_content=.*"))
    assert "漏水" in page.evaluate("decodeURIComponent(location.search)")
    # the search in force shows on the page it lands on: in its inline box, or in the
    # advanced filters opened with the page
    name = re.search(r"(_flt_\d_content)=", page.url).group(1)
    inline = page.query_selector(f"#anju-search input[name='{name}']")
    if inline is not None:
        assert inline.input_value() == "漏水"
    else:
        assert page.query_selector("#anju-advanced.in #filter_form"), "the filter in force is not shown"
    assert not errors, errors


def test_back_returns_to_this_tabs_list(live_server, page):
    """返回 on a record's page goes to the list as this tab showed it (filters, sort, page),
    whatever another tab opened meanwhile; opened without a list in the tab, to the plain list."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "admin")
    filtered = "/users/list/?_oc_AnjuUserDBModelView=username&_od_AnjuUserDBModelView=desc&psize_AnjuUserDBModelView=50"
    page.goto(live_server + filtered)
    page.click("table a.anju-key >> nth=0")
    page.wait_for_url(re.compile(r".*/users/show/\d+"))
    other = page.context.new_page()               # another tab opens the plain list meanwhile
    other.goto(live_server + "/users/list/")
    page.click("a:has(i.fa-arrow-left)")
    page.wait_for_url(re.compile(r".*/users/list/.*"))
    assert page.url == live_server + filtered
    # A tab that opened the record directly: the plain list, from the server.
    record = other.get_attribute("table a.anju-key >> nth=0", "href")
    fresh = page.context.new_page()
    fresh.goto(live_server + record)
    fresh.click("a:has(i.fa-arrow-left)")
    fresh.wait_for_url(re.compile(r".*/users/list/$"))
    assert not errors, errors
