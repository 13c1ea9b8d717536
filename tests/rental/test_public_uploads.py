"""合同上传 (signed in): linked to a verified contract (its district) or to the district named;
the staff list by district with 审阅; the submitter reads the state on 我的合同上传."""
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rental.public.models import ContractSubmission
from tests.rental.helpers import PDF, new_rental_enterprise, signed_contract
from tests.rental.public_helpers import docx

IP = {"REMOTE_ADDR": "10.78.0.1"}


def _post(c, data, files):
    payload = {**data, "csrf_token": c.token("/rental/services/upload"),
               "files": [(io.BytesIO(content), name) for name, content in files]}
    return c.http.post("/rental/services/upload", data=payload, content_type="multipart/form-data",
                       environ_base=IP)


def _newest(app, user_id):
    with app.app_context():
        return db.session.execute(select(ContractSubmission).where(ContractSubmission.created_by_fk == user_id)
                                  .order_by(ContractSubmission.id.desc())).scalars().first()


def test_anonymous_is_sent_to_login(app):
    http = app.test_client()
    for url in ("/rental/services/upload", "/rental/services/uploads"):
        resp = http.get(url)
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def test_upload_shows_the_notes_and_links_a_verified_contract(app, login):
    with app.app_context():
        _org, _admin, agent = new_rental_enterprise()
        contract = signed_contract(agent)
        number, code, cid = contract.number, contract.check_code, contract.id
        from tests.rental.helpers import user

        uid = user("public1").id
    c = login("public1")
    page = c.get("/rental/services/upload").get_data(as_text=True)
    assert "第一步：了解合同上传的注意事项" in page and "第二步：合同验证" in page and "第四步：上传" in page
    assert "上传前请核对合同双方的姓名" in page
    resp = _post(c, {"number": number, "code": code.lower(), "region_code": ""}, [("租赁合同.pdf", PDF)])
    assert resp.status_code == 302
    s = _newest(app, uid)
    assert (s.kind, s.status, s.contract_id, s.contract_number, s.region_code) == \
        ("review", "submitted", cid, number, "500103")
    mine = c.get("/rental/services/uploads").get_data(as_text=True)
    assert "租赁合同.pdf" in mine and "待审阅" in mine


@pytest.mark.parametrize("data,files,message", [
    ({"number": "", "code": "", "region_code": ""}, [("合同.pdf", PDF)], "房屋所在区县：合同未经验证时必须选择"),
    ({"number": "", "code": "", "region_code": "500103001"}, [("合同.pdf", PDF)], "房屋所在区县：请从列表中选择"),
    ({"number": "", "code": "", "region_code": "500103"}, [], "合同文件：请选择要上传的文件"),
    ({"number": "", "code": "", "region_code": "500103"}, [("表格.xlsx", b"PK")], "合同文件：表格.xlsx：此处仅接受"),
    ({"number": "HT20260101000001", "code": "AAAAAA", "region_code": ""}, [("合同.pdf", PDF)],
     "合同编号与校验码不匹配任何已签约合同，请核对后重试。"),
])
def test_refusals(app, login, data, files, message):
    c = login("public1")
    resp = _post(c, data, files)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_staff_see_uploads_of_their_district_and_review_them(app, login):
    from tests.rental.helpers import user

    with app.app_context():
        uid = user("public1").id
    c = login("public1")
    assert _post(c, {"number": "", "code": "", "region_code": "500103"},
                 [("渝中合同.docx", docx(["租金2500元"]))]).status_code == 302
    yuzhong = _newest(app, uid).id
    assert _post(c, {"number": "", "code": "", "region_code": "500112"}, [("渝北合同.pdf", PDF)]).status_code == 302
    yubei = _newest(app, uid).id
    district = login("district1")
    listing = district.get("/rental/submissions/list/").get_data(as_text=True)
    assert f"/rental/submissions/show/{yuzhong}" in listing and f"/rental/submissions/show/{yubei}" not in listing
    assert district.get(f"/rental/submissions/show/{yubei}").status_code == 404
    assert district.form(f"/rental/submissions/review/{yubei}", {"comment": "越权"},
                         get_url=f"/rental/submissions/show/{yuzhong}").status_code == 404
    page = district.get(f"/rental/submissions/show/{yuzhong}").get_data(as_text=True)
    assert "渝中合同.docx" in page and 'id="review-form"' in page
    refused = district.form(f"/rental/submissions/review/{yuzhong}", {"comment": ""}, follow_redirects=True,
                            get_url=f"/rental/submissions/show/{yuzhong}")
    assert "审阅意见：必须填写" in refused.get_data(as_text=True)
    done = district.form(f"/rental/submissions/review/{yuzhong}", {"comment": "合同缺少违约责任条款，建议补充。"},
                         follow_redirects=True, get_url=f"/rental/submissions/show/{yuzhong}")
    assert "合同上传已审阅。" in done.get_data(as_text=True)
    again = district.form(f"/rental/submissions/review/{yuzhong}", {"comment": "再次"}, follow_redirects=True,
                          get_url=f"/rental/submissions/show/{yuzhong}")
    assert "该合同上传已审阅。" in again.get_data(as_text=True)
    mine = c.get("/rental/services/uploads").get_data(as_text=True)
    assert "已审阅" in mine and "合同缺少违约责任条款，建议补充。" in mine
    # The submitter may download their file; another public user and an enterprise may not.
    with app.app_context():
        from app.core import uploads

        s = db.session.get(ContractSubmission, yuzhong)
        token = uploads.files_of(s)[0].token
    assert c.get(f"/uploads/{token}").status_code == 200
    assert district.get(f"/uploads/{token}").status_code == 200
    for username in ("agency_a", "helpdesk"):
        assert login(username).get(f"/uploads/{token}").status_code == 404


@pytest.mark.parametrize("username", ["agency_a", "agent_a", "helpdesk", "public1", "ent_a"])
def test_outsiders_cannot_list_show_or_review(app, login, username):
    with app.app_context():
        pk = db.session.execute(select(ContractSubmission.id).order_by(ContractSubmission.id.desc())).scalar() or 1
    c = login(username)
    for url in ("/rental/submissions/list/", f"/rental/submissions/show/{pk}"):
        resp = c.get(url)
        assert resp.status_code in (302, 403, 404), (url, resp.status_code)
        if resp.status_code == 302:
            assert "/rental/submissions" not in resp.headers["Location"]
    resp = c.form(f"/rental/submissions/review/{pk}", {"comment": "x"}, get_url="/rental/services/upload")
    assert resp.status_code in (302, 403, 404)
    if resp.status_code == 302:
        assert "/rental/submissions/show" not in resp.headers["Location"]


def test_anonymous_cannot_reach_the_staff_list(app):
    resp = app.test_client().get("/rental/submissions/list/")
    assert resp.status_code == 302 and "login" in resp.headers["Location"]
    assert re.search(r"login", app.test_client().get("/rental/submissions/show/1").headers.get("Location", ""))
