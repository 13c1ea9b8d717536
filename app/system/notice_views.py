"""站内通知: the notices addressed to the user's organisation; opening one marks it read."""
from datetime import datetime

from flask import redirect
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core.notices import Notice
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db


class FilterUnread(BaseFilter):
    """未读: notices not opened yet (the home page's 待办 links here)."""

    name = _l("Is")
    arg_name = "unread"

    def apply(self, query, value):
        if value == "y":
            return query.filter(Notice.read_at.is_(None))
        if value == "n":
            return query.filter(Notice.read_at.isnot(None))
        return query


class FilterVisibleToMe(BaseFilter):
    """Notices to the whole organisation, and those addressed to the user alone."""

    name = "visible"
    arg_name = "visible"

    def apply(self, query, value):
        from flask import g

        from app.core.notices import visible_to

        return query.filter(visible_to(getattr(getattr(g, "user", None), "id", None)))


class NoticeView(AnjuModelView):
    datamodel = ScopedInterface(Notice)
    base_filters = [["id", FilterVisibleToMe, lambda: None]]
    route_base = "/notices"
    list_title = _l("Notices")
    show_title = _l("Notice")
    base_permissions = ["can_list", "can_show"]
    label_columns = {"title": _l("Title"), "body": _l("Content"), "created_on": _l("Sent at"),
                     "read_at": _l("Read at"), "link": _l("Link")}
    list_columns = ["title", "created_on", "read_at"]
    show_columns = ["title", "body", "created_on", "read_at"]
    search_columns = ["title", "created_on", "read_at"]
    search_filters = {"read_at": [FilterUnread]}
    search_form_extra_fields = {"read_at": SelectField(_l("Unread"), choices=[
        ("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))])}
    base_order = ("created_on", "desc")
    method_permission_name = {"open": "show"}

    @expose("/open/<int:pk>")
    @has_access
    def open(self, pk):
        """Mark the notice read and go to what it is about."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            from flask import abort

            abort(404)
        if item.read_at is None:
            item.read_at = datetime.now()
            db.session.commit()
        return redirect(item.link or f"/notices/show/{pk}")


def register(appbuilder):
    appbuilder.add_view(NoticeView(), "Notices", label=_l("Notices"), category="My account",
                        category_label=_l("Mine"), category_icon="fa-user-circle", icon="fa-bell")
