"""信息填报 (an applicant's filing, seed 002 §4): the household, income, housing and contact
details a registration is screened against, with the 证件证明 uploads (owner ``alloc_filing``).

One filing per applicant and plan; a new plan's filing starts as a copy of the applicant's
latest (seed 002 注: 自动带出已填写的内容以及上传的照片). It can be changed until the applicant
registers; a registration keeps a snapshot of the filing it was screened against.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import AuditSpec
from app.core.mixins import now
from app.extensions import db


class HukouType:
    LOCAL = "local"                    # 本市户籍
    PERMIT = "residence_permit"        # 持本市居住证
    OTHER = "other"                    # 外省市户籍 (无居住证)
    ALL = (LOCAL, PERMIT, OTHER)


class HousingStatus:
    NONE = "none"                      # 本市无自有住房
    OWNS = "owns"                      # 本市有自有住房
    ALL = (NONE, OWNS)


class MaritalStatus:
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"
    ALL = (SINGLE, MARRIED, DIVORCED, WIDOWED)


class Relation:
    SPOUSE = "spouse"                  # 配偶
    CHILD = "child"                    # 子女
    PARENT = "parent"                  # 父母
    OTHER = "other"                    # 其他共同生活家庭成员
    ALL = (SPOUSE, CHILD, PARENT, OTHER)


FILING_LABELS = {
    "plan_id": _l("Allocation plan"), "user_id": _l("Account"), "name": _l("Applicant name"),
    "id_type": _l("ID type"), "id_number": _l("ID number"), "birth_date": _l("Date of birth"), "mobile": _l("Contact mobile"),
    "address": _l("Mailing address"), "marital_status": _l("Marital status"), "hukou_type": _l("Household registration"),
    "hukou_district": _l("District of household registration or residence permit"), "employer": _l("Employer"),
    "social_security_months": _l("Months of social insurance paid in the city"),
    "annual_income": _l("Household annual income (yuan)"), "housing_status": _l("Housing situation"),
    "owned_area": _l("Area of homes owned in the city (㎡)"), "current_residence": _l("Current residence"),
    "submitted_at": _l("Submitted at"), "members": _l("Family members"),
}


class ApplicantFiling(db.Model):
    __tablename__ = "anju_alloc_filing"
    __audit__ = AuditSpec(
        _l("Applicant filing"), row="name", labels=FILING_LABELS,
        masks={"name": "name", "id_number": "id_number", "mobile": "mobile", "address": "generic"},
        values={"hukou_type": "app.allocation.labels:HUKOU_LABELS",
                "housing_status": "app.allocation.labels:HOUSING_LABELS",
                "marital_status": "app.allocation.labels:MARITAL_LABELS"},
    )
    __scope__ = {"region": "region_code", "owner": "user_id"}
    __table_args__ = (UniqueConstraint("user_id", "plan_id", name="uq_anju_alloc_filing_user_plan"),)

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("anju_alloc_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    region_code = Column(String(12), nullable=False, index=True)    # the plan's region (staff scope)
    name = Column(String(64), nullable=False)                       # from the real-name check
    id_type = Column(String(16), nullable=False)
    id_number = Column(String(32), nullable=False)
    birth_date = Column(Date)                                       # from the resident ID, or typed
    mobile = Column(String(20), nullable=False)
    address = Column(String(255), nullable=False)
    marital_status = Column(String(16), nullable=False)
    hukou_type = Column(String(24), nullable=False)
    hukou_district = Column(String(12), nullable=False)
    employer = Column(String(128))
    social_security_months = Column(Integer, nullable=False, default=0)
    annual_income = Column(Numeric(12, 2), nullable=False)
    housing_status = Column(String(16), nullable=False)
    owned_area = Column(Numeric(8, 2))
    current_residence = Column(String(255))
    submitted_at = Column(DateTime, default=now, nullable=False)
    changed_on = Column(DateTime, default=now, onupdate=now, nullable=False)

    members = relationship("FamilyMember", back_populates="filing", cascade="all, delete-orphan",
                           order_by="FamilyMember.id", lazy="selectin")
    plan = relationship("AllocationPlan")

    def __repr__(self):
        from app.core import masking

        return masking.person_text(self.name)

    @property
    def family_size(self):
        return 1 + len(self.members)


class FamilyMember(db.Model):
    """共同申请的家庭成员 (the applicant is not listed: the filing itself is theirs)."""

    __tablename__ = "anju_alloc_member"
    __audit__ = AuditSpec(
        _l("Family member"), row="name",
        labels={"filing_id": _l("Applicant filing"), "name": _l("Name"), "id_type": _l("ID type"),
                "id_number": _l("ID number"), "relation": _l("Relation to the applicant"),
                "birth_date": _l("Date of birth"), "employer": _l("Employer"),
                "annual_income": _l("Annual income (yuan)"), "user_id": _l("Applicant account")},
        masks={"name": "name", "id_number": "id_number"},
        values={"relation": "app.allocation.labels:RELATION_LABELS"},
    )
    __scope__ = {"owner": "user_id"}

    id = Column(Integer, primary_key=True)
    filing_id = Column(Integer, ForeignKey("anju_alloc_filing.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    name = Column(String(64), nullable=False)
    id_type = Column(String(16), nullable=False)
    id_number = Column(String(32), nullable=False)
    relation = Column(String(16), nullable=False)
    birth_date = Column(Date)
    employer = Column(String(128))
    annual_income = Column(Numeric(12, 2))

    filing = relationship("ApplicantFiling", back_populates="members")
