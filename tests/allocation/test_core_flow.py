"""The allocation services end to end: window edges by moved clock, screening with reasons,
one active registration, cancel and re-file, human review, staff review, publicity and
objections, freeze, the draw (once), results; each refusal's exact Chinese message."""
from datetime import timedelta

import pytest

from app.allocation.filings import services as filings
from app.allocation.lottery import protocol
from app.allocation.lottery import services as lottery
from app.allocation.plans import services as plans
from app.allocation.plans.models import PlanStatus
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import DrawResult, RegStatus
from app.core.errors import DomainError
from app.extensions import db
from tests.allocation.helpers import applicant, at, file_for, filing_data, new_plan, registered, user


def _refused(fn, *a, **kw):
    with pytest.raises(DomainError) as exc:
        fn(*a, **kw)
    db.session.rollback()
    return str(exc.value)


def test_window_edges_by_moved_clock(ctx):
    plan = new_plan(state="published")
    u = applicant()
    with at(plan.reg_start - timedelta(seconds=2)):
        file_for(u, plan)
    with at(plan.reg_start - timedelta(seconds=1)):
        msg = _refused(registrations.register, u, plan.id)
    assert msg == f"本计划的登记将于{plan.reg_start:%Y-%m-%d %H:%M:%S}开始。"
    with at(plan.reg_start):
        reg = registrations.register(u, plan.id)
    assert reg.status == RegStatus.PENDING and reg.number.startswith("BZ")
    late = applicant()
    with at(plan.reg_start):
        file_for(late, plan)
    with at(plan.reg_end - timedelta(seconds=1)):
        assert registrations.register(applicant_filed(plan), plan.id).status == RegStatus.PENDING
    with at(plan.reg_end):
        msg = _refused(registrations.register, late, plan.id)
    assert msg == f"本计划的登记已于{plan.reg_end:%Y-%m-%d %H:%M:%S}结束。"


def applicant_filed(plan):
    u = applicant()
    with at(plan.reg_start):
        file_for(u, plan)
    return u


def test_realname_gate_and_filing_first(ctx):
    plan = new_plan()
    assert _refused(registrations.register, applicant(verified=False), plan.id) == "请先完成实名认证，再进行信息填报和登记。"
    assert _refused(filings.save, applicant(verified=False), plan, filing_data(), []) == "请先完成实名认证，再进行信息填报和登记。"
    assert _refused(registrations.register, applicant(), plan.id) == "登记前请先完成本计划的信息填报。"


def test_screening_reasons_and_human_review(ctx):
    plan = new_plan(rules=[("per_capita_income", "le", "50000", "家庭人均年收入须不高于5万元"),
                           ("housing_status", "eq", "none", "须在本市无自有住房"),
                           ("applicant_age", "ge", "18", "申请人须年满18周岁")])
    reg, u, _ = registered(plan=plan, annual_income="120000", housing_status="owns", owned_area="60")
    assert reg.status == RegStatus.REFUSED and reg.number is None
    assert reg.reasons == ["家庭人均年收入须不高于5万元", "须在本市无自有住房"]
    # refused: no active registration, the filing may change and the applicant register again
    assert not filings.locked(u, plan)
    assert _refused(registrations.request_review, u, reg.id, "") == "申请人工复核：必须填写"
    registrations.request_review(u, reg.id, "收入含一次性补偿，请人工复核")
    db.session.commit()
    assert reg.status == RegStatus.APPEALED and filings.locked(u, plan)
    admin = user("alloc_admin")
    registrations.decide_appeal(admin, reg.id, True, "一次性补偿不计入收入")
    db.session.commit()
    assert reg.status == RegStatus.PENDING and reg.number.startswith("BZ")


def test_one_active_registration_cancel_and_refile(ctx):
    reg, u, plan = registered()
    assert _refused(registrations.register, u, plan.id) == "您已登记本计划。如需修改填报信息，请先取消登记。"
    assert _refused(filings.save, u, plan, filing_data(), []) == "您已登记本计划，修改填报信息前请先取消登记。"
    registrations.cancel(u, reg.id)
    db.session.commit()
    assert reg.status == RegStatus.CANCELLED and reg.active_user_id is None
    file_for(u, plan, annual_income="50000")
    again = registrations.register(u, plan.id)
    assert again.status == RegStatus.PENDING and again.number != reg.number


def test_review_publicity_objection_freeze_draw(ctx):
    plan = new_plan(homes=(2,))
    regs = [registered(plan=plan)[0] for _ in range(5)]
    admin = user("alloc_admin")
    assert _refused(registrations.review, admin, [regs[0].id], True).startswith("计划当前为登记中")
    with at(plan.reg_end + timedelta(minutes=1)):
        plans.sync_windows()
        assert plan.status == PlanStatus.CLOSED
        assert _refused(registrations.review, admin, [regs[0].id], False, "") == "不通过原因：必须填写"
        registrations.review(admin, [r.id for r in regs[:4]], True)
        registrations.review(admin, [regs[4].id], False, "收入证明与社保记录不符")
        db.session.commit()
        assert plan.status == PlanStatus.REVIEW
        registrations.start_publicity(admin, plan)
        db.session.commit()
        objector = applicant()
        obj = registrations.object_to(objector, plan.id, regs[3].number, "该户在本市有住房")
        db.session.commit()
        assert _refused(registrations.object_to, objector, plan.id, regs[3].number, "再次") == "您已对该登记提出过异议。"
        assert _refused(lottery.freeze, admin, plan).startswith("资格公示将于")
    with at(plan.publicity_until):
        assert _refused(lottery.freeze, admin, plan) == "还有1条异议待处理。"
        obj = db.session.get(type(obj), obj.id)
        registrations.decide_objection(admin, obj.id, True, "经核实该户有自有住房")
        db.session.commit()
        pools = lottery.freeze(admin, plan)
        db.session.commit()
        numbers = sorted(r.number for r in regs[:3])
        assert [p.numbers.split("\n") for p in pools if p.size] == [numbers]
        record = lottery.draw(admin, plan, "305871")
        assert _refused(lottery.draw, admin, plan, "123456") == "本计划已摇号，每个计划只能摇号一次。"
    ranked = protocol.draw(bytes.fromhex(record.secret_hex), "305871", numbers).ranking
    db.session.expire_all()
    results = {r.number: (r.draw_order, r.draw_result) for r in regs[:3]}
    assert [n for n, _ in sorted(results.items(), key=lambda kv: kv[1][0])] == ranked
    assert sum(1 for _o, res in results.values() if res == DrawResult.SELECTED) == 2
    files = lottery.files(plan)
    assert "manifest.json" in files and files["secret.txt"].decode().strip() == record.secret_hex
