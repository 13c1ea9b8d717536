"""Shared steps of the contracts part's tests (物业服务合同备案, 承接查验备案): own areas and
organisations with unique names, a filing's form data, the reviewer's decisions by the real page."""
import itertools
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import new_mobile, user

_seq = itertools.count(int(date.today().strftime("%j")) * 1000 % 90000 + 100)


def new_org(app, org_type="enterprise", enterprise_type="property_company", region="500103", admin_role=None,
            name=None):
    """A fresh organisation (and an administrator when ``admin_role``): (org_id, username or None)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields
    from tests.accounts.helpers import new_credit_code
    from tests.conftest import DEMO_PASSWORD

    n = next(_seq)
    with app.app_context():
        org = Organization(name=name or f"合同测试单位{n}", org_type=org_type, enterprise_type=enterprise_type,
                           credit_code=new_credit_code(region), region_code=region, active=True,
                           contact_name="陈联络", contact_mobile=new_mobile("1367"), legal_rep="郑法人")
        db.session.add(org)
        set_tree_fields(org)
        db.session.flush()
        finish_paths([org])
        db.session.commit()
        username = None
        if admin_role:
            sm = current_app.appbuilder.sm
            username = f"ct_{admin_role}_{n}"
            sm.add_user(username, f"{org.name}管理员", "", f"{username}@test.anju.invalid", sm.find_role(admin_role),
                        password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1368"),
                        must_change_password=False)
        return org.id, username


def district2_user(app):
    """A district administrator of 渝北区 (500112)."""
    from flask import current_app

    from app.system.models import Organization
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        if user("ct_district2") is None:
            org = db.session.execute(select(Organization).where(Organization.region_code == "500112",
                                                                Organization.org_type == "district")).scalars().first()
            sm = current_app.appbuilder.sm
            sm.add_user("ct_district2", "渝北区管理员", "", "ct_district2@test.anju.invalid", sm.find_role("district"),
                        password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1369"), must_change_password=False)
    return "ct_district2"


def new_area(app, company=None, developer=None, committee=None, street="500103001"):
    """An area of 渝中区 with a unique name: (id, name)."""
    from app.property.models import PropertyArea
    from tests.property.helpers import org_id

    n = next(_seq)
    with app.app_context():
        area = PropertyArea(name=f"合同测试小区{n}", district_code=street[:6], street_code=street,
                            address=f"重庆市渝中区测试路{n}号",
                            company_org_id=org_id(company) if isinstance(company, str) else company,
                            developer_org_id=developer, committee_org_id=committee)
        area.fill_region()
        db.session.add(area)
        db.session.commit()
        return area.id, area.name


def contract_data(area_id, **over):
    signed = date.today() - timedelta(days=3)
    data = {
        "contract_type": "early", "area_id": str(area_id), "client_name": "测试置业有限公司",
        "client_contact": "周开发", "client_phone": "13911110000", "company_legal_rep": "李安居",
        "company_contact": "王物业", "company_phone": "023-63881234", "start_on": signed.isoformat(),
        "end_on": (signed + timedelta(days=3 * 365)).isoformat(), "signed_on": signed.isoformat(),
        "service_content": "保洁、秩序维护、共用设施设备维修养护", "fee_method": "lump_sum",
        "residential_fee": "2.50", "non_residential_fee": "", "parking_fee": "80元/个·月", "other_fees": "",
    }
    data.update(over)
    return data


def decide(login, pk, *actions, reviewer="reviewer"):
    """The reviewer's decisions on the 业务单 page; returns the last page's text."""
    c = login(reviewer)
    text = ""
    for action in actions:
        resp = c.form(f"/applications/decide/{pk}", {"action": action, "reason": "请补正" if action in
                                                      ("return", "reject") else ""},
                      get_url=f"/applications/show/{pk}", follow_redirects=True)
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200
    return text


def new_pk(resp):
    m = re.search(r"/show/(\d+)", resp.headers.get("Location", ""))
    assert m, resp.get_data(as_text=True)[:2000]
    return int(m.group(1))


def page_error(resp):
    import html

    m = re.search(r'id="form-error">(.*?)</div>', resp.get_data(as_text=True), re.S)
    return html.unescape(m.group(1)).strip() if m else None
