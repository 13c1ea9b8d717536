"""Excel engine, the workbooks handed to users for an import: :func:`build_template` (the
header row, text-formatted identifier columns, drop-down lists and a "填写说明" sheet) and
:func:`error_workbook` (the upload given back with its problems marked)."""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from flask_babel import gettext as _

from app.core.xlsx.checking import ImportResult, RowError, _Errors, _read_header
from app.core.xlsx.columns import (
    _NO,
    _YES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ERROR_COLUMN_LABEL,
    IDENTIFIER_KINDS,
    MAX_SHEET_CELLS,
    TEMPLATE_ROWS,
    XColumn,
    _col_letter,
    _header_key,
    _parse_ref,
    _sheet_title,
)
from app.core.xlsx.importing import part_budget
from app.core.xlsx.reading import _FileError, _iter_numbered, _open_sheet, _read_input


def _format_text(col: XColumn) -> str:
    """What to enter in a column, for the instructions sheet and header notes."""
    kind = col.kind
    if kind == "str":
        if col.max_length:
            return _("Text, at most %(n)s characters", n=col.max_length)
        return _("Text")
    return {
        "int": lambda: _("Whole number"),
        "decimal": lambda: _("Number (decimals allowed)"),
        "date": lambda: _("Date, e.g. 2024-01-05 (2024/1/5, 2024年1月5日 and 20240105 also work)"),
        "datetime": lambda: _("Date and time, e.g. 2024-01-05 14:30:00"),
        "bool": lambda: _("%(yes)s or %(no)s", yes=_YES, no=_NO),
        "id_number": lambda: _("18-digit resident ID number (keep the cells formatted as text)"),
        "mobile": lambda: _("11-digit mainland mobile number"),
        "credit_code": lambda: _("18-character unified social credit code"),
        "choice": lambda: _("One of the allowed values (pick from the drop-down list)"),
    }[kind]()


def build_template(columns: Sequence[XColumn], title: Any, max_rows: int | None = None) -> bytes:
    """An import template (.xlsx bytes).

    Sheet 1 (named after ``title``): the header row -- required columns marked with
    a leading ``*`` in red -- frozen, with a note on each header cell giving the
    format and the example; identifier and text columns formatted as text and date
    columns as dates for the first 5,000 rows (and as the column style); drop-down
    lists for choice and yes/no columns.  Examples are deliberately *not* a data row:
    every row below the header is a record, so imports never skip or guess.
    Sheet 2 "填写说明": one line per column (label, required, format, allowed values,
    example) and an example table.  Allowed values too long for an in-cell list go
    to a hidden sheet.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(title, "Sheet1")
    guide = wb.create_sheet(_sheet_title(_("Filling instructions"), "Instructions"))
    lists_ws = None

    header_fill = PatternFill("solid", fgColor="F2F2F2")
    required_font = Font(bold=True, color="C00000")
    header_font = Font(bold=True)
    last_row = TEMPLATE_ROWS + 1
    yes, no = str(_YES), str(_NO)
    allowed = {col.key: [label for _code, label in col.choice_pairs()] if col.kind == "choice"
               else [yes, no] if col.kind == "bool" else [] for col in columns}

    for i, col in enumerate(columns):
        letter = _col_letter(i)
        label = str(col.label)
        cell = ws.cell(row=1, column=i + 1, value=("*" + label) if col.required else label)
        cell.data_type = "s"
        cell.font = required_font if col.required else header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[letter].width = max(col.width, len(label) * 2 + 4)

        note = [_format_text(col)]
        if col.required:
            note.append(_("Required."))
        if col.example:
            note.append(_("Example: %(example)s", example=col.example))
        cell.comment = Comment("\n".join(note), "Anju", width=260, height=110)

        number_format = None
        if col.kind in IDENTIFIER_KINDS or col.kind == "str":
            number_format = "@"
        elif col.kind == "date":
            number_format = "yyyy-mm-dd"
        elif col.kind == "datetime":
            number_format = "yyyy-mm-dd hh:mm:ss"
        if number_format:
            ws.column_dimensions[letter].number_format = number_format
            for r in range(2, last_row + 1):
                ws.cell(row=r, column=i + 1).number_format = number_format

        options = allowed[col.key]
        if options:
            inline = ",".join(options)
            if len(inline) <= 250 and not any('"' in o or "," in o for o in options):
                formula = f'"{inline}"'
            else:
                if lists_ws is None:
                    lists_ws = wb.create_sheet("_lists")
                    lists_ws.sheet_state = "hidden"
                for r, text in enumerate(options, start=1):
                    lists_ws.cell(row=r, column=i + 1, value=text).data_type = "s"
                formula = f"'_lists'!${letter}$1:${letter}${len(options)}"
            dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                                showErrorMessage=True, errorStyle="stop",
                                errorTitle=_("Not an allowed value"),
                                error=_("Choose a value from the drop-down list."))
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22

    # --- the instructions sheet ---
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 48
    guide.column_dimensions["D"].width = 40
    guide.column_dimensions["E"].width = 26
    rules = [
        _("Fill in one record per row, starting from row 2 of the first sheet. "
          "Do not change, add or remove header cells."),
        _("Columns marked * are required."),
        _("Enter values only: formulas and merged cells are refused."),
        _("Keep ID numbers, mobile numbers and credit codes in cells formatted as text, "
          "or Excel changes the digits."),
        _("Every row is checked before anything is saved: if any row is wrong, nothing "
          "is imported and each problem is reported with its row and column."),
    ]
    if max_rows:
        rules.append(_("At most %(n)s rows per file.", n=max_rows))
    guide.append([_("How to fill in this template")])
    guide["A1"].font = Font(bold=True, size=13)
    for rule in rules:
        guide.append([rule])
    guide.append([])
    header = [_("Column"), _("Required?"), _("Format"), _("Allowed values"), _("Example")]
    guide.append(header)
    for c in guide[guide.max_row]:
        c.font = header_font
        c.fill = header_fill
    for col in columns:
        guide.append([str(col.label), yes if col.required else no, _format_text(col),
                      "、".join(allowed[col.key]), col.example or ""])
        for c in guide[guide.max_row]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.data_type = "s"
    if any(col.example for col in columns):
        guide.append([])
        guide.append([_("Example row (for reference only; do not copy it into the first sheet "
                        "unless it is a real record):")])
        guide.append([("*" if c.required else "") + str(c.label) for c in columns])
        for c in guide[guide.max_row]:
            c.font = header_font
        guide.append([c.example or "" for c in columns])
        for c in guide[guide.max_row]:
            c.font = Font(italic=True, color="808080")
            c.data_type = "s"

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def error_workbook(columns: Sequence[XColumn], data: bytes | IO[bytes] | str | os.PathLike,
                   errors: Sequence[RowError], max_bytes: int = DEFAULT_MAX_BYTES,
                   max_rows: int = DEFAULT_MAX_ROWS) -> bytes:
    """The uploaded rows back, with the problems marked, as .xlsx bytes.

    Sheet 1 holds the values of the upload at their original rows (so the row
    numbers in the reasons still match), bad cells filled light red with a note, and
    a last column "错误原因" listing every reason of its row; problems with the whole
    file are in a note on that column's header.  Sheet 2 lists every problem.  After
    correcting sheet 1 the user uploads the same file again: the importer ignores the
    error-reason column.  If the upload cannot be read at all, sheet 1 is the list.

    Written with xlsxwriter (``constant_memory``): openpyxl needs about 15 s for
    100,000 rows of 10 columns, xlsxwriter a third of that.
    """
    import xlsxwriter

    try:
        # The limits of the import: a file refused for its size is not opened to mark it.
        raw = _read_input(data, max_bytes)
        sheet = _open_sheet(raw, MAX_SHEET_CELLS, 0, columns, part_budget(max_rows, len(columns)))
    except _FileError:
        sheet = None
    numbered = list(_iter_numbered(sheet)) if sheet is not None else []
    header = None
    if numbered:
        header, _rest = _read_header(iter(numbered), columns, _Errors(ImportResult(), 1))

    by_row: dict[int, list[RowError]] = {}
    file_level: list[RowError] = []
    for err in errors:
        if err.row is None or (header is not None and err.row == header.row):
            file_level.append(err)
        else:
            by_row.setdefault(err.row, []).append(err)

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False,
                                   "remove_timezone": True})
    red = wb.add_format({"bg_color": "#FFC7CE"})
    red_text = wb.add_format({"bg_color": "#FFC7CE", "num_format": "@"})
    reason_fmt = wb.add_format({"font_color": "#9C0006", "text_wrap": True, "valign": "top"})
    title_fmt = wb.add_format({"bold": True, "font_color": "#C00000"})
    bold = wb.add_format({"bold": True})
    formats = {
        datetime: wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        date: wb.add_format({"num_format": "yyyy-mm-dd"}),
        time: wb.add_format({"num_format": "hh:mm:ss"}),
        timedelta: wb.add_format({"num_format": "[h]:mm:ss"}),
    }
    red_formats = {
        kind: wb.add_format({"bg_color": "#FFC7CE", "num_format": fmt})
        for kind, fmt in ((datetime, "yyyy-mm-dd hh:mm:ss"), (date, "yyyy-mm-dd"),
                          (time, "hh:mm:ss"), (timedelta, "[h]:mm:ss"))
    }

    if sheet is not None:
        ws = wb.add_worksheet(_sheet_title(sheet.name))
        text_idx: set[int] = set()
        label_index: dict[str, int] = {}
        if header is not None:
            for col in columns:
                idx = header.positions.get(col.key)
                if idx is not None:
                    label_index[col.key] = idx
                    label_index[_header_key(col.label)] = idx
                    if col.kind in IDENTIFIER_KINDS or col.kind == "str":
                        text_idx.add(idx)
        width = max([len(c) for _n, c in numbered] + [header.width if header else 0])
        ignored = header.ignored if header else set()
        reason_idx = min(ignored) if ignored else width
        ws.set_column(0, max(width - 1, 0), 18)
        ws.set_column(reason_idx, reason_idx, 60)
        if header is not None:
            ws.freeze_panes(header.row, 0)

        for row_no, cells in numbered:
            r = row_no - 1
            bad_cells: dict[int, list[str]] = {}
            for err in by_row.get(row_no, ()):
                idx = _error_index(err, label_index)
                if idx is not None:
                    bad_cells.setdefault(idx, []).append(err.reason)
            for idx, value in enumerate(cells):
                if idx in ignored or idx == reason_idx:
                    continue
                bad = idx in bad_cells
                fmt = (red_text if idx in text_idx else red) if bad else None
                _write_value(ws, r, idx, value, fmt, red_formats if bad else formats)
                if bad:
                    ws.write_comment(r, idx, _clean("\n".join(bad_cells[idx])))
            for idx in bad_cells:
                if idx >= len(cells):  # a missing value: mark the empty cell
                    ws.write_blank(r, idx, None, red_text if idx in text_idx else red)
                    ws.write_comment(r, idx, _clean("\n".join(bad_cells[idx])))
            if header is not None and row_no == header.row:
                ws.write_string(r, reason_idx, str(ERROR_COLUMN_LABEL), title_fmt)
                if file_level:
                    ws.write_comment(r, reason_idx, _clean("\n".join(e.message for e in file_level)),
                                     {"x_scale": 3, "y_scale": 3})
            elif row_no in by_row:
                ws.write_string(r, reason_idx, _clean("\n".join(
                    f"[{e.column}] {e.reason}" if e.column else e.reason for e in by_row[row_no])),
                    reason_fmt)

    problems = wb.add_worksheet(_sheet_title(_("Import problems"), "Problems"))
    for i, w in enumerate((8, 20, 24, 80)):
        problems.set_column(i, i, w)
    for i, text in enumerate((_("Row"), _("Column"), _("Value"), _("Problem"))):
        problems.write_string(0, i, text, bold)
    listed = [*file_level, *sorted((e for row in by_row.values() for e in row),
                                   key=lambda e: e.row or 0)]
    for r, err in enumerate(listed, start=1):
        if err.row is not None:
            problems.write_number(r, 0, err.row)
        problems.write_string(r, 1, _clean(err.column or ""))
        problems.write_string(r, 2, _clean(err.value or ""))
        problems.write_string(r, 3, _clean(err.reason), reason_fmt)
    wb.close()
    return buf.getvalue()


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: Any, date_formats: dict) -> None:
    """Write a calamine value back with its type (a string never becomes a formula;
    xlsxwriter escapes control characters itself)."""
    if isinstance(value, str):
        if value or fmt is not None:
            ws.write_string(r, c, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        if math.isfinite(value):
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, str(value), fmt)
    elif isinstance(value, timedelta):
        ws.write_number(r, c, value.total_seconds() / 86400, date_formats[timedelta])
    elif isinstance(value, (datetime, date, time)):
        kind = next(k for k in (datetime, date, time) if isinstance(value, k))
        ws.write_datetime(r, c, value, date_formats[kind])
    elif value is not None:
        ws.write_string(r, c, str(value), fmt)


def _error_index(err: RowError, label_index: dict[str, int]) -> int | None:
    if err.cell:
        place = _parse_ref(err.cell)
        if place is not None:
            return place[1]
    if err.key and err.key in label_index:
        return label_index[err.key]
    if err.column:
        return label_index.get(_header_key(err.column))
    return None


_ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _clean(text: str) -> str:
    """Drop control characters (not allowed in comments and notes)."""
    return _ILLEGAL_CHARACTERS_RE.sub("", str(text))
