"""Excel engine, declarations: the column kinds and limits, :class:`XColumn` (one column
of an entity's declaration, in ``app/<module>/schemas.py``), and the small helpers every
part shares -- formula neutralising, column letters and cell references, worksheet names,
a value as the user sees it, and header keys (a label in every language)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


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


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection":
#: = + - @, tab, carriage return, and line feed since 2025).  "+" and "-" are only dangerous
#: when what follows could be a formula: see :func:`_formula_like`.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_ALWAYS_TRIGGERS = frozenset("=@\t\r\n")
#: "+"/"-" texts a spreadsheet reads as a number (or cannot read at all), left alone:
#: only signs and blanks ("-", "--", "- "), a plain number ("-3", "-3.5", "+1,234.5", "-5%",
#: "-1e5"), an international phone number ("+8613800138000", "+86 138-0013-8000").
_SAFE_SIGNED = re.compile(
    r"[+\-\s]*"
    r"|[+-]\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?%?"
    r"|\+\d{1,4}(?:[ \-]?\(?\d+\)?){1,6}"
)
#: What a formula is made of after its sign: names and references (ASCII letters, after
#: NFKC so full-width ones count), calls and ranges, operators, strings, DDE's "|" and "!".
_FORMULA_MATTER = re.compile(r"""[A-Za-z()\[\]{}|!=+\-*/^&<>:;,"'$#@%]""")


def _formula_like(text: str) -> bool:
    """Would a spreadsheet run ``text`` (already known to start with a trigger)?"""
    if text[0] in _ALWAYS_TRIGGERS:
        return True
    if _SAFE_SIGNED.fullmatch(text):
        return False
    # "-、无", "- 见附件", "-3 号楼": a sign before text with no formula in it stays as it is.
    rest = unicodedata.normalize("NFKC", text[1:])
    return _FORMULA_MATTER.search(rest) is not None


def _needs_quote(text: str) -> bool:
    """True for a text :func:`neutralize` prefixes: one a spreadsheet would run, or one that
    starts with ``'`` before a trigger character (so that :func:`_unneutralize` is exact, and
    reads older exports, whose "-5" was "'-5", as they were meant)."""
    i = 0
    while i < len(text) and text[i] == "'":
        i += 1
    if i == len(text) or text[i] not in _FORMULA_TRIGGERS:
        return False
    return i > 0 or _formula_like(text)


def neutralize(text: str) -> str:
    """Prefix ``'`` (OWASP's advice) to a string that a spreadsheet could run as a formula
    -- one starting with ``=``, ``@``, a tab, CR or LF, or with ``+``/``-`` before something
    that is not a plain number, a phone number or text without formula characters -- and
    leave everything else as it is: "-", "-3.5", "+8613800138000", "-、无" stay; "=1+1",
    "@SUM(A1)", "+SUM(A1)", "-2+3", "-1+cmd|' /C calc'!A0" get the quote.  A text already
    starting with ``'`` before one of those first characters gets one more, so that
    :func:`_unneutralize` is its exact inverse.  The writer never writes formulas: the quote
    is for CSV and copy-paste."""
    if text and (text[0] in _FORMULA_TRIGGERS or text[0] == "'") and _needs_quote(text):
        return "'" + text
    return text


def _unneutralize(text: str) -> str:
    """Undo :func:`neutralize` (imports of our own exports): ``_unneutralize(neutralize(x))
    == x`` for every ``x``."""
    if len(text) > 1 and text[0] == "'":
        rest = text.lstrip("'")
        if rest and rest[0] in _FORMULA_TRIGGERS:
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
