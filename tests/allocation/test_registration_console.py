"""The staff console of 配租登记 (issue 15): the list with its filters and export (masked), a
registration's page (masked, 证件证明), 审核通过 / 不通过 one by one and in bulk, human reviews,
objections, the home page's 待办, and scope: a district's 配租管理员 sees nothing of a city plan,
analysts read masked and cannot review, the helpdesk, enterprises and the public (the applicant
too) get nothing from these pages.

Data is made through the services inside an app context of its own (``with app.app_context()``);
pages are opened outside it, as a browser would, each user with their own client."""
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from app.core import masking
from app.extensions import db
from tests.allocation.helpers import PASSWORD, at
from tests.conftest import DEMO_PASSWORD, Client, csrf_token

LIST = "/allocation/registrations/list/"
OBJECTIONS = "/allocation/objections/list/"


@pytest.fixture(scope="module")
def yubei(app):
    """A 配租管理员 of 渝北区 (500112): a city plan (500000) is outside their reach."""
    with app.app_context():
        from app.system.models import Organization

        sm = app.appbuilder.sm
        if sm.find_user(username="alloc_yubei") is None:
            org = db.session.query(Organization).filter_by(name="渝北区住房和城乡建设委员会").one()
            sm.add_user("alloc_yubei", "渝北配租", "", "alloc_yubei@demo.anju.invalid", sm.find_role("alloc_admin"),
                        password=DEMO_PASSWORD, org_id=org.id, mobile="13200009915", must_change_password=False)
    return "alloc_yubei"


# --- data, made by the services ------------------------------------------------------------------

def plain(reg):
    """What a test needs of a registration once its app context is gone."""
    return SimpleNamespace(id=reg.id, number=reg.number, id_number=reg.id_number, mobile=reg.mobile,
                           name=reg.name, plan_id=reg.plan_id, registered_at=reg.registered_at,
                           user_id=reg.user_id)


def make_plan(app, n=0, state="open", close=False, **kw):
    """A plan with ``n`` registrations (committed); closed (登记结束) when asked."""
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import PlanStatus
    from tests.allocation.helpers import new_plan, registered

    with app.app_context():
        plan = new_plan(state=state, **kw)
        regs = [plain(registered(plan=plan)[0]) for _ in range(n)]
        if close:
            plans.transition(plan, PlanStatus.CLOSED)
            db.session.commit()
        info = SimpleNamespace(id=plan.id, title=plan.title, reg_end=plan.reg_end, project_id=plan.projects[0].id,
                               project_name=plan.projects[0].name)
    return info, regs


def close(app, plan_id):
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import AllocationPlan, PlanStatus

    with app.app_context():
        plans.transition(db.session.get(AllocationPlan, plan_id), PlanStatus.CLOSED)
        db.session.commit()


def state_of(app, reg_id):
    from app.allocation.registrations.models import Registration

    with app.app_context():
        reg = db.session.get(Registration, reg_id)
        return SimpleNamespace(status=reg.status, number=reg.number, review_reason=reg.review_reason,
                               plan_status=reg.plan.status)


def publicised(app, n=2):
    """A plan in 资格公示 with ``n`` approved registrations."""
    from app.allocation.registrations import services as registrations
    from tests.allocation.helpers import user

    plan, regs = make_plan(app, n, close=True)
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        admin = user("alloc_admin")
        registrations.review(admin, [r.id for r in regs], True)
        registrations.start_publicity(admin, db.session.get(AllocationPlan, plan.id))
        db.session.commit()
    return plan, regs


def text(resp):
    return resp.get_data(as_text=True)


def count_of(page):
    found = re.search(r"共 (\d+) 条", page)
    assert found, "no count on the list"
    return int(found.group(1))


# --- the list, its filters and the export --------------------------------------------------------

def test_list_filters_and_masked_columns(app, login):
    from app.allocation.registrations import services as registrations
    from tests.allocation.helpers import applicant, file_for

    plan, regs = make_plan(app, 2)
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        chooser = applicant()
        db_plan = db.session.get(AllocationPlan, plan.id)
        file_for(chooser, db_plan)
        regs.append(plain(registrations.register(chooser, plan.id, project_id=plan.project_id)))
    make_plan(app, 1)
    c = login("alloc_admin")
    page = text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}"))
    assert count_of(page) == 3
    for reg in regs:
        assert reg.number in page
        # 配租管理员 holds no full-value permission: the applicant is masked on the server
        assert reg.id_number not in page and reg.mobile not in page and reg.name not in page
        assert masking.mask("id_number", reg.id_number) in page
        assert masking.mask("mobile", reg.mobile) in page
        assert masking.mask("name", reg.name) in page
    assert plan.title in page and "已登记，待审核" in page and "登记编号" in page and "摇号分组" in page
    assert "普通家庭" in page                                    # the group by its name
    # 登记编号: the whole number, as typed
    page = text(c.get(f"{LIST}?_flt_0_number={regs[1].number.lower()}"))
    assert count_of(page) == 1 and regs[1].number in page
    # 申请人证件号码: the exact full value only
    page = text(c.get(f"{LIST}?_flt_0_id_number={regs[2].id_number}"))
    assert count_of(page) == 1 and regs[2].number in page
    resp = c.get(f"{LIST}?_flt_0_id_number={regs[2].id_number[:10]}")
    assert resp.status_code == 400 and "证件号码对您脱敏显示，只能按完整的值精确查询。" in text(resp)
    # 目前进度, 意向项目, 摇号分组 and 登记时间
    assert count_of(text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}&_flt_0_status=approved"))) == 0
    assert count_of(text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}&_flt_0_status=pending"))) == 3
    page = text(c.get(f"{LIST}?_flt_0_project_id={plan.project_id}"))
    assert count_of(page) == 1 and regs[2].number in page and plan.project_name in page
    assert count_of(text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}&_flt_0_group_code=general"))) == 3
    day = regs[0].registered_at.strftime("%Y-%m-%d")
    before = (regs[0].registered_at - timedelta(days=1)).strftime("%Y-%m-%d")
    page = text(c.get(LIST))
    from_arg = re.search(r'name="(_flt_\d+_registered_at)"[^>]*placeholder="开始日期"', page)
    to_arg = re.search(r'name="(_flt_\d+_registered_at)"[^>]*placeholder="结束日期"', page)
    assert from_arg and to_arg
    url = f"{LIST}?_flt_0_plan_id={plan.id}&{from_arg.group(1)}={day}&{to_arg.group(1)}={day}"
    assert count_of(text(c.get(url))) == 3
    assert count_of(text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}&{to_arg.group(1)}={before}"))) == 0
    # a plan id that cannot be one matches nothing (never an error)
    assert count_of(text(c.get(f"{LIST}?_flt_0_plan_id=abc"))) == 0
    # the search form offers the plans in the viewer's scope by name
    assert f'<option value="{plan.id}">{plan.title}</option>' in page
    # gov_admin holds the full-value permission
    page = text(login("gov_admin").get(f"{LIST}?_flt_0_plan_id={plan.id}"))
    assert regs[0].id_number in page and regs[0].name in page


def test_export_is_masked_as_the_viewer_sees_it(app, login):
    plan, regs = make_plan(app, 2)
    for username in ("analyst", "alloc_admin"):
        resp = login(username).get(f"/allocation/registrations/export/?_flt_0_plan_id={plan.id}")
        assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
        sheet = load_workbook(io.BytesIO(resp.data)).active
        rows = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
        header, body = rows[0], rows[1:]
        assert header[:6] == ["登记编号", "配租计划", "申请人", "证件号码", "联系电话", "家庭人口"]
        assert "目前进度" in header and "摇号结果" in header and "选房顺序号" in header
        assert sorted(r[0] for r in body) == sorted(r.number for r in regs)
        cells = " ".join(" ".join(r) for r in body)
        for reg in regs:
            assert reg.id_number not in cells and reg.mobile not in cells and reg.name not in cells
            assert masking.mask("id_number", reg.id_number) in cells
        assert "已登记，待审核" in cells and plan.title in cells
    # gov_admin exports full values (its permission)
    resp = login("gov_admin").get(f"/allocation/registrations/export/?_flt_0_plan_id={plan.id}")
    assert regs[0].id_number in " ".join(str(v) for row in load_workbook(io.BytesIO(resp.data)).active
                                         .iter_rows(values_only=True) for v in row)


# --- a registration's page ------------------------------------------------------------------------

def family_registration(app):
    """A registration with a spouse and a child, and a 证件证明 named 户口本.png."""
    from app.allocation.plans.models import AllocationPlan
    from app.allocation.registrations import services as registrations
    from tests.allocation.helpers import applicant, child_id_number, file_for, new_id_number, png_bytes

    plan, _regs = make_plan(app)
    with app.app_context():
        spouse = {"name": "配偶测", "id_type": "resident_id", "id_number": new_id_number(), "relation": "spouse"}
        child = {"name": "子女测", "id_type": "resident_id", "id_number": child_id_number(), "relation": "child"}
        u = applicant()
        file_for(u, db.session.get(AllocationPlan, plan.id), members=[spouse, child], marital_status="married",
                 files=[("户口本.png", png_bytes())])
        reg = plain(registrations.register(u, plan.id))
    return plan, reg, spouse, child


def test_detail_masked_with_members_files_and_history(app, login, yubei):
    plan, reg, spouse, child = family_registration(app)
    url = f"/allocation/registrations/show/{reg.id}"
    analyst = login("analyst")
    page = text(analyst.get(url))
    assert reg.number in page and plan.title in page and "已登记，待审核" in page
    for full in (reg.id_number, reg.mobile, reg.name, spouse["id_number"], child["id_number"], spouse["name"]):
        assert full not in page, full
    assert masking.mask("id_number", spouse["id_number"]) in page and masking.mask("name", "配偶测") in page
    assert masking.mask("id_number", reg.id_number) in page and masking.mask("mobile", reg.mobile) in page
    assert "配偶" in page and "子女" in page                       # relations by their Chinese names
    # dates of birth: the year only (an ID number is never shown with its birth date)
    assert reg.id_number[6:10] + "-**-**" in page
    assert f"{reg.id_number[6:10]}-{reg.id_number[10:12]}-{reg.id_number[12:14]}" not in page
    assert f"{child['id_number'][6:10]}-{child['id_number'][10:12]}-{child['id_number'][12:14]}" not in page
    # the filing as screened, every field by its Chinese label and values by their names
    for label in ("筛查时的填报信息", "申请人姓名", "证件类型", "居民身份证", "婚姻状况", "已婚", "工作单位",
                  "重庆测试有限公司", "本市无自有住房", "重庆市江北区"):
        assert label in page, label
    assert "筛查时的填报信息" in page
    # history: registered
    assert "办理记录" in page and "已登记" in page
    # 证件证明: a download link the analyst may follow; nobody outside the scope may
    links = re.findall(r'href="(/uploads/[0-9a-f]{32})"', page)
    assert len(links) == 1 and "户口本.png" in page
    assert analyst.get(links[0]).status_code == 200
    for outsider in (yubei, "helpdesk", "ent_a", "public1"):
        assert login(outsider).get(links[0]).status_code == 404, outsider
    # analysts read, they do not review
    assert "btn-approve" not in page and "reject-form" not in page
    # the reviewer's page offers both; gov_admin sees the full values (and the view is audited)
    page = text(login("alloc_admin").get(url))
    assert "btn-approve" in page and "reject-form" in page and reg.id_number not in page
    page = text(login("gov_admin").get(url))
    assert reg.id_number in page and spouse["id_number"] in page and "btn-approve" not in page
    with app.app_context():
        from app.core.audit import AuditLog

        assert db.session.query(AuditLog).filter_by(entity="Registration", entity_id=str(reg.id),
                                                   action="view_pii").count() >= 1


def test_guessed_ids(app, login):
    c = login("alloc_admin")
    assert c.get("/allocation/registrations/show/99999999").status_code == 404
    assert c.get("/allocation/registrations/show/abc").status_code == 404
    assert c.get("/allocation/objections/show/99999999").status_code == 404
    token = c.token(LIST)
    assert c.post("/allocation/registrations/review/99999999",
                  data={"csrf_token": token, "decision": "approve"}).status_code == 404
    assert c.post("/allocation/registrations/appeal/99999999",
                  data={"csrf_token": token, "decision": "admit", "reason": "x"}).status_code == 404
    assert c.post("/allocation/objections/decide/99999999",
                  data={"csrf_token": token, "decision": "upheld", "reason": "x"}).status_code == 404


# --- review ---------------------------------------------------------------------------------------

def test_review_one_by_one(app, login):
    from app.allocation.plans.models import PlanStatus
    from app.allocation.registrations.models import RegStatus

    plan, regs = make_plan(app, 2)
    c = login("alloc_admin")
    show = f"/allocation/registrations/show/{regs[0].id}"
    review = f"/allocation/registrations/review/{regs[0].id}"
    # a plan still open: refused with the rule's words
    page = text(c.form(review, {"decision": "approve"}, get_url=show, follow_redirects=True))
    assert "计划当前为登记中，登记须在登记结束后、资格公示前审核。" in page
    assert state_of(app, regs[0].id).status == RegStatus.PENDING
    close(app, plan.id)
    with at(plan.reg_end + timedelta(minutes=5)):
        # 不通过 needs its reason
        page = text(c.form(review, {"decision": "reject", "reason": "  "}, get_url=show, follow_redirects=True))
        assert "不通过原因：必须填写" in page and state_of(app, regs[0].id).status == RegStatus.PENDING
        page = text(c.form(review, {"decision": "reject", "reason": "收入证明与社保记录不符"}, get_url=show,
                           follow_redirects=True))
        assert f"登记{regs[0].number}审核不通过。" in page
        reg = state_of(app, regs[0].id)
        assert reg.status == RegStatus.REJECTED and reg.review_reason == "收入证明与社保记录不符"
        assert "收入证明与社保记录不符" in page and "审核不通过" in page
        # reviewed already: the review panel is gone, a second post is refused
        assert "btn-approve" not in page
        page = text(c.form(review, {"decision": "approve"}, get_url=show, follow_redirects=True))
        assert f"登记{regs[0].number}当前为审核不通过，只能审核待审核的登记。" in page
        show1 = f"/allocation/registrations/show/{regs[1].id}"
        page = text(c.form(f"/allocation/registrations/review/{regs[1].id}", {"decision": "approve"},
                           get_url=show1, follow_redirects=True))
        assert f"登记{regs[1].number}审核通过。" in page
        reg = state_of(app, regs[1].id)
        assert reg.status == RegStatus.APPROVED and reg.plan_status == PlanStatus.REVIEW


def test_bulk_approve_and_bulk_reject(app, login, yubei):
    from app.allocation.registrations.models import RegStatus

    plan, regs = make_plan(app, 5, close=True)
    ids = [r.id for r in regs]
    c = login("alloc_admin")
    list_page = text(c.get(f"{LIST}?_flt_0_plan_id={plan.id}"))
    # the bulk buttons, the approval asking with the count of the selection
    assert 'data-anju-action="approve"' in list_page and 'data-anju-action="reject"' in list_page
    assert "通过所选登记的审核？ （已选 {n} 条）" in list_page
    token = csrf_token(list_page)
    # outside the scope: a 渝北区 配租管理员 gets nothing done, nor a single action
    y = login(yubei)
    y_token = csrf_token(text(y.get(LIST)))
    resp = y.post("/allocation/registrations/action_post",
                  data={"action": "approve", "rowid": ids[:2], "csrf_token": y_token}, follow_redirects=True)
    assert "部分选中的记录不存在或不在您的数据权限范围内，未执行任何操作。" in text(resp)
    assert y.post(f"/allocation/registrations/action/approve/{ids[0]}", data={"csrf_token": y_token}).status_code == 404
    resp = y.post("/allocation/registrations/bulk-reject", data={"rowid": ids[:2], "reason": "越权", "csrf_token": y_token},
                  follow_redirects=True)
    assert "部分选中的记录不存在或不在您的数据权限范围内，未执行任何操作。" in text(resp)
    assert {state_of(app, i).status for i in ids} == {RegStatus.PENDING}
    # analysts may not act at all
    a = login("analyst")
    a_token = csrf_token(text(a.get(LIST)))
    assert a.post("/allocation/registrations/action_post",
                  data={"action": "approve", "rowid": ids[:2], "csrf_token": a_token}).status_code == 403
    assert a.post("/allocation/registrations/bulk-reject",
                  data={"rowid": ids[:2], "reason": "x", "csrf_token": a_token}).status_code == 403
    with at(plan.reg_end + timedelta(minutes=5)):
        filtered = f"{LIST}?_flt_0_plan_id={plan.id}"
        resp = c.post("/allocation/registrations/action_post",
                      data={"action": "approve", "rowid": ids[:3], "csrf_token": token},
                      headers={"Referer": f"http://localhost{filtered}"})
        assert resp.status_code == 302 and resp.headers["Location"].endswith(filtered)   # back to the same list
        assert "共3个登记通过审核。" in text(c.get(filtered))
        assert [state_of(app, i).status for i in ids[:3]] == [RegStatus.APPROVED] * 3
        # 不通过 in bulk: a page naming the selection, one reason for all
        page = text(c.post("/allocation/registrations/action_post",
                           data={"action": "reject", "rowid": ids[3:], "csrf_token": token}))
        assert regs[3].number in page and regs[4].number in page and "已选择2条登记" in page
        assert regs[3].id_number not in page and masking.mask("name", regs[3].name) in page
        resp = c.post("/allocation/registrations/bulk-reject",
                      data={"rowid": ids[3:], "reason": "", "csrf_token": csrf_token(page)})
        assert resp.status_code == 422 and "不通过原因：必须填写" in text(resp)
        assert regs[3].number in text(resp)
        resp = c.post("/allocation/registrations/bulk-reject",
                      data={"rowid": ids[3:], "reason": "家庭人均收入超过标准", "csrf_token": csrf_token(page)},
                      follow_redirects=True)
        assert "2条登记审核不通过。" in text(resp)
        assert {state_of(app, i).review_reason for i in ids[3:]} == {"家庭人均收入超过标准"}
        # registrations already reviewed are refused, all or nothing
        resp = c.post("/allocation/registrations/action_post",
                      data={"action": "approve", "rowid": ids[2:4], "csrf_token": token}, follow_redirects=True)
        assert f"登记{regs[2].number}当前为审核通过，只能审核待审核的登记。" in text(resp)
        assert state_of(app, ids[3]).status == RegStatus.REJECTED


def test_bulk_across_plans_is_refused(app, login):
    from app.allocation.registrations.models import RegStatus

    _a, (reg_a,) = make_plan(app, 1, close=True)
    _b, (reg_b,) = make_plan(app, 1, close=True)
    c = login("alloc_admin")
    resp = c.post("/allocation/registrations/action_post",
                  data={"action": "approve", "rowid": [reg_a.id, reg_b.id], "csrf_token": c.token(LIST)},
                  follow_redirects=True)
    assert "请每次只审核同一个计划的登记。" in text(resp)
    assert state_of(app, reg_a.id).status == state_of(app, reg_b.id).status == RegStatus.PENDING


# --- human reviews (人工复核) -----------------------------------------------------------------------

def test_human_review_admit_and_uphold(app, login):
    from app.allocation.plans.models import AllocationPlan
    from app.allocation.registrations import services as registrations
    from app.allocation.registrations.models import RegStatus
    from tests.allocation.helpers import registered

    plan, _regs = make_plan(app, rules=[("per_capita_income", "le", "50000", "家庭人均年收入须不高于5万元")])
    refused = []
    with app.app_context():
        for appeal in ("收入含一次性补偿，请人工复核", "收入已下降"):
            reg, u, _plan = registered(plan=db.session.get(AllocationPlan, plan.id), annual_income="120000")
            assert reg.status == RegStatus.REFUSED
            registrations.request_review(u, reg.id, appeal)
            db.session.commit()
            refused.append(plain(reg))
    c = login("alloc_admin")
    page = text(c.get(f"{LIST}?_flt_0_status=appealed&_flt_0_plan_id={plan.id}"))
    assert count_of(page) == 2 and "（无编号）" in page and "人工复核中" in page
    show = f"/allocation/registrations/show/{refused[0].id}"
    page = text(c.get(show))
    assert "家庭人均年收入须不高于5万元" in page and "收入含一次性补偿，请人工复核" in page and "btn-admit" in page
    url = f"/allocation/registrations/appeal/{refused[0].id}"
    page = text(c.form(url, {"decision": "admit", "reason": ""}, get_url=show, follow_redirects=True))
    assert "人工复核意见：必须填写" in page
    page = text(c.form(url, {"decision": "admit", "reason": "一次性补偿不计入收入"}, get_url=show,
                       follow_redirects=True))
    reg = state_of(app, refused[0].id)
    assert reg.status == RegStatus.PENDING and reg.number
    assert f"人工复核完成：登记予以受理，登记编号{reg.number}。" in page and "一次性补偿不计入收入" in page
    show2 = f"/allocation/registrations/show/{refused[1].id}"
    page = text(c.form(f"/allocation/registrations/appeal/{refused[1].id}",
                       {"decision": "uphold", "reason": "收入证明不足以说明"}, get_url=show2, follow_redirects=True))
    assert "人工复核完成：维持不予登记。" in page
    assert state_of(app, refused[1].id).status == RegStatus.APPEAL_DENIED
    # decided already: refused in the services' words; analysts cannot decide
    page = text(c.form(url, {"decision": "uphold", "reason": "再次"}, get_url=show, follow_redirects=True))
    assert "该登记当前为已登记，待审核，没有待处理的人工复核。" in page
    a = login("analyst")
    assert a.post(url, data={"decision": "admit", "reason": "x", "csrf_token": a.token(LIST)}).status_code == 403


# --- objections (资格异议) --------------------------------------------------------------------------

def test_objections_list_detail_and_decision(app, login, yubei):
    from app.allocation.registrations import services as registrations
    from app.allocation.registrations.models import RegStatus
    from tests.allocation.helpers import applicant

    plan, regs = publicised(app)
    with app.app_context():
        objector = applicant(name="异议测人")
        obj = registrations.object_to(objector, plan.id, regs[0].number, "该户在本市有住房").id
        obj2 = registrations.object_to(objector, plan.id, regs[1].number, "该户收入不实").id
        db.session.commit()
    c = login("alloc_admin")
    page = text(c.get(f"{OBJECTIONS}?_flt_0_plan_id={plan.id}"))
    assert count_of(page) == 2 and regs[0].number in page and "该户在本市有住房" in page and "待处理" in page
    assert "异议测人" not in page and "异*人" in page                # the objector masked
    show = f"/allocation/objections/show/{obj}"
    page = text(c.get(show))
    assert regs[0].number in page and "decide-form" in page and "异议测人" not in page
    decide = f"/allocation/objections/decide/{obj}"
    page = text(c.form(decide, {"decision": "upheld", "reason": ""}, get_url=show, follow_redirects=True))
    assert "处理意见：必须填写" in page
    page = text(c.form(decide, {"decision": "upheld", "reason": "经核实该户有自有住房"}, get_url=show,
                       follow_redirects=True))
    assert "异议已处理：异议成立。" in page and "decide-form" not in page
    reg = state_of(app, regs[0].id)
    assert reg.status == RegStatus.REJECTED and reg.review_reason == "经核实该户有自有住房"
    page = text(c.form(decide, {"decision": "dismissed", "reason": "再次"}, get_url=show, follow_redirects=True))
    assert "该异议已处理。" in page
    show2 = f"/allocation/objections/show/{obj2}"
    page = text(c.form(f"/allocation/objections/decide/{obj2}", {"decision": "dismissed", "reason": "收入属实"},
                       get_url=show2, follow_redirects=True))
    assert "异议已处理：异议不成立。" in page and state_of(app, regs[1].id).status == RegStatus.APPROVED
    # the registration's page lists its objections
    page = text(c.get(f"/allocation/registrations/show/{regs[0].id}"))
    assert "该户在本市有住房" in page and "异议成立" in page
    # outside: 渝北区 sees none, analysts read without deciding, the others nothing
    y = login(yubei)
    assert count_of(text(y.get(f"{OBJECTIONS}?_flt_0_plan_id={plan.id}"))) == 0
    assert regs[0].number not in text(y.get(OBJECTIONS))
    assert y.get(show).status_code == 404
    assert y.post(f"/allocation/objections/decide/{obj2}",
                  data={"decision": "upheld", "reason": "x", "csrf_token": y.token(OBJECTIONS)}).status_code == 404
    a = login("analyst")
    assert a.get(show).status_code == 200 and "decide-form" not in text(a.get(show))
    assert a.post(f"/allocation/objections/decide/{obj2}",
                  data={"decision": "upheld", "reason": "x", "csrf_token": a.token(OBJECTIONS)}).status_code == 403
    for outsider in ("helpdesk", "ent_a", "public1"):
        o = login(outsider)
        assert o.get(show).status_code == 403, outsider
        assert o.get(OBJECTIONS).status_code == 403, outsider


# --- the home page's 待办 ---------------------------------------------------------------------------

def todo(c, key):
    home = text(c.get("/", follow_redirects=True))
    found = re.search(r'id="home-' + key + r'" data-count="(\d+)"\s+class="[^"]*"\s+href="([^"]+)"', home)
    return (int(found.group(1)), found.group(2).replace("&amp;", "&")) if found else (None, None)


def test_todos_count_what_waits_and_link_to_it(app, login, yubei):
    from app.allocation.registrations import services as registrations
    from tests.allocation.helpers import applicant, user

    c = login("alloc_admin")
    before, _url = todo(c, "allocation-review")
    assert before is not None
    plan, regs = make_plan(app, 3)
    # an open plan's registrations do not wait for review yet
    assert todo(c, "allocation-review")[0] == before
    close(app, plan.id)
    n, url = todo(c, "allocation-review")
    assert n == before + 3
    page = text(c.get(url))
    assert count_of(page) == n and all(r.number in page for r in regs)
    # human reviews and objections
    appeal_plan, _r = make_plan(app, rules=[("per_capita_income", "le", "1", "收入过高")])
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan
        from tests.allocation.helpers import registered

        reg, u, _p = registered(plan=db.session.get(AllocationPlan, appeal_plan.id))
        registrations.request_review(u, reg.id, "请复核")
        db.session.commit()
    n, url = todo(c, "allocation-appeals")
    assert n >= 1 and count_of(text(c.get(url))) == n
    pub_plan, pub_regs = publicised(app, 1)
    with app.app_context():
        registrations.object_to(applicant(), pub_plan.id, pub_regs[0].number, "有住房")
        db.session.commit()
    n, url = todo(c, "allocation-objections")
    assert n >= 1 and count_of(text(c.get(url))) == n
    # reviewing takes them off
    with app.app_context():
        registrations.review(user("alloc_admin"), [r.id for r in regs], True)
        db.session.commit()
    assert todo(c, "allocation-review")[0] == before
    # 渝北区's 配租管理员: nothing of the city's plans
    y = login(yubei)
    assert todo(y, "allocation-review")[0] == 0 and todo(y, "allocation-objections")[0] == 0
    # analysts and gov_admin review nothing: no such 待办
    assert todo(login("analyst"), "allocation-review") == (None, None)
    assert todo(login("gov_admin"), "allocation-review") == (None, None)


# --- scope ----------------------------------------------------------------------------------------

def test_a_district_admin_sees_nothing_of_a_city_plan(app, login, yubei):
    from app.allocation.registrations.models import RegStatus

    plan, reg, _spouse, _child = family_registration(app)
    y = login(yubei)
    page = text(y.get(LIST))
    assert reg.number not in page
    assert count_of(text(y.get(f"{LIST}?_flt_0_plan_id={plan.id}"))) == 0
    assert f'<option value="{plan.id}"' not in page             # the plan is not even offered
    assert y.get(f"/allocation/registrations/show/{reg.id}").status_code == 404
    token = csrf_token(page)
    assert y.post(f"/allocation/registrations/review/{reg.id}",
                  data={"decision": "approve", "csrf_token": token}).status_code == 404
    assert y.post(f"/allocation/registrations/appeal/{reg.id}",
                  data={"decision": "admit", "reason": "x", "csrf_token": token}).status_code == 404
    resp = y.get(f"/allocation/registrations/export/?_flt_0_plan_id={plan.id}")
    assert resp.status_code == 200
    assert len(list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))) == 1  # the header
    sheet = load_workbook(io.BytesIO(y.get("/allocation/registrations/export/").data)).active
    assert reg.number not in [row[0] for row in sheet.iter_rows(values_only=True)]
    assert state_of(app, reg.id).status == RegStatus.PENDING
    # a plan of 渝北区 itself: its 配租管理员 sees it, as does the city's
    own_plan, (own,) = make_plan(app, 1, region="500112")
    page = text(y.get(f"{LIST}?_flt_0_plan_id={own_plan.id}"))
    assert count_of(page) == 1 and own.number in page and reg.number not in text(y.get(LIST))
    assert y.get(f"/allocation/registrations/show/{own.id}").status_code == 200
    assert own.number in text(login("alloc_admin").get(f"{LIST}?_flt_0_plan_id={own_plan.id}"))


@pytest.mark.parametrize("username", ["helpdesk", "ent_a", "public1"])
def test_others_get_nothing_from_the_console(app, login, username):
    _plan, (reg,) = make_plan(app, 1)
    nothing_for(app, login(username), reg)


def test_the_applicant_gets_nothing_from_the_console(app):
    _plan, (reg,) = make_plan(app, 1)
    with app.app_context():
        from app.security.models import AnjuUser

        username = db.session.get(AnjuUser, reg.user_id).username
    c = Client(app)
    assert c.login(username, PASSWORD).status_code == 302
    nothing_for(app, c, reg)


def test_anonymous_is_sent_to_log_in(app, client):
    _plan, (reg,) = make_plan(app, 1)
    for url in (LIST, f"/allocation/registrations/show/{reg.id}", "/allocation/registrations/export/", OBJECTIONS):
        resp = client.get(url)
        assert resp.status_code in (302, 401), url
        assert reg.number not in text(resp)


def nothing_for(app, c, reg):
    from app.allocation.registrations.models import RegStatus

    for url in (LIST, f"/allocation/registrations/show/{reg.id}", "/allocation/registrations/export/",
                f"/allocation/registrations/export/?_flt_0_plan_id={reg.plan_id}", OBJECTIONS):
        resp = c.get(url)
        assert resp.status_code == 403, url
        assert reg.number not in text(resp) and masking.mask("id_number", reg.id_number) not in text(resp)
    token = c.token("/")
    for url, data in ((f"/allocation/registrations/review/{reg.id}", {"decision": "approve"}),
                      ("/allocation/registrations/action_post", {"action": "approve", "rowid": reg.id}),
                      (f"/allocation/registrations/action/approve/{reg.id}", {}),
                      ("/allocation/registrations/bulk-reject", {"rowid": reg.id, "reason": "x"}),
                      (f"/allocation/registrations/appeal/{reg.id}", {"decision": "admit", "reason": "x"})):
        assert c.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert state_of(app, reg.id).status == RegStatus.PENDING


def test_gov_admin_reads_but_does_not_review(app, login):
    _plan, (reg,) = make_plan(app, 1)
    c = login("gov_admin")
    assert c.get(f"/allocation/registrations/show/{reg.id}").status_code == 200
    assert c.get(f"{LIST}?_flt_0_plan_id={reg.plan_id}").status_code == 200
    assert c.post(f"/allocation/registrations/review/{reg.id}",
                  data={"decision": "approve", "csrf_token": c.token(LIST)}).status_code == 403
