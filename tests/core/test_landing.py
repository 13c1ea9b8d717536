"""After saving a form the user lands on the saved record (its detail page, or its own list)
with a message that names it: never on whatever list the session opened last (FAB's history
sent a penalty to 系统参数, equipment to 机构账号, an inspection to 项目负责人变更记录)."""
import html as html_lib
import re
import uuid
from datetime import date

import pytest

from app.core.views import AnjuModelView

# Who saves in each add form, which unrelated list they open first, and the typed values a
# form's own rules need (everything else is filled from the form: the first choice of each
# select, today for dates, a unique text for text boxes).
CASES = {
    "OrganizationView": ("gov_admin", "/areas/list/", {
        "credit_code": "credit_code", "contact_mobile": "13900000001", "legal_rep": "王五",
        "contact_name": "赵六", "org_type": "enterprise", "enterprise_type": "property_company",
        "region": "500103"}),
    "OrgUserView": ("ent_a", "/equipment/list/", {
        "mobile": "13900000002", "password": "Anju@2026x", "conf_password": "Anju@2026x",
        "first_name": "孙七"}),
    "RegionView": ("admin", "/parameterview/list/", {"code": "500103099", "level": "street",
                                                     "parent": "500103"}),
    "DictItemView": ("admin", "/orgusers/list/", {"sort": "99"}),
    "RealnameRegistryView": ("admin", "/parameterview/list/", {"id_number": "id_number",
                                                               "name": "周八"}),
    "EquipmentView": ("ent_a", "/orgusers/list/", {}),
    # for the whole enterprise (no area): other tests run plans of their own areas
    "CarePlanView": ("ent_a", "/leadchanges/list/", {"cycle_value": "1", "kind": "inspection", "equipment": "__None",
                                                     "area": "__None"}),
    "InspectionRecordView": ("pm_a", "/leadchanges/list/", {"result": "normal"}),
    "MaintenanceRecordView": ("ent_a", "/orgusers/list/", {}),
    "EnterpriseHonorView": ("gov_admin", "/parameterview/list/", {"kind": "penalty"}),
    "CreditRuleView": ("gov_admin", "/parameterview/list/", {"suggested_score": "3", "min_score": "1",
                                                             "max_score": "5", "validity_months": "12"}),
    "LegalServiceView": ("gov_admin", "/parameterview/list/", {"kind": "law_firm", "sort": "9"}),
    "AgencyPremisesView": ("agency_a", "/orgusers/list/", {"region_code": "500103", "street_code": "500103001",
                                                           "phone": "023-63000000", "floor_area": "80",
                                                           "status": "open"}),
    "PractitionerView": ("agency_a", "/orgusers/list/", {"id_type": "resident_id", "id_number": "id_number",
                                                         "mobile": "13900000003", "name": "钱九",
                                                         "info_card_no": "XK-" + uuid.uuid4().hex[:8], "account": "",
                                                         "card_valid_until": "2030-12-31", "premises": "__None",
                                                         "user": "__None"}),
    # 小区动态 (issue 16): the first of ent_a's areas, a draft
    "AreaNewsView": ("ent_a", "/orgusers/list/", {}),
}


def _add_views(app):
    """Every AnjuModelView whose add form is FAB's generic one and some role may use."""
    with app.app_context():
        return {type(v).__name__: v for v in app.appbuilder.baseviews
                if isinstance(v, AnjuModelView) and "can_add" in (v.base_permissions or [])
                and type(v).add is AnjuModelView.add}


def test_every_generic_add_form_is_covered(app):
    assert set(_add_views(app)) == set(CASES), "add the new view to CASES in tests/core/test_landing.py"


def _form_values(page, overrides):
    """The add form's fields filled as a user would."""
    form = page.split('id="model_form"', 1)[-1] if 'id="model_form"' in page else page
    values = {}
    for tag in re.findall(r"<select[^>]*>.*?</select>", form, re.S):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        options = [o for o in re.findall(r'<option[^>]*value="([^"]*)"', tag) if o not in ("", "__None")]
        if options:
            values[name] = [options[0]] if "multiple" in tag.split(">", 1)[0] else options[0]
    for tag in re.findall(r"<(?:input|textarea)[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or name.group(1) in ("csrf_token",):
            continue
        name, kind = name.group(1), (kind.group(1) if kind else "text")
        if kind == "checkbox":
            values[name] = "y"
            continue
        if kind in ("hidden", "file", "submit"):
            continue
        if "data-format" in tag or kind == "date":
            values[name] = date.today().isoformat()
        elif kind == "number":
            values[name] = "1"
        else:
            values[name] = "测试" + uuid.uuid4().hex[:6]
    values.update(overrides)
    values = {k: v for k, v in values.items() if v is not None}  # an override of None leaves it out
    if values.get("credit_code") == "credit_code":
        from app.core.validators import credit_code_check_char

        first17 = "91500103MA" + uuid.uuid4().hex[:7].upper()
        values["credit_code"] = first17 + credit_code_check_char(first17)
    if values.get("id_number") == "id_number":  # a fresh valid ID number each time
        from tests.complaints.helpers import new_id

        values["id_number"] = new_id(region="110105", birth="19491231")
    return values


def _problems(page):
    """The messages a refused form shows (flashes and field errors)."""
    found = re.findall(r'class="[^"]*(?:alert|help-block|text-danger|error)[^"]*"[^>]*>\s*([^<]+)', page)
    return [t.strip() for t in found if t.strip()]


def _equipment_led_by_pm_a(app):
    """pm_a records inspections of equipment in the areas they lead: make sure one exists there
    (the EquipmentView case puts its item in whichever area its form offers first)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.property.models import Equipment, PropertyArea

    with app.app_context():
        area = db.session.execute(select(PropertyArea).where(PropertyArea.name == "和平小区")).scalars().one()
        db.session.add(Equipment(org_id=area.company_org_id, area_id=area.id, region_code=area.region_code,
                                 equip_type="elevator", name="落地测试电梯" + uuid.uuid4().hex[:4]))
        db.session.commit()


@pytest.mark.parametrize("view_name", sorted(CASES))
def test_saving_lands_on_the_saved_record(app, login, view_name):
    view = _add_views(app)[view_name]
    user, elsewhere, overrides = CASES[view_name]
    if view_name == "InspectionRecordView":
        _equipment_led_by_pm_a(app)
    c = login(user)
    assert c.get(elsewhere).status_code == 200  # the list FAB's history would send us back to
    add_url = f"{view.route_base}/add"
    page = c.get(add_url).get_data(as_text=True)
    values = _form_values(page, overrides)
    resp = c.form(add_url, values)
    assert resp.status_code == 302, (view_name, values, _problems(resp.get_data(as_text=True)))
    landing = resp.headers["Location"]
    assert landing.split("?")[0].startswith(view.route_base + "/"), (view_name, landing)
    assert not landing.startswith(elsewhere)
    shown = c.get(landing).get_data(as_text=True)
    message = re.search(r"已保存：([^<\n]+)", html_lib.unescape(shown))
    assert message, (view_name, "no 已保存 message")
    name = message.group(1).strip()
    assert name and "object at" not in name and "__" not in name
    if "/show/" in landing:
        # The detail page is the record just saved: its name appears there too.
        for part in name.split():
            assert html_lib.unescape(shown).count(part) >= 2, (view_name, name)


def test_a_refused_save_stays_on_its_form(app, login):
    """A save a rule refuses goes back to the same form with the reason, not to a list."""
    c = login("admin")
    c.get("/orgusers/list/")
    values = {"type": "staff_post", "code": "", "label": "", "sort": "1"}
    resp = c.form("/dictitemview/add", values)
    # WTForms refuses the empty code on the form itself: the form is shown again.
    assert resp.status_code == 200 or resp.headers["Location"].startswith("/dictitemview/add")


def test_editing_lands_on_the_record_with_its_name(app, login):
    c = login("admin")
    c.get("/orgusers/list/")
    page = c.get("/parameterview/list/").get_data(as_text=True)
    pk = re.search(r"/parameterview/edit/(\d+)", page).group(1)
    c.get("/orgusers/list/")
    form = c.get(f"/parameterview/edit/{pk}").get_data(as_text=True)
    value = re.search(r'<textarea[^>]*name="value"[^>]*>([^<]*)</textarea>', form)
    resp = c.form(f"/parameterview/edit/{pk}", {"value": html_lib.unescape(value.group(1)).strip()},
                  get_url=f"/parameterview/edit/{pk}")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(f"/parameterview/show/{pk}")
    shown = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已保存：" in shown


def test_saving_a_user_lands_on_that_user(app, login):
    """FAB's own user view lands on the saved account too, named as the viewer sees it."""
    c = login("admin")
    page = c.get("/users/list/").get_data(as_text=True)
    pk = re.search(r"/users/edit/(\d+)", page).group(1)
    c.get("/parameterview/list/")
    form = c.get(f"/users/edit/{pk}").get_data(as_text=True)
    values = _form_values(form, {})
    for name in ("username", "first_name", "mobile", "email"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', form) or \
            re.search(rf'value="([^"]*)"[^>]*name="{name}"', form)
        if found:
            values[name] = html_lib.unescape(found.group(1))
    values["roles"] = re.findall(r'<option selected value="([^"]+)"', form.split('name="roles"', 1)[1])[:5] \
        or values.get("roles")
    values["org"] = (re.findall(r'<option selected value="([^"]+)"', form.split('name="org"', 1)[1]) or ["__None"])[0]
    values.pop("must_change_password", None)
    resp = c.form(f"/users/edit/{pk}", values, get_url=f"/users/edit/{pk}")
    assert resp.status_code == 302, _problems(resp.get_data(as_text=True))
    assert resp.headers["Location"].startswith(f"/users/show/{pk}")
    assert "已保存：" in c.get(resp.headers["Location"]).get_data(as_text=True)
