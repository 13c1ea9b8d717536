"""FAB's user extended with the organisation binding and the security baseline columns."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship


class AnjuUser(User):
    """Every user is bound to an organisation; its region gives the data scope."""

    __tablename__ = "ab_user"
    __scope__ = {"org": "org_id", "region": "org.region_code", "owner": "id"}

    org_id = Column(Integer, ForeignKey("anju_org.id"), index=True)
    mobile = Column(String(20), index=True)
    locked_until = Column(DateTime)
    must_change_password = Column(Boolean, default=False, nullable=False, server_default="0")
    password_changed_at = Column(DateTime)
    # Raised whenever every session and token of the account must end (logout, password
    # change or reset, lock, deactivation): sessions and JWTs carry the epoch they began in.
    session_epoch = Column(Integer, default=0, nullable=False, server_default="0")

    org = relationship("Organization", lazy="joined", foreign_keys=[org_id])

    @property
    def org_name(self):
        return self.org.name if self.org else ""

    @property
    def role_names(self):
        return [r.name for r in self.roles]
