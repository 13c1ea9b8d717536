"""Where a delete, an action and 返回 go (app/core/returns.py): from the request itself (a local
``next``, the page it came from, else the view's list), never from a history kept in the
session, which every tab shared and every page wrote."""
import pytest

from tests.conftest import csrf_token
from tests.rental.test_agencies_premises import _form, _premises, steps

LIST = "/rental/premises/list/"
FILTERED = "/rental/premises/list/?psize_PremisesView=10&_oc_PremisesView=name&_od_PremisesView=asc"


@pytest.fixture
def premises(app, login):
    """An enterprise admin signed in, with three premises of its own: (client, [ids])."""
    ent = steps.enterprise(app)
    c = login(ent.admin)
    for name in ("一号门店", "二号门店", "三号门店"):
        assert c.form("/rental/premises/add", _form(name=name), get_url="/rental/premises/add").status_code == 302
    return c, [row[0] for row in _premises(app, ent.org_id)]


def _delete(c, pk, referer=None, **data):
    token = csrf_token(c.get(LIST).get_data(as_text=True))
    headers = {"Referer": "http://localhost" + referer} if referer else {}
    return c.post(f"/rental/premises/delete/{pk}", data={"csrf_token": token, **data}, headers=headers)


def _where(resp):
    assert resp.status_code == 302, resp.status_code
    location = resp.headers["Location"]
    return location.replace("http://localhost", "")


def test_pages_leave_the_session_alone(app, premises):
    """Opening lists, records and forms signs no new session cookie: nothing is kept there."""
    c, ids = premises
    c.get(LIST)
    for url in (FILTERED, f"/rental/premises/show/{ids[0]}", LIST + "?page_PremisesView=0",
                f"/rental/premises/edit/{ids[1]}", "/rental/premises/add", LIST):
        resp = c.get(url)
        assert resp.status_code == 200, url
        assert "session=" not in resp.headers.get("Set-Cookie", ""), url
    with c.http.session_transaction() as session:
        assert "page_history" not in session


def test_a_delete_returns_to_the_list_it_came_from(app, premises):
    c, ids = premises
    assert _where(_delete(c, ids[0], referer=FILTERED)) == FILTERED
    assert _where(_delete(c, ids[1], next=FILTERED)) == FILTERED
    assert _where(_delete(c, ids[2])) == LIST
    listed = c.get(LIST).get_data(as_text=True)
    assert not any(f"/rental/premises/show/{pk}" in listed for pk in ids)


def test_a_delete_from_the_records_own_page_lands_on_its_list(app, premises):
    c, ids = premises
    c.get(f"/rental/premises/show/{ids[0]}")
    assert _where(_delete(c, ids[0], referer=f"/rental/premises/show/{ids[0]}")) == LIST
    # Another record's page is where it was (a parent's page with its related rows, say).
    assert _where(_delete(c, ids[1], referer=f"/rental/premises/show/{ids[2]}")) == f"/rental/premises/show/{ids[2]}"


def test_two_tabs_keep_their_own_way_back(app, premises):
    """Tab A opened the filtered list, then tab B the plain one; a delete in tab A returns to
    tab A's list (FAB's shared history sent it to the list tab B opened last)."""
    c, ids = premises
    c.get(FILTERED)            # tab A
    c.get(LIST)                # tab B
    assert _where(_delete(c, ids[0], referer=FILTERED)) == FILTERED
    c.get(FILTERED)            # tab A again
    assert _where(_delete(c, ids[1], referer=LIST)) == LIST


@pytest.mark.parametrize("target", [
    "http://evil.example/rental/premises/list/", "//evil.example/x", "https:evil.example", "javascript:alert(1)",
    "/\\evil.example", "\x01/rental/premises/list/", "rental/premises/list/", "ftp://localhost/x",
    "/static/appbuilder/css/ab.css", "/no/such/page", "/rental/premises/delete/1",
])
def test_only_pages_of_this_site_are_returned_to(app, premises, target):
    c, ids = premises
    assert _where(_delete(c, ids[0], next=target)) == LIST
    token = csrf_token(c.get(LIST).get_data(as_text=True))
    resp = c.post(f"/rental/premises/delete/{ids[1]}", data={"csrf_token": token},
                  headers={"Referer": target if "://" in target else "http://evil.example" + target})
    assert _where(resp) == LIST


def test_a_refused_action_returns_to_its_list(app, login):
    c = login("admin")
    token = csrf_token(c.get("/staff/list/").get_data(as_text=True))
    came_from = "/staff/list/?_flt_0_status=left"
    resp = c.post("/staff/action_post", data={"csrf_token": token, "action": "resign_selected", "rowid": "999999999"},
                  headers={"Referer": "http://localhost" + came_from})
    assert _where(resp) == came_from
    assert "部分选中的记录不存在或不在您的数据权限范围内" in c.get(came_from).get_data(as_text=True)
    # An action asked for by GET is refused, and goes back the same way.
    resp = c.get("/staff/action/resign_selected/1", headers={"Referer": "http://localhost" + came_from})
    assert _where(resp) == came_from
    assert "此操作必须通过对应的表单提交" in c.get(came_from).get_data(as_text=True)


def test_back_goes_to_the_list_of_the_page_it_was_clicked_on(app, premises):
    c, ids = premises
    assert _where(c.get("/back", headers={"Referer": f"http://localhost/rental/premises/show/{ids[0]}"})) == LIST
    assert _where(c.get("/back", headers={"Referer": f"http://localhost/rental/premises/edit/{ids[0]}"})) == LIST
    assert _where(c.get("/back", headers={"Referer": "http://localhost/rental/premises/add"})) == LIST
    assert _where(c.get("/back", query_string={"next": FILTERED})) == FILTERED
    home = _where(c.get("/back"))
    assert home == "/" or home.startswith("/?")
    for outside in ("http://evil.example/rental/premises/show/1", "http://localhost/no/such/page"):
        assert _where(c.get("/back", headers={"Referer": outside})) == home
    assert _where(c.get("/back", query_string={"next": "//evil.example/"})) == home


def test_back_to_takes_only_a_page_of_this_site(app):
    """returns.back_to (the allocation pages' way back): a local next, else the referring page,
    when it is a GET page of the console; else the default."""
    from app.core import returns

    page = "/rental/premises/list/?psize_PremisesView=10"
    cases = [
        ({"query_string": {"next": page}}, page),
        ({"method": "POST", "data": {"next": page}}, page),
        ({"headers": {"Referer": "http://localhost" + page}}, page),
        ({"query_string": {"next": "//evil.example/"}, "headers": {"Referer": "http://localhost" + page}}, page),
        ({"headers": {"Referer": "http://evil.example" + page}}, "/default"),
        ({"headers": {"Referer": "http://localhost/static/anju/anju.css"}}, "/default"),
        ({"query_string": {"next": "/rental/premises/delete/1"}}, "/default"),
        ({}, "/default"),
    ]
    for kwargs, expected in cases:
        with app.test_request_context("/somewhere", **kwargs):
            assert returns.back_to("/default") == expected, kwargs


def test_every_record_page_offers_a_way_back(app):
    """A record's own page (a view's show template of its own) is never a dead end: it has 返回
    (anju/_back.html or FAB's detail with its own), or a link back of its own (e.g. 核验's to the
    next listing)."""
    fab_show = "appbuilder/general/model/show.html"
    loader = app.jinja_env.loader
    checked = 0
    for view in app.appbuilder.baseviews:
        template = getattr(view, "show_template", None)
        if not template or template == fab_show:
            continue
        source = loader.get_source(app.jinja_env, template)[0]
        # FAB's detail (its show widget, or its show_form block kept by super()) brings its own 返回.
        fab_detail = "widgets.get('show')" in source or (
            f'extends "{fab_show}"' in source and "{% block show_form %}\n{{ super() }}" in source)
        ways = ('"anju/_back.html"', "UtilView.back", "_('Back')", "_('Back to the list')",
                "_('Back to the person')")   # a certificate's page goes back to its holder
        assert fab_detail or any(way in source for way in ways), template
        checked += 1
    assert checked >= 20


def test_back_on_a_complaint_page_goes_to_the_complaints(app, login):
    from tests.complaints.helpers import file_complaint

    with app.app_context():
        pk = file_complaint().id
    c = login("admin")
    page = c.get(f"/complaints/show/{pk}").get_data(as_text=True)
    assert 'class="btn btn-default btn-sm anju-back" href="/back">返回</a>' in page
    assert _where(c.get("/back", headers={"Referer": f"http://localhost/complaints/show/{pk}"})) == "/complaints/list/"


def test_the_permission_lists_leave_the_session_alone(app, login):
    """FAB's permission, view-menu and role-permission lists keep no back history either."""
    c = login("admin")
    c.get("/")
    for url in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/",
                "/permissions/list/?page_PermissionModelView=1"):
        resp = c.get(url)
        assert resp.status_code == 200, url
        assert "session=" not in resp.headers.get("Set-Cookie", ""), url
    with c.http.session_transaction() as session:
        assert "page_history" not in session
