"""Bulk inserts at the driver's speed, for imports of hundreds of thousands of rows.

:func:`insert_rows` writes rows given as tuples (values in the order of the named columns)
inside the caller's transaction. On SQLite it renders the INSERT once and hands the tuples
to the driver's ``executemany`` through ``Connection.exec_driver_sql``: SQLAlchemy's Core
``insert()`` with a dict per row spends about as long building each row's parameters as
SQLite spends writing it (issue 17: 1.3 s of 4 s at 200,000 staff rows). Values shared by
every row are written into the statement as literals, and each column's bind processor (a
date as SQLite's text) is applied once per value. Other databases take Core ``insert()``
(PostgreSQL's drivers batch many rows per round trip there, which plain ``executemany``
would not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, insert, literal_column

#: Distinct values per column whose processed form is remembered.
MEMO = 8192

#: Rows per executemany (the caller's progress is reported between two).
BATCH = 5000


def literal(dialect: Any, value: Any, type_: Any):
    """``value`` as SQL text the way ``dialect`` writes a literal of ``type_``."""
    return literal_column(type_.dialect_impl(dialect).literal_processor(dialect)(value), type_)


def insert_rows(connection: Any, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                constants: dict[str, Any] | None = None, batch: int = BATCH,
                on_batch: Any = None) -> int:
    """Insert ``rows`` (sequences of values for ``columns``) into ``table`` with ``constants``
    ({column: value}) in every row; ``on_batch(written)`` after each batch. Returns the count."""
    dialect = connection.dialect
    constants = constants or {}
    written = 0
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        quote = dialect.identifier_preparer.quote
        names = [quote(table.c[c].name) for c in columns] + [quote(table.c[c].name) for c in constants]
        values = ["?"] * len(columns) + [
            str(literal(dialect, v, table.c[c].type).compile(dialect=dialect)) for c, v in constants.items()]
        sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
               f"({', '.join(names)}) VALUES ({', '.join(values)})")
        # Each column's bind processor (a date as SQLite's text), applied column by column and
        # remembered per value: the same few thousand dates recur in 200,000 rows.
        processors = [(i, p) for i, p in enumerate(
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns) if p is not None]
        memos = [{} for _ in processors]

        def prepared(chunk):
            if not processors:
                return chunk
            by_column = list(zip(*chunk))
            for (i, process), seen in zip(processors, memos):
                known = seen.get  # (a processed value is never empty)
                by_column[i] = [known(value) or _processed(value, process, seen) for value in by_column[i]]
            return list(zip(*by_column))

        for chunk in _chunks(rows, batch):
            connection.exec_driver_sql(sql, prepared(chunk))
            written += len(chunk)
            if on_batch is not None:
                on_batch(written)
        return written
    stmt = insert(table).values(**{c: literal(dialect, v, table.c[c].type) for c, v in constants.items()}) \
        if constants else insert(table)
    for chunk in _chunks(rows, batch):
        connection.execute(stmt, [dict(zip(columns, row)) for row in chunk])
        written += len(chunk)
        if on_batch is not None:
            on_batch(written)
    return written


def _processed(value: Any, process: Any, seen: dict) -> Any:
    if value is None:
        return None
    done = seen.get(value)
    if done is None:
        done = process(value)
        if len(seen) < MEMO:
            seen[value] = done
    return done


def _chunks(rows: Iterable[Sequence[Any]], size: int):
    if isinstance(rows, list):
        for start in range(0, len(rows), size):
            yield rows[start:start + size]
        return
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
