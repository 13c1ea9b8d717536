"""Checked, scoped file storage (SPEC: uploads).

Every file a user gives the console -- a business licence scan, a staff certificate, a
complaint's photos, a filing's contract -- goes through this one engine. It refuses what
is not a real PDF, JPG, PNG, DOCX or XLSX, stores what passes outside the web root under
a random name, and serves it only to users who may see the record it belongs to.

Using it from a module
----------------------

1. Declare, once, which records own files (in the module's ``register(appbuilder)`` or at
   import time of its services)::

       from app.core import uploads

       uploads.register_owner("staff", Staff, permission=("can_show", "StaffView"))

   ``permission`` is the FAB ``(permission_name, view_name)`` pair a user needs to
   download a record's files; the record must also lie in the user's data scope
   (:func:`app.core.scope.can_see`). The user named by the model's ``__scope__["owner"]``
   column may always download the files of their own record. Registering the same thing
   twice is harmless; a conflicting registration raises ValueError.

2. Save inside the service that saves the record, and commit with it::

       def add_certificate(staff, file, user):
           upload = uploads.save(file, label="证书扫描件", owner=staff, user=user)
           ...
           db.session.commit()

   ``file`` is a werkzeug ``FileStorage`` (``request.files["file"]`` or a WTForms
   ``FileField``'s data) or a ``(filename, bytes)`` pair (imports, tests, jobs). The
   row is added to ``db.session`` and flushed, never committed: the caller commits it
   with its own work. A refused file raises :class:`app.core.errors.DomainError` with a
   message naming the file (views flash it, APIs answer 422 with it). For a multi-file
   field use ``uploads.save_many(request.files.getlist("photos"), label=..., owner=...)``:
   every file is checked before any is written, so one bad file stores none; at most
   ``max_files`` (10) files, and empty parts (nothing chosen) are skipped.

   A file may also be saved first and attached later (an upload widget posting before
   the form): ``uploads.save(file)`` then ``uploads.attach(upload_or_list, record)``.
   An attached upload is never moved to another record (ValueError). When taking tokens
   back from a form, check ``upload.owner_type is None and upload.created_by_fk ==
   user.id`` before attaching.

3. List and link::

       for f in uploads.files_of(staff, label="证书扫描件"):
           ...  # f.original_name, f.size, f.kind, f.created_at

   In templates: ``<a href="{{ url_for_upload(f) }}">{{ f.original_name }}</a>``
   (``url_for_upload`` is a Jinja global). The link is ``GET /uploads/<token>``.

4. Replace or delete: ``uploads.remove(upload)`` deletes the row with the caller's
   transaction; the file goes at the next :func:`purge_orphans`.

What is checked (each refusal is a DomainError)
-----------------------------------------------

* not empty, and not larger than the runtime parameter ``upload.max_mb`` (系统参数,
  default 10 MB; the request itself is capped by ``MAX_CONTENT_LENGTH``);
* extension in the whitelist pdf, jpg/jpeg, png, docx, xlsx (.exe, .svg, .html, .doc,
  .xls ... are refused);
* the content matches the extension: a PDF starts with ``%PDF-``; a PNG has the PNG
  signature and passes Pillow's ``verify()`` (every chunk's CRC); a JPEG starts with
  ``FF D8 FF``, passes ``verify()`` and decodes (at 1/8 scale) to its end; images above
  Pillow's ``Image.MAX_IMAGE_PIXELS`` (decompression bombs) are refused; a DOCX / XLSX
  is a readable, unencrypted zip holding ``[Content_Types].xml`` and
  ``word/document.xml`` / ``xl/workbook.xml`` (those two parts are read, so their CRC is
  checked; nothing is extracted), without macros. A renamed .exe, .html or .zip, an
  XLSX named .docx, a JPEG named .png and a truncated image are all refused;
* the original file name is kept only as display text: directory parts, control and
  direction-override characters removed, at most 255 characters.

:func:`check` runs the same checks without storing anything.

Storage
-------

``UPLOAD_DIR`` (config; outside the static folder -- :func:`init_app` refuses otherwise)
``/<token[:2]>/<token>``, where ``token`` is ``secrets.token_hex(16)``; no extension, so
nothing on disk is ever executable or served by the web server. Files are written to a
temporary file in the same folder and moved into place with ``os.replace``. The row
records the size, the SHA-256, the kind and MIME type, the label, the creator
(``created_by_fk``: the ``user`` argument, else the current user) and the owner
(``owner_type``, ``owner_id``).

If the caller rolls back, the file already written is an orphan without a row: harmless
(nobody can reach it) and removed by :func:`purge_orphans`, which also deletes uploads
never attached to a record after a day. Run it daily (a job calling
``uploads.purge_orphans()``).

Downloading
-----------

``GET /uploads/<token>`` (endpoint ``uploads.download``, registered by :func:`init_app`): 404 -- never 403,
so nobody learns that a token exists -- unless :func:`can_download` allows the current
user: an unattached upload only to its creator; an attached one to the record's owner,
or to a user with the registered permission who sees the record in their data scope;
anonymous users never. The file is sent as an attachment with its MIME type, a UTF-8
file name (RFC 5987), ``X-Content-Type-Options: nosniff``, ``Cache-Control: private,
no-store`` and a sandboxing CSP, and every download is written to the audit log
(action ``download``, entity ``Upload``, the file name in the summary).

Public API
----------

``save(file, label=None, owner=None, user=None) -> Upload``,
``save_many(files, label=None, owner=None, max_files=10, user=None) -> list[Upload]``,
``check(file)``, ``register_owner(owner_type, model, permission=None)``,
``attach(upload_or_list, owner_obj)``, ``files_of(owner_obj, label=None)``,
``owner_of(upload)``, ``remove(upload)``, ``can_download(upload, user)``,
``url_for_upload(upload)``, ``path_of(upload_or_token)``, ``purge_orphans(older_than=1 day)``,
``init_app(app)``.

Messages are English msgids translated by the zh catalog.
"""
import hashlib
import logging
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, has_request_context, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, inspect, select

from app.core.audit import AuditSpec
from app.core.errors import DomainError
from app.core.mixins import now
from app.extensions import db


class Upload(db.Model):
    """A stored file: random name on disk, checked type, and the record that owns it."""

    __tablename__ = "anju_upload"
    __audit__ = AuditSpec(_l("Uploaded file"), row="original_name",
                          labels={"token": _l("File token"), "original_name": _l("File name"), "kind": _l("File type"),
                                  "mime": _l("Content type"), "size": _l("Size (bytes)"), "sha256": _l("Checksum"),
                                  "label": _l("Document"), "owner_type": _l("Belongs to"),
                                  "owner_id": _l("Owner record"), "created_at": _l("Uploaded at")})
    __table_args__ = (Index("ix_anju_upload_owner", "owner_type", "owner_id"),)
    id = Column(Integer, primary_key=True)
    token = Column(String(32), nullable=False, unique=True)
    original_name = Column(String(255), nullable=False)
    kind = Column(String(8), nullable=False)
    mime = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    label = Column(String(64))             # what the file is (营业执照, 证书扫描件 ...)
    owner_type = Column(String(32))
    owner_id = Column(Integer)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"), index=True)
    created_at = Column(DateTime, default=now, nullable=False)


# --- the engine ----------------------------------------------------------------------

KINDS = {
    # extension -> (kind stored in the row, MIME type served)
    "pdf": ("pdf", "application/pdf"),
    "jpg": ("jpg", "image/jpeg"),
    "jpeg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
ALLOWED_EXTENSIONS = tuple(KINDS)
ALLOWED_TEXT = "PDF, JPG, PNG, DOCX, XLSX"
MAX_NAME_LENGTH = 255
DEFAULT_MAX_FILES = 10
ORPHAN_GRACE = timedelta(days=1)

TOKEN_RE = re.compile(r"[0-9a-f]{32}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PDF_SIGNATURE = b"%PDF-"
ZIP_SIGNATURE = b"PK\x03\x04"
OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# Limits on what the checks themselves read from an OOXML package (zip bombs).
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_PART_BYTES = 256 * 1024 * 1024
ZIP_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
_TMP_PREFIX = ".tmp-"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnerType:
    """A kind of record files may belong to (see :func:`register_owner`)."""

    name: str
    model: type
    permission: tuple | None = None


_OWNERS: dict[str, OwnerType] = {}


# --- names and storage ------------------------------------------------------------------

def clean_name(filename):
    """The display name kept for a file: no directory parts, no control or
    direction-override characters, NFC, at most 255 characters (extension kept)."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    name = name.strip().strip(".").strip()
    if not name:
        return ""
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            name = stem[:MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _extension(name):
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def upload_dir():
    """The storage root (``UPLOAD_DIR``), outside the web root."""
    return os.path.abspath(current_app.config["UPLOAD_DIR"])


def path_of(upload_or_token):
    """Where a stored file lives on disk: ``UPLOAD_DIR/<token[:2]>/<token>``."""
    token = getattr(upload_or_token, "token", upload_or_token)
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise ValueError("not an upload token")
    return os.path.join(upload_dir(), token[:2], token)


def _new_token():
    while True:
        token = secrets.token_hex(16)
        if not os.path.exists(path_of(token)) and db.session.execute(
                select(Upload.id).where(Upload.token == token)).first() is None:
            return token


# --- reading and checking -------------------------------------------------------------

@dataclass
class _Checked:
    name: str
    kind: str
    mime: str
    size: int
    sha256: str
    data: object  # a SpooledTemporaryFile positioned anywhere

    def close(self):
        try:
            self.data.close()
        except Exception:  # pragma: no cover
            pass


def _max_bytes():
    from app.system.params import get_param

    return int(get_param("upload.max_mb")) * 1024 * 1024


def _source(file):
    """(filename, readable stream or bytes) from a FileStorage or a (filename, data) pair."""
    if isinstance(file, tuple) and len(file) == 2:
        return file[0], file[1]
    if hasattr(file, "stream") and hasattr(file, "filename"):
        return file.filename, file.stream
    raise TypeError("save() takes a werkzeug FileStorage or a (filename, bytes) pair")


def _spool(data, limit):
    """Copy at most ``limit + 1`` bytes into a spooled temporary file; (spool, size, sha256)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_CHUNK)
    digest = hashlib.sha256()
    size = 0
    if isinstance(data, (bytes, bytearray, memoryview)):
        chunk = bytes(data[:limit + 1])
        spool.write(chunk)
        digest.update(chunk)
        size = len(chunk)
    else:
        if hasattr(data, "seek"):
            try:
                data.seek(0)
            except Exception:
                pass
        while size <= limit:
            chunk = data.read(min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            spool.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    spool.seek(0)
    return spool, size, digest.hexdigest()


def _check_pdf(fp, name):
    if fp.read(len(PDF_SIGNATURE)) != PDF_SIGNATURE:
        raise _mismatch(name, "pdf")


def _check_image(fp, name, kind):
    from PIL import Image

    signature = PNG_SIGNATURE if kind == "png" else JPEG_SIGNATURE
    if fp.read(len(signature)) != signature:
        raise _mismatch(name, kind)
    fmt = "PNG" if kind == "png" else "JPEG"
    try:
        fp.seek(0)
        # Image.open refuses more than twice MAX_IMAGE_PIXELS itself (and only warns
        # above it); anything above MAX_IMAGE_PIXELS is a refusal here.
        with Image.open(fp, formats=[fmt]) as img:
            _check_pixels(img, name)
            img.verify()  # PNG: every chunk's CRC up to IEND
        if kind == "jpg":
            # verify() does not read JPEG data: decode it, scaled down 8x by the DCT
            # (fast, little memory), so a truncated or damaged file is caught.
            fp.seek(0)
            with Image.open(fp, formats=[fmt]) as img:
                img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(name)
    except DomainError:
        raise
    except Exception:
        raise DomainError(_("The file %(name)s is damaged and cannot be read.", name=name))


def _check_pixels(img, name):
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    if img.width <= 0 or img.height <= 0 or limit and img.width * img.height > limit:
        raise _too_many_pixels(name)


def _too_many_pixels(name):
    return DomainError(_("The image %(name)s has too many pixels.", name=name))


def _check_ooxml(fp, name, kind):
    if fp.read(len(ZIP_SIGNATURE)) != ZIP_SIGNATURE:
        raise _mismatch(name, kind)
    fp.seek(0)
    damaged = DomainError(_("The file %(name)s is damaged or encrypted.", name=name))
    try:
        zf = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise damaged
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise damaged
        members = {}
        for info in infos:
            if info.flag_bits & 0x1:  # encrypted member
                raise damaged
            members[info.filename] = info
        main = OOXML_MAIN_PART[kind]
        if "[Content_Types].xml" not in members or main not in members:
            raise _mismatch(name, kind)
        if any(n.lower().endswith("vbaproject.bin") for n in members):
            raise DomainError(_("The file %(name)s contains macros, which are not allowed.", name=name))
        try:
            types = _read_member(zf, members["[Content_Types].xml"], ZIP_MAX_CONTENT_TYPES_BYTES)
            _read_member(zf, members[main], ZIP_MAX_PART_BYTES, keep=False)
        except DomainError:
            raise
        except Exception:  # bad CRC, unsupported compression, truncated data
            raise damaged
        if types is None:
            raise damaged
        if b"macroenabled" in types.lower():
            raise DomainError(_("The file %(name)s contains macros, which are not allowed.", name=name))


def _read_member(zf, info, limit, keep=True):
    """Read one member completely (the CRC is checked at its end); None when too big."""
    if info.file_size > limit:
        return None
    out = [] if keep else None
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if keep:
                out.append(chunk)
    return b"".join(out) if keep else b""


def _mismatch(name, kind):
    return DomainError(_("The content of %(name)s is not a real %(type)s file.",
                         name=name, type=kind.upper()))


def _check(file):
    """Run every check on one file; return a :class:`_Checked` or raise DomainError."""
    filename, data = _source(file)
    name = clean_name(filename)
    shown = name or _("(no name)")
    limit = _max_bytes()
    spool, size, sha = _spool(data, limit)
    try:
        if size == 0:
            raise DomainError(_("The file %(name)s is empty.", name=shown))
        if size > limit:
            raise DomainError(_("The file %(name)s is larger than %(max)s MB.",
                                name=shown, max=limit // (1024 * 1024)))
        ext = _extension(name)
        if ext not in KINDS:
            raise DomainError(_("The file %(name)s is not of an allowed type (allowed: %(types)s).",
                                name=shown, types=ALLOWED_TEXT))
        kind, mime = KINDS[ext]
        spool.seek(0)
        if kind == "pdf":
            _check_pdf(spool, name)
        elif kind in ("png", "jpg"):
            _check_image(spool, name, kind)
        else:
            _check_ooxml(spool, name, kind)
        spool.seek(0)
        return _Checked(name, kind, mime, size, sha, spool)
    except BaseException:
        spool.close()
        raise


def check(file):
    """Run the checks of :func:`save` without storing anything (raises DomainError)."""
    _check(file).close()


def _write(checked, token):
    """Write atomically: a temporary file in the target folder, then os.replace."""
    target = path_of(token)
    folder = os.path.dirname(target)
    os.makedirs(folder, mode=0o750, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            checked.data.seek(0)
            shutil.copyfileobj(checked.data, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _store(checked, label, user):
    token = _new_token()
    _write(checked, token)
    upload = Upload(token=token, original_name=checked.name, kind=checked.kind, mime=checked.mime,
                    size=checked.size, sha256=checked.sha256,
                    label=None if label is None else str(label)[:64],
                    created_by_fk=getattr(user, "id", None))
    db.session.add(upload)
    return upload


def _acting(user):
    if user is not None:
        return user
    from app.core.scope import current_user_obj

    return current_user_obj()


def save(file, label=None, owner=None, user=None):
    """Check and store one file; return its :class:`Upload` (added and flushed, not committed).

    ``file``: a werkzeug FileStorage or a ``(filename, bytes)`` pair. ``owner``: a record of
    a registered owner type to attach the file to at once. ``user``: the acting user
    (default: the current user). Raises DomainError (a message naming the file) when the
    file is refused."""
    checked = _check(file)
    try:
        upload = _store(checked, label, _acting(user))
    finally:
        checked.close()
    if owner is not None:
        attach(upload, owner)
    db.session.flush()
    return upload


def save_many(files, label=None, owner=None, max_files=DEFAULT_MAX_FILES, user=None):
    """Check every file, then store them all (all or nothing); return the uploads in order.

    Empty parts of a multi-file field (a FileStorage with no filename: nothing chosen)
    are skipped. More than ``max_files`` files is refused."""
    files = [f for f in (files or []) if not _nothing_chosen(f)]
    if len(files) > max_files:
        raise DomainError(_("At most %(max)s files may be uploaded at once.", max=max_files))
    checked = []
    try:
        for f in files:
            checked.append(_check(f))
        acting = _acting(user)
        uploads = [_store(c, label, acting) for c in checked]
    finally:
        for c in checked:
            c.close()
    if owner is not None and uploads:
        attach(uploads, owner)
    db.session.flush()
    return uploads


def _nothing_chosen(f):
    return (not isinstance(f, tuple)) and hasattr(f, "filename") and not f.filename


# --- owners -----------------------------------------------------------------------------

def register_owner(owner_type, model, permission=None):
    """Declare that records of ``model`` may own files, under the name ``owner_type``.

    ``permission``: an optional ``(permission_name, view_name)`` pair a user needs (with
    the record in their data scope) to download the record's files. Idempotent; a
    different registration under the same name (or of the same model) raises ValueError."""
    if not owner_type or len(owner_type) > 32:
        raise ValueError("owner_type must be 1 to 32 characters")
    if permission is not None:
        permission = tuple(permission)
        if len(permission) != 2:
            raise ValueError("permission is a (permission_name, view_name) pair")
    new = OwnerType(owner_type, model, permission)
    existing = _OWNERS.get(owner_type)
    if existing is not None:
        if existing != new:
            raise ValueError(f"owner type {owner_type!r} is already registered differently")
        return existing
    for other in _OWNERS.values():
        if other.model is model:
            raise ValueError(f"{model.__name__} is already registered as {other.name!r}")
    _OWNERS[owner_type] = new
    return new


def owner_types():
    """The registered owner types, by name."""
    return dict(_OWNERS)


def _owner_type_of(obj):
    for cls in type(obj).__mro__:
        for ot in _OWNERS.values():
            if ot.model is cls:
                return ot
    raise ValueError(f"{type(obj).__name__} is not a registered upload owner (see register_owner)")


def _pk_of(obj):
    pk = inspect(type(obj)).primary_key[0]
    value = getattr(obj, pk.key)
    if value is None:
        db.session.add(obj)
        db.session.flush()
        value = getattr(obj, pk.key)
    return value


def attach(upload_or_list, owner_obj):
    """Make a record the owner of one upload or a list of uploads (flushed, not committed).

    An upload already attached to another record is not moved: ValueError."""
    uploads = upload_or_list if isinstance(upload_or_list, (list, tuple)) else [upload_or_list]
    ot = _owner_type_of(owner_obj)
    owner_id = _pk_of(owner_obj)
    for upload in uploads:
        if upload.owner_type is not None and (upload.owner_type, upload.owner_id) != (ot.name, owner_id):
            raise ValueError(f"upload {upload.id} already belongs to {upload.owner_type} {upload.owner_id}")
        upload.owner_type, upload.owner_id = ot.name, owner_id
    db.session.flush()
    return upload_or_list


def files_of(owner_obj, label=None):
    """The uploads of a record (optionally only those with ``label``), oldest first."""
    ot = _owner_type_of(owner_obj)
    pk = inspect(type(owner_obj)).primary_key[0]
    owner_id = getattr(owner_obj, pk.key)
    if owner_id is None:
        return []
    stmt = select(Upload).where(Upload.owner_type == ot.name, Upload.owner_id == owner_id)
    if label is not None:
        stmt = stmt.where(Upload.label == str(label))
    return list(db.session.execute(stmt.order_by(Upload.id)).scalars())


def owner_of(upload):
    """The record an upload belongs to, or None (unattached, unknown type, or deleted)."""
    if upload.owner_type is None or upload.owner_id is None:
        return None
    ot = _OWNERS.get(upload.owner_type)
    if ot is None:
        return None
    return db.session.get(ot.model, upload.owner_id)


def remove(upload):
    """Delete an upload's row (with the caller's transaction); :func:`purge_orphans`
    removes the file later, once no row refers to it."""
    db.session.delete(upload)
    db.session.flush()


# --- who may download -------------------------------------------------------------------

def _has_permission(user, permission):
    sm = current_app.appbuilder.sm
    name, view = permission
    from app.core.scope import current_user_obj

    current = current_user_obj() if has_request_context() else None
    if current is not None and current.id == user.id:
        return bool(sm.has_access(name, view))
    return bool(sm._has_view_access(user, name, view))


def can_download(upload, user):
    """True if ``user`` may download ``upload``.

    Unattached: only its creator. Attached: the record's owner (the column named by the
    model's ``__scope__["owner"]``), or a user who has the owner type's permission (when
    one is registered) and sees the record in their data scope. Anonymous: never."""
    from app.core.scope import can_see

    if upload is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_active", True) is False:
        return False
    if upload.owner_type is None:
        return upload.created_by_fk is not None and upload.created_by_fk == user.id
    ot = _OWNERS.get(upload.owner_type)
    if ot is None:
        return False
    owner = owner_of(upload)
    if owner is None:
        return False
    owner_col = (getattr(ot.model, "__scope__", None) or {}).get("owner")
    if owner_col and getattr(owner, owner_col, None) == user.id:
        return True
    if ot.permission is not None and not _has_permission(user, ot.permission):
        return False
    return can_see(owner, user)


# --- serving ----------------------------------------------------------------------------

bp = Blueprint("uploads", __name__)


@bp.route("/uploads/<token>", methods=["GET"])
def download(token):
    """Send a stored file to a user who may see its record; 404 for everyone else."""
    from app.core import audit
    from app.core.audit import AuditAction
    from app.core.scope import current_user_obj

    if not TOKEN_RE.fullmatch(token or ""):
        abort(404)
    user = current_user_obj()
    if user is None:
        abort(404)  # never reveal whether a token exists
    upload = db.session.execute(select(Upload).where(Upload.token == token)).scalar_one_or_none()
    if upload is None or not can_download(upload, user):
        abort(404)
    path = path_of(upload)
    if not os.path.isfile(path):
        log.warning("upload %s (%s) has no file on disk", upload.id, upload.token)
        abort(404)
    response = send_file(path, mimetype=upload.mime, as_attachment=True,
                         download_name=upload.original_name, conditional=False,
                         etag=False, last_modified=None, max_age=None)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    owner = f" [{upload.owner_type} {upload.owner_id}]" if upload.owner_type else ""
    audit.record(AuditAction.DOWNLOAD, "Upload", upload.id,
                 summary=f"{upload.original_name}{owner}", user=user, commit=True)
    return response


def url_for_upload(upload):
    """The download URL of an upload (also a Jinja global of the same name)."""
    return url_for("uploads.download", token=upload.token)


def init_app(app):
    """Register the download endpoint and the template helper; refuse an UPLOAD_DIR
    inside the static folder (files must never be served without the checks)."""
    upload_root = os.path.realpath(app.config["UPLOAD_DIR"])
    for static in filter(None, [app.static_folder]):
        static = os.path.realpath(static)
        if os.path.commonpath([upload_root, static]) == static:
            raise RuntimeError("UPLOAD_DIR must lie outside the static folder")
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    app.jinja_env.globals["url_for_upload"] = url_for_upload


# --- housekeeping -----------------------------------------------------------------------

def purge_orphans(older_than=ORPHAN_GRACE, session=None):
    """Remove what failed or abandoned uploads leave behind; returns (files, rows) removed.

    * rows never attached to a record (``owner_type`` is None) older than ``older_than``,
      with their files (the rows are deleted and committed first);
    * files on disk with no row (a rolled-back save, a removed upload) and leftover
      temporary files, when last modified more than ``older_than`` ago (a file younger
      than that may belong to a transaction still running).
    """
    session = session or db.session
    cutoff = now() - older_than
    stale = list(session.execute(
        select(Upload).where(Upload.owner_type.is_(None), Upload.created_at < cutoff)
    ).scalars())
    tokens = [u.token for u in stale]
    for upload in stale:
        session.delete(upload)
    session.commit()
    files = 0
    for token in tokens:
        try:
            os.unlink(path_of(token))
            files += 1
        except OSError:
            pass
    files += _purge_files(session, cutoff.timestamp())
    return files, len(stale)


def _purge_files(session, cutoff_ts):
    root = upload_dir()
    if not os.path.isdir(root):
        return 0
    removed = 0
    for sub in sorted(os.listdir(root)):
        folder = os.path.join(root, sub)
        if not (len(sub) == 2 and os.path.isdir(folder)):
            continue
        candidates = {}
        for entry in os.scandir(folder):
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff_ts:
                    continue
            except OSError:
                continue
            if entry.name.startswith(_TMP_PREFIX):
                removed += _unlink(entry.path)
            elif TOKEN_RE.fullmatch(entry.name):
                candidates[entry.name] = entry.path
        names = list(candidates)
        for i in range(0, len(names), 500):
            batch = names[i:i + 500]
            known = set(session.execute(select(Upload.token).where(Upload.token.in_(batch))).scalars())
            for token in batch:
                if token not in known:
                    removed += _unlink(candidates[token])
    return removed


def _unlink(path):
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0
