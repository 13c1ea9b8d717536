"""Deadlines (处理期限): one engine for every time limit (SPEC §2, §8; seed 003 §13).

A deadline is counted in calendar time or in Chinese working days, shown in lists as the
remaining time (``4天23小时56分``) or the time overdue (``超期181天12小时``), and queried in
SQL without loading rows into Python.

Counting (:func:`due_at`):

- ``calendar="calendar"``: ``unit="days"`` adds N × 24 hours, ``unit="hours"`` adds N hours.
  Month and year ends need no special care.
- ``calendar="working"`` (``unit="days"`` only): Chinese working days, from the
  ``chinese_calendar`` package: statutory holidays (法定节假日, including the bridging days)
  are skipped and adjusted working days (调休, e.g. the Sunday before National Day) count.

  * Start on a working day at clock time T: the deadline is T on the N-th working day
    after the start date (the start day itself is not counted). Five working days from
    Friday 2024-09-27 10:00 end on Thursday 2024-10-10 10:00 (Sunday 09-29 and Monday
    09-30 count, 10-01…10-07 do not).
  * Start on a non-working day (weekend or holiday): counting begins with the next
    working day, which counts in full as day 1; the deadline is the end of the N-th
    working day, returned as 00:00 of the calendar day after it. One working day from
    Thursday 2024-10-03 (holiday) ends at 2024-10-09 00:00 (the whole of Tuesday 10-08).
  * ``amount=0`` returns the start (working-day start) or 00:00 of the next working day.
  * ``chinese_calendar`` 1.11.0 knows the years 2004–2026 and raises
    ``NotImplementedError`` outside them; for such dates this engine falls back to
    Monday–Friday as working days (no holidays). Upgrade the package when the State
    Council publishes the next year's schedule.

Times are naive local (Asia/Shanghai) datetimes, like every ``DateTime`` column here
(``app.core.mixins.now``).

How a module uses it:

1. Store the due time on the row when the row is created, computed once by this engine,
   in an indexed column::

       due_at = Column(DateTime, index=True)          # on the model
       complaint.due_at = due_for("complaint", complaint.submitted_at)

   The policy (number of days, calendar or working days) lives in runtime parameters
   ``deadline.<kind>_days`` and ``deadline.<kind>_working_days`` (app/system/params.py);
   a change applies to rows created afterwards, and rows keep the deadline they were
   promised. A module with a new kind appends those two ParamSpecs.
2. A list shows ``remaining_text(row.due_at)`` in its 剩余处理时间 column and may colour
   the cell by ``state(row.due_at)`` (``ok`` / ``due_soon`` / ``overdue``); stopped
   clocks (finished items) show nothing. Sort by the column itself, or by
   ``remaining_seconds_expr(Model.due_at)`` when the seconds themselves are needed.
3. A scheduled job finds what is overdue with one indexed query, no rows loaded first::

       select(Complaint.id).where(overdue_clause(Complaint.due_at),
                                  Complaint.status.in_(OPEN))

   and what falls due in the next hours with ``due_within_clause(Complaint.due_at, 24)``.

Overdue means ``due < now``; at ``due == now`` nothing is left but nothing is overdue
either. "Due soon" means ``now <= due <= now + deadline.due_soon_hours``; the SQL clauses
use the same bounds as :func:`state`.
"""
from datetime import date, datetime, timedelta

import chinese_calendar
from flask_babel import gettext as _
from sqlalchemy import DateTime, Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.core.mixins import now as _now

UNITS = ("days", "hours")
CALENDARS = ("calendar", "working")

OK = "ok"
DUE_SOON = "due_soon"
OVERDUE = "overdue"


# --- counting ---------------------------------------------------------------------------

def is_working_day(day: date) -> bool:
    """True on a Chinese working day (adjusted Saturdays and Sundays included, statutory
    holidays excluded); Monday–Friday for years ``chinese_calendar`` has no data for."""
    if isinstance(day, datetime):
        day = day.date()
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_at(start: datetime, amount: int, unit: str = "days", calendar: str = "calendar") -> datetime:
    """When a deadline of ``amount`` ``unit`` from ``start`` ends (rules in the module doc)."""
    if unit not in UNITS:
        raise ValueError(f"unknown deadline unit {unit!r}")
    if calendar not in CALENDARS:
        raise ValueError(f"unknown deadline calendar {calendar!r}")
    amount = int(amount)
    if amount < 0:
        raise ValueError("a deadline cannot be negative")
    if calendar == "calendar":
        return start + (timedelta(hours=amount) if unit == "hours" else timedelta(days=amount))
    if unit != "days":
        raise ValueError("working-day deadlines are counted in days")
    day = start.date()
    if is_working_day(day):
        for _i in range(amount):
            day = _next_working_day(day)
        return datetime.combine(day, start.time())
    # Non-working start: the next working day is day 1, due at its end (00:00 after it).
    day = _next_working_day(day)
    if amount == 0:
        return datetime.combine(day, datetime.min.time())
    for _i in range(amount - 1):
        day = _next_working_day(day)
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def policy(kind: str) -> tuple[int, str]:
    """``(days, calendar)`` for a kind of deadline, from ``deadline.<kind>_days`` and
    ``deadline.<kind>_working_days``."""
    from app.system.params import PARAMS, get_param

    key = f"deadline.{kind}_days"
    if key not in PARAMS:
        raise ValueError(f"no deadline parameters for {kind!r}")
    working_key = f"deadline.{kind}_working_days"
    working = get_param(working_key) if working_key in PARAMS else False
    return get_param(key), ("working" if working else "calendar")


def due_for(kind: str, start: datetime) -> datetime:
    """The due time of a ``kind`` (e.g. ``"complaint"``) started at ``start``, by the current
    parameters. Store the result on the row (see the module doc)."""
    days, calendar = policy(kind)
    return due_at(start, days, "days", calendar)


CYCLE_UNITS = ("day", "week", "month", "year")


def add_cycle(day: date, value: int, unit: str) -> date:
    """The day ``value`` calendar ``unit``s (``day``, ``week``, ``month``, ``year``) after
    ``day``: the next due date of a recurring task (巡检、维保周期).

    Months and years keep the day of the month, or take the month's last day when the
    target month is shorter: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year); Feb 29 +
    1 year = Feb 28. Counting each cycle from the previous real date (not from the
    clamped one) never drifts. A ``datetime`` keeps its time of day."""
    value = int(value)
    if value < 0:
        raise ValueError("a cycle cannot be negative")
    if unit == "day":
        return day + timedelta(days=value)
    if unit == "week":
        return day + timedelta(weeks=value)
    if unit not in ("month", "year"):
        raise ValueError(f"unknown cycle unit {unit!r}")
    import calendar as _calendar

    months = value if unit == "month" else value * 12
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return day.replace(year=year, month=month, day=min(day.day, _calendar.monthrange(year, month)[1]))


# --- showing ----------------------------------------------------------------------------

def remaining_text(due: datetime, now: datetime | None = None) -> str:
    """``4天23小时56分`` before the deadline, ``超期181天12小时`` after it (in the user's language).

    Remaining time is whole minutes rounded down, leading zero parts left out (``23小时5分``,
    ``5分``, inner zeros kept: ``4天0小时5分``), ``不足1分钟`` under a minute. Overdue time is
    whole hours rounded down (``超期3小时``), ``超期不足1小时`` under an hour.
    """
    now = now or _now()
    seconds = int((due - now).total_seconds())
    if due >= now:
        minutes = seconds // 60
        d, rest = divmod(minutes, 24 * 60)
        h, m = divmod(rest, 60)
        if d:
            return _("%(d)s days %(h)s hours %(m)s minutes", d=d, h=h, m=m)
        if h:
            return _("%(h)s hours %(m)s minutes", h=h, m=m)
        if m:
            return _("%(m)s minutes", m=m)
        return _("Less than 1 minute")
    hours = int((now - due).total_seconds()) // 3600
    d, h = divmod(hours, 24)
    if d:
        return _("Overdue by %(d)s days %(h)s hours", d=d, h=h)
    if h:
        return _("Overdue by %(h)s hours", h=h)
    return _("Overdue by less than 1 hour")


def state(due: datetime, now: datetime | None = None, soon_hours: int | None = None) -> str:
    """``"overdue"`` after the deadline, ``"due_soon"`` within ``deadline.due_soon_hours``
    (or ``soon_hours``) of it, else ``"ok"``."""
    now = now or _now()
    if due < now:
        return OVERDUE
    if soon_hours is None:
        from app.system.params import get_param

        soon_hours = get_param("deadline.due_soon_hours")
    if due <= now + timedelta(hours=soon_hours):
        return DUE_SOON
    return OK


# --- SQL --------------------------------------------------------------------------------

def _when(now):
    return literal(now or _now(), DateTime())


def overdue_clause(column, now: datetime | None = None):
    """``column < now``: the rows whose deadline has passed (uses the column's index)."""
    return column < _when(now)


def due_within_clause(column, hours: int, now: datetime | None = None):
    """``now <= column <= now + hours``: not overdue yet, but due within ``hours``."""
    now = now or _now()
    return column.between(_when(now), _when(now + timedelta(hours=hours)))


class RemainingSeconds(ColumnElement):
    """Seconds from ``now`` to a datetime expression (negative when overdue)."""

    inherit_cache = True
    type = Float()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("now", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, now):
        self.column = column
        self.now = now


@compiles(RemainingSeconds)
def _remaining_default(element, compiler, **kw):
    # PostgreSQL and the SQL standard: timestamp - timestamp is an interval.
    return "EXTRACT(EPOCH FROM (%s - CAST(%s AS TIMESTAMP)))" % (
        compiler.process(element.column, **kw), compiler.process(element.now, **kw))


@compiles(RemainingSeconds, "sqlite")
def _remaining_sqlite(element, compiler, **kw):
    # SQLite stores DateTime as ISO text; julianday() parses it (fractional days, ~ms).
    return "((julianday(%s) - julianday(%s)) * 86400.0)" % (
        compiler.process(element.column, **kw), compiler.process(element.now, **kw))


def remaining_seconds_expr(column, now: datetime | None = None):
    """A SQL expression for the seconds left until ``column`` (negative when overdue), for
    ordering and filtering on SQLite and PostgreSQL. A float; on SQLite accurate to about a
    millisecond."""
    return RemainingSeconds(column, _when(now))
