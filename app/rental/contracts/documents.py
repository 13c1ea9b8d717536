"""The printed 住房租赁合同 (print view and PDF, app/core/documents.py): the contract's facts,
the full text as the preview shows it, and a QR code with the check code pointing at the
public 合同验证 page. Personal data pass through the viewer's masking."""
from flask import has_request_context, request
from flask_babel import gettext as _

from app.core import masking
from app.core.documents import Document, Fields, Table, Text, should_mask
from app.rental.contracts import services
from app.system import dicts


def check_url(contract):
    """The absolute address of the public check page (the QR code's content)."""
    path = services.check_path(contract)
    if path is None:
        return None
    root = request.host_url.rstrip("/") if has_request_context() else ""
    return root + path


def contract_document(contract, mask=None):
    """``mask``: None masks names, ID numbers and mobiles unless the viewer holds the PII
    permission; True/False force it."""
    hide = should_mask(mask)

    def person(kind, value):
        return masking.mask(kind, value) if hide and value else (value or "")

    c = contract
    lessors = "、".join(person("name", n) for n in (c.lessor_names or "").split("、") if n)
    facts = [
        (_("Contract number"), c.number or _("(given at signing)")), (_("Check code"), c.check_code or ""),
        (_("Status"), services.status_label(c.status)),
        (_("Listing code"), c.verification.code if c.verification is not None else ""),
        (_("Address"), c.address or "", True),
        (_("Title certificate number"), c.cert_no or ""), (_("Lessor"), lessors),
        (_("Monthly rent (yuan)"), f"{c.rent:.2f}" if c.rent is not None else ""),
        (_("Deposit (yuan)"), f"{c.deposit:.2f}" if c.deposit is not None else ""),
        (_("Term start"), c.start_date), (_("Term end"), c.end_date),
        (_("Enterprise"), c.org.name if c.org is not None else ""), (_("Signed at"), c.signed_at),
    ]
    if c.revoked_at:
        facts += [(_("Revoked at"), c.revoked_at), (_("Reason for revocation"), c.revoke_reason or "", True)]
    tenants = [[t.seq, person("name", t.name), dicts.label("id_type", t.id_type), person("id_number", t.id_number),
                person("mobile", t.mobile)] for t in c.tenants]
    url = check_url(c)
    footer = [_("Check this contract at %(url)s with the check code %(code)s.", url=url, code=c.check_code)] \
        if url else []
    return Document(
        title=_("Residential lease contract"), number=c.number,
        subtitle=_("Check code: %(code)s", code=c.check_code) if c.check_code else None,
        sections=[
            Fields(facts, columns=4, title=_("Contract")),
            Table([_("No."), _("Tenant name"), _("ID type"), _("ID number"), _("Mobile")], tenants,
                  title=_("Tenants"), widths=[1, 3, 3, 5, 4]),
            # render_text masks by the viewer: the same rule as ``hide`` when ``mask`` is None.
            Text(services.render_text(c, viewer_masks=hide), title=_("Contract text")),
        ],
        qr=url, footer=footer,
    )
