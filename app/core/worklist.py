"""The home page's work list: 待办 (counts of what waits for the user, each linking to the list
filtered to exactly those rows) and 快捷入口 (shortcuts). No domain knowledge: each module
registers its providers and shortcuts from its ``register(appbuilder)`` function::

    worklist.register_todo("complaints.overdue", overdue_todos, ("can_list", "ComplaintView"))
    worklist.register_shortcut("staff", _l("Staff"), "fa-id-badge", endpoint="StaffView.list",
                               permission=("can_list", "StaffView"))

A provider is ``fn(user) -> [Todo, ...]``; it runs only for a user who holds its permission
(``appbuilder.sm.has_access(permission, view)``), so a role never pays for, nor sees, the
counts of another role. Providers count in the user's data scope (app/core/scope.py) and
cheaply: an indexed COUNT, or :func:`capped_count` where a count could reach far.

Links are built by :func:`list_url` from a view's own filters (found by their ``arg_name``),
so a link says in the list's own words which rows it means, and stays right when a view's
filter order changes.

Cards (信息卡) sit above the 待办: a fact about the user's own organisation rather than a count
of work, e.g. the enterprise's credit level and score, or a warning. ``fn(user) -> Card | None``::

    worklist.register_card("credit.score", score_card, ("can_show", "CreditScoreView"), when=of_an_enterprise)
"""
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app, url_for
from sqlalchemy import func, literal, select

log = logging.getLogger(__name__)

LEVELS = ("info", "warning", "danger")
# A count past this many rows shows as "CAP+": the home page never counts a whole large table.
DEFAULT_CAP = 9999


@dataclass
class Todo:
    key: str
    label: object            # lazy Chinese label
    count: int
    url: str | None = None
    level: str = "info"
    group: object = None     # lazy label of the card group
    capped: bool = False     # the count stopped at the cap: shown as "N+"

    @property
    def shown(self):
        return f"{self.count}+" if self.capped else str(self.count)


@dataclass
class TodoProvider:
    key: str
    fn: object
    permission: tuple        # (permission name, view name), or None for any signed-in user
    order: int = 100
    when: object = None      # optional fn(user) -> bool: e.g. only a user of an enterprise


@dataclass
class Shortcut:
    key: str
    label: object
    icon: str                # font-awesome 4 name, e.g. "fa-users"
    endpoint: str | None = None
    url: str | None = None
    permission: tuple | None = None
    order: int = 100
    values: dict = field(default_factory=dict)
    when: object = None

    @property
    def href(self):
        if self.url:
            return self.url
        return url_for(self.endpoint, **self.values)


@dataclass
class Card:
    title: object            # lazy label, e.g. 信用等级 · 信用分
    value: str               # the big text, e.g. "AAA · 92"
    detail: object = None    # one line under it
    url: str | None = None
    level: str = "info"      # one of LEVELS
    key: str = ""            # filled in from the registration


@dataclass
class CardProvider:
    key: str
    fn: object
    permission: tuple | None = None
    order: int = 100
    when: object = None


_PROVIDERS: dict[str, TodoProvider] = {}
_SHORTCUTS: dict[str, Shortcut] = {}
_CARDS: dict[str, CardProvider] = {}


def register_todo(key, fn, permission, order=100, when=None):
    """Register ``fn(user) -> [Todo]`` run for users holding ``permission`` = (name, view)
    (and for whom ``when(user)`` holds, if given: the system administrator holds every
    permission, but has no enterprise filing of their own)."""
    _PROVIDERS[key] = TodoProvider(key, fn, permission, order, when)


def register_shortcut(key, label, icon, endpoint=None, url=None, permission=None, order=100, when=None,
                      **values):
    """A 快捷入口 to ``endpoint`` (with ``values``) or ``url``, shown to users holding
    ``permission`` (None: every signed-in user) and, if given, for whom ``when(user)`` holds."""
    if not endpoint and not url:
        raise ValueError("a shortcut needs an endpoint or a url")
    _SHORTCUTS[key] = Shortcut(key, label, icon, endpoint, url, permission, order, values, when)


def register_card(key, fn, permission=None, when=None, order=100):
    """Register ``fn(user) -> Card | None``, shown above the 待办 to users holding ``permission``
    (None: every signed-in user) and, if given, for whom ``when(user)`` holds."""
    _CARDS[key] = CardProvider(key, fn, permission, order, when)


def providers():
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.key))


def _allowed(entry, user):
    if entry.permission is not None and not current_app.appbuilder.sm.has_access(*entry.permission):
        return False
    return entry.when is None or bool(entry.when(user))


def todos_for(user):
    """The user's 待办 in display groups: ``[(group label, [Todo, ...]), ...]``."""
    if user is None:
        return []
    groups = {}
    for provider in providers():
        if not _allowed(provider, user):
            continue
        try:
            items = provider.fn(user) or []
        except Exception:
            # One broken provider must not take the home page down with it.
            log.exception("worklist provider %s failed", provider.key)
            from app.extensions import db

            db.session.rollback()
            continue
        for item in items:
            groups.setdefault(str(item.group or ""), (item.group, []))[1].append(item)
    return [(label, items) for label, items in groups.values()]


def cards_for(user):
    """The user's cards, in order; a card provider that fails is logged and left out."""
    if user is None:
        return []
    out = []
    for provider in sorted(_CARDS.values(), key=lambda p: (p.order, p.key)):
        if not _allowed(provider, user):
            continue
        try:
            card = provider.fn(user)
        except Exception:
            log.exception("worklist card %s failed", provider.key)
            from app.extensions import db

            db.session.rollback()
            continue
        if card is None:
            continue
        card.key = card.key or provider.key
        if card.level not in LEVELS:
            card.level = "info"
        out.append(card)
    return out


def shortcuts_for(user):
    if user is None:
        return []
    out = []
    for sc in sorted(_SHORTCUTS.values(), key=lambda s: (s.order, s.key)):
        if not _allowed(sc, user):
            continue
        try:
            sc.href  # noqa: B018  (an endpoint not registered in this app is left out)
        except Exception:
            continue
        out.append(sc)
    return out


# --- counting --------------------------------------------------------------------------

def capped_count(stmt, cap=DEFAULT_CAP, session=None):
    """``(n, capped)``: the number of rows ``stmt`` (a SELECT) returns, counting at most
    ``cap`` + 1 of them (``SELECT count(*) FROM (... LIMIT cap+1)``)."""
    from app.extensions import db

    session = session or db.session
    inner = stmt.with_only_columns(literal(1)).order_by(None).limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return (cap, True) if n > cap else (n, False)


# --- links -----------------------------------------------------------------------------

def _view(name):
    for view in current_app.appbuilder.baseviews:
        if view.__class__.__name__ == name:
            return view
    raise LookupError(name)


def filter_arg(view_name, column, arg_name):
    """The URL argument ``_flt_<i>_<column>`` selecting the filter ``arg_name`` of a list view."""
    view = _view(view_name)
    filters = view._filters._all_filters.get(column) or []
    for index, flt in enumerate(filters):
        if flt.arg_name == arg_name:
            if index > 9:   # FAB reads one digit
                break
            return f"_flt_{index}_{column}"
    raise LookupError(f"{view_name}.{column} has no filter {arg_name}")


def list_url(view_name, *filters, endpoint="list", **args):
    """The URL of ``view_name``'s list filtered by ``(column, arg_name, value)`` triples."""
    query = [(filter_arg(view_name, col, arg), value) for col, arg, value in filters]
    query += list(args.items())
    base = url_for(f"{view_name}.{endpoint}")
    return base + ("?" + urlencode(query) if query else "")
