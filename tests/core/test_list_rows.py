"""The list rows written in Python (app/core/lists/rows.py): every cell escaped once, HTML a
formatter returns kept, long cells with their whole text as the tooltip, the key column linked
(its number when empty), 序号 over pages, and the delete dialog naming the record safely."""
import re

from markupsafe import Markup

from app.core.lists import rows as list_rows

ANJU = {"key_column": "name", "wrap_at": 10, "show_url": "/x/show/{pk}", "edit_url": "/x/edit/{pk}",
        "delete_url": "/x/delete/{pk}"}


def _render(app, rows, **kw):
    args = dict(checkboxes=True, can_show=True, can_edit=True, can_delete=True, first=40, row_csrf="tok")
    args.update(kw)
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        return str(list_rows.render(rows, [r["id"] for r in rows], ["name", "note", "badge"],
                                    {"badge": lambda v: Markup("<b>%s</b>") % v if v else None},
                                    ANJU, **args))


def test_cells_are_escaped_once_and_formatted_html_is_kept(app):
    html = _render(app, [{"id": 7, "name": '<img src=x onerror="1">', "note": "a&b", "badge": "<i>"}])
    assert "<img" not in html and "&lt;img src=x onerror=&#34;1&#34;&gt;" in html
    assert "<td>a&amp;b</td>" in html
    assert "<b>&lt;i&gt;</b>" in html          # the formatter's markup stays, its value escaped
    # the name is long: its tooltip is the whole text, escaped
    assert 'class="anju-long" title="&lt;img src=x onerror=&#34;1&#34;&gt;"' in html
    # the delete dialog names the record, escaped inside the attribute
    confirm = re.search(r'data-confirm="([^"]*)"', html).group(1)
    assert "&lt;img" in confirm and "<" not in confirm
    assert 'name="csrf_token" value="tok"' in html


def test_numbers_links_and_buttons(app):
    html = _render(app, [{"id": 1, "name": "甲", "note": None, "badge": None},
                         {"id": 2, "name": "", "note": "短", "badge": "x"}])
    assert re.findall(r'<td class="anju-col-no">(\d+)</td>', html) == ["41", "42"]
    assert '<a href="/x/show/1" class="anju-key">甲</a>' in html
    assert '<a href="/x/show/2" class="anju-key">2</a>' in html     # an empty key shows the number
    assert html.count('class="action_check" name="rowid" value="1"') == 1
    assert "删除「#2」" in html          # no name: the dialog names the number
    assert ">查看</a>" in html and ">编辑</a>" in html and ">删除</button>" in html


def test_what_the_viewer_may_not_do_is_not_offered(app):
    html = _render(app, [{"id": 3, "name": "乙", "note": "", "badge": None}], checkboxes=False,
                   can_show=False, can_edit=False, can_delete=False)
    assert "action_check" not in html and "anju-key" not in html and "anju-col-actions" not in html
    assert "/x/" not in html and "<td>乙</td>" in html
