"""The area's public page (/area/<public_code>, no login): what anyone may read, the 码上办 and 报修
links, the sections other parts register, and nothing personal."""
from sqlalchemy import select

from app.extensions import db


def test_anyone_reads_the_area_page(app, client):
    resp = client.get("/area/demo-heping")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for text in ("和平小区", "渝中区", "七星岗街道", "住宅", "重庆安居物业服务有限公司", "重庆渝开置业有限公司",
                 "重庆市渝中区七星岗街道和平路18号"):
        assert text in page, text
    assert "/complaint/new?area=demo-heping" in page and "/area/demo-heping/repair" in page
    # The lead's name is masked; the lead's ID number and mobile never appear.
    from app.property.models import PropertyArea

    with app.app_context():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.public_code == "demo-heping")).scalar_one()
        lead = area.lead_staff
        assert lead is not None
        assert lead.name not in page and lead.id_number not in page and lead.mobile not in page
    assert "张*三" in page


def test_unknown_codes_are_404(client):
    for code in ("no-such-code", "x" * 40, "%27%20or%201=1"):
        assert client.get(f"/area/{code}").status_code == 404


def test_sections_registered_by_other_parts_are_shown(app, client):
    from app.property import public

    def build(area):
        if area.public_code != "demo-qixing":
            return None
        return {"title": "测试栏目", "template": "anju/property/areas/_test_section.html",
                "context": {"text": f"{area.name}的测试动态"}}

    import os

    folder = os.path.join(app.root_path, "templates", "anju", "property", "areas")
    path = os.path.join(folder, "_test_section.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write('<p id="test-section-text">{{ ctx.text }}</p>')
    public.register_section("test_section", build, order=99)
    try:
        page = client.get("/area/demo-qixing").get_data(as_text=True)
        assert "测试栏目" in page and "七星花园的测试动态" in page
        assert "测试栏目" not in client.get("/area/demo-heping").get_data(as_text=True)
    finally:
        public._SECTIONS.pop("test_section", None)
        os.remove(path)


def test_signed_in_users_see_the_same_page(login):
    page = login("public1").get("/area/demo-jiefangbei").get_data(as_text=True)
    assert "解放碑商住楼" in page and "商住混合" in page
