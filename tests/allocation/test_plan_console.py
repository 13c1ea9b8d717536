"""配租计划 in the staff console, as staff use it through the pages: create → edit → projects,
unit types, photos, attachments, rules, groups → publish (C shown, S in no page or export)
→ (registrations by the services, moved clock) → 资格公示 → 冻结摇号名单 → 摇号 with E →
发布结果; every refusal's exact Chinese message; the readers; and nobody outside the scope
(another district's 配租管理员, helpdesk, ent_a, public1, district1, anonymous) on any URL."""
import hashlib
import html as html_lib
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.allocation.lottery import services as lottery
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan, PlanStatus
from app.allocation.registrations import services as registrations
from app.extensions import db
from tests.allocation.helpers import at, new_plan, png_bytes, registered, user
from tests.conftest import DEMO_PASSWORD, csrf_token

BASE = "/allocation/plans"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def flashes(page):
    found = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, flags=re.S)
    return [html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]*>|×", " ", f))).strip() for f in found]


def flashed(resp, text):
    page = resp.get_data(as_text=True)
    assert any(text in f for f in flashes(page)), (text, flashes(page))
    return page


def post(c, url, data=None, page=None, **kw):
    """POST a form of ``page`` (a URL whose page holds a CSRF token), following the redirect."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(c.get(page or f"{BASE}/list/").get_data(as_text=True))
    return c.post(url, data=payload, follow_redirects=kw.pop("follow", True), **kw)


def upload(c, plan_id, kind, owner_id, label, files):
    token = csrf_token(c.get(f"{BASE}/show/{plan_id}").get_data(as_text=True))
    data = {"csrf_token": token, "owner_kind": kind, "owner_id": str(owner_id), "label": label,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return c.post(f"{BASE}/{plan_id}/files", data=data, content_type="multipart/form-data", follow_redirects=True)


def plan_of(plan_id):
    db.session.expire_all()
    return db.session.get(AllocationPlan, plan_id)


def _stamp():
    return datetime.now().strftime("%H%M%S%f")


def plan_form(**overrides):
    start = datetime.now().replace(second=0, microsecond=0) + timedelta(days=3)
    data = {"code": f"PC{_stamp()}", "title": f"控制台测试计划{_stamp()}", "region_code": "500000",
            "announcement": "", "reg_start": start.strftime("%Y-%m-%dT%H:%M"),
            "reg_end": (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "contact_phone": "023-87538915", "contact_hours": "登记期间早9点至17点", "contact_address": "重庆市渝北区测试路8号"}
    data.update(overrides)
    return data


def create_plan(c, **overrides):
    data = plan_form(**overrides)
    resp = post(c, f"{BASE}/add", data, page=f"{BASE}/add", follow=False)
    assert resp.status_code == 302, flashes(resp.get_data(as_text=True)) or resp.get_data(as_text=True)[-2000:]
    plan_id = int(re.search(r"/show/(\d+)", resp.headers["Location"]).group(1))
    return plan_id, data


@pytest.fixture(scope="module")
def yubei_admin(app):
    """A 配租管理员 of 渝北区 (500112): a city plan (500000) lies outside its scope."""
    from app.system.models import Organization

    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username="alloc_yubei") is None:
            org = db.session.execute(select(Organization).where(
                Organization.name == "渝北区住房和城乡建设委员会")).scalar_one()
            sm.add_user("alloc_yubei", "渝北区配租管理员", "", "alloc_yubei@test.anju.invalid",
                        sm.find_role("alloc_admin"), password=DEMO_PASSWORD, org_id=org.id,
                        mobile="13200008801", must_change_password=False)
    return "alloc_yubei"


# --- the whole life of a plan through the console ------------------------------------------------

def test_create_edit_terms_and_publish(ctx, login):
    c = login("alloc_admin")
    page = c.get(f"{BASE}/list/").get_data(as_text=True)
    assert 'id="anju-add"' in page and "计划编号" in page and "已登记人数" in page and "房源套数" in page
    form = c.get(f"{BASE}/add").get_data(as_text=True)
    assert 'value="500000"' in form and 'value="500112"' in form and 'type="datetime-local"' in form

    # the window's end before its start: refused on the form, nothing saved
    later = (datetime.now() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    bad = plan_form(reg_end=plan_form()["reg_start"], reg_start=later)
    resp = post(c, f"{BASE}/add", bad, page=f"{BASE}/add")
    assert "登记结束时间：须晚于开始时间" in resp.get_data(as_text=True)
    assert db.session.execute(select(AllocationPlan).where(AllocationPlan.code == bad["code"])).first() is None
    assert "计划编号：必须填写" in post(c, f"{BASE}/add", plan_form(code=""), page=f"{BASE}/add").get_data(as_text=True)

    plan_id, data = create_plan(c)
    page = flashed(c.get(f"{BASE}/show/{plan_id}"), f"已保存：{data['title']}")
    assert 'id="bar-draft"' in page and 'aria-current="step"' in page and "资格公示" in page and "已完成" in page
    assert plan_of(plan_id).status == PlanStatus.DRAFT and plan_of(plan_id).created_by_fk == user("alloc_admin").id
    duplicate = post(c, f"{BASE}/add", plan_form(code=data["code"]), page=f"{BASE}/add")
    assert "计划编号：已有其他计划使用该编号" in duplicate.get_data(as_text=True)

    # publish refusals, in the order a plan is completed
    flashed(post(c, f"{BASE}/{plan_id}/publish", page=f"{BASE}/show/{plan_id}"), "配租公告：必须填写")
    edit = c.get(f"{BASE}/edit/{plan_id}").get_data(as_text=True)
    assert data["code"] in edit and data["reg_start"] in edit
    resp = post(c, f"{BASE}/edit/{plan_id}", {**data, "announcement": "一、配租对象\n本市无自有住房的家庭。",
                                               "title": data["title"] + "（修订）"}, page=f"{BASE}/edit/{plan_id}")
    flashed(resp, "已保存：" + data["title"] + "（修订）")
    assert plan_of(plan_id).announcement.startswith("一、配租对象")
    flashed(post(c, f"{BASE}/{plan_id}/publish", page=f"{BASE}/show/{plan_id}"), "发布计划前请至少添加一个配租项目。")

    # a project in a district of the city; its unit types with a rent list
    assert "渝北区" in c.get(f"{BASE}/{plan_id}/projects/add").get_data(as_text=True)
    resp = post(c, f"{BASE}/{plan_id}/projects/add", {"name": "", "district_code": "500112", "address": "x"},
                page=f"{BASE}/{plan_id}/projects/add")
    assert "项目名称：必须填写" in resp.get_data(as_text=True)
    resp = post(c, f"{BASE}/{plan_id}/projects/add",
                {"name": "两江小区", "district_code": "500112", "address": "渝北区两江大道1号", "intro": "精装修小区",
                 "traffic": "轨道交通3号线"}, page=f"{BASE}/{plan_id}/projects/add")
    flashed(resp, "已保存：两江小区")
    project = plan_of(plan_id).projects[0]
    assert (project.district_code, project.traffic) == ("500112", "轨道交通3号线")
    flashed(post(c, f"{BASE}/{plan_id}/publish", page=f"{BASE}/show/{plan_id}"), "项目两江小区还没有户型。")

    unit_url = f"{BASE}/{plan_id}/projects/{project.id}/units/add"
    unit = {"name": "A户型", "layout": "一室一厅一卫", "area": "45.20", "rent": "1580", "count": "2",
            "rent_list": "房号,楼层,面积,月租金\n1-2-301,3,45.20,1580\n1-2-302,第三层,45.2,1580"}
    resp = post(c, unit_url, unit, page=unit_url)
    assert "租金清单第3行：楼层须为-10到300之间的整数" in resp.get_data(as_text=True)
    resp = post(c, unit_url, {**unit, "rent_list": "1-2-301,3,45.20,1580"}, page=unit_url)
    assert "租金清单有1套，而该户型房源套数为2，请每套房源填写一行。" in resp.get_data(as_text=True)
    resp = post(c, unit_url, {**unit, "rent_list": "1-2-301,3,45.20,1580\n1-2-301\t4\t45.2\t1600"}, page=unit_url)
    assert "租金清单第2行：房号1-2-301重复" in resp.get_data(as_text=True)
    assert "建筑面积（㎡）：须为大于0的数字，最多两位小数" in post(c, unit_url, {**unit, "area": "-3"}, page=unit_url
                                                              ).get_data(as_text=True)
    resp = post(c, unit_url, {**unit, "rent_list": "1-2-301,3,45.20,1580\n1-2-302\t4\t45.2\t1600"}, page=unit_url)
    flashed(resp, "已保存：两江小区 A户型")
    a_unit = plan_of(plan_id).projects[0].unit_types[0]
    assert a_unit.rent_list == [{"room": "1-2-301", "floor": 3, "area": "45.20", "rent": "1580.00"},
                                {"room": "1-2-302", "floor": 4, "area": "45.20", "rent": "1600.00"}]
    assert "1-2-302,4,45.20,1600.00" in c.get(f"{BASE}/{plan_id}/units/{a_unit.id}/edit").get_data(as_text=True)
    flashed(post(c, f"{BASE}/{plan_id}/units/{a_unit.id}/edit", {**unit, "rent_list": "", "count": "3"},
                 page=f"{BASE}/{plan_id}/units/{a_unit.id}/edit"), "已保存：两江小区 A户型")
    assert plan_of(plan_id).projects[0].unit_types[0].count == 3

    # photos (JPG/PNG only) and the announcement's attachments (PDF, DOCX, JPG, PNG)
    flashed(upload(c, plan_id, "project", project.id, "实景照片", [("外景.png", png_bytes()), ("内庭.png", png_bytes())]),
            "已上传2个文件。")
    flashed(upload(c, plan_id, "project", project.id, "实景照片", [("简介.pdf", PDF)]), "文件 简介.pdf 不是JPG或PNG图片。")
    flashed(upload(c, plan_id, "unit", a_unit.id, "户型图", [("A户型.png", png_bytes((10, 90, 200)))]), "已上传1个文件。")
    flashed(upload(c, plan_id, "plan", plan_id, "公告附件", [("配租公告.pdf", PDF)]), "已上传1个文件。")
    flashed(upload(c, plan_id, "plan", plan_id, "公告附件", [("名单.xlsx", b"PK")]),
            "文件 名单.xlsx 的类型不允许上传（允许：PDF, DOCX, JPG, PNG）。")
    flashed(upload(c, plan_id, "unit", a_unit.id, "户型图", []), "请选择要上传的文件。")
    files = plans.plan_files(plan_of(plan_id))
    assert [f.original_name for f in files[("project", project.id)]] == ["外景.png", "内庭.png"]
    assert [(f.label, f.original_name) for f in files[("unit", a_unit.id)]] == [("户型图", "A户型.png")]
    assert [(f.label, f.original_name) for f in files[("plan", plan_id)]] == [("公告附件", "配租公告.pdf")]
    photo = files[("project", project.id)][1]
    assert c.get(f"/uploads/{photo.token}").status_code == 200
    flashed(post(c, f"{BASE}/{plan_id}/files/{photo.id}/delete", {"anchor": f"project-{project.id}"},
                 page=f"{BASE}/show/{plan_id}"), "文件已删除。")
    assert [f.original_name for f in plans.plan_files(plan_of(plan_id))[("project", project.id)]] == ["外景.png"]

    # registration conditions: a field, a condition of its kind, the value and the reason
    show = f"{BASE}/show/{plan_id}"
    flashed(post(c, f"{BASE}/{plan_id}/rules/add", {"field": "per_capita_income", "op": "in", "value": "1"}, page=show),
            "条件：该条件不适用于所选字段")
    flashed(post(c, f"{BASE}/{plan_id}/rules/add", {"field": "per_capita_income", "op": "le", "value": "100000",
                                                    "reason": ""}, page=show), "不符合时提示的原因：必须填写")
    for data_rule in ({"field": "per_capita_income", "op": "le", "value": "100000", "reason": "家庭人均年收入须不高于10万元"},
                      {"field": "hukou_type", "op": "in", "value_hukou_type": ["local", "residence_permit"],
                       "reason": "须具有本市户籍或持有本市居住证"},
                      {"field": "applicant_age", "op": "ge", "value": "18", "reason": "申请人须年满18周岁"}):
        flashed(post(c, f"{BASE}/{plan_id}/rules/add", data_rule, page=show), "条件已添加。")
    rules = [r for r in plan_of(plan_id).rules if r.group_id is None]
    assert [(r.field, r.op, r.value) for r in rules] == [
        ("per_capita_income", "le", "100000"), ("hukou_type", "in", ["local", "residence_permit"]),
        ("applicant_age", "ge", "18")]
    page = c.get(show).get_data(as_text=True)
    assert "须具有本市户籍或持有本市居住证" in page and page.index("家庭人均年收入须不高于10万元") < page.index("申请人须年满18周岁")
    flashed(post(c, f"{BASE}/{plan_id}/rules/{rules[2].id}/move", {"direction": "up"}, page=show), "顺序已调整。")
    flashed(post(c, f"{BASE}/{plan_id}/rules/{rules[0].id}/delete", page=show), "条件已删除。")
    assert [r.field for r in sorted((r for r in plan_of(plan_id).rules if r.group_id is None),
                                    key=lambda r: r.sort_order)] == ["applicant_age", "hukou_type"]

    # a priority group drawn first, with a condition (its reason defaults to the group's name)
    flashed(post(c, f"{BASE}/{plan_id}/groups/add", {"code": "优先", "name": "优先家庭", "draw_order": "1"}, page=show),
            "分组代码：只能包含小写字母、数字、-和_，最多16位")
    flashed(post(c, f"{BASE}/{plan_id}/groups/add", {"code": "priority", "name": "优先家庭", "draw_order": "1"},
                 page=show), "已保存：优先家庭")
    flashed(post(c, f"{BASE}/{plan_id}/groups/add", {"code": "priority", "name": "另一组", "draw_order": "2"},
                 page=show), "分组代码：本计划已有该代码的分组")
    group = plan_of(plan_id).groups[0]
    flashed(post(c, f"{BASE}/{plan_id}/rules/add", {"group_id": str(group.id), "field": "family_size", "op": "ge",
                                                    "value": "3"}, page=show), "条件已添加。")
    assert [(r.field, r.reason) for r in plan_of(plan_id).groups[0].conditions] == [("family_size", "优先家庭")]
    flashed(post(c, f"{BASE}/{plan_id}/groups/add", {"code": "elder", "name": "老年家庭", "draw_order": "2"},
                 page=show), "已保存：老年家庭")
    elder = next(g for g in plan_of(plan_id).groups if g.code == "elder")
    flashed(post(c, f"{BASE}/{plan_id}/rules/add", {"group_id": str(elder.id), "field": "applicant_age", "op": "ge",
                                                    "value": "60"}, page=show), "条件已添加。")
    flashed(post(c, f"{BASE}/{plan_id}/groups/{elder.id}/edit", {"code": "elder", "name": "老年家庭", "draw_order": "0"},
                 page=show), "摇号顺序：须在1至99之间")
    flashed(post(c, f"{BASE}/{plan_id}/groups/{elder.id}/delete", page=show), "已删除：老年家庭")
    plan = plan_of(plan_id)
    assert [g.code for g in plan.groups] == ["priority"] and len(plan.rules) == 3

    # publish: C shown, the terms locked, S nowhere
    resp = post(c, f"{BASE}/{plan_id}/publish", page=show)
    page = flashed(resp, f"配租计划「{data['title']}（修订）」已发布。")
    plan = plan_of(plan_id)
    assert plan.status == PlanStatus.PUBLISHED and plan.commitment in page
    assert hashlib.sha256(plan.secret).hexdigest() == plan.commitment
    assert [g.name for g in plans.groups_of(plan)] == ["优先家庭", "普通家庭"]
    secret = plan.secret.hex()
    for url in (show, f"{BASE}/list/", f"{BASE}/{plan_id}/draw", f"{BASE}/list/?_flt_0_status=published"):
        resp = c.get(url)
        assert resp.status_code == 200 and secret not in resp.get_data(as_text=True).lower(), url
    export = c.get(f"{BASE}/export/")
    assert export.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export.data))
    cells = [str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None]
    assert plan.commitment in cells and not any(secret in v.lower() for v in cells)
    assert "计划编号" in cells and "已发布，未开始登记" in cells

    # editing a published plan: a refusal in Chinese and no change
    refusal = "计划当前为已发布，未开始登记，不能再修改计划内容。"
    flashed(c.get(f"{BASE}/edit/{plan_id}", follow_redirects=True), refusal)
    flashed(post(c, f"{BASE}/edit/{plan_id}", {**data, "title": "改名"}, page=show), refusal)
    flashed(post(c, f"{BASE}/{plan_id}/projects/add", {"name": "新小区", "district_code": "500112", "address": "x"},
                 page=show), refusal)
    flashed(post(c, f"{BASE}/{plan_id}/rules/add", {"field": "family_size", "op": "ge", "value": "1",
                                                    "reason": "家庭人口"}, page=show), refusal)
    flashed(post(c, f"{BASE}/{plan_id}/groups/{group.id}/delete", page=show), refusal)
    flashed(upload(c, plan_id, "project", project.id, "实景照片", [("x.png", png_bytes())]), refusal)
    flashed(post(c, f"{BASE}/delete/{plan_id}", page=show), "计划当前为已发布，未开始登记，只有草稿状态的计划可以删除。")
    plan = plan_of(plan_id)
    assert plan.title == data["title"] + "（修订）" and len(plan.projects) == 1 and plan.status == PlanStatus.PUBLISHED

    # withdraw before the window opens: a draft again, C dropped
    flashed(post(c, f"{BASE}/{plan_id}/withdraw", page=show), f"配租计划「{plan.title}」已撤回为草稿。")
    plan = plan_of(plan_id)
    assert plan.status == PlanStatus.DRAFT and plan.commitment is None
    flashed(post(c, f"{BASE}/{plan_id}/projects/{project.id}/delete", page=show), "已删除：两江小区")
    flashed(post(c, f"{BASE}/delete/{plan_id}", page=show), f"已删除：{plan.title}")
    assert plan_of(plan_id) is None


def test_publicity_freeze_draw_and_results(ctx, login):
    plan = new_plan(homes=(2,), title=f"摇号控制台测试{_stamp()}")
    regs = [registered(plan=plan)[0] for _ in range(4)]
    admin = user("alloc_admin")
    c = login("alloc_admin")
    show = f"{BASE}/show/{plan.id}"
    flashed(post(c, f"{BASE}/{plan.id}/withdraw", page=show), "只有已发布且尚未开始登记的计划可以撤回。")
    page = c.get(show).get_data(as_text=True)
    link = f"/allocation/registrations/list/?_flt_0_plan_id={plan.id}"
    assert 'id="reg-registered">4<' in page and f'id="reg-pending"><a href="{link}&amp;_flt_0_status=pending">4<' in page
    assert f'href="{link}" id="reg-list-link"' in page
    listed = c.get(f"{link}&_flt_0_status=pending").get_data(as_text=True)     # the registrations console
    assert all(r.number in listed for r in regs)
    after = plan.reg_end + timedelta(minutes=1)
    with at(after):
        plans.sync_windows()
        registrations.review(admin, [r.id for r in regs[:3]], True)
        registrations.review(admin, [regs[3].id], False, "收入证明与社保记录不符")
        db.session.commit()
        page = flashed(post(c, f"{BASE}/{plan.id}/publicity", page=show), f"「{plan.title}」已开始资格公示。")
        assert 'id="bar-publicity"' in page and plan_of(plan.id).status == PlanStatus.PUBLICITY
        flashed(post(c, f"{BASE}/{plan.id}/publicity", page=show), "计划当前为资格公示")
        until = plan_of(plan.id).publicity_until
        flashed(post(c, f"{BASE}/{plan.id}/freeze", page=show),
                f"资格公示将于{until:%Y-%m-%d %H:%M}结束，结束后才能冻结摇号名单。")
    with at(until):
        flashed(post(c, f"{BASE}/{plan.id}/freeze", page=show), f"「{plan.title}」的摇号名单已冻结。")
        pools = lottery.pools_of(plan_of(plan.id))
        draw_page = c.get(f"{BASE}/{plan.id}/draw").get_data(as_text=True)
        assert plan.commitment in draw_page and 'id="draw-homes">2<' in draw_page
        for pool in pools:
            assert pool.list_hash in draw_page
        assert 'class="pool-size">3<' in draw_page and 'id="draw-form"' in draw_page
        secret = plan_of(plan.id).secret.hex()
        assert secret not in draw_page and secret not in c.get(show).get_data(as_text=True)
        resp = post(c, f"{BASE}/{plan.id}/draw", {"entropy": " ", "witnesses": ""}, page=f"{BASE}/{plan.id}/draw")
        assert "公开随机数E：必须填写" in resp.get_data(as_text=True)
        resp = post(c, f"{BASE}/{plan.id}/draw", {"entropy": "305871", "witnesses": "公证员张某；申请人代表李某"},
                    page=f"{BASE}/{plan.id}/draw")
        page = flashed(resp, f"配租计划「{plan.title}」已完成摇号。")
        record = lottery.draw_of(plan_of(plan.id))
        assert record.secret_hex == secret and hashlib.sha256(bytes.fromhex(secret)).hexdigest() == plan.commitment
        assert secret in page and 'id="draw-e">305871<' in page and "公证员张某" in page
        for pool in lottery.pools_of(plan_of(plan.id)):
            if pool.size:
                assert pool.seed in page
        assert "本计划已摇号：房源2套，中签2户。" in page and "/allocation/plan/%d/lottery.zip" % plan.id in page
        bundle = c.get(f"/allocation/plan/{plan.id}/lottery.zip")                  # the portal's published files
        assert bundle.status_code == 200 and bundle.data[:2] == b"PK"
        resp = post(c, f"{BASE}/{plan.id}/draw", {"entropy": "123456"}, page=f"{BASE}/{plan.id}/draw")
        assert "本计划已摇号，每个计划只能摇号一次。" in resp.get_data(as_text=True)
        assert lottery.draw_of(plan_of(plan.id)).entropy == "305871"
        page = c.get(show).get_data(as_text=True)
        assert secret in page and 'id="lottery-e">305871<' in page and 'id="bar-drawn"' in page
        page = flashed(post(c, f"{BASE}/{plan.id}/results", page=show), f"「{plan.title}」的摇号结果已发布。")
        assert plan_of(plan.id).status == PlanStatus.RESULTS
        flashed(post(c, f"{BASE}/{plan.id}/results", page=show), "计划当前为结果公示")


def test_publish_refusals_and_window(ctx, login):
    c = login("alloc_admin")
    past = datetime.now().replace(second=0, microsecond=0) - timedelta(days=10)
    plan_id, _data = create_plan(c, announcement="公告", reg_start=past.strftime("%Y-%m-%dT%H:%M"),
                                 reg_end=(past + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    flashed(post(c, f"{BASE}/{plan_id}/publish", page=f"{BASE}/show/{plan_id}"), "登记结束时间：已经过去")
    resp = post(c, f"{BASE}/edit/{plan_id}", plan_form(code=_data["code"], reg_start="明天", announcement="公告"),
                page=f"{BASE}/edit/{plan_id}")
    assert "登记开始时间：须为日期时间，如2026-03-01 09:00" in resp.get_data(as_text=True)
    assert plan_of(plan_id).reg_start == past
    resp = post(c, f"{BASE}/edit/{plan_id}", plan_form(code=_data["code"], reg_end=""), page=f"{BASE}/edit/{plan_id}")
    assert "登记结束时间：必须填写" in resp.get_data(as_text=True)
    # a district's plan: a region the city's 配租管理员 may choose; a region outside the city is not offered
    resp = post(c, f"{BASE}/add", plan_form(region_code="110000"), page=f"{BASE}/add")
    assert "行政区划：请选择本单位辖区内的区域" in resp.get_data(as_text=True)


# --- who sees and does what ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def city_plan(app):
    """A city plan (500000), published, with a project photo: what nobody outside may reach."""
    with app.app_context():
        plan = new_plan(state="published", title=f"范围测试计划{_stamp()}")
        project = plan.projects[0]
        unit = project.unit_types[0]
        from app.core import uploads

        photo = uploads.save(("外景.png", png_bytes()), label="实景照片", owner=project, user=user("alloc_admin"))
        db.session.commit()
        draft = new_plan(state="draft", title=f"范围测试草稿{_stamp()}")
        draft_photo = uploads.save(("户型.png", png_bytes()), label="户型图", owner=draft.projects[0].unit_types[0],
                                   user=user("alloc_admin"))
        rule = plans.add_rule(draft, "family_size", "ge", "1", "家庭人口不少于1人")
        group = plans.save_group(draft, None, {"code": "p1", "name": "范围分组", "draw_order": "1"})
        db.session.commit()
        return {"id": plan.id, "code": plan.code, "project": project.id, "unit": unit.id, "token": photo.token,
                "photo": photo.id, "draft": draft.id, "draft_code": draft.code, "draft_project": draft.projects[0].id,
                "draft_unit": draft.projects[0].unit_types[0].id, "draft_photo": draft_photo.id,
                "draft_token": draft_photo.token, "rule": rule.id, "group": group.id}


def _every_url(p):
    """(method, url) of every page and action of the console for the city plans of ``p``."""
    d, pid = p["draft"], p["id"]
    return [
        ("GET", f"{BASE}/show/{pid}"), ("GET", f"{BASE}/show/{d}"), ("GET", f"{BASE}/edit/{d}"),
        ("POST", f"{BASE}/edit/{d}"), ("POST", f"{BASE}/delete/{d}"), ("GET", f"{BASE}/{d}/projects/add"),
        ("POST", f"{BASE}/{d}/projects/add"), ("GET", f"{BASE}/{d}/projects/{p['draft_project']}/edit"),
        ("POST", f"{BASE}/{d}/projects/{p['draft_project']}/delete"),
        ("GET", f"{BASE}/{d}/projects/{p['draft_project']}/units/add"),
        ("GET", f"{BASE}/{d}/units/{p['draft_unit']}/edit"), ("POST", f"{BASE}/{d}/units/{p['draft_unit']}/delete"),
        ("POST", f"{BASE}/{d}/files"), ("POST", f"{BASE}/{d}/files/{p['draft_photo']}/delete"),
        ("POST", f"{BASE}/{d}/rules/add"), ("POST", f"{BASE}/{d}/rules/{p['rule']}/delete"),
        ("POST", f"{BASE}/{d}/rules/{p['rule']}/move"), ("POST", f"{BASE}/{d}/groups/add"),
        ("POST", f"{BASE}/{d}/groups/{p['group']}/edit"), ("POST", f"{BASE}/{d}/groups/{p['group']}/delete"),
        ("POST", f"{BASE}/{d}/publish"), ("POST", f"{BASE}/{pid}/withdraw"), ("POST", f"{BASE}/{pid}/publicity"),
        ("POST", f"{BASE}/{pid}/freeze"), ("GET", f"{BASE}/{pid}/draw"), ("POST", f"{BASE}/{pid}/draw"),
        ("POST", f"{BASE}/{pid}/results"),
    ]


def _try(c, method, url, token):
    if method == "GET":
        return c.get(url).status_code
    return c.post(url, data={"csrf_token": token, "owner_kind": "plan", "owner_id": url.split("/")[3],
                             "field": "family_size", "op": "ge", "value": "2", "reason": "x", "code": "zz",
                             "name": "外人", "draw_order": "3", "entropy": "1"}).status_code


def _unchanged(p):
    draft = plan_of(p["draft"])
    plan = plan_of(p["id"])
    assert draft is not None and draft.status == PlanStatus.DRAFT and len(draft.rules) == 1 and len(draft.groups) == 1
    assert len(draft.projects) == 1 and len(draft.projects[0].unit_types) == 2
    assert plan.status == PlanStatus.PUBLISHED and lottery.draw_of(plan) is None


def test_another_districts_allocation_admin_sees_nothing_of_a_city_plan(ctx, login, yubei_admin, city_plan):
    c = login(yubei_admin)
    page = c.get(f"{BASE}/list/").get_data(as_text=True)
    assert city_plan["code"] not in page and city_plan["draft_code"] not in page
    token = csrf_token(page)
    wrong = [(m, u, s) for m, u in _every_url(city_plan) if (s := _try(c, m, u, token)) != 404]
    assert not wrong, wrong
    for guessed in (f"{BASE}/show/99999999", f"{BASE}/edit/99999999", f"{BASE}/99999999/draw"):
        assert c.get(guessed).status_code == 404
    assert c.post(f"{BASE}/99999999/publish", data={"csrf_token": token}).status_code == 404
    assert c.get(f"/uploads/{city_plan['token']}").status_code == 404
    assert c.get(f"/uploads/{city_plan['draft_token']}").status_code == 404
    export = c.get(f"{BASE}/export/")
    assert export.status_code == 200 and city_plan["code"].encode() not in export.data
    _unchanged(city_plan)
    # its own plan: only its district is offered, and a city region is refused
    form = c.get(f"{BASE}/add").get_data(as_text=True)
    assert 'value="500112"' in form and 'value="500000"' not in form and 'value="500103"' not in form
    resp = post(c, f"{BASE}/add", plan_form(region_code="500000"), page=f"{BASE}/add")
    assert "行政区划：请选择本单位辖区内的区域" in resp.get_data(as_text=True)
    own_id, own = create_plan(c, region_code="500112")
    assert plan_of(own_id).region_code == "500112"
    assert own["code"] in c.get(f"{BASE}/list/").get_data(as_text=True)


def test_the_city_sees_a_districts_plan(ctx, login, yubei_admin):
    """500112 lies in the city: the city's 配租管理员 sees (and runs) the district's plans."""
    plan = plans.save_plan(user(yubei_admin), None, plan_form(region_code="500112"))
    db.session.commit()
    c = login("alloc_admin")
    assert plan.code in c.get(f"{BASE}/list/").get_data(as_text=True)
    assert c.get(f"{BASE}/show/{plan.id}").status_code == 200


def test_a_project_or_file_of_another_plan_is_not_reached_through_this_one(ctx, login, city_plan):
    c = login("alloc_admin")
    other = new_plan(state="draft", title=f"另一草稿{_stamp()}")
    token = csrf_token(c.get(f"{BASE}/show/{other.id}").get_data(as_text=True))
    o = other.id
    for method, url in [("GET", f"{BASE}/{o}/projects/{city_plan['draft_project']}/edit"),
                        ("GET", f"{BASE}/{o}/units/{city_plan['draft_unit']}/edit"),
                        ("POST", f"{BASE}/{o}/files/{city_plan['draft_photo']}/delete"),
                        ("POST", f"{BASE}/{o}/rules/{city_plan['rule']}/delete"),
                        ("POST", f"{BASE}/{o}/groups/{city_plan['group']}/delete")]:
        assert _try(c, method, url, token) == 404, url
    resp = c.post(f"{BASE}/{o}/files", data={"csrf_token": token, "owner_kind": "project",
                                             "owner_id": str(city_plan["draft_project"]), "label": "实景照片",
                                             "files": [(io.BytesIO(png_bytes()), "x.png")]},
                  content_type="multipart/form-data")
    assert resp.status_code == 404
    _unchanged(city_plan)


@pytest.mark.parametrize("username", ["gov_admin", "reviewer", "analyst"])
def test_readers_read_and_cannot_act(ctx, login, city_plan, username):
    c = login(username)
    page = c.get(f"{BASE}/list/").get_data(as_text=True)
    assert city_plan["code"] in page and 'id="anju-add"' not in page
    show = c.get(f"{BASE}/show/{city_plan['draft']}").get_data(as_text=True)
    assert "范围测试草稿" in show and 'id="plan-actions"' not in show and 'id="btn-edit"' not in show
    assert 'id="rule-new"' not in show and 'enctype="multipart/form-data"' not in show and "/delete" not in show
    assert c.get(f"{BASE}/show/{city_plan['id']}").status_code == 200
    token = csrf_token(page)
    wrong = [(m, u, s) for m, u in _every_url(city_plan)[2:] if (s := _try(c, m, u, token)) != 403]
    assert not wrong, wrong
    assert c.get(f"{BASE}/add").status_code == 403
    _unchanged(city_plan)


@pytest.mark.parametrize("username", ["helpdesk", "ent_a", "public1", "district1"])
def test_nobody_else_reaches_the_console(ctx, login, city_plan, username):
    c = login(username)
    home = c.get("/", follow_redirects=True).get_data(as_text=True)
    assert f"{BASE}/list/" not in home
    assert c.get(f"{BASE}/list/").status_code == 403
    assert c.get(f"{BASE}/export/").status_code == 403
    token = c.token("/complaint/new")
    wrong = [(m, u, s) for m, u in _every_url(city_plan) if (s := _try(c, m, u, token)) != 403]
    assert not wrong, wrong
    assert c.get(f"/uploads/{city_plan['token']}").status_code == 404
    _unchanged(city_plan)


def test_anonymous_is_sent_to_sign_in(ctx, client, city_plan):
    for url in (f"{BASE}/list/", f"{BASE}/show/{city_plan['id']}", f"{BASE}/{city_plan['id']}/draw"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert client.post(f"{BASE}/{city_plan['id']}/publish").status_code in (302, 400)
    _unchanged(city_plan)


def test_menu_for_the_allocation_admin(ctx, login):
    home = login("alloc_admin").get("/", follow_redirects=True).get_data(as_text=True)
    assert f"{BASE}/list/" in home and "保障房配租" in home and "配租计划" in home
