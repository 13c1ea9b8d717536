"""Shared steps of the property tests: staff records and project leads made through the
real services (the staff pages have their own tests)."""
from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import new_id, new_mobile, user  # noqa: F401


def org_id(name_or_username):
    """An enterprise's id from its name, or from one of its users' username."""
    from app.system.models import Organization

    org = db.session.execute(select(Organization).where(Organization.name == name_or_username)).scalars().first()
    if org is not None:
        return org.id
    return user(name_or_username).org_id


def make_staff(org, name, post="cleaning", areas=(), id_number=None, mobile=None, actor=None):
    """A staff record in service, bound to an account with the same ID number if there is one."""
    from app.property.areas import services
    from app.property.staff import accounts
    from app.property.models import PropertyArea, Staff

    oid = org_id(org)
    id_number = id_number or new_id()
    area_rows = [db.session.execute(select(PropertyArea).where(PropertyArea.name == a)).scalars().one()
                 if isinstance(a, str) else a for a in areas]
    staff = Staff(org_id=oid, name=name, mobile=mobile or new_mobile("1391"), id_number=id_number,
                  current_key=id_number, post=post, status="active", areas=area_rows)
    db.session.add(staff)
    db.session.flush()
    accounts.bind_accounts(oid, staff_ids=[staff.id])
    db.session.refresh(staff)
    services.sync_leads(staff, actor)
    db.session.commit()
    return staff


def make_lead_account(username, name, org="ent_a", mobile=None, id_number=None, verified=True):
    """A project-lead login with its person (real-name verified), like an activated staff account."""
    from flask import current_app

    from app.accounts.models import Person

    sm = current_app.appbuilder.sm
    existing = user(username)
    if existing is not None:
        return existing
    mobile = mobile or new_mobile("1392")
    id_number = id_number or new_id()
    oid = org_id(org)
    sm.add_user(username, name, "", f"{username}@demo.anju.invalid", sm.find_role("project_lead"),
                password="Anju@2026", org_id=oid, mobile=mobile, must_change_password=False)
    u = user(username)
    db.session.add(Person(user_id=u.id, org_id=oid, name=name, id_type="resident_id", id_number=id_number,
                          mobile=mobile, activation="active", realname_status="verified"))
    db.session.commit()
    return u


def post_at_once(app, first, second, send, insert_prefix):
    """Two users' identical posts at once (a double click): ``send(client)`` posts the same
    upload from each, in two threads. The first request stops at its first INSERT (it has
    checked and is writing) until the second has reached its own write (the import lock, or
    an INSERT without it); then it goes on and commits. Returns the two pages' texts."""
    import threading
    import time

    from sqlalchemy import event

    first_writing, second_writing = threading.Event(), threading.Event()
    who = {}
    pages = {}

    def spy(conn, cursor, statement, params, context, executemany):
        text = statement.lstrip().upper()
        me = threading.get_ident()
        if me == who.get("first") and text.startswith(insert_prefix) and not first_writing.is_set():
            first_writing.set()
            second_writing.wait(20)
            time.sleep(0.3)  # the second request now waits for this one's lock
        elif me == who.get("second") and text.startswith(("UPDATE ANJU_SEQUENCE", insert_prefix)):
            second_writing.set()

    def run(name, client):
        who[name] = threading.get_ident()
        try:
            pages[name] = send(client).get_data(as_text=True)
        except Exception as exc:  # shown by the caller's assertions
            pages[name] = repr(exc)
        finally:
            if name == "second":
                second_writing.set()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        a = threading.Thread(target=run, args=("first", first))
        a.start()
        assert first_writing.wait(30), "the first import never wrote"
        b = threading.Thread(target=run, args=("second", second))
        b.start()
        a.join(60)
        b.join(60)
        assert not a.is_alive() and not b.is_alive()
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    return pages["first"], pages["second"]
