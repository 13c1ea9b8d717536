"""Shared steps of the rental tests: registered properties, rental enterprises with their
accounts, verifications and contracts made quickly (model-level where a test is about what
comes after signing)."""
import itertools
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db

_seq = itertools.count(1)


def user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def org(key):
    from app.system.models import Organization

    names = {"agency_a": "重庆安居住房租赁有限公司", "ent_a": "重庆安居物业服务有限公司",
             "ent_c": "重庆渝北宜居住房租赁有限公司", "platform_a": "重庆市房屋租赁信息共享平台"}
    return db.session.execute(select(Organization).where(Organization.name == names.get(key, key))).scalars().one()


def new_id_number(region="500103", birth="19880101"):
    """A valid 18-digit resident ID number not used before in this test session."""
    from app.core.validators import id_check_char

    first17 = f"{region}{birth}{next(_seq) % 1000:03d}"
    return first17 + id_check_char(first17)


def new_person(region="500103"):
    n = next(_seq)
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
    return {"name": surnames[n % len(surnames)] + "测" + "一二三四五六七八九十"[n % 10],
            "id_type": "resident_id", "id_number": new_id_number(region, f"19{60 + n % 40:02d}0{1 + n % 9}1{n % 10}")}


def new_property(region="500103001", owners=1, sealed=False, mortgaged=False, cert_type="real_estate"):
    """A registered property with ``owners`` owners (each a fresh valid person); returns
    (property, [owner dicts as a verification names them])."""
    from app.rental.registry.models import PropertyOwner, RentalProperty

    n = next(_seq)
    people = [new_person(region[:6]) for _ in range(owners)]
    prop = RentalProperty(
        cert_type=cert_type, cert_no=f"渝（2026）渝中区不动产权第{datetime.now():%H%M%S}{n:06d}号",
        region_code=region[:6], street_code=region if len(region) > 6 else None,
        address=f"重庆市渝中区测试路{n}号{n % 30 + 1}-{n % 6 + 1}", building_area=Decimal("89.50"),
        use="residential", sealed=sealed, mortgaged=mortgaged,
        owners=[PropertyOwner(seq=i + 1, name=p["name"], id_type=p["id_type"], id_number=p["id_number"],
                              share=Decimal(100) / owners) for i, p in enumerate(people)])
    db.session.add(prop)
    db.session.commit()
    return prop, people


def verification_fields(prop, people, region=None):
    return {"region_code": region or prop.region_code, "cert_type": prop.cert_type, "cert_no": prop.cert_no,
            "owners": [dict(p) for p in people]}


def new_rental_enterprise(region="500103", agent=True):
    """A fresh rental enterprise with its ent_admin (and a rental_agent) account:
    returns (org, admin, agent or None)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields
    from tests.accounts.helpers import new_credit_code
    from tests.complaints.helpers import new_mobile
    from tests.conftest import DEMO_PASSWORD

    n = next(_seq)
    o = Organization(name=f"租赁测试住房租赁有限公司{n:04d}{datetime.now():%H%M%S%f}", org_type="enterprise",
                     enterprise_type="rental_company", region_code=region, credit_code=new_credit_code(region),
                     active=True, contact_mobile=new_mobile("1377"))
    db.session.add(o)
    set_tree_fields(o)
    db.session.flush()
    finish_paths([o])
    db.session.commit()
    sm = current_app.appbuilder.sm
    stamp = f"{n}_{datetime.now():%H%M%S%f}"
    sm.add_user(f"rent_admin{stamp}", "租赁企业管理员", "", f"rent_admin{stamp}@test.anju.invalid",
                sm.find_role("ent_admin"), password=DEMO_PASSWORD, org_id=o.id, mobile=new_mobile("1378"),
                must_change_password=False)
    admin = user(f"rent_admin{stamp}")
    agent_user = None
    if agent:
        sm.add_user(f"rent_agent{stamp}", "租赁经纪人员", "", f"rent_agent{stamp}@test.anju.invalid",
                    sm.find_role("rental_agent"), password=DEMO_PASSWORD, org_id=o.id, mobile=new_mobile("1379"),
                    must_change_password=False)
        agent_user = user(f"rent_agent{stamp}")
    return o, admin, agent_user


def verified(actor, region="500103001", owners=1):
    """A passed verification by ``actor`` of a fresh property: (verification, property, people)."""
    from app.rental.verification import services

    prop, people = new_property(region, owners)
    v = services.verify(verification_fields(prop, people), actor)
    db.session.commit()
    assert v.result == "passed", v.reasons
    return v, prop, people


def signed_contract(actor, signed_at=None, start=None, months=12, rent="2500.00", tenants=1, prop=None,
                    verification=None, part=None):
    """A signed contract inserted directly (for tests about filing, public checks, evaluation,
    lists): numbered and with a check code as signing gives them. Returns the contract."""
    from app.rental.contracts.models import ContractStatus, ContractTenant, RentalContract
    from app.rental.verification import services as vs

    if verification is None:
        verification, prop, _people = verified(actor)
    prop = prop or verification.property_record
    signed_at = signed_at or datetime.now()
    start = start or signed_at.date()
    n = next(_seq)
    contract = RentalContract(
        number=f"ZLHT{signed_at:%Y%m%d}T{n:05d}", check_code="".join(random.choice(vs._CODE_ALPHABET) for _ in range(6)),
        status=ContractStatus.SIGNED, step="preview", origin="online", verification_id=verification.id,
        property_id=prop.id, cert_type=prop.cert_type, cert_no=prop.cert_no, address=prop.address,
        region_code=prop.region_code, street_code=prop.street_code,
        lessor_names="、".join(o.name for o in prop.owners),
        rental_mode="part" if part else "whole", rented_part=part, rent=Decimal(rent), deposit=Decimal(rent),
        payment_cycle="monthly", start_date=start, end_date=start + timedelta(days=30 * months) - timedelta(days=1),
        purpose="residence", agreed_matters="按时交租，爱护房屋设施。", org_id=actor.org_id, created_by_fk=actor.id,
        created_on=signed_at, signed_at=signed_at, signed_by_fk=actor.id)
    for i in range(tenants):
        person = new_person()
        from tests.complaints.helpers import new_mobile

        contract.tenants.append(ContractTenant(seq=i + 1, name=person["name"], id_type="resident_id",
                                               id_number=person["id_number"], mobile=new_mobile("1390"),
                                               org_id=actor.org_id, region_code=prop.region_code))
    db.session.add(contract)
    db.session.commit()
    return contract


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def details(**change):
    today = date.today()
    data = {"rent": "2500", "deposit": "2500", "payment_cycle": "monthly", "purpose": "residence",
            "start_date": today.isoformat(), "end_date": today.replace(year=today.year + 1).isoformat(),
            "rental_mode": "whole", "rented_part": ""}
    data.update(change)
    return data


def tenant(**change):
    from tests.complaints.helpers import new_mobile

    person = new_person()
    data = {"name": person["name"], "id_type": "resident_id", "id_number": person["id_number"],
            "mobile": new_mobile("1390")}
    data.update(change)
    return data


def through_wizard(actor, verification=None, detail=None, tenants=None, sign=True, moment=None):
    """A contract taken through every wizard step by the services (and signed)."""
    from app.core import uploads
    from app.rental.contracts import services

    if verification is None:
        verification = verified(actor)[0]
    c = services.start(actor)
    services.use_verification(c, actor, verification=verification, moment=moment)
    services.save_details(c, actor, detail or details())
    services.save_tenants(c, actor, tenants or [tenant()])
    services.save_matters(c, actor, "押一付一，水电费由承租人承担。")
    uploads.save(("身份证明.pdf", PDF), owner=c, user=actor)
    services.confirm_attachments(c, actor)
    if sign:
        services.sign(c, actor, moment=moment)
    db.session.commit()
    return c
