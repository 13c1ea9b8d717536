"""企业信息详情 (seed 004): the sections' counts from staff, certificates and equipment made
here with the ORM, the empty states (not filed; a fresh enterprise has the base credit level), masking of the project
lead's name, print and PDF, who may open which enterprise (and that the counts follow the
viewer's scope); 奖励和处罚 written by city and district staff only, within their region."""
import html as htmllib
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import new_id, new_mobile, user
from tests.property.test_filing import new_enterprise, org_id_of

TOKEN_PAGE = "/resetmypassword/form"


def _area(name, org_id, street):
    from app.property.models import PropertyArea

    a = PropertyArea(name=name, district_code="500103", street_code=street, company_org_id=org_id)
    a.fill_region()
    db.session.add(a)
    db.session.flush()
    return a


def _staff(org_id, name, post, areas, status="active", certs=()):
    from app.property.models import Certificate, Staff

    number = new_id()
    s = Staff(org_id=org_id, name=name, mobile=new_mobile("1367"), id_number=number, post=post, status=status,
              current_key=number if status == "active" else None, areas=list(areas))
    for cert_type, valid_until in certs:
        s.certificates.append(Certificate(org_id=org_id, cert_type=cert_type, number=f"C{new_id()[-8:]}",
                                          valid_until=valid_until))
    db.session.add(s)
    db.session.flush()
    return s


def _equipment(org_id, area, equip_type, due=None, status="in_use"):
    from app.property.models import Equipment

    e = Equipment(org_id=org_id, area_id=area.id, region_code=area.region_code, equip_type=equip_type,
                  name=f"{area.name}{equip_type}", status=status, next_maintenance_due=due)
    db.session.add(e)
    return e


def make_records(app):
    """An enterprise serving two areas (streets 500103001 and 500103003) with staff,
    certificates and equipment; returns (org_id, username, area names)."""
    org_id, username = new_enterprise(app)
    today = date.today()
    past, future = today - timedelta(days=1), today + timedelta(days=30)
    with app.app_context():
        a1 = _area(f"详情测试一区{org_id}", org_id, "500103001")
        a2 = _area(f"详情测试二区{org_id}", org_id, "500103003")
        lead = _staff(org_id, "王建国", "project_lead", [a1],
                      certs=[("property_manager", future), ("electrician", past)])
        a1.lead_staff_id = lead.id
        _staff(org_id, "李保洁", "cleaning", [a1])
        _staff(org_id, "张秩序", "security", [a2], certs=[("security_guard", future)])
        _staff(org_id, "赵工程", "engineering", [a2], certs=[("electrician", None)])
        _staff(org_id, "钱离职", "engineering", [a1], status="left", certs=[("property_manager", future)])
        # Another enterprise's staff never count here.
        _staff(org_id_of(app, "ent_b"), "孙别家", "cleaning", [], certs=[("property_manager", future)])
        _equipment(org_id, a1, "elevator", past)
        _equipment(org_id, a1, "elevator", future)
        _equipment(org_id, a2, "fire")
        _equipment(org_id, a2, "elevator", past, status="scrapped")
        _equipment(org_id, a2, "cctv", past)
        db.session.commit()
        return org_id, username, (a1.name, a2.name)


def _rows(page, table_id):
    """{code or label: [cell texts]} of one table of the page."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = re.sub(r"<thead>.*?</thead>", "", body, flags=re.S)
    out = {}
    for attrs, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, re.S):
        texts = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", cells, re.S)]
        key = re.search(r'data-(?:code|area)="([^"]*)"', attrs)
        out[key.group(1) if key else texts[0]] = texts
    return out


def test_detail_counts_every_section(app, login):
    org_id, _username, (a1, a2) = make_records(app)
    page = login("gov_admin").get(f"/enterprise/{org_id}").get_data(as_text=True)
    for heading in ("企业基本信息", "专业人员情况", "管理人员专业及人数", "小区设备情况", "奖励和处罚", "项目情况", "信用等级"):
        assert heading in page, heading
    certs = _rows(page, "enterprise-certificates")
    assert certs["property_manager"] == ["物业管理师", "1", "1", "0"]
    assert certs["electrician"] == ["电工证（特种作业操作证）", "2", "2", "1"]
    assert certs["security_guard"] == ["保安员证", "1", "1", "0"]
    assert certs["boiler_operator"][1:] == ["0", "0", "0"]
    assert certs["合计"] == ["合计", "3", "4", "1"]
    posts = _rows(page, "enterprise-posts")
    assert [posts[c][1] for c in ("project_lead", "cleaning", "security", "engineering", "customer_service",
                                  "other")] == ["1", "1", "1", "1", "0", "0"]
    assert posts["project_lead"][0] == "项目负责人" and posts["合计"] == ["合计", "4"]
    types = _rows(page, "equipment-types")
    assert types["elevator"] == ["电梯", "2", "1"] and types["fire"] == ["消防设施", "1", "0"]
    assert types["cctv"] == ["监控", "1", "1"] and types["合计"] == ["合计", "4", "2"]
    by_area = {v[0]: v[1:] for v in _rows(page, "equipment-areas").values()}
    assert by_area == {a1: ["2", "1"], a2: ["2", "1"]}
    areas = {v[0]: v[1:] for v in _rows(page, "enterprise-areas").values()}
    assert areas[a1] == ["渝中区", "七星岗街道", "王建国", "2", "2"]
    assert areas[a2][2:] == ["无", "2", "2"]
    assert 'id="scope-note"' not in page


def test_counts_follow_the_viewers_scope_and_names_are_masked(app, login):
    org_id, _username, (a1, a2) = make_records(app)
    # The street sees the enterprise (it serves an area of the street) but counts only that area.
    page = login("street1").get(f"/enterprise/{org_id}").get_data(as_text=True)
    assert 'id="scope-note"' in page
    assert _rows(page, "enterprise-posts")["合计"] == ["合计", "2"]
    assert _rows(page, "enterprise-certificates")["合计"] == ["合计", "1", "2", "1"]
    assert _rows(page, "equipment-types")["合计"] == ["合计", "2", "1"]
    areas = {v[0]: v[1:] for v in _rows(page, "enterprise-areas").values()}
    assert list(areas) == [a1]
    # The analyst sees everything in the city, the lead's name masked.
    page = login("analyst").get(f"/enterprise/{org_id}").get_data(as_text=True)
    areas = {v[0]: v[1:] for v in _rows(page, "enterprise-areas").values()}
    assert areas[a1][2] == "王*国" and "王建国" not in page
    assert _rows(page, "enterprise-posts")["合计"] == ["合计", "4"]


def test_not_filed_and_credit_empty_states(app, login):
    org_id, username, _areas = make_records(app)
    page = login(username).get("/enterprise/", follow_redirects=True).get_data(as_text=True)
    assert "尚未备案：该企业尚未办理企业信息备案，或备案尚未审核通过。" in page
    assert re.search(r'id="filing-state">\s*尚未备案\s*<', page)
    # Never scored: the base credit level and score (app/credit/scoring.py), on no list.
    assert re.search(r'id="credit-level">B<', page) and re.search(r'id="credit-score">60<', page)
    assert 'id="credit-no-entries"' in page
    assert "暂无奖励和处罚记录。" in page
    # A filing in progress is named in the state.
    from tests.property.test_filing import file_by_service

    _pk, number = file_by_service(app, username)
    page = login(username).get(f"/enterprise/{org_id}").get_data(as_text=True)
    assert f"尚未备案；有一份备案正在办理中（{number}，已提交）" in page


def test_print_and_pdf(app, login):
    org_id, _username, (a1, _a2) = make_records(app)
    c = login("district1")
    page = c.get(f"/enterprise/{org_id}/print").get_data(as_text=True)
    assert "企业信息详情" in page and "专业人员情况" in page and a1 in page and "信用等级" in page and "信用分" in page
    assert "王*国" in page and "王建国" not in page               # the district may not see full names
    resp = c.get(f"/enterprise/{org_id}/pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert login("ent_b").get(f"/enterprise/{org_id}/pdf").status_code == 404
    assert login("ent_b").get(f"/enterprise/{org_id}/print").status_code == 404


def test_who_may_open_which_enterprise(app, login):
    from app.system.models import Organization

    with app.app_context():
        ids = {name: db.session.execute(select(Organization.id).where(Organization.name == name)).scalar_one()
               for name in ("重庆安居物业服务有限公司", "重庆和居物业管理有限公司", "重庆渝北宜居住房租赁有限公司",
                            "渝中区住房和城乡建设委员会")}
    ent_a, ent_b, ent_c, district_org = (ids["重庆安居物业服务有限公司"], ids["重庆和居物业管理有限公司"],
                                         ids["重庆渝北宜居住房租赁有限公司"], ids["渝中区住房和城乡建设委员会"])
    # Enterprise users: their own only; the list takes them there.
    for username, own, other in (("ent_a", ent_a, ent_b), ("pm_a", ent_a, ent_b), ("ent_b", ent_b, ent_a)):
        c = login(username)
        resp = c.get("/enterprise/")
        assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/enterprise/{own}"), username
        assert c.get(f"/enterprise/{own}").status_code == 200, username
        assert c.get(f"/enterprise/{other}").status_code == 404, username
        assert c.get("/enterprise/999999").status_code == 404, username
    # Government users: enterprises registered in or serving their region; never a government org.
    expected = {"gov_admin": {ent_a, ent_b, ent_c}, "reviewer": {ent_a, ent_b, ent_c}, "analyst": {ent_a, ent_b, ent_c},
                "district1": {ent_a, ent_b}, "street1": {ent_a, ent_b}}
    for username, visible in expected.items():
        c = login(username)
        for org_id in (ent_a, ent_b, ent_c):
            status = c.get(f"/enterprise/{org_id}").status_code
            assert status == (200 if org_id in visible else 404), (username, org_id, status)
        assert c.get(f"/enterprise/{district_org}").status_code == 404, username
        listing = c.get("/enterprise/?q=重庆").get_data(as_text=True)
        for org_id in (ent_a, ent_b, ent_c):
            assert (f'id="enterprise-{org_id}"' in listing) == (org_id in visible), (username, org_id)
    # Roles without the page.
    for username in ("helpdesk", "public1"):
        assert login(username).get(f"/enterprise/{ent_a}").status_code in (302, 403), username


def test_list_search_filter_and_paging(app, login):
    org_id, _username, _areas = make_records(app)
    with app.app_context():
        from app.system.models import Organization

        org = db.session.get(Organization, org_id)
        name, code = org.name, org.credit_code
    c = login("district1")
    page = c.get(f"/enterprise/?q={name}").get_data(as_text=True)
    rows = _rows(page, "enterprise-list")
    assert rows[name][1:] == [code, "物业服务企业", "重庆市渝中区", "B", "尚未备案", "2"]   # B: the base credit level
    assert f'id="enterprise-{org_id}"' in c.get(f"/enterprise/?q={code.lower()}").get_data(as_text=True)
    assert "没有找到企业。" in c.get(f"/enterprise/?q={name}&type=developer").get_data(as_text=True)
    for bad in ("page=abc", "page=-1", "page=99999999999", "type=nonsense"):
        assert c.get(f"/enterprise/?{bad}").status_code == 200, bad


# --- 奖励和处罚 ---------------------------------------------------------------------------------

def _honor_form(org_id, title, **over):
    data = {"org": str(org_id), "kind": "award", "title": title, "issuer": "重庆市住房和城乡建设委员会",
            "decided_on": (date.today() - timedelta(days=10)).isoformat(), "doc_number": "渝建〔2025〕1号",
            "description": "年度物业服务优秀企业"}
    data.update(over)
    return data


def _honor_id(app, title):
    from app.property.models import EnterpriseHonor

    with app.app_context():
        return db.session.execute(select(EnterpriseHonor.id).where(EnterpriseHonor.title == title)).scalar()


def test_honors_written_by_city_and_district_within_their_region(app, login):
    ent_a, ent_b, ent_c = (org_id_of(app, "ent_a"), org_id_of(app, "ent_b"), None)
    with app.app_context():
        from app.system.models import Organization

        ent_c = db.session.execute(select(Organization.id).where(
            Organization.name == "重庆渝北宜居住房租赁有限公司")).scalar_one()
    gov = login("gov_admin")
    resp = gov.form("/enterprise/honors/add", _honor_form(ent_a, "市级优秀物业服务企业"), get_url=TOKEN_PAGE)
    assert resp.status_code == 302
    award = _honor_id(app, "市级优秀物业服务企业")
    assert award is not None
    gov.form("/enterprise/honors/add", _honor_form(ent_c, "渝北区违规处罚", kind="penalty", issuer="渝北区住建委"),
             get_url=TOKEN_PAGE)
    penalty_c = _honor_id(app, "渝北区违规处罚")
    assert penalty_c is not None
    # It shows on the enterprise's detail page, to the enterprise itself too.
    page = login("ent_a").get(f"/enterprise/{ent_a}").get_data(as_text=True)
    assert "市级优秀物业服务企业" in page and "奖励" in page and "渝建〔2025〕1号" in page
    # The district: its dropdown lists its enterprises only, and the server refuses others.
    district = login("district1")
    form = district.get("/enterprise/honors/add").get_data(as_text=True)
    assert "重庆安居物业服务有限公司" in form and "重庆渝北宜居住房租赁有限公司" not in form
    assert "七星岗街道办事处" not in form                     # not an enterprise
    resp = district.form("/enterprise/honors/add", _honor_form(ent_c, "越权处罚", kind="penalty"),
                         get_url=TOKEN_PAGE, follow_redirects=True)
    assert _honor_id(app, "越权处罚") is None
    resp = district.form("/enterprise/honors/add", _honor_form(ent_b, "区级处罚", kind="penalty"), get_url=TOKEN_PAGE)
    assert resp.status_code == 302 and _honor_id(app, "区级处罚") is not None
    # A future decision date is refused on the form, which keeps what was typed.
    future = (date.today() + timedelta(days=3)).isoformat()
    resp = district.form("/enterprise/honors/add", _honor_form(ent_b, "未来的处罚", decided_on=future),
                         get_url=TOKEN_PAGE)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "不能晚于今天" in page and "未来的处罚" in page
    assert _honor_id(app, "未来的处罚") is None
    # The district cannot reach the city's penalty on an enterprise outside its region.
    for url in (f"/enterprise/honors/show/{penalty_c}", f"/enterprise/honors/edit/{penalty_c}"):
        assert district.get(url).status_code == 404, url
    resp = district.form(f"/enterprise/honors/delete/{penalty_c}", {}, get_url=TOKEN_PAGE)
    assert resp.status_code == 404
    assert _honor_id(app, "渝北区违规处罚") == penalty_c
    # Nor move its own record to such an enterprise.
    own = _honor_id(app, "区级处罚")
    district.form(f"/enterprise/honors/edit/{own}", _honor_form(ent_c, "区级处罚", kind="penalty"),
                  get_url=TOKEN_PAGE)
    with app.app_context():
        from app.property.models import EnterpriseHonor

        assert db.session.get(EnterpriseHonor, own).org_id == ent_b
    # Enterprises read their own; nobody else writes.
    ent_b_client = login("ent_b")
    listing = ent_b_client.get("/enterprise/honors/list/").get_data(as_text=True)
    assert "区级处罚" in listing and "市级优秀物业服务企业" not in listing
    assert ent_b_client.get(f"/enterprise/honors/show/{award}").status_code == 404
    for username in ("ent_a", "street1", "analyst", "pm_a"):
        c = login(username)
        resp = c.form("/enterprise/honors/add", _honor_form(ent_a, f"{username}自封奖励"), get_url=TOKEN_PAGE)
        assert resp.status_code in (302, 403), username
        assert _honor_id(app, f"{username}自封奖励") is None, username
        c.form(f"/enterprise/honors/delete/{award}", {}, get_url=TOKEN_PAGE)
    assert _honor_id(app, "市级优秀物业服务企业") == award


def test_honor_rules_in_chinese(app):
    from app.core.errors import DomainError
    from app.property.enterprise.services import check_honor
    from app.property.models import EnterpriseHonor
    from app.system.models import Organization

    with app.test_request_context():
        ent_c = db.session.execute(select(Organization).where(
            Organization.name == "重庆渝北宜居住房租赁有限公司")).scalar_one()
        ent_a = db.session.get(Organization, user("ent_a").org_id)
        district_org = db.session.get(Organization, user("district1").org_id)
        good = dict(kind="award", title="优秀", issuer="住建委", decided_on=date.today())
        cases = [
            (dict(good, org=ent_c), "district1", "企业：请从列表中选择您辖区内的企业"),
            (dict(good, org=district_org), "gov_admin", "企业：请从列表中选择您辖区内的企业"),
            (dict(good, org=ent_a, kind="bonus"), "gov_admin", "类别：请选择“奖励”或“处罚”"),
            (dict(good, org=ent_a, title="  "), "gov_admin", "名称：必须填写"),
            (dict(good, org=ent_a, issuer=""), "gov_admin", "决定机关：必须填写"),
            (dict(good, org=ent_a, decided_on=None), "gov_admin", "决定日期：必须填写"),
            (dict(good, org=ent_a, decided_on=date.today() + timedelta(days=1)), "gov_admin", "决定日期：不能晚于今天"),
            (dict(good, org=ent_a, doc_number="号" * 65), "gov_admin", "文号：最多 64 个字"),
        ]
        for fields, username, message in cases:
            honor = EnterpriseHonor(**fields)
            try:
                check_honor(honor, user(username))
            except DomainError as exc:
                assert str(exc) == message, fields
            else:
                raise AssertionError(f"accepted: {fields}")
            finally:
                db.session.expunge_all()
        honor = EnterpriseHonor(**dict(good, org=ent_a, title=" 优秀企业 "))
        assert check_honor(honor, user("district1")).title == "优秀企业"
        db.session.rollback()
