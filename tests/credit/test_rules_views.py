"""记分标准 pages as gov_admin uses them: the list (current versions unless asked), a standard's
page with its versions, add and edit through FAB's forms (an edit of a standard in use makes
version 2 and the old record keeps version 1), delete while unused only, and the template /
all-or-nothing import / export with real .xlsx files built from the view's own template."""
import io
import itertools
import re
from datetime import date

import openpyxl
from sqlalchemy import func, select

from app.extensions import db
from tests.credit import helpers as h

_seq = itertools.count(1)


def new_code(prefix="T-K"):
    return f"{prefix}-{next(_seq):03d}{date.today():%d}{id(_seq) % 997:03d}"


def rule_data(code, **extra):
    data = {"code": code, "item": "测试计分事项：未按规定公示收费标准", "category": "property", "score_type": "deduction",
            "suggested_score": "3", "min_score": "1", "max_score": "5", "operation": "manual",
            "severity": "general", "validity_months": "12", "effective_from": "2025-01-01", "effective_to": "",
            "enabled": "y", "basis": "测试依据"}
    data.update(extra)
    return data


def add_rule(c, data):
    return c.form("/credit/rules/add", data, get_url="/credit/rules/add", follow_redirects=True)


def versions(app, code):
    from app.credit.models import CreditRule

    with app.app_context():
        return [(r.version, r.is_current, r.suggested_score, r.item) for r in db.session.execute(
            select(CreditRule).where(CreditRule.code == code).order_by(CreditRule.version)).scalars()]


def rule_id(app, code, version=None):
    from app.credit.models import CreditRule

    with app.app_context():
        stmt = select(CreditRule.id).where(CreditRule.code == code)
        stmt = stmt.where(CreditRule.version == version) if version else stmt.where(CreditRule.is_current.is_(True))
        return db.session.execute(stmt).scalar_one()


def flashes(html):
    return re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, flags=re.S)


# --- list and detail ---------------------------------------------------------------------

def test_list_is_chinese_and_shows_current_versions_by_default(app, login):
    c = login("gov_admin")
    resp = c.get("/credit/rules/list/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert re.search(r'<option value="current" selected>仅当前版本</option>', html)
    for text in ("记分标准", "信用规则编号", "版本", "计分事项", "类别", "计分类型", "建议分值", "分值范围", "操作类型",
                 "严重程度", "有效期（月）", "生效日期", "启用", "版本范围", "仅当前版本", "全部版本", "导入", "下载模板", "导出"):
        assert text in html, text
    assert "WY-K-005" in html and "2–10" in html and "人工记分" in html and "物业服务" in html
    assert "WY-K-006" in html and "严重" in html
    assert "Scoring" not in html and "Deduction" not in html


def test_district_reads_but_cannot_write(app, login):
    c = login("district1")
    html = c.get("/credit/rules/list/", follow_redirects=True).get_data(as_text=True)
    assert "WY-K-005" in html and 'id="anju-add"' not in html and 'id="anju-import"' not in html
    for url in ("/credit/rules/add", "/credit/rules/import/", "/credit/rules/template/",
                f"/credit/rules/edit/{rule_id(app, 'WY-K-005')}"):
        assert c.get(url).status_code in (302, 403), url
    for username in ("ent_a", "helpdesk", "public1"):
        assert login(username).get("/credit/rules/list/").status_code in (302, 403), username


# --- add, edit, versions -------------------------------------------------------------------

def test_add_through_the_form_lands_on_the_standard(app, login):
    c = login("gov_admin")
    code = new_code()
    html = add_rule(c, rule_data(code.lower())).get_data(as_text=True)
    assert f"已保存：{code} v1" in html
    assert "记分标准" in html and "第 1 版" in html and "当前版本" in html and "1–5" in html
    assert versions(app, code) == [(1, True, 3, "测试计分事项：未按规定公示收费标准")]
    # The same number again, and a range that does not hold: refused in Chinese, nothing saved.
    html = add_rule(c, rule_data(code)).get_data(as_text=True)
    assert f"信用规则编号 {code} 已存在。" in html
    other = new_code()
    html = add_rule(c, rule_data(other, suggested_score="8")).get_data(as_text=True)
    assert "分值须满足 0 ≤ 最低分值 ≤ 建议分值 ≤ 最高分值 ≤ 1000，且最高分值至少为 1。" in html
    html = add_rule(c, rule_data(other, effective_to="2024-12-31")).get_data(as_text=True)
    assert "失效日期不能早于生效日期。" in html
    assert versions(app, other) == []


def test_edit_unused_in_place_and_used_as_a_new_version(app, login):
    c = login("gov_admin")
    code = new_code()
    add_rule(c, rule_data(code, suggested_score="2"))
    v1 = rule_id(app, code)
    edit = f"/credit/rules/edit/{v1}"
    data = {k: v for k, v in rule_data(code, suggested_score="4").items() if k != "code"}
    html = c.form(edit, data, get_url=edit, follow_redirects=True).get_data(as_text=True)
    assert f"已保存：{code} v1" in html
    assert versions(app, code) == [(1, True, 4, "测试计分事项：未按规定公示收费标准")]

    # A record is scored under version 1; the edit then writes version 2.
    with app.app_context():
        org = h.new_enterprise()
        record = h.propose(org.id, code=code, score=4)
        record_id = record.id
    data = {k: v for k, v in rule_data(code, suggested_score="5", item="测试计分事项（修订）").items() if k != "code"}
    resp = c.form(edit, data, get_url=edit)
    assert resp.status_code == 302
    v2 = rule_id(app, code)
    assert v2 != v1 and resp.headers["Location"].endswith(f"/credit/rules/show/{v2}")
    html = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"已保存：{code} v2" in html and "第 2 版" in html and "测试计分事项（修订）" in html
    assert 'id="rule-versions"' in html and f"/credit/rules/show/{v1}" in html
    assert versions(app, code) == [(1, False, 4, "测试计分事项：未按规定公示收费标准"),
                                   (2, True, 5, "测试计分事项（修订）")]
    from app.credit.models import CreditRecord

    with app.app_context():
        assert db.session.get(CreditRecord, record_id).rule_id == v1
    # The record's page names the version it was scored under.
    html = login("reviewer").get(f"/credit/records/show/{record_id}").get_data(as_text=True)
    assert f"{code} v1" in html
    # Version 1 is history: its page says so and offers no edit; its edit form refuses.
    html = c.get(f"/credit/rules/show/{v1}").get_data(as_text=True)
    assert "这是历史版本" in html and 'id="btn-edit"' not in html
    html = c.form(edit, data, get_url=edit, follow_redirects=True).get_data(as_text=True)
    assert "只能修改记分标准的当前版本。" in html
    # The list shows the current version; 全部 shows both.
    html = c.get(f"/credit/rules/list/?_flt_0_code={code}", follow_redirects=True).get_data(as_text=True)
    assert html.count(f"/credit/rules/show/{v2}") >= 1 and f"/credit/rules/show/{v1}\"" not in html
    html = c.get(f"/credit/rules/list/?_flt_0_code={code}&_flt_0_version=all").get_data(as_text=True)
    assert f"/credit/rules/show/{v1}" in html and f"/credit/rules/show/{v2}" in html


def test_delete_only_while_unused(app, login):
    admin = login("admin")
    code = new_code()
    add_rule(admin, rule_data(code))
    pk = rule_id(app, code)
    html = admin.get(f"/credit/rules/show/{pk}").get_data(as_text=True)
    assert 'id="btn-delete"' in html
    token = admin.token(f"/credit/rules/show/{pk}")
    admin.post(f"/credit/rules/delete/{pk}", data={"csrf_token": token})
    assert versions(app, code) == []

    used = new_code()
    add_rule(admin, rule_data(used))
    pk = rule_id(app, used)
    with app.app_context():
        h.propose(h.new_enterprise().id, code=used)
    html = admin.get(f"/credit/rules/show/{pk}").get_data(as_text=True)
    assert 'id="btn-delete"' not in html and "已被信用记录使用，不能删除；可停用" in html
    token = admin.token(f"/credit/rules/show/{pk}")
    html = admin.post(f"/credit/rules/delete/{pk}", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "已被信用记录使用，不能删除；可停用" in html
    assert len(versions(app, used)) == 1
    # gov_admin maintains standards but deletes none (roles.py grants no delete).
    assert 'id="btn-delete"' not in login("gov_admin").get(f"/credit/rules/show/{pk}").get_data(as_text=True)


# --- template, import, export ------------------------------------------------------------------

def template(c):
    resp = c.get("/credit/rules/template/")
    assert resp.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(resp.data))


def filled(wb, rows):
    """The template with ``rows`` ({header text without '*': value}) typed in from row 2."""
    ws = wb.worksheets[0]
    columns = {str(cell.value).lstrip("*"): cell.column for cell in ws[1] if cell.value}
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            ws.cell(row=r, column=columns[header], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook_row(code, **extra):
    row = {"信用规则编号": code, "计分事项": "导入测试：未按规定设置公示栏", "类别": "物业服务", "计分类型": "扣分",
           "建议分值": 3, "最低分值": 1, "最高分值": 5, "操作类型": "人工记分", "严重程度": "一般", "有效期（月）": 12,
           "生效日期": date(2025, 1, 1), "启用": "是", "依据": "导入测试依据"}
    row.update(extra)
    return row


def upload(c, data):
    return c.form("/credit/rules/import/", {"file": (io.BytesIO(data), "记分标准.xlsx")}, get_url="/credit/rules/import/",
                  content_type="multipart/form-data", follow_redirects=True)


def rule_count(app):
    from app.credit.models import CreditRule

    with app.app_context():
        return db.session.execute(select(func.count(CreditRule.id))).scalar()


def test_template_import_and_export(app, login):
    c = login("gov_admin")
    wb = template(c)
    headers = [str(cell.value) for cell in wb.worksheets[0][1] if cell.value]
    assert headers[:4] == ["*信用规则编号", "*计分事项", "*类别", "*计分类型"] and "启用" in headers
    lists = " ".join(str(dv.formula1) for dv in wb.worksheets[0].data_validations.dataValidation)
    assert "物业服务" in lists or "_lists" in lists

    first, second = new_code("IM"), new_code("IM")
    data = filled(template(c), [workbook_row(first), workbook_row(second, 计分类型="加分", 严重程度="严重",
                                                                   **{"有效期（月）": 36})])
    html = upload(c, data).get_data(as_text=True)
    assert "成功导入2条数据。" in html
    assert versions(app, first) == [(1, True, 3, "导入测试：未按规定设置公示栏")]
    from app.credit.models import CreditRule

    with app.app_context():
        r = db.session.execute(select(CreditRule).where(CreditRule.code == second)).scalar_one()
        assert (r.score_type, r.severity, r.validity_months, r.category, r.enabled) == \
            ("bonus", "serious", 36, "property", True)
        h.propose(h.new_enterprise().id, code=first)

    # Importing a known number changes it; in use, that is version 2 and version 1 stays.
    html = upload(c, filled(template(c), [workbook_row(first, 建议分值=4)])).get_data(as_text=True)
    assert "成功导入1条数据。" in html
    assert [v[:3] for v in versions(app, first)] == [(1, False, 3), (2, True, 4)]

    # A bad workbook: a range that does not hold, an unknown category: nothing is written.
    before = rule_count(app)
    bad = filled(template(c), [workbook_row(new_code("IM")), workbook_row(new_code("IM"), 最低分值=6),
                               workbook_row(new_code("IM"), 类别="餐饮服务")])
    html = upload(c, bad).get_data(as_text=True)
    assert rule_count(app) == before
    assert "未导入任何数据：发现2处问题，请修正后重新上传。" in html
    assert "分值须满足 0 ≤ 最低分值 ≤ 建议分值 ≤ 最高分值 ≤ 1000，且最高分值至少为 1。" in html
    assert "不是可选值，请从以下选项中选择" in html and "餐饮服务" in html

    # Export: the current versions, in the template's columns (it imports again).
    resp = c.get(f"/credit/rules/export/?_flt_0_code={first}&_flt_0_version=current")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    rows = list(ws.values)
    assert rows[0][:3] == ("信用规则编号", "计分事项", "类别")
    assert [r[0] for r in rows[1:]] == [first] and rows[1][2] == "物业服务" and rows[1][4] == 4
    assert login("district1").get("/credit/rules/export/").status_code == 200
    assert login("ent_a").get("/credit/rules/export/").status_code in (302, 403)
