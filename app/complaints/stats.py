"""Complaint statistics (需求及建议统计, SPEC: statistics for analyst, district, city).

Six tables over the requests *submitted* in a period, inside the user's data scope
(app/core/scope.py), optionally narrowed to a district and a street:

* ``stage``        counts by handling stage (待处理/处理中/待评价/已结束/已撤销);
* ``area``         the 20 areas with the most requests, with their overdue counts;
* ``overdue``      handled on time / late, open within / past the deadline, overdue rate;
* ``duration``     mean hours from submission to acceptance and to completion;
* ``satisfaction`` 1-5 stars with counts and the mean;
* ``trend``        submissions and completions per week (weeks start on Monday).

Definitions, once:

* *handled*: stage 待评价 or 已结束 with ``handled_at`` set (完成处理 or 拒绝处理: the
  deadline clock stops);
* *overdue*: handled with ``handled_at > due_at``, or still open (Stage.OPEN) with
  ``due_at < now``; revoked requests are left out of the overdue rate's denominator.

Every figure is an aggregate computed by the database (COUNT / AVG / GROUP BY): no
complaint row is loaded into Python. Every query is bounded by ``submitted_at`` (indexed,
alone and after district/street/area/org/region), and the period is capped at
:data:`MAX_DAYS`. Durations and week buckets are compiled per dialect (SQLite and
PostgreSQL), like app/core/deadlines.py does.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from flask import abort, flash, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Float, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.complaints import services
from app.complaints.models import Complaint
from app.complaints.services import Stage
from app.core import audit, xlsx
from app.core.audit import AuditAction
from app.core.mixins import now as _now
from app.core.scope import current_user_obj, prefix_range, scope_clause, user_scope
from app.extensions import db
from app.property.models import PropertyArea
from app.security.roles import SCOPE_NONE, SCOPE_REGION
from app.system.models import Region

# Exports of the statistics are logged under this name (not a table).
audit.describe("ComplaintStats", _l("Complaint statistics"))

#: Default period: this week and the 11 before it (12 weekly buckets, Monday to today).
DEFAULT_WEEKS = 12
#: Longest period one request may ask for (keeps every query bounded).
MAX_DAYS = 731
TOP_AREAS = 20
MAX_STREETS = 500
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)

HANDLED_STAGES = (Stage.TO_EVALUATE, Stage.CLOSED)
TABLES = ("stage", "area", "overdue", "duration", "satisfaction", "trend")
#: Cards on the page: the four half-width ones first, then the two wide ones.
PAGE_ORDER = ("stage", "overdue", "duration", "satisfaction", "area", "trend")


# --- SQL expressions per dialect --------------------------------------------------------

class _Seconds(ColumnElement):
    """Seconds from ``start`` to ``end`` (two datetime expressions); NULL if either is."""

    inherit_cache = True
    type = Float()
    _traverse_internals = [("end", InternalTraversal.dp_clauseelement),
                           ("start", InternalTraversal.dp_clauseelement)]

    def __init__(self, end, start):
        self.end = end
        self.start = start


@compiles(_Seconds)
def _seconds_default(element, compiler, **kw):
    return "EXTRACT(EPOCH FROM (%s - %s))" % (compiler.process(element.end, **kw),
                                              compiler.process(element.start, **kw))


@compiles(_Seconds, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    return "((julianday(%s) - julianday(%s)) * 86400.0)" % (compiler.process(element.end, **kw),
                                                            compiler.process(element.start, **kw))


class _WeekStart(ColumnElement):
    """The Monday (a date) of the week holding a datetime expression."""

    inherit_cache = True
    type = Date()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column


@compiles(_WeekStart)
def _week_default(element, compiler, **kw):
    # PostgreSQL: ISO weeks start on Monday.
    return "CAST(date_trunc('week', %s) AS DATE)" % compiler.process(element.column, **kw)


@compiles(_WeekStart, "sqlite")
def _week_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to the Sunday ending the week (or stays on a Sunday).
    return "date(%s, 'weekday 0', '-6 days')" % compiler.process(element.column, **kw)


def seconds_between(end, start):
    return _Seconds(end, start)


def week_start(column):
    return _WeekStart(column)


def _count_if(condition):
    return func.count(case((condition, 1)))


def _is_open():
    return Complaint.stage.in_(Stage.OPEN)


def _is_handled():
    return and_(Complaint.stage.in_(HANDLED_STAGES), Complaint.handled_at.isnot(None))


def overdue_expr(moment):
    """Handled after the deadline, or open past it (the page's one definition)."""
    when = literal(moment, DateTime())
    return or_(and_(_is_handled(), Complaint.handled_at > Complaint.due_at),
               and_(_is_open(), Complaint.due_at < when))


# --- filters ----------------------------------------------------------------------------

def monday(day):
    return day - timedelta(days=day.weekday())


def default_period(today=None):
    today = today or _now().date()
    return monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today


@dataclass
class Filters:
    date_from: date
    date_to: date
    district: str | None = None
    street: str | None = None

    @property
    def start(self):
        return datetime.combine(self.date_from, datetime.min.time())

    @property
    def end(self):
        """Exclusive: 00:00 of the day after ``date_to``."""
        return datetime.combine(self.date_to + timedelta(days=1), datetime.min.time())

    def args(self):
        """The query-string arguments that reproduce these filters."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.district:
            out["district"] = self.district
        if self.street:
            out["street"] = self.street
        return out


def _parse_date(text):
    text = (text or "").strip()
    if not text:
        return None, False
    try:
        value = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None, True
    if not MIN_DATE <= value <= MAX_DATE:
        return None, True
    return value, False


def _region_in_scope(code, scope):
    """Whether a region code may be chosen by a user with ``scope``."""
    if scope.level == SCOPE_NONE:
        return False
    if scope.level != SCOPE_REGION:
        return True
    prefix = scope.region_prefix
    # A street-level scope may still name its own district.
    return code.startswith(prefix) or (len(prefix) > 6 and code == prefix[:6])


def district_options(user=None):
    """[(code, name)] of the districts the user may choose."""
    scope = user_scope(user if user is not None else current_user_obj())
    if scope.level == SCOPE_NONE:
        return []
    stmt = select(Region.code, Region.name).where(Region.level == "district")
    if scope.level == SCOPE_REGION:
        prefix = scope.region_prefix
        stmt = stmt.where(Region.code == prefix[:6]) if len(prefix) > 6 else \
            stmt.where(prefix_range(Region.code, prefix))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code)).all()]


def street_options(district, user=None):
    """[(code, name, district code)] of the streets of ``district`` the user may choose;
    without a district, those of the user's own district (a district or street scope)."""
    scope = user_scope(user if user is not None else current_user_obj())
    if scope.level == SCOPE_NONE:
        return []
    if district:
        within = Region.parent_code == district
    elif scope.level == SCOPE_REGION and len(scope.region_prefix) >= 6:
        within = prefix_range(Region.code, scope.region_prefix[:6])
    else:
        return []
    stmt = select(Region.code, Region.name, Region.parent_code).where(Region.level == "street", within)
    if scope.level == SCOPE_REGION:
        stmt = stmt.where(prefix_range(Region.code, scope.region_prefix))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code).limit(MAX_STREETS)).all()]


def parse_filters(args, user=None, today=None):
    """Filters from GET arguments, and the problems found (Chinese messages): a bad value
    falls back to its default, never to an error page."""
    user = user if user is not None else current_user_obj()
    problems = []
    default_from, default_to = default_period(today)
    date_from, bad_from = _parse_date(args.get("from"))
    date_to, bad_to = _parse_date(args.get("to"))
    if bad_from:
        problems.append(_("The start date is not a valid date (use the form YYYY-MM-DD); "
                          "the default period is used."))
    if bad_to:
        problems.append(_("The end date is not a valid date (use the form YYYY-MM-DD); "
                          "the default period is used."))
    if bad_from or bad_to:
        date_from, date_to = default_from, default_to
    date_to = date_to or default_to
    if date_from is None:
        date_from = default_from if date_to == default_to else date_to - timedelta(days=DEFAULT_WEEKS * 7 - 1)
    if date_from > date_to:
        problems.append(_("The start date is after the end date; the default period is used."))
        date_from, date_to = default_from, default_to
    if (date_to - date_from).days + 1 > MAX_DAYS:
        date_from = date_to - timedelta(days=MAX_DAYS - 1)
        problems.append(_("The period may span at most %(n)s days; it now starts on %(start)s.",
                          n=MAX_DAYS, start=date_from.isoformat()))

    scope = user_scope(user)
    district = (args.get("district") or "").strip() or None
    street = (args.get("street") or "").strip() or None
    if district is not None:
        known = db.session.execute(select(Region.code).where(
            Region.code == district, Region.level == "district")).scalar()
        if known is None or not _region_in_scope(district, scope):
            problems.append(_("The chosen district is not within your data scope; "
                              "all districts are counted."))
            district = None
    if street is not None:
        parent = db.session.execute(select(Region.parent_code).where(
            Region.code == street, Region.level == "street")).scalar()
        if parent is None or not _region_in_scope(street, scope) or (district and parent != district):
            problems.append(_("The chosen street is not within your data scope or the chosen district; "
                              "all streets are counted."))
            street = None
        elif district is None and _region_in_scope(parent, scope):
            district = parent
    return Filters(date_from, date_to, district, street), problems


# --- the tables -------------------------------------------------------------------------

@dataclass
class Table:
    name: str
    title: str
    columns: list
    rows: list
    chart: dict
    note: str | None = None


def _where(filters, user):
    clauses = [Complaint.submitted_at >= filters.start, Complaint.submitted_at < filters.end]
    scope = scope_clause(Complaint, user if user is not None else current_user_obj())
    if scope is not None:
        clauses.append(scope)
    if filters.district:
        clauses.append(Complaint.district_code == filters.district)
    if filters.street:
        clauses.append(Complaint.street_code == filters.street)
    return clauses


def _pct(part, whole):
    return round(part * 100.0 / whole, 1) if whole else None


def _hours(seconds):
    return None if seconds is None else round(float(seconds) / 3600.0, 1)


def summary(filters, user=None, moment=None):
    """One pass over the period: stage counts, overdue categories, durations and the
    satisfaction distribution, as a dict of plain numbers."""
    moment = moment or _now()
    when = literal(moment, DateTime())
    open_ = _is_open()
    handled = _is_handled()
    columns = [func.count().label("total")]
    columns += [_count_if(Complaint.stage == s).label(f"stage_{s}") for s in Stage.ALL]
    columns += [
        _count_if(and_(handled, Complaint.handled_at <= Complaint.due_at)).label("on_time"),
        _count_if(and_(handled, Complaint.handled_at > Complaint.due_at)).label("late"),
        _count_if(and_(open_, Complaint.due_at >= when)).label("open_ok"),
        _count_if(and_(open_, Complaint.due_at < when)).label("open_overdue"),
        func.count(Complaint.accepted_at).label("accepted"),
        func.avg(seconds_between(Complaint.accepted_at, Complaint.submitted_at)).label("accept_seconds"),
        _count_if(handled).label("handled"),
        func.avg(case((handled, seconds_between(Complaint.handled_at, Complaint.submitted_at)))
                 ).label("handle_seconds"),
        func.count(Complaint.satisfaction).label("rated"),
        func.avg(Complaint.satisfaction).label("mean_satisfaction"),
    ]
    columns += [_count_if(Complaint.satisfaction == n).label(f"star_{n}") for n in range(1, 6)]
    row = db.session.execute(select(*columns).where(*_where(filters, user))).mappings().one()
    return dict(row)


def _stage_table(s):
    total = s["total"]
    rows = [{"label": services.stage_label(code), "count": s[f"stage_{code}"],
             "share": _pct(s[f"stage_{code}"], total)} for code in Stage.ALL]
    chart = {"type": "pie", "data": [{"name": r["label"], "value": r["count"]} for r in rows],
             "empty": total == 0}
    rows.append({"label": _("Total"), "count": total, "share": 100.0 if total else None})
    return Table("stage", _("By handling status"), [
        xlsx.XColumn("label", _l("Handling status"), width=16),
        xlsx.XColumn("count", _l("Number of requests"), kind="int", width=14),
        xlsx.XColumn("share", _l("Share (%)"), kind="decimal", width=12),
    ], rows, chart)


def _overdue_table(s):
    counted = s["total"] - s["stage_" + Stage.REVOKED]
    overdue = s["late"] + s["open_overdue"]
    row = {"counted": counted, "on_time": s["on_time"], "late": s["late"], "open_ok": s["open_ok"],
           "open_overdue": s["open_overdue"], "overdue": overdue, "rate": _pct(overdue, counted)}
    columns = [
        xlsx.XColumn("counted", _l("Requests (revoked left out)"), kind="int", width=20),
        xlsx.XColumn("on_time", _l("Handled on time"), kind="int", width=14),
        xlsx.XColumn("late", _l("Handled late"), kind="int", width=14),
        xlsx.XColumn("open_ok", _l("Open, not yet due"), kind="int", width=14),
        xlsx.XColumn("open_overdue", _l("Open and overdue"), kind="int", width=14),
        xlsx.XColumn("overdue", _l("Overdue in total"), kind="int", width=14),
        xlsx.XColumn("rate", _l("Overdue rate (%)"), kind="decimal", width=14),
    ]
    parts = ("on_time", "late", "open_ok", "open_overdue")
    chart = {"type": "pie", "empty": counted == 0,
             "data": [{"name": str(c.label), "value": row[c.key]} for c in columns if c.key in parts]}
    return Table("overdue", _("Overdue rate"), columns, [row], chart,
                 note=_("Overdue: handled after the deadline, or still open past it. "
                        "Revoked requests are left out."))


def _duration_table(s):
    rows = [
        {"label": _("Time to accept"), "count": s["accepted"], "hours": _hours(s["accept_seconds"])},
        {"label": _("Time to complete handling"), "count": s["handled"], "hours": _hours(s["handle_seconds"])},
    ]
    chart = {"type": "bar", "categories": [r["label"] for r in rows],
             "series": [{"name": _("Mean hours"), "data": [r["hours"] for r in rows]}],
             "empty": not (s["accepted"] or s["handled"])}
    return Table("duration", _("Mean time to accept and to complete"), [
        xlsx.XColumn("label", _l("Measure"), width=18),
        xlsx.XColumn("count", _l("Requests counted"), kind="int", width=14),
        xlsx.XColumn("hours", _l("Mean hours"), kind="decimal", width=14),
    ], rows, chart, note=_("From submission to acceptance, and from submission to completion or "
                           "refusal (the deadline clock stops)."))


def _satisfaction_table(s):
    rated = s["rated"]
    mean = None if s["mean_satisfaction"] is None else round(float(s["mean_satisfaction"]), 2)
    rows = [{"label": _("%(n)s stars", n=n), "count": s[f"star_{n}"], "share": _pct(s[f"star_{n}"], rated),
             "mean": None} for n in range(1, 6)]
    chart = {"type": "bar", "categories": [r["label"] for r in rows], "integer": True,
             "series": [{"name": _("Number of requests"), "data": [r["count"] for r in rows]}],
             "empty": rated == 0}
    rows.append({"label": _("Total"), "count": rated, "share": 100.0 if rated else None, "mean": mean})
    return Table("satisfaction", _("Satisfaction distribution"), [
        xlsx.XColumn("label", _l("Satisfaction"), width=14),
        xlsx.XColumn("count", _l("Number of requests"), kind="int", width=14),
        xlsx.XColumn("share", _l("Share (%)"), kind="decimal", width=12),
        xlsx.XColumn("mean", _l("Mean satisfaction (stars)"), kind="decimal", width=18),
    ], rows, chart)


def area_table(filters, user=None, moment=None):
    moment = moment or _now()
    top = (select(Complaint.area_id.label("area_id"), func.count().label("n"),
                  _count_if(overdue_expr(moment)).label("overdue"))
           .where(*_where(filters, user)).group_by(Complaint.area_id)
           .order_by(func.count().desc(), Complaint.area_id).limit(TOP_AREAS + 1).subquery())
    # Rental complaints (no area) form one group of their own: one more group is read and the
    # join with the areas drops it (a test on area_id in the WHERE could steer the planner
    # away from the period's index).
    stmt = (select(PropertyArea.name, Region.name, top.c.n, top.c.overdue)
            .select_from(PropertyArea).join(top, PropertyArea.id == top.c.area_id)
            .outerjoin(Region, Region.code == PropertyArea.street_code)
            .order_by(top.c.n.desc(), top.c.area_id).limit(TOP_AREAS))
    rows = [{"area": name, "street": street or "", "count": n, "overdue": overdue}
            for name, street, n, overdue in db.session.execute(stmt).all()]
    chart = {"type": "bar", "categories": [r["area"] for r in rows], "rotate": True, "integer": True,
             "series": [{"name": _("Number of requests"), "data": [r["count"] for r in rows]},
                        {"name": _("Overdue in total"), "data": [r["overdue"] for r in rows]}],
             "empty": not rows}
    return Table("area", _("Top %(n)s areas by number of requests", n=TOP_AREAS), [
        xlsx.XColumn("area", _l("Property management area"), width=28),
        xlsx.XColumn("street", _l("Street"), width=16),
        xlsx.XColumn("count", _l("Number of requests"), kind="int", width=14),
        xlsx.XColumn("overdue", _l("Overdue in total"), kind="int", width=14),
    ], rows, chart)


def weeks(filters):
    """The Mondays of every week the period touches."""
    day, last = monday(filters.date_from), monday(filters.date_to)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(weeks=1)
    return out


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.strptime(str(value)[:10], "%Y-%m-%d").date()


def trend_table(filters, user=None):
    where = _where(filters, user)
    submitted_week = week_start(Complaint.submitted_at)
    submitted = dict(db.session.execute(
        select(submitted_week, func.count()).where(*where).group_by(submitted_week)).all())
    handled_week = week_start(Complaint.handled_at)
    handled = dict(db.session.execute(
        select(handled_week, func.count())
        .where(*where, _is_handled(), Complaint.handled_at < filters.end).group_by(handled_week)).all())
    submitted = {_as_date(k): v for k, v in submitted.items()}
    handled = {_as_date(k): v for k, v in handled.items()}
    rows = [{"week": w, "submitted": submitted.get(w, 0), "handled": handled.get(w, 0)}
            for w in weeks(filters)]
    chart = {"type": "line", "categories": [r["week"].isoformat() for r in rows], "integer": True,
             "series": [{"name": _("Submissions"), "data": [r["submitted"] for r in rows]},
                        {"name": _("Completed or refused"), "data": [r["handled"] for r in rows]}],
             "empty": not (submitted or handled)}
    return Table("trend", _("Weekly trend"), [
        xlsx.XColumn("week", _l("Week starting (Monday)"), kind="date", width=18),
        xlsx.XColumn("submitted", _l("Submissions"), kind="int", width=12),
        xlsx.XColumn("handled", _l("Completed or refused"), kind="int", width=16),
    ], rows, chart, note=_("Requests submitted in the period, counted by the week they were submitted "
                           "and by the week they were completed or refused."))


def compute(filters, user=None, only=None, moment=None):
    """{name: Table} for the tables in ``only`` (default: all), in page order."""
    wanted = [n for n in TABLES if only is None or n in only]
    moment = moment or _now()
    tables = {}
    s = None
    for name in wanted:
        if name in ("stage", "overdue", "duration", "satisfaction") and s is None:
            s = summary(filters, user, moment)
        if name == "stage":
            tables[name] = _stage_table(s)
        elif name == "overdue":
            tables[name] = _overdue_table(s)
        elif name == "duration":
            tables[name] = _duration_table(s)
        elif name == "satisfaction":
            tables[name] = _satisfaction_table(s)
        elif name == "area":
            tables[name] = area_table(filters, user, moment)
        elif name == "trend":
            tables[name] = trend_table(filters, user)
    return tables


def workbook(table):
    """The table as .xlsx bytes (Chinese headers from the column labels)."""
    buf = BytesIO()
    count = xlsx.write_xlsx(buf, table.columns, table.rows, sheet_title=str(table.title)[:31])
    return buf.getvalue(), count


def cell(value):
    """A table cell as shown on the page."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if round(value, 1) != value else f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- the page ---------------------------------------------------------------------------

class ComplaintStatsView(BaseView):
    """需求及建议统计: the filter form, one card per table (chart + table + export)."""

    route_base = "/complaints/stats"
    default_view = "index"
    base_permissions = ["can_show", "can_export"]
    method_permission_name = {"index": "show", "export": "export"}

    @expose("/")
    @has_access
    def index(self):
        user = current_user_obj()
        filters, problems = parse_filters(request.args, user)
        for problem in problems:
            flash(problem, "warning")
        tables = compute(filters, user)
        return self.render_template(
            "anju/complaints/stats.html", title=_("Request statistics"), filters=filters,
            tables=[tables[n] for n in PAGE_ORDER], districts=district_options(user),
            streets=street_options(filters.district, user), cell=cell,
            export_args=filters.args(),
        )

    @expose("/export/<table>")
    @has_access
    def export(self, table):
        if table not in TABLES:
            abort(404)
        user = current_user_obj()
        filters, _problems = parse_filters(request.args, user)
        result = compute(filters, user, only={table})[table]
        data, count = workbook(result)
        audit.record(AuditAction.EXPORT, "ComplaintStats", entity_id=table,
                     summary=f"{result.title}: " + _("%(n)s rows exported", n=count)
                     + "; " + "&".join(f"{k}={v}" for k, v in filters.args().items()),
                     commit=True)
        name = f"{_('Request statistics')}-{result.title}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
        return xlsx.bytes_response(name, data)


def register(appbuilder):
    appbuilder.add_view(ComplaintStatsView(), "Request statistics", label=_l("Request statistics"),
                        category="Requests", category_label=_l("Requests and suggestions"),
                        icon="fa-bar-chart")
