"""Confirmation dialogs in Chinese, naming the record, before actions that notify people or
cannot be undone; FAB's own dialogs speak Chinese too."""
from sqlalchemy import select

from app.complaints.models import Complaint
from app.extensions import db
from tests.browser.conftest import sign_in
from tests.complaints.helpers import file_complaint


def _status(app, pk):
    with app.app_context():
        db.session.expire_all()
        return db.session.execute(select(Complaint.status).where(Complaint.id == pk)).scalar()


def test_accepting_a_request_asks_first_naming_it(app, live_server, page):
    with app.app_context():
        complaint = file_complaint(content="电梯异响，请尽快处理")
        pk, number = complaint.id, complaint.number
        db.session.commit()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "pm_a")
    page.goto(f"{live_server}/complaints/show/{pk}")
    assert page.inner_text("#complaint-status").strip() == "待处理"

    page.click("#btn-accept")
    dialog = page.locator("#anju-confirm")
    dialog.wait_for(state="visible")
    text = page.inner_text("#anju-confirm-text")
    assert f"「{number}」" in text and "接收处理" in text and text.startswith("确定要")
    assert page.inner_text("#anju-confirm-ok").strip() == "确定"
    assert page.inner_text("#anju-confirm-cancel").strip() == "取消"
    assert page.inner_text("#anju-confirm-title").strip() == "请确认"

    # 取消: nothing happens.
    page.click("#anju-confirm-cancel")
    dialog.wait_for(state="hidden")
    assert _status(app, pk) == "pending"
    assert page.inner_text("#complaint-status").strip() == "待处理"

    # 确定: the action runs.
    page.click("#btn-accept")
    dialog.wait_for(state="visible")
    with page.expect_navigation():
        page.click("#anju-confirm-ok")
    page.wait_for_load_state("networkidle")
    assert _status(app, pk) == "processing"
    assert page.inner_text("#complaint-status").strip() != "待处理"
    assert not errors, errors


def test_a_bulk_action_without_a_selection_says_so_in_chinese(live_server, page):
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/jobs/list/")
    page.evaluate("() => new AdminActions().execute_multiple('pause', '')")
    page.locator("#modal-alert").wait_for(state="visible")
    alert = page.inner_text("#modal-alert")
    assert "请先勾选要操作的记录" in alert and "确定" in alert
    assert "No row selected" not in alert and "OK" not in alert


def test_deleting_from_a_list_names_the_row(live_server, page):
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/dictitemview/list/")
    button = page.locator(".anju-col-actions button:has-text('删除')").first
    row_text = button.locator("xpath=ancestor::tr").inner_text()
    button.click()
    page.locator("#anju-confirm").wait_for(state="visible")
    text = page.inner_text("#anju-confirm-text")
    assert text.startswith("确定要删除「") and "」" in text
    name = text.split("「", 1)[1].split("」", 1)[0]
    assert name and name in row_text
    page.click("#anju-confirm-cancel")
    page.locator("#anju-confirm").wait_for(state="hidden")
    assert page.url.endswith("/dictitemview/list/")


def _confirms(page):
    """{button id: its data-confirm text} of a page."""
    import html as html_lib
    import re

    out = {}
    for tag in re.findall(r"<(?:button|a)\b[^>]*\bdata-confirm=\"[^\"]*\"[^>]*>", page):
        ident = re.search(r'\bid="([^"]+)"', tag)
        text = re.search(r'\bdata-confirm="([^"]*)"', tag).group(1)
        out[ident.group(1) if ident else tag] = html_lib.unescape(text)
    return out


def test_every_decision_on_an_application_asks_naming_it(app, login):
    from app.core import workflow
    from app.security.models import AnjuUser

    with app.app_context():
        applicant = db.session.execute(select(AnjuUser).where(AnjuUser.username == "district1")).scalar_one()
        application = workflow.create("agency_filing", applicant=applicant, title="确认对话框测试经纪机构",
                                      region_code="500103", payload={}, submit=True)
        db.session.commit()
        pk, number = application.id, application.number
    c = login("reviewer")
    asks = _confirms(c.get(f"/applications/show/{pk}").get_data(as_text=True))
    assert "btn-accept" in asks, asks
    for ident, text in asks.items():
        assert text.startswith("确定要对「" + number + "」执行") and text.endswith("吗？"), (ident, text)
    assert "受理" in asks["btn-accept"]


def test_staff_delete_and_resign_ask_naming_the_person_masked(app, login):
    import re

    c = login("ent_a")
    page = c.get("/staff/list/").get_data(as_text=True)
    pk = re.search(r"/staff/show/(\d+)", page).group(1)
    show = c.get(f"/staff/show/{pk}").get_data(as_text=True)
    name = re.search(r'id="staff-name"[^>]*>([^<]+)<', show).group(1).strip()
    asks = _confirms(show)
    if "btn-delete" in asks:
        assert f"「{name}」" in asks["btn-delete"]
    if 'id="btn-resign"' in show:
        form = c.get(f"/staff/resign/{pk}").get_data(as_text=True)
        resign = _confirms(form)["btn-submit"]
        assert f"「{name}」" in resign and "离职" in resign
    assert asks or 'id="btn-resign"' in show
