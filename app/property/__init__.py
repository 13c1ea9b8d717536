"""Property management (SPEC §7; seeds 003 and 004), one sub-package per piece of work:

* ``areas``       物业管理区域: the areas complaints route to, their regions, project leads and
                  更换项目负责人;
* ``staff``       企业人员管理: staff records, certificates, import, and the binding of a record to
                  its person's login;
* ``care``        设施设备管理, 巡检 and 维保: equipment, plans, records, due dates and the daily job;
* ``enterprise``  企业信息备案, 企业信息详情 and awards and penalties.

Each sub-package has the same rooms (models, services, views, api, jobs); ``models.py`` here
gathers every table; ``hooks.py`` is what the module registers with engines at start-up.
"""


def register_views(appbuilder):
    from app.property import hooks
    from app.property.areas import views as areas
    from app.property.care import views as care
    from app.property.enterprise import views as enterprise
    from app.property.staff import views as staff

    hooks.register()
    areas.register(appbuilder)
    staff.register(appbuilder)
    care.register(appbuilder)
    enterprise.register(appbuilder)


def register_api(appbuilder):
    from app.property.care import api as care
    from app.property.enterprise import api as enterprise
    from app.property.staff import api as staff

    staff.register(appbuilder)
    care.register(appbuilder)
    enterprise.register(appbuilder)
