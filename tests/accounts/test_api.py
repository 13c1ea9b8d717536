"""The same rules by REST: person, organization_application, realname, helpdesk."""
import io

from sqlalchemy import select

from app.accounts.models import Person, RealnameRegistry
from app.extensions import db
from app.security.models import AnjuUser
from tests.accounts.helpers import latest_code, new_credit_code, new_id, new_mobile, real_pdf
from tests.conftest import api_token


def _captcha(http):
    r = http.get("/api/v1/person/captcha")
    assert r.status_code == 200 and r.get_json()["image"].startswith("data:image/png;base64,")
    return r.get_json()["captcha_id"]


def _sms(http, mobile, purpose="register"):
    return http.post("/api/v1/person/sms", json={"mobile": mobile, "purpose": purpose,
                                                 "captcha_id": _captcha(http), "captcha": "TEST"})


def _bearer(app, username, password):
    return {"Authorization": f"Bearer {api_token(app, username, password)}"}


def test_sms_code_request_checks_the_fields_it_is_sent_with(app):
    """Like the web form's button: a wrong ID number or name sent with the request spends
    neither the picture code nor an SMS."""
    from app.core.sms import SmsMessage
    from app.extensions import db
    from sqlalchemy import func, select

    http = app.test_client()
    mobile = new_mobile("1392")
    captcha_id = _captcha(http)
    bad = http.post("/api/v1/person/sms", json={"mobile": mobile, "purpose": "register", "name": "许接口",
                                                "id_type": "resident_id", "id_number": "500103199001011234",
                                                "captcha_id": captcha_id, "captcha": "TEST"})
    assert bad.status_code == 422 and "校验" in bad.get_json()["message"]
    bad = http.post("/api/v1/person/sms", json={"mobile": mobile, "purpose": "register", "name": "1",
                                                "captcha_id": captcha_id, "captcha": "TEST"})
    assert bad.status_code == 422 and "姓名" in bad.get_json()["message"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SmsMessage)
                                  .where(SmsMessage.mobile == mobile)).scalar() == 0
    ok = http.post("/api/v1/person/sms", json={"mobile": mobile, "purpose": "register", "name": "许接口",
                                               "id_type": "resident_id", "id_number": new_id(),
                                               "captcha_id": captcha_id, "captcha": "TEST"})
    assert ok.status_code == 200, ok.get_json()


def test_person_registration_by_rest(app):
    http = app.test_client()
    mobile, id_number = new_mobile("1391"), new_id()
    assert http.post("/api/v1/person/sms", json={"mobile": mobile, "purpose": "register",
                                                 "captcha_id": _captcha(http), "captcha": "NOPE"}).status_code == 422
    r = _sms(http, mobile)
    assert r.status_code == 200, r.get_json()
    body = {"name": "许接口", "id_type": "resident_id", "id_number": id_number, "mobile": mobile,
            "sms_code": latest_code(app, mobile), "password": "Anju#2026ok", "confirm": "Anju#2026ok"}
    bad = http.post("/api/v1/person/register", json={**body, "id_number": "500103199001011234"})
    assert bad.status_code == 422 and "校验" in bad.get_json()["message"]
    assert http.post("/api/v1/person/register", data="x", content_type="text/plain").status_code == 422
    r = http.post("/api/v1/person/register", json=body)
    assert r.status_code == 201, r.get_json()
    again = http.post("/api/v1/person/register", json=body)
    assert again.status_code == 422 and "已" in again.get_json()["message"]
    # Real-name by REST: failed with the reason, then verified.
    headers = _bearer(app, mobile, "Anju#2026ok")
    assert http.get("/api/v1/realname/", headers=headers).get_json()["label"] == "未实名"
    with app.app_context():
        db.session.add(RealnameRegistry(name="许接口", id_type="resident_id", id_number=id_number))
        db.session.commit()
    r = http.post("/api/v1/realname/", headers=headers, json={"name": "许不对", "id_number": id_number})
    assert r.status_code == 200 and r.get_json()["status"] == "failed" and "不一致" in r.get_json()["reason"]
    r = http.post("/api/v1/realname/", headers=headers, json={"name": "许接口", "id_number": id_number})
    assert r.get_json()["status"] == "verified"
    r = http.post("/api/v1/realname/", headers=headers, json={"name": "许接口", "id_number": id_number})
    assert r.status_code == 422 and "已完成" in r.get_json()["message"]
    assert http.get("/api/v1/realname/").status_code == 401


def test_person_list_is_masked_and_only_for_staff(app, api):
    from tests.accounts.helpers import masked_person_reader, register_person
    from tests.conftest import Client

    _resp, mobile, id_number = register_person(Client(app), app, name="钱接口")
    with app.app_context():
        pk = db.session.execute(select(Person.id).where(Person.mobile == mobile)).scalar_one()
    full = {"name": "钱接口", "mobile": mobile, "id_number": id_number}
    masked = {"name": "钱*口", "mobile": mobile[:3] + "****" + mobile[-4:], "id_number": "*" * 14 + id_number[-4:]}
    newest = "?q=(order_column:id,order_direction:desc,page_size:1)"
    for username, expected in (("gov_admin", full), (masked_person_reader(app), masked)):
        http, headers = api(username)
        one = http.get(f"/api/v1/person/{pk}", headers=headers)
        assert one.status_code == 200, username
        assert {k: one.get_json()["result"][k] for k in expected} == expected, username
        listed = http.get(f"/api/v1/person/{newest}", headers=headers)
        assert listed.status_code == 200, username
        row = listed.get_json()["result"][0]
        assert (listed.get_json()["ids"][0], {k: row[k] for k in expected}) == (pk, expected), username
    for username in ("ent_a", "helpdesk", "analyst"):
        http, headers = api(username)
        assert http.get("/api/v1/person/", headers=headers).status_code == 403, username
        assert http.get(f"/api/v1/person/{pk}", headers=headers).status_code == 403, username


def test_organization_application_by_rest(app, api):
    http = app.test_client()
    code, mobile = new_credit_code(), new_mobile("1391")
    assert _sms(http, mobile).status_code == 200
    form = {"city_code": "500000", "district_code": "500103", "enterprise_type": "developer", "credit_code": code,
            "name": "重庆接口开发建设有限公司", "legal_rep": "何法人", "mobile": mobile,
            "sms_code": latest_code(app, mobile), "password": "Anju#2026ok", "confirm": "Anju#2026ok",
            "agreed": "true"}
    r = http.post("/api/v1/organization_application/register",
                  data={**form, "files": [(io.BytesIO(b"<html>not a pdf"), "licence.pdf")]},
                  content_type="multipart/form-data")
    assert r.status_code == 422 and "licence.pdf" in r.get_json()["message"]
    r = http.post("/api/v1/organization_application/register",
                  data={**form, "files": [(io.BytesIO(real_pdf()), "licence.pdf")]}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    pk, number = r.get_json()["id"], r.get_json()["number"]
    # The applicant sees its own application only; another enterprise sees nothing.
    own = _bearer(app, code, "Anju#2026ok")
    listing = http.get("/api/v1/organization_application/", headers=own).get_json()
    assert [row["number"] for row in listing["result"]] == [number]
    reviewer_http, rev = api("reviewer")
    assert number in [row["number"] for row in
                      reviewer_http.get("/api/v1/organization_application/?page_size=100&q=(order_column:id,order_direction:desc)",
                                        headers=rev).get_json()["result"]]
    other_http, other = api("ent_b")
    assert other_http.get(f"/api/v1/organization_application/{pk}", headers=other).status_code in (401, 403, 404)
    assert other_http.post(f"/api/v1/organization_application/{pk}/transition", headers=other,
                           json={"action": "accept"}).status_code in (401, 403, 404)
    # The applicant cannot decide; the reviewer cannot terminate.
    r = http.post(f"/api/v1/organization_application/{pk}/transition", headers=own, json={"action": "approve"})
    assert r.status_code == 422 and "审核员" in r.get_json()["message"]
    r = reviewer_http.post(f"/api/v1/organization_application/{pk}/transition", headers=rev, json={"action": "terminate"})
    assert r.status_code == 422
    r = reviewer_http.post(f"/api/v1/organization_application/{pk}/transition", headers=rev, json={"action": "approve"})
    assert r.status_code == 422 and "已提交" in r.get_json()["message"]
    for action in ("accept", "approve"):
        r = reviewer_http.post(f"/api/v1/organization_application/{pk}/transition", headers=rev, json={"action": action})
        assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "approved" and r.get_json()["status_label"] == "审核通过"
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == code)).scalar_one()
        assert [x.name for x in u.roles] == ["dev_admin"]  # a developer (开发建设单位) gets its own role
    assert reviewer_http.post("/api/v1/organization_application/999999/transition", headers=rev,
                              json={"action": "accept"}).status_code == 404


def test_helpdesk_by_rest(app, api):
    http, headers = api("helpdesk")
    r = http.get("/api/v1/helpdesk/?q=13800000011", headers=headers)
    assert r.status_code == 200
    row = r.get_json()["result"][0]
    assert row["mobile"] == "138****0011" and row["username"] == "public1"
    assert http.get("/api/v1/helpdesk/?q=", headers=headers).status_code == 422
    with app.app_context():
        uid = db.session.execute(select(AnjuUser.id).where(AnjuUser.username == "public1")).scalar_one()
    r = http.post(f"/api/v1/helpdesk/{uid}/unlock", headers=headers)
    assert r.status_code == 422 and "未被锁定" in r.get_json()["message"]
    for username in ("public1", "ent_a", "analyst"):
        h2, hd2 = api(username)
        assert h2.get("/api/v1/helpdesk/?q=13800000011", headers=hd2).status_code in (401, 403), username
        assert h2.post(f"/api/v1/helpdesk/{uid}/unlock", headers=hd2).status_code in (401, 403), username
    assert app.test_client().get("/api/v1/helpdesk/?q=13800000011").status_code == 401


def test_openapi_describes_the_accounts_resources(app, api):
    http, headers = api("admin")
    paths = http.get("/api/v1/_openapi", headers=headers).get_json()["paths"]
    for path in ("/api/v1/person/register", "/api/v1/person/sms", "/api/v1/person/captcha",
                 "/api/v1/organization_application/register", "/api/v1/organization_application/{pk}/transition",
                 "/api/v1/realname/", "/api/v1/helpdesk/", "/api/v1/helpdesk/{user_id}/unlock"):
        assert path in paths, path
