"""需求及建议 in a real browser, in Chinese: the project lead prints the area's 码上办 code,
an anonymous resident scans it and files a complaint with a photo, the lead accepts it, the
street gives guidance, the lead completes it, the resident evaluates it; the 处理单 prints
and downloads as PDF. A second resident follows a complaint by number, mobile and SMS code
and revokes it. Every SMS is read from the outbox; every page stays offline."""
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from tests.browser.conftest import sign_in, wait_for_captcha
from tests.browser.test_accounts_flows import (assert_offline, flash_text, fresh_id, fresh_mobile,
                                               latest_sms_code, request_sms_code, submit_and_wait)
from tests.conftest import DEMO_PASSWORD, Client

AREA_CODE = "demo-heping"                 # public code of 和平小区 (app/cli.py DEMO_AREAS)
BRAND = "【安居管理台】"
NUMBER_RE = r"500103\d{12}"               # district + yyyymmdd + daily sequence


@pytest.fixture
def browse(browser):
    """Open pages in new browser contexts (separate cookies); every request of every page
    (popups included) is recorded."""
    contexts, requests = [], []

    def open_page():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        context.on("request", lambda req: requests.append(req.url))
        contexts.append(context)
        return context.new_page()

    open_page.requests = requests
    yield open_page
    for context in contexts:
        context.close()


def real_png(path):
    Image.new("RGB", (64, 48), (200, 60, 40)).save(path, format="PNG")
    assert path.read_bytes().startswith(b"\x89PNG")
    return path


def outbox(app, mobile):
    """Every SMS to ``mobile``, oldest first: [(template, content)]."""
    from app.core.sms import SmsMessage

    with app.app_context():
        rows = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == mobile)
                                  .order_by(SmsMessage.id)).scalars().all()
        return [(m.template, m.content) for m in rows]


def status(page):
    return page.inner_text("#complaint-status").strip()


def history(page, selector="#complaint-history tbody tr"):
    """The history rows as [operation, result, by, note] (time left out)."""
    return [[c.strip() for c in row.locator("td").all_inner_texts()[1:]]
            for row in page.locator(selector).all()]


def open_from_list(page, base, number):
    """需求及建议管理 → the row of ``number`` → its detail page. Returns the row's text."""
    page.goto(base + "/complaints/list/")
    row = page.locator("table tr", has_text=number)
    assert row.count() == 1, page.inner_text("body")[:2000]
    text = row.inner_text()
    with page.expect_navigation():
        row.locator("a[href*='/complaints/show/']").first.click()
    assert "/complaints/show/" in page.url
    assert number in page.inner_text("h2")
    return text


def act(page, action, note=None):
    if note is not None:
        page.fill(f"#note-{action}", note)
    submit_and_wait(page, f"#btn-{action}")


# --- 1. the whole life of a complaint ---------------------------------------------------------

def test_complaint_from_qr_code_to_evaluation(app, live_server, browse, tmp_path):
    from app.core.documents import qr_data_uri

    # The project lead signs in (the 码上办 code needs a lead who has signed in) and prints it.
    lead = browse()
    sign_in(lead, live_server, "pm_a", DEMO_PASSWORD)
    assert "/login" not in lead.url, flash_text(lead)
    lead.goto(live_server + "/areas/list/")
    assert "物业管理区域" in lead.inner_text("body")
    area_row = lead.locator("table tr", has_text="和平小区").first
    href = area_row.locator("a[href*='/areas/show/']").first.get_attribute("href")
    area_id = int(re.search(r"/areas/show/(\d+)", href).group(1))
    resp = lead.goto(f"{live_server}/areas/qr/{area_id}")
    assert resp.status == 200 and f"/areas/qr/{area_id}" in lead.url, flash_text(lead)
    assert "码上办" in lead.inner_text("h1")
    assert "和平小区" in lead.inner_text(".subtitle")
    link = lead.locator("table.fields th:has-text('链接') + td").inner_text().strip()
    assert link == f"{live_server}/complaint/new?area={AREA_CODE}", link
    qr = lead.locator("img.qr")
    assert qr.count() == 1
    src = qr.get_attribute("src")
    assert src.startswith("data:image/"), src[:40]
    assert src == qr_data_uri(link), "the QR code does not encode the link shown"
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    lead.screenshot(path=str(tmp_path / "qr.png"), full_page=True)

    # An anonymous resident scans it and files a request with a photo.
    person = browse()
    name, mobile, id_number = "周扫码", fresh_mobile("1310"), fresh_id()
    content = "3栋电梯经常停运，请尽快检修。"
    photo = real_png(tmp_path / "电梯照片.png")
    person.goto(link)
    assert "提交需求及建议" in person.inner_text("h2")
    assert "和平小区" in person.inner_text("#f-area_name")
    form = person.inner_text("form")
    for label in ("物业管理区域", "姓名", "证件号码", "手机号码", "图形验证码", "短信验证码", "地址", "内容", "附件"):
        assert label in form, label
    assert person.query_selector("#f-area") is None       # the area is fixed by the code
    wait_for_captcha(person)
    person.fill("#f-name", name)
    person.fill("#f-id_number", id_number)
    person.fill("#f-mobile", mobile)
    assert person.inner_text("#btn-sms").strip() == "获取验证码"
    person.fill("#f-sms_code", request_sms_code(person, app, mobile))
    person.fill("#f-address", "重庆市渝中区和平小区3栋2单元501")
    person.fill("#f-content", content)
    person.set_input_files("#f-files", str(photo))
    submit_and_wait(person)

    assert "/complaint/view/" in person.url, (person.url, person.inner_text("body")[:1500])
    number = person.url.rsplit("/", 1)[1]
    assert re.fullmatch(NUMBER_RE, number), number
    flashed = flash_text(person)
    assert "需求及建议已提交" in flashed and number in flashed, flashed
    assert number in person.inner_text("h2") and "我的需求及建议" in person.inner_text("h2")
    assert status(person) == "待处理"
    assert "电梯照片.png" in person.inner_text("#complaint-files")
    assert person.is_visible("#btn-revoke") and person.query_selector("#form-evaluate") is None
    # Masking is the viewer's: a public user sees names masked, their own included.
    assert history(person) == [["提交", "待处理", name[0] + "*" + name[-1], ""]]

    # The lead finds it in 需求及建议管理 with its remaining time, opens it and accepts it.
    row_text = open_from_list(lead, live_server, number)
    assert "待处理" in row_text and "和平小区" in row_text, row_text
    assert re.search(r"4天23小时\d+分", row_text), row_text
    body = lead.inner_text("body")
    assert "需求及建议" in body and "剩余处理时间" in body
    assert status(lead) == "待处理"
    assert re.fullmatch(r"4天23小时\d+分", lead.inner_text("#complaint-remaining").strip())
    assert content in lead.inner_text("#complaint-content")
    assert "电梯照片.png" in lead.inner_text("#complaint-files")
    assert "您的需求及建议我们已收到" in lead.inner_text("#accept-reply")
    assert lead.inner_text("#btn-accept").strip() == "接收处理"
    assert lead.query_selector("#btn-guide") is None          # guidance is the street's
    act(lead, "accept")
    assert "已完成：接收处理" in flash_text(lead), flash_text(lead)
    assert status(lead) == "处理中"
    assert lead.query_selector("#btn-accept") is None
    assert lead.inner_text("#btn-complete").strip() == "完成处理"
    template, sms_text = outbox(app, mobile)[-1]
    assert template == "complaint_accepted" and number in sms_text, sms_text
    assert "您的需求及建议我们已收到" in sms_text, sms_text

    # The street opens it and gives guidance.
    street = browse()
    sign_in(street, live_server, "street1", DEMO_PASSWORD)
    assert "/login" not in street.url, flash_text(street)
    open_from_list(street, live_server, number)
    assert status(street) == "处理中"
    assert street.inner_text("#btn-guide").strip() == "街道/区局指导"
    assert street.query_selector("#btn-complete") is None and street.query_selector("#btn-accept") is None
    guidance = "请物业公司三日内联系电梯维保单位检修并公示结果。"
    act(street, "guide", guidance)
    assert "已完成：街道/区局指导" in flash_text(street), flash_text(street)
    assert status(street) == "街道/区局指导"
    assert street.query_selector("#btn-guide") is None

    # The lead completes it.
    lead.reload()
    assert status(lead) == "街道/区局指导"
    result = "已联系维保单位更换控制板，电梯恢复运行。"
    act(lead, "complete", result)
    assert "已完成：完成处理" in flash_text(lead), flash_text(lead)
    assert status(lead) == "待评价"
    assert result in lead.inner_text("#complaint-result")
    assert lead.inner_text("#complaint-remaining").strip() == "-"
    template, sms_text = outbox(app, mobile)[-1]
    assert template == "complaint_completed" and number in sms_text and result in sms_text, sms_text

    # The resident (same browser: the session remembers the access) evaluates it.
    person.reload()
    assert status(person) == "待评价"
    assert result in person.inner_text("#complaint-result")
    assert "评价处理情况" in person.inner_text("#form-evaluate")
    assert person.query_selector("#btn-revoke") is None
    person.check("#star-5")
    comment = "处理及时，态度很好。"
    person.fill("#note-evaluate", comment)
    assert person.inner_text("#btn-evaluate").strip() == "提交评价"
    submit_and_wait(person, "#btn-evaluate")
    assert "已完成：评价" in flash_text(person), flash_text(person)
    assert status(person) == "已结束"
    assert person.inner_text("#complaint-satisfaction").strip() == f"★★★★★ {comment}"
    assert person.query_selector("#form-evaluate") is None
    steps = history(person)
    assert [s[:2] for s in steps] == [["提交", "待处理"], ["接收处理", "处理中"], ["街道/区局指导", "街道/区局指导"],
                                      ["完成处理", "待评价"], ["评价", "已结束"]], steps
    # Who acted, as the public sees it: masked.
    assert steps[0][2] == name[0] + "*" + name[-1] and steps[1][2] == "张*三" and steps[2][2] == "七*道"
    assert steps[2][3] == guidance and steps[3][3] == result and steps[4][3] == comment
    person.screenshot(path=str(tmp_path / "complainant-closed.png"), full_page=True)

    # The staff detail page: history, 打印处理单 and the PDF.
    lead.reload()
    assert status(lead) == "已结束"
    assert lead.query_selector("#complaint-actions") is None
    assert [s[:2] for s in history(lead)] == [s[:2] for s in steps]
    assert lead.inner_text("#btn-print").strip() == "打印处理单"
    with lead.context.expect_page() as popup:
        lead.click("#btn-print")
    sheet = popup.value
    sheet.wait_for_load_state("load")
    assert "/complaints/print/" in sheet.url
    assert number in sheet.inner_text(".doc-head")
    assert sheet.locator("img.qr").count() == 1
    printed = sheet.inner_text("table.grid")
    for text in ("提交", "接收处理", "街道/区局指导", "完成处理", "评价", "已结束", guidance, result, comment):
        assert text in printed, text
    sheet.close()
    pdf_href = lead.get_attribute("#btn-pdf", "href")
    pdf = lead.request.get(live_server + pdf_href if pdf_href.startswith("/") else pdf_href)
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf"), pdf.headers
    assert pdf.body().startswith(b"%PDF")

    # Every SMS to the resident went out in Chinese.
    messages = outbox(app, mobile)
    assert [t for t, _ in messages] == ["verify_code", "complaint_received", "complaint_accepted",
                                        "complaint_completed"], messages
    for _template, text in messages:
        assert text.startswith(BRAND), text
        assert "Anju" not in text and "request" not in text, text
    assert all(number in text for _t, text in messages[1:]), messages

    assert_offline(browse.requests, live_server)


# --- 2. follow a request by number and SMS code, and revoke it -------------------------------

def file_complaint(app, mobile, id_number):
    """Test setup: a request for 和平小区 filed through the Flask test client. Its SMS code is
    then dated two minutes back, so the browser may ask for a new one at once."""
    from app.core.sms import SmsCode

    c = Client(app)
    url = f"/complaint/new?area={AREA_CODE}"
    token = c.token(url)
    c.http.get("/captcha/sms.png")
    resp = c.http.post("/sms/send", data={"mobile": mobile, "purpose": "complaint", "captcha": "TEST",
                                          "csrf_token": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = c.http.post(url, data={"name": "吴撤销", "id_number": id_number, "mobile": mobile,
                                  "sms_code": latest_sms_code(app, mobile), "address": "重庆市渝中区和平小区1栋",
                                  "content": "楼道灯不亮。", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    number = resp.headers["Location"].rsplit("/", 1)[1]
    assert re.fullmatch(NUMBER_RE, number), number
    with app.app_context():
        for code in db.session.execute(select(SmsCode).where(SmsCode.mobile == mobile)).scalars():
            code.created_at -= timedelta(minutes=2)
        db.session.commit()
    return number


def test_complainant_tracks_and_revokes_a_pending_request(app, live_server, browse):
    mobile, id_number = fresh_mobile("1310"), fresh_id()
    number = file_complaint(app, mobile, id_number)

    person = browse()
    # Without proving the mobile, the request's page does not exist for this browser.
    assert person.goto(f"{live_server}/complaint/view/{number}").status == 404
    person.goto(live_server + "/complaint/track")
    assert "查询需求及建议" in person.inner_text("h2")
    form = person.inner_text("form")
    for label in ("需求及建议编号", "手机号码", "图形验证码", "短信验证码"):
        assert label in form, label
    wait_for_captcha(person)
    person.fill("#f-number", number)
    person.fill("#f-mobile", mobile)
    person.fill("#f-sms_code", request_sms_code(person, app, mobile))
    submit_and_wait(person)
    assert person.url.endswith(f"/complaint/view/{number}"), (person.url, person.inner_text("body")[:1500])
    assert status(person) == "待处理"
    assert person.query_selector("#form-evaluate") is None
    assert person.inner_text("#btn-revoke").strip() == "撤销需求及建议"

    asked = submit_and_wait(person, "#btn-revoke")
    assert asked and "撤销" in asked and f"「{number}」" in asked, asked
    assert "已完成：撤销" in flash_text(person), flash_text(person)
    assert status(person) == "已撤销"
    assert person.query_selector("#btn-revoke") is None
    assert [s[:2] for s in history(person)] == [["提交", "待处理"], ["撤销", "已撤销"]]

    # The project lead sees it revoked, with nothing left to do.
    lead = browse()
    sign_in(lead, live_server, "pm_a", DEMO_PASSWORD)
    row_text = open_from_list(lead, live_server, number)
    assert "已撤销" in row_text, row_text
    assert status(lead) == "已撤销"
    assert lead.inner_text("#complaint-remaining").strip() == "-"
    assert lead.query_selector("#btn-accept") is None
    assert lead.query_selector("#complaint-actions") is None

    messages = outbox(app, mobile)
    assert [t for t, _ in messages] == ["verify_code", "complaint_received", "verify_code"], messages
    assert all(text.startswith(BRAND) for _t, text in messages), messages
    assert_offline(browse.requests, live_server)
