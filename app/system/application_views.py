"""业务单: every business application in one list (scoped), its detail with the history,
files and the decisions the current user may take. Rules live in app/core/workflow.py
and the owning module's services."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import documents, uploads, workflow
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.core.workflow import Application
from app.extensions import db
from app.system.models import region_full_name


class FilterWaiting(BaseFilter):
    """待审核: applications waiting for a decision (已提交 or 已受理; the home page's 待办 links
    with the value y). Chosen in the search form, any value of the status select means it."""

    name = _l("Pending review")
    arg_name = "app_waiting"

    def apply(self, query, value):
        if value:
            return query.filter(Application.status.in_(workflow.AppStatus.OPEN))
        return query


class ApplicationView(AnjuModelView):
    datamodel = ScopedInterface(Application)
    route_base = "/applications"
    list_title = _l("Business applications")
    show_title = _l("Application details")
    show_template = "anju/application_show.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_decide"]
    method_permission_name = {"decide": "decide", "print_form": "show", "pdf": "show"}
    label_columns = {
        "number": _l("Application number"), "app_type": _l("Business type"), "title": _l("Title"),
        "status": _l("Status"), "applicant": _l("Applicant"), "applicant_name": _l("Applicant"),
        "org": _l("Organization"), "region_code": _l("Region code"), "submitted_at": _l("Submitted at"),
        "decided_at": _l("Decided at"), "reason": _l("Reason"), "created_on": _l("Created at"),
    }
    list_columns = ["number", "app_type", "title", "status", "submitted_at", "decided_at", "reason"]
    search_columns = ["number", "app_type", "title", "status", "submitted_at", "region_code"]
    search_filters = {"app_type": [FilterEqual], "status": [FilterEqual, FilterWaiting]}
    search_form_extra_fields = {
        "app_type": SelectField(_l("Business type"), choices=lambda: [("", _l("All"))] + [
            (t.code, t.label) for t in workflow.all_types()]),
        "status": SelectField(_l("Status"), choices=[("", _l("All"))] + list(workflow.STATUS_LABELS.items())),
    }
    show_columns = ["number", "app_type", "title", "status", "applicant_name", "org", "region_code",
                    "submitted_at", "decided_at", "reason"]
    formatters_columns = {
        "status": lambda v: str(workflow.status_label(v)),
        "app_type": lambda v: str(workflow.type_label(v)),
    }
    base_order = ("id", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = current_user_obj()
        app_type = workflow._TYPES.get(item.app_type)
        edit_url = None
        if app_type and app_type.edit_url and item.status == workflow.AppStatus.RETURNED \
                and item.applicant_id == user.id:
            edit_url = app_type.edit_url(item)
        actions = [a for a in workflow.allowed_actions(item, user)
                   if not (a == workflow.Action.RESUBMIT and edit_url)]
        files = uploads.files_of(item)
        return self.render_template(
            self.show_template, item=item, events=item.events, files=files, actions=actions,
            action_label=workflow.action_label, need_reason=workflow.Action.NEED_REASON,
            edit_url=edit_url, payload_labels=payload_labels_of(item), title=self.show_title,
            mask_kind_of=payload_mask_of(item), subject_url=_extra(item, "subject_url"),
            subject_label=_extra(item, "subject_label", raw=True),
            url_for_upload=uploads.url_for_upload, region_name=region_full_name,
            warnings=workflow.warnings_for(item, viewer=user),
        )

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        """The application form (申请表) as a print page, from the same declaration as the PDF."""
        from app.core import documents

        item = self._item_or_404(pk)
        return documents.print_response(documents.application_document(
            item, payload_labels=payload_labels_of(item), payload_masks=_extra(item, "payload_masks", raw=True)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        from app.core import documents

        item = self._item_or_404(pk)
        doc = documents.application_document(item, payload_labels=payload_labels_of(item),
                                             payload_masks=_extra(item, "payload_masks", raw=True))
        return documents.pdf_response(doc, f"{item.number}.pdf")

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._item_or_404(pk)
        action = request.form.get("action", "")
        try:
            workflow.transition(item, action, current_user_obj(), request.form.get("reason"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Done: %(action)s.", action=workflow.action_label(action)), "success")
            otp = g.pop("one_time_password", None)
            if otp:
                flash(_("Administrator account %(user)s, one-time password %(pw)s (also sent by SMS; "
                        "it must be changed at first login).", user=otp[0], pw=otp[1]), "warning")
        return redirect(url_for("ApplicationView.show", pk=pk))


def _extra(application, key, raw=False):
    """What the application's type declared in ``extra`` (workflow.ApplicationType): labels
    and masks of its payload keys, a link to its subject. A callable is called with the
    application unless ``raw``."""
    app_type = workflow._TYPES.get(application.app_type)
    value = (app_type.extra or {}).get(key) if app_type is not None else None
    if callable(value) and not raw:
        try:
            return value(application)
        except Exception:  # a broken link must not break the page
            import logging

            logging.getLogger(__name__).exception("subject link of %s failed", application.number)
            return None
    return value


def payload_labels_of(application):
    """The labels of the payload keys shown: the shared ones, then the type's own."""
    return workflow.payload_labels(application)


def payload_mask_of(application):
    """key -> mask kind: the type's own declaration first, else by the key's name."""
    own = _extra(application, "payload_masks", raw=True) or {}
    return lambda key: own.get(key) or documents.mask_kind_of(key)


def register(appbuilder):
    # Files attached to an application: its applicant and the reviewers who see it.
    uploads.register_owner("application", Application, ("can_show", "ApplicationView"))
    appbuilder.add_view(ApplicationView(), "Business applications", label=_l("Business applications"),
                        category="Accounts", category_label=_l("Accounts"), icon="fa-file-text")
