"""The import's row check is compiled per import (issue 17: a 200,000-row staff import at 30,000
rows/s): the compiled check must answer exactly as the reference loop does, cell for cell, for
every kind of column and every awkward cell a spreadsheet from the wild holds."""
import itertools
import random
from datetime import date, datetime, time

import pytest

from app.core import validators
from app.core.xlsx import checking
from app.core.xlsx.columns import XColumn


def _upper_or_refuse(value):
    if value == "坏":
        raise ValueError("不接受“坏”")
    if value == "假":
        return False
    return value.upper() if isinstance(value, str) else value


COLUMNS = [
    XColumn("name", "姓名", required=True, max_length=6),
    XColumn("note", "备注", max_length=4),
    XColumn("free", "说明"),
    XColumn("id_number", "身份证号", kind="id_number", required=True),
    XColumn("mobile", "手机号码", kind="mobile"),
    XColumn("credit", "统一社会信用代码", kind="credit_code"),
    XColumn("count", "数量", kind="int"),
    XColumn("amount", "金额", kind="decimal"),
    XColumn("day", "日期", kind="date"),
    XColumn("moment", "时间", kind="datetime"),
    XColumn("flag", "是否", kind="bool"),
    XColumn("post", "岗位", kind="choice", choices=[("a", "保洁"), ("b", "客服")]),
    XColumn("code", "编码", validator=_upper_or_refuse, max_length=5),
    XColumn("absent", "不在表中", required=True),
    XColumn("absent_optional", "不在表中可选"),
]

CELLS = [
    None, "", " ", "  x  ", "张三", "张三丰是个长名字", "'=1+1", "'-", "‘110101199003070016", "'abc", "＇12",
    "110101199003070016", "110101199003070016 ", "11010119900307001X", "11010119900307001x", "110101199003070015",
    "13800138000", "１３８００１３８０００", "+86 138-0013-8000", 13800138000.0, 1.10101199003e17, 3.5, 7, 0, True,
    False, "是", "否", "y", "保洁", "b", "客服 ", "91350100M000100Y43", "坏", "假", "abcdef", "abc",
    date(2024, 1, 2), datetime(2024, 1, 2, 3, 4), time(5, 6), "2024/1/2", "2024年1月2日", "2024-13-01", "12", "-3",
    "1e5", "x" * 300,
]


def _pair(monkeypatch, positions):
    """The compiled check and the reference loop over the same columns and sheet layout."""
    specs_a = checking._specs(COLUMNS, positions)
    specs_b = checking._specs(COLUMNS, positions)
    result_a, result_b = checking.ImportResult(), checking.ImportResult()
    errors_a, errors_b = checking._Errors(result_a, 50), checking._Errors(result_b, 50)
    compiled = checking.row_checker(specs_a, set(), result_a, errors_a)
    with monkeypatch.context() as m:
        m.setattr(checking, "_unrolled_checker", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("loop")))
        loop = checking.row_checker(specs_b, set(), result_b, errors_b)
    assert compiled.__code__.co_filename == "<import row check>"
    assert loop.__code__.co_filename != "<import row check>"
    return (compiled, result_a), (loop, result_b)


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_row_check_answers_as_the_loop_does(app, monkeypatch, seed):
    rng = random.Random(seed)
    present = [c.key for c in COLUMNS if not c.key.startswith("absent")]
    order = present[:]
    rng.shuffle(order)
    positions = {key: i for i, key in enumerate(order)}
    with app.test_request_context("/"):
        (compiled, got), (loop, want) = _pair(monkeypatch, positions)
        width = len(order)
        for row_no in range(2, 602):
            cells = [rng.choice(CELLS) for _ in range(width)]
            if row_no % 50 == 0:
                cells = cells[:rng.randrange(width)]   # a short row: the columns beyond it are empty
            assert compiled(row_no, list(cells)) == loop(row_no, list(cells)), (row_no, cells)
        assert got.error_count == want.error_count > 0
        assert [(e.row, e.column, e.value, str(e.reason), e.key, e.cell) for e in got.errors] == \
            [(e.row, e.column, e.value, str(e.reason), e.key, e.cell) for e in want.errors]
        assert [(e.row, e.column, str(e.reason)) for e in got.warnings] == \
            [(e.row, e.column, str(e.reason)) for e in want.warnings]


def test_every_cell_in_every_column_alone(app, monkeypatch):
    positions = {c.key: i for i, c in enumerate(c for c in COLUMNS if not c.key.startswith("absent"))}
    with app.test_request_context("/"):
        (compiled, got), (loop, want) = _pair(monkeypatch, positions)
        width = len(positions)
        for row_no, (col, cell) in enumerate(itertools.product(range(width), CELLS), 2):
            cells = ["张三" if i == 0 else ("110101199003070016" if i == 3 else None) for i in range(width)]
            cells[col] = cell
            assert compiled(row_no, list(cells)) == loop(row_no, list(cells)), (col, cell)
        assert [(e.row, e.column, e.value, str(e.reason)) for e in got.errors] == \
            [(e.row, e.column, e.value, str(e.reason)) for e in want.errors]
