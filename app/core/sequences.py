"""Gap-free counters that stay unique under concurrency (application and complaint numbers).

``next_value("APP20261123")`` increments one row with ``UPDATE ... RETURNING`` inside the
caller's transaction: the row lock (PostgreSQL) or the write lock (SQLite) serialises
concurrent callers until they commit, so two requests never get the same value, and a
rolled-back request gives its value back.
"""
from sqlalchemy import BigInteger, Column, String, insert, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db


class Sequence(db.Model):
    __tablename__ = "anju_sequence"
    name = Column(String(64), primary_key=True)
    value = Column(BigInteger, nullable=False, default=0)


def next_value(name, session=None):
    """The next value (1, 2, ...) of the counter ``name``, created on first use."""
    session = session or db.session
    table = Sequence.__table__
    stmt = update(table).where(table.c.name == name).values(value=table.c.value + 1).returning(table.c.value)
    value = session.execute(stmt).scalar()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(insert(table).values(name=name, value=1))
        return 1
    except IntegrityError:
        # Another transaction created it first: increment theirs.
        return session.execute(stmt).scalar_one()
