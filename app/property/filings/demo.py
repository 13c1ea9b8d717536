"""Demo data of the property filings: ent_a's approved 前期 service contract for 和平小区 (so the
comprehensive query shows 是否合同备案 = 是), made through the services (filed by ent_a,
accepted and approved by the reviewer). A second run adds nothing."""
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db

AREA = "和平小区"


def load_demo():
    from app.core.workflow import Action
    from app.property.filings import contracts
    from app.property.models import PropertyArea

    sm = current_app.appbuilder.sm
    ent, reviewer = sm.find_user(username="ent_a"), sm.find_user(username="reviewer")
    area = db.session.execute(select(PropertyArea).where(PropertyArea.name == AREA)).scalars().first()
    if ent is None or reviewer is None or area is None or contracts.current_contract(area.id) is not None:
        return 0
    today = date.today()
    signed = today - timedelta(days=10)
    item = contracts.file_contract(ent, {
        "contract_type": "early", "area_id": area.id, "client_name": "重庆渝开置业有限公司",
        "client_contact": "周开发", "client_phone": "023-63881234", "company_legal_rep": "李安居",
        "company_contact": "王物业", "company_phone": "13800000101",
        "start_on": signed.isoformat(), "end_on": signed.replace(year=signed.year + 3).isoformat(),
        "signed_on": signed.isoformat(), "service_content": "公共区域保洁、秩序维护、共用设施设备维修养护、绿化养护",
        "fee_method": "lump_sum", "residential_fee": "2.50", "non_residential_fee": "4.80",
        "parking_fee": "80元/个·月", "other_fees": "",
    }, submit=True)
    contracts.transition_filing(item, Action.ACCEPT, reviewer)
    contracts.transition_filing(item, Action.APPROVE, reviewer)
    return 1
