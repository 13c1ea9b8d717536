"""Steps a person takes on the public pages, shared by the accounts tests."""
import io
import itertools
import re

from sqlalchemy import select

from app.core.validators import credit_code_check_char, id_check_char
from app.extensions import db

_seq = itertools.count(100)


def new_id(birth="19900101", region="500103"):
    """A valid, unused resident ID number (check digit computed)."""
    first17 = f"{region}{birth}{next(_seq) % 1000:03d}"
    return first17 + id_check_char(first17)


def new_mobile(prefix="1370"):
    return f"{prefix}{next(_seq):07d}"


def new_credit_code(region="500103"):
    body = f"91{region}MA{next(_seq):07d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + credit_code_check_char(body)


def latest_code(app, mobile):
    from app.core.sms import SmsMessage

    with app.app_context():
        msg = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == mobile)
                                 .order_by(SmsMessage.id.desc()).limit(1)).scalars().first()
        assert msg is not None, f"no SMS to {mobile}"
        found = re.search(r"(\d{6})", msg.content)
        assert found, msg.content
        return found.group(1)


def messages_to(app, mobile):
    from app.core.sms import SmsMessage

    with app.app_context():
        return [m.content for m in db.session.execute(
            select(SmsMessage).where(SmsMessage.mobile == mobile).order_by(SmsMessage.id)).scalars()]


def request_code(c, mobile, purpose, page="/register/person", captcha="TEST"):
    """Fetch the page and its picture code, then ask for an SMS code as the page's button does."""
    token = c.token(page)
    c.http.get("/captcha/sms.png")
    return c.http.post("/sms/send", data={"mobile": mobile, "purpose": purpose, "captcha": captcha,
                                          "csrf_token": token})


def register_person(c, app, name="王小明", mobile=None, id_number=None, password="Anju#2026ok",
                    id_type="resident_id"):
    mobile = mobile or new_mobile()
    id_number = id_number or new_id()
    resp = request_code(c, mobile, "register")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    code = latest_code(app, mobile)
    resp = c.form("/register/person", {"name": name, "id_type": id_type, "id_number": id_number,
                                       "mobile": mobile, "sms_code": code, "password": password,
                                       "confirm": password})
    return resp, mobile, id_number


def real_pdf():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, "Business licence")
    pdf.save()
    return buf.getvalue()


def register_org(c, app, name="重庆测试物业服务有限公司", code=None, mobile=None, password="Anju#2026ok",
                 files=True, agreed=True, district="500103"):
    code = code or new_credit_code()
    mobile = mobile or new_mobile("1360")
    resp = request_code(c, mobile, "register", page="/register/org")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    sms = latest_code(app, mobile)
    data = {"city_code": "500000", "district_code": district, "enterprise_type": "property_company",
            "credit_code": code, "name": name, "legal_rep": "赵大力", "mobile": mobile, "sms_code": sms,
            "password": password, "confirm": password}
    if agreed:
        data["agreed"] = "1"
    if files:
        data["files"] = [(io.BytesIO(real_pdf()), "营业执照.pdf")]
    token = c.token("/register/org")
    data["csrf_token"] = token
    resp = c.http.post("/register/org", data=data, content_type="multipart/form-data")
    return resp, code, mobile


def age_codes(app, mobile, seconds=120):
    """Move a mobile's codes back in time, as if the resend cooldown had passed."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.core.sms import SmsCode

    with app.app_context():
        for row in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
            row.created_at = row.created_at - timedelta(seconds=seconds)
        db.session.commit()


MASKED_READER = "hd_persons"


def masked_person_reader(app):
    """The username of a helpdesk account (the whole city, personal data masked) that also
    reads the persons list and REST resource through a test-only role: the catalogue gives
    persons only to roles that see full values, and this shows what a masked role would see."""
    from flask import current_app

    from app.security.roles import PII_PERMISSION, PII_VIEW

    with app.app_context():
        sm = current_app.appbuilder.sm
        if sm.find_user(username=MASKED_READER) is None:
            role = sm.find_role("t_person_reader") or sm.add_role("t_person_reader")
            for perm, view in (("can_list", "PersonView"), ("can_show", "PersonView"), ("can_export", "PersonView"),
                               ("can_get", "PersonApi")):
                sm.add_permission_role(role, sm.find_permission_view_menu(perm, view))
            sm.add_user(MASKED_READER, "人员查看", "", f"{MASKED_READER}@test.anju.invalid",
                        [sm.find_role("helpdesk"), role], password="Anju@2026",
                        org_id=sm.find_user(username="helpdesk").org_id, mobile=new_mobile("1379"),
                        must_change_password=False)
            assert not sm.find_permission_view_menu(PII_PERMISSION, PII_VIEW) in role.permissions
        return MASKED_READER
