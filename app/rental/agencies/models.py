"""Supervision of the rental enterprises and brokerage agencies (seed 001 政务端):
场所分布 (their registered premises) and 从业主体管理 (their practitioners).

* :class:`AgencyPremises` - a registered business premises (门店) of an enterprise.
* :class:`Practitioner` - an agent (经纪人 / 经纪人协理) with a 信息卡 number, bound to a login
  account by ID number as property staff are (app/property staff binding).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class AgencyPremises(db.Model):
    __tablename__ = "anju_rental_premises"
    __audit__ = AuditSpec(
        _l("Business premises"), row="name",
        labels={"name": _l("Premises name"), "address": _l("Address"), "region_code": _l("District"),
                "street_code": _l("Street"), "phone": _l("Telephone"), "floor_area": _l("Floor area (m²)"),
                "status": _l("Status"), "org_id": _l("Enterprise"), "created_by_fk": _l("Created by"),
                "created_on": _l("Created at"), "changed_on": _l("Changed at")},
        values={"status": "app.rental.labels:PREMISES_STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "created_by_fk"}
    __table_args__ = (Index("ix_anju_rental_premises_region_status", "region_code", "status"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False)
    address = Column(String(255), nullable=False)
    region_code = Column(String(12), nullable=False)
    street_code = Column(String(12))
    phone = Column(String(32))
    floor_area = Column(Numeric(10, 2))
    status = Column(String(16), nullable=False, default="open")   # open | closed
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")

    def __repr__(self):
        return self.name


class Practitioner(db.Model):
    __tablename__ = "anju_rental_practitioner"
    __audit__ = AuditSpec(
        _l("Practitioner"), row="name",
        labels={"name": _l("Full name"), "id_type": _l("ID type"), "id_number": _l("ID number"),
                "mobile": _l("Mobile"), "post": _l("Post"), "info_card_no": _l("Information card number"),
                "card_valid_until": _l("Card valid until"), "premises_id": _l("Business premises"),
                "status": _l("Status"), "user_id": _l("Login account"), "org_id": _l("Enterprise"),
                "region_code": _l("District"), "created_by_fk": _l("Created by"), "created_on": _l("Created at"),
                "changed_on": _l("Changed at")},
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile"},
        values={"status": "app.rental.labels:PRACTITIONER_STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": "region_code", "owner": "user_id"}
    __table_args__ = (
        UniqueConstraint("org_id", "id_number", name="uq_anju_rental_practitioner_person"),
        Index("ix_anju_rental_practitioner_region_id", "region_code", "id"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    id_type = Column(String(32), nullable=False, default="resident_id")
    id_number = Column(String(32), nullable=False, index=True)
    mobile = Column(String(20))
    post = Column(String(32))                                   # dictionary practitioner_post
    info_card_no = Column(String(32), unique=True)              # 信息卡号
    card_valid_until = Column(Date)
    premises_id = Column(Integer, ForeignKey("anju_rental_premises.id"))
    status = Column(String(16), nullable=False, default="active")  # active | left
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False, index=True)
    region_code = Column(String(12))
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined")
    premises = relationship("AgencyPremises", foreign_keys=[premises_id])
    user = relationship("AnjuUser", foreign_keys=[user_id])

    def __repr__(self):
        from app.core import masking

        return masking.person_text(self.name)
