"""Allocation benchmark (保障房配租 at city scale, issue 15), run by bench/run.py (part 10) or alone:

    .venv/bin/python bench/allocation.py                                   # 100,000 registrations, SQLite
    ALLOC_REGISTRATIONS=20000 ALLOC_BURST=100 BENCH_RUNS=3 .venv/bin/python bench/allocation.py   # quick
    ALLOC_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/anju_bench \\
        .venv/bin/python bench/allocation.py                               # PostgreSQL, gunicorn workers

1. A scratch database of its own (SQLite ``alloc.db`` in the scratch dir, or the PostgreSQL
   database of ALLOC_DATABASE_URL, or of DATABASE_URL when its name says it is a scratch one: it
   is EMPTIED first, so its name must contain "bench", "scratch" or "test"), built as the other parts build theirs (Alembic migrations,
   sync_roles(), reference + demo data, which includes the allocation demo), then with Core
   insert() in batches of BENCH_BATCH: a plan 《基准测试配租计划》 with the demo's rules and
   priority group (app/allocation/demo.py), published by plans.publish (S and C) and moved
   through its states to 资格公示 (ended); ALLOC_REGISTRATIONS applicants (accounts) with their
   filings (about half married, some with children: family members) and approved
   registrations with 登记编号 continuing the year's counter, plus ALLOC_REFUSED applicants whose
   filings fail one rule (registrations refused with the reason); and an OPEN plan for the
   burst with ALLOC_BURST real-name-verified applicants who have filed.
2. (a) 摇号: lottery.services.freeze (the pools, canonical, hashed) then lottery.services.draw
   (reveal S, E = 305871, every approved registration ranked and given its result in one
   executemany, a history row each, commit) on the ALLOC_REGISTRATIONS approved registrations,
   and lottery.services.files (the published bundle, verified); also the pure protocol.draw on
   the same numbers (median of BENCH_RUNS). Target: the draw well under 2 s.
3. (b) Eligibility screening: registrations.services.screen_many over every filing's dict (as
   filings.services.as_dict gives it, family members included) with the plan's rules: rows per
   second, checked against what the generator made (refusals, priority group).
4. (c) The console's registrations list (AllocationRegistrationView, /allocation/registrations/)
   as alloc_admin through the Flask test client: first page and a filtered page (status
   审核通过, or a 登记编号 prefix), median and p95 of BENCH_RUNS after one warm-up, against the
   bare SQL of the page (ids by id desc, count up to the list's cap). "not available" when the
   view is not registered.
5. (d) Burst at window opening through the real endpoint POST /allocation/my/register/<plan_id>
   (立即登记, a CSRF form post with the project chosen): ALLOC_BURST distinct applicants signed
   in through /login/ (each its own cookie jar), each clicking ALLOC_BURST_CLICKS times at once
   (two tabs), all requests released together from ALLOC_BURST_THREADS client threads against a
   real server in another process: werkzeug's threaded server on SQLite, gunicorn with
   ALLOC_WORKERS gthread workers on PostgreSQL. Requests per second, p50/p95/max, status codes;
   then the rows are counted: exactly one active registration per applicant (duplicates 0), one
   for every applicant (losses 0), distinct numbers. Without the endpoint (the applicant pages
   not merged yet) the same burst goes through registrations.services.register directly (one
   app context per thread) and the table says so.

Environment: ALLOC_REGISTRATIONS (100000), ALLOC_REFUSED (5% of it), ALLOC_BURST (500),
ALLOC_BURST_CLICKS (2), ALLOC_BURST_THREADS (64), ALLOC_WORKERS (4, PostgreSQL), BENCH_RUNS (7),
BENCH_BATCH (20000), BENCH_REUSE=1 (SQLite, with BENCH_DIR: keep a copy of the generated
database and start later runs from it), BENCH_KEEP, BENCH_SEED, ALLOC_ONLY (comma-separated:
draw, screen, pages, burst; default all).
Results: the printed tables and the "allocation" key of bench/out/results.json.
"""
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

N_REG = int(os.environ.get("ALLOC_REGISTRATIONS", "100000"))
N_REFUSED = int(os.environ.get("ALLOC_REFUSED", str(max(1, N_REG // 20))))
N_BURST = int(os.environ.get("ALLOC_BURST", "500"))
CLICKS = max(1, int(os.environ.get("ALLOC_BURST_CLICKS", "2")))
BURST_THREADS = int(os.environ.get("ALLOC_BURST_THREADS", "64"))
WORKERS = int(os.environ.get("ALLOC_WORKERS", "4"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "2026"))
_PARTS = ("draw", "screen", "pages", "burst")
ONLY = {p.strip() for p in os.environ.get("ALLOC_ONLY", "").split(",") if p.strip()} or set(_PARTS)
if ONLY - set(_PARTS):
    raise SystemExit(f"ALLOC_ONLY: unknown part(s) {', '.join(sorted(ONLY - set(_PARTS)))}; use {', '.join(_PARTS)}")
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "alloc.db"
PRISTINE = "alloc.pristine.db"
META = "alloc-gen.json"
BIG_CODE = "BENCH-100K"
BURST_CODE = "BENCH-OPEN"
ENTROPY = "305871"
SECRET_KEY = "bench-secret"
# Bench applicants' passwords: a light PBKDF2 hash, so that signing 500 applicants in costs
# seconds, not minutes of scrypt (the login code path is the same).
PASSWORD = common.DEMO_PASSWORD
PASSWORD_METHOD = "pbkdf2:sha256:1000"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
DISTRICTS = ("500103", "500104", "500106", "500107", "500108", "500109", "500112", "500113")


def _scratch_name(url):
    from sqlalchemy.engine import make_url

    name = (make_url(url).database or "").lower()
    return any(word in name for word in ("bench", "scratch", "test"))


def database_url(bench_dir):
    """ALLOC_DATABASE_URL, else DATABASE_URL when it is PostgreSQL and names a scratch database
    (the benchmark empties it), else SQLite in the scratch dir."""
    url = os.environ.get("ALLOC_DATABASE_URL") or ""
    if url:
        if url.startswith("postgresql") and not _scratch_name(url):
            raise SystemExit("ALLOC_DATABASE_URL: the allocation benchmark empties its PostgreSQL database first; "
                             "name a scratch database (its name containing bench, scratch or test)")
        return url
    url = os.environ.get("DATABASE_URL") or ""
    if url.startswith("postgresql"):
        if _scratch_name(url):
            return url
        log("DATABASE_URL names a database that is not a scratch one: the allocation benchmark runs on SQLite "
            "(set ALLOC_DATABASE_URL to a scratch PostgreSQL database to run it there)")
    return "sqlite:///" + os.path.join(bench_dir, DB_NAME)


def is_postgres(url):
    return url.startswith("postgresql")


def make_app(bench_dir, url):
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI=url, DEMO_PASSWORD=common.DEMO_PASSWORD,
                     SECRET_KEY=SECRET_KEY, SERVER_NAME=None, UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    return app


def summary(times):
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(pct(ms, 0.95), 1),
            "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1), "runs": len(ms)}


def pct(sorted_values, q):
    import math

    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def timed(fn, runs=None):
    """1 warm-up, then RUNS timed calls."""
    fn()
    times = []
    for _ in range(runs or RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _id(first17):
    from app.core.validators import id_check_char

    return first17 + id_check_char(first17)


# --- 1. the data --------------------------------------------------------------------------------

def _reset_postgres(url):
    from sqlalchemy import create_engine, text

    if not _scratch_name(url):
        raise SystemExit("the allocation benchmark empties its PostgreSQL database first: name a scratch database")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class Generator:
    """Applicants, filings, members and registrations by Core insert (no ORM, no audit)."""

    def __init__(self, app, seed=SEED):
        self.app = app
        self.rnd = random.Random(seed)
        self.now = datetime.now().replace(microsecond=0)
        self.st = {"moment": self.now.isoformat(sep=" ")}
        self.person_seq = 0

    # -- one applicant's household, as filings.services.clean would store it -----------------
    def household(self, refuse=None):
        r = self.rnd
        self.person_seq += 1
        n = self.person_seq
        district = r.choice(DISTRICTS)
        birth = date(2009, 1 + n % 12, 1 + n % 28) if refuse == "age" else \
            date(r.randint(1966, 2002), r.randint(1, 12), r.randint(1, 28))
        name = r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6 else "")
        # ID numbers unique across the generated people: the sequence fills the 3-digit
        # order code and the day of birth varies by thousands.
        day = birth + timedelta(days=(n // 1000) % 3000 if refuse != "age" else 0)
        id_number = _id(f"{district}{day:%Y%m%d}{n % 1000:03d}")
        married = refuse != "age" and day.year < 1997 and r.random() < 0.65
        members = []
        if married:
            s_birth = date(min(2003, day.year + r.randint(-4, 4)), r.randint(1, 12), r.randint(1, 28))
            members.append({"name": r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(GIVEN), "id_type": "resident_id",
                            "id_number": _id(f"{district}{s_birth:%Y%m%d}{(n + 500) % 1000:03d}"),
                            "relation": "spouse", "birth_date": s_birth, "employer": "重庆某某有限公司",
                            "annual_income": Decimal(r.randint(30, 90) * 1000)})
            for k in range(r.choice((0, 1, 1, 2))):
                c_birth = date(max(day.year + 22, 2008) + r.randint(0, 10), r.randint(1, 12), r.randint(1, 28))
                if c_birth >= date(2024, 1, 1):
                    continue
                members.append({"name": name[0] + r.choice(GIVEN) + r.choice(GIVEN), "id_type": "resident_id",
                                "id_number": _id(f"{district}{c_birth:%Y%m%d}{(n + 700 + k) % 1000:03d}"),
                                "relation": "child", "birth_date": c_birth, "employer": None,
                                "annual_income": None})
        size = 1 + len(members)
        per_capita = r.randint(22, 88) * 1000 if refuse != "income" else r.randint(105, 160) * 1000
        hukou = "other" if refuse == "hukou" else ("local" if r.random() < 0.6 else "residence_permit")
        return {
            "name": name, "id_type": "resident_id", "id_number": id_number, "birth_date": day,
            "mobile": f"1{r.choice('3578')}{r.randint(0, 9)}{n:08d}"[:11],
            "address": f"重庆市{district}某某路{r.randint(1, 300)}号", "marital_status": "married" if married else "single",
            "hukou_type": hukou, "hukou_district": r.choice(DISTRICTS), "employer": "重庆某某有限公司",
            "social_security_months": 0 if refuse == "age" else r.randint(6, 180),
            "annual_income": Decimal(per_capita * size if refuse != "age" else 0),
            "housing_status": "owns" if refuse == "housing" else "none",
            "owned_area": Decimal(r.randint(60, 120)) if refuse == "housing" else None,
            "current_residence": "租住", "members": members, "refuse": refuse, "family_size": size,
        }

    # -- tables --------------------------------------------------------------------------------
    def users(self, conn, prefix, count, with_person=False, households=None):
        """``count`` public accounts ``<prefix>000001`` ... ; returns their ids in order."""
        from flask_appbuilder.security.sqla.models import assoc_user_role
        from sqlalchemy import select
        from werkzeug.security import generate_password_hash

        from app.accounts.models import Person

        sm = self.app.appbuilder.sm
        users = sm.user_model.__table__
        role_id = conn.execute(select(sm.role_model.id).where(sm.role_model.name == "public")).scalar_one()
        password = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
        stamp = self.now
        for start in range(0, count, BATCH):
            rows = []
            for i in range(start, min(count, start + BATCH)):
                h = households[i] if households else None
                username = f"{prefix}{i + 1:06d}"
                rows.append({"username": username, "first_name": h["name"] if h else username, "last_name": "",
                             "email": f"{username}@bench.anju.invalid", "password": password, "active": True,
                             "mobile": h["mobile"] if h else None, "must_change_password": False,
                             "password_changed_at": stamp, "session_epoch": 0, "login_count": 0,
                             "fail_login_count": 0, "created_on": stamp, "changed_on": stamp})
            conn.execute(users.insert(), rows)
        ids = [row[0] for row in conn.execute(select(users.c.id).where(
            users.c.username.like(f"{prefix}%")).order_by(users.c.username))]
        assert len(ids) == count, (prefix, len(ids), count)
        for start in range(0, count, BATCH):
            conn.execute(assoc_user_role.insert(), [{"user_id": uid, "role_id": role_id}
                                                    for uid in ids[start:start + BATCH]])
        if with_person:
            persons = Person.__table__
            for start in range(0, count, BATCH):
                conn.execute(persons.insert(), [
                    {"user_id": ids[i], "name": households[i]["name"], "id_type": "resident_id",
                     "id_number": households[i]["id_number"], "mobile": households[i]["mobile"],
                     "activation": "active", "realname_status": "verified", "realname_at": stamp,
                     "created_on": stamp, "changed_on": stamp}
                    for i in range(start, min(count, start + BATCH))])
        return ids

    def filings(self, conn, plan, user_ids, households, submitted):
        """One filing per applicant (and its members); returns {user id: filing id}."""
        from sqlalchemy import select

        from app.allocation.filings.models import ApplicantFiling, FamilyMember

        filings, members = ApplicantFiling.__table__, FamilyMember.__table__
        keys = ("name", "id_type", "id_number", "birth_date", "mobile", "address", "marital_status", "hukou_type",
                "hukou_district", "employer", "social_security_months", "annual_income", "housing_status",
                "owned_area", "current_residence")
        for start in range(0, len(user_ids), BATCH):
            conn.execute(filings.insert(), [
                dict({k: households[i][k] for k in keys}, plan_id=plan["id"], user_id=user_ids[i],
                     region_code=plan["region_code"], submitted_at=submitted, changed_on=submitted)
                for i in range(start, min(len(user_ids), start + BATCH))])
        by_user = dict(conn.execute(select(filings.c.user_id, filings.c.id).where(
            filings.c.plan_id == plan["id"])).all())
        rows = []
        for i, uid in enumerate(user_ids):
            for m in households[i]["members"]:
                rows.append(dict(m, filing_id=by_user[uid], user_id=uid))
                if len(rows) >= BATCH:
                    conn.execute(members.insert(), rows)
                    rows = []
        if rows:
            conn.execute(members.insert(), rows)
        return by_user

    def registrations(self, conn, plan, user_ids, households, filing_of, approved, first_number, registered):
        """Registrations: approved ones with 登记编号 first_number, first_number + 1, ...;
        refused ones with the rule's reason. Returns the next free number."""
        from app.allocation.registrations.models import Registration

        reasons = {"income": "家庭人均年收入须不高于10万元", "housing": "申请家庭在本市无自有住房",
                   "hukou": "申请人须具有本市户籍或持有本市有效居住证", "age": "申请人须年满18周岁"}
        table = Registration.__table__
        number = first_number
        year = registered.year
        rows = []
        for i, uid in enumerate(user_ids):
            h = households[i]
            row = {"plan_id": plan["id"], "project_id": plan["projects"][i % len(plan["projects"])],
                   "user_id": uid, "filing_id": filing_of[uid], "region_code": plan["region_code"],
                   "group_code": "priority" if h["family_size"] >= 3 else "general", "name": h["name"],
                   "id_number": h["id_number"], "mobile": h["mobile"], "family_size": h["family_size"],
                   "created_on": registered}
            if approved:
                row.update(status="approved", active_user_id=uid, number=f"BZ{year}-{number:06d}",
                           registered_at=registered, reviewed_at=registered + timedelta(days=5))
                number += 1
            else:
                row.update(status="refused", reasons=[reasons[h["refuse"]]])
            rows.append(row)
            if len(rows) >= BATCH:
                conn.execute(table.insert(), rows)
                rows = []
        if rows:
            conn.execute(table.insert(), rows)
        return number

    def run(self):
        """The two plans and their people; returns the generation's figures."""
        from sqlalchemy import select, text

        from app.allocation import demo
        from app.allocation.plans import services as plans
        from app.allocation.plans.models import PlanStatus
        from app.core.sequences import Sequence
        from app.extensions import db

        t0 = time.perf_counter()
        app = self.app
        admin = app.appbuilder.sm.find_user(username="alloc_admin")
        # The big plan: the demo's projects, rules and priority group; window two months ago.
        start = (self.now - timedelta(days=60)).replace(hour=9, minute=0, second=0)
        end = start + timedelta(days=9, hours=8)
        big = demo._new_plan(admin, BIG_CODE, "基准测试配租计划（十万登记）", start, end, demo.OPEN_PROJECTS,
                             photo_seed=7, photos=False)
        with demo._at(start - timedelta(days=5)):
            plans.publish(admin, big, moment=start - timedelta(days=5))
        for target in (PlanStatus.OPEN, PlanStatus.CLOSED, PlanStatus.REVIEW, PlanStatus.PUBLICITY):
            plans.transition(big, target)
        big.review_started_at = end + timedelta(days=2)
        big.publicity_from = end + timedelta(days=7)
        big.publicity_until = end + timedelta(days=14)
        # The burst plan: open since an hour ago.
        b_start = self.now - timedelta(hours=1)
        burst = demo._new_plan(admin, BURST_CODE, "基准测试配租计划（登记开放）", b_start, b_start + timedelta(days=7),
                               demo.OPEN_PROJECTS, photo_seed=8, photos=False)
        with demo._at(self.now):
            plans.publish(admin, burst, moment=self.now)
        db.session.commit()
        plan_rows = {}
        for plan in (big, burst):
            plan_rows[plan.code] = {"id": plan.id, "region_code": plan.region_code,
                                    "projects": [p.id for p in plan.projects]}
        self.st.update(big_plan=plan_rows[BIG_CODE], burst_plan=plan_rows[BURST_CODE],
                       homes=plans.homes_of(big), publicity_until=big.publicity_until.isoformat(sep=" "))
        year = (start + timedelta(hours=1)).year
        seq_name = f"alloc-reg-{year}"
        first = (db.session.execute(select(Sequence.value).where(Sequence.name == seq_name)).scalar() or 0) + 1
        db.session.remove()

        log(f"  {N_REG:,} + {N_REFUSED:,} applicants with filings and registrations, {N_BURST:,} for the burst ...")
        ok_people = [self.household() for _ in range(N_REG)]
        kinds = ("income", "housing", "hukou", "age")
        bad_people = [self.household(kinds[i % 4]) for i in range(N_REFUSED)]
        burst_people = [self.household() for _ in range(N_BURST)]
        engine = db.engine
        t1 = time.perf_counter()
        with engine.begin() as conn:
            ok_ids = self.users(conn, "bench_ok_", N_REG, households=ok_people)
            bad_ids = self.users(conn, "bench_no_", N_REFUSED, households=bad_people)
            burst_ids = self.users(conn, "bench_burst_", N_BURST, with_person=True, households=burst_people)
        log(f"  accounts: {N_REG + N_REFUSED + N_BURST:,} in {time.perf_counter() - t1:.1f} s")
        t1 = time.perf_counter()
        with engine.begin() as conn:
            filed = start - timedelta(days=2)
            ok_filings = self.filings(conn, plan_rows[BIG_CODE], ok_ids, ok_people, filed)
            bad_filings = self.filings(conn, plan_rows[BIG_CODE], bad_ids, bad_people, filed)
            self.filings(conn, plan_rows[BURST_CODE], burst_ids, burst_people, self.now - timedelta(days=1))
        log(f"  filings and family members in {time.perf_counter() - t1:.1f} s")
        t1 = time.perf_counter()
        with engine.begin() as conn:
            registered = start + timedelta(hours=2)
            last = self.registrations(conn, plan_rows[BIG_CODE], ok_ids, ok_people, ok_filings, True, first,
                                      registered)
            self.registrations(conn, plan_rows[BIG_CODE], bad_ids, bad_people, bad_filings, False, first,
                               registered)
            table = Sequence.__table__
            if conn.execute(select(table.c.name).where(table.c.name == seq_name)).first():
                conn.execute(table.update().where(table.c.name == seq_name).values(value=last - 1))
            else:
                conn.execute(table.insert().values(name=seq_name, value=last - 1))
        log(f"  registrations in {time.perf_counter() - t1:.1f} s")
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        self.st.update(
            approved=N_REG, refused=N_REFUSED, burst_applicants=N_BURST, first_number=first, last_number=last - 1,
            priority=sum(1 for h in ok_people if h["family_size"] >= 3),
            expected_refused=N_REFUSED,
            expected_priority_all=sum(1 for h in ok_people + bad_people if h["family_size"] >= 3),
            members=sum(len(h["members"]) for h in ok_people + bad_people + burst_people),
            burst_users=burst_ids, generate_s=round(time.perf_counter() - t0, 1))
        return self.st


def build(bench_dir, url):
    """The scratch database: migrated, seeded, generated (or copied from a kept pristine one)."""
    path, pristine, meta = os.path.join(bench_dir, DB_NAME), os.path.join(bench_dir, PRISTINE), \
        os.path.join(bench_dir, META)
    sqlite = not is_postgres(url)
    if sqlite and REUSE and os.path.exists(pristine) and os.path.exists(meta):
        shutil.copyfile(pristine, path)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        log(f"reusing the generated database {pristine}")
        with open(meta) as fh:
            return json.load(fh)
    if sqlite:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        _reset_postgres(url)
    app = make_app(bench_dir, url)
    from flask_migrate import upgrade

    from app.cli import load_demo, load_reference, sync_roles
    from app.extensions import db

    with app.app_context():
        log("migrating and seeding the scratch database (the allocation demo included) ...")
        t0 = time.perf_counter()
        upgrade()
        sync_roles()
        load_reference()
        load_demo(common.DEMO_PASSWORD)
        db.session.commit()
        log(f"  seeded in {time.perf_counter() - t0:.1f} s")
        st = Generator(app).run()
        db.session.remove()
        db.engine.dispose()
    if sqlite and REUSE:
        with sqlite3_connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(path, pristine)
        with open(meta, "w") as fh:
            json.dump(st, fh)
    return st


def sqlite3_connect(path):
    import sqlite3

    return sqlite3.connect(path)


# --- 2. (a) freeze and draw ----------------------------------------------------------------------

def bench_draw(app, st):
    from sqlalchemy import func, select

    from app.allocation import demo
    from app.allocation.lottery import protocol
    from app.allocation.lottery import services as lottery
    from app.allocation.plans.models import AllocationPlan
    from app.allocation.registrations.models import Registration
    from app.extensions import db

    moment = datetime.fromisoformat(st["publicity_until"]) + timedelta(hours=1)
    res = {}
    with app.app_context():
        admin = app.appbuilder.sm.find_user(username="alloc_admin")
        plan = db.session.get(AllocationPlan, st["big_plan"]["id"])
        with demo._at(moment):
            t0 = time.perf_counter()
            pools = lottery.freeze(admin, plan)
            db.session.commit()
            res["freeze_s"] = round(time.perf_counter() - t0, 3)
            res["pools"] = {p.group_code: p.size for p in pools}
            numbers = [n for p in pools for n in p.numbers.split("\n") if n]
            plan = db.session.get(AllocationPlan, st["big_plan"]["id"])
            t0 = time.perf_counter()
            record = lottery.draw(admin, plan, ENTROPY, witnesses="基准测试")
            res["draw_s"] = round(time.perf_counter() - t0, 3)
        summary_ = record.summary
        t0 = time.perf_counter()
        files = lottery.files(db.session.get(AllocationPlan, st["big_plan"]["id"]))
        res["files_s"] = round(time.perf_counter() - t0, 3)
        res["files_bytes"] = sum(len(v) for v in files.values())
        ranked = db.session.execute(select(func.count(Registration.id), func.min(Registration.draw_order),
                                           func.max(Registration.draw_order),
                                           func.count(func.distinct(Registration.draw_order))).where(
            Registration.plan_id == st["big_plan"]["id"], Registration.draw_order.is_not(None))).one()
        selected = db.session.execute(select(func.count(Registration.id)).where(
            Registration.plan_id == st["big_plan"]["id"], Registration.draw_result == "selected")).scalar_one()
        secret = bytes.fromhex(record.secret_hex)
        db.session.remove()
    res["ranked"] = ranked[0]
    res["checks"] = {
        "every approved registration ranked once": ranked[0] == ranked[3] == st["approved"] and ranked[1] == 1
        and ranked[2] == st["approved"],
        "selected = homes": selected == st["homes"] == summary_["homes"],
        "pools = approved": sum(res["pools"].values()) == st["approved"],
    }
    pure = timed(lambda: protocol.draw(secret, ENTROPY, numbers), runs=max(3, min(RUNS, 5)))
    res["protocol_draw"] = summary(pure)
    res["protocol_numbers"] = len(numbers)
    log(f"  freeze {res['freeze_s']:.2f} s, draw {res['draw_s']:.2f} s (target well under 2 s), "
        f"published files {res['files_s']:.2f} s ({res['files_bytes'] / 1e6:.1f} MB); "
        f"protocol.draw alone on {len(numbers):,} numbers: {res['protocol_draw']['median_ms']:.0f} ms median; "
        f"checks {'OK' if all(res['checks'].values()) else res['checks']}")
    return res


# --- 3. (b) screening ----------------------------------------------------------------------------

def load_filing_dicts(plan_id):
    """Every filing of the plan as filings.services.as_dict gives it (members included)."""
    from sqlalchemy import select

    from app.allocation.filings.models import ApplicantFiling, FamilyMember
    from app.allocation.filings.services import FIELDS
    from app.extensions import db

    f, m = ApplicantFiling.__table__, FamilyMember.__table__
    members = {}
    for row in db.session.execute(select(m.c.filing_id, m.c.name, m.c.relation, m.c.birth_date,
                                         m.c.annual_income).join(f, f.c.id == m.c.filing_id)
                                  .where(f.c.plan_id == plan_id)):
        members.setdefault(row.filing_id, []).append(
            {"name": row.name, "relation": row.relation,
             "birth_date": row.birth_date.isoformat() if row.birth_date else None,
             "annual_income": None if row.annual_income is None else str(row.annual_income)})
    cols = [f.c.id, f.c.name, f.c.id_type, f.c.id_number, *(f.c[k] for k in FIELDS)]
    out = []
    for row in db.session.execute(select(*cols).where(f.c.plan_id == plan_id).order_by(f.c.id)):
        d = dict(row._mapping)
        for k in ("annual_income", "owned_area"):
            d[k] = None if d[k] is None else str(d[k])
        d["birth_date"] = d["birth_date"].isoformat() if d["birth_date"] else None
        d["members"] = members.get(d.pop("id"), [])
        out.append(d)
    return out


def bench_screen(app, st):
    from app.allocation.plans.models import AllocationPlan
    from app.allocation.registrations import services as registrations
    from app.extensions import db

    with app.app_context():
        t0 = time.perf_counter()
        dicts = load_filing_dicts(st["big_plan"]["id"])
        load_s = time.perf_counter() - t0
        plan = db.session.get(AllocationPlan, st["big_plan"]["id"])
        moment = datetime.fromisoformat(st["moment"])
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            results = list(registrations.screen_many(plan, dicts, moment))
            runs.append(time.perf_counter() - t0)
        db.session.remove()
    best = min(runs)
    refused = sum(1 for reasons, _g in results if reasons)
    priority = sum(1 for _r, g in results if g == "priority")
    res = {"rows": len(dicts), "load_s": round(load_s, 2), "screen_s": [round(x, 3) for x in runs],
           "rows_per_s": round(len(dicts) / best), "refused": refused, "priority": priority,
           "checks": {"refusals as generated": refused == st["expected_refused"],
                      "priority group as generated": priority == st["expected_priority_all"]}}
    log(f"  screened {len(dicts):,} filings: {res['rows_per_s']:,} rows/s (best of 3, {best:.2f} s; reading "
        f"them {load_s:.2f} s); {refused:,} refused, {priority:,} in 优先家庭; "
        f"checks {'OK' if all(res['checks'].values()) else res['checks']}")
    return res


# --- 4. (c) the console's registrations list -----------------------------------------------------

def view_of(app, name):
    for v in app.appbuilder.baseviews:
        if type(v).__name__ == name:
            return v
    return None


def _filter_index(view, column, names):
    flts = getattr(getattr(view, "_filters", None), "_all_filters", {}).get(column) or []
    for i, f in enumerate(flts):
        if type(f).__name__ in names:
            return i
    return None


def bench_pages(app, st, url):
    from urllib.parse import urlencode

    from sqlalchemy import create_engine, text

    view = view_of(app, "AllocationRegistrationView")
    if view is None:
        log("  registrations list: AllocationRegistrationView is not registered: not available")
        return {"available": False}
    base = (view.route_base or "/allocation/registrations").rstrip("/") + "/list/"
    vname = type(view).__name__
    plan_id = st["big_plan"]["id"]
    cases = [("first page", {}, "", {})]
    i = _filter_index(view, "status", ("FilterEqual", "FilterEqualFunction"))
    if i is not None:
        cases.append(("status 审核通过", {f"_flt_{i}_status": "approved"}, "WHERE status = :s", {"s": "approved"}))
        k = _filter_index(view, "plan_id", ("FilterKeyEqual", "FilterEqual", "FilterRelationOneToManyEqual"))
        if k is not None:   # what the plan's page links to: its registrations in one state
            cases.append(("plan + status 不符合登记条件", {f"_flt_{k}_plan_id": plan_id, f"_flt_{i}_status": "refused"},
                          "WHERE plan_id = :p AND status = :s", {"p": plan_id, "s": "refused"}))
    i = _filter_index(view, "number", ("FilterRegNumber", "FilterEqual"))
    if i is not None:
        number = f"BZ{datetime.fromisoformat(st['publicity_until']).year}-{st['last_number'] // 2:06d}"
        cases.append((f"登记编号 {number}", {f"_flt_{i}_number": number}, "WHERE number = :n", {"n": number},
                      number))
    i = _filter_index(view, "number", ("FilterStartsWith",))
    if i is not None:
        number_prefix = _number_prefix(st)
        cases.append((f"登记编号 starts {number_prefix}", {f"_flt_{i}_number": number_prefix},
                      "WHERE number >= :lo AND number < :hi",
                      {"lo": number_prefix, "hi": number_prefix[:-1] + chr(ord(number_prefix[-1]) + 1)}))
    engine = create_engine(url)
    psize = getattr(view, "page_size", 20) or 20
    client = common.login(app, "alloc_admin")
    out = {"available": True, "route": base, "plan_id": plan_id, "pages": []}
    for label, args, where, params, *expect in cases:
        page_url = base + ("?" + urlencode(args) if args else "")
        if expect:   # the filter finds the row: its number is on the page
            shown = client.get(page_url).get_data(as_text=True)
            if expect[0] not in shown:
                out.setdefault("problems", []).append(f"{label}: {expect[0]} not on the page")

        def ours():
            resp = client.get(page_url)
            if resp.status_code != 200:
                raise RuntimeError(f"GET {page_url} answered HTTP {resp.status_code} {resp.headers.get('Location', '')}")
            return resp

        def bare():
            with engine.connect() as conn:
                ids = conn.execute(text(f"SELECT id FROM anju_alloc_registration {where} ORDER BY id DESC "
                                        f"LIMIT {psize}"), params).scalars().all()
                if ids:
                    conn.execute(text("SELECT * FROM anju_alloc_registration WHERE id IN ("
                                      + ",".join(str(x) for x in ids) + ")")).all()
                conn.execute(text(f"SELECT COUNT(*) FROM (SELECT id FROM anju_alloc_registration {where} "
                                  f"LIMIT {common.COUNT_CAP + 1}) t"), params).scalar()

        try:
            mine = summary(timed(ours))
        except RuntimeError as exc:
            mine = {"error": str(exc)}
        floor = summary(timed(bare))
        row = {"case": label, "url": page_url, "ours": mine, "bare": floor,
               "ratio": round(mine["median_ms"] / floor["median_ms"], 1) if "median_ms" in mine and floor["median_ms"]
               else None}
        out["pages"].append(row)
        log(f"  {vname} {label:<28} ours {mine.get('median_ms', mine.get('error'))} ms "
            f"(p95 {mine.get('p95_ms', '-')}), bare SQL {floor['median_ms']} ms")
    engine.dispose()
    return out


def _number_prefix(st):
    """A 登记编号 prefix matching about a thousand of the big plan's numbers."""
    year = datetime.fromisoformat(st["publicity_until"]).year
    middle = (st["first_number"] + st["last_number"]) // 2
    return f"BZ{year}-{middle:06d}"[:-3]


# --- 5. (d) the burst at window opening -----------------------------------------------------------

REGISTER_RULE = "/allocation/my/register/<int:plan_id>"


def has_register_endpoint(app):
    return any(r.rule == REGISTER_RULE and "POST" in (r.methods or ()) for r in app.url_map.iter_rules())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port, url, bench_dir):
    """``bench/allocation.py --serve PORT``: the app under werkzeug's threaded server."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request
    app = make_app(bench_dir, url)
    server = make_server("127.0.0.1", port, app, threaded=True)
    server.serve_forever()


def start_server(url, bench_dir):
    port = free_port()
    env = dict(os.environ, SECRET_KEY=SECRET_KEY, DATABASE_URL=url, INSTANCE_DIR=bench_dir,
               UPLOAD_DIR=os.path.join(bench_dir, "uploads"), DEMO_PASSWORD=common.DEMO_PASSWORD)
    if is_postgres(url):
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "gthread", "--threads", "8",
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "run:app"]
        kind = f"gunicorn, {WORKERS} gthread workers x 8 threads"
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--serve", str(port), url, bench_dir]
        kind = "werkzeug threaded server (one process)"
    # The server's output goes to a file (a pipe nobody reads fills up and stalls the server).
    log_path = os.path.join(bench_dir, "alloc-server.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=common.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    import requests

    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            with open(log_path, "rb") as fh:
                raise RuntimeError(f"the server stopped: {fh.read().decode(errors='replace')[-2000:]}")
        try:
            if requests.get(base + "/login/", timeout=2).status_code == 200:
                return proc, base, kind
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not answer in 120 s")


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sign_in(base, username):
    """A requests.Session signed in through /login/ and a CSRF token of that session."""
    import requests

    s = requests.Session()
    page = s.get(base + "/login/", timeout=60).text
    m = CSRF_RE.search(page)
    resp = s.post(base + "/login/", data={"username": username, "password": PASSWORD,
                                          "csrf_token": m.group(1) or m.group(2)},
                  allow_redirects=False, timeout=60)
    if resp.status_code != 302:
        raise RuntimeError(f"login of {username}: HTTP {resp.status_code}")
    home = s.get(base + "/", timeout=60).text
    m = CSRF_RE.search(home)
    if not m:
        raise RuntimeError(f"no CSRF token on the home page of {username}")
    return s, m.group(1) or m.group(2)


def _tab(session):
    """A second tab of the same browser: the same cookies, its own connection pool."""
    import requests

    tab = requests.Session()
    tab.cookies.update(session.cookies)
    return tab


def burst_http(base, st, usernames):
    from concurrent.futures import ThreadPoolExecutor

    plan_id = st["burst_plan"]["id"]
    projects = st["burst_plan"]["projects"]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(32, BURST_THREADS)) as pool:
        signed = list(pool.map(lambda u: sign_in(base, u), usernames))
    login_s = time.perf_counter() - t0
    log(f"  {len(signed):,} applicants signed in through /login/ in {login_s:.1f} s")
    clicks = []
    for i, (session, token) in enumerate(signed):
        for c in range(CLICKS):
            clicks.append((session if c == 0 else _tab(session), token, projects[i % len(projects)]))
    random.Random(SEED).shuffle(clicks)
    gate = threading.Event()
    latencies, statuses, errors = [None] * len(clicks), Counter(), []
    lock = threading.Lock()

    def click(i):
        session, token, project = clicks[i]
        gate.wait()
        t = time.perf_counter()
        try:
            resp = session.post(f"{base}/allocation/my/register/{plan_id}",
                                data={"csrf_token": token, "project_id": project}, allow_redirects=False,
                                timeout=300)
            code = resp.status_code
            if code == 302:   # to the result page (登记成功), or back to the plan with the refusal
                code = "302 registered" if "/result" in resp.headers.get("Location", "") else "302 refused"
        except Exception as exc:  # counted, shown
            code = "error"
            with lock:
                errors.append(repr(exc)[:200])
        latencies[i] = time.perf_counter() - t
        with lock:
            statuses[code] += 1

    with ThreadPoolExecutor(max_workers=BURST_THREADS) as pool:
        futures = [pool.submit(click, i) for i in range(len(clicks))]
        time.sleep(0.5)
        t0 = time.perf_counter()
        gate.set()
        for f in futures:
            f.result()
        wall = time.perf_counter() - t0
    return {"requests": len(clicks), "wall_s": wall, "latencies": latencies, "statuses": statuses,
            "errors": errors[:5], "login_s": round(login_s, 1)}


def burst_service(app, st, user_ids):
    """The same burst through registrations.services.register (no endpoint yet)."""
    from concurrent.futures import ThreadPoolExecutor

    from app.allocation.registrations import services as registrations
    from app.core.errors import DomainError
    from app.extensions import db

    plan_id = st["burst_plan"]["id"]
    projects = st["burst_plan"]["projects"]
    clicks = [(uid, projects[i % len(projects)]) for i, uid in enumerate(user_ids) for _c in range(CLICKS)]
    random.Random(SEED).shuffle(clicks)
    gate = threading.Event()
    latencies, statuses, errors = [None] * len(clicks), Counter(), []
    lock = threading.Lock()

    def click(i):
        uid, project = clicks[i]
        gate.wait()
        t = time.perf_counter()
        with app.app_context():
            try:
                u = db.session.get(app.appbuilder.sm.user_model, uid)
                registrations.register(u, plan_id, project)
                code = "registered"
            except DomainError as exc:
                db.session.rollback()
                code = "refused: " + str(exc)[:40]
            except Exception as exc:
                db.session.rollback()
                code = "error"
                with lock:
                    errors.append(repr(exc)[:200])
            finally:
                db.session.remove()
        latencies[i] = time.perf_counter() - t
        with lock:
            statuses[code] += 1

    with ThreadPoolExecutor(max_workers=BURST_THREADS) as pool:
        futures = [pool.submit(click, i) for i in range(len(clicks))]
        time.sleep(0.5)
        t0 = time.perf_counter()
        gate.set()
        for f in futures:
            f.result()
        wall = time.perf_counter() - t0
    return {"requests": len(clicks), "wall_s": wall, "latencies": latencies, "statuses": statuses,
            "errors": errors[:5]}


def count_burst_rows(app, st, user_ids):
    from sqlalchemy import func, select

    from app.allocation.registrations.models import Registration
    from app.extensions import db

    with app.app_context():
        rows = db.session.execute(select(Registration.user_id, Registration.number, Registration.status).where(
            Registration.plan_id == st["burst_plan"]["id"])).all()
        active = db.session.execute(select(func.count(Registration.id)).where(
            Registration.plan_id == st["burst_plan"]["id"], Registration.active_user_id.is_not(None))).scalar_one()
        db.session.remove()
    per_user = Counter(uid for uid, _n, _s in rows)
    numbers = [n for _u, n, _s in rows if n]
    wanted = set(user_ids)
    return {"rows": len(rows), "active": active,
            "duplicates": sum(c - 1 for c in per_user.values() if c > 1) + (len(numbers) - len(set(numbers))),
            "losses": len(wanted - set(per_user)), "statuses": dict(Counter(s for *_x, s in rows))}


def bench_burst(app, st, url, bench_dir):
    from sqlalchemy import select

    from app.extensions import db

    user_ids = st["burst_users"]
    with app.app_context():
        users = app.appbuilder.sm.user_model
        usernames = list(db.session.execute(select(users.username).where(users.id.in_(user_ids))
                                            .order_by(users.id)).scalars())
        db.session.remove()
    endpoint = has_register_endpoint(app)
    res = {"applicants": len(user_ids), "clicks_each": CLICKS, "client_threads": BURST_THREADS}
    if endpoint:
        proc, base, kind = start_server(url, bench_dir)
        res["through"] = f"POST {REGISTER_RULE} ({kind})"
        log(f"  server up: {kind} at {base}")
        try:
            run = burst_http(base, st, usernames)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        res["login_s"] = run.pop("login_s")
    else:
        res["through"] = "registrations.services.register (the endpoint is not in this app yet)"
        log("  POST /allocation/my/register/<plan_id> is not in this app yet: the burst goes through "
            "registrations.services.register, one app context per thread")
        run = burst_service(app, st, user_ids)
    lat = sorted(x for x in run["latencies"] if x is not None)
    res.update(requests=run["requests"], wall_s=round(run["wall_s"], 2),
               requests_per_s=round(run["requests"] / run["wall_s"], 1),
               p50_ms=round(pct(lat, 0.5) * 1000, 1), p95_ms=round(pct(lat, 0.95) * 1000, 1),
               max_ms=round(lat[-1] * 1000, 1), statuses={str(k): v for k, v in run["statuses"].items()},
               errors=run["errors"])
    res["server_errors"] = sum(n for code, n in run["statuses"].items() if str(code)[:1] == "5" or code == "error")
    rows = count_burst_rows(app, st, user_ids)
    res["rows"] = rows
    res["checks"] = {"duplicates 0": rows["duplicates"] == 0, "losses 0": rows["losses"] == 0,
                     "one active each": rows["active"] == len(user_ids)}
    log(f"  burst: {res['requests']:,} requests ({len(user_ids):,} applicants x {CLICKS}) in {res['wall_s']} s = "
        f"{res['requests_per_s']}/s; p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms, max {res['max_ms']} ms; "
        f"{res['statuses']}; rows {rows['rows']:,}, active {rows['active']:,}, duplicates {rows['duplicates']}, "
        f"losses {rows['losses']}")
    if res["server_errors"]:
        log(f"  {res['server_errors']} requests failed on the server (see {os.path.join(bench_dir, 'alloc-server.log')}; "
            f"on SQLite: 'database is locked' when a writer waited longer than the driver's 5 s busy timeout)")
    return res


# --- run -----------------------------------------------------------------------------------------

def print_tables(res):
    print()
    print(f"Allocation benchmark: {res['sizes']['approved']:,} approved registrations in one plan "
          f"(+{res['sizes']['refused']:,} refused), {res['database']}")
    d = res.get("draw")
    if d:
        print(f"  (a) freeze {d['freeze_s']:.2f} s | draw {d['draw_s']:.2f} s"
              f"{'  (target < 2 s: MISSED)' if d['draw_s'] >= 2 else '  (target < 2 s: met)'} | "
              f"published files {d['files_s']:.2f} s | protocol.draw alone "
              f"{d['protocol_draw']['median_ms']:.0f} ms on {d['protocol_numbers']:,} numbers | "
              f"checks {'OK' if all(d['checks'].values()) else 'FAILED'}")
    s = res.get("screen")
    if s:
        print(f"  (b) screening {s['rows']:,} filings: {s['rows_per_s']:,} rows/s | "
              f"checks {'OK' if all(s['checks'].values()) else 'FAILED'}")
    p = res.get("pages")
    if p:
        if not p.get("available"):
            print("  (c) registrations list: not available (AllocationRegistrationView not registered)")
        for problem in p.get("problems", []):
            print(f"  (c) PROBLEM: {problem}")
        for row in p.get("pages", []):
            o = row["ours"]
            print(f"  (c) {row['case']:<30} ours {o.get('median_ms', o.get('error'))} ms (p95 {o.get('p95_ms', '-')}) "
                  f"| bare SQL {row['bare']['median_ms']} ms")
    b = res.get("burst")
    if b:
        print(f"  (d) burst through {b['through']}: {b['requests']:,} requests, {b['requests_per_s']}/s, "
              f"p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms, server errors {b['server_errors']} | "
              f"duplicates {b['rows']['duplicates']}, "
              f"losses {b['rows']['losses']} | checks {'OK' if all(b['checks'].values()) else 'FAILED'}")


def save(res):
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "results.json")
    data = {}
    if os.path.exists(out):
        try:
            with open(out) as fh:
                data = json.load(fh)
        except ValueError:
            data = {}
    data["allocation"] = res
    with open(out, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
    log(f"results in {out} (key \"allocation\")")


def main():
    bench_dir = os.path.abspath(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="anju-alloc-bench-"))
    os.makedirs(bench_dir, exist_ok=True)
    url = database_url(bench_dir)
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    res = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": os.cpu_count()},
           "database": shown, "sizes": {"approved": N_REG, "refused": N_REFUSED, "burst": N_BURST}}
    failed = False
    try:
        t0 = time.perf_counter()
        st = build(bench_dir, url)
        res["generated"] = {k: v for k, v in st.items() if k != "burst_users"}
        log(f"data ready in {time.perf_counter() - t0:.0f} s")
        app = make_app(bench_dir, url)
        if "screen" in ONLY:
            log("(b) eligibility screening ...")
            res["screen"] = bench_screen(app, st)
        if "pages" in ONLY:
            log("(c) the registrations list as alloc_admin ...")
            res["pages"] = bench_pages(app, st, url)
        if "draw" in ONLY:
            log(f"(a) freeze and draw of {N_REG:,} registrations ...")
            res["draw"] = bench_draw(app, st)
        if "burst" in ONLY:
            log(f"(d) burst at window opening: {N_BURST:,} applicants x {CLICKS} clicks ...")
            res["burst"] = bench_burst(app, st, url, bench_dir)
        for part in ("draw", "screen", "burst"):
            if part in res and not all(res[part]["checks"].values()):
                failed = True
        if res.get("pages", {}).get("problems"):
            failed = True
        print_tables(res)
        save(res)
    finally:
        if not KEEP and not os.environ.get("BENCH_DIR"):
            shutil.rmtree(bench_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())
