"""Scheduled jobs: persistent, run once across workers and servers, logged, retried.

How a module adds a job (in its ``jobs.py``, imported by the module's ``register()`` so that
create_app loads it)::

    from app.core.jobs import register_job

    register_job("complaints.escalate", "app.complaints.jobs:escalate",
                 label=_l("Escalate overdue requests"), trigger="interval", minutes=10)
    register_job("system.cleanup", "app.core.jobs:cleanup", label=..., trigger="cron", hour=3)

The function takes no arguments, runs inside an application context, commits its own
work and returns a short text for the run log.

Design (SPEC §2 "Scheduled jobs"; ARCHITECTURE: APScheduler 3 cannot share its job store
among processes):

* The **store** is the ``anju_job`` table: one row per job with its trigger, pause flag
  and ``next_run_at``. ``flask jobs sync`` (also run by ``flask roles sync`` and
  ``make run``) writes the registered jobs into it and keeps sysadmin's pause flags.
* **APScheduler computes the fire times** (its CronTrigger / IntervalTrigger, time zone
  Asia/Shanghai) and drives the loop of the scheduler process, ``flask jobs run``: every
  ``JOBS_POLL_SECONDS`` it calls :func:`run_due`.
* **Run once.** Before running an occurrence a process *claims* it with one conditional
  ``UPDATE anju_job SET locked_by=…, locked_until=… WHERE id=… AND next_run_at=<the
  occurrence> AND (lock free or expired)`` and commits. Only one process (worker or
  server) can win that update for one occurrence; the others skip it. So starting the
  scheduler twice, or on two servers against one database, still runs each occurrence
  once. A lock older than ``lease`` (a crashed process) is taken over.
* **Log and retry.** Each run writes an ``anju_job_run`` row (start, end, status, result
  or error with traceback). A failure is retried after ``retry_seconds`` up to
  ``max_retries`` times, then the job waits for its next regular time; nothing is dropped
  silently.
* Sysadmin lists jobs with their next run and last result, pauses, resumes and runs now
  (系统管理 → 定时任务), and reads the run log.
"""
import importlib
import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, or_, select, update

from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
LEASE = timedelta(minutes=30)


class JobStatus:
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


STATUS_LABELS = {JobStatus.RUNNING: _l("Running"), JobStatus.SUCCESS: _l("Succeeded"),
                 JobStatus.FAILED: _l("Failed")}


class Job(db.Model):
    __tablename__ = "anju_job"
    __audit__ = AuditSpec(
        _l("Scheduled job"), row=lambda j: job_label(j.id, j.label),
        labels={"id": _l("Job code"), "label": _l("Job"), "func": _l("Function"), "trigger": _l("Schedule"),
                "trigger_args": _l("Schedule settings"), "paused": _l("Paused"), "next_run_at": _l("Next run"),
                "last_run_at": _l("Last run"), "last_status": _l("Last result"), "failures": _l("Failures in a row"),
                "max_retries": _l("Retries"), "retry_seconds": _l("Retry after (seconds)"),
                "locked_by": _l("Running in"), "locked_until": _l("Run lock until")},
        values={"last_status": "app.core.jobs:STATUS_LABELS"},
    )
    id = Column(String(64), primary_key=True)
    label = Column(String(128), nullable=False)
    func = Column(String(255), nullable=False)
    trigger = Column(String(16), nullable=False)
    trigger_args = Column(JSON, nullable=False)
    paused = Column(Boolean, nullable=False, default=False)
    next_run_at = Column(DateTime, index=True)
    last_run_at = Column(DateTime)
    last_status = Column(String(16))
    failures = Column(Integer, nullable=False, default=0)
    max_retries = Column(Integer, nullable=False, default=3)
    retry_seconds = Column(Integer, nullable=False, default=300)
    locked_by = Column(String(64))
    locked_until = Column(DateTime)

    def __repr__(self):
        return self.id

    @property
    def trigger_text(self):
        """The schedule in words: 每天 03:17, 每10分钟 ..."""
        from flask_babel import gettext as _

        args = dict(self.trigger_args or {})
        if self.trigger == "interval":
            for unit, text in (("days", _("Every %(n)s days")), ("hours", _("Every %(n)s hours")),
                               ("minutes", _("Every %(n)s minutes")), ("seconds", _("Every %(n)s seconds"))):
                if unit in args:
                    return text % {"n": args[unit]}
        if self.trigger == "cron" and set(args) <= {"hour", "minute"}:
            return _("Every day at %(time)s", time=f"{int(args.get('hour', 0)):02d}:{int(args.get('minute', 0)):02d}")
        return f"{self.trigger} " + ", ".join(f"{k}={v}" for k, v in args.items())


class JobRun(db.Model):
    __tablename__ = "anju_job_run"
    __audit__ = AuditSpec(
        _l("Job run"), row=lambda r: " ".join(x for x in (job_label(r.job_id), r.started_at and
                                                          f"{r.started_at:%Y-%m-%d %H:%M}") if x),
        labels={"job_id": _l("Job"), "scheduled_for": _l("Scheduled for"), "started_at": _l("Started at"),
                "finished_at": _l("Finished at"), "status": _l("Result"), "manual": _l("Run by hand"),
                "attempt": _l("Attempt"), "worker": _l("Process"), "result": _l("Output"), "error": _l("Error")},
        values={"status": "app.core.jobs:STATUS_LABELS", "job_id": "app.core.jobs:JOB_LABELS"},
    )
    __table_args__ = (Index("ix_anju_job_run_job_started", "job_id", "started_at"),)
    id = Column(Integer, primary_key=True)
    job_id = Column(String(64), ForeignKey("anju_job.id", ondelete="CASCADE"), nullable=False)
    scheduled_for = Column(DateTime)
    started_at = Column(DateTime, nullable=False, default=now)
    finished_at = Column(DateTime)
    status = Column(String(16), nullable=False, default=JobStatus.RUNNING)
    manual = Column(Boolean, nullable=False, default=False)
    attempt = Column(Integer, nullable=False, default=1)
    worker = Column(String(64))
    result = Column(Text)
    error = Column(Text)

    job = relationship("Job")


@dataclass
class JobSpec:
    id: str
    func: str
    label: object
    trigger: str
    trigger_args: dict = field(default_factory=dict)
    max_retries: int = 3
    retry_seconds: int = 300


_JOBS = {}


def register_job(job_id, func, label, trigger="interval", max_retries=3, retry_seconds=300, **trigger_args):
    if trigger not in ("interval", "cron"):
        raise ValueError("trigger must be 'interval' or 'cron'")
    _JOBS[job_id] = JobSpec(job_id, func, label, trigger, trigger_args, max_retries, retry_seconds)
    return _JOBS[job_id]


def registered():
    return dict(_JOBS)


def job_label(job_id, default=None):
    """A job's name (每日清理...) from the registry; its stored label or key otherwise."""
    spec = _JOBS.get(job_id)
    return str(spec.label) if spec is not None else (default or job_id)


class _JobLabels(dict):
    """{job key: name} read when shown (the audit log's 任务 column)."""

    def get(self, key, default=None):
        return job_label(key) if key in _JOBS else default

    def __bool__(self):
        return bool(_JOBS)


JOB_LABELS = _JobLabels()


def _trigger(trigger, args):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if trigger == "cron":
        return CronTrigger(timezone=TIMEZONE, **args)
    return IntervalTrigger(timezone=TIMEZONE, **args)


def next_fire(trigger, args, after):
    """The first fire time strictly after ``after`` (naive local time in, naive out)."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(TIMEZONE)
    trig = _trigger(trigger, args)
    aware = after.replace(tzinfo=tz)
    fire = trig.get_next_fire_time(aware, aware)
    if fire is not None and fire <= aware:
        fire = trig.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    if fire is None:
        return None
    return fire.astimezone(tz).replace(tzinfo=None)


def sync_jobs(session=None, moment=None):
    """Write the registered jobs into anju_job; keep pause flags; returns (added, updated)."""
    session = session or db.session
    moment = moment or datetime.now()
    added = updated = 0
    for spec in _JOBS.values():
        row = session.get(Job, spec.id)
        if row is None:
            row = Job(id=spec.id, paused=False, failures=0)
            session.add(row)
            added += 1
        elif (row.func, row.trigger, row.trigger_args) != (spec.func, spec.trigger, spec.trigger_args):
            updated += 1
            row.next_run_at = None
        row.label, row.func, row.trigger, row.trigger_args = str(spec.label), spec.func, spec.trigger, spec.trigger_args
        row.max_retries, row.retry_seconds = spec.max_retries, spec.retry_seconds
        if row.next_run_at is None:
            row.next_run_at = next_fire(spec.trigger, spec.trigger_args, moment)
    session.commit()
    return added, updated


def worker_id():
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _claim(session, job, scheduled_for, worker, moment):
    """Take one occurrence of a job; True for exactly one process."""
    table = Job.__table__
    cond = [table.c.id == job.id,
            or_(table.c.locked_until.is_(None), table.c.locked_until < moment)]
    if scheduled_for is not None:
        cond.append(table.c.next_run_at == scheduled_for)
    won = session.execute(update(table).where(*cond)
                          .values(locked_by=worker, locked_until=moment + LEASE)).rowcount == 1
    session.commit()
    return won


def _call(func_path):
    module, _sep, name = func_path.partition(":")
    return getattr(importlib.import_module(module), name)()


def _execute(session, job, scheduled_for, worker, manual):
    """Run a claimed occurrence, log it, schedule the next one, release the lock."""
    started = datetime.now()
    attempt = (job.failures or 0) + 1
    run = JobRun(job_id=job.id, scheduled_for=scheduled_for, started_at=started, manual=manual,
                 attempt=attempt, worker=worker, status=JobStatus.RUNNING)
    session.add(run)
    session.commit()
    run_id = run.id
    try:
        result = _call(job.func)
        session.commit()
        status, error = JobStatus.SUCCESS, None
    except Exception as exc:  # a failed run is logged and retried, never lost
        session.rollback()
        log.exception("job %s failed", job.id)
        status, result, error = JobStatus.FAILED, None, f"{exc!r}\n{traceback.format_exc()}"[-8000:]
    finished = datetime.now()
    job = session.get(Job, job.id)
    run = session.get(JobRun, run_id)
    run.finished_at, run.status, run.error = finished, status, error
    run.result = None if result is None else str(result)[:4000]
    job.last_run_at, job.last_status = started, status
    if status == JobStatus.SUCCESS:
        job.failures = 0
        if not manual:
            job.next_run_at = next_fire(job.trigger, job.trigger_args, max(finished, scheduled_for or finished))
    else:
        job.failures = (job.failures or 0) + 1
        if job.failures <= job.max_retries:
            job.next_run_at = finished + timedelta(seconds=job.retry_seconds)
        else:
            job.failures = 0
            job.next_run_at = next_fire(job.trigger, job.trigger_args, finished)
    job.locked_by, job.locked_until = None, None
    session.commit()
    return run


def run_due(moment=None, worker=None, session=None):
    """Run every job whose time has come and that this process can claim; returns the runs."""
    session = session or db.session
    moment = moment or datetime.now()
    worker = worker or worker_id()
    due = session.execute(
        select(Job).where(Job.paused.is_(False), Job.next_run_at.is_not(None), Job.next_run_at <= moment)
        .order_by(Job.next_run_at)
    ).scalars().all()
    runs = []
    for job in due:
        if _claim(session, job, job.next_run_at, worker, moment):
            runs.append(_execute(session, job, job.next_run_at, worker, manual=False))
    return runs


def run_now(job_id, worker=None, session=None):
    """Run a job at once (sysadmin's 立即执行); refused while another process runs it."""
    from flask_babel import gettext as _

    from app.core.errors import DomainError

    session = session or db.session
    job = session.get(Job, job_id)
    if job is None:
        raise DomainError(_("The job does not exist."))
    worker = worker or worker_id()
    if not _claim(session, job, None, worker, datetime.now()):
        raise DomainError(_("The job is running elsewhere; try again when it has finished."))
    return _execute(session, job, None, worker, manual=True)


def set_paused(job_id, paused, session=None, moment=None):
    """Pause or resume a job; a resumed job whose time passed meanwhile next fires after ``moment``
    (now by default)."""
    session = session or db.session
    moment = moment or datetime.now()
    job = session.get(Job, job_id)
    job.paused = paused
    if not paused and (job.next_run_at is None or job.next_run_at < moment):
        job.next_run_at = next_fire(job.trigger, job.trigger_args, moment)
    session.commit()
    return job


def serve(app, poll_seconds=None):
    """The scheduler process (``flask jobs run``): APScheduler calls run_due on a timer."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    poll_seconds = poll_seconds or app.config.get("JOBS_POLL_SECONDS", 15)
    scheduler = BlockingScheduler(timezone=TIMEZONE)

    def tick():
        with app.app_context():
            try:
                run_due()
            finally:
                db.session.remove()

    scheduler.add_job(tick, "interval", seconds=poll_seconds, id="anju-poll", max_instances=1,
                      coalesce=True, next_run_time=datetime.now())

    def background_tasks():
        # Exports and imports queued by the web processes (app/core/tasks.py), beside the
        # scheduled jobs: a long export never holds up a deadline job.
        from app.core import tasks
        from app.core.lists import export_import  # noqa: F401 (registers the export and import handlers)

        with app.app_context():
            try:
                tasks.run_queued()
            finally:
                db.session.remove()

    scheduler.add_job(background_tasks, "interval", seconds=poll_seconds, id="anju-tasks", max_instances=1,
                      coalesce=True, next_run_time=datetime.now())
    scheduler.start()


# --- the console's own housekeeping ---------------------------------------------------------

def cleanup():
    """Daily: expired picture codes, old SMS codes, orphan uploads, import error workbooks
    past their keeping time (they hold full ID numbers)."""
    from sqlalchemy import delete

    from app.core import import_files, sms, uploads
    from app.core.captcha import Captcha

    captchas = db.session.execute(delete(Captcha).where(Captcha.expires_at < datetime.now() - timedelta(hours=1))).rowcount
    db.session.commit()
    codes = sms.purge_expired()
    files, rows = uploads.purge_orphans()
    workbooks = import_files.purge()
    return (f"captchas={captchas} sms_codes={codes} upload_files={files} upload_rows={rows} "
            f"import_error_workbooks={workbooks}")


def task_files():
    """Every 10 minutes: finished exports past their keeping time are deleted and marked expired;
    tasks whose process died are failed."""
    from app.core import tasks

    stale = tasks.fail_stale()
    removed = tasks.purge()
    return f"task_files_removed={removed} stale_tasks={stale}"


register_job("system.task_files", "app.core.jobs:task_files", label=_l("Delete expired export files"),
             trigger="interval", minutes=10)

register_job("system.cleanup", "app.core.jobs:cleanup", label=_l("Daily cleanup of codes and orphan files"),
             trigger="cron", hour=3, minute=17)
