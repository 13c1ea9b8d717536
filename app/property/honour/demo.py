"""Demo data of 诚信登记 and 小区动态 (``flask seed demo``; idempotent): one published news item by
ent_a for 和平小区, and one good-behaviour declaration of ent_a in publicity there."""
from sqlalchemy import select

from app.extensions import db

NEWS_TITLE = "关于开展小区消防安全检查的通知"
NEWS_CONTENT = ("各位业主：\n为保障小区消防安全，物业服务中心将于本周六上午对各楼栋消防通道、消防设施进行检查。\n"
                "请各位业主配合清理楼道杂物。\n重庆安居物业服务有限公司 和平小区物业服务中心")
HONOUR_TITLE = "暴雨期间组织抢险排涝，保障业主出行安全"


def load_demo():
    from flask import current_app

    from app.core import workflow
    from app.core.mixins import now
    from app.property.honour import services as honour
    from app.property.models import AreaNews, NewsStatus, PropertyArea

    sm = current_app.appbuilder.sm
    ent_a, reviewer = sm.find_user(username="ent_a"), sm.find_user(username="reviewer")
    area = db.session.execute(select(PropertyArea).where(PropertyArea.name == "和平小区")).scalars().first()
    if ent_a is None or reviewer is None or area is None:
        return 0
    count = 0
    if db.session.execute(select(AreaNews.id).where(AreaNews.title == NEWS_TITLE)).first() is None:
        db.session.add(AreaNews(area_id=area.id, org_id=ent_a.org_id, author_id=ent_a.id,
                                region_code=area.region_code, title=NEWS_TITLE, content=NEWS_CONTENT,
                                status=NewsStatus.PUBLISHED, published_at=now()))
        count += 1
    exists = db.session.execute(select(workflow.Application.id).where(
        workflow.Application.app_type == honour.GOOD_BEHAVIOUR,
        workflow.Application.title == HONOUR_TITLE)).first()
    if exists is None:
        payload = {"area_id": area.id, "area_name": area.name, "category": "emergency_rescue",
                   "category_label": "应急抢险", "behaviour_title": HONOUR_TITLE,
                   "happened_on": now().date().isoformat(),
                   "description": "暴雨期间，物业服务中心组织20名员工连续12小时抢险排涝，疏通地下车库排水，"
                                  "未造成业主财产损失。"}
        application = workflow.create(honour.GOOD_BEHAVIOUR, applicant=ent_a, title=HONOUR_TITLE,
                                      org_id=ent_a.org_id, region_code=area.region_code, payload=payload,
                                      subject=(honour.SUBJECT, area.id), submit=True)
        workflow.transition(application, workflow.Action.ACCEPT, reviewer)
        count += 1
    db.session.commit()
    return count
