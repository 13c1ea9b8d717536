"""Summary tables kept by a job: daily counts that the dashboards read instead of the big tables.

Counting two years of a million complaints per request is seconds on SQLite; the same figures
summed from one row per (day, district, street, organisation, dimension) are milliseconds.
No domain knowledge: a module registers a :class:`Metric` (what to count, in which table, on
which day, with which region, organisation and dimension expressions) from its ``charts.py``::

    rollup.register_metric(Metric("complaints.submitted", Complaint, Complaint.submitted_at,
                                  district=Complaint.district_code, street=Complaint.street_code,
                                  org=Complaint.org_id))

**The table** ``anju_stat_daily(metric, day, district_code, street_code, org_id, dim, value)``
holds, per metric and day, two sets of rows: ``org_id = 0`` (all organisations, read by
government and analysts) and ``org_id = <id>`` (read by an enterprise, its own only). Empty
codes and dimensions are ``''`` so that the unique key holds no NULL.

**Freshness.** ``system.stats_rollup`` runs every 10 minutes: per metric it recomputes the days
from the previous run's day (minus :data:`LOOKBACK_DAYS`) to today, and the days of the rows added
since (ids above the watermark ``anju_stat_state.max_id``: a bulk load with old dates). Each
metric's days are deleted and inserted again in one transaction (``INSERT ... SELECT ... GROUP
BY``): running it twice gives the same rows. ``flask stats rebuild`` recomputes everything.
Counting by the day an event happened (submitted, handled, took effect) keeps old days still:
a state change is dated now, so it falls inside the recomputed window.

**Reading.** :func:`query` sums the rows of a metric in the user's data scope (app/core/scope.py)
grouped by month, district, street or dimension. A scope the table cannot express (a project
lead's areas, one's own rows) is counted live from the source table with the same expressions,
so both ways give the same figures (tested).
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.core.jobs import register_job
from app.core.mixins import now as _now
from app.extensions import db
from app.security.roles import SCOPE_ALL, SCOPE_ORG, SCOPE_REGION

log = logging.getLogger(__name__)

#: Days before the previous run's day that an incremental run recomputes too (late writes).
LOOKBACK_DAYS = 1
#: First day a full rebuild considers when a source holds nothing older.
EPOCH = date(2000, 1, 1)


class StatDaily(db.Model):
    """One count: ``value`` rows of ``metric`` on ``day`` in a district/street, of an organisation
    (0: all organisations), in a dimension (a status, a star, a plan...)."""

    __tablename__ = "anju_stat_daily"
    __table_args__ = (
        UniqueConstraint("metric", "org_id", "day", "district_code", "street_code", "dim",
                         name="uq_anju_stat_daily_key"),
        # Covering indexes: a dashboard reads metric + organisation + period (+ district or street).
        Index("ix_anju_stat_daily_read", "metric", "org_id", "day", "district_code", "street_code", "dim", "value"),
        Index("ix_anju_stat_daily_district", "metric", "org_id", "district_code", "day", "street_code", "dim",
              "value"),
        Index("ix_anju_stat_daily_street", "metric", "org_id", "street_code", "day", "dim", "value"),
    )

    id = Column(Integer, primary_key=True)
    metric = Column(String(48), nullable=False)
    day = Column(Date, nullable=False)
    district_code = Column(String(12), nullable=False, default="", server_default="")
    street_code = Column(String(12), nullable=False, default="", server_default="")
    org_id = Column(Integer, nullable=False, default=0, server_default="0")
    dim = Column(String(32), nullable=False, default="", server_default="")
    value = Column(Integer, nullable=False, default=0, server_default="0")


class StatState(db.Model):
    """Per metric: when it was last rolled up, and the highest source id seen then."""

    __tablename__ = "anju_stat_state"

    metric = Column(String(48), primary_key=True)
    max_id = Column(Integer, nullable=False, default=0, server_default="0")
    rolled_at = Column(DateTime, nullable=False)
    rows = Column(Integer, nullable=False, default=0, server_default="0")


# --- SQL per dialect ------------------------------------------------------------------------

class _DayOf(ColumnElement):
    inherit_cache = True
    type = Date()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column


@compiles(_DayOf)
def _day_default(element, compiler, **kw):
    return "CAST(%s AS DATE)" % compiler.process(element.column, **kw)


@compiles(_DayOf, "sqlite")
def _day_sqlite(element, compiler, **kw):
    return "date(%s)" % compiler.process(element.column, **kw)


class _MonthOf(ColumnElement):
    inherit_cache = True
    type = String()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column


@compiles(_MonthOf)
def _month_default(element, compiler, **kw):
    return "to_char(%s, 'YYYY-MM')" % compiler.process(element.column, **kw)


@compiles(_MonthOf, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return "substr(%s, 1, 7)" % compiler.process(element.column, **kw)


def day_of(column):
    return _DayOf(column)


def month_of(column):
    """'YYYY-MM' of a date or datetime expression."""
    return _MonthOf(column)


def district_of(region_code):
    """The district (6 digits) of a region code column."""
    return func.substr(region_code, literal_column("1"), literal_column("6"))


def street_of(region_code):
    """The street (9 digits) of a region code column, '' above street level."""
    return case((func.length(region_code) >= literal_column("9"),
                 func.substr(region_code, literal_column("1"), literal_column("9"))), else_=literal_column("''"))


# --- metrics --------------------------------------------------------------------------------

@dataclass
class Metric:
    key: str
    model: object
    day: object                      # the DateTime or Date column whose day the row counts on
    district: object = None          # expressions; None: ''
    street: object = None
    org: object = None               # the owning organisation's id column; None: no organisation rows
    dim: object = None               # a dimension expression (string); None: ''
    where: tuple = field(default_factory=tuple)   # extra conditions on the source rows
    id_column: object = None         # the source's increasing id (watermark); default: its primary key

    @property
    def pk(self):
        return self.id_column if self.id_column is not None else self.model.__mapper__.primary_key[0]

    @property
    def is_date(self):
        return isinstance(self.day.type, Date) and not isinstance(self.day.type, DateTime)


_METRICS: dict[str, Metric] = {}


def register_metric(metric):
    _METRICS[metric.key] = metric
    return metric


def metrics():
    return dict(_METRICS)


def _bounds(metric, first, last):
    """WHERE clauses for source rows whose day lies in [first, last]."""
    if metric.is_date:
        return [metric.day >= first, metric.day <= last]
    return [metric.day >= datetime.combine(first, datetime.min.time()),
            metric.day < datetime.combine(last + timedelta(days=1), datetime.min.time())]


def _text(expr):
    # Literal SQL (not bound parameters), so that PostgreSQL sees the same expression in the
    # SELECT list and in the GROUP BY.
    return func.coalesce(expr, literal_column("''")) if expr is not None else literal_column("''")


def _groupable(exprs):
    """The expressions a GROUP BY may name: PostgreSQL refuses a constant there ('' for a metric
    without a district, 0 for no organisation), and grouping by a constant changes nothing."""
    return [e for e in exprs if not getattr(e, "is_literal", False)]


def _source_select(metric, first, last, with_org):
    day = day_of(metric.day)
    district, street, dim = _text(metric.district), _text(metric.street), _text(metric.dim)
    org = func.coalesce(metric.org, literal_column("0")) if with_org else literal_column("0")
    cols = [literal(metric.key), day, district, street, org, dim, func.count()]
    stmt = select(*cols).select_from(metric.model).where(*_bounds(metric, first, last), *metric.where)
    group = [day, district, street, dim] + ([org] if with_org else [])
    stmt = stmt.group_by(*_groupable(group))
    if with_org:
        stmt = stmt.where(metric.org.isnot(None))
    return stmt


def recompute(metric, first, last, session=None):
    """Replace ``metric``'s rows of the days [first, last]; returns the rows written."""
    session = session or db.session
    session.execute(delete(StatDaily).where(StatDaily.metric == metric.key, StatDaily.day >= first,
                                            StatDaily.day <= last))
    target = ["metric", "day", "district_code", "street_code", "org_id", "dim", "value"]
    written = 0
    for with_org in ((False, True) if metric.org is not None else (False,)):
        result = session.execute(insert(StatDaily).from_select(target, _source_select(metric, first, last, with_org)))
        written += max(result.rowcount or 0, 0)
    return written


def _as_date(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.strptime(str(value)[:10], "%Y-%m-%d").date()


def _first_day(metric, session, after_id=None):
    stmt = select(func.min(metric.day)).select_from(metric.model).where(*metric.where)
    if after_id is not None:
        stmt = stmt.where(metric.pk > after_id)
    return _as_date(session.execute(stmt).scalar())


def _last_day(metric, session, today):
    """The last day to recompute: today, or the latest day a row carries when some are dated
    ahead (a credit record taking effect next week), at most a year ahead."""
    stmt = select(func.max(metric.day)).select_from(metric.model).where(*metric.where)
    latest = _as_date(session.execute(stmt).scalar())
    if latest is None or latest <= today:
        return today
    return min(latest, today + timedelta(days=366))


def roll(metric, full=False, moment=None, session=None):
    """Bring one metric up to date; returns (first day, last day, rows written) or None."""
    session = session or db.session
    moment = moment or _now()
    today = moment.date()
    state = session.get(StatState, metric.key)
    max_id = session.execute(select(func.max(metric.pk)).select_from(metric.model)).scalar() or 0
    if full or state is None:
        first = _first_day(metric, session) or today
        if full:
            session.execute(delete(StatDaily).where(StatDaily.metric == metric.key))
    else:
        first = state.rolled_at.date() - timedelta(days=LOOKBACK_DAYS)
        if max_id > state.max_id:
            new_first = _first_day(metric, session, after_id=state.max_id)
            if new_first is not None:
                first = min(first, new_first)
    first = max(min(first, today), EPOCH)
    last = _last_day(metric, session, today)
    written = recompute(metric, first, last, session)
    if state is None:
        state = StatState(metric=metric.key)
        session.add(state)
    state.max_id, state.rolled_at, state.rows = max_id, moment, written
    return first, last, written


def roll_all(full=False, moment=None, keys=None):
    """Every registered metric (or those in ``keys``), one transaction each."""
    out = []
    for key, metric in sorted(_METRICS.items()):
        if keys and key not in keys:
            continue
        try:
            first, last, written = roll(metric, full=full, moment=moment)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        out.append(f"{key}={written}({first:%Y%m%d}-{last:%Y%m%d})")
    return out


def run_job():
    """The scheduled job: every metric, incrementally."""
    return " ".join(roll_all()) or "no metrics"


register_job("system.stats_rollup", "app.core.rollup:run_job", label=_l("Refresh the dashboard statistics"),
             trigger="interval", minutes=10)


def updated_at(keys):
    """When the oldest of ``keys`` was last rolled up (None: never)."""
    if not keys:
        return None
    return db.session.execute(select(func.min(StatState.rolled_at)).where(StatState.metric.in_(list(keys)))).scalar()


# --- reading ---------------------------------------------------------------------------------

GROUPS = ("month", "district", "street", "dim", "org")


def _stat_scope(scope, metric=None):
    """(clauses on StatDaily) for a scope the table expresses for ``metric``, or None (count live)."""
    if metric is not None:
        if scope.level == SCOPE_REGION and scope.region_prefix and (
                metric.street is None if len(scope.region_prefix) == 9 else metric.district is None):
            return None
        if scope.level == SCOPE_ORG and metric.org is None:
            return None
    if scope.level == SCOPE_ALL:
        return [StatDaily.org_id == 0]
    if scope.level == SCOPE_REGION and scope.region_prefix:
        prefix = scope.region_prefix
        if len(prefix) == 6:
            return [StatDaily.org_id == 0, StatDaily.district_code == prefix]
        if len(prefix) == 9:
            return [StatDaily.org_id == 0, StatDaily.street_code == prefix]
        if len(prefix) < 6:
            from app.core.scope import prefix_range

            return [StatDaily.org_id == 0, prefix_range(StatDaily.district_code, prefix)]
        return None
    if scope.level == SCOPE_ORG and scope.org_id:
        return [StatDaily.org_id == scope.org_id]
    return None


def _region_clause_live(metric, scope):
    """The source rows inside a region scope, with the metric's own district/street expressions."""
    from app.core.scope import prefix_range

    prefix = scope.region_prefix
    if len(prefix) == 6 and metric.district is not None:
        return metric.district == prefix
    if len(prefix) == 9 and metric.street is not None:
        return metric.street == prefix
    if len(prefix) < 6 and metric.district is not None:
        return prefix_range(metric.district, prefix)
    return None


def query(key, user, first, last, group=("month",), district=None, street=None, dims=None, live=None):
    """{group values tuple: count} of metric ``key`` over the days [first, last] in ``user``'s
    scope, narrowed to a district/street. ``live=True`` counts from the source table (tests
    compare both); by default the summary table is read whenever the scope allows."""
    from app.core.scope import scope_clause, user_scope

    metric = _METRICS[key]
    scope = user_scope(user)
    table_scope = _stat_scope(scope, metric) if live is not True else None
    if table_scope is not None and not live:
        cols = {"month": month_of(StatDaily.day), "district": StatDaily.district_code,
                "street": StatDaily.street_code, "dim": StatDaily.dim, "org": StatDaily.org_id}
        where = [StatDaily.metric == key, StatDaily.day >= first, StatDaily.day <= last, *table_scope]
        if district:
            where.append(StatDaily.district_code == district)
        if street:
            where.append(StatDaily.street_code == street)
        if dims is not None:
            where.append(StatDaily.dim.in_(list(dims)))
        agg = func.sum(StatDaily.value)
    else:
        cols = {"month": month_of(day_of(metric.day)) if not metric.is_date else month_of(metric.day),
                "district": _text(metric.district), "street": _text(metric.street), "dim": _text(metric.dim),
                "org": func.coalesce(metric.org, literal_column("0")) if metric.org is not None
                else literal_column("0")}
        where = [*_bounds(metric, first, last), *metric.where]
        if scope.level == SCOPE_ORG and scope.org_id and metric.org is not None and live:
            where.append(metric.org == scope.org_id)
        elif scope.level == SCOPE_REGION and live and _region_clause_live(metric, scope) is not None:
            where.append(_region_clause_live(metric, scope))
        elif scope.level != SCOPE_ALL:
            clause = scope_clause(metric.model, user)
            if clause is not None:
                where.append(clause)
        if district:
            where.append(_text(metric.district) == district)
        if street:
            where.append(_text(metric.street) == street)
        if dims is not None:
            where.append(_text(metric.dim).in_(list(dims)))
        agg = func.count()
    keys = [cols[g] for g in group]
    stmt = select(*keys, agg).where(*where)
    if metric.model is not None and (table_scope is None or live):
        stmt = stmt.select_from(metric.model)
    if _groupable(keys):
        stmt = stmt.group_by(*_groupable(keys))
    out = {}
    for row in db.session.execute(stmt).all():
        value = int(row[-1] or 0)
        if value:
            out[tuple(_norm(v) for v in row[:-1])] = value
    return out


def _norm(value):
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m")
    return value


# --- command line ----------------------------------------------------------------------------

stats_cli = AppGroup("stats", help="Dashboard summary tables (app/core/rollup.py).")


@stats_cli.command("rebuild")
@click.option("--metric", "keys", multiple=True, help="Only these metrics (default: all).")
def stats_rebuild(keys):
    """Recompute every summary row from the source tables."""
    for line in roll_all(full=True, keys=set(keys) or None):
        click.echo(line)


@stats_cli.command("refresh")
def stats_refresh():
    """What the scheduled job does: the days touched since the last run."""
    for line in roll_all():
        click.echo(line)


def reads_table(user, key=None):
    """Whether :func:`query` answers ``user`` from the summary table (else: live)."""
    from app.core.scope import user_scope

    return _stat_scope(user_scope(user), _METRICS.get(key)) is not None


def freshness(user, keys):
    """When the figures a user reads were computed: the last rollup, or None when counted live."""
    keys = list(keys)
    return updated_at(keys) if keys and reads_table(user, keys[0]) else None
