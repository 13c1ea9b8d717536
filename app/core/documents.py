"""Documents (单据): one declaration, rendered as a Chinese PDF and as a print view.

SPEC §2 "Print and PDF": verification notices, application forms, registration records
and contract texts render as Chinese PDFs and print views without the network. This is
the one engine for all of them.

1. Declare the document once, as data::

       doc = Document(
           title=_("Verification notice"), number="HY202601010001",
           sections=[
               Fields([(_("Name"), "张三"), (_("Mobile"), masked_mobile),
                       (_("Address"), "重庆市渝中区……", True)], columns=4),   # True: full width
               Table([_("Time"), _("Operation")], [["2026-01-01 09:00", "提交"]],
                     title=_("History")),
               Text("经核验，……"),
           ],
           qr="HY202601010001", footer=[_("Issued by the housing authority")])

   A section is :class:`Fields` (label/value rows in a two- or four-column grid),
   :class:`Table` (headers + rows; the header repeats on every PDF page) or :class:`Text`
   (a paragraph). ``qr`` is encoded with segno (PNG in the PDF, an inline ``data:`` URI in
   the print view). Every page carries the footer lines, the print time and
   "第 x 页 共 N 页".
2. Render it: :func:`render_pdf` (bytes; reportlab, A4, the built-in CID font
   STSong-Light, so no font file is needed or embedded) or :func:`render_html` (a
   standalone print page, template ``anju/documents/print.html``: inline CSS, no external
   asset, a 打印 button calling ``window.print()``).
3. In a view: ``return pdf_response(doc, "申请表.pdf")`` or ``return print_response(doc)``
   (both ``Cache-Control: private, no-store``).

Personal data: a document shows exactly what its builder puts in it. Builders mask
mobiles and ID numbers (app/core/masking.py) for viewers without the PII permission; see
:func:`application_document`'s ``mask`` flag. Values are escaped in both renderings.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

from flask import Response, render_template, send_file
from flask_babel import gettext as _

from app.core import masking

FONT = "STSong-Light"
PAGE_MARGIN_MM = 18


# --- the declaration ---------------------------------------------------------------------

@dataclass
class Fields:
    """Label/value rows. ``rows`` holds ``(label, value)`` or ``(label, value, True)``
    (the third item makes the row span the full width); ``columns`` is 2 (one pair per
    line) or 4 (two pairs per line)."""
    rows: list
    columns: int = 4
    title: object = None

    def __post_init__(self):
        if self.columns not in (2, 4):
            raise ValueError("Fields.columns must be 2 or 4")


@dataclass
class Table:
    """A table: ``headers`` and ``rows`` (lists of cell values). ``widths`` are optional
    relative column widths (e.g. ``[3, 2, 2, 2, 5]``)."""
    headers: list
    rows: list
    title: object = None
    widths: list | None = None
    empty_text: object = None


@dataclass
class Text:
    """A paragraph; blank lines separate paragraphs, single newlines break lines."""
    text: object
    title: object = None


@dataclass
class Document:
    title: object
    sections: list = field(default_factory=list)
    subtitle: object = None
    number: str | None = None
    qr: str | None = None              # text encoded in the QR code (a number or a URL)
    footer: list = field(default_factory=list)
    printed_at: datetime | None = None  # None: the time of rendering
    page_numbers: bool = True
    author: str | None = None


def text_of(value):
    """The text a cell shows: '' for None, dates formatted, 是/否, lazy strings resolved."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def grid_rows(section):
    """The lines of a :class:`Fields` section as ``[(label, value, colspan_of_value), ...]``:
    the one layout both renderings follow."""
    per_line = section.columns // 2
    span_full = section.columns - 1
    lines, line = [], []
    for row in section.rows:
        label, value = text_of(row[0]), text_of(row[1])
        wide = len(row) > 2 and bool(row[2])
        if wide or per_line == 1:
            if line:
                lines.append(line)
                line = []
            lines.append([(label, value, span_full)])
            continue
        line.append((label, value, 1))
        if len(line) == per_line:
            lines.append(line)
            line = []
    if line:
        # An odd pair at the end fills the rest of the line.
        label, value, _span = line[-1]
        line[-1] = (label, value, section.columns - 1 - 2 * (len(line) - 1))
        lines.append(line)
    return lines


def _page_text(page, total):
    return _("Page %(page)s of %(total)s", page=page, total=total)


def _printed_text(doc):
    when = doc.printed_at or datetime.now()
    return _("Printed at: %(time)s", time=when.strftime("%Y-%m-%d %H:%M"))


def _number_text(doc):
    return _("No.: %(number)s", number=doc.number) if doc.number else ""


def qr_png(content, scale=4):
    import segno

    buf = io.BytesIO()
    segno.make(content, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def qr_data_uri(content):
    import segno

    return segno.make(content, error="m").svg_data_uri(scale=4, border=2)


# --- PDF --------------------------------------------------------------------------------

def _register_font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles():
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("anju", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("anju-title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER,
                                spaceAfter=4),
        "subtitle": ParagraphStyle("anju-subtitle", parent=base, fontSize=12, leading=16,
                                   alignment=TA_CENTER),
        "number": ParagraphStyle("anju-number", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "heading": ParagraphStyle("anju-heading", parent=base, fontSize=12, leading=16, spaceBefore=8,
                                  spaceAfter=4),
        "label": ParagraphStyle("anju-label", parent=base, fontSize=9.5, leading=13),
        "cell": ParagraphStyle("anju-cell", parent=base, fontSize=9, leading=12),
        "th": ParagraphStyle("anju-th", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "para": ParagraphStyle("anju-para", parent=base, fontSize=10.5, leading=17, firstLineIndent=21,
                               spaceAfter=4),
    }


def _p(text, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text_of(text)).replace("\n", "<br/>"), style)


def _numbered_canvas(doc):
    """A canvas that draws the footer on every page once the page count is known."""
    from reportlab.pdfgen.canvas import Canvas

    footer = [text_of(line) for line in doc.footer] + [_printed_text(doc)]

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._footer(number, total)
                super().showPage()
            super().save()

        def _footer(self, number, total):
            from reportlab.lib.units import mm

            width, _height = self._pagesize
            margin = PAGE_MARGIN_MM * mm
            self.saveState()
            self.setFont(FONT, 8)
            self.setStrokeGray(0.6)
            self.line(margin, 14 * mm, width - margin, 14 * mm)
            y = 10 * mm
            left = "　".join(t for t in footer if t)
            self.drawString(margin, y, left)
            if doc.page_numbers:
                self.drawRightString(width - margin, y, _page_text(number, total))
            self.restoreState()

    return NumberedCanvas


def _fields_flowable(section, styles, width):
    from reportlab.lib import colors
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    if section.columns == 4:
        widths = [width * 0.16, width * 0.34, width * 0.16, width * 0.34]
    else:
        widths = [width * 0.24, width * 0.76]
    data, commands = [], []
    for r, line in enumerate(grid_rows(section)):
        cells, col = [], 0
        for label, value, span in line:
            cells += [_p(label, styles["label"]), _p(value, styles["cell"])]
            cells += [""] * (span - 1)
            commands.append(("BACKGROUND", (col, r), (col, r), colors.HexColor("#f2f2f2")))
            if span > 1:
                commands.append(("SPAN", (col + 1, r), (col + span, r)))
            col += 1 + span
        data.append(cells)
    if not data:
        return None
    table = RLTable(data, colWidths=widths)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ] + commands))
    return table


def _table_flowable(section, styles, width):
    from reportlab.lib import colors
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    n = len(section.headers)
    weights = section.widths or [1] * n
    widths = [width * w / sum(weights) for w in weights]
    data = [[_p(h, styles["th"]) for h in section.headers]]
    for row in section.rows:
        cells = list(row)[:n] + [""] * (n - len(row))
        data.append([_p(c, styles["cell"]) for c in cells])
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if not section.rows:
        data.append([_p(section.empty_text or _("None"), styles["cell"])] + [""] * (n - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
    table = RLTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def render_pdf(doc) -> bytes:
    """The document as an A4 PDF (bytes) in the built-in CID font; works offline."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    _register_font()
    styles = _styles()
    buf = io.BytesIO()
    margin = PAGE_MARGIN_MM * mm
    template = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin + 4 * mm, title=text_of(doc.title), author=doc.author or "",
        creator="anju", subject=text_of(doc.subtitle))
    width = template.width

    head = [_p(doc.title, styles["title"])]
    if doc.subtitle:
        head.append(_p(doc.subtitle, styles["subtitle"]))
    if doc.number:
        head.append(_p(_number_text(doc), styles["number"]))
    story = []
    if doc.qr:
        size = 26 * mm
        image = Image(io.BytesIO(qr_png(doc.qr)), width=size, height=size)
        header = RLTable([["", head, image]], colWidths=[size, width - 2 * size, size])
        header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(header)
    else:
        story.extend(head)
    story.append(Spacer(1, 4 * mm))

    for section in doc.sections:
        if section.title:
            story.append(_p(section.title, styles["heading"]))
        if isinstance(section, Fields):
            flowable = _fields_flowable(section, styles, width)
            if flowable is not None:
                story.append(flowable)
        elif isinstance(section, Table):
            story.append(_table_flowable(section, styles, width))
        elif isinstance(section, Text):
            for chunk in text_of(section.text).split("\n\n"):
                story.append(_p(chunk, styles["para"]))
        else:
            raise TypeError(f"unknown section {section!r}")
        story.append(Spacer(1, 3 * mm))
    template.build(story, canvasmaker=_numbered_canvas(doc))
    return buf.getvalue()


# --- print view -------------------------------------------------------------------------

def render_html(doc) -> str:
    """The document as a standalone print page (needs an app context)."""
    sections = []
    for section in doc.sections:
        if isinstance(section, Fields):
            kind, body = "fields", grid_rows(section)
        elif isinstance(section, Table):
            n = len(section.headers)
            body = [[text_of(c) for c in (list(row)[:n] + [""] * (n - len(row)))] for row in section.rows]
            kind = "table"
        elif isinstance(section, Text):
            kind, body = "text", [[line for line in chunk.split("\n")]
                                  for chunk in text_of(section.text).split("\n\n")]
        else:
            raise TypeError(f"unknown section {section!r}")
        sections.append({"kind": kind, "title": text_of(section.title), "body": body, "section": section,
                         "headers": [text_of(h) for h in getattr(section, "headers", [])],
                         "empty_text": text_of(getattr(section, "empty_text", None)) or _("None")})
    # "第 " counter(page) " 页 共 " counter(pages) " 页" for the print margin box.
    page_css = '"%s"' % _page_text('" counter(page) "', '" counter(pages) "').replace("\n", " ")
    return render_template(
        "anju/documents/print.html", doc=doc, title=text_of(doc.title), subtitle=text_of(doc.subtitle),
        number=_number_text(doc), sections=sections,
        qr_uri=qr_data_uri(doc.qr) if doc.qr else None,
        footer=[text_of(line) for line in doc.footer], printed=_printed_text(doc), page_css=page_css)


# --- Flask helpers ----------------------------------------------------------------------

NO_STORE = "private, no-store"


def pdf_response(doc, filename, inline=True):
    """The PDF as a response; ``filename`` may be Chinese (RFC 5987 ``filename*``)."""
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    from app.core.xlsx import content_disposition

    response = send_file(io.BytesIO(render_pdf(doc)), mimetype="application/pdf",
                         etag=False, conditional=False, max_age=0)
    # The same header as every other download: an ASCII fallback and the UTF-8 name.
    response.headers["Content-Disposition"] = content_disposition(filename, "attachment" if not inline else "inline")
    response.headers["Cache-Control"] = NO_STORE
    response.headers.pop("Expires", None)
    return response


def print_response(doc):
    """The print view as a response."""
    response = Response(render_html(doc), mimetype="text/html")
    response.headers["Cache-Control"] = NO_STORE
    return response


# --- builders ---------------------------------------------------------------------------

#: Payload keys holding personal data, and how to mask them.
MASKED_PAYLOAD_KEYS = {
    "contact_mobile": "mobile", "mobile": "mobile", "phone": "mobile", "legal_rep_mobile": "mobile",
    "id_number": "id_number", "legal_rep_id_number": "id_number", "contact_id_number": "id_number",
}


def mask_kind_of(key):
    """``'mobile'`` / ``'id_number'`` for a payload key holding such data, else None."""
    if key in MASKED_PAYLOAD_KEYS:
        return MASKED_PAYLOAD_KEYS[key]
    if masking.kind_of_field(key):
        return masking.kind_of_field(key)
    if key.endswith(("mobile", "phone")):
        return "mobile"
    if key.endswith(("id_number", "id_no", "id_card")):
        return "id_number"
    return None


def should_mask(mask):
    """True when personal data in a document must be masked (``mask`` None: by the viewer's permission)."""
    if mask is not None:
        return bool(mask)
    return not masking.viewer_sees_full()


def application_document(application, mask=None, qr=None, payload_labels=None, payload_masks=None) -> Document:
    """The application form (申请表) of a business application: its fields as on the
    detail page and its whole history.

    ``mask``: True masks mobile numbers and ID numbers in the payload
    (app.core.masking.mask); False shows them in full; None (the default) masks unless
    the current user holds the PII permission (app.core.masking.viewer_sees_full).
    ``qr``: text for the QR code (default: the application number).
    ``payload_masks``: {key: mask kind} for payload keys whose name does not say it (names).
    """
    from app.core import workflow

    if payload_labels is None:
        payload_labels = workflow.payload_labels(application)
    hide = should_mask(mask)
    a = application
    rows = [
        (_("Application number"), a.number), (_("Business type"), a.type_label),
        (_("Title"), a.title, True),
        (_("Status"), a.status_label),
        (_("Applicant"), masking.mask("name", a.applicant_name) if hide and a.applicant_name else a.applicant_name),
        (_("Submitted at"), a.submitted_at), (_("Decided at"), a.decided_at),
    ]
    if a.reason:
        rows.append((_("Reason"), a.reason, True))
    payload = a.payload or {}
    for key, label in payload_labels.items():
        value = payload.get(key)
        if not value:
            continue
        kind = (payload_masks or {}).get(key) or mask_kind_of(key)
        if kind and hide:
            value = masking.mask(kind, value)
        elif key in ("city_code", "district_code"):
            value = _region_name(value)
        rows.append((label, value, True))
    if a.org is not None:
        rows.append((_("Organization"), f"{a.org.name} {a.org.credit_code or ''}".strip(), True))
    history = [
        [e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "", workflow.action_label(e.action),
         workflow.status_label(e.to_status),
         (masking.mask("name", e.actor_name) if hide else e.actor_name) if e.actor_name else "", e.reason or ""]
        for e in a.events
    ]
    return Document(
        title=_("%(type)s application form", type=a.type_label), number=a.number,
        sections=[
            Fields(rows, columns=4, title=_("Application")),
            Table([_("Time"), _("Operation"), _("Result"), _("By"), _("Reason")], history,
                  title=_("History"), widths=[3.2, 2.2, 2, 2, 5]),
        ],
        qr=qr if qr is not None else a.number,
    )


def _region_name(code):
    from app.system.models import region_full_name

    return region_full_name(code)
