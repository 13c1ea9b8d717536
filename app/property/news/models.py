"""小区动态 (seed 004 物业服务企业 10, 业主委员会 3): news an area's property company, project
lead or owners committee writes for the area: 草稿 → 已发布 (on the area's public page) → 已撤回."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db
from app.property.areas.models import org_area_ids


class NewsStatus:
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ALL = (DRAFT, PUBLISHED, WITHDRAWN)


NEWS_STATUS_LABELS = {NewsStatus.DRAFT: _l("Draft"), NewsStatus.PUBLISHED: _l("Published"),
                      NewsStatus.WITHDRAWN: _l("Withdrawn")}


class AreaNews(TimestampMixin, db.Model):
    """One item of 小区动态: plain text (line breaks kept, never HTML)."""

    __tablename__ = "anju_area_news"
    __audit__ = AuditSpec(
        _l("Community news"), row="title",
        labels={"area_id": _l("Property management area"), "org_id": _l("Publishing organization"),
                "author_id": _l("Author"), "region_code": _l("Region"), "title": _l("Title"),
                "content": _l("Content"), "status": _l("Status"), "published_at": _l("Published at"),
                "withdrawn_at": _l("Withdrawn at")},
        values={"status": "app.property.news.models:NEWS_STATUS_LABELS"},
    )
    # An enterprise reads the news of the areas it serves or represents; a project lead those of
    # the areas they lead; government its region.
    __scope__ = {"org": lambda org_id: AreaNews.area_id.in_(org_area_ids(org_id)),
                 "region": "region_code", "area": "area_id", "owner": "author_id"}
    __table_args__ = (
        # The public page: an area's published news, newest first.
        Index("ix_anju_area_news_public", "area_id", "status", "published_at"),
    )

    id = Column(Integer, primary_key=True)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_area_news_area"), nullable=False)
    org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_area_news_org"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("ab_user.id", name="fk_anju_area_news_author"), index=True)
    region_code = Column(String(12), nullable=False, index=True)
    title = Column(String(200), nullable=False)
    content = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=NewsStatus.DRAFT)
    published_at = Column(DateTime)
    withdrawn_at = Column(DateTime)

    area = relationship("PropertyArea", foreign_keys=[area_id], lazy="joined", innerjoin=True)
    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    author = relationship("AnjuUser", foreign_keys=[author_id])

    def __repr__(self):
        return self.title

    @property
    def status_label(self):
        return str(NEWS_STATUS_LABELS.get(self.status, self.status))
