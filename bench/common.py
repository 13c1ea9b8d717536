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
