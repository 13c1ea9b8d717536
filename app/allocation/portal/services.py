"""What the public allocation pages read (seed 002 §2 and §8; SPEC §6), in few queries.

Nothing here changes data: the portal shows plans that are published or later
(:data:`PlanStatus.PUBLIC`, never a draft), their projects and unit types, the photos and
attachments the staff uploaded for them, the 已登记人数 (``plans.registered_counts``, cached per
process), the eligible list during and after the publicity, the results after they are
published, and the lottery's published files (``lottery.services.files``).

Uploads the portal serves (:func:`public_upload`) are only those owned by a plan, a project or
a unit type of a public plan, and only under the labels the pages show (:data:`PUBLIC_LABELS`):
a filing's 证件证明, a draft's photos and anything else stay behind ``/uploads/<token>``.
"""
import json
import os
import threading
from collections import OrderedDict

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.allocation import clock
from app.allocation.plans import services as plans
from app.allocation.plans.models import AllocationPlan, AllocationProject, PlanStatus, UnitType
from app.core import uploads
from app.allocation.plans import services as plans_services
from app.core.uploads import Upload
from app.extensions import db

# The labels of the files the public sees: the ones the staff screens give (one source:
# app/allocation/plans/services.py).
ANNOUNCEMENT_FILE = plans_services.ATTACHMENT_LABEL     # of a plan: attachments of the 《配租公告》
PROJECT_PHOTO = plans_services.PROJECT_PHOTO            # of a project
UNIT_PLAN = plans_services.UNIT_PLAN                    # of a unit type
UNIT_PHOTO = plans_services.UNIT_PHOTO                  # of a unit type
OWNER_PLAN, OWNER_PROJECT, OWNER_UNIT = "alloc_plan", "alloc_project", "alloc_unit"
PUBLIC_LABELS = {
    OWNER_PLAN: (ANNOUNCEMENT_FILE,),
    OWNER_PROJECT: (PROJECT_PHOTO,),
    OWNER_UNIT: (UNIT_PLAN, UNIT_PHOTO),
}
IMAGE_KINDS = ("png", "jpg")

# Plans still of interest on the list page (a finished plan moves to 往期计划).
CURRENT = tuple(s for s in PlanStatus.PUBLIC if s != PlanStatus.FINISHED)
PAST_LIMIT = 20
ELIGIBLE_FROM = (PlanStatus.PUBLICITY, PlanStatus.FROZEN, PlanStatus.DRAWN, PlanStatus.RESULTS,
                 PlanStatus.FINISHED)
RESULTS_FROM = (PlanStatus.RESULTS, PlanStatus.FINISHED)
PAGE_SIZE = 500
MAX_QUERY = 32


# --- plans, projects, unit types ---------------------------------------------------------------

def _with_projects():
    return selectinload(AllocationPlan.projects).selectinload(AllocationProject.unit_types)


def current_plans(with_projects=True, session=None):
    """Plans open to the public and not finished, newest window first; with their projects and
    unit types loaded (three queries in all) unless ``with_projects`` is false."""
    session = session or db.session
    stmt = select(AllocationPlan).where(AllocationPlan.status.in_(CURRENT))
    if with_projects:
        stmt = stmt.options(_with_projects())
    return list(session.execute(
        stmt.order_by(AllocationPlan.reg_start.desc(), AllocationPlan.id.desc())).scalars())


def past_plans(limit=PAST_LIMIT, session=None):
    """The newest finished plans (title, code, dates only)."""
    session = session or db.session
    return list(session.execute(
        select(AllocationPlan).where(AllocationPlan.status == PlanStatus.FINISHED)
        .order_by(AllocationPlan.reg_start.desc(), AllocationPlan.id.desc()).limit(limit)).scalars())


def plan(plan_id, full=True, session=None):
    """A public plan, or None (a draft, unknown): with its projects, unit types and groups
    loaded, or (``full`` false) only its projects."""
    session = session or db.session
    options = (_with_projects(), selectinload(AllocationPlan.groups)) if full \
        else (selectinload(AllocationPlan.projects),)
    return session.execute(
        select(AllocationPlan).where(AllocationPlan.id == plan_id, AllocationPlan.status.in_(PlanStatus.PUBLIC))
        .options(*options)).scalar_one_or_none()


def project(project_id, session=None):
    """A project of a public plan with its unit types and plan, or None."""
    session = session or db.session
    return session.execute(
        select(AllocationProject).join(AllocationPlan, AllocationPlan.id == AllocationProject.plan_id)
        .where(AllocationProject.id == project_id, AllocationPlan.status.in_(PlanStatus.PUBLIC))
        .options(contains_eager(AllocationProject.plan), selectinload(AllocationProject.unit_types))
    ).unique().scalar_one_or_none()


def unit(unit_id, session=None):
    """A unit type of a public plan's project, or None."""
    session = session or db.session
    return session.execute(
        select(UnitType).join(AllocationProject, AllocationProject.id == UnitType.project_id)
        .join(AllocationPlan, AllocationPlan.id == AllocationProject.plan_id)
        .where(UnitType.id == unit_id, AllocationPlan.status.in_(PlanStatus.PUBLIC))
        .options(contains_eager(UnitType.project).contains_eager(AllocationProject.plan))).scalar_one_or_none()


def district_names(codes, session=None):
    """{region code: name} of the given districts, one query."""
    from app.system.models import Region

    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    session = session or db.session
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def homes(plan_obj):
    """Homes a loaded plan offers (its unit types' counts), without another query."""
    return sum(u.count or 0 for p in plan_obj.projects for u in p.unit_types)


def window(plan_obj, moment=None):
    """What the 登记倒计时 shows: {"state": before/open/after, "seconds": n, "length": the
    window's seconds (the countdown runs on through the window once it opens)}."""
    state, seconds = plans.countdown(plan_obj, moment or clock.now())
    if plan_obj.status not in (PlanStatus.PUBLISHED, PlanStatus.OPEN):
        state, seconds = "after", 0          # closed, in review, drawn ...: registration is over
    length = int((plan_obj.reg_end - plan_obj.reg_start).total_seconds()) \
        if plan_obj.reg_start and plan_obj.reg_end else 0
    return {"state": state, "seconds": max(int(seconds), 0), "length": max(length, 0)}


def stats(plan_obj, moment=None):
    """stats.json: the window, 已登记人数 of the plan and of each project, the server's time."""
    moment = moment or clock.now()
    counts = plans.registered_counts(plan_obj.id)
    out = window(plan_obj, moment)
    out.pop("length")
    out.update(registered=counts.get("plan", 0),
               projects={str(p.id): counts.get(p.id, 0) for p in plan_obj.projects},
               server_time=moment.isoformat(timespec="seconds"))
    return out


def actions(plan_obj, moment=None):
    """What the plan's buttons offer: 填报信息 and 立即登记 while the plan takes filings and
    registrations (published or open, window not past); 立即登记 is live inside the window."""
    state = plans.window_state(plan_obj, moment or clock.now())
    takes = plan_obj.status in (PlanStatus.PUBLISHED, PlanStatus.OPEN) and state != "after"
    return {"file": takes, "register": takes, "open": takes and state == "open"}


def rent_rows(unit_obj):
    """租金清单 rows of a unit type (房号, 楼层, 面积, 月租金) from ``UnitType.rent_list``."""
    rows = unit_obj.rent_list if isinstance(unit_obj.rent_list, list) else []
    out = []
    for row in rows:
        if isinstance(row, dict):
            out.append({k: "" if row.get(k) is None else str(row.get(k)) for k in ("room", "floor", "area", "rent")})
    return out


def paragraphs(text):
    """The announcement as paragraphs (escaped by the template): one per non-empty line."""
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


# --- photos and attachments ------------------------------------------------------------------

def files_by_owner(owners, session=None):
    """{(owner_type, owner id): [uploads shown publicly]} for many owners in ONE query.

    ``owners``: (owner_type, id) pairs; only :data:`PUBLIC_LABELS` come back, oldest first."""
    session = session or db.session
    by_type = {}
    for owner_type, owner_id in owners:
        if owner_id is not None and owner_type in PUBLIC_LABELS:
            by_type.setdefault(owner_type, set()).add(owner_id)
    out = {(t, i): [] for t, ids in by_type.items() for i in ids}
    if not by_type:
        return out
    clauses = [and_(Upload.owner_type == t, Upload.owner_id.in_(sorted(ids)), Upload.label.in_(PUBLIC_LABELS[t]))
               for t, ids in by_type.items()]
    for upload in session.execute(select(Upload).where(or_(*clauses)).order_by(Upload.id)).scalars():
        out[(upload.owner_type, upload.owner_id)].append(upload)
    return out


def labelled(files, *labels):
    return [f for f in files if f.label in labels]


def first_image(files, *labels):
    """The first image among ``files`` with one of ``labels`` (in the labels' order), or None."""
    for label in labels:
        for f in files:
            if f.label == label and f.kind in IMAGE_KINDS:
                return f
    return None


def plan_owner_keys(plan_obj, with_units=False):
    keys = [(OWNER_PLAN, plan_obj.id)] + [(OWNER_PROJECT, p.id) for p in plan_obj.projects]
    if with_units:
        keys += [(OWNER_UNIT, u.id) for p in plan_obj.projects for u in p.unit_types]
    return keys


def _plan_of(owner):
    if isinstance(owner, AllocationPlan):
        return owner
    if isinstance(owner, AllocationProject):
        return owner.plan
    if isinstance(owner, UnitType):
        return owner.project.plan if owner.project is not None else None
    return None


def public_upload(token, session=None):
    """The upload behind ``token`` if the public may have it, else None: owned by a plan, a
    project or a unit type (uploads.owner_of) of a plan in PlanStatus.PUBLIC, under a label
    the pages show."""
    session = session or db.session
    if not uploads.TOKEN_RE.fullmatch(token or ""):
        return None
    upload = session.execute(select(Upload).where(Upload.token == token)).scalar_one_or_none()
    if upload is None or upload.label not in PUBLIC_LABELS.get(upload.owner_type, ()):
        return None
    owner = uploads.owner_of(upload)
    owning_plan = _plan_of(owner)
    if owning_plan is None or owning_plan.status not in PlanStatus.PUBLIC:
        return None
    return upload


# --- 资格公示 and 结果公示 -----------------------------------------------------------------------

def eligible_open(plan_obj):
    return plan_obj.status in ELIGIBLE_FROM


def results_open(plan_obj):
    return plan_obj.status in RESULTS_FROM


def _page(rows, page):
    try:
        page = max(int(page or 1), 1)
    except (TypeError, ValueError):
        page = 1
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    return rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], page, pages


def _query(text):
    return (text or "").strip().upper()[:MAX_QUERY]


def eligible(plan_obj, query="", page=1):
    """The publicised eligible numbers (sorted; registrations.services.eligible_numbers), one
    page of them, optionally only those containing ``query``."""
    from app.allocation.registrations import services as registrations

    numbers = registrations.eligible_numbers(plan_obj)
    total = len(numbers)
    query = _query(query)
    if query:
        numbers = [n for n in numbers if query in n]
    rows, page, pages = _page(numbers, page)
    return {"total": total, "found": len(numbers), "rows": rows, "page": page, "pages": pages, "query": query}


def results(plan_obj, query="", page=1, session=None):
    """结果公示: (登记编号, group name, rank, order, result) in selection order; no person."""
    from app.allocation.registrations.models import Registration

    session = session or db.session
    names = {g.code: g.name for g in plan_obj.groups}
    stmt = (select(Registration.number, Registration.group_code, Registration.draw_rank, Registration.draw_order,
                   Registration.draw_result)
            .where(Registration.plan_id == plan_obj.id, Registration.draw_result.is_not(None))
            .order_by(Registration.draw_order))
    rows = session.execute(stmt).all()
    total = len(rows)
    selected = sum(1 for r in rows if r.draw_result == "selected")
    query = _query(query)
    if query:
        rows = [r for r in rows if query in (r.number or "")]
    found = len(rows)
    rows, page, pages = _page(rows, page)
    return {"total": total, "selected": selected, "found": found, "page": page, "pages": pages, "query": query,
            "rows": [{"number": r.number, "group": names.get(r.group_code, r.group_code or ""),
                      "rank": r.draw_rank, "order": r.draw_order, "result": r.draw_result} for r in rows]}


# --- the lottery's published files ---------------------------------------------------------------

_BUNDLES = OrderedDict()
_BUNDLE_LOCK = threading.Lock()
_BUNDLES_KEPT = 8


def _bundle_key(plan_obj):
    return (plan_obj.id, plan_obj.code, plan_obj.status, plan_obj.commitment, plan_obj.frozen_at, plan_obj.drawn_at)


def bundle(plan_obj):
    """lottery.services.files(plan) and its zip, computed once per state of the plan in this
    process (building a drawn bundle recomputes every ranking): {"files", "zip", "manifest"}."""
    from app.allocation.lottery import services as lottery

    key = _bundle_key(plan_obj)
    with _BUNDLE_LOCK:
        hit = _BUNDLES.get(key)
        if hit is not None:
            _BUNDLES.move_to_end(key)
            return hit
    files = lottery.files(plan_obj)
    entry = {"files": files, "zip": None,   # the zip is built on its first download
             "manifest": json.loads(files["manifest.json"]) if "manifest.json" in files else None}
    with _BUNDLE_LOCK:
        _BUNDLES[key] = entry
        _BUNDLES.move_to_end(key)
        while len(_BUNDLES) > _BUNDLES_KEPT:
            _BUNDLES.popitem(last=False)
    return entry


def bundle_zip(plan_obj):
    """The zipped bundle, built once per state: what lottery.services.zip_files gives
    (protocol.zip_bundle of the same files)."""
    from app.allocation.lottery import protocol

    entry = bundle(plan_obj)
    if entry["zip"] is None and entry["files"]:
        entry["zip"] = protocol.zip_bundle(entry["files"])
    return entry["zip"]


def forget_bundles():
    with _BUNDLE_LOCK:
        _BUNDLES.clear()


def lottery_box(plan_obj):
    """The 摇号公示 box: protocol, C, the groups (frozen pools with size and SHA-256, then seeds
    and ranking files), S and E after the draw, and the files with their sizes."""
    from app.allocation.lottery import protocol

    entry = bundle(plan_obj)
    files, manifest = entry["files"], entry["manifest"]
    if not files or manifest is None:
        return None
    drawn = manifest.get("state") == "drawn"
    return {
        "protocol": manifest.get("protocol"),
        "commitment": manifest.get("commitment"),
        "state": manifest.get("state"),
        "drawn_at": manifest.get("drawn_at"),
        "groups": sorted(manifest.get("groups") or [], key=lambda g: g.get("order") or 0),
        "frozen": manifest.get("state") in ("frozen", "drawn"),
        "drawn": drawn,
        "secret": files["secret.txt"].decode("ascii").strip() if drawn and "secret.txt" in files else None,
        "entropy": files["entropy.txt"].decode("utf-8") if drawn and "entropy.txt" in files else None,
        "files": [(name, len(files[name])) for name in sorted(files)],
        "zip_name": protocol.bundle_filename(plan_obj.code),
    }


def verifier_source():
    """scripts/verify_lottery.py as bytes (read once)."""
    global _VERIFIER
    if _VERIFIER is None:
        from flask import current_app

        path = os.path.join(os.path.dirname(current_app.root_path), "scripts", "verify_lottery.py")
        with open(path, "rb") as fh:
            _VERIFIER = fh.read()
    return _VERIFIER


_VERIFIER = None


def contacts(plans_list):
    """服务联系方式 of each plan that gave one: (plan, phone, hours, address)."""
    return [p for p in plans_list if p.contact_phone or p.contact_hours or p.contact_address]


def count_registered_projects(plan_obj):
    """{project id: n} and the plan's total, from the per-process cache."""
    counts = plans.registered_counts(plan_obj.id)
    return counts.get("plan", 0), {p.id: counts.get(p.id, 0) for p in plan_obj.projects}

