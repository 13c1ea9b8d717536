"""REST for allocation (issue 15): the public flow by REST (file → register → records → cancel →
re-file → register), staff review and the draw by REST, each refusal's exact Chinese message
(400 for a body of the wrong shape, 422 for a broken rule), masking in the staff answers, the
OpenAPI document, and every endpoint from outside: another applicant, helpdesk, analyst,
ent_a, public1 (not real-name verified), an alloc_admin of another district, anonymous."""
import base64
import io
from datetime import timedelta

import pytest

from app.allocation.lottery import protocol
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan
from app.allocation.registrations.models import Registration, RegStatus
from app.extensions import db
from tests.allocation.helpers import (PASSWORD, applicant, at, child_id_number, file_for, filing_data, new_plan,
                                      png_bytes, registered)
from tests.conftest import DEMO_PASSWORD, api_token

REALNAME = "请先完成实名认证，再进行信息填报和登记。"
NOT_FOUND = "页面或记录不存在，或不在您的数据权限范围内。"
FORBIDDEN = "您没有执行此操作的权限。"
PNG = base64.b64encode(png_bytes()).decode()

PLAN = "allocation_plan"
REG = "allocation_registration"
APP = "allocation_applicant"


@pytest.fixture
def call(app):
    """call(username, password=None)(method, path, json=..., data=...) -> (status, body)."""
    tokens = {}

    def as_user(username, password=None):
        if username is not None and username not in tokens:
            with app.app_context():
                tokens[username] = api_token(app, username, password or DEMO_PASSWORD)

        def request(method, path, json=None, data=None, raw=None):
            http = app.test_client()
            kwargs = {"headers": {"Authorization": f"Bearer {tokens[username]}"} if username else {}}
            if json is not None:
                kwargs["json"] = json
            if data is not None:
                kwargs["data"] = data
                kwargs["content_type"] = "multipart/form-data"
            if raw is not None:
                kwargs["data"] = raw
                kwargs["content_type"] = "application/json"
            # A request of its own app context (g, the session), as in production: the test's
            # context (ctx) would otherwise lend it the g of the previous request.
            with app.app_context():
                resp = getattr(http, method)(f"/api/v1/{path}", **kwargs)
                return resp.status_code, resp.get_json(silent=True)
        return request

    return as_user


def person(u):
    """call() for an applicant made by tests.allocation.helpers.applicant()."""
    return u.username, PASSWORD


def filing_body(**overrides):
    data = filing_data(**overrides)
    data.setdefault("members", [])
    data.setdefault("documents", [{"name": "身份证.png", "content": PNG}])
    return data


def district_alloc_admin():
    """A 配租管理员 of 渝北区 (500112): a city plan (500000) is outside their region."""
    from flask import current_app
    from sqlalchemy import select

    from app.system.models import Organization

    sm = current_app.appbuilder.sm
    found = sm.find_user(username="alloc_yubei")
    if found is not None:
        return found
    org = db.session.execute(select(Organization).where(
        Organization.name == "渝北区住房和城乡建设委员会")).scalar_one()
    u = sm.add_user("alloc_yubei", "渝北配租", "", "alloc_yubei@test.anju.invalid", sm.find_role("alloc_admin"),
                    password=DEMO_PASSWORD, org_id=org.id, mobile="13600000112", must_change_password=False)
    db.session.commit()
    return u


def closed(plan):
    """The plan's window has ended (moved clock) and the window job has closed it."""
    moment = plan.reg_end + timedelta(minutes=1)
    with at(moment):
        plans.sync_windows()
    return moment


# --- the public flow -------------------------------------------------------------------------

def test_the_public_flow_by_rest(ctx, call):
    plan = new_plan()
    u = applicant()
    me = call(*person(u))

    status, body = me("get", f"{APP}/filing/{plan.id}")
    assert status == 200, body
    assert body["source"] == "new" and body["locked"] is False and body["documents"] == []
    assert body["values"]["name"] == u.first_name and len(body["values"]["id_number"]) == 18
    assert "*" not in body["values"]["id_number"]  # the applicant's own values, in full
    assert body["plan"] == {**body["plan"], "id": plan.id, "status": "open", "window": "open"}

    status, body = me("post", f"{APP}/register/{plan.id}", json={})
    assert (status, body["message"]) == (422, "登记前请先完成本计划的信息填报。")

    no_files = filing_body(documents=[])
    status, body = me("put", f"{APP}/filing/{plan.id}", json=no_files)
    assert (status, body["message"]) == (422, "证件证明：请至少上传一个文件")

    status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body(annual_income=48000))
    assert status == 200, body
    assert body["source"] == "own" and body["values"]["annual_income"] == "48000.00"
    assert [d["name"] for d in body["documents"]] == ["身份证.png"]
    assert body["documents"][0]["url"].startswith("/uploads/")

    status, body = me("post", f"{APP}/register/{plan.id}", json={"project_id": plan.projects[0].id})
    assert status == 201, body
    first = body
    assert body["status"] == "pending" and body["number"].startswith("BZ") and body["reasons"] == []
    assert body["status_label"] == body["progress"] == "已登记，待审核"
    assert body["project_name"] == plan.projects[0].name
    assert body["may_cancel"] is True and body["may_request_review"] is False

    status, body = me("get", f"{APP}/records")
    assert status == 200 and body["count"] == 1 and body["result"][0]["number"] == first["number"]
    status, body = me("get", f"{APP}/records/{first['id']}")
    assert status == 200
    assert body["snapshot"]["id_number"] == first_full_id(u) and [h["action"] for h in body["history"]] == ["register"]
    assert "actor_id" not in body["history"][0]

    status, body = me("get", f"{APP}/filing/{plan.id}")
    assert body["locked"] is True
    status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body())
    assert (status, body["message"]) == (422, "您已登记本计划，修改填报信息前请先取消登记。")
    status, body = me("post", f"{APP}/register/{plan.id}", json={})
    assert (status, body["message"]) == (422, "您已登记本计划。如需修改填报信息，请先取消登记。")
    status, body = me("post", f"{APP}/records/{first['id']}/appeal", json={"text": "请复核"})
    assert (status, body["message"]) == (422, "只有未通过系统自动筛查的登记可以申请人工复核。")

    status, body = me("post", f"{APP}/records/{first['id']}/cancel")
    assert status == 200 and body["status"] == "cancelled" and body["cancelled_at"], body
    status, body = me("post", f"{APP}/records/{first['id']}/cancel", json={})
    assert (status, body["message"]) == (422, "该登记当前为已取消登记，不能取消。")

    # re-file (the stored file stays: no new document needed), then register again
    status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body(annual_income="50000", documents=[]))
    assert status == 200 and body["locked"] is False and len(body["documents"]) == 1, body
    status, body = me("post", f"{APP}/register/{plan.id}")
    assert status == 201 and body["status"] == "pending" and body["number"] != first["number"], body
    status, body = me("get", f"{APP}/records")
    assert [r["status"] for r in body["result"]] == ["pending", "cancelled"]

    # after the window: no cancelling, no filing
    with at(plan.reg_end):
        status, msg = me("post", f"{APP}/records/{body['result'][0]['id']}/cancel")
        assert (status, msg["message"]) == (422, f"登记已于{plan.reg_end:%Y-%m-%d %H:%M:%S}结束，不能再取消登记。")
        status, msg = me("put", f"{APP}/filing/{plan.id}", json=filing_body())
        assert (status, msg["message"]) == (422, "本计划的登记已结束，不再接受信息填报。")


def first_full_id(u):
    from app.accounts.services import person_of

    return person_of(u).id_number


def test_the_window_edges_and_the_project_by_rest(ctx, call):
    plan = new_plan(state="published")
    other = new_plan()
    u = applicant()
    me = call(*person(u))
    with at(plan.reg_start - timedelta(seconds=2)):
        status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body())
        assert status == 200, body
    with at(plan.reg_start - timedelta(seconds=1)):
        status, body = me("post", f"{APP}/register/{plan.id}", json={})
        assert (status, body["message"]) == (422, f"本计划的登记将于{plan.reg_start:%Y-%m-%d %H:%M:%S}开始。")
    with at(plan.reg_start):
        status, body = me("post", f"{APP}/register/{plan.id}", json={"project_id": other.projects[0].id})
        assert (status, body["message"]) == (422, "所选项目不属于本计划。")
        status, body = me("post", f"{APP}/register/{plan.id}", json={"project_id": None})
        assert status == 201 and body["status"] == "pending" and body["project_id"] is None, body


def test_a_new_plans_filing_starts_from_the_previous_one(ctx, call):
    first, second = new_plan(), new_plan()
    u = applicant()
    me = call(*person(u))
    member = {"name": "配小孩", "id_number": child_id_number(), "relation": "child"}
    status, body = me("put", f"{APP}/filing/{first.id}", json=filing_body(members=[member], employer="前单位"))
    assert status == 200, body
    status, body = me("get", f"{APP}/filing/{second.id}")
    assert status == 200 and body["source"] == "previous", body
    assert body["values"]["employer"] == "前单位" and body["values"]["members"][0]["id_number"] == member["id_number"]
    assert [d["name"] for d in body["documents"]] == ["身份证.png"]
    values = {k: v for k, v in body["values"].items() if k not in ("name", "id_type", "id_number", "birth_date")}
    status, body = me("put", f"{APP}/filing/{second.id}", json={**values, "documents": []})
    assert status == 200 and body["source"] == "own" and [d["name"] for d in body["documents"]] == ["身份证.png"]
    first_tokens = {d["token"] for d in me("get", f"{APP}/filing/{first.id}")[1]["documents"]}
    assert {d["token"] for d in body["documents"]}.isdisjoint(first_tokens)  # copied: each filing owns its files


def test_documents_by_multipart_and_removal(ctx, call):
    plan = new_plan()
    u = applicant()
    me = call(*person(u))
    status, body = me("post", f"{APP}/filing/{plan.id}/documents",
                      data={"documents": (io.BytesIO(png_bytes()), "户口本.png")})
    assert (status, body["message"]) == (422, "没有可修改的信息填报。")
    status, body = me("post", f"{APP}/filing/{plan.id}/documents", data={})
    assert (status, body["message"]) == (400, "证件证明：此项为必填项。")
    me("put", f"{APP}/filing/{plan.id}", json=filing_body())
    status, body = me("post", f"{APP}/filing/{plan.id}/documents",
                      data={"documents": [(io.BytesIO(png_bytes()), "户口本.png"),
                                          (io.BytesIO(b"not a pdf"), "收入证明.pdf")]})
    assert status == 422 and "收入证明.pdf" in body["message"], body
    status, body = me("post", f"{APP}/filing/{plan.id}/documents",
                      data={"documents": (io.BytesIO(png_bytes((10, 90, 10))), "户口本.png")})
    assert status == 200 and [d["name"] for d in body["documents"]] == ["身份证.png", "户口本.png"], body
    token = body["documents"][0]["token"]
    status, body = me("delete", f"{APP}/filing/{plan.id}/documents/{token}")
    assert status == 200 and [d["name"] for d in body["documents"]] == ["户口本.png"]
    status, body = me("delete", f"{APP}/filing/{plan.id}/documents/{token}")
    assert (status, body["message"]) == (404, NOT_FOUND)
    # another applicant's file token is not theirs to remove
    other = applicant()
    theirs = call(*person(other))
    theirs("put", f"{APP}/filing/{plan.id}", json=filing_body())
    mine_token = me("get", f"{APP}/filing/{plan.id}")[1]["documents"][0]["token"]
    assert theirs("delete", f"{APP}/filing/{plan.id}/documents/{mine_token}")[0] == 404
    assert len(me("get", f"{APP}/filing/{plan.id}")[1]["documents"]) == 1


def test_a_refused_registration_and_its_human_review_by_rest(ctx, call):
    plan = new_plan(rules=[("per_capita_income", "le", "50000", "家庭人均年收入须不高于5万元"),
                           ("housing_status", "eq", "none", "须在本市无自有住房")])
    u = applicant()
    me = call(*person(u))
    me("put", f"{APP}/filing/{plan.id}", json=filing_body(annual_income="120000", housing_status="owns",
                                                         owned_area="60"))
    status, body = me("post", f"{APP}/register/{plan.id}", json={})
    assert status == 201, body
    assert body["status"] == "refused" and body["number"] is None
    assert body["reasons"] == ["家庭人均年收入须不高于5万元", "须在本市无自有住房"]
    assert body["may_request_review"] is True and body["may_cancel"] is False
    reg_id = body["id"]
    status, body = me("post", f"{APP}/records/{reg_id}/appeal", json={"text": "  "})
    assert (status, body["message"]) == (400, "申请人工复核：此项为必填项。")
    status, body = me("post", f"{APP}/records/{reg_id}/appeal", json={"text": "收入含一次性补偿，请人工复核"})
    assert status == 200 and body["status"] == "appealed", body
    status, body = me("post", f"{APP}/records/{reg_id}/cancel", json={})
    assert status == 200 and body["status"] == "cancelled"

    # again, decided by the staff by REST
    me("put", f"{APP}/filing/{plan.id}", json=filing_body(annual_income="120000", documents=[]))
    reg_id = me("post", f"{APP}/register/{plan.id}", json={})[1]["id"]
    me("post", f"{APP}/records/{reg_id}/appeal", json={"text": "请复核"})
    staff = call("alloc_admin")
    status, body = staff("post", f"{REG}/{reg_id}/appeal", json={"admit": True})
    assert (status, body["message"]) == (400, "人工复核意见：此项为必填项。")
    status, body = staff("post", f"{REG}/{reg_id}/appeal", json={"admit": "yes", "reason": "x"})
    assert (status, body["message"]) == (400, "是否准予登记：必须是“是”或“否”（true 或 false）。"), body
    status, body = staff("post", f"{REG}/{reg_id}/appeal", json={"admit": True, "reason": "一次性补偿不计入收入"})
    assert status == 200 and body["result"]["status"] == "pending" and body["result"]["number"], body
    status, body = staff("post", f"{REG}/{reg_id}/appeal", json={"admit": False, "reason": "再次"})
    assert (status, body["message"]) == (422, "该登记当前为已登记，待审核，没有待处理的人工复核。")
    status, body = me("get", f"{APP}/records/{reg_id}")
    assert [h["action"] for h in body["history"]] == ["refuse", "appeal", "admit"]
    assert body["history"][-1]["reason"] == "一次性补偿不计入收入" and body["progress"] == "已登记，待审核"


# --- staff: plans, review, the draw ------------------------------------------------------------

def test_a_plan_is_drafted_edited_and_published_by_rest(ctx, call):
    staff = call("alloc_admin")
    start = plans.clock.now() + timedelta(days=3)
    draft = {"code": f"API-{start:%H%M%S%f}", "title": "接口测试计划", "announcement": "配租公告：接口测试。",
             "reg_start": f"{start:%Y-%m-%dT%H:%M:%S}", "reg_end": f"{start + timedelta(days=5):%Y-%m-%dT%H:%M:%S}",
             "contact_phone": "023-12345678"}
    status, body = staff("post", f"{PLAN}/", json={**draft, "reg_end": draft["reg_start"]})
    assert (status, body["message"]) == (422, "登记结束时间：须晚于开始时间")
    for region in ("500103001", "110000"):  # a street; another city
        status, body = staff("post", f"{PLAN}/", json={**draft, "region_code": region})
        assert (status, body["message"]) == (422, "行政区划：请选择本单位辖区内的区域"), body
    status, body = staff("post", f"{PLAN}/", json=draft)
    assert status == 201, body
    pk = body["id"]
    plan = body["result"]
    assert plan["status"] == "draft" and plan["region_code"] == "500000" and plan["lottery"]["commitment"] is None
    assert plan["contact_phone"] == "023-12345678"  # the centre's service phone, not a person's: not masked
    status, body = staff("post", f"{PLAN}/", json=draft)
    assert (status, body["message"]) == (422, "计划编号：已有其他计划使用该编号")

    status, body = staff("put", f"{PLAN}/{pk}", json={"title": "接口测试计划（修订）",
                                                       "reg_end": "2030-01-01T09:00:00+08:00"})
    assert status == 200 and body["result"]["title"] == "接口测试计划（修订）", body
    assert body["result"]["reg_end"].startswith("2030-01-01T")
    status, body = staff("post", f"{PLAN}/{pk}/transition", json={"action": "publish"})
    assert (status, body["message"]) == (422, "发布计划前请至少添加一个配租项目。")

    # projects and unit types are added in the console: here by the helper's rows
    from app.allocation.plans.models import AllocationProject, UnitType
    from decimal import Decimal

    row = db.session.get(AllocationPlan, pk)
    project = AllocationProject(name="接口小区", district_code="500105", address="江北区接口路1号")
    project.unit_types.append(UnitType(name="A户型", layout="一室一厅", area=Decimal("40"), rent=Decimal("1200"),
                                       count=2))
    row.projects.append(project)
    db.session.commit()
    status, body = staff("post", f"{PLAN}/{pk}/transition", json={"action": "publish"})
    assert status == 200 and body["result"]["status"] == "published", body
    commitment = body["result"]["lottery"]["commitment"]
    assert len(commitment) == 64 and body["result"]["lottery"]["draw"] is None
    assert body["result"]["projects"][0]["unit_types"][0] == {**body["result"]["projects"][0]["unit_types"][0],
                                                              "name": "A户型", "area": "40.00", "count": 2}
    status, body = staff("put", f"{PLAN}/{pk}", json={"title": "改"})
    assert (status, body["message"]) == (422, "计划当前为已发布，未开始登记，不能再修改计划内容。")
    status, body = staff("get", f"{PLAN}/{pk}")
    assert status == 200 and "secret" not in body["result"] and body["result"]["lottery"]["commitment"] == commitment
    assert body["result"]["homes"] == 2 and body["result"]["groups"][0]["is_default"] is True
    status, body = staff("post", f"{PLAN}/{pk}/transition", json={"action": "withdraw"})
    assert status == 200 and body["result"]["status"] == "draft" and body["result"]["lottery"]["commitment"] is None
    status, body = staff("post", f"{PLAN}/{pk}/transition", json={"action": "results"})
    assert (status, body["message"]) == (422, "计划当前为草稿，摇号后才能发布结果。")
    status, body = staff("get", f"{PLAN}/?q=(filters:!((col:status,opr:eq,value:draft)))")
    assert status == 200 and pk in [r["id"] for r in body["result"]]
    assert {r["status"] for r in body["result"]} == {"draft"} and body["result"][0]["status_label"] == "草稿"


def test_review_publicity_freeze_and_the_draw_by_rest(ctx, call):
    plan = new_plan(homes=(2,))
    people = [registered(plan=plan) for _ in range(4)]
    regs = [r for r, _u, _p in people]
    staff = call("alloc_admin")
    status, body = staff("post", f"{REG}/review", json={"ids": [regs[0].id], "approve": True})
    assert (status, body["message"]) == (422, "计划当前为登记中，登记须在登记结束后、资格公示前审核。")
    moment = closed(plan)
    with at(moment):
        status, body = staff("post", f"{REG}/review", json={"ids": [regs[3].id], "approve": False})
        assert (status, body["message"]) == (422, "不通过原因：必须填写")
        status, body = staff("post", f"{REG}/review", json={"ids": [], "approve": True})
        assert (status, body["message"]) == (400, "待审核的登记：须为1至1000项。")
        status, body = staff("post", f"{REG}/review", json={"ids": [r.id for r in regs[:3]], "approve": True})
        assert status == 200 and [r["status"] for r in body["result"]] == ["approved"] * 3, body
        assert body["result"][0]["plan_status"] == "review"
        status, body = staff("post", f"{REG}/review", json={"ids": [regs[3].id], "approve": False,
                                                             "reason": "收入证明与社保记录不符"})
        assert status == 200 and body["result"][0]["review_reason"] == "收入证明与社保记录不符"
        status, body = staff("post", f"{PLAN}/{plan.id}/draw", json={"entropy": "305871"})
        assert (status, body["message"]) == (422, "计划当前为审核中，冻结摇号名单后才能摇号。")
        status, body = staff("post", f"{PLAN}/{plan.id}/transition", json={"action": "publicity"})
        assert status == 200 and body["result"]["status"] == "publicity", body
        until = body["result"]["publicity_until"]
        status, body = staff("post", f"{PLAN}/{plan.id}/transition", json={"action": "freeze"})
        assert status == 422 and body["message"].startswith("资格公示将于"), body
    db.session.expire_all()
    plan = db.session.get(AllocationPlan, plan.id)
    assert plan.publicity_until.isoformat() == until
    with at(plan.publicity_until):
        status, body = staff("post", f"{PLAN}/{plan.id}/transition", json={"action": "freeze"})
        assert status == 200 and body["result"]["status"] == "frozen", body
        pools = body["result"]["lottery"]["pools"]
        numbers = sorted(r.number for r in regs[:3])
        assert [(p["size"], p["list_hash"]) for p in pools if p["size"]] == [
            (3, protocol.pool_hash(numbers).hex())]
        assert all(p["seed"] is None for p in pools) and body["result"]["lottery"]["draw"] is None
        status, body = staff("get", f"{PLAN}/{plan.id}")
        assert body["result"]["lottery"]["draw"] is None and "secret" not in str(body["result"]).lower()
        secret_hex = db.session.get(AllocationPlan, plan.id).secret.hex()
        for asked in ("(columns:!(secret,commitment))", "(columns:!(secret))"):
            status, body = staff("get", f"{PLAN}/{plan.id}?q={asked}")
            assert secret_hex not in str(body) and "secret" not in str(body.get("result", {})), (asked, body)
        status, body = staff("get", f"{PLAN}/?q=(columns:!(id,secret))")
        assert secret_hex not in str(body)
        status, body = staff("post", f"{PLAN}/{plan.id}/draw", json={"entropy": "", "witnesses": "公证员"})
        assert (status, body["message"]) == (400, "公开随机数E：此项为必填项。")
        status, body = staff("post", f"{PLAN}/{plan.id}/draw", json={"entropy": "305871",
                                                                     "witnesses": "市公证处；申请人代表"})
        assert status == 200 and body["result"]["status"] == "drawn", body
        draw = body["result"]["lottery"]["draw"]
        assert draw["entropy"] == "305871" and draw["witnesses"] == "市公证处；申请人代表"
        ranking = protocol.draw(bytes.fromhex(draw["secret"]), "305871", numbers).ranking
        assert protocol.commitment(bytes.fromhex(draw["secret"])).hex() == body["result"]["lottery"]["commitment"]
        assert [p["seed"] for p in body["result"]["lottery"]["pools"] if p["size"]][0]
        status, body = staff("post", f"{PLAN}/{plan.id}/draw", json={"entropy": "123456"})
        assert (status, body["message"]) == (422, "本计划已摇号，每个计划只能摇号一次。")
        status, body = staff("post", f"{PLAN}/{plan.id}/transition", json={"action": "results"})
        assert status == 200 and body["result"]["status"] == "results", body
    db.session.expire_all()
    by_number = {r.number: r for r in db.session.query(Registration).filter(Registration.plan_id == plan.id)}
    assert [n for n in sorted(numbers, key=lambda n: by_number[n].draw_order)] == ranking
    winner = by_number[ranking[0]]
    u = next(u for r, u, _p in people if r.id == winner.id)
    status, body = call(*person(u))("get", f"{APP}/records")
    record = body["result"][0]
    assert record["draw_result"] == "selected" and record["draw_order"] == 1
    assert record["progress"] == "已摇号：中签"
    loser = next(u for r, u, _p in people if r.id == regs[3].id)
    record = call(*person(loser))("get", f"{APP}/records")[1]["result"][0]
    assert record["status"] == "rejected" and record["review_reason"] == "收入证明与社保记录不符"
    assert record["progress"] == "审核不通过"


# --- bodies of the wrong shape: 400 naming the field ---------------------------------------------

def test_wrong_shapes_answer_400_naming_the_field(ctx, call):
    plan = new_plan()
    staff = call("alloc_admin")
    me = call(*person(applicant()))
    cases = [
        (staff, "post", f"{PLAN}/", {"code": "X1", "reg_start": "2030-01-01T09:00:00",
                                     "reg_end": "2030-01-02T09:00:00"}, "计划名称：此项为必填项。"),
        (staff, "post", f"{PLAN}/", {"code": "X1", "title": "t", "reg_start": "明天", "reg_end": "2030-01-02T09:00:00"},
         "登记开始时间：不是有效的日期时间。"),
        (staff, "post", f"{PLAN}/", {"code": 12, "title": "t", "reg_start": "2030-01-01T09:00:00",
                                     "reg_end": "2030-01-02T09:00:00"}, "计划编号：必须是文本。"),
        (staff, "post", f"{PLAN}/{plan.id}/transition", {"action": "explode"},
         "操作类型：必须是以下之一：publish, withdraw, publicity, freeze, results。"),
        (staff, "post", f"{PLAN}/{plan.id}/transition", {"action": "publish", "force": True}, "force：未知的字段。"),
        (staff, "post", f"{REG}/review", {"ids": "1,2", "approve": True}, "待审核的登记：必须是列表。"),
        (staff, "post", f"{REG}/review", {"ids": [1, "x"], "approve": True}, "待审核的登记第2项：必须是整数。"),
        (staff, "post", f"{REG}/review", {"ids": [1]}, "是否审核通过：此项为必填项。"),
        (me, "put", f"{APP}/filing/{plan.id}", {**filing_body(), "members": [{"relation": "child"}]},
         "家庭成员第1项，姓名：此项为必填项。"),
        (me, "put", f"{APP}/filing/{plan.id}", {**filing_body(), "marital_status": "complicated"},
         "婚姻状况：必须是以下之一：single, married, divorced, widowed。"),
        (me, "put", f"{APP}/filing/{plan.id}", {**filing_body(), "documents": [{"name": "a.png", "content": "%%%"}]},
         "证件证明第1项，文件内容（base64）：不是有效的base64编码内容。"),
        (me, "put", f"{APP}/filing/{plan.id}", {k: v for k, v in filing_body().items() if k != "annual_income"},
         "家庭年收入（元）：此项为必填项。"),
        (me, "post", f"{APP}/register/{plan.id}", {"project_id": "abc"}, "意向项目：必须是整数。"),
        (me, "post", f"{APP}/register/{plan.id}", {"project_id": 2 ** 40}, "意向项目：必须在 1 至 2147483647 之间。"),
    ]
    wrong = []
    for who, method, path, body, message in cases:
        status, answer = who(method, path, json=body)
        if status != 400 or answer.get("message") != message:
            wrong.append((path, body, status, answer.get("message"), message))
    assert not wrong, "\n".join(map(str, wrong))
    status, answer = staff("post", f"{PLAN}/{plan.id}/transition", raw="[1, 2]")
    assert (status, answer["message"]) == (400, "请求内容必须是 JSON 对象。")
    status, answer = me("put", f"{APP}/filing/{plan.id}", raw="not json")
    assert (status, answer["message"]) == (400, "请求内容必须是 JSON 对象。")
    status, answer = staff("post", f"{REG}/review", json={"ids": [1, "x"], "approve": True})
    assert answer["fields"] == {"ids": {"1": ["必须是整数。"]}}


def test_a_family_member_refused_by_the_service_names_the_member(ctx, call):
    plan = new_plan()
    me = call(*person(applicant()))
    member = {"name": "配小孩", "id_number": child_id_number(), "relation": "spouse"}
    status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body(members=[member]))
    assert (status, body["message"]) == (422, "第1位家庭成员，与申请人关系：填写了配偶，但婚姻状况不是已婚")
    status, body = me("put", f"{APP}/filing/{plan.id}", json=filing_body(
        marital_status="married", members=[member]))
    assert status == 200, body


# --- scope: every endpoint from outside -----------------------------------------------------

def test_another_applicant_and_other_roles_get_nothing(ctx, call):
    reg, owner, plan = registered()
    draft = new_plan(state="draft")
    other = call(*person(applicant()))
    for method, path, body in [("get", f"{APP}/records/{reg.id}", None), ("post", f"{APP}/records/{reg.id}/cancel", {}),
                               ("post", f"{APP}/records/{reg.id}/appeal", {"text": "x"}),
                               ("get", f"{APP}/records/99999999", None), ("get", f"{APP}/records/99999999999", None),
                               ("get", f"{APP}/filing/{draft.id}", None),
                               ("put", f"{APP}/filing/{draft.id}", filing_body()),
                               ("post", f"{APP}/register/{draft.id}", {}),
                               ("get", f"{APP}/filing/99999999999999999999", None)]:
        status, answer = other(method, path, json=body)
        assert (status, answer["message"]) == (404, NOT_FOUND), (method, path, status, answer)
    status, answer = other("get", f"{APP}/records")
    assert answer == {"count": 0, "result": []}
    status, answer = other("get", f"{APP}/filing/{plan.id}")
    assert status == 200 and answer["source"] == "new" and answer["values"]["id_number"] != reg.id_number
    db.session.refresh(reg)
    assert reg.status == RegStatus.PENDING

    for username in ("helpdesk", "ent_a"):
        c = call(username)
        for method, path, body in [("get", f"{APP}/records", None), ("get", f"{APP}/filing/{plan.id}", None),
                                   ("put", f"{APP}/filing/{plan.id}", filing_body()),
                                   ("post", f"{APP}/register/{plan.id}", {}),
                                   ("post", f"{APP}/records/{reg.id}/cancel", {}),
                                   ("post", f"{APP}/records/{reg.id}/appeal", {"text": "x"}),
                                   ("get", f"{APP}/records/{reg.id}", None),
                                   ("post", f"{APP}/filing/{plan.id}/documents", {}),
                                   ("delete", f"{APP}/filing/{plan.id}/documents/abc", None),
                                   ("get", f"{PLAN}/", None), ("get", f"{PLAN}/{plan.id}", None),
                                   ("post", f"{PLAN}/", {"code": "X"}), ("put", f"{PLAN}/{plan.id}", {"title": "x"}),
                                   ("post", f"{PLAN}/{plan.id}/transition", {"action": "freeze"}),
                                   ("post", f"{PLAN}/{plan.id}/draw", {"entropy": "1"}),
                                   ("get", f"{REG}/", None), ("get", f"{REG}/{reg.id}", None),
                                   ("post", f"{REG}/review", {"ids": [reg.id], "approve": True}),
                                   ("post", f"{REG}/{reg.id}/appeal", {"admit": True, "reason": "x"})]:
            status, answer = c(method, path, json=body)
            assert (status, answer["message"]) == (403, FORBIDDEN), (username, method, path, status, answer)

    # the analyst reads (masked) and writes nothing
    analyst = call("analyst")
    assert analyst("get", f"{PLAN}/{plan.id}")[0] == 200
    status, answer = analyst("get", f"{REG}/{reg.id}")
    assert status == 200 and answer["result"]["id_number"] != reg.id_number and "*" in answer["result"]["id_number"]
    for method, path, body in [("post", f"{PLAN}/", {"code": "A"}), ("put", f"{PLAN}/{plan.id}", {"title": "x"}),
                               ("post", f"{PLAN}/{plan.id}/transition", {"action": "freeze"}),
                               ("post", f"{PLAN}/{plan.id}/draw", {"entropy": "1"}),
                               ("post", f"{REG}/review", {"ids": [reg.id], "approve": True}),
                               ("post", f"{REG}/{reg.id}/appeal", {"admit": True, "reason": "x"}),
                               ("get", f"{APP}/records", None), ("post", f"{APP}/register/{plan.id}", {})]:
        status, answer = analyst(method, path, json=body)
        assert (status, answer["message"]) == (403, FORBIDDEN), (method, path, status, answer)

    # public1 (not real-name verified): the applicant's endpoints say 去实名; staff's refuse
    public1 = call("public1")
    for method, path, body in [("get", f"{APP}/filing/{plan.id}", None),
                               ("put", f"{APP}/filing/{plan.id}", filing_body()),
                               ("post", f"{APP}/register/{plan.id}", {})]:
        status, answer = public1(method, path, json=body)
        assert (status, answer["message"]) == (422, REALNAME), (method, path, status, answer)
    assert public1("get", f"{APP}/records") == (200, {"count": 0, "result": []})
    assert public1("get", f"{APP}/records/{reg.id}")[0] == 404
    for method, path in [("get", f"{PLAN}/"), ("get", f"{REG}/"), ("post", f"{REG}/review")]:
        assert public1(method, path, json={"ids": [reg.id], "approve": True})[0] == 403
    # an unverified applicant made by the helper: the same
    unverified = call(*person(applicant(verified=False)))
    assert unverified("put", f"{APP}/filing/{plan.id}", json=filing_body())[1]["message"] == REALNAME

    # anonymous
    anonymous = call(None)
    for method, path in [("get", f"{APP}/records"), ("get", f"{APP}/records/{reg.id}"),
                         ("get", f"{APP}/filing/{plan.id}"), ("put", f"{APP}/filing/{plan.id}"),
                         ("post", f"{APP}/filing/{plan.id}/documents"), ("post", f"{APP}/register/{plan.id}"),
                         ("delete", f"{APP}/filing/{plan.id}/documents/abc"),
                         ("post", f"{APP}/records/{reg.id}/cancel"), ("post", f"{APP}/records/{reg.id}/appeal"),
                         ("get", f"{PLAN}/"), ("get", f"{PLAN}/{plan.id}"), ("post", f"{PLAN}/"),
                         ("put", f"{PLAN}/{plan.id}"), ("post", f"{PLAN}/{plan.id}/transition"),
                         ("post", f"{PLAN}/{plan.id}/draw"), ("get", f"{REG}/"), ("get", f"{REG}/{reg.id}"),
                         ("post", f"{REG}/review"), ("post", f"{REG}/{reg.id}/appeal")]:
        status, answer = anonymous(method, path, json={})
        assert (status, answer["message"]) == (401, "请先登录。"), (method, path, status, answer)


def test_an_alloc_admin_of_another_district_sees_nothing_of_a_city_plan(ctx, call):
    reg, _u, plan = registered()
    refused_plan = new_plan(rules=[("annual_income", "le", "1", "收入过高")])
    refused, u2, _p = registered(plan=refused_plan)
    db.session.commit()
    district_alloc_admin()
    yubei = call("alloc_yubei", DEMO_PASSWORD)
    status, body = yubei("get", f"{PLAN}/")
    assert status == 200 and plan.id not in [r["id"] for r in body["result"]]
    status, body = yubei("get", f"{REG}/?q=(filters:!((col:plan_id,opr:eq,value:{plan.id})))")
    assert status == 200 and body["result"] == [] and body["count"] == 0
    for method, path, payload in [("get", f"{PLAN}/{plan.id}", None), ("put", f"{PLAN}/{plan.id}", {"title": "x"}),
                                  ("post", f"{PLAN}/{plan.id}/transition", {"action": "freeze"}),
                                  ("post", f"{PLAN}/{plan.id}/draw", {"entropy": "1"}),
                                  ("get", f"{REG}/{reg.id}", None),
                                  ("post", f"{REG}/review", {"ids": [reg.id], "approve": True}),
                                  ("post", f"{REG}/{refused.id}/appeal", {"admit": True, "reason": "x"}),
                                  ("get", f"{PLAN}/99999999999", None)]:
        status, answer = yubei(method, path, json=payload)
        assert (status, answer["message"]) == (404, NOT_FOUND), (method, path, status, answer)
    # a plan of their own district they run; the city's centre sees it too
    status, body = yubei("post", f"{PLAN}/", json={"code": f"YB-{reg.id}", "title": "渝北区计划",
                                                     "reg_start": "2030-01-01T09:00:00",
                                                     "reg_end": "2030-01-09T09:00:00"})
    assert status == 201 and body["result"]["region_code"] == "500112", body
    status, body2 = yubei("post", f"{PLAN}/", json={"code": f"YB2-{reg.id}", "title": "越界计划",
                                                      "region_code": "500000", "reg_start": "2030-01-01T09:00:00",
                                                      "reg_end": "2030-01-09T09:00:00"})
    assert (status, body2["message"]) == (422, "行政区划：请选择本单位辖区内的区域")
    assert call("alloc_admin")("get", f"{PLAN}/{body['id']}")[0] == 200


def test_staff_answers_mask_the_people(ctx, call):
    member = {"name": "配小孩", "id_number": child_id_number(), "relation": "child"}
    reg, u, plan = registered(members=[member])
    filing_mobile = reg.mobile
    full_id = reg.id_number
    admin = call("alloc_admin")  # 配租管理员: no full-value permission
    status, body = admin("get", f"{REG}/?q=(filters:!((col:plan_id,opr:eq,value:{plan.id})))")
    assert status == 200 and body["count"] == 1
    row = body["result"][0]
    assert row["name"] == reg.name[0] + "*" + reg.name[-1] and row["id_number"] == "*" * 14 + full_id[-4:]
    assert row["mobile"] == filing_mobile[:3] + "****" + filing_mobile[-4:]
    assert row["status_label"] == "已登记，待审核" and row["number"] == reg.number
    status, body = admin("get", f"{REG}/{reg.id}")
    detail = body["result"]
    assert detail["id_number"] == "*" * 14 + full_id[-4:] and detail["plan_title"] == plan.title
    snap = detail["snapshot"]
    assert snap["id_number"] == "*" * 14 + full_id[-4:] and snap["name"] == reg.name[0] + "*" + reg.name[-1]
    assert snap["mobile"] == filing_mobile[:3] + "****" + filing_mobile[-4:] and "*" in snap["address"]
    assert snap["members"][0]["name"] == "配*孩" and snap["members"][0]["id_number"].endswith(member["id_number"][-4:])
    assert "*" in snap["members"][0]["id_number"] and snap["members"][0]["relation"] == "child"
    assert [h["action"] for h in detail["history"]] == ["register"] and detail["history"][0]["actor_id"] == u.id
    assert full_id not in str(body) and member["id_number"] not in str(body)
    # a masked column is searched only by its exact full value
    status, body = admin("get", f"{REG}/?q=(filters:!((col:id_number,opr:ct,value:'{full_id[-4:]}')))")
    assert (status, body["message"]) == (400, "证件号码对您脱敏显示，只能按完整的值精确查询。")
    status, body = admin("get", f"{REG}/?q=(filters:!((col:id_number,opr:eq,value:'{full_id}')))")
    assert status == 200 and [r["id"] for r in body["result"]] == [reg.id]
    for col, value in [("number", reg.number), ("status", "pending"), ("group_code", reg.group_code)]:
        status, body = admin("get", f"{REG}/?q=(filters:!((col:plan_id,opr:eq,value:{plan.id}),"
                                    f"(col:{col},opr:eq,value:'{value}')))")
        assert status == 200 and [r["id"] for r in body["result"]] == [reg.id], (col, body)
    status, body = admin("get", f"{REG}/?q=(filters:!((col:plan_id,opr:eq,value:{plan.id}),"
                                f"(col:status,opr:eq,value:approved)))")
    assert body["result"] == []

    reviewer = call("reviewer")  # gov_reviewer: holds the full-value permission
    status, body = reviewer("get", f"{REG}/{reg.id}")
    assert body["result"]["id_number"] == full_id and body["result"]["snapshot"]["members"][0]["id_number"] == \
        member["id_number"]
    # the review answer names the applicant masked for a masked viewer
    with at(closed(plan)):
        status, body = admin("post", f"{REG}/review", json={"ids": [reg.id], "approve": True})
        assert status == 200 and body["result"][0]["name"] == reg.name[0] + "*" + reg.name[-1]


def test_the_endpoints_are_in_the_openapi_document(ctx, call):
    status, doc = call("admin")("get", "_openapi")
    assert status == 200
    paths = {path.removeprefix("/api/v1"): ops for path, ops in doc["paths"].items()}
    expected = {
        f"/{PLAN}/": {"get", "post"}, f"/{PLAN}/{{pk}}": {"get", "put"}, f"/{PLAN}/{{pk}}/transition": {"post"},
        f"/{PLAN}/{{pk}}/draw": {"post"}, f"/{REG}/": {"get"}, f"/{REG}/{{pk}}": {"get"}, f"/{REG}/review": {"post"},
        f"/{REG}/{{pk}}/appeal": {"post"}, f"/{APP}/filing/{{plan_id}}": {"get", "put"},
        f"/{APP}/filing/{{plan_id}}/documents": {"post"}, f"/{APP}/filing/{{plan_id}}/documents/{{token}}": {"delete"},
        f"/{APP}/register/{{plan_id}}": {"post"}, f"/{APP}/records": {"get"}, f"/{APP}/records/{{reg_id}}": {"get"},
        f"/{APP}/records/{{reg_id}}/cancel": {"post"}, f"/{APP}/records/{{reg_id}}/appeal": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths.get(path, {})) >= methods, path
    for path in expected:
        if path.endswith(("/", "{pk}")) and not path.startswith(f"/{APP}"):
            continue
        for method, op in paths[path].items():
            assert {"400", "401", "404", "422"} <= set(op["responses"]), (path, method)
    schemas = doc["components"]["schemas"]
    assert {"members", "documents", "annual_income"} <= set(schemas["AllocationFilingIn"]["properties"])
    assert schemas["AllocationTransitionIn"]["properties"]["action"]["enum"] == [
        "publish", "withdraw", "publicity", "freeze", "results"]
    register = paths[f"/{APP}/register/{{plan_id}}"]["post"]
    assert "refused" in register["summary"] and "201" in register["responses"]
    assert "multipart/form-data" in paths[f"/{APP}/filing/{{plan_id}}/documents"]["post"]["requestBody"]["content"]
    for name in ("AllocationPlanApi.get", "AllocationPlanApi.get_list"):
        assert "secret" not in schemas[name]["properties"] and "commitment" in schemas[name]["properties"]


# --- the allocation operations against their OpenAPI document (schemathesis) ---------------------
# tests/core/test_api_schema.py runs every operation as ent_a and sysadmin on a database without
# allocation data; here the allocation operations run as the 配租管理员 and as an applicant, on a
# database of their own with plans, filings and registrations, path ids drawn mostly from the
# rows that exist (else they would only meet 404s). No answer may be a 5xx or break the document.

SCHEMA_EXAMPLES = 12


@pytest.fixture(scope="module")
def schema_app():
    import tempfile

    from tests.conftest import build_app

    application = build_app(tempfile.mkdtemp(prefix="anju-alloc-schema-"), name="alloc_schema")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app):
    from app.allocation.filings.models import ApplicantFiling
    from app.allocation.registrations import services as regs
    from app.core import uploads

    with app.app_context():
        plan_rows = [new_plan(), new_plan(), new_plan(state="draft"), new_plan(state="published"),
                     new_plan(rules=[("annual_income", "le", "1", "收入过高")])]
        for plan in (plan_rows[0], plan_rows[1], plan_rows[4]):
            for _ in range(2):
                registered(plan=plan)
        u = applicant()
        file_for(u, plan_rows[0])
        file_for(u, plan_rows[4])
        regs.register(u, plan_rows[0].id)
        regs.register(u, plan_rows[4].id)
        known = {"plan_id": [p.id for p in plan_rows], "reg_id": [r.id for r in db.session.query(Registration)],
                 "token": [f.token for row in db.session.query(ApplicantFiling) for f in uploads.files_of(row)]}
        known["pk"] = known["plan_id"] + known["reg_id"]
        return u.username, known


@pytest.mark.parametrize("who", ["alloc_admin", "applicant"])
def test_the_allocation_operations_keep_their_schema_and_never_answer_5xx(schema_app, who):
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    username, known = _seed(schema_app)
    if who == "alloc_admin":
        username, password = "alloc_admin", DEMO_PASSWORD
    else:
        password = PASSWORD
    headers = {"Authorization": f"Bearer {api_token(schema_app, username, password)}"}
    admin = {"Authorization": f"Bearer {api_token(schema_app, 'admin')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", schema_app, headers=admin)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "/allocation_" not in operation.path:
            continue
        operations += 1

        @hypothesis.settings(max_examples=SCHEMA_EXAMPLES, derandomize=True, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck),
                             phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
        @hypothesis.given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                         operation.as_strategy(GenerationMode.NEGATIVE)), data=st.data())
        def check(case, data):
            for key in list(case.path_parameters or {}):
                if known.get(key) and data.draw(st.integers(0, 3)):
                    case.path_parameters[key] = data.draw(st.sampled_from(known[key]))
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            except BaseException as exc:  # collect all, report together
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
                raise

        try:
            check()
        except BaseException as exc:  # noqa: B036 - schemathesis raises a group of failures
            if isinstance(exc, KeyboardInterrupt):
                raise
    assert operations == 21
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
