"""Excel engine, export: :func:`write_xlsx` / :func:`stream_xlsx_response`.

The workbook is streamed by our own writer (``sheetxml.py``: per-row XML into a zip entry,
several times faster than xlsxwriter's per-cell calls, flat memory), with translated headers,
faithful typed cells, column widths that fit Chinese, a frozen bold header, an autofilter, the
export's own description (who, when, filters) and every string passed through
:func:`neutralize` so that no cell can ever run as a formula, not even after a round trip
through CSV.  Also the download responses (:func:`bytes_response`,
:func:`content_disposition`) used for templates and error workbooks.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from typing import IO, Any
from urllib.parse import quote

from flask_babel import gettext as _

from app.core import progress as _progress
from app.core.xlsx import sheetxml
from app.core.xlsx.columns import (
    _NO,
    _YES,
    IDENTIFIER_KINDS,
    XLSX_MIMETYPE,
    XColumn,
    _sheet_title,
    neutralize,
)

#: Rows between two calls of ``progress`` / ``should_stop``.
PROGRESS_EVERY = 1_000
#: XColumn's default width: a column declared with another width keeps it as a floor.
_DEFAULT_WIDTH = next(f.default for f in fields(XColumn) if f.name == "width")


class ExportCancelled(_progress.Cancelled):
    """``should_stop`` answered True: the export stopped and its file (when the target
    was a path) was removed.  A :class:`app.core.progress.Cancelled`, so the task engine
    treats it as any cancelled task."""


def _default_getter(row: Any, column: XColumn) -> Any:
    if isinstance(row, dict):
        return row.get(column.key)
    return getattr(row, column.key, None)


def _extractor(columns: Sequence[XColumn],
               value_getter: Callable[[Any, XColumn], Any] | None) -> Callable[[Any], Sequence[Any]]:
    """row -> its values in column order.  Plain tuples and lists are taken as they are
    (positional), dicts by key, other objects by attribute, unless a getter is given."""
    if value_getter is not None:
        return lambda row: [value_getter(row, col) for col in columns]
    keys = [col.key for col in columns]

    def extract(row: Any) -> Sequence[Any]:
        kind = type(row)
        if kind is tuple or kind is list:
            return row
        if isinstance(row, dict):
            return [row.get(k) for k in keys]
        return [getattr(row, k, None) for k in keys]

    return extract


def _sheet_name(title: str, n: int) -> str:
    """The n-th sheet of an export: "数据", "数据(2)", ... (at most 31 characters)."""
    if n == 1:
        return title
    suffix = f"({n})"
    return title[:31 - len(suffix)] + suffix


def _fit_widths(renderer: sheetxml.Renderer, columns: Sequence[XColumn], labels: Sequence[str],
                sample: Sequence[Sequence[Any]]) -> list[float]:
    """Column widths from the header and the sampled rows (wide characters count 2), kept in
    MIN_WIDTH..MAX_WIDTH; a width declared on the XColumn (other than the default) is a floor."""
    best = [sheetxml.display_width(label) for label in labels]
    for values in sample:
        for i, w in enumerate(renderer.widths(values)):
            if w > best[i]:
                best[i] = w
    out = []
    for col, w in zip(columns, best):
        width = min(max(w + 2, sheetxml.MIN_WIDTH), sheetxml.MAX_WIDTH)
        if col.width != _DEFAULT_WIDTH:
            width = max(width, col.width)
        out.append(width)
    return out


def write_xlsx(
    fileobj_or_path: str | os.PathLike | IO[bytes],
    columns: Sequence[XColumn],
    rows: Iterable[Any],
    sheet_title: str | None = None,
    value_getter: Callable[[Any, XColumn], Any] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    info: Sequence[tuple[str, str]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    info_comment: bool = True,
    max_sheet_rows: int = sheetxml.MAX_SHEET_ROWS,
) -> int:
    """Write ``rows`` (any iterable of objects, dicts or tuples in column order, consumed
    once) to an .xlsx; return the number of rows written.

    Memory stays flat whatever the row count: rows are rendered and written 1,000 at a
    time; only the first :data:`sheetxml.SAMPLE_ROWS` are held, to size the columns.

    Cells: dates are date cells (yyyy-mm-dd), datetimes datetime cells shown to the minute
    (yyyy-mm-dd hh:mm, as the console shows them; the value keeps its seconds; timezone-aware
    ones keep their wall-clock time: convert them to local time first), times time cells,
    numbers numbers (``Decimal`` too; integers of 16+ digits, and any number in an identifier
    column, text so no digit is lost; NaN/infinity #NUM!), booleans 是/否, choice codes their
    labels, ``None`` and "" empty.  Strings are written whole (up to Excel's 32,767
    characters), as strings -- never formulas --, through :func:`neutralize`, without the
    characters XML cannot hold.  Dates before 1900 (which Excel cannot show) are text.

    Layout: a bold, frozen header row, an autofilter over header and data, column widths
    fitted to the header and the first rows (wide characters count 2, 8..60; a width
    declared on the XColumn other than the default is a floor).  Past ``max_sheet_rows``
    rows (Excel's 1,048,576, header included) the rows continue on "<title>(2)", with the
    header again.

    ``info``: ``(label, value)`` lines describing the export (exporter, time, filters,
    order, row count; labels already translated), written as a last sheet "导出说明" and,
    unless ``info_comment`` is False, as a note on cell A1.

    ``progress(n)`` is called every :data:`PROGRESS_EVERY` rows (and once at the end) with
    the rows written so far; ``should_stop()`` is asked at the same points and, when it
    answers True, the export stops with :class:`ExportCancelled`.  On any error or cancel,
    a file given by its path is removed (nothing partial is left); a file object is left
    as it is, for its owner to drop.
    """
    is_path = isinstance(fileobj_or_path, (str, os.PathLike))
    columns = list(columns)
    labels = [str(col.label) for col in columns]
    choices = [dict(col.choice_pairs()) if col.kind == "choice" else None for col in columns]
    as_text = [col.kind in IDENTIFIER_KINDS for col in columns]
    renderer = sheetxml.Renderer(len(columns), choices, as_text, neutralize, str(_YES), str(_NO))
    extract = _extractor(columns, value_getter)
    title = _sheet_title(sheet_title or _("Data"), "Data")
    per_sheet = max(1, max_sheet_rows - 1)
    last_col = sheetxml.col_letter(len(columns) - 1) if columns else None
    info = [(str(label), "" if value is None else str(value)) for label, value in (info or [])]

    package = sheetxml.Package(fileobj_or_path)
    count = 0
    try:
        it = iter(rows)
        sample = [extract(row) for row in itertools.islice(it, sheetxml.SAMPLE_ROWS)]
        widths = _fit_widths(renderer, columns, labels, sample)
        header = renderer.header(labels)
        render = renderer.row
        sheets = 0

        def open_sheet() -> IO[bytes]:
            nonlocal sheets
            sheets += 1
            stream = package.open_sheet(_sheet_name(title, sheets))
            stream.write((sheetxml.sheet_head(widths, selected=sheets == 1) + header).encode())
            return stream

        def close_sheet(stream: IO[bytes], last_row: int) -> None:
            ref = f"A1:{last_col}{last_row}" if last_col else None
            stream.write(sheetxml.sheet_tail(ref, legacy_drawing=bool(
                sheets == 1 and info and info_comment)).encode())
            package.close_sheet(ref)

        stream = open_sheet()
        r = 1  # the last row written on this sheet (1: the header)
        buf: list[str] = []
        left = PROGRESS_EVERY
        for values in itertools.chain(sample, map(extract, it)):
            if r > per_sheet:
                stream.write("".join(buf).encode())
                buf.clear()
                close_sheet(stream, r)
                stream = open_sheet()
                r = 1
            r += 1
            buf.append(render(values, r))
            count += 1
            left -= 1
            if not left:
                left = PROGRESS_EVERY
                stream.write("".join(buf).encode())
                buf.clear()
                if progress is not None:
                    progress(count)
                if should_stop is not None and should_stop():
                    raise ExportCancelled()
        stream.write("".join(buf).encode())
        buf.clear()
        close_sheet(stream, r)
        if info:
            _write_info(package, info, taken={_sheet_name(title, n) for n in range(1, sheets + 1)})
            if info_comment:
                package.set_comment("\n".join(_("%(label)s: %(value)s", label=label, value=value)
                                              for label, value in info), _author())
        if count % PROGRESS_EVERY and progress is not None:
            progress(count)
        package.close()
    except BaseException:
        package.abort()
        if is_path:
            try:
                os.unlink(fileobj_or_path)
            except FileNotFoundError:
                pass
        raise
    return count


def _author() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        return str(current_app.config.get("APP_NAME") or "Anju Console")
    return "Anju Console"


def _write_info(package: sheetxml.Package, info: Sequence[tuple[str, str]], taken: set[str]) -> None:
    """The "导出说明" sheet: one line per ``(label, value)``."""
    title = _sheet_title(_("Export information"), "Export information")
    n = 2
    base = title
    while title in taken:
        title = _sheet_name(base, n)
        n += 1
    label_w = max([sheetxml.display_width(label) for label, _v in info] + [6]) + 2
    value_w = max([sheetxml.display_width(value) for _l, value in info] + [10]) + 2
    widths = [min(label_w, sheetxml.MAX_WIDTH), min(value_w, 80)]
    rows = []
    for r, (label, value) in enumerate(info, start=1):
        cells = f'<c r="A{r}" s="{sheetxml.S_LABEL}" t="inlineStr"><is>' \
                f"{sheetxml.text_xml(sheetxml.clean_text(neutralize(label)))}</is></c>"
        value = sheetxml.clean_text(neutralize(value))
        if value:
            cells += f'<c r="B{r}" s="{sheetxml.S_WRAP}" t="inlineStr"><is>' \
                     f"{sheetxml.text_xml(value)}</is></c>"
        rows.append(f'<row r="{r}">{cells}</row>')
    stream = package.open_sheet(title)
    stream.write((sheetxml.sheet_head(widths, selected=False, freeze=False) + "".join(rows)
                  + sheetxml.sheet_tail(None, legacy_drawing=False)).encode())
    package.close_sheet(None)


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
    *,
    info: Sequence[tuple[str, str]] | None = None,
    should_stop: Callable[[], bool] | None = None,
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
                           value_getter=value_getter, progress=progress, info=info,
                           should_stop=should_stop)
        size = os.path.getsize(tmp.name)
        fh = open(tmp.name, "rb")  # noqa: SIM115 (closed by the generator / on close)
    finally:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:  # write_xlsx removes its file when it fails
            pass
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
