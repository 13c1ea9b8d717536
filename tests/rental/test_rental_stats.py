"""租赁统计 on a fresh enterprise in a district nobody else uses (大渡口区), at a period in the past:
verifications passed and failed, signings, filings and overdue filings by district and by month;
a district sees its own, the city all; export; outsiders refused."""
import io
from datetime import datetime

from openpyxl import load_workbook

from app.extensions import db
from tests.rental import filing_steps as steps

DISTRICT = "500104"
PERIOD = "from=2025-03-01&to=2025-05-31"


def _data(app):
    from app.rental.contracts.models import RentalContract
    from app.rental.verification import services as verifications
    from tests.rental.helpers import new_property, signed_contract, user, verification_fields

    ent = steps.enterprise(app, region=DISTRICT)
    with steps.data(app):
        agent = user(ent.agent)
        march = datetime(2025, 3, 10, 10, 0)
        made = []
        for _ in range(2):
            prop, people = new_property(DISTRICT)
            v = verifications.verify(verification_fields(prop, people), agent, moment=march)
            assert v.result == "passed"
            made.append(v)
        prop, people = new_property(DISTRICT)
        wrong = [dict(people[0], name="冒名者")]
        assert verifications.verify(verification_fields(prop, wrong), agent, moment=march).result == "failed"
        db.session.commit()
        first = signed_contract(agent, signed_at=march, verification=made[0])
        second = signed_contract(agent, signed_at=datetime(2025, 4, 5, 9, 0), verification=made[1])
        first = db.session.get(RentalContract, first.id)
        first.filing_status, first.filing_number, first.filed_at = "filed", f"BA{first.id:014d}", \
            datetime(2025, 3, 20, 15, 0)
        db.session.get(RentalContract, second.id).overdue_flagged_at = datetime(2025, 5, 10, 2, 7)
        db.session.commit()
    return ent


def _table(html, name):
    body = html.split(f'id="table-{name}"')[1].split("</table>")[0]
    rows = []
    for tr in body.split("<tr>")[2:]:
        cells = [c.split(">", 1)[1].split("</td")[0].strip() for c in tr.split("<td")[1:]]
        rows.append(cells)
    return rows


def test_numbers_by_district_and_month(app, login):
    _data(app)
    gov = login("gov_admin")
    page = gov.get(f"/rental/stats/?{PERIOD}&district={DISTRICT}").get_data(as_text=True)
    assert "租赁统计" in page and "echarts.min.js" in page and 'id="chart-month"' in page
    by_district = _table(page, "district")
    assert ["大渡口区", "2", "1", "2", "1", "1"] in by_district
    by_month = {r[0]: r[1:] for r in _table(page, "month")}
    assert by_month == {"2025-03": ["2", "1", "1", "1", "0"], "2025-04": ["0", "0", "1", "0", "0"],
                        "2025-05": ["0", "0", "0", "0", "1"]}
    # Export of one table.
    export = gov.get(f"/rental/stats/export/month?{PERIOD}&district={DISTRICT}")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("月份", "核验通过", "核验未通过", "网签合同", "备案合同", "逾期未备案")
    assert ("2025-03", 2, 1, 1, 1, 0) in rows
    assert gov.get(f"/rental/stats/export/nothing?{PERIOD}").status_code == 404

    # The district itself sees the same; another district does not see it.
    own = login(steps.district_user(app, DISTRICT)).get(f"/rental/stats/?{PERIOD}").get_data(as_text=True)
    assert ["大渡口区", "2", "1", "2", "1", "1"] in _table(own, "district")
    other = login("district1").get(f"/rental/stats/?{PERIOD}&district={DISTRICT}").get_data(as_text=True)
    assert "所选区县不在您的数据权限范围内" in other
    assert all(r[0] != "大渡口区" for r in _table(other, "district"))
    # A bad period falls back to the default with a message.
    bad = gov.get("/rental/stats/?from=2025-13-01").get_data(as_text=True)
    assert "统计期间无效" in bad


def test_outsiders_cannot_open_the_statistics(app, login, client):
    for username in ("agency_a", "agent_a", "helpdesk", "public1", "platform_a"):
        c = login(username)
        for url in ("/rental/stats/", "/rental/stats/export/district"):
            assert c.get(url).status_code in (302, 403), (username, url)
    assert client.get("/rental/stats/").status_code in (302, 401)
