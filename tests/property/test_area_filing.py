"""物业区域备案 and 物业管理区域信息变更 (seed 004 开发建设单位 2, 物业服务企业 6; seed 003 §16):
through the filer's pages, the reviewer's business-application pages and REST."""
import html as htmllib
import io
import itertools
import re

import pytest
from sqlalchemy import select

from app.core.workflow import Application
from app.extensions import db
from tests.accounts.helpers import real_pdf
from tests.complaints.helpers import new_mobile, user
from tests.conftest import DEMO_PASSWORD

_seq = itertools.count(1)


def unique(prefix="区域备案"):
    return f"{prefix}{next(_seq)}号{id(_seq) % 997}"


def area_data(name=None, **extra):
    data = {"area_name": name or unique(), "district_code": "500103", "street_code": "500103001",
            "community_code": "", "property_type": "residential", "address": "重庆市渝中区测试路1号",
            "boundaries": "东至测试路", "land_area": "12000.5", "building_area": "56000", "building_count": "8"}
    data.update(extra)
    return data


def pdf_file(name="规划许可证.pdf"):
    return (io.BytesIO(real_pdf()), name)


def post(c, url, data, files=None, op="submit", follow=False):
    payload = dict(data)
    payload["csrf_token"] = c.token("/resetmypassword/form")
    payload["op"] = op
    if files:
        payload["files"] = files
    return c.post(url, data=payload, content_type="multipart/form-data", follow_redirects=follow)


def error_of(resp):
    m = re.search(r'id="form-error">\s*([^<]+?)\s*<', resp.get_data(as_text=True))
    return htmllib.unescape(m.group(1)) if m else None


def pk_of(resp):
    m = re.search(r"/areas/filing/show/(\d+)", resp.headers.get("Location", ""))
    assert m, resp.get_data(as_text=True)[:1500]
    return int(m.group(1))


def application(app, pk):
    with app.app_context():
        a = db.session.get(Application, pk)
        return a.status, a.subject_id, dict(a.payload or {}), a.region_code, a.org_id


def decide(c, pk, action, reason=None):
    data = {"action": action}
    if reason:
        data["reason"] = reason
    return c.form(f"/applications/decide/{pk}", data, get_url=f"/applications/show/{pk}")


def approve(login, pk):
    rev = login("reviewer")
    assert decide(rev, pk, "accept").status_code == 302
    resp = decide(rev, pk, "approve")
    assert resp.status_code == 302
    return rev


def area_named(app, name):
    from app.property.models import PropertyArea

    with app.app_context():
        return db.session.execute(select(PropertyArea).where(PropertyArea.name == name)).scalars().all()


def make_area(name, company="ent_a", developer=None, street="500103001", district="500103"):
    from app.property.models import PropertyArea

    a = PropertyArea(name=name, district_code=district, street_code=street,
                     company_org_id=user(company).org_id if company else None,
                     developer_org_id=user(developer).org_id if developer else None,
                     address="重庆市渝中区旧地址1号")
    a.fill_region()
    db.session.add(a)
    db.session.commit()
    return a


def make_account(username, role, org_name):
    """A demo-style account of ``role`` for the organisation named ``org_name``."""
    from flask import current_app

    from app.system.models import Organization

    sm = current_app.appbuilder.sm
    if sm.find_user(username=username) is None:
        org = db.session.execute(select(Organization).where(Organization.name == org_name)).scalars().one()
        sm.add_user(username, username, "", f"{username}@test.anju.invalid", sm.find_role(role),
                    password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1377"), must_change_password=False)
    return sm.find_user(username=username)


def make_developer(app, name, username):
    """Another registered developer with its administrator."""
    from app.system import services
    from app.system.models import Organization

    with app.app_context():
        if db.session.execute(select(Organization).where(Organization.name == name)).first() is None:
            org = Organization(name=name, org_type="enterprise", enterprise_type="developer", region_code="500103",
                               active=True)
            db.session.add(org)
            services.set_tree_fields(org)
            db.session.flush()
            services.finish_paths([org])
            db.session.commit()
        make_account(username, "dev_admin", name)


# --- a new area, from draft to approval --------------------------------------------------------------

def test_developer_files_a_new_area_and_approval_creates_it_once(app, login):
    name = unique("备案新区")
    dev = login("dev_a")
    resp = post(dev, "/areas/filing/new", area_data(name), op="save")
    assert resp.status_code == 302
    pk = pk_of(resp)
    status, subject, payload, region, org = application(app, pk)
    assert status == "draft" and subject is None and region == "500103001"
    assert payload["area_name"] == name and payload["land_area"] == "12000.50"
    page = dev.get(f"/areas/filing/show/{pk}").get_data(as_text=True)
    assert "草稿" in page and "七星岗街道" in page and "住宅" in page
    # 保存并提交 of the draft without a document: refused, nothing moves.
    resp = dev.form(f"/areas/filing/submit/{pk}", {}, get_url=f"/areas/filing/show/{pk}", follow_redirects=True)
    assert "要件材料：请至少上传一份要件" in resp.get_data(as_text=True)
    assert application(app, pk)[0] == "draft"
    resp = post(dev, f"/areas/filing/edit/{pk}", area_data(name), files=[pdf_file()])
    assert resp.status_code == 302
    assert application(app, pk)[0] == "submitted"
    # 打印申请表 and its PDF.
    printed = dev.get(f"/areas/filing/print/{pk}")
    assert printed.status_code == 200 and name in printed.get_data(as_text=True)
    assert "物业管理区域名称" in printed.get_data(as_text=True)
    assert dev.get(f"/areas/filing/pdf/{pk}").data[:4] == b"%PDF"
    # The reviewer sees it with its fields in Chinese and approves.
    rev = login("reviewer")
    page = rev.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "物业区域备案" in page and name in page and "占地面积" in page
    approve(login, pk)
    areas = area_named(app, name)
    assert len(areas) == 1
    area = areas[0]
    status, subject, _payload, region, _org = application(app, pk)
    assert status == "approved" and subject == area.id and region == "500103001"
    with app.app_context():
        assert area.developer_org_id == user("dev_a").org_id and area.company_org_id is None
        assert area.property_type == "residential" and area.building_count == 8
        assert str(area.land_area) == "12000.50" and area.street_code == "500103001"
        a = db.session.get(Application, pk)
        assert a.subject_type == "property_area"
    # A second approval is refused and creates nothing.
    resp = decide(rev, pk, "approve")
    assert resp.status_code == 302
    assert len(area_named(app, name)) == 1
    page = rev.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "审核通过" in page
    with app.app_context():
        from app.core import workflow
        from app.core.errors import DomainError

        a = db.session.get(Application, pk)
        with pytest.raises(DomainError):
            workflow.transition(a, "approve", user("reviewer"))
        db.session.rollback()
    assert len(area_named(app, name)) == 1
    # The subject link on the reviewer's page opens the area in the comprehensive query.
    assert f"/areas/query/show/{area.id}" in page


def test_company_files_an_area_without_developer_and_with_one(app, login):
    dev_id = None
    with app.app_context():
        dev_id = user("dev_a").org_id
    ent = login("ent_a")
    page = ent.get("/areas/filing/new").get_data(as_text=True)
    assert "重庆渝开置业有限公司" in page and "无（开发建设单位无法找到或已不存在）" in page
    n1, n2 = unique("企业备案无开发商"), unique("企业备案有开发商")
    pk1 = pk_of(post(ent, "/areas/filing/new", area_data(n1, developer_org_id=""), files=[pdf_file()]))
    pk2 = pk_of(post(ent, "/areas/filing/new", area_data(n2, developer_org_id=str(dev_id)), files=[pdf_file()]))
    approve(login, pk1)
    approve(login, pk2)
    with app.app_context():
        ent_a = user("ent_a").org_id
    a1, a2 = area_named(app, n1)[0], area_named(app, n2)[0]
    assert a1.company_org_id == ent_a and a1.developer_org_id is None
    assert a2.company_org_id == ent_a and a2.developer_org_id == dev_id
    # A company's filing cannot name a company as the developer.
    resp = post(ent, "/areas/filing/new", area_data(unique(), developer_org_id=str(ent_a)), files=[pdf_file()])
    assert resp.status_code == 422 and error_of(resp) == "开发建设单位：请从列表中选择"


@pytest.mark.parametrize("change, files, message", [
    ({"area_name": ""}, True, "物业管理区域名称：必须填写"),
    ({"street_code": "500112002"}, True, "所选街道不属于所选区县。"),
    ({"land_area": "-5"}, True, "占地面积（㎡）：请填写大于零、最多两位小数的平方米数"),
    ({"building_area": "abc"}, True, "建筑面积（㎡）：请填写大于零、最多两位小数的平方米数"),
    ({"building_count": "0"}, True, "楼栋数：请填写不小于 1 的整数"),
    ({"property_type": "castle"}, True, "物业类型：请从列表中选择"),
    ({"property_type": ""}, True, "物业类型：必须填写"),
    ({"address": ""}, True, "地址：必须填写"),
    ({"district_code": "500103001"}, True, "行政区划：请从列表中选择"),
    ({}, False, "要件材料：请至少上传一份要件"),
])
def test_every_field_refusal_keeps_the_form(app, login, change, files, message):
    dev = login("dev_a")
    data = area_data(**change)
    with app.app_context():
        before = db.session.execute(select(Application.id).where(Application.app_type == "area_filing")
                                    .order_by(Application.id.desc()).limit(1)).scalar()
    resp = post(dev, "/areas/filing/new", data, files=[pdf_file()] if files else None)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:500]
    assert error_of(resp) == message
    page = resp.get_data(as_text=True)
    if data["address"]:
        assert data["address"] in page                   # what was typed stays
    with app.app_context():
        after = db.session.execute(select(Application.id).where(Application.app_type == "area_filing")
                                   .order_by(Application.id.desc()).limit(1)).scalar()
    assert after == before


def test_wrong_file_type_is_refused(app, login):
    dev = login("dev_a")
    resp = post(dev, "/areas/filing/new", area_data(), files=[(io.BytesIO(b"MZ not a pdf"), "要件.exe")])
    assert resp.status_code == 422
    assert error_of(resp) == "文件 要件.exe 的类型不允许上传（允许：PDF, JPG, PNG, DOCX, XLSX）。"
    resp = post(dev, "/areas/filing/new", area_data(), files=[(io.BytesIO(b"<html>x</html>"), "许可证.pdf")])
    assert resp.status_code == 422 and "不是真实的 PDF 文件" in error_of(resp)


def test_duplicate_name_in_the_district_is_refused(app, login):
    name = unique("重名小区")
    with app.app_context():
        make_area(name)
    dev = login("dev_a")
    resp = post(dev, "/areas/filing/new", area_data(name), files=[pdf_file()])
    assert resp.status_code == 422
    assert error_of(resp) == (f"渝中区已有名为{name}的物业管理区域，请换一个名称，或为已有区域办理信息变更。")
    # The same name in another district is another area.
    resp = post(dev, "/areas/filing/new", area_data(name, district_code="500112", street_code=""),
                files=[pdf_file()])
    assert resp.status_code == 302
    # ... and a second submitted filing of that name there waits for the first.
    resp = post(login("ent_a"), "/areas/filing/new", area_data(name, district_code="500112", street_code=""),
                files=[pdf_file()])
    assert resp.status_code == 422 and "正在办理" in error_of(resp)


def test_returned_filing_is_changed_and_resubmitted(app, login):
    name = unique("退回小区")
    dev = login("dev_a")
    pk = pk_of(post(dev, "/areas/filing/new", area_data(name, land_area="100"), files=[pdf_file()]))
    rev = login("reviewer")
    assert decide(rev, pk, "return", "占地面积有误").status_code == 302
    page = dev.get(f"/areas/filing/show/{pk}").get_data(as_text=True)
    assert "占地面积有误" in page and f"/areas/filing/edit/{pk}" in page
    assert f"/areas/filing/edit/{pk}" not in rev.get(f"/applications/show/{pk}").get_data(as_text=True)
    form = dev.get(f"/areas/filing/edit/{pk}").get_data(as_text=True)
    assert "退回原因：占地面积有误" in form and 'value="100.00"' in form
    resp = post(dev, f"/areas/filing/edit/{pk}", area_data(name, land_area="15000"))
    assert resp.status_code == 302
    status, _s, payload, *_ = application(app, pk)
    assert status == "submitted" and payload["land_area"] == "15000.00"
    approve(login, pk)
    assert str(area_named(app, name)[0].land_area) == "15000.00"


# --- 物业管理区域信息变更 -----------------------------------------------------------------------------

def test_change_filing_applies_only_the_changed_fields(app, login):
    name = unique("变更小区")
    with app.app_context():
        area = make_area(name, street=None)
        pk_area = area.id
    ent = login("ent_a")
    form = ent.get(f"/areas/filing/change?area_id={pk_area}").get_data(as_text=True)
    assert "重庆市渝中区旧地址1号" in form
    data = area_data(name, address="重庆市渝中区旧地址1号", street_code="500103001")
    data.update(mode="change", area_id=str(pk_area))
    pk = pk_of(post(ent, "/areas/filing/change", data, files=[pdf_file()]))
    status, subject, payload, region, _org = application(app, pk)
    assert status == "submitted" and subject == pk_area
    assert "street_code" in payload["changed"] and "address" not in payload["changed"]
    assert "街道：（空） → 七星岗街道" in payload["changes_text"]
    # Meanwhile the district corrects the address: the filing does not overwrite it.
    with app.app_context():
        from app.property.models import PropertyArea

        a = db.session.get(PropertyArea, pk_area)
        a.address = "重庆市渝中区更正后地址2号"
        db.session.commit()
    # A second open filing of the same area is refused (a developer's too).
    again = dict(data, address="别的地址")
    resp = post(ent, "/areas/filing/change", again, files=[pdf_file()])
    assert resp.status_code == 422 and "正在办理" in error_of(resp)
    approve(login, pk)
    with app.app_context():
        from app.core.audit import AuditLog
        from app.property.models import PropertyArea

        a = db.session.get(PropertyArea, pk_area)
        assert a.street_code == "500103001" and a.region_code == "500103001"
        assert a.address == "重庆市渝中区更正后地址2号"
        assert a.property_type == "residential" and a.building_count == 8
        logged = db.session.execute(select(AuditLog.summary).where(AuditLog.entity == "PropertyArea",
                                                                  AuditLog.entity_id == str(pk_area))).scalars().all()
        assert any("经审核通过的备案" in (s or "") for s in logged)


def test_change_only_of_own_areas(app, login):
    with app.app_context():
        other = make_area(unique("他家小区"), company="ent_b").id
    ent = login("ent_a")
    page = ent.get(f"/areas/filing/change?area_id={other}").get_data(as_text=True)
    assert "请选择本单位的物业管理区域。" in page and 'name="area_name"' not in page
    data = area_data(mode="change", area_id=str(other))
    resp = post(ent, "/areas/filing/change", data, files=[pdf_file()])
    assert resp.status_code == 422 and error_of(resp) == "请选择本单位的物业管理区域。"
    # The developer sees the areas it built in the list, not another's.
    page = login("dev_a").get("/areas/filing/change").get_data(as_text=True)
    assert "和平小区" in page and "七星花园" not in page


# --- scope from outside ---------------------------------------------------------------------------

def test_outsiders_never_reach_a_filing(app, login, client):
    dev = login("dev_a")
    pk = pk_of(post(dev, "/areas/filing/new", area_data(unique("范围小区")), op="save"))
    make_developer(app, "重庆测试另一开发有限公司", "dev_other")
    with app.app_context():
        make_account("district2_areas", "district", "渝北区住房和城乡建设委员会")
    for username in ("ent_b", "dev_other"):
        c = login(username)
        for path in (f"show/{pk}", f"print/{pk}", f"pdf/{pk}", f"edit/{pk}"):
            assert c.get(f"/areas/filing/{path}").status_code == 404, (username, path)
        assert c.form(f"/areas/filing/submit/{pk}", {}, get_url="/areas/filing/").status_code == 404
        assert c.form(f"/areas/filing/terminate/{pk}", {}, get_url="/areas/filing/").status_code == 404
        assert f"filing-{pk}" not in c.get("/areas/filing/").get_data(as_text=True)
    for username in ("helpdesk", "public1", "district1", "reviewer"):
        c = login(username)
        assert c.get(f"/areas/filing/show/{pk}").status_code in (403, 302), username
        assert c.get("/areas/filing/new").status_code in (403, 302), username
    assert login("district2_areas").get(f"/applications/show/{pk}").status_code == 404
    assert client.get(f"/areas/filing/show/{pk}").status_code in (302, 401)
    assert dev.get("/areas/filing/show/99999999").status_code == 404
    assert dev.get("/areas/filing/print/99999999").status_code == 404


def test_only_developers_and_companies_file(app, login):
    with app.app_context():
        from flask import current_app

        sm = current_app.appbuilder.sm
        rental = make_account("rental_ent_areas", "ent_admin", "重庆安居住房租赁有限公司")
        assert sm.find_user(username="rental_ent_areas") is not None and rental is not None
    c = login("rental_ent_areas")
    resp = c.get("/areas/filing/", follow_redirects=True)
    assert "只有开发建设单位或物业服务企业的管理员可以办理物业区域备案。" in resp.get_data(as_text=True)


# --- REST ---------------------------------------------------------------------------------------------

def test_api_draft_submit_list_detail_and_refusals(app, api):
    http, headers = api("dev_a")
    name = unique("接口小区")
    resp = http.post("/api/v1/area_filing/draft", json=area_data(name), headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["status"] == "draft"
    resp = http.post("/api/v1/area_filing/draft", json=area_data(land_area="-1"), headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "占地面积（㎡）：请填写大于零、最多两位小数的平方米数"
    resp = http.post(f"/api/v1/area_filing/{pk}/submit", headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "要件材料：请至少上传一份要件"
    resp = http.post(f"/api/v1/area_filing/{pk}/submit", headers=headers, content_type="multipart/form-data",
                     data={**area_data(name), "files": [pdf_file()]})
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    listed = http.get("/api/v1/area_filing/", headers=headers).get_json()
    assert pk in listed["ids"]
    one = http.get(f"/api/v1/area_filing/{pk}", headers=headers).get_json()["result"]
    assert one["payload"]["area_name"] == name and one["status_label"] == "已提交"
    # Outsiders: another company and another developer get 404 / nothing; the public no access.
    other, oh = api("ent_b")
    assert other.get(f"/api/v1/area_filing/{pk}", headers=oh).status_code == 404
    assert pk not in other.get("/api/v1/area_filing/", headers=oh).get_json()["ids"]
    assert other.post(f"/api/v1/area_filing/{pk}/save", json=area_data(), headers=oh).status_code == 404
    pub, ph = api("public1")
    assert pub.get("/api/v1/area_filing/", headers=ph).status_code == 403
    assert pub.post("/api/v1/area_filing/draft", json=area_data(), headers=ph).status_code == 403
    assert http.get("/api/v1/area_filing/99999999", headers=headers).status_code == 404
    # The reviewer decides by REST; the filer may not.
    assert http.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "accept"},
                     headers=headers).status_code == 403
    rev, rh = api("reviewer")
    assert rev.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "accept"}, headers=rh).status_code == 200
    resp = rev.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "return"}, headers=rh)
    assert resp.status_code == 422 and resp.get_json()["message"] == "请填写原因。"
    resp = rev.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "return", "reason": "补充四至"},
                    headers=rh)
    assert resp.status_code == 200
    resp = http.post(f"/api/v1/area_filing/{pk}/resubmit", json=area_data(name, boundaries="东至A路，西至B路"),
                     headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    rev.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "accept"}, headers=rh)
    resp = rev.post(f"/api/v1/area_filing/{pk}/transition", json={"action": "approve"}, headers=rh)
    assert resp.status_code == 200 and resp.get_json()["subject_id"]
    assert area_named(app, name)[0].boundaries == "东至A路，西至B路"
