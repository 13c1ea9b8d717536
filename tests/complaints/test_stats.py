"""Complaint statistics (需求及建议统计): exact figures on rows with controlled timestamps,
the real submission and handling services, data scope, filters, exports and access.

The controlled rows lie in March 2010 (no other test writes complaints then) in three areas
of this module's own; they are deleted at the end so that jobs tested elsewhere (escalation,
automatic closing) never see them.
"""
import io
import itertools
import re
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import delete, select

from app.extensions import db

PERIOD = {"from": "2010-03-01", "to": "2010-03-21"}
_seq = itertools.count(7000)


def mobile():
    return f"1320{next(_seq):07d}"


def url(path="/complaints/stats/", **args):
    from urllib.parse import urlencode

    return path + ("?" + urlencode(args) if args else "")


def _org(name):
    from app.system.models import Organization

    return db.session.execute(select(Organization).where(Organization.name == name)).scalars().one()


def _area(name, district, street, company):
    from app.property.models import PropertyArea

    area = PropertyArea(name=name, district_code=district, street_code=street,
                        company_org_id=_org(company).id, address=f"重庆市{name}")
    area.fill_region()
    db.session.add(area)
    db.session.flush()
    return area


def _complaint(area, n, submitted, due, stage, status=None, accepted=None, handled=None,
               satisfaction=None, closed=None):
    from tests.accounts.helpers import new_id

    from app.complaints.models import Complaint

    row = Complaint(
        number=f"STAT2010{n:04d}", area_id=area.id, org_id=area.company_org_id,
        district_code=area.district_code, street_code=area.street_code, region_code=area.region_code,
        name="统计测试", id_number=new_id(), mobile=mobile(), address="测试地址", content="测试内容",
        status=status or stage, stage=stage, submitted_at=submitted, due_at=due, accepted_at=accepted,
        handled_at=handled, satisfaction=satisfaction, closed_at=closed,
    )
    db.session.add(row)
    return row


D = datetime


@pytest.fixture(scope="module")
def data(app):
    """Ten rows; in the period 2010-03-01..21, district 500103 (areas A and B) holds rows 1-7,
    district 500112 (area C) row 8; rows 9 and 10 fall just outside the period."""
    from app.complaints.models import Complaint
    from app.property.models import PropertyArea

    with app.app_context():
        a = _area("统计测试甲小区", "500103", "500103005", "重庆安居物业服务有限公司")
        b = _area("统计测试乙小区", "500103", "500103012", "重庆和居物业管理有限公司")
        c = _area("统计测试丙小区", "500112", "500112002", "重庆渝北宜居住房租赁有限公司")
        far = D(2099, 1, 1)
        # 1: accepted after 2 h, completed after 24 h, before the deadline; 5 stars.
        _complaint(a, 1, D(2010, 3, 1, 10), D(2010, 3, 6, 10), "closed", accepted=D(2010, 3, 1, 12),
                   handled=D(2010, 3, 2, 10), satisfaction=5, closed=D(2010, 3, 3))
        # 2: accepted after 6 h, completed after 168 h, a day after the deadline (late).
        _complaint(a, 2, D(2010, 3, 2, 8), D(2010, 3, 7, 8), "to_evaluate", accepted=D(2010, 3, 2, 14),
                   handled=D(2010, 3, 9, 8))
        # 3: still pending, past its deadline (open and overdue).
        _complaint(a, 3, D(2010, 3, 3, 9), D(2010, 3, 8, 9), "pending")
        # 4: being handled (accepted after 1 h), not yet due.
        _complaint(a, 4, D(2010, 3, 9, 9), far, "processing", status="further", accepted=D(2010, 3, 9, 10))
        # 5: revoked: left out of the overdue rate.
        _complaint(a, 5, D(2010, 3, 10, 9), D(2010, 3, 15, 9), "revoked", closed=D(2010, 3, 10, 12))
        # 6: a Monday; accepted after 4 h, refused after 24 h; 3 stars.
        _complaint(b, 6, D(2010, 3, 15, 9), D(2010, 3, 20, 9), "closed", accepted=D(2010, 3, 15, 13),
                   handled=D(2010, 3, 16, 9), satisfaction=3, closed=D(2010, 3, 17))
        # 7: a Sunday night, handled after the period ends (10 h): counted, but not in the trend.
        _complaint(b, 7, D(2010, 3, 21, 23, 30), D(2010, 3, 26, 23, 30), "closed",
                   accepted=D(2010, 3, 22, 7, 30), handled=D(2010, 3, 22, 9, 30), satisfaction=4,
                   closed=D(2010, 3, 23))
        # 8: another district.
        _complaint(c, 8, D(2010, 3, 5, 9), D(2010, 3, 10, 9), "pending")
        # 9 and 10: the second before the period and its first second after it.
        _complaint(a, 9, D(2010, 2, 28, 23, 59, 59), D(2010, 3, 5), "pending")
        _complaint(a, 10, D(2010, 3, 22, 0, 0), D(2010, 3, 27), "pending")
        db.session.commit()
        ids = [a.id, b.id, c.id]
    yield {"areas": ids}
    with app.app_context():
        for row in db.session.execute(select(Complaint).where(Complaint.number.like("STAT2010%"))).scalars():
            db.session.delete(row)
        db.session.flush()
        db.session.execute(delete(PropertyArea).where(PropertyArea.id.in_(ids)))
        db.session.commit()


@pytest.fixture(scope="module")
def yubei(app):
    """A district administrator of 渝北区 (500112): outside 渝中区's scope."""
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username="stats_d2") is None:
            sm.add_user("stats_d2", "渝北区统计", "", "stats_d2@demo.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=_org("渝北区住房和城乡建设委员会").id,
                        mobile="13200009901", must_change_password=False)
    return "stats_d2"


def user(app, username):
    return app.appbuilder.sm.find_user(username=username)


def tables_for(app, username, args):
    from app.complaints import stats

    with app.test_request_context("/"):
        who = user(app, username)
        filters, problems = stats.parse_filters(args, who)
        assert problems == []
        return stats.compute(filters, who)


def rows_of(html, table):
    """The table's cells as text, row by row."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)]


# --- exact figures ----------------------------------------------------------------------

def test_exact_figures_for_a_district(app, data):
    t = tables_for(app, "district1", {**PERIOD, "district": "500103"})
    stage = {r["label"]: r["count"] for r in t["stage"].rows}
    assert stage == {"待处理": 1, "处理中": 1, "待评价": 1, "已结束": 3, "已撤销": 1, "合计": 7}
    assert [r["share"] for r in t["stage"].rows] == [14.3, 14.3, 14.3, 42.9, 14.3, 100.0]

    assert t["overdue"].rows == [{"counted": 6, "on_time": 3, "late": 1, "open_ok": 1, "open_overdue": 1,
                                  "overdue": 2, "rate": 33.3}]

    accept, complete = t["duration"].rows
    assert (accept["count"], accept["hours"]) == (5, 4.2)          # (2+6+1+4+8)/5
    assert (complete["count"], complete["hours"]) == (4, 56.5)     # (24+168+24+10)/4

    sat = t["satisfaction"].rows
    assert [r["count"] for r in sat] == [0, 0, 1, 1, 1, 3]
    assert [r["share"] for r in sat[:5]] == [0.0, 0.0, 33.3, 33.3, 33.3]
    assert sat[-1]["mean"] == 4.0 and sat[-1]["label"] == "合计"

    assert t["area"].rows == [
        {"area": "统计测试甲小区", "street": "上清寺街道", "count": 5, "overdue": 2},
        {"area": "统计测试乙小区", "street": "大坪街道", "count": 2, "overdue": 0},
    ]
    # Weeks start on Monday: the Sunday 2010-03-21 belongs to the week of 03-15; row 7 was
    # handled after the period, so it is not a completion of these weeks.
    assert t["trend"].rows == [
        {"week": date(2010, 3, 1), "submitted": 3, "handled": 1},
        {"week": date(2010, 3, 8), "submitted": 2, "handled": 1},
        {"week": date(2010, 3, 15), "submitted": 2, "handled": 1},
    ]


def test_street_filter_and_one_day(app, data):
    t = tables_for(app, "analyst", {"from": "2010-03-15", "to": "2010-03-15", "street": "500103012"})
    assert t["stage"].rows[-1]["count"] == 1                      # row 6 only (row 7 is on the 21st)
    assert [r["week"] for r in t["trend"].rows] == [date(2010, 3, 15)]
    assert t["area"].rows == [{"area": "统计测试乙小区", "street": "大坪街道", "count": 1, "overdue": 0}]


def test_the_page_shows_the_figures(app, data, login):
    c = login("district1")
    resp = c.get(url(**PERIOD, district="500103"))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert rows_of(html, "overdue") == [["6", "3", "1", "1", "1", "2", "33.3"]]
    assert rows_of(html, "duration") == [["接收用时", "5", "4.2"], ["处理用时", "4", "56.5"]]
    assert rows_of(html, "stage")[-1] == ["合计", "7", "100.0"]
    assert rows_of(html, "satisfaction")[-1] == ["合计", "3", "100.0", "4.0"]
    assert rows_of(html, "trend") == [["2010-03-01", "3", "1"], ["2010-03-08", "2", "1"], ["2010-03-15", "2", "1"]]
    assert rows_of(html, "area")[0] == ["统计测试甲小区", "上清寺街道", "5", "2"]
    assert "超期率" in html and "满意度分布" in html and "按周趋势" in html
    # The filters are kept in the form and in every export link.
    assert 'value="2010-03-01"' in html and 'value="2010-03-21"' in html
    assert '<option value="500103" selected>' in html
    for name in ("stage", "area", "overdue", "duration", "satisfaction", "trend"):
        assert f'href="/complaints/stats/export/{name}?from=2010-03-01&amp;to=2010-03-21&amp;district=500103"' in html
    # The chart's data travel with the card.
    assert re.search(r'id="chart-trend"[^>]*data-chart=\'\{', html)


# --- data scope -------------------------------------------------------------------------

def test_scope_city_district_and_outside(app, data, login, yubei):
    city = tables_for(app, "analyst", PERIOD)
    district = tables_for(app, "district1", PERIOD)
    other = tables_for(app, yubei, PERIOD)
    mine = {r["area"] for r in city["area"].rows}
    assert {"统计测试甲小区", "统计测试乙小区", "统计测试丙小区"} <= mine
    assert city["stage"].rows[-1]["count"] == 8
    assert district["stage"].rows[-1]["count"] == 7
    assert "统计测试丙小区" not in {r["area"] for r in district["area"].rows}
    assert other["stage"].rows[-1]["count"] == 1
    assert other["area"].rows == [{"area": "统计测试丙小区", "street": "双龙湖街道", "count": 1, "overdue": 1}]

    # Outside the scope: 渝北区 sees nothing of 渝中区, whatever it asks for.
    c = login(yubei)
    html = c.get(url(**PERIOD, street="500103005")).get_data(as_text=True)
    assert "所选街道不在您的数据权限范围或所选区县内" in html
    assert rows_of(html, "stage")[-1] == ["合计", "1", "100.0"]
    html = c.get(url(**PERIOD, district="500103")).get_data(as_text=True)
    assert "所选区县不在您的数据权限范围内" in html
    assert "统计测试甲小区" not in html
    assert '<option value="500103"' not in html and '<option value="500112"' in html


def test_own_scope_counts_nothing_of_others(app, data):
    from app.complaints import stats

    with app.test_request_context("/"):
        filters, _ = stats.parse_filters(PERIOD, user(app, "public1"))
        t = stats.compute(filters, user(app, "public1"))
        assert t["stage"].rows[-1]["count"] == 0
        assert t["overdue"].rows[0]["rate"] is None
        assert t["duration"].rows[0]["hours"] is None
        assert t["area"].rows == []
        assert all(r["submitted"] == 0 for r in t["trend"].rows)


# --- the real services ------------------------------------------------------------------

def _submit(app, code, who=None):
    from tests.accounts.helpers import latest_code, new_id

    from app.complaints import services
    from app.core import sms

    number = mobile()
    with app.test_request_context("/"):
        sms.send_code(number, "complaint")
    code_sent = latest_code(app, number)
    with app.test_request_context("/"):
        complaint = services.submit(services.area_by_code(code), {
            "name": "统计测试", "id_number": new_id(), "mobile": number, "address": "和平小区1栋",
            "content": "楼道灯坏了", "sms_code": code_sent})
        return complaint.id


def test_counts_follow_the_services(app, login):
    from app.complaints import services
    from app.complaints.models import Complaint

    today = date.today()
    args = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat(), "street": "500103001"}
    before = tables_for(app, "district1", args)
    ids = [_submit(app, "demo-heping"), _submit(app, "demo-heping")]
    try:
        with app.test_request_context("/"):
            lead = user(app, "pm_a")
            first = db.session.get(Complaint, ids[0])
            services.act(first, services.Action.ACCEPT, lead)
            services.act(first, services.Action.COMPLETE, lead, note="已更换灯泡")
        after = tables_for(app, "district1", args)

        def stage(t):
            return {r["label"]: r["count"] for r in t["stage"].rows}

        delta = {k: stage(after)[k] - stage(before)[k] for k in stage(after)}
        assert delta == {"待处理": 1, "处理中": 0, "待评价": 1, "已结束": 0, "已撤销": 0, "合计": 2}
        ov_b, ov_a = before["overdue"].rows[0], after["overdue"].rows[0]
        assert (ov_a["counted"] - ov_b["counted"], ov_a["on_time"] - ov_b["on_time"],
                ov_a["open_ok"] - ov_b["open_ok"]) == (2, 1, 1)
        assert after["duration"].rows[0]["count"] - before["duration"].rows[0]["count"] == 1
        assert after["duration"].rows[1]["count"] - before["duration"].rows[1]["count"] == 1
        week = {r["week"]: r for r in after["trend"].rows}[today - timedelta(days=today.weekday())]
        week_before = {r["week"]: r for r in before["trend"].rows}[today - timedelta(days=today.weekday())]
        assert (week["submitted"] - week_before["submitted"], week["handled"] - week_before["handled"]) == (2, 1)
        heping = {r["area"]: r["count"] for r in after["area"].rows}
        assert heping["和平小区"] - {r["area"]: r["count"] for r in before["area"].rows}.get("和平小区", 0) == 2

        # The default page (the last 12 weeks) counts them too.
        html = login("district1").get(url(street="500103001")).get_data(as_text=True)
        monday = today - timedelta(days=today.weekday())
        assert f'value="{(monday - timedelta(weeks=11)).isoformat()}"' in html
        assert f'value="{today.isoformat()}"' in html
        assert len(rows_of(html, "trend")) == 12
    finally:
        with app.app_context():
            for cid in ids:
                db.session.delete(db.session.get(Complaint, cid))
            db.session.commit()


# --- filters ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ({"from": "2021-13-45"}, "开始日期无效"),
    ({"from": "abc", "to": "xyz"}, "开始日期无效"),
    ({"to": "2021/03/01"}, "结束日期无效"),
    ({"from": "1900-01-01"}, "开始日期无效"),
    ({"from": "99999-01-01"}, "开始日期无效"),
    ({"from": "2010-03-21", "to": "2010-03-01"}, "开始日期晚于结束日期"),
    ({"district": "999999"}, "所选区县不在您的数据权限范围内"),
    ({"district": "500112"}, "所选区县不在您的数据权限范围内"),
    ({"street": "500112002"}, "所选街道不在您的数据权限范围或所选区县内"),
    ({"district": "500103", "street": "500103999"}, "所选街道不在您的数据权限范围或所选区县内"),
    ({"district": "500103", "street": "500112002"}, "所选街道不在您的数据权限范围或所选区县内"),
])
def test_bad_filters_fall_back_with_a_message(app, login, args, message):
    from app.complaints.stats import default_period

    c = login("district1")
    resp = c.get(url(**args))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html
    start, end = default_period()
    if "from" in args or "to" in args:
        assert f'name="from" value="{start.isoformat()}"' in html
        assert f'name="to" value="{end.isoformat()}"' in html
    # The export of the same arguments works too (defaults, no error page).
    assert c.get(url("/complaints/stats/export/stage", **args)).status_code == 200


def test_filter_messages_are_exact(app):
    from app.complaints import stats

    with app.test_request_context("/"):
        who = user(app, "district1")
        _f, problems = stats.parse_filters({"from": "2021-02-30"}, who)
        assert problems == ["开始日期无效（格式为 YYYY-MM-DD），已使用默认统计期间。"]
        f, problems = stats.parse_filters({"from": "2015-01-01", "to": "2021-03-21"}, who)
        assert problems == ["统计期间最长 731 天，已调整为自 2019-03-22 起。"]
        assert (f.date_from, f.date_to) == (date(2019, 3, 22), date(2021, 3, 21))
        # A street alone brings its district along.
        f, problems = stats.parse_filters({**PERIOD, "street": "500103005"}, who)
        assert problems == [] and (f.district, f.street) == ("500103", "500103005")
        # Only the end date: twelve weeks up to it.
        f, problems = stats.parse_filters({"to": "2021-03-21"}, who)
        assert problems == [] and f.date_from == date(2020, 12, 28)


def test_district_and_street_options_follow_the_scope(app, login):
    html = login("district1").get(url()).get_data(as_text=True)
    districts = re.findall(r'<option value="(\d{6})"', html.split('id="stats-district"')[1].split("</select>")[0])
    assert districts == ["500103"]
    streets = html.split('id="stats-street"')[1].split("</select>")[0]
    assert '<option value="500103001">七星岗街道</option>' in streets
    assert "500112" not in streets
    html = login("analyst").get(url()).get_data(as_text=True)
    districts = re.findall(r'<option value="(\d{6})"', html.split('id="stats-district"')[1].split("</select>")[0])
    assert "500103" in districts and "500112" in districts and "110101" not in districts
    assert "请先选择区县" in html                       # a city user picks a district first


# --- exports ----------------------------------------------------------------------------

def _sheet(resp):
    wb = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_every_table_exports_with_chinese_headers_and_an_audit_entry(app, data, login):
    from app.core.audit import AuditLog

    c = login("district1")
    expected = {
        "stage": ["处理状态", "件数", "占比（%）"],
        "area": ["物业管理区域", "街道", "件数", "超期合计"],
        "overdue": ["总件数（不含已撤销）", "按期处理", "超期处理", "未办结未超期", "未办结已超期", "超期合计", "超期率（%）"],
        "duration": ["指标", "统计件数", "平均用时（小时）"],
        "satisfaction": ["满意度", "件数", "占比（%）", "平均满意度（星）"],
        "trend": ["周起始日（周一）", "提交件数", "完成或拒绝处理件数"],
    }
    for name, header in expected.items():
        resp = c.get(url(f"/complaints/stats/export/{name}", **PERIOD, district="500103"))
        assert resp.status_code == 200, name
        assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "attachment" in resp.headers["Content-Disposition"]
        rows = _sheet(resp)
        assert rows[0] == header, name
        with app.app_context():
            entry = db.session.execute(select(AuditLog).where(AuditLog.action == "export",
                                                              AuditLog.entity == "ComplaintStats")
                                       .order_by(AuditLog.id.desc()).limit(1)).scalars().one()
            assert (entry.entity_id, entry.username) == (name, "district1")
            assert "district=500103" in entry.summary and "from=2010-03-01" in entry.summary
    rows = _sheet(c.get(url("/complaints/stats/export/overdue", **PERIOD, district="500103")))
    assert rows[1] == [6, 3, 1, 1, 1, 2, 33.3]
    rows = _sheet(c.get(url("/complaints/stats/export/trend", **PERIOD, district="500103")))
    assert [r[1:] for r in rows[1:]] == [[3, 1], [2, 1], [2, 1]]
    assert rows[1][0] == datetime(2010, 3, 1)
    rows = _sheet(c.get(url("/complaints/stats/export/satisfaction", **PERIOD, district="500103")))
    assert rows[-1] == ["合计", 3, 100, 4]


def test_unknown_table_is_404(app, login):
    c = login("analyst")
    assert c.get("/complaints/stats/export/nothing").status_code == 404
    assert c.get("/complaints/stats/export/").status_code == 404


# --- access -----------------------------------------------------------------------------

@pytest.mark.parametrize("username, allowed", [
    ("admin", True), ("gov_admin", True), ("district1", True), ("analyst", True),
    ("street1", False), ("ent_a", False), ("pm_a", False), ("public1", False), ("helpdesk", False),
])
def test_who_may_see_and_export(app, login, username, allowed):
    c = login(username)
    page = c.get("/complaints/stats/")
    export = c.get("/complaints/stats/export/stage")
    if allowed:
        assert (page.status_code, export.status_code) == (200, 200)
    else:
        assert page.status_code in (302, 403) and export.status_code in (302, 403)
        assert page.status_code == 403 or "/login" in page.headers["Location"] \
            or "/realname" in page.headers["Location"]


def test_anonymous_is_sent_to_login(client):
    for path in ("/complaints/stats/", "/complaints/stats/export/stage"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def test_menu_entry(app, login):
    html = login("analyst").get("/complaints/stats/").get_data(as_text=True)
    assert 'href="/complaints/stats/"' in html
    assert "需求及建议统计" in html


# --- charts served locally --------------------------------------------------------------

def test_echarts_is_served_by_the_console(app, login):
    html = login("analyst").get("/complaints/stats/").get_data(as_text=True)
    assert '<script src="/static/anju/vendor/echarts/echarts.min.js"></script>' in html
    assert '<script src="/static/anju/complaint_stats.js"></script>' in html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(s.startswith("/") and not s.startswith("//") for s in scripts)
    assert "cdn" not in html.lower()
    resp = app.test_client().get("/static/anju/vendor/echarts/echarts.min.js")
    assert resp.status_code == 200
    head = resp.get_data(as_text=True)
    resp.close()
    assert 'version="5.' in head and "Apache" in head[:2000]
