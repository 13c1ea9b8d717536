"""Demo data of the areas part (called by ``flask seed demo`` through app/cli.py _demo_areas):
the details of the demo areas (物业类型, 地址, 四至, 面积, 楼栋数, 开发建设单位) and one 物业区域备案
by dev_a (重庆渝开置业有限公司) for 渝开·山城名邸, approved by the reviewer, so that the
comprehensive query and its 查看流程图 show something. Idempotent: filled-in values are kept and
the filing is made once."""
from decimal import Decimal

from flask import g
from sqlalchemy import select

from app.core import documents, workflow
from app.extensions import db
from app.property.areas import filing
from app.property.areas.models import PropertyArea

DETAILS = {
    # name: (property type, address, boundaries, land m², building m², buildings, developer key)
    "和平小区": ("residential", "重庆市渝中区七星岗街道和平路18号", "东至和平路，南至中山一路，西至临江路，北至七星岗小学",
             "23500.00", "86200.00", 12, "dev_a"),
    "七星花园": ("residential", "重庆市渝中区七星岗街道七星路9号", None, None, None, None, None),
    "解放碑商住楼": ("mixed", "重庆市渝中区解放碑街道民族路101号", "东至民族路，南至五一路，西至邹容路，北至八一路",
               "6800.00", "54000.00", 2, "dev_a"),
}
NEW_AREA = {
    "mode": filing.MODE_NEW, "area_name": "渝开·山城名邸", "district_code": "500103", "street_code": "500103001",
    "property_type": "residential", "address": "重庆市渝中区七星岗街道山城路66号",
    "boundaries": "东至山城路，南至中兴路，西至金汤街，北至七星岗公园", "land_area": "31800.5",
    "building_area": "102300", "building_count": "15",
}


def _user(username):
    from app.security.models import AnjuUser

    return db.session.execute(select(AnjuUser).where(AnjuUser.username == username)).scalars().first()


def load_demo(orgs):
    count = 0
    for name, (ptype, address, bounds, land, building, buildings, dev) in DETAILS.items():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.name == name)).scalars().first()
        if area is None:
            continue
        area.property_type = area.property_type or ptype
        if address and (not area.address or area.address == f"重庆市渝中区{name}"):
            area.address = address
        area.boundaries = area.boundaries or bounds
        area.land_area = area.land_area if area.land_area is not None else (Decimal(land) if land else None)
        area.building_area = area.building_area if area.building_area is not None else (
            Decimal(building) if building else None)
        area.building_count = area.building_count or buildings
        if dev and area.developer_org_id is None:
            area.developer_org_id = orgs[dev].id
    db.session.commit()
    if db.session.execute(select(PropertyArea.id).where(PropertyArea.name == NEW_AREA["area_name"])).first():
        return count
    dev_a, reviewer = _user("dev_a"), _user("reviewer")
    if dev_a is None or reviewer is None:
        return count
    g.scope_user = dev_a
    try:
        doc = documents.Document(title="物业区域备案要件", subtitle=NEW_AREA["area_name"],
                                 sections=[documents.Text("建设工程规划许可证（演示）")])
        files = [("建设工程规划许可证.pdf", documents.render_pdf(doc))]
        application = filing.create(dev_a, NEW_AREA, files, submit=True)
        g.scope_user = reviewer
        workflow.transition(application, workflow.Action.ACCEPT, reviewer)
        workflow.transition(application, workflow.Action.APPROVE, reviewer)
        db.session.commit()
    finally:
        g.pop("scope_user", None)
    return count + 1
