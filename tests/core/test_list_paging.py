"""Lists at scale (issue 12, "Speed"): LIKE with the user's wildcards taken literally, the
capped count, pages read ids first, the full-view audit entry, the permission memo, cached
search dropdowns and the statements one list page runs. Behaviour only, never time."""
from contextlib import contextmanager

import pytest
from flask import g
from sqlalchemy import event, select

from app.core.lists.paging import LikeContains, LikeEndsWith, LikeStartsWith, ListCount, escape_like, like
from app.core.views import ScopedInterface
from app.extensions import db
from app.system.models import Parameter, Region


@contextmanager
def acting(app, username, path="/"):
    """A request context acting as ``username`` (the scope reads g.scope_user)."""
    from app.security.models import AnjuUser

    with app.test_request_context(path):
        g.scope_user = db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalar_one()
        yield


def _regions(names, parent="500103"):
    for i, name in enumerate(names):
        db.session.add(Region(code=f"T{i:05d}", name=name, level="community", parent_code=parent))
    db.session.flush()


def _filters(dm, column, cls, value):
    filters = dm.get_filters([column])
    filters.add_filter(column, cls, value)
    return filters


def _names(dm, filters, **kw):
    return sorted(r.name for r in dm.query(filters, page=0, page_size=50, **kw)[1])


# --- LIKE ? ESCAPE ------------------------------------------------------------------------------

def test_search_wildcards_are_taken_literally(ctx):
    _regions(["测试50%折扣", "测试5000号", "测试a_b栋", "测试axb栋", "测试a\\b栋"])
    dm = ScopedInterface(Region)
    with acting(ctx, "admin"):
        assert _names(dm, _filters(dm, "name", LikeContains, "50%")) == ["测试50%折扣"]
        assert _names(dm, _filters(dm, "name", LikeContains, "a_b")) == ["测试a_b栋"]
        assert _names(dm, _filters(dm, "name", LikeContains, "a\\b")) == ["测试a\\b栋"]
        assert _names(dm, _filters(dm, "name", LikeStartsWith, "测试a_")) == ["测试a_b栋"]
        assert _names(dm, _filters(dm, "name", LikeEndsWith, "5%折扣")) == []   # as a wildcard it would match
        assert _names(dm, _filters(dm, "name", LikeEndsWith, "0%折扣")) == ["测试50%折扣"]
        # SQLite's LIKE ignores ASCII case, as lower() LIKE lower() did.
        assert _names(dm, _filters(dm, "name", LikeContains, "A_B")) == ["测试a_b栋"]


def test_views_get_the_like_filters_in_place_of_fabs():
    from flask_appbuilder.models.sqla.filters import FilterContains

    from app.core.lists.paging import AnjuFilterConverter

    classes = dict(AnjuFilterConverter.conversion_table)["is_string"]
    assert LikeContains in classes and FilterContains not in [c for c in classes if c is FilterContains]
    assert LikeContains.arg_name == FilterContains.arg_name    # URLs keep their meaning


def test_like_compiles_to_an_escaped_like_and_ilike_on_postgresql():
    from sqlalchemy.dialects import postgresql, sqlite

    pattern = "%" + escape_like("50%_a\\b") + "%"
    assert pattern == "%50\\%\\_a\\\\b%"
    lite = str(like(Region.name, pattern, "sqlite").compile(dialect=sqlite.dialect()))
    pg = str(like(Region.name, pattern, "postgresql").compile(dialect=postgresql.dialect()))
    assert "LIKE" in lite and "ESCAPE" in lite and "lower(" not in lite
    assert "ILIKE" in pg and "ESCAPE" in pg


# --- the capped count and ids-first pages -----------------------------------------------------

def _set_cap(value):
    row = db.session.execute(select(Parameter).where(Parameter.key == "list.count_cap")).scalar()
    if row is None:
        db.session.add(Parameter(key="list.count_cap", value=str(value), value_type="int", group="system"))
    else:
        row.value = str(value)
    db.session.flush()


def test_count_stops_at_the_cap_unless_an_exact_count_is_asked(ctx):
    _regions([f"计数测试{i:03d}" for i in range(130)])
    _set_cap(100)
    dm = ScopedInterface(Region)
    with acting(ctx, "admin"):
        count, rows = dm.query(_filters(dm, "name", LikeStartsWith, "计数测试"), "name", "asc", page=0, page_size=20)
        assert isinstance(count, ListCount) and isinstance(count, int)
        assert (int(count), count.exact, count.has_next) == (100, False, True)
        assert str(count) == "100" and f"{count:,}" == "100"
        # Past the cap the pages go on, the count saying what is known to exist ...
        count, rows = dm.query(_filters(dm, "name", LikeStartsWith, "计数测试"), "name", "asc", page=5, page_size=20)
        assert [r.name for r in rows] == [f"计数测试{i:03d}" for i in range(100, 120)]
        assert (int(count), count.exact, count.has_next) == (121, False, True)
        # ... and the last page knows the total: page 6 holds rows 121-130.
        count, rows = dm.query(_filters(dm, "name", LikeStartsWith, "计数测试"), "name", "asc", page=6, page_size=20)
        assert [r.name for r in rows] == [f"计数测试{i:03d}" for i in range(120, 130)]
        assert (int(count), count.exact, count.has_next) == (130, True, False)
        # Under the cap the count is exact.
        count, _ = dm.query(_filters(dm, "name", LikeStartsWith, "计数测试00"), page=0, page_size=20)
        assert (int(count), count.exact) == (10, True)
    with acting(ctx, "admin", "/?exact_count=1"):
        count, _ = dm.query(_filters(dm, "name", LikeStartsWith, "计数测试"), page=0, page_size=20)
        assert (int(count), count.exact) == (130, True)


@contextmanager
def counting(app):
    """The COUNT statements run within."""
    seen = []

    def spy(conn, cursor, sql, params, context, executemany):
        if "count(" in sql.lower():
            seen.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def test_a_count_over_the_cap_is_kept_until_its_table_is_written(ctx, monkeypatch):
    from sqlalchemy import text

    from app.core import datamodels

    _regions([f"保留计数{i:03d}" for i in range(130)])
    _set_cap(100)
    dm = ScopedInterface(Region)
    with acting(ctx, "admin"), counting(ctx) as seen:
        for _ in range(3):
            count, rows = dm.query(_filters(dm, "name", LikeStartsWith, "保留计数"), page=0, page_size=10)
            assert (int(count), count.exact, len(rows)) == (100, False, 10)
        assert len(seen) == 1                  # "more than 100" is known: not counted again
        seen.clear()
        for _ in range(2):                     # an exact count is never kept
            count, _ = dm.query(_filters(dm, "name", LikeStartsWith, "保留计数00"), page=0, page_size=5)
            assert (int(count), count.exact) == (10, True)
        assert len(seen) == 2
        seen.clear()
        # A write to the table, even in plain SQL, and it is counted again: now exactly 30.
        db.session.execute(text("DELETE FROM anju_region WHERE name LIKE '保留计数0%'"))
        count, _ = dm.query(_filters(dm, "name", LikeStartsWith, "保留计数"), page=0, page_size=10)
        assert (int(count), count.exact) == (30, True) and len(seen) == 1
        # Over the cap again; past its time (another process's writes are seen that late) it
        # is counted again.
        _regions([f"保留计数新{i:03d}" for i in range(80)])
        count, _ = dm.query(_filters(dm, "name", LikeStartsWith, "保留计数"), page=0, page_size=10)
        assert (int(count), count.exact) == (100, False)
        monkeypatch.setattr(datamodels, "OVER_CAP_TTL", 0)
        seen.clear()
        dm.query(_filters(dm, "name", LikeStartsWith, "保留计数"), page=0, page_size=10)
        assert len(seen) == 1


def test_a_kept_count_is_never_another_scopes(ctx, monkeypatch):
    from app.complaints.models import Complaint
    from app.core import datamodels
    from app.complaints.views import ComplaintInterface
    from tests.complaints.helpers import file_complaint

    for area_name in ("和平小区", "和平小区", "和平小区", "解放碑商住楼", "解放碑商住楼", "解放碑商住楼"):
        file_complaint(area_name=area_name, content="计数范围测试 的投诉")
    db.session.flush()
    monkeypatch.setattr(datamodels, "count_cap", lambda: 3)
    dm = ComplaintInterface(Complaint)

    def count_as(username):
        with acting(ctx, username):
            count, _ = dm.query(_filters(dm, "content", LikeContains, "计数范围测试"), page=0, page_size=1)
        return int(count), count.exact

    assert count_as("admin") == (3, False)          # six: "more than 3", kept
    assert count_as("street1") == (3, True)         # 七星岗街道 holds 和平小区's three: exact
    assert count_as("ent_b") == (0, True)           # 七星花园's company: none of them
    assert count_as("admin") == (3, False)


@pytest.mark.parametrize("order", [("name", "asc"), ("name", "desc"), ("parent.name", "asc"), ("", "")])
def test_ids_first_pages_hold_the_rows_of_a_plain_query(ctx, order):
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    ours, plain = ScopedInterface(Region), SQLAInterface(Region, db.session)
    with acting(ctx, "admin"):
        total = db.session.execute(select(db.func.count()).select_from(Region)).scalar()
        assert total > 60
        for page in (0, 2, total // 7):
            got = [r.code for r in ours.query(None, *order, page=page, page_size=7)[1]]
            want = [r.code for r in plain.query(None, *order, page=page, page_size=7)[1]]
            if not order[0]:    # no order: ids-first pages go by key
                want = [r.code for r in plain.query(None, "code", "asc", page=page, page_size=7)[1]]
            assert got == want and got


def test_a_page_past_the_cap_renders_with_links_onwards(fresh_app):
    from tests.conftest import as_user

    with fresh_app.app_context():
        _regions([f"翻页测试{i:03d}" for i in range(130)])
        _set_cap(100)
        db.session.commit()
    admin = as_user(fresh_app, "admin")
    first = admin.get("/regionview/list/?_flt_0_name=翻页测试&psize_RegionView=20")
    assert first.status_code == 200
    late = admin.get("/regionview/list/?_flt_0_name=翻页测试&psize_RegionView=20&page_RegionView=6")
    assert late.status_code == 200 and "翻页测试129" in late.get_data(as_text=True)
    exact = admin.get("/regionview/list/?_flt_0_name=翻页测试&psize_RegionView=20&exact_count=1")
    assert exact.status_code == 200 and "130" in exact.get_data(as_text=True)


# --- the full-view audit entry, the permission memo --------------------------------------------

def test_a_full_view_list_is_audited_and_its_rows_are_not_reloaded(app, login):
    from app.core.audit import AuditLog

    from tests.complaints.helpers import file_complaint

    with app.app_context():
        file_complaint(content="列表审计测试")
        db.session.commit()
        db.session.remove()
    admin = login("admin")
    admin.get("/complaints/list/")
    statements = []

    def spy(conn, cursor, sql, params, context, executemany):
        statements.append(sql)

    with app.app_context():
        engine = db.engine
        before = db.session.execute(select(db.func.max(AuditLog.id))).scalar() or 0
        db.session.remove()
    event.listen(engine, "before_cursor_execute", spy)
    try:
        resp = admin.get("/complaints/list/")
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert resp.status_code == 200
    with app.app_context():
        entry = db.session.execute(select(AuditLog).where(AuditLog.id > before, AuditLog.action == "view_pii",
                                                          AuditLog.entity == "Complaint")).scalar()
        assert entry is not None and entry.summary
        db.session.remove()
    reloads = [s for s in statements if "FROM anju_complaint" in s and "WHERE anju_complaint.id = ?" in s]
    assert reloads == []


def test_an_admin_first_page_of_complaints_runs_few_statements(app, login):
    from tests.complaints.helpers import file_complaint

    with app.app_context():
        file_complaint(content="语句计数测试")
        db.session.commit()
        db.session.remove()
    admin = login("admin")
    admin.get("/complaints/list/")          # the search form's dropdowns are built once
    statements = []

    def spy(conn, cursor, sql, params, context, executemany):
        statements.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert admin.get("/complaints/list/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    # user + roles + permissions (5), parameters (1), page keys, count, rows (3), audit entry (4)
    assert len(statements) <= 14, "\n".join(statements)


def test_permission_answers_do_not_leak_across_requests_or_users(app, login):
    admin, street = login("admin"), login("street1")
    assert admin.get("/auditlogview/list/").status_code == 200
    refused = street.get("/auditlogview/list/")
    assert refused.status_code in (302, 403)
    assert admin.get("/auditlogview/list/").status_code == 200
    assert street.get("/auditlogview/list/").status_code == refused.status_code
    with app.test_request_context("/"):
        sm = app.appbuilder.sm
        with acting(app, "admin"):
            assert "_anju_access" not in g


# --- cached search dropdowns ---------------------------------------------------------------------

def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _render(app, username, view_name, field):
    with acting(app, username):
        form = _view(app, view_name).search_form.refresh()
        return str(form[field]())


def test_cached_dropdowns_see_a_new_region(app):
    with app.app_context():
        before = _render(app, "admin", "ComplaintView", "street")
        assert "新建街道测试" not in before
        db.session.add(Region(code="500103999", name="新建街道测试", level="street", parent_code="500103"))
        db.session.commit()
        try:
            assert "新建街道测试" in _render(app, "admin", "ComplaintView", "street")
        finally:
            db.session.delete(db.session.get(Region, "500103999"))
            db.session.commit()
        assert "新建街道测试" not in _render(app, "admin", "ComplaintView", "street")


def test_cached_dropdowns_follow_the_viewers_scope(app):
    from app.system.models import Organization

    with app.app_context():
        everyone = _render(app, "admin", "CreditProposalView", "org")
        mine = _render(app, "ent_a", "CreditProposalView", "org")
        again = _render(app, "admin", "CreditProposalView", "org")
        enterprises = db.session.execute(select(Organization.name).where(Organization.org_type == "enterprise")).scalars().all()
        assert len(enterprises) > 1
        assert all(name in everyone for name in enterprises) and again == everyone
        assert sum(name in mine for name in enterprises) == 1


def test_the_page_limit_is_written_into_the_sql(app, login):
    """SQLite plans a bound LIMIT as unknown and may walk a whole table in the list's order
    where an index answers a known small one: a page's LIMIT and OFFSET are literals."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []

    def spy(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    c = login("admin")
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
    try:
        assert c.get("/complaints/list/?psize_ComplaintView=10&page_ComplaintView=1").status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", spy)
    pages = [s for s in seen if s.startswith("SELECT anju_complaint.id AS anju_complaint_id FROM anju_complaint")]
    assert pages and all("LIMIT 11 OFFSET 10" in s for s in pages), pages
