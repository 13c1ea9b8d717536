"""Background exports as each role (issue 17): the file of a task holds exactly the rows the
role's list shows for the same filter, and personal data as the role sees it."""
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.complaints.helpers import file_complaint
from tests.core.test_tasks import param, task_id_of, task_of
from tests.property.test_staff import uniq

FULL_VIEW = {"gov_admin", "ent_a"}          # roles holding the personal-data permission


@pytest.fixture(scope="module")
def tagged(app):
    tag = uniq("角色导出")
    with app.app_context():
        numbers = {}
        for area in ("和平小区", "解放碑商住楼"):
            c = file_complaint(area_name=area, content=f"{tag}{area}")
            numbers[area] = (c.number, c.id_number)
    return tag, numbers


def list_numbers(client, url):
    html = client.get(url).get_data(as_text=True)
    return set(re.findall(r"\b(\d{14,})\b", html)) | set(re.findall(r">([A-Z]*\d{8,})<", html))


@pytest.mark.parametrize("username", ["gov_admin", "district1", "street1", "ent_a", "ent_b", "pm_a", "analyst"])
def test_a_task_export_holds_the_roles_rows_and_masking(app, login, tagged, username):
    tag, numbers = tagged
    client = login(username)
    args = f"_flt_2_content={quote(tag)}&psize_ComplaintView=100"
    shown = client.get(f"/complaints/list/?{args}").get_data(as_text=True)
    visible = {area for area, (number, _id) in numbers.items() if number in shown}
    with param(app, "export.sync_rows", 0):
        resp = client.get(f"/complaints/export/?{args}")
    if not visible:
        # Nothing in scope: the empty file at once, never a task holding others' rows.
        assert resp.status_code == 200
        rows = list(load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0].iter_rows(values_only=True))
        assert len(rows) == 1
        return
    pk = task_id_of(resp)
    assert task_of(app, pk).state == "done"
    wb = load_workbook(io.BytesIO(client.get(f"/tasks/download/{pk}").data), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    got = {r[header.index("编号")]: r[header.index("证件号码")] for r in rows[1:]}
    assert set(got) == {numbers[a][0] for a in visible}, username
    for area in visible:
        number, id_number = numbers[area]
        if username in FULL_VIEW:
            assert got[number] == id_number, username
        else:
            assert got[number] == "*" * 14 + id_number[-4:], username
    # The task is the exporter's alone.
    for other in ("ent_b", "analyst"):
        if other != username:
            assert login(other).get(f"/tasks/download/{pk}").status_code == 404
