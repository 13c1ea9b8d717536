"""The credit module's 待办 and 快捷入口 on the home page (app/core/worklist.py): what waits
for a reviewer (记分申请待审核, 异议待处理) and for an applicant (退回的记分申请), each
linking to the list filtered to exactly those rows; 记分申请 as a shortcut."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import worklist
from app.core.scope import apply_scope
from app.credit.models import CreditObjection, CreditRecord, DecisionStatus, RecordStatus

GROUP = _l("Credit management")


def _count(stmt, model, user):
    return worklist.capped_count(apply_scope(stmt, model, user))


def review_todos(user):
    """记分申请待审核: records waiting for a reviewer, in the reviewer's scope."""
    n, capped = _count(select(CreditRecord.id).where(CreditRecord.status == RecordStatus.REVIEW), CreditRecord, user)
    return [worklist.Todo("credit.review", _l("Scoring applications pending review"), n, level="warning",
                          group=GROUP, capped=capped,
                          url=worklist.list_url("CreditRecordView", ("status", "eq", RecordStatus.REVIEW)))]


def objection_todos(user):
    """异议待处理: objections waiting for a decision."""
    n, capped = _count(select(CreditObjection.id).where(CreditObjection.status == DecisionStatus.PENDING),
                       CreditObjection, user)
    return [worklist.Todo("credit.objections", _l("Objections pending"), n, level="warning", group=GROUP,
                          capped=capped,
                          url=worklist.list_url("CreditObjectionView", ("status", "eq", DecisionStatus.PENDING)))]


def returned_todos(user):
    """The applicant's 记分申请 returned for changes."""
    n, capped = _count(select(CreditRecord.id).where(CreditRecord.status == RecordStatus.RETURNED,
                                                     CreditRecord.applicant_id == user.id), CreditRecord, user)
    return [worklist.Todo("credit.returned", _l("Scoring applications returned"), n, level="danger", group=GROUP,
                          capped=capped,
                          url=worklist.list_url("CreditRecordView", ("status", "eq", RecordStatus.RETURNED),
                                                ("applicant_id", "mine", "y")))]


def register():
    worklist.register_todo("credit.review", review_todos, ("can_decide", "CreditRecordView"), order=30)
    worklist.register_todo("credit.objections", objection_todos, ("can_decide", "CreditObjectionView"), order=31)
    worklist.register_todo("credit.returned", returned_todos, ("can_propose", "CreditRecordView"), order=32)
    worklist.register_shortcut("credit.propose", _l("Scoring application"), "fa-pencil-square-o",
                               endpoint="CreditRecordView.propose", permission=("can_propose", "CreditRecordView"),
                               order=30)
