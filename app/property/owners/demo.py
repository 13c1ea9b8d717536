"""Demo houses and owners committee (idempotent): 和平小区 gets 3 buildings × 2 units × 10 rooms
with generated owners (ID numbers with correct check digits), and committee_a's approved
业委会备案 whose members are owners there, so the area shows 和平小区业主委员会."""
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from app.core.mixins import now
from app.extensions import db

AREA = "和平小区"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "秀英", "志强", "丽娟", "海涛", "春梅", "国庆", "晓燕", "文华", "玉兰", "德明", "桂芳")


def demo_id(n):
    """A resident ID number of 渝中区 with its check digit (born 1960-1999)."""
    from app.core.validators import id_check_char

    born = date(1960, 1, 1) + timedelta(days=(n * 379) % (40 * 365))
    first17 = f"500103{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def demo_houses():
    """Rows of 和平小区: (building, unit, room, floor, area, owner name, ID number)."""
    rows = []
    n = 0
    for b in range(1, 4):
        for u in range(1, 3):
            for i in range(10):
                floor, door = i // 2 + 1, i % 2 + 1
                n += 1
                name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
                rows.append((f"{b}栋", f"{u}单元", f"{floor}0{door}", floor, 80 + (n % 7) * 5, name, demo_id(n)))
    return rows


def load_demo():
    from app.property.models import House, PropertyArea

    area = db.session.execute(select(PropertyArea).where(PropertyArea.name == AREA)).scalars().first()
    if area is None:
        return 0
    count = 0
    if not db.session.execute(select(func.count()).select_from(House).where(House.area_id == area.id)).scalar():
        moment = now()
        db.session.execute(insert(House.__table__), [
            {"area_id": area.id, "building": b, "unit": u, "room": r, "floor": f, "floor_area": a, "owner_name": name,
             "owner_id_number": idn, "deposit_date": date(2020, 1, 1), "region_code": area.region_code,
             "created_on": moment} for b, u, r, f, a, name, idn in demo_houses()])
        count += 60
        db.session.commit()
    if area.committee_org_id is None:
        count += _demo_committee(area)
    return count


def _demo_committee(area):
    from flask import current_app

    from app.core import workflow
    from app.property.owners import services

    sm = current_app.appbuilder.sm
    committee, reviewer = sm.find_user(username="committee_a"), sm.find_user(username="reviewer")
    if committee is None or reviewer is None or committee.org is None:
        return 0
    houses = demo_houses()
    roles = ["director", "deputy", "member", "member", "alternate"]
    members = [{"name": h[5], "id_number": h[6], "role": role, "house": f"{h[0]}-{h[1]}-{h[2]}",
                "mobile": f"1390000{i:04d}"} for i, (h, role) in enumerate(zip(houses[::7], roles))]
    election = date.today() - timedelta(days=10)
    data = {"area_id": area.id, "election_date": election.isoformat(), "term_start": election.isoformat(),
            "term_end": (election + timedelta(days=5 * 365)).isoformat(), "office_address": "重庆市渝中区和平小区1栋架空层",
            "contact_phone": "023-63000000", "owners_total": 60, "total_area": "5100", "voters": 52,
            "voters_area": "4400", "agreed": 48, "agreed_area": "4080", "members": members}
    if services.open_filing(committee.org_id) is not None:
        return 0
    application, _results = services.save_filing(committee, data, submit=True)
    services.transition_filing(application, workflow.Action.ACCEPT, reviewer)
    services.transition_filing(application, workflow.Action.APPROVE, reviewer)
    return 1
