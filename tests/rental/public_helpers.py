"""Shared steps of the public-services tests: real .docx and PDF files, and real-name verified
public accounts bound to a person's ID number."""
import io
import itertools
import zipfile
from datetime import datetime

from app.extensions import db

_seq = itertools.count(1)

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
                 b'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 b'wordprocessingml.document.main+xml"/></Types>')


def docx(paragraphs):
    """A real Word file whose word/document.xml holds ``paragraphs`` (each split over runs)."""
    from xml.sax.saxutils import escape

    body = "".join("<w:p>" + "".join(f"<w:r><w:t>{escape(part)}</w:t></w:r>" for part in (p[:2], p[2:])) + "</w:p>"
                   for p in paragraphs)
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.'
           f'org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("word/document.xml", xml.encode())
    return buf.getvalue()


def text_pdf(lines):
    """A PDF with a text layer (reportlab's built-in CID font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 11)
    for i, line in enumerate(lines):
        c.drawString(40, 800 - 16 * i, line)
    c.save()
    return buf.getvalue()


def scanned_pdf():
    """A PDF whose page is only a picture (no text layer), like a scan."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 250)).save(img, "PNG")
    img.seek(0)
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(img), 40, 500, 120, 160)
    c.save()
    return buf.getvalue()


FULL_CONTRACT = ["住房租赁合同", "第一条 月租金为人民币2500元。", "第二条 押金为人民币2500元。", "第三条 租赁期限为一年。",
                 "第四条 租赁用途为居住。", "第五条 维修责任由甲方承担。", "第六条 违约责任：违约方赔偿损失。",
                 "第七条 争议解决：协商不成的向法院起诉。"]


def public_person(id_number=None, name="评价测试", verified=True):
    """A public account with its person (real-name verified unless told): returns the username."""
    from flask import current_app

    from app.accounts.models import Person
    from tests.complaints.helpers import new_mobile
    from tests.conftest import DEMO_PASSWORD
    from tests.rental.helpers import new_id_number

    sm = current_app.appbuilder.sm
    n = next(_seq)
    username = f"rpub{n}_{datetime.now():%H%M%S%f}"
    mobile = new_mobile("1386")
    sm.add_user(username, name, "", f"{username}@test.anju.invalid", sm.find_role("public"), password=DEMO_PASSWORD,
                mobile=mobile, must_change_password=False)
    user = sm.find_user(username=username)
    db.session.add(Person(user_id=user.id, name=name, id_type="resident_id", id_number=id_number or new_id_number(),
                          mobile=mobile, activation="active", realname_status="verified" if verified else "unverified"))
    db.session.commit()
    return username
