"""The console's frame around every signed-in page: the left menu (groups, icons, the open
group and the current item), the breadcrumbs and the unread-notice count in the top bar.

Computed once per request, lazily (a page that never renders the frame pays nothing), from
FAB's menu and the security manager, so every module's views appear in it as soon as they are
registered.
"""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import g, has_request_context, request

#: Icons of the menu groups (modules register theirs with ``register_group_icon``).
GROUP_ICONS = {
    "System": "fa-cogs",
    "Accounts": "fa-users",
    "Property": "fa-building",
    "Requests": "fa-comments",
    "My account": "fa-user-circle",
}
DEFAULT_GROUP_ICON = "fa-folder"
DEFAULT_ITEM_ICON = "fa-angle-right"


def register_group_icon(group, icon):
    GROUP_ICONS[group] = icon


@dataclass
class MenuEntry:
    name: str
    label: str
    icon: str
    url: str = ""
    active: bool = False
    children: list = field(default_factory=list)


def _segments(url):
    return [p for p in urlsplit(url or "").path.split("/") if p]


def _match(url, here):
    """How well a menu item's address matches the page's: 0 when the first path segment (the
    view) differs, else the number of leading segments in common (more is better)."""
    mine = _segments(url)
    if not mine or not here or mine[0] != here[0]:
        return 0
    n = 0
    for a, b in zip(mine, here):
        if a != b:
            break
        n += 1
    return n


def _visible(sm, item):
    return sm.has_access("menu_access", item.name)


#: Menus per (roles, language), rebuilt at most this many seconds late after a role's
#: permissions change (only what the menu shows: every view still checks the permission).
MENU_TTL = 60.0
_MENU_CACHE = {}


def _menu_key():
    import time

    from flask_babel import get_locale

    user = getattr(g, "user", None)
    roles = tuple(sorted(r.id for r in getattr(user, "roles", None) or []))
    groups = tuple(sorted(gr.id for gr in getattr(user, "groups", None) or []))
    return roles, groups, str(get_locale()), int(time.monotonic() // MENU_TTL)


def _shown_menu(appbuilder, key=None):
    """The entries the current user may see (kept per roles and language), none marked."""
    key = key or _menu_key()
    shown = _MENU_CACHE.get(key)
    if shown is None:
        if len(_MENU_CACHE) > 500:
            _MENU_CACHE.clear()
        shown = _MENU_CACHE[key] = _visible_menu(appbuilder)
    return shown


def current_entry(shown):
    """(group, item) of ``shown`` for the current page: the item whose address matches the
    page's best (the first of equals; two views may share a first segment), and the group
    holding it (None for an item outside any group); (None, None) when none matches."""
    here = _segments(request.path)
    best, found = 0, (None, None)
    for entry in shown:
        for item in entry.children or (entry,):
            score = _match(item.url, here)
            if score > best:
                best, found = score, ((entry if entry.children else None), item)
    return found


def build_menu(appbuilder, key=None):
    """The menu entries the current user may see, the current one marked active. The visible
    entries are kept per roles and language; only the marking is per request."""
    from dataclasses import replace

    shown = _shown_menu(appbuilder, key)
    group, current = current_entry(shown)
    entries = []
    for entry in shown:
        if entry.children:
            children = [replace(c, active=c is current) for c in entry.children]
            entries.append(replace(entry, children=children, active=entry is group))
        else:
            entries.append(replace(entry, active=entry is current))
    return entries


#: The left menu's HTML per (roles, language, current item, on the home page): the same for
#: every request of that key, rendered once; at most SIDEBAR_KEPT of them (about 15 KB each).
_SIDEBAR_CACHE = {}
SIDEBAR_KEPT = 500
_sidebar_period = None


def _visible_menu(appbuilder):
    """The entries the current user may see, none marked current (kept across requests)."""
    from flask_babel import gettext as _

    sm = appbuilder.sm
    entries = []
    for item in appbuilder.menu.get_list():
        if not _visible(sm, item):
            continue
        if item.childs:
            children = []
            for child in item.childs:
                if not child or child.name == "-" or not _visible(sm, child):
                    continue
                url = child.get_url()
                children.append(MenuEntry(child.name, _(str(child.label)), child.icon or DEFAULT_ITEM_ICON, url))
            if not children:
                continue  # never an empty group
            entries.append(MenuEntry(item.name, _(str(item.label)), item.icon or GROUP_ICONS.get(
                item.name, DEFAULT_GROUP_ICON), "", children=children))
        else:
            url = item.get_url()
            entries.append(MenuEntry(item.name, _(str(item.label)), item.icon or DEFAULT_ITEM_ICON, url))
    return entries


def breadcrumbs(group, current, title=None):
    """[(text, url)] from 首页 to the current page; the last one has no link. ``group`` and
    ``current`` as :func:`current_entry` gives them."""
    crumbs = []
    if current is not None:
        crumbs = [(group.label, ""), (current.label, current.url)] if group is not None \
            else [(current.label, current.url)]
    title = str(title) if title else ""
    on_own_page = bool(crumbs) and urlsplit(crumbs[-1][1]).path.rstrip("/") == request.path.rstrip("/")
    if title and not on_own_page and (not crumbs or crumbs[-1][0] != title):
        crumbs.append((title, ""))
    if crumbs:
        crumbs[-1] = (crumbs[-1][0], "")
    return crumbs


#: How late the top bar's unread count may show another process's new notice.
NOTICE_COUNT_TTL = 10.0


def unread_notices(user):
    """Unread notices of the user's organisation; None when the user may not read notices."""
    from app.core.cache import cached
    from app.core.notices import Notice, unread_count

    org_id = getattr(user, "org_id", None)
    if not org_id:
        return None
    user_id = getattr(user, "id", None)
    # Kept between requests (app/core/cache.py): reading or sending a notice in this process
    # counts at once; another process's notice shows within NOTICE_COUNT_TTL seconds.
    return cached("unread_notices", (org_id, user_id), (Notice.__tablename__,), NOTICE_COUNT_TTL,
                  lambda: unread_count(org_id, cap=99, user_id=user_id))


class Chrome:
    """The frame's data for the current request, computed on first use."""

    def __init__(self, appbuilder):
        self._appbuilder = appbuilder
        self._menu = None
        self._current = None

    @property
    def menu(self):
        if self._menu is None:
            self._menu = build_menu(self._appbuilder)
        return self._menu

    def _where(self):
        if self._current is None:
            key = _menu_key()
            self._current = (key, *current_entry(_shown_menu(self._appbuilder, key)))
        return self._current

    def breadcrumbs(self, title=None):
        _key, group, current = self._where()
        return breadcrumbs(group, current, title)

    def sidebar(self):
        """The left menu's HTML, rendered once per roles, language and current item."""
        from flask import render_template
        from markupsafe import Markup

        key, _group, current = self._where()
        on_home = request.path == self._appbuilder.get_url_for_index
        cache_key = (key, (current.name, current.url) if current is not None else None, on_home)
        html = _SIDEBAR_CACHE.get(cache_key)
        if html is None:
            # A new period of the menu's cache (MENU_TTL), or too many pages kept: start again.
            global _sidebar_period
            if len(_SIDEBAR_CACHE) >= SIDEBAR_KEPT or key[-1] != _sidebar_period:
                _SIDEBAR_CACHE.clear()
                _sidebar_period = key[-1]
            html = _SIDEBAR_CACHE[cache_key] = render_template(
                "anju/_sidebar.html", menu=build_menu(self._appbuilder, key), on_home=on_home,
                appbuilder=self._appbuilder)
        return Markup(html)

    @property
    def notices(self):
        if "anju_unread_notices" not in g:
            user = getattr(g, "user", None)
            can = user is not None and getattr(user, "is_authenticated", False) and \
                self._appbuilder.sm.has_access("can_list", "NoticeView")
            g.anju_unread_notices = unread_notices(user) if can else None
        return g.anju_unread_notices


def init_app(app):
    @app.context_processor
    def _chrome():
        appbuilder = getattr(app, "appbuilder", None)
        if appbuilder is None:
            return {}
        if "anju_chrome" not in g:
            g.anju_chrome = Chrome(appbuilder)
        return {"chrome": g.anju_chrome}
    _memoise_static_urls(app)
    app.jinja_env.globals["anju_asset_tags"] = asset_tags
    app.jinja_env.globals["baselib"] = _BaseLib


#: FAB's stylesheets and scripts of every page (appbuilder/init.html's, in its order), by block.
#: A kind "theme" is the configured APP_THEME's stylesheet, when there is one.
ASSETS = {
    "head_css": [("css", "css/bootstrap.min.css"), ("css", "css/fontawesome/fontawesome.min.css"),
                 ("css", "css/fontawesome/regular.min.css"), ("css", "css/fontawesome/solid.min.css"),
                 ("css", "css/fontawesome/brands.min.css"), ("css", "css/fontawesome/v4-shims.min.css"),
                 ("theme", None),
                 ("css", "css/bootstrap-datepicker/bootstrap-datepicker3.min.css"),
                 ("css", "css/select2/select2.min.css"), ("css", "css/select2/select2-bootstrap.min.css"),
                 ("css", "css/flags/flags16.css"), ("css", "css/ab.css")],
    "head_js": [("js", "js/jquery-latest.js"), ("js", "js/ab_filters.js"), ("js", "js/ab_actions.js")],
    "tail_js": [("js", "js/bootstrap.min.js"), ("js", "js/bootstrap-datepicker/bootstrap-datepicker.min.js"),
                ("js", "js/select2/select2.min.js"), ("js", "js/ab.js")],
}
_NONCE = "\x00nonce\x00"


def _nonce():
    """The page's CSP nonce when an extension (e.g. Talisman) provides ``csp_nonce``, else ""."""
    from flask import current_app

    make = current_app.jinja_env.globals.get("csp_nonce")
    return make() if make is not None else ""


class _BaseLib:
    """What FAB's pages that extend base_template read from ``baselib`` (its macro library,
    which appbuilder/init.html imported on every page): only ``get_nonce``."""

    @staticmethod
    def get_nonce():
        return _nonce()


_asset_memo = {}


def asset_tags(block):
    """The ``<link>``/``<script>`` tags of FAB's files in one block of the page, built once per
    script root and theme (a static file's URL never changes while the app runs)."""
    from flask import current_app, url_for
    from markupsafe import Markup, escape

    theme = current_app.appbuilder.app_theme if getattr(current_app, "appbuilder", None) else ""
    key = (current_app.name, block, request.script_root if has_request_context() else "", theme)
    html = _asset_memo.get(key)
    if html is None:
        tags = []
        for kind, filename in ASSETS[block]:
            if kind == "theme":
                if not theme:
                    continue
                kind, filename = "css", "css/themes/" + theme
            url = escape(url_for("appbuilder.static", filename=filename))
            tags.append(f'<link href="{url}" rel="stylesheet">' if kind == "css"
                        else f'<script src="{url}" nonce="{_NONCE}"></script>')
        if len(_asset_memo) > 100:
            _asset_memo.clear()
        html = _asset_memo[key] = "\n      ".join(tags)
    nonce = _nonce() if _NONCE in html else ""
    return Markup(html.replace(_NONCE, str(escape(nonce))))


#: Endpoints of files that never move while the app runs (the frame's CSS, scripts, fonts).
STATIC_ENDPOINTS = frozenset({"static", "appbuilder.static"})


def _memoise_static_urls(app):
    """Templates' ``url_for`` with a memo for static files: every page's frame links about two
    dozen stylesheets and scripts (FAB's and ours), each built through the URL map again on
    every request. A static file's URL depends only on its name and the request's script root;
    every other ``url_for`` goes through unchanged."""
    plain = app.jinja_env.globals["url_for"]
    memo = {}

    def url_for(endpoint, **values):
        if endpoint in STATIC_ENDPOINTS and len(values) == 1 and "filename" in values and has_request_context():
            key = (endpoint, values["filename"], request.script_root)
            url = memo.get(key)
            if url is None:
                if len(memo) > 1000:
                    memo.clear()
                url = memo[key] = plain(endpoint, **values)
            return url
        return plain(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for
