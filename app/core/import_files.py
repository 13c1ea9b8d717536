"""Error workbooks of imports: the upload given back with its problems marked, stored for
the user who uploaded it under ``<instance>/import-errors``. They hold the uploaded rows
(full ID numbers included), so they are kept ``import.error_keep_hours`` hours (a runtime
parameter, 24 by default): older ones are no longer served, and the daily clean-up job
(``system.cleanup``) deletes them."""
import os
import secrets
import time

from flask import current_app

SUFFIX = ".xlsx"


def error_dir():
    path = os.path.join(current_app.instance_path, "import-errors")
    os.makedirs(path, exist_ok=True)
    return path


def keep_seconds():
    from app.system.params import get_param

    return get_param("import.error_keep_hours") * 3600


def path_for(user_id, token):
    """The file of ``token`` for ``user_id``; None for a token that is not ours."""
    if not token or not token.isalnum() or len(token) > 64:
        return None
    return os.path.join(error_dir(), f"{user_id}-{token}{SUFFIX}")


def store(user_id, content):
    """Keep ``content`` for ``user_id``; return its token."""
    token = secrets.token_hex(16)
    path = path_for(user_id, token)
    with open(path, "wb") as fh:
        fh.write(content)
    os.chmod(path, 0o600)
    return token


def find(user_id, token):
    """The path of a stored workbook still within its keeping time, else None."""
    path = path_for(user_id, token)
    try:
        if path is None or time.time() - os.path.getmtime(path) > keep_seconds():
            return None
    except OSError:
        return None
    return path


def purge():
    """Delete the workbooks older than the keeping time; return how many."""
    directory = os.path.join(current_app.instance_path, "import-errors")
    if not os.path.isdir(directory):
        return 0
    limit = time.time() - keep_seconds()
    removed = 0
    for entry in os.scandir(directory):
        try:
            if entry.is_file() and entry.name.endswith(SUFFIX) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:  # removed meanwhile
            continue
    return removed
