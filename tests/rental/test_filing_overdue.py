"""The overdue-filing job at a moved clock: 29 days after signing nothing happens; 31 days: the
contracts are flagged, the enterprise gets ONE notice naming them, each becomes ONE credit record
proposal through the credit module's feed(); a second run adds nothing; a filed, a pending or a
revoked contract is never flagged. Also the CLI ``flask rental overdue --at``."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from tests.rental import filing_steps as steps


def _counts(app, org_id, contract_ids):
    from app.core.notices import Notice
    from app.credit.models import CreditRecord
    from app.rental.contracts.models import RentalContract

    with steps.data(app):
        notices = db.session.execute(select(Notice).where(Notice.org_id == org_id,
                                                          Notice.source_type == "rental_filing_overdue")
                                     .order_by(Notice.id)).scalars().all()
        records = db.session.execute(select(CreditRecord).where(
            CreditRecord.source_type == "rental_filing_overdue",
            CreditRecord.source_key.in_([str(i) for i in contract_ids]))).scalars().all()
        flagged = db.session.execute(select(func.count()).where(
            RentalContract.id.in_(contract_ids), RentalContract.overdue_flagged_at.isnot(None))).scalar_one()
        return ([(n.title, n.body) for n in notices],
                [(r.source_key, r.org_id, r.status, r.rule.code, r.facts) for r in records], flagged)


def _run(app, moment):
    from app.rental.filing import jobs

    with steps.data(app):
        return jobs.run_overdue(moment)


def test_overdue_filings_are_flagged_once_with_one_notice_and_credit_proposals(app):
    from app.rental.contracts.models import RentalContract

    ent = steps.enterprise(app)
    signed_at = datetime.now().replace(microsecond=0) - timedelta(days=90)
    late1 = steps.contract(app, ent.agent, signed_at=signed_at)
    late2 = steps.contract(app, ent.agent, signed_at=signed_at + timedelta(hours=1))
    filed = steps.contract(app, ent.agent, signed_at=signed_at)
    pending = steps.contract(app, ent.agent, signed_at=signed_at)
    revoked = steps.contract(app, ent.agent, signed_at=signed_at)
    with steps.data(app):
        for cid, values in ((filed.id, {"filing_status": "filed", "filing_number": f"BA{filed.id:014d}"}),
                            (revoked.id, {"status": "revoked"})):
            row = db.session.get(RentalContract, cid)
            for k, v in values.items():
                setattr(row, k, v)
        db.session.commit()
    steps.apply(app, ent.agent, pending.id)
    ids = [late1.id, late2.id, filed.id, pending.id, revoked.id]

    # 29 days after signing: not due yet.
    _run(app, signed_at + timedelta(days=29))
    notices, records, flagged = _counts(app, ent.org_id, ids)
    assert (notices, records, flagged) == ([], [], 0)

    # 31 days: the two late contracts, one notice naming both, two credit proposals.
    moment = signed_at + timedelta(days=31, hours=2)
    summary = _run(app, moment)
    assert summary["flagged"] >= 2 and summary["enterprises"] >= 1
    notices, records, flagged = _counts(app, ent.org_id, ids)
    assert flagged == 2
    assert len(notices) == 1
    title, body = notices[0]
    assert title == "2份租赁合同签约后30日内未办理备案"
    assert late1.number in body and late2.number in body and filed.number not in body
    assert sorted(r[0] for r in records) == sorted([str(late1.id), str(late2.id)])
    assert {(r[1], r[2], r[3]) for r in records} == {(ent.org_id, "review", "ZL-K-002")}
    assert any(f"租赁合同{late1.number}于{signed_at:%Y-%m-%d}签订，超过30日未办理网签备案" in r[4] for r in records)
    assert steps.reload(app, late1.id).overdue_flagged_at == moment
    for cid in (filed.id, pending.id, revoked.id):
        assert steps.reload(app, cid).overdue_flagged_at is None

    # A second run flags nothing new, sends no notice, proposes nothing.
    _run(app, moment + timedelta(days=1))
    again = _counts(app, ent.org_id, ids)
    assert (len(again[0]), len(again[1]), again[2]) == (1, 2, 2)

    # The pending filing returned: 未备案 again, and overdue: the next run flags it.
    with steps.data(app):
        from app.core.workflow import Application
        from app.rental.filing import services
        from tests.rental.helpers import user

        application = db.session.get(Application, steps.application(app, pending.id).id)
        services.transition(application, "return", user("reviewer"), "请补充材料")
        db.session.commit()
    _run(app, moment + timedelta(days=2))
    notices, records, flagged = _counts(app, ent.org_id, ids)
    assert flagged == 3 and len(records) == 3 and len(notices) == 2
    assert pending.number in notices[1][1] and late1.number not in notices[1][1]


def test_the_overdue_filter_and_marker(app, login):
    ent = steps.enterprise(app)
    late = steps.contract(app, ent.agent, signed_at=datetime.now() - timedelta(days=45))
    fresh = steps.contract(app, ent.agent, signed_at=datetime.now() - timedelta(days=3))
    c = login(ent.admin)
    overdue = c.get("/rental/filing-due/list/?_flt_0_id=y").get_data(as_text=True)
    assert late.number in overdue and fresh.number not in overdue
    page = c.get(f"/rental/filings/apply?q={late.number}").get_data(as_text=True)
    assert "逾期未备案" in page
    assert "逾期未备案" not in c.get(f"/rental/filings/apply?q={fresh.number}").get_data(as_text=True).split(
        'id="filing-found"')[1].split("</table>")[0]


def test_cli_runs_the_job_at_a_moved_clock(app):
    ent = steps.enterprise(app)
    signed_at = datetime.now().replace(microsecond=0) - timedelta(days=200)
    late = steps.contract(app, ent.agent, signed_at=signed_at)
    runner = app.test_cli_runner()
    at = (signed_at + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["rental", "overdue", "--at", at])
    assert result.exit_code == 0, result.output
    assert steps.reload(app, late.id).overdue_flagged_at is None
    at = (signed_at + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["rental", "overdue", "--at", at])
    assert result.exit_code == 0 and "flagged:" in result.output
    assert steps.reload(app, late.id).overdue_flagged_at is not None
    bad = runner.invoke(args=["rental", "overdue", "--at", "yesterday"])
    assert bad.exit_code != 0


def test_the_job_is_registered(app):
    from app.core.jobs import registered

    spec = registered()["rental.filing_overdue"]
    assert spec.func == "app.rental.filing.jobs:overdue" and spec.trigger == "cron"
