"""Rental benchmark (住房租赁 at city scale), run by bench/run.py or alone:

    .venv/bin/python bench/rental.py                                  # 1,000,000 contracts and registry rows
    RENTAL_CONTRACTS=100000 RENTAL_PROPERTIES=100000 BENCH_RUNS=3 .venv/bin/python bench/rental.py   # quick

1. A scratch SQLite database of its own (rental.db), built as the other parts build theirs
   (Alembic migrations, sync_roles(), reference + demo data), then with Core insert() in batches:
   RENTAL_ENTERPRISES rental enterprises and agencies over the demo city's districts,
   RENTAL_PROPERTIES registered properties (产权登记) with 1-3 owners each (valid ID numbers;
   ~0.5% sealed, ~2% mortgaged), and RENTAL_CONTRACTS contracts (~86% 已签约, 8% 已撤销, 4%
   已取消, 2% drafts; of the signed ~70% 已备案, 5% 备案审核中; ~1% signed just over the filing
   deadline and not yet flagged) with one or two tenants each. The demo enterprise agency_a holds
   2% of the contracts, half of them handled by its agent agent_a.
2. The contract list (租赁合同网签列表) through the real app (Flask test client) per role: admin
   (the whole city), district1 (渝中区), agency_a (its enterprise), agent_a (own rows); first page,
   a deep page, a status filter and a contract-number prefix search; each against the bare SQL
   the page needs (the page's ids by the list's order, those rows joined to the enterprise, the
   count up to the list's cap).
3. The overdue-filing job at the moment the data was made for (flags ~1% of the contracts, one
   notice per enterprise, one credit proposal per contract), then again (nothing left to do);
   against the bare UPDATE that flags the same rows.
4. Registry import: an RENTAL_IMPORT_ROWS-row workbook (one row per owner) through the import
   service the 产权登记 page calls: rows/s, against reading the same file with python-calamine and
   inserting the same rows with Core insert() alone.
5. Listing verification through the REST API with a platform's API key, rate limit off:
   requests per second (sequential, one client), against services.verify() called directly.

Environment: RENTAL_ENTERPRISES (2000), RENTAL_PROPERTIES (1000000), RENTAL_CONTRACTS (1000000),
RENTAL_IMPORT_ROWS (50000), RENTAL_API_CALLS (2000), BENCH_RUNS (7), BENCH_BATCH (20000),
BENCH_DEEP_PAGE (2000), BENCH_REUSE=1 (with BENCH_DIR: keep a copy of the generated database and
start later runs from it), BENCH_KEEP, BENCH_SEED, RENTAL_ONLY (comma-separated: pages, overdue,
import, api; default all).
Results: the printed tables and the "rental" key of bench/out/results.json.
"""
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

N_ENT = int(os.environ.get("RENTAL_ENTERPRISES", "2000"))
N_PROP = int(os.environ.get("RENTAL_PROPERTIES", "1000000"))
N_CON = int(os.environ.get("RENTAL_CONTRACTS", "1000000"))
N_IMPORT = int(os.environ.get("RENTAL_IMPORT_ROWS", "50000"))
N_API = int(os.environ.get("RENTAL_API_CALLS", "2000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "2000"))
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "2026"))
_PARTS = ("pages", "overdue", "import", "api")
ONLY = {p.strip() for p in os.environ.get("RENTAL_ONLY", "").split(",") if p.strip()} or set(_PARTS)
if ONLY - set(_PARTS):
    raise SystemExit(f"RENTAL_ONLY: unknown part(s) {', '.join(sorted(ONLY - set(_PARTS)))}; use {', '.join(_PARTS)}")
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "rental.db"
PRISTINE = "rental.pristine.db"
META = "rental-gen.json"
STAMP = "%Y-%m-%d %H:%M:%S.%f"
URBAN = ("500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
ROADS = ["解放碑", "较场口", "七星岗", "两路口", "上清寺", "大坪", "化龙桥", "观音岩", "南纪门", "朝天门", "石油路",
         "渝州路", "杨家坪", "石桥铺", "沙坪坝", "小龙坎", "观音桥", "龙头寺", "南坪", "弹子石", "江北城", "大石坝"]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "186", "187",
                   "188", "189", "177", "180", "181", "182", "183", "185", "199"]
CONTRACT_MIX = (("signed", 0.86), ("revoked", 0.08), ("cancelled", 0.04), ("draft", 0.02))
OVERDUE_SHARE = 0.01     # of all contracts: signed just past the deadline, unfiled, not flagged


def db_file(bench_dir):
    return os.path.join(bench_dir, DB_NAME)


def stamp(dt):
    return None if dt is None else dt.strftime(STAMP)


def make_app(bench_dir):
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI="sqlite:///" + db_file(bench_dir),
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    return app


def bare(model):
    """The model's table without column types: rows go to SQLite as given (text stamps), fast."""
    from sqlalchemy import column, table

    return table(model.__tablename__, *(column(c.name) for c in model.__table__.columns))


def summary(times):
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": round(statistics.median(ms), 1), "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1),
            "runs": len(ms)}


def timed(fn, runs=None):
    """1 warm-up, then RUNS timed calls."""
    fn()
    times = []
    for _ in range(runs or RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


# --- the data ------------------------------------------------------------------------------

class Generator:
    def __init__(self, app, engine, seed=SEED):
        self.app, self.engine = app, engine
        self.rnd = random.Random(seed)
        self.now = datetime.now().replace(microsecond=0)
        self.st = {"moment": stamp(self.now)}

    def _reference(self, conn):
        from sqlalchemy import text

        regions = conn.execute(text("SELECT code, name, level, parent_code FROM anju_region")).all()
        self.districts = sorted(r.code for r in regions if r.level == "district" and r.parent_code == "500000")
        self.streets_of = defaultdict(list)
        for r in regions:
            if r.level == "street" and r.parent_code in self.districts:
                self.streets_of[r.parent_code].append(r.code)
        self.names = {r.code: r.name for r in regions}
        orgs = conn.execute(text("SELECT id, name, credit_code FROM anju_org")).all()
        self.codes_taken = {o.credit_code for o in orgs if o.credit_code}
        self.org_by_name = {o.name: o.id for o in orgs}
        self.users = {u.username: (u.id, u.org_id) for u in
                      conn.execute(text("SELECT id, username, org_id FROM ab_user"))}

    def _name(self):
        r = self.rnd
        return r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")

    def _id_number(self, district, n):
        from app.core.validators import id_check_char

        r = self.rnd
        birth = f"{r.randrange(1950, 2004)}{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}"
        first17 = f"{district}{birth}{n % 1000:03d}"
        return first17 + id_check_char(first17)

    def _district(self):
        r = self.rnd
        return r.choice(URBAN) if r.random() < 0.8 else r.choice(self.districts)

    def _street(self, district):
        streets = self.streets_of.get(district)
        return self.rnd.choice(streets) if streets else None

    # -- enterprises --------------------------------------------------------------------------
    def _enterprises(self, conn):
        from sqlalchemy import insert

        from app.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
        from app.system.models import Organization

        r = self.rnd
        district_orgs = {row[1]: row for row in conn.exec_driver_sql(
            "SELECT id, region_code, path FROM anju_org WHERE org_type = 'district'")}
        city = conn.exec_driver_sql("SELECT id, path FROM anju_org WHERE org_type = 'city'").first()
        next_id = conn.exec_driver_sql("SELECT MAX(id) FROM anju_org").scalar() + 1
        rows, self.enterprises = [], []
        now = stamp(self.now)
        i = 0
        while len(rows) < N_ENT:
            i += 1
            d = self._district()
            n = (i * 7919 + 104729) % (31 ** 7)
            body = ""
            for _ in range(7):
                n, k = divmod(n, 31)
                body = CREDIT_CODE_ALPHABET[k] + body
            code = f"91{d}MA{body}"
            code += credit_code_check_char(code)
            if code in self.codes_taken:
                continue
            self.codes_taken.add(code)
            etype = "rental_company" if r.random() < 0.6 else "agency"
            parent = district_orgs.get(d) or (city.id, "500000", city.path)
            oid = next_id + len(rows)
            rows.append({"id": oid, "name": f"重庆{self.names.get(d, '')}{r.choice(ROADS)}{i:05d}"
                                            f"{'住房租赁有限公司' if etype == 'rental_company' else '房地产经纪有限公司'}",
                         "org_type": "enterprise", "enterprise_type": etype, "credit_code": code, "region_code": d,
                         "parent_id": parent[0], "path": f"{parent[2] or '/'}{oid}/", "active": True,
                         "review_status": "approved", "created_on": now, "changed_on": now})
            self.enterprises.append((oid, d))
        conn.execute(insert(bare(Organization)), rows)

    # -- registry -----------------------------------------------------------------------------
    def _registry(self, conn):
        from sqlalchemy import insert

        from app.rental.registry.models import PropertyOwner, RentalProperty

        r = self.rnd
        now = stamp(self.now)
        # Ids continue after the demo data (the demo registry and agency_a's contracts).
        base_p = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_property").scalar()
        oid = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_property_owner").scalar()
        pid = 0
        self.props = []  # (id, district, street) for contracts
        self.import_owner_ids = set()
        t0 = time.perf_counter()
        while pid < N_PROP:
            props, owners = [], []
            for _ in range(min(BATCH, N_PROP - pid)):
                pid += 1
                d = self._district()
                s = self._street(d)
                year = r.randrange(2005, 2026)
                props.append({"id": base_p + pid, "cert_type": "real_estate" if r.random() < 0.85 else "house_ownership",
                              "cert_no": f"渝（{year}）{self.names.get(d, d)[:2]}不动产权第{pid:07d}号",
                              "region_code": d, "street_code": s,
                              "address": f"重庆市{self.names.get(d, '')}{r.choice(ROADS)}路{r.randrange(1, 400)}号"
                                         f"{r.randrange(1, 33)}-{r.randrange(1, 9)}",
                              "building_area": round(r.uniform(35, 180), 2),
                              "use": "residential" if r.random() < 0.9 else "apartment",
                              "sealed": r.random() < 0.005, "mortgaged": r.random() < 0.02,
                              "created_on": now, "changed_on": now})
                self.props.append((base_p + pid, d, s))
                k = 1 if r.random() < 0.75 else (2 if r.random() < 0.88 else 3)
                for seq in range(1, k + 1):
                    oid += 1
                    owners.append({"id": oid, "seq": seq, "name": self._name(),
                                   "id_type": "resident_id", "id_number": self._id_number(d, oid),
                                   "share": round(100 / k, 2), "property_id": base_p + pid})
            conn.execute(insert(bare(RentalProperty)), props)
            conn.execute(insert(bare(PropertyOwner)), owners)
            if pid % 200_000 == 0 or pid == N_PROP:
                log(f"  registry: {pid:,} properties, {oid:,} owners ({time.perf_counter() - t0:.0f} s)")
        self.st["properties"], self.st["owners"] = pid, oid

    # -- contracts ------------------------------------------------------------------------------
    def _contracts(self, conn):
        from sqlalchemy import insert

        from app.rental.contracts.models import ContractTenant, RentalContract

        r = self.rnd
        agency_a = self.org_by_name.get("重庆安居住房租赁有限公司")
        agent_a, admin_a = self.users.get("agent_a", (None,))[0], self.users.get("agency_a", (None,))[0]
        admin_id = self.users["admin"][0]
        statuses, cum = [s for s, _ in CONTRACT_MIX], []
        acc = 0.0
        for _, w in CONTRACT_MIX:
            acc += w
            cum.append(acc)
        due_days = 30
        seq_of_day = defaultdict(int)
        base_c = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_contract").scalar()
        tid = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_contract_tenant").scalar()
        cid = 0
        counts = defaultdict(int)
        t0 = time.perf_counter()
        alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
        while cid < N_CON:
            rows, tenants = [], []
            for _ in range(min(BATCH, N_CON - cid)):
                cid += 1
                prop_id, d, s = self.props[r.randrange(len(self.props))]
                x = r.random()
                if x < 0.02 and agency_a:
                    org, user = agency_a, (agent_a if r.random() < 0.5 else admin_a)
                else:
                    org, od = self.enterprises[r.randrange(len(self.enterprises))]
                    user = admin_id
                y0 = r.random()
                status = statuses[next((i for i, c in enumerate(cum) if y0 < c), len(statuses) - 1)]
                overdue = status == "signed" and r.random() < OVERDUE_SHARE / CONTRACT_MIX[0][1]
                if overdue:
                    signed = self.now - timedelta(days=due_days + 1, hours=r.randrange(1, 20))
                else:
                    signed = self.now - timedelta(days=r.randrange(0, 3 * 365), seconds=r.randrange(86400))
                start = signed.date() + timedelta(days=r.randrange(0, 15))
                months = r.choice((6, 12, 12, 12, 24, 36))
                end = start + timedelta(days=30 * months - 1)
                filing, number, filed = "none", None, None
                if status in ("signed", "revoked"):
                    day = signed.strftime("%Y%m%d")
                    seq_of_day[day] += 1
                    number = f"HT{day}{100000 + seq_of_day[day]:06d}"  # after the demo numbers
                    if status == "signed" and not overdue:
                        y = r.random()
                        if (self.now - signed).days > due_days and y < 0.93 or y < 0.70:
                            filing, filed = "filed", signed + timedelta(days=r.randrange(1, due_days))
                        elif y < 0.75:
                            filing = "pending"
                flagged = (status == "signed" and filing == "none" and not overdue
                           and (self.now - signed).days > due_days)
                counts[status] += 1
                counts["overdue_due"] += int(overdue)
                rows.append({
                    "id": base_c + cid, "number": number,
                    "check_code": "".join(r.choice(alphabet) for _ in range(6)) if number else None,
                    "status": status, "step": "preview" if status != "draft" else r.choice(("details", "tenants")),
                    "origin": "online" if r.random() < 0.95 else "backfill", "property_id": prop_id,
                    "cert_type": "real_estate", "cert_no": f"渝不动产权第{prop_id:07d}号",
                    "address": f"重庆市{self.names.get(d, '')}{r.choice(ROADS)}路{r.randrange(1, 400)}号",
                    "region_code": d, "street_code": s, "lessor_names": self._name(),
                    "rental_mode": "whole" if r.random() < 0.8 else "part",
                    "rented_part": None, "rent": round(r.uniform(800, 9000), 0), "deposit": round(r.uniform(800, 9000), 0),
                    "payment_cycle": r.choice(("monthly", "quarterly", "half_yearly", "yearly")),
                    "start_date": start.isoformat(), "end_date": end.isoformat(), "purpose": "residence",
                    "agreed_matters": "按时交租，爱护房屋设施。", "org_id": org, "created_by_fk": user,
                    "created_on": stamp(signed - timedelta(hours=2)), "changed_on": stamp(signed),
                    "signed_at": stamp(signed) if number else None, "signed_by_fk": user if number else None,
                    "cancelled_at": stamp(signed) if status == "cancelled" else None,
                    "revoked_at": stamp(signed + timedelta(days=60)) if status == "revoked" else None,
                    "revoke_reason": "双方协商一致解除合同" if status == "revoked" else None,
                    "filing_status": filing,
                    "filing_number": f"BA{filed:%Y%m%d}{cid:07d}" if filed else None,
                    "filed_at": stamp(filed), "overdue_flagged_at": stamp(self.now - timedelta(days=1)) if flagged else None,
                    "version": 1})
                for seq in range(1, (2 if r.random() < 0.1 else 1) + 1):
                    tid += 1
                    tenants.append({"id": tid, "contract_id": base_c + cid, "seq": seq, "name": self._name(),
                                    "id_type": "resident_id", "id_number": self._id_number(d, tid),
                                    "mobile": r.choice(MOBILE_PREFIXES) + f"{r.randrange(10 ** 8):08d}",
                                    "org_id": org, "region_code": d})
            conn.execute(insert(bare(RentalContract)), rows)
            conn.execute(insert(bare(ContractTenant)), tenants)
            if cid % 200_000 == 0 or cid == N_CON:
                log(f"  contracts: {cid:,} ({time.perf_counter() - t0:.0f} s)")
        self.st["contracts"], self.st["tenants"] = cid, tid
        self.st["contract_mix"] = dict(counts)

    def run(self):
        with self.engine.begin() as conn:
            self._reference(conn)
            self._enterprises(conn)
        with self.engine.begin() as conn:
            self._registry(conn)
        with self.engine.begin() as conn:
            self._contracts(conn)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return self.st


def build(bench_dir):
    """The scratch database: migrated, seeded, generated (or copied from a kept pristine one)."""
    path, pristine, meta = db_file(bench_dir), os.path.join(bench_dir, PRISTINE), os.path.join(bench_dir, META)
    if REUSE and os.path.exists(pristine) and os.path.exists(meta):
        shutil.copyfile(pristine, path)
        log(f"reusing the generated database {pristine}")
        with open(meta) as fh:
            return json.load(fh)
    if os.path.exists(path):
        os.remove(path)
    app = make_app(bench_dir)
    from flask_migrate import upgrade

    from app.cli import load_demo, load_reference, sync_roles
    from app.extensions import db

    with app.app_context():
        log("migrating and seeding the scratch database ...")
        upgrade()
        sync_roles()
        load_reference()
        load_demo(common.DEMO_PASSWORD)
        db.session.commit()
        log(f"generating {N_ENT:,} enterprises, {N_PROP:,} properties, {N_CON:,} contracts ...")
        t0 = time.perf_counter()
        st = Generator(app, db.engine).run()
        st["generate_s"] = round(time.perf_counter() - t0, 1)
        db.session.remove()
        db.engine.dispose()
    if REUSE:
        shutil.copyfile(path, pristine)
        with open(meta, "w") as fh:
            json.dump(st, fh)
    return st


# --- 2. the contract list per role -------------------------------------------------------------

def view_of(app, name):
    for v in app.appbuilder.baseviews:
        if type(v).__name__ == name:
            return v
    return None


def login(app, username):
    return common.login(app, username)


def contract_floor(path, view, page, where, params):
    """The list's floor: the page's ids by the list's order (an index walk), those rows joined to
    the enterprise with their tenants, and the count up to the list's cap."""
    col, direction = getattr(view, "base_order", None) or ("id", "desc")
    psize = getattr(view, "page_size", 20) or 20
    d = direction.upper()
    w = f"WHERE {where}" if where else ""
    ids_sql = (f"SELECT c.id FROM anju_rental_contract c {w} ORDER BY c.{col} {d}, c.id {d} "
               f"LIMIT {psize} OFFSET {page * psize}")
    rows_sql = ("SELECT c.id, c.number, c.address, c.lessor_names, c.rent, c.start_date, c.end_date, c.signed_at, "
                "c.status, c.filing_status, o.name FROM anju_rental_contract c JOIN anju_org o ON o.id = c.org_id "
                "WHERE c.id IN ({})")
    tenants_sql = "SELECT contract_id, name FROM anju_rental_contract_tenant WHERE contract_id IN ({})"
    count_sql = f"SELECT COUNT(*) FROM (SELECT c.id FROM anju_rental_contract c {w} LIMIT {common.COUNT_CAP + 1})"
    conn = sqlite3.connect(path)

    def run():
        ids = [x[0] for x in conn.execute(ids_sql, params).fetchall()]
        if ids:
            marks = ",".join("?" * len(ids))
            conn.execute(rows_sql.format(marks), ids).fetchall()
            conn.execute(tenants_sql.format(marks), ids).fetchall()
        return conn.execute(count_sql, params).fetchone()[0]

    run.close = conn.close
    return run


def http(client, url):
    def run():
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} answered HTTP {resp.status_code} {resp.headers.get('Location', '')}")
        return resp

    return run


def bench_pages(app, bench_dir, st):
    from urllib.parse import urlencode

    path = db_file(bench_dir)
    view = view_of(app, "RentalContractView")
    if view is None:
        log("contract list: RentalContractView is not registered: not available")
        return {"available": False}
    base = view.route_base.rstrip("/") + "/list/"
    vname = type(view).__name__
    psize = getattr(view, "page_size", 20) or 20
    with sqlite3.connect(path) as conn:
        ids = {u: conn.execute("SELECT id, org_id FROM ab_user WHERE username = ?", (u,)).fetchone()
               for u in ("admin", "district1", "agency_a", "agent_a")}
        prefix = conn.execute("SELECT number FROM anju_rental_contract WHERE number IS NOT NULL "
                              "ORDER BY id DESC LIMIT 1").fetchone()[0][:10]
    scopes = {
        "admin": ("", ()),
        # A district's scope is equality on the 6-digit district code (RentalContract.__scope__).
        "district1": ("c.region_code = '500103'", ()),
        "agency_a": ("c.org_id = ?", (ids["agency_a"][1],)),
        "agent_a": ("c.created_by_fk = ?", (ids["agent_a"][0],)),
    }
    # The list shows contracts, not drafts (drafts are in 我的草稿).
    listed = "c.status != 'draft'"
    flt = getattr(view, "search_form_query_rel_fields", None)  # noqa: F841  (kept for symmetry with other parts)
    out = {"available": True, "route": base, "page_size": psize, "pages": []}
    for user, (where, params) in scopes.items():
        client = login(app, user)
        scope_where = " AND ".join(x for x in (where, listed) if x)
        n_scope = sqlite3.connect(path).execute(
            f"SELECT COUNT(*) FROM anju_rental_contract c WHERE {scope_where}", params).fetchone()[0]
        deep = min(DEEP_PAGE, max(0, (n_scope - 1) // psize))
        cases = [
            ("first page", {}, scope_where, params, 0),
            (f"page {deep + 1}", {f"page_{vname}": deep}, scope_where, params, deep),
            ("status 已撤销", {"_flt_0_status": "revoked"}, scope_where + " AND c.status = 'revoked'", params, 0),
            (f"number starts {prefix}", {"_flt_0_number": prefix},
             scope_where + " AND c.number >= ? AND c.number < ?", params + (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)), 0),
        ]
        for label, args, w, p, page in cases:
            url = base + ("?" + urlencode(args) if args else "")
            try:
                ours = summary(timed(http(client, url)))
            except RuntimeError as exc:
                ours = {"error": str(exc)}
            floor_fn = contract_floor(path, view, page, w, p)
            bare = summary(timed(floor_fn))
            floor_fn.close()
            ratio = round(ours["median_ms"] / bare["median_ms"], 1) if "median_ms" in ours and bare["median_ms"] else None
            row = {"user": user, "case": label, "url": url, "rows_in_scope": n_scope, "ours": ours, "bare": bare,
                   "ratio": ratio}
            out["pages"].append(row)
            log(f"  {user:<10} {label:<24} ours {ours.get('median_ms', ours.get('error'))} ms  "
                f"bare {bare['median_ms']} ms  ({n_scope:,} in scope)")
    return out


# --- 3. the overdue-filing job -----------------------------------------------------------------

def bench_overdue(app, bench_dir, st):
    try:
        from app.rental.filing import jobs as filing_jobs
    except ImportError:
        log("overdue-filing job: not available")
        return {"available": False}
    run = getattr(filing_jobs, "run_overdue", None)
    if run is None:
        log("overdue-filing job: run_overdue() not found: not available")
        return {"available": False}
    from app.extensions import db
    from app.system.params import get_param

    path = db_file(bench_dir)
    moment = datetime.strptime(st["moment"], STAMP)
    with app.app_context():
        due = get_param("rental.filing_due_days")
        cutoff = stamp(moment - timedelta(days=due))
        where = ("status = 'signed' AND filing_status = 'none' AND overdue_flagged_at IS NULL "
                 f"AND signed_at < '{cutoff}'")
        expected = sqlite3.connect(path).execute(f"SELECT COUNT(*) FROM anju_rental_contract WHERE {where}").fetchone()[0]
        floor_n, floor_s = floor_overdue(path, moment, due)
        t0 = time.perf_counter()
        first = run(moment)
        db.session.commit()
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = run(moment)
        db.session.commit()
        t_second = time.perf_counter() - t0
        flagged = sqlite3.connect(path).execute(
            f"SELECT COUNT(*) FROM anju_rental_contract WHERE overdue_flagged_at = ?", (stamp(moment),)).fetchone()[0]
    res = {"available": True, "expected": expected, "flagged": flagged, "first_s": round(t_first, 2),
           "floor_update_s": round(floor_s, 3), "floor_rows": floor_n,
           "second_s": round(t_second, 3), "first_result": _plain(first), "second_result": _plain(second),
           "per_contract_ms": round(t_first * 1000 / expected, 2) if expected else None}
    log(f"  overdue job: {flagged:,} flagged of {expected:,} due in {t_first:.2f} s; again in {t_second:.3f} s; "
        f"bare UPDATE {floor_s:.3f} s")
    return res


def floor_overdue(path, moment, due):
    conn = sqlite3.connect(path)
    cutoff = stamp(moment - timedelta(days=due))
    t0 = time.perf_counter()
    n = conn.execute("UPDATE anju_rental_contract SET overdue_flagged_at = ? WHERE status = 'signed' AND "
                     "filing_status = 'none' AND overdue_flagged_at IS NULL AND signed_at < ?",
                     (stamp(moment), cutoff)).rowcount
    conn.rollback()
    conn.close()
    return n, time.perf_counter() - t0


def _plain(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


# --- 4. registry import ---------------------------------------------------------------------------

IMPORT_HEADERS = ["房屋区域代码", "证件类型", "产权证号", "坐落地址", "建筑面积（㎡）", "房屋用途", "查封", "抵押", "产权人姓名",
                  "产权人证件类型", "产权人证件号", "产权份额（%）"]


def import_workbook(n_rows):
    """An .xlsx of ``n_rows`` owner rows in the registry template's columns (about one property in
    four has two owners); returns (bytes, properties)."""
    import io

    import xlsxwriter

    from app.core.validators import id_check_char

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, IMPORT_HEADERS)
    streets = ["500103001", "500103003", "500103004", "500103005", "500103007", "500103008"]
    row, prop = 1, 0
    while row <= n_rows:
        prop += 1
        owners = 2 if prop % 4 == 0 and row + 1 <= n_rows else 1
        cert = f"渝（2025）渝中区不动产权第B{prop:08d}号"
        for _ in range(owners):
            first17 = f"500103{1950 + row % 50}{1 + row % 12:02d}{1 + row % 28:02d}{row % 1000:03d}"
            ws.write_row(row, 0, [streets[prop % len(streets)], "不动产权证书", cert, f"重庆市渝中区测试路{prop}号",
                                  "88.50", "住宅", "否", "否", "测试" + "甲乙丙丁戊己庚辛壬癸"[row % 10],
                                  "居民身份证", first17 + id_check_char(first17), "50" if owners == 2 else "100"])
            row += 1
    wb.close()
    return buf.getvalue(), prop


def bench_import(app, bench_dir, st):
    """The whole upload through the 产权登记 import page as gov_admin (reading, cell checks,
    registry checks, Core inserts, commit), against calamine reading the file and Core insert()
    writing the same rows alone (on a copy of the database)."""
    import io

    from sqlalchemy import create_engine, insert

    from app.extensions import db
    from app.rental.registry.models import PropertyOwner, RentalProperty

    if not any(r.rule == "/rental/registry/import/" for r in app.url_map.iter_rules()):
        log("registry import: not available")
        return {"available": False}
    data, properties = import_workbook(N_IMPORT)
    path = db_file(bench_dir)
    with app.app_context():
        db.session.execute(db.text("UPDATE anju_param SET value = :n WHERE key = 'import.max_rows'"),
                           {"n": str(N_IMPORT + 10)})
        db.session.commit()
    app.config["IMPORT_MAX_BYTES"] = 64 * 1024 * 1024
    # The floor first, on a copy: read the file with calamine, insert the rows with Core.
    copy = os.path.join(bench_dir, "rental.import-floor.db")
    shutil.copyfile(path, copy)
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[1:]
    t_read = time.perf_counter() - t0
    engine = create_engine("sqlite:///" + copy)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        start = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_property").scalar()
        owner_start = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM anju_rental_property_owner").scalar()
        props, owners, ids = [], [], {}
        now = stamp(datetime.now())
        for r in rows:
            pid = ids.get(r[2])
            if pid is None:
                pid = ids[r[2]] = start + len(ids) + 1
                props.append({"id": pid, "cert_type": "real_estate", "cert_no": r[2], "region_code": str(r[0])[:6],
                              "street_code": str(r[0]), "address": r[3], "building_area": r[4], "use": "residential",
                              "sealed": False, "mortgaged": False, "created_on": now, "changed_on": now})
            owners.append({"id": owner_start + len(owners) + 1, "property_id": pid, "seq": 1, "name": r[8],
                           "id_type": "resident_id", "id_number": r[10], "share": r[11]})
        for i in range(0, len(props), BATCH):
            conn.execute(insert(bare(RentalProperty)), props[i:i + BATCH])
        for i in range(0, len(owners), BATCH):
            conn.execute(insert(bare(PropertyOwner)), owners[i:i + BATCH])
    t_write = time.perf_counter() - t0
    engine.dispose()
    os.remove(copy)
    client = login(app, "gov_admin")
    html = client.get("/rental/registry/import/").get_data(as_text=True)
    token = common.csrf_token(html)
    t0 = time.perf_counter()
    resp = client.post("/rental/registry/import/", data={"csrf_token": token, "file": (io.BytesIO(data), "bench.xlsx")},
                       content_type="multipart/form-data")
    elapsed = time.perf_counter() - t0
    ok = resp.status_code == 200 and f"成功导入{N_IMPORT}条数据" in resp.get_data(as_text=True)
    res = {"available": True, "rows": N_IMPORT, "properties": properties, "file_mb": round(len(data) / 2 ** 20, 1),
           "ok": ok, "page_s": round(elapsed, 2), "page_rows_per_s": round(N_IMPORT / elapsed),
           "floor_read_s": round(t_read, 2), "floor_write_s": round(t_write, 2),
           "floor_rows_per_s": round(N_IMPORT / (t_read + t_write))}
    log(f"  import: {N_IMPORT:,} rows through the page in {elapsed:.1f} s = {res['page_rows_per_s']:,}/s "
        f"({'ok' if ok else 'NOT IMPORTED'}); calamine + Core alone {res['floor_rows_per_s']:,}/s")
    return res


# --- 5. verification through the REST API ------------------------------------------------------

def _payloads(path, n, seed=SEED):
    """n registered, unencumbered properties with their owners, as a platform would send them."""
    conn = sqlite3.connect(path)
    rnd = random.Random(seed)
    total = conn.execute("SELECT MAX(id) FROM anju_rental_property").fetchone()[0] or 0
    ids = sorted(rnd.sample(range(1, total + 1), min(total, n * 2)))
    out = []
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        marks = ",".join("?" * len(part))
        props = conn.execute(f"SELECT id, region_code, cert_type, cert_no FROM anju_rental_property WHERE id IN ({marks}) "
                             f"AND sealed = 0 AND mortgaged = 0", part).fetchall()
        owners = defaultdict(list)
        for pid, name, id_type, id_number in conn.execute(
                f"SELECT property_id, name, id_type, id_number FROM anju_rental_property_owner WHERE property_id IN "
                f"({marks}) ORDER BY property_id, seq", part):
            owners[pid].append({"name": name, "id_type": id_type, "id_number": id_number})
        for pid, region, cert_type, cert_no in props:
            out.append({"region_code": region, "cert_type": cert_type, "cert_no": cert_no, "owners": owners[pid]})
    conn.close()
    rnd.shuffle(out)
    return out[:n]


def bench_api(app, bench_dir, st):
    from app.extensions import db
    if not any(r.rule.startswith("/api/v1/listing_verification") for r in app.url_map.iter_rules()):
        log("verification API: not available")
        return {"available": False}
    path = db_file(bench_dir)
    payloads = _payloads(path, N_API * 2)
    if len(payloads) < 2:
        return {"available": False, "reason": "no registry rows"}
    half = len(payloads) // 2
    with app.app_context():
        from app.rental.verification import apikeys, services
        from app.rental.verification.models import ListingVerification

        sm = app.appbuilder.sm
        admin, platform = sm.find_user(username="admin"), sm.find_user(username="platform_a")
        from app.system.params import ensure_params

        ensure_params()
        db.session.execute(db.text("UPDATE anju_param SET value = '0' WHERE key = 'rental.api_calls_per_minute'"))
        db.session.commit()
        key_row, key = apikeys.issue(admin, platform.id, "bench")
        db.session.commit()
        key_id = key_row.id
        before = db.session.query(ListingVerification).count()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    statuses = defaultdict(int)
    results = defaultdict(int)
    t0 = time.perf_counter()
    for i, body in enumerate(payloads[:half]):
        resp = client.post("/api/v1/listing_verification/", json=body,
                           headers=dict(headers, **{"Idempotency-Key": f"bench-{i}"}))
        statuses[resp.status_code] += 1
        if resp.status_code == 200:
            results[resp.get_json().get("result")] += 1
    api_s = time.perf_counter() - t0
    # The floor: the same verification through the service alone (no HTTP, no key check, no audit).
    with app.app_context():
        platform = app.appbuilder.sm.find_user(username="platform_a")
        t0 = time.perf_counter()
        for body in payloads[half:]:
            services.verify(body, platform, channel="api", api_key_id=key_id)
            db.session.commit()
        svc_s = time.perf_counter() - t0
        after = db.session.query(ListingVerification).count()
    res = {"available": True, "calls": half, "statuses": dict(statuses), "results": dict(results),
           "api_s": round(api_s, 2), "api_per_s": round(half / api_s, 1),
           "service_calls": len(payloads) - half, "service_per_s": round((len(payloads) - half) / svc_s, 1),
           "rows_added": after - before}
    log(f"  API: {half:,} calls in {api_s:.1f} s = {res['api_per_s']}/s ({dict(statuses)}); "
        f"service alone {res['service_per_s']}/s")
    return res


# --- run -----------------------------------------------------------------------------------------

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
    data["rental"] = res
    with open(out, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
    log(f"results in {out} (key \"rental\")")


def main():
    bench_dir = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="anju-rental-bench-")
    os.makedirs(bench_dir, exist_ok=True)
    res = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": os.cpu_count()},
           "sizes": {"enterprises": N_ENT, "properties": N_PROP, "contracts": N_CON}}
    try:
        t0 = time.perf_counter()
        st = build(bench_dir)
        res["generated"] = st
        log(f"data ready in {time.perf_counter() - t0:.0f} s")
        app = make_app(bench_dir)
        if "pages" in ONLY:
            log("contract list per role ...")
            res["pages"] = bench_pages(app, bench_dir, st)
        if "overdue" in ONLY:
            log("overdue-filing job ...")
            res["overdue"] = bench_overdue(app, bench_dir, st)
        if "import" in ONLY:
            log(f"registry import of {N_IMPORT:,} rows ...")
            res["import"] = bench_import(app, bench_dir, st)
        if "api" in ONLY:
            log(f"listing verification through the API, {N_API:,} calls ...")
            res["api"] = bench_api(app, bench_dir, st)
        save(res)
    finally:
        if not KEEP and not os.environ.get("BENCH_DIR"):
            shutil.rmtree(bench_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
