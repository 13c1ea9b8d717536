"""Project leads (seed 003 §5, §10, §17, §18): one current lead per area, the change as one
action with history, the login bound by ID number, complaints following the lead."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError
from app.extensions import db
from tests.complaints.helpers import area, make_area, user
from tests.property.helpers import make_lead_account, make_staff


def _lead_of(name):
    a = area(name)
    db.session.refresh(a)
    return a


def test_demo_lead_is_bound_by_id_number(ctx):
    from app.property.models import LeadAssignment

    heping = _lead_of("和平小区")
    assert heping.lead_staff is not None and heping.lead_staff.name == "张小三"
    assert heping.project_lead_id == user("pm_a").id
    assert heping.lead_staff.user_id == user("pm_a").id
    current = db.session.execute(select(LeadAssignment).where(LeadAssignment.current_area_id == heping.id)).scalar_one()
    assert current.staff_id == heping.lead_staff_id and current.ended_at is None
    assert _lead_of("七星花园").lead_staff_id is None


def test_change_lead_page_moves_the_area_and_the_complaints(app, login):
    from app.complaints import services as complaint_services
    from app.property.models import LeadAssignment

    with app.app_context():
        a = make_area("换人小区")
        old_user = make_lead_account("pm_old", "老项目")
        new_user = make_lead_account("pm_new", "新项目")
        old = make_staff("ent_a", "老项目", post="project_lead", areas=[a.name],
                         id_number=old_user.person.id_number, mobile=old_user.mobile)
        new = make_staff("ent_a", "新项目", post="project_lead", id_number=new_user.person.id_number,
                         mobile=new_user.mobile)
        a = _lead_of("换人小区")
        assert a.lead_staff_id == old.id and a.project_lead_id == old_user.id
        pk, new_id = a.id, new.id
    ent = login("ent_a")
    page = ent.get(f"/areas/lead/{pk}").get_data(as_text=True)
    assert "更换项目负责人" in page and "新*目" not in page and "新项目" in page   # ent_a sees full names
    resp = ent.form(f"/areas/lead/{pk}", {"staff_id": str(new_id), "note": "原项目经理调岗"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = ent.get(f"/areas/show/{pk}").get_data(as_text=True)
    assert "项目负责人变更记录" in page
    assert "原项目经理调岗" in page
    with app.app_context():
        a = _lead_of("换人小区")
        assert a.lead_staff.name == "新项目" and a.project_lead_id == user("pm_new").id
        rows = db.session.execute(select(LeadAssignment).where(LeadAssignment.area_id == a.id)
                                  .order_by(LeadAssignment.id)).scalars().all()
        assert [(r.staff.name, r.ended_at is None) for r in rows] == [("老项目", False), ("新项目", True)]
        assert rows[0].current_area_id is None and rows[1].current_area_id == a.id
        # The area moved from the old lead's 在管物业管理区域 to the new lead's.
        assert a.name not in [x.name for x in rows[0].staff.areas]
        assert a.name in [x.name for x in rows[1].staff.areas]
        # Complaints route to the area's current lead.
        from app.complaints.models import Complaint

        c = Complaint(area=a)
        assert complaint_services.is_lead(c, user("pm_new"))
        assert not complaint_services.is_lead(c, user("pm_old"))
    # The old lead (still in service as 项目负责人, now without the area) no longer sees it;
    # the new one does.
    resp = login("pm_old").get("/areas/list/")
    assert resp.status_code == 200 and "换人小区" not in resp.get_data(as_text=True)
    assert "换人小区" in login("pm_new").get("/areas/list/").get_data(as_text=True)


def test_change_lead_refusals(app, login):
    from app.property.areas import services

    with app.app_context():
        a = make_area("拒绝换人小区")
        lead = make_staff("ent_a", "现任项目", post="project_lead", areas=[a.name])
        cleaner = make_staff("ent_a", "保洁甲", post="cleaning")
        other_company = make_staff("ent_b", "别家项目", post="project_lead")
        gone = make_staff("ent_a", "已离职项目", post="project_lead")
        gone.status, gone.current_key = "left", None
        db.session.commit()
        a = _lead_of("拒绝换人小区")
        cases = [
            (cleaner, "保洁甲的岗位不是项目负责人。请先将岗位设为项目负责人。"),
            (other_company, "别家项目不是该物业管理区域的物业服务企业的从业人员。"),
            (gone, "已离职项目已离职，不能担任项目负责人。"),
            (lead, "现任项目已是该物业管理区域的项目负责人。"),
        ]
        for staff, message in cases:
            with pytest.raises(DomainError) as err:
                services.change_lead(a, staff, user("ent_a"))
            assert str(err.value) == message
            db.session.rollback()
        # ent_b may not change ent_a's area even through the service.
        other = make_staff("ent_a", "候选项目", post="project_lead")
        with pytest.raises(DomainError) as err:
            services.change_lead(a, other, user("ent_b"))
        assert str(err.value) == "只有该物业管理区域的物业服务企业可以更换项目负责人。"
        db.session.rollback()
        pk, cleaner_id = a.id, cleaner.id
    # The page: a staff id outside the candidate list, and outsiders.
    ent = login("ent_a")
    resp = ent.form(f"/areas/lead/{pk}", {"staff_id": "999999999"})
    assert "请从列表中选择新的项目负责人。" in resp.get_data(as_text=True)
    resp = ent.form(f"/areas/lead/{pk}", {"staff_id": str(cleaner_id)})
    assert "保洁甲的岗位不是项目负责人" in resp.get_data(as_text=True)
    assert login("ent_b").get(f"/areas/lead/{pk}").status_code == 404
    assert login("ent_b").form(f"/areas/lead/{pk}", {"staff_id": str(cleaner_id)}, get_url="/areas/list/").status_code == 404
    for username in ("street1", "district1", "analyst", "pm_a", "gov_admin"):
        assert login(username).get(f"/areas/lead/{pk}").status_code in (302, 403), username


def test_one_current_lead_per_area_is_a_database_rule(app):
    from app.property.models import LeadAssignment

    with app.app_context():
        a = make_area("唯一负责人小区")
        s1 = make_staff("ent_a", "唯一甲", post="project_lead", areas=[a.name])
        s2 = make_staff("ent_a", "唯一乙", post="project_lead")
        db.session.add(LeadAssignment(area_id=a.id, current_area_id=a.id, org_id=s2.org_id,
                                      region_code=a.region_code, staff_id=s2.id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert _lead_of("唯一负责人小区").lead_staff_id == s1.id


def test_sync_leads_from_staff_records(app):
    from app.property.areas import services

    with app.app_context():
        a = make_area("同步小区")
        first = make_staff("ent_a", "同步甲", post="project_lead", areas=[a.name])
        assert _lead_of("同步小区").lead_staff_id == first.id
        # A second lead naming the same area is refused: the change goes through the area.
        with pytest.raises(DomainError) as err:
            make_staff("ent_a", "同步乙", post="project_lead", areas=[a.name])
        assert "已有项目负责人" in str(err.value) and "更换项目负责人" in str(err.value)
        db.session.rollback()
        # Removing the area from the lead's 在管物业管理区域 ends the assignment.
        first = db.session.get(type(first), first.id)
        first.areas = []
        services.sync_leads(first, user("ent_a"))
        db.session.commit()
        assert _lead_of("同步小区").lead_staff_id is None
        assert _lead_of("同步小区").project_lead_id is None
        # Leaving ends it too.
        first.areas = [area("同步小区")]
        services.sync_leads(first, user("ent_a"))
        db.session.commit()
        assert _lead_of("同步小区").lead_staff_id == first.id
        first.status, first.current_key = "left", None
        services.sync_leads(first, user("ent_a"))
        db.session.commit()
        assert _lead_of("同步小区").lead_staff_id is None


def test_account_opened_later_is_bound_and_takes_the_complaints(app):
    from app.accounts import services as accounts

    with app.app_context():
        a = make_area("后开账号小区")
        from tests.complaints.helpers import new_id, new_mobile

        id_number, mobile = new_id(), new_mobile("1393")
        staff = make_staff("ent_a", "后开账号", post="project_lead", areas=[a.name], id_number=id_number,
                           mobile=mobile)
        a = _lead_of("后开账号小区")
        assert a.lead_staff_id == staff.id and a.project_lead_id is None and staff.user_id is None
        u = accounts.open_staff_account(user("ent_a"), "后开账号", id_number, mobile, "project_lead")
        a = _lead_of("后开账号小区")
        db.session.refresh(staff)
        assert staff.user_id == u.id and a.project_lead_id == u.id


def test_a_project_lead_without_a_staff_record_is_told_so(app, login):
    with app.app_context():
        make_lead_account("pm_norecord", "无记录")
    c = login("pm_norecord")
    resp = c.get("/complaints/list/")
    assert resp.status_code == 302
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "用户没有从业记录" in page
    with app.app_context():
        u = user("pm_norecord")
        staff = make_staff("ent_a", "无记录", post="project_lead", id_number=u.person.id_number, mobile=u.mobile)
        assert staff.user_id == u.id
    assert login("pm_norecord").get("/complaints/list/").status_code == 200
    with app.app_context():
        staff = db.session.get(type(staff), staff.id)
        staff.status, staff.current_key = "left", None
        db.session.commit()
    assert login("pm_norecord").get("/complaints/list/").status_code == 302


def test_a_new_company_ends_the_old_lead(app, login):
    with app.app_context():
        a = make_area("换公司小区")
        make_staff("ent_a", "换公司项目", post="project_lead", areas=[a.name])
        pk = _lead_of("换公司小区").id
        from app.system.models import Organization

        ent_b = db.session.execute(select(Organization).where(Organization.name == "重庆和居物业管理有限公司")).scalar_one()
        district = area("换公司小区").district_code
    gov = login("gov_admin")
    page = gov.get(f"/areas/edit/{pk}").get_data(as_text=True)
    assert "项目负责人" not in page.split("<form", 1)[1].split("</form>", 1)[0]
    with app.app_context():
        a = area("换公司小区")
        data = {"name": a.name, "district": a.district_code, "street": a.street_code or "", "community": "",
                "address": a.address or "", "company": str(ent_b.id), "correction_reason": "服务企业更换"}
    resp = gov.form(f"/areas/edit/{pk}", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        a = _lead_of("换公司小区")
        assert a.company_org_id == ent_b.id and a.lead_staff_id is None and a.project_lead_id is None
        assert district == a.district_code


def test_lead_history_list_is_scoped(app, login):
    with app.app_context():
        a = make_area("历史范围小区")
        make_staff("ent_a", "历史项目", post="project_lead", areas=[a.name])
    assert "历史范围小区" in login("ent_a").get("/leadchanges/list/?psize_LeadAssignmentView=100").get_data(as_text=True)
    assert "历史范围小区" not in login("ent_b").get("/leadchanges/list/?psize_LeadAssignmentView=100").get_data(as_text=True)
    page = login("street1").get("/leadchanges/list/?psize_LeadAssignmentView=100").get_data(as_text=True)
    assert "历史范围小区" in page and "历史项目" not in page      # street staff see names masked
