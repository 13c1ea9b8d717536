"""保障房配租's public pages (seed 002 §2 and §8; SPEC §6; issue 15), thin over
app/allocation/portal/services.py. No login and no permission: anyone reads them.

* ``/allocation/``                        配租计划: current plans with their projects (小区)
* ``/allocation/plan/<id>``               a plan: 公告 summary, projects, groups, 摇号公示
* ``/allocation/plan/<id>/announcement``  《配租公告》 and its attachments
* ``/allocation/project/<id>``            项目详情: photos, intro, unit types, 登记倒计时, 已登记人数
* ``/allocation/unit/<id>``               户型详情: photos and the 租金清单
* ``/allocation/contact``                 服务联系方式
* ``/allocation/plan/<id>/stats.json``    the countdown and the numbers registered (refreshed by JS)
* ``/allocation/plan/<id>/eligible``      资格公示 (numbers only) and 异议 (signed in)
* ``/allocation/plan/<id>/results``       结果公示 (numbers, order, result; no names)
* ``/allocation/plan/<id>/lottery/<name>``, ``lottery.zip``, ``/allocation/verify_lottery.py``
* ``/allocation/media/<token>``           photos and attachments of public plans only

A draft is a 404 everywhere. Pages for visitors who are not signed in are cacheable by
browsers and proxies (``allocation.public_cache_seconds``; stats.json 5 s); a signed-in
visitor's pages stay private (app/__init__.py adds ``no-store``).
"""
import os
from io import BytesIO

from flask import abort, current_app, flash, make_response, redirect, request, send_file, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.allocation import clock
from app.allocation.labels import DRAW_RESULT_LABELS, PLAN_STATUS_LABELS, label
from app.allocation.plans import services as plans
from app.allocation.portal import services
from app.core import uploads
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.extensions import db

PORTAL = "anju/allocation/portal/"
STATS_SECONDS = 5
PRIVATE = "private, no-store"
REGISTER_URL = "/allocation/my/register/{plan_id}"     # MyAllocationView (app/allocation/filings/views.py)
FILING_URL = "/allocation/my/filing/{plan_id}"
RECORDS_URL = "/allocation/my/records"


def _public_seconds():
    from app.system.params import get_param

    return get_param("allocation.public_cache_seconds")


def _cacheable():
    """A visitor not signed in, with no message waiting for them: the page is the same for all."""
    return current_user_obj() is None and not session.get("_flashes")


def _fresh():
    """The visitor sent no session cookie."""
    return current_app.config["SESSION_COOKIE_NAME"] not in request.cookies


def _cache(response, seconds, cacheable, fresh=False):
    """Public for ``seconds`` when ``cacheable``, else private. ``fresh``: the visitor came
    without a session; FAB's language selector then stores the default language in a new one,
    and a response setting a cookie is kept by no shared cache: that cookie is not sent."""
    response.headers["Cache-Control"] = f"public, max-age={int(seconds)}" if cacheable else PRIVATE
    response.headers["Vary"] = "Cookie"
    if cacheable and fresh and set(session.keys()) <= {"locale"}:
        session.modified = False
    return response


def _download(data, name, mimetype, inline=False, seconds=None):
    """Send bytes (or a stored file's path) as a download, or inline for a picture."""
    cacheable, fresh = _cacheable(), _fresh()
    response = send_file(data if isinstance(data, str) else BytesIO(data), mimetype=mimetype,
                         as_attachment=not inline, download_name=name, conditional=False, etag=False,
                         last_modified=None, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return _cache(response, _public_seconds() if seconds is None else seconds, cacheable, fresh)


def _login_url(next_url=None):
    return url_for("AnjuAuthDBView.login", next=next_url or request.full_path.rstrip("?"))


class AllocationPortalView(BaseView):
    """The citizen portal of 保障性租赁住房专项配租 (no permission: public pages)."""

    route_base = "/allocation"
    default_view = "index"
    title = _l("Housing allocation (public pages)")

    def _page(self, template, status=200, **context):
        cacheable, fresh = _cacheable(), _fresh()
        user = current_user_obj()
        moment = clock.now()
        body = self.render_template(
            PORTAL + template, signed_in=user is not None, now=moment,
            plan_status=lambda plan: label(PLAN_STATUS_LABELS, plans.shown_status(plan, moment)),
            draw_result=lambda code: label(DRAW_RESULT_LABELS, code),
            media_url=lambda f: url_for("AllocationPortalView.media", token=f.token),
            register_url=lambda plan_id: REGISTER_URL.format(plan_id=plan_id),
            filing_url=lambda plan_id: FILING_URL.format(plan_id=plan_id),
            records_url=RECORDS_URL, login_url=_login_url, actions=lambda p: services.actions(p, moment),
            **context)
        return _cache(make_response(body, status), _public_seconds(), cacheable, fresh)

    @staticmethod
    def _plan_or_404(plan_id, full=True):
        plan = services.plan(plan_id, full=full)
        if plan is None:
            abort(404)
        return plan

    # --- 配租计划 --------------------------------------------------------------------------------
    @expose("/")
    def index(self):
        moment = clock.now()
        current = services.current_plans()
        keys = [k for p in current for k in services.plan_owner_keys(p)]
        files = services.files_by_owner(keys)
        return self._page("index.html", title=_("Affordable rental housing allocation"), plans=current,
                          past=services.past_plans(), files=files, homes=services.homes,
                          districts=services.district_names(pr.district_code for p in current for pr in p.projects),
                          window=lambda p: services.window(p, moment), counts=services.count_registered_projects,
                          first_photo=lambda project: services.first_image(
                              files.get((services.OWNER_PROJECT, project.id), []), services.PROJECT_PHOTO))

    @expose("/plan/<int:plan_id>")
    def plan(self, plan_id):
        plan = self._plan_or_404(plan_id)
        files = services.files_by_owner(services.plan_owner_keys(plan))
        return self._page("plan.html", title=plan.title, plan=plan, homes=services.homes(plan),
                          paragraphs=services.paragraphs(plan.announcement),
                          districts=services.district_names(p.district_code for p in plan.projects),
                          window=services.window(plan), counts=services.count_registered_projects(plan),
                          groups=plans.groups_of(plan), box=services.lottery_box(plan),
                          attachments=files.get((services.OWNER_PLAN, plan.id), []),
                          first_photo=lambda project: services.first_image(
                              files.get((services.OWNER_PROJECT, project.id), []), services.PROJECT_PHOTO),
                          eligible_open=services.eligible_open(plan), results_open=services.results_open(plan))

    @expose("/plan/<int:plan_id>/announcement")
    def announcement(self, plan_id):
        plan = self._plan_or_404(plan_id, full=False)
        files = services.files_by_owner([(services.OWNER_PLAN, plan.id)])
        return self._page("announcement.html", title=_("Allocation announcement") + " · " + plan.title, plan=plan,
                          paragraphs=services.paragraphs(plan.announcement),
                          attachments=services.labelled(files.get((services.OWNER_PLAN, plan.id), []),
                                                        services.ANNOUNCEMENT_FILE))

    # --- 项目详情 and 户型详情 ---------------------------------------------------------------------
    @expose("/project/<int:project_id>")
    def project(self, project_id):
        project = services.project(project_id)
        if project is None:
            abort(404)
        plan = project.plan
        keys = [(services.OWNER_PROJECT, project.id)] + [(services.OWNER_UNIT, u.id) for u in project.unit_types]
        files = services.files_by_owner(keys)
        counts = plans.registered_counts(plan.id)
        return self._page("project.html", title=project.name, project=project, plan=plan,
                          window=services.window(plan), registered=counts.get("plan", 0),
                          project_registered=counts.get(project.id, 0),
                          photos=services.labelled(files.get((services.OWNER_PROJECT, project.id), []),
                                                   services.PROJECT_PHOTO),
                          unit_photo=lambda u: services.first_image(files.get((services.OWNER_UNIT, u.id), []),
                                                                    services.UNIT_PLAN, services.UNIT_PHOTO),
                          homes=sum(u.count or 0 for u in project.unit_types),
                          district=services.district_names([project.district_code]).get(project.district_code, ""))

    @expose("/unit/<int:unit_id>")
    def unit(self, unit_id):
        unit = services.unit(unit_id)
        if unit is None:
            abort(404)
        files = services.files_by_owner([(services.OWNER_UNIT, unit.id)]).get((services.OWNER_UNIT, unit.id), [])
        return self._page("unit.html", title=f"{unit.project.name} · {unit.name}", unit=unit, project=unit.project,
                          plan=unit.project.plan, plans_photos=services.labelled(files, services.UNIT_PLAN),
                          room_photos=services.labelled(files, services.UNIT_PHOTO),
                          rent_list=services.rent_rows(unit))

    # --- 服务联系方式 ------------------------------------------------------------------------------
    @expose("/contact")
    def contact(self):
        return self._page("contact.html", title=_("Service contacts"),
                          plans=services.contacts(services.current_plans(with_projects=False)))

    # --- the countdown's figures -------------------------------------------------------------------
    @expose("/plan/<int:plan_id>/stats.json")
    def stats(self, plan_id):
        import json

        plan = self._plan_or_404(plan_id, full=False)
        cacheable, fresh = _cacheable(), _fresh()
        response = make_response(json.dumps(services.stats(plan), ensure_ascii=False), 200)
        response.mimetype = "application/json"
        return _cache(response, STATS_SECONDS, cacheable, fresh)

    # --- 资格公示 and 异议 ---------------------------------------------------------------------------
    @expose("/plan/<int:plan_id>/eligible")
    def eligible(self, plan_id):
        plan = self._plan_or_404(plan_id, full=False)
        data = services.eligible(plan, request.args.get("q"), request.args.get("page")) \
            if services.eligible_open(plan) else None
        from app.allocation.registrations import services as registrations

        return self._page("eligible.html", title=_("Eligibility publicity") + " · " + plan.title, plan=plan,
                          data=data, objections_open=registrations.publicity_open(plan),
                          number=request.args.get("number", "")[:services.MAX_QUERY])

    @expose("/plan/<int:plan_id>/object", methods=["POST"])
    def object_to(self, plan_id):
        from app.allocation.registrations import services as registrations

        plan = self._plan_or_404(plan_id, full=False)
        back = url_for("AllocationPortalView.eligible", plan_id=plan.id)
        user = current_user_obj()
        if user is None:
            return redirect(_login_url(back))
        number = request.form.get("number", "")
        try:
            registrations.object_to(user, plan.id, number, request.form.get("text", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("AllocationPortalView.eligible", plan_id=plan.id,
                                    number=number.strip()[:services.MAX_QUERY]) + "#objection")
        flash(_("Your objection to registration %(number)s was received; the housing centre will decide it.",
                number=number.strip().upper()), "success")
        return redirect(back + "#objection")

    # --- 结果公示 ------------------------------------------------------------------------------------
    @expose("/plan/<int:plan_id>/results")
    def results(self, plan_id):
        plan = self._plan_or_404(plan_id)
        data = services.results(plan, request.args.get("q"), request.args.get("page")) \
            if services.results_open(plan) else None
        return self._page("results.html", title=_("Result publicity") + " · " + plan.title, plan=plan, data=data)

    # --- the lottery's files -----------------------------------------------------------------------
    @expose("/plan/<int:plan_id>/lottery/<name>")
    def lottery_file(self, plan_id, name):
        plan = self._plan_or_404(plan_id, full=False)
        files = services.bundle(plan)["files"]
        if name not in files:
            abort(404)
        mimetype = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
        return _download(files[name], name, mimetype)

    @expose("/plan/<int:plan_id>/lottery.zip")
    def lottery_zip(self, plan_id):
        from app.allocation.lottery import protocol

        plan = self._plan_or_404(plan_id, full=False)
        data = services.bundle_zip(plan)
        if not data:
            abort(404)
        return _download(data, protocol.bundle_filename(plan.code), "application/zip")

    @expose("/verify_lottery.py")
    def verifier(self):
        return _download(services.verifier_source(), "verify_lottery.py", "text/x-python")

    # --- photos and attachments --------------------------------------------------------------------
    @expose("/media/<token>")
    def media(self, token):
        upload = services.public_upload(token)
        if upload is None:
            abort(404)
        path = uploads.path_of(upload)
        if not os.path.isfile(path):
            abort(404)
        return _download(path, upload.original_name, upload.mime, inline=upload.kind in services.IMAGE_KINDS)


def register(appbuilder):
    appbuilder.add_view_no_menu(AllocationPortalView())
