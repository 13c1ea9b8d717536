"""Part 7: our lists against Django admin over the same SQLite file (issue 12, "Speed").

One database holds BENCH_COMPLAINTS complaints (the generator of bench/complaints.py),
BENCH_PEER_AUDIT audit-log rows (bench/gen.py, hash chain intact) and BENCH_PEER_STAFF staff
records with their areas. Three programs read it, in shuffled, interleaved rounds:

* ours: the real app through the Flask test client, signed in (admin; district1);
* Django admin 5.2 (bench/django_peer/, its own virtualenv .venv-bench and its own process,
  driven by Django's test Client with force_login): the same columns, joins
  (list_select_related), filters and search as our views;
* the bare-SQL floor: the page's rows with the joins the list shows, plus COUNT(*).

Each case (first page, deep page, a filter, a contains-search, a sort) of each list
(complaints, staff, audit log) and role is checked first (same count where both count
exactly, same row ids on the page), then timed: BENCH_RUNS rounds, each round running every
(case, program) pair once in a new random order. Printed: median ms of ours, Django and the
floor, ours/Django (goal <= 0.5) and ours - floor.

    BENCH_ONLY=peer .venv/bin/python bench/run.py         (or: .venv/bin/python bench/peer.py)
"""
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("BENCH_EXPORT", "0")

import common  # noqa: E402

N_AUDIT = int(os.environ.get("BENCH_PEER_AUDIT", "1000000"))
N_STAFF = int(os.environ.get("BENCH_PEER_STAFF", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SEED = int(os.environ.get("BENCH_SEED", "2026"))
BENCH_PY = os.environ.get("BENCH_PEER_PYTHON", os.path.join(ROOT, ".venv-bench", "bin", "python"))
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "peer.db"
PRISTINE = "peer.pristine.db"
META = "peer-gen.json"
log = common.Progress()


def db_file(bench_dir):
    return os.path.join(bench_dir, DB_NAME)


# --- 1. the database ----------------------------------------------------------------------------

POSTS = ["manager", "engineer", "security", "cleaner", "customer_service", "greening"]


def _staff_rows(n, org_ids, area_ids, start_id, rng):
    """Staff records (valid ID numbers, Chinese names) and 1-2 areas each."""
    from app.core.validators import id_check_char

    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
    now = datetime.now().replace(microsecond=0)
    staff, links = [], []
    for k in range(n):
        i = start_id + k
        first17 = f"{110101 + (i // 1000) % 899000:06d}{1960 + i % 40}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        number = first17 + id_check_char(first17)
        left = rng.random() < 0.15
        staff.append({
            "id": i, "org_id": org_ids[i % len(org_ids)],
            "name": rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if i % 3 else ""),
            "mobile": f"13{i:09d}", "id_number": number, "post": POSTS[i % len(POSTS)],
            "hired_on": (now - timedelta(days=30 + i % 3000)).date(),
            "status": "left" if left else "active", "left_on": (now - timedelta(days=i % 30)).date() if left else None,
            "current_key": None if left else number, "created_on": now, "changed_on": now,
        })
        a = area_ids[i % len(area_ids)]
        links.append({"staff_id": i, "area_id": a})
        if i % 3 == 0:
            b = area_ids[(i * 7 + 1) % len(area_ids)]
            if b != a:
                links.append({"staff_id": i, "area_id": b})
    return staff, links


def _upgrade(path):
    """A kept database made by an older version: migrated to the current schema, roles synced
    (new views' permissions), reference data loaded, as a new installation would be."""
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI="sqlite:///" + path,
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None)
    common.prepare_database(app)


def build(bench_dir):
    """The complaints database of part 5 (reused from its pristine copy), plus the audit log
    and staff rows; kept as peer.pristine.db for later runs."""
    import complaints

    os.makedirs(bench_dir, exist_ok=True)
    path, pristine, meta_file = db_file(bench_dir), os.path.join(bench_dir, PRISTINE), os.path.join(bench_dir, META)
    want = {"complaints": complaints.N, "audit": N_AUDIT, "staff": N_STAFF}
    if os.path.exists(pristine) and os.path.exists(meta_file):
        with open(meta_file) as fh:
            st = json.load(fh)
        if all(st.get(k) == v for k, v in want.items()):
            t0 = time.perf_counter()
            shutil.copyfile(pristine, path)
            for stale in (path + "-wal", path + "-shm"):
                if os.path.exists(stale):
                    os.remove(stale)
            _upgrade(path)
            log(f"reusing {pristine} ({st['complaints']:,} complaints, {st['audit']:,} audit entries, "
                f"{st['staff']:,} staff; {time.perf_counter() - t0:.1f}s)")
            return st
        log(f"{pristine} holds other sizes ({st}): generating")
    cdir = os.path.join(bench_dir, "complaints")
    os.makedirs(cdir, exist_ok=True)
    os.environ["BENCH_REUSE"] = "1"
    complaints.REUSE = True
    app, cst = complaints.build(cdir)          # reuses its own pristine copy when there is one
    shutil.copyfile(complaints.db_file(cdir), path)
    from sqlalchemy import create_engine, event, insert, select, text

    import gen
    from app.property.models import PropertyArea, Staff, staff_area
    from app.system.models import Organization

    engine = create_engine("sqlite:///" + path)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-524288")
        cur.close()

    st = {"complaints": cst["rows"], "busy_street": cst["busy_street"], "made": datetime.now().isoformat()}
    log(f"appending {N_AUDIT:,} audit-log rows ...")
    with app.app_context():
        ast = gen.generate(engine, N_AUDIT, log=log)
    st["audit"] = N_AUDIT
    st["audit_search_term"] = ast["search_term"]
    log(f"appending {N_STAFF:,} staff records ...")
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        org_ids = list(conn.execute(select(Organization.id).where(Organization.enterprise_type == "property_company")
                                    .order_by(Organization.id)).scalars())
        area_ids = list(conn.execute(select(PropertyArea.id).order_by(PropertyArea.id)).scalars())
        start = (conn.execute(text("SELECT max(id) FROM anju_staff")).scalar() or 0) + 1
    done, batch = 0, 20_000
    while done < N_STAFF:
        n = min(batch, N_STAFF - done)
        rows, links = _staff_rows(n, org_ids, area_ids, start + done, rng)
        with engine.begin() as conn:
            conn.execute(insert(Staff.__table__), rows)
            conn.execute(insert(staff_area), links)
        done += n
        if done % 200_000 == 0 or done == N_STAFF:
            log(f"  {done:,} staff ({done / (time.perf_counter() - t0):,.0f} rows/s)")
    st["staff"] = N_STAFF
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    with open(meta_file, "w") as fh:
        json.dump(st, fh, ensure_ascii=False, default=str)
    shutil.copyfile(path, pristine)
    log(f"peer database ready: {os.path.getsize(path) / 1e9:.2f} GB (copy kept as {PRISTINE})")
    return st


# --- 2. the cases -------------------------------------------------------------------------------

C_JOINS = ("FROM anju_complaint c JOIN anju_property_area a ON a.id = c.area_id "
           "LEFT JOIN anju_org o ON o.id = c.org_id JOIN anju_region d ON d.code = c.district_code "
           "LEFT JOIN anju_region s ON s.code = c.street_code")
C_COLS = ("c.id, c.content, c.status, c.stage, c.due_at, c.submitted_at, c.number, a.name, o.name, d.name, "
          "s.name")
S_COLS = ("s.id, s.name, s.mobile, s.id_number, s.post, s.status, s.left_on, o.name, u.username, "
          "(SELECT group_concat(pa.name, '、') FROM anju_staff_area sa JOIN anju_property_area pa "
          "ON pa.id = sa.area_id WHERE sa.staff_id = s.id)")
S_JOINS = "FROM anju_staff s JOIN anju_org o ON o.id = s.org_id LEFT JOIN ab_user u ON u.id = s.user_id"
A_COLS = "l.id, l.ts, l.username, l.ip, l.action, l.entity, l.entity_id, l.summary"
STAFF_REGION = ("s.id IN (SELECT sa.staff_id FROM anju_staff_area sa JOIN anju_property_area pa ON pa.id = "
                "sa.area_id WHERE pa.region_code >= '{p}' AND pa.region_code < '{u}' UNION SELECT id FROM anju_staff "
                "WHERE org_id IN (SELECT id FROM anju_org WHERE region_code >= '{p}' AND region_code < '{u}'))")
COMPLAINT_TERM = "化粪池"
STAFF_ORG_TERM = "龙腾"
AUDIT_TERM = "解放碑"
DISTRICT1 = "500103"


def _upper(prefix):
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _flt(view, column, cls_name):
    """``_flt_<i>_<column>`` of our view's filter class ``cls_name`` (or a subclass of it)."""
    for i, flt in enumerate(view._filters._all_filters[column]):
        if any(k.__name__ == cls_name for k in type(flt).__mro__):
            return f"_flt_{i}_{column}"
    raise KeyError((column, cls_name))


def define_cases(app):
    """(list, role, case) with our URL, Django's URL and the floor's SQL (page, count)."""
    from urllib.parse import quote

    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    cv, sv, av = views["ComplaintView"], views["StaffView"], views["AuditLogView"]
    cases = []

    def add(lst, role, case, ours, django, where, order, offset, size, sort=False):
        cases.append({"list": lst, "role": role, "case": case, "ours": ours, "django": django,
                      "where": where, "order": order, "offset": offset, "size": size, "sort": sort})

    for role in ("admin", "district1"):
        scope = f"c.district_code = '{DISTRICT1}'" if role == "district1" else None

        def w(*parts, scope=scope):
            parts = [p for p in (scope, *parts) if p]
            return " AND ".join(parts) if parts else None
        base, dj = "/complaints/list/", "/admin/peer/complaint/"
        add("complaints", role, "first page", base, dj, w(), "c.submitted_at DESC, c.id DESC", 0, 20)
        add("complaints", role, "deep page (offset 40,000)", base + "?page_ComplaintView=2000", dj + "?p=2001", w(),
            "c.submitted_at DESC, c.id DESC", 40000, 20)
        add("complaints", role, "filter stage=processing", base + f"?{_flt(cv, 'stage', 'FilterEqual')}=processing",
            dj + "?stage__exact=processing", w("c.stage = 'processing'"), "c.submitted_at DESC, c.id DESC", 0, 20)
        add("complaints", role, f"contains {COMPLAINT_TERM}",
            base + f"?{_flt(cv, 'content', 'FilterContains')}={quote(COMPLAINT_TERM)}",
            dj + f"?q={quote(COMPLAINT_TERM)}", w(f"c.content LIKE '%{COMPLAINT_TERM}%'"),
            "c.submitted_at DESC, c.id DESC", 0, 20)
        add("complaints", role, "sort by number (desc)", base + "?_oc_ComplaintView=number&_od_ComplaintView=desc",
            dj + "?o=-8", w(), "c.number DESC, c.id DESC", 0, 20, sort=True)

        sscope = STAFF_REGION.format(p=DISTRICT1, u=_upper(DISTRICT1)) if role == "district1" else None

        def ws(*parts, scope=sscope):
            parts = [p for p in (scope, *parts) if p]
            return " AND ".join(parts) if parts else None
        base, dj = "/staff/list/", "/admin/peer/staff/"
        add("staff", role, "first page", base, dj, ws(), "s.id DESC", 0, 20)
        add("staff", role, "deep page (offset 40,000)", base + "?page_StaffView=2000", dj + "?p=2001", ws(),
            "s.id DESC", 40000, 20)
        add("staff", role, "filter status=left", base + f"?{_flt(sv, 'status', 'FilterEqual')}=left",
            dj + "?status__exact=left", ws("s.status = 'left'"), "s.id DESC", 0, 20)
        add("staff", role, f"contains {STAFF_ORG_TERM} (company)",
            base + f"?{_flt(sv, 'org', 'BaseFilter')}={quote(STAFF_ORG_TERM)}", dj + f"?q={quote(STAFF_ORG_TERM)}",
            ws(f"s.org_id IN (SELECT id FROM anju_org WHERE name LIKE '%{STAFF_ORG_TERM}%')"), "s.id DESC", 0, 20)
        # By post, not name: a viewer who sees names masked gets no order by name (ours orders
        # such a list by key). Descending: Django breaks ties by -pk, as ours does then.
        add("staff", role, "sort by post (desc)", base + "?_oc_StaffView=post&_od_StaffView=desc", dj + "?o=-3", ws(),
            "s.post DESC, s.id DESC", 0, 20, sort=True)

    base, dj = "/auditlogview/list/", "/admin/peer/auditlog/"
    add("audit", "admin", "first page", base, dj, None, "l.id DESC", 0, 50)
    add("audit", "admin", "deep page (offset 40,000)", base + "?page_AuditLogView=800", dj + "?p=801", None,
        "l.id DESC", 40000, 50)
    add("audit", "admin", "filter action=login", base + f"?{_flt(av, 'action', 'FilterEqual')}=login",
        dj + "?action__exact=login", "l.action = 'login'", "l.id DESC", 0, 50)
    add("audit", "admin", f"contains {AUDIT_TERM}", base + f"?{_flt(av, 'summary', 'FilterContains')}={quote(AUDIT_TERM)}",
        dj + f"?q={quote(AUDIT_TERM)}", f"l.summary LIKE '%{AUDIT_TERM}%'", "l.id DESC", 0, 50)
    add("audit", "admin", "sort by user (desc)", base + "?_oc_AuditLogView=username&_od_AuditLogView=desc",
        dj + "?o=-1", None, "l.username DESC, l.id DESC", 0, 50, sort=True)
    return cases


def floor_sql(case):
    """The page by ids first (the keys with the filters and order, then their joins) + COUNT."""
    where = f" WHERE {case['where']}" if case["where"] else ""
    limit = f"LIMIT {case['size']} OFFSET {case['offset']}"
    if case["list"] == "complaints":
        ids = f"SELECT c.id FROM anju_complaint c{where} ORDER BY {case['order']} {limit}"
        page = f"SELECT {C_COLS} {C_JOINS} WHERE c.id IN ({ids}) ORDER BY {case['order']}"
        count = f"SELECT count(*) FROM anju_complaint c{where}"
    elif case["list"] == "staff":
        ids = f"SELECT s.id FROM anju_staff s{where} ORDER BY {case['order']} {limit}"
        page = f"SELECT {S_COLS} {S_JOINS} WHERE s.id IN ({ids}) ORDER BY {case['order']}"
        count = f"SELECT count(*) FROM anju_staff s{where}"
    else:
        page = f"SELECT {A_COLS} FROM anju_audit_log l{where} ORDER BY {case['order']} {limit}"
        count = f"SELECT count(*) FROM anju_audit_log l{where}"
    return page, count


# --- 3. the three programs ----------------------------------------------------------------------

SHOW_RE = {"complaints": re.compile(r'/complaints/show/(\d+)"'), "staff": re.compile(r'/staff/show/(\d+)"'),
           "audit": re.compile(r'/auditlogview/show/(\d+)"')}
COUNT_RE = re.compile(r"(?:记录数|Record Count|共)\s*:?\s*(?:</strong>)?\s*([\d,]+)")


class Ours:
    def __init__(self, app):
        self.app = app
        self.clients = {}

    def get(self, case, parse=False):
        client = self.clients.get(case["role"]) or self.clients.setdefault(case["role"], common.login(self.app, case["role"]))
        t0 = time.perf_counter()
        resp = client.get(case["ours"])
        ms = (time.perf_counter() - t0) * 1000
        out = {"status": resp.status_code, "ms": ms}
        if parse:
            html = resp.get_data(as_text=True)
            out["ids"] = list(dict.fromkeys(int(x) for x in SHOW_RE[case["list"]].findall(html)))
            m = COUNT_RE.search(html)
            out["count"] = int(m.group(1).replace(",", "")) if m else None
        return out


class Django:
    def __init__(self, path):
        env = dict(os.environ, PEER_DB=path)
        self.proc = subprocess.Popen([BENCH_PY, os.path.join(HERE, "django_peer", "driver.py")], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(self.proc.stdout.readline())
        self.version = hello["django"]

    def get(self, case, parse=False):
        self.proc.stdin.write(json.dumps({"user": case["role"], "url": case["django"], "parse": parse}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Floor:
    def __init__(self, path):
        self.conn = sqlite3.connect(path)

    def get(self, case, parse=False):
        page, count = floor_sql(case)
        t0 = time.perf_counter()
        rows = self.conn.execute(page).fetchall()
        n = self.conn.execute(count).fetchone()[0]
        ms = (time.perf_counter() - t0) * 1000
        return {"status": 200, "ms": ms, "ids": [r[0] for r in rows], "count": n}


def check(case, got):
    """Problems of the first, untimed pass: statuses, same page ids as the floor, counts."""
    problems = []
    floor = got["floor"]
    for prog in ("ours", "django"):
        r = got[prog]
        if r["status"] != 200:
            problems.append(f"{prog}: HTTP {r['status']}")
            continue
        if r["ids"] != floor["ids"]:
            problems.append(f"{prog}: rows differ from the floor ({r['ids'][:3]} vs {floor['ids'][:3]})")
    if got["ours"].get("count") not in (None, floor["count"]) and floor["count"] <= 10_000:
        problems.append(f"ours counts {got['ours']['count']}, floor {floor['count']}")
    if not floor["ids"]:
        problems.append("empty page")
    return "ok" if not problems else "; ".join(problems)


def measure(bench_dir, st):
    path = db_file(bench_dir)
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI="sqlite:///" + path,
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    cases = define_cases(app)
    progs = {"ours": Ours(app), "django": Django(path), "floor": Floor(path)}
    log(f"Django {progs['django'].version} started; {len(cases)} cases x 3 programs, {RUNS} rounds")
    results = []
    for case in cases:
        got = {name: prog.get(case, parse=True) for name, prog in progs.items()}
        case["check"] = check(case, got)
        case["matching"] = got["floor"]["count"]
        case["our_count"] = got["ours"].get("count")
        case["times"] = {name: [] for name in progs}
        log(f"{case['list']:10} {case['role']:9} {case['case']:28} {case['matching']:>9,} rows; check {case['check']}")
        results.append(case)
    rng = random.Random(SEED)
    pairs = [(i, name) for i in range(len(cases)) for name in progs]
    for name in progs:             # one warm-up pass each
        for case in cases:
            progs[name].get(case)
    for r in range(RUNS):
        rng.shuffle(pairs)
        for i, name in pairs:
            out = progs[name].get(cases[i])
            if out["status"] != 200:
                raise RuntimeError(f"{name} {cases[i]['case']}: HTTP {out['status']}")
            cases[i]["times"][name].append(out["ms"])
        log(f"round {r + 1}/{RUNS} done")
    progs["django"].close()
    for case in results:
        case["median_ms"] = {name: round(statistics.median(t), 1) for name, t in case["times"].items()}
        case["min_ms"] = {name: round(min(t), 1) for name, t in case["times"].items()}
        m = case["median_ms"]
        case["ours_over_django"] = round(m["ours"] / m["django"], 2) if m["django"] else None
        case["ours_minus_floor_ms"] = round(m["ours"] - m["floor"], 1)
    return results, progs["django"].version


def print_table(results, version):
    print()
    print(f"Our lists against Django admin {version} over the same SQLite file (median ms of {RUNS} shuffled, "
          "interleaved rounds; floor = the page by ids first + COUNT(*) in bare SQL)")
    print("(min: the fastest round of each, less disturbed by other work on the machine)")
    head = (f"{'list':10} {'role':9} {'case':30} {'rows':>9} {'ours':>7} {'django':>7} {'ours/dj':>7} {'floor':>7} "
            f"{'ours-floor':>10} {'min: ours/dj':>12}  goal")
    print(head)
    print("-" * len(head))
    for c in results:
        m = c["median_ms"]
        ratio_ok = c["ours_over_django"] is not None and c["ours_over_django"] <= 0.5
        near_floor = c["ours_minus_floor_ms"] <= 10
        verdict = "ok" if ratio_ok else "MISSED (ratio)"
        if not near_floor:
            verdict += f"; {c['ours_minus_floor_ms']:.0f} ms above the floor"
        if c["check"] != "ok":
            verdict += f"  [{c['check']}]"
        print(f"{c['list']:10} {c['role']:9} {c['case']:30} {c['matching']:>9,} {m['ours']:>7.1f} {m['django']:>7.1f} "
              f"{c['ours_over_django']:>7.2f} {m['floor']:>7.1f} {c['ours_minus_floor_ms']:>10.1f} "
              f"{c['min_ms']['ours'] / c['min_ms']['django']:>12.2f}  {verdict}")


def save(results, version, st):
    out = os.path.join(OUT_DIR, "results.json")
    try:
        with open(out) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        data = {}
    data["peer"] = {"when": datetime.now().isoformat(timespec="seconds"), "django": version, "runs": RUNS,
                    "database": st, "cases": [{k: v for k, v in c.items() if k != "times"} | {"runs_ms": c["times"]}
                                              for c in results]}
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(out, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
    return out


def main():
    bench_dir = os.path.abspath(os.environ.get("BENCH_DIR") or os.path.join(OUT_DIR, "peer"))
    if not os.path.exists(BENCH_PY):
        print(f"{BENCH_PY} is missing: `make bench` makes .venv-bench from bench/requirements-bench.txt")
        return 2
    st = build(bench_dir)
    if len(sys.argv) > 1 and sys.argv[1] == "build":
        return 0
    results, version = measure(bench_dir, st)
    print_table(results, version)
    out = save(results, version, st)
    print(f"\nresults under \"peer\" in {out}")
    return 1 if any(c["check"].startswith(("ours:", "django: HTTP")) or "HTTP" in c["check"] for c in results) else 0


if __name__ == "__main__":
    sys.exit(main())
