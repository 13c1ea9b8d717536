"""Data steps of the filing tests: each runs in an app context of its own and hands back plain
values, so a test's requests (each signing in afresh) run outside it."""
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import select

from app.extensions import db


@contextmanager
def data(app):
    with app.app_context():
        try:
            yield
        finally:
            db.session.rollback()
            db.session.remove()


def enterprise(app, region="500103"):
    from tests.rental.helpers import new_rental_enterprise

    with data(app):
        org, admin, agent = new_rental_enterprise(region)
        return SimpleNamespace(org_id=org.id, org_name=org.name, admin=admin.username, agent=agent.username,
                               admin_id=admin.id, agent_id=agent.id)


def contract(app, username, **kw):
    from tests.rental.helpers import signed_contract, user

    with data(app):
        c = signed_contract(user(username), **kw)
        return plain(c)


def plain(c):
    return SimpleNamespace(
        id=c.id, number=c.number, check_code=c.check_code, org_id=c.org_id, status=c.status,
        filing_status=c.filing_status, filing_number=c.filing_number, filing_app_id=c.filing_app_id,
        filed_at=c.filed_at, overdue_flagged_at=c.overdue_flagged_at, signed_at=c.signed_at, origin=c.origin,
        cert_no=c.cert_no, region_code=c.region_code,
        tenants=[SimpleNamespace(name=t.name, id_number=t.id_number, mobile=t.mobile) for t in c.tenants])


def reload(app, contract_id):
    from app.rental.contracts.models import RentalContract

    with data(app):
        return plain(db.session.get(RentalContract, contract_id))


def application(app, contract_id):
    from app.core.workflow import Application

    with data(app):
        a = db.session.execute(select(Application).where(Application.subject_type == "rental_contract",
                                                         Application.subject_id == contract_id)
                               .order_by(Application.id.desc())).scalars().first()
        if a is None:
            return None
        return SimpleNamespace(id=a.id, number=a.number, status=a.status, org_id=a.org_id, region_code=a.region_code,
                               payload=dict(a.payload or {}))


def apply(app, username, contract_id):
    from app.rental.contracts.models import RentalContract
    from app.rental.filing import services
    from tests.rental.helpers import user

    with data(app):
        a = services.apply(user(username), db.session.get(RentalContract, contract_id))
        db.session.commit()
        return SimpleNamespace(id=a.id, number=a.number)


def step(app, app_id, action, username, reason=None):
    from app.core.workflow import Application
    from app.rental.filing import services
    from tests.rental.helpers import user

    with data(app):
        services.transition(db.session.get(Application, app_id), action, user(username), reason)
        db.session.commit()


def set_param(app, key, value):
    from sqlalchemy import update

    from app.system.models import Parameter

    with data(app):
        db.session.execute(update(Parameter).where(Parameter.key == key).values(value=str(value)))
        db.session.commit()


def district_user(app, region):
    from datetime import datetime

    from flask import current_app

    from app.system.models import Organization
    from tests.complaints.helpers import new_mobile
    from tests.conftest import DEMO_PASSWORD

    with data(app):
        org = db.session.execute(select(Organization).where(Organization.region_code == region,
                                                            Organization.org_type == "district")).scalars().first()
        if org is None:
            from app.system.services import finish_paths, set_tree_fields

            city = db.session.execute(select(Organization).where(Organization.org_type == "city")).scalars().first()
            org = Organization(name=f"测试区县住建委{region}", org_type="district", region_code=region, parent=city,
                               active=True)
            db.session.add(org)
            set_tree_fields(org)
            db.session.flush()
            finish_paths([org])
            db.session.commit()
        sm = current_app.appbuilder.sm
        name = f"rent_district{datetime.now():%H%M%S%f}"
        sm.add_user(name, "外区测试", "", f"{name}@test.anju.invalid", sm.find_role("district"),
                    password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1376"), must_change_password=False)
        return name
