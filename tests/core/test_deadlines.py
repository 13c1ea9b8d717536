"""Deadline engine: calendar and Chinese working-day counting on the real holiday data
(National Day 2024, Spring Festival 2025), starts on non-working days, the fallback beyond
chinese_calendar's years, the 剩余处理时间 wording of seed 003 §13, the state, the runtime
parameters, and the SQL expressions on the test database (SQLite, or PostgreSQL in CI)."""
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from flask_babel import force_locale
from sqlalchemy import DateTime, literal, select, text

from app.core import deadlines
from app.core.deadlines import (due_at, due_for, due_within_clause, is_working_day, overdue_clause,
                                remaining_seconds_expr, remaining_text, state)
from app.extensions import db

# The Chinese lines of /tmp/tsv/deadlines.tsv (merged into translations/ by the maintainers).
ZH = {
    "%(d)s days %(h)s hours %(m)s minutes": "%(d)s天%(h)s小时%(m)s分",
    "%(h)s hours %(m)s minutes": "%(h)s小时%(m)s分",
    "%(m)s minutes": "%(m)s分",
    "Less than 1 minute": "不足1分钟",
    "Overdue by %(d)s days %(h)s hours": "超期%(d)s天%(h)s小时",
    "Overdue by %(h)s hours": "超期%(h)s小时",
    "Overdue by less than 1 hour": "超期不足1小时",
    "Complaint handling deadline (days)": "需求及建议处理期限（天）",
    "Complaint deadline counts working days only": "需求及建议处理期限只计工作日",
    "Hours before a deadline counted as due soon": "临近期限提醒时间（小时）",
}


@pytest.fixture
def zh(ctx):
    """The Chinese locale, from the real compiled catalog."""
    with force_locale("zh"):
        yield ctx


# --- calendar time ----------------------------------------------------------------------

def test_calendar_days_and_hours_cross_month_and_year_ends():
    assert due_at(datetime(2024, 10, 17, 17, 23), 5) == datetime(2024, 10, 22, 17, 23)
    assert due_at(datetime(2024, 1, 31, 8, 0), 1) == datetime(2024, 2, 1, 8, 0)
    assert due_at(datetime(2024, 2, 28, 23, 30), 1) == datetime(2024, 2, 29, 23, 30)   # leap year
    assert due_at(datetime(2023, 2, 28, 23, 30), 1) == datetime(2023, 3, 1, 23, 30)
    assert due_at(datetime(2025, 12, 29, 12, 0), 5, "days", "calendar") == datetime(2026, 1, 3, 12, 0)
    # Calendar days ignore holidays: National Day is counted like any other day.
    assert due_at(datetime(2024, 9, 27, 10, 0), 5) == datetime(2024, 10, 2, 10, 0)
    assert due_at(datetime(2024, 3, 31, 22, 0), 5, "hours") == datetime(2024, 4, 1, 3, 0)
    assert due_at(datetime(2024, 12, 31, 23, 59, 30), 1, "hours") == datetime(2025, 1, 1, 0, 59, 30)
    assert due_at(datetime(2024, 5, 5, 9, 0), 0) == datetime(2024, 5, 5, 9, 0)


def test_bad_arguments_are_refused():
    start = datetime(2024, 5, 6, 9, 0)
    with pytest.raises(ValueError):
        due_at(start, -1)
    with pytest.raises(ValueError):
        due_at(start, 1, "weeks")
    with pytest.raises(ValueError):
        due_at(start, 1, "days", "lunar")
    with pytest.raises(ValueError):
        due_at(start, 1, "hours", "working")
    with pytest.raises(ValueError):
        due_for("no_such_kind", start)


# --- Chinese working days ---------------------------------------------------------------

def test_the_holiday_data_used_below():
    """Cross-check of chinese_calendar itself; the expectations below are hand-computed."""
    workday = chinese_calendar.is_workday
    assert workday(date(2024, 9, 29)) and workday(date(2024, 10, 12))            # 调休 Sun, Sat
    assert not any(workday(date(2024, 10, d)) for d in range(1, 8))             # 国庆 10-01..07
    assert not workday(date(2024, 9, 28)) and not workday(date(2024, 10, 13))
    assert workday(date(2025, 1, 26)) and workday(date(2025, 2, 8))              # 调休 Sun, Sat
    assert not any(workday(date(2025, 1, 28) + timedelta(days=i)) for i in range(8))  # 春节
    assert is_working_day(datetime(2024, 9, 29, 10, 0)) and not is_working_day(date(2024, 10, 1))


def test_national_day_2024_skips_the_holiday_and_counts_adjusted_days():
    start = datetime(2024, 9, 27, 10, 0)     # Friday, a working day
    # 1: Sun 09-29 (调休), 2: Mon 09-30, 10-01..07 holiday, 3: 10-08, 4: 10-09, 5: 10-10
    assert due_at(start, 1, "days", "working") == datetime(2024, 9, 29, 10, 0)
    assert due_at(start, 2, "days", "working") == datetime(2024, 9, 30, 10, 0)
    assert due_at(start, 3, "days", "working") == datetime(2024, 10, 8, 10, 0)
    assert due_at(start, 5, "days", "working") == datetime(2024, 10, 10, 10, 0)
    # 6: Fri 10-11, 7: Sat 10-12 (调休), Sun 10-13 off, 8: Mon 10-14
    assert due_at(start, 7, "days", "working") == datetime(2024, 10, 12, 10, 0)
    assert due_at(start, 8, "days", "working") == datetime(2024, 10, 14, 10, 0)
    assert due_at(start, 0, "days", "working") == start


def test_spring_festival_2025():
    start = datetime(2025, 1, 24, 9, 30)     # Friday
    # 1: Sun 01-26 (调休), 2: Mon 01-27, 01-28..02-04 holiday, 3: Wed 02-05
    assert due_at(start, 1, "days", "working") == datetime(2025, 1, 26, 9, 30)
    assert due_at(start, 3, "days", "working") == datetime(2025, 2, 5, 9, 30)
    # 4: 02-06, 5: 02-07, 6: Sat 02-08 (调休), 7: Mon 02-10
    assert due_at(start, 5, "days", "working") == datetime(2025, 2, 7, 9, 30)
    assert due_at(start, 6, "days", "working") == datetime(2025, 2, 8, 9, 30)
    assert due_at(start, 7, "days", "working") == datetime(2025, 2, 10, 9, 30)
    # Calendar days for comparison: straight through the holiday.
    assert due_at(start, 5) == datetime(2025, 1, 29, 9, 30)


def test_a_start_on_a_non_working_day_counts_from_the_next_working_day_in_full():
    # Thursday 2024-10-03 (National Day): day 1 is Tue 10-08, due at its end.
    assert due_at(datetime(2024, 10, 3, 15, 0), 1, "days", "working") == datetime(2024, 10, 9, 0, 0)
    # 1: 10-08, 2: 10-09, 3: 10-10, 4: 10-11, 5: Sat 10-12 (调休) → end of 10-12
    assert due_at(datetime(2024, 10, 3, 15, 0), 5, "days", "working") == datetime(2024, 10, 13, 0, 0)
    # An ordinary Saturday before an adjusted Sunday: day 1 is Sun 09-29.
    assert due_at(datetime(2024, 9, 28, 23, 0), 1, "days", "working") == datetime(2024, 9, 30, 0, 0)
    # Spring Festival Eve 2025-01-28: 1: 02-05, 2: 02-06, 3: 02-07 → end of Friday 02-07.
    assert due_at(datetime(2025, 1, 28, 8, 0), 3, "days", "working") == datetime(2025, 2, 8, 0, 0)
    # Amount 0: the clock starts at 00:00 of the next working day.
    assert due_at(datetime(2024, 10, 3, 15, 0), 0, "days", "working") == datetime(2024, 10, 8, 0, 0)


def test_years_without_holiday_data_fall_back_to_monday_to_friday():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    assert is_working_day(date(2027, 1, 1))            # a Friday: no holiday data, so working
    assert not is_working_day(date(2027, 1, 2))        # Saturday
    # Thu 2026-12-31 (known data) → 1: Fri 2027-01-01, 2: Mon 2027-01-04 (fallback)
    assert due_at(datetime(2026, 12, 31, 10, 0), 2, "days", "working") == datetime(2027, 1, 4, 10, 0)
    assert due_at(datetime(2003, 6, 7, 10, 0), 1, "days", "working") == datetime(2003, 6, 10, 0, 0)


# --- wording ----------------------------------------------------------------------------

def test_remaining_and_overdue_wording_of_the_seed(zh):
    # Seed 003 §13: submitted 2024-10-17 17:23, five days, seen four minutes later.
    due = due_at(datetime(2024, 10, 17, 17, 23), 5)
    assert remaining_text(due, now=datetime(2024, 10, 17, 17, 27)) == "4天23小时56分"
    # Submitted 2024-04-09 17:08, due 04-14 17:08, seen 181 days 12 hours 40 minutes later.
    due = due_at(datetime(2024, 4, 9, 17, 8), 5)
    assert remaining_text(due, now=due + timedelta(days=181, hours=12, minutes=40)) == "超期181天12小时"
    due = due_at(datetime(2023, 11, 30, 15, 6), 5)
    assert remaining_text(due, now=due + timedelta(days=309, hours=17, seconds=1)) == "超期309天17小时"


def test_remaining_wording_at_several_offsets(zh):
    due = datetime(2024, 10, 22, 17, 23)
    cases = [
        (timedelta(days=4, minutes=5), "4天0小时5分"),               # inner zeros kept
        (timedelta(days=1), "1天0小时0分"),
        (timedelta(hours=23, minutes=5, seconds=59), "23小时5分"),   # minutes rounded down
        (timedelta(hours=1), "1小时0分"),
        (timedelta(minutes=5, seconds=30), "5分"),
        (timedelta(seconds=59), "不足1分钟"),
        (timedelta(0), "不足1分钟"),                                  # due now: not overdue yet
        (-timedelta(seconds=1), "超期不足1小时"),
        (-timedelta(minutes=59, seconds=59), "超期不足1小时"),
        (-timedelta(hours=3, minutes=59), "超期3小时"),
        (-timedelta(days=1), "超期1天0小时"),
        (-timedelta(days=2, hours=5, minutes=30), "超期2天5小时"),
    ]
    for left, expected in cases:
        assert remaining_text(due, now=due - left) == expected, left


def test_english_wording(ctx):
    due = datetime(2024, 10, 22, 17, 23)
    with force_locale("en"):
        assert remaining_text(due, now=due - timedelta(days=4, hours=23, minutes=56)) == \
               "4 days 23 hours 56 minutes"
        assert remaining_text(due, now=due - timedelta(minutes=5)) == "5 minutes"
        assert remaining_text(due, now=due + timedelta(days=181, hours=12)) == "Overdue by 181 days 12 hours"
        assert remaining_text(due, now=due + timedelta(minutes=5)) == "Overdue by less than 1 hour"


def test_every_message_has_a_chinese_line():
    from babel.messages.extract import extract_from_file

    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None}
    used = {msg for _n, msg, _c, _x in extract_from_file("python", deadlines.__file__, keywords=keywords)}
    assert used <= set(ZH)
    for msgid, line in ZH.items():
        assert line != msgid
        for name in ("d", "h", "m"):
            assert (f"%({name})s" in msgid) == (f"%({name})s" in line), msgid


# --- state and parameters ---------------------------------------------------------------

def _set_param(key, value):
    db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"v": value, "k": key})


def test_state_uses_the_due_soon_parameter(ctx):
    from app.system.params import get_param

    assert get_param("deadline.due_soon_hours") == 24
    due = datetime(2024, 10, 22, 17, 23)
    assert state(due, now=due - timedelta(hours=25)) == "ok"
    assert state(due, now=due - timedelta(hours=24)) == "due_soon"
    assert state(due, now=due) == "due_soon"
    assert state(due, now=due + timedelta(seconds=1)) == "overdue"
    assert state(due, now=due - timedelta(hours=25), soon_hours=48) == "due_soon"
    try:
        _set_param("deadline.due_soon_hours", "48")
        assert state(due, now=due - timedelta(hours=25)) == "due_soon"
        assert state(due, now=due - timedelta(hours=49)) == "ok"
    finally:
        _set_param("deadline.due_soon_hours", "24")
        db.session.rollback()
    assert state(due, now=due - timedelta(hours=25)) == "ok"


def test_due_for_reads_the_complaint_policy(ctx):
    from app.system.params import PARAMS, get_param

    assert {k: PARAMS[k].group for k in PARAMS if k.startswith("deadline.")} == {
        "deadline.complaint_days": "deadline", "deadline.complaint_working_days": "deadline",
        "deadline.due_soon_hours": "deadline", "deadline.application_review_days": "deadline"}
    assert get_param("deadline.complaint_days") == 5
    assert get_param("deadline.complaint_working_days") is False
    start = datetime(2024, 9, 27, 10, 0)
    assert due_for("complaint", start) == datetime(2024, 10, 2, 10, 0)
    try:
        _set_param("deadline.complaint_working_days", "true")
        assert due_for("complaint", start) == datetime(2024, 10, 10, 10, 0)
        _set_param("deadline.complaint_days", "7")
        assert due_for("complaint", start) == datetime(2024, 10, 12, 10, 0)
        _set_param("deadline.complaint_working_days", "false")
        assert due_for("complaint", start) == datetime(2024, 10, 4, 10, 0)
    finally:
        _set_param("deadline.complaint_days", "5")
        _set_param("deadline.complaint_working_days", "false")
        db.session.rollback()
    assert due_for("complaint", start) == datetime(2024, 10, 2, 10, 0)


# --- SQL --------------------------------------------------------------------------------

def test_remaining_seconds_without_a_table(ctx):
    now = datetime(2024, 10, 17, 17, 27)
    due = literal(datetime(2024, 10, 22, 17, 23), DateTime())
    seconds = db.session.execute(select(remaining_seconds_expr(due, now))).scalar()
    assert float(seconds) == pytest.approx(4 * 86400 + 23 * 3600 + 56 * 60, abs=0.5)
    seconds = db.session.execute(select(remaining_seconds_expr(literal(now, DateTime()),
                                                               now + timedelta(hours=2)))).scalar()
    assert float(seconds) == pytest.approx(-7200, abs=0.5)


def test_overdue_and_due_soon_queries_on_a_real_table(ctx):
    from app.core.workflow import Application
    from app.security.models import AnjuUser  # noqa: F401  (the applicant's table)

    user_id = db.session.execute(text("SELECT MIN(id) FROM ab_user")).scalar()
    now = datetime(2024, 10, 17, 17, 27)
    rows = {
        "DLTEST-OVERDUE": now - timedelta(days=181, hours=12),
        "DLTEST-JUSTNOW": now - timedelta(seconds=30),
        "DLTEST-SOON": now + timedelta(hours=5, minutes=30),
        "DLTEST-LATER": now + timedelta(days=4, hours=23, minutes=56),
    }
    try:
        for number, due in rows.items():
            db.session.add(Application(number=number, app_type="deadline_test", title=number,
                                       status="submitted", applicant_id=user_id, submitted_at=due))
        db.session.flush()
        mine = Application.app_type == "deadline_test"
        col = Application.submitted_at

        overdue = db.session.execute(select(Application.number).where(mine, overdue_clause(col, now))
                                     .order_by(Application.number)).scalars().all()
        assert overdue == ["DLTEST-JUSTNOW", "DLTEST-OVERDUE"]
        soon = db.session.execute(select(Application.number).where(mine, due_within_clause(col, 24, now))
                                  ).scalars().all()
        assert soon == ["DLTEST-SOON"]

        secs = remaining_seconds_expr(col, now)
        listed = db.session.execute(select(Application.number, secs).where(mine).order_by(secs)).all()
        assert [n for n, _s in listed] == ["DLTEST-OVERDUE", "DLTEST-JUSTNOW", "DLTEST-SOON", "DLTEST-LATER"]
        for number, seconds in listed:
            assert float(seconds) == pytest.approx((rows[number] - now).total_seconds(), abs=0.5)
        # Filtering by the expression works too (a second, differently bound statement).
        later = db.session.execute(select(Application.number).where(mine, remaining_seconds_expr(
            col, now + timedelta(hours=6)) > 0)).scalars().all()
        assert later == ["DLTEST-LATER"]
    finally:
        db.session.rollback()
