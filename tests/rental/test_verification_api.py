"""房源核验 by REST (issue 14): ``/api/v1/listing_verification/`` for platforms with an API key and
for console users with a token: the console's result, refusals (400, 403, 422, 429) in Chinese,
the per-key rate limit, idempotency, the caller's scope on GET, the audit entry of every call, the
OpenAPI document, and no 500 for any generated request (schemathesis)."""
import json
import time
from datetime import datetime

import hypothesis
import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from app.core.audit import AuditLog
from app.extensions import db
from app.rental.verification import services
from app.rental.verification.models import ApiCallCounter, ListingVerification
from tests.conftest import api_token
from tests.rental.helpers import new_property, new_rental_enterprise, verification_fields
from tests.rental.test_apikeys import bearer, fresh, issued_key, new_platform, token_client

URL = "/api/v1/listing_verification/"


def set_param(key, value):
    from app.system.models import Parameter

    db.session.execute(update(Parameter).where(Parameter.key == key).values(value=str(value)))
    db.session.commit()


@pytest.fixture
def platform_key(ctx):
    """(org, account, key, plaintext) of a fresh platform."""
    org, account = new_platform()
    key, plaintext = issued_key(account)
    return org, account, key, plaintext


def verify_by_key(app, plaintext, body, **headers):
    return fresh(app).post(URL, json=body, headers={**bearer(plaintext), **headers})


# --- the result -------------------------------------------------------------------------------

def test_a_platform_verifies_a_listing_and_gets_the_consoles_result(app, platform_key):
    org, account, key, plaintext = platform_key
    prop, people = new_property(owners=2)
    answer = verify_by_key(app, plaintext, verification_fields(prop, people))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["result"] == "passed" and data["result_label"] == "核验通过" and data["reasons"] == []
    assert data["code"].startswith("FY") and data["region_code"] == prop.region_code
    assert data["address"] == prop.address and data["valid_until"] and data["replayed"] is False
    row = db.session.get(ListingVerification, data["id"])
    assert (row.code, row.channel, row.api_key_id, row.org_id, row.created_by_fk) == \
        (data["code"], "api", key.id, org.id, account.id)
    # The console's verify() says the same of the same listing.
    agent = new_rental_enterprise()[2]
    console = services.verify(verification_fields(prop, people), agent)
    assert console.result == "passed" and console.address == data["address"]
    db.session.rollback()


def test_a_failed_verification_lists_its_reasons_in_chinese(app, platform_key):
    *_rest, plaintext = platform_key
    prop, people = new_property(owners=2, mortgaged=True)
    body = verification_fields(prop, [people[0], dict(people[1], name="张冒名")])
    data = verify_by_key(app, plaintext, body).get_json()
    assert data["result"] == "failed" and data["result_label"] == "核验未通过" and data["code"] is None
    assert data["reasons"] == ["第2位产权人：姓名或证件号与登记的产权人不符。", "该房屋已抵押，解除抵押前不得出租。"]
    assert "address" not in data and data["valid_until"] is None


@pytest.mark.parametrize("change,message", [
    ({"region_code": 500103}, "房屋区域：必须是文本"),
    ({"region_code": ""}, "房屋区域：必须填写"),
    ({"cert_type": "nonsense"}, "证件类型：请从列表中选择"),
    ({"cert_no": ["x"]}, "产权证号：必须是文本"),
    ({"owners": "张三"}, "产权人：必须是产权人列表（name、id_type、id_number）"),
    ({"owners": ["张三"]}, "第1位产权人：必须是包含 name、id_type 和 id_number 的对象"),
    ({"owners": [{"name": "张三", "id_type": "resident_id", "id_number": 500103198801010001}]},
     "第1位产权人 产权人证件号：必须是文本"),
    ({"owners": [{"name": "张三", "id_type": "resident_id", "id_number": "500103198801010001"}]}, "产权人证件号"),
    ({"owners": [{"name": "张三", "id_number": "500103198801010011"}] * 11}, "产权人：最多10位产权人"),
])
def test_malformed_fields_answer_422_naming_the_field_and_record_nothing(app, platform_key, change, message):
    *_rest, plaintext = platform_key
    prop, people = new_property()
    before = db.session.execute(select(func.count(ListingVerification.id))).scalar()
    answer = verify_by_key(app, plaintext, dict(verification_fields(prop, people), **change))
    assert answer.status_code == 422
    assert answer.get_json()["message"].startswith(message), answer.get_json()
    assert db.session.execute(select(func.count(ListingVerification.id))).scalar() == before


def test_a_body_that_is_not_a_json_object_answers_400(app, platform_key):
    *_rest, plaintext = platform_key
    http = fresh(app)
    for kwargs in ({"data": "region_code=500103", "content_type": "application/x-www-form-urlencoded"},
                   {"data": "{not json", "content_type": "application/json"}, {"json": ["a", "list"]}):
        answer = http.post(URL, headers=bearer(plaintext), **kwargs)
        assert answer.status_code == 400, kwargs
        assert answer.get_json()["message"] == "请求内容必须是 JSON 对象。"


# --- idempotency --------------------------------------------------------------------------------

def test_the_same_idempotency_key_answers_the_first_result_with_one_row(app, platform_key):
    _org, account, _key, plaintext = platform_key
    prop, people = new_property()
    body = verification_fields(prop, people)
    first = verify_by_key(app, plaintext, body, **{"Idempotency-Key": "order-20260315-0001"}).get_json()
    again = verify_by_key(app, plaintext, body, **{"Idempotency-Key": "order-20260315-0001"}).get_json()
    assert again["code"] == first["code"] and again["id"] == first["id"]
    assert first["replayed"] is False and again["replayed"] is True
    rows = db.session.execute(select(ListingVerification).where(
        ListingVerification.created_by_fk == account.id,
        ListingVerification.idempotency_key == "order-20260315-0001")).scalars().all()
    assert len(rows) == 1
    # Without the header, each call is its own verification.
    a = verify_by_key(app, plaintext, body).get_json()
    b = verify_by_key(app, plaintext, body).get_json()
    assert a["code"] != b["code"]
    # The key reused for another listing is refused; a key too long or with control characters too.
    other, people2 = new_property()
    answer = verify_by_key(app, plaintext, verification_fields(other, people2),
                           **{"Idempotency-Key": "order-20260315-0001"})
    assert answer.status_code == 422
    assert answer.get_json()["message"] == "Idempotency-Key：已用于另一房源的核验请求，请使用新的幂等键"
    answer = verify_by_key(app, plaintext, body, **{"Idempotency-Key": "k" * 81})
    assert answer.status_code == 422 and answer.get_json()["message"] == "Idempotency-Key：最多80个字符"
    # Another platform's same key is its own.
    _org2, account2 = new_platform()
    _k2, plaintext2 = issued_key(account2)
    mine = verify_by_key(app, plaintext2, body, **{"Idempotency-Key": "order-20260315-0001"}).get_json()
    assert mine["replayed"] is False and mine["code"] != first["code"]


# --- the rate limit -----------------------------------------------------------------------------

def test_the_call_after_the_limit_gets_429_with_retry_after(app, platform_key):
    _org, _account, key, plaintext = platform_key
    prop, people = new_property()
    body = verification_fields(prop, people)
    set_param("rental.api_calls_per_minute", 3)
    try:
        for _attempt in range(3):
            window = datetime.now().strftime("%Y%m%d%H%M")
            answers = [verify_by_key(app, plaintext, body) for _ in range(4)]
            if datetime.now().strftime("%Y%m%d%H%M") == window:
                break  # all four in one minute (else the count started again: try once more)
            time.sleep(1)
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.get_json()["message"].startswith("该接口密钥调用过于频繁：每分钟最多3次，请在")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # GETs count too; another key of the same account has its own count.
        assert fresh(app).get(URL, headers=bearer(plaintext)).status_code == 429
        _other, plaintext2 = issued_key(db.session.get(type(key), key.id).user)
        assert verify_by_key(app, plaintext2, body).status_code == 200
        # The first refusal of the minute is audited; calls were counted in one row.
        assert db.session.execute(select(AuditLog).where(
            AuditLog.action == "api_call", AuditLog.summary.contains(key.key_prefix),
            AuditLog.summary.contains("调用频率上限"))).scalars().first() is not None
        assert db.session.execute(select(func.max(ApiCallCounter.calls)).where(
            ApiCallCounter.key_id == key.id)).scalar() >= 5
        # 0 switches the limit off.
        set_param("rental.api_calls_per_minute", 0)
        assert verify_by_key(app, plaintext, body).status_code == 200
    finally:
        set_param("rental.api_calls_per_minute", 60)


def test_token_users_are_not_counted_by_key(app, ctx):
    _org, _admin, agent = new_rental_enterprise()
    prop, people = new_property()
    set_param("rental.api_calls_per_minute", 1)
    try:
        http, headers = token_client(app, agent.username), {}
        before = db.session.execute(select(func.count()).select_from(ApiCallCounter)).scalar()
        for _ in range(3):
            answer = http.post(URL, json=verification_fields(prop, people), headers=headers)
            assert answer.status_code == 200
        assert db.session.execute(select(func.count()).select_from(ApiCallCounter)).scalar() == before
        row = db.session.get(ListingVerification, answer.get_json()["id"])
        assert row.channel == "api" and row.api_key_id is None and row.created_by_fk == agent.id
    finally:
        set_param("rental.api_calls_per_minute", 60)


# --- who may, and whose rows --------------------------------------------------------------------

@pytest.mark.parametrize("username,post,get", [
    # ent_a holds the enterprise administrator's role but is a property company: the service
    # refuses it (422, in Chinese) — it has no listing to verify.
    ("agent_a", 200, 200), ("agency_a", 200, 200), ("ent_a", 422, 200),
    ("gov_admin", 403, 200), ("district1", 403, 200), ("reviewer", 403, 200),
    ("helpdesk", 403, 403), ("analyst", 403, 403), ("public1", 403, 403), ("pm_a", 403, 403),
])
def test_the_permission_matrix_for_token_users(app, ctx, username, post, get):
    prop, people = new_property()
    http, headers = token_client(app, username), {}
    assert http.post(URL, json=verification_fields(prop, people), headers=headers).status_code == post
    assert http.get(URL, headers=headers).status_code == get
    anonymous = fresh(app)
    assert anonymous.post(URL, json=verification_fields(prop, people)).status_code == 401
    assert anonymous.get(URL).status_code == 401


def test_a_platform_sees_only_its_organisations_verifications(app, platform_key):
    org, _account, _key, plaintext = platform_key
    prop, people = new_property()
    passed = verify_by_key(app, plaintext, verification_fields(prop, people)).get_json()
    failed = verify_by_key(app, plaintext, verification_fields(prop, people, region="500112")).get_json()
    # A second key of another account of the same organisation sees them too (scope org).
    from app.security.models import AnjuUser

    colleague = new_platform()[1]
    db.session.get(AnjuUser, colleague.id).org_id = org.id
    db.session.commit()
    _k, colleague_key = issued_key(colleague)
    http = fresh(app)
    for key in (plaintext, colleague_key):
        listing = http.get(URL, headers=bearer(key)).get_json()
        assert [r["id"] for r in listing["result"]] == [failed["id"], passed["id"]]
        assert listing["has_more"] is False and listing["page"] == 0
    only_failed = http.get(URL + "?result=failed", headers=bearer(plaintext)).get_json()["result"]
    assert [r["id"] for r in only_failed] == [failed["id"]]
    row = http.get(URL + passed["code"], headers=bearer(plaintext)).get_json()["result"]
    assert row["code"] == passed["code"] and row["channel"] == "api" and row["channel_label"] == "平台接口"
    # Owners masked: the platform holds no full-value permission.
    person = people[0]
    assert row["owners"] == [{"name": person["name"][0] + "*" + person["name"][-1], "id_type": "resident_id",
                              "id_number": "*" * 14 + person["id_number"][-4:]}]
    text = json.dumps(http.get(URL, headers=bearer(plaintext)).get_json(), ensure_ascii=False)
    assert person["id_number"] not in text and person["name"] not in text
    assert http.get(URL + str(failed["id"]), headers=bearer(plaintext)).status_code == 200
    # Another platform sees none of it.
    _org2, other = new_platform()
    _k2, other_key = issued_key(other)
    assert http.get(URL, headers=bearer(other_key)).get_json()["result"] == []
    for ref in (passed["code"], str(passed["id"]), str(failed["id"])):
        assert http.get(URL + ref, headers=bearer(other_key)).status_code == 404
    # Nor does an enterprise, an agent or a district of another region; the city does.
    for username in ("agency_a", "agent_a"):
        h, headers = token_client(app, username), {}
        assert h.get(URL + passed["code"], headers=headers).status_code == 404
        assert passed["id"] not in [r["id"] for r in h.get(URL + "?page_size=100", headers=headers).get_json()["result"]]
    h, headers = token_client(app, "gov_admin"), {}
    assert h.get(URL + passed["code"], headers=headers).status_code == 200
    # Guessed and malformed references, bad paging.
    for ref in ("FY000000AAAAAAAA", "99999999", "99999999999999999999", "%E4%B8%AD"):
        assert http.get(URL + ref, headers=bearer(plaintext)).status_code == 404
    for query in ("page=-1", "page=x", "page_size=0", "page_size=101", "result=maybe"):
        assert http.get(URL + "?" + query, headers=bearer(plaintext)).status_code == 400


# --- audit --------------------------------------------------------------------------------------

def test_every_call_is_audited_with_the_key_prefix_and_owners_masked(app, platform_key):
    _org, account, key, plaintext = platform_key
    prop, people = new_property()
    body = verification_fields(prop, people)
    ok = verify_by_key(app, plaintext, body, **{"Idempotency-Key": "audit-1"}).get_json()
    verify_by_key(app, plaintext, body, **{"Idempotency-Key": "audit-1"})
    verify_by_key(app, plaintext, dict(body, cert_type="nonsense"))
    entries = db.session.execute(select(AuditLog).where(
        AuditLog.action == "api_call", AuditLog.user_id == account.id).order_by(AuditLog.id)).scalars().all()
    assert len(entries) == 3
    first, replay, refused = entries
    assert first.username == account.username and first.entity == "ListingVerificationCall"
    assert first.entity_id == str(ok["id"]) and replay.entity_id == str(ok["id"])
    assert first.summary == f"平台接口房源核验（密钥 {key.key_prefix}）：核验通过 {ok['code']}"
    assert replay.summary.endswith("（幂等重放）")
    after = json.loads(first.after)
    assert after["key_prefix"] == key.key_prefix and after["result"] == "passed" and after["replayed"] is False
    assert json.loads(replay.after)["replayed"] is True
    assert after["cert_no"] == prop.cert_no and after["idempotency_key"] == "audit-1"
    owner = after["owners"][0]
    assert owner["id_number"] == "*" * 14 + people[0]["id_number"][-4:] and owner["name"] != people[0]["name"]
    refusal = json.loads(refused.after)
    assert refusal["status"] == 422 and refusal["message"].startswith("证件类型")
    for entry in entries:
        assert people[0]["id_number"] not in (entry.after or "") and plaintext not in (entry.after or "")
    # The audit log reads the entry in words.
    from app.core import audit

    labels = [label for label, _b, _a in audit.change_rows(first.entity, first.before, first.after, False)]
    assert "密钥前缀" in labels and "幂等重放" in labels and "核验结果" in labels


# --- the OpenAPI document -----------------------------------------------------------------------

def test_the_openapi_document_describes_the_endpoint(app, ctx):
    http, headers = token_client(app, "admin"), {}
    spec = http.get("/api/v1/_openapi", headers=headers).get_json()
    post = spec["paths"]["/api/v1/listing_verification/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ListingVerificationRequest")
    assert post["requestBody"]["content"]["application/json"]["examples"]
    examples = post["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["passed"]["value"]["result"] == "passed" and examples["failed"]["value"]["reasons"]
    assert {"400", "401", "403", "422", "429"} <= set(post["responses"])
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert {"jwt": []} in post["security"] and {"api_key": []} in post["security"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert spec["components"]["securitySchemes"]["api_key"]["scheme"] == "bearer"
    assert "anju_" in spec["components"]["securitySchemes"]["api_key"]["bearerFormat"]
    assert set(spec["components"]["schemas"]["ListingVerificationRequest"]["required"]) == \
        {"region_code", "cert_type", "cert_no", "owners"}
    assert "get" in spec["paths"]["/api/v1/listing_verification/"] and "/api/v1/listing_verification/{code}" in spec["paths"]
    # A platform may read the document with its key.
    _org, account = new_platform()
    _k, plaintext = issued_key(account)
    assert fresh(app).get("/api/v1/_openapi", headers=bearer(plaintext)).status_code == 200


# --- robustness ---------------------------------------------------------------------------------

def _fuzz(app, headers):
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    with app.app_context():
        admin = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=admin).include(
        path_regex="^/api/v1/listing_verification/")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.settings(max_examples=40, derandomize=True, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck),
                             phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
        @hypothesis.given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                         operation.as_strategy(GenerationMode.NEGATIVE)))
        def check(case):
            with app.app_context():  # each request in a context of its own, as in production
                response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            except BaseException as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
                raise

        try:
            check()
        except BaseException as exc:  # noqa: B036 - collect all, report together
            if isinstance(exc, KeyboardInterrupt):
                raise
    return operations, failures


def test_no_generated_request_gets_a_500_or_breaks_the_schema(app, ctx):
    _org, account = new_platform()
    _key, plaintext = issued_key(account)
    _o, _admin, agent = new_rental_enterprise()
    set_param("rental.api_calls_per_minute", 0)
    try:
        for headers in (bearer(plaintext), token_client(app, agent.username).headers):
            operations, failures = _fuzz(app, headers)
            assert operations == 3
            assert failures == [], "\n\n".join(dict.fromkeys(failures))
    finally:
        set_param("rental.api_calls_per_minute", 60)
