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
            # A personal value shown through a property (Staff.username) is declared too.
            shown = key in keys or isinstance(getattr(model, key, None), property)
            assert shown and kind in masking.MASKERS, (model.__name__, key, kind)
        for key in spec.values:
            assert spec.value_labels(key) and key in keys, (model.__name__, key)
    assert audit.entity_name("ComplaintStats") == "需求及建议统计"


def test_views_mask_nothing_the_model_does_not_declare_personal(app):
    """A column a view or API masks is masked in the audit detail too (declared on the model)."""
    from app.core.views import AnjuModelView
    from app.core.rest import AnjuModelRestApi

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


def _entries_since(app, last_id):
    with app.app_context():
        return [(r.id, r.action, r.entity, r.entity_id, r.summary) for r in db.session.execute(
            select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id)).scalars()]


def _last_id(app):
    with app.app_context():
        return db.session.execute(select(func.max(AuditLog.id))).scalar() or 0


def _changes_table(html):
    body = html.split('id="audit-changes-table"', 1)[1].split("<tbody>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th>(.*?)</th><td><span[^>]*>(.*?)</span></td><td><span[^>]*>(.*?)</span></td></tr>",
                      body, re.S)
    return {label: (before, after) for label, before, after in rows}


def test_real_changes_read_in_words_and_the_detail_is_a_masked_table(app, login):
    from app.complaints.models import Complaint
    from tests.complaints.helpers import act

    start = _last_id(app)
    with app.app_context():
        complaint = file_complaint(content="审计可读性测试")
        pk, number, name, id_number, mobile = (complaint.id, complaint.number, complaint.name,
                                               complaint.id_number, complaint.mobile)
        act(db.session.get(Complaint, pk), "accept", "pm_a")
    admin = login("admin")
    token = admin.token("/jobs/list/")
    admin.post("/jobs/action_post", data={"action": "run", "rowid": ["complaints.auto_close"], "csrf_token": token})
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="analyst")
        uid, org_id, role_ids = user.id, user.org_id, [str(r.id) for r in user.roles]
        first_name, old_mobile = user.first_name, user.mobile
    admin.form(f"/orgusers/edit/{uid}", {"first_name": "审计员", "mobile": "13800001111",
                                         "org": str(org_id), "roles": role_ids, "active": "y"},
               get_url=f"/orgusers/edit/{uid}")
    entries = _entries_since(app, start)
    ids = {(a, e): (i, summary) for i, a, e, _pk, summary in entries}
    create_id, create_summary = ids[("create", "Complaint")]
    update_id, update_summary = ids[("update", "Complaint")]
    assert create_summary == number
    assert update_summary == f"{number}：处理状态、办理阶段、接收时间、办理记录"
    assert ids[("update", "Job")][1] == "逾期未评价的需求及建议自动结束：上次执行、上次结果、执行进程、执行锁到期时间"
    assert ids[("create", "JobRun")][1].startswith("逾期未评价的需求及建议自动结束 ")
    user_id, user_summary = ids[("update", "AnjuUser")]
    assert user_summary == "analyst：姓名、手机号码"
    assert [summary.split(" ")[0] for _i, a, e, _pk, summary in entries
            if (a, e) == ("create", "ComplaintEvent")] == ["提交", "接收处理"]

    page = admin.get("/auditlogview/list/?psize_AuditLogView=100").get_data(as_text=True)
    for summary in (update_summary, user_summary):
        assert summary in page
    for word in PYTHON:
        assert word not in page, word
    assert "需求及建议" in page and "定时任务" in page and "办理记录" in page

    detail = admin.get(f"/auditlogview/show/{update_id}").get_data(as_text=True)
    table = _changes_table(detail)
    assert table["处理状态"] == ("待处理", "处理中")
    assert table["办理阶段"] == ("待处理", "处理中")
    assert list(table) == ["处理状态", "办理阶段", "接收时间", "办理记录"]
    assert re.fullmatch(r"提交 \d{4}-\d\d-\d\d \d\d:\d\d", table["办理记录"][0])
    assert re.fullmatch(r"提交 \S+ \S+、接收处理 \S+ \S+", table["办理记录"][1])
    for word in PYTHON + ("status", "stage", "events", "accepted_at"):
        assert word not in detail.split('id="audit-changes"', 1)[1], word

    # Personal values: full for sysadmin (who holds the full-value permission) ...
    full = _changes_table(admin.get(f"/auditlogview/show/{create_id}").get_data(as_text=True))
    assert full["投诉人"] == ("", name) and full["证件号码"] == ("", id_number) and full["手机号码"] == ("", mobile)
    user_full = _changes_table(admin.get(f"/auditlogview/show/{user_id}").get_data(as_text=True))
    assert user_full["姓名"][1] == "审计员" and user_full["手机号码"][1] == "13800001111"

    # ... masked for a reader of the log without it (analyst, given the log for this test).
    sm = app.appbuilder.sm
    with app.app_context():
        role = sm.find_role("analyst")
        for perm in ("can_show", "can_list"):
            sm.add_permission_role(role, sm.add_permission_view_menu(perm, "AuditLogView"))
    try:
        analyst = login("analyst")
        masked_page = analyst.get(f"/auditlogview/show/{create_id}").get_data(as_text=True)
        masked = _changes_table(masked_page)
        assert masked["投诉人"] == ("", masking.mask_name(name))
        assert masked["证件号码"] == ("", masking.mask_id_number(id_number))
        assert masked["手机号码"] == ("", masking.mask_mobile(mobile))
        assert id_number not in masked_page and mobile not in masked_page
        user_masked = _changes_table(analyst.get(f"/auditlogview/show/{user_id}").get_data(as_text=True))
        assert user_masked["姓名"][1] == "审*员" and user_masked["手机号码"][1] == "138****1111"
    finally:
        with app.app_context():
            role = sm.find_role("analyst")
            for perm in ("can_show", "can_list"):
                sm.del_permission_role(role, sm.find_permission_view_menu(perm, "AuditLogView"))
        admin.form(f"/orgusers/edit/{uid}", {"first_name": first_name, "mobile": old_mobile or "",
                                             "org": str(org_id), "roles": role_ids, "active": "y"},
                   get_url=f"/orgusers/edit/{uid}")


def test_entries_written_before_the_labels_still_read(app, login):
    """Old summaries (object reprs, raw field names) and old before/after texts display in words."""
    with app.app_context():
        audit.record("update", "Complaint", 999999, summary="status, stage, events",
                     before={"status": "pending", "events": ["<app.complaints.models.ComplaintEvent object at 0x7f3a>"]},
                     after={"status": "processing", "events": []}, commit=True)
        old_id = db.session.execute(select(func.max(AuditLog.id))).scalar()
        audit.record("create", "ComplaintEvent", 1, summary="<app.complaints.models.ComplaintEvent object at 0x7f3a>",
                     after="not json {", commit=True)
        repr_id = old_id + 1
    admin = login("admin")
    page = admin.get("/auditlogview/list/").get_data(as_text=True)
    with app.test_request_context():
        old_summary = audit.readable("status, stage, events", "Complaint")
    assert CJK.search(old_summary) and old_summary.endswith("、办理记录") and old_summary in page
    assert "status, stage" not in page and "object at 0x" not in page
    detail = admin.get(f"/auditlogview/show/{old_id}").get_data(as_text=True)
    table = _changes_table(detail)
    assert table == {"处理状态": ("待处理", "处理中"), "办理记录": ("办理记录", "")}
    shown = admin.get(f"/auditlogview/show/{repr_id}")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "object at 0x" not in text and "<app." not in text and "办理记录" in text
