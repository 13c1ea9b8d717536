"""The scheduler engine: persistence, run-once across app instances, logging, retry,
pause/resume/run-now from the console."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.core import jobs
from app.core.jobs import Job, JobRun, JobStatus
from app.extensions import db

CALLS = []
# Tests of due jobs run the scheduler at this fixed moment, long before any real job's next
# run: only the job a test made due runs, and nothing depends on the wall clock.
DUE = datetime(2000, 1, 1, 8, 0)


def count_call():
    CALLS.append(datetime.now())
    db.session.execute(text("SELECT 1"))
    return f"call {len(CALLS)}"


def slow_call():
    import time

    CALLS.append(datetime.now())
    time.sleep(0.3)
    return "slow"


def always_fails():
    raise RuntimeError("gateway down")


def _job(job_id, func, **kw):
    jobs.register_job(job_id, f"tests.core.test_jobs:{func}", label=job_id, **kw)
    jobs.sync_jobs()
    return db.session.get(Job, job_id)


def _runs(job_id):
    return db.session.execute(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)).scalars().all()


def test_registered_jobs_are_stored_with_their_next_run(ctx):
    job = db.session.get(Job, "system.cleanup")
    assert job is not None and job.trigger == "cron" and not job.paused
    kept = job.next_run_at
    assert (kept.hour, kept.minute, kept.second) == (3, 17, 0)
    # A job without a next run gets the first fire time after the moment of the sync.
    job.next_run_at = None
    db.session.commit()
    try:
        jobs.sync_jobs(moment=datetime(2026, 3, 5, 3, 17))
        assert db.session.get(Job, "system.cleanup").next_run_at == datetime(2026, 3, 6, 3, 17)
        job = db.session.get(Job, "system.cleanup")
        job.next_run_at = None
        db.session.commit()
        jobs.sync_jobs(moment=datetime(2026, 3, 5, 3, 16, 59))
        assert db.session.get(Job, "system.cleanup").next_run_at == datetime(2026, 3, 5, 3, 17)
    finally:
        db.session.get(Job, "system.cleanup").next_run_at = kept
        db.session.commit()


def test_next_fire_times():
    start = datetime(2026, 1, 1, 10, 0)
    assert jobs.next_fire("cron", {"hour": 3, "minute": 17}, start) == datetime(2026, 1, 2, 3, 17)
    assert jobs.next_fire("cron", {"hour": 3, "minute": 17}, datetime(2026, 1, 2, 3, 17)) == datetime(2026, 1, 3, 3, 17)
    nxt = jobs.next_fire("interval", {"minutes": 10}, start)
    assert start < nxt <= start + timedelta(minutes=10, seconds=1)


def test_due_job_runs_once_and_is_logged(ctx):
    CALLS.clear()
    job = _job("t.once", "count_call", trigger="interval", minutes=10)
    job.next_run_at = DUE - timedelta(seconds=1)
    db.session.commit()
    runs = jobs.run_due(moment=DUE)
    assert [r.job_id for r in runs] == ["t.once"]
    assert len(CALLS) == 1
    assert jobs.run_due(moment=DUE) == []  # not due again yet
    assert len(CALLS) == 1
    run = _runs("t.once")[-1]
    assert run.status == JobStatus.SUCCESS and run.result == "call 1" and run.finished_at >= run.started_at
    assert run.scheduled_for == DUE - timedelta(seconds=1)
    job = db.session.get(Job, "t.once")
    # The next occurrence is one interval after the run finished.
    assert job.next_run_at == run.finished_at + timedelta(minutes=10)
    assert job.locked_by is None and job.last_status == "success"


def test_failed_run_is_logged_and_retried(ctx):
    job = _job("t.fails", "always_fails", trigger="cron", hour=4, max_retries=2, retry_seconds=60)
    for attempt in (1, 2, 3):
        job = db.session.get(Job, "t.fails")
        job.next_run_at = DUE - timedelta(seconds=1)
        db.session.commit()
        assert [r.job_id for r in jobs.run_due(moment=DUE)] == ["t.fails"]
        job = db.session.get(Job, "t.fails")
        run = _runs("t.fails")[-1]
        assert run.status == JobStatus.FAILED and "gateway down" in run.error and run.attempt == attempt
        if attempt <= 2:
            # Retried retry_seconds after the failed run finished.
            assert job.failures == attempt
            assert job.next_run_at == run.finished_at + timedelta(seconds=60)
        else:
            # Retries used up: back to the regular time (the next 04:00), and the count starts again.
            assert job.failures == 0
            assert job.next_run_at == jobs.next_fire("cron", {"hour": 4}, run.finished_at)
            assert (job.next_run_at.hour, job.next_run_at.minute) == (4, 0)
            assert run.finished_at < job.next_run_at <= run.finished_at + timedelta(days=1)
    assert len(_runs("t.fails")) == 3


def test_paused_jobs_do_not_run_and_run_now_works(ctx):
    CALLS.clear()
    job = _job("t.pause", "count_call", trigger="interval", hours=1)
    jobs.set_paused("t.pause", True)
    job = db.session.get(Job, "t.pause")
    job.next_run_at = DUE - timedelta(minutes=1)
    db.session.commit()
    assert jobs.run_due(moment=DUE) == []
    assert CALLS == []
    run = jobs.run_now("t.pause")
    assert run.manual and run.status == JobStatus.SUCCESS and len(CALLS) == 1
    # A manual run keeps the schedule; resuming after the time passed fires one interval later.
    assert db.session.get(Job, "t.pause").next_run_at == DUE - timedelta(minutes=1)
    jobs.set_paused("t.pause", False, moment=DUE)
    job = db.session.get(Job, "t.pause")
    assert (job.paused, job.next_run_at) == (False, DUE + timedelta(hours=1))
    jobs.set_paused("t.pause", True)   # no later test's scheduler run picks it up


def test_two_app_instances_run_an_occurrence_once(app, ctx):
    """Two app objects (as two servers would have) on one database race for the same
    occurrence; exactly one runs it."""
    from app import create_app

    CALLS.clear()
    job = _job("t.race", "slow_call", trigger="interval", hours=1)
    job.next_run_at = DUE - timedelta(seconds=1)
    db.session.commit()
    db.session.remove()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    second = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url, SERVER_NAME=None,
                        UPLOAD_DIR=app.config["UPLOAD_DIR"])
    barrier = threading.Barrier(2)
    errors = []

    def worker(application, name):
        with application.app_context():
            try:
                barrier.wait(timeout=10)
                jobs.run_due(moment=DUE, worker=name)
            except Exception as exc:  # a lost race must not raise
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(a, n)) for a, n in ((app, "server-a"), (second, "server-b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with second.app_context():
        db.engine.dispose()
    assert errors == [], errors
    assert len(CALLS) == 1
    with app.app_context():
        assert db.session.execute(select(func.count(JobRun.id)).where(JobRun.job_id == "t.race")).scalar() == 1


def test_console_lists_pauses_resumes_runs(app, login):
    with app.app_context():
        _job("t.console", "count_call", trigger="interval", hours=2)
    admin = login("admin")
    page = admin.get("/jobs/list/").get_data(as_text=True)
    assert "定时任务" in page and "t.console" in page and "下次执行" in page
    token = admin.token("/jobs/list/")
    resp = admin.post("/jobs/action_post", data={"action": "pause", "rowid": ["t.console"], "csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Job, "t.console").paused
    admin.post("/jobs/action_post", data={"action": "resume", "rowid": ["t.console"], "csrf_token": token})
    resp = admin.post("/jobs/action_post", data={"action": "run", "rowid": ["t.console"], "csrf_token": token},
                      follow_redirects=True)
    assert "t.console" in resp.get_data(as_text=True)
    with app.app_context():
        job = db.session.get(Job, "t.console")
        assert not job.paused and job.last_status == "success"
    assert "t.console" in admin.get("/jobruns/list/").get_data(as_text=True)
    for username in ("gov_admin", "helpdesk", "analyst"):
        other = login(username)
        assert other.get("/jobs/list/").status_code in (302, 403)
        assert other.get("/jobruns/list/").status_code in (302, 403)


def test_schedule_is_shown_in_words(ctx):
    from flask_babel import force_locale

    with force_locale("zh"):
        assert db.session.get(Job, "system.cleanup").trigger_text == "每天 03:17"
        assert Job(trigger="interval", trigger_args={"minutes": 10}).trigger_text == "每 10 分钟"
