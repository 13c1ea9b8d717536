"""Score and level arithmetic with worked examples (app/credit/scoring.py), rule versions
(app/credit/rules.py) and publicity counted in working days across a holiday."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.core.errors import DomainError
from app.credit import jobs, rules, scoring, services
from app.credit.models import CreditRecord, CreditRule, RecordStatus
from app.extensions import db
from app.system.models import Parameter
from tests.credit.helpers import effective, new_enterprise, propose, rule, user

T0 = datetime(2026, 11, 2, 10, 0)


@pytest.fixture
def rc(app):
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
        db.session.remove()


def _set_param(key, value):
    db.session.execute(update(Parameter).where(Parameter.key == key).values(value=str(value)))
    db.session.commit()
    from flask import g

    for attr in ("_params", "_param_rows"):
        g.pop(attr, None)


@pytest.mark.parametrize("bonus,deduction,score,level", [
    (0, 0, 60, "B"),            # base only
    (5, 0, 65, "B"),
    (10, 0, 70, "A"),           # exactly at a threshold: the higher level
    (20, 0, 80, "AA"),
    (29, 0, 89, "AA"),
    (30, 0, 90, "AAA"),
    (40, 0, 100, "AAA"),
    (55, 0, 100, "AAA"),        # bonuses capped at +40
    (55, 12, 88, "AA"),         # the cap applies to bonuses before deductions
    (0, 1, 59, "C"),
    (0, 80, -20, "C"),          # deductions are not capped
])
def test_policy_worked_examples(rc, bonus, deduction, score, level):
    policy = scoring.Policy.current()
    assert policy.score(bonus, deduction) == score
    assert policy.level(score) == level


def test_scores_follow_records_in_effect(rc):
    ent = new_enterprise()
    assert (scoring.score_of(ent.id).score, scoring.score_of(ent.id).level) == (60, "B")   # never computed
    effective(ent.id, "WY-J-004", score=10, moment=T0)
    effective(ent.id, "WY-J-004", score=10, moment=T0)
    effective(ent.id, "WY-J-004", score=10, moment=T0)
    effective(ent.id, "WY-J-004", score=10, moment=T0)
    effective(ent.id, "WY-J-001", score=8, moment=T0)            # bonus 48, capped at 40
    s = scoring.score_of(ent.id)
    assert (s.score, s.level, s.bonus, s.deduction) == (100, "AAA", 48, 0)
    deduction = effective(ent.id, "WY-K-005", score=7, moment=T0)
    s = scoring.score_of(ent.id)
    assert (s.score, s.level) == (93, "AAA")
    # A record in publicity or under review does not count.
    pending = propose(ent.id, "WY-K-005", score=10, moment=T0)
    services.transition(pending, "approve", user("reviewer"), moment=T0)
    db.session.commit()
    assert scoring.score_of(ent.id).score == 93
    # Revocation takes the deduction out at once, with the cause in the history.
    services.transition(deduction, "revoke", user("gov_admin"), "认定错误", moment=T0 + timedelta(days=10))
    db.session.commit()
    s = scoring.score_of(ent.id)
    assert (s.score, s.level) == (100, "AAA")
    last = scoring.history_of(ent.id)[0]
    assert (last.prev_score, last.score) == (93, 100)
    assert last.cause == f"信用记录 {deduction.number}：撤销"


def test_expiry_ends_a_records_effect(rc):
    ent = new_enterprise()
    record = effective(ent.id, "WY-K-005", score=10, moment=T0)
    assert scoring.score_of(ent.id).score == 50
    assert record.effective_until == record.effective_from.replace(year=record.effective_from.year + 1)
    jobs.run_daily(moment=record.effective_until - timedelta(minutes=1))
    assert scoring.score_of(ent.id).score == 50
    jobs.run_daily(moment=record.effective_until)
    record = db.session.get(CreditRecord, record.id)
    assert record.status == RecordStatus.EXPIRED
    s = scoring.score_of(ent.id)
    assert (s.score, s.level) == (60, "B")
    causes = [h.cause for h in scoring.history_of(ent.id)]
    assert causes[0] == "信用记录生效或失效"


def test_levels_are_parameters(rc):
    ent = new_enterprise()
    for _i in range(3):
        effective(ent.id, "WY-J-004", score=10, moment=T0)        # 90: AAA
    assert scoring.score_of(ent.id).level == "AAA"
    _set_param("credit.level_aaa", 95)
    try:
        scoring.recompute_all("参数调整", moment=T0 + timedelta(days=30))
        db.session.commit()
        s = scoring.score_of(ent.id)
        assert (s.score, s.level) == (90, "AA")
        assert scoring.history_of(ent.id)[0].cause == "参数调整"
        _set_param("credit.base_score", 70)
        scoring.recompute([ent.id], "参数调整", moment=T0 + timedelta(days=30))
        db.session.commit()
        assert (scoring.score_of(ent.id).score, scoring.score_of(ent.id).level) == (100, "AAA")
    finally:
        _set_param("credit.level_aaa", 90)
        _set_param("credit.base_score", 60)
        scoring.recompute_all("恢复", moment=T0 + timedelta(days=31))
        db.session.commit()


def test_recompute_writes_only_changes(rc):
    ent = new_enterprise()
    scoring.recompute([ent.id], "首次", moment=T0)
    db.session.commit()
    rows = len(scoring.history_of(ent.id))
    assert scoring.recompute([ent.id], "无变化", moment=T0) == 0
    assert len(scoring.history_of(ent.id)) == rows


def test_publicity_counts_working_days_across_national_day(rc):
    ent = new_enterprise()
    record = propose(ent.id, event_date=date(2026, 9, 28), moment=datetime(2026, 9, 30, 10, 0))
    services.transition(record, "approve", user("reviewer"), moment=datetime(2026, 9, 30, 10, 0))
    db.session.commit()
    # 10-01..10-07 are holidays, Saturday 10-10 is a working day (调休): the 5th working day is 10-13.
    assert record.publicity_until == datetime(2026, 10, 13, 10, 0)
    jobs.run_daily(moment=datetime(2026, 10, 13, 9, 59))
    assert db.session.get(CreditRecord, record.id).status == RecordStatus.PUBLICITY
    jobs.run_daily(moment=datetime(2026, 10, 13, 10, 0))
    record = db.session.get(CreditRecord, record.id)
    assert record.status == RecordStatus.EFFECTIVE
    assert (record.effective_from, record.effective_until) == (datetime(2026, 10, 13, 10, 0),
                                                               datetime(2027, 10, 13, 10, 0))


def test_publicity_days_are_a_parameter(rc):
    _set_param("credit.record_publicity_days", 2)
    try:
        ent = new_enterprise()
        record = propose(ent.id, moment=T0)
        services.transition(record, "approve", user("reviewer"), moment=T0)
        assert record.publicity_until == datetime(2026, 11, 4, 10, 0)
        db.session.commit()
    finally:
        _set_param("credit.record_publicity_days", 5)


# --- rule versions ------------------------------------------------------------------------

def _new_rule(code, **changes):
    values = dict(code=code, item="测试计分事项", category="property", score_type="deduction", suggested_score=3,
                  min_score=1, max_score=5, operation="manual", severity="general", validity_months=12,
                  effective_from=date(2024, 1, 1), enabled=True)
    values.update(changes)
    r = CreditRule(**values)
    rules.check_new(r)
    db.session.add(r)
    db.session.commit()
    return r


def test_rule_checks(rc):
    for changes, message in [
        ({"min_score": 4, "suggested_score": 3}, "分值须满足 0 ≤ 最低分值 ≤ 建议分值 ≤ 最高分值 ≤ 1000，且最高分值至少为 1。"),
        ({"max_score": 0, "min_score": 0, "suggested_score": 0}, "分值须满足 0 ≤ 最低分值 ≤ 建议分值 ≤ 最高分值 ≤ 1000，且最高分值至少为 1。"),
        ({"category": "other"}, "请选择类别。"),
        ({"score_type": "plus"}, "请选择加分或扣分。"),
        ({"validity_months": 0}, "有效期须在 1 至 120 个月之间。"),
        ({"effective_to": date(2023, 1, 1)}, "失效日期不能早于生效日期。"),
        ({"code": "含 空格"}, "信用规则编号须为 1 至 32 位字母、数字、“-”或“_”。"),
        ({"item": " "}, "请填写计分事项。"),
        ({"code": "WY-K-005"}, "信用规则编号 WY-K-005 已存在。"),
    ]:
        with pytest.raises(DomainError) as err:
            _new_rule(changes.pop("code", f"T-{datetime.now():%H%M%S%f}"), **changes)
        assert str(err.value) == message
        db.session.rollback()


def test_editing_a_rule_in_use_makes_a_new_version(rc):
    code = f"T-{datetime.now():%H%M%S%f}"
    r1 = _new_rule(code)
    # Not in use: edited in place.
    r1.item = "测试计分事项（修订）"
    assert rules.save_edit(r1) is r1
    db.session.commit()
    ent = new_enterprise()
    record = propose(ent.id, code, score=3, moment=T0)
    r1 = db.session.get(CreditRule, r1.id)
    r1.max_score, r1.suggested_score = 8, 6
    r2 = rules.save_edit(r1)
    db.session.commit()
    assert r2.id != r1.id and r2.version == 2 and r2.is_current and not r1.is_current
    assert (r1.max_score, r1.suggested_score) == (5, 3)            # history unchanged
    assert (r2.max_score, r2.suggested_score, r2.item) == (8, 6, "测试计分事项（修订）")
    record = db.session.get(CreditRecord, record.id)
    assert record.rule_id == r1.id and record.rule.version == 1
    assert services.current_rule(code).id == r2.id
    assert [v.version for v in rules.versions_of(code)] == [2, 1]
    # The old version can be neither used nor edited.
    with pytest.raises(DomainError) as err:
        services.propose_record(user("district1"), {"org_id": ent.id, "rule_id": r1.id, "score": 3, "facts": "x",
                                                    "event_date": "2026-11-01"}, moment=T0)
    assert str(err.value) == f"记分标准 {code} 已有新版本，请重新选择。"
    db.session.rollback()
    r1 = db.session.get(CreditRule, r1.id)
    r1.item = "改旧版本"
    with pytest.raises(DomainError) as err:
        rules.save_edit(r1)
    assert str(err.value) == "只能修改记分标准的当前版本。"
    db.session.rollback()
    r2 = db.session.get(CreditRule, r2.id)
    r2.code = "OTHER-CODE"
    with pytest.raises(DomainError) as err:
        rules.save_edit(r2)
    assert str(err.value) == "信用规则编号不能修改。"
    db.session.rollback()
    # A disabled rule cannot be applied.
    r2 = db.session.get(CreditRule, r2.id)
    r2.enabled = False
    rules.save_edit(r2)
    db.session.commit()
    r3 = services.current_rule(code)
    with pytest.raises(DomainError) as err:
        services.propose_record(user("district1"), {"org_id": ent.id, "rule_id": r3.id, "score": 3, "facts": "x",
                                                    "event_date": "2026-11-01"}, moment=T0)
    assert str(err.value) == f"记分标准 {code} 已停用。"


def test_import_is_all_or_nothing(rc):
    code_a, code_b = f"IA-{datetime.now():%H%M%S%f}", f"IB-{datetime.now():%H%M%S%f}"
    good = {"code": code_a, "item": "导入事项", "category": "rental", "score_type": "bonus", "suggested_score": 2,
            "min_score": 1, "max_score": 3, "operation": "manual", "severity": "general", "validity_months": 12,
            "effective_from": date(2025, 1, 1), "enabled": True, "_row": 2}
    bad = {**good, "code": code_b, "min_score": 5, "_row": 3}
    assert rules.validate_import([good, bad]) == [(3, None, "分值须满足 0 ≤ 最低分值 ≤ 建议分值 ≤ 最高分值 ≤ 1000，且最高分值至少为 1。")]
    with pytest.raises(DomainError) as err:
        rules.import_rules([good, bad])
    assert str(err.value).startswith("第 3 行：")
    db.session.rollback()
    assert services.current_rule(code_a) is None
    assert rules.import_rules([good]) == 1
    db.session.commit()
    assert services.current_rule(code_a).version == 1


def test_default_rules_are_seeded(rc):
    codes = set(db.session.execute(select(CreditRule.code)).scalars())
    assert {c for c, *_ in rules.DEFAULT_RULES} <= codes
    serious = rule("WY-K-006")
    assert (serious.severity, serious.validity_months) == ("serious", 36)
    assert rule("WY-K-005").validity_months == 12
    assert rules.seed_defaults() == 0
