"""房源核验 core rules (app/rental/verification/services.py): matching the registry with several
owners, every refusal's reason, blocked properties, the per-account failure limit, idempotency."""
from datetime import datetime, timedelta

import pytest

from app.core.errors import DomainError
from app.extensions import db
from app.rental.verification import services
from tests.rental.helpers import new_property, new_rental_enterprise, verification_fields


@pytest.fixture
def agent(ctx):
    return new_rental_enterprise()[2]


def test_passed_with_every_owner_named_gets_a_code_and_validity(agent):
    prop, people = new_property(owners=3)
    moment = datetime(2026, 12, 1, 10, 0)
    v = services.verify(verification_fields(prop, people), agent, moment=moment)
    assert v.result == "passed" and v.reasons is None
    assert v.code.startswith("FY261201") and len(v.code) == 16
    assert v.valid_until == (moment + timedelta(days=30)).date()
    assert v.property_id == prop.id and v.address == prop.address
    assert services.is_valid(v, moment) and not services.is_valid(v, moment + timedelta(days=31))
    assert services.by_code(v.code.lower()) is v
    db.session.rollback()


def test_a_subset_of_the_owners_may_verify_but_every_owner_named_must_match(agent):
    prop, people = new_property(owners=2)
    assert services.verify(verification_fields(prop, people[:1]), agent).result == "passed"
    wrong = dict(people[1], name="张冒名")
    v = services.verify(verification_fields(prop, [people[0], wrong]), agent)
    assert v.result == "failed" and v.code is None
    assert services.reason_texts(v.reasons) == ["第2位产权人：姓名或证件号与登记的产权人不符。"]
    db.session.rollback()


@pytest.mark.parametrize("flags,texts", [
    ({"sealed": True}, ["该房屋已被查封，不得出租。"]),
    ({"mortgaged": True}, ["该房屋已抵押，解除抵押前不得出租。"]),
])
def test_encumbrances_block_the_listing(agent, flags, texts):
    prop, people = new_property(**flags)
    v = services.verify(verification_fields(prop, people), agent)
    assert v.result == "failed" and services.reason_texts(v.reasons) == texts
    db.session.rollback()


def test_missing_property_and_wrong_region(agent):
    prop, people = new_property()
    v = services.verify(dict(verification_fields(prop, people), cert_no="渝（2026）不存在第1号"), agent)
    assert services.reason_texts(v.reasons) == ["未找到该证件类型和产权证号的产权登记。"]
    v = services.verify(verification_fields(prop, people, region="500112"), agent)
    assert services.reason_texts(v.reasons) == ["该房屋不在所选的房屋区域内。"]
    db.session.rollback()


@pytest.mark.parametrize("change,message", [
    ({"region_code": ""}, "房屋区域"),
    ({"cert_type": "nonsense"}, "证件类型"),
    ({"cert_no": "  "}, "产权证号"),
    ({"owners": []}, "产权人姓名"),
    ({"owners": [{"name": "张三", "id_type": "resident_id", "id_number": "500103198801010001"}]}, "产权人证件号"),
])
def test_malformed_fields_name_the_field_and_record_nothing(agent, change, message):
    from sqlalchemy import func, select

    from app.rental.verification.models import ListingVerification

    prop, people = new_property()
    before = db.session.execute(select(func.count(ListingVerification.id))).scalar()
    with pytest.raises(DomainError) as err:
        services.verify(dict(verification_fields(prop, people), **change), agent)
    assert str(err.value).startswith(message), str(err.value)
    assert db.session.execute(select(func.count(ListingVerification.id))).scalar() == before
    db.session.rollback()


def test_failures_are_recorded_and_limited_per_account(ctx):
    _org, _admin, agent = new_rental_enterprise()
    prop, people = new_property(sealed=True)
    for _ in range(5):
        assert services.verify(verification_fields(prop, people), agent).result == "failed"
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.verify(verification_fields(prop, people), agent)
    assert "核验失败次数过多" in str(err.value)
    # Another account of the same enterprise is not held back.
    other = new_rental_enterprise()[2]
    assert services.verify(verification_fields(prop, people), other).result == "failed"
    db.session.rollback()


def test_idempotency_key_returns_the_first_answer(agent):
    prop, people = new_property()
    first = services.verify(verification_fields(prop, people), agent, channel="api", idempotency_key="req-1")
    db.session.commit()
    again = services.verify(verification_fields(prop, people), agent, channel="api", idempotency_key="req-1")
    assert again.id == first.id


def test_a_platform_key_is_not_held_back_by_the_per_account_failure_limit(ctx):
    """The failure limit is per person; a platform's key has its per-minute limit instead."""
    from sqlalchemy import select
    from flask_appbuilder.security.sqla.models import ApiKey

    _org, _admin, agent = new_rental_enterprise()
    prop, people = new_property(mortgaged=True)
    key = ApiKey(name="bench", key_hash="x", lookup_hash=f"core-test-{agent.id}", key_prefix="anju_test",
                 user_id=agent.id, active=True)
    db.session.add(key)
    db.session.flush()
    for _ in range(7):
        v = services.verify(verification_fields(prop, people), agent, channel="api", api_key_id=key.id)
        assert v.result == "failed"
    with pytest.raises(DomainError):
        services.verify(verification_fields(prop, people), agent)
    assert db.session.execute(select(ApiKey).where(ApiKey.id == key.id)).scalar_one()
    db.session.rollback()


def test_a_property_company_may_not_verify_listings(ctx):
    """ent_a (物业服务企业) has the enterprise administrator's role but no listings to let."""
    from tests.rental.helpers import user

    prop, people = new_property()
    with pytest.raises(DomainError) as err:
        services.verify(verification_fields(prop, people), user("ent_a"))
    assert str(err.value) == "只有住房租赁企业、房地产经纪机构和房源发布平台可以进行房源核验。"
    db.session.rollback()
