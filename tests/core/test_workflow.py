"""The business-application engine (app/core/workflow.py) and its counters (sequences.py).

Real demo users, the real session, the session database shared with the other modules:
every test creates its own applications under test-only types (codes t_wf_*, prefixes
TW*), never touches demo data, and runs inside a request context so messages resolve in
the default locale (zh). The state table is written out below from the engine's docstring,
so a change to TRANSITIONS is caught rather than mirrored."""
import json
import re
import threading
import time
import uuid
from datetime import datetime

import pytest
from flask_babel import gettext
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.core import workflow
from app.core.audit import AuditLog
from app.core.errors import DomainError
from app.core.sequences import next_value
from app.core.workflow import (
    Action,
    Application,
    ApplicationEvent,
    ApplicationType,
    AppStatus,
    register_type,
)
from app.extensions import db

from tests.concurrency import StatementSignal

CJK = re.compile(r"[\u4e00-\u9fff]")

DRAFT, SUBMITTED, ACCEPTED, APPROVED, RETURNED, REJECTED, TERMINATED = (
    "draft", "submitted", "accepted", "approved", "returned", "rejected", "terminated")
ALL_STATUSES = (DRAFT, SUBMITTED, ACCEPTED, APPROVED, RETURNED, REJECTED, TERMINATED)

# The state machine as the docstring draws it: action -> (allowed from, to).
SPEC = {
    "submit": ({DRAFT}, SUBMITTED),
    "accept": ({SUBMITTED}, ACCEPTED),
    "approve": ({ACCEPTED}, APPROVED),
    "return": ({SUBMITTED, ACCEPTED}, RETURNED),
    "reject": ({SUBMITTED, ACCEPTED}, REJECTED),
    "resubmit": ({RETURNED}, SUBMITTED),
    "terminate": ({DRAFT, RETURNED}, TERMINATED),
}
APPLICANT_ACTIONS = {"submit", "resubmit", "terminate"}
DECIDER_ACTIONS = {"accept", "approve", "return", "reject"}
NEED_REASON = {"return", "reject"}
LEGAL = [(action, source) for action, (sources, _t) in SPEC.items() for source in sorted(sources)]
ILLEGAL = [(action, status) for action, (sources, _t) in SPEC.items()
           for status in ALL_STATUSES if status not in sources]

IN_SCOPE = "500103"      # 渝中区: inside the reviewer's 重庆 (50) and district1's 500103
OUTSIDE = "510104"       # 成都锦江区: outside both

# --- test-only application types --------------------------------------------------------

BASIC = "t_wf_basic"
DISTRICT = "t_wf_district"
HOOKS = "t_wf_hooks"
HOOK_OK = "t_wf_hook_ok"
HOOK_FAIL = "t_wf_hook_fail"

HOOK_CALLS = []


def _recorder(name):
    def hook(application, actor):
        HOOK_CALLS.append((name, application.id, application.status, actor.username))
    return hook


def _mark_subject(application, actor):
    """Changes another row: the application this one is about."""
    other = db.session.get(Application, application.subject_id)
    other.title = f"随 {application.number} 批准"
    other.payload = {"approved_by": actor.username}


def _mark_subject_then_refuse(application, actor):
    _mark_subject(application, actor)
    db.session.flush()  # the change has reached the database before the refusal
    raise DomainError("关联记录不允许批准")


register_type(ApplicationType(code=BASIC, label="测试业务", prefix="TWB"))
register_type(ApplicationType(code=DISTRICT, label="区级测试业务", prefix="TWD",
                              decider_roles=("district",)))
register_type(ApplicationType(
    code=HOOKS, label="钩子测试", prefix="TWK",
    on_submit=_recorder("on_submit"), on_approve=_recorder("on_approve"),
    on_return=_recorder("on_return"), on_reject=_recorder("on_reject"),
    on_terminate=_recorder("on_terminate")))
register_type(ApplicationType(code=HOOK_OK, label="批准联动", prefix="TWH", on_approve=_mark_subject))
register_type(ApplicationType(code=HOOK_FAIL, label="批准失败", prefix="TWF",
                              on_approve=_mark_subject_then_refuse))


# --- helpers ------------------------------------------------------------------------------

@pytest.fixture
def rq(app):
    """A request context (locale zh) with the real session, cleaned up afterwards."""
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
        db.session.remove()


def user(username):
    from flask import current_app

    found = current_app.appbuilder.sm.find_user(username=username)
    assert found is not None, username
    return found


def msg(msgid, **params):
    return gettext(msgid, **params)


def refused(call, *args, **kwargs):
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    text_ = str(info.value)
    assert CJK.search(text_), f"not Chinese: {text_!r}"
    return text_


def make(status=DRAFT, type_code=BASIC, applicant="public1", region_code=IN_SCOPE, title="测试业务单", **kw):
    """A committed application of ``applicant`` put straight into ``status``."""
    application = workflow.create(type_code, applicant=user(applicant), title=title,
                                  region_code=region_code, **kw)
    if status != DRAFT:
        application.status = status
    db.session.commit()
    return application


def actor_for(action, applicant="public1"):
    return user(applicant) if action in APPLICANT_ACTIONS else user("reviewer")


def reason_for(action):
    return "材料不全，请补充营业执照" if action in NEED_REASON else None


def stored(app_id):
    """(status, reason, version, [(action, from, to, actor_id, reason)]) as committed."""
    with Session(bind=db.engine) as s:
        row = s.get(Application, app_id)
        events = s.execute(select(ApplicationEvent).where(ApplicationEvent.application_id == app_id)
                           .order_by(ApplicationEvent.id)).scalars().all()
        return (row.status, row.reason, row.version,
                [(e.action, e.from_status, e.to_status, e.actor_id, e.reason) for e in events])


def number_parts(number, prefix):
    m = re.fullmatch(rf"{prefix}(\d{{8}})(\d{{4}})", number)
    assert m, number
    return m.group(1), int(m.group(2))


# --- the table itself -----------------------------------------------------------------------

def test_transition_table_is_the_documented_one():
    assert {a: (set(src), to) for a, (src, to) in workflow.TRANSITIONS.items()} == SPEC
    assert set(Action.APPLICANT) == APPLICANT_ACTIONS
    assert set(Action.DECIDER) == DECIDER_ACTIONS
    assert set(Action.NEED_REASON) == NEED_REASON
    assert set(AppStatus.ALL) == set(ALL_STATUSES)
    assert set(AppStatus.OPEN) == {SUBMITTED, ACCEPTED}
    assert set(AppStatus.FINAL) == {APPROVED, REJECTED, TERMINATED}


def test_labels_are_chinese(rq):
    names = {DRAFT: "草稿", SUBMITTED: "已提交", ACCEPTED: "已受理", APPROVED: "审核通过",
             RETURNED: "已退回", REJECTED: "不予通过", TERMINATED: "已终止"}
    assert {code: str(workflow.status_label(code)) for code in ALL_STATUSES} == names
    for action in ["create", *SPEC]:
        assert CJK.search(str(workflow.action_label(action))), action
    assert str(workflow.type_label(BASIC)) == "测试业务"


# --- create -----------------------------------------------------------------------------------

def test_create_gives_a_numbered_draft_with_a_create_event(rq):
    applicant = user("ent_a")
    t0 = datetime.now()
    application = workflow.create(BASIC, applicant=applicant, title="物业企业备案" + "长" * 300,
                                  org_id=applicant.org_id, region_code=IN_SCOPE,
                                  payload={"项目": "七星岗小区", "n": 3}, subject=("Organization", applicant.org_id))
    t1 = datetime.now()
    assert application.id is not None  # flushed, not committed
    day, _n = number_parts(application.number, "TWB")
    assert day in (t0.strftime("%Y%m%d"), t1.strftime("%Y%m%d"))
    assert application.status == DRAFT
    assert application.submitted_at is None and application.decided_at is None
    assert application.reason is None and application.decider_id is None
    assert len(application.title) == 200
    db.session.commit()
    row = db.session.get(Application, application.id)
    assert (row.app_type, row.applicant_id, row.org_id, row.region_code) == \
           (BASIC, applicant.id, applicant.org_id, IN_SCOPE)
    assert row.payload == {"项目": "七星岗小区", "n": 3}
    assert (row.subject_type, row.subject_id) == ("Organization", applicant.org_id)
    assert [(e.action, e.from_status, e.to_status, e.actor_id, e.actor_name, e.reason)
            for e in row.events] == [("create", None, DRAFT, applicant.id, applicant.first_name, None)]
    assert t0 <= row.events[0].at <= t1
    assert workflow.latest_for_subject("Organization", applicant.org_id, BASIC).id == row.id


def test_create_and_submit_at_once(rq):
    applicant = user("public1")
    t0 = datetime.now()
    application = workflow.create(BASIC, applicant=applicant, title="个人申报", region_code=IN_SCOPE,
                                  submit=True)
    t1 = datetime.now()
    db.session.commit()
    assert application.status == SUBMITTED
    assert application.status_label == "已提交"
    assert t0 <= application.submitted_at <= t1
    events = application.events
    assert [(e.action, e.from_status, e.to_status, e.actor_id, e.actor_name) for e in events] == [
        ("create", None, DRAFT, applicant.id, "李四"),
        ("submit", DRAFT, SUBMITTED, applicant.id, "李四"),
    ]
    assert all(t0 <= e.at <= t1 for e in events)
    assert stored(application.id)[0] == SUBMITTED


def test_numbers_are_unique_increasing_and_gap_free(rq):
    applicant = user("public1")
    numbers = []
    for i in range(30):
        numbers.append(workflow.create(BASIC, applicant=applicant, title=f"批量{i}",
                                       region_code=IN_SCOPE).number)
        if i % 7 == 0:
            db.session.commit()
    db.session.commit()
    assert len(set(numbers)) == 30
    parts = [number_parts(n, "TWB") for n in numbers]
    if parts[0][0] != parts[-1][0]:
        pytest.skip("ran across midnight: the daily counter restarted")
    seq = [n for _d, n in parts]
    assert seq == list(range(seq[0], seq[0] + 30)), seq
    # A creation that is rolled back gives its number back.
    lost = workflow.create(BASIC, applicant=applicant, title="撤销", region_code=IN_SCOPE).number
    db.session.rollback()
    again = workflow.create(BASIC, applicant=applicant, title="重来", region_code=IN_SCOPE).number
    db.session.commit()
    assert again == lost
    assert number_parts(again, "TWB")[1] == seq[-1] + 1
    # Types with another prefix count on their own.
    other = workflow.create(DISTRICT, applicant=applicant, title="区级", region_code=IN_SCOPE)
    db.session.commit()
    assert other.number.startswith("TWD")


def test_unknown_type_and_unknown_operation_refused(rq):
    assert refused(workflow.create, "t_wf_no_such_type", applicant=user("public1"), title="x") == \
           msg("Unknown application type: %(code)s", code="t_wf_no_such_type")
    application = make(SUBMITTED)
    for action in ("create", "withdraw", "APPROVE"):
        assert refused(workflow.transition, application, action, user("reviewer"), "理由") == \
               msg("Unknown operation: %(action)s", action=action)
    assert application.status == SUBMITTED


# --- every transition ------------------------------------------------------------------------

@pytest.mark.parametrize("action,source", LEGAL)
def test_legal_transition(rq, action, source):
    application = make(source)
    app_id = application.id
    before = stored(app_id)
    actor = actor_for(action)
    reason = reason_for(action)
    target = SPEC[action][1]
    last_audit = db.session.execute(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)).scalar()
    t0 = datetime.now()
    assert workflow.transition(application, action, actor, reason) is application
    t1 = datetime.now()
    assert application.status == target
    last = application.events[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_id, last.actor_name, last.reason) == \
           (action, source, target, actor.id, actor.first_name, reason)
    assert t0 <= last.at <= t1
    if action in ("submit", "resubmit"):
        assert t0 <= application.submitted_at <= t1
        assert application.reason is None
    if action in DECIDER_ACTIONS:
        assert t0 <= application.decided_at <= t1
        assert application.decider_id == actor.id
    if action in NEED_REASON:
        assert application.reason == reason
    assert stored(app_id) == before, "visible before the caller commits"
    db.session.commit()
    status, stored_reason, version, events = stored(app_id)
    assert status == target
    assert version == before[2] + 1
    assert events == before[3] + [(action, source, target, actor.id, reason)]
    # The audit log records the status change.
    changes = [(json.loads(r.before or "{}").get("status"), json.loads(r.after or "{}").get("status"))
               for r in db.session.execute(select(AuditLog).where(
                   AuditLog.entity == "Application", AuditLog.entity_id == str(app_id),
                   AuditLog.action == "update", AuditLog.id > last_audit)).scalars()]
    assert (source, target) in changes, changes


@pytest.mark.parametrize("action,status", ILLEGAL)
def test_illegal_transition_refused(rq, action, status):
    application = make(status)
    before = stored(application.id)
    message = refused(workflow.transition, application, action, actor_for(action), "理由充分")
    assert message == msg("An application that is %(status)s cannot be %(action)s.",
                          status=workflow.status_label(status), action=workflow.action_label(action))
    assert application.status == status
    assert len(application.events) == len(before[3])
    db.session.commit()
    assert stored(application.id) == before


def test_full_lifecycles(rq):
    applicant, reviewer = user("public1"), user("reviewer")
    a = workflow.create(BASIC, applicant=applicant, title="全流程", region_code=IN_SCOPE, submit=True)
    for action, reason in [("accept", None), ("return", "缺少附件"), ("resubmit", None),
                           ("accept", None), ("approve", None)]:
        workflow.transition(a, action, applicant if action in APPLICANT_ACTIONS else reviewer, reason)
        db.session.commit()
    assert [e.action for e in a.events] == ["create", "submit", "accept", "return", "resubmit",
                                           "accept", "approve"]
    assert [e.to_status for e in a.events] == [DRAFT, SUBMITTED, ACCEPTED, RETURNED, SUBMITTED,
                                              ACCEPTED, APPROVED]
    assert a.status == APPROVED and a.decider_id == reviewer.id and a.reason is None
    for action in SPEC:  # a final state accepts nothing
        refused(workflow.transition, a, action, actor_for(action), "理由")
    b = workflow.create(BASIC, applicant=applicant, title="终止", region_code=IN_SCOPE, submit=True)
    workflow.transition(b, "return", reviewer, "请补正")
    workflow.transition(b, "terminate", applicant)
    db.session.commit()
    assert stored(b.id)[0] == TERMINATED
    assert [e.action for e in b.events] == ["create", "submit", "return", "terminate"]


# --- reasons ---------------------------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(NEED_REASON))
@pytest.mark.parametrize("source", [SUBMITTED, ACCEPTED])
@pytest.mark.parametrize("reason", [None, "", "   \n\t "])
def test_return_and_reject_need_a_reason(rq, action, source, reason):
    application = make(source)
    before = stored(application.id)
    assert refused(workflow.transition, application, action, user("reviewer"), reason) == \
           msg("Please give the reason.")
    assert application.status == source
    db.session.commit()
    assert stored(application.id) == before


def test_reason_stored_trimmed_and_cleared_on_resubmit(rq):
    applicant, reviewer = user("public1"), user("reviewer")
    a = make(SUBMITTED)
    workflow.transition(a, "return", reviewer, "  请补充租赁合同原件扫描件  ")
    db.session.commit()
    assert a.reason == "请补充租赁合同原件扫描件"
    assert a.events[-1].reason == "请补充租赁合同原件扫描件"
    assert stored(a.id)[1] == "请补充租赁合同原件扫描件"
    workflow.transition(a, "resubmit", applicant)
    db.session.commit()
    assert a.reason is None and stored(a.id)[1] is None
    assert a.events[-1].reason is None
    assert a.events[-2].reason == "请补充租赁合同原件扫描件"  # history keeps it
    workflow.transition(a, "accept", reviewer)
    workflow.transition(a, "reject", reviewer, "不符合申报条件")
    db.session.commit()
    assert stored(a.id)[:2] == (REJECTED, "不符合申报条件")
    assert a.events[-1].reason == "不符合申报条件"


def test_reason_length_is_limited(rq):
    a = make(SUBMITTED)
    assert refused(workflow.transition, a, "reject", user("reviewer"), "理" * 2001) == \
           msg("The reason may be at most %(n)s characters.", n=2000)
    assert a.status == SUBMITTED
    workflow.transition(a, "reject", user("reviewer"), "理" * 2000)
    db.session.commit()
    assert stored(a.id)[:2] == (REJECTED, "理" * 2000)


# --- who may act -------------------------------------------------------------------------------

@pytest.mark.parametrize("action,status", [("submit", DRAFT), ("terminate", DRAFT),
                                           ("resubmit", RETURNED), ("terminate", RETURNED)])
@pytest.mark.parametrize("who", ["reviewer", "ent_a", "district1", "admin", None])
def test_only_the_applicant_submits_resubmits_terminates(rq, action, status, who):
    application = make(status, applicant="public1")
    before = stored(application.id)
    actor = user(who) if who else None
    assert refused(workflow.transition, application, action, actor) == \
           msg("Only the applicant may %(action)s this application.", action=workflow.action_label(action))
    assert application.status == status
    db.session.commit()
    assert stored(application.id) == before
    workflow.transition(application, action, user("public1"))  # the applicant may
    db.session.commit()
    assert stored(application.id)[0] == SPEC[action][1]


@pytest.mark.parametrize("who", ["public1", "ent_a", "ent_b", "district1", "street1", "gov_admin", None])
@pytest.mark.parametrize("action", sorted(DECIDER_ACTIONS))
def test_non_deciders_refused(rq, who, action):
    status = ACCEPTED if action == "approve" else SUBMITTED
    application = make(status, applicant="public1")
    before = stored(application.id)
    actor = user(who) if who else None
    assert refused(workflow.transition, application, action, actor, "理由") == \
           msg("Only a reviewer may decide on this application.")
    assert application.status == status
    db.session.commit()
    assert stored(application.id) == before


@pytest.mark.parametrize("action", sorted(DECIDER_ACTIONS))
def test_reviewer_decides_inside_chongqing_only(rq, action):
    status = ACCEPTED if action == "approve" else SUBMITTED
    reviewer = user("reviewer")
    outside = make(status, region_code=OUTSIDE)
    assert refused(workflow.transition, outside, action, reviewer, "理由") == \
           msg("This application is outside your scope.")
    assert outside.status == status
    no_region = make(status, region_code=None)
    assert refused(workflow.transition, no_region, action, reviewer, "理由") == \
           msg("This application is outside your scope.")
    inside = make(status, region_code=IN_SCOPE)
    workflow.transition(inside, action, reviewer, reason_for(action))
    db.session.commit()
    assert stored(inside.id)[0] == SPEC[action][1]
    assert stored(outside.id)[0] == status and stored(no_region.id)[0] == status


def test_type_decider_roles_and_district_scope(rq):
    district1, reviewer = user("district1"), user("reviewer")
    inside = make(SUBMITTED, type_code=DISTRICT, region_code=IN_SCOPE)
    street = make(SUBMITTED, type_code=DISTRICT, region_code="500103001")  # a street inside 渝中区
    outside = make(SUBMITTED, type_code=DISTRICT, region_code=OUTSIDE)
    other_district = make(SUBMITTED, type_code=DISTRICT, region_code="500112")  # 渝北区
    assert refused(workflow.transition, inside, "accept", reviewer) == \
           msg("Only a reviewer may decide on this application.")  # not this type's decider
    for application in (outside, other_district):
        assert refused(workflow.transition, application, "accept", district1) == \
               msg("This application is outside your scope.")
        assert application.status == SUBMITTED
    workflow.transition(inside, "accept", district1)
    workflow.transition(street, "reject", district1, "不属实")
    db.session.commit()
    assert stored(inside.id)[0] == ACCEPTED and stored(street.id)[0] == REJECTED
    assert stored(outside.id)[0] == SUBMITTED and stored(other_district.id)[0] == SUBMITTED
    workflow.transition(inside, "approve", district1)
    db.session.commit()
    assert stored(inside.id)[0] == APPROVED
    assert db.session.get(Application, inside.id).decider_id == district1.id


# --- allowed_actions ---------------------------------------------------------------------------

EXPECTED_APPLICANT = {DRAFT: {"submit", "terminate"}, RETURNED: {"resubmit", "terminate"}}
EXPECTED_REVIEWER = {SUBMITTED: {"accept", "return", "reject"}, ACCEPTED: {"approve", "return", "reject"}}


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_allowed_actions_per_state(rq, status):
    application = make(status, applicant="public1", region_code=IN_SCOPE)
    assert set(workflow.allowed_actions(application, user("public1"))) == EXPECTED_APPLICANT.get(status, set())
    assert set(workflow.allowed_actions(application, user("reviewer"))) == EXPECTED_REVIEWER.get(status, set())
    for outsider in ("ent_a", "district1", "street1", "gov_admin"):
        assert workflow.allowed_actions(application, user(outsider)) == [], outsider
    assert workflow.allowed_actions(application, None) == []
    for action in workflow.allowed_actions(application, user("public1")):
        assert action in SPEC and status in SPEC[action][0]


@pytest.mark.parametrize("status", [SUBMITTED, ACCEPTED])
def test_allowed_actions_respect_the_data_scope(rq, status):
    """A decider is offered nothing on an application outside their scope: transition()
    would refuse every one of those actions."""
    reviewer, district1 = user("reviewer"), user("district1")
    assert workflow.allowed_actions(make(status, region_code=OUTSIDE), reviewer) == []
    inside = make(status, type_code=DISTRICT, region_code=IN_SCOPE)
    assert set(workflow.allowed_actions(inside, district1)) == EXPECTED_REVIEWER[status]
    assert workflow.allowed_actions(inside, reviewer) == []
    assert workflow.allowed_actions(make(status, type_code=DISTRICT, region_code=OUTSIDE), district1) == []


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_allowed_actions_match_what_transition_accepts(rq, status):
    """'Exactly': each offered action succeeds, each other action is refused."""
    cases = [(BASIC, IN_SCOPE), (BASIC, OUTSIDE), (DISTRICT, IN_SCOPE), (DISTRICT, OUTSIDE)]
    for type_code, region in cases:
        application = make(status, type_code=type_code, region_code=region)
        app_id = application.id
        for who in ("public1", "reviewer", "district1", "ent_a"):
            actor = user(who)
            offered = set(workflow.allowed_actions(application, actor))
            for action in SPEC:
                try:
                    workflow.transition(application, action, actor, "理由")
                    ok = True
                except DomainError:
                    ok = False
                db.session.rollback()
                application = db.session.get(Application, app_id)
                assert application.status == status
                assert ok == (action in offered), (type_code, region, who, action, offered)


# --- hooks -------------------------------------------------------------------------------------

def test_hooks_run_on_their_transitions(rq):
    applicant, reviewer = user("public1"), user("reviewer")
    HOOK_CALLS.clear()
    a = workflow.create(HOOKS, applicant=applicant, title="钩子", region_code=IN_SCOPE, submit=True)
    workflow.transition(a, "accept", reviewer)
    workflow.transition(a, "return", reviewer, "补正")
    workflow.transition(a, "resubmit", applicant)
    workflow.transition(a, "accept", reviewer)
    workflow.transition(a, "approve", reviewer)
    b = workflow.create(HOOKS, applicant=applicant, title="钩子2", region_code=IN_SCOPE, submit=True)
    workflow.transition(b, "reject", reviewer, "不予通过")
    c = workflow.create(HOOKS, applicant=applicant, title="钩子3", region_code=IN_SCOPE)
    workflow.transition(c, "terminate", applicant)
    db.session.commit()
    # Each hook sees the new state and the actor; accept has no hook.
    assert HOOK_CALLS == [
        ("on_submit", a.id, SUBMITTED, "public1"),
        ("on_return", a.id, RETURNED, "reviewer"),
        ("on_submit", a.id, SUBMITTED, "public1"),
        ("on_approve", a.id, APPROVED, "reviewer"),
        ("on_submit", b.id, SUBMITTED, "public1"),
        ("on_reject", b.id, REJECTED, "reviewer"),
        ("on_terminate", c.id, TERMINATED, "public1"),
    ]


def test_on_approve_commits_with_the_approval(rq):
    subject = make(DRAFT, title="被批准的记录")
    a = make(ACCEPTED, type_code=HOOK_OK, subject=("Application", subject.id))
    subject_id, a_id = subject.id, a.id
    workflow.transition(a, "approve", user("reviewer"))
    # Not committed yet: another connection sees neither change.
    with Session(bind=db.engine) as other:
        assert other.get(Application, a_id).status == ACCEPTED
        assert other.get(Application, subject_id).title == "被批准的记录"
    db.session.commit()
    with Session(bind=db.engine) as other:
        assert other.get(Application, a_id).status == APPROVED
        changed = other.get(Application, subject_id)
        assert changed.title == f"随 {a.number} 批准"
        assert changed.payload == {"approved_by": "reviewer"}


def test_a_refusing_hook_undoes_the_transition(rq):
    subject = make(DRAFT)
    a = make(ACCEPTED, type_code=HOOK_FAIL, subject=("Application", subject.id))
    before, subject_before = stored(a.id), stored(subject.id)
    with pytest.raises(DomainError) as info:
        workflow.transition(a, "approve", user("reviewer"))
    assert str(info.value) == "关联记录不允许批准"
    db.session.rollback()
    assert stored(a.id) == before
    assert before[0] == ACCEPTED
    assert "approve" not in [e[0] for e in before[3]]
    assert stored(subject.id) == subject_before
    fresh = db.session.get(Application, a.id)
    assert fresh.status == ACCEPTED and fresh.decider_id is None
    assert db.session.get(Application, subject.id).title == "测试业务单"
    # Rolled back, it can still be decided another way.
    workflow.transition(fresh, "return", user("reviewer"), "请补充材料")
    db.session.commit()
    assert stored(a.id)[0] == RETURNED


# --- concurrency -------------------------------------------------------------------------------

def decision_events(app_id):
    return [e for e in stored(app_id)[3] if e[0] in DECIDER_ACTIONS]


@pytest.mark.parametrize("second", ["accept", "reject"])
def test_two_sessions_cannot_both_decide(rq, second):
    application = make(SUBMITTED)
    app_id = application.id
    reviewer = user("reviewer")
    mine = db.session.get(Application, app_id)
    assert mine.status == SUBMITTED
    other = Session(bind=db.engine)
    try:
        theirs = other.get(Application, app_id)
        assert theirs.status == SUBMITTED              # both loaded the submitted application
        other_reviewer = other.get(type(reviewer), reviewer.id)
        workflow.transition(mine, "accept", reviewer)
        db.session.commit()                           # the first decision wins
        assert theirs.status == SUBMITTED              # the second still holds the old row
        assert refused(workflow.transition, theirs, second, other_reviewer, "重复处理",
                       session=other) == \
               msg("This application was handled by someone else meanwhile; please reload it.")
        other.rollback()
    finally:
        other.close()
    status, _reason, _version, _events = stored(app_id)
    assert status == ACCEPTED
    assert [e[0] for e in decision_events(app_id)] == ["accept"]


def test_concurrent_decisions_in_two_requests(app):
    """Request B reads the application while A's decision is still open, then decides too.
    B's UPDATE waits for A's lock; when A commits, B must lose, not overwrite."""
    with app.test_request_context("/"):
        app_id = make(SUBMITTED).id
        db.session.remove()
    b_is_writing = StatementSignal("UPDATE ANJU_APPLICATION ")
    outcome = {}

    def request_b():
        with app.test_request_context("/"):
            engine = db.engine
            try:
                application = db.session.get(Application, app_id)
                assert application.status == SUBMITTED
                b_is_writing.arm(engine)
                workflow.transition(application, "reject", user("reviewer"), "B 不予通过")
                db.session.commit()
                outcome["b"] = "decided"
            except DomainError as exc:
                db.session.rollback()
                outcome["b"] = str(exc)
            except Exception as exc:  # reported by the assertion below
                db.session.rollback()
                outcome["b"] = repr(exc)
            finally:
                b_is_writing.disarm()
                db.session.remove()

    with app.test_request_context("/"):
        try:
            application = db.session.get(Application, app_id)
            workflow.transition(application, "accept", user("reviewer"))  # A: flushed, not committed
            other = threading.Thread(target=request_b)
            other.start()
            assert b_is_writing.wait(20), "request B never reached its UPDATE"
            time.sleep(0.3)  # B waits for A's lock
            db.session.commit()
            other.join(30)
            assert not other.is_alive()
            assert outcome["b"] == msg("This application was handled by someone else meanwhile; "
                                       "please reload it."), outcome
        finally:
            db.session.rollback()
            db.session.remove()
    with app.app_context():
        status, reason, _version, _events = stored(app_id)
        assert (status, reason) == (ACCEPTED, None)
        assert [e[0] for e in decision_events(app_id)] == ["accept"]
        db.session.remove()


# --- sequences ---------------------------------------------------------------------------------

def test_sequences_start_at_one_and_count_per_name(rq):
    a, b = f"t_wf:{uuid.uuid4().hex[:12]}", f"t_wf:{uuid.uuid4().hex[:12]}"
    assert [next_value(a) for _ in range(3)] == [1, 2, 3]
    assert next_value(b) == 1
    db.session.commit()
    assert next_value(a) == 4
    assert next_value(b) == 2
    db.session.commit()
    assert db.session.execute(text("SELECT value FROM anju_sequence WHERE name = :n"), {"n": a}).scalar() == 4


def test_sequence_rollback_gives_the_value_back(rq):
    name = f"t_wf:{uuid.uuid4().hex[:12]}"
    assert next_value(name) == 1
    db.session.rollback()                 # even the counter's creation is undone
    assert next_value(name) == 1
    db.session.commit()
    assert next_value(name) == 2
    assert next_value(name) == 3
    db.session.rollback()
    assert next_value(name) == 2
    db.session.commit()
    assert next_value(name) == 3
    db.session.commit()


def test_sequence_in_an_explicit_session(rq):
    name = f"t_wf:{uuid.uuid4().hex[:12]}"
    with Session(bind=db.engine) as other:
        assert next_value(name, session=other) == 1
        assert next_value(name, session=other) == 2
        other.commit()
    assert next_value(name) == 3
    db.session.commit()
    count = db.session.execute(text("SELECT COUNT(*) FROM anju_sequence WHERE name = :n"),
                               {"n": name}).scalar()
    assert count == 1
