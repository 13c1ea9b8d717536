"""Complaints benchmark (需求及建议 at city scale), run by bench/run.py or alone:

    .venv/bin/python bench/complaints.py                       # 1,000,000 complaints
    BENCH_ONLY=complaints .venv/bin/python bench/run.py        # the same, through run.py
    BENCH_COMPLAINTS=100000 BENCH_RUNS=3 .venv/bin/python bench/complaints.py   # quick

1. A scratch SQLite database of its own (complaints.db), built as the other parts build
   theirs (Alembic migrations, sync_roles(), reference + demo data), then ~200 property
   companies, a street office for every street of the reference data, ~2,000 property areas
   over the real streets (and a few street-less areas in other Chongqing districts), and
   BENCH_COMPLAINTS complaints over the last three years, written with SQLAlchemy Core
   insert() in batches: numbers unique (district + date + daily sequence, 18 characters, the
   anju_sequence counters set to match), status mix by age, deadlines, acceptance,
   handling, evaluation, automatic closing and escalation stamped consistently; ~2% are open,
   overdue and not escalated yet (the escalation job has work), to-evaluate rows past the
   auto-close delay give auto_close() work. 和平小区 (led by pm_a) holds ~5,000 complaints
   (with their event history), the street1 user's street 500103001 ~2%.
2. List pages of ComplaintView (/complaints/list/) through the Flask test client, each user
   logged in by the form, against the bare SQL the page needs (same WHERE, ORDER BY
   submitted_at DESC, LIMIT/OFFSET, with the joins to area, company, district and street,
   plus the COUNT) on the same database; the counts and row ids must match. Pages: admin's
   first page, admin filtered by stage and a busy street, admin's page 2,000, district1,
   pm_a, street1 filtered by stage, and the analyst (region scope of the whole city). Every
   SELECT the app ran is replayed on its own connection with its EXPLAIN QUERY PLAN, and one
   extra request per page is split into its parts (search form, audit COMMIT, reloads, table).
3. escalate_overdue() and auto_close() on the generated data, then again (exactly once: 0).
4. /complaints/stats/ when the app has it (else reported as skipped); the export of a
   bounded subset (/complaints/export/ with a stage and street filter).

Environment: BENCH_COMPLAINTS (1000000), BENCH_AREAS (2000), BENCH_COMPANIES (200),
BENCH_RUNS (7), BENCH_BATCH (20000), BENCH_DEEP_PAGE (2000), BENCH_EXPORT=0 (skip the export),
BENCH_ANALYZE=0 (no ANALYZE after the load), BENCH_REUSE=1 (with BENCH_DIR: keep a copy of
the generated database and start later runs from it), BENCH_DIR / BENCH_KEEP as in run.py.
Results: the printed tables and the "complaints" key of bench/out/results.json.
"""
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
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import accumulate

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

log = common.Progress()

N = int(os.environ.get("BENCH_COMPLAINTS", "1000000"))
N_AREAS = int(os.environ.get("BENCH_AREAS", "2000"))
N_COMPANIES = int(os.environ.get("BENCH_COMPANIES", "200"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "2000"))
DO_EXPORT = os.environ.get("BENCH_EXPORT", "1") != "0"
DO_ANALYZE = os.environ.get("BENCH_ANALYZE", "1") != "0"
REUSE = os.environ.get("BENCH_REUSE", "0") == "1"
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "2026"))
OUT_DIR = os.path.join(HERE, "out")
DB_NAME = "complaints.db"
PRISTINE = "complaints.pristine.db"
PSIZE = 20                # ComplaintView.page_size
DAYS = 3 * 365            # complaints over the last three years
DUE_DAYS = 5              # deadline.complaint_days (calendar days)
AUTO_CLOSE_DAYS = 7       # complaint.auto_close_days
HEPING_SHARE = 5000 / 1_000_000      # 和平小区: ~5,000 of 1,000,000
JIEFANGBEI_SHARE = 1500 / 1_000_000  # 解放碑商住楼 (also led by pm_a)
STREET1 = "500103001"
STREET1_SHARE = 0.02      # street1's street: 2% of the city's complaints
SLOW_S = 20.0             # a page slower than this gets 3 timed runs
TEN_X = 10.0              # ours/bare above this: diagnose


# --- helpers ---------------------------------------------------------------------------------

def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)] if s else None


def ms(x):
    return None if x is None else round(x * 1000, 2)


def fmt_ms(v):
    """A value already in ms."""
    if v is None:
        return "-"
    return f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def summary(times):
    return {"n": len(times), "median_ms": ms(statistics.median(times)), "p95_ms": ms(pct(times, 0.95)),
            "min_ms": ms(min(times)), "runs_ms": [ms(x) for x in times]}


def db_file(bench_dir):
    return os.path.join(bench_dir, DB_NAME)


def db_url(bench_dir):
    return "sqlite:///" + db_file(bench_dir)


def make_app(bench_dir):
    """The real app (production Config, like the audit part) on the scratch database."""
    from app import create_app

    app = create_app("config.Config", SQLALCHEMY_DATABASE_URI=db_url(bench_dir),
                     DEMO_PASSWORD=common.DEMO_PASSWORD, SECRET_KEY="bench-secret", SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(bench_dir, "uploads"))
    app.instance_path = bench_dir
    return app


def login(app, username, password=common.DEMO_PASSWORD):
    """A test client signed in by the login form (CSRF token; the picture code when the page
    asks for it, which it only does after failures: "TEST" is its answer under TESTING)."""
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": common.csrf_token(page)}
    if 'name="captcha"' in page:
        client.get("/captcha/login.png")
        data["captcha"] = "TEST"
    resp = client.post("/login/", data=data)
    if resp.status_code != 302 or "/login" in resp.headers.get("Location", ""):
        raise RuntimeError(f"login of {username} failed: HTTP {resp.status_code} {resp.headers.get('Location')}")
    return client


def code_version():
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=common.ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "app_modified": bool(git("status", "--porcelain", "--", "app", "config.py"))}


class SqlCapture:
    """Statements (text, parameters, time in cursor.execute) run on an engine while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.stmts = []

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, params, context, executemany):
            if self.active:
                conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, params, context, executemany):
            if self.active:
                t0 = conn.info.pop("bench_t0", None)
                self.stmts.append({"sql": statement, "params": None if executemany else params,
                                   "executemany": executemany,
                                   "ms": round((time.perf_counter() - t0) * 1000, 3) if t0 else None})

    def __enter__(self):
        self.stmts = []
        self.active = True
        return self.stmts

    def __exit__(self, *exc):
        self.active = False


def replay(path, stmts, min_ms=0.0):
    """Run each captured SELECT again on a fresh connection, rows fetched (pysqlite produces a
    SELECT's rows as they are fetched, so cursor.execute time understates a scan), with its
    query plan. Returns the list, slowest first."""
    out = []
    conn = sqlite3.connect(path)
    try:
        for s in stmts:
            sql = s["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or s.get("executemany"):
                continue
            params = tuple(s["params"] or ())
            t0 = time.perf_counter()
            rows = conn.execute(sql, params).fetchall()
            took = (time.perf_counter() - t0) * 1000
            if took < min_ms:
                continue
            plan = [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            out.append({"sql": sql, "params": [str(p) for p in params], "replay_ms": round(took, 2),
                        "rows": len(rows), "plan": plan})
    finally:
        conn.close()
    out.sort(key=lambda r: -r["replay_ms"])
    return out


class Breakdown:
    """Wall time of the request's parts, by wrapping (in this process, during one extra untimed
    request only) what a list page does besides its own query: the search form with its
    relation <select>s (FAB queries every related row and renders one <option> each, calling
    get_related_interface() per option), the audit entry of a full-PII list (AnjuModelView.
    _audit_full_view, which COMMITs), rows reloaded because that COMMIT expired them, and the
    list table itself."""

    def __init__(self):
        import flask_appbuilder.fields as fab_fields
        import flask_appbuilder.widgets as fab_widgets
        import sqlalchemy.orm.state as sa_state

        from app.core.views import AnjuModelView, ScopedInterface

        self.targets = [
            (fab_widgets.SearchWidget, "__call__", "search_form"),
            (fab_fields.QuerySelectField, "_get_object_list", "option_queries"),
            (ScopedInterface, "get_related_interface", "get_related_interface"),
            (AnjuModelView, "_audit_full_view", "audit_commit"),
            (sa_state.InstanceState, "_load_expired", "reloads_after_commit"),
            (fab_widgets.ListWidget, "__call__", "list_table"),
        ]
        self.acc = {}

    def __enter__(self):
        self.acc = {label: {"ms": 0.0, "calls": 0} for _o, _n, label in self.targets}
        self.acc["options"] = {"n": 0}
        self.saved = []
        for owner, name, label in self.targets:
            own = name in owner.__dict__  # else inherited: delete the wrapper afterwards
            original = getattr(owner, name)
            self.saved.append((owner, name, original if own else None))
            setattr(owner, name, self._wrap(original, label))
        return self.acc

    def _wrap(self, original, label):
        acc = self.acc

        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                out = original(*a, **kw)
            finally:
                acc[label]["ms"] += (time.perf_counter() - t0) * 1000
                acc[label]["calls"] += 1
            if label == "option_queries" and isinstance(out, list):
                acc["options"]["n"] += len(out)
            return out

        return wrapper

    def __exit__(self, *exc):
        for owner, name, original in self.saved:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        for v in self.acc.values():
            if isinstance(v, dict) and "ms" in v:
                v["ms"] = round(v["ms"], 2)


def short_sql(sql, n=150):
    sql = re.sub(r"\s+", " ", sql).strip()
    m = re.match(r"SELECT (.*?) FROM (.*)", sql)
    if m and len(m.group(1)) > 40:  # the column list says little; keep FROM ... onwards
        sql = f"SELECT <{m.group(1).count(',') + 1} expressions> FROM {m.group(2)}"
    return sql if len(sql) <= n else sql[:n] + "…"


# --- 1. the data ------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
AREA_A = ["阳光", "金科", "龙湖", "融创", "华宇", "鲁能", "万科", "保利", "中海", "招商", "协信", "东原", "旭辉",
          "首创", "蓝光", "金地", "新城", "绿地", "巴渝", "山城", "嘉陵", "长江", "朝天门", "南山", "缙云", "鹅岭",
          "两江", "渝州", "枇杷山", "大坪"]
AREA_B = ["花园", "小区", "新村", "公寓", "家园", "名城", "雅苑", "华庭", "公馆", "尚城", "天地", "国际", "春天",
          "时代", "湾", "世家", "御府", "星城"]
COMPANY_A = ["安泰", "和顺", "宜家", "金盛", "龙腾", "融通", "华信", "渝信", "嘉禾", "长嘉", "山城", "巴渝", "天骄",
             "两江", "鹅岭", "南山", "缙云", "协和", "隆鑫", "东方"]
COMPANY_B = ["佳园", "锦城", "鑫源", "兴业", "正阳", "恒信", "万家", "瑞泰", "康宁", "福源"]
COMPANY_C = ["物业服务有限公司", "物业管理有限公司"]
PROBLEMS = ["小区电梯经常故障停运", "楼道照明灯损坏多日无人维修", "地下车库渗水严重", "物业费收费标准不透明",
            "垃圾清运不及时，异味严重", "绿化带长期无人修剪", "外来车辆随意进出停放", "夜间装修噪音扰民",
            "二次供水水质浑浊", "消防通道被杂物占用", "单元门禁系统失灵", "顶楼屋面漏水", "保安夜间值守不到位",
            "公共区域卫生差", "化粪池堵塞外溢", "小区监控长期损坏", "报修后维修响应慢", "停车收费不合理",
            "电动车在楼道违规充电", "宠物粪便无人清理", "健身器材损坏存在安全隐患", "雨污管道堵塞积水",
            "外墙瓷砖脱落", "公共维修资金使用情况未公示", "物业人员服务态度差"]
DETAILS = ["已向物业反映{n}次仍未解决", "已经持续{n}天", "影响老人和小孩出行", "多位业主都有意见",
           "物业答复会处理但一直没有下文", "存在较大安全隐患", "给生活带来很大不便", "上周又出现了同样的问题"]
REQUESTS = ["请尽快处理。", "希望街道督促物业整改。", "要求物业给出书面答复。", "请相关部门协调解决。",
            "希望物业公开处理进度。", "请安排人员上门查看。"]
RESULTS = ["已安排维修人员上门处理，问题已解决。", "已联系专业单位检修，设备恢复正常。", "已加强巡查并清理完毕。",
           "已召开业主沟通会说明情况，后续将按月公示。", "已更换损坏部件，并对同类设施进行了排查。",
           "已与相关业主沟通，噪音问题已整改。"]
REFUSALS = ["该事项不属于物业服务合同约定范围，已告知业主向相关部门反映。",
            "经核实，所反映情况与事实不符，已向业主说明。"]
EVALUATIONS = ["处理及时，态度很好。", "问题解决了，但拖得有点久。", "满意。", "希望以后能主动巡查。",
               "处理结果一般，问题没有根本解决。"]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "186", "187",
                   "188", "189", "177", "180", "181", "182", "183", "185", "199", "198", "191"]
ID_COUNTIES = ["500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113", "500222",
               "510104", "510107", "110101", "110105", "420106", "330106"]
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 6, 6, 6, 5, 4, 3, 2]
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.05, 1.05, 1.0, 0.85, 0.8]
# Status mix by age (days since submission): pending, in hand (processing stage), to
# evaluate, closed, revoked.
AGE_MIX = [(DUE_DAYS, (0.30, 0.40, 0.18, 0.07, 0.05)),
           (30, (0.06, 0.14, 0.10, 0.65, 0.05)),
           (365, (0.03, 0.06, 0.01, 0.85, 0.05)),
           (10 ** 9, (0.01, 0.02, 0.003, 0.917, 0.05))]
IN_HAND = [("processing", 0.60), ("further", 0.15), ("supplement", 0.13), ("guidance", 0.12)]
# Of the open complaints past their deadline, this share is not escalated yet (~2% of all):
# the scheduler was down, say; the rest were escalated minutes after their deadline.
P_NOT_ESCALATED = 0.385
SATISFACTION = [(5, 0.45), (4, 0.30), (3, 0.12), (2, 0.06), (1, 0.07)]
DATETIME_COLS = ("submitted_at", "due_at", "accepted_at", "handled_at", "closed_at", "escalated_at")


def _cum(pairs):
    keys = [k for k, _ in pairs]
    return keys, list(accumulate(w for _, w in pairs))


class Generator:
    """Companies, street offices, areas and complaints, with Core insert() in batches."""

    def __init__(self, app, engine, n, log=print, seed=SEED):
        self.app, self.engine, self.n, self.log = app, engine, n, log
        self.rnd = random.Random(seed)
        from app.core.mixins import now

        self.now = now()
        self.st = {"now": self.now.isoformat(sep=" ", timespec="seconds")}

    # -- reference -----------------------------------------------------------------------
    def _reference(self, conn):
        from sqlalchemy import text

        regions = {r.code: r for r in conn.execute(text("SELECT code, name, level, parent_code FROM anju_region"))}
        self.regions = regions
        self.streets = sorted(c for c, r in regions.items() if r.level == "street")
        self.street_districts = sorted({regions[s].parent_code for s in self.streets})
        self.cq_plain = sorted(c for c, r in regions.items() if r.level == "district" and c.startswith("500")
                               and c not in self.street_districts)
        orgs = conn.execute(text("SELECT id, org_type, region_code, path, name FROM anju_org")).all()
        self.org_by_region = {(o.org_type, o.region_code): o for o in orgs}
        self.demo_orgs = {o.name: o for o in orgs}
        users = {u.username: u.id for u in conn.execute(text("SELECT id, username FROM ab_user"))}
        self.users = users
        self.next_org_id = max(o.id for o in orgs) + 1
        if not self.streets:
            raise SystemExit("the reference data has no streets (anju_region level 'street')")

    def _name(self):
        r = self.rnd
        return r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")

    def _mobile(self):
        return self.rnd.choice(MOBILE_PREFIXES) + f"{self.rnd.randrange(10 ** 8):08d}"

    def _id_number(self):
        from app.core.validators import id_check_char

        r = self.rnd
        birth = date(1950, 1, 1) + timedelta(days=r.randrange(365 * 55))
        first17 = f"{r.choice(ID_COUNTIES)}{birth:%Y%m%d}{r.randrange(1000):03d}"
        return first17 + id_check_char(first17)

    # -- organisations ---------------------------------------------------------------------
    def _insert_orgs(self, conn):
        """Property companies (enterprise / property_company) and a government office for every
        street and district that has none (escalation notifies them; SMS to their mobile)."""
        from sqlalchemy import insert

        from app.system.models import Organization

        t = Organization.__table__
        r = self.rnd
        rows = []
        now = self.now

        def add(name, org_type, region, parent, ent_type=None, credit=None, mobile=None):
            oid = self.next_org_id
            self.next_org_id += 1
            path = ((parent.path if parent is not None and parent.path else "/") + f"{oid}/")
            row = {"id": oid, "name": name, "org_type": org_type, "enterprise_type": ent_type,
                   "credit_code": credit, "region_code": region, "parent_id": parent.id if parent else None,
                   "path": path, "legal_rep": self._name() if org_type == "enterprise" else None,
                   "contact_name": self._name(), "contact_mobile": mobile, "address": None, "active": True,
                   "review_status": "approved", "review_reason": None, "created_on": now, "changed_on": now}
            rows.append(row)

            class O:  # noqa: N801 - a stand-in with what children need
                pass

            o = O()
            o.id, o.path, o.region_code, o.org_type, o.name = oid, path, region, org_type, name
            return o

        city = self.org_by_region.get(("city", "500000"))
        for d in self.street_districts:
            if ("district", d) not in self.org_by_region:
                name = self.regions[d].name + "住房和城乡建设委员会"
                self.org_by_region[("district", d)] = add(name, "district", d, city if d.startswith("500") else None,
                                                          mobile=self._mobile())
        for s in self.streets:
            if ("street", s) not in self.org_by_region:
                parent = self.org_by_region.get(("district", self.regions[s].parent_code))
                self.org_by_region[("street", s)] = add(self.regions[s].name + "办事处", "street", s, parent,
                                                        mobile=self._mobile())
        # Companies: registered in the districts where the areas are (weighted like them).
        homes = self.street_districts + self.cq_plain[:8]
        companies = []
        names = [a + b + c for a in COMPANY_A for b in COMPANY_B for c in COMPANY_C]
        r.shuffle(names)
        for i in range(N_COMPANIES):
            d = homes[i % len(homes)] if i < len(homes) else r.choice(homes)
            parent = self.org_by_region.get(("district", d))
            credit = f"91{d}MA{i:07d}X"
            companies.append(add("重庆" + names[i % len(names)] + ("" if i < len(names) else f"{i}"),
                                 "enterprise", d, parent, ent_type="property_company", credit=credit,
                                 mobile=self._mobile()))
        conn.execute(insert(t), rows)
        self.companies = companies
        self.st["orgs_added"] = {"companies": len(companies),
                                 "government": len(rows) - len(companies)}

    # -- areas -------------------------------------------------------------------------------
    def _insert_areas(self, conn):
        from sqlalchemy import insert, text

        from app.property.models import PropertyArea

        t = PropertyArea.__table__
        r = self.rnd
        by_district = defaultdict(list)
        for c in self.companies:
            by_district[c.region_code].append(c)
        demo = conn.execute(text("SELECT id, name, district_code, street_code, region_code, company_org_id, "
                                 "project_lead_id, address FROM anju_property_area")).all()
        next_id = max((a.id for a in demo), default=0) + 1
        # Street weights (complaint volume): lognormal; areas per street follow the weight.
        street_w = {s: r.lognormvariate(0, 0.7) for s in self.streets}
        n_plain = max(1, N_AREAS // 20) if self.cq_plain else 0
        n_street_areas = N_AREAS - n_plain
        total_w = sum(street_w.values())
        per_street = {s: max(3, round(n_street_areas * w / total_w)) for s, w in street_w.items()}
        used = {a.name for a in demo}
        names = []
        k = 1
        while len(names) < N_AREAS:
            for a in AREA_A:
                for b in AREA_B:
                    name = a + b + (f"{k}期" if k > 1 else "")
                    if name not in used:
                        names.append(name)
            k += 1
        r.shuffle(names)
        areas = []   # dicts: id, name, district, street, region, org, lead, address, weight
        rows = []
        now = self.now

        def add(district, street, weight):
            nonlocal next_id
            name = names[len(rows)]
            local = by_district.get(district)
            company = r.choice(local) if local and r.random() < 0.8 else r.choice(self.companies)
            place = "".join(self.regions[c].name for c in (district, street) if c)
            address = f"重庆市{place}{name}" if district.startswith("500") else f"{place}{name}"
            row = {"id": next_id, "name": name, "district_code": district, "street_code": street,
                   "community_code": None, "region_code": street or district, "address": address,
                   "company_org_id": company.id, "project_lead_id": None, "public_code": f"bench{next_id:07d}",
                   "created_on": now, "changed_on": now}
            rows.append(row)
            areas.append({"id": next_id, "name": name, "district": district, "street": street,
                          "region": street or district, "org": company.id, "address": address,
                          "weight": weight, "demo": False})
            next_id += 1

        for s in self.streets:
            for _ in range(per_street[s]):
                if len(rows) >= n_street_areas:
                    break
                add(self.regions[s].parent_code, s, street_w[s] / per_street[s] * r.lognormvariate(0, 0.8))
        while len(rows) < N_AREAS:  # areas in districts without street data: no street
            add(r.choice(self.cq_plain) if self.cq_plain else self.street_districts[0], None,
                r.lognormvariate(0, 0.8) * total_w / n_street_areas)
        conn.execute(insert(t), rows)
        for a in demo:
            areas.append({"id": a.id, "name": a.name, "district": a.district_code, "street": a.street_code,
                          "region": a.region_code, "org": a.company_org_id, "address": a.address or a.name,
                          "weight": 0.0, "demo": True, "lead": a.project_lead_id})
        # Shares: 和平小区 ~0.5%, 解放碑商住楼 0.15%, street1's street 2% (其余 by weight).
        total = sum(a["weight"] for a in areas)
        fixed = {"和平小区": HEPING_SHARE, "解放碑商住楼": JIEFANGBEI_SHARE}
        for a in areas:
            if a["name"] in fixed:
                a["share"] = fixed[a["name"]]
            elif a["demo"]:  # 七星花园: an ordinary area of street1
                a["share"] = None
                a["weight"] = total / len(areas)
        s1 = [a for a in areas if a["street"] == STREET1 and a["name"] not in fixed]
        s1_fixed = sum(v for a in areas for k, v in fixed.items() if a["name"] == k and a["street"] == STREET1)
        s1_w = sum(a["weight"] for a in s1)
        for a in s1:
            a["share"] = (STREET1_SHARE - s1_fixed) * a["weight"] / s1_w
        rest = [a for a in areas if a.get("share") is None]
        rest_share = 1.0 - sum(a["share"] for a in areas if a.get("share") is not None)
        rest_w = sum(a["weight"] for a in rest)
        for a in rest:
            a["share"] = rest_share * a["weight"] / rest_w
        self.areas = areas
        self.area_cum = list(accumulate(a["share"] for a in areas))
        self.heping = next(a for a in areas if a["name"] == "和平小区")
        self.st["areas_added"] = len(rows)
        self.st["areas_without_street"] = sum(1 for a in rows if a["street_code"] is None)
        self.st["streets"] = len(self.streets)
        self.st["districts_with_streets"] = self.street_districts

    # -- complaints -----------------------------------------------------------------------------
    def _day_counts(self):
        """Complaints per day over DAYS days ending now: growing ~25% a year, quieter at weekends,
        today's share as far as the day has gone; exactly self.n in all."""
        today = self.now.date()
        first = today - timedelta(days=DAYS - 1)
        days, weights = [], []
        for i in range(DAYS):
            d = first + timedelta(days=i)
            w = (1 + 0.75 * i / DAYS) * WEEKDAY_WEIGHTS[d.weekday()]
            if d == today:
                elapsed = (self.now - datetime.combine(d, datetime.min.time())).total_seconds() / 86400
                w *= max(elapsed, 0.01)
            days.append(d)
            weights.append(w)
        total = sum(weights)
        raw = [self.n * w / total for w in weights]
        counts = [int(x) for x in raw]
        for i in sorted(range(DAYS), key=lambda i: raw[i] - counts[i], reverse=True)[:self.n - sum(counts)]:
            counts[i] += 1
        return list(zip(days, counts))

    def _times(self, day, k):
        r = self.rnd
        hours = r.choices(range(24), cum_weights=self._hour_cum, k=k)
        start = datetime.combine(day, datetime.min.time())
        out = []
        for h in hours:
            while True:
                t = start + timedelta(hours=h, seconds=r.randrange(3600), microseconds=r.randrange(10 ** 6))
                if t < self.now:
                    break
                h = r.randrange(0, max(self.now.hour, 1))
            out.append(t)
        out.sort()
        return out

    def _status(self, age_days):
        r = self.rnd
        for limit, mix in AGE_MIX:
            if age_days < limit:
                break
        x = r.random()
        acc = 0.0
        for stage, p in zip(("pending", "in_hand", "to_evaluate", "closed", "revoked"), mix):
            acc += p
            if x < acc:
                break
        if stage == "in_hand":
            keys, cum = self._in_hand
            return keys[bisect_right(cum, r.random() * cum[-1])], "processing"
        return stage, stage

    def _content(self):
        r = self.rnd
        return (r.choice(PROBLEMS) + "，" + r.choice(DETAILS).format(n=r.randint(2, 30)) + "，"
                + (r.choice(DETAILS).format(n=r.randint(2, 30)) + "，" if r.random() < 0.4 else "")
                + r.choice(REQUESTS))

    def _pools(self):
        """People (name, ID number, mobile) and texts to draw from: complainants come back
        (a pool of ~n/3 people), and making each row's fields from scratch would dominate."""
        n_people = max(1000, min(self.n // 3, 400_000))
        self.people = [(self._name(), self._id_number(), self._mobile()) for _ in range(n_people)]
        self.contents = [self._content() for _ in range(20_000)]

    def _row(self, cid, area, submitted, seq):
        """One complaint, its timestamps consistent with its status (datetimes; see _db_row)."""
        r = self.rnd
        rand = r.random
        now = self.now
        age = (now - submitted).total_seconds() / 86400
        status, stage = self._status(age)
        due = submitted + timedelta(days=DUE_DAYS)
        accepted = handled = closed = escalated = satisfaction = evaluation = result = None
        refused = auto_closed = False
        version = 1

        def upto(start, delay, room=0.9):
            """start + delay, but not after now (at most `room` of what is left)."""
            left = (now - start).total_seconds()
            return start + timedelta(seconds=min(delay, max(left * room, 1)))

        if stage in ("processing", "to_evaluate", "closed"):
            accepted = upto(submitted, r.expovariate(1 / (10 * 3600)), 0.3)
            version += 1 + (status in ("further", "supplement", "guidance"))
        if stage in ("to_evaluate", "closed"):
            late = rand() < 0.08
            delay = (DUE_DAYS * 86400 + r.expovariate(1 / (3 * 86400)) if late
                     else r.lognormvariate(math.log(1.5 * 86400), 0.8))
            handled = upto(accepted, max(delay - (accepted - submitted).total_seconds(), 600), 0.6)
            refused = rand() < 0.06
            result = REFUSALS[int(rand() * len(REFUSALS))] if refused else RESULTS[int(rand() * len(RESULTS))]
            version += 1
        if stage == "closed":
            if rand() < 0.35 and handled + timedelta(days=AUTO_CLOSE_DAYS) <= now:
                closed = min(handled + timedelta(days=AUTO_CLOSE_DAYS, seconds=int(rand() * 3600)), now)
                auto_closed = True
            else:
                closed = upto(handled, r.expovariate(1 / (1.5 * 86400)), 0.9)
                keys, cum = self._satisfaction
                satisfaction = keys[bisect_right(cum, rand() * cum[-1])]
                evaluation = EVALUATIONS[int(rand() * len(EVALUATIONS))] if rand() < 0.4 else None
            version += 1
        if stage == "revoked":
            if rand() < 0.3:
                accepted = upto(submitted, r.expovariate(1 / (8 * 3600)), 0.3)
                version += 1
            closed = upto(accepted or submitted, r.expovariate(1 / 86400), 0.9)
            version += 1
        # The clock ran past the deadline while the complaint was open: escalated minutes later.
        stopped = handled or (closed if stage == "revoked" else None)
        if (stopped or now) > due:
            if stopped is None and rand() < P_NOT_ESCALATED:
                escalated = None
            else:
                escalated = due + timedelta(seconds=int(rand() * 600))
                if escalated > now:
                    escalated = None
        d = area["district"]
        name, id_number, mobile = self.people[int(rand() * len(self.people))]
        return {
            "id": cid, "number": f"{d}{submitted:%Y%m%d}{seq:04d}", "area_id": area["id"], "org_id": area["org"],
            "district_code": d, "street_code": area["street"], "region_code": area["region"],
            "complainant_id": None, "name": name, "id_number": id_number, "mobile": mobile,
            "address": f"{area['address']}{int(rand() * 30) + 1}栋{int(rand() * 4) + 1}单元"
                       f"{int(rand() * 33) + 1}-{int(rand() * 8) + 1}号",
            "content": self.contents[int(rand() * len(self.contents))], "status": status, "stage": stage,
            "submitted_at": submitted, "due_at": due, "accepted_at": accepted, "handled_at": handled,
            "result": result, "refused": refused, "closed_at": closed, "auto_closed": auto_closed,
            "satisfaction": satisfaction, "evaluation": evaluation, "escalated_at": escalated, "version": version,
        }

    @staticmethod
    def _db_row(row):
        """The row as SQLite stores it (what SQLAlchemy's DateTime and Boolean would write):
        the insert goes through a plain table() clause, without per-value bind processing."""
        out = dict(row)
        for k in DATETIME_COLS:
            v = out[k]
            if v is not None:
                out[k] = v.isoformat(" ", "microseconds")
        out["refused"] = int(out["refused"])
        out["auto_closed"] = int(out["auto_closed"])
        return out

    def _events(self, row, lead_name):
        """The history of one complaint (only for 和平小区, whose detail pages the demo shows)."""
        ev = [("submit", None, "pending", row["submitted_at"], row["name"], None)]
        status = row["status"]
        if row["accepted_at"] and not (row["refused"] and row["accepted_at"] == row["handled_at"]):
            ev.append(("accept", "pending", "processing", row["accepted_at"], lead_name,
                       "您的诉求已收到，正在处理，处理完成后将回复您。"))
        if status in ("further", "supplement", "guidance"):
            action = {"further": "further", "supplement": "supplement", "guidance": "guide"}[status]
            ev.append((action, "processing", status, min(row["accepted_at"] + timedelta(hours=30), self.now), "七星岗街道",
                       "请物业尽快处理并回复。"))
        if row["escalated_at"]:
            ev.append(("escalate", "pending" if not row["accepted_at"] else "processing",
                       "pending" if not row["accepted_at"] else "processing", row["escalated_at"], "系统",
                       "超过处理期限未完成，已上报街道。"))
        if row["handled_at"]:
            ev.append(("refuse" if row["refused"] else "complete", "processing", "to_evaluate", row["handled_at"],
                       lead_name, row["result"]))
        if status == "closed":
            ev.append(("auto_close" if row["auto_closed"] else "evaluate", "to_evaluate", "closed",
                       row["closed_at"], "系统" if row["auto_closed"] else row["name"],
                       f"{AUTO_CLOSE_DAYS}天内未评价，自动结束。" if row["auto_closed"] else row["evaluation"]))
        if status == "revoked":
            ev.append(("revoke", "processing" if row["accepted_at"] else "pending", "revoked", row["closed_at"],
                       row["name"], None))
        ev.sort(key=lambda e: e[3])
        return [{"complaint_id": row["id"], "action": a, "from_status": f, "to_status": t_, "actor_id": None,
                 "actor_name": who, "at": at, "note": note} for a, f, t_, at, who, note in ev]

    def _secondary_indexes(self, conn, table):
        """The CREATE INDEX statements of ``table`` as the migrations made them (the UNIQUE
        constraint's own index stays): dropped for the load, run again after it."""
        from sqlalchemy import text

        return conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                                 "AND sql IS NOT NULL"), {"t": table}).all()

    def generate(self):
        from sqlalchemy import column, insert, table, text

        from app.complaints.models import Complaint, ComplaintEvent
        from app.core.sequences import Sequence

        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            self._reference(conn)
            self._insert_orgs(conn)
            self._insert_areas(conn)
        self._pools()
        self.st["setup_s"] = time.perf_counter() - t0
        self.log(f"{self.st['orgs_added']['companies']} property companies, "
                 f"{self.st['orgs_added']['government']} street/district offices, {self.st['areas_added']:,} areas "
                 f"({self.st['areas_without_street']} without a street) over {len(self.streets)} streets in "
                 f"{len(self.street_districts)} districts; {len(self.people):,} complainants "
                 f"({self.st['setup_s']:.1f}s)")
        self._hour_cum = list(accumulate(HOUR_WEIGHTS))
        self._in_hand = _cum(IN_HAND)
        self._satisfaction = _cum(SATISFACTION)
        # Plain table() clauses with the real columns: Core insert() without bind processors.
        ct = table(Complaint.__tablename__, *(column(c.name) for c in Complaint.__table__.columns))
        et = table(ComplaintEvent.__tablename__, *(column(c.name) for c in ComplaintEvent.__table__.columns
                                                    if c.name != "id"))
        lead_name = "张小三"
        with self.engine.begin() as conn:
            cid = 1 + conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM anju_complaint")).scalar()
            indexes = self._secondary_indexes(conn, Complaint.__tablename__)
            for name, _sql in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        seqs = Counter()
        st = {"status": Counter(), "stage": Counter(), "street": Counter(), "district": Counter(),
              "area": Counter(), "stage_street": Counter(), "open_overdue": 0,
              "open_overdue_not_escalated": 0, "to_evaluate_past_cutoff": 0, "events": 0}
        cutoff = self.now - timedelta(days=AUTO_CLOSE_DAYS)
        now = self.now
        buf, events = [], []
        t_gen = t_ins = 0.0
        done = 0
        last_log = time.perf_counter()
        db_row = self._db_row

        def flush():
            nonlocal t_ins, buf, events
            ti = time.perf_counter()
            with self.engine.begin() as conn:
                conn.execute(insert(ct), buf)
                if events:
                    conn.execute(insert(et), events)
            t_ins += time.perf_counter() - ti
            buf, events = [], []

        t1 = time.perf_counter()
        for day, k in self._day_counts():
            if not k:
                continue
            tg = time.perf_counter()
            times = self._times(day, k)
            picks = self.rnd.choices(self.areas, cum_weights=self.area_cum, k=k)
            for submitted, area in zip(times, picks):
                key = (area["district"], day)
                seqs[key] += 1
                row = self._row(cid, area, submitted, seqs[key])
                cid += 1
                if area is self.heping:
                    ev = self._events(row, lead_name)
                    st["events"] += len(ev)
                    events.extend({**e, "at": e["at"].isoformat(" ", "microseconds")} for e in ev)
                stage = row["stage"]
                st["status"][row["status"]] += 1
                st["stage"][stage] += 1
                st["street"][row["street_code"]] += 1
                st["district"][row["district_code"]] += 1
                st["area"][row["area_id"]] += 1
                st["stage_street"][(stage, row["street_code"])] += 1
                if (stage == "pending" or stage == "processing") and row["due_at"] < now:
                    st["open_overdue"] += 1
                    if row["escalated_at"] is None:
                        st["open_overdue_not_escalated"] += 1
                elif stage == "to_evaluate" and row["handled_at"] <= cutoff:
                    st["to_evaluate_past_cutoff"] += 1
                buf.append(db_row(row))
            t_gen += time.perf_counter() - tg
            if len(buf) >= BATCH:
                done += len(buf)
                flush()
                if time.perf_counter() - last_log > 10:
                    last_log = time.perf_counter()
                    el = last_log - t1
                    self.log(f"  {done:,} complaints ({done / el:,.0f} rows/s; making rows {t_gen:.1f}s, "
                             f"insert {t_ins:.1f}s)")
        if buf:
            done += len(buf)
            flush()
        elapsed = time.perf_counter() - t1
        # The indexes again, as the migrations declared them.
        ti = time.perf_counter()
        with self.engine.begin() as conn:
            for _name, sql in indexes:
                conn.execute(text(sql))
        t_idx = time.perf_counter() - ti
        self.log(f"  {len(indexes)} secondary indexes of anju_complaint built again in {t_idx:.1f}s")
        # The daily counters new_number() continues from (CP + district + yyyymmdd).
        with self.engine.begin() as conn:
            conn.execute(insert(Sequence.__table__),
                         [{"name": f"CP{d}{day:%Y%m%d}", "value": v} for (d, day), v in seqs.items()])
        total_s = elapsed + t_idx
        self.st.update({
            "rows": done, "seconds": total_s, "rows_per_s": done / total_s if total_s else None,
            "load_s": elapsed, "make_rows_s": t_gen, "insert_s": t_ins, "index_s": t_idx,
            "indexes_rebuilt": [n for n, _ in indexes], "batch": BATCH, "sequence_rows": len(seqs),
            "status": dict(st["status"]), "stage": dict(st["stage"]),
            "open_overdue": st["open_overdue"], "open_overdue_not_escalated": st["open_overdue_not_escalated"],
            "to_evaluate_past_cutoff": st["to_evaluate_past_cutoff"], "events": st["events"],
            "heping_area_id": self.heping["id"], "heping_rows": st["area"][self.heping["id"]],
            "jiefangbei_rows": sum(st["area"][a["id"]] for a in self.areas if a["name"] == "解放碑商住楼"),
            "street1_rows": st["street"][STREET1], "street1_pending": st["stage_street"][("pending", STREET1)],
            "district_500103_rows": st["district"]["500103"],
            "chongqing_rows": sum(v for d, v in st["district"].items() if d.startswith("50")),
            "top_streets": [(s, c) for s, c in st["street"].most_common(5)],
            "max_area_rows": max(st["area"].values()) if st["area"] else 0,
            "areas_with_rows": len(st["area"]), "complainants": len(self.people),
        })
        busy = next(s for s, _ in st["street"].most_common() if s is not None)
        self.st["busy_street"] = busy
        self.st["busy_street_name"] = self.regions[busy].name
        self.st["busy_street_rows"] = st["street"][busy]
        self.st["busy_street_processing"] = st["stage_street"][("processing", busy)]
        return self.st


def build(bench_dir):
    """The scratch database: migrated, roles, reference + demo data, then the generated rows."""
    from sqlalchemy import create_engine, event, text

    path = db_file(bench_dir)
    pristine = os.path.join(bench_dir, PRISTINE)
    meta_file = os.path.join(bench_dir, "complaints-gen.json")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    reused = False
    if REUSE and os.path.exists(pristine) and os.path.exists(meta_file):
        with open(meta_file) as fh:
            st = json.load(fh)
        if st.get("rows") == N:
            t0 = time.perf_counter()
            shutil.copyfile(pristine, path)
            log(f"BENCH_REUSE: copied the generated database ({st['rows']:,} complaints, made {st['now']}) "
                f"in {time.perf_counter() - t0:.1f}s")
            reused = True
        else:
            log(f"BENCH_REUSE: the saved database holds {st.get('rows'):,} complaints, not {N:,}: generating")
    t0 = time.perf_counter()
    app = make_app(bench_dir)
    common.prepare_database(app)
    log(f"app created (config.Config), database migrated, roles synced, reference + demo data loaded "
        f"({time.perf_counter() - t0:.1f}s)")
    if reused:
        st["reused"] = True
        conn = sqlite3.connect(path)
        try:  # the copy holds what the run that made it did; BENCH_ANALYZE decides now
            has_stats = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
            if DO_ANALYZE and not has_stats:
                t1 = time.perf_counter()
                conn.execute("ANALYZE")
                conn.commit()
                st["analyze_s"] = time.perf_counter() - t1
            elif not DO_ANALYZE and has_stats:
                conn.execute("DROP TABLE sqlite_stat1")
                conn.commit()
        finally:
            conn.close()
        st["analyze"] = DO_ANALYZE
        log(f"planner statistics: {'ANALYZE' if DO_ANALYZE else 'none (BENCH_ANALYZE=0: sqlite_stat1 dropped)'}")
        return app, st

    engine = create_engine(db_url(bench_dir))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-524288")
        cur.close()

    log(f"generating {N:,} complaints (batches of {BATCH:,}, Core insert) ...")
    with app.app_context():
        gen = Generator(app, engine, N, log=log)
        st = gen.generate()
    log(f"generated {st['rows']:,} complaints in {st['seconds']:.1f}s = {st['rows_per_s']:,.0f} rows/s "
        f"(making rows {st['make_rows_s']:.1f}s, insert {st['insert_s']:.1f}s, indexes {st['index_s']:.1f}s); "
        f"{st['events']:,} events for 和平小区")
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
        shutil.copyfile(path, pristine)
        with open(meta_file, "w") as fh:
            json.dump(st, fh, ensure_ascii=False, default=str)
        log(f"BENCH_REUSE: kept a copy for later runs ({time.perf_counter() - t1:.1f}s)")
    return app, st


# --- 2. list pages ---------------------------------------------------------------------------

def define_pages(st, user_ids):
    """(key, label, user, query args, where(c, a) for the bare SQL, expected count, page)."""
    from sqlalchemy import and_, or_, select

    from app.property.models import PropertyArea

    busy = st["busy_street"]
    pm = user_ids["pm_a"]
    deep = min(DEEP_PAGE, max(0, (st["rows"] - 1) // PSIZE))  # the last page when there are fewer rows

    def rng(col, prefix):
        return and_(col >= prefix, col < prefix[:-1] + chr(ord(prefix[-1]) + 1))

    return [
        {"key": "admin_first", "label": "admin: first page (whole city)", "user": "admin", "args": {},
         "where": lambda c: None, "expect": st["rows"], "page": 0},
        {"key": "admin_processing_street", "label": f"admin: stage=processing, street={busy}", "user": "admin",
         "args": {"_flt_0_stage": "processing", "_flt_0_street": busy},
         "where": lambda c: and_(c.stage == "processing", c.street_code == busy),
         "expect": st["busy_street_processing"], "page": 0},
        {"key": "admin_deep", "label": f"admin: page_ComplaintView={deep:,} (offset {deep * PSIZE:,})",
         "user": "admin", "args": {"page_ComplaintView": deep}, "where": lambda c: None, "expect": st["rows"],
         "page": deep},
        {"key": "district1_first", "label": "district1: first page (500103)", "user": "district1", "args": {},
         "where": lambda c: rng(c.region_code, "500103"), "expect": st["district_500103_rows"], "page": 0},
        {"key": "pm_a_first", "label": "pm_a: first page (led areas)", "user": "pm_a", "args": {},
         "where": lambda c: or_(c.area_id.in_(select(PropertyArea.__table__.c.id).where(
             PropertyArea.__table__.c.project_lead_id == pm)), c.complainant_id == pm),
         "expect": st["heping_rows"] + st["jiefangbei_rows"], "page": 0},
        {"key": "street1_pending", "label": f"street1: stage=pending ({STREET1})", "user": "street1",
         "args": {"_flt_0_stage": "pending"},
         "where": lambda c: and_(rng(c.region_code, STREET1), c.stage == "pending"),
         "expect": st["street1_pending"], "page": 0},
        # Not in the brief's list: the analyst's region scope is the whole city (org 500000,
        # prefix '50'), the widest region range.
        {"key": "analyst_first", "label": "analyst: first page (city region '50')", "user": "analyst", "args": {},
         "where": lambda c: rng(c.region_code, "50"),
         "expect": st.get("chongqing_rows"), "page": 0},
    ]


def bare_sql(engine, page):
    """COUNT + the page's rows with the joins the list shows (area, company, district, street)."""
    from sqlalchemy import func, select

    from app.complaints.models import Complaint
    from app.property.models import PropertyArea
    from app.system.models import Organization, Region

    c = Complaint.__table__
    a = PropertyArea.__table__.alias("area")
    o = Organization.__table__.alias("org")
    d = Region.__table__.alias("district")
    s = Region.__table__.alias("street")
    where = page["where"](c.c)
    count = select(func.count()).select_from(c)
    rows = (select(c.c.id, c.c.content, c.c.status, c.c.stage, c.c.due_at, c.c.submitted_at, c.c.number,
                   a.c.name.label("area_name"), o.c.name.label("org_name"), d.c.name.label("district_name"),
                   s.c.name.label("street_name"))
            .select_from(c.join(a, a.c.id == c.c.area_id).outerjoin(o, o.c.id == c.c.org_id)
                         .join(d, d.c.code == c.c.district_code).outerjoin(s, s.c.code == c.c.street_code))
            .order_by(c.c.submitted_at.desc()).limit(PSIZE).offset(page["page"] * PSIZE))
    if where is not None:
        count = count.where(where)
        rows = rows.where(where)

    def run(parse=True):
        with engine.connect() as conn:
            n = conn.execute(count).scalar()
            got = conn.execute(rows).all()
        return (n, [r.id for r in got]) if parse else None

    return run


COUNT_RE = re.compile(r"(?:记录数|Record Count):</strong>\s*(\d+)")
SHOW_RE = re.compile(r'/complaints/show/(\d+)"')


def http_get(client, url):
    def run(parse=True):
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} answered HTTP {resp.status_code} {resp.headers.get('Location', '')}")
        if not parse:
            return None
        html = resp.get_data(as_text=True)
        m = COUNT_RE.search(html)
        ids = list(dict.fromkeys(int(x) for x in SHOW_RE.findall(html)))
        return (int(m.group(1)) if m else None), ids

    return run


def timed(fn):
    """1 warm-up, then RUNS timed calls (3 when one call takes longer than SLOW_S)."""
    fn(parse=False)
    times = []
    while len(times) < (RUNS if not times or times[0] < SLOW_S else min(RUNS, 3)):
        t0 = time.perf_counter()
        fn(parse=False)
        times.append(time.perf_counter() - t0)
    return times


def url_of(page):
    from urllib.parse import urlencode

    return "/complaints/list/" + (("?" + urlencode(page["args"])) if page["args"] else "")


def bench_pages(app, st, bench_dir):
    from sqlalchemy import create_engine, text

    from app.extensions import db

    with app.app_context():
        app_engine = db.engine
    engine = create_engine(db_url(bench_dir))   # the bare SQL's own pool, same file
    cap_app, cap_bare = SqlCapture(app_engine), SqlCapture(engine)
    with engine.connect() as conn:
        user_ids = {u: conn.execute(text("SELECT id FROM ab_user WHERE username = :u"), {"u": u}).scalar()
                    for u in ("admin", "district1", "street1", "pm_a", "analyst")}
        total = conn.execute(text("SELECT COUNT(*) FROM anju_complaint")).scalar()
    clients = {}
    results = []
    admin = clients.setdefault("admin", login(app, "admin"))

    def home(parse=False):
        if admin.get("/").status_code != 200:
            raise RuntimeError("GET / failed")

    ft = timed(home)
    floor = summary(ft)
    log(f"logged in as admin; {total:,} complaints; request floor GET / {floor['median_ms']:,.1f} ms median")
    for page in define_pages(st, user_ids):
        client = clients.get(page["user"]) or clients.setdefault(page["user"], login(app, page["user"]))
        url = url_of(page)
        ours, bare = http_get(client, url), bare_sql(engine, page)
        problems = []
        with cap_app as app_stmts:
            t0 = time.perf_counter()
            try:
                got = ours()
            except Exception as exc:
                got = exc
            cold_ours = time.perf_counter() - t0
        with cap_bare as bare_stmts:
            t0 = time.perf_counter()
            want = bare()
            cold_bare = time.perf_counter() - t0
        if isinstance(got, Exception):
            problems.append(f"ours: {type(got).__name__}: {got}")
        else:
            if not common.count_agrees(got[0], want[0]):
                problems.append(f"count {got[0]} != bare {want[0]}")
            if got[1] != want[1]:
                problems.append(f"rows differ from bare SQL ({len(got[1])} ids, first {got[1][:3]} vs {want[1][:3]})")
        if page["expect"] is not None and want[0] != page["expect"]:
            problems.append(f"generator made {page['expect']:,} rows for this filter, SQL counts {want[0]:,}")
        if not want[1]:
            problems.append("empty page")
        check = "ok" if not problems else "; ".join(problems)
        log(f"page '{page['label']}': {want[0]:,} matching, {len(want[1])} on the page; check {check}")
        row = {"key": page["key"], "label": page["label"], "user": page["user"], "url": url, "matching": want[0],
               "page_rows": len(want[1]), "check": check, "cold_ms": {"ours": ms(cold_ours), "bare": ms(cold_bare)}}
        row["ours"] = summary(timed(ours)) if not isinstance(got, Exception) else {"median_ms": None, "error": str(got)}
        row["bare"] = summary(timed(bare))
        ob = row["ours"]["median_ms"]
        row["ours_over_bare"] = ob / row["bare"]["median_ms"] if ob is not None and row["bare"]["median_ms"] else None
        # Where the time goes: every SELECT the request ran, replayed with rows fetched + plan.
        row["app_sql"] = {"statements": len(app_stmts),
                          "execute_ms": round(sum(s["ms"] or 0 for s in app_stmts), 2),
                          "kinds": dict(Counter(s["sql"].split(None, 1)[0].upper() for s in app_stmts)),
                          "selects": replay(db_file(bench_dir), app_stmts)}
        row["app_sql"]["replay_ms"] = round(sum(s["replay_ms"] for s in row["app_sql"]["selects"]), 2)
        row["bare_sql"] = {"statements": len(bare_stmts), "selects": replay(db_file(bench_dir), bare_stmts)}
        row["bare_sql"]["replay_ms"] = round(sum(s["replay_ms"] for s in row["bare_sql"]["selects"]), 2)
        if not isinstance(got, Exception):  # one extra, untimed request: where its time goes
            with Breakdown() as parts:
                t0 = time.perf_counter()
                ours(parse=False)
                parts["request_ms"] = round((time.perf_counter() - t0) * 1000, 2)
            row["breakdown"] = parts
        slow = row["app_sql"]["selects"][0] if row["app_sql"]["selects"] else None
        log(f"    ours {fmt_ms(ob)} ms, bare SQL {fmt_ms(row['bare']['median_ms'])} ms "
            f"(medians of {row['bare']['n']}); {len(app_stmts)} statements, SELECTs replayed "
            f"{row['app_sql']['replay_ms']:,.1f} ms" + (f", slowest {slow['replay_ms']:,.1f} ms" if slow else ""))
        results.append(row)
    engine.dispose()
    return results, floor, total


# --- 3. scheduled jobs ------------------------------------------------------------------------

def bench_jobs(app, bench_dir):
    from app.complaints import services
    from app.extensions import db

    out = {}
    path = db_file(bench_dir)

    def count(sql, **params):
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql, params).fetchone()[0]
        finally:
            conn.close()

    with app.app_context():
        engine = db.engine
    cap = SqlCapture(engine)
    counts_sql = {"notices": "SELECT COUNT(*) FROM anju_notice", "sms": "SELECT COUNT(*) FROM anju_sms_outbox",
                  "proposals": "SELECT COUNT(*) FROM anju_credit_proposal",
                  "events": "SELECT COUNT(*) FROM anju_complaint_event"}

    def side_counts():
        got = {}
        for k, sql in counts_sql.items():
            try:
                got[k] = count(sql)
            except sqlite3.Error:
                got[k] = None
        return got

    for name, fn, expect_sql in (
            ("escalate_overdue", services.escalate_overdue,
             "SELECT COUNT(*) FROM anju_complaint WHERE stage IN ('pending', 'processing') AND due_at < :now "
             "AND escalated_at IS NULL"),
            ("auto_close", services.auto_close,
             "SELECT COUNT(*) FROM anju_complaint WHERE stage = 'to_evaluate' AND handled_at <= :cutoff")):
        res = {}
        from app.core.mixins import now as app_now

        moment = app_now()
        stamp = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite
        expected = count(expect_sql, now=moment.strftime(stamp),
                         cutoff=(moment - timedelta(days=AUTO_CLOSE_DAYS)).strftime(stamp))
        before = side_counts()
        for run in ("first", "second"):
            log(f"{name}() ({run} run) ...")
            with app.app_context():
                with cap as stmts:
                    t0 = time.perf_counter()
                    n = fn(moment=moment)
                    took = time.perf_counter() - t0
                db.session.remove()
            selects = [s for s in stmts if s["sql"].lstrip().upper().startswith("SELECT")]
            kinds = Counter(s["sql"].split(None, 1)[0].upper() for s in stmts)
            r = {"count": n, "seconds": took, "rows_per_s": n / took if n and took else None,
                 "statements": len(stmts), "kinds": dict(kinds), "execute_ms": round(sum(s["ms"] or 0 for s in stmts), 1)}
            # The claiming SELECT, replayed on the data as it is now, with its plan.
            claim = next((s for s in selects if "anju_complaint.id" in s["sql"] and "LIMIT" in s["sql"]), None)
            if claim is not None:
                rp = replay(path, [claim])
                r["claim_select"] = rp[0] if rp else None
            res[run] = r
            log(f"  {name}: {n:,} rows in {took:.2f}s" + (f" = {n / took:,.0f} rows/s" if n and took else "")
                + f"; {len(stmts):,} statements ({', '.join(f'{k} {v:,}' for k, v in kinds.most_common())})")
        after = side_counts()
        res["expected"] = expected
        res["side_effects"] = {k: (after[k] - before[k]) if after[k] is not None and before[k] is not None else None
                               for k in after}
        problems = []
        if res["first"]["count"] != expected:
            problems.append(f"first run did {res['first']['count']:,}, {expected:,} were due")
        if res["second"]["count"] != 0:
            problems.append(f"second run did {res['second']['count']:,} (not exactly once)")
        res["check"] = "ok" if not problems else "; ".join(problems)
        out[name] = res
    return out


# --- 4. statistics page, export ------------------------------------------------------------------

def has_route(app, path):
    return any(r.rule.rstrip("/") == path.rstrip("/") for r in app.url_map.iter_rules())


def bench_stats(app, bench_dir):
    from app.extensions import db

    if not has_route(app, "/complaints/stats/"):
        return {"skipped": "the app has no /complaints/stats/ route yet (app/complaints/stats.py is a placeholder)"}
    with app.app_context():
        cap = SqlCapture(db.engine)
    out = {"pages": []}
    for user in ("admin", "district1"):
        client = login(app, user)

        def get(parse=True, client=client):
            resp = client.get("/complaints/stats/")
            if resp.status_code != 200:
                raise RuntimeError(f"GET /complaints/stats/ as {user}: HTTP {resp.status_code}")
            return len(resp.get_data()) if parse else None

        try:
            with cap as stmts:
                size = get()
            res = summary(timed(get))
            selects = replay(db_file(bench_dir), stmts)
            res.update({"user": user, "bytes": size, "statements": len(stmts),
                        "replay_ms": round(sum(x["replay_ms"] for x in selects), 2), "slowest": selects[:3]})
        except Exception as exc:
            res = {"user": user, "error": f"{type(exc).__name__}: {exc}"}
        log(f"/complaints/stats/ as {user}: " + (f"{res['median_ms']:,.1f} ms median" if "median_ms" in res
                                                  else res["error"]))
        out["pages"].append(res)
    return out


def bench_export(app, bench_dir, st):
    import xlsxcheck
    from urllib.parse import urlencode

    if not has_route(app, "/complaints/export/"):
        return [{"skipped": "no /complaints/export/ route"}]
    busy = st["busy_street"]
    # More rows than export.sync_rows (5,000) are exported by a background task: run it inside
    # the click (so the click-to-file time is the export's) and follow the redirect to the file.
    app.config["TASKS_RUN"] = "inline"
    client = login(app, "admin")
    conn = sqlite3.connect(db_file(bench_dir))
    out = []
    for label, args, where, params in (
            ("stage=processing + busy street", {"_flt_0_stage": "processing", "_flt_0_street": busy},
             "stage = 'processing' AND street_code = :s", {"s": busy}),
            ("busy street, all stages", {"_flt_0_street": busy}, "street_code = :s", {"s": busy})):
        expected = conn.execute(f"SELECT COUNT(*) FROM anju_complaint WHERE {where}", params).fetchone()[0]
        url = "/complaints/export/?" + urlencode(args)
        path = os.path.join(bench_dir, f"export-{len(out)}.xlsx")
        log(f"export {label} ({expected:,} rows): GET {url} ...")
        got = common.export_through_task(client, url, path)
        took, written = got["seconds"], got["bytes"]
        res = {"label": label, "url": url, "status": got["status"], "mode": got["mode"], "task_id": got["task_id"],
               "expected_rows": expected, "bytes": written, "seconds": took, "click_s": got["click_s"],
               "download_s": got["download_s"], "ttfb_s": got["ttfb_s"],
               "rows_per_s": expected / took if took else None}
        problems = []
        if got["error"] or got["status"] != 200:
            problems.append(got["error"] or f"HTTP {got['status']}")
        else:
            rows = xlsxcheck.count_rows_fast(path)
            res["xlsx_rows"] = rows
            if rows != expected + 1:
                problems.append(f"file has {rows:,} rows, expected {expected + 1:,} (header + rows)")
        res["check"] = "ok" if not problems else "; ".join(problems)
        log(f"  {written / 1e6:,.2f} MB in {took:.2f}s = {res['rows_per_s']:,.0f} rows/s; check {res['check']}")
        out.append(res)
    conn.close()
    return out


# --- tables ---------------------------------------------------------------------------------------

def print_tables(res):
    g = res["generation"]
    print()
    print(f"### Complaints benchmark: {g['rows']:,} complaints, {RUNS} timed runs per page after 1 warm-up")
    print()
    print("| data | value |")
    print("| --- | --- |")
    if not g.get("reused"):
        print(f"| generation (Core insert, batches of {g['batch']:,}) | {g['rows']:,} rows in {g['seconds']:.1f} s = "
              f"**{g['rows_per_s']:,.0f} rows/s** (making rows {g['make_rows_s']:.1f} s, insert {g['insert_s']:.1f} s, "
              f"{len(g['indexes_rebuilt'])} secondary indexes rebuilt {g['index_s']:.1f} s) |")
    else:
        print(f"| generation | reused the database saved by an earlier run ({g['rows']:,} rows, "
              f"{g['rows_per_s']:,.0f} rows/s then) |")
    print(f"| planner statistics | " + (f"ANALYZE after the load ({g.get('analyze_s') or 0:.1f} s)" if g.get("analyze")
                                        else "none (BENCH_ANALYZE=0; as a database made by the migrations alone)")
          + " |")
    print(f"| database | {g['db_bytes'] / 1e6:,.0f} MB; {g['areas_added']:,} areas ({g['areas_without_street']} without "
          f"street) over {g['streets']} streets; {g['orgs_added']['companies']} companies; "
          f"{g['orgs_added']['government']} street/district offices added |")
    st = g["status"]
    total = g["rows"]
    mix = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(st.items(), key=lambda kv: -kv[1]))
    print(f"| status mix | {mix} |")
    print(f"| open and overdue | {g['open_overdue']:,} ({g['open_overdue'] / total:.1%}); not escalated yet "
          f"{g['open_overdue_not_escalated']:,} ({g['open_overdue_not_escalated'] / total:.1%}) |")
    print(f"| to evaluate past {AUTO_CLOSE_DAYS} days | {g['to_evaluate_past_cutoff']:,} |")
    print(f"| 和平小区 (pm_a) | {g['heping_rows']:,} complaints ({g['events']:,} events); 解放碑商住楼 "
          f"{g['jiefangbei_rows']:,} |")
    print(f"| street1 ({STREET1}) | {g['street1_rows']:,} ({g['street1_rows'] / total:.1%}); pending "
          f"{g['street1_pending']:,} |")
    print(f"| busiest street | {g['busy_street']} {g['busy_street_name']}: {g['busy_street_rows']:,}; processing "
          f"{g['busy_street_processing']:,} |")
    print()
    fl = res["request_floor"]
    print(f"List pages, /complaints/list/ (page size {PSIZE}); median ms (p95 ms). Request floor GET / "
          f"{fmt_ms(fl['median_ms'])} ({fmt_ms(fl['p95_ms'])}).")
    print()
    print("| page | matching | ours ms | bare SQL ms | ours/bare | statements | SELECTs replayed ms | "
          "slowest app SELECT ms | check |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in res["pages"]:
        o, b = r["ours"], r["bare"]
        ob = r["ours_over_bare"]
        sel = r["app_sql"]["selects"]
        mark = "" if ob is None or ob <= TEN_X else " **>10x**"
        print(f"| {r['label']} | {r['matching']:,} | {fmt_ms(o['median_ms'])} ({fmt_ms(o.get('p95_ms'))}) | "
              f"{fmt_ms(b['median_ms'])} ({fmt_ms(b['p95_ms'])}) | "
              f"{(f'{ob:.1f}x' if ob is not None else '-')}{mark} | {r['app_sql']['statements']} | "
              f"{r['app_sql']['replay_ms']:,.1f} | {(fmt_ms(sel[0]['replay_ms']) if sel else '-')} | {r['check']} |")
    print()
    print("Where a page's time goes (one extra, untimed request each, parts timed by wrappers): the search form "
          "with its relation <select>s (of which: the related-row queries + ORM load, one <option> per row, and "
          "FAB's get_related_interface() per option), the audit entry + COMMIT of a list with full personal data, "
          "rows reloaded because that COMMIT expired them, the list table.")
    print()
    print("| page | request ms | SELECTs replayed ms | search form ms | option queries ms (options) | "
          "get_related_interface calls (ms) | audit + COMMIT ms | reloads after COMMIT ms (n) | list table ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in res["pages"]:
        b = r.get("breakdown")
        if not b:
            continue
        print(f"| {r['label']} | {fmt_ms(b['request_ms'])} | {r['app_sql']['replay_ms']:,.1f} | "
              f"{fmt_ms(b['search_form']['ms'])} | {fmt_ms(b['option_queries']['ms'])} ({b['options']['n']:,}) | "
              f"{b['get_related_interface']['calls']:,} ({fmt_ms(b['get_related_interface']['ms'])}) | "
              f"{fmt_ms(b['audit_commit']['ms'])} | {fmt_ms(b['reloads_after_commit']['ms'])} "
              f"({b['reloads_after_commit']['calls']}) | {fmt_ms(b['list_table']['ms'])} |")
    print()
    print("Slowest SELECT of each page as the app ran it (replayed with rows fetched) and the bare page query:")
    for r in res["pages"]:
        sel = r["app_sql"]["selects"]
        if not sel:
            continue
        s = sel[0]
        print(f"- **{r['label']}**: {s['replay_ms']:,.1f} ms `{short_sql(s['sql'], 220)}`")
        print(f"  plan: {' | '.join(s['plan'])}")
        bsel = [x for x in r["bare_sql"]["selects"] if "count(" not in x["sql"].lower()]
        if bsel:
            print(f"  bare page query {bsel[0]['replay_ms']:,.1f} ms, plan: {' | '.join(bsel[0]['plan'])}")
    jobs = res.get("jobs") or {}
    if jobs:
        print()
        print("| job | run | rows | seconds | rows/s | statements | check |")
        print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
        for name, j in jobs.items():
            for run in ("first", "second"):
                x = j[run]
                rate = f"{x['rows_per_s']:,.0f}" if x["rows_per_s"] else "-"
                verdict = j["check"] if run == "first" else ("exactly once" if x["count"] == 0 else "NOT exactly once")
                print(f"| {name}() | {run} | {x['count']:,} | {x['seconds']:.3f} | {rate} | {x['statements']:,} | "
                      f"{verdict} |")
        for name, j in jobs.items():
            se = ", ".join(f"{k} +{v:,}" for k, v in j["side_effects"].items() if v)
            claim = j["first"].get("claim_select") or {}
            empty = j["second"].get("claim_select") or {}
            print(f"- {name}: {j['expected']:,} due; written: {se or 'nothing else'}; claiming SELECT "
                  f"(replayed after the runs, nothing left to claim) {fmt_ms(empty.get('replay_ms'))} ms, plan "
                  f"`{' | '.join(empty.get('plan') or claim.get('plan') or [])}`")
    print()
    stats = res.get("stats") or {}
    if stats.get("skipped"):
        print(f"Statistics page: SKIPPED: {stats['skipped']}")
    else:
        for p in stats.get("pages", []):
            print(f"Statistics page /complaints/stats/ as {p['user']}: "
                  + (f"{fmt_ms(p['median_ms'])} ms median ({fmt_ms(p['p95_ms'])} p95), {p['bytes']:,} bytes; "
                     f"{p['statements']} statements, SELECTs replayed {p['replay_ms']:,.1f} ms"
                     if "median_ms" in p else f"FAILED: {p['error']}"))
            for x in p.get("slowest", [])[:2]:
                print(f"  - {x['replay_ms']:,.1f} ms `{short_sql(x['sql'], 160)}` plan: {' | '.join(x['plan'])}")
    exports = res.get("export")
    if isinstance(exports, dict) and exports.get("skipped"):
        print(f"Export: SKIPPED: {exports['skipped']}")
    elif exports:
        print()
        print("| export as admin | rows | how | MB | seconds (click to file) | first byte s | rows/s | check |")
        print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
        for e in exports:
            if e.get("skipped"):
                print(f"| - | | | | | | | SKIPPED: {e['skipped']} |")
                continue
            how = (f"task {e.get('task_id')} (inline) + download" if e.get("mode") == "task"
                   else "at once")
            print(f"| {e['label']} | {e['expected_rows']:,} | {how} | {e['bytes'] / 1e6:,.2f} | {e['seconds']:.2f} | "
                  f"{e['ttfb_s'] or 0:.2f} | {e['rows_per_s']:,.0f} | {e['check']} |")


# --- main -----------------------------------------------------------------------------------------

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
    results["complaints"] = res
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
        bench_dir = tempfile.mkdtemp(prefix="anju-bench-complaints-")
        made_dir = True
    bench_dir = os.path.abspath(bench_dir)
    import sqlalchemy

    res = {"started": datetime.now().isoformat(timespec="seconds"), "bench_dir": bench_dir,
           "settings": {"complaints": N, "areas": N_AREAS, "companies": N_COMPANIES, "runs": RUNS, "batch": BATCH,
                        "deep_page": DEEP_PAGE, "analyze": DO_ANALYZE, "seed": SEED},
           "env": {"loadavg_start": os.getloadavg(), "python": platform.python_version(),
                   "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__, "cpus": os.cpu_count()},
           "code": code_version()}
    log(f"Complaints benchmark at {res['code']['commit']}"
        f"{' + uncommitted app changes' if res['code']['app_modified'] else ''}: {N:,} complaints, {RUNS} runs per "
        f"page; scratch dir {bench_dir}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    failed = False
    app, st = build(bench_dir)
    res["generation"] = st
    pages, floor, total = bench_pages(app, st, bench_dir)
    res["pages"], res["request_floor"], res["complaints_in_db"] = pages, floor, total
    failed |= any(p["check"] != "ok" for p in pages)
    res["jobs"] = bench_jobs(app, bench_dir)
    failed |= any(j["check"] != "ok" for j in res["jobs"].values())
    res["stats"] = bench_stats(app, bench_dir)
    if DO_EXPORT:
        res["export"] = bench_export(app, bench_dir, st)
        failed |= any(e.get("check") not in (None, "ok") for e in res["export"])
    else:
        res["export"] = {"skipped": "BENCH_EXPORT=0"}
    res["total_s"] = time.perf_counter() - t_start
    res["loadavg_end"] = os.getloadavg()
    out = save(res)
    print_tables(res)
    print()
    print(f"Complaints benchmark: {res['total_s'] / 60:.1f} min; load average at the end {res['loadavg_end'][0]:.2f} "
          f"(other work on this machine skews the timings); results under \"complaints\" in {out}")
    if made_dir and not KEEP:
        shutil.rmtree(bench_dir, ignore_errors=True)
    elif os.environ.get("BENCH_FROM_RUN") != "1":
        print(f"Scratch files kept in {bench_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
