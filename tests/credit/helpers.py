"""Shared steps of the credit tests: users, enterprises, a record taken through review."""
import itertools
from datetime import date, datetime

from sqlalchemy import select

from app.extensions import db

_seq = itertools.count(1)


def user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def org(name_or_key):
    from app.system.models import Organization

    names = {"ent_a": "重庆安居物业服务有限公司", "ent_b": "重庆和居物业管理有限公司",
             "ent_c": "重庆渝北宜居住房租赁有限公司"}
    name = names.get(name_or_key, name_or_key)
    return db.session.execute(select(Organization).where(Organization.name == name)).scalars().one()


def rule(code):
    from app.credit.services import current_rule

    return current_rule(code)


def new_enterprise(region="500103", name=None, admin=False):
    """A fresh enterprise of its own (valid credit code, contact mobile), so score arithmetic
    never depends on other tests; with ``admin`` also its ent_admin account (returned second)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields
    from tests.accounts.helpers import new_credit_code
    from tests.complaints.helpers import new_mobile
    from tests.conftest import DEMO_PASSWORD

    n = next(_seq)
    o = Organization(name=name or f"信用测试物业服务有限公司{n:04d}{datetime.now():%H%M%S%f}",
                     org_type="enterprise", enterprise_type="property_company", region_code=region,
                     credit_code=new_credit_code(region), active=True, contact_mobile=new_mobile("1377"))
    db.session.add(o)
    set_tree_fields(o)
    db.session.flush()
    finish_paths([o])
    db.session.commit()
    if not admin:
        return o
    sm = current_app.appbuilder.sm
    username = f"credit_ent{n}_{datetime.now():%H%M%S%f}"
    sm.add_user(username, "信用企业管理员", "", f"{username}@test.anju.invalid", sm.find_role("ent_admin"),
                password=DEMO_PASSWORD, org_id=o.id, mobile=new_mobile("1378"), must_change_password=False)
    return o, user(username)


def propose(org_id, code="WY-K-005", score=None, proposer="district1", facts="电梯长期停运，经查证属实",
            event_date=None, files=None, moment=None):
    from app.credit import services

    r = rule(code)
    record = services.propose_record(user(proposer), {
        "org_id": org_id, "rule_id": r.id, "score": score if score is not None else r.suggested_score,
        "facts": facts, "event_date": (event_date or date(2026, 11, 2)).isoformat()}, files=files, moment=moment)
    db.session.commit()
    return record


def effective(org_id, code="WY-K-005", score=None, moment=None):
    """A record approved and past its publicity: in effect at ``moment``."""
    from app.credit import services

    moment = moment or datetime(2026, 11, 2, 10, 0)
    record = propose(org_id, code, score, moment=moment)
    services.transition(record, "approve", user("reviewer"), moment=moment)
    db.session.commit()
    later = record.publicity_until
    services.transition(record, "take_effect", None, moment=later)
    db.session.commit()
    return record
