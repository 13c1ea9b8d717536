"""数据看板 and the home page charts through the real pages: who sees which chart, the JSON each
chart's script reads, the figures in the user's scope, the .xlsx export, the filters and their
Chinese messages, and the door closed to visitors. The complaint rows are tests/core/test_charts.py's
fixture (2011, areas of this suite's own)."""
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from tests.core.test_charts import dash_data  # noqa: F401  (the module's rows)

PERIOD = {"from": "2011-01-01", "to": "2011-12-31"}


def url(path, **args):
    from urllib.parse import urlencode

    return path + ("?" + urlencode(args) if args else "")


def chart_keys(html):
    return set(re.findall(r'data-key="([^"]+)"', html))


EXPECTED = {
    # role account -> charts on the dashboard page that must be there / must not
    "gov_admin": ({"complaints.by_region", "filings.by_type", "credit.levels", "rental.monthly",
                   "allocation.per_plan", "accounts.registrations"}, set()),
    "analyst": ({"complaints.monthly", "complaints.by_region", "credit.records", "rental.by_region"},
                {"accounts.registrations", "filings.by_type"}),
    "district1": ({"complaints.sla", "complaints.by_region", "filings.by_type", "property.care_due"},
                  {"accounts.registrations", "allocation.per_plan"}),
    "ent_a": ({"complaints.sla", "credit.records", "property.care_due"},
              {"complaints.by_region", "filings.by_type", "credit.levels", "accounts.registrations"}),
    "pm_a": ({"complaints.sla", "property.care_due"}, {"credit.records", "filings.by_type", "rental.monthly"}),
    "reviewer": ({"filings.by_type", "filings.by_region", "credit.levels"}, {"complaints.sla", "property.care_due"}),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_sees_its_charts_and_not_the_others(app, login, username):
    must, never = EXPECTED[username]
    c = login(username)
    resp = c.get("/dashboard/")
    assert resp.status_code == 200
    keys = chart_keys(resp.get_data(as_text=True))
    assert must <= keys, must - keys
    assert not keys & never, keys & never
    for key in keys:
        data = c.get(url(f"/dashboard/data/{key}", **PERIOD))
        assert data.status_code == 200, key
        assert not data.get_json().get("error"), key
    for key in never:
        assert c.get(f"/dashboard/data/{key}").status_code == 404, key
        assert c.get(f"/dashboard/export/{key}").status_code == 404, key
    home = c.get("/").get_data(as_text=True)
    assert chart_keys(home) <= keys
    assert chart_keys(home), "the home page carries the role's charts"


def test_helpdesk_and_the_public_get_no_dashboard(app, login):
    for username in ("helpdesk", "public1"):
        c = login(username)
        assert c.get("/dashboard/").status_code in (302, 403)
        assert 'id="home-charts"' not in c.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    for path in ("/dashboard/", "/dashboard/data/complaints.sla", "/dashboard/export/complaints.sla"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


def test_figures_in_the_json_follow_the_scope(app, login, dash_data):  # noqa: F811
    d1 = login("district1").get(url("/dashboard/data/complaints.monthly", **PERIOD)).get_json()
    assert d1["title"] == "诉求受理与办结（按月）"
    assert d1["categories"][2:5] == ["2011-03", "2011-04", "2011-05"]
    submitted = dict(zip(d1["categories"], d1["series"][0]["data"]))
    assert (submitted["2011-03"], submitted["2011-04"], submitted["2011-05"]) == (2, 2, 0)
    assert d1["updated_at"]                                  # read from the summary rows
    sla = login("district1").get(url("/dashboard/data/complaints.sla", **PERIOD)).get_json()
    rate = dict(zip(sla["categories"], sla["series"][0]["data"]))
    assert rate["2011-03"] == 50.0 and rate["2011-04"] == 100.0 and rate["2011-06"] is None
    assert sla["percent"] == [0]
    # By street for a district; 渝北区 nowhere.
    region = login("district1").get(url("/dashboard/data/complaints.by_region", **PERIOD)).get_json()
    assert region["category_label"] == "街道"
    assert all("渝北" not in c for c in region["categories"])
    assert sum(region["series"][0]["data"]) == 4
    # ent_b: its own request only; 渝北区's administrator: nothing of 渝中区.
    ent_b = login("ent_b").get(url("/dashboard/data/complaints.monthly", **PERIOD)).get_json()
    assert sum(ent_b["series"][0]["data"]) == 1
    d2 = login("dash_d2").get(url("/dashboard/data/complaints.by_region", **PERIOD)).get_json()
    assert sum(d2["series"][0]["data"]) == 1
    d2 = login("dash_d2").get(url("/dashboard/data/complaints.monthly", **PERIOD, district="500103")).get_json()
    assert sum(d2["series"][0]["data"]) == 1                 # the district it may not choose is ignored
    assert any("区县" in p for p in d2["problems"])
    # The city, by district.
    city = login("analyst").get(url("/dashboard/data/complaints.by_region", **PERIOD)).get_json()
    assert city["category_label"] == "所在区县"
    figures = dict(zip(city["categories"], city["series"][0]["data"]))
    assert figures["渝中区"] >= 4 and figures["渝北区"] >= 1


def test_export_holds_the_figures_with_chinese_headers(app, login, dash_data):  # noqa: F811
    from app.core.audit import AuditLog

    c = login("district1")
    resp = c.get(url("/dashboard/export/complaints.sla", **PERIOD))
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True).active
            .iter_rows(values_only=True)]
    assert rows[0] == ["月份", "按期办结率（%）", "按期处理", "超期处理"]
    march = next(r for r in rows if r[0] == "2011-03")
    assert march[1:] == [50, 1, 1]
    with app.app_context():
        entry = db.session.execute(select(AuditLog).where(AuditLog.action == "export", AuditLog.entity == "Dashboard")
                                   .order_by(AuditLog.id.desc()).limit(1)).scalars().one()
        assert (entry.entity_id, entry.username) == ("complaints.sla", "district1")
        assert "from=2011-01-01" in entry.summary


def test_the_page_filters_and_their_messages(app, login, dash_data):  # noqa: F811
    c = login("analyst")
    html = c.get(url("/dashboard/", **PERIOD, district="500103")).get_data(as_text=True)
    assert 'value="2011-01-01"' in html and 'value="2011-12-31"' in html
    assert re.search(r'<option value="500103"\s+selected>', html)
    assert "500103005" in html                                  # the streets of the chosen district
    assert "数据更新于" in html
    assert "district=500103" in html                            # each chart's JSON and export keep the filters
    html = c.get(url("/dashboard/", **{"from": "2011-02-30"})).get_data(as_text=True)
    assert "开始日期" in html and "YYYY-MM-DD" in html
    data = c.get(url("/dashboard/data/complaints.monthly", to="yesterday")).get_json()
    assert any("结束日期" in p for p in data["problems"])
    # A district's user is offered its own district only.
    html = login("district1").get("/dashboard/").get_data(as_text=True)
    assert 'value="500112"' not in html


def test_menu_and_echarts_served_locally(app, login):
    html = login("analyst").get("/dashboard/").get_data(as_text=True)
    assert 'href="/dashboard/"' in html and "数据看板" in html
    assert "anju/vendor/echarts/echarts.min.js" in html and "cdn" not in html.lower().split("echarts")[0][-200:]
    assert login("analyst").get("/static/anju/dashboard.js").status_code == 200


def test_unknown_chart_is_404(app, login):
    assert login("gov_admin").get("/dashboard/data/nothing").status_code == 404


def test_care_chart_names_the_areas_of_equipment_due(app, login):
    """Equipment overdue in 和平小区: the chart lists the area by name (a regression: reading the
    names failed as soon as one area had equipment due)."""
    from datetime import date, timedelta

    from app.extensions import db
    from app.property.models import Equipment, PropertyArea

    with app.app_context():
        area = db.session.query(PropertyArea).filter_by(name="和平小区").one()
        db.session.add(Equipment(org_id=area.company_org_id, area_id=area.id, region_code=area.region_code,
                                 equip_type="elevator", name="看板逾期电梯", status="in_use",
                                 next_inspection_due=date.today() - timedelta(days=3)))
        db.session.commit()
    data = login("ent_a").get("/dashboard/data/property.care_due").get_json()
    assert not data.get("error"), data
    assert "和平小区" in str(data)
