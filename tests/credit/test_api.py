"""The credit REST resources: credit_rule, credit_record, credit_list, credit_score. Each endpoint
for a role that may use it and for the ones that may not (outside the scope: 404; without the
permission: 403; not signed in: 401); bad bodies, types and actions answer 422 with the
Chinese message, never 500."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.core.mixins import now
from app.credit import scoring, services
from app.credit.models import (
    CreditObjection,
    CreditRecord,
    CreditRepair,
    CreditRule,
    DecisionStatus,
    ListStatus,
    ListType,
    RecordStatus,
)
from app.extensions import db
from tests.credit.helpers import new_enterprise, org, user
from tests.credit.test_lists_views import clear_open, enterprise, in_effect, in_publicity, long_ago, proposed


@pytest.fixture
def call(api):
    """call(username) -> request(method, path, json=None) answering (status, body)."""
    clients = {}

    def as_user(username):
        if username not in clients:
            clients[username] = api(username)

        def request(method, path, json=None, data=None):
            http, headers = clients[username]
            kwargs = {"headers": headers}
            if json is not None:
                kwargs["json"] = json
            if data is not None:
                kwargs["data"], kwargs["content_type"] = data, "application/json"
            resp = getattr(http, method)(f"/api/v1/{path}", **kwargs)
            return resp.status_code, resp.get_json(silent=True)
        return request

    return as_user


def record_of(app, org_key, status=RecordStatus.REVIEW, code="WY-K-005"):
    """A record about ``org_key`` (a key or an id) in ``status`` (review, publicity or effective)."""
    with app.app_context():
        org_id = org(org_key).id if isinstance(org_key, str) else org_key
        rule = services.current_rule(code)
        record = services.propose_record(user("district1"), {
            "org_id": org_id, "rule_id": rule.id, "score": rule.suggested_score, "facts": "接报查实，电梯停运三天",
            "event_date": (now().date() - timedelta(days=3)).isoformat()})
        db.session.commit()
        if status in (RecordStatus.PUBLICITY, RecordStatus.EFFECTIVE):
            services.transition(record, "approve", user("reviewer"))
            db.session.commit()
        if status == RecordStatus.EFFECTIVE:
            services.transition(record, "take_effect", None, moment=record.publicity_until)
            db.session.commit()
        return SimpleNamespace(id=record.id, number=record.number, rule_id=rule.id, org_id=org_id)


def db_get(app, model, pk):
    with app.app_context():
        row = db.session.get(model, pk)
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in model.__table__.columns}) if row else None


# --- the OpenAPI document ----------------------------------------------------------------------

def test_every_credit_endpoint_is_documented(call):
    status, doc = call("admin")("get", "_openapi")
    assert status == 200
    paths = {path.removeprefix("/api/v1"): ops for path, ops in doc["paths"].items()}
    assert set(paths["/credit_rule/"]) >= {"get", "post"} and set(paths["/credit_rule/{pk}"]) == {"get", "put"}
    assert set(paths["/credit_record/"]) >= {"get", "post"} and set(paths["/credit_record/{pk}"]) == {"get"}
    assert set(paths["/credit_list/{pk}"]) == {"get"} and set(paths["/credit_score/"]) == {"get"}
    for path in ("/credit_record/{pk}/transition", "/credit_record/{pk}/object", "/credit_list/{pk}/transition",
                 "/credit_list/{pk}/object", "/credit_list/{pk}/repair"):
        post = paths[path]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"]["required"], path
        assert "content" in post["responses"]["422"], path
    schemas = doc["components"]["schemas"]
    assert {"red_list", "black_list"} <= set(schemas["CreditScoreApi.get_list"]["properties"])
    assert {"org_id", "rule_id", "score", "facts", "event_date"} <= set(schemas["CreditRecordApi.post"]["properties"])


def test_outsiders_get_401_or_403(app, call):
    anonymous = app.test_client()
    for resource in ("credit_rule", "credit_record", "credit_list", "credit_score"):
        assert anonymous.get(f"/api/v1/{resource}/").status_code == 401, resource
        assert call("public1")("get", f"{resource}/")[0] == 403, resource
    # Helpdesk reads levels and list status only; an enterprise has no standards' API.
    assert call("helpdesk")("get", "credit_record/")[0] == 403
    assert call("helpdesk")("get", "credit_list/")[0] == 403
    assert call("helpdesk")("get", "credit_rule/")[0] == 403
    assert call("ent_a")("get", "credit_rule/")[0] == 403
    assert call("helpdesk")("get", "credit_score/")[0] == 200


# --- credit_rule -------------------------------------------------------------------------------

def _rule_body(code, **changes):
    body = {"code": code, "item": "接口测试计分事项", "category": "property", "score_type": "deduction",
            "suggested_score": 3, "min_score": 1, "max_score": 5, "operation": "manual", "severity": "general",
            "validity_months": 12, "effective_from": "2024-01-01", "enabled": True}
    body.update(changes)
    return body


def test_rules_are_read_by_staff_and_written_by_gov_admin(call):
    status, body = call("district1")("get", "credit_rule/?q=(page_size:100)")
    assert status == 200 and body["count"] >= 19
    assert {"code", "version", "is_current", "suggested_score"} <= set(body["result"][0])
    status, body = call("gov_admin")("post", "credit_rule/", json=_rule_body("API-T-001"))
    assert status == 201 and body["result"]["code"] == "API-T-001"
    rule_id = body["id"]
    status, body = call("analyst")("get", f"credit_rule/{rule_id}")
    assert status == 200 and body["result"]["version"] == 1 and body["result"]["is_current"] is True
    # The same number again, a reviewer writing, a rule that breaks the checks.
    status, body = call("gov_admin")("post", "credit_rule/", json=_rule_body("api-t-001"))
    assert status == 422 and "API-T-001" in str(body["message"])
    assert call("reviewer")("post", "credit_rule/", json=_rule_body("API-T-002"))[0] == 403
    status, body = call("gov_admin")("post", "credit_rule/", json=_rule_body("API-T-003", min_score=9))
    assert status == 422 and body["message"]
    status, body = call("gov_admin")("post", "credit_rule/", json=_rule_body("API-T-004", suggested_score="三"))
    assert status == 422 and "suggested_score" in body["message"]
    assert call("gov_admin")("post", "credit_rule/", json=[1, 2])[0] == 422
    # No DELETE.
    assert call("admin")("delete", f"credit_rule/{rule_id}")[0] == 405


def test_a_rule_in_use_changes_as_a_new_version(app, call):
    status, body = call("gov_admin")("post", "credit_rule/", json=_rule_body("API-V-001"))
    rule_id = body["id"]
    # Not in use: changed in place.
    status, body = call("gov_admin")("put", f"credit_rule/{rule_id}", json={"item": "接口测试计分事项（修订）"})
    assert status == 200 and body["id"] == rule_id and body["result"]["item"] == "接口测试计分事项（修订）"
    record = record_of(app, new_enterprise_id(app), code="API-V-001")
    # In use: the answer is the new version; the record keeps version 1.
    status, body = call("gov_admin")("put", f"credit_rule/{rule_id}", json={"suggested_score": 4})
    assert status == 200 and body["id"] != rule_id
    assert body["result"]["version"] == 2 and body["result"]["suggested_score"] == 4 and body["result"]["is_current"]
    old = db_get(app, CreditRule, rule_id)
    assert old.suggested_score == 3 and old.is_current is False
    assert db_get(app, CreditRecord, record.id).rule_id == rule_id
    # The old version is history: refused with the reason; bad types answer 422.
    status, body = call("gov_admin")("put", f"credit_rule/{rule_id}", json={"suggested_score": 2})
    assert status == 422 and body["message"]
    assert call("gov_admin")("put", f"credit_rule/{rule_id}", json={"max_score": "many"})[0] == 422
    assert call("district1")("put", f"credit_rule/{rule_id}", json={"item": "x"})[0] == 403
    assert call("gov_admin")("put", "credit_rule/99999999", json={"item": "x"})[0] == 404


def new_enterprise_id(app):
    with app.app_context():
        return new_enterprise().id


# --- credit_record -----------------------------------------------------------------------------

def test_a_scoring_application_by_rest_and_its_refusals(app, call):
    with app.app_context():
        rule_id = services.current_rule("WY-K-005").id
        ent_a, ent_c = org("ent_a").id, org("ent_c").id
    body = {"org_id": ent_a, "rule_id": rule_id, "score": 5, "facts": "电梯停运三天，经查属实",
            "event_date": (now().date() - timedelta(days=1)).isoformat()}
    district = call("district1")
    status, answer = district("post", "credit_record/", json=body)
    assert status == 201 and answer["result"]["status"] == RecordStatus.REVIEW
    assert answer["result"]["status_label"] == "待审核"
    cases = [
        (None, "请求内容必须是 JSON 对象。"),
        ({**body, "org_id": "abc"}, "企业须为整数。"),
        ({**body, "org_id": [ent_a]}, "企业须为整数。"),
        ({**body, "org_id": 10 ** 15}, "企业须为整数。"),
        ({**body, "rule_id": None}, "请填写记分标准。"),
        ({**body, "facts": ""}, "请填写事实描述。"),
        ({**body, "facts": 42}, "事实描述必须是文本。"),
        ({**body, "score": "五"}, "分值须为整数。"),
        ({**body, "score": True}, "分值须为整数。"),
        ({**body, "event_date": 20260101}, "事件日期必须是文本。"),
        ({**body, "facts": "长" * 2001}, "事实描述最多 2000 个字。"),
    ]
    for payload, message in cases:
        if payload is None:
            status, answer = district("post", "credit_record/", data="[1, 2")
        else:
            status, answer = district("post", "credit_record/", json=payload)
        assert (status, answer["message"]) == (422, message), payload
    # Outside the district, and roles that do not apply for scoring.
    status, answer = district("post", "credit_record/", json={**body, "org_id": ent_c})
    assert status == 422 and "重庆渝北宜居住房租赁有限公司" in answer["message"]
    # Numbers past 64 bits are refused before any view runs (app/core/guards.py).
    status, answer = district("post", "credit_record/", json={**body, "org_id": 10 ** 30})
    assert status == 422 and "数值超出允许范围。" in str(answer["message"])
    for username in ("reviewer", "ent_a", "analyst", "helpdesk"):
        assert call(username)("post", "credit_record/", json=body)[0] == 403, username


def test_records_stay_in_scope_and_out_of_sight_until_decided(app, call):
    waiting = record_of(app, "ent_a")
    public = record_of(app, "ent_a", RecordStatus.PUBLICITY)
    a, b = call("ent_a"), call("ent_b")
    status, body = a("get", "credit_record/?q=(page_size:100)")
    ids = {r["id"] for r in body["result"]}
    assert status == 200 and public.id in ids and waiting.id not in ids
    assert a("get", f"credit_record/{waiting.id}")[0] == 404
    assert a("get", f"credit_record/{public.id}")[0] == 200
    status, body = b("get", "credit_record/?q=(page_size:100)")
    assert public.id not in {r["id"] for r in body["result"]}
    assert b("get", f"credit_record/{public.id}")[0] == 404
    assert b("post", f"credit_record/{public.id}/object", json={"reason": "不是我们"})[0] == 404
    status, body = call("district1")("get", f"credit_record/{waiting.id}")
    assert status == 200 and body["result"]["applicant_name"] != "渝中区管理员"          # masked
    assert call("street1")("get", f"credit_record/{public.id}")[0] == 404               # 渝中区's, not the street's


def test_record_transitions_and_the_objection(app, call):
    record = record_of(app, "ent_a")
    reviewer = call("reviewer")
    cases = [
        ({"action": "take_effect"}, "未知的操作：take_effect"),
        ({"action": "fly"}, "未知的操作：fly"),
        ({}, "请选择操作。"),
        ({"action": 3}, "请选择操作。"),
        ({"action": "reject"}, "请填写原因。"),
        ({"action": "reject", "reason": 7}, "原因必须是文本。"),
    ]
    for payload, message in cases:
        status, body = reviewer("post", f"credit_record/{record.id}/transition", json=payload)
        assert (status, body["message"]) == (422, message), payload
    assert call("ent_a")("post", f"credit_record/{record.id}/transition", json={"action": "approve"})[0] == 403
    assert call("ent_b")("post", f"credit_record/{record.id}/transition", json={"action": "approve"})[0] == 403
    status, body = reviewer("post", f"credit_record/{record.id}/transition", json={"action": "approve"})
    assert status == 200 and body["result"]["status"] == RecordStatus.PUBLICITY and body["result"]["publicity_until"]
    # The enterprise objects once.
    a = call("ent_a")
    status, body = a("post", f"credit_record/{record.id}/object", json={"reason": ""})
    assert (status, body["message"]) == (422, "请填写异议理由。")
    status, body = a("post", f"credit_record/{record.id}/object", json={"reason": "当日已修复，停运不足一天"})
    assert status == 201 and body["result"]["subject_status"] == RecordStatus.OBJECTED
    objection_id = body["id"]
    status, body = a("post", f"credit_record/{record.id}/object", json={"reason": "再提一次"})
    assert status == 422 and body["message"].startswith("已对此提出过异议")
    assert reviewer("post", f"credit_record/{record.id}/object", json={"reason": "x"})[0] == 403
    # Upheld by the reviewer: the record is withdrawn and the objection says so.
    status, body = reviewer("post", f"credit_record/{record.id}/transition",
                            json={"action": "withdraw", "reason": "企业提供了维修记录"})
    assert status == 200 and body["result"]["status"] == RecordStatus.WITHDRAWN
    assert db_get(app, CreditObjection, objection_id).status == DecisionStatus.ACCEPTED
    assert reviewer("post", "credit_record/99999999/transition", json={"action": "approve"})[0] == 404


# --- credit_list -------------------------------------------------------------------------------

def test_list_proposals_by_rest(app, call):
    ent = enterprise(app)
    body = {"org_id": ent.id, "list_type": "black", "reason": "擅自撤离物业管理区域", "valid_months": 12}
    admin = call("gov_admin")
    cases = [
        ({**body, "reason": ""}, "请填写列入原因。"),
        ({**body, "valid_months": 3}, "有效期须在 6 至 36 个月之间。"),
        ({**body, "valid_months": "十二"}, "有效期（月）须为整数。"),
        ({**body, "list_type": 5}, "名单类型必须是文本。"),
        ({**body, "list_type": "grey"}, "请选择红名单或黑名单。"),
        ({**body, "org_id": "x"}, "企业须为整数。"),
        ({**body, "org_id": 99999999}, "请选择企业。"),
        ({**body, "rule_id": "abc"}, "记分标准须为整数。"),
    ]
    for payload, message in cases:
        status, answer = admin("post", "credit_list/", json=payload)
        assert (status, answer["message"]) == (422, message), payload
    status, answer = admin("post", "credit_list/", json=body)
    assert status == 201 and answer["result"]["status"] == ListStatus.PROPOSED and answer["result"]["valid_months"] == 12
    number = answer["result"]["number"]
    status, answer = admin("post", "credit_list/", json=body)
    assert status == 422 and number in answer["message"]
    for username in ("district1", "reviewer", "ent_a"):
        assert call(username)("post", "credit_list/", json=body)[0] == 403, username


def test_list_transitions_scope_and_objection(app, call):
    entry = proposed(app, "ent_a")
    reviewer, admin = call("reviewer"), call("gov_admin")
    assert call("ent_a")("get", f"credit_list/{entry.id}")[0] == 404        # not yet public
    status, body = admin("post", f"credit_list/{entry.id}/transition", json={"action": "approve"})
    assert status == 422 and body["message"].startswith("只有审核") and body["message"].endswith("可以执行此操作。")
    status, body = reviewer("post", f"credit_list/{entry.id}/transition", json={"action": "cancel", "reason": "x"})
    assert status == 422 and "只有市级管理员可以执行此操作。" == body["message"]
    status, body = reviewer("post", f"credit_list/{entry.id}/transition", json={"action": "expire"})
    assert (status, body["message"]) == (422, "未知的操作：expire")
    status, body = reviewer("post", f"credit_list/{entry.id}/transition", json={"action": "approve"})
    assert status == 200 and body["result"]["status"] == ListStatus.PUBLICITY
    a, b = call("ent_a"), call("ent_b")
    assert a("get", f"credit_list/{entry.id}")[0] == 200
    assert b("get", f"credit_list/{entry.id}")[0] == 404
    assert entry.id not in {r["id"] for r in b("get", "credit_list/?q=(page_size:100)")[1]["result"]}
    assert b("post", f"credit_list/{entry.id}/object", json={"reason": "x"})[0] == 404
    assert b("post", f"credit_list/{entry.id}/repair", json={"statement": "x"})[0] == 404
    status, body = a("post", f"credit_list/{entry.id}/object", json={"reason": "情况不属实"})
    assert status == 201 and body["result"]["subject_status"] == ListStatus.OBJECTED
    status, body = a("post", f"credit_list/{entry.id}/object", json={"reason": "再提一次"})
    assert status == 422 and body["message"].startswith("已对此提出过异议")
    status, body = reviewer("post", f"credit_list/{entry.id}/transition", json={"action": "uphold"})
    assert (status, body["message"]) == (422, "请填写原因。")
    status, body = reviewer("post", f"credit_list/{entry.id}/transition",
                            json={"action": "uphold", "reason": "经核查情况属实"})
    assert status == 200 and body["result"]["status"] == ListStatus.PUBLICITY
    with app.app_context():
        objection = db.session.execute(select(CreditObjection).where(
            CreditObjection.subject_type == "list", CreditObjection.subject_id == entry.id)).scalars().one()
        assert objection.status == DecisionStatus.REJECTED and objection.decision_reason == "经核查情况属实"
    status, body = admin("post", f"credit_list/{entry.id}/transition", json={"action": "cancel", "reason": "注销测试"})
    assert status == 200 and body["result"]["status"] == ListStatus.CANCELLED


def test_repair_by_rest(app, call):
    early = in_effect(app, "ent_a", moment=long_ago(30))
    a = call("ent_a")
    status, body = a("post", f"credit_list/{early.id}/repair", json={"statement": "已整改"})
    day = (early.valid_from + timedelta(days=90)).strftime("%Y-%m-%d")
    assert (status, body["message"]) == (422, f"名单生效满 90 天后方可申请信用修复，即自 {day} 起。")
    entry = in_effect(app, "ent_a", moment=long_ago(200))
    status, body = a("post", f"credit_list/{entry.id}/repair", json={"statement": ""})
    assert (status, body["message"]) == (422, "请填写整改情况。")
    status, body = a("post", f"credit_list/{entry.id}/repair", json={"statement": ["x"]})
    assert (status, body["message"]) == (422, "整改情况必须是文本。")
    status, body = a("post", f"credit_list/{entry.id}/repair", json={"statement": "已完成整改"})
    assert status == 201 and body["result"]["status"] == DecisionStatus.PENDING
    number = body["result"]["number"]
    status, body = a("post", f"credit_list/{entry.id}/repair", json={"statement": "再申请一次"})
    assert (status, body["message"]) == (422, f"信用修复申请 {number} 正在等待审核。")
    # Only the enterprise applies: staff hold no repair permission, the reviewer is refused.
    assert call("gov_admin")("post", f"credit_list/{entry.id}/repair", json={"statement": "x"})[0] == 403
    with app.app_context():
        assert db.session.execute(select(CreditRepair).where(CreditRepair.entry_id == entry.id)).scalars().one()


# --- credit_score ------------------------------------------------------------------------------

def test_scores_with_list_status_scoped_per_role(app, call):
    in_publicity(app, "ent_a", ListType.RED)
    with app.app_context():
        clear_open(org("ent_a").id, ListType.BLACK)
        ent_a, ent_b = org("ent_a").id, org("ent_b").id
        scoring.recompute([ent_a, ent_b])
        db.session.commit()
        unscored = new_enterprise().id
    status, body = call("helpdesk")("get", "credit_score/?q=(page_size:100)")
    assert status == 200 and {ent_a, ent_b} <= {r["org_id"] for r in body["result"]}
    row = next(r for r in body["result"] if r["org_id"] == ent_a)
    assert row["red_list"] == ListStatus.PUBLICITY and row["black_list"] is None
    assert {"score", "level", "bonus", "deduction", "org"} <= set(row) and row["org"]["credit_code"]
    a = call("ent_a")
    status, body = a("get", "credit_score/?q=(page_size:100)")
    assert status == 200 and {r["org_id"] for r in body["result"]} == {ent_a}
    status, body = a("get", f"credit_score/{ent_a}")
    assert status == 200 and body["result"]["red_list"] == ListStatus.PUBLICITY
    assert a("get", f"credit_score/{ent_b}")[0] == 404
    assert call("ent_b")("get", f"credit_score/{ent_a}")[0] == 404
    # An enterprise never scored yet has the base score; one outside the street's reach is 404.
    status, body = call("helpdesk")("get", f"credit_score/{unscored}")
    assert status == 200 and body["result"]["score"] == 60 and body["result"]["level"] == "B"
    assert call("street1")("get", f"credit_score/{unscored}")[0] == 404
    assert call("district1")("get", f"credit_score/{unscored}")[0] == 200
    assert call("helpdesk")("get", "credit_score/99999999")[0] == 404
    assert call("helpdesk")("post", "credit_score/", json={})[0] == 405
