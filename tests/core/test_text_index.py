"""Contains-searches through the trigram index (app/core/text_index.py): the index only names
candidates and the LIKE confirms them, so every answer equals the plain LIKE's — for Chinese
and ASCII of either case, the user's % _ \\ and " taken literally, terms too short for a
trigram, and text changed or deleted after it was indexed."""
import re

import pytest
from sqlalchemy import event, func, select, text

from app.complaints.models import Complaint
from app.core import text_index
from app.core.audit import AuditLog
from app.core.lists.paging import escape_like, like
from app.extensions import db
from tests.complaints.helpers import file_complaint

TEXTS = ["化粪池堵塞，污水外溢", "楼上化粪池的盖板松动", "小区 ABC 门禁失灵", "abcdef 电梯故障",
         "收费 100% 不合理", "a_b 与 a%b 的记号", '他说"化粪"二字', "反斜杠\\在这里", "短", "NEAR(a b) 与 a OR b 写在投诉里"]
TERMS = ["化粪池", "化粪", "abc", "ABC", "Abc", "100%", "a_b", "a%b", '"化粪"', "\\在这", "不存在的词语",
         "化", "门禁失灵", "楼上化粪池的盖板松动", "楼上化粪池的盖板松动还有更多",
         # FTS5 query syntax is searched for as text, never run as a query
         "NEAR(a b)", "a OR b", "abc*", "^abc", "AND", "(((", '"""', "x" * 3000]


def _like_ids(model, col, term, with_index):
    dialect = db.engine.dialect.name
    clause = like(getattr(model, col), "%" + escape_like(term) + "%", dialect)
    query = select(model.id).where(clause)
    if with_index:
        rows = text_index.candidates(model, col, term, db.engine, session=db.session)
        if rows is not None:
            query = query.where(rows)
    return set(db.session.execute(query).scalars())


@pytest.fixture
def complaints(app):
    with app.app_context():
        made = [file_complaint(content=t).id for t in TEXTS]
        db.session.commit()
    return made


def test_the_index_answers_exactly_as_like_does(ctx, complaints):
    for term in TERMS:
        expected = _like_ids(Complaint, "content", term, False)
        assert _like_ids(Complaint, "content", term, True) == expected, term
        with text_index.walking():      # a first page's forms (few: by key; many: key + 0 IN ...)
            assert _like_ids(Complaint, "content", term, True) == expected, term
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(text_index, "FEW", 0)
                assert _like_ids(Complaint, "content", term, True) == expected, term


def test_a_walk_is_taken_only_in_an_indexed_order(app):
    from app.core.datamodels import ScopedInterface
    from app.property.models import Staff

    staff = ScopedInterface(Staff)
    assert staff._order_is_indexed("") and staff._order_is_indexed("id")
    assert staff._order_is_indexed("name")          # ix on name
    assert not staff._order_is_indexed("post")      # no index starts with post: the set form
    assert not staff._order_is_indexed("area_names")


def test_on_sqlite_a_long_enough_term_goes_through_the_index(ctx):
    if db.engine.dialect.name != "sqlite":
        assert text_index.candidates(Complaint, "content", "化粪池", db.engine) is None
        return
    assert text_index.candidates(Complaint, "content", "化粪池", db.engine) is not None
    assert text_index.candidates(Complaint, "content", "化粪", db.engine) is None       # 2 characters
    assert text_index.candidates(Complaint, "status", "abc", db.engine) is None        # no index
    n = db.session.execute(text("SELECT count(*) FROM anju_complaint_content_fts WHERE "
                                "anju_complaint_content_fts MATCH '\"化粪池\"'")).scalar()
    assert n == db.session.execute(select(func.count()).where(Complaint.content.like("%化粪池%"))).scalar()


def test_changed_and_deleted_text_is_found_as_it_is_now(ctx, complaints):
    c = db.session.get(Complaint, complaints[0])
    c.content = "已改为井盖缺失"
    db.session.commit()
    assert complaints[0] not in _like_ids(Complaint, "content", "化粪池堵塞", True)
    assert complaints[0] in _like_ids(Complaint, "content", "井盖缺失", True)
    db.session.execute(text("DELETE FROM anju_complaint WHERE id = :id"), {"id": complaints[8]})
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        n = db.session.execute(text("SELECT count(*) FROM anju_complaint_content_fts WHERE rowid = :id"),
                               {"id": complaints[8]}).scalar()
        assert n == 0


def _flt(app, view_name, column):
    """The URL argument of a view's 包含 filter on ``column``."""
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == view_name)
    for i, flt in enumerate(view._filters._all_filters[column]):
        if any(k.__name__ == "FilterContains" for k in type(flt).__mro__):
            return f"_flt_{i}_{column}"
    raise KeyError(column)


def test_the_list_and_the_audit_search_use_it(app, login, complaints):
    seen = []

    def spy(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
        dialect = db.engine.dialect.name
    try:
        c = login("admin")
        name = _flt(app, "ComplaintView", "content")
        html = c.get(f"/complaints/list/?{name}=化粪池&psize_ComplaintView=100").get_data(as_text=True)
        with app.app_context():
            numbers = set(db.session.execute(select(Complaint.number).where(
                Complaint.content.like("%化粪池%"))).scalars())
        shown = set(re.findall(r'class="anju-key">([^<]+)</a>', html))
        assert numbers and shown == numbers
        name = _flt(app, "AuditLogView", "summary")
        assert c.get(f"/auditlogview/list/?{name}=List showing").status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", spy)
    if dialect == "sqlite":
        assert any("anju_complaint_content_fts MATCH" in s for s in seen)
        assert any("anju_audit_log_summary_fts MATCH" in s for s in seen)


def test_audit_summaries_answer_as_like_does(ctx):
    from app.core import audit

    for summary in ("导出 解放碑 的投诉", "解放碑商住楼 查看", "JieFangBei list", "jiefangbei LIST"):
        audit.record("login", summary=summary)
    db.session.commit()
    for term in ("解放碑", "解放碑商", "jiefangbei", "LIST", "无此"):
        assert _like_ids(AuditLog, "summary", term, True) == _like_ids(AuditLog, "summary", term, False), term


# --- the audit log's index trails the log (migration a7d4e5b9c021) ------------------------------

def _mark():
    return db.session.execute(text("SELECT last_rowid FROM anju_audit_log_summary_fts_mark")).scalar()


def _indexed(term):
    return set(db.session.execute(text(
        "SELECT rowid FROM anju_audit_log_summary_fts WHERE anju_audit_log_summary_fts MATCH :t"),
        {"t": f'"{term}"'}).scalars())


def test_the_audit_index_trails_the_log_and_a_search_still_finds_every_entry(ctx, monkeypatch):
    from app.core import audit

    if db.engine.dialect.name != "sqlite":
        return
    # No trigger writes the index on every entry any more.
    triggers = set(db.session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'anju_audit_log'")).scalars())
    assert "anju_audit_log_summary_fts_ai" not in triggers
    monkeypatch.setattr(audit, "INDEX_EVERY", 10 ** 9)       # no catch-up while these are written
    written = ("尾部条目 甲乙丙丁", "尾部条目 戊己庚辛", "tail ENTRY abc")
    for summary in written:
        audit.record("login", summary=summary)
    db.session.commit()
    mine = set(db.session.execute(select(AuditLog.id).where(AuditLog.summary.in_(written))).scalars())
    assert len(mine) == 3 and min(mine) > _mark()                   # not in the index yet ...
    assert not (_indexed("尾部条目") | _indexed("entry")) & mine
    for term in ("尾部条目", "甲乙丙", "entry", "ABC", "无此条目"):      # ... and found all the same
        expected = _like_ids(AuditLog, "summary", term, False)
        assert _like_ids(AuditLog, "summary", term, True) == expected, term
        with text_index.walking():
            assert _like_ids(AuditLog, "summary", term, True) == expected, term
            monkeypatch.setattr(text_index, "FEW", 0)
            assert _like_ids(AuditLog, "summary", term, True) == expected, term
            monkeypatch.setattr(text_index, "FEW", 2000)
    assert len(_like_ids(AuditLog, "summary", "尾部条目", True)) >= 2

    # A catch-up adds the entries after the mark, a limited number at a time, and moves it.
    top = db.session.execute(select(func.max(AuditLog.id))).scalar()
    before = _mark()
    first_two = db.session.execute(select(AuditLog.id).where(AuditLog.id > before)
                                   .order_by(AuditLog.id).limit(2)).scalars().all()
    added = text_index.catch_up(db.session.connection(), "anju_audit_log", "summary", limit=2)
    assert added == 2 and _mark() == first_two[-1]
    text_index.catch_up(db.session.connection(), "anju_audit_log", "summary", limit=None)
    db.session.commit()
    assert _mark() == top and mine <= (_indexed("尾部条目") | _indexed("entry"))
    assert text_index.catch_up(db.session.connection(), "anju_audit_log", "summary") == 0
    for term in ("尾部条目", "entry"):
        assert _like_ids(AuditLog, "summary", term, True) == _like_ids(AuditLog, "summary", term, False)


def test_the_audit_writer_catches_the_index_up_every_so_many_writes(ctx, monkeypatch):
    from app.core import audit

    if db.engine.dialect.name != "sqlite":
        return
    monkeypatch.setattr(audit, "INDEX_EVERY", 3)
    for i in range(6):
        audit.record("login", summary=f"追赶索引 第{i}条")
    db.session.commit()
    writes, last_id = db.session.execute(text("SELECT writes, last_id FROM anju_audit_head")).one()
    caught = writes - writes % 3          # the last write that caught up covered every entry
    assert _mark() == last_id - (writes - caught)     # written until then (one entry per write)
    indexed = _indexed("追赶索引")
    assert len(indexed) >= 4
    assert _like_ids(AuditLog, "summary", "追赶索引", True) == _like_ids(AuditLog, "summary", "追赶索引", False)
