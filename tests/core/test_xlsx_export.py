"""The export writer (issue 17, "Faithful cells"): every file is a real .xlsx written by
write_xlsx and read back by openpyxl and python-calamine (the two readers our users' files
meet most: Excel's own model, and the importer's engine)."""
from __future__ import annotations

import enum
import io
import re
import zipfile
from datetime import date, datetime, time, timezone
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from app.core import progress as core_progress
from app.core.xlsx import ExportCancelled, XColumn, neutralize, write_xlsx
from app.core.xlsx.columns import _unneutralize
from app.core.xlsx.sheetxml import MAX_CELL_CHARS

POSTS = [("cleaner", "保洁"), ("guard", "秩序维护")]


class State(enum.Enum):
    NEW = "new"
    DONE = "done"


COLUMNS = [
    XColumn("id", "序号", kind="int"),
    XColumn("title", "标题"),
    XColumn("amount", "金额", kind="decimal"),
    XColumn("ratio", "比例", kind="decimal"),
    XColumn("day", "受理日期", kind="date"),
    XColumn("at", "登记时间", kind="datetime"),
    XColumn("active", "有效", kind="bool"),
    XColumn("post", "岗位", kind="choice", choices=POSTS),
    XColumn("mobile", "手机号码", kind="mobile"),
    XColumn("big", "大数"),
    XColumn("state", "状态", kind="choice", choices=[("new", "待处理"), ("done", "已办结")]),
    XColumn("clock", "时刻"),
]

ROW = {"id": 7, "title": "楼道照明损坏，夜间无法通行", "amount": Decimal("12.50"), "ratio": 0.25,
       "day": date(2024, 1, 5), "at": datetime(2024, 1, 5, 10, 3, 4), "active": True,
       "post": "guard", "mobile": 13800138000, "big": 12345678901234567, "state": State.DONE,
       "clock": time(9, 30)}


def export(tmp_path, rows, columns=COLUMNS, name="out.xlsx", **kwargs):
    path = tmp_path / name
    count = write_xlsx(path, columns, rows, **kwargs)
    return path, count


def calamine_rows(path, index=0):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index).to_python()


def test_types_round_trip_through_openpyxl_and_calamine(tmp_path):
    empty = {key: None for key in ROW}
    path, count = export(tmp_path, [ROW, empty, ("x",)])
    assert count == 3

    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header == [str(c.label) for c in COLUMNS]
    cells = ws[2]
    got = {col.key: cell for col, cell in zip(COLUMNS, cells)}
    assert got["id"].value == 7 and got["id"].data_type == "n"
    assert got["title"].value == ROW["title"] and got["title"].data_type == "s"
    assert got["amount"].value == 12.5 and got["amount"].data_type == "n"
    assert got["ratio"].value == 0.25
    assert got["day"].value == datetime(2024, 1, 5) and got["day"].number_format == "yyyy-mm-dd"
    assert got["at"].value == datetime(2024, 1, 5, 10, 3, 4)  # the value keeps its seconds
    assert got["at"].number_format == "yyyy-mm-dd hh:mm"   # shown to the minute
    assert got["active"].value == "Yes"  # gettext: 是 under the zh catalog
    assert got["post"].value == "秩序维护"
    assert got["mobile"].value == "13800138000" and got["mobile"].data_type == "s"
    assert got["big"].value == "12345678901234567"  # 17 digits: text, no digit lost
    assert got["state"].value == "已办结"  # an Enum's value, then its label
    assert got["clock"].value == time(9, 30)
    assert all(c.value is None for c in ws[3])  # None: empty cells
    assert ws["A4"].value == "x" and ws["B4"].value is None  # a tuple: by position

    rows = calamine_rows(path)
    assert len(rows) == 4
    assert rows[1][:9] == [7, ROW["title"], 12.5, 0.25, date(2024, 1, 5),
                           datetime(2024, 1, 5, 10, 3, 4), "Yes", "秩序维护", "13800138000"]


def test_chinese_long_text_blanks_and_xml_characters(tmp_path):
    long = "业主反映：" + "楼道照明多次损坏，物业维修不及时。" * 800  # > 13,000 characters
    texts = [long, "  前后有空格  ", "第一行\n第二行", "a & b < c > d ]]> e", "tab\there",
             "bell\x07 nul\x00 vt\x0b end", "_x000D_ stays literal", "cr\rinside",
             "lone \ud800 surrogate", "emoji 😀 and ext-B 𠀀"]
    cols = [XColumn("t", "文本")]
    path, _count = export(tmp_path, [{"t": t} for t in texts], columns=cols)
    expected = [long, "  前后有空格  ", "第一行\n第二行", "a & b < c > d ]]> e", "tab\there",
                "bell nul vt end", "_x000D_ stays literal", "cr\rinside", "lone  surrogate",
                "emoji 😀 and ext-B 𠀀"]
    assert [r[0] for r in calamine_rows(path)[1:]] == expected
    ws = openpyxl.load_workbook(path).active
    values = [ws.cell(row=i, column=1).value for i in range(2, len(texts) + 2)]
    assert values[0] == long and "…" not in values[0]  # whole text, never the list's shortening
    assert values[1] == "  前后有空格  " and values[5] == "bell nul vt end"
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  前后有空格  </t>' in sheet
    assert "_x005F_x000D_" in sheet  # else Excel would read a carriage return
    ElementTree.fromstring(sheet.encode())  # well-formed


def test_cells_are_capped_at_excels_limit(tmp_path):
    cols = [XColumn("t", "文本")]
    path, _count = export(tmp_path, [{"t": "长" * 40_000}, {"t": "=" + "x" * 40_000},
                                     {"t": "😀" * 20_000}], columns=cols)
    rows = calamine_rows(path)
    assert rows[1][0] == "长" * MAX_CELL_CHARS
    assert len(rows[2][0]) == MAX_CELL_CHARS and rows[2][0].startswith("'=x")
    assert len(rows[3][0].encode("utf-16-le")) // 2 <= MAX_CELL_CHARS  # Excel counts UTF-16


@pytest.mark.parametrize("text, expected", [
    # ordinary values stay as they are
    ("-", "-"), ("- ", "- "), ("--", "--"), ("-3", "-3"), ("-3.5", "-3.5"), ("+5%", "+5%"),
    ("-1,234.50", "-1,234.50"), ("+8613800138000", "+8613800138000"),
    ("+86 138 0013 8000", "+86 138 0013 8000"), ("+86-138-0013-8000", "+86-138-0013-8000"),
    ("-、无", "-、无"), ("- 见附件", "- 见附件"), ("-3 号楼", "-3 号楼"), ("张三", "张三"),
    ("a=b", "a=b"), ("", ""), ("'quoted", "'quoted"),
    # what a spreadsheet would run gets OWASP's quote
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+SUM(A1)", "'+SUM(A1)"),
    ("-2+3", "'-2+3"), ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"), ("-A1", "'-A1"),
    ("-ＳＵＭ（Ａ１）", "'-ＳＵＭ（Ａ１）"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"),
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    # a quote before a trigger gets one more: the import's undo is exact
    ("'=1+1", "''=1+1"), ("'-5", "''-5"),
])
def test_neutralize_table(tmp_path, text, expected):
    assert neutralize(text) == expected
    assert _unneutralize(expected) == text
    path, _count = export(tmp_path, [{"t": text}], columns=[XColumn("t", "文本")])
    rows = calamine_rows(path)
    assert rows[1:] == ([[expected]] if expected else [])


def test_older_exports_still_import_as_meant():
    # Before issue 17 "-5" and "+86 138" were written "'-5" and "'+86 138".
    assert _unneutralize("'-5") == "-5" and _unneutralize("'+86 138") == "+86 138"


def test_layout_widths_frozen_bold_header_and_autofilter(tmp_path):
    cols = [XColumn("zh", "中文"), XColumn("en", "EN"), XColumn("floor", "F", width=30),
            XColumn("n", "N", kind="int")]
    rows = [{"zh": "七星岗街道办事处信访科", "en": "abcdefghijk", "floor": "x", "n": i}
            for i in range(20)]
    path, _count = export(tmp_path, rows, columns=cols)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] > widths["B"]  # same length, Chinese is twice as wide
    assert widths["A"] == pytest.approx(24, abs=1) and widths["B"] == pytest.approx(13, abs=1)
    assert widths["C"] == 30  # a declared width is a floor
    assert widths["D"] == 8   # never narrower than 8
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D21"
    assert all(c.font.b for c in ws[1]) and not ws["A2"].font.b
    with zipfile.ZipFile(path) as zf:
        workbook_xml = zf.read("xl/workbook.xml").decode()
    assert "_xlnm._FilterDatabase" in workbook_xml and "$A$1:$D$21" in workbook_xml


def test_a_long_text_column_is_capped_at_60(tmp_path):
    path, _count = export(tmp_path, [{"t": "很长的内容" * 50}], columns=[XColumn("t", "备注")])
    assert openpyxl.load_workbook(path).active.column_dimensions["A"].width == 60


def test_info_sheet_and_note_on_a1(tmp_path):
    info = [("导出人", "张*三"), ("导出时间", "2024-01-05 10:03"),
            ("筛选条件", "受理状态 = 已受理; 街道 = 七星岗街道"), ("行数", "2")]
    path, _count = export(tmp_path, [ROW, ROW], info=info, sheet_title="投诉")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["投诉", "Export information"]  # 导出说明 under the zh catalog
    guide = wb["Export information"]
    assert [[c.value for c in row] for row in guide.iter_rows()] == [list(pair) for pair in info]
    note = wb["投诉"]["A1"].comment
    assert note is not None
    assert note.text.splitlines() == [f"{label}: {value}" for label, value in info]
    calamine = CalamineWorkbook.from_path(str(path))
    assert calamine.sheet_names == ["投诉", "Export information"]

    # Without the note: the sheet only.
    path, _count = export(tmp_path, [ROW], info=info, info_comment=False, name="b.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.active["A1"].comment is None and len(wb.sheetnames) == 2


def test_zh_words(app):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        buf = io.BytesIO()
        write_xlsx(buf, [XColumn("a", "是否")], [{"a": True}, {"a": False}], info=[("行数", "2")])
        wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
        assert wb.sheetnames == ["数据", "导出说明"]
        assert [c.value for c in wb["数据"]["A"]] == ["是否", "是", "否"]
        assert wb["数据"]["A1"].comment.text == "行数：2"


def test_rows_continue_on_a_second_sheet_with_the_header(tmp_path):
    cols = [XColumn("n", "编号", kind="int"), XColumn("t", "文本")]
    rows = ({"n": i, "t": f"第{i}行"} for i in range(7))
    path, count = export(tmp_path, rows, columns=cols, sheet_title="数据", max_sheet_rows=4,
                         info=[("行数", "7")])
    assert count == 7
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["数据", "数据(2)", "数据(3)", "Export information"]
    seen = []
    for title in wb.sheetnames[:3]:
        ws = wb[title]
        assert [c.value for c in ws[1]] == ["编号", "文本"]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:B{ws.max_row}"
        seen += [r[0].value for r in ws.iter_rows(min_row=2)]
    assert seen == list(range(7))
    assert [len(calamine_rows(path, i)) for i in range(3)] == [4, 4, 2]


def test_progress_every_thousand_rows_and_at_the_end(tmp_path):
    seen = []
    export(tmp_path, ({"n": i} for i in range(2_500)), columns=[XColumn("n", "N", kind="int")],
           progress=seen.append)
    assert seen == [1_000, 2_000, 2_500]


def test_cancel_stops_and_leaves_no_file(tmp_path):
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) >= 2

    made = []

    def rows():
        for i in range(10_000):
            made.append(i)
            yield {"n": i}

    path = tmp_path / "cancelled.xlsx"
    with pytest.raises(ExportCancelled) as caught:
        write_xlsx(path, [XColumn("n", "N", kind="int")], rows(), should_stop=should_stop)
    assert isinstance(caught.value, core_progress.Cancelled)  # the task engine's own cancel
    assert not path.exists()
    assert len(made) == 2_000  # stopped at the second check, not at the end

    # An error from the caller's progress (or the rows) also leaves nothing behind.
    def boom(_n):
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        write_xlsx(path, [XColumn("n", "N", kind="int")], ({"n": i} for i in range(3_000)),
                   progress=boom)
    assert not path.exists()


def test_package_is_complete_and_well_formed(tmp_path):
    path, _count = export(tmp_path, [ROW], info=[("导出人", "张*三")], max_sheet_rows=2)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        types = zf.read("[Content_Types].xml").decode()
        for name in names:
            if name.endswith((".xml", ".rels", ".vml")):
                ElementTree.fromstring(zf.read(name))
        for part in re.findall(r'PartName="/([^"]+)"', types):
            assert part in names, part
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert all(f"/{n}" in types for n in sheets)
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        assert all(n.removeprefix("xl/") in rels for n in sheets)
        first = zf.read("xl/worksheets/sheet1.xml").decode()
    # Every row and cell carries its reference; no formula anywhere.
    assert '<row r="2">' in first and '<c r="A2"' in first
    assert "<f>" not in first and "<f " not in first


def test_file_objects_datetimes_with_timezone_and_old_dates():
    buf = io.BytesIO()
    cols = [XColumn("at", "时间", kind="datetime"), XColumn("day", "日期", kind="date"),
            XColumn("x", "数值", kind="decimal")]
    rows = [{"at": datetime(2024, 1, 5, 10, 3, tzinfo=timezone.utc), "day": date(1899, 12, 31),
             "x": Decimal("NaN")},
            {"at": datetime(1900, 1, 1, 12, 0), "day": date(1900, 2, 28), "x": float("inf")}]
    assert write_xlsx(buf, cols, rows) == 2
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws["A2"].value == datetime(2024, 1, 5, 10, 3)  # its wall-clock time
    assert ws["B2"].value == "1899-12-31"  # Excel has no date before 1900: text
    assert ws["C2"].value == "#NUM!" and ws["C3"].value == "#NUM!"
    rows = CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[2][:2] == [datetime(1900, 1, 1, 12, 0), date(1900, 2, 28)]  # Excel's 1900 leap bug


def test_export_of_a_list_page_opens_with_the_new_layout(login):
    client = login("admin")
    resp = client.get("/organizationview/export/")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    assert ws.freeze_panes == "A2" and ws.max_row >= 2
    assert ws.auto_filter.ref.startswith("A1:")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
