"""信息公示 (/credit/public/): anyone, without signing in, finds an enterprise by name or
统一社会信用代码 and reads its 信用等级 and 信用分, its red/black list entries in publicity or
in effect and its records open for objection; nothing else (no other status, no person, no
mobile, no facts); one statement per page, capped paging, hardened input, cacheable."""
import re
import uuid
from types import SimpleNamespace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db
from tests.conftest import Client
from tests.credit.helpers import new_enterprise, org, propose, rule, user

ENT_A_CODE, ENT_B_CODE = "91500103MA5U7A1B23", "91500103MA5U8C3D4W"
# Who appears in the demo's credit data (applicants, reviewers, enterprise admins) and their mobiles.
DEMO_PEOPLE = ["渝中区管理员", "审核员", "市级管理员", "安居物业管理员", "和居物业管理员", "七星岗街道", "系统管理员"]
DEMO_MOBILES = [f"138000000{n:02d}" for n in range(1, 12)]


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _rows(html):
    """{credit code: (level, score, lists text)} of the search results."""
    out = {}
    for m in re.finditer(r'<tr class="credit-public-row" data-code="([^"]*)">(.*?)</tr>', html, re.S):
        level = re.search(r'class="credit-public-level level">([^<]*)<', m.group(2)).group(1)
        score = re.search(r'class="score">([^<]*)<', m.group(2)).group(1)
        lists = _text(re.search(r'class="lists">(.*?)</td>', m.group(2), re.S).group(1)).strip()
        out[m.group(1)] = (level, int(score), lists)
    return out


def _code():
    return "TC" + f"{uuid.uuid4().int % 10 ** 16:016d}"


def _enterprise(name=None, active=True):
    o = new_enterprise(name=name)
    o.credit_code, o.active = _code(), active
    db.session.commit()
    return o


def _black(org_id, moment, reason="多次违规经查证属实", take_effect=True, list_type="black"):
    from app.credit import services

    entry = services.propose_list_entry(user("gov_admin"), {"org_id": org_id, "list_type": list_type,
                                                            "reason": reason}, moment=moment)
    services.transition(entry, "approve", user("reviewer"), moment=moment + timedelta(hours=1))
    if take_effect:
        services.transition(entry, "take_effect", None, moment=entry.publicity_until)
    db.session.commit()
    return entry


def _effective(org_id, code, score, moment):
    """A record approved at ``moment`` and past its publicity: in effect now."""
    from app.credit import services

    record = propose(org_id, code, score, moment=moment, event_date=(moment - timedelta(days=1)).date())
    services.transition(record, "approve", user("reviewer"), moment=moment)
    services.transition(record, "take_effect", None, moment=record.publicity_until)
    db.session.commit()
    return record


@pytest.fixture
def anon(app):
    return Client(app)


# --- no login, search --------------------------------------------------------------------------

def test_anyone_opens_the_disclosure_without_signing_in(ctx, anon):
    from app.credit import scoring

    resp = anon.get("/credit/public/")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=60" and "Cookie" in resp.headers.get("Vary", "")
    html = resp.get_data(as_text=True)
    assert "信息公示" in html and "信用等级" in html and "信用分" in html and 'id="btn-print"' in html
    assert "window.print()" in html and "@media print" in html
    assert _rows(html), "the first page lists enterprises"
    # Enterprises come by name; other tests add many, so find ent_a by its name.
    rows = _rows(anon.get("/credit/public/?q=安居物业服务").get_data(as_text=True))
    a = scoring.score_of(org("ent_a").id)
    assert rows[ENT_A_CODE][:2] == (a.level, a.score)
    # The login and register links of the public layout, no console menu.
    assert 'id="public-login"' in html and "navbar-nav" not in html


def test_search_by_name_contains_and_by_code_exactly(ctx, anon):
    html = anon.get("/credit/public/?q=和居物业").get_data(as_text=True)
    assert set(_rows(html)) == {ENT_B_CODE}
    # The code is exact and case-insensitive; a part of a code finds nothing.
    html = anon.get(f"/credit/public/?q={ENT_A_CODE.lower()}").get_data(as_text=True)
    assert set(_rows(html)) == {ENT_A_CODE}
    html = anon.get(f"/credit/public/?q={ENT_A_CODE[:10]}").get_data(as_text=True)
    assert _rows(html) == {} and 'id="credit-public-empty"' in html and "没有找到企业。" in html


def test_search_shows_the_list_status(ctx, anon):
    now = datetime.now().replace(microsecond=0)
    listed = _enterprise()
    _black(listed.id, now - timedelta(days=30))
    pending = _enterprise()
    _black(pending.id, now - timedelta(hours=2), take_effect=False)          # 公示中
    red = _enterprise()
    _black(red.id, now - timedelta(days=30), reason="连续保持AAA", list_type="red")
    rows = _rows(anon.get("/credit/public/?q=信用测试物业服务有限公司").get_data(as_text=True))
    rows.update(_rows(anon.get("/credit/public/?q=" + listed.credit_code).get_data(as_text=True)))
    rows.update(_rows(anon.get("/credit/public/?q=" + pending.credit_code).get_data(as_text=True)))
    rows.update(_rows(anon.get("/credit/public/?q=" + red.credit_code).get_data(as_text=True)))
    assert rows[listed.credit_code][2] == "黑名单（生效）"
    assert rows[pending.credit_code][2] == "黑名单（公示中）"
    assert rows[red.credit_code][2] == "红名单（生效）"


def test_only_active_enterprises_are_disclosed(ctx, anon):
    from app.system.models import Organization

    gone = _enterprise(active=False)
    html = anon.get("/credit/public/?q=" + gone.credit_code).get_data(as_text=True)
    assert _rows(html) == {}
    assert anon.get("/credit/public/" + gone.credit_code).status_code == 404
    office = Organization(name=f"信用测试街道办{uuid.uuid4().hex[:8]}", org_type="street", region_code="500103001",
                          credit_code=_code(), active=True)
    db.session.add(office)
    db.session.commit()
    assert _rows(anon.get("/credit/public/?q=" + office.credit_code).get_data(as_text=True)) == {}
    resp = anon.get("/credit/public/" + office.credit_code)
    assert resp.status_code == 404
    assert f"未找到统一社会信用代码为 {office.credit_code} 的企业。" in resp.get_data(as_text=True)


# --- the detail ---------------------------------------------------------------------------------

def test_detail_shows_level_public_entries_and_records_in_publicity_only(ctx, anon):
    from app.credit import scoring, services

    now = datetime.now().replace(microsecond=0)
    o = _enterprise()
    done = _effective(o.id, "WY-K-005", 6, now - timedelta(days=40))                # 生效: counts, not listed
    in_publicity = propose(o.id, "WY-K-004", 3, moment=now - timedelta(days=2),
                           facts="设备维保记录缺失，经检查属实（公示测试）", event_date=(now - timedelta(days=3)).date())
    services.transition(in_publicity, "approve", user("reviewer"), moment=now - timedelta(days=1))
    db.session.commit()
    objected = propose(o.id, "WY-K-004", 2, moment=now - timedelta(days=2),
                       facts="异议测试事实", event_date=(now - timedelta(days=3)).date())
    services.transition(objected, "approve", user("reviewer"), moment=now - timedelta(days=1))
    db.session.commit()
    in_review = propose(o.id, "WY-K-005", 4, moment=now - timedelta(hours=3),
                        event_date=(now - timedelta(hours=3)).date())
    returned = propose(o.id, "WY-K-005", 4, moment=now - timedelta(hours=3), event_date=(now - timedelta(hours=3)).date())
    services.transition(returned, "return", user("reviewer"), "请补充材料", moment=now - timedelta(hours=2))
    db.session.commit()
    black = _black(o.id, now - timedelta(days=30), reason="严重失信经查证属实")
    proposed_red = services.propose_list_entry(user("gov_admin"), {"org_id": o.id, "list_type": "red",
                                                                   "reason": "红名单待审核不应公示"},
                                               moment=now - timedelta(hours=1))
    db.session.commit()
    # The enterprise objects to one record: 异议处理中 stays public (open for objection).
    objector = SimpleNamespace(id=user("ent_a").id, org_id=o.id, roles=user("ent_a").roles,
                               first_name="异议人赵某某", username="ent_a")
    services.object_to(objected, objector, "我司已整改，申请撤销（异议人赵某某 13912345678）", moment=now)
    db.session.commit()
    score = scoring.score_of(o.id)
    resp = anon.get("/credit/public/" + o.credit_code.lower())
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "public, max-age=60"
    html = resp.get_data(as_text=True)
    assert re.search(r'id="ent-level">%s<' % score.level, html) and re.search(r'id="ent-score">%s<' % score.score, html)
    assert score.score == 54                                         # 60 - 6 (only the record in effect)
    entries = re.findall(r'<tr class="credit-public-entry" data-type="(\w+)" data-status="(\w+)">', html)
    assert entries == [("black", "effective")]
    assert black.number in html and "严重失信经查证属实" in html and proposed_red.number not in html
    assert black.valid_until.strftime("%Y-%m-%d") in html and black.publicity_until.strftime("%Y-%m-%d %H:%M") in html
    records = dict(re.findall(r'<tr class="credit-public-record" data-number="(\w+)" data-status="(\w+)">', html))
    assert records == {in_publicity.number: "publicity", objected.number: "objected"}
    for hidden in (done, in_review, returned):
        assert hidden.number not in html
    row = re.search(r'data-number="%s".*?</tr>' % in_publicity.number, html, re.S).group(0)
    text = _text(row)
    assert "WY-K-004" in text and rule("WY-K-004").item in text and "扣分" in text and "-3" in text
    assert in_publicity.event_date.isoformat() in text and in_publicity.publicity_until.strftime("%Y-%m-%d %H:%M") in text
    assert "公示中" in text and "异议处理中" in _text(html)
    # No personal data: neither the applicant, the reviewer, the objector nor any facts or mobile.
    for secret in ("异议人赵某某", "13912345678", "我司已整改", "设备维保记录缺失", "异议测试事实", "电梯长期停运",
                   "请补充材料", o.contact_mobile, "渝中区管理员", "审核员", "市级管理员"):
        assert secret not in html, secret


def test_demo_enterprises_show_no_personal_data(ctx, anon):
    """The demo's records name their applicants (district1), reviewers and enterprise staff; none
    of them, nor a mobile or a facts text, reaches a public page."""
    from app.cli import DEMO_CREDIT_RECORDS
    from app.credit.models import CreditRecord

    facts = [f for *_rest, f in DEMO_CREDIT_RECORDS]
    in_publicity = db.session.execute(select(CreditRecord).where(
        CreditRecord.org_id == org("ent_b").id, CreditRecord.status == "publicity")).scalars().first()
    pages = [anon.get(url).get_data(as_text=True) for url in (
        "/credit/public/", "/credit/public/?q=重庆", f"/credit/public/{ENT_A_CODE}", f"/credit/public/{ENT_B_CODE}")]
    if in_publicity is not None:
        assert in_publicity.number in pages[3]
    for html in pages:
        for secret in DEMO_PEOPLE + DEMO_MOBILES + facts:
            assert secret not in html, secret
        assert "applicant" not in html and "身份证" not in html


def test_not_found_and_odd_codes(ctx, anon):
    for code in ("91500103MA5U7A1B2X", "x" * 500, "%27%20OR%201=1--", "a/b/c", "%00", "\u0000", "中文代码"):
        resp = anon.get("/credit/public/" + code)
        assert resp.status_code == 404, code
        assert "未找到统一社会信用代码为" in resp.get_data(as_text=True)


# --- input hardening ----------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["x" * 65, "和" * 300])
def test_long_query_is_refused_in_chinese(ctx, anon, q):
    resp = anon.get("/credit/public/", query_string={"q": q})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "查询内容不能超过 64 个字符。" in html


@pytest.mark.parametrize("q", ["a\x00b", "\x07"])
def test_control_characters_are_refused_in_chinese(ctx, anon, q):
    """The console's request guard (app/core/guards.py) refuses them before any view runs."""
    resp = anon.get("/credit/public/", query_string={"q": q})
    assert resp.status_code == 400 and "不能包含控制字符。" in resp.get_data(as_text=True)


@pytest.mark.parametrize("q", ["%", "_", "%%%", "\\", "'", "\"", "<script>alert(1)</script>",
                               "'; DROP TABLE anju_org; --", "　", "   "])
def test_odd_queries_never_fail(ctx, anon, q):
    resp = anon.get("/credit/public/", query_string={"q": q})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    if q in ("%", "_", "%%%"):
        # LIKE wildcards are searched for as text: they do not match every enterprise, only
        # those whose name holds the character itself (other tests' enterprises may).
        from app.system.models import Organization

        shown = set(_rows(html))
        names = dict(db.session.execute(select(Organization.credit_code, Organization.name)
                                        .where(Organization.credit_code.in_(shown))).all()) if shown else {}
        assert all(q in names.get(code, "") for code in shown), names


def test_bytes_that_are_not_utf8_never_fail(ctx, anon):
    for url in ("/credit/public/?q=%ED%A0%80", "/credit/public/?q=%FF%FE", "/credit/public/?page=%FF",
                "/credit/public/%ED%A0%80", "/credit/public/?q=%E5%92"):
        assert anon.get(url).status_code in (200, 404), url


@pytest.mark.parametrize("page, message", [
    ("abc", "页码无效，已显示第一页。"), ("-1", "页码无效，已显示第一页。"), ("0", "页码无效，已显示第一页。"),
    ("1.5", "页码无效，已显示第一页。"), ("99999999999999999999", "页码无效，已显示第一页。"), ("²", "页码无效，已显示第一页。"),
    ("101", "最多只能显示前 100 页，请缩小查询范围。"), ("100000", "最多只能显示前 100 页，请缩小查询范围。"),
])
def test_bad_page_numbers_show_the_first_page_with_a_message(ctx, anon, page, message):
    resp = anon.get("/credit/public/", query_string={"page": page})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html and "第 1 页" in html and _rows(html)


def test_twenty_per_page_and_the_next_page(ctx, anon):
    tag = f"分页测试{uuid.uuid4().hex[:6]}"
    made = [_enterprise(name=f"{tag}物业{i:02d}") for i in range(23)]
    html = anon.get("/credit/public/", query_string={"q": tag}).get_data(as_text=True)
    first = _rows(html)
    assert len(first) == 20 and 'id="pager-next"' in html and 'id="pager-prev"' not in html
    html = anon.get("/credit/public/", query_string={"q": tag, "page": 2}).get_data(as_text=True)
    second = _rows(html)
    assert len(second) == 3 and 'id="pager-next"' not in html and 'id="pager-prev"' in html
    assert set(first) | set(second) == {o.credit_code for o in made}
    html = anon.get("/credit/public/", query_string={"q": tag, "page": 3}).get_data(as_text=True)
    assert _rows(html) == {} and "第 3 页" in html


def test_one_statement_per_page_whatever_the_rows(app, ctx, anon):
    """No N+1: a page of 20 enterprises runs as many statements as a page of one."""
    tag = f"语句测试{uuid.uuid4().hex[:6]}"
    now = datetime.now().replace(microsecond=0)
    made = [_enterprise(name=f"{tag}物业{i:02d}") for i in range(20)]
    _black(made[0].id, now - timedelta(days=30))
    anon.get("/credit/public/")                      # warm per-process caches
    engine = db.engine

    def statements(url):
        seen = []

        def spy(conn, cursor, statement, params, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", spy)
        try:
            assert anon.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", spy)
        return seen

    many = statements(f"/credit/public/?q={tag}")
    one = statements(f"/credit/public/?q={made[5].credit_code}")
    assert len(many) == len(one)
    searches = [s for s in many if "anju_org" in s]
    assert len(searches) == 1 and "anju_credit_score" in searches[0] and "anju_credit_list" in searches[0]
    assert "LIMIT" in searches[0].upper() and "count(" not in searches[0].lower()


# --- who reaches it -----------------------------------------------------------------------------

def test_staff_find_it_in_the_credit_menu_and_the_public_pages_link_it(app, anon, login):
    # (No ``ctx`` here: requests inside one pushed app context would share flask-login's user.)
    assert 'id="home-credit-public"' in anon.get("/").get_data(as_text=True)
    assert 'id="footer-credit-public"' in anon.get("/credit/public/").get_data(as_text=True)
    html = login("district1").get("/").get_data(as_text=True)
    assert 'href="/credit/public/"' in html and "信息公示" in html
    with app.app_context():
        sm = app.appbuilder.sm
        for role in ("gov_admin", "gov_reviewer", "district", "street", "analyst"):
            names = {(p.permission.name, p.view_menu.name) for p in sm.find_role(role).permissions}
            assert ("menu_access", "Credit disclosure") in names, role


def test_a_signed_in_visitor_is_not_cached(ctx, login):
    resp = login("ent_b").get("/credit/public/")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"


def test_the_enterprise_lookup_shows_the_credit_status(app, anon):
    """seed 003 §4 enterprise lookup: the level and the red/black list status, linking to 信息公示."""
    from app.credit import services
    from tests.credit.helpers import new_enterprise, user

    with app.test_request_context("/"):
        ent = new_enterprise()
        entry = services.propose_list_entry(user("gov_admin"), {"org_id": ent.id, "list_type": "black",
                                                                "reason": "查询页测试"})
        services.transition(entry, "approve", user("reviewer"))
        db.session.commit()
        code = ent.credit_code
        db.session.remove()
    html = anon.get(f"/enterprise-lookup?code={code}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr class="lookup-extra"><th>(.*?)</th><td>(?:<a href="[^"]*">)?(.*?)(?:</a>)?</td></tr>',
                           html))
    assert rows == {"信用等级 · 信用分": "B · 60", "红黑名单": "黑名单（公示中）"}
    assert f'href="/credit/public/{code}"' in html
