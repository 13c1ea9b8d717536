"""Excel engine, the streamed .xlsx package behind :func:`~app.core.xlsx.writing.write_xlsx`.

Why our own writer: profiled on 12 mixed columns, xlsxwriter's ``constant_memory`` mode spends
its time in per-cell Python calls (``write`` -> ``_write_token_as_string`` -> ``_write_cell``
-> one ``TextIOWrapper.write`` per XML element) and in two or three regular expressions per
string; it also writes a temporary sheet file that is compressed again at the end.  Here each
row is one f-string per cell, joined 1,000 rows at a time and written straight into the zip
entry (``ZipFile.open(name, "w", force_zip64=True)``, DEFLATE at a low level): several times
faster, memory flat whatever the row count (only the first :data:`SAMPLE_ROWS` rows are held,
to size the columns before ``<cols>`` is written).

What is written (SpreadsheetML, ECMA-376 part 1, transitional):

* ``[Content_Types].xml``, ``_rels/.rels``, ``docProps/core.xml`` and ``app.xml``,
  ``xl/workbook.xml`` (+ rels; a hidden ``_xlnm._FilterDatabase`` name per data sheet as
  Excel writes it for an autofilter), ``xl/styles.xml`` with the few formats used;
* each data sheet: frozen header row (bold), column widths, every row and cell with its
  ``r=`` reference, strings inline (``t="inlineStr"``; ``xml:space="preserve"`` when they
  start or end with blanks), numbers as numbers, dates and datetimes as serial numbers with a
  date format, an ``<autoFilter>`` over header + data;
* optionally a note (comment) on A1 of the first sheet (``xl/comments1.xml`` + a VML drawing:
  written once, no cost per row) and a two-column sheet of ``(label, value)`` lines.

Text is made safe for XML and Excel: characters XML 1.0 forbids (C0 controls except tab, LF
and CR, lone surrogates, U+FFFE/U+FFFF) are dropped, ``& < >`` escaped, CR kept as ``&#13;``,
a literal ``_xHHHH_`` escaped as ``_x005F_xHHHH_`` (else Excel reads it as a character code),
and a cell holds at most :data:`MAX_CELL_CHARS` characters (Excel's limit).

This module knows nothing of Flask or of :class:`XColumn`; ``writing.py`` drives it.
"""
from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal
from enum import Enum
from typing import IO, Any
from xml.sax.saxutils import escape as _xml_escape

#: Excel's limits: characters in a cell, rows in a sheet.
MAX_CELL_CHARS = 32_767
MAX_SHEET_ROWS = 1_048_576
#: Rows buffered before the sheet's ``<cols>`` is written, to size the columns.
SAMPLE_ROWS = 500
#: Column widths chosen from the content stay in this range (Excel units, ~ one digit).
MIN_WIDTH, MAX_WIDTH = 8, 60
#: DEFLATE level: 1 is several times faster than the default 6 for a file ~20% larger.
COMPRESSLEVEL = 1
#: Integers from this magnitude on are written as text (Excel keeps 15 significant digits).
BIG_INT = 10**15

# Style ids (cellXfs order in STYLES_XML).
S_HEADER, S_DATE, S_DATETIME, S_TIME, S_LABEL, S_WRAP = 1, 2, 3, 4, 5, 6
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_MARCH_1900 = date(1900, 3, 1).toordinal()
_JAN_1900 = date(1900, 1, 1).toordinal()

#: Characters XML 1.0 does not allow (dropped), and lone surrogates (not encodable).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: A literal Excel escape sequence in the text, e.g. "_x000D_".
_EXCEL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
#: First characters that send a string down the careful path (neutralising, blanks).
_CAREFUL_FIRST = frozenset("=+-@'\t\r\n ")
#: Strings up to this length cannot pass Excel's limit even in UTF-16 (fast path).
_FAST_LEN = MAX_CELL_CHARS // 2


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> 'A', 26 -> 'AA')."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cap_text(text: str) -> str:
    """``text`` cut to :data:`MAX_CELL_CHARS`, counted in UTF-16 units as Excel counts."""
    if len(text) > _FAST_LEN:
        text = text[:MAX_CELL_CHARS]
        excess = len(text.encode("utf-16-le")) // 2 - MAX_CELL_CHARS
        while excess > 0:  # characters past U+FFFF count twice
            text = text[:-excess]
            excess = len(text.encode("utf-16-le")) // 2 - MAX_CELL_CHARS
    return text


def clean_text(text: str) -> str:
    """``text`` without the characters an .xlsx cannot hold, cut to :data:`MAX_CELL_CHARS`."""
    if not text.isprintable():
        text = _ILLEGAL_XML.sub("", text)
    return cap_text(text)


def text_xml(text: str) -> str:
    """The ``<t>`` element of an already cleaned string."""
    body = _xml_escape(text)
    if "_x" in body:
        body = _EXCEL_ESCAPE.sub(r"_x005F_\1", body)
    if "\r" in body:
        body = body.replace("\r", "&#13;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{body}</t>'
    return f"<t>{body}</t>"


def excel_serial(value: date | datetime) -> float | int | None:
    """Excel's serial number of a date or datetime (1900 system), None before 1900."""
    ordinal = value.toordinal()
    if ordinal < _JAN_1900:
        return None
    days = ordinal - _EXCEL_EPOCH - (1 if ordinal < _MARCH_1900 else 0)  # Excel's 1900-02-29
    if type(value) is date:
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    if value.microsecond:
        return days + (seconds + value.microsecond / 1_000_000) / 86400
    return days + seconds / 86400 if seconds else days


def display_width(text: str) -> int:
    """Columns a text takes: East Asian wide and full-width characters count 2.  The widest
    line counts; only the first ``MAX_WIDTH`` characters of a line are looked at."""
    best = 0
    for line in text.split("\n"):
        line = line[:MAX_WIDTH]
        if line.isascii():
            width = len(line)
        else:
            width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        best = max(best, width)
    return best


class Renderer:
    """Turns a row of values into the XML of a ``<row>``.

    One instance per export: ``choices[i]`` maps codes to labels (or None), ``as_text[i]``
    keeps numbers as text (identifier columns), ``neutralize`` is applied to every string
    after cleaning, ``yes``/``no`` are the words for booleans.
    """

    def __init__(self, ncols: int, choices: Sequence[dict | None], as_text: Sequence[bool],
                 neutralize: Callable[[str], str], yes: str, no: str):
        self.refs = [col_letter(i) for i in range(ncols)]
        self.specs = list(zip(self.refs, choices, as_text))
        self.neutralize = neutralize
        self.yes, self.no = yes, no
        # The two words of a boolean, ready to drop into a cell.
        self._bool_xml = {True: text_xml(neutralize(clean_text(yes))),
                          False: text_xml(neutralize(clean_text(no)))}

    # -- the careful paths (everything but a plain short string or a plain int) -------------
    def string_cell(self, ref: str, rs: str, text: str) -> str:
        text = cap_text(self.neutralize(clean_text(text)))  # the quote may push it over
        if not text:
            return ""
        return f'<c r="{ref}{rs}" t="inlineStr"><is>{text_xml(text)}</is></c>'

    def other_cell(self, ref: str, rs: str, value: Any, choice: dict | None, as_text: bool) -> str:
        if isinstance(value, Enum):
            value = value.value
        if value is None:
            return ""
        if choice is not None and not isinstance(value, bool):
            label = choice.get(str(value))
            if label is not None:
                return self.string_cell(ref, rs, label)
        if isinstance(value, bool):
            return self.string_cell(ref, rs, self.yes if value else self.no)
        if isinstance(value, str):
            return self.string_cell(ref, rs, value)
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # its wall-clock time, as documented
            serial = excel_serial(value)
            if serial is None:
                return self.string_cell(ref, rs, value.isoformat(sep=" ", timespec="minutes"))
            return f'<c r="{ref}{rs}" s="{S_DATETIME}"><v>{serial!r}</v></c>'
        if isinstance(value, date):
            serial = excel_serial(value)
            if serial is None:
                return self.string_cell(ref, rs, value.isoformat())
            return f'<c r="{ref}{rs}" s="{S_DATE}"><v>{serial}</v></c>'
        if isinstance(value, time):
            seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
            return f'<c r="{ref}{rs}" s="{S_TIME}"><v>{seconds / 86400!r}</v></c>'
        if isinstance(value, int):
            if as_text or not -BIG_INT < value < BIG_INT:
                return self.string_cell(ref, rs, str(value))
            return f'<c r="{ref}{rs}"><v>{int(value)}</v></c>'
        if isinstance(value, Decimal):
            if not value.is_finite():
                return f'<c r="{ref}{rs}" t="e"><v>#NUM!</v></c>'
            if as_text or (abs(value) >= BIG_INT and value == value.to_integral_value()):
                return self.string_cell(ref, rs, str(value))
            return f'<c r="{ref}{rs}"><v>{value}</v></c>'
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return f'<c r="{ref}{rs}" t="e"><v>#NUM!</v></c>'
            if as_text:
                return self.string_cell(ref, rs, repr(value))
            return f'<c r="{ref}{rs}"><v>{value!r}</v></c>'
        return self.string_cell(ref, rs, str(value))

    def header(self, labels: Sequence[str]) -> str:
        cells = "".join(
            f'<c r="{ref}1" s="{S_HEADER}" t="inlineStr"><is>{text_xml(clean_text(label))}</is></c>'
            for ref, label in zip(self.refs, labels) if label)
        return f'<row r="1">{cells}</row>'

    def row(self, values: Sequence[Any], r: int) -> str:
        """The ``<row>`` of 1-based row ``r``: the hot loop of an export."""
        rs = str(r)
        parts = [f'<row r="{rs}">']
        append = parts.append
        careful_first = _CAREFUL_FIRST
        bool_xml = self._bool_xml
        for (ref, choice, as_text), v in zip(self.specs, values):
            if v is None:
                continue
            t = type(v)
            if t is str:
                if choice is not None:
                    v = choice.get(v, v)
                if not v:
                    continue
                if (v[0] not in careful_first and v[-1] != " " and v.isprintable()
                        and "&" not in v and "<" not in v and ">" not in v and "_x" not in v
                        and len(v) <= _FAST_LEN):
                    append(f'<c r="{ref}{rs}" t="inlineStr"><is><t>{v}</t></is></c>')
                else:
                    append(self.string_cell(ref, rs, v))
            elif t is int and not as_text and choice is None and -BIG_INT < v < BIG_INT:
                append(f'<c r="{ref}{rs}"><v>{v}</v></c>')
            elif t is bool and choice is None:
                append(f'<c r="{ref}{rs}" t="inlineStr"><is>{bool_xml[v]}</is></c>')
            elif t is Decimal and not as_text and choice is None and v.is_finite() \
                    and -BIG_INT < v < BIG_INT:
                append(f'<c r="{ref}{rs}"><v>{v}</v></c>')
            elif t is datetime and choice is None and v.tzinfo is None:
                seconds = v.hour * 3600 + v.minute * 60 + v.second
                days = v.toordinal() - _EXCEL_EPOCH
                if v.microsecond or days < 61:
                    append(self.other_cell(ref, rs, v, choice, as_text))
                else:
                    append(f'<c r="{ref}{rs}" s="{S_DATETIME}"><v>'
                           f'{days + seconds / 86400 if seconds else days!r}</v></c>')
            elif t is date and choice is None:
                days = v.toordinal() - _EXCEL_EPOCH
                if days < 61:
                    append(self.other_cell(ref, rs, v, choice, as_text))
                else:
                    append(f'<c r="{ref}{rs}" s="{S_DATE}"><v>{days}</v></c>')
            else:
                append(self.other_cell(ref, rs, v, choice, as_text))
        append("</row>")
        return "".join(parts)

    def widths(self, values: Sequence[Any]) -> list[int]:
        """Display width of each cell of a row as written (for the sampled rows)."""
        out = []
        for (_ref, choice, _as_text), v in zip(self.specs, values):
            if isinstance(v, Enum):
                v = v.value
            if v is None:
                out.append(0)
                continue
            if choice is not None and not isinstance(v, bool):
                v = choice.get(str(v), v)
            if isinstance(v, bool):
                v = self.yes if v else self.no
            if isinstance(v, datetime):
                out.append(16)
            elif isinstance(v, date):
                out.append(10)
            elif isinstance(v, time):
                out.append(5)
            elif isinstance(v, str):
                out.append(display_width(v))
            else:
                out.append(min(len(str(v)), MAX_WIDTH))
        return out


# ------------------------------------------------------------------------------------------
# The package parts
# ------------------------------------------------------------------------------------------

STYLES_XML = (
    _XML_DECL
    + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="3">'
    f'<numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="166" formatCode="{TIME_FORMAT}"/>'
    "</numFmts>"
    '<fonts count="3">'
    '<font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><sz val="9"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1"'
    ' applyBorder="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9"'
    ' defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
)

ROOT_RELS_XML = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)


def _attr(text: str) -> str:
    return _xml_escape(text, {'"': "&quot;"})


def _quoted_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def cols_xml(widths: Sequence[float]) -> str:
    if not widths:
        return ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>"


def sheet_head(widths: Sequence[float], selected: bool, freeze: bool = True) -> str:
    view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
    if freeze:
        view += ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                 '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>')
    view += "</sheetView>"
    return (_XML_DECL + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f"<sheetViews>{view}</sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>' + cols_xml(widths) + "<sheetData>")


def sheet_tail(autofilter: str | None, legacy_drawing: bool) -> str:
    tail = "</sheetData>"
    if autofilter:
        tail += f'<autoFilter ref="{autofilter}"/>'
    tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    if legacy_drawing:
        tail += '<legacyDrawing r:id="rId1"/>'
    return tail + "</worksheet>"


def comments_xml(text: str, author: str) -> str:
    return (_XML_DECL + f'<comments xmlns="{_MAIN_NS}"><authors><author>{_xml_escape(author)}'
            '</author></authors><commentList><comment ref="A1" authorId="0"><text><r><rPr>'
            '<sz val="9"/><rFont val="宋体"/><family val="3"/><charset val="134"/></rPr>'
            f"{text_xml(clean_text(text))}</r></text></comment></commentList></comments>")


def vml_xml(lines: int) -> str:
    bottom = min(max(lines, 3) + 1, 30)
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        '<o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t202"'
        ' coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>'
        '</v:shapetype><v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute;'
        'margin-left:120pt;margin-top:1.5pt;width:300pt;height:'
        f'{15 * bottom}pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>1, 15, 0, 2, 6, 15, {bottom}, 16</x:Anchor>"
        "<x:AutoFill>False</x:AutoFill><x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData>"
        "</v:shape></xml>")


class Package:
    """An .xlsx written part by part into a zip: data sheets streamed, the rest at close."""

    def __init__(self, target: Any, compresslevel: int = COMPRESSLEVEL):
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED,
                                   compresslevel=compresslevel)
        self.sheets: list[tuple[str, str | None]] = []  # (title, filter range or None)
        self.comment: tuple[str, str] | None = None
        self._stream: IO[bytes] | None = None

    # -- sheets ---------------------------------------------------------------------------
    def open_sheet(self, title: str) -> IO[bytes]:
        self.sheets.append((title, None))
        self._stream = self.zip.open(f"xl/worksheets/sheet{len(self.sheets)}.xml", "w",
                                     force_zip64=True)
        return self._stream

    def close_sheet(self, filter_ref: str | None = None) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        title, _ = self.sheets[-1]
        self.sheets[-1] = (title, filter_ref)

    def set_comment(self, text: str, author: str) -> None:
        """A note on A1 of the first sheet (call before :meth:`close`)."""
        self.comment = (text, author)

    def write_part(self, name: str, text: str) -> None:
        self.zip.writestr(name, text.encode("utf-8"))

    # -- the rest -------------------------------------------------------------------------
    def close(self, created: datetime | None = None) -> None:
        n = len(self.sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1))
        if self.comment is not None:
            text, author = self.comment
            self.write_part("xl/comments1.xml", comments_xml(text, author))
            self.write_part("xl/drawings/vmlDrawing1.vml", vml_xml(text.count("\n") + 1))
            self.write_part("xl/worksheets/_rels/sheet1.xml.rels", (
                _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
                f'<Relationship Id="rId1" Type="{_REL_NS}/vmlDrawing"'
                ' Target="../drawings/vmlDrawing1.vml"/>'
                f'<Relationship Id="rId2" Type="{_REL_NS}/comments" Target="../comments1.xml"/>'
                "</Relationships>"))
            overrides += ('<Override PartName="/xl/comments1.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>')
        self.write_part("[Content_Types].xml", (
            _XML_DECL
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.'
            'vmlDrawing"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
            'package.core-properties+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>' + overrides + "</Types>"))
        self.write_part("_rels/.rels", ROOT_RELS_XML)
        stamp = (created or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.write_part("docProps/core.xml", (
            _XML_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/'
            'dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>Anju Console</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"))
        titles = "".join(f"<vt:lpstr>{_xml_escape(t)}</vt:lpstr>" for t, _f in self.sheets)
        self.write_part("docProps/app.xml", (
            _XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
            '2006/docPropsVTypes"><Application>Microsoft Excel</Application>'
            '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets'
            f"</vt:lpstr></vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector>"
            f'</HeadingPairs><TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{titles}'
            "</vt:vector></TitlesOfParts></Properties>"))
        sheets = "".join(f'<sheet name="{_attr(t)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (t, _f) in enumerate(self.sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_xml_escape(_quoted_sheet(t))}!{_absolute(f)}</definedName>"
            for i, (t, f) in enumerate(self.sheets) if f)
        self.write_part("xl/workbook.xml", (
            _XML_DECL + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<workbookPr/><bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095"'
            f' windowHeight="9660"/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'))
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet"'
                       f' Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        self.write_part("xl/_rels/workbook.xml.rels", (
            _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">{rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        self.write_part("xl/styles.xml", STYLES_XML)
        self.zip.close()

    def abort(self) -> None:
        """Close what is open without finishing the package (the caller drops the file)."""
        try:
            if self._stream is not None:
                self._stream.close()
        finally:
            self._stream = None
            self.zip.close()


def _absolute(ref: str) -> str:
    """'A1:L20' -> '$A$1:$L$20'."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
