"""Accounts chart (app/core/charts.py): registrations of people and of organisations per month,
from the summary rows of app/core/rollup.py. Counts only: no person is ever shown."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Person
from app.core import charts, rollup
from app.core.charts import ChartData
from app.system.models import Organization, OrgType

PERSONS, ORGS = "accounts.persons", "accounts.organizations"


def monthly(user, f):
    months = charts.months(f)
    persons = rollup.query(PERSONS, user, f.date_from, f.date_to, district=f.district, street=f.street)
    orgs = rollup.query(ORGS, user, f.date_from, f.date_to, district=f.district, street=f.street)
    return ChartData(months, [
        (_("People registered"), [persons.get((m,), 0) for m in months]),
        (_("Organisations registered"), [orgs.get((m,), 0) for m in months]),
    ], unit=charts.COUNT_UNIT, category_label=_("Month"), updated_at=rollup.freshness(user, (PERSONS, ORGS)),
        note=_("Personal accounts and enterprise or owners committee accounts, by the month they were created."))


def register():
    rollup.register_metric(rollup.Metric(PERSONS, Person, Person.created_on))
    rollup.register_metric(rollup.Metric(
        ORGS, Organization, Organization.created_on, district=rollup.district_of(Organization.region_code),
        street=rollup.street_of(Organization.region_code),
        where=(Organization.org_type.in_((OrgType.ENTERPRISE, OrgType.OWNERS_COMMITTEE)),)))
    charts.register_chart("accounts.registrations", _l("Registrations per month"), monthly, ("can_list", "PersonView"),
                          roles_hint=(), order=70, kind="line")
