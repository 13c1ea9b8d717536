"""A person in credit answers (the applicant's name) passes through the viewer's masking:
REST, list, export and history, for a role without the full-value permission (analyst)."""
import io

import openpyxl

from tests.credit.helpers import new_enterprise, propose, user


def _record(app):
    from app.extensions import db

    with app.test_request_context("/"):
        ent = new_enterprise()
        record = propose(ent.id, proposer="district1")
        pk, number, name = record.id, record.number, user("district1").first_name
        db.session.remove()
    return pk, number, name


def test_applicant_name_is_masked_for_the_analyst(app, api, login):
    pk, number, name = _record(app)
    assert len(name) >= 3
    http, headers = api("analyst")
    body = http.get(f"/api/v1/credit_record/{pk}", headers=headers).get_json()
    shown = body["result"]["applicant_name"]
    assert shown != name and "*" in shown
    listed = http.get("/api/v1/credit_record/", headers=headers,
                      query_string={"q": '(filters:!((col:number,opr:eq,value:%s)))' % number}).get_json()
    assert all(r["applicant_name"] != name for r in listed["result"])
    c = login("analyst")
    page = c.get(f"/credit/records/show/{pk}").get_data(as_text=True)
    assert name not in page
    resp = c.get(f"/credit/records/export/?_flt_0_number={number}")
    cells = [str(v) for row in openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0].values for v in row]
    assert name not in cells
    # gov_admin holds the full-value permission and sees the name.
    http, headers = api("gov_admin")
    assert http.get(f"/api/v1/credit_record/{pk}", headers=headers).get_json()["result"]["applicant_name"] == name
