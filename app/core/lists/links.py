"""The links of a list page that only change one query argument: sort by a column, another
page, another page size (the template filters ``link_order``, ``link_page`` and
``link_page_size`` that FAB's list templates use).

FAB builds each through ``url_for`` with the request's arguments copied again: about 25 route
builds on every list page (a column header each, a page size each, a page number each). Here
the page's own URL and its arguments are read once per request and each link only changes its
one argument: the same URLs as FAB's (the view's arguments in the path, then the query's in
their order, the first value of a repeated one, the changed one in place or last, encoded as
werkzeug encodes a query)."""
from urllib.parse import urlencode

from flask import request, url_for

#: What werkzeug leaves unescaped in a query (werkzeug.urls._urlencode).
_SAFE = "!$'()*,/:;?@"


def _parts():
    """(the page's path, its query arguments as (name, value) pairs), once per request."""
    req = request._get_current_object()
    parts = getattr(req, "_anju_list_links", None)
    if parts is None:
        view_args = req.view_args or {}
        values = {**view_args, **req.args.to_dict()}
        base = url_for(req.endpoint, **{k: values[k] for k in view_args})
        parts = (base, [(k, v) for k, v in values.items() if k not in view_args])
        req._anju_list_links = parts
    return parts


def _link(changes):
    base, query = _parts()
    items = dict(query)
    items.update(changes)
    pairs = [(k, v) for k, v in items.items() if v is not None]
    return base + "?" + urlencode(pairs, safe=_SAFE) if pairs else base


def link_order(column, modelview_name):
    """Sort by ``column``: ascending, or the other way round when the list is sorted already
    (FAB's rule: it turns on the current direction, not on which column is sorted)."""
    oc, od = "_oc_" + modelview_name, "_od_" + modelview_name
    args = request.args
    direction = ("desc" if args.get(od) == "asc" else "asc") if oc in args else "asc"
    return _link({oc: column, od: direction})


def link_page(page, modelview_name):
    return _link({"page_" + modelview_name: page})


def link_page_size(page_size, modelview_name):
    return _link({"psize_" + modelview_name: page_size})


def install(app):
    """Put these in place of FAB's filters of the same names (after AppBuilder's init)."""
    app.jinja_env.filters["link_order"] = link_order
    app.jinja_env.filters["link_page"] = link_page
    app.jinja_env.filters["link_page_size"] = link_page_size
