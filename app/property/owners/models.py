"""业主委员会 members (seed 004 业主委员会 2 业委会备案): written when a committee filing is approved."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class CommitteeRole:
    DIRECTOR = "director"          # 主任
    DEPUTY = "deputy"              # 副主任
    MEMBER = "member"              # 委员
    ALTERNATE = "alternate"        # 候补委员
    ALL = (DIRECTOR, DEPUTY, MEMBER, ALTERNATE)


ROLE_LABELS = {
    CommitteeRole.DIRECTOR: _l("Director"),
    CommitteeRole.DEPUTY: _l("Deputy director"),
    CommitteeRole.MEMBER: _l("Committee member"),
    CommitteeRole.ALTERNATE: _l("Alternate member"),
}


class CommitteeMember(db.Model):
    """One member (or alternate) of an owners committee for its term, from an approved filing.

    ``current`` is true for the members of the area's latest approved filing; an approval
    of a newer filing for the same area ends the previous ones (kept as history)."""

    __tablename__ = "anju_committee_member"
    __audit__ = AuditSpec(
        _l("Owners committee member"), row="name",
        labels={"committee_org_id": _l("Owners committee"), "area_id": _l("Property management area"),
                "name": _l("Name"), "id_number": _l("ID number"), "role": _l("Position"),
                "house": _l("Room number"), "mobile": _l("Contact phone"), "term_start": _l("Term starts"),
                "term_end": _l("Term ends"), "application_id": _l("Business application"),
                "region_code": _l("Region"), "current": _l("Current member"), "created_on": _l("Created on")},
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
        values={"role": "app.property.owners.models:ROLE_LABELS"},
    )
    __scope__ = {"org": "committee_org_id", "region": "region_code", "area": "area_id", "owner": None}
    __table_args__ = (
        Index("ix_anju_committee_member_area", "area_id", "current"),
    )

    id = Column(Integer, primary_key=True)
    committee_org_id = Column(Integer, ForeignKey("anju_org.id", name="fk_anju_committee_member_org"),
                              nullable=False, index=True)
    area_id = Column(Integer, ForeignKey("anju_property_area.id", name="fk_anju_committee_member_area"),
                     nullable=False)
    name = Column(String(64), nullable=False)
    id_number = Column(String(32), nullable=False)
    role = Column(String(16), nullable=False)
    house = Column(String(128))                 # 房号: building-unit-room
    mobile = Column(String(20))
    term_start = Column(Date)
    term_end = Column(Date)
    application_id = Column(Integer, ForeignKey("anju_application.id", name="fk_anju_committee_member_application"),
                            index=True)
    region_code = Column(String(12), nullable=False, index=True)
    current = Column(Boolean, nullable=False, default=True, server_default="0")
    created_on = Column(DateTime, nullable=False, default=now)

    def __repr__(self):
        return self.name
