"""The key that signs sessions, CSRF tokens and JWTs: never taken from the source code.

Rule (README, "Secret key"): SECRET_KEY from the environment wins. Without it, the embedded
default (SQLite, not ANJU_ENV=production) generates a random key on first run and keeps it in
``instance/secret_key`` (mode 600), reusing it afterwards, so every installation signs with its
own key. A production configuration -- ANJU_ENV=production, or a database that is not the
embedded SQLite (a server database means a deployment, possibly with several web servers that
must share one key) -- refuses to start without SECRET_KEY.
"""
import os
import secrets
import tempfile

KEY_FILE = "secret_key"


class MissingSecretKey(RuntimeError):
    """A production configuration without SECRET_KEY."""


def is_production(config):
    if str(config.get("ANJU_ENV") or "").strip().lower() == "production":
        return True
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    return not url.startswith("sqlite:")


def ensure_secret_key(app):
    """Set ``app.config['SECRET_KEY']`` by the rule above; raise MissingSecretKey if it cannot."""
    if app.config.get("SECRET_KEY"):
        return
    if is_production(app.config):
        raise MissingSecretKey(
            "SECRET_KEY 未设置：生产配置（ANJU_ENV=production，或数据库不是内置的 SQLite）必须在环境变量 "
            "SECRET_KEY 中提供随机密钥（各服务器相同），例如 "
            "python -c 'import secrets; print(secrets.token_hex(32))' 生成。"
            " SECRET_KEY is not set: a production configuration (ANJU_ENV=production, or a database "
            "other than the embedded SQLite) must get a random key from the SECRET_KEY environment "
            "variable, the same on every server."
        )
    app.config["SECRET_KEY"] = instance_key(app.instance_path)


def instance_key(instance_path):
    """The key kept in ``instance_path``, created (mode 600) on first use."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        # Write a temporary file, then link it into place: a second process starting at the
        # same moment either wins the link or reads the complete key of the winner.
        fd, tmp = tempfile.mkstemp(prefix=".secret_key.", dir=instance_path)  # mode 600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
    with open(path) as fh:
        key = fh.read().strip()
    if len(key) < 32:
        raise MissingSecretKey(f"{path} 中的密钥过短或为空：删除该文件后重新启动以生成新密钥。"
                               f" The key in {path} is empty or too short: delete the file and start again.")
    return key
