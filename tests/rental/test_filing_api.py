"""ContractFilingApi (/api/v1/rental_contract_filing): apply, list and read in scope, the
transitions (only gov_reviewer decides; the applicant resubmits or terminates), the payload
masked for a caller without the full view, and the OpenAPI description."""
from tests.conftest import api_token
from tests.rental import filing_steps as steps

BASE = "/api/v1/rental_contract_filing"


def _api(app, username):
    return app.test_client(), {"Authorization": f"Bearer {api_token(app, username)}"}


def test_apply_decide_and_read_by_rest(app):
    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)
    http, agent = _api(app, ent.agent)
    resp = http.post(f"{BASE}/apply", json={"contract_number": contract.number}, headers=agent)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["number"].startswith("ZB") and body["status"] == "submitted" and body["status_label"] == "已提交"
    assert body["contract_number"] == contract.number and body["filing_status"] == "pending"
    app_id = body["id"]
    again = http.post(f"{BASE}/apply", json={"contract_number": contract.number}, headers=agent)
    assert again.status_code == 422
    assert again.get_json()["message"] == (f"合同{contract.number}已有备案申请{body['number']}（已提交）；"
                                           "一份合同同时只能有一个备案申请。")
    missing = http.post(f"{BASE}/apply", json={"contract_number": "HT000"}, headers=agent)
    assert missing.status_code == 422 and missing.get_json()["message"] == "本企业没有该编号的合同。"
    assert http.post(f"{BASE}/apply", data="x", headers=agent).status_code == 422

    # The applicant may not decide.
    refused = http.post(f"{BASE}/{app_id}/transition", json={"action": "accept"}, headers=agent)
    assert refused.status_code == 422 and refused.get_json()["message"] == "只有审核员可以审核该业务单。"

    _http, reviewer = _api(app, "reviewer")
    listed = http.get(f"{BASE}/", headers=reviewer).get_json()
    assert any(r["number"] == body["number"] for r in listed["result"])
    no_reason = http.post(f"{BASE}/{app_id}/transition", json={"action": "return"}, headers=reviewer)
    assert no_reason.status_code == 422 and no_reason.get_json()["message"] == "请填写原因。"
    assert http.post(f"{BASE}/{app_id}/transition", json={"action": "return", "reason": "附件不清晰"},
                     headers=reviewer).get_json()["filing_status"] == "none"
    resubmitted = http.post(f"{BASE}/{app_id}/transition", json={"action": "resubmit"}, headers=agent)
    assert resubmitted.status_code == 200 and resubmitted.get_json()["filing_status"] == "pending"
    assert http.post(f"{BASE}/{app_id}/transition", json={"action": "accept"}, headers=reviewer).status_code == 200
    approved = http.post(f"{BASE}/{app_id}/transition", json={"action": "approve"}, headers=reviewer).get_json()
    assert approved["status"] == "approved" and approved["filing_status"] == "filed"
    assert approved["filing_number"].startswith("BA")

    # Read by the agent: the payload's persons masked (an agent holds no full view).
    item = http.get(f"{BASE}/{app_id}", headers=agent).get_json()["result"]
    tenant = contract.tenants[0]
    assert item["payload"]["contract_number"] == contract.number
    assert item["payload"]["tenant_1_name"] != tenant.name and item["payload"]["tenant_1_name"][0] == tenant.name[0]
    assert item["payload"]["tenant_1_id_number"].endswith(tenant.id_number[-4:])
    assert tenant.id_number not in str(item) and tenant.mobile not in str(item)
    assert item["status_label"] == "审核通过" and item["contract"]["filing_number"] == approved["filing_number"]
    # The reviewer holds the full view.
    full = http.get(f"{BASE}/{app_id}", headers=reviewer).get_json()["result"]
    assert full["payload"]["tenant_1_id_number"] == tenant.id_number


def test_rest_scope_from_outside(app):
    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)
    a = steps.apply(app, ent.agent, contract.id)
    other = steps.enterprise(app)
    http, outsider = _api(app, other.admin)
    listed = http.get(f"{BASE}/", headers=outsider).get_json()
    assert all(r["number"] != a.number for r in listed["result"])
    assert http.get(f"{BASE}/{a.id}", headers=outsider).status_code == 404
    assert http.post(f"{BASE}/{a.id}/transition", json={"action": "terminate"}, headers=outsider).status_code == 404
    stolen = http.post(f"{BASE}/apply", json={"contract_id": contract.id}, headers=outsider)
    assert stolen.status_code == 422 and stolen.get_json()["message"] == "本企业没有该编号的合同。"
    stolen = http.post(f"{BASE}/apply", json={"contract_number": contract.number}, headers=outsider)
    assert stolen.status_code == 422
    for username in ("helpdesk", "public1", "platform_a"):
        h = {"Authorization": f"Bearer {api_token(app, username)}"}
        assert http.get(f"{BASE}/", headers=h).status_code == 403, username
        assert http.get(f"{BASE}/{a.id}", headers=h).status_code == 403, username
        assert http.post(f"{BASE}/apply", json={"contract_id": contract.id}, headers=h).status_code == 403
    assert http.get(f"{BASE}/").status_code == 401
    # The district of another district: an empty list and 404.
    h = {"Authorization": f"Bearer {api_token(app, steps.district_user(app, '500112'))}"}
    assert all(r["number"] != a.number for r in http.get(f"{BASE}/", headers=h).get_json()["result"])
    assert http.get(f"{BASE}/{a.id}", headers=h).status_code == 404


def test_openapi_describes_the_filing_endpoints(app):
    http, headers = _api(app, "admin")
    spec = http.get("/api/v1/_openapi", headers=headers).get_json()
    paths = spec["paths"]
    assert f"{BASE}/apply" in paths and f"{BASE}/{{pk}}/transition" in paths
    assert "申请备案" in paths[f"{BASE}/apply"]["post"]["summary"]
