"""app/core/bulk.py: rows as tuples written at the driver's speed (SQLite: one rendered INSERT
and executemany; other databases: Core insert()), inside the caller's transaction, with the
columns' own conversions (dates), shared values written once, and nothing kept on rollback."""
from datetime import date, datetime

from sqlalchemy import func, select

from app.core import bulk
from app.extensions import db
from app.property.models import Staff, StaffStatus, staff_area
from app.security.models import AnjuUser
from tests.property.test_staff import new_id, new_mobile, uniq


def _org(username="ent_a"):
    return db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == username)).scalar_one()


def test_rows_with_shared_values_dates_and_empties_read_back_as_written(app):
    tag = uniq("批量")
    with app.app_context():
        org_id = _org()
        moment = datetime(2026, 3, 4, 5, 6, 7)
        rows = [(f"{tag}{i:03d}", new_mobile(), number, "保洁", date(2020, 1, 1 + i % 28) if i % 3 else None,
                 number, None if i % 2 else "夜班")
                for i in range(23) for number in [new_id()]]
        seen = []
        written = bulk.insert_rows(
            db.session.connection(), Staff.__table__,
            ("name", "mobile", "id_number", "post", "hired_on", "current_key", "remark"), rows,
            {"org_id": org_id, "status": StaffStatus.ACTIVE, "created_on": moment, "changed_on": moment},
            batch=5, on_batch=seen.append)
        db.session.commit()
        assert written == 23 and seen == [5, 10, 15, 20, 23]
        got = db.session.execute(select(Staff).where(Staff.name.startswith(tag)).order_by(Staff.name)).scalars().all()
        assert [(s.name, s.mobile, s.id_number, s.post, s.hired_on, s.current_key, s.remark) for s in got] == rows
        assert {(s.org_id, s.status, s.created_on, s.changed_on) for s in got} == {
            (org_id, StaffStatus.ACTIVE, moment, moment)}
        assert bulk.insert_rows(db.session.connection(), staff_area, ("staff_id", "area_id"), []) == 0


def test_a_rolled_back_bulk_insert_leaves_nothing(app):
    tag = uniq("批量撤")
    with app.app_context():
        org_id = _org()
        now = datetime(2026, 1, 1)
        rows = [(f"{tag}{i}", new_mobile(), n, "客服", n) for i in range(12) for n in [new_id()]]
        bulk.insert_rows(db.session.connection(), Staff.__table__, ("name", "mobile", "id_number", "post", "current_key"),
                         iter(rows), {"org_id": org_id, "status": "active", "created_on": now, "changed_on": now},
                         batch=4)
        assert db.session.execute(select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))).scalar() == 12
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))).scalar() == 0


def test_text_that_looks_like_sql_is_only_data(app):
    tag = uniq("注入")
    with app.app_context():
        org_id = _org()
        now = datetime(2026, 1, 1)
        evil = f"{tag}'); DROP TABLE anju_staff; --"
        n = new_id()
        bulk.insert_rows(db.session.connection(), Staff.__table__, ("name", "mobile", "id_number", "post", "current_key"),
                         [(evil, new_mobile(), n, "客服", n)],
                         {"org_id": org_id, "status": "active", "created_on": now, "changed_on": now})
        db.session.commit()
        assert db.session.execute(select(Staff.name).where(Staff.current_key == n)).scalar() == evil
