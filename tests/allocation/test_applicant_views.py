"""The applicant's pages (seed 002 §3.3–§7) through the browser's requests, as real users:
the 去实名 gate, 信息填报 with every refusal keeping what was typed (files included), the
prefill from a previous plan, the lock after registering, 立即登记 (success, refusal,
申请人工复核), 配租记录 and its detail, 取消登记, 导出pdf, and nobody else's data on any URL."""
import html as html_lib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.allocation import helpers as h
from tests.conftest import DEMO_PASSWORD, Client

MY = "/allocation/my"


# --- steps ------------------------------------------------------------------------------

def page(resp):
    return resp.get_data(as_text=True)


def text_of(resp):
    """What the page shows (no scripts, tags or attributes), spaces squeezed."""
    shown = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", page(resp))
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"(?s)<[^>]*>", " ", shown)))


def form_error(resp):
    m = re.search(r'(?s)id="form-error"[^>]*>(.*?)</div>', page(resp))
    assert m, text_of(resp)[:600]
    return html_lib.unescape(m.group(1)).strip()


def flashes(resp):
    return [html_lib.unescape(re.sub(r"(?s)<[^>]*>|&times;", "", m)).strip()
            for m in re.findall(r'(?s)<div class="alert alert-\w+[^"]*"[^>]*>(.*?)</div>', page(resp))]


def input_value(resp, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), page(resp))
    return None if m is None else html_lib.unescape(m.group(1))


def selected(resp, name):
    m = re.search(r'(?s)<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), page(resp))
    assert m, name
    chosen = re.search(r'<option value="([^"]*)" selected>', m.group(1))
    return chosen.group(1) if chosen else ""


def sign_in(app, username, password=h.PASSWORD):
    c = Client(app)
    resp = c.login(username, password)
    assert resp.status_code == 302, f"login of {username} failed"
    return c


def new_applicant(app, verified=True):
    """(client signed in, user id) of a new public applicant."""
    with app.app_context():
        u = h.applicant(verified)
        username, uid = u.username, u.id
    return sign_in(app, username), uid


def new_plan(app, **kw):
    with app.app_context():
        plan = h.new_plan(**kw)
        return plan.id


def ids_of(app, plan_id):
    """(plan id, first project id) of a plan."""
    from app.allocation.plans.models import AllocationPlan

    with app.app_context():
        plan = db.session.get(AllocationPlan, plan_id)
        return plan.id, plan.projects[0].id


def post_filing(c, plan_id, data=None, members=(), files=(("证件.png", None),), **extra):
    """The form as a user sends it: fields, member rows member-<i>-..., chosen files."""
    payload = dict(h.filing_data() if data is None else data)
    for i, m in enumerate(members):
        for k, v in m.items():
            payload[f"member-{i}-{k}"] = v
    chosen = [(io.BytesIO(content if content is not None else h.png_bytes()), name) for name, content in files]
    if chosen:
        payload["documents"] = chosen
    payload.update(extra)
    return c.form(f"{MY}/filing/{plan_id}", payload, content_type="multipart/form-data")


def register(c, plan_id, **data):
    return c.form(f"{MY}/register/{plan_id}", data, get_url=f"{MY}/records")


def reg_of(app, uid, plan_id):
    from app.allocation.registrations.models import Registration

    with app.app_context():
        reg = db.session.execute(select(Registration).where(
            Registration.user_id == uid, Registration.plan_id == plan_id).order_by(Registration.id.desc())
        ).scalars().first()
        return None if reg is None else (reg.id, reg.number, reg.status)


def filed_and_registered(app, **plan_kw):
    """A verified applicant who filed through the page and registered: (client, uid, plan id, reg id, number)."""
    plan_id = new_plan(app, **plan_kw)
    c, uid = new_applicant(app)
    assert post_filing(c, plan_id).status_code == 302
    resp = register(c, plan_id)
    assert resp.status_code == 302
    reg_id, number, _status = reg_of(app, uid, plan_id)
    return c, uid, plan_id, reg_id, number


# --- 去实名 -----------------------------------------------------------------------------

GATE = "非实名注册用户无法进行专项配租必要的信息填报与登记"


def test_the_realname_gate_on_every_page_for_public1(app):
    plan_id = new_plan(app)
    c = sign_in(app, "public1", DEMO_PASSWORD)
    for resp in (c.get(f"{MY}/filing/{plan_id}"), c.get(f"{MY}/records"),
                 c.form(f"{MY}/filing/{plan_id}", h.filing_data(), get_url=f"{MY}/records"),
                 c.form(f"{MY}/filing/{plan_id}/remove-file", {"token": "0" * 32}, get_url=f"{MY}/records"),
                 register(c, plan_id)):
        # pages open on the gate; actions are refused
        assert resp.status_code == (200 if resp.request.method == "GET" else 403)
        assert GATE in text_of(resp)
        link = re.search(r'<a class="btn btn-primary" id="alloc-go-realname" href="([^"]+)">([^<]+)</a>', page(resp))
        assert link and link.group(2) == "去实名" and link.group(1).startswith("/my/realname?next=")
    # the link leads to the real-name page, which sends the user back once verified
    assert GATE in text_of(c.get(f"{MY}/filing/{plan_id}"))
    realname = c.get(f"/my/realname?next={MY}/filing/{plan_id}")
    assert realname.status_code == 200 and "realname-form" in page(realname)
    with app.app_context():
        from app.allocation.registrations.models import Registration

        public1 = h.user("public1")
        assert not db.session.execute(select(Registration.id).where(Registration.user_id == public1.id)).first()


# --- 信息填报 -----------------------------------------------------------------------------

def test_the_form_shows_the_verified_identity_and_the_city_districts(app):
    plan_id = new_plan(app)
    c, uid = new_applicant(app)
    resp = c.get(f"{MY}/filing/{plan_id}")
    assert resp.status_code == 200
    with app.app_context():
        from app.accounts.models import Person

        person = db.session.execute(select(Person).where(Person.user_id == uid)).scalar_one()
        name, number = person.name, person.id_number
    shown = text_of(resp)
    assert name in shown and number in shown            # own values, in full
    assert 'name="name"' not in page(resp) and 'name="id_number"' not in page(resp)   # read-only
    districts = re.search(r'(?s)<select[^>]*name="hukou_district"[^>]*>(.*?)</select>', page(resp)).group(1)
    codes = re.findall(r'value="(\d+)"', districts)
    assert "500103" in codes and "500112" in codes and all(code.startswith("50") for code in codes)
    assert "110101" not in codes                       # 东城区 is Beijing's
    assert ">未婚<" in page(resp) and ">本市户籍<" in page(resp) and ">本市无自有住房<" in page(resp)
    assert ">配偶<" in page(resp) and ">子女<" in page(resp)
    # three member rows without JavaScript, 添加成员 / 删除 for those with it
    assert len(re.findall(r'name="member-\d+-name"', page(resp))) == 3
    assert 'id="alloc-member-add"' in page(resp) and "添加成员" in page(resp)
    assert 'name="documents"' in page(resp) and "multiple" in page(resp)


def _child_older_id():
    from app.core.validators import id_check_char

    first17 = "500105" + "19600101" + "001"
    return first17 + id_check_char(first17)


REFUSALS = [
    ("member ID check digit",
     lambda: ({}, [{"name": "张小明", "relation": "child", "id_type": "resident_id",
                    "id_number": _bad_check_digit(h.child_id_number())}]),
     "第1位家庭成员，证件号码：身份证号码校验位错误"),
    ("spouse while single",
     lambda: ({"marital_status": "single"}, [{"name": "李小红", "relation": "spouse", "id_type": "resident_id",
                                              "id_number": h.new_id_number()}]),
     "第1位家庭成员，与申请人关系：填写了配偶，但婚姻状况不是已婚"),
    ("child older than the applicant",
     lambda: ({}, [{"name": "王老大", "relation": "child", "id_type": "resident_id", "id_number": _child_older_id()}]),
     "第1位家庭成员，与申请人关系：子女的年龄须小于申请人"),
    ("wrong income",
     lambda: ({"annual_income": "六万"}, []),
     "家庭年收入（元）：须为金额，如36000或36000.50"),
    ("more members than the parameter",
     lambda: ({}, [{"name": f"成员{i}", "relation": "other", "id_type": "resident_id",
                    "id_number": h.new_id_number()} for i in range(10)]),
     "家庭成员最多填写9人。"),
]


def _bad_check_digit(number):
    from app.core.validators import id_check_char

    right = id_check_char(number[:17])
    return number[:17] + ("1" if right != "1" else "2")


@pytest.mark.parametrize("case", [r[0] for r in REFUSALS] + ["missing documents"])
def test_every_refusal_of_the_form_keeps_what_was_typed(app, case):
    plan_id = new_plan(app)
    c, uid = new_applicant(app)
    data = h.filing_data(address="重庆市江北区保留路8号", employer="保留值测试公司")
    files = (("证件.png", None),)
    if case == "missing documents":
        members, files, expected = [], (), "证件证明：请至少上传一个文件"
    else:
        _name, build, expected = next(r for r in REFUSALS if r[0] == case)
        overrides, members = build()
        data.update(overrides)
    resp = post_filing(c, plan_id, data, members, files)
    assert resp.status_code == 422
    assert form_error(resp) == expected
    # every typed value is shown again
    assert input_value(resp, "address") == "重庆市江北区保留路8号"
    assert input_value(resp, "employer") == "保留值测试公司"
    assert input_value(resp, "mobile") == data["mobile"]
    assert input_value(resp, "annual_income") == data["annual_income"]
    assert selected(resp, "marital_status") == data["marital_status"]
    assert selected(resp, "hukou_district") == data["hukou_district"]
    for i, m in enumerate(members):
        assert input_value(resp, f"member-{i}-name") == m["name"]
        assert input_value(resp, f"member-{i}-id_number") == m["id_number"]
        assert selected(resp, f"member-{i}-relation") == m["relation"]
    # the chosen file is kept for the next submission (a browser cannot refill a file input)
    kept = re.findall(r'name="kept" value="([0-9a-f]{32})" checked> ([^<]+)<', page(resp))
    assert [n for _t, n in kept] == ([] if not files else ["证件.png"])
    with app.app_context():
        from app.allocation.filings.models import ApplicantFiling

        assert db.session.execute(select(ApplicantFiling.id).where(ApplicantFiling.user_id == uid)).first() is None


def test_a_kept_file_is_submitted_with_the_corrected_form(app):
    plan_id = new_plan(app)
    c, uid = new_applicant(app)
    data = h.filing_data(annual_income="abc")
    resp = post_filing(c, plan_id, data, files=(("身份证.png", None),))
    assert resp.status_code == 422
    token = re.search(r'name="kept" value="([0-9a-f]{32})"', page(resp)).group(1)
    data["annual_income"] = "48000"
    data["kept"] = token
    resp = post_filing(c, plan_id, data, files=())
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/allocation/plan/{plan_id}")
    with app.app_context():
        from app.allocation.filings.models import ApplicantFiling
        from app.core import uploads

        filing = db.session.execute(select(ApplicantFiling).where(ApplicantFiling.user_id == uid)).scalar_one()
        assert [u.original_name for u in uploads.files_of(filing, "证件证明")] == ["身份证.png"]
        assert db.session.execute(select(uploads.Upload).where(uploads.Upload.token == token)).first() is None
    assert "信息填报已提交" in flashes(c.get(f"{MY}/records"))


def test_a_full_filing_with_members_is_saved_and_shown_again(app):
    plan_id = new_plan(app)
    c, uid = new_applicant(app)
    spouse, child = h.new_id_number(), h.child_id_number()
    data = h.filing_data(marital_status="married", annual_income="88000.50")
    resp = post_filing(c, plan_id, data, members=[
        {"name": "配偶甲", "relation": "spouse", "id_type": "resident_id", "id_number": spouse,
         "employer": "某单位", "annual_income": "30000"},
        {"name": "孩子乙", "relation": "child", "id_type": "resident_id", "id_number": child}])
    assert resp.status_code == 302, form_error(resp)
    resp = c.get(f"{MY}/filing/{plan_id}")
    assert resp.status_code == 200
    assert input_value(resp, "annual_income") == "88000.50"
    assert input_value(resp, "member-0-name") == "配偶甲" and selected(resp, "member-0-relation") == "spouse"
    assert input_value(resp, "member-1-id_number") == child
    assert input_value(resp, "member-2-name") == ""            # a blank row to add one more
    assert "证件.png" in text_of(resp) and "已自动带出" not in text_of(resp)


def test_remove_file_takes_one_document_off(app):
    plan_id = new_plan(app)
    c, uid = new_applicant(app)
    post_filing(c, plan_id, files=(("一.png", None), ("二.png", None)))
    resp = c.get(f"{MY}/filing/{plan_id}")
    tokens = re.findall(r'name="token" value="([0-9a-f]{32})"', page(resp))
    assert len(tokens) == 2 and "data-confirm" in page(resp)
    resp = c.form(f"{MY}/filing/{plan_id}/remove-file", {"token": tokens[0]}, get_url=f"{MY}/filing/{plan_id}")
    assert resp.status_code == 302
    resp = c.get(resp.headers["Location"])
    assert "该文件已从您的填报信息中删除。" in flashes(resp)
    assert "一.png" not in text_of(resp) and "二.png" in text_of(resp)
    resp = c.form(f"{MY}/filing/{plan_id}/remove-file", {"token": tokens[0]}, get_url=f"{MY}/filing/{plan_id}")
    assert "该文件不属于您的信息填报。" in flashes(c.get(resp.headers["Location"]))


def test_prefill_from_a_previous_plan_files_included(app):
    first = new_plan(app)
    second = new_plan(app)
    c, uid = new_applicant(app)
    data = h.filing_data(address="重庆市江北区上次路1号", employer="上次的单位", annual_income="40000")
    assert post_filing(c, first, data, files=(("上次证件.png", None),)).status_code == 302
    resp = c.get(f"{MY}/filing/{second}")
    assert "已自动带出您上次填报的内容" in text_of(resp)
    assert input_value(resp, "address") == "重庆市江北区上次路1号"
    assert input_value(resp, "employer") == "上次的单位"
    assert re.search(r'id="alloc-previous-files"[^>]*><li><a href="/uploads/[0-9a-f]{32}">上次证件.png</a>', page(resp))
    # submitting the prefilled form as it stands: the previous documents are copied
    shown = {k: input_value(resp, k) or "" for k in ("mobile", "address", "employer", "social_security_months",
                                                     "annual_income", "owned_area", "current_residence")}
    shown.update({k: selected(resp, k) for k in ("marital_status", "hukou_type", "hukou_district", "housing_status")})
    resp = post_filing(c, second, shown, files=())
    assert resp.status_code == 302, form_error(resp)
    with app.app_context():
        from app.allocation.filings.models import ApplicantFiling
        from app.core import uploads

        filing = db.session.execute(select(ApplicantFiling).where(
            ApplicantFiling.user_id == uid, ApplicantFiling.plan_id == second)).scalar_one()
        assert filing.address == "重庆市江北区上次路1号"
        assert [u.original_name for u in uploads.files_of(filing, "证件证明")] == ["上次证件.png"]
    assert "已自动带出" not in text_of(c.get(f"{MY}/filing/{second}"))


def test_locked_after_registering_until_cancelled(app):
    c, uid, plan_id, reg_id, number = filed_and_registered(app)
    resp = c.get(f"{MY}/filing/{plan_id}")
    assert resp.status_code == 200
    assert "登记后，若因信息填报错误，需要重新填报的，必须取消当前登记后重新提交填报的信息表，才能重新申请登记。" in text_of(resp)
    assert 'id="alloc-filing-form"' not in page(resp) and 'id="alloc-filing-readonly"' in page(resp)
    assert f'/allocation/my/records/{reg_id}' in page(resp)
    resp = post_filing(c, plan_id, h.filing_data(address="想改的地址"))
    assert resp.status_code == 422
    assert form_error(resp) == "您已登记本计划，修改填报信息前请先取消登记。"
    assert "想改的地址" not in page(resp)                   # the read-only page shows what is filed
    with app.app_context():
        from app.allocation.filings.models import ApplicantFiling
        from app.core import uploads

        filing = db.session.execute(select(ApplicantFiling).where(ApplicantFiling.user_id == uid)).scalar_one()
        assert filing.address != "想改的地址"
        token = uploads.files_of(filing)[0].token
    resp = c.form(f"{MY}/filing/{plan_id}/remove-file", {"token": token}, get_url=f"{MY}/records")
    assert "您已登记本计划，修改填报信息前请先取消登记。" in flashes(c.get(resp.headers["Location"]))
    # 取消登记 unlocks it
    resp = c.form(f"{MY}/records/{reg_id}/cancel", {}, get_url=f"{MY}/records")
    assert resp.status_code == 302
    resp = c.get(f"{MY}/filing/{plan_id}")
    assert 'id="alloc-filing-form"' in page(resp)
    assert post_filing(c, plan_id, h.filing_data(address="改后的地址"), files=()).status_code == 302


# --- 立即登记 -----------------------------------------------------------------------------

def test_register_success_page_records_and_detail(app):
    plan_id, project_id = ids_of(app, new_plan(app))
    c, uid = new_applicant(app)
    assert post_filing(c, plan_id).status_code == 302
    resp = register(c, plan_id, project_id=str(project_id))
    assert resp.status_code == 302 and "/result" in resp.headers["Location"]
    reg_id, number, status = reg_of(app, uid, plan_id)
    assert status == "pending" and number.startswith("BZ")
    resp = c.get(resp.headers["Location"])
    assert "登记成功" in text_of(resp)
    assert re.search(r'id="alloc-result-number">%s<' % number, page(resp))
    assert re.search(r'href="/allocation/my/records/%s"[^>]*>查看配租记录<' % reg_id, page(resp))

    resp = c.get(f"{MY}/records")
    row = re.search(r'(?s)<tr class="alloc-record" data-reg="%s">(.*?)</tr>' % reg_id, page(resp)).group(1)
    assert number in row and "测试配租计划" in row and "测试小区" in row
    assert "已登记，待审核" in row or "待审核" in row
    assert f"确定要取消登记 {number} 吗？" in row                  # the confirm names the number
    with app.app_context():
        from app.allocation.registrations.models import Registration
        from app.allocation.registrations.services import progress_text

        assert progress_text(db.session.get(Registration, reg_id)) in row

    resp = c.get(f"{MY}/records/{reg_id}")
    assert resp.status_code == 200
    assert number in text_of(resp) and 'id="alloc-record-pdf"' in page(resp) and "导出pdf" in text_of(resp)
    history = re.search(r'(?s)id="alloc-record-history".*?</table>', page(resp)).group(0)
    assert "已登记" in re.sub(r"<[^>]*>", " ", history)
    assert "配租记录" in text_of(c.get("/my/"))                     # 我的 group: the menu entry


def test_register_refusals_are_flashed_back_to_a_safe_local_page(app):
    # before the window: the message names the opening time
    plan_id = new_plan(app, state="published")
    c, uid = new_applicant(app)
    assert post_filing(c, plan_id).status_code == 302
    resp = c.form(f"{MY}/register/{plan_id}", {"next": f"/allocation/plan/{plan_id}"}, get_url=f"{MY}/records")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/allocation/plan/{plan_id}"
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        start = db.session.get(AllocationPlan, plan_id).reg_start
    assert f"本计划的登记将于{start:%Y-%m-%d %H:%M:%S}开始。" in flashes(c.get(f"{MY}/records"))
    # an outside next is ignored: back to the plan's page
    resp = c.form(f"{MY}/register/{plan_id}", {"next": "https://evil.example/x"}, get_url=f"{MY}/records")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/allocation/plan/{plan_id}"
    # registered twice: 您已登记本计划
    c2, _u2, open_plan, _reg, _n = filed_and_registered(app)
    resp = c2.form(f"{MY}/register/{open_plan}", {"next": f"{MY}/records"}, get_url=f"{MY}/records")
    assert resp.headers["Location"] == f"{MY}/records"
    assert "您已登记本计划。如需修改填报信息，请先取消登记。" in flashes(c2.get(f"{MY}/records"))
    # no filing yet
    c3, _u3 = new_applicant(app)
    resp = c3.form(f"{MY}/register/{open_plan}", {"next": f"{MY}/records"}, get_url=f"{MY}/records")
    assert "登记前请先完成本计划的信息填报。" in flashes(c3.get(resp.headers["Location"]))
    # after the window
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        end = db.session.get(AllocationPlan, open_plan).reg_end
    with h.at(end):
        resp = c3.form(f"{MY}/register/{open_plan}", {"next": f"{MY}/records"}, get_url=f"{MY}/records")
    assert f"本计划的登记已于{end:%Y-%m-%d %H:%M:%S}结束。" in flashes(c3.get(f"{MY}/records"))
    # a project of another plan
    other_plan, other_project = ids_of(app, new_plan(app))
    resp = c3.form(f"{MY}/register/{open_plan}", {"project_id": str(other_project), "next": f"{MY}/records"},
                   get_url=f"{MY}/records")
    assert resp.status_code == 302 and "所选项目不属于本计划。" in flashes(c3.get(f"{MY}/records"))


RULES = [("per_capita_income", "le", "50000", "家庭人均年收入须不高于5万元"),
         ("housing_status", "eq", "none", "须在本市无自有住房")]


def test_screening_refusal_lists_the_reasons_and_a_human_review_is_asked_for(app):
    plan_id = new_plan(app, rules=RULES)
    c, uid = new_applicant(app)
    data = h.filing_data(annual_income="120000", housing_status="owns", owned_area="60")
    assert post_filing(c, plan_id, data).status_code == 302
    resp = register(c, plan_id)
    reg_id, number, status = reg_of(app, uid, plan_id)
    assert status == "refused" and number is None
    resp = c.get(resp.headers["Location"])
    reasons = re.findall(r"<li>([^<]+)</li>", re.search(r'(?s)id="alloc-result-reasons">(.*?)</ul>', page(resp)).group(1))
    assert reasons == ["家庭人均年收入须不高于5万元", "须在本市无自有住房"]
    assert 'id="alloc-appeal-form"' in page(resp) and "申请人工复核" in text_of(resp)
    # the records show the reasons as 不通过原因
    row = re.search(r'(?s)data-reg="%s">(.*?)</tr>' % reg_id, page(c.get(f"{MY}/records"))).group(1)
    assert "家庭人均年收入须不高于5万元；须在本市无自有住房" in row and "alloc-record-cancel" not in row
    # an empty request is refused with the text kept
    resp = c.form(f"{MY}/records/{reg_id}/appeal", {"text": "   "}, get_url=f"{MY}/records/{reg_id}")
    assert resp.status_code == 422 and form_error(resp) == "申请人工复核：必须填写"
    resp = c.form(f"{MY}/records/{reg_id}/appeal", {"text": "收入含一次性拆迁补偿，请人工复核"},
                  get_url=f"{MY}/records/{reg_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{MY}/records/{reg_id}")
    resp = c.get(resp.headers["Location"])
    assert "人工复核申请已提交，工作人员将进行复核，复核结果将在此显示。" in flashes(resp)
    assert "收入含一次性拆迁补偿，请人工复核" in text_of(resp)
    assert 'id="alloc-appeal-form"' not in page(resp)
    with app.app_context():
        from app.allocation.labels import REG_STATUS_LABELS

        assert str(REG_STATUS_LABELS["appealed"]) in re.search(r'id="alloc-record-progress">([^<]*)<',
                                                               page(resp)).group(1)
    assert 'id="alloc-record-cancel"' in page(resp)                    # 人工复核中 may still be cancelled
    # asked twice: the service's message
    resp = c.form(f"{MY}/records/{reg_id}/appeal", {"text": "再次申请"}, get_url=f"{MY}/records/{reg_id}")
    assert form_error(resp) == "只有未通过系统自动筛查的登记可以申请人工复核。"
    # staff deny it: the decision is the reason not passed
    with app.app_context():
        from app.allocation.registrations import services as registrations

        registrations.decide_appeal(h.user("alloc_admin"), reg_id, False, "经核实家庭收入超过标准")
        db.session.commit()
    row = re.search(r'(?s)data-reg="%s">(.*?)</tr>' % reg_id, page(c.get(f"{MY}/records"))).group(1)
    assert "经核实家庭收入超过标准" in row


def test_cancel_through_the_records_page(app):
    c, uid, plan_id, reg_id, number = filed_and_registered(app)
    resp = c.form(f"{MY}/records/{reg_id}/cancel", {}, get_url=f"{MY}/records")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{MY}/records")
    resp = c.get(f"{MY}/records")
    assert f"登记 {number} 已取消。登记期间您可以修改填报信息后重新登记。" in flashes(resp)
    row = re.search(r'(?s)data-reg="%s">(.*?)</tr>' % reg_id, page(resp)).group(1)
    assert "已取消登记" in row and "alloc-record-cancel" not in row
    assert reg_of(app, uid, plan_id)[2] == "cancelled"
    resp = c.form(f"{MY}/records/{reg_id}/cancel", {}, get_url=f"{MY}/records")
    assert "该登记当前为已取消登记，不能取消。" in flashes(c.get(resp.headers["Location"]))
    # registered again after cancelling: a new number
    assert register(c, plan_id).status_code == 302
    again = reg_of(app, uid, plan_id)
    assert again[0] != reg_id and again[1] != number and again[2] == "pending"


def test_cancel_refused_after_the_window(app):
    c, uid, plan_id, reg_id, number = filed_and_registered(app)
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        end = db.session.get(AllocationPlan, plan_id).reg_end
    with h.at(end + timedelta(seconds=1)):
        row = re.search(r'(?s)data-reg="%s">(.*?)</tr>' % reg_id, page(c.get(f"{MY}/records"))).group(1)
        assert "alloc-record-cancel" not in row
        resp = c.form(f"{MY}/records/{reg_id}/cancel", {}, get_url=f"{MY}/records")
        assert f"登记已于{end:%Y-%m-%d %H:%M:%S}结束，不能再取消登记。" in flashes(c.get(resp.headers["Location"]))
        filing = c.get(f"{MY}/filing/{plan_id}")
    assert 'id="alloc-filing-readonly"' in page(filing) and 'id="alloc-filing-form"' not in page(filing)
    assert reg_of(app, uid, plan_id)[2] == "pending"
    newcomer, _ = new_applicant(app)
    with h.at(end + timedelta(seconds=1)):
        resp = newcomer.get(f"{MY}/filing/{plan_id}")
        refused = post_filing(newcomer, plan_id)
    assert "本计划的登记已结束，不再接受信息填报。" in text_of(resp) and 'id="alloc-filing-form"' not in page(resp)
    assert refused.status_code == 422 and form_error(refused) == "本计划的登记已结束，不再接受信息填报。"


# --- 导出pdf ------------------------------------------------------------------------------

def test_the_record_pdf_and_print_view(app):
    from pypdf import PdfReader

    c, uid, plan_id, reg_id, number = filed_and_registered(app)
    resp = c.get(f"{MY}/records/{reg_id}/pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert "%E9%85%8D%E7%A7%9F%E7%99%BB%E8%AE%B0%E8%AE%B0%E5%BD%95" in resp.headers["Content-Disposition"]  # 配租登记记录
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(resp.data)).pages)
    assert number in text
    with app.app_context():
        from app.allocation.registrations.models import Registration

        reg = db.session.get(Registration, reg_id)
        full_id, name = reg.id_number, reg.name
    assert full_id not in text and full_id[-4:] in text.replace(" ", "")
    resp = c.get(f"{MY}/records/{reg_id}/print")
    assert resp.status_code == 200
    shown = text_of(resp)
    assert "保障性租赁住房配租登记记录" in shown and number in shown and name in shown
    assert full_id not in shown and "*" * 14 + full_id[-4:] in shown
    assert f"http://localhost/allocation/plan/{plan_id}" in shown and "data:image/svg+xml" in page(resp)
    for label in ("登记编号", "配租计划", "意向项目", "申请人", "家庭人口", "登记时间", "目前进度", "摇号结果"):
        assert label in shown, label


def test_the_pdf_shows_the_lottery_result_once_drawn(app):
    from app.allocation.filings.documents import record_document, result_text

    with app.app_context():
        reg, _u, plan = h.registered()
        reg.status, reg.draw_result, reg.draw_order = "approved", "selected", 3
        assert result_text(reg) == ""                       # not drawn yet: nothing to show
        plan.status = "drawn"
        assert result_text(reg) == "中签，选房顺序号 3"
        doc = record_document(reg, "http://localhost/allocation/plan/1")
        assert ("摇号结果", "中签，选房顺序号 3", True) in [tuple(map(str, r[:2])) + tuple(r[2:]) for r in doc.sections[0].rows]
        db.session.rollback()


# --- nobody else's data -----------------------------------------------------------------

def _district_alloc_admin(app):
    from app.system.models import Organization

    with app.app_context():
        sm = app.appbuilder.sm
        name = f"alloc_d2_{h.new_mobile()}"
        org = db.session.execute(select(Organization).where(
            Organization.name == "渝北区住房和城乡建设委员会")).scalar_one()
        sm.add_user(name, "渝北配租", "", f"{name}@test.anju.invalid", sm.find_role("alloc_admin"),
                    password=h.PASSWORD, org_id=org.id, mobile=h.new_mobile(), must_change_password=False)
        db.session.commit()
    return name


def test_outside_scope_on_every_url(app):
    owner, uid, plan_id, reg_id, number = filed_and_registered(app)
    with app.app_context():
        from app.allocation.filings.models import ApplicantFiling
        from app.core import uploads

        filing = db.session.execute(select(ApplicantFiling).where(ApplicantFiling.user_id == uid)).scalar_one()
        address, token = filing.address, uploads.files_of(filing)[0].token
        draft = h.new_plan(state="draft").id
    gets = [f"{MY}/records/{reg_id}", f"{MY}/records/{reg_id}/pdf", f"{MY}/records/{reg_id}/print",
            f"{MY}/records/{reg_id}/result"]
    posts = [(f"{MY}/records/{reg_id}/cancel", {}), (f"{MY}/records/{reg_id}/appeal", {"text": "x"})]

    # another applicant: 404 on the record's URLs, their own (empty) filing and records
    other, _ = new_applicant(app)
    for url in gets:
        assert other.get(url).status_code == 404, url
    for url, data in posts:
        assert other.form(url, data, get_url=f"{MY}/records").status_code == 404, url
    resp = other.get(f"{MY}/filing/{plan_id}")
    assert resp.status_code == 200 and address not in page(resp) and token not in page(resp)
    records = other.get(f"{MY}/records")
    assert number not in page(records) and 'id="alloc-records-empty"' in page(records)
    other.form(f"{MY}/filing/{plan_id}/remove-file", {"token": token}, get_url=f"{MY}/records")
    assert other.get(f"/uploads/{token}").status_code == 404
    # guessed ids and plans that are not public
    for url in (f"{MY}/records/99999999", f"{MY}/records/99999999/pdf", f"{MY}/filing/99999999",
                f"{MY}/filing/{draft}"):
        assert other.get(url).status_code == 404, url
    assert other.form(f"{MY}/register/{draft}", {}, get_url=f"{MY}/records").status_code == 404

    # staff roles and enterprises hold no applicant permission: 403 everywhere
    district2 = _district_alloc_admin(app)
    for username, password in (("alloc_admin", DEMO_PASSWORD), ("helpdesk", DEMO_PASSWORD),
                               ("analyst", DEMO_PASSWORD), ("ent_a", DEMO_PASSWORD), (district2, h.PASSWORD)):
        staff = sign_in(app, username, password)
        for url in gets + [f"{MY}/records", f"{MY}/filing/{plan_id}"]:
            assert staff.get(url).status_code == 403, (username, url)
        for url, data in posts + [(f"{MY}/register/{plan_id}", {}), (f"{MY}/filing/{plan_id}", h.filing_data()),
                                  (f"{MY}/filing/{plan_id}/remove-file", {"token": token})]:
            assert staff.form(url, data, get_url="/my/").status_code == 403, (username, url)
        assert 'href="/allocation/my/records"' not in page(staff.get("/my/")), username   # no menu entry

    # anonymous: to the login page, never the data
    anon = Client(app)
    for url in gets + [f"{MY}/records", f"{MY}/filing/{plan_id}"]:
        resp = anon.get(url)
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"], url
    token_page = anon.get("/login/")
    from tests.conftest import csrf_token

    csrf = csrf_token(page(token_page))
    for url, data in posts + [(f"{MY}/register/{plan_id}", {})]:
        resp = anon.post(url, data={**data, "csrf_token": csrf})
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"], url

    # the owner's record is untouched
    assert reg_of(app, uid, plan_id) == (reg_id, number, "pending")
    resp = owner.get(f"{MY}/records/{reg_id}")
    assert resp.status_code == 200 and number in text_of(resp)
    assert owner.get(f"/uploads/{token}").status_code == 200


def test_every_applicant_page_reads_in_chinese(app):
    from tests.core.test_zh_everywhere import english_words

    c, uid, plan_id, reg_id, number = filed_and_registered(app, rules=())
    refused_plan = new_plan(app, rules=RULES)
    assert post_filing(c, refused_plan, h.filing_data(housing_status="owns", owned_area="50")).status_code == 302
    register(c, refused_plan)
    refused_id = reg_of(app, uid, refused_plan)[0]
    other_plan = new_plan(app)
    urls = [f"{MY}/filing/{plan_id}", f"{MY}/filing/{other_plan}", f"{MY}/records", f"{MY}/records/{reg_id}",
            f"{MY}/records/{reg_id}/result", f"{MY}/records/{refused_id}", f"{MY}/records/{refused_id}/result",
            f"{MY}/records/{reg_id}/print"]
    problems = {}
    for url in urls:
        resp = c.get(url)
        assert resp.status_code == 200, url
        words = english_words(re.sub(r"https?://[^\s<]+", " ", page(resp)))   # the QR's address is data
        if words:
            problems[url] = words
    resp = post_filing(c, other_plan, h.filing_data(annual_income="x"))
    if english_words(page(resp)):
        problems["refused form"] = english_words(page(resp))
    gate = sign_in(app, "public1", DEMO_PASSWORD).get(f"{MY}/records")
    if english_words(page(gate)):
        problems["gate"] = english_words(page(gate))
    assert not problems, problems
