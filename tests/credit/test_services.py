"""The credit rules as services (app/credit/services.py): every state × action of a record and
of a list entry with the exact Chinese refusal, who may act, proposals, objections, lists,
repair, notices and the system feed (also from two sessions at once)."""
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from app.core.errors import DomainError
from app.credit import jobs, scoring, services
from app.credit.models import (
    CreditEvent,
    CreditListEntry,
    CreditObjection,
    CreditRecord,
    CreditRepair,
    DecisionStatus,
    ListStatus,
    RecordStatus,
)
from app.extensions import db
from tests.concurrency import StatementSignal
from tests.credit.helpers import new_enterprise, org, propose, rule, user

T0 = datetime(2026, 11, 2, 10, 0)           # a Monday
R = RecordStatus


@pytest.fixture
def rc(app):
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
        db.session.remove()


def _record_in(status, ent, ent_admin):
    """A record brought to ``status`` through the services, as users would."""
    record = propose(ent.id, moment=T0)
    reviewer, applicant = user("reviewer"), user("district1")
    if status == R.REVIEW:
        return record
    if status in (R.RETURNED, R.TERMINATED):
        services.transition(record, "return", reviewer, "请补充证据", moment=T0)
        if status == R.TERMINATED:
            services.transition(record, "terminate", applicant, moment=T0)
        db.session.commit()
        return record
    if status == R.REJECTED:
        services.transition(record, "reject", reviewer, "证据不足", moment=T0)
        db.session.commit()
        return record
    services.transition(record, "approve", reviewer, moment=T0)
    if status == R.OBJECTED:
        services.object_to(record, ent_admin, "事实有误", moment=T0 + timedelta(hours=1))
    elif status == R.WITHDRAWN:
        objection = services.object_to(record, ent_admin, "事实有误", moment=T0 + timedelta(hours=1))
        services.decide_objection(objection, True, reviewer, "异议成立", moment=T0 + timedelta(hours=2))
    elif status in (R.EFFECTIVE, R.EXPIRED, R.REVOKED):
        services.transition(record, "take_effect", None, moment=record.publicity_until)
        if status == R.EXPIRED:
            services.transition(record, "expire", None, moment=record.effective_until)
        elif status == R.REVOKED:
            services.transition(record, "revoke", user("gov_admin"), "认定错误", moment=record.publicity_until)
    db.session.commit()
    assert record.status == status
    return record


ACTORS = {"approve": "reviewer", "return": "reviewer", "reject": "reviewer", "uphold": "reviewer",
          "withdraw": "reviewer", "resubmit": "district1", "terminate": "district1", "revoke": "gov_admin",
          "take_effect": None, "expire": None, "object": "ENT"}


@pytest.mark.parametrize("status", R.ALL)
def test_record_state_action_matrix(rc, status):
    ent, ent_admin = new_enterprise(admin=True)
    labels = {"review": "待审核", "returned": "已退回", "rejected": "不予通过", "terminated": "已终止",
              "publicity": "公示中", "objected": "异议处理中", "effective": "生效", "expired": "已失效",
              "revoked": "已撤销", "withdrawn": "已撤回"}
    actions = {"approve": "审核通过", "return": "退回", "reject": "不予通过", "resubmit": "重新提交",
               "terminate": "终止任务", "object": "提出异议", "uphold": "异议不成立（维持）", "withdraw": "异议成立（撤回）",
               "take_effect": "生效", "expire": "到期失效", "revoke": "撤销"}
    for action, (sources, target, _who, _need) in services.RECORD_TRANSITIONS.items():
        record = _record_in(status, ent, ent_admin)
        name = ACTORS[action]
        actor = ent_admin if name == "ENT" else (user(name) if name else None)
        moment = (record.publicity_until or T0) - timedelta(minutes=1) if action != "expire" else T0
        if status in sources:
            services.transition(record, action, actor, "理由", moment=moment)
            assert record.status == target
            db.session.rollback()
        else:
            with pytest.raises(DomainError) as err:
                services.transition(record, action, actor, "理由", moment=moment)
            assert str(err.value) == f"{labels[status]}的记录不能{actions[action]}。"
            db.session.rollback()


def test_record_who_may_act(rc):
    ent, ent_admin = new_enterprise(admin=True)
    record = propose(ent.id, moment=T0)
    cases = [
        ("approve", user("district1"), "只有审核员可以执行此操作。"),
        ("approve", user("gov_admin"), "只有审核员可以执行此操作。"),
        ("approve", ent_admin, "只有审核员可以执行此操作。"),
        ("take_effect", user("reviewer"), "此步骤只能由系统执行。"),
        ("approve", None, "请先登录。"),
    ]
    for action, actor, message in cases:
        with pytest.raises(DomainError) as err:
            services.transition(record, action, actor, moment=T0)
        assert str(err.value) == message
    services.transition(record, "return", user("reviewer"), "请补充", moment=T0)
    with pytest.raises(DomainError) as err:
        services.transition(record, "resubmit", user("street1"), moment=T0)
    assert str(err.value) == "只有申请人可以执行此操作。"
    with pytest.raises(DomainError) as err:
        services.transition(record, "return", user("reviewer"), moment=T0)
    assert "不能" in str(err.value)
    db.session.rollback()
    record = db.session.get(CreditRecord, record.id)
    services.transition(record, "approve", user("reviewer"), moment=T0) if record.status == R.REVIEW else None
    db.session.commit()
    other, _other_admin = new_enterprise(admin=True)
    b = user("ent_b")
    for actor in (b, _other_admin, user("district1")):
        with pytest.raises(DomainError) as err:
            services.object_to(record, actor, "异议", moment=T0)
        assert str(err.value) == "只有相关企业可以提出异议或申请信用修复。"
    with pytest.raises(DomainError) as err:
        services.transition(record, "revoke", user("reviewer"), "错误", moment=T0)
    assert str(err.value) == "只有市级管理员可以执行此操作。"
    with pytest.raises(DomainError) as err:
        services.transition(record, "revoke", user("gov_admin"), "", moment=T0)
    assert str(err.value) == "请填写原因。"


def test_reasons_are_required_and_bounded(rc):
    ent = new_enterprise()
    record = propose(ent.id, moment=T0)
    for action in ("return", "reject"):
        with pytest.raises(DomainError) as err:
            services.transition(record, action, user("reviewer"), "   ", moment=T0)
        assert str(err.value) == "请填写原因。"
    with pytest.raises(DomainError) as err:
        services.transition(record, "reject", user("reviewer"), "长" * 2001, moment=T0)
    assert str(err.value) == "原因最多 2000 个字。" or "2000" in str(err.value)
    assert record.status == R.REVIEW


def test_outside_the_reviewers_region(rc):
    far = new_enterprise(region="510104")          # 成都: outside the city the reviewer serves
    record = propose(far.id, proposer="gov_admin", moment=T0)
    with pytest.raises(DomainError) as err:
        services.transition(record, "approve", user("reviewer"), moment=T0)
    assert str(err.value) == "该记录不在您的数据范围内。"


# --- 记分申请 --------------------------------------------------------------------------------

def test_proposal_checks(rc):
    ent = new_enterprise()
    r = rule("WY-K-005")
    base = {"org_id": ent.id, "rule_id": r.id, "score": 5, "facts": "电梯停运", "event_date": "2026-11-01"}

    def refused(actor, message, **change):
        data = {**base, **change}
        with pytest.raises(DomainError) as err:
            services.propose_record(user(actor) if isinstance(actor, str) else actor, data, moment=T0)
        assert str(err.value) == message
        db.session.rollback()

    refused("ent_a", "只有市、区、街道工作人员可以提出记分申请。")
    refused("reviewer", "只有市、区、街道工作人员可以提出记分申请。")
    refused(None, "只有市、区、街道工作人员可以提出记分申请。")
    refused("district1", "企业重庆渝北宜居住房租赁有限公司不在您的辖区内。", org_id=org("ent_c").id)
    refused("street1", "企业重庆渝北宜居住房租赁有限公司不在您的辖区内。", org_id=org("ent_c").id)
    refused("district1", "记分标准 WY-K-005 的分值须在 2 至 10 之间。", score=11)
    refused("district1", "记分标准 WY-K-005 的分值须在 2 至 10 之间。", score=1)
    refused("district1", "分值须为整数。", score="五")
    refused("district1", "记分标准 WY-K-003 仅用于系统记分。", rule_id=rule("WY-K-003").id)
    refused("district1", "事件日期不能晚于今天。", event_date="2026-11-03")
    refused("district1", "事件日期须为日期，例如 2026-05-01。", event_date="昨天")
    refused("district1", "请填写事件日期。", event_date="")
    refused("district1", "请填写事实描述。", facts="  ")
    refused("district1", "请选择记分标准。", rule_id="abc")
    refused("district1", "请选择企业。", org_id=999999999)
    refused("district1", "请选择企业。", org_id=user("district1").org_id)        # a government body
    refused("district1", "记分标准 WY-K-005 在 2023-12-31 未生效。", event_date="2023-12-31")
    # A street proposes for an enterprise of its district; the record stays in the street's region.
    record = services.propose_record(user("street1"), base, moment=T0)
    assert record.region_code == "500103001" and record.status == R.REVIEW and record.score == 5
    # The score defaults to the rule's suggested score.
    record = services.propose_record(user("district1"), {**base, "score": ""}, moment=T0)
    assert record.score == r.suggested_score and record.score_type == "deduction" and record.severity == "general"
    db.session.rollback()


def test_amend_and_resubmit(rc):
    ent = new_enterprise()
    record = propose(ent.id, moment=T0)
    services.transition(record, "return", user("reviewer"), "分值过高", moment=T0)
    with pytest.raises(DomainError) as err:
        services.amend_record(record, user("street1"), {"score": 3}, moment=T0)
    assert str(err.value) == "只有申请人可以执行此操作。"
    with pytest.raises(DomainError) as err:
        services.amend_record(record, user("district1"), {"score": 30}, moment=T0)
    assert str(err.value) == "记分标准 WY-K-005 的分值须在 2 至 10 之间。"
    services.amend_record(record, user("district1"), {"score": 3, "facts": "电梯停运三天"}, moment=T0)
    assert record.status == R.REVIEW and record.score == 3 and record.reason is None
    actions = [e.action for e in services.events_of("record", record.id)]
    assert actions == ["submit", "return", "resubmit"]
    db.session.commit()


# --- objections ----------------------------------------------------------------------------

def test_objection_once_and_within_publicity(rc):
    ent, ent_admin = new_enterprise(admin=True)
    record = _record_in(R.PUBLICITY, ent, ent_admin)
    with pytest.raises(DomainError) as err:
        services.object_to(record, ent_admin, "  ", moment=T0)
    assert str(err.value) == "请填写原因。"
    with pytest.raises(DomainError) as err:
        services.object_to(record, ent_admin, "不服", moment=record.publicity_until)
    assert str(err.value) == f"公示已于 {record.publicity_until:%Y-%m-%d %H:%M} 结束，不再受理异议。"
    objection = services.object_to(record, ent_admin, "事实有误", moment=T0 + timedelta(hours=3))
    assert record.status == R.OBJECTED and objection.status == DecisionStatus.PENDING
    assert objection.org_id == ent.id
    services.decide_objection(objection, False, user("reviewer"), "经核查事实清楚", moment=T0 + timedelta(days=1))
    assert record.status == R.PUBLICITY and objection.status == DecisionStatus.REJECTED
    with pytest.raises(DomainError) as err:
        services.decide_objection(objection, True, user("reviewer"), "再议", moment=T0 + timedelta(days=1))
    assert str(err.value) == "该异议已处理。"
    with pytest.raises(DomainError) as err:
        services.object_to(record, ent_admin, "再次异议", moment=T0 + timedelta(days=1))
    assert str(err.value) == "已对此提出过异议，每项只受理一次异议。"
    db.session.commit()


def test_objection_decided_after_publicity_ends_takes_effect(rc):
    ent, ent_admin = new_enterprise(admin=True)
    record = _record_in(R.PUBLICITY, ent, ent_admin)
    objection = services.object_to(record, ent_admin, "事实有误", moment=T0 + timedelta(hours=3))
    late = record.publicity_until + timedelta(days=2)
    with pytest.raises(DomainError) as err:
        services.decide_objection(objection, False, user("district1"), "维持", moment=late)
    assert str(err.value) == "只有审核员可以执行此操作。"
    services.decide_objection(objection, False, user("reviewer"), "维持", moment=late)
    assert record.status == R.EFFECTIVE and record.effective_from == record.publicity_until
    assert scoring.score_of(ent.id).score == 55
    db.session.commit()


def test_upheld_objection_withdraws(rc):
    ent, ent_admin = new_enterprise(admin=True)
    record = _record_in(R.WITHDRAWN, ent, ent_admin)
    assert record.reason == "异议成立"
    assert scoring.score_of(ent.id).score == 60


# --- notices ---------------------------------------------------------------------------------

def test_enterprise_is_told_by_notice_and_sms(rc):
    from app.core.notices import Notice
    from app.core.sms import SmsMessage

    ent = new_enterprise()
    record = propose(ent.id, moment=T0)
    services.transition(record, "approve", user("reviewer"), moment=T0)
    db.session.commit()
    notice = db.session.execute(select(Notice).where(Notice.org_id == ent.id)).scalars().one()
    assert notice.title.startswith(f"贵企业的信用记录 {record.number} 正在公示")
    assert notice.link == f"/credit/records/show/{record.id}"
    sms = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == ent.contact_mobile)).scalars().all()
    assert len(sms) == 1 and record.number in sms[0].content
    services.transition(record, "take_effect", None, moment=record.publicity_until)
    db.session.commit()
    titles = db.session.execute(select(Notice.title).where(Notice.org_id == ent.id)).scalars().all()
    assert f"贵企业的信用记录 {record.number} 已生效。" in titles


# --- the feed ----------------------------------------------------------------------------------

def test_feed_is_idempotent(rc):
    ent = new_enterprise()
    first, created = services.feed("filing_overdue", "F-1", ent.id, "WY-K-001", "物业服务合同逾期未备案", moment=T0)
    db.session.commit()
    again, created_again = services.feed("filing_overdue", "F-1", ent.id, "WY-K-001", "重复", moment=T0)
    assert created and not created_again and again.id == first.id
    assert first.origin == "system" and first.status == R.REVIEW and first.applicant_id is None
    assert first.score == rule("WY-K-001").suggested_score
    clamped, _ = services.feed("filing_overdue", "F-2", ent.id, "WY-K-001", "逾期", score=99, moment=T0)
    assert clamped.score == rule("WY-K-001").max_score
    with pytest.raises(DomainError) as err:
        services.transition(first, "return", user("reviewer"), "退回", moment=T0)
    assert str(err.value) == "系统记分不能退回，请审核通过或不予通过。"
    assert "return" not in services.allowed_actions(first, user("reviewer"))
    with pytest.raises(DomainError) as err:
        services.feed("x", "1", ent.id, "NO-SUCH", "事实", moment=T0)
    assert str(err.value) == "记分标准 NO-SUCH 不存在。"
    db.session.commit()


def test_complaint_proposals_become_records_once(rc):
    from app.complaints.models import CreditProposal

    ent = new_enterprise()
    db.session.execute(insert(CreditProposal), [
        {"org_id": ent.id, "region_code": "500103001", "source_type": "complaint", "source_id": 900000 + i,
         "source_number": f"TS{i}", "reason_code": "complaint_overdue", "reason": f"诉求 TS{i} 超期未办结",
         "points": 2, "status": "proposed", "created_on": T0} for i in range(3)])
    db.session.commit()
    assert services.consume_complaint_proposals(moment=T0) >= 3
    assert services.consume_complaint_proposals(moment=T0) == 0
    records = db.session.execute(select(CreditRecord).where(CreditRecord.org_id == ent.id)).scalars().all()
    assert len(records) == 3
    assert {r.rule.code for r in records} == {"WY-K-003"} and {r.score for r in records} == {2}
    assert {r.source_type for r in records} == {"complaint_complaint_overdue"}
    assert all(r.region_code == "500103001" for r in records)
    left = db.session.execute(select(func.count()).select_from(CreditProposal).where(
        CreditProposal.org_id == ent.id, CreditProposal.status == "proposed")).scalar()
    assert left == 0
    # The same proposal fed again by hand (e.g. a re-run that lost its mark) makes no second record.
    _rec, created = services.feed("complaint_complaint_overdue", "900000", ent.id, "WY-K-003", "再次", moment=T0)
    assert not created


def test_feed_from_two_sessions_at_once(app):
    with app.test_request_context("/"):
        ent_id = new_enterprise().id
        db.session.remove()
    b_waits = StatementSignal("UPDATE ANJU_SEQUENCE")
    outcome = {}

    def session_b():
        with app.test_request_context("/"):
            try:
                b_waits.arm(db.engine)
                record, created = services.feed("survey", "S-77", ent_id, "WY-J-003", "满意度优秀", moment=T0)
                db.session.commit()
                outcome["b"] = (record.id, created)
            except Exception as exc:  # reported below
                db.session.rollback()
                outcome["b"] = repr(exc)
            finally:
                b_waits.disarm()
                db.session.remove()

    with app.test_request_context("/"):
        record, created = services.feed("survey", "S-77", ent_id, "WY-J-003", "满意度优秀", moment=T0)
        assert created
        other = threading.Thread(target=session_b)
        other.start()
        assert b_waits.wait(20), "session B never reached its write"
        time.sleep(0.3)
        db.session.commit()
        a_id = record.id
        other.join(30)
        db.session.remove()
    assert outcome["b"] == (a_id, False)
    with app.test_request_context("/"):
        count = db.session.execute(select(func.count()).select_from(CreditRecord).where(
            CreditRecord.source_type == "survey", CreditRecord.source_key == "S-77")).scalar()
        assert count == 1


# --- red and black lists ------------------------------------------------------------------------

def _entry(ent, list_type="black", moment=T0, **data):
    entry = services.propose_list_entry(user("gov_admin"), {"org_id": ent.id, "list_type": list_type,
                                                            "reason": "多次严重违规", **data}, moment=moment)
    db.session.commit()
    return entry


def test_list_proposals(rc):
    ent = new_enterprise()
    with pytest.raises(DomainError) as err:
        services.propose_list_entry(user("district1"), {"org_id": ent.id, "list_type": "black", "reason": "x"})
    assert str(err.value) == "只有市级管理员可以提出红黑名单建议。"
    for data, message in [({"list_type": "grey"}, "请选择红名单或黑名单。"),
                          ({"reason": " "}, "请填写列入原因。"),
                          ({"valid_months": 5}, "有效期须在 6 至 36 个月之间。"),
                          ({"valid_months": 37}, "有效期须在 6 至 36 个月之间。"),
                          ({"valid_months": "一年"}, "有效期须为整数月。")]:
        with pytest.raises(DomainError) as err:
            services.propose_list_entry(user("gov_admin"), {"org_id": ent.id, "list_type": "black",
                                                            "reason": "违规", **data}, moment=T0)
        assert str(err.value) == message
        db.session.rollback()
    entry = _entry(ent)
    assert entry.status == ListStatus.PROPOSED and entry.valid_months == 12 and entry.number.startswith("HM")
    with pytest.raises(DomainError) as err:
        _entry(ent)
    assert str(err.value) == f"{ent.name}已有待审核的黑名单记录 {entry.number}。"
    db.session.rollback()
    red = _entry(ent, "red", reason="守信")
    assert red.valid_months == 12 and red.number.startswith("HS")


@pytest.mark.parametrize("status", [s for s in ListStatus.ALL if s not in (ListStatus.REPAIRED,)])
def test_list_state_action_matrix(rc, status):
    ent, ent_admin = new_enterprise(admin=True)
    labels = {"proposed": "待审核", "rejected": "不予通过", "publicity": "公示中", "objected": "异议处理中",
              "effective": "生效", "cancelled": "已注销", "expired": "已过期", "withdrawn": "已撤回"}
    actions = {"approve": "审核通过", "reject": "不予通过", "object": "提出异议", "uphold": "异议不成立（维持）",
               "withdraw": "异议成立（撤回）", "take_effect": "生效", "expire": "到期失效", "cancel": "注销",
               "repair": "信用修复"}
    who = {"approve": "reviewer", "reject": "reviewer", "uphold": "reviewer", "withdraw": "reviewer",
           "cancel": "gov_admin", "take_effect": None, "expire": None, "repair": None, "object": "ENT"}
    for action, (sources, target, _who, _need) in services.LIST_TRANSITIONS.items():
        entry = _list_in(status, ent, ent_admin)
        actor = ent_admin if who[action] == "ENT" else (user(who[action]) if who[action] else None)
        if status in sources:
            services.transition(entry, action, actor, "理由", moment=T0 + timedelta(hours=5))
            assert entry.status == target
        else:
            with pytest.raises(DomainError) as err:
                services.transition(entry, action, actor, "理由", moment=T0 + timedelta(hours=5))
            assert str(err.value) == f"{labels[status]}的记录不能{actions[action]}。"
        db.session.rollback()
        # Start each action from a fresh entry: a new proposal needs the previous one closed.
        _close(entry)


def _close(entry):
    entry = db.session.get(CreditListEntry, entry.id)
    if entry.status in ListStatus.OPEN:
        entry.status = ListStatus.CANCELLED     # test bookkeeping only: frees the enterprise for the next case
        db.session.commit()


def _list_in(status, ent, ent_admin):
    entry = _entry(ent)
    reviewer = user("reviewer")
    if status == ListStatus.PROPOSED:
        return entry
    if status == ListStatus.REJECTED:
        services.transition(entry, "reject", reviewer, "依据不足", moment=T0)
    else:
        services.transition(entry, "approve", reviewer, moment=T0)
        if status == ListStatus.OBJECTED:
            services.object_to(entry, ent_admin, "不服", moment=T0 + timedelta(hours=1))
        elif status == ListStatus.WITHDRAWN:
            o = services.object_to(entry, ent_admin, "不服", moment=T0 + timedelta(hours=1))
            services.decide_objection(o, True, reviewer, "成立", moment=T0 + timedelta(hours=2))
        elif status in (ListStatus.EFFECTIVE, ListStatus.EXPIRED, ListStatus.CANCELLED):
            services.transition(entry, "take_effect", None, moment=entry.publicity_until)
            if status == ListStatus.EXPIRED:
                services.transition(entry, "expire", None, moment=entry.valid_until)
            elif status == ListStatus.CANCELLED:
                services.transition(entry, "cancel", user("gov_admin"), "整改到位", moment=entry.publicity_until)
    db.session.commit()
    assert entry.status == status
    return entry


def test_list_publicity_and_validity(rc):
    ent = new_enterprise()
    entry = _entry(ent, valid_months=6)
    services.transition(entry, "approve", user("reviewer"), moment=T0)
    # 7 working days from Monday 2026-11-02 10:00.
    assert entry.publicity_until == datetime(2026, 11, 11, 10, 0)
    db.session.commit()
    jobs.run_daily(moment=datetime(2026, 11, 11, 9, 59))
    assert db.session.get(CreditListEntry, entry.id).status == ListStatus.PUBLICITY
    jobs.run_daily(moment=datetime(2026, 11, 11, 10, 0))
    entry = db.session.get(CreditListEntry, entry.id)
    assert entry.status == ListStatus.EFFECTIVE
    assert (entry.valid_from, entry.valid_until) == (datetime(2026, 11, 11, 10, 0), datetime(2027, 5, 11, 10, 0))
    assert services.is_blacklisted(ent.id)
    warning = services.blacklist_warning(ent.id)
    assert warning == f"该企业已被列入黑名单（{entry.number}，有效期至 2027-05-11）：多次严重违规"
    jobs.run_daily(moment=datetime(2027, 5, 11, 10, 0))
    entry = db.session.get(CreditListEntry, entry.id)
    assert entry.status == ListStatus.EXPIRED and not services.is_blacklisted(ent.id)


def test_cancel_needs_admin_and_reason(rc):
    ent = new_enterprise()
    entry = _entry(ent)
    services.transition(entry, "approve", user("reviewer"), moment=T0)
    with pytest.raises(DomainError) as err:
        services.transition(entry, "cancel", user("reviewer"), "整改", moment=T0)
    assert str(err.value) == "只有市级管理员可以执行此操作。"
    with pytest.raises(DomainError) as err:
        services.transition(entry, "cancel", user("gov_admin"), "", moment=T0)
    assert str(err.value) == "请填写原因。"
    services.transition(entry, "cancel", user("gov_admin"), "认定依据已撤销", moment=T0)
    assert entry.status == ListStatus.CANCELLED and entry.end_reason == "认定依据已撤销"
    db.session.commit()


# --- credit repair ---------------------------------------------------------------------------

def test_credit_repair(rc):
    ent, ent_admin = new_enterprise(admin=True)
    red = _entry(ent, "red", reason="守信")
    with pytest.raises(DomainError) as err:
        services.apply_repair(red, ent_admin, "整改", moment=T0)
    assert str(err.value) == "只有黑名单可以申请信用修复。"
    entry = _entry(ent)
    with pytest.raises(DomainError) as err:
        services.apply_repair(entry, ent_admin, "整改", moment=T0)
    assert str(err.value) == "只有生效中的名单可以申请信用修复，该名单当前为待审核。"
    services.transition(entry, "approve", user("reviewer"), moment=T0)
    services.transition(entry, "take_effect", None, moment=entry.publicity_until)
    db.session.commit()
    start = entry.valid_from
    early = start + timedelta(days=89)
    with pytest.raises(DomainError) as err:
        services.apply_repair(entry, ent_admin, "整改", moment=early)
    assert str(err.value) == f"名单生效满 90 天后方可申请信用修复，即自 {start + timedelta(days=90):%Y-%m-%d} 起。"
    with pytest.raises(DomainError) as err:
        services.apply_repair(entry, user("ent_b"), "整改", moment=start + timedelta(days=91))
    assert str(err.value) == "只有相关企业可以提出异议或申请信用修复。"
    when = start + timedelta(days=91)
    with pytest.raises(DomainError) as err:
        services.apply_repair(entry, ent_admin, " ", moment=when)
    assert str(err.value) == "请填写整改情况。"
    repair = services.apply_repair(entry, ent_admin, "已全部整改并赔偿业主", moment=when)
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.apply_repair(entry, ent_admin, "再次申请", moment=when)
    assert str(err.value) == f"信用修复申请 {repair.number} 正在等待审核。"
    with pytest.raises(DomainError) as err:
        services.decide_repair(repair, True, user("gov_admin"), moment=when)
    assert str(err.value) == "只有审核员可以执行此操作。"
    with pytest.raises(DomainError) as err:
        services.decide_repair(repair, False, user("reviewer"), "", moment=when)
    assert str(err.value) == "请填写原因。"
    services.decide_repair(repair, True, user("reviewer"), "整改到位", moment=when + timedelta(hours=1))
    db.session.commit()
    assert repair.status == DecisionStatus.ACCEPTED
    entry = db.session.get(CreditListEntry, entry.id)
    assert entry.status == ListStatus.REPAIRED and entry.valid_until == when + timedelta(hours=1)
    assert not services.is_blacklisted(ent.id)
    history = scoring.history_of(ent.id)
    assert history[0].cause == f"信用修复 {repair.number} 审核通过，黑名单 {entry.number} 提前结束。"
    assert [e.action for e in services.events_of("list", entry.id)] == [
        "propose", "approve", "take_effect", "apply_repair", "repair"]
    with pytest.raises(DomainError) as err:
        services.decide_repair(repair, False, user("reviewer"), "再议", moment=when)
    assert str(err.value) == "该信用修复申请已处理。"


# --- the daily job's proposals ---------------------------------------------------------------------

def test_job_proposes_black_for_level_c_once_and_red_for_long_aaa(rc):
    low = new_enterprise()
    from tests.credit.helpers import effective

    effective(low.id, "WY-K-005", score=10, moment=T0)          # 60 - 10 = 50: level C
    assert scoring.score_of(low.id).level == "C"
    moment = datetime(2026, 12, 1, 2, 0)
    jobs.run_daily(moment=moment)
    entries = db.session.execute(select(CreditListEntry).where(CreditListEntry.org_id == low.id)).scalars().all()
    assert [(e.list_type, e.status, e.origin) for e in entries] == [("black", "proposed", "system")]
    assert entries[0].reason == "信用等级为 C（信用分 50）。"
    services.transition(entries[0], "reject", user("reviewer"), "情节轻微", moment=moment)
    db.session.commit()
    jobs.run_daily(moment=moment + timedelta(days=1))       # same C period: never proposed again
    assert db.session.execute(select(func.count()).select_from(CreditListEntry).where(
        CreditListEntry.org_id == low.id)).scalar() == 1

    high = new_enterprise()
    for _i in range(4):
        effective(high.id, "WY-J-004", score=10, moment=T0)    # +40: 100, AAA
    score = scoring.score_of(high.id)
    assert (score.score, score.level) == (100, "AAA")
    jobs.run_daily(moment=score.level_since + timedelta(days=179))
    assert services.open_entry(high.id, "red") is None
    jobs.run_daily(moment=score.level_since + timedelta(days=180))
    red = services.open_entry(high.id, "red")
    assert red is not None and red.status == ListStatus.PROPOSED and red.reason.startswith("自 ")


def test_serious_violation_proposes_black(rc):
    from tests.credit.helpers import effective

    ent = new_enterprise()
    record = effective(ent.id, "WY-K-006", score=10, moment=T0)     # serious, 60 - 10 = 50
    assert record.severity == "serious"
    assert record.effective_until == record.effective_from.replace(year=record.effective_from.year + 3)
    jobs.run_daily(moment=datetime(2026, 12, 1))
    keys = db.session.execute(select(CreditListEntry.source_key).where(CreditListEntry.org_id == ent.id)
                              ).scalars().all()
    # One open black entry at a time: level C and the serious record are one proposal.
    assert len(keys) == 1


def test_every_step_is_recorded(rc):
    ent, ent_admin = new_enterprise(admin=True)
    record = _record_in(R.WITHDRAWN, ent, ent_admin)
    events = services.events_of("record", record.id)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("submit", None, "review"), ("approve", "review", "publicity"), ("object", "publicity", "objected"),
        ("withdraw", "objected", "withdrawn")]
    assert events[1].actor_name == user("reviewer").first_name
    objection = db.session.execute(select(CreditObjection).where(CreditObjection.subject_id == record.id,
                                                                 CreditObjection.subject_type == "record")
                                   ).scalars().one()
    assert [e.action for e in services.events_of("objection", objection.id)] == ["object", "withdraw"]


def test_the_job_tells_each_enterprise_once_per_step(rc):
    """Two records of one enterprise taking effect in one run: one notice and one SMS naming both."""
    from app.core.notices import Notice
    from app.core.sms import SmsMessage

    ent = new_enterprise()
    records = [propose(ent.id, "WY-J-001", score=3, moment=T0) for _i in range(2)]      # +6: no list proposal
    for record in records:
        services.transition(record, "approve", user("reviewer"), moment=T0)
    db.session.commit()
    before = db.session.execute(select(func.count()).select_from(SmsMessage)
                                .where(SmsMessage.mobile == ent.contact_mobile)).scalar()
    jobs.run_daily(moment=records[0].publicity_until)
    titles = db.session.execute(select(Notice.title).where(Notice.org_id == ent.id, Notice.title.like("%已生效%"))
                                ).scalars().all()
    numbers = "、".join(r.number for r in records)
    assert titles == [f"贵企业有 2 条信用记录已生效：{numbers}"]
    after = db.session.execute(select(func.count()).select_from(SmsMessage)
                               .where(SmsMessage.mobile == ent.contact_mobile)).scalar()
    assert after == before + 1
