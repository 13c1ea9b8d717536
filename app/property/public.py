"""The sections of an area's public page (/area/<public_code>, no login; app/property/areas).

The page itself shows the area (name, address, company, the lead's public contact, the 码上办
link); other parts add what they publish about the area without the page knowing them:
小区动态 (app/property/news), 良好行为申报 in publicity and announced (app/property/honour),
the open satisfaction surveys (app/property/service).

A section is ``fn(area) -> dict | None``: ``{"title": text, "template": "anju/property/....html",
"context": {...}}``, rendered in ``order``; None leaves it out. The template is included in
the page with ``ctx`` (the section's context) and ``section`` (the whole dict). The functions run on every view
of the page: each must be one cheap, indexed query, and show nothing personal.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass
class Section:
    key: str
    order: int
    build: Callable


_SECTIONS = {}


def register_section(key, build, order=50):
    """Add (or replace) the section ``key`` of every area's public page."""
    _SECTIONS[key] = Section(key, order, build)


def sections(area):
    """The sections of ``area``'s page that have something to show, in order."""
    out = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        shown = section.build(area)
        if shown:
            out.append({"key": section.key, **shown})
    return out
