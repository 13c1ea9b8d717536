"""The audit log's trigram index is filled in batches, not by a trigger on every entry

An FTS5 index written in every transaction starts a new segment each time and merges them
as it goes: 0.2–0.7 ms on each audit entry, and an entry is written on every page that shows
personal data in full. The log is append-only (its triggers refuse UPDATE and DELETE), so
the index can trail it: ``<index>_mark`` holds the last id the index covers, the audit writer
adds the entries after it in batches (app/core/audit.py, app/core/text_index.py), and a
search takes the candidates from the index plus every entry after the mark, which the LIKE
then checks. SQLite only, as the index is.

Revision ID: a7d4e5b9c021
Revises: f3a9c2d71b40
Create Date: 2026-12-05 23:20:00
"""
from alembic import op

revision = "a7d4e5b9c021"
down_revision = "f3a9c2d71b40"
branch_labels = None
depends_on = None

TABLE, COL = "anju_audit_log", "summary"
FTS = f"{TABLE}_{COL}_fts"
MARK = f"{FTS}_mark"
COVERED = f"(SELECT last_rowid FROM {MARK} WHERE id = 1)"


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {FTS}_ai")
    op.execute(f"DROP TRIGGER IF EXISTS {FTS}_ad")
    op.execute(f"DROP TRIGGER IF EXISTS {FTS}_au")
    op.execute(f"CREATE TABLE {MARK} (id INTEGER PRIMARY KEY CHECK (id = 1), last_rowid INTEGER NOT NULL)")
    # Until now the trigger kept the index whole: it covers every entry there is.
    op.execute(f"INSERT INTO {MARK} (id, last_rowid) SELECT 1, coalesce(max(id), 0) FROM {TABLE}")
    # Only an entry the index holds may be taken out of it (an FTS5 'delete' of a row it never
    # held would corrupt it). The log refuses both anyway; these keep the index right if a
    # retention job is ever allowed to delete.
    op.execute(f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} WHEN old.id <= {COVERED} BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COL}) VALUES ('delete', old.id, old.{COL}); END")
    op.execute(f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF {COL} ON {TABLE} WHEN old.id <= {COVERED} BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COL}) VALUES ('delete', old.id, old.{COL}); "
               f"INSERT INTO {FTS}(rowid, {COL}) VALUES (new.id, new.{COL}); END")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"INSERT INTO {FTS}(rowid, {COL}) SELECT id, {COL} FROM {TABLE} WHERE id > {COVERED}")
    op.execute(f"DROP TRIGGER IF EXISTS {FTS}_ad")
    op.execute(f"DROP TRIGGER IF EXISTS {FTS}_au")
    op.execute(f"DROP TABLE {MARK}")
    op.execute(f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN "
               f"INSERT INTO {FTS}(rowid, {COL}) VALUES (new.id, new.{COL}); END")
    op.execute(f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COL}) VALUES ('delete', old.id, old.{COL}); END")
    op.execute(f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF {COL} ON {TABLE} BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COL}) VALUES ('delete', old.id, old.{COL}); "
               f"INSERT INTO {FTS}(rowid, {COL}) VALUES (new.id, new.{COL}); END")
