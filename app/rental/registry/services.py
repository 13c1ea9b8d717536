"""产权登记: finding a property and matching the owners a verification names.

The import (Excel, all or nothing, with the error workbook) and the list screens build on
these; :func:`match` is what listing verification (app/rental/verification) asks.
"""
from sqlalchemy import select

from app.extensions import db
from app.rental.registry.models import RentalProperty


def normalise_cert_no(value):
    """Certificate numbers as people type them: no spaces, full-width brackets as on the paper."""
    text = (value or "").strip().replace(" ", "").replace("\u3000", "")
    return text.replace("(", "（").replace(")", "）")


def find_property(cert_type, cert_no, session=None):
    session = session or db.session
    stmt = select(RentalProperty).where(RentalProperty.cert_type == cert_type,
                                        RentalProperty.cert_no == normalise_cert_no(cert_no))
    return session.execute(stmt).scalars().first()


def in_region(prop, region_code):
    """True when the property lies inside the chosen 房屋区域 (a district or a street code)."""
    from app.system.models import region_prefix

    prefix = region_prefix(region_code) or ""
    return bool(prefix) and ((prop.region_code or "").startswith(prefix) or (prop.street_code or "").startswith(prefix))


def match(region_code, cert_type, cert_no, owners, session=None):
    """Match a listing against the registry.

    ``owners`` is a list of {"name", "id_type", "id_number"} (already cleaned). Returns
    ``(property or None, [reason codes])``; no reasons means the listing is verified.
    Every owner named must be an owner on the certificate (name and ID number both).
    """
    prop = find_property(cert_type, cert_no, session=session)
    if prop is None:
        return None, ["not_found"]
    reasons = []
    if not in_region(prop, region_code):
        reasons.append("region_mismatch")
    registered = {(o.id_type, (o.id_number or "").upper()): o.name for o in prop.owners}
    for index, owner in enumerate(owners, start=1):
        key = (owner["id_type"], owner["id_number"].upper())
        if registered.get(key) != owner["name"]:
            reasons.append(f"owner_mismatch:{index}")
    if prop.sealed:
        reasons.append("sealed")
    if prop.mortgaged:
        reasons.append("mortgaged")
    return prop, reasons
