"""Regions, the organisation tree, dictionaries and runtime parameters."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import TimestampMixin
from app.extensions import db


class RegionLevel:
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    ALL = (CITY, DISTRICT, STREET, COMMUNITY)


class Region(db.Model):
    """A GB/T 2260 administrative division (streets and communities: statistical codes)."""

    __tablename__ = "anju_region"
    __audit__ = AuditSpec(_l("Region"), row="name",
                          labels={"code": _l("Region code"), "name": _l("Region name"), "level": _l("Level"),
                                  "parent_code": _l("Parent code")})
    code = Column(String(12), primary_key=True)
    name = Column(String(64), nullable=False)
    level = Column(String(16), nullable=False, index=True)
    parent_code = Column(String(12), ForeignKey("anju_region.code"), index=True)
    parent = relationship("Region", remote_side=[code], lazy="joined", join_depth=1)

    def __repr__(self):
        return self.name

    @property
    def full_name(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent if node.parent_code else None
        return "".join(reversed(names))


def region_full_name(code):
    """'500103' -> '重庆市渝中区'; an unknown code is returned as it is."""
    region = db.session.get(Region, code) if code else None
    return region.full_name if region is not None else (code or "")


def region_prefix(code):
    """The prefix that every code inside ``code`` starts with.

    110000 (Beijing) -> '11', 510100 (Chengdu) -> '5101', 500103 -> '500103',
    110101001 (a street) -> '110101001'. Only 6-digit codes carry trailing zero pairs.
    """
    if not code:
        return None
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


class OrgType:
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    ENTERPRISE = "enterprise"
    OWNERS_COMMITTEE = "owners_committee"
    GOVERNMENT = (CITY, DISTRICT, STREET, COMMUNITY)


class Organization(TimestampMixin, db.Model):
    """A node of the organisation tree (SPEC §1).

    Government: city -> district -> street -> community. Enterprises and owners
    committees hang off the district they are registered in. ``path`` is the
    materialised path of ids ('/1/4/9/') so a subtree is one indexed range query.
    """

    __tablename__ = "anju_org"
    __audit__ = AuditSpec(
        _l("Organization"), row="name",
        labels={"name": _l("Organization name"), "org_type": _l("Organization type"),
                "enterprise_type": _l("Enterprise type"), "credit_code": _l("Unified social credit code"),
                "region_code": _l("Region code"), "parent_id": _l("Parent organization"), "path": _l("Path"),
                "legal_rep": _l("Legal representative"), "contact_name": _l("Contact person"),
                "contact_mobile": _l("Contact mobile"), "address": _l("Address"), "active": _l("Active"),
                "review_status": _l("Review status"), "review_reason": _l("Review reason")},
        masks={"legal_rep": "name", "contact_name": "name", "contact_mobile": "mobile"},
    )
    # An organisation is its own owner: enterprise scope compares ids.
    __scope__ = {"org": "id", "region": "region_code", "owner": None}
    # The legal representative and the contact are people.

    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False)
    org_type = Column(String(32), nullable=False, index=True)
    enterprise_type = Column(String(32), index=True)
    credit_code = Column(String(18), unique=True)
    region_code = Column(String(12), ForeignKey("anju_region.code"), nullable=False, index=True)
    parent_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    path = Column(String(255), index=True)
    legal_rep = Column(String(64))
    contact_name = Column(String(64))
    contact_mobile = Column(String(20))
    address = Column(String(255))
    active = Column(Boolean, default=True, nullable=False)
    # Self-registered enterprises wait for a reviewer (seed 003 §2, §4); others are approved.
    review_status = Column(String(16), nullable=False, default="approved", server_default="approved",
                           index=True)
    review_reason = Column(String(500))

    parent = relationship("Organization", remote_side=[id], lazy="joined", join_depth=1)
    region = relationship("Region", lazy="joined")

    def __repr__(self):
        return self.name


class DictType(db.Model):
    __tablename__ = "anju_dict_type"
    __audit__ = AuditSpec(_l("Dictionary"), row="name",
                          labels={"code": _l("Code"), "name": _l("Dictionary"), "name_en": _l("Name (English)")})
    code = Column(String(32), primary_key=True)
    name = Column(String(64), nullable=False)
    name_en = Column(String(64))

    def __repr__(self):
        return self.name


class DictItem(db.Model):
    """One entry of a dictionary (证件类型, 企业类型 ...): stable code, editable labels."""

    __tablename__ = "anju_dict_item"
    __audit__ = AuditSpec(_l("Dictionary item"), row="label",
                          labels={"dict_type": _l("Dictionary"), "code": _l("Code"), "label": _l("Label (Chinese)"),
                                  "label_en": _l("Label (English)"), "sort": _l("Sort order"), "active": _l("Active")})
    __table_args__ = (UniqueConstraint("dict_type", "code", name="uq_dict_item_type_code"),)
    id = Column(Integer, primary_key=True)
    dict_type = Column(String(32), ForeignKey("anju_dict_type.code"), nullable=False, index=True)
    code = Column(String(32), nullable=False)
    label = Column(String(64), nullable=False)
    label_en = Column(String(64))
    sort = Column(Integer, default=0, nullable=False)
    active = Column(Boolean, default=True, nullable=False)
    type = relationship("DictType", lazy="joined")

    def __repr__(self):
        return self.label


class Parameter(TimestampMixin, db.Model):
    """A typed runtime parameter (系统参数) that sysadmin edits; declared in system.params."""

    __tablename__ = "anju_param"
    __audit__ = AuditSpec(_l("System parameter"), row=lambda p: _param_label(p),
                          labels={"key": _l("Parameter"), "value": _l("Value"), "value_type": _l("Type"),
                                  "group": _l("Group"), "description": _l("Description")})
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)
    value = Column(Text, nullable=False)
    value_type = Column(String(16), nullable=False)
    group = Column(String(32), nullable=False, default="system")
    description = Column(String(255))

    def __repr__(self):
        return self.key


Index("ix_anju_org_type_region", Organization.org_type, Organization.region_code)


def _param_label(param):
    """A parameter as it reads: its description, not its key."""
    from app.system.params import PARAMS

    spec = PARAMS.get(param.key)
    return str(spec.label) if spec is not None else (param.description or param.key)
