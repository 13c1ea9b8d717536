"""合同网签 through the real pages (app/rental/contracts/views.py ContractWizardView): every step
as an agent clicks it, each refusal in Chinese with what was typed kept, going back, the step bar,
resuming a draft after logging out, signing twice, cancelling, and the drafts of others (another
enterprise's agent and administrator, government, helpdesk, the public, anonymous)."""
import html as htmllib
import io
import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.rental import helpers as h

WIZ = "/rental/contracts/wizard"


def text_of(resp):
    return htmllib.unescape(resp.get_data(as_text=True))


def alerts(html, kind=None):
    """The texts of the page's alerts (flashed or the form's own), errors first."""
    found = re.findall(r'class="alert ([^"]*)"[^>]*>(.*?)</div>', html, flags=re.S)
    texts = [(cls, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("×", "").strip()) for cls, body in found]
    texts.sort(key=lambda t: "danger" not in t[0])
    return [t for cls, t in texts if kind is None or kind in cls]


class Agent:
    """A signed-in client with the page's CSRF token at hand."""

    def __init__(self, client):
        self.c = client
        self._token = None

    def token(self):
        if self._token is None:
            self._token = self.c.token(f"{WIZ}/")
        return self._token

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def post(self, url, data=None, **kw):
        payload = dict(data or {})
        payload["csrf_token"] = self.token()
        return self.c.post(url, data=payload, **kw)


@pytest.fixture
def agency(app):
    """A fresh rental enterprise: (org id, admin username, agent username)."""
    with app.app_context():
        org, admin, agent = h.new_rental_enterprise()
        return SimpleNamespace(org_id=org.id, admin=admin.username, agent=agent.username, agent_id=agent.id)


def as_agent(login, username):
    return Agent(login(username))


def new_property(app, owners=1, region="500103001"):
    with app.app_context():
        prop, people = h.new_property(region, owners)
        return SimpleNamespace(id=prop.id, cert_no=prop.cert_no, cert_type=prop.cert_type,
                               region_code=prop.region_code, address=prop.address, people=people)


def verify_form(prop, people=None):
    people = people if people is not None else prop.people
    return {"mode": "now", "region_code": prop.region_code, "cert_type": prop.cert_type, "cert_no": prop.cert_no,
            "owner_name": [p["name"] for p in people], "owner_id_type": [p["id_type"] for p in people],
            "owner_id_number": [p["id_number"] for p in people]}


def details_form(**change):
    return h.details(**change)


def tenants_form(rows):
    return {"tenant_seq": [r.get("seq", "") for r in rows], "tenant_name": [r["name"] for r in rows],
            "tenant_id_type": [r["id_type"] for r in rows], "tenant_id_number": [r["id_number"] for r in rows],
            "tenant_mobile": [r["mobile"] for r in rows], "op": "save"}


def start(agent, verification=None):
    data = {"verification": str(verification)} if verification else {}
    resp = agent.post(f"{WIZ}/new", data)
    assert resp.status_code == 302, text_of(resp)
    pk = int(re.search(r"/wizard/(\d+)$", resp.headers["Location"]).group(1))
    return pk


def contract(app, pk):
    from app.rental.contracts.models import RentalContract

    with app.app_context():
        c = db.session.get(RentalContract, pk)
        return SimpleNamespace(**{col.key: getattr(c, col.key) for col in RentalContract.__table__.columns},
                               tenants=[SimpleNamespace(name=t.name, id_number=t.id_number, mobile=t.mobile)
                                        for t in c.tenants])


def step_shown(resp):
    m = re.search(r'data-step="(\w+)"', resp.get_data(as_text=True))
    return m.group(1) if m else None


def upload(agent, pk, name="身份证明.pdf", data=h.PDF):
    return agent.post(f"{WIZ}/{pk}/attachments", {"op": "upload", "files": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")


def to_preview(app, agent, pk, prop=None, tenants=None, detail=None):
    prop = prop or new_property(app)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(prop)).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/details", detail or details_form()).status_code == 302
    tenants = tenants or [h_tenant(app)]
    assert agent.post(f"{WIZ}/{pk}/tenants", tenants_form(tenants)).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/matters", {"agreed_matters": "押一付一，水电费由承租人承担。"}).status_code == 302
    assert upload(agent, pk).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/attachments", {"op": "next"}).status_code == 302
    return prop, tenants


def h_tenant(app, **change):
    with app.app_context():
        return h.tenant(**change)


# --- the whole way --------------------------------------------------------------------------------

def test_an_agent_signs_through_every_step(app, login, agency):
    from app.core.sms import SmsMessage

    agent = as_agent(login, agency.agent)
    resp = agent.get(f"{WIZ}/new")
    page = text_of(resp)
    assert "受理网签" in page and "btn-start" in page, (resp.status_code, alerts(page), re.findall(r"<h\d[^>]*>.*?</h\d>", page, flags=re.S)[:3])
    pk = start(agent)
    resp = agent.get(f"{WIZ}/{pk}")
    assert step_shown(resp) == "verify"
    page = text_of(resp)
    for label in ("受理网签", "房源核验", "合同详细信息", "承租人信息", "双方约定事项", "要件上传", "合同预览"):
        assert label in page
    assert 'id="bar-accept"' in page and "anju-step-done" in page and "返回上一步" in page
    assert "anju/rental/wizard.css" in page and "anju/rental/wizard.js" in page

    prop = new_property(app, owners=2)
    resp = agent.post(f"{WIZ}/{pk}/verify", verify_form(prop))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/wizard/{pk}")
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert 'data-step="details"' in page and prop.address in page and "anju-date" in page
    assert agent.post(f"{WIZ}/{pk}/details", details_form(rent="3200", deposit="6400", payment_cycle="quarterly",
                                                          rental_mode="part", rented_part="主卧")).status_code == 302
    t1, t2 = h_tenant(app), h_tenant(app)
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "tenants"
    assert agent.post(f"{WIZ}/{pk}/tenants", tenants_form([t1, t2])).status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "matters"
    assert agent.post(f"{WIZ}/{pk}/matters", {"agreed_matters": "押二付三，宠物需经出租人同意。"}).status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "attachments"
    assert upload(agent, pk).status_code == 302
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert "身份证明.pdf" in page
    assert agent.post(f"{WIZ}/{pk}/attachments", {"op": "next"}).status_code == 302
    resp = agent.get(f"{WIZ}/{pk}")
    page = text_of(resp)
    assert step_shown(resp) == "preview" and 'id="contract-text"' in page
    assert "住房租赁合同" in page and "3200.00" in page and "主卧" in page and "押二付三" in page
    # The agent sees the tenants masked in the preview too; the buttons name the contract.
    assert t1["id_number"] not in page and t1["id_number"][-4:] in page
    assert f"确定签订合同草稿 #{pk}" in page or f"合同草稿 #{pk}" in re.search(r'id="btn-sign"[^>]*', page).group(0)
    assert 'id="btn-cancel"' in page

    resp = agent.post(f"{WIZ}/{pk}/sign")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/rental/contracts/show/{pk}")
    c = contract(app, pk)
    assert c.status == "signed" and c.number.startswith("HT") and c.rent == 3200 and c.rented_part == "主卧"
    page = text_of(agent.get(resp.headers["Location"]))
    assert c.number in page and "已签约" in page and "短信" in "".join(alerts(page))
    with app.app_context():
        sent = db.session.execute(select(SmsMessage.mobile).where(SmsMessage.template == "rental_contract_signed",
                                                                  SmsMessage.mobile.in_([t1["mobile"], t2["mobile"]])))
        assert sorted(sent.scalars()) == sorted([t1["mobile"], t2["mobile"]])


def test_a_verification_result_page_starts_with_that_verification(app, login, agency):
    with app.app_context():
        v = h.verified(h.user(agency.agent))[0]
        vid, code = v.id, v.code
    agent = as_agent(login, agency.agent)
    page = text_of(agent.get(f"{WIZ}/new?verification={vid}"))
    assert code in page
    pk = start(agent, verification=vid)
    assert contract(app, pk).verification_id == vid
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "details"


def test_a_property_company_cannot_sign_online(login):
    ent = as_agent(login, "ent_a")
    resp = ent.post(f"{WIZ}/new", {})
    assert resp.status_code == 200
    assert "只有住房租赁企业或房地产经纪机构的人员可以办理合同网签。" in alerts(text_of(resp))


# --- 房源核验 ----------------------------------------------------------------------------------------

def test_a_failed_verification_is_recorded_and_its_reasons_shown_with_the_fields_kept(app, login, agency):
    from app.rental.verification.models import ListingVerification

    agent = as_agent(login, agency.agent)
    pk = start(agent)
    prop = new_property(app, owners=2)
    wrong = [dict(prop.people[0]), dict(prop.people[1], name="错误姓名")]
    resp = agent.post(f"{WIZ}/{pk}/verify", verify_form(prop, wrong))
    assert resp.status_code == 422
    page = text_of(resp)
    assert "房源核验未通过。" in page and "第2位产权人：姓名或证件号与登记的产权人不符。" in page
    assert f'value="{prop.cert_no}"' in page and 'value="错误姓名"' in page and page.count('name="owner_name"') == 2
    with app.app_context():
        rows = db.session.execute(select(ListingVerification).where(
            ListingVerification.cert_no == prop.cert_no)).scalars().all()
        assert [r.result for r in rows] == ["failed"]
    assert contract(app, pk).verification_id is None and contract(app, pk).step == "verify"
    # A malformed field: nothing recorded, the field named.
    resp = agent.post(f"{WIZ}/{pk}/verify", dict(verify_form(prop), cert_no=""))
    assert resp.status_code == 422 and "产权证号：必须填写" in alerts(text_of(resp))[0]


def test_owner_rows_are_added_and_deleted_without_saving(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    prop = new_property(app)
    page = text_of(agent.post(f"{WIZ}/{pk}/verify", dict(verify_form(prop), op="add")))
    assert page.count('name="owner_name"') == 2 and f'value="{prop.cert_no}"' in page
    form = verify_form(prop, [prop.people[0], {"name": "多余", "id_type": "resident_id", "id_number": ""}])
    page = text_of(agent.post(f"{WIZ}/{pk}/verify", dict(form, op="del:1")))
    assert page.count('name="owner_name"') == 1 and "多余" not in page
    assert contract(app, pk).step == "verify"


def test_a_valid_verification_is_picked_by_its_code(app, login, agency):
    with app.app_context():
        mine = h.verified(h.user(agency.agent))[0]
        other = h.verified(h.new_rental_enterprise()[2])[0]
        mine_code, other_code = mine.code, other.code
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert mine_code in page and other_code not in page          # the list of the agent's valid ones
    resp = agent.post(f"{WIZ}/{pk}/verify", {"mode": "code", "code": other_code})
    assert resp.status_code == 422
    assert "房源识别码：" in alerts(text_of(resp))[0]
    assert agent.post(f"{WIZ}/{pk}/verify", {"mode": "code", "code": mine_code.lower()}).status_code == 302
    assert contract(app, pk).step == "details"


# --- 合同详细信息 and the other steps ------------------------------------------------------------------

def test_details_refusals_keep_what_was_typed(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    resp = agent.post(f"{WIZ}/{pk}/details", details_form(rent="abc", deposit="1234.5", rented_part="次卧"))
    assert resp.status_code == 422
    page = text_of(resp)
    assert alerts(page)[0].startswith("月租金（元）：请输入以元为单位的金额，如 2500 或 2500.50")
    assert 'value="abc"' in page and 'value="1234.5"' in page and 'value="次卧"' in page
    resp = agent.post(f"{WIZ}/{pk}/details", details_form(rental_mode="part", rented_part=""))
    assert alerts(text_of(resp))[0] == "出租部位：部分出租时必填"
    assert contract(app, pk).rent is None and contract(app, pk).step == "details"


def test_an_overlapping_lease_is_refused_on_the_details_step(app, login, agency):
    with app.app_context():
        agent_user = h.user(agency.agent)
        v = h.verified(agent_user)[0]
        first = h.through_wizard(agent_user, verification=v)
        number, vid = first.number, v.id
    agent = as_agent(login, agency.agent)
    pk = start(agent, verification=vid)
    resp = agent.post(f"{WIZ}/{pk}/details", details_form(rent="2800"))
    assert resp.status_code == 422
    message = alerts(text_of(resp))[0]
    assert message.startswith(f"该房屋已有已签约的租赁合同{number}") or number in message
    assert 'value="2800"' in text_of(resp)
    assert contract(app, pk).rent is None


def test_tenant_refusals_name_the_tenant_and_rows_come_back(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/details", details_form()).status_code == 302
    good, bad = h_tenant(app), h_tenant(app, id_number="500103198801010001")
    resp = agent.post(f"{WIZ}/{pk}/tenants", tenants_form([good, bad]))
    assert resp.status_code == 422
    page = text_of(resp)
    assert alerts(page)[0].startswith("第2位承租人 证件号码：")
    assert f'value="{good["name"]}"' in page and 'value="500103198801010001"' in page
    page = text_of(agent.post(f"{WIZ}/{pk}/tenants", dict(tenants_form([good]), op="add")))
    assert page.count('name="tenant_name"') == 2
    assert contract(app, pk).tenants == []


def test_documents_are_checked_listed_and_deleted(app, login, agency):
    from app.core.uploads import Upload

    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/details", details_form()).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/tenants", tenants_form([h_tenant(app)])).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/matters", {"agreed_matters": ""}).status_code == 302
    resp = agent.post(f"{WIZ}/{pk}/attachments", {"op": "next"})
    assert resp.status_code == 422
    assert alerts(text_of(resp))[0] == "要件上传：请至少上传一份要件（如承租人身份证明）"
    resp = upload(agent, pk, "合同.docx", b"PK\x03\x04not really")
    assert resp.status_code == 422 and "只接受" in alerts(text_of(resp))[0]
    resp = upload(agent, pk, "伪造.pdf", b"not a pdf at all")
    assert resp.status_code == 422 and "伪造.pdf" in alerts(text_of(resp))[0]
    assert upload(agent, pk).status_code == 302
    with app.app_context():
        file_id = db.session.execute(select(Upload.id).where(Upload.owner_type == "rental_contract",
                                                             Upload.owner_id == pk)).scalar_one()
    assert agent.post(f"{WIZ}/{pk}/attachments/{file_id}/delete").status_code == 302
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert 'id="no-files"' in page and "已删除：身份证明.pdf" in alerts(page)
    assert upload(agent, pk, "房产证.png", _png()).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/attachments", {"op": "next"}).status_code == 302
    assert contract(app, pk).step == "preview"


def _png():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return buf.getvalue()


# --- going back, the step bar, resuming ---------------------------------------------------------------

def test_going_back_keeps_every_value_and_masked_tenants_stay_whole(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    tenant = h_tenant(app)
    to_preview(app, agent, pk, tenants=[tenant], detail=details_form(rent="3100", rented_part=""))
    assert agent.post(f"{WIZ}/{pk}/back").status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "attachments"
    agent.post(f"{WIZ}/{pk}/back")
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert "押一付一，水电费由承租人承担。" in page
    agent.post(f"{WIZ}/{pk}/back")
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert 'data-step="tenants"' in page
    # The agent sees the tenant masked; sending the row back unchanged keeps the full values.
    assert tenant["id_number"] not in page and tenant["mobile"] not in page
    masked = {"seq": re.search(r'name="tenant_seq" value="(\d+)"', page).group(1),
              "name": re.search(r'name="tenant_name"[^>]*value="([^"]*)"', page).group(1),
              "id_type": "resident_id",
              "id_number": re.search(r'name="tenant_id_number"[^>]*value="([^"]*)"', page).group(1),
              "mobile": re.search(r'name="tenant_mobile"[^>]*value="([^"]*)"', page).group(1)}
    assert "*" in masked["id_number"]
    assert agent.post(f"{WIZ}/{pk}/tenants", tenants_form([masked])).status_code == 302
    stored = contract(app, pk).tenants[0]
    assert (stored.name, stored.id_number, stored.mobile) == (tenant["name"], tenant["id_number"], tenant["mobile"])
    # The step bar opens a step already reached; details kept its values.
    assert agent.post(f"{WIZ}/{pk}/goto", {"step": "details"}).status_code == 302
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert 'data-step="details"' in page and 'value="3100.00"' in page
    assert agent.post(f"{WIZ}/{pk}/goto", {"step": "preview"}).status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "preview"


def test_going_back_keeps_what_was_typed_on_the_step_not_yet_saved(app, login, agency):
    """返回上一步 sends the step's form too: typed and valid → saved, then the step before opens;
    typed and wrong → the step comes back with the reason and the typed values; left empty →
    simply the step before."""
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    # Typed on 合同详细信息, never saved with 下一步, then 返回上一步.
    resp = agent.post(f"{WIZ}/{pk}/back", dict(details_form(rent="4321"), keep="details"))
    assert resp.status_code == 302 and step_shown(agent.get(f"{WIZ}/{pk}")) == "verify"
    assert str(contract(app, pk).rent) == "4321.00"
    assert agent.post(f"{WIZ}/{pk}/goto", {"step": "details"}).status_code == 302
    assert 'value="4321.00"' in text_of(agent.get(f"{WIZ}/{pk}"))
    # A wrong value typed: nothing lost, the reason shown.
    resp = agent.post(f"{WIZ}/{pk}/back", dict(details_form(rent="abc", deposit="777"), keep="details"))
    page = text_of(resp)
    assert resp.status_code == 422 and "月租金（元）：请输入以元为单位的金额" in page
    assert 'value="abc"' in page and 'value="777"' in page
    assert str(contract(app, pk).rent) == "4321.00"
    # 承租人信息 left empty: simply back.
    assert agent.post(f"{WIZ}/{pk}/details", details_form(rent="4321")).status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "tenants"
    empty = tenants_form([{"seq": "1", "name": "", "id_type": "resident_id", "id_number": "", "mobile": ""}])
    assert agent.post(f"{WIZ}/{pk}/back", dict(empty, keep="tenants")).status_code == 302
    assert step_shown(agent.get(f"{WIZ}/{pk}")) == "details"


def test_the_step_bar_does_not_skip_ahead(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    resp = agent.post(f"{WIZ}/{pk}/goto", {"step": "preview"}, follow_redirects=True)
    assert "请先完成“房源核验”步骤。" in alerts(text_of(resp))
    assert contract(app, pk).step == "verify"
    page = text_of(agent.get(f"{WIZ}/{pk}"))
    assert f'{WIZ}/{pk}/goto' in page            # 受理网签 is reached and clickable
    assert page.count(f'{WIZ}/{pk}/goto') == 1


def test_a_draft_resumes_after_logging_out(app, login, agency, client):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    assert agent.post(f"{WIZ}/{pk}/details", details_form(rent="2999")).status_code == 302
    agent.c.logout()
    assert agent.get(f"{WIZ}/{pk}").status_code in (302, 401)
    again = as_agent(login, agency.agent)
    page = text_of(again.get(f"{WIZ}/"))
    row = re.search(rf'id="draft-{pk}".*?</tr>', page, flags=re.S).group(0)
    assert "承租人信息" in row and f"{WIZ}/{pk}" in row and "继续办理" in row
    resp = again.get(f"{WIZ}/{pk}")
    assert step_shown(resp) == "tenants"
    again.post(f"{WIZ}/{pk}/back")
    assert 'value="2999.00"' in text_of(again.get(f"{WIZ}/{pk}"))
    # The enterprise's administrator sees and may continue the agent's draft.
    admin = as_agent(login, agency.admin)
    assert f'id="draft-{pk}"' in text_of(admin.get(f"{WIZ}/"))
    assert step_shown(admin.get(f"{WIZ}/{pk}")) == "details"


# --- 签约 twice, 取消 ---------------------------------------------------------------------------------

def test_signing_twice_signs_once(app, login, agency):
    from app.core.sms import SmsMessage

    agent = as_agent(login, agency.agent)
    pk = start(agent)
    _prop, tenants = to_preview(app, agent, pk)
    assert agent.post(f"{WIZ}/{pk}/sign").status_code == 302
    number = contract(app, pk).number
    resp = agent.post(f"{WIZ}/{pk}/sign", follow_redirects=True)
    assert "已签约的合同不能再修改。" in alerts(text_of(resp))
    assert contract(app, pk).number == number
    with app.app_context():
        n = db.session.execute(select(SmsMessage.id).where(SmsMessage.mobile == tenants[0]["mobile"],
                                                           SmsMessage.template == "rental_contract_signed")).all()
        assert len(n) == 1
    # A finished contract opens on its page, never in the wizard.
    resp = agent.get(f"{WIZ}/{pk}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/rental/contracts/show/{pk}")
    resp = agent.post(f"{WIZ}/{pk}/details", details_form())
    assert resp.status_code == 302 and contract(app, pk).rent == 2500


def test_cancel_keeps_the_contract_as_cancelled(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    to_preview(app, agent, pk)
    resp = agent.post(f"{WIZ}/{pk}/cancel", follow_redirects=True)
    assert f"合同草稿 #{pk}" in "".join(alerts(text_of(resp)))
    c = contract(app, pk)
    assert c.status == "cancelled" and c.number is None
    assert f'id="draft-{pk}"' not in text_of(agent.get(f"{WIZ}/"))
    assert agent.post(f"{WIZ}/{pk}/sign", follow_redirects=True).status_code == 200
    assert contract(app, pk).status == "cancelled"


# --- home cards ------------------------------------------------------------------------------------

def test_home_cards_count_drafts_and_those_waiting_to_be_signed(app, login, agency):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    start(agent)
    to_preview(app, agent, pk)
    page = text_of(agent.get("/"))
    drafts = re.search(r'id="home-card-rental-drafts".*?card-value">([^<]*)<.*?card-detail">([^<]*)<', page, flags=re.S)
    assert drafts and drafts.group(1) == "2" and "1" in drafts.group(2), page[:200]
    waiting = re.search(r'id="home-card-rental-to-sign"[^>]*href="([^"]+)".*?card-value">([^<]*)<', page, flags=re.S)
    assert waiting and waiting.group(2) == "1" and "step=preview" in waiting.group(1)


# --- another's drafts ----------------------------------------------------------------------------------

def test_others_cannot_open_or_change_a_draft(app, login, agency, client):
    agent = as_agent(login, agency.agent)
    pk = start(agent)
    assert agent.post(f"{WIZ}/{pk}/verify", verify_form(new_property(app))).status_code == 302
    with app.app_context():
        _org, other_admin, other_agent = h.new_rental_enterprise()
        names = (other_admin.username, other_agent.username)
    urls = [f"{WIZ}/{pk}/{step}" for step in ("accept", "verify", "details", "tenants", "matters", "attachments",
                                              "back", "goto", "sign", "cancel")]
    for username in (*names, "district1", "gov_admin", "helpdesk", "analyst", "public1", "ent_a"):
        other = as_agent(login, username)
        resp = other.get(f"{WIZ}/{pk}")
        assert resp.status_code in (302, 403, 404), username
        if resp.status_code == 302:
            assert f"{WIZ}/{pk}" not in resp.headers["Location"], username
        for url in urls:
            resp = other.post(url, details_form())
            assert resp.status_code in (302, 403, 404), (username, url)
            if resp.status_code == 302:
                assert "/login" in resp.headers["Location"] or resp.headers["Location"].endswith("/"), (username, url)
        assert f'id="draft-{pk}"' not in text_of(other.get(f"{WIZ}/"))
    # Another agent of the same enterprise does not see it either (own scope).
    with app.app_context():
        from flask import current_app

        from tests.conftest import DEMO_PASSWORD

        sm = current_app.appbuilder.sm
        stamp = datetime.now().strftime("%H%M%S%f")
        sm.add_user(f"colleague{stamp}", "同事", "", f"colleague{stamp}@test.anju.invalid", sm.find_role("rental_agent"),
                    password=DEMO_PASSWORD, org_id=agency.org_id, must_change_password=False)
    colleague = as_agent(login, f"colleague{stamp}")
    assert colleague.get(f"{WIZ}/{pk}").status_code == 404
    assert colleague.post(f"{WIZ}/{pk}/details", details_form()).status_code == 404
    anonymous = client.get(f"{WIZ}/{pk}")
    assert anonymous.status_code in (302, 401) and anonymous.headers.get("Location", "/login/").startswith("/login/")
    assert contract(app, pk).step == "details" and contract(app, pk).rent is None
    assert agent.get(f"{WIZ}/999999999").status_code == 404
