"""检查考评: district and street staff score an area's company against the checklist; scores out
of range and deductions without a reason are refused; the total is computed; credit is fed once;
the company reads its own, read-only; scope from outside."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.property.service_helpers import data, gov_user, make_area, png

FULL = [20, 15, 20, 15, 15, 15]


@pytest.fixture(scope="module")
def place(app):
    with data(app):
        a = make_area("考评测试小区")
        b = make_area("考评外区小区", district="500112", street=None)
        return {"a": a.id, "a_name": a.name, "b": b.id, "district2": gov_user("district", "500112", "svc_ed2_")}


def _form(area, scores, reasons=None, day=None, **extra):
    form = {"area": str(area), "checked_on": (day or date.today() - timedelta(days=1)).isoformat(),
            "requirements": "限期整改", **extra}
    for i, score in enumerate(scores):
        form[f"score_{i}"] = str(score)
        form[f"reason_{i}"] = (reasons or {}).get(i, "")
    return form


def _submit(c, form, **kw):
    return c.form("/evaluations/add", form, get_url="/evaluations/add", **kw)


def _credit(app, pk):
    from app.credit.models import CreditRecord

    with data(app):
        rows = db.session.execute(select(CreditRecord).where(CreditRecord.source_type == "property_evaluation",
                                                             CreditRecord.source_key == str(pk))).scalars()
        return [(r.rule.code, r.score_type) for r in rows]


def _pk(resp):
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def test_refusals_keep_the_values(app, login, place):
    c = login("district1")
    html = c.get("/evaluations/add").get_data(as_text=True)
    assert place["a_name"] in html and "综合管理" in html and "绿化" in html and "100" in html
    html = _submit(c, _form(place["a"], [21, 15, 20, 15, 15, 15])).get_data(as_text=True)
    assert "综合管理：请填写0至20之间的得分。" in html and "限期整改" in html
    html = _submit(c, _form(place["a"], [20, 15, 20, 15, 15, -1])).get_data(as_text=True)
    assert "绿化：请填写0至15之间的得分。" in html
    html = _submit(c, _form(place["a"], [20, 15, 20, 15, "abc", 15])).get_data(as_text=True)
    assert "环境卫生：请填写0至15之间的得分。" in html
    html = _submit(c, _form(place["a"], [18, 15, 20, 15, 15, 15])).get_data(as_text=True)
    assert "综合管理：请填写扣分原因。" in html
    html = _submit(c, _form(place["a"], FULL, day=date.today() + timedelta(days=1))).get_data(as_text=True)
    assert "检查日期：不能晚于今天。" in html
    html = _submit(c, _form(place["b"], FULL)).get_data(as_text=True)
    assert "物业管理区域：请选择本辖区的物业管理区域。" in html
    form = _form(place["a"], FULL)
    form["photos"] = (io.BytesIO(b"PK\x03\x04 not a photo"), "report.xlsx")
    html = _submit(c, form, content_type="multipart/form-data").get_data(as_text=True)
    assert "文件report.xlsx不是照片（仅限JPG、PNG）。" in html
    from app.property.service.models import Evaluation

    with data(app):
        assert db.session.execute(select(Evaluation).where(Evaluation.area_id == place["a"])).first() is None


def test_total_credit_once_and_the_company_reads_it(app, login, api, place):
    c = login("street1")
    form = _form(place["a"], [12, 10, 10, 8, 10, 5], reasons={0: "台账缺失", 1: "外墙渗水", 2: "消防通道堵塞",
                                                          3: "门岗无人", 4: "垃圾未清运", 5: "草坪枯死"})
    form["photos"] = (io.BytesIO(png()), "site.png")
    resp = _submit(c, form, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    pk = _pk(resp)
    html = c.get(f"/evaluations/show/{pk}").get_data(as_text=True)
    assert "55.0 / 100.0" in html and "消防通道堵塞" in html and "site.png" in html
    assert _credit(app, pk) == [("WY-K-009", "deduction")]
    from app.property.service import evaluations
    from app.property.service.models import Evaluation

    with data(app):
        evaluations.feed_credit(db.session.get(Evaluation, pk))     # again: still one record
        db.session.commit()
    assert _credit(app, pk) == [("WY-K-009", "deduction")]
    # An excellent one gets a bonus; one in between gets nothing.
    resp = _submit(login("district1"), _form(place["a"], [20, 15, 20, 15, 15, 14.5], reasons={5: "个别枯枝"}))
    good = _pk(resp)
    assert _credit(app, good) == [("WY-J-005", "bonus")]
    resp = _submit(login("district1"), _form(place["a"], [15, 15, 15, 15, 15, 10], reasons={0: "x", 2: "y", 5: "z"}))
    assert _credit(app, _pk(resp)) == []
    # The company reads its own evaluation, read-only.
    ent = login("ent_a")
    assert ent.get(f"/evaluations/show/{pk}").status_code == 200
    assert ent.get("/evaluations/add").status_code == 403
    assert ent.get(f"/evaluations/edit/{pk}").status_code in (403, 404)
    http, headers = api("ent_a")
    body = http.get(f"/api/v1/evaluation/{pk}", headers=headers).get_json()
    assert float(body["result"]["total"]) == 55.0
    assert http.post("/api/v1/evaluation/submit", json={"area": place["a"]}, headers=headers).status_code == 403


def test_api_submit(app, api, place):
    http, headers = api("district1")
    answer = http.post("/api/v1/evaluation/submit", json={"area": place["a"], "checked_on": "2026-01-05",
                                                          "scores": [20, 15, 20, 15, 15, 16]}, headers=headers)
    assert answer.status_code == 422 and answer.get_json()["message"] == "绿化：请填写0至15之间的得分。"
    answer = http.post("/api/v1/evaluation/submit", json={"area": place["a"], "checked_on": "2026-01-05",
                                                          "scores": FULL}, headers=headers)
    assert answer.status_code == 201 and answer.get_json()["total"] == 100.0


def test_scope_from_outside(app, login, api, place):
    resp = _submit(login("district1"), _form(place["a"], FULL))
    pk = _pk(resp)
    from app.property.service.models import Evaluation

    with data(app):
        number = db.session.get(Evaluation, pk).number
    for username in ("ent_b", place["district2"]):
        c = login(username)
        assert number not in c.get("/evaluations/list/").get_data(as_text=True), username
        assert c.get(f"/evaluations/show/{pk}").status_code == 404, username
        http, headers = api(username)
        assert http.get(f"/api/v1/evaluation/{pk}", headers=headers).status_code == 404, username
    # district 2 cannot evaluate district 1's areas.
    html = _submit(login(place["district2"]), _form(place["a"], FULL)).get_data(as_text=True)
    assert "物业管理区域：请选择本辖区的物业管理区域。" in html
    for username in ("helpdesk", "public1", "dev_a", "pm_a"):
        c = login(username)
        assert c.get("/evaluations/list/").status_code == 403, username
        assert c.get(f"/evaluations/show/{pk}").status_code == 403, username
        http, headers = api(username)
        assert http.get(f"/api/v1/evaluation/{pk}", headers=headers).status_code == 403, username
    # The city administrator reads but does not inspect.
    gov = login("gov_admin")
    assert gov.get(f"/evaluations/show/{pk}").status_code == 200
    assert gov.get("/evaluations/add").status_code == 403
    anonymous = type(gov)(app)
    assert anonymous.get(f"/evaluations/show/{pk}").status_code in (302, 401, 403)
    assert anonymous.get("/api/v1/evaluation/").status_code == 401
