"""Every role against every view and endpoint registered so far.

EXPECTED is the reviewed matrix; a new view or API must be added here, so nobody ships
a screen whose reach was never decided."""
import pytest
from flask_appbuilder import ModelRestApi, ModelView

ROLES = {  # demo account per role
    "sysadmin": "admin", "gov_admin": "gov_admin", "gov_reviewer": "reviewer", "district": "district1",
    "street": "street1", "ent_admin": "ent_a", "project_lead": "pm_a", "helpdesk": "helpdesk",
    "analyst": "analyst", "public": "public1",
}
ALL = set(ROLES)
STAFF_READ = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "helpdesk", "analyst"}

COMPLAINT_READERS = {"sysadmin", "gov_admin", "district", "street", "ent_admin", "project_lead", "analyst"}
# Enterprise records (issue 5): the enterprise writes, its project leads keep equipment and
# records of their areas, government and analysts read within their region.
RECORD_READERS = COMPLAINT_READERS
ENT_WRITERS = {"sysadmin", "ent_admin"}
AREA_WRITERS = {"sysadmin", "ent_admin", "project_lead"}
# Credit (issue 13): government reads within its region, the enterprise its own; helpdesk only scores.
CREDIT_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"}
# Rental contracts (issue 14): government and analysts read within their region, an enterprise
# its own (ent_a, a property company, an empty list); the helpdesk and the public nothing.
CONTRACT_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"}

AREA_QUERY_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "project_lead",
                      "helpdesk", "analyst"}

RENTAL_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "analyst", "ent_admin"}
ALLOC_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "analyst"}
# Property filings (issue 16): 诚信登记 is the property company's, read by government in its
# region; 小区动态 also by project leads.
HONOUR_READERS = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"}
NEWS_READERS = HONOUR_READERS | {"project_lead"}
NEWS_WRITERS = {"sysadmin", "ent_admin", "project_lead"}

REPAIR_READERS = {"sysadmin", "gov_admin", "district", "street", "ent_admin", "project_lead", "analyst"}
SURVEY_READERS = {"sysadmin", "gov_admin", "district", "street", "analyst"}
EVALUATION_READERS = SURVEY_READERS | {"ent_admin"}

# view -> (roles that may list, roles that may open the add form)
EXPECTED_VIEWS = {
    "ComplaintView": (COMPLAINT_READERS, set()),
    "CreditProposalView": (COMPLAINT_READERS - {"project_lead"}, set()),
    # No "+": areas come from 物业区域备案 (issue 16); government corrects them (EXPECTED_WRITES).
    "PropertyAreaView": (COMPLAINT_READERS, set()),
    # 物业管理区域综合查询 (issue 16): everyone with an area scope; the helpdesk reads all.
    "AreaQueryView": (AREA_QUERY_READERS, set()),
    # The city reads its notices too: overdue rental complaints are escalated to it (issue 14).
    "NoticeView": ({"sysadmin", "gov_admin", "district", "street", "ent_admin", "project_lead"}, set()),
    # 我的导出 (issue 17): every role that may export or import a list; each sees only its own tasks.
    "MyTasksView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "project_lead",
                     "analyst"}, set()),
    # sysadmin belongs to no enterprise: the staff form sends it away with the reason.
    "StaffView": (RECORD_READERS, {"ent_admin"}),
    # Certificates are added from a person's page (/certificates/add?staff=<id>, tested there).
    "CertificateView": (RECORD_READERS, set()),
    "LeadAssignmentView": (RECORD_READERS, set()),
    "EquipmentView": (RECORD_READERS, AREA_WRITERS),
    "CarePlanView": (RECORD_READERS, ENT_WRITERS),
    "InspectionRecordView": (RECORD_READERS, AREA_WRITERS),
    "MaintenanceRecordView": (RECORD_READERS, AREA_WRITERS),
    "EnterpriseHonorView": (RECORD_READERS, {"sysadmin", "gov_admin", "district"}),
    "OrganizationView": (STAFF_READ, {"sysadmin", "gov_admin"}),
    "OrgUserView": (STAFF_READ - {"street"}, {"sysadmin", "gov_admin", "ent_admin"}),
    "RegionView": ({"sysadmin", "gov_admin", "analyst"}, {"sysadmin"}),
    "DictItemView": ({"sysadmin", "gov_admin"}, {"sysadmin"}),
    "ParameterView": ({"sysadmin", "gov_admin"}, set()),
    "AuditLogView": ({"sysadmin"}, set()),
    "AnjuUserDBModelView": ({"sysadmin"}, {"sysadmin"}),
    "AnjuRoleModelView": ({"sysadmin"}, {"sysadmin"}),
    "AnjuGroupModelView": ({"sysadmin"}, {"sysadmin"}),
    "PermissionModelView": ({"sysadmin"}, set()),
    "ViewMenuModelView": ({"sysadmin"}, set()),
    "PermissionViewModelView": ({"sysadmin"}, set()),
    "RegisterUserModelView": ({"sysadmin"}, set()),
    "ApplicationView": ({"sysadmin", "gov_admin", "gov_reviewer", "district"}, set()),
    "PersonView": ({"sysadmin", "gov_admin"}, set()),
    "RealnameRegistryView": ({"sysadmin"}, {"sysadmin"}),
    "SmsOutboxView": ({"sysadmin"}, set()),
    "JobView": ({"sysadmin"}, set()),
    "JobRunView": ({"sysadmin"}, set()),
    "CreditListView": (CREDIT_READERS, set()),
    "CreditRepairView": (CREDIT_READERS, set()),
    # The enterprise reads its own records and objections, and its credit page (the list sends
    # it there: 302); standards are the government's; the helpdesk sees scores only.
    "CreditRuleView": (CREDIT_READERS - {"ent_admin"}, {"sysadmin", "gov_admin"}),
    "CreditRecordView": (CREDIT_READERS, set()),
    "CreditObjectionView": (CREDIT_READERS, set()),
    "CreditScoreView": (CREDIT_READERS - {"ent_admin"} | {"helpdesk"}, set()),
    "RentalContractView": (CONTRACT_READERS, set()),
    # Rental public services (issue 14): gov_admin keeps the templates, the directory and the
    # legal pages; government reads uploads by district; the enterprise its evaluations.
    "ContractTemplateView": ({"sysadmin", "gov_admin"}, {"sysadmin", "gov_admin"}),
    "ContractSubmissionView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "analyst"}, set()),
    "RentalEvaluationView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "analyst", "ent_admin"},
                             set()),
    "LegalServiceView": ({"sysadmin", "gov_admin"}, {"sysadmin", "gov_admin"}),
    "LegalPageView": ({"sysadmin", "gov_admin"}, set()),
    # Rental (issue 14): the register is the government's (gov_admin maintains it); verification
    # records are read by government in its region and by the enterprise (its own).
    "RentalPropertyView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "analyst"}, {"sysadmin", "gov_admin"}),
    "ListingVerificationView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"},
                                set()),
    # Rental (issue 14), filing and agencies: government reads within its region, the enterprise
    # (ent_a: any enterprise administrator) files and keeps its own premises and practitioners.
    "RentalFilingView": (RENTAL_READERS, set()),
    "FilingDueView": (RENTAL_READERS, set()),
    "AgencyPremisesView": (RENTAL_READERS, {"sysadmin", "ent_admin"}),
    "PractitionerView": (RENTAL_READERS, {"sysadmin", "ent_admin"}),
    # Allocation (issue 15): registrations and objections are read by the city's staff and
    # analysts (reviewed by 配租管理员 and reviewers); the helpdesk, enterprises and the public
    # (applicants included) get nothing from the console.
    "AllocationRegistrationView": (ALLOC_READERS, set()),
    "AllocationObjectionView": (ALLOC_READERS, set()),
    # Allocation plans (issue 15): run by the housing centre's 配租管理员 (alloc_admin, not a
    # matrix role: tests/allocation/test_plan_console.py); the city and analysts read.
    "AllocationPlanView": (ALLOC_READERS, {"sysadmin"}),
    # Property services (issue 16): the company handles repairs of its areas (a lead: the areas
    # they lead), government reads them in its region; government organises surveys; district and
    # street staff inspect, the company reads its evaluations.
    "RepairView": (REPAIR_READERS, set()),
    "SurveyView": (SURVEY_READERS, {"sysadmin", "gov_admin", "district", "street"}),
    "EvaluationView": (EVALUATION_READERS, {"sysadmin", "district", "street"}),
    # Property houses (issue 16): the registry is read in each role's scope (an enterprise its
    # areas, a project lead the areas led, government its region); written only by approved
    # 房屋信息补充 applications; not by the helpdesk or the public.
    "HouseView": ({"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "project_lead",
                   "analyst"}, set()),
    # 小区动态 (issue 16): written by the property company and its project leads (and owners
    # committees, not a matrix role) for their areas; government and analysts read their region.
    "AreaNewsView": (NEWS_READERS, NEWS_WRITERS),
}
STAFF_API = {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "analyst"}
EXPECTED_APIS = {  # resource -> roles that may GET the list
    "organization": STAFF_API | {"ent_admin"},
    "org_user": {"sysadmin", "gov_admin", "ent_admin", "helpdesk", "analyst"},
    "region": STAFF_API,
    "dictionary": STAFF_API | {"ent_admin", "project_lead"},
    "audit_log": {"sysadmin"},
    "person": {"sysadmin", "gov_admin"},
    "organization_application": {"sysadmin", "gov_admin", "gov_reviewer"},
    "complaint": COMPLAINT_READERS,
    "staff": RECORD_READERS,
    "certificate": RECORD_READERS,
    "equipment": RECORD_READERS,
    "inspection_record": RECORD_READERS,
    "maintenance_record": RECORD_READERS,
    "enterprise_filing": RECORD_READERS | {"gov_reviewer"},
    # Property filings (issue 16): the company its own, government and analysts their region.
    "service_contract_filing": CONTRACT_READERS,
    "acceptance_filing": CONTRACT_READERS,
    # 物业区域备案 (issue 16): filers (ent_admin here; dev_admin too) and government read.
    "area_filing": {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"},
    "area_query": AREA_QUERY_READERS,
    "credit_rule": CREDIT_READERS - {"ent_admin"},
    "credit_record": CREDIT_READERS,
    "credit_list": CREDIT_READERS,
    "credit_score": CREDIT_READERS | {"helpdesk"},
    "rental_contract": CONTRACT_READERS,
    "rental_contract_filing": RENTAL_READERS,
    "rental_premises": RENTAL_READERS,
    "rental_practitioner": RENTAL_READERS,
    # Housing allocation (issue 15): the city's administrators, reviewers and analysts read plans and
    # registrations (alloc_admin runs them; its own tests are in tests/allocation/test_api.py).
    "allocation_plan": {"sysadmin", "gov_admin", "gov_reviewer", "analyst"},
    "allocation_registration": {"sysadmin", "gov_admin", "gov_reviewer", "analyst"},
    "repair": REPAIR_READERS,
    "survey": SURVEY_READERS,
    "evaluation": EVALUATION_READERS,
    # Property owners part (issue 16): house imports are the filers' and government's; the house
    # registry also the project lead's (areas led); committee filings government's (and the
    # committees', not matrix roles: tests/property/test_committee.py).
    "house_import": {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "analyst"},
    "house": {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "ent_admin", "project_lead", "analyst"},
    "committee_filing": {"sysadmin", "gov_admin", "gov_reviewer", "district", "street", "analyst"},
    "good_behaviour": HONOUR_READERS,
    "area_news": NEWS_READERS,
}


def registered(app):
    views, apis = {}, {}
    for v in app.appbuilder.baseviews:
        if isinstance(v, ModelView):
            views[v.__class__.__name__] = v
        elif isinstance(v, ModelRestApi):
            apis[v.resource_name] = v
    return views, apis


def test_every_registered_view_and_api_has_expectations(app):
    views, apis = registered(app)
    assert set(views) <= set(EXPECTED_VIEWS), set(views) - set(EXPECTED_VIEWS)
    assert set(apis) == set(EXPECTED_APIS), set(apis) ^ set(EXPECTED_APIS)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_views_matrix(app, login, role):
    views, _ = registered(app)
    c = login(ROLES[role])
    wrong = []
    for name, view in views.items():
        may_list, may_add = EXPECTED_VIEWS[name]
        base = view.route_base
        status = c.get(f"{base}/list/").status_code
        if (status == 200) != (role in may_list):
            wrong.append(f"list {name}: {status}")
        if "can_add" in (view.base_permissions or []):
            status = c.get(f"{base}/add").status_code
            if (status == 200) != (role in may_add):
                wrong.append(f"add {name}: {status}")
    assert not wrong, wrong


@pytest.mark.parametrize("role", sorted(ROLES))
def test_api_matrix(app, api, role):
    _, apis = registered(app)
    http, headers = api(ROLES[role])
    wrong = []
    for resource in apis:
        status = http.get(f"/api/v1/{resource}/", headers=headers).status_code
        if (status == 200) != (role in EXPECTED_APIS[resource]):
            wrong.append(f"{resource}: {status}")
    assert not wrong, wrong


def test_anonymous_gets_nothing(app, client):
    views, apis = registered(app)
    for name, view in views.items():
        resp = client.get(f"{view.route_base}/list/")
        assert resp.status_code in (302, 401, 403), name
    for resource in apis:
        assert client.get(f"/api/v1/{resource}/").status_code == 401


# Writing a row the role can see: view -> (roles that get the edit form, roles that hold delete).
# Everyone else gets 403. A row is taken from the role's own list (inside its scope), or for
# account views a project lead's account, which no one outranks.
AREA_ADMINS = {"sysadmin", "gov_admin", "district"}
EXPECTED_WRITES = {
    "PropertyAreaView": (AREA_ADMINS, AREA_ADMINS),
    "StaffView": ({"ent_admin"}, {"sysadmin", "ent_admin"}),
    "CertificateView": ({"sysadmin", "ent_admin"}, {"sysadmin", "ent_admin"}),
    "EquipmentView": (AREA_WRITERS, ENT_WRITERS),
    "CarePlanView": (ENT_WRITERS, ENT_WRITERS),
    "InspectionRecordView": (AREA_WRITERS, ENT_WRITERS),
    "MaintenanceRecordView": (AREA_WRITERS, ENT_WRITERS),
    "EnterpriseHonorView": (AREA_ADMINS, AREA_ADMINS),
    "CreditRuleView": ({"sysadmin", "gov_admin"}, {"sysadmin"}),
    "RentalPropertyView": ({"sysadmin", "gov_admin"}, {"sysadmin", "gov_admin"}),
    "OrganizationView": ({"sysadmin", "gov_admin"}, {"sysadmin"}),
    "OrgUserView": ({"sysadmin", "gov_admin", "ent_admin"}, {"sysadmin", "ent_admin"}),
    "RegionView": ({"sysadmin"}, {"sysadmin"}),
    "DictItemView": ({"sysadmin"}, {"sysadmin"}),
    "ParameterView": ({"sysadmin"}, set()),
    "RealnameRegistryView": ({"sysadmin"}, {"sysadmin"}),
    "AnjuUserDBModelView": ({"sysadmin"}, {"sysadmin"}),
    "AnjuRoleModelView": ({"sysadmin"}, {"sysadmin"}),
    "AnjuGroupModelView": ({"sysadmin"}, {"sysadmin"}),
    "ContractTemplateView": ({"sysadmin", "gov_admin"}, set()),
    "LegalServiceView": ({"sysadmin", "gov_admin"}, {"sysadmin", "gov_admin"}),
    "LegalPageView": ({"sysadmin", "gov_admin"}, set()),
    "AgencyPremisesView": ({"sysadmin", "ent_admin"}, {"sysadmin", "ent_admin"}),
    "PractitionerView": ({"sysadmin", "ent_admin"}, {"sysadmin", "ent_admin"}),
    "AllocationPlanView": ({"sysadmin"}, {"sysadmin"}),
    "AreaNewsView": (NEWS_WRITERS, NEWS_WRITERS),
}
# sysadmin belongs to no enterprise: the staff edit form sends it away (302) with the reason.
EDIT_REDIRECTS = {("sysadmin", "StaffView")}
ACCOUNT_VIEWS = {"OrgUserView", "AnjuUserDBModelView"}


@pytest.fixture(scope="module")
def a_row_in_every_view(app):
    """Rows of the enterprise records (和平小区, ent_a, led by pm_a) and a user group, so that
    every role that lists a view has a row of its own to try writing."""
    from datetime import date

    from sqlalchemy import select

    from app.extensions import db
    from app.property.models import Certificate, EnterpriseHonor, InspectionRecord, MaintenanceRecord, Staff
    from tests.property.helpers import make_staff, user
    from tests.property.test_equipment import make_equipment, make_plan

    with app.app_context():
        staff = make_staff("ent_a", "矩阵保洁", areas=["和平小区"])
        db.session.add(Certificate(staff_id=staff.id, org_id=staff.org_id, cert_type="electrician",
                                   number="JZ-0001", valid_until=date(2030, 1, 1)))
        e = make_equipment("和平小区", name="矩阵电梯")
        make_plan("inspection", 30, area_name="和平小区", equip_type="elevator", name="矩阵巡检计划")
        for model in (InspectionRecord, MaintenanceRecord):
            db.session.add(model(org_id=e.org_id, area_id=e.area_id, region_code=e.region_code,
                                 equipment_id=e.id, done_on=date(2025, 1, 2), person="矩阵师傅",
                                 result="normal" if model is InspectionRecord else "done"))
        db.session.add(EnterpriseHonor(org_id=user("ent_a").org_id, kind="award", title="矩阵优秀企业",
                                       issuer="住建委", decided_on=date(2025, 1, 2)))
        from app.rental.public import services as rental_public
        from app.rental.public.models import LegalService

        rental_public.seed_templates()
        rental_public.seed_legal_pages()
        db.session.add(LegalService(name="矩阵律师事务所", kind="law_firm", sort=1, active=True))
        from app.rental.demo import load_registry

        load_registry(5)        # registered properties to try writing (a no-op once seed demo loads them)
        from app.rental.agencies.models import AgencyPremises, Practitioner
        from tests.rental.helpers import new_id_number

        ent_a = user("ent_a").org_id
        premises = AgencyPremises(name="矩阵门店", address="重庆市渝中区矩阵路1号", region_code="500103",
                                  status="open", org_id=ent_a)
        db.session.add(premises)
        db.session.flush()
        db.session.add(Practitioner(name="矩阵经纪", id_number=new_id_number(), mobile="13700009999", post="agent",
                                    info_card_no=f"JZ{premises.id:08d}", premises_id=premises.id, org_id=ent_a,
                                    region_code="500103", status="active"))
        from tests.allocation.helpers import new_plan

        new_plan(state="draft", title="矩阵配租计划")    # a draft plan (only drafts are edited), newest first
        sm = app.appbuilder.sm
        if sm.find_group("matrix") is None:
            sm.add_group("matrix", "矩阵", "role matrix test group")
        db.session.commit()
        assert db.session.execute(select(Staff.id).where(Staff.id == staff.id)).scalar_one()
        return user("pm_a").id


def _first_row(c, view):
    """The first row of the user's own list of ``view`` (None when it is empty)."""
    import re

    html = c.get(f"{view.route_base}/list/").get_data(as_text=True)
    found = re.search(re.escape(view.route_base) + r'/show/([^"?/&]+)', html)
    return found.group(1) if found else None


@pytest.mark.parametrize("role", sorted(ROLES))
def test_writes_on_a_row_inside_the_scope(app, login, role, a_row_in_every_view):
    """edit/<pk> and delete/<pk> on a row the role can see: the edit form for roles that may
    edit, 403 for the others; a GET delete is refused without deleting (302, CSRF) for roles
    that may delete, 403 for the others, and a POSTed delete with the token is 403 for them."""
    views, _ = registered(app)
    c = login(ROLES[role])
    admin = login("admin")
    lead_account = str(a_row_in_every_view)
    wrong = []
    for name, view in sorted(views.items()):
        may_list, _may_add = EXPECTED_VIEWS[name]
        may_edit, may_delete = EXPECTED_WRITES.get(name, (set(), set()))
        assert may_edit <= may_list | {"sysadmin"} and may_delete <= may_list | {"sysadmin"}, name
        base = view.route_base
        lister = c if role in may_list else admin
        pk = lead_account if name in ACCOUNT_VIEWS else _first_row(lister, view)
        if pk is None and lister is c and role not in may_edit | may_delete:
            # Listed but empty for this role (honours of enterprises outside a street's or a
            # lead's reach): the permission refuses before any row is read.
            lister = admin
            pk = _first_row(admin, view)
        if pk is None:
            if "can_edit" in (view.base_permissions or []) or "can_delete" in (view.base_permissions or []):
                wrong.append(f"{name}: no row to try")
                continue
            pk = "1"    # a read-only view with no rows: refused before any row is read
        elif "can_show" in (view.base_permissions or []):
            assert lister.get(f"{base}/show/{pk}").status_code == 200, (name, pk)   # inside the scope
        edit = c.get(f"{base}/edit/{pk}")
        want = 302 if (role, name) in EDIT_REDIRECTS else 200 if role in may_edit else 403
        if edit.status_code != want or (want == 200 and 'name="csrf_token"' not in edit.get_data(as_text=True)):
            wrong.append(f"edit {name}/{pk}: {edit.status_code}, expected {want}")
        delete = c.get(f"{base}/delete/{pk}")
        want = 302 if role in may_delete else 403
        if delete.status_code != want:
            wrong.append(f"GET delete {name}/{pk}: {delete.status_code}, expected {want}")
        if role not in may_delete:
            status = c.post(f"{base}/delete/{pk}", data={"csrf_token": c.token("/complaint/new")}).status_code
            if status != 403:
                wrong.append(f"POST delete {name}/{pk}: {status}, expected 403")
        if pk != "1" and "can_show" in (view.base_permissions or []):
            assert lister.get(f"{base}/show/{pk}").status_code == 200, (name, pk, "row gone")
    assert not wrong, wrong


# Street staff read the registers, but organise satisfaction surveys and inspect (issue 16).
STREET_ADDS = {"SurveyView", "EvaluationView"}


def test_read_only_roles_cannot_write(app, login):
    views, _ = registered(app)
    for role in ("helpdesk", "analyst", "gov_reviewer", "street", "public"):
        c = login(ROLES[role])
        for name, view in views.items():
            for path in ("add", "edit/1", "delete/1"):
                if role == "street" and path == "add" and name in STREET_ADDS:
                    continue
                assert c.get(f"{view.route_base}/{path}").status_code == 403, (role, name, path)
