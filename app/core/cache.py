"""Small values nearly every request reads, kept between requests in this process.

The parameters, the dictionaries and a role set's permissions are read on almost every page
and change rarely. Each is kept per app (a test's fresh app never sees another's values) and
per key, and is read again when:

* any write to one of its tables went through this process: every INSERT, UPDATE, DELETE or
  REPLACE statement an engine runs, ORM or Core or plain text, is looked at once (its head
  and the watched table names), and the tables it wrote are counted again when the statement
  runs and when its transaction commits or rolls back (a value read inside a transaction
  that later rolls back is never kept past it);
* ``ttl`` seconds have passed: another process (a second web worker, the scheduler) that
  changed a table is seen at most that late.
"""
import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: How many entries one app keeps at most (the keys are role sets, dictionary types …).
MAX_ENTRIES = 2000

_generation = {}          # table name -> writes seen in this process
_watched = set()
_lock = threading.Lock()
_WRITE_HEADS = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _bump(tables):
    with _lock:
        for table in tables:
            _generation[table] = _generation.get(table, 0) + 1


def watch(*tables):
    """Count the writes to these tables from now on."""
    _watched.update(tables)


@event.listens_for(Engine, "after_cursor_execute")
def _seen_statement(conn, cursor, statement, parameters, context, executemany):
    if not _watched or statement.lstrip()[:6].upper() not in _WRITE_HEADS:
        return
    written = [table for table in _watched if table in statement]
    if written:
        _bump(written)
        conn.info.setdefault("anju_cache_written", set()).update(written)


def _transaction_ended(conn):
    written = conn.info.pop("anju_cache_written", None)
    if written:
        _bump(written)


event.listen(Engine, "commit", _transaction_ended)
event.listen(Engine, "rollback", _transaction_ended)


def _store():
    return current_app.extensions.setdefault("anju_cache", {})


def cached(name, key, tables, ttl, load):
    """``load()``'s value for ``(name, key)``, kept until a write to ``tables`` or ``ttl``
    seconds. The value is shared between requests: callers must not change it."""
    if not has_app_context():
        return load()
    watch(*tables)
    store = _store()
    generation = tuple(_generation.get(t, 0) for t in tables)
    now = time.monotonic()
    hit = store.get((name, key))
    if hit is not None and hit[0] == generation and now - hit[1] < ttl:
        return hit[2]
    value = load()
    if len(store) >= MAX_ENTRIES:
        store.clear()
    # Kept with the generation seen before reading: a write while it was read makes it stale.
    store[(name, key)] = (generation, now, value)
    return value


def forget(name=None):
    """Drop this app's kept values (all, or one name's)."""
    store = _store()
    for k in [k for k in store if name is None or k[0] == name]:
        store.pop(k, None)
