"""Business applications (业务单): one state machine for every filing and declaration.

States (SPEC §2, seed 003 §11)::

    草稿 draft ──submit──▶ 已提交 submitted ──accept──▶ 已受理 accepted ──approve──▶ 审核通过 approved
        │                      │   │                         │  │
        │                      │   └──return / reject───────┘  └──return──▶ 已退回 returned
        │                      │                                  └─reject──▶ 不予通过 rejected
        └──terminate──▶ 已终止 terminated ◀──terminate── 已退回 returned ──resubmit──▶ 已提交

How a module uses it:

1. Declare the type once, at import time of the module's services::

       register_type(ApplicationType(
           code="org_registration", label=_l("Organisation registration"), prefix="JG",
           decider_roles=("gov_reviewer",), on_approve=activate_org, on_return=..., ...))

   Hooks take ``(application, actor)`` and run inside the transition's transaction: an
   exception in a hook undoes the whole transition.
2. Create and submit: ``app = create(type_code, applicant=user, org_id=..., region_code=...,
   title=..., payload={...}, subject=(model_name, id))`` then ``submit(app, user)``, or
   ``create(..., submit=True)``.
3. Decide: ``transition(app, "accept" | "approve" | "return" | "reject", actor, reason)``.
   ``return`` and ``reject`` need a reason. Only users holding one of the type's
   ``decider_roles`` and seeing the application in their data scope may decide; the
   applicant alone may ``submit``, ``resubmit`` and ``terminate``.
4. The caller commits. Every transition writes an :class:`ApplicationEvent` (actor, time,
   reason) and the audit log records the status change. Two concurrent decisions on one
   application cannot both succeed: the row carries a version counter, and the loser gets
   a :class:`DomainError` saying the application was handled meanwhile.

Numbers are ``<prefix><YYYYMMDD><4-digit daily sequence>`` (app/core/sequences.py).
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship
from sqlalchemy.orm.exc import StaleDataError

from app.core.audit import AuditSpec
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.sequences import next_value
from app.extensions import db


class AppStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    TERMINATED = "terminated"
    ALL = (DRAFT, SUBMITTED, ACCEPTED, APPROVED, RETURNED, REJECTED, TERMINATED)
    OPEN = (SUBMITTED, ACCEPTED)      # waiting for the reviewer
    FINAL = (APPROVED, REJECTED, TERMINATED)


STATUS_LABELS = {
    AppStatus.DRAFT: _l("Draft"),
    AppStatus.SUBMITTED: _l("Submitted"),
    AppStatus.ACCEPTED: _l("Accepted"),
    AppStatus.APPROVED: _l("Approved"),
    AppStatus.RETURNED: _l("Returned"),
    AppStatus.REJECTED: _l("Not approved"),
    AppStatus.TERMINATED: _l("Terminated"),
}


class Action:
    SUBMIT = "submit"
    ACCEPT = "accept"
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    TERMINATE = "terminate"
    APPLICANT = (SUBMIT, RESUBMIT, TERMINATE)
    DECIDER = (ACCEPT, APPROVE, RETURN, REJECT)
    NEED_REASON = (RETURN, REJECT)


ACTION_LABELS = {
    "create": _l("Created"),
    Action.SUBMIT: _l("Submit"),
    Action.ACCEPT: _l("Accept for review"),
    Action.APPROVE: _l("Approve"),
    Action.RETURN: _l("Return for changes"),
    Action.REJECT: _l("Do not approve"),
    Action.RESUBMIT: _l("Resubmit"),
    Action.TERMINATE: _l("Terminate"),
}

# action -> (allowed from, to)
TRANSITIONS = {
    Action.SUBMIT: ((AppStatus.DRAFT,), AppStatus.SUBMITTED),
    Action.ACCEPT: ((AppStatus.SUBMITTED,), AppStatus.ACCEPTED),
    Action.APPROVE: ((AppStatus.ACCEPTED,), AppStatus.APPROVED),
    Action.RETURN: ((AppStatus.SUBMITTED, AppStatus.ACCEPTED), AppStatus.RETURNED),
    Action.REJECT: ((AppStatus.SUBMITTED, AppStatus.ACCEPTED), AppStatus.REJECTED),
    Action.RESUBMIT: ((AppStatus.RETURNED,), AppStatus.SUBMITTED),
    Action.TERMINATE: ((AppStatus.DRAFT, AppStatus.RETURNED), AppStatus.TERMINATED),
}


def status_label(code):
    return STATUS_LABELS.get(code, code)


def action_label(code):
    return ACTION_LABELS.get(code, code)


@dataclass
class ApplicationType:
    code: str
    label: object
    prefix: str
    decider_roles: tuple = ("gov_reviewer",)
    # Hooks: fn(application, actor); run inside the transition, before the commit.
    on_submit: Callable | None = None
    on_accept: Callable | None = None
    on_approve: Callable | None = None
    on_return: Callable | None = None
    on_reject: Callable | None = None
    on_terminate: Callable | None = None
    # fn(application) -> URL where the applicant changes a returned application.
    edit_url: Callable | None = None
    extra: dict = field(default_factory=dict)


_TYPES = {}
# Labels of payload keys shared by every type (modules register theirs at import: the
# organisation registration's, the enterprise filing's); a type's own
# ``extra["payload_labels"]`` come after them.
_PAYLOAD_LABELS = {}


def register_type(app_type):
    _TYPES[app_type.code] = app_type
    return app_type


def register_payload_labels(labels):
    """Add labels (key -> lazy text) for payload keys shown on every application's page and form."""
    _PAYLOAD_LABELS.update(labels)


def payload_labels(application):
    """The labels of the payload keys an application shows: the shared ones, then its type's own."""
    app_type = _TYPES.get(application.app_type)
    own = (app_type.extra or {}).get("payload_labels") if app_type is not None else None
    return {**_PAYLOAD_LABELS, **own} if own else dict(_PAYLOAD_LABELS)


def get_type(code):
    try:
        return _TYPES[code]
    except KeyError:
        raise DomainError(_("Unknown application type: %(code)s", code=code))


def type_label(code):
    app_type = _TYPES.get(code)
    return app_type.label if app_type else code


def all_types():
    return list(_TYPES.values())


class Application(db.Model):
    """One business application: the number, who applied, where it belongs, its state."""

    __tablename__ = "anju_application"
    __audit__ = AuditSpec(
        _l("Business application"), row="number",
        labels={"number": _l("Application number"), "app_type": _l("Business type"), "title": _l("Title"),
                "status": _l("Status"), "applicant_id": _l("Applicant"), "subject_type": _l("Subject type"),
                "subject_id": _l("Subject ID"), "payload": _l("Application content"), "reason": _l("Reason"),
                "created_on": _l("Created at"), "submitted_at": _l("Submitted at"),
                "decided_at": _l("Decided at"), "decider_id": _l("Decided by"), "events": _l("History")},
        masks={"applicant_name": "name"},
        values={"status": "app.core.workflow:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "applicant_id"}
    __table_args__ = (
        Index("ix_anju_application_type_status", "app_type", "status"),
        Index("ix_anju_application_region_status", "region_code", "status"),
        # The applications about one record (an area's 查看流程图, open filings of an area).
        Index("ix_anju_application_subject", "subject_type", "subject_id"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    app_type = Column(String(32), nullable=False)
    title = Column(String(200), nullable=False)
    status = Column(String(16), nullable=False, default=AppStatus.DRAFT)
    applicant_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    region_code = Column(String(12), index=True)
    # The record the application concerns (e.g. the organisation being registered).
    subject_type = Column(String(32))
    subject_id = Column(Integer)
    payload = Column(JSON)
    reason = Column(Text)                  # reason of the last return/refusal
    created_on = Column(DateTime, default=now, nullable=False, index=True)
    submitted_at = Column(DateTime, index=True)
    decided_at = Column(DateTime)
    decider_id = Column(Integer, ForeignKey("ab_user.id"))
    version = Column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    applicant = relationship("AnjuUser", foreign_keys=[applicant_id], lazy="joined")
    decider = relationship("AnjuUser", foreign_keys=[decider_id])
    org = relationship("Organization", foreign_keys=[org_id])
    events = relationship("ApplicationEvent", order_by="ApplicationEvent.id",
                          back_populates="application", cascade="all, delete-orphan")

    def __repr__(self):
        return self.number

    @property
    def status_label(self):
        return str(status_label(self.status))

    @property
    def type_label(self):
        return str(type_label(self.app_type))

    @property
    def applicant_name(self):
        return self.applicant.first_name if self.applicant else ""


class ApplicationEvent(db.Model):
    """One transition of an application: who, when, from what to what, and why."""

    __tablename__ = "anju_application_event"
    __audit__ = AuditSpec(
        _l("Application history"),
        row=lambda e: f"{action_label(e.action)} {e.at:%Y-%m-%d %H:%M}" if e.at else str(action_label(e.action)),
        labels={"application_id": _l("Business application"), "action": _l("Operation"),
                "from_status": _l("Status before"), "to_status": _l("Status after"),
                "actor_id": _l("Handler account"), "actor_name": _l("Handler"), "at": _l("Handled at"),
                "reason": _l("Reason")},
        masks={"actor_name": "name"},
        values={"action": "app.core.workflow:ACTION_LABELS", "from_status": "app.core.workflow:STATUS_LABELS",
                "to_status": "app.core.workflow:STATUS_LABELS"},
    )
    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("anju_application.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    action = Column(String(16), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16), nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor_name = Column(String(128))
    at = Column(DateTime, default=now, nullable=False)
    reason = Column(Text)

    application = relationship("Application", back_populates="events")

    def __repr__(self):
        return f"{self.action}:{self.from_status or '-'}->{self.to_status}"

    @property
    def action_label(self):
        return str(action_label(self.action))

    @property
    def to_label(self):
        return str(status_label(self.to_status))


# --- the engine ---------------------------------------------------------------------

def new_number(prefix, when=None, session=None):
    day = (when or datetime.now()).strftime("%Y%m%d")
    return f"{prefix}{day}{next_value(f'app:{prefix}{day}', session=session):04d}"


def create(type_code, applicant, title, org_id=None, region_code=None, payload=None,
           subject=None, submit=False, session=None):
    """A new application in 草稿 (or 已提交 with ``submit=True``); the caller commits."""
    session = session or db.session
    app_type = get_type(type_code)
    application = Application(
        number=new_number(app_type.prefix, session=session), app_type=type_code, title=title[:200],
        status=AppStatus.DRAFT, applicant_id=applicant.id, org_id=org_id,
        region_code=region_code, payload=payload,
        subject_type=subject[0] if subject else None, subject_id=subject[1] if subject else None,
    )
    session.add(application)
    session.flush()
    _event(application, "create", None, AppStatus.DRAFT, applicant, None)
    if submit:
        transition(application, Action.SUBMIT, applicant, session=session)
    return application


def is_decider(user, app_type):
    names = {r.name for r in getattr(user, "roles", [])}
    return bool(names & set(app_type.decider_roles))


def allowed_actions(application, user):
    """The actions ``user`` may take on ``application`` now (for buttons and checks)."""
    from app.core.scope import can_see

    app_type = _TYPES.get(application.app_type)
    if app_type is None or user is None:
        return []
    may_decide = None  # the scope query runs only when a decision is possible at all
    out = []
    for action, (sources, _target) in TRANSITIONS.items():
        if application.status not in sources:
            continue
        if action in Action.APPLICANT and application.applicant_id == user.id:
            out.append(action)
        elif action in Action.DECIDER and is_decider(user, app_type):
            if may_decide is None:
                may_decide = can_see(application, user)
            if may_decide:
                out.append(action)
    return out


def transition(application, action, actor, reason=None, session=None):
    """Move ``application`` by ``action``; raise DomainError (Chinese) when not allowed."""
    from app.core.scope import can_see

    session = session or db.session
    if action not in TRANSITIONS:
        raise DomainError(_("Unknown operation: %(action)s", action=action))
    app_type = get_type(application.app_type)
    sources, target = TRANSITIONS[action]
    reason = (reason or "").strip() or None
    if action in Action.APPLICANT:
        if actor is None or application.applicant_id != actor.id:
            raise DomainError(_("Only the applicant may %(action)s this application.",
                                action=action_label(action)))
    else:
        if actor is None or not is_decider(actor, app_type):
            raise DomainError(_("Only a reviewer may decide on this application."))
        if not can_see(application, actor, session=session):
            raise DomainError(_("This application is outside your scope."))
        if action in Action.NEED_REASON and not reason:
            raise DomainError(_("Please give the reason."))
    if application.status not in sources:
        raise DomainError(_("An application that is %(status)s cannot be %(action)s.",
                            status=status_label(application.status), action=action_label(action)))
    if reason and len(reason) > 2000:
        raise DomainError(_("The reason may be at most %(n)s characters.", n=2000))
    from_status = application.status
    try:
        # No autoflush while the row is half changed: loading ``events`` (in _event) would
        # flush the UPDATE early, outside this try, and a lost race would escape as StaleDataError.
        with session.no_autoflush:
            application.status = target
            stamp_time = datetime.now()
            if action in (Action.SUBMIT, Action.RESUBMIT):
                application.submitted_at = stamp_time
                application.reason = None
            if action in Action.DECIDER:
                application.decided_at = stamp_time
                application.decider_id = actor.id
                if action in Action.NEED_REASON:
                    application.reason = reason
            _event(application, action, from_status, target, actor, reason)
        session.flush()
    except StaleDataError:
        session.rollback()
        raise DomainError(_("This application was handled by someone else meanwhile; please reload it."))
    hook = {
        Action.SUBMIT: app_type.on_submit, Action.RESUBMIT: app_type.on_submit,
        Action.ACCEPT: app_type.on_accept, Action.APPROVE: app_type.on_approve, Action.RETURN: app_type.on_return,
        Action.REJECT: app_type.on_reject, Action.TERMINATE: app_type.on_terminate,
    }.get(action)
    if hook is not None:
        hook(application, actor)
        session.flush()
    return application


def _event(application, action, from_status, to_status, actor, reason):
    application.events.append(ApplicationEvent(
        action=action, from_status=from_status, to_status=to_status,
        actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "first_name", None) or getattr(actor, "username", None)),
        at=datetime.now(), reason=reason,
    ))


# --- warnings for reviewers ----------------------------------------------------------

_WARNINGS = []


def register_warning(fn):
    """Register ``fn(application) -> str | None``: a warning a reviewer should read before
    deciding (e.g. the applicant enterprise is black-listed). Modules register at start-up;
    the engine knows nothing of what the warnings are about."""
    if fn not in _WARNINGS:
        _WARNINGS.append(fn)
    return fn


def warnings_for(application, viewer=None):
    """The registered warnings that apply to ``application`` (texts, in registration order).
    With ``viewer``: none for the applicant nor for a member of the applying organisation
    (the warnings are for those who review it); a warning that fails is logged and left out."""
    import logging

    if application is None:
        return []
    if viewer is not None and (application.applicant_id == getattr(viewer, "id", None)
                               or (application.org_id is not None
                                   and application.org_id == getattr(viewer, "org_id", None))):
        return []
    out = []
    for fn in _WARNINGS:
        try:
            text = fn(application)
        except Exception:
            logging.getLogger(__name__).exception("application warning %r failed", fn)
            continue
        if text and str(text) not in out:
            out.append(str(text))
    return out


def latest_for_subject(subject_type, subject_id, type_code=None, session=None):
    """The newest application about one record (e.g. an organisation's registration)."""
    from sqlalchemy import select

    session = session or db.session
    stmt = select(Application).where(Application.subject_type == subject_type,
                                      Application.subject_id == subject_id)
    if type_code:
        stmt = stmt.where(Application.app_type == type_code)
    return session.execute(stmt.order_by(Application.id.desc()).limit(1)).scalars().first()
