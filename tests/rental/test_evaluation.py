"""交易评价: a real-name verified tenant or owner binds the contract (number + 校验码, or 房源识别码)
and scores it once per party; enterprises and government see the evaluations in their scope
with each enterprise's averages."""
import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.rental.public.models import RentalEvaluation
from tests.conftest import api_token
from tests.rental.helpers import new_rental_enterprise, signed_contract, user
from tests.rental.public_helpers import public_person

_ips = itertools.count(1)


def _ip():
    return {"REMOTE_ADDR": f"10.79.{next(_ips)}.3"}


@pytest.fixture
def deal(app):
    """A signed contract of a fresh enterprise with a tenant and an owner who have public accounts."""
    with app.app_context():
        org, admin, agent = new_rental_enterprise()
        c = signed_contract(agent)
        tenant = c.tenants[0]
        owner = c.verification.owners[0]
        return {"number": c.number, "code": c.check_code, "listing": c.verification.code, "id": c.id,
                "org": org.name, "org_id": org.id, "admin": admin.username, "agent": agent.username,
                "tenant": public_person(tenant.id_number, tenant.name),
                "owner": public_person(owner["id_number"], owner["name"]),
                "stranger": public_person()}


def _evaluate(c, follow_redirects=False, **data):
    values = {"number": "", "code": "", "listing_code": "", "transaction_score": "5", "execution_score": "4",
              "transaction_comment": "中介服务周到", "execution_comment": "按约退还押金"}
    values.update(data)
    resp = c.form("/rental/services/evaluate", values, environ_base=_ip())
    if follow_redirects and resp.status_code == 302:
        return c.get(resp.headers["Location"])
    return resp


def test_tenant_by_number_and_owner_by_listing_code_each_once(app, login, deal):
    tenant = login(deal["tenant"])
    resp = _evaluate(tenant, number=deal["number"], code=deal["code"], follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert f"感谢您的评价：您已作为承租人提交了对合同 {deal['number']} 的评价。" in html
    again = _evaluate(tenant, number=deal["number"], code=deal["code"])
    assert again.status_code == 422
    assert f"合同 {deal['number']} 的承租人已评价过，每一方对一份合同只能评价一次。" in again.get_data(as_text=True)
    owner = login(deal["owner"])
    resp = _evaluate(owner, listing_code=deal["listing"].lower(), transaction_score="3", execution_score="2",
                     follow_redirects=True)
    assert "您已作为出租人提交了对合同" in resp.get_data(as_text=True)
    assert "出租人" in owner.get("/rental/services/evaluations").get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(select(RentalEvaluation).where(RentalEvaluation.contract_id == deal["id"])
                                  .order_by(RentalEvaluation.id)).scalars().all()
        assert [(r.party, r.bound_by, r.transaction_score, r.execution_score, r.org_id, r.region_code)
                for r in rows] == [("tenant", "contract_number", 5, 4, deal["org_id"], "500103"),
                                   ("lessor", "listing_code", 3, 2, deal["org_id"], "500103")]


def test_the_database_keeps_one_evaluation_per_party(app, deal):
    """A double click's second insert meets the unique key (the service turns it into the message)."""
    with app.app_context():
        row = dict(contract_id=deal["id"], party="tenant", transaction_score=5, execution_score=5)
        db.session.add(RentalEvaluation(**row))
        db.session.commit()
        db.session.add(RentalEvaluation(**row))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_refusals(app, login, deal):
    stranger = login(deal["stranger"])
    resp = _evaluate(stranger, number=deal["number"], code=deal["code"])
    assert resp.status_code == 422
    assert "您既不是该合同的承租人，也不是出租该房屋的产权人，不能评价该合同。" in resp.get_data(as_text=True)
    resp = _evaluate(stranger, listing_code=deal["listing"])
    assert "该房源识别码下没有以您为承租人或产权人的已签约合同。" in resp.get_data(as_text=True)
    resp = _evaluate(stranger)
    assert "请输入合同编号和校验码，或房源识别码。" in resp.get_data(as_text=True)
    tenant = login(deal["tenant"])
    resp = _evaluate(tenant, number=deal["number"], code="ZZZZZZ")
    assert "合同编号与校验码不匹配任何已签约合同，请核对后重试。" in resp.get_data(as_text=True)
    resp = _evaluate(tenant, number=deal["number"], code=deal["code"], transaction_score="6")
    assert "交易评分：请选择 1 至 5 分" in resp.get_data(as_text=True)
    resp = _evaluate(tenant, number=deal["number"], code=deal["code"], execution_score="")
    assert "合同执行评分：请选择 1 至 5 分" in resp.get_data(as_text=True)


def test_an_unverified_user_is_sent_to_real_name_verification(app, login, deal):
    c = login("public1")
    resp = c.get("/rental/services/evaluate")
    assert resp.status_code == 302 and "realname" in resp.headers["Location"]
    http, headers = _api(app, "public1")
    resp = http.post("/api/v1/rental_public/evaluations", json={"number": deal["number"], "code": deal["code"],
                     "transaction_score": 5, "execution_score": 5}, headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "只有完成实名认证的用户才能进行交易评价，请先完成实名认证。"
    resp = app.test_client().get("/rental/services/evaluate")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def _api(app, username):
    http = app.test_client()
    return http, {"Authorization": f"Bearer {api_token(app, username)}"}


def test_rest_evaluation_and_mine(app, deal):
    http, headers = _api(app, deal["tenant"])
    resp = http.post("/api/v1/rental_public/evaluations", json={
        "listing_code": deal["listing"], "transaction_score": 4, "execution_score": 5}, headers=headers,
        environ_base=_ip())
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["party"] == "tenant" and body["party_label"] == "承租人" and body["contract_number"] == deal["number"]
    again = http.post("/api/v1/rental_public/evaluations", json={
        "number": deal["number"], "code": deal["code"], "transaction_score": 4, "execution_score": 5},
        headers=headers, environ_base=_ip())
    assert again.status_code == 422 and "每一方对一份合同只能评价一次" in again.get_json()["message"]
    mine = http.get("/api/v1/rental_public/evaluations/mine", headers=headers).get_json()["result"]
    assert [m["contract_number"] for m in mine] == [deal["number"]]
    assert app.test_client().get("/api/v1/rental_public/evaluations/mine").status_code == 401
    # An enterprise account has no permission for the citizens' endpoints.
    http2, headers2 = _api(app, "agency_a")
    assert http2.post("/api/v1/rental_public/evaluations", json={}, headers=headers2).status_code == 403


def test_staff_see_evaluations_in_their_scope_with_averages(app, login, deal):
    tenant = login(deal["tenant"])
    assert _evaluate(tenant, number=deal["number"], code=deal["code"], transaction_score="4",
                     execution_score="2").status_code == 302
    owner = login(deal["owner"])
    assert _evaluate(owner, number=deal["number"], code=deal["code"], transaction_score="5",
                     execution_score="3").status_code == 302
    with app.app_context():
        pks = db.session.execute(select(RentalEvaluation.id).where(RentalEvaluation.contract_id == deal["id"])
                                 ).scalars().all()
    for username in (deal["admin"], "district1", "gov_admin"):
        c = login(username)
        html = c.get("/rental/evaluations/list/").get_data(as_text=True)
        assert deal["number"] in html, username
        assert deal["org"] in html and "4.50" in html and "2.50" in html, username
        assert c.get(f"/rental/evaluations/show/{pks[0]}").status_code == 200
        assert c.get("/rental/evaluations/export/").status_code == 200
    # Another enterprise, another district, a property company, helpdesk, the agent (own scope), public.
    with app.app_context():
        _o, other_admin, _a = new_rental_enterprise(region="500112")
        other = other_admin.username
        from app.security.roles import ROLES  # noqa: F401

        sm = app.appbuilder.sm
        from tests.complaints.helpers import new_mobile
        from tests.conftest import DEMO_PASSWORD
        from app.system.models import Organization

        yubei = db.session.execute(select(Organization).where(Organization.region_code == "500112",
                                                              Organization.org_type == "district")).scalars().first()
        district_b = None
        if yubei is not None:
            district_b = f"district_yb_{deal['id']}"
            sm.add_user(district_b, "渝北区管理员", "", f"{district_b}@test.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=yubei.id, mobile=new_mobile("1385"), must_change_password=False)
    outsiders = [other, "ent_a", "helpdesk", deal["agent"], "public1"] + ([district_b] if district_b else [])
    for username in outsiders:
        c = login(username)
        listing = c.get("/rental/evaluations/list/")
        assert listing.status_code in (302, 403) or deal["number"] not in listing.get_data(as_text=True), username
        assert c.get(f"/rental/evaluations/show/{pks[0]}").status_code in (302, 403, 404), username
        export = c.get(f"/rental/evaluations/export/?_flt_0_party=tenant")
        assert export.status_code in (302, 403) or deal["number"].encode() not in export.data, username
    assert "login" in app.test_client().get("/rental/evaluations/list/").headers["Location"]
