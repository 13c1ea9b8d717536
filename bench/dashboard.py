"""Dashboard benchmark (数据看板 and the role home pages at city scale, issue 17), run by bench/run.py
(part 12, BENCH_ONLY=dashboard) or alone:

    .venv/bin/python bench/dashboard.py                                   # 1,000,000 complaints + 1,000,000 credit records
    DASH_COMPLAINTS=100000 DASH_CREDIT=100000 BENCH_RUNS=3 .venv/bin/python bench/dashboard.py   # quick

1. A scratch SQLite database of its own, built as the other parts build theirs (production
   ``config.Config``, Alembic migrations, roles, reference and demo data), then DASH_COMPLAINTS
   complaints by bench/complaints.py's generator and DASH_ENTERPRISES enterprises with DASH_CREDIT
   credit records by bench/credit.py's (their functions imported, not copied; Core insert in
   batches), the credit scores computed (untimed), ``ANALYZE``.
2. The summary tables (app/core/rollup.py): the first run of the ``system.stats_rollup`` job (no
   watermark yet: every day of every metric), then an incremental run (the job every 10 minutes);
   the rows written and the seconds of each.
3. Through the Flask test client, signed in by the login form: the home page of gov_admin, analyst,
   district1 and ent_a; /dashboard/ with a two-year period; and the JSON of every chart each of them
   may see (/dashboard/data/<key>, the same two years). Median and p95 of BENCH_RUNS after one
   warm-up; goal: each at most 300 ms (the median), printed with MISSED otherwise.

Environment: DASH_COMPLAINTS (1000000), DASH_CREDIT (1000000), DASH_ENTERPRISES (20000), BENCH_RUNS (7),
BENCH_BATCH (20000), BENCH_DIR (scratch dir; a new temp dir removed at the end unless BENCH_KEEP=1),
BENCH_SEED. Results: the printed table and the "dashboard" key of bench/out/results.json.
"""
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

N_COMPLAINTS = int(os.environ.get("DASH_COMPLAINTS", "1000000"))
N_CREDIT = int(os.environ.get("DASH_CREDIT", "1000000"))
N_ENT = int(os.environ.get("DASH_ENTERPRISES", "20000"))
# The generators read their sizes from the environment when imported.
os.environ["BENCH_COMPLAINTS"] = str(N_COMPLAINTS)
os.environ["CREDIT_RECORDS"] = str(N_CREDIT)
os.environ["CREDIT_ENTERPRISES"] = str(N_ENT)

import common  # noqa: E402
import complaints as complaints_bench  # noqa: E402
import credit as credit_bench  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
GOAL_MS = 300.0
USERS = ("gov_admin", "analyst", "district1", "ent_a")
OUT_DIR = os.path.join(HERE, "out")
log = common.Progress()


def pct(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def build(bench_dir):
    from sqlalchemy import create_engine, event, text

    app = complaints_bench.make_app(bench_dir)
    t0 = time.perf_counter()
    common.prepare_database(app)
    log(f"database migrated, roles synced, reference + demo data loaded ({time.perf_counter() - t0:.1f}s)")
    engine = create_engine(complaints_bench.db_url(bench_dir))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-524288")
        cur.close()

    st = {}
    with app.app_context():
        log(f"generating {N_COMPLAINTS:,} complaints (bench/complaints.py's generator) ...")
        st["complaints"] = complaints_bench.Generator(app, engine, N_COMPLAINTS, log=log).generate()
        log(f"generating {N_ENT:,} enterprises and {N_CREDIT:,} credit records (bench/credit.py's generator) ...")
        st["credit"] = credit_bench.Generator(app, engine, log=log).generate()
    t1 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    st["analyze_s"] = time.perf_counter() - t1
    engine.dispose()
    from app.credit import scoring
    from app.extensions import db

    t1 = time.perf_counter()
    with app.app_context():
        scoring.recompute_all("bench")
        db.session.commit()
        db.session.remove()
    st["scores_s"] = time.perf_counter() - t1
    log(f"credit scores computed ({st['scores_s']:.1f}s), ANALYZE {st['analyze_s']:.1f}s")
    return app, st


def bench_rollup(app):
    from sqlalchemy import func, select

    from app.core import rollup
    from app.extensions import db

    out = {}
    with app.app_context():
        for name in ("first", "incremental"):
            t0 = time.perf_counter()
            lines = rollup.roll_all()
            out[name] = {"seconds": time.perf_counter() - t0, "metrics": lines}
            log(f"rollup {name} run: {out[name]['seconds']:.1f}s")
        out["rows"] = db.session.execute(select(func.count()).select_from(rollup.StatDaily)).scalar()
        out["per_metric"] = dict(db.session.execute(select(rollup.StatDaily.metric, func.count())
                                                    .group_by(rollup.StatDaily.metric)).all())
        db.session.remove()
    return out


def timed(fn):
    fn()  # warm-up
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return {"median_ms": statistics.median(times), "p95_ms": pct(times, 0.95), "runs": len(times)}


def bench_pages(app):
    today = date.today()
    period = {"from": (today - timedelta(days=730)).isoformat(), "to": today.isoformat()}
    query = f"?from={period['from']}&to={period['to']}"
    rows = []
    for username in USERS:
        client = complaints_bench.login(app, username)

        def get(path, client=client):
            resp = client.get(path)
            if resp.status_code != 200:
                raise RuntimeError(f"{username} {path}: HTTP {resp.status_code}")
            return resp

        home = get("/").get_data(as_text=True)
        rows.append({"user": username, "page": "home /", **timed(lambda: get("/")),
                     "charts": len(set(re.findall(r'data-key="([^"]+)"', home)))})
        page = get("/dashboard/" + query).get_data(as_text=True)
        keys = sorted(set(re.findall(r'data-key="([^"]+)"', page)))
        rows.append({"user": username, "page": "/dashboard/ (2 years)", **timed(lambda: get("/dashboard/" + query)),
                     "charts": len(keys)})
        for key in keys:
            data = get(f"/dashboard/data/{key}{query}").get_json()
            if data.get("error"):
                raise RuntimeError(f"{username} {key}: the chart failed")
            total = sum(v or 0 for s in data["series"] for v in s["data"] if isinstance(v, (int, float)))
            rows.append({"user": username, "page": f"chart {key}",
                         **timed(lambda key=key: get(f"/dashboard/data/{key}{query}")),
                         "figures": total, "from_summary": bool(data.get("updated_at"))})
        log(f"{username}: home, dashboard and {len(keys)} charts timed")
    for r in rows:
        r["missed"] = r["median_ms"] > GOAL_MS
    return rows


def print_table(res):
    print()
    print(f"Dashboards at {N_COMPLAINTS:,} complaints and {N_CREDIT:,} credit records "
          f"(median and p95 of {RUNS} runs; goal: each <= {GOAL_MS:.0f} ms)")
    r = res["rollup"]
    print(f"  summary tables: first run {r['first']['seconds']:.1f}s, incremental run {r['incremental']['seconds']:.2f}s, "
          f"{r['rows']:,} rows")
    print(f"  {'user':<10} {'page':<40} {'median ms':>10} {'p95 ms':>8}  note")
    for row in res["pages"]:
        note = "MISSED" if row["missed"] else "ok"
        if "from_summary" in row:
            note += "  (summary rows)" if row["from_summary"] else "  (live)"
        print(f"  {row['user']:<10} {row['page']:<40} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}  {note}")
    missed = [r for r in res["pages"] if r["missed"]]
    print(f"  {len(res['pages']) - len(missed)} of {len(res['pages'])} within the goal"
          + (f"; MISSED: {', '.join(r['user'] + ' ' + r['page'] for r in missed)}" if missed else ""))


def save(res):
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "results.json")
    results = {}
    if os.path.exists(out):
        try:
            with open(out) as fh:
                results = json.load(fh)
        except (OSError, ValueError):
            results = {}
    results["dashboard"] = res
    with open(out, "w") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
    return out


def main():
    bench_dir = os.environ.get("BENCH_DIR")
    made_dir = False
    if bench_dir:
        os.makedirs(bench_dir, exist_ok=True)
    else:
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-dashboard-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    for suffix in ("", "-journal", "-wal", "-shm"):
        path = os.path.join(bench_dir, complaints_bench.DB_NAME + suffix)
        if os.path.exists(path):
            os.remove(path)
    res = {"started": datetime.now().isoformat(timespec="seconds"),
           "settings": {"complaints": N_COMPLAINTS, "credit_records": N_CREDIT, "enterprises": N_ENT, "runs": RUNS},
           "env": {"loadavg_start": os.getloadavg(), "python": platform.python_version(),
                   "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count()}}
    log(f"Dashboard benchmark: {N_COMPLAINTS:,} complaints, {N_CREDIT:,} credit records; scratch dir {bench_dir}; "
        f"load average {os.getloadavg()[0]:.2f}")
    app, st = build(bench_dir)
    res["generation"] = {"complaints_s": st["complaints"].get("seconds"), "credit_s": st["credit"].get("seconds"),
                         "analyze_s": st["analyze_s"], "scores_s": st["scores_s"]}
    res["rollup"] = bench_rollup(app)
    res["pages"] = bench_pages(app)
    res["env"]["loadavg_end"] = os.getloadavg()
    print_table(res)
    print(f"  results in {save(res)}; load average at the end {os.getloadavg()[0]:.2f} "
          f"(other work on this machine skews the timings)")
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
