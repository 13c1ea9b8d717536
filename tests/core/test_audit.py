"""Audit log: row changes by event listeners, before/after values, the hash chain, and
that tampering is detected."""
import json

from sqlalchemy import select, text

from app.core.audit import AuditLog, verify_chain
from app.extensions import db
from app.system.models import DictItem


def test_create_update_delete_are_logged_with_values(ctx):
    item = DictItem(dict_type="staff_post", code="audit_probe", label="审计探针", sort=99, active=True)
    db.session.add(item)
    db.session.commit()
    item.label = "审计探针2"
    db.session.commit()
    pk = item.id
    db.session.delete(item)
    db.session.commit()
    rows = db.session.execute(select(AuditLog).where(AuditLog.entity == "DictItem",
                                                     AuditLog.entity_id == str(pk))
                              .order_by(AuditLog.id)).scalars().all()
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert json.loads(rows[0].after)["label"] == "审计探针"
    assert json.loads(rows[1].before) == {"label": "审计探针"}
    assert json.loads(rows[1].after) == {"label": "审计探针2"}
    assert json.loads(rows[2].before)["code"] == "audit_probe"


def test_passwords_never_reach_the_log(ctx):
    rows = db.session.execute(select(AuditLog.after).where(AuditLog.entity == "AnjuUser",
                                                           AuditLog.action == "create")).scalars().all()
    assert rows
    for after in rows:
        assert "scrypt" not in (after or "") and "pbkdf2" not in (after or "")


def test_rolled_back_changes_leave_no_entry(ctx):
    before = db.session.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).scalars().first()
    db.session.add(DictItem(dict_type="staff_post", code="rolled_back", label="x", sort=1, active=True))
    db.session.flush()
    db.session.rollback()
    after = db.session.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).scalars().first()
    assert before == after


def test_chain_verifies(ctx):
    ok, checked, bad, reason = verify_chain()
    assert ok, (bad, reason)
    assert checked > 10


def _drop_guards():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE anju_audit_log DISABLE TRIGGER anju_audit_log_no_change"))
    else:
        db.session.execute(text("DROP TRIGGER anju_audit_log_no_update"))
        db.session.execute(text("DROP TRIGGER anju_audit_log_no_delete"))


def test_altered_entry_is_detected(fresh_app):
    with fresh_app.app_context():
        _drop_guards()  # an attacker with database access
        victim = db.session.execute(select(AuditLog.id).order_by(AuditLog.id).limit(1).offset(5)).scalar()
        db.session.execute(text("UPDATE anju_audit_log SET summary = 'forged' WHERE id = :i"), {"i": victim})
        db.session.commit()
        ok, _, bad, reason = verify_chain()
        assert not ok and bad == victim


def test_deleted_entry_is_detected(fresh_app):
    with fresh_app.app_context():
        _drop_guards()
        victim = db.session.execute(select(AuditLog.id).order_by(AuditLog.id).limit(1).offset(5)).scalar()
        db.session.execute(text("DELETE FROM anju_audit_log WHERE id = :i"), {"i": victim})
        db.session.commit()
        ok, _, bad, _ = verify_chain()
        assert not ok and bad > victim


def test_truncated_tail_is_detected(fresh_app):
    with fresh_app.app_context():
        _drop_guards()
        last = db.session.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).scalars().first()
        db.session.execute(text("DELETE FROM anju_audit_log WHERE id = :i"), {"i": last})
        db.session.commit()
        ok, _, _, reason = verify_chain()
        assert not ok and "end" in reason


def test_audit_log_view_is_read_only_even_for_sysadmin(app, login):
    c = login("admin")
    assert c.get("/auditlogview/list/").status_code == 200
    assert c.get("/auditlogview/edit/1").status_code in (302, 403, 404)
    assert c.get("/auditlogview/add").status_code in (302, 403, 404)
    resp = c.form("/auditlogview/delete/1", {}, get_url="/auditlogview/list/")
    assert resp.status_code in (302, 403, 404)
    with app.app_context():
        assert db.session.get(AuditLog, 1) is not None


def test_audit_log_filter_and_export(app, login):
    import io

    import openpyxl

    c = login("admin")
    html = c.get("/auditlogview/list/?_flt_0_username=analyst").get_data(as_text=True)
    assert "analyst" in html
    resp = c.get("/auditlogview/export/?_flt_3_action=login")
    assert resp.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "操作时间"
    assert rows[1:] and all(r[3] == "登录" for r in rows[1:])
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(AuditLog.action == "export",
                                                         AuditLog.entity == "AuditLog")).first()
