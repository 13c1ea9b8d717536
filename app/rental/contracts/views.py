"""合同网签 screens (seed 001; issue 14), thin pages over app/rental/contracts/services.py:

* ``ContractWizardView`` (/rental/contracts/wizard/): 我的草稿, 受理网签 and the wizard's
  steps (房源核验 → 合同详细信息 → 承租人信息 → 双方约定事项 → 要件上传 → 合同预览 with 签约 /
  取消). Every POST calls one service function, commits and redirects to the draft's stored
  step; a refusal re-renders the step with what was typed. A draft is resumable: it opens at
  the step it stands on.
* ``RentalContractView`` (/rental/contracts/): 租赁合同网签列表 (signed, revoked and cancelled
  contracts in the viewer's scope), a contract's page with its tenants, documents,
  verification and history, 打印 / 下载PDF and 撤销; other parts add buttons to the page
  through ``services.register_detail_action``.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField, StringField

from app.core import audit, documents, masking, uploads, xlsx
from app.core.audit import AuditAction
from app.core.errors import DomainError
from app.core.scope import apply_scope, current_user_obj, user_scope
from app.core.views import AnjuModelView, ScopedInterface, can_view_full_pii
from app.extensions import db
from app.rental import labels, menu
from app.rental.contracts import documents as contract_documents
from app.rental.contracts import services
from app.rental.contracts.models import ContractStatus, FilingStatus, RentalContract, RentalMode, WizardStep
from app.security.roles import SCOPE_ALL, SCOPE_REGION
from app.system import dicts
from app.system.models import Organization, Region, RegionLevel

DRAFTS_PAGE_SIZE = 20
TENANT_KEYS = ("seq", "name", "id_type", "id_number", "mobile")
OWNER_KEYS = ("name", "id_type", "id_number")
DETAIL_KEYS = ("rent", "deposit", "payment_cycle", "purpose", "start_date", "end_date", "rental_mode", "rented_part")


def _user():
    return current_user_obj()


def _may(permission, view):
    from flask import current_app

    return current_app.appbuilder.sm.has_access(permission, view)


def _label(mapping, code):
    return str(mapping.get(code, code or ""))


def _day(value):
    return value.strftime("%Y-%m-%d") if value else ""


def lessors_text(value):
    """出租人 as the viewer may see them: each owner's name masked on its own."""
    return "、".join(masking.for_viewer("name", n) for n in (value or "").split("、") if n)


def tenants_text(contract):
    """承租人 in a list cell: the first tenant (masked) and how many there are."""
    tenants = list(contract.tenants)
    if not tenants:
        return ""
    first = masking.for_viewer("name", tenants[0].name)
    if len(tenants) == 1:
        return first
    return _("%(name)s and others (%(n)s in all)", name=first, n=len(tenants))


def term_text(contract):
    if not contract.start_date or not contract.end_date:
        return ""
    return _("%(start)s to %(end)s", start=_day(contract.start_date), end=_day(contract.end_date))


def contract_name(contract):
    return contract.number or _("Draft contract #%(id)s", id=contract.id)


def district_choices():
    """房屋区域: the districts of the viewer's city (all districts for a city-wide viewer)."""
    user = _user()
    org = getattr(user, "org", None)
    stmt = select(Region.code, Region.name).where(Region.level == RegionLevel.DISTRICT)
    if org is not None and org.region_code and len(org.region_code) >= 4 and not org.region_code.endswith("0000"):
        stmt = stmt.where(Region.code.startswith(org.region_code[:4]))
    elif org is not None and org.region_code and org.region_code.endswith("0000"):
        stmt = stmt.where(Region.code.startswith(org.region_code[:2]))
    return [(code, name) for code, name in db.session.execute(stmt.order_by(Region.code))]


def _scoped_regions(level):
    """Districts or streets inside the viewer's reach (the list's filters)."""
    user = _user()
    scope = user_scope(user)
    stmt = select(Region.code, Region.name).where(Region.level == level)
    if scope.level == SCOPE_REGION and scope.region_prefix:
        prefix = scope.region_prefix
        if level == RegionLevel.DISTRICT and len(prefix) > 6:
            stmt = stmt.where(Region.code == prefix[:6])
        else:
            stmt = stmt.where(Region.code.startswith(prefix))
    elif scope.level != SCOPE_ALL:
        org = getattr(user, "org", None)
        if org is not None and org.region_code:
            stmt = stmt.where(Region.code.startswith(org.region_code[:4]))
    return [("", _l("All"))] + [(c, n) for c, n in db.session.execute(stmt.order_by(Region.code).limit(300))]


def _is_government(user=None):
    return user_scope(user or _user()).level in (SCOPE_REGION, SCOPE_ALL)


# --- the wizard ---------------------------------------------------------------------------------

def _rows(prefix, keys):
    """Repeated form rows (``<prefix>_<key>`` lists) as dicts."""
    columns = {k: request.form.getlist(f"{prefix}_{k}") for k in keys}
    n = max((len(v) for v in columns.values()), default=0)
    return [{k: (columns[k][i].strip() if i < len(columns[k]) else "") for k in keys} for i in range(n)]


def _row_op(rows, keys, defaults=None):
    """添加 / 删除 a row without saving (the page works without JavaScript too): the rows after
    the operation, or None when the form asks for no such operation."""
    op = request.form.get("op", "")
    if op == "add":
        return rows + [{k: (defaults or {}).get(k, "") for k in keys}]
    if op.startswith("del:") and op[4:].isdigit():
        index = int(op[4:])
        kept = [r for i, r in enumerate(rows) if i != index]
        return kept or [{k: (defaults or {}).get(k, "") for k in keys}]
    return None


class ContractWizardView(BaseView):
    route_base = "/rental/contracts/wizard"
    default_view = "drafts"
    base_permissions = ["can_list", "can_handle"]
    method_permission_name = {
        "drafts": "list", "new": "handle", "open": "handle", "accept": "handle", "verify": "handle",
        "details": "handle", "tenants": "handle", "matters": "handle", "attachments": "handle",
        "delete_attachment": "handle", "back": "handle", "goto": "handle", "sign": "handle", "cancel": "handle",
    }
    template = "anju/rental/contracts/wizard.html"

    # --- loading ---
    def _draft(self, pk):
        """The contract ``pk`` if the user may handle it (in scope, their own or their
        enterprise's as its administrator), else 404."""
        user = _user()
        stmt = apply_scope(select(RentalContract).where(RentalContract.id == pk), RentalContract, user)
        contract = db.session.execute(stmt).scalars().first()
        if contract is None or not services.may_handle(contract, user):
            abort(404)
        return contract

    @staticmethod
    def _open_url(pk):
        return url_for("ContractWizardView.open", pk=pk)

    def _finished(self, contract):
        """Where a contract that is no longer a draft opens: its page."""
        if _may("can_show", "RentalContractView"):
            return redirect(url_for("RentalContractView.show", pk=contract.id))
        return redirect(url_for("ContractWizardView.drafts"))

    # --- 我的草稿 ---
    @expose("/")
    @has_access
    def drafts(self):
        user = _user()
        step = request.args.get("step", "")
        step = step if step in WizardStep.ORDER else ""
        page = request.args.get("page", "0")
        page = int(page) if page.isdigit() and len(page) < 7 else 0
        stmt = services.drafts_query(user, step or None)
        total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
        rows = db.session.execute(stmt.offset(page * DRAFTS_PAGE_SIZE).limit(DRAFTS_PAGE_SIZE)).scalars().all()
        return self.render_template(
            "anju/rental/contracts/drafts.html", title=_("My drafts"), rows=rows, total=total, page=page,
            pages=max((total + DRAFTS_PAGE_SIZE - 1) // DRAFTS_PAGE_SIZE, 1), step=step,
            step_label=services.step_label, steps=[(s, services.step_label(s)) for s in WizardStep.ORDER],
            tenants_text=tenants_text, contract_name=contract_name)

    # --- 受理网签 ---
    def _verification_param(self, raw):
        from app.rental.verification.models import ListingVerification

        if not raw or not str(raw).isdigit() or len(str(raw)) > 12:
            return None
        stmt = apply_scope(select(ListingVerification).where(ListingVerification.id == int(raw)),
                           ListingVerification, _user())
        return db.session.execute(stmt).scalars().first()

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        user = _user()
        source = request.values.get("verification", "")
        verification = self._verification_param(source)
        if source and verification is None:
            abort(404)
        error = None
        if request.method == "POST":
            try:
                contract = services.start(user, request.form.get("template_id") or None)
                if verification is not None:
                    services.use_verification(contract, user, verification=verification)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
                verification = self._verification_param(source)
            else:
                flash(_("%(name)s was opened; it is kept as a draft at every step.", name=contract_name(contract)),
                      "success")
                return redirect(self._open_url(contract.id))
        current = services.current_template()
        return self.render_template(
            "anju/rental/contracts/new.html", title=_("Accept online signing"), error=error,
            templates=services.active_templates(), chosen=request.form.get("template_id") or (current.id if current else ""),
            verification=verification, user=user)

    # --- a draft at its step ---
    @expose("/<int:pk>")
    @has_access
    def open(self, pk):
        contract = self._draft(pk)
        if contract.status != ContractStatus.DRAFT:
            return self._finished(contract)
        return self._render(contract)

    def _step_bar(self, contract, shown):
        order = WizardStep.ORDER
        furthest = order.index(services.furthest_step(contract))
        bar = []
        for i, step in enumerate(order):
            state = "current" if step == shown else ("done" if i < furthest else "todo")
            bar.append({"step": step, "label": services.step_label(step), "n": i + 1, "state": state,
                        "reachable": i <= furthest and step != shown})
        return bar

    def _values(self, contract, step):
        """What a step's form shows when it opens: the draft's stored values (people masked for
        a viewer who sees them masked; a masked value sent back unchanged keeps the stored one)."""
        c = contract
        if step == WizardStep.DETAILS:
            return {"rent": f"{c.rent:.2f}" if c.rent is not None else "",
                    "deposit": f"{c.deposit:.2f}" if c.deposit is not None else "",
                    "payment_cycle": c.payment_cycle or "", "purpose": c.purpose or "",
                    "start_date": _day(c.start_date), "end_date": _day(c.end_date),
                    "rental_mode": c.rental_mode or RentalMode.WHOLE, "rented_part": c.rented_part or ""}
        if step == WizardStep.TENANTS:
            rows = [{"seq": str(t.seq), "name": masking.for_viewer("name", t.name), "id_type": t.id_type,
                     "id_number": masking.for_viewer("id_number", t.id_number),
                     "mobile": masking.for_viewer("mobile", t.mobile) or ""} for t in c.tenants]
            return {"tenants": rows or [{"seq": "", "name": "", "id_type": "resident_id", "id_number": "",
                                         "mobile": ""}]}
        if step == WizardStep.MATTERS:
            return {"agreed_matters": c.agreed_matters or ""}
        if step == WizardStep.VERIFY:
            org = getattr(_user(), "org", None)
            region = org.region_code[:6] if org is not None and org.region_code else ""
            return {"region_code": region, "cert_type": "", "cert_no": "", "code": "",
                    "owners": [{"name": "", "id_type": "resident_id", "id_number": ""}]}
        if step == WizardStep.ACCEPT:
            return {"template_id": str(c.template_id or "")}
        return {}

    def _render(self, contract, step=None, error=None, values=None, failed=None, status=200):
        if contract.status != ContractStatus.DRAFT:
            if error:
                flash(error, "danger")
            return self._finished(contract)
        step = step or contract.step
        values = values if values is not None else self._values(contract, step)
        extra = {}
        if step == WizardStep.ACCEPT:
            extra["templates"] = services.active_templates()
        if step == WizardStep.VERIFY:
            extra.update(regions=district_choices(), cert_types=dicts.items("property_cert_type"),
                         usable=services.usable_verifications(_user()),
                         current_valid=contract.verification is not None and _verification_valid(contract))
            if failed is not None:
                from app.rental.verification import services as verifications

                extra["failed_reasons"] = verifications.reason_texts(failed.reasons)
        if step == WizardStep.DETAILS:
            extra.update(cycles=dicts.items("rent_payment_cycle"), purposes=dicts.items("rental_purpose"),
                         modes=list(labels.RENTAL_MODE_LABELS.items()))
        if step in (WizardStep.ATTACHMENTS, WizardStep.PREVIEW):
            extra["files"] = services.attachments_of(contract)
        if step == WizardStep.PREVIEW:
            extra["text"] = services.render_text(contract)
            extra["lacking"] = [(services.step_label(s), services.missing(contract, s)) for s in WizardStep.ORDER
                                if services.missing(contract, s)]
        body = self.render_template(
            self.template, title=_("Online contract signing"), contract=contract, step=step, error=error,
            values=values, bar=self._step_bar(contract, step), step_label=services.step_label,
            id_types=dicts.items("id_type"), name=contract_name(contract), lessors=lessors_text(contract.lessor_names),
            first_step=step == WizardStep.ORDER[0], max_tenants=services.MAX_TENANTS, **extra)
        return body, status

    def _save(self, pk, step, call, values=None):
        """Run one step's service call and commit, then open the draft's next step (PRG); a
        refusal re-renders ``step`` with what was typed."""
        contract = self._draft(pk)
        if contract.status != ContractStatus.DRAFT:
            flash(_("A contract that is %(status)s can no longer be changed.",
                    status=services.status_label(contract.status)), "danger")
            return self._finished(contract)
        try:
            call(contract, _user())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._draft(pk), step=step, error=str(exc), values=values, status=422)
        except StaleDataError:
            db.session.rollback()
            flash(_("The contract was changed by someone else meanwhile; please check it and try again."), "danger")
        return redirect(self._open_url(pk))

    @expose("/<int:pk>/accept", methods=["POST"])
    @has_access
    def accept(self, pk):
        template_id = request.form.get("template_id") or None
        return self._save(pk, WizardStep.ACCEPT,
                          lambda c, u: services.choose_template(c, u, template_id), {"template_id": template_id or ""})

    @expose("/<int:pk>/verify", methods=["POST"])
    @has_access
    def verify(self, pk):
        """房源核验: verify now (the fields of the verification form, several owners), use a
        valid verification by its 房源识别码, or go on with the one already used."""
        mode = request.form.get("mode", "now")
        owners = _rows("owner", OWNER_KEYS)
        values = {"region_code": request.form.get("region_code", ""), "cert_type": request.form.get("cert_type", ""),
                  "cert_no": request.form.get("cert_no", ""), "code": request.form.get("code", ""), "owners": owners}
        changed = _row_op(owners, OWNER_KEYS, {"id_type": "resident_id"})
        if changed is not None:
            values["owners"] = changed
            return self._render(self._draft(pk), step=WizardStep.VERIFY, values=values)
        if mode == "code":
            code = values["code"]
            return self._save(pk, WizardStep.VERIFY, lambda c, u: services.use_verification(c, u, code=code), values)
        if mode == "keep":
            return self._save(pk, WizardStep.VERIFY,
                              lambda c, u: services.use_verification(c, u, verification=c.verification), values)
        contract = self._draft(pk)
        if contract.status != ContractStatus.DRAFT:
            return self._finished(contract)
        fields = {"region_code": values["region_code"], "cert_type": values["cert_type"], "cert_no": values["cert_no"],
                  "owners": [o for o in owners if o.get("name") or o.get("id_number")] or owners}
        try:
            verification = services.verify_listing(contract, _user(), fields)
            # A failed attempt is recorded too (it counts towards the limit on failures).
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._draft(pk), step=WizardStep.VERIFY, error=str(exc), values=values, status=422)
        if not verification.passed:
            return self._render(contract, step=WizardStep.VERIFY, values=values, failed=verification,
                                error=_("The listing did not pass verification."), status=422)
        flash(_("The listing passed verification: listing code %(code)s.", code=verification.code), "success")
        return redirect(self._open_url(pk))

    @staticmethod
    def _typed(step):
        """A form step's posted fields: ``(service call, values to show again)``."""
        if step == WizardStep.DETAILS:
            values = {k: request.form.get(k, "").strip() for k in DETAIL_KEYS}
            return (lambda c, u: services.save_details(c, u, values)), values
        if step == WizardStep.TENANTS:
            rows = _rows("tenant", TENANT_KEYS)

            def call(contract, user):
                services.save_tenants(contract, user, services.unmask_tenants(contract, rows))
            return call, {"tenants": rows}
        text = request.form.get("agreed_matters", "")
        return (lambda c, u: services.save_matters(c, u, text)), {"agreed_matters": text}

    @expose("/<int:pk>/details", methods=["POST"])
    @has_access
    def details(self, pk):
        call, values = self._typed(WizardStep.DETAILS)
        return self._save(pk, WizardStep.DETAILS, call, values)

    @expose("/<int:pk>/tenants", methods=["POST"])
    @has_access
    def tenants(self, pk):
        rows = _rows("tenant", TENANT_KEYS)
        changed = _row_op(rows, TENANT_KEYS, {"id_type": "resident_id"})
        if changed is not None:
            return self._render(self._draft(pk), step=WizardStep.TENANTS, values={"tenants": changed})
        call, values = self._typed(WizardStep.TENANTS)
        return self._save(pk, WizardStep.TENANTS, call, values)

    @expose("/<int:pk>/matters", methods=["POST"])
    @has_access
    def matters(self, pk):
        call, values = self._typed(WizardStep.MATTERS)
        return self._save(pk, WizardStep.MATTERS, call, values)

    @expose("/<int:pk>/attachments", methods=["POST"])
    @has_access
    def attachments(self, pk):
        """Upload 要件 (stay on the step) or, with ``op=next``, finish the step."""
        if request.form.get("op") == "next":
            return self._save(pk, WizardStep.ATTACHMENTS, services.confirm_attachments)
        files = request.files.getlist("files")
        contract = self._draft(pk)
        if contract.status != ContractStatus.DRAFT:
            return self._finished(contract)
        try:
            saved = services.add_attachments(contract, _user(), files)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._draft(pk), step=WizardStep.ATTACHMENTS, error=str(exc), status=422)
        flash(_("%(n)s documents uploaded.", n=len(saved)), "success")
        return redirect(self._open_url(pk))

    @expose("/<int:pk>/attachments/<int:upload_id>/delete", methods=["POST"])
    @has_access
    def delete_attachment(self, pk, upload_id):
        contract = self._draft(pk)
        try:
            removed = services.remove_attachment(contract, _user(), upload_id)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Deleted: %(name)s", name=removed.original_name), "success")
        return redirect(self._open_url(pk))

    @expose("/<int:pk>/back", methods=["POST"])
    @has_access
    def back(self, pk):
        """返回上一步. From a form step (``keep`` names it) what was typed there is saved first,
        then the wizard opens the step before; if it cannot be saved, the step comes back with
        the reason and the typed values, so nothing typed is lost either way."""
        keep = request.form.get("keep")
        if keep not in (WizardStep.DETAILS, WizardStep.TENANTS, WizardStep.MATTERS):
            return self._move(pk, services.go_back)
        contract = self._draft(pk)
        if contract.status != ContractStatus.DRAFT:
            return self._finished(contract)
        call, values = self._typed(keep)
        if _nothing_typed(keep, values):
            return self._move(pk, services.go_back)
        previous = WizardStep.ORDER[WizardStep.ORDER.index(keep) - 1]
        try:
            call(contract, _user())
            services.goto(contract, _user(), previous)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._render(self._draft(pk), step=keep, error=str(exc), values=values, status=422)
        except StaleDataError:
            db.session.rollback()
            flash(_("The contract was changed by someone else meanwhile; please check it and try again."), "danger")
        return redirect(self._open_url(pk))

    @expose("/<int:pk>/goto", methods=["POST"])
    @has_access
    def goto(self, pk):
        step = request.form.get("step", "")
        return self._move(pk, lambda c, u: services.goto(c, u, step))

    def _move(self, pk, call):
        contract = self._draft(pk)
        try:
            call(contract, _user())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        except StaleDataError:
            db.session.rollback()
        return redirect(self._open_url(pk))

    @expose("/<int:pk>/sign", methods=["POST"])
    @has_access
    def sign(self, pk):
        contract = self._draft(pk)
        try:
            services.sign(contract, _user())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(self._open_url(pk))
        except StaleDataError:
            db.session.rollback()
            flash(_("The contract was changed by someone else meanwhile; please check it and try again."), "danger")
            return redirect(self._open_url(pk))
        flash(_("Contract %(number)s was signed; the tenants were sent a text message.", number=contract.number),
              "success")
        return self._finished(contract)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk):
        contract = self._draft(pk)
        try:
            services.cancel(contract, _user())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(self._open_url(pk))
        except StaleDataError:
            db.session.rollback()
            return redirect(self._open_url(pk))
        flash(_("%(name)s was cancelled.", name=contract_name(contract)), "success")
        return redirect(url_for("ContractWizardView.drafts"))


def _verification_valid(contract):
    from app.rental.verification import services as verifications

    return verifications.is_valid(contract.verification)


# --- 租赁合同网签列表 ----------------------------------------------------------------------------

class FilterNotDraft(BaseFilter):
    """Drafts stay in 我的草稿: the list shows signed, revoked and cancelled contracts."""

    name = _l("Status")
    arg_name = "not_draft"

    def apply(self, query, value):
        # "not a draft" rather than IN (three states): an inequality no index serves, so a
        # city-wide list walks the id order and stops after one page instead of sorting.
        return query.filter(RentalContract.status != ContractStatus.DRAFT)


class FilterCodePrefix(BaseFilter):
    """合同编号 / 产权证号: the whole code or its beginning, as an index range (SQLite's LIKE is
    case-insensitive and walks the whole table; the codes are no personal data)."""

    name = _l("Starts with")
    arg_name = "sw"

    def apply(self, query, value):
        from app.core.scope import prefix_range
        from app.rental.registry.services import normalise_cert_no

        column = getattr(RentalContract, self.column_name)
        text = normalise_cert_no(value) if self.column_name == "cert_no" else str(value or "").strip().upper()
        return query.filter(prefix_range(column, text)) if text else query


class FilterFilingOverdue(BaseFilter):
    """逾期未备案 (是/否): signed more than rental.filing_due_days days ago and neither filed nor
    under review — the rule of app/rental/filing/services.overdue_clause."""

    name = _l("Equal to")
    arg_name = "overdue"

    def apply(self, query, value):
        from app.rental.filing import services as filing

        if value == "y":
            return query.filter(filing.overdue_clause())
        if value == "n":
            return query.filter(~filing.overdue_clause())
        return query


class FilterOrgName(BaseFilter):
    """The enterprise by a part of its name (a text box, not a dropdown of every enterprise)."""

    name = _l("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(RentalContract.org_id.in_(
            select(Organization.id).where(Organization.name.contains(value, autoescape=True))))


class ContractInterface(ScopedInterface):
    """Computed list columns: 合同编号 (or the draft's name), 承租人, 租期."""

    virtual = {"contract_no": contract_name, "tenant_names": tenants_text, "term": term_text}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)


def _choices(mapping, leave_out=()):
    return [("", _l("All"))] + [(k, v) for k, v in mapping.items() if k not in leave_out]


def _money(value):
    return f"{value:,.2f}" if value is not None else ""


class RentalContractView(AnjuModelView):
    datamodel = ContractInterface(RentalContract)
    route_base = "/rental/contracts"
    list_title = _l("Rental contracts signed online")
    show_title = _l("Rental contract")
    show_template = "anju/rental/contracts/show.html"
    list_template = "anju/rental/contracts/list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_revoke"]
    method_permission_name = {"print_form": "show", "pdf": "show", "revoke": "revoke"}
    base_filters = [["status", FilterNotDraft, None]]
    label_columns = {
        "contract_no": _l("Contract number"), "number": _l("Contract number"), "address": _l("Address"),
        "lessor_names": _l("Lessor"), "tenant_names": _l("Tenants"), "rent": _l("Monthly rent (yuan)"),
        "term": _l("Lease term"), "signed_at": _l("Signed at"), "status": _l("Status"),
        "filing_status": _l("Filing status"), "org": _l("Enterprise"), "region_code": _l("District"),
        "street_code": _l("Street"), "cert_no": _l("Title certificate number"),
        "overdue_flagged_at": _l("Filing overdue"),
    }
    list_columns = ["contract_no", "address", "lessor_names", "tenant_names", "rent", "term", "signed_at", "status",
                    "filing_status", "org"]
    list_key_column = "contract_no"
    show_columns = list_columns
    search_columns = ["number", "cert_no", "org", "region_code", "street_code", "status", "filing_status",
                      "overdue_flagged_at", "signed_at"]
    search_filters = {
        "number": [FilterCodePrefix, FilterEqual], "cert_no": [FilterCodePrefix, FilterEqual],
        "org": [FilterOrgName], "region_code": [FilterEqual], "street_code": [FilterEqual],
        "status": [FilterEqual], "filing_status": [FilterEqual], "overdue_flagged_at": [FilterFilingOverdue],
    }
    search_form_extra_fields = {
        "org": StringField(_l("Enterprise")),
        "region_code": SelectField(_l("District"), choices=lambda: _scoped_regions(RegionLevel.DISTRICT)),
        "street_code": SelectField(_l("Street"), choices=lambda: _scoped_regions(RegionLevel.STREET)),
        "status": SelectField(_l("Status"), choices=_choices(labels.CONTRACT_STATUS_LABELS, (ContractStatus.DRAFT,))),
        "filing_status": SelectField(_l("Filing status"), choices=_choices(labels.FILING_STATUS_LABELS)),
        "overdue_flagged_at": SelectField(_l("Filing overdue"), choices=[("", _l("All")), ("y", _l("Yes")), ("n", _l("No"))]),
    }
    formatters_columns = {
        "lessor_names": lessors_text,
        "rent": _money,
        "status": lambda v: _label(labels.CONTRACT_STATUS_LABELS, v),
        "filing_status": lambda v: _label(labels.FILING_STATUS_LABELS, v),
    }
    order_columns = ["signed_at", "rent"]
    base_order = ("id", "desc")

    @property
    def inline_search_columns(self):
        """The enterprise box is for government staff (an enterprise sees its own)."""
        cols = ["number", "cert_no", "region_code", "street_code", "status", "filing_status", "overdue_flagged_at",
                "signed_at"]
        if _is_government():
            cols.insert(2, "org")
        return cols

    # --- export: every list column, people masked as on the page ---
    def export_columns(self):
        return [xlsx.XColumn(key=name, label=self.label_columns.get(name, name)) for name in self.list_columns]

    def export_value(self, row, column):
        key = column.key
        if key in self.datamodel.virtual:
            return str(self.datamodel.virtual[key](row))
        if key == "lessor_names":
            return lessors_text(row.lessor_names)
        if key == "org":
            return row.org.name if row.org is not None else ""
        if key in ("status", "filing_status"):
            return self.formatters_columns[key](getattr(row, key))
        if key == "rent":
            return float(row.rent) if row.rent is not None else None
        return super().export_value(row, column)

    # --- a contract's page ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        user = _user()
        self._get_show_widget(pk, item)      # audits a full view of personal data
        may_revoke = (item.status == ContractStatus.SIGNED and item.filing_status != FilingStatus.PENDING
                      and _may("can_revoke", "RentalContractView") and services.may_handle(item, user))
        return self.render_template(
            self.show_template, title=self.show_title, item=item, name=contract_name(item),
            lessors=lessors_text(item.lessor_names), files=uploads.files_of(item),
            verification_url=_verification_url(item), history=services.history(item),
            may_revoke=may_revoke, actions=services.detail_actions(item, user),
            may_print=bool(item.number), status_label=lambda v: _label(labels.CONTRACT_STATUS_LABELS, v),
            filing_label=lambda v: _label(labels.FILING_STATUS_LABELS, v),
            mode_label=lambda v: _label(labels.RENTAL_MODE_LABELS, v),
            origin_label=lambda v: _label(labels.ORIGIN_LABELS, v), dict_label=dicts.label,
            region_name=_region_name, check_path=services.check_path(item),
            may_resume=item.status == ContractStatus.DRAFT and services.may_handle(item, user),
        )

    def _document(self, pk):
        item = self._item_or_404(pk)
        if not item.number:
            abort(404)      # a cancelled draft has no contract text to print
        if can_view_full_pii():
            audit.record(AuditAction.VIEW_PII, "RentalContract", item.id,
                         summary=_("Printed with full personal data: %(number)s", number=item.number), commit=True)
        return item, contract_documents.contract_document(item)

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        _item, doc = self._document(pk)
        return documents.print_response(doc)

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item, doc = self._document(pk)
        return documents.pdf_response(doc, f"{item.number}.pdf")

    @expose("/revoke/<int:pk>", methods=["POST"])
    @has_access
    def revoke(self, pk):
        item = self._item_or_404(pk)
        try:
            services.revoke(item, _user(), request.form.get("reason", ""))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        except StaleDataError:
            db.session.rollback()
            flash(_("The contract was changed by someone else meanwhile; please check it and try again."), "danger")
        else:
            flash(_("Contract %(number)s was revoked; the tenants were sent a text message.", number=item.number),
                  "success")
        return redirect(url_for("RentalContractView.show", pk=pk))


def _region_name(code):
    from app.system.models import region_full_name

    return region_full_name(code) if code else ""


def _verification_url(contract):
    """The verification's page when the verification part offers one to this viewer."""
    if contract.verification_id is None:
        return None
    for endpoint in ("ListingVerificationView.show", "VerificationView.show"):
        view = endpoint.split(".")[0]
        try:
            if _may("can_show", view):
                return url_for(endpoint, pk=contract.verification_id)
        except Exception:  # that page is not registered in this app
            continue
    return None


def _nothing_typed(step, values):
    """True when a form step was left empty (going back then saves nothing and refuses nothing)."""
    if step == WizardStep.DETAILS:
        return not any(values.get(k) for k in ("rent", "deposit", "start_date", "end_date", "rented_part"))
    if step == WizardStep.TENANTS:
        return not any(row.get(k) for row in values.get("tenants") or [] for k in ("name", "id_number", "mobile"))
    return not (values.get("agreed_matters") or "").strip()


# --- home page cards -----------------------------------------------------------------------------

def _of_enterprise(user):
    return services.may_sign_online(user)


def drafts_card(user):
    from app.core import worklist

    n, capped = worklist.capped_count(services.drafts_query(user))
    waiting, capped_w = worklist.capped_count(services.drafts_query(user, WizardStep.PREVIEW))
    return worklist.Card(title=_l("My drafts"), value=f"{n}+" if capped else str(n),
                         detail=_("%(n)s waiting to be signed", n=f"{waiting}+" if capped_w else waiting),
                         url=url_for("ContractWizardView.drafts"), level="warning" if waiting else "info")


def to_sign_card(user):
    from app.core import worklist

    n, capped = worklist.capped_count(services.drafts_query(user, WizardStep.PREVIEW))
    if not n:
        return None
    return worklist.Card(title=_l("Waiting to be signed"), value=f"{n}+" if capped else str(n),
                         detail=_("Drafts at the contract preview: sign or cancel them."),
                         url=url_for("ContractWizardView.drafts", step=WizardStep.PREVIEW), level="warning")


def register(appbuilder):
    from app.core import worklist

    menu(appbuilder, RentalContractView(), "Rental contracts", _l("Online contract signing"), "fa-file-text-o")
    menu(appbuilder, ContractWizardView(), "Contract drafts", _l("My drafts"), "fa-pencil-square-o")
    permission = ("can_handle", "ContractWizardView")
    worklist.register_card("rental.drafts", drafts_card, permission, when=_of_enterprise, order=40)
    worklist.register_card("rental.to_sign", to_sign_card, permission, when=_of_enterprise, order=41)
    worklist.register_shortcut("rental.sign", _l("Accept online signing"), "fa-file-text-o",
                               endpoint="ContractWizardView.new", permission=permission, order=40)
