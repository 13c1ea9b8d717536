"""The overdue service-contract filing job (``property.contract_overdue``, daily; also
``flask property contract-overdue --at YYYY-MM-DD``): filings past their due day still a draft
or returned, and filings submitted late, are flagged once each and proposed to the credit
module (contracts.flag_overdue)."""
from datetime import date

import click
from flask import g, has_app_context
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.core.jobs import register_job

JOB_ID = "property.contract_overdue"


def run_overdue(today=None):
    from app.property.filings import contracts

    if has_app_context():
        g.audit_actor = "property-contract-job"
    with force_locale("zh"):
        return contracts.flag_overdue(today=today)


def contract_overdue():
    """The scheduled entry point (no arguments, a short text for the run log)."""
    return " ".join(f"{k}={v}" for k, v in run_overdue().items())


register_job(JOB_ID, "app.property.filings.jobs:contract_overdue",
             label=_l("Property: flag service contracts not filed in time"), trigger="cron", hour=2, minute=17)


@click.command("contract-overdue")
@with_appcontext
@click.option("--at", "at", default=None, metavar="YYYY-MM-DD",
              help="Run as if it were this day (e.g. 16 days after a signing); default today.")
def contract_overdue_command(at):
    """Flag service contracts not filed within property.contract_filing_days days (app/property/filings/jobs.py)."""
    today = None
    if at:
        try:
            today = date.fromisoformat(at.strip()[:10])
        except ValueError:
            raise click.BadParameter(f"{at!r}: use YYYY-MM-DD", param_hint="--at")
    summary = run_overdue(today)
    click.echo(f"property contract filings overdue at {today or 'today'}:")
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")


def register_cli(app):
    """Add ``contract-overdue`` to the ``flask property`` group (made here when no other part made it)."""
    group = app.cli.commands.get("property")
    if group is None:
        group = AppGroup("property", help="Property management (app/property).")
        app.cli.add_command(group)
    if "contract-overdue" not in getattr(group, "commands", {}):
        group.add_command(contract_overdue_command)
