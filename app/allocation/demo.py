"""Demo data of 保障房配租 (issue 15; seed 002), loaded by ``flask seed demo`` (app/cli.py
load_demo) and so by ``make run`` and the test database. Idempotent: what is there already is
left alone (plans by their number, persons by their account).

What a newcomer finds (password of every demo account: the demo password, ``Anju@2026``):

* **anyone, no login** — 保障房配租 portal ``/allocation/``: the OPEN plan
  《2026年第一批保障性租赁住房专项配租》 (number ``CQ2026-01``, window from yesterday 09:00 for
  ten days) with its 《配租公告》, two projects (渝中·化龙桥安居苑 in 渝中区, 渝北·悦来人才公寓
  in 渝北区) with photos, 交通, unit types (户型图, 室内照片, 租金清单), the 登记倒计时 and
  已登记人数 (about 300 demo families registered); and the FINISHED plan
  《2025年第四批保障性租赁住房专项配租》 (``CQ2025-04``), drawn with the public digits
  E = ``305871``: its 资格公示名单, 结果公示 and lottery files. Download
  ``lottery-CQ2025-04.zip`` from its page and run
  ``python3 scripts/verify_lottery.py lottery-CQ2025-04.zip``: it says 结果：一致.
* **applicant1** (王小六, 居民身份证 ``500108199203150013``, mobile 13800000016, real-name
  verified) — has filled in 信息填报 for the open plan but has NOT registered: open the plan
  and click 立即登记 at once; then 配租记录 (目前进度, 导出pdf) and 取消登记 while the window
  is open.
* **public1** (李四, not real-name verified) — sees the plans, but 信息填报 and 立即登记 send
  them to 去实名 first (李四, ``500103199005210028`` is in the real-name registry).
* **alloc_admin** (配租管理员, 重庆市住房保障中心, the whole city) — the console's 保障房配租
  menu: both plans, their projects, unit types, rules and priority group (优先家庭: families
  of three or more, drawn first); the open plan's registrations (待审核 and those refused by
  the screening, ~10%, with their reasons; a few 已取消登记); the finished plan's review (a
  few 审核不通过 with the reason, one refusal admitted by human review and one upheld), its
  publicity with an objection decided, the frozen pools, the draw and the results.

The demo families are public accounts ``alloc_demo_001`` … ``alloc_demo_300`` (real-name
verified; mobiles 13620000001 …; ID numbers of 沙坪坝/九龙坡/南岸/巴南, areas no test uses).
Everything that has a rule goes through the services (the plans console's save_plan /
save_project / save_unit / add_files / add_rule / save_group, plans.publish, filings.clean (filings.save for applicant1), registrations.register /
request_review / decide_appeal / review / start_publicity / object_to / decide_objection,
lottery.freeze / draw / publish_results, the window job's sync_windows) with the module's clock
moved to the moment it happened. Loading it all takes a few seconds (about 450 audited
registrations, each committed by the service).
"""
import contextlib
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.allocation.demo_pictures import exterior_photo, floor_plan, id_card_picture, interior_photo
from app.extensions import db

OPEN_CODE = "CQ2026-01"
OPEN_TITLE = "2026年第一批保障性租赁住房专项配租"
FINISHED_CODE = "CQ2025-04"
FINISHED_TITLE = "2025年第四批保障性租赁住房专项配租"
REGION = "500000"
ENTROPY = "305871"
WITNESSES = "重庆市渝中公证处公证员2名、申请人代表3名、市住房保障中心纪检监察人员1名"
PERSONS = 300                 # demo families registered in the open plan
FINISHED_PERSONS = 80         # of them, those who also took part in the finished plan
USERNAME = "alloc_demo_{:03d}"
CANCELLED = (17, 118, 219)    # families who cancel their registration of the open plan
CONTACT = {"contact_phone": "023-63861520",
           "contact_hours": "登记期间工作日 9:00—12:00、13:30—17:00",
           "contact_address": "重庆市渝中区中山三路131号 重庆市住房保障中心一楼服务大厅"}
APPLICANT = {"username": "applicant1", "name": "王小六", "first17": "50010819920315001", "mobile": "13800000016"}
# ID numbers of the demo families: districts no test module uses for persons.
ID_AREAS = ("500106", "500107", "500108", "500113")
HUKOU_DISTRICTS = ("500103", "500112", "500106", "500107", "500108", "500113", "500104", "500109", "500103",
                   "500112")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌鑫宇浩然思雨欣怡子涵晨阳俊峰丹凤"
EMPLOYERS = ["重庆长安汽车股份有限公司", "重庆市第一人民医院", "重庆大学", "重庆银行股份有限公司", "重庆轨道交通（集团）有限公司",
             "重庆京东方光电科技有限公司", "重庆市渝中区人民小学", "重庆猪八戒网络有限公司", "重庆新华书店集团公司",
             "重庆两江新区市场监督管理局", "重庆小面餐饮管理有限公司", "重庆顺丰速运有限公司", "重庆市急救医疗中心",
             "重庆百货大楼股份有限公司", "个体经营"]
ROADS = ["中山一路", "民族路", "解放西路", "观音桥步行街", "金开大道", "红锦大道", "三峡广场", "杨家坪正街", "南坪正街",
         "龙头寺路", "五里店路", "石桥铺路", "李家沱正街", "融侨半岛路"]
RESIDENCES = ["租住", "租住（合租）", "单位宿舍", "借住亲友家", "租住城中村自建房"]

RULES = [
    ("hukou_type", "in", ["local", "residence_permit"], "申请人须具有本市户籍或持有本市有效居住证"),
    ("housing_status", "eq", "none", "申请家庭在本市无自有住房"),
    ("applicant_age", "ge", "18", "申请人须年满18周岁"),
    ("per_capita_income", "le", "100000", "家庭人均年收入须不高于10万元"),
]
PRIORITY = ("priority", "优先家庭", 1, [("family_size", "ge", "3", "三人及以上家庭")])

# (name, district, address, intro, traffic, [(unit name, layout, area, rent from, rooms)])
OPEN_PROJECTS = [
    ("渝中·化龙桥安居苑", "500103", "重庆市渝中区化龙桥街道红岩村路88号",
     "项目位于渝中区化龙桥片区，由市住房保障中心统一筹集运营，共3栋、房源均为全装修，配齐空调、热水器、"
     "衣柜和基本厨具，拎包入住。小区设有智能门禁、快递柜、共享洗衣房和社区食堂，物业24小时服务。",
     "轨道交通1号线、9号线化龙桥站步行约600米；公交化龙桥站有181、215、461路；距解放碑约15分钟车程。"
     "周边有重庆天地商圈、红岩村小学、渝中区人民医院化龙桥分院。",
     [("A户型", "一室一厅一卫", "35.60", "1350", 12), ("B户型", "两室一厅一卫", "56.20", "1980", 10),
      ("C户型", "三室一厅一卫", "78.40", "2680", 8)]),
    ("渝北·悦来人才公寓", "500112", "重庆市渝北区悦来街道悦港北路66号",
     "项目位于两江新区悦来会展城，毗邻重庆国际博览中心，为面向新市民、青年人的人才公寓，"
     "共2栋高层，配有共享书房、健身房、儿童游乐区和地面、地下停车位。",
     "轨道交通6号线、10号线悦来站步行约500米；公交悦来站有622、682路；至江北国际机场约25分钟车程。"
     "周边有悦来中小学、会展公园和嘉陵江滨江步道。",
     [("A户型", "开间一卫", "28.30", "880", 14), ("B户型", "一室一厅一卫", "42.50", "1260", 10)]),
]
FINISHED_PROJECTS = [
    ("渝中·大坪安居公寓", "500103", "重庆市渝中区大坪街道大黄路56号",
     "项目位于大坪商圈，全装修交付，配置空调、热水器、衣柜等基本家具家电，小区设有社区服务站。",
     "轨道交通1号线、2号线大坪站步行约400米；周边有时代天街、大坪医院。",
     [("A户型", "一室一厅一卫", "39.80", "1420", 10), ("B户型", "两室一厅一卫", "58.60", "2050", 8)]),
    ("渝北·礼嘉青年社区", "500112", "重庆市渝北区礼嘉街道礼仁路12号",
     "项目位于礼嘉智慧公园旁，面向青年人和新市民，设有共享厨房、自习室和健身房。",
     "轨道交通6号线礼嘉站步行约700米；周边有礼嘉天街、礼嘉智慧公园。",
     [("A户型", "开间一卫", "30.20", "950", 12), ("B户型", "一室一厅一卫", "44.70", "1320", 10)]),
]
# (screening reason appealed, the family's request) and the centre's decisions, in order.
APPEALS = [("家庭人均年收入须不高于10万元", "我家的年收入里包含一次性拆迁补偿款，不属于经常性收入，请人工复核。"),
           ("申请家庭在本市无自有住房", "我已于上月将名下住房过户给父母，请人工复核。")]
APPEAL_DECISIONS = [(True, "经核实，一次性拆迁补偿款不计入家庭经常性收入，准予登记。"),
                    (False, "经不动产登记信息核查，过户手续尚未办结，申请家庭在本市仍有自有住房，维持原筛查结果。")]
REJECT_REASONS = ["社保缴纳记录与填报的社保月数不符，经通知未在规定期限内补正",
                  "经不动产登记信息核查，申请家庭成员在本市有自有住房",
                  "收入证明材料不完整，经通知未在规定期限内补正",
                  "填报的家庭成员与户籍信息不一致"]


# --- the clock ------------------------------------------------------------------------------------

@contextlib.contextmanager
def _at(moment):
    """The module's clock set to ``moment`` (as tests/allocation/helpers.py ``at`` does)."""
    from app.allocation import clock

    original = clock.now
    clock.now = lambda: moment
    try:
        yield moment
    finally:
        clock.now = original


def _now():
    return datetime.now().replace(microsecond=0)


# --- plans ------------------------------------------------------------------------------------------

def _announcement(title, start, end, projects, homes):
    names = "、".join(f"{'渝中区' if p[1] == '500103' else '渝北区'}“{p[0]}”" for p in projects)
    return f"""{title}公告

为解决新市民、青年人等群体的阶段性住房困难，根据《重庆市保障性租赁住房管理办法》等规定，重庆市住房保障中心组织开展{title}工作。现将有关事项公告如下：

一、房源情况
本批次共提供房源{homes}套，分布在{names}，户型、面积、租金及租金清单详见各项目的“项目详情”和“户型详情”页面。

二、配租对象与条件
申请人须同时符合以下条件：
（一）具有本市户籍，或持有本市有效居住证；
（二）申请人年满18周岁，具有完全民事行为能力；
（三）申请家庭在本市无自有住房；
（四）申请家庭人均年收入不高于10万元。
三人及以上家庭列为“优先家庭”，单独分组并先于普通家庭摇号。

三、登记方式
（一）登记时间：{_day(start)} {start:%H:%M}至{_day(end)} {end:%H:%M}。
（二）申请人在本平台注册并完成实名认证后，先进行“信息填报”：家庭成员及身份证号码、户籍、工作单位、收入、住房情况、联系方式，并上传证件证明材料；再于登记时间内在配租计划或项目详情页点击“立即登记”。
（三）系统按填报信息进行资格初筛，不符合条件的不能登记并显示原因；对自动筛查结果有异议的，可在“配租记录”中申请人工复核。
（四）每个家庭限登记一次。登记后需修改填报信息的，须先“取消登记”后重新填报、重新登记；登记结束后不能取消登记。
（五）登记成功后系统发送短信告知登记编号，可在“配租记录”中查看目前进度、不通过原因，并导出pdf。

四、审核与公示
登记结束后进行资格审核，审核结果在“配租记录”中查看。审核通过的登记编号名单（不显示姓名、证件号码）公示5个工作日，公示期间对名单有异议的，可登录后在公示页面提出。

五、摇号规则
（一）按“优先家庭”“普通家庭”的顺序分组摇号，按摇号顺序确定选房顺序，超出房源数量的为轮候家庭。
（二）摇号采用可公开验证的方法（housing-lottery/v1）：发布本计划时公布承诺值C；公示结束后冻结并公布各组登记编号名单及其哈希值；摇号现场公开秘密值S，由申请人代表当场摇出公开随机数E，系统据此计算排序。全部文件在计划页面公开，任何人均可使用核验工具重新计算并核对结果。
（三）摇号在公证机构监督下进行，结果公示5个工作日。

六、服务联系方式
咨询电话：{CONTACT['contact_phone']}（{CONTACT['contact_hours']}）
服务地址：{CONTACT['contact_address']}
技术支持：登录、实名认证或填报遇到问题，请在服务时间内拨打咨询电话。

重庆市住房保障中心
{_day(start - timedelta(days=7))}"""


def _day(moment):
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _rent_list(project_no, unit_no, area, rent, rooms, seed):
    rnd = random.Random(seed)
    out = []
    base_area, base_rent = Decimal(area), Decimal(rent)
    building = 1 + unit_no % 3
    for i in range(rooms):
        floor = 2 + (i * 3 + rnd.randint(0, 2)) % 28
        extra = Decimal(rnd.randint(0, 180)) / 100
        out.append({"room": f"{building}-{1 + i % 2}-{floor:02d}{(i % 4) + 1:02d}", "floor": floor,
                    "area": str((base_area + extra).quantize(Decimal("0.01"))),
                    "rent": str((base_rent + Decimal(floor * 5) + extra * 30).quantize(Decimal("1")) + Decimal("0.00"))})
    return sorted(out, key=lambda r: (r["floor"], r["room"]))


def _new_plan(admin, code, title, start, end, projects, photo_seed, photos=True):
    """A draft plan with its projects, unit types (rent lists, photos), rules and priority group,
    entered as the staff console enters them: through the plans services' draft edits
    (save_plan, save_project, save_unit, add_files, add_rule, save_group)."""
    from app.allocation.plans import services as plans

    homes = sum(u[4] for p in projects for u in p[5])
    stamp = "%Y-%m-%d %H:%M:%S"
    plan = plans.save_plan(admin, None, dict(
        code=code, title=title, region_code=REGION, announcement=_announcement(title, start, end, projects, homes),
        reg_start=start.strftime(stamp), reg_end=end.strftime(stamp), **CONTACT))
    for p_no, (name, district, address, intro, traffic, units) in enumerate(projects):
        project = plans.save_project(admin, plan, None, {"name": name, "district_code": district, "address": address,
                                                         "intro": intro, "traffic": traffic, "sort_order": p_no})
        for u_no, (u_name, layout, area, rent, rooms) in enumerate(units):
            rent_list = _rent_list(p_no, u_no, area, rent, rooms, photo_seed + p_no * 10 + u_no)
            plans.save_unit(admin, plan, project, None, {
                "name": u_name, "layout": layout, "area": area, "rent": min(Decimal(r["rent"]) for r in rent_list),
                "count": len(rent_list), "rent_list": plans.rent_list_text(rent_list), "sort_order": u_no,
                "description": f"{layout}，建筑面积约{area}㎡，全装修，配空调、热水器、衣柜、床和基本厨具。"})
    for field, op, value, reason in RULES:
        plans.add_rule(plan, field, op, value, reason)
    g_code, g_name, g_order, conditions = PRIORITY
    group = plans.save_group(plan, None, {"code": g_code, "name": g_name, "draw_order": g_order})
    for field, op, value, reason in conditions:
        plans.add_rule(plan, field, op, value, reason, group=group)
    if photos:
        for p_no, project in enumerate(plan.projects):
            plans.add_files(admin, plan, project, plans.PROJECT_PHOTO, [
                (f"{project.name}-实景{k + 1}.jpg", exterior_photo(photo_seed + p_no * 7 + k)) for k in range(3)])
            for u_no, unit in enumerate(project.unit_types):
                rooms = {"开": 0, "一": 1, "两": 2, "三": 3}.get(unit.layout[0], 2)
                plans.add_files(admin, plan, unit, plans.UNIT_PLAN,
                                [(f"{project.name}-{unit.name}户型图.png", floor_plan(rooms, photo_seed + u_no))])
                plans.add_files(admin, plan, unit, plans.UNIT_PHOTO, [
                    (f"{project.name}-{unit.name}室内{k + 1}.jpg", interior_photo(photo_seed + p_no * 31 + u_no * 5 + k))
                    for k in range(2)])
    db.session.flush()
    return plan


def _plan_by_code(code):
    from app.allocation.plans.models import AllocationPlan

    return db.session.execute(select(AllocationPlan).where(AllocationPlan.code == code)).scalar_one_or_none()


# --- the demo families ------------------------------------------------------------------------------

def _id(first17):
    from app.core.validators import id_check_char

    return first17 + id_check_char(first17)


def profile(n):
    """Demo family ``n`` (1-based), the same on every run: the person and what they file.
    Every tenth family (n % 10 == 3) fails one rule, in turn: income, housing, household
    registration, age."""
    rnd = random.Random(15000 + n)
    area = ID_AREAS[n % len(ID_AREAS)]
    refuse = ("income", "housing", "hukou", "age")[(n // 10) % 4] if n % 10 == 3 else None
    if refuse == "age":
        birth = date(2009, 1 + n % 12, 1 + n % 28)
    else:
        birth = date(rnd.randint(1968, 2002), rnd.randint(1, 12), rnd.randint(1, 28))
    name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.6 else "")
    married = refuse != "age" and birth.year < 1996 and rnd.random() < 0.7
    members = []
    if married:
        s_birth = date(min(2002, birth.year + rnd.randint(-4, 4)), rnd.randint(1, 12), rnd.randint(1, 28))
        members.append({"name": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN), "id_type": "resident_id",
                        "id_number": _id(f"{area}{s_birth:%Y%m%d}{(n + 400) % 1000:03d}"), "relation": "spouse",
                        "birth_date": "", "employer": rnd.choice(EMPLOYERS),
                        "annual_income": str(rnd.randint(30, 90) * 1000)})
        for k in range(rnd.choice((0, 1, 1, 2))):
            c_birth = date(max(birth.year + 22, 2008) + rnd.randint(0, 8), rnd.randint(1, 12), rnd.randint(1, 28))
            if c_birth >= date(2024, 1, 1):
                continue
            members.append({"name": name[0] + rnd.choice(GIVEN) + rnd.choice(GIVEN), "id_type": "resident_id",
                            "id_number": _id(f"{area}{c_birth:%Y%m%d}{(n + 600 + k * 100) % 1000:03d}"),
                            "relation": "child", "birth_date": "", "employer": "", "annual_income": ""})
    size = 1 + len(members)
    per_capita = rnd.randint(22, 88) * 1000
    if refuse == "income":
        per_capita = rnd.randint(105, 160) * 1000
    hukou = "other" if refuse == "hukou" else ("local" if rnd.random() < 0.6 else "residence_permit")
    district = rnd.choice(HUKOU_DISTRICTS)

    data = {
        "mobile": f"1362{n:07d}",
        "address": f"重庆市{rnd.choice(ROADS)}{rnd.randint(1, 300)}号{rnd.randint(1, 12)}-{rnd.randint(1, 30)}-{rnd.randint(1, 8)}",
        "marital_status": "married" if married else "single",
        "hukou_type": hukou, "hukou_district": district,
        "employer": rnd.choice(EMPLOYERS) if refuse != "age" else "",
        "social_security_months": str(0 if refuse == "age" else rnd.randint(6, 180)),
        "annual_income": str(per_capita * size if refuse != "age" else 0),
        "housing_status": "owns" if refuse == "housing" else "none",
        "owned_area": str(rnd.randint(60, 120)) if refuse == "housing" else "",
        "current_residence": rnd.choice(RESIDENCES),
        "birth_date": "",
    }
    return {"n": n, "username": USERNAME.format(n), "name": name, "id_number": _id(f"{area}{birth:%Y%m%d}{n % 1000:03d}"),
            "mobile": data["mobile"], "data": data, "members": members, "refuse": refuse,
            "project": n % 2}


def _ensure_persons(count, password_hash):
    """The demo families' public accounts with real-name-verified persons; {n: (user, person)}."""
    from flask import current_app

    from app.accounts.models import Person, RealnameStatus

    sm = current_app.appbuilder.sm
    role = sm.find_role("public")
    names = [USERNAME.format(n) for n in range(1, count + 1)]
    existing = {u.username: u for u in db.session.execute(
        select(sm.user_model).where(sm.user_model.username.in_(names))).scalars()}
    persons = {}
    if existing:
        persons = {p.user_id: p for p in db.session.execute(select(Person).where(
            Person.user_id.in_([u.id for u in existing.values()]))).scalars()}
    people = {}
    stamp = _now()
    for n in range(1, count + 1):
        username = USERNAME.format(n)
        user = existing.get(username)
        if user is None:
            p = profile(n)
            user = sm.add_user(username, p["name"], "", f"{username}@demo.anju.invalid", role,
                               hashed_password=password_hash, commit=False, mobile=p["mobile"],
                               must_change_password=False)
            db.session.flush()
        person = persons.get(user.id)
        if person is None:
            p = profile(n)
            person = Person(user_id=user.id, name=p["name"], id_type="resident_id", id_number=p["id_number"],
                            mobile=p["mobile"], realname_status=RealnameStatus.VERIFIED, realname_at=stamp)
            db.session.add(person)
        people[n] = (user, person)
    db.session.commit()
    return people


def _ensure_applicant(password):
    """applicant1 (王小六): a public account, real-name verified, in the real-name registry."""
    from flask import current_app

    from app.accounts.models import Person, RealnameRegistry, RealnameStatus

    sm = current_app.appbuilder.sm
    user = sm.find_user(username=APPLICANT["username"])
    number = _id(APPLICANT["first17"])
    if user is None:
        user = sm.add_user(APPLICANT["username"], APPLICANT["name"], "", "applicant1@demo.anju.invalid",
                           sm.find_role("public"), password=password, mobile=APPLICANT["mobile"],
                           must_change_password=False)
    if db.session.execute(select(Person).where(Person.user_id == user.id)).first() is None:
        db.session.add(Person(user_id=user.id, name=APPLICANT["name"], id_type="resident_id", id_number=number,
                              mobile=APPLICANT["mobile"], realname_status=RealnameStatus.VERIFIED,
                              realname_at=_now()))
    if db.session.execute(select(RealnameRegistry).where(RealnameRegistry.id_number == number)).first() is None:
        db.session.add(RealnameRegistry(name=APPLICANT["name"], id_type="resident_id", id_number=number,
                                        source="演示数据"))
    db.session.commit()
    return user


def _file(user, plan, p, document, moment, person):
    """信息填报 for a demo family, fast: the values checked by the filing service's own
    ``filings.clean`` and stored as ``filings.save`` stores them (one 证件证明 each), without
    the service's per-call look-ups (real-name, lock, previous filing), which hold for a
    demo family by construction. applicant1's filing goes through ``filings.save`` itself."""
    from app.allocation.filings import services as filings
    from app.allocation.filings.models import ApplicantFiling, FamilyMember
    from app.core import uploads

    with _at(moment):
        filings.check_plan_accepts_filings(plan, moment)
        values, members = filings.clean(dict(p["data"]), [dict(m) for m in p["members"]], person)
        filing = ApplicantFiling(plan_id=plan.id, user_id=user.id, region_code=plan.region_code, name=person.name,
                                 id_type=person.id_type, id_number=person.id_number, submitted_at=moment,
                                 **values)
        filing.members = [FamilyMember(user_id=user.id, **m) for m in members]
        db.session.add(filing)
        db.session.flush()
        uploads.save((filings.DOCUMENT_LABEL + ".jpg", document), label=filings.DOCUMENT_LABEL, owner=filing,
                     user=user)
    return filing


def _register(user, plan, p, moment):
    from app.allocation.registrations import services as registrations

    project = plan.projects[p["project"] % len(plan.projects)]
    with _at(moment):
        return registrations.register(user, plan.id, project.id, moment=moment)


def _file_and_register(plan, people, numbers, filed_at, registered_at):
    """Families ``numbers`` file (at ``filed_at(n)``) and register (at ``registered_at(n)``)
    for ``plan``, skipping what they did already; {n: (registration id, status)} of those
    registered now (ids only: a session holding hundreds of rows flushes slower)."""
    from app.allocation.filings.models import ApplicantFiling
    from app.allocation.registrations.models import Registration

    taken = set(db.session.execute(select(Registration.user_id).where(Registration.plan_id == plan.id)).scalars())
    filed = set(db.session.execute(select(ApplicantFiling.user_id).where(
        ApplicantFiling.plan_id == plan.id)).scalars())
    document = id_card_picture()
    out = {}
    for n in numbers:
        user, person = people[n]
        if user.id in taken:
            continue
        p = profile(n)
        if user.id not in filed:
            _file(user, plan, p, document, filed_at(n), person)
        reg = _register(user, plan, p, registered_at(n))
        out[n] = (reg.id, reg.status)
    return out


# --- the finished plan: 2025年第四批 -----------------------------------------------------------------

def _finished_dates():
    """The finished plan's calendar: late 2025 (or, on a clock before 2026, 120 days back)."""
    now = _now()
    base = datetime(2025, 10, 20, 10, 0) if now >= datetime(2026, 1, 15) else (now - timedelta(days=120)).replace(
        hour=10, minute=0, second=0)
    return {"publish": base, "start": base + timedelta(days=7, hours=-1), "end": base + timedelta(days=18, hours=7)}


def load_finished(admin, people):
    """《2025年第四批》: published, registered, closed, reviewed (a few not passed), human
    reviews decided, publicity with an objection, pools frozen, drawn with E = 305871, results
    published and their publicity ended — each step through its service at its own moment."""
    from app.allocation.lottery import services as lottery
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import PlanStatus
    from app.allocation.registrations import services as registrations
    from app.allocation.registrations.models import Objection, Registration, RegStatus

    plan = _plan_by_code(FINISHED_CODE)
    if plan is not None and plan.status == PlanStatus.FINISHED:
        return {"plan": 0}
    days = _finished_dates()
    if plan is None:
        plan = _new_plan(admin, FINISHED_CODE, FINISHED_TITLE, days["start"], days["end"], FINISHED_PROJECTS,
                         photo_seed=2025, photos=True)
        with _at(days["publish"]):
            plans.publish(admin, plan, moment=days["publish"])
        db.session.commit()
    if plan.status == PlanStatus.PUBLISHED:
        with _at(days["start"]):   # the window job at the opening minute
            plans.sync_windows(moment=days["start"])
    done = {"registered": 0}
    if plan.status in (PlanStatus.PUBLISHED, PlanStatus.OPEN):
        done["registered"] = len(_file_and_register(
            plan, people, range(1, FINISHED_PERSONS + 1),
            filed_at=lambda n: days["start"] - timedelta(days=3) + timedelta(minutes=n),
            registered_at=lambda n: days["start"] + timedelta(hours=n % 96, minutes=n * 7 % 60)))
        # 人工复核: two refused families ask for it while the window is open (PIPL §24).
        refused = db.session.execute(select(Registration).where(
            Registration.plan_id == plan.id, Registration.status == RegStatus.REFUSED)
            .order_by(Registration.id)).scalars().all()
        by_id = {u.id: u for u, _p in people.values()}
        for reason, text in APPEALS:
            reg = next((r for r in refused if reason in (r.reasons or [])), None)
            if reg is not None:
                with _at(days["end"] - timedelta(days=2)):
                    registrations.request_review(by_id[reg.user_id], reg.id, text)
        db.session.commit()
        with _at(days["end"] + timedelta(minutes=1)):
            plans.sync_windows(moment=days["end"] + timedelta(minutes=1))
    review_at = days["end"] + timedelta(days=3, hours=-7)
    if plan.status in (PlanStatus.CLOSED, PlanStatus.REVIEW):
        with _at(review_at):
            decisions = {text: (admit, why) for (_r, text), (admit, why) in zip(APPEALS, APPEAL_DECISIONS)}
            for reg in db.session.execute(select(Registration).where(
                    Registration.plan_id == plan.id, Registration.status == RegStatus.APPEALED)
                    .order_by(Registration.id)).scalars().all():
                admit, why = decisions.get(reg.appeal_text, (False, APPEAL_DECISIONS[-1][1]))
                registrations.decide_appeal(admin, reg.id, admit, why)
            pending = db.session.execute(select(Registration.id).where(
                Registration.plan_id == plan.id, Registration.status == RegStatus.PENDING)
                .order_by(Registration.id)).scalars().all()
            rejected = pending[5::17][:len(REJECT_REASONS)]
            for reg_id, reason in zip(rejected, REJECT_REASONS):
                registrations.review(admin, [reg_id], False, reason)
            registrations.review(admin, [i for i in pending if i not in rejected], True)
            db.session.commit()
        with _at(review_at + timedelta(days=4, hours=-1)):
            registrations.start_publicity(admin, plan)
            db.session.commit()
    if plan.status == PlanStatus.PUBLICITY and not db.session.execute(
            select(Objection.id).where(Objection.plan_id == plan.id)).first():
        # 异议: a neighbour objects to one number on the eligible list; the centre dismisses it.
        numbers = registrations.eligible_numbers(plan)
        with _at(plan.publicity_from + timedelta(days=1)):
            objection = registrations.object_to(people[FINISHED_PERSONS + 1][0], plan.id, numbers[len(numbers) // 2],
                                                "据我了解该户在渝北区有一套住房，请核查。")
            db.session.commit()
        with _at(plan.publicity_from + timedelta(days=2)):
            registrations.decide_objection(admin, objection.id, False,
                                           "经不动产登记信息核查，该申请家庭在本市无自有住房，异议不成立。")
            db.session.commit()
    if plan.status == PlanStatus.PUBLICITY:
        with _at(plan.publicity_until + timedelta(hours=1)):
            lottery.freeze(admin, plan)
            db.session.commit()
    if plan.status == PlanStatus.FROZEN:
        draw_at = (plan.frozen_at + timedelta(days=3)).replace(hour=10, minute=0, second=0)   # the Monday after
        with _at(draw_at):
            lottery.draw(admin, plan, ENTROPY, witnesses=WITNESSES)
    if plan.status == PlanStatus.DRAWN:
        with _at(plan.drawn_at + timedelta(hours=2)):
            lottery.publish_results(admin, plan)
            db.session.commit()
    if plan.status == PlanStatus.RESULTS and plan.results_until <= _now():
        with _at(plan.results_until):
            plans.sync_windows(moment=plan.results_until)
    done["plan"] = 1
    done["status"] = plan.status
    return done


# --- the open plan: 2026年第一批 --------------------------------------------------------------------

def _open_dates():
    start = (_now() - timedelta(days=1)).replace(hour=9, minute=0, second=0)
    return start, start + timedelta(days=9, hours=8)     # ten days: yesterday 09:00 to 17:00 on the tenth


def load_open(admin, people):
    """《2026年第一批》: open since yesterday 09:00 for ten days; 300 families filed and
    registered (~10% refused by a rule), three of them cancelled."""
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import PlanStatus
    from app.allocation.registrations import services as registrations
    from app.allocation.registrations.models import RegStatus

    plan = _plan_by_code(OPEN_CODE)
    done = {"plan": 0, "registered": 0, "cancelled": 0}
    if plan is None:
        start, end = _open_dates()
        plan = _new_plan(admin, OPEN_CODE, OPEN_TITLE, start, end, OPEN_PROJECTS, photo_seed=2026)
        published = start - timedelta(days=5)
        with _at(published):
            plans.publish(admin, plan, moment=published)
        db.session.commit()
        with _at(start):
            plans.sync_windows(moment=start)
        done["plan"] = 1
    if plans.window_state(plan, _now()) != "open" or plan.status not in (PlanStatus.PUBLISHED, PlanStatus.OPEN):
        return done   # an old database: the window has passed, the demo stays as it was
    span = max(60, int((_now() - plan.reg_start).total_seconds()) - 600)
    start = plan.reg_start

    def registered_at(n):
        return start + timedelta(seconds=(n * span) // (PERSONS + 1))

    made = _file_and_register(plan, people, range(1, PERSONS + 1),
                              filed_at=lambda n: start - timedelta(days=2) + timedelta(minutes=n),
                              registered_at=registered_at)
    done["registered"] = len(made)
    for n in CANCELLED:                        # 取消登记 a few minutes later
        reg_id, status = made.get(n, (None, None))
        if status == RegStatus.PENDING:
            with _at(registered_at(n) + timedelta(minutes=5)):
                registrations.cancel(people[n][0], reg_id)
            db.session.commit()
            done["cancelled"] += 1
    return done


def load_applicant(user):
    """applicant1's filing for the open plan (not registered: the newcomer clicks 立即登记)."""
    from app.allocation.filings import services as filings

    plan = _plan_by_code(OPEN_CODE)
    if plan is None or filings.filing_of(user, plan) is not None:
        return 0
    from app.allocation.plans import services as plans

    if plans.window_state(plan, _now()) == "after":
        return 0
    data = {"mobile": APPLICANT["mobile"], "address": "重庆市南岸区南坪正街28号3-12-2", "marital_status": "single",
            "hukou_type": "local", "hukou_district": "500108", "employer": "重庆长江轮船有限公司",
            "social_security_months": "64", "annual_income": "72000", "housing_status": "none", "owned_area": "",
            "current_residence": "租住", "birth_date": ""}
    filings.save(user, plan, data, [], files=[(filings.DOCUMENT_LABEL + ".jpg", id_card_picture(6))])
    db.session.commit()
    return 1


def load_demo():
    """Everything above, idempotently; returns what was added."""
    from flask import current_app, g
    from flask_babel import force_locale
    from werkzeug.security import generate_password_hash

    sm = current_app.appbuilder.sm
    admin = sm.find_user(username="alloc_admin")
    if admin is None:
        return {}
    password = current_app.config["DEMO_PASSWORD"]
    g.audit_actor = "seed"
    session = db.session()
    expire = session.expire_on_commit
    # Several hundred commits (each registration commits itself): keep the plan, its rules and
    # the accounts loaded instead of reloading them after every commit.
    session.expire_on_commit = False
    out = {}
    try:
        with force_locale("zh"):
            # One hash for the demo families' accounts (hashing 300 times would take a minute).
            shared_hash = generate_password_hash(
                password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
            people = _ensure_persons(PERSONS, shared_hash)
            out["finished"] = load_finished(admin, people)
            out["open"] = load_open(admin, people)
            out["applicant"] = load_applicant(_ensure_applicant(password))
        db.session.commit()
    finally:
        session.expire_on_commit = expire
    db.session.expire_all()
    return out
