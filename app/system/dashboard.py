"""数据看板 (the dashboard, SPEC §9): every chart the user may see (app/core/charts.py, registered
by the modules), with a period and district/street filters; each chart's data as JSON for the
page script, and as an .xlsx. The home page (app/system/views.py HomeView) shows the charts
meant for the user's roles through the same JSON endpoint, so the home page itself stays as
fast as before: the figures come after it, one request per chart.

Also here: the business-application charts (app/core/workflow.py Application is the system's
own), the summary-table job and the ``flask stats`` commands (app/core/rollup.py).
"""
from datetime import timedelta

from flask import abort, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.core import audit, charts, rollup, xlsx
from app.core.audit import AuditAction
from app.core.charts import ChartData
from app.core.mixins import now as _now
from app.core.scope import current_user_obj, prefix_range, scope_clause
from app.core.workflow import Application, AppStatus, type_label
from app.extensions import db

audit.describe("Dashboard", _l("Dashboard"))

PERMISSION = ("can_show", "DashboardView")
TOP_TYPES = 12


# --- business applications (filings) ----------------------------------------------------------

def _overdue_before():
    from app.system.params import get_param

    return _now() - timedelta(days=int(get_param("deadline.application_review_days")))


def _open_applications(user, f, key):
    before = _overdue_before()
    stmt = select(key, func.count(), func.sum(case((Application.status == AppStatus.SUBMITTED, 1), else_=0)),
                  func.sum(case((Application.submitted_at < before, 1), else_=0))) \
        .where(Application.status.in_(AppStatus.OPEN)).group_by(key)
    clause = scope_clause(Application, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if f.street:
        stmt = stmt.where(prefix_range(Application.region_code, f.street))
    elif f.district:
        stmt = stmt.where(prefix_range(Application.region_code, f.district))
    return [(k, int(n or 0), int(s or 0), int(o or 0)) for k, n, s, o in db.session.execute(stmt).all()]


def _series(rows):
    return [
        (_("Submitted"), [s for _k, _n, s, _o in rows]),
        (_("Accepted"), [n - s for _k, n, s, _o in rows]),
        (_("Overdue"), [o for _k, _n, _s, o in rows]),
    ]


def _note():
    from app.system.params import get_param

    return _("Applications waiting for a decision today (the period does not apply); overdue: submitted more "
             "than %(n)s days ago.", n=get_param("deadline.application_review_days"))


def filings_by_type(user, f):
    rows = sorted(_open_applications(user, f, Application.app_type), key=lambda r: (-r[1], r[0]))[:TOP_TYPES]
    return ChartData([str(type_label(k)) for k, *_r in rows], _series(rows), unit=charts.COUNT_UNIT,
                     category_label=_("Business type"), note=_note())


def filings_by_region(user, f):
    level = charts.region_level(user, f)
    key = func.substr(Application.region_code, 1, 9 if level == "street" else 6)
    rows = sorted(_open_applications(user, f, key), key=lambda r: r[0] or "")
    names = charts.region_names([r[0] for r in rows])
    return ChartData([names.get(k) or charts.unknown_region() if k else charts.unknown_region() for k, *_r in rows],
                     _series(rows), unit=charts.COUNT_UNIT,
                     category_label=_("Street") if level == "street" else _("District"), note=_note())


def _of_a_region(user):
    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL, SCOPE_REGION

    return user_scope(user).level in (SCOPE_ALL, SCOPE_REGION)


def register_charts():
    permission = ("can_list", "ApplicationView")
    charts.register_chart("filings.by_type", _l("Business applications waiting, by type"), filings_by_type,
                          permission, roles_hint=("gov_admin", "gov_reviewer", "district"), order=20, kind="stack")
    charts.register_chart("filings.by_region", _l("Business applications waiting, by district or street"),
                          filings_by_region, permission, roles_hint=("gov_reviewer",), order=21, kind="stack",
                          when=_of_a_region)


# --- the page -----------------------------------------------------------------------------------

def _chart_or_404(key, user):
    chart = charts.get(key)
    if chart is None or not charts.allowed(chart, user):
        abort(404)
    return chart


class DashboardView(BaseView):
    """数据看板: the filter form and one card per chart (drawn by app/static/anju/dashboard.js)."""

    route_base = "/dashboard"
    default_view = "index"
    base_permissions = ["can_show", "can_export"]
    method_permission_name = {"index": "show", "data": "show", "export": "export"}

    @expose("/")
    @has_access
    def index(self):
        user = current_user_obj()
        filters = charts.parse_filters(request.args, user)
        from flask import flash

        for problem in filters.problems:
            flash(problem, "warning")
        shown = charts.charts_for(user)
        return self.render_template(
            "anju/dashboard.html", title=_("Dashboard"), filters=filters, charts_shown=shown,
            districts=charts.district_options(user), streets=charts.street_options(filters.district, user),
            args=filters.args(), can_export=self.appbuilder.sm.has_access("can_export", "DashboardView"),
            updated_at=rollup.updated_at(list(rollup.metrics())),
        )

    @expose("/data/<key>")
    @has_access
    def data(self, key):
        user = current_user_obj()
        chart = _chart_or_404(key, user)
        filters = charts.parse_filters(request.args, user)
        out = charts.payload(chart, charts.build(chart, user, filters), filters)
        out["problems"] = [str(p) for p in filters.problems]
        resp = jsonify(out)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @expose("/export/<key>")
    @has_access
    def export(self, key):
        user = current_user_obj()
        chart = _chart_or_404(key, user)
        filters = charts.parse_filters(request.args, user)
        result = charts.build(chart, user, filters)
        if result is None:
            abort(500)
        data, count = charts.workbook(chart, result)
        audit.record(AuditAction.EXPORT, "Dashboard", entity_id=key,
                     summary=f"{chart.label}: " + _("%(n)s rows exported", n=count)
                     + "; " + "&".join(f"{k}={v}" for k, v in filters.args().items()), commit=True)
        name = f"{_('Dashboard')}-{chart.label}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
        return xlsx.bytes_response(name, data)


def home_charts(user):
    """The charts of the user's home page (only for users who may open the dashboard)."""
    from flask import current_app

    if user is None or not current_app.appbuilder.sm.has_access(*PERMISSION):
        return []
    return charts.charts_for(user, home=True)


def register(appbuilder):
    register_charts()
    appbuilder.add_view(DashboardView(), "Dashboard", label=_l("Dashboard"), icon="fa-area-chart")
    from flask import current_app

    current_app.cli.add_command(rollup.stats_cli)
