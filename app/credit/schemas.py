"""Declarations of the credit entities' columns for Excel templates, import and export.

``RULE_COLUMNS`` (记分标准) drives the import template, the all-or-nothing import
(app/credit/rules.py validate_import / import_rules) and the export of the list.
"""
from app.core.xlsx import XColumn
from app.credit import rules
from app.credit.services import OPERATION_LABELS, SCORE_TYPE_LABELS, SEVERITY_LABELS
from app.system import dicts


def _pairs(labels):
    return lambda: list(labels.items())


RULE_COLUMNS = [
    XColumn("code", rules.LABELS["code"], required=True, max_length=32, example="WY-K-101"),
    XColumn("item", rules.LABELS["item"], required=True, max_length=200, width=40,
            example="未按规定公示物业服务收费标准"),
    XColumn("category", rules.LABELS["category"], kind="choice", required=True,
            choices=dicts.choices(rules.CATEGORY_DICT)),
    XColumn("score_type", rules.LABELS["score_type"], kind="choice", required=True,
            choices=_pairs(SCORE_TYPE_LABELS)),
    XColumn("suggested_score", rules.LABELS["suggested_score"], kind="int", required=True, example="3"),
    XColumn("min_score", rules.LABELS["min_score"], kind="int", required=True, example="1"),
    XColumn("max_score", rules.LABELS["max_score"], kind="int", required=True, example="5"),
    XColumn("operation", rules.LABELS["operation"], kind="choice", required=True,
            choices=_pairs(OPERATION_LABELS)),
    XColumn("severity", rules.LABELS["severity"], kind="choice", required=True,
            choices=_pairs(SEVERITY_LABELS)),
    XColumn("validity_months", rules.LABELS["validity_months"], kind="int", required=True, example="12"),
    XColumn("effective_from", rules.LABELS["effective_from"], kind="date", required=True, example="2026-01-01"),
    XColumn("effective_to", rules.LABELS["effective_to"], kind="date"),
    XColumn("enabled", rules.LABELS["enabled"], kind="bool", example="是"),
    XColumn("basis", rules.LABELS["basis"], max_length=2000, width=40),
]
