"""The credit module's screens, one file per sub-domain as users name the work:

* ``rules``   记分标准 (scoring standards): list, versions, template, import, export;
* ``records`` 信用记录, 记分申请 and 异议: the records, the application form, decisions, objections;
* ``lists``   红黑名单 and 信用修复: entries, proposals, decisions, 注销, repair applications;
* ``scores``  企业信用: scores and levels, the enterprise's own credit page with its history chart;
* ``public``  信息公示: the disclosure pages anyone may open without signing in.

Rules live in app/credit/services.py, rules.py and scoring.py; these files parse, call and render.
"""
from flask_babel import lazy_gettext as _l

from app.core.chrome import register_group_icon

CATEGORY = "Credit"
CATEGORY_LABEL = _l("Credit management")
CATEGORY_ICON = "fa-star-half-o"


def menu(appbuilder, view, name, label, icon):
    appbuilder.add_view(view, name, label=label, icon=icon, category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)


def register(appbuilder):
    from app.credit.views import lists, public, records, rules, scores

    from app.credit import hooks; hooks.register()  # noqa: E702  (cards and warnings of the engines)
    register_group_icon(CATEGORY, CATEGORY_ICON)
    rules.register(appbuilder)
    records.register(appbuilder)
    lists.register(appbuilder)
    scores.register(appbuilder)
    public.register(appbuilder)
