"""小区动态 (seed 004 物业服务企业 10, 业主委员会 3; SPEC §7): the rules, once.

* Who writes: a property company's administrator for the areas it serves, an owners
  committee for its area, a project lead for the areas they lead (:func:`writable_areas`).
  An item belongs to the writer's organisation; only that organisation's writers (inside
  their scope) change, publish, withdraw or delete it (:func:`may_manage`).
* States: 草稿 → 发布 (已发布, shown on the area's public page) → 撤回 (已撤回) → 发布 again.
  A published item is neither changed nor deleted: withdraw it first.
* Content is plain text: kept as typed (line breaks included) and always shown escaped, so
  no HTML reaches a page.
* Government reads the items of its region; the public only published ones.

Functions take the acting user and raise DomainError with a Chinese message.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union

from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import can_see
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.news.models import NEWS_STATUS_LABELS, AreaNews, NewsStatus
from app.system.models import OrgType

MAX_TITLE = 100
MAX_CONTENT = 5000
PUBLIC_LIMIT = 10

LABELS = {"area_id": _l("Property management area"), "title": _l("Title"), "content": _l("Content")}


def status_label(code):
    return str(NEWS_STATUS_LABELS.get(code, code or ""))


def _field_error(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def _roles(user):
    return {r.name for r in getattr(user, "roles", []) or []}


def writable_area_ids(user):
    """A SELECT of the ids of the areas ``user`` may write news for, or None for none."""
    if user is None:
        return None
    parts = []
    org = getattr(user, "org", None)
    if org is not None and org.org_type == OrgType.ENTERPRISE and "ent_admin" in _roles(user):
        parts.append(select(PropertyArea.id).where(PropertyArea.company_org_id == org.id))
    if org is not None and org.org_type == OrgType.OWNERS_COMMITTEE:
        parts.append(select(PropertyArea.id).where(PropertyArea.committee_org_id == org.id))
    if "project_lead" in _roles(user):
        parts.append(select(PropertyArea.id).where(PropertyArea.project_lead_id == user.id))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union(*parts)


def writable_areas(user, session=None):
    """The areas ``user`` may write news for (the form's dropdown), by name."""
    session = session or db.session
    ids = writable_area_ids(user)
    if ids is None:
        return []
    return session.execute(select(PropertyArea).where(PropertyArea.id.in_(ids))
                           .order_by(PropertyArea.name).limit(2000)).scalars().all()


def may_manage(news, user):
    """May ``user`` change, publish, withdraw or delete ``news``? Its organisation's writers only."""
    if user is None or news is None or not getattr(user, "org_id", None) or news.org_id != user.org_id:
        return False
    ids = writable_area_ids(user)
    if ids is None:
        return False
    allowed = db.session.execute(select(PropertyArea.id).where(PropertyArea.id == news.area_id,
                                                               PropertyArea.id.in_(ids))).first()
    return allowed is not None and can_see(news, user)


def _clean_text(value, label, limit, multiline=False):
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").strip() if multiline else " ".join(text.split())
    if not text:
        raise _field_error(label, _("is required"))
    if len(text) > limit:
        raise _field_error(label, _("at most %(n)s characters", n=limit))
    return text


def check_news(news, actor, creating):
    """Check an item before it is saved (form or API) and fill who and where; DomainError."""
    if actor is None or not getattr(actor, "org_id", None) or writable_area_ids(actor) is None:
        raise DomainError(_("Only a property company, a project lead or an owners committee may write community "
                            "news."))
    if not creating:
        if not may_manage(news, actor):
            raise DomainError(_("Only the organisation that wrote this item may change it."))
        if news.status == NewsStatus.PUBLISHED:
            raise DomainError(_("A published item cannot be changed; withdraw it first."))
    area_id = news.area.id if news.area is not None and news.area_id is None else news.area_id
    try:
        area_id = int(area_id) if area_id not in (None, "") else None
    except (TypeError, ValueError):
        area_id = None
    ids = writable_area_ids(actor)
    area = None
    if area_id is not None:
        area = db.session.execute(select(PropertyArea).where(PropertyArea.id == area_id,
                                                             PropertyArea.id.in_(ids))).scalars().first()
    if area is None:
        raise _field_error(LABELS["area_id"], _("please choose one of your areas"))
    news.area_id, news.area = area.id, area
    news.region_code = area.region_code
    news.title = _clean_text(news.title, LABELS["title"], MAX_TITLE)
    news.content = _clean_text(news.content, LABELS["content"], MAX_CONTENT, multiline=True)
    if creating:
        news.org_id = actor.org_id
        news.author_id = actor.id
        news.status = NewsStatus.DRAFT
        news.published_at = news.withdrawn_at = None
    return news


def check_delete(news, actor):
    if not may_manage(news, actor):
        raise DomainError(_("Only the organisation that wrote this item may change it."))
    if news.status == NewsStatus.PUBLISHED:
        raise DomainError(_("A published item cannot be deleted; withdraw it first."))


def publish(news, actor):
    """发布: a draft or withdrawn item goes on the area's public page. Commits."""
    if not may_manage(news, actor):
        raise DomainError(_("Only the organisation that wrote this item may change it."))
    if news.status == NewsStatus.PUBLISHED:
        raise DomainError(_("「%(title)s」 is already published.", title=news.title))
    news.status = NewsStatus.PUBLISHED
    news.published_at = now()
    news.withdrawn_at = None
    db.session.commit()
    return news


def withdraw(news, actor):
    """撤回: a published item leaves the public page. Commits."""
    if not may_manage(news, actor):
        raise DomainError(_("Only the organisation that wrote this item may change it."))
    if news.status != NewsStatus.PUBLISHED:
        raise DomainError(_("Only a published item can be withdrawn."))
    news.status = NewsStatus.WITHDRAWN
    news.withdrawn_at = now()
    db.session.commit()
    return news


# --- the area's public page ---------------------------------------------------------------------

def public_news(area, pk, session=None):
    """One published item of ``area``, else None."""
    session = session or db.session
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return session.execute(select(AreaNews).where(AreaNews.id == pk, AreaNews.area_id == area.id,
                                                  AreaNews.status == NewsStatus.PUBLISHED)).scalars().first()


def public_list(area, limit=PUBLIC_LIMIT, session=None):
    session = session or db.session
    return session.execute(select(AreaNews).where(AreaNews.area_id == area.id,
                                                  AreaNews.status == NewsStatus.PUBLISHED)
                           .order_by(AreaNews.published_at.desc(), AreaNews.id.desc()).limit(limit)).scalars().all()


def public_section(area):
    """The 小区动态 section of an area's public page (app/property/public.py)."""
    rows = public_list(area)
    if not rows:
        return None
    items = [{"id": n.id, "title": n.title, "published_on": n.published_at.strftime("%Y-%m-%d"),
              "by": n.org.name if n.org else ""} for n in rows]
    return {"title": _("Community news"), "template": "anju/property/news/_section.html",
            "context": {"items": items, "public_code": area.public_code}}
