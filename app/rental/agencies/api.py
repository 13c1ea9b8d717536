"""REST resources of 场所分布 and 从业主体 (read-only, scoped, masked):

* ``rental_premises``: the premises in the caller's scope (an enterprise its own, government
  its region);
* ``rental_practitioner``: the practitioners in the caller's scope; names, ID numbers and
  mobiles masked for a caller without the full-view permission.
"""
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.rental.agencies.models import AgencyPremises, Practitioner


class PremisesApi(AnjuModelRestApi):
    resource_name = "rental_premises"
    datamodel = ScopedInterface(AgencyPremises)
    base_permissions = ["can_get", "can_info"]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "name", "address", "region_code", "street_code", "phone", "floor_area",
                                   "status", "org_id", "org.name"]
    search_columns = ["name", "region_code", "street_code", "status", "org_id"]
    order_columns = ["id", "name", "region_code"]
    base_order = ("id", "desc")


class PractitionerApi(AnjuModelRestApi):
    resource_name = "rental_practitioner"
    datamodel = ScopedInterface(Practitioner)
    base_permissions = ["can_get", "can_info"]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "name", "id_type", "id_number", "mobile", "post", "info_card_no",
                                   "card_valid_until", "premises_id", "status", "org_id", "org.name", "region_code",
                                   "user_id"]
    search_columns = ["info_card_no", "post", "status", "region_code", "org_id", "id_number", "name"]
    order_columns = ["id", "info_card_no", "card_valid_until"]
    base_order = ("id", "desc")


def register(appbuilder):
    appbuilder.add_api(PremisesApi)
    appbuilder.add_api(PractitionerApi)
