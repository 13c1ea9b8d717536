"""Where a delete, an action or 返回 takes the user: worked out from the request itself.

FAB keeps a "back history" of the last pages in the session and writes it on every list,
detail and form page. That signs the session cookie again and sends it with every page, and
every tab of the browser shares the one history: a delete in one tab could land on a list
opened in another, and a delete from a record's own page landed on that page (now a 404).
The console keeps no history. A request that ends in "go back" goes, in this order, to:

1. ``next`` (form or query), when it is a GET page of this site;
2. the page it came from (the Referer, same origin: the console sends it within the site,
   see ``Referrer-Policy`` in app/__init__.py), when that page is a GET page of the console
   and not a page of the very record just deleted or acted on: a list keeps its filters,
   sort and page, and a parent's detail page with its related lists stays where it was;
3. the view's own list, else the home page.

返回 (FAB's ``/back``) goes to the list of the record the page shows; on the page, console.js
points it at that list as this tab last showed it (its filters and page).
"""
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_appbuilder.utils.base import is_safe_redirect_url
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


#: Endpoints that answer GET but are steps, not pages to come back to (FAB's delete and action
#: refuse a GET and go back themselves; 返回 goes back itself).
_NOT_PAGES = frozenset({"delete", "action", "action_post", "back"})


def local_target(url):
    """``url`` as a path of this site (path and query), or None: another host, a scheme other
    than http(s), a protocol-relative ``//host``, control characters, or not a path at all."""
    if not url or not isinstance(url, str) or len(url) > 2000:
        return None
    url = url.strip()
    if not url or "\\" in url or any(ord(ch) < 32 for ch in url) or not is_safe_redirect_url(url):
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_of(url):
    """(endpoint, arguments, local URL) of a GET page of this site at ``url``, else None."""
    target = local_target(url)
    if target is None:
        return None
    parts = urlsplit(target)
    path = parts.path
    root = request.script_root
    if root:
        if not path.startswith(root + "/"):
            return None
        path = path[len(root):]
    try:
        endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    if endpoint in ("static", "appbuilder.static") or endpoint.rsplit(".", 1)[-1] in _NOT_PAGES:
        return None
    return endpoint, args, target


def _acted_on():
    """The keys of the records this request deletes or acts on (the path's ``pk``, the ticked
    rows of a batch action), as text."""
    keys = set()
    if request.view_args and request.view_args.get("pk") is not None:
        keys.add(str(request.view_args["pk"]))
    if request.method == "POST":
        keys.update(str(v) for v in request.form.getlist("rowid"))
    return keys


def own_list(view):
    endpoint = f"{view.endpoint}.list"
    if endpoint in current_app.view_functions:
        return url_for(endpoint)
    return view.appbuilder.get_url_for_index


def _next_page():
    for candidate in (request.form.get("next") if request.method == "POST" else None, request.args.get("next")):
        page = page_of(candidate)
        if page is not None:
            return page
    return None


def back_to(default):
    """A page to go back to: a local ``next`` (form or query), else the page the request came
    from, when either is a GET page of this site; else ``default``."""
    page = _next_page() or page_of(request.referrer)
    return page[2] if page is not None else default


def return_url(view):
    """Where ``view``'s request goes back to (module docstring)."""
    page = _next_page()
    if page is not None:
        return page[2]
    page = page_of(request.referrer)
    if page is not None:
        endpoint, args, target = page
        here = request.full_path.rstrip("?")
        acted = _acted_on()
        same_record = (endpoint.split(".", 1)[0] == view.endpoint and args.get("pk") is not None
                       and str(args["pk"]) in acted)
        if target != here and not same_record:
            return target
    return own_list(view)


def back():
    """FAB's 返回 (``/back``): the list of the record on the page it was clicked on (a local
    ``next`` first), else the home page."""
    page = page_of(request.args.get("next"))
    if page is not None:
        return redirect(page[2])
    page = page_of(request.referrer)
    if page is not None:
        base = page[0].rsplit(".", 1)[0]
        if not page[0].endswith(".list") and f"{base}.list" in current_app.view_functions:
            return redirect(url_for(f"{base}.list"))
    return redirect(current_app.appbuilder.get_url_for_index)


def install(app):
    """Put :func:`back` behind FAB's ``/back`` (UtilView.back)."""
    if "UtilView.back" in app.view_functions:
        app.view_functions["UtilView.back"] = back
