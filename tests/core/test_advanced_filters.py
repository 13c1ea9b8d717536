"""The advanced filters (FAB's filter form behind 高级筛选) come from each list's own
``advanced_filters`` page when first opened, not with every list page; where filters beyond the
inline boxes are in force they open with the page. The page answers like the list: same
permission, same scope of choices, same guards on its arguments."""
import json
import re

import pytest

from app.extensions import db
from tests.complaints.helpers import file_complaint

FILTERS = re.compile(r"new AdminFilters\(\s*'#filter_form',(.*?)\);", re.S)


def _filters(html):
    m = FILTERS.search(html)
    assert m, "no advanced filters"
    labels, fields, filters, active = json.loads(f"[{m.group(1)}]")
    return labels, filters, active


def _load_url(html):
    m = re.search(r'id="anju-advanced"\s+data-anju-load="([^"]+)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


def test_a_list_page_sends_no_filter_form_until_it_is_opened(app, login):
    c = login("admin")
    html = c.get("/complaints/list/?_oc_ComplaintView=number&_od_ComplaintView=desc").get_data(as_text=True)
    assert "new AdminFilters" not in html and 'id="filter_form"' not in html
    assert 'id="anju-advanced-toggle"' in html
    # fetched with the page's own query (order, page, filters)
    url = _load_url(html)
    assert url == "/complaints/advanced/?_oc_ComplaintView=number&_od_ComplaintView=desc"
    resp = c.get(url)
    assert resp.status_code == 200
    part = resp.get_data(as_text=True)
    assert 'id="filter_form"' in part and "<html" not in part
    labels, filters, active = _filters(part)
    # in Chinese, like the page that asked for it
    assert labels and all(re.search(r"[\u4e00-\u9fff]", text) for text in labels.values()), labels
    assert all(isinstance(names, list) and names for names in filters.values())
    assert not active


def test_the_fetched_form_holds_the_filters_in_force(app, login):
    c = login("admin")
    html = c.get("/complaints/list/?_flt_0_stage=processing").get_data(as_text=True)
    url = _load_url(html)
    assert url and "_flt_0_stage=processing" in url
    labels, filters, active = _filters(c.get(url).get_data(as_text=True))
    assert ["stage", 0, "processing"] in [list(a) for a in active] or "stage" in str(active), active


def test_filters_beyond_the_inline_boxes_open_with_the_page(app, login):
    c = login("admin")
    # a second filter on an inline column is beyond what its box shows
    html = c.get("/complaints/list/?_flt_2_content=化粪池&_flt_3_content=漏水").get_data(as_text=True)
    assert 'class="collapse anju-advanced in"' in html
    _labels, _filters_, active = _filters(html)
    assert active, "the filters in force are in the form"
    assert _load_url(html) is None


def test_fabs_own_security_lists_fetch_theirs_under_their_own_permission(app, login):
    c = login("admin")
    html = c.get("/users/list/").get_data(as_text=True)
    url = _load_url(html)
    assert url and url.startswith("/users/advanced/")
    resp = c.get(url)
    assert resp.status_code == 200 and 'id="filter_form"' in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/auditlogview/advanced/", "/users/advanced/", "/parameterview/advanced/"])
def test_a_viewer_without_the_list_gets_nothing(app, login, path):
    list_path = path.replace("/advanced/", "/list/")
    c = login("ent_a")
    refused = c.get(list_path)
    assert refused.status_code in (302, 403, 404)
    resp = c.get(path)
    assert resp.status_code in (302, 403, 404)
    assert "filter_form" not in resp.get_data(as_text=True)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code in (302, 401, 403)
    assert "filter_form" not in anonymous.get_data(as_text=True)


def test_the_page_keeps_the_lists_guards(app, login):
    c = login("admin")
    for query in ("page_ComplaintView=abc", "_flt_9_stage=x", "psize_ComplaintView=1e9"):
        resp = c.get(f"/complaints/advanced/?{query}")
        assert resp.status_code == 400, query
        assert "filter_form" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("username", ["street1", "district1", "admin"])
def test_the_fetched_form_is_the_one_the_list_would_open_for_this_viewer(app, login, username):
    """Same labels, fields (choices in the viewer's scope), filters and active values as the
    form the list page renders itself when it opens with filters in force."""
    c = login(username)
    query = "_flt_2_content=化粪池&_flt_3_content=漏水"
    inline = FILTERS.search(c.get(f"/complaints/list/?{query}").get_data(as_text=True))
    fetched = FILTERS.search(c.get(f"/complaints/advanced/?{query}").get_data(as_text=True))
    assert inline and fetched
    assert json.loads(f"[{fetched.group(1)}]") == json.loads(f"[{inline.group(1)}]")
