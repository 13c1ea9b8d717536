"""定时任务: sysadmin lists jobs with their next run and last result, pauses, resumes,
runs now, and reads the run log. Rules live in app/core/jobs.py."""
from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import jobs
from app.core.errors import DomainError
from app.core.views import AnjuModelView, ScopedInterface


def _status(value):
    return str(jobs.STATUS_LABELS.get(value, value or ""))


def _code(value):
    """A job's code: a stable identifier, shown small beside its Chinese name."""
    from markupsafe import Markup

    return Markup('<small class="text-muted anju-code">{}</small>').format(value or "")


class JobView(AnjuModelView):
    datamodel = ScopedInterface(jobs.Job)
    route_base = "/jobs"
    list_title = _l("Scheduled jobs")
    show_title = _l("Scheduled job")
    base_permissions = ["can_list", "can_show", "can_pause", "can_resume", "can_run"]
    label_columns = {"id": _l("Job code"), "label": _l("Job"), "trigger_text": _l("Schedule"),
                     "paused": _l("Paused"), "next_run_at": _l("Next run"), "last_run_at": _l("Last run"),
                     "last_status": _l("Last result"), "failures": _l("Failures in a row"),
                     "func": _l("Function"), "max_retries": _l("Retries"), "retry_seconds": _l("Retry after (seconds)")}
    list_columns = ["id", "label", "trigger_text", "paused", "next_run_at", "last_run_at", "last_status", "failures"]
    show_columns = list_columns + ["func", "max_retries", "retry_seconds"]
    search_columns = ["id", "label", "paused", "last_status"]
    formatters_columns = {"last_status": _status, "id": _code, "func": _code}
    base_order = ("id", "asc")

    @action("pause", _l("Pause"), _l("Pause the selected jobs?"), "fa-pause", multiple=True)
    def pause(self, items):
        for item in items if isinstance(items, list) else [items]:
            jobs.set_paused(item.id, True)
        flash(_("Paused."), "success")
        return redirect(self.get_redirect())

    @action("resume", _l("Resume"), _l("Resume the selected jobs?"), "fa-play", multiple=True)
    def resume(self, items):
        for item in items if isinstance(items, list) else [items]:
            jobs.set_paused(item.id, False)
        flash(_("Resumed."), "success")
        return redirect(self.get_redirect())

    @action("run", _l("Run now"), _l("Run the selected jobs now?"), "fa-bolt", multiple=True)
    def run(self, items):
        for item in items if isinstance(items, list) else [items]:
            try:
                run = jobs.run_now(item.id)
            except DomainError as exc:
                flash(str(exc), "danger")
                continue
            if run.status == jobs.JobStatus.SUCCESS:
                flash(_("%(job)s ran: %(result)s", job=item.label, result=run.result or "-"), "success")
            else:
                flash(_("%(job)s failed; see the run log.", job=item.label), "danger")
        return redirect(self.get_redirect())


def _job_name(code):
    """A run's job by its Chinese name (the code small beside it)."""
    from markupsafe import Markup

    spec = jobs.registered().get(code) if code else None
    label = getattr(spec, "label", None)
    if not label:
        return _code(code)
    return Markup("{} ").format(label) + _code(code)


class JobRunView(AnjuModelView):
    datamodel = ScopedInterface(jobs.JobRun)
    route_base = "/jobruns"
    list_title = _l("Job run log")
    show_title = _l("Job run")
    base_permissions = ["can_list", "can_show", "can_export"]
    label_columns = {"job_id": _l("Job code"), "scheduled_for": _l("Scheduled for"), "started_at": _l("Started at"),
                     "finished_at": _l("Finished at"), "status": _l("Result"), "manual": _l("Run by hand"),
                     "attempt": _l("Attempt"), "worker": _l("Process"), "result": _l("Output"), "error": _l("Error")}
    list_columns = ["job_id", "scheduled_for", "started_at", "finished_at", "status", "manual", "attempt", "worker"]
    show_columns = list_columns + ["result", "error"]
    search_columns = ["job_id", "status", "started_at", "manual"]
    formatters_columns = {"status": _status, "job_id": _job_name}
    base_order = ("id", "desc")


def register(appbuilder):
    appbuilder.add_view(JobView(), "Scheduled jobs", label=_l("Scheduled jobs"), category="System",
                        icon="fa-clock-o")
    appbuilder.add_view(JobRunView(), "Job run log", label=_l("Job run log"), category="System",
                        icon="fa-history")
