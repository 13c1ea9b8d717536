"""Every session and token of an account ends together: the session epoch.

Each account has a ``session_epoch`` (ab_user). A form login stores it in the Flask session,
and every JWT (access and refresh) carries it as the ``epoch`` claim. Each request compares:
a session or token from an older epoch is no longer signed in. Raising the epoch therefore
ends every session and token of the account at once, on every server.

The epoch rises on logout (:func:`end_sessions`), and, for any write path (forms, REST, FAB's
own views, services, the lockout), whenever a flush changes the password, deactivates the
account or locks it (the ``before_flush`` listener below). A user who changes their own
password keeps the session they did it in (:func:`remember_epoch`); every other ends.
"""
from flask import has_request_context
from flask import session as flask_session
from flask_login import user_logged_in
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from app.core import mixins
from app.security.models import AnjuUser

SESSION_KEY = "auth_epoch"
JWT_CLAIM = "epoch"


def end_sessions(user, db_session=None):
    """Raise the account's epoch inside the caller's transaction (one atomic UPDATE)."""
    from app.extensions import db

    db_session = db_session or db.session
    table = AnjuUser.__table__
    db_session.execute(update(table).where(table.c.id == user.id)
                       .values(session_epoch=table.c.session_epoch + 1))
    if inspect(user).session is db_session:
        db_session.expire(user, ["session_epoch"])


def current_epoch(user_id, db_session=None):
    from app.extensions import db

    db_session = db_session or db.session
    table = AnjuUser.__table__
    return db_session.execute(select(table.c.session_epoch).where(table.c.id == user_id)).scalar()


def remember_epoch(user):
    """Tie the current browser session to the account's current epoch."""
    if has_request_context():
        flask_session[SESSION_KEY] = current_epoch(user.id)


def session_is_current(user):
    return has_request_context() and flask_session.get(SESSION_KEY) is not None \
        and flask_session.get(SESSION_KEY) == user.session_epoch


def token_is_current(user, jwt_data):
    return jwt_data.get(JWT_CLAIM) is not None and jwt_data.get(JWT_CLAIM) == user.session_epoch


@user_logged_in.connect
def _on_login(sender, user, **extra):
    remember_epoch(user)


def _ends_sessions(user):
    """Does this pending change of the account end its sessions?"""
    state = inspect(user)
    password = state.attrs.password.history
    if password.added and password.added[0] and list(password.added) != list(password.deleted or []):
        return True
    active = state.attrs.active.history
    if active.added and active.added[0] is False and (active.deleted or [None])[0] is not False:
        return True
    locked = state.attrs.locked_until.history
    if locked.added and locked.added[0] is not None and locked.added[0] > mixins.now():
        return True
    return False


@event.listens_for(Session, "before_flush")
def _collect(db_session, flush_context, instances):
    ids = db_session.info.setdefault("end_sessions", set())
    for obj in db_session.dirty:
        if isinstance(obj, AnjuUser) and obj.id is not None and _ends_sessions(obj):
            ids.add(obj.id)


@event.listens_for(Session, "after_flush")
def _raise_epochs(db_session, flush_context):
    ids = db_session.info.get("end_sessions")
    if not ids:
        return
    table = AnjuUser.__table__
    db_session.connection().execute(update(table).where(table.c.id.in_(sorted(ids)))
                                    .values(session_epoch=table.c.session_epoch + 1))


@event.listens_for(Session, "after_flush_postexec")
def _expire(db_session, flush_context):
    ids = db_session.info.pop("end_sessions", None)
    if not ids:
        return
    for obj in list(db_session.identity_map.values()):
        if isinstance(obj, AnjuUser) and obj.id in ids:
            db_session.expire(obj, ["session_epoch"])


@event.listens_for(Session, "after_rollback")
def _forget(db_session):
    db_session.info.pop("end_sessions", None)
