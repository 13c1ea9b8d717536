"""Background exports and imports (issue 17): 导出 on a list queues a task when the rows are
many, the task rebuilds the click's query as its owner (filters, order, scope, masking frozen
at the click), writes the file with its progress, and keeps it for its owner only; cancel,
expiry and purge; two workers claiming one task run it once; an import that fails in its
write phase keeps nothing."""
import contextlib
import io
import os
import re
import threading
from urllib.parse import quote
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, text

from app.core import progress, tasks
from app.core.audit import AuditLog
from app.core.notices import Notice
from app.core.tasks import Task, TaskState
from app.extensions import db
from app.property.models import Staff
from tests.property.test_staff import new_id, new_mobile, uniq
from tests.property.test_staff_import import workbook


@contextlib.contextmanager
def param(app, key, value):
    with app.app_context():
        old = db.session.execute(text("SELECT value FROM anju_param WHERE key = :k"), {"k": key}).scalar()
        assert old is not None, f"parameter {key} not seeded"
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"k": key, "v": str(value)})
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = :k"), {"k": key, "v": old})
            db.session.commit()


@contextlib.contextmanager
def config(app, key, value):
    old = app.config[key]
    app.config[key] = value
    try:
        yield
    finally:
        app.config[key] = old


def task_of(app, pk):
    """The task row as it is now (detached)."""
    with app.app_context():
        task = db.session.get(Task, pk)
        db.session.expunge(task)
        return task


def scalar(app, stmt, **kw):
    with app.app_context():
        return db.session.execute(stmt if not isinstance(stmt, str) else text(stmt), kw).scalar()


def task_id_of(resp):
    assert resp.status_code == 302, resp.status_code
    m = re.search(r"/tasks/show/(\d+)", resp.headers["Location"])
    assert m, resp.headers["Location"]
    return int(m.group(1))


def load(resp_or_bytes):
    data = resp_or_bytes if isinstance(resp_or_bytes, bytes) else resp_or_bytes.data
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def upload(client, rows, name):
    return client.form("/staff/import/", {"file": (io.BytesIO(workbook(rows)), name)},
                       get_url="/staff/import/", content_type="multipart/form-data")


def staff_rows(tag, n):
    return [[f"{tag}{i:03d}", new_mobile(), new_id(), "保洁", "", "2024-01-02", "备注-原文"] for i in range(n)]


def make_staff(app, login, n, tag):
    """n staff of ent_a named tag…, imported through the real page (a small file: at once)."""
    upload(login("ent_a"), staff_rows(tag, n), "s.xlsx")
    with app.app_context():
        got = db.session.execute(select(Staff).where(Staff.name.startswith(tag)).order_by(Staff.id)).scalars().all()
        assert len(got) == n
        return [(s.id, s.name, s.id_number, s.mobile) for s in got]


def search_args(tag):
    # The staff list's own search on the name (starts with), as the inline form writes it.
    return f"_flt_1_name={quote(tag)}"


# --- export --------------------------------------------------------------------------------------

def test_a_small_export_downloads_at_once_with_its_notes(app, login):
    tag = uniq("导出小")
    staff = make_staff(app, login, 3, tag)
    resp = login("ent_a").get(f"/staff/export/?{search_args(tag)}")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    wb = load(resp)
    data = rows_of(wb.worksheets[0])
    assert sorted(r[0] for r in data[1:]) == sorted(s[1] for s in staff)
    notes = {r[0]: r[1] for r in rows_of(wb["导出说明"])}
    assert tag in notes["筛选条件"] and notes["行数"] == "3" and notes["导出人"]
    # The cell holds the full text, not the list's display.
    assert "备注-原文" in {c for r in data for c in r}


def test_a_large_export_runs_as_a_task_for_its_owner_only(app, login):
    tag = uniq("导出大")
    staff = make_staff(app, login, 12, tag)
    client = login("ent_a")
    with param(app, "export.sync_rows", 5):
        resp = client.get(f"/staff/export/?{search_args(tag)}&_oc_StaffView=name&_od_StaffView=asc")
    pk = task_id_of(resp)
    task = task_of(app, pk)
    assert task.state == TaskState.DONE, task.message
    assert task.row_count == 12 and task.total == 12 and task.done == 12
    assert task.expires_at > datetime.now() + timedelta(hours=23)
    page = client.get(f"/tasks/show/{pk}").get_data(as_text=True)
    assert "已完成" in page and f"/tasks/download/{pk}" in page
    status = client.get(f"/tasks/status/{pk}").get_json()
    assert status["percent"] == 100 and status["downloadable"] is True
    # The file: the click's filter and order, full values as ent_a sees them (it may).
    dl = client.get(f"/tasks/download/{pk}")
    assert dl.status_code == 200 and "filename*=UTF-8''" in dl.headers["Content-Disposition"]
    data = rows_of(load(dl).worksheets[0])
    assert [r[0] for r in data[1:]] == sorted(s[1] for s in staff)
    assert staff[0][2] in {c for r in data for c in r}   # the full ID number
    with app.app_context():
        # Audited: the export (with its filter) and the download.
        entries = db.session.execute(select(AuditLog.action, AuditLog.summary).where(
            AuditLog.action.in_(("export", "download"))).order_by(AuditLog.id.desc()).limit(2)).all()
        assert {e.action for e in entries} == {"export", "download"}
        assert any(tag in (e.summary or "") for e in entries)
        # A notice to ent_a's user alone, linking to the task.
        notice = db.session.execute(select(Notice).where(Notice.source_type == "task",
                                                         Notice.source_id == pk)).scalar_one()
        assert notice.user_id == task.owner_id and notice.link == f"/tasks/show/{pk}"
        notice_id = notice.id
    assert f"/notices/open/{notice_id}" in client.get("/notices/list/").get_data(as_text=True) or \
        client.get(f"/notices/show/{notice_id}").status_code == 200
    # Nobody else: not another company, not sysadmin, not government.
    for other in ("ent_b", "admin", "gov_admin", "analyst"):
        c = login(other)
        for url in (f"/tasks/show/{pk}", f"/tasks/status/{pk}", f"/tasks/download/{pk}",
                    f"/notices/show/{notice_id}"):
            assert c.get(url).status_code in (302, 403, 404), (other, url)
        assert c.post(f"/tasks/cancel/{pk}").status_code in (302, 400, 403, 404)
        assert f"/tasks/show/{pk}" not in c.get("/tasks/list/").get_data(as_text=True)
    assert f"/tasks/show/{pk}" in client.get("/tasks/list/").get_data(as_text=True)
    assert app.test_client().get(f"/tasks/download/{pk}").status_code in (302, 401, 403)


def test_a_masked_exporter_gets_masked_cells_in_the_task_file(app, login):
    tag = uniq("导出脱敏")
    staff = make_staff(app, login, 2, tag)
    client = login("analyst")
    # The analyst finds a person by the exact full name (never by a part of it).
    with param(app, "export.sync_rows", 0):
        pk = task_id_of(client.get(f"/staff/export/?_flt_0_name={quote(staff[0][1])}"))
    task = task_of(app, pk)
    assert task.state == TaskState.DONE and task.row_count == 1 and task.params["full_pii"] is False
    data = rows_of(load(client.get(f"/tasks/download/{pk}")).worksheets[0])
    cells = {str(c) for r in data for c in r if c is not None}
    _id, _name, id_number, mobile = staff[0]
    assert id_number not in cells and mobile not in cells
    assert "*" * 14 + id_number[-4:] in cells


def test_scope_is_the_owners(app, login):
    """ent_b's export of the same filter holds none of ent_a's staff (no row: the file at once)."""
    tag = uniq("导出范围")
    make_staff(app, login, 7, tag)
    with param(app, "export.sync_rows", 0):
        resp = login("ent_b").get(f"/staff/export/?{search_args(tag)}")
        assert resp.status_code == 200
        assert len(rows_of(load(resp).worksheets[0])) == 1
        # ent_a's own export of it is a task (more rows than the parameter).
        assert login("ent_a").get(f"/staff/export/?{search_args(tag)}").status_code == 302


def test_the_same_click_twice_gives_one_task_and_a_cap_holds(app, login):
    tag = uniq("导出重复")
    make_staff(app, login, 3, tag)
    client = login("ent_a")
    with config(app, "TASKS_RUN", "worker"), param(app, "export.sync_rows", 0), param(app, "tasks.max_active", 2):
        # Nothing runs them here: they stay queued.
        first = task_id_of(client.get(f"/staff/export/?{search_args(tag)}"))
        assert task_id_of(client.get(f"/staff/export/?{search_args(tag)}")) == first
        second = task_id_of(client.get(f"/staff/export/?{search_args(tag)}&psize_StaffView=50"))
        assert second != first
        refused = client.get(f"/staff/export/?{search_args(tag)}&psize_StaffView=100", follow_redirects=True)
        assert "已有 2 个导出或导入在排队或进行中" in refused.get_data(as_text=True)
        # 取消 on the task's page: a queued task ends at once.
        page = f"/tasks/show/{first}"
        resp = client.form(f"/tasks/cancel/{first}", {}, get_url=page)
        assert resp.status_code == 302
        assert task_of(app, first).state == TaskState.CANCELLED
        client.form(f"/tasks/cancel/{second}", {}, get_url=f"/tasks/show/{second}")
        assert task_of(app, second).state == TaskState.CANCELLED


def test_two_workers_claiming_one_task_run_it_once(app, login):
    tag = uniq("导出并发")
    make_staff(app, login, 4, tag)
    client = login("ent_a")
    with config(app, "TASKS_RUN", "worker"), param(app, "export.sync_rows", 0):
        pk = task_id_of(client.get(f"/staff/export/?{search_args(tag)}"))
    assert task_of(app, pk).state == TaskState.QUEUED
    results = []
    barrier = threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                results.append(tasks.run_task(pk))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [False, True]
    task = task_of(app, pk)
    assert task.state == TaskState.DONE and task.row_count == 4
    assert scalar(app, select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "export", AuditLog.summary.contains(tag))) == 1


def test_cancel_while_running_keeps_nothing(app, login):
    tag = uniq("导出取消")
    make_staff(app, login, 5, tag)
    client = login("ent_a")
    with config(app, "TASKS_RUN", "worker"), param(app, "export.sync_rows", 0):
        pk = task_id_of(client.get(f"/staff/export/?{search_args(tag)}"))
    with app.app_context():
        # The owner asked to cancel as it started: its first progress report sees it.
        db.session.execute(text("UPDATE anju_task SET cancel_requested = :t WHERE id = :i"), {"t": True, "i": pk})
        db.session.commit()
        assert tasks.run_task(pk) is True
        owner_files = [f for f in os.listdir(tasks.file_dir()) if f.endswith(".part")]
    task = task_of(app, pk)
    assert task.state == TaskState.CANCELLED and task.file_token is None and not owner_files
    assert client.get(f"/tasks/download/{pk}").status_code == 302


def test_expired_files_are_purged_and_no_longer_served(app, login):
    tag = uniq("导出过期")
    make_staff(app, login, 3, tag)
    client = login("ent_a")
    with param(app, "export.sync_rows", 0):
        pk = task_id_of(client.get(f"/staff/export/?{search_args(tag)}"))
    with app.app_context():
        task = db.session.get(Task, pk)
        path = tasks.file_path(task)
        assert os.path.exists(path)
        task.expires_at = datetime.now() - timedelta(minutes=1)
        db.session.commit()
    resp = client.get(f"/tasks/download/{pk}", follow_redirects=True)
    assert "不再保留" in resp.get_data(as_text=True)
    from app.core.jobs import task_files

    with app.app_context():
        assert "task_files_removed=" in task_files()
    task = task_of(app, pk)
    assert task.state == TaskState.EXPIRED and task.file_token is None and not os.path.exists(path)


def test_a_stale_running_task_is_failed_with_a_reason(app):
    with app.app_context():
        owner = db.session.execute(text("SELECT id FROM ab_user WHERE username = 'ent_a'")).scalar()
        task = Task(kind="export", title="stale", source="StaffView", params={}, owner_id=owner,
                    state=TaskState.RUNNING, phase="exporting", done=1, total=2,
                    created_at=datetime.now() - timedelta(hours=1), started_at=datetime.now() - timedelta(hours=1),
                    updated_at=datetime.now() - timedelta(minutes=30), cancel_requested=False)
        db.session.add(task)
        db.session.commit()
        pk = task.id
        assert tasks.fail_stale() >= 1
    task = task_of(app, pk)
    assert task.state == TaskState.FAILED and "重新" in task.message


# --- import --------------------------------------------------------------------------------------

@contextlib.contextmanager
def phases_seen():
    """The phases a background task reports to its progress listener, in order."""
    seen = []
    original = tasks._Listener.__call__

    def spy(self, phase, done, total):
        seen.append(phase)
        return original(self, phase, done, total)

    tasks._Listener.__call__ = spy
    try:
        yield seen
    finally:
        tasks._Listener.__call__ = original


def test_a_large_upload_is_imported_in_the_background_with_its_phases(app, login):
    tag = uniq("后台导入")
    client = login("ent_a")
    with phases_seen() as seen, param(app, "import.background_kb", 1):
        resp = upload(client, staff_rows(tag, 30), "big.xlsx")
    pk = task_id_of(resp)
    task = task_of(app, pk)
    assert task.state == TaskState.DONE, task.message
    assert task.row_count == 30 and "30" in task.message
    assert "checking" in seen and "writing" in seen and seen.index("checking") < seen.index("writing")
    assert scalar(app, select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))) == 30
    page = client.get(f"/tasks/show/{pk}").get_data(as_text=True)
    assert "已完成" in page and "big.xlsx" in page
    with app.app_context():
        assert not [f for f in os.listdir(tasks.file_dir()) if f.endswith(".upload")]   # not kept


def test_progress_never_waits_for_the_write_lock_its_own_import_holds(app, login, caplog):
    """On SQLite the import takes the database's only write lock before its database checks and
    keeps it until the commit: a progress update on another connection would wait out the busy
    timeout (30 s) and fail. The listener stores nothing while its task's transaction writes."""
    tag = uniq("后台锁")
    client = login("ent_a")
    stored = []
    original = tasks._Listener.flush

    def spy(self):
        stored.append((self.phase, tasks._holds_sqlite_write_lock()))
        return original(self)

    tasks._Listener.flush = spy
    try:
        with param(app, "import.background_kb", 1), caplog.at_level("WARNING", logger=tasks.log.name):
            resp = upload(client, staff_rows(tag, 40), "lock.xlsx")
    finally:
        tasks._Listener.flush = original
    task = task_of(app, task_id_of(resp))
    assert task.state == TaskState.DONE, task.message
    assert stored and not [s for s in stored if s[1]], stored
    assert "progress not stored" not in caplog.text
    assert scalar(app, select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))) == 40


def test_a_background_import_with_problems_keeps_nothing_and_gives_the_error_workbook(app, login):
    tag = uniq("后台错")
    rows = staff_rows(tag, 20)
    rows[7][2] = "110101199001011234"   # a wrong check digit
    client = login("ent_a")
    with param(app, "import.background_kb", 1):
        pk = task_id_of(upload(client, rows, "bad.xlsx"))
    task = task_of(app, pk)
    assert task.state == TaskState.FAILED and "未导入" in task.message
    assert scalar(app, select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))) == 0
    page = client.get(f"/tasks/show/{pk}").get_data(as_text=True)
    assert "身份证" in page and "/staff/import-errors/" in page
    token = re.search(r"/staff/import-errors/(\w+)", page).group(1)
    assert load(client.get(f"/staff/import-errors/{token}")).worksheets[0].max_row >= 21
    assert login("ent_b").get(f"/tasks/show/{pk}").status_code == 404


def test_an_import_that_fails_while_writing_leaves_nothing(app, login):
    tag = uniq("后台写失败")
    client = login("ent_a")
    from app.property.staff import views as staff_views

    original = staff_views.StaffView.import_rows

    def failing(self, rows):
        assert original(self, rows) == 25
        raise RuntimeError("disk full")

    staff_views.StaffView.import_rows = failing
    try:
        with param(app, "import.background_kb", 1):
            resp = upload(client, staff_rows(tag, 25), "w.xlsx")
    finally:
        staff_views.StaffView.import_rows = original
    task = task_of(app, task_id_of(resp))
    assert task.state == TaskState.FAILED and "未导入" in task.message and "disk" not in task.message
    assert scalar(app, select(func.count()).select_from(Staff).where(Staff.name.startswith(tag))) == 0


def test_progress_checkpoint_cancels_only_before_writing():
    calls = []

    def listener(phase, done, total):
        calls.append((phase, done, total))
        return True

    with progress.listening(listener):
        with pytest.raises(progress.Cancelled):
            progress.checkpoint("checking", 10, 100)
        progress.checkpoint("writing", 5, 100)       # never cut short
    assert calls == [("checking", 10, 100), ("writing", 5, 100)]
    progress.checkpoint("checking", 1, 2)             # nobody listens: nothing happens
