"""物业管理区域综合查询 (seed 003 §7): the scoped list of areas with the seed's columns and a filter
for each, export (the base view's), and on each row 打印资料 (print and PDF), 查看流程图 (the area's
business applications as a timeline) and 打印码上办 (the QR print of PropertyAreaView, where allowed).
Read-only: areas are created and changed by filings (app/property/areas/filing.py)."""
from flask import current_app, g, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.core import documents
from app.core.views import AnjuModelView, ScopedInterface
from app.property.areas import query
from app.property.areas.models import PropertyArea
from app.system import dicts
from app.system.models import Organization


class AreaQueryInterface(ScopedInterface):
    """Areas with every related row the query shows, joined in the page's one query."""

    def page_options(self, q):
        return q.options(*query.ROW_LOADS)


def _org_filter(column_name, arg):
    """A text filter on a related organisation's name (a text box, not a dropdown of every enterprise)."""
    column = getattr(PropertyArea, column_name)

    class FilterOrg(BaseFilter):
        name = _l("Contains")
        arg_name = arg

        def apply(self, q, value):
            value = (value or "").strip()[:128]
            if not value:
                return q
            return q.filter(column.in_(select(Organization.id).where(Organization.name.contains(value))))

    FilterOrg.__name__ = f"FilterArea{column_name}"
    return FilterOrg


class FilterYesNo(BaseFilter):
    """是否合同备案: yes or no from a select."""

    name = _l("Equal to")
    arg_name = "area_contract"

    def apply(self, q, value):
        if value == "y":
            return q.filter(PropertyArea.contract_filed.is_(True))
        if value == "n":
            return q.filter(PropertyArea.contract_filed.is_(False))
        return q


def _may(permission, view):
    cache = g.setdefault("_area_query_access", {})
    if (permission, view) not in cache:
        cache[(permission, view)] = bool(current_app.appbuilder.sm.has_access(permission, view))
    return cache[(permission, view)]


def _row_links(pk):
    """打印资料, 查看流程图 and 打印码上办 in the row's 操作 column."""
    links = [
        f'<a class="btn btn-xs btn-default" target="_blank" id="print-{pk}" '
        f'href="{url_for("AreaQueryView.print_area", pk=pk)}">{escape(_("Print information"))}</a>',
        f'<a class="btn btn-xs btn-default" id="timeline-{pk}" '
        f'href="{url_for("AreaQueryView.timeline", pk=pk)}">{escape(_("View flow chart"))}</a>',
    ]
    if _may("can_qr", "PropertyAreaView"):
        links.append(f'<a class="btn btn-xs btn-default" target="_blank" id="qr-{pk}" '
                     f'href="{url_for("PropertyAreaView.qr", pk=pk)}">{escape(_("Print scan-to-submit code"))}</a>')
    return Markup(" ".join(links))


def _yes_no(value):
    return query.yes_no(value)


class AreaQueryView(AnjuModelView):
    datamodel = AreaQueryInterface(PropertyArea)
    route_base = "/areas/query"
    list_title = _l("Property management area comprehensive query")
    show_title = _l("Property management area")
    base_permissions = ["can_list", "can_show", "can_export"]
    method_permission_name = {"print_area": "show", "pdf": "show", "timeline": "show"}
    label_columns = {
        "name": _l("Property management area name"), "district": _l("Administrative division"),
        "street": _l("Street"), "community": _l("Community"), "property_type": _l("Property type"),
        "address": _l("Address"), "contract_filed": _l("Service contract filed"), "developer": _l("Developer"),
        "company": _l("Property service company"), "committee": _l("Owners committee"),
        "changed_on": _l("Latest update"), "id": _l("Actions"),
    }
    list_columns = ["name", "district", "street", "community", "property_type", "address", "contract_filed",
                    "developer", "company", "committee", "changed_on", "id"]
    search_columns = ["name", "district", "street", "community", "property_type", "address", "contract_filed",
                      "developer", "company", "committee", "changed_on"]
    inline_search_columns = ["name", "district", "street", "property_type", "contract_filed"]
    search_filters = {
        "property_type": [FilterEqual], "contract_filed": [FilterYesNo],
        "developer": [_org_filter("developer_org_id", "area_developer")],
        "company": [_org_filter("company_org_id", "area_company")],
        "committee": [_org_filter("committee_org_id", "area_committee")],
    }
    search_form_extra_fields = {
        "property_type": SelectField(_l("Property type"),
                                     choices=lambda: [("", _l("All"))] + dicts.items("property_type")),
        "contract_filed": SelectField(_l("Service contract filed"),
                                      choices=[("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))]),
        "developer": StringField(_l("Developer")),
        "company": StringField(_l("Property service company")),
        "committee": StringField(_l("Owners committee")),
    }
    search_form_query_rel_fields = {
        "district": [["level", FilterEqual, "district"]],
        "street": [["level", FilterEqual, "street"]],
        "community": [["level", FilterEqual, "community"]],
    }
    formatters_columns = {"property_type": query.type_label, "contract_filed": _yes_no, "id": _row_links,
                          "changed_on": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""}
    order_columns = ["name", "changed_on"]
    base_order = ("changed_on", "desc")
    show_template = "anju/property/areas/query_show.html"

    def export_columns(self):
        return [c for c in super().export_columns() if c.key != "id"]

    def export_query(self):
        return super().export_query().options(*query.ROW_LOADS)

    def export_value(self, row, column):
        if column.key == "contract_filed":
            return str(query.yes_no(row.contract_filed))
        if column.key == "property_type":
            return query.type_label(row.property_type)
        if column.key == "changed_on":
            return row.changed_on
        return super().export_value(row, column)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        return self.render_template(
            self.show_template, title=self.show_title, item=item, fields=query.area_fields(item),
            houses=query.house_count(item.id), can_qr=_may("can_qr", "PropertyAreaView"),
            can_correct=_may("can_edit", "PropertyAreaView"))

    @expose("/print/<int:pk>")
    @has_access
    def print_area(self, pk):
        """打印资料."""
        return documents.print_response(query.area_document(self._item_or_404(pk)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item_or_404(pk)
        return documents.pdf_response(query.area_document(item), _("%(area)s information.pdf", area=item.name))

    @expose("/timeline/<int:pk>")
    @has_access
    def timeline(self, pk):
        """查看流程图: every business application about the area, each with its steps."""
        item = self._item_or_404(pk)
        return self.render_template("anju/property/areas/timeline.html", title=_("Flow chart"), item=item,
                                    entries=query.timeline(item),
                                    can_open=_may("can_show", "ApplicationView"))
