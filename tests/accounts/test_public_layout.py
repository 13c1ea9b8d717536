"""The citizen-facing layout (app/templates/anju/public_base.html): every public page has the
slim header with the logo and 安居管理台, 登录/注册 (or 进入管理台/退出 once signed in), the
language switch, the footer's service contact from its parameter, flash messages, FAB's
scripts and anju.js — and no admin menu."""
import re

import pytest
from sqlalchemy import update

from app.extensions import db
from app.system.models import Parameter
from tests.conftest import Client

PUBLIC_PAGES = [
    "/login/", "/login/?tab=org", "/login/?tab=sms",
    "/register/", "/register/person", "/register/org", "/register/staff", "/register/agreement",
    "/enterprise-lookup", "/enterprise-lookup?code=91500000MA00000000",
    "/complaint/new", "/complaint/track",
]


ALLOWED_WORDS = {"english", "pdf", "jpg", "jpeg", "png", "docx", "xlsx"}


def _text(html):
    """The words a reader sees (no tags, scripts or attribute values)."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_uses_the_public_layout(app, url):
    c = Client(app)
    resp = c.get(url)
    assert resp.status_code == 200, url
    html = resp.get_data(as_text=True)
    assert 'id="public-header"' in html and 'id="public-footer"' in html
    assert "anju/logo.svg" in html and "安居管理台" in html
    assert 'id="public-login"' in html and 'id="public-register"' in html
    assert "public.css" in html and "anju/anju.js" in html and "jquery" in html and "bootstrap.min.js" in html
    # No admin menu, no FAB navbar.
    assert "navbar-inverse" not in html and "navbar-collapse" not in html and 'class="navbar' not in html
    # The language switch: the other language as a link, this one marked.
    assert 'id="lang-en"' in html and "/lang/en" in html
    # The footer's service contact is the parameter's default.
    assert "服务热线" in _text(html)
    # Chinese words only (the language switch names English in English, as switches do; file
    # types keep their names).
    words = {w for w in re.findall(r"[A-Za-z]{3,}", _text(html)) if w.lower() not in ALLOWED_WORDS}
    assert not words, (url, sorted(words)[:20])


def test_login_is_a_narrow_column(app):
    html = Client(app).get("/login/").get_data(as_text=True)
    assert "anju-public-narrow" in html and 'id="loginbox"' in html


def test_signed_in_header_links_the_console_and_signs_out_by_post(app, login):
    c = login("admin")
    html = c.get("/complaint/track").get_data(as_text=True)
    assert 'id="public-console"' in html and "进入管理台" in html
    assert 'id="public-login"' not in html
    m = re.search(r'<form method="post" action="([^"]+)" class="anju-public-logout"', html)
    assert m and m.group(1).startswith("/logout")
    token = re.search(r'class="anju-public-logout".*?name="csrf_token" value="([^"]+)"', html, re.S).group(1)
    resp = c.post(m.group(1), data={"csrf_token": token})
    assert resp.status_code == 302
    assert 'id="public-login"' in c.get("/complaint/track").get_data(as_text=True)


def test_a_citizen_signed_in_is_offered_the_personal_centre(app):
    from tests.accounts.helpers import register_person

    c = Client(app)
    _resp, mobile, _id = register_person(c, app, name="钱公众")
    me = Client(app)
    assert me.login(mobile, "Anju#2026ok").status_code == 302
    html = me.get("/register/").get_data(as_text=True)
    assert re.search(r'id="public-console" href="/my/"', html) and "个人中心" in html


def test_service_contact_comes_from_the_parameter(app):
    with app.app_context():
        db.session.execute(update(Parameter).where(Parameter.key == "site.service_contact")
                           .values(value="客服电话：023-12345678"))
        db.session.commit()
    try:
        html = Client(app).get("/register/").get_data(as_text=True)
        assert "客服电话：023-12345678" in html
    finally:
        with app.app_context():
            db.session.execute(update(Parameter).where(Parameter.key == "site.service_contact")
                               .values(value="服务热线：12345（工作日 9:00—17:00）"))
            db.session.commit()


def test_flash_messages_show_on_public_pages(app):
    c = Client(app)
    resp = c.form("/login/", {"username": "", "password": ""})
    html = resp.get_data(as_text=True)
    assert 'class="alert alert-warning"' in html and "请输入账号和密码" in _text(html)


def test_english_on_request_on_public_pages(app):
    c = Client(app)
    c.get("/lang/en")
    html = c.get("/register/").get_data(as_text=True)
    assert "Sign in" in html or "Login" in html
    assert 'id="lang-zh"' in html
    c.get("/lang/zh")


def test_console_forms_keep_the_console_layout(app, login):
    c = login("admin")
    html = c.get("/my/mobile").get_data(as_text=True)
    assert 'id="public-header"' not in html
