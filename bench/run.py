"""`make bench`: the audit log at scale.

1. a scratch SQLite database (migrated, roles synced, reference + demo data) and
   BENCH_ROWS (default 1,000,000) generated audit-log rows with a valid hash chain;
2. latency of five list pages for our AuditLogView, a stock FAB ModelView on the same
   model, and the bare SQL those pages need;
3. export of the whole log to .xlsx through /auditlogview/export/ in a child process (more
   than export.sync_rows rows: a background task run inside the click, TASKS_RUN="inline",
   then /tasks/download/<id>): rows per second and peak memory; the file is read back and
   its rows counted.
4. then the accounts benchmark, bench/accounts.py, in its own process on its own database
   (registrations through the real pages; import of the real-name reference registry);
5. then the complaints benchmark, bench/complaints.py, likewise (1,000,000 generated
   complaints: list pages per scope against bare SQL, escalation and auto-close jobs, the
   statistics page when it exists, export of a filtered subset);
6. then the staff benchmark, bench/staff.py, likewise (import of 200,000 staff rows from an
   HR-style workbook through the real page; the staff list at that size against bare SQL);
7. then the peer benchmark, bench/peer.py (our lists against Django admin);
8. then the credit benchmark, bench/credit.py, in its own process on its own database
   (20,000 enterprises, 1,000,000 credit records: every score recomputed, the daily job, the
   信息公示 pages and the records list against bare SQL);
9. then the rental benchmark, bench/rental.py, likewise (1,000,000 registry rows and contracts:
   the contract list per role against bare SQL, the overdue-filing job, the registry import
   through the page, listing verification through the REST API with a platform key);
10. then the allocation benchmark, bench/allocation.py, likewise (100,000 approved registrations in
   one plan: freeze and draw, eligibility screening, the registrations list, a burst of 立即登记
   through the real endpoint against a real server; on PostgreSQL with ALLOC_DATABASE_URL);
11. then the property benchmark, bench/property.py, likewise (20,000 areas, 2,000,000 houses: the
   房屋信息补充 import through the real endpoint and its approval, 物业管理区域综合查询 per role against
   bare SQL, the owners check of a 15-member committee);
12. then the dashboard benchmark, bench/dashboard.py, likewise (1,000,000 complaints and 1,000,000 credit
   records from the complaints and credit generators: the summary-table job, then the home page, the
   数据看板 with two years and every chart's JSON for gov_admin, analyst, district1 and ent_a; goal 300 ms each);
13. then the export benchmark, bench/exports.py, on the complaints benchmark's database (issue 17: 导出 of
   every complaint through the background task, inline and in a thread with the page's polling, against a
   plain xlsxwriter floor; rows/s, peak added memory and the progress cadence; goals 15,000 rows/s, < 100 MB,
   <= 1 s between progress updates).

Environment: BENCH_ROWS, BENCH_DIR (scratch dir; default a new temp dir, removed at the
end unless BENCH_KEEP=1), BENCH_REUSE=1 (reuse the database already in BENCH_DIR),
BENCH_RUNS (timed runs per page, default 7, after 1 warm-up), BENCH_BATCH (insert batch,
default 20,000), BENCH_VERIFY=0 (skip the hash-chain check), BENCH_EXPORT=0 (skip export),
BENCH_ONLY (comma-separated: audit = parts 1-3, accounts = part 4, or its halves
registrations / registry, complaints = part 5, staff = part 6, peer = part 7: our lists
against Django admin over one SQLite file, bench/peer.py, credit = part 8, rental = part 9, allocation = part 10, property = part 11, dashboard = part 12, exports = part 13;
default everything). The
accounts settings are in bench/accounts.py, the complaints settings in bench/complaints.py, the credit
settings (CREDIT_ENTERPRISES, CREDIT_RECORDS) in bench/credit.py.
Results: the printed tables and bench/out/results.json (the accounts part under "accounts",
the complaints part under "complaints", the credit part under "credit").
"""
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
VERIFY = os.environ.get("BENCH_VERIFY", "1") != "0"
DO_EXPORT = os.environ.get("BENCH_EXPORT", "1") != "0"
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
ONLY = {p.strip() for p in os.environ.get("BENCH_ONLY", "").split(",") if p.strip()}
_PARTS = {"audit", "accounts", "registrations", "registry", "complaints", "staff", "peer", "credit", "rental",
          "allocation", "property", "dashboard", "exports"}
if ONLY - _PARTS:
    raise SystemExit(f"BENCH_ONLY: unknown part(s) {', '.join(sorted(ONLY - _PARTS))}; "
                     f"use {', '.join(sorted(_PARTS))}")
RUN_AUDIT = not ONLY or "audit" in ONLY
RUN_ACCOUNTS = not ONLY or bool(ONLY & {"accounts", "registrations", "registry"})
RUN_COMPLAINTS = not ONLY or "complaints" in ONLY
RUN_STAFF = not ONLY or "staff" in ONLY
RUN_PEER = not ONLY or "peer" in ONLY
RUN_CREDIT = not ONLY or "credit" in ONLY
RUN_RENTAL = not ONLY or "rental" in ONLY
RUN_ALLOCATION = not ONLY or "allocation" in ONLY
RUN_PROPERTY = not ONLY or "property" in ONLY
RUN_DASHBOARD = not ONLY or "dashboard" in ONLY
RUN_EXPORTS = not ONLY or "exports" in ONLY
PSIZE = 50
DEEP_PAGE = 20_000
SLOW_S = 20.0  # a page slower than this gets 3 timed runs instead of RUNS
OUT_DIR = os.path.join(HERE, "out")


# --- helpers ---------------------------------------------------------------------------

def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def ms(x):
    return None if x is None else round(x * 1000, 2)


def fmt_ms(x):
    if x is None:
        return "-"
    return f"{x * 1000:,.1f}" if x < 10 else f"{x * 1000:,.0f}"


COUNT_RE = re.compile(r"(?:记录数|Record Count):</strong>\s*(\d+)")


def parse_list(html, view):
    m = COUNT_RE.search(html)
    ids = [int(x) for x in re.findall(rf'/{view.lower()}/show/(\d+)"', html)]
    return (int(m.group(1)) if m else None), ids


@contextmanager
def time_permission_checks(app, box):
    """Accumulate the time spent in the security manager's has_access while active."""
    sm = app.appbuilder.sm
    original = sm.has_access

    def timed_has_access(*a, **kw):
        t0 = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            box["n"] += 1
            box["s"] += time.perf_counter() - t0

    sm.has_access = timed_has_access
    try:
        yield box
    finally:
        del sm.has_access  # back to the class attribute


class SqlCapture:
    """Statements (and their time) executed on an engine while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.stmts = []
        self._t = {}

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, params, context, executemany):
            if self.active:
                self._t[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, params, context, executemany):
            if self.active:
                t0 = self._t.pop(id(cursor), None)
                dt = time.perf_counter() - t0 if t0 else 0.0
                self.stmts.append({"sql": " ".join(statement.split()), "params": repr(params)[:200],
                                   "ms": round(dt * 1000, 3)})

    @contextmanager
    def __call__(self):
        self.stmts = []
        self.active = True
        try:
            yield self.stmts
        finally:
            self.active = False


# --- 1. database ----------------------------------------------------------------------

def build(bench_dir):
    from sqlalchemy import create_engine, event

    import gen
    from app.extensions import db

    db_file = os.path.join(bench_dir, common.DB_NAME)
    meta_file = os.path.join(bench_dir, "gen.json")
    reuse = REUSE and os.path.exists(db_file) and os.path.exists(meta_file)
    if not reuse and os.path.exists(db_file):
        os.remove(db_file)
    t0 = time.perf_counter()
    app = common.make_app(bench_dir, with_stock_view=True)
    common.prepare_database(app)
    log(f"app created, database migrated, roles synced, reference + demo data loaded "
        f"({time.perf_counter() - t0:.1f}s)")
    if reuse:
        with open(meta_file) as fh:
            stats = json.load(fh)
        if stats["rows"] != ROWS:
            raise SystemExit(f"BENCH_REUSE: {db_file} holds {stats['rows']:,} generated rows, "
                             f"BENCH_ROWS={ROWS:,}")
        log(f"reusing {db_file}: {stats['rows']:,} generated rows "
            f"(generated at {stats['rows_per_s']:,.0f} rows/s)")
        return app, stats, True

    # A separate engine for the bulk load, so its pragmas never reach the app's pool.
    engine = create_engine(common.db_url(bench_dir))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-262144")
        cur.close()

    log(f"generating {ROWS:,} audit-log rows (batches of {BATCH:,}) ...")
    with app.app_context():
        st = gen.generate(engine, ROWS, batch_size=BATCH, log=log)
    engine.dispose()
    counts = st.pop("user_counts")
    mean = ROWS / max(len(counts), 1)
    typical = min(counts.items(), key=lambda kv: (abs(kv[1] - mean), kv[0]))
    st["distinct_users"] = len(counts)
    st["filter_user"], st["filter_user_rows"] = typical
    st["top_users"] = counts.most_common(3)
    st["db_bytes"] = os.path.getsize(db_file)
    log(f"generated {ROWS:,} rows in {st['seconds']:.1f}s = {st['rows_per_s']:,.0f} rows/s "
        f"(build {st['build_s']:.1f}s, hash chain {st['hash_s']:.1f}s, insert {st['insert_s']:.1f}s); "
        f"ANALYZE {st['analyze_s']:.1f}s; database {st['db_bytes'] / 1e6:,.0f} MB")
    if VERIFY:
        from app.core.audit import verify_chain

        t1 = time.perf_counter()
        with app.app_context():
            ok, checked, bad, reason = verify_chain()
            db.session.remove()
        st["verify"] = {"ok": ok, "checked": checked, "bad_id": bad, "reason": reason,
                        "seconds": time.perf_counter() - t1}
        log(f"hash chain check (what `flask audit verify` runs): "
            f"{'OK' if ok else 'BROKEN at ' + str(bad) + ': ' + str(reason)}, {checked:,} entries, "
            f"{st['verify']['seconds']:.1f}s")
    with open(meta_file, "w") as fh:
        json.dump(st, fh, default=str)
    return app, st, False


# --- 2. list pages ----------------------------------------------------------------------

def month_window(st):
    """A whole calendar month in the middle of the generated year."""
    end = datetime.fromisoformat(st["ts_to"])
    y, m = end.year, end.month - 6
    if m <= 0:
        y, m = y - 1, m + 12
    start = datetime(y, m, 1)
    stop = datetime(y + (m == 12), m % 12 + 1, 1)
    return start, stop


def define_pages(st, total):
    from app.core.audit import AuditLog

    t = AuditLog.__table__
    deep = min(DEEP_PAGE, max(0, (total - 1) // PSIZE))
    start, stop = month_window(st)
    user, term = st["filter_user"], st["search_term"]
    fmt = "%Y-%m-%d %H:%M:%S"
    return [
        {"key": "first", "label": "first page", "args": {}, "where": None, "page": 0},
        {"key": "deep", "label": f"page {deep:,} (psize {PSIZE})",
         "args": {"page_{v}": str(deep), "psize_{v}": str(PSIZE)}, "where": None, "page": deep},
        # String filters: 0 starts with, 1 ends with, 2 contains, 3 equal (SQLAFilterConverter).
        {"key": "user", "label": f"username = {user}",
         "args": {"_flt_3_username": user}, "where": t.c.username == user, "page": 0,
         "expect": st["filter_user_rows"]},
        # Datetime filters: 0 equal, 1 greater than, 2 smaller than.
        {"key": "month", "label": f"ts in {start:%Y-%m}",
         "args": {"_flt_1_ts": start.strftime(fmt), "_flt_2_ts": stop.strftime(fmt)},
         "where": (t.c.ts > start) & (t.c.ts < stop), "page": 0,
         "expect": st.get("month_rows", {}).get(start.strftime("%Y-%m"))},
        {"key": "search", "label": f"summary contains {term}",
         "args": {"_flt_2_summary": term}, "where": t.c.summary.ilike(f"%{term}%"), "page": 0,
         "expect": st["search_term_rows"]},
    ]


def url_for_page(view, page):
    from urllib.parse import urlencode

    args = {k.format(v=view): v for k, v in page["args"].items()}
    return f"/{view.lower()}/list/" + (("?" + urlencode(args)) if args else "")


def bare_sql(engine, page):
    from sqlalchemy import func, select

    from app.core.audit import AuditLog
    from app.system.views import AuditLogView

    t = AuditLog.__table__
    # summary_text is the summary in words (a property over the summary column): the SQL reads summary.
    cols = [t.c.id] + [t.c["summary" if c == "summary_text" else c] for c in AuditLogView.list_columns]
    count_q = select(func.count()).select_from(t)
    page_q = select(*cols)
    if page["where"] is not None:
        count_q = count_q.where(page["where"])
        page_q = page_q.where(page["where"])
    page_q = page_q.order_by(t.c.id.desc()).limit(PSIZE).offset(page["page"] * PSIZE)

    def run(parse=True):
        with engine.connect() as conn:
            count = conn.execute(count_q).scalar()
            rows = conn.execute(page_q).all()
        return count, [r.id for r in rows]

    return run


def http_get(client, url, view):
    def run(parse=True):
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} answered HTTP {resp.status_code} "
                               f"{resp.headers.get('Location', '')}")
        return parse_list(resp.get_data(as_text=True), view) if parse else None

    return run


def timed(fn):
    """1 warm-up, then RUNS timed calls (3 if one call takes longer than SLOW_S)."""
    fn(parse=False)
    times = []
    while len(times) < (RUNS if not times or times[0] < SLOW_S else 3):
        t0 = time.perf_counter()
        fn(parse=False)
        times.append(time.perf_counter() - t0)
    return times


def bench_pages(app, st):
    from sqlalchemy import func, select

    from app.core.audit import AuditLog
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    capture = SqlCapture(engine)
    client = common.login(app)  # logs in once; the login itself is an audit entry
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(AuditLog.__table__)).scalar()
    log(f"logged in as admin; the log now holds {total:,} entries")
    pages = define_pages(st, total)
    results = []
    floor = {}

    def home(parse=False):
        resp = client.get("/")
        if resp.status_code != 200:
            raise RuntimeError(f"GET / answered HTTP {resp.status_code}")

    ft = timed(home)
    floor = {"median_ms": ms(statistics.median(ft)), "p95_ms": ms(pct(ft, 0.95))}
    log(f"request floor: GET / (home page, no list) {floor['median_ms']:,.1f} ms median")
    for page in pages:
        impls = {
            "ours": http_get(client, url_for_page("AuditLogView", page), "AuditLogView"),
            "stock": http_get(client, url_for_page("StockAuditView", page), "StockAuditView"),
            "bare": bare_sql(engine, page),
        }
        # Check first: same count and the same rows from all three, and the filter filters.
        answers, sql = {}, {}
        for name, fn in impls.items():
            perm = {"n": 0, "s": 0.0}
            with capture() as stmts, time_permission_checks(app, perm):
                t0 = time.perf_counter()
                try:
                    answers[name] = fn()
                except Exception as exc:  # report it, keep benchmarking the rest
                    answers[name] = exc
                cold = time.perf_counter() - t0
            sql[name] = {"statements": len(stmts), "sql_ms": round(sum(s["ms"] for s in stmts), 2),
                         "permission_checks": perm["n"], "permission_ms": ms(perm["s"]),
                         "first_call_ms": ms(cold), "detail": list(stmts)}
        problems = [f"{name}: {type(a).__name__}: {a}" for name, a in answers.items()
                    if isinstance(a, Exception)]
        bare_count, bare_ids = answers["bare"] if not isinstance(answers["bare"], Exception) else (None, [])
        for name in ("ours", "stock"):
            if isinstance(answers[name], Exception):
                continue
            count, ids = answers[name]
            if not (common.count_agrees(count, bare_count) if name == "ours" else count == bare_count):
                problems.append(f"{name}: count {count} != bare {bare_count}")
            if ids != bare_ids:
                problems.append(f"{name}: rows differ from bare SQL "
                                f"({len(ids)} ids, first {ids[:3]} vs {bare_ids[:3]})")
        if page.get("expect") is not None and bare_count != page["expect"]:
            problems.append(f"expected {page['expect']} rows from the generator, SQL says {bare_count}")
        if bare_count is not None and page["where"] is not None and not (0 < bare_count < total):
            problems.append(f"filter does not filter: {bare_count} of {total}")
        if not bare_ids:
            problems.append("empty page")
        status = "ok" if not problems else "; ".join(problems)
        log(f"page '{page['label']}': {bare_count or 0:,} matching rows, {len(bare_ids)} on the page; "
            f"check {status}")
        timings = {}
        for name, fn in impls.items():
            if not isinstance(answers[name], Exception):
                timings[name] = timed(fn)
        row = {"key": page["key"], "label": page["label"], "matching": bare_count,
               "page_rows": len(bare_ids), "check": status,
               "urls": {"ours": url_for_page("AuditLogView", page),
                        "stock": url_for_page("StockAuditView", page)},
               "sql": sql}
        for name in impls:
            ts = timings.get(name)
            row[name] = {"median_ms": ms(statistics.median(ts)), "p95_ms": ms(pct(ts, 0.95)),
                         "min_ms": ms(min(ts)), "runs_ms": [ms(x) for x in ts]} if ts else \
                {"median_ms": None, "p95_ms": None, "error": str(answers[name])}

        def ratio(a, b):
            return a / b if a is not None and b else None

        row["ours_over_bare"] = ratio(row["ours"]["median_ms"], row["bare"]["median_ms"])
        row["stock_over_ours"] = ratio(row["stock"]["median_ms"], row["ours"]["median_ms"])
        log("    " + ", ".join(f"{label} {row[name]['median_ms']:,.1f} ms" if row[name]["median_ms"] is not None
                               else f"{label} ERROR" for name, label in
                               (("ours", "ours"), ("stock", "stock FAB"), ("bare", "bare SQL")))
            + f" (medians of {max((len(t) for t in timings.values()), default=0)})")
        results.append(row)
    return results, total, floor


def print_pages(results, floor):
    print()
    print(f"List pages over {results[0]['matching'] or 0 if results else 0:,} log entries: median ms "
          f"(p95 ms) of {RUNS} runs after 1 warm-up (nearest-rank p95: with {RUNS} runs, the slowest)")
    head = (f"{'page':<30} {'rows':>9} {'ours ms':>15} {'stock FAB ms':>15} {'bare SQL ms':>15} "
            f"{'ours/bare':>9} {'stock/ours':>10} {'ours-bare':>9}  target ours <= 2x bare")
    print(head)
    print("-" * len(head))
    for r in results:
        def cell(name):
            if r[name]["median_ms"] is None:
                return "ERROR"
            return f"{fmt_ms(r[name]['median_ms'] / 1000)} ({fmt_ms(r[name]['p95_ms'] / 1000)})"

        def x(v, digits):
            return f"{v:.{digits}f}x" if v is not None else "-"

        ob = r["ours_over_bare"]
        target = "-" if ob is None else ("ok" if ob <= 2.0 else "MISSED")
        if r["check"] != "ok":
            target += "  CHECK FAILED: " + r["check"]
        over = (f"{r['ours']['median_ms'] - r['bare']['median_ms']:,.0f}ms"
                if ob is not None else "-")
        print(f"{r['label'][:30]:<30} {r['matching'] or 0:>9,} {cell('ours'):>15} {cell('stock'):>15} "
              f"{cell('bare'):>15} {x(ob, 1):>9} {x(r['stock_over_ours'], 2):>10} "
              f"{over:>9}  {target}")
    if floor:
        print(f"{'(request floor: GET / home)':<30} {'':>9} "
              f"{fmt_ms(floor['median_ms'] / 1000) + ' (' + fmt_ms(floor['p95_ms'] / 1000) + ')':>15}"
              f"   every page pays this: login session, menu permission checks, layout")
    print()
    print("Where the time goes (one extra, untimed call each): statements the request ran, their time in "
          "the driver, has_access() calls and their time, slowest statement")
    head = f"{'page':<30} {'impl':<6} {'stmts':>5} {'SQL ms':>8} {'perms':>5} {'perm ms':>8}  slowest statement"
    print(head)
    print("-" * (len(head) + 60))
    for r in results:
        for name in ("ours", "stock", "bare"):
            s = r["sql"][name]
            slow = max(s["detail"], key=lambda d: d["ms"]) if s["detail"] else None
            desc = f"{slow['ms']:,.1f} ms: {slow['sql'][:110]}" if slow else ""
            print(f"{r['label'][:30]:<30} {name:<6} {s['statements']:>5} {s['sql_ms']:>8,.1f} "
                  f"{s['permission_checks']:>5} {s['permission_ms']:>8,.1f}  {desc}")


# --- 3. export ------------------------------------------------------------------------------

def xlsx_available():
    if not os.path.exists(os.path.join(common.ROOT, "app", "core", "xlsx", "__init__.py")):
        return False, "app/core/xlsx/ does not exist yet"
    from app.core import xlsx

    if not hasattr(xlsx, "stream_xlsx_response"):
        return False, "app.core.xlsx has no stream_xlsx_response"
    return True, None


def bench_export(app, bench_dir):
    import resource

    from sqlalchemy import func, select

    import xlsxcheck
    from app.core.audit import AuditLog
    from app.extensions import db

    t = AuditLog.__table__
    with app.app_context():
        engine = db.engine
    with engine.connect() as conn:
        max_before = conn.execute(select(func.max(t.c.id))).scalar()
    out_xlsx = os.path.join(bench_dir, "export.xlsx")
    out_json = os.path.join(bench_dir, "export.json")
    for p in (out_xlsx, out_json):
        if os.path.exists(p):
            os.remove(p)
    log(f"exporting the whole log (~{max_before:,} rows) through GET /auditlogview/export/ "
        f"in a child process ...")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    parent_rss = common.proc_status().get("VmRSS")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.join(HERE, "export_child.py"), bench_dir,
                           out_xlsx, out_json], timeout=int(os.environ.get("BENCH_EXPORT_TIMEOUT", "3600")))
    wall = time.perf_counter() - t0
    ru_maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0 or not os.path.exists(out_json):
        return {"error": f"export child exited with {proc.returncode}"}
    with open(out_json) as fh:
        res = json.load(fh)
    res["child_wall_s"] = wall
    res["ru_maxrss_children_kb"] = ru_maxrss if ru_maxrss > before else None
    res["parent_rss_at_spawn_kb"] = parent_rss
    if res["status"] != 200 or res.get("error"):
        res["error"] = res.get("error") or f"HTTP {res['status']}"
        return res
    # What did the export contain?  The child logged in (one entry) before exporting, and
    # the export's own entry is written after the stream ends: it says how many rows.
    with engine.connect() as conn:
        entry = conn.execute(select(t.c.id, t.c.summary).where(
            (t.c.id > max_before) & (t.c.action == "export")).order_by(t.c.id)).first()
        if entry is not None:
            expected = conn.execute(select(func.count()).select_from(t).where(t.c.id < entry.id)).scalar()
            newest_id = conn.execute(select(func.max(t.c.id)).where(t.c.id < entry.id)).scalar()
        else:
            expected = conn.execute(select(func.count()).select_from(t)).scalar()
            newest_id = conn.execute(select(func.max(t.c.id))).scalar()
        newest = conn.execute(select(t.c.username, t.c.summary).where(t.c.id == newest_id)).first()
        oldest = conn.execute(select(t.c.username, t.c.summary).order_by(t.c.id).limit(1)).first()
    res["audit_entry"] = entry.summary if entry is not None else None
    res["expected_data_rows"] = expected
    log(f"export done: {res['bytes'] / 1e6:,.1f} MB in {res['seconds']:.1f}s; reading the file back ...")
    t1 = time.perf_counter()
    chk = xlsxcheck.check(out_xlsx)
    res["readback_s"] = time.perf_counter() - t1
    res["xlsx_rows"] = chk["rows"]
    res["xlsx_rows_bytescan"] = xlsxcheck.count_rows_fast(out_xlsx)
    res["header"] = chk["first_rows"][0] if chk["first_rows"] else None
    res["first_data_row"] = chk["first_rows"][1] if len(chk["first_rows"]) > 1 else None
    res["last_row"] = chk["last_row"]
    problems = []
    if res["xlsx_rows_bytescan"] != chk["rows"]:
        problems.append(f"byte scan counts {res['xlsx_rows_bytescan']:,} <row> tags, parser {chk['rows']:,}")
    if chk["rows"] != expected + 1:
        problems.append(f"file has {chk['rows']:,} rows, expected {expected + 1:,} (header + {expected:,})")
    if res["first_data_row"] is not None and newest is not None and \
            newest.username not in [str(v) for v in res["first_data_row"]]:
        problems.append(f"first data row is not the newest entry ({newest.username})")
    if res["last_row"] is not None and oldest is not None and \
            (oldest.summary or "") not in [str(v) for v in res["last_row"]]:
        problems.append("last row is not the oldest entry")
    res["check"] = "ok" if not problems else "; ".join(problems)
    res["rows_per_s"] = expected / res["seconds"] if res["seconds"] else None
    return res


def print_export(res, skipped=None):
    print()
    print("Excel export of the whole audit log (GET /auditlogview/export/, streamed to a file)")
    if skipped:
        print(f"  SKIPPED: {skipped}")
        return
    if res.get("error"):
        print(f"  FAILED: {res['error']}")
        return
    mb = lambda kb: f"{kb / 1024:,.0f} MB" if kb else "-"  # noqa: E731
    peak = res["peak_hwm_kb"]
    print(f"  rows exported        {res['expected_data_rows']:,} (+ header); file {res['bytes'] / 1e6:,.1f} MB")
    print(f"  time                 {res['seconds']:,.1f} s from the click to the file on disk "
          f"= {res['rows_per_s']:,.0f} rows/s")
    if res.get("mode") == "task":
        print(f"                       a background task (TASKS_RUN=\"inline\": run inside the click, "
              f"{res['click_s']:,.1f} s, then 302 to /tasks/show/{res['task_id']}); "
              f"GET /tasks/download/{res['task_id']} {res['download_s'] or 0:,.2f} s")
    else:
        print(f"                       downloaded at once (first byte after {res['ttfb_s'] or 0:,.2f} s)")
    export_peak = res.get("export_hwm_kb") if res.get("hwm_reset_after_startup") else peak
    growth = export_peak - res["baseline_rss_kb"]
    print(f"  child RSS            after start-up + login {mb(res['baseline_rss_kb'])} "
          f"(start-up peak {mb(res['startup_hwm_kb'])}); peak during the export "
          f"{mb(export_peak)} = +{mb(growth)} over the baseline; process peak {mb(peak)}"
          + ("" if res.get("hwm_reset_after_startup") else " (VmHWM could not be reset after start-up)"))
    print(f"  cross-checks         RSS sampled every 0.25 s: max {mb(res['max_sampled_rss_kb'])}; "
          f"RSS at end {mb(res['end_rss_kb'])}; getrusage(RUSAGE_CHILDREN).ru_maxrss "
          f"{mb(res['ru_maxrss_children_kb'])}")
    print(f"                       (ru_maxrss is the larger of the child's peak and the forking parent's "
          f"image before exec, {mb(res['parent_rss_at_spawn_kb'])} here: an upper bound only)")
    verdict = "ok" if peak < 200 * 1024 else "MISSED"
    print(f"  target               process peak < 200 MB for 1,000,000 rows: {verdict} ({mb(peak)})")
    print(f"  read back            {res['xlsx_rows']:,} <row> elements in the sheet (expat stream, "
          f"{res['readback_s']:.1f}s; byte scan {res['xlsx_rows_bytescan']:,}); check {res['check']}")
    print(f"  header               {res['header']}")
    print(f"  audit entry          {res['audit_entry']}")


# --- main -----------------------------------------------------------------------------------

def run_audit(bench_dir):
    """Parts 1-3: the audit log at scale (unchanged measurements)."""
    t_start = time.perf_counter()
    import sqlite3

    import flask_appbuilder
    import sqlalchemy

    log(f"Anju Console benchmark: {ROWS:,} rows, {RUNS} timed runs per page, scratch dir {bench_dir}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    env = {"loadavg_start": os.getloadavg(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
           "sqlalchemy": sqlalchemy.__version__, "flask_appbuilder": flask_appbuilder.__version__,
           "cpus": os.cpu_count(), "machine": platform.machine()}
    results = {"started": datetime.now().isoformat(timespec="seconds"), "rows": ROWS, "runs": RUNS,
               "bench_dir": bench_dir, "env": env}

    app, st, reused = build(bench_dir)
    results["generation"] = dict(st, reused=reused)
    pages, total, floor = bench_pages(app, st)
    results["pages"] = pages
    results["request_floor"] = floor
    results["log_entries"] = total
    print_pages(pages, floor)
    skipped = None
    export = None
    if not DO_EXPORT:
        skipped = "BENCH_EXPORT=0"
    else:
        ok, why = xlsx_available()
        if not ok:
            skipped = why + " (the export benchmark needs the real module)"
        else:
            export = bench_export(app, bench_dir)
    results["export"] = export if export is not None else {"skipped": skipped}
    print_export(export, skipped)
    results["total_s"] = time.perf_counter() - t_start
    results["loadavg_end"] = os.getloadavg()
    out = os.path.join(OUT_DIR, "results.json")
    kept = [part for part, run in (("accounts", RUN_ACCOUNTS), ("complaints", RUN_COMPLAINTS),
                                   ("credit", RUN_CREDIT), ("rental", RUN_RENTAL),
                                   ("allocation", RUN_ALLOCATION), ("property", RUN_PROPERTY),
                                   ("dashboard", RUN_DASHBOARD), ("exports", RUN_EXPORTS)) if not run]
    if kept and os.path.exists(out):  # keep the last figures of the parts not run now
        try:
            with open(out) as fh:
                previous = json.load(fh)
        except (OSError, ValueError):
            previous = {}
        for part in kept:
            if previous.get(part) is not None:
                results[part] = previous[part]
    with open(out, "w") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
    print()
    g = results["generation"]
    print(f"Generation: {ROWS:,} rows at {g['rows_per_s']:,.0f} rows/s"
          + (" (reused database)" if reused else ""))
    print(f"Total run time {results['total_s'] / 60:.1f} min; load average at the end "
          f"{results['loadavg_end'][0]:.2f} (other work on this machine skews the timings); results in {out}")


def run_accounts(bench_dir):
    """Part 4: bench/accounts.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "accounts"), BENCH_FROM_RUN="1")
    log("accounts benchmark: bench/accounts.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "accounts.py")], env=env).returncode


def run_complaints(bench_dir):
    """Part 5: bench/complaints.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "complaints"), BENCH_FROM_RUN="1")
    log("complaints benchmark: bench/complaints.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "complaints.py")], env=env).returncode


def run_staff(bench_dir):
    """Part 6: bench/staff.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "staff"), BENCH_FROM_RUN="1")
    log("staff benchmark: bench/staff.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "staff.py")], env=env).returncode


def run_peer(bench_dir):
    """Part 7: bench/peer.py in its own process. Its database (complaints + audit log + staff,
    about 2 GB at 1,000,000 rows each) is kept in bench/out/peer/ and reused by later runs."""
    env = dict(os.environ, BENCH_FROM_RUN="1")
    env.pop("BENCH_DIR", None)
    log("peer benchmark (Django admin over the same SQLite file): bench/peer.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "peer.py")], env=env).returncode


def run_credit(bench_dir):
    """Part 8: bench/credit.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "credit"), BENCH_FROM_RUN="1")
    log("credit benchmark: bench/credit.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "credit.py")], env=env).returncode


def run_rental(bench_dir):
    """Part 9: bench/rental.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "rental"), BENCH_FROM_RUN="1")
    log("rental benchmark: bench/rental.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "rental.py")], env=env).returncode


def run_allocation(bench_dir):
    """Part 10: bench/allocation.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "allocation"), BENCH_FROM_RUN="1")
    log("allocation benchmark: bench/allocation.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "allocation.py")], env=env).returncode


def run_property(bench_dir):
    """Part 11: bench/property.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "property"), BENCH_FROM_RUN="1")
    log("property benchmark: bench/property.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "property.py")], env=env).returncode


def run_dashboard(bench_dir):
    """Part 12: bench/dashboard.py in its own process, on its own database under bench_dir."""
    env = dict(os.environ, BENCH_DIR=os.path.join(bench_dir, "dashboard"), BENCH_FROM_RUN="1")
    log("dashboard benchmark: bench/dashboard.py in its own process ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "dashboard.py")], env=env).returncode


def run_exports(bench_dir):
    """Part 13: bench/exports.py in its own process, on the complaints benchmark's database: the
    one part 5 made under bench_dir/complaints (reused as it is), or a complaints.db kept in
    bench_dir itself (BENCH_DIR=/tmp/cb of a bench/complaints.py run)."""
    own = os.path.join(bench_dir, "complaints.db")
    target = bench_dir if os.path.exists(own) else os.path.join(bench_dir, "complaints")
    env = dict(os.environ, BENCH_DIR=target, BENCH_FROM_RUN="1")
    log(f"export benchmark: bench/exports.py in its own process on {target} ...")
    return subprocess.run([sys.executable, os.path.join(HERE, "exports.py")], env=env).returncode


def main():
    bench_dir = os.environ.get("BENCH_DIR")
    made_dir = False
    if bench_dir:
        os.makedirs(bench_dir, exist_ok=True)
    else:
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    os.makedirs(OUT_DIR, exist_ok=True)
    rc = 0
    if RUN_AUDIT:
        run_audit(bench_dir)
    if RUN_ACCOUNTS:
        rc = run_accounts(bench_dir)
        if rc:
            print(f"accounts benchmark FAILED (exit {rc}); see above")
    if RUN_COMPLAINTS:
        rc_c = run_complaints(bench_dir)
        if rc_c:
            print(f"complaints benchmark FAILED (exit {rc_c}); see above")
            rc = rc or rc_c
    if RUN_STAFF:
        rc_s = run_staff(bench_dir)
        if rc_s:
            print(f"staff benchmark FAILED (exit {rc_s}); see above")
            rc = rc or rc_s
    if RUN_PEER:
        rc_p = run_peer(bench_dir)
        if rc_p:
            print(f"peer benchmark FAILED (exit {rc_p}); see above")
            rc = rc or rc_p
    if RUN_CREDIT:
        rc_cr = run_credit(bench_dir)
        if rc_cr:
            print(f"credit benchmark FAILED (exit {rc_cr}); see above")
            rc = rc or rc_cr
    if RUN_RENTAL:
        rc_r = run_rental(bench_dir)
        if rc_r:
            print(f"rental benchmark FAILED (exit {rc_r}); see above")
            rc = rc or rc_r
    if RUN_ALLOCATION:
        rc_al = run_allocation(bench_dir)
        if rc_al:
            print(f"allocation benchmark FAILED (exit {rc_al}); see above")
            rc = rc or rc_al
    if RUN_PROPERTY:
        rc_pr = run_property(bench_dir)
        if rc_pr:
            print(f"property benchmark FAILED (exit {rc_pr}); see above")
            rc = rc or rc_pr
    if RUN_DASHBOARD:
        rc_d = run_dashboard(bench_dir)
        if rc_d:
            print(f"dashboard benchmark FAILED (exit {rc_d}); see above")
            rc = rc or rc_d
    if RUN_EXPORTS:
        rc_e = run_exports(bench_dir)
        if rc_e:
            print(f"export benchmark FAILED (exit {rc_e}); see above")
            rc = rc or rc_e
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    else:
        print(f"Scratch files kept in {bench_dir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
