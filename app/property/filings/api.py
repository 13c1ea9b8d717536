"""REST resources ``service_contract_filing`` (物业服务合同备案) and ``acceptance_filing``
(承接查验备案), over the same services as the pages.

* ``GET /api/v1/<resource>/`` and ``/<pk>``: the filings in the caller's data scope (a company
  its own, reviewers and district staff their region), payload persons masked for callers
  without the PII permission.
* ``POST /file``: a company administrator files (JSON: the form's fields; ``submit`` true for
  保存并提交, default true for contracts, false for acceptance filings, whose equipment is
  imported next). 201, or 422 with the Chinese reason.
* ``POST /<pk>/amend`` (``data``, ``submit``): change a draft or resubmit a returned filing;
  ``POST /<pk>/submit``; ``POST /<pk>/terminate``.
* ``POST /<pk>/transition`` (``action``, ``reason``): accept / approve / return / reject (reviewers).
* ``POST /acceptance_filing/<pk>/equipment`` (multipart ``file``): the equipment workbook; 422
  with the problems when any (nothing kept).
"""
from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import can_view_full_pii, ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object
from app.extensions import db
from app.property.filings import acceptance, contracts


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


class _FilingApi(AnjuModelRestApi):
    datamodel = ScopedInterface(workflow.Application)
    extra_response_properties = {"status_label": {"type": "string", "description": "the state in Chinese"}}
    base_permissions = ["can_get", "can_info", "can_file", "can_transition"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "file": "file", "amend": "file",
                              "submit": "file", "terminate": "file", "equipment": "file",
                              "transition": "transition"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "subject_id",
                                   "reason", "created_on", "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "subject_id", "submitted_at"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")
    services = None
    submit_by_default = True

    def _mask(self, row):
        super()._mask(row)
        if row and row.get("payload"):
            row["payload"] = self.services.mask_payload(row["payload"], can_view_full_pii())
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))

    @staticmethod
    def _result(item):
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label}

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    def _create(self, user, data, submit):
        raise NotImplementedError

    def _amend(self, item, user, data, submit):
        raise NotImplementedError

    def _submit(self, item, user):
        raise NotImplementedError

    @expose("/file", methods=["POST"])
    @protect()
    @safe
    def file(self):
        """File a new application.
        ---
        post:
          summary: a company administrator files (JSON, the form's fields; submit saves and submits)
          responses:
            201: {description: saved; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            data = _json()
            submit = bool(data.get("submit", self.submit_by_default))
            return self._result(self._create(current_user_obj(), data, submit))
        return self._run(run, 201)

    @expose("/<int:pk>/amend", methods=["POST"])
    @protect()
    @safe
    def amend(self, pk):
        """Change a draft or resubmit a returned filing.
        ---
        post:
          summary: the applicant changes a draft (submit to submit it) or resubmits a returned filing
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            body = _json()
            data = body.get("data")
            if data is None:
                data = self.services.form_values(item.payload)
            if not isinstance(data, dict):
                raise DomainError(_("The request body must be a JSON object."))
            self._amend(item, current_user_obj(), data, bool(body.get("submit", False)))
            return self._result(item)
        return self._run(run)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Submit a draft.
        ---
        post:
          summary: 保存并提交 a saved draft
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            self._submit(item, current_user_obj())
            return self._result(item)
        return self._run(run)

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """Terminate a draft or a returned filing.
        ---
        post:
          summary: the applicant ends a draft or a returned filing (终止任务)
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            self.services.transition_filing(item, workflow.Action.TERMINATE, current_user_obj())
            return self._result(item)
        return self._run(run)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Decide on a filing.
        ---
        post:
          summary: accept, approve, return or reject (reviewers; return and reject need a reason)
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            d = _json()
            self.services.transition_filing(item, d.get("action", ""), current_user_obj(), d.get("reason"))
            return self._result(item)
        return self._run(run)


class ServiceContractFilingApi(_FilingApi):
    resource_name = "service_contract_filing"
    base_filters = [["app_type", FilterEqual, contracts.SERVICE_CONTRACT_FILING]]
    services = contracts

    def _create(self, user, data, submit):
        return contracts.file_contract(user, data, submit=submit)

    def _amend(self, item, user, data, submit):
        contracts.amend_contract(item, user, data, submit=submit)

    def _submit(self, item, user):
        contracts.submit_contract(item, user)


class AcceptanceFilingApi(_FilingApi):
    resource_name = "acceptance_filing"
    base_filters = [["app_type", FilterEqual, acceptance.ACCEPTANCE_FILING]]
    services = acceptance
    submit_by_default = False

    def _create(self, user, data, submit):
        return acceptance.file_acceptance(user, data, submit=submit)

    def _amend(self, item, user, data, submit):
        acceptance.amend_acceptance(item, user, data, submit=submit)

    def _submit(self, item, user):
        acceptance.submit_acceptance(item, user)

    @expose("/<int:pk>/equipment", methods=["POST"])
    @protect()
    @safe
    def equipment(self, pk):
        """Import the filing's equipment workbook.
        ---
        post:
          summary: the 设施设备 workbook (the equipment import template) into a draft or returned filing
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              multipart/form-data:
                schema: {type: object, properties: {file: {type: string, format: binary}}}
          responses:
            200: {description: the number of rows kept}
            404: {description: not found or outside your scope}
            422: {description: refused; nothing kept; the problems by row}
        """
        from app.system.params import get_param

        item = self._item(pk)
        if item is None:
            return self.response_404()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.response_422(message=_("Please choose an .xlsx file to upload."))
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        try:
            result, count = acceptance.import_workbook(item, current_user_obj(), upload.stream.read(max_bytes + 1),
                                                       max_bytes, get_param("import.max_rows"))
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        if count is None:
            return self.response(
                422, message=_("Nothing was imported: %(n)s problems were found. Correct them and upload again.",
                          n=result.error_count),
                errors=[{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                        for e in result.listed[:500]])
        return self.response(200, count=count)


def register(appbuilder):
    appbuilder.add_api(ServiceContractFilingApi)
    appbuilder.add_api(AcceptanceFilingApi)
