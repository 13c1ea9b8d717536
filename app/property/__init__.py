"""Property management (SPEC §7; seeds 003 and 004), one sub-package per piece of work:

* ``areas``       物业管理区域: the areas complaints route to, their regions, project leads and
                  更换项目负责人;
* ``staff``       企业人员管理: staff records, certificates, import, and the binding of a record to
                  its person's login;
* ``care``        设施设备管理, 巡检 and 维保: equipment, plans, records, due dates and the daily job;
* ``enterprise``  企业信息备案, 企业信息详情 and awards and penalties;
* ``houses``      房屋: the house registry of an area, filled by 房屋信息补充.
* ``service``     物业服务: 报修 (repairs from the public page), 满意度调查 (surveys of owners) and
                  检查考评 (inspection evaluations), both feeding credit.
* ``houses``      房屋: the house registry of an area, filled by 房屋信息补充;
* ``honour``      诚信登记 / 企业良好行为申报: declaration, publicity with objections, 公告, credit bonus;
* ``news``        小区动态: news of an area, drafted, published on its public page, withdrawn.

``public.py`` holds the sections of an area's public page that parts register.

Each sub-package has the same rooms (models, services, views, api, jobs); ``models.py`` here
gathers every table; ``hooks.py`` is what the module registers with engines at start-up.
"""


from flask_babel import lazy_gettext as _l

# Menu groups of the module (the seeds' left menu): 物业管理 (areas, staff, enterprise),
# 物业区域业务办理 (the filings), 综合查询, 小区动态, 物业服务 (repairs, surveys, inspections).
MENUS = {
    "Property": (_l("Property management"), "fa-building"),
    "Property filings": (_l("Property filing business"), "fa-file-text-o"),
    "Comprehensive query": (_l("Comprehensive query"), "fa-search"),
    "Community news": (_l("Community news"), "fa-newspaper-o"),
    "Property services": (_l("Property services"), "fa-handshake-o"),
}


def menu(appbuilder, view, name, label, icon, category="Property filings"):
    """Add ``view`` to one of the module's menu groups (MENUS)."""
    category_label, category_icon = MENUS[category]
    appbuilder.add_view(view, name, label=label, icon=icon, category=category, category_label=category_label,
                        category_icon=category_icon)


def register_views(appbuilder):
    from app.property import hooks
    from app.property.areas import views as areas
    from app.property.care import views as care
    from app.property.enterprise import views as enterprise
    from app.property.filings import views as filings
    from app.property.service import views as service
    from app.property.houses import views as houses
    from app.property.owners import views as owners
    from app.property.honour import views as honour
    from app.property.news import views as news
    from app.property.staff import views as staff

    from app.core.chrome import register_group_icon

    hooks.register()
    for group, (_label, icon) in MENUS.items():
        register_group_icon(group, icon)
    areas.register(appbuilder)
    staff.register(appbuilder)
    care.register(appbuilder)
    enterprise.register(appbuilder)
    filings.register(appbuilder)
    service.register(appbuilder)
    houses.register(appbuilder)
    owners.register(appbuilder)
    honour.register(appbuilder)
    news.register(appbuilder)


def register_api(appbuilder):
    from app.property.areas import api as areas
    from app.property.care import api as care
    from app.property.enterprise import api as enterprise
    from app.property.filings import api as filings
    from app.property.service import api as service
    from app.property.houses import api as houses
    from app.property.owners import api as owners
    from app.property.honour import api as honour
    from app.property.news import api as news
    from app.property.staff import api as staff

    staff.register(appbuilder)
    care.register(appbuilder)
    enterprise.register(appbuilder)
    filings.register(appbuilder)
    service.register(appbuilder)
    houses.register(appbuilder)
    owners.register(appbuilder)
    honour.register(appbuilder)
    news.register(appbuilder)
    areas.register(appbuilder)
