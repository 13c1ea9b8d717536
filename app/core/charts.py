"""Charts for the home page and the 数据看板 (dashboard), from every module, in the user's scope.

No domain knowledge: each module registers its charts from its hooks (``charts.py`` of the
module)::

    charts.register_chart("complaints.sla", _l("On-time rate per month"), build_sla,
                          permission=("can_list", "ComplaintView"), roles_hint=("district", "street"),
                          order=20, kind="line")

``build(user, filters) -> ChartData`` counts inside the user's data scope (app/core/scope.py):
from the summary tables of app/core/rollup.py for the heavy ones, live (an indexed COUNT over a
small table) for the others. A chart is shown to a user holding its ``permission`` (a list or
show permission of its data: the module's own grants decide who sees it); on the home page
only to the roles in ``roles_hint``, on the dashboard page to all who may.

The page script (app/static/anju/dashboard.js) fetches each chart's JSON (:func:`payload`) and
draws it with ECharts served by the console; each chart offers its data as a table and as an
.xlsx (:func:`workbook`, Chinese headers).
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import xlsx
from app.core.mixins import now as _now
from app.core.scope import prefix_range, user_scope
from app.security.roles import SCOPE_ALL, SCOPE_NONE, SCOPE_REGION

log = logging.getLogger(__name__)

KINDS = ("bar", "line", "pie", "stack")
#: Longest period one request may ask for (keeps every query bounded): two years and a day.
MAX_DAYS = 731
DEFAULT_MONTHS = 12
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
MAX_STREETS = 500


@dataclass
class ChartData:
    categories: list                         # x axis (or pie slices)
    series: list                             # [(name, [values...]), ...]
    unit: object = None                      # e.g. 件, %
    note: object = None                      # one line under the chart
    category_label: object = None            # the table's first column header
    updated_at: datetime | None = None       # when its summary rows were computed (None: live)
    percent: tuple = ()                      # indexes of series that are percentages (right axis, a line)

    @property
    def empty(self):
        return not any(v for _name, values in self.series for v in values if v)


@dataclass
class Chart:
    key: str
    label: object
    build: object
    permission: tuple | None
    roles_hint: tuple = ()
    order: int = 100
    kind: str = "bar"
    when: object = None
    wide: bool = False


_CHARTS: dict[str, Chart] = {}


def register_chart(key, label, build, permission=None, roles_hint=(), order=100, kind="bar", when=None,
                   wide=False):
    """Register a chart; ``permission`` = (name, view) of the data it counts."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind}")
    _CHARTS[key] = Chart(key, label, build, permission, tuple(roles_hint), order, kind, when, wide)
    return _CHARTS[key]


def registered():
    return dict(_CHARTS)


def get(key):
    return _CHARTS.get(key)


def allowed(chart, user):
    if user is None:
        return False
    if chart.permission is not None and not current_app.appbuilder.sm.has_access(*chart.permission):
        return False
    return chart.when is None or bool(chart.when(user))


def charts_for(user, home=False):
    """The charts ``user`` may see, in order; on the home page those hinted for their roles."""
    if user is None:
        return []
    names = {r.name for r in user.roles}
    out = []
    for chart in sorted(_CHARTS.values(), key=lambda c: (c.order, c.key)):
        if home and not (names & set(chart.roles_hint)):
            continue
        if allowed(chart, user):
            out.append(chart)
    return out


# --- filters ---------------------------------------------------------------------------------

@dataclass
class Filters:
    date_from: date
    date_to: date
    district: str | None = None
    street: str | None = None
    problems: list = field(default_factory=list)

    def args(self):
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.district:
            out["district"] = self.district
        if self.street:
            out["street"] = self.street
        return out


def month_start(day, back=0):
    y, m = day.year, day.month - back
    while m <= 0:
        m += 12
        y -= 1
    return date(y, m, 1)


def default_period(today=None):
    today = today or _now().date()
    return month_start(today, DEFAULT_MONTHS - 1), today


def months(filters):
    """'YYYY-MM' of every month the period touches."""
    out, day = [], month_start(filters.date_from)
    while day <= filters.date_to:
        out.append(day.strftime("%Y-%m"))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
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
    if scope.level == SCOPE_NONE:
        return False
    if scope.level != SCOPE_REGION:
        return True
    prefix = scope.region_prefix
    return code.startswith(prefix) or (len(prefix) > 6 and code == prefix[:6])


def district_options(user):
    """[(code, name)] of the districts the user may choose (their region's; all for the city)."""
    from app.extensions import db
    from app.system.models import Region

    scope = user_scope(user)
    if scope.level not in (SCOPE_ALL, SCOPE_REGION):
        return []
    stmt = select(Region.code, Region.name).where(Region.level == "district")
    if scope.level == SCOPE_REGION:
        prefix = scope.region_prefix
        stmt = stmt.where(Region.code == prefix[:6]) if len(prefix) > 6 else \
            stmt.where(prefix_range(Region.code, prefix))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code)).all()]


def street_options(district, user):
    """[(code, name)] of the streets of ``district`` (or of the user's own district)."""
    from app.extensions import db
    from app.system.models import Region

    scope = user_scope(user)
    if scope.level not in (SCOPE_ALL, SCOPE_REGION):
        return []
    if district:
        within = Region.parent_code == district
    elif scope.level == SCOPE_REGION and len(scope.region_prefix) >= 6:
        within = prefix_range(Region.code, scope.region_prefix[:6])
    else:
        return []
    stmt = select(Region.code, Region.name).where(Region.level == "street", within)
    if scope.level == SCOPE_REGION:
        stmt = stmt.where(prefix_range(Region.code, scope.region_prefix))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Region.code).limit(MAX_STREETS)).all()]


def parse_filters(args, user, today=None):
    """Filters from GET arguments; a bad value falls back to its default with a Chinese message
    in ``filters.problems`` (never an error page)."""
    from app.extensions import db
    from app.system.models import Region

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
        date_from = default_from if date_to == default_to else month_start(date_to, DEFAULT_MONTHS - 1)
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
    choosable = scope.level in (SCOPE_ALL, SCOPE_REGION)
    if district is not None:
        known = db.session.execute(select(Region.code).where(
            Region.code == district, Region.level == "district")).scalar()
        if not choosable or known is None or not _region_in_scope(district, scope):
            problems.append(_("The chosen district is not within your data scope; "
                              "all districts are counted."))
            district = None
    if street is not None:
        parent = db.session.execute(select(Region.parent_code).where(
            Region.code == street, Region.level == "street")).scalar()
        if not choosable or parent is None or not _region_in_scope(street, scope) \
                or (district and parent != district):
            problems.append(_("The chosen street is not within your data scope or the chosen district; "
                              "all streets are counted."))
            street = None
        elif district is None and _region_in_scope(parent, scope):
            district = parent
    return Filters(date_from, date_to, district, street, problems)


def region_level(user, filters):
    """'street' when the figures are one district's (a district or street user, or a district
    chosen), else 'district'."""
    scope = user_scope(user)
    if filters.district or filters.street:
        return "street"
    if scope.level == SCOPE_REGION and scope.region_prefix and len(scope.region_prefix) >= 6:
        return "street"
    return "district"


def region_names(codes):
    """{code: name} of region codes ('' and unknown codes keep a readable fallback)."""
    from app.extensions import db
    from app.system.models import Region

    codes = [c for c in set(codes) if c]
    names = {}
    for i in range(0, len(codes), 500):
        part = codes[i:i + 500]
        names.update(dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(part))).all()))
    return {c: names.get(c, c) for c in codes}


def unknown_region():
    return _("Region not given")


# --- building and exporting -----------------------------------------------------------------

def build(chart, user, filters):
    """The chart's data, or None if its builder failed (logged; the page shows a message)."""
    from app.extensions import db

    try:
        return chart.build(user, filters)
    except Exception:
        log.exception("chart %s failed", chart.key)
        db.session.rollback()
        return None


def _plain(value):
    if isinstance(value, float):
        return round(value, 1)
    return value


def payload(chart, data, filters):
    """The JSON the page script draws."""
    if data is None:
        return {"key": chart.key, "title": str(chart.label), "kind": chart.kind, "error": True,
                "message": _("This chart could not be computed; the incident is in the log.")}
    return {
        "key": chart.key, "title": str(chart.label), "kind": chart.kind,
        "categories": [str(c) for c in data.categories],
        "series": [{"name": str(name), "data": [_plain(v) for v in values]} for name, values in data.series],
        "unit": str(data.unit) if data.unit else "",
        "note": str(data.note) if data.note else "",
        "category_label": str(data.category_label or _("Category")),
        "empty": data.empty,
        "percent": list(data.percent),
        "updated_at": data.updated_at.strftime("%Y-%m-%d %H:%M") if data.updated_at else None,
        "period": [filters.date_from.isoformat(), filters.date_to.isoformat()],
    }


def table(data):
    """(header, rows) of a chart's data: one row per category, one column per series."""
    header = [str(data.category_label or _("Category"))] + [str(name) for name, _v in data.series]
    rows = []
    for i, category in enumerate(data.categories):
        rows.append([str(category)] + [values[i] if i < len(values) else None for _n, values in data.series])
    return header, rows


def workbook(chart, data):
    """The chart's data as .xlsx bytes: Chinese headers, numbers as numbers."""
    header, rows = table(data)
    columns = [xlsx.XColumn("c0", header[0], width=18)]
    for i, name in enumerate(header[1:], start=1):
        columns.append(xlsx.XColumn(f"c{i}", name, kind="decimal", width=max(12, len(name) * 2 + 2)))
    dict_rows = [{f"c{i}": v for i, v in enumerate(row)} for row in rows]
    buf = BytesIO()
    xlsx.write_xlsx(buf, columns, dict_rows, sheet_title=str(chart.label)[:31])
    return buf.getvalue(), len(dict_rows)


def pct(part, whole):
    return round(part * 100.0 / whole, 1) if whole else None


COUNT_UNIT = _l("items")
