"""房源核验 in the console, as an agent uses it: the form (one or several owners), the result page
(核验通过 with the 房源识别码, 打印告知单 / 下载PDF / 受理网签; 核验未通过 with the reasons and the
typed fields kept), every refusal in Chinese, the failure limit, the 租赁房源核验告知单 print view
and PDF, the public confirmation page (no personal data), the 核验记录 list and export, and the
scope from outside (another enterprise, another district, helpdesk, public, anonymous, guessed
ids)."""
import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import text

from app.extensions import db
from tests.rental.helpers import new_property, new_rental_enterprise, user, verification_fields


# --- set-up, each in its own app context (requests run outside it) ---------------------------------

def enterprise(app, region="500103"):
    """A fresh rental enterprise with an administrator and an agent (own failure counts)."""
    with app.app_context():
        org, admin, agent = new_rental_enterprise(region)
        return SimpleNamespace(org_id=org.id, org_name=org.name, admin=admin.username, agent=agent.username)


def registered(app, region="500103001", owners=1, **kw):
    with app.app_context():
        prop, people = new_property(region, owners, **kw)
        return SimpleNamespace(id=prop.id, cert_no=prop.cert_no, cert_type=prop.cert_type, address=prop.address,
                               region_code=prop.region_code, street_code=prop.street_code), people


def verified_by(app, username, region="500103001", moment=None, owners=1):
    """A passed verification by ``username`` of a fresh property (through the service)."""
    from app.rental.verification import services

    with app.test_request_context("/"):
        prop, people = new_property(region, owners)
        v = services.verify(verification_fields(prop, people), user(username), moment=moment)
        db.session.commit()
        assert v.passed, v.reasons
        return SimpleNamespace(id=v.id, code=v.code, address=prop.address, cert_no=prop.cert_no,
                               created_on=v.created_on), people


def second_agent(app, ent):
    from flask import current_app

    from tests.complaints.helpers import new_mobile
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        sm = current_app.appbuilder.sm
        name = f"{ent.agent}_2"
        sm.add_user(name, "第二经纪人", "", f"{name}@test.anju.invalid", sm.find_role("rental_agent"),
                    password=DEMO_PASSWORD, org_id=ent.org_id, mobile=new_mobile("1379"), must_change_password=False)
        return name


def form(prop, people, district=None, street=None, **change):
    data = {"district": district if district is not None else prop.region_code,
            "street": street if street is not None else (prop.street_code or ""),
            "cert_type": prop.cert_type, "cert_no": prop.cert_no,
            "owner_name": [p["name"] for p in people], "owner_id_type": [p["id_type"] for p in people],
            "owner_id_number": [p["id_number"] for p in people]}
    data.update(change)
    return data


def set_param(app, key, value):
    with app.app_context():
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"v": str(value), "k": key})
        db.session.commit()


def mask_name(name):
    return name[0] + "*" if len(name) == 2 else name[0] + "*" + name[-1]


def mask_id(number):
    return "*" * 14 + number[-4:]


def page_text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the form and the result ---------------------------------------------------------------------

def test_agent_verifies_two_owners_and_gets_the_result_page(app, login):
    ent = enterprise(app)
    prop, people = registered(app, owners=2)
    c = login(ent.agent)
    assert "添加产权人" in c.get("/rental/verification/new").get_data(as_text=True)
    resp = c.form("/rental/verification/new", form(prop, people))
    assert resp.status_code == 302
    pk = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    html = c.get(resp.headers["Location"]).get_data(as_text=True)
    code = re.search(r'id="verify-code">([A-Z0-9]+)<', html).group(1)
    assert code.startswith("FY") and "核验通过" in html and f"核验通过，房源识别码：{code}。" in html
    assert prop.address in html
    valid_until = re.search(r'id="verify-valid-until">([0-9-]+)<', html).group(1)
    with app.app_context():
        from app.rental.verification.models import ListingVerification

        v = db.session.get(ListingVerification, pk)
        assert v.valid_until.isoformat() == valid_until
        assert (v.valid_until - v.created_on.date()).days == 30
        assert v.channel == "console" and v.org_id == ent.org_id
    assert f'href="/rental/verification/print/{pk}"' in html and f'href="/rental/verification/pdf/{pk}"' in html
    assert f'href="/rental/contracts/wizard/new?verification={pk}"' in html
    assert "打印告知单" in html and "下载PDF" in html and "受理网签" in html
    # The owners named appear masked to an agent.
    for p in people:
        assert p["name"] not in html and p["id_number"] not in html and mask_id(p["id_number"]) in html


def test_either_owner_alone_verifies_and_the_street_may_be_left_out(app, login):
    ent = enterprise(app)
    prop, people = registered(app, owners=2)
    c = login(ent.agent)
    assert c.form("/rental/verification/new", form(prop, people[1:], street="")).status_code == 302


@pytest.mark.parametrize("case, reasons", [
    ("missing", ["未找到该证件类型和产权证号的产权登记。"]),
    ("wrong_owner", ["第2位产权人：姓名或证件号与登记的产权人不符。"]),
    ("sealed", ["该房屋已被查封，不得出租。"]),
    ("mortgaged", ["该房屋已抵押，解除抵押前不得出租。"]),
    ("region", ["该房屋不在所选的房屋区域内。"]),
])
def test_failed_verification_shows_the_reasons_and_keeps_the_fields(app, login, case, reasons):
    from tests.rental.helpers import new_person

    ent = enterprise(app)
    prop, people = registered(app, owners=1, sealed=case == "sealed", mortgaged=case == "mortgaged")
    change, named = {}, list(people)
    if case == "missing":
        change["cert_no"] = prop.cert_no + "X"
    elif case == "wrong_owner":
        named = people + [new_person()]
    c = login(ent.agent)
    data = form(prop, named, **change) if case != "region" else form(prop, named, district="500112", street="")
    resp = c.form("/rental/verification/new", data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="verify-failed"' in html and "核验未通过" in html
    shown = re.findall(r"<li>([^<]+)</li>", html[html.index('id="verify-reasons"'):])
    assert shown[:len(reasons)] == reasons
    assert f'value="{data["cert_no"]}"' in html
    for p in named:
        assert f'value="{p["id_number"]}"' in html
    with app.app_context():
        from app.rental.verification.models import ListingVerification

        row = db.session.execute(db.select(ListingVerification).where(
            ListingVerification.cert_no == data["cert_no"]).order_by(ListingVerification.id.desc())).scalars().first()
        assert row.result == "failed" and row.code is None


@pytest.mark.parametrize("change, message", [
    ({"district": "", "street": ""}, "房屋区域：必须填写"),
    ({"cert_type": ""}, "证件类型：必须填写"),
    ({"cert_no": ""}, "产权证号：必须填写"),
    ({"owner_name": ["张"]}, "产权人姓名：应为 2 至 30 个汉字或字母"),
    ({"owner_id_number": ["500103198801010000"]}, "产权人证件号："),
    ({"owner_name": [""], "owner_id_number": [""]}, "产权人姓名：必须填写"),
])
def test_field_refusals_are_flashed_in_chinese_and_nothing_is_recorded(app, login, change, message):
    ent = enterprise(app)
    prop, people = registered(app)
    c = login(ent.agent)
    resp = c.form("/rental/verification/new", form(prop, people, **change))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in html
    assert 'id="verify-failed"' not in html
    with app.app_context():
        from app.rental.verification.models import ListingVerification

        assert db.session.execute(db.select(ListingVerification.id).where(
            ListingVerification.cert_no == prop.cert_no)).first() is None


def test_too_many_failures_are_refused_with_a_flash(app, login):
    ent = enterprise(app)
    prop, people = registered(app)
    set_param(app, "rental.verify_fail_limit", 2)
    try:
        c = login(ent.agent)
        wrong = form(prop, people, cert_no=prop.cert_no + "9")
        for _ in range(2):
            assert "核验未通过" in c.form("/rental/verification/new", wrong).get_data(as_text=True)
        html = c.form("/rental/verification/new", form(prop, people)).get_data(as_text=True)
        assert "核验失败次数过多：最近60分钟内已失败2次。请核对产权证号和产权人信息后稍后再试。" in html
        assert f'value="{prop.cert_no}"' in html          # what was typed stays
    finally:
        set_param(app, "rental.verify_fail_limit", 5)


# --- the 告知单 ---------------------------------------------------------------------------------------

def test_notice_print_and_pdf(app, login):
    ent = enterprise(app)
    v, people = verified_by(app, ent.agent)
    c = login(ent.agent)
    resp = c.get(f"/rental/verification/print/{v.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("private")
    for want in ("租赁房源核验告知单", v.code, "核验通过", "渝中区 七星岗街道", v.address, v.cert_no, "核验机构", ent.org_name,
                 "有效期至", "本告知单仅证明核验时产权登记信息与填报的产权证及产权人信息一致", f"/rental/listing/{v.code}",
                 "data:image/svg+xml"):
        assert want in html, want
    assert people[0]["name"] not in html and people[0]["id_number"] not in html
    assert mask_name(people[0]["name"]) in html
    pdf = c.get(f"/rental/verification/pdf/{v.id}")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF" and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_no_notice_for_a_failed_verification(app, login):
    ent = enterprise(app)
    prop, people = registered(app)
    c = login(ent.agent)
    c.form("/rental/verification/new", form(prop, people, cert_no=prop.cert_no + "Z"))
    with app.app_context():
        from app.rental.verification.models import ListingVerification

        pk = db.session.execute(db.select(ListingVerification.id).where(
            ListingVerification.cert_no == prop.cert_no + "Z")).scalar_one()
    assert c.get(f"/rental/verification/show/{pk}").status_code == 200
    assert c.get(f"/rental/verification/print/{pk}").status_code == 404
    assert c.get(f"/rental/verification/pdf/{pk}").status_code == 404


# --- the public page ----------------------------------------------------------------------------------

def test_public_page_confirms_the_code_without_personal_data(app, client):
    ent = enterprise(app)
    v, people = verified_by(app, ent.agent)
    resp = client.get(f"/rental/listing/{v.code}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    body = page_text(html)
    for want in (v.code, "有效", "渝中区 七星岗街道", ent.org_name, "有效期至"):
        assert want in body, want
    for secret in (people[0]["name"], mask_name(people[0]["name"]), people[0]["id_number"], people[0]["id_number"][-4:],
                   v.address, v.cert_no):
        assert secret not in html, secret
    # The search form sends a typed code to its page; an unknown code says so in Chinese.
    assert client.get(f"/rental/listing/?code={v.code}").headers["Location"].endswith(f"/rental/listing/{v.code}")
    missing = client.get("/rental/listing/FY000000ZZZZZZZZ")
    assert missing.status_code == 404
    assert "未找到房源识别码为FY000000ZZZZZZZZ的核验通过房源" in missing.get_data(as_text=True)
    assert client.get("/rental/listing/").status_code == 200


def test_an_expired_code_says_so_and_offers_no_signing(app, client, login):
    ent = enterprise(app)
    v, _people = verified_by(app, ent.agent, moment=datetime.now() - timedelta(days=45))
    assert "已过期" in page_text(client.get(f"/rental/listing/{v.code}").get_data(as_text=True))
    html = login(ent.agent).get(f"/rental/verification/show/{v.id}").get_data(as_text=True)
    assert "已过期" in html and "/rental/contracts/wizard/new" not in html


# --- 核验记录 and the scope from outside ------------------------------------------------------------------

def _listed(c, code, **args):
    query = "&".join(f"{k}={quote(str(val))}" for k, val in args.items())
    resp = c.get("/rental/verification/list/" + (f"?{query}" if query else ""))
    assert resp.status_code == 200
    return code in resp.get_data(as_text=True)


def test_records_list_filters(app, login):
    ent = enterprise(app)
    v, _people = verified_by(app, ent.agent)
    c = login(ent.admin)
    assert _listed(c, v.code)
    assert _listed(c, v.code, _flt_0_result="passed", _flt_0_region_code="500103", _flt_0_channel="console",
                   _flt_0_org=ent.org_name[-8:])
    assert not _listed(c, v.code, _flt_0_result="failed")
    assert not _listed(c, v.code, _flt_0_region_code="500112")
    # The inline 核验时间 range (从 … 至 …, whole days) as the page names its boxes.
    html = c.get("/rental/verification/list/").get_data(as_text=True)
    start, end = re.findall(r'name="(_flt_\d+_created_on)"', html)[:2]
    day = v.created_on.strftime("%Y-%m-%d")
    assert _listed(c, v.code, **{start: day, end: day})
    before = (v.created_on - timedelta(days=1)).strftime("%Y-%m-%d")
    assert not _listed(c, v.code, **{start: before, end: before})


def test_scope_from_outside(app, login, client):
    ent, other = enterprise(app), enterprise(app)
    v, people = verified_by(app, ent.agent)
    far = enterprise(app, region="500112")
    w, _people = verified_by(app, far.agent, region="500112002")
    urls = [f"/rental/verification/show/{v.id}", f"/rental/verification/print/{v.id}", f"/rental/verification/pdf/{v.id}"]

    # Inside: the agent, the enterprise's administrator, the district, the city.
    for username in (ent.agent, ent.admin, "district1", "gov_admin", "reviewer", "analyst"):
        c = login(username)
        assert _listed(c, v.code), username
        for url in urls:
            assert c.get(url).status_code == 200, (username, url)
    # Another agent of the same enterprise does not see the colleague's (scope: own rows).
    colleague = second_agent(app, ent)
    c = login(colleague)
    assert not _listed(c, v.code)
    for url in urls:
        assert c.get(url).status_code == 404, url
    # Outside: another enterprise, a property company, a platform, another district.
    for username in (other.admin, other.agent, "agency_a", "agent_a", "ent_a", "platform_a"):
        c = login(username)
        assert not _listed(c, v.code), username
        for url in urls:
            assert c.get(url).status_code == 404, (username, url)
    c = login("district1")
    assert not _listed(c, w.code)
    assert c.get(f"/rental/verification/show/{w.id}").status_code == 404
    # Roles without verification records at all.
    for username in ("helpdesk", "public1"):
        c = login(username)
        for url in ["/rental/verification/list/", "/rental/verification/new", "/rental/verification/export/", *urls]:
            assert c.get(url).status_code == 403, (username, url)
    for url in ["/rental/verification/list/", "/rental/verification/new", *urls]:
        assert client.get(url).status_code in (302, 401, 403), url
    # Guessed ids.
    c = login(ent.agent)
    for url in ("/rental/verification/show/99999999", "/rental/verification/print/99999999",
                "/rental/verification/pdf/99999999"):
        assert c.get(url).status_code == 404


def test_readers_cannot_verify(login):
    for username in ("district1", "reviewer", "analyst", "street1", "platform_a"):
        assert login(username).get("/rental/verification/new").status_code == 403, username


def test_export_is_scoped_and_masked(app, login):
    ent = enterprise(app)
    v, people = verified_by(app, ent.agent)
    resp = login(ent.admin).get("/rental/verification/export/")
    assert resp.status_code == 200
    rows = [[cell.value for cell in r] for r in openpyxl.load_workbook(io.BytesIO(resp.data)).active.iter_rows()]
    assert rows[0][:3] == ["房源识别码", "核验结果", "原因"]
    assert [r[0] for r in rows[1:]] == [v.code]
    row = rows[1]
    assert row[1] == "核验通过" and row[4] == v.cert_no and row[6] == ent.org_name
    assert row[5] == "租赁经纪人员"               # the enterprise's administrator may see full values
    assert row[9] == "监管平台"
    # District staff (no full-value permission) get the verifier's name masked.
    resp = login("district1").get(f"/rental/verification/export/?_flt_0_org={quote(ent.org_name)}")
    rows = [[cell.value for cell in r] for r in openpyxl.load_workbook(io.BytesIO(resp.data)).active.iter_rows()]
    assert [r[0] for r in rows[1:]] == [v.code]
    assert rows[1][5] == "租*员"
    text_all = " ".join(str(x) for r in rows for x in r)
    assert people[0]["id_number"] not in text_all and people[0]["name"] not in text_all


def test_pages_in_english_on_request(app, login):
    ent = enterprise(app)
    v, _people = verified_by(app, ent.agent)
    c = login(ent.agent)
    c.get("/lang/en")
    assert "Rental listing verification notice" in c.get(f"/rental/verification/print/{v.id}").get_data(as_text=True)
    assert "Add owner" in c.get("/rental/verification/new").get_data(as_text=True)
    assert "Listing verified" in c.get(f"/rental/verification/show/{v.id}").get_data(as_text=True)
    admin = login("gov_admin")
    admin.get("/lang/en")
    assert "Property registry" in admin.get("/rental/registry/list/").get_data(as_text=True)
    assert "Ownership share" in admin.get("/rental/registry/add").get_data(as_text=True)


def test_signing_is_offered_only_to_enterprises_that_sign_online(app, login):
    v, _people = verified_by(app, "gov_admin")
    html = login("gov_admin").get(f"/rental/verification/show/{v.id}").get_data(as_text=True)
    assert "核验通过" in html and "/rental/contracts/wizard/new" not in html
    ent = enterprise(app)
    w, _people = verified_by(app, ent.agent)
    html = login(ent.agent).get(f"/rental/verification/show/{w.id}").get_data(as_text=True)
    assert f'href="/rental/contracts/wizard/new?verification={w.id}"' in html
