"""从业主体管理: an enterprise adds practitioners (name, ID, mobile checked; post from the
dictionary; 信息卡号 unique; card validity; one of its premises), each bound to the login
account with the same ID number (a named account with another ID number is refused, saying
both); marks 离职; imports them from a real .xlsx (all or nothing); government lists them masked
with filters and export; outsiders see nothing."""
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.extensions import db
from tests.rental import filing_steps as steps
from tests.rental.helpers import new_id_number


def _person_for(app, username, id_number):
    """The account's natural person (as opening a staff account records it)."""
    from app.accounts.models import Person
    from tests.rental.helpers import user

    with steps.data(app):
        u = user(username)
        db.session.add(Person(user_id=u.id, org_id=u.org_id, name="王经纪", id_type="resident_id",
                              id_number=id_number, mobile=u.mobile or "13700000000"))
        db.session.commit()
        return u.id


def _practitioner(app, **where):
    from app.rental.agencies.models import Practitioner

    with steps.data(app):
        p = db.session.execute(select(Practitioner).filter_by(**where)).scalars().first()
        if p is None:
            return None
        return dict(id=p.id, name=p.name, id_number=p.id_number, user_id=p.user_id, status=p.status, post=p.post,
                    info_card_no=p.info_card_no, premises_id=p.premises_id, org_id=p.org_id,
                    region_code=p.region_code)


def _form(**change):
    data = {"name": "王经纪", "id_type": "resident_id", "id_number": new_id_number(), "mobile": "13712345678",
            "post": "agent", "info_card_no": f"XXK{new_id_number()[-10:]}", "card_valid_until": "2028-12-31",
            "premises": "", "account": ""}
    data.update(change)
    return data


def test_add_bind_by_id_number_mismatch_and_leave(app, login):
    ent = steps.enterprise(app)
    agent_number = new_id_number()
    agent_id = _person_for(app, ent.agent, agent_number)
    c = login(ent.admin)
    assert c.get("/rental/practitioners/add").status_code == 200
    # Field checks in Chinese.
    for change, message in (({"mobile": "12345"}, "手机号码"), ({"id_number": "500103199901011234"}, "证件号码"),
                            ({"info_card_no": "X"}, "信息卡号：应为4至32位字母、数字或连字符")):
        text = c.form("/rental/practitioners/add", _form(**change), get_url="/rental/practitioners/add",
                      follow_redirects=True).get_data(as_text=True)
        assert message in text, change
    # Naming an account whose person has another ID number: refused, both numbers' tails shown.
    other_number = new_id_number()
    text = c.form("/rental/practitioners/add", _form(id_number=other_number, account=ent.agent),
                  get_url="/rental/practitioners/add", follow_redirects=True).get_data(as_text=True)
    assert (f"登录账号：账号{ent.agent}的证件号码（**************{agent_number[-4:]}）与从业人员的证件号码"
            f"（**************{other_number[-4:]}）不一致；登录账号只能绑定证件号码相同的从业人员") in text
    assert _practitioner(app, id_number=other_number) is None
    # An account of another enterprise is not found.
    text = c.form("/rental/practitioners/add", _form(account="agent_a"), get_url="/rental/practitioners/add",
                  follow_redirects=True).get_data(as_text=True)
    assert "登录账号：本企业没有该登录账号" in text
    # The same ID number: bound automatically.
    card = f"XXK{agent_number[-8:]}"
    assert c.form("/rental/practitioners/add", _form(id_number=agent_number, info_card_no=card),
                  get_url="/rental/practitioners/add").status_code == 302
    p = _practitioner(app, id_number=agent_number)
    assert p["user_id"] == agent_id and p["status"] == "active" and p["org_id"] == ent.org_id
    assert p["info_card_no"] == card and p["region_code"] == "500103"
    # 信息卡号 unique across enterprises.
    other = steps.enterprise(app)
    text = login(other.admin).form("/rental/practitioners/add", _form(info_card_no=card),
                                   get_url="/rental/practitioners/add", follow_redirects=True).get_data(as_text=True)
    assert "信息卡号：该信息卡号已被其他从业人员使用" in text
    # The same person twice in one enterprise.
    text = c.form("/rental/practitioners/add", _form(id_number=agent_number), get_url="/rental/practitioners/add",
                  follow_redirects=True).get_data(as_text=True)
    assert "已是本企业的从业人员" in text
    # Page and list.
    show = c.get(f"/rental/practitioners/show/{p['id']}").get_data(as_text=True)
    assert card in show and "房地产经纪人" in show
    # 离职: the record stays, the account unbound; a bound record cannot be deleted.
    assert c.form(f"/rental/practitioners/delete/{p['id']}", {}, get_url="/rental/practitioners/list/",
                  follow_redirects=True).status_code == 200
    assert _practitioner(app, id=p["id"]) is not None
    assert c.form(f"/rental/practitioners/action/leave/{p['id']}", {},
                  get_url=f"/rental/practitioners/show/{p['id']}").status_code == 302
    left = _practitioner(app, id=p["id"])
    assert left["status"] == "left" and left["user_id"] is None
    text = c.form(f"/rental/practitioners/edit/{p['id']}", _form(id_number=agent_number, info_card_no=card),
                  get_url=f"/rental/practitioners/edit/{p['id']}", follow_redirects=True).get_data(as_text=True)
    assert "已离职，记录作为历史保留，不能编辑" in text or "离职" in text


def test_an_account_opened_later_is_bound_by_id_number(app):
    from app.accounts.models import Person
    from app.rental.agencies import services
    from tests.rental.helpers import user

    ent = steps.enterprise(app)
    number = new_id_number()
    with steps.data(app):
        p = services.save_practitioner(user(ent.admin), _form(id_number=number))
        db.session.commit()
        assert p.user_id is None
        person = Person(user_id=user(ent.agent).id, org_id=ent.org_id, name="王经纪", id_type="resident_id",
                        id_number=number, mobile="13700001111")
        db.session.add(person)
        db.session.flush()
        services.bind_person(person)
        db.session.commit()
        assert p.user_id == user(ent.agent).id


def test_import_from_excel_all_or_nothing(app, login):
    ent = steps.enterprise(app)
    with steps.data(app):
        from app.rental.agencies import services
        from tests.rental.helpers import user

        services.save_premises(user(ent.admin), {"name": "观音桥门店", "address": "江北区观音桥步行街1号",
                                                 "region_code": "500105", "status": "open"})
        db.session.commit()
    c = login(ent.admin)
    template = c.get("/rental/practitioners/template/")
    assert template.status_code == 200
    header = [cell.value for cell in load_workbook(io.BytesIO(template.data)).active[1]]
    assert any("信息卡号" in str(h) for h in header)

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        buf.seek(0)
        return buf

    n1, n2 = new_id_number(), new_id_number()
    card1, card2 = f"IMP{n1[-9:]}", f"IMP{n2[-9:]}"
    bad = [["张导入", "居民身份证", n1, "13711112222", "房地产经纪人", card1, "2028-01-01", "观音桥门店"],
           ["李导入", "居民身份证", n2, "13711113333", "租赁管家", card1, "", "不存在的门店"]]
    resp = c.form("/rental/practitioners/import/", {"file": (book(bad), "从业人员.xlsx")},
                  get_url="/rental/practitioners/import/")
    text = resp.get_data(as_text=True)
    import re

    plain = re.sub(r"<[^>]+>", " ", text)
    assert "本企业没有该名称的经营场所" in plain and "与第2行的编号重复" in plain, plain[-2500:]
    assert _practitioner(app, id_number=n1) is None
    good = [bad[0], ["李导入", "居民身份证", n2, "13711113333", "租赁管家", card2, "", ""]]
    resp = c.form("/rental/practitioners/import/", {"file": (book(good), "从业人员.xlsx")},
                  get_url="/rental/practitioners/import/")
    assert "成功导入2条数据" in resp.get_data(as_text=True)
    first, second = _practitioner(app, id_number=n1), _practitioner(app, id_number=n2)
    assert first["premises_id"] is not None and first["region_code"] == "500105" and second["post"] == "rental_manager"


def test_government_lists_practitioners_masked_and_outsiders_see_nothing(app, login):
    from app.rental.agencies import services
    from tests.rental.helpers import user

    ent = steps.enterprise(app)
    number = new_id_number()
    with steps.data(app):
        p = services.save_practitioner(user(ent.admin), _form(id_number=number, name="欧阳经纪",
                                                              mobile="13755556666"))
        db.session.commit()
        pid, card = p.id, p.info_card_no
    d = login("district1")
    listed = d.get(f"/rental/practitioners/list/?_flt_0_info_card_no={card}").get_data(as_text=True)
    assert card in listed and number not in listed and "欧阳经纪" not in listed and "13755556666" not in listed
    assert number[-4:] in listed and "欧*纪" in listed
    export = d.get(f"/rental/practitioners/export/?_flt_0_info_card_no={card}")
    assert export.status_code == 200 and number.encode() not in export.data
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert any(card in [str(v) for v in r] for r in rows) and all(number not in str(r) for r in rows)
    assert d.get("/rental/practitioners/add").status_code in (302, 403)
    # Searching a masked column by a part of it is refused.
    assert d.get(f"/rental/practitioners/list/?_flt_2_id_number={number[:6]}").status_code in (200, 400)
    api = app.test_client()
    from tests.conftest import api_token

    h = {"Authorization": f"Bearer {api_token(app, 'district1')}"}
    item = api.get(f"/api/v1/rental_practitioner/{pid}", headers=h).get_json()["result"]
    assert item["id_number"] != number and item["mobile"] != "13755556666" and item["name"] != "欧阳经纪"
    other = steps.enterprise(app)
    o = login(other.admin)
    assert card not in o.get("/rental/practitioners/list/").get_data(as_text=True)
    assert o.get(f"/rental/practitioners/show/{pid}").status_code == 404
    assert o.get(f"/rental/practitioners/edit/{pid}").status_code == 404
    assert o.form(f"/rental/practitioners/action/leave/{pid}", {}, get_url="/logout/").status_code in (302, 404)
    assert _practitioner(app, id=pid)["status"] == "active"
    oh = {"Authorization": f"Bearer {api_token(app, other.admin)}"}
    assert api.get(f"/api/v1/rental_practitioner/{pid}", headers=oh).status_code == 404
    yubei = login(steps.district_user(app, "500112"))
    assert card not in yubei.get("/rental/practitioners/list/").get_data(as_text=True)
    assert yubei.get(f"/rental/practitioners/show/{pid}").status_code == 404
    for username in ("helpdesk", "public1", "agent_a"):
        c = login(username)
        for url in ("/rental/practitioners/list/", f"/rental/practitioners/show/{pid}",
                    "/rental/practitioners/export/"):
            assert c.get(url).status_code in (302, 403, 404), (username, url)
