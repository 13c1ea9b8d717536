"""合同网签 core rules (app/rental/contracts/services.py): steps, going back, refusals naming
the field, the overlap rule, signing (number, check code, SMS), cancel and revoke."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.rental.contracts import services
from tests.rental.helpers import details, new_rental_enterprise, tenant, through_wizard, verified


@pytest.fixture
def agency(ctx):
    return new_rental_enterprise()


def test_the_whole_wizard_signs_with_a_number_check_code_and_sms(agency):
    from app.core.sms import SmsMessage

    _org, _admin, agent = agency
    t = tenant()
    c = through_wizard(agent, tenants=[t])
    assert c.status == "signed" and c.number.startswith("HT") and len(c.check_code) == 6
    assert c.filing_status == "none" and c.signed_by_fk == agent.id
    sms = db.session.execute(select(SmsMessage).where(SmsMessage.mobile == t["mobile"])).scalars().all()
    assert [m.template for m in sms] == ["rental_contract_signed"] and c.number in sms[0].content
    text = services.render_text(c, viewer_masks=False)
    assert c.number in text and "2500.00" in text and t["name"] in text


def test_going_back_keeps_what_was_typed(agency):
    _org, _admin, agent = agency
    v = verified(agent)[0]
    c = services.start(agent)
    services.use_verification(c, agent, code=v.code)
    services.save_details(c, agent, details(rent="3100"))
    assert c.step == "tenants"
    assert services.go_back(c, agent) == "details"
    assert str(c.rent) == "3100.00"
    assert services.go_back(c, agent) == "verify" and c.verification_id == v.id
    with pytest.raises(DomainError, match="请先完成"):
        services.goto(c, agent, "preview")
    db.session.rollback()


@pytest.mark.parametrize("change,message", [
    ({"rent": ""}, "月租金（元）：必须填写"),
    ({"rent": "abc"}, "月租金（元）：请输入以元为单位的金额"),
    ({"rent": "0"}, "月租金（元）：必须大于0"),
    ({"deposit": "-1"}, "押金（元）：不能为负数"),
    ({"payment_cycle": "weekly"}, "支付周期：请从列表中选择"),
    ({"start_date": "2026-13-01"}, "租赁起始日期：请按 yyyy-mm-dd 填写日期"),
    ({"end_date": date.today().isoformat()}, "租赁截止日期：必须晚于租赁起始日期"),
    ({"end_date": (date.today() + timedelta(days=366 * 21)).isoformat()}, "租赁截止日期：租赁期限最长20年"),
    ({"rental_mode": "part", "rented_part": ""}, "出租部位：部分出租时必填"),
])
def test_details_refusals_name_the_field(agency, change, message):
    _org, _admin, agent = agency
    v = verified(agent)[0]
    c = services.start(agent)
    services.use_verification(c, agent, verification=v)
    with pytest.raises(DomainError) as err:
        services.save_details(c, agent, details(**change))
    assert str(err.value).startswith(message), str(err.value)
    db.session.rollback()


def test_tenant_refusals_name_the_tenant_and_field(agency):
    _org, _admin, agent = agency
    v, _prop, people = verified(agent)
    c = services.start(agent)
    services.use_verification(c, agent, verification=v)
    services.save_details(c, agent, details())
    with pytest.raises(DomainError) as err:
        services.save_tenants(c, agent, [tenant(), tenant(id_number="500103198801010001")])
    assert str(err.value).startswith("第2位承租人 证件号码：")
    with pytest.raises(DomainError) as err:
        services.save_tenants(c, agent, [tenant(mobile="12345")])
    assert str(err.value).startswith("手机号码：")
    t = tenant()
    with pytest.raises(DomainError, match="同一人"):
        services.save_tenants(c, agent, [t, dict(t)])
    with pytest.raises(DomainError, match="产权人"):
        services.save_tenants(c, agent, [tenant(name=people[0]["name"], id_number=people[0]["id_number"])])
    db.session.rollback()


def test_overlapping_leases_of_the_same_part_are_refused(agency):
    _org, _admin, agent = agency
    v, prop, _people = verified(agent)
    today = date.today()
    first = through_wizard(agent, verification=v, detail=details(rental_mode="part", rented_part="主卧"))
    # Another room of the same flat at the same time is fine.
    through_wizard(agent, verification=v, detail=details(rental_mode="part", rented_part="次卧"))
    # The same room again, or the whole flat, overlaps.
    c = services.start(agent)
    services.use_verification(c, agent, verification=v)
    with pytest.raises(DomainError) as err:
        services.save_details(c, agent, details(rental_mode="part", rented_part="主卧"))
    assert first.number in str(err.value)
    with pytest.raises(DomainError, match=first.number):
        services.save_details(c, agent, details())
    # After the first lease's term it is free again.
    later = first.end_date + timedelta(days=1)
    services.save_details(c, agent, details(rental_mode="part", rented_part="主卧", start_date=later.isoformat(),
                                            end_date=later.replace(year=later.year + 1).isoformat()))
    db.session.rollback()
    assert today


def test_sign_rechecks_overlap_when_two_drafts_raced(agency):
    _org, _admin, agent = agency
    v = verified(agent)[0]
    a = through_wizard(agent, verification=v, sign=False)
    b = through_wizard(agent, verification=v, sign=False)
    services.sign(a, agent)
    db.session.commit()
    with pytest.raises(DomainError, match=a.number):
        services.sign(b, agent)
    db.session.rollback()


def test_only_the_agent_or_an_admin_of_the_enterprise_may_act(agency):
    _org, admin, agent = agency
    other_agent = new_rental_enterprise()[2]
    c = through_wizard(agent, sign=False)
    with pytest.raises(DomainError, match="只有"):
        services.save_matters(c, other_agent, "x")
    services.save_matters(c, admin, "管理员补充")
    db.session.rollback()


def test_cancel_and_revoke(agency):
    from app.core.sms import SmsMessage

    _org, admin, agent = agency
    draft = through_wizard(agent, sign=False)
    services.cancel(draft, agent)
    assert draft.status == "cancelled"
    with pytest.raises(DomainError, match="已取消"):
        services.save_matters(draft, agent, "x")
    t = tenant()
    c = through_wizard(agent, tenants=[t])
    with pytest.raises(DomainError, match="撤销原因：必须填写"):
        services.revoke(c, agent, " ")
    services.revoke(c, admin, "双方协商一致提前解约")
    assert c.status == "revoked" and c.revoke_reason == "双方协商一致提前解约"
    templates = db.session.execute(select(SmsMessage.template).where(SmsMessage.mobile == t["mobile"])
                                   .order_by(SmsMessage.id)).scalars().all()
    assert templates == ["rental_contract_signed", "rental_contract_revoked"]
    with pytest.raises(DomainError, match="只有已签约"):
        services.revoke(c, admin, "again")
    db.session.rollback()


def test_an_expired_or_foreign_verification_cannot_be_used(agency):
    from datetime import datetime

    _org, _admin, agent = agency
    v = verified(agent)[0]
    c = services.start(agent)
    with pytest.raises(DomainError, match="已于"):
        services.use_verification(c, agent, verification=v, moment=datetime.now() + timedelta(days=40))
    foreign = verified(new_rental_enterprise()[2])[0]
    with pytest.raises(DomainError, match="房源识别码"):
        services.use_verification(c, agent, code=foreign.code)
    db.session.rollback()
