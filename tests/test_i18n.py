"""Chinese first: the zh catalog has no untranslated or fuzzy entry, covers every msgid
of ours, and pages render in Chinese by default and in English on request."""
import os
import subprocess
import sys

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PO = os.path.join(ROOT, "translations", "zh", "LC_MESSAGES", "messages.po")


def load_catalog(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def test_zh_catalog_complete_and_not_fuzzy():
    catalog = load_catalog(PO)
    missing = [m.id for m in catalog if m.id and not (m.string if not isinstance(m.id, tuple) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"untranslated: {missing[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_every_source_string_is_in_the_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = os.path.join(os.path.dirname(sys.executable), "pybabel")
    subprocess.run([pybabel, "extract",
                    "-F", os.path.join(ROOT, "babel.cfg"), "-k", "lazy_gettext", "-k", "_l",
                    "-o", str(pot), ROOT], check=True, cwd=ROOT, capture_output=True)
    extracted = {m.id for m in load_catalog(str(pot)) if m.id}
    ours = {m.id for m in load_catalog(PO) if m.id}
    assert not (extracted - ours), f"not in the zh catalog: {sorted(extracted - ours)[:20]}"


def test_login_page_in_chinese_by_default(client):
    html = client.get("/login/").get_data(as_text=True)
    assert "登录" in html
    assert "Sign In" not in html


def test_english_on_request(app, login):
    c = login("admin")
    c.get("/lang/en")
    html = c.get("/orgusers/list/").get_data(as_text=True)
    assert "Organization users" in html
    c.get("/lang/zh")
    assert "机构账号" in c.get("/orgusers/list/").get_data(as_text=True)
