"""红黑名单 and 信用修复 pages, as their users use them: gov_admin proposes, the reviewer decides,
the enterprise objects and applies for repair; every refusal shows its Chinese message; an
enterprise never reaches another's entries, nor its own before the decision."""
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.core.mixins import now
from app.credit import services
from app.credit.models import CreditListEntry, CreditRepair, DecisionStatus, ListStatus, ListType
from app.extensions import db
from tests.accounts.helpers import real_pdf
from tests.credit.helpers import new_enterprise, org, user

# Data steps run in an app context of their own and hand back plain values: a test's requests
# run outside it (each signs in afresh).


# --- steps -------------------------------------------------------------------------------------

def clear_open(org_id, list_type=ListType.BLACK):
    """End the enterprise's open entry on that list (left by another test or the demo data)."""
    for _ in range(5):
        entry = services.open_entry(org_id, list_type)
        if entry is None:
            return
        if entry.status == ListStatus.PROPOSED:
            services.transition(entry, "reject", user("reviewer"), "测试清理")
        elif entry.status == ListStatus.OBJECTED:
            services.act(entry, "withdraw", user("reviewer"), "测试清理")
        else:
            services.transition(entry, "cancel", user("gov_admin"), "测试清理")
        db.session.commit()


def _plain(entry):
    return SimpleNamespace(id=entry.id, number=entry.number, org_id=entry.org_id, valid_from=entry.valid_from,
                           publicity_until=entry.publicity_until)


def _org_id(key):
    return org(key).id if isinstance(key, str) else key


def _propose(org_id, list_type, moment, reason):
    clear_open(org_id, list_type)
    entry = services.propose_list_entry(user("gov_admin"), {"org_id": org_id, "list_type": list_type,
                                                            "reason": reason}, moment=moment)
    db.session.commit()
    return entry


def _approve(entry, moment):
    services.transition(entry, "approve", user("reviewer"), moment=moment)
    db.session.commit()


def _take_effect(entry):
    services.transition(entry, "take_effect", None, moment=entry.publicity_until)
    db.session.commit()


def proposed(app, who, list_type=ListType.BLACK, moment=None, reason="一年内三次严重违规，信用等级为C"):
    with app.app_context():
        return _plain(_propose(_org_id(who), list_type, moment, reason))


def in_publicity(app, who, list_type=ListType.BLACK, moment=None):
    with app.app_context():
        entry = _propose(_org_id(who), list_type, moment, "一年内三次严重违规，信用等级为C")
        _approve(entry, moment)
        return _plain(entry)


def in_effect(app, who, list_type=ListType.BLACK, moment=None):
    with app.app_context():
        entry = _propose(_org_id(who), list_type, moment, "一年内三次严重违规，信用等级为C")
        _approve(entry, moment)
        _take_effect(entry)
        return _plain(entry)


def enterprise(app, name=None):
    with app.app_context():
        o = new_enterprise(name=name)
        return SimpleNamespace(id=o.id, name=o.name)


def apply_repair(app, entry_id, statement="已整改"):
    with app.app_context():
        repair = services.apply_repair(db.session.get(CreditListEntry, entry_id), user("ent_a"), statement)
        db.session.commit()
        return SimpleNamespace(id=repair.id, number=repair.number)


def long_ago(days=200):
    return now() - timedelta(days=days)


def page(c, url):
    resp = c.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.get_data(as_text=True)


def status_of(app, entry_id):
    with app.app_context():
        return db.session.get(CreditListEntry, entry_id).status


# --- the list ----------------------------------------------------------------------------------

def test_the_list_reads_in_chinese_with_its_columns_and_search(app, login):
    ent = enterprise(app, name="名单列表测试物业有限公司")
    reason = "一年内三次严重违规且拒不整改，信用等级降为C级"
    entry = proposed(app, ent.id, reason=reason)
    c = login("gov_admin")
    html = page(c, "/credit/lists/list/")
    for text in ("红黑名单", "名单编号", "企业", "名单类型", "列入", "状态", "来源", "公示截止", "有效期起",
                 "有效期至", entry.number, "黑名单", "待审核", "人工", "提出红黑名单"):
        assert text in html, text
    assert reason[:20] + "…" in html                     # the reason, shortened
    # The inline search: number, enterprise, list type, status and a day range of 有效期至.
    for box in (r"_flt_\d+_number", "_flt_0_org", "_flt_0_list_type", "_flt_0_status", r"_flt_\d+_valid_until"):
        assert re.search(f'name="{box}"', html), box
    assert entry.number in page(c, "/credit/lists/list/?_flt_0_org=名单列表测试")
    assert entry.number not in page(c, "/credit/lists/list/?_flt_0_org=名单列表测试&_flt_0_list_type=red")
    assert entry.number not in page(c, "/credit/lists/list/?_flt_0_org=%25")     # a wildcard is a character


def test_helpdesk_and_public_users_cannot_open_the_lists(app, login):
    for username in ("helpdesk", "public1", "pm_a"):
        c = login(username)
        for url in ("/credit/lists/list/", "/credit/repairs/list/", "/credit/lists/propose"):
            assert c.get(url).status_code in (302, 403), (username, url)


# --- proposals and decisions -------------------------------------------------------------------

def test_gov_admin_proposes_with_the_form_and_the_reviewer_approves(app, login):
    ent = enterprise(app, name="名单提出测试物业有限公司")
    with app.app_context():
        rule = services.current_rule("WY-K-005")
        rule_id, rule_version = rule.id, rule.version
    c = login("gov_admin")
    html = page(c, "/credit/lists/propose")
    assert "提出红黑名单" in html and "依据的记分标准" in html and "认定依据" in html
    assert 'name="valid_months" value="12"' in html            # 黑名单 12 months by default
    assert "黑名单 6 至 36 个月，默认 12 个月；红名单默认 12 个月。" in html
    html = page(c, "/credit/lists/propose?q=名单提出测试")
    assert f'<option value="{ent.id}"' in html and ent.name in html
    form = {"org_id": str(ent.id), "list_type": "black", "reason": "长期拖欠维修资金，经查属实", "basis": "记分记录",
            "valid_months": "12", "rule_id": str(rule_id)}
    resp = c.form("/credit/lists/propose", form, get_url="/credit/lists/propose")
    assert resp.status_code == 302
    with app.app_context():
        entry = _plain(db.session.execute(select(CreditListEntry).where(CreditListEntry.org_id == ent.id))
                       .scalars().one())
    assert resp.headers["Location"].endswith(f"/credit/lists/show/{entry.id}")
    html = page(c, f"/credit/lists/show/{entry.id}")
    assert f"名单申请 {entry.number} 已提交审核。" in html
    assert "长期拖欠维修资金，经查属实" in html and f"WY-K-005 v{rule_version}" in html and "待审核" in html
    assert 'id="btn-approve"' not in html                      # the administrator does not decide

    r = login("reviewer")
    show = f"/credit/lists/show/{entry.id}"
    html = page(r, show)
    assert 'id="btn-approve"' in html and 'id="btn-reject"' in html and 'id="btn-cancel"' not in html
    resp = r.form(f"/credit/lists/act/{entry.id}", {"action": "reject"}, get_url=show)
    assert resp.status_code == 302 and "请填写原因。" in page(r, show)
    r.form(f"/credit/lists/act/{entry.id}", {"action": "approve"}, get_url=show)
    html = page(r, show)
    assert "已完成：审核通过。" in html and status_of(app, entry.id) == ListStatus.PUBLICITY
    # The history: 提出 and 审核通过, with the states.
    history = html[html.index('id="list-history"'):]
    assert "提出" in history and "审核通过" in history and "公示中" in history


def test_proposal_refusals_keep_the_form_with_the_chinese_reason(app, login):
    ent = enterprise(app)
    c = login("gov_admin")
    base = {"org_id": str(ent.id), "list_type": "black", "reason": "多次违规", "valid_months": "12"}
    cases = [
        ({"reason": ""}, "请填写列入原因。"),
        ({"valid_months": "3"}, "有效期须在 6 至 36 个月之间。"),
        ({"valid_months": "十二"}, "有效期须为整"),
        ({"org_id": ""}, "请选择企业。"),
        ({"list_type": "grey"}, "请选择红名单或黑名单。"),
    ]
    for change, message in cases:
        resp = c.form("/credit/lists/propose", {**base, **change}, get_url="/credit/lists/propose")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and message in html, (change, message)
        assert 'id="form-error"' in html and "多次违规" in html or change == {"reason": ""}
    assert c.form("/credit/lists/propose", base, get_url="/credit/lists/propose").status_code == 302
    with app.app_context():
        number = services.open_entry(ent.id, ListType.BLACK).number
    resp = c.form("/credit/lists/propose", base, get_url="/credit/lists/propose")
    html = resp.get_data(as_text=True)
    assert 'id="form-error"' in html and number in html[html.index('id="form-error"'):][:300]


def test_only_the_roles_of_each_step_reach_it(app, login):
    entry = proposed(app, enterprise(app).id)
    show = f"/credit/lists/show/{entry.id}"
    # Proposing is gov_admin's: district staff, the reviewer and enterprises are refused.
    for username in ("district1", "reviewer", "ent_a"):
        assert login(username).get("/credit/lists/propose").status_code == 403, username
    # Decisions are the reviewer's, 注销 the administrator's.
    d = login("district1")
    assert d.form(f"/credit/lists/act/{entry.id}", {"action": "approve"}, get_url=show).status_code == 403
    a = login("gov_admin")
    assert a.form(f"/credit/lists/act/{entry.id}", {"action": "approve"}, get_url=show).status_code == 403
    r = login("reviewer")
    assert r.form(f"/credit/lists/act/{entry.id}", {"action": "cancel", "reason": "x"}, get_url=show).status_code == 403
    # A step no user takes (the job's) is refused with the reason.
    resp = r.form(f"/credit/lists/act/{entry.id}", {"action": "take_effect"}, get_url=show)
    assert resp.status_code == 302 and "未知的操作：take_effect" in page(r, show)
    # A GET never acts.
    assert r.get(f"/credit/lists/act/{entry.id}").status_code == 405
    assert status_of(app, entry.id) == ListStatus.PROPOSED


def test_gov_admin_cancels_an_entry_in_effect_with_a_reason(app, login):
    entry = in_effect(app, enterprise(app).id, moment=long_ago(30))
    show = f"/credit/lists/show/{entry.id}"
    c = login("gov_admin")
    html = page(c, show)
    assert 'id="btn-cancel"' in html and "生效" in html
    c.form(f"/credit/lists/act/{entry.id}", {"action": "cancel", "reason": ""}, get_url=show)
    assert "请填写原因。" in page(c, show)
    c.form(f"/credit/lists/act/{entry.id}", {"action": "cancel", "reason": "整改到位，经研究予以注销"}, get_url=show)
    html = page(c, show)
    assert "已完成：注销。" in html and "已注销" in html and "整改到位，经研究予以注销" in html
    assert status_of(app, entry.id) == ListStatus.CANCELLED


# --- the enterprise: visibility, objection ------------------------------------------------------

def _export_numbers(c, query=""):
    resp = c.get(f"/credit/lists/export/{query}")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    return {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value}


def test_an_enterprise_sees_its_entries_only_once_decided(app, login):
    waiting = proposed(app, "ent_a", ListType.RED)
    c = login("ent_a")
    assert waiting.number not in page(c, "/credit/lists/list/")
    assert c.get(f"/credit/lists/show/{waiting.id}").status_code == 404
    assert c.get("/credit/lists/export/").status_code == 403             # an enterprise reads, not exports
    assert c.get(f"/credit/lists/object/{waiting.id}").status_code == 404
    with app.app_context():
        _approve(db.session.get(CreditListEntry, waiting.id), None)
    assert waiting.number in page(c, "/credit/lists/list/")
    assert c.get(f"/credit/lists/show/{waiting.id}").status_code == 200


def test_another_enterprise_never_reaches_the_entries(app, login):
    entry = in_publicity(app, "ent_a")
    b = login("ent_b")
    assert entry.number not in page(b, "/credit/lists/list/")
    found = page(b, f"/credit/lists/list/?_flt_0_number={entry.number}")
    assert f"/credit/lists/show/{entry.id}" not in found and _list_total(found) == 0
    for url in (f"/credit/lists/show/{entry.id}", f"/credit/lists/object/{entry.id}",
                f"/credit/repairs/apply/{entry.id}", "/credit/lists/show/999999"):
        assert b.get(url).status_code == 404, url
    token = b.token("/credit/lists/list/")
    resp = b.post(f"/credit/lists/object/{entry.id}", data={"reason": "不是我们", "csrf_token": token})
    assert resp.status_code == 404
    assert b.post(f"/credit/lists/act/{entry.id}", data={"action": "approve", "csrf_token": token}).status_code == 403
    # Exports follow the scope: the city's has it, a street's (七星岗, the entry is 渝中区's) has not.
    assert entry.number in _export_numbers(login("gov_admin"))
    assert entry.number in _export_numbers(login("district1"))
    assert entry.number not in _export_numbers(login("street1"))
    assert status_of(app, entry.id) == ListStatus.PUBLICITY


def test_the_enterprise_objects_once_with_reasons_and_files(app, login):
    entry = in_publicity(app, "ent_a")
    show = f"/credit/lists/show/{entry.id}"
    c = login("ent_a")
    html = page(c, show)
    assert 'id="btn-object"' in html and 'id="btn-approve"' not in html
    html = page(c, f"/credit/lists/object/{entry.id}")
    assert "异议理由" in html and "异议材料" in html and "截止前可提出一次异议" in html
    resp = c.form(f"/credit/lists/object/{entry.id}", {"reason": "  "})
    assert resp.status_code == 200 and "请填写原因。" in resp.get_data(as_text=True)
    data = {"reason": "所列违规已于当月整改完毕", "files": (io.BytesIO(real_pdf()), "整改报告.pdf")}
    resp = c.form(f"/credit/lists/object/{entry.id}", data, content_type="multipart/form-data")
    assert resp.status_code == 302
    html = page(c, show)
    assert "已提交，将由审核人员处理。" in html and "异议处理中" in html and "所列违规已于当月整改完毕" in html
    assert "整改报告.pdf" in html and 'id="btn-object"' not in html
    # Once only.
    resp = c.form(f"/credit/lists/object/{entry.id}", {"reason": "再次异议"})
    assert "已对此提出过异议" in resp.get_data(as_text=True)
    # The reviewer keeps the entry (异议不成立): the objection records the decision too.
    r = login("reviewer")
    html = page(r, show)
    assert 'id="btn-uphold"' in html and 'id="btn-withdraw"' in html
    r.form(f"/credit/lists/act/{entry.id}", {"action": "uphold", "reason": "整改不影响认定事实"}, get_url=show)
    html = page(r, show)
    assert status_of(app, entry.id) == ListStatus.PUBLICITY
    assert "异议不成立" in html[html.index('id="objection-status"'):][:200]
    assert "整改不影响认定事实" in html
    assert 'id="btn-object"' not in page(c, show)              # back in publicity, objected once


def test_the_objection_window_closes_with_the_publicity(app, login):
    entry = in_publicity(app, "ent_a", moment=long_ago(40))
    c = login("ent_a")
    assert 'id="btn-object"' in page(c, f"/credit/lists/show/{entry.id}")    # still 公示中 until the job
    resp = c.form(f"/credit/lists/object/{entry.id}", {"reason": "迟到的异议"})
    until = entry.publicity_until.strftime("%Y-%m-%d %H:%M")
    assert f"公示已于 {until} 结束，不再受理异议。" in resp.get_data(as_text=True)


# --- 信用修复 ----------------------------------------------------------------------------------------

def _repairs_of(app, entry_id):
    with app.app_context():
        return [SimpleNamespace(id=r.id, number=r.number, status=r.status) for r in db.session.execute(
            select(CreditRepair).where(CreditRepair.entry_id == entry_id)).scalars()]


def test_repair_is_refused_with_a_chinese_reason_when_not_yet_allowed(app, login):
    entry = in_effect(app, "ent_a", moment=long_ago(20))
    show = f"/credit/lists/show/{entry.id}"
    c = login("ent_a")
    html = page(c, show)
    day = (entry.valid_from + timedelta(days=90)).strftime("%Y-%m-%d")
    message = f"名单生效满 90 天后方可申请信用修复，即自 {day} 起。"
    assert message in html and 'id="btn-apply-repair"' not in html
    resp = c.get(f"/credit/repairs/apply/{entry.id}")
    assert resp.status_code == 302 and message in page(c, show)
    resp = c.form(f"/credit/repairs/apply/{entry.id}", {"statement": "已整改"}, get_url=show)
    assert message in resp.get_data(as_text=True)
    assert _repairs_of(app, entry.id) == []


def test_no_repair_button_for_a_red_list_or_for_staff(app, login):
    red = in_effect(app, "ent_a", ListType.RED, moment=long_ago(200))
    html = page(login("ent_a"), f"/credit/lists/show/{red.id}")
    assert 'id="btn-apply-repair"' not in html and 'id="repair-refusal"' not in html
    black = in_effect(app, enterprise(app).id, moment=long_ago(200))
    c = login("gov_admin")
    assert 'id="btn-apply-repair"' not in page(c, f"/credit/lists/show/{black.id}")
    assert c.get(f"/credit/repairs/apply/{black.id}").status_code == 403


def test_the_enterprise_applies_for_repair_and_the_reviewer_decides(app, login):
    entry = in_effect(app, "ent_a", moment=long_ago(200))
    show = f"/credit/lists/show/{entry.id}"
    c = login("ent_a")
    assert 'id="btn-apply-repair"' in page(c, show)
    html = page(c, f"/credit/repairs/apply/{entry.id}")
    assert "申请信用修复" in html and "整改情况" in html and "整改证明材料" in html
    resp = c.form(f"/credit/repairs/apply/{entry.id}", {"statement": ""})
    assert resp.status_code == 200 and "请填写整改情况。" in resp.get_data(as_text=True)
    data = {"statement": "已完成全部整改并通过复查", "files": (io.BytesIO(real_pdf()), "复查意见.pdf")}
    resp = c.form(f"/credit/repairs/apply/{entry.id}", data, content_type="multipart/form-data")
    assert resp.status_code == 302
    [repair] = _repairs_of(app, entry.id)
    repair_show = f"/credit/repairs/show/{repair.id}"
    html = page(c, repair_show)
    assert f"信用修复申请 {repair.number} 已提交审核。" in html and "复查意见.pdf" in html and "待审核" in html
    assert 'id="btn-approve"' not in html
    # A second application waits for the first.
    html = page(c, show)
    assert f"信用修复申请 {repair.number} 正在等待审核。" in html and repair.number in html
    assert repair.number in page(c, "/credit/repairs/list/")

    r = login("reviewer")
    assert repair.number in page(r, "/credit/repairs/list/?_flt_0_status=pending")
    html = page(r, repair_show)
    assert 'id="btn-approve"' in html and 'id="btn-reject"' in html
    r.form(f"/credit/repairs/decide/{repair.id}", {"action": "reject", "reason": ""}, get_url=repair_show)
    assert "请填写原因。" in page(r, repair_show)
    r.form(f"/credit/repairs/decide/{repair.id}", {"action": "approve", "reason": "整改到位"}, get_url=repair_show)
    html = page(r, repair_show)
    assert "已完成：信用修复" in html and "审核通过" in html[html.index('id="repair-status"'):][:100]
    assert status_of(app, entry.id) == ListStatus.REPAIRED
    html = page(c, show)
    assert "已信用修复" in html and repair.number in html       # the entry shows its repair
    # Decided once.
    r.form(f"/credit/repairs/decide/{repair.id}", {"action": "reject", "reason": "x"}, get_url=repair_show)
    assert "该信用修复申请已处理。" in page(r, repair_show)


def test_repairs_stay_inside_the_enterprise_and_the_deciders(app, login):
    entry = in_effect(app, "ent_a", moment=long_ago(200))
    repair = apply_repair(app, entry.id)
    b = login("ent_b")
    assert repair.number not in page(b, "/credit/repairs/list/")
    assert b.get(f"/credit/repairs/show/{repair.id}").status_code == 404
    decide = f"/credit/repairs/decide/{repair.id}"
    assert b.form(decide, {"action": "approve"}, get_url="/credit/repairs/list/").status_code == 403
    # The enterprise cannot decide its own application; the district may read, not decide.
    assert login("ent_a").form(decide, {"action": "approve"}, get_url="/credit/repairs/list/").status_code == 403
    d = login("district1")
    assert 'id="btn-approve"' not in page(d, f"/credit/repairs/show/{repair.id}")
    assert d.form(decide, {"action": "approve"}, get_url="/credit/repairs/list/").status_code == 403
    assert [r.status for r in _repairs_of(app, entry.id)] == [DecisionStatus.PENDING]


# --- 待办 -----------------------------------------------------------------------------------------

def _todos(html):
    return {m.group(1): (int(m.group(2)), m.group(3).replace("&amp;", "&"))
            for m in re.finditer(r'<a id="(home-[\w-]+)" data-count="(\d+)"[^>]*?href="([^"]+)"', html, re.S)}


def _list_total(html):
    m = re.search(r"共\s*([\d,]+)\s*条", html)
    return int(m.group(1).replace(",", "")) if m else None


@pytest.mark.parametrize("username", ["reviewer", "ent_a"])
def test_the_home_page_counts_what_waits_and_links_to_exactly_those_rows(app, login, username):
    in_publicity(app, "ent_a", ListType.RED)
    proposed(app, enterprise(app).id)
    apply_repair(app, in_effect(app, "ent_a", moment=long_ago(200)).id)
    c = login(username)
    todos = {k: v for k, v in _todos(page(c, "/")).items() if k.startswith("home-credit-list-")
             or k.startswith("home-credit-repair-")}
    assert len(todos) == {"reviewer": 2, "ent_a": 1}[username], todos
    for element, (count, href) in todos.items():
        assert count >= 1, element
        assert _list_total(page(c, href)) == count, (element, href)


# --- basis and export -------------------------------------------------------------------------------

def test_the_entry_links_the_records_it_rests_on_and_exports_its_whole_reason(app, login):
    reason = "一年内因擅自撤离物业管理区域被记分两次，且未按要求整改，信用等级为C级，依规列入黑名单"
    with app.app_context():
        ent = new_enterprise()
        rule = services.current_rule("WY-K-006")
        record = services.propose_record(user("district1"), {
            "org_id": ent.id, "rule_id": rule.id, "score": rule.suggested_score, "facts": "擅自撤离，停止服务",
            "event_date": (now().date() - timedelta(days=2)).isoformat()})
        services.transition(record, "approve", user("reviewer"))
        services.transition(record, "take_effect", None, moment=record.publicity_until)
        entry = services.propose_list_entry(user("gov_admin"), {
            "org_id": ent.id, "list_type": ListType.BLACK, "reason": reason, "basis": "记分记录两条",
            "record_ids": [record.id], "rule_id": rule.id})
        db.session.commit()
        record_id, record_number, entry_id, entry_number = record.id, record.number, entry.id, entry.number
    c = login("gov_admin")
    html = page(c, f"/credit/lists/show/{entry_id}")
    assert f'href="/credit/records/show/{record_id}"' in html and record_number in html
    assert "认定依据" in html and "记分记录两条" in html and "WY-K-006" in html
    resp = c.get(f"/credit/lists/export/?_flt_0_number={entry_number}")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert reason in cells and entry_number in cells and "黑名单" in cells and "待审核" in cells


def test_every_page_reads_in_chinese(app, login):
    from tests.core.test_zh_everywhere import english_words

    published = in_publicity(app, "ent_a", ListType.RED)
    black = in_effect(app, "ent_a", moment=long_ago(200))
    repair = apply_repair(app, black.id)
    pages = {
        "gov_admin": ["/credit/lists/list/", f"/credit/lists/show/{black.id}", "/credit/lists/propose",
                      "/credit/lists/propose?q=重庆", "/credit/repairs/list/", f"/credit/repairs/show/{repair.id}"],
        "reviewer": [f"/credit/lists/show/{published.id}", f"/credit/repairs/show/{repair.id}"],
        "ent_a": ["/credit/lists/list/", f"/credit/lists/show/{published.id}", f"/credit/lists/object/{published.id}",
                  f"/credit/lists/show/{black.id}", "/credit/repairs/list/", f"/credit/repairs/show/{repair.id}"],
    }
    problems = {}
    for username, urls in pages.items():
        c = login(username)
        for url in urls:
            words = english_words(page(c, url))
            if words:
                problems[(username, url)] = words
    assert not problems, problems


def test_the_propose_button_is_decided_per_user(app, login):
    """The button is checked when the page renders, for the user who asks (a permission filter
    with constant arguments would be folded once, at compile time, for everyone)."""
    for username, shown in (("reviewer", False), ("gov_admin", True), ("analyst", False), ("gov_admin", True)):
        html = login(username).get("/credit/lists/list/").get_data(as_text=True)
        assert ('id="btn-propose-list"' in html) is shown, username


def test_an_objection_to_a_list_entry_opens_for_the_reviewer(app, login):
    """异议处理 shows objections to list entries too (the entry has no files of its own)."""
    from datetime import datetime

    from app.credit import services
    from app.extensions import db
    from tests.credit.helpers import new_enterprise, user

    with app.test_request_context("/"):
        ent, ent_admin = new_enterprise(admin=True)
        entry = services.propose_list_entry(user("gov_admin"), {"org_id": ent.id, "list_type": "black",
                                                                "reason": "异议页面测试"})
        services.transition(entry, "approve", user("reviewer"))
        objection = services.object_to(entry, ent_admin, "列入依据不实")
        db.session.commit()
        pk, entry_id = objection.id, entry.id
        db.session.remove()
    resp = login("reviewer").get(f"/credit/objections/show/{pk}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "列入依据不实" in html and f"/credit/lists/show/{entry_id}" in html
    assert 'id="btn-accept"' in html and 'id="btn-reject"' in html
