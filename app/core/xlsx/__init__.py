"""Excel engine: streaming export, import templates, checked all-or-nothing import.

One declaration per entity (a list of :class:`XColumn`, in ``app/<module>/schemas.py``)
drives all three:

* **Export** -- :func:`write_xlsx` / :func:`stream_xlsx_response`: our own streamed
  sheet XML (``sheetxml``; flat memory at a million rows, several times faster than
  xlsxwriter), translated headers, faithful typed cells, widths that fit Chinese, a
  frozen header, the export's description (``info``), progress and cancel
  (:class:`ExportCancelled`), and every string passed through :func:`neutralize` so
  that no cell can ever run as a formula, not even after a round trip through CSV.
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

The parts, by what they do (each module imports only the ones above it):

* ``columns``   -- the declarations (:class:`XColumn`, kinds, limits) and the small
  helpers every part shares;
* ``sheetxml``  -- the .xlsx package written part by part (no Flask, no XColumn);
* ``writing``   -- export and download responses;
* ``reading``   -- an upload opened safely: size, file type, zip guards, the sheet XML
  scan, the choice of the worksheet, a cell as text;
* ``checking``  -- the header row, each cell by its kind, rows, duplicates, and the
  problems (:class:`RowError`, :class:`ImportResult`);
* ``importing`` -- the whole run (:func:`read_import`, :class:`Importer`);
* ``templates`` -- the workbooks handed to users: import templates and error workbooks.

Callers use the package (``from app.core import xlsx``; ``xlsx.read_import(...)``), which
re-exports every public name.  Every message is an English msgid translated by the zh
catalog (``app/core/xlsx/xlsx_zh.txt`` lists them with their translations).
"""

from app.core.xlsx.checking import MORE_PROBLEMS, ImportResult, RowError, add_problems
from app.core.xlsx.columns import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ERRORS,
    DEFAULT_MAX_ROWS,
    ERROR_COLUMN_LABEL,
    IDENTIFIER_KINDS,
    KINDS,
    MAX_SHEET_CELLS,
    MAX_UNZIPPED_BYTES,
    TEMPLATE_ROWS,
    XLSX_MIMETYPE,
    Choices,
    XColumn,
    neutralize,
)
from app.core.xlsx.importing import (
    PART_BYTES_PER_CELL,
    Importer,
    RowCheck,
    bulk_work,
    write_cache,
    part_budget,
    read_import,
    run_import,
)
from app.core.xlsx.reading import MAX_SHEETS_TRIED
from app.core.xlsx.templates import build_template, error_workbook
from app.core.xlsx.writing import (
    ExportCancelled,
    bytes_response,
    content_disposition,
    stream_xlsx_response,
    write_xlsx,
)

__all__ = [
    "ExportCancelled",
    "KINDS",
    "XLSX_MIMETYPE",
    "ImportResult",
    "Importer",
    "RowError",
    "XColumn",
    "add_problems",
    "build_template",
    "bulk_work",
    "bytes_response",
    "content_disposition",
    "error_workbook",
    "neutralize",
    "read_import",
    "run_import",
    "stream_xlsx_response",
    "write_cache",
    "write_xlsx",
]
