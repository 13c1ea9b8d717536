"""产权登记: finding a property and matching the owners a verification names.

The import (Excel, all or nothing, with the error workbook) and the list screens build on
these; :func:`match` is what listing verification (app/rental/verification) asks.
"""
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError
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


# --- the register kept by hand: a property and its owners ---------------------------------

MAX_OWNERS = 20
CERT_NO_MAX = 64
ADDRESS_MAX = 255
AREA_MAX = Decimal("100000")


def _field(label, message):
    from flask_babel import gettext as _

    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def region_of(code, session=None):
    """(district code, street code or None) of a 房屋区域 code (a district or a street), or
    raise DomainError naming the field when it is no known district or street."""
    from flask_babel import gettext as _

    from app.system.models import Region, RegionLevel

    session = session or db.session
    code = (str(code) if code is not None else "").strip()
    if not code:
        raise _field(_("Property region"), _("is required"))
    region = session.get(Region, code)
    if region is None or region.level not in (RegionLevel.DISTRICT, RegionLevel.STREET):
        raise _field(_("Property region"), _("please choose a district or a street of the list"))
    if region.level == RegionLevel.STREET:
        return region.parent_code or code[:6], code
    return code, None


def _decimal(value, label, low, high, places=2):
    """``value`` as a Decimal in [low, high] with at most ``places`` decimals (None when empty);
    ``label`` may be a callable giving the field's name (called only for a refusal)."""
    from flask_babel import gettext as _

    if callable(label):
        try:
            return _decimal(value, "", low, high, places)
        except DomainError:
            return _decimal(value, label(), low, high, places)
    if value in (None, ""):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _field(label, _("must be a number")) from None
    if not number.is_finite() or number < low or number > high:
        raise _field(label, _("must be between %(low)s and %(high)s", low=low, high=high))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise _field(label, _("at most %(n)s decimal places", n=places))
    return number


def clean_owners(raw_owners, check_shares=True):
    """The owners of a certificate, cleaned: at least one; each name and ID number valid for
    its type (app.accounts.services clean_name / clean_id); an owner once; shares 0-100 that,
    when given, are given for every owner and sum to 100 (``check_shares`` False: an import
    row, whose certificate's rows are summed by :func:`validate_import`)."""
    from flask_babel import gettext as _

    from app.accounts.services import clean_id, clean_name
    from app.rental.verification.services import relabel

    raw_owners = [o for o in (raw_owners or []) if any(str(v or "").strip() for k, v in o.items() if k != "id_type")]
    if not raw_owners:
        raise _field(_("Owners"), _("at least one owner is required"))
    if len(raw_owners) > MAX_OWNERS:
        raise _field(_("Owners"), _("at most %(n)s owners", n=MAX_OWNERS))
    owners, seen = [], set()
    for index, raw in enumerate(raw_owners, start=1):
        # Field names are translated only for a refusal (an import checks 100,000 rows).
        def prefix(index=index):
            return _("Owner %(n)s", n=index) + " "

        try:
            name = clean_name(raw.get("name"))
        except DomainError as exc:
            raise relabel(exc, _("Name"), prefix() + _("Owner name")) from None
        id_type = (raw.get("id_type") or "resident_id").strip()
        try:
            id_number = clean_id(id_type, raw.get("id_number"))
        except DomainError as exc:
            exc = relabel(exc, _("ID type"), prefix() + _("Owner ID type"))
            raise relabel(exc, _("ID number"), prefix() + _("Owner ID number")) from None
        if (id_type, id_number) in seen:
            raise _field(prefix() + _("Owner ID number"), _("the same owner is listed twice"))
        seen.add((id_type, id_number))
        share = _decimal(raw.get("share"), lambda: prefix() + _("Ownership share (%)"), Decimal(0), Decimal(100))
        owners.append({"name": name, "id_type": id_type, "id_number": id_number, "share": share})
    given = [o["share"] for o in owners if o["share"] is not None]
    if not check_shares:
        return owners
    if given and len(given) != len(owners):
        raise _field(_("Ownership share (%)"), _("give the share of every owner, or of none"))
    if given and sum(given) != Decimal(100):
        raise _field(_("Ownership share (%)"), _("the owners' shares must add up to 100 (now %(total)s)",
                                       total=f"{sum(given).normalize():f}"))
    return owners


def clean_property(data, session=None, region=None):
    """The registry form's (or an import row's) property fields, cleaned; DomainError names
    the field in Chinese. ``data``: region_code, cert_type, cert_no, address, building_area,
    use, sealed, mortgaged."""
    from flask_babel import gettext as _

    from app.system import dicts

    session = session or db.session
    district, street = region or region_of(data.get("region_code"), session)
    cert_type = (data.get("cert_type") or "").strip()
    if not cert_type:
        raise _field(_("Title document type"), _("is required"))
    if cert_type not in dict(dicts.items("property_cert_type")):
        raise _field(_("Title document type"), _("please choose one of the listed types"))
    cert_no = normalise_cert_no(data.get("cert_no"))
    if not cert_no:
        raise _field(_("Title certificate number"), _("is required"))
    if len(cert_no) > CERT_NO_MAX:
        raise _field(_("Title certificate number"), _("may be at most %(n)s characters", n=CERT_NO_MAX))
    address = " ".join((data.get("address") or "").split())
    if not address:
        raise _field(_("Property address"), _("is required"))
    if len(address) > ADDRESS_MAX:
        raise _field(_("Property address"), _("may be at most %(n)s characters", n=ADDRESS_MAX))
    area = _decimal(data.get("building_area"), lambda: _("Building area (m²)"), Decimal("0.01"), AREA_MAX)
    use = (data.get("use") or "").strip() or None
    if use is not None and use not in dict(dicts.items("house_use")):
        raise _field(_("House use"), _("please choose one of the listed uses"))
    return {"region_code": district, "street_code": street, "cert_type": cert_type, "cert_no": cert_no,
            "address": address, "building_area": area, "use": use,
            "sealed": _flag(data.get("sealed")), "mortgaged": _flag(data.get("mortgaged"))}


def _flag(value):
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "y", "yes", "true", "on", "是")


def duplicate_message(cert_type, cert_no):
    from flask_babel import gettext as _

    from app.system import dicts

    return _("A property with the title document type %(type)s and certificate number %(number)s is already "
             "registered.", type=dicts.label("property_cert_type", cert_type), number=cert_no)


def _check_in_reach(district, actor):
    """A region-scoped maintainer keeps the register of their region only."""
    from flask_babel import gettext as _

    from app.core.scope import user_scope
    from app.security.roles import SCOPE_ALL

    if actor is None:
        return
    scope = user_scope(actor)
    if scope.level == SCOPE_ALL:
        return
    prefix = scope.region_prefix or ""
    if not prefix or not (district.startswith(prefix) or prefix.startswith(district)):
        raise _field(_("Property region"), _("is outside the region you maintain"))


def save_property(prop, data, owners, actor, session=None):
    """Add (``prop`` None) or change a registered property with its owners; returns it.
    The certificate (type + number) is unique: a second one is refused in Chinese. The
    caller commits."""
    from app.rental.registry.models import PropertyOwner

    session = session or db.session
    fields = clean_property(data, session)
    cleaned = clean_owners(owners)
    _check_in_reach(fields["region_code"], actor)
    other = find_property(fields["cert_type"], fields["cert_no"], session=session)
    if other is not None and (prop is None or other.id != prop.id):
        raise DomainError(duplicate_message(fields["cert_type"], fields["cert_no"]))
    if prop is None:
        prop = RentalProperty(created_by_fk=getattr(actor, "id", None))
        session.add(prop)
    for key, value in fields.items():
        setattr(prop, key, value)
    # Owners are replaced as a whole (the list on the form is the certificate's list).
    prop.owners[:] = [PropertyOwner(seq=i, name=o["name"], id_type=o["id_type"], id_number=o["id_number"],
                                    share=o["share"]) for i, o in enumerate(cleaned, start=1)]
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError(duplicate_message(fields["cert_type"], fields["cert_no"])) from None
    return prop


def delete_refusal(prop, session=None):
    """Why a registered property may not be deleted (verifications or contracts name it), or None."""
    from flask_babel import gettext as _

    from app.rental.contracts.models import RentalContract
    from app.rental.verification.models import ListingVerification

    session = session or db.session
    used = session.execute(select(ListingVerification.id).where(ListingVerification.property_id == prop.id)
                           .limit(1)).first()
    if used is None:
        used = session.execute(select(RentalContract.id).where(RentalContract.property_id == prop.id)
                               .limit(1)).first()
    if used is not None:
        return _("The property %(number)s has listing verifications or contracts; it cannot be deleted.",
                 number=prop.cert_no)
    return None


# --- the Excel import: one row per owner, rows of one certificate make one property ---------

#: The property's own columns, which every row of one certificate must repeat alike.
PROPERTY_KEYS = ("region_code", "address", "building_area", "use", "sealed", "mortgaged")
IMPORT_BATCH = 2000


def _owner_of(row):
    return {"name": row.get("owner_name"), "id_type": row.get("owner_id_type") or "resident_id",
            "id_number": row.get("owner_id_number"), "share": row.get("share")}


def _import_key(value):
    return "" if value is None else str(value)


def validate_import(rows, actor=None, session=None):
    """The import's checks beyond the cells: ``[(row, column key, message)]``.

    Rows with the same 证件类型 + 产权证号 form one property: its own fields must agree on
    every row; each owner row is cleaned like the form's; the shares, when given, sum to 100;
    a certificate already registered is refused (nothing is updated by an import). Leaves
    the cleaned property on each group's first row (``_property``) and the owner on every
    row (``_owner``) for :func:`import_rows`.
    """
    from flask_babel import gettext as _

    session = session or db.session
    errors = []
    groups = {}
    for row in rows:
        row["cert_no"] = normalise_cert_no(row.get("cert_no"))
        groups.setdefault((row.get("cert_type"), row["cert_no"]), []).append(row)
    regions = {}
    for (cert_type, cert_no), group in groups.items():
        first = group[0]
        bad = False
        for row in group[1:]:
            for key in PROPERTY_KEYS:
                if _import_key(row.get(key)) != _import_key(first.get(key)):
                    errors.append((row["_row"], key, _(
                        "Rows of one certificate must agree: row %(row)s gives another value.", row=first["_row"])))
                    bad = True
        code = _import_key(first.get("region_code")).strip()
        try:
            if code not in regions:
                found = region_of(code, session)
                _check_in_reach(found[0], actor)
                regions[code] = found
            fields = clean_property(first, session, region=regions[code])
        except DomainError as exc:
            errors.append((first["_row"], _key_of(exc), _strip_field(exc)))
            bad = True
            fields = None
        owners = []
        for row in group:
            try:
                owner = clean_owners([_owner_of(row)], check_shares=False)[0]
            except DomainError as exc:
                errors.append((row["_row"], _owner_key_of(exc), _strip_field(exc)))
                bad = True
                continue
            if any((o["id_type"], o["id_number"]) == (owner["id_type"], owner["id_number"]) for o in owners):
                errors.append((row["_row"], "owner_id_number", _("the same owner is listed twice")))
                bad = True
                continue
            row["_owner"] = owner
            owners.append(owner)
        if not bad:
            shares = [o["share"] for o in owners]
            given = [s for s in shares if s is not None]
            if given and len(given) != len(shares):
                errors.append((first["_row"], "share", _("give the share of every owner, or of none")))
                bad = True
            elif given and sum(given) != Decimal(100):
                errors.append((first["_row"], "share", _("the owners' shares must add up to 100 (now %(total)s)",
                                                         total=f"{sum(given).normalize():f}")))
                bad = True
        if fields is not None:
            first["_property"] = fields
    # Certificates already registered, looked up in chunks (one query per 500 numbers).
    numbers = sorted({no for _t, no in groups})
    existing = set()
    for i in range(0, len(numbers), 500):
        existing.update(tuple(r) for r in session.execute(select(RentalProperty.cert_type, RentalProperty.cert_no)
                                                          .where(RentalProperty.cert_no.in_(numbers[i:i + 500]))))
    for key, group in groups.items():
        if key in existing:
            errors.append((group[0]["_row"], "cert_no", duplicate_message(*key)))
    return errors


def _strip_field(exc):
    """The reason of a field refusal without the field's name (the error workbook names the column)."""
    text = str(exc)
    head, sep, tail = text.partition(": ")
    if not sep:
        head, sep, tail = text.partition("：")
    return tail if sep and len(head) <= 24 else text



def _key_of(exc):
    from flask_babel import gettext as _

    text = str(exc)
    for label, key in ((_("Property region"), "region_code"), (_("Title document type"), "cert_type"),
                       (_("Title certificate number"), "cert_no"), (_("Property address"), "address"),
                       (_("Building area (m²)"), "building_area"), (_("House use"), "use")):
        if text.startswith(label):
            return key
    return None


def _owner_key_of(exc):
    from flask_babel import gettext as _

    text = str(exc)
    for label, key in ((_("Owner ID type"), "owner_id_type"), (_("Owner ID number"), "owner_id_number"),
                       (_("Owner name"), "owner_name"), (_("Ownership share (%)"), "share")):
        if label in text.split(":")[0].split("：")[0]:
            return key
    return None


def import_rows(rows, actor=None, session=None):
    """Insert the checked rows with SQLAlchemy Core, in batches (properties, then their
    owners); returns the number of rows (owners) written. The caller commits; on an error it
    rolls back and nothing is written. Rows must have passed :func:`validate_import`."""
    from app.core.mixins import now
    from app.rental.registry.models import PropertyOwner

    session = session or db.session
    if any("_owner" not in r for r in rows):
        errors = validate_import(rows, actor, session)
        if errors:
            raise DomainError(str(errors[0][2]))
    moment = now()
    user_id = getattr(actor, "id", None)
    groups = {}
    for row in rows:
        groups.setdefault((row["cert_type"], row["cert_no"]), []).append(row)
    keys = list(groups)
    table, owner_table = RentalProperty.__table__, PropertyOwner.__table__
    written = 0
    for i in range(0, len(keys), IMPORT_BATCH):
        chunk = keys[i:i + IMPORT_BATCH]
        ids = session.execute(insert(table).returning(table.c.id, table.c.cert_type, table.c.cert_no), [
            {**groups[k][0]["_property"], "created_on": moment, "changed_on": moment, "created_by_fk": user_id}
            for k in chunk]).all()
        by_key = {(t, no): pk for pk, t, no in ids}
        owners = [{"property_id": by_key[k], "seq": seq, "name": r["_owner"]["name"],
                   "id_type": r["_owner"]["id_type"], "id_number": r["_owner"]["id_number"],
                   "share": r["_owner"]["share"]}
                  for k in chunk for seq, r in enumerate(groups[k], start=1)]
        session.execute(insert(owner_table), owners)
        written += len(owners)
    return written


# --- the 房屋区域 choices of forms and searches -------------------------------------------

def region_tree(prefix=None, session=None):
    """[(district code, district name, [(street code, street name), ...]), ...] of the
    districts inside ``prefix`` (all when None), for the 房屋区域 selects."""
    from app.system.models import Region, RegionLevel

    session = session or db.session
    stmt = select(Region.code, Region.name, Region.level, Region.parent_code).where(
        Region.level.in_((RegionLevel.DISTRICT, RegionLevel.STREET))).order_by(Region.code)
    districts, streets = [], {}
    for code, name, level, parent in session.execute(stmt):
        if level == RegionLevel.DISTRICT:
            if prefix and not (code.startswith(prefix) or prefix.startswith(code)):
                continue
            districts.append((code, name))
        else:
            if prefix and len(prefix) > 6 and not code.startswith(prefix):
                continue
            streets.setdefault(parent, []).append((code, name))
    return [(code, name, streets.get(code, [])) for code, name in districts]


def region_names(session=None):
    """{code: name} of every district and street (a few hundred rows, read once per request)."""
    from flask import g, has_request_context

    from app.system.models import Region

    if has_request_context() and "_rental_region_names" in g:
        return g._rental_region_names
    session = session or db.session
    names = dict(session.execute(select(Region.code, Region.name)).all())
    if has_request_context():
        g._rental_region_names = names
    return names


def region_text(district_code, street_code=None):
    """'渝中区 七星岗街道' (district, then street when known)."""
    names = region_names()
    parts = [names.get(district_code, district_code or "")]
    if street_code:
        parts.append(names.get(street_code, street_code))
    return " ".join(p for p in parts if p)


def viewer_prefix():
    """The region prefix the acting user's lists and selects are limited to (None: everywhere)."""
    from app.core.scope import current_user_obj, user_scope
    from app.security.roles import SCOPE_REGION

    scope = user_scope(current_user_obj())
    return scope.region_prefix if scope.level == SCOPE_REGION else None
