"""REST resources of the accounts module, with the same rules as the pages:

* ``person``: registration (anonymous: picture code, SMS code, then register), staff
  activation, change of mobile; staff with the permission list persons (masked).
* ``organization_application``: organisation registration (anonymous, multipart), the
  applications themselves (scoped: reviewers their region, applicants their own) and
  their transitions (accept/approve/return/reject by reviewers; resubmit/terminate by
  the applicant).
* ``realname``: the caller's real-name state and the verification request.
* ``helpdesk``: account lookup by mobile, ID number, name or credit code; unlock; resend.
"""
import base64

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _

from app.accounts import helpdesk, services, sms_login
from app.accounts.models import Person
from app.core import captcha, sms, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import ScopedInterface
from app.core.rest import AnjuModelRestApi, json_object, ServiceCalls
from app.extensions import db


def _ip():
    return (request.remote_addr or "")[:45]


_json = json_object  # the body of a REST request as a JSON object (app/core/views.py)


class PersonApi(AnjuModelRestApi):
    resource_name = "person"
    datamodel = ScopedInterface(Person)
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = ["id", "name", "id_type", "id_number", "mobile", "org_id",
                                   "realname_status", "realname_reason", "realname_at", "activation",
                                   "created_on"]
    search_columns = ["name", "id_number", "mobile", "realname_status", "org_id"]
    order_columns = ["id", "created_on"]
    mask_columns = {"name": "name", "id_number": "id_number", "mobile": "mobile"}

    @expose("/captcha", methods=["GET"])
    @safe
    def captcha(self):
        """A picture code for the SMS request.
        ---
        get:
          summary: Issue a picture code (id and base64 PNG); required before an SMS code is sent
          responses:
            200:
              description: captcha_id and image
        """
        captcha_id, png = captcha.issue()
        db.session.commit()
        return self.response(200, captcha_id=captcha_id, image="data:image/png;base64," +
                             base64.b64encode(png).decode())

    @expose("/sms", methods=["POST"])
    @safe
    def sms_code(self):
        """Send an SMS code.
        ---
        post:
          summary: Send an SMS code (purpose register, activate or login) after a picture code
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    mobile: {type: string}
                    purpose: {type: string, enum: [register, activate, login]}
                    name: {type: string, description: checked when sent}
                    id_type: {type: string}
                    id_number: {type: string, description: checked (check digit) when sent}
                    credit_code: {type: string, description: checked when sent}
                    captcha_id: {type: string}
                    captcha: {type: string}
          responses:
            200: {description: sent}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            data = _json()
            purpose = data.get("purpose")
            if purpose not in (sms.SmsPurpose.REGISTER, sms.SmsPurpose.ACTIVATE, sms.SmsPurpose.LOGIN):
                raise DomainError(_("Unknown purpose of the code."))
            # The fields the submission will check, checked before a picture code or an SMS is
            # spent (as the web form's button does): name, ID number, credit code when sent.
            sms_login.check_code_request(purpose, data.get("mobile"), {
                k: data.get(k) for k in (*sms_login.CODE_REQUEST_CHECKS, "id_type") if k in data})
            captcha.check(data.get("captcha_id"), data.get("captcha"))
            if purpose == sms.SmsPurpose.LOGIN:
                sms_login.send_login_code(data.get("mobile"), ip=_ip())
            else:
                sms.send_code(services.clean_mobile(data.get("mobile")), purpose, ip=_ip())
            return {"message": _("The code has been sent.")}
        return self._run(run)

    @expose("/register", methods=["POST"])
    @safe
    def register(self):
        """Register a person.
        ---
        post:
          summary: Personal registration (name, id_type, id_number, mobile, sms_code, password, confirm)
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [name, id_type, id_number, mobile, sms_code, password, confirm]
                  properties:
                    name: {type: string}
                    id_type: {type: string, enum: [resident_id, hk_macao_pass, taiwan_pass, passport]}
                    id_number: {type: string}
                    mobile: {type: string}
                    sms_code: {type: string}
                    password: {type: string}
                    confirm: {type: string}
          responses:
            201: {description: registered; the account name is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            d = _json()
            user = services.register_person(d.get("name"), d.get("id_type"), d.get("id_number"), d.get("mobile"),
                                             d.get("sms_code"), d.get("password"), d.get("confirm"))
            return {"username": user.username, "id": user.id}
        return self._run(run, 201)

    @expose("/activate", methods=["POST"])
    @safe
    def activate(self):
        """Activate a staff account that an enterprise opened.
        ---
        post:
          summary: Staff activation (name, id_number, mobile, sms_code, password, confirm)
          responses:
            200: {description: activated}
            422: {description: refused, with what does not match the staff record}
        """
        def run():
            d = _json()
            user = services.activate_staff_account(d.get("name"), d.get("id_number"), d.get("mobile"),
                                                   d.get("sms_code"), d.get("password"), d.get("confirm"))
            return {"username": user.username}
        return self._run(run)


class OrganizationApplicationApi(AnjuModelRestApi):
    resource_name = "organization_application"
    datamodel = ScopedInterface(workflow.Application)
    base_filters = [["app_type", FilterEqual, services.ORG_REGISTRATION]]
    base_permissions = ["can_get", "can_info", "can_transition"]
    method_permission_name = {"transition": "transition", "get_list": "get", "get": "get", "info": "info"}
    list_columns = show_columns = ["id", "number", "title", "status", "org_id", "region_code", "reason",
                                   "submitted_at", "decided_at"]
    search_columns = ["number", "status", "region_code", "submitted_at"]
    order_columns = ["id", "submitted_at"]

    @expose("/register", methods=["POST"])
    @safe
    def register(self):
        """Register an organisation (multipart form with files).
        ---
        post:
          summary: Organisation registration; the application waits for a reviewer
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    city_code: {type: string}
                    district_code: {type: string}
                    enterprise_type: {type: string}
                    credit_code: {type: string}
                    name: {type: string}
                    legal_rep: {type: string}
                    mobile: {type: string}
                    sms_code: {type: string}
                    password: {type: string}
                    confirm: {type: string}
                    agreed: {type: boolean}
                    files: {type: array, items: {type: string, format: binary}}
          responses:
            201: {description: submitted; the application number is returned}
            422: {description: refused, with the reason in Chinese}
        """
        def run():
            data = dict(request.form.items())
            data["agreed"] = str(data.get("agreed", "")).lower() in ("1", "true", "yes", "on")
            files = [f for f in request.files.getlist("files") if f and f.filename]
            application = services.register_org(data, files, ip=_ip())
            return {"id": application.id, "number": application.number, "status": application.status}
        return self._run(run, 201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Move an application.
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
            workflow.transition(item, d.get("action", ""), current_user_obj(), d.get("reason"))
            db.session.commit()
            return {"id": item.id, "number": item.number, "status": item.status,
                    "status_label": item.status_label}
        return self._run(run)


class RealnameApi(ServiceCalls, BaseApi):
    resource_name = "realname"
    base_permissions = ["can_get", "can_post"]
    method_permission_name = {"status": "get", "submit": "post"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def status(self):
        """The caller's real-name state.
        ---
        get:
          summary: Real-name state of the signed-in person (未实名 / 已实名 / 未通过 with the reason)
          responses:
            200: {description: state}
        """
        person = services.person_of(current_user_obj())
        if person is None:
            return self.response_404()
        return self.response(200, status=person.realname_status, label=person.realname_label,
                             reason=person.realname_reason)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def submit(self):
        """Verify the caller's real name.
        ---
        post:
          summary: Submit name and ID number to the verification adapter
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string}
                    id_type: {type: string}
                    id_number: {type: string}
          responses:
            200: {description: the result; status verified or failed with the reason}
            422: {description: refused before verification, with the reason in Chinese}
        """
        def run():
            d = _json()
            person = services.submit_realname(current_user_obj(), d.get("name"), d.get("id_type") or "resident_id",
                                              d.get("id_number"))
            return {"status": person.realname_status, "label": person.realname_label,
                    "reason": person.realname_reason}
        return self._run(run)


class HelpdeskApi(ServiceCalls, BaseApi):
    resource_name = "helpdesk"
    base_permissions = ["can_lookup", "can_unlock", "can_resend"]
    method_permission_name = {"lookup": "lookup", "unlock": "unlock", "resend": "resend"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def lookup(self):
        """Look up accounts.
        ---
        get:
          summary: Accounts by mobile, ID number, name or credit code (masked), with real-name, review and lock states
          parameters:
          - in: query
            name: q
            schema: {type: string}
          responses:
            200: {description: matching accounts}
            422: {description: no or bad search text}
        """
        def run():
            kind, rows = helpdesk.helpdesk_lookup(current_user_obj(), request.args.get("q", ""))
            return {"kind": kind, "count": len(rows), "result": rows}
        return self._run(run)

    @expose("/<int:user_id>/unlock", methods=["POST"])
    @protect()
    @safe
    def unlock(self, user_id):
        """Unlock an account.
        ---
        post:
          summary: Unlock an account locked after failed logins
          responses:
            200: {description: unlocked}
            422: {description: not locked or unknown}
        """
        return self._run(lambda: {"id": helpdesk.helpdesk_unlock(current_user_obj(), user_id).id})

    @expose("/<int:user_id>/resend", methods=["POST"])
    @protect()
    @safe
    def resend(self, user_id):
        """Resend the verification SMS.
        ---
        post:
          summary: Send the account's mobile a fresh code (activation or login)
          responses:
            200: {description: sent}
            422: {description: refused (cooldown, caps, no mobile)}
        """
        return self._run(lambda: {"purpose": helpdesk.helpdesk_resend(current_user_obj(), user_id, ip=_ip())})


def register(appbuilder):
    for api in (PersonApi, OrganizationApplicationApi, RealnameApi, HelpdeskApi):
        appbuilder.add_api(api)
