"""Child process of the registry-import benchmark: start the app (as bench/accounts.py
makes it), log in as admin, POST the .xlsx to /realnameregistryview/import/ and report
the time, what the page says, memory (VmRSS after start-up, VmHWM reset after start-up
and read at the end) and where the time went, as JSON.

Run by bench/accounts.py (python bench/import_child.py BENCH_DIR XLSX OUT_JSON LABEL
[PROFILE_TXT]); a separate process so that its memory is the import's alone. With
PROFILE_TXT the POST runs under pyinstrument (installed by hand, not a requirement) and
the profile is written there; the timings then include the profiler's overhead.

The phases are measured by wrapping, in this process only, the functions the view calls
(app.core.xlsx.read_import, the view's validate_import and import_rows) and by session
and engine events; the app's code is not changed.
"""
import gc
import html as htmlmod
import io
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import accounts  # noqa: E402
import common  # noqa: E402

URL = "/realnameregistryview/import/"


def instrument(app):
    """Timestamps around the view's steps and SQL time by statement kind."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.accounts.views import RealnameRegistryView
    from app.core import xlsx
    from app.extensions import db

    marks = {}
    sql = {"select_s": 0.0, "insert_s": 0.0, "update_s": 0.0, "other_s": 0.0, "statements": 0}

    def wrap(owner, name, key):
        original = getattr(owner, name)

        def wrapper(*a, **kw):
            marks[key + "_start"] = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                marks[key + "_end"] = time.perf_counter()

        setattr(owner, name, wrapper)

    wrap(xlsx, "read_import", "read_import")
    wrap(RealnameRegistryView, "validate_import", "validate_import")
    wrap(RealnameRegistryView, "import_rows", "import_rows")

    @event.listens_for(Session, "after_commit")
    def after_commit(session):
        marks["commit_end"] = time.perf_counter()

    with app.app_context():
        engine = db.engine
    starts = {}

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, executemany):
        starts[id(cursor)] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, executemany):
        t0 = starts.pop(id(cursor), None)
        if t0 is None:
            return
        kind = statement.lstrip().split(None, 1)[0].lower()
        sql[f"{kind}_s" if kind in ("select", "insert", "update") else "other_s"] += time.perf_counter() - t0
        sql["statements"] += 1

    return marks, sql


def phases(marks, t0, t1):
    g = marks.get
    out = {}
    if g("read_import_start"):
        out["multipart"] = g("read_import_start") - t0  # body, parsing, auth, upload.read()
        out["read_import"] = g("read_import_end") - g("read_import_start")
    if g("validate_import_start"):
        out["validate_import"] = g("validate_import_end") - g("validate_import_start")
    if g("import_rows_start"):
        out["import_rows"] = g("import_rows_end") - g("import_rows_start")
    if g("commit_end") and g("import_rows_end") and g("commit_end") > g("import_rows_end"):
        out["commit"] = g("commit_end") - g("import_rows_end")  # the audit entry and COMMIT
    last = max((v for k, v in marks.items() if k.endswith("_end")), default=t0)
    out["rest"] = t1 - last  # the page and the response
    return {k: round(v, 3) for k, v in out.items()}


def parse_page(text):
    ok = re.search(r'id="anju-import-ok"[^>]*>(.*?)</div>', text, re.S)
    message = htmlmod.unescape(ok.group(1)).strip() if ok else None
    imported = int(re.sub(r"[^\d]", "", message) or 0) if message else None
    alerts = [re.sub(r"<[^>]+>|\s+", " ", htmlmod.unescape(m)).strip()
              for m in re.findall(r'class="alert alert-[a-z]+[^"]*"[^>]*>(.*?)</div>', text, re.S)]
    errors = len(re.findall(r"<tr><td>", text.split('id="anju-import-errors"', 1)[1])) \
        if 'id="anju-import-errors"' in text else 0
    return message, imported, alerts, errors


def main(bench_dir, xlsx_path, json_path, label, profile_path=None):
    t_start = time.perf_counter()
    app = accounts.make_app(bench_dir)
    client = accounts.login(app)
    token = common.csrf_token(client.get(URL).get_data(as_text=True))
    marks, sql = instrument(app)
    with open(xlsx_path, "rb") as fh:
        data = fh.read()
    gc.collect()
    startup = common.proc_status()
    startup_s = time.perf_counter() - t_start
    hwm_reset = False
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        hwm_reset = common.proc_status().get("VmHWM", 0) < startup.get("VmHWM", 0) or \
            startup.get("VmHWM") == startup.get("VmRSS")
    except OSError:
        pass
    samples = []
    stop = threading.Event()

    def sampler():
        while not stop.wait(0.25):
            samples.append(common.proc_status().get("VmRSS", 0))

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    profiler = None
    if profile_path:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    t0 = time.perf_counter()
    resp = client.post(URL, data={"csrf_token": token, "file": (io.BytesIO(data), "registry.xlsx")},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    t1 = time.perf_counter()
    if profiler is not None:
        profiler.stop()
        with open(profile_path, "w") as fh:
            fh.write(profiler.output_text(unicode=True, color=False))
    stop.set()
    th.join()
    end = common.proc_status()
    message, imported, alerts, errors = parse_page(text)
    result = {
        "label": label,
        "status": resp.status_code,
        "seconds": t1 - t0,
        "message": message or (alerts[0] if alerts else f"HTTP {resp.status_code}"),
        "imported": imported,
        "page_alerts": alerts,
        "error_rows_listed": errors,
        "startup_s": startup_s,
        "baseline_rss_kb": startup.get("VmRSS"),
        "startup_hwm_kb": startup.get("VmHWM"),
        "hwm_reset_after_startup": hwm_reset,
        "peak_kb": end.get("VmHWM") if hwm_reset else max(end.get("VmHWM", 0), startup.get("VmHWM", 0)),
        "end_rss_kb": end.get("VmRSS"),
        "max_sampled_rss_kb": max(samples) if samples else None,
        "phases": phases(marks, t0, t1),
        "sql": {k: round(v, 3) if isinstance(v, float) else v for k, v in sql.items()},
        "profile": profile_path,
    }
    with open(json_path, "w") as fh:
        json.dump(result, fh, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
