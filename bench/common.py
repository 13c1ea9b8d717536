"""Shared pieces of the benchmark: the scratch app, logging in, the stock FAB view."""
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DEMO_PASSWORD = "Anju@2026"
DB_NAME = "bench.db"


def db_url(bench_dir):
    return "sqlite:///" + os.path.join(bench_dir, DB_NAME)


def make_app(bench_dir, with_stock_view=False):
    """The real app (production Config, not TestConfig) on the scratch database.

    When ``with_stock_view`` is set, a plain FAB ModelView over the audit log is
    registered on this app instance (before any request) for the comparison.
    """
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI=db_url(bench_dir),
                     DEMO_PASSWORD=DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None)
    app.instance_path = bench_dir
    if with_stock_view:
        with app.app_context():
            app.appbuilder.add_view_no_menu(stock_view_class())
    return app


_STOCK = None


def stock_view_class():
    """``StockAuditView``: FAB's own ModelView + SQLAInterface, configured like AuditLogView."""
    global _STOCK
    if _STOCK is not None:
        return _STOCK
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.audit import AuditLog
    from app.system.views import AuditLogView

    class StockAuditView(ModelView):
        datamodel = SQLAInterface(AuditLog)
        list_columns = list(AuditLogView.list_columns)
        search_columns = list(AuditLogView.search_columns)
        show_columns = list(AuditLogView.show_columns)
        label_columns = dict(AuditLogView.label_columns)
        base_order = AuditLogView.base_order
        page_size = AuditLogView.page_size
        base_permissions = ["can_list", "can_show"]

    _STOCK = StockAuditView
    return _STOCK


def prepare_database(app):
    """Migrate, sync roles (after the stock view is registered) and seed, like tests/conftest.py."""
    from flask_migrate import upgrade

    from app.cli import load_demo, load_reference, sync_roles

    with app.app_context():
        upgrade()
        sync_roles()
        load_reference()
        load_demo(DEMO_PASSWORD)


def csrf_token(html):
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not m:
        raise RuntimeError("no CSRF token on the login page")
    return m.group(1)


def login(app, username="admin", password=DEMO_PASSWORD):
    """A Flask test client logged in as ``username``."""
    client = app.test_client()
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    resp = client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": token})
    if resp.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {resp.status_code}")
    # One authenticated page proves the session cookie works.
    home = client.get("/")
    if home.status_code != 200:
        raise RuntimeError(f"home page after login answered HTTP {home.status_code}")
    return client


COUNT_CAP = 10_000   # parameter list.count_cap's default: our lists count up to it, then say "N+"


def count_agrees(ours, bare, cap=COUNT_CAP):
    """Our list's count against the bare COUNT(*): equal, or the cap when there are more rows."""
    return ours == bare or (ours == cap and bare is not None and bare > cap)


def proc_status():
    """{'VmRSS': kB, 'VmHWM': kB} of this process (Linux)."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


class Progress:
    """Timestamped progress lines (flushed, so `make bench` shows them live)."""

    def __init__(self):
        self.t0 = time.perf_counter()

    def __call__(self, msg):
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}", flush=True)


def reset_peak():
    """Reset the kernel's high-water mark of this process (Linux >= 4.0: writing 5 to
    /proc/self/clear_refs), so that VmHWM read later is the peak from now on. True when it
    worked."""
    before = proc_status()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    after = proc_status()
    return after.get("VmHWM", 0) < before.get("VmHWM", 0) or after.get("VmHWM") == after.get("VmRSS")


TASK_ACTIVE = ("queued", "running")
_TASK_RE = re.compile(r"/tasks/show/(\d+)")


def export_through_task(client, url, out_path, poll_s=None, on_poll=None, chunk_log=None):
    """导出 as the user clicks it, and the file as the user gets it.

    GET ``url`` (a list's ``/export/`` with its filters). A small export (at most the
    parameter ``export.sync_rows``) answers 200 with the workbook: it is streamed to
    ``out_path``. A larger one answers 302 to ``/tasks/show/<id>`` (a background task,
    app/core/lists/export_import.py): with ``poll_s`` the task's ``/tasks/status/<id>`` is asked every
    ``poll_s`` seconds, as the progress page does, until it has ended (``on_poll(status, t)``
    sees each answer); without it the task must already have ended (``TASKS_RUN="inline"``
    runs it inside the click's request). Then ``GET /tasks/download/<id>`` is streamed to
    ``out_path``.

    Returns a dict: ``status`` (HTTP status of the file's response, or of the click when it
    did not lead to one), ``mode`` ("direct" or "task"), ``task_id``, ``task`` (its last
    status JSON), ``click_s`` (the click's request), ``wait_s`` (polling), ``download_s``,
    ``seconds`` (click to the file on disk), ``ttfb_s`` (click to the file's first byte),
    ``bytes``, ``content_type``, ``content_disposition``, ``polls`` ([{t, request_s, state,
    phase, done, total}]) and ``error`` when something went wrong.
    """
    out = {"url": url, "mode": "direct", "task_id": None, "task": None, "polls": [], "bytes": 0,
           "ttfb_s": None, "wait_s": 0.0, "download_s": None, "error": None}
    t0 = time.perf_counter()
    resp = client.get(url, buffered=False)
    out["click_s"] = time.perf_counter() - t0
    out["click_status"] = resp.status_code
    if resp.status_code in (301, 302, 303):
        location = resp.headers.get("Location", "")
        resp.close()
        m = _TASK_RE.search(location)
        if not m:
            out.update(status=resp.status_code, seconds=time.perf_counter() - t0,
                       error=f"the export redirected to {location!r}, not to a task")
            return out
        task_id = int(m.group(1))
        out.update(mode="task", task_id=task_id)
        t_wait = time.perf_counter()
        status = client.get(f"/tasks/status/{task_id}").get_json()
        if poll_s:
            while status is not None and status.get("state") in TASK_ACTIVE:
                time.sleep(poll_s)
                tp = time.perf_counter()
                r = client.get(f"/tasks/status/{task_id}")
                status = r.get_json() if r.status_code == 200 else None
                t = time.perf_counter()
                entry = {"t": t - t0, "request_s": t - tp, "http": r.status_code}
                if status:
                    entry.update({k: status.get(k) for k in ("state", "phase", "done", "total", "percent")})
                out["polls"].append(entry)
                if on_poll:
                    on_poll(status, t - t0)
        out["wait_s"] = time.perf_counter() - t_wait
        out["task"] = status
        if not status or status.get("state") != "done":
            out.update(status=None, seconds=time.perf_counter() - t0,
                       error=f"task {task_id} ended {status and status.get('state')}: "
                             f"{status and status.get('message')}")
            return out
        t_dl = time.perf_counter()
        resp = client.get(f"/tasks/download/{task_id}", buffered=False)
    else:
        t_dl = t0
    out["status"] = resp.status_code
    out["content_type"] = resp.headers.get("Content-Type")
    out["content_disposition"] = resp.headers.get("Content-Disposition")
    if resp.status_code != 200:
        out["error"] = f"HTTP {resp.status_code} {resp.headers.get('Location', '')}".strip()
        resp.close()
        out["seconds"] = time.perf_counter() - t0
        return out
    written = 0
    last = time.perf_counter()
    try:
        with open(out_path, "wb") as fh:
            for chunk in resp.response:
                if out["ttfb_s"] is None:
                    out["ttfb_s"] = time.perf_counter() - t0
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                fh.write(chunk)
                written += len(chunk)
                if chunk_log is not None and time.perf_counter() - last > 15:
                    last = time.perf_counter()
                    chunk_log(written, last - t0)
    finally:
        resp.close()
    end = time.perf_counter()
    out.update(bytes=written, seconds=end - t0, download_s=end - t_dl)
    return out
