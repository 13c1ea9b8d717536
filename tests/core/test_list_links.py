"""The list page's sort, page and page-size links (app/core/lists/links.py) are FAB's own, built
from the request once: the same URL for every kind of query a list is opened with."""
import pytest
from flask_appbuilder.filters import TemplateFilters

from app.core.lists import links as list_links

QUERIES = [
    "",
    "?_oc_StaffView=name&_od_StaffView=asc",
    "?_oc_StaffView=post&_od_StaffView=desc&page_StaffView=3",
    "?_flt_0_status=left&psize_StaffView=50",
    "?_flt_0_org=%E9%BE%99%E8%85%BE&_flt_0_org=%E5%8F%A6",          # a repeated argument: the first
    "?_flt_2_name=a%20b%26c%3Dd%2B%25&x=%E2%80%9C%22'%3C%3E",        # spaces, & = + % quotes < >
    "?page_StaffView=2&_flt_0_hired_on=2026-01-01&exact_count=1",
    "?empty=&_od_StaffView=asc",                                     # a direction without a column
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_links_are_fabs(app, query):
    fab = TemplateFilters.__new__(TemplateFilters)
    with app.test_request_context("/staff/list/" + query):
        for column in ("name", "post", "id"):
            assert list_links.link_order(column, "StaffView") == fab.link_order_filter(column, "StaffView")
        for page in (0, 1, 7):
            assert list_links.link_page(page, "StaffView") == fab.link_page_filter(page, "StaffView")
        for size in (10, 100):
            assert list_links.link_page_size(size, "StaffView") == fab.link_page_size_filter(size, "StaffView")


def test_a_list_page_renders_them(app, login):
    html = login("admin").get("/staff/list/?_oc_StaffView=name&_od_StaffView=asc").get_data(as_text=True)
    assert 'href="/staff/list/?_oc_StaffView=post&amp;_od_StaffView=desc"' in html
    assert "/staff/list/?_oc_StaffView=name&amp;_od_StaffView=asc&amp;psize_StaffView=50" in html


def test_static_links_are_kept_per_script_root(app):
    """The frame's static files are linked as url_for links them, under whatever path the
    console is served from (app/core/chrome.py keeps them per script root)."""
    url_for = app.jinja_env.globals["url_for"]
    for base, prefix in (("http://localhost/", ""), ("http://localhost/anju/", "/anju"), ("http://localhost/", "")):
        with app.test_request_context("/", base_url=base):
            from flask import url_for as plain

            for endpoint, name in (("static", "anju/anju.css"), ("appbuilder.static", "css/bootstrap.min.css")):
                assert url_for(endpoint, filename=name) == plain(endpoint, filename=name)
                assert url_for(endpoint, filename=name).startswith(prefix + "/static/")
            assert url_for("StaffView.list") == plain("StaffView.list")
            assert url_for("static", filename="a b.css", v="2") == plain("static", filename="a b.css", v="2")



def _fab_init_assets(app, block):
    """The tags FAB's own appbuilder/init.html writes in one block, rendered by Jinja."""
    import re

    source = app.jinja_env.loader.get_source(app.jinja_env, "appbuilder/init.html")[0]
    body = re.search(r"{%% block %s %%}(.*?){%% endblock %%}" % block, source, re.S).group(1)
    html = app.jinja_env.from_string("{% import 'appbuilder/baselib.html' as baselib with context %}" + body).render(
        appbuilder=app.appbuilder)
    return re.findall(r"<(?:link|script)[^>]*>", html)


@pytest.mark.parametrize("base", ["http://localhost/", "http://localhost/anju/"])
def test_the_frame_links_fabs_files_as_fabs_page_did(app, base):
    """anju/init.html writes FAB's stylesheets and scripts from chrome.asset_tags, once per
    app and script root: the same tags, in the same order, as FAB's appbuilder/init.html."""
    import re

    from app.core import chrome

    with app.test_request_context("/", base_url=base):
        for block in ("head_css", "head_js", "tail_js"):
            ours = re.findall(r"<(?:link|script)[^>]*>", str(chrome.asset_tags(block)))
            assert ours and ours == _fab_init_assets(app, block)
            assert all(("/anju/static/" if "anju/" in base else '"/static/') in tag for tag in ours)


def test_every_page_links_each_file_once(app, login, client):
    pages = [(login("admin"), "/staff/list/"), (login("admin"), "/"), (client, "/login/")]
    for who, url in pages:
        html = who.get(url).get_data(as_text=True)
        for filename in ("css/bootstrap.min.css", "js/jquery-latest.js", "js/ab.js", "css/ab.css"):
            assert html.count("/static/appbuilder/" + filename) == 1, (url, filename)
        assert html.index("jquery-latest.js") < html.index("js/bootstrap.min.js") < html.index("appbuilder/js/ab.js")


def test_scripts_carry_a_csp_nonce_when_one_is_set(app, login):
    """With a CSP nonce provider (e.g. Talisman's csp_nonce), FAB's scripts and the pages that
    call baselib.get_nonce() carry the request's nonce; without one, an empty attribute."""
    import itertools

    counter = itertools.count(1)
    app.jinja_env.globals["csp_nonce"] = lambda: f"n{next(counter)}"
    try:
        html = login("admin").get("/staff/list/").get_data(as_text=True)
    finally:
        del app.jinja_env.globals["csp_nonce"]
    assert 'js/jquery-latest.js" nonce="n' in html
    html = login("admin").get("/staff/list/").get_data(as_text=True)
    assert 'js/jquery-latest.js" nonce=""' in html


def _squeeze(html):
    import re

    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


@pytest.mark.parametrize("page,count", [(0, 0), (0, 20), (0, 21), (0, 200), (3, 200), (9, 200), (5, 1000),
                                        (0, 10001), (499, 10001), (2, 61)])
def test_the_page_links_are_fabs_macro(app, page, count):
    from app.core.lists import rows as list_rows

    macro = app.jinja_env.from_string(
        "{% import 'appbuilder/general/lib.html' as lib %}{{ lib.render_pagination(page, 20, count, 'StaffView') }}")
    with app.test_request_context("/staff/list/?_flt_0_status=left&page_StaffView=3"):
        assert _squeeze(list_rows.pagination(page, 20, count, "StaffView")) == _squeeze(
            macro.render(page=page, count=count))


def test_the_head_and_page_sizes_read_as_before(app):
    from app.core.lists import rows as list_rows

    with app.test_request_context("/staff/list/?_oc_StaffView=post&_od_StaffView=asc"):
        head = str(list_rows.head(["name", "post", "status", "id"], ["name", "post"],
                                  {"name": "姓名", "post": "岗位<职务>", "status": "状态", "id": "ID"}, "StaffView",
                                  checkboxes=True, row_links=True))
        assert head.startswith('<tr><th class="anju-col-check"><input type="checkbox" class="anju-check-all"')
        assert '<th class="anju-col-no">序号</th>' in head and "操作</th></tr>" in head
        assert 'href="/staff/list/?_oc_StaffView=name&amp;_od_StaffView=desc">姓名' in head   # FAB's toggle
        assert "岗位&lt;职务&gt;" in head and "fa-sort-asc" in head and head.count("fa-sort text-muted") == 1
        assert "<th>状态</th>" in head and "<th>ID</th>" in head
        sizes = str(list_rows.page_size_options([10, 20, 50], 20, "StaffView"))
        assert sizes.count("<option") == 3 and ' selected>20</option>' in sizes
        assert 'value="/staff/list/?_oc_StaffView=post&amp;_od_StaffView=asc&amp;psize_StaffView=50"' in sizes
