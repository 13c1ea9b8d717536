"""The singletons every module shares. Created once, bound in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# One declarative base: FAB's Model. A separate db.Model breaks FKs to ab_user
# and makes Alembic propose dropping the ab_* tables.
db = SQLA(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()


def _sqlite_pragmas(dbapi_connection, _record):
    """An on-disk SQLite database runs in WAL mode with synchronous=NORMAL: readers never wait
    for a writer, and a commit (every audited page view writes one) costs no fsync of the main
    file. WAL with NORMAL stays consistent after a crash; at worst the last transactions before
    a power cut are lost. In-memory databases (the test suite) are left alone. A writer waits up
    to 30 s for the write lock (the driver's default is 5 s): a burst of registrations at a
    window's opening queues instead of failing with "database is locked"."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        if files and files[0]:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def _install_sqlite_pragmas():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


_install_sqlite_pragmas()
