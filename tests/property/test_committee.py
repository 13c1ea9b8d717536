"""业主委员会 (seed 004 业主委员会 1-2) as users meet it: registration as an owners committee
(login with the 机构代码), 业委会备案 with 主任 and 副主任 required, every member an owner of
the area by name and ID number (the reason when not, one query for the whole list), the
per-member 验证, the deadline across a holiday, approval writing the members and linking
the area (the committee then sees it), REST, and who may see a filing."""
import itertools
import re
from datetime import date, timedelta

from sqlalchemy import event, func, select

from app.core.workflow import Application
from app.extensions import db
from app.property.models import CommitteeMember, House, PropertyArea
from tests.complaints.helpers import make_area, new_id, user
from tests.conftest import DEMO_PASSWORD
from tests.property.test_houses import decide, district2_user, flashes, uniq

_seq = itertools.count(1)


def new_committee(app, region="500103"):
    """A fresh owners committee (org_type owners_committee) with its account: (org id, username)."""
    from flask import current_app

    from app.system.models import Organization
    from app.system.services import finish_paths, set_tree_fields
    from tests.accounts.helpers import new_credit_code

    n = next(_seq)
    with app.app_context():
        org = Organization(name=uniq("测试小区业主委员会"), org_type="owners_committee", enterprise_type="owners_committee",
                           credit_code=new_credit_code(region), region_code=region, active=True)
        db.session.add(org)
        set_tree_fields(org)
        db.session.flush()
        finish_paths([org])
        db.session.commit()
        sm = current_app.appbuilder.sm
        username = f"yw_t{n}_{org.id}"
        sm.add_user(username, org.name, "", f"{username}@test.anju.invalid", sm.find_role("committee"),
                    password=DEMO_PASSWORD, org_id=org.id, mobile=f"1367{org.id % 10 ** 7:07d}",
                    must_change_password=False)
        return org.id, username


def area_with_owners(app, n=8, district="500103", street="500103001"):
    """A fresh area with ``n`` registered houses: (area id, [(name, id number, room)])."""
    with app.app_context():
        a = make_area(uniq("业委会测试小区"), district=district, street=street)
        owners = []
        for i in range(n):
            name, number = f"业主{chr(0x4e10 + i)}{chr(0x4e30 + i)}", new_id()
            db.session.add(House(area_id=a.id, building="1栋", unit="1单元", room=f"{101 + i}", floor=1,
                                 floor_area=90, owner_name=name, owner_id_number=number, region_code=a.region_code))
            owners.append((name, number, f"1栋-1单元-{101 + i}"))
        db.session.commit()
        return a.id, owners


def form_data(area_id, owners, roles=("director", "deputy", "member"), election=None, **change):
    election = election or (date.today() - timedelta(days=5))
    data = {"area_id": str(area_id), "election_date": election.isoformat(), "term_start": election.isoformat(),
            "term_end": (election + timedelta(days=1825)).isoformat(), "office_address": "小区1栋架空层",
            "contact_phone": "023-63001234", "owners_total": "100", "total_area": "9000", "voters": "80",
            "voters_area": "7000", "agreed": "70", "agreed_area": "6000",
            "m_name": [o[0] for o in owners[:len(roles)]], "m_id_number": [o[1] for o in owners[:len(roles)]],
            "m_role": list(roles), "m_house": ["" for _r in roles], "m_mobile": ["13912340000" for _r in roles]}
    data.update(change)
    return data


def json_data(area_id, owners, roles=("director", "deputy", "member"), **change):
    election = date.today() - timedelta(days=5)
    data = {"area_id": area_id, "election_date": election.isoformat(), "term_start": election.isoformat(),
            "term_end": (election + timedelta(days=1825)).isoformat(), "office_address": "小区1栋架空层",
            "contact_phone": "023-63001234", "owners_total": 100, "total_area": "9000", "voters": 80,
            "voters_area": "7000", "agreed": 70, "agreed_area": "6000",
            "members": [{"name": o[0], "id_number": o[1], "role": r, "house": "", "mobile": ""}
                        for o, r in zip(owners, roles)]}
    data.update(change)
    return data


def post(c, url, data):
    return c.form(url, data, get_url="/committee/filing/", follow_redirects=True)


def error_of(resp):
    import html as htmllib

    m = re.search(r'id="form-error">\s*([^<]+?)\s*<', resp.get_data(as_text=True))
    return htmllib.unescape(m.group(1)) if m else None


def filing_of(app, org_id):
    with app.app_context():
        a = db.session.execute(select(Application).where(Application.app_type == "committee_filing",
                                                         Application.org_id == org_id)
                               .order_by(Application.id.desc())).scalars().first()
        return (a.id, a.status, dict(a.payload or {})) if a else None


# --- registration ----------------------------------------------------------------------------------

def test_committee_registration_gives_the_committee_role_and_logs_in_with_its_code(app, login):
    from app.accounts import services as accounts
    from app.core import workflow
    from app.system.models import Organization
    from tests.accounts.helpers import new_credit_code

    code = new_credit_code("500103")
    with app.test_request_context():
        org = Organization(credit_code=code, name=uniq("注册测试业委会"), org_type="owners_committee",
                           enterprise_type="owners_committee", region_code="500103", active=False,
                           review_status="pending")
        db.session.add(org)
        db.session.flush()
        u = accounts._new_user(code, org.name, [accounts.APPLICANT_ROLE], f"1368{org.id % 10 ** 7:07d}",
                               password_hash=accounts.hash_password(DEMO_PASSWORD), org_id=org.id)
        a = workflow.create(accounts.ORG_REGISTRATION, applicant=u, title=org.name, org_id=org.id,
                            region_code="500103", subject=("organization", org.id), submit=True)
        db.session.commit()
        pk = a.id
    reviewer = login("reviewer")
    decide(reviewer, pk, "accept")
    decide(reviewer, pk, "approve")
    with app.app_context():
        u = user(code)
        assert [r.name for r in u.roles] == ["committee"] and u.org.org_type == "owners_committee"
    c = login(code)                                          # the 机构代码 is the login
    page = c.get("/committee/filing/").get_data(as_text=True)
    assert "业委会备案" in page and "新建业委会备案" in page


# --- the form's rules --------------------------------------------------------------------------------

def test_director_and_deputy_are_required(app, login):
    area_id, owners = area_with_owners(app)
    _org, username = new_committee(app)
    c = login(username)
    for roles in (("director", "member", "member"), ("deputy", "member"), ("director", "director", "deputy")):
        resp = post(c, "/committee/filing/file", {**form_data(area_id, owners, roles), "action": "submit"})
        expected = "业委会只能有一名主任。" if roles.count("director") > 1 else "业委会成员必须具有主任和副主任。"
        assert error_of(resp) == expected, roles
    page = resp.get_data(as_text=True)
    assert owners[0][0] in page and "小区1栋架空层" in page               # what was typed is kept
    assert filing_of(app, _org) is None


def test_vote_numbers_must_be_consistent(app, login):
    area_id, owners = area_with_owners(app)
    _org, username = new_committee(app)
    c = login(username)
    cases = [({"voters": "101"}, "参与表决人数不能多于业主总人数。"),
             ({"agreed": "81"}, "同意人数不能多于参与表决人数。"),
             ({"voters_area": "9000.01"}, "参与表决建筑面积不能大于总建筑面积。"),
             ({"agreed_area": "7000.5"}, "同意建筑面积不能大于参与表决建筑面积。"),
             ({"owners_total": "abc"}, "业主总人数：应为不小于 0 的整数"),
             ({"term_end": (date.today() - timedelta(days=10)).isoformat()}, "任期结束：应晚于起始日期")]
    for change, message in cases:
        resp = post(c, "/committee/filing/file", {**form_data(area_id, owners), **change, "action": "submit"})
        assert error_of(resp) == message, change


def test_a_member_who_is_not_an_owner_or_whose_name_differs_is_refused_with_the_reason(app, login):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    c = login(username)
    stranger = ("路人甲", new_id(), "")
    renamed = ("改名乙", owners[1][1], "")
    data = form_data(area_id, [owners[0], renamed, stranger], roles=("director", "deputy", "member"))
    resp = post(c, "/committee/filing/file", {**data, "action": "submit"})
    assert error_of(resp) == ("业委会成员必须是本小区业主：改*乙（姓名与房屋登记的产权人不一致）；"
                              "路*甲（证件号码不在本小区房屋登记中）。")
    page = resp.get_data(as_text=True)
    assert page.count("验证有效") == 1 and "证件号码不在本小区房屋登记中" in page
    assert filing_of(app, org_id) is None
    # 验证 one member at a time (the form's button).
    token = c.token("/committee/filing/file")
    for name, number, expected in ((owners[0][0], owners[0][1], "验证有效"),
                                   (stranger[0], stranger[1], "证件号码不在本小区房屋登记中"),
                                   (renamed[0], renamed[1], "姓名与房屋登记的产权人不一致")):
        resp = c.post("/committee/filing/check-member", json={"area_id": area_id, "name": name, "id_number": number},
                      headers={"X-CSRFToken": token})
        assert resp.status_code == 200 and resp.get_json()["message"] == expected
    # Saving a draft is allowed; submitting it is refused until the members are owners.
    resp = post(c, "/committee/filing/file", {**data, "action": "save"})
    pk, status, payload = filing_of(app, org_id)
    assert status == "draft" and len(payload["members"]) == 3
    resp = c.form(f"/committee/filing/submit/{pk}", {}, get_url=f"/committee/filing/show/{pk}",
                  follow_redirects=True)
    assert any("业委会成员必须是本小区业主" in f for f in flashes(resp.get_data(as_text=True)))
    assert filing_of(app, org_id)[1] == "draft"


def test_an_area_of_another_district_is_refused(app, login):
    area_id, owners = area_with_owners(app, district="500112", street=None)
    _org, username = new_committee(app)
    resp = post(login(username), "/committee/filing/file", {**form_data(area_id, owners), "action": "submit"})
    assert error_of(resp) == "物业管理区域：请从列表中选择本区县的物业管理区域"


def test_the_owners_check_is_one_query_for_fifteen_members(app):
    from app.property.owners import services

    area_id, owners = area_with_owners(app, n=15)
    members = [{"name": o[0], "id_number": o[1]} for o in owners]
    with app.app_context():
        statements = []

        def spy(conn, cursor, statement, params, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", spy)
        try:
            results = services.check_members(area_id, members)
        finally:
            event.remove(db.engine, "before_cursor_execute", spy)
        assert [r[0] for r in results] == [True] * 15
        assert len([s for s in statements if "anju_house" in s]) == 1


# --- the deadline -----------------------------------------------------------------------------

def test_deadline_moves_past_a_holiday(app):
    from app.core.workflow import Application as A
    from app.property.owners import services

    with app.app_context():
        # 2025-09-01 + 30 days = 2025-10-01, in the National Day holiday (10-01 … 10-08): 10-09.
        assert services.due_date(date(2025, 9, 1)) == date(2025, 10, 9)
        # A Saturday moves to Monday; a working day stays.
        assert services.due_date(date(2025, 5, 2)) == date(2025, 6, 3)       # 06-01 Sun, 06-02 Dragon Boat
        assert services.due_date(date(2025, 3, 3)) == date(2025, 4, 2)
        draft = A(app_type="committee_filing", status="draft", payload={"due_date": "2025-10-09"})
        assert services.deadline_state(draft, today=date(2025, 10, 8)) == (False, "剩余1天")
        assert services.deadline_state(draft, today=date(2025, 10, 9)) == (False, "今天为最后一天")
        assert services.deadline_state(draft, today=date(2025, 10, 10)) == (True, "已逾期")
        sent = A(app_type="committee_filing", status="submitted", payload={"due_date": "2025-10-09",
                                                                            "filed_late": True})
        assert services.deadline_state(sent) == (True, "逾期提交")


def test_overdue_filing_is_flagged_in_the_list(app, login):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    c = login(username)
    late = date.today() - timedelta(days=90)
    post(c, "/committee/filing/file", {**form_data(area_id, owners, election=late), "action": "submit"})
    pk, status, payload = filing_of(app, org_id)
    assert status == "submitted" and payload["filed_late"] is True
    page = c.get("/committee/filing/").get_data(as_text=True)
    assert "逾期提交" in page and payload["due_date"] in page


# --- the whole life ---------------------------------------------------------------------------

def test_filing_approved_writes_members_and_links_the_area(app, login):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    c = login(username)
    resp = post(c, "/committee/filing/file", {**form_data(area_id, owners, ("director", "deputy", "member",
                                                                             "alternate")),
                                               "action": "submit"})
    pk, status, payload = filing_of(app, org_id)
    assert status == "submitted" and payload["filed_late"] is False and payload["member_count"] == 4
    assert payload["members"][0]["house"] == owners[0][2]            # filled from the registry
    page = resp.get_data(as_text=True)
    assert "已提交审核" in page and "剩余" not in page and "按期提交" in page
    printed = c.get(f"/committee/filing/print/{pk}").get_data(as_text=True)
    assert "成员及候补成员" in printed and "主任" in printed and owners[0][1] not in printed   # masked
    assert c.get(f"/committee/filing/pdf/{pk}").status_code == 200
    # The committee does not see the area's houses yet.
    houses = c.get(f"/houses/list/?_flt_1_area={area_id}").get_data(as_text=True)
    # Neither the full nor the masked number (the bare last four digits may occur in a generated name).
    assert owners[0][1] not in houses and "*" * 14 + owners[0][1][-4:] not in houses
    reviewer = login("reviewer")
    shown = reviewer.get(f"/applications/show/{pk}").get_data(as_text=True)
    assert "业委会备案" in shown and f"/committee/filing/show/{pk}" in shown
    detail = reviewer.get(f"/committee/filing/show/{pk}").get_data(as_text=True)
    assert owners[0][1] in detail and detail.count("验证有效") == 4          # reviewer: full values
    masked = login("district1").get(f"/committee/filing/show/{pk}").get_data(as_text=True)
    assert owners[0][1] not in masked and owners[0][1][-4:] in masked
    decide(reviewer, pk, "accept")
    decide(reviewer, pk, "approve")
    assert filing_of(app, org_id)[1] == "approved"
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        assert area.committee_org_id == org_id
        rows = db.session.execute(select(CommitteeMember).where(CommitteeMember.area_id == area_id)).scalars().all()
        assert sorted(m.role for m in rows) == ["alternate", "deputy", "director", "member"]
        assert all(m.current and m.application_id == pk and m.committee_org_id == org_id for m in rows)
    # The committee now sees its area's houses (masked: no PII permission).
    page = c.get(f"/houses/list/?_flt_1_area={area_id}").get_data(as_text=True)
    assert "1栋" in page and owners[0][1] not in page and owners[0][1][-4:] in page
    # A later approved filing for the same area ends the previous members.
    org2, username2 = new_committee(app)
    post(login(username2), "/committee/filing/file", {**form_data(area_id, owners[3:]), "action": "submit"})
    pk2 = filing_of(app, org2)[0]
    decide(reviewer, pk2, "accept")
    decide(reviewer, pk2, "approve")
    with app.app_context():
        current = db.session.execute(select(func.count()).select_from(CommitteeMember).where(
            CommitteeMember.area_id == area_id, CommitteeMember.current)).scalar()
        assert current == 3 and db.session.get(PropertyArea, area_id).committee_org_id == org2


def test_returned_filing_is_changed_and_resubmitted(app, login):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    c = login(username)
    post(c, "/committee/filing/file", {**form_data(area_id, owners), "action": "submit"})
    pk = filing_of(app, org_id)[0]
    decide(login("reviewer"), pk, "return", "请补充候补委员")
    page = c.get(f"/committee/filing/edit/{pk}").get_data(as_text=True)
    assert "请补充候补委员" in page and owners[0][0] in page
    resp = post(c, f"/committee/filing/edit/{pk}", {**form_data(area_id, owners, ("director", "deputy", "alternate")),
                                                     "action": "submit"})
    assert filing_of(app, org_id)[1] == "submitted"
    assert "重新提交" in resp.get_data(as_text=True)


# --- REST ---------------------------------------------------------------------------------------

def test_rest_create_validate_submit_detail(app, api):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    http, headers = api(username)
    resp = http.post("/api/v1/committee_filing/check-members", headers=headers,
                     json={"area_id": area_id, "members": [{"name": owners[0][0], "id_number": owners[0][1]},
                                                           {"name": "外人", "id_number": new_id()}]})
    assert resp.status_code == 200
    assert [m["message"] for m in resp.get_json()["members"]] == ["验证有效", "证件号码不在本小区房屋登记中"]
    resp = http.post("/api/v1/committee_filing/file", headers=headers,
                     json=json_data(area_id, owners, roles=("director", "member")))
    assert resp.status_code == 422 and resp.get_json()["message"] == "业委会成员必须具有主任和副主任。"
    resp = http.post("/api/v1/committee_filing/file", headers=headers, json=json_data(area_id, owners))
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert resp.get_json()["status"] == "draft" and resp.get_json()["number"].startswith("YW")
    resp = http.post(f"/api/v1/committee_filing/{pk}/submit", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    body = http.get(f"/api/v1/committee_filing/{pk}", headers=headers).get_json()["result"]
    member = body["payload"]["members"][0]
    assert member["id_number"] != owners[0][1] and member["id_number"].endswith(owners[0][1][-4:])
    other, oh = api(new_committee(app)[1])
    assert other.get(f"/api/v1/committee_filing/{pk}", headers=oh).status_code == 404
    assert other.post(f"/api/v1/committee_filing/{pk}/submit", headers=oh).status_code == 404
    full, fh = api("reviewer")
    assert full.get(f"/api/v1/committee_filing/{pk}", headers=fh).get_json()["result"]["payload"]["members"][0][
        "id_number"] == owners[0][1]


# --- scope ----------------------------------------------------------------------------------------

def test_committee_filing_outside_scope(app, login, api):
    area_id, owners = area_with_owners(app)
    org_id, username = new_committee(app)
    post(login(username), "/committee/filing/file", {**form_data(area_id, owners), "action": "submit"})
    pk = filing_of(app, org_id)[0]
    paths = (f"/committee/filing/show/{pk}", f"/committee/filing/print/{pk}", f"/committee/filing/pdf/{pk}")
    other = login(new_committee(app)[1])
    for path in paths:
        assert other.get(path).status_code == 404, path
    assert other.form(f"/committee/filing/terminate/{pk}", {}, get_url="/committee/filing/").status_code == 404
    for username2 in ("ent_b", "dev_a", "helpdesk", "public1", "pm_a", district2_user(app)):
        c = login(username2)
        for path in paths:
            assert c.get(path).status_code in (302, 403, 404), (username2, path)
        h, hd = api(username2)
        assert h.get(f"/api/v1/committee_filing/{pk}", headers=hd).status_code in (403, 404), username2
    from tests.conftest import Client

    anon = Client(app)
    assert anon.get(paths[0]).status_code in (302, 401, 403)
    assert anon.get(f"/api/v1/committee_filing/{pk}").status_code == 401
    assert filing_of(app, org_id)[1] == "submitted"


def test_demo_committee_is_linked_to_heping(app):
    with app.app_context():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.name == "和平小区")).scalars().one()
        assert area.committee is not None and area.committee.name == "和平小区业主委员会"
        assert db.session.execute(select(func.count()).select_from(House).where(House.area_id == area.id)).scalar() \
            >= 60
