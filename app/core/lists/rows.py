"""The rows of a console list, written in Python (anju/widgets/list.html calls ``render``).

Jinja spends about three function calls per cell through its runtime (a formatter's look-up,
the formatter, the cell's text), plus the filters and escapes around them: on a 50-row page
of 8 columns that is over a thousand calls, about half of a cheap list page's time. This
module writes the same markup with the per-page work (texts, link patterns, the CSRF token,
the columns' formatters) done once and the per-cell work reduced to the formatter and one
escape. What a row holds:

* a tick box (when the view has batch actions), 序号 (the row's number over all pages);
* one cell per list column, the formatter's value escaped (HTML a formatter returns as
  ``Markup`` stays HTML); a cell longer than ``wrap_at`` characters gets ``anju-long`` and its
  whole text as the tooltip; the key column links to the detail page (its number when empty);
* the row's actions as short text buttons: 查看, 编辑, and 删除 as a small POST form whose
  confirmation names the record (the key column's text, else ``#pk``).
"""
import html
import math
import re

from flask import request
from flask_babel import gettext
from jinja2.utils import url_quote
from markupsafe import Markup, escape


_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_TAGS = re.compile(r"<.*?>", re.DOTALL)


def cell_text(value):
    """A list cell as plain text (its length, its tooltip, the record's name in a dialog): the
    text of formatted HTML without its tags, other values as they print; empty for None.
    HTML reads as ``Markup.striptags`` reads it (comments and tags out, white space runs as
    one space, entities as their characters), without making a Markup of each step."""
    if value is None:
        return ""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        text = value.__html__()
        if "<" in text:
            text = _TAGS.sub("", _COMMENTS.sub("", text))
        text = " ".join(text.split())
        return html.unescape(text) if "&" in text else text
    return str(value)


def _e(value):
    """``escape(value)`` as a plain string (markupsafe's rules: HTML stays as it is, text gets
    & < > ' " as entities), without a Markup object made for every cell; the page's rows
    become one Markup at the end."""
    if hasattr(value, "__html__"):
        return value.__html__()
    text = value if isinstance(value, str) else str(value)
    if "&" in text or "<" in text or ">" in text or "'" in text or '"' in text:
        return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
                .replace("'", "&#39;").replace('"', "&#34;"))
    return text


def render(value_columns, pks, include_columns, formatters_columns, anju, *, checkboxes, can_show, can_edit,
           can_delete, first, row_csrf=""):
    """The ``<tr>`` elements of one page, as Markup."""
    show_pattern = anju.get("show_url") if can_show else None
    edit_pattern = anju.get("edit_url") if can_edit else None
    delete_pattern = anju.get("delete_url") if can_delete else None
    row_links = can_show or can_edit or can_delete
    key_column = anju.get("key_column")
    wrap_at = anju.get("wrap_at", 40)
    columns = [(name, formatters_columns.get(name), name == key_column) for name in include_columns]
    t_select = escape(gettext("Select"))
    view_link = f'">{escape(gettext("View"))}</a>'
    edit_link = f'">{escape(gettext("Edit"))}</a>'
    confirm = str(escape(gettext("Delete “%(name)s”? This cannot be undone.", name="\x00")))
    delete_tail = (f'" class="anju-inline-form" data-confirm="{{confirm}}">'
                   f'<input type="hidden" name="csrf_token" value="{escape(row_csrf)}">'
                   f'<button type="submit" class="btn btn-link btn-xs text-danger">{escape(gettext("Delete"))}'
                   f'</button></form>')
    out = []
    add = out.append
    for number, (item, pk) in enumerate(zip(value_columns, pks), start=first + 1):
        quoted = url_quote(str(pk))
        show_url = _e(show_pattern.replace("{pk}", quoted)) if show_pattern else None
        add("<tr>")
        if checkboxes:
            add(f'<td class="anju-col-check"><input class="action_check" name="rowid" value="{_e(pk)}" '
                f'type="checkbox" aria-label="{t_select}"></td>')
        add(f'<td class="anju-col-no">{number}</td>')
        name = ""
        for column, formatter, is_key in columns:
            cell = item[column]
            if formatter is not None:
                cell = formatter(cell)
            if cell is None:
                text = ""
            elif isinstance(cell, str) and not hasattr(cell, "__html__"):
                text = cell
            elif not is_key and hasattr(cell, "__html__") and len(cell.__html__()) <= wrap_at:
                text = ""       # its text is no longer than its HTML: no tooltip, nothing to name
            else:
                text = cell_text(cell)
            if is_key:
                name = text
            add(f'<td class="anju-long" title="{_e(text)}">' if len(text) > wrap_at else "<td>")
            if is_key and show_url:
                add(f'<a href="{show_url}" class="anju-key">'
                    f'{_e(pk) if cell is None or cell == "" else _e(cell)}</a>')
            elif cell is not None:
                add(_e(cell))
            add("</td>")
        if row_links:
            add('<td class="anju-col-actions">')
            if show_url:
                add(f'<a class="btn btn-link btn-xs" href="{show_url}{view_link}')
            if edit_pattern:
                add(f'<a class="btn btn-link btn-xs" href="{_e(edit_pattern.replace("{pk}", quoted))}{edit_link}')
            if delete_pattern:
                named = confirm.replace("\x00", _e(name or f"#{pk}"))
                add(f'<form method="post" action="{_e(delete_pattern.replace("{pk}", quoted))}'
                    + delete_tail.replace("{confirm}", named))
            add("</td>")
        add("</tr>")
    return Markup("".join(out))


# --- the table's head and the pager (the same markup as the template and FAB's macro wrote) ---

def head(include_columns, order_columns, label_columns, modelview_name, *, checkboxes, row_links):
    """The ``<tr>`` of the table head: a tick-all box, 序号, each column's label (a sort link
    with its direction's icon where the column sorts) and 操作."""
    from app.core.lists.links import link_order

    args = request.args
    sorted_by = args.get("_oc_" + modelview_name)
    direction = args.get("_od_" + modelview_name)
    out = ["<tr>"]
    if checkboxes:
        out.append(f'<th class="anju-col-check"><input type="checkbox" class="anju-check-all" '
                   f'aria-label="{_e(gettext("Select all"))}"></th>')
    out.append(f'<th class="anju-col-no">{_e(gettext("No."))}</th>')
    for column in include_columns:
        label = _e(label_columns.get(column, "")) if label_columns.get(column) is not None else ""
        if column in order_columns:
            icon = ("fa-sort-asc" if direction == "asc" else "fa-sort-desc") if sorted_by == column \
                else "fa-sort text-muted"
            out.append(f'<th><a href="{_e(link_order(column, modelview_name))}">{label}\n'
                       f'              <i class="fa {icon}"></i></a></th>')
        else:
            out.append(f"<th>{label}</th>")
    if row_links:
        out.append(f'<th class="anju-col-actions">{_e(gettext("Operations"))}</th>')
    out.append("</tr>")
    return Markup("".join(out))


def page_size_options(page_sizes, page_size, modelview_name):
    """The page-size choice's ``<option>``s, each the link to the list at that size."""
    from app.core.lists.links import link_page_size

    return Markup("".join(
        f'<option value="{_e(link_page_size(size, modelview_name))}"{" selected" if size == page_size else ""}>'
        f"{_e(size)}</option>" for size in page_sizes))


def pagination(page, page_size, count, modelview_name):
    """FAB's page links (lib.html ``render_pagination``): first, previous, up to seven pages
    around this one, next, last; nothing when everything fits on one page."""
    from app.core.lists.links import link_page

    page = page or 0
    pages = int(math.ceil(count / page_size)) if page_size else 0
    if pages <= 1:
        return Markup("")
    low, high = page - 3, page + 3 + 1
    if low < 0:
        high -= low
    if high >= pages:
        low = low - high + pages
    low = max(low, 0)
    high = min(high, pages)

    def item(target, text, enabled=True, active=False):
        if active:
            return f'<li class="active"><a href="#">{text}</a></li>'
        if not enabled:
            return f'<li class="disabled"><a href="#">{text}</a></li>'
        return f'<li><a href="{_e(link_page(target, modelview_name))}">{text}</a></li>'

    out = ['<ul class="pagination pagination-sm" style="display:inherit;">',
           item(0, "&laquo;", low > 0), item(page - 1, "&lt;", page > 0)]
    out.extend(item(p, p + 1, active=(p == page)) for p in range(low, high))
    out.append(item(page + 1, "&gt;", page + 1 < pages))
    out.append(item(pages - 1, "&raquo;", high < pages))
    out.append("</ul>")
    return Markup("".join(out))
