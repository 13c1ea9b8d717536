"""场所分布: an enterprise keeps its premises through the console's forms (the rules refuse a
street outside the district, a bad telephone, another enterprise's row); government lists them in
its region, sees the distribution by district and enterprise type (chart data, tables, export);
outsiders see nothing."""
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from tests.rental import filing_steps as steps


def _premises(app, org_id):
    from app.rental.agencies.models import AgencyPremises

    with steps.data(app):
        return [(p.id, p.name, p.region_code, p.street_code, p.phone, p.status, p.org_id)
                for p in db.session.execute(select(AgencyPremises).where(AgencyPremises.org_id == org_id)
                                            .order_by(AgencyPremises.id)).scalars()]


def _form(**change):
    data = {"name": "解放碑门店", "address": "重庆市渝中区民族路188号", "region_code": "500103",
            "street_code": "500103001", "phone": "023-63001234", "floor_area": "85.5", "status": "open"}
    data.update(change)
    return data


def test_enterprise_adds_edits_and_deletes_its_premises(app, login):
    ent = steps.enterprise(app)
    c = login(ent.admin)
    assert c.get("/rental/premises/add").status_code == 200
    bad = c.form("/rental/premises/add", _form(street_code="500112002"), get_url="/rental/premises/add",
                 follow_redirects=True).get_data(as_text=True)
    assert "街道：请选择所选区县下的街道" in bad
    bad = c.form("/rental/premises/add", _form(phone="12ab"), get_url="/rental/premises/add",
                 follow_redirects=True).get_data(as_text=True)
    assert "联系电话：请填写手机号码或固定电话，如 023-63001234" in bad or "请填写手机号码或固定电话" in bad
    assert _premises(app, ent.org_id) == []
    resp = c.form("/rental/premises/add", _form(), get_url="/rental/premises/add")
    assert resp.status_code == 302
    rows = _premises(app, ent.org_id)
    assert len(rows) == 1 and rows[0][1:6] == ("解放碑门店", "500103", "500103001", "023-63001234", "open")
    pid = rows[0][0]
    listed = c.get("/rental/premises/list/").get_data(as_text=True)
    assert "解放碑门店" in listed and "渝中区" in listed
    assert c.form(f"/rental/premises/edit/{pid}", _form(status="closed", name="解放碑旗舰店"),
                  get_url=f"/rental/premises/edit/{pid}").status_code == 302
    assert _premises(app, ent.org_id)[0][1] == "解放碑旗舰店" and _premises(app, ent.org_id)[0][5] == "closed"
    # Another enterprise cannot reach it.
    other = steps.enterprise(app)
    o = login(other.admin)
    assert "解放碑旗舰店" not in o.get("/rental/premises/list/").get_data(as_text=True)
    assert o.get(f"/rental/premises/show/{pid}").status_code == 404
    assert o.get(f"/rental/premises/edit/{pid}").status_code == 404
    assert o.form(f"/rental/premises/delete/{pid}", {}, get_url="/rental/premises/list/").status_code in (302, 404)
    assert len(_premises(app, ent.org_id)) == 1
    assert b"\xe8\xa7\xa3\xe6\x94\xbe\xe7\xa2\x91" not in o.get("/rental/premises/export/").data
    # A premises where practitioners work is not deleted.
    from tests.rental.helpers import user

    with steps.data(app):
        from app.rental.agencies import services

        services.save_practitioner(user(ent.admin), {"name": "刘经纪", "id_type": "resident_id",
                                                     "id_number": _id(), "mobile": "13712340001", "post": "agent",
                                                     "info_card_no": f"XXK{pid:08d}", "premises_id": pid})
        db.session.commit()
    c.form(f"/rental/premises/delete/{pid}", {}, get_url="/rental/premises/list/", follow_redirects=True)
    assert len(_premises(app, ent.org_id)) == 1


def _id():
    from tests.rental.helpers import new_id_number

    return new_id_number()


def test_government_lists_premises_in_its_region_with_the_distribution(app, login):
    ent = steps.enterprise(app, region="500105")
    gov = login("gov_admin")

    def jiangbei():
        export = gov.get("/rental/premises-distribution/export/district?district=500105")
        rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
        assert rows[0] == ("所在区县", "营业中的场所")
        return dict(rows[1:]).get("江北区", 0)

    before = jiangbei()
    c = login(ent.admin)
    for name, district in (("江北门店一", "500105"), ("江北门店二", "500105"), ("渝中门店", "500103")):
        assert c.form("/rental/premises/add", _form(name=name, region_code=district, street_code=""),
                      get_url="/rental/premises/add").status_code == 302
    listed = gov.get("/rental/premises/list/?_flt_0_region_code=500105").get_data(as_text=True)
    assert "江北门店一" in listed and "渝中门店" not in listed
    assert gov.get("/rental/premises/add").status_code in (302, 403)
    page = gov.get("/rental/premises-distribution/").get_data(as_text=True)
    assert "场所分布" in page and "江北区" in page and "echarts.min.js" in page and 'id="chart-district"' in page
    assert "住房租赁企业" in page                                  # by enterprise type
    assert jiangbei() == before + 2
    # District staff of 渝中区: only 渝中区's.
    d = login("district1")
    own = d.get("/rental/premises/list/").get_data(as_text=True)
    assert "渝中门店" in own and "江北门店一" not in own
    dist = d.get("/rental/premises-distribution/?district=500105").get_data(as_text=True)
    assert "所选区县不在您的数据权限范围内" in dist and "江北区" not in dist.split('id="table-district"')[1].split("</table>")[0]
    # Outsiders.
    for username in ("helpdesk", "public1", "agent_a", "platform_a"):
        o = login(username)
        for url in ("/rental/premises/list/", "/rental/premises-distribution/",
                    "/rental/premises-distribution/export/district"):
            assert o.get(url).status_code in (302, 403), (username, url)


def test_premises_rest_is_scoped(app):
    from tests.conftest import api_token

    ent = steps.enterprise(app)
    with steps.data(app):
        from app.rental.agencies import services
        from tests.rental.helpers import user

        p = services.save_premises(user(ent.admin), _form(name="REST门店"))
        db.session.commit()
        pid = p.id
    http = app.test_client()
    own = {"Authorization": f"Bearer {api_token(app, ent.admin)}"}
    assert http.get(f"/api/v1/rental_premises/{pid}", headers=own).get_json()["result"]["name"] == "REST门店"
    other = steps.enterprise(app)
    h = {"Authorization": f"Bearer {api_token(app, other.admin)}"}
    assert http.get(f"/api/v1/rental_premises/{pid}", headers=h).status_code == 404
    assert all(r["name"] != "REST门店" for r in http.get("/api/v1/rental_premises/", headers=h).get_json()["result"])
    assert http.get("/api/v1/rental_premises/", headers={
        "Authorization": f"Bearer {api_token(app, 'public1')}"}).status_code == 403
