"""Shared steps of the allocation tests: real-name applicants, plans in any state, filings.

Everything here goes through the module's services (plans.publish, filings.save,
registrations.register ...) except the plan's raw terms, which staff would type into forms.
Time is moved with :func:`at` (it replaces ``app.allocation.clock.now``)."""
import contextlib
import io
import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.extensions import db

_seq = itertools.count(1)
PASSWORD = "Anju#2026ok"


def user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def new_id_number(region="500105", n=None):
    """A valid resident ID number unique in this test session (region 500105 江北区 is used by
    no other test module); born 1970–1999."""
    from app.core.validators import id_check_char

    n = next(_seq) if n is None else n
    birth = date(1970 + (n // 300) % 30, 1 + n % 12, 1 + (n // 12) % 28)
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def child_id_number(n=None):
    from app.core.validators import id_check_char

    n = next(_seq) if n is None else n
    first17 = f"500105{2015 + n % 8}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def new_mobile():
    return f"1361{next(_seq) % 10 ** 7:07d}"


def applicant(verified=True, name=None):
    """A public account with a person behind it, real-name verified (or not)."""
    from flask import current_app

    from app.accounts.models import Person, RealnameStatus

    sm = current_app.appbuilder.sm
    n = next(_seq)
    username = f"alloc_p{n}_{datetime.now():%H%M%S%f}"
    mobile = new_mobile()
    person_name = name or "配" + "甲乙丙丁戊己庚辛壬癸"[n % 10] + "测"
    u = sm.add_user(username, person_name, "", f"{username}@test.anju.invalid", sm.find_role("public"),
                    password=PASSWORD, mobile=mobile, must_change_password=False)
    person = Person(user_id=u.id, name=person_name, id_type="resident_id", id_number=new_id_number(n=n),
                    mobile=mobile,
                    realname_status=RealnameStatus.VERIFIED if verified else RealnameStatus.UNVERIFIED,
                    realname_at=datetime.now() if verified else None)
    db.session.add(person)
    db.session.commit()
    return u


def png_bytes(color=(200, 60, 60), size=(32, 24)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


@contextlib.contextmanager
def at(moment):
    """Run with the allocation clock set to ``moment`` (a datetime)."""
    from app.allocation import clock

    original = clock.now
    clock.now = lambda: moment
    try:
        yield moment
    finally:
        clock.now = original


def new_plan(state="open", start=None, end=None, homes=(3, 2), rules=(), groups=(), region="500000", title=None):
    """A plan with one project and len(homes) unit types, published by the services; ``state``
    'draft', 'published' (window in the future) or 'open' (window around now). ``rules``:
    (field, op, value, reason) tuples; ``groups``: (code, name, order, [(field, op, value)]) tuples."""
    from app.allocation.plans import rules as rules_engine
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import (AllocationPlan, AllocationProject, EligibilityRule, PriorityGroup,
                                             UnitType)

    n = next(_seq)
    now = datetime.now().replace(microsecond=0)
    if start is None:
        start = now - timedelta(hours=1) if state == "open" else now + timedelta(days=2)
    if end is None:
        end = start + timedelta(days=7)
    plan = AllocationPlan(code=f"T{now:%H%M%S}-{n}", title=title or f"测试配租计划{n}", region_code=region,
                          announcement="配租公告：测试。", reg_start=start, reg_end=end,
                          contact_phone="023-12345678", contact_hours="登记期间早9点至17点")
    project = AllocationProject(name=f"测试小区{n}", district_code="500105", address=f"江北区测试路{n}号",
                                intro="测试项目简介")
    for i, count in enumerate(homes):
        project.unit_types.append(UnitType(name=f"{'ABCD'[i]}户型", layout="一室一厅一卫", area=Decimal("45.5"),
                                           rent=Decimal("1500"), count=count, sort_order=i))
    plan.projects.append(project)
    for i, (field, op, value, reason) in enumerate(rules):
        f, o, v, r = rules_engine.clean_rule(field, op, value, reason)
        plan.rules.append(EligibilityRule(field=f, op=o, value=v, reason=r, sort_order=i))
    for code, name, order, conditions in groups:
        group = PriorityGroup(code=code, name=name, draw_order=order)
        for field, op, value in conditions:
            f, o, v, r = rules_engine.clean_rule(field, op, value, name)
            group.conditions.append(EligibilityRule(field=f, op=o, value=v, reason=r, plan=plan))
        plan.groups.append(group)
    db.session.add(plan)
    db.session.flush()
    if state != "draft":
        with at(min(now, start - timedelta(seconds=1)) if state == "published" else now):
            plans.publish(None, plan)
    db.session.commit()
    return plan


def filing_data(**overrides):
    data = {"mobile": new_mobile(), "address": "重庆市江北区测试路1号", "marital_status": "single",
            "hukou_type": "local", "hukou_district": "500105", "employer": "重庆测试有限公司",
            "social_security_months": "36", "annual_income": "60000", "housing_status": "none",
            "owned_area": "", "current_residence": "租住"}
    data.update(overrides)
    return data


def file_for(u, plan, members=(), files=None, **overrides):
    """The applicant's filing for ``plan`` through the service (committed)."""
    from app.allocation.filings import services as filings

    filing = filings.save(u, plan, filing_data(**overrides), list(members),
                          files=files if files is not None else [("证件.png", png_bytes())])
    db.session.commit()
    return filing


def registered(u=None, plan=None, **filing_overrides):
    """A real-name applicant filed and registered for ``plan`` (an open plan when None)."""
    from app.allocation.registrations import services as registrations

    plan = plan or new_plan()
    u = u or applicant()
    file_for(u, plan, **filing_overrides)
    return registrations.register(u, plan.id), u, plan
