"""Part 13 (issue 17): 导出 of a whole list at city scale, as the user gets it, against the floor.

    BENCH_ONLY=exports .venv/bin/python bench/run.py                   # through run.py
    BENCH_DIR=/tmp/cb BENCH_REUSE=1 .venv/bin/python bench/exports.py   # on a kept complaints database
    EXPORT_ROWS=50000 BENCH_DIR=/tmp/ex BENCH_REUSE=1 .venv/bin/python bench/exports.py   # quick

The complaints benchmark's database (bench/complaints.py: its generator and its build, imported;
EXPORT_ROWS complaints, default 1,000,000). With BENCH_REUSE=1 (or when run.py runs it after
part 5) a ``complaints.db`` already in BENCH_DIR is used as it is (migrations upgraded, roles
synced; its rows are never regenerated, and EXPORT_ROWS, when given, must match it); else
bench/complaints.py's build() makes it (and with BENCH_REUSE=1 keeps its pristine copy).

Each measurement runs in a child process of its own (``exports.py --child MODE ...``): the
app (production config.Config), admin signed in through /login/, then the kernel's VmHWM reset
(/proc/self/clear_refs), so the peak read at the end is the export's own:

* **ours, inline**: GET /complaints/export/ (every complaint, admin's full view) with
  ``TASKS_RUN="inline"``: the task runs inside the click, which answers 302 to /tasks/show/<id>;
  then GET /tasks/download/<id> streamed to a file. Rows/s = rows / seconds from the click to
  the file on disk. A sampler thread in the same child reads the task row (``SELECT phase,
  done, total, updated_at FROM anju_task WHERE id = (SELECT max(id) FROM anju_task)``) every
  0.2 s on its own sqlite3 connection and records each change: the progress cadence is the
  largest gap between two successive updates seen (goal <= 1 s) and their number.
* **ours, thread**: the same click with ``TASKS_RUN="thread"`` (the default: a thread of the web
  process runs the task) and the progress page's way of following it, GET /tasks/status/<id>
  through the test client every EXPORT_POLL_S (1) seconds until it has ended, then the download.
  Reported: the same figures (the sampler too), and what the user sees: polls, polls that saw
  no new figure while the task ran, the largest gap between new figures on the page, the
  slowest status request.
* **floor**: plain xlsxwriter ``constant_memory`` + ``write_row`` of the same rows and columns
  (a Core select with the same joins: area, district, street and company names, content, status
  label, remaining time as text, submitted_at, number, kind label, name, mobile, ID number; same
  order), same child setup.

Goals (MISSED when missed): ours >= 15,000 rows/s, peak added memory < 100 MB, progress gap
<= 1 s; and the ratio ours / floor. Every file is checked: header + every row (byte scan,
bench/xlsxcheck.py count_rows_fast) and the first rows' cells against the database.

Environment: EXPORT_ROWS (1000000), EXPORT_MODES (inline,thread,floor), EXPORT_POLL_S (1),
EXPORT_TIMEOUT (3600 s a child), BENCH_DIR, BENCH_REUSE, BENCH_KEEP as in run.py.
Results: the printed table and the "exports" key of bench/out/results.json.
"""
import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

ROWS = int(os.environ.get("EXPORT_ROWS", "1000000"))
ROWS_GIVEN = "EXPORT_ROWS" in os.environ
MODES = [m.strip() for m in os.environ.get("EXPORT_MODES", "inline,thread,floor").split(",") if m.strip()]
POLL_S = float(os.environ.get("EXPORT_POLL_S", "1"))
SAMPLE_S = 0.2
TIMEOUT = int(os.environ.get("EXPORT_TIMEOUT", "3600"))
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
FROM_RUN = os.environ.get("BENCH_FROM_RUN") == "1"
OUT_DIR = os.path.join(HERE, "out")
URL = "/complaints/export/"
GOAL_RATE = 15_000
GOAL_MB = 100
GOAL_GAP_S = 1.0
CHECK_ROWS = 5
EXCEL_EPOCH = datetime(1899, 12, 30)


def _complaints():
    import complaints as complaints_bench  # bench/complaints.py: its generator, build and app

    return complaints_bench


# --- the database -----------------------------------------------------------------------------

def prepare(bench_dir):
    """The complaints database in ``bench_dir``: reused as it is, or made by bench/complaints.py."""
    cb = _complaints()
    path = cb.db_file(bench_dir)
    if os.path.exists(path) and (REUSE or FROM_RUN):
        conn = sqlite3.connect(path)
        try:
            n = conn.execute("SELECT COUNT(*) FROM anju_complaint").fetchone()[0]
        finally:
            conn.close()
        if ROWS_GIVEN and n != ROWS:
            raise SystemExit(f"{path} holds {n:,} complaints, EXPORT_ROWS={ROWS:,}: use another BENCH_DIR "
                             f"(this one is never regenerated while reused)")
        from flask_migrate import upgrade

        from app.cli import sync_roles

        t0 = time.perf_counter()
        app = cb.make_app(bench_dir)
        with app.app_context():
            upgrade()
            sync_roles()
        log(f"reusing {path}: {n:,} complaints (migrations upgraded, roles synced, "
            f"{time.perf_counter() - t0:.1f}s)")
        return {"complaints": n, "reused": True}
    cb.N = ROWS
    cb.REUSE = REUSE
    _app, st = cb.build(bench_dir)
    return {"complaints": st["rows"], "reused": bool(st.get("reused")), "generation_rows_per_s": st.get("rows_per_s")}


def end_leftover_tasks(path):
    """Tasks left queued or running by an interrupted earlier run would answer the same click
    (the same dedupe key) and count against tasks.max_active: end them."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        n = conn.execute("UPDATE anju_task SET state = 'failed', message = 'ended by bench/exports.py' "
                         "WHERE state IN ('queued', 'running')").rowcount
        conn.commit()
    finally:
        conn.close()
    return n


# --- the child ----------------------------------------------------------------------------------

class TaskSampler(threading.Thread):
    """Reads the newest anju_task row every SAMPLE_S on a sqlite3 connection of its own and keeps
    each change of (state, phase, done, total) of a task newer than ``after_id``."""

    def __init__(self, path, after_id, t0_box):
        super().__init__(daemon=True)
        self.path, self.after_id, self.t0_box = path, after_id, t0_box
        self.changes = []
        self.reads = 0
        self.errors = 0
        self.stop = threading.Event()

    def read(self, conn):
        row = conn.execute("SELECT id, state, phase, done, total, updated_at FROM anju_task "
                           "WHERE id = (SELECT max(id) FROM anju_task)").fetchone()
        self.reads += 1
        if row is None or row[0] <= self.after_id:
            return
        key = row[1:5]
        if not self.changes or self.changes[-1]["key"] != key:
            self.changes.append({"t": time.perf_counter() - self.t0_box[0], "key": key, "id": row[0],
                                 "state": row[1], "phase": row[2], "done": row[3], "total": row[4],
                                 "updated_at": row[5]})

    def run(self):
        conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
        try:
            while True:
                try:
                    self.read(conn)
                except sqlite3.Error:
                    self.errors += 1
                if self.stop.wait(SAMPLE_S):
                    break
            try:
                self.read(conn)     # the final state
            except sqlite3.Error:
                self.errors += 1
        finally:
            conn.close()


def cadence(changes):
    """Progress updates seen between the task's start (first row seen running) and its end."""
    run = [c for c in changes if c["state"] == "running" or c["state"] == "done"]
    if not run:
        return {"updates": 0, "max_gap_s": None}
    times = [c["t"] for c in run]
    gaps = [b - a for a, b in zip(times, times[1:])]
    worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
    stamps = sorted({c["updated_at"] for c in run if c["updated_at"]})
    parsed = [datetime.fromisoformat(s) for s in stamps]
    row_gaps = [(b - a).total_seconds() for a, b in zip(parsed, parsed[1:])]
    return {
        "updates": len(run), "max_gap_s": max(gaps) if gaps else None,
        "max_gap_between": ([_brief(run[worst]), _brief(run[worst + 1])] if worst is not None else None),
        "first_update_s": times[0], "last_update_s": times[-1],
        "updated_at_values": len(stamps), "max_updated_at_gap_s": max(row_gaps) if row_gaps else None,
    }


def _brief(c):
    return {"t": round(c["t"], 2), "state": c["state"], "phase": c["phase"], "done": c["done"], "total": c["total"]}


def page_view(polls):
    """What the progress page showed: polls while the task ran, those that showed nothing new,
    the largest gap between two new figures."""
    seen = []
    stale = 0
    last = None
    for p in polls:
        key = (p.get("state"), p.get("phase"), p.get("done"))
        if key != last:
            seen.append(p["t"])
        elif p.get("state") in common.TASK_ACTIVE:
            stale += 1
        last = key
    gaps = [b - a for a, b in zip(seen, seen[1:])]
    return {"polls": len(polls), "new_figures": len(seen), "stale_polls": stale,
            "max_gap_s": max(gaps) if gaps else None,
            "slowest_status_s": max((p["request_s"] for p in polls), default=None)}


def floor_export(app, out_path):
    """Plain xlsxwriter constant_memory of the same rows and columns (Core select, same joins,
    same order), the way the issue names the floor."""
    import xlsxwriter
    from sqlalchemy import select

    from app.complaints import services
    from app.complaints.models import Complaint, remaining_time
    from app.complaints.views import ComplaintView
    from app.extensions import db
    from app.property.models import PropertyArea
    from app.system.models import Organization, Region

    c = Complaint.__table__
    area = PropertyArea.__table__.alias("area")
    org = Organization.__table__.alias("org")
    dist = Region.__table__.alias("dist")
    street = Region.__table__.alias("street")
    stmt = (select(area.c.name, dist.c.name, street.c.name, c.c.content, org.c.name, c.c.status, c.c.stage,
                   c.c.due_at, c.c.submitted_at, c.c.number, c.c.kind, c.c.name, c.c.mobile, c.c.id_number)
            .select_from(c.outerjoin(area, area.c.id == c.c.area_id).outerjoin(org, org.c.id == c.c.org_id)
                         .join(dist, dist.c.code == c.c.district_code)
                         .outerjoin(street, street.c.code == c.c.street_code))
            .order_by(c.c.submitted_at.desc()))
    labels = ComplaintView.label_columns
    keys = ["area", "district", "street", "content", "org", "status", "remaining_time", "submitted_at", "number",
            "kind", "name", "mobile", "id_number"]
    header = [str(labels[k]) for k in keys]
    status_labels = {k: str(v) for k, v in services.STATUS_LABELS.items()}
    kind_labels = {k: str(v) for k, v in services.KIND_LABELS.items()}
    wb = xlsxwriter.Workbook(out_path, {"constant_memory": True,
                                        "default_date_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("floor")
    ws.write_row(0, 0, header)
    n = 0
    with db.engine.connect() as conn:
        result = conn.execution_options(yield_per=2000).execute(stmt)
        for (a, d, s, content, o, status, stage, due, submitted, number, kind, name, mobile,
             id_number) in result:
            n += 1
            ws.write_row(n, 0, (a, d, s, content, o, status_labels.get(status, status),
                                remaining_time(stage, due), submitted, number, kind_labels.get(kind, kind),
                                name, mobile, id_number))
    wb.close()
    return n


def child(mode, bench_dir, out_path, json_path):
    cb = _complaints()
    t_start = time.perf_counter()
    app = cb.make_app(bench_dir)
    if mode in ("inline", "thread"):
        app.config["TASKS_RUN"] = mode
    client = cb.login(app, "admin")
    path = cb.db_file(bench_dir)
    conn = sqlite3.connect(path, timeout=30)
    after_id = conn.execute("SELECT COALESCE(max(id), 0) FROM anju_task").fetchone()[0]
    conn.close()
    gc.collect()
    startup = common.proc_status()
    startup_s = time.perf_counter() - t_start
    hwm_reset = common.reset_peak()
    samples = []
    stop = threading.Event()

    def rss_sampler():
        while not stop.wait(0.25):
            samples.append(common.proc_status().get("VmRSS", 0))

    rss = threading.Thread(target=rss_sampler, daemon=True)
    rss.start()
    t0_box = [time.perf_counter()]
    sampler = TaskSampler(path, after_id, t0_box) if mode != "floor" else None
    res = {"mode": mode, "startup_s": startup_s}
    cpu0 = time.process_time()
    if mode == "floor":
        with app.test_request_context("/"):
            t0 = time.perf_counter()
            rows = floor_export(app, out_path)
            res.update(seconds=time.perf_counter() - t0, rows=rows, status=200, bytes=os.path.getsize(out_path))
    else:
        sampler.start()
        t0_box[0] = time.perf_counter()

        def chunk_log(written, elapsed):
            print(f"    download: {written / 1e6:,.1f} MB after {elapsed:,.0f}s", flush=True)

        def on_poll(status, t):
            if status and int(t) % 15 == 0:
                print(f"    [{t:5.1f}s] /tasks/status: {status.get('phase')} {status.get('done'):,} of "
                      f"{status.get('total') or 0:,}", flush=True)

        got = common.export_through_task(client, URL, out_path, poll_s=POLL_S if mode == "thread" else None,
                                         on_poll=on_poll, chunk_log=chunk_log)
        sampler.stop.set()
        sampler.join()
        task = got["task"] or {}
        res.update({k: got[k] for k in ("status", "mode", "task_id", "error", "bytes", "seconds", "click_s",
                                         "wait_s", "download_s", "ttfb_s", "content_disposition")})
        res["export_mode"] = res.pop("mode")
        res["mode"] = mode
        res["rows"] = task.get("row_count")
        res["task"] = task
        res["cadence"] = cadence(sampler.changes)
        res["sampler"] = {"reads": sampler.reads, "errors": sampler.errors,
                          "changes": [_brief(c) for c in sampler.changes][:400]}
        if mode == "thread":
            res["page"] = page_view(got["polls"])
            res["polls"] = got["polls"][:400]
    res["cpu_s"] = time.process_time() - cpu0
    stop.set()
    rss.join()
    end = common.proc_status()
    res.update({
        "baseline_rss_kb": startup.get("VmRSS"), "startup_hwm_kb": startup.get("VmHWM"),
        "end_rss_kb": end.get("VmRSS"), "hwm_reset_after_startup": hwm_reset,
        "export_hwm_kb": end.get("VmHWM"), "max_sampled_rss_kb": max(samples) if samples else None,
    })
    peak = end.get("VmHWM", 0) if hwm_reset else max(end.get("VmHWM", 0), startup.get("VmHWM", 0))
    res["added_mb"] = (peak - startup.get("VmRSS", 0)) / 1024
    with open(json_path, "w") as fh:
        json.dump(res, fh, default=str)


# --- checking the files -------------------------------------------------------------------------

def first_rows(path, n):
    """The first ``n`` rows of the first sheet (values as text or numbers), streamed and stopped
    early (inline or shared strings)."""
    import xml.etree.ElementTree as ET

    import xlsxcheck

    ns = xlsxcheck.NS_MAIN
    rows = []
    with zipfile.ZipFile(path) as zf:
        sheet = xlsxcheck._first_sheet_path(zf)
        with zf.open(sheet) as fh:
            for _ev, el in ET.iterparse(fh, events=("end",)):
                if el.tag != f"{ns}row":
                    continue
                row = []
                for cell in el.findall(f"{ns}c"):
                    ref = cell.get("r")
                    col = 0
                    for ch in ref:
                        if ch.isalpha():
                            col = col * 26 + ord(ch) - 64
                    while len(row) < col - 1:
                        row.append(None)
                    t = cell.get("t")
                    if t == "inlineStr":
                        value = "".join(x.text or "" for x in cell.iter(f"{ns}t"))
                    else:
                        v = cell.find(f"{ns}v")
                        value = v.text if v is not None else None
                        if t == "s" and value is not None:
                            value = ("ref", int(value))
                        elif t in (None, "n") and value is not None:
                            value = float(value)
                    row.append(value)
                rows.append(row)
                el.clear()
                if len(rows) >= n:
                    break
        refs = [v[1] for r in rows for v in r if isinstance(v, tuple)]
        if refs:
            strings = xlsxcheck._shared_strings(zf, max(refs) + 1)
            rows = [[strings[v[1]] if isinstance(v, tuple) else v for v in r] for r in rows]
    return rows


def check_file(app, path, expected):
    """Header + every row, the first rows' cells against the database (by number), the first
    row the newest complaint."""
    import xlsxcheck
    from sqlalchemy import text

    from app.complaints import services
    from app.complaints.views import _content_short
    from app.extensions import db

    problems = []
    n = xlsxcheck.count_rows_fast(path)
    if n != expected + 1:
        problems.append(f"file has {n:,} rows, expected {expected + 1:,} (header + rows)")
    rows = first_rows(path, CHECK_ROWS + 1)
    checked = 0
    shortened = []
    with app.app_context(), app.test_request_context("/"):
        newest = db.session.execute(text("SELECT number FROM anju_complaint ORDER BY submitted_at DESC, id DESC "
                                         "LIMIT 1")).scalar()
        for i, row in enumerate(rows[1:], start=1):
            row = row + [None] * (13 - len(row))
            number = row[8]
            r = db.session.execute(text(
                "SELECT a.name AS area, d.name AS district, s.name AS street, c.content, o.name AS org, c.status, "
                "c.submitted_at, c.number, c.kind, c.name, c.mobile, c.id_number FROM anju_complaint c "
                "LEFT JOIN anju_property_area a ON a.id = c.area_id LEFT JOIN anju_org o ON o.id = c.org_id "
                "JOIN anju_region d ON d.code = c.district_code LEFT JOIN anju_region s ON s.code = c.street_code "
                "WHERE c.number = :n"), {"n": number}).mappings().first()
            if r is None:
                problems.append(f"row {i + 1}: number {number!r} is not in the database")
                continue
            want = {0: r["area"], 1: r["district"], 2: r["street"], 4: r["org"],
                    5: services.status_label(r["status"]), 8: r["number"], 9: services.kind_label(r["kind"]),
                    10: r["name"], 11: r["mobile"], 12: r["id_number"]}
            for col, value in want.items():
                if (row[col] or None) != (value or None):
                    problems.append(f"row {i + 1} column {col + 1}: {row[col]!r}, the database {value!r}")
            if row[3] not in (r["content"], _content_short(r["content"])):
                problems.append(f"row {i + 1} content: {row[3]!r}, the database {r['content']!r}")
            elif row[3] != r["content"]:
                shortened.append(i + 1)
            submitted = datetime.fromisoformat(str(r["submitted_at"]))
            serial = (submitted - EXCEL_EPOCH).total_seconds() / 86400
            if not isinstance(row[7], float) or abs(row[7] - serial) * 86400 > 1.0:
                problems.append(f"row {i + 1} submitted_at: {row[7]!r}, the database {submitted}")
            checked += 1
        if len(rows) > 1 and rows[1][8] != newest:
            problems.append(f"first row is {rows[1][8]!r}, the newest complaint is {newest!r}")
    if shortened:
        problems.append(f"内容 (content) is the list's shortened display (20 characters + …), not the full text "
                        f"(sheet rows {', '.join(map(str, shortened))}; {checked} rows checked)")
    return {"xlsx_rows": n, "cells_checked_rows": checked, "header": rows[0] if rows else None,
            "check": "ok" if not problems else "; ".join(dict.fromkeys(problems))}


# --- the parent ---------------------------------------------------------------------------------

def drop_task_file(bench_dir, task_id):
    """The task's kept file (app instance_path = BENCH_DIR, task-files/<owner>-<token>.xlsx) is
    deleted once checked, and the task marked expired as the purge would: a 1,000,000-row file is
    135 MB and every run would keep one for export.keep_hours."""
    path = _complaints().db_file(bench_dir)
    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute("SELECT owner_id, file_token FROM anju_task WHERE id = ?", (task_id,)).fetchone()
        if row and row[1]:
            f = os.path.join(bench_dir, "task-files", f"{row[0]}-{row[1]}.xlsx")
            if os.path.exists(f):
                os.remove(f)
            conn.execute("UPDATE anju_task SET file_token = NULL, state = 'expired' WHERE id = ?", (task_id,))
            conn.commit()
    finally:
        conn.close()


def run_child(mode, bench_dir):
    out_xlsx = os.path.join(bench_dir, f"exports-{mode}.xlsx")
    out_json = os.path.join(bench_dir, f"exports-{mode}.json")
    for p in (out_xlsx, out_json):
        if os.path.exists(p):
            os.remove(p)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode, bench_dir, out_xlsx, out_json],
                          timeout=TIMEOUT)
    if proc.returncode != 0 or not os.path.exists(out_json):
        return {"mode": mode, "error": f"child exited with {proc.returncode}"}, None
    with open(out_json) as fh:
        res = json.load(fh)
    res["child_wall_s"] = time.perf_counter() - t0
    return res, out_xlsx


def mb(v):
    return "-" if v is None else f"{v:,.0f}"


def print_table(res):
    rows = res["settings"]["complaints"]
    print()
    print(f"### Export of every complaint ({rows:,} rows, admin, /complaints/export/), each in a child process")
    print()
    print("| export | seconds (click to file) | rows/s | CPU s | peak added MB | progress updates | "
          "largest gap s | check |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    names = {"inline": "ours, TASKS_RUN=inline (task in the click) + download",
             "thread": f"ours, TASKS_RUN=thread, page polls every {POLL_S:g} s + download",
             "floor": "floor: xlsxwriter constant_memory, Core select"}
    for mode in MODES:
        r = res["runs"].get(mode)
        if r is None:
            continue
        if r.get("error") and not r.get("seconds"):
            print(f"| {names.get(mode, mode)} | | | | | | | FAILED: {r['error']} |")
            continue
        cad = r.get("cadence") or {}
        gap = cad.get("max_gap_s")
        print(f"| {names.get(mode, mode)} | {r['seconds']:,.1f} | {r['rows_per_s']:,.0f} | {r['cpu_s']:,.1f} | "
              f"{mb(r['added_mb'])} | {cad.get('updates', '-') if mode != 'floor' else '-'} | "
              f"{'-' if gap is None else f'{gap:.2f}'} | {r.get('check')} |")
    print()
    for mode in ("inline", "thread"):
        r = res["runs"].get(mode)
        if not r or not r.get("seconds"):
            continue
        cad = r.get("cadence") or {}
        print(f"- {mode}: click {r['click_s']:,.2f} s (302 to /tasks/show/{r['task_id']}), polling {r['wait_s']:,.1f} s, "
              f"download {r['download_s'] or 0:,.2f} s ({r['bytes'] / 1e6:,.1f} MB); task row: "
              f"{cad.get('updates')} changes seen by the 0.2 s sampler, first {cad.get('first_update_s') or 0:.2f} s "
              f"after the click; largest gap {cad.get('max_gap_s') or 0:.2f} s between {cad.get('max_gap_between')}; "
              f"{cad.get('updated_at_values')} distinct updated_at, largest step "
              f"{cad.get('max_updated_at_gap_s') or 0:.2f} s")
        if r.get("page"):
            p = r["page"]
            print(f"  the page: {p['polls']} polls of /tasks/status, {p['new_figures']} showed a new figure, "
                  f"{p['stale_polls']} showed nothing new while the task ran"
                  f"{'' if not p['stale_polls'] else ' (MISSED: every poll should move the bar)'}; largest gap "
                  f"between new figures {p['max_gap_s'] or 0:.2f} s; slowest status request "
                  f"{p['slowest_status_s'] or 0:.3f} s")
    print()
    for line in res["goals"]:
        print(f"- {line}")


def goals(res):
    out = []
    runs = res["runs"]
    floor = runs.get("floor")
    for mode in ("inline", "thread"):
        r = runs.get(mode)
        if not r or not r.get("seconds"):
            continue
        rate = r["rows_per_s"]
        out.append(f"{mode}: rows/s {rate:,.0f} (goal >= {GOAL_RATE:,}): {'ok' if rate >= GOAL_RATE else 'MISSED'}")
        out.append(f"{mode}: peak added {r['added_mb']:,.0f} MB (goal < {GOAL_MB} MB): "
                   f"{'ok' if r['added_mb'] < GOAL_MB else 'MISSED'}")
        gap = (r.get("cadence") or {}).get("max_gap_s")
        out.append(f"{mode}: largest progress gap {'-' if gap is None else f'{gap:.2f}'} s (goal <= {GOAL_GAP_S:g} s): "
                   f"{'ok' if gap is not None and gap <= GOAL_GAP_S else 'MISSED'}")
        if floor and floor.get("seconds"):
            out.append(f"{mode}: ours/floor {rate / floor['rows_per_s']:.2f} (floor {floor['rows_per_s']:,.0f} rows/s, "
                       f"{floor['added_mb']:,.0f} MB added)")
    return out


def main():
    t_start = time.perf_counter()
    bench_dir = os.environ.get("BENCH_DIR")
    made_dir = False
    if bench_dir:
        os.makedirs(bench_dir, exist_ok=True)
    else:
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-exports-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    log(f"Export benchmark: {'EXPORT_ROWS=' + format(ROWS, ',') if ROWS_GIVEN else 'the complaints database'}, "
        f"modes {', '.join(MODES)}; scratch dir {bench_dir}; load average {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} CPUs")
    db = prepare(bench_dir)
    path = _complaints().db_file(bench_dir)
    conn = sqlite3.connect(path)
    expected = conn.execute("SELECT COUNT(*) FROM anju_complaint").fetchone()[0]
    conn.close()
    res = {"started": datetime.now().isoformat(timespec="seconds"), "bench_dir": bench_dir,
           "settings": {"complaints": expected, "modes": MODES, "poll_s": POLL_S, "sample_s": SAMPLE_S},
           "database": db, "env": {"loadavg_start": os.getloadavg(), "cpus": os.cpu_count()},
           "code": _complaints().code_version(), "runs": {}}
    app = _complaints().make_app(bench_dir)
    failed = False
    for mode in MODES:
        left = end_leftover_tasks(path)
        if left:
            log(f"ended {left} task(s) left queued or running by an earlier run")
        log(f"{mode}: exporting {expected:,} complaints in a child process ...")
        r, out_xlsx = run_child(mode, bench_dir)
        if out_xlsx and r.get("status") == 200 and not r.get("error"):
            r["rows_per_s"] = expected / r["seconds"] if r["seconds"] else None
            t1 = time.perf_counter()
            r.update(check_file(app, out_xlsx, expected))
            r["check_s"] = time.perf_counter() - t1
            if r.get("rows") is not None and r["rows"] != expected:
                r["check"] = (r["check"] if r["check"] != "ok" else "") + f"; task says {r['rows']:,} rows"
            if not KEEP:
                os.remove(out_xlsx)
                if r.get("task_id"):
                    drop_task_file(bench_dir, r["task_id"])
        else:
            r.setdefault("check", f"FAILED: {r.get('error')}")
        failed |= r.get("check") != "ok"
        log(f"  {mode}: {r.get('seconds') or 0:,.1f}s = {r.get('rows_per_s') or 0:,.0f} rows/s, "
            f"peak added {r.get('added_mb') or 0:,.0f} MB; check {r.get('check')}")
        res["runs"][mode] = r
    res["goals"] = goals(res)
    res["total_s"] = time.perf_counter() - t_start
    res["loadavg_end"] = os.getloadavg()
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "results.json")
    results = {}
    if os.path.exists(out):
        try:
            with open(out) as fh:
                results = json.load(fh)
        except (OSError, ValueError):
            results = {}
    results["exports"] = res
    with open(out, "w") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
    print_table(res)
    print()
    print(f"Export benchmark: {res['total_s'] / 60:.1f} min; load average at the end {res['loadavg_end'][0]:.2f} "
          f"(other work on this machine skews the timings); results under \"exports\" in {out}")
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
    else:
        sys.exit(main())
