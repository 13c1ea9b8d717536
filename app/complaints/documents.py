"""The 处理单 of a complaint: its facts, the handling and every step, as one declaration
that app/core/documents.py renders as a Chinese PDF and as a print view."""
from flask_babel import gettext as _

from app.complaints import services
from app.core import masking
from app.core.documents import Document, Fields, Table, Text, should_mask


def _region(area_part):
    return area_part.name if area_part is not None else ""


def handling_sheet(complaint, mask=None):
    """``mask``: None masks the complainant's ID number, mobile and name unless the viewer
    holds the PII permission; True/False force it."""
    c = complaint
    hide = should_mask(mask)
    name = masking.mask("name", c.name) if hide else c.name
    mobile = masking.mask("mobile", c.mobile) if hide else c.mobile
    id_number = masking.mask("id_number", c.id_number) if hide else c.id_number
    facts = [
        (_("Number"), c.number), (_("Handling status"), services.status_label(c.status)),
        *((
            (_("Request type"), services.kind_label(c.kind)),
            (_("Rental enterprise"), c.org.name if c.org else ""),
            (_("Contract number or listing code"), c.subject_number or ""),
        ) if c.kind == services.Kind.RENTAL else (
            (_("Property management area"), c.area.name if c.area else ""),
            (_("Property service company"), c.org.name if c.org else ""),
        )),
        (_("Administrative division"), _region(c.district)), (_("Street"), _region(c.street)),
        (_("Complainant"), name), (_("Mobile"), mobile),
        (_("ID number"), id_number), (_("Submitted at"), c.submitted_at),
        (_("Address"), c.address, True),
        (_("Due at"), c.due_at), (_("Remaining handling time"), services.remaining(c)),
    ]
    handling = [
        (_("Accepted at"), c.accepted_at), (_("Handled at"), c.handled_at),
        (_("Refused") if c.refused else _("Handling result"), c.result or "", True),
        (_("Closed at"), c.closed_at),
        (_("Satisfaction"), f"{c.satisfaction} / 5" if c.satisfaction else ""),
        (_("Evaluation"), c.evaluation or "", True),
    ]
    history = [
        [e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "", services.action_label(e.action),
         services.status_label(e.to_status),
         (masking.mask("name", e.actor_name) if hide else e.actor_name) if e.actor_name else "", e.note or ""]
        for e in c.events
    ]
    return Document(
        title=_("Request handling sheet"), number=c.number,
        sections=[
            Fields(facts, columns=4, title=_("Request")),
            Text(c.content, title=_("Content")),
            Fields(handling, columns=4, title=_("Handling")),
            Table([_("Time"), _("Operation"), _("Result"), _("By"), _("Note")], history,
                  title=_("History"), widths=[3.2, 2.4, 2.4, 2, 5]),
        ],
        qr=c.number,
    )
