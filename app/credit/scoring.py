"""Credit score and level (SPEC §5): every number is a parameter (app/system/params.py).

    score = credit.base_score + min(effective bonuses, credit.bonus_cap) − effective deductions
    level = AAA if score ≥ credit.level_aaa, AA ≥ credit.level_aa, A ≥ credit.level_a,
            B ≥ credit.level_b, else C

Only records in effect (生效) count. :func:`recompute` runs when a record enters or leaves
effect and, for every enterprise at once, from the daily job (:func:`recompute_all`: one
GROUP BY over the records, then only the changed scores written, in batches). Each change
of score or level writes a :class:`CreditScoreHistory` row with its cause (信用历史).
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update

from app.core.mixins import now
from app.credit.models import CreditRecord, CreditScore, CreditScoreHistory, RecordStatus, ScoreType
from app.extensions import db
from app.system.models import Organization, OrgType
from app.system.params import get_param

LEVELS = ("AAA", "AA", "A", "B", "C")
BATCH = 2000


@dataclass(frozen=True)
class Policy:
    base: int
    bonus_cap: int
    thresholds: tuple          # ((level, lowest score), ...) best first, C last with None

    @classmethod
    def current(cls):
        return cls(get_param("credit.base_score"), get_param("credit.bonus_cap"),
                   (("AAA", get_param("credit.level_aaa")), ("AA", get_param("credit.level_aa")),
                    ("A", get_param("credit.level_a")), ("B", get_param("credit.level_b")), ("C", None)))

    def score(self, bonus, deduction):
        return self.base + min(int(bonus or 0), self.bonus_cap) - int(deduction or 0)

    def level(self, score):
        for level, lowest in self.thresholds:
            if lowest is None or score >= lowest:
                return level
        return "C"


def level_label(level):
    return level or ""


def sums(org_ids=None, session=None):
    """{org_id: (bonus, deduction)} over the records in effect."""
    session = session or db.session
    stmt = (select(CreditRecord.org_id, CreditRecord.score_type, func.sum(CreditRecord.score))
            .where(CreditRecord.status == RecordStatus.EFFECTIVE)
            .group_by(CreditRecord.org_id, CreditRecord.score_type))
    if org_ids is not None:
        stmt = stmt.where(CreditRecord.org_id.in_(list(org_ids)))
    out = {}
    for org_id, score_type, total in session.execute(stmt):
        bonus, deduction = out.get(org_id, (0, 0))
        if score_type == ScoreType.BONUS:
            bonus = int(total or 0)
        else:
            deduction = int(total or 0)
        out[org_id] = (bonus, deduction)
    return out


def recompute(org_ids=None, cause=None, moment=None, session=None):
    """Recompute the scores of ``org_ids`` (every enterprise when None); write the changed ones
    and their history rows (only where the score or level moved). Returns the number of
    enterprises whose row was written."""
    session = session or db.session
    moment = moment or now()
    policy = Policy.current()
    cause = str(cause or _("Recomputed"))[:255]
    orgs = select(Organization.id, Organization.region_code).where(Organization.org_type == OrgType.ENTERPRISE)
    if org_ids is not None:
        org_ids = list(set(org_ids))
        if not org_ids:
            return 0
        orgs = orgs.where(Organization.id.in_(org_ids))
    totals = sums(org_ids, session)
    current = {}
    stmt = select(CreditScore.org_id, CreditScore.score, CreditScore.level, CreditScore.bonus, CreditScore.deduction)
    if org_ids is not None:
        stmt = stmt.where(CreditScore.org_id.in_(org_ids))
    for org_id, score, level, bonus, deduction in session.execute(stmt):
        current[org_id] = (score, level, bonus, deduction)
    new_rows, changed_rows, history = [], [], []
    for org_id, region_code in session.execute(orgs):
        bonus, deduction = totals.get(org_id, (0, 0))
        score = policy.score(bonus, deduction)
        level = policy.level(score)
        old = current.get(org_id)
        if old is None:
            new_rows.append({"org_id": org_id, "region_code": region_code, "score": score, "level": level,
                             "bonus": bonus, "deduction": deduction, "level_since": moment, "computed_at": moment})
            history.append({"org_id": org_id, "region_code": region_code, "at": moment, "score": score,
                            "level": level, "prev_score": None, "prev_level": None,
                            "cause": str(_("First credit score"))})
        elif old != (score, level, bonus, deduction):
            changed_rows.append({"b_org": org_id, "score": score, "level": level, "bonus": bonus,
                                 "deduction": deduction, "computed_at": moment,
                                 "level_changed": old[1] != level})
            if old[:2] == (score, level):
                continue          # the parts moved (e.g. a bonus past the cap), the score did not
            history.append({"org_id": org_id, "region_code": region_code, "at": moment, "score": score,
                            "level": level, "prev_score": old[0], "prev_level": old[1], "cause": cause})
    table = CreditScore.__table__
    for i in range(0, len(new_rows), BATCH):
        session.execute(insert(table), new_rows[i:i + BATCH])
    same_level = [r for r in changed_rows if not r["level_changed"]]
    new_level = [r for r in changed_rows if r["level_changed"]]
    base = update(table).where(table.c.org_id == bindparam("b_org"))
    for rows, values in ((same_level, {}), (new_level, {"level_since": moment})):
        stmt = base.values(score=bindparam("score"), level=bindparam("level"), bonus=bindparam("bonus"),
                           deduction=bindparam("deduction"), computed_at=bindparam("computed_at"), **values)
        for i in range(0, len(rows), BATCH):
            chunk = [{k: v for k, v in r.items() if k != "level_changed"} for r in rows[i:i + BATCH]]
            session.execute(stmt.execution_options(synchronize_session=False), chunk)
    for i in range(0, len(history), BATCH):
        session.execute(insert(CreditScoreHistory.__table__), history[i:i + BATCH])
    if changed_rows:
        # Core UPDATEs bypass the ORM: loaded score rows would show the old values.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, CreditScore):
                session.expire(obj)
    return len(changed_rows) + len(new_rows)


def recompute_all(cause=None, moment=None, session=None):
    return recompute(None, cause, moment, session)


def note(org_id, cause, moment=None, session=None):
    """A history row without a change of score (e.g. an approved credit repair), so the
    history shows every event that matters to the enterprise's credit."""
    session = session or db.session
    moment = moment or now()
    score = score_of(org_id, session)
    session.execute(insert(CreditScoreHistory.__table__).values(
        org_id=org_id, region_code=getattr(score, "region_code", None), at=moment, score=score.score,
        level=score.level, prev_score=score.score, prev_level=score.level, cause=str(cause)[:255]))


@dataclass
class ScoreView:
    org_id: int
    score: int
    level: str
    bonus: int = 0
    deduction: int = 0
    region_code: str | None = None
    level_since: object = None
    computed_at: object = None


def score_of(org_id, session=None):
    """The enterprise's score (a fresh base score when it was never computed)."""
    session = session or db.session
    row = session.get(CreditScore, org_id)
    if row is not None:
        return row
    policy = Policy.current()
    score = policy.score(0, 0)
    return ScoreView(org_id=org_id, score=score, level=policy.level(score))


def history_of(org_id, limit=200, session=None):
    session = session or db.session
    return session.execute(select(CreditScoreHistory).where(CreditScoreHistory.org_id == org_id)
                           .order_by(CreditScoreHistory.at.desc(), CreditScoreHistory.id.desc())
                           .limit(limit)).scalars().all()
