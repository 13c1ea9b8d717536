"""Credit charts (app/core/charts.py): enterprises per credit level, records that took effect
per month (加分/扣分, from the summary rows of app/core/rollup.py) and the red and black lists.
Scores and list entries are few (one score per enterprise): counted live in the user's scope."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core import charts, rollup
from app.core.charts import ChartData
from app.core.scope import scope_clause
from app.credit import scoring, services
from app.credit.models import CreditListEntry, CreditRecord, CreditScore, ListStatus, ListType, ScoreType
from app.extensions import db

RECORDS = "credit.records"


def _scoped(stmt, model, user):
    clause = scope_clause(model, user)
    return stmt if clause is None else stmt.where(clause)


def levels(user, f):
    stmt = _scoped(select(CreditScore.level, func.count()).group_by(CreditScore.level), CreditScore, user)
    if f.district:
        stmt = stmt.where(func.substr(CreditScore.region_code, 1, 6) == f.district)
    if f.street:
        stmt = stmt.where(func.substr(CreditScore.region_code, 1, 9) == f.street)
    counts = dict(db.session.execute(stmt).all())
    return ChartData(list(scoring.LEVELS), [(_("Enterprises"), [counts.get(lv, 0) for lv in scoring.LEVELS])],
                     unit=_("enterprises"), category_label=_("Credit level"),
                     note=_("Current levels, whatever the period."))


def records(user, f):
    months = charts.months(f)
    counts = rollup.query(RECORDS, user, f.date_from, f.date_to, group=("month", "dim"),
                          district=f.district, street=f.street)
    return ChartData(months, [
        (services.label_of(services.SCORE_TYPE_LABELS, t), [counts.get((m, t), 0) for m in months])
        for t in ScoreType.ALL
    ], unit=charts.COUNT_UNIT, category_label=_("Month"), updated_at=rollup.freshness(user, (RECORDS,)),
        note=_("Credit records counted by the month they took effect."))


SHOWN_STATUSES = (ListStatus.PROPOSED, ListStatus.PUBLICITY, ListStatus.OBJECTED, ListStatus.EFFECTIVE)


def lists(user, f):
    stmt = _scoped(select(CreditListEntry.list_type, CreditListEntry.status, func.count())
                   .where(CreditListEntry.status.in_(SHOWN_STATUSES))
                   .group_by(CreditListEntry.list_type, CreditListEntry.status), CreditListEntry, user)
    if f.district:
        stmt = stmt.where(func.substr(CreditListEntry.region_code, 1, 6) == f.district)
    if f.street:
        stmt = stmt.where(func.substr(CreditListEntry.region_code, 1, 9) == f.street)
    counts = {(t, s): n for t, s, n in db.session.execute(stmt).all()}
    types = list(ListType.ALL)
    return ChartData([services.label_of(services.LIST_TYPE_LABELS, t) for t in types], [
        (services.label_of(services.LIST_STATUS_LABELS, s), [counts.get((t, s), 0) for t in types])
        for s in SHOWN_STATUSES
    ], unit=_("enterprises"), category_label=_("Red or black list"), note=_("Entries in force or under way, whatever the period."))


def register():
    rollup.register_metric(rollup.Metric(
        RECORDS, CreditRecord, CreditRecord.effective_from, district=rollup.district_of(CreditRecord.region_code),
        street=rollup.street_of(CreditRecord.region_code), org=CreditRecord.org_id, dim=CreditRecord.score_type,
        where=(CreditRecord.effective_from.isnot(None),)))
    charts.register_chart("credit.levels", _l("Enterprises per credit level"), levels,
                          ("can_list", "CreditScoreView"), roles_hint=("gov_admin", "gov_reviewer", "analyst"),
                          order=30, kind="bar", when=lambda u: not services.is_enterprise_user(u))
    charts.register_chart("credit.records", _l("Credit records per month"), records,
                          ("can_list", "CreditRecordView"),
                          roles_hint=("gov_reviewer", "district", "ent_admin"),
                          order=31, kind="stack")
    charts.register_chart("credit.lists", _l("Red and black lists"), lists, ("can_list", "CreditListView"),
                          roles_hint=("gov_reviewer",), order=32, kind="stack")
