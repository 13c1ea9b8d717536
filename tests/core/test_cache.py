"""Values kept between requests (app/core/cache.py): a write to their tables in this process —
through the ORM, Core or plain SQL — is seen by the next read; a write that is rolled back
leaves no value read inside it; other processes' writes are seen after the TTL; each app
keeps its own values."""
import pytest
from sqlalchemy import text

from app.core import cache
from app.extensions import db
from app.system.params import get_param


def _read_param(app, key="list.page_size_max"):
    with app.test_request_context("/"):
        return get_param(key)


@pytest.fixture
def restore_page_size(app):
    yield
    with app.app_context():
        db.session.execute(text("UPDATE anju_param SET value = '200' WHERE key = 'list.page_size_max'"))
        db.session.commit()


def test_a_write_in_this_process_is_seen_at_once(app, restore_page_size):
    assert _read_param(app) == 200
    with app.app_context():
        db.session.execute(text("update anju_param set value = '150' where key = 'list.page_size_max'"))
        db.session.commit()
    assert _read_param(app) == 150


def test_a_value_read_inside_a_rolled_back_write_is_not_kept(app, restore_page_size):
    assert _read_param(app) == 200
    with app.test_request_context("/"):
        db.session.execute(text("UPDATE anju_param SET value = '120' WHERE key = 'list.page_size_max'"))
        assert get_param("list.page_size_max") == 120      # this transaction sees its own write
        db.session.rollback()
    assert _read_param(app) == 200


def test_another_process_write_is_seen_after_the_ttl(app, monkeypatch):
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    with app.app_context():
        cache.forget("probe")
        assert cache.cached("probe", 1, ("anju_probe_table",), 10.0, load) == 1
        clock[0] += 9.0
        assert cache.cached("probe", 1, ("anju_probe_table",), 10.0, load) == 1      # kept
        clock[0] += 2.0
        assert cache.cached("probe", 1, ("anju_probe_table",), 10.0, load) == 2      # read again


def test_each_app_keeps_its_own_values(app, fresh_app):
    with app.app_context():
        assert cache.cached("probe-app", None, ("anju_param",), 60.0, lambda: "first app") == "first app"
    with fresh_app.app_context():
        assert cache.cached("probe-app", None, ("anju_param",), 60.0, lambda: "second app") == "second app"
    with app.app_context():
        assert cache.cached("probe-app", None, ("anju_param",), 60.0, lambda: "not read") == "first app"


def test_a_permission_taken_from_a_role_is_refused_on_the_next_request(app, login):
    """A role's permissions are kept between requests; the security views' change counts at once."""

    c = login("analyst")
    assert c.get("/complaints/list/").status_code == 200
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("analyst")
        pv = sm.find_permission_view_menu("can_list", "ComplaintView")
        assert pv in role.permissions
        sm.del_permission_role(role, pv)
    try:
        assert c.get("/complaints/list/").status_code in (302, 403)
    finally:
        with app.app_context():
            sm = app.appbuilder.sm
            sm.add_permission_role(sm.find_role("analyst"), sm.find_permission_view_menu("can_list", "ComplaintView"))
    assert c.get("/complaints/list/").status_code == 200
