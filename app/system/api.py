"""REST resources of the system module (scoped, masked, described in OpenAPI)."""

from app.core import audit
from app.core.audit import AuditLog
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.security.models import AnjuUser
from app.system import services
from app.system.models import DictItem, Organization, Region


class RegionApi(AnjuModelRestApi):
    resource_name = "region"
    datamodel = ScopedInterface(Region)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["code", "name", "level", "parent_code"]
    search_columns = ["code", "name", "level", "parent_code"]
    order_columns = ["code", "name"]


class OrganizationApi(AnjuModelRestApi):
    resource_name = "organization"
    datamodel = ScopedInterface(Organization)
    list_columns = show_columns = ["id", "name", "org_type", "enterprise_type", "credit_code",
                                   "region_code", "parent_id", "legal_rep", "contact_name",
                                   "contact_mobile", "address", "active"]
    add_columns = edit_columns = ["name", "org_type", "enterprise_type", "credit_code", "region_code",
                                  "legal_rep", "contact_name", "contact_mobile", "address", "active"]
    search_columns = ["name", "org_type", "enterprise_type", "credit_code", "region_code", "active"]
    order_columns = ["id", "name", "credit_code"]
    mask_columns = {"contact_mobile": "mobile", "legal_rep": "name", "contact_name": "name"}

    def pre_add(self, item):
        super().pre_add(item)
        services.clean_organization(item)

    def post_add(self, item):
        from app.extensions import db

        services.finish_paths([item])
        db.session.commit()

    def pre_update(self, item):
        services.clean_organization(item)


class OrgUserApi(AnjuModelRestApi):
    resource_name = "org_user"
    datamodel = ScopedInterface(AnjuUser)
    list_columns = show_columns = ["id", "username", "first_name", "mobile", "org_id", "active",
                                   "locked_until", "last_login", "roles.name"]
    edit_columns = ["first_name", "mobile", "active"]
    add_columns = ["username", "first_name", "mobile", "org_id", "password"]
    search_columns = ["username", "first_name", "mobile", "org_id", "active"]
    order_columns = ["id", "username"]
    mask_columns = {"mobile": "mobile"}

    def pre_add(self, item):
        from flask import current_app

        from app.core.scope import current_user_obj

        acting = current_user_obj()
        if item.org_id is None:
            item.org_id = acting.org_id
        # Accounts created through the API are project leads (sub-accounts of an enterprise).
        item.roles = [current_app.appbuilder.sm.find_role("project_lead")]
        services.check_account(item, acting)
        services.prepare_new_account(item, item.password or "")

    def pre_update(self, item):
        from app.core.scope import current_user_obj

        services.check_account(item, current_user_obj())

    def pre_delete(self, item):
        from app.core.scope import current_user_obj

        services.check_account_delete(item, current_user_obj())


class DictItemApi(AnjuModelRestApi):
    resource_name = "dictionary"
    datamodel = ScopedInterface(DictItem)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["id", "dict_type", "code", "label", "label_en", "sort", "active"]
    search_columns = ["dict_type", "code", "label", "active"]
    order_columns = ["dict_type", "sort", "code"]


class AuditLogApi(AnjuModelRestApi):
    resource_name = "audit_log"
    datamodel = ScopedInterface(AuditLog)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["id", "ts", "username", "ip", "action", "entity", "entity_id",
                                   "summary", "before", "after", "hash"]
    search_columns = ["ts", "username", "action", "entity", "entity_id"]
    order_columns = ["id", "ts"]
    base_order = ("id", "desc")

    def _mask(self, row):
        """Personal values in before/after masked as the entity declares (app/core/audit.py)."""
        from app.core.views import can_view_full_pii

        if not row or can_view_full_pii():
            return
        for key in ("before", "after"):
            if row.get(key):
                row[key] = audit.masked_json(row.get("entity"), row[key])


def register(appbuilder):
    for api in (RegionApi, OrganizationApi, OrgUserApi, DictItemApi, AuditLogApi):
        appbuilder.add_api(api)
