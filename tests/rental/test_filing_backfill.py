"""合同补录 and the parameter 备案前是否必须进行合同网签 (rental.require_online_signing): on (the
default) the back-filling is refused with a message naming the parameter and hidden from the
page; off, a contract signed offline is entered by certificate number (the listing verified by
the same verify()), with the wizard's rules, numbered from the same sequence, origin 补录,
已签约, and submitted for filing."""
import io
from datetime import date, timedelta

import pytest

from app.extensions import db
from tests.rental import filing_steps as steps
from tests.rental.helpers import PDF

REFUSAL = "合同补录已关闭：参数“备案前是否必须进行合同网签”为“是”，所有合同须先进行网签才能备案。"


@pytest.fixture
def backfill_on(app):
    steps.set_param(app, "rental.require_online_signing", "false")
    yield
    steps.set_param(app, "rental.require_online_signing", "true")


def _property(app, owners=1):
    from tests.rental.helpers import new_property

    with steps.data(app):
        prop, people = new_property("500103001", owners)
        return prop.cert_type, prop.cert_no, people


def _form(cert_type, cert_no, people, tenants, **change):
    from tests.rental.helpers import tenant

    today = date.today()
    data = {"region_code": "500103", "cert_type": cert_type, "cert_no": cert_no,
            "signed_on": (today - timedelta(days=3)).isoformat(), "rent": "2800", "deposit": "2800",
            "payment_cycle": "monthly", "purpose": "residence", "start_date": today.isoformat(),
            "end_date": today.replace(year=today.year + 1).isoformat(), "rental_mode": "whole",
            "matters": "押一付三"}
    for n, p in enumerate(people, 1):
        data.update({f"owner_{n}_name": p["name"], f"owner_{n}_id_type": p["id_type"],
                     f"owner_{n}_id_number": p["id_number"]})
    for n in range(1, tenants + 1):
        t = tenant()
        data.update({f"tenant_{n}_name": t["name"], f"tenant_{n}_id_type": "resident_id",
                     f"tenant_{n}_id_number": t["id_number"], f"tenant_{n}_mobile": t["mobile"]})
    data.update(change)
    return data


def test_backfill_refused_while_online_signing_is_required(app, login):
    from app.core.errors import DomainError
    from app.rental.filing import services

    ent = steps.enterprise(app)
    c = login(ent.agent)
    page = c.get("/rental/filings/apply").get_data(as_text=True)
    assert 'id="btn-backfill"' not in page and "合同补录" not in page
    resp = c.get("/rental/filings/backfill", follow_redirects=True)
    assert REFUSAL in resp.get_data(as_text=True)
    cert_type, cert_no, people = _property(app)
    resp = c.form("/rental/filings/backfill", _form(cert_type, cert_no, people, 1), get_url="/rental/filings/apply",
                  follow_redirects=True)
    assert REFUSAL in resp.get_data(as_text=True)
    with steps.data(app):
        from tests.rental.helpers import user

        with pytest.raises(DomainError) as err:
            services.backfill(user(ent.agent), None, {}, [], date.today(), [])
        assert str(err.value) == REFUSAL


def test_backfill_then_filing_when_the_parameter_is_off(app, login, backfill_on):
    from sqlalchemy import select

    from app.core.sms import SmsMessage
    from app.rental.contracts.models import RentalContract

    ent = steps.enterprise(app)
    c = login(ent.agent)
    page = c.get("/rental/filings/apply").get_data(as_text=True)
    assert 'id="btn-backfill"' in page
    assert c.get("/rental/filings/backfill").status_code == 200
    cert_type, cert_no, people = _property(app, owners=2)
    data = _form(cert_type, cert_no, people, 2)
    # Without the scanned contract: refused naming the field, nothing saved but the verification.
    resp = c.form("/rental/filings/backfill", data, get_url="/rental/filings/backfill")
    assert "合同扫描件：请上传已签订的合同（PDF或图片）" in resp.get_data(as_text=True)
    with steps.data(app):
        assert db.session.execute(select(RentalContract).where(RentalContract.cert_no == cert_no)).first() is None
    # A tenant field wrong: the wizard's own message.
    bad = dict(data, tenant_1_mobile="12345", files=(io.BytesIO(PDF), "合同.pdf"))
    assert "第1位承租人 手机号码" in c.form("/rental/filings/backfill", bad,
                                          get_url="/rental/filings/backfill").get_data(as_text=True)
    # The owners wrong: the listing does not pass, the reasons are shown.
    wrong = dict(data, owner_1_id_number=people[1]["id_number"], owner_2_id_number=people[0]["id_number"],
                 files=(io.BytesIO(PDF), "合同.pdf"))
    text = c.form("/rental/filings/backfill", wrong, get_url="/rental/filings/backfill").get_data(as_text=True)
    assert "房源核验未通过。" in text
    # All well: back-filled and submitted for filing.
    ok = dict(data, files=(io.BytesIO(PDF), "合同.pdf"))
    resp = c.form("/rental/filings/backfill", ok, get_url="/rental/filings/backfill")
    assert resp.status_code == 302 and "/rental/filings/show/" in resp.headers["Location"]
    with steps.data(app):
        contract = db.session.execute(select(RentalContract).where(RentalContract.cert_no == cert_no)).scalars().one()
        assert contract.origin == "backfill" and contract.status == "signed" and contract.number.startswith("HT")
        assert contract.filing_status == "pending" and len(contract.tenants) == 2 and contract.org_id == ent.org_id
        assert contract.signed_at.date() == date.today() - timedelta(days=3)
        assert contract.lessor_names == "、".join(p["name"] for p in people)
        assert db.session.execute(select(SmsMessage).where(SmsMessage.mobile == contract.tenants[0].mobile,
                                                           SmsMessage.template == "rental_contract_signed")).first()
        cid, number = contract.id, contract.number
    application = steps.application(app, cid)
    assert application.status == "submitted" and application.payload["contract_origin"] == "合同补录"
    show = c.get(f"/rental/filings/show/{application.id}").get_data(as_text=True)
    assert number in show and "合同补录" in show and "合同.pdf" in show
    # The same offline contract again: the overlap rule of the wizard refuses it.
    again = c.form("/rental/filings/backfill", dict(data, files=(io.BytesIO(PDF), "合同.pdf")),
                   get_url="/rental/filings/backfill").get_data(as_text=True)
    assert f"的已签约合同 {number}（整套出租），与本合同重叠。" in again


def test_backfill_signed_on_in_the_future_is_refused(app, backfill_on):
    from app.core.errors import DomainError
    from app.rental.filing import services

    with pytest.raises(DomainError) as err:
        with app.test_request_context("/"):
            services.parse_signed_on((date.today() + timedelta(days=1)).isoformat())
    assert str(err.value) == "签约日期：不能晚于今天"
