"""房屋 (the house registry of an area; seed 004 开发建设单位 3 房屋信息补充).

Houses arrive by a 房屋信息补充 business application (app/property/houses/services.py): its rows
wait in the application until approval writes them here. The registry is what owners
committees (members must be owners) and surveys (respondents must be owners) check against,
by name and ID number.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db
from app.property.areas.models import org_area_ids


class House(db.Model):
    """One house (房屋) of an area: 楼栋, 单元, 房号, 楼层, 建筑面积 and its owner (产权人)."""

    __tablename__ = "anju_house"
    __audit__ = AuditSpec(
        _l("House"), row=lambda h: "-".join(x for x in (h.building, h.unit, h.room) if x) or None,
        labels={"area_id": _l("Property management area"), "building": _l("Building"), "unit": _l("Unit"),
                "room": _l("Room number"), "floor": _l("Floor"), "floor_area": _l("Building area (m²)"),
                "owner_name": _l("Owner's name"), "owner_id_number": _l("Owner's ID number"),
                "deposit_date": _l("Deposit date"), "application_id": _l("Business application"),
                "region_code": _l("Region"), "created_on": _l("Created on")},
        masks={"owner_name": "name", "owner_id_number": "id_number"},
    )
    # Scope through the area: its region, and the area's enterprises (company, developer, committee).
    __scope__ = {
        "region": "region_code", "owner": None, "area": "area_id",
        "org": lambda org_id: House.area_id.in_(org_area_ids(org_id)),
    }
    __table_args__ = (
        # One row per (area, building, unit, room): a second import of the same room is refused.
        UniqueConstraint("area_id", "building", "unit", "room", name="uq_anju_house_room"),
        # The owners check of a committee or a survey: (area, ID number) then the name.
        Index("ix_anju_house_owner", "area_id", "owner_id_number"),
        Index("ix_anju_house_region", "region_code", "id"),
    )

    id = Column(Integer, primary_key=True)
    area_id = Column(Integer, ForeignKey("anju_property_area.id"), nullable=False)
    building = Column(String(64), nullable=False)            # 楼栋
    unit = Column(String(32), nullable=False, default="")    # 单元 ("" when the building has none)
    room = Column(String(32), nullable=False)                # 房号
    floor = Column(Integer)                                  # 楼层
    floor_area = Column(Numeric(12, 2))                      # 建筑面积 (m²)
    owner_name = Column(String(64))                          # 产权人姓名
    owner_id_number = Column(String(32))                     # 证件号码
    deposit_date = Column(Date)                              # 交存时点 of the import
    region_code = Column(String(12), nullable=False)         # the area's, for the region scope
    application_id = Column(Integer, ForeignKey("anju_application.id"))  # the 房屋信息补充 that wrote it
    created_on = Column(DateTime, nullable=False, default=now)

    area = relationship("PropertyArea", foreign_keys=[area_id], backref="houses")

    def __repr__(self):
        return "-".join(x for x in (self.building, self.unit, self.room) if x)



class HouseStaged(db.Model):
    """A house row of a 房屋信息补充 application waiting for its decision (never in the JSON
    payload: an import may hold tens of thousands of rows). Approval copies the rows into
    :class:`House` with one INSERT ... SELECT and deletes them; a re-import replaces them."""

    __tablename__ = "anju_house_staged"
    __audit__ = AuditSpec(
        _l("House awaiting review"), row=lambda h: "-".join(x for x in (h.building, h.unit, h.room) if x) or None,
        labels={"application_id": _l("Business application"), "area_id": _l("Property management area"),
                "row_no": _l("Row number"), "building": _l("Building"), "unit": _l("Unit"),
                "room": _l("Room number"), "floor": _l("Floor"), "floor_area": _l("Building area (m²)"),
                "owner_name": _l("Owner's name"), "owner_id_number": _l("Owner's ID number")},
        masks={"owner_name": "name", "owner_id_number": "id_number"},
    )
    __table_args__ = (
        Index("ix_anju_house_staged_app", "application_id", "row_no"),
    )

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("anju_application.id", ondelete="CASCADE",
                                                name="fk_anju_house_staged_application"), nullable=False)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_house_staged_area"),
                     nullable=False)
    row_no = Column(Integer, nullable=False)                 # the row in the uploaded workbook
    building = Column(String(64), nullable=False)
    unit = Column(String(32), nullable=False, default="")
    room = Column(String(32), nullable=False)
    floor = Column(Integer)
    floor_area = Column(Numeric(12, 2))
    owner_name = Column(String(64))
    owner_id_number = Column(String(32))
