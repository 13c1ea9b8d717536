"""Complaint rules through the real services: submission and numbering, every transition
(legal and illegal) with the exact Chinese message, who may act, deadlines across a
holiday, escalation exactly once, automatic closing."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.complaints import services
from app.complaints.models import Complaint, ComplaintEvent, CreditProposal
from app.complaints.services import Action, ComplaintStatus as S, Stage
from app.core.errors import DomainError
from app.core.notices import Notice
from app.extensions import db
from tests.concurrency import StatementSignal
from tests.complaints.helpers import act, area, file_complaint, make_area, messages, new_id, new_mobile, sms_code, user


def _set_status(c, status):
    c.status = status
    c.stage = services.STAGE_OF[status]
    db.session.commit()


# --- submission ---------------------------------------------------------------------------

def test_submission_numbers_routes_and_sends_a_receipt(ctx):
    c = file_complaint(content="电梯经常停运")
    a = area("和平小区")
    assert re.fullmatch(r"500103\d{8}\d{4}", c.number)
    assert c.number[6:14] == c.submitted_at.strftime("%Y%m%d")
    assert (c.area_id, c.org_id, c.district_code, c.street_code, c.region_code) == \
        (a.id, a.company_org_id, "500103", "500103001", "500103001")
    assert (c.status, c.stage) == (S.PENDING, Stage.PENDING)
    assert c.due_at == c.submitted_at + timedelta(days=5)
    assert [e.action for e in c.events] == [Action.SUBMIT]
    receipt = messages(c.mobile)[-1]
    assert receipt.startswith("【安居管理台】您的需求及建议（编号 %s）已受理" % c.number)


def test_numbers_follow_a_daily_sequence_per_district(ctx):
    moment = datetime(2025, 3, 4, 9, 0)
    first = file_complaint(moment=moment)
    second = file_complaint(moment=moment + timedelta(hours=1))
    assert first.number == "50010320250304" + "0001"
    assert second.number == "50010320250304" + "0002"
    other_day = file_complaint(moment=moment + timedelta(days=1))
    assert other_day.number == "50010320250305" + "0001"


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "姓名：必须填写"),
    ("id_number", "500103198808080000", "证件号码："),
    ("mobile", "12345", "手机号码："),
    ("address", "  ", "地址：必须填写"),
    ("content", "", "内容：必须填写"),
    ("content", "长" * 2001, "内容：最多 2000 个字"),
    ("sms_code", "000000", "验证码"),
])
def test_bad_submissions_are_refused_in_chinese_and_save_nothing(ctx, field, value, message):
    before = db.session.execute(select(func.count(Complaint.id))).scalar_one()
    mobile = new_mobile()
    data = {"name": "王五", "id_number": new_id(), "mobile": mobile, "address": "1栋",
            "content": "噪音扰民", "sms_code": sms_code(mobile)}
    data[field] = value
    with pytest.raises(DomainError) as exc:
        services.submit(area("和平小区"), data)
    db.session.rollback()
    assert message in str(exc.value)
    assert db.session.execute(select(func.count(Complaint.id))).scalar_one() == before


def test_an_area_without_a_project_lead_takes_no_requests(ctx):
    mobile = new_mobile()
    data = {"name": "王五", "id_number": new_id(), "mobile": mobile, "address": "1栋",
            "content": "噪音", "sms_code": sms_code(mobile)}
    with pytest.raises(DomainError) as exc:
        services.submit(area("七星花园"), data)
    assert str(exc.value) == ("物业管理区域“七星花园”尚未设置项目负责人，暂不能在线受理需求及建议，"
                              "请联系物业服务企业或街道办事处。")
    with pytest.raises(DomainError) as exc:
        services.submit(None, data)
    assert str(exc.value) == "物业管理区域：请选择物业管理区域。"


def test_a_bad_file_is_refused_before_the_sms_code_is_used(ctx):
    mobile = new_mobile()
    code = sms_code(mobile)
    data = {"name": "王五", "id_number": new_id(), "mobile": mobile, "address": "1栋", "content": "噪音",
            "sms_code": code}
    with pytest.raises(DomainError) as exc:
        services.submit(area("和平小区"), data, files=[("evil.pdf", b"MZ not a pdf")])
    db.session.rollback()
    assert "evil.pdf" in str(exc.value)
    c = services.submit(area("和平小区"), data, files=[("ok.png", _png())])   # same code still works
    from app.core import uploads

    assert [u.original_name for u in uploads.files_of(c)] == ["ok.png"]


def _png():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def test_own_mobile_of_a_signed_in_user_needs_no_code(ctx):
    public1 = user("public1")
    data = {"name": "李四", "id_number": "500103199005210028", "mobile": public1.mobile,
            "address": "2栋", "content": "垃圾未清运"}
    c = services.submit(area("和平小区"), data, user=public1)
    assert c.complainant_id == public1.id


# --- transitions --------------------------------------------------------------------------

ACTOR = {Action.ACCEPT: "pm_a", Action.COMPLETE: "pm_a", Action.REFUSE: "pm_a",
         Action.FURTHER: "street1", Action.SUPPLEMENT: "street1", Action.GUIDE: "street1",
         Action.REVOKE: None, Action.EVALUATE: None}


@pytest.mark.parametrize("status", S.ALL)
@pytest.mark.parametrize("action", list(services.TRANSITIONS))
def test_every_transition_legal_or_refused(ctx, action, status):
    c = file_complaint()
    _set_status(c, status)
    sources, target = services.TRANSITIONS[action]
    actor = user(ACTOR[action]) if ACTOR[action] else None
    kwargs = {"note": "说明" if action in Action.NEED_NOTE else None,
              "satisfaction": 4 if action == Action.EVALUATE else None,
              "verified": ACTOR[action] is None}
    if status in sources:
        services.transition(c, action, actor, **kwargs)
        db.session.commit()
        assert c.status == target and c.stage == services.STAGE_OF[target]
        last = c.events[-1]
        assert (last.action, last.from_status, last.to_status) == (action, status, target)
    else:
        with pytest.raises(DomainError) as exc:
            services.transition(c, action, actor, **kwargs)
        assert str(exc.value) == "处理状态为“%s”的需求及建议不能%s。" % (
            services.status_label(status), services.action_label(action))
        db.session.rollback()
        assert db.session.get(Complaint, c.id).status == status


def test_the_whole_life_sends_sms_and_stops_the_clock(ctx):
    c = file_complaint()
    act(c, Action.ACCEPT, "pm_a")
    assert c.accepted_at is not None and c.stage == Stage.PROCESSING
    act(c, Action.GUIDE, "street1", note="请尽快维修")
    act(c, Action.COMPLETE, "pm_a", note="已更换灯泡")
    assert c.handled_at is not None and c.result == "已更换灯泡" and services.remaining(c) == "-"
    act(c, Action.EVALUATE, note="满意", satisfaction="5", verified=True)
    assert (c.status, c.satisfaction, c.evaluation) == (S.CLOSED, 5, "满意")
    texts = messages(c.mobile)
    assert texts[-2] == ("【安居管理台】您的需求及建议（编号 %s）：您的需求及建议我们已收到，正在处理，处理完成后将给您答复。"
                         % c.number)
    assert texts[-1] == ("【安居管理台】您的需求及建议（编号 %s）已处理完成：已更换灯泡。请对处理情况进行评价。" % c.number)
    assert [e.action for e in c.events] == ["submit", "accept", "guide", "complete", "evaluate"]
    assert c.events[1].note == "您的需求及建议我们已收到，正在处理，处理完成后将给您答复。"


def test_refusal_needs_a_reason_and_tells_the_complainant(ctx):
    c = file_complaint()
    with pytest.raises(DomainError) as exc:
        act(c, Action.REFUSE, "pm_a", note="  ")
    assert str(exc.value) == "拒绝理由：必须填写"
    db.session.rollback()
    act(c, Action.REFUSE, "pm_a", note="不属于物业服务范围")
    assert c.refused and c.status == S.TO_EVALUATE
    assert messages(c.mobile)[-1].endswith("已被拒绝处理，理由：不属于物业服务范围。请对处理情况进行评价。")


@pytest.mark.parametrize("action,username,message", [
    (Action.ACCEPT, "ent_a", "只有该物业管理区域的项目负责人可以处理此需求及建议。"),
    (Action.ACCEPT, "street1", "只有该物业管理区域的项目负责人可以处理此需求及建议。"),
    (Action.GUIDE, "pm_a", "只有该物业管理区域所属的街道或区县可以介入处理。"),
    (Action.GUIDE, "analyst", "只有该物业管理区域所属的街道或区县可以介入处理。"),
    (Action.REVOKE, "pm_a", "只有提交人本人可以撤销此需求及建议。"),
    (Action.EVALUATE, "street1", "只有提交人本人可以评价此需求及建议。"),
])
def test_only_the_right_person_may_act(ctx, action, username, message):
    c = file_complaint()
    with pytest.raises(DomainError) as exc:
        act(c, action, username, note="说明")
    assert str(exc.value) == message


def test_a_street_outside_the_area_cannot_intervene_and_another_lead_cannot_handle(ctx):
    from flask import current_app

    from app.system.models import Organization

    sm = current_app.appbuilder.sm
    org = db.session.execute(select(Organization).where(Organization.region_code == "500103001")).scalars().first()
    other_street = Organization(name="解放碑街道办事处", org_type="street", region_code="500103003",
                                parent_id=org.parent_id, active=True)
    db.session.add(other_street)
    db.session.commit()
    if sm.find_user(username="street_jfb") is None:
        sm.add_user("street_jfb", "解放碑街道", "", "street_jfb@demo.anju.invalid", sm.find_role("street"),
                    password="Anju@2026", org_id=other_street.id, mobile="13800000099")
        sm.add_user("pm_other", "李项目", "", "pm_other@demo.anju.invalid", sm.find_role("project_lead"),
                    password="Anju@2026", org_id=org.id, mobile="13800000098")
    c = file_complaint()
    with pytest.raises(DomainError) as exc:
        act(c, Action.FURTHER, "street_jfb", note="督办")
    assert str(exc.value) == "只有该物业管理区域所属的街道或区县可以介入处理。"
    with pytest.raises(DomainError):
        act(c, Action.ACCEPT, "pm_other")
    act(c, Action.FURTHER, "district1", note="区局督办")     # the district of the area may
    assert c.status == S.FURTHER


@pytest.mark.parametrize("value", [None, "", "0", "6", "abc", "4.5"])
def test_satisfaction_must_be_one_to_five(ctx, value):
    c = file_complaint()
    act(c, Action.ACCEPT, "pm_a")
    act(c, Action.COMPLETE, "pm_a", note="已处理")
    with pytest.raises(DomainError) as exc:
        act(c, Action.EVALUATE, satisfaction=value, verified=True)
    assert str(exc.value) == "满意度：请选择 1 至 5 星。"


def test_concurrent_handling_loses_cleanly(app):
    from sqlalchemy.orm import Session

    with app.app_context():
        c = file_complaint()
        cid = c.id
        lead = user("pm_a")
        s1, s2 = Session(db.engine), Session(db.engine)
        try:
            a1, a2 = s1.get(Complaint, cid), s2.get(Complaint, cid)
            u1, u2 = s1.get(type(lead), lead.id), s2.get(type(lead), lead.id)
            services.transition(a1, Action.ACCEPT, u1, session=s1)
            s1.commit()
            with pytest.raises(DomainError) as exc:
                services.transition(a2, Action.REFUSE, u2, note="不处理", session=s2)
            assert str(exc.value) == "此需求及建议已被他人处理，请刷新后查看。"
        finally:
            s1.close()
            s2.close()
        db.session.expire_all()
        assert db.session.get(Complaint, cid).status == S.PROCESSING


# --- deadlines ----------------------------------------------------------------------------

def _set_param(key, value):
    from app.system.models import Parameter

    db.session.execute(Parameter.__table__.update().where(Parameter.key == key).values(value=value))
    db.session.commit()
    from flask import g

    g.pop("params", None)


def test_deadline_in_working_days_skips_national_day(ctx):
    _set_param("deadline.complaint_working_days", "true")
    try:
        c = file_complaint(moment=datetime(2026, 9, 30, 10, 0))
        # 10-01…10-07 are holidays; Saturday 10-10 is an adjusted working day (调休).
        assert c.due_at == datetime(2026, 10, 13, 10, 0)
    finally:
        _set_param("deadline.complaint_working_days", "false")
    c = file_complaint(moment=datetime(2026, 9, 30, 10, 0))
    assert c.due_at == datetime(2026, 10, 5, 10, 0)


def test_remaining_time_wording(ctx):
    c = file_complaint()
    assert services.remaining(c, c.submitted_at + timedelta(minutes=4)) == "4天23小时56分"
    assert services.remaining(c, c.due_at + timedelta(days=181, hours=12, minutes=5)) == "超期181天12小时"


# --- escalation and closing ---------------------------------------------------------------

def test_overdue_requests_escalate_exactly_once(ctx):
    old = datetime.now() - timedelta(days=9)
    late = file_complaint(moment=old)
    late_in_hand = file_complaint(moment=old)
    act(late_in_hand, Action.ACCEPT, "pm_a")
    done_late = file_complaint(moment=old)
    act(done_late, Action.ACCEPT, "pm_a")
    act(done_late, Action.COMPLETE, "pm_a", note="已处理")
    fresh = file_complaint()
    street_org = user("street1").org
    street_org.contact_mobile = new_mobile("1336")
    db.session.commit()
    notices_before = db.session.execute(select(func.count(Notice.id)).where(Notice.org_id == street_org.id)).scalar_one()

    services.escalate_overdue()
    db.session.expire_all()
    for c in (late, late_in_hand):
        c = db.session.get(Complaint, c.id)
        assert c.escalated_at is not None
        assert c.events[-1].action == Action.ESCALATE
        assert c.events[-1].note == "超过处理期限未完成，已升级至街道督办。"
        proposal = db.session.execute(select(CreditProposal).where(CreditProposal.source_id == c.id)).scalars().one()
        assert (proposal.org_id, proposal.points, proposal.source_number) == (c.org_id, 2, c.number)
        assert proposal.reason.startswith("需求及建议 %s 超过处理期限" % c.number)
    for c in (done_late, fresh):
        assert db.session.get(Complaint, c.id).escalated_at is None
    new_notices = db.session.execute(select(Notice).where(Notice.org_id == street_org.id)
                                     .order_by(Notice.id)).scalars().all()[notices_before:]
    assert len(new_notices) == 1
    assert new_notices[0].title.endswith("件需求及建议超期未处理，已转您督办")
    assert late.number in new_notices[0].body and late_in_hand.number in new_notices[0].body
    assert "超期未处理，已转您督办" in messages(street_org.contact_mobile)[-1]

    assert services.escalate_overdue() == 0          # a second run escalates nothing
    for c in (late, late_in_hand):
        assert db.session.execute(select(func.count(CreditProposal.id))
                                  .where(CreditProposal.source_id == c.id)).scalar_one() == 1
        assert db.session.execute(select(func.count(ComplaintEvent.id)).where(
            ComplaintEvent.complaint_id == c.id, ComplaintEvent.action == Action.ESCALATE)).scalar_one() == 1


def test_two_escalation_runs_at_once_claim_each_request_once(app):
    """Two workers escalate the same overdue request at once. Run A claims it and holds its
    transaction open; run B, in another thread, reads the request as not yet escalated and
    tries to claim it while A's lock is held. When A commits, B must find it taken: one
    escalation event, one credit proposal, one notice to the street."""
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with app.app_context():
        services.escalate_overdue()            # clear what other tests left
        c = file_complaint(moment=datetime.now() - timedelta(days=8))
        c_id, number = c.id, c.number
        street_id = user("street1").org_id
        notices_before = db.session.execute(select(func.count(Notice.id))
                                            .where(Notice.org_id == street_id)).scalar_one()
        db.session.remove()
    b_is_writing = StatementSignal("UPDATE ANJU_COMPLAINT ")
    outcome = {}

    def run_b():
        with app.app_context():
            engine = db.engine
            session = Session(engine)
            b_is_writing.arm(engine)
            try:
                outcome["b"] = services.escalate_overdue(session=session)
            except Exception as exc:  # reported by the assertion below
                session.rollback()
                outcome["b"] = repr(exc)
            finally:
                b_is_writing.disarm()
                session.close()

    other = threading.Thread(target=run_b)

    def hold_open(session):
        """A's first commit (claim, event and proposal written, locks held): B runs now."""
        if other.ident is None:
            other.start()
            assert b_is_writing.wait(20), "run B never reached its claim"
            time.sleep(0.3)  # B waits for A's lock

    with app.app_context():
        session = Session(db.engine)
        event.listen(session, "before_commit", hold_open)
        try:
            outcome["a"] = services.escalate_overdue(session=session)
        finally:
            event.remove(session, "before_commit", hold_open)
            session.close()
        other.join(30)
        assert not other.is_alive()
        assert outcome == {"a": 1, "b": 0}, outcome
        db.session.expire_all()
        assert db.session.execute(select(func.count(CreditProposal.id))
                                  .where(CreditProposal.source_id == c_id)).scalar_one() == 1
        assert db.session.execute(select(func.count(ComplaintEvent.id)).where(
            ComplaintEvent.complaint_id == c_id, ComplaintEvent.action == Action.ESCALATE)).scalar_one() == 1
        new_notices = db.session.execute(select(Notice).where(Notice.org_id == street_id)
                                         .order_by(Notice.id)).scalars().all()[notices_before:]
        assert [(n.title, n.body) for n in new_notices] == [("1 件需求及建议超期未处理，已转您督办", number)]
        db.session.remove()


def test_auto_close_after_seven_days_without_evaluation(ctx):
    old = file_complaint()
    act(old, Action.ACCEPT, "pm_a")
    act(old, Action.COMPLETE, "pm_a", note="已处理")
    recent = file_complaint()
    act(recent, Action.ACCEPT, "pm_a")
    act(recent, Action.REFUSE, "pm_a", note="不处理")
    old.handled_at = datetime.now() - timedelta(days=7, minutes=1)
    recent.handled_at = datetime.now() - timedelta(days=6)
    db.session.commit()
    services.auto_close()
    db.session.expire_all()
    old, recent = db.session.get(Complaint, old.id), db.session.get(Complaint, recent.id)
    assert (old.status, old.stage, old.auto_closed) == (S.CLOSED, Stage.CLOSED, True)
    assert old.events[-1].action == Action.AUTO_CLOSE and old.events[-1].note == "7 天内未评价。"
    assert recent.status == S.TO_EVALUATE
    with pytest.raises(DomainError):
        act(old, Action.EVALUATE, satisfaction=3, verified=True)


def test_jobs_are_registered_and_log_their_work(ctx):
    from app.core import jobs

    jobs.sync_jobs()
    assert {"complaints.escalate", "complaints.auto_close"} <= set(jobs.registered())
    run = jobs.run_now("complaints.escalate")
    assert run.status == "success" and run.result.startswith("escalated=")


def test_area_checks(ctx):
    from app.property.areas import services as property_services
    from app.property.models import PropertyArea

    a = PropertyArea(name="测试", district_code="500103", street_code="500112002")
    with pytest.raises(DomainError) as exc:
        property_services.check_area(a)
    assert str(exc.value) == "所选街道不属于所选区县。"
    a = make_area("新建小区一", lead="pm_a")
    assert a.region_code == "500103001" and len(a.public_code) >= 12


def test_texts_kept_on_record_are_chinese_whatever_the_ui_language(ctx):
    from flask_babel import force_locale

    c = file_complaint()
    with force_locale("en"):
        act(c, Action.ACCEPT, "pm_a")
        assert services.accept_reply().startswith("Your request has been received")
    assert c.events[-1].note == "您的需求及建议我们已收到，正在处理，处理完成后将给您答复。"
    assert messages(c.mobile)[-1].endswith("：您的需求及建议我们已收到，正在处理，处理完成后将给您答复。")
    late = file_complaint(moment=datetime.now() - timedelta(days=9))
    with force_locale("en"):
        services.escalate_overdue()
    db.session.expire_all()
    assert db.session.get(Complaint, late.id).events[-1].note == "超过处理期限未完成，已升级至街道督办。"


def test_one_notice_per_street_per_run_across_batches(ctx, monkeypatch):
    services.escalate_overdue()                       # clear what other tests left
    monkeypatch.setattr(services, "BATCH", 2)
    old = datetime.now() - timedelta(days=9)
    late = [file_complaint(moment=old) for _ in range(5)]
    street_org = user("street1").org
    before = db.session.execute(select(func.count(Notice.id)).where(Notice.org_id == street_org.id)).scalar_one()
    assert services.escalate_overdue() == 5
    new = db.session.execute(select(Notice).where(Notice.org_id == street_org.id).order_by(Notice.id)).scalars().all()[before:]
    assert len(new) == 1 and new[0].title == "5 件需求及建议超期未处理，已转您督办"
    assert all(c.number in new[0].body for c in late)
