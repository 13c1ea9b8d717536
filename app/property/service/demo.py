"""Demo data of 物业服务 (idempotent): repairs of 和平小区 in different states, one open
satisfaction survey of 和平小区 and 七星花园, and one inspection evaluation of 和平小区."""
from datetime import timedelta

from sqlalchemy import select

from app.core.mixins import now
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.service.evaluations import checklist
from app.property.service.models import Evaluation, Repair, RepairStatus as S, Survey, SurveyArea, SurveyStatus
from app.property.service.repairs import new_number

DEMO_REPAIRS = [
    # location, content, status, result or reason, satisfaction
    ("2栋电梯厅", "2栋左侧电梯按键失灵，按下没有反应。", S.SUBMITTED, None, None),
    ("地下车库B区", "车库B区照明灯有三盏不亮。", S.ASSIGNED, None, None),
    ("小区东门", "东门门禁刷卡无反应。", S.HANDLING, None, None),
    ("3栋楼道", "3栋5楼楼道窗户玻璃破损。", S.COMPLETED, "已更换窗户玻璃。", 5),
    ("中心花园", "花园喷泉不出水（非物业维修范围）。", S.REJECTED, "喷泉属开发建设单位保修范围，已转告开发建设单位。", None),
]
SURVEY_TITLE = "2026年度物业服务满意度调查（演示）"


def _user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def load_demo():
    areas = {a.name: a for a in db.session.execute(select(PropertyArea).where(
        PropertyArea.name.in_(("和平小区", "七星花园")))).scalars()}
    heping = areas.get("和平小区")
    if heping is None:
        return 0
    created = 0
    moment = now()
    if db.session.execute(select(Repair.id).where(Repair.area_id == heping.id, Repair.content == DEMO_REPAIRS[0][1])
                          ).first() is None:
        for i, (location, content, status, text, stars) in enumerate(DEMO_REPAIRS):
            at = moment - timedelta(days=len(DEMO_REPAIRS) - i)
            repair = Repair(number=new_number("BX", heping.district_code, at), area_id=heping.id,
                            org_id=heping.company_org_id, region_code=heping.region_code, location=location,
                            name="王业主", mobile=f"1390000020{i}", content=content, status=status, submitted_at=at)
            if status in (S.ASSIGNED, S.HANDLING, S.COMPLETED):
                repair.assigned_at = at + timedelta(hours=1)
            if status == S.HANDLING:
                repair.note, repair.handling_at = "已联系门禁厂家，等待配件。", at + timedelta(hours=2)
            if status == S.COMPLETED:
                repair.result, repair.completed_at = text, at + timedelta(hours=5)
                repair.satisfaction, repair.evaluation, repair.evaluated_at = stars, "维修及时。", at + timedelta(hours=6)
            if status == S.REJECTED:
                repair.reason, repair.closed_at = text, at + timedelta(hours=3)
            db.session.add(repair)
            created += 1
    district = _user("district1")
    if db.session.execute(select(Survey.id).where(Survey.title == SURVEY_TITLE)).first() is None and district:
        today = moment.date()
        survey = Survey(title=SURVEY_TITLE, description="请和平小区、七星花园的业主对本小区物业服务进行评价。",
                        start_date=today - timedelta(days=3), end_date=today + timedelta(days=30),
                        status=SurveyStatus.OPEN, org_id=district.org_id, region_code="500103",
                        created_by_id=district.id, published_at=moment)
        for area in areas.values():
            survey.areas.append(SurveyArea(area_id=area.id, org_id=area.company_org_id, region_code=area.region_code))
        db.session.add(survey)
        created += 1
    street = _user("street1")
    if street and heping.company_org_id and db.session.execute(
            select(Evaluation.id).where(Evaluation.area_id == heping.id)).first() is None:
        items = []
        for item in checklist():
            score = item["max"] - (2 if item["name"] == "环境卫生" else 0)
            items.append({"name": item["name"], "max": str(item["max"]), "score": str(score),
                          "reason": "楼道有杂物堆放" if score < item["max"] else None})
        total = sum(float(i["score"]) for i in items)
        db.session.add(Evaluation(number=new_number("KP", heping.district_code, moment), area_id=heping.id,
                                  org_id=heping.company_org_id, region_code=heping.region_code,
                                  checked_on=moment.date() - timedelta(days=7), items=items, total=total,
                                  max_total=sum(float(i["max"]) for i in items),
                                  requirements="清理3栋楼道杂物，一周内整改完毕。", inspector_id=street.id,
                                  inspector_org_id=street.org_id, submitted_at=moment - timedelta(days=7)))
        created += 1
    db.session.commit()
    return created
