"""Property area rules."""
from flask_babel import gettext as _

from app.core.errors import DomainError


def check_area(area):
    """The street lies in the district, the community in the street; fill ``region_code``."""
    if not (area.name or "").strip():
        raise DomainError(_("%(field)s: %(message)s", field=_("Property management area name"),
                            message=_("is required")))
    area.name = area.name.strip()
    district = area.district_code or getattr(area.district, "code", None)
    street = area.street_code or getattr(area.street, "code", None)
    community = area.community_code or getattr(area.community, "code", None)
    if not district:
        raise DomainError(_("%(field)s: %(message)s", field=_("Administrative division"), message=_("is required")))
    if street and not street.startswith(district):
        raise DomainError(_("The street does not lie in the chosen district."))
    if community and (not street or not community.startswith(street)):
        raise DomainError(_("The community does not lie in the chosen street."))
    area.district_code, area.street_code, area.community_code = district, street, community
    area.fill_region()
