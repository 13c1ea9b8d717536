"""The applicant's pages (seed 002 §3.3–§7; issue 15), thin over the filings and registrations
services. Citizen layout (anju/public_base.html), like the portal they are reached from.

``MyAllocationView`` (route_base /allocation/my, signed-in public users, permissions from
app/security/roles_allocation.py APPLICANT):

* 信息填报 ``/filing/<plan_id>`` (GET shows ``filings.prefill``; POST ``filings.save``; a refusal
  shows the form again with every typed value, the chosen files kept as unattached uploads)
  and ``/filing/<plan_id>/remove-file``;
* 立即登记 ``POST /register/<plan_id>`` → the result page (登记成功 with the 登记编号, or the
  screening's reasons with 申请人工复核);
* 配租记录 ``/records``, a record ``/records/<id>`` with its history, 导出pdf ``/records/<id>/pdf``
  and its print view, 取消登记 and 申请人工复核 (POST).

Everyone without a verified identity sees the seed's 去实名 gate instead of any of these pages;
a registration or filing of another applicant is a 404.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.allocation import labels as L
from app.allocation.filings import documents
from app.allocation.filings import services as filings
from app.allocation.filings.models import FILING_LABELS, HousingStatus
from app.allocation.plans import services as plans
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import Registration
from app.core import documents as docs_engine
from app.core import returns, uploads
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.extensions import db

TEMPLATES = "anju/allocation/my/"
PLAN_URL = "/allocation/plan/{plan_id}"        # the portal's plan page (URL contract)
MEMBER_ROWS_MIN = 3                            # rows the form shows without JavaScript
MEMBER_ROWS_CAP = 50                           # member-<i>- indices read from a post
KEPT = "kept"                                  # tokens of files chosen in a refused post


def plan_url(plan_id, external=False):
    path = PLAN_URL.format(plan_id=plan_id)
    return request.host_url.rstrip("/") + path if external else path


def _choices(mapping):
    return [(code, str(label)) for code, label in mapping.items()]


def _districts_of(plan, current=None):
    """户籍/居住证所在区: the districts of the plan's city (and the value already chosen)."""
    from app.system.models import Region, RegionLevel

    region = db.session.get(Region, plan.region_code)
    while region is not None and region.level not in (RegionLevel.CITY,) and region.parent_code:
        region = db.session.get(Region, region.parent_code)
    stmt = select(Region.code, Region.name).where(Region.level == RegionLevel.DISTRICT)
    if region is not None and region.level == RegionLevel.CITY:
        stmt = stmt.where(Region.parent_code == region.code)
    else:
        stmt = stmt.where(Region.code.like(f"{plan.region_code[:2]}%"))
    rows = [(code, name) for code, name in db.session.execute(stmt.order_by(Region.code)).all()]
    if current and current not in {code for code, _name in rows}:
        chosen = db.session.get(Region, current)
        if chosen is not None and chosen.level == RegionLevel.DISTRICT:
            rows.append((chosen.code, chosen.full_name))
    return rows


def _posted_members():
    """Family member rows of the post (member-<i>-<field>), blank rows left out, in order."""
    form = request.form
    rows = []
    for i in range(MEMBER_ROWS_CAP):
        row = {k: (form.get(f"member-{i}-{k}") or "").strip() for k in filings.MEMBER_FIELDS}
        if not any(row[k] for k in filings.MEMBER_FIELDS if k not in ("id_type", "relation")) \
                and not row["relation"]:
            continue
        rows.append(row)
    return rows


def _blank_member():
    return {k: "" for k in filings.MEMBER_FIELDS}


def _member_rows(members):
    """The rows the form shows: the members, then blank rows (at least one, and at least
    MEMBER_ROWS_MIN rows in all) up to the parameter's limit."""
    from app.system.params import get_param

    rows = [dict(m) for m in members or []]
    limit = get_param("allocation.max_family_members")
    target = max(len(rows) + 1, MEMBER_ROWS_MIN)
    target = max(len(rows), min(target, limit))
    rows += [_blank_member() for _i in range(target - len(rows))]
    for row in rows:
        for k, v in list(row.items()):
            row[k] = "" if v is None else str(v)
    return rows


def _reason_text(reg):
    return documents.reason_text(reg)


def _cancellable(reg):
    """取消登记 is offered where registrations.cancel allows it."""
    return registrations.may_cancel(reg)


def _appealable(reg):
    """申请人工复核 is offered where registrations.request_review allows it."""
    return registrations.may_request_review(reg)


class MyAllocationView(BaseView):
    route_base = "/allocation/my"
    default_view = "records"
    class_permission_name = "MyAllocationView"
    method_permission_name = {
        "filing": "file", "remove_file": "file", "register": "register", "result": "register",
        "records": "records", "record": "records", "pdf": "records", "print_record": "records",
        "cancel": "cancel", "appeal": "appeal",
    }

    # --- helpers ------------------------------------------------------------------------

    def _page(self, template, status=200, **context):
        context.setdefault("plan_url", plan_url)
        return self.render_template(TEMPLATES + template, **context), status

    def _gate(self, next_url=None):
        """The seed's 去实名 gate (§3.3), or None for a verified applicant."""
        from app.accounts import services as accounts

        user = current_user_obj()
        if accounts.is_realname_verified(user):
            return None
        next_url = next_url or (request.full_path.rstrip("?") if request.method == "GET" else url_for(
            "MyAllocationView.records"))
        # Opening a page is answered with the gate (200: a page telling what to do first); an
        # action posted without real-name is refused (403).
        return self._page("gate.html", status=200 if request.method == "GET" else 403,
                          title=_("Real-name verification needed"),
                          realname_url=url_for("MyAccountView.realname", next=next_url),
                          has_person=accounts.person_of(user) is not None)

    @staticmethod
    def _plan_or_404(plan_id):
        plan = plans.public_plan(plan_id)
        if plan is None:
            abort(404)
        return plan

    @staticmethod
    def _own_or_404(reg_id):
        user = current_user_obj()
        reg = db.session.get(Registration, reg_id)
        if reg is None or user is None or reg.user_id != user.id:
            abort(404)
        return reg

    @staticmethod
    def _back(default):
        """Where the user came from (a local ``next`` or the referring page), else ``default``."""
        return returns.back_to(default)

    # --- 信息填报 -------------------------------------------------------------------------

    def _kept_files(self, user):
        tokens = [t for t in request.form.getlist(KEPT) if t][:uploads.DEFAULT_MAX_FILES]
        if not tokens:
            return []
        rows = db.session.execute(select(uploads.Upload).where(uploads.Upload.token.in_(tokens))).scalars()
        return [u for u in rows if u.owner_type is None and u.created_by_fk == user.id]

    @staticmethod
    def _read(upload):
        import os

        path = uploads.path_of(upload)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as fh:
            return upload.original_name, fh.read()

    def _keep(self, user, chosen, kept):
        """After a refusal: the files chosen in this post stored unattached (each one that passes
        the checks), so that the form shown again still holds them. Returns every kept upload
        and the messages of files refused by the checks."""
        out, refused = list(kept), []
        for item in chosen:
            try:
                out.append(uploads.save(item, label=filings.DOCUMENT_LABEL, user=user))
            except DomainError as exc:
                refused.append(str(exc))    # refused before anything is stored; the message names the file
                continue
            db.session.commit()
        return out, refused

    def _filing_page(self, plan, user, values, source, error=None, kept=(), status=200):
        filing = filings.filing_of(user, plan)
        locked = filings.locked(user, plan)
        try:
            filings.check_plan_accepts_filings(plan)
            closed = None
        except DomainError as exc:
            closed = str(exc)
        if (locked or closed) and filing is not None:
            values = dict(filings.as_dict(filing))     # read-only: what is filed, never what was typed
        if filing is not None:
            files = uploads.files_of(filing, filings.DOCUMENT_LABEL)
            previous_files = []
        else:
            files = []
            previous = filings.latest_filing(user, exclude_plan_id=plan.id) if source == "previous" else None
            previous_files = uploads.files_of(previous, filings.DOCUMENT_LABEL) if previous is not None else []
        person_birth_from_id = values.get("id_type") == "resident_id"
        active = registrations.active_of(user, plan) if locked else None
        return self._page(
            "filing.html", status=status, title=_("Fill in your information"), plan=plan, values=values,
            source=source, error=error, locked=locked, closed=closed, active=active, filing=filing,
            files=files, previous_files=previous_files, kept=list(kept),
            members=_member_rows(values.get("members")) if not (locked or closed) else values.get("members") or [],
            labels=FILING_LABELS, marital=_choices(L.MARITAL_LABELS), hukou=_choices(L.HUKOU_LABELS),
            housing=_choices(L.HOUSING_LABELS), relations=_choices(L.RELATION_LABELS),
            id_types=_id_type_choices(), districts=_districts_of(plan, values.get("hukou_district")),
            label=L.label, L=L, birth_from_id=person_birth_from_id, owns=HousingStatus.OWNS,
            id_type_label=_id_type_label, region_name=_region_name,
            url_for_upload=uploads.url_for_upload, max_files=uploads.DEFAULT_MAX_FILES)

    @expose("/filing/<int:plan_id>", methods=["GET", "POST"])
    @has_access
    def filing(self, plan_id):
        plan = self._plan_or_404(plan_id)
        gate = self._gate(url_for("MyAllocationView.filing", plan_id=plan_id))
        if gate is not None:
            return gate
        user = current_user_obj()
        values, source = filings.prefill(user, plan)
        if request.method == "GET":
            return self._filing_page(plan, user, values, source)

        typed = {k: request.form.get(k, "") for k in filings.FIELDS}
        members = _posted_members()
        chosen = [(f.filename, f.read()) for f in request.files.getlist("documents") if f and f.filename]
        kept = self._kept_files(user)
        kept_files = [f for f in (self._read(u) for u in kept) if f is not None]
        try:
            filings.save(user, plan, typed, members, files=kept_files + chosen)
            for upload in kept:
                uploads.remove(upload)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            kept, refused = self._keep(user, chosen, kept)
            error = "；".join(dict.fromkeys([str(exc), *refused]))
            shown = dict(values)
            shown.update(typed)
            shown["members"] = members
            return self._filing_page(plan, user, shown, source, error=error, kept=kept, status=422)
        flash(_("Your information has been submitted."), "success")
        return redirect(plan_url(plan.id))

    @expose("/filing/<int:plan_id>/remove-file", methods=["POST"])
    @has_access
    def remove_file(self, plan_id):
        plan = self._plan_or_404(plan_id)
        gate = self._gate(url_for("MyAllocationView.filing", plan_id=plan_id))
        if gate is not None:
            return gate
        try:
            filings.remove_file(current_user_obj(), plan, request.form.get("token", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("The file has been removed from your filing."), "success")
        return redirect(url_for("MyAllocationView.filing", plan_id=plan_id) + "#documents")

    # --- 立即登记 -------------------------------------------------------------------------

    @expose("/register/<int:plan_id>", methods=["POST"])
    @has_access
    def register(self, plan_id):
        plan = self._plan_or_404(plan_id)
        gate = self._gate(plan_url(plan_id))
        if gate is not None:
            return gate
        try:
            reg = registrations.register(current_user_obj(), plan.id, request.form.get("project_id") or None)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(self._back(plan_url(plan_id)))
        return redirect(url_for("MyAllocationView.result", reg_id=reg.id))

    @expose("/records/<int:reg_id>/result")
    @has_access
    def result(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        return self._page("result.html", title=_("Registration result"), reg=reg, appealable=_appealable(reg),
                          reasons=reg.reasons or [])

    # --- 配租记录 -------------------------------------------------------------------------

    @expose("/records")
    @has_access
    def records(self):
        gate = self._gate()
        if gate is not None:
            return gate
        rows = registrations.records_of(current_user_obj())
        return self._page("records.html", title=_("My allocation records"), rows=rows,
                          progress=registrations.progress_text, reason=_reason_text,
                          result=documents.result_text, cancellable=_cancellable)

    def _record_page(self, reg, text="", error=None, status=200):
        events = sorted(reg.events, key=lambda e: (e.at, e.id))
        return self._page("record.html", status=status, title=_("Allocation record"), reg=reg, events=events,
                          progress=registrations.progress_text(reg), reason=_reason_text(reg),
                          result=documents.result_text(reg), cancellable=_cancellable(reg),
                          appealable=_appealable(reg), action_label=lambda a: L.label(L.REG_ACTION_LABELS, a),
                          status_label=lambda s: L.label(L.REG_STATUS_LABELS, s),
                          text=text, error=error)

    @expose("/records/<int:reg_id>")
    @has_access
    def record(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        return self._record_page(reg)

    @expose("/records/<int:reg_id>/pdf")
    @has_access
    def pdf(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        doc = documents.record_document(reg, plan_url(reg.plan_id, external=True))
        name = _("Allocation registration record") + f"-{reg.number or reg.id}.pdf"
        return docs_engine.pdf_response(doc, name, inline=False)

    @expose("/records/<int:reg_id>/print")
    @has_access
    def print_record(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        return docs_engine.print_response(documents.record_document(reg, plan_url(reg.plan_id, external=True)))

    @expose("/records/<int:reg_id>/cancel", methods=["POST"])
    @has_access
    def cancel(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        try:
            registrations.cancel(current_user_obj(), reg.id)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Registration %(number)s has been cancelled. You may change your filing and register again "
                    "while registration is open.", number=reg.number or reg.id), "success")
        return redirect(self._back(url_for("MyAllocationView.records")))

    @expose("/records/<int:reg_id>/appeal", methods=["POST"])
    @has_access
    def appeal(self, reg_id):
        reg = self._own_or_404(reg_id)
        gate = self._gate()
        if gate is not None:
            return gate
        text = request.form.get("text", "")
        try:
            registrations.request_review(current_user_obj(), reg.id, text)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._record_page(db.session.get(Registration, reg_id), text=text, error=str(exc), status=422)
        flash(_("Your request for a human review has been submitted; staff will decide it and you will see the "
                "decision here."), "success")
        return redirect(url_for("MyAllocationView.record", reg_id=reg.id))


def _id_type_choices():
    from app.accounts.models import ID_TYPE_LABELS

    return _choices(ID_TYPE_LABELS)


def _id_type_label(code):
    from app.accounts.models import ID_TYPE_LABELS

    return L.label(ID_TYPE_LABELS, code)


def _region_name(code):
    from app.system.models import region_full_name

    return region_full_name(code) if code else ""


def register(appbuilder):
    appbuilder.add_view_no_menu(MyAllocationView())
    # 配租记录 in the 我的 group beside 个人中心 (seed 002 §6.1: the account's own menu).
    appbuilder.add_link("My allocation records", label=_l("My allocation records"), href="/allocation/my/records",
                        icon="fa-list-alt", category="My account", category_label=_l("Mine"),
                        category_icon="fa-user-circle")
