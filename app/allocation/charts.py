"""Allocation chart (app/core/charts.py): registrations (已登记) per plan in the period, from the
summary rows of app/core/rollup.py (a plan may hold 100,000 registrations)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, select

from app.allocation.plans.models import AllocationPlan
from app.allocation.registrations.models import Registration
from app.core import charts, rollup
from app.core.charts import ChartData
from app.extensions import db

REGISTERED = "allocation.registered"
TOP_PLANS = 12


def per_plan(user, f):
    counts = rollup.query(REGISTERED, user, f.date_from, f.date_to, group=("dim",), district=f.district,
                          street=f.street)
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:TOP_PLANS]
    ids = [int(k[0]) for k, _n in top if str(k[0]).isdigit()]
    titles = dict(db.session.execute(select(AllocationPlan.id, AllocationPlan.title)
                                     .where(AllocationPlan.id.in_(ids))).all()) if ids else {}
    return ChartData([titles.get(int(k[0]), k[0]) for k, _n in top], [(_("Registrations"), [n for _k, n in top])],
                     unit=charts.COUNT_UNIT, category_label=_("Allocation plan"),
                     updated_at=rollup.freshness(user, (REGISTERED,)),
                     note=_("Registrations made in the period, per plan (later cancellations included)."))


def register():
    rollup.register_metric(rollup.Metric(
        REGISTERED, Registration, Registration.registered_at, district=rollup.district_of(Registration.region_code),
        street=rollup.street_of(Registration.region_code), dim=cast(Registration.plan_id, String),
        # Every registration made (cancelled or refused later included): a later change of status
        # leaves the day it was made alone, so the summary rows stay true without a rebuild.
        where=(Registration.registered_at.isnot(None),)))
    charts.register_chart("allocation.per_plan", _l("Allocation registrations per plan"), per_plan,
                          ("can_list", "AllocationRegistrationView"), roles_hint=("gov_admin",),
                          order=60, kind="bar")
