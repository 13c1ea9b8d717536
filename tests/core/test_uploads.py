"""Tests for app.core.uploads: checked types, safe storage, scoped downloads.

Every file is real: a PDF drawn by reportlab, PNG and JPEG images by Pillow, an XLSX by
openpyxl and a DOCX written as a minimal OOXML package; the refused ones are real files
renamed or damaged. Downloads are tried with real logins of the demo accounts.
"""
import hashlib
import io
import os
import struct
import time
import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select, text

from app.core import uploads
from app.core.errors import DomainError
from app.core.uploads import Upload
from app.extensions import db
from app.security.models import AnjuUser
from app.system.models import Organization

ENT_A_CREDIT_CODE = "91500103MA5U7A1B23"
ORG_PERMISSION = ("can_show", "OrganizationView")


# --- real files ------------------------------------------------------------------------

def make_pdf(text_="安居管理台 upload test", pad=0):
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text_)
    c.showPage()
    c.save()
    data = buf.getvalue()
    if pad:
        data += b"%" + b"0" * (pad - 2) + b"\n"  # a PDF comment after %%EOF
    return data


def make_image(fmt, size=(40, 30), color=(200, 30, 30)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def make_png(**kw):
    return make_image("PNG", **kw)


def make_jpeg(**kw):
    return make_image("JPEG", **kw)


def make_noisy_jpeg(size=(400, 300)):
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def make_xlsx():
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "证书编号"])
    wb.active.append(["张三", "A-001"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>'
    '</Types>'
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:body><w:p><w:r><w:t>物业服务合同备案</w:t></w:r></w:p></w:body></w:document>'
)


def make_docx(main=DOCX_MAIN, extra=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main))
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", DOCUMENT * 1 + "<!--" + "x" * 2000 + "-->")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "just a zip")
    return buf.getvalue()


def flag_encrypted(data):
    """Set the 'encrypted' bit on every entry of the zip's central directory."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pos = zf.start_dir
        count = len(zf.infolist())
    for _ in range(count):
        assert raw[pos:pos + 4] == b"PK\x01\x02"
        (flags,) = struct.unpack_from("<H", raw, pos + 8)
        struct.pack_into("<H", raw, pos + 8, flags | 0x1)
        n, m, k = struct.unpack_from("<HHH", raw, pos + 28)
        pos += 46 + n + m + k
    return bytes(raw)


def damage_member(data, name):
    """Flip bytes inside one member's compressed data (its CRC no longer matches)."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    n, m = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + n + m
    for i in range(start + 5, start + min(info.compress_size, 40)):
        raw[i] ^= 0x5A
    return bytes(raw)


MZ_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
    b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


# --- helpers ---------------------------------------------------------------------------

def user(username):
    return db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalar_one()


def ent_a_org():
    return db.session.execute(
        select(Organization).where(Organization.credit_code == ENT_A_CREDIT_CODE)).scalar_one()


def stored_bytes(upload):
    with open(uploads.path_of(upload), "rb") as fh:
        return fh.read()


def refused(file, **kw):
    with pytest.raises(DomainError) as exc:
        uploads.save(file, user=user("admin"), **kw)
    return str(exc.value)


def row_count():
    return db.session.execute(select(db.func.count(Upload.id))).scalar_one()


def files_on_disk(app):
    out = set()
    for root, _dirs, names in os.walk(app.config["UPLOAD_DIR"]):
        out.update(os.path.join(root, n) for n in names)
    return out


@pytest.fixture(scope="module")
def org_owner():
    uploads.register_owner("organization", Organization, ORG_PERMISSION)
    return "organization"


# --- what is accepted ------------------------------------------------------------------

@pytest.mark.parametrize("name,maker,kind,mime", [
    ("营业执照.pdf", make_pdf, "pdf", "application/pdf"),
    ("照片.png", make_png, "png", "image/png"),
    ("照片.jpg", make_jpeg, "jpg", "image/jpeg"),
    ("PHOTO.JPEG", make_jpeg, "jpg", "image/jpeg"),
    ("合同.docx", make_docx, "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("名单.xlsx", make_xlsx, "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_real_files_are_stored_safely(ctx, name, maker, kind, mime):
    data = maker()
    admin = user("admin")
    up = uploads.save((name, data), label="测试", user=admin)
    assert up.id is not None  # flushed
    assert (up.original_name, up.kind, up.mime, up.size, up.label) == (name, kind, mime, len(data), "测试")
    assert up.sha256 == hashlib.sha256(data).hexdigest()
    assert up.created_by_fk == admin.id and up.owner_type is None
    path = uploads.path_of(up)
    root = os.path.realpath(ctx.config["UPLOAD_DIR"])
    assert os.path.realpath(path) == os.path.join(root, up.token[:2], up.token)
    assert os.path.basename(path) == up.token and "." not in os.path.basename(path)
    static = os.path.realpath(ctx.static_folder)
    assert os.path.commonpath([static, os.path.realpath(path)]) != static
    assert stored_bytes(up) == data
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".tmp-")]


def test_werkzeug_filestorage_is_accepted(ctx):
    from werkzeug.datastructures import FileStorage

    data = make_png()
    fs = FileStorage(stream=io.BytesIO(data), filename="C:\\Users\\张三\\扫描件.png",
                     content_type="application/octet-stream")
    up = uploads.save(fs, user=user("admin"))
    assert up.original_name == "扫描件.png" and up.mime == "image/png"
    assert stored_bytes(up) == data


def test_tokens_are_random_and_unique(ctx):
    data = make_pdf()
    ups = [uploads.save(("same.pdf", data), user=user("admin")) for _ in range(20)]
    tokens = {u.token for u in ups}
    assert len(tokens) == 20
    assert all(len(t) == 32 and int(t, 16) >= 0 for t in tokens)
    assert len({u.sha256 for u in ups}) == 1


def test_creator_defaults_to_the_acting_user(ctx):
    from flask import g

    pm = user("pm_a")
    g.scope_user = pm
    try:
        up = uploads.save(("a.pdf", make_pdf()))
    finally:
        g.pop("scope_user")
    assert up.created_by_fk == pm.id


# --- what is refused -------------------------------------------------------------------

def test_empty_file_refused(ctx):
    assert "empty.pdf" in refused(("empty.pdf", b""))


def test_oversize_refused_by_runtime_parameter(ctx):
    big = make_pdf(pad=1_500_000)
    assert len(big) > 1.5 * 1000 * 1000
    before = db.session.execute(text("SELECT value FROM anju_param WHERE key = 'upload.max_mb'")).scalar()
    assert before == "10"  # declared and seeded with its default
    db.session.execute(text("UPDATE anju_param SET value = '1' WHERE key = 'upload.max_mb'"))
    db.session.commit()
    try:
        message = refused(("big.pdf", big))
        assert "big.pdf" in message and "1" in message
    finally:
        db.session.rollback()
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = 'upload.max_mb'"), {"v": before})
        db.session.commit()
    # Under the default 10 MB the same file passes.
    assert uploads.save(("big.pdf", big), user=user("admin")).size == len(big)


def test_param_is_declared():
    from app.system.params import PARAMS

    spec = PARAMS["upload.max_mb"]
    assert (spec.type, spec.default, spec.min, spec.max, spec.group) == ("int", 10, 1, 100, "system")


@pytest.mark.parametrize("name,data", [
    ("setup.exe", MZ_EXE),
    ("logo.svg", SVG),
    ("page.html", HTML),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),
    ("archive.zip", make_zip()),
    ("noextension", make_pdf()),
    ("report.pdf.exe", MZ_EXE),
])
def test_types_outside_whitelist_refused(ctx, name, data):
    assert name in refused((name, data))


@pytest.mark.parametrize("name,data", [
    ("page.pdf", HTML),                               # html renamed .pdf
    ("setup.pdf", MZ_EXE),                            # exe renamed .pdf
    ("archive.docx", make_zip()),                     # plain zip renamed .docx
    ("table.docx", make_xlsx()),                      # xlsx renamed .docx
    ("letter.xlsx", make_docx()),                     # docx renamed .xlsx
    ("photo.png", make_jpeg()),                       # jpg named .png
    ("photo.jpg", make_png()),                        # png named .jpg
    ("logo.png", SVG),                                # svg named .png
    ("scan.pdf", make_png()),                         # image named .pdf
    ("encrypted.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),  # Office-encrypted
])
def test_content_must_match_extension(ctx, name, data):
    assert name in refused((name, data))


@pytest.mark.parametrize("name,maker", [
    ("cut.png", lambda: make_png(size=(200, 200))[:-40]),              # truncated PNG
    ("cut2.png", lambda: make_png(size=(200, 200))[:60]),              # header only
    ("cut.jpg", lambda: (lambda d: d[:len(d) * 2 // 3])(make_noisy_jpeg())),  # truncated JPEG
    ("cut.docx", lambda: make_docx()[:300]),                          # truncated package
    ("locked.docx", lambda: flag_encrypted(make_docx())),             # encrypted members
    ("broken.docx", lambda: damage_member(make_docx(), "word/document.xml")),  # bad data / CRC
    ("macro.docx", lambda: make_docx(main=DOCM_MAIN)),                # docm renamed
    ("macro2.docx", lambda: make_docx(extra={"word/vbaProject.bin": b"\x00" * 64})),
])
def test_damaged_encrypted_or_macro_files_refused(ctx, name, maker):
    assert name in refused((name, maker()))


def test_decompression_bomb_refused(ctx, monkeypatch):
    data = make_png(size=(100, 100))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # above the limit: Pillow only warns
    with pytest.warns(Image.DecompressionBombWarning):
        assert "bomb.png" in refused(("bomb.png", data))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # above twice the limit: Pillow raises
    assert "bomb.jpg" in refused(("bomb.jpg", make_jpeg(size=(100, 100))))


def test_refusal_stores_nothing(ctx, app):
    before_rows, before_files = row_count(), files_on_disk(app)
    refused(("setup.pdf", MZ_EXE))
    assert row_count() == before_rows and files_on_disk(app) == before_files


def test_traversal_and_control_characters_in_names(ctx, app):
    root = os.path.realpath(app.config["UPLOAD_DIR"])
    for raw, shown in [("../../etc/passwd.pdf", "passwd.pdf"),
                       ("..\\..\\windows\\evil.pdf", "evil.pdf"),
                       ("/abs/path/证书.pdf", "证书.pdf"),
                       ("bad\x00na\u202eme\r\n.pdf", "badname.pdf")]:
        up = uploads.save((raw, make_pdf()), user=user("admin"))
        assert up.original_name == shown
        assert os.path.commonpath([root, os.path.realpath(uploads.path_of(up))]) == root
    assert not os.path.exists(os.path.join(os.path.dirname(root), "etc", "passwd.pdf"))
    long_name = "长" * 300 + ".pdf"
    up = uploads.save((long_name, make_pdf()), user=user("admin"))
    assert len(up.original_name) == 255 and up.original_name.endswith(".pdf")
    with pytest.raises(ValueError):
        uploads.path_of("../../etc/passwd")


def test_save_many_is_all_or_nothing(ctx, app):
    from werkzeug.datastructures import FileStorage

    admin = user("admin")
    before_rows, before_files = row_count(), files_on_disk(app)
    with pytest.raises(DomainError) as exc:
        uploads.save_many([("a.pdf", make_pdf()), ("b.png", make_png()), ("c.pdf", HTML)], user=admin)
    assert "c.pdf" in str(exc.value)
    assert row_count() == before_rows and files_on_disk(app) == before_files
    with pytest.raises(DomainError):
        uploads.save_many([("a.pdf", make_pdf())] * 3, max_files=2, user=admin)
    assert row_count() == before_rows
    nothing = FileStorage(stream=io.BytesIO(b""), filename="")
    ups = uploads.save_many([("a.pdf", make_pdf()), nothing, ("b.png", make_png())],
                            label="照片", user=admin)
    assert [u.original_name for u in ups] == ["a.pdf", "b.png"]
    assert all(u.label == "照片" and u.id for u in ups)
    assert uploads.save_many([], user=admin) == []


# --- owners ----------------------------------------------------------------------------

def test_register_owner_is_idempotent_and_refuses_conflicts(org_owner):
    uploads.register_owner("organization", Organization, ORG_PERMISSION)
    assert uploads.owner_types()["organization"].model is Organization
    with pytest.raises(ValueError):
        uploads.register_owner("organization", Organization, ("can_edit", "OrganizationView"))
    with pytest.raises(ValueError):
        uploads.register_owner("org2", Organization)
    with pytest.raises(ValueError):
        uploads.register_owner("organization", AnjuUser)


def test_attach_and_files_of(ctx, org_owner):
    org = ent_a_org()
    admin = user("admin")
    first = uploads.save(("执照.pdf", make_pdf()), label="营业执照", user=admin)
    more = uploads.save_many([("p1.png", make_png()), ("p2.jpg", make_jpeg())], label="照片",
                             owner=org, user=admin)
    uploads.attach(first, org)
    assert (first.owner_type, first.owner_id) == ("organization", org.id)
    assert [u.id for u in uploads.files_of(org, label="营业执照")][-1] == first.id
    ids = [u.id for u in uploads.files_of(org)]
    assert {first.id, *(u.id for u in more)} <= set(ids) and ids == sorted(ids)
    assert uploads.owner_of(first) is org
    # Never moved to another record; unregistered models cannot own files.
    other = db.session.execute(select(Organization).where(Organization.id != org.id)).scalars().first()
    with pytest.raises(ValueError):
        uploads.attach(first, other)
    with pytest.raises(ValueError):
        uploads.attach(first, admin)
    direct = uploads.save(("d.pdf", make_pdf()), owner=org, user=admin)
    assert (direct.owner_type, direct.owner_id) == ("organization", org.id)


def test_can_download_rules(ctx, org_owner):
    org = ent_a_org()
    up = uploads.save(("x.pdf", make_pdf()), owner=org, user=user("ent_a"))
    mine = uploads.save(("y.pdf", make_pdf()), user=user("pm_a"))
    assert uploads.can_download(up, user("ent_a"))
    assert uploads.can_download(up, user("district1"))
    assert uploads.can_download(up, user("admin"))
    assert not uploads.can_download(up, user("ent_b"))
    assert not uploads.can_download(up, user("public1"))
    assert not uploads.can_download(up, None)
    assert uploads.can_download(mine, user("pm_a"))
    assert not uploads.can_download(mine, user("ent_a"))
    assert not uploads.can_download(mine, user("admin"))


def test_record_owner_may_download_without_permission(ctx, monkeypatch):
    """The user named by the model's __scope__['owner'] column may always download."""
    monkeypatch.setattr(uploads, "_OWNERS", dict(uploads._OWNERS))  # forgotten after the test
    uploads.register_owner("user_account", AnjuUser, ("can_show", "NoSuchView"))
    pm = user("pm_a")
    up = uploads.save(("me.pdf", make_pdf()), owner=pm, user=user("admin"))
    assert uploads.can_download(up, pm)
    # The others need the permission (nobody has it), whatever their scope.
    assert not uploads.can_download(up, user("ent_a"))
    assert not uploads.can_download(up, user("district1"))


# --- downloads over HTTP ---------------------------------------------------------------

@pytest.fixture(scope="module")
def org_file(app, org_owner):
    data = make_pdf("企业资质")
    with app.app_context():
        up = uploads.save(("营业执照 副本.pdf", data), label="营业执照", owner=ent_a_org(),
                          user=user("ent_a"))
        db.session.commit()
        return up.token, up.id, data


@pytest.fixture(scope="module")
def own_file(app):
    data = make_png()
    with app.app_context():
        up = uploads.save(("草稿.png", data), user=user("pm_a"))
        db.session.commit()
        return up.token, data


@pytest.mark.parametrize("username", ["ent_a", "admin", "district1"])
def test_download_allowed(app, login, org_file, username):
    token, _id, data = org_file
    resp = login(username).get(f"/uploads/{token}")
    assert resp.status_code == 200
    assert resp.data == data
    assert resp.mimetype == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20%E5%89%AF%E6%9C%AC.pdf" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("username", ["ent_b", "public1"])
def test_download_outside_scope_is_404(app, login, org_file, username):
    token, _id, data = org_file
    resp = login(username).get(f"/uploads/{token}")
    assert resp.status_code == 404
    assert data not in resp.data


def test_anonymous_gets_404(app, client, org_file):
    token, _id, data = org_file
    resp = client.get(f"/uploads/{token}")
    assert resp.status_code == 404
    assert data not in resp.data
    assert client.get(f"/uploads/{'0' * 32}").status_code == 404  # same answer: nothing revealed


def test_guessed_or_malformed_tokens_404(app, login, org_file):
    c = login("admin")
    token = org_file[0]
    wrong = ("0" if token[0] != "0" else "1") + token[1:]
    assert c.get(f"/uploads/{wrong}").status_code == 404
    assert c.get("/uploads/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert c.get(f"/uploads/{token.upper()}").status_code == 404
    assert c.get(f"/uploads/{token}.pdf").status_code == 404
    assert c.get(f"/uploads/{token}%0A").status_code == 404


def test_unattached_upload_only_for_its_creator(app, login, own_file):
    token, data = own_file
    resp = login("pm_a").get(f"/uploads/{token}")
    assert resp.status_code == 200 and resp.data == data and resp.mimetype == "image/png"
    for other in ("ent_a", "admin"):
        assert login(other).get(f"/uploads/{token}").status_code == 404


def test_download_is_audited(app, login, org_file):
    from app.core.audit import AuditAction, AuditLog

    token, upload_id, _data = org_file
    assert AuditAction.DOWNLOAD == "download" and "download" in AuditAction.ALL
    with app.app_context():
        before = db.session.execute(select(db.func.count(AuditLog.id)).where(
            AuditLog.action == "download", AuditLog.entity_id == str(upload_id))).scalar_one()
    assert login("ent_a").get(f"/uploads/{token}").status_code == 200
    assert login("ent_b").get(f"/uploads/{token}").status_code == 404
    with app.app_context():
        rows = db.session.execute(select(AuditLog).where(
            AuditLog.action == "download", AuditLog.entity_id == str(upload_id))
            .order_by(AuditLog.id)).scalars().all()
        assert len(rows) == before + 1
        entry = rows[-1]
        assert entry.username == "ent_a" and entry.entity == "Upload"
        assert "营业执照 副本.pdf" in entry.summary


def test_url_for_upload(app, org_file):
    with app.test_request_context():
        up = db.session.execute(select(Upload).where(Upload.token == org_file[0])).scalar_one()
        assert uploads.url_for_upload(up) == f"/uploads/{up.token}"
        assert app.jinja_env.globals["url_for_upload"] is uploads.url_for_upload


def test_upload_dir_inside_static_folder_refused():
    from flask import Flask

    bad = Flask("bad")
    bad.config["UPLOAD_DIR"] = os.path.join(bad.static_folder, "uploads")
    with pytest.raises(RuntimeError):
        uploads.init_app(bad)


# --- housekeeping ----------------------------------------------------------------------

def test_purge_orphans(app, org_file):
    old = time.time() - 3 * 86400
    with app.app_context():
        admin = user("admin")
        stale = uploads.save(("stale.pdf", make_pdf()), user=admin)
        stale.created_at = datetime.now() - timedelta(days=2)
        fresh = uploads.save(("fresh.pdf", make_pdf()), user=admin)
        db.session.commit()
        stale_path, fresh_path = uploads.path_of(stale), uploads.path_of(fresh)
        stale_id = stale.id
        attached_path = uploads.path_of(org_file[0])
        # A file left by a rolled-back save: old (gone) and recent (kept, may be in flight).
        orphan_old = uploads.path_of("ab" + "1" * 30)
        orphan_new = uploads.path_of("ab" + "2" * 30)
        tmp_old = os.path.join(os.path.dirname(orphan_old), ".tmp-leftover")
        os.makedirs(os.path.dirname(orphan_old), exist_ok=True)
        for p in (orphan_old, orphan_new, tmp_old):
            with open(p, "wb") as fh:
                fh.write(b"x")
        for p in (orphan_old, tmp_old, attached_path, fresh_path):
            os.utime(p, (old, old))
        files, rows = uploads.purge_orphans()
        assert rows >= 1 and files >= 3
        assert db.session.get(Upload, stale_id) is None
        assert not os.path.exists(stale_path)
        assert not os.path.exists(orphan_old) and not os.path.exists(tmp_old)
        assert os.path.exists(orphan_new)
        assert os.path.exists(attached_path) and os.path.exists(fresh_path)  # rows exist
        os.unlink(orphan_new)
