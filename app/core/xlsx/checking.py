"""Excel engine, checking what was read: :class:`RowError`, :class:`ImportResult`.

The header row (found in any column order, in either language, ignoring ``*``, spaces and
full-/half-width); each cell converted by its column's kind (text, numbers, dates, yes/no,
choices, identifiers) and checked by its validator; duplicates on unique keys; and the
list of problems, capped, with the note saying how many are not listed.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import validators
from app.core.xlsx.columns import (
    _NO,
    _YES,
    DEFAULT_MAX_ERRORS,
    ERROR_COLUMN_LABEL,
    IDENTIFIER_KINDS,
    XColumn,
    _col_letter,
    _display,
    _header_key,
    _label_variants,
    _locales,
    _unneutralize,
)
from app.core.xlsx.reading import (
    _CellError,
    _column_variants,
    _is_blank,
    _match_header,
    _Rounded,
    _text_of,
)

log = logging.getLogger(__name__)


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


def _remembering(convert: Callable[[Any], Any], size: int = 4096) -> Callable[[Any], Any]:
    """``convert`` remembering its answers for texts and Excel dates (the same dates recur
    down a sheet: converted once, held once): up to ``size`` of them per import; a refused
    value is converted (and refused) again."""
    seen: dict[str, Any] = {}

    def remembered(raw: Any) -> Any:
        if raw.__class__ is not str and raw.__class__ is not datetime:
            return convert(raw)
        value = seen.get(raw)
        if value is None:
            value = convert(raw)
            if len(seen) < size:
                seen[raw] = value
        return value

    return remembered


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
        if raw.__class__ is not str:
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


def _check_id(raw: Any, today: date | None = None) -> Any:
    number, warnings = validators.clean_resident_id(raw, today)
    return _Warned(number, warnings) if warnings else number


def _id_checker() -> Callable[[Any], Any]:
    """:func:`_check_id` with today's date taken once per import, not once per row."""
    today = date.today()
    clean = validators.clean_resident_id

    def check(raw: Any) -> Any:
        number, warnings = clean(raw, today)
        return _Warned(number, warnings) if warnings else number

    return check


def _converter(col: XColumn) -> Callable[[Any], Any]:
    kind = col.kind
    if kind == "str":
        return _to_str
    if kind == "int":
        return _to_int
    if kind == "decimal":
        return _to_decimal
    if kind == "date":
        return _remembering(_to_date)
    if kind == "datetime":
        return _remembering(_to_datetime)
    if kind == "bool":
        return _make_bool()
    if kind == "choice":
        return _make_choice(col)
    if kind == "id_number":
        return _identifier(_id_checker())
    if kind == "mobile":
        return _identifier(validators.check_mobile)
    return _identifier(validators.check_credit_code)


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


def _unique_keys(unique: list[tuple[str, ...]]) -> list[tuple[tuple[str, ...], Callable]]:
    """Per unique spec, a function giving a record's key in the spec's ``seen`` dict (the
    value itself for one column: no tuple per row), or None when a part is empty."""
    out = []
    for spec in unique:
        if len(spec) == 1:
            only = spec[0]
            out.append((spec, lambda record, k=only: record.get(k)))
        else:
            def key_of(record, spec=spec):
                value = tuple(record.get(k) for k in spec)
                return None if any(v is None for v in value) else value
            out.append((spec, key_of))
    return out


def _check_unique(record: dict[str, Any], unique: list[tuple[tuple[str, ...], Callable]],
                  seen_unique: list[dict[Any, int]], labels: dict[str, str],
                  errors: _Errors) -> bool:
    """Report ``record`` if it repeats an earlier row on a unique key; True if it does.
    ``unique`` as :func:`_unique_keys` gives it."""
    duplicate = False
    row_no = record["_row"]
    for (spec, key_of), seen in zip(unique, seen_unique):
        key = key_of(record)
        if key is None:
            continue
        first = seen.setdefault(key, row_no)
        if first != row_no:
            duplicate = True
            value = key if len(spec) > 1 else (key,)
            names = "+".join(labels.get(k, k) for k in spec)
            errors.add(RowError(row_no, names, " / ".join(_display(v) for v in value),
                                _("Duplicate: row %(first)s already has the same %(columns)s",
                                  first=first, columns=names), key=spec[0]))
    return duplicate


#: Apostrophes typed before an identifier to keep it as text (Excel hides its own; other
#: programs, and text-formatted cells, keep it in the value).
_QUOTES = "'‘’＇`"


@dataclass(frozen=True, slots=True)
class _Spec:
    """A column as the row check needs it, worked out once per import."""

    col: XColumn
    key: str
    idx: int | None
    convert: Callable[[Any], Any]
    required: bool
    identifier: bool
    max_length: int | None
    validator: Callable[[Any], Any] | None
    plain_text: bool  # kind "str": a text cell is its own value
    shared: dict[str, str]  # texts seen in this column, so that repeated ones are one object


#: Distinct texts per column kept to share repeated values (area names, districts, remarks
#: such as "夜班"): 200,000 rows naming a few hundred areas hold a few hundred strings, not
#: 200,000 copies; a column of unique values (names) stops adding after this many.
SHARED_TEXTS = 4096


def _specs(columns: Sequence[XColumn], positions: dict[str, int]) -> list[_Spec]:
    specs = []
    for col in columns:
        convert = _converter(col)
        specs.append(_Spec(col, col.key, positions.get(col.key), convert, bool(col.required),
                           col.kind in IDENTIFIER_KINDS, col.max_length or None, col.validator,
                           convert is _to_str, {}))
    return specs


def record_maker() -> Callable[[], dict[str, Any]]:
    """Empty dicts for the rows of one import that share one table of keys.

    A row is a plain ``dict``; made as the ``__dict__`` of an instance of a class of its own
    (one class per import), CPython keeps the keys once for all the rows (a "split" dict)
    and each row holds only its values: about 190 bytes a row instead of 310, 24 MB less at
    200,000 rows, all of it held until the import is written.  A row given other keys (or
    keys in another order) becomes an ordinary dict, as large as before; nothing else
    changes."""

    class Row:
        pass

    return lambda: Row().__dict__


def _check_row(row_no: int, cells: list[Any], specs: list[_Spec], formula_cells: set,
               result: ImportResult, errors: _Errors,
               new_record: Callable[[], dict[str, Any]] = dict) -> tuple[dict[str, Any], bool]:
    record: dict[str, Any] = new_record()
    record["_row"] = row_no
    bad = False
    width = len(cells)
    for spec in specs:
        idx = spec.idx
        raw = cells[idx] if idx is not None and idx < width else None
        if formula_cells and (row_no, idx) in formula_cells:
            bad = True  # already reported
            continue
        if isinstance(raw, str):
            raw = raw.strip()
            first = raw[:1]
            if first in _QUOTES and spec.identifier:
                raw = raw.lstrip(_QUOTES).strip()  # typed to keep a number as text
            elif first == "'":
                raw = _unneutralize(raw).strip()
            if not raw:
                record[spec.key] = None
                if spec.required:
                    bad = True
                    errors.add(_required(spec, row_no))
                continue
            if spec.plain_text and spec.validator is None:
                # A text column's text: its length is all there is to check.
                if spec.max_length and len(raw) > spec.max_length:
                    bad = True
                    errors.add(RowError(row_no, str(spec.col.label), _display(raw),
                                        _("Too long: %(n)s characters, at most %(max)s allowed",
                                          n=len(raw), max=spec.max_length),
                                        key=spec.key, cell=_cell_ref(idx, row_no)))
                    continue
                shared = spec.shared.get(raw)
                if shared is not None:
                    raw = shared
                elif len(spec.shared) < SHARED_TEXTS:
                    spec.shared[raw] = raw
                record[spec.key] = raw
                continue
        elif raw is None or raw == "":
            record[spec.key] = None
            if spec.required:
                bad = True
                errors.add(_required(spec, row_no))
            continue
        try:
            value = spec.convert(raw)
            if isinstance(value, _Warned):
                col = spec.col
                for warning in value.warnings[:max(0, errors.cap - len(result.warnings))]:
                    result.warnings.append(RowError(row_no, str(col.label), _display(raw),
                                                    str(warning), key=col.key,
                                                    cell=_cell_ref(idx, row_no)))
                value = value.value
            if spec.max_length and isinstance(value, str) and len(value) > spec.max_length:
                raise _CellError(_("Too long: %(n)s characters, at most %(max)s allowed",
                                   n=len(value), max=spec.max_length))
            if spec.validator is not None:
                value = _run_validator(spec.validator, value)
        except _CellError as exc:
            bad = True
            errors.add(RowError(row_no, str(spec.col.label), _display(raw), exc.reason,
                                key=spec.key, cell=_cell_ref(idx, row_no)))
            continue
        record[spec.key] = value
    return record, bad


def compact_keys(specs: list[_Spec]) -> tuple[str, ...]:
    """The keys of a compact row (:func:`row_checker`): "_row", then each column's."""
    return ("_row",) + tuple(spec.key for spec in specs)


def row_checker(specs: list[_Spec], formula_cells: set, result: ImportResult, errors: _Errors
                ) -> Callable[[int, list[Any]], tuple[tuple[Any, ...], bool]]:
    """:func:`_check_row` for one import, worked out once: ``check(row_no, cells)`` gives the
    same values and verdict as a compact row, a tuple in the order of :func:`compact_keys`
    (about half the memory of a record while the sheet is still loaded; the caller makes
    the records once the sheet is released). Each column's facts are unpacked into a tuple
    up front, and the commonest cells -- a text column's text, an empty optional cell -- are
    settled without a call; a sheet with formulas takes :func:`_check_row` itself (its cells
    are skipped)."""
    keys = compact_keys(specs)
    if formula_cells:
        def with_formulas(row_no: int, cells: list[Any]) -> tuple[tuple[Any, ...], bool]:
            record, bad = _check_row(row_no, cells, specs, formula_cells, result, errors)
            return tuple(record.get(key) for key in keys), bad

        return with_formulas
    try:
        return _unrolled_checker(specs, result, errors)
    except Exception:  # (never expected: the loop below gives the same answers)
        log.warning("import row checker not compiled", exc_info=True)
    plan = tuple((key, pos, spec.idx if spec.idx is not None else -1, spec.required, spec.identifier,
                  spec.plain_text and spec.validator is None, spec.max_length, spec.shared, spec.convert,
                  spec) for pos, (key, spec) in enumerate(zip(keys[1:], specs), 1))
    quotes = _QUOTES
    limit = SHARED_TEXTS
    blank = [None] * len(keys)

    def check(row_no: int, cells: list[Any]) -> tuple[tuple[Any, ...], bool]:
        record = blank[:]
        record[0] = row_no
        bad = False
        width = len(cells)
        for key, pos, idx, required, identifier, plain, max_length, shared, convert, spec in plan:
            raw = cells[idx] if 0 <= idx < width else None
            if raw.__class__ is str:
                raw = raw.strip()
                first = raw[:1]
                if first in quotes and first:
                    if identifier:
                        raw = raw.lstrip(quotes).strip()
                    elif first == "'":
                        raw = _unneutralize(raw).strip()
                if not raw:  # (the value stays None)
                    if required:
                        bad = True
                        errors.add(_required(spec, row_no))
                    continue
                if plain:
                    if max_length and len(raw) > max_length:
                        bad = True
                        errors.add(RowError(row_no, str(spec.col.label), _display(raw),
                                            _("Too long: %(n)s characters, at most %(max)s allowed",
                                              n=len(raw), max=max_length),
                                            key=key, cell=_cell_ref(idx, row_no)))
                        continue
                    kept = shared.get(raw)
                    if kept is not None:
                        raw = kept
                    elif len(shared) < limit:
                        shared[raw] = raw
                    record[pos] = raw
                    continue
            elif raw is None or raw == "":  # (the value stays None)
                if required:
                    bad = True
                    errors.add(_required(spec, row_no))
                continue
            try:
                value = convert(raw)
                if value.__class__ is _Warned:
                    value = _add_warnings(value, spec, raw, row_no, result, errors)
                if max_length and value.__class__ is str and len(value) > max_length:
                    raise _CellError(_("Too long: %(n)s characters, at most %(max)s allowed",
                                       n=len(value), max=max_length))
                if spec.validator is not None:
                    value = _run_validator(spec.validator, value)
            except _CellError as exc:
                bad = True
                errors.add(RowError(row_no, str(spec.col.label), _display(raw), exc.reason,
                                    key=key, cell=_cell_ref(idx, row_no)))
                continue
            record[pos] = value
        return tuple(record), bad  # (a tuple: 16 bytes less than the list, kept per row)

    return check


def _unrolled_checker(specs: list[_Spec], result: ImportResult, errors: _Errors
                      ) -> Callable[[int, list[Any]], tuple[tuple[Any, ...], bool]]:
    """The row check of :func:`row_checker` written out column by column for this import's
    columns and compiled once: no loop over the columns, each column's facts constants of the
    code. The same steps in the same order as the loop (which stays the reference)."""
    names: dict[str, Any] = {
        "_str": str, "_Warned": _Warned, "_CellError": _CellError, "RowError": RowError,
        "_display": _display, "_cell_ref": _cell_ref, "_required": _required, "_unneutralize": _unneutralize,
        "_run_validator": _run_validator, "_": _, "quotes": _QUOTES, "limit": SHARED_TEXTS,
        "errors": errors, "result": result, "_add_warnings": _add_warnings,
    }
    lines = ["def check(row_no, cells):", "    bad = False", "    width = len(cells)"]
    values = []
    for i, spec in enumerate(specs):
        v = f"v{i}"
        values.append(v)
        names[f"spec{i}"], names[f"convert{i}"] = spec, spec.convert
        names[f"shared{i}"], names[f"validator{i}"] = spec.shared, spec.validator
        lines.append(f"    {v} = None")
        required = (f"bad = True; errors.add(_required(spec{i}, row_no))" if spec.required else "pass")
        if spec.idx is None:  # a column the sheet does not have
            lines.append(f"    {required}")
            continue
        idx, max_length = spec.idx, spec.max_length or 0
        convert = [
            "try:",
            f"    value = convert{i}(raw)",
            "    if value.__class__ is _Warned:",
            f"        value = _add_warnings(value, spec{i}, raw, row_no, result, errors)",
        ]
        if max_length:
            convert += [
                f"    if value.__class__ is _str and len(value) > {max_length}:",
                f"        raise _CellError(_('Too long: %(n)s characters, at most %(max)s allowed', "
                f"n=len(value), max={max_length}))"]
        if spec.validator is not None:
            convert.append(f"    value = _run_validator(validator{i}, value)")
        convert += [
            f"    {v} = value",
            "except _CellError as exc:",
            "    bad = True",
            f"    errors.add(RowError(row_no, str(spec{i}.col.label), _display(raw), exc.reason, key=spec{i}.key, "
            f"cell=_cell_ref({idx}, row_no)))"]
        if spec.plain_text and spec.validator is None:
            text = []
            if max_length:
                text += [
                    f"if len(raw) > {max_length}:",
                    "    bad = True",
                    f"    errors.add(RowError(row_no, str(spec{i}.col.label), _display(raw), _('Too long: %(n)s "
                    f"characters, at most %(max)s allowed', n=len(raw), max={max_length}), key=spec{i}.key, "
                    f"cell=_cell_ref({idx}, row_no)))",
                    "else:"]
            body = [f"kept = shared{i}.get(raw)",
                    "if kept is not None:", "    raw = kept",
                    f"elif len(shared{i}) < limit:", f"    shared{i}[raw] = raw",
                    f"{v} = raw"]
            text += [("    " if max_length else "") + b for b in body]
        else:
            text = convert
        quote = ("raw = raw.lstrip(quotes).strip()" if spec.identifier
                 else "raw = _unneutralize(raw).strip() if first == \"'\" else raw")
        lines += [
            f"    raw = cells[{idx}] if {idx} < width else None",
            "    if raw.__class__ is _str:",
            "        raw = raw.strip()",
            "        first = raw[:1]",
            "        if first and first in quotes:",
            f"            {quote}",
            "        if not raw:",
            f"            {required}",
            "        else:"]
        lines += ["            " + t for t in text]
        lines += [
            "    elif raw is None or raw == '':",
            f"        {required}",
            "    else:"]
        lines += ["        " + c for c in convert]
    lines.append(f"    return (row_no, {', '.join(values)}{',' if len(values) == 0 else ''}), bad")
    code = compile("\n".join(lines), "<import row check>", "exec")
    exec(code, names)
    return names["check"]


def _add_warnings(value: _Warned, spec: _Spec, raw: Any, row_no: int, result: ImportResult,
                  errors: _Errors) -> Any:
    """Keep a converted cell's warnings (up to the cap); its value."""
    col = spec.col
    for warning in value.warnings[:max(0, errors.cap - len(result.warnings))]:
        result.warnings.append(RowError(row_no, str(col.label), _display(raw), str(warning), key=col.key,
                                        cell=_cell_ref(spec.idx, row_no)))
    return value.value


def _required(spec: _Spec, row_no: int) -> RowError:
    return RowError(row_no, str(spec.col.label), "", _("This column is required"), key=spec.key,
                    cell=_cell_ref(spec.idx, row_no))


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
