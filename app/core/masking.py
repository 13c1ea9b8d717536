"""Server-side masking of personal data.

Mask before a value leaves the server for a user without :data:`PERM_VIEW_FULL`;
never rely on the browser to hide it.  All functions accept ``None``, strings
and other values (converted with ``str``) and return a string.
"""

from __future__ import annotations

from collections.abc import Callable

#: Permission that lifts masking (checked by the view layer).
PERM_VIEW_FULL = "can_view_full_pii"

MASK_CHAR = "*"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def mask_id_number(value) -> str:
    """Keep only the last 4 characters: ``'**************0021'``."""
    text = _text(value)
    if len(text) <= 4:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 4) + text[-4:]


def mask_mobile(value) -> str:
    """First 3 + stars + last 4 (``'177****1234'``) when longer than 7
    characters; otherwise keep only the last 2 (nothing if 2 or fewer)."""
    text = _text(value)
    if len(text) > 7:
        return text[:3] + MASK_CHAR * (len(text) - 7) + text[-4:]
    if len(text) <= 2:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 2) + text[-2:]


def mask_name(value) -> str:
    """``'张小三'`` -> ``'张*三'``, ``'张三'`` -> ``'张*'``, one character unchanged.

    Names of 3+ characters keep their first and last character around a
    single star (the length is not revealed); this covers compound Chinese
    surnames and Latin names (``'John Smith'`` -> ``'J*h'``) alike.
    """
    text = _text(value)
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + MASK_CHAR
    return text[0] + MASK_CHAR + text[-1]


def mask_generic(value) -> str:
    """Keep the first and last character, star the others (length kept)."""
    text = _text(value)
    if len(text) <= 1:
        return MASK_CHAR * len(text)
    if len(text) == 2:
        return text[0] + MASK_CHAR
    return text[0] + MASK_CHAR * (len(text) - 2) + text[-1]


MASKERS: dict[str, Callable[[object], str]] = {
    "id_number": mask_id_number,
    "mobile": mask_mobile,
    "name": mask_name,
    "generic": mask_generic,
}


def mask(kind: str, value) -> str:
    """Mask ``value`` with the rule named ``kind`` (a key of :data:`MASKERS`)."""
    try:
        masker = MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown mask kind {kind!r}; expected one of {sorted(MASKERS)}") from None
    return masker(value)
