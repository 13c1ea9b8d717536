"""The registry's Excel declaration (产权登记 import template, import and the columns read
back): one row per owner; rows with the same 证件类型 + 产权证号 make one property
(app/rental/registry/services.py validate_import / import_rows)."""
from flask_babel import lazy_gettext as _l

from app.accounts.models import ID_TYPE_LABELS
from app.core.xlsx import XColumn
from app.system import dicts

IMPORT_COLUMNS = [
    XColumn("region_code", _l("Property region code"), required=True, max_length=12, width=14,
            example="500103001"),
    XColumn("cert_type", _l("Title document type"), kind="choice", required=True,
            choices=dicts.choices("property_cert_type")),
    XColumn("cert_no", _l("Title certificate number"), required=True, max_length=64, width=34,
            example="渝（2025）渝中区不动产权第000123号"),
    XColumn("address", _l("Property address"), required=True, max_length=255, width=40,
            example="重庆市渝中区七星岗街道中山一路12号3-1"),
    XColumn("building_area", _l("Building area (m²)"), kind="decimal", example="89.50"),
    XColumn("use", _l("House use"), kind="choice", choices=dicts.choices("house_use")),
    XColumn("sealed", _l("Sealed (查封)"), kind="bool", example="否"),
    XColumn("mortgaged", _l("Mortgaged (抵押)"), kind="bool", example="否"),
    XColumn("owner_name", _l("Owner name"), required=True, max_length=30, example="张三", mask="name"),
    XColumn("owner_id_type", _l("Owner ID type"), kind="choice", choices=lambda: list(ID_TYPE_LABELS.items())),
    XColumn("owner_id_number", _l("Owner ID number"), required=True, max_length=32, width=22,
            mask="id_number"),
    XColumn("share", _l("Ownership share (%)"), kind="decimal", example="100"),
]

#: An owner appears once on a certificate.
IMPORT_UNIQUE = [("cert_type", "cert_no", "owner_id_type", "owner_id_number")]
