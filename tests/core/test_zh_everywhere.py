"""Chinese everywhere FAB still showed English: every page a role reaches from its home page,
yes/no and datetimes in cells, role and permission names, system parameters, the blank choice
of selects, FAB's dialogs, and download file names."""
import html as html_lib
import re
from urllib.parse import unquote

import pytest

ROLES = ["admin", "gov_admin", "reviewer", "district1", "street1", "ent_a", "pm_a", "helpdesk", "analyst",
         "public1"]
# Words a Chinese console shows as they are.
ALLOWED = {"Excel", "PDF", "API", "OpenAPI", "IP", "ID", "QR", "SMS", "English", "Anju", "xlsx", "KB", "MB",
           # file types named as users know them
           "DOCX", "JPG", "PNG", "XLSX", "PDF", "docx", "jpg", "png", "pdf",
           # credit levels (信用等级 AAA, AA, A, B, C)
           "AAA", "AA"}
WORD = re.compile(r"(?<![A-Za-z0-9_.@-])[A-Za-z][A-Za-z']+(?![A-Za-z0-9_@])")
SECONDS = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


def ui_text(page):
    """The page's own words: no scripts, styles, attributes, data cells, choices of a select
    (data), or codes shown small beside their Chinese names."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->", " ", page)
    page = re.sub(r'(?s)<small class="text-muted anju-code">.*?</small>', " ", page)
    page = re.sub(r"(?s)<td[^>]*>.*?</td>|<option[^>]*>.*?</option>", " ", page)
    page = re.sub(r"(?s)<[^>]*>", "\n", page)
    return html_lib.unescape(page)


def shown_text(page):
    """What the page shows, data cells included (codes small beside their names aside)."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->", " ", page)
    page = re.sub(r'(?s)<small class="text-muted anju-code">.*?</small>', " ", page)
    page = re.sub(r"(?s)<option[^>]*>.*?</option>", " ", page)
    return html_lib.unescape(re.sub(r"(?s)<[^>]*>", "\n", page))


def english_words(page):
    return sorted({w for w in WORD.findall(ui_text(page)) if w not in ALLOWED})


def cells(page):
    """The text of every table cell."""
    return [html_lib.unescape(re.sub(r"(?s)<[^>]*>", "", c)).strip()
            for c in re.findall(r"(?s)<td[^>]*>(.*?)</td>", page)]


def links_from_home(c):
    home = c.get("/", follow_redirects=True).get_data(as_text=True)
    hrefs = set(re.findall(r'href="(/[^"#]*)"', home))
    return sorted(h for h in hrefs if not h.startswith(("/static", "/lang", "/logout", "/captcha")))


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_is_chinese(login, username):
    c = login(username)
    problems = {}
    for href in links_from_home(c):
        resp = c.get(href, follow_redirects=True)
        if resp.mimetype != "text/html":
            continue
        page = resp.get_data(as_text=True)
        words = english_words(page)
        if words:
            problems[href] = words
        shown = [t for t in cells(page) if t in ("True", "False", "None", "__None")]
        if shown:
            problems[href + " cells"] = shown
        if SECONDS.search(" ".join(cells(page))):
            problems[href + " seconds"] = SECONDS.findall(" ".join(cells(page)))[:3]
    assert not problems, problems


@pytest.mark.parametrize("url", ["/users/list/", "/users/show/1", "/jobs/list/", "/jobruns/list/",
                                 "/parameterview/list/", "/orgusers/list/", "/auditlogview/list/"])
def test_yes_no_and_minutes_in_cells(login, url):
    c = login("admin")
    if url == "/jobruns/list/":
        # A run to show: 立即执行 the cleanup job.
        page = c.get("/jobs/list/").get_data(as_text=True)
        from tests.conftest import csrf_token

        c.post("/jobs/action_post", data={"action": "run", "rowid": "system.cleanup",
                                          "csrf_token": csrf_token(page)})
    page = c.get(url).get_data(as_text=True)
    texts = cells(page)
    assert not [t for t in texts if t in ("True", "False", "None")], url
    assert not SECONDS.search(" ".join(texts)), url
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", " ".join(texts)), url
    if url in ("/users/list/", "/jobs/list/"):
        assert "是" in texts or "否" in texts


def test_role_and_permission_names_in_chinese(login):
    c = login("admin")
    roles = c.get("/roles/list/").get_data(as_text=True)
    assert "系统管理员" in roles and "未登录访客" in roles
    assert "查看列表 · " in roles
    for url in ("/roles/list/", "/roles/show/1", "/permissions/list/", "/viewmenus/list/",
                "/permissionviews/list/"):
        text = shown_text(c.get(url).get_data(as_text=True))
        assert "can_" not in text and "menu_access" not in text, url
        assert not re.search(r"[A-Z][a-z]+(?:View|Api)\b", text), url
        if "/show/" not in url:  # a role's page lists its users' account names (data)
            assert not [w for w in WORD.findall(text) if w not in ALLOWED], url
    assert "查看列表" in c.get("/permissions/list/").get_data(as_text=True)
    # The user list names roles by their labels.
    users = c.get("/users/list/").get_data(as_text=True)
    assert "系统管理员" in users and ">sysadmin<" not in users


def test_system_parameters_read_in_chinese(login):
    c = login("admin")
    page = c.get("/parameterview/list/?psize_ParameterView=100").get_data(as_text=True)
    texts = cells(page)
    assert "登录与安全" in texts and "security" not in texts
    # The Chinese label with the key small beside it.
    assert re.search(r'失败登录[^<]*<small class="text-muted anju-code">security\.lockout_threshold</small>', page) \
        or re.search(r'<small class="text-muted anju-code">security\.lockout_threshold</small>', page)
    assert "是" in texts and "true" not in texts and "false" not in texts
    assert not english_words(page)


def test_the_blank_choice_of_a_select_reads_please_choose(login):
    c = login("ent_a")
    page = c.get("/careplans/add").get_data(as_text=True)
    assert 'value="__None"' in page
    assert ">__None<" not in page and ">None<" not in page
    assert re.search(r'<option[^>]*value="__None"[^>]*>请选择</option>', page)


def test_fab_dialogs_in_chinese(login):
    c = login("admin")
    page = c.get("/jobs/list/").get_data(as_text=True)
    alert = re.search(r'(?s)<div class="modal fade" id="modal-alert".*?</div>\s*</div>\s*</div>\s*</div>', page)
    assert alert and "确定" in alert.group(0) and ">OK<" not in alert.group(0)
    script = re.search(r'<script src="/static/anju/dialogs\.js"[^>]*>', page).group(0)
    assert 'data-no-row="请先勾选要操作的记录"' in script
    assert 'data-ok="确定"' in script and 'data-cancel="取消"' in script


def _filename(resp):
    disposition = resp.headers["Content-Disposition"]
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    utf8 = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))
    assert fallback.isascii() and re.search(r"[A-Za-z0-9]", fallback)
    return utf8


def test_download_names_are_chinese(app, login):
    c = login("ent_a")
    assert _filename(c.get("/staff/template/")).endswith("-导入模板.xlsx")
    name = _filename(c.get("/staff/export/"))
    assert name.endswith(".xlsx") and not english_words(name)
    page = c.get("/staff/list/").get_data(as_text=True)
    pk = re.search(r"/staff/show/(\d+)", page).group(1)
    pdf = _filename(c.get(f"/staff/pdf/{pk}"))
    assert pdf.endswith(".pdf") and re.search(r"[\u4e00-\u9fff]", pdf)


def test_import_error_workbook_is_named_in_chinese(app, login):
    from io import BytesIO

    from openpyxl import Workbook

    c = login("ent_a")
    book = Workbook()
    sheet = book.active
    sheet.append(["无关的列"])
    sheet.append(["x"])
    data = BytesIO()
    book.save(data)
    from tests.conftest import csrf_token

    token = csrf_token(c.get("/staff/import/").get_data(as_text=True))
    page = c.post("/staff/import/", data={"csrf_token": token, "file": (BytesIO(data.getvalue()), "人员.xlsx")},
                  content_type="multipart/form-data").get_data(as_text=True)
    link = re.search(r'href="(/staff/import-errors/[^"]+)"', page)
    assert link, "no error workbook offered"
    assert _filename(c.get(link.group(1))).endswith("-导入错误.xlsx")
