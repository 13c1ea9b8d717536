"""The REST resource rental_contract (app/rental/contracts/api.py): the whole wizard by REST for
an agent and for a platform (its own organisation's contracts), every refusal a 422 with the
Chinese text, masking in answers, the OpenAPI document, and 404 / 403 / 401 from outside."""
import io
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.rental import helpers as h


@pytest.fixture
def call(api):
    clients = {}

    def as_user(username):
        if username not in clients:
            clients[username] = api(username)

        def request(method, path, json=None, data=None, content_type=None):
            http, headers = clients[username]
            kwargs = {"headers": headers}
            if json is not None:
                kwargs["json"] = json
            if data is not None:
                kwargs["data"] = data
                kwargs["content_type"] = content_type or "multipart/form-data"
            resp = getattr(http, method)(f"/api/v1/{path}", **kwargs)
            return resp.status_code, resp.get_json(silent=True)
        return request

    return as_user


@pytest.fixture
def agency(app):
    with app.app_context():
        org, admin, agent = h.new_rental_enterprise()
        return SimpleNamespace(org_id=org.id, admin=admin.username, agent=agent.username)


def fields(app, owners=1):
    with app.app_context():
        prop, people = h.new_property(owners=owners)
        return h.verification_fields(prop, people)


def tenant(app, **change):
    with app.app_context():
        return h.tenant(**change)


def through_rest(app, c, sign=True):
    status, body = c("post", "rental_contract/", json={})
    assert status == 201, body
    pk = body["id"]
    assert body["result"]["step"] == "verify"
    status, body = c("post", f"rental_contract/{pk}/verification", json=fields(app, owners=2))
    assert status == 200 and body["result"]["step"] == "details", body
    status, body = c("post", f"rental_contract/{pk}/details", json=h.details(rent="2600"))
    assert status == 200 and body["result"]["rent"] == "2600.00", body
    t = tenant(app)
    status, body = c("post", f"rental_contract/{pk}/tenants", json={"tenants": [t]})
    assert status == 200 and body["result"]["step"] == "matters", body
    status, body = c("post", f"rental_contract/{pk}/matters", json={"text": "押一付三"})
    assert status == 200 and body["result"]["step"] == "attachments"
    status, body = c("post", f"rental_contract/{pk}/attachments",
                     data={"files": (io.BytesIO(h.PDF), "身份证明.pdf"), "done": "1"})
    assert status == 200 and body["result"]["step"] == "preview" and body["result"]["attachments"], body
    if sign:
        status, body = c("post", f"rental_contract/{pk}/sign", json={})
        assert status == 200 and body["result"]["status"] == "signed", body
    return pk, body, t


def test_an_agent_signs_a_contract_by_rest(app, call, agency):
    from app.core.sms import SmsMessage

    c = call(agency.agent)
    pk, body, t = through_rest(app, c)
    result = body["result"]
    assert result["number"].startswith("HT") and len(result["check_code"]) == 6
    # The agent sees the tenant masked in every answer.
    assert result["tenants"][0]["id_number"] != t["id_number"] and result["tenants"][0]["id_number"].endswith(
        t["id_number"][-4:])
    status, body = c("get", f"rental_contract/{pk}")
    assert status == 200 and body["result"]["tenants"][0]["mobile"] != t["mobile"]
    assert "*" in body["result"]["lessor_names"]
    status, body = c("get", "rental_contract/?q=(filters:!((col:status,opr:eq,value:signed)))")
    assert status == 200 and pk in [r["id"] for r in body["result"]]
    with app.app_context():
        assert db.session.execute(select(SmsMessage.id).where(SmsMessage.mobile == t["mobile"])).first()
    # Signing twice does not sign again.
    status, body = c("post", f"rental_contract/{pk}/sign", json={})
    assert status == 422 and body["message"] == "已签约的合同不能再修改。"
    # 撤销 needs a reason.
    status, body = c("post", f"rental_contract/{pk}/revoke", json={})
    assert status == 422 and body["message"] == "撤销原因：必须填写"
    status, body = c("post", f"rental_contract/{pk}/revoke", json={"reason": "双方协商一致"})
    assert status == 200 and body["result"]["status"] == "revoked"


def test_refusals_are_422_in_chinese_and_going_back_keeps_values(app, call, agency):
    c = call(agency.agent)
    status, body = c("post", "rental_contract/", json={})
    pk = body["id"]
    bad = fields(app)
    bad["owners"][0]["name"] = "错误姓名"
    status, body = c("post", f"rental_contract/{pk}/verification", json=bad)
    assert status == 422 and body["message"].startswith("房源核验未通过。")
    assert "产权人" in body["message"] and body["verification_id"]
    status, body = c("post", f"rental_contract/{pk}/verification", json={"code": "FY000000XXXXXXXX"})
    assert status == 422 and body["message"].startswith("房源识别码：")
    status, body = c("post", f"rental_contract/{pk}/verification", json=fields(app))
    assert status == 200
    status, body = c("post", f"rental_contract/{pk}/details", json=h.details(payment_cycle="weekly"))
    assert status == 422 and body["message"].startswith("支付周期：请从列表中选择")
    status, body = c("post", f"rental_contract/{pk}/details", json=h.details(rent="3300"))
    assert status == 200
    status, body = c("post", f"rental_contract/{pk}/tenants", json={"tenants": [tenant(app, mobile="12345")]})
    assert status == 422 and body["message"].startswith("手机号码：")
    status, body = c("post", f"rental_contract/{pk}/back", json={})
    assert status == 200 and body["result"]["step"] == "details" and body["result"]["rent"] == "3300.00"
    status, body = c("post", f"rental_contract/{pk}/sign", json={})
    assert status == 422 and body["message"].startswith("承租人信息：")
    status, body = c("post", f"rental_contract/{pk}/attachments",
                     data={"files": (io.BytesIO(b"PK\x03\x04x"), "合同.docx")})
    assert status == 422 and "只接受" in body["message"]
    status, body = c("post", f"rental_contract/{pk}/details", data=b"[1, 2]", content_type="application/json")
    assert status == 422 and body["message"] == "请求内容必须是 JSON 对象。"
    status, body = c("post", f"rental_contract/{pk}/cancel", json={})
    assert status == 200 and body["result"]["status"] == "cancelled"


def test_a_platform_submits_contracts_for_its_own_organisation(app, call):
    c = call("platform_a")
    with app.app_context():
        v = h.verified(h.user("platform_a"))[0]
        code = v.code
    status, body = c("post", "rental_contract/", json={"listing_code": code})
    assert status == 201 and body["result"]["step"] == "details" and body["result"]["listing_code"] == code
    pk = body["id"]
    status, body = c("get", f"rental_contract/{pk}")
    assert status == 200
    # Not another organisation's contracts.
    with app.app_context():
        foreign = h.signed_contract(h.new_rental_enterprise()[2])
        foreign_id = foreign.id
    assert c("get", f"rental_contract/{foreign_id}")[0] == 404
    assert c("post", f"rental_contract/{foreign_id}/revoke", json={"reason": "x"})[0] == 404
    assert foreign_id not in [r["id"] for r in c("get", "rental_contract/?q=(page_size:100)")[1]["result"]]


def test_outside_the_scope_404_and_without_permission_403(app, call, agency):
    pk, _body, _t = through_rest(app, call(agency.agent), sign=False)
    with app.app_context():
        _org, admin2, agent2 = h.new_rental_enterprise()
        names = (admin2.username, agent2.username)
    steps = ["verification", "details", "tenants", "matters", "back", "sign", "cancel", "revoke"]
    for username in names:
        c = call(username)
        assert c("get", f"rental_contract/{pk}")[0] == 404
        for step in steps:
            assert c("post", f"rental_contract/{pk}/{step}", json={"reason": "x"})[0] == 404, (username, step)
        assert pk not in [r["id"] for r in c("get", "rental_contract/")[1]["result"]]
    # Government reads (district1: 渝中区), never writes; the helpdesk and the public have no access.
    status, body = call("district1")("get", f"rental_contract/{pk}")
    assert status == 200 and "*" in body["result"]["tenants"][0]["name"]
    assert call("district1")("post", f"rental_contract/{pk}/sign", json={})[0] == 403
    for username in ("helpdesk", "public1"):
        assert call(username)("get", "rental_contract/")[0] == 403
        assert call(username)("get", f"rental_contract/{pk}")[0] == 403
    assert app.test_client().get("/api/v1/rental_contract/").status_code == 401
    assert call(agency.agent)("get", "rental_contract/999999999")[0] == 404
    # The enterprise's administrator may go on with the agent's draft.
    status, body = call(agency.admin)("post", f"rental_contract/{pk}/sign", json={})
    assert status == 200 and body["result"]["status"] == "signed"


def test_every_step_is_in_the_openapi_document(call):
    status, doc = call("admin")("get", "_openapi")
    assert status == 200
    paths = {path.removeprefix("/api/v1"): ops for path, ops in doc["paths"].items()}
    assert set(paths["/rental_contract/"]) >= {"get", "post"}
    assert "listing_code" in paths["/rental_contract/"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]
    for step in ("verification", "details", "tenants", "matters", "attachments", "back", "sign", "cancel", "revoke"):
        post = paths[f"/rental_contract/{{pk}}/{step}"]["post"]
        assert post["requestBody"]["content"], step
        assert "content" in post["responses"]["422"] and "404" in post["responses"], step
    assert paths["/rental_contract/{pk}/revoke"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"] == ["reason"]
    assert "multipart/form-data" in paths["/rental_contract/{pk}/attachments"]["post"]["requestBody"]["content"]
