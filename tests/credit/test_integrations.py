"""Credit across the console (seed 003 §14): the enterprise's home shows 信用等级 and 信用分 (and a
warning while black-listed), 企业信息详情 and its print/PDF show the level, score and list status,
the enterprise list has a 信用等级 column and filter, a business application of a black-listed
enterprise warns its reviewer, helpdesk sees levels only; the engines' hooks; the demo data and
``flask credit daily``.

Requests are made without the ``ctx`` fixture's app context around them (requests inside one
pushed app context would share flask-login's user); data is made inside ``app.app_context()``."""
import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.credit.helpers import new_enterprise, org, propose, user


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _card(html, key):
    m = re.search(r'<a class="anju-home-card anju-home-(\w+)" id="home-card-%s"\s*(?:href="([^"]*)")?>(.*?)</a>' % key,
                  html, re.S)
    return (m.group(1), m.group(2), _text(m.group(3))) if m else None


def _black_listed_enterprise(app, days_ago=30, effective=True):
    """A fresh enterprise (no user of its own) on the black list: (org id, entry number)."""
    from app.credit import services

    with app.app_context():
        o = new_enterprise()
        moment = datetime.now().replace(microsecond=0) - timedelta(days=days_ago)
        entry = services.propose_list_entry(user("gov_admin"), {"org_id": o.id, "list_type": "black",
                                                                "reason": "挪用专项维修资金经查证属实"}, moment=moment)
        services.transition(entry, "approve", user("reviewer"), moment=moment + timedelta(hours=1))
        if effective:
            services.transition(entry, "take_effect", None, moment=entry.publicity_until)
        db.session.commit()
        return o.id, entry.number


def _deducted_enterprise(app, score=12):
    """A fresh enterprise with one deduction in effect (60 - 12 = 48: level C)."""
    from app.credit import services

    with app.app_context():
        o = new_enterprise()
        moment = datetime.now().replace(microsecond=0) - timedelta(days=20)
        record = propose(o.id, "WY-K-006", score, moment=moment, event_date=(moment - timedelta(days=1)).date())
        services.transition(record, "approve", user("reviewer"), moment=moment)
        services.transition(record, "take_effect", None, moment=record.publicity_until)
        db.session.commit()
        return o.id, o.name


# --- home ---------------------------------------------------------------------------------------

def test_home_card_of_ent_a_shows_level_and_score_and_the_black_list(app, login):
    from app.credit import scoring, services

    with app.app_context():
        ent_a = org("ent_a")
        score = scoring.score_of(ent_a.id)
        level, points, org_id = score.level, score.score, ent_a.id
        listed = services.is_blacklisted(org_id)
    html = login("ent_a").get("/").get_data(as_text=True)
    card = _card(html, "credit-score")
    assert card is not None
    assert card[1] == f"/credit/scores/show/{org_id}"
    assert "信用等级 · 信用分" in card[2] and f"{level} · {points}" in card[2]
    assert card[0] == {"C": "danger", "B": "warning"}.get(level, "info")
    # The cards sit above the 待办.
    assert html.index('id="home-cards"') < html.index('id="home-todos"')
    warning = _card(html, "credit-blacklist")
    if listed:
        assert warning[0] == "danger" and "信用警示" in warning[2] and "黑名单（生效）" in warning[2]
        assert warning[1].startswith("/credit/lists/show/")
    else:
        assert warning is None


def test_the_demo_leaves_ent_a_at_level_c_and_ent_b_at_aa(app):
    """What the demo promises (app/cli.py load_demo), unless a test of the session moved it."""
    from app.cli import DEMO_CREDIT_RECORDS
    from app.credit import scoring
    from app.credit.models import CreditRecord

    with app.app_context():
        states = dict(db.session.execute(select(CreditRecord.facts, CreditRecord.status).where(
            CreditRecord.facts.in_([f for *_r, f in DEMO_CREDIT_RECORDS]))).all())
        assert set(states) == {f for *_r, f in DEMO_CREDIT_RECORDS}
        expected = {f: outcome for _o, _c, _s, _e, _d, outcome, f in DEMO_CREDIT_RECORDS}
        if states == expected:
            assert scoring.score_of(org("ent_a").id).level == "C"
            assert scoring.score_of(org("ent_b").id).level == "AA"


def test_no_credit_card_for_users_without_an_enterprise(app, login):
    for username in ("admin", "district1", "reviewer", "helpdesk", "pm_a"):
        html = login(username).get("/").get_data(as_text=True)
        assert 'id="home-card-credit-score"' not in html and 'id="home-cards"' not in html, username


def test_a_black_list_entry_in_publicity_is_a_warning_card(app):
    from types import SimpleNamespace

    from app.credit import hooks

    org_id, number = _black_listed_enterprise(app, days_ago=0, effective=False)
    with app.test_request_context():
        card = hooks.blacklist_card(SimpleNamespace(org_id=org_id))
        assert card.level == "warning" and number in str(card.detail) and "公示中" in card.value
        assert hooks.blacklist_card(SimpleNamespace(org_id=None)) is None


# --- enterprise detail and list ---------------------------------------------------------------

def test_enterprise_detail_shows_level_score_and_list_status(app, login):
    from app.credit import scoring

    org_id, number = _black_listed_enterprise(app)
    with app.app_context():
        score = scoring.score_of(org_id)
    c = login("district1")
    html = c.get(f"/enterprise/{org_id}").get_data(as_text=True)
    assert re.search(r'id="credit-level">%s<' % score.level, html)
    assert re.search(r'id="credit-score">%s<' % score.score, html)
    lists = _text(re.search(r'id="credit-lists">(.*?)</td>', html, re.S).group(1))
    assert number in lists and "黑名单" in lists and "生效" in lists and "挪用专项维修资金经查证属实" in lists
    assert "信用评价尚未开展" not in html
    page = c.get(f"/enterprise/{org_id}/print").get_data(as_text=True)
    assert "信用等级" in page and "信用分" in page and number in page and "信用评价尚未开展" not in page
    resp = c.get(f"/enterprise/{org_id}/pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_the_enterprise_sees_its_own_level_on_its_detail(app, login):
    from app.credit import scoring

    with app.app_context():
        ent_a = org("ent_a")
        score, org_id = scoring.score_of(ent_a.id), ent_a.id
        level, points = score.level, score.score
    html = login("ent_a").get("/enterprise/", follow_redirects=True).get_data(as_text=True)
    assert re.search(r'id="credit-level">%s<' % level, html) and re.search(r'id="credit-score">%s<' % points, html)
    # Another enterprise's detail stays closed.
    assert login("ent_b").get(f"/enterprise/{org_id}").status_code == 404


def _list_rows(html):
    """{org id: credit level} of the enterprise list."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<tr id="enterprise-(\d+)">.*?<td class="credit-level"[^>]*>([^<]*)</td>', html, re.S)}


def test_enterprise_list_has_a_level_column_and_filter(app, login):
    c_id, c_name = _deducted_enterprise(app)
    with app.app_context():
        fresh = new_enterprise(name=f"信用列表未评分物业{uuid.uuid4().hex[:6]}")       # no score row: base level
        fresh_id, fresh_name = fresh.id, fresh.name
    c = login("district1")
    html = c.get("/enterprise/", query_string={"q": c_name}).get_data(as_text=True)
    assert "<th>信用等级</th>" in html and 'id="level"' in html and "全部信用等级" in html
    assert _list_rows(html) == {c_id: "C"}
    assert _list_rows(c.get("/enterprise/", query_string={"q": c_name, "level": "C"}).get_data(as_text=True)) == {
        c_id: "C"}
    assert _list_rows(c.get("/enterprise/", query_string={"q": c_name, "level": "AA"}).get_data(as_text=True)) == {}
    html = c.get("/enterprise/", query_string={"q": fresh_name}).get_data(as_text=True)
    assert _list_rows(html) == {fresh_id: "B"}
    assert _list_rows(c.get("/enterprise/", query_string={"q": fresh_name, "level": "B"}).get_data(as_text=True)) == {
        fresh_id: "B"}
    assert _list_rows(c.get("/enterprise/", query_string={"q": fresh_name, "level": "C"}).get_data(as_text=True)) == {}
    # An unknown level is ignored, never an error; the level filter keeps the district's scope.
    resp = c.get("/enterprise/", query_string={"q": fresh_name, "level": "ZZ' OR 1=1"})
    assert resp.status_code == 200 and _list_rows(resp.get_data(as_text=True)) == {fresh_id: "B"}
    with app.app_context():
        other = new_enterprise(region="500112")
        from app.credit import scoring

        scoring.recompute([other.id])
        db.session.commit()
        other_name = other.name
    assert _list_rows(c.get("/enterprise/", query_string={"q": other_name, "level": "B"}).get_data(as_text=True)) == {}


def test_level_filter_by_service(app):
    """enterprise_page: the filter counts as it lists (the total follows the level)."""
    from app.property.enterprise import detail as enterprise_detail

    c_id, c_name = _deducted_enterprise(app)
    with app.test_request_context():
        rows, total = enterprise_detail.enterprise_page(user("gov_admin"), c_name, level="C")
        assert total == 1 and rows[0].org.id == c_id and rows[0].credit_level == "C" and rows[0].credit_score == 48
        assert enterprise_detail.enterprise_page(user("gov_admin"), c_name, level="A") == ([], 0)


# --- business applications ----------------------------------------------------------------------

def _application(app, org_id, applicant="ent_b"):
    from app.core import workflow
    from app.property.enterprise.services import ENTERPRISE_FILING

    with app.app_context():
        a = workflow.create(ENTERPRISE_FILING, applicant=user(applicant), title=f"信用警示测试{org_id}", org_id=org_id,
                            region_code="500103", submit=True, payload={"is_local": True})
        db.session.commit()
        return a.id


def test_a_black_listed_enterprises_application_warns_its_reviewer(app, login):
    from app.core import workflow
    from app.core.workflow import Application

    org_id, number = _black_listed_enterprise(app)
    pk = _application(app, org_id)
    html = login("reviewer").get(f"/applications/show/{pk}").get_data(as_text=True)
    alert = re.search(r'<div class="alert alert-danger" id="app-warnings"[^>]*>(.*?)</div>', html, re.S)
    assert alert is not None
    text = _text(alert.group(1))
    assert f"该企业已被列入黑名单（{number}，有效期至" in text and "挪用专项维修资金经查证属实" in text
    # An enterprise on no list: no warning.
    with app.app_context():
        clean_id = new_enterprise().id
    pk2 = _application(app, clean_id)
    assert 'id="app-warnings"' not in login("reviewer").get(f"/applications/show/{pk2}").get_data(as_text=True)
    # The warnings are for reviewers: not shown to the applicant nor to the applying organisation.
    with app.app_context():
        item = db.session.get(Application, pk)
        assert workflow.warnings_for(item, viewer=user("reviewer"))
        assert workflow.warnings_for(item, viewer=user("ent_b")) == []
        member = type("Member", (), {"id": -1, "org_id": org_id})()
        assert workflow.warnings_for(item, viewer=member) == []


# --- helpdesk: levels only ------------------------------------------------------------------------

def test_helpdesk_sees_levels_only(app, login):
    from app.credit import scoring

    with app.app_context():
        sm = app.appbuilder.sm
        names = {(p.permission.name, p.view_menu.name) for p in sm.find_role("helpdesk").permissions}
        ent_a = org("ent_a")
        score, org_id = scoring.score_of(ent_a.id), ent_a.id
        level, points = score.level, score.score
    # The score (level) view and API, and nothing of records, lists, objections or repairs.
    assert ("can_show", "CreditScoreView") in names and ("can_get", "CreditScoreApi") in names
    for view in ("CreditRecordView", "CreditListView", "CreditObjectionView", "CreditRepairView", "CreditRuleView",
                 "CreditRecordApi", "CreditListApi", "EnterpriseDetailView", "ApplicationView"):
        assert not any(v == view for _p, v in names), view
    c = login("helpdesk")
    # No enterprise detail (with its list reasons), no application with its warnings, no home card.
    assert c.get(f"/enterprise/{org_id}").status_code != 200
    assert 'id="home-cards"' not in c.get("/").get_data(as_text=True)
    # The level and list status as anyone reads them on 信息公示.
    html = c.get("/credit/public/?q=91500103MA5U7A1B23").get_data(as_text=True)
    assert f'class="credit-public-level level">{level}<' in html and f'class="score">{points}<' in html


# --- the engines' hooks ---------------------------------------------------------------------------

def test_cards_and_warnings_that_fail_are_left_out(app):
    from types import SimpleNamespace

    from app.core import workflow, worklist

    calls = []

    def broken(_x):
        calls.append(1)
        raise RuntimeError("boom")

    worklist.register_card("test.broken", broken)
    worklist.register_card("test.odd", lambda u: worklist.Card("标题", "值", level="purple"))
    workflow.register_warning(broken)
    workflow.register_warning(broken)                 # registered once
    try:
        with app.test_request_context():
            cards = worklist.cards_for(SimpleNamespace(org_id=None, org=None, roles=[]))
            odd = [c for c in cards if c.key == "test.odd"]
            assert odd and odd[0].level == "info" and not [c for c in cards if c.key == "test.broken"]
            assert worklist.cards_for(None) == []
            application = SimpleNamespace(org_id=None, applicant_id=None)
            assert workflow.warnings_for(application) == []
            assert calls == [1, 1]
    finally:
        worklist._CARDS.pop("test.broken", None)
        worklist._CARDS.pop("test.odd", None)
        workflow._WARNINGS.remove(broken)


# --- demo data and the CLI ------------------------------------------------------------------------

def test_demo_data_is_idempotent_and_repair_can_be_tried(app):
    from app.cli import DEMO_BLACK_LIST, DEMO_CREDIT_RETURN_REASON, load_demo
    from app.credit import services
    from app.credit.models import CreditListEntry, CreditRecord, CreditScoreHistory

    with app.app_context():
        def counts():
            return tuple(db.session.execute(select(func.count()).select_from(m)).scalar()
                         for m in (CreditRecord, CreditListEntry, CreditScoreHistory))

        before = counts()
        assert load_demo()["credit"] == 0
        assert counts() == before
        ent_a, ent_b = org("ent_a"), org("ent_b")
        entry = db.session.execute(select(CreditListEntry).where(
            CreditListEntry.org_id == ent_a.id, CreditListEntry.reason == DEMO_BLACK_LIST[2])).scalars().one()
        if entry.status == "effective":
            assert services.repair_refusal(entry, user("ent_a")) is None
        returned = db.session.execute(select(CreditRecord).where(
            CreditRecord.org_id == ent_b.id, CreditRecord.reason == DEMO_CREDIT_RETURN_REASON)).scalars().all()
        assert returned and returned[0].applicant_id == user("district1").id
        assert db.session.execute(select(CreditRecord.id).where(
            CreditRecord.org_id == ent_a.id, CreditRecord.applicant_id == user("district1").id,
            CreditRecord.status == "review")).first() is not None


def test_flask_credit_daily_runs_the_job_at_the_moment_given(app, monkeypatch):
    from app.credit import jobs

    seen = []
    monkeypatch.setattr(jobs, "run_daily", lambda moment=None, session=None: seen.append(moment) or
                        {"effective": 2, "proposed": 0})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["credit", "daily", "--at", "2026-12-10 02:00"])
    assert result.exit_code == 0, result.output
    assert seen == [datetime(2026, 12, 10, 2, 0)] and "effective: 2" in result.output
    result = runner.invoke(args=["credit", "daily"])
    assert result.exit_code == 0 and seen[-1] is None
    result = runner.invoke(args=["credit", "daily", "--at", "next tuesday"])
    assert result.exit_code != 0 and "YYYY-MM-DD HH:MM" in result.output and len(seen) == 2
