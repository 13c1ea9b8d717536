"""REST resource ``enterprise_filing``: enterprise information filings (企业信息备案).

* ``GET /api/v1/enterprise_filing/`` and ``/<pk>``: the filings in the caller's data scope
  (an enterprise its own, reviewers and district staff their region), with the payload;
  personal data in the payload is masked for callers without the PII permission.
* ``POST /api/v1/enterprise_filing/file``: an enterprise administrator files (JSON, the
  same fields and checks as the page; 422 with the Chinese message when refused).
* ``POST /api/v1/enterprise_filing/<pk>/transition``: accept / approve / return / reject
  (reviewers, with a reason for return and reject); resubmit (the applicant, with the
  changed ``data``) or terminate.
* ``POST /api/v1/enterprise_filing/<pk>/resubmit`` and ``/<pk>/terminate``: the same two
  applicant steps under the ``file`` permission, which enterprise administrators hold
  (they do not hold ``transition``).
"""
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import can_view_full_pii, ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object
from app.property.enterprise import services


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


class EnterpriseFilingApi(AnjuModelRestApi):
    resource_name = "enterprise_filing"
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.ENTERPRISE_FILING]]
    base_permissions = ["can_get", "can_info", "can_file", "can_transition"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "file": "file",
                              "resubmit": "file", "terminate": "file", "transition": "transition"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "reason",
                                   "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")

    def _mask(self, row):
        super()._mask(row)
        if row and row.get("payload"):
            row["payload"] = services.mask_payload(row["payload"], can_view_full_pii())
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))

    @staticmethod
    def _result(item):
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label}

    @expose("/file", methods=["POST"])
    @protect()
    @safe
    def file(self):
        """File the caller's enterprise information.
        ---
        post:
          summary: 企业信息备案 by an enterprise administrator; the filing waits for a reviewer
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [is_local, legal_rep, contact_name, contact_mobile]
                  properties:
                    is_local: {type: boolean, description: "local (true) or non-local (false) enterprise"}
                    legal_rep: {type: string}
                    legal_rep_mobile: {type: string}
                    contact_name: {type: string}
                    contact_mobile: {type: string}
                    registered_capital: {type: string, description: "10,000 yuan; required for local enterprises"}
                    established_on: {type: string, format: date, description: "required for local enterprises"}
                    registered_address: {type: string, description: "required for local enterprises"}
                    office_address: {type: string, description: "required for local enterprises"}
                    business_scope: {type: string, description: "required for local enterprises"}
                    staff_total: {type: integer}
                    home_region: {type: string, description: "required for non-local enterprises"}
                    branch_name: {type: string, description: "required for non-local enterprises"}
                    branch_manager: {type: string, description: "required for non-local enterprises"}
                    branch_manager_mobile: {type: string, description: "required for non-local enterprises"}
                    branch_address: {type: string, description: "required for non-local enterprises"}
                    entered_on: {type: string, format: date, description: "required for non-local enterprises"}
          responses:
            201: {description: submitted; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            application = services.file_enterprise(current_user_obj(), _json())
            return self._result(application)
        return self._run(run, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move a filing.
        ---
        post:
          summary: accept, approve, return or reject (reviewers); resubmit or terminate (the applicant)
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
                    action: {type: string, enum: [accept, approve, return, reject, resubmit, terminate]}
                    reason: {type: string}
                    data: {type: object, description: "resubmit: the changed fields (as for /file)"}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            d = _json()
            action = d.get("action", "")
            if action == workflow.Action.RESUBMIT:
                return self._resubmit(item, d)
            services.transition_filing(item, action, current_user_obj(), d.get("reason"))
            return self._result(item)
        return self._run(run)

    def _resubmit(self, item, body):
        data = body.get("data")
        if data is None:
            data = item.payload or {}
        if not isinstance(data, dict):
            raise DomainError(_("The request body must be a JSON object."))
        services.amend_filing(item, current_user_obj(), data)
        return self._result(item)

    @expose("/<int:pk>/resubmit", methods=["POST"])
    @protect()
    @safe
    def resubmit(self, pk):
        """Change a returned filing and resubmit it (the applicant).
        ---
        post:
          summary: the applicant resubmits a returned filing with the changed fields (as for /file)
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
                    data: {type: object, description: "the changed fields; default the filed ones"}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self._run(lambda: self._resubmit(item, _json()))

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """Terminate a returned filing (the applicant).
        ---
        post:
          summary: the applicant ends a returned filing (终止任务)
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()

        def run():
            services.transition_filing(item, workflow.Action.TERMINATE, current_user_obj())
            return self._result(item)
        return self._run(run)


def register(appbuilder):
    appbuilder.add_api(EnterpriseFilingApi)
