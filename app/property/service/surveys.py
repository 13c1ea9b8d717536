"""满意度调查 (seed 004): government surveys the owners of one or more areas.

City, district and street staff create a survey (title, period, areas of their region) as a
draft and 发布 it. During the period an owner answers at /survey/<id>: they choose their area
and give their name and ID number, checked against the area's house registry (one indexed
lookup on (area_id, owner_id_number), then the name); one answer per owner, area and survey.
The six fixed items are scored 1-5. Results are counted by area and by company. When a survey
closes (结束, or the daily job after its end date) each company with enough answers whose
average is below ``property.survey_deduction_below`` gets one credit deduction, and one at or
above ``property.survey_bonus_at`` a bonus, through the credit module's entry point.
"""
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import apply_scope, can_see
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.houses.models import House
from app.property.service.fields import day, text
from app.property.service.models import SURVEY_ITEMS, Survey, SurveyArea, SurveyResponse, SurveyStatus as S
from app.system.models import Organization
from app.system.params import get_param

log = logging.getLogger(__name__)

STATUS_LABELS = {S.DRAFT: _l("Draft"), S.OPEN: _l("Published"), S.CLOSED: _l("Ended")}
ORGANISER_ROLES = ("gov_admin", "district", "street")
ITEM_KEYS = tuple(k for k, _label in SURVEY_ITEMS)
SOURCE_TYPE = "property_survey"
MAX_TEXT = 2000
MAX_AREAS = 200


def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def item_labels():
    return [(k, str(label)) for k, label in SURVEY_ITEMS]


def _roles(user):
    return {r.name for r in getattr(user, "roles", [])}






def area_choices(user):
    """Areas the organiser may survey: those in their scope that have a company."""
    stmt = apply_scope(select(PropertyArea).where(PropertyArea.company_org_id.isnot(None)), PropertyArea, user)
    return list(db.session.execute(stmt.order_by(PropertyArea.region_code, PropertyArea.name).limit(2000)).scalars())


def may_organise(user):
    return bool(_roles(user) & set(ORGANISER_ROLES)) and getattr(user, "org_id", None) is not None


def may_manage(survey, user):
    """The organisation that created the survey (the city administrator: any survey)."""
    if user is None:
        return False
    if "gov_admin" in _roles(user):
        return True
    return may_organise(user) and survey.org_id == user.org_id


def _areas(user, ids):
    try:
        ids = sorted({int(x) for x in ids if str(x).strip()})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise DomainError(_("Surveyed areas: please choose at least one area."))
    if len(ids) > MAX_AREAS:
        raise DomainError(_("Surveyed areas: at most %(n)s areas in one survey.", n=MAX_AREAS))
    areas = list(db.session.execute(select(PropertyArea).where(PropertyArea.id.in_(ids))).scalars())
    if len(areas) != len(ids) or not all(can_see(a, user) for a in areas):
        raise DomainError(_("Surveyed areas: please choose areas of your region."))
    for a in areas:
        if a.company_org_id is None:
            raise DomainError(_("Surveyed areas: %(name)s has no property service company.", name=a.name))
    return areas


def create_survey(user, data, area_ids):
    """A draft survey by government staff. Commits; returns it."""
    if not may_organise(user):
        raise DomainError(_("Only city, district and street staff may organise satisfaction surveys."))
    title = text(data.get("title"), _("Survey title"), 128)
    description = text(data.get("description"), _("Description"), MAX_TEXT, required=False)
    start = day(data.get("start_date"), _("Start date"))
    end = day(data.get("end_date"), _("End date"))
    if end < start:
        raise DomainError(_("End date: must not be before the start date."))
    areas = _areas(user, area_ids)
    org = db.session.get(Organization, user.org_id)
    survey = Survey(title=title, description=description, start_date=start, end_date=end, status=S.DRAFT,
                    org_id=user.org_id, region_code=(org.region_code if org is not None else "") or "",
                    created_by_id=user.id, created_at=now())
    for a in areas:
        survey.areas.append(SurveyArea(area_id=a.id, org_id=a.company_org_id, region_code=a.region_code))
    db.session.add(survey)
    db.session.commit()
    return survey


def publish(survey, user, today=None):
    """发布: the draft opens for answers; each area's company is taken as it is now."""
    today = today or now().date()
    if not may_manage(survey, user):
        raise DomainError(_("Only the organiser of the survey may publish or end it."))
    if survey.status != S.DRAFT:
        raise DomainError(_("Only a draft survey can be published."))
    if survey.end_date < today:
        raise DomainError(_("The survey period has already ended; change the end date first."))
    for sa in survey.areas:
        sa.org_id = sa.area.company_org_id
        sa.region_code = sa.area.region_code
    survey.status = S.OPEN
    survey.published_at = now()
    db.session.commit()
    return survey


def delete_draft(survey, user):
    if not may_manage(survey, user):
        raise DomainError(_("Only the organiser of the survey may publish or end it."))
    if survey.status != S.DRAFT:
        raise DomainError(_("Only a draft survey can be deleted."))
    db.session.delete(survey)
    db.session.commit()


# --- answers ---------------------------------------------------------------------------

def open_for_answers(survey, today=None):
    """Why the survey takes no answers today, or None."""
    today = today or now().date()
    if survey is None or survey.status == S.DRAFT:
        return _("This survey does not exist.")
    if survey.status == S.CLOSED and survey.closed_at is not None:
        return _("This survey ended on %(day)s.", day=min(survey.closed_at.date(), survey.end_date).isoformat())
    if survey.status == S.CLOSED or today > survey.end_date:
        return _("This survey ended on %(day)s.", day=survey.end_date.isoformat())
    if today < survey.start_date:
        return _("This survey starts on %(day)s.", day=survey.start_date.isoformat())
    return None


def _score(value, label):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        raise DomainError(_("%(field)s: please choose 1 to 5.", field=label))
    return number


def find_owner(area_id, name, id_number):
    """The first house of the area registered to this owner (name and ID number), or None."""
    houses = db.session.execute(select(House).where(House.area_id == area_id, House.owner_id_number == id_number)
                                .order_by(House.id)).scalars()
    for house in houses:
        if (house.owner_name or "").strip() == name:
            return house
    return None


def answer(survey, data, moment=None):
    """An owner's answer. Commits; returns it."""
    moment = moment or now()
    problem = open_for_answers(survey, moment.date())
    if problem:
        raise DomainError(problem)
    try:
        area_id = int(data.get("area") or 0)
    except (TypeError, ValueError):
        area_id = 0
    surveyed = {sa.area_id: sa for sa in survey.areas}
    if area_id not in surveyed:
        raise DomainError(_("Property management area: please choose your area."))
    name = text(data.get("name"), _("Name"), 64)
    id_number = text(data.get("id_number"), _("ID number"), 32).replace(" ", "").upper()
    scores = {k: _score(data.get(f"score_{k}"), str(label)) for k, label in SURVEY_ITEMS}
    comment = text(data.get("comment"), _("Comments and suggestions"), MAX_TEXT, required=False)
    house = find_owner(area_id, name, id_number)
    if house is None:
        raise DomainError(_("The name and ID number do not match an owner in this area's house registry; "
                            "only owners may answer."))
    taken = db.session.execute(select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.area_id == area_id,
        SurveyResponse.id_number == id_number)).first()
    if taken:
        raise DomainError(_("You have already answered this survey."))
    response = SurveyResponse(survey_id=survey.id, area_id=area_id, house_id=house.id,
                              org_id=surveyed[area_id].org_id, name=name, id_number=id_number,
                              comment=comment, submitted_at=moment,
                              **{f"score_{k}": v for k, v in scores.items()})
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("You have already answered this survey."))
    db.session.commit()
    return response


def open_surveys_of_area(area, today=None):
    """Published surveys of an area, in their period (the area's public page)."""
    today = today or now().date()
    stmt = (select(Survey).join(SurveyArea, SurveyArea.survey_id == Survey.id)
            .where(SurveyArea.area_id == area.id, Survey.status == S.OPEN, Survey.start_date <= today,
                   Survey.end_date >= today).order_by(Survey.end_date).limit(10))
    return list(db.session.execute(stmt).scalars())


# --- results ----------------------------------------------------------------------------

def _round(value, places="0.01"):
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Row:
    key: int | None
    name: str
    count: int = 0
    averages: dict = field(default_factory=dict)     # item key -> Decimal
    average: Decimal | None = None                   # mean of the items' averages


def _rows(survey, group_column, names):
    columns = [func.count(SurveyResponse.id)] + [func.avg(getattr(SurveyResponse, f"score_{k}")) for k in ITEM_KEYS]
    stmt = (select(group_column, *columns).where(SurveyResponse.survey_id == survey.id).group_by(group_column))
    found = {}
    for key, count, *avgs in db.session.execute(stmt).all():
        averages = {k: _round(v) for k, v in zip(ITEM_KEYS, avgs)}
        overall = _round(sum(Decimal(str(v)) for v in avgs) / len(avgs)) if count else None
        found[key] = Row(key, names.get(key, ""), count, averages, overall)
    return [found.get(key) or Row(key, name) for key, name in names.items()]


def results(survey):
    """{"areas": [Row], "companies": [Row], "total": int}: answers and averages per item, by area
    and by company (the company of each area when the survey was published)."""
    area_names = {sa.area_id: sa.area.name for sa in survey.areas}
    company_names = {}
    for sa in survey.areas:
        if sa.org_id is not None:
            company_names[sa.org_id] = sa.org.name if sa.org is not None else ""
    areas = _rows(survey, SurveyResponse.area_id, area_names)
    companies = _rows(survey, SurveyResponse.org_id, company_names)
    return {"areas": areas, "companies": companies, "total": sum(r.count for r in areas)}


def close(survey, user=None, moment=None):
    """结束: no more answers; each company's average feeds credit once. Commits; returns the
    credit records created."""
    moment = moment or now()
    if user is not None and not may_manage(survey, user):
        raise DomainError(_("Only the organiser of the survey may publish or end it."))
    if survey.status != S.OPEN:
        raise DomainError(_("Only a published survey can be ended."))
    survey.status = S.CLOSED
    survey.closed_at = moment
    db.session.flush()
    records = feed_credit(survey, moment)
    db.session.commit()
    return records


def feed_credit(survey, moment=None):
    """One credit record per company below the deduction threshold or at/above the bonus
    threshold (feed() is idempotent per survey and company)."""
    from app.credit.services import feed

    moment = moment or now()
    low = Decimal(str(get_param("property.survey_deduction_below")))
    high = Decimal(str(get_param("property.survey_bonus_at")))
    least = get_param("property.survey_min_answers")
    event_day = min(survey.end_date, moment.date())
    records = []
    for row in results(survey)["companies"]:
        if row.key is None or row.count < least or row.average is None:
            continue
        if row.average < low:
            rule = get_param("property.survey_deduction_rule")
            facts = _("The owners' satisfaction survey 「%(title)s」 gave an average of %(avg)s (below %(low)s) "
                      "from %(n)s answers.", title=survey.title, avg=row.average, low=low, n=row.count)
        elif row.average >= high:
            rule = get_param("property.survey_bonus_rule")
            facts = _("The owners' satisfaction survey 「%(title)s」 gave an average of %(avg)s (at least %(high)s) "
                      "from %(n)s answers.", title=survey.title, avg=row.average, high=high, n=row.count)
        else:
            continue
        try:
            with db.session.begin_nested():
                record, created = feed(SOURCE_TYPE, f"{survey.id}:{row.key}", row.key, rule, facts, event_date=event_day,
                                       moment=moment)
        except DomainError as exc:
            log.warning("survey %s: company %s not fed to credit: %s", survey.id, row.key, exc)
            continue
        if created:
            records.append(record)
    return records


def close_due(moment=None):
    """Daily: end the published surveys whose period is over. Returns {"closed", "credit"}."""
    moment = moment or now()
    ids = list(db.session.execute(select(Survey.id).where(Survey.status == S.OPEN,
                                                          Survey.end_date < moment.date())).scalars())
    closed = credit = 0
    for survey_id in ids:
        survey = db.session.get(Survey, survey_id)
        if survey is None or survey.status != S.OPEN:
            continue
        try:
            credit += len(close(survey, moment=moment))
            closed += 1
        except DomainError as exc:
            db.session.rollback()
            log.warning("survey %s not closed: %s", survey_id, exc)
    return {"closed": closed, "credit": credit}
