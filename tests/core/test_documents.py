"""The document engine (app/core/documents.py): one declaration, a Chinese PDF and a
print view, offline; and the application form built from a real business application.

Test-only application type t_doc_* (prefix TDC); demo users public1 and reviewer."""
import re
from datetime import datetime

import pytest
from flask import current_app

from app.core import documents, workflow
from app.core.documents import Document, Fields, Table, Text
from app.core.workflow import ApplicationType, register_type
from app.extensions import db

DOC_TYPE = "t_doc_form"
register_type(ApplicationType(code=DOC_TYPE, label="文档测试业务", prefix="TDC"))

LONG = "申请人租赁的房屋位于重庆市渝中区解放碑街道民族路一百号附一号，经现场核验与登记信息一致，" * 3
MOBILE = "13812345678"


@pytest.fixture
def rq(app):
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
        db.session.remove()


def user(username):
    found = current_app.appbuilder.sm.find_user(username=username)
    assert found is not None, username
    return found


def pages(pdf):
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def sample(rows=3, qr="TDC202601010001"):
    return Document(
        title="房屋租赁登记记录", subtitle="渝中区住房和城乡建设委员会", number="DJ202601010001",
        sections=[
            Fields([("承租人", "张三"), ("联系电话", "177****1234"), ("房屋地址", LONG, True),
                    ("面积", "56.3㎡")], columns=4, title="基本信息"),
            Fields([("备注", "两列布局")], columns=2),
            Table(["序号", "时间", "内容"], [[i + 1, datetime(2026, 1, 1, 9, 30), f"第{i + 1}条：{LONG}"]
                                       for i in range(rows)], title="登记历史", widths=[1, 2, 6]),
            Text("经核验，上述信息属实。<script>alert(1)</script>\n\n特此告知。", title="核验结论"),
        ],
        qr=qr, footer=["重庆市住房和城乡建设委员会"])


# --- PDF --------------------------------------------------------------------------------

def test_pdf_uses_builtin_cid_font_and_embeds_none(rq):
    pdf = documents.render_pdf(sample())
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"STSong-Light" in pdf
    assert b"/FontFile" not in pdf          # no font program embedded
    assert b"/F1" in pdf                    # the page resources name the CID font
    assert pages(pdf) == 1


def test_long_table_paginates_with_page_numbers(rq):
    short = documents.render_pdf(sample(rows=3))
    pdf = documents.render_pdf(sample(rows=200))
    assert pages(short) == 1
    assert pages(pdf) >= 2
    # The header row repeats: the table flowable is split with repeatRows=1 (see the
    # builder); the page count grows with the rows rather than overflowing one page.
    assert pages(pdf) > 10


def test_table_repeats_header_on_every_page(rq, monkeypatch):
    """Count how often the header cells are drawn: once per page the table spans."""
    from reportlab.platypus import Paragraph

    drawn = []
    original = Paragraph.drawOn

    def spy(self, canvas, x, y, _sW=0):
        if self.text == "内容":
            drawn.append(canvas.getPageNumber())
        return original(self, canvas, x, y, _sW)

    monkeypatch.setattr(Paragraph, "drawOn", spy)
    pdf = documents.render_pdf(sample(rows=200))
    assert sorted(set(drawn)) == list(range(1, pages(pdf) + 1))
    assert len(drawn) == pages(pdf)


def test_qr_code_is_an_image_in_the_pdf(rq):
    with_qr = documents.render_pdf(sample())
    without = documents.render_pdf(sample(qr=None))
    assert re.search(rb"/Subtype\s*/Image", with_qr)
    assert not re.search(rb"/Subtype\s*/Image", without)


def test_pdf_escapes_markup_in_values(rq):
    doc = Document(title="转义<b>&", sections=[Fields([("a<b", "x & y </para>")]),
                                              Table(["h<"], [["<i>"]]), Table(["空"], [])])
    assert documents.render_pdf(doc).startswith(b"%PDF")


# --- print view -------------------------------------------------------------------------

def test_print_view_is_standalone_and_chinese(rq):
    html = documents.render_html(sample(rows=200))
    assert "房屋租赁登记记录" in html and "渝中区住房和城乡建设委员会" in html
    assert "DJ202601010001" in html and "张三" in html and "第200条" in html
    assert "window.print()" in html
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""<(link|script)[^>]+(href|src)=""", html)   # no external asset
    assert re.search(r'<img[^>]+src="data:image/', html)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert html.count("<thead>") == 1 and "display: table-header-group" in html
    assert "counter(pages)" in html
    assert "重庆市住房和城乡建设委员会" in html


def test_print_view_without_qr_has_no_image(rq):
    html = documents.render_html(sample(qr=None))
    assert "data:image" not in html


def test_grid_rows_layout():
    section = Fields([("a", 1), ("b", 2), ("c", 3, True), ("d", None), ("e", True)], columns=4)
    assert documents.grid_rows(section) == [
        [("a", "1", 1), ("b", "2", 1)],
        [("c", "3", 3)],
        [("d", "", 1), ("e", documents.text_of(True), 1)],
    ]
    odd = Fields([("a", 1)], columns=4)
    assert documents.grid_rows(odd) == [[("a", "1", 3)]]
    assert documents.grid_rows(Fields([("a", 1), ("b", 2)], columns=2)) == [[("a", "1", 1)], [("b", "2", 1)]]
    with pytest.raises(ValueError):
        Fields([], columns=3)


# --- responses --------------------------------------------------------------------------

def test_pdf_response_headers(rq):
    resp = documents.pdf_response(sample(), "房屋登记记录")
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "private, no-store"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("inline")
    assert "filename*=UTF-8''%E6%88%BF%E5%B1%8B" in disposition and ".pdf" in disposition
    resp.direct_passthrough = False
    assert resp.get_data().startswith(b"%PDF")
    attachment = documents.pdf_response(sample(), "a.pdf", inline=False)
    assert attachment.headers["Content-Disposition"].startswith("attachment")


def test_print_response_headers(rq):
    resp = documents.print_response(sample())
    assert resp.mimetype == "text/html"
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert "window.print()" in resp.get_data(as_text=True)


# --- the application form ---------------------------------------------------------------

def _application():
    applicant, reviewer = user("public1"), user("reviewer")
    a = workflow.create(DOC_TYPE, applicant=applicant, title="公租房资格申请（文档测试）", region_code="500103",
                        payload={"name": "重庆安居测试机构", "contact_name": "李四", "contact_mobile": MOBILE,
                                 "address": LONG})
    workflow.transition(a, "submit", applicant)
    workflow.transition(a, "return", reviewer, "请补充租赁合同原件扫描件")
    workflow.transition(a, "resubmit", applicant)
    workflow.transition(a, "accept", reviewer)
    workflow.transition(a, "approve", reviewer)
    db.session.commit()
    return a


def test_application_document_lists_fields_and_every_event(rq):
    a = _application()
    doc = documents.application_document(a, mask=False)
    assert doc.number == a.number and doc.qr == a.number
    fields, history = doc.sections
    values = {documents.text_of(r[0]): documents.text_of(r[1]) for r in fields.rows}
    assert a.number in values.values() and "公租房资格申请（文档测试）" in values.values()
    assert a.status_label in values.values() and "文档测试业务" in values.values()
    assert MOBILE in values.values() and "重庆安居测试机构" in values.values()
    assert len(history.rows) == len(a.events) == 6
    assert [r[1] for r in history.rows] == [workflow.action_label(e.action) for e in a.events]
    assert [r[2] for r in history.rows] == [workflow.status_label(e.to_status) for e in a.events]
    assert "请补充租赁合同原件扫描件" in [r[4] for r in history.rows]

    html = documents.render_html(doc)
    for e in a.events:
        assert e.at.strftime("%Y-%m-%d %H:%M:%S") in html
    assert html.count("请补充租赁合同原件扫描件") == 1  # the history; the reason was cleared on resubmit
    assert MOBILE in html and a.number in html
    pdf = documents.render_pdf(doc)
    assert pdf.startswith(b"%PDF") and b"/FontFile" not in pdf


def test_application_document_masks_personal_data(rq):
    a = _application()
    doc = documents.application_document(a, mask=True)
    html = documents.render_html(doc)
    assert MOBILE not in html and "138****5678" in html
    assert MOBILE.encode() not in documents.render_pdf(doc)
    # Default: masked for a viewer without the PII permission (nobody is signed in here).
    assert MOBILE not in documents.render_html(documents.application_document(a))


def test_mask_kinds():
    assert documents.mask_kind_of("contact_mobile") == "mobile"
    assert documents.mask_kind_of("legal_rep_id_number") == "id_number"
    assert documents.mask_kind_of("owner_id_no") == "id_number"
    assert documents.mask_kind_of("address") is None
