"""One scope mechanism, proved on organisations' own user management: an enterprise
admin manages its own sub-accounts and cannot see or touch another enterprise's,
by menu, URL, guessed id, bulk action, export or API."""
import io
import re

import openpyxl
from sqlalchemy import select

from app.extensions import db
from app.security.models import AnjuUser
from tests.lists import cell_texts


def uid(app, username):
    with app.app_context():
        return db.session.execute(select(AnjuUser.id).where(AnjuUser.username == username)).scalar_one()


def org_id(app, username):
    with app.app_context():
        return db.session.execute(select(AnjuUser.org_id).where(AnjuUser.username == username)).scalar_one()


def test_ent_admin_lists_only_own_enterprise_accounts(app, login):
    c = login("ent_a")
    html = c.get("/orgusers/list/").get_data(as_text=True)
    cells = set(cell_texts(html))
    assert {"ent_a", "pm_a"} <= cells
    assert not cells & {"ent_b", "admin", "gov_admin", "district1"}


def test_guessed_ids_of_another_enterprise_give_404(app, login):
    c = login("ent_a")
    other = uid(app, "ent_b")
    assert c.get(f"/orgusers/show/{other}").status_code == 404
    assert c.get(f"/orgusers/edit/{other}").status_code == 404
    resp = c.form(f"/orgusers/delete/{other}", {}, get_url="/orgusers/list/")
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(AnjuUser, other) is not None


def test_get_to_delete_url_deletes_nothing(app, login):
    c = login("ent_a")
    pm = uid(app, "pm_a")
    c.get(f"/orgusers/delete/{pm}")
    with app.app_context():
        assert db.session.get(AnjuUser, pm) is not None


def test_bulk_action_with_foreign_id_does_nothing(app, login):
    from datetime import datetime, timedelta

    victim, own = uid(app, "ent_b"), uid(app, "pm_a")
    with app.app_context():
        for pk in (victim, own):
            db.session.get(AnjuUser, pk).locked_until = datetime.now() + timedelta(minutes=20)
        db.session.commit()
    c = login("ent_a")
    # Another enterprise's id mixed into a bulk action: the whole action is refused.
    c.form("/orgusers/action_post", {"action": "unlock", "rowid": [own, victim]}, get_url="/orgusers/list/")
    with app.app_context():
        assert db.session.get(AnjuUser, victim).locked_until is not None
        assert db.session.get(AnjuUser, own).locked_until is not None
    # The single-record action URL with a guessed id: 404.
    resp = c.form(f"/orgusers/action/unlock/{victim}", {}, get_url="/orgusers/list/")
    assert resp.status_code == 404
    # A GET never runs an action.
    c.get(f"/orgusers/action/unlock/{own}")
    with app.app_context():
        assert db.session.get(AnjuUser, own).locked_until is not None
    # Own accounts only: done.
    c.form("/orgusers/action_post", {"action": "unlock", "rowid": [own]}, get_url="/orgusers/list/")
    with app.app_context():
        assert db.session.get(AnjuUser, own).locked_until is None
        assert db.session.get(AnjuUser, victim).locked_until is not None
        db.session.get(AnjuUser, victim).locked_until = None
        db.session.commit()


def test_export_is_scoped_and_masked(app, login):
    c = login("district1")
    resp = c.get("/orgusers/export/")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "账号" in header
    names = {r[0] for r in body}
    assert {"ent_a", "ent_b", "pm_a", "district1", "street1"} <= names
    assert "admin" not in names and "gov_admin" not in names
    mobiles = [r[2] for r in body if r[2]]
    assert mobiles and all("****" in m for m in mobiles)


def test_ent_admin_creates_sub_account_only_in_own_org(app, login):
    c = login("ent_a")
    page = c.get("/orgusers/add").get_data(as_text=True)
    assert "重庆和居物业管理有限公司" not in page  # related dropdown shows only own org
    with app.app_context():
        from flask_appbuilder.security.sqla.models import Role

        pl = db.session.execute(select(Role.id).where(Role.name == "project_lead")).scalar_one()
        sysadmin = db.session.execute(select(Role.id).where(Role.name == "sysadmin")).scalar_one()
    own, other = org_id(app, "ent_a"), org_id(app, "ent_b")
    base = {"username": "pm_a2", "first_name": "王五", "mobile": "13912345678", "roles": pl,
            "password": "Pm#a2secret", "conf_password": "Pm#a2secret"}
    # Into another enterprise: refused.
    c.form("/orgusers/add", {**base, "org": other})
    with app.app_context():
        assert db.session.execute(select(AnjuUser).where(AnjuUser.username == "pm_a2")).first() is None
    # Granting sysadmin: refused.
    c.form("/orgusers/add", {**base, "org": own, "roles": sysadmin})
    with app.app_context():
        assert db.session.execute(select(AnjuUser).where(AnjuUser.username == "pm_a2")).first() is None
    # Own org, project lead: created, must change password at first login.
    c.form("/orgusers/add", {**base, "org": own})
    with app.app_context():
        u = db.session.execute(select(AnjuUser).where(AnjuUser.username == "pm_a2")).scalar_one()
        assert u.org_id == own and u.must_change_password and [r.name for r in u.roles] == ["project_lead"]
    # ent_b cannot see it.
    c2 = login("ent_b")
    assert "pm_a2" not in c2.get("/orgusers/list/").get_data(as_text=True)
    assert c2.get(f"/orgusers/show/{uid(app, 'pm_a2')}").status_code == 404


def test_api_is_scoped(app, api):
    http, headers = api("ent_a")
    resp = http.get("/api/v1/org_user/", headers=headers)
    assert resp.status_code == 200
    names = {r["username"] for r in resp.get_json()["result"]}
    assert names >= {"ent_a", "pm_a"} and "ent_b" not in names
    other = uid(app, "ent_b")
    assert http.get(f"/api/v1/org_user/{other}", headers=headers).status_code == 404
    assert http.put(f"/api/v1/org_user/{other}", json={"first_name": "x"}, headers=headers).status_code == 404
    assert http.delete(f"/api/v1/org_user/{other}", headers=headers).status_code == 404
    with app.app_context():
        assert db.session.get(AnjuUser, other).first_name != "x"


def test_api_create_into_other_org_refused(app, api):
    http, headers = api("ent_a")
    resp = http.post("/api/v1/org_user/", json={"username": "api_pm", "first_name": "赵六",
                                                "mobile": "13700001111", "org_id": org_id(app, "ent_b"),
                                                "password": "Api#pm2026"}, headers=headers)
    assert resp.status_code in (400, 422)
    resp = http.post("/api/v1/org_user/", json={"username": "api_pm", "first_name": "赵六",
                                                "mobile": "13700001111", "password": "weak"}, headers=headers)
    assert resp.status_code in (400, 422)
    assert "密码" in str(resp.get_json()["message"])


def test_organization_scope_by_region(app, login):
    c = login("district1")
    html = c.get("/organizationview/list/").get_data(as_text=True)
    assert "重庆安居物业服务有限公司" in html
    assert "重庆渝北宜居住房租赁有限公司" not in html  # another district


def test_page_size_capped_and_validated(app, login):
    c = login("admin")
    assert c.get("/auditlogview/list/?psize_AuditLogView=abc").status_code == 400
    resp = c.get("/auditlogview/list/?psize_AuditLogView=100000")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True).count('class="action_check"') <= 200


def test_masking_for_helpdesk_and_full_view_audited_for_admin(app, login):
    from app.core.audit import AuditLog

    html = login("helpdesk").get("/orgusers/list/").get_data(as_text=True)
    assert "13800000006" not in html and "138****0006" in html
    html = login("gov_admin").get("/orgusers/list/").get_data(as_text=True)
    assert "13800000006" in html
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(AuditLog.action == "view_pii",
                                                         AuditLog.username == "gov_admin")).first()


def test_organization_api_rules_and_scope(app, api):
    from app.core.validators import credit_code_check_char
    from app.system.models import Organization

    http, headers = api("gov_admin")
    bad = {"name": "接口测试企业", "org_type": "enterprise", "enterprise_type": "property_company",
           "credit_code": "91500103MA5UD00010", "region_code": "500103"}
    resp = http.post("/api/v1/organization/", json=bad, headers=headers)
    assert resp.status_code == 422 and "统一社会信用代码" in str(resp.get_json()["message"])
    resp = http.post("/api/v1/organization/", json={**bad, "credit_code": "91500103MA5UD0001"
                                                    + credit_code_check_char("91500103MA5UD0001"),
                                                    "region_code": "999999"}, headers=headers)
    assert resp.status_code == 422 and "999999" in str(resp.get_json()["message"])
    good = {**bad, "credit_code": "91500103MA5UD0001" + credit_code_check_char("91500103MA5UD0001")}
    resp = http.post("/api/v1/organization/", json=good, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["id"]
    with app.app_context():
        org = db.session.get(Organization, new_id)
        assert org.parent.name == "渝中区住房和城乡建设委员会" and org.path.endswith(f"/{new_id}/")
    # Read-only roles cannot write; a street outside 渝北区 cannot read its enterprise.
    http2, headers2 = api("analyst")
    assert http2.post("/api/v1/organization/", json=good, headers=headers2).status_code in (401, 403)
    http3, headers3 = api("street1")
    with app.app_context():
        yubei = db.session.execute(select(Organization.id).where(
            Organization.name == "重庆渝北宜居住房租赁有限公司")).scalar_one()
    assert http3.get(f"/api/v1/organization/{yubei}", headers=headers3).status_code == 404
    assert http3.put(f"/api/v1/organization/{yubei}", json={"name": "x"}, headers=headers3).status_code in (401, 403, 404)
