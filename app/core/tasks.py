"""Background tasks: long exports and imports run off the request, with progress, cancel and
a file kept for its owner.

A task is one row of ``anju_task``: what to run (``kind`` and ``params``, frozen when the user
clicked), whose it is (``owner_id``: only the owner sees it and downloads its file), where it
is (``state``: queued → running → done | failed | cancelled, then expired when its file is
purged; ``phase``, ``done`` and ``total`` for the progress bar) and what came of it (the file,
its size and row count, or a message).

How a kind is added (engines never import modules: the list layer registers its two)::

    tasks.register_handler("export", run_export)     # fn(task) -> None, in a request context
                                                     # rebuilt for the owner (see run_task)

Run once. Whoever runs a task first *claims* it with one conditional ``UPDATE … SET
state='running' WHERE id=… AND state='queued'`` and commits: only one process, thread or
server wins, the others skip it. Tasks are started

* by the web process itself (``TASKS_RUN = "thread"``, the default): a daemon thread started
  after the click's commit, at most ``TASKS_THREADS`` per process; a thread that finishes a
  task takes the next queued one;
* by the scheduler process (``flask jobs run``): every poll also runs queued tasks, so a task
  left behind by a web process that stopped still runs;
* at once inside the request (``TASKS_RUN = "inline"``: the test suite);
* only by the scheduler (``TASKS_RUN = "worker"``), for deployments that keep web workers
  free of long work.

A task whose process died (no progress for ``STALE``) is failed by the next poll with a
message that says so: nothing is half-kept, the user runs it again.

Progress flows through app/core/progress.py: the handler's code (the xlsx writer, the import
engine, a module's ``import_rows``) reports; :class:`_Listener` stores the figures on the row
at most every ``interval`` seconds on a connection of its own (so the page's poll sees them
while the task's own transaction is still open) and answers whether the owner asked to
cancel.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import traceback
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text,
                        select, update)
from sqlalchemy.orm import relationship

from app.core import progress
from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db

log = logging.getLogger(__name__)

STALE = timedelta(minutes=10)


class TaskState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ACTIVE = (QUEUED, RUNNING)
    ENDED = (DONE, FAILED, CANCELLED, EXPIRED)


STATE_LABELS = {
    TaskState.QUEUED: _l("Queued"), TaskState.RUNNING: _l("Running"), TaskState.DONE: _l("Done"),
    TaskState.FAILED: _l("Failed"), TaskState.CANCELLED: _l("Cancelled"), TaskState.EXPIRED: _l("Expired"),
}
KIND_LABELS = {"export": _l("Export"), "import": _l("Import")}
PHASE_LABELS = {
    "queued": _l("Waiting to start"), "counting": _l("Counting rows"), "reading": _l("Reading the file"),
    "checking": _l("Checking rows"), "writing": _l("Writing to the database"), "exporting": _l("Writing rows"),
    "done": _l("Finished"),
}


class Task(db.Model):
    __tablename__ = "anju_task"
    __audit__ = AuditSpec(
        _l("Background task"), row="title",
        labels={"kind": _l("Type"), "title": _l("Title"), "source": _l("List"), "params": _l("Conditions"),
                "owner_id": _l("Owner"), "state": _l("State"), "phase": _l("Step"), "done": _l("Rows done"),
                "total": _l("Rows expected"), "created_at": _l("Created at"), "started_at": _l("Started at"),
                "finished_at": _l("Finished at"), "updated_at": _l("Progress at"), "expires_at": _l("Expires at"),
                "file_name": _l("File name"), "file_token": _l("File key"), "file_size": _l("File size"),
                "row_count": _l("Rows"), "message": _l("Result"), "result": _l("Result details"),
                "cancel_requested": _l("Cancel requested"), "worker": _l("Process"), "dedupe_key": _l("Same task key")},
        values={"state": "app.core.tasks:STATE_LABELS", "kind": "app.core.tasks:KIND_LABELS"},
    )
    __scope__ = {"org": None, "region": None, "owner": "owner_id"}
    __table_args__ = (Index("ix_anju_task_owner_created", "owner_id", "created_at"),
                      Index("ix_anju_task_state_created", "state", "created_at"))

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    title = Column(String(200), nullable=False)
    source = Column(String(128), nullable=False)
    params = Column(JSON, nullable=False)
    owner_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE", name="fk_anju_task_owner"), nullable=False)
    state = Column(String(16), nullable=False, default=TaskState.QUEUED)
    phase = Column(String(16), nullable=False, default="queued")
    done = Column(Integer, nullable=False, default=0)
    total = Column(Integer)
    created_at = Column(DateTime, nullable=False, default=now)
    started_at = Column(DateTime)
    finished_at = Column(DateTime)
    updated_at = Column(DateTime)
    expires_at = Column(DateTime)
    file_name = Column(String(255))
    file_token = Column(String(64))
    file_size = Column(BigInteger)
    row_count = Column(Integer)
    message = Column(Text)
    result = Column(JSON)
    cancel_requested = Column(Boolean, nullable=False, default=False, server_default="0")
    worker = Column(String(64))
    dedupe_key = Column(String(64), index=True)

    owner = relationship("AnjuUser", foreign_keys=[owner_id])

    def __repr__(self):
        return self.title

    # --- what the pages show ---
    @property
    def state_label(self):
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def kind_label(self):
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def phase_label(self):
        return str(PHASE_LABELS.get(self.phase, self.phase or ""))

    @property
    def percent(self):
        if self.state == TaskState.DONE:
            return 100
        if not self.total or self.total <= 0:
            return 0
        return max(0, min(99, int(self.done * 100 / self.total)))

    @property
    def seconds_left(self):
        """Time left at the pace so far (None until it can be told)."""
        if self.state != TaskState.RUNNING or not self.started_at or not self.total or self.done <= 0:
            return None
        elapsed = ((self.updated_at or datetime.now()) - self.started_at).total_seconds()
        if elapsed <= 0:
            return None
        return max(0, int((self.total - self.done) * elapsed / self.done))

    def status(self):
        """The progress bar's figures (the page polls them as JSON)."""
        from flask_babel import gettext as _

        left = self.seconds_left
        return {
            "id": self.id, "state": self.state, "state_label": self.state_label, "phase": self.phase,
            "phase_label": self.phase_label, "done": self.done, "total": self.total, "percent": self.percent,
            "seconds_left": left,
            "time_left": None if left is None else (_("About %(n)s seconds left", n=left) if left < 120
                                                    else _("About %(n)s minutes left", n=(left + 59) // 60)),
            "row_count": self.row_count, "file_size": self.file_size, "message": self.message,
            "cancellable": self.cancellable, "downloadable": self.downloadable,
        }

    def progress_html(self):
        """The list's progress column: a small bar while the task runs, the download or the
        outcome when it has ended."""
        from flask_babel import gettext as _
        from markupsafe import Markup, escape

        if self.state in TaskState.ACTIVE:
            return Markup('<div class="progress anju-task-bar" style="margin:0;min-width:90px">'
                          '<div class="progress-bar" style="width:{p}%">{p}%</div></div>').format(p=self.percent)
        if self.downloadable:
            return Markup('<a class="btn btn-xs btn-success" href="/tasks/download/{id}">{label}</a>').format(
                id=self.id, label=escape(_("Download")))
        return (self.message or "")[:60]

    @property
    def cancellable(self):
        return self.state == TaskState.QUEUED or (
            self.state == TaskState.RUNNING and self.phase != "writing" and not self.cancel_requested)

    @property
    def downloadable(self):
        return (self.state == TaskState.DONE and bool(self.file_token)
                and (self.expires_at is None or self.expires_at > datetime.now()))


# --- registry -------------------------------------------------------------------------------

_HANDLERS = {}


def register_handler(kind, fn):
    """``fn(task)`` runs a task of ``kind`` inside a request context rebuilt for its owner; it
    reports through app/core/progress.py and records the outcome on ``task`` (file, rows,
    message). Raising fails the task (its message is the user's reason); progress.Cancelled
    cancels it."""
    _HANDLERS[kind] = fn


# --- files ----------------------------------------------------------------------------------

def file_dir():
    path = os.path.join(current_app.instance_path, "task-files")
    os.makedirs(path, exist_ok=True)
    return path


def file_path(task_or_owner, token=None, suffix=".xlsx"):
    """Where a task's file lives: the owner's id and a random token, never a guessable name."""
    if token is None:
        owner, token = task_or_owner.owner_id, task_or_owner.file_token
    else:
        owner = task_or_owner
    if not token or not str(token).isalnum() or len(token) > 64:
        return None
    return os.path.join(file_dir(), f"{owner}-{token}{suffix}")


def new_token():
    return secrets.token_hex(16)


def _remove(path):
    try:
        if path:
            os.unlink(path)
            return True
    except FileNotFoundError:
        pass
    return False


# --- queueing -------------------------------------------------------------------------------

def active_of(owner_id, dedupe_key=None, session=None):
    session = session or db.session
    stmt = select(Task).where(Task.owner_id == owner_id, Task.state.in_(TaskState.ACTIVE))
    if dedupe_key is not None:
        stmt = stmt.where(Task.dedupe_key == dedupe_key)
    return session.execute(stmt.order_by(Task.id)).scalars().all()


def enqueue(kind, title, source, params, owner_id, dedupe_key=None, total=None, session=None):
    """Queue a task (committed) and start it as configured; returns the task.

    The same click twice (same ``dedupe_key`` while the first is queued or running) gives the
    first task back; a user may have ``tasks.max_active`` tasks waiting or running at once."""
    from flask_babel import gettext as _

    from app.core.errors import DomainError
    from app.system.params import get_param

    session = session or db.session
    if dedupe_key is not None:
        same = active_of(owner_id, dedupe_key, session)
        if same:
            return same[0]
    if len(active_of(owner_id, session=session)) >= get_param("tasks.max_active"):
        raise DomainError(_("You already have %(n)s exports or imports waiting or running; wait for one "
                            "to finish or cancel it.", n=get_param("tasks.max_active")))
    task = Task(kind=kind, title=str(title)[:200], source=source, params=params, owner_id=owner_id,
                state=TaskState.QUEUED, phase="queued", done=0, total=total, created_at=now(),
                cancel_requested=False, dedupe_key=dedupe_key)
    session.add(task)
    session.commit()
    start(task.id)
    return task


def start(task_id):
    mode = current_app.config.get("TASKS_RUN", "thread")
    if mode == "inline":
        run_task(task_id)
    elif mode == "thread":
        _start_thread(current_app._get_current_object())


_pool_lock = threading.Lock()
_running_threads = 0


def _start_thread(app):
    """Start a worker thread unless this process already runs TASKS_THREADS of them (a running
    thread takes the queued tasks in turn)."""
    global _running_threads
    with _pool_lock:
        if _running_threads >= app.config.get("TASKS_THREADS", 1):
            return False
        _running_threads += 1
    thread = threading.Thread(target=_thread_main, args=(app,), name="anju-task", daemon=True)
    thread.start()
    return True


def _thread_main(app):
    global _running_threads
    try:
        with app.app_context():
            try:
                run_queued()
            finally:
                db.session.remove()
    except Exception:  # pragma: no cover - logged; the task row says failed
        log.exception("task thread stopped")
    finally:
        with _pool_lock:
            _running_threads -= 1


def worker_id():
    from app.core.jobs import worker_id as _wid

    return f"{_wid()}:{threading.get_ident() % 100000}"[:64]


def claim(task_id, worker=None, session=None):
    """Take a queued task; True for exactly one caller."""
    session = session or db.session
    moment = now()
    won = session.execute(
        update(Task.__table__).where(Task.__table__.c.id == task_id, Task.__table__.c.state == TaskState.QUEUED)
        .values(state=TaskState.RUNNING, worker=(worker or worker_id())[:64], started_at=moment, updated_at=moment)
    ).rowcount == 1
    session.commit()
    return won


def run_queued(limit=None, session=None):
    """Run queued tasks, oldest first, until none is left (or ``limit``); fail stale ones first.
    Returns the ids run here."""
    session = session or db.session
    fail_stale(session=session)
    ran = []
    while limit is None or len(ran) < limit:
        task_id = session.execute(select(Task.id).where(Task.state == TaskState.QUEUED)
                                  .order_by(Task.id).limit(1)).scalar()
        session.rollback()
        if task_id is None:
            break
        if run_task(task_id, session=session):
            ran.append(task_id)
    return ran


def fail_stale(session=None):
    """A running task without progress for STALE lost its process: fail it, say so, drop its file."""
    from flask_babel import gettext as _

    session = session or db.session
    limit = now() - STALE
    stale = session.execute(select(Task).where(Task.state == TaskState.RUNNING, Task.updated_at < limit)).scalars().all()
    for task in stale:
        _remove(file_path(task)) if task.file_token else None
        task.state, task.finished_at = TaskState.FAILED, now()
        task.message = _("The task stopped without finishing (the server was restarted); nothing was kept. "
                         "Please run it again.")
    session.commit()
    return len(stale)


class _Listener:
    """Stores a task's progress at most every ``interval`` seconds, on a connection of its own,
    and tells whether its owner asked to cancel."""

    def __init__(self, task_id, interval=0.5):
        self.task_id = task_id
        self.interval = interval
        self.last = 0.0
        self.phase = None
        self.done = 0
        self.total = None
        self.cancel = False
        engine = db.engine
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.wrote_in_writing = False

    def __call__(self, phase, done, total):
        changed = phase != self.phase
        self.phase = phase
        if done is not None and done >= 0:
            self.done = done
        if total is not None:
            self.total = total
        moment = time.monotonic()
        if not changed and moment - self.last < self.interval:
            return self.cancel
        if self.sqlite and ((phase == "writing" and self.wrote_in_writing) or _holds_sqlite_write_lock()):
            # The task's own transaction holds SQLite's write lock (an import takes it before its
            # database checks and keeps it until the commit): another connection could only wait
            # for it. The bar shows the step reached until the commit.
            return self.cancel
        self.flush()
        self.last = moment
        if phase == "writing":
            self.wrote_in_writing = True
        return self.cancel

    def flush(self):
        table = Task.__table__
        try:
            with self.engine.connect() as conn:
                previous = None
                if self.sqlite:
                    # Another process's write may hold the lock: progress waits a moment, not the
                    # connection's usual 30 s, and is stored next time instead.
                    previous = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_PROGRESS_WAIT_MS}")
                try:
                    conn.execute(update(table).where(table.c.id == self.task_id).values(
                        phase=self.phase or "queued", done=self.done, total=self.total, updated_at=now()))
                    self.cancel = bool(conn.execute(select(table.c.cancel_requested)
                                                    .where(table.c.id == self.task_id)).scalar())
                    conn.commit()
                finally:
                    if previous is not None:
                        conn.rollback()
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")
        except Exception:  # progress is a courtesy: never the reason a task fails
            log.warning("task %s progress not stored", self.task_id, exc_info=True)


#: How long a progress update waits for SQLite's write lock held by another process (ms).
SQLITE_PROGRESS_WAIT_MS = 200


def _holds_sqlite_write_lock():
    """Whether the current session's SQLite connection is inside a write transaction (the
    driver opens one at the first INSERT/UPDATE/DELETE): it then holds the database's only
    write lock until its commit."""
    try:
        session = db.session()
        if not session.in_transaction():
            return False
        raw = session.connection().connection.dbapi_connection
        return bool(getattr(raw, "in_transaction", False))
    except Exception:
        return False


def run_task(task_id, session=None):
    """Claim and run one task; True when this caller ran it."""
    from flask_babel import gettext as _

    from app.core.errors import DomainError, user_message

    session = session or db.session
    if not claim(task_id, session=session):
        return False
    task = session.get(Task, task_id)
    handler = _HANDLERS.get(task.kind)
    listener = _Listener(task_id, current_app.config.get("TASKS_PROGRESS_SECONDS", 0.5))
    state, message = TaskState.DONE, None
    outcome = {}
    try:
        if handler is None:
            raise DomainError(_("This kind of task can no longer be run."))
        with progress.listening(listener):
            outcome = _in_owner_context(task, handler) or {}
    except progress.Cancelled:
        state, message = TaskState.CANCELLED, _("Cancelled; nothing was kept.")
    except DomainError as exc:
        state, message = TaskState.FAILED, str(exc)
    except Exception as exc:  # logged with its traceback; the user gets a plain reason
        log.exception("task %s failed", task_id)
        state, message = TaskState.FAILED, user_message(exc)
        outcome = {"error": traceback.format_exc()[-4000:]}
    session.rollback()
    task = session.get(Task, task_id)
    if state != TaskState.DONE and task.file_token:
        _remove(file_path(task))
        task.file_token = None
    for key in ("file_name", "file_token", "file_size", "row_count", "result", "expires_at", "message"):
        if key in outcome:
            setattr(task, key, outcome[key])
    if message is not None:
        task.message = message
    if state == TaskState.DONE and outcome.get("state") == TaskState.FAILED:
        state = TaskState.FAILED  # e.g. an import that found problems: its result says which
    task.state, task.finished_at, task.updated_at = state, now(), now()
    if state == TaskState.DONE:
        task.phase, task.done = "done", outcome.get("row_count", listener.done) or listener.done
        if task.total is None or task.total < task.done:
            task.total = task.done
    else:
        task.phase = listener.phase or task.phase
    session.commit()
    _tell_owner(task, session)
    return True


def _in_owner_context(task, handler):
    """Run ``handler(task)`` in a fresh application context and a request context that acts as
    the owner with what was frozen at the click: the list's arguments, masking, language."""
    import flask_login
    from flask import g, session as http_session

    from app.security.models import AnjuUser

    app = current_app._get_current_object()
    params = task.params or {}
    task_id = task.id
    with app.app_context():
        try:
            with app.test_request_context(params.get("path") or "/", query_string=params.get("args") or []):
                owner = db.session.get(AnjuUser, task.owner_id)
                if owner is None or not owner.is_active:
                    from flask_babel import gettext as _

                    from app.core.errors import DomainError

                    raise DomainError(_("The account that started this task is no longer active."))
                if params.get("locale"):
                    http_session["locale"] = params["locale"]
                flask_login.login_user(owner)
                g.user = owner
                g.scope_user = owner
                g.can_view_full_pii = bool(params.get("full_pii"))
                frozen = db.session.get(Task, task_id)
                return handler(frozen)
        finally:
            db.session.remove()


def _tell_owner(task, session):
    """A console notice to the owner (and to nobody else) when a task ends."""
    from flask_babel import gettext as _

    from app.core import notices

    owner = task.owner
    if owner is None or not getattr(owner, "org_id", None) or task.state == TaskState.CANCELLED:
        return
    if task.state == TaskState.DONE:
        if task.kind == "export":
            title = _("Export ready: %(title)s (%(n)s rows)", title=task.title, n=task.row_count or 0)
        else:
            title = _("Import finished: %(title)s", title=task.title)
    else:
        title = _("Task failed: %(title)s", title=task.title)
    notices.notify(owner.org_id, title, task.message, link=f"/tasks/show/{task.id}",
                   source=("task", task.id), user_id=owner.id, session=session)
    session.commit()


def request_cancel(task, session=None):
    """The owner's 取消: a queued task ends at once; a running one stops at its next checkpoint.
    False when the task can no longer be stopped (finished, or an import writing its rows)."""
    from flask_babel import gettext as _

    session = session or db.session
    table = Task.__table__
    if task.state == TaskState.QUEUED:
        done = session.execute(update(table).where(table.c.id == task.id, table.c.state == TaskState.QUEUED)
                               .values(state=TaskState.CANCELLED, cancel_requested=True, finished_at=now(),
                                       message=_("Cancelled; nothing was kept."))).rowcount == 1
        session.commit()
        if done:
            return True
        session.refresh(task)
    if task.state == TaskState.RUNNING and task.phase != "writing":
        session.execute(update(table).where(table.c.id == task.id, table.c.state == TaskState.RUNNING)
                        .values(cancel_requested=True))
        session.commit()
        return True
    return False


def purge(session=None):
    """Delete the files of tasks past their keeping time (and of ended tasks that kept one by
    accident); mark them expired. Returns how many files were removed."""
    session = session or db.session
    moment = now()
    rows = session.execute(select(Task).where(
        Task.file_token.is_not(None),
        ((Task.state == TaskState.DONE) & (Task.expires_at <= moment)) | Task.state.in_(
            (TaskState.FAILED, TaskState.CANCELLED, TaskState.EXPIRED)))).scalars().all()
    removed = 0
    for task in rows:
        removed += _remove(file_path(task))
        task.file_token = None
        if task.state == TaskState.DONE:
            task.state = TaskState.EXPIRED
    session.commit()
    # Files no task row points at (a crash between writing and recording): older than a day.
    directory = os.path.join(current_app.instance_path, "task-files")
    if os.path.isdir(directory):
        known = {f"{t.owner_id}-{t.file_token}" for t in session.execute(
            select(Task.owner_id, Task.file_token).where(Task.file_token.is_not(None))).all()}
        limit = time.time() - 86400
        for entry in os.scandir(directory):
            stem = entry.name.rsplit(".", 1)[0]
            try:
                if stem not in known and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue
    return removed


def keep_until():
    from app.system.params import get_param

    return now() + timedelta(hours=get_param("export.keep_hours"))
