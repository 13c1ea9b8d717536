"""Console notices (站内通知): a message to an organisation's staff, shown in their
notice list and counted on their home page. Used wherever a rule has to tell someone
(an escalated complaint to the street, later filings due, lists expiring)::

    notices.notify(street_org, _("..."), body, link=url)

Notices are scoped by the receiving organisation only: a district does not read the
notices of its streets. A notice may also be addressed to one person of the organisation
(``user_id``: e.g. "your export is ready"): then only that person sees it (:func:`visible_to`).
``notify`` adds to the caller's transaction; it never commits.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func, or_, select
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class Notice(db.Model):
    __tablename__ = "anju_notice"
    __audit__ = AuditSpec(_l("Notice"), row="title",
                          labels={"org_id": _l("Organization"), "title": _l("Title"), "body": _l("Content"),
                                  "link": _l("Link"), "source_type": _l("Source type"), "source_id": _l("Source ID"),
                                  "created_on": _l("Sent at"), "read_at": _l("Read at"),
                                  "user_id": _l("Addressed to")})
    __scope__ = {"org": "org_id", "region": None, "owner": None}

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    title = Column(String(200), nullable=False)
    body = Column(Text)
    link = Column(String(255))
    source_type = Column(String(32))
    source_id = Column(Integer)
    created_on = Column(DateTime, nullable=False, default=now, index=True)
    read_at = Column(DateTime)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE", name="fk_anju_notice_user"), index=True)

    org = relationship("Organization", foreign_keys=[org_id])


def notify(org, title, body=None, link=None, source=None, session=None, user_id=None):
    """Queue a notice to ``org`` (an Organization or its id) in the current transaction; with
    ``user_id``, to that one person of it."""
    session = session or db.session
    org_id = org if isinstance(org, int) else org.id
    notice = Notice(org_id=org_id, title=str(title)[:200], body=str(body) if body is not None else None,
                    link=link, created_on=now(), user_id=user_id)
    if source is not None:
        notice.source_type, notice.source_id = source
    session.add(notice)
    return notice


def visible_to(user_id):
    """The notices a person may read among their organisation's: those to everyone of it and
    those addressed to them."""
    return or_(Notice.user_id.is_(None), Notice.user_id == user_id)


def unread_count(org_id, session=None, cap=None, user_id=None):
    """Unread notices of an organisation that ``user_id`` may read; with ``cap``, counted up to
    cap + 1 only (the top bar shows 99+)."""
    session = session or db.session
    if not org_id:
        return 0
    unread = select(Notice.id).where(Notice.org_id == org_id, Notice.read_at.is_(None), visible_to(user_id))
    if cap is not None:
        unread = unread.limit(cap + 1)
    return session.execute(select(func.count()).select_from(unread.subquery())).scalar_one()
