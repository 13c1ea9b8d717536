"""满意度调查: created and published by government, answered by owners verified against the house
registry (once each, only in the period), results by area and by company, credit fed once on
close, and scope from outside."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.property.service_helpers import add_house, data, gov_user, make_area, new_id

ITEMS = ("overall", "cleaning", "order", "greening", "repair", "service")


@pytest.fixture(scope="module")
def place(app):
    with data(app):
        a = make_area("调查测试小区")
        b = make_area("调查测试花园", company="重庆和居物业管理有限公司")
        owners = {"a1": ("王一", new_id()), "a2": ("王二", new_id()), "a3": ("王三", new_id()),
                  "b1": ("李一", new_id())}
        add_house(a, "1栋", "1单元", "101", *owners["a1"])
        add_house(a, "1栋", "1单元", "102", *owners["a2"])
        add_house(a, "2栋", "", "201", *owners["a3"])
        add_house(b, "5栋", "", "501", *owners["b1"])
        return {"a": a.id, "b": b.id, "a_name": a.name, "b_name": b.name, "owners": owners,
                "district2": gov_user("district", "500112", "svc_sd2_")}


def _create(login, place, title, start=None, end=None, user="district1"):
    c = login(user)
    start = start or date.today() - timedelta(days=1)
    end = end or date.today() + timedelta(days=10)
    resp = c.form("/surveys/add", {"title": title, "start_date": start.isoformat(), "end_date": end.isoformat(),
                                   "areas": [str(place["a"]), str(place["b"])]}, get_url="/surveys/add")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    pk = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    return c, pk


def _publish(c, pk):
    resp = c.form(f"/surveys/act/{pk}", {"action": "publish"}, get_url=f"/surveys/show/{pk}", follow_redirects=True)
    assert "调查已发布。" in resp.get_data(as_text=True)


def _answer(client, pk, area, name, id_number, scores=(5, 5, 5, 5, 5, 5), comment="", closed=False):
    """Post an answer; ``closed``: the page has no form any more (the token comes from another page)."""
    form = {"area": str(area), "name": name, "id_number": id_number, "comment": comment,
            **{f"score_{k}": str(v) for k, v in zip(ITEMS, scores)}}
    get_url = "/repair/track" if closed else f"/survey/{pk}"
    return client.form(f"/survey/{pk}", form, get_url=get_url).get_data(as_text=True)


def test_create_refusals_keep_the_values(app, login, place):
    c = login("district1")
    resp = c.form("/surveys/add", {"title": "调查甲", "start_date": "2026-05-10", "end_date": "2026-05-01",
                                   "areas": [str(place["a"])]}, get_url="/surveys/add")
    html = resp.get_data(as_text=True)
    assert "结束日期：不能早于开始日期。" in html and "调查甲" in html
    resp = c.form("/surveys/add", {"title": "调查甲", "start_date": "2026-05-01", "end_date": "2026-05-10"},
                  get_url="/surveys/add")
    assert "调查区域：请至少选择一个物业管理区域。" in resp.get_data(as_text=True)
    # district 2 cannot survey district 1's areas.
    d2 = login(place["district2"])
    assert place["a_name"] not in d2.get("/surveys/add").get_data(as_text=True)
    resp = d2.form("/surveys/add", {"title": "越界调查", "start_date": "2026-05-01", "end_date": "2026-05-10",
                                    "areas": [str(place["a"])]}, get_url="/surveys/add")
    assert "调查区域：请选择本辖区的物业管理区域。" in resp.get_data(as_text=True)


def test_owner_verification_and_one_answer_each(app, client, login, place):
    c, pk = _create(login, place, "调查核验")
    assert client.get(f"/survey/{pk}").status_code == 404          # a draft is not public
    _publish(c, pk)
    html = client.get(f"/survey/{pk}").get_data(as_text=True)
    assert "调查核验" in html and place["a_name"] in html and "总体满意度" in html and "客服响应" in html
    name, id_number = place["owners"]["a1"]
    refused = "姓名和证件号码与该小区房屋登记的产权人不符，只有业主可以参与调查。"
    assert refused in _answer(client, pk, place["a"], name, new_id())             # wrong ID number
    assert refused in _answer(client, pk, place["a"], "王五", id_number)            # wrong name
    assert refused in _answer(client, pk, place["b"], name, id_number)              # an owner of another area
    html = _answer(client, pk, place["a"], name, id_number, scores=(5, 5, 5, 9, 5, 5))
    assert "绿化养护：请选择1至5星。" in html
    assert "感谢参与，您的答卷已提交。" in _answer(client, pk, place["a"], name, id_number)
    assert "您已参与过本次调查。" in _answer(client, pk, place["a"], name, id_number.lower())
    assert client.get("/survey/99999999").status_code == 404


def test_outside_the_period(app, client, login, place):
    c, pk = _create(login, place, "调查未开始", start=date.today() + timedelta(days=2),
                    end=date.today() + timedelta(days=5))
    _publish(c, pk)
    name, id_number = place["owners"]["a2"]
    starts = (date.today() + timedelta(days=2)).isoformat()
    html = client.get(f"/survey/{pk}").get_data(as_text=True)
    assert f"该调查将于{starts}开始。" in html and 'name="id_number"' not in html
    assert f"该调查将于{starts}开始。" in _answer(client, pk, place["a"], name, id_number, closed=True)
    from app.property.service.models import Survey

    with data(app):
        s = db.session.get(Survey, pk)
        s.start_date, s.end_date = date.today() - timedelta(days=5), date.today() - timedelta(days=1)
        db.session.commit()
    ended = (date.today() - timedelta(days=1)).isoformat()
    assert f"该调查已于{ended}结束。" in _answer(client, pk, place["a"], name, id_number, closed=True)


def _credit(app, pk):
    from app.credit.models import CreditRecord

    with data(app):
        rows = db.session.execute(select(CreditRecord).where(CreditRecord.source_type == "property_survey",
                                                             CreditRecord.source_key.like(f"{pk}:%"))).scalars()
        return sorted((r.org.name, r.rule.code, r.score_type) for r in rows)


def test_results_math_and_credit_once_on_close(app, client, login, api, place):
    c, pk = _create(login, place, "调查统计")
    _publish(c, pk)
    o = place["owners"]
    _answer(client, pk, place["a"], *o["a1"], scores=(5, 5, 5, 5, 5, 5))
    _answer(client, pk, place["a"], *o["a2"], scores=(4, 5, 3, 4, 4, 5))
    _answer(client, pk, place["a"], *o["a3"], scores=(5, 4, 5, 4, 5, 5))
    _answer(client, pk, place["b"], *o["b1"], scores=(2, 2, 3, 1, 2, 2))
    html = c.get(f"/surveys/show/{pk}").get_data(as_text=True)
    assert 'id="survey-total">4<' in html
    http, headers = api("district1")
    body = http.get(f"/api/v1/survey/{pk}/results", headers=headers).get_json()
    assert body["total"] == 4
    by_area = {r["area_id"]: r for r in body["areas"]}
    a = by_area[place["a"]]
    assert a["count"] == 3 and a["items"]["overall"] == 4.67 and a["items"]["order"] == 4.33
    # Items 4.67, 4.67, 4.33, 4.33, 4.67, 5.00 -> mean 4.61 (of the unrounded averages: 83/18 = 4.61).
    assert a["average"] == 4.61
    b = {r["org_id"]: r for r in body["companies"]}
    assert sorted(r["count"] for r in b.values()) == [1, 3]
    assert min(r["average"] for r in b.values()) == 2.0
    # 结束: ent_a (4.61 >= 4.5) gets a bonus, ent_b (2.0 < 3.0) a deduction, each once.
    assert _credit(app, pk) == []
    resp = c.form(f"/surveys/act/{pk}", {"action": "close"}, get_url=f"/surveys/show/{pk}", follow_redirects=True)
    assert "调查已结束，已提出2条信用记录。" in resp.get_data(as_text=True)
    expected = [("重庆和居物业管理有限公司", "WY-K-008", "deduction"), ("重庆安居物业服务有限公司", "WY-J-003", "bonus")]
    assert _credit(app, pk) == expected
    resp = c.form(f"/surveys/act/{pk}", {"action": "close"}, get_url=f"/surveys/show/{pk}", follow_redirects=True)
    assert "只有已发布的调查可以结束。" in resp.get_data(as_text=True)
    from app.property.service import surveys
    from app.property.service.models import Survey

    with data(app):
        assert surveys.feed_credit(db.session.get(Survey, pk)) == []
        db.session.commit()
    assert _credit(app, pk) == expected
    assert f"该调查已于{date.today().isoformat()}结束。" in _answer(client, pk, place["a"], *o["a1"], closed=True)


def test_daily_job_closes_surveys_past_their_period(app, client, login, place):
    c, pk = _create(login, place, "调查到期", start=date.today() - timedelta(days=3),
                    end=date.today() + timedelta(days=1))
    _publish(c, pk)
    _answer(client, pk, place["b"], *place["owners"]["b1"], scores=(1, 1, 1, 1, 1, 1))
    from app.core.mixins import now
    from app.property.service import jobs
    from app.property.service.models import Survey

    with data(app):
        db.session.get(Survey, pk).end_date = now().date() - timedelta(days=1)
        db.session.commit()
        assert "closed=" in jobs.surveys_close()
        assert db.session.get(Survey, pk).status == "closed"
    assert _credit(app, pk) == [("重庆和居物业管理有限公司", "WY-K-008", "deduction")]


def test_only_the_organiser_acts_and_scope_from_outside(app, login, api, place):
    c, pk = _create(login, place, "调查范围")
    street = login("street1")
    assert "调查范围" in street.get("/surveys/list/").get_data(as_text=True)
    resp = street.form(f"/surveys/act/{pk}", {"action": "publish"}, get_url=f"/surveys/show/{pk}",
                       follow_redirects=True)
    assert "只有调查的组织单位可以发布或结束调查。" in resp.get_data(as_text=True)
    d2 = login(place["district2"])
    assert "调查范围" not in d2.get("/surveys/list/").get_data(as_text=True)
    assert d2.get(f"/surveys/show/{pk}").status_code == 404
    assert d2.form(f"/surveys/act/{pk}", {"action": "publish"}, get_url="/surveys/list/").status_code == 404
    http, headers = api(place["district2"])
    assert http.get(f"/api/v1/survey/{pk}", headers=headers).status_code == 404
    assert http.get(f"/api/v1/survey/{pk}/results", headers=headers).status_code == 404
    for username in ("helpdesk", "public1", "ent_a", "dev_a"):
        u = login(username)
        assert u.get("/surveys/list/").status_code == 403, username
        assert u.get(f"/surveys/show/{pk}").status_code == 403, username
        assert u.get("/surveys/add").status_code == 403, username
        http, headers = api(username)
        assert http.get(f"/api/v1/survey/{pk}/results", headers=headers).status_code == 403, username
    anonymous = type(c)(app)
    assert anonymous.get(f"/surveys/show/{pk}").status_code in (302, 401, 403)
    assert anonymous.get(f"/api/v1/survey/{pk}/results").status_code == 401
    # Still a draft: nobody outside moved it.
    from app.property.service.models import Survey

    with data(app):
        assert db.session.get(Survey, pk).status == "draft"


def test_open_surveys_section_of_the_public_page(app, login, place):
    c, pk = _create(login, place, "调查公示")
    _publish(c, pk)
    from app.property.public import sections
    from app.property.models import PropertyArea

    with data(app):
        shown = sections(db.session.get(PropertyArea, place["a"]))
        survey = [s for s in shown if s["key"] == "surveys"]
        assert survey and any(s.id == pk for s in survey[0]["context"]["surveys"])
