"""Bad input gets a refusal, never a 500 (issue 11): every list, every REST resource, FAB's
own security views included; no database or Python text and no secret in any answer."""
import json
import logging
import re

import pytest
from flask_appbuilder import ModelRestApi, ModelView

from tests.conftest import csrf_token

PAGE_MESSAGE = "页码和每页条数必须为整数。"
FILTER_MESSAGE = "查询条件无效。"
Q_MESSAGE = "查询参数 q 无效。"
NOT_FOUND = "页面或记录不存在，或不在您的数据权限范围内。"
CONFLICT = "该记录已存在或与其他记录冲突，请刷新后重试。"


def _list_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)]


def _apis(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelRestApi)]


# --- lists: page, page size, filters, order, actions ---------------------------------------

def test_a_20_digit_page_number_is_refused_on_every_list(app, login):
    c = login("admin")
    views = _list_views(app)
    names = {v.__class__.__name__ for v in views}
    # FAB's own security views are among them.
    assert {"AnjuUserDBModelView", "AnjuRoleModelView", "PermissionModelView", "ViewMenuModelView"} <= names
    for view in views:
        resp = c.get(f"{view.route_base}/list/?page_{view.__class__.__name__}=99999999999999999999")
        assert resp.status_code == 400, view.__class__.__name__
        assert PAGE_MESSAGE in resp.get_data(as_text=True)


@pytest.mark.parametrize("route,name", [("/users", "AnjuUserDBModelView"), ("/roles", "AnjuRoleModelView"),
                                        ("/permissions", "PermissionModelView"),
                                        ("/viewmenus", "ViewMenuModelView"),
                                        ("/permissionviews", "PermissionViewModelView"),
                                        ("/groups", "AnjuGroupModelView")])
def test_a_page_size_that_is_not_a_number_is_refused_on_the_security_views(login, route, name):
    c = login("admin")
    for value in ("abc", "0", "-5", "1e3", "²", "99999999999999999999"):
        resp = c.get(f"{route}/list/?psize_{name}={value}")
        assert resp.status_code == 400, value
        assert PAGE_MESSAGE in resp.get_data(as_text=True)


def test_the_security_views_keep_the_page_size_cap(app, login):
    from app.extensions import db
    from app.system.models import Parameter

    c = login("admin")
    with app.app_context():
        row = db.session.query(Parameter).filter_by(key="list.page_size_max").one()
        before = row.value
        row.value = "10"  # the smallest cap allowed; the seed has 11 accounts
        db.session.commit()
    try:
        html = c.get("/users/list/?psize_AnjuUserDBModelView=100000").get_data(as_text=True)
        assert len(set(re.findall(r"/users/show/(\d+)", html))) == 10
    finally:
        with app.app_context():
            row = db.session.query(Parameter).filter_by(key="list.page_size_max").one()
            row.value = before
            db.session.commit()


def test_a_filter_index_past_the_columns_filters_is_refused_on_every_list(app, login):
    c = login("admin")
    checked = 0
    for view in _list_views(app):
        for column, filters in view._filters._all_filters.items():
            if column not in view.search_columns or len(filters) > 9:
                continue
            resp = c.get(f"{view.route_base}/list/?_flt_{len(filters)}_{column}=x")
            assert resp.status_code == 400, (view.__class__.__name__, column)
            assert FILTER_MESSAGE in resp.get_data(as_text=True)
            checked += 1
            break
    assert checked >= 20


def test_a_search_value_a_key_cannot_hold_is_refused(login):
    c = login("admin")
    # FAB's own relation filter (the user list's organisation): refused.
    resp = c.get("/users/list/?_flt_0_org=99999999999999999999999")
    assert resp.status_code == 400
    assert FILTER_MESSAGE in resp.get_data(as_text=True)
    # An empty box is no filter: the same list without it.
    resp = c.get("/users/list/?_flt_0_org=")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/users/list/")
    assert c.get(resp.headers["Location"]).status_code == 200
    # The house's area filters read an id or a name: an id no key can hold matches nothing.
    assert "/show/" in c.get("/staff/list/").get_data(as_text=True).split("<tbody", 1)[-1]
    resp = c.get("/staff/list/?_flt_0_areas=99999999999999999999999")
    assert resp.status_code == 200
    assert "/show/" not in resp.get_data(as_text=True).split("<tbody", 1)[-1]
    assert c.get("/equipment/list/?_flt_0_area=99999999999999999999999").status_code == 200


def test_ordering_by_an_unknown_column_is_refused_and_computed_columns_are_not_offered(app, login):
    c = login("admin")
    for view in _list_views(app):
        name = view.__class__.__name__
        resp = c.get(f"{view.route_base}/list/?_oc_{name}=nonexistent&_od_{name}=asc")
        assert resp.status_code == 400, name
        assert "列表不能按此列排序。" in resp.get_data(as_text=True)
        for column in view.order_columns:
            resp = c.get(f"{view.route_base}/list/?_oc_{name}={column}&_od_{name}=desc")
            assert resp.status_code == 200, (name, column)
    equipment = next(v for v in _list_views(app) if v.__class__.__name__ == "EquipmentView")
    assert "place" not in equipment.order_columns


def test_an_unknown_bulk_action_is_404_signed_in_or_not(app, login):
    anonymous = app.test_client()
    token = csrf_token(anonymous.get("/login/").get_data(as_text=True))
    admin = login("admin")
    admin_token = admin.token("/orgusers/add")
    for view in _list_views(app):
        resp = anonymous.post(f"{view.route_base}/action_post", data={"action": "bogus", "csrf_token": token})
        assert resp.status_code == 404, view.__class__.__name__
        resp = admin.http.post(f"{view.route_base}/action_post",
                               data={"action": "bogus", "csrf_token": admin_token})
        assert resp.status_code == 404, view.__class__.__name__
        assert NOT_FOUND in resp.get_data(as_text=True)


def test_a_selected_row_beyond_its_key_column_is_404(app, login):
    c = login("admin")
    token = c.token("/orgusers/add")
    from sqlalchemy import Integer

    checked = 0
    for view in _list_views(app):
        keys = view.datamodel.obj.__mapper__.primary_key
        if not view.actions or not isinstance(keys[0].type, Integer):
            continue
        checked += 1
        action = next(iter(view.actions))
        resp = c.http.post(f"{view.route_base}/action_post",
                           data={"action": action, "rowid": ["1", "99999999999999999999"], "csrf_token": token})
        assert resp.status_code == 404, view.__class__.__name__
    assert checked >= 4


def test_a_record_key_beyond_its_column_is_404_on_pages(login):
    c = login("admin")
    for url in ("/orgusers/show/99999999999999999999", "/users/show/99999999999999999999",
                "/users/edit/99999999999999999999", "/organizationview/show/abc"):
        resp = c.get(url)
        assert resp.status_code == 404, url


def test_control_characters_in_the_query_are_refused(login):
    c = login("admin")
    resp = c.get("/orgusers/list/", query_string={"_flt_0_username": "a\x00b"})
    assert resp.status_code == 400
    assert "不能包含控制字符。" in resp.get_data(as_text=True)


# --- REST: keys, q, bodies ---------------------------------------------------------------

def test_rest_ids_beyond_64_bits_are_404_on_every_resource(app, api):
    http, headers = api("admin")
    for view in _apis(app):
        resp = http.get(f"/api/v1/{view.resource_name}/99999999999999999999999", headers=headers)
        assert resp.status_code == 404, view.resource_name
        assert resp.get_json() == {"message": NOT_FOUND}


@pytest.mark.parametrize("q", ["((((((", "(" * 5000, "1.78e+16", "!(1,2)", "'text'",
                               "(page:99999999999999999999)", "(page:-1)", "(page_size:abc)",
                               "(filters:!((col:name,opr:eq,value:99999999999999999999999)))"])
def test_a_malformed_q_is_400_on_every_resource(app, api, q):
    http, headers = api("admin")
    for view in _apis(app):
        for path in ("/", "/_info", "/1"):
            resp = http.get(f"/api/v1/{view.resource_name}{path}", query_string={"q": q}, headers=headers)
            assert resp.status_code == 400, (view.resource_name, path, q)
            assert resp.get_json() == {"message": Q_MESSAGE}


def test_lists_and_objects_where_a_number_is_expected_are_422(api):
    http, headers = api("admin")
    resp = http.post("/api/v1/org_user/", headers=headers,
                     json={"username": "zz_list_org", "first_name": "测试", "org_id": [5],
                           "password": "Abcdef@12345"})
    assert resp.status_code == 422
    assert resp.get_json() == {"message": {"org_id": ["必须是整数。"]}}
    resp = http.post("/api/v1/inspection_record/", headers=headers,
                     json={"equipment_id": 1, "staff_id": {}, "done_on": "2026-01-05", "result": "normal"})
    assert resp.status_code == 422
    assert resp.get_json()["message"]["staff_id"] == ["必须是整数。"]
    resp = http.post("/api/v1/equipment/", headers=headers,
                     json={"area_id": 3000000000, "name": "电梯", "equip_type": "elevator"})
    assert resp.status_code == 422
    assert resp.get_json()["message"]["area_id"] == ["必须在 -2147483647 至 2147483647 之间。"]


def _org(**extra):
    body = {"name": "坏输入测试物业", "org_type": "enterprise", "region_code": "500103", "active": True}
    body.update(extra)
    return body


@pytest.mark.parametrize("body,field,message", [
    (_org(name="\ud800"), "name", "文本包含无效字符。"),
    (_org(name="物业\x01公司"), "name", "不能包含控制字符。"),
    (_org(address="地址\x7f"), "address", "不能包含控制字符。"),
    (_org(name=""), "name", "此项为必填项。"),
    (_org(name="   "), "name", "此项为必填项。"),
    (_org(active=None), "active", "此项不能为空。"),
    (_org(name="长" * 129), "name", "最多 128 个字符。"),
    (_org(active="maybe"), "active", "必须是“是”或“否”（true 或 false）。"),
    ({"org_type": "enterprise", "region_code": "500103"}, "name", "此项为必填项。"),
    (_org(surprise=1), "surprise", "未知的字段。"),
])
def test_the_api_refuses_bad_values_with_422_in_chinese(api, body, field, message):
    http, headers = api("admin")
    resp = http.post("/api/v1/organization/", headers=headers, data=json.dumps(body),
                     content_type="application/json")
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["message"][field] == [message]


def test_an_unknown_organization_type_is_refused(api):
    http, headers = api("admin")
    resp = http.post("/api/v1/organization/", headers=headers, json=_org(org_type="bogus"))
    assert resp.status_code == 422
    assert resp.get_json() == {"message": "未知的机构类型。"}


def test_a_40_mb_json_body_is_413_json(api):
    http, headers = api("admin")
    body = json.dumps(_org(address="x" * (40 * 1024 * 1024)))
    resp = http.post("/api/v1/organization/", headers=headers, data=body, content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json() == {"message": "上传的文件过大。"}


def test_a_body_that_is_not_json_is_400_in_chinese(api):
    http, headers = api("admin")
    resp = http.post("/api/v1/organization/", headers=headers, data="{not json",
                     content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json() == {"message": "请求无效。"}
    # Nesting past what the parser can read (a RecursionError, once a 500).
    resp = http.post("/api/v1/organization/", headers=headers, data="[" * 100000 + "]" * 100000,
                     content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json() == {"message": "请求内容不是有效的 JSON。"}


def test_json_nested_past_the_limit_is_422(api):
    http, headers = api("admin")
    nested = "x"
    for _ in range(80):
        nested = [nested]
    body = json.dumps(_org(address=nested))
    resp = http.post("/api/v1/organization/", headers=headers, data=body, content_type="application/json")
    assert resp.status_code == 422
    assert resp.get_json() == {"message": {"address": ["数据嵌套层级过深。"]}}


def test_info_describes_no_field_with_the_catalog_header(app, api):
    http, headers = api("admin")
    for view in _apis(app):
        resp = http.get(f"/api/v1/{view.resource_name}/_info", headers=headers)
        assert resp.status_code == 200, view.resource_name
        data = resp.get_json()
        for key in ("add_columns", "edit_columns"):
            for field in data.get(key, []):
                assert "Project-Id-Version" not in field["description"]
                assert field["description"] == str(view.description_columns.get(field["name"], ""))


# --- secrets -------------------------------------------------------------------------------

def test_creating_an_account_does_not_answer_the_password_hash(api):
    http, headers = api("admin")
    resp = http.post("/api/v1/org_user/", headers=headers,
                     json={"username": "zz_no_hash", "first_name": "测试", "mobile": "13800000123",
                           "org_id": 5, "password": "Abcdef@12345"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    result = resp.get_json()["result"]
    assert result == {"first_name": "测试", "mobile": "13800000123", "org_id": 5, "username": "zz_no_hash"}
    assert "scrypt" not in resp.get_data(as_text=True)
    pk = resp.get_json()["id"]
    resp = http.put(f"/api/v1/org_user/{pk}", headers=headers, json={"first_name": "测试二"})
    assert resp.status_code == 200
    assert "password" not in resp.get_json()["result"]
    shown = http.get(f"/api/v1/org_user/{pk}", headers=headers).get_json()["result"]
    assert "password" not in shown


def test_no_registered_api_serialises_a_secret(app, api):
    from app.core.views import SECRET_COLUMNS

    http, headers = api("admin")
    for view in _apis(app):
        for schema in (view.list_model_schema, view.show_model_schema, view.add_model_schema,
                       view.edit_model_schema):
            assert not set(schema.dump_fields) & SECRET_COLUMNS, view.resource_name
        assert not {c.split(".")[-1] for c in view.search_columns} & SECRET_COLUMNS
        resp = http.get(f"/api/v1/{view.resource_name}/", headers=headers)
        assert resp.status_code == 200, view.resource_name
        body = resp.get_data(as_text=True)
        assert "scrypt:" not in body and "pbkdf2:" not in body
        for row in resp.get_json()["result"]:
            assert not set(row) & SECRET_COLUMNS
        if resp.get_json()["ids"]:
            one = http.get(f"/api/v1/{view.resource_name}/{resp.get_json()['ids'][0]}", headers=headers)
            assert not set(one.get_json()["result"]) & SECRET_COLUMNS


# --- database errors and incidents ---------------------------------------------------------

def test_a_duplicate_on_the_api_is_the_chinese_conflict_message(api):
    http, headers = api("admin")
    # ent_a's credit code: unique in the database, and no service checks it first.
    resp = http.post("/api/v1/organization/", headers=headers,
                     json=_org(name="冲突测试", credit_code="91500103MA5U7A1B23"))
    assert resp.status_code == 422
    assert resp.get_json() == {"message": CONFLICT}
    assert "UNIQUE" not in resp.get_data(as_text=True)


def test_a_duplicate_on_a_form_is_the_chinese_conflict_message(login):
    # (type, code) is unique in the database only; no form validator sees it first.
    c = login("admin")
    resp = c.form("/dictitemview/add", {"type": "org_type", "code": "enterprise", "label": "重复",
                                        "sort": "0", "active": "y"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert CONFLICT in html
    assert "IntegrityError" not in html and "UNIQUE" not in html and "INSERT" not in html


def test_an_unexpected_error_on_a_page_is_a_chinese_page_with_a_logged_incident(app, login, monkeypatch, caplog):
    from flask_appbuilder.baseviews import BaseCRUDView

    def boom(self, *args, **kwargs):
        raise RuntimeError("SELECT secret FROM anju_person WHERE mobile = '13800001111'")

    c = login("admin")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(BaseCRUDView, "_get_list_widget", boom)
    with caplog.at_level(logging.ERROR, logger="app.incident"):
        resp = c.get("/users/list/")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    assert "13800001111" not in html and "RuntimeError" not in html
    number = re.search(r"服务器处理出错，事件编号：(\d{8}-[0-9A-F]{8})。请将此编号告知系统管理员。", html).group(1)
    records = [r for r in caplog.records if number in r.getMessage()]
    assert len(records) == 1
    assert "13800001111" in caplog.text and "RuntimeError" in caplog.text


def test_an_unexpected_error_on_the_api_is_json_with_a_logged_incident(app, api, monkeypatch, caplog):
    from flask_appbuilder.api import ModelRestApi as FabModelRestApi

    def boom(self, **kwargs):
        raise RuntimeError("secret 13800002222")

    http, headers = api("admin")
    monkeypatch.setattr(FabModelRestApi, "get_list_headless", boom)
    with caplog.at_level(logging.ERROR, logger="app.incident"):
        resp = http.get("/api/v1/region/", headers=headers)
    assert resp.status_code == 500
    message = resp.get_json()["message"]
    number = re.fullmatch(r"服务器处理出错，事件编号：(\d{8}-[0-9A-F]{8})。请将此编号告知系统管理员。", message).group(1)
    assert any(number in r.getMessage() and r.exc_info for r in caplog.records)
    assert "13800002222" not in resp.get_data(as_text=True)


# --- caching ---------------------------------------------------------------------------------

def test_signed_in_pages_are_not_stored(app, login, api):
    c = login("admin")
    assert c.get("/orgusers/list/").headers["Cache-Control"] == "no-store"
    http, headers = api("admin")
    assert http.get("/api/v1/region/", headers=headers).headers["Cache-Control"] == "no-store"
    # Static files stay cacheable.
    assert "no-store" not in c.get("/static/anju/anju.js").headers.get("Cache-Control", "")
