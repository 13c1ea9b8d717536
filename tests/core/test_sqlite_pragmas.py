"""An on-disk SQLite database runs in WAL mode with synchronous=NORMAL; in-memory ones (the
suite's) are left alone."""
from sqlalchemy import create_engine, text

import app.extensions  # noqa: F401  (installs the connect hook)


def test_file_database_in_wal_mode(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'anju.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


def test_memory_database_untouched():
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "memory"
    engine.dispose()
