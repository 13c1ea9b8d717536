"""Accounts benchmark (issue "accounts and real-name"), run by bench/run.py at the end or alone:

    .venv/bin/python bench/accounts.py                       # both parts
    BENCH_ONLY=accounts .venv/bin/python bench/run.py        # the same, through run.py
    BENCH_REGISTRATIONS=50 BENCH_REGISTRY_ROWS=5000 .venv/bin/python bench/accounts.py   # quick

1. Registrations through the real pages (SMS outbox backend, SQLite, Flask test client on
   the app built like the test fixtures): N people one after another, then the same number
   spread over K threads, then collision rounds where T threads register the SAME ID number
   at once (exactly one may succeed). The person rows must equal the successes.
2. Import of BENCH_REGISTRY_ROWS reference-registry rows from an .xlsx through
   /realnameregistryview/import/ as admin, in a child process (bench/import_child.py) for
   its peak memory; then the same file again (every row exists: the update path).

Environment: BENCH_REGISTRATIONS (500), BENCH_REG_THREADS (4), BENCH_COLLISION_THREADS (8),
BENCH_COLLISION_ROUNDS (5), BENCH_REGISTRY_ROWS (200000), BENCH_ONLY (accounts, registrations
or registry; comma-separated), BENCH_PROFILE=1 (profile the imports with pyinstrument),
BENCH_DIR / BENCH_KEEP as in run.py. Results: the printed tables and the "accounts" key of
bench/out/results.json (the other keys of that file are kept).
"""
import html as htmlmod
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
import threading
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

N_REG = int(os.environ.get("BENCH_REGISTRATIONS", "500"))
THREADS = int(os.environ.get("BENCH_REG_THREADS", "4"))
COLLIDERS = int(os.environ.get("BENCH_COLLISION_THREADS", "8"))
COLLISION_ROUNDS = int(os.environ.get("BENCH_COLLISION_ROUNDS", "5"))
REG_ROWS = int(os.environ.get("BENCH_REGISTRY_ROWS", "200000"))
PROFILE = os.environ.get("BENCH_PROFILE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "accounts.db"
PASSWORD = "Anju#2026ok"

# Limits lifted for the benchmark (config overrides and parameter rows; see README).
IMPORT_MAX_BYTES = 256 * 1024 * 1024
MAX_CONTENT_LENGTH = 256 * 1024 * 1024
SMS_DAILY_PER_IP = 100_000  # the parameter's declared maximum (app/system/params.py)
IMPORT_MAX_ROWS_CAP = 1_000_000  # likewise for import.max_rows

# What a refused registrant of a taken ID number reads (zh catalog).
REFUSAL_TAKEN = "该证件号码已注册账号"  # the pre-check in services.register_person
REFUSAL_RACE = "同一时间已有人用该证件号码或手机号码注册了账号"  # the unique constraint caught
FORM_ERROR_RE = re.compile(r'id="form-error">(.*?)</div>', re.S)
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def selected_parts():
    only = {p.strip() for p in os.environ.get("BENCH_ONLY", "").split(",") if p.strip()}
    if not only or "accounts" in only:
        return {"registrations", "registry"}
    return only & {"registrations", "registry"}


# --- helpers ------------------------------------------------------------------------------

def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)] if s else None


def ms(x):
    return None if x is None else round(x * 1000, 2)


def summary(times):
    if not times:
        return {"n": 0, "median_ms": None, "p95_ms": None, "max_ms": None}
    return {"n": len(times), "median_ms": ms(statistics.median(times)), "p95_ms": ms(pct(times, 0.95)),
            "max_ms": ms(max(times))}


def fmt(v, digits=1):
    return "-" if v is None else f"{v:,.{digits}f}"


def db_url(bench_dir):
    return "sqlite:///" + os.path.join(bench_dir, DB_NAME)


def make_app(bench_dir):
    """The real app as tests/conftest.py build_app makes it (TestConfig: the picture code
    is "TEST"), on the scratch database, with the import byte limits raised."""
    from app import create_app

    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=db_url(bench_dir),
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"),
                     IMPORT_MAX_BYTES=IMPORT_MAX_BYTES, MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    app.instance_path = bench_dir
    return app


def login(app, username="admin", password=common.DEMO_PASSWORD):
    """Sign in by the form as tests/conftest.py Client.login does (picture code included)."""
    client = app.test_client()
    token = common.csrf_token(client.get("/login/").get_data(as_text=True))
    client.get("/captcha/login.png")
    resp = client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": token, "captcha": "TEST"})
    if resp.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {resp.status_code}")
    return client


def bench_engine(bench_dir):
    """The benchmark's own connections (never the app's pool)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(db_url(bench_dir), poolclass=NullPool)


def scalar(engine, sql, **params):
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


# --- identities -----------------------------------------------------------------------------

# County codes (Chongqing first, then a few other provinces) for the generated ID numbers.
REGIONS = ["500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113",
           "110101", "310104", "440106", "510104", "420106", "330106"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳"


def resident_id(i):
    """The i-th valid resident ID number; distinct i give distinct numbers."""
    from app.core.validators import id_check_char

    region = REGIONS[i % len(REGIONS)]
    j = i // len(REGIONS)
    seq, day = j % 1000, j // 1000
    birth = date(1950, 1, 1) + timedelta(days=day * 29 + seq % 29)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def chinese_name(i):
    given = GIVEN[(i * 7) % len(GIVEN)] + (GIVEN[(i * 13 + 5) % len(GIVEN)] if i % 3 else "")
    return SURNAMES[i % len(SURNAMES)] + given


def mobile(i):
    return f"139{i:08d}"


class Identities:
    """Unique people for the whole run (registrations and collisions never overlap the
    registry file, which uses ids 0..REG_ROWS-1)."""

    def __init__(self, start=5_000_000):
        self.next = start
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            i = self.next
            self.next += 1
        return {"name": chinese_name(i), "id_number": resident_id(i), "mobile": mobile(i)}


# --- 1. registrations ---------------------------------------------------------------------------

def is_lock_error(exc):
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def short_error(exc):
    """'Type: first line [the statement]' of an exception (SQLAlchemy's are long)."""
    lines = str(exc).splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    sql = next((ln for ln in lines if ln.startswith("[SQL:")), None)
    if sql:
        text += " " + (sql[:110] + "...]" if len(sql) > 110 else sql)
    return text


class Registrant:
    """One person at a browser: a fresh test client (cookie jar) and the page's steps."""

    def __init__(self, app, engine, person):
        self.app, self.engine, self.person = app, engine, person
        self.client = app.test_client()
        self.steps = {}
        self.token = None

    def _step(self, name, fn):
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.steps[name] = time.perf_counter() - t0

    def prepare(self):
        """Everything before the final POST: the page, the picture code, the SMS code."""
        p = self.person
        resp = self._step("get_page", lambda: self.client.get("/register/person"))
        if resp.status_code != 200:
            raise RuntimeError(f"GET /register/person: HTTP {resp.status_code}")
        self.token = common.csrf_token(resp.get_data(as_text=True))
        resp = self._step("captcha", lambda: self.client.get("/captcha/sms.png"))
        if resp.status_code != 200 or resp.mimetype != "image/png":
            raise RuntimeError(f"GET /captcha/sms.png: HTTP {resp.status_code} {resp.mimetype}")
        resp = self._step("sms_send", lambda: self.client.post("/sms/send", data={
            "mobile": p["mobile"], "purpose": "register", "captcha": "TEST", "csrf_token": self.token}))
        body = resp.get_json(silent=True) or {}
        if resp.status_code != 200 or not body.get("ok"):
            raise RuntimeError(f"POST /sms/send: HTTP {resp.status_code} {body.get('message')}")
        content = self._step("read_code", lambda: scalar(
            self.engine, "SELECT content FROM anju_sms_outbox WHERE mobile = :m ORDER BY id DESC LIMIT 1",
            m=p["mobile"]))
        found = re.search(r"(\d{6})", content or "")
        if not found:
            raise RuntimeError(f"no 6-digit code in the outbox for {p['mobile']}: {content!r}")
        self.code = found.group(1)

    def submit(self):
        """The final POST; returns (outcome, message): ok / refused / locked / error."""
        p = self.person
        t0 = time.perf_counter()
        try:
            resp = self.client.post("/register/person", data={
                "name": p["name"], "id_type": "resident_id", "id_number": p["id_number"],
                "mobile": p["mobile"], "sms_code": self.code, "password": PASSWORD, "confirm": PASSWORD,
                "csrf_token": self.token})
        except Exception as exc:  # TESTING propagates exceptions out of the test client
            self.steps["register"] = time.perf_counter() - t0
            return ("locked" if is_lock_error(exc) else "error"), short_error(exc)
        self.steps["register"] = time.perf_counter() - t0
        if resp.status_code == 302 and urlparse(resp.headers.get("Location", "")).path.rstrip("/") == "/login":
            return "ok", None
        text = resp.get_data(as_text=True)
        m = FORM_ERROR_RE.search(text)
        if resp.status_code == 200 and m:
            return "refused", htmlmod.unescape(m.group(1)).strip()
        if "database is locked" in text:
            return "locked", f"HTTP {resp.status_code}"
        return "error", f"HTTP {resp.status_code} {resp.headers.get('Location', '')}"

    def run(self):
        """The whole flow; returns a record for the tables."""
        t0 = time.perf_counter()
        try:
            self.prepare()
        except Exception as exc:
            outcome = "locked" if is_lock_error(exc) else "error"
            return {"outcome": outcome, "step": next(reversed(self.steps), "get_page"),
                    "message": short_error(exc), "flow_s": time.perf_counter() - t0,
                    "steps": dict(self.steps)}
        outcome, message = self.submit()
        return {"outcome": outcome, "step": "register", "message": message,
                "flow_s": time.perf_counter() - t0, "steps": dict(self.steps)}


def tally(records, wall):
    from collections import Counter

    outcomes = Counter(r["outcome"] for r in records)
    ok = [r for r in records if r["outcome"] == "ok"]
    problems = Counter(f"{r['step']}: {r['message']}" for r in records if r["outcome"] != "ok")
    steps = {}
    for name in ("get_page", "captcha", "sms_send", "read_code", "register"):
        steps[name] = summary([r["steps"][name] for r in ok if name in r["steps"]])
    return {
        "attempts": len(records), "ok": outcomes["ok"], "refused": outcomes["refused"],
        "lock_errors": outcomes["locked"], "other_errors": outcomes["error"],
        "wall_s": wall, "registrations_per_s": outcomes["ok"] / wall if wall else None,
        "flow": summary([r["flow_s"] for r in ok]), "final_post": summary([r["steps"]["register"] for r in ok]),
        "steps": steps, "problems": problems.most_common(10),
    }


def run_sequential(app, engine, people, n):
    records = []
    t0 = time.perf_counter()
    last = t0
    for k in range(n):
        records.append(Registrant(app, engine, people.take()).run())
        now = time.perf_counter()
        if now - last > 15:
            last = now
            log(f"    {k + 1:,}/{n:,} registrations ({(k + 1) / (now - t0):.1f}/s)")
    return tally(records, time.perf_counter() - t0)


def run_concurrent(app, engine, people, n, threads):
    shares = [n // threads + (1 if t < n % threads else 0) for t in range(threads)]
    records = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)
    ends = [None] * threads

    def worker(t):
        barrier.wait()
        for _ in range(shares[t]):
            records[t].append(Registrant(app, engine, people.take()).run())
        ends[t] = time.perf_counter()

    ths = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for th in ths:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in ths:
        th.join()
    res = tally([r for rs in records for r in rs], max(ends) - t0)
    res["threads"] = threads
    return res


def run_collision(app, engine, people, threads, rnd):
    """T registrants, distinct mobiles, one ID number, final POSTs released together."""
    the_id = people.take()["id_number"]
    regs = []
    for _ in range(threads):
        person = people.take()
        person["id_number"] = the_id
        r = Registrant(app, engine, person)
        r.prepare()
        regs.append(r)
    barrier = threading.Barrier(threads)
    outcomes = [None] * threads

    def worker(t):
        barrier.wait()
        outcomes[t] = regs[t].submit()

    ths = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    ok = sum(1 for o, _m in outcomes if o == "ok")
    refused = [m for o, m in outcomes if o == "refused"]
    taken = sum(1 for m in refused if REFUSAL_TAKEN in m)
    race = sum(1 for m in refused if REFUSAL_RACE in m)
    other_refusals = [m for m in refused if REFUSAL_TAKEN not in m and REFUSAL_RACE not in m]
    locked = [m for o, m in outcomes if o == "locked"]
    errors = [m for o, m in outcomes if o == "error"]
    rows = scalar(engine, "SELECT COUNT(*) FROM anju_person WHERE id_type = 'resident_id' AND id_number = :n",
                  n=the_id)
    mobiles = [r.person["mobile"] for r in regs]
    users = scalar(engine, "SELECT COUNT(*) FROM ab_user WHERE mobile IN (%s)" % ",".join(
        f"'{m}'" for m in mobiles))
    problems = []
    if ok != 1:
        problems.append(f"{ok} registrations succeeded")
    if len(refused) != threads - 1 or other_refusals:
        problems.append(f"{len(refused)} refusals, {len(other_refusals)} not the Chinese ID refusal"
                        + (f" ({other_refusals[0][:80]})" if other_refusals else ""))
    if locked:
        problems.append(f"{len(locked)} database lock errors")
    if errors:
        problems.append(f"{len(errors)} other errors ({errors[0][:120]})")
    if rows != 1:
        problems.append(f"{rows} anju_person rows for the ID number")
    if users != ok:
        problems.append(f"{users} accounts for the {threads} mobiles, {ok} successes")
    refusal_cjk = all(CJK_RE.search(m) for m in refused)
    return {"round": rnd, "threads": threads, "id_number": the_id, "ok": ok, "refused": len(refused),
            "refused_taken": taken, "refused_race": race, "other_refusals": other_refusals[:3],
            "refusals_in_chinese": refusal_cjk, "lock_errors": len(locked), "other_errors": len(errors),
            "error_samples": (locked + errors)[:3], "person_rows": rows, "accounts": users,
            "check": "ok" if not problems else "; ".join(problems),
            "sample_refusal": refused[0] if refused else None}


def bench_registrations(app, bench_dir):
    from sqlalchemy import text

    from app.extensions import db
    from app.system.params import get_param

    engine = bench_engine(bench_dir)
    with app.app_context():
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = 'sms.daily_per_ip'"),
                           {"v": str(SMS_DAILY_PER_IP)})
        db.session.commit()
        cap = get_param("sms.daily_per_ip")
        db.session.remove()
    if cap != SMS_DAILY_PER_IP:
        raise SystemExit(f"sms.daily_per_ip reads back as {cap}, not {SMS_DAILY_PER_IP}")
    people = Identities()
    res = {"n": N_REG, "threads": THREADS, "sms_daily_per_ip": cap}

    def counts():
        return {"persons": scalar(engine, "SELECT COUNT(*) FROM anju_person"),
                "users": scalar(engine, "SELECT COUNT(*) FROM ab_user"),
                "audit": scalar(engine, "SELECT COUNT(*) FROM anju_audit_log")}

    before = counts()
    log(f"registrations: {N_REG:,} one after another (fresh client each: GET page, picture code, "
        f"SMS code, outbox, POST) ...")
    res["sequential"] = seq = run_sequential(app, engine, people, N_REG)
    after_seq = counts()
    seq["audit_entries_per_registration"] = (after_seq["audit"] - before["audit"]) / max(seq["ok"], 1)
    log(f"  sequential: {seq['ok']:,} ok in {seq['wall_s']:.1f}s = {seq['registrations_per_s']:.1f}/s; final POST "
        f"median {seq['final_post']['median_ms']} ms, p95 {seq['final_post']['p95_ms']} ms; "
        f"{seq['lock_errors']} lock errors, {seq['other_errors']} other errors")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT entity, COUNT(*) FROM anju_audit_log WHERE id > (SELECT MAX(id) - :n FROM anju_audit_log) "
            "GROUP BY entity ORDER BY 2 DESC"), {"n": after_seq["audit"] - before["audit"]}).all()
    seq["audit_entries_by_entity"] = {e or "-": c for e, c in rows}

    log(f"registrations: {N_REG:,} over {THREADS} threads (each its own client) ...")
    res["concurrent"] = con = run_concurrent(app, engine, people, N_REG, THREADS)
    log(f"  concurrent: {con['ok']:,} ok in {con['wall_s']:.1f}s = {con['registrations_per_s']:.1f}/s; final POST "
        f"median {con['final_post']['median_ms']} ms, p95 {con['final_post']['p95_ms']} ms; "
        f"{con['lock_errors']} lock errors, {con['other_errors']} other errors")

    log(f"collisions: {COLLISION_ROUNDS} rounds of {COLLIDERS} threads registering one ID number ...")
    res["collisions"] = cols = [run_collision(app, engine, people, COLLIDERS, k + 1)
                                for k in range(COLLISION_ROUNDS)]
    for c in cols:
        log(f"  round {c['round']}: {c['ok']} ok, {c['refused']} refused ({c['refused_taken']} by the check, "
            f"{c['refused_race']} by the unique constraint), {c['lock_errors']} lock errors, "
            f"{c['person_rows']} person row(s): {c['check']}")

    after = counts()
    successes = seq["ok"] + con["ok"] + sum(c["ok"] for c in cols)
    res["persons_added"] = after["persons"] - before["persons"]
    res["users_added"] = after["users"] - before["users"]
    res["successes"] = successes
    res["count_check"] = "ok" if res["persons_added"] == successes == res["users_added"] else \
        f"MISMATCH: {res['persons_added']} persons, {res['users_added']} accounts, {successes} successes"
    from app.core.audit import verify_chain

    with app.app_context():
        ok, checked, bad, reason = verify_chain()
        db.session.remove()
    res["audit_chain"] = {"ok": ok, "checked": checked, "bad_id": bad, "reason": reason}
    engine.dispose()
    return res


def print_registrations(res):
    print()
    print(f"Registrations through the real pages (SMS outbox backend, SQLite): {res['n']:,} people per run; "
          f"flow = GET /register/person, GET /captcha/sms.png, POST /sms/send, code read from the outbox, "
          f"POST /register/person")
    head = (f"{'run':<12} {'threads':>7} {'ok':>6} {'refused':>7} {'lock err':>8} {'other err':>9} {'wall s':>8} "
            f"{'reg/s':>7} {'flow med ms':>11} {'final POST med ms':>17} {'p95 ms':>8} {'max ms':>8}")
    print(head)
    print("-" * len(head))
    for key, threads in (("sequential", 1), ("concurrent", res["threads"])):
        r = res[key]
        print(f"{key:<12} {threads:>7} {r['ok']:>6,} {r['refused']:>7,} {r['lock_errors']:>8,} {r['other_errors']:>9,} "
              f"{r['wall_s']:>8,.1f} {fmt(r['registrations_per_s']):>7} {fmt(r['flow']['median_ms']):>11} "
              f"{fmt(r['final_post']['median_ms']):>17} {fmt(r['final_post']['p95_ms']):>8} "
              f"{fmt(r['final_post']['max_ms']):>8}")
    for key in ("sequential", "concurrent"):
        for problem, n in res[key]["problems"]:
            print(f"  {key} problem x{n}: {problem}")
    print()
    print("Steps of a successful registration: median ms (p95 ms)")
    names = ("get_page", "captcha", "sms_send", "read_code", "register")
    print(f"{'run':<12} " + " ".join(f"{n:>17}" for n in names))
    for key in ("sequential", "concurrent"):
        st = res[key]["steps"]
        print(f"{key:<12} " + " ".join(f"{fmt(st[n]['median_ms']) + ' (' + fmt(st[n]['p95_ms']) + ')':>17}"
                                        for n in names))
    seq = res["sequential"]
    print(f"Audit entries written per registration: {seq['audit_entries_per_registration']:.1f} "
          f"(by entity: {', '.join(f'{k} {v}' for k, v in seq['audit_entries_by_entity'].items())})")
    print()
    print(f"Collisions: {COLLIDERS} threads, distinct mobiles, the same ID number, final POSTs released "
          f"together; exactly one may succeed")
    head = (f"{'round':>5} {'ok':>3} {'refused':>7} {'by check':>8} {'by unique':>9} {'lock err':>8} "
            f"{'other err':>9} {'person rows':>11}  check")
    print(head)
    print("-" * (len(head) + 20))
    for c in res["collisions"]:
        print(f"{c['round']:>5} {c['ok']:>3} {c['refused']:>7} {c['refused_taken']:>8} {c['refused_race']:>9} "
              f"{c['lock_errors']:>8} {c['other_errors']:>9} {c['person_rows']:>11}  {c['check']}")
        for sample in c["error_samples"]:
            print(f"        error: {sample[:160]}")
    sample = next((c["sample_refusal"] for c in res["collisions"] if c["sample_refusal"]), None)
    if sample:
        print(f"  refusal shown: {sample}")
    print(f"Person rows added {res['persons_added']:,}, accounts added {res['users_added']:,}, successful "
          f"registrations {res['successes']:,}: {res['count_check']}")
    ch = res["audit_chain"]
    print(f"Audit hash chain after the concurrent runs: {'OK' if ch['ok'] else 'BROKEN at ' + str(ch['bad_id'])}"
          f" ({ch['checked']:,} entries)")


# --- 2. reference-registry import ---------------------------------------------------------------

def write_registry_xlsx(path, n):
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("实名库")
    ws.write_row(0, 0, ["姓名", "证件类型", "证件号码", "来源"])
    for i in range(n):
        ws.write_row(i + 1, 0, [chinese_name(i), "居民身份证", resident_id(i), f"公安人口库2026年第{i // 50_000 + 1}批"])
    wb.close()


def run_import_child(bench_dir, xlsx_path, label):
    out_json = os.path.join(bench_dir, f"import-{label}.json")
    if os.path.exists(out_json):
        os.remove(out_json)
    args = [sys.executable, os.path.join(HERE, "import_child.py"), bench_dir, xlsx_path, out_json, label]
    if PROFILE:
        args.append(os.path.join(OUT_DIR, f"accounts-import-{label}.profile.txt"))
    t0 = time.perf_counter()
    proc = subprocess.run(args, timeout=int(os.environ.get("BENCH_IMPORT_TIMEOUT", "3600")))
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not os.path.exists(out_json):
        return {"error": f"import child exited with {proc.returncode}"}
    with open(out_json) as fh:
        res = json.load(fh)
    res["child_wall_s"] = wall
    return res


def bench_registry(app, bench_dir):
    from sqlalchemy import text

    from app.extensions import db
    from app.system.params import get_param

    max_rows = min(max(REG_ROWS, 100_000), IMPORT_MAX_ROWS_CAP)
    with app.app_context():
        db.session.execute(text("UPDATE anju_param SET value = :v WHERE key = 'import.max_rows'"),
                           {"v": str(max_rows)})
        db.session.commit()
        got = get_param("import.max_rows")
        db.session.remove()
    if got != max_rows:
        raise SystemExit(f"import.max_rows reads back as {got}, not {max_rows}")
    res = {"rows": REG_ROWS, "import_max_rows": max_rows, "import_max_bytes": IMPORT_MAX_BYTES,
           "max_content_length": MAX_CONTENT_LENGTH}
    xlsx_path = os.path.join(bench_dir, "registry.xlsx")
    log(f"writing {REG_ROWS:,} registry rows to an .xlsx (xlsxwriter, constant_memory) ...")
    t0 = time.perf_counter()
    write_registry_xlsx(xlsx_path, REG_ROWS)
    res["xlsx_write_s"] = time.perf_counter() - t0
    res["xlsx_bytes"] = os.path.getsize(xlsx_path)
    log(f"  {res['xlsx_bytes'] / 1e6:,.1f} MB in {res['xlsx_write_s']:.1f}s")
    engine = bench_engine(bench_dir)
    res["rows_before"] = scalar(engine, "SELECT COUNT(*) FROM anju_realname_registry")
    for label, what in (("first", "insert"), ("second", "update")):
        log(f"import, {label} pass ({what} path): POST /realnameregistryview/import/ in a child process ...")
        started = datetime.now()
        r = run_import_child(bench_dir, xlsx_path, label)
        r["path"] = what
        if not r.get("error"):
            r["rows_in_table"] = scalar(engine, "SELECT COUNT(*) FROM anju_realname_registry")
            r["rows_stamped_by_this_pass"] = scalar(
                engine, "SELECT COUNT(*) FROM anju_realname_registry WHERE imported_at >= :t", t=started)
            r["rows_per_s"] = REG_ROWS / r["seconds"] if r["seconds"] else None
            r["audit_entry"] = scalar(engine, "SELECT summary FROM anju_audit_log WHERE action = 'import' "
                                              "ORDER BY id DESC LIMIT 1")
            problems = []
            if r["status"] != 200:
                problems.append(f"HTTP {r['status']}")
            if r["imported"] != REG_ROWS:
                problems.append(f"the page says {r['imported']} rows imported, expected {REG_ROWS:,}")
            if r["rows_in_table"] != res["rows_before"] + REG_ROWS:
                problems.append(f"{r['rows_in_table']:,} rows in the table, expected {res['rows_before'] + REG_ROWS:,}")
            if r["rows_stamped_by_this_pass"] != REG_ROWS:
                problems.append(f"{r['rows_stamped_by_this_pass']:,} rows written by this pass")
            r["check"] = "ok" if not problems else "; ".join(problems)
            log(f"  {label}: {r['seconds']:.1f}s = {r['rows_per_s']:,.0f} rows/s; peak RSS "
                f"{r['peak_kb'] / 1024:,.0f} MB; {r['message']}; check {r['check']}")
        else:
            log(f"  {label}: FAILED: {r['error']}")
        res[label] = r
    res["lookup"] = time_lookup(engine)
    engine.dispose()
    return res


def time_lookup(engine, runs=5):
    """The existing-row lookup of import_registry_rows (one chunk of 900 ID numbers) on the
    full table: by id_number alone (the old form, a scan) and with id_type (the index).
    Timed here because SQLite produces a SELECT's rows as they are fetched: the scan's cost
    is not in the import's cursor.execute time (the "SQL select" column) but in import_rows."""
    from sqlalchemy import text

    with engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM anju_realname_registry")).scalar()
        numbers = [r[0] for r in conn.execute(text(
            "SELECT id_number FROM anju_realname_registry ORDER BY random() LIMIT 900"))]
        if not numbers:
            return None
        names = ", ".join(f":n{k}" for k in range(len(numbers)))
        params = {f"n{k}": v for k, v in enumerate(numbers)}
        out = {"table_rows": total, "chunk": len(numbers), "chunks_per_import": math.ceil(REG_ROWS / 900)}
        for key, where in (("by_id_number", f"id_number IN ({names})"),
                           ("with_id_type", f"id_type = 'resident_id' AND id_number IN ({names})")):
            sql = f"SELECT id, id_type, id_number FROM anju_realname_registry WHERE {where}"
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                conn.execute(text(sql), params).all()
                times.append(time.perf_counter() - t0)
            plan = "; ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql), params))
            out[key] = {"chunk_ms": ms(statistics.median(times)), "plan": plan,
                        "per_import_s": statistics.median(times) * out["chunks_per_import"]}
    return out


def print_registry(res):
    print()
    print(f"Reference-registry import: {res['rows']:,} rows (.xlsx {res['xlsx_bytes'] / 1e6:,.1f} MB, written in "
          f"{res['xlsx_write_s']:.1f}s) through POST /realnameregistryview/import/ as admin, in a child process")
    print(f"  limits raised for the run: IMPORT_MAX_BYTES and MAX_CONTENT_LENGTH {IMPORT_MAX_BYTES // 2**20} MB, "
          f"parameter import.max_rows {res['import_max_rows']:,}; the table held {res['rows_before']:,} rows before")
    head = (f"{'pass':<16} {'HTTP':>4} {'seconds':>8} {'rows/s':>8} {'rows in table':>13} {'baseline RSS':>12} "
            f"{'peak RSS':>9} {'growth':>8}  page says / check")
    print(head)
    print("-" * (len(head) + 30))
    mb = lambda kb: f"{kb / 1024:,.0f} MB" if kb else "-"  # noqa: E731
    for label in ("first", "second"):
        r = res.get(label) or {}
        name = f"{label} ({r.get('path', '?')})"
        if r.get("error"):
            print(f"{name:<16} FAILED: {r['error']}")
            continue
        print(f"{name:<16} {r['status']:>4} {r['seconds']:>8,.1f} {fmt(r['rows_per_s'], 0):>8} "
              f"{r['rows_in_table']:>13,} {mb(r['baseline_rss_kb']):>12} {mb(r['peak_kb']):>9} "
              f"{mb(r['peak_kb'] - r['baseline_rss_kb']):>8}  {r['message']} / {r['check']}")
    print()
    print("Where the time goes (seconds; wrappers around the view's steps in the child process)")
    phases = ("multipart", "read_import", "validate_import", "import_rows", "commit", "rest")
    print(f"{'pass':<16} " + " ".join(f"{p:>15}" for p in phases) + f" {'SQL select':>11} {'insert':>8} {'update':>8}")
    for label in ("first", "second"):
        r = res.get(label) or {}
        if r.get("error"):
            continue
        ph, sql = r["phases"], r["sql"]
        print(f"{label:<16} " + " ".join(f"{fmt(ph.get(p), 2):>15}" for p in phases)
              + f" {fmt(sql['select_s'], 2):>11} {fmt(sql['insert_s'], 2):>8} {fmt(sql['update_s'], 2):>8}")
    print("  (SQL columns: time in cursor.execute; SQLite produces a SELECT's rows as they are fetched, so a "
          "scanning lookup's cost is in import_rows, not in \"SQL select\")")
    lk = res.get("lookup")
    if lk:
        for key, what in (("by_id_number", "by id_number alone (the form used before the index fix)"),
                          ("with_id_type", "with id_type as well (as the import does it now)")):
            print(f"  existing-row lookup, {what}: {lk[key]['chunk_ms']:,.1f} ms per chunk of {lk['chunk']} on "
                  f"{lk['table_rows']:,} rows x {lk['chunks_per_import']} chunks = {lk[key]['per_import_s']:,.1f} s "
                  f"per import on a full table [{lk[key]['plan']}]")
    for label in ("first", "second"):
        r = res.get(label) or {}
        if r.get("audit_entry"):
            print(f"  audit entry ({label}): {r['audit_entry']}")
        if r.get("profile"):
            print(f"  profile ({label}): {r['profile']}")
        if r.get("page_alerts") and r.get("check") != "ok":
            print(f"  page ({label}): {r['page_alerts'][:3]}")


# --- main ------------------------------------------------------------------------------------

def save(acc):
    """Put the accounts results under "accounts" in bench/out/results.json (other keys kept,
    and the figures of a part that was not run this time kept from the last run)."""
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "results.json")
    results = {}
    if os.path.exists(out):
        try:
            with open(out) as fh:
                results = json.load(fh)
        except (OSError, ValueError):
            results = {}
    previous = results.get("accounts") or {}
    for part in ("registrations", "registry"):  # a part not run now keeps its last figures
        if part not in acc and part in previous:
            acc[part] = previous[part]
            kept = (previous.get("kept_from_earlier_run") or {}).get(part) or \
                {"started": previous.get("started"), "code": previous.get("code")}
            acc.setdefault("kept_from_earlier_run", {})[part] = kept
    results["accounts"] = acc
    with open(out, "w") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
    return out


def code_version():
    """The commit measured, and whether app/ differs from it (read-only git)."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=common.ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "app_modified": bool(git("status", "--porcelain", "--", "app", "config.py"))}


def main():
    t_start = time.perf_counter()
    parts = selected_parts()
    if not parts:
        print("BENCH_ONLY selects no accounts part (accounts, registrations, registry)")
        return 0
    bench_dir = os.environ.get("BENCH_DIR")
    made_dir = False
    if bench_dir:
        os.makedirs(bench_dir, exist_ok=True)
    else:
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-accounts-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    for name in (DB_NAME, DB_NAME + "-journal", DB_NAME + "-wal", DB_NAME + "-shm"):
        if os.path.exists(os.path.join(bench_dir, name)):
            os.remove(os.path.join(bench_dir, name))
    import sqlite3

    import sqlalchemy

    acc = {"started": datetime.now().isoformat(timespec="seconds"), "parts": sorted(parts), "bench_dir": bench_dir,
           "env": {"loadavg_start": os.getloadavg(), "python": platform.python_version(),
                   "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__,
                   "cpus": os.cpu_count()}, "code": code_version()}
    log(f"Accounts benchmark ({', '.join(sorted(parts))}) at {acc['code']['commit']}"
        f"{' + uncommitted app changes' if acc['code']['app_modified'] else ''}: {N_REG:,} registrations, {THREADS} threads, "
        f"{COLLISION_ROUNDS}x{COLLIDERS} collisions, {REG_ROWS:,} registry rows; scratch dir {bench_dir}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    app = make_app(bench_dir)
    common.prepare_database(app)
    acc["build_s"] = time.perf_counter() - t0
    log(f"app created (TestConfig), database migrated, roles synced, reference + demo data loaded "
        f"({acc['build_s']:.1f}s)")
    failed = False
    if "registrations" in parts:
        try:
            acc["registrations"] = bench_registrations(app, bench_dir)
            print_registrations(acc["registrations"])
            r = acc["registrations"]
            failed |= r["count_check"] != "ok" or any(c["check"] != "ok" for c in r["collisions"])
        except Exception as exc:
            import traceback

            traceback.print_exc()
            acc["registrations"] = {"error": f"{type(exc).__name__}: {exc}"}
            failed = True
    if "registry" in parts:
        from app.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the import child is the only writer now
        try:
            acc["registry"] = bench_registry(app, bench_dir)
            print_registry(acc["registry"])
            failed |= any((acc["registry"].get(k) or {}).get("check") != "ok" for k in ("first", "second"))
        except Exception as exc:
            import traceback

            traceback.print_exc()
            acc["registry"] = {"error": f"{type(exc).__name__}: {exc}"}
            failed = True
    acc["total_s"] = time.perf_counter() - t_start
    acc["loadavg_end"] = os.getloadavg()
    out = save(acc)
    print()
    print(f"Accounts benchmark: {acc['total_s'] / 60:.1f} min; load average at the end {acc['loadavg_end'][0]:.2f} "
          f"(other work on this machine skews the timings); results under \"accounts\" in {out}")
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    elif os.environ.get("BENCH_FROM_RUN") != "1":  # run.py owns (and reports) its scratch dir
        print(f"Scratch files kept in {bench_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
