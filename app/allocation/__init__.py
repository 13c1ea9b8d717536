"""Affordable rental housing allocation (SPEC §6; seed 002; issue 15), one sub-package per
piece of work:

* ``plans``          配租计划: plans, projects (小区), unit types (户型), eligibility rules and
                     priority groups; the plan's states and the window job;
* ``filings``        信息填报: an applicant's household details and 证件证明;
* ``registrations``  配租登记: register, cancel, human review of a refusal, staff review,
                     objections during the eligibility publicity, 配租记录;
* ``lottery``        摇号: the verifiable protocol (``protocol.py``, standard library only),
                     frozen pools, the draw, the published files;
* ``portal``         the public pages (no login): plans, projects, unit types, countdown,
                     number registered, announcements, lottery files, service contacts.

Each sub-package has the same rooms (models, services, views, api, jobs); labels of codes are
in ``labels.py``; permissions in app/security/roles_allocation.py. Time comes from
``clock.now()`` everywhere (tests move it).
"""
from flask_babel import lazy_gettext as _l

CATEGORY = "Allocation"
CATEGORY_LABEL = _l("Housing allocation")
CATEGORY_ICON = "fa-home"


def menu(appbuilder, view, name, label, icon):
    """Add ``view`` to the 保障房配租 menu group."""
    appbuilder.add_view(view, name, label=label, icon=icon, category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)


def register_views(appbuilder):
    from app.allocation import hooks
    from app.allocation.filings import views as filings
    from app.allocation.plans import views as plans
    from app.allocation.portal import views as portal
    from app.allocation.registrations import views as registrations
    from app.core.chrome import register_group_icon

    hooks.register()
    register_group_icon(CATEGORY, CATEGORY_ICON)
    plans.register(appbuilder)
    registrations.register(appbuilder)
    filings.register(appbuilder)
    portal.register(appbuilder)


def register_api(appbuilder):
    from app.allocation.filings import api as filings
    from app.allocation.plans import api as plans
    from app.allocation.registrations import api as registrations

    plans.register(appbuilder)
    registrations.register(appbuilder)
    filings.register(appbuilder)


def register_cli(app):
    from flask.cli import AppGroup

    from app.allocation.plans import jobs

    group = AppGroup("allocation", help="Affordable housing allocation (app/allocation).")
    group.add_command(jobs.windows_command)
    app.cli.add_command(group)
