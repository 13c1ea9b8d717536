"""Rental charts (app/core/charts.py): contracts signed online (网签) and filed (备案) per month
and by district or street, from the summary rows of app/core/rollup.py."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import charts, rollup
from app.core.charts import ChartData
from app.rental.contracts.models import ContractOrigin, RentalContract

SIGNED, FILED = "rental.signed", "rental.filed"
PERMISSION = ("can_list", "RentalContractView")


def monthly(user, f):
    months = charts.months(f)
    signed = rollup.query(SIGNED, user, f.date_from, f.date_to, district=f.district, street=f.street)
    filed = rollup.query(FILED, user, f.date_from, f.date_to, district=f.district, street=f.street)
    return ChartData(months, [
        (_("Contracts signed online"), [signed.get((m,), 0) for m in months]),
        (_("Contracts filed"), [filed.get((m,), 0) for m in months]),
    ], unit=charts.COUNT_UNIT, category_label=_("Month"), updated_at=rollup.freshness(user, (SIGNED, FILED)),
        note=_("Contracts counted by the month they were signed online, and by the month their filing was approved."))


def by_region(user, f):
    level = charts.region_level(user, f)
    signed = rollup.query(SIGNED, user, f.date_from, f.date_to, group=(level,), district=f.district, street=f.street)
    filed = rollup.query(FILED, user, f.date_from, f.date_to, group=(level,), district=f.district, street=f.street)
    codes = sorted({k[0] for k in signed} | {k[0] for k in filed})
    names = charts.region_names(codes)
    return ChartData([names.get(c) or charts.unknown_region() for c in codes], [
        (_("Contracts signed online"), [signed.get((c,), 0) for c in codes]),
        (_("Contracts filed"), [filed.get((c,), 0) for c in codes]),
    ], unit=charts.COUNT_UNIT, category_label=_("Street") if level == "street" else _("District"),
        updated_at=rollup.freshness(user, (SIGNED, FILED)))


def _of_a_region(user):
    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL, SCOPE_REGION

    return user_scope(user).level in (SCOPE_ALL, SCOPE_REGION)


def register():
    where = dict(district=RentalContract.region_code, street=RentalContract.street_code, org=RentalContract.org_id)
    rollup.register_metric(rollup.Metric(SIGNED, RentalContract, RentalContract.signed_at, **where,
                                         where=(RentalContract.signed_at.isnot(None),
                                                RentalContract.origin == ContractOrigin.ONLINE)))
    rollup.register_metric(rollup.Metric(FILED, RentalContract, RentalContract.filed_at, **where,
                                         where=(RentalContract.filed_at.isnot(None),)))
    charts.register_chart("rental.monthly", _l("Rental contracts signed and filed per month"), monthly, PERMISSION,
                          roles_hint=("gov_admin", "district", "analyst"), order=50, kind="line")
    charts.register_chart("rental.by_region", _l("Rental contracts by district or street"), by_region, PERMISSION,
                          roles_hint=(), order=51, kind="bar", when=_of_a_region)
