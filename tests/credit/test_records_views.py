"""信用记录, 记分申请 and 异议 through the real pages: district staff apply with a PDF, the
reviewer finds it on the home page and approves, the record takes effect and the enterprise's
credit page shows the new score; returns, changes and resubmission; the enterprise's objection
and the reviewer's decision; every refusal in Chinese; and what lies outside a user's reach
(ent_b and ent_a's records, a district and another district's enterprise, a street and its
district's records, the helpdesk and records, an enterprise and a record under review)."""
import html as htmllib
import io
import re
from datetime import date, datetime, timedelta

import openpyxl
from sqlalchemy import select

from app.extensions import db
from tests.credit import helpers as h

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
EVENT_DAY = (date.today() - timedelta(days=10)).isoformat()


def zh(app, msgid, **values):
    """The catalog's Chinese for a message the credit services share with other screens (its
    wording is the catalog's to choose; that this page shows exactly it is ours to check)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh"):
        text = gettext(msgid, **values)
    assert text != msgid % values if values else text != msgid, msgid
    return text


def rule_id(app, code="WY-K-005"):
    with app.app_context():
        return h.rule(code).id


def propose_form(c, org_id, rule, score="", facts="物业服务未达到合同约定标准，现场核查属实", event_date=EVENT_DAY,
                 files=None, follow=True):
    data = {"org_id": str(org_id), "rule_id": str(rule), "score": str(score), "event_date": event_date,
            "facts": facts}
    if files:
        data["files"] = files
    return c.form("/credit/records/propose", data, get_url="/credit/records/propose",
                  content_type="multipart/form-data", follow_redirects=follow)


def act(c, pk, action, reason=None, follow=True):
    data = {"action": action}
    if reason is not None:
        data["reason"] = reason
    return c.form(f"/credit/records/act/{pk}", data, get_url=f"/credit/records/show/{pk}", follow_redirects=follow)


def record_by_number(app, number):
    from app.credit.models import CreditRecord

    with app.app_context():
        return db.session.execute(select(CreditRecord).where(CreditRecord.number == number)).scalar_one()


def number_in(html):
    m = re.search(r"记分申请 (XY\d+) 已提交审核。", html)
    assert m, re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, flags=re.S)
    return m.group(1)


def todo(html, key):
    """(count, link) of a 待办 card on the home page."""
    m = re.search(rf'id="home-{key}" data-count="(\d+)"[^>]*href="([^"]+)"', html)
    assert m, key
    return int(m.group(1)), htmllib.unescape(m.group(2))


def status_of(html):
    m = re.search(r'id="record-status">([^<]*)<', html)
    return m.group(1) if m else None


def error_of(html):
    m = re.search(r'id="form-error">(.*?)</div>', html, flags=re.S)
    return m.group(1).strip() if m else None


def approved_record(app, org="ent_a", code="WY-K-005", moment=None, proposer="district1"):
    """A record about ``org`` approved by the reviewer (in publicity from ``moment``)."""
    from app.credit import services

    with app.app_context():
        org_id = h.org(org).id if isinstance(org, str) else org
        record = h.propose(org_id, code=code, proposer=proposer, moment=moment)
        services.transition(record, "approve", h.user("reviewer"), moment=moment)
        db.session.commit()
        return record.id, record.number


# --- the whole path ------------------------------------------------------------------------

def test_propose_approve_take_effect_and_the_score_page(app, login):
    with app.app_context():
        org = h.new_enterprise()
        org_id, org_name = org.id, org.name
    district = login("district1")
    html = district.get(f"/credit/records/propose?q={org_name[-12:]}").get_data(as_text=True)
    assert "记分申请" in html and "查找企业" in html and "事实描述" in html and "证据材料" in html
    assert org_name in html and "WY-K-005" in html and "范围 2–10" in html
    assert "WY-K-003" not in html          # system scoring is not applied for by hand
    html = propose_form(district, org_id, rule_id(app), score=6,
                        files=[(io.BytesIO(PDF), "现场照片说明.pdf"), (io.BytesIO(PDF), "整改通知书.pdf")]
                        ).get_data(as_text=True)
    number = number_in(html)
    assert status_of(html) == "待审核" and "现场照片说明.pdf" in html and "整改通知书.pdf" in html
    assert "−6" in html and "WY-K-005 v1" in html and "渝中区管理员" in html
    record = record_by_number(app, number)
    assert (record.score, record.status, record.region_code) == (6, "review", "500103")

    reviewer = login("reviewer")
    count, link = todo(reviewer.get("/").get_data(as_text=True), "credit-review")
    assert count >= 1 and "_flt_0_status=review" in link
    listed = reviewer.get(link).get_data(as_text=True)
    assert number in listed and "已退回" not in re.sub(r"<select.*?</select>", "", listed, flags=re.S)
    html = reviewer.get(f"/credit/records/show/{record.id}").get_data(as_text=True)
    for button in ("btn-approve", "btn-return", "btn-reject"):
        assert f'id="{button}"' in html
    assert 'id="btn-revoke"' not in html
    html = act(reviewer, record.id, "approve").get_data(as_text=True)
    assert "已完成：审核通过。" in html and status_of(html) == "公示中"
    assert re.search(r"审核通过</td><td>待审核</td>\s*<td>公示中</td><td>审核员</td>", html)

    from app.credit import services
    from app.credit.models import CreditRecord

    with app.app_context():
        rec = db.session.get(CreditRecord, record.id)
        services.transition(rec, "take_effect", None, moment=rec.publicity_until)
        db.session.commit()
    admin = login("gov_admin")
    html = admin.get(f"/credit/records/show/{record.id}").get_data(as_text=True)
    assert status_of(html) == "生效" and 'id="btn-revoke"' in html and "有效期至" in html
    html = admin.get(f"/credit/scores/show/{org_id}").get_data(as_text=True)
    assert re.search(r'id="score-value">54<', html) and re.search(r'id="score-level">C<', html)
    assert f'href="/credit/records/show/{record.id}">{number}</a>' in html and 'id="score-chart"' in html
    assert zh(app, "First credit score") in html
    html = admin.get(f"/credit/scores/list/?_flt_0_org={org_name}").get_data(as_text=True)
    assert org_name in html and ">54<" in html

    # Handlers are people: district staff see the reviewer's name masked in the history.
    html = district.get(f"/credit/records/show/{record.id}").get_data(as_text=True)
    assert "<td>审*员</td>" in html and "<td>审核员</td>" not in html and 'id="btn-revoke"' not in html
    # gov_admin revokes it with a reason; the score goes back.
    html = act(admin, record.id, "revoke").get_data(as_text=True)
    assert "请填写原因。" in html and status_of(html) == "生效"
    html = act(admin, record.id, "revoke", "经复查，事实认定有误").get_data(as_text=True)
    assert "已完成：撤销。" in html and status_of(html) == "已撤销" and "经复查，事实认定有误" in html
    html = admin.get(f"/credit/scores/show/{org_id}").get_data(as_text=True)
    assert re.search(r'id="score-value">60<', html) and f"信用记录 {number}：撤销" in html


# --- returns, changes, termination -----------------------------------------------------------

def test_return_change_resubmit_and_terminate(app, login):
    with app.app_context():
        org_id = h.new_enterprise().id
    district, reviewer = login("district1"), login("reviewer")
    number = number_in(propose_form(district, org_id, rule_id(app), score=5).get_data(as_text=True))
    pk = record_by_number(app, number).id
    html = act(reviewer, pk, "return").get_data(as_text=True)
    assert "请填写原因。" in html and status_of(html) == "待审核"
    html = act(reviewer, pk, "return", "请补充现场照片").get_data(as_text=True)
    assert "已完成：退回。" in html and status_of(html) == "已退回" and "请补充现场照片" in html

    count, link = todo(district.get("/").get_data(as_text=True), "credit-returned")
    assert count >= 1 and "_flt_0_status=returned" in link and "applicant_id=y" in link
    assert number in district.get(link).get_data(as_text=True)
    html = district.get(f"/credit/records/show/{pk}").get_data(as_text=True)
    assert 'id="btn-amend"' in html and 'id="btn-terminate"' in html and 'id="btn-resubmit"' not in html
    html = district.get(f"/credit/records/amend/{pk}").get_data(as_text=True)
    assert "退回原因：请补充现场照片" in html and "物业服务未达到合同约定标准，现场核查属实" in html
    amend = f"/credit/records/amend/{pk}"
    data = {"rule_id": str(rule_id(app)), "score": "12", "event_date": EVENT_DAY, "facts": "补充：现场照片已附"}
    html = district.form(amend, data, get_url=amend, follow_redirects=True).get_data(as_text=True)
    assert error_of(html) == "记分标准 WY-K-005 的分值须在 2 至 10 之间。" and "补充：现场照片已附" in html
    data["score"] = "7"
    data["files"] = (io.BytesIO(PDF), "现场照片.pdf")
    html = district.form(amend, data, get_url=amend, content_type="multipart/form-data",
                         follow_redirects=True).get_data(as_text=True)
    assert "记分申请已重新提交。" in html and status_of(html) == "待审核" and "−7" in html and "现场照片.pdf" in html
    assert "重新提交" in html                                   # the history row
    # Someone else's application, or one that is not returned, cannot be changed.
    html = district.get(amend, follow_redirects=True).get_data(as_text=True)
    assert "只有已退回的记分申请可以修改。" in html
    html = login("gov_admin").get(amend, follow_redirects=True).get_data(as_text=True)
    assert "只有申请人可以执行此操作。" in html

    act(reviewer, pk, "return", "仍需补充")
    html = act(district, pk, "terminate").get_data(as_text=True)
    assert zh(app, "Done: %(action)s.", action=zh(app, "Terminate")) in html and status_of(html) == "已终止"
    html = act(reviewer, pk, "approve").get_data(as_text=True)
    assert zh(app, "A record that is %(status)s cannot be %(action)s.", status=zh(app, "Terminated"),
              action=zh(app, "Approve")) in html


def test_refusals_are_shown_in_chinese_and_the_form_is_kept(app, login):
    with app.app_context():
        org_id = h.new_enterprise().id
        ent_c = h.org("ent_c")
        ent_c_id, ent_c_name = ent_c.id, ent_c.name
    district = login("district1")
    cases = [
        ({"score": 11}, "记分标准 WY-K-005 的分值须在 2 至 10 之间。"),
        ({"score": "五"}, "分值须为整数。"),
        ({"event_date": (date.today() + timedelta(days=1)).isoformat()}, "事件日期不能晚于今天。"),
        ({"event_date": "去年"}, "事件日期须为日期，例如 2026-05-01。"),
        ({"facts": "  "}, "请填写事实描述。"),
        ({"rule": ""}, "请选择记分标准。"),
        ({"rule": rule_id(app, "WY-K-003")}, "记分标准 WY-K-003 仅用于系统记分。"),
        ({"org_id": ""}, "请选择企业。"),
    ]
    for change, message in cases:
        kwargs = {"score": 5, "facts": "保留的事实描述"}
        kwargs.update(change)
        target = kwargs.pop("org_id", org_id)
        rule = kwargs.pop("rule", rule_id(app))
        html = propose_form(district, target, rule, **kwargs).get_data(as_text=True)
        assert error_of(html) == message, (change, error_of(html))
        if "facts" not in change:
            assert "保留的事实描述" in html
    # Another district's enterprise: not offered, and refused when sent anyway.
    html = district.get("/credit/records/propose?q=渝北").get_data(as_text=True)
    assert ent_c_name not in html and 'id="no-enterprise"' in html
    html = propose_form(district, ent_c_id, rule_id(app), score=5).get_data(as_text=True)
    assert error_of(html) == zh(app, "Enterprise %(name)s is outside your region.", name=ent_c_name)
    # Roles that do not apply for scoring never reach the form.
    for username in ("reviewer", "ent_a", "helpdesk", "analyst"):
        assert login(username).get("/credit/records/propose").status_code in (302, 403), username
    # 记分申请 on the list, for those who may apply (each user's own answer, whoever came first).
    assert 'id="btn-propose"' in district.get("/credit/records/list/").get_data(as_text=True)
    assert 'id="btn-propose"' not in login("reviewer").get("/credit/records/list/").get_data(as_text=True)


# --- objections -----------------------------------------------------------------------------

def test_enterprise_objects_and_the_reviewer_decides(app, login):
    kept_id, kept_number = approved_record(app)
    gone_id, gone_number = approved_record(app)
    ent = login("ent_a")
    html = ent.get(f"/credit/records/show/{kept_id}").get_data(as_text=True)
    assert status_of(html) == "公示中" and 'id="btn-object"' in html and "异议受理截止" in html
    assert not re.search(r'id="btn-(approve|revoke|uphold|withdraw)"', html)
    url = f"/credit/records/object/{kept_id}"
    html = ent.get(url).get_data(as_text=True)
    assert f"对信用记录 {kept_number} 提出异议" in html and "异议理由" in html and "异议材料" in html
    html = ent.form(url, {"reason": " "}, get_url=url, follow_redirects=True).get_data(as_text=True)
    assert error_of(html) == "请填写原因。"
    html = ent.form(url, {"reason": "已于当日完成整改，附整改报告", "files": (io.BytesIO(PDF), "整改报告.pdf")},
                    get_url=url, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    m = re.search(r"异议 (YY\d+) 已提交，将由审核人员处理。", html)
    assert m and status_of(html) == "异议处理中" and "整改报告.pdf" in html and 'id="btn-object"' not in html
    objection_number = m.group(1)

    reviewer = login("reviewer")
    count, link = todo(reviewer.get("/").get_data(as_text=True), "credit-objections")
    assert count >= 1 and "/credit/objections/list/" in link
    listed = reviewer.get(link).get_data(as_text=True)
    assert objection_number in listed and f'href="/credit/records/show/{kept_id}">{kept_number}</a>' in listed
    from app.credit.models import CreditObjection

    with app.app_context():
        objection_id = db.session.execute(select(CreditObjection.id).where(
            CreditObjection.number == objection_number)).scalar_one()
    show = f"/credit/objections/show/{objection_id}"
    html = reviewer.get(show).get_data(as_text=True)
    assert "已于当日完成整改，附整改报告" in html and "整改报告.pdf" in html and kept_number in html
    assert "物业服务未达到合同约定标准" in html and 'id="btn-accept"' in html and 'id="btn-reject"' in html
    html = reviewer.form(f"/credit/objections/decide/{objection_id}", {"decision": "reject", "reason": ""},
                         get_url=show, follow_redirects=True).get_data(as_text=True)
    assert "请填写原因。" in html and 'id="btn-reject"' in html
    html = reviewer.form(f"/credit/objections/decide/{objection_id}",
                         {"decision": "reject", "reason": "整改不影响违规事实的认定"}, get_url=show,
                         follow_redirects=True).get_data(as_text=True)
    assert "已完成：异议不成立。" in html and "整改不影响违规事实的认定" in html and 'id="btn-reject"' not in html
    html = ent.get(f"/credit/records/show/{kept_id}").get_data(as_text=True)
    assert status_of(html) == "公示中" and "异议不成立" in html and 'id="btn-object"' not in html
    html = ent.form(url, {"reason": "再次异议"}, get_url=url, follow_redirects=True).get_data(as_text=True)
    assert error_of(html) == zh(app, "An objection to this has already been made; only one objection is accepted.")

    # The other record: the reviewer upholds the objection from the record's own page.
    gone_url = f"/credit/records/object/{gone_id}"
    ent.form(gone_url, {"reason": "当事企业并非本公司"}, get_url=gone_url)
    html = reviewer.get(f"/credit/records/show/{gone_id}").get_data(as_text=True)
    assert 'id="btn-uphold"' in html and 'id="btn-withdraw"' in html
    html = act(reviewer, gone_id, "withdraw", "经核实，当事企业有误").get_data(as_text=True)
    assert "已完成：异议成立（撤回）。" in html and status_of(html) == "已撤回" and "异议成立" in html


def test_objection_after_publicity_is_refused(app, login):
    pk, _number = approved_record(app, moment=datetime.now() - timedelta(days=30))
    url = f"/credit/records/object/{pk}"
    html = login("ent_a").form(url, {"reason": "逾期异议"}, get_url=url, follow_redirects=True).get_data(as_text=True)
    assert error_of(html).startswith("公示已于 ") and error_of(html).endswith(" 结束，不再受理异议。")


# --- reach ---------------------------------------------------------------------------------------

def test_an_enterprise_never_sees_a_record_under_review(app, login):
    with app.app_context():
        record = h.propose(h.org("ent_a").id)
        pk, number = record.id, record.number
    ent = login("ent_a")
    assert number not in ent.get("/credit/records/list/").get_data(as_text=True)
    link = f'href="/credit/records/show/{pk}"'
    assert link not in ent.get(f"/credit/records/list/?_flt_0_number={number}").get_data(as_text=True)
    assert link not in ent.get("/credit/records/list/?_flt_0_status=review").get_data(as_text=True)
    assert ent.get(f"/credit/records/show/{pk}").status_code == 404
    assert ent.get(f"/credit/records/object/{pk}").status_code == 404
    token = ent.token("/credit/records/list/")
    assert ent.post(f"/credit/records/object/{pk}", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert ent.post(f"/credit/records/act/{pk}", data={"csrf_token": token, "action": "approve"}).status_code in (
        403, 404)
    act(login("reviewer"), pk, "approve")
    assert number in ent.get("/credit/records/list/").get_data(as_text=True)
    assert ent.get(f"/credit/records/show/{pk}").status_code == 200


def test_ent_b_cannot_reach_ent_a_records(app, login):
    pk, number = approved_record(app)
    other = login("ent_b")
    assert number not in other.get("/credit/records/list/").get_data(as_text=True)
    link = f'href="/credit/records/show/{pk}"'
    assert link not in other.get(f"/credit/records/list/?_flt_0_number={number}").get_data(as_text=True)
    for url in (f"/credit/records/show/{pk}", f"/credit/records/object/{pk}", "/credit/records/show/99999999"):
        assert other.get(url).status_code == 404, url
    token = other.token("/credit/records/list/")
    assert other.post(f"/credit/records/object/{pk}", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert other.post(f"/credit/records/act/{pk}", data={"csrf_token": token, "action": "withdraw",
                                                         "reason": "x"}).status_code in (403, 404)
    assert other.get("/credit/records/export/").status_code in (302, 403)
    # ent_a's own objection is out of ent_b's reach too.
    url = f"/credit/records/object/{pk}"
    login("ent_a").form(url, {"reason": "异议理由"}, get_url=url)
    from app.credit.models import CreditObjection

    with app.app_context():
        objection = db.session.execute(select(CreditObjection).where(
            CreditObjection.subject_type == "record", CreditObjection.subject_id == pk)).scalar_one()
        objection_id, objection_number = objection.id, objection.number
    assert other.get(f"/credit/objections/show/{objection_id}").status_code == 404
    assert objection_number not in other.get("/credit/objections/list/").get_data(as_text=True)
    assert objection_number in login("ent_a").get("/credit/objections/list/").get_data(as_text=True)
    token = other.token("/credit/objections/list/")
    assert other.post(f"/credit/objections/decide/{objection_id}", data={
        "csrf_token": token, "decision": "accept", "reason": "x"}).status_code in (302, 403, 404)


def test_streets_districts_and_the_helpdesk(app, login):
    district_pk, district_number = approved_record(app)              # region 500103
    with app.app_context():
        record = h.propose(h.org("ent_a").id, proposer="street1")      # region 500103001
        street_pk, street_number = record.id, record.number
    street = login("street1")
    listed = street.get("/credit/records/list/").get_data(as_text=True)
    assert street_number in listed and district_number not in listed
    assert street.get(f"/credit/records/show/{district_pk}").status_code == 404
    assert street.get(f"/credit/records/show/{street_pk}").status_code == 200
    listed = login("district1").get("/credit/records/list/").get_data(as_text=True)
    assert street_number in listed and district_number in listed

    helpdesk = login("helpdesk")
    for url in ("/credit/records/list/", f"/credit/records/show/{district_pk}", "/credit/records/export/",
                "/credit/objections/list/"):
        assert helpdesk.get(url).status_code in (302, 403), url


def test_list_search_and_export(app, login):
    pk, number = approved_record(app)
    c = login("gov_admin")
    # the list and its advanced filters (fetched when 高级筛选 is opened)
    html = c.get("/credit/records/list/").get_data(as_text=True) + c.get("/credit/records/advanced/").get_data(
        as_text=True)
    for text in ("信用记录", "记录编号", "企业", "信用规则", "计分类型", "分值", "事件日期", "状态", "来源", "提交时间",
                 "公示截止", "有效期至", "记分申请"):
        assert text in html, text
    assert re.search(r'name="_flt_0_org"', html) and re.search(r'name="_flt_0_status"', html)
    assert 'name="_flt_0_submitted_at"' not in html and re.search(r'name="_flt_\d_submitted_at"', html)
    found = c.get("/credit/records/list/?_flt_0_org=安居物业&_flt_0_status=publicity").get_data(as_text=True)
    assert number in found and "重庆安居物业服务有限公司" in found and "公示中" in found
    assert number not in c.get("/credit/records/list/?_flt_0_org=和居物业").get_data(as_text=True)
    assert number not in c.get("/credit/records/list/?_flt_0_status=effective").get_data(as_text=True)
    resp = c.get(f"/credit/records/export/?_flt_0_number={number}")
    assert resp.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0].values)
    assert rows[0][:5] == ("记录编号", "企业", "信用规则", "计分类型", "分值")
    assert rows[1][0] == number and rows[1][1] == "重庆安居物业服务有限公司" and rows[1][4] == "−5"
    assert rows[1][3] == "扣分" and rows[1][6] == "公示中" and rows[1][7] == "记分申请"
