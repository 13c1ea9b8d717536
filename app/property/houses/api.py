"""REST resources of the house registry (seed 004 开发建设单位 3).

* ``house_import``: 房屋信息补充 applications in the caller's scope.
  ``POST /api/v1/house_import/import``: the workbook as multipart (``file``, ``area_id``,
  ``deposit_date``) or JSON (``area_id``, ``deposit_date``, ``workbook``: base64 of the .xlsx);
  201 with the draft application, or 422 with the reason (``errors``: every problem of the
  workbook, row by row). ``POST /<pk>/submit`` (保存并提交 / 重新提交) and ``/<pk>/terminate``.
* ``house``: the house registry, read-only and scoped; owner name and ID number masked for
  callers without the PII permission.
"""
import base64
import binascii

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.property.houses import services
from app.property.models import House


class HouseImportApi(AnjuModelRestApi):
    resource_name = "house_import"
    extra_response_properties = {"status_label": {"type": "string", "description": "the state in Chinese"}}
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.HOUSE_IMPORT]]
    base_permissions = ["can_get", "can_info", "can_import"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "import_": "import",
                              "submit": "import", "terminate": "import"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "reason",
                                   "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")

    def _mask(self, row):
        super()._mask(row)
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))

    @staticmethod
    def _result(item, **extra):
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label,
                **extra}

    def _run(self, fn, ok_status=200):
        try:
            return fn()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))

    @staticmethod
    def _upload():
        """(area_id, deposit_date, bytes, file name) from multipart or JSON."""
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            return (request.form.get("area_id"), request.form.get("deposit_date"),
                    upload.stream.read(max_bytes + 1), upload.filename)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError(_("Send the workbook as multipart (file) or as JSON with workbook in base64."))
        encoded = body.get("workbook")
        if not isinstance(encoded, str) or not encoded:
            raise DomainError(_("Send the workbook as multipart (file) or as JSON with workbook in base64."))
        if len(encoded) > (max_bytes + 3) * 4 // 3 + 8:
            raise DomainError(_("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("workbook is not valid base64."))
        return body.get("area_id"), body.get("deposit_date"), data, str(body.get("file_name") or "")[:200]

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def import_(self):
        """Import a workbook of houses for one area.
        ---
        post:
          summary: 房屋信息补充 import (all-or-nothing); the draft application waits for /submit
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [area_id, deposit_date, workbook]
                  properties:
                    area_id: {type: integer}
                    deposit_date: {type: string, format: date}
                    workbook: {type: string, description: "the .xlsx file in base64"}
                    file_name: {type: string}
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    area_id: {type: integer}
                    deposit_date: {type: string, format: date}
                    file: {type: string, format: binary}
          responses:
            201: {description: imported into a draft application}
            422: {description: refused; errors lists every problem of the workbook}
        """
        def run():
            area_id, deposit_date, data, name = self._upload()
            application, result = services.import_houses(current_user_obj(), area_id, deposit_date, data,
                                                          file_name=name)
            if application is None:
                errors = [{"row": e.row, "column": e.column, "value": e.value, "reason": str(e.reason)}
                          for e in result.listed[:1000]]
                return self.response(
                    422, message=_("Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                              n=result.error_count), errors=errors)
            return self.response(201, **self._result(application, imported=len(result.rows)))
        return self._run(run)

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """保存并提交 a draft (or 重新提交 a returned import).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: submitted}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            services.submit_import(item, current_user_obj())
            return self.response(200, **self._result(item))
        return self._run(run)

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """End a draft or returned import (终止).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: terminated}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            services.transition_import(item, workflow.Action.TERMINATE, current_user_obj())
            return self.response(200, **self._result(item))
        return self._run(run)


class HouseApi(AnjuModelRestApi):
    resource_name = "house"
    datamodel = ScopedInterface(House)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["id", "area_id", "area.name", "building", "unit", "room", "floor", "floor_area",
                                   "owner_name", "owner_id_number", "deposit_date", "application_id"]
    search_columns = ["area_id", "building", "room", "owner_id_number"]
    order_columns = ["id", "building", "room"]
    mask_columns = {"owner_name": "name", "owner_id_number": "id_number"}
    base_order = ("id", "asc")


def register(appbuilder):
    appbuilder.add_api(HouseImportApi)
    appbuilder.add_api(HouseApi)
