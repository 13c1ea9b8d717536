"""Excel engine, export: :func:`write_xlsx` / :func:`stream_xlsx_response`.

xlsxwriter in ``constant_memory`` mode (flat memory at a million rows), translated headers,
typed cells, and every string passed through :func:`neutralize` so that no cell can ever run
as a formula, not even after a round trip through CSV.  Also the download responses
(:func:`bytes_response`, :func:`content_disposition`) used for templates and error
workbooks.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import IO, Any
from urllib.parse import quote

from flask_babel import gettext as _

from app.core.xlsx.columns import (
    _NO,
    _YES,
    IDENTIFIER_KINDS,
    XLSX_MIMETYPE,
    XColumn,
    _sheet_title,
    neutralize,
)


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
    info: Sequence[tuple[str, str]] | None = None,
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
        if info:
            about = workbook.add_worksheet(_sheet_title(_("Export notes"), "Notes"))
            about.set_column(0, 0, 14)
            about.set_column(1, 1, 80)
            for r, (label, text) in enumerate(info):
                about.write_string(r, 0, neutralize(str(label)), header_fmt)
                about.write_string(r, 1, neutralize(str(text)))
    finally:
        workbook.close()
    return count


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition value with an ASCII fallback and the UTF-8 name
    (RFC 6266 / RFC 5987 ``filename*=UTF-8''...``)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", filename).strip() or "export.xlsx"
    stem, ext = os.path.splitext(name)
    fallback = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'[^A-Za-z0-9._ -]', "_", fallback).strip(" _-.")
    if not re.search(r"[A-Za-z0-9]", fallback):
        # Nothing readable left of a Chinese name: a neutral word, never a stray "-".
        fallback = "export"
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
    info: Sequence[tuple[str, str]] | None = None,
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
                           value_getter=value_getter, progress=progress, info=info)
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
