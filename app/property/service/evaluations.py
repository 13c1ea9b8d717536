"""检查考评 (seed 004): district and street staff inspect an area and score its property company
against the checklist (``property.evaluation_items``: each item's name and full score, e.g.
综合管理 20, 房屋管理 15, 共用设施设备 20, 秩序维护 15, 环境卫生 15, 绿化 15 = 100).

Every item gets a score from 0 to its full score, with the reason of the deduction when below
it; the total is computed; 整改要求 and photos go with it. Once submitted the evaluation is
read-only; the company sees its own. A total below ``property.evaluation_deduction_below``
feeds one credit deduction, one at or above ``property.evaluation_bonus_at`` one bonus
(feed() is idempotent per evaluation).
"""
import json
import logging
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import uploads
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import apply_scope, can_see
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.service.fields import day, text
from app.property.service.models import Evaluation
from app.property.service.repairs import check_photos, new_number
from app.system.params import PARAMS, get_param

log = logging.getLogger(__name__)

INSPECTOR_ROLES = ("district", "street")
SOURCE_TYPE = "property_evaluation"
MAX_TEXT = 2000


def checklist():
    """[{"name", "max"}] from the parameter (its default when the stored JSON is unusable)."""
    for raw in (get_param("property.evaluation_items"), PARAMS["property.evaluation_items"].default):
        try:
            items = json.loads(raw)
            out = [{"name": str(i["name"]).strip(), "max": Decimal(str(i["max"]))} for i in items]
            if out and all(i["name"] and i["max"] > 0 for i in out):
                return out
        except (ValueError, TypeError, KeyError, InvalidOperation):
            log.warning("property.evaluation_items is not a usable checklist; using the default")
    return []


def full_score():
    return sum((i["max"] for i in checklist()), Decimal(0))


def _roles(user):
    return {r.name for r in getattr(user, "roles", [])}


def may_inspect(user):
    return bool(_roles(user) & set(INSPECTOR_ROLES)) and getattr(user, "org_id", None) is not None


def area_choices(user):
    stmt = apply_scope(select(PropertyArea).where(PropertyArea.company_org_id.isnot(None)), PropertyArea, user)
    return list(db.session.execute(stmt.order_by(PropertyArea.region_code, PropertyArea.name).limit(2000)).scalars())


def _number(value, label, most):
    text = str(value if value is not None else "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("%(item)s: please enter a score from 0 to %(max)s.", item=label, max=most))
    if not number.is_finite() or number < 0 or number > most or number != number.quantize(Decimal("0.1")):
        raise DomainError(_("%(item)s: please enter a score from 0 to %(max)s.", item=label, max=most))
    return number.quantize(Decimal("0.1"))


def score_items(data):
    """The checklist with the scores posted as ``score_<i>`` and ``reason_<i>`` (DomainError on
    a score out of range or a deduction without its reason); returns (items, total, full)."""
    items, total, full = [], Decimal(0), Decimal(0)
    for index, item in enumerate(checklist()):
        score = _number(data.get(f"score_{index}"), item["name"], item["max"])
        reason = (data.get(f"reason_{index}") or "").strip()
        if score < item["max"] and not reason:
            raise DomainError(_("%(item)s: please give the reason for the deduction.", item=item["name"]))
        if len(reason) > 500:
            raise DomainError(_("%(field)s: at most %(n)s characters", field=item["name"], n=500))
        items.append({"name": item["name"], "max": str(item["max"]), "score": str(score), "reason": reason or None})
        total += score
        full += item["max"]
    return items, total, full


def submit(user, data, files=(), moment=None):
    """提交: the inspector's evaluation of an area's company, read-only from now; credit fed when
    the total is below or above the thresholds. Commits; returns the evaluation."""
    moment = moment or now()
    if not may_inspect(user):
        raise DomainError(_("Only district and street staff may submit inspection evaluations."))
    try:
        area = db.session.get(PropertyArea, int(data.get("area") or 0))
    except (TypeError, ValueError):
        area = None
    if area is None or not can_see(area, user):
        raise DomainError(_("Property management area: please choose an area of your region."))
    if area.company_org_id is None:
        raise DomainError(_("%(name)s has no property service company to evaluate.", name=area.name))
    checked_on = day(data.get("checked_on"), _("Inspection date"))
    if checked_on > moment.date():
        raise DomainError(_("Inspection date: must not be in the future."))
    items, total, full = score_items(data)
    requirements = text(data.get("requirements"), _("Rectification requirements"), MAX_TEXT, required=False)
    files = check_photos(files)
    evaluation = Evaluation(number=new_number("KP", area.district_code, moment), area_id=area.id,
                            org_id=area.company_org_id, region_code=area.region_code, checked_on=checked_on, items=items,
                            total=total, max_total=full, requirements=requirements, inspector_id=user.id,
                            inspector_org_id=user.org_id, submitted_at=moment)
    db.session.add(evaluation)
    db.session.flush()
    if files:
        uploads.save_many(files, label=str(_("Inspection photos")), owner=evaluation, user=user)
    feed_credit(evaluation, moment)
    db.session.commit()
    return evaluation


def feed_credit(evaluation, moment=None):
    """The evaluation's credit record (deduction or bonus), once; None when the total is in
    between or the scoring standard is missing (logged)."""
    from app.credit.services import feed

    moment = moment or now()
    low = get_param("property.evaluation_deduction_below")
    high = get_param("property.evaluation_bonus_at")
    total = Decimal(str(evaluation.total))
    area = evaluation.area or db.session.get(PropertyArea, evaluation.area_id)
    if total < low:
        rule = get_param("property.evaluation_deduction_rule")
        facts = _("Inspection evaluation %(number)s of %(area)s on %(day)s scored %(total)s (below %(low)s).",
                  number=evaluation.number, area=area.name, day=evaluation.checked_on.isoformat(), total=total, low=low)
    elif total >= high:
        rule = get_param("property.evaluation_bonus_rule")
        facts = _("Inspection evaluation %(number)s of %(area)s on %(day)s scored %(total)s (at least %(high)s).",
                  number=evaluation.number, area=area.name, day=evaluation.checked_on.isoformat(), total=total,
                  high=high)
    else:
        return None
    try:
        with db.session.begin_nested():
            record, _created = feed(SOURCE_TYPE, str(evaluation.id), evaluation.org_id, rule, facts,
                                    event_date=evaluation.checked_on, region_code=evaluation.region_code,
                                    moment=moment)
    except DomainError as exc:
        log.warning("evaluation %s not fed to credit: %s", evaluation.id, exc)
        return None
    return record
