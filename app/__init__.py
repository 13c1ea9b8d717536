"""Application factory: extensions, security manager, modules, CLI."""
import logging
import os

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _

from app.extensions import csrf, db, migrate

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    # Everything is served by the console itself (offline intranets).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                               "font-src 'self' data:; object-src 'none'; frame-ancestors 'self'",
}


def create_app(config_object="config.Config", **overrides):
    from flask_appbuilder import AppBuilder

    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "instance"))
    app.config.from_object(config_object)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    from app.security.secret_key import ensure_secret_key

    ensure_secret_key(app)
    from app.core import babel_fast

    babel_fast.install()
    if isinstance(app.config.get("FAB_PASSWORD_COMPLEXITY_VALIDATOR"), str):
        # FAB calls this setting; config.py names it by path (FAB's add-user form raised TypeError).
        from werkzeug.utils import import_string

        app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = import_string(app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"])
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        # A SQLite file has no server to drop a connection: no ping before each request's use.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "pool_pre_ping": False}
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    # CSRF before AppBuilder, so FAB sees it and refuses GET mutations.
    csrf.init_app(app)

    # Import every model before AppBuilder so the one metadata knows them all.
    from app import models  # noqa: F401
    from app.security import labels

    labels.install()

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        register_modules(appbuilder)
        from app.core.guards import harden_apis, safe_datamodels

        harden_apis()
        safe_datamodels(appbuilder)
        # APIs authenticate by JWT (no cookies): exempt their blueprints from CSRF.
        from flask_appbuilder.api import BaseApi

        for view in appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.blueprint is not None:
                csrf.exempt(view.blueprint)

    from app.core import chrome, uploads

    uploads.init_app(app)
    chrome.init_app(app)
    _register_hooks(app)
    from app.cli import register_cli

    register_cli(app)
    return app


def register_modules(appbuilder):
    """Every module registers its views and APIs here: the whole menu in one screen."""
    from app.accounts import api as accounts_api
    from app.accounts import views as accounts_views
    from app.system import api as system_api
    from app.system import application_views, job_views
    from app.system import sms_views
    from app.core.lists import export_import  # noqa: F401 (the export and import task handlers)
    from app.system import notice_views, task_views
    import app.property as property_module
    from app.complaints import api as complaint_api
    from app.complaints import stats as complaint_stats
    from app.complaints import views as complaint_views
    from app.system import views as system_views
    from app.credit import api as credit_api
    from app.credit import views as credit_views
    import app.rental as rental
    import app.allocation as allocation

    system_views.register(appbuilder)
    sms_views.register(appbuilder)
    job_views.register(appbuilder)
    application_views.register(appbuilder)
    accounts_views.register(appbuilder)
    property_module.register_views(appbuilder)
    complaint_views.register(appbuilder)
    complaint_stats.register(appbuilder)
    credit_views.register(appbuilder)
    rental.register_views(appbuilder)
    allocation.register_views(appbuilder)
    notice_views.register(appbuilder)
    task_views.register(appbuilder)
    system_api.register(appbuilder)
    accounts_api.register(appbuilder)
    complaint_api.register(appbuilder)
    property_module.register_api(appbuilder)
    credit_api.register(appbuilder)
    rental.register_api(appbuilder)
    allocation.register_api(appbuilder)
    # One 个人中心 (the account page, also in the user menu), in the group 我的 with the notices.
    appbuilder.add_link("My account", label=_l_my_account(), href="/my/", icon="fa-id-card-o",
                        category="My account", category_label=_l_mine(), category_icon="fa-user-circle")


def _l_my_account():
    from flask_babel import lazy_gettext

    return lazy_gettext("My account")


def _l_mine():
    from flask_babel import lazy_gettext

    return lazy_gettext("Mine")


def _register_hooks(app):
    from app.core import masking
    def _masker(kind):
        def apply(value):
            return masking.for_viewer(kind, value) if value else ""
        return apply

    app.jinja_env.filters["mask_mobile"] = _masker("mobile")
    app.jinja_env.filters["mask_id"] = _masker("id_number")
    app.jinja_env.filters["mask_name"] = _masker("name")
    app.jinja_env.filters["mask_account"] = _masker("account")
    # {{ value|mask_as(kind) }}: any kind; a kind of None leaves the value alone.
    app.jinja_env.filters["mask_as"] = lambda value, kind: masking.for_viewer(kind, value) if value else ""
    from app.core.lists import rows as list_rows

    app.jinja_env.filters["cell_text"] = list_rows.cell_text
    app.jinja_env.globals["anju_list_rows"] = list_rows.render
    app.jinja_env.globals["anju_list_head"] = list_rows.head
    app.jinja_env.globals["anju_page_sizes"] = list_rows.page_size_options
    app.jinja_env.globals["anju_pagination"] = list_rows.pagination
    from app.core.lists import links as list_links

    list_links.install(app)
    from app.core import returns

    returns.install(app)

    from app.core.guards import check_request

    app.before_request(check_request)

    @app.route("/favicon.ico")
    def favicon():
        from flask import send_from_directory

        return send_from_directory(os.path.join(app.root_path, "static", "anju"), "logo.svg",
                                   mimetype="image/svg+xml", max_age=86400)

    @app.after_request
    def security_headers(response):
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if _signed_in() and not (request.endpoint or "").endswith("static"):
            # A signed-in page holds personal data: no browser or proxy keeps a copy.
            # (a stricter header set by the response itself, e.g. "private, no-store", stays)
            if "no-store" not in response.headers.get("Cache-Control", ""):
                response.headers["Cache-Control"] = "no-store"
        if request.path.startswith("/swagger"):
            # FAB's Swagger page needs its inline bootstrap script.
            response.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"]
        return response

    def _error(code, message):
        if request.path.startswith("/api/"):
            return jsonify(message=message), code
        from flask import g
        from flask_login import current_user

        if not hasattr(g, "user"):
            # CSRF refusals happen before FAB's before_request sets g.user; the page's
            # menu needs it (else a logged-in user's CSRF error became a 500).
            g.user = current_user
        return render_template("anju/error.html", code=code, message=message,
                               base_template=app.appbuilder.base_template,
                               appbuilder=app.appbuilder), code

    @app.errorhandler(400)
    def bad_request(exc):
        from flask_wtf.csrf import CSRFError

        if isinstance(exc, CSRFError):
            return _error(400, _("The form has expired or was not sent from this site. Please reload the page and try again."))
        desc = getattr(exc, "description", None)
        return _error(400, desc if isinstance(desc, str) and not desc.startswith("The browser") else _("The request is not valid."))

    @app.errorhandler(403)
    def forbidden(exc):
        return _error(403, _("You do not have permission to do this."))

    @app.errorhandler(404)
    def not_found(exc):
        return _error(404, _("The page or record does not exist, or is outside your scope."))

    @app.errorhandler(413)
    def too_large(exc):
        return _error(413, _("The uploaded file is too large."))

    @app.errorhandler(500)
    def server_error(exc):
        from app.core.errors import incident_message, new_incident

        db.session.rollback()
        original = getattr(exc, "original_exception", None) or exc
        return _error(500, incident_message(new_incident(exc_info=original)))

    from sqlalchemy.exc import IntegrityError

    @app.errorhandler(IntegrityError)
    def conflict(exc):
        from app.core.errors import conflict_message

        db.session.rollback()
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc)
        return _error(409, conflict_message())


def _signed_in():
    from flask import has_request_context

    if not has_request_context():
        return False
    if request.headers.get("Authorization"):
        return True
    try:
        from flask_login import current_user

        return bool(current_user and current_user.is_authenticated)
    except Exception:
        return False
