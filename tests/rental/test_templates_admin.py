"""合同范本 administration (app/rental/contracts/templates_admin.py) and the public 合同范本下载:
placeholders checked, a version a contract uses never changes (the edit is v n+1), an unused
one is edited in place, the public page shows the newest active version with its file."""
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rental.contracts.models import ContractTemplate
from tests.rental.helpers import PDF, new_rental_enterprise, through_wizard
from tests.rental.public_helpers import docx


def _code():
    return f"T{datetime.now():%H%M%S%f}"


def _form(code, **change):
    data = {"code": code, "name": "测试租赁合同范本", "body": "合同编号：{number}\n出租人：{lessor}\n月租金{rent}元",
            "clauses": "租金：租金\n违约责任：违约，赔偿", "notes": "请核对双方信息。", "active": "1"}
    data.update(change)
    return data


def _row(code, version=None):
    stmt = select(ContractTemplate).where(ContractTemplate.code == code)
    if version:
        stmt = stmt.where(ContractTemplate.version == version)
    return db.session.execute(stmt.order_by(ContractTemplate.version)).scalars().all()


def test_seed_templates_is_idempotent(ctx):
    from app.rental.public import services

    services.seed_templates()
    db.session.commit()
    assert services.seed_templates() == 0
    row = _row("ZLHT-CQ")[0]
    assert row.required_clauses[0]["label"] == "租金" and "{number}" in row.body


def test_add_with_an_unknown_placeholder_is_refused_with_the_known_ones(app, login):
    admin = login("gov_admin")
    code = _code()
    resp = admin.form("/rental/templates/add", _form(code, body="月租金{rent}元，{tenant_name}签字"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "合同正文：含有未知的占位符 {tenant_name}；可用的占位符为 {number}、{lessor}" in html
    with app.app_context():
        assert _row(code) == []


@pytest.mark.parametrize("change,message", [
    ({"code": ""}, "范本编码：必须填写"),
    ({"code": "中文编号"}, "范本编码：只能包含字母、数字、- 和 _，最多 32 个字符"),
    ({"name": ""}, "范本名称：必须填写"),
    ({"clauses": ""}, "必备条款：请至少列出一项条款"),
    ({"clauses": "租金：租金\n租金：押金"}, "必备条款：租金 重复列出"),
    ({"clauses": "：租金"}, "必备条款：第 1 行缺少条款名称"),
])
def test_refusals_name_the_field(app, login, change, message):
    admin = login("gov_admin")
    resp = admin.form("/rental/templates/add", {**_form(_code()), **change})
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_unused_template_is_edited_in_place_and_a_used_one_gets_a_new_version(app, login):
    admin = login("gov_admin")
    code = _code()
    resp = admin.http.post("/rental/templates/add", data={
        **_form(code), "csrf_token": admin.token("/rental/templates/add"),
        "file": (io.BytesIO(docx(["住房租赁合同示范文本"])), "范本.docx")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        first = _row(code)[0]
        pk = first.id
        assert first.version == 1 and first.required_clauses[1] == {"key": "breach", "label": "违约责任",
                                                                   "keywords": ["违约", "赔偿"]}
    # Unused: the change is made on the same row.
    resp = admin.form(f"/rental/templates/edit/{pk}", _form(code, name="改过的名称"))
    assert resp.status_code == 302
    with app.app_context():
        rows = _row(code)
        assert [(r.version, r.name) for r in rows] == [(1, "改过的名称")]
        # A contract signed on it: the version is frozen.
        _org, _admin, agent = new_rental_enterprise()
        contract = through_wizard(agent)
        contract.template_id = pk
        db.session.commit()
    page = admin.get(f"/rental/templates/edit/{pk}").get_data(as_text=True)
    assert "已有签约合同使用此版本" in page
    resp = admin.form(f"/rental/templates/edit/{pk}", _form(code, name="第二版", body="编号{number}，租金{rent}"),
                      follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "第 1 版已被签约合同使用，保持不变；本次修改已保存为第 2 版。" in html
    with app.app_context():
        old, new = _row(code)
        assert (old.version, old.name, old.body) == (1, "改过的名称", _form(code)["body"])
        assert (new.version, new.name, new.body) == (2, "第二版", "编号{number}，租金{rent}")
        from app.rental.public import services

        # The file went with the new version; the public page offers v2 only.
        assert services.template_file(new).original_name == "范本.docx"
        assert services.template_file(old).original_name == "范本.docx"
        new_id, old_id = new.id, old.id
    html = admin.get("/rental/services/templates").get_data(as_text=True)
    assert "第二版" in html and "改过的名称" not in html
    anonymous = app.test_client()
    resp = anonymous.get(f"/rental/services/templates/{new_id}/file")
    assert resp.status_code == 200 and resp.data.startswith(b"PK")
    # An old version's file is not served to the public.
    assert anonymous.get(f"/rental/services/templates/{old_id}/file").status_code == 404
    api = anonymous.get("/api/v1/rental_public/templates").get_json()["result"]
    mine = [t for t in api if t["code"] == code][0]
    assert mine["version"] == 2 and mine["download_url"].endswith(f"/rental/services/templates/{new_id}/file")
    # Deactivated: it leaves the public page.
    admin.form(f"/rental/templates/edit/{new_id}", _form(code, name="第二版", body="编号{number}，租金{rent}",
                                                        active=""))
    assert "第二版" not in anonymous.get("/rental/services/templates").get_data(as_text=True)


def test_template_file_must_be_docx_or_pdf(app, login):
    admin = login("gov_admin")
    code = _code()
    from tests.rental.public_helpers import scanned_pdf  # noqa: F401  (a real PDF is accepted below)

    resp = admin.http.post("/rental/templates/add", data={
        **_form(code), "csrf_token": admin.token("/rental/templates/add"),
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n"), "范本.png")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "范本文件：范本.png：此处仅接受 DOCX、PDF 文件" in resp.get_data(as_text=True)
    resp = admin.http.post("/rental/templates/add", data={
        **_form(code), "csrf_token": admin.token("/rental/templates/add"),
        "file": (io.BytesIO(PDF), "范本.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 302


@pytest.mark.parametrize("username", ["district1", "agency_a", "agent_a", "helpdesk", "public1"])
def test_only_gov_admin_maintains_templates(app, login, username):
    with app.app_context():
        from app.rental.public import services

        services.seed_templates()
        db.session.commit()
        pk = _row("ZLHT-CQ")[0].id
    c = login(username)
    for url in ("/rental/templates/list/", f"/rental/templates/show/{pk}", "/rental/templates/add",
                f"/rental/templates/edit/{pk}"):
        resp = c.get(url)
        assert resp.status_code in (302, 403), (url, resp.status_code)
        if resp.status_code == 302:
            assert "/rental/templates" not in resp.headers["Location"]
    resp = c.form(f"/rental/templates/edit/{pk}", _form("ZLHT-CQ", name="篡改"), get_url="/rental/services/upload")
    assert resp.status_code in (302, 403)
    with app.app_context():
        assert all(r.name != "篡改" for r in _row("ZLHT-CQ"))


def test_anonymous_is_sent_to_login(app):
    anonymous = app.test_client()
    for url in ("/rental/templates/list/", "/rental/templates/add"):
        resp = anonymous.get(url)
        assert resp.status_code == 302 and "login" in resp.headers["Location"]
