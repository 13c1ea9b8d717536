"""The chart engine and its summary tables (app/core/charts.py, app/core/rollup.py): the rollup
equals a live count, in every scope and grouping; running it twice gives the same rows; an
incremental run picks up rows added since with old dates; scope keeps one enterprise's and one
district's figures from the others.

The rows are this file's own: five complaints in 2011 (no other test writes complaints then) in
three areas named here, in 渝中区 (two companies) and 渝北区. They are deleted at the end, and the
summary rows of those days rebuilt, so that jobs tested elsewhere never see them.
"""
import itertools
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from app.extensions import db

D = datetime
FIRST, LAST = date(2011, 1, 1), date(2011, 12, 31)
_seq = itertools.count(100)


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


def _complaint(area, submitted, due, stage, handled=None, satisfaction=None, closed=None):
    from tests.accounts.helpers import new_id

    from app.complaints.models import Complaint

    n = next(_seq)
    row = Complaint(
        number=f"DASH2011{n:04d}", area_id=area.id, org_id=area.company_org_id,
        district_code=area.district_code, street_code=area.street_code, region_code=area.region_code,
        name="看板测试", id_number=new_id(), mobile=f"1321{n:07d}", address="测试地址", content="测试内容",
        status=stage, stage=stage, submitted_at=submitted, due_at=due, accepted_at=submitted,
        handled_at=handled, satisfaction=satisfaction, closed_at=closed,
    )
    db.session.add(row)
    return row


def _roll_complaints(full=True):
    from app.core import rollup

    rollup.roll_all(full=full, keys={"complaints.submitted", "complaints.handled", "complaints.rated"})


@pytest.fixture(scope="module")
def dash_data(app):
    from app.complaints.models import Complaint
    from app.property.models import PropertyArea
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        a = _area("看板测试甲苑", "500103", "500103005", "重庆安居物业服务有限公司")
        b = _area("看板测试乙苑", "500103", "500103012", "重庆和居物业管理有限公司")
        c = _area("看板测试丙苑", "500112", "500112002", "重庆渝北宜居住房租赁有限公司")
        # a: on time in March (5 stars), late in March, pending in April.
        _complaint(a, D(2011, 3, 5, 9), D(2011, 3, 10, 9), "closed", handled=D(2011, 3, 7, 9), satisfaction=5,
                   closed=D(2011, 3, 8))
        _complaint(a, D(2011, 3, 20, 9), D(2011, 3, 25, 9), "to_evaluate", handled=D(2011, 3, 28, 9))
        _complaint(a, D(2011, 4, 2, 9), D(2011, 4, 7, 9), "pending")
        # b: on time in April, evaluated (3 stars) in May.
        _complaint(b, D(2011, 4, 10, 9), D(2011, 4, 15, 9), "closed", handled=D(2011, 4, 11, 9), satisfaction=3,
                   closed=D(2011, 5, 2))
        # c (渝北区): on time in March, 4 stars.
        _complaint(c, D(2011, 3, 15, 9), D(2011, 3, 20, 9), "closed", handled=D(2011, 3, 16, 9), satisfaction=4,
                   closed=D(2011, 3, 17))
        db.session.commit()
        sm = app.appbuilder.sm
        if sm.find_user(username="dash_d2") is None:
            sm.add_user("dash_d2", "渝北区看板", "", "dash_d2@demo.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=_org("渝北区住房和城乡建设委员会").id,
                        mobile="13200009951", must_change_password=False)
        _roll_complaints()
        ids = [a.id, b.id, c.id]
    yield {"areas": ids, "streets": {"a": "500103005", "b": "500103012"}}
    with app.app_context():
        for row in db.session.execute(select(Complaint).where(Complaint.number.like("DASH2011%"))).scalars():
            db.session.delete(row)
        db.session.flush()
        db.session.execute(delete(PropertyArea).where(PropertyArea.id.in_(ids)))
        db.session.commit()
        _roll_complaints()


def user(app, username):
    return app.appbuilder.sm.find_user(username=username)


def q(app, key, username, group=("month",), live=None, **kw):
    from app.core import rollup

    return rollup.query(key, user(app, username), FIRST, LAST, group=group, live=live, **kw)


USERS = ("gov_admin", "analyst", "district1", "street1", "ent_a", "ent_b", "dash_d2", "pm_a")
GROUPS = (("month",), ("district",), ("street",), ("dim",), ("month", "dim"))


def test_summary_rows_equal_a_live_count(ctx, dash_data):
    from app.core import rollup

    for key in ("complaints.submitted", "complaints.handled", "complaints.rated"):
        for username in USERS:
            for group in GROUPS:
                assert q(ctx, key, username, group) == q(ctx, key, username, group, live=True), (key, username, group)
    # Everything else the modules keep (demo data of every module), city-wide and for an enterprise.
    rollup.roll_all(full=True)
    for key in rollup.metrics():
        for username in ("gov_admin", "district1", "ent_b"):
            from app.core.rollup import query

            wide = (date(2000, 1, 1), date(2099, 12, 31))
            assert query(key, user(ctx, username), *wide, group=("month", "dim")) == \
                query(key, user(ctx, username), *wide, group=("month", "dim"), live=True), (key, username)


def test_exact_figures_per_scope(ctx, dash_data):
    assert q(ctx, "complaints.submitted", "gov_admin") == {("2011-03",): 3, ("2011-04",): 2}
    assert q(ctx, "complaints.submitted", "district1") == {("2011-03",): 2, ("2011-04",): 2}
    assert q(ctx, "complaints.handled", "district1", ("month", "dim")) == {
        ("2011-03", "on_time"): 1, ("2011-03", "late"): 1, ("2011-04", "on_time"): 1}
    assert q(ctx, "complaints.rated", "district1", ("month", "dim")) == {("2011-03", "5"): 1, ("2011-05", "3"): 1}
    assert q(ctx, "complaints.submitted", "district1", ("street",)) == {("500103005",): 3, ("500103012",): 1}
    assert q(ctx, "complaints.submitted", "gov_admin", ("district",)) == {("500103",): 4, ("500112",): 1}
    # The district and street filters.
    assert q(ctx, "complaints.submitted", "gov_admin", district="500112") == {("2011-03",): 1}
    assert q(ctx, "complaints.submitted", "gov_admin", street="500103012") == {("2011-04",): 1}


def test_an_enterprise_sees_only_its_own(ctx, dash_data):
    assert q(ctx, "complaints.submitted", "ent_a") == {("2011-03",): 2, ("2011-04",): 1}
    assert q(ctx, "complaints.submitted", "ent_b") == {("2011-04",): 1}
    assert q(ctx, "complaints.rated", "ent_b", ("dim",)) == {("3",): 1}
    assert q(ctx, "complaints.handled", "ent_b", ("month", "dim")) == {("2011-04", "on_time"): 1}
    # A filter naming another enterprise's street finds nothing of it.
    assert q(ctx, "complaints.submitted", "ent_b", street="500103005") == {}


def test_another_district_sees_nothing_of_yuzhong(ctx, dash_data):
    assert q(ctx, "complaints.submitted", "dash_d2", ("district",)) == {("500112",): 1}
    assert q(ctx, "complaints.submitted", "dash_d2", district="500103") == {}
    assert q(ctx, "complaints.rated", "dash_d2", ("dim",)) == {("4",): 1}


def test_rollup_twice_gives_the_same_rows(ctx, dash_data):
    from app.core.rollup import StatDaily

    def rows():
        stmt = (select(StatDaily.metric, StatDaily.day, StatDaily.district_code, StatDaily.street_code,
                       StatDaily.org_id, StatDaily.dim, StatDaily.value)
                .where(StatDaily.metric.like("complaints.%"), StatDaily.day >= FIRST, StatDaily.day <= LAST)
                .order_by(StatDaily.metric, StatDaily.day, StatDaily.district_code, StatDaily.street_code,
                          StatDaily.org_id, StatDaily.dim))
        return [tuple(r) for r in db.session.execute(stmt).all()]

    before = rows()
    assert before
    _roll_complaints(full=False)
    _roll_complaints(full=False)
    assert rows() == before
    _roll_complaints(full=True)
    assert rows() == before


def test_an_incremental_run_takes_rows_added_with_old_dates(ctx, dash_data):
    from app.complaints.models import Complaint
    from app.core import rollup

    _roll_complaints(full=False)
    area = db.session.get(__import__("app.property.models", fromlist=["PropertyArea"]).PropertyArea,
                          dash_data["areas"][1])
    row = _complaint(area, D(2011, 6, 1, 9), D(2011, 6, 6, 9), "pending")
    db.session.commit()
    try:
        assert ("2011-06",) not in q(ctx, "complaints.submitted", "ent_b")
        out = rollup.run_job()
        assert "complaints.submitted=" in out
        assert q(ctx, "complaints.submitted", "ent_b")[("2011-06",)] == 1
        assert q(ctx, "complaints.submitted", "district1")[("2011-06",)] == 1
    finally:
        db.session.execute(delete(Complaint).where(Complaint.id == row.id))
        db.session.commit()
        _roll_complaints()
    assert ("2011-06",) not in q(ctx, "complaints.submitted", "ent_b")


def test_a_project_lead_is_counted_live_in_the_areas_led(ctx, dash_data):
    from app.core import rollup

    # pm_a leads none of this file's areas: nothing of them, and no summary table for an area scope.
    assert not rollup.reads_table(user(ctx, "pm_a"))
    assert q(ctx, "complaints.submitted", "pm_a") == {}


def test_charts_per_role_follow_the_module_permissions(app, ctx):
    from app.core import charts

    def keys(username, home=False):
        u = user(app, username)
        with app.test_request_context():
            from flask import g

            g.user = u
            from flask_login import login_user

            login_user(u)
            return {c.key for c in charts.charts_for(u, home=home)}

    ent = keys("ent_a")
    assert {"complaints.sla", "property.care_due"} <= ent
    assert not ent & {"filings.by_type", "credit.levels", "accounts.registrations", "complaints.by_region",
                      "allocation.per_plan"}
    lead = keys("pm_a")
    assert "complaints.sla" in lead and not lead & {"credit.records", "rental.monthly", "filings.by_type"}
    analyst = keys("analyst")
    assert {"complaints.by_region", "credit.levels", "rental.monthly", "allocation.per_plan"} <= analyst
    assert "accounts.registrations" not in analyst          # persons are gov_admin's
    assert "accounts.registrations" in keys("gov_admin")
    assert {"filings.by_type", "filings.by_region"} <= keys("reviewer")
    # Home pages carry fewer charts than the dashboard.
    assert keys("gov_admin", home=True) < keys("gov_admin")


@pytest.mark.parametrize("args, message", [
    ({"from": "2011-13-01"}, "开始日期"),
    ({"to": "abc"}, "结束日期"),
    ({"from": "2011-05-01", "to": "2011-04-01"}, "开始日期晚于结束日期"),
    ({"from": "2001-01-01", "to": "2011-01-01"}, "731"),
    ({"district": "500112"}, "区县"),
])
def test_bad_filters_fall_back_with_a_chinese_message(app, ctx, args, message):
    from app.core import charts

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        f = charts.parse_filters(args, user(app, "district1"))
        assert any(message in str(p) for p in f.problems), [str(p) for p in f.problems]
        assert f.district is None
        assert (f.date_to - f.date_from).days < charts.MAX_DAYS


def test_months_of_a_period():
    from app.core import charts

    f = charts.Filters(date(2011, 11, 15), date(2012, 2, 1))
    assert charts.months(f) == ["2011-11", "2011-12", "2012-01", "2012-02"]


def test_rows_dated_ahead_are_counted_too(ctx, dash_data):
    """A row dated after today (a credit record taking effect next week) is in the summary as in
    the live count (a full run used to stop at today)."""
    from datetime import datetime, timedelta

    from app.complaints.models import Complaint
    from app.core import rollup
    from app.property.models import PropertyArea

    area = db.session.get(PropertyArea, dash_data["areas"][0])
    ahead = datetime.now().replace(microsecond=0) + timedelta(days=9)
    row = _complaint(area, ahead, ahead + timedelta(days=5), "pending")
    db.session.commit()
    try:
        for full in (True, False):
            _roll_complaints(full=full)
            wide = (date(2000, 1, 1), date(2099, 12, 31))
            got = rollup.query("complaints.submitted", user(ctx, "gov_admin"), *wide, group=("month",))
            live = rollup.query("complaints.submitted", user(ctx, "gov_admin"), *wide, group=("month",), live=True)
            assert got == live and got.get((ahead.strftime("%Y-%m"),), 0) >= 1, full
    finally:
        db.session.delete(db.session.get(Complaint, row.id))
        db.session.commit()
        _roll_complaints()
