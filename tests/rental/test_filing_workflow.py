"""合同备案 through the real screens: apply (one open filing per contract, only signed
contracts), accept / approve (备案编号, 备案证明 print and PDF) / return / resubmit / reject /
terminate on the business-application screens, only gov_reviewer decides, the contract's
fields on the reviewer's page with the tenants masked, the lists and scope from outside."""
import io

import pytest
from openpyxl import load_workbook

from tests.rental import filing_steps as steps


def _apply_by_page(client, contract):
    page = client.get(f"/rental/filings/apply?q={contract.number}")
    assert page.status_code == 200
    assert contract.number in page.get_data(as_text=True)
    return client.form("/rental/filings/apply", {"contract_id": contract.id},
                       get_url=f"/rental/filings/apply?q={contract.number}")


def _decide(client, app_id, action, reason=None):
    data = {"action": action}
    if reason:
        data["reason"] = reason
    return client.form(f"/applications/decide/{app_id}", data, get_url=f"/applications/show/{app_id}")


def test_apply_accept_approve_gives_a_filing_number_and_a_certificate(app, login):
    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent, tenants=2)
    tenant = contract.tenants[0]
    c = login(ent.agent)
    resp = _apply_by_page(c, contract)
    assert resp.status_code == 302 and "/rental/filings/show/" in resp.headers["Location"]
    application = steps.application(app, contract.id)
    assert application.number.startswith("ZB") and application.status == "submitted"
    assert application.region_code.startswith("500103") and application.org_id == ent.org_id
    assert application.payload["contract_number"] == contract.number
    now = steps.reload(app, contract.id)
    assert now.filing_status == "pending" and now.filing_app_id == application.id

    # A second application for the same contract is refused in Chinese.
    again = c.form("/rental/filings/apply", {"contract_id": contract.id}, get_url="/rental/filings/apply",
                   follow_redirects=True).get_data(as_text=True)
    assert (f"合同{contract.number}已有备案申请{application.number}（已提交）；一份合同同时只能有一个备案申请。"
            in again)

    # The reviewer's business-application page shows the contract and links to it; a district
    # user (no full-view permission) sees the tenants masked.
    reviewer = login("reviewer")
    page = reviewer.get(f"/applications/show/{application.id}").get_data(as_text=True)
    assert contract.number in page and "租赁合同备案" in page and f"/rental/filings/show/{application.id}" in page
    assert tenant.name in page and "承租人1姓名" in page          # gov_reviewer holds the full view
    district = login("district1").get(f"/applications/show/{application.id}").get_data(as_text=True)
    assert contract.number in district and tenant.name not in district and tenant.id_number not in district
    assert tenant.id_number[-4:] in district and tenant.mobile not in district
    pdf = login("district1").get(f"/applications/pdf/{application.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    assert _decide(reviewer, application.id, "accept").status_code == 302
    assert _decide(reviewer, application.id, "approve").status_code == 302
    filed = steps.reload(app, contract.id)
    assert filed.filing_status == "filed" and filed.filing_number.startswith("BA") and len(filed.filing_number) == 16
    assert filed.filed_at is not None and steps.application(app, contract.id).status == "approved"

    # 备案证明: print view and PDF, the persons masked for a viewer without the full view.
    show = c.get(f"/rental/filings/show/{application.id}").get_data(as_text=True)
    assert filed.filing_number in show and "已备案" in show and 'id="btn-certificate"' in show
    printed = c.get(f"/rental/filings/certificate/{contract.id}")
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200 and filed.filing_number in text and filed.number in text
    assert "租赁合同备案证明" in text and "data:image/svg+xml" in text
    assert tenant.name not in text and tenant.id_number not in text     # the agent has no full view
    pdf = c.get(f"/rental/filings/certificate/{contract.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "private, no-store"

    # Filed: no second application.
    again = c.get(f"/rental/filings/apply?q={contract.number}").get_data(as_text=True)
    assert f"合同{filed.number}已备案（备案编号{filed.filing_number}）。" in again


def test_the_certificate_qr_points_to_the_public_contract_check(app):
    from app.extensions import db
    from app.rental.contracts.models import RentalContract
    from app.rental.filing import services

    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)
    a = steps.apply(app, ent.agent, contract.id)
    steps.step(app, a.id, "accept", "reviewer")
    steps.step(app, a.id, "approve", "reviewer")
    with app.test_request_context("/"):
        c = db.session.get(RentalContract, contract.id)
        doc = services.certificate_document(c, mask=True)
        assert doc.qr.endswith(f"/rental/contract-check/?number={c.number}&code={c.check_code}")
        assert doc.number == c.filing_number
        rows = {str(r[0]): str(r[1]) for r in doc.sections[0].rows}
        assert rows["备案编号"] == c.filing_number and rows["合同编号"] == c.number
        assert c.tenants[0].name not in str(doc.sections[1].rows)
        db.session.rollback()


def test_return_resubmit_reject_and_terminate(app, login):
    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)
    a = login(ent.admin)                         # the enterprise administrator applies this time
    assert _apply_by_page(a, contract).status_code == 302
    application = steps.application(app, contract.id)
    reviewer = login("reviewer")
    assert _decide(reviewer, application.id, "return", "租金支付方式与附件不一致").status_code == 302
    assert steps.application(app, contract.id).status == "returned"
    assert steps.reload(app, contract.id).filing_status == "none"
    # A returned application still occupies the contract.
    page = a.get(f"/rental/filings/apply?q={contract.number}").get_data(as_text=True)
    assert f"合同{contract.number}已有备案申请{application.number}，该申请已被退回" in page
    # The applicant resubmits from the filing page.
    show = a.get(f"/rental/filings/show/{application.id}").get_data(as_text=True)
    assert "租金支付方式与附件不一致" in show and 'id="btn-resubmit"' in show and 'id="btn-terminate"' in show
    assert a.form(f"/rental/filings/act/{application.id}", {"action": "resubmit"},
                  get_url=f"/rental/filings/show/{application.id}").status_code == 302
    assert steps.application(app, contract.id).status == "submitted"
    assert steps.reload(app, contract.id).filing_status == "pending"
    # 不予通过: back to 未备案, and a new application may be made.
    assert _decide(reviewer, application.id, "reject", "非本企业经办合同").status_code == 302
    assert steps.application(app, contract.id).status == "rejected"
    assert steps.reload(app, contract.id).filing_status == "none"
    assert _apply_by_page(a, contract).status_code == 302
    second = steps.application(app, contract.id)
    assert second.id != application.id and second.status == "submitted"
    # Returned, then terminated by the applicant: 未备案.
    assert _decide(reviewer, second.id, "return", "请补充材料").status_code == 302
    # The agent is not the applicant: no steps on the administrator's application.
    agent_page = login(ent.agent).get(f"/rental/filings/show/{second.id}")
    assert agent_page.status_code in (200, 404) and 'id="btn-resubmit"' not in agent_page.get_data(as_text=True)
    assert a.form(f"/rental/filings/act/{second.id}", {"action": "terminate"},
                  get_url=f"/rental/filings/show/{second.id}").status_code == 302
    assert steps.application(app, contract.id).status == "terminated"
    assert steps.reload(app, contract.id).filing_status == "none"


def test_only_signed_contracts_may_be_filed(app, login):
    from app.extensions import db
    from app.rental.contracts.models import RentalContract
    from app.rental.filing import services
    from tests.rental.helpers import user

    ent = steps.enterprise(app)
    other = steps.enterprise(app)
    revoked = steps.contract(app, ent.agent)
    mine = steps.contract(app, ent.agent)
    with steps.data(app):
        row = db.session.get(RentalContract, revoked.id)
        row.status = "revoked"
        db.session.commit()
        assert services.apply_problem(row, user(ent.agent)) == \
            f"只有已签约的合同才能备案；合同{revoked.number}当前为已撤销。"
        assert services.apply_problem(db.session.get(RentalContract, mine.id), user(other.admin)) == \
            "只有经办该合同的经纪人员或其企业管理员才能申请备案。"
    page = login(ent.agent).get(f"/rental/filings/apply?q={revoked.number}").get_data(as_text=True)
    assert "只有已签约的合同才能备案" in page and "filing-submit" not in page


@pytest.mark.parametrize("username", ["district1", "gov_admin", "agency_a"])
def test_only_gov_reviewer_decides(app, login, username):
    from app.core.errors import DomainError
    from app.core.workflow import Application
    from app.extensions import db
    from app.rental.filing import services
    from tests.rental.helpers import user

    contract = steps.contract(app, "agent_a")
    a = steps.apply(app, "agent_a", contract.id)
    resp = login(username).form(f"/applications/decide/{a.id}", {"action": "accept"}, get_url="/logout/")
    assert resp.status_code in (302, 403)
    assert steps.application(app, contract.id).status == "submitted"
    api_http, headers = _api(app, username)
    answer = api_http.post(f"/api/v1/rental_contract_filing/{a.id}/transition", json={"action": "accept"},
                           headers=headers)
    if username == "agency_a":      # the enterprise may resubmit or terminate by REST, never decide
        assert answer.status_code == 422 and answer.get_json()["message"] == "只有审核员可以审核该业务单。"
    else:
        assert answer.status_code == 403
    assert steps.application(app, contract.id).status == "submitted"
    with steps.data(app):
        with pytest.raises(DomainError, match="^只有审核员可以审核该业务单。$"):
            services.transition(db.session.get(Application, a.id), "accept", user(username))


def _api(app, username):
    from tests.conftest import api_token

    return app.test_client(), {"Authorization": f"Bearer {api_token(app, username)}"}


def test_outsiders_see_nothing(app, login, client):
    ent = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)
    a = steps.apply(app, ent.agent, contract.id)
    steps.step(app, a.id, "accept", "reviewer")
    steps.step(app, a.id, "approve", "reviewer")
    other = steps.enterprise(app)
    for username in (other.admin, other.agent, "ent_a"):
        c = login(username)
        assert a.number not in c.get("/rental/filings/list/").get_data(as_text=True)
        assert c.get(f"/rental/filings/show/{a.id}").status_code == 404
        assert c.get(f"/rental/filings/certificate/{contract.id}").status_code == 404
        assert c.get(f"/rental/filings/certificate/{contract.id}/pdf").status_code == 404
        assert contract.number not in c.get(f"/rental/filings/apply?contract_id={contract.id}").get_data(as_text=True)
        found = c.get(f"/rental/filings/apply?q={contract.number}").get_data(as_text=True)
        assert f'data-contract="{contract.number}"' not in found and 'id="filing-none"' in found
        resp = c.form("/rental/filings/apply", {"contract_id": contract.id}, get_url="/rental/filings/apply",
                      follow_redirects=True)
        assert "本企业没有该编号的合同。" in resp.get_data(as_text=True)
        export = c.get("/rental/filings/export/")
        assert export.status_code == 200 and a.number.encode() not in export.data
        assert c.form(f"/rental/filings/act/{a.id}", {"action": "terminate"}, get_url="/logout/").status_code == 404
        assert c.get("/rental/filings/show/99999999").status_code == 404
    for username in ("helpdesk", "public1", "platform_a"):
        c = login(username)
        for url in ("/rental/filings/list/", f"/rental/filings/show/{a.id}",
                    f"/rental/filings/certificate/{contract.id}", "/rental/filings/apply",
                    "/rental/filings/export/", "/rental/filing-due/list/", "/rental/filings/backfill"):
            assert c.get(url).status_code in (302, 403, 404), (username, url)
    for url in ("/rental/filings/list/", f"/rental/filings/certificate/{contract.id}/pdf", "/rental/filings/apply"):
        assert client.get(url).status_code in (302, 401, 403)
    # A district user of another district: not listed, 404 on the pages.
    c = login(steps.district_user(app, "500112"))
    assert a.number not in c.get("/rental/filings/list/").get_data(as_text=True)
    assert c.get(f"/rental/filings/show/{a.id}").status_code == 404
    assert c.get(f"/rental/filings/certificate/{contract.id}").status_code == 404
    assert contract.number not in c.get("/rental/filing-due/list/").get_data(as_text=True)
    # ... while the district of the property sees it.
    d = login("district1")
    assert a.number in d.get("/rental/filings/list/").get_data(as_text=True)
    assert d.get(f"/rental/filings/show/{a.id}").status_code == 200


def test_filing_list_filters_and_export(app, login):
    ent = steps.enterprise(app)
    first = steps.contract(app, ent.agent)
    second = steps.contract(app, ent.agent)
    a1 = steps.apply(app, ent.agent, first.id)
    a2 = steps.apply(app, ent.agent, second.id)
    steps.step(app, a2.id, "accept", "reviewer")
    c = login(ent.admin)
    page = c.get("/rental/filings/list/").get_data(as_text=True)
    assert a1.number in page and a2.number in page
    accepted = c.get("/rental/filings/list/?_flt_0_status=accepted").get_data(as_text=True)
    assert a2.number in accepted and a1.number not in accepted
    assert a1.number not in c.get("/rental/filings/list/?_flt_0_region_code=500112").get_data(as_text=True)
    assert a1.number in c.get("/rental/filings/list/?_flt_0_region_code=500103").get_data(as_text=True)
    assert a1.number in c.get(f"/rental/filings/list/?_flt_0_org_id={ent.org_name[:8]}").get_data(as_text=True)
    assert a1.number not in c.get("/rental/filings/list/?_flt_0_org_id=不存在的企业").get_data(as_text=True)
    export = c.get("/rental/filings/export/?_flt_0_status=accepted")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    rows = [[str(v or "") for v in r] for r in load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True)]
    numbers = {r[0] for r in rows}
    assert a2.number in numbers and a1.number not in numbers
    assert any("已受理" in r for r in rows) and any(ent.org_name in r for r in rows)
    # The agent's own scope: the administrator's filing is not listed for the agent.
    third = steps.contract(app, ent.admin)
    a3 = steps.apply(app, ent.admin, third.id)
    ag = login(ent.agent).get("/rental/filings/list/").get_data(as_text=True)
    assert a1.number in ag and a3.number not in ag
    # 待备案合同 with the 逾期未备案 filter.
    waiting = steps.contract(app, ent.agent)
    due = c.get("/rental/filing-due/list/").get_data(as_text=True)
    assert waiting.number in due and first.number not in due        # under review: not waiting
    assert waiting.number not in c.get("/rental/filing-due/list/?_flt_0_id=y").get_data(as_text=True)
    assert waiting.number in c.get("/rental/filing-due/list/?_flt_0_id=n").get_data(as_text=True)
    assert c.get("/rental/filing-due/export/").status_code == 200


def test_filing_actions_for_the_contract_page(app):
    """What the contracts page shows about filing (services.filing_actions): 申请备案 while it may be
    filed, the application once there is one, the 备案证明 once filed; nothing for an outsider."""
    from app.extensions import db
    from app.rental.contracts.models import RentalContract
    from app.rental.filing import services
    from tests.rental.helpers import user

    ent = steps.enterprise(app)
    other = steps.enterprise(app)
    contract = steps.contract(app, ent.agent)

    def keys(username):
        from flask import g

        with app.test_request_context("/"):
            from flask_login import login_user

            g.scope_user = g.user = user(username)
            login_user(user(username))
            row = db.session.get(RentalContract, contract.id)
            out = [a["key"] for a in services.filing_actions(row, user(username))]
            db.session.rollback()
            return out

    assert keys(ent.agent) == ["apply"]
    a = steps.apply(app, ent.agent, contract.id)
    assert keys(ent.agent) == ["filing"]
    steps.step(app, a.id, "accept", "reviewer")
    steps.step(app, a.id, "approve", "reviewer")
    assert keys(ent.agent) == ["filing", "certificate", "certificate_pdf"]
    assert keys(other.admin) == []
