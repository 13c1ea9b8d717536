"""Scheduled credit work: the daily job, one call into the services.

:func:`run_daily` (also ``flask credit daily``):

1. 信用扣分建议 of the complaints module become records waiting for review (each once);
2. records and list entries whose publicity ended (no objection pending) take effect;
3. records past their validity expire (已失效), list entries past their end expire (已过期);
4. every enterprise's score and level is recomputed (only changes are written);
5. list proposals: black for level C or a serious violation in effect, red for AAA held
   ``credit.red_hold_days``; one proposal per cause (the source key), never while an entry of
   the same list is open.

Each step commits in batches, so a run that dies midway leaves consistent rows and the next
run finishes the work.
"""
from datetime import timedelta

from flask import g, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.jobs import register_job
from app.core.mixins import now
from app.credit import scoring, services
from app.credit.models import CreditListEntry, CreditRecord, CreditScore, ListStatus, ListType, RecordStatus, Severity
from app.extensions import db
from app.system.params import get_param

BATCH = 500


def _due(model, status, column, moment, session):
    # Ordered by the due column: the (status, due) index finds the batch and stops (ordering by
    # id read every row in that status).
    return session.execute(select(model).where(model.status == status, column <= moment)
                           .order_by(column, model.id).limit(BATCH)).scalars().all()


def _step(model, status, column, action, moment, session, touched):
    """Move every due row by ``action``, committing batch by batch; then each enterprise hears
    once for the whole step (one notice and SMS naming its records), not once per row. A run
    that dies midway has moved its committed batches; their notices are not sent."""
    from collections import defaultdict
    from types import SimpleNamespace

    kind = "record" if model is CreditRecord else "list"
    count = 0
    by_org = defaultdict(list)
    while True:
        rows = _due(model, status, column, moment, session)
        if not rows:
            break
        for row in rows:
            services.transition(row, action, None, moment=moment, session=session, recompute=False, notify=False)
            touched.add(row.org_id)
            # What the notice needs, kept as plain values (the commit expires the rows).
            by_org[row.org_id].append(SimpleNamespace(
                id=row.id, org_id=row.org_id, number=row.number, publicity_until=row.publicity_until,
                list_type=getattr(row, "list_type", None)))
            count += 1
        session.commit()
    for subjects in by_org.values():
        services.tell_many(kind, action, subjects, session)
    session.commit()
    return count


def propose_lists(moment=None, session=None):
    """Red and black list proposals from levels and serious violations (idempotent by cause).
    What is already open or was proposed for the same cause is read once, not per candidate."""
    session = session or db.session
    moment = moment or now()
    proposed = 0
    open_lists = set(session.execute(select(CreditListEntry.org_id, CreditListEntry.list_type).where(
        CreditListEntry.status.in_(ListStatus.OPEN))).all())
    used_keys = set(session.execute(select(CreditListEntry.source_key).where(
        CreditListEntry.source_key.like("auto:%"))).scalars())
    state = (open_lists, used_keys)
    reason_c = _("Credit level C (score %(score)s).")
    # Level C: a black list proposal once per C period.
    rows = session.execute(select(CreditScore.org_id, CreditScore.score, CreditScore.level_since)
                           .where(CreditScore.level == "C")).all()
    for org_id, score, since in rows:
        key = f"auto:black:level:{org_id}:{since:%Y%m%d%H%M}"
        proposed += _propose(org_id, ListType.BLACK, reason_c % {"score": score}, key, moment, session, state)
    # A serious violation in effect.
    rows = session.execute(select(CreditRecord.id, CreditRecord.org_id, CreditRecord.number, CreditRecord.rule_id)
                           .where(CreditRecord.status == RecordStatus.EFFECTIVE,
                                  CreditRecord.severity == Severity.SERIOUS)).all()
    for record_id, org_id, number, rule_id in rows:
        if (org_id, ListType.BLACK) in open_lists:
            continue
        reason = _("Serious violation: credit record %(number)s.", number=number)
        proposed += _propose(org_id, ListType.BLACK, reason, f"auto:black:record:{record_id}", moment, session, state,
                             rule_id=rule_id, record_ids=[record_id])
    # AAA held long enough: a red list proposal.
    days = get_param("credit.red_hold_days")
    rows = session.execute(select(CreditScore.org_id, CreditScore.level_since).where(
        CreditScore.level == "AAA", CreditScore.level_since <= moment - timedelta(days=days))).all()
    for org_id, since in rows:
        reason = _("Credit level AAA held since %(day)s.", day=since.strftime("%Y-%m-%d"))
        proposed += _propose(org_id, ListType.RED, reason, f"auto:red:{org_id}:{since:%Y%m%d%H%M}", moment, session,
                             state)
    session.commit()
    return proposed


def _propose(org_id, list_type, reason, key, moment, session, state, rule_id=None, record_ids=None):
    open_lists, used_keys = state
    if key in used_keys or (org_id, list_type) in open_lists:
        return 0
    try:
        with session.begin_nested():
            services.propose_list_entry(None, {"org_id": org_id, "list_type": list_type, "reason": reason,
                                               "rule_id": rule_id, "record_ids": record_ids,
                                               "basis": _("Proposed by the daily credit job.")},
                                        session=session, moment=moment, source_key=key)
    except services.DomainError:
        return 0          # e.g. an enterprise deactivated meanwhile, or an entry opened meanwhile
    used_keys.add(key)
    open_lists.add((org_id, list_type))
    return 1


def run_daily(moment=None, session=None):
    session = session or db.session
    moment = moment or now()
    if has_app_context():
        g.audit_actor = "credit-job"
    with force_locale("zh"):
        consumed = services.consume_complaint_proposals(session=session, moment=moment)
        touched = set()
        effective = _step(CreditRecord, RecordStatus.PUBLICITY, CreditRecord.publicity_until, "take_effect",
                          moment, session, touched)
        expired = _step(CreditRecord, RecordStatus.EFFECTIVE, CreditRecord.effective_until, "expire",
                        moment, session, touched)
        lists_effective = _step(CreditListEntry, ListStatus.PUBLICITY, CreditListEntry.publicity_until,
                                "take_effect", moment, session, set())
        lists_expired = _step(CreditListEntry, ListStatus.EFFECTIVE, CreditListEntry.valid_until, "expire",
                              moment, session, set())
        changed = scoring.recompute(touched, _("Credit records took effect or expired"), moment=moment,
                                    session=session)
        session.commit()
        changed += scoring.recompute_all(_("Daily recomputation"), moment=moment, session=session)
        session.commit()
        proposed = propose_lists(moment, session)
    return {"consumed": consumed, "effective": effective, "expired": expired, "lists_effective": lists_effective,
            "lists_expired": lists_expired, "scores_changed": changed, "proposed": proposed}


def daily():
    return " ".join(f"{k}={v}" for k, v in run_daily().items())


register_job("credit.daily", "app.credit.jobs:daily",
             label=_l("Credit: publicity ends, expiry, scores and list proposals"), trigger="cron", hour=1, minute=17)
