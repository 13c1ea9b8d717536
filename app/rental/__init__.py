"""Rental supervision (SPEC §4; seeds 000 and 001; issue 14), one sub-package per piece of work:

* ``registry``      产权登记: the property registry, its Excel import and lists;
* ``verification``  房源核验: verifications, the 租赁房源核验告知单, the public code check, and
                    platforms' REST verification with API keys (rate limit, idempotency);
* ``contracts``     合同网签: the signing wizard, signed contracts (view, print, 撤销), 合同范本;
* ``filing``        合同备案: filing applications on the workflow engine, 合同补录, the
                    overdue-filing job and its credit feed;
* ``agencies``      场所分布, 从业主体管理 and the rental statistics for government;
* ``public``        合同验证, 合同上传, 合同咨询, 交易评价 and 法律帮助 for the public;
* ``rights``        用户维权: complaints about rental enterprises through the complaints engine.

Each sub-package has the same rooms (models, services, views, api, jobs); labels for codes
are in ``labels.py``; permissions in app/security/roles_rental.py.
"""
from flask_babel import lazy_gettext as _l

CATEGORY = "Rental"
CATEGORY_LABEL = _l("Housing rental")
CATEGORY_ICON = "fa-key"


def menu(appbuilder, view, name, label, icon):
    """Add ``view`` to the 住房租赁 menu group."""
    appbuilder.add_view(view, name, label=label, icon=icon, category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)


def register_views(appbuilder):
    from app.core.chrome import register_group_icon
    from app.rental import hooks
    from app.rental.agencies import views as agencies
    from app.rental.contracts import views as contracts
    from app.rental.filing import views as filing
    from app.rental.public import views as public
    from app.rental.registry import views as registry
    from app.rental.rights import views as rights
    from app.rental.verification import views as verification

    hooks.register()
    register_group_icon(CATEGORY, CATEGORY_ICON)
    registry.register(appbuilder)
    verification.register(appbuilder)
    contracts.register(appbuilder)
    filing.register(appbuilder)
    agencies.register(appbuilder)
    public.register(appbuilder)
    rights.register(appbuilder)


def register_api(appbuilder):
    from app.rental.agencies import api as agencies
    from app.rental.contracts import api as contracts
    from app.rental.filing import api as filing
    from app.rental.public import api as public
    from app.rental.registry import api as registry
    from app.rental.verification import api as verification

    registry.register(appbuilder)
    verification.register(appbuilder)
    contracts.register(appbuilder)
    filing.register(appbuilder)
    agencies.register(appbuilder)
    public.register(appbuilder)
