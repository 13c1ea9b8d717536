"""租赁合同网签列表 and a contract's page (app/rental/contracts/views.py RentalContractView): who
sees which contracts (an agent their own, the enterprise's administrator the enterprise's,
government its region, analysts masked, the helpdesk and the public nothing), the filters, the
masked export, the detail with its documents and history, 打印 / 下载PDF with the QR code and the
check code, 撤销 with a reason and the tenants' text messages, and every door from outside."""
import html as htmllib
import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from tests.rental import helpers as h

LIST = "/rental/contracts/list/"


def text_of(resp):
    return htmllib.unescape(resp.get_data(as_text=True))


def alerts(html):
    found = re.findall(r'class="alert ([^"]*)"[^>]*>(.*?)</div>', html, flags=re.S)
    texts = [(cls, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("×", "").strip()) for cls, body in found]
    texts.sort(key=lambda t: "danger" not in t[0])
    return [t for _cls, t in texts]


def snapshot(c):
    return SimpleNamespace(id=c.id, number=c.number, check_code=c.check_code, address=c.address,
                           cert_no=c.cert_no, lessor_names=c.lessor_names, status=c.status,
                           tenants=[SimpleNamespace(name=t.name, id_number=t.id_number, mobile=t.mobile)
                                    for t in c.tenants])


@pytest.fixture(scope="module")
def world(app):
    """Two enterprises in 渝中区 and one in 渝北区, each with contracts; cancelled and revoked too."""
    from app.rental.contracts import services

    with app.app_context():
        org, admin, agent = h.new_rental_enterprise()
        _org2, admin2, agent2 = h.new_rental_enterprise()
        _org3, admin3, agent3 = h.new_rental_enterprise(region="500112")
        mine = h.through_wizard(agent, tenants=[h.tenant(), h.tenant()])
        by_admin = h.signed_contract(admin, rent="1800.00")
        cancelled = h.through_wizard(agent, sign=False)
        services.cancel(cancelled, agent)
        draft = h.through_wizard(agent, sign=False)
        revoked = h.signed_contract(agent, rent="2100.00")
        services.revoke(revoked, agent, "双方协商一致")
        db.session.commit()
        other = h.signed_contract(agent2)
        yubei = h.through_wizard(agent3, verification=h.verified(agent3, region="500112001")[0])
        return SimpleNamespace(
            org_name=org.name, admin=admin.username, agent=agent.username, admin2=admin2.username,
            agent2=agent2.username, admin3=admin3.username, agent3=agent3.username,
            mine=snapshot(mine), by_admin=snapshot(by_admin), cancelled=snapshot(cancelled), draft=snapshot(draft),
            revoked=snapshot(revoked), other=snapshot(other), yubei=snapshot(yubei))


def listed(c, query=""):
    resp = c.get(LIST + ("?" + query if query else "") + ("&" if query else "?") + "psize_RentalContractView=100")
    assert resp.status_code == 200, resp.status_code
    return text_of(resp)


def shows(page, contract):
    return f'/rental/contracts/show/{contract.id}"' in page


def flt(page, column, arg):
    """The URL argument of the inline search box for ``column`` (e.g. _flt_0_number)."""
    names = re.findall(rf'name="(_flt_(\d)_{column})"', page)
    assert names, column
    return names[0][0]


# --- who sees what ---------------------------------------------------------------------------------

def test_an_agent_lists_their_own_signed_contracts_masked(login, world):
    page = listed(login(world.agent))
    assert shows(page, world.mine) and shows(page, world.revoked) and shows(page, world.cancelled)
    assert not shows(page, world.by_admin)           # the administrator's own: not the agent's
    assert not shows(page, world.draft)              # drafts stay in 我的草稿
    assert not shows(page, world.other) and not shows(page, world.yubei)
    assert world.mine.number in page and f"合同草稿 #{world.cancelled.id}" in page
    first = world.mine.tenants[0].name
    assert f"{first[0]}*" in page and "等2人" in page and first not in page
    for name in world.mine.lessor_names.split("、"):
        assert name not in page
    assert "已签约" in page and "已撤销" in page and "已取消" in page and "未备案" in page
    assert "受理网签" in page and "我的草稿" in page


def test_the_enterprise_administrator_sees_the_enterprise_in_full(login, world):
    page = listed(login(world.admin))
    assert shows(page, world.mine) and shows(page, world.by_admin) and not shows(page, world.other)
    assert world.mine.tenants[0].name in page          # ent_admin holds the personal-data permission


def test_government_sees_its_region(login, world):
    page = listed(login("district1"))
    assert shows(page, world.mine) and shows(page, world.other) and not shows(page, world.yubei)
    assert world.mine.tenants[0].name not in page
    page = listed(login("gov_admin"), "_flt_0_region_code=500112")
    assert shows(page, world.yubei) and not shows(page, world.mine)
    # A street's staff see the contracts of their street (the property's street code).
    page = listed(login("street1"))
    assert shows(page, world.mine) and not shows(page, world.yubei)
    page = listed(login("analyst"))
    assert shows(page, world.yubei) and shows(page, world.mine) and world.mine.tenants[0].name not in page


def test_the_helpdesk_the_public_and_anonymous_see_nothing(app, login, world):
    ent = login("ent_a")      # a property company's administrator: its own (none), nothing else
    assert world.mine.number not in listed(ent)
    for door in ("show", "print", "pdf"):
        assert ent.get(f"/rental/contracts/{door}/{world.mine.id}").status_code == 404
    for username in ("helpdesk", "public1"):
        c = login(username)
        for url in (LIST, f"/rental/contracts/show/{world.mine.id}", f"/rental/contracts/print/{world.mine.id}",
                    f"/rental/contracts/pdf/{world.mine.id}", "/rental/contracts/export/"):
            resp = c.get(url)
            assert resp.status_code in (302, 403, 404), (username, url)
            assert world.mine.number not in text_of(resp)
    anonymous = app.test_client()
    for url in (LIST, f"/rental/contracts/show/{world.mine.id}", f"/rental/contracts/pdf/{world.mine.id}"):
        resp = anonymous.get(url)
        assert resp.status_code in (302, 401) and resp.headers.get("Location", "/login/").startswith("/login/")


def test_outside_the_scope_every_door_is_404(login, world):
    doors = ["show", "print", "pdf"]
    for username in (world.agent2, world.admin2, world.agent3, world.admin3):
        c = login(username)
        for door in doors:
            assert c.get(f"/rental/contracts/{door}/{world.mine.id}").status_code == 404, (username, door)
        resp = c.form(f"/rental/contracts/revoke/{world.mine.id}", {"reason": "越权"}, get_url=LIST)
        assert resp.status_code == 404, username
        assert world.mine.number not in listed(c)
    district = login("district1")
    for door in doors:
        assert district.get(f"/rental/contracts/{door}/{world.yubei.id}").status_code == 404
    assert district.get("/rental/contracts/show/999999999").status_code == 404
    agent = login(world.agent)
    assert agent.get(f"/rental/contracts/show/{world.by_admin.id}").status_code == 404
    assert agent.get(f"/rental/contracts/show/{world.draft.id}").status_code == 404   # a draft is not listed


# --- filters --------------------------------------------------------------------------------------

def test_filters(login, world):
    gov = login("gov_admin")
    page = listed(gov)
    number = flt(page, "number", "sw")
    prefix = world.mine.number[:-2]
    page = listed(gov, f"{number}={prefix}")
    assert shows(page, world.mine) and not shows(page, world.other)
    page = listed(gov, f"{number}={world.mine.number[3:]}")          # the middle of a number: not a prefix
    assert not shows(page, world.mine)
    cert = flt(page, "cert_no", "sw")
    assert shows(listed(gov, f"{cert}={world.other.cert_no}"), world.other)
    status = flt(page, "status", "eq")
    page = listed(gov, f"{status}=revoked&{flt(page, 'org', 'ct')}={world.org_name[-12:]}")
    assert shows(page, world.revoked) and not shows(page, world.mine) and not shows(page, world.other)
    filing = flt(page, "filing_status", "eq")
    assert shows(listed(gov, f"{filing}=none&{number}={world.mine.number}"), world.mine)
    assert not shows(listed(gov, f"{filing}=filed&{number}={world.mine.number}"), world.mine)
    today = datetime.now().date()
    names = re.findall(r'name="(_flt_\d_signed_at)"', page)
    assert len(names) == 2
    page = listed(gov, f"{names[0]}={today}&{names[1]}={today}&{number}={world.mine.number}")
    assert shows(page, world.mine)
    later = today + timedelta(days=1)
    assert not shows(listed(gov, f"{names[0]}={later}&{number}={world.mine.number}"), world.mine)
    street = flt(page, "street_code", "eq")
    assert shows(listed(gov, f"{street}=500112001"), world.yubei)
    # An enterprise has no enterprise box: it sees its own only.
    assert 'name="_flt_0_org"' not in listed(login(world.admin))


# --- export ------------------------------------------------------------------------------------------

def _rows(resp):
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True).active
    return [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_export_is_masked_for_a_masked_viewer(login, world):
    district = login("district1")
    page = listed(district)
    number = flt(page, "number", "sw")
    rows = _rows(district.get(f"/rental/contracts/export/?{number}={world.mine.number}"))
    assert rows[0][:4] == ["合同编号", "地址", "出租人", "承租人"]
    assert len(rows) == 2 and rows[1][0] == world.mine.number
    text = " ".join(rows[1])
    first = world.mine.tenants[0].name
    assert first not in text and f"{first[0]}*" in text and "等2人" in text
    assert all(name not in text for name in world.mine.lessor_names.split("、"))
    full = " ".join(_rows(login("gov_admin").get(f"/rental/contracts/export/?{number}={world.mine.number}"))[1])
    assert first in full
    # Another enterprise's export never holds this one's contracts.
    assert all(world.mine.number not in " ".join(r) for r in _rows(login(world.admin2).get("/rental/contracts/export/")))


# --- a contract's page, print, PDF, revoke ---------------------------------------------------------------

def test_the_contract_page_shows_everything_masked_for_the_agent(login, world):
    page = text_of(login(world.agent).get(f"/rental/contracts/show/{world.mine.id}"))
    assert world.mine.number in page and world.mine.check_code in page and world.mine.address in page
    t = world.mine.tenants[0]
    assert t.id_number not in page and t.id_number[-4:] in page and t.mobile not in page
    assert "身份证明.pdf" in page and "/uploads/" in page
    history = re.search(r'id="contract-history".*?</table>', page, flags=re.S).group(0)
    assert "受理网签" in history and "已签约" in history
    assert 'id="btn-print"' in page and 'id="btn-pdf"' in page and 'id="btn-revoke"' in page
    assert 'id="contract-actions"' in page
    # District staff read it, without 撤销.
    page = text_of(login("district1").get(f"/rental/contracts/show/{world.mine.id}"))
    assert world.mine.number in page and 'id="btn-revoke"' not in page and t.name not in page


def test_print_and_pdf_carry_the_check_code_and_mask_people(app, login, world):
    agent = login(world.agent)
    resp = agent.get(f"/rental/contracts/print/{world.mine.id}")
    assert resp.status_code == 200 and "no-store" in resp.headers["Cache-Control"]
    page = text_of(resp)
    t = world.mine.tenants[0]
    assert "住房租赁合同" in page and world.mine.number in page and world.mine.check_code in page
    assert t.id_number not in page and t.id_number[-4:] in page and t.name not in page
    assert "data:image/svg+xml" in page
    url = re.search(r"(http://[^\s<]*/rental/contract-check/\?[^\s<]+)", page).group(1)
    query = parse_qs(urlparse(url.rstrip("。")).query)
    assert query == {"number": [world.mine.number], "code": [world.mine.check_code]}
    resp = agent.get(f"/rental/contracts/pdf/{world.mine.id}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF") and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    assert world.mine.number in text and t.id_number not in text and t.id_number[-4:] in text
    # Someone who may see people in full gets them in full.
    full = _pdf_text(login("gov_admin").get(f"/rental/contracts/pdf/{world.mine.id}").data)
    assert t.id_number in full
    # A cancelled contract has no text to print.
    assert agent.get(f"/rental/contracts/print/{world.cancelled.id}").status_code == 404


def _pdf_text(data):
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_revoke_needs_a_reason_and_texts_the_tenants(app, login, world):
    from app.core.sms import SmsMessage

    with app.app_context():
        agent = h.user(world.agent)
        c = h.through_wizard(agent)
        pk, number, mobile = c.id, c.number, c.tenants[0].mobile
    client = login(world.agent)
    url = f"/rental/contracts/revoke/{pk}"
    resp = client.form(url, {"reason": "  "}, get_url=f"/rental/contracts/show/{pk}", follow_redirects=True)
    assert "撤销原因：必须填写" in alerts(text_of(resp))
    resp = client.form(url, {"reason": "承租人工作调动，双方协商一致提前解约"}, get_url=f"/rental/contracts/show/{pk}",
                       follow_redirects=True)
    page = text_of(resp)
    assert f"合同 {number} 已撤销，已向承租人发送短信。" in alerts(page)
    assert "已撤销" in page and "承租人工作调动" in page
    history = re.search(r'id="contract-history".*?</table>', page, flags=re.S).group(0)
    assert "已撤销" in history and "租*员" in history and "租赁经纪人员" not in history
    with app.app_context():
        templates = db.session.execute(select(SmsMessage.template).where(SmsMessage.mobile == mobile)
                                       .order_by(SmsMessage.id)).scalars().all()
        assert templates == ["rental_contract_signed", "rental_contract_revoked"]
    resp = client.form(url, {"reason": "再次撤销"}, get_url=f"/rental/contracts/show/{pk}", follow_redirects=True)
    assert "只有已签约的合同可以撤销，该合同当前为已撤销。" in alerts(text_of(resp))
    # District staff may not revoke (no permission), even inside their region.
    resp = login("district1").form(url, {"reason": "x"}, get_url=LIST)
    assert resp.status_code in (302, 403)


def test_other_parts_add_buttons_to_the_contract_page(login, world):
    from app.rental.contracts import services

    def filing_button(contract, user):
        return [services.DetailAction("apply-filing", "申请备案", f"/rental/filings/apply/{contract.id}", method="post",
                                      confirm="确定申请备案吗？", style="primary")]

    services.register_detail_action(filing_button)
    try:
        page = text_of(login(world.agent).get(f"/rental/contracts/show/{world.mine.id}"))
        assert 'id="btn-apply-filing"' in page and f'action="/rental/filings/apply/{world.mine.id}"' in page
    finally:
        services.DETAIL_ACTIONS.remove(filing_button)


def test_an_enterprise_sees_its_overdue_filings_on_its_home_page_and_the_list_filter(app, login):
    """The demo's first contract of agency_a was signed 45 days ago and never filed: a 待办 on
    agency_a's home links to the contract list filtered to 逾期未备案, which lists it; ent_b (a
    property company) has no such 待办."""
    import re

    from sqlalchemy import select

    from app.extensions import db
    from app.rental.contracts.models import RentalContract
    from tests.rental.helpers import org

    with app.app_context():
        agency = org("agency_a")
        overdue = db.session.execute(select(RentalContract.number).where(
            RentalContract.org_id == agency.id, RentalContract.lessor_names.isnot(None),
            RentalContract.filing_status == "none", RentalContract.status == "signed")
            .order_by(RentalContract.signed_at)).scalars().first()
    c = login("agency_a")
    home = c.get("/").get_data(as_text=True)
    assert "逾期未备案合同" in home
    link = re.search(r'href="(/rental/contracts/list/\?[^"]*overdue_flagged_at=y[^"]*)"', home)
    assert link, "the 待办 links to the filtered list"
    listed = c.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert overdue in listed
    assert "逾期未备案合同" not in login("ent_b").get("/").get_data(as_text=True)
