"""企业信息备案 (seed 004) as users meet it: the form with local and non-local required
fields, every refusal in Chinese with the typed values kept, the whole life of a filing
through the reviewer's 业务单 page (file, accept, return, amend, resubmit, approve, the
profile on the detail page), one open filing at a time, terminating, the REST resource,
and who may see which filing (pages, API, guessed ids)."""
import html as htmllib
import io
import itertools
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.workflow import Application
from app.extensions import db
from tests.accounts.helpers import new_credit_code, real_pdf
from tests.complaints.helpers import new_mobile, user
from tests.conftest import DEMO_PASSWORD

_seq = itertools.count(7000)  # fixed: the same names every run

LOCAL = {
    "is_local": "yes", "legal_rep": "赵大力", "legal_rep_mobile": "13911112222", "contact_name": "钱多多",
    "contact_mobile": "13933334444", "registered_capital": "500", "established_on": "2012-05-18",
    "registered_address": "重庆市渝中区解放碑路1号", "office_address": "重庆市渝中区民族路2号",
    "business_scope": "物业管理；停车场服务", "staff_total": "120",
}
NONLOCAL = {
    "is_local": "no", "legal_rep": "孙远方", "contact_name": "李近邻", "contact_mobile": "13955556666",
    "home_region": "四川省成都市", "branch_name": "成都蓉城物业重庆分公司", "branch_manager": "周本地",
    "branch_manager_mobile": "13977778888", "branch_address": "重庆市渝中区中山一路8号",
    "entered_on": "2019-03-01",
}


# --- helpers (also used by test_enterprise_detail.py) -------------------------------------------

def new_enterprise(app, name=None, region="500103", **org_fields):
    """A fresh property company with its own enterprise administrator: (org_id, username)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields

    n = next(_seq)
    name = name or f"重庆备案测试物业{n}有限公司"
    with app.app_context():
        org = Organization(name=name, org_type="enterprise", enterprise_type="property_company",
                           credit_code=new_credit_code(region), region_code=region, active=True, **org_fields)
        db.session.add(org)
        set_tree_fields(org)
        db.session.flush()
        finish_paths([org])
        db.session.commit()
        sm = current_app.appbuilder.sm
        username = f"ent_t{n}"
        sm.add_user(username, f"{name}管理员", "", f"{username}@test.anju.invalid", sm.find_role("ent_admin"),
                    password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1365"), must_change_password=False)
        return org.id, username


def second_admin(app, org_id):
    from flask import current_app

    n = next(_seq)
    with app.app_context():
        sm = current_app.appbuilder.sm
        username = f"ent_s{n}"
        sm.add_user(username, "第二管理员", "", f"{username}@test.anju.invalid", sm.find_role("ent_admin"),
                    password=DEMO_PASSWORD, org_id=org_id, mobile=new_mobile("1366"), must_change_password=False)
        return username


def org_id_of(app, username):
    with app.app_context():
        return user(username).org_id


def filing(app, pk):
    with app.app_context():
        a = db.session.get(Application, pk)
        return a.status, a.reason, dict(a.payload or {}), [e.action for e in a.events]


def post_filing(c, data, url="/enterprise/filing/file", files=None, follow=False):
    token = c.token("/resetmypassword/form")        # the session's CSRF token, from any form
    payload = dict(data)
    payload["csrf_token"] = token
    if files:
        payload["files"] = files
    return c.post(url, data=payload, content_type="multipart/form-data", follow_redirects=follow)


def error_of(resp):
    m = re.search(r'id="form-error">\s*([^<]+?)\s*(?:<|$)', resp.get_data(as_text=True))
    return htmllib.unescape(m.group(1)) if m else None


def file_by_service(app, username, data=None):
    from app.property.enterprise import services as filing_services

    with app.app_context():
        application = filing_services.file_enterprise(user(username), dict(data or LOCAL))
        return application.id, application.number


def decide(app, pk, action, reason=None, username="reviewer"):
    from app.property.enterprise import services as filing_services

    with app.app_context():
        a = db.session.get(Application, pk)
        filing_services.transition_filing(a, action, user(username), reason)


def close_open_filings(app, org_id):
    """Bring any open filing of an enterprise to an end (the session database is shared)."""
    from app.property.enterprise import services as filing_services

    with app.app_context():
        a = filing_services.open_filing(org_id)
        if a is None:
            return
        pk, status, applicant = a.id, a.status, a.applicant.username
    if status == "returned":
        decide(app, pk, "terminate", username=applicant)
    else:
        if status == "submitted":
            decide(app, pk, "accept")
        decide(app, pk, "reject", "测试清理")


# --- the form ---------------------------------------------------------------------------------

def test_form_shows_both_groups_and_prefills_from_the_organisation(app, login):
    org_id, username = new_enterprise(app, legal_rep="郑法人", contact_name="冯联系", contact_mobile="13812345678",
                                      address="重庆市渝中区较场口9号")
    c = login(username)
    page = c.get("/enterprise/filing/").get_data(as_text=True)
    assert "企业信息备案" in page and 'id="not-filed"' in page and "尚未备案" in page
    assert 'id="btn-file"' in page and "暂无备案业务。" in page
    form = c.get("/enterprise/filing/file").get_data(as_text=True)
    for label in ("是否本地企业", "法定代表人", "法定代表人手机", "联系人", "联系电话", "注册资本（万元）", "成立日期",
                  "注册地址", "办公地址", "经营范围", "从业人员总数", "注册所在地", "本地分支机构名称", "本地负责人",
                  "本地负责人手机", "本地办公地址", "进入本市日期", "营业执照等要件"):
        assert label in form, label
    assert 'id="group-nonlocal"' in form and "anju-local-req" in form       # the JS toggles these
    assert 'value="郑法人"' in form and 'value="冯联系"' in form and 'value="13812345678"' in form
    assert form.count('value="重庆市渝中区较场口9号"') == 2                   # registered and office address


def test_local_enterprise_required_fields(app):
    from app.core.errors import DomainError
    from app.property.enterprise.services import clean_filing

    labels = {"legal_rep": "法定代表人", "contact_name": "联系人", "contact_mobile": "联系电话",
              "registered_capital": "注册资本（万元）", "established_on": "成立日期", "registered_address": "注册地址",
              "office_address": "办公地址", "business_scope": "经营范围"}
    with app.test_request_context():
        for key, label in labels.items():
            with pytest.raises(DomainError) as exc:
                clean_filing({**LOCAL, key: "  "})
            assert str(exc.value) == f"{label}：必须填写", key
        # Optional for a local enterprise: the legal representative's mobile and the staff total;
        # the branch fields are dropped.
        payload = clean_filing({**LOCAL, "legal_rep_mobile": "", "staff_total": "", "branch_name": "不该保存"})
        assert payload["legal_rep_mobile"] is None and payload["staff_total"] is None
        assert payload["branch_name"] is None and payload["is_local"] is True
        assert payload["registered_capital"] == "500.00" and payload["established_on"] == "2012-05-18"


def test_nonlocal_enterprise_required_fields(app):
    from app.core.errors import DomainError
    from app.property.enterprise.services import clean_filing

    labels = {"legal_rep": "法定代表人", "contact_name": "联系人", "contact_mobile": "联系电话",
              "home_region": "注册所在地", "branch_name": "本地分支机构名称", "branch_manager": "本地负责人",
              "branch_manager_mobile": "本地负责人手机", "branch_address": "本地办公地址", "entered_on": "进入本市日期"}
    with app.test_request_context():
        for key, label in labels.items():
            with pytest.raises(DomainError) as exc:
                clean_filing({**NONLOCAL, key: ""})
            assert str(exc.value) == f"{label}：必须填写", key
        # The local-only requirements do not apply to a non-local enterprise.
        payload = clean_filing(NONLOCAL)
        assert payload["is_local"] is False and payload["registered_capital"] is None
        assert payload["branch_manager_mobile"] == "13977778888" and payload["entered_on"] == "2019-03-01"


def test_field_checks_name_the_field_in_chinese(app):
    from app.core.errors import DomainError
    from app.property.enterprise.services import clean_filing

    future = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        ({"is_local": ""}, "是否本地企业：请选择“是”或“否”"),
        ({"is_local": "maybe"}, "是否本地企业：请选择“是”或“否”"),
        ({"contact_mobile": "12345"}, "联系电话：请输入以13至19开头的11位中国大陆手机号码"),
        ({"legal_rep_mobile": "1391111"}, "法定代表人手机：请输入以13至19开头的11位中国大陆手机号码"),
        ({"legal_rep": "赵"}, "法定代表人：应为 2 至 30 个汉字或字母"),
        ({"registered_capital": "-5"}, "注册资本（万元）：应为大于 0 的数字，最多两位小数"),
        ({"registered_capital": "0"}, "注册资本（万元）：应为大于 0 的数字，最多两位小数"),
        ({"registered_capital": "1.234"}, "注册资本（万元）：应为大于 0 的数字，最多两位小数"),
        ({"registered_capital": "五百"}, "注册资本（万元）：应为大于 0 的数字，最多两位小数"),
        ({"registered_capital": "1e20"}, "注册资本（万元）：金额过大"),
        ({"established_on": future}, "成立日期：不能晚于今天"),
        ({"established_on": "2020-13-01"}, "成立日期：应为日期，例如 2015-06-30"),
        ({"staff_total": "-1"}, "从业人员总数：应为不小于 0 的整数"),
        ({"staff_total": "3.5"}, "从业人员总数：应为不小于 0 的整数"),
        ({"registered_address": "路" * 256}, "注册地址：最多 255 个字"),
    ]
    with app.test_request_context():
        for change, message in cases:
            with pytest.raises(DomainError) as exc:
                clean_filing({**LOCAL, **change})
            assert str(exc.value) == message, change
        with pytest.raises(DomainError) as exc:
            clean_filing({**NONLOCAL, "established_on": "2020-01-01", "entered_on": "2019-12-31"})
        assert str(exc.value) == "进入本市日期：不能早于成立日期"
        with pytest.raises(DomainError) as exc:
            clean_filing({**NONLOCAL, "entered_on": future})
        assert str(exc.value) == "进入本市日期：不能晚于今天"
        # Full-width digits, 2012/5/18 and +86 numbers are understood.
        payload = clean_filing({**LOCAL, "registered_capital": "１２０.５", "established_on": "2012/5/18",
                                "contact_mobile": "+86 139 3333 4444", "staff_total": "０"})
        assert payload["registered_capital"] == "120.50" and payload["established_on"] == "2012-05-18"
        assert payload["contact_mobile"] == "13933334444" and payload["staff_total"] == 0


def test_form_refusals_keep_what_was_typed(app, login):
    org_id, username = new_enterprise(app)
    c = login(username)
    resp = post_filing(c, {**NONLOCAL, "branch_manager_mobile": "", "branch_name": "保留的分公司名称"})
    assert resp.status_code == 200
    assert error_of(resp) == "本地负责人手机：必须填写"
    page = resp.get_data(as_text=True)
    assert 'value="保留的分公司名称"' in page and 'value="四川省成都市"' in page
    assert re.search(r'id="is_local-no" value="no"\s+checked', page)
    resp = post_filing(c, {**LOCAL, "registered_capital": "abc", "business_scope": "保留的经营范围"})
    assert error_of(resp) == "注册资本（万元）：应为大于 0 的数字，最多两位小数"
    assert "保留的经营范围</textarea>" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Application).where(Application.org_id == org_id)).first() is None


def test_a_bad_file_refuses_the_whole_filing(app, login):
    org_id, username = new_enterprise(app)
    c = login(username)
    resp = post_filing(c, LOCAL, files=[(io.BytesIO(b"<html>not a pdf</html>"), "营业执照.pdf")])
    assert resp.status_code == 200 and "营业执照.pdf" in error_of(resp)
    with app.app_context():
        assert db.session.execute(select(Application).where(Application.org_id == org_id)).first() is None


# --- the whole life -----------------------------------------------------------------------------

def test_full_life_file_return_amend_resubmit_approve(app, login):
    org_id = org_id_of(app, "ent_a")
    close_open_filings(app, org_id)
    ent = login("ent_a")
    resp = post_filing(ent, LOCAL, files=[(io.BytesIO(real_pdf()), "营业执照.pdf")])
    assert resp.status_code == 302, error_of(resp)
    pk = int(re.search(r"/enterprise/filing/show/(\d+)", resp.headers["Location"]).group(1))
    with app.app_context():
        a = db.session.get(Application, pk)
        number = a.number
        assert number.startswith("QB") and a.status == "submitted" and a.app_type == "enterprise_filing"
        assert a.org_id == org_id and a.region_code == "500103"
        assert (a.subject_type, a.subject_id) == ("organization", org_id)
        assert a.title == "重庆安居物业服务有限公司（本地企业）"
    page = ent.get(f"/enterprise/filing/show/{pk}").get_data(as_text=True)
    assert f"企业信息备案 {number} 已提交，等待审核。" in page                # the flash
    assert "已提交" in page and "营业执照.pdf" in page and "500.00" in page and "本地企业" in page
    listing = ent.get("/enterprise/filing/").get_data(as_text=True)
    assert number in listing and 'id="filing-open"' in listing and 'id="btn-file"' not in listing
    file_url = re.search(r'href="(/uploads/[0-9a-f]+)"', page).group(1)
    assert ent.get(file_url).data.startswith(b"%PDF")

    # A second filing while this one is open is refused, with a link to the open one.
    resp = ent.get("/enterprise/filing/file", follow_redirects=True)
    expected = (f"已有一份企业信息备案（{number}，已提交）正在办理中，请等待审核结果；如被退回，请修改后重新提交。")
    assert expected in htmllib.unescape(resp.get_data(as_text=True))
    resp = post_filing(ent, LOCAL)
    assert error_of(resp) == expected
    assert f'href="/enterprise/filing/show/{pk}" id="open-filing-link"' in resp.get_data(as_text=True)

    # The reviewer finds it in 业务单 with the payload's labels, accepts and returns it.
    reviewer = login("reviewer")
    show = f"/applications/show/{pk}"
    rpage = reviewer.get(show).get_data(as_text=True)
    assert "企业信息备案" in rpage and "注册资本（万元）" in rpage and "500.00" in rpage and "经营范围" in rpage
    assert reviewer.get(file_url).status_code == 200
    reviewer.form(f"/applications/decide/{pk}", {"action": "accept"}, get_url=show)
    reviewer.form(f"/applications/decide/{pk}", {"action": "return", "reason": "注册资本与营业执照不一致"},
                  get_url=show)
    assert filing(app, pk)[:2] == ("returned", "注册资本与营业执照不一致")
    with app.app_context():
        from app.core.notices import Notice

        titles = [n.title for n in db.session.execute(select(Notice).where(Notice.org_id == org_id)).scalars()]
        assert f"企业信息备案 {number} 已退回：注册资本与营业执照不一致" in titles

    # The applicant sees the reason, amends in the same form and resubmits.
    page = ent.get(f"/enterprise/filing/show/{pk}").get_data(as_text=True)
    assert "已退回" in page and "注册资本与营业执照不一致" in page and 'id="btn-amend"' in page
    assert 'id="btn-terminate"' in page
    amend = f"/enterprise/filing/amend/{pk}"
    with app.test_request_context():
        from app.core import workflow

        # The workflow engine's "change and resubmit" link leads to the same form.
        assert workflow.get_type("enterprise_filing").edit_url(db.session.get(Application, pk)) == amend
    form = ent.get(amend).get_data(as_text=True)
    assert "退回原因：注册资本与营业执照不一致" in form
    assert 'value="500.00"' in form and 'value="赵大力"' in form
    resp = post_filing(ent, {**LOCAL, "registered_capital": "-1", "office_address": "新办公地址"}, url=amend)
    assert error_of(resp) == "注册资本（万元）：应为大于 0 的数字，最多两位小数"
    assert 'value="新办公地址"' in resp.get_data(as_text=True)
    assert filing(app, pk)[0] == "returned"
    resp = post_filing(ent, {**LOCAL, "registered_capital": "1000", "office_address": "新办公地址"}, url=amend,
                       files=[(io.BytesIO(real_pdf()), "营业执照-新.pdf")])
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/enterprise/filing/show/{pk}")
    status, reason, payload, _events = filing(app, pk)
    assert status == "submitted" and reason is None and payload["registered_capital"] == "1000.00"

    # Accepted and approved: the profile is the approved payload.
    reviewer.form(f"/applications/decide/{pk}", {"action": "accept"}, get_url=show)
    reviewer.form(f"/applications/decide/{pk}", {"action": "approve"}, get_url=show)
    status, _reason, _payload, events = filing(app, pk)
    assert status == "approved"
    assert events == ["create", "submit", "accept", "return", "resubmit", "accept", "approve"]
    with app.app_context():
        from decimal import Decimal

        from app.property.models import EnterpriseProfile

        profile = db.session.execute(select(EnterpriseProfile).where(EnterpriseProfile.org_id == org_id)).scalar_one()
        assert profile.is_local and profile.registered_capital == Decimal("1000.00")
        assert profile.office_address == "新办公地址" and profile.established_on == date(2012, 5, 18)
        assert profile.staff_total == 120 and profile.application_id == pk and profile.filed_at is not None
        filed_on = profile.filed_at.strftime("%Y-%m-%d")
    detail = ent.get("/enterprise/", follow_redirects=True).get_data(as_text=True)
    assert f"已于 {filed_on} 备案" in detail and "1000.00" in detail and "物业管理；停车场服务" in detail
    assert "新办公地址" in detail and 'id="not-filed"' not in detail
    index = ent.get("/enterprise/filing/").get_data(as_text=True)
    assert 'id="filed-profile"' in index and "变更备案信息" in index and "审核通过" in index
    # The change form starts from the filed profile.
    form = ent.get("/enterprise/filing/file").get_data(as_text=True)
    assert 'value="1000.00"' in form and 'value="新办公地址"' in form


def test_nonlocal_filing_by_the_page_is_approved_into_the_profile(app, login):
    org_id, username = new_enterprise(app)
    c = login(username)
    resp = post_filing(c, NONLOCAL)
    assert resp.status_code == 302, error_of(resp)
    pk = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert filing(app, pk)[2]["branch_name"] == "成都蓉城物业重庆分公司"
    decide(app, pk, "accept")
    decide(app, pk, "approve")
    page = login("gov_admin").get(f"/enterprise/{org_id}").get_data(as_text=True)
    assert "外地企业" in page and "成都蓉城物业重庆分公司" in page and "四川省成都市" in page
    assert "2019-03-01" in page
    # The district (without the personal-data permission) sees the local manager masked.
    page = login("district1").get(f"/enterprise/{org_id}").get_data(as_text=True)
    assert "成都蓉城物业重庆分公司" in page and "139****8888" in page and "13977778888" not in page
    assert "周*地" in page and "周本地" not in page


def test_terminate_a_returned_filing_then_file_again(app, login):
    org_id, username = new_enterprise(app)
    pk, number = file_by_service(app, username)
    c = login(username)
    # Not returned yet: terminating is refused.
    resp = c.form(f"/enterprise/filing/terminate/{pk}", {}, get_url="/resetmypassword/form",
                  follow_redirects=True)
    assert "状态为“已提交”的业务单不能执行“终止任务”。" in resp.get_data(as_text=True)
    resp = c.get(f"/enterprise/filing/amend/{pk}", follow_redirects=True)
    assert "只有已退回的业务单可以修改。" in resp.get_data(as_text=True)
    decide(app, pk, "return", "材料不全")
    # Another administrator of the same enterprise sees it, but only the applicant changes it.
    other = login(second_admin(app, org_id))
    assert other.get(f"/enterprise/filing/show/{pk}").status_code == 200
    resp = other.get(f"/enterprise/filing/amend/{pk}", follow_redirects=True)
    assert "只有申请人可以修改该业务单。" in resp.get_data(as_text=True)
    resp = other.form(f"/enterprise/filing/terminate/{pk}", {}, get_url="/resetmypassword/form",
                      follow_redirects=True)
    assert "只有申请人可以对该业务单执行“终止任务”。" in resp.get_data(as_text=True)
    assert filing(app, pk)[0] == "returned"
    # A new filing is refused while the returned one is open.
    resp = post_filing(c, LOCAL)
    assert error_of(resp) == f"已有一份企业信息备案（{number}，已退回）正在办理中，请等待审核结果；如被退回，请修改后重新提交。"
    resp = c.form(f"/enterprise/filing/terminate/{pk}", {}, get_url="/resetmypassword/form",
                  follow_redirects=True)
    assert "已完成：终止任务。" in resp.get_data(as_text=True)
    assert filing(app, pk)[0] == "terminated"
    resp = post_filing(c, LOCAL)
    assert resp.status_code == 302


def test_documents_link_only_for_those_who_may_download(app, login):
    org_id, username = new_enterprise(app)
    c = login(username)
    resp = post_filing(c, LOCAL, files=[(io.BytesIO(real_pdf()), "营业执照副本.pdf")])
    pk = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = c.get(f"/enterprise/filing/show/{pk}").get_data(as_text=True)
    url = re.search(r'href="(/uploads/[0-9a-f]+)">营业执照副本.pdf', page).group(1)
    # Another administrator of the enterprise sees the document's name; the download
    # belongs to the applicant and the reviewers (uploads engine), so no dead link.
    other = login(second_admin(app, org_id))
    page = other.get(f"/enterprise/filing/show/{pk}").get_data(as_text=True)
    assert "营业执照副本.pdf" in page and url not in page
    assert other.get(url).status_code == 404
    assert login("reviewer").get(url).status_code == 200


def test_rejected_filing_leaves_no_profile_and_tells_the_enterprise(app, login):
    from app.core.notices import Notice
    from app.property.models import EnterpriseProfile

    org_id, username = new_enterprise(app)
    pk, number = file_by_service(app, username)
    decide(app, pk, "reject", "非物业服务企业")
    with app.app_context():
        assert db.session.execute(select(EnterpriseProfile).where(EnterpriseProfile.org_id == org_id)).first() is None
        titles = [n.title for n in db.session.execute(select(Notice).where(Notice.org_id == org_id)).scalars()]
        assert f"企业信息备案 {number} 不予通过：非物业服务企业" in titles
    page = login(username).get("/enterprise/filing/").get_data(as_text=True)
    assert "不予通过" in page and "非物业服务企业" in page and 'id="btn-file"' in page


def test_only_enterprise_administrators_file(app, login, api):
    # The permission: government staff have no filing page.
    for username in ("gov_admin", "district1", "street1", "reviewer", "analyst", "pm_a", "helpdesk"):
        c = login(username)
        assert c.get("/enterprise/filing/").status_code in (302, 403), username
        assert c.get("/enterprise/filing/file").status_code in (302, 403), username
    # The rule: the system administrator holds every permission but files for no enterprise.
    resp = login("admin").get("/enterprise/filing/", follow_redirects=True)
    assert "只有企业管理员可以办理本企业的信息备案。" in resp.get_data(as_text=True)
    http, headers = api("admin")
    r = http.post("/api/v1/enterprise_filing/file", json=LOCAL, headers=headers)
    assert r.status_code == 422 and r.get_json()["message"] == "只有企业管理员可以办理本企业的信息备案。"
    http, headers = api("district1")
    r = http.post("/api/v1/enterprise_filing/file", json=LOCAL, headers=headers)
    assert r.status_code in (401, 403)


# --- scope --------------------------------------------------------------------------------------

@pytest.fixture
def a_filing(app):
    """An open filing of a fresh enterprise in 渝中区 (500103)."""
    org_id, username = new_enterprise(app, name=f"重庆范围测试物业{next(_seq)}有限公司")
    pk, number = file_by_service(app, username)
    return pk, number, org_id, username


def test_other_enterprises_get_nothing(app, login, api, a_filing):
    pk, number, org_id, _username = a_filing
    ent_b = login("ent_b")
    assert number not in ent_b.get("/enterprise/filing/").get_data(as_text=True)
    for url in (f"/enterprise/filing/show/{pk}", f"/enterprise/filing/amend/{pk}", "/enterprise/filing/show/999999"):
        assert ent_b.get(url).status_code == 404, url
    resp = ent_b.form(f"/enterprise/filing/terminate/{pk}", {}, get_url="/resetmypassword/form")
    assert resp.status_code == 404
    token = ent_b.token("/resetmypassword/form")
    resp = ent_b.post(f"/enterprise/filing/amend/{pk}", data={**LOCAL, "csrf_token": token})
    assert resp.status_code == 404
    assert ent_b.get(f"/applications/show/{pk}").status_code in (302, 403, 404)
    http, headers = api("ent_b")
    assert http.get(f"/api/v1/enterprise_filing/{pk}", headers=headers).status_code == 404
    listing = http.get("/api/v1/enterprise_filing/?q=(page_size:100)", headers=headers).get_json()
    assert all(r["number"] != number for r in listing["result"])
    for body in ({"action": "resubmit"}, {"action": "terminate"}, {"action": "accept"}):
        assert http.post(f"/api/v1/enterprise_filing/{pk}/transition", json=body,
                         headers=headers).status_code in (403, 404)
    assert http.get("/api/v1/enterprise_filing/999999", headers=headers).status_code == 404
    # A project lead of another enterprise, and a street outside the enterprise's district level.
    for username in ("pm_a", "street1"):
        http, headers = api(username)
        assert http.get(f"/api/v1/enterprise_filing/{pk}", headers=headers).status_code == 404, username
    assert filing(app, pk)[0] == "submitted"


def test_district_and_analyst_read_only_and_masked(app, api, a_filing):
    pk, number, _org_id, _username = a_filing
    for username in ("district1", "analyst"):
        http, headers = api(username)
        r = http.get(f"/api/v1/enterprise_filing/{pk}", headers=headers)
        assert r.status_code == 200, username
        body = r.get_json()["result"]
        assert body["number"] == number and body["payload"]["registered_capital"] == "500.00"
        assert body["payload"]["contact_mobile"] == "139****4444" and body["payload"]["contact_name"] == "钱*多"
        r = http.post(f"/api/v1/enterprise_filing/{pk}/transition", json={"action": "accept"}, headers=headers)
        assert r.status_code in (401, 403), username
    http, headers = api("reviewer")
    body = http.get(f"/api/v1/enterprise_filing/{pk}", headers=headers).get_json()["result"]
    assert body["payload"]["contact_mobile"] == "13933334444"
    assert filing(app, pk)[0] == "submitted"


# --- REST -------------------------------------------------------------------------------------

def test_api_file_return_resubmit_approve(app, api):
    org_id, username = new_enterprise(app)
    http, headers = api(username)
    r = http.post("/api/v1/enterprise_filing/file", json={**LOCAL, "is_local": True, "established_on": ""},
                  headers=headers)
    assert r.status_code == 422 and r.get_json()["message"] == "成立日期：必须填写"
    r = http.post("/api/v1/enterprise_filing/file", data="not json", headers=headers,
                  content_type="application/json")
    assert r.status_code == 422 and r.get_json()["message"] == "请求内容必须是 JSON 对象。"
    r = http.post("/api/v1/enterprise_filing/file",
                  json={**NONLOCAL, "is_local": False, "staff_total": 35}, headers=headers)
    assert r.status_code == 201, r.get_json()
    pk, number = r.get_json()["id"], r.get_json()["number"]
    assert r.get_json()["status"] == "submitted" and r.get_json()["status_label"] == "已提交"
    r = http.post("/api/v1/enterprise_filing/file", json={**LOCAL, "is_local": True}, headers=headers)
    assert r.status_code == 422 and number in r.get_json()["message"]
    own = http.get("/api/v1/enterprise_filing/", headers=headers).get_json()
    assert [row["number"] for row in own["result"]] == [number]
    assert own["result"][0]["payload"]["staff_total"] == 35
    # The applicant cannot decide; the reviewer needs a reason to return.
    url = f"/api/v1/enterprise_filing/{pk}/transition"
    r = http.post(url, json={"action": "approve"}, headers=headers)
    assert r.status_code in (403, 422)
    rev_http, rev = api("reviewer")
    assert rev_http.post(url, json={"action": "accept"}, headers=rev).status_code == 200
    r = rev_http.post(url, json={"action": "return"}, headers=rev)
    assert r.status_code == 422 and r.get_json()["message"] == "请填写原因。"
    r = rev_http.post(url, json={"action": "return", "reason": "分支机构名称有误"}, headers=rev)
    assert r.status_code == 200 and r.get_json()["status_label"] == "已退回"
    r = rev_http.post(url, json={"action": "resubmit"}, headers=rev)
    assert r.status_code == 422 and r.get_json()["message"] == "只有申请人可以修改该业务单。"
    # The applicant resubmits with changed data (under the "file" permission: enterprise
    # administrators do not hold "transition"); bad data is refused and changes nothing.
    resubmit = f"/api/v1/enterprise_filing/{pk}/resubmit"
    assert http.post(url, json={"action": "resubmit"}, headers=headers).status_code == 403
    r = http.post(resubmit, json={"data": {**NONLOCAL, "branch_manager_mobile": "123"}}, headers=headers)
    assert r.status_code == 422 and r.get_json()["message"] == "本地负责人手机：请输入以13至19开头的11位中国大陆手机号码"
    assert filing(app, pk)[0] == "returned"
    r = http.post(resubmit, json={"data": {**NONLOCAL, "branch_name": "成都蓉城物业渝中分公司"}}, headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    r = http.post(f"/api/v1/enterprise_filing/{pk}/terminate", headers=headers)
    assert r.status_code == 422 and r.get_json()["message"] == "状态为“已提交”的业务单不能执行“终止任务”。"
    for action in ("accept", "approve"):
        r = rev_http.post(url, json={"action": action}, headers=rev)
        assert r.status_code == 200, r.get_json()
    assert r.get_json()["status_label"] == "审核通过"
    with app.app_context():
        from app.property.models import EnterpriseProfile

        profile = db.session.execute(select(EnterpriseProfile).where(EnterpriseProfile.org_id == org_id)).scalar_one()
        assert profile.branch_name == "成都蓉城物业渝中分公司" and not profile.is_local and profile.staff_total is None
    assert rev_http.post("/api/v1/enterprise_filing/999999/transition", json={"action": "accept"},
                         headers=rev).status_code == 404


def test_api_terminate_by_the_applicant_only(app, api):
    org_id, username = new_enterprise(app)
    pk, _number = file_by_service(app, username)
    decide(app, pk, "return", "请补充材料")
    other_http, other = api(second_admin(app, org_id))
    r = other_http.post(f"/api/v1/enterprise_filing/{pk}/terminate", headers=other)
    assert r.status_code == 422 and r.get_json()["message"] == "只有申请人可以对该业务单执行“终止任务”。"
    b_http, b = api("ent_b")
    assert b_http.post(f"/api/v1/enterprise_filing/{pk}/terminate", headers=b).status_code == 404
    assert b_http.post(f"/api/v1/enterprise_filing/{pk}/resubmit", json={}, headers=b).status_code == 404
    http, headers = api(username)
    r = http.post(f"/api/v1/enterprise_filing/{pk}/terminate", headers=headers)
    assert r.status_code == 200 and r.get_json()["status_label"] == "已终止"
    assert filing(app, pk)[0] == "terminated"


def test_api_only_lists_enterprise_filings(app, api, a_filing):
    """Other business applications (e.g. organisation registrations) never show here."""
    http, headers = api("reviewer")
    rows = http.get("/api/v1/enterprise_filing/?q=(page_size:100)", headers=headers).get_json()["result"]
    assert rows and all(r["number"].startswith("QB") for r in rows)
    from app.core import workflow

    with app.app_context():
        other = workflow.create("agency_filing", applicant=user("district1"), title="范围测试经纪机构",
                                region_code="500103", payload={}, submit=True)
        db.session.commit()
        other_id = other.id
    assert reviewer_sees(app, other_id)
    assert http.get(f"/api/v1/enterprise_filing/{other_id}", headers=headers).status_code == 404
    assert all(r["id"] != other_id for r in rows)


def reviewer_sees(app, pk):
    from app.core.scope import can_see

    with app.app_context():
        return can_see(db.session.get(Application, pk), user("reviewer"))


def test_openapi_describes_the_resource(app, api):
    http, headers = api("admin")
    paths = http.get("/api/v1/_openapi", headers=headers).get_json()["paths"]
    for path in ("/api/v1/enterprise_filing/file", "/api/v1/enterprise_filing/{pk}/transition",
                 "/api/v1/enterprise_filing/{pk}/resubmit", "/api/v1/enterprise_filing/{pk}/terminate",
                 "/api/v1/enterprise_filing/"):
        assert path in paths, path
