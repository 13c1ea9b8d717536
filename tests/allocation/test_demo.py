"""The allocation demo (app/allocation/demo.py), as the test database's load_demo made it: the
open plan with its projects, photos and ~300 registrations, the finished plan whose published
draw the standalone verifier accepts, and applicant1 ready to click 立即登记."""
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.allocation import demo
from app.allocation.filings import services as filings
from app.allocation.filings.models import ApplicantFiling
from app.allocation.lottery import protocol
from app.allocation.lottery import services as lottery
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan, PlanStatus
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import DrawResult, Objection, Registration, RegistrationEvent, RegStatus
from app.core import uploads
from app.core.validators import check_resident_id
from app.extensions import db
from tests.allocation.helpers import user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULE_REASONS = {r[3] for r in demo.RULES}


def _plan(code):
    db.session.expire_all()
    return db.session.execute(select(AllocationPlan).where(AllocationPlan.code == code)).scalar_one()


def test_open_plan_as_a_newcomer_finds_it(ctx):
    plan = _plan(demo.OPEN_CODE)
    assert plan.title == "2026年第一批保障性租赁住房专项配租" and plan.region_code == "500000"
    assert plan.status in PlanStatus.PUBLIC and plan.commitment and len(plan.commitment) == 64
    today = datetime.now().date()
    assert plan.reg_start.date() == today - timedelta(days=1) and plan.reg_start.hour == 9
    assert plan.reg_end.date() == today + timedelta(days=8) and plan.reg_end.hour == 17
    assert plans.window_state(plan) == "open"
    text = plan.announcement
    for part in ("配租对象与条件", "登记方式", "摇号规则", "服务联系方式", "023-", "立即登记", "取消登记"):
        assert part in text, part
    assert plan.contact_phone.startswith("023-")
    # two projects in 渝中区 and 渝北区, with intro, traffic, unit types and photos
    assert [(p.name, p.district_code) for p in plan.projects] == [("渝中·化龙桥安居苑", "500103"),
                                                                  ("渝北·悦来人才公寓", "500112")]
    for project in plan.projects:
        assert project.intro and "轨道交通" in project.traffic
        assert 2 <= len(project.unit_types) <= 3
        photos = uploads.files_of(project, "实景照片")
        assert len(photos) == 3 and {f.kind for f in photos} == {"jpg"}
        for unit in project.unit_types:
            assert unit.layout and unit.area > 0 and unit.rent > 0
            assert 8 <= len(unit.rent_list) <= 14 and unit.count == len(unit.rent_list)
            assert unit.rent == min(Decimal(r["rent"]) for r in unit.rent_list)
            assert {"room", "floor", "area", "rent"} <= set(unit.rent_list[0])
            assert [f.kind for f in uploads.files_of(unit, "户型图")] == ["png"]
            assert [f.kind for f in uploads.files_of(unit, "室内照片")] == ["jpg", "jpg"]
    for f in uploads.files_of(plan.projects[0], "实景照片"):
        uploads.check((f.original_name, open(uploads.path_of(f), "rb").read()))   # real pictures


def test_open_plan_rules_and_priority_group(ctx):
    plan = _plan(demo.OPEN_CODE)
    rules = registrations.eligibility_rules(plan)
    assert [(r.field, r.op, r.value) for r in rules] == [
        ("hukou_type", "in", ["local", "residence_permit"]), ("housing_status", "eq", "none"),
        ("applicant_age", "ge", "18"), ("per_capita_income", "le", "100000")]
    groups = plans.groups_of(plan)
    assert [(g.code, g.name, g.is_default) for g in groups] == [("priority", "优先家庭", False),
                                                                 ("general", "普通家庭", True)]
    assert [(c.field, c.op, c.value) for c in groups[0].conditions] == [("family_size", "ge", "3")]


def test_open_plan_registrations_are_real(ctx):
    plan = _plan(demo.OPEN_CODE)
    demo_ids = demo_user_ids()
    regs = db.session.execute(select(Registration).where(
        Registration.plan_id == plan.id, Registration.user_id.in_(demo_ids))).scalars().all()
    assert len(regs) == demo.PERSONS
    by_status = Counter(r.status for r in regs)
    assert by_status[RegStatus.CANCELLED] == len(demo.CANCELLED)
    assert 0.07 * demo.PERSONS <= by_status[RegStatus.REFUSED] <= 0.13 * demo.PERSONS   # ~10% refused
    assert by_status[RegStatus.PENDING] == demo.PERSONS - by_status[RegStatus.REFUSED] - len(demo.CANCELLED)
    refused = [r for r in regs if r.status == RegStatus.REFUSED]
    assert all(r.number is None and r.reasons and set(r.reasons) <= RULE_REASONS for r in refused)
    assert {reason for r in refused for reason in r.reasons} == RULE_REASONS      # every rule refuses someone
    numbered = [r.number for r in regs if r.number]
    assert len(numbered) == len(set(numbered)) == demo.PERSONS - len(refused)
    assert all(n.startswith(f"BZ{plan.reg_start.year}-") for n in numbered)
    # screened by the service: the group follows the family size, the history has the step
    for r in regs:
        assert r.group_code == ("priority" if r.family_size >= 3 else "general")
        assert r.snapshot["id_number"] == r.id_number and r.project_id in {p.id for p in plan.projects}
        assert plan.reg_start <= r.created_on < datetime.now()
    events = Counter(db.session.execute(select(RegistrationEvent.action).join(Registration).where(
        Registration.plan_id == plan.id, Registration.user_id.in_(demo_ids))).scalars())
    assert events["register"] == demo.PERSONS - len(refused) and events["refuse"] == len(refused)
    assert events["cancel"] == len(demo.CANCELLED)
    # every family has its filing with a 证件证明
    filing = db.session.execute(select(ApplicantFiling).where(
        ApplicantFiling.plan_id == plan.id, ApplicantFiling.user_id == regs[0].user_id)).scalar_one()
    assert uploads.files_of(filing, filings.DOCUMENT_LABEL)


def demo_user_ids():
    from flask import current_app

    model = current_app.appbuilder.sm.user_model
    return select(model.id).where(model.username.like("alloc_demo_%"))


def test_demo_families_are_verified_people_out_of_the_tests_ranges(ctx):
    from flask import current_app

    from app.accounts.models import Person

    model = current_app.appbuilder.sm.user_model
    rows = db.session.execute(select(model.username, model.mobile, Person.id_number, Person.realname_status)
                              .join(Person, Person.user_id == model.id)
                              .where(model.username.like("alloc_demo_%"))).all()
    assert len(rows) == demo.PERSONS
    assert all(m.startswith("1362") for _u, m, _i, _s in rows)
    assert {s for *_x, s in rows} == {"verified"}
    for _u, _m, number, _s in rows:
        assert check_resident_id(number).number == number and number[:6] in demo.ID_AREAS
    assert all(not p.code.startswith("T") for p in db.session.execute(
        select(AllocationPlan).where(AllocationPlan.code.in_((demo.OPEN_CODE, demo.FINISHED_CODE)))).scalars())


def test_finished_plan_went_through_every_step(ctx):
    plan = _plan(demo.FINISHED_CODE)
    assert plan.title == "2025年第四批保障性租赁住房专项配租" and plan.status == PlanStatus.FINISHED
    assert plan.published_at < plan.reg_start < plan.reg_end < plan.review_started_at < plan.publicity_from
    assert plan.publicity_from < plan.publicity_until <= plan.frozen_at < plan.drawn_at < plan.results_from
    assert plan.results_until <= datetime.now()
    counts = registrations.counts_by_status(plan)
    assert counts[RegStatus.REJECTED] >= 3 and counts[RegStatus.APPROVED] > plans.homes_of(plan)
    assert counts.get(RegStatus.PENDING, 0) == counts.get(RegStatus.APPEALED, 0) == 0
    rejected = db.session.execute(select(Registration.review_reason).where(
        Registration.plan_id == plan.id, Registration.status == RegStatus.REJECTED)).scalars().all()
    assert set(rejected) <= set(demo.REJECT_REASONS) and all(rejected)
    # human review: one refusal admitted (then approved), one upheld
    admitted = db.session.execute(select(Registration).where(
        Registration.plan_id == plan.id, Registration.appeal_at.is_not(None))).scalars().all()
    assert sorted(r.status for r in admitted) == [RegStatus.APPEAL_DENIED, RegStatus.APPROVED]
    # an objection during the publicity, decided
    objection = db.session.execute(select(Objection).where(Objection.plan_id == plan.id)).scalar_one()
    assert objection.status == "dismissed" and objection.decision
    # the draw: E = 305871, once, priority group first, as many selected as homes
    record = lottery.draw_of(plan)
    assert record.entropy == demo.ENTROPY and record.protocol == protocol.VERSION and record.witnesses
    drawn = db.session.execute(select(Registration.group_code, Registration.draw_order, Registration.draw_result)
                               .where(Registration.plan_id == plan.id, Registration.status == RegStatus.APPROVED)
                               .order_by(Registration.draw_order)).all()
    assert [o for _g, o, _r in drawn] == list(range(1, len(drawn) + 1))
    groups = [g for g, _o, _r in drawn]
    assert groups == sorted(groups, key=lambda g: g != "priority") and "priority" in groups
    assert Counter(r for *_x, r in drawn)[DrawResult.SELECTED] == plans.homes_of(plan)
    assert [r for *_x, r in drawn] == sorted((r for *_x, r in drawn), key=lambda r: r != DrawResult.SELECTED)
    # every ranked registration has its history line "中签 · 1" / "轮候 · 41"
    from app.allocation.labels import DRAW_RESULT_LABELS

    lines = db.session.execute(select(Registration.draw_order, Registration.draw_result, RegistrationEvent.reason)
                               .join(RegistrationEvent, RegistrationEvent.registration_id == Registration.id)
                               .where(Registration.plan_id == plan.id, RegistrationEvent.action == "draw")).all()
    assert len(lines) == len(drawn)
    assert all(reason == f"{DRAW_RESULT_LABELS[result]} · {order}" for order, result, reason in lines)
    assert {reason.split(" · ")[0] for _o, _r, reason in lines} == {"中签", "轮候"}


def test_finished_plan_files_verify_with_the_standalone_verifier(ctx, tmp_path):
    plan = _plan(demo.FINISHED_CODE)
    path = tmp_path / protocol.bundle_filename(plan.code)
    path.write_bytes(lottery.zip_files(plan))
    run = subprocess.run([sys.executable, "-I", os.path.join(ROOT, "scripts", "verify_lottery.py"), str(path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "结果：一致" in run.stdout
    files = lottery.files(plan)
    assert files["entropy.txt"].decode() == demo.ENTROPY
    assert {"pool-1-priority.txt", "pool-2-general.txt", "ranking-1-priority.txt", "ranking-2-general.txt"} <= set(files)


def test_applicant1_can_register_at_once(app, ctx, login):
    from app.accounts import services as accounts

    u = user("applicant1")
    person = accounts.person_of(u)
    assert (person.name, person.mobile, accounts.is_realname_verified(u)) == ("王小六", "13800000016", True)
    assert check_resident_id(person.id_number).number == person.id_number
    assert person.id_number in demo.__doc__
    plan = _plan(demo.OPEN_CODE)
    filing = filings.filing_of(u, plan)
    assert filing is not None and uploads.files_of(filing, filings.DOCUMENT_LABEL)
    assert not filings.locked(u, plan) and registrations.active_of(u, plan) is None
    reasons, group, _facts = registrations.screen_filing(plan, filing)
    assert reasons == [] and group == "general"                     # 立即登记 would pass the screening
    assert registrations.records_of(u) == []
    client = login("applicant1")                                     # the demo password signs in
    page = client.get(f"/allocation/my/filing/{plan.id}")
    assert page.status_code == 200 and "王小六" in page.get_data(as_text=True)
    assert client.get("/allocation/my/records").status_code == 200
    for name in ("alloc_admin", "applicant1", "public1"):
        assert name in demo.__doc__


def test_demo_is_idempotent(ctx):
    before = db.session.execute(select(func.count(Registration.id))).scalar_one()
    files_before = db.session.execute(select(func.count()).select_from(uploads.Upload)).scalar_one()
    out = demo.load_demo()
    assert out["finished"] == {"plan": 0}
    assert out["open"]["plan"] == out["open"]["registered"] == 0 and out["applicant"] == 0
    assert db.session.execute(select(func.count(Registration.id))).scalar_one() == before
    assert db.session.execute(select(func.count()).select_from(uploads.Upload)).scalar_one() == files_before
    assert db.session.execute(select(func.count(AllocationPlan.id)).where(
        AllocationPlan.code.in_((demo.OPEN_CODE, demo.FINISHED_CODE)))).scalar_one() == 2
