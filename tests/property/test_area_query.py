"""物业管理区域综合查询 (seed 003 §7): columns, filters, scope per role, 打印资料 / PDF, 查看流程图,
打印码上办, export and REST; and the audited correction that replaced the "+" of district staff."""
import io
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import user
from tests.property.test_area_filing import (approve, area_data, make_account, make_area, make_developer, pdf_file,
                                             pk_of, post, unique)

LIST = "/areas/query/list/?psize_AreaQueryView=100"


def area_id(app, name):
    from app.property.models import PropertyArea

    with app.app_context():
        return db.session.execute(select(PropertyArea.id).where(PropertyArea.name == name)).scalar_one()


def listed(c, url=LIST):
    resp = c.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_columns_and_row_actions(app, login):
    page = listed(login("gov_admin"))
    for header in ("物业管理区域名称", "行政区划", "街道", "社区", "物业类型", "地址", "是否合同备案", "开发建设单位",
                   "物业服务企业", "业主委员会", "最新更新时间"):
        assert header in page, header
    heping = area_id(app, "和平小区")
    assert "重庆渝开置业有限公司" in page and "住宅" in page
    assert f"/areas/query/print/{heping}" in page and f"/areas/query/timeline/{heping}" in page
    assert f"/areas/qr/{heping}" in page                   # gov_admin may print the 码上办
    # Who may not print the code does not get the link.
    dev_page = listed(login("dev_a"))
    assert "和平小区" in dev_page and f"/areas/qr/{heping}" not in dev_page


def test_filters(app, login):
    name = unique("筛选商业")
    with app.app_context():
        a = make_area(name, company="ent_b", developer="dev_a")
        a.property_type, a.contract_filed = "commercial", True
        db.session.commit()
    c = login("gov_admin")
    mine = LIST + f"&_flt_2_name={quote(name)}"

    def shows(url):  # the search box repeats the name: a row is a second occurrence
        return listed(c, url).count(name) >= 2

    assert shows(mine)
    # Each filter with the name (other tests add areas: the page alone may not reach this one).
    assert shows(mine + "&_flt_0_property_type=commercial")
    assert not shows(mine + "&_flt_0_property_type=residential")
    assert shows(mine + "&_flt_0_contract_filed=y")
    assert not shows(mine + "&_flt_0_contract_filed=n")
    assert shows(mine + f"&_flt_0_developer={quote('渝开置业')}")
    assert not shows(mine + f"&_flt_0_developer={quote('不存在的开发商')}")
    assert shows(mine + f"&_flt_0_company={quote('和居物业')}")
    assert not shows(mine + f"&_flt_0_company={quote('安居物业')}")
    # And alone they leave out the areas that do not match.
    assert "和平小区" not in listed(c, LIST + "&_flt_0_property_type=commercial")
    assert "七星花园" not in listed(c, LIST + f"&_flt_0_developer={quote('渝开置业')}")
    page = listed(c, LIST + f"&_flt_0_company={quote('和居物业')}")
    assert "和平小区" not in page
    # The search form offers each filter.
    for box in ("property_type", "contract_filed", "developer", "company", "committee"):
        assert f'name="_flt_0_{box}"' in page or f'"{box}"' in page


def test_scope_of_each_role(app, login, client):
    make_developer(app, "重庆查询另一开发有限公司", "dev_q_other")
    with app.app_context():
        make_account("district2_query", "district", "渝北区住房和城乡建设委员会")
        yubei = make_area(unique("渝北查询小区"), company="ent_b", street="500112002", district="500112").name
        other_dev = make_area(unique("别家开发小区"), company="ent_b", developer="dev_q_other").name
    city = listed(login("gov_admin"))
    assert "和平小区" in city and yubei in city
    assert yubei not in listed(login("district1")) and "和平小区" in listed(login("district1"))
    d2 = listed(login("district2_query"))
    assert yubei in d2 and "和平小区" not in d2
    street = listed(login("street1"))
    assert "和平小区" in street and "解放碑商住楼" not in street          # 解放碑街道 is another street
    ent_b = listed(login("ent_b"))
    assert "七星花园" in ent_b and "和平小区" not in ent_b
    dev = listed(login("dev_a"))
    assert "和平小区" in dev and other_dev not in dev and "七星花园" not in dev
    assert other_dev in listed(login("dev_q_other"))
    lead = listed(login("pm_a"))
    assert "和平小区" in lead and "七星花园" not in lead
    assert "和平小区" in listed(login("helpdesk")) and yubei in listed(login("helpdesk"))
    assert login("public1").get(LIST).status_code in (302, 403)
    assert client.get(LIST).status_code in (302, 401)
    # Out of scope rows: show, print, PDF, flow chart are 404; guessed ids too.
    heping = area_id(app, "和平小区")
    for c in (login("ent_b"), login("district2_query"), login("dev_q_other")):
        for path in (f"show/{heping}", f"print/{heping}", f"pdf/{heping}", f"timeline/{heping}", "show/99999999",
                     "print/99999999"):
            assert c.get(f"/areas/query/{path}").status_code == 404, path
    for path in (f"show/{heping}", f"print/{heping}", f"timeline/{heping}"):
        assert login("public1").get(f"/areas/query/{path}").status_code in (302, 403)
        assert client.get(f"/areas/query/{path}").status_code in (302, 401)


def test_helpdesk_reads_only(app, login):
    c = login("helpdesk")
    heping = area_id(app, "和平小区")
    assert c.get(f"/areas/query/show/{heping}").status_code == 200
    assert c.get("/areas/query/export/").status_code == 403
    assert c.get(f"/areas/edit/{heping}").status_code == 403
    assert f"/areas/qr/{heping}" not in listed(c)


def test_print_pdf_and_timeline(app, login):
    name = unique("流程图小区")
    dev = login("dev_a")
    pk = pk_of(post(dev, "/areas/filing/new", area_data(name), files=[pdf_file()]))
    approve(login, pk)
    aid = area_id(app, name)
    change = area_data(name, address="重庆市渝中区新地址8号", mode="change", area_id=str(aid))
    pk2 = pk_of(post(dev, "/areas/filing/change", change, files=[pdf_file()]))
    c = login("district1")
    page = c.get(f"/areas/query/timeline/{aid}").get_data(as_text=True)
    assert "物业区域备案" in page and page.index(f"timeline-app-{pk}") < page.index(f"timeline-app-{pk2}")
    for step in ("创建", "提交", "受理", "审核通过"):
        assert step in page
    assert "审*员" in page and "审核员" not in page          # handlers masked for district staff
    printed = c.get(f"/areas/query/print/{aid}").get_data(as_text=True)
    assert name in printed and "已登记房屋数" in printed and "备案记录" in printed
    with app.app_context():
        from app.core.workflow import Application

        number = db.session.get(Application, pk).number
    assert number in printed and "未办理物业服务合同备案" in printed
    assert c.get(f"/areas/query/pdf/{aid}").data[:4] == b"%PDF"
    show = c.get(f"/areas/query/show/{aid}").get_data(as_text=True)
    assert "查看流程图" in show and "打印资料" in show


def test_export_with_filters_and_scope(app, login):
    c = login("ent_a")
    resp = c.get(f"/areas/query/export/?_flt_0_name={quote('和平')}")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb.active.iter_rows(values_only=True))
    header = [h for h in rows[0] if h]
    assert "物业管理区域名称" in header and "操作" not in header
    names = [r[header.index("物业管理区域名称")] for r in rows[1:]]
    assert "和平小区" in names and "七星花园" not in names
    row = rows[1 + names.index("和平小区")]
    assert row[header.index("开发建设单位")] == "重庆渝开置业有限公司"
    assert row[header.index("是否合同备案")] in ("是", "否")
    resp = login("ent_b").get("/areas/query/export/")
    names = [r[0] for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows(min_row=2, values_only=True)]
    assert "和平小区" not in names


def test_api_query_scoped_with_names(app, api):
    http, h = api("dev_a")
    data = http.get("/api/v1/area_query/?q=(page_size:100)", headers=h).get_json()
    names = [r["name"] for r in data["result"]]
    assert "和平小区" in names and "七星花园" not in names
    row = data["result"][names.index("和平小区")]
    assert row["developer_name"] == "重庆渝开置业有限公司" and row["district_name"] == "渝中区"
    assert row["property_type_label"] == "住宅"
    heping = row["id"]
    q = "(filters:!((col:name,opr:ct,value:'和平')))"
    assert [r["name"] for r in http.get(f"/api/v1/area_query/?q={quote(q)}", headers=h).get_json()["result"]] \
        == ["和平小区"]
    other, oh = api("ent_b")
    assert other.get(f"/api/v1/area_query/{heping}", headers=oh).status_code == 404
    assert "和平小区" not in [r["name"] for r in other.get("/api/v1/area_query/?q=(page_size:100)",
                                                           headers=oh).get_json()["result"]]
    pub, ph = api("public1")
    assert pub.get("/api/v1/area_query/", headers=ph).status_code == 403
    assert http.get("/api/v1/area_query/99999999", headers=h).status_code == 404


# --- district staff: no "+", an audited correction -------------------------------------------------

def test_no_add_and_correction_needs_a_reason(app, login):
    name = unique("更正小区")
    with app.app_context():
        pk = make_area(name).id
        ent_a = user("ent_a").org_id
    gov = login("district1")
    assert gov.get("/areas/add").status_code in (403, 404)
    assert 'id="anju-add"' not in gov.get("/areas/list/").get_data(as_text=True)
    data = {"name": name, "district": "500103", "street": "500103003", "community": "__None",
            "property_type": "mixed", "address": "重庆市渝中区更正路1号", "company": str(ent_a)}
    resp = gov.form(f"/areas/edit/{pk}", data)
    assert resp.status_code == 200 and "更正原因" in resp.get_data(as_text=True)
    with app.app_context():
        from app.property.models import PropertyArea

        assert db.session.get(PropertyArea, pk).street_code == "500103001"      # nothing saved
    resp = gov.form(f"/areas/edit/{pk}", {**data, "correction_reason": "街道录入错误，按街道办来函更正"})
    assert resp.status_code == 302
    with app.app_context():
        from app.core.audit import AuditLog
        from app.property.models import PropertyArea

        a = db.session.get(PropertyArea, pk)
        assert a.street_code == "500103003" and a.property_type == "mixed"
        summaries = db.session.execute(select(AuditLog.summary).where(AuditLog.entity == "PropertyArea",
                                                                     AuditLog.entity_id == str(pk))).scalars().all()
        assert any("街道录入错误，按街道办来函更正" in (s or "") for s in summaries)
    for username in ("ent_a", "dev_a", "street1", "helpdesk"):
        assert login(username).get(f"/areas/edit/{pk}").status_code in (302, 403), username



def test_committee_sees_the_area_it_represents(app, login):
    with app.app_context():
        a = make_area(unique("业委会小区"), company="ent_b")
        a.committee_org_id = user("committee_a").org_id
        db.session.commit()
        name = a.name
    page = listed(login("committee_a"))
    assert name in page and "七星花园" not in page
    assert "和平小区业主委员会" in page


def test_list_statements_do_not_grow_with_the_page(app, login):
    """Related names (district, street, community, developer, company, committee) come with the
    page's one query: 5 rows or 60 rows cost the same number of statements."""
    from sqlalchemy import event

    with app.app_context():
        for i in range(60):
            a = make_area(unique("批量小区"), company="ent_b" if i % 2 else "ent_a", developer="dev_a")
            a.committee_org_id = user("committee_a").org_id
        db.session.commit()
    c = login("gov_admin")
    counts = {}
    for size in (5, 60):
        seen = []

        def spy(conn, cursor, statement, params, context, executemany):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", spy)
        try:
            assert c.get(f"/areas/query/list/?psize_AreaQueryView={size}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", spy)
        counts[size] = len(seen)
    assert counts[60] <= counts[5] + 2, counts
