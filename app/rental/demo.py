"""Demo data of the property registry (产权登记): :func:`load_registry` registers about 300
properties in 渝中区 (500103), spread over its streets, idempotently (certificates already
there are left alone).

What a newcomer can verify (住房租赁 → 房源核验, e.g. as ``agency_a`` or ``agent_a``), choosing
房屋区域 渝中区 (and the street, or none) and 证件类型 不动产权证书:

* 产权证号 ``渝（2024）渝中区不动产权第0000001号`` (七星岗街道, 中山一路8号5-2), one owner:
  李四 (the demo person of ``public1``), 居民身份证 ``500103199005210028``  → 核验通过;
* 产权证号 ``渝（2024）渝中区不动产权第0000002号`` (解放碑街道, 民族路166号12-3), two owners:
  张小三 (the demo person of ``pm_a``), 居民身份证 ``500103198503120012``, 50%, and 王建国,
  ``500103197806150011``, 50% → 核验通过 naming either owner or both;
* 产权证号 ``…第0000003号`` is sealed (查封), ``…第0000004号`` and ``…第0000005号`` are mortgaged
  (抵押): verifying them fails with that reason (owners: see the registry page, as gov_admin).

The other certificates (``…第0000006号`` to ``…第0000300号``) have generated owners with valid ID
numbers (gov_admin sees them in full on 住房租赁 → 产权登记).
"""
import random
from decimal import Decimal

from sqlalchemy import select

from app.core.validators import id_check_char
from app.extensions import db

DISTRICT = "500103"
CERT_TYPE = "real_estate"
CERT_FORMAT = "渝（2024）渝中区不动产权第{n:07d}号"


def _id(first17):
    return first17 + id_check_char(first17)


# The two demo persons of app/cli.py DEMO_PERSONS (public1 李四, pm_a 张小三), by their numbers.
LI_SI = {"name": "李四", "id_type": "resident_id", "id_number": _id("50010319900521002")}
ZHANG_XIAOSAN = {"name": "张小三", "id_type": "resident_id", "id_number": _id("50010319850312001")}
WANG_JIANGUO = {"name": "王建国", "id_type": "resident_id", "id_number": _id("50010319780615001")}

#: Two listings a newcomer can verify in the demo (the fields of the 房源核验 form).
DEMO_LISTINGS = [
    {"region_code": "500103001", "cert_type": CERT_TYPE, "cert_no": CERT_FORMAT.format(n=1),
     "address": "重庆市渝中区七星岗街道中山一路8号5-2", "owners": [dict(LI_SI)]},
    {"region_code": "500103003", "cert_type": CERT_TYPE, "cert_no": CERT_FORMAT.format(n=2),
     "address": "重庆市渝中区解放碑街道民族路166号12-3", "owners": [dict(ZHANG_XIAOSAN), dict(WANG_JIANGUO)]},
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志强海燕晓东春林文博雨欣浩然子涵"
_ROADS = ["中山一路", "中山二路", "民族路", "民权路", "邹容路", "较场口", "和平路", "临江路", "解放西路", "长江一路",
          "大坪正街", "石油路", "化龙桥正街", "上清寺路", "两路口正街", "菜园坝正街", "南纪门路", "朝天门大街",
          "人和街", "大溪沟路"]


def _streets(session):
    from app.system.models import Region, RegionLevel

    rows = session.execute(select(Region.code, Region.name).where(
        Region.parent_code == DISTRICT, Region.level == RegionLevel.STREET).order_by(Region.code)).all()
    return rows or [(None, "")]


def _person(rng, n):
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    birth = f"19{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{DISTRICT}{birth}{n % 1000:03d}"
    return {"name": name, "id_type": "resident_id", "id_number": _id(first17)}


def _plan(count, streets):
    """The demo register as data: [(cert number, street code, street name, address, area, use,
    sealed, mortgaged, [owners])], the same on every run (a fixed random seed)."""
    rng = random.Random(20240501)
    plan = []
    for n in range(1, count + 1):
        if n <= len(DEMO_LISTINGS):
            listing = DEMO_LISTINGS[n - 1]
            street = listing["region_code"]
            plan.append((listing["cert_no"], street, listing["address"], Decimal("89.50") if n == 1 else Decimal("126.30"),
                         "residential", False, False,
                         [(o, Decimal(100) / len(listing["owners"])) for o in listing["owners"]]))
            continue
        street, street_name = streets[n % len(streets)]
        road = rng.choice(_ROADS)
        address = f"重庆市渝中区{street_name}{road}{rng.randint(1, 300)}号{rng.randint(1, 32)}-{rng.randint(1, 8)}"
        owners_n = 1 if rng.random() < 0.7 else 2
        people = [_person(rng, n * 3 + i) for i in range(owners_n)]
        shares = [Decimal(100)] if owners_n == 1 else [Decimal(50), Decimal(50)]
        use = rng.choice(("residential", "residential", "residential", "apartment", "commercial", "office"))
        plan.append((CERT_FORMAT.format(n=n), street, address, Decimal(rng.randint(3500, 18000)) / 100, use,
                     n == 3, n in (4, 5), list(zip(people, shares))))
    return plan


def load_registry(count=300, session=None):
    """Register the demo properties that are not there yet; returns how many were added."""
    from app.rental.registry.models import PropertyOwner, RentalProperty

    session = session or db.session
    streets = _streets(session)
    plan = _plan(max(count, len(DEMO_LISTINGS) + 3), streets)
    numbers = [p[0] for p in plan]
    existing = set()
    for i in range(0, len(numbers), 500):
        existing.update(session.execute(select(RentalProperty.cert_no).where(
            RentalProperty.cert_type == CERT_TYPE, RentalProperty.cert_no.in_(numbers[i:i + 500]))).scalars())
    added = 0
    for cert_no, street, address, area, use, sealed, mortgaged, owners in plan:
        if cert_no in existing:
            continue
        session.add(RentalProperty(
            cert_type=CERT_TYPE, cert_no=cert_no, region_code=DISTRICT, street_code=street, address=address,
            building_area=area, use=use, sealed=sealed, mortgaged=mortgaged,
            owners=[PropertyOwner(seq=i, name=o["name"], id_type=o["id_type"], id_number=o["id_number"],
                                  share=share) for i, (o, share) in enumerate(owners, start=1)]))
        added += 1
    session.commit()
    return added


# --- contracts: a few signed by agency_a's agent, one a draft --------------------------------------

# A minimal PDF standing for the scanned 要件 of a demo contract.
_DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")

# (certificate n, days ago signed, tenants (name, 17 first ID digits, mobile), rent, months, filing)
# filing: "approved" (filed), "submitted" (waiting for the reviewer), None (not filed; the first
# is past the 30-day deadline, so `flask rental overdue` flags it).
DEMO_CONTRACTS = [
    (6, 45, [("赵小雨", "50010319950308002", "15260100101")], "2600", 12, None),
    (7, 12, [("李四", "50010319900521002", "13800000011")], "3200", 12, "approved"),
    (8, 6, [("钱多多", "50010319920716001", "15260100102"), ("孙晓梅", "50010319930922002", "15260100103")],
     "4100", 24, "submitted"),
    (9, 2, [("周一鸣", "50010319880105001", "15260100104")], "2300", 6, None),
]


def load_contracts(session=None):
    """The demo contracts of agency_a (idempotent: nothing when agency_a already has contracts).
    Returns how many were signed. Each goes through the real services: a verification at the
    moment of signing, the wizard's steps, 签约 (and the filing when the row says so)."""
    from datetime import datetime, timedelta

    from flask import current_app, g

    from app.core import uploads
    from app.rental.contracts import services as contracts
    from app.rental.contracts.models import RentalContract
    from app.rental.registry.models import RentalProperty
    from app.rental.verification import services as verifications

    session = session or db.session
    sm = current_app.appbuilder.sm
    agent = sm.find_user(username="agent_a")
    if agent is None or session.execute(select(RentalContract.id).where(
            RentalContract.org_id == agent.org_id).limit(1)).first():
        return 0
    g.scope_user = agent    # the uploads engine and the audit log act as the agent
    signed = 0
    try:
        for n, days, tenants, rent, months, filing in DEMO_CONTRACTS:
            prop = session.execute(select(RentalProperty).where(
                RentalProperty.cert_type == CERT_TYPE, RentalProperty.cert_no == CERT_FORMAT.format(n=n))).scalars().first()
            if prop is None or prop.blocked:
                continue
            moment = datetime.now().replace(microsecond=0) - timedelta(days=days)
            owners = [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number} for o in prop.owners]
            verification = verifications.verify(
                {"region_code": prop.street_code or prop.region_code, "cert_type": prop.cert_type,
                 "cert_no": prop.cert_no, "owners": owners}, agent, moment=moment, session=session)
            contract = contracts.start(agent, session=session)
            contract.created_on = moment
            contracts.use_verification(contract, agent, verification=verification, moment=moment)
            start = moment.date() + timedelta(days=1)
            end = start + timedelta(days=30 * months) - timedelta(days=1)
            contracts.save_details(contract, agent, {
                "rent": rent, "deposit": rent, "payment_cycle": "monthly", "purpose": "residence",
                "start_date": start.isoformat(), "end_date": end.isoformat(), "rental_mode": "whole"},
                session=session)
            contracts.save_tenants(contract, agent, [
                {"name": name, "id_type": "resident_id", "id_number": _id(first17), "mobile": mobile}
                for name, first17, mobile in tenants])
            contracts.save_matters(contract, agent, "押一付一；水、电、燃气费由承租人承担；不得转租。")
            uploads.save(("承租人身份证明.pdf", _DEMO_PDF), owner=contract, user=agent)
            contracts.confirm_attachments(contract, agent)
            contracts.sign(contract, agent, moment=moment, session=session)
            session.flush()
            if filing:
                _demo_filing(contract, agent, filing, moment, session)
            signed += 1
        _demo_draft(agent, session)
        session.commit()
    finally:
        g.pop("scope_user", None)
    return signed


def _demo_filing(contract, agent, how, moment, session):
    """Hook for the filing demo (set by app/rental/filing when it is there)."""
    fn = FILING_DEMO.get("fn")
    if fn is not None:
        fn(contract, agent, how, moment, session)


FILING_DEMO = {}


def _demo_draft(agent, session):
    """A draft stopped at 承租人信息, for 我的草稿 (verification of certificate 10 first)."""
    from app.rental.contracts import services as contracts
    from app.rental.registry.models import RentalProperty
    from app.rental.verification import services as verifications

    prop = session.execute(select(RentalProperty).where(
        RentalProperty.cert_type == CERT_TYPE, RentalProperty.cert_no == CERT_FORMAT.format(n=10))).scalars().first()
    if prop is None or prop.blocked:
        return
    owners = [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number} for o in prop.owners]
    verification = verifications.verify({"region_code": prop.street_code or prop.region_code,
                                         "cert_type": prop.cert_type, "cert_no": prop.cert_no, "owners": owners},
                                        agent, session=session)
    if not verification.passed:
        return
    contract = contracts.start(agent, session=session)
    contracts.use_verification(contract, agent, verification=verification)
    from datetime import date, timedelta

    start = date.today() + timedelta(days=7)
    contracts.save_details(contract, agent, {
        "rent": "1800", "deposit": "1800", "payment_cycle": "quarterly", "purpose": "residence",
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=364)).isoformat(),
        "rental_mode": "part", "rented_part": "次卧"}, session=session)


# agency_a's two shops (场所分布) and three agents (从业主体), through the agencies services.
DEMO_PREMISES = [
    {"name": "安居租赁解放碑门店", "address": "重庆市渝中区民族路188号1层", "region_code": "500103",
     "street_code": "500103003", "phone": "023-63001234", "floor_area": "86", "status": "open"},
    {"name": "安居租赁七星岗门店", "address": "重庆市渝中区中山一路56号附2号", "region_code": "500103",
     "street_code": "500103001", "phone": "023-63005678", "floor_area": "64", "status": "open"},
]
DEMO_PRACTITIONERS = [
    # name, 17 first ID digits, mobile, post, 信息卡号, shop index
    ("王小五", "50010319910412001", "13800000013", "agent", "CQJJ-2026-0001", 0),
    ("陈晓燕", "50010319940826002", "15260100111", "agent", "CQJJ-2026-0002", 0),
    ("刘思远", "50010319970203001", "15260100112", "assistant", "CQJJ-2026-0003", 1),
]


def load_agencies(session=None):
    """agency_a's premises and practitioners (idempotent: nothing when it has premises)."""
    from datetime import date

    from flask import current_app

    from app.rental.agencies import services as agencies
    from app.rental.agencies.models import AgencyPremises

    session = session or db.session
    admin = current_app.appbuilder.sm.find_user(username="agency_a")
    if admin is None or session.execute(select(AgencyPremises.id).where(
            AgencyPremises.org_id == admin.org_id).limit(1)).first():
        return 0
    shops = [agencies.save_premises(admin, dict(p)) for p in DEMO_PREMISES]
    for name, first17, mobile, post, card, shop in DEMO_PRACTITIONERS:
        agencies.save_practitioner(admin, {
            "name": name, "id_type": "resident_id", "id_number": _id(first17), "mobile": mobile, "post": post,
            "info_card_no": card, "card_valid_until": date(date.today().year + 2, 12, 31).isoformat(),
            "premises_id": shops[shop].id})
    session.commit()
    return len(shops)


def load_demo():
    """Everything the rental demo needs: the registry, agency_a's premises and practitioners,
    then its contracts."""
    return {"properties": load_registry(), "premises": load_agencies(), "contracts": load_contracts()}
