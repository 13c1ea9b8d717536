"""摇号 as SPEC §6 describes it, on the pure protocol of :mod:`app.allocation.lottery.protocol`.

1. publishing a plan draws S and publishes C (app/allocation/plans/services.py: publish);
2. :func:`freeze` — after the eligibility publicity and its objections — stores each group's
   canonical pool of 登记编号 and its SHA-256;
3. :func:`draw` reveals S, takes the public entropy E, computes each pool's seed and ranking,
   and gives every approved registration its rank, selection order and result; the unique
   ``plan_id`` of LotteryDraw makes a second draw impossible, even from two sessions at once;
4. :func:`publish_results` starts the result publicity, which the window job ends on time.

:func:`files` gives the published bundle at each stage (what the public page offers and
scripts/verify_lottery.py checks).
"""
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.allocation import clock
from app.allocation.lottery import protocol
from app.allocation.lottery.models import LotteryDraw, LotteryPool
from app.allocation.plans import services as plans
from app.allocation.plans.models import PlanStatus
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import DrawResult, Registration, RegistrationEvent, RegStatus
from app.core.errors import DomainError
from app.extensions import db

MAX_ENTROPY = 200


def pools_of(plan, session=None):
    session = session or db.session
    return list(session.execute(select(LotteryPool).where(LotteryPool.plan_id == plan.id)
                                .order_by(LotteryPool.draw_order, LotteryPool.id)).scalars())


def draw_of(plan, session=None):
    session = session or db.session
    return session.execute(select(LotteryDraw).where(LotteryDraw.plan_id == plan.id)).scalar_one_or_none()


def freeze(actor, plan, moment=None):
    """资格公示 → 待摇号: the publicity has ended and every objection is decided; each group's
    approved 登记编号 become its frozen, canonical pool."""
    moment = moment or clock.now()
    if plan.status != PlanStatus.PUBLICITY:
        raise DomainError(_("The plan is %(state)s: the pool is frozen after the eligibility publicity.",
                            state=plan.status_label))
    if plan.publicity_until and moment < plan.publicity_until:
        raise DomainError(_("The eligibility publicity ends at %(end)s: the pool can be frozen after it.",
                            end=plan.publicity_until.strftime("%Y-%m-%d %H:%M")))
    waiting = registrations.pending_objections(plan)
    if waiting:
        raise DomainError(_("%(n)s objections are still to be decided.", n=waiting))
    groups = plans.groups_of(plan)
    if not groups:
        plans.ensure_default_group(plan)
        db.session.flush()
        groups = plans.groups_of(plan)
    by_group = {g.code: [] for g in groups}
    default = next((g.code for g in groups if g.is_default), groups[-1].code)
    rows = db.session.execute(select(Registration.number, Registration.group_code).where(
        Registration.plan_id == plan.id, Registration.status == RegStatus.APPROVED)).all()
    for number, group_code in rows:
        by_group.get(group_code if group_code in by_group else default).append(number)
    if not rows:
        raise DomainError(_("No registration passed the review: there is nothing to draw."))
    for group in groups:
        canonical = protocol.canonical_pool(by_group[group.code])
        db.session.add(LotteryPool(plan_id=plan.id, group_code=group.code, group_name=group.name,
                                   draw_order=group.draw_order, numbers="\n".join(canonical),
                                   list_hash=protocol.pool_hash(canonical).hex(), size=len(canonical),
                                   frozen_at=moment))
    plans.transition(plan, PlanStatus.FROZEN)
    plan.frozen_at = moment
    db.session.flush()
    return pools_of(plan)


def clean_entropy(value):
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text:
        raise DomainError(_("%(field)s: %(message)s", field=_("Public entropy E"), message=_("is required")))
    if len(text) > MAX_ENTROPY:
        raise DomainError(_("%(field)s: %(message)s", field=_("Public entropy E"),
                            message=_("at most %(n)s characters", n=MAX_ENTROPY)))
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise DomainError(_("%(field)s: %(message)s", field=_("Public entropy E"),
                            message=_("contains control characters")))
    return text


def draw(actor, plan, entropy, witnesses=None, moment=None):
    """The public draw: reveal S, take E, rank each pool, record results (commits).

    Homes go to the groups in their draw order: the first ``homes`` places of the combined
    order (group by group, rank by rank) are 中签, the others 轮候 in that order."""
    moment = moment or clock.now()
    entropy = clean_entropy(entropy)
    witnesses = (witnesses or "").strip()[:500] or None
    if draw_of(plan) is not None or plan.status in (PlanStatus.DRAWN, PlanStatus.RESULTS, PlanStatus.FINISHED):
        raise DomainError(_("This plan has already been drawn: a plan is drawn once."))
    if plan.status != PlanStatus.FROZEN:
        raise DomainError(_("The plan is %(state)s: it is drawn after its pool is frozen.", state=plan.status_label))
    secret = bytes(plan.secret or b"")
    if len(secret) != 32 or protocol.commitment(secret).hex() != plan.commitment:
        raise DomainError(_("The plan's secret does not match its published commitment: the draw cannot take place."))
    homes = plans.homes_of(plan)
    summary = []
    order = 0
    results = []
    for pool in pools_of(plan):
        numbers = pool.numbers.split("\n") if pool.numbers else []
        if not numbers:
            pool.seed = protocol.derive_seed(bytes.fromhex(plan.commitment), bytes.fromhex(pool.list_hash),
                                             secret, entropy).hex()
            pool.ranking = ""
            summary.append({"group": pool.group_code, "size": 0, "seed": pool.seed, "selected": 0})
            continue
        result = protocol.draw(secret, entropy, numbers)
        if result.list_hash.hex() != pool.list_hash:
            raise DomainError(_("A frozen pool has changed since it was published: the draw cannot take place."))
        pool.seed = result.seed.hex()
        pool.ranking = "\n".join(result.ranking)
        selected = 0
        for rank, number in enumerate(result.ranking, start=1):
            order += 1
            outcome = DrawResult.SELECTED if order <= homes else DrawResult.WAITING
            selected += outcome == DrawResult.SELECTED
            results.append({"n": number, "rank": rank, "order": order, "result": outcome})
        summary.append({"group": pool.group_code, "size": pool.size, "seed": pool.seed, "selected": selected})
    record = LotteryDraw(plan_id=plan.id, protocol=protocol.VERSION, secret_hex=secret.hex(), entropy=entropy,
                         witnesses=witnesses, summary={"homes": homes, "groups": summary},
                         drawn_by_fk=getattr(actor, "id", None), drawn_at=moment)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("This plan has already been drawn: a plan is drawn once."))
    _write_results(plan, results, moment, actor)
    plans.transition(plan, PlanStatus.DRAWN)
    plan.drawn_at = moment
    db.session.commit()
    return record


def _write_results(plan, results, moment, actor):
    """Rank and result on each registration (:func:`_rank`); a history line each, written by
    one INSERT ... SELECT from the ranked rows (100,000 rows: no parameters per line)."""
    from sqlalchemy import DateTime, Integer, String, case, cast, literal

    from app.allocation.labels import DRAW_RESULT_LABELS

    table = Registration.__table__
    by_number = dict(db.session.execute(select(Registration.number, Registration.id).where(
        Registration.plan_id == plan.id, Registration.status == RegStatus.APPROVED)).all())
    rows = sorted(({"rid": by_number[r["n"]], "rank": r["rank"], "order": r["order"], "result": r["result"]}
                   for r in results), key=lambda row: row["rid"])   # in table order: pages read once
    if not rows:
        return
    _rank(table, rows)
    labels = {code: str(label) for code, label in DRAW_RESULT_LABELS.items()}   # translated once
    reason = (case((table.c.draw_result == DrawResult.SELECTED, literal(labels[DrawResult.SELECTED], String)),
                   else_=literal(labels[DrawResult.WAITING], String))
              + literal(" · ", String) + cast(table.c.draw_order, String))
    ranked = (select(table.c.id, table.c.user_id, literal("draw", String), literal(RegStatus.APPROVED, String),
                     literal(getattr(actor, "id", None), Integer), literal(moment, DateTime), reason)
              .where(table.c.plan_id == plan.id, table.c.status == RegStatus.APPROVED,
                     table.c.draw_order.is_not(None))
              .order_by(table.c.draw_order))
    db.session.execute(RegistrationEvent.__table__.insert().from_select(
        ["registration_id", "owner_id", "action", "status", "actor_id", "at", "reason"], ranked))


def _rank(table, rows):
    """draw_rank / draw_order / draw_result of each row. SQLite runs in the process: one
    executemany. A server database would take a round trip per row (100,000 of them): the rows
    go to a temporary table in batches (multi-row INSERTs) and one UPDATE ... FROM sets them."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam

    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        stmt = (update(table).where(table.c.id == bindparam("rid"))
                .values(draw_rank=bindparam("rank"), draw_order=bindparam("order"), draw_result=bindparam("result")))
        conn.execute(stmt, rows)
        return
    tmp = Table("anju_alloc_draw_rows", MetaData(), Column("rid", Integer, primary_key=True),
                Column("rank", Integer), Column("order", Integer), Column("result", String(16)),
                prefixes=["TEMPORARY"])
    tmp.create(conn)
    conn.execute(tmp.insert(), rows)
    conn.execute(update(table).where(table.c.id == tmp.c.rid)
                 .values(draw_rank=tmp.c.rank, draw_order=tmp.c.order, draw_result=tmp.c.result))
    tmp.drop(conn)


def publish_results(actor, plan, moment=None):
    """已摇号 → 结果公示 for ``allocation.result_publicity_days`` working days; every drawn
    applicant gets an SMS with their result."""
    from app.core.deadlines import due_at
    from app.core.sms import send_sms
    from app.system.params import get_param

    moment = moment or clock.now()
    if plan.status != PlanStatus.DRAWN:
        raise DomainError(_("The plan is %(state)s: results are published after the draw.", state=plan.status_label))
    plans.transition(plan, PlanStatus.RESULTS)
    plan.results_from = moment
    plan.results_until = due_at(moment, get_param("allocation.result_publicity_days"), "days", "working")
    from app.allocation.labels import DRAW_RESULT_LABELS

    for mobile, number, result, order in db.session.execute(select(
            Registration.mobile, Registration.number, Registration.draw_result, Registration.draw_order).where(
            Registration.plan_id == plan.id, Registration.draw_result.is_not(None))):
        send_sms(mobile, "allocation_result", plan=plan.title, number=number,
                 result=str(DRAW_RESULT_LABELS.get(result, result)), order=order)
    db.session.flush()
    return plan


def files(plan):
    """The published bundle as it stands: {file name: bytes} (empty for a draft)."""
    if plan.status == PlanStatus.DRAFT or not plan.commitment:
        return {}
    pools = pools_of(plan)
    record = draw_of(plan)
    revealed = record is not None and plan.status in (PlanStatus.DRAWN, PlanStatus.RESULTS, PlanStatus.FINISHED)
    if pools:
        groups = [{"code": p.group_code, "name": p.group_name, "order": p.draw_order,
                   "pool": p.numbers.split("\n") if p.numbers else [],
                   "ranking": (p.ranking.split("\n") if p.ranking else []) if revealed else None} for p in pools]
    else:
        groups = [{"code": g.code, "name": g.name, "order": g.draw_order, "pool": None, "ranking": None}
                  for g in plans.groups_of(plan)]
    return protocol.bundle(plan.code, groups, bytes.fromhex(plan.commitment),
                           secret=bytes.fromhex(record.secret_hex) if revealed else None,
                           entropy=record.entropy if revealed else None,
                           drawn_at=record.drawn_at.isoformat() if revealed else None)


def zip_files(plan):
    return protocol.zip_bundle(files(plan))
