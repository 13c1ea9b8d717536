"""Calendar cycles for recurring care (巡检、维保周期): days, weeks, months and years, with
month ends clamped to the target month's last day and leap years."""
from datetime import date, datetime

import pytest

from app.core.deadlines import add_cycle


@pytest.mark.parametrize("start, value, unit, expected", [
    (date(2025, 1, 1), 15, "day", date(2025, 1, 16)),
    (date(2025, 12, 20), 15, "day", date(2026, 1, 4)),          # across a year end
    (date(2024, 2, 20), 10, "day", date(2024, 3, 1)),           # leap February has 29 days
    (date(2025, 2, 20), 10, "day", date(2025, 3, 2)),
    (date(2025, 3, 3), 2, "week", date(2025, 3, 17)),
    (date(2025, 12, 29), 1, "week", date(2026, 1, 5)),
    (date(2025, 1, 31), 1, "month", date(2025, 2, 28)),         # month end clamped
    (date(2024, 1, 31), 1, "month", date(2024, 2, 29)),         # leap year
    (date(2025, 3, 31), 1, "month", date(2025, 4, 30)),
    (date(2025, 1, 15), 1, "month", date(2025, 2, 15)),
    (date(2025, 11, 30), 3, "month", date(2026, 2, 28)),        # across a year end
    (date(2025, 12, 31), 1, "month", date(2026, 1, 31)),
    (date(2025, 8, 31), 6, "month", date(2026, 2, 28)),
    (date(2025, 1, 31), 13, "month", date(2026, 2, 28)),
    (date(2024, 2, 29), 1, "year", date(2025, 2, 28)),          # leap day
    (date(2024, 2, 29), 4, "year", date(2028, 2, 29)),
    (date(2025, 6, 10), 2, "year", date(2027, 6, 10)),
    (date(2025, 6, 10), 0, "month", date(2025, 6, 10)),
])
def test_add_cycle(start, value, unit, expected):
    assert add_cycle(start, value, unit) == expected


def test_cycles_counted_from_the_real_date_do_not_drift():
    # Jan 31 -> Feb 28 -> (from Feb 28) Mar 28: the caller counts from the last real date.
    first = add_cycle(date(2025, 1, 31), 1, "month")
    assert first == date(2025, 2, 28)
    assert add_cycle(first, 1, "month") == date(2025, 3, 28)
    assert add_cycle(date(2025, 1, 31), 2, "month") == date(2025, 3, 31)


def test_datetime_keeps_its_time_of_day():
    assert add_cycle(datetime(2025, 1, 31, 9, 30), 1, "month") == datetime(2025, 2, 28, 9, 30)


def test_bad_unit_or_negative_value_refused():
    with pytest.raises(ValueError):
        add_cycle(date(2025, 1, 1), 1, "fortnight")
    with pytest.raises(ValueError):
        add_cycle(date(2025, 1, 1), -1, "day")
