"""租赁统计 and 场所分布: aggregates computed by the database (COUNT ... GROUP BY), inside the
viewer's data scope (a district sees its own, the city all), never a row loaded into Python.

Definitions, once:

* *verifications*: listing verifications made in the period (``created_on``), passed and
  failed, by the district of the 房屋区域;
* *signings*: contracts signed in the period (``signed_at``; online or back-filled, whatever
  happened to them since), by the property's district;
* *filings*: contracts filed in the period (``filed_at``);
* *overdue filings*: contracts flagged 逾期未备案 in the period (``overdue_flagged_at``).

Months are compiled per dialect (SQLite strftime, PostgreSQL to_char), like
app/complaints/stats.py does for weeks.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.core import xlsx
from app.core.scope import current_user_obj, prefix_range, scope_clause, user_scope
from app.extensions import db
from app.rental.agencies import services
from app.rental.agencies.models import AgencyPremises
from app.rental.contracts.models import RentalContract
from app.rental.verification.models import ListingVerification, VerificationResult
from app.security.roles import SCOPE_NONE, SCOPE_REGION

MAX_DAYS = 731
DEFAULT_MONTHS = 12
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
TABLES = ("district", "month")


class _Month(ColumnElement):
    """'YYYY-MM' of a datetime expression."""

    inherit_cache = True
    type = String()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column


@compiles(_Month)
def _month_default(element, compiler, **kw):
    return "to_char(%s, 'YYYY-MM')" % compiler.process(element.column, **kw)


@compiles(_Month, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return "strftime('%%Y-%%m', %s)" % compiler.process(element.column, **kw)


def month_of(column):
    return _Month(column)


# --- filters ----------------------------------------------------------------------------------

@dataclass
class Filters:
    date_from: date
    date_to: date
    district: str | None = None

    @property
    def start(self):
        return datetime.combine(self.date_from, datetime.min.time())

    @property
    def end(self):
        return datetime.combine(self.date_to + timedelta(days=1), datetime.min.time())

    def args(self):
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.district:
            out["district"] = self.district
        return out


def default_period(today):
    first = today.replace(day=1)
    month = first.month - (DEFAULT_MONTHS - 1)
    year = first.year
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1), today


def _parse(text):
    text = (text or "").strip()
    if not text:
        return None, False
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, True
    return (value, False) if MIN_DATE <= value <= MAX_DATE else (None, True)


def parse_filters(args, user=None, today=None):
    """Filters from GET arguments and the problems found (Chinese): a bad value falls back to
    its default; a district outside the viewer's scope is refused."""
    user = user if user is not None else current_user_obj()
    today = today or date.today()
    problems = []
    default_from, default_to = default_period(today)
    date_from, bad_from = _parse(args.get("from"))
    date_to, bad_to = _parse(args.get("to"))
    if bad_from or bad_to:
        problems.append(_("The period is not valid (use dates such as 2026-01-31); the default period is used."))
        date_from, date_to = default_from, default_to
    date_to = date_to or default_to
    date_from = date_from or (default_from if date_to == default_to else date_to - timedelta(days=364))
    if date_from > date_to:
        problems.append(_("The start date is after the end date; the default period is used."))
        date_from, date_to = default_from, default_to
    if (date_to - date_from).days + 1 > MAX_DAYS:
        date_from = date_to - timedelta(days=MAX_DAYS - 1)
        problems.append(_("The period may span at most %(n)s days; it now starts on %(start)s.", n=MAX_DAYS,
                          start=date_from.isoformat()))
    district = (args.get("district") or "").strip() or None
    if district is not None and district not in dict(services.district_options(user)):
        problems.append(_("The chosen district is not within your data scope; all districts are counted."))
        district = None
    return Filters(date_from, date_to, district), problems


# --- the numbers ------------------------------------------------------------------------------

def _district_of(column):
    return func.substr(column, 1, 6)


def _scoped(model, clauses, user):
    scope = scope_clause(model, user)
    return clauses + ([scope] if scope is not None else [])


def _grouped(model, time_col, region_col, filters, user, key, measures, extra=()):
    """{group: {measure: n}} for rows of ``model`` with ``time_col`` in the period."""
    group = _district_of(region_col) if key == "district" else month_of(time_col)
    where = [time_col >= filters.start, time_col < filters.end, *extra]
    if filters.district:
        where.append(prefix_range(region_col, filters.district))
    stmt = select(group.label("g"), *[m.label(name) for name, m in measures.items()]) \
        .where(*_scoped(model, where, user)).group_by(group)
    out = {}
    for row in db.session.execute(stmt).mappings():
        out[str(row["g"])] = {name: int(row[name] or 0) for name in measures}
    return out


def figures(filters, user, key):
    """{group: {verified, not_verified, signed, filed, overdue}} by district or by month."""
    v = ListingVerification
    c = RentalContract
    parts = [
        _grouped(v, v.created_on, v.region_code, filters, user, key, {
            "verified": func.count(case((v.result == VerificationResult.PASSED, 1))),
            "not_verified": func.count(case((v.result == VerificationResult.FAILED, 1)))}),
        _grouped(c, c.signed_at, c.region_code, filters, user, key, {"signed": func.count()}),
        _grouped(c, c.filed_at, c.region_code, filters, user, key, {"filed": func.count()}),
        _grouped(c, c.overdue_flagged_at, c.region_code, filters, user, key, {"overdue": func.count()}),
    ]
    out = {}
    for part in parts:
        for group, values in part.items():
            out.setdefault(group, {"verified": 0, "not_verified": 0, "signed": 0, "filed": 0, "overdue": 0})
            out[group].update(values)
    return out


def months(filters):
    out, day = [], filters.date_from.replace(day=1)
    while day <= filters.date_to:
        out.append(day.strftime("%Y-%m"))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


@dataclass
class Table:
    name: str
    title: str
    columns: list
    rows: list
    chart: dict


MEASURES = (("verified", _l("Verifications passed")), ("not_verified", _l("Verifications failed")),
            ("signed", _l("Contracts signed")), ("filed", _l("Contracts filed")),
            ("overdue", _l("Filings overdue")))


def _columns(first_key, first_label):
    return [xlsx.XColumn(first_key, first_label, width=18)] + [
        xlsx.XColumn(key, label, kind="int", width=14) for key, label in MEASURES]


def district_table(filters, user=None):
    user = user if user is not None else current_user_obj()
    data = figures(filters, user, "district")
    names = dict(services.all_districts())
    codes = sorted(data)
    rows = [{"district": names.get(code, code), **data[code]} for code in codes]
    total = {"district": _("Total"), **{k: sum(r[k] for r in rows) for k, _label in MEASURES}}
    chart = {"type": "bar", "categories": [r["district"] for r in rows], "integer": True, "rotate": len(rows) > 6,
             "series": [{"name": str(label), "data": [r[k] for r in rows]} for k, label in MEASURES],
             "empty": not rows}
    return Table("district", _("By district"), _columns("district", _l("District")), rows + [total] if rows else [],
                 chart)


def month_table(filters, user=None):
    user = user if user is not None else current_user_obj()
    data = figures(filters, user, "month")
    empty = {k: 0 for k, _label in MEASURES}
    rows = [{"month": m, **data.get(m, empty)} for m in months(filters)]
    chart = {"type": "line", "categories": [r["month"] for r in rows], "integer": True,
             "series": [{"name": str(label), "data": [r[k] for r in rows]} for k, label in MEASURES],
             "empty": not data}
    return Table("month", _("By month"), _columns("month", _l("Month")), rows, chart)


def compute(filters, user=None, only=None):
    tables = {}
    if only is None or "district" in only:
        tables["district"] = district_table(filters, user)
    if only is None or "month" in only:
        tables["month"] = month_table(filters, user)
    return tables


def workbook(table):
    buf = BytesIO()
    count = xlsx.write_xlsx(buf, table.columns, table.rows, sheet_title=str(table.title)[:31])
    return buf.getvalue(), count


# --- 场所分布 -----------------------------------------------------------------------------------

def premises_tables(user=None, district=None):
    """Premises open for business by district and by enterprise type, in the viewer's scope."""
    from app.system import dicts
    from app.system.models import Organization

    user = user if user is not None else current_user_obj()
    p = AgencyPremises
    where = [p.status == "open"]
    if district:
        where.append(prefix_range(p.region_code, district))
    where = _scoped(p, where, user)
    names = dict(services.all_districts())
    by_district = db.session.execute(
        select(p.region_code, func.count()).where(*where).group_by(p.region_code).order_by(p.region_code)).all()
    rows = [{"district": names.get(code, code), "count": n} for code, n in by_district]
    total = sum(r["count"] for r in rows)
    t1 = Table("district", _("Premises by district"), [
        xlsx.XColumn("district", _l("District"), width=18), xlsx.XColumn("count", _l("Premises open"), kind="int")],
        rows + ([{"district": _("Total"), "count": total}] if rows else []),
        {"type": "bar", "categories": [r["district"] for r in rows], "integer": True, "empty": not rows,
         "series": [{"name": _("Premises open"), "data": [r["count"] for r in rows]}]})
    by_type = db.session.execute(
        select(Organization.enterprise_type, func.count()).select_from(p).join(Organization, Organization.id == p.org_id)
        .where(*where).group_by(Organization.enterprise_type).order_by(Organization.enterprise_type)).all()
    type_rows = [{"type": dicts.label("enterprise_type", code) or _("Not set"), "count": n} for code, n in by_type]
    t2 = Table("type", _("Premises by enterprise type"), [
        xlsx.XColumn("type", _l("Enterprise type"), width=18), xlsx.XColumn("count", _l("Premises open"), kind="int")],
        type_rows, {"type": "pie", "empty": not type_rows,
                    "data": [{"name": r["type"], "value": r["count"]} for r in type_rows]})
    return {"district": t1, "type": t2}


def may_see_any(user=None):
    scope = user_scope(user if user is not None else current_user_obj())
    return scope.level != SCOPE_NONE


def is_region_scope(user=None):
    return user_scope(user if user is not None else current_user_obj()).level == SCOPE_REGION
