"""企业信用: the enterprises' scores and levels (list and export), and one enterprise's credit
page: score, level, bonus against its cap, deductions, the policy in words, red/black list
entries, a chart of the score over time, the 信用历史 and the records in effect. An enterprise
user goes straight to its own page; the history and the records are shown only to users who
may read credit records (the helpdesk sees the level and the list status).

Scores are computed in app/credit/scoring.py; nothing here computes one.
"""
from functools import reduce

from flask import abort, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.core.mixins import now
from app.core.scope import apply_scope, can_see, current_user_obj, prefix_range
from app.core.views import AnjuModelView, ScopedInterface
from app.credit import scoring, services
from app.credit.models import CreditRecord, CreditScore, RecordStatus
from app.credit.views.records import FilterOrgName, rule_text, signed_score
from app.extensions import db
from app.system.models import Organization, OrgType, Region, region_full_name, region_prefix

CHART_WIDTH, CHART_HEIGHT = 720, 260
CHART_MARGIN = {"left": 52, "right": 44, "top": 28, "bottom": 40}


class FilterRegion(BaseFilter):
    """The enterprises of a district (or any region): its code as a prefix."""

    name = _l("In")
    arg_name = "region_in"

    def apply(self, query, value):
        prefix = region_prefix((value or "").strip())
        if not prefix:
            return query
        return query.filter(prefix_range(CreditScore.region_code, prefix))


def _district_choices():
    rows = db.session.execute(select(Region.code, Region.name).where(Region.level == "district")
                              .order_by(Region.code)).all()
    return [("", _l("All"))] + [(code, name) for code, name in rows]


def _level_choices():
    return [("", _l("All"))] + [(level, level) for level in scoring.LEVELS]


class CreditScoreView(AnjuModelView):
    datamodel = ScopedInterface(CreditScore)
    route_base = "/credit/scores"
    list_title = _l("Enterprise credit")
    show_title = _l("Enterprise credit")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {
        "org": _l("Enterprise"), "org.credit_code": _l("Unified social credit code"), "region_code": _l("Region"),
        "score": _l("Credit score"), "level": _l("Credit level"), "bonus": _l("Bonus points"),
        "deduction": _l("Deducted points"), "level_since": _l("Level since"), "computed_at": _l("Computed at"),
    }
    list_columns = ["org", "org.credit_code", "region_code", "score", "level", "bonus", "deduction", "level_since",
                    "computed_at"]
    show_columns = list_columns
    list_key_column = "org"
    search_columns = ["org", "level", "region_code", "score"]
    inline_search_columns = ["org", "level", "region_code"]
    search_filters = {"org": [FilterOrgName], "level": [FilterEqual], "region_code": [FilterRegion]}
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "level": SelectField(_l("Credit level"), choices=_level_choices()),
        "region_code": SelectField(_l("Region"), choices=_district_choices),
    }
    formatters_columns = {"region_code": region_full_name}
    base_order = ("score", "desc")

    @expose("/list/")
    @has_access
    def list(self):
        user = current_user_obj()
        if services.is_enterprise_user(user):
            return redirect(url_for("CreditScoreView.show", pk=user.org_id))
        return super().list()

    def export_value(self, row, column):
        if "." in column.key:
            try:
                return reduce(getattr, column.key.split("."), row)
            except AttributeError:
                return None
        return super().export_value(row, column)

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        user = current_user_obj()
        org = db.session.get(Organization, pk)
        if org is None or org.org_type != OrgType.ENTERPRISE or not can_see(org, user):
            abort(404)
        sm = self.appbuilder.sm
        may_read_records = sm.has_access("can_list", "CreditRecordView")
        history = scoring.history_of(org.id) if may_read_records else []
        records = []
        if may_read_records:
            stmt = apply_scope(select(CreditRecord).where(CreditRecord.org_id == org.id,
                                                          CreditRecord.status == RecordStatus.EFFECTIVE)
                               .order_by(CreditRecord.effective_from.desc()).limit(200), CreditRecord, user)
            records = db.session.execute(stmt).scalars().all()
        return self.render_template(
            "anju/credit/score_show.html", title=self.show_title, org=org, score=scoring.score_of(org.id),
            policy=scoring.Policy.current(), entries=services.active_entries(org.id),
            list_type=lambda v: services.label_of(services.LIST_TYPE_LABELS, v),
            list_status=lambda v: services.label_of(services.LIST_STATUS_LABELS, v),
            may_read_records=may_read_records, history=history, chart=score_chart(history, until=now()), records=records,
            rule_text=rule_text, signed_score=signed_score, region_name=region_full_name(org.region_code),
            own=getattr(user, "org_id", None) == org.id,
            can_open_records=sm.has_access("can_show", "CreditRecordView"),
            can_open_lists=sm.has_access("can_show", "CreditListView"),
            can_propose=sm.has_access("can_propose", "CreditRecordView") and not services.is_enterprise_user(user),
            can_list=sm.has_access("can_list", "CreditScoreView") and not services.is_enterprise_user(user),
        )


def score_chart(history, width=CHART_WIDTH, height=CHART_HEIGHT, margin=CHART_MARGIN, until=None):
    """The score over time as SVG coordinates (drawn by the template, no script): a step line
    through the 信用历史 rows (the score holds until the next change, and until ``until``, the
    day shown last), the scores on the y axis and dates on the x axis. None without history."""
    rows = sorted(history, key=lambda h: (h.at, h.id))
    if not rows:
        return None
    left, right, top, bottom = margin["left"], margin["right"], margin["top"], margin["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    scores = [r.score for r in rows]
    low, high = min(scores), max(scores)
    pad = max(5, (high - low) // 10)
    low, high = low - pad, high + pad
    t0, t1 = rows[0].at, max(rows[-1].at, until or rows[-1].at)
    span = (t1 - t0).total_seconds()

    def x(at):
        if span <= 0:
            return left + plot_w / 2
        return round(left + (at - t0).total_seconds() / span * plot_w, 1)

    def y(score):
        return round(top + (high - score) / (high - low) * plot_h, 1)

    points = [{"x": x(r.at), "y": y(r.score), "score": r.score, "level": r.level,
               "day": r.at.strftime("%Y-%m-%d")} for r in rows]
    path = []
    for i, p in enumerate(points):
        if i:
            path.append(f"{p['x']},{points[i - 1]['y']}")
        path.append(f"{p['x']},{p['y']}")
    end = None
    if t1 > rows[-1].at:
        # The current score holds until today: the line runs on to the end of the axis.
        end = {"x": x(t1), "y": points[-1]["y"], "day": t1.strftime("%Y-%m-%d")}
        path.append(f"{end['x']},{end['y']}")
    steps = 4
    y_ticks = sorted({round(low + (high - low) * i / steps) for i in range(steps + 1)})
    ends = points + ([end] if end else [])
    x_ticks = [ends[0]] if len(ends) == 1 else [ends[0], ends[-1]]
    if len(ends) > 2:
        middle = ends[len(ends) // 2]
        if abs(middle["x"] - ends[0]["x"]) > 90 and abs(ends[-1]["x"] - middle["x"]) > 90:
            x_ticks.insert(1, middle)
    return {
        "width": width, "height": height, "left": left, "top": top, "right": width - right,
        "bottom": height - bottom, "points": points, "path": " ".join(path),
        "y_ticks": [{"y": y(v), "label": v} for v in y_ticks],
        "x_ticks": [{"x": p["x"], "label": p["day"]} for p in x_ticks],
    }


def register(appbuilder):
    from app.credit.views import menu

    menu(appbuilder, CreditScoreView(), "Enterprise credit", _l("Enterprise credit"), "fa-line-chart")
