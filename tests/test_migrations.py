"""The schema the Alembic migrations build equals the models (no pending autogenerate)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrated_schema_matches_models(ctx):
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(mc, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_audit_log_refuses_update_and_delete(ctx):
    """The log is append-only in the database itself, not only in the views."""
    import pytest
    from sqlalchemy import text

    from app.core import audit

    audit.record("login", summary="trigger probe")
    db.session.commit()
    with pytest.raises(Exception):
        db.session.execute(text("UPDATE anju_audit_log SET summary = 'x'"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception):
        db.session.execute(text("DELETE FROM anju_audit_log"))
        db.session.flush()
    db.session.rollback()
