"""Every list as the base renders it (app/core/lists/search.py, anju/widgets/list.html): the inline
search with whole-day ranges, 序号, the key column linking to the detail, text buttons, page
sizes within the cap, empty boxes dropped, masked columns searched only by the exact value, and
the frame around it (menu, breadcrumbs)."""
import re
from datetime import datetime

from sqlalchemy import select

from app.complaints.models import Complaint
from app.extensions import db
from tests.complaints.helpers import file_complaint


def _inline_names(html, column):
    return re.findall(r'name="(_flt_\d+_' + re.escape(column) + r')"', html)


def test_day_range_includes_both_whole_days(app, login):
    moments = {"first": datetime(2026, 3, 1, 0, 0), "last": datetime(2026, 3, 31, 23, 59),
               "after": datetime(2026, 4, 1, 0, 0), "before": datetime(2026, 2, 28, 23, 59)}
    numbers = {}
    with app.app_context():
        for key, moment in moments.items():
            c = file_complaint(content=f"范围测试{key}")
            c.submitted_at = moment
            numbers[key] = c.number
        db.session.commit()
    c = login("admin")
    html = c.get("/complaints/list/").get_data(as_text=True)
    names = _inline_names(html, "submitted_at")
    assert len(names) == 2, names  # 从 … 至 …
    assert "今天" in html and "本周" in html and "本月" in html
    html = c.get(f"/complaints/list/?{names[0]}=2026-03-01&{names[1]}=2026-03-31&psize_ComplaintView=100"
                 ).get_data(as_text=True)
    assert numbers["first"] in html and numbers["last"] in html
    assert numbers["after"] not in html and numbers["before"] not in html
    # the boxes keep what was typed
    assert 'value="2026-03-01"' in html and 'value="2026-03-31"' in html


def test_a_day_that_is_not_a_day_is_no_filter(app, login):
    c = login("admin")
    html = c.get("/complaints/list/").get_data(as_text=True)
    name = _inline_names(html, "submitted_at")[0]
    response = c.get(f"/complaints/list/?{name}=2026-13-45")
    assert response.status_code == 200


def test_row_numbers_continue_across_pages_and_key_links_to_detail(app, login):
    c = login("admin")
    html = c.get("/organizationview/list/?psize_OrganizationView=10&page_OrganizationView=0").get_data(as_text=True)
    assert "序号" in html
    first_page = re.findall(r'<td class="anju-col-no">(\d+)</td>', html)
    assert first_page[:3] == ["1", "2", "3"]
    links = re.findall(r'<a href="(/organizationview/show/\d+)" class="anju-key">', html)
    assert links, "the name column links to the detail"
    assert c.get(links[0]).status_code == 200
    # the demo city has 7 organisations: pages of 3 put the 4th first on page 2
    html = c.get("/organizationview/list/?psize_OrganizationView=3&page_OrganizationView=1").get_data(as_text=True)
    second = re.findall(r'<td class="anju-col-no">(\d+)</td>', html)
    assert second == ["4", "5", "6"]


def test_toolbar_and_row_actions_are_text(app, login):
    c = login("admin")
    html = c.get("/organizationview/list/").get_data(as_text=True)
    assert re.search(r'id="anju-add"[^>]*>\s*<i[^>]*></i>\s*新增', html)
    assert re.search(r'id="anju-export"[^>]*>\s*<i[^>]*></i>\s*导出', html)
    assert ">查看</a>" in html and ">编辑</a>" in html and ">删除</button>" in html
    assert re.search(r"共 \d+ 条", html)
    # the delete button asks first, naming the record
    names = re.findall(r'data-confirm="确定要删除「([^」]+)」吗？', html)
    assert names and all(n.strip() for n in names)


def test_page_sizes_offered_within_the_cap(app, login):
    from app.system.models import Parameter

    c = login("admin")
    html = c.get("/organizationview/list/").get_data(as_text=True)
    sizes = re.findall(r'<option value="[^"]*psize_OrganizationView=(\d+)[^"]*"', html)
    assert sizes == ["10", "20", "50", "100"]
    with app.app_context():
        row = db.session.execute(select(Parameter).where(Parameter.key == "list.page_size_max")).scalar_one()
        row.value = "50"
        db.session.commit()
    try:
        html = c.get("/organizationview/list/").get_data(as_text=True)
        sizes = re.findall(r'<option value="[^"]*psize_OrganizationView=(\d+)[^"]*"', html)
        assert sizes == ["10", "20", "50"]
    finally:
        with app.app_context():
            row = db.session.execute(select(Parameter).where(Parameter.key == "list.page_size_max")).scalar_one()
            row.value = "200"
            db.session.commit()


def test_empty_boxes_are_no_filter(app, login):
    c = login("admin")
    response = c.get("/complaints/list/?_flt_0_stage=&_flt_2_number=%20&psize_ComplaintView=50")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/complaints/list/?psize_ComplaintView=50")


def test_search_keeps_order_and_page_size(app, login):
    c = login("admin")
    html = c.get("/complaints/list/?_oc_ComplaintView=number&_od_ComplaintView=asc&psize_ComplaintView=50"
                 "&page_ComplaintView=2").get_data(as_text=True)
    form = html[html.index('id="anju-search"'):html.index("</form>", html.index('id="anju-search"'))]
    assert 'name="_oc_ComplaintView" value="number"' in form
    assert 'name="psize_ComplaintView" value="50"' in form
    assert "page_ComplaintView" not in form  # a new search starts at its first page
    # export keeps the query
    assert re.search(r'id="anju-export" href="/complaints/export/\?[^"]*psize_ComplaintView=50', html)


def test_masked_column_is_searched_by_exact_value_only(app, login):
    c = login("district1")
    html = c.get("/orgusers/list/").get_data(as_text=True)
    names = _inline_names(html, "mobile")
    assert len(names) == 1
    index = int(names[0].split("_")[2])
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "OrgUserView")
    assert type(view._filters._all_filters["mobile"][index]).__name__ == "FilterEqual"
    assert "请输入完整的值" in html


def test_search_boxes_start_empty(app, login):
    c = login("admin")
    html = c.get("/auditlogview/list/").get_data(as_text=True)
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", html), "a timestamp default in a search box"


def test_menu_marks_one_current_item_and_breadcrumbs(app, login):
    c = login("admin")
    html = c.get("/complaints/list/").get_data(as_text=True)
    menu = html[html.index('id="anju-menu"'):html.index("</aside>")]
    assert menu.count('class="anju-menu-item active"') == 1
    crumbs = html[html.index('id="anju-breadcrumb"'):html.index("</ol>", html.index('id="anju-breadcrumb"'))]
    assert "首页" in crumbs and "需求及建议" in crumbs


def _current_items(html):
    menu = html[html.index('id="anju-menu"'):html.index("</aside>")]
    return re.findall(r'<li class="anju-menu-item active">\s*<a href="([^"]+)"', menu)


def test_the_kept_menu_marks_each_page_its_own_item_for_each_role_and_language(app, login):
    """The left menu's HTML is kept per roles, language and current item (app/core/chrome.py):
    each page still marks its own item, each role sees its own menu, each language its words."""
    admin = login("admin")
    for _ in range(2):  # rendered, then taken from the kept ones
        assert _current_items(admin.get("/complaints/list/").get_data(as_text=True)) == ["/complaints/list/"]
        assert _current_items(admin.get("/staff/list/").get_data(as_text=True)) == ["/staff/list/"]
        home = admin.get("/").get_data(as_text=True)
        assert _current_items(home) == ["/"] and "系统参数" in home
    pm = login("pm_a").get("/").get_data(as_text=True)
    assert "系统参数" not in pm[pm.index('id="anju-menu"'):pm.index("</aside>")]
    admin.get("/lang/en")
    english = admin.get("/complaints/list/").get_data(as_text=True)
    assert _current_items(english) == ["/complaints/list/"]
    menu = english[english.index('id="anju-menu"'):english.index("</aside>")]
    assert "Home" in menu and "首页" not in menu
    admin.get("/lang/zh")


def test_menu_shows_only_what_the_role_may_open(app, login):
    c = login("pm_a")
    html = c.get("/").get_data(as_text=True)
    menu = html[html.index('id="anju-menu"'):html.index("</aside>")]
    assert "系统参数" not in menu and "审计日志" not in menu
    assert "个人中心" in html and "修改密码" in html
    # no group without items
    for group in re.findall(r'<li class="anju-menu-group[^"]*".*?</ul>\s*</li>', menu, re.S):
        assert 'class="anju-menu-item' in group
