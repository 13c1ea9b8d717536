"""Configuration. Every value can be overridden from the environment.

The defaults serve the embedded SQLite database under instance/; set DATABASE_URL
(e.g. postgresql+psycopg2://anju:secret@127.0.0.1/anju) for PostgreSQL.
"""
import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("INSTANCE_DIR", os.path.join(BASE_DIR, "instance"))


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class Config:
    APP_NAME = "安居管理台"
    APP_ICON = "/static/anju/logo.svg"
    APP_THEME = ""

    # Unset: the embedded default keeps a random key in instance/secret_key; a production
    # configuration refuses to start (app/security/secret_key.py).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # "production" makes SECRET_KEY mandatory even on SQLite.
    ANJU_ENV = os.environ.get("ANJU_ENV", "development")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "anju.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # The most recently used connection is taken first (its page cache is warm; idle ones can
    # time out); a server database's connection is checked before use, which a SQLite file's
    # needs not be (create_app drops the check there: a round trip on every request).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_use_lifo": True}

    # Alembic owns every table, ab_* included; permissions are synced by `flask roles sync`.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_API = False
    FAB_ADD_SECURITY_PERMISSION_VIEW = True
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = True
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = True
    FAB_API_SWAGGER_UI = True
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.AnjuSecurityManager"
    FAB_INDEX_VIEW = "app.system.views.HomeView"
    FAB_BASE_TEMPLATE = "anju/base.html"
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_PASSWORD_COMPLEXITY_VALIDATOR = "app.security.passwords.fab_password_validator"

    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "sysadmin"
    AUTH_ROLE_PUBLIC = "anonymous"
    AUTH_USER_REGISTRATION = False

    # Security baseline (defaults; sysadmin may change the runtime parameters).
    LOCKOUT_THRESHOLD = _int("LOCKOUT_THRESHOLD", 5)
    LOCKOUT_MINUTES = _int("LOCKOUT_MINUTES", 30)
    IDLE_TIMEOUT_MINUTES = _int("IDLE_TIMEOUT_MINUTES", 30)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int("IDLE_TIMEOUT_MINUTES", 30))
    # The session is sent again when it changes (its last activity moves every 30 s,
    # app/security/manager.py), not on every request.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_int("JWT_ACCESS_MINUTES", 30))
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", False)

    # Platforms (api_client accounts) call the REST API with keys that sysadmin issues
    # (app/rental/verification/apikeys.py): `Authorization: Bearer anju_...`. The prefix tells
    # a key from a JWT (JWTs start with "eyJ"). A key is 32 random bytes (256 bits): no
    # dictionary or brute force reaches it, so the slow hash that protects low-entropy passwords
    # buys nothing here and would cost every verification request ~50 ms of CPU; a light
    # PBKDF2 keeps the stored hash one-way and a request fast. The lookup hash (FAB's keyed
    # scrypt, n=2) uses SECRET_KEY: rotating SECRET_KEY invalidates every key.
    FAB_API_KEY_ENABLED = _bool("FAB_API_KEY_ENABLED", True)
    FAB_API_KEY_PREFIXES = ["anju_"]
    FAB_API_KEY_HASH_METHOD = os.environ.get("FAB_API_KEY_HASH_METHOD", "pbkdf2:sha256:1000")
    FAB_API_KEY_HASH_SALT_LENGTH = 16

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Lists and exports
    PAGE_SIZE_DEFAULT = 20
    PAGE_SIZE_MAX = _int("PAGE_SIZE_MAX", 200)
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 100_000)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)

    # SMS gateway: "outbox" (stored, read by sysadmin in the console) or "package.module:Class".
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "outbox")
    # Uploaded files live outside the web root, under random names.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(INSTANCE_DIR, "uploads"))
    # Real-name verification adapter: "registry" (the local reference registry) or "package.module:Class".
    REALNAME_ADAPTER = os.environ.get("REALNAME_ADAPTER", "registry")

    # Scheduler process (`flask jobs run`): seconds between looks for due jobs.
    JOBS_POLL_SECONDS = _int("JOBS_POLL_SECONDS", 15)
    # Background exports and imports (app/core/tasks.py): "thread" (a worker thread of the web
    # process starts them; the scheduler process also takes any left queued), "worker" (only the
    # scheduler process runs them) or "inline" (at once in the request: the test suite).
    TASKS_RUN = os.environ.get("TASKS_RUN", "thread")
    TASKS_THREADS = _int("TASKS_THREADS", 1)
    TASKS_PROGRESS_SECONDS = float(os.environ.get("TASKS_PROGRESS_SECONDS", "0.5"))

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Anju@2026")
    PROXY_FIX = _bool("PROXY_FIX", False)


class TestConfig(Config):
    TESTING = True
    # Background tasks run inside the request that queues them (tests that need a real thread,
    # e.g. the browser's progress bar, switch to "thread").
    TASKS_RUN = "inline"
    # Fixed picture-code characters so tests can type them (honoured only under TESTING).
    CAPTCHA_TEST_ANSWER = "TEST"
    SECRET_KEY = "test-secret-fixed-for-the-suite-not-for-use-anywhere-else"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "DATABASE_URL", "sqlite://"
    )
