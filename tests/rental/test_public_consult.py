"""合同咨询: the machine check of a .docx (built here with zipfile) or a text PDF against the
template's required clauses; a scanned PDF says it has no text; then the choice of a law firm."""
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rental.public.models import ContractSubmission, LegalService
from tests.rental.public_helpers import FULL_CONTRACT, docx, scanned_pdf, text_pdf


def _check(c, name, content, template_id=""):
    return c.http.post("/rental/services/consult", data={
        "csrf_token": c.token("/rental/services/consult"), "template_id": template_id,
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


@pytest.fixture
def firm(app):
    with app.app_context():
        from app.rental.public import services

        services.seed_templates()
        row = LegalService(name="重庆测试律师事务所", kind="law_firm", phone="023-61234567", address="渝中区解放碑1号",
                           intro="专注房屋租赁纠纷", sort=1, active=True)
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_docx_without_breach_of_contract_lists_it_as_missing(app, login, firm):
    c = login("public1")
    paragraphs = [p for p in FULL_CONTRACT if "违约" not in p]
    resp = _check(c, "我的合同.docx", docx(paragraphs))
    assert resp.status_code == 302
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "缺少的条款" in page and "已具备条款" in page and '<span class="label label-danger clause-missing" style="margin-right:4px">违约责任</span>' in page
    for found in ("租金", "押金", "租赁期限", "维修责任", "争议解决"):
        assert f'clause-found" style="margin-right:4px">{found}</span>' in page
    assert "重庆测试律师事务所" in page
    with app.app_context():
        s = db.session.execute(select(ContractSubmission).where(ContractSubmission.kind == "check")
                               .order_by(ContractSubmission.id.desc())).scalars().first()
        assert s.missing_clauses == ["违约责任"] and s.status == "checked" and s.template_id is not None


def test_a_complete_text_pdf_passes(app, login, firm):
    c = login("public1")
    resp = _check(c, "合同.pdf", text_pdf(FULL_CONTRACT))
    assert resp.status_code == 302
    assert "该合同已具备全部必备条款。" in c.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("name,content,message", [
    ("扫描件.pdf", scanned_pdf(), "该 PDF 不含文字（可能是扫描件），无法进行机器检验。"),
    ("合同.png", b"\x89PNG\r\n\x1a\n", "合同文件：合同.png：此处仅接受 DOCX、PDF 文件"),
    ("空白.docx", docx([""]), "该文件没有可检验的文字。"),
])
def test_files_that_cannot_be_checked_say_why(app, login, firm, name, content, message):
    c = login("public1")
    resp = _check(c, name, content)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_choosing_a_law_firm_records_it_and_shows_its_contact(app, login, firm):
    c = login("public1")
    resp = _check(c, "合同.docx", docx(FULL_CONTRACT))
    result_url = resp.headers["Location"]
    pk = int(result_url.rstrip("/").split("/")[-1])
    chosen = c.form(f"/rental/services/consult/{pk}/choose", {"service_id": str(firm)}, get_url=result_url,
                    follow_redirects=True).get_data(as_text=True)
    assert "您已选择重庆测试律师事务所" in chosen and "023-61234567" in chosen and "渝中区解放碑1号" in chosen
    with app.app_context():
        assert db.session.get(ContractSubmission, pk).legal_service_id == firm
    # Another user cannot open or change it; anonymous is sent to login.
    other = login("agency_a")
    assert other.get(result_url).status_code == 404
    assert other.form(f"/rental/services/consult/{pk}/choose", {"service_id": str(firm)},
                      get_url="/rental/services/upload").status_code == 404
    assert "login" in app.test_client().get(result_url).headers["Location"]
    # Government sees the consultation in the staff list (gov_admin: all districts).
    admin = login("gov_admin")
    page = admin.get(f"/rental/submissions/show/{pk}").get_data(as_text=True)
    assert "重庆测试律师事务所" in page and "合同咨询" in page


def test_unknown_template_is_refused(app, login, firm):
    c = login("public1")
    resp = _check(c, "合同.docx", docx(FULL_CONTRACT), template_id="999999")
    assert resp.status_code == 422 and "合同范本：请从列表中选择" in resp.get_data(as_text=True)
