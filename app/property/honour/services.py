"""诚信登记 / 企业良好行为申报 (seed 004 物业服务企业 5; SPEC §7).

A property service company declares a good behaviour in one of the areas it serves: a
business application of type ``good_behaviour`` (prefix CX, app/core/workflow.py) whose
subject is the area. Its life::

    保存并提交 (已提交) → 打印申请表 → 受理 (已受理: publicity starts on the area's public page
    for ``property.honour_publicity_days`` working days; anyone may object) → after the
    window: 审核通过 (已公告 on the public page; one 加分 credit record through the credit
    module's entry point) / 不予通过; 退回 → 重新提交, or 终止.

Rules, once:

* Who declares: an administrator of a property service company (物业服务企业), for an area
  whose company it is; at least one evidence file; 发生日期 not in the future.
* 受理 opens the window (:class:`HonourPublicity`): from the moment of acceptance to the same
  clock time N Chinese working days later (app/core/deadlines.py, holidays skipped).
* 审核通过 is refused while the window runs: the type's ``on_approve`` hook raises, so the
  generic 业务单 page, the REST API and any other caller get the same refusal, and the
  reviewer reads why above the buttons (a registered workflow warning).
* Objections (:func:`object_to`): anyone, during the window only, with name, a mobile
  proven by an SMS code (purpose ``objection``) and the content; at most
  :data:`MAX_OBJECTIONS_PER_MOBILE` per mobile per declaration.
* Approval feeds ``feed("good_behaviour", <application id>, ...)`` with the rule
  ``property.honour_bonus_rule``: one record per declaration, whatever happens twice.
* The declaring enterprise is told (notices) at each step.

Functions take the acting user and raise DomainError with a Chinese message; the callers
named ``declare``/``amend``/``transition_declaration``/``object_to`` commit.
"""
import logging
from datetime import date, datetime

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core import deadlines, notices, sms, uploads, workflow
from app.core.errors import DomainError
from app.core.mixins import now
from app.core.scope import scope_clause
from app.core.workflow import Action, Application, ApplicationType, AppStatus
from app.extensions import db
from app.property.areas.models import PropertyArea
from app.property.honour.models import (PUBLICITY_STATE_LABELS, HonourObjection, HonourPublicity,
                                        PublicityState)
from app.system import dicts
from app.system.models import Organization, OrgType

log = logging.getLogger(__name__)

GOOD_BEHAVIOUR = "good_behaviour"
PREFIX = "CX"
SUBJECT = "property_area"
CREDIT_SOURCE = "good_behaviour"
CATEGORY_DICT = "good_behaviour_category"
PROPERTY_COMPANY = "property_company"
FILES_LABEL = _l("Good behaviour evidence")
MAX_TITLE = 100
MAX_DESCRIPTION = 2000
MAX_OBJECTION = 1000
MAX_OBJECTIONS_PER_MOBILE = 3
PUBLIC_LIMIT = 10

LABELS = {
    "area_id": _l("Property management area"), "category": _l("Behaviour category"), "title": _l("Title"),
    "happened_on": _l("Date of the behaviour"), "description": _l("Account of what happened"),
    "files": _l("Evidence"),
}
# The payload as the 业务单 page and the 申请表 show it (app/system/application_views.py).
PAYLOAD_LABELS = {
    "area_name": _l("Property management area"), "category_label": _l("Behaviour category"),
    "behaviour_title": _l("Title of the behaviour"), "happened_on": _l("Date of the behaviour"),
    "description": _l("Account of what happened"),
}


def _field_error(label, message):
    return DomainError(_("%(field)s: %(message)s", field=label, message=message))


def _link(endpoint, **values):
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # pragma: no cover - the view is not registered (a job, a bare app)
        return None


# --- who declares, for which areas -------------------------------------------------------------

def company_of(actor):
    """The property service company an administrator declares for; DomainError for anyone else."""
    org = getattr(actor, "org", None) if actor is not None else None
    if org is None or org.org_type != OrgType.ENTERPRISE or org.enterprise_type != PROPERTY_COMPANY:
        raise DomainError(_("Only the administrators of a property service company may declare good behaviour."))
    return org


def areas_of(org, session=None):
    """The areas the company serves (the area dropdown)."""
    session = session or db.session
    return session.execute(select(PropertyArea).where(PropertyArea.company_org_id == org.id)
                           .order_by(PropertyArea.name).limit(2000)).scalars().all()


def category_choices():
    return dicts.items(CATEGORY_DICT)


def category_label(code):
    return dicts.label(CATEGORY_DICT, code) if code else ""


# --- the fields ------------------------------------------------------------------------------

def _text(value):
    return "" if value is None else str(value).strip()


def _day(value, label, today):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        text = _text(value).replace("/", "-").replace(".", "-")
        if not text:
            raise _field_error(label, _("is required"))
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise _field_error(label, _("a date such as 2015-06-30"))
    if day > today:
        raise _field_error(label, _("cannot be later than today"))
    if day.year < 1990:
        raise _field_error(label, _("a date such as 2015-06-30"))
    return day


def clean_declaration(org, data, today=None, session=None):
    """Check a declaration's fields (a form or a JSON object); return ``(area, payload)``.
    The first broken rule raises, naming the field, in form order."""
    session = session or db.session
    data = data or {}
    today = today or date.today()
    raw_area = _text(data.get("area_id"))
    area = session.get(PropertyArea, int(raw_area)) if raw_area.isdigit() and len(raw_area) < 10 else None
    if area is None or area.company_org_id != org.id:
        raise _field_error(LABELS["area_id"], _("please choose one of the areas your company serves"))
    category = _text(data.get("category"))
    if category not in dict(category_choices()):
        raise _field_error(LABELS["category"], _("please choose one of the listed categories"))
    title = _text(data.get("title"))
    if not title:
        raise _field_error(LABELS["title"], _("is required"))
    if len(title) > MAX_TITLE:
        raise _field_error(LABELS["title"], _("at most %(n)s characters", n=MAX_TITLE))
    happened_on = _day(data.get("happened_on"), LABELS["happened_on"], today)
    description = _text(data.get("description")).replace("\r\n", "\n")
    if not description:
        raise _field_error(LABELS["description"], _("is required"))
    if len(description) > MAX_DESCRIPTION:
        raise _field_error(LABELS["description"], _("at most %(n)s characters", n=MAX_DESCRIPTION))
    payload = {"area_id": area.id, "area_name": area.name, "category": category,
               "category_label": str(category_label(category)), "behaviour_title": title,
               "happened_on": happened_on.isoformat(), "description": description}
    return area, payload


def form_values(payload):
    """A payload as the strings the form shows."""
    p = payload or {}
    return {"area_id": str(p.get("area_id") or ""), "category": p.get("category") or "",
            "title": p.get("behaviour_title") or "", "happened_on": p.get("happened_on") or "",
            "description": p.get("description") or ""}


def _check_files(files):
    files = [f for f in (files or []) if f and getattr(f, "filename", True)]
    for f in files:
        uploads.check(f)
    return files


def _store(files):
    return uploads.save_many(files, label=str(FILES_LABEL)) if files else []


# --- the declaration -------------------------------------------------------------------------

def declaration_for(actor, pk, session=None):
    """One declaration inside the actor's data scope, else None."""
    session = session or db.session
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    stmt = select(Application).where(Application.id == pk, Application.app_type == GOOD_BEHAVIOUR)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt).scalars().first()


def declarations(actor, limit=200, session=None):
    """The declarations the actor sees (an enterprise its own, government its region), newest first."""
    session = session or db.session
    stmt = select(Application).where(Application.app_type == GOOD_BEHAVIOUR)
    clause = scope_clause(Application, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return session.execute(stmt.order_by(Application.id.desc()).limit(limit)).scalars().all()


def declare(actor, data, files=None):
    """保存并提交: a new declaration with its evidence, submitted. Commits."""
    org = company_of(actor)
    area, payload = clean_declaration(org, data)
    files = _check_files(files)
    if not files:
        raise _field_error(LABELS["files"], _("please upload at least one file"))
    stored = _store(files)
    application = workflow.create(
        GOOD_BEHAVIOUR, applicant=actor, title=payload["behaviour_title"], org_id=org.id,
        region_code=area.region_code, payload=payload, subject=(SUBJECT, area.id), submit=True)
    uploads.attach(stored, application)
    db.session.commit()
    return application


def amend(application, actor, data, files=None):
    """The applicant changes a returned declaration and resubmits it (重新提交). Commits."""
    if application.app_type != GOOD_BEHAVIOUR or actor is None or application.applicant_id != actor.id:
        raise DomainError(_("Only the applicant may change this application."))
    if application.status != AppStatus.RETURNED:
        raise DomainError(_("Only a returned application can be changed."))
    org = company_of(actor)
    area, payload = clean_declaration(org, data)
    files = _check_files(files)
    if not files and not uploads.files_of(application):
        raise _field_error(LABELS["files"], _("please upload at least one file"))
    stored = _store(files)
    application.payload = payload
    application.title = payload["behaviour_title"][:200]
    application.region_code = area.region_code
    application.subject_type, application.subject_id = SUBJECT, area.id
    if stored:
        uploads.attach(stored, application)
    workflow.transition(application, Action.RESUBMIT, actor)
    db.session.commit()
    return application


def transition_declaration(application, action, actor, reason=None):
    """Any other step: 受理 / 审核通过 / 退回 / 不予通过 (reviewers), 终止 (the applicant). Commits."""
    if application.app_type != GOOD_BEHAVIOUR:
        raise DomainError(_("This is not a good-behaviour declaration."))
    workflow.transition(application, action, actor, reason)
    db.session.commit()
    return application


def may_amend(application, user):
    return (user is not None and application.applicant_id == user.id
            and application.status == AppStatus.RETURNED)


# --- publicity -------------------------------------------------------------------------------

def publicity_of(application, session=None):
    session = session or db.session
    return session.execute(select(HonourPublicity).where(HonourPublicity.application_id == application.id)
                           ).scalars().first()


def publicity_days():
    from app.system.params import get_param

    return get_param("property.honour_publicity_days")


def publicity_end(start, days=None):
    """The end of a window opened at ``start``: N Chinese working days later (holidays skipped)."""
    return deadlines.due_at(start, publicity_days() if days is None else days, "days", "working")


def publicity_state_label(publicity, moment=None):
    """公示中, 公示结束待审核, 已公告 or 已结束."""
    moment = moment or now()
    if publicity.state == PublicityState.PUBLICITY and moment >= publicity.ends_at:
        return str(_("Publicity ended, awaiting review"))
    return str(PUBLICITY_STATE_LABELS.get(publicity.state, publicity.state))


def objection_count(publicity, session=None):
    session = session or db.session
    return session.execute(select(func.count(HonourObjection.id))
                           .where(HonourObjection.publicity_id == publicity.id)).scalar_one()


def _in_chinese(fn):
    def wrapper(*args, **kwargs):
        with force_locale("zh"):
            return fn(*args, **kwargs)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _notify(application, title):
    notices.notify(application.org_id, title, link=_link("GoodBehaviourView.show", pk=application.id),
                   source=("application", application.id))


@_in_chinese
def _submitted(application, actor):
    _notify(application, _("Good behaviour declaration %(number)s was submitted; print the application form and "
                           "bring it with the evidence to the acceptance window.", number=application.number))


@_in_chinese
def _accepted(application, actor):
    """受理: the window opens (or opens again after a resubmission)."""
    payload = application.payload or {}
    area = db.session.get(PropertyArea, payload.get("area_id") or application.subject_id)
    if area is None:
        raise DomainError(_("The property management area of this declaration no longer exists."))
    start = now()
    end = publicity_end(start)
    publicity = publicity_of(application)
    if publicity is None:
        publicity = HonourPublicity(application_id=application.id)
    publicity.area_id, publicity.org_id, publicity.region_code = area.id, application.org_id, area.region_code
    publicity.category = payload.get("category") or "other"
    publicity.title = (payload.get("behaviour_title") or application.title)[:200]
    publicity.happened_on = date.fromisoformat(payload["happened_on"]) if payload.get("happened_on") else start.date()
    publicity.description = payload.get("description") or ""
    publicity.state = PublicityState.PUBLICITY
    publicity.starts_at, publicity.ends_at = start, end
    publicity.announced_at = publicity.end_noticed_at = None
    db.session.add(publicity)
    _notify(application, _("Good behaviour declaration %(number)s was accepted; it is in publicity on the area's "
                           "public page until %(end)s.", number=application.number,
                           end=publicity.ends_at.strftime("%Y-%m-%d %H:%M")))


def approval_problem(application, moment=None):
    """Why the declaration cannot be approved now (the window still runs), or None."""
    moment = moment or now()
    publicity = publicity_of(application)
    if publicity is None:
        return _("The declaration has not been in publicity yet; accept it first.")
    if moment < publicity.ends_at:
        return _("The publicity runs until %(end)s; the declaration cannot be approved before it ends.",
                 end=publicity.ends_at.strftime("%Y-%m-%d %H:%M"))
    return None


def _approved(application, actor):
    problem = approval_problem(application)
    if problem:
        raise DomainError(problem)
    publicity = publicity_of(application)
    publicity.state = PublicityState.ANNOUNCED
    publicity.announced_at = now()
    bonus_record(application, publicity)
    with force_locale("zh"):
        _notify(application, _("Good behaviour declaration %(number)s was approved and is announced on the "
                               "area's public page.", number=application.number))


def bonus_record(application, publicity=None, session=None):
    """The one 加分 record of an approved declaration (credit intake ``feed``, idempotent by the
    application id). Returns the record, or None when the scoring standard is missing (logged:
    approval does not wait for the credit configuration)."""
    from app.credit.services import feed
    from app.system.params import get_param

    session = session or db.session
    publicity = publicity or publicity_of(application, session)
    rule = get_param("property.honour_bonus_rule")
    with force_locale("zh"):
        facts = _("Good behaviour declaration %(number)s «%(title)s» (%(category)s) in %(area)s passed publicity "
                  "and review.", number=application.number, title=publicity.title,
                  category=category_label(publicity.category), area=publicity.area.name)
    try:
        with session.begin_nested():
            record, _created = feed(CREDIT_SOURCE, str(application.id), application.org_id, rule, facts,
                                    event_date=min(publicity.happened_on, date.today()),
                                    region_code=publicity.region_code, session=session)
    except DomainError as exc:
        log.warning("good behaviour %s not fed to credit: %s", application.number, exc)
        return None
    return record


def _closed(application):
    publicity = publicity_of(application)
    if publicity is not None and publicity.state == PublicityState.PUBLICITY:
        publicity.state = PublicityState.CLOSED


@_in_chinese
def _returned(application, actor):
    _closed(application)
    _notify(application, _("Good behaviour declaration %(number)s was returned: %(reason)s",
                           number=application.number, reason=application.reason))


@_in_chinese
def _rejected(application, actor):
    _closed(application)
    _notify(application, _("Good behaviour declaration %(number)s was not approved: %(reason)s",
                           number=application.number, reason=application.reason))


def _terminated(application, actor):
    _closed(application)


def _edit_url(application):
    return url_for("GoodBehaviourView.amend", pk=application.id)


def _subject_url(application):
    return url_for("GoodBehaviourView.show", pk=application.id)


workflow.register_type(ApplicationType(
    code=GOOD_BEHAVIOUR, label=_l("Good behaviour declaration"), prefix=PREFIX, decider_roles=("gov_reviewer",),
    on_submit=_submitted, on_accept=_accepted, on_approve=_approved, on_return=_returned, on_reject=_rejected,
    on_terminate=_terminated, edit_url=_edit_url,
    extra={"payload_labels": PAYLOAD_LABELS, "payload_masks": {}, "subject_url": _subject_url,
           "subject_label": _l("Open the declaration, its publicity and objections")},
))


def reviewer_warning(application):
    """What the reviewer reads above the buttons: the window, and the objections once it ended."""
    if application.app_type != GOOD_BEHAVIOUR or application.status != AppStatus.ACCEPTED:
        return None
    publicity = publicity_of(application)
    if publicity is None:
        return None
    if now() < publicity.ends_at:
        return _("In publicity until %(end)s: it cannot be approved before then.",
                 end=publicity.ends_at.strftime("%Y-%m-%d %H:%M"))
    return _("Publicity ended on %(end)s with %(n)s objection(s); read them on the declaration's page before "
             "deciding.", end=publicity.ends_at.strftime("%Y-%m-%d %H:%M"), n=objection_count(publicity))


workflow.register_warning(reviewer_warning)


# --- objections (public) ---------------------------------------------------------------------

def public_publicity(area, pk, session=None):
    """A declaration of ``area`` the public may read: in its window, or announced; else None."""
    session = session or db.session
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    row = session.execute(select(HonourPublicity).where(HonourPublicity.id == pk,
                                                        HonourPublicity.area_id == area.id)).scalars().first()
    if row is None:
        return None
    if row.state == PublicityState.ANNOUNCED or row.running(now()):
        return row
    return None


def object_to(publicity, data, ip=None, moment=None):
    """异议: anyone, during the window, mobile proven by an SMS code. Commits; returns the objection."""
    from app.accounts import services as accounts

    moment = moment or now()
    if publicity is None or not publicity.running(moment):
        raise DomainError(_("This declaration is not in publicity; objections are no longer taken."))
    data = data or {}
    name = accounts.clean_name(data.get("name"))
    mobile = accounts.clean_mobile(data.get("mobile"))
    content = _text(data.get("content")).replace("\r\n", "\n")
    if not content:
        raise _field_error(_("Objection"), _("is required"))
    if len(content) > MAX_OBJECTION:
        raise _field_error(_("Objection"), _("at most %(n)s characters", n=MAX_OBJECTION))
    already = db.session.execute(select(func.count(HonourObjection.id)).where(
        HonourObjection.publicity_id == publicity.id, HonourObjection.mobile == mobile)).scalar_one()
    if already >= MAX_OBJECTIONS_PER_MOBILE:
        raise DomainError(_("This mobile has already raised %(n)s objections to this declaration.",
                            n=MAX_OBJECTIONS_PER_MOBILE))
    sms.verify_code(mobile, sms.SmsPurpose.OBJECTION, data.get("sms_code"))
    objection = HonourObjection(publicity_id=publicity.id, region_code=publicity.region_code, name=name,
                                mobile=mobile, content=content, ip=(ip or "")[:45] or None, created_at=moment)
    db.session.add(objection)
    db.session.commit()
    return objection


def objections_of(publicity, session=None):
    session = session or db.session
    return session.execute(select(HonourObjection).where(HonourObjection.publicity_id == publicity.id)
                           .order_by(HonourObjection.id)).scalars().all()


# --- the area's public page ------------------------------------------------------------------

def public_rows(area, moment=None, limit=PUBLIC_LIMIT, session=None):
    """What the area's page lists: declarations in their window and announced ones, newest first."""
    session = session or db.session
    moment = moment or now()
    rows = session.execute(
        select(HonourPublicity).where(HonourPublicity.area_id == area.id,
                                      HonourPublicity.state.in_((PublicityState.PUBLICITY, PublicityState.ANNOUNCED)))
        .order_by(HonourPublicity.starts_at.desc()).limit(limit * 3)).scalars().all()
    shown = [r for r in rows if r.state == PublicityState.ANNOUNCED or r.running(moment)]
    return shown[:limit]


def public_section(area):
    """The 良好行为公示与公告 section of an area's public page (app/property/public.py)."""
    rows = public_rows(area)
    if not rows:
        return None
    moment = now()
    items = [{"id": r.id, "title": r.title, "category": str(category_label(r.category)),
              "happened_on": r.happened_on.isoformat(), "running": r.running(moment),
              "ends_at": r.ends_at.strftime("%Y-%m-%d %H:%M"),
              "announced_at": r.announced_at.strftime("%Y-%m-%d") if r.announced_at else "",
              "company": r.org.name if r.org else ""} for r in rows]
    return {"title": _("Good behaviour publicity and announcements"),
            "template": "anju/property/honour/_section.html",
            "context": {"items": items, "public_code": area.public_code}}


# --- the daily job ---------------------------------------------------------------------------

@_in_chinese
def notice_ended(moment=None, session=None, batch=500):
    """Tell each enterprise once that a declaration's window ended and it waits for review.
    Returns the number of declarations told about."""
    session = session or db.session
    moment = moment or now()
    count = 0
    rows = session.execute(select(HonourPublicity).where(
        HonourPublicity.state == PublicityState.PUBLICITY, HonourPublicity.ends_at <= moment,
        HonourPublicity.end_noticed_at.is_(None)).order_by(HonourPublicity.id).limit(batch)).scalars().all()
    for row in rows:
        application = row.application
        row.end_noticed_at = moment
        if application is None or application.status != AppStatus.ACCEPTED:
            continue
        n = objection_count(row, session)
        notices.notify(application.org_id, _("The publicity of good behaviour declaration %(number)s ended with "
                                             "%(n)s objection(s); it now waits for review.",
                                             number=application.number, n=n),
                       source=("application", application.id), session=session)
        count += 1
    session.commit()
    return count


# --- 快捷入口 and 待办 (app/core/worklist.py) ----------------------------------------------

def _of_a_property_company(user):
    org = getattr(user, "org", None)
    return org is not None and org.org_type == OrgType.ENTERPRISE and org.enterprise_type == PROPERTY_COMPANY


def register_worklist():
    from app.core import worklist

    worklist.register_shortcut("honour.declare", _l("Good behaviour declaration"), "fa-thumbs-o-up",
                               endpoint="GoodBehaviourView.index", permission=("can_file", "GoodBehaviourView"),
                               order=43, when=_of_a_property_company)


def organization(org_id):
    return db.session.get(Organization, org_id) if org_id else None
