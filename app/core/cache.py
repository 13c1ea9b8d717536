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


#: What :func:`kept` answers when nothing (current) is kept.
MISSING = object()


def generation(tables):
    """The writes seen so far to ``tables`` (taken before reading what is then kept)."""
    watch(*tables)
    return tuple(_generation.get(t, 0) for t in tables)


def kept(name, key, ttl):
    """The value kept for ``(name, key)`` if no write to its tables came since and ``ttl``
    seconds have not passed, else MISSING."""
    if not has_app_context():
        return MISSING
    hit = _store().get((name, key))
    if hit is None:
        return MISSING
    tables, seen, at, value = hit
    if time.monotonic() - at >= ttl or tuple(_generation.get(t, 0) for t in tables) != seen:
        return MISSING
    return value


def keep(name, key, tables, seen, value):
    """Keep ``value`` for ``(name, key)``; ``seen`` is :func:`generation` of ``tables`` taken
    before it was read (a write while it was read makes it stale at once)."""
    if not has_app_context():
        return
    store = _store()
    if len(store) >= MAX_ENTRIES:
        store.clear()
    store[(name, key)] = (tuple(tables), seen, time.monotonic(), value)


def cached(name, key, tables, ttl, load):
    """``load()``'s value for ``(name, key)``, kept until a write to ``tables`` or ``ttl``
    seconds. The value is shared between requests: callers must not change it."""
    if not has_app_context():
        return load()
    value = kept(name, key, ttl)
    if value is not MISSING:
        return value
    seen = generation(tables)
    value = load()
    keep(name, key, tables, seen, value)
    return value


def forget(name=None):
    """Drop this app's kept values (all, or one name's)."""
    store = _store()
    for k in [k for k in store if name is None or k[0] == name]:
        store.pop(k, None)
