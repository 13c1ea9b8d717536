"""Fixtures: one real app and one migrated, seeded database per test session.

SQLite (a file in a temp dir) by default; PostgreSQL when TEST_DATABASE_URL is set
(.ci/run does that). The schema is built by the Alembic migrations, not create_all,
so every test also exercises them. Tests that need a pristine database of their own
use ``fresh_app``.
"""
import os
import re
import tempfile

import pytest
from sqlalchemy import text

DEMO_PASSWORD = "Anju@2026"


def _database_url(tmpdir, name="anju"):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if name == "anju":
            return url
        return _postgres_sibling(url, name)
    return "sqlite:///" + os.path.join(tmpdir, f"{name}.db")


def _postgres_sibling(url, name):
    """A second PostgreSQL database beside the session's, for tests that damage data."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    sibling = base.set(database=f"{base.database}_{name}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": sibling.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{sibling.database}"'))
    engine.dispose()
    return sibling.render_as_string(hide_password=False)


def _reset_postgres(url):
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_app(tmpdir, name="anju", seed=True):
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import load_demo, load_reference, sync_roles

    url = _database_url(tmpdir, name)
    if url.startswith("postgresql"):
        _reset_postgres(url)
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url,
                     DEMO_PASSWORD=DEMO_PASSWORD, SERVER_NAME=None,
                     UPLOAD_DIR=os.path.join(tmpdir, "uploads"))
    app.instance_path = tmpdir
    with app.app_context():
        upgrade()
        sync_roles()
        if seed:
            load_reference()
            load_demo(DEMO_PASSWORD)
            # Every test request comes from 127.0.0.1: lift the per-IP daily SMS cap
            # (tests/core/test_sms.py proves the cap itself with its own low value).
            from app.system.models import Parameter
            from app.extensions import db as _db

            _db.session.execute(text("UPDATE anju_param SET value = '100000' WHERE key = 'sms.daily_per_ip'"))
            _db.session.commit()
    return app


@pytest.fixture(scope="session")
def app():
    tmpdir = tempfile.mkdtemp(prefix="anju-test-")
    application = build_app(tmpdir)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_app(tmp_path):
    """A pristine, separately migrated and seeded app (for tests that damage data)."""
    from app.extensions import db

    application = build_app(str(tmp_path), name="fresh")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        from app.extensions import db

        db.session.rollback()
        db.session.remove()


def csrf_token(html):
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html) or \
        re.search(r'csrf_token[^"]*"\s*content="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Client:
    """The Flask test client plus the steps a user takes (log in, submit forms with CSRF)."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()

    def get(self, *a, **kw):
        return self.http.get(*a, **kw)

    def post(self, *a, **kw):
        return self.http.post(*a, **kw)

    def token(self, url="/login/"):
        return csrf_token(self.http.get(url).get_data(as_text=True))

    def login(self, username, password=DEMO_PASSWORD, captcha=True):
        """Sign in by the form. After 3 failures the form wants the picture code: the test
        config fixes its characters (CAPTCHA_TEST_ANSWER), so fetch one and type it."""
        token = self.token("/login/")
        data = {"username": username, "password": password, "csrf_token": token}
        if captcha:
            self.http.get("/captcha/login.png")
            data["captcha"] = "TEST"
        return self.http.post("/login/", data=data, follow_redirects=False)

    def logout(self):
        """退出登录 is a POST with the page's CSRF token (GET /logout/ only asks)."""
        token = csrf_token(self.http.get("/logout/", follow_redirects=True).get_data(as_text=True))
        return self.http.post("/logout/", data={"csrf_token": token})

    def form(self, url, data, get_url=None, **kw):
        token = self.token(get_url or url)
        payload = dict(data)
        payload["csrf_token"] = token
        return self.http.post(url, data=payload, **kw)


@pytest.fixture
def client(app):
    return Client(app)


def as_user(app, username):
    c = Client(app)
    resp = c.login(username)
    assert resp.status_code == 302, f"login of {username} failed"
    return c


@pytest.fixture
def login(app):
    return lambda username: as_user(app, username)


def api_token(app, username, password=DEMO_PASSWORD):
    http = app.test_client()
    resp = http.post("/api/v1/security/login", json={"username": username, "password": password,
                                                      "provider": "db"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["access_token"]


@pytest.fixture
def api(app):
    def make(username):
        token = api_token(app, username)
        http = app.test_client()
        return http, {"Authorization": f"Bearer {token}"}

    return make
