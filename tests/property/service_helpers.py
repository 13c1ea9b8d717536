"""Shared steps of the property-service tests (报修, 满意度调查, 检查考评): own areas with unique
names, houses inserted directly, users of another district and another area, SMS codes."""
import io
import itertools
from contextlib import contextmanager

from sqlalchemy import select, update

from app.extensions import db
from tests.complaints.helpers import last_code, messages, new_id, new_mobile, user  # noqa: F401
from tests.conftest import DEMO_PASSWORD

_seq = itertools.count(1)


@contextmanager
def data(app):
    with app.app_context():
        try:
            yield
        finally:
            db.session.rollback()
            db.session.remove()


def uniq(prefix):
    return f"{prefix}{next(_seq):03d}"


def make_area(prefix="服务测试小区", company="重庆安居物业服务有限公司", district="500103", street="500103001",
              lead=None):
    from app.property.models import PropertyArea
    from app.system.models import Organization

    org = db.session.execute(select(Organization).where(Organization.name == company)).scalars().one()
    a = PropertyArea(name=uniq(prefix), district_code=district, street_code=street, company_org_id=org.id,
                     project_lead_id=user(lead).id if lead else None, address="重庆市渝中区测试路1号")
    a.fill_region()
    db.session.add(a)
    db.session.commit()
    return a


def add_house(area, building, unit, room, owner_name, owner_id):
    from app.property.models import House

    h = House(area_id=area.id, building=building, unit=unit, room=room, owner_name=owner_name,
              owner_id_number=owner_id, region_code=area.region_code)
    db.session.add(h)
    db.session.commit()
    return h


def set_param(key, value):
    from app.system.models import Parameter
    from app.system.params import PARAMS, format_value

    spec = PARAMS[key]
    found = db.session.execute(update(Parameter).where(Parameter.key == key).values(value=str(value))).rowcount
    if not found:
        db.session.add(Parameter(key=key, value=str(value), value_type=spec.type, group=spec.group,
                                 description=str(spec.label)))
    db.session.commit()
    return format_value(spec, spec.default)


def png(size=(16, 12)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def send_code(mobile):
    from datetime import timedelta

    from app.core import sms
    from app.core.sms import SmsCode

    # An earlier code of this mobile (the test's first step) is moved back past the resend wait.
    for row in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
        row.created_at -= timedelta(minutes=2)
    db.session.commit()
    sms.send_code(mobile, sms.SmsPurpose.COMPLAINT)
    db.session.commit()
    return last_code(mobile)


def gov_user(role, region, prefix):
    """A government account of ``role`` whose organisation is the region's (made if missing)."""
    from datetime import datetime

    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields

    org_type = "district" if len(region) == 6 else "street"
    org = db.session.execute(select(Organization).where(Organization.region_code == region,
                                                        Organization.org_type == org_type)).scalars().first()
    if org is None:
        city = db.session.execute(select(Organization).where(Organization.org_type == "city")).scalars().first()
        org = Organization(name=f"服务测试{region}", org_type=org_type, region_code=region, parent=city, active=True)
        db.session.add(org)
        set_tree_fields(org)
        db.session.flush()
        finish_paths([org])
        db.session.commit()
    sm = current_app.appbuilder.sm
    name = f"{prefix}{datetime.now():%H%M%S%f}"
    sm.add_user(name, "外区测试", "", f"{name}@test.anju.invalid", sm.find_role(role), password=DEMO_PASSWORD,
                org_id=org.id, mobile=new_mobile("1377"), must_change_password=False)
    return name
