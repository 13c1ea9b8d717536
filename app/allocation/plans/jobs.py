"""The window job (``allocation.windows``, every minute; also ``flask allocation windows``):
opens and closes registration windows on time and ends result publicity
(services.sync_windows). Registration itself always checks the clock against the window, so
the job only moves the states people see."""
from datetime import datetime

import click
from flask import g, has_app_context
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job
from app.extensions import db

JOB_ID = "allocation.windows"


def run_windows(moment=None, session=None):
    from app.allocation.plans import services

    if has_app_context():
        g.audit_actor = "allocation-window-job"
    with force_locale("zh"):
        return services.sync_windows(moment=moment, session=session or db.session)


def windows():
    """The scheduled entry point (a short text for the run log)."""
    return " ".join(f"{k}={v}" for k, v in run_windows().items())


register_job(JOB_ID, "app.allocation.plans.jobs:windows",
             label=_l("Allocation: open and close registration windows, end result publicity"),
             trigger="interval", minutes=1)


@click.command("windows")
@with_appcontext
@click.option("--at", "at", default=None, metavar='"YYYY-MM-DDTHH:MM:SS"',
              help="Run as if it were this moment; default now.")
def windows_command(at):
    """Open and close registration windows and end result publicity (app/allocation/plans/jobs.py)."""
    moment = None
    if at:
        try:
            moment = datetime.fromisoformat(at.strip())
        except ValueError:
            raise click.BadParameter(f'{at!r}: use "YYYY-MM-DDTHH:MM:SS"', param_hint="--at")
    summary = run_windows(moment)
    click.echo(f"allocation windows at {moment or 'now'}:")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")
