"""配租登记 and 摇号 under simultaneous requests, on the real database (SQLite file or the
PostgreSQL of TEST_DATABASE_URL): each thread has its own app context, hence its own session
and connection, and the threads start together (a barrier).

* 20 clicks of 立即登记 by ONE applicant: exactly one active registration, every other click is
  told 您已登记本计划 (by the service's check, or by the database's unique constraint when the
  clicks passed the check together: the second test forces that path);
* 20 applicants at once: 20 registrations, 20 distinct 登记编号, none lost;
* two draws of one plan at once: one LotteryDraw, the other refused (again also with both
  draws past the service's check, so that the database decides).
"""
import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.allocation.lottery import services as lottery
from app.allocation.lottery.models import LotteryDraw
from app.allocation.plans import services as plans
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import Registration, RegStatus
from app.core.errors import DomainError
from app.extensions import db
from tests.allocation.helpers import applicant, at, file_for, new_plan, user

ALREADY = "您已登记本计划。如需修改填报信息，请先取消登记。"
DRAWN_ONCE = "本计划已摇号，每个计划只能摇号一次。"


def _run_together(app, calls, timeout=120):
    """Run each ``call()`` in its own thread with its own app context, all released at once;
    returns the outcomes in order: ("ok", value) or ("refused", Chinese message) or
    ("error", repr) for anything else."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(i, call):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[i] = ("ok", call())
            except DomainError as exc:
                db.session.rollback()
                outcomes[i] = ("refused", str(exc))
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes[i] = ("error", repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    return outcomes


def _register_call(user_id, plan_id, project_id=None):
    def call():
        from flask import current_app

        u = db.session.get(current_app.appbuilder.sm.user_model, user_id)
        reg = registrations.register(u, plan_id, project_id)
        return reg.id, reg.number, reg.status

    return call


def _active(plan_id, user_id=None):
    stmt = select(Registration).where(Registration.plan_id == plan_id, Registration.active_user_id.is_not(None))
    if user_id is not None:
        stmt = stmt.where(Registration.user_id == user_id)
    db.session.expire_all()
    return db.session.execute(stmt).scalars().all()


def test_twenty_clicks_of_one_applicant_make_one_registration(app, ctx):
    plan = new_plan()
    u = applicant()
    file_for(u, plan)
    plan_id, user_id, project_id = plan.id, u.id, plan.projects[0].id
    db.session.remove()
    outcomes = _run_together(app, [_register_call(user_id, plan_id, project_id) for _ in range(20)])
    ok = [o[1] for o in outcomes if o[0] == "ok"]
    assert len(ok) == 1, outcomes
    assert ok[0][2] == RegStatus.PENDING and ok[0][1].startswith("BZ")
    assert [o for o in outcomes if o[0] != "ok"] == [("refused", ALREADY)] * 19
    active = _active(plan_id, user_id)
    assert [(r.id, r.number) for r in active] == [ok[0][:2]]
    assert db.session.execute(select(func.count(Registration.id)).where(
        Registration.plan_id == plan_id, Registration.user_id == user_id)).scalar_one() == 1


def test_clicks_past_the_check_are_decided_by_the_database(app, ctx, monkeypatch):
    """Both clicks pass the service's "already registered?" check before either writes: the
    unique (plan, active applicant) constraint lets one through and the other is told so."""
    plan = new_plan()
    u = applicant()
    file_for(u, plan)
    plan_id, user_id = plan.id, u.id
    db.session.remove()
    both_checked = threading.Barrier(2)
    original = registrations.active_of

    def active_of_then_wait(usr, pl, session=None):
        found = original(usr, pl, session)
        both_checked.wait(timeout=30)
        return found

    monkeypatch.setattr(registrations, "active_of", active_of_then_wait)
    outcomes = _run_together(app, [_register_call(user_id, plan_id) for _ in range(2)])
    monkeypatch.setattr(registrations, "active_of", original)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    assert [o[1] for o in outcomes if o[0] == "refused"] == [ALREADY]
    assert len(_active(plan_id, user_id)) == 1
    # the loser left nothing behind: no second row, no number taken from the counter for it
    assert db.session.execute(select(func.count(Registration.id)).where(
        Registration.plan_id == plan_id, Registration.user_id == user_id)).scalar_one() == 1


def test_twenty_applicants_at_once_get_twenty_distinct_numbers(app, ctx):
    plan = new_plan()
    people = [applicant() for _ in range(20)]
    for u in people:
        file_for(u, plan)
    plan_id, ids = plan.id, [u.id for u in people]
    projects = [p.id for p in plan.projects]
    db.session.remove()
    outcomes = _run_together(app, [_register_call(uid, plan_id, projects[i % len(projects)])
                                    for i, uid in enumerate(ids)])
    assert [o[0] for o in outcomes] == ["ok"] * 20, outcomes
    numbers = [o[1][1] for o in outcomes]
    assert len(set(numbers)) == 20 and all(n.startswith("BZ") for n in numbers)
    rows = _active(plan_id)
    assert sorted(r.user_id for r in rows) == sorted(ids)            # none lost
    assert sorted(r.number for r in rows) == sorted(numbers)          # the numbers they were told
    assert {r.status for r in rows} == {RegStatus.PENDING}
    assert plans.registered_counts(plan_id, max_age=0)["plan"] == 20


def _frozen_plan():
    """A plan with three approved registrations, reviewed, publicised and frozen (moved clock);
    returns (plan id, the moment to draw at)."""
    from tests.allocation.helpers import registered

    plan = new_plan(homes=(2,))
    regs = [registered(plan=plan)[0] for _ in range(3)]
    admin = user("alloc_admin")
    with at(plan.reg_end + timedelta(minutes=1)):
        plans.sync_windows()
        registrations.review(admin, [r.id for r in regs], True)
        registrations.start_publicity(admin, plan)
        db.session.commit()
    moment = plan.publicity_until + timedelta(hours=1)
    with at(moment):
        lottery.freeze(admin, plan)
        db.session.commit()
    return plan.id, moment


def _draw_call(plan_id, entropy):
    def call():
        from app.allocation.plans.models import AllocationPlan

        plan = db.session.get(AllocationPlan, plan_id)
        return lottery.draw(user("alloc_admin"), plan, entropy).id

    return call


def test_two_draws_at_once_make_one_draw(app, ctx):
    plan_id, moment = _frozen_plan()
    db.session.remove()
    with at(moment):
        outcomes = _run_together(app, [_draw_call(plan_id, "305871"), _draw_call(plan_id, "123456")])
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    assert [o[1] for o in outcomes if o[0] == "refused"] == [DRAWN_ONCE]
    draws = db.session.execute(select(LotteryDraw).where(LotteryDraw.plan_id == plan_id)).scalars().all()
    assert [d.id for d in draws] == [o[1] for o in outcomes if o[0] == "ok"]


def test_two_draws_past_the_check_are_decided_by_the_database(app, ctx, monkeypatch):
    plan_id, moment = _frozen_plan()
    db.session.remove()
    both_checked = threading.Barrier(2)
    original = lottery.draw_of

    def draw_of_then_wait(plan, session=None):
        found = original(plan, session)
        both_checked.wait(timeout=30)
        return found

    monkeypatch.setattr(lottery, "draw_of", draw_of_then_wait)
    with at(moment):
        outcomes = _run_together(app, [_draw_call(plan_id, "305871"), _draw_call(plan_id, "123456")])
    monkeypatch.setattr(lottery, "draw_of", original)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    assert [o[1] for o in outcomes if o[0] == "refused"] == [DRAWN_ONCE]
    db.session.expire_all()
    draws = db.session.execute(select(LotteryDraw).where(LotteryDraw.plan_id == plan_id)).scalars().all()
    assert len(draws) == 1
    winner = draws[0]
    # the ranks written are the winner's: every approved registration ranked once, by its E
    ranked = db.session.execute(select(Registration.number, Registration.draw_order).where(
        Registration.plan_id == plan_id, Registration.status == RegStatus.APPROVED)
        .order_by(Registration.draw_order)).all()
    assert sorted(o for _n, o in ranked) == [1, 2, 3]
    from app.allocation.lottery import protocol

    expected = protocol.draw(bytes.fromhex(winner.secret_hex), winner.entropy, [n for n, _o in ranked]).ranking
    assert [n for n, _o in ranked] == expected
