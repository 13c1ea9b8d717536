"""Every menu page, visited as sysadmin in a real browser, is Chinese: no English UI words."""
import re

from tests.browser.conftest import sign_in

ENGLISH_UI = ["List", "Add", "Edit", "Delete", "Search", "Actions", "Record Count", "Security",
              "Show", "Cancel", "Save", "Back", "Refresh", "Users", "Roles", "Permissions",
              "Statistics", "Logout", "Language", "Welcome", "No records found", "Remove",
              "Filter", "Page size"]


def menu_links(page):
    hrefs = page.eval_on_selector_all(
        "ul.navbar-nav a[href]", "els => els.map(e => e.getAttribute('href'))")
    return sorted({h for h in hrefs if h and h.startswith("/") and not h.startswith("/lang")
                   and not h.startswith("/logout") and h != "#"})


def english_words(text):
    found = []
    for word in ENGLISH_UI:
        if re.search(r"(?<![A-Za-z_])" + re.escape(word) + r"(?![A-Za-z_])", text):
            found.append(word)
    return found


def test_every_menu_page_is_chinese(live_server, page):
    sign_in(page, live_server, "admin")
    assert "欢迎" in page.inner_text("body")
    links = menu_links(page)
    assert len(links) >= 10, links
    problems = {}
    for href in links:
        page.goto(live_server + href)
        # UI chrome only: data cells may hold English by right (e.g. a dictionary's English label).
        text = page.evaluate("""() => { const b = document.body.cloneNode(true);
            b.querySelectorAll('table.table-hover tbody td').forEach(td => td.remove());
            return b.innerText; }""")
        words = english_words(text)
        if words:
            problems[href] = words
    assert not problems, problems


def test_list_search_and_export_buttons_in_chinese(live_server, page):
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/organizationview/list/")
    body = page.inner_text("body")
    assert "导出Excel" in body and "导入Excel" in body and "搜索" in body
    page.screenshot(path="/tmp/anju-org-list.png", full_page=True)
