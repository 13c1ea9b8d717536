"""Runs in .venv-bench: Django admin over PEER_DB, driven by Django's test Client.

Reads one JSON request a line on stdin ({"user": "admin", "url": "/admin/peer/complaint/"}),
answers one JSON line on stdout: status, milliseconds of client.get(), the row ids on the
page and the result count Django printed."""
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

call_command("migrate", database="default", run_syncdb=True, verbosity=0)
users = {
    "admin": User.objects.create_superuser("admin", "admin@example.com", "x"),
    "district1": User.objects.create_user("district1", "d1@example.com", "x", is_staff=True),
}
clients = {}
for name, user in users.items():
    c = Client()
    c.force_login(user)
    clients[name] = c

ID_RE = re.compile(r'href="/admin/peer/\w+/(\d+)/change/')
PAGINATOR_RE = re.compile(r'<p class="paginator">(.*?)</p>', re.S)

print(json.dumps({"ready": True, "django": django.get_version()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    client = clients[req["user"]]
    t0 = time.perf_counter()
    resp = client.get(req["url"])
    ms = (time.perf_counter() - t0) * 1000
    out = {"status": resp.status_code, "ms": ms}
    if req.get("parse"):
        html = resp.content.decode()
        out["ids"] = list(dict.fromkeys(int(x) for x in ID_RE.findall(html)))
        m = PAGINATOR_RE.search(html)
        numbers = re.findall(r"\d+", re.sub(r"<[^>]+>", " ", m.group(1))) if m else []
        out["count"] = int(numbers[-1]) if numbers else None
    print(json.dumps(out), flush=True)
