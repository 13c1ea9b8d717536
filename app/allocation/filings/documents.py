"""保障性租赁住房配租登记记录 (seed 002 §6.1 导出pdf "便于用户查看登记编号与下载打印"): one
declaration that app/core/documents.py renders as a Chinese PDF and as a print view, with a
QR code to the plan's public page.

The applicant's own name is printed in full; the ID number keeps only its last 4 characters
even for its owner: a printed paper travels."""
from flask_babel import gettext as _

from app.allocation import labels as L
from app.allocation.plans.models import PlanStatus
from app.allocation.registrations import services as registrations
from app.allocation.registrations.models import RegStatus
from app.core import masking
from app.core.documents import Document, Fields, Table, Text

DRAWN_STATES = (PlanStatus.DRAWN, PlanStatus.RESULTS, PlanStatus.FINISHED)


def reason_text(reg):
    """不通过原因 as the applicant reads it: the review's reason, the screening's reasons, or
    the human review's decision when it upheld the refusal."""
    if reg.status == RegStatus.REJECTED and reg.review_reason:
        return reg.review_reason
    if reg.status == RegStatus.APPEAL_DENIED:
        return reg.appeal_reason or "；".join(reg.reasons or [])
    if reg.status in (RegStatus.REFUSED, RegStatus.APPEALED) and reg.reasons:
        return "；".join(reg.reasons)
    return ""


def result_text(reg):
    """摇号结果 and 选房顺序号 once the plan is drawn, else ''."""
    if not reg.draw_result or reg.plan.status not in DRAWN_STATES:
        return ""
    if reg.draw_order:
        return _("%(result)s, selection order %(order)s", result=reg.draw_result_label, order=reg.draw_order)
    return reg.draw_result_label


def record_document(reg, plan_page_url):
    """The record of one registration; ``plan_page_url`` (absolute) is what the QR code opens."""
    plan = reg.plan
    rows = [
        (_("Registration number"), reg.number or _("None (not registered)")),
        (_("Progress"), registrations.progress_text(reg)),
        (_("Allocation plan"), plan.title, True),
        (_("Preferred project"), reg.project.name if reg.project is not None else _("Not chosen"), True),
        (_("Applicant"), reg.name),
        (_("ID number"), masking.mask("id_number", reg.id_number)),
        (_("Family size"), reg.family_size),
        (_("Registration time"), reg.registered_at or reg.created_on),
        (_("Lottery result"), result_text(reg) or (_("Not drawn yet") if reg.status in (
            RegStatus.PENDING, RegStatus.APPROVED) else _("None")), True),
    ]
    reason = reason_text(reg)
    if reason:
        rows.append((_("Reason not passed"), reason, True))
    history = [[e.at.strftime("%Y-%m-%d %H:%M") if e.at else "", L.label(L.REG_ACTION_LABELS, e.action),
                L.label(L.REG_STATUS_LABELS, e.status), e.reason or ""]
               for e in sorted(reg.events, key=lambda e: (e.at, e.id))]
    note = _("Scan the QR code or open %(url)s to read the plan's announcement, the eligible list and the "
             "lottery results. Keep the registration number: the lists published for the plan name "
             "registrations only by it.", url=plan_page_url)
    footer = [plan.org.name] if plan.org is not None else []
    if plan.contact_phone:
        footer.append(_("Service phone: %(phone)s", phone=plan.contact_phone))
    return Document(
        title=_("Affordable rental housing allocation registration record"), number=reg.number,
        sections=[
            Fields(rows, columns=4),
            Table([_("Time"), _("Action"), _("Progress"), _("Reason")], history, title=_("History"),
                  widths=[3, 3, 3, 6]),
            Text(note),
        ],
        qr=plan_page_url, footer=footer,
    )
