"""REST resources ``staff`` and ``certificate``: the same services and refusals as the pages
(422 with the Chinese message), masking for readers without the full-view permission, and
scope: outside it every call answers 404 (list, get, put, delete, 离职, guessed ids)."""
import io
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.property.models import Certificate, PropertyArea, Staff
from tests.property.test_staff import PDF, add_staff, get_staff, new_area, new_id, new_mobile, uniq

STAFF = "/api/v1/staff/"
CERT = "/api/v1/certificate/"


def body(name=None, **kw):
    return {"name": name or uniq("接口"), "mobile": new_mobile(), "id_number": new_id(), "post": "cleaning", **kw}


def listed(http, headers, name):
    resp = http.get(STAFF, query_string={"q": f'(filters:!((col:name,opr:eq,value:\'{name}\')))'}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["result"]


def test_post_get_and_masking(app, api):
    area_id, area_name = new_area(app)
    http, h = api("ent_a")
    data = body(area_ids=[area_id], hired_on="2023-05-01", remark="接口添加")
    resp = http.post(STAFF, json=data, headers=h)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    out = resp.get_json()
    pk = out["id"]
    assert out["result"]["id_number"] == data["id_number"] and out["result"]["post_label"] == "保洁"
    assert out["result"]["areas"] == [{"id": area_id, "name": area_name}]
    got = http.get(f"{STAFF}{pk}", headers=h).get_json()["result"]
    assert got["id_number"] == data["id_number"] and got["mobile"] == data["mobile"]
    assert got["org"]["name"] == "重庆安居物业服务有限公司" and got["hired_on"] == "2023-05-01"
    assert [a["name"] for a in got["areas"]] == [area_name] and got["status"] == "active"
    # The org comes from the caller, never from the body.
    with app.app_context():
        ent_a_org = db.session.execute(select(Staff.org_id).where(Staff.id == pk)).scalar_one()
    other = http.post(STAFF, json=body(org_id=ent_a_org + 1000), headers=h).get_json()
    assert get_staff(app, other["id"]) is not None
    with app.app_context():
        assert db.session.get(Staff, other["id"]).org_id == ent_a_org
    # Readers without the full-view permission get masked values, list and detail.
    for username in ("analyst", "district1", "street1"):
        http2, h2 = api(username)
        got = http2.get(f"{STAFF}{pk}", headers=h2).get_json()["result"]
        assert got["id_number"] == "*" * 14 + data["id_number"][-4:], username
        assert got["mobile"] == data["mobile"][:3] + "****" + data["mobile"][-4:], username
        rows = listed(http2, h2, data["name"])
        assert [r["id_number"] for r in rows] == ["*" * 14 + data["id_number"][-4:]], username
    rows = listed(http, h, data["name"])
    assert [r["id_number"] for r in rows] == [data["id_number"]]


def test_the_bound_login_is_shown_masked_to_readers(app, api, login):
    from app.core import masking
    from tests.property.test_staff import _bound_person, row

    pk, username = _bound_person(app)
    http, h = api("ent_a")
    assert http.get(f"{STAFF}{pk}", headers=h).get_json()["result"]["user"]["username"] == username
    http, h = api("analyst")
    masked = masking.mask("mobile", username)
    assert masked != username
    assert http.get(f"{STAFF}{pk}", headers=h).get_json()["result"]["user"]["username"] == masked
    assert [r["user"]["username"] for r in listed(http, h, "绑定人") if r["id"] == pk] == [masked]
    html = login("analyst").get("/staff/list/?_flt_0_name=绑定人&psize_StaffView=100").get_data(as_text=True)
    assert row(pk) in html and masked in html and username not in html
    assert username in login("ent_a").get(f"/staff/show/{pk}").get_data(as_text=True)


def test_refusals_answer_422_in_chinese(app, api):
    http, h = api("ent_a")
    existing = body(name="司马相如")
    assert http.post(STAFF, json=existing, headers=h).status_code == 201
    with app.app_context():
        from app.system import dicts

        qixing = db.session.execute(select(PropertyArea.id).where(PropertyArea.name == "七星花园")).scalar_one()
        # The posts come from the dictionary, which other tests may extend (绿化).
        posts = "、".join(str(label) for _code, label in dicts.items("staff_post"))
    assert posts.startswith("项目负责人、保洁、秩序维护、工程维修、客服、其他")
    cases = [
        (body(id_number=existing["id_number"]), "本企业已有使用该身份证号的在职人员（司*如）。同一人只能有一条在职记录，请编辑该记录。"),
        (body(area_ids=[qixing]), "只能选择本企业的物业管理区域。"),
        (body(id_number="500103198808081230"), "身份证号：身份证号码校验位错误"),
        (body(post="chef"), f"岗位：请从以下选项中选择：{posts}"),
        (body(hired_on=(date.today() + timedelta(days=2)).isoformat()), "入职日期：不能晚于今天"),
        (body(mobile=""), "手机号码：请输入手机号码"),
    ]
    for data, message in cases:
        resp = http.post(STAFF, json=data, headers=h)
        assert resp.status_code == 422 and resp.get_json()["message"] == message, (message, resp.get_json())
    resp = http.post(STAFF, data="not json", headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == "请求内容必须是 JSON 对象。"
    # Government readers and the project lead may not write.
    for username in ("analyst", "gov_admin", "pm_a"):
        http2, h2 = api(username)
        assert http2.post(STAFF, json=body(), headers=h2).status_code == 403, username


def test_put_resign_and_delete(app, api):
    http, h = api("ent_a")
    pk = http.post(STAFF, json=body(hired_on="2024-01-10"), headers=h).get_json()["id"]
    resp = http.put(f"{STAFF}{pk}", json={"post": "security", "remark": "调岗"}, headers=h)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    s = get_staff(app, pk)
    assert s["post"] == "security" and s["hired_on"] == date(2024, 1, 10)
    resp = http.put(f"{STAFF}{pk}", json={"mobile": "1"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"].startswith("手机号码：")
    resp = http.post(f"{STAFF}{pk}/resign", json={"left_on": "2024-01-09"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == "离职日期：不能早于入职日期 2024-01-10"
    resp = http.post(f"{STAFF}{pk}/resign", json={"left_on": "2024-02-01", "reason": "合同到期"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["result"]["status_label"] == "离职"
    assert get_staff(app, pk)["current_key"] is None
    name = get_staff(app, pk)["name"]
    resp = http.post(f"{STAFF}{pk}/resign", json={}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == f"{name}已离职。"
    resp = http.put(f"{STAFF}{pk}", json={"remark": "再改"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == f"{name}已离职，该记录作为历史记录保留，不能编辑。"
    # Delete: a plain record goes; a former lead stays.
    assert http.delete(f"{STAFF}{pk}", headers=h).status_code == 200 and get_staff(app, pk) is None
    area_id, _n = new_area(app)
    lead = http.post(STAFF, json=body(name="前任负责人", post="project_lead", area_ids=[area_id]),
                     headers=h).get_json()["id"]
    assert http.post(f"{STAFF}{lead}/resign", json={}, headers=h).status_code == 200
    resp = http.delete(f"{STAFF}{lead}", headers=h)
    assert resp.status_code == 422
    assert resp.get_json()["message"].startswith("无法删除前任负责人：该人员担任过项目负责人")
    assert get_staff(app, lead) is not None


def test_scope_outside_answers_404(app, api):
    name = uniq("甲方接口")
    pk = add_staff(app, name=name)
    with app.app_context():
        from app.property.staff import services as staff_services
        from tests.complaints.helpers import user

        cert = staff_services.create_certificate(user("ent_a"), pk, {"cert_type": "other", "number": uniq("C")})
        cert_id = cert.id
    http, h = api("ent_b")
    assert listed(http, h, name) == []
    assert all(r["id"] != cert_id for r in http.get(CERT, headers=h).get_json()["result"])
    for url in (f"{STAFF}{pk}", f"{CERT}{cert_id}", f"{STAFF}99999999", f"{CERT}99999999"):
        assert http.get(url, headers=h).status_code == 404, url
    assert http.put(f"{STAFF}{pk}", json={"name": "篡改"}, headers=h).status_code == 404
    assert http.delete(f"{STAFF}{pk}", headers=h).status_code == 404
    assert http.post(f"{STAFF}{pk}/resign", json={}, headers=h).status_code == 404
    assert http.put(f"{CERT}{cert_id}", json={"number": "X"}, headers=h).status_code == 404
    assert http.delete(f"{CERT}{cert_id}", headers=h).status_code == 404
    # Adding a certificate to another enterprise's person is refused.
    resp = http.post(CERT, json={"staff_id": pk, "cert_type": "other", "number": "X"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == "从业人员：请选择本企业的从业人员"
    s = get_staff(app, pk)
    assert s["name"] == name and s["status"] == "active"
    with app.app_context():
        assert db.session.get(Certificate, cert_id).number != "X"
    # The project lead reads the staff of the areas they lead only, and cannot write.
    http, h = api("pm_a")
    assert http.get(f"{STAFF}{pk}", headers=h).status_code == 404
    with app.app_context():
        heping = db.session.execute(select(PropertyArea.id).where(PropertyArea.name == "和平小区")).scalar_one()
    team = add_staff(app, area_ids=[heping])
    assert http.get(f"{STAFF}{team}", headers=h).status_code == 200
    assert http.put(f"{STAFF}{team}", json={"remark": "x"}, headers=h).status_code == 403
    assert http.delete(f"{STAFF}{team}", headers=h).status_code == 403
    assert http.post(f"{STAFF}{team}/resign", json={}, headers=h).status_code == 403
    assert get_staff(app, team)["status"] == "active"


def test_certificate_api(app, api):
    http, h = api("ent_a")
    pk = add_staff(app)
    resp = http.post(CERT, json={"staff_id": pk, "cert_type": "electrician", "number": "E-1", "issued_on": "2022-01-01",
                                 "valid_until": "2021-01-01"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == "有效期至：不能早于发证日期"
    resp = http.post(CERT, json={"staff_id": pk, "cert_type": "电工证（特种作业操作证）", "number": "E-1",
                                 "valid_until": "2020-06-30"}, headers=h)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    cert = resp.get_json()["result"]
    assert cert["cert_type"] == "electrician" and cert["expired"] is True
    # Multipart with the scan; a bad file is refused and nothing saved.
    resp = http.post(CERT, data={"staff_id": str(pk), "cert_type": "other", "number": "S-1",
                                 "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "scan.pdf")},
                     headers=h, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["message"] == "文件 scan.pdf 的内容不是真实的 PDF 文件。"
    with app.app_context():
        assert db.session.execute(select(Certificate).where(Certificate.number == "S-1")).first() is None
    resp = http.post(CERT, data={"staff_id": str(pk), "cert_type": "other", "number": "S-1",
                                 "file": (io.BytesIO(PDF), "扫描件.pdf")},
                     headers=h, content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.get_json()["result"]["scans"] == ["扫描件.pdf"]
    cid = resp.get_json()["id"]
    got = http.get(f"{CERT}{cid}", headers=h).get_json()["result"]
    assert got["number"] == "S-1" and got["staff_id"] == pk
    resp = http.put(f"{CERT}{cid}", json={"number": "S-2", "staff_id": pk + 1}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["message"] == "从业人员：证书不能转给其他人员"
    assert http.put(f"{CERT}{cid}", json={"number": "S-2"}, headers=h).status_code == 200
    assert http.delete(f"{CERT}{cid}", headers=h).status_code == 200
    with app.app_context():
        assert db.session.get(Certificate, cid) is None
    http2, h2 = api("analyst")
    assert http2.post(CERT, json={"staff_id": pk, "cert_type": "other", "number": "N"}, headers=h2).status_code == 403
