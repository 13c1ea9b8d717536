"""Property filings benchmark (物业区域业务办理 at city scale, issue 16), run by bench/run.py (part 11) or alone:

    .venv/bin/python bench/property.py                                      # 20,000 areas, 2,000,000 houses
    PROP_AREAS=2000 PROP_HOUSES=200000 PROP_IMPORT_ROWS=5000 BENCH_RUNS=3 .venv/bin/python bench/property.py
    BENCH_DIR=/tmp/pb BENCH_REUSE=1 .venv/bin/python bench/property.py     # later runs skip the generation

1. A scratch SQLite database of its own (``property.db`` in the scratch dir), built as the other
   parts build theirs (production ``config.Config``, Alembic migrations, sync_roles(), reference
   and demo data), then with Core insert() through plain ``table()`` clauses in batches of
   BENCH_BATCH: PROP_COMPANIES property companies, PROP_DEVELOPERS developers (开发建设单位) and one
   owners committee (业主委员会) for PROP_COMMITTEE_SHARE of the areas; PROP_AREAS areas over the
   districts and streets of seeds/regions.csv under 500000 (渝中区 ~15 %, 渝北区 ~25 %, the rest over
   the other 36 districts; every area has a company, ~90 % a developer, ~60 % 是否合同备案, distinct
   ``changed_on`` over three years; ent_a's company serves 1 % of them); PROP_HOUSES houses (~100 an
   area, 40 to 160) with owners whose resident ID numbers carry a valid check digit
   (app/core/validators.id_check_char; about one owner in ten owns two houses of the area). The
   secondary indexes of ``anju_house`` are dropped for the load and created again (timed, part of
   the rate); ``ANALYZE`` follows. One more area of dev_a's developer (重庆渝开置业有限公司), with no
   houses, waits for the import.
2. (a) 房屋信息补充 through the real endpoint, in a child process (so its memory is the import's
   alone): dev_a signs in through /login/, GETs /houses/import/ (CSRF token) and POSTs a workbook of
   PROP_IMPORT_ROWS rows (xlsxwriter, the template's Chinese headers) to /houses/import/upload
   (area_id, deposit_date, file); then 保存并提交 (POST /houses/import/submit/<pk>); then the
   reviewer 受理 and 审核通过 on the generic application page (POST /applications/decide/<pk>,
   action accept, then approve: the hook copies the staged rows into ``anju_house``). Printed: rows/s
   of the import (read + check + stage, with the view's steps split by wrappers in that process
   only), of the submit and of the approval write, each with its peak added memory (VmHWM, reset
   before the request, minus the RSS before it), and the statements each request ran. Checked: the
   area holds every row afterwards, nothing stays staged, the application is 审核通过. Floor: the
   same file read with python-calamine alone + the same rows written with one Core insert()
   executemany into ``anju_house`` (in a transaction rolled back).
3. (b) 物业管理区域综合查询 (AreaQueryView, /areas/query/list/) through the Flask test client as
   gov_admin (city: every area), district1 (region 500103) and ent_a (org scope: the areas its
   company serves): first page, page 500 (or the last page of the role's areas), a filter (the
   role's busiest district + 是否合同备案 = 是) and a name contains-search, median and p95 of
   BENCH_RUNS after one warm-up, each against its bare SQL on a sqlite3 connection (the page's ids
   in the list's order with the same scope and filters, those rows joined to their regions and
   organisations, the count up to the list's cap). Checked first: the page shows the bare SQL's ids
   and its count. "not available" when the app has no AreaQueryView (the areas part not merged).
4. (c) The owners check of a 15-member committee (app/property/owners/services.check_members: the
   members against the area's house registry) at PROP_HOUSES houses: 13 owners, one under another
   name, one not in the registry; median and p95 of BENCH_RUNS after a warm-up, the SQL statements
   one check runs, and its bare SELECT.

Environment: PROP_AREAS (20000), PROP_HOUSES (2000000), PROP_IMPORT_ROWS (20000), PROP_COMPANIES (300),
PROP_DEVELOPERS (200), PROP_COMMITTEE_SHARE (0.1), PROP_DEEP_PAGE (500), PROP_ONLY (comma-separated:
import, query, owners; default all), BENCH_RUNS (7), BENCH_BATCH (20000), BENCH_DIR (scratch dir;
a new temp dir removed at the end unless BENCH_KEEP=1), BENCH_REUSE=1 (with BENCH_DIR: keep a copy
of the generated database and start later runs from it, same sizes), BENCH_SEED (2026).
Results: the printed tables and the "property" key of bench/out/results.json.
"""
import io
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

N_AREAS = int(os.environ.get("PROP_AREAS", "20000"))
N_HOUSES = int(os.environ.get("PROP_HOUSES", "2000000"))
N_IMPORT = int(os.environ.get("PROP_IMPORT_ROWS", "20000"))
N_COMPANIES = int(os.environ.get("PROP_COMPANIES", "300"))
N_DEVELOPERS = int(os.environ.get("PROP_DEVELOPERS", "200"))
COMMITTEE_SHARE = float(os.environ.get("PROP_COMMITTEE_SHARE", "0.1"))
DEEP_PAGE = int(os.environ.get("PROP_DEEP_PAGE", "500"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "2026"))
_PARTS = ("import", "query", "owners")
ONLY = {p.strip() for p in os.environ.get("PROP_ONLY", "").split(",") if p.strip()} or set(_PARTS)
if ONLY - set(_PARTS):
    raise SystemExit(f"PROP_ONLY: unknown part(s) {', '.join(sorted(ONLY - set(_PARTS)))}; use {', '.join(_PARTS)}")
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "property.db"
PRISTINE = "property.pristine.db"
META = "property-gen.json"
IMPORT_AREA = "基准测试导入小区"
DEPOSIT_DATE = "2024-06-30"
PAGE_SIZE = 20
SEARCH_TOKEN = "翠湖"   # one of AREA_A: about 1/len(AREA_A) of the names contain it

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
AREA_A = ["翠湖", "金色", "阳光", "龙湖", "融创", "碧桂", "山水", "锦绣", "滨江", "御景", "书香", "万科", "恒大", "保利",
          "鲁能", "华润", "金科", "紫薇", "桃源", "嘉陵", "长江", "南山", "北城", "星光", "天骄", "香樟", "玉兰", "梧桐",
          "枫丹", "清溪", "云顶", "海棠", "丽景", "东方", "世纪", "盛世", "和平", "幸福", "康居", "怡景"]
AREA_B = ["花园", "小区", "家园", "雅苑", "名都", "华府", "新城", "公馆", "苑", "城", "里", "广场", "国际", "壹号",
          "佳苑", "尚城", "首府", "湾", "庭", "居"]
COMPANY_A = ["安", "和", "宜", "嘉", "华", "鑫", "恒", "泰", "瑞", "信", "德", "诚", "合", "盛", "丰", "祥"]
COMPANY_B = ["居", "家", "邦", "悦", "城", "筑", "景", "联", "达", "润", "佳", "润"]
STREET_WORDS = ["解放", "民生", "中山", "人民", "建设", "和平", "新华", "长江", "嘉陵", "滨江", "金开", "龙塔", "红锦"]
TYPES = [("residential", 70), ("mixed", 10), ("villa", 5), ("commercial", 5), ("office", 5), ("other", 5)]
ID_COUNTIES = ("500103", "500105", "500106", "500107", "500108", "500112", "510104", "420106")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


# --- helpers ---------------------------------------------------------------------------------

def pct(sorted_values, q):
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def summary(times):
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 0.95), 2),
            "min_ms": round(ms[0], 2), "max_ms": round(ms[-1], 2), "runs": len(ms)}


def timed(fn, runs=None):
    """One warm-up, then RUNS timed calls."""
    fn()
    times = []
    for _ in range(runs or RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def id_number(n):
    """The n-th generated person's resident ID number: unique for n below 160,000,000, a valid
    check digit (the same MOD 11-2 as app.core.validators.id_check_char, inlined for speed;
    checked against it below), births 1950-2004."""
    k = len(ID_COUNTIES)
    county = ID_COUNTIES[n % k]
    day = _BASE_BIRTH + timedelta(days=(n // k) % 20000)
    first17 = f"{county}{day:%Y%m%d}{(n // (k * 20000)) % 1000:03d}"
    return first17 + _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


_BASE_BIRTH = date(1950, 1, 1)


def stamp(dt):
    """A DateTime as SQLAlchemy writes it on SQLite."""
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqlCounter:
    """Statements (and time in the driver) on an engine while active, by kind."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.stmts = []
        self._t0 = {}

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, params, context, executemany):
            if self.active:
                self._t0[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, params, context, executemany):
            if self.active:
                t0 = self._t0.pop(id(cursor), None)
                self.stmts.append((" ".join(statement.split()), time.perf_counter() - t0 if t0 else 0.0,
                                   executemany))

    def start(self):
        self.stmts = []
        self.active = True

    def stop(self):
        self.active = False
        kinds = Counter()
        secs = Counter()
        for sql, dt, _many in self.stmts:
            kind = sql.split(" ", 1)[0].upper()
            kinds[kind] += 1
            secs[kind] += dt
        top = sorted(self.stmts, key=lambda s: -s[1])[:3]
        return {"statements": len(self.stmts), "driver_s": round(sum(s[1] for s in self.stmts), 5),
                "by_kind": {k: {"n": n, "s": round(secs[k], 3)} for k, n in kinds.items()},
                "slowest": [{"sql": s[:300], "s": round(dt, 3)} for s, dt, _m in top]}


# --- 1. the data ---------------------------------------------------------------------------------

class Generator:
    """Organisations, areas and houses by Core insert (no ORM, no audit)."""

    def __init__(self, engine, seed=SEED):
        self.engine = engine
        self.rnd = random.Random(seed)
        self.now = datetime.now().replace(microsecond=0)
        self.st = {"now": self.now.isoformat(sep=" ")}
        self.person = 0

    def _name(self):
        r = self.rnd
        return r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6 else "")

    def _mobile(self):
        return f"1{self.rnd.choice('3578')}{self.rnd.randrange(10 ** 9):09d}"

    def _reference(self, conn):
        from sqlalchemy import text

        regions = conn.execute(text("SELECT code, name, level, parent_code FROM anju_region "
                                    "WHERE code LIKE '500%'")).all()
        self.region_name = {r.code: r.name for r in regions}
        self.districts = sorted(r.code for r in regions if r.level == "district")
        self.streets = {}
        for r in regions:
            if r.level == "street":
                self.streets.setdefault(r.parent_code, []).append(r.code)
        orgs = {o.name: o for o in conn.execute(text("SELECT id, name, org_type, region_code, path FROM anju_org"))}
        users = dict(conn.execute(text("SELECT username, org_id FROM ab_user "
                                       "WHERE username IN ('dev_a', 'ent_a', 'committee_a')")).all())
        self.ent_a_org = users["ent_a"]
        self.dev_a_org = users["dev_a"]
        self.city = next(o for o in orgs.values() if o.org_type == "city" and o.region_code == "500000")
        self.gov = {o.region_code: o for o in orgs.values() if o.org_type == "district"}
        self.next_org = conn.execute(text("SELECT max(id) FROM anju_org")).scalar() + 1
        self.next_area = (conn.execute(text("SELECT max(id) FROM anju_property_area")).scalar() or 0) + 1
        if not self.streets:
            raise SystemExit("the reference data has no streets under 500000")

    def _district_weights(self):
        """渝中区 15 %, 渝北区 25 %, the rest evenly over the other districts."""
        rest = [d for d in self.districts if d not in ("500103", "500112")]
        weights = {"500103": 0.15, "500112": 0.25}
        for d in rest:
            weights[d] = 0.60 / len(rest)
        return weights

    def _orgs(self, conn):
        from sqlalchemy import column, insert, table

        cols = ("id", "name", "org_type", "enterprise_type", "credit_code", "region_code", "parent_id", "path",
                "legal_rep", "contact_name", "contact_mobile", "address", "active", "review_status",
                "created_on", "changed_on")
        t = table("anju_org", *(column(c) for c in cols))
        now = stamp(self.now)
        self.org_rows = []

        def add(name, org_type, ent_type, region, credit):
            oid = self.next_org
            self.next_org += 1
            parent = self.gov.get(region[:6]) or self.city
            self.org_rows.append({"id": oid, "name": name, "org_type": org_type, "enterprise_type": ent_type,
                         "credit_code": credit, "region_code": region, "parent_id": parent.id,
                         "path": f"{parent.path}{oid}/", "legal_rep": self._name(), "contact_name": self._name(),
                         "contact_mobile": self._mobile(), "address": None, "active": 1,
                         "review_status": "approved", "created_on": now, "changed_on": now})
            return oid

        weights = self._district_weights()
        dists, w = list(weights), list(weights.values())
        r = self.rnd
        names = [a + b for a in COMPANY_A for b in COMPANY_B]
        self.companies = [add(f"重庆{names[i % len(names)]}物业服务有限公司{'' if i < len(names) else i}",
                              "enterprise", "property_company", r.choices(dists, w)[0], f"91500000PC{i:07d}X")
                          for i in range(N_COMPANIES)]
        self.developers = [add(f"重庆{names[(i * 7) % len(names)]}置业有限公司{'' if i < len(names) else i}",
                               "enterprise", "developer", r.choices(dists, w)[0], f"91500000PD{i:07d}X")
                           for i in range(N_DEVELOPERS)]
        conn.execute(insert(t), self.org_rows)
        self.org_rows = []
        self.org_table, self.add_org = t, add

    def _flush_orgs(self, conn):
        from sqlalchemy import insert

        if self.org_rows:
            conn.execute(insert(self.org_table), self.org_rows)
            self.org_rows = []

    def _areas(self, conn):
        """N_AREAS areas (plus the import area); returns [(id, region_code)] of the generated ones."""
        from sqlalchemy import column, insert, table

        cols = ("id", "name", "district_code", "street_code", "community_code", "region_code", "address",
                "company_org_id", "project_lead_id", "public_code", "created_on", "changed_on", "property_type",
                "boundaries", "land_area", "building_area", "building_count", "developer_org_id",
                "committee_org_id", "contract_filed")
        t = table("anju_property_area", *(column(c) for c in cols))
        r = self.rnd
        weights = self._district_weights()
        dists, w = list(weights), list(weights.values())
        type_codes, type_w = [c for c, _ in TYPES], [x for _, x in TYPES]
        span = timedelta(days=3 * 365).total_seconds()
        first_changed = self.now - timedelta(days=3 * 365 + 1)
        step = span / max(1, N_AREAS)
        committees = []
        rows, areas, seen = [], [], set()
        for i in range(N_AREAS):
            aid = self.next_area
            self.next_area += 1
            district = r.choices(dists, w)[0]
            street = r.choice(self.streets[district]) if district in self.streets else None
            region = street or district
            base = AREA_A[i % len(AREA_A)] + AREA_B[(i // len(AREA_A)) % len(AREA_B)]
            phase = i // (len(AREA_A) * len(AREA_B))
            name = base + (f"{phase + 1}期" if phase else "")
            assert name not in seen
            seen.add(name)
            company = self.ent_a_org if r.random() < 0.01 else r.choice(self.companies)
            developer = r.choice(self.developers) if r.random() < 0.9 else None
            committee = None
            if r.random() < COMMITTEE_SHARE:
                committee = self.add_org(f"{name}业主委员会", "owners_committee", "owners_committee", district, None)
                committees.append(committee)
            changed = first_changed + timedelta(seconds=i * step + r.random() * step * 0.5)
            rows.append({
                "id": aid, "name": name, "district_code": district, "street_code": street, "community_code": None,
                "region_code": region,
                "address": f"重庆市{self.region_name[district]}{r.choice(STREET_WORDS)}路{r.randint(1, 999)}号",
                "company_org_id": company, "project_lead_id": None, "public_code": f"pb{aid:08d}",
                "created_on": stamp(changed - timedelta(days=r.randint(30, 900))), "changed_on": stamp(changed),
                "property_type": r.choices(type_codes, type_w)[0], "boundaries": "东至规划道路，南至绿地，西至河道，北至小学",
                "land_area": round(r.uniform(5000, 90000), 2), "building_area": round(r.uniform(10000, 300000), 2),
                "building_count": r.randint(2, 30), "developer_org_id": developer, "committee_org_id": committee,
                "contract_filed": 1 if r.random() < 0.6 else 0})
            areas.append((aid, region))
            if len(rows) >= BATCH:
                self._flush_orgs(conn)
                conn.execute(insert(t), rows)
                rows = []
        # The import area: dev_a's developer, no houses, no company yet.
        self.import_area = self.next_area
        self.next_area += 1
        rows.append({
            "id": self.import_area, "name": IMPORT_AREA, "district_code": "500103", "street_code": "500103002",
            "community_code": None, "region_code": "500103002", "address": "重庆市渝中区基准路1号",
            "company_org_id": None, "project_lead_id": None, "public_code": f"pb{self.import_area:08d}",
            "created_on": stamp(self.now - timedelta(days=2)), "changed_on": stamp(self.now - timedelta(days=1)),
            "property_type": "residential", "boundaries": None, "land_area": 30000, "building_area": 120000,
            "building_count": 20, "developer_org_id": self.dev_a_org, "committee_org_id": None, "contract_filed": 0})
        self._flush_orgs(conn)
        conn.execute(insert(t), rows)
        self.st.update(committees=len(committees), import_area=self.import_area)
        return areas

    # -- houses ------------------------------------------------------------------------------------
    def layout(self, n, r):
        """n (building, unit, room, floor) of one area, unique."""
        units = r.choice((0, 1, 2, 2, 3))
        per_floor = r.choice((2, 2, 3, 4))
        floors = r.choice((6, 11, 18, 26, 33))
        out = []
        b = 1
        while len(out) < n:
            for u in range(max(1, units)):
                for f in range(1, floors + 1):
                    for k in range(1, per_floor + 1):
                        out.append((f"{b}栋", f"{u + 1}单元" if units else "", f"{f}{k:02d}", f))
                        if len(out) == n:
                            return out
            b += 1
        return out

    def house_rows(self, area_id, region, n, r, created):
        rows = []
        prev = None
        for j, (building, unit, room, floor) in enumerate(self.layout(n, r)):
            if prev is not None and j % 10 == 9:
                name, number = prev          # about one owner in ten owns two houses of the area
            else:
                name, number = self._name(), id_number(self.person)
                self.person += 1
            prev = (name, number)
            rows.append({"area_id": area_id, "building": building, "unit": unit, "room": room, "floor": floor,
                         "floor_area": round(r.uniform(45, 180), 2), "owner_name": name, "owner_id_number": number,
                         "deposit_date": DEPOSIT_DATE, "region_code": region, "application_id": None,
                         "created_on": created})
        return rows

    def _houses(self, conn, areas):
        from sqlalchemy import column, insert, table, text

        cols = ("area_id", "building", "unit", "room", "floor", "floor_area", "owner_name", "owner_id_number",
                "deposit_date", "region_code", "application_id", "created_on")
        t = table("anju_house", *(column(c) for c in cols))
        # Counts around the mean (40..160 at the default 100), in pairs that sum to twice the mean.
        r = self.rnd
        mean = N_HOUSES // max(1, len(areas))
        counts = [mean] * len(areas)
        for i in range(0, len(areas) - 1, 2):
            d = r.randint(0, int(mean * 0.6))
            counts[i] += d
            counts[i + 1] -= d
        for i in range(N_HOUSES - mean * len(areas)):
            counts[i % len(areas)] += 1
        indexes = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                    "AND tbl_name = 'anju_house' AND sql IS NOT NULL")).all()
        for ix in indexes:
            conn.execute(text(f'DROP INDEX "{ix.name}"'))
        created = stamp(self.now - timedelta(days=400))
        rows, written, t0 = [], 0, time.perf_counter()
        build_s = insert_s = 0.0
        for (aid, region), n in zip(areas, counts):
            tb = time.perf_counter()
            rows.extend(self.house_rows(aid, region, n, r, created))
            build_s += time.perf_counter() - tb
            if len(rows) >= BATCH:
                ti = time.perf_counter()
                conn.execute(insert(t), rows)
                insert_s += time.perf_counter() - ti
                written += len(rows)
                rows = []
                if written // 500000 != (written - BATCH) // 500000:
                    log(f"  {written:,} houses ({written / (time.perf_counter() - t0):,.0f} rows/s)")
        if rows:
            ti = time.perf_counter()
            conn.execute(insert(t), rows)
            insert_s += time.perf_counter() - ti
            written += len(rows)
        ti = time.perf_counter()
        for ix in indexes:
            conn.execute(text(ix.sql))
        index_s = time.perf_counter() - ti
        seconds = time.perf_counter() - t0
        self.st["houses"] = {"rows": written, "seconds": round(seconds, 1), "rows_per_s": round(written / seconds),
                             "build_s": round(build_s, 1), "insert_s": round(insert_s, 1),
                             "index_s": round(index_s, 1), "owners": self.person,
                             "indexes_rebuilt": [ix.name for ix in indexes]}
        self.area_counts = dict(zip((a for a, _ in areas), counts))

    def run(self):
        from sqlalchemy import text

        from app.core.validators import id_check_char

        for n in (0, 1, 12345, 1_999_999):   # the inlined check digit is the validator's
            assert id_number(n)[17] == id_check_char(id_number(n)[:17])
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            self._reference(conn)
            self._orgs(conn)
            areas = self._areas(conn)
        self.st["areas"] = {"rows": len(areas), "seconds": round(time.perf_counter() - t0, 1),
                            "companies": N_COMPANIES, "developers": N_DEVELOPERS,
                            "committees": self.st.pop("committees")}
        log(f"  {len(areas):,} areas, {N_COMPANIES} companies, {N_DEVELOPERS} developers, "
            f"{self.st['areas']['committees']:,} committees in {self.st['areas']['seconds']} s")
        with self.engine.begin() as conn:
            self._houses(conn, areas)
        h = self.st["houses"]
        log(f"  {h['rows']:,} houses ({h['owners']:,} owners) in {h['seconds']} s = {h['rows_per_s']:,} rows/s "
            f"(rows built {h['build_s']} s, INSERT {h['insert_s']} s, indexes {h['index_s']} s)")
        t1 = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        self.st["analyze_s"] = round(time.perf_counter() - t1, 1)
        self.st["person_next"] = self.person
        # (c)'s committee: an area of about the mean size with a committee, its houses' owners.
        with self.engine.connect() as conn:
            mean = N_HOUSES // max(1, N_AREAS)
            pick = conn.execute(text(
                "SELECT a.id FROM anju_property_area a JOIN anju_house h ON h.area_id = a.id "
                "WHERE a.committee_org_id IS NOT NULL GROUP BY a.id HAVING count(*) BETWEEN :lo AND :hi "
                "ORDER BY a.id LIMIT 1"), {"lo": mean - 10, "hi": mean + 10}).scalar()
            if pick is None:
                pick = conn.execute(text("SELECT area_id FROM anju_house ORDER BY id LIMIT 1")).scalar()
            owners = conn.execute(text(
                "SELECT owner_name, owner_id_number, count(*) FROM anju_house WHERE area_id = :a "
                "GROUP BY owner_id_number, owner_name ORDER BY min(id) LIMIT 14"), {"a": pick}).all()
        self.st["committee_area"] = {"id": pick, "owners": [[o[0], o[1], o[2]] for o in owners]}
        self.st["generate_s"] = round(time.perf_counter() - t0, 1)
        return self.st


def build(bench_dir):
    """The scratch database: migrated, seeded, generated (or copied from a kept pristine one)."""
    path, pristine, meta = (os.path.join(bench_dir, n) for n in (DB_NAME, PRISTINE, META))
    sizes = {"areas": N_AREAS, "houses": N_HOUSES, "companies": N_COMPANIES, "developers": N_DEVELOPERS,
             "committee_share": COMMITTEE_SHARE, "seed": SEED}
    if REUSE and os.path.exists(pristine) and os.path.exists(meta):
        with open(meta) as fh:
            st = json.load(fh)
        if st.get("sizes") == sizes:
            for suffix in ("-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            shutil.copyfile(pristine, path)
            log(f"reusing the generated database {pristine}")
            st["reused"] = True
            return st
        log("BENCH_REUSE: the kept database was generated with other sizes; generating again")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    app = make_app(bench_dir)
    from sqlalchemy import create_engine, event

    from app.extensions import db

    t0 = time.perf_counter()
    common.prepare_database(app)
    log(f"migrated and seeded in {time.perf_counter() - t0:.1f} s")
    engine = create_engine("sqlite:///" + path)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-262144")
        cur.close()

    with app.app_context():
        db.session.remove()
        st = Generator(engine).run()
    engine.dispose()
    st["sizes"] = sizes
    st["db_mb"] = round(os.path.getsize(path) / 1e6)
    if REUSE:
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(path, pristine)
        with open(meta, "w") as fh:
            json.dump(st, fh, ensure_ascii=False)
    st["reused"] = False
    return st


def make_app(bench_dir):
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(bench_dir, DB_NAME),
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    app.config["IMPORT_MAX_BYTES"] = max(app.config["IMPORT_MAX_BYTES"], 256 * 1024 * 1024)
    app.config["MAX_CONTENT_LENGTH"] = max(app.config.get("MAX_CONTENT_LENGTH") or 0, 256 * 1024 * 1024)
    return app


# --- 2. (a) the house import -----------------------------------------------------------------------

HEADERS = ["楼栋", "单元", "房号", "楼层", "建筑面积", "产权人姓名", "证件号码"]


def import_rows(st):
    """The workbook's rows: a new estate of N_IMPORT houses, owners after the registry's people."""
    g = Generator(None, seed=SEED + 1)
    g.person = st["person_next"] + 1000
    r = g.rnd
    out = []
    prev = None
    for j, (building, unit, room, floor) in enumerate(g.layout(N_IMPORT, r)):
        if prev is not None and j % 10 == 9:
            name, number = prev
        else:
            name, number = g._name(), id_number(g.person)
            g.person += 1
        prev = (name, number)
        out.append((building, unit, room, floor, round(r.uniform(45, 180), 2), name, number))
    return out


def write_workbook(path, rows):
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("房屋信息")
    ws.write_row(0, 0, HEADERS)
    for i, (building, unit, room, floor, area, name, number) in enumerate(rows, start=1):
        ws.write_string(i, 0, building)
        if unit:
            ws.write_string(i, 1, unit)
        ws.write_string(i, 2, room)
        ws.write_number(i, 3, floor)
        ws.write_number(i, 4, area)
        ws.write_string(i, 5, name)
        ws.write_string(i, 6, number)
    wb.close()


def _mem():
    return common.proc_status()


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # VmHWM back to the current RSS
            fh.write("5")
        return True
    except OSError:
        return False


def import_child(bench_dir, xlsx_path, area_id, out_json):
    """In its own process: upload, submit, accept, approve through the pages; time and memory."""
    from app.core import xlsx
    from app.extensions import db
    from app.property.houses import services

    app = make_app(bench_dir)
    dev = common.login(app, "dev_a")
    index = dev.get("/houses/import/")
    if index.status_code != 200:
        raise SystemExit(f"GET /houses/import/ as dev_a: HTTP {index.status_code}")
    html = index.get_data(as_text=True)
    if f'value="{area_id}"' not in html:
        raise SystemExit(f"the import area {area_id} is not among dev_a's areas on /houses/import/")
    token = common.csrf_token(html)
    with app.app_context():
        counter = SqlCounter(db.engine)
    steps = Counter()

    def wrap(owner, name, label):
        original = getattr(owner, name)

        def timed_call(*a, **kw):
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                steps[label] += time.perf_counter() - t0

        setattr(owner, name, timed_call)

    wrap(xlsx, "read_import", "read the workbook (python-calamine + cell checks)")
    wrap(services, "validate_rows", "check against the area (set-based)")
    wrap(services, "_stage", "stage the rows (Core INSERT, batches)")
    data = open(xlsx_path, "rb").read()
    res = {"rows": N_IMPORT, "bytes": len(data), "hwm_reset": _reset_hwm()}

    def step(label, fn):
        rss0 = _mem().get("VmRSS", 0)
        _reset_hwm()
        counter.start()
        t0 = time.perf_counter()
        resp = fn()
        seconds = time.perf_counter() - t0
        sql = counter.stop()
        peak = _mem().get("VmHWM", 0)
        out = {"status": resp.status_code, "seconds": round(seconds, 3), "rows_per_s": round(N_IMPORT / seconds),
               "rss_before_mb": round(rss0 / 1024), "peak_added_mb": round(max(0, peak - rss0) / 1024, 1),
               "sql": sql}
        res[label] = out
        return resp

    resp = step("upload", lambda: dev.post("/houses/import/upload", data={
        "csrf_token": token, "area_id": str(area_id), "deposit_date": DEPOSIT_DATE,
        "file": (io.BytesIO(data), "houses.xlsx")}, content_type="multipart/form-data"))
    if resp.status_code != 302 or "/houses/import/show/" not in resp.headers.get("Location", ""):
        body = resp.get_data(as_text=True)
        err = re.search(r'id="form-error"[^>]*>([^<]+)<', body)
        raise SystemExit(f"import refused: HTTP {resp.status_code} {err.group(1) if err else body[:500]}")
    res["upload"]["steps_s"] = {k: round(v, 3) for k, v in steps.items()}
    pk = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    res["application_id"] = pk
    show = step("show", lambda: dev.get(f"/houses/import/show/{pk}"))
    shown = show.get_data(as_text=True)
    res["show"]["total_on_page"] = f"{N_IMPORT:,}" in shown or str(N_IMPORT) in shown
    resp = step("submit", lambda: dev.post(f"/houses/import/submit/{pk}", data={"csrf_token": token}))
    if resp.status_code != 302:
        raise SystemExit(f"submit: HTTP {resp.status_code}")
    reviewer = common.login(app, "reviewer")
    page = reviewer.get(f"/applications/show/{pk}")
    if page.status_code != 200:
        raise SystemExit(f"GET /applications/show/{pk} as reviewer: HTTP {page.status_code}")
    rtoken = common.csrf_token(page.get_data(as_text=True))
    step("accept", lambda: reviewer.post(f"/applications/decide/{pk}", data={"csrf_token": rtoken,
                                                                              "action": "accept"}))
    step("approve", lambda: reviewer.post(f"/applications/decide/{pk}", data={"csrf_token": rtoken,
                                                                               "action": "approve"}))
    from sqlalchemy import text

    with app.app_context():
        res["houses_in_area"] = db.session.execute(text("SELECT count(*) FROM anju_house WHERE area_id = :a"),
                                                   {"a": area_id}).scalar()
        res["staged_left"] = db.session.execute(text("SELECT count(*) FROM anju_house_staged "
                                                     "WHERE application_id = :p"), {"p": pk}).scalar()
        res["status"] = db.session.execute(text("SELECT status FROM anju_application WHERE id = :p"),
                                           {"p": pk}).scalar()
        flashes = reviewer.get(f"/applications/show/{pk}").get_data(as_text=True)
        m = re.search(r'alert-danger[^>]*>(?:\s*<[^>]+>)*\s*([^<]+)<', flashes)
        res["reviewer_error"] = m.group(1).strip() if m else None
        db.session.remove()
    with open(out_json, "w") as fh:
        json.dump(res, fh, ensure_ascii=False)


def import_floor(bench_dir, xlsx_path, rows_expected):
    """python-calamine read + one Core insert() executemany of the same rows into anju_house
    (a new area in the same transaction), rolled back."""
    from python_calamine import CalamineWorkbook
    from sqlalchemy import column, create_engine, insert, table, text

    t0 = time.perf_counter()
    values = CalamineWorkbook.from_path(xlsx_path).get_sheet_by_index(0).to_python()
    read_s = time.perf_counter() - t0
    engine = create_engine("sqlite:///" + os.path.join(bench_dir, DB_NAME))
    cols = ("area_id", "building", "unit", "room", "floor", "floor_area", "owner_name", "owner_id_number",
            "deposit_date", "region_code", "application_id", "created_on")
    t = table("anju_house", *(column(c) for c in cols))
    created = stamp(datetime.now())
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("INSERT INTO anju_property_area (name, district_code, region_code, public_code, "
                          "created_on, changed_on, contract_filed) VALUES ('基准测试下限小区', '500103', '500103', "
                          "'pbfloor', :c, :c, 0)"), {"c": created})
        area = conn.execute(text("SELECT id FROM anju_property_area WHERE public_code = 'pbfloor'")).scalar()
        t1 = time.perf_counter()
        rows = [{"area_id": area, "building": str(v[0]), "unit": str(v[1] or ""), "room": str(v[2]),
                 "floor": int(v[3]), "floor_area": v[4], "owner_name": v[5], "owner_id_number": v[6],
                 "deposit_date": DEPOSIT_DATE, "region_code": "500103", "application_id": None, "created_on": created}
                for v in values[1:] if v and v[0] != ""]
        conn.execute(insert(t), rows)
        insert_s = time.perf_counter() - t1
        trans.rollback()
    engine.dispose()
    if len(rows) != rows_expected:
        raise SystemExit(f"floor: calamine gave {len(rows)} rows, expected {rows_expected}")
    total = read_s + insert_s
    return {"rows": len(rows), "read_s": round(read_s, 3), "insert_s": round(insert_s, 3),
            "seconds": round(total, 3), "rows_per_s": round(len(rows) / total)}


def bench_import(bench_dir, st):
    rows = import_rows(st)
    xlsx_path = os.path.join(bench_dir, "houses.xlsx")
    t0 = time.perf_counter()
    write_workbook(xlsx_path, rows)
    log(f"  workbook of {len(rows):,} rows written in {time.perf_counter() - t0:.1f} s "
        f"({os.path.getsize(xlsx_path) / 1e6:.1f} MB)")
    out_json = os.path.join(bench_dir, "import.json")
    if os.path.exists(out_json):
        os.remove(out_json)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--import-child", bench_dir, xlsx_path,
                           str(st["import_area"]), out_json], env=dict(os.environ, PROP_IMPORT_ROWS=str(N_IMPORT)))
    if proc.returncode or not os.path.exists(out_json):
        raise SystemExit(f"import child failed (exit {proc.returncode})")
    with open(out_json) as fh:
        res = json.load(fh)
    res["floor"] = import_floor(bench_dir, xlsx_path, len(rows))
    res["checks"] = {"every row in the registry": res["houses_in_area"] == N_IMPORT,
                     "nothing left staged": res["staged_left"] == 0,
                     "application approved": res["status"] == "approved"}
    u, a, f = res["upload"], res["approve"], res["floor"]
    log(f"  import {N_IMPORT:,} rows: {u['seconds']:.2f} s = {u['rows_per_s']:,} rows/s, peak +{u['peak_added_mb']} MB "
        f"({', '.join(f'{k} {v:.2f} s' for k, v in u['steps_s'].items())}); submit {res['submit']['seconds']:.2f} s; "
        f"approve {a['seconds']:.2f} s = {a['rows_per_s']:,} rows/s, peak +{a['peak_added_mb']} MB; floor "
        f"(calamine {f['read_s']:.2f} s + Core insert {f['insert_s']:.2f} s) {f['rows_per_s']:,} rows/s; "
        f"checks {'OK' if all(res['checks'].values()) else res['checks']}"
        + (f"; the reviewer saw: {res['reviewer_error']}" if res.get("reviewer_error") else ""))
    return res


# --- 3. (b) 物业管理区域综合查询 -------------------------------------------------------------------------

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


COUNT_RE = re.compile(r'id="anju-count">(.*?)</span>', re.S)


def parse_list(html):
    """(the count the list shows, its exactness, the row ids in order)."""
    m = COUNT_RE.search(html)
    number = re.search(r"\d[\d,]*", m.group(1)) if m else None
    ids = []
    for x in re.findall(r'/areas/query/show/(\d+)"', html):
        if int(x) not in ids:
            ids.append(int(x))
    return (int(number.group(0).replace(",", "")) if number else None), \
        (m is not None and "anju-exact-count" not in m.group(1)), ids


ROW_SQL = ("SELECT a.id, a.name, a.property_type, a.address, a.contract_filed, a.changed_on, d.name, s.name, "
           "cm.name, co.name, dv.name, oc.name FROM anju_property_area a "
           "JOIN anju_region d ON d.code = a.district_code LEFT JOIN anju_region s ON s.code = a.street_code "
           "LEFT JOIN anju_region cm ON cm.code = a.community_code LEFT JOIN anju_org co ON co.id = a.company_org_id "
           "LEFT JOIN anju_org dv ON dv.id = a.developer_org_id LEFT JOIN anju_org oc ON oc.id = a.committee_org_id "
           "WHERE a.id IN ({ids})")


def bench_query(app, bench_dir, st):
    from urllib.parse import urlencode

    view = view_of(app, "AreaQueryView")
    if view is None:
        log("  AreaQueryView is not in this app (the areas part is not merged): not available")
        return {"available": False}
    base = (view.route_base or "/areas/query").rstrip("/") + "/list/"
    page_arg = f"page_{type(view).__name__}"
    psize = getattr(view, "page_size", PAGE_SIZE) or PAGE_SIZE
    i_district = _filter_index(view, "district", ("FilterRelationOneToManyEqual", "FilterEqual",
                                                  "FilterRelationManyToManyEqual"))
    i_contract = _filter_index(view, "contract_filed", ("FilterYesNo", "FilterEqual"))
    i_name = _filter_index(view, "name", ("LikeContains", "FilterContains"))
    conn = sqlite3.connect(os.path.join(bench_dir, DB_NAME))
    with app.app_context():
        from sqlalchemy import text

        from app.extensions import db

        ent_org = db.session.execute(text("SELECT org_id FROM ab_user WHERE username = 'ent_a'")).scalar()
        db.session.remove()
        counter = SqlCounter(db.engine)
    cap = common.COUNT_CAP
    roles = [
        ("gov_admin", "city: every area", "1=1", {}),
        ("district1", "region 500103", "a.region_code >= '500103' AND a.region_code < '500104'", {}),
        ("ent_a", "org: the areas its company serves, built or represents",
         "a.id IN (SELECT id FROM anju_property_area WHERE company_org_id = :o UNION SELECT id FROM "
         "anju_property_area WHERE developer_org_id = :o UNION SELECT id FROM anju_property_area WHERE "
         "committee_org_id = :o)", {"o": ent_org}),
    ]
    out = {"available": True, "route": base, "page_size": psize, "filters": {
        "district": i_district, "contract_filed": i_contract, "name": i_name}, "roles": [], "problems": []}
    for username, scope_label, scope_sql, params in roles:
        client = common.login(app, username)
        in_scope = conn.execute(f"SELECT count(*) FROM anju_property_area a WHERE {scope_sql}", params).fetchone()[0]
        busiest = conn.execute(f"SELECT district_code, count(*) FROM anju_property_area a WHERE {scope_sql} "
                               "GROUP BY 1 ORDER BY 2 DESC LIMIT 1", params).fetchone()[0]
        last_page = max(0, (in_scope - 1) // psize)
        deep = min(DEEP_PAGE - 1, last_page)
        cases = [("first page", {}, "", {}, 0),
                 (f"page {deep + 1:,}" + (" (the last)" if deep == last_page and deep < DEEP_PAGE - 1 else ""),
                  {page_arg: deep}, "", {}, deep)]
        if i_district is not None and i_contract is not None:
            cases.append((f"district {busiest} + 是否合同备案 是",
                          {f"_flt_{i_district}_district": busiest, f"_flt_{i_contract}_contract_filed": "y"},
                          " AND a.district_code = :d AND a.contract_filed = 1", {"d": busiest}, 0))
        else:
            out["problems"].append(f"{username}: district or 是否合同备案 filter not found")
        if i_name is not None:
            cases.append((f"name contains {SEARCH_TOKEN}", {f"_flt_{i_name}_name": SEARCH_TOKEN},
                          " AND a.name LIKE :q ESCAPE '\\'", {"q": f"%{SEARCH_TOKEN}%"}, 0))
        else:
            out["problems"].append(f"{username}: name contains filter not found")
        role = {"user": username, "scope": scope_label, "areas_in_scope": in_scope, "cases": []}
        for label, args, where, extra, page in cases:
            url = base + ("?" + urlencode(args) if args else "")
            p = dict(params, **extra)
            offset = page * psize

            def bare(p=p, where=where, offset=offset):
                ids = [r[0] for r in conn.execute(
                    f"SELECT a.id FROM anju_property_area a WHERE {scope_sql}{where} "
                    f"ORDER BY a.changed_on DESC, a.id DESC LIMIT {psize + 1} OFFSET {offset}", p)]
                rows = conn.execute(ROW_SQL.format(ids=",".join(str(x) for x in ids[:psize]) or "NULL")).fetchall()
                if len(ids) > psize or not ids:
                    count = conn.execute(f"SELECT count(*) FROM (SELECT a.id FROM anju_property_area a "
                                         f"WHERE {scope_sql}{where} LIMIT {cap + 1})", p).fetchone()[0]
                else:
                    count = offset + len(ids)
                return ids[:psize], rows, count

            resp = client.get(url)   # the first request of a role builds its per-process caches
            counter.start()
            resp = client.get(url)
            sql = counter.stop()
            if resp.status_code != 200:
                out["problems"].append(f"{username} {label}: HTTP {resp.status_code}")
                continue
            shown_count, shown_exact, shown_ids = parse_list(resp.get_data(as_text=True))
            ids, _rows, count = bare()
            exact = conn.execute(f"SELECT count(*) FROM anju_property_area a WHERE {scope_sql}{where}", p).fetchone()[0]
            ok_ids = shown_ids == ids
            # Exact up to the cap (and on the last page); past it "more than N" with N >= the cap.
            ok_count = shown_count is not None and ((shown_exact and shown_count == exact) or (
                not shown_exact and exact > cap and cap <= shown_count <= exact))
            if not ok_ids:
                out["problems"].append(f"{username} {label}: the page shows ids {shown_ids[:5]}..., the bare SQL "
                                       f"{ids[:5]}...")
            if not ok_count:
                out["problems"].append(f"{username} {label}: the page says {shown_count}, the bare SQL {exact}")

            def ours(url=url):
                r = client.get(url)
                if r.status_code != 200:
                    raise RuntimeError(f"GET {url}: HTTP {r.status_code}")

            mine = summary(timed(ours))
            floor = summary(timed(bare))
            row = {"case": label, "url": url, "matching": exact, "shown_count": shown_count, "statements":
                   sql["statements"], "driver_ms": round(sql["driver_s"] * 1000, 2), "ours": mine,
                   "bare": floor, "ratio": round(mine["median_ms"] / floor["median_ms"], 1) if floor["median_ms"]
                   else None, "checks": {"ids": ok_ids, "count": ok_count}}
            role["cases"].append(row)
            log(f"  {username:<10} {label:<34} {exact:>7,} rows: ours {mine['median_ms']:7.1f} ms "
                f"(p95 {mine['p95_ms']:.1f}; {sql['statements']} statements, {sql['driver_s'] * 1000:.1f} ms in the "
                f"driver), bare SQL {floor['median_ms']:6.2f} ms (p95 {floor['p95_ms']:.2f})"
                + ("" if ok_ids and ok_count else "  CHECK FAILED"))
        out["roles"].append(role)
    conn.close()
    return out


# --- 4. (c) the owners check ----------------------------------------------------------------------

def bench_owners(app, st):
    from sqlalchemy import text

    from app.extensions import db
    from app.property.owners import services

    area_id = st["committee_area"]["id"]
    owners = st["committee_area"]["owners"]
    members = [{"name": n, "id_number": i} for n, i, _c in owners[:13]]
    # One under another name, one not in the registry (a valid number nobody generated).
    members.append({"name": owners[13][0][0] + "某某", "id_number": owners[13][1]})
    members.append({"name": "赵无名", "id_number": id_number(st["person_next"] + 999_999)})
    with app.app_context():
        houses = db.session.execute(text("SELECT count(*) FROM anju_house WHERE area_id = :a"),
                                    {"a": area_id}).scalar()
        total = db.session.execute(text("SELECT max(id) FROM anju_house")).scalar()
        counter = SqlCounter(db.engine)
        results = services.check_members(area_id, members)
        counter.start()
        services.check_members(area_id, members)
        sql = counter.stop()
        times = timed(lambda: services.check_members(area_id, members))
        db.session.remove()
        numbers = sorted({m["id_number"] for m in members})
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            q = ("SELECT owner_id_number, owner_name, building, unit, room FROM anju_house WHERE area_id = ? "
                 f"AND owner_id_number IN ({','.join('?' * len(numbers))})")
            floor = timed(lambda: cur.execute(q, [area_id, *numbers]).fetchall())
            plan = [r[-1] for r in cur.execute("EXPLAIN QUERY PLAN " + q, [area_id, *numbers]).fetchall()]
        finally:
            raw.close()
    ok = sum(1 for r in results if r[0])
    reasons = Counter(r[1] for r in results if not r[0])
    res = {"area_id": area_id, "houses_in_area": houses, "houses_total": total, "members": len(members),
           "valid": ok, "refused": dict(reasons), "check": summary(times), "statements": sql["statements"],
           "sql": sql, "bare": summary(floor), "bare_plan": plan,
           "checks": {"13 owners valid": ok == 13, "2 refused": sum(reasons.values()) == 2,
                      "one statement": sql["statements"] == 1}}
    c = res["check"]
    log(f"  check_members, 15 members of area {area_id} ({houses} houses; {total:,} in the registry): median "
        f"{c['median_ms']:.2f} ms, p95 {c['p95_ms']:.2f} ms, {sql['statements']} SQL statement(s); bare SELECT "
        f"{res['bare']['median_ms']:.3f} ms ({'; '.join(plan)}); {ok} valid, refused {dict(reasons)}")
    return res


# --- run -------------------------------------------------------------------------------------------

def print_tables(res):
    print()
    g = res["generated"]
    print(f"Property benchmark: {g['areas']['rows']:,} areas, {g['houses']['rows']:,} houses "
          f"(generated at {g['houses']['rows_per_s']:,} rows/s{', reused' if g.get('reused') else ''}), SQLite, "
          f"{res['machine']['cpus']} CPUs, {RUNS} timed runs after a warm-up")
    a = res.get("import")
    if a:
        u, s, ap, f = a["upload"], a["submit"], a["approve"], a["floor"]
        print(f"  (a) 房屋信息补充 of {a['rows']:,} rows through the real endpoint ({a['bytes'] / 1e6:.1f} MB .xlsx)")
        print(f"      {'step':<36}{'seconds':>9}{'rows/s':>10}{'peak +MB':>10}{'SQL':>6}")
        for label, x, rate in (("import (read + check + stage)", u, True), ("application page", a["show"], False),
                               ("保存并提交", s, False), ("受理", a["accept"], False),
                               ("审核通过 (the approval write)", ap, True)):
            shown = f"{x['rows_per_s']:,}" if rate else "-"
            print(f"      {label:<36}{x['seconds']:>9.2f}{shown:>10}{x['peak_added_mb']:>10}"
                  f"{x['sql']['statements']:>6}")
        for k, v in u["steps_s"].items():
            print(f"        of the import: {k:<52}{v:>7.2f} s")
        if ap["sql"]["slowest"]:
            top = ap["sql"]["slowest"][0]
            print(f"        of the approval: {top['sql'][:60]}... {top['s']:.2f} s "
                  f"({ap['sql']['driver_s']:.2f} s in the driver, {ap['sql']['statements']} statements)")
        print(f"      floor: calamine read {f['read_s']:.2f} s + Core insert {f['insert_s']:.2f} s = "
              f"{f['rows_per_s']:,} rows/s | checks {'OK' if all(a['checks'].values()) else a['checks']}")
    q = res.get("query")
    if q:
        if not q.get("available"):
            print("  (b) 物业管理区域综合查询: not available (AreaQueryView not in this app)")
        else:
            print(f"  (b) 物业管理区域综合查询 {q['route']} (ms: median / p95)")
            print(f"      {'role':<10}{'case':<36}{'rows':>8}{'ours':>16}{'SQL':>5}{'bare SQL':>16}")
            for role in q["roles"]:
                for c in role["cases"]:
                    print(f"      {role['user']:<10}{c['case']:<36}{c['matching']:>8,}"
                          f"{c['ours']['median_ms']:>9.1f} /{c['ours']['p95_ms']:>5.0f}{c['statements']:>5}"
                          f"{c['bare']['median_ms']:>9.2f} /{c['bare']['p95_ms']:>5.1f}")
        for problem in q.get("problems", []):
            print(f"      PROBLEM: {problem}")
    o = res.get("owners")
    if o:
        print(f"  (c) owners check of 15 members (check_members) at {o['houses_total']:,} houses: median "
              f"{o['check']['median_ms']:.2f} ms, p95 {o['check']['p95_ms']:.2f} ms, {o['statements']} SQL "
              f"statement(s); bare SELECT {o['bare']['median_ms']:.3f} ms | checks "
              f"{'OK' if all(o['checks'].values()) else o['checks']}")


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
    data["property"] = res
    with open(out, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
    log(f"results in {out} (key \"property\")")


def main():
    bench_dir = os.path.abspath(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="anju-property-bench-"))
    os.makedirs(bench_dir, exist_ok=True)
    res = {"machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                       "sqlite": sqlite3.sqlite_version, "loadavg_start": os.getloadavg()},
           "sizes": {"areas": N_AREAS, "houses": N_HOUSES, "import_rows": N_IMPORT, "runs": RUNS}}
    failed = False
    t_start = time.perf_counter()
    try:
        log(f"property benchmark: {N_AREAS:,} areas, {N_HOUSES:,} houses, import of {N_IMPORT:,} rows; "
            f"scratch dir {bench_dir}")
        st = build(bench_dir)
        res["generated"] = {k: v for k, v in st.items() if k != "committee_area"}
        app = make_app(bench_dir)
        if "owners" in ONLY:
            log("(c) the owners check of a 15-member committee ...")
            res["owners"] = bench_owners(app, st)
        if "query" in ONLY:
            log("(b) 物业管理区域综合查询 per role ...")
            res["query"] = bench_query(app, bench_dir, st)
        if "import" in ONLY:
            log(f"(a) 房屋信息补充 of {N_IMPORT:,} rows through the real endpoint ...")
            res["import"] = bench_import(bench_dir, st)
        for part in ("import", "owners"):
            if part in res and not all(res[part]["checks"].values()):
                failed = True
        if res.get("query", {}).get("problems"):
            failed = True
        res["total_s"] = round(time.perf_counter() - t_start, 1)
        res["machine"]["loadavg_end"] = os.getloadavg()
        print_tables(res)
        print(f"Total {res['total_s'] / 60:.1f} min; load average at the end {res['machine']['loadavg_end'][0]:.2f}")
        save(res)
    finally:
        if not KEEP and not os.environ.get("BENCH_DIR"):
            shutil.rmtree(bench_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--import-child"]:
        import_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(main())
