"""从业人员 and their certificates (seed 003 §17, seed 004 企业人员管理)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint, or_, select, union
from sqlalchemy.orm import backref, relationship

from app.core import masking
from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db
from app.property.areas.models import PropertyArea


class StaffStatus:
    ACTIVE = "active"      # 在职
    LEFT = "left"          # 离职
    ALL = (ACTIVE, LEFT)


staff_area = Table(
    "anju_staff_area", db.Model.metadata,
    Column("staff_id", Integer, ForeignKey("anju_staff.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", Integer, ForeignKey("anju_property_area.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_anju_staff_area_area", "area_id", "staff_id"),
)


def _staff_in_region(prefix):
    """Staff working in an area of the region, or employed by an enterprise registered there."""
    from app.core.scope import prefix_range

    in_areas = (select(staff_area.c.staff_id)
                .join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
                .where(prefix_range(PropertyArea.region_code, prefix)))
    from app.system.models import Organization

    of_orgs = (select(Staff.id).where(Staff.org_id.in_(
        select(Organization.id).where(prefix_range(Organization.region_code, prefix)))))
    return Staff.id.in_(union(in_areas, of_orgs))


#: The share of all areas a region must hold for its staff to be found by walking the list
#: (below it, the region's id set is small and cheap to build).
WALK_MIN_SHARE = 0.02


def _area_share(prefix):
    """The region's share of all property areas (kept per process, app/core/cache.py)."""
    from sqlalchemy import func

    from app.core.cache import cached
    from app.core.scope import prefix_range
    from app.extensions import db

    def load():
        total = db.session.execute(select(func.count()).select_from(PropertyArea)).scalar() or 0
        inside = db.session.execute(select(func.count()).select_from(PropertyArea).where(
            prefix_range(PropertyArea.region_code, prefix))).scalar() or 0
        return inside / total if total else 0.0

    return cached("area_share", prefix, (PropertyArea.__tablename__,), 300.0, load)


def _staff_in_region_row(prefix):
    """The same staff as :func:`_staff_in_region`, tested row by row (EXISTS and a short list of
    enterprises): a query that stops after a page or a capped count walks the staff in its
    order instead of building the region's id set. None (use the set) when the region holds
    too few areas: a walk would then read most of the table to find a page."""
    from app.core.scope import prefix_range
    from app.system.models import Organization

    if _area_share(prefix) < WALK_MIN_SHARE:
        return None

    in_area = (select(staff_area.c.staff_id)
               .join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
               .where(staff_area.c.staff_id == Staff.id, prefix_range(PropertyArea.region_code, prefix))
               .exists())
    of_org = Staff.org_id.in_(select(Organization.id).where(prefix_range(Organization.region_code, prefix)))
    return or_(of_org, in_area)


def _staff_in_areas(area_ids):
    """Staff working in the given areas (a project lead's team), the lead included."""
    return Staff.id.in_(select(staff_area.c.staff_id).where(staff_area.c.area_id.in_(area_ids)))


class Staff(TimestampMixin, db.Model):
    """从业人员: a person employed by an enterprise (seed 003 §17, seed 004 企业人员管理).

    ``current_key`` holds the ID number while the person is in service and NULL once they
    leave: the unique (org, current_key) pair allows one record in service per person and
    enterprise, and keeps every earlier (离职) record as history. ``user_id`` is the login
    account bound to the record by ID number (seed 003 §5, §18).
    """

    __tablename__ = "anju_staff"
    __audit__ = AuditSpec(
        _l("Staff member"), row="name",
        labels={"org_id": _l("Enterprise"), "name": _l("Name"), "mobile": _l("Contact phone"),
                "id_number": _l("Resident ID number"), "post": _l("Post"), "hired_on": _l("Hired on"),
                "status": _l("Status"), "left_on": _l("Date of leaving"), "left_reason": _l("Reason for leaving"),
                "current_key": _l("Current-staff key"), "user_id": _l("Account"), "remark": _l("Remark"),
                "areas": _l("Property management area"), "certificates": _l("Certificates")},
        masks={"name": "name", "mobile": "mobile", "id_number": "id_number", "username": "mobile"},
        values={"status": "app.property.staff.services:STATUS_LABELS"},
    )
    __scope__ = {"org": "org_id", "region": _staff_in_region, "region_walk": _staff_in_region_row,
                 "area": _staff_in_areas, "owner": None}
    __table_args__ = (
        UniqueConstraint("org_id", "current_key", name="uq_anju_staff_current"),
        Index("ix_anju_staff_org_id", "org_id", "id"),          # the enterprise's list, newest first
        Index("ix_anju_staff_org_status", "org_id", "status", "id"),
        Index("ix_anju_staff_org_name", "org_id", "name"),
        Index("ix_anju_staff_org_post", "org_id", "post"),
    )

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    name = Column(String(64), nullable=False, index=True)
    mobile = Column(String(20), nullable=False)
    id_number = Column(String(32), nullable=False, index=True)
    post = Column(String(32), nullable=False)
    hired_on = Column(Date)
    status = Column(String(16), nullable=False, default=StaffStatus.ACTIVE)
    left_on = Column(Date)
    left_reason = Column(String(255))
    current_key = Column(String(32))
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    remark = Column(String(255))

    org = relationship("Organization", foreign_keys=[org_id], lazy="joined", innerjoin=True)
    user = relationship("AnjuUser", foreign_keys=[user_id], lazy="joined")
    areas = relationship("PropertyArea", secondary=staff_area, lazy="selectin", order_by="PropertyArea.name",
                         backref=backref("staff", lazy="dynamic"))
    certificates = relationship("Certificate", back_populates="staff", cascade="all, delete-orphan",
                                order_by="Certificate.id", lazy="selectin")

    def __repr__(self):
        return masking.person_text(self.name)

    @property
    def area_names(self):
        # A list page gives its rows the names it read for them (StaffInterface.rows_by_ids).
        shown = self.__dict__.get("shown_area_names")
        if shown is not None:
            return "、".join(shown) or "-"
        return "、".join(a.name for a in self.areas) or "-"

    @property
    def username(self):
        return self.user.username if self.user is not None else ""


class Certificate(TimestampMixin, db.Model):
    """证书: type, number, issuer, validity and the scan (uploads engine, owner "certificate")."""

    __tablename__ = "anju_staff_certificate"
    __audit__ = AuditSpec(
        _l("Certificate"), row="number",
        labels={"staff_id": _l("Staff member"), "org_id": _l("Enterprise"), "cert_type": _l("Certificate type"),
                "number": _l("Certificate number"), "issuer": _l("Issuing authority"),
                "issued_on": _l("Issue date"), "valid_until": _l("Valid until")},
    )
    __scope__ = {
        "org": "org_id", "owner": None,
        "region": lambda prefix: Certificate.staff_id.in_(select(Staff.id).where(_staff_in_region(prefix))),
        "area": lambda ids: Certificate.staff_id.in_(select(Staff.id).where(_staff_in_areas(ids))),
    }
    __table_args__ = (Index("ix_anju_staff_certificate_valid", "org_id", "valid_until"),)

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("anju_staff.id", ondelete="CASCADE"), nullable=False, index=True)
    org_id = Column(Integer, ForeignKey("anju_org.id"), nullable=False)
    cert_type = Column(String(32), nullable=False)
    number = Column(String(64), nullable=False)
    issuer = Column(String(128))
    issued_on = Column(Date)
    valid_until = Column(Date)

    staff = relationship("Staff", back_populates="certificates")

    def __repr__(self):
        return self.number


