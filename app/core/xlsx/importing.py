"""Excel engine, the import run: :func:`read_import` reads an upload and checks every row,
returning every problem at once; :class:`Importer` / :func:`run_import` add the caller's
checks and commit only when nothing is wrong (all-or-nothing)."""

from __future__ import annotations

import gc
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import IO, Any

from flask_babel import gettext as _

from app.core import progress as task_progress
from app.core.xlsx.checking import (
    MORE_PROBLEMS,
    ImportResult,
    RowError,
    compact_keys,
    row_checker,
    _check_unique,
    _Errors,
    _read_header,
    _sort_errors,
    _specs,
    record_maker,
    _unique_keys,
    add_problems,
)
from app.core.xlsx.columns import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ERRORS,
    DEFAULT_MAX_ROWS,
    IDENTIFIER_KINDS,
    MAX_SHEET_CELLS,
    MAX_UNZIPPED_BYTES,
    XColumn,
    _col_letter,
)
from app.core.xlsx.reading import (
    _blank_row,
    _check_file,
    _FileError,
    _is_blank,
    give_back_freed_memory,
    _iter_numbered,
    _long_numbers,
    _open_sheet,
    _read_input,
    _Sheet,
)


_bulk_depth = 0
_bulk_lock = threading.Lock()


@contextmanager
def bulk_work():
    """Bulk work (reading, checking and writing 200,000 rows) with the garbage collector
    looking only at the objects made meanwhile: everything alive before (the whole app, its
    mappers and caches) is set aside with ``gc.freeze()`` and given back at the end, so that
    each full collection no longer walks the whole heap (a second of a 200,000-row import).
    Reentrant: only the outermost use freezes and unfreezes."""
    global _bulk_depth
    with _bulk_lock:
        _bulk_depth += 1
        if _bulk_depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_depth -= 1
            if _bulk_depth == 0:
                gc.unfreeze()


#: SQLite page cache while an import writes (KiB): 200,000 rows and their eight indexes outgrow
#: the default 2 MB, and every index page read again costs (a fifth of the write time at
#: 200,000 rows). Taken after the sheet is released, so the peak memory is not raised.
WRITE_CACHE_KIB = 32 * 1024


@contextmanager
def write_cache(session: Any, kib: int = WRITE_CACHE_KIB):
    """A larger SQLite page cache on ``session``'s connection for a bulk write, the
    connection's own size given back at the end (other databases: nothing to do)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        if not connection.closed:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


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

    Long work reports through :mod:`app.core.progress` (a no-op outside a background task):
    phase "reading" while the workbook is opened and its sheet loaded, then "checking" every
    :data:`CHECK_EVERY` rows (rows checked, data rows in the sheet), where a cancel asked by
    the user raises :class:`app.core.progress.Cancelled` (nothing is written yet).
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
        with bulk_work():
            _read(data, columns, max_bytes, max_rows, specs, max_errors, result, errors, progress)
    except _FileError as exc:
        errors.add(RowError(None, None, exc.value, exc.reason))
    _sort_errors(result)
    errors.close()
    return result


def _read(data: Any, columns: Sequence[XColumn], max_bytes: int, max_rows: int,
          specs: list[tuple[str, ...]], max_errors: int, result: ImportResult, errors: _Errors,
          progress: Callable[[int, int], None] | None) -> None:
    """The body of :func:`read_import`: a problem with the whole file raises _FileError."""
    task_progress.checkpoint("reading", 0, None)
    file_path = data if isinstance(data, (str, os.PathLike)) else None
    if file_path is not None:
        _check_file(file_path, max_bytes)  # (read where it lies, never whole into memory)
        raw = None
    else:
        raw = _read_input(data, max_bytes)
    max_cells = min(MAX_SHEET_CELLS,
                    max(2_000_000, (max_rows + 1_000) * (len(columns) + 20)))
    sheet = _open_sheet(raw, max_cells, max_errors, columns,
                        part_budget(max_rows, len(columns)), file_path=file_path)
    result.sheet_name = sheet.name
    task_progress.checkpoint("reading", sheet.height, sheet.height)
    made: list[tuple[str, ...]] = []
    try:
        _check_rows(sheet, columns, max_rows, specs, result, errors, progress, made)
    finally:
        # The checked rows are compact while the sheet is loaded; they become records once
        # calamine's copy of the sheet is released (the peak is the larger of the two, not
        # their sum: about 30 MB less at 200,000 rows).
        sheet = None
        give_back_freed_memory()
        if made:
            _make_records(result, made[0])




def _make_records(result: ImportResult, keys: tuple[str, ...]) -> None:
    """Turn the compact rows of ``result`` (lists in the order of ``keys``) into records, in
    place: plain dicts sharing one table of keys (:func:`record_maker`)."""
    rows = result.rows
    new_record = record_maker()
    for i, values in enumerate(rows):
        record = new_record()
        record.update(zip(keys, values))
        rows[i] = record


#: Rows checked between two progress reports (each one a look-up outside a background task).
CHECK_EVERY = 2_000

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
                progress: Callable[[int, int], None] | None, made: list) -> None:
    """Check every row; the rows that pass go to ``result.rows`` as compact rows whose keys
    are appended to ``made`` (see :func:`_make_records`)."""
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

    specs = _specs(columns, header.positions)
    # Identifier columns given as numbers: take the exact digits from the XML when it kept
    # them (a file saved by Excel itself, or written through a double, has lost them; the ID
    # check then says so).
    id_columns = [s.idx for s in specs if s.idx is not None and s.col.kind in IDENTIFIER_KINDS]
    exact = {}
    if id_columns:
        found = sheet.early_long_numbers.result() if sheet.early_long_numbers is not None else None
        exact = found if found is not None else _long_numbers(sheet)
    known = set(header.positions.values()) | header.ignored | header.skipped
    unknown = [i for i in range(header.width) if i not in known]
    stray: dict[int, int] = {}  # values in columns without a header: first row
    unique_keys = _unique_keys(unique)
    seen_unique: list[dict[Any, int]] = [{} for _ in unique]
    only_key = unique[0][0] if len(unique) == 1 and len(unique[0]) == 1 else None
    only_seen = seen_unique[0] if only_key is not None else None
    total = sheet.height
    # Data rows in the sheet (blank rows included): what "checking" counts towards.
    expected = max(0, sheet.start[0] + sheet.height - header.row)
    task_progress.checkpoint("checking", 0, expected)

    check_row = row_checker(specs, formula_cells, result, errors)
    keys = compact_keys(specs)
    made.append(keys)
    only_pos = keys.index(only_key) if only_key is not None else None
    count = 0
    # A stale reason in a re-uploaded error workbook, and row numbers, are not data.
    ignored = header.ignored | header.skipped
    for row_no, cells in itertools.chain(pending, numbered):
        if ignored:
            cells = [None if i in ignored else c for i, c in enumerate(cells)]
        head = cells[0] if cells else None
        if (head is None or (head.__class__ is str and not head.strip())) and _blank_row(cells):
            continue  # (a row whose first cell holds something is not blank: no call)
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
        values, bad = check_row(row_no, cells)
        if not bad:
            if only_key is not None:
                # One unique column: its first row per value, the report only for a repeat.
                value = values[only_pos]
                repeated = value is not None and only_seen.setdefault(value, row_no) != row_no \
                    and _check_unique(dict(zip(keys, values)), unique_keys, seen_unique, labels, errors)
            else:
                repeated = unique_keys and _check_unique(dict(zip(keys, values)), unique_keys, seen_unique,
                                                         labels, errors)
            if not repeated:
                result.rows.append(values)
        if count % CHECK_EVERY == 0:
            task_progress.checkpoint("checking", count, max(count, expected))
        if progress is not None and count % 5_000 == 0:
            progress(count, total)
    result.total_rows = count
    task_progress.checkpoint("checking", count, count)
    for idx, row_no in sorted(stray.items()):
        letter = _col_letter(idx)
        errors.add(RowError(row_no, letter, "",
                            _("Column %(letter)s has values but no header; add the header or "
                              "delete the column", letter=letter), cell=f"{letter}{row_no}"))
    if count == 0:
        raise _FileError(_("There are no data rows below the header (row %(row)s); fill in at "
                           "least one record.", row=header.row))


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
