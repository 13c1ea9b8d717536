"""REST resources of the areas part.

``area_filing`` (物业区域备案 and 物业管理区域信息变更, app/property/areas/filing.py):

* ``GET /api/v1/area_filing/`` and ``/<pk>``: the filings in the caller's data scope (a filer
  its organisation's, reviewers and district staff their region), with the payload.
* ``POST /draft`` (保存) and ``POST /file`` (保存并提交): a new filing from JSON, or from
  multipart/form-data with the documents as ``files`` (at least one before submitting).
  ``mode`` is ``new`` (default) or ``change`` with ``area_id``.
* ``POST /<pk>/save`` (a draft or returned filing, changed), ``/<pk>/submit`` (a draft, with
  optional changed fields), ``/<pk>/resubmit`` (a returned filing, changed), ``/<pk>/terminate``.
* ``POST /<pk>/transition``: accept / approve / return / reject (reviewers, with a reason to
  return or reject).

``area_query`` (物业管理区域综合查询): the areas in the caller's scope, read-only, with the names of
their regions and organisations; filters as FAB's (``q=(filters:!((col:name,opr:ct,value:..)))``).

A refused write answers 422 with the Chinese reason.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi
from app.extensions import db
from app.property.areas import filing, query
from app.property.areas.models import PropertyArea
from app.system.models import Organization, Region


def _body():
    """The fields and files of a request: a JSON object, or a multipart form with ``files``."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError(_("The request body must be a JSON object."))
        return data, []
    data = {k: v for k, v in request.form.items()}
    files = [f for f in request.files.getlist("files") if f and f.filename]
    return data, files


class AreaFilingApi(AnjuModelRestApi):
    resource_name = "area_filing"
    extra_response_properties = {"status_label": {"type": "string", "description": "the state in Chinese"}}
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, filing.AREA_FILING]]
    base_permissions = ["can_get", "can_info", "can_file", "can_transition"]
    method_permission_name = {"get_list": "get", "get": "get", "info": "info", "draft": "file", "file": "file",
                              "save": "file", "submit": "file", "resubmit": "file", "terminate": "file",
                              "transition": "transition"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "reason",
                                   "subject_id", "submitted_at", "decided_at", "payload"]
    search_columns = ["number", "status", "org_id", "region_code", "submitted_at", "subject_id"]
    order_columns = ["id", "submitted_at", "decided_at"]
    base_order = ("id", "desc")

    run_commits = True

    def _mask(self, row):
        super()._mask(row)
        if row and row.get("status"):
            row["status_label"] = str(workflow.status_label(row["status"]))

    @staticmethod
    def _result(item):
        return {"id": item.id, "number": item.number, "status": item.status, "status_label": item.status_label,
                "subject_id": item.subject_id}

    def _create(self, submit):
        def run():
            data, files = _body()
            return self._result(filing.create(current_user_obj(), data, files, submit=submit))
        return self._run(run, 201)

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def draft(self):
        """Save a new filing as a draft (保存).
        ---
        post:
          summary: 物业区域备案 or 信息变更 saved as a draft (only the filled-in fields are checked)
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    mode: {type: string, enum: [new, change]}
                    area_id: {type: integer, description: "change: one of the caller's areas"}
                    area_name: {type: string}
                    district_code: {type: string}
                    street_code: {type: string}
                    community_code: {type: string}
                    property_type: {type: string, description: "dictionary property_type"}
                    address: {type: string}
                    boundaries: {type: string}
                    land_area: {type: string, description: "m², positive"}
                    building_area: {type: string, description: "m², positive"}
                    building_count: {type: integer}
                    developer_org_id: {type: integer, description: "a company's filing: a registered developer"}
          responses:
            201: {description: saved; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        return self._create(False)

    @expose("/file", methods=["POST"])
    @protect()
    @safe
    def file(self):
        """File and submit (保存并提交).
        ---
        post:
          summary: 物业区域备案 or 信息变更 submitted at once (multipart with files, since a document is required)
          responses:
            201: {description: submitted; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        return self._create(True)

    def _item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    def _change(self, pk, submit, only_returned=False):
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            if only_returned and item.status != workflow.AppStatus.RETURNED:
                raise DomainError(_("Only a returned application can be changed."))
            data, files = _body()
            if not data and not files and submit:
                filing.submit(item, current_user_obj())
            else:
                if not data:
                    data = item.payload or {}
                filing.update(item, current_user_obj(), data, files, submit=submit)
            return self._result(item)
        return self._run(run)

    @expose("/<int:pk>/save", methods=["POST"])
    @protect()
    @safe
    def save(self, pk):
        """Change a draft or a returned filing (保存).
        ---
        post:
          summary: save the changed fields of a draft or returned filing
          parameters: [{in: path, name: pk, schema: {type: integer}}]
          responses:
            200: {description: saved}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        return self._change(pk, submit=False)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Submit a draft (保存并提交), optionally with changed fields.
        ---
        post:
          summary: submit a draft
          parameters: [{in: path, name: pk, schema: {type: integer}}]
          responses:
            200: {description: submitted}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        return self._change(pk, submit=True)

    @expose("/<int:pk>/resubmit", methods=["POST"])
    @protect()
    @safe
    def resubmit(self, pk):
        """Change a returned filing and resubmit it (重新提交).
        ---
        post:
          summary: the applicant resubmits a returned filing with the changed fields
          parameters: [{in: path, name: pk, schema: {type: integer}}]
          responses:
            200: {description: resubmitted}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        return self._change(pk, submit=True, only_returned=True)

    @expose("/<int:pk>/terminate", methods=["POST"])
    @protect()
    @safe
    def terminate(self, pk):
        """Terminate a draft or a returned filing (终止任务).
        ---
        post:
          summary: the applicant ends a draft or returned filing
          parameters: [{in: path, name: pk, schema: {type: integer}}]
          responses:
            200: {description: terminated}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()
        return self._run(lambda: self._result(filing.transition(item, workflow.Action.TERMINATE,
                                                                current_user_obj())))

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """A reviewer's step.
        ---
        post:
          summary: accept, approve, return or reject (reviewers; return and reject need a reason)
          parameters: [{in: path, name: pk, schema: {type: integer}}]
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    action: {type: string, enum: [accept, approve, return, reject]}
                    reason: {type: string}
          responses:
            200: {description: the new status}
            404: {description: not found or outside your scope}
            422: {description: refused, with the reason in Chinese}
        """
        item = self._item(pk)
        if item is None:
            return self.response_404()

        def run():
            data, _files = _body()
            action = str(data.get("action") or "")
            if action not in workflow.Action.DECIDER:
                raise DomainError(_("Unknown operation: %(action)s", action=action[:20]))
            filing.transition(item, action, current_user_obj(), data.get("reason"))
            return self._result(item)
        return self._run(run)


class AreaQueryApi(AnjuModelRestApi):
    """物业管理区域综合查询 by REST: read-only, scoped, with the names beside the codes."""

    resource_name = "area_query"
    datamodel = ScopedInterface(PropertyArea)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["id", "name", "district_code", "street_code", "community_code", "property_type",
                                   "address", "boundaries", "land_area", "building_area", "building_count",
                                   "contract_filed", "developer_org_id", "company_org_id", "committee_org_id",
                                   "changed_on"]
    search_columns = ["name", "district_code", "street_code", "community_code", "property_type", "address",
                      "contract_filed", "developer_org_id", "company_org_id", "committee_org_id", "changed_on"]
    order_columns = ["id", "name", "changed_on"]
    base_order = ("changed_on", "desc")
    extra_response_properties = {
        "district_name": {"type": "string"}, "street_name": {"type": "string"},
        "community_name": {"type": "string"}, "property_type_label": {"type": "string"},
        "developer_name": {"type": "string"}, "company_name": {"type": "string"},
        "committee_name": {"type": "string"},
    }

    def _names(self, rows):
        """Region and organisation names of a page's rows: two queries for the whole page."""
        rows = [r for r in rows if r]
        codes = {r.get(k) for r in rows for k in ("district_code", "street_code", "community_code")} - {None}
        orgs = {r.get(k) for r in rows for k in ("developer_org_id", "company_org_id", "committee_org_id")} - {None}
        regions = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) \
            if codes else {}
        names = dict(db.session.execute(select(Organization.id, Organization.name)
                                        .where(Organization.id.in_(orgs))).all()) if orgs else {}
        for r in rows:
            for key in ("district", "street", "community"):
                r[f"{key}_name"] = regions.get(r.get(f"{key}_code"), "")
            for key in ("developer", "company", "committee"):
                r[f"{key}_name"] = names.get(r.get(f"{key}_org_id"), "")
            r["property_type_label"] = query.type_label(r.get("property_type"))

    def pre_get(self, data):
        super().pre_get(data)
        self._names([data.get("result")])

    def pre_get_list(self, data):
        super().pre_get_list(data)
        self._names(data.get("result") or [])


def register(appbuilder):
    appbuilder.add_api(AreaFilingApi)
    appbuilder.add_api(AreaQueryApi)
