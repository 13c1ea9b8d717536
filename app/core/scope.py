"""Data scope: the ONE place that turns (user, model) into a query filter.

A model declares how its rows are owned with ``__scope__``::

    __scope__ = {"org": "org_id", "region": "region_code", "owner": "created_by_fk"}

``org`` names the column holding the owning organisation's id, ``region`` the column
holding a GB/T 2260 code (or ``"org.region_code"``: the region of the owning
organisation; or a function ``fn(prefix) -> clause`` for rows whose region is reached
through other tables), ``owner`` the column holding the owning user's id, ``area`` the column holding the id of
the property area a row belongs to (or a function ``fn(area_ids_select) -> clause``). A user's reach comes
from the widest data scope of their roles (app/security/roles.py):

* all     - no restriction;
* region  - rows whose region code lies inside the user's organisation's region;
* org     - rows of the user's organisation;
* area    - rows of the property areas the user leads (a project lead), plus own rows;
            the areas come from the source the property module registers
            (:func:`register_area_source`); a model without ``area`` falls back to own;
* own     - rows the user owns;
* none    - nothing (anonymous users, users without a role or an organisation).

Lists, detail, edit, delete, bulk actions, export, related dropdowns and the REST API
all call :func:`scope_clause` through the base classes in app/core/views.py.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, false, select

from app.security.roles import (
    SCOPE_ALL,
    SCOPE_AREA,
    SCOPE_NONE,
    SCOPE_ORG,
    SCOPE_OWN,
    SCOPE_REGION,
    data_scope,
)


@dataclass(frozen=True)
class UserScope:
    level: str
    user_id: int | None = None
    org_id: int | None = None
    region_prefix: str | None = None


def current_user_obj():
    """The acting user (session, JWT or API key), or None. Kept for the rest of the request
    while the signed-in user stays the same (a page asks a dozen times; signing in or out
    within the request asks again)."""
    from flask.globals import _cv_app, _cv_request

    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    known = app_ctx.g.__dict__
    override = known.get("scope_user")
    if override is not None or _cv_request.get(None) is None:
        return override
    memo = known.get("_anju_scope_user")
    if memo is not None and memo[0] is known.get("_login_user"):
        return memo[1]
    try:
        user = current_app.appbuilder.sm.current_user
    except Exception:  # pragma: no cover - no security manager yet
        return None
    if hasattr(user, "_get_current_object"):    # the current_user proxy: the user itself
        user = user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        user = None
    known["_anju_scope_user"] = (known.get("_login_user"), user)
    return user


def user_scope(user):
    """Resolve a user's data scope from their roles and organisation."""
    from app.system.models import region_prefix

    if user is None or not getattr(user, "is_authenticated", False):
        return UserScope(SCOPE_NONE)
    names = [r.name for r in user.roles]
    if current_app.config.get("AUTH_ROLE_ADMIN") in names:
        return UserScope(SCOPE_ALL, user.id, getattr(user, "org_id", None))
    level = data_scope(names)
    org = getattr(user, "org", None)
    org_id = getattr(user, "org_id", None)
    prefix = region_prefix(org.region_code) if org is not None else None
    if level == SCOPE_REGION and not prefix:
        level = SCOPE_NONE
    if level == SCOPE_ORG and not org_id:
        level = SCOPE_OWN
    return UserScope(level, user.id, org_id, prefix)


def prefix_range(column, prefix):
    """``column LIKE 'prefix%'`` written as a range, so a B-tree index serves it everywhere."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def _region_clause(model, spec_region, prefix, spec=None, walk=False):
    from sqlalchemy import func

    from app.system.models import Organization

    if spec_region is None:
        return None
    if walk and (spec or {}).get("region_walk"):
        # A model reached through other tables may also give a per-row test (EXISTS): a
        # first page walks the list's order and stops after a page, instead of building the
        # region's whole id set first (see scope_clause). None: the set form is cheaper here.
        clause = spec["region_walk"](prefix)
        if clause is not None:
            return clause
    if callable(spec_region):
        # A model whose region is reached through other tables (staff through the areas
        # they work in) gives a function of the prefix.
        return spec_region(prefix)
    spec = spec or {}
    # Large tables may name, per prefix length, a column holding exactly that level
    # (e.g. {6: "district_code", 9: "street_code"}): equality there lets an index on
    # (column, submitted_at) serve a whole list page without sorting.
    exact = (spec.get("region_exact") or {}).get(len(prefix))
    if exact:
        return getattr(model, exact) == prefix
    if spec.get("region_unindexed"):
        # A city-wide prefix matches most rows: an unindexable test lets the planner walk
        # the list's order index and stop after one page, instead of sorting the city.
        column = getattr(model, spec_region)
        return func.substr(column, 1, len(prefix)) == prefix
    if spec_region.startswith("org."):
        org_col = getattr(model, model.__scope__["org"])
        sub = select(Organization.id).where(prefix_range(Organization.region_code, prefix))
        return org_col.in_(sub)
    return prefix_range(getattr(model, spec_region), prefix)


_AREA_SOURCE = None


def register_area_source(fn):
    """``fn(user_id)`` returns a SELECT of the ids of the property areas the user leads."""
    global _AREA_SOURCE
    _AREA_SOURCE = fn


def _area_clause(model, spec, scope):
    column = spec.get("area")
    if not column or _AREA_SOURCE is None or not scope.user_id:
        return None
    if callable(column):
        # Rows linked to areas through another table: a function of the led areas' SELECT.
        clause = column(_AREA_SOURCE(scope.user_id))
    else:
        clause = getattr(model, column).in_(_AREA_SOURCE(scope.user_id))
    owner = spec.get("owner")
    if owner:
        # "in my areas OR mine" as one id set built from two indexed lookups: an OR
        # across two columns makes SQLite scan the whole table for the count.
        pk = model.__mapper__.primary_key[0]
        ids = select(pk).where(clause).union(select(pk).where(getattr(model, owner) == scope.user_id))
        clause = pk.in_(ids)
    return clause


def scope_clause(model, user=None, walk=False):
    """A SQL clause limiting ``model`` to what ``user`` may see; None means everything.

    ``walk``: the clause serves a query that reads rows in the list's order and stops after
    a few (a first page), so a model's per-row form (``__scope__["region_walk"]``) is
    cheaper there than its set form; both select the same rows."""
    spec = getattr(model, "__scope__", None)
    if user is None:
        user = current_user_obj()
    scope = user_scope(user)
    if scope.level == SCOPE_ALL:
        return None
    if spec is None:
        # Reference data without an owner (regions, dictionaries) is visible to staff.
        return None if scope.level != SCOPE_NONE else false()
    if scope.level == SCOPE_REGION:
        clause = _region_clause(model, spec.get("region"), scope.region_prefix, spec, walk=walk)
        if clause is not None:
            return clause
        scope = UserScope(SCOPE_ORG, scope.user_id, scope.org_id)
    if scope.level == SCOPE_ORG:
        org = spec.get("org")
        if org and scope.org_id:
            # A callable builds the clause itself (a row that belongs to several organisations).
            return org(scope.org_id) if callable(org) else getattr(model, org) == scope.org_id
        scope = UserScope(SCOPE_OWN, scope.user_id)
    if scope.level == SCOPE_AREA:
        clause = _area_clause(model, spec, scope)
        if clause is not None:
            return clause
        scope = UserScope(SCOPE_OWN, scope.user_id)
    if scope.level == SCOPE_OWN and spec.get("owner") and scope.user_id:
        return getattr(model, spec["owner"]) == scope.user_id
    return false()


def apply_scope(query, model, user=None, walk=False):
    """Apply the scope to a legacy Query or a 2.0 Select."""
    clause = scope_clause(model, user, walk=walk)
    if clause is None:
        return query
    return query.filter(clause) if hasattr(query, "filter") else query.where(clause)


def can_see(obj, user=None, session=None):
    """True if ``obj`` lies inside the user's scope (checks one loaded row)."""
    from app.extensions import db

    session = session or db.session
    model = type(obj)
    clause = scope_clause(model, user)
    if clause is None:
        return True
    pk = model.__mapper__.primary_key[0]
    stmt = select(pk).where(pk == getattr(obj, pk.key)).where(clause)
    return session.execute(stmt).first() is not None


def stamp(obj, user=None):
    """Fill a new row's owning organisation and region from the acting user when empty."""
    spec = getattr(type(obj), "__scope__", None)
    if not spec:
        return
    if user is None:
        user = current_user_obj()
    if user is None:
        return
    org_col = spec.get("org")
    if isinstance(org_col, str) and org_col != "id" and getattr(obj, org_col, None) is None:
        setattr(obj, org_col, getattr(user, "org_id", None))
    region_col = spec.get("region")
    if region_col and "." not in region_col and getattr(obj, region_col, None) is None:
        org = getattr(user, "org", None)
        if org is not None:
            setattr(obj, region_col, org.region_code)
