"""小区动态 (seed 004 物业服务企业 10, 业主委员会 3) as users meet it: a draft by a property
company, its project lead or the owners committee, 发布 with a confirmation naming the item, the
area's public page (newest first, plain text, no HTML), 撤回, the refusals in Chinese, the REST
resource, and who may see or change which item (pages, API, guessed ids)."""
import itertools
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.complaints.helpers import new_mobile, user
from tests.conftest import DEMO_PASSWORD

_seq = itertools.count(1)


def news_area(app, company="重庆安居物业服务有限公司", committee=None, lead=None, district="500103",
              street="500103001"):
    """A fresh area (unique name) of the company, with an owners committee and a lead if given."""
    from app.property.models import PropertyArea
    from app.system.models import Organization

    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.name == company)).scalars().one()
        a = PropertyArea(name=f"动态测试小区{next(_seq)}-{datetime.now():%H%M%S%f}", district_code=district,
                         street_code=street, company_org_id=org.id, address="重庆市渝中区动态路1号",
                         committee_org_id=user(committee).org_id if committee else None,
                         project_lead_id=user(lead).id if lead else None)
        a.fill_region()
        db.session.add(a)
        db.session.commit()
        return a.id, a.public_code


def committee_user(app, username):
    """An owners committee (its own organisation) with its login."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields

    with app.app_context():
        if user(username) is None:
            org = Organization(name=f"{username}业主委员会", org_type="owners_committee",
                               enterprise_type="owners_committee", region_code="500103", active=True)
            db.session.add(org)
            set_tree_fields(org)
            db.session.flush()
            finish_paths([org])
            db.session.commit()
            sm = current_app.appbuilder.sm
            sm.add_user(username, f"{username}业委会", "", f"{username}@test.anju.invalid", sm.find_role("committee"),
                        password=DEMO_PASSWORD, org_id=org.id, mobile=new_mobile("1368"), must_change_password=False)
        return username


def org_of(app, username):
    with app.app_context():
        return user(username).org_id


def uid(app, username):
    with app.app_context():
        return user(username).id


def district2_user(app):
    from tests.property.test_good_behaviour import district2_user as make

    return make(app)


def add_news(c, area_id, title, content="各位业主：\n本周六停水。"):
    return c.form("/property/news/add", {"area_id": str(area_id), "title": title, "content": content})


def news_by_title(app, title):
    from app.property.models import AreaNews

    with app.app_context():
        n = db.session.execute(select(AreaNews).where(AreaNews.title == title)).scalars().first()
        return None if n is None else {"id": n.id, "status": n.status, "org_id": n.org_id, "content": n.content,
                                       "area_id": n.area_id, "author_id": n.author_id}


def flashes(c):
    with c.http.session_transaction() as s:
        return [m for _cat, m in s.pop("_flashes", [])]


def section(app, area_id):
    from app.property import public
    from app.property.models import PropertyArea

    with app.app_context():
        found = [s for s in public.sections(db.session.get(PropertyArea, area_id)) if s["key"] == "news"]
        return found[0]["context"]["items"] if found else []


def make_news(app, area_id, title, username="ent_a", publish=False, content="通知内容"):
    from app.property.models import AreaNews
    from app.property.news import services

    with app.app_context():
        n = AreaNews(area_id=area_id, title=title, content=content)
        services.check_news(n, user(username), True)
        db.session.add(n)
        db.session.commit()
        if publish:
            services.publish(n, user(username))
        return n.id


# --- the life ---------------------------------------------------------------------------------

def test_draft_publish_withdraw_and_the_public_page(app, login, client):
    area_id, code = news_area(app)
    c = login("ent_a")
    form = c.get("/property/news/add").get_data(as_text=True)
    assert f'value="{area_id}"' in form
    title = f"停水通知{next(_seq)}"
    content = "各位业主：\n本周六停水。\n<script>alert(1)</script><b>粗体</b>"
    resp = add_news(c, area_id, title, content)
    assert resp.status_code == 302
    n = news_by_title(app, title)
    assert n["status"] == "draft" and n["org_id"] == org_of(app, "ent_a") and n["content"] == content
    # A draft is not public.
    assert client.get(f"/area/{code}/news/{n['id']}").status_code == 404
    assert section(app, area_id) == []
    page = c.get(f"/property/news/show/{n['id']}").get_data(as_text=True)
    assert f'data-confirm="确定将「{title}」发布到' in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    resp = c.form(f"/property/news/publish/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert resp.status_code == 302
    assert f"「{title}」已发布到物业区域公众页面。" in flashes(c)
    assert news_by_title(app, title)["status"] == "published"
    public = client.get(f"/area/{code}/news/{n['id']}").get_data(as_text=True)
    assert title in public and "本周六停水。\n" in public
    assert "<script>alert(1)</script>" not in public and "&lt;b&gt;粗体&lt;/b&gt;" in public
    assert [i["id"] for i in section(app, area_id)] == [n["id"]]
    # Published: neither changed nor deleted; withdraw first.
    resp = c.form(f"/property/news/edit/{n['id']}", {"area_id": str(area_id), "title": title, "content": "改了"})
    assert "已发布的动态不能修改，请先撤回。" in flashes(c)
    assert news_by_title(app, title)["content"] == content
    c.form(f"/property/news/delete/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert "已发布的动态不能删除，请先撤回。" in flashes(c)
    assert news_by_title(app, title) is not None
    page = c.get(f"/property/news/show/{n['id']}").get_data(as_text=True)
    assert f'data-confirm="确定将「{title}」从' in page and "btn-publish" not in page
    c.form(f"/property/news/withdraw/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert news_by_title(app, title)["status"] == "withdrawn"
    assert client.get(f"/area/{code}/news/{n['id']}").status_code == 404
    assert section(app, area_id) == []
    # Withdrawn: changed, then deleted.
    c.form(f"/property/news/edit/{n['id']}", {"area_id": str(area_id), "title": title, "content": "更正后的内容"})
    assert news_by_title(app, title)["content"] == "更正后的内容"
    c.form(f"/property/news/delete/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert news_by_title(app, title) is None


def test_public_section_newest_first_and_limited(app):
    from app.property.news import services

    area_id, code = news_area(app)
    ids = [make_news(app, area_id, f"动态{i}-{next(_seq)}", publish=True) for i in range(services.PUBLIC_LIMIT + 2)]
    make_news(app, area_id, f"草稿-{next(_seq)}")
    shown = [i["id"] for i in section(app, area_id)]
    assert shown == list(reversed(ids))[:services.PUBLIC_LIMIT]


def test_refusals_in_chinese(app, login, api):
    mine, _code = news_area(app)
    theirs, _code2 = news_area(app, company="重庆和居物业管理有限公司")
    c = login("ent_a")
    title = f"越界{next(_seq)}"
    add_news(c, theirs, title)
    assert "物业管理区域：请选择您负责的物业管理区域" in flashes(c)
    assert news_by_title(app, title) is None
    http, headers = api("ent_a")
    for body, message in (({"area_id": theirs, "title": "x", "content": "y"}, "物业管理区域：请选择您负责的物业管理区域"),
                          ({"area_id": mine, "title": "长" * 101, "content": "y"}, "标题：最多 100 个字")):
        resp = http.post("/api/v1/area_news/", headers=headers, json=body)
        assert resp.status_code == 422 and resp.get_json()["message"] == message, resp.get_json()
    # Blank text is refused by the resource's schema (every field required, in Chinese).
    resp = http.post("/api/v1/area_news/", headers=headers, json={"area_id": mine, "title": " ", "content": "y"})
    assert resp.status_code == 422 and resp.get_json()["message"] == {"title": ["此项为必填项。"]}
    pk = make_news(app, mine, f"已发布{next(_seq)}", publish=True)
    resp = http.post(f"/api/v1/area_news/{pk}/publish", headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"].endswith("已发布。")
    draft = make_news(app, mine, f"草稿{next(_seq)}")
    resp = http.post(f"/api/v1/area_news/{draft}/withdraw", headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "只有已发布的动态才能撤回。"


def test_committee_and_project_lead_write_for_their_areas(app, login):
    committee = committee_user(app, "news_cmt_a")
    area_id, code = news_area(app, committee=committee, lead="pm_a")
    other_area, _c = news_area(app)
    c = login(committee)
    form = c.get("/property/news/add").get_data(as_text=True)
    assert f'value="{area_id}"' in form and f'value="{other_area}"' not in form
    title = f"业委会筹备情况{next(_seq)}"
    assert add_news(c, area_id, title).status_code == 302
    n = news_by_title(app, title)
    assert n["org_id"] == org_of(app, committee)
    c.form(f"/property/news/publish/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert news_by_title(app, title)["status"] == "published"
    # The company reads the committee's item of its area but does not manage it.
    ent = login("ent_a")
    page = ent.get(f"/property/news/show/{n['id']}").get_data(as_text=True)
    assert title in page and "btn-withdraw" not in page
    ent.form(f"/property/news/withdraw/{n['id']}", {}, get_url=f"/property/news/show/{n['id']}")
    assert "只有发布该动态的单位才能操作。" in flashes(ent)
    assert news_by_title(app, title)["status"] == "published"
    # The project lead writes for the areas they lead (their company's item).
    lead = login("pm_a")
    title2 = f"电梯维保通知{next(_seq)}"
    assert add_news(lead, area_id, title2).status_code == 302
    n2 = news_by_title(app, title2)
    assert n2["org_id"] == org_of(app, "pm_a") and n2["author_id"] == uid(app, "pm_a")
    add_news(lead, other_area, f"越界{next(_seq)}")
    assert "物业管理区域：请选择您负责的物业管理区域" in flashes(lead)


# --- scope ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ent_a_items(app):
    committee_user(app, "news_cmt_b")
    area_id, code = news_area(app, lead="pm_a")
    draft = make_news(app, area_id, f"矩阵外草稿{next(_seq)}")
    published = make_news(app, area_id, f"矩阵外已发布{next(_seq)}", publish=True)
    return area_id, code, draft, published


def test_outsiders_get_nothing(app, login, api, client, ent_a_items):
    area_id, code, draft, published = ent_a_items
    news_area(app, committee="news_cmt_b")           # the committee of another area
    d2 = district2_user(app)
    for username in ("ent_b", "news_cmt_b", d2):
        c = login(username)
        listing = c.get("/property/news/list/").get_data(as_text=True)
        assert f"/property/news/show/{draft}" not in listing and f"/property/news/show/{published}" not in listing
        for pk in (draft, published, 999999999):
            assert c.get(f"/property/news/show/{pk}").status_code == 404, (username, pk)
        http, headers = api(username)
        assert http.get(f"/api/v1/area_news/{draft}", headers=headers).status_code == 404
        ids = [r["id"] for r in http.get("/api/v1/area_news/", headers=headers).get_json()["result"]]
        assert draft not in ids and published not in ids
    for username in ("ent_b", "news_cmt_b"):
        c = login(username)
        assert c.get(f"/property/news/edit/{draft}").status_code == 404
        c.form(f"/property/news/publish/{draft}", {}, get_url="/property/news/list/")
        c.form(f"/property/news/delete/{draft}", {}, get_url="/property/news/list/")
        http, headers = api(username)
        assert http.post(f"/api/v1/area_news/{draft}/publish", headers=headers).status_code == 404
        assert http.put(f"/api/v1/area_news/{draft}", headers=headers, json={"title": "篡改"}).status_code == 404
        assert http.delete(f"/api/v1/area_news/{draft}", headers=headers).status_code == 404
    from app.property.models import AreaNews

    with app.app_context():
        row = db.session.get(AreaNews, draft)
        assert row is not None and row.status == "draft" and row.title.startswith("矩阵外草稿")
    for username in ("helpdesk", "public1", "dev_a"):
        c = login(username)
        for url in ("/property/news/list/", f"/property/news/show/{draft}", "/property/news/add"):
            assert c.get(url).status_code == 403, (username, url)
        http, headers = api(username)
        assert http.get(f"/api/v1/area_news/{draft}", headers=headers).status_code == 403
    assert client.get(f"/property/news/show/{draft}").status_code in (302, 401, 403)
    assert client.get(f"/api/v1/area_news/{draft}").status_code == 401
    # Public: only the published item, only under its own area's code.
    assert client.get(f"/area/{code}/news/{draft}").status_code == 404
    assert client.get(f"/area/{code}/news/{published}").status_code == 200
    assert client.get(f"/area/demo-qixing/news/{published}").status_code == 404
    assert client.get(f"/area/{code}/news/999999999").status_code == 404


def test_government_reads_in_its_region_only(app, login, api, ent_a_items):
    area_id, code, draft, published = ent_a_items
    for username in ("district1", "street1", "gov_admin", "reviewer", "analyst"):
        c = login(username)
        assert c.get(f"/property/news/show/{published}").status_code == 200, username
        assert c.get("/property/news/add").status_code == 403
        assert c.post(f"/property/news/publish/{draft}",
                      data={"csrf_token": c.token("/resetmypassword/form")}).status_code == 403
        http, headers = api(username)
        assert http.get(f"/api/v1/area_news/{published}", headers=headers).status_code == 200
        assert http.post(f"/api/v1/area_news/{draft}/publish", headers=headers).status_code == 403


def test_api_crud_publish_withdraw(app, api, client):
    area_id, code = news_area(app)
    http, headers = api("ent_a")
    resp = http.post("/api/v1/area_news/", headers=headers,
                     json={"area_id": area_id, "title": "接口动态", "content": "第一行\n第二行"})
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    row = http.get(f"/api/v1/area_news/{pk}", headers=headers).get_json()["result"]
    assert row["status"] == "draft" and row["org_id"] == org_of(app, "ent_a")
    assert http.put(f"/api/v1/area_news/{pk}", headers=headers, json={"area_id": area_id, "title": "接口动态（改）",
                                                                       "content": "第一行"}).status_code == 200
    resp = http.post(f"/api/v1/area_news/{pk}/publish", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status_label"] == "已发布"
    assert client.get(f"/area/{code}/news/{pk}").status_code == 200
    resp = http.put(f"/api/v1/area_news/{pk}", headers=headers, json={"area_id": area_id, "title": "x", "content": "y"})
    assert resp.status_code == 422 and resp.get_json()["message"] == "已发布的动态不能修改，请先撤回。"
    resp = http.delete(f"/api/v1/area_news/{pk}", headers=headers)
    assert resp.status_code == 422 and resp.get_json()["message"] == "已发布的动态不能删除，请先撤回。"
    assert http.post(f"/api/v1/area_news/{pk}/withdraw", headers=headers).get_json()["status"] == "withdrawn"
    assert client.get(f"/area/{code}/news/{pk}").status_code == 404
    assert http.delete(f"/api/v1/area_news/{pk}", headers=headers).status_code == 200


def test_demo_has_a_published_item_for_heping(app):
    from app.property.models import AreaNews, PropertyArea
    from app.property.honour.models import HonourPublicity

    with app.app_context():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.name == "和平小区")).scalars().one()
        items = db.session.execute(select(AreaNews).where(AreaNews.area_id == area.id,
                                                          AreaNews.status == "published")).scalars().all()
        assert any(n.org_id == user("ent_a").org_id for n in items)
        assert db.session.execute(select(HonourPublicity).where(HonourPublicity.area_id == area.id,
                                                                HonourPublicity.state == "publicity")).first()
    assert re.match(r"^\d+$", str(area.id))
