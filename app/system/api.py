"""REST resources of the system module (scoped, masked, described in OpenAPI)."""
from flask import g
from flask_babel import gettext as _
from marshmallow import ValidationError as MaValidationError

from app.core.audit import AuditLog
from app.core.views import AnjuModelRestApi, ScopedInterface
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

    def _validate(self, item):
        from app.core.validators import ValidationError, check_credit_code, check_mobile

        try:
            if item.credit_code:
                item.credit_code = check_credit_code(item.credit_code)
            if item.contact_mobile:
                item.contact_mobile = check_mobile(item.contact_mobile)
            services.check_region(item.region_code)
        except (ValidationError, services.DomainError) as exc:
            raise MaValidationError(str(exc))
        from app.core.scope import scope_clause, user_scope

        scope = user_scope(g.user if getattr(g, "user", None) is not None and g.user.is_authenticated else None)
        from app.core.scope import current_user_obj

        scope = user_scope(current_user_obj())
        if scope.level == "region" and not (item.region_code or "").startswith(scope.region_prefix):
            raise MaValidationError(_("This region is outside your scope"))

    def pre_add(self, item):
        super().pre_add(item)
        self._validate(item)
        services.set_tree_fields(item)

    def post_add(self, item):
        services.finish_paths([item])
        from app.extensions import db

        db.session.commit()

    def pre_update(self, item):
        self._validate(item)


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
        from app.core.scope import can_see, current_user_obj
        from app.core.validators import ValidationError, check_mobile
        from app.extensions import db
        from app.system.models import Organization as Org

        user = current_user_obj()
        if item.org_id is None:
            item.org_id = user.org_id
        org = db.session.get(Org, item.org_id)
        if org is None or not can_see(org):
            raise MaValidationError(_("This organization is outside your scope"))
        try:
            if item.mobile:
                item.mobile = check_mobile(item.mobile)
            services.prepare_new_account(item, item.password or "")
        except ValidationError as exc:
            raise MaValidationError(str(exc))
        # Accounts created by an enterprise admin through the API are project leads.
        from flask import current_app

        role = current_app.appbuilder.sm.find_role("project_lead")
        item.roles = [role]

    def pre_update(self, item):
        from app.core.validators import ValidationError, check_mobile

        try:
            if item.mobile:
                item.mobile = check_mobile(item.mobile)
        except ValidationError as exc:
            raise MaValidationError(str(exc))

    def pre_delete(self, item):
        from app.core.scope import current_user_obj

        if item.id == current_user_obj().id:
            raise MaValidationError(_("You cannot delete your own account"))


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


def register(appbuilder):
    for api in (RegionApi, OrganizationApi, OrgUserApi, DictItemApi, AuditLogApi):
        appbuilder.add_api(api)
