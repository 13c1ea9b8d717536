"""房源核验 in the console (seed 001) and the public confirmation of a 房源识别码.

* ``ListingVerificationView`` (/rental/verification): the verification form (房屋区域, 证件类型,
  产权证号, 产权人姓名, 产权人证件号, 添加产权人) posting to services.verify(); the result page
  (核验通过 with 打印告知单 / 下载PDF / 受理网签, or 核验未通过 with the reasons); the
  租赁房源核验告知单 print view and PDF; the 核验记录 list (scoped: an agent their own, the
  enterprise its own, government by region, a platform its own) with its export.
* ``ListingPublicView`` (/rental/listing): anyone confirms a code: its state (有效 / 已过期), the
  district and street, the valid-until day and the verifying organisation; no personal data,
  no address.

Rules live in app/rental/verification/services.py; the notice in documents.py.
"""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.accounts.models import ID_TYPE_LABELS
from app.core import documents, masking, xlsx
from app.core.errors import DomainError
from app.core.scope import current_user_obj, prefix_range
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.rental.labels import CHANNEL_LABELS, VERIFICATION_RESULT_LABELS
from app.rental.registry import services as registry
from app.rental.verification import services
from app.rental.verification.documents import notice_document, verifier_org_name
from app.rental.verification.models import ListingVerification, VerificationResult
from app.system import dicts
from app.system.models import Organization

WIZARD_URL = "/rental/contracts/wizard/new?verification={id}"
PUBLIC_CACHE = "public, max-age=60"


# --- shown values -------------------------------------------------------------------------

def _label(mapping):
    return lambda code: str(mapping.get(code, code or ""))


def region_cell(v):
    return registry.region_text(v.region_code[:6] if v.region_code else "",
                                v.street_code or (v.region_code if len(v.region_code or "") > 6 else None))


def reasons_cell(v):
    return "；".join(services.reason_texts(v.reasons))


def verifier_cell(v):
    user = v.created_by
    if user is None:
        return ""
    return masking.for_viewer("name", user.get_full_name().strip() or user.username)


def enterprise_cell(v):
    return v.org.name if v.org is not None else ""


def day(value):
    return value.strftime("%Y-%m-%d") if value else ""


def owners_shown(v):
    return [{"name": masking.for_viewer("name", (o or {}).get("name")),
             "id_type": str(ID_TYPE_LABELS.get((o or {}).get("id_type"), (o or {}).get("id_type") or "")),
             "id_number": masking.for_viewer("id_number", (o or {}).get("id_number"))} for o in (v.owners or [])]


def audit_full_view(item):
    """A page, print view or PDF that shows the owners named in full is audited."""
    if masking.viewer_sees_full():
        from app.core import audit
        from app.core.audit import AuditAction

        audit.record(AuditAction.VIEW_PII, "ListingVerification", item.id,
                     summary=_("Full values of: %(columns)s", columns=_("Owners named")), commit=True)


class VerificationInterface(ScopedInterface):
    """The scoped datamodel with the list's computed columns."""

    virtual = {"region_name": region_cell, "reasons_text": reasons_cell, "verifier": verifier_cell,
               "enterprise": enterprise_cell}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)

    def page_options(self, query):
        from sqlalchemy.orm import selectinload

        return query.options(selectinload(ListingVerification.created_by))


# --- filters ------------------------------------------------------------------------------

class FilterRegion(BaseFilter):
    """房屋区域: the district (or street) chosen and everything inside it (an index range)."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value or not value.isdigit():
            return query
        return query.filter(prefix_range(ListingVerification.region_code, value))


class FilterEnterpriseName(BaseFilter):
    """企业: a part of the enterprise's name (no dropdown of every enterprise)."""

    name = _l("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(ListingVerification.org_id.in_(
            select(Organization.id).where(Organization.name.contains(value, autoescape=True))))


def _district_choices():
    return [("", _l("All"))] + [(code, name) for code, name, _s in registry.region_tree(registry.viewer_prefix())]


def _choices(mapping):
    return [("", _l("All"))] + list(mapping.items())


# --- the console ----------------------------------------------------------------------------

class ListingVerificationView(AnjuModelView):
    datamodel = VerificationInterface(ListingVerification)
    route_base = "/rental/verification"
    list_title = _l("Verification records")
    show_title = _l("Listing verification result")
    show_template = "anju/rental/verification/show.html"
    xlsx_title = _l("Verification records")
    base_permissions = ["can_list", "can_show", "can_export", "can_verify"]
    method_permission_name = {"new": "verify", "print_notice": "show", "pdf": "show"}
    label_columns = {
        "code": _l("Listing code"), "result": _l("Verification result"), "reasons_text": _l("Reasons"),
        "region_name": _l("Property region"), "region_code": _l("Property region"),
        "cert_no": _l("Title certificate number"), "verifier": _l("Verified by"), "enterprise": _l("Enterprise"),
        "org": _l("Enterprise"), "created_on": _l("Verification time"), "valid_until": _l("Valid until"),
        "channel": _l("Channel"),
    }
    list_columns = ["code", "result", "reasons_text", "region_name", "cert_no", "verifier", "enterprise",
                    "created_on", "valid_until", "channel"]
    list_key_column = "code"
    search_columns = ["result", "region_code", "created_on", "org", "channel", "cert_no"]
    inline_search_columns = ["result", "region_code", "created_on", "org", "channel"]
    search_filters = {"result": [FilterEqual], "region_code": [FilterRegion], "org": [FilterEnterpriseName],
                      "channel": [FilterEqual]}
    search_form_extra_fields = {
        "result": SelectField(_l("Verification result"), choices=_choices(VERIFICATION_RESULT_LABELS)),
        "region_code": SelectField(_l("Property region"), choices=_district_choices),
        "org": StringField(_l("Enterprise")),
        "channel": SelectField(_l("Channel"), choices=_choices(CHANNEL_LABELS)),
    }
    formatters_columns = {
        "result": _label(VERIFICATION_RESULT_LABELS),
        "channel": _label(CHANNEL_LABELS),
        "valid_until": day,
    }
    base_order = ("id", "desc")

    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns[name]) for name in self.list_columns]

    def export_value(self, row, column):
        fn = self.datamodel.virtual.get(column.key)
        if fn is not None:
            return fn(row)
        if column.key in ("result", "channel"):
            return self.formatters_columns[column.key](getattr(row, column.key))
        return super().export_value(row, column)

    def export_query(self):
        from sqlalchemy.orm import selectinload

        return super().export_query().options(selectinload(ListingVerification.created_by))

    # --- the form ---
    @staticmethod
    def _posted():
        form = request.form
        values = {k: form.get(k, "").strip() for k in ("district", "street", "cert_type", "cert_no")}
        names, types, numbers = form.getlist("owner_name"), form.getlist("owner_id_type"), form.getlist("owner_id_number")
        owners = []
        for i in range(max(len(names), len(numbers))):
            owner = {"name": names[i] if i < len(names) else "",
                     "id_type": types[i] if i < len(types) else "resident_id",
                     "id_number": numbers[i] if i < len(numbers) else ""}
            if owner["name"].strip() or owner["id_number"].strip() or i == 0:
                owners.append(owner)
        return values, owners

    def _form(self, values, owners, failed=None, status=200):
        return self.render_template(
            "anju/rental/verification/form.html", title=_("Listing verification"), values=values,
            owners=owners or [{}], failed=failed, reasons=services.reason_texts(failed.reasons) if failed else [],
            regions=registry.region_tree(), cert_types=dicts.items("property_cert_type"),
            id_types=list(ID_TYPE_LABELS.items()), max_owners=services.MAX_OWNERS,
        ), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            return self._form({}, [{}])
        values, owners = self._posted()
        fields = {"region_code": values["street"] or values["district"], "cert_type": values["cert_type"],
                  "cert_no": values["cert_no"], "owners": owners}
        try:
            row = services.verify(fields, current_user_obj())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._form(values, owners)
        if row.passed:
            flash(_("Listing verified: listing code %(code)s.", code=row.code), "success")
            return redirect(url_for("ListingVerificationView.show", pk=row.id))
        return self._form(values, owners, failed=row)

    # --- the result page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        valid = services.is_valid(item)
        audit_full_view(item)
        return self.render_template(
            self.show_template, title=self.show_title, item=item, valid=valid,
            reasons=services.reason_texts(item.reasons), region=region_cell(item), owners=owners_shown(item),
            cert_type=dicts.label("property_cert_type", item.cert_type), verifier=verifier_cell(item),
            verifier_org=verifier_org_name(item), result_label=_label(VERIFICATION_RESULT_LABELS),
            channel_label=_label(CHANNEL_LABELS), wizard_url=self._wizard_url(item) if valid else None,
            can_verify=self._permitted(self, "can_verify"),
        )

    def _wizard_url(self, item):
        """受理网签 with this verification, for staff of an enterprise that signs leases online."""
        from app.rental.contracts import services as contracts

        user = current_user_obj()
        if not (self.appbuilder.sm.has_access("can_handle", "ContractWizardView") and contracts.may_sign_online(user)):
            return None
        return WIZARD_URL.format(id=item.id)

    # --- 租赁房源核验告知单 ---
    def _passed_or_404(self, pk):
        item = self._item_or_404(pk)
        if item.result != VerificationResult.PASSED or not item.code:
            abort(404)
        return item

    @staticmethod
    def public_url(item):
        return url_for("ListingPublicView.detail", code=item.code, _external=True)

    @expose("/print/<int:pk>")
    @has_access
    def print_notice(self, pk):
        item = self._passed_or_404(pk)
        audit_full_view(item)
        return documents.print_response(notice_document(item, self.public_url(item)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._passed_or_404(pk)
        audit_full_view(item)
        name = _("Rental listing verification notice") + f"-{item.code}.pdf"
        return documents.pdf_response(notice_document(item, self.public_url(item)), name, inline=False)


# --- the public confirmation ----------------------------------------------------------------

class ListingPublicView(BaseView):
    """/rental/listing/<房源识别码>: no sign-in; what a tenant may check before renting."""

    route_base = "/rental/listing"
    default_view = "search"
    MAX_CODE = 24

    def _render(self, template, status=200, **context):
        response = make_response(self.render_template(template, **context), status)
        response.headers["Cache-Control"] = PUBLIC_CACHE
        response.headers["Vary"] = "Cookie"
        return response

    @expose("/")
    def search(self):
        code = (request.args.get("code") or "").strip()[:self.MAX_CODE]
        if code:
            return redirect(url_for("ListingPublicView.detail", code=code))
        return self._render("anju/rental/verification/public.html", title=_("Listing code check"), v=None,
                            code="", searched=False)

    @expose("/<code>")
    def detail(self, code):
        code = (code or "").strip()[:self.MAX_CODE]
        v = services.by_code(code)
        if v is None or v.result != VerificationResult.PASSED:
            return self._render("anju/rental/verification/public.html", status=404, title=_("Listing code check"),
                                v=None, code=code, searched=True)
        names = registry.region_names()
        district = names.get((v.region_code or "")[:6], "")
        street = names.get(v.street_code, "") if v.street_code else ""
        return self._render("anju/rental/verification/public.html", title=_("Listing code check"), v=v,
                            code=v.code, searched=True, valid=services.is_valid(v), district=district,
                            street=street, org_name=verifier_org_name(v))


def register(appbuilder):
    from app.rental import CATEGORY, CATEGORY_ICON, CATEGORY_LABEL, menu

    appbuilder.add_link("Listing verification", href="/rental/verification/new", label=_l("Listing verification"),
                        icon="fa-check-square-o", category=CATEGORY, category_label=CATEGORY_LABEL,
                        category_icon=CATEGORY_ICON)
    menu(appbuilder, ListingVerificationView(), "Verification records", _l("Verification records"), "fa-list")
    appbuilder.add_view_no_menu(ListingPublicView())
