"""法律帮助: 维权须知, 咨询通道 (with the directory of law firms) and 免责声明 (seed 000's text),
edited by gov_admin; the directory maintained by gov_admin; nobody else may change them."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.rental.public.models import LegalPage, LegalService


@pytest.fixture
def seeded(app):
    with app.app_context():
        from app.rental.public import services

        services.seed_legal_pages()
        db.session.commit()
        assert services.seed_legal_pages() == 0


def test_pages_show_the_seed_texts_without_login(app, seeded):
    http = app.test_client()
    html = http.get("/rental/services/legal/disclaimer").get_data(as_text=True)
    assert "法律咨询功能是面向一般公众提供的免费便民服务。如需咨询具体法律问题，请自行委托法律顾问提供服务。" in html
    assert "维权须知" in http.get("/rental/services/legal/rights_notice").get_data(as_text=True)
    assert http.get("/rental/services/legal/secret").status_code == 404


def test_gov_admin_edits_a_page_and_the_directory(app, login, seeded):
    admin = login("gov_admin")
    resp = admin.form("/rental/legal-pages/edit/rights_notice", {"title": "维权须知", "body": "新的维权须知正文：先协商。"})
    assert resp.status_code == 302
    assert "新的维权须知正文：先协商。" in app.test_client().get("/rental/services/legal/rights_notice").get_data(as_text=True)
    resp = admin.form("/rental/legal-services/add", {"name": "重庆咨询通道法律咨询有限公司", "kind": "legal_consulting",
                                                     "phone": "023-60000000", "address": "渝北区", "intro": "租赁纠纷",
                                                     "sort": "5", "active": "y"})
    assert resp.status_code == 302
    html = app.test_client().get("/rental/services/legal/channels").get_data(as_text=True)
    assert "重庆咨询通道法律咨询有限公司" in html and "法律咨询公司" in html and "023-60000000" in html
    with app.app_context():
        row = db.session.execute(select(LegalService).where(LegalService.name == "重庆咨询通道法律咨询有限公司")).scalar_one()
        pk = row.id
        row.active = False
        db.session.commit()
    assert "重庆咨询通道法律咨询有限公司" not in app.test_client().get("/rental/services/legal/channels").get_data(as_text=True)
    assert admin.get(f"/rental/legal-services/show/{pk}").status_code == 200


@pytest.mark.parametrize("username", ["district1", "agency_a", "helpdesk", "public1", "analyst"])
def test_others_cannot_edit(app, login, seeded, username):
    c = login(username)
    for url in ("/rental/legal-pages/list/", "/rental/legal-pages/edit/disclaimer", "/rental/legal-services/add",
                "/rental/legal-services/list/"):
        resp = c.get(url)
        assert resp.status_code in (302, 403), (url, resp.status_code)
        if resp.status_code == 302:
            assert "/rental/legal" not in resp.headers["Location"]
    c.form("/rental/legal-pages/edit/disclaimer", {"title": "篡改", "body": "篡改"}, get_url="/rental/services/upload")
    with app.app_context():
        assert db.session.get(LegalPage, "disclaimer").title == "免责声明"
