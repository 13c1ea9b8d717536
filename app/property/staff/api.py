"""REST resources ``staff`` and ``certificate``: the scoped, masked list and detail; writes and
离职 through the same services as the pages (app/property/staff/services.py); a broken rule
answers 422 with its Chinese message, a record outside the caller's scope 404."""
from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.accounts.api import _json
from app.core import masking
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.property.staff import services
from app.property.models import Certificate, Staff

# The areas (many-to-many) are added per page by one query (_with_areas): FAB's join of a
# many-to-many relationship chains the areas' inner-joined district onto it and drops staff
# without areas.
STAFF_FIELDS = ["id", "name", "mobile", "id_number", "post", "org_id", "org.name", "hired_on", "status",
                "left_on", "left_reason", "user_id", "user.username", "remark", "created_on", "changed_on"]
CERT_FIELDS = ["id", "staff_id", "staff.name", "org_id", "cert_type", "number", "issuer", "issued_on",
               "valid_until"]


def staff_out(staff):
    """A staff record as the write endpoints return it (masked like the list)."""
    def pii(kind, value):
        return masking.for_viewer(kind, value)

    return {"id": staff.id, "name": staff.name, "mobile": pii("mobile", staff.mobile),
            "id_number": pii("id_number", staff.id_number), "post": staff.post,
            "post_label": services.post_label(staff.post), "org_id": staff.org_id,
            "areas": [{"id": a.id, "name": a.name} for a in staff.areas],
            "hired_on": staff.hired_on.isoformat() if staff.hired_on else None,
            "status": staff.status, "status_label": services.status_label(staff.status),
            "left_on": staff.left_on.isoformat() if staff.left_on else None, "left_reason": staff.left_reason,
            "user_id": staff.user_id, "remark": staff.remark}


def cert_out(cert):
    return {"id": cert.id, "staff_id": cert.staff_id, "org_id": cert.org_id, "cert_type": cert.cert_type,
            "cert_type_label": services.cert_type_label(cert.cert_type), "number": cert.number,
            "issuer": cert.issuer, "issued_on": cert.issued_on.isoformat() if cert.issued_on else None,
            "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
            "expired": services.is_expired(cert), "scans": [f.original_name for f in services.scans_of(cert)]}


class StaffApi(AnjuModelRestApi):
    resource_name = "staff"
    datamodel = ScopedInterface(Staff)
    base_permissions = ["can_get", "can_info", "can_post", "can_put", "can_delete", "can_resign"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "post": "post", "put": "put",
                              "delete": "delete", "resign": "resign"}
    list_columns = show_columns = STAFF_FIELDS
    search_columns = ["name", "mobile", "id_number", "post", "status", "org_id", "hired_on", "left_on"]
    order_columns = ["id", "name", "post", "status", "hired_on", "left_on"]
    base_order = ("id", "desc")
    mask_columns = {"mobile": "mobile", "id_number": "id_number"}
    extra_response_properties = {"areas": {"type": "array", "items": {"type": "object"}}}

    def pre_get(self, data):
        super().pre_get(data)
        self._with_areas([data.get("result")] if data.get("result") else [])

    def pre_get_list(self, data):
        super().pre_get_list(data)
        self._with_areas(data.get("result") or [])

    @staticmethod
    def _with_areas(rows):
        """``areas``: [{id, name}] of each row, one query for the page."""
        from sqlalchemy import select

        from app.extensions import db
        from app.property.models import PropertyArea, staff_area

        ids = [r["id"] for r in rows if r and r.get("id") is not None]
        found = {}
        if ids:
            for staff_id, area_id, name in db.session.execute(
                    select(staff_area.c.staff_id, PropertyArea.id, PropertyArea.name)
                    .join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
                    .where(staff_area.c.staff_id.in_(ids)).order_by(PropertyArea.name)):
                found.setdefault(staff_id, []).append({"id": area_id, "name": name})
        for r in rows:
            if r:
                r["areas"] = found.get(r.get("id"), [])

    def _mask(self, row):
        super()._mask(row)
        user = (row or {}).get("user")
        if isinstance(user, dict) and user.get("username"):
            user["username"] = masking.for_viewer("mobile", user["username"])

    def post_headless(self):
        """Add a staff member to the caller's enterprise (JSON: name, mobile, id_number, post,
        area_ids, hired_on, remark)."""
        def run():
            staff = services.create_staff(current_user_obj(), _json())
            return {"id": staff.id, "result": staff_out(staff)}
        return self._run(run, 201)

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self._run(lambda: {"id": item.id,
                                  "result": staff_out(services.update_staff(current_user_obj(), item, _json()))})

    def delete_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        def run():
            services.delete_staff(current_user_obj(), item)
            return {"message": "OK"}
        return self._run(run)

    @expose("/<int:pk>/resign", methods=["POST"])
    @protect()
    @safe
    def resign(self, pk):
        """离职.
        ---
        post:
          summary: Record a staff member as left (the record stays as history; lead assignments end)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    left_on: {type: string, format: date, description: default today}
                    reason: {type: string}
          responses:
            200: {description: the record after leaving}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            data = request.get_json(silent=True) or {}
            if not isinstance(data, dict):
                data = _json()
            services.resign_staff(current_user_obj(), item, data.get("left_on"), data.get("reason"))
            return {"id": item.id, "result": staff_out(item)}
        return self._run(run)


class CertificateApi(AnjuModelRestApi):
    resource_name = "certificate"
    datamodel = ScopedInterface(Certificate)
    base_permissions = ["can_get", "can_info", "can_post", "can_put", "can_delete"]
    list_columns = show_columns = CERT_FIELDS
    search_columns = ["staff_id", "cert_type", "number", "valid_until"]
    order_columns = ["id", "valid_until", "issued_on"]
    base_order = ("id", "desc")

    @staticmethod
    def _body():
        """JSON, or a multipart form with the scan in ``file``."""
        if request.is_json:
            return _json(), None
        return dict(request.form.items()), request.files.get("file")

    def post_headless(self):
        """Add a certificate (JSON or multipart with ``file``: staff_id, cert_type, number, issuer,
        issued_on, valid_until) to a person of the caller's enterprise."""
        def run():
            data, file = self._body()
            cert = services.create_certificate(current_user_obj(), data.get("staff_id"), data, file)
            return {"id": cert.id, "result": cert_out(cert)}
        return self._run(run, 201)

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            data, file = self._body()
            return {"id": item.id, "result": cert_out(services.update_certificate(current_user_obj(), item, data,
                                                                                  file))}
        return self._run(run)

    def delete_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            services.delete_certificate(current_user_obj(), item)
            return {"message": "OK"}
        return self._run(run)


def register(appbuilder):
    appbuilder.add_api(StaffApi)
    appbuilder.add_api(CertificateApi)
