"""记分标准 (scoring standards): checks, versioning and the all-or-nothing import.

A rule is identified by its 信用规则编号 (``code``). While no record uses a version it is
edited in place; once a record was scored under it, an edit writes version n+1 (the new
current version) and leaves the old row untouched, so every record keeps the exact rule
it was scored under (:func:`save_edit`). Imports follow the same rule row by row.
"""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, inspect, select

from app.core.errors import DomainError
from app.core.mixins import now
from app.credit.models import CreditRecord, CreditRule, Operation, ScoreType, Severity
from app.extensions import db
from app.system import dicts

CATEGORY_DICT = "credit_category"
MAX_SCORE = 1000
# The columns an edit may change (a change of any of them makes a new version of a rule in use).
FIELDS = ("item", "category", "score_type", "suggested_score", "min_score", "max_score", "operation", "severity",
          "validity_months", "effective_from", "effective_to", "enabled", "basis")

LABELS = {
    "code": _l("Credit rule number"), "version": _l("Version"), "item": _l("Scoring item"),
    "category": _l("Category"), "score_type": _l("Scoring type"), "suggested_score": _l("Suggested score"),
    "min_score": _l("Lowest score"), "max_score": _l("Highest score"), "operation": _l("Operation type"),
    "severity": _l("Severity"), "validity_months": _l("Validity (months)"), "effective_from": _l("Effective from"),
    "effective_to": _l("Effective to"), "enabled": _l("Enabled"), "is_current": _l("Current version"),
    "basis": _l("Basis"),
}


def check(rule):
    """Cross-field checks of one rule (also the imported rows); DomainError in Chinese."""
    code = (rule.code or "").strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise DomainError(_("The credit rule number must be 1 to 32 letters, digits, '-' or '_'."))
    rule.code = code
    rule.item = (rule.item or "").strip()
    if not rule.item:
        raise DomainError(_("Please fill in the scoring item."))
    if rule.category not in dict(dicts.items(CATEGORY_DICT)):
        raise DomainError(_("Please choose a category."))
    if rule.score_type not in ScoreType.ALL:
        raise DomainError(_("Please choose bonus or deduction."))
    if rule.operation not in Operation.ALL:
        raise DomainError(_("Please choose manual or system scoring."))
    if rule.severity not in Severity.ALL:
        raise DomainError(_("Please choose the severity."))
    for key in ("suggested_score", "min_score", "max_score", "validity_months"):
        value = getattr(rule, key)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(_("%(field)s must be a whole number.", field=LABELS[key]))
    if not 0 <= rule.min_score <= rule.suggested_score <= rule.max_score <= MAX_SCORE or rule.max_score < 1:
        raise DomainError(_("The scores must satisfy 0 ≤ lowest ≤ suggested ≤ highest ≤ %(max)s, and the highest "
                            "score must be at least 1.", max=MAX_SCORE))
    if not 1 <= rule.validity_months <= 120:
        raise DomainError(_("The validity must be between 1 and 120 months."))
    if rule.effective_from is None:
        raise DomainError(_("Please fill in the date the standard takes effect."))
    if rule.effective_to is not None and rule.effective_to < rule.effective_from:
        raise DomainError(_("The end date cannot be earlier than the start date."))
    if rule.enabled is None:
        rule.enabled = True
    return rule


def in_use(rule, session=None):
    session = session or db.session
    if rule.id is None:
        return False
    return session.execute(select(exists().where(CreditRecord.rule_id == rule.id))).scalar()


def delete_refusal(rule, session=None):
    """None when ``rule`` may be deleted; else why not. A version a record was scored under
    stays (history), and so does any version of a code with several (the others refer to it)."""
    if in_use(rule, session):
        return _("This scoring standard is used by credit records and cannot be deleted; disable it instead.")
    if len(versions_of(rule.code, session)) > 1:
        return _("This scoring standard has other versions and cannot be deleted; disable it instead.")
    return None


def code_taken(code, except_id=None, session=None):
    session = session or db.session
    stmt = select(CreditRule.id).where(CreditRule.code == (code or "").strip().upper())
    if except_id is not None:
        stmt = stmt.where(CreditRule.id != except_id)
    return session.execute(stmt.limit(1)).first() is not None


def check_new(rule, session=None):
    check(rule)
    if code_taken(rule.code, session=session):
        raise DomainError(_("Credit rule number %(code)s already exists.", code=rule.code))
    rule.version, rule.is_current = 1, True
    return rule


def save_edit(rule, session=None):
    """After a form or the API changed ``rule`` in memory: check it; when the version is in use,
    put the old values back and add the new values as the next version. Returns the row that
    holds the new values (the same row, or the new version)."""
    session = session or db.session
    with session.no_autoflush:
        # The checks query (dictionaries, other versions): an autoflush there would write the
        # new values into this row before the history below says what changed.
        return _save_edit(rule, session)


def _save_edit(rule, session):
    state = inspect(rule)
    code_history = state.attrs.code.history
    if code_history.has_changes() and code_history.deleted and code_history.deleted[0] is not None:
        if (rule.code or "").strip().upper() != code_history.deleted[0]:
            raise DomainError(_("The credit rule number cannot be changed."))
    check(rule)
    if not rule.is_current:
        raise DomainError(_("Only the current version of a scoring standard can be changed."))
    changes = {}
    for key in FIELDS:
        history = state.attrs[key].history
        if history.has_changes() and history.deleted:
            changes[key] = (history.deleted[0], getattr(rule, key))
    if not changes or not in_use(rule, session):
        return rule
    newer = CreditRule(code=rule.code, version=_next_version(rule.code, session), is_current=True,
                       **{key: getattr(rule, key) for key in FIELDS})
    for key, (old, _new) in changes.items():
        setattr(rule, key, old)
    rule.is_current = False
    session.flush()          # the old row is no longer current before the new one is added
    session.add(newer)
    session.flush()
    return newer


def _next_version(code, session):
    from sqlalchemy import func

    return (session.execute(select(func.max(CreditRule.version)).where(CreditRule.code == code)).scalar() or 0) + 1


def versions_of(code, session=None):
    session = session or db.session
    return session.execute(select(CreditRule).where(CreditRule.code == code)
                           .order_by(CreditRule.version.desc())).scalars().all()


# --- import ---------------------------------------------------------------------------------

def import_rules(rows, session=None):
    """All-or-nothing import of checked workbook rows: a new number adds a rule, a known number
    changes its current version (a new version when in use). Returns the count written;
    raises DomainError naming the row on the first refused row (the request rolls back)."""
    session = session or db.session
    written = 0
    for row in rows:
        code = (row.get("code") or "").strip().upper()
        current = session.execute(select(CreditRule).where(CreditRule.code == code,
                                                           CreditRule.is_current.is_(True))).scalars().first()
        values = {key: row.get(key) for key in FIELDS if key in row}
        if values.get("enabled") is None:
            values["enabled"] = True
        try:
            if current is None:
                rule = CreditRule(code=code, **values)
                check_new(rule, session)
                session.add(rule)
                session.flush()
            else:
                for key, value in values.items():
                    setattr(current, key, value)
                save_edit(current, session)
        except DomainError as exc:
            raise DomainError(_("Row %(row)s: %(message)s", row=row.get("_row", "?"), message=str(exc)))
        written += 1
    return written


def validate_import(rows, session=None):
    """Row errors before anything is written: [(row, column, message)]."""
    errors = []
    for row in rows:
        rule = CreditRule(**{key: row.get(key) for key in FIELDS if key in row}, code=row.get("code"))
        if rule.enabled is None:
            rule.enabled = True
        try:
            check(rule)
        except DomainError as exc:
            errors.append((row.get("_row"), None, str(exc)))
    return errors


# --- the default set (seeded) -----------------------------------------------------------------

# Written from the seeds' wording (seed 001 记分标准; seed 004 诚信登记/良好行为申报; complaints
# overdue, seed 003 §13): code, category, type, item, suggested, min, max, operation, severity.
DEFAULT_RULES = [
    ("WY-J-001", "property", ScoreType.BONUS, "获得市级及以上物业管理优秀（示范）项目称号", 5, 3, 8, Operation.MANUAL,
     Severity.GENERAL),
    ("WY-J-002", "property", ScoreType.BONUS, "企业良好行为申报经公示审核通过", 2, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-J-003", "property", ScoreType.BONUS, "业主满意度调查结果优秀", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-J-004", "property", ScoreType.BONUS, "在抢险救灾、疫情防控等工作中表现突出受到表彰", 5, 2, 10, Operation.MANUAL,
     Severity.GENERAL),
    ("WY-J-005", "property", ScoreType.BONUS, "物业服务检查考评结果优秀", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-K-001", "property", ScoreType.DEDUCTION, "未按规定办理物业服务合同备案", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-K-002", "property", ScoreType.DEDUCTION, "未按规定办理物业承接查验备案", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-K-003", "property", ScoreType.DEDUCTION, "业主诉求未在规定期限内办结", 2, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-K-004", "property", ScoreType.DEDUCTION, "未按规定对共用设施设备进行巡检、维保", 3, 1, 5, Operation.MANUAL,
     Severity.GENERAL),
    ("WY-K-005", "property", ScoreType.DEDUCTION, "物业服务未达到合同约定标准，经查证属实", 5, 2, 10, Operation.MANUAL,
     Severity.GENERAL),
    ("WY-K-006", "property", ScoreType.DEDUCTION, "擅自撤离物业管理区域、停止物业服务", 20, 10, 30, Operation.MANUAL,
     Severity.SERIOUS),
    ("WY-K-007", "property", ScoreType.DEDUCTION, "挪用专项维修资金或侵占业主共有收益", 30, 20, 40, Operation.MANUAL,
     Severity.SERIOUS),
    ("WY-K-008", "property", ScoreType.DEDUCTION, "业主满意度调查结果不达标", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("WY-K-009", "property", ScoreType.DEDUCTION, "物业服务检查考评结果不合格", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("ZL-J-001", "rental", ScoreType.BONUS, "房源核验、合同网签备案率达到100%", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("ZL-J-002", "rental", ScoreType.BONUS, "获得住房租赁行业诚信示范企业称号", 5, 3, 8, Operation.MANUAL, Severity.GENERAL),
    ("ZL-K-001", "rental", ScoreType.DEDUCTION, "发布未经核验的房源信息", 3, 1, 5, Operation.MANUAL, Severity.GENERAL),
    ("ZL-K-002", "rental", ScoreType.DEDUCTION, "未按规定办理租赁合同网签备案", 3, 1, 5, Operation.SYSTEM, Severity.GENERAL),
    ("ZL-K-003", "rental", ScoreType.DEDUCTION, "发布虚假房源信息，经查证属实", 10, 5, 15, Operation.MANUAL, Severity.GENERAL),
    ("ZL-K-004", "rental", ScoreType.DEDUCTION, "克扣押金、租金或以暴力、威胁等手段驱逐承租人", 30, 20, 40, Operation.MANUAL,
     Severity.SERIOUS),
    ("JJ-K-001", "agency", ScoreType.DEDUCTION, "未按规定办理机构备案或备案信息变更", 3, 1, 5, Operation.MANUAL,
     Severity.GENERAL),
    ("JJ-K-002", "agency", ScoreType.DEDUCTION, "违规收取费用或捆绑收费", 5, 2, 10, Operation.MANUAL, Severity.GENERAL),
]


def seed_defaults(session=None, effective_from=date(2024, 1, 1)):
    """Insert the default standards that do not exist yet (idempotent)."""
    from app.system.params import get_param

    session = session or db.session
    existing = set(session.execute(select(CreditRule.code)).scalars())
    added = 0
    for code, category, score_type, item, suggested, low, high, operation, severity in DEFAULT_RULES:
        if code in existing:
            continue
        months = get_param("credit.serious_validity_months" if severity == Severity.SERIOUS
                           else "credit.general_validity_months")
        session.add(CreditRule(code=code, version=1, item=item, category=category, score_type=score_type,
                               suggested_score=suggested, min_score=low, max_score=high, operation=operation,
                               severity=severity, validity_months=months, effective_from=effective_from,
                               enabled=True, is_current=True, created_on=now(), changed_on=now()))
        added += 1
    session.flush()
    return added
