"""The audit log reads in words: every audited model declares its Chinese name, how a row
reads and the labels of its fields; summaries and the before/after table use them, masked
for the viewer; entries written before (object reprs, raw field names) still read."""
import re

import pytest
from sqlalchemy import func, select

from app.core import audit, masking
from app.core.audit import AuditLog
from app.extensions import db
from tests.complaints.helpers import file_complaint

CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON = ("<app.", "object at 0x", "AnjuUser", "ComplaintEvent", "PropertyArea", "auto_close",
          "complaints.auto_close", "last_run_at", "next_run_at", "first_name")


def _recorded_keys(model):
    """The keys the listeners write for a model: its columns and its collections."""
    keys = [a.key for a in model.__mapper__.column_attrs]
    keys += [r.key for r in model.__mapper__.relationships
             if r.uselist and not r.viewonly and r.lazy not in ("dynamic", "write_only")]
    return keys


def test_every_audited_model_declares_its_name_row_and_field_labels(ctx):
    models = audit.audited_models() + [AuditLog]
    assert {"Complaint", "ComplaintEvent", "PropertyArea", "AnjuUser", "Person", "Staff", "Organization",
            "Job", "JobRun", "Role"} <= {m.__name__ for m in models}
    for model in models:
        spec = getattr(model, "__audit__", None)
        assert spec is not None, f"{model.__name__} declares no __audit__"
        assert CJK.search(str(spec.name)), f"{model.__name__}: name {spec.name!s} is not translated"
        assert spec.row is not None, f"{model.__name__} declares no row label"
        for key in _recorded_keys(model):
            label = spec.label(key)
            assert label and CJK.search(label), f"{model.__name__}.{key} has no Chinese label ({label})"
        # FAB's User shares AnjuUser's declaration: count the keys of mapped subclasses too.
        keys = {k for m in db.Model.registry.mappers if issubclass(m.class_, model) for k in _recorded_keys(m.class_)}
        for key, kind in spec.masks.items():
            assert key in keys and kind in masking.MASKERS, (model.__name__, key, kind)
        for key in spec.values:
            assert spec.value_labels(key) and key in keys, (model.__name__, key)
    assert audit.entity_name("ComplaintStats") == "需求及建议统计"


def test_views_mask_nothing_the_model_does_not_declare_personal(app):
    """A column a view or API masks is masked in the audit detail too (declared on the model)."""
    from app.core.views import AnjuModelRestApi, AnjuModelView

    checked = 0
    for view in app.appbuilder.baseviews:
        if not isinstance(view, (AnjuModelView, AnjuModelRestApi)) or not view.mask_columns:
            continue
        model = view.datamodel.obj
        columns = {a.key for a in model.__mapper__.column_attrs}
        for col, kind in view.mask_columns.items():
            if col in columns:
                checked += 1
                assert model.__audit__.masks.get(col) == kind, (type(view).__name__, col)
    assert checked > 10
