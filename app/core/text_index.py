"""Contains-searches served by an index: SQLite FTS5 with the trigram tokenizer.

A list's 包含 search is ``column LIKE '%term%'``, which reads every row of the table (or of
the viewer's region). For the large tables' main text columns a trigram index finds the rows
that hold the term's three-character pieces instead, and the same LIKE then confirms each
candidate, so the answer is exactly the LIKE's (case, wildcards taken literally, all of it);
only the rows read differ.

* ``KNOWN`` names the indexed columns (the complaint's content, the audit log's summary);
  :func:`register` adds one (with its migration).
* ``TRAILING`` names the indexes of append-only tables (the audit log) that trail their
  table instead of being written by a trigger in every transaction (a new FTS5 segment per
  entry, 0.2–0.7 ms, on every page that logs a full-value view): ``<index>_mark`` holds the
  last key the index covers, :func:`catch_up` adds the rows after it (the audit writer calls
  it every few hundred entries), and a search takes the index's candidates plus every row
  after the mark, which the LIKE then checks as it checks the others (migration
  a7d4e5b9c021).
* A migration creates the index on SQLite (f3a9c2d71b40: an external-content FTS5 table that
  stores no second copy of the text, kept current by triggers on insert, update and delete,
  and filled from the rows already there; a new indexed column needs its own migration);
  other databases keep the plain LIKE (PostgreSQL's pg_trgm would need the extension and a
  locale that counts CJK characters as letters).
* :func:`candidates` gives the clause a contains-filter adds: ``pk IN (SELECT rowid FROM
  <index> WHERE <index> MATCH '"term"')`` (on a first page: the few candidates by key, or
  many tested while the page walks its order), or None when the term is shorter than three
  characters (a trigram index cannot answer it), the database is not SQLite, or the index is
  missing (a database built without the migrations).
"""
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Integer, bindparam, column, literal_column, or_, text
from sqlalchemy.engine import Connection

#: The indexes the migrations create: (table, column).
KNOWN = (("anju_complaint", "content"), ("anju_audit_log", "summary"))


#: Indexes of append-only tables that trail them: (table, column).
TRAILING = (("anju_audit_log", "summary"),)


def index_name(table, col):
    return f"{table}_{col}_fts"


def mark_name(fts):
    """The one-row table holding the last key a trailing index covers."""
    return f"{fts}_mark"


#: (table name, column name) -> index table name
_INDEXES = {(t, c): index_name(t, c) for t, c in KNOWN}
_present = {}   # (engine url, index name) -> bool

MIN_TERM = 3


def register(table, col):
    """Serve contains-searches of ``table.col`` from a trigram index (where one exists)."""
    _INDEXES[(table, col)] = index_name(table, col)


def is_index_table(name):
    """Whether a table name belongs to a text index (the FTS5 table or its shadow tables):
    the schema comparison and autogenerate leave these alone."""
    return any(name == fts or name.startswith(fts + "_") for fts in _INDEXES.values())


def _exists(bind, fts):
    """Whether the table ``fts`` exists (looked up once per database and name)."""
    key = (str(bind.engine.url), fts)
    found = _present.get(key)
    if found is None:
        look = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        if isinstance(bind, Connection):    # a writer's own connection, inside its transaction
            found = bind.exec_driver_sql(look, (fts,)).first() is not None
        else:
            with bind.engine.connect() as conn:
                found = conn.exec_driver_sql(look, (fts,)).first() is not None
        _present[key] = found
    return found


#: A first page reads at most this many candidates by key; more, and it walks the list's order.
FEW = 2000


def candidates(model, col, term, bind, session=None):
    """``model.pk IN (rows of the index holding term)``, or None where no index can answer."""
    table = model.__table__.name
    fts = _INDEXES.get((table, col))
    term = str(term or "")
    if fts is None or len(term) < MIN_TERM or bind is None or bind.dialect.name != "sqlite":
        return None
    if not _exists(bind, fts):
        return None
    # One FTS5 phrase: the term's characters in order (a double quote written twice).
    phrase = '"' + term.replace('"', '""') + '"'
    rows = (text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :term")
            .bindparams(bindparam("term", phrase, unique=True))
            .columns(column("rowid", Integer)))
    key = model.__mapper__.primary_key[0]
    tail = None
    if (table, col) in TRAILING and _exists(bind, mark_name(fts)):
        # The rows the trailing index does not cover yet (a few hundred at most, read by key).
        tail = key > literal_column(f"(SELECT last_rowid FROM {mark_name(fts)} WHERE id = 1)")
    if _walking.get() and session is not None:
        # A first page: few candidates are read by key and sorted (a rare term: 1 ms, where
        # walking 1,000,000 rows of the order index would take 70); many are tested row by
        # row while the page walks the list's order index, ``key + 0`` keeping the planner
        # from reading them all by key and sorting them (4 ms instead of 45 for 39,000).
        # Read in the session's transaction, so its own unsaved rows count.
        few = session.execute(text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :term LIMIT {FEW + 1}"),
                              {"term": phrase}).scalars().all()
        if len(few) <= FEW:
            return _with_tail(key.in_(few), tail)
        return _with_tail((key + literal_column("0")).in_(rows), tail)
    return _with_tail(key.in_(rows), tail)


def _with_tail(clause, tail):
    return clause if tail is None else or_(clause, tail)


#: A catch-up adds at most this many rows (a table filled around the writer, e.g. by a
#: benchmark's generator, is caught up over several writes, not in one long one).
CATCH_UP_ROWS = 5000


def catch_up(connection, table, col, limit=CATCH_UP_ROWS):
    """Add the rows after a trailing index's mark to it (at most ``limit``; None: all), in the
    caller's transaction, and move the mark. Returns how many rows were added. The caller
    holds the table's write lock (the audit writer has bumped its head), so two writers never
    add the same rows."""
    if (table, col) not in TRAILING or connection.dialect.name != "sqlite":
        return 0
    fts = _INDEXES[(table, col)]
    mark = mark_name(fts)
    if not (_exists(connection, fts) and _exists(connection, mark)):
        return 0
    last = connection.exec_driver_sql(f"SELECT last_rowid FROM {mark} WHERE id = 1").scalar()
    if last is None:
        return 0
    span = f"SELECT id FROM {table} WHERE id > ? ORDER BY id" + (f" LIMIT {int(limit)}" if limit else "")
    upto, n = connection.exec_driver_sql(f"SELECT max(id), count(*) FROM ({span})", (last,)).one()
    if not n:
        return 0
    connection.exec_driver_sql(
        f"INSERT INTO {fts}(rowid, {col}) SELECT id, {col} FROM {table} WHERE id > ? AND id <= ?", (last, upto))
    connection.exec_driver_sql(f"UPDATE {mark} SET last_rowid = ? WHERE id = 1", (upto,))
    return n


_walking = ContextVar("anju_text_index_walking", default=False)


@contextmanager
def walking(on=True):
    """Within: the query reads rows in its order and stops after a page (see candidates)."""
    token = _walking.set(bool(on))
    try:
        yield
    finally:
        _walking.reset(token)


def forget_presence():
    """Look for the index tables again (after a migration in the same process)."""
    _present.clear()
