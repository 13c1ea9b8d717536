"""The audit log: every create, update, delete (by SQLAlchemy events) and every login,
failed login, logout, lock, export, import and full-value view (by :func:`record`).

Entries are append-only and hash-chained: each entry's ``hash`` is SHA-256 over the
previous entry's hash and its own canonical content, so a deleted or altered entry is
detectable (:func:`verify_chain`). Writers serialise on the single ``anju_audit_head``
row (a row lock on PostgreSQL, the write lock on SQLite) so the chain never forks under
concurrency; the head also remembers the last id and hash, so a truncated tail is
detected too. Database triggers refuse UPDATE and DELETE on the log (see the migration).

The log reads in words, not Python. Each audited model declares, once, an
:class:`AuditSpec` as its ``__audit__`` attribute: its Chinese name, how one row reads
(its number or name), the labels of its columns and collections, which columns are
personal (masked for viewers without the full-value permission) and, optionally, the
labels of coded values. Entries that are not a model (a statistics export) are described
with :func:`describe`. Summaries are written with these labels; the detail
(:func:`change_rows`) shows a labelled, masked before/after table; :func:`readable` turns
summaries written before (object reprs, raw field names) into words.
"""
import hashlib
import json
import re
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.core import text_index
from app.extensions import db

GENESIS = "0" * 64
REDACTED = "******"
# key_hash and lookup_hash: FAB's API keys (ab_api_key); the plaintext key is never stored at all.
SECRET_COLUMNS = {"password", "hashed_password", "secret", "api_key", "code_hash", "key_hash", "lookup_hash"}
# Bookkeeping columns whose change alone is not worth an entry (a login is logged itself).
NOISE_COLUMNS = {"last_login", "login_count", "fail_login_count", "changed_on", "changed_by_fk"}


class AuditAction:
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    EXPORT = "export"
    IMPORT = "import"
    VIEW_PII = "view_pii"
    PASSWORD = "password_change"
    DOWNLOAD = "download"
    LOOKUP = "helpdesk_lookup"
    RESEND = "helpdesk_resend"
    API_CALL = "api_call"  # a platform's call of a REST service (e.g. listing verification)
    ALL = (
        CREATE, UPDATE, DELETE, LOGIN, LOGIN_FAILED, LOGOUT, LOCKED, UNLOCKED,
        EXPORT, IMPORT, VIEW_PII, PASSWORD, DOWNLOAD, LOOKUP, RESEND, API_CALL,
    )


class AuditLog(db.Model):
    __tablename__ = "anju_audit_log"
    __table_args__ = (
        Index("ix_audit_user_ts", "user_id", "ts"),
        Index("ix_audit_entity", "entity", "entity_id"),
    )
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts = Column(DateTime, nullable=False, index=True)
    user_id = Column(Integer, index=True)
    username = Column(String(128), index=True)
    ip = Column(String(45))
    action = Column(String(32), nullable=False, index=True)
    entity = Column(String(64))
    entity_id = Column(String(64))
    summary = Column(String(500))
    before = Column(Text)
    after = Column(Text)
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False, unique=True)

    def __repr__(self):
        return f"{self.action} {self.entity or ''} {self.entity_id or ''}"

    @property
    def summary_text(self):
        """The summary in words, read with this entry's own entity (two models may label one
        field name differently)."""
        return readable(self.summary, self.entity)


class AuditHead(db.Model):
    """One row: the chain's head. Updating it first serialises all audit writers."""

    __tablename__ = "anju_audit_head"
    id = Column(Integer, primary_key=True)
    last_id = Column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0)
    last_hash = Column(String(64), nullable=False, default=GENESIS)
    writes = Column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0)


# Bookkeeping rows that are not business data: picture codes, SMS codes and counters.
SKIP_MODELS = {"AuditLog", "AuditHead", "Permission", "ViewMenu", "PermissionView", "JobLock",
               "Captcha", "SmsCode", "Sequence", "ApiCallCounter",
               # the dashboards' summary tables: counts recomputed by a job, not business data
               "StatDaily", "StatState"}


# --- how an entity reads: declared by each module, read here ----------------------------

class AuditSpec:
    """How one audited model reads in the log, declared once on the model as ``__audit__``.

    ``name``    its name on screen (lazy_gettext), e.g. 投诉;
    ``row``     how one row reads: a column name (``"number"``) or a callable(row) -> text;
                a personal column named here is always masked in summaries;
    ``labels``  {column or collection: label} for every column and collection relationship
                (the columns of :data:`COMMON_LABELS` may be left out);
    ``masks``   {column: masking kind} for personal columns (app/core/masking.py);
    ``values``  {column: {code: label}} or {column: "module:NAME"} (a dict read when shown)
                for coded values such as a status.
    """

    def __init__(self, name, row, labels=None, masks=None, values=None):
        self.name = name
        self.row = row
        self.labels = dict(labels or {})
        self.masks = dict(masks or {})
        self.values = dict(values or {})

    def label(self, key):
        label = self.labels.get(key) or COMMON_LABELS.get(key)
        return None if label is None else str(label)

    def value_labels(self, key):
        mapping = self.values.get(key)
        if isinstance(mapping, str):
            import importlib

            module, _sep, attr = mapping.partition(":")
            mapping = getattr(importlib.import_module(module), attr, None)
        return {} if mapping is None else mapping


# Columns many models share (the mixins of app/core/mixins.py and FAB's audit columns).
COMMON_LABELS = {
    "id": _l("Record ID"),
    "created_on": _l("Created on"),
    "changed_on": _l("Changed on"),
    "created_by_fk": _l("Created by"),
    "changed_by_fk": _l("Changed by"),
    "org_id": _l("Organization"),
    "region_code": _l("Region"),
    "version": _l("Version"),
}

_DESCRIBED = {}  # entity name -> AuditSpec, for entities that are not models


def describe(entity, name, row=None, labels=None, masks=None, values=None):
    """Describe an entity that is not a model (e.g. 'ComplaintStats' for a statistics export)."""
    _DESCRIBED[entity] = AuditSpec(name, row, labels, masks, values)
    return _DESCRIBED[entity]


def audited_models():
    """Every mapped class whose rows the listeners log, by class name: the registry is a set,
    and a label looked up across models (an entry of unknown entity) must not depend on its order."""
    return sorted((m.class_ for m in db.Model.registry.mappers if m.class_.__name__ not in SKIP_MODELS),
                  key=lambda c: (c.__name__, c.__module__))


_MODEL_BY_NAME = {}


def _model(entity):
    """The mapped class named ``entity``, or None. Looked up by name once (the audit list names
    one per row); every model is mapped when the app is created, before any entry is read."""
    if not entity:
        return None
    if entity not in _MODEL_BY_NAME:
        found = None
        for mapper in db.Model.registry.mappers:
            if mapper.class_.__name__ == entity:
                found = mapper.class_
                break
        _MODEL_BY_NAME[entity] = found
    return _MODEL_BY_NAME[entity]


def spec_for(entity):
    """The AuditSpec of an entity name (a model's class name or a described name), or None."""
    if not entity:
        return None
    if entity in _DESCRIBED:
        return _DESCRIBED[entity]
    model = _model(entity)
    return getattr(model, "__audit__", None) if model is not None else None


def entity_name(entity):
    """The entity's name on screen (投诉 for 'Complaint'); unknown names are left as they are."""
    spec = spec_for(entity)
    return str(spec.name) if spec is not None else (entity or "")


def _all_labels():
    """{key: label} over every declared model, for entries whose entity is unknown."""
    out = {key: str(label) for key, label in COMMON_LABELS.items()}
    for model in audited_models():
        spec = getattr(model, "__audit__", None)
        for key, label in (spec.labels.items() if spec else ()):
            out.setdefault(key, str(label))
    return out


def _all_masks():
    """{key: masking kind} over every declared model (personal keys inside a payload)."""
    out = {}
    for model in audited_models():
        spec = getattr(model, "__audit__", None)
        for key, kind in (spec.masks.items() if spec else ()):
            out.setdefault(key, kind)
    return out


def field_label(entity, key):
    """The label of a column of an entity; never the raw name when any model declares it."""
    spec = spec_for(entity)
    label = spec.label(key) if spec is not None else None
    return label or _all_labels().get(key) or key


def row_label(obj):
    """How a row reads: its declared number or name (personal values masked), else #id."""
    spec = getattr(type(obj), "__audit__", None)
    text = None
    if spec is not None and spec.row is not None:
        try:
            if callable(spec.row):
                text = spec.row(obj)
            else:
                text = getattr(obj, spec.row, None)
                if spec.row in spec.masks and text:
                    from app.core import masking

                    text = masking.mask(spec.masks[spec.row], text)
        except Exception:  # a label must never break the write it describes
            text = None
    if text is None or str(text).strip() == "":
        pk = _pk(obj)
        return f"#{pk}" if pk is not None else entity_name(type(obj).__name__)
    return str(text)


def _update_summary(obj, keys):
    entity = type(obj).__name__
    labels = [field_label(entity, k) for k in keys if k not in NOISE_COLUMNS] or \
             [field_label(entity, k) for k in keys]
    return f"{row_label(obj)}：{'、'.join(dict.fromkeys(labels))}"


# --- reading entries back ----------------------------------------------------------------

_REPR = re.compile(r"<(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*) object at 0x[0-9a-fA-F]+>")
_KEY_LIST = re.compile(r"^[a-z][a-z0-9_]*(, ?[a-z][a-z0-9_]*)*$")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?$")


def readable(text, entity=None):
    """A summary in words: object reprs become the model's name, a bare list of field names
    (entries written before the labels) becomes their labels."""
    if not text:
        return text or ""
    text = _REPR.sub(lambda m: entity_name(m.group(1)), str(text))
    if _KEY_LIST.match(text.strip()):
        text = "、".join(field_label(entity, k.strip()) for k in text.split(","))
    return text


def _loads(raw):
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _display(spec, key, value, full):
    if value is None or value == "" or value == []:
        return ""
    if spec is not None and key in spec.masks and not full:
        from app.core import masking

        kind = spec.masks[key]
        if isinstance(value, list):
            return "、".join(masking.mask(kind, v) for v in value)
        return masking.mask(kind, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(_display(None, key, v, full) for v in value)
    if isinstance(value, dict):  # e.g. an application's content: keys read as labels
        labels, masks = _all_labels(), _all_masks()
        return "；".join(
            f"{labels.get(k, k)}：{_display(AuditSpec(None, None, masks=masks), k, v, full)}"
            for k, v in value.items())
    if spec is not None and key in spec.values:
        label = spec.value_labels(key).get(value)
        if label is not None:
            return str(label)
    text = str(value)
    match = _ISO.match(text)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    return readable(text)


def change_rows(entity, before, after, full):
    """The detail of an entry as [(label, before, after)], personal values masked unless
    ``full``. ``before``/``after`` are the stored JSON texts (any format written so far)."""
    spec = spec_for(entity)
    before, after = _loads(before), _loads(after)
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        return [(_("Value"), _display(None, None, before, full), _display(None, None, after, full))]
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    model = _model(entity)
    if model is not None:
        mapper = model.__mapper__
        order = {key: i for i, key in enumerate([a.key for a in mapper.column_attrs] +
                                                [r.key for r in mapper.relationships])}
        keys.sort(key=lambda k: order.get(k, len(order)))
    rows = []
    for key in keys:
        rows.append((field_label(entity, key), _display(spec, key, before.get(key), full),
                     _display(spec, key, after.get(key), full)))
    return rows


def masked_json(entity, raw):
    """A stored before/after text with the entity's personal values masked (for REST)."""
    spec = spec_for(entity)
    values = _loads(raw)
    if spec is None or not isinstance(values, dict):
        return raw
    from app.core import masking

    return dumps({k: (masking.mask(spec.masks[k], v) if k in spec.masks and v not in (None, "") else v)
                  for k, v in values.items()})


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def dumps(value):
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def entry_hash(prev_hash, row):
    """SHA-256 over the previous hash and the entry's canonical content."""
    content = [
        row["ts"].isoformat(timespec="microseconds"),
        row.get("user_id"),
        row.get("username"),
        row.get("ip"),
        row["action"],
        row.get("entity"),
        row.get("entity_id"),
        row.get("summary"),
        row.get("before"),
        row.get("after"),
    ]
    payload = prev_hash + json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _actor():
    """(user_id, username, ip) of whoever acts now."""
    user_id = username = ip = None
    user = getattr(g, "audit_user", None) if g else None
    if user is None and has_request_context():
        try:
            from app.core.scope import current_user_obj

            user = current_user_obj()
        except Exception:
            user = None
    if user is not None:
        try:
            user_id, username = user.id, user.username
        except Exception:
            pass
    if has_request_context():
        ip = request.remote_addr
    if username is None and g and getattr(g, "audit_actor", None):
        username = g.audit_actor  # e.g. 'cli', 'scheduler'
    return user_id, username, ip


_statements = {}
#: Every this many writes, the writer brings the summaries' search index up to date.
INDEX_EVERY = 256


def _chain_statements():
    """The chain's three statements, built once: a built statement keeps its cache key, so
    running it again skips rebuilding and re-keying it (the log is written on every page that
    shows personal data in full)."""
    if not _statements:
        head_t = AuditHead.__table__
        log_t = AuditLog.__table__
        one = head_t.c.id == 1
        _statements["bump"] = update(head_t).where(one).values(writes=head_t.c.writes + 1)
        _statements["bump_returning"] = _statements["bump"].returning(head_t.c.last_hash, head_t.c.writes)
        _statements["read_head"] = select(head_t.c.last_hash).where(one)
        _statements["start"] = insert(head_t).values(id=1, last_id=0, last_hash=GENESIS, writes=1)
        _statements["insert"] = insert(log_t)
        _statements["move_head"] = update(head_t).where(one)
    return _statements


def write_entries(connection, rows):
    """Append rows to the chain inside the caller's transaction."""
    if not rows:
        return
    st = _chain_statements()
    # Lock the head first: row lock on PostgreSQL, write lock on SQLite; the same statement
    # reads the chain's last hash where the database can return it.
    writes = 1
    if connection.dialect.update_returning:
        head = connection.execute(st["bump_returning"]).first()
        if head is None:
            connection.execute(st["start"])
            prev = GENESIS
        else:
            prev, writes = head
    else:  # pragma: no cover - every database we run on returns
        if connection.execute(st["bump"]).rowcount == 0:
            connection.execute(st["start"])
        prev = connection.execute(st["read_head"]).scalar_one()
    last_id = None
    for row in rows:
        row.setdefault("ts", datetime.now())
        row["prev_hash"] = prev
        row["hash"] = entry_hash(prev, row)
        last_id = connection.execute(st["insert"], row).inserted_primary_key[0]
        prev = row["hash"]
    connection.execute(st["move_head"], {"last_id": last_id, "last_hash": prev})
    if writes % INDEX_EVERY == 0:
        # The summaries' search index trails the log (app/core/text_index.py): every
        # INDEX_EVERY-th write adds the entries after its mark, under the head's lock.
        text_index.catch_up(connection, AuditLog.__tablename__, "summary")


def record(action, entity=None, entity_id=None, summary=None, before=None, after=None,
           user=None, session=None, commit=False):
    """Log an event that is not a row change (login, export, import, full-value view)."""
    session = session or db.session
    user_id, username, ip = _actor()
    if user is not None:
        user_id, username = user.id, user.username
    row = {
        "user_id": user_id,
        "username": username,
        "ip": ip,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "summary": (summary or "")[:500] or None,
        "before": dumps(before),
        "after": dumps(after),
    }
    write_entries(session.connection(), [row])
    if commit:
        session.commit()


# --- ORM listeners -------------------------------------------------------------------

def _snapshot(obj, only=None):
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if only is not None and key not in only:
            continue
        value = getattr(obj, key, None)
        out[key] = REDACTED if key in SECRET_COLUMNS and value else value
    return out


def _changes(obj, session=None):
    state = inspect(obj)
    before, after = {}, {}
    unknown = []
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        new = hist.added[0] if hist.added else None
        if hist.deleted:
            old = hist.deleted[0]
        else:
            old = None
            unknown.append(attr)  # the old value was expired: read it before the flush
        before[attr.key], after[attr.key] = old, new
    if unknown and session is not None and state.key is not None:
        mapper = state.mapper
        pk_cols = mapper.primary_key
        cols = [a.columns[0] for a in unknown]
        row = session.connection().execute(
            select(*cols).where(*[c == v for c, v in zip(pk_cols, state.key[1])])
        ).first()
        if row is not None:
            for attr, value in zip(unknown, row):
                before[attr.key] = value
    for key in list(after):
        if before.get(key) == after[key]:
            before.pop(key, None)
            after.pop(key)
        elif key in SECRET_COLUMNS:
            before[key] = REDACTED if before.get(key) else None
            after[key] = REDACTED if after[key] else None
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.viewonly or rel.lazy in ("dynamic", "write_only"):
            # Reading a dynamic collection runs a query, i.e. a flush inside this flush.
            continue
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            current = getattr(obj, rel.key) or []
            unchanged = list(hist.unchanged or [])
            before[rel.key] = [row_label(x) for x in unchanged + list(hist.deleted)]
            after[rel.key] = [row_label(x) for x in current]
    return before, after


def _pk(obj):
    state = inspect(obj)
    ident = state.mapper.primary_key_from_instance(obj)
    if not ident or all(i is None for i in ident):
        return None
    return ident[0] if len(ident) == 1 else "/".join(str(i) for i in ident)


def _audited(obj):
    return type(obj).__name__ not in SKIP_MODELS and not getattr(g, "audit_disabled", False)


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.dirty:
        if not _audited(obj) or not session.is_modified(obj, include_collections=True):
            continue
        before, after = _changes(obj, session)
        if not after or set(after) <= NOISE_COLUMNS:
            continue
        pending.append((AuditAction.UPDATE, obj, before, after))
    for obj in session.deleted:
        if _audited(obj):
            pending.append((AuditAction.DELETE, obj, _snapshot(obj), None))
    for obj in session.new:
        if _audited(obj):
            pending.append((AuditAction.CREATE, obj, None, None))


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    user_id, username, ip = _actor()
    rows = []
    for action, obj, before, after in pending:
        if action == AuditAction.CREATE:
            after = _snapshot(obj)
        rows.append({
            "user_id": user_id,
            "username": username,
            "ip": ip,
            "action": action,
            "entity": type(obj).__name__,
            "entity_id": None if _pk(obj) is None else str(_pk(obj)),
            "summary": (row_label(obj) if action != AuditAction.UPDATE
                        else _update_summary(obj, list(after)))[:500],
            "before": dumps(before),
            "after": dumps(after),
        })
    write_entries(session.connection(), rows)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("audit_pending", None)


def verify_chain(session=None, batch=10_000):
    """Walk the chain in id order. Returns (ok, checked, first_bad_id, reason)."""
    session = session or db.session
    t = AuditLog.__table__
    prev = GENESIS
    checked = 0
    last_id = 0
    cols = [t.c.id, t.c.ts, t.c.user_id, t.c.username, t.c.ip, t.c.action, t.c.entity,
            t.c.entity_id, t.c.summary, t.c.before, t.c.after, t.c.prev_hash, t.c.hash]
    while True:
        rows = session.execute(
            select(*cols).where(t.c.id > last_id).order_by(t.c.id).limit(batch)
        ).mappings().all()
        if not rows:
            break
        for row in rows:
            if row["prev_hash"] != prev:
                return False, checked, row["id"], "an entry before this one was removed or altered"
            if entry_hash(prev, dict(row)) != row["hash"]:
                return False, checked, row["id"], "this entry was altered"
            prev = row["hash"]
            last_id = row["id"]
            checked += 1
    head = session.execute(select(AuditHead.__table__)).mappings().first()
    if head is not None and head["last_hash"] != prev:
        return False, checked, head["last_id"], "entries at the end of the log were removed"
    return True, checked, None, None


AuditLog.__audit__ = AuditSpec(
    _l("Audit log"), row="id",
    labels={"ts": _l("Time"), "user_id": _l("User ID"), "username": _l("User"), "ip": _l("IP address"),
            "action": _l("Operation"), "entity": _l("Object"), "entity_id": _l("Object ID"),
            "summary": _l("Summary"), "before": _l("Before"), "after": _l("After"),
            "prev_hash": _l("Previous hash"), "hash": _l("Hash")},
)
