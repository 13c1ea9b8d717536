"""Excel engine, reading an upload safely, before any cell is checked.

The bytes of whatever was uploaded (within the size limit); what the file is when it is not
an .xlsx (.xls, CSV, .xlsb, encrypted); the zip guards (declared sizes, no DOCTYPE); a
streamed scan of the sheet XML for the used area, formulas and merged cells before
python-calamine allocates the sheet; the choice of the worksheet holding the data (the one
whose header names the most columns); the exact digits of long numeric cells; and a cell as
text.  A problem with the whole file is a :class:`_FileError`, reported as a file-level
``RowError``.
"""

from __future__ import annotations

import io
import itertools
import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import validators
from app.core.xlsx.columns import (
    IDENTIFIER_KINDS,
    MAX_UNZIPPED_BYTES,
    XColumn,
    _col_index,
    _col_letter,
    _header_key,
    _label_variants,
    _locales,
    _parse_ref,
)


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
    #: The long numbers of this sheet, looked for in a thread while calamine loaded it.
    early_long_numbers: Any = None


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


def _check_file(path: Any, max_bytes: int) -> None:
    """The refusals of :func:`_read_input` for a file read where it lies (the server's own
    copy of an upload), without reading it into memory."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise _FileError(_("The file could not be read.")) from None
    if size > max_bytes:
        raise _FileError(_("The file is larger than %(limit)s; split it into smaller files.",
                           limit=_size_text(max_bytes)))
    if not size:
        raise _FileError(_("The file is empty."))


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


def _open_zip(raw: Any, max_part_bytes: int = MAX_UNZIPPED_BYTES) -> zipfile.ZipFile:
    """``raw``: the upload's bytes, or the path of the file holding them."""
    try:
        zf = zipfile.ZipFile(raw if isinstance(raw, (str, os.PathLike)) else io.BytesIO(raw))
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
                cells = _CELL_FAST_RE.findall(buf)
                # Every "<c" of a chunk of cells is a cell (one count, not three); other tags
                # starting so (<cols>, <cfRule> ...) take the exact count.
                expected = len(cells) if buf.count(b"<c") == len(cells) else (
                    buf.count(b"<c ") + buf.count(b"<c>") + buf.count(b"<c/"))
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
                if not flagged and (b"mergeCell" in buf or _formula_tag(buf)):
                    flagged = True  # (a false alarm only costs the exact scan)
                if not chunk:
                    break
    except _READ_ERRORS:
        raise _FileError(str(_DAMAGED)) from None
    if unplaced or flagged:
        return _scan_sheet_exact(zf, path, max_cells, max_formulas)
    _check_area(max_row, max_col, max_cells)
    return [], False, []


_F_RE = re.compile(rb"f[ >/]")


def _formula_tag(buf: bytes) -> bool:
    """Whether ``buf`` holds ``<f>``, ``<f ``, ``<f/`` or their prefixed forms (``:f>``...):
    a search for the rare "f" followed by ``>``, space or ``/`` (about 30 times faster than
    searching for each of the six tags), each hit checked for the ``<`` or ``:`` before it."""
    for m in _F_RE.finditer(buf):
        at = m.start()
        if at and buf[at - 1] in b"<:":
            return True
    return False


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
                max_part_bytes: int = MAX_UNZIPPED_BYTES, file_path: Any = None) -> _Sheet:
    """Check the container, pick the worksheet, scan it, and open it with calamine.

    ``file_path``: the file holding the upload (the server's own copy of it), with ``raw`` None:
    the zip is read where it lies, and calamine reads the sheet from the file, so that no
    copy of the whole upload is held in memory.

    The sheet is the first visible one whose header row names the most of ``columns``
    (an instructions sheet placed first is not data); without ``columns``, or when no
    sheet names any, the first visible one."""
    if raw is None and file_path is not None:
        # Read where it lies: only its first bytes (what it is) come into memory.
        try:
            with open(file_path, "rb") as fh:
                _sniff(fh.read(4096))
        except OSError:
            raise _FileError(_("The file could not be read.")) from None
        zf = _open_zip(file_path, max_part_bytes)
    else:
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
    early: dict[str, Any] = {}
    for index, (name, path, _visible) in enumerate(candidates):
        try:
            formulas, more, merges = _scan_sheet(zf, path, max_cells, max_formulas)
            if columns and any(c.kind in IDENTIFIER_KINDS for c in columns) and not early:
                # Calamine loads the sheet without holding the GIL: the search for long numbers
                # (an identifier typed as a number) runs meanwhile, on its own handle to the zip.
                early[path] = _LongNumbersAhead(raw if raw is not None else file_path, path)
            try:
                if book is None:
                    book = (CalamineWorkbook.from_path(os.fspath(file_path)) if file_path is not None
                            else CalamineWorkbook.from_filelike(io.BytesIO(raw)))
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
                  formulas=formulas, formulas_more=more, merges=merges, zf=zf, path=path,
                  early_long_numbers=early.get(path))


def give_back_freed_memory() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``): calamine's copy
    of a large sheet is many small allocations, whose freed space glibc otherwise keeps while
    Python takes new memory for the records. Nothing where the C library has no such call."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        try:
            import ctypes
            import ctypes.util

            name = ctypes.util.find_library("c")
            trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
            if trim is not None:
                trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
                _malloc_trim = trim
        except (OSError, AttributeError):
            pass
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


class _LongNumbersAhead:
    """:func:`_long_numbers` of one sheet, found in a thread of its own (see _open_sheet)."""

    def __init__(self, raw: Any, path: str):
        import threading

        self.found: dict[tuple[int, int], Any] | None = None
        self._thread = threading.Thread(target=self._run, args=(raw, path), daemon=True,
                                        name="xlsx-long-numbers")
        self._thread.start()

    def _run(self, raw: Any, path: str) -> None:
        try:
            zf = zipfile.ZipFile(raw if isinstance(raw, (str, os.PathLike)) else io.BytesIO(raw))
            self.found = _long_numbers(_Sheet(name="", rows=iter(()), start=(0, 0), height=0, formulas=[],
                                              formulas_more=False, merges=[], zf=zf, path=path))
        except Exception:  # (the caller then looks for them itself)
            self.found = None
        give_back_freed_memory()  # (this thread's own C heap: its buffers are done with)

    def result(self) -> dict[tuple[int, int], Any] | None:
        self._thread.join()
        return self.found


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


#: Where a long number may be: a value of 16-20 digits (rare in a sheet of text cells, so the
#: cell around it is only looked at when one is found).
_LONG_VALUE_RE = re.compile(rb"<v>([0-9]{16,20})</v>")


def _long_numbers(sheet: _Sheet) -> dict[tuple[int, int], str | _Rounded]:
    """{(row, column): digits} of the sheet's numeric cells with 16-20 integer digits; those
    written through a double (see :func:`_through_a_double`) as :class:`_Rounded`.

    The sheet XML is searched for such values first and each one's cell tag is then matched
    with :data:`_LONG_NUMBER_RE` where it starts (the last ``<c `` before the value): the
    same cells as a search with ``_LONG_NUMBER_RE`` alone, in a fraction of the time."""
    found: dict[tuple[int, int], str | _Rounded] = {}
    if sheet.zf is None:
        return found
    tail = b""
    try:
        with sheet.zf.open(sheet.path) as fh:
            while True:
                chunk = fh.read(1 << 20)
                buf = tail + chunk
                for v in _LONG_VALUE_RE.finditer(buf):
                    start = buf.rfind(b"<c ", 0, v.start())
                    m = _LONG_NUMBER_RE.match(buf, start) if start >= 0 else None
                    if m is None or m.end() != v.end():
                        continue
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
    if not col0:
        return zip(itertools.count(row0 + 1), sheet.rows)  # no Python frame per row
    pad = [""] * col0
    return ((row0 + i + 1, pad + cells) for i, cells in enumerate(sheet.rows))


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank_row(cells: list[Any]) -> bool:
    """Whether every cell of the row is blank (:func:`_is_blank`); stops at the first that is
    not, usually the first cell."""
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


class _CellError(Exception):
    def __init__(self, reason: Any):
        super().__init__(reason)
        self.reason = str(reason)


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
