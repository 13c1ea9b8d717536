"""从业人员管理 pages as users use them (seed 003 §17, seed 004 企业人员管理): add, edit, 离职 and
delete with every refusal in Chinese; project-lead assignments following the record; the list
with its seed columns, filters and masking; certificates with their scans; print and PDF;
export; and scope for every role (list, detail, edit, delete, 离职, bulk actions, export,
certificate detail and scan download, guessed ids)."""
import io
import itertools
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.core.validators import id_check_char
from app.extensions import db
from app.property.staff import services
from app.property.models import Certificate, LeadAssignment, PropertyArea, Staff
from tests.complaints.helpers import make_area, user

ENT_A = "重庆安居物业服务有限公司"
ENT_B = "重庆和居物业管理有限公司"
_seq = itertools.count(4000)  # fixed: the same IDs every run

# A valid 1x1 PNG and a minimal PDF for the scans.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def uniq(prefix):
    return f"{prefix}{next(_seq)}"


def new_id(region="500103"):
    n = next(_seq)
    born = date(1970, 1, 1) + timedelta(days=(n * 37) % 12000)
    first17 = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def new_mobile():
    return f"139{next(_seq) * 7919 % 10 ** 8:08d}"


def add_staff(app, username="ent_a", **values):
    """A staff record made through the service; returns its id."""
    with app.app_context():
        data = {"name": uniq("员工"), "mobile": new_mobile(), "id_number": new_id(), "post": "cleaning", **values}
        return services.create_staff(user(username), data).id


def new_area(app, company=ENT_A, lead=None):
    """A new area of ``company`` (not led by pm_a unless ``lead``); returns (id, name)."""
    with app.app_context():
        a = make_area(uniq("测试小区"), company=company, lead=lead)
        return a.id, a.name


def get_staff(app, pk):
    with app.app_context():
        s = db.session.get(Staff, pk)
        if s is None:
            return None
        return {"name": s.name, "status": s.status, "left_on": s.left_on, "current_key": s.current_key,
                "id_number": s.id_number, "mobile": s.mobile, "areas": sorted(a.name for a in s.areas),
                "user_id": s.user_id, "post": s.post, "left_reason": s.left_reason, "hired_on": s.hired_on}


def flashes(html):
    return re.findall(r'class="alert[^"]*"[^>]*>(?:\s*<button[^>]*>[^<]*</button>)?\s*([^<]+)', html)


def staff_form(name, id_number, mobile=None, post="cleaning", areas=(), hired_on="", remark=""):
    return {"name": name, "mobile": mobile or new_mobile(), "id_number": id_number, "post": post,
            "area_ids": [str(a) for a in areas], "hired_on": hired_on, "remark": remark}


# --- add, edit --------------------------------------------------------------------------------

def test_add_form_lists_only_the_enterprises_areas_and_saves(app, login):
    ent_a = login("ent_a")
    area_id, area_name = new_area(app)
    page = ent_a.get("/staff/add").get_data(as_text=True)
    assert "添加从业人员" in page and "和平小区" in page and area_name in page
    assert "七星花园" not in page                       # ent_b's area is not offered
    number = new_id()
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    spaced = " " + number[:-1].translate(full_width) + number[-1].lower() + " "
    name = uniq("王大")
    resp = ent_a.form("/staff/add", staff_form(name, spaced, mobile="139 0000 " + str(next(_seq) % 9000 + 1000),
                                               areas=[area_id], hired_on="2023-05-01", remark="夜班"),
                      get_url="/staff/add", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert f"已添加从业人员{name}。" in html
    with app.app_context():
        s = db.session.execute(select(Staff).where(Staff.name == name)).scalars().one()
        assert s.id_number == number and s.current_key == number      # normalised: half-width, X, no spaces
        assert s.org.name == ENT_A and [a.name for a in s.areas] == [area_name]
        assert s.hired_on == date(2023, 5, 1) and s.remark == "夜班" and s.status == "active"
        assert len(s.mobile) == 11


def test_add_refusals_are_in_chinese_and_save_nothing(app, login):
    ent_a = login("ent_a")
    existing = new_id()
    twin = uniq("张三丰")
    add_staff(app, name=twin, id_number=existing)
    with app.app_context():
        qixing = db.session.execute(select(PropertyArea.id).where(PropertyArea.name == "七星花园")).scalar_one()
    bad_check = existing[:-1] + ("0" if existing[-1] != "0" else "1")
    name = uniq("拒绝")
    cases = [
        (staff_form(name, bad_check), "身份证号：身份证号码校验位错误"),
        (staff_form(name, new_id(), mobile="12345"), "手机号码：请输入以13至19开头的11位中国大陆手机号码"),
        (staff_form(name, new_id(), post=""), "岗位：必须填写"),
        (staff_form("", new_id()), "姓名：必须填写"),
        (staff_form(name, new_id(), hired_on=(date.today() + timedelta(days=1)).isoformat()), "入职日期：不能晚于今天"),
        (staff_form(name, new_id(), hired_on="2023-02-30"), "入职日期：该日期不存在"),
        (staff_form(name, new_id(), areas=[qixing]), "只能选择本企业的物业管理区域。"),
        (staff_form(name, new_id(), areas=[999999]), "只能选择本企业的物业管理区域。"),
        (staff_form(name, existing), f"本企业已有使用该身份证号的在职人员（{twin[0]}*{twin[-1]}）。"
                                     "同一人只能有一条在职记录，请编辑该记录。"),
    ]
    for data, message in cases:
        html = ent_a.form("/staff/add", data, get_url="/staff/add").get_data(as_text=True)
        assert message in html, message
        assert 'id="form-error"' in html
    with app.app_context():
        assert db.session.execute(select(Staff).where(Staff.name == name)).first() is None
    # ent_b may employ the same person: one record in service per person *and enterprise*.
    other = add_staff(app, "ent_b", id_number=existing)
    assert get_staff(app, other)["current_key"] == existing


def test_a_duplicate_saved_at_the_same_moment_is_refused(app, monkeypatch):
    """The in-service check and the insert race: the unique (org, current_key) index decides."""
    import pytest

    from app.core.errors import DomainError

    number = new_id()
    add_staff(app, id_number=number)
    monkeypatch.setattr(services, "_in_service_with", lambda *a, **kw: None)
    name = uniq("并发")
    with app.app_context():
        with pytest.raises(DomainError) as exc:
            services.create_staff(user("ent_a"), {"name": name, "mobile": new_mobile(), "id_number": number,
                                                  "post": "cleaning"})
        assert str(exc.value) == "同一时间已有人保存了该身份证号的在职记录，请刷新列表后核对。"
        assert db.session.execute(select(Staff).where(Staff.name == name)).first() is None


def test_only_an_enterprise_account_keeps_staff(app):
    import pytest

    from app.core.errors import DomainError

    with app.app_context():
        for username in ("admin", "gov_admin", "district1"):
            with pytest.raises(DomainError) as exc:
                services.create_staff(user(username), {"name": "某人", "mobile": new_mobile(),
                                                       "id_number": new_id(), "post": "cleaning"})
            assert str(exc.value) == "只有企业账号可以管理从业人员。"
    # admin holds every permission but has no enterprise: refused with the reason.
    # (pages: see test_government_and_project_lead_cannot_write)


def test_edit_changes_the_record_and_a_left_record_stays_as_it_was(app, login):
    ent_a = login("ent_a")
    area_id, area_name = new_area(app)
    pk = add_staff(app, area_ids=[area_id])
    page = ent_a.get(f"/staff/edit/{pk}").get_data(as_text=True)
    assert "编辑从业人员" in page and f'value="{area_id}" checked' in page
    data = staff_form("改名后", get_staff(app, pk)["id_number"], post="security", areas=[], remark="调岗")
    html = ent_a.form(f"/staff/edit/{pk}", data, get_url=f"/staff/edit/{pk}",
                      follow_redirects=True).get_data(as_text=True)
    assert "已保存从业人员改名后。" in html
    s = get_staff(app, pk)
    assert (s["name"], s["post"], s["areas"]) == ("改名后", "security", [])
    # The ID number of another person in service cannot be taken over.
    other_number = get_staff(app, add_staff(app, name="甲乙丙"))["id_number"]
    html = ent_a.form(f"/staff/edit/{pk}", staff_form("改名后", other_number), get_url=f"/staff/edit/{pk}"
                      ).get_data(as_text=True)
    assert "本企业已有使用该身份证号的在职人员（甲*丙）。" in html
    assert get_staff(app, pk)["id_number"] != other_number
    # After 离职 the record is history.
    with app.app_context():
        services.resign_staff(user("ent_a"), db.session.get(Staff, pk))
    html = ent_a.form(f"/staff/edit/{pk}", {**data, "remark": "离职后改"}, get_url=f"/staff/show/{pk}",
                      follow_redirects=True).get_data(as_text=True)
    assert "改名后已离职，该记录作为历史记录保留，不能编辑。" in html
    html = ent_a.get(f"/staff/edit/{pk}", follow_redirects=True).get_data(as_text=True)
    assert "改名后已离职，该记录作为历史记录保留，不能编辑。" in html and 'id="staff-form"' not in html
    with app.app_context():
        assert db.session.get(Staff, pk).remark == "调岗"


# --- 离职 -------------------------------------------------------------------------------------

def test_resign_keeps_history_and_allows_a_rehire(app, login):
    ent_a = login("ent_a")
    number = new_id()
    pk = add_staff(app, id_number=number, hired_on="2024-03-01")
    page = ent_a.get(f"/staff/resign/{pk}").get_data(as_text=True)
    assert "确认离职" in page and f'value="{date.today().isoformat()}"' in page
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    html = ent_a.form(f"/staff/resign/{pk}", {"left_on": tomorrow, "reason": ""},
                      get_url=f"/staff/resign/{pk}").get_data(as_text=True)
    assert "离职日期：不能晚于今天" in html
    html = ent_a.form(f"/staff/resign/{pk}", {"left_on": "2024-02-28", "reason": ""},
                      get_url=f"/staff/resign/{pk}").get_data(as_text=True)
    assert "离职日期：不能早于入职日期 2024-03-01" in html
    assert get_staff(app, pk)["status"] == "active"
    html = ent_a.form(f"/staff/resign/{pk}", {"left_on": "2024-06-30", "reason": "个人原因"},
                      get_url=f"/staff/resign/{pk}", follow_redirects=True).get_data(as_text=True)
    s = get_staff(app, pk)
    assert "已办理离职，记录作为历史保留。" in html and "离职日期 2024-06-30" in html
    assert (s["status"], s["left_on"], s["left_reason"], s["current_key"]) == ("left", date(2024, 6, 30),
                                                                              "个人原因", None)
    html = ent_a.form(f"/staff/resign/{pk}", {"left_on": "", "reason": ""},
                      get_url=f"/staff/show/{pk}", follow_redirects=True).get_data(as_text=True)
    assert f"{s['name']}已离职。" in html and get_staff(app, pk)["left_on"] == date(2024, 6, 30)
    # The same person is hired again: a new record; the old one stays.
    again = add_staff(app, id_number=number)
    assert again != pk and get_staff(app, again)["current_key"] == number
    assert get_staff(app, pk)["status"] == "left"


def test_project_lead_follows_the_record(app, login):
    ent_a = login("ent_a")
    area_id, area_name = new_area(app)
    lead = add_staff(app, name=uniq("负责人"), post="project_lead", area_ids=[area_id])
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        assert area.lead_staff_id == lead
        assert db.session.execute(select(LeadAssignment).where(LeadAssignment.current_area_id == area_id)
                                  ).scalars().one().staff_id == lead
    # A second project lead for the same area is refused: the change goes through the area.
    html = ent_a.form("/staff/add", staff_form(uniq("另一负责人"), new_id(), post="project_lead", areas=[area_id]),
                      get_url="/staff/add").get_data(as_text=True)
    assert f"物业管理区域“{area_name}”已有项目负责人" in html and "更换项目负责人" in html
    # 离职 ends the assignment.
    ent_a.form(f"/staff/resign/{lead}", {"left_on": date.today().isoformat(), "reason": ""},
               get_url=f"/staff/resign/{lead}")
    with app.app_context():
        area = db.session.get(PropertyArea, area_id)
        assert area.lead_staff_id is None and area.project_lead_id is None
        a = db.session.execute(select(LeadAssignment).where(LeadAssignment.area_id == area_id)).scalars().one()
        assert a.current_area_id is None and a.ended_at is not None


# --- delete -----------------------------------------------------------------------------------

def _bound_person(app):
    """A staff record bound to a login (a person with an account in ent_a)."""
    from app.accounts.models import Person

    number = new_id()
    with app.app_context():
        sm = app.appbuilder.sm
        username = uniq("staffacct")
        u = sm.add_user(username, "绑定", "", f"{username}@demo.anju.invalid", sm.find_role("project_lead"),
                        password="Anju@2026x", org_id=user("ent_a").org_id, mobile=new_mobile())
        db.session.add(Person(user_id=u.id, org_id=u.org_id, name="绑定人", id_type="resident_id", id_number=number,
                              mobile=u.mobile))
        db.session.commit()
    pk = add_staff(app, name="绑定人", id_number=number)
    return pk, username


def test_delete_only_what_nothing_refers_to(app, login):
    ent_a = login("ent_a")
    # A plain record goes, with its certificates and their scans.
    pk = add_staff(app)
    with app.app_context():
        cert = services.create_certificate(user("ent_a"), pk, {"cert_type": "electrician", "number": uniq("DG")},
                                           ("scan.pdf", PDF))
        cert_id = cert.id
    assert ent_a.get(f"/staff/delete/{pk}").status_code == 302 and get_staff(app, pk) is not None  # GET never deletes
    html = ent_a.form(f"/staff/delete/{pk}", {}, get_url=f"/staff/show/{pk}",
                      follow_redirects=True).get_data(as_text=True)
    assert "已删除从业人员" in html
    with app.app_context():
        from app.core.uploads import Upload

        assert db.session.get(Staff, pk) is None and db.session.get(Certificate, cert_id) is None
        assert db.session.execute(select(Upload).where(Upload.owner_type == "certificate",
                                                       Upload.owner_id == cert_id)).first() is None
    # A person with a login account bound to the record: refused, 离职 instead.
    bound, username = _bound_person(app)
    with app.app_context():
        assert db.session.get(Staff, bound).user.username == username
    html = ent_a.form(f"/staff/delete/{bound}", {}, get_url=f"/staff/show/{bound}",
                      follow_redirects=True).get_data(as_text=True)
    assert "无法删除绑定人：该人员已有绑定的登录账号。请改用“离职”，该记录将作为历史记录保留。" in html
    assert get_staff(app, bound) is not None
    # A former project lead: the lead history refers to them.
    area_id, _name = new_area(app)
    lead = add_staff(app, name="前负责人", post="project_lead", area_ids=[area_id])
    with app.app_context():
        services.resign_staff(user("ent_a"), db.session.get(Staff, lead))
    html = ent_a.form(f"/staff/delete/{lead}", {}, get_url=f"/staff/show/{lead}",
                      follow_redirects=True).get_data(as_text=True)
    assert "无法删除前负责人：该人员担任过项目负责人（项目负责人变更记录引用了该人员）。请改用“离职”" in html
    assert get_staff(app, lead) is not None


def test_bulk_resign_and_delete_are_all_or_nothing(app, login):
    ent_a = login("ent_a")
    a, b = add_staff(app), add_staff(app)
    left = add_staff(app)
    with app.app_context():
        services.resign_staff(user("ent_a"), db.session.get(Staff, left))
    resp = ent_a.form("/staff/action_post", {"action": "resign_selected", "rowid": [str(a), str(left)]},
                      get_url="/staff/list/", follow_redirects=True)
    assert f"{get_staff(app, left)['name']}已离职。" in resp.get_data(as_text=True)
    assert get_staff(app, a)["status"] == "active"                  # nothing was done
    resp = ent_a.form("/staff/action_post", {"action": "resign_selected", "rowid": [str(a), str(b)]},
                      get_url="/staff/list/", follow_redirects=True)
    assert "已为 2 人办理离职。" in resp.get_data(as_text=True)
    assert get_staff(app, a)["status"] == get_staff(app, b)["status"] == "left"
    assert get_staff(app, a)["left_on"] == date.today()
    # Delete: one of them has a bound account, so none goes.
    bound, _u = _bound_person(app)
    plain = add_staff(app)
    resp = ent_a.form("/staff/action_post", {"action": "delete_selected", "rowid": [str(plain), str(bound)]},
                      get_url="/staff/list/", follow_redirects=True)
    assert "无法删除绑定人：该人员已有绑定的登录账号" in resp.get_data(as_text=True)
    assert get_staff(app, plain) is not None
    resp = ent_a.form("/staff/action_post", {"action": "delete_selected", "rowid": [str(plain), str(a)]},
                      get_url="/staff/list/", follow_redirects=True)
    assert "已删除 2 人。" in resp.get_data(as_text=True)
    assert get_staff(app, plain) is None and get_staff(app, a) is None


# --- list, filters, masking -------------------------------------------------------------------

def row(pk):
    """What only a listed row shows: its 打印 link."""
    return f'id="print-{pk}"'


def test_list_columns_filters_and_masking(app, login):
    area_id, area_name = new_area(app)
    name = uniq("列表")
    number, mobile = new_id(), new_mobile()
    pk = add_staff(app, name=name, id_number=number, mobile=mobile, post="engineering", area_ids=[area_id])
    other = add_staff(app, name=uniq("列表"), post="security")
    html = login("ent_a").get(f"/staff/list/?_flt_3_name={name}").get_data(as_text=True)
    for text in ("从业人员管理", "姓名", "联系电话", "身份证号", "岗位", "所属企业", "在管物业管理区域",
                 "用户名", "状态", "离职日期", "操作", number, mobile, "工程维修", ENT_A, area_name, "在职"):
        assert text in html, text
    assert row(pk) in html and f'id="resign-{pk}"' in html and row(other) not in html
    # Filters: area name, post, status, enterprise, mobile.
    ent_a = login("ent_a")
    for value in (area_name, area_id):
        html = ent_a.get(f"/staff/list/?_flt_0_areas={value}").get_data(as_text=True)
        assert row(pk) in html and row(other) not in html, value
    html = ent_a.get("/staff/list/?_flt_0_post=security&_flt_3_name=列表").get_data(as_text=True)
    assert row(other) in html and row(pk) not in html
    html = ent_a.get(f"/staff/list/?_flt_3_mobile={mobile}").get_data(as_text=True)
    assert row(pk) in html and row(other) not in html
    html = ent_a.get(f"/staff/list/?_flt_0_org=和居&_flt_3_name={name}").get_data(as_text=True)
    assert row(pk) not in html
    html = ent_a.get(f"/staff/list/?_flt_0_org=安居&_flt_3_name={name}").get_data(as_text=True)
    assert row(pk) in html
    with app.app_context():
        services.resign_staff(user("ent_a"), db.session.get(Staff, other), left_on="2024-01-02")
    html = ent_a.get("/staff/list/?_flt_0_status=left&_flt_3_name=列表").get_data(as_text=True)
    assert row(other) in html and row(pk) not in html and "2024-01-02" in html and "离职" in html
    # The advanced filters offer the dictionary's posts and the statuses.
    from jinja2.utils import htmlsafe_json_dumps

    html = ent_a.get("/staff/advanced/?_flt_0_status=left&_flt_3_name=列表").get_data(as_text=True)

    for option in ('<option value="cleaning">保洁</option>', '<option value="active">在职</option>'):
        assert str(htmlsafe_json_dumps(option))[1:-1] in html, option
    # Government readers and the analyst see the list of their region, masked.
    for username in ("district1", "street1", "analyst"):
        # The name is masked for them too: searched by its exact full value only.
        html = login(username).get(f"/staff/list/?_flt_0_name={name}").get_data(as_text=True)
        assert row(pk) in html, username
        assert number not in html and mobile not in html, username
        assert "*" * 14 + number[-4:] in html and mobile[:3] + "****" + mobile[-4:] in html, username
        assert f'id="resign-{pk}"' not in html, username
        html = login(username).get(f"/staff/show/{pk}").get_data(as_text=True)
        assert number not in html and "*" * 14 + number[-4:] in html, username
    # gov_admin holds the full-view permission.
    assert number in login("gov_admin").get(f"/staff/show/{pk}").get_data(as_text=True)


def test_export_masks_for_readers_without_the_permission(app, login):
    name = uniq("导出")
    number = new_id()
    add_staff(app, name=name, id_number=number)
    rows = list(load_workbook(io.BytesIO(login("ent_a").get(f"/staff/export/?_flt_3_name={name}").data),
                              read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:7] == ("姓名", "手机号码", "身份证号", "岗位", "在管物业管理区域", "入职日期", "备注")
    assert rows[1][0] == name and rows[1][2] == number and rows[1][3] == "保洁" and rows[1][7] == ENT_A
    assert rows[1][8] == "在职" and len(rows) == 2
    rows = list(load_workbook(io.BytesIO(login("analyst").get(f"/staff/export/?_flt_0_name={name}").data),
                              read_only=True).active.iter_rows(values_only=True))
    assert rows[1][0] == name[0] + "*" + name[-1] and rows[1][2] == "*" * 14 + number[-4:]
    assert len(rows) == 2


def test_print_and_pdf(app, login):
    number = new_id()
    pk = add_staff(app, name=uniq("打印"), id_number=number)
    with app.app_context():
        services.create_certificate(user("ent_a"), pk, {"cert_type": "security_guard", "number": "BA-001",
                                                        "valid_until": "2020-01-01"})
    html = login("ent_a").get(f"/staff/print/{pk}").get_data(as_text=True)
    assert "从业人员信息" in html and number in html and "保安员证" in html and "2020-01-01（已过期）" in html
    html = login("analyst").get(f"/staff/print/{pk}").get_data(as_text=True)
    assert number not in html and "*" * 14 + number[-4:] in html
    resp = login("ent_a").get(f"/staff/pdf/{pk}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


# --- certificates -----------------------------------------------------------------------------

def test_certificates_on_the_detail_page(app, login):
    ent_a = login("ent_a")
    pk = add_staff(app, name=uniq("持证"))
    page = ent_a.get(f"/certificates/add?staff={pk}").get_data(as_text=True)
    assert "添加证书" in page and "电工证（特种作业操作证）" in page
    url = f"/certificates/add?staff={pk}"
    base = {"cert_type": "electrician", "number": "", "issuer": "重庆市应急管理局", "issued_on": "2022-01-01",
            "valid_until": "2021-12-31"}
    html = ent_a.form(url, base, get_url=url).get_data(as_text=True)
    assert "证书编号：必须填写" in html
    html = ent_a.form(url, {**base, "number": "T1"}, get_url=url).get_data(as_text=True)
    assert "有效期至：不能早于发证日期" in html
    html = ent_a.form(url, {**base, "number": "T1", "cert_type": ""}, get_url=url).get_data(as_text=True)
    assert "证书类型：必须填写" in html
    # A scan that is not a PDF/JPG/PNG, or not really one: refused, nothing saved.
    html = ent_a.form(url, {**base, "number": "T1", "valid_until": "2027-12-31",
                            "scan": (io.BytesIO(b"PK\x03\x04 not a real docx"), "scan.docx")},
                      get_url=url, content_type="multipart/form-data").get_data(as_text=True)
    assert "扫描件 scan.docx 必须是 PDF、JPG 或 PNG 文件。" in html
    html = ent_a.form(url, {**base, "number": "T1", "valid_until": "2027-12-31",
                            "scan": (io.BytesIO(b"this is not a pdf"), "scan.pdf")},
                      get_url=url, content_type="multipart/form-data").get_data(as_text=True)
    assert "文件 scan.pdf 的内容不是真实的 PDF 文件。" in html
    with app.app_context():
        assert db.session.execute(select(Certificate).where(Certificate.staff_id == pk)).first() is None
    html = ent_a.form(url, {**base, "number": "T1", "valid_until": "2027-12-31",
                            "scan": (io.BytesIO(PDF), "电工证.pdf")},
                      get_url=url, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "已添加证书 T1。" in html and "电工证.pdf" in html and "2027-12-31" in html
    ent_a.form(url, {**base, "number": "OLD-9", "issued_on": "2010-01-01", "valid_until": "2015-01-01"}, get_url=url)
    html = ent_a.get(f"/staff/show/{pk}").get_data(as_text=True)
    assert "2015-01-01（已过期）" in html and "label-danger" in html
    with app.app_context():
        cert = db.session.execute(select(Certificate).where(Certificate.number == "T1",
                                                            Certificate.staff_id == pk)).scalars().one()
        cert_id, org_id = cert.id, cert.org_id
        assert org_id == user("ent_a").org_id
        from app.core import uploads

        token = uploads.files_of(cert)[0].token
    scan = ent_a.get(f"/uploads/{token}")
    assert scan.status_code == 200 and scan.data == PDF
    # Edit replaces the scan; delete removes the certificate.
    edit = f"/certificates/edit/{cert_id}"
    html = ent_a.form(edit, {**base, "number": "T1-新", "valid_until": "2028-01-01",
                             "scan": (io.BytesIO(PDF), "新扫描件.pdf")}, get_url=edit,
                      content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "已保存证书 T1-新。" in html and "新扫描件.pdf" in html and "电工证.pdf" not in html
    assert ent_a.get(f"/uploads/{token}").status_code == 404
    html = ent_a.form(f"/certificates/delete/{cert_id}", {}, get_url=f"/staff/show/{pk}",
                      follow_redirects=True).get_data(as_text=True)
    assert "已删除证书 T1-新。" in html
    with app.app_context():
        assert db.session.get(Certificate, cert_id) is None


# --- scope ------------------------------------------------------------------------------------

def test_ent_b_gets_nothing_of_ent_a(app, login):
    name = uniq("甲方员工")
    pk = add_staff(app, name=name)
    with app.app_context():
        cert = services.create_certificate(user("ent_a"), pk, {"cert_type": "electrician", "number": uniq("B")},
                                           ("scan.png", _png()))
        cert_id = cert.id
        from app.core import uploads

        token = uploads.files_of(cert)[0].token
    ent_b = login("ent_b")
    assert row(pk) not in ent_b.get("/staff/list/").get_data(as_text=True)
    assert row(pk) not in ent_b.get(f"/staff/list/?_flt_3_name={name}").get_data(as_text=True)
    for url in (f"/staff/show/{pk}", f"/staff/edit/{pk}", f"/staff/resign/{pk}", f"/staff/print/{pk}",
                f"/staff/pdf/{pk}", f"/certificates/show/{cert_id}", f"/certificates/edit/{cert_id}",
                f"/certificates/add?staff={pk}", f"/uploads/{token}", "/staff/show/987654", "/staff/edit/987654"):
        assert ent_b.get(url).status_code == 404, url
    token_b = ent_b.token("/staff/list/")
    for url, data in ((f"/staff/delete/{pk}", {}), (f"/staff/resign/{pk}", {"left_on": "", "reason": ""}),
                      (f"/staff/edit/{pk}", staff_form("篡改", new_id())), (f"/certificates/delete/{cert_id}", {}),
                      (f"/certificates/add?staff={pk}", {"cert_type": "electrician", "number": "X"})):
        assert ent_b.post(url, data={**data, "csrf_token": token_b}).status_code == 404, url
    for action in ("resign_selected", "delete_selected"):
        resp = ent_b.post("/staff/action_post", data={"action": action, "rowid": [str(pk)], "csrf_token": token_b},
                          follow_redirects=True)
        assert "部分选中的记录不存在或不在您的数据权限范围内，未执行任何操作。" in resp.get_data(as_text=True)
    s = get_staff(app, pk)
    assert s["name"] == name and s["status"] == "active"
    with app.app_context():
        assert db.session.get(Certificate, cert_id) is not None
    rows = list(load_workbook(io.BytesIO(ent_b.get("/staff/export/").data), read_only=True).active
                .iter_rows(values_only=True))
    assert all(r[0] != name for r in rows)
    resp = ent_b.get("/certificates/list/")
    assert resp.status_code == 200 and f"/certificates/show/{cert_id}" not in resp.get_data(as_text=True)
    assert f"/certificates/show/{cert_id}" in login("ent_a").get("/certificates/list/").get_data(as_text=True)


def _png():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


def test_project_lead_sees_the_staff_of_the_areas_they_lead_only(app, login):
    with app.app_context():
        heping = db.session.execute(select(PropertyArea.id).where(PropertyArea.name == "和平小区")).scalar_one()
    mine = add_staff(app, name=uniq("和平保洁"), area_ids=[heping])
    other_area, _n = new_area(app)
    not_mine = add_staff(app, name=uniq("别处保洁"), area_ids=[other_area])
    nowhere = add_staff(app, name=uniq("无区域"))
    with app.app_context():
        from app.core import uploads

        c1 = services.create_certificate(user("ent_a"), mine, {"cert_type": "other", "number": "PM-1"},
                                         ("s1.png", _png()))
        c2 = services.create_certificate(user("ent_a"), not_mine, {"cert_type": "other", "number": "PM-2"},
                                         ("s2.png", _png()))
        cert_mine, cert_other = c1.id, c2.id
        scan_mine, scan_other = uploads.files_of(c1)[0].token, uploads.files_of(c2)[0].token
    pm_a = login("pm_a")
    html = pm_a.get("/staff/list/?psize_StaffView=100").get_data(as_text=True)
    assert row(mine) in html and row(not_mine) not in html and row(nowhere) not in html
    assert pm_a.get(f"/staff/show/{mine}").status_code == 200
    assert pm_a.get(f"/certificates/show/{cert_mine}").status_code == 200
    assert pm_a.get(f"/uploads/{scan_mine}").status_code == 200
    for url in (f"/staff/show/{not_mine}", f"/staff/show/{nowhere}", f"/certificates/show/{cert_other}",
                f"/uploads/{scan_other}", f"/staff/print/{not_mine}"):
        assert pm_a.get(url).status_code == 404, url
    # Read only: no add, edit, delete, 离职 (FAB refuses without the permission).
    for url in ("/staff/add", f"/staff/edit/{mine}", f"/staff/resign/{mine}", f"/certificates/add?staff={mine}"):
        assert pm_a.get(url).status_code in (302, 403), url
    token = pm_a.token("/staff/list/")
    pm_a.post(f"/staff/delete/{mine}", data={"csrf_token": token})
    pm_a.post(f"/staff/resign/{mine}", data={"csrf_token": token, "left_on": ""})
    assert get_staff(app, mine)["status"] == "active"


def test_government_reads_its_region_only_and_cannot_write(app, login):
    area_id, _n = new_area(app)                          # in street 500103001 (七星岗街道)
    pk = add_staff(app, name=uniq("只读"), area_ids=[area_id])
    elsewhere = add_staff(app, name=uniq("别街"))      # works in no area of the street
    for username in ("gov_admin", "district1", "street1", "analyst"):
        c = login(username)
        assert c.get(f"/staff/show/{pk}").status_code == 200, username
        for url in ("/staff/add", f"/staff/edit/{pk}", f"/staff/resign/{pk}", "/staff/import/"):
            assert c.get(url).status_code in (302, 403), (username, url)
        token = c.token("/staff/list/")
        c.post(f"/staff/delete/{pk}", data={"csrf_token": token})
        c.post("/staff/action_post", data={"action": "resign_selected", "rowid": [str(pk)], "csrf_token": token})
    assert get_staff(app, pk)["status"] == "active"
    # The street sees the staff of the areas in its street; ent_a itself is registered at district level.
    assert login("street1").get(f"/staff/show/{elsewhere}").status_code == 404
    assert login("district1").get(f"/staff/show/{elsewhere}").status_code == 200
    # admin has every permission but no enterprise: refused with the reason.
    html = login("admin").get("/staff/add", follow_redirects=True).get_data(as_text=True)
    assert "只有企业账号可以管理从业人员。" in html


def test_company_and_area_are_inline_search_boxes(app, login):
    """物业管理区域 and 所属企业 are text boxes of the list's inline search like 姓名: a company
    search fills its box and finds that company's people, with the advanced filters left closed
    (they are fetched when opened, not sent with the page)."""
    from tests.property.helpers import make_staff

    name = uniq("内联")
    with app.app_context():
        make_staff("ent_a", name)
        db.session.commit()
        from app.system.models import Organization

        company = db.session.get(Organization, user("ent_a").org_id).name
    c = login("admin")
    page = c.get("/staff/list/").get_data(as_text=True)
    search = re.search(r'id="anju-search".*?</form>', page, re.S).group(0)
    assert "物业管理区域" in search and "所属企业" in search
    org_box = re.search(r'<input[^>]*name="(_flt_\d+_org)"', search).group(1)
    html = c.get("/staff/list/", query_string={org_box: company[1:5], "_flt_3_name": name}).get_data(as_text=True)
    search = re.search(r'id="anju-search".*?</form>', html, re.S).group(0)
    assert re.search(rf'name="{org_box}"[^>]*value="{re.escape(company[1:5])}"', search)
    rows = html.split('id="anju-search"', 1)[1].split("</form>", 1)[1]
    assert name in rows and 'id="filter_form"' not in html and "data-anju-load" in html
    other = c.get("/staff/list/", query_string={org_box: "没有这家企业", "_flt_3_name": name}).get_data(as_text=True)
    assert name not in other.split('id="anju-search"', 1)[1].split("</form>", 1)[1]
