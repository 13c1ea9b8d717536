"""Excel engine: streaming export, import templates, checked all-or-nothing import.

One declaration per entity (a list of :class:`XColumn`, in ``app/<module>/schemas.py``)
drives all three:

* **Export** -- :func:`write_xlsx` / :func:`stream_xlsx_response`: xlsxwriter in
  ``constant_memory`` mode (flat memory at a million rows), translated headers,
  typed cells, and every string passed through :func:`neutralize` so that no cell
  can ever run as a formula, not even after a round trip through CSV.
* **Template** -- :func:`build_template`: the header row (required columns marked
  ``*`` in red), text-formatted identifier columns, drop-down lists, and a
  "填写说明" sheet.  Examples are shown in a note on each header cell and in the
  instructions sheet -- never as a data row -- so an import never has to guess
  whether row 2 is an example or a record.
* **Import** -- :func:`read_import` (python-calamine for the values, a streamed
  scan of the sheet XML for formulas, merged cells and the used area), returning
  every problem at once as :class:`RowError` (row as Excel shows it, column label,
  value, reason); :func:`error_workbook` gives the upload back with the problems
  marked; :class:`Importer` / :func:`run_import` add the caller's checks and commit
  only when nothing is wrong.

Every message is an English msgid translated by the zh catalog
(``app/core/xlsx_zh.txt`` lists them with their translations).
"""

from __future__ import annotations

import io
import math
import os
import posixpath
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import IO, Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.core import validators

__all__ = [
    "KINDS",
    "XLSX_MIMETYPE",
    "ImportResult",
    "Importer",
    "RowError",
    "XColumn",
    "add_problems",
    "build_template",
    "bytes_response",
    "content_disposition",
    "error_workbook",
    "neutralize",
    "read_import",
    "run_import",
    "stream_xlsx_response",
    "write_xlsx",
]

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Column kinds understood by export, template and import.
KINDS = frozenset(
    {"str", "int", "decimal", "date", "datetime", "bool", "id_number", "mobile",
     "credit_code", "choice"}
)
#: Kinds whose cells hold identifiers: text-formatted in templates, never numbers.
IDENTIFIER_KINDS = frozenset({"id_number", "mobile", "credit_code"})

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_ERRORS = 1_000
#: Template rows pre-formatted (text for identifiers, date formats).
TEMPLATE_ROWS = 5_000

#: Total uncompressed size accepted inside an upload (zip-bomb guard).
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
#: calamine allocates the used area of a sheet densely (about 30 bytes per cell,
#: empty or not): a 5 KB file with cells in A1 and XFD1048576 would abort the
#: process.  The used area is measured before calamine sees the file.
MAX_SHEET_CELLS = 20_000_000

_YES = _l("Yes")
_NO = _l("No")
ERROR_COLUMN_LABEL = _l("Error reason")


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------

Choices = Callable[[], Sequence[tuple[str, Any]]] | Sequence[tuple[str, Any]]


@dataclass
class XColumn:
    """One column of an entity's Excel declaration.

    ``choices`` are ``(code, label)`` pairs (or a callable returning them, called
    once per export/template/import): the import accepts the label or the code and
    stores the code; the export shows the label.  ``validator`` runs on the cleaned,
    non-empty value: it raises ``validators.ValidationError``/``ValueError`` with a
    message to refuse it; returning ``False`` refuses it with a generic message;
    returning anything other than ``None``/``True`` replaces the value.  ``mask``
    is carried for the caller, which applies it.
    """

    key: str
    label: str | LazyString
    kind: str = "str"
    required: bool = False
    max_length: int | None = None
    choices: Choices | None = None
    validator: Callable[[Any], Any] | None = None
    mask: str | None = None
    width: int = 18
    example: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"XColumn {self.key!r}: unknown kind {self.kind!r}")
        if self.kind == "choice" and self.choices is None:
            raise ValueError(f"XColumn {self.key!r}: a choice column needs choices")

    def choice_pairs(self) -> list[tuple[str, str]]:
        """``[(code, label)]`` with the labels translated now."""
        items = self.choices() if callable(self.choices) else (self.choices or [])
        return [(str(code), str(label)) for code, label in items]


@dataclass
class RowError:
    """One problem: ``row`` as Excel numbers it (``None`` for the whole file),
    ``column`` the column's label (or the header text / column letter as found),
    ``value`` the cell as the user typed it, ``reason`` what to do."""

    row: int | None
    column: str | None
    value: str
    reason: str
    key: str | None = None  # XColumn.key when known
    cell: str | None = None  # cell reference such as "C5" when known

    @property
    def message(self) -> str:
        """The whole problem as one translated sentence."""
        if self.row is None:
            return str(self.reason)
        if not self.column:
            return _("Row %(row)s: %(reason)s", row=self.row, reason=self.reason)
        if self.value:
            return _("Row %(row)s, column %(column)s (value: %(value)s): %(reason)s",
                     row=self.row, column=self.column, value=self.value, reason=self.reason)
        return _("Row %(row)s, column %(column)s: %(reason)s",
                 row=self.row, column=self.column, reason=self.reason)

    def __str__(self) -> str:
        return self.message


@dataclass
class ImportResult:
    """What :func:`read_import` found.

    ``rows`` holds the rows that passed every cell check (values keyed by column
    key, plus ``_row``); ``errors`` every problem (capped, see ``error_count``);
    ``warnings`` problems that do not block the import (e.g. an ID number with an
    unknown county code).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    total_rows: int = 0  # non-blank data rows read
    error_count: int = 0  # every problem found, also those beyond the cap
    sheet_name: str | None = None
    header_row: int | None = None
    committed: bool = False
    commit_result: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def listed(self) -> list[RowError]:
        """The problems themselves, without the note on how many are not listed."""
        return [e for e in self.errors if e.key != MORE_PROBLEMS]


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Prefix ``'`` to a string that a spreadsheet could run as a formula
    (one starting with ``= + - @``, a tab or a carriage return)."""
    if text and text[0] in _FORMULA_TRIGGERS:
        return "'" + text
    return text


def _unneutralize(text: str) -> str:
    """Undo :func:`neutralize` (imports of our own exports)."""
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_TRIGGERS:
        return text[1:]
    return text


def _col_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> 'A', 26 -> 'AA')."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _col_index(letters: str) -> int:
    """Excel letters -> 0-based column index."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """'C5' -> (5, 2): 1-based row, 0-based column."""
    m = _REF_RE.fullmatch(ref or "")
    if not m:
        return None
    return int(m.group(2)), _col_index(m.group(1))


_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _sheet_title(title: Any, default: str = "Sheet1") -> str:
    """A valid worksheet name: no []:*?/\\, not empty, at most 31 characters."""
    text = _SHEET_TITLE_BAD.sub("_", str(title or "")).strip().strip("'")
    return text[:31] or default


def _display(value: Any) -> str:
    """A cell value as the user sees it, for error reports."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 100 else text[:99] + "…"


def _header_key(text: Any) -> str:
    """Header comparison key: NFKC (full-width -> half-width), no whitespace,
    no leading/trailing '*', case-folded."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return text.strip("*").casefold()


def _locales() -> list[str]:
    """The locales with a catalog (none outside an app with Flask-Babel)."""
    from flask import has_app_context

    if not has_app_context():
        return []
    try:
        from flask_babel import get_babel

        return [str(locale) for locale in get_babel().instance.list_translations()]
    except Exception:  # no Babel configured: the current language is enough
        return []


def _label_variants(label: Any, locales: Sequence[str] = ()) -> set[str]:
    """Header keys of a label: as shown now, its msgid, and its translation in every
    locale, so a template downloaded in one language imports in the other."""
    names = {str(label)}
    if isinstance(label, LazyString) and label._args:
        names.add(str(label._args[0]))
        if locales:
            from flask_babel import force_locale

            for locale in locales:
                with force_locale(locale):
                    names.add(str(label))
    return {k for k in (_header_key(n) for n in names) if k}


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

def _default_getter(row: Any, column: XColumn) -> Any:
    if isinstance(row, dict):
        return row.get(column.key)
    return getattr(row, column.key, None)


def write_xlsx(
    fileobj_or_path: str | os.PathLike | IO[bytes],
    columns: Sequence[XColumn],
    rows: Iterable[Any],
    sheet_title: str | None = None,
    value_getter: Callable[[Any, XColumn], Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``rows`` (any iterable of objects or dicts, consumed once) to an .xlsx;
    return the number of rows written.

    Memory stays flat whatever the row count: xlsxwriter's ``constant_memory`` mode
    flushes each row, and the rows are never collected.  Dates and datetimes become
    date cells, numbers numbers (integers of 16+ digits text, so no digit is lost),
    booleans 是/否, choice codes their labels, ``None`` an empty cell, and every
    string goes through :func:`neutralize` and ``write_string``.  Timezone-aware
    datetimes keep their wall-clock time (convert them to local time first).
    ``progress(n)`` is called every 10,000 rows.
    """
    import xlsxwriter

    getter = value_getter or _default_getter
    workbook = xlsxwriter.Workbook(fileobj_or_path, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "remove_timezone": True,
        "nan_inf_to_errors": True,
    })
    try:
        sheet = workbook.add_worksheet(_sheet_title(sheet_title or _("Data"), "Data"))
        header_fmt = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        time_fmt = workbook.add_format({"num_format": "hh:mm:ss"})
        yes, no = str(_YES), str(_NO)
        choice_maps = {i: dict(col.choice_pairs()) for i, col in enumerate(columns)
                       if col.kind == "choice"}
        text_cols = {i for i, col in enumerate(columns) if col.kind in IDENTIFIER_KINDS}

        for i, col in enumerate(columns):
            sheet.set_column(i, i, col.width)
            sheet.write_string(0, i, str(col.label), header_fmt)
        sheet.freeze_panes(1, 0)

        count = 0
        for count, row in enumerate(rows, start=1):
            for i, col in enumerate(columns):
                value = getter(row, col)
                if value is None:
                    continue
                if isinstance(value, Enum):
                    value = value.value
                if i in choice_maps and not isinstance(value, bool):
                    value = choice_maps[i].get(str(value), value)
                if isinstance(value, bool):
                    sheet.write_string(count, i, yes if value else no)
                elif isinstance(value, datetime):
                    sheet.write_datetime(count, i, value, datetime_fmt)
                elif isinstance(value, date):
                    sheet.write_datetime(count, i, value, date_fmt)
                elif isinstance(value, time):
                    sheet.write_datetime(count, i, value, time_fmt)
                elif isinstance(value, (int, float, Decimal)) and not (
                    i in text_cols or (isinstance(value, int) and abs(value) >= 10**15)
                ):
                    sheet.write_number(count, i, float(value))
                else:
                    sheet.write_string(count, i, neutralize(str(value)))
            if progress is not None and count % 10_000 == 0:
                progress(count)
        if columns:
            sheet.autofilter(0, 0, count, len(columns) - 1)
    finally:
        workbook.close()
    return count


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition value with an ASCII fallback and the UTF-8 name
    (RFC 6266 / RFC 5987 ``filename*=UTF-8''...``)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", filename).strip() or "export.xlsx"
    stem, ext = os.path.splitext(name)
    fallback = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'[^A-Za-z0-9._ -]', "_", fallback).strip(" _") or "export"
    fallback += re.sub(r"[^A-Za-z0-9.]", "", ext) or ".xlsx"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def bytes_response(filename: str, data: bytes, mimetype: str = XLSX_MIMETYPE):
    """A download response for an in-memory file (templates, error workbooks)."""
    from flask import Response

    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": content_disposition(filename),
        "Content-Length": str(len(data)),
        "Cache-Control": "no-store",
    })


def stream_xlsx_response(
    filename: str,
    columns: Sequence[XColumn],
    rows: Iterable[Any],
    sheet_title: str | None = None,
    value_getter: Callable[[Any, XColumn], Any] | None = None,
    on_done: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 256 * 1024,
):
    """Export ``rows`` and return a Flask response streaming the file.

    The workbook is written to a temporary file first (inside the request, so the
    query runs with the request's session and scope; ``on_done(count)`` is then
    called, e.g. to audit the export), and the file is unlinked as soon as it is
    open: nothing is left on disk whether or not the client reads it all.
    """
    from flask import Response

    tmp = tempfile.NamedTemporaryFile(prefix="anju-export-", suffix=".xlsx", delete=False)
    tmp.close()
    try:
        count = write_xlsx(tmp.name, columns, rows, sheet_title=sheet_title,
                           value_getter=value_getter, progress=progress)
        size = os.path.getsize(tmp.name)
        fh = open(tmp.name, "rb")  # noqa: SIM115 (closed by the generator / on close)
    finally:
        os.unlink(tmp.name)
    if on_done is not None:
        try:
            on_done(count)
        except BaseException:
            fh.close()
            raise

    def generate() -> Iterator[bytes]:
        try:
            while chunk := fh.read(chunk_size):
                yield chunk
        finally:
            fh.close()

    response = Response(generate(), mimetype=XLSX_MIMETYPE, direct_passthrough=True, headers={
        "Content-Disposition": content_disposition(filename),
        "Content-Length": str(size),
        "Cache-Control": "no-store",
    })
    response.call_on_close(fh.close)
    return response


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Import: reading the file safely
# ---------------------------------------------------------------------------

class _FileError(Exception):
    """A problem with the whole file (carried to a file-level RowError)."""

    def __init__(self, reason: str, value: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.value = value


@dataclass
class _Sheet:
    name: str
    rows: Iterator[list[Any]]  # calamine rows, from ``start``
    start: tuple[int, int]  # 0-based (row, column) of the first cell calamine returns
    height: int
    formulas: list[tuple[int, int]]  # (row 1-based, column 0-based)
    formulas_more: bool
    merges: list[str]
    zf: Any = None
    path: str = ""


def _read_input(data: Any, max_bytes: int) -> bytes:
    """bytes / file-like / path -> bytes, refusing more than ``max_bytes``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    elif isinstance(data, (str, os.PathLike)):
        try:
            with open(data, "rb") as fh:
                raw = fh.read(max_bytes + 1)
        except OSError:
            raise _FileError(_("The file could not be read.")) from None
    elif hasattr(data, "read"):
        raw = data.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    else:
        raise TypeError("read_import() expects bytes, a file object or a path")
    if len(raw) > max_bytes:
        raise _FileError(_("The file is larger than %(limit)s; split it into smaller files.",
                           limit=_size_text(max_bytes)))
    if not raw:
        raise _FileError(_("The file is empty."))
    return raw


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} B"


_SAVE_AS = _l("open it in Excel (or WPS) and save it as Excel Workbook (.xlsx)")


def _sniff(raw: bytes) -> None:
    """Refuse what is obviously not an .xlsx, saying what it is."""
    if raw.startswith(b"PK\x03\x04"):
        return
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _FileError(_("This is an Excel 97-2003 (.xls) file or a password-protected "
                           "workbook. Remove any password, then %(save_as)s.", save_as=_SAVE_AS))
    head = raw[:4096]
    if b"\x00" not in head:
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
            except UnicodeDecodeError:
                continue
            raise _FileError(_("This is a text or CSV file, not an Excel workbook; "
                               "%(save_as)s.", save_as=_SAVE_AS))
    raise _FileError(_("This file is not an Excel workbook (.xlsx); %(save_as)s.",
                       save_as=_SAVE_AS))


#: What reading a damaged zip member can raise.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError, KeyError, ET.ParseError)

_DAMAGED = _l("The file is damaged and cannot be read; open it in Excel, save it again as "
              ".xlsx and upload it again.")

_DOCTYPE_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _small_xml(zf: zipfile.ZipFile, name: str) -> ET.Element:
    info = zf.getinfo(name)
    if info.file_size > 16 * 1024 * 1024:
        raise _FileError(str(_DAMAGED))
    data = zf.read(name)
    if _DOCTYPE_RE.search(data):
        raise _FileError(str(_DAMAGED))
    return ET.fromstring(data)


def _open_zip(raw: bytes, max_part_bytes: int = MAX_UNZIPPED_BYTES) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = set(zf.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise _FileError(str(_DAMAGED)) from None
    if "xl/workbook.bin" in names:
        raise _FileError(_("Excel binary workbooks (.xlsb) are not accepted; %(save_as)s.",
                           save_as=_SAVE_AS))
    if "xl/workbook.xml" not in names:
        raise _FileError(_("This file is not an Excel workbook (.xlsx); %(save_as)s.",
                           save_as=_SAVE_AS))
    infos = zf.infolist()
    if any(info.flag_bits & 0x1 for info in infos):
        raise _FileError(_("The workbook is encrypted; remove the password and save it again."))
    # Judged by the sizes the zip declares, before anything is decompressed (a member
    # inflating beyond its declared size fails its CRC check when read).
    if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES or any(
            info.file_size > max_part_bytes for info in infos):
        raise _FileError(_("The workbook is too large once uncompressed; split it into "
                           "smaller files."))
    return zf


def _worksheets(zf: zipfile.ZipFile) -> list[tuple[str, str, bool]]:
    """[(name, zip path, visible)] of the workbook's worksheets, in workbook order."""
    try:
        workbook = _small_xml(zf, "xl/workbook.xml")
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = _small_xml(zf, rels_name) if rels_name in zf.namelist() else None
    except _READ_ERRORS:
        raise _FileError(str(_DAMAGED)) from None
    targets = {}
    if rels is not None:
        for rel in rels:
            target = rel.get("Target") or ""
            if target.startswith("/"):
                path = target.lstrip("/")
            else:
                path = posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id")] = path
    sheets = []
    for el in workbook.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        path = targets.get(rid)
        if path and path in zf.namelist() and "worksheets/" in path:
            sheets.append((el.get("name") or "", path, (el.get("state") or "visible") == "visible"))
    return sheets


_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
#: Cells as Excel, WPS, LibreOffice, openpyxl and xlsxwriter write them ("r" first).
_CELL_FAST_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>/]*(/?)>')
_CELL_RE = re.compile(rb"<" + _PREFIX + rb'c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')
_PREFIXED_CELL_RE = re.compile(rb"<[A-Za-z_][\w.\-]*:c[\s/>]")


def _scan_sheet(zf: zipfile.ZipFile, path: str, max_cells: int,
                max_formulas: int) -> tuple[list[tuple[int, int]], bool, list[str]]:
    """Stream the sheet XML once (regular expressions over 1 MB chunks) for the used
    area, formulas and merged cells; return (formula cells, more formulas, merges).

    Refuses a used area above ``max_cells`` before calamine allocates it.  When the
    sheet holds formulas or merged cells, or cells the fast scan cannot place, a
    second, exact pass with ``iterparse`` locates them.
    """
    max_row = max_col = 0
    unplaced = flagged = False
    tail = b""
    first = True
    try:
        with zf.open(path) as fh:
            while True:
                chunk = fh.read(1 << 20)
                buf = tail + chunk
                if first:
                    if _DOCTYPE_RE.search(buf[:65536]):
                        raise _FileError(str(_DAMAGED))
                    first = False
                cut = buf.rfind(b"<")
                if chunk and cut >= 0 and buf.find(b">", cut) < 0:
                    tail, buf = buf[cut:], buf[:cut]  # an unfinished tag waits for more
                    if len(tail) > (1 << 20):
                        raise _FileError(str(_DAMAGED))
                else:
                    tail = b""
                expected = buf.count(b"<c ") + buf.count(b"<c>") + buf.count(b"<c/")
                cells = _CELL_FAST_RE.findall(buf)
                if len(cells) != expected:
                    cells = _CELL_RE.findall(buf)
                    unplaced = unplaced or len(cells) != expected
                if (b":c " in buf or b":c>" in buf) and _PREFIXED_CELL_RE.search(buf):
                    unplaced = True
                rows = [r for _c, r, closed in cells if not closed]  # cells holding a value
                if rows:
                    max_row = max(max_row, max(map(int, rows)))
                    letters = {c for c, _r, closed in cells if not closed}
                    max_col = max(max_col, max(_col_index(c.decode()) + 1 for c in letters))
                if not flagged and (b"mergeCell" in buf or any(
                        tag in buf for tag in (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/"))):
                    flagged = True  # (a false alarm only costs the exact scan)
                if not chunk:
                    break
    except _READ_ERRORS:
        raise _FileError(str(_DAMAGED)) from None
    if unplaced or flagged:
        return _scan_sheet_exact(zf, path, max_cells, max_formulas)
    _check_area(max_row, max_col, max_cells)
    return [], False, []


def _check_area(max_row: int, max_col: int, max_cells: int) -> None:
    if max_row > 1_048_576 or max_col > 16_384:
        raise _FileError(str(_DAMAGED))
    if max_row * max_col > max_cells:
        raise _FileError(
            _("The used area of the sheet is too large (it reaches cell %(cell)s). Delete the "
              "empty rows and columns after your data, save, and upload again.",
              cell=f"{_col_letter(max_col - 1)}{max_row}"),
            value=f"{_col_letter(max_col - 1)}{max_row}",
        )


def _scan_sheet_exact(zf: zipfile.ZipFile, path: str, max_cells: int,
                      max_formulas: int) -> tuple[list[tuple[int, int]], bool, list[str]]:
    """iterparse pass: formula cells, merged ranges and the used area, with cells
    placed exactly (``r`` attributes or position); memory bounded (rows cleared)."""
    formulas: list[tuple[int, int]] = []
    more = False
    merges: list[str] = []
    max_row = max_col = 0
    row_no = 0
    col_no = -1
    cell: tuple[int, int] | None = None
    sheet_data = None
    try:
        with zf.open(path) as fh:
            for event, el in ET.iterparse(fh, events=("start", "end")):
                tag = _local(el.tag)
                if event == "start":
                    if tag == "c":
                        place = _parse_ref(el.get("r") or "")
                        if place is None:
                            place = (row_no, col_no + 1)
                        row_no, col_no = place
                        cell = place
                    elif tag == "row":
                        r = el.get("r")
                        row_no = int(r) if r and r.isdigit() else row_no + 1
                        col_no = -1
                    elif tag == "f" and cell is not None:
                        if len(formulas) < max_formulas:
                            formulas.append(cell)
                        else:
                            more = True
                    elif tag == "mergeCell":
                        merges.append(el.get("ref") or "")
                    elif tag == "sheetData":
                        sheet_data = el
                elif tag == "c":
                    if len(el) and cell is not None:
                        max_row = max(max_row, cell[0])
                        max_col = max(max_col, cell[1] + 1)
                    cell = None
                elif tag == "row" and sheet_data is not None:
                    sheet_data.clear()
    except _READ_ERRORS:
        raise _FileError(str(_DAMAGED)) from None
    _check_area(max_row, max_col, max_cells)
    return formulas, more, merges


#: Worksheets looked at for the one holding the data (an instructions sheet may come first).
MAX_SHEETS_TRIED = 10


def _open_sheet(raw: bytes, max_cells: int, max_formulas: int,
                columns: Sequence[XColumn] | None = None,
                max_part_bytes: int = MAX_UNZIPPED_BYTES) -> _Sheet:
    """Check the container, pick the worksheet, scan it, and open it with calamine.

    The sheet is the first visible one whose header row names the most of ``columns``
    (an instructions sheet placed first is not data); without ``columns``, or when no
    sheet names any, the first visible one."""
    _sniff(raw)
    zf = _open_zip(raw, max_part_bytes)
    sheets = _worksheets(zf)
    if not sheets:
        raise _FileError(_("The workbook has no worksheet."))
    candidates = [s for s in sheets if s[2]][:MAX_SHEETS_TRIED] or sheets[:1]
    if not columns:
        candidates = candidates[:1]

    from python_calamine import CalamineWorkbook

    book = None
    variants = _column_variants(columns) if columns else []
    best: tuple[int, int, Any] | None = None  # (matched columns, -index, opened sheet)
    first_error: _FileError | None = None
    for index, (name, path, _visible) in enumerate(candidates):
        try:
            formulas, more, merges = _scan_sheet(zf, path, max_cells, max_formulas)
            try:
                if book is None:
                    book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
                sheet = book.get_sheet_by_name(name)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # calamine's own errors, and pyo3's PanicException
                raise _FileError(str(_DAMAGED)) from None
        except _FileError as exc:
            if index == 0:
                first_error = exc
            continue
        score = _header_score(sheet, columns, variants) if columns else 0
        if best is None or (score, -index) > best[:2]:
            best = (score, -index, (name, path, sheet, formulas, more, merges))
        if not columns or score == len(columns):
            break
    # When no sheet names a column, the first one (ties go to the earlier sheet), whose
    # header, or whose refusal, is then reported.
    if best is None or (best[0] == 0 and first_error is not None):
        raise first_error or _FileError(str(_DAMAGED))
    name, path, sheet, formulas, more, merges = best[2]
    try:
        start = sheet.start
        rows = sheet.iter_rows()
        height = sheet.height
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        raise _FileError(str(_DAMAGED)) from None
    return _Sheet(name=name, rows=rows if start is not None else iter(()),
                  start=start or (0, 0), height=height if start is not None else 0,
                  formulas=formulas, formulas_more=more, merges=merges, zf=zf, path=path)


# A numeric cell holding an integer of 16-20 digits, as other programs than Excel (HR and
# ERP exports) write ID numbers: the XML keeps every digit, the float calamine returns
# does not.
_LONG_NUMBER_RE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?:(?!\bt=")[^>])*(?:\bt="n"[^>]*)?>\s*<v>([0-9]{16,20})</v>')


def _through_a_double(digits: str) -> bool:
    """Whether ``digits`` is what a writer that holds numbers as doubles (JavaScript, Go,
    anything that printed a float) writes for a number beyond 2**53: the shortest text that
    reads back as the same double, padded with zeros (500154197909097723 is saved as
    500154197909097700).  Such a cell has lost its last digits; a writer that kept every
    digit writes anything else."""
    number = float(digits)
    if abs(number) <= 2**53:  # every integer up to 2**53 survives a double exactly
        return False
    return str(int(Decimal(repr(number)))) == digits.lstrip("0")


@dataclass(frozen=True)
class _Rounded:
    """A long numeric cell written through a double: shown as the file holds it, refused
    as a number that lost digits."""

    text: str

    def __str__(self) -> str:
        return self.text


def _long_numbers(sheet: _Sheet) -> dict[tuple[int, int], str | _Rounded]:
    """{(row, column): digits} of the sheet's numeric cells with 16-20 integer digits; those
    written through a double (see :func:`_through_a_double`) as :class:`_Rounded`."""
    found: dict[tuple[int, int], str | _Rounded] = {}
    if sheet.zf is None:
        return found
    tail = b""
    try:
        with sheet.zf.open(sheet.path) as fh:
            while True:
                chunk = fh.read(1 << 20)
                buf = tail + chunk
                for m in _LONG_NUMBER_RE.finditer(buf):
                    digits = m.group(3).decode()
                    found[(int(m.group(2)), _col_index(m.group(1).decode()))] = (
                        _Rounded(digits) if _through_a_double(digits) else digits)
                if not chunk:
                    break
                tail = buf[-512:]
    except _READ_ERRORS:
        return {}
    return found


def _header_score(sheet: Any, columns: Sequence[XColumn], variants: list[set[str]]) -> int:
    """How many of ``columns`` the best of the sheet's first 10 non-blank rows names."""
    best = 0
    seen = 0
    try:
        for cells in sheet.iter_rows():
            if all(_is_blank(c) for c in cells):
                continue
            best = max(best, len(set(_match_header(cells, columns, variants).values())))
            seen += 1
            if seen >= 10 or best == len(columns):
                break
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        return 0
    return best


def _iter_numbered(sheet: _Sheet) -> Iterator[tuple[int, list[Any]]]:
    """(Excel row number, cells from column A) for every row calamine returns."""
    row0, col0 = sheet.start
    pad = [""] * col0
    for i, cells in enumerate(sheet.rows):
        yield row0 + i + 1, (pad + cells) if col0 else cells


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# ---------------------------------------------------------------------------
# Import: converting cells
# ---------------------------------------------------------------------------

class _CellError(Exception):
    def __init__(self, reason: Any):
        super().__init__(reason)
        self.reason = str(reason)


@dataclass
class _Warned:
    value: Any
    warnings: tuple


_NUMBER_MISTYPED = _l("Enter a number")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE8_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME_RE = re.compile(r"T?\s*(\d{1,2})\s*[:时]\s*(\d{1,2})"
                      r"(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _text_of(raw: Any) -> str:
    """A non-empty cell as text (numbers without a spurious '.0')."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if validators.looks_like_precision_loss(raw):
            raise _CellError(validators.MESSAGES["uscc.precision"])
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
    if isinstance(raw, (date, time)):
        return raw.isoformat()
    return str(raw)


def _to_str(raw: Any) -> str:
    return _text_of(raw)


def _to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, (date, time, timedelta)):
        raise _CellError(_NUMBER_MISTYPED)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _CellError(_NUMBER_MISTYPED)
        return Decimal(repr(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    text = validators.normalize(str(raw)).replace(",", "").lstrip("¥$")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _CellError(_NUMBER_MISTYPED) from None
    if not number.is_finite():
        raise _CellError(_NUMBER_MISTYPED)
    return number


def _to_int(raw: Any) -> int:
    try:
        number = _to_decimal(raw)
    except _CellError:
        raise _CellError(_("Enter a whole number")) from None
    if number != number.to_integral_value():
        raise _CellError(_("Enter a whole number (no decimals)"))
    return int(number)


def _date_from_text(text: str, with_time: bool) -> datetime | None:
    text = _nfkc(text)
    m = _DATE_RE.match(text) or _DATE8_RE.match(text)
    if not m:
        return None
    rest = text[m.end():].strip()
    hour = minute = second = 0
    if rest:
        t = _TIME_RE.fullmatch(rest)
        if not t:
            return None
        hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
        if not with_time and (hour, minute, second) != (0, 0, 0):
            raise _CellError(_("Enter a date without a time"))
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), hour, minute, second)
    except ValueError:
        raise _CellError(_("This date does not exist; check the year, month and day")) from None


def _to_datetime(raw: Any, with_time: bool = True) -> datetime:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 19000101 <= raw <= 29991231:
            parsed = _date_from_text(str(int(raw)), with_time)
            if parsed is not None:
                return parsed
    elif isinstance(raw, str):
        parsed = _date_from_text(raw, with_time)
        if parsed is not None:
            return parsed
    if with_time:
        raise _CellError(_("Enter a date and time such as 2024-01-05 14:30:00"))
    raise _CellError(_("Enter a date such as 2024-01-05 (2024/1/5, 2024年1月5日 or "
                       "20240105 also work)"))


def _to_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    return _to_datetime(raw, with_time=False).date()


def _bool_words() -> tuple[set[str], set[str]]:
    yes = {"是", "y", "yes", "true", "1", "√", _header_key(_YES)}
    no = {"否", "n", "no", "false", "0", "×", _header_key(_NO)}
    return yes, no


def _make_bool() -> Callable[[Any], bool]:
    yes_words, no_words = _bool_words()
    words = {**{w: True for w in yes_words}, **{w: False for w in no_words}}

    def to_bool(raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            found = words.get(raw)
            if found is None:
                found = words.get(_header_key(raw))
            if found is not None:
                return found
        raise _CellError(_("Enter %(yes)s or %(no)s", yes=_YES, no=_NO))

    return to_bool


def _make_choice(col: XColumn) -> Callable[[Any], str]:
    pairs = col.choice_pairs()
    lookup: dict[str, str] = {}
    for code, _label in pairs:
        lookup[code] = lookup[_header_key(code)] = code
    for code, label in pairs:  # a label wins over another entry's identical code
        lookup[label] = lookup[_header_key(label)] = code
    shown = "、".join(label for _code, label in pairs[:30]) + ("…" if len(pairs) > 30 else "")

    def to_choice(raw: Any) -> str:
        text = _text_of(raw)
        code = lookup.get(text) or lookup.get(_header_key(text))
        if code is None:
            raise _CellError(_("Not an allowed value; choose one of: %(choices)s", choices=shown))
        return code

    return to_choice


def _identifier(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(raw: Any) -> Any:
        if isinstance(raw, _Rounded):
            raw = float(raw.text)  # the check refuses it as a number that lost digits
        if isinstance(raw, bool) or isinstance(raw, (date, time, timedelta)):
            raw = _display(raw)
        try:
            return check(raw)
        except validators.ValidationError as exc:
            raise _CellError(exc) from None
        except TypeError:
            raise _CellError(_("Invalid value")) from None

    return convert


def _check_id(raw: Any) -> Any:
    result = validators.check_resident_id(raw)
    return _Warned(result.number, tuple(result.warnings)) if result.warnings else result.number


def _converter(col: XColumn) -> Callable[[Any], Any]:
    kind = col.kind
    if kind == "str":
        return _to_str
    if kind == "int":
        return _to_int
    if kind == "decimal":
        return _to_decimal
    if kind == "date":
        return _to_date
    if kind == "datetime":
        return _to_datetime
    if kind == "bool":
        return _make_bool()
    if kind == "choice":
        return _make_choice(col)
    if kind == "id_number":
        return _identifier(_check_id)
    if kind == "mobile":
        return _identifier(validators.check_mobile)
    return _identifier(validators.check_credit_code)


# ---------------------------------------------------------------------------
# Import: headers
# ---------------------------------------------------------------------------

@dataclass
class _Header:
    row: int
    positions: dict[str, int]  # column key -> 0-based index
    ignored: set[int]  # the error-reason column of a re-uploaded error workbook
    width: int
    skipped: set[int] = field(default_factory=set)  # a 序号 (row number) column: not data


#: Headers of a row-number column, common in Chinese sheets: its numbers are not data, and a
#: row holding only a number is blank.
_ROW_NUMBER_HEADERS = ("序号",)


def _match_header(cells: list[Any], columns: Sequence[XColumn],
                  variants: list[set[str]]) -> dict[int, int]:
    """{cell index: column index} for the cells naming a declared column."""
    found = {}
    for idx, cell in enumerate(cells):
        if _is_blank(cell):
            continue
        key = _header_key(_text_of(cell))
        for ci, names in enumerate(variants):
            if key in names:
                found[idx] = ci
                break
    return found


def _column_variants(columns: Sequence[XColumn], locales: Sequence[str] | None = None
                     ) -> list[set[str]]:
    """Per column, the header keys that name it (its key and its label in every language)."""
    locales = _locales() if locales is None else locales
    return [{_header_key(c.key)} | _label_variants(c.label, locales) for c in columns]


def _read_header(numbered: Iterator[tuple[int, list[Any]]], columns: Sequence[XColumn],
                 errors: _Errors) -> tuple[_Header | None, list[tuple[int, list[Any]]]]:
    """Find the header: the first non-blank row naming at least one declared column
    (within the first 10 non-blank rows; else the first non-blank row).  Rows
    above it are ignored.  Returns the header and the data rows already read."""
    locales = _locales()
    variants = _column_variants(columns, locales)
    error_keys = _label_variants(ERROR_COLUMN_LABEL, locales)
    number_keys = {_header_key(n) for n in _ROW_NUMBER_HEADERS}
    seen: list[tuple[int, list[Any]]] = []
    for row_no, cells in numbered:
        if all(_is_blank(c) for c in cells):
            continue
        seen.append((row_no, cells))
        if _match_header(cells, columns, variants) or len(seen) >= 10:
            break
    if not seen:
        return None, []
    pick = next((i for i, (_n, cells) in enumerate(seen)
                 if _match_header(cells, columns, variants)), 0)
    row_no, cells = seen[pick]
    matched = _match_header(cells, columns, variants)

    positions: dict[str, int] = {}
    ignored: set[int] = set()
    skipped: set[int] = set()
    where: dict[int, list[int]] = {}
    for idx, cell in enumerate(cells):
        if _is_blank(cell):
            continue
        if idx in matched:
            where.setdefault(matched[idx], []).append(idx)
        elif _header_key(_text_of(cell)) in error_keys:
            ignored.add(idx)
        elif _header_key(_text_of(cell)) in number_keys:
            skipped.add(idx)
        else:
            letter = _col_letter(idx)
            errors.add(RowError(row_no, letter, "",
                                _("Unknown column %(name)s: delete it or use the column names "
                                  "of the template", name=_display(cell)),
                                cell=f"{letter}{row_no}"))
    for ci, col in enumerate(columns):
        label = str(col.label)
        idxs = where.get(ci, [])
        if len(idxs) > 1:
            letters = "、".join(_col_letter(i) for i in idxs)
            errors.add(RowError(row_no, label, "",
                                _("The column %(name)s appears more than once (columns "
                                  "%(letters)s); keep only one", name=label, letters=letters),
                                key=col.key))
        elif idxs:
            positions[col.key] = idxs[0]
        elif col.required:
            errors.add(RowError(row_no, label, "",
                                _("The required column %(name)s is missing; download the "
                                  "template again and keep its header row", name=label),
                                key=col.key))
    header = _Header(row=row_no, positions=positions, ignored=ignored, width=len(cells),
                     skipped=skipped)
    return header, seen[pick + 1:]


# ---------------------------------------------------------------------------
# Import: the whole run
# ---------------------------------------------------------------------------

class _Errors:
    """Collects errors up to a cap, counting all."""

    def __init__(self, result: ImportResult, cap: int):
        self.result = result
        self.cap = cap

    def add(self, error: RowError) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < self.cap:
            self.result.errors.append(error)

    @property
    def full(self) -> bool:
        return len(self.result.errors) >= self.cap

    def close(self) -> None:
        extra = self.result.error_count - len(self.result.errors)
        if extra > 0:
            self.result.errors.append(RowError(
                None, None, "",
                _("%(more)s more problems were found but are not listed; correct the ones above "
                  "and upload again.", more=extra), key=MORE_PROBLEMS))


#: ``RowError.key`` of the note saying how many problems are not listed.
MORE_PROBLEMS = "__more__"


def _sort_errors(result: ImportResult) -> None:
    """Problems of the whole file first, then by row (stable: a row's cells in column order)."""
    result.errors.sort(key=lambda e: (e.row is not None, e.row or 0))


def add_problems(result: ImportResult, problems: Iterable[tuple[int | None, str | None, Any]],
                 columns: Sequence[XColumn], max_errors: int = DEFAULT_MAX_ERRORS) -> None:
    """Add the caller's (database) checks, ``[(row, column key, message)]``, to ``result``:
    each with the row's value of that column, counted in ``error_count``, capped with the
    others, and the list sorted by row again."""
    labels = {c.key: str(c.label) for c in columns}
    records = {r["_row"]: r for r in result.rows}
    result.errors[:] = [e for e in result.errors if e.key != MORE_PROBLEMS]
    errors = _Errors(result, max(1, max_errors))
    for row_no, key, message in problems:
        value = _display(records.get(row_no, {}).get(key)) if key else ""
        errors.add(RowError(row_no, labels.get(key, key) if key else None, value, str(message),
                            key=key))
    _sort_errors(result)
    errors.close()


def _unique_specs(unique: Iterable[Any] | None) -> list[tuple[str, ...]]:
    specs = []
    for spec in unique or ():
        specs.append((spec,) if isinstance(spec, str) else tuple(spec))
    return specs


def read_import(
    data: bytes | IO[bytes] | str | os.PathLike,
    columns: Sequence[XColumn],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    unique: Iterable[Sequence[str] | str] | None = (),
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Read and check the first worksheet of an uploaded .xlsx against ``columns``.

    Never raises for a bad file: every problem becomes a :class:`RowError` (file-level
    ones with ``row=None``).  The header may be in any column order; it is matched
    ignoring a leading ``*``, spaces, full-/half-width and the language.  Blank rows
    are skipped; every other row is checked and every problem collected (up to
    ``max_errors``, then one note saying how many more).  ``unique`` lists column
    keys (or tuples of keys) whose values may appear only once in the file.
    ``progress(done, total)`` is called every 5,000 rows.
    """
    result = ImportResult()
    errors = _Errors(result, max(1, max_errors))
    keys = [c.key for c in columns]
    if len(set(keys)) != len(keys):
        raise ValueError("read_import(): duplicate column keys")
    specs = _unique_specs(unique)
    if any(k not in keys for spec in specs for k in spec):
        raise ValueError("read_import(): unique names a key that is not a column")
    try:
        raw = _read_input(data, max_bytes)
        max_cells = min(MAX_SHEET_CELLS,
                        max(2_000_000, (max_rows + 1_000) * (len(columns) + 20)))
        sheet = _open_sheet(raw, max_cells, max_errors, columns,
                            part_budget(max_rows, len(columns)))
        result.sheet_name = sheet.name
        _check_rows(sheet, columns, max_rows, specs, result, errors, progress)
    except _FileError as exc:
        errors.add(RowError(None, None, exc.value, exc.reason))
    _sort_errors(result)
    errors.close()
    return result


#: Declared (uncompressed) bytes allowed per data cell in one part of the workbook: a
#: shared-string cell takes about 45 bytes of sheet XML, an inline one with a long Chinese
#: text about 110.
PART_BYTES_PER_CELL = 64


def part_budget(max_rows: int, n_columns: int) -> int:
    """The largest uncompressed part (sheet XML, shared strings) an upload of ``max_rows``
    rows of ``n_columns`` columns needs; larger declared parts are refused unread."""
    return min(MAX_UNZIPPED_BYTES,
               max(16 * 1024 * 1024, (max_rows + 1_000) * (n_columns + 2) * PART_BYTES_PER_CELL))


def _check_rows(sheet: _Sheet, columns: Sequence[XColumn], max_rows: int,
                unique: list[tuple[str, ...]], result: ImportResult, errors: _Errors,
                progress: Callable[[int, int], None] | None) -> None:
    numbered = _iter_numbered(sheet)
    header, pending = _read_header(numbered, columns, errors)
    if header is None:
        raise _FileError(_("The first worksheet is empty; fill in the template and upload it "
                           "again."))
    result.header_row = header.row
    labels = {c.key: str(c.label) for c in columns}

    if sheet.merges:
        shown = ", ".join(sheet.merges[:20]) + (" …" if len(sheet.merges) > 20 else "")
        errors.add(RowError(None, None, shown,
                            _("Merged cells are not accepted (%(ranges)s): unmerge them and fill "
                              "in every cell.", ranges=shown)))
    formula_cells = set(sheet.formulas)
    by_index = {idx: key for key, idx in header.positions.items()}
    for row_no, col in sheet.formulas:
        label = labels.get(by_index.get(col, ""), _col_letter(col))
        errors.add(RowError(row_no, label, "",
                            _("Formulas are not accepted: copy the cells and paste them as "
                              "values"), key=by_index.get(col), cell=f"{_col_letter(col)}{row_no}"))
    if sheet.formulas_more:
        errors.add(RowError(None, None, "", _("More cells contain formulas: paste the whole "
                                              "sheet as values.")))
    if result.errors:
        header_broken = any(e.row == header.row for e in result.errors)
        if header_broken:
            return  # without a sound header, cell checks would only add noise

    specs = [(c, header.positions.get(c.key), _converter(c)) for c in columns]
    # Identifier columns given as numbers: take the exact digits from the XML when it kept
    # them (a file saved by Excel itself, or written through a double, has lost them; the ID
    # check then says so).
    id_columns = [idx for c, idx, _conv in specs if idx is not None and c.kind in IDENTIFIER_KINDS]
    exact = _long_numbers(sheet) if id_columns else {}
    known = set(header.positions.values()) | header.ignored | header.skipped
    unknown = [i for i in range(header.width) if i not in known]
    stray: dict[int, int] = {}  # values in columns without a header: first row
    seen_unique: list[dict[tuple, int]] = [{} for _ in unique]
    total = sheet.height

    def rows() -> Iterator[tuple[int, list[Any]]]:
        yield from pending
        yield from numbered

    count = 0
    # A stale reason in a re-uploaded error workbook, and row numbers, are not data.
    ignored = header.ignored | header.skipped
    for row_no, cells in rows():
        if ignored:
            cells = [None if i in ignored else c for i, c in enumerate(cells)]
        if all(_is_blank(c) for c in cells):
            continue
        count += 1
        if count > max_rows:  # the file must be split: its row problems would only distract
            result.rows.clear()
            result.errors[:] = [e for e in result.errors if e.row is None]
            result.error_count = len(result.errors)
            raise _FileError(_("The file has more than %(max)s data rows; split it into files "
                               "of at most %(max)s rows.", max=max_rows))
        for idx in unknown:  # calamine rows all span the used area: as wide as the header
            if idx < len(cells) and not _is_blank(cells[idx]):
                stray.setdefault(idx, row_no)
        if exact:
            for idx in id_columns:
                if idx < len(cells) and isinstance(cells[idx], float) and (row_no, idx) in exact:
                    cells[idx] = exact[(row_no, idx)]
        record, bad = _check_row(row_no, cells, specs, formula_cells, result, errors)
        if not bad and not _check_unique(record, unique, seen_unique, labels, errors):
            result.rows.append(record)
        if progress is not None and count % 5_000 == 0:
            progress(count, total)
    result.total_rows = count
    for idx, row_no in sorted(stray.items()):
        letter = _col_letter(idx)
        errors.add(RowError(row_no, letter, "",
                            _("Column %(letter)s has values but no header; add the header or "
                              "delete the column", letter=letter), cell=f"{letter}{row_no}"))
    if count == 0:
        raise _FileError(_("There are no data rows below the header (row %(row)s); fill in at "
                           "least one record.", row=header.row))


def _check_unique(record: dict[str, Any], unique: list[tuple[str, ...]],
                  seen_unique: list[dict[tuple, int]], labels: dict[str, str],
                  errors: _Errors) -> bool:
    """Report ``record`` if it repeats an earlier row on a unique key; True if it does."""
    duplicate = False
    row_no = record["_row"]
    for spec, seen in zip(unique, seen_unique):
        value = tuple(record.get(k) for k in spec)
        if any(v is None for v in value):
            continue
        first = seen.setdefault(value, row_no)
        if first != row_no:
            duplicate = True
            names = "+".join(labels.get(k, k) for k in spec)
            errors.add(RowError(row_no, names, " / ".join(_display(v) for v in value),
                                _("Duplicate: row %(first)s already has the same %(columns)s",
                                  first=first, columns=names), key=spec[0]))
    return duplicate


#: Apostrophes typed before an identifier to keep it as text (Excel hides its own; other
#: programs, and text-formatted cells, keep it in the value).
_QUOTES = "'‘’＇`"


def _check_row(row_no: int, cells: list[Any], specs: list, formula_cells: set,
               result: ImportResult, errors: _Errors) -> tuple[dict[str, Any], bool]:
    record: dict[str, Any] = {"_row": row_no}
    bad = False
    width = len(cells)
    for col, idx, convert in specs:
        raw = cells[idx] if idx is not None and idx < width else None
        if formula_cells and (row_no, idx) in formula_cells:
            bad = True  # already reported
            continue
        if isinstance(raw, str):
            raw = raw.strip()
            if raw[:1] in _QUOTES and col.kind in IDENTIFIER_KINDS:
                raw = raw.lstrip(_QUOTES).strip()  # typed to keep a number as text
            elif raw[:1] == "'":
                raw = _unneutralize(raw).strip()
        if raw is None or raw == "":
            record[col.key] = None
            if col.required:
                bad = True
                errors.add(RowError(row_no, str(col.label), "",
                                    _("This column is required"), key=col.key,
                                    cell=_cell_ref(idx, row_no)))
            continue
        try:
            value = convert(raw)
            if isinstance(value, _Warned):
                for warning in value.warnings[:max(0, errors.cap - len(result.warnings))]:
                    result.warnings.append(RowError(row_no, str(col.label), _display(raw),
                                                    str(warning), key=col.key,
                                                    cell=_cell_ref(idx, row_no)))
                value = value.value
            if col.max_length and isinstance(value, str) and len(value) > col.max_length:
                raise _CellError(_("Too long: %(n)s characters, at most %(max)s allowed",
                                   n=len(value), max=col.max_length))
            if col.validator is not None:
                value = _run_validator(col.validator, value)
        except _CellError as exc:
            bad = True
            errors.add(RowError(row_no, str(col.label), _display(raw), exc.reason,
                                key=col.key, cell=_cell_ref(idx, row_no)))
            continue
        record[col.key] = value
    return record, bad


def _cell_ref(idx: int | None, row_no: int) -> str | None:
    return None if idx is None else f"{_col_letter(idx)}{row_no}"


def _run_validator(validator: Callable[[Any], Any], value: Any) -> Any:
    try:
        outcome = validator(value)
    except ValueError as exc:  # validators.ValidationError and WTForms' are ValueErrors
        raise _CellError(str(exc) or _("Invalid value")) from None
    if outcome is False:
        raise _CellError(_("Invalid value"))
    if outcome is None or outcome is True:
        return value
    return outcome


# ---------------------------------------------------------------------------
# Import: the error workbook
# ---------------------------------------------------------------------------

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




# ---------------------------------------------------------------------------
# Import with the caller's checks and commit
# ---------------------------------------------------------------------------

RowCheck = Callable[[dict[str, Any]], Iterable[tuple[str | None, Any]]]


class Importer:
    """Read, check and -- only when nothing is wrong -- commit an upload.

    ``validate_row(row) -> [(column_key, message)]`` adds cross-field and database
    checks on each row that passed the cell checks; ``commit(rows)`` runs only when
    there is no error at all (the caller wraps it in one transaction, so the import
    is all-or-nothing); its return value is kept in ``result.commit_result``.
    """

    def __init__(self, columns: Sequence[XColumn], *, unique: Iterable[Any] | None = (),
                 max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS,
                 max_errors: int = DEFAULT_MAX_ERRORS):
        self.columns = list(columns)
        self.unique = list(unique or ())
        self.max_bytes = max_bytes
        self.max_rows = max_rows
        self.max_errors = max_errors

    def read(self, data: Any) -> ImportResult:
        return read_import(data, self.columns, max_bytes=self.max_bytes, max_rows=self.max_rows,
                           unique=self.unique, max_errors=self.max_errors)

    def run(self, data: Any, validate_row: RowCheck | None = None,
            commit: Callable[[list[dict[str, Any]]], Any] | None = None) -> ImportResult:
        result = self.read(data)
        # The caller's checks run when the file itself is sound and the list not full.
        if validate_row is not None and not any(
                e.row is None and e.key != MORE_PROBLEMS for e in result.errors):
            problems = [(row["_row"], key, message) for row in result.rows
                        for key, message in validate_row(row) or ()]
            add_problems(result, problems, self.columns, self.max_errors)
            failed = {row_no for row_no, _key, _message in problems}
            result.rows = [r for r in result.rows if r["_row"] not in failed]
        if commit is not None and not result.errors:
            result.commit_result = commit(result.rows)
            result.committed = True
        return result


def run_import(data: Any, columns: Sequence[XColumn], validate_row: RowCheck | None = None,
               commit: Callable[[list[dict[str, Any]]], Any] | None = None,
               **options: Any) -> ImportResult:
    """Shortcut for ``Importer(columns, **options).run(data, validate_row, commit)``."""
    return Importer(columns, **options).run(data, validate_row=validate_row, commit=commit)
