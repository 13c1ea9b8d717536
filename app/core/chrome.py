"""The console's frame around every signed-in page: the left menu (groups, icons, the open
group and the current item), the breadcrumbs and the unread-notice count in the top bar.

Computed once per request, lazily (a page that never renders the frame pays nothing), from
FAB's menu and the security manager, so every module's views appear in it as soon as they are
registered.
"""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import g, request

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


def build_menu(appbuilder):
    """The menu entries the current user may see, the current one marked active. The visible
    entries are kept per roles and language; only the marking is per request."""
    from dataclasses import replace

    key = _menu_key()
    shown = _MENU_CACHE.get(key)
    if shown is None:
        if len(_MENU_CACHE) > 500:
            _MENU_CACHE.clear()
        shown = _MENU_CACHE[key] = _visible_menu(appbuilder)
    here = _segments(request.path)
    entries = []
    for entry in shown:
        if entry.children:
            children = [replace(c, active=_match(c.url, here)) for c in entry.children]
            entries.append(replace(entry, children=children))
        else:
            entries.append(replace(entry, active=_match(entry.url, here)))
    _keep_best(entries)
    return entries


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


def _keep_best(entries):
    """Only the best-matching item is the current one (two views may share a first segment)."""
    items = [c for e in entries for c in (e.children or [e])]
    best = max((i.active for i in items), default=0)
    for item in items:
        item.active = bool(best) and item.active == best
        best = best if not item.active else -1  # the first of equals wins
    for entry in entries:
        if entry.children:
            entry.active = any(c.active for c in entry.children)


def breadcrumbs(menu, title=None):
    """[(text, url)] from 首页 to the current page; the last one has no link."""
    from flask_babel import gettext as _

    crumbs = []
    for entry in menu:
        if entry.children:
            for child in entry.children:
                if child.active:
                    crumbs = [(entry.label, ""), (child.label, child.url)]
                    break
        elif entry.active:
            crumbs = [(entry.label, entry.url)]
        if crumbs:
            break
    title = str(title) if title else ""
    on_own_page = bool(crumbs) and urlsplit(crumbs[-1][1]).path.rstrip("/") == request.path.rstrip("/")
    if title and not on_own_page and (not crumbs or crumbs[-1][0] != title):
        crumbs.append((title, ""))
    if crumbs:
        crumbs[-1] = (crumbs[-1][0], "")
    return crumbs


def unread_notices(user):
    """Unread notices of the user's organisation; None when the user may not read notices."""
    from app.core.notices import unread_count

    org_id = getattr(user, "org_id", None)
    if not org_id:
        return None
    return unread_count(org_id, cap=99, user_id=getattr(user, "id", None))


class Chrome:
    """The frame's data for the current request, computed on first use."""

    def __init__(self, appbuilder):
        self._appbuilder = appbuilder
        self._menu = None

    @property
    def menu(self):
        if self._menu is None:
            self._menu = build_menu(self._appbuilder)
        return self._menu

    def breadcrumbs(self, title=None):
        return breadcrumbs(self.menu, title)

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
