"""租赁房源核验告知单: a passed listing verification as one declaration that app/core/documents.py
renders as a Chinese PDF and as a print view, with a QR code to the public confirmation page
(/rental/listing/<房源识别码>). Owners appear as the viewer may see them."""
from flask_babel import gettext as _

from app.core import masking
from app.core.documents import Document, Fields, Text, should_mask
from app.rental.registry import services as registry
from app.rental.verification import services
from app.system import dicts


def verifier_org_name(verification):
    """核验机构: the organisation whose account verified, else the platform itself."""
    if verification.org is not None:
        return verification.org.name
    return _("Housing rental supervision platform")


def owners_text(verification, hide):
    names = [(o or {}).get("name") or "" for o in (verification.owners or [])]
    return "、".join(masking.mask("name", n) if hide else n for n in names)


def notice_document(verification, public_url, mask=None):
    """The 告知单 of a passed verification; ``public_url`` is what the QR code opens.
    ``mask``: None masks the owners unless the viewer holds the full-value permission."""
    v = verification
    hide = should_mask(mask)
    result = _("Listing verified") if services.is_valid(v) else _("Listing verified (expired)")
    rows = [
        (_("Listing code"), v.code), (_("Verification result"), result),
        (_("Property region"), registry.region_text(v.region_code, v.street_code)),
        (_("Title document type"), dicts.label("property_cert_type", v.cert_type)),
        (_("Property address"), v.address or "", True),
        (_("Title certificate number"), v.cert_no, True),
        (_("Owners"), owners_text(v, hide), True),
        (_("Verifying organisation"), verifier_org_name(v), True),
        (_("Verification time"), v.created_on), (_("Valid until"), v.valid_until),
    ]
    notice = _(
        "This notice only certifies that, at the time of verification, the title registration of the property "
        "agreed with the certificate and owners stated. It is valid until %(until)s; the property may be let and "
        "published as a rental listing under the listing code above until then. Scan the QR code or open "
        "%(url)s to confirm the listing code.", until=v.valid_until.strftime("%Y-%m-%d") if v.valid_until else "",
        url=public_url)
    return Document(
        title=_("Rental listing verification notice"), number=v.code,
        sections=[Fields(rows, columns=4), Text(notice, title=_("Notice to the parties"))],
        qr=public_url, footer=[verifier_org_name(v)],
    )
