"""Declarations of the system entities' columns for Excel export, templates and import."""
from flask_babel import lazy_gettext as _l

from app.core.xlsx import XColumn
from app.system import dicts

ORGANIZATION_COLUMNS = [
    XColumn("name", _l("Organization name"), required=True, max_length=128, example="重庆示例物业服务有限公司"),
    XColumn("enterprise_type", _l("Enterprise type"), kind="choice", required=True,
            choices=dicts.choices("enterprise_type")),
    XColumn("credit_code", _l("Unified social credit code"), kind="credit_code", required=True,
            example="91350100M000100Y43"),
    XColumn("region_code", _l("Region code"), required=True, max_length=12, example="500103"),
    XColumn("legal_rep", _l("Legal representative"), max_length=64, mask="name"),
    XColumn("contact_name", _l("Contact person"), max_length=64, mask="name"),
    XColumn("contact_mobile", _l("Contact mobile"), kind="mobile", mask="mobile", example="13800138000"),
    XColumn("address", _l("Address"), max_length=255),
]

DICT_ITEM_COLUMNS = [
    XColumn("dict_type", _l("Dictionary"), required=True, max_length=32, example="staff_post"),
    XColumn("code", _l("Code"), required=True, max_length=32, example="gardening"),
    XColumn("label", _l("Label (Chinese)"), required=True, max_length=64, example="绿化"),
    XColumn("label_en", _l("Label (English)"), max_length=64, example="Gardening"),
    XColumn("sort", _l("Sort order"), kind="int", example="70"),
    XColumn("active", _l("Active"), kind="bool", example="是"),
]
