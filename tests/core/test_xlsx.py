"""Tests for app.core.xlsx: export, template, import, error workbook.

Every workbook is a real .xlsx written in tmp_path by openpyxl or xlsxwriter (or a
real file with its sheet XML edited, for shapes those libraries cannot produce).
"""

from __future__ import annotations

import io
import os
import tempfile
import tracemalloc
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel import lazy_gettext as _l

from app.core import xlsx
from app.core.validators import ValidationError, id_check_char
from app.core.xlsx import (
    XLSX_MIMETYPE,
    ImportResult,
    Importer,
    RowError,
    XColumn,
    build_template,
    error_workbook,
    neutralize,
    read_import,
    run_import,
    write_xlsx,
)
from tests.workbooks import edit_sheet, numeric_cells, whole_grid_dimension

ID_OK = "11010519491231002X"
ID_OK2 = "440524188001010014"  # valid; born 1880 -> accepted with warnings
CREDIT_OK = "91350100M000100Y43"


def valid_id(n: int) -> str:
    first = f"110105{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first + id_check_char(first)


POSTS = [("cleaner", "保洁"), ("guard", "秩序维护"), ("other", "其他")]

COLUMNS = [
    XColumn("name", "姓名", required=True, max_length=10, example="张三"),
    XColumn("id_number", "身份证号码", kind="id_number", required=True, example=ID_OK),
    XColumn("mobile", "手机号码", kind="mobile", example="13800138000"),
    XColumn("credit_code", "统一社会信用代码", kind="credit_code"),
    XColumn("amount", "金额", kind="decimal"),
    XColumn("count", "数量", kind="int"),
    XColumn("birth", "出生日期", kind="date"),
    XColumn("seen_at", "登记时间", kind="datetime"),
    XColumn("active", "是否有效", kind="bool"),
    XColumn("post", "岗位", kind="choice", choices=POSTS),
]
HEADER = ["*姓名", "*身份证号码", "手机号码", "统一社会信用代码", "金额", "数量", "出生日期",
          "登记时间", "是否有效", "岗位"]


def make_xlsx(tmp_path: Path, rows: list[list], name: str = "upload.xlsx", setup=None) -> bytes:
    """Write ``rows`` (row 1 first) with openpyxl; return the file's bytes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员"
    for row in rows:
        ws.append(row)
    if setup:
        setup(ws)
    path = tmp_path / name
    wb.save(path)
    return path.read_bytes()


def good_row(**overrides) -> list:
    values = {"name": "张三", "id_number": ID_OK, "mobile": "13800138000",
              "credit_code": CREDIT_OK, "amount": "12.50", "count": 3,
              "birth": date(1990, 3, 7), "seen_at": datetime(2024, 1, 5, 9, 30),
              "active": "是", "post": "保洁"}
    values.update(overrides)
    return [values[c.key] for c in COLUMNS]


def only_error(result: ImportResult) -> RowError:
    assert len(result.errors) == 1, [e.message for e in result.errors]
    return result.errors[0]


def reasons(result: ImportResult) -> list[str]:
    return [e.message for e in result.errors]


# ---------------------------------------------------------------------------
# Declarations and helpers
# ---------------------------------------------------------------------------

def test_xcolumn_refuses_unknown_kind_and_choice_without_choices():
    with pytest.raises(ValueError):
        XColumn("x", "X", kind="float")
    with pytest.raises(ValueError):
        XColumn("x", "X", kind="choice")
    col = XColumn("x", _l("Post"), kind="choice", choices=lambda: [("a", _l("Cleaner"))])
    assert col.choice_pairs() == [("a", "Cleaner")]


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "+86 138"), ("-5", "-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("张三", "张三"), ("a=b", "a=b"), ("", ""),
    ("'quoted", "'quoted"),
])
def test_neutralize(text, expected):
    assert neutralize(text) == expected


def test_row_error_message_names_row_column_value_and_reason():
    err = RowError(5, "身份证号码", "123", "身份证号码应为18位")
    assert err.message == "Row 5, column 身份证号码 (value: 123): 身份证号码应为18位"
    assert str(RowError(None, None, "", "The file is empty.")) == "The file is empty."
    assert RowError(7, None, "", "x").message == "Row 7: x"


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

def test_write_xlsx_cells_and_layout(tmp_path):
    path = tmp_path / "export.xlsx"
    rows = [
        {"name": "=1+1", "id_number": ID_OK, "mobile": "+8613800138000", "credit_code": None,
         "amount": Decimal("12.50"), "count": 7, "birth": date(2024, 1, 5),
         "seen_at": datetime(2024, 1, 5, 10, 3, 4), "active": True, "post": "guard"},
        SimpleNamespace(name="@SUM(A1)", id_number=None, mobile=None, credit_code=None,
                        amount=None, count=12345678901234567, birth=None, seen_at=None,
                        active=False, post="unknown-code"),
    ]
    count = write_xlsx(path, COLUMNS, iter(rows), sheet_title="人员/名单[1]")
    assert count == 2

    # No cell of the file is a formula.
    with zipfile.ZipFile(path) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml

    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.title == "人员_名单_1_"
    assert [c.value for c in ws[1]] == [c.label for c in COLUMNS]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J3"
    # Widths fit the content (8..60, wide characters count 2); a declared width is a floor.
    assert ws.column_dimensions["A"].width == pytest.approx(10, abs=1)

    row = [c for c in ws[2]]
    assert row[0].value == "'=1+1" and row[0].data_type == "s"
    assert row[1].value == ID_OK and row[1].data_type == "s"
    assert row[2].value == "+8613800138000"  # a phone number is not a formula
    assert row[3].value is None
    assert row[4].value == 12.5 and row[4].data_type == "n"
    assert row[5].value == 7
    assert row[6].value == datetime(2024, 1, 5) and row[6].number_format == "yyyy-mm-dd"
    assert row[7].value == datetime(2024, 1, 5, 10, 3, 4)
    assert row[7].number_format == "yyyy-mm-dd hh:mm"  # shown to the minute, value whole
    assert row[8].value == "Yes"  # gettext("Yes"): 是 with the zh catalog
    assert row[9].value == "秩序维护"  # the choice label, not the code
    row = [c for c in ws[3]]
    assert row[0].value == "'@SUM(A1)"
    assert row[5].value == "12345678901234567"  # 17 digits: text, no digit lost
    assert row[8].value == "No"
    assert row[9].value == "unknown-code"


def test_write_xlsx_value_getter_and_file_object():
    buf = io.BytesIO()
    cols = [XColumn("a", "A"), XColumn("b", "B", kind="int")]
    n = write_xlsx(buf, cols, ({"x": i} for i in range(3)),
                   value_getter=lambda row, col: row["x"] if col.key == "b" else f"r{row['x']}")
    assert n == 3
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["r0", 0], ["r1", 1], ["r2", 2]]


def test_write_xlsx_empty_rows_still_gives_a_header():
    buf = io.BytesIO()
    assert write_xlsx(buf, COLUMNS, []) == 0
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws.max_row == 1 and ws["A1"].value == "姓名"


def test_write_xlsx_memory_does_not_grow_with_rows(tmp_path):
    cols = [XColumn("a", "A"), XColumn("b", "B", kind="int"), XColumn("c", "C", kind="date")]

    def peak(n: int) -> int:
        rows = ({"a": f"row {i} 中文", "b": i, "c": date(2024, 1, 1)} for i in range(n))
        tracemalloc.start()
        write_xlsx(tmp_path / f"m{n}.xlsx", cols, rows)
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(10)  # first use imports xlsxwriter's modules
    small, large = peak(1_000), peak(10_000)
    assert large < small + 256 * 1024, (small, large)


def test_stream_xlsx_response(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    app = Flask(__name__)
    Babel(app)
    done = []

    @app.route("/export")
    def export():
        rows = ({"name": f"张{i}", "count": i} for i in range(500))
        return xlsx.stream_xlsx_response("人员名单 2024.xlsx", COLUMNS, rows,
                                         sheet_title="人员", on_done=done.append, chunk_size=4096)

    resp = app.test_client().get("/export")
    body = resp.get_data()
    assert resp.status_code == 200
    assert resp.mimetype == XLSX_MIMETYPE
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%90%8D%E5%8D%95%202024.xlsx" in disposition
    assert int(resp.headers["Content-Length"]) == len(body)
    assert resp.headers["Cache-Control"] == "no-store"
    assert done == [500]
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    assert ws.title == "人员" and ws.max_row == 501 and ws["A501"].value == "张499"
    assert list(scratch.iterdir()) == []  # the temporary file is gone


def test_content_disposition_is_safe():
    value = xlsx.content_disposition('a"b\r\nc/报表.xlsx')
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="a_b')
    assert value.endswith("%E6%8A%A5%E8%A1%A8.xlsx")
    assert 'filename="export.xlsx"' in xlsx.content_disposition("报表.xlsx")


def test_bytes_response():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        resp = xlsx.bytes_response("模板.xlsx", b"PK\x03\x04data")
    assert resp.mimetype == XLSX_MIMETYPE
    assert resp.get_data() == b"PK\x03\x04data"
    assert "filename*=UTF-8''%E6%A8%A1%E6%9D%BF.xlsx" in resp.headers["Content-Disposition"]


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------

def test_build_template(tmp_path):
    data = build_template(COLUMNS, "从业人员", max_rows=5000)
    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    wb = openpyxl.load_workbook(path)
    ws, guide = wb.worksheets[0], wb.worksheets[1]
    assert ws.title == "从业人员"
    assert [c.value for c in ws[1]] == HEADER
    assert ws["A1"].font.color.rgb.endswith("C00000") and ws["A1"].font.b
    assert ws["C1"].font.color is None or not ws["C1"].font.color.rgb.endswith("C00000")
    assert ws.freeze_panes == "A2"
    # Examples live in the header notes, never in a data row.
    assert "张三" in ws["A1"].comment.text and ID_OK in ws["B1"].comment.text
    assert ws.max_row == xlsx.TEMPLATE_ROWS + 1 and all(c.value is None for c in ws[2])
    # Identifier columns are text for the first 5,000 rows; dates are dates.
    for letter in "BCD":
        assert ws[f"{letter}2"].number_format == "@"
        assert ws[f"{letter}5001"].number_format == "@"
    assert ws["G2"].number_format == "yyyy-mm-dd"
    # Drop-down lists: choice labels and yes/no.
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["J2:J5001"] == '"保洁,秩序维护,其他"'
    assert lists["I2:I5001"] == '"Yes,No"'
    # The instructions sheet lists every column.
    assert guide.title == "Filling instructions"
    text = [[c.value for c in row] for row in guide.iter_rows()]
    flat = "\n".join(str(v) for row in text for v in row if v)
    for col in COLUMNS:
        assert col.label in flat
    assert "保洁、秩序维护、其他" in flat
    assert "At most 5000 rows per file." in flat
    post_line = next(row for row in text if row[0] == "岗位")
    assert post_line[1] == "No"
    name_line = next(row for row in text if row[0] == "姓名")
    assert name_line[1] == "Yes" and "10" in name_line[2] and name_line[4] == "张三"


def test_template_long_choice_lists_go_to_a_hidden_sheet(tmp_path):
    many = [(f"c{i}", f"选项{i},含逗号") for i in range(60)]
    cols = [XColumn("post", "岗位", kind="choice", choices=lambda: many)]
    wb = openpyxl.load_workbook(io.BytesIO(build_template(cols, "T")))
    hidden = wb["_lists"]
    assert hidden.sheet_state == "hidden"
    assert hidden["A60"].value == "选项59,含逗号"
    dv = wb.worksheets[0].data_validations.dataValidation[0]
    assert dv.formula1 == "'_lists'!$A$1:$A$60"


def test_blank_template_imports_as_no_data_rows():
    result = read_import(build_template(COLUMNS, "从业人员"), COLUMNS)
    err = only_error(result)
    assert err.row is None and "no data rows below the header (row 1)" in err.reason


def test_filled_template_imports(tmp_path):
    path = tmp_path / "filled.xlsx"
    path.write_bytes(build_template(COLUMNS, "从业人员"))
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for i, value in enumerate(good_row(post="秩序维护", active="否"), start=1):
        ws.cell(row=2, column=i, value=value)
    ws["A4"] = "李四"
    ws["B4"] = ID_OK2
    wb.save(path)
    result = read_import(path, COLUMNS)
    assert result.ok, reasons(result)
    assert [r["_row"] for r in result.rows] == [2, 4]
    assert result.rows[0]["post"] == "guard" and result.rows[0]["active"] is False
    assert result.rows[1]["mobile"] is None
    assert len(result.warnings) == 2 and result.warnings[0].row == 4  # born 1880, old county


# ---------------------------------------------------------------------------
# Import: the file itself
# ---------------------------------------------------------------------------

def _xls_header() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def _zip_with(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in names.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("name, content, expected", [
    ("notes.txt", "姓名,身份证号码\n张三,110105\n".encode(), "text or CSV file"),
    ("gbk.csv", "姓名,身份证号码\n张三,1\n".encode("gbk"), "text or CSV file"),
    ("photo.xlsx", _png(), "not an Excel workbook (.xlsx)"),
    ("old.xlsx", _xls_header(), "Excel 97-2003 (.xls)"),
    ("report.docx", _zip_with({"word/document.xml": b"<w/>"}), "not an Excel workbook"),
    ("binary.xlsb", _zip_with({"xl/workbook.bin": b"\x00"}), "(.xlsb) are not accepted"),
    ("empty.xlsx", b"", "The file is empty."),
])
def test_files_that_are_not_xlsx(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    err = only_error(read_import(path.read_bytes(), COLUMNS))
    assert err.row is None and expected in err.reason
    if content:
        assert "save it as Excel Workbook (.xlsx)" in err.reason or expected == "The file is empty."


def test_a_file_read_where_it_lies_gets_the_same_verdicts_as_its_bytes(tmp_path):
    """A background import reads the server's copy of the upload from its path (never whole
    into memory): every refusal and every good row come out as from the bytes."""
    other_id = "11010119900307001" + id_check_char("11010119900307001")
    good = make_xlsx(tmp_path, [HEADER, good_row(), good_row(id_number=other_id)])
    bad_row = make_xlsx(tmp_path, [HEADER, good_row(mobile="12345")], name="bad.xlsx")
    cases = [("good.xlsx", good), ("bad.xlsx", bad_row), ("notes.txt", "姓名\n张三\n".encode()),
             ("old.xlsx", _xls_header()), ("empty.xlsx", b""), ("half.xlsx", good[: len(good) // 2]),
             ("binary.xlsb", _zip_with({"xl/workbook.bin": b"\x00"}))]
    for name, content in cases:
        path = tmp_path / ("copy-" + name)
        path.write_bytes(content)
        from_bytes = read_import(content, COLUMNS, unique=["id_number"])
        for source in (path, str(path)):
            from_path = read_import(source, COLUMNS, unique=["id_number"])
            assert [(e.row, e.column, e.reason) for e in from_path.errors] == \
                [(e.row, e.column, e.reason) for e in from_bytes.errors], name
            assert from_path.rows == from_bytes.rows, name
    assert len(read_import(tmp_path / "copy-good.xlsx", COLUMNS).rows) == 2
    big = tmp_path / "copy-good.xlsx"
    too_large = only_error(read_import(big, COLUMNS, max_bytes=len(good) - 1))
    assert too_large.row is None and "larger than" in too_large.reason
    missing = only_error(read_import(tmp_path / "nowhere.xlsx", COLUMNS))
    assert missing.row is None and "could not be read" in missing.reason


def test_corrupt_zip(tmp_path):
    data = make_xlsx(tmp_path, [HEADER, good_row()])
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    garbled = data[:start + 8] + bytes(b ^ 0x5A for b in data[start + 8:start + 60]) + \
        data[start + 60:]
    for broken in (data[: len(data) // 2], data[:-30], garbled):
        err = only_error(read_import(broken, COLUMNS))
        assert err.row is None and "damaged" in err.reason


def test_damaged_sheet_xml(tmp_path):
    data = edit_sheet(make_xlsx(tmp_path, [HEADER, good_row()]),
                          lambda xml: xml.replace(b"</sheetData>", b"<row><c r='A9'>"))
    err = only_error(read_import(data, COLUMNS))
    assert "damaged" in err.reason


def test_doctype_is_refused(tmp_path):
    data = edit_sheet(make_xlsx(tmp_path, [HEADER, good_row()]),
                          lambda xml: xml.replace(b"<worksheet", b"<!DOCTYPE x [<!ENTITY a 'b'>]><worksheet", 1))
    assert "damaged" in only_error(read_import(data, COLUMNS)).reason


def test_file_too_large(tmp_path):
    data = make_xlsx(tmp_path, [HEADER, good_row()])
    err = only_error(read_import(data, COLUMNS, max_bytes=1024))
    assert err.row is None and "larger than 1 KB" in err.reason
    err = only_error(read_import(io.BytesIO(data), COLUMNS, max_bytes=len(data) - 1))
    assert "larger than" in err.reason
    assert read_import(io.BytesIO(data), COLUMNS, max_bytes=len(data)).ok


def test_huge_used_area_is_refused_before_reading(tmp_path):
    # calamine would allocate 16,384 x 1,048,576 cells for this 5 KB file and abort.
    data = make_xlsx(tmp_path, [HEADER, good_row()],
                     setup=lambda ws: ws.__setitem__("XFD1048576", "x"))
    assert len(data) < 10_000
    err = only_error(read_import(data, COLUMNS))
    assert err.row is None and "XFD1048576" in err.reason and "too large" in err.reason


def test_empty_workbook_and_header_only(tmp_path):
    err = only_error(read_import(make_xlsx(tmp_path, []), COLUMNS))
    assert err.row is None and "first worksheet is empty" in err.reason
    err = only_error(read_import(make_xlsx(tmp_path, [HEADER, [None] * 10, []]), COLUMNS))
    assert err.row is None and "no data rows" in err.reason


def test_first_visible_sheet_is_read(tmp_path):
    def setup(ws):
        hidden = ws.parent.create_sheet("hidden", 0)
        hidden.sheet_state = "hidden"
        hidden.append(["junk"])
        ws.parent.create_sheet("other").append(["姓名"])

    result = read_import(make_xlsx(tmp_path, [HEADER, good_row()], setup=setup), COLUMNS)
    assert result.ok, reasons(result)
    assert result.sheet_name == "人员" and result.rows[0]["name"] == "张三"


# ---------------------------------------------------------------------------
# Import: headers and rows
# ---------------------------------------------------------------------------

def test_header_matching_is_lenient_and_order_free(tmp_path):
    order = [9, 0, 2, 1, 5, 4, 3, 6, 7, 8]
    header = ["岗位", "  姓 名 ", "手机号码", "＊身份证号码", "数量*", "金额", "统一社会信用代码",
              "出生日期", "登记时间", "是否有效"]
    row = good_row()
    data = make_xlsx(tmp_path, [["从业人员花名册"], [], header, [row[i] for i in order]])
    result = read_import(data, COLUMNS)
    assert result.ok, reasons(result)
    assert result.header_row == 3
    got = result.rows[0]
    assert got["_row"] == 4 and got["name"] == "张三" and got["post"] == "cleaner"
    assert got["id_number"] == ID_OK and got["amount"] == Decimal("12.50")


def test_full_width_header_and_keys(tmp_path):
    cols = [XColumn("code", "ABC代码", required=True), XColumn("n", "数量", kind="int")]
    data = make_xlsx(tmp_path, [["ＡＢＣ代码", "n"], ["x1", 2]])
    result = read_import(data, cols)
    assert result.ok, reasons(result)
    assert result.rows == [{"_row": 2, "code": "x1", "n": 2}]


def test_header_problems_are_all_named(tmp_path):
    header = ["姓名", "手机号码", "备注", "金额", "金额"]
    result = read_import(make_xlsx(tmp_path, [header, ["张三", "13800138000", "x", 1, 2]]),
                         COLUMNS)
    messages = reasons(result)
    assert any("Unknown column 备注" in m for m in messages)
    assert any("金额 appears more than once (columns D、E)" in m for m in messages)
    assert any("required column 身份证号码 is missing" in m for m in messages)
    assert len(messages) == 3  # no row checks on top of a broken header
    assert all(e.row == 1 for e in result.errors)
    assert not result.rows


def test_values_without_header_are_reported(tmp_path):
    result = read_import(make_xlsx(tmp_path, [HEADER, good_row() + [None, "stray"]]), COLUMNS)
    err = only_error(result)
    assert err.row == 2 and err.column == "L" and "no header" in err.reason


def test_blank_rows_skipped_and_excel_row_numbers(tmp_path):
    rows = [HEADER, good_row(), [None] * 10, ["   ", "", None], good_row(name="李四"), []]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert result.ok, reasons(result)
    assert [(r["_row"], r["name"]) for r in result.rows] == [(2, "张三"), (5, "李四")]
    assert result.total_rows == 2


def test_too_many_rows(tmp_path):
    rows = [HEADER] + [good_row(name=f"人{i}") for i in range(6)]
    err = only_error(read_import(make_xlsx(tmp_path, rows), COLUMNS, max_rows=5))
    assert err.row is None and "more than 5 data rows" in err.reason
    assert read_import(make_xlsx(tmp_path, rows), COLUMNS, max_rows=6).ok


def test_formulas_are_refused_with_their_cells(tmp_path):
    rows = [HEADER, good_row(), good_row(count="=1+2"), good_row(name="=A2")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    found = sorted((e.row, e.column, e.cell) for e in result.errors)
    assert found == [(3, "数量", "F3"), (4, "姓名", "A4")]
    assert all("Formulas are not accepted" in e.reason and "paste" in e.reason
               for e in result.errors)
    assert [r["_row"] for r in result.rows] == [2]


def test_formulas_found_without_cell_references(tmp_path):
    """Cells without r="..." (allowed by the standard) are placed by position."""
    data = make_xlsx(tmp_path, [HEADER, good_row()])

    edited = edit_sheet(data, lambda xml: xml.replace(
        b'<c r="F2" t="n"><v>3</v></c>', b"<c><f>1+2</f><v>3</v></c>"))
    assert b"<c><f>1+2</f>" in zipfile.ZipFile(io.BytesIO(edited)).read("xl/worksheets/sheet1.xml")
    err = only_error(read_import(edited, COLUMNS))
    assert (err.row, err.column) == (2, "数量") and "Formulas" in err.reason


def test_merged_cells_are_refused_with_their_ranges(tmp_path):
    def setup(ws):
        ws.merge_cells("A2:A3")
        ws.merge_cells("E2:F2")

    rows = [HEADER, good_row(), good_row(name=None)]
    result = read_import(make_xlsx(tmp_path, rows, setup=setup), COLUMNS)
    merged = next(e for e in result.errors if e.row is None)
    assert "Merged cells are not accepted" in merged.reason
    assert "A2:A3" in merged.reason and "E2:F2" in merged.reason


def test_shared_strings_and_1904_dates(tmp_path):
    """An Excel-style file: shared strings, real date cells, the Mac 1904 date system."""
    import xlsxwriter

    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet("名单")
    fmt = wb.add_format({"num_format": "yyyy/m/d"})
    ws.write_row(0, 0, HEADER)
    for r in (1, 2):
        ws.write_row(r, 0, good_row(birth=None, seen_at=None))
        ws.write_datetime(r, 6, datetime(1999, 12, 31), fmt)
    wb.close()
    result = read_import(path, COLUMNS)
    assert result.ok, reasons(result)
    assert [r["birth"] for r in result.rows] == [date(1999, 12, 31)] * 2


def test_progress_callbacks(tmp_path):
    seen = []
    cols = [XColumn("n", "N", kind="int")]
    path = tmp_path / "p.xlsx"
    write_xlsx(path, cols, ({"n": i} for i in range(20_001)), progress=seen.append)
    assert seen == [*range(1_000, 20_001, 1_000), 20_001]  # every 1,000 rows and at the end
    seen.clear()
    result = read_import(path, cols, progress=lambda done, total: seen.append((done, total)))
    assert result.ok and seen == [(5_000, 20_002), (10_000, 20_002), (15_000, 20_002),
                                  (20_000, 20_002)]


# ---------------------------------------------------------------------------
# Import: cell values
# ---------------------------------------------------------------------------

def test_id_numbers(tmp_path):
    rows = [HEADER,
            good_row(id_number=110105194912310021),  # typed into a General cell
            good_row(id_number=1.10105194912310e17),
            good_row(id_number=" １１０１０５ １９４９１２３１００２ｘ "),  # full-width, spaces, x
            good_row(id_number="110105194912310021"),  # wrong check digit
            good_row(id_number=ID_OK2)]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    by_row = {e.row: e for e in result.errors}
    for row in (2, 3):
        assert by_row[row].column == "身份证号码"
        assert "stored as a number in Excel" in by_row[row].reason
        assert "format the cell as text" in by_row[row].reason
    assert "check digit" in by_row[5].reason and by_row[5].value == "110105194912310021"
    assert sorted(by_row) == [2, 3, 5]
    assert [(r["_row"], r["id_number"]) for r in result.rows] == [(4, ID_OK), (6, ID_OK2)]
    assert {w.row for w in result.warnings} == {6}


def test_mobiles_and_credit_codes(tmp_path):
    rows = [HEADER,
            good_row(mobile="+86 138-0013-8000", credit_code=CREDIT_OK.lower()),
            good_row(mobile=13800138000, credit_code="９１３５０１００Ｍ０００１００Ｙ４３"),
            good_row(mobile="12345", credit_code="91350100M000100Y44")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert [(r["mobile"], r["credit_code"]) for r in result.rows] == [
        ("13800138000", CREDIT_OK), ("13800138000", CREDIT_OK)]
    assert sorted((e.row, e.column) for e in result.errors) == [
        (4, "手机号码"), (4, "统一社会信用代码")]


def test_dates_and_datetimes(tmp_path):
    ok_dates = [date(2024, 1, 5), datetime(2024, 1, 5), "2024-01-05", "2024/1/5",
                "2024年1月5日", "20240105", 20240105, "２０２４－０１－０５", "2024.1.5",
                "2024-01-05 00:00:00"]
    ok_times = [datetime(2024, 1, 5, 14, 30), "2024-01-05 14:30", "2024/1/5 14:30:00",
                "2024-01-05T14:30:00", "2024年1月5日 14:30", date(2024, 1, 5)]
    rows = [HEADER]
    rows += [good_row(birth=d) for d in ok_dates]
    rows += [good_row(seen_at=t) for t in ok_times]
    bad = ["2024-02-30", "05/01/2024", 45296, "2024-01-05 14:30", "明天"]
    rows += [good_row(birth=b) for b in bad]
    rows += [good_row(seen_at="2024-01-05 25:00")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    good = {r["_row"]: r for r in result.rows}
    for i in range(len(ok_dates)):
        assert good[2 + i]["birth"] == date(2024, 1, 5), ok_dates[i]
    base = 2 + len(ok_dates)
    for i, value in enumerate(ok_times):
        expected = datetime(2024, 1, 5) if isinstance(value, date) and not isinstance(
            value, datetime) else datetime(2024, 1, 5, 14, 30)
        assert good[base + i]["seen_at"] == expected, value
    errors = {e.row: e.reason for e in result.errors}
    first_bad = base + len(ok_times)
    assert "does not exist" in errors[first_bad]
    assert "Enter a date such as 2024-01-05" in errors[first_bad + 1]
    assert "Enter a date such as" in errors[first_bad + 2]  # a bare serial number is ambiguous
    assert "without a time" in errors[first_bad + 3]
    assert "Enter a date such as" in errors[first_bad + 4]
    assert first_bad + 5 in errors
    assert len(errors) == 6


def test_numbers(tmp_path):
    rows = [HEADER,
            good_row(count=12.0, amount=0.1),
            good_row(count="12", amount="1,234.50"),
            good_row(count="1,200", amount=-3),
            good_row(count=12.5, amount="abc"),
            good_row(count="十二", amount="NaN"),
            good_row(count=True)]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert [(r["count"], r["amount"]) for r in result.rows] == [
        (12, Decimal("0.1")), (12, Decimal("1234.50")), (1200, Decimal("-3"))]
    assert isinstance(result.rows[0]["count"], int)
    errors = sorted((e.row, e.column, e.reason) for e in result.errors)
    assert errors == [
        (5, "数量", "Enter a whole number (no decimals)"),
        (5, "金额", "Enter a number"),
        (6, "数量", "Enter a whole number"),
        (6, "金额", "Enter a number"),
        (7, "数量", "Enter a whole number"),
    ]


def test_booleans(tmp_path):
    yes = ["是", "Y", "yes", "TRUE", True, 1, "1", "Yes"]
    no = ["否", "n", "No", "false", False, 0, "0"]
    rows = [HEADER] + [good_row(active=v) for v in yes + no] + [good_row(active="也许")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert [r["active"] for r in result.rows] == [True] * len(yes) + [False] * len(no)
    err = only_error(result)
    assert err.value == "也许" and err.reason == "Enter Yes or No"


def test_choices_by_label_or_code(tmp_path):
    rows = [HEADER] + [good_row(post=v) for v in ("保洁", "guard", " 其他 ", "GUARD", "园艺")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert [r["post"] for r in result.rows] == ["cleaner", "guard", "other", "guard"]
    err = only_error(result)
    assert err.row == 6 and err.value == "园艺"
    assert "choose one of: 保洁、秩序维护、其他" in err.reason


def test_required_max_length_and_validators(tmp_path):
    def no_test_names(value):
        if "测试" in value:
            raise ValidationError("Test names are not allowed", "test")

    def positive(value):
        return value > 0

    cols = [
        XColumn("name", "姓名", required=True, max_length=4, validator=no_test_names),
        XColumn("count", "数量", kind="int", validator=positive),
        XColumn("code", "编码", validator=lambda v: v.upper()),
        XColumn("note", "备注", validator=lambda v: (_ for _ in ()).throw(ValueError("bad note"))),
    ]
    rows = [["姓名", "数量", "编码", "备注"],
            ["张三", 2, "ab", None],
            [None, 1, None, None],
            ["欧阳娜娜娜", 1, None, None],
            ["测试", 0, None, "x"]]
    result = read_import(make_xlsx(tmp_path, rows), cols)
    assert result.rows == [{"_row": 2, "name": "张三", "count": 2, "code": "AB", "note": None}]
    errors = sorted((e.row, e.column, e.value, e.reason) for e in result.errors)
    assert errors == [
        (3, "姓名", "", "This column is required"),
        (4, "姓名", "欧阳娜娜娜", "Too long: 5 characters, at most 4 allowed"),
        (5, "备注", "x", "bad note"),
        (5, "姓名", "测试", "Test names are not allowed"),
        (5, "数量", "0", "Invalid value"),
    ]


def test_text_cells(tmp_path):
    cols = [XColumn("code", "编码"), XColumn("when", "日期文本")]
    rows = [["编码", "日期文本"], [500103, date(2024, 1, 5)], ["  '=1+1  ", "'-5"],
            [1234567890123456789, None]]
    result = read_import(make_xlsx(tmp_path, rows), cols)
    assert [(r["code"], r["when"]) for r in result.rows] == [
        ("500103", "2024-01-05"), ("=1+1", "-5")]
    err = only_error(result)
    assert err.row == 4 and "stored as a number in Excel" in err.reason


def test_every_error_is_collected(tmp_path):
    rows = [HEADER,
            good_row(name=None, mobile="1", count="x"),
            good_row(),
            good_row(id_number="123", post="园艺", birth="昨天")]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS)
    assert sorted((e.row, e.column) for e in result.errors) == sorted([
        (2, "姓名"), (2, "手机号码"), (2, "数量"),
        (4, "身份证号码"), (4, "出生日期"), (4, "岗位")])
    assert [r["_row"] for r in result.rows] == [3]
    assert all(e.cell and e.key for e in result.errors)


def test_error_list_is_capped(tmp_path):
    rows = [HEADER] + [good_row(name=None) for _ in range(30)]
    result = read_import(make_xlsx(tmp_path, rows), COLUMNS, max_errors=10)
    assert len(result.errors) == 11 and result.error_count == 30
    assert result.errors[-1].row is None and "20 more problems" in result.errors[-1].reason


def test_duplicates_within_the_file(tmp_path):
    cols = [XColumn("dict_type", "字典", required=True), XColumn("code", "编码", required=True),
            XColumn("id_number", "身份证号码", kind="id_number")]
    rows = [["字典", "编码", "身份证号码"],
            ["post", "a", ID_OK],
            ["post", "b", ID_OK2],
            ["post", "a", None],
            ["type", "a", "１１０１０５１９４９１２３１００２Ｘ"]]
    result = read_import(make_xlsx(tmp_path, rows), cols,
                         unique=[("dict_type", "code"), "id_number"])
    errors = sorted((e.row, e.column, e.value, e.reason) for e in result.errors)
    assert errors == [
        (4, "字典+编码", "post / a", "Duplicate: row 2 already has the same 字典+编码"),
        (5, "身份证号码", ID_OK, "Duplicate: row 2 already has the same 身份证号码"),
    ]
    with pytest.raises(ValueError):
        read_import(b"", cols, unique=["nope"])


# ---------------------------------------------------------------------------
# Error workbook
# ---------------------------------------------------------------------------

def test_error_workbook_marks_the_upload_and_can_be_uploaded_again(tmp_path):
    rows = [HEADER, good_row(), good_row(id_number="123", count="x"), [],
            good_row(name="=A1", birth=date(2023, 2, 1), count="=1+2")]

    def setup(ws):
        ws["A5"].data_type = "s"  # the text "=A1", not a formula; F5 stays a formula

    data = make_xlsx(tmp_path, rows, setup=setup)
    result = read_import(data, COLUMNS)
    assert {e.row for e in result.errors} == {3, 5}
    extra = RowError(None, None, "", "A file-level problem")
    out = tmp_path / "errors.xlsx"
    out.write_bytes(error_workbook(COLUMNS, data, [*result.errors, extra]))

    wb = openpyxl.load_workbook(out)
    ws, problems = wb.worksheets
    assert ws.title == "人员"
    assert [c.value for c in ws[1]] == HEADER + ["Error reason"]
    assert "A file-level problem" in ws["K1"].comment.text
    assert ws["A2"].value == "张三" and ws["K2"].value is None
    assert ws["B3"].value == "123" and ws["B3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["F3"].fill.fgColor.rgb.endswith("FFC7CE") and "whole number" in ws["F3"].comment.text
    assert not ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "[身份证号码]" in ws["K3"].value and "[数量] Enter a whole number" in ws["K3"].value
    assert ws["A5"].value == "=A1" and ws["A5"].data_type == "s"  # a formula-looking string
    assert ws["G5"].value == datetime(2023, 2, 1)
    assert ws["F5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "Formulas are not accepted" in ws["K5"].value
    assert problems.title == "Import problems"
    listed = [[c.value for c in row] for row in problems.iter_rows(min_row=2)]
    assert listed[0][3] == "A file-level problem"
    assert [r[0] for r in listed[1:]] == [3, 3, 5]

    # The user fixes the marked cells in the same file and uploads it again.
    ws["B3"].value = ID_OK
    ws["F3"].value = 4
    ws["A5"].value = "王五"
    ws["F5"].value = 3
    ws["K3"].value = ws["K5"].value = None
    ws["K4"].value = "stale reason left by the user"
    wb.save(out)
    again = read_import(out.read_bytes(), COLUMNS)
    assert again.ok, reasons(again)
    assert [r["_row"] for r in again.rows] == [2, 3, 5]


def test_error_workbook_for_an_unreadable_upload():
    errors = read_import(b"not a workbook at all", COLUMNS).errors
    wb = openpyxl.load_workbook(io.BytesIO(error_workbook(COLUMNS, b"not a workbook", errors)))
    assert [ws.title for ws in wb.worksheets] == ["Import problems"]
    assert "text or CSV" in wb.worksheets[0]["D2"].value


# ---------------------------------------------------------------------------
# Importer: caller's checks and all-or-nothing commit
# ---------------------------------------------------------------------------

def test_run_import_commits_only_without_errors(tmp_path):
    committed = []
    known_ids = {ID_OK2}

    def validate_row(row):
        if row["id_number"] in known_ids:
            yield "id_number", "This person is already registered"
        if row["post"] == "guard" and not row["mobile"]:
            yield None, "A guard needs a mobile number"

    rows = [HEADER, good_row(), good_row(id_number=ID_OK2, name="李四"),
            good_row(name="王五", id_number=valid_id(7), post="guard", mobile=None)]
    data = make_xlsx(tmp_path, rows)
    result = run_import(data, COLUMNS, validate_row=validate_row, commit=committed.append)
    assert not result.committed and committed == []
    assert sorted((e.row, e.column, e.reason) for e in result.errors) == [
        (3, "身份证号码", "This person is already registered"),
        (4, None, "A guard needs a mobile number")]
    assert [r["_row"] for r in result.rows] == [2]

    importer = Importer(COLUMNS, unique=["id_number"])
    ok = importer.run(make_xlsx(tmp_path, [HEADER, good_row()]), validate_row=validate_row,
                      commit=lambda rows: len(rows))
    assert ok.ok and ok.committed and ok.commit_result == 1

    dup = importer.run(make_xlsx(tmp_path, [HEADER, good_row(), good_row()]),
                       commit=committed.append)
    assert not dup.committed and committed == [] and dup.errors[0].row == 3


# ---------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------

TRICKY = ["=1+1", "@SUM(A1)", "-5", "+86", "张三（中文）", None, "=HYPERLINK(\"http://x\")",
          "  leading spaces trimmed on import", "'already quoted", "a\nb"]


def test_round_trip_20000_rows(tmp_path):
    cols = [
        XColumn("name", "姓名", required=True),
        XColumn("note", "备注"),
        XColumn("id_number", "身份证号码", kind="id_number"),
        XColumn("amount", "金额", kind="decimal"),
        XColumn("count", "数量", kind="int"),
        XColumn("day", "日期", kind="date"),
        XColumn("at", "时间", kind="datetime"),
        XColumn("active", "有效", kind="bool"),
        XColumn("post", "岗位", kind="choice", choices=POSTS),
    ]

    def make(i: int) -> dict:
        note = TRICKY[i % len(TRICKY)]
        return {
            "name": f"用户{i}", "note": note.strip() if note else note,
            "id_number": valid_id(i) if i % 3 else None,
            "amount": Decimal(i) / 100 if i % 4 else None, "count": i - 10_000,
            "day": date(2000 + i % 24, 1 + i % 12, 1 + i % 28) if i % 5 else None,
            "at": datetime(2024, 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60) if i % 2
            else None,
            "active": bool(i % 2), "post": POSTS[i % 3][0],
        }

    n = 20_000
    path = tmp_path / "round.xlsx"
    assert write_xlsx(path, cols, (make(i) for i in range(n))) == n
    result = read_import(path, cols, max_bytes=50 * 1024 * 1024)
    assert result.ok, reasons(result)[:5]
    assert len(result.rows) == n
    for i, row in enumerate(result.rows):
        expected = make(i)
        assert row.pop("_row") == i + 2
        assert row == expected, (i, row, expected)


# ---------------------------------------------------------------------------
# Chinese: the catalog lines in app/core/xlsx/xlsx_zh.txt
# ---------------------------------------------------------------------------

ZH_FILE = Path(xlsx.__file__).with_name("xlsx_zh.txt")


def _zh_lines() -> dict[str, str]:
    pairs = {}
    for line in ZH_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            msgid, text = line.split("\t")
            pairs[msgid] = text
    return pairs


def test_zh_lines_cover_every_message():
    from babel.messages.extract import extract_from_file

    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None}
    used = {msg for module in sorted(Path(xlsx.__file__).parent.glob("*.py"))
            for _lineno, msg, _comments, _ctx in
            extract_from_file("python", module, keywords=keywords)}
    pairs = _zh_lines()
    assert used - set(pairs) == set()
    assert set(pairs) - used == set()
    for msgid, text in pairs.items():
        assert text and text != msgid
        for name in ("row", "column", "value", "reason", "n", "max", "name", "letters", "cell",
                     "limit", "save_as", "ranges", "first", "columns", "letter", "more", "yes",
                     "no", "choices", "example"):
            assert (f"%({name})s" in msgid) == (f"%({name})s" in text), (msgid, name)


@pytest.fixture
def zh_app(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    catalog = Catalog(locale="zh")
    for msgid, text in _zh_lines().items():
        catalog.add(msgid, text)
    catalog.add("The ID number must be 18 characters long", "身份证号码应为18位")  # validators'
    for msgid, text in [("Name", "姓名"), ("ID number", "身份证号码"), ("Active", "是否有效")]:
        catalog.add(msgid, text)
    mo_dir = tmp_path / "translations" / "zh" / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    with open(mo_dir / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)
    app = Flask(__name__)
    Babel(app, default_locale="zh",
          default_translation_directories=str(tmp_path / "translations"))
    return app


def test_chinese_headers_values_and_messages(zh_app, tmp_path):
    cols = [XColumn("name", _l("Name"), required=True),
            XColumn("id_number", _l("ID number"), kind="id_number", required=True),
            XColumn("active", _l("Active"), kind="bool")]
    with zh_app.app_context():
        buf = io.BytesIO()
        write_xlsx(buf, cols, [{"name": "张三", "id_number": ID_OK, "active": True}])
        ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
        assert ws.title == "数据"
        assert [c.value for c in ws[1]] == ["姓名", "身份证号码", "是否有效"]
        assert [c.value for c in ws[2]] == ["张三", ID_OK, "是"]

        wb = openpyxl.load_workbook(io.BytesIO(build_template(cols, "人员")))
        assert wb.sheetnames == ["人员", "填写说明"]
        assert [c.value for c in wb.worksheets[0][1]] == ["*姓名", "*身份证号码", "是否有效"]

        # A template downloaded in English imports under the Chinese locale too.
        data = make_xlsx(tmp_path, [["*Name", "ID number", "Active"], ["张三", "123", "否"],
                                    [None, ID_OK, "是"]])
        result = read_import(data, cols)
        messages = reasons(result)
        assert messages == ["第2行，“身份证号码”列（值：123）：身份证号码应为18位",
                            "第3行，“姓名”列：此项为必填项"]

        out = openpyxl.load_workbook(io.BytesIO(error_workbook(cols, data, result.errors)))
        assert out.sheetnames == ["人员", "问题清单"]
        assert out.worksheets[0]["D1"].value == "错误原因"
        assert "此项为必填项" in out.worksheets[0]["D3"].value

        err = only_error(read_import(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, cols))
        assert err.reason.startswith("这是Excel 97-2003（.xls）文件")
        assert "另存为“Excel工作簿(.xlsx)”格式" in err.reason


def test_id_numbers_stored_as_long_numbers_keep_their_digits_when_the_file_does(app):
    """HR and ERP exports write an ID number as a numeric cell with every digit in the XML;
    the import takes those digits. A file saved by Excel has already rounded them: refused."""
    import io as _io
    import re as _re
    import zipfile as _zipfile

    import openpyxl as _openpyxl

    from app.core import xlsx as _xlsx
    from app.core.validators import id_check_char

    first17 = "11010519491231003"            # check digit 8 (an X could never be a number)
    number = first17 + id_check_char(first17)
    wb = _openpyxl.Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名"])
    ws.append(["PLACEHOLDER", "甲"])
    ws.append([500103197001011233, "乙"])          # openpyxl writes 5.001031970010112e+17, as Excel does
    buf = _io.BytesIO()
    wb.save(buf)
    src = _zipfile.ZipFile(_io.BytesIO(buf.getvalue()))
    out = _io.BytesIO()
    with _zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _re.sub(rb'<c r="A2"[^>]*>.*?</c>', f'<c r="A2" t="n"><v>{number}</v></c>'.encode(), data)
            dst.writestr(item, data)
    columns = [_xlsx.XColumn("id_number", "身份证号", kind="id_number", required=True), _xlsx.XColumn("name", "姓名")]
    with app.test_request_context():
        result = _xlsx.read_import(out.getvalue(), columns)
        assert [r["id_number"] for r in result.rows] == [number]
        assert [(e.row, e.reason) for e in result.errors] == [
            (3, "身份证号码在Excel中被存为数值，末尾数字已丢失，请将单元格设置为文本格式后重新录入")]


def test_id_numbers_written_through_a_double_are_refused_as_lost_digits(app):
    """A JavaScript number or a Go float64 holds 500154197909091763 as the double printed
    500154197909091800: the writer saves those digits. That one even passes the check digit,
    so it would be stored wrong; it and 500154197909097700 (check digit wrong) both get the
    lost-digits reason. An exact long number (every digit kept) still imports."""
    lost_valid = "500154197909091800"      # from 500154197909091763; its check digit fits
    lost = "500154197909097700"            # from 500154197909097727
    exact = "500154197909097727"           # not the shortest form of its double: exact
    assert id_check_char(lost_valid[:17]) == lost_valid[-1] and id_check_char(exact[:17]) == exact[-1]
    data = numeric_cells([["身份证号", "姓名"], ["X", "甲"], ["X", "乙"], ["X", "丙"]],
                          {"A2": lost_valid, "A3": lost, "A4": exact})
    columns = [XColumn("id_number", "身份证号", kind="id_number", required=True), XColumn("name", "姓名")]
    with app.test_request_context():
        result = read_import(data, columns)
        assert [r["id_number"] for r in result.rows] == [exact]
        message = "身份证号码在Excel中被存为数值，末尾数字已丢失，请将单元格设置为文本格式后重新录入"
        assert [(e.row, e.value, e.reason) for e in result.errors] == [
            (2, lost_valid, message), (3, lost, message)]


def test_a_sheet_whose_dimension_claims_the_whole_grid_is_judged_by_its_rows(app):
    """Formatting whole columns makes Excel write <dimension ref="A1:Z1048576">: 10 rows import."""
    data = whole_grid_dimension([["姓名", "身份证号码"], *([f"人{n}", valid_id(n)] for n in range(10))])
    cols = [XColumn("name", "姓名"), XColumn("id_number", "身份证号码", kind="id_number")]
    with app.test_request_context():
        result = read_import(data, cols)
    assert result.errors == [] and [r["id_number"] for r in result.rows] == [valid_id(n) for n in range(10)]
