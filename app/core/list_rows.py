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
import re

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
    confirm = Markup(escape(gettext("Delete “%(name)s”? This cannot be undone.", name="\x00")))
    delete_tail = (f'" class="anju-inline-form" data-confirm="{{confirm}}">'
                   f'<input type="hidden" name="csrf_token" value="{escape(row_csrf)}">'
                   f'<button type="submit" class="btn btn-link btn-xs text-danger">{escape(gettext("Delete"))}'
                   f'</button></form>')
    out = []
    add = out.append
    for number, (item, pk) in enumerate(zip(value_columns, pks), start=first + 1):
        quoted = url_quote(str(pk))
        show_url = escape(show_pattern.replace("{pk}", quoted)) if show_pattern else None
        add("<tr>")
        if checkboxes:
            add(f'<td class="anju-col-check"><input class="action_check" name="rowid" value="{escape(pk)}" '
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
            add(f'<td class="anju-long" title="{escape(text)}">' if len(text) > wrap_at else "<td>")
            if is_key and show_url:
                add(f'<a href="{show_url}" class="anju-key">'
                    f'{escape(pk) if cell is None or cell == "" else escape(cell)}</a>')
            elif cell is not None:
                add(escape(cell))
            add("</td>")
        if row_links:
            add('<td class="anju-col-actions">')
            if show_url:
                add(f'<a class="btn btn-link btn-xs" href="{show_url}{view_link}')
            if edit_pattern:
                add(f'<a class="btn btn-link btn-xs" href="{escape(edit_pattern.replace("{pk}", quoted))}{edit_link}')
            if delete_pattern:
                named = confirm.replace("\x00", escape(name or f"#{pk}"))
                add(f'<form method="post" action="{escape(delete_pattern.replace("{pk}", quoted))}'
                    + delete_tail.replace("{confirm}", named))
            add("</td>")
        add("</tr>")
    return Markup("".join(out))
