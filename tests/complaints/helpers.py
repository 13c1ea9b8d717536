"""Shared steps of the complaint tests: make areas, file complaints through the real
service, move them, read the outbox."""
import itertools

from sqlalchemy import select

from app.core.validators import id_check_char
from app.extensions import db

# A fixed start (not the clock): every run draws the same mobiles and ID numbers, in a range
# no other helper's counter reaches (tests/accounts/helpers.py counts from 100).
_seq = itertools.count(500000)


def new_mobile(prefix="1350"):
    return f"{prefix}{next(_seq) % 10 ** 7:07d}"


def new_id(region="500103", birth="19880808"):
    first17 = f"{region}{birth}{next(_seq) % 1000:03d}"
    return first17 + id_check_char(first17)


def user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def area(name):
    from app.property.models import PropertyArea

    return db.session.execute(select(PropertyArea).where(PropertyArea.name == name)).scalars().one()


def make_area(name, district="500103", street="500103001", company="重庆安居物业服务有限公司", lead=None):
    from app.property.models import PropertyArea
    from app.system.models import Organization

    org = db.session.execute(select(Organization).where(Organization.name == company)).scalars().one()
    a = PropertyArea(name=name, district_code=district, street_code=street, company_org_id=org.id,
                     project_lead_id=user(lead).id if lead else None)
    a.fill_region()
    db.session.add(a)
    db.session.commit()
    return a


def sms_code(mobile):
    """Send a complaint code to ``mobile`` and read it back from the outbox."""
    from app.core import sms

    sms.send_code(mobile, sms.SmsPurpose.COMPLAINT)
    return last_code(mobile)


def last_code(mobile):
    import re

    from app.core.sms import SmsMessage

    msg = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == mobile)
                             .order_by(SmsMessage.id.desc()).limit(1)).scalars().first()
    return re.search(r"(?<!\d)(\d{6})(?!\d)", msg.content).group(1)


def messages(mobile):
    from app.core.sms import SmsMessage

    return [m.content for m in db.session.execute(
        select(SmsMessage).where(SmsMessage.mobile == mobile).order_by(SmsMessage.id)).scalars()]


def file_complaint(area_name="和平小区", content="楼道灯坏了", mobile=None, moment=None, **extra):
    """A complaint filed through the real service (SMS-verified)."""
    from app.complaints import services

    mobile = mobile or new_mobile()
    data = {"name": "王五", "id_number": new_id(), "mobile": mobile, "address": "1栋2单元301",
            "content": content, "sms_code": sms_code(mobile), **extra}
    return services.submit(area(area_name), data, moment=moment)


def act(complaint, action, username=None, note=None, satisfaction=None, verified=False):
    from app.complaints import services

    return services.act(complaint, action, user(username) if username else None, note, satisfaction,
                        verified=verified)
