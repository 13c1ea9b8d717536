"""Trigram text indexes (SQLite FTS5) for contains-searches of complaints and the audit log

A 包含 search of a complaint's content or an audit entry's summary read every row of the
table; an external-content FTS5 table with the trigram tokenizer names the rows holding the
term (app/core/text_index.py), and the LIKE confirms them. SQLite only: other databases keep
the plain LIKE. The index stores no second copy of the text; triggers keep it current and
the last statement fills it from the rows already there.

Revision ID: f3a9c2d71b40
Revises: c01ccb03481c
Create Date: 2026-12-05 19:30:00
"""
from alembic import op

revision = "f3a9c2d71b40"
down_revision = "c01ccb03481c"
branch_labels = None
depends_on = None

INDEXES = (("anju_complaint", "content"), ("anju_audit_log", "summary"))


def _create(table, col):
    fts = f"{table}_{col}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({col}, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {col}) VALUES (new.id, new.{col}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.id, old.{col}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {col} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.id, old.{col}); "
        f"INSERT INTO {fts}(rowid, {col}) VALUES (new.id, new.{col}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _drop(table, col):
    fts = f"{table}_{col}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_ai", f"DROP TRIGGER IF EXISTS {fts}_ad",
            f"DROP TRIGGER IF EXISTS {fts}_au", f"DROP TABLE IF EXISTS {fts}"]


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, col in INDEXES:
        for statement in _create(table, col):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, col in INDEXES:
        for statement in _drop(table, col):
            op.execute(statement)
