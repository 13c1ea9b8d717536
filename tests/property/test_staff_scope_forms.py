"""A region's staff found two ways (app/property/staff/models.py): the id set a whole count or
a deep page builds, and the per-row test a first page walks (EXISTS, a short list of
enterprises). Both must select exactly the same people, for every region level."""
import re

from sqlalchemy import insert, select

from app.extensions import db
from app.property.models import Staff
from app.property.staff import models as staff_models
from app.property.staff.models import staff_area
from tests.complaints.helpers import make_area
from tests.property.test_staff import add_staff, uniq


def _ids(clause):
    return set(db.session.execute(select(Staff.id).where(clause)).scalars())


def test_the_walk_and_the_set_find_the_same_staff(app, monkeypatch):
    monkeypatch.setattr(staff_models, "WALK_MIN_SHARE", 0.0)
    # Someone of a 渝中区 enterprise working in a 江北区 area: both districts see them.
    crossing = add_staff(app)
    # Someone of a 渝中区 enterprise with no area at all: 渝中区 sees them through the enterprise.
    unplaced = add_staff(app)
    with app.app_context():
        area = make_area(uniq("跨区小区"), district="500105", street=None)   # 江北区 has no streets in the reference data
        db.session.execute(insert(staff_area).values(staff_id=crossing, area_id=area.id))
        db.session.commit()
        for prefix in ("50", "5001", "500103", "500105", "500103001", "500105001", "500103003", "500106"):
            walked = _ids(staff_models._staff_in_region_row(prefix))
            built = _ids(staff_models._staff_in_region(prefix))
            assert walked == built, prefix
        assert crossing in _ids(staff_models._staff_in_region("500105"))
        assert crossing in _ids(staff_models._staff_in_region("500103"))
        assert unplaced in _ids(staff_models._staff_in_region("500103"))
        assert unplaced not in _ids(staff_models._staff_in_region_row("500105"))


def test_a_region_with_few_areas_builds_its_set(app):
    with app.app_context():
        # No area lies in 500119 (南川区): the set form is the cheaper one, and is used.
        assert staff_models._staff_in_region_row("500119") is None


def test_a_district_user_sees_the_same_list_either_way(app, login, monkeypatch):
    """The list, its count and its pages of a district account, walked, agree with the set
    form: every one of the district's staff once, nobody else's."""
    with app.app_context():
        expected = _ids(staff_models._staff_in_region("500103"))
    assert len(expected) >= 3
    monkeypatch.setattr(staff_models, "WALK_MIN_SHARE", 0.0)
    c = login("district1")
    html = c.get("/staff/list/?psize_StaffView=2").get_data(as_text=True)
    assert f"共 {len(expected)} 条" in html
    # Page by page in the list's order (newest first): each of the district's staff once,
    # nobody else, none missing.
    pages, size = [], 50
    for page in range((len(expected) + size - 1) // size):
        html = c.get(f"/staff/list/?psize_StaffView={size}&page_StaffView={page}").get_data(as_text=True)
        pages.extend(int(x) for x in dict.fromkeys(re.findall(r'/staff/show/(\d+)"', html)))
    assert pages == sorted(expected, reverse=True)
