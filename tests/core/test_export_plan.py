"""The export's fast rows (app/core/lists/export_plan.py) are the list's own rows and values: the
same rows in the same order, the same cells as the ORM way (masking as the viewer sees it,
formatters, related names, computed columns), and the ORM way whenever a column needs
objects or the first rows disagree."""
import pytest
from flask import g

from app.core import xlsx
from app.core.lists import export_plan
from app.extensions import db
from app.security.models import AnjuUser


def view_named(app, name):
    for view in app.appbuilder.baseviews:
        if view.__class__.__name__ == name:
            return view
    raise LookupError(name)


def as_user(app, username, path, query_string=""):
    ctx = app.test_request_context(path, query_string=query_string)
    ctx.push()
    user = db.session.query(AnjuUser).filter_by(username=username).one()
    g.user = g.scope_user = user
    return ctx


@pytest.fixture(scope="module")
def complaints(app):
    """A few requests of every stage in 渝中区 (open ones with a deadline: 剩余处理时间 computed)."""
    from datetime import datetime, timedelta

    from app.complaints.models import Complaint
    from app.property.models import PropertyArea
    from tests.accounts.helpers import new_id
    from tests.complaints.helpers import new_mobile

    with app.app_context():
        area = db.session.query(PropertyArea).filter_by(name="和平小区").one()
        now = datetime.now().replace(microsecond=0)
        for i, stage in enumerate(["pending", "processing", "evaluating", "closed", "revoked"] * 3):
            db.session.add(Complaint(
                number=f"EXPPLAN{i:04d}", area_id=area.id, org_id=area.company_org_id,
                district_code=area.district_code, street_code=area.street_code, region_code=area.region_code,
                name="导出核对" + "甲乙丙"[i % 3], id_number=new_id(), mobile=new_mobile(), address="地址",
                content="内容-" + "长" * 300, status=stage, stage=stage, submitted_at=now - timedelta(hours=i),
                due_at=now + timedelta(days=3 - i), kind="property"))
        db.session.commit()


@pytest.mark.parametrize("username", ["admin", "analyst", "district1"])
def test_complaint_fast_rows_equal_the_orm_cells(app, complaints, username):
    with app.app_context():
        ctx = as_user(app, username, "/complaints/export/")
        try:
            view = view_named(app, "ComplaintView")
            columns = view.export_columns()
            query = view.export_query()
            fast = export_plan.plan(view, query, columns)
            assert fast is not None
            got = [row for row, _ in zip(fast.rows(), range(300), strict=False)]
            objects = query.limit(300).all()
            assert len(got) == len(objects) > 0
            for obj, row in zip(objects, got, strict=True):
                assert len(row) == len(columns)
                for col, value in zip(columns, row, strict=True):
                    expected = view.export_value(obj, col)
                    if col.key == "remaining_time" and expected != value:
                        # Read a moment apart: the two may straddle a minute.
                        assert str(expected)[:2] == str(value)[:2], (col.key, expected, value)
                        continue
                    assert export_plan._same(expected, value), (col.key, value)
            rows, getter, how = export_plan.checked_rows(view, query, columns)
            assert how == "fast" and getter is None
            # Full text in the cell, never the list's shortened display.
            idx = [c.key for c in columns].index("content")
            ours = [r[idx] for r in got if str(r[idx]).startswith("内容-")]
            assert ours and all(v == "内容-" + "长" * 300 for v in ours)
            if username == "analyst":
                # A viewer without the personal-data permission gets masked names and numbers.
                idx = [c.key for c in columns].index("id_number")
                numbers = [r[idx] for r in got if r[idx]]
                assert numbers and all("*" in n for n in numbers)
        finally:
            ctx.pop()


def test_a_column_that_needs_objects_keeps_the_orm_way(app):
    with app.app_context():
        ctx = as_user(app, "admin", "/complaints/export/")
        try:
            view = view_named(app, "ComplaintView")
            columns = [*view.export_columns(), xlsx.XColumn("events", "events")]
            query = view.export_query()
            assert export_plan.plan(view, query, columns) is None
            rows, getter, how = export_plan.checked_rows(view, query, columns)
            assert how == "orm" and getter == view.export_value
        finally:
            ctx.pop()


def test_a_view_with_its_own_export_value_keeps_the_orm_way(app):
    with app.app_context():
        ctx = as_user(app, "ent_a", "/staff/export/")
        try:
            view = view_named(app, "StaffView")
            assert export_plan.plan(view, view.export_query(), view.export_columns()) is None
        finally:
            ctx.pop()


def test_a_disagreeing_plan_falls_back(app, complaints, monkeypatch):
    with app.app_context():
        ctx = as_user(app, "admin", "/complaints/export/")
        try:
            view = view_named(app, "ComplaintView")
            columns = view.export_columns()
            query = view.export_query()
            # A display column that is not what the related object shows: the check catches it.
            monkeypatch.setattr(export_plan, "_display_column", lambda cls: "code" if cls.__name__ == "Region"
                                else export_plan.LABEL_NAMES[0])
            rows, getter, how = export_plan.checked_rows(view, query, columns)
            assert how == "orm"
        finally:
            ctx.pop()


def test_the_audit_log_exports_by_the_fast_way(app):
    """The audit log's summary in words is computed from its columns (export_computed)."""
    with app.app_context():
        ctx = as_user(app, "admin", "/auditlogview/export/")
        try:
            view = view_named(app, "AuditLogView")
            columns = view.export_columns()
            rows, getter, how = export_plan.checked_rows(view, view.export_query(), columns)
            assert how == "fast"
            assert sum(1 for _ in zip(rows, range(100), strict=False)) > 0
        finally:
            ctx.pop()
