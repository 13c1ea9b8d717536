"""合同咨询's machine check (seed 000 合同管理 → 合同咨询): the text of an uploaded contract, and
which of the template's required clauses it holds.

* :func:`extract_text` reads a .docx (its ``word/document.xml``, paragraphs kept apart) or a
  PDF with a text layer (pypdf). A scanned PDF has no text: :class:`NoText` says so.
* :func:`check` matches the clauses: a clause is present when any of its keywords occurs in
  the text (spaces, full-width spaces and line breaks ignored, so "违 约" in a table cell
  still counts).

Nothing here knows about requests or the database: app/rental/public/services.py calls it.
"""
import io
import re
import zipfile
from xml.etree import ElementTree

from flask_babel import gettext as _

from app.core.errors import DomainError

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Read at most this much of a document's text (a contract is a few pages; a bomb is not read).
MAX_XML_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_TEXT = 2_000_000


class NoText(DomainError):
    """The file holds no text to check (a scanned PDF, an empty document)."""


def _docx_text(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise DomainError(_("The document is too large for the machine check."))
            xml = zf.read(info)
    except (KeyError, zipfile.BadZipFile, OSError):
        raise DomainError(_("The file could not be read as a Word document (.docx).")) from None
    try:
        # ElementTree does not resolve external entities; a DTD is refused outright.
        if b"<!DOCTYPE" in xml[:2048].upper():
            raise ElementTree.ParseError("DTD")
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        raise DomainError(_("The file could not be read as a Word document (.docx).")) from None
    paragraphs = []
    for para in root.iter(f"{W_NS}p"):
        parts = []
        for node in para.iter():
            if node.tag == f"{W_NS}t" and node.text:
                parts.append(node.text)
            elif node.tag in (f"{W_NS}tab", f"{W_NS}br"):
                parts.append(" ")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)[:MAX_TEXT]


def _pdf_text(data):
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DomainError(_("The PDF is password-protected; please upload it without a password."))
        texts = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            texts.append(page.extract_text() or "")
            if sum(len(t) for t in texts) > MAX_TEXT:
                break
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise DomainError(_("The file could not be read as a PDF.")) from None
    return "\n".join(texts)[:MAX_TEXT]


def extract_text(filename, data):
    """The contract's text. DomainError for a file that is neither .docx nor .pdf or cannot be
    read; :class:`NoText` when it holds no text."""
    name = (filename or "").lower()
    if name.endswith(".docx"):
        text = _docx_text(data)
    elif name.endswith(".pdf"):
        text = _pdf_text(data)
        if not _compact(text):
            raise NoText(_("The PDF holds no text (it is probably a scanned image), so it cannot be checked by "
                           "machine. Please upload the Word (.docx) file or a PDF saved from it, or ask a law "
                           "firm below."))
    else:
        raise DomainError(_("The machine check reads Word (.docx) and PDF files only."))
    if not _compact(text):
        raise NoText(_("The document holds no text to check."))
    return text


_SPACE = re.compile(r"[\s\u3000\u00a0]+")


def _compact(text):
    return _SPACE.sub("", text or "")


def check(text, clauses):
    """(found, missing): the labels of the required clauses the text holds and lacks, in the
    template's order."""
    compact = _compact(text)
    found, missing = [], []
    for clause in clauses or []:
        keywords = [_compact(k) for k in clause.get("keywords") or [clause.get("label", "")]]
        if any(k and k in compact for k in keywords):
            found.append(clause["label"])
        else:
            missing.append(clause["label"])
    return found, missing
