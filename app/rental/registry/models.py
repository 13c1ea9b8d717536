"""产权登记 (property registry, SPEC §4): the properties a listing is verified against.

* :class:`RentalProperty` - one certificate (证件类型 + 产权证号, unique), where the property
  lies (district and street codes), its address, area and use, and the two encumbrance flags
  (查封, 抵押) that block a listing verification.
* :class:`PropertyOwner` - the owners named on the certificate, with their shares.

Imported by sysadmin / gov_admin from Excel (app/rental/registry/services.py); government
staff read it inside their region; enterprises never browse it (they verify listings).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class RentalProperty(db.Model):
    __tablename__ = "anju_rental_property"
    __audit__ = AuditSpec(
        _l("Registered property"), row="cert_no",
        labels={"cert_type": _l("Title document type"), "cert_no": _l("Title certificate number"),
                "region_code": _l("District"), "street_code": _l("Street"), "address": _l("Address"),
                "building_area": _l("Building area (m²)"), "use": _l("House use"), "sealed": _l("Sealed (查封)"),
                "mortgaged": _l("Mortgaged (抵押)"), "owners": _l("Owners"),
                "created_on": _l("Created at"), "changed_on": _l("Changed at"), "created_by_fk": _l("Created by")},
    )
    # Government rows by region (the property's district/street code); no organisation owns them.
    __scope__ = {"region": "region_code"}
    __table_args__ = (
        UniqueConstraint("cert_type", "cert_no", name="uq_anju_rental_property_cert"),
        Index("ix_anju_rental_property_region_id", "region_code", "id"),
    )

    id = Column(Integer, primary_key=True)
    cert_type = Column(String(32), nullable=False)          # dictionary property_cert_type
    cert_no = Column(String(64), nullable=False, index=True)
    region_code = Column(String(12), nullable=False)        # district (6 digits)
    street_code = Column(String(12), index=True)            # street (9 digits), may be empty
    address = Column(String(255), nullable=False)
    building_area = Column(Numeric(12, 2))
    use = Column(String(32))                                 # dictionary house_use
    sealed = Column(Boolean, nullable=False, default=False, server_default="0")
    mortgaged = Column(Boolean, nullable=False, default=False, server_default="0")
    created_on = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id"))

    owners = relationship("PropertyOwner", order_by="PropertyOwner.seq", back_populates="property_record",
                          cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self):
        return self.cert_no

    @property
    def blocked(self):
        return bool(self.sealed or self.mortgaged)


class PropertyOwner(db.Model):
    __tablename__ = "anju_rental_property_owner"
    __audit__ = AuditSpec(
        _l("Property owner"), row="name",
        labels={"property_id": _l("Registered property"), "seq": _l("No."), "name": _l("Owner name"),
                "id_type": _l("ID type"), "id_number": _l("ID number"), "share": _l("Share (%)")},
        masks={"name": "name", "id_number": "id_number"},
    )
    # Reached through the property: a function of the region prefix (app/core/scope.py).
    __scope__ = {"region": lambda prefix: _owner_region(prefix)}

    id = Column(Integer, primary_key=True)
    property_id = Column(Integer, ForeignKey("anju_rental_property.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False, default=1)
    name = Column(String(64), nullable=False)
    id_type = Column(String(32), nullable=False, default="resident_id")
    id_number = Column(String(32), nullable=False, index=True)
    share = Column(Numeric(5, 2))

    property_record = relationship("RentalProperty", back_populates="owners")

    def __repr__(self):
        from app.core import masking

        return masking.person_text(self.name)


def _owner_region(prefix):
    from sqlalchemy import select

    from app.core.scope import prefix_range

    return PropertyOwner.property_id.in_(
        select(RentalProperty.id).where(prefix_range(RentalProperty.region_code, prefix)))
