"""The schema the Alembic migrations build equals the models (no pending autogenerate)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrated_schema_matches_models(ctx):
    with db.engine.connect() as conn:
        from app.core.text_index import is_index_table

        # The text indexes (FTS5 and their shadow tables) come from their own migration.
        mc = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: not (type_ == "table" and is_index_table(name or ""))})
        diff = compare_metadata(mc, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_audit_log_refuses_update_and_delete(ctx):
    """The log is append-only in the database itself, not only in the views: its trigger
    refuses an UPDATE and a DELETE (SQLite's RAISE(ABORT) is a constraint error, PostgreSQL's
    RAISE EXCEPTION an internal error), and the row stays as written."""
    import pytest
    from sqlalchemy import exc, func, select, text

    from app.core import audit
    from app.core.audit import AuditLog

    refusal = {"sqlite": exc.IntegrityError, "postgresql": exc.InternalError}[db.engine.dialect.name]
    audit.record("login", summary="trigger probe")
    db.session.commit()
    row_id = db.session.execute(select(func.max(AuditLog.id))).scalar_one()
    row = db.session.execute(text("SELECT action, summary FROM anju_audit_log WHERE id = :id"), {"id": row_id}).one()
    assert tuple(row) == ("login", "trigger probe")
    count = db.session.execute(select(func.count(AuditLog.id))).scalar_one()
    with pytest.raises(refusal, match="anju_audit_log is append-only"):
        db.session.execute(text("UPDATE anju_audit_log SET summary = 'x' WHERE id = :id"), {"id": row_id})
    db.session.rollback()
    with pytest.raises(refusal, match="anju_audit_log is append-only"):
        db.session.execute(text("DELETE FROM anju_audit_log WHERE id = :id"), {"id": row_id})
    db.session.rollback()
    assert tuple(db.session.execute(text("SELECT action, summary FROM anju_audit_log WHERE id = :id"),
                                    {"id": row_id}).one()) == ("login", "trigger probe")
    assert db.session.execute(select(func.count(AuditLog.id))).scalar_one() == count
