"""保障房配租's public pages (app/allocation/portal): every page as a visitor and as public1,
drafts invisible everywhere (media and lottery files included), only public plans' photos
and attachments served, cache headers, the 登记倒计时 by moved clock, the published lottery
files equal to lottery.services.files and verified by scripts/verify_lottery.py, 资格公示 with
异议 (exact refusals), 结果公示, no personal data on any page, and few queries per page.

Set-up runs inside ``with app.app_context()`` and requests outside it (a pushed context would
share flask-login's user between requests)."""
import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.allocation.helpers import PASSWORD, applicant, at, new_plan, png_bytes, registered, user
from tests.conftest import Client, csrf_token

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
RENTS = [{"room": "1-2-301", "floor": 3, "area": "45.20", "rent": "1580.00"},
         {"room": "1-2-402", "floor": 4, "area": "46.10", "rent": "1620.00"}]


def _save(name, data, label, owner):
    from app.core import uploads

    return uploads.save((name, data), label=label, owner=owner, user=user("alloc_admin"))


def _dressed(plan):
    """Photos, attachments, a rent list, traffic and contacts on a plan made by new_plan."""
    project = plan.projects[0]
    project.traffic = "轨道交通3号线测试站步行5分钟"
    unit = project.unit_types[0]
    unit.rent_list = RENTS
    plan.contact_address = "重庆市江北区测试路1号服务大厅"
    plan.announcement = "第一段：配租范围。\n\n第二段：<b>登记条件</b>。\n第三段：登记时间。"
    tokens = {
        "attachment": _save("配租公告.pdf", PDF, "公告附件", plan).token,
        "internal": _save("内部材料.pdf", PDF, "内部材料", plan).token,
        "photo": _save("实景1.png", png_bytes((10, 120, 200)), "实景照片", project).token,
        "photo2": _save("实景2.png", png_bytes((20, 140, 90)), "实景照片", project).token,
        "plan_image": _save("户型图A.png", png_bytes((200, 200, 30)), "户型图", unit).token,
        "room": _save("室内A.png", png_bytes((90, 30, 160)), "室内照片", unit).token,
    }
    db.session.commit()
    return tokens


def _ids(plan):
    project = plan.projects[0]
    return {"plan": plan.id, "project": project.id, "unit": project.unit_types[0].id, "code": plan.code,
            "title": plan.title, "project_name": project.name}


def _urls(ids):
    p = ids["plan"]
    return [f"/allocation/plan/{p}", f"/allocation/plan/{p}/announcement", f"/allocation/project/{ids['project']}",
            f"/allocation/unit/{ids['unit']}", f"/allocation/plan/{p}/stats.json", f"/allocation/plan/{p}/eligible",
            f"/allocation/plan/{p}/results", f"/allocation/plan/{p}/lottery/manifest.json",
            f"/allocation/plan/{p}/lottery/commitment.txt", f"/allocation/plan/{p}/lottery.zip"]


def _login(app, username):
    c = Client(app)
    assert c.login(username, password=PASSWORD).status_code == 302
    return c


@pytest.fixture(scope="module")
def open_plan(app):
    """An open plan with photos, attachments and a rent list; a draft beside it."""
    with app.app_context():
        plan = new_plan(title="门户测试配租计划")
        tokens = _dressed(plan)
        draft = new_plan(state="draft", title="门户草稿计划")
        draft_tokens = _dressed(draft)
        return _ids(plan), tokens, _ids(draft), draft_tokens


@pytest.fixture
def anon(app):
    return Client(app)


# --- every page, as a visitor and as public1 ---------------------------------------------------

def test_list_page_shows_current_plans_with_their_projects(app, anon, login, open_plan):
    ids, tokens, draft, _ = open_plan
    resp = anon.get("/allocation/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    section = page[page.index(f'id="plan-{ids["plan"]}"'):]
    section = section[:section.index("</section>")]
    assert ids["title"] in section and "《配租公告》" in section and "登记中" in section
    assert "登记开始时间" in section and "登记结束" in section
    assert f'href="/allocation/plan/{ids["plan"]}/announcement"' in section
    assert f'href="/allocation/project/{ids["project"]}"' in section and ids["project_name"] in section
    assert "江北区" in section and "江北区测试路" in section
    assert f'src="/allocation/media/{tokens["photo"]}"' in section          # the first photo
    assert tokens["photo2"] not in section
    assert "距登记结束" in section and "已登记人数" in section
    # not signed in: 填报信息 and 立即登记 lead to the sign-in page, then back
    assert f'/login/?next=/allocation/my/filing/{ids["plan"]}' in section.replace("%2F", "/")
    assert "立即登记" in section and 'name="csrf_token"' not in page
    assert draft["title"] not in page and f'id="plan-{draft["plan"]}"' not in page
    # public1: a POST form with CSRF to /allocation/my/register/<plan>
    page = login("public1").get("/allocation/").get_data(as_text=True)
    section = page[page.index(f'id="plan-{ids["plan"]}"'):]
    section = section[:section.index("</section>")]
    form = re.search(r'<form method="post" action="/allocation/my/register/(\d+)"[^>]*>(.*?)</form>', section, re.S)
    assert form and int(form.group(1)) == ids["plan"] and 'name="csrf_token"' in form.group(2)
    assert "立即登记" in form.group(2) and "disabled" not in form.group(2)
    assert f'href="/allocation/my/filing/{ids["plan"]}"' in section
    assert draft["title"] not in page


def test_the_public_layout_links_the_portal(anon):
    page = anon.get("/rental/services/").get_data(as_text=True)
    assert re.search(r'<a[^>]*id="public-allocation"[^>]*href="/allocation/"[^>]*>保障房配租</a>', page)


def test_plan_page_announcement_project_and_unit(app, anon, login, open_plan):
    ids, tokens, _draft, _ = open_plan
    for c in (anon, login("public1")):
        plan_page = c.get(f"/allocation/plan/{ids['plan']}").get_data(as_text=True)
        assert ids["title"] in plan_page and ids["code"] in plan_page and "摇号公示" in plan_page
        assert "普通家庭" in plan_page                              # the default group and its order
        assert "承诺值C" in plan_page and "协议版本" in plan_page and "housing-lottery/v1" in plan_page
        assert "如何核验" in plan_page and f"python verify_lottery.py lottery-{ids['code']}.zip" in plan_page

        text = c.get(f"/allocation/plan/{ids['plan']}/announcement").get_data(as_text=True)
        paragraphs = re.findall(r"<p>(.*?)</p>", text[text.index('id="announcement-text"'):])
        assert paragraphs[:3] == ["第一段：配租范围。", "第二段：&lt;b&gt;登记条件&lt;/b&gt;。", "第三段：登记时间。"]
        assert f'href="/allocation/media/{tokens["attachment"]}"' in text and "配租公告.pdf" in text
        assert tokens["internal"] not in text and "内部材料" not in text

        project = c.get(f"/allocation/project/{ids['project']}").get_data(as_text=True)
        assert ids["project_name"] in project and "测试项目简介" in project and "轨道交通3号线测试站" in project
        assert tokens["photo"] in project and tokens["photo2"] in project
        assert f'href="/allocation/unit/{ids["unit"]}"' in project and "A户型" in project and "一室一厅一卫" in project
        assert f'src="/allocation/media/{tokens["plan_image"]}"' in project      # the unit's first picture: 户型图
        assert "距登记结束" in project and "已登记人数" in project

        unit = c.get(f"/allocation/unit/{ids['unit']}").get_data(as_text=True)
        assert "户型图" in unit and "室内照片" in unit and tokens["plan_image"] in unit and tokens["room"] in unit
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", unit)
        assert rows == [("1-2-301", "3", "45.20", "1580.00"), ("1-2-402", "4", "46.10", "1620.00")]
        assert "房号" in unit and "楼层" in unit and "租金清单" in unit
    # 立即登记 on the project page chooses the project
    project = login("public1").get(f"/allocation/project/{ids['project']}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/allocation/my/register/(\d+)"[^>]*>(.*?)</form>', project, re.S)
    assert form and f'name="project_id" value="{ids["project"]}"' in form.group(2)
    assert 'name="csrf_token"' in form.group(2)
    anon_project = anon.get(f"/allocation/project/{ids['project']}").get_data(as_text=True)
    assert f"/login/?next=/allocation/project/{ids['project']}" in anon_project.replace("%2F", "/")


def test_contact_page(app, anon, login, open_plan):
    ids, *_ = open_plan
    for c in (anon, login("public1")):
        page = c.get("/allocation/contact").get_data(as_text=True)
        block = page[page.index(f'id="contact-{ids["plan"]}"'):]
        block = block[:block.index("</div>")]
        assert ids["title"] in block and "023-12345678" in block and "登记期间早9点至17点" in block
        assert "重庆市江北区测试路1号服务大厅" in block and "服务电话" in block
        assert "门户草稿计划" not in page


def test_media_serves_only_public_plans_files(app, anon, login, open_plan):
    ids, tokens, draft, draft_tokens = open_plan
    for c in (anon, login("public1")):
        img = c.get(f"/allocation/media/{tokens['photo']}")
        assert img.status_code == 200 and img.mimetype == "image/png" and img.data == png_bytes((10, 120, 200))
        assert img.headers["Content-Disposition"].startswith("inline")
        assert img.headers["X-Content-Type-Options"] == "nosniff"
        pdf = c.get(f"/allocation/media/{tokens['attachment']}")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == PDF
        assert pdf.headers["Content-Disposition"].startswith("attachment")
        for token in [tokens["internal"], *draft_tokens.values(), "0" * 32, "nonsense"]:
            assert c.get(f"/allocation/media/{token}").status_code == 404, token


def test_a_filings_document_is_never_served_by_the_portal(app, anon, open_plan):
    ids, *_ = open_plan
    with app.app_context():
        from app.allocation.filings import services as filings
        from app.allocation.plans.models import AllocationPlan
        from app.core import uploads

        _reg, u, plan = registered(plan=db.session.get(AllocationPlan, ids["plan"]))
        filing = filings.filing_of(u, plan)
        token = uploads.files_of(filing, filings.DOCUMENT_LABEL)[0].token
        username = u.username
    assert anon.get(f"/allocation/media/{token}").status_code == 404
    owner = _login(app, username)
    assert owner.get(f"/allocation/media/{token}").status_code == 404        # not even to its owner here
    assert owner.get(f"/uploads/{token}").status_code == 200                 # (the owner's own route)


def test_drafts_are_404_on_every_url(app, anon, login, open_plan):
    _ids_, _tokens, draft, draft_tokens = open_plan
    for c in (anon, login("public1"), login("alloc_admin")):
        for url in _urls(draft) + [f"/allocation/media/{t}" for t in draft_tokens.values()]:
            assert c.get(url).status_code == 404, url
    c = login("public1")
    token = csrf_token(c.get("/allocation/").get_data(as_text=True))
    resp = c.post(f"/allocation/plan/{draft['plan']}/object", data={"csrf_token": token, "number": "BZ2026-000001",
                                                                    "text": "草稿"})
    assert resp.status_code == 404
    for url in ("/allocation/plan/999999", "/allocation/project/999999", "/allocation/unit/999999",
                "/allocation/plan/999999/stats.json", "/allocation/plan/999999/lottery.zip"):
        assert anon.get(url).status_code == 404, url


# --- caching -------------------------------------------------------------------------------------

def test_cache_headers(app, anon, login, open_plan):
    ids, tokens, *_ = open_plan
    from app.system.models import Parameter

    with app.app_context():
        row = db.session.query(Parameter).filter_by(key="allocation.public_cache_seconds").one_or_none()
        old = row.value if row is not None else None
        if row is None:
            row = Parameter(key="allocation.public_cache_seconds", value="45")
            db.session.add(row)
        row.value = "45"
        db.session.commit()
    try:
        pages = ["/allocation/", f"/allocation/plan/{ids['plan']}", f"/allocation/project/{ids['project']}",
                 f"/allocation/unit/{ids['unit']}", "/allocation/contact", f"/allocation/plan/{ids['plan']}/results",
                 f"/allocation/plan/{ids['plan']}/announcement", f"/allocation/media/{tokens['photo']}"]
        for url in pages:
            resp = anon.get(url)
            assert resp.status_code == 200 and resp.headers["Cache-Control"] == "public, max-age=45", url
            assert "Set-Cookie" not in resp.headers, url
        stats = anon.get(f"/allocation/plan/{ids['plan']}/stats.json")
        assert stats.headers["Cache-Control"] == "public, max-age=5"
        c = login("public1")
        for url in pages + [f"/allocation/plan/{ids['plan']}/stats.json"]:
            resp = c.get(url)
            assert resp.status_code == 200 and "private" in resp.headers["Cache-Control"], url
            assert "public" not in resp.headers["Cache-Control"], url
    finally:
        with app.app_context():
            row = db.session.query(Parameter).filter_by(key="allocation.public_cache_seconds").one()
            if old is None:
                db.session.delete(row)
            else:
                row.value = old
            db.session.commit()


# --- 登记倒计时 ------------------------------------------------------------------------------------

def test_countdown_states_by_moved_clock(app, anon, login):
    with app.app_context():
        plan = new_plan(state="published", title="倒计时测试计划")
        ids = _ids(plan)
        start, end = plan.reg_start, plan.reg_end
    stats_url = f"/allocation/plan/{ids['plan']}/stats.json"
    project_url = f"/allocation/project/{ids['project']}"
    with at(start - timedelta(days=1, seconds=90)):
        data = anon.get(stats_url).get_json()
        assert data["state"] == "before" and data["seconds"] == 86400 + 90
        assert data["server_time"] == (start - timedelta(days=1, seconds=90)).isoformat()
        assert data["registered"] == 0 and data["projects"] == {str(ids["project"]): 0}
        page = anon.get(project_url).get_data(as_text=True)
        assert 'data-state="before"' in page and f'data-seconds="{86400 + 90}"' in page
        assert "距登记开始" in page and "1天 00:01:30" in page
        form = login("public1").get(project_url).get_data(as_text=True)
        assert re.search(r'<button type="submit" class="btn btn-danger alloc-register"[^>]*disabled', form)
    with at(start):
        data = anon.get(stats_url).get_json()
        assert data["state"] == "open" and data["seconds"] == int((end - start).total_seconds())
        page = anon.get(project_url).get_data(as_text=True)
        assert 'data-state="open"' in page and "距登记结束" in page
    with at(end - timedelta(seconds=1)):
        assert anon.get(stats_url).get_json() | {"server_time": ""} == {
            "state": "open", "seconds": 1, "registered": 0, "projects": {str(ids["project"]): 0}, "server_time": ""}
    with at(end):
        data = anon.get(stats_url).get_json()
        assert data["state"] == "after" and data["seconds"] == 0
        page = anon.get(project_url).get_data(as_text=True)
        assert 'data-state="after"' in page and "登记已结束" in page and "立即登记" not in page


def test_registered_counts_on_pages_and_stats(app, anon):
    with app.app_context():
        from app.allocation.plans import services as plans

        plan = new_plan(title="人数测试计划")
        ids = _ids(plan)
        for _ in range(2):
            registered(plan=plan)
        plans.forget_counts(plan.id)
    data = anon.get(f"/allocation/plan/{ids['plan']}/stats.json").get_json()
    assert data["registered"] == 2 and data["projects"] == {str(ids["project"]): 0}
    page = anon.get("/allocation/").get_data(as_text=True)
    assert re.search(rf'data-registered-plan="{ids["plan"]}">2<', page)


# --- the lottery: review, publicity, objections, draw, results ------------------------------------

def _through_review(plan, regs, reject=()):
    from app.allocation.plans import services as plans
    from app.allocation.plans.models import PlanStatus
    from app.allocation.registrations import services as registrations

    admin = user("alloc_admin")
    plans.transition(plan, PlanStatus.CLOSED)     # what the window job does at reg_end (to this plan only)
    approve = [r.id for r in regs if r.id not in reject]
    registrations.review(admin, approve, True)
    if reject:
        registrations.review(admin, list(reject), False, "收入证明与社保记录不符")
    registrations.start_publicity(admin, plan)
    db.session.commit()


def _people(regs):
    return [(r.name, r.id_number, r.mobile) for r in regs]


@pytest.fixture(scope="module")
def drawn(app, tmp_path_factory):
    """A plan drawn with a priority group, its results published; the plan page as it was
    when the pools were frozen."""
    from app.allocation.lottery import services as lottery

    with app.app_context():
        plan = new_plan(title="摇号测试计划", homes=(3,),
                        groups=[("priority", "优先家庭", 1, [("social_security_months", "ge", "60")])])
        regs = []
        for i in range(7):
            u = applicant(name=f"摇号申请人{'甲乙丙丁戊己庚'[i]}")
            regs.append(registered(u=u, plan=plan, social_security_months="72" if i < 3 else "24")[0])
        people = _people(regs)
        ids = _ids(plan)
        with at(plan.reg_end + timedelta(minutes=1)):
            _through_review(plan, regs, reject={regs[6].id})
        until = plan.publicity_until
        with at(until):
            lottery.freeze(user("alloc_admin"), plan)
            db.session.commit()
        numbers = sorted(r.number for r in regs[:6])
        rejected = regs[6].number
    with at(until):
        frozen_page = Client(app).get(f"/allocation/plan/{ids['plan']}").get_data(as_text=True)
    with app.app_context():
        from app.allocation.plans.models import AllocationPlan

        plan = db.session.get(AllocationPlan, ids["plan"])
        with at(until + timedelta(hours=1)):
            lottery.draw(user("alloc_admin"), plan, "305871")
            lottery.publish_results(user("alloc_admin"), plan)
            db.session.commit()
        files = lottery.files(plan)
        zipped = lottery.zip_files(plan)
    return {"ids": ids, "people": people, "numbers": numbers, "rejected": rejected, "files": files,
            "zip": zipped, "frozen_page": frozen_page}


def test_frozen_pools_are_published_before_the_draw(drawn):
    page = drawn["frozen_page"]
    box = page[page.index('id="lottery-box"'):]
    assert "优先家庭" in box and "普通家庭" in box and "名单人数" in box and "名单哈希值" in box
    pools = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(\d+)</td>\s*"
                       r'<td><code class="alloc-hash">([0-9a-f]{64})</code></td>', box)
    assert [(o, g, int(n)) for o, g, n, _h in pools] == [("1", "优先家庭", 3), ("2", "普通家庭", 3)]
    assert 'id="lottery-secret"' not in box and "secret.txt" not in box and "ranking-" not in box
    assert 'id="lottery-not-drawn"' in box
    assert re.search(r"pool-1-priority\.txt", box) and "commitment.txt" in box


def test_published_files_equal_the_services_and_the_zip_verifies(app, anon, login, drawn, tmp_path):
    ids = drawn["ids"]
    plan_page = anon.get(f"/allocation/plan/{ids['plan']}").get_data(as_text=True)
    listed = re.findall(rf'href="/allocation/plan/{ids["plan"]}/lottery/([^"]+)"', plan_page)
    assert sorted(listed) == sorted(drawn["files"])
    assert {"secret.txt", "entropy.txt", "ranking-1-priority.txt", "ranking-2-general.txt"} <= set(listed)
    manifest = json.loads(drawn["files"]["manifest.json"])
    assert drawn["files"]["secret.txt"].decode().strip() in plan_page and "305871" in plan_page
    for g in manifest["groups"]:
        assert g["seed"] in plan_page and g["pool_sha256"] in plan_page
    assert manifest["commitment"] in plan_page
    for c in (anon, login("public1")):
        for name, data in drawn["files"].items():
            resp = c.get(f"/allocation/plan/{ids['plan']}/lottery/{name}")
            assert resp.status_code == 200 and resp.data == data, name
            assert resp.headers["Content-Disposition"].startswith("attachment"), name
        assert c.get(f"/allocation/plan/{ids['plan']}/lottery/nothing.txt").status_code == 404
        assert c.get(f"/allocation/plan/{ids['plan']}/lottery/..%2Fmanifest.json").status_code == 404
    resp = anon.get(f"/allocation/plan/{ids['plan']}/lottery.zip")
    assert resp.status_code == 200 and resp.data == drawn["zip"] and resp.mimetype == "application/zip"
    zip_name = f"lottery-{ids['code']}.zip"
    assert zip_name in resp.headers["Content-Disposition"]
    assert sorted(zipfile.ZipFile(io.BytesIO(resp.data)).namelist()) == sorted(drawn["files"])
    script = anon.get("/allocation/verify_lottery.py")
    assert script.status_code == 200 and script.mimetype == "text/x-python"
    assert script.headers["Content-Disposition"].startswith("attachment") and "verify_lottery.py" in \
        script.headers["Content-Disposition"]
    with open(__import__("os").path.join(app.root_path, "..", "scripts", "verify_lottery.py"), "rb") as fh:
        assert script.data == fh.read()
    (tmp_path / zip_name).write_bytes(resp.data)
    (tmp_path / "verify_lottery.py").write_bytes(script.data)
    run = subprocess.run([sys.executable, "-I", "verify_lottery.py", zip_name], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "结果：一致 / MATCH" in run.stdout


def test_results_page_numbers_order_and_result_without_names(app, anon, login, drawn):
    ids = drawn["ids"]
    for c in (anon, login("public1")):
        page = c.get(f"/allocation/plan/{ids['plan']}/results").get_data(as_text=True)
        rows = re.findall(r'<tr class="alloc-result-(\w+)"><td>(.*?)</td><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td>'
                          r"<td>(.*?)</td></tr>", page)
        assert sorted(r[1] for r in rows) == drawn["numbers"]
        assert [int(r[4]) for r in rows] == list(range(1, 7))
        assert [r[5] for r in rows] == ["中签"] * 3 + ["轮候"] * 3
        assert [r[2] for r in rows] == ["优先家庭"] * 3 + ["普通家庭"] * 3
        assert [int(r[3]) for r in rows] == [1, 2, 3, 1, 2, 3]
        ranking = drawn["files"]["ranking-1-priority.txt"].decode().split("\n") + \
            drawn["files"]["ranking-2-general.txt"].decode().split("\n")
        assert [r[1] for r in rows] == ranking
        assert drawn["rejected"] not in page
        found = c.get(f"/allocation/plan/{ids['plan']}/results?q={rows[4][1]}").get_data(as_text=True)
        assert found.count('<tr class="alloc-result-') == 1
    plan_page = anon.get(f"/allocation/plan/{ids['plan']}").get_data(as_text=True)
    assert "结果公示" in plan_page and 'data-state="after"' in plan_page and "立即登记" not in plan_page
    # drawn with the real clock still inside the window: past 登记中 is 登记已结束 all the same
    assert anon.get(f"/allocation/plan/{ids['plan']}/stats.json").get_json()["state"] == "after"


def test_results_and_eligible_wait_for_their_stage(app, anon, open_plan):
    ids, *_ = open_plan
    page = anon.get(f"/allocation/plan/{ids['plan']}/results").get_data(as_text=True)
    assert 'id="results-not-yet"' in page and "alloc-result-" not in page
    page = anon.get(f"/allocation/plan/{ids['plan']}/eligible").get_data(as_text=True)
    assert 'id="eligible-not-yet"' in page and 'id="objection"' not in page


def test_no_personal_data_on_any_portal_page(app, anon, login, drawn):
    ids = drawn["ids"]
    urls = ["/allocation/", "/allocation/contact"] + [u for u in _urls(ids) if not u.endswith(".zip")]
    for c in (anon, login("public1")):
        for url in urls:
            body = c.get(url).get_data(as_text=True)
            for name, id_number, mobile in drawn["people"]:
                assert name not in body and id_number not in body and mobile not in body, url
        data = c.get(f"/allocation/plan/{ids['plan']}/lottery.zip").data
        for name, id_number, mobile in drawn["people"]:
            for part in (name.encode(), id_number.encode(), mobile.encode()):
                for inner in zipfile.ZipFile(io.BytesIO(data)).namelist():
                    assert part not in zipfile.ZipFile(io.BytesIO(data)).read(inner)


# --- 资格公示 and 异议 -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def publicised(app):
    with app.app_context():
        plan = new_plan(title="公示测试计划")
        regs = [registered(plan=plan)[0] for _ in range(4)]
        with at(plan.reg_end + timedelta(minutes=1)):
            _through_review(plan, regs, reject={regs[3].id})
        return {"ids": _ids(plan), "numbers": sorted(r.number for r in regs[:3]), "rejected": regs[3].number,
                "people": _people(regs), "during": plan.publicity_from + timedelta(hours=1),
                "after": plan.publicity_until}


def _object(c, plan_id, number, text):
    token = csrf_token(c.get(f"/allocation/plan/{plan_id}/eligible").get_data(as_text=True))
    return c.post(f"/allocation/plan/{plan_id}/object", data={"csrf_token": token, "number": number, "text": text})


def _flashed(c, url):
    return c.get(url).get_data(as_text=True)


def test_eligible_list_numbers_only_sorted_with_count(app, anon, login, publicised):
    ids = publicised["ids"]
    with at(publicised["during"]):
        for c in (anon, login("public1")):
            page = c.get(f"/allocation/plan/{ids['plan']}/eligible").get_data(as_text=True)
            numbers = re.findall(r"<li>(BZ\d{4}-\d+)</li>", page)
            assert numbers == publicised["numbers"]
            assert "共3个登记通过审核。" in page
            assert publicised["rejected"] not in page
            for name, id_number, mobile in publicised["people"]:
                assert name not in page and id_number not in page and mobile not in page
        anon_page = anon.get(f"/allocation/plan/{ids['plan']}/eligible").get_data(as_text=True)
        assert 'id="objection-login"' in anon_page and 'name="csrf_token"' not in anon_page
        assert 'name="text"' in login("public1").get(f"/allocation/plan/{ids['plan']}/eligible").get_data(as_text=True)


def test_objections_with_exact_refusals(app, anon, publicised):
    ids = publicised["ids"]
    url = f"/allocation/plan/{ids['plan']}/eligible"
    with app.app_context():
        objector = applicant(verified=False).username
    c = _login(app, objector)
    with at(publicised["during"]):
        resp = anon.post(f"/allocation/plan/{ids['plan']}/object",
                         data={"csrf_token": anon.token(), "number": publicised["numbers"][0], "text": "匿名"})
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
        resp = _object(c, ids["plan"], "BZ1999-999999", "该户有房")
        assert resp.status_code == 302
        assert "登记编号：不在本计划的资格公示名单中" in _flashed(c, url)
        resp = _object(c, ids["plan"], publicised["rejected"], "该户有房")
        assert "登记编号：不在本计划的资格公示名单中" in _flashed(c, url)
        _object(c, ids["plan"], publicised["numbers"][0], "  ")
        assert "异议：必须填写" in _flashed(c, url)
        _object(c, ids["plan"], publicised["numbers"][0].lower(), "该户在本市有住房，请核实")
        page = _flashed(c, url)
        assert f"您对登记{publicised['numbers'][0]}提出的异议已收到" in page
        _object(c, ids["plan"], publicised["numbers"][0], "再次提出")
        assert "您已对该登记提出过异议。" in _flashed(c, url)
    with at(publicised["after"]):
        page = c.get(url).get_data(as_text=True)
        assert 'id="objection-closed"' in page and 'name="text"' not in page
        token = csrf_token(c.get("/allocation/").get_data(as_text=True))
        c.post(f"/allocation/plan/{ids['plan']}/object", data={"csrf_token": token,
                                                                "number": publicised["numbers"][1], "text": "晚了"})
        assert "只能在资格公示期内提出异议。" in _flashed(c, url)
    with app.app_context():
        from sqlalchemy import select

        from app.allocation.registrations.models import Objection

        texts = db.session.execute(select(Objection.text).where(Objection.plan_id == ids["plan"])).scalars().all()
        assert texts == ["该户在本市有住房，请核实"]


# --- few queries ---------------------------------------------------------------------------------

def _statements(app, c, url):
    seen = []

    def spy(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert c.get(url).status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    return [s for s in seen if "anju_alloc_registration" not in s]   # 已登记人数: cached per process


def test_pages_load_with_a_handful_of_queries(app, anon, open_plan, drawn):
    ids = drawn["ids"]
    urls = ["/allocation/", f"/allocation/plan/{ids['plan']}", f"/allocation/project/{ids['project']}",
            f"/allocation/unit/{ids['unit']}", "/allocation/contact", f"/allocation/plan/{ids['plan']}/stats.json"]
    for url in urls:
        anon.get(url)
        assert len(_statements(app, anon, url)) <= 7, url
    before = len(_statements(app, anon, "/allocation/"))
    with app.app_context():
        for n in range(3):
            plan = new_plan(title=f"查询计数计划{n}", homes=(1, 1, 1))
            _dressed(plan)
    anon.get("/allocation/")
    assert len(_statements(app, anon, "/allocation/")) == before
