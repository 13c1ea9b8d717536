"""Reading a console list page in tests: the text of its cells, whatever markup (a link on the
key column, a title on a long cell) the base list puts around them."""
import re


def cell_texts(html):
    """The stripped text of every table cell on the page, in order."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", td)).strip()
            for td in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def rows(html):
    """Each body row of the list's table as a list of cell texts."""
    body = html[html.find("<tbody>"):html.find("</tbody>")] if "<tbody>" in html else html
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", td)).strip()
             for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
