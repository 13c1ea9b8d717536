"""The signing key never comes from the source: the embedded default makes its own random key
and keeps it in instance/ (mode 600); a production configuration without SECRET_KEY refuses
to start. Each case starts the real app in a fresh process with its own environment."""
import os
import stat
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = "from app import create_app; print('KEY=' + create_app().config['SECRET_KEY'])"


def start(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SECRET_KEY", "ANJU_ENV", "DATABASE_URL", "INSTANCE_DIR", "TEST_DATABASE_URL")}
    environ.update({"INSTANCE_DIR": str(tmp_path / "instance"),
                    "DATABASE_URL": "sqlite:///" + str(tmp_path / "anju.db")})
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)
    keys = [line[4:] for line in done.stdout.splitlines() if line.startswith("KEY=")]
    return done.returncode, (keys[0] if keys else None), done.stderr


def test_the_embedded_default_makes_its_own_key_and_keeps_it(tmp_path):
    code, key, err = start(tmp_path)
    assert code == 0, err
    path = tmp_path / "instance" / "secret_key"
    assert path.read_text() == key
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The next start reuses it: sessions and tokens survive a restart.
    code, again, err = start(tmp_path)
    assert code == 0, err
    assert again == key
    # Another installation gets another key.
    other = tmp_path / "other"
    other.mkdir()
    code, theirs, err = start(other)
    assert code == 0, err
    assert theirs != key


def test_a_loose_key_file_is_closed_to_mode_600(tmp_path):
    (tmp_path / "instance").mkdir()
    path = tmp_path / "instance" / "secret_key"
    path.write_text("ab" * 32)
    path.chmod(0o644)
    code, key, err = start(tmp_path)
    assert code == 0, err
    assert key == "ab" * 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("env", [
    {"ANJU_ENV": "production"},
    {"DATABASE_URL": "postgresql+psycopg2://anju:pw@127.0.0.1:5432/anju"},
])
def test_production_without_secret_key_refuses_to_start(tmp_path, env):
    code, key, err = start(tmp_path, **env)
    assert code != 0 and key is None
    assert "MissingSecretKey: SECRET_KEY 未设置：生产配置（ANJU_ENV=production，或数据库不是内置的 SQLite）" \
           "必须在环境变量 SECRET_KEY 中提供随机密钥" in err
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_with_secret_key_uses_it(tmp_path):
    code, key, err = start(tmp_path, ANJU_ENV="production", SECRET_KEY="k" * 40)
    assert code == 0, err
    assert key == "k" * 40
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_no_key_in_the_source():
    for folder, _dirs, files in os.walk(ROOT):
        if any(part in folder for part in (".git", ".venv", "__pycache__", "node_modules")):
            continue
        for name in files:
            if name.endswith((".py", ".cfg", ".ini", ".toml", ".env", ".md", ".yml", ".yaml", ".sh")) \
                    or name == "Makefile":
                with open(os.path.join(folder, name), encoding="utf-8", errors="ignore") as fh:
                    assert "dev-only-change" + "-me-in-production" not in fh.read(), name
