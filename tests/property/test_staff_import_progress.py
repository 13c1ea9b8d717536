"""Progress of the staff import (issue 17: background imports show how far they are): the
engine and the staff services report reading, checking and writing through app.core.progress,
in that order and with growing counts, and a cancel asked while checking stops the import
before anything is written."""
import io
import itertools
from datetime import date, timedelta

import pytest
import xlsxwriter
from sqlalchemy import func, select

from app.core import progress, xlsx
from app.core.validators import id_check_char
from app.extensions import db
from app.property.models import Staff
from app.property.staff import services
from tests.complaints.helpers import user
from tests.property.test_staff import new_area, new_mobile, uniq
from tests.property.test_staff_import import HEADER

#: More rows than two checking reports (every 2,000) and than one insert batch (5,000).
ROWS = 5_500


_batch = itertools.count(1)


def ids(rows):
    """ID numbers of their own (region 650102, birth dates and sequence numbers no other test
    uses), since these tests make thousands of them."""
    batch = next(_batch)
    for i in range(rows):
        first17 = f"650102{date(1950, 1, 1) + timedelta(days=i):%Y%m%d}{900 + batch:03d}"
        yield first17 + id_check_char(first17)


def hr_workbook(tag, area_name, rows=ROWS):
    """An HR export of ``rows`` people, written as such exports are (xlsxwriter)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("从业人员")
    ws.write_row(0, 0, HEADER)
    for i, number in enumerate(ids(rows)):
        ws.write_row(i + 1, 0, [f"{tag}{i:05d}", new_mobile(), number, "保洁",
                                area_name if i % 2 else "", "2023-05-01", ""])
    wb.close()
    return buf.getvalue()


def read(data):
    from app.property.staff.views import STAFF_COLUMNS, StaffView

    return xlsx.read_import(data, STAFF_COLUMNS, unique=StaffView.import_unique)


def count_named(prefix):
    return db.session.execute(select(func.count()).select_from(Staff)
                              .where(Staff.name.startswith(prefix))).scalar()


def blocks(seen):
    """The phases in the order they were reported, each run of reports counted once."""
    return [p for i, (p, _d, _t) in enumerate(seen) if i == 0 or seen[i - 1][0] != p]


def counts(seen, phase):
    """(done, total) of one phase's reports that carry figures (a bare checkpoint has -1)."""
    return [(d, t) for p, d, t in seen if p == phase and d >= 0]


def test_reading_checking_and_writing_are_reported_in_order(ctx):
    _area_id, area_name = new_area(ctx)
    tag = uniq("进度甲")
    data = hr_workbook(tag, area_name)
    actor = user("ent_a")
    seen = []

    def listener(phase, done, total):
        seen.append((phase, done, total))
        return False  # nobody cancels

    with progress.listening(listener):
        result = read(data)
        assert result.ok, result.errors[:3]
        assert len(result.rows) == ROWS
        assert services.validate_import(actor, result.rows) == []
        assert services.import_rows(actor, result.rows) == ROWS
    try:
        assert count_named(tag) == ROWS
        assert blocks(seen) == ["reading", "checking", "writing"]

        reading = counts(seen, "reading")
        assert reading[0] == (0, None)  # before the workbook is opened
        assert reading[-1][0] == reading[-1][1] == ROWS + 1  # the sheet's rows, header included

        checking = counts(seen, "checking")
        done = [d for d, _t in checking]
        assert done == sorted(done) and done[0] == 0 and done[-1] == ROWS
        assert {2_000, 4_000} <= set(done)  # at least every 2,000 rows
        assert all(t is not None and d <= t for d, t in checking)

        writing = counts(seen, "writing")
        assert [d for d, _t in writing] == sorted(d for d, _t in writing)
        assert writing[0] == (0, ROWS) and writing[-1] == (ROWS, ROWS)
        assert 5_000 in {d for d, _t in writing}  # between insert batches
    finally:
        db.session.rollback()
    assert count_named(tag) == 0


def test_a_cancel_while_checking_propagates_and_nothing_is_written(ctx):
    _area_id, area_name = new_area(ctx)
    tag = uniq("进度乙")
    data = hr_workbook(tag, area_name)
    phases = []

    def cancel_at_2000(phase, done, total):
        phases.append(phase)
        return phase == "checking" and done >= 2_000

    with progress.listening(cancel_at_2000), pytest.raises(progress.Cancelled):
        read(data)
    assert phases[-1] == "checking" and "writing" not in phases

    # The database checks stop too when the user cancels while they run.
    result = read(data)
    assert result.ok
    with progress.listening(lambda phase, done, total: phase == "checking"), \
            pytest.raises(progress.Cancelled):
        services.validate_import(user("ent_a"), result.rows)
    db.session.rollback()
    assert count_named(tag) == 0


def test_outside_a_task_nothing_listens(ctx):
    """Without a listener (an import run by a page) the reports are no-ops."""
    assert not progress.active()
    _area_id, area_name = new_area(ctx)
    result = read(hr_workbook(uniq("进度丙"), area_name, rows=10))
    assert result.ok and len(result.rows) == 10
