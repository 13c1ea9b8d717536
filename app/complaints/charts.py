"""Complaint charts for the home pages and the dashboard (app/core/charts.py): submissions and
completions per month, the on-time rate (SLA) per month, satisfaction, and the figures by
district (city roles) or street (district roles). Counted from the daily summary rows of
app/core/rollup.py; a project lead's areas are counted live (few rows)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, func

from app.complaints.models import Complaint
from app.complaints.services import Stage
from app.core import charts, rollup
from app.core.charts import ChartData

PERMISSION = ("can_list", "ComplaintView")
SUBMITTED, HANDLED, RATED = "complaints.submitted", "complaints.handled", "complaints.rated"
METRICS = (SUBMITTED, HANDLED, RATED)


def _metrics():
    where = dict(district=Complaint.district_code, street=Complaint.street_code, org=Complaint.org_id)
    rollup.register_metric(rollup.Metric(SUBMITTED, Complaint, Complaint.submitted_at, **where))
    rollup.register_metric(rollup.Metric(
        HANDLED, Complaint, Complaint.handled_at, **where,
        dim=case((Complaint.handled_at <= Complaint.due_at, "on_time"), else_="late"),
        where=(Complaint.stage.in_((Stage.TO_EVALUATE, Stage.CLOSED)), Complaint.handled_at.isnot(None))))
    # Rated on the day the complainant evaluated (the request closed then).
    rollup.register_metric(rollup.Metric(
        RATED, Complaint, func.coalesce(Complaint.closed_at, Complaint.handled_at), **where,
        dim=cast(Complaint.satisfaction, String), where=(Complaint.satisfaction.isnot(None),)))


def _period(f):
    return f.date_from, f.date_to


def _by_month(key, user, f, dims=None, group=("month",)):
    return rollup.query(key, user, *_period(f), group=group, district=f.district, street=f.street, dims=dims)


def monthly(user, f):
    months = charts.months(f)
    submitted = _by_month(SUBMITTED, user, f)
    handled = _by_month(HANDLED, user, f)
    return ChartData(months, [
        (_("Submissions"), [submitted.get((m,), 0) for m in months]),
        (_("Completed or refused"), [handled.get((m,), 0) for m in months]),
    ], unit=charts.COUNT_UNIT, category_label=_("Month"), updated_at=rollup.freshness(user, METRICS),
        note=_("Counted by the month a request was submitted, and by the month it was completed or refused."))


def sla(user, f):
    months = charts.months(f)
    handled = _by_month(HANDLED, user, f, group=("month", "dim"))
    on_time = [handled.get((m, "on_time"), 0) for m in months]
    late = [handled.get((m, "late"), 0) for m in months]
    rate = [charts.pct(a, a + b) for a, b in zip(on_time, late)]
    return ChartData(months, [
        (_("On-time rate (%)"), rate),
        (_("Handled on time"), on_time),
        (_("Handled late"), late),
    ], unit="%", category_label=_("Month"), percent=(0,), updated_at=rollup.freshness(user, METRICS),
        note=_("Requests completed or refused in the month; on time: before their deadline."))


def satisfaction(user, f):
    stars = rollup.query(RATED, user, *_period(f), group=("dim",), district=f.district, street=f.street)
    labels = [_("%(n)s stars", n=n) for n in range(1, 6)]
    return ChartData(labels, [(_("Number of requests"), [stars.get((str(n),), 0) for n in range(1, 6)])],
                     unit=charts.COUNT_UNIT, category_label=_("Satisfaction"),
                     updated_at=rollup.freshness(user, METRICS),
                     note=_("Evaluations given in the period."))


def by_region(user, f):
    level = charts.region_level(user, f)
    submitted = rollup.query(SUBMITTED, user, *_period(f), group=(level,), district=f.district, street=f.street)
    handled = rollup.query(HANDLED, user, *_period(f), group=(level, "dim"), district=f.district, street=f.street)
    codes = sorted({k[0] for k in submitted} | {k[0] for k in handled})
    names = charts.region_names(codes)
    on_time = [handled.get((c, "on_time"), 0) for c in codes]
    late = [handled.get((c, "late"), 0) for c in codes]
    return ChartData([names.get(c) or charts.unknown_region() for c in codes], [
        (_("Submissions"), [submitted.get((c,), 0) for c in codes]),
        (_("Handled on time"), on_time),
        (_("Handled late"), late),
        (_("On-time rate (%)"), [charts.pct(a, a + b) for a, b in zip(on_time, late)]),
    ], unit=charts.COUNT_UNIT, category_label=_("Street") if level == "street" else _("District"), percent=(3,),
        updated_at=rollup.freshness(user, METRICS))


def _of_a_region(user):
    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL, SCOPE_REGION

    return user_scope(user).level in (SCOPE_ALL, SCOPE_REGION)


def register():
    _metrics()
    everyone = ("gov_admin", "district", "street", "ent_admin", "project_lead", "analyst")
    charts.register_chart("complaints.monthly", _l("Requests submitted and completed per month"), monthly,
                          PERMISSION, roles_hint=("district", "street", "analyst"), order=10,
                          kind="line")
    charts.register_chart("complaints.sla", _l("Requests handled on time per month"), sla, PERMISSION,
                          roles_hint=everyone, order=11, kind="line")
    charts.register_chart("complaints.satisfaction", _l("Satisfaction of requests"), satisfaction, PERMISSION,
                          roles_hint=("ent_admin", "project_lead", "analyst"), order=12, kind="pie")
    charts.register_chart("complaints.by_region", _l("Requests by district or street"), by_region, PERMISSION,
                          roles_hint=("gov_admin", "district", "analyst"), order=13, kind="bar", when=_of_a_region,
                          wide=True)
