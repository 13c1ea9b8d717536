"""A list page's rows read as plain values (app/core/lists/reader.py): the same page as the
ORM rows give, for every viewer; a difference found on the first page turns it off and shows
the ORM values; lists with a column it cannot read keep the ORM rows."""
import logging
import re

import pytest

from app.core.lists import reader as list_reader
from app.core.views import AnjuModelView
from app.extensions import db
from app.property.models import Staff
from tests.complaints.helpers import user
from tests.property.test_staff import add_staff, new_area, uniq


def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _page(client, url):
    return re.sub(r'(name="csrf_token" value=")[^"]+', r"\1-", client.get(url).get_data(as_text=True))


@pytest.fixture
def people(app):
    """Three people of ENT_A: two areas (named out of order), none, and one with a login."""
    first, first_name = new_area(app)
    second, second_name = new_area(app)
    prefix = uniq("读取")
    with_areas = add_staff(app, name=prefix + "甲", area_ids=[second, first], post="engineering")
    without = add_staff(app, name=prefix + "乙", post="security")
    with app.app_context():
        bound = db.session.get(Staff, without)
        bound.user_id = user("ent_a").id
        db.session.commit()
    return {"prefix": prefix, "with_areas": with_areas, "without": without,
            "areas": "、".join(sorted([first_name, second_name]))}


def test_staff_pages_are_the_same_as_from_orm_rows_for_every_viewer(app, login, people, monkeypatch):
    view = _view(app, "StaffView")
    assert view._page_reader() is not None
    url = "/staff/list/"     # the newest first: these people (a masked viewer searches names by full value only)
    for username in ("ent_a", "district1", "gov_admin"):
        client = login(username)
        fast = _page(client, url)
        assert view._page_reader().checked and not view._page_reader().off
        monkeypatch.setattr(list_reader, "current", lambda model: None)   # the ORM rows
        slow = _page(client, url)
        monkeypatch.undo()
        assert fast == slow, username
    html = _page(login("ent_a"), url)
    assert people["areas"] in html                   # by name, joined with 、
    assert f'id="print-{people["with_areas"]}"' in html and f'id="print-{people["without"]}"' in html


def test_the_rows_have_the_values_the_properties_give(app, people):
    view = _view(app, "StaffView")
    with app.test_request_context():
        reader = view._page_reader()
        rows = reader.read(db.session, [people["without"], people["with_areas"]])
        assert [r.id for r in rows] == [people["without"], people["with_areas"]]   # in the asked order
        objects = [db.session.get(Staff, r.id) for r in rows]
        for row, obj in zip(rows, objects):
            assert row.area_names == obj.area_names
            assert row.username == obj.username
            assert row.org == obj.org.name and row.name == obj.name and row.status == obj.status
        assert rows[0].area_names == "-" and rows[0].username == "ent_a"
        assert rows[1].area_names == people["areas"] and rows[1].username == ""
        assert reader.read(db.session, []) == []
        assert reader.read(db.session, [10 ** 9]) == []


def test_a_difference_turns_the_reader_off_and_shows_the_orm_values(app, login, people, monkeypatch, caplog):
    from sqlalchemy import literal

    view = _view(app, "StaffView")
    wrong = list_reader.for_view(view)
    build = wrong._build
    wrong._build = lambda dialect: build(dialect).with_only_columns(
        *[literal("假的区域").label("area_names") if c.name == "area_names" else c
          for c in build(dialect).selected_columns])
    monkeypatch.setitem(view.__dict__, "_anju_page_reader", wrong)
    with caplog.at_level(logging.WARNING, logger="app.core.lists.reader"):
        html = login("ent_a").get(f"/staff/list/?_flt_3_name={people['prefix']}").get_data(as_text=True)
    assert "假的区域" not in html and people["areas"] in html
    assert wrong.off and "StaffView" in caplog.text
    # From then on the view reads ORM rows.
    html = login("ent_a").get(f"/staff/list/?_flt_3_name={people['prefix']}").get_data(as_text=True)
    assert "假的区域" not in html and people["areas"] in html


def test_which_lists_read_plain_values(app):
    with app.app_context():
        views = {type(v).__name__: v for v in app.appbuilder.baseviews if isinstance(v, AnjuModelView)}
        # Plain columns, and many-to-one records shown by their name: read as values.
        assert views["RegionView"]._page_reader() is not None
        assert "staff" in views["CertificateView"]._page_reader().related
        # A related record the view formats itself (the care plan's area: "all areas" when
        # empty, else the area's name): its formatter reads the object, so ORM rows.
        assert views["CarePlanView"]._page_reader() is None
        # A to-many relation (an account's roles): ORM rows.
        assert views["OrgUserView"]._page_reader() is None
        # A value the view computes from columns (its export's declaration): those columns read.
        complaint = views["ComplaintView"]._page_reader()
        assert complaint is not None and [c[0] for c in complaint.computed] == ["remaining_time"]
        # A declared property reads as SQL: the staff list's areas and username.
        assert {"area_names", "username"} <= set(views["StaffView"]._page_reader().names)


def test_a_page_outside_the_scope_reads_nothing(app, login, people):
    """The reader reads the keys the scoped query chose: another enterprise sees none of them."""
    for url in (f"/staff/list/?_flt_3_name={people['prefix']}", "/staff/list/"):
        html = login("ent_b").get(url).get_data(as_text=True)
        assert people["prefix"] + "甲" not in html and people["prefix"] + "乙" not in html
        for pk in (people["with_areas"], people["without"]):
            assert f'id="print-{pk}"' not in html and f"/staff/show/{pk}\"" not in html


def test_a_record_related_to_its_own_table_reads_the_related_row(app):
    """A parent enterprise is read from an alias of the table, not from the row itself."""
    from types import SimpleNamespace

    from app.core.datamodels import ScopedInterface
    from app.system.models import Organization

    view = SimpleNamespace(datamodel=ScopedInterface(Organization), list_columns=["name", "parent", "parent.name"],
                           formatters_columns={}, list_sql_columns={})
    with app.test_request_context():
        reader = list_reader.for_view(view)
        assert reader.related == ("parent",)
        child = db.session.query(Organization).filter(Organization.parent_id.isnot(None)).first()
        top = db.session.query(Organization).filter(Organization.parent_id.is_(None)).first()
        rows = reader.read(db.session, [child.id, top.id])
        assert [getattr(r, "parent") for r in rows] == [child.parent.name, None]
        assert [getattr(r, "parent.name") for r in rows] == [child.parent.name, None]
        assert rows[0].name == child.name


def test_complaint_and_audit_pages_are_the_same_as_from_orm_rows(app, login, monkeypatch):
    """剩余处理时间 computed from the stage and deadline read as columns; the audit log's readable
    summaries likewise; as a full viewer and a masked one."""
    from tests.complaints.helpers import file_complaint

    with app.app_context():
        open_one = file_complaint(content=uniq("楼道灯"))
        open_one_id = open_one.id
    for username, url in (("admin", "/complaints/list/"), ("district1", "/complaints/list/"),
                          ("admin", "/auditlogview/list/")):
        client = login(username)
        fast = _page(client, url)
        monkeypatch.setattr(list_reader, "current", lambda model: None)
        slow = _page(client, url)
        monkeypatch.undo()
        assert fast == slow, (username, url)
        if "complaints" in url:
            assert f"/complaints/show/{open_one_id}" in fast
    for name in ("ComplaintView", "AuditLogView"):
        reader = _view(app, name)._page_reader()
        assert reader.checked and not reader.off, name


def test_a_related_record_never_shown_stops_the_comparing_after_enough_pages(app):
    """Pages whose parent enterprise is empty on every row prove nothing about how a parent
    displays, so the next page is compared too, but not past ENOUGH_PAGES pages."""
    from types import SimpleNamespace

    from app.core.datamodels import ScopedInterface
    from app.system.models import Organization

    view = SimpleNamespace(datamodel=ScopedInterface(Organization), list_columns=["name", "parent"],
                           formatters_columns={}, list_sql_columns={})
    with app.test_request_context():
        reader = list_reader.for_view(view)
        tops = [o.id for o in db.session.query(Organization).filter(Organization.parent_id.is_(None)).limit(3)]
        values = [{c: getattr(r, c) for c in view.list_columns} for r in reader.read(db.session, tops)]
        for n in range(1, list_reader.ENOUGH_PAGES + 1):
            assert list_reader.check(view, reader, values, tops) is None
            assert reader.checked == (n == list_reader.ENOUGH_PAGES) and not reader.off
        child = db.session.query(Organization).filter(Organization.parent_id.isnot(None)).first()
        fresh = list_reader.for_view(view)
        values = [{c: getattr(r, c) for c in view.list_columns} for r in fresh.read(db.session, [child.id])]
        assert list_reader.check(view, fresh, values, [child.id]) is None and fresh.checked


def test_a_row_shows_only_its_key_in_logs(app, people):
    with app.test_request_context():
        row = _view(app, "StaffView")._page_reader().read(db.session, [people["with_areas"]])[0]
        assert repr(row) == f"<Row {people['with_areas']}>"
        assert row.id_number not in repr(row) and row.mobile not in repr(row)
