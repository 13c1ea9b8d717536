"""首页 role by role: the greeting, each role's 待办 (and only its own), 快捷入口, counts kept in
the user's scope, every count's link opening a list that shows that many rows, and a bounded
number of statements for the whole page.

The data-heavy tests share a pristine database of their own (``worked``), so each count is
known exactly; the rows are made as the modules make them (the complaint service, the workflow)
or as plain rows where only dates matter (a certificate's validity, an equipment's next due)."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db
from tests.conftest import Client

# Words of the page that must never reach a zh user.
ENGLISH = ["To do", "Shortcuts", "Hello", "Your roles", "Requests", "awaiting review", "Locked accounts",
           "Unread notices", "Nothing is waiting"]


def todo_counts(html):
    """{element id: count} of the 待办 cards on a home page."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r'id="(home-[\w-]+)" data-count="(\d+)"', html)}


def todo_links(html):
    """{element id: (count, href)} of the 待办 cards."""
    out = {}
    for m in re.finditer(r'<a id="(home-[\w-]+)" data-count="(\d+)"[^>]*?href="([^"]+)"', html, re.S):
        out[m.group(1)] = (int(m.group(2)), m.group(3).replace("&amp;", "&"))
    return out


def list_count(html):
    """The row count a list page states (FAB's 记录数, or the console's 共 N 条)."""
    m = re.search(r"记录数\s*[:：]?\s*</strong>\s*([\d,]+)", html) or re.search(r"共\s*([\d,]+)\s*条", html)
    if m:
        return int(m.group(1).replace(",", ""))
    if "没有记录" in html or "No records found" in html or "暂无数据" in html:
        return 0
    raise AssertionError("the list states no row count")


def _home(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for word in ENGLISH:
        assert word not in html, word
    return html


# --- every role ----------------------------------------------------------------------------

ROLE_TODOS = {
    # user: (cards that must be there, cards that must not)
    "admin": ({"home-jobs-failed", "home-accounts-locked", "home-applications-agency-filing"}, set()),
    "reviewer": ({"home-applications-org-registration", "home-applications-agency-filing",
                  "home-applications-enterprise-filing"},
                 {"home-jobs-failed", "home-accounts-locked", "home-complaints-pending"}),
    "district1": ({"home-complaints-pending", "home-complaints-overdue", "home-complaints-due-soon",
                   "home-complaints-escalated", "home-notices-unread"},
                  {"home-jobs-failed", "home-accounts-locked", "home-applications-agency-filing",
                   "home-staff-certificates-expiring"}),
    "street1": ({"home-complaints-overdue", "home-complaints-escalated", "home-notices-unread"},
                {"home-jobs-failed", "home-accounts-locked", "home-filing-returned"}),
    "ent_a": ({"home-filing-returned", "home-care-inspection-overdue", "home-care-maintenance-overdue",
               "home-staff-certificates-expiring", "home-complaints-pending", "home-accounts-locked"},
              {"home-jobs-failed", "home-complaints-due-soon", "home-applications-agency-filing"}),
    "pm_a": ({"home-complaints-pending", "home-complaints-due-soon", "home-complaints-overdue",
              "home-care-inspection-overdue"},
             {"home-jobs-failed", "home-accounts-locked", "home-applications-agency-filing",
              "home-staff-certificates-expiring", "home-filing-returned"}),
    "helpdesk": (set(), {"home-jobs-failed", "home-complaints-pending", "home-applications-agency-filing"}),
    "analyst": ({"home-complaints-pending", "home-complaints-overdue"},
                {"home-jobs-failed", "home-accounts-locked", "home-complaints-due-soon"}),
    "public1": (set(), {"home-jobs-failed", "home-complaints-pending", "home-notices-unread"}),
}

ROLE_SHORTCUTS = {
    "admin": ["home-shortcut-jobs", "home-shortcut-audit"],
    "reviewer": ["home-shortcut-applications"],
    "district1": ["home-shortcut-complaints-list", "home-shortcut-complaints-stats"],
    "street1": ["home-shortcut-complaints-list"],
    "ent_a": ["home-shortcut-staff-list", "home-shortcut-filing-file", "home-shortcut-care-equipment",
              "home-shortcut-accounts-staff-account"],
    "pm_a": ["home-shortcut-care-equipment", "home-shortcut-complaints-list"],
    "helpdesk": ["home-shortcut-accounts-helpdesk"],
    "analyst": ["home-shortcut-complaints-stats"],
    "public1": ["home-shortcut-complaints-new", "home-shortcut-complaints-track", "home-shortcut-accounts-my"],
}


def test_anonymous_home_shows_the_public_entrances(client):
    html = _home(client)
    for element in ("home-login", "home-register", "home-enterprise-lookup", "home-complaint-new",
                    "home-complaint-track"):
        assert f'id="{element}"' in html
    assert "home-todos" not in html and "anju/home.css" in html


@pytest.mark.parametrize("username", sorted(ROLE_SHORTCUTS))
def test_each_role_sees_its_shortcuts_in_chinese(app, login, username):
    html = _home(login(username))
    assert 'id="home-greeting"' in html and "待办" in html
    for element in ROLE_SHORTCUTS[username]:
        assert f'id="{element}"' in html, element
    if username != "admin":
        # System administration is the administrator's alone.
        assert 'id="home-shortcut-jobs"' not in html and 'id="home-shortcut-audit"' not in html
    # Every shortcut opens a page the role may see.
    c = login(username)
    for href in re.findall(r'class="anju-home-shortcut" id="[^"]+" href="([^"]+)"', html):
        assert c.get(href).status_code == 200, href


def test_a_role_without_work_is_told_so(app, login):
    html = _home(login("helpdesk"))
    assert 'id="home-todos-empty"' in html and "暂无待办事项" in html


def test_links_name_the_list_filters_by_their_own_names(app):
    """A link is built from the view's filter (found by its arg_name), whatever its index."""
    from app.core import worklist

    with app.test_request_context():
        assert worklist.filter_arg("ComplaintView", "due_at", "overdue") == "_flt_0_due_at"
        url = worklist.list_url("ApplicationView", ("app_type", "eq", "agency_filing"), ("status", "app_waiting", "y"))
        assert url == "/applications/list/?_flt_0_app_type=agency_filing&_flt_1_status=y"
        with pytest.raises(LookupError):
            worklist.filter_arg("ComplaintView", "due_at", "no_such_filter")


def test_greeting_names_the_user_role_and_organisation(app, login):
    html = _home(login("pm_a"))
    assert "张小三" in html      # the user's own name, in full
    assert re.search(r'id="home-roles">项目负责人<', html)
    assert re.search(r'id="home-org">重庆安居物业服务有限公司<', html)


# --- the data ------------------------------------------------------------------------------

def _user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def _org(name):
    from app.system.models import Organization

    return db.session.execute(select(Organization).where(Organization.name == name)).scalars().one()


def _complaint(area_name, moment, escalate=False):
    from tests.complaints.helpers import file_complaint

    c = file_complaint(area_name=area_name, moment=moment)
    if escalate:
        c.escalated_at = datetime.now()
        db.session.commit()
    return c


def _seed_work(app):
    """A few rows of each kind of work, some of them out of the demo users' scope."""
    from app.accounts.services import AGENCY_FILING
    from app.core import jobs, notices, workflow
    from app.core.workflow import Action
    from app.property.enterprise.services import ENTERPRISE_FILING
    from app.property.models import Certificate, Equipment, Staff
    from tests.complaints.helpers import make_area

    with app.app_context():
        now = datetime.now()
        ent_a = _org("重庆安居物业服务有限公司")
        # Complaints: 渝中区 (district1, street1, ent_a, pm_a) and 渝北区 (out of their scope).
        make_area("首页渝北小区", district="500112", street="500112002", company="重庆渝北宜居住房租赁有限公司",
                  lead="admin")                 # any account: pm_a must not lead it
        _complaint("和平小区", now)                                    # pending, not due
        _complaint("和平小区", now - timedelta(days=12), escalate=True)  # overdue and escalated
        _complaint("和平小区", now - timedelta(days=9))                  # overdue
        _complaint("和平小区", now - timedelta(days=5) + timedelta(hours=6))  # due within 24 hours
        _complaint("首页渝北小区", now - timedelta(days=12), escalate=True)  # another district
        _complaint("首页渝北小区", now - timedelta(days=9))
        # Business applications waiting (an agency filing), and an enterprise filing returned.
        district = _user("district1")
        workflow.create(AGENCY_FILING, applicant=district, title="首页待审核机构", org_id=district.org_id,
                        region_code="500103", submit=True)
        ent_admin = _user("ent_a")
        filing = workflow.create(ENTERPRISE_FILING, applicant=ent_admin, title=ent_a.name, org_id=ent_a.id,
                                 region_code="500103", submit=True, payload={"is_local": True})
        db.session.commit()
        workflow.transition(filing, Action.RETURN, _user("reviewer"), reason="材料不全")
        db.session.commit()
        # A failed job run; a locked account (of another enterprise).
        jobs.sync_jobs()
        db.session.add(jobs.JobRun(job_id="system.cleanup", status=jobs.JobStatus.FAILED,
                                   started_at=now - timedelta(days=1), error="x"))
        db.session.add(jobs.JobRun(job_id="system.cleanup", status=jobs.JobStatus.FAILED,
                                   started_at=now - timedelta(days=30), error="old"))
        _user("ent_b").locked_until = now + timedelta(hours=1)
        # Certificates: one expiring in 10 days, one in 90 (not yet a to-do), one expired.
        staff = db.session.execute(select(Staff).where(Staff.org_id == ent_a.id, Staff.name == "王保洁")).scalars().one()
        today = date.today()
        for n, until in (("HOME-1", today + timedelta(days=10)), ("HOME-2", today + timedelta(days=90)),
                         ("HOME-3", today - timedelta(days=1))):
            db.session.add(Certificate(staff_id=staff.id, org_id=ent_a.id, cert_type="other", number=n,
                                       valid_until=until))
        # Equipment in 和平小区 (pm_a leads it): inspection and maintenance past due.
        from tests.complaints.helpers import area

        heping = area("和平小区")
        db.session.add(Equipment(org_id=ent_a.id, area_id=heping.id, region_code=heping.region_code,
                                 equip_type="elevator", name="首页电梯", status="in_use",
                                 next_inspection_due=today - timedelta(days=3),
                                 next_maintenance_due=today - timedelta(days=1)))
        db.session.add(Equipment(org_id=ent_a.id, area_id=heping.id, region_code=heping.region_code,
                                 equip_type="elevator", name="首页水泵", status="in_use",
                                 next_inspection_due=today + timedelta(days=20)))
        # An unread notice to the street office.
        notices.notify(_org("七星岗街道办事处"), "首页测试通知")
        db.session.commit()


@pytest.fixture(scope="module")
def worked(tmp_path_factory):
    """One pristine app for this module's data tests (building one per test costs a minute)."""
    from tests.conftest import build_app

    application = build_app(str(tmp_path_factory.mktemp("home")), name="home")
    _seed_work(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _as(app, username):
    c = Client(app)
    assert c.login(username).status_code == 302
    return c


def test_each_role_sees_its_own_todos_and_the_counts(worked):
    counts = {}
    for username, (present, absent) in ROLE_TODOS.items():
        html = _home(_as(worked, username))
        found = todo_counts(html)
        counts[username] = found
        assert present <= set(found), (username, present - set(found))
        assert not (absent & set(found)), (username, absent & set(found))
    pm, district, street, ent, admin = (counts[u] for u in ("pm_a", "district1", "street1", "ent_a", "admin"))
    # Exactly what was made, in scope: pm_a leads 和平小区, district1 and street1 reach 渝中区.
    assert pm["home-complaints-pending"] == 4
    assert pm["home-complaints-overdue"] == 2 and pm["home-complaints-due-soon"] == 1
    assert pm["home-complaints-escalated"] == 1
    assert district["home-complaints-overdue"] == 2 and district["home-complaints-escalated"] == 1
    assert street["home-complaints-overdue"] == 2
    # The administrator sees the 渝北区 rows too.
    assert admin["home-complaints-overdue"] == 4 and admin["home-complaints-escalated"] == 2
    assert admin["home-jobs-failed"] == 1 and admin["home-accounts-locked"] == 1
    assert counts["reviewer"]["home-applications-agency-filing"] == 1
    assert counts["reviewer"]["home-applications-enterprise-filing"] == 0     # returned: not waiting
    assert ent["home-filing-returned"] == 1
    assert ent["home-staff-certificates-expiring"] == 1
    assert ent["home-care-inspection-overdue"] == 1 and ent["home-care-maintenance-overdue"] == 1
    assert ent["home-accounts-locked"] == 0             # ent_b's account is another enterprise's
    assert pm["home-care-inspection-overdue"] == 1
    assert street["home-notices-unread"] == 1 and district["home-notices-unread"] == 0


def test_zero_counts_are_muted_and_levels_colour_the_cards(worked):
    html = _home(_as(worked, "reviewer"))
    assert re.search(r'id="home-applications-enterprise-filing" data-count="0"\s+class="anju-home-card anju-home-zero"',
                     html)
    html = _home(_as(worked, "district1"))
    assert re.search(r'id="home-complaints-overdue" data-count="2"\s+class="anju-home-card anju-home-danger"', html)


@pytest.mark.parametrize("username", ["admin", "reviewer", "district1", "street1", "ent_a", "pm_a", "analyst"])
def test_every_count_links_to_a_list_of_that_many_rows(worked, username):
    c = _as(worked, username)
    links = todo_links(_home(c))
    assert links
    for element, (count, href) in links.items():
        resp = c.get(href)
        assert resp.status_code == 200, (element, href)
        html = resp.get_data(as_text=True)
        if element == "home-filing-returned":
            # The one returned filing opens itself, where 修改 sits.
            assert "/enterprise/filing/show/" in href and "已退回" in html
            continue
        assert list_count(html) == count, (element, href)


def test_a_district_count_excludes_other_districts(worked):
    """One more overdue request in 渝北区: the administrator's count moves, 渝中区's does not."""
    before = {u: todo_counts(_home(_as(worked, u))) for u in ("admin", "district1")}
    with worked.app_context():
        _complaint("首页渝北小区", datetime.now() - timedelta(days=10))
    after = {u: todo_counts(_home(_as(worked, u))) for u in ("admin", "district1")}
    assert after["admin"]["home-complaints-overdue"] == before["admin"]["home-complaints-overdue"] + 1
    assert after["district1"]["home-complaints-overdue"] == before["district1"]["home-complaints-overdue"]


def test_home_runs_a_bounded_number_of_statements(app, login):
    """Every provider of the widest role (the administrator) runs, each with a few statements."""
    c = login("admin")
    c.get("/")                                  # warm per-process caches
    with app.app_context():
        engine = db.engine
    seen = []

    def spy(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert c.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(seen) <= 30, len(seen)
    # No statement counts a whole table: every count is bounded by a LIMIT or grouped on an index.
    counts = [s for s in seen if "count(" in s.lower()]
    assert all("LIMIT" in s.upper() or "GROUP BY" in s.upper() for s in counts), counts
