"""The audit log keeps one index on its user: (user_id, ts)

``ix_anju_audit_log_user_id`` was the first column of ``ix_audit_user_ts`` again: every lookup
by user is served by the pair, and each entry (one on every page that shows personal data in
full) wrote a leaf of both. Dropping an index needs no rebuild of the table.

Revision ID: b3e8f1c6d402
Revises: a7d4e5b9c021
Create Date: 2026-12-06 02:20:00
"""
from alembic import op

revision = "b3e8f1c6d402"
down_revision = "a7d4e5b9c021"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_anju_audit_log_user_id", table_name="anju_audit_log")


def downgrade():
    op.create_index("ix_anju_audit_log_user_id", "anju_audit_log", ["user_id"], unique=False)
