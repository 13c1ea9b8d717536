"""合同验证 (/rental/contract-check/, REST rental_public/contract_check): public facts only, one
message whether the number exists or the code is wrong, and wrong guesses limited per address."""
import itertools

import pytest

from app.extensions import db
from tests.rental.helpers import new_rental_enterprise, signed_contract

WRONG = "合同编号与校验码不匹配任何已签约合同，请核对后重试。"
LIMITED = "您所在网络输入错误的合同编号、校验码或房源识别码次数过多，请一小时后再试。"
_ips = itertools.count(1)


def _ip():
    return {"REMOTE_ADDR": f"10.77.{next(_ips)}.9"}


@pytest.fixture
def contract(app):
    with app.app_context():
        _org, _admin, agent = new_rental_enterprise()
        c = signed_contract(agent, tenants=2)
        c.filing_status, c.filing_number = "filed", f"BA{c.number[-8:]}"
        db.session.commit()
        return {"number": c.number, "code": c.check_code, "org": c.org.name, "address": c.address,
                "tenants": [(t.name, t.id_number, t.mobile) for t in c.tenants], "lessor": c.lessor_names,
                "start": c.start_date.isoformat(), "end": c.end_date.isoformat(), "filing": c.filing_number}


def test_anyone_sees_status_term_filing_enterprise_and_district_but_nobody(app, contract):
    http = app.test_client()
    resp = http.get(f"/rental/contract-check/?number={contract['number']}&code={contract['code'].lower()}",
                    environ_base=_ip())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "已签约" in html and contract["start"] in html and contract["end"] in html
    assert "已备案" in html and contract["filing"] in html and contract["org"] in html and "渝中区" in html
    assert contract["address"] not in html and contract["lessor"] not in html
    for name, id_number, mobile in contract["tenants"]:
        assert name not in html and id_number not in html and mobile not in html
        assert id_number[-4:] + "<" not in html
    api = http.get(f"/api/v1/rental_public/contract_check?number={contract['number']}&code={contract['code']}",
                   environ_base=_ip()).get_json()
    assert api["status"] == "signed" and api["status_label"] == "已签约" and api["filing_number"] == contract["filing"]
    assert set(api) == {"number", "status", "status_label", "start_date", "end_date", "signed_date", "revoked_date",
                        "filing_status", "filing_status_label", "filing_number", "enterprise", "district"}


def test_a_revoked_contract_says_so(app, contract):
    from sqlalchemy import select

    from app.rental.contracts.models import RentalContract

    with app.app_context():
        c = db.session.execute(select(RentalContract).where(RentalContract.number == contract["number"])).scalar_one()
        c.status = "revoked"
        from datetime import datetime

        c.revoked_at = datetime.now()
        db.session.commit()
    html = app.test_client().get(f"/rental/contract-check/?number={contract['number']}&code={contract['code']}",
                                 environ_base=_ip()).get_data(as_text=True)
    assert "已撤销" in html


def test_wrong_code_and_unknown_number_get_the_same_message(app, contract):
    http = app.test_client()
    ip = _ip()
    wrong_code = http.get(f"/rental/contract-check/?number={contract['number']}&code=ZZZZZZ", environ_base=ip)
    unknown = http.get("/rental/contract-check/?number=HT19990101999999&code=" + contract["code"], environ_base=ip)
    assert wrong_code.status_code == unknown.status_code == 422
    texts = [r.get_data(as_text=True) for r in (wrong_code, unknown)]
    assert all(WRONG in t for t in texts)
    assert contract["org"] not in texts[0]
    api = http.get(f"/api/v1/rental_public/contract_check?number={contract['number']}&code=ZZZZZZ", environ_base=ip)
    assert api.status_code == 422 and api.get_json()["message"] == WRONG
    empty = http.get("/rental/contract-check/?number=&code=ABC", environ_base=ip)
    assert "请输入合同编号和校验码。" in empty.get_data(as_text=True)


def test_wrong_guesses_are_limited_per_address_even_for_a_right_pair(app, contract):
    from app.system.params import get_param

    with app.app_context():
        limit = get_param("rental.check_fail_limit")
    http = app.test_client()
    ip, other = _ip(), _ip()
    for n in range(limit):
        resp = http.get(f"/rental/contract-check/?number=HT2026010100{n:04d}&code=AAAAAA", environ_base=ip)
        assert WRONG in resp.get_data(as_text=True)
    right = f"/rental/contract-check/?number={contract['number']}&code={contract['code']}"
    resp = http.get(right, environ_base=ip)
    assert resp.status_code == 422 and LIMITED in resp.get_data(as_text=True)
    api = http.get(f"/api/v1/rental_public/contract_check?number={contract['number']}&code={contract['code']}",
                   environ_base=ip)
    assert api.status_code == 422 and api.get_json()["message"] == LIMITED
    # Another address is not affected.
    assert http.get(right, environ_base=other).status_code == 200


def test_landing_page_links_every_service_and_the_footer_links_it(app):
    http = app.test_client()
    html = http.get("/rental/services/").get_data(as_text=True)
    for text in ("维权须知", "咨询通道", "合同范本", "合同验证", "合同上传", "合同咨询", "交易评价", "免责声明"):
        assert text in html
    assert 'id="footer-rental-services"' in http.get("/login/").get_data(as_text=True)


def test_the_rest_resource_is_in_the_openapi_document(app, api):
    http, headers = api("admin")
    paths = http.get("/api/v1/_openapi", headers=headers).get_json()["paths"]
    for path in ("/api/v1/rental_public/templates", "/api/v1/rental_public/contract_check",
                 "/api/v1/rental_public/evaluations",
                 "/api/v1/rental_public/evaluations/mine"):
        assert path in paths, path
