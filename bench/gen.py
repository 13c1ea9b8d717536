"""Fast, realistic audit-log rows with a correct hash chain.

Rows go in with SQLAlchemy Core ``insert()`` (executemany) in batches, one transaction
per batch; the chain head (anju_audit_head id=1) is moved in the same transaction, so
the chain is consistent after every commit and ``flask audit verify`` passes.
"""
import json
import random
import time
from collections import Counter
from datetime import datetime, timedelta

SURNAMES = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou",
            "xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng",
            "liang", "xie", "song", "tang", "han", "feng", "deng", "cao", "peng"]
GIVEN = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong",
         "yan", "jie", "juan", "tao", "ming", "chao", "xiuying", "xia", "ping", "gang",
         "hui", "hong", "bin", "ting", "yu", "hao", "kai", "xin", "lan", "peng", "fei",
         "xue", "bo", "dan", "ning", "rui", "shan", "long", "qing"]

ENTITIES = [  # (model name, Chinese label, weight)
    ("Organization", "机构", 8), ("AnjuUser", "用户", 10), ("RentalContract", "租赁合同", 22),
    ("House", "房源", 18), ("Complaint", "投诉", 12), ("PropertyProject", "物业项目", 8),
    ("CreditRecord", "信用记录", 8), ("DictItem", "字典项", 3), ("Parameter", "系统参数", 2),
    ("Region", "区划", 1), ("Lottery", "摇号批次", 2), ("Staff", "从业人员", 6),
]
ENTITY_NAMES = [e[0] for e in ENTITIES]
ENTITY_WEIGHTS = [e[2] for e in ENTITIES]
ENTITY_ZH = {e[0]: e[1] for e in ENTITIES}

DISTRICTS = ["渝中区", "江北区", "南岸区", "九龙坡区", "沙坪坝区", "渝北区", "巴南区", "北碚区",
             "大渡口区", "两江新区"]
STREETS = ["解放碑街道", "七星岗街道", "观音岩街道", "两路口街道", "大坪街道", "石油路街道",
           "观音桥街道", "南坪街道", "杨家坪街道", "三峡广场街道", "龙溪街道", "回兴街道",
           "鱼洞街道", "天生街道", "新山村街道", "人和街道", "礼嘉街道", "陈家桥街道"]
COMPANY_A = ["安居", "和居", "宜居", "金科", "龙湖", "融创", "华宇", "渝信", "嘉陵", "长嘉",
             "山城", "巴渝", "朝天门", "两江", "鹅岭", "南山", "缙云", "协信", "隆鑫", "东原"]
COMPANY_B = ["物业服务有限公司", "物业管理有限公司", "住房租赁有限公司", "房地产经纪有限公司",
             "置业有限公司", "开发建设有限公司"]
PERSON_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
PERSON_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
FIELDS = ["联系电话", "地址", "法定代表人", "联系人", "租金", "面积", "状态", "备注", "有效期",
          "证件号码", "所属区划", "物业类型", "户型", "楼层", "押金", "合同期限", "评分", "处理意见"]
FIELD_KEYS = ["contact_mobile", "address", "legal_rep", "contact_name", "rent", "area",
              "status", "remark", "valid_until", "id_number", "region_code", "property_type",
              "layout", "floor", "deposit", "term_months", "score", "opinion"]
BROWSERS = ["Chrome 120", "Chrome 126", "Edge 125", "Firefox 128", "360安全浏览器 14",
            "QQ浏览器 12", "微信内置浏览器"]

ACTIONS = [  # action, weight
    ("login", 24), ("logout", 14), ("update", 25), ("create", 12), ("delete", 3),
    ("login_failed", 5), ("export", 4), ("import", 1), ("view_pii", 7), ("locked", 1),
    ("unlocked", 1), ("password_change", 3),
    # Added to AuditAction by the accounts module; weight 0 keeps the generated data (and the
    # random stream) exactly as before, while RowMaker's completeness check still passes.
    ("download", 0), ("helpdesk_lookup", 0), ("helpdesk_resend", 0),
    # Added later (REST calls with a platform key): weight 0 for the same reason.
    ("api_call", 0),
]

# What the benchmark searches for (contains): a street that appears in addresses.
SEARCH_TERM = "解放碑"


def usernames(n=2000, seed=7):
    rnd = random.Random(seed)
    names, seen = [], set()
    while len(names) < n:
        base = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
        name = base
        k = 1
        while name in seen:
            k += 1
            name = f"{base}{k}"
        seen.add(name)
        names.append(name)
    return names


class RowMaker:
    def __init__(self, seed=2026, n_users=2000):
        from app.core.audit import AuditAction

        self.rnd = random.Random(seed)
        self.users = usernames(n_users)
        # A few heavy users (admins, batch jobs), a long tail of occasional ones.
        self.user_weights = [1.0 / (i + 20) ** 0.7 for i in range(n_users)]
        self.user_ids = {u: 1000 + i for i, u in enumerate(self.users)}
        self.user_ip = {u: f"10.{self.rnd.randint(1, 40)}.{self.rnd.randint(0, 255)}."
                           f"{self.rnd.randint(2, 254)}" for u in self.users}
        known = set(AuditAction.ALL)
        self.actions = [a for a, _ in ACTIONS]
        assert set(self.actions) == known, (set(self.actions) ^ known)
        self.action_weights = [w for _, w in ACTIONS]
        self.companies = [d[:-1] + a + b for d in DISTRICTS for a in COMPANY_A for b in COMPANY_B]

    def _person(self):
        r = self.rnd
        return r.choice(PERSON_SURNAMES) + "".join(r.choice(PERSON_GIVEN) for _ in range(r.randint(1, 2)))

    def _address(self):
        r = self.rnd
        return (f"重庆市{r.choice(DISTRICTS)}{r.choice(STREETS)}{r.randint(1, 300)}号"
                f"{r.randint(1, 30)}-{r.randint(1, 12)}")

    def _object_name(self, entity):
        r = self.rnd
        if entity in ("Organization", "PropertyProject"):
            return r.choice(self.companies)
        if entity in ("House", "RentalContract"):
            return self._address()
        if entity in ("AnjuUser", "Staff", "CreditRecord"):
            return self._person()
        if entity == "Complaint":
            return f"TS{r.randint(2025000000, 2026999999)}"
        if entity == "Lottery":
            return f"2026年第{r.randint(1, 12)}批公租房摇号"
        return f"{entity}#{r.randint(1, 999)}"

    def batches(self, n, start_ts, end_ts, batch_size):
        """Yield lists of row dicts (without id/hash); ts increases with the row number."""
        r = self.rnd
        span = (end_ts - start_ts).total_seconds()
        step = span / max(n, 1)
        done = 0
        while done < n:
            size = min(batch_size, n - done)
            users = r.choices(self.users, weights=self.user_weights, k=size)
            actions = r.choices(self.actions, weights=self.action_weights, k=size)
            entities = r.choices(ENTITY_NAMES, weights=ENTITY_WEIGHTS, k=size)
            rows = []
            for j in range(size):
                i = done + j
                ts = start_ts + timedelta(seconds=(i + r.random() * 0.9) * step)
                user, action, entity = users[j], actions[j], entities[j]
                uid = self.user_ids[user]
                ip = self.user_ip[user] if r.random() < 0.9 else f"172.16.{r.randint(0, 31)}.{r.randint(2, 254)}"
                before = after = None
                entity_id = str(r.randint(1, 200_000))
                if action in ("login", "logout", "login_failed", "locked", "unlocked", "password_change"):
                    entity, entity_id = "AnjuUser", str(uid)
                    summary = {
                        "login": f"登录成功（{r.choice(BROWSERS)}）",
                        "logout": "退出登录",
                        "login_failed": f"登录失败：密码错误（第{r.randint(1, 5)}次）",
                        "locked": "连续5次登录失败，账号锁定30分钟",
                        "unlocked": f"管理员解除锁定：{self._person()}",
                        "password_change": "修改密码",
                    }[action]
                    if action == "password_change":
                        before, after = '{"password": "******"}', '{"password": "******"}'
                elif action == "create":
                    name = self._object_name(entity)
                    summary = f"新增{ENTITY_ZH[entity]}：{name}"
                    after = json.dumps({"name": name, "status": "normal", "region_code": "500103"},
                                       ensure_ascii=False, sort_keys=True)
                elif action == "update":
                    k = r.sample(range(len(FIELDS)), r.randint(1, 3))
                    name = self._object_name(entity)
                    summary = f"修改{ENTITY_ZH[entity]}「{name}」：" + "、".join(FIELDS[x] for x in k)
                    before = json.dumps({FIELD_KEYS[x]: str(r.randint(1, 99999)) for x in k},
                                        ensure_ascii=False, sort_keys=True)
                    after = json.dumps({FIELD_KEYS[x]: str(r.randint(1, 99999)) for x in k},
                                       ensure_ascii=False, sort_keys=True)
                elif action == "delete":
                    name = self._object_name(entity)
                    summary = f"删除{ENTITY_ZH[entity]}「{name}」"
                    before = json.dumps({"id": int(entity_id), "name": name}, ensure_ascii=False,
                                        sort_keys=True)
                elif action == "export":
                    summary = f"导出{ENTITY_ZH[entity]} {r.randint(1, 50000)} 行"
                    entity_id = None
                elif action == "import":
                    summary = f"从「{ENTITY_ZH[entity]}导入{r.randint(1, 30)}.xlsx」导入 {r.randint(1, 3000)} 行"
                    entity_id = None
                else:  # view_pii
                    summary = f"查看{ENTITY_ZH[entity]}「{self._object_name(entity)}」完整个人信息：证件号码、联系电话"
                rows.append({"ts": ts, "user_id": uid, "username": user, "ip": ip,
                             "action": action, "entity": entity, "entity_id": entity_id,
                             "summary": summary[:500], "before": before, "after": after})
            done += size
            yield rows


def generate(engine, n, batch_size=20_000, log=print, seed=2026):
    """Append ``n`` chained rows to anju_audit_log; returns stats."""
    from sqlalchemy import func, insert, select, text, update

    from app.core.audit import GENESIS, AuditHead, AuditLog, entry_hash

    log_t, head_t = AuditLog.__table__, AuditHead.__table__
    with engine.begin() as conn:
        head = conn.execute(select(head_t).where(head_t.c.id == 1)).mappings().first()
        max_id = conn.execute(select(func.max(log_t.c.id))).scalar() or 0
        if head is None:
            conn.execute(insert(head_t).values(id=1, last_id=0, last_hash=GENESIS, writes=0))
            head = {"last_id": 0, "last_hash": GENESIS}
        if head["last_id"] != max_id:
            raise RuntimeError(f"audit head last_id={head['last_id']} but max(id)={max_id}")
    prev, next_id = head["last_hash"], max_id + 1
    end_ts = datetime.now().replace(microsecond=0) - timedelta(minutes=5)
    start_ts = end_ts - timedelta(days=365)
    maker = RowMaker(seed=seed)
    user_counts, month_counts, term_count = Counter(), Counter(), 0
    t0 = time.perf_counter()
    t_hash = 0.0
    t_insert = 0.0
    done = 0
    for rows in maker.batches(n, start_ts, end_ts, batch_size):
        th = time.perf_counter()
        for row in rows:
            row["id"] = next_id
            row["prev_hash"] = prev
            prev = row["hash"] = entry_hash(prev, row)
            next_id += 1
            user_counts[row["username"]] += 1
            month_counts[row["ts"].strftime("%Y-%m")] += 1
            if SEARCH_TERM in row["summary"]:
                term_count += 1
        ti = time.perf_counter()
        t_hash += ti - th
        with engine.begin() as conn:
            conn.execute(insert(log_t), rows)
            conn.execute(update(head_t).where(head_t.c.id == 1).values(
                last_id=next_id - 1, last_hash=prev, writes=head_t.c.writes + 1))
        t_insert += time.perf_counter() - ti
        done += len(rows)
        if done == n or (done // batch_size) % 10 == 0:
            el = time.perf_counter() - t0
            log(f"  generated {done:,}/{n:,} rows ({done / el:,.0f} rows/s; build "
                f"{el - t_hash - t_insert:.1f}s, hash {t_hash:.1f}s, insert {t_insert:.1f}s)")
    elapsed = time.perf_counter() - t0
    ta = time.perf_counter()
    from app.core import text_index

    with engine.begin() as conn:
        # The summaries' search index trails the log (app/core/text_index.py): a year of
        # history is indexed, as the writer's catch-ups would have indexed it.
        text_index.catch_up(conn, AuditLog.__tablename__, "summary", limit=None)
    index_s = time.perf_counter() - ta
    ta = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    analyze_s = time.perf_counter() - ta
    return {
        "rows": n, "seconds": elapsed, "rows_per_s": n / elapsed if elapsed else 0,
        "build_s": elapsed - t_hash - t_insert, "hash_s": t_hash, "insert_s": t_insert, "analyze_s": analyze_s,
        "index_s": index_s,
        "first_id": max_id + 1, "last_id": next_id - 1, "last_hash": prev,
        "ts_from": start_ts.isoformat(), "ts_to": end_ts.isoformat(),
        "user_counts": user_counts, "month_rows": dict(month_counts), "search_term": SEARCH_TERM, "search_term_rows": term_count,
    }
