"""企业信用 pages: the list with its searches and export, an enterprise's credit page (score,
level, bonus against its cap, the policy in words, red/black entries, the chart, 信用历史 and
the records in effect), the base score of an enterprise never computed, an enterprise sent to
its own page, and what the helpdesk, a street and another enterprise may not see."""
import io
import re
from datetime import datetime

import openpyxl

from app.extensions import db
from tests.credit import helpers as h


def effective(org_id, code="WY-K-005", score=None, moment=None, proposer="gov_admin"):
    """A record proposed, approved at ``moment`` and in effect from the end of its publicity."""
    from app.credit import services

    moment = moment or datetime(2026, 11, 2, 10, 0)
    record = h.propose(org_id, code=code, score=score, proposer=proposer, event_date=moment.date(), moment=moment)
    services.transition(record, "approve", h.user("reviewer"), moment=moment)
    db.session.commit()
    services.transition(record, "take_effect", None, moment=record.publicity_until)
    db.session.commit()
    return record


def page(c, org_id):
    resp = c.get(f"/credit/scores/show/{org_id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def shown(html, key):
    m = re.search(rf'id="score-{key}">([^<]*)<', html)
    return m.group(1) if m else None


def test_base_score_of_an_enterprise_never_computed(app, login):
    with app.app_context():
        org_id = h.new_enterprise().id
    html = page(login("gov_admin"), org_id)
    assert shown(html, "value") == "60" and shown(html, "level") == "B"
    assert "尚未计算，按基础分。" in html and "未列入红黑名单。" in html and "信用分尚无变化。" in html
    assert "计分规则：基础分 60，加分上限 40，扣分全额计入；只计生效的信用记录。" in html
    assert "AAA ≥ 90，AA ≥ 80，A ≥ 70，B ≥ 60，C &lt; 60" in html


def test_bonus_cap_deductions_history_and_chart(app, login):
    with app.app_context():
        org = h.new_enterprise()
        org_id, name = org.id, org.name
        base = datetime(2026, 3, 2, 10, 0)
        for i in range(5):                                   # 5 × 10 bonus points: 40 count
            effective(org_id, code="WY-J-004", score=10, moment=base.replace(month=3 + i))
        record = effective(org_id, code="WY-K-005", score=7, moment=datetime(2026, 9, 1, 10, 0))
        number = record.number
    html = page(login("gov_admin"), org_id)
    assert shown(html, "value") == "93" and shown(html, "level") == "AAA"
    assert shown(html, "bonus") == "+50" and "最多计入 40 分" in html and shown(html, "deduction") == "−7"
    history = re.search(r'id="score-history".*?</table>', html, flags=re.S).group(0)
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td><td>(\d+)</td><td>(\w+)</td>", history)
    # The fifth bonus changes nothing (the cap): no row for it.
    assert [(r[1], r[2]) for r in rows] == [("93", "AAA"), ("100", "AAA"), ("90", "AAA"), ("80", "AA"), ("70", "A")]
    from tests.credit.test_records_views import zh

    assert zh(app, "First credit score") in history and f"信用记录 {number}：生效" in history and "100 AAA" in history
    chart = re.search(r'<svg id="score-chart".*?</svg>', html, flags=re.S).group(0)
    assert chart.count("<circle") == 5 and "<polyline" in chart
    assert "2026-03-09" in chart and "2026-09-08" in chart        # dates on the x axis
    assert re.search(r'class="y-tick">\d+</text>', chart)             # scores on the y axis
    records = re.search(r'id="score-records".*?</table>', html, flags=re.S).group(0)
    assert records.count("/credit/records/show/") == 6 and number in records and "+10" in records
    listed = login("gov_admin").get(f"/credit/scores/list/?_flt_0_org={name}").get_data(as_text=True)
    assert name in listed and ">93<" in listed and ">AAA<" in listed and ">50<" in listed and ">7<" in listed


def test_list_searches_and_export(app, login):
    with app.app_context():
        yuzhong = h.new_enterprise()
        effective(yuzhong.id, score=10)                         # 50: C
        yubei = h.new_enterprise(region="500112")
        effective(yubei.id, code="WY-J-004", score=10)          # 70: A
        yuzhong_name, yubei_name = yuzhong.name, yubei.name
    c = login("gov_admin")
    html = c.get("/credit/scores/list/").get_data(as_text=True)
    for text in ("企业信用", "企业", "统一社会信用代码", "行政区划", "信用分", "信用等级", "加分", "扣分", "等级起始",
                 "计算时间", "导出"):
        assert text in html, text
    # Other tests add scored enterprises to the shared database: find this one by its name.
    named = c.get(f"/credit/scores/list/?_flt_0_org={yuzhong_name}").get_data(as_text=True)
    assert yuzhong_name in named and "重庆市渝中区" in named
    found = c.get("/credit/scores/list/?_flt_0_org=信用测试&_flt_0_level=C").get_data(as_text=True)
    assert yuzhong_name in found and yubei_name not in found
    found = c.get("/credit/scores/list/?_flt_0_org=信用测试&_flt_0_region_code=500112").get_data(as_text=True)
    assert yubei_name in found and yuzhong_name not in found
    resp = c.get(f"/credit/scores/export/?_flt_0_org={yubei_name}")
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0].values)
    assert rows[0][:5] == ("企业", "统一社会信用代码", "行政区划", "信用分", "信用等级")
    assert rows[1][0] == yubei_name and rows[1][2] == "重庆市渝北区" and rows[1][3] == 70 and rows[1][4] == "A"
    # The region's analyst exports too; the helpdesk and enterprises do not.
    assert login("analyst").get("/credit/scores/export/").status_code == 200
    for username in ("helpdesk", "ent_a"):
        assert login(username).get("/credit/scores/export/").status_code in (302, 403), username


def test_enterprise_sees_its_own_page_only(app, login):
    with app.app_context():
        ent_a, ent_b, city = h.org("ent_a").id, h.org("ent_b").id, h.org("重庆市住房和城乡建设委员会").id
        effective(ent_a, code="WY-J-001", score=3)
    ent = login("ent_a")
    resp = ent.get("/credit/scores/list/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/credit/scores/show/{ent_a}")
    html = page(ent, ent_a)
    assert "重庆安居物业服务有限公司" in html and 'id="score-history"' in html and 'id="btn-propose"' not in html
    for pk in (ent_b, city, 99999999):
        assert ent.get(f"/credit/scores/show/{pk}").status_code == 404, pk
    assert login("ent_b").get(f"/credit/scores/show/{ent_a}").status_code == 404


def test_helpdesk_sees_level_and_list_status_only(app, login):
    from app.credit import services

    with app.app_context():
        org = h.new_enterprise()
        record = effective(org.id, score=10)
        entry = services.propose_list_entry(h.user("gov_admin"), {
            "org_id": org.id, "list_type": "black", "reason": "严重失信：擅自撤离物业管理区域"})
        services.transition(entry, "approve", h.user("reviewer"))
        db.session.commit()
        org_id, number, entry_number = org.id, record.number, entry.number
    html = page(login("helpdesk"), org_id)
    assert shown(html, "level") == "C" and entry_number in html and "黑名单" in html and "公示中" in html
    assert "严重失信：擅自撤离物业管理区域" in html
    for hidden in ('id="score-history"', 'id="score-records"', 'id="score-chart"', number, "/credit/records/show/"):
        assert hidden not in html, hidden
    html = page(login("gov_admin"), org_id)
    assert 'id="score-history"' in html and number in html and entry_number in html


def test_street_sees_only_its_region(app, login):
    with app.app_context():
        org = h.new_enterprise()                                    # registered in 渝中区 (500103)
        effective(org.id, score=4)
        org_id, name = org.id, org.name
    street = login("street1")
    link = f'href="/credit/scores/show/{org_id}"'
    assert link not in street.get(f"/credit/scores/list/?_flt_0_org={name}").get_data(as_text=True)
    assert street.get(f"/credit/scores/show/{org_id}").status_code == 404
    district = login("district1")
    assert link in district.get(f"/credit/scores/list/?_flt_0_org={name}").get_data(as_text=True)
    html = page(district, org_id)
    assert 'id="btn-propose"' in html and f"/credit/records/propose?org_id={org_id}" in html
    html = district.get(f"/credit/records/propose?org_id={org_id}").get_data(as_text=True)
    assert re.search(rf'<option value="{org_id}" selected>', html)
