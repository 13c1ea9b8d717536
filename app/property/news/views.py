"""小区动态: thin pages over app/property/news/services.py.

* ``AreaNewsView`` (/property/news, menu 小区动态 > 小区动态管理): the items in the user's scope;
  添加 and 修改 (drafts and withdrawn items), 发布 and 撤回 with a confirmation naming the item,
  查看, 删除 (not a published item). Government reads within its region.
* ``NewsPublicView`` (/area/<public_code>/news/<id>, no login): one published item.
"""
from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.property import menu
from app.property.news import services
from app.property.news.models import NEWS_STATUS_LABELS, AreaNews, NewsStatus


def _area_choices():
    return [("", _("Please choose"))] + [(str(a.id), a.name) for a in services.writable_areas(current_user_obj())]


def _status_choices():
    return [("", _l("All"))] + [(k, v) for k, v in NEWS_STATUS_LABELS.items()]


class _AreaSelect(SelectField):
    """The writer's own areas; the chosen id is checked again by the service."""

    def pre_validate(self, form):
        pass

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None


class AreaNewsView(AnjuModelView):
    datamodel = ScopedInterface(AreaNews)
    route_base = "/property/news"
    list_title = _l("Community news management")
    show_title = _l("Community news")
    add_title = _l("Add community news")
    edit_title = _l("Edit community news")
    show_template = "anju/property/news/show.html"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_publish",
                        "can_withdraw"]
    method_permission_name = {"publish": "publish", "withdraw": "withdraw"}
    label_columns = {
        "area": _l("Property management area"), "area_id": _l("Property management area"),
        "org": _l("Publishing organization"), "title": _l("Title"), "content": _l("Content"),
        "status": _l("Status"), "published_at": _l("Published at"), "created_on": _l("Created at"),
        "changed_on": _l("Last changed"), "id": _l("Actions"),
    }
    list_columns = ["title", "area", "org", "status", "published_at", "changed_on"]
    show_columns = ["title", "area", "org", "status", "published_at", "content"]
    add_columns = edit_columns = ["area_id", "title", "content"]
    add_form_extra_fields = edit_form_extra_fields = {
        "area_id": _AreaSelect(_l("Property management area"), choices=_area_choices, validators=[DataRequired()]),
        "title": StringField(_l("Title"), validators=[DataRequired()]),
        "content": TextAreaField(_l("Content"), validators=[DataRequired()],
                                 description=_l("Plain text; line breaks are kept.")),
    }
    search_columns = ["title", "status", "published_at"]
    search_filters = {"status": [FilterEqual]}
    search_form_extra_fields = {"status": SelectField(_l("Status"), choices=_status_choices)}
    formatters_columns = {"status": services.status_label}
    order_columns = ["published_at", "changed_on"]
    base_order = ("id", "desc")

    def _check(self, item, creating):
        try:
            services.check_news(item, current_user_obj(), creating)
        except DomainError as exc:
            raise ValueError(str(exc))  # FAB flashes it; nothing is saved

    def pre_add(self, item):
        self._check(item, True)

    def pre_update(self, item):
        self._check(item, False)

    def pre_delete(self, item):
        try:
            services.check_delete(item, current_user_obj())
        except DomainError as exc:
            raise ValueError(str(exc))

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and "area_id" in form:
            form.area_id.data = str(item.area_id)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        sm = self.appbuilder.sm
        manage = services.may_manage(item, user)
        return self.render_template(
            self.show_template, item=item, title=self.show_title,
            can_edit=manage and item.status != NewsStatus.PUBLISHED and sm.has_access("can_edit", "AreaNewsView"),
            can_delete=manage and item.status != NewsStatus.PUBLISHED
            and sm.has_access("can_delete", "AreaNewsView"),
            can_publish=manage and item.status != NewsStatus.PUBLISHED
            and sm.has_access("can_publish", "AreaNewsView"),
            can_withdraw=manage and item.status == NewsStatus.PUBLISHED
            and sm.has_access("can_withdraw", "AreaNewsView"))

    def _act(self, pk, fn, done):
        item = self._item_or_404(pk)
        try:
            fn(item, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(done % {"title": item.title}, "success")
        return redirect(url_for("AreaNewsView.show", pk=pk))

    @expose("/publish/<int:pk>", methods=["POST"])
    @has_access
    def publish(self, pk):
        return self._act(pk, services.publish, _("「%(title)s」 was published on the area's public page."))

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        return self._act(pk, services.withdraw, _("「%(title)s」 was withdrawn from the area's public page."))


def _area_or_404(code):
    from app.complaints.services import area_by_code

    area = area_by_code(code) if code and len(code) <= 16 else None
    if area is None:
        abort(404)
    return area


class NewsPublicView(BaseView):
    """One published item of an area (no login)."""

    route_base = "/area"
    default_view = "show"

    @expose("/<code>/news/<int:pk>")
    def show(self, code, pk):
        area = _area_or_404(code)
        news = services.public_news(area, pk)
        if news is None:
            abort(404)
        return self.render_template("anju/property/news/public_show.html", title=news.title, area=area, news=news)


def register(appbuilder):
    from app.property.public import register_section

    menu(appbuilder, AreaNewsView(), "Community news management", _l("Community news management"),
         "fa-newspaper-o", category="Community news")
    appbuilder.add_view_no_menu(NewsPublicView())
    register_section("news", services.public_section, order=40)

