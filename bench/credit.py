"""Credit benchmark (信用管理 at city scale), run by bench/run.py or alone:

    .venv/bin/python bench/credit.py                        # 20,000 enterprises, 1,000,000 records
    BENCH_ONLY=credit .venv/bin/python bench/run.py         # the same, through run.py
    CREDIT_ENTERPRISES=2000 CREDIT_RECORDS=100000 BENCH_RUNS=3 .venv/bin/python bench/credit.py   # quick

1. A scratch SQLite database of its own (credit.db), built as the other parts build theirs
   (Alembic migrations, sync_roles(), reference + demo data: load_reference() seeds the default
   scoring standards), then CREDIT_ENTERPRISES enterprises (anju_org, org_type enterprise:
   property / rental / agency, over the demo city's districts and streets from anju_region,
   unique valid 统一社会信用代码), CREDIT_RECORDS credit records (Core insert() in batches; ~70%
   生效, ~20% 已失效, ~5% 公示中 with publicity ending around the bench moment, ~3% 待审核, the
   rest 已撤销 / 已撤回; ~15% bonuses; numbers XY + date + daily sequence with the anju_sequence
   counters set to continue them) and a few thousand 红黑名单 entries (an open black entry for
   every enterprise the records put at level C, red entries for half of the AAA ones, closed
   ones for history). Records concentrate on ~15% of the enterprises (large companies with
   repeated violations, level C); the others hold a handful each and end up AAA..B.
2. scoring.recompute_all() over every enterprise: from an empty anju_credit_score, again after
   ~5% of the enterprises lost a deduction (a record revoked), and with nothing changed;
   against the bare GROUP BY it runs.
3. jobs.run_daily(moment) at the moment the data was made for (~1% of the records end their
   publicity, ~1% their validity), each step timed by wrapping the functions run_daily calls;
   then again at the same moment (exactly once: nothing left to do).
4. Pages through the real app (Flask test client): 信息公示 /credit/public/ (name search, credit
   code search, an enterprise's page; anonymous, as the public opens them) and the records list
   /credit/records/list/ as admin (first page, page BENCH_DEEP_PAGE) and district1 (region
   500103), each against the bare SQL it needs. A page whose route the app does not have yet is
   reported as "not available".

Environment: CREDIT_ENTERPRISES (20000), CREDIT_RECORDS (1000000), BENCH_RUNS (7), BENCH_BATCH
(20000), BENCH_DEEP_PAGE (2000), BENCH_ANALYZE=0 (no ANALYZE after the load), BENCH_REUSE=1
(with BENCH_DIR: keep a copy of the generated database and start later runs from it), BENCH_SEED,
CREDIT_ONLY (comma-separated: recompute, daily, pages; default all: pages alone still get every
score computed first, untimed), BENCH_DIR / BENCH_KEEP as in run.py.
Results: the printed tables and the "credit" key of bench/out/results.json.
"""
import calendar
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import accumulate

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
from complaints import (  # noqa: E402  (the generic helpers of part 5)
    SqlCapture,
    code_version,
    fmt_ms,
    login,
    ms,
    replay,
    short_sql,
    summary,
)

log = common.Progress()

N_ENT = int(os.environ.get("CREDIT_ENTERPRISES", "20000"))
N_REC = int(os.environ.get("CREDIT_RECORDS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "2000"))
DO_ANALYZE = os.environ.get("BENCH_ANALYZE", "1") != "0"
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "2026"))
_PARTS = ("recompute", "daily", "pages")
ONLY = {p.strip() for p in os.environ.get("CREDIT_ONLY", "").split(",") if p.strip()} or set(_PARTS)
if ONLY - set(_PARTS):
    raise SystemExit(f"CREDIT_ONLY: unknown part(s) {', '.join(sorted(ONLY - set(_PARTS)))}; use {', '.join(_PARTS)}")
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "credit.db"
PRISTINE = "credit.pristine.db"
META = "credit-gen.json"
SLOW_S = 20.0            # a page slower than this gets 3 timed runs
DAY = 86400.0

# The record mix (of all records) and how the data leans.
STATUS_MIX = (("effective", 0.70), ("expired", 0.20), ("publicity", 0.05), ("review", 0.03),
              ("revoked", 0.012), ("withdrawn", 0.008))
STATUSES = tuple(s for s, _ in STATUS_MIX)
BONUS_SHARE = 0.15       # of all records
POOR_ORGS = 0.15         # share of the enterprises ...
POOR_RECORDS = 0.88      # ... holding this share of the records
POOR_BONUS = 0.08        # their bonus share (the others' follows from BONUS_SHARE)
POOR_SERIOUS = 0.02      # of the poor enterprises' deductions: a serious rule
CATCHUP_H = 36           # the due windows: (moment - 36 h, moment]
PUBLICITY_DAYS = 7       # 5 working days, about a calendar week
P_EFF_DUE = 1 / 70       # of the effective records: validity ends inside the due window (~1% of all)
FLOOR_DAY = datetime(2024, 2, 1)  # the default standards are in force from 2024-01-01
CHANGE_SHARE = 0.05      # enterprises whose score the second recomputation finds changed
PUBLIC_PSIZE = 20        # the disclosure page's page size (helper C's brief)

ENTERPRISE_TYPES = (("property_company", 0.55, "property"), ("rental_company", 0.25, "rental"),
                    ("agency", 0.20, "agency"))
# Rules by category: (bonus codes, general deduction codes with weights, serious deduction codes).
RULES_OF = {
    "property": (("WY-J-001", "WY-J-002", "WY-J-003", "WY-J-004"),
                 (("WY-K-003", 5), ("WY-K-001", 2), ("WY-K-002", 1), ("WY-K-004", 2), ("WY-K-005", 1)),
                 ("WY-K-006", "WY-K-007")),
    "rental": (("ZL-J-001", "ZL-J-002"), (("ZL-K-001", 4), ("ZL-K-002", 4), ("ZL-K-003", 1)), ("ZL-K-004",)),
    # The default standards have no agency bonus and no serious agency rule: the rental ones serve.
    "agency": (("ZL-J-001", "ZL-J-002"), (("JJ-K-001", 3), ("JJ-K-002", 1), ("ZL-K-001", 2)), ("ZL-K-004",)),
}
SOURCE_TYPES = {"WY-K-003": "complaint_overdue", "WY-K-001": "contract_filing", "WY-K-002": "takeover_filing",
                "WY-J-002": "good_behaviour", "WY-J-003": "owner_survey", "ZL-J-001": "rental_filing_rate",
                "ZL-K-002": "rental_contract_filing"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
NAME_A = ["安泰", "和顺", "宜家", "金盛", "龙腾", "融通", "华信", "渝信", "嘉禾", "长嘉", "山城", "巴渝", "天骄",
          "两江", "鹅岭", "南山", "缙云", "协和", "隆鑫", "东方", "金科", "龙湖", "鲁能", "协信", "东原", "旭辉",
          "锦绣", "恒通", "弘毅", "德润", "汇丰", "鼎盛", "瑞祥", "明珠", "朝阳", "新世纪", "万福", "聚源", "同创",
          "博雅"]
NAME_B = ["佳园", "锦城", "鑫源", "兴业", "正阳", "恒信", "万家", "瑞泰", "康宁", "福源", "安居", "乐居", "宜居",
          "美家", "悦家", "逸居", "尚居", "优家", "惠民", "诚信", "金桥", "银河", "星辰", "天地", "盛世", "华府",
          "泰和", "永安", "益民", "中天"]
SUFFIX = {"property_company": ("物业服务有限公司", "物业管理有限公司", "物业服务集团有限公司"),
          "rental_company": ("住房租赁有限公司", "房屋租赁有限公司", "资产管理有限公司"),
          "agency": ("房地产经纪有限公司", "房产经纪有限公司", "置业顾问有限公司")}
DETAILS = ["经现场核查属实", "经调查核实", "经街道办事处查证", "经业主投诉后核实", "经区住建委检查发现",
           "系统比对发现", "经第三方测评确认", "经约谈企业负责人确认", "经复查仍未整改", "有照片及书面材料为证"]
PLACES = ["阳光花园", "金科城", "龙湖星城", "融创御府", "华宇名城", "鲁能雅苑", "万科公馆", "保利华庭", "中海尚城",
          "招商春天", "协信天地", "东原时代", "旭辉湾", "巴渝世家", "山城星城", "嘉陵新村", "长江家园", "朝天门公寓"]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "186", "187",
                   "188", "189", "177", "180", "181", "182", "183", "185", "199", "198", "191"]
URBAN = ("500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113")
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy writes DateTime to SQLite


# --- helpers -----------------------------------------------------------------------------------

def db_file(bench_dir):
    return os.path.join(bench_dir, DB_NAME)


def db_url(bench_dir):
    return "sqlite:///" + db_file(bench_dir)


def make_app(bench_dir):
    """The real app (production Config, like the other parts) on the scratch database."""
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI=db_url(bench_dir),
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    return app


def stamp(dt):
    return None if dt is None else dt.strftime(STAMP)


def add_months(dt, months):
    """Calendar months later (or earlier), the day clamped to the month's end (deadlines.add_cycle)."""
    years, month0 = divmod(dt.month - 1 + months, 12)
    year, month = dt.year + years, month0 + 1
    return dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1]))


def timed(fn, runs=None):
    """1 warm-up, then RUNS timed calls (3 when one call takes longer than SLOW_S)."""
    runs = runs or RUNS
    fn(parse=False)
    times = []
    while len(times) < (runs if not times or times[0] < SLOW_S else min(runs, 3)):
        t0 = time.perf_counter()
        fn(parse=False)
        times.append(time.perf_counter() - t0)
    return times


class StmtCounter:
    """Statements run on an engine while active: count and cursor time by kind (no texts kept)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.kinds = Counter()
        self.ms = Counter()

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, params, context, executemany):
            if self.active:
                conn.info["credit_bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, params, context, executemany):
            if self.active:
                t0 = conn.info.pop("credit_bench_t0", None)
                kind = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
                self.kinds[kind] += 1
                if t0:
                    self.ms[kind] += (time.perf_counter() - t0) * 1000

    def __enter__(self):
        self.kinds, self.ms = Counter(), Counter()
        self.active = True
        return self

    def __exit__(self, *exc):
        self.active = False

    def result(self):
        return {"statements": sum(self.kinds.values()), "kinds": dict(self.kinds.most_common()),
                "execute_ms": {k: round(v, 1) for k, v in self.ms.most_common()}}


def sql_count(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


# --- 1. the data ---------------------------------------------------------------------------------

class Generator:
    """Enterprises, credit records and red/black list entries, with Core insert() in batches."""

    def __init__(self, app, engine, log=print, seed=SEED):
        from app.core.mixins import now

        self.app, self.engine, self.log = app, engine, log
        self.rnd = random.Random(seed)
        self.now = now().replace(microsecond=0)
        self.st = {"moment": stamp(self.now)}

    # -- reference --------------------------------------------------------------------------
    def _reference(self, conn):
        from sqlalchemy import text

        regions = {r.code: r for r in conn.execute(text("SELECT code, name, level, parent_code FROM anju_region"))}
        city = "500000"
        self.districts = sorted(c for c, r in regions.items() if r.level == "district" and r.parent_code == city)
        if not self.districts:
            raise SystemExit("the reference data has no districts of the demo city 500000")
        self.streets_of = defaultdict(list)
        for c, r in regions.items():
            if r.level == "street" and r.parent_code in self.districts:
                self.streets_of[r.parent_code].append(c)
        self.regions = regions
        orgs = conn.execute(text("SELECT id, org_type, region_code, path, credit_code FROM anju_org")).all()
        self.gov = {(o.org_type, o.region_code): o for o in orgs if o.org_type in ("city", "district")}
        self.codes_taken = {o.credit_code for o in orgs if o.credit_code}
        self.next_org_id = max(o.id for o in orgs) + 1
        self.users = {u.username: u.id for u in conn.execute(text("SELECT id, username FROM ab_user"))}
        rules = conn.execute(text(
            "SELECT id, code, category, score_type, suggested_score, min_score, max_score, operation, severity, "
            "validity_months, item FROM anju_credit_rule WHERE is_current = 1")).all()
        self.rules = list(rules)
        by_code = {r.code: i for i, r in enumerate(self.rules)}
        missing = sorted({c for b, d, s in RULES_OF.values() for c in (*b, *(x for x, _ in d), *s)} - set(by_code))
        if missing:
            raise SystemExit(f"the default scoring standards lack {', '.join(missing)} (load_reference seeds them)")
        self.pools = {}
        for cat, (bonus, general, serious) in RULES_OF.items():
            self.pools[cat] = ([by_code[c] for c in bonus],
                               ([by_code[c] for c, _ in general], list(accumulate(w for _, w in general))),
                               [by_code[c] for c in serious])
        self.seq_start = {n: v for n, v in conn.execute(text(
            "SELECT name, value FROM anju_sequence WHERE name LIKE 'credit:%'"))}

    def _name(self):
        r = self.rnd
        return r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")

    def _mobile(self):
        return self.rnd.choice(MOBILE_PREFIXES) + f"{self.rnd.randrange(10 ** 8):08d}"

    # -- enterprises ------------------------------------------------------------------------
    def _credit_code(self, i, district):
        from app.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char

        n = (i * 7919 + 104729) % (31 ** 7)
        body = ""
        for _ in range(7):
            n, k = divmod(n, 31)
            body = CREDIT_CODE_ALPHABET[k] + body
        first17 = f"91{district}MA{body}"
        return first17 + credit_code_check_char(first17)

    def _insert_enterprises(self, conn):
        from sqlalchemy import column, insert, table

        from app.core.validators import is_valid_credit_code
        from app.system.models import Organization

        r = self.rnd
        cols = [c.name for c in Organization.__table__.columns]
        t = table(Organization.__tablename__, *(column(c) for c in cols))
        weights = [3.0 if d in URBAN else 1.0 for d in self.districts]
        dcum = list(accumulate(weights))
        types, tcum = [t_ for t_, _, _ in ENTERPRISE_TYPES], list(accumulate(w for _, w, _ in ENTERPRISE_TYPES))
        cat_of = {t_: c for t_, _, c in ENTERPRISE_TYPES}
        city = self.gov.get(("city", "500000"))
        now = stamp(self.now)
        names, rows, orgs = set(), [], []
        i = 0
        while len(rows) < N_ENT:
            i += 1
            d = self.districts[bisect_right(dcum, r.random() * dcum[-1])]
            etype = types[bisect_right(tcum, r.random() * tcum[-1])]
            short = re.sub(r"(区|县|自治县)$", "", self.regions[d].name)
            name = f"重庆{short}{r.choice(NAME_A)}{r.choice(NAME_B)}{r.choice(SUFFIX[etype])}"
            if name in names:
                continue
            code = self._credit_code(i, d)
            if code in self.codes_taken or not is_valid_credit_code(code):
                continue
            names.add(name)
            self.codes_taken.add(code)
            streets = self.streets_of.get(d)
            region = r.choice(streets) if streets and r.random() < 0.5 else d
            parent = self.gov.get(("district", d)) or city
            oid = self.next_org_id
            self.next_org_id += 1
            path = ((parent.path or "/") if parent is not None else "/") + f"{oid}/"
            row = dict.fromkeys(cols)
            row.update({"id": oid, "name": name, "org_type": "enterprise", "enterprise_type": etype,
                        "credit_code": code, "region_code": region, "parent_id": parent.id if parent else None,
                        "path": path, "legal_rep": self._name(), "contact_name": self._name(),
                        "contact_mobile": self._mobile(), "address": f"重庆市{self.regions[d].name}"
                                                                     f"{r.choice(PLACES)}{r.randint(1, 30)}号",
                        "active": 1, "review_status": "approved", "created_on": now, "changed_on": now})
            rows.append(row)
            orgs.append({"id": oid, "name": name, "code": code, "region": region, "district": d,
                         "category": cat_of[etype]})
        for k in range(0, len(rows), BATCH):
            conn.execute(insert(t), rows[k:k + BATCH])
        self.orgs = orgs
        self.st["enterprises"] = len(orgs)
        self.st["first_org_id"] = orgs[0]["id"]
        self.st["enterprise_types"] = dict(Counter(o["category"] for o in orgs))
        self.st["in_500103"] = sum(1 for o in orgs if o["region"].startswith("500103"))

    # -- records, pass 1: who, what, when (compact) ------------------------------------------
    def _counts(self):
        """Records per enterprise: the poor ~15% hold ~88%, lognormal within each group."""
        r = self.rnd
        n = len(self.orgs)
        n_poor = max(1, round(n * POOR_ORGS))
        poor = set(r.sample(range(n), n_poor))
        w = [r.lognormvariate(0, 1.0) if i in poor else r.lognormvariate(0, 0.5) for i in range(n)]
        sp = sum(w[i] for i in poor)
        sr = sum(w[i] for i in range(n) if i not in poor) or 1.0
        raw = [N_REC * (POOR_RECORDS * w[i] / sp if i in poor else (1 - POOR_RECORDS) * w[i] / sr)
               for i in range(n)]
        counts = [int(x) for x in raw]
        for i in sorted(range(n), key=lambda i: raw[i] - counts[i], reverse=True)[:N_REC - sum(counts)]:
            counts[i] += 1
        good_bonus = (BONUS_SHARE - POOR_BONUS * POOR_RECORDS) / (1 - POOR_RECORDS)
        k = 12.0
        bonus = [POOR_BONUS if i in poor else r.betavariate(k * good_bonus, k * (1 - good_bonus)) for i in range(n)]
        return counts, poor, bonus

    def _pass1(self):
        r = self.rnd
        rand = r.random
        counts, poor, bonus_p = self._counts()
        scum = list(accumulate(p for _, p in STATUS_MIX))
        M = self.now
        floor_off = (FLOOR_DAY - M).total_seconds()
        due = CATCHUP_H * 3600.0
        n = sum(counts)
        org = array("i")
        status = array("b")
        rule = array("h")
        score = array("h")
        t_sub = array("d")      # submitted_at, seconds relative to the moment
        t_a = array("d")        # anchor: publicity_until (publicity), effective_from (effective, expired,
        #                         revoked), publicity_from (withdrawn), submitted_at (review)
        t_u = array("d")        # effective_until (effective, expired, revoked), else 0
        rules = self.rules
        sums = defaultdict(lambda: [0, 0])   # org index -> [bonus, deduction] in effect
        serious_orgs = set()
        st_counts = Counter()
        due_pub = due_eff = 0

        def months_off(off, months):
            return (add_months(M + timedelta(seconds=off), months) - M).total_seconds()

        for e, cnt in enumerate(counts):
            bonus_codes, (gen_codes, gen_cum), serious_codes = self.pools[self.orgs[e]["category"]]
            is_poor = e in poor
            pb = bonus_p[e]
            for _ in range(cnt):
                s = bisect_right(scum, rand() * scum[-1])
                s = min(s, len(STATUSES) - 1)
                name = STATUSES[s]
                eff_due = name == "effective" and rand() < P_EFF_DUE
                general_only = name == "expired" or eff_due
                if rand() < pb:
                    ri = bonus_codes[int(rand() * len(bonus_codes))]
                    rl = rules[ri]
                    x = rand()
                    value = rl.suggested_score if x < 0.6 else (rl.max_score if x < 0.8 else rl.min_score)
                    is_bonus = True
                else:
                    if is_poor and not general_only and rand() < POOR_SERIOUS:
                        ri = serious_codes[int(rand() * len(serious_codes))]
                    else:
                        ri = gen_codes[bisect_right(gen_cum, rand() * gen_cum[-1])]
                    rl = rules[ri]
                    x = rand()
                    value = rl.min_score if x < 0.7 else (rl.suggested_score if x < 0.95 else rl.max_score)
                    is_bonus = False
                months = rl.validity_months
                u = 0.0
                if name == "review":
                    a = sub = -rand() * 10 * DAY
                else:
                    if name == "publicity":
                        a = -1.5 * DAY + rand() * PUBLICITY_DAYS * DAY
                        pf = a - PUBLICITY_DAYS * DAY
                        due_pub += a <= 0
                    elif name == "withdrawn":
                        a = pf = floor_off + rand() * (-8 * DAY - floor_off)
                    else:
                        if name == "effective" and eff_due:
                            u = -rand() * due
                            a = months_off(u, -months)
                            u = months_off(a, months)
                            if u > 0:   # a month end clamped: a day earlier
                                a -= DAY
                                u = months_off(a, months)
                            due_eff += 1
                        elif name == "expired":
                            lo = months_off(floor_off, months)
                            u = lo + rand() * (-due - lo)
                            a = months_off(u, -months)
                            u = months_off(a, months)
                        else:           # effective (validity ends after the moment), revoked
                            lo = max(floor_off, months_off(0.0, -months) + DAY)
                            a = lo + rand() * (-8 * DAY - lo)
                            u = months_off(a, months)
                        pf = a - PUBLICITY_DAYS * DAY
                    sub = pf - (0.5 + rand() * 9.5) * DAY
                org.append(e)
                status.append(s)
                rule.append(ri)
                score.append(value)
                t_sub.append(sub)
                t_a.append(a)
                t_u.append(u)
                st_counts[name] += 1
                if name == "effective":
                    acc = sums[e]
                    acc[0 if is_bonus else 1] += value
                    if rl.severity == "serious":
                        serious_orgs.add(e)
        self.p1 = {"org": org, "status": status, "rule": rule, "score": score, "t_sub": t_sub, "t_a": t_a,
                   "t_u": t_u}
        self.sums, self.serious_orgs, self.poor = sums, serious_orgs, poor
        self.st.update({"records": n, "status": dict(st_counts), "due_publicity": due_pub, "due_expiry": due_eff,
                        "poor_enterprises": len(poor),
                        "records_of_poor": sum(counts[i] for i in poor),
                        "max_records_per_enterprise": max(counts), "median_records_per_enterprise":
                            sorted(counts)[len(counts) // 2]})
        busiest = max(range(len(counts)), key=counts.__getitem__)
        typical = sorted((i for i in range(len(counts)) if i not in poor), key=counts.__getitem__)
        typical = typical[len(typical) // 2] if typical else busiest
        self.st["busiest"] = {**self.orgs[busiest], "records": counts[busiest]}
        self.st["typical"] = {**self.orgs[typical], "records": counts[typical]}

    # -- records, pass 2: rows in submission order ------------------------------------------------
    def _secondary_indexes(self, conn, table):
        from sqlalchemy import text

        return conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                                 "AND sql IS NOT NULL"), {"t": table}).all()

    def _insert_records(self):
        from sqlalchemy import column, insert, table, text

        from app.credit.models import CreditRecord

        p = self.p1
        n = len(p["org"])
        t0 = time.perf_counter()
        order = sorted(range(n), key=p["t_sub"].__getitem__)
        self.st["sort_s"] = time.perf_counter() - t0
        cols = [c.name for c in CreditRecord.__table__.columns]
        t = table(CreditRecord.__tablename__, *(column(c) for c in cols))
        with self.engine.begin() as conn:
            rid = 1 + conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM anju_credit_record")).scalar()
            indexes = self._secondary_indexes(conn, CreditRecord.__tablename__)
            for name, _sql in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        self.first_record_id = rid
        r = self.rnd
        rand = r.random
        M = self.now
        rules, orgs = self.rules, self.orgs
        reviewer = self.users.get("reviewer")
        gov_admin = self.users.get("gov_admin")
        staff = [self._name() for _ in range(400)]
        facts_of = {}
        seqs = Counter()
        seq_start = self.seq_start
        buf = []
        t_make = t_ins = 0.0
        done = 0
        last_log = time.perf_counter()
        t1 = time.perf_counter()

        def flush():
            nonlocal t_ins, buf
            ti = time.perf_counter()
            with self.engine.begin() as conn:
                conn.execute(insert(t), buf)
            t_ins += time.perf_counter() - ti
            buf = []

        tg = time.perf_counter()
        for j in order:
            e = p["org"][j]
            o = orgs[e]
            rl = rules[p["rule"][j]]
            name = STATUSES[p["status"][j]]
            sub = M + timedelta(seconds=p["t_sub"][j], microseconds=int(rand() * 1e6))
            day = sub.strftime("%Y%m%d")
            key = "credit:XY" + day
            seqs[key] += 1
            number = f"XY{day}{seq_start.get(key, 0) + seqs[key]:04d}"
            a = M + timedelta(seconds=p["t_a"][j])
            pf = pu = ef = eu = decided = decider = reason = None
            version = 1
            if name == "publicity":
                pu, pf = a, a - timedelta(days=PUBLICITY_DAYS)
                decided, decider, version = pf, reviewer, 2
            elif name == "withdrawn":
                pf, pu = a, a + timedelta(days=PUBLICITY_DAYS)
                decided, decider, version = a + timedelta(seconds=DAY * (1 + rand() * 5)), reviewer, 4
                reason = "异议成立：企业提交的材料证明所述情况已于事前整改，撤回该记录。"
            elif name in ("effective", "expired", "revoked"):
                ef, eu = a, M + timedelta(seconds=p["t_u"][j])
                pu, pf = ef, ef - timedelta(days=PUBLICITY_DAYS)
                decided, decider = pf, reviewer
                version = 3 if name == "effective" else 4
                if name == "revoked":
                    end = min(eu, M - timedelta(days=1))
                    decided = ef + (end - ef) * (0.05 + 0.9 * rand())
                    decider = gov_admin
                    reason = "经复核，原认定事实依据不足，予以撤销。"
            ev = sub - timedelta(days=1 + int(rand() * 30))
            if ev < datetime(2024, 1, 1):
                ev = datetime(2024, 1, 1)
            facts = facts_of.get(rl.code)
            if facts is None:
                facts = facts_of[rl.code] = [f"{place}项目：{rl.item}，{d}。" for place in PLACES for d in DETAILS]
            system = rl.operation == "system"
            buf.append({
                "id": rid, "number": number, "org_id": o["id"], "region_code": o["region"], "rule_id": rl.id,
                "score_type": rl.score_type, "score": p["score"][j], "severity": rl.severity,
                "facts": facts[int(rand() * len(facts))], "event_date": ev.strftime("%Y-%m-%d"), "status": name,
                "origin": "system" if system else "manual",
                "source_type": SOURCE_TYPES.get(rl.code, "feed") if system else None,
                "source_key": f"bench{rid}" if system else None, "applicant_id": None,
                "applicant_name": "系统" if system else staff[int(rand() * len(staff))],
                "submitted_at": stamp(sub), "decided_at": stamp(decided), "decider_id": decider if decided else None,
                "reason": reason, "publicity_from": stamp(pf), "publicity_until": stamp(pu),
                "effective_from": stamp(ef), "effective_until": stamp(eu), "version": version,
            })
            rid += 1
            if len(buf) >= BATCH:
                t_make += time.perf_counter() - tg
                done += len(buf)
                flush()
                tg = time.perf_counter()
                if time.perf_counter() - last_log > 10:
                    last_log = time.perf_counter()
                    self.log(f"  {done:,} records ({done / (last_log - t1):,.0f} rows/s; making rows {t_make:.1f}s, "
                             f"insert {t_ins:.1f}s)")
        t_make += time.perf_counter() - tg
        if buf:
            done += len(buf)
            flush()
        load_s = time.perf_counter() - t1
        ti = time.perf_counter()
        with self.engine.begin() as conn:
            for _name, sql in indexes:
                conn.execute(text(sql))
        t_idx = time.perf_counter() - ti
        self.log(f"  {len(indexes)} secondary indexes of anju_credit_record built again in {t_idx:.1f}s")
        self.p1 = None
        self.st.update({"records_inserted": done, "records_load_s": load_s, "make_rows_s": t_make,
                        "insert_s": t_ins, "index_s": t_idx, "indexes_rebuilt": [x for x, _ in indexes]})
        return seqs

    # -- red and black lists ----------------------------------------------------------------------
    def _insert_lists(self, seqs):
        from sqlalchemy import column, insert, table

        from app.credit.models import CreditListEntry
        from app.credit.scoring import Policy

        policy = Policy.current()
        r = self.rnd
        rand = r.random
        M = self.now
        levels = {}
        for e in range(len(self.orgs)):
            b, d = self.sums.get(e, (0, 0))
            levels[e] = policy.level(policy.score(b, d))
        self.levels = levels
        reviewer, gov_admin = self.users.get("reviewer"), self.users.get("gov_admin")
        cols = [c.name for c in CreditListEntry.__table__.columns]
        t = table(CreditListEntry.__tablename__, *(column(c) for c in cols))
        rows = []
        st = Counter()
        due = {"publicity": 0, "expiry": 0}
        lid = [1]

        def add(e, list_type, status, reason, sub, pf=None, vf=None, ended=None, end_reason=None, system=True):
            o = self.orgs[e]
            day = sub.strftime("%Y%m%d")
            prefix = "HM" if list_type == "black" else "HS"
            key = f"credit:{prefix}{day}"
            seqs[key] += 1
            pu = pf + timedelta(days=9) if pf else None
            vu = add_months(vf, 12) if vf else None
            decided = pf if pf else (sub + timedelta(days=2) if status == "rejected" else None)
            row = dict.fromkeys(cols)
            row.update({
                "number": f"{prefix}{day}{self.seq_start.get(key, 0) + seqs[key]:04d}", "org_id": o["id"],
                "region_code": o["region"], "list_type": list_type, "reason": reason,
                "basis": "信用记录及《信用评价办法》" if list_type == "black" else "连续保持AAA信用等级",
                "status": status, "origin": "system" if system else "manual",
                "source_key": f"bench:{list_type}:{o['id']}:{lid[0]}", "valid_months": 12,
                "publicity_from": stamp(pf), "publicity_until": stamp(pu), "valid_from": stamp(vf),
                "valid_until": stamp(ended if status == "repaired" else vu),
                "applicant_id": None if system else gov_admin, "applicant_name": "系统" if system else "市级管理员",
                "submitted_at": stamp(sub), "decided_at": stamp(decided),
                "decider_id": reviewer if decided else None, "end_reason": end_reason, "ended_at": stamp(ended),
                "version": 1 + (pf is not None) + (vf is not None) + (ended is not None)})
            lid[0] += 1
            rows.append(row)
            st[(list_type, status)] += 1

        for e, level in levels.items():
            if level == "C" or e in self.serious_orgs:
                reason = "信用等级为C级。" if level == "C" else "存在严重失信行为。"
                x = rand()
                if x < 0.75:      # in effect; ~1% reach their end inside the due window
                    if rand() < 0.01:
                        vu = M - timedelta(seconds=rand() * CATCHUP_H * 3600)
                        vf = add_months(vu, -12)
                        due["expiry"] += 1
                    else:
                        vf = M - timedelta(days=2 + rand() * 330)
                    pf = vf - timedelta(days=9)
                    add(e, "black", "effective", reason, pf - timedelta(days=1 + rand() * 5), pf=pf, vf=vf)
                elif x < 0.85:    # in publicity (9 calendar days ~ 7 working days)
                    pu = M - timedelta(days=1.5) + timedelta(days=rand() * 9)
                    due["publicity"] += pu <= M
                    pf = pu - timedelta(days=9)
                    add(e, "black", "publicity", reason, pf - timedelta(days=1 + rand() * 3), pf=pf)
                else:             # proposed, waiting for the reviewer
                    add(e, "black", "proposed", reason, M - timedelta(days=rand() * 5))
            elif level == "AAA" and rand() < 0.5:
                vf = M - timedelta(days=2 + rand() * 330)
                pf = vf - timedelta(days=9)
                add(e, "red", "effective", "连续保持AAA信用等级满180天。", pf - timedelta(days=2), pf=pf, vf=vf,
                    system=rand() < 0.7)
        closed = ("expired", "cancelled", "repaired", "rejected", "withdrawn")
        for e in r.sample(range(len(self.orgs)), max(1, len(self.orgs) // 20)):
            status = closed[int(rand() * len(closed))]
            list_type = "black" if rand() < 0.8 else "red"
            vf = M - timedelta(days=400 + rand() * 500)
            pf = vf - timedelta(days=9)
            sub = pf - timedelta(days=3)
            if status == "expired":
                add(e, list_type, status, "信用等级为C级。", sub, pf=pf, vf=vf, ended=add_months(vf, 12))
            elif status in ("cancelled", "repaired"):
                ended = vf + timedelta(days=100 + rand() * 200)
                add(e, list_type, status, "信用等级为C级。", sub, pf=pf, vf=vf, ended=ended,
                    end_reason="企业已完成整改，经审核予以注销。" if status == "cancelled" else "信用修复申请已通过。")
            elif status == "withdrawn":
                add(e, list_type, status, "存在严重失信行为。", sub, pf=pf, ended=pf + timedelta(days=4),
                    end_reason="异议成立，撤回该名单。")
            else:
                add(e, list_type, status, "信用等级为C级。", sub)
        with self.engine.begin() as conn:
            from sqlalchemy import text

            first = 1 + conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM anju_credit_list")).scalar()
            for k, row in enumerate(rows):
                row["id"] = first + k
            if rows:
                conn.execute(insert(t), rows)
        self.st["list_entries"] = len(rows)
        self.st["list_mix"] = {f"{a}:{b}": v for (a, b), v in sorted(st.items())}
        self.st["list_due"] = due
        self.st["predicted_levels"] = dict(Counter(levels.values()))
        self.st["serious_orgs"] = len(self.serious_orgs)

    def generate(self):
        from sqlalchemy import insert, text, update

        from app.core.sequences import Sequence

        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            self._reference(conn)
            self._insert_enterprises(conn)
        self.st["enterprises_s"] = time.perf_counter() - t0
        self.log(f"{len(self.orgs):,} enterprises ({self.st['enterprise_types']}) over {len(self.districts)} "
                 f"districts ({sum(map(len, self.streets_of.values()))} streets) in {self.st['enterprises_s']:.1f}s")
        t1 = time.perf_counter()
        self._pass1()
        self.st["plan_s"] = time.perf_counter() - t1
        self.log(f"records planned in {self.st['plan_s']:.1f}s: {self.st['status']}; due at the moment: "
                 f"{self.st['due_publicity']:,} publicity ends, {self.st['due_expiry']:,} validity ends")
        seqs = self._insert_records()
        t2 = time.perf_counter()
        self._insert_lists(seqs)
        self.st["lists_s"] = time.perf_counter() - t2
        with self.engine.begin() as conn:
            seq = Sequence.__table__
            for name, v in seqs.items():
                if name in self.seq_start:
                    conn.execute(update(seq).where(seq.c.name == name).values(value=self.seq_start[name] + v))
            new = [{"name": k, "value": v} for k, v in seqs.items() if k not in self.seq_start]
            for k in range(0, len(new), BATCH):
                conn.execute(insert(seq), new[k:k + BATCH])
            self.st["db_records"] = conn.execute(text("SELECT COUNT(*) FROM anju_credit_record")).scalar()
        self.st["sequence_rows"] = len(seqs)
        total = time.perf_counter() - t0
        self.st.update({"seconds": total, "rows_per_s": self.st["records_inserted"] / total if total else None})
        self.log(f"{self.st['list_entries']:,} list entries ({self.st['list_mix']}); predicted levels "
                 f"{self.st['predicted_levels']}")
        return self.st


def build(bench_dir):
    """The scratch database: migrated, roles, reference + demo data, then the generated rows."""
    from sqlalchemy import create_engine, event, text

    path = db_file(bench_dir)
    pristine = os.path.join(bench_dir, PRISTINE)
    meta_file = os.path.join(bench_dir, META)

    def scratch():
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)

    scratch()
    reused = False
    if REUSE and os.path.exists(pristine) and os.path.exists(meta_file):
        with open(meta_file) as fh:
            st = json.load(fh)
        if st.get("records") == N_REC and st.get("enterprises") == N_ENT:
            t0 = time.perf_counter()
            shutil.copyfile(pristine, path)
            log(f"BENCH_REUSE: copied the generated database ({st['enterprises']:,} enterprises, "
                f"{st['records']:,} records, made for {st['moment']}) in {time.perf_counter() - t0:.1f}s")
            reused = True
        else:
            log("BENCH_REUSE: the saved database has other sizes: generating")
    t0 = time.perf_counter()
    app = make_app(bench_dir)
    try:
        common.prepare_database(app)
    except Exception as exc:
        if not reused:
            raise
        # The saved database predates the current migrations or demo data (a demo record's
        # number taken by a generated one, say): make a new one.
        log(f"BENCH_REUSE: the saved database does not take the current demo data "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]}): generating")
        from app.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        scratch()
        reused = False
        app = make_app(bench_dir)
        common.prepare_database(app)
    log(f"app created (config.Config), database migrated, roles synced, reference + demo data loaded "
        f"({time.perf_counter() - t0:.1f}s)")
    if reused:
        st["reused"] = True
        return app, st

    engine = create_engine(db_url(bench_dir))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-524288")
        cur.close()

    log(f"generating {N_ENT:,} enterprises and {N_REC:,} credit records (batches of {BATCH:,}, Core insert) ...")
    with app.app_context():
        gen = Generator(app, engine, log=log)
        st = gen.generate()
    log(f"generated in {st['seconds']:.1f}s = {st['rows_per_s']:,.0f} records/s (making rows "
        f"{st['make_rows_s']:.1f}s, insert {st['insert_s']:.1f}s, indexes {st['index_s']:.1f}s)")
    if DO_ANALYZE:
        t1 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        st["analyze_s"] = time.perf_counter() - t1
        log(f"ANALYZE {st['analyze_s']:.1f}s")
    engine.dispose()
    st["analyze"] = DO_ANALYZE
    st["db_bytes"] = os.path.getsize(path)
    st["reused"] = False
    if REUSE:
        t1 = time.perf_counter()
        # The app's pool keeps connections open, so the last batches may still sit in the WAL
        # file: sqlite3's backup copies the database as readers see it, WAL included.
        if os.path.exists(pristine):
            os.remove(pristine)
        src, dst = sqlite3.connect(path), sqlite3.connect(pristine)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        with open(meta_file, "w") as fh:
            json.dump(st, fh, ensure_ascii=False, default=str)
        log(f"BENCH_REUSE: kept a copy for later runs ({time.perf_counter() - t1:.1f}s)")
    return app, st


# --- 2. recompute_all ------------------------------------------------------------------------------

GROUP_BY_SQL = ("SELECT org_id, score_type, SUM(score) FROM anju_credit_record WHERE status = 'effective' "
                "GROUP BY org_id, score_type")


def group_by_floor(path):
    """The GROUP BY scoring.sums() runs, alone on a fresh sqlite3 connection, rows fetched."""
    conn = sqlite3.connect(path)
    try:
        def run(parse=True):
            rows = conn.execute(GROUP_BY_SQL).fetchall()
            return len(rows) if parse else None

        groups = run()
        times = timed(run)
        plan = [x[-1] for x in conn.execute("EXPLAIN QUERY PLAN " + GROUP_BY_SQL)]
    finally:
        conn.close()
    return dict(summary(times), groups=groups, plan=plan)


def bench_recompute(app, bench_dir, st):
    from sqlalchemy import delete, func, select

    from app.credit import scoring
    from app.credit.models import CreditScore, CreditScoreHistory
    from app.extensions import db

    path = db_file(bench_dir)
    moment = datetime.strptime(st["moment"], STAMP)
    with app.app_context():
        engine = db.engine
        n_ent = db.session.execute(select(func.count()).select_from(db.metadata.tables["anju_org"])
                                   .where(db.metadata.tables["anju_org"].c.org_type == "enterprise")).scalar()
        cleared = db.session.execute(select(func.count()).select_from(CreditScore)).scalar()
        if cleared:   # demo data may have scored the demo enterprises: start from an empty table
            db.session.execute(delete(CreditScore))
            db.session.commit()
        db.session.remove()
    counter = StmtCounter(engine)
    effective = sql_count(path, "SELECT COUNT(*) FROM anju_credit_record WHERE status = 'effective'")
    out = {"enterprises": n_ent, "effective_records": effective, "cleared_scores": cleared}
    log(f"recompute_all: {n_ent:,} enterprises, {effective:,} records in effect; the bare GROUP BY first ...")
    out["floor"] = group_by_floor(path)
    log(f"  bare GROUP BY {out['floor']['median_ms']:,.0f} ms median ({out['floor']['groups']:,} groups); "
        f"plan {' | '.join(out['floor']['plan'])}")

    def run(label, cause):
        with app.app_context():
            with counter:
                t0 = time.perf_counter()
                changed = scoring.recompute_all(cause, moment=moment)
                t_calc = time.perf_counter() - t0
                db.session.commit()
                took = time.perf_counter() - t0
            db.session.remove()
        res = {"label": label, "changed": changed, "seconds": took, "commit_s": took - t_calc,
               "enterprises_per_s": n_ent / took, "records_per_s": effective / took, **counter.result()}
        log(f"  {label}: {changed:,} scores written in {took:.2f}s = {n_ent / took:,.0f} enterprises/s, "
            f"{effective / took:,.0f} records aggregated/s; {res['statements']:,} statements")
        return res

    hist0 = sql_count(path, "SELECT COUNT(*) FROM anju_credit_score_history")
    first = run("first run (empty anju_credit_score)", "bench: first")
    first["history_rows"] = sql_count(path, "SELECT COUNT(*) FROM anju_credit_score_history") - hist0
    problems = []
    if first["changed"] != n_ent:
        problems.append(f"first run wrote {first['changed']:,} scores for {n_ent:,} enterprises")
    levels = dict(sql_count_rows(path, "SELECT level, COUNT(*) FROM anju_credit_score WHERE org_id >= ? "
                                       "GROUP BY level", (st["first_org_id"],)))
    out["levels"] = levels
    want = st.get("predicted_levels") or {}
    if want and levels != want:
        problems.append(f"levels {levels} differ from the generator's {want}")
    first["check"] = "ok" if not problems else "; ".join(problems)

    # ~5% of the enterprises lose one deduction in effect (revoked): their scores go up.
    conn = sqlite3.connect(path)
    try:
        picks = conn.execute("SELECT org_id, MIN(id) FROM anju_credit_record WHERE status = 'effective' AND "
                             "score_type = 'deduction' GROUP BY org_id").fetchall()
        rnd = random.Random(SEED + 1)
        picks = rnd.sample(picks, min(len(picks), max(1, round(n_ent * CHANGE_SHARE))))
        conn.executemany("UPDATE anju_credit_record SET status = 'revoked', reason = '基准测试：撤销', "
                         "version = version + 1 WHERE id = ?", [(rid,) for _org, rid in picks])
        conn.commit()
    finally:
        conn.close()
    out["changed_enterprises"] = len(picks)
    effective = sql_count(path, "SELECT COUNT(*) FROM anju_credit_record WHERE status = 'effective'")
    hist1 = sql_count(path, "SELECT COUNT(*) FROM anju_credit_score_history")
    second = run(f"~{CHANGE_SHARE:.0%} changed ({len(picks):,} enterprises)", "bench: changed")
    second["history_rows"] = sql_count(path, "SELECT COUNT(*) FROM anju_credit_score_history") - hist1
    second["check"] = "ok" if second["changed"] == len(picks) == second["history_rows"] else \
        f"{second['changed']:,} written, {len(picks):,} changed, {second['history_rows']:,} history rows"
    unchanged = []
    for _ in range(max(1, min(RUNS, 3))):
        unchanged.append(run("nothing changed", "bench: unchanged"))
    third = dict(unchanged[-1], runs_s=[round(u["seconds"], 3) for u in unchanged])
    third["seconds"] = statistics.median(u["seconds"] for u in unchanged)
    third["enterprises_per_s"] = n_ent / third["seconds"]
    third["records_per_s"] = effective / third["seconds"]
    third["label"] = f"nothing changed (median of {len(unchanged)})"
    third["check"] = "ok" if all(u["changed"] == 0 for u in unchanged) else "scores written with nothing changed"
    out["runs"] = [first, second, third]
    out["history_in_db"] = sql_count(path, "SELECT COUNT(*) FROM anju_credit_score_history")
    with app.app_context():
        out["score_rows"] = db.session.execute(select(func.count()).select_from(CreditScore)).scalar()
        out["history_rows"] = db.session.execute(select(func.count()).select_from(CreditScoreHistory)).scalar()
        db.session.remove()
    return out


def sql_count_rows(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- 3. the daily job -------------------------------------------------------------------------------

class JobSteps:
    """Times the steps of jobs.run_daily by wrapping, while active, what it calls: the complaint
    proposals, the four state steps (_step: records publicity → effect, records expiry, entries
    publicity → effect, entries expiry), recompute of the touched enterprises, recompute_all,
    the list proposals; inside the state steps, the claiming SELECTs (_due), transition() and,
    within it, the enterprise's notice + SMS (_tell_enterprise)."""

    STEP_NAMES = ("records: publicity ends → 生效", "records: validity ends → 已失效",
                  "list entries: publicity ends → 生效", "list entries: validity ends → 已过期")

    def __init__(self):
        from app.credit import jobs, scoring, services

        self.jobs, self.scoring, self.services = jobs, scoring, services

    def __enter__(self):
        jobs, scoring, services = self.jobs, self.scoring, self.services
        self.steps = []
        self.inner = Counter()
        self.inner_n = Counter()
        self.saved = [(jobs, "_step", jobs._step), (jobs, "_due", jobs._due),
                      (jobs, "propose_lists", jobs.propose_lists),
                      (scoring, "recompute", scoring.recompute), (scoring, "recompute_all", scoring.recompute_all),
                      (services, "consume_complaint_proposals", services.consume_complaint_proposals),
                      (services, "transition", services.transition),
                      (services, "_tell_enterprise", services._tell_enterprise)]
        state = {"in_all": False, "n_step": 0}

        def step(label_fn, original, inner_keys=()):
            def wrapper(*a, **kw):
                before = {k: self.inner[k] for k in inner_keys}
                before_n = {k: self.inner_n[k] for k in inner_keys}
                t0 = time.perf_counter()
                out = original(*a, **kw)
                took = time.perf_counter() - t0
                rec = {"step": label_fn(a, kw), "seconds": took, "rows": out if isinstance(out, int) else None}
                for k in inner_keys:
                    rec[k + "_s"] = self.inner[k] - before[k]
                    rec[k + "_n"] = self.inner_n[k] - before_n[k]
                self.steps.append(rec)
                return out
            return wrapper

        def inner(key, original):
            def wrapper(*a, **kw):
                t0 = time.perf_counter()
                try:
                    return original(*a, **kw)
                finally:
                    self.inner[key] += time.perf_counter() - t0
                    self.inner_n[key] += 1
            return wrapper

        def step_label(a, kw):
            i = state["n_step"]
            state["n_step"] += 1
            return self.STEP_NAMES[i] if i < len(self.STEP_NAMES) else f"state step {i + 1}"

        recompute, recompute_all = scoring.recompute, scoring.recompute_all

        def recompute_wrapper(*a, **kw):
            if state["in_all"]:
                return recompute(*a, **kw)
            return step(lambda a, kw: "recompute of the touched enterprises", recompute)(*a, **kw)

        def recompute_all_wrapper(*a, **kw):
            state["in_all"] = True
            try:
                return step(lambda a, kw: "recompute_all (every enterprise)", recompute_all)(*a, **kw)
            finally:
                state["in_all"] = False

        jobs._step = step(step_label, jobs._step, ("due", "transition", "tell"))
        jobs._due = inner("due", jobs._due)
        jobs.propose_lists = step(lambda a, kw: "list proposals (propose_lists)", jobs.propose_lists)
        scoring.recompute = recompute_wrapper
        scoring.recompute_all = recompute_all_wrapper
        services.consume_complaint_proposals = step(lambda a, kw: "complaint proposals → records",
                                                    services.consume_complaint_proposals)
        services.transition = inner("transition", services.transition)
        services._tell_enterprise = inner("tell", services._tell_enterprise)
        return self

    def __exit__(self, *exc):
        for owner, name, original in self.saved:
            setattr(owner, name, original)


def floor_daily(path, moment):
    """The state changes of the two record steps as set-based UPDATEs, on a fresh sqlite3
    connection inside a transaction that is rolled back (nothing stays)."""
    m = moment.strftime(STAMP)
    conn = sqlite3.connect(path, isolation_level=None)
    out = {}
    try:
        conn.execute("BEGIN")
        t0 = time.perf_counter()
        cur = conn.execute(
            "UPDATE anju_credit_record SET status = 'effective', effective_from = publicity_until, "
            "effective_until = strftime('%Y-%m-%d %H:%M:%f', publicity_until, '+' || (SELECT validity_months FROM "
            "anju_credit_rule WHERE anju_credit_rule.id = anju_credit_record.rule_id) || ' months'), "
            "version = version + 1 WHERE status = 'publicity' AND publicity_until <= ?", (m,))
        out["publicity"] = {"rows": cur.rowcount, "seconds": time.perf_counter() - t0}
        t0 = time.perf_counter()
        cur = conn.execute("UPDATE anju_credit_record SET status = 'expired', version = version + 1 "
                           "WHERE status = 'effective' AND effective_until <= ?", (m,))
        out["expiry"] = {"rows": cur.rowcount, "seconds": time.perf_counter() - t0}
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return out


def bench_daily(app, bench_dir, st):
    from app.credit import jobs
    from app.extensions import db

    path = db_file(bench_dir)
    moment = datetime.strptime(st["moment"], STAMP)
    m = moment.strftime(STAMP)
    expect = {
        "effective": sql_count(path, "SELECT COUNT(*) FROM anju_credit_record WHERE status = 'publicity' "
                                     "AND publicity_until <= ?", (m,)),
        "expired": sql_count(path, "SELECT COUNT(*) FROM anju_credit_record WHERE status = 'effective' "
                                   "AND effective_until <= ?", (m,)),
        "lists_effective": sql_count(path, "SELECT COUNT(*) FROM anju_credit_list WHERE status = 'publicity' "
                                           "AND publicity_until <= ?", (m,)),
        "lists_expired": sql_count(path, "SELECT COUNT(*) FROM anju_credit_list WHERE status = 'effective' "
                                         "AND valid_until <= ?", (m,)),
    }
    total = sql_count(path, "SELECT COUNT(*) FROM anju_credit_record")
    side_sql = {"events": "SELECT COUNT(*) FROM anju_credit_event", "notices": "SELECT COUNT(*) FROM anju_notice",
                "sms": "SELECT COUNT(*) FROM anju_sms_outbox", "audit": "SELECT COUNT(*) FROM anju_audit_log",
                "history": "SELECT COUNT(*) FROM anju_credit_score_history",
                "list_entries": "SELECT COUNT(*) FROM anju_credit_list"}

    def side():
        got = {}
        for k, sql in side_sql.items():
            try:
                got[k] = sql_count(path, sql)
            except sqlite3.Error:
                got[k] = None
        return got

    log(f"daily job at {m[:19]}: due {expect['effective']:,} publicity ends ({expect['effective'] / total:.2%}), "
        f"{expect['expired']:,} validity ends ({expect['expired'] / total:.2%}), list entries "
        f"{expect['lists_effective']:,} + {expect['lists_expired']:,}; set-based floor first (rolled back) ...")
    out = {"moment": m, "expected": expect, "records": total, "floor": floor_daily(path, moment)}
    with app.app_context():
        engine = db.engine
    counter = StmtCounter(engine)
    for run in ("first", "second"):
        before = side()
        log(f"jobs.run_daily() ({run} run) ...")
        with app.app_context():
            with counter, JobSteps() as steps:
                t0 = time.perf_counter()
                result = jobs.run_daily(moment)
                took = time.perf_counter() - t0
            db.session.remove()
        after = side()
        res = {"result": result, "seconds": took, "steps": steps.steps, **counter.result(),
               "written": {k: (after[k] - before[k]) if after[k] is not None and before[k] is not None else None
                           for k in after}}
        res["steps_s"] = sum(s["seconds"] for s in res["steps"])
        out[run] = res
        log(f"  {took:.1f}s: {result}; {res['statements']:,} statements; written {res['written']}")
        for s in res["steps"]:
            log(f"    {s['step']}: {s['rows'] if s['rows'] is not None else '-'} in {s['seconds']:.2f}s")
    problems = []
    for k, v in expect.items():
        if out["first"]["result"].get(k) != v:
            problems.append(f"first run {k} {out['first']['result'].get(k):,}, {v:,} were due")
        if out["second"]["result"].get(k):
            problems.append(f"second run {k} {out['second']['result'][k]:,} (not exactly once)")
    out["check"] = "ok" if not problems else "; ".join(problems)
    return out


# --- 4. pages ----------------------------------------------------------------------------------------

def has_route(app, path):
    return any(r.rule.rstrip("/") == path.rstrip("/") for r in app.url_map.iter_rules())


def has_route_prefix(app, prefix):
    return any(r.rule.startswith(prefix) for r in app.url_map.iter_rules())


def view_of(app, name):
    for v in app.appbuilder.baseviews:
        if type(v).__name__ == name:
            return v
    return None


CODE_RE = re.compile(r"\b9[0-9A-HJ-NPQRTUWXY]\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b")
RECORD_SHOW_RE = re.compile(r'/credit/records/show/(\d+)"')
COUNT_RE = re.compile(r"(?:记录数|Record Count):</strong>\s*(\d+)")


def public_floor(path, where, params):
    """The search page's one query: a page of the enterprises matching (and one more, which says
    whether there is a next page), with score, level and whether a red or black entry is public.
    The page shows no total; the benchmark counts the matches apart, untimed."""
    base = (f"FROM anju_org o LEFT JOIN anju_credit_score s ON s.org_id = o.id "
            f"WHERE o.org_type = 'enterprise' AND o.active = 1 AND {where}")
    page = (f"SELECT o.id, o.name, o.credit_code, s.score, s.level, "
            f"EXISTS (SELECT 1 FROM anju_credit_list l WHERE l.org_id = o.id AND l.list_type = 'black' "
            f"AND l.status IN ('publicity', 'objected', 'effective')) AS black, "
            f"EXISTS (SELECT 1 FROM anju_credit_list l WHERE l.org_id = o.id AND l.list_type = 'red' "
            f"AND l.status IN ('publicity', 'objected', 'effective')) AS red "
            f"{base} ORDER BY o.name, o.id LIMIT {PUBLIC_PSIZE + 1}")
    count = f"SELECT COUNT(*) {base}"
    conn = sqlite3.connect(path)

    def run(parse=True):
        rows = conn.execute(page, params).fetchall()
        if not parse:
            return None
        return conn.execute(count, params).fetchone()[0], rows[:PUBLIC_PSIZE]

    run.close = conn.close
    run.sql = [(page, params)]
    return run


def detail_floor(path, code):
    """An enterprise's disclosure page: the enterprise and its score, its public list entries,
    its records in publicity (with the rule)."""
    conn = sqlite3.connect(path)
    sqls = [
        ("SELECT o.id, o.name, o.credit_code, s.score, s.level FROM anju_org o LEFT JOIN anju_credit_score s "
         "ON s.org_id = o.id WHERE o.credit_code = ? AND o.org_type = 'enterprise' AND o.active = 1", (code,)),
        ("SELECT l.number, l.list_type, l.status, l.reason, l.publicity_from, l.publicity_until, l.valid_from, "
         "l.valid_until FROM anju_credit_list l JOIN anju_org o ON o.id = l.org_id WHERE o.credit_code = ? "
         "AND l.status IN ('publicity', 'objected', 'effective') ORDER BY l.id DESC", (code,)),
        ("SELECT r.number, u.code, u.item, r.score_type, r.score, r.event_date, r.publicity_until "
         "FROM anju_credit_record r JOIN anju_credit_rule u ON u.id = r.rule_id JOIN anju_org o ON o.id = r.org_id "
         "WHERE o.credit_code = ? AND r.status IN ('publicity', 'objected') ORDER BY r.publicity_until DESC", (code,)),
    ]

    def run(parse=True):
        got = [conn.execute(s, p).fetchall() for s, p in sqls]
        return got if parse else None

    run.close = conn.close
    run.sql = sqls
    return run


def records_floor(path, view, page, where, params):
    """What the list page needs, read as the floor reads it: the page's ids (WHERE, the view's
    order, LIMIT/OFFSET: an index walk), those rows joined to the enterprise and the rule, and
    the count up to the cap the list shows (list.count_cap). The exact count for the check is
    taken apart, untimed."""
    col, direction = ("id", "asc")
    if view is not None and getattr(view, "base_order", None):
        col, direction = view.base_order
    psize = getattr(view, "page_size", 20) or 20
    d = direction.upper()
    w = f"WHERE {where}" if where else ""
    ids_sql = f"SELECT r.id FROM anju_credit_record r {w} ORDER BY r.{col} {d}, r.id {d} LIMIT {psize} " \
              f"OFFSET {page * psize}"
    count_sql = f"SELECT COUNT(*) FROM (SELECT r.id FROM anju_credit_record r {w} LIMIT {common.COUNT_CAP + 1})"
    exact_sql = f"SELECT COUNT(*) FROM anju_credit_record r {w}"
    rows_sql = ("SELECT r.id, r.number, o.name, u.code, u.item, r.score_type, r.score, r.event_date, r.status, "
                "r.origin, r.submitted_at, r.publicity_until, r.effective_until FROM anju_credit_record r "
                "JOIN anju_org o ON o.id = r.org_id JOIN anju_credit_rule u ON u.id = r.rule_id WHERE r.id IN ({})")
    conn = sqlite3.connect(path)
    last = {}

    def run(parse=True):
        ids = [x[0] for x in conn.execute(ids_sql, params).fetchall()]
        got = conn.execute(rows_sql.format(",".join("?" * len(ids))), ids).fetchall() if ids else []
        n = conn.execute(count_sql, params).fetchone()[0]
        last["ids"] = ids
        if not parse:
            return None
        by_id = {x[0]: x for x in got}
        return conn.execute(exact_sql, params).fetchone()[0], [i for i in ids if i in by_id], n

    run.close = conn.close
    run.sql = [(ids_sql, params), (count_sql, params)]
    run.last = last
    return run


def http(client, url, follow=False):
    """GET ``url``; with ``follow``, a redirect (a code search may land on the enterprise's page)
    is followed and counted in the time."""
    def run(parse=True):
        resp = client.get(url, follow_redirects=follow)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} answered HTTP {resp.status_code} {resp.headers.get('Location', '')}")
        return resp.get_data(as_text=True) if parse else None

    return run


def bench_pages(app, bench_dir, st):
    from urllib.parse import quote, urlencode

    from app.extensions import db

    path = db_file(bench_dir)
    with app.app_context():
        engine = db.engine
    cap = SqlCapture(engine)
    term = NAME_A[0]
    busiest, typical = st["busiest"], st["typical"]
    public_ok = has_route(app, "/credit/public/")
    detail_ok = has_route_prefix(app, "/credit/public/<")
    records_ok = has_route(app, "/credit/records/list/")
    view = view_of(app, "CreditRecordView")
    total = sql_count(path, "SELECT COUNT(*) FROM anju_credit_record")
    psize = getattr(view, "page_size", None) or 20
    deep = min(DEEP_PAGE, max(0, (total - 1) // psize))   # the last page when there are fewer rows
    n_term = sql_count(path, "SELECT COUNT(*) FROM anju_org WHERE org_type = 'enterprise' AND name LIKE ?",
                       (f"%{term}%",))
    public = {"ok": public_ok, "kind": "public", "route": "/credit/public/", "user": None}
    detail = {"ok": detail_ok, "kind": "detail", "route": "/credit/public/<credit_code>", "user": None}
    records = {"ok": records_ok, "kind": "records", "route": "/credit/records/list/"}
    pages = [
        {**public, "key": "public_name", "label": f"信息公示: q={term} (name contains; {n_term:,} match)",
         "url": "/credit/public/?" + urlencode({"q": term}),
         "floor": lambda: public_floor(path, "o.name LIKE ?", (f"%{term}%",))},
        {**public, "key": "public_code", "label": "信息公示: q=<credit code>",
         "url": "/credit/public/?" + urlencode({"q": busiest["code"]}),
         "floor": lambda: public_floor(path, "o.credit_code = ?", (busiest["code"],))},
        {**detail, "key": "public_detail_busiest",
         "label": f"信息公示: /credit/public/<code> (busiest enterprise, {busiest['records']:,} records)",
         "url": f"/credit/public/{quote(busiest['code'])}", "code": busiest["code"], "name": busiest["name"],
         "floor": lambda: detail_floor(path, busiest["code"])},
        {**detail, "key": "public_detail_typical",
         "label": f"信息公示: /credit/public/<code> (typical enterprise, {typical['records']:,} records)",
         "url": f"/credit/public/{quote(typical['code'])}", "code": typical["code"], "name": typical["name"],
         "floor": lambda: detail_floor(path, typical["code"])},
        {**records, "key": "records_first", "label": "records list: admin, first page", "user": "admin",
         "url": "/credit/records/list/", "floor": lambda: records_floor(path, view, 0, None, ())},
        {**records, "key": "records_deep", "label": f"records list: admin, page_CreditRecordView={deep:,} "
                                                     f"(offset {deep * psize:,})",
         "user": "admin", "url": f"/credit/records/list/?page_CreditRecordView={deep}",
         "floor": lambda: records_floor(path, view, deep, None, ())},
        {**records, "key": "records_district1", "label": "records list: district1 (region 500103), first page",
         "user": "district1", "url": "/credit/records/list/",
         "floor": lambda: records_floor(path, view, 0, "r.region_code >= ? AND r.region_code < ?",
                                        ("500103", "500104"))},
    ]
    clients = {}
    results = []
    floor_home = None
    if records_ok:   # what every console page pays: GET / as admin (no list)
        admin = clients.setdefault("admin", login(app, "admin"))

        def home(parse=False):
            if admin.get("/").status_code != 200:
                raise RuntimeError("GET / failed")

        floor_home = summary(timed(home))
        log(f"request floor GET / as admin {floor_home['median_ms']:,.1f} ms median")
    for page in pages:
        row = {"key": page["key"], "label": page["label"], "url": page["url"], "user": page["user"] or "anonymous"}
        if not page["ok"]:
            row["check"] = "not available"
            row["skipped"] = f"the app has no route {page['route']} yet"
            log(f"page '{page['label']}': not available (no route)")
            results.append(row)
            continue
        if page["user"] is None:
            client = clients.setdefault(None, app.test_client())
        else:
            client = clients.get(page["user"]) or clients.setdefault(page["user"], login(app, page["user"]))
        ours = http(client, page["url"], follow=page["kind"] == "public")
        floor = page["floor"]()
        problems = []
        try:
            with cap as stmts:
                t0 = time.perf_counter()
                try:
                    html = ours()
                except Exception as exc:
                    html = exc
                cold = time.perf_counter() - t0
            want = floor()
            if isinstance(html, Exception):
                problems.append(f"{type(html).__name__}: {html}")
            elif page["kind"] == "public":
                n, rows = want
                codes = {r[2] for r in rows}
                matching = set(x[0] for x in sql_count_rows(
                    path, "SELECT credit_code FROM anju_org WHERE org_type = 'enterprise' AND active = 1 AND " +
                    ("name LIKE ?" if page["key"] == "public_name" else "credit_code = ?"),
                    (f"%{term}%",) if page["key"] == "public_name" else (busiest["code"],)))
                shown = set(CODE_RE.findall(html)) & (matching | codes | {busiest["code"]})
                stray = set(CODE_RE.findall(html)) - matching
                row["matching"], row["shown"] = n, len(shown)
                if len(shown) != min(PUBLIC_PSIZE, n):
                    problems.append(f"{len(shown)} enterprises on the page, expected {min(PUBLIC_PSIZE, n)} of {n:,}")
                if stray:
                    problems.append(f"{len(stray)} codes on the page that do not match")
            elif page["kind"] == "detail":
                org, entries, records = want
                numbers = [r[0] for r in records]
                shown = [x for x in numbers if x in html]
                row["matching"] = len(records)
                row["entries"], row["records_in_publicity"], row["record_numbers_shown"] = \
                    len(entries), len(records), len(shown)
                if page["name"] not in html:
                    problems.append("the enterprise's name is not on the page")
                if records and not shown:
                    problems.append("none of its records in publicity is on the page")
                missing = [x[0] for x in entries if x[0] not in html]
                if missing:
                    problems.append(f"{len(missing)} public list entries missing")
            else:
                n, ids, _capped = want
                m = COUNT_RE.search(html)
                got_ids = list(dict.fromkeys(int(x) for x in RECORD_SHOW_RE.findall(html)))
                row["matching"] = n
                row["page_rows"] = len(ids)
                count = int(m.group(1)) if m else None
                if count is not None and not common.count_agrees(count, n):
                    problems.append(f"count {count} != bare {n}")
                if got_ids != ids:
                    problems.append(f"rows differ from bare SQL ({len(got_ids)} ids, first {got_ids[:3]} vs {ids[:3]})")
            row["check"] = "ok" if not problems else "; ".join(problems)
            log(f"page '{page['label']}': check {row['check']}")
            row["cold_ms"] = ms(cold)
            if not isinstance(html, Exception):
                row["ours"] = summary(timed(ours))
                row["bytes"] = len(html.encode("utf-8"))
            else:
                row["ours"] = {"median_ms": None, "error": str(html)}
            row["bare"] = summary(timed(floor))
            o, b = row["ours"].get("median_ms"), row["bare"]["median_ms"]
            row["ours_over_bare"] = o / b if o is not None and b else None
            selects = replay(path, stmts)
            row["app_sql"] = {"statements": len(stmts), "selects": selects[:5],
                              "replay_ms": round(sum(s["replay_ms"] for s in selects), 2)}
            row["bare_sql"] = replay(path, [{"sql": s, "params": p} for s, p in floor.sql])
            log(f"    ours {fmt_ms(o)} ms, bare SQL {fmt_ms(b)} ms; {len(stmts)} statements")
        finally:
            floor.close()
        results.append(row)
    return results, floor_home


# --- tables ----------------------------------------------------------------------------------------

def print_tables(res):
    g = res["generation"]
    print()
    print(f"### Credit benchmark: {g['enterprises']:,} enterprises, {g['records']:,} credit records")
    print()
    print("| data | value |")
    print("| --- | --- |")
    if not g.get("reused"):
        print(f"| generation (Core insert, batches of {BATCH:,}) | {g['records_inserted']:,} records in "
              f"{g['seconds']:.1f} s = **{g['rows_per_s']:,.0f} rows/s** (enterprises {g['enterprises_s']:.1f} s, "
              f"planning {g['plan_s']:.1f} s, making rows {g['make_rows_s']:.1f} s, insert {g['insert_s']:.1f} s, "
              f"{len(g['indexes_rebuilt'])} indexes {g['index_s']:.1f} s, lists {g['lists_s']:.1f} s) |")
    else:
        print(f"| generation | reused the database saved by an earlier run ({g['rows_per_s']:,.0f} rows/s then) |")
    print(f"| database | {g.get('db_bytes', 0) / 1e6:,.0f} MB; ANALYZE {'yes' if g.get('analyze') else 'no'} |")
    total = g["records"]
    mix = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(g["status"].items(), key=lambda kv: -kv[1]))
    print(f"| record mix | {mix} |")
    print(f"| concentration | {g['poor_enterprises']:,} enterprises hold {g['records_of_poor'] / total:.0%} of the "
          f"records; median {g['median_records_per_enterprise']} per enterprise, max "
          f"{g['max_records_per_enterprise']:,} |")
    print(f"| list entries | {g['list_entries']:,}: {g['list_mix']} |")
    rc = res.get("recompute") or {}
    if rc.get("levels"):
        print(f"| levels after the first recomputation | {rc['levels']} |")
    print()
    if rc:
        fl = rc["floor"]
        print(f"scoring.recompute_all() over {rc['enterprises']:,} enterprises ({rc['effective_records']:,} records in "
              f"effect). Floor: the bare GROUP BY alone, {fmt_ms(fl['median_ms'])} ms median "
              f"(plan `{' | '.join(fl['plan'])}`).")
        print()
        print("| run | scores written | seconds | enterprises/s | records aggregated/s | x floor | statements "
              "| check |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in rc["runs"]:
            print(f"| {r['label']} | {r['changed']:,} | {r['seconds']:.2f} | {r['enterprises_per_s']:,.0f} | "
                  f"{r['records_per_s']:,.0f} | {r['seconds'] * 1000 / fl['median_ms']:.1f}x | {r['statements']:,} | "
                  f"{r['check']} |")
        print()
    dj = res.get("daily") or {}
    if dj:
        e = dj["expected"]
        print(f"jobs.run_daily() at {dj['moment'][:19]} over {dj['records']:,} records: due {e['effective']:,} "
              f"publicity ends ({e['effective'] / dj['records']:.2%}), {e['expired']:,} validity ends "
              f"({e['expired'] / dj['records']:.2%}), list entries {e['lists_effective']:,} + {e['lists_expired']:,}. "
              f"Check: {dj['check']}.")
        print()
        print("| run | step | rows | seconds | rows/s | claiming SELECTs s | transition() s "
              "| of which notice + SMS s |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for run in ("first", "second"):
            x = dj[run]
            for s in x["steps"]:
                rows = s["rows"]
                rate = f"{rows / s['seconds']:,.0f}" if rows and s["seconds"] else "-"
                extra = (f"{s['due_s']:.2f} | {s['transition_s']:.2f} | {s['tell_s']:.2f}" if "due_s" in s
                         else "| |")
                print(f"| {run} | {s['step']} | {rows if rows is not None else '-'} | {s['seconds']:.2f} | {rate} | "
                      f"{extra} |")
            other = x["seconds"] - x["steps_s"]
            print(f"| {run} | **whole job** (commits between steps {other:.2f} s) | | **{x['seconds']:.2f}** | | | | |")
        f = dj["floor"]
        print()
        print(f"Set-based floor (bare UPDATE, rolled back): publicity ends {f['publicity']['rows']:,} rows in "
              f"{f['publicity']['seconds']:.2f} s; validity ends {f['expiry']['rows']:,} rows in "
              f"{f['expiry']['seconds']:.2f} s. First run wrote {dj['first']['written']}; "
              f"{dj['first']['statements']:,} statements ({dj['first']['kinds']}).")
        print()
    pages = res.get("pages") or []
    if pages:
        fl = res.get("request_floor")
        print("Pages, median ms (p95) of BENCH_RUNS runs after one warm-up"
              + (f"; request floor GET / as admin {fmt_ms(fl['median_ms'])} ({fmt_ms(fl['p95_ms'])})." if fl else "."))
        print()
        print("| page | user | matching | ours ms median (p95) | bare SQL ms median (p95) | ours/bare | statements | "
              "check |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for p in pages:
            if p.get("skipped"):
                print(f"| {p['label']} | {p['user']} | | | | | | not available ({p['skipped']}) |")
                continue
            o, b = p["ours"], p["bare"]
            ob = p.get("ours_over_bare")
            matching = f"{p['matching']:,}" if p.get("matching") is not None else "-"
            print(f"| {p['label']} | {p['user']} | {matching} | "
                  f"{fmt_ms(o.get('median_ms'))} ({fmt_ms(o.get('p95_ms'))}) | {fmt_ms(b['median_ms'])} "
                  f"({fmt_ms(b['p95_ms'])}) | {(f'{ob:.1f}x' if ob else '-')} | {p['app_sql']['statements']} | "
                  f"{p['check']} |")
        for p in pages:
            sel = (p.get("app_sql") or {}).get("selects") or []
            if sel:
                print(f"- {p['label']}: slowest app SELECT {sel[0]['replay_ms']:,.1f} ms "
                      f"`{short_sql(sel[0]['sql'], 160)}`"
                      f" plan {' | '.join(sel[0]['plan'])}")


# --- main ------------------------------------------------------------------------------------------

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
    results["credit"] = res
    with open(out, "w") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
    return out


def main():
    t_start = time.perf_counter()
    bench_dir = os.environ.get("BENCH_DIR")
    made_dir = False
    if bench_dir:
        os.makedirs(bench_dir, exist_ok=True)
    else:
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-credit-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    import sqlalchemy

    res = {"started": datetime.now().isoformat(timespec="seconds"), "bench_dir": bench_dir,
           "settings": {"enterprises": N_ENT, "records": N_REC, "runs": RUNS, "batch": BATCH, "deep_page": DEEP_PAGE,
                        "analyze": DO_ANALYZE, "seed": SEED},
           "env": {"loadavg_start": os.getloadavg(), "python": platform.python_version(),
                   "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count()},
           "code": code_version()}
    log(f"Credit benchmark at {res['code']['commit']}"
        f"{' + uncommitted app changes' if res['code']['app_modified'] else ''}: {N_ENT:,} enterprises, "
        f"{N_REC:,} records, {RUNS} runs per page; scratch dir {bench_dir}; load average {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs")
    app, st = build(bench_dir)
    res["generation"] = st
    failed = False
    if "recompute" in ONLY:
        res["recompute"] = bench_recompute(app, bench_dir, st)
        failed |= any(r["check"] != "ok" for r in res["recompute"]["runs"])
    else:   # the scores the pages show, untimed
        from app.credit import scoring
        from app.extensions import db

        with app.app_context():
            scoring.recompute_all("bench", moment=datetime.strptime(st["moment"], STAMP))
            db.session.commit()
            db.session.remove()
    if "daily" in ONLY:
        res["daily"] = bench_daily(app, bench_dir, st)
        failed |= res["daily"]["check"] != "ok"
    if "pages" in ONLY:
        res["pages"], res["request_floor"] = bench_pages(app, bench_dir, st)
        failed |= any(p["check"] not in ("ok", "not available") for p in res["pages"])
    res["total_s"] = time.perf_counter() - t_start
    res["loadavg_end"] = os.getloadavg()
    out = save(res)
    print_tables(res)
    print()
    print(f"Credit benchmark: {res['total_s'] / 60:.1f} min; load average at the end {res['loadavg_end'][0]:.2f} "
          f"(other work on this machine skews the timings); results under \"credit\" in {out}")
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    elif os.environ.get("BENCH_FROM_RUN") != "1":
        print(f"Scratch files kept in {bench_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
