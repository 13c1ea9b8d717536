"""信息公示: the credit disclosure anyone may open without signing in (app/credit/disclosure.py
says what is public). Search by enterprise name or 统一社会信用代码, one enterprise's level,
red/black list entries and records open for objection; printable; cached 60 s by browsers and
proxies for visitors (a signed-in page stays ``no-store``, app/__init__.py)."""
from flask import make_response, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.credit import disclosure, services

CACHE = "public, max-age=60"


def _cached(body, status=200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = CACHE
    response.headers["Vary"] = "Cookie"
    return response


class CreditPublicView(BaseView):
    route_base = "/credit/public"
    default_view = "search"

    def _render(self, template, status=200, **context):
        return _cached(self.render_template(
            template, list_label=lambda code: services.label_of(services.LIST_TYPE_LABELS, code),
            list_status=lambda code: services.label_of(services.LIST_STATUS_LABELS, code),
            record_status=lambda code: services.label_of(services.RECORD_STATUS_LABELS, code),
            score_type=lambda code: services.label_of(services.SCORE_TYPE_LABELS, code),
            **context), status)

    @expose("/")
    def search(self):
        result = disclosure.search(request.args.get("q", ""), request.args.get("page"))
        return self._render("anju/credit/public_search.html", title=_("Credit disclosure"), result=result,
                            page_size=disclosure.PAGE_SIZE, max_query=disclosure.MAX_QUERY)

    @expose("/<path:code>")
    def detail(self, code):
        org = disclosure.enterprise_by_code(code)
        if org is None:
            return self._render("anju/credit/public_detail.html", status=404, title=_("Credit disclosure"),
                                d=None, code=(code or "")[:disclosure.MAX_QUERY])
        return self._render("anju/credit/public_detail.html", title=_("Credit disclosure"),
                            d=disclosure.detail(org), code=org.credit_code)


def register(appbuilder):
    from app.credit.views import CATEGORY, CATEGORY_ICON, CATEGORY_LABEL

    appbuilder.add_view_no_menu(CreditPublicView())
    # Staff open the public page from the console's menu (menu_access "Credit disclosure").
    appbuilder.add_link("Credit disclosure", href="/credit/public/", label=_l("Credit disclosure"),
                        icon="fa-bullhorn", category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)
