"""REST resource ``area_news``: 小区动态.

* ``GET /api/v1/area_news/`` and ``/<pk>``: the items in the caller's data scope.
* ``POST /api/v1/area_news/`` (area_id, title, content): a draft; ``PUT /<pk>``: change a draft or a
  withdrawn item; ``DELETE /<pk>``: delete one that is not published — the writer's
  organisation only, 422 with the Chinese reason otherwise.
* ``POST /api/v1/area_news/<pk>/publish`` and ``/<pk>/withdraw``: 发布 and 撤回.
"""
from flask_appbuilder.api import expose, protect, safe

from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.property.news import services
from app.property.news.models import AreaNews


class AreaNewsApi(AnjuModelRestApi):
    resource_name = "area_news"
    datamodel = ScopedInterface(AreaNews)
    base_permissions = ["can_get", "can_info", "can_post", "can_put", "can_delete", "can_publish", "can_withdraw"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "post": "post", "put": "put",
                              "delete": "delete", "publish": "publish", "withdraw": "withdraw"}
    list_columns = show_columns = ["id", "area_id", "area.name", "org_id", "org.name", "title", "content", "status",
                                   "published_at", "created_on", "changed_on"]
    add_columns = edit_columns = ["area_id", "title", "content"]
    search_columns = ["area_id", "status", "title", "published_at"]
    order_columns = ["id", "published_at", "changed_on"]
    base_order = ("id", "desc")

    def pre_add(self, item):
        services.check_news(item, current_user_obj(), True)

    def pre_update(self, item):
        services.check_news(item, current_user_obj(), False)

    def pre_delete(self, item):
        services.check_delete(item, current_user_obj())

    def _act(self, pk, fn):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        try:
            fn(item, current_user_obj())
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        return self.response(200, id=item.id, status=item.status, status_label=item.status_label)

    @expose("/<int:pk>/publish", methods=["POST"])
    @protect()
    @safe
    def publish(self, pk):
        """Publish an item on the area's public page (发布).
        ---
        post:
          summary: 发布 a draft or withdrawn item (the writing organisation)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        return self._act(pk, services.publish)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk):
        """Withdraw a published item (撤回).
        ---
        post:
          summary: 撤回 a published item (the writing organisation)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        return self._act(pk, services.withdraw)


def register(appbuilder):
    appbuilder.add_api(AreaNewsApi)
