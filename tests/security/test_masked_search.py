"""A column a role sees masked cannot be searched around: no prefix, suffix, part, range or
inequality on it (page filters, REST filters, exports alike), no order by it; only the
exact full value. Roles that see it in full search it as before."""
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import user

REFUSAL = "只能按完整的值精确查询"


@pytest.fixture
def staff_row(app):
    """张小三's staff record (the demo's project lead): its ID number and mobile."""
    from app.property.models import Staff

    with app.app_context():
        s = db.session.execute(select(Staff).where(Staff.name == "张小三")).scalars().first()
        return s.id, s.id_number, s.mobile


def rison_filter(col, opr, value):
    return f"(filters:!((col:{col},opr:{opr},value:'{value}')))"


@pytest.mark.parametrize("opr", ["sw", "ew", "ct", "nsw", "new", "nct", "neq"])
def test_rest_refuses_partial_searches_on_masked_columns(app, api, staff_row, opr):
    _, id_number, _ = staff_row
    http, headers = api("analyst")
    resp = http.get(f"/api/v1/staff/?q={rison_filter('id_number', opr, id_number[:10])}", headers=headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert REFUSAL in resp.get_json()["message"]
    assert id_number not in resp.get_data(as_text=True)


def test_rest_prefix_rebuild_of_an_id_number_is_impossible(app, api, staff_row):
    """The attack of the report: 44 prefix queries rebuilt a full ID number. Each answer now
    is the same refusal, whatever the prefix."""
    _, id_number, _ = staff_row
    http, headers = api("analyst")
    answers = {http.get(f"/api/v1/staff/?q={rison_filter('id_number', 'sw', id_number[:n])}",
                        headers=headers).status_code for n in (6, 10, 14, 17)}
    assert answers == {400}


def test_rest_exact_full_value_is_allowed_and_answers_masked(app, api, staff_row):
    pk, id_number, _ = staff_row
    http, headers = api("analyst")
    resp = http.get(f"/api/v1/staff/?q={rison_filter('id_number', 'eq', id_number)}", headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ids"] == [pk]
    assert body["result"][0]["id_number"] == "*" * 14 + id_number[-4:]
    assert body["result"][0]["name"] == "张*三"
    # An exact search with part of the value is a partial search: refused, not "no rows".
    short = http.get(f"/api/v1/staff/?q={rison_filter('id_number', 'eq', id_number[:12])}", headers=headers)
    assert short.status_code == 400


def test_rest_full_viewer_searches_by_prefix(app, api, staff_row):
    pk, id_number, _ = staff_row
    http, headers = api("ent_a")
    resp = http.get(f"/api/v1/staff/?q={rison_filter('id_number', 'sw', id_number[:14])}", headers=headers)
    assert resp.status_code == 200
    assert pk in resp.get_json()["ids"]


def test_page_filters_on_masked_mobile_are_refused_for_helpdesk(app, login):
    with app.app_context():
        mobile = user("pm_a").mobile
    c = login("helpdesk")
    # Every filter index of the column: the exact match (index 0) with a part of the value,
    # and every other operator with anything.
    for index in range(0, 4):
        for page in ("list", "advanced"):
            resp = c.get(f"/orgusers/{page}/?_flt_{index}_mobile={mobile[:7]}")
            assert resp.status_code == 400, (page, index)
            assert REFUSAL in resp.get_data(as_text=True)
    resp = c.get(f"/orgusers/list/?_flt_0_mobile={mobile}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # The row shows the mobile masked; the full value is only the one the user typed, echoed
    # in the search box that holds it and in the query the advanced filters are fetched with,
    # whose form echoes it once more as the active filter.
    echoes = html.replace(f"_flt_0_mobile={mobile}", "").replace(
        f'name="_flt_0_mobile" id="anju-s-3" value="{mobile}"', "")
    assert mobile not in echoes
    assert mobile[:3] + "****" + mobile[-4:] in html
    form = c.get(f"/orgusers/advanced/?_flt_0_mobile={mobile}").get_data(as_text=True)
    assert f'["{mobile}"]' in form and mobile not in form.replace(f'["{mobile}"]', "")


def test_search_form_offers_only_the_exact_match_on_masked_columns(app, login):
    def offered(username):
        html = login(username).get("/orgusers/advanced/").get_data(as_text=True)
        m = re.search(r"new AdminFilters\(\s*'#filter_form',(.*?)\);", html, re.S)
        assert m, "no search filters on the page"
        labels, fields, filters, active = json.loads(f"[{m.group(1)}]")
        return filters

    masked = offered("helpdesk")
    assert masked["mobile"] == ["等于"]
    assert masked["first_name"] == ["等于"]
    full = offered("gov_admin")
    assert full["mobile"][0] == "等于" and len(full["mobile"]) > 1


def test_export_with_a_partial_filter_on_a_masked_column_is_refused(app, login, staff_row):
    _, id_number, mobile = staff_row
    c = login("analyst")
    resp = c.get(f"/staff/export/?_flt_0_mobile={mobile[:7]}")
    assert resp.status_code == 400
    assert REFUSAL in resp.get_data(as_text=True)


def test_order_by_a_masked_column_is_ignored_for_a_masked_viewer(app, api):
    """Sorting by a masked column would line the rows up by their hidden values."""
    http, headers = api("analyst")
    for direction in ("asc", "desc"):
        resp = http.get(f"/api/v1/staff/?q=(order_column:name,order_direction:{direction},page_size:100)",
                        headers=headers)
        assert resp.status_code == 200
        ids = resp.get_json()["ids"]
        assert len(ids) > 2 and ids == sorted(ids, reverse=direction == "desc")
    http, headers = api("ent_a")
    names = [r["name"] for r in http.get("/api/v1/staff/?q=(order_column:name,order_direction:asc,page_size:100)",
                                         headers=headers).get_json()["result"]]
    assert names == sorted(names)
