"""The overdue-filing job (``rental.filing_overdue``, daily; also ``flask rental overdue``):
contracts signed more than ``rental.filing_due_days`` days ago (商品房屋租赁管理办法 §14: 30)
and still neither filed nor under review are flagged once, their enterprise gets one notice
per run, and each one is proposed to the credit module (services.report_overdue_filing)."""
from datetime import datetime

import click
from flask import g, has_app_context
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job
from app.extensions import db
from app.rental.filing import services

JOB_ID = "rental.filing_overdue"


def run_overdue(moment=None, session=None):
    session = session or db.session
    if has_app_context():
        g.audit_actor = "rental-filing-job"
    with force_locale("zh"):
        return services.flag_overdue(moment=moment, session=session)


def overdue():
    """The scheduled entry point (no arguments, a short text for the run log)."""
    return " ".join(f"{k}={v}" for k, v in run_overdue().items())


register_job(JOB_ID, "app.rental.filing.jobs:overdue", label=_l("Rental: flag contracts not filed in time"),
             trigger="cron", hour=2, minute=7)


# --- CLI: flask rental overdue [--at ...] ---------------------------------------------------------

@click.command("overdue")
@with_appcontext
@click.option("--at", "at", default=None, metavar='"YYYY-MM-DDTHH:MM"',
              help="Run as if it were this moment (e.g. 31 days after a signing); default now.")
def overdue_command(at):
    """Flag contracts not filed within rental.filing_due_days days of signing (app/rental/filing/jobs.py)."""
    moment = None
    if at:
        try:
            moment = datetime.fromisoformat(at.strip())
        except ValueError:
            raise click.BadParameter(f'{at!r}: use "YYYY-MM-DDTHH:MM"', param_hint="--at")
    summary = run_overdue(moment)
    click.echo(f"rental overdue filings at {moment or 'now'}:")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")


def register_cli(app):
    """Add ``overdue`` to the ``flask rental`` group (made here when no other part made it)."""
    group = app.cli.commands.get("rental")
    if group is None:
        group = AppGroup("rental", help="Rental supervision (app/rental).")
        app.cli.add_command(group)
    if "overdue" not in getattr(group, "commands", {}):
        group.add_command(overdue_command)
