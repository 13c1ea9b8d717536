"""从业人员管理 (seed 003 §17, seed 004 企业人员管理): the scoped, masked list with the seed's
columns and filters; add, edit, 离职 and delete for the enterprise; the person's detail with
their certificates; the printable 从业人员信息 sheet; Excel template, import and export.
Thin: the rules live in app/property/staff/services.py."""
from datetime import date

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterGreater, FilterNotEqual, FilterSmaller
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import false, select
from wtforms import SelectField, StringField

from app.core import documents, masking, uploads, xlsx
from app.core.errors import DomainError
from app.core.schemas import fits_key
from app.core.scope import current_user_obj
from app.core.views import AnjuModelView, ScopedInterface
from app.extensions import db
from app.property.staff import services
from app.property.models import Certificate, PropertyArea, Staff, StaffStatus, staff_area
from app.system import dicts

MASKS = {"name": "name", "mobile": "mobile", "id_number": "id_number", "username": "mobile"}


# --- the Excel declaration (template, import, export) ------------------------------------------

STAFF_COLUMNS = [
    xlsx.XColumn("name", _l("Name"), required=True, max_length=64, example="张三"),
    xlsx.XColumn("mobile", _l("Mobile"), kind="mobile", required=True, mask="mobile", example="13800138000"),
    xlsx.XColumn("id_number", _l("Resident ID number"), kind="id_number", required=True, mask="id_number",
                 width=22, example="500103198808081237"),
    xlsx.XColumn("post", _l("Post"), kind="choice", required=True, choices=dicts.choices(services.POST_DICT),
                 example="保洁"),
    xlsx.XColumn("area_names", _l("Property management areas in charge"), max_length=2000, width=30,
                 example="和平小区、解放碑商住楼"),
    xlsx.XColumn("hired_on", _l("Hired on"), kind="date", example="2023-05-01"),
    xlsx.XColumn("remark", _l("Remark"), max_length=255),
]


class StaffInterface(ScopedInterface):
    """Staff's enterprise and login load by a second SELECT, not by joins: the models join
    them eagerly (the enterprise with an inner join), and SQLite then reads the enterprise's
    whole staff and sorts it for every list page (0.7 s at 200,000 rows instead of 0.2 s).
    Certificates load when a page asks for them (the detail page), not with every list."""

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None, page_size=None,
                  select_columns=None, outer_default_load=False):
        from sqlalchemy.orm import lazyload, selectinload

        query = super().apply_all(query, filters, order_column, order_direction, page, page_size,
                                  select_columns, outer_default_load)
        if self.obj is Staff and not select_columns:
            query = query.options(selectinload(Staff.org), selectinload(Staff.user), lazyload(Staff.certificates))
        return query

    def page_options(self, query):
        """A list page's rows (read by key, app/core/views.py): no certificates; the enterprise
        and the login join in the same SELECT, by name only (not their regions, parents or
        roles); the areas' names come by rows_by_ids."""
        from sqlalchemy.orm import joinedload, lazyload

        from app.security.models import AnjuUser
        from app.system.models import Organization

        if self.obj is not Staff:
            return query
        return query.options(lazyload(Staff.certificates), lazyload(Staff.areas),
                             joinedload(Staff.org).load_only(Organization.name).lazyload("*"),
                             joinedload(Staff.user).load_only(AnjuUser.username).lazyload("*"))

    def rows_by_ids(self, ids, select_columns=None):
        """The page's staff, each with its areas' names (物业管理区域) read by one plain SELECT of
        (staff, name) pairs: the list shows only the names, not the areas themselves."""
        rows = super().rows_by_ids(ids, select_columns)
        if self.obj is Staff and rows:
            names = {}
            for staff_id, name in self.session.execute(_area_names_statement(),
                                                       {"anju_staff_ids": [r.id for r in rows]}):
                names.setdefault(staff_id, []).append(name)
            for row in rows:
                row.shown_area_names = names.get(row.id, ())
        return rows


_built = {}


def _area_names_statement():
    """(staff, area name) of some staff, built once (a built statement keeps its cache key)."""
    if "area_names" not in _built:
        from sqlalchemy import bindparam

        _built["area_names"] = (
            select(staff_area.c.staff_id, PropertyArea.name)
            .join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
            .where(staff_area.c.staff_id.in_(bindparam("anju_staff_ids", expanding=True)))
            .order_by(staff_area.c.staff_id, PropertyArea.name))
    return _built["area_names"]


def _listed_area_names(dialect_name):
    """物业管理区域 of a list row as SQL: the areas' names, by name, joined with 、 ("-" for none),
    as ``Staff.area_names`` gives them (app/core/lists/reader.py)."""
    from sqlalchemy import func, literal

    owned = staff_area.c.staff_id == Staff.id
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        names = (select(func.string_agg(PropertyArea.name, aggregate_order_by(literal("、"), PropertyArea.name)))
                 .select_from(staff_area.join(PropertyArea, PropertyArea.id == staff_area.c.area_id))
                 .where(owned))
    else:  # SQLite's group_concat keeps the order of an ordered subquery
        ordered = (select(PropertyArea.name.label("area_name"))
                   .join(staff_area, staff_area.c.area_id == PropertyArea.id).where(owned)
                   .order_by(PropertyArea.name).correlate(Staff).subquery())
        names = select(func.group_concat(ordered.c.area_name, "、"))
    return func.coalesce(names.correlate(Staff).scalar_subquery(), "-")


def _listed_username(_dialect_name):
    """The bound account's username ("" for none), as ``Staff.username`` gives it."""
    from sqlalchemy import func

    from app.security.models import AnjuUser

    return func.coalesce(select(AnjuUser.username).where(AnjuUser.id == Staff.user_id)
                         .correlate(Staff).scalar_subquery(), "")


# --- list filters --------------------------------------------------------------------------------

class _Contains(BaseFilter):
    """A text filter as a subquery: a text box instead of a dropdown of every area or company.
    Its URL name is FAB's "contains" (ct), so the list's inline search shows it as a text box
    like any other contains-search (app/core/lists/search.py)."""

    name = _l("Contains")
    arg_name = "ct"

    def clause(self, value):
        raise NotImplementedError

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        return query.filter(self.clause(value))


class FilterStaffArea(_Contains):
    """物业管理区域: a name (contains), or an area's id (links from an area's page)."""

    def clause(self, value):
        in_areas = select(staff_area.c.staff_id)
        if value.isdigit():
            # An id no key can hold (e.g. 20 digits) matches nothing, not an overflow.
            in_areas = in_areas.where(staff_area.c.area_id == int(value) if fits_key(value) else false())
        else:
            in_areas = (in_areas.join(PropertyArea, PropertyArea.id == staff_area.c.area_id)
                        .where(PropertyArea.name.contains(value)))
        return Staff.id.in_(in_areas)


class FilterStaffCompany(_Contains):
    """企业名称 (contains)."""

    def clause(self, value):
        from app.system.models import Organization

        return Staff.org_id.in_(select(Organization.id).where(Organization.name.contains(value)))


def _post_choices():
    return [("", _("All"))] + [(c, str(label)) for c, label in dicts.items(services.POST_DICT)]


def _status_choices():
    return [("", _("All"))] + [(code, str(label)) for code, label in services.STATUS_LABELS.items()]


# --- page helpers ------------------------------------------------------------------------------

def field(name, label, kind="text", required=False, options=None, help=None, **extra):
    return {"name": name, "label": label, "kind": kind, "required": required, "options": options or [],
            "help": help, **extra}


def _attempt(call):
    """Run a service call: ``(result, None)``, or roll back and return ``(None, message)``."""
    try:
        return call(), None
    except DomainError as exc:
        db.session.rollback()
        return None, str(exc)


def _shown(kind, value):
    if value is None or value == "":
        return ""
    return masking.for_viewer(kind, value)


def staff_sheet(staff, mask=None):
    """The printable 从业人员信息: the person, the areas, the certificates."""
    hide = documents.should_mask(mask)

    def pii(kind, value):
        return masking.mask(kind, value) if hide and value else (value or "")

    facts = [
        (_("Name"), pii("name", staff.name)), (_("Post"), services.post_label(staff.post)),
        (_("Mobile"), pii("mobile", staff.mobile)), (_("Resident ID number"), pii("id_number", staff.id_number)),
        (_("Employing enterprise"), staff.org.name if staff.org else ""),
        (_("Status"), services.status_label(staff.status)),
        (_("Hired on"), staff.hired_on), (_("Date of leaving"), staff.left_on),
        (_("Property management areas in charge"), staff.area_names, True),
        (_("Username"), pii("mobile", staff.username)), (_("Remark"), staff.remark or ""),
    ]
    certs = [[services.cert_type_label(c.cert_type), c.number, c.issuer or "", c.issued_on,
              services.validity_text(c.valid_until)] for c in staff.certificates]
    return documents.Document(
        title=_("Staff information"), subtitle=staff.org.name if staff.org else None,
        sections=[
            documents.Fields(facts, columns=4, title=_("Staff member")),
            documents.Table([_("Certificate type"), _("Certificate number"), _("Issuing authority"),
                             _("Issue date"), _("Valid until")], certs,
                            title=_("Certificate information"), empty_text=_("No certificates")),
        ],
        page_numbers=True,
    )


_PK = 918273645   # a number that fits both <pk> and <int:pk> routes, replaced by each row's


def _row_links(pk):
    """离职 and 打印 beside FAB's show/edit/delete buttons (the list's 操作 column); the links
    are built once per page and given each row's number."""
    pattern = g.get("_staff_row_links")
    if pattern is None:
        links = [f'<a class="btn btn-xs btn-default" href="{url_for("StaffView.print_sheet", pk=_PK)}" '
                 f'target="_blank" id="print-{_PK}">{escape(_("Print"))}</a>']
        if current_app.appbuilder.sm.has_access("can_resign", "StaffView"):
            links.append(f'<a class="btn btn-xs btn-warning" href="{url_for("StaffView.resign", pk=_PK)}" '
                         f'id="resign-{_PK}">{escape(_("Resign"))}</a>')
        pattern = g._staff_row_links = " ".join(links)
    return Markup(pattern.replace(str(_PK), str(escape(pk))))


class StaffView(AnjuModelView):
    datamodel = StaffInterface(Staff)
    route_base = "/staff"
    list_title = _l("Staff")
    show_title = _l("Staff details")
    add_title = _l("Add staff member")
    edit_title = _l("Edit staff member")
    show_template = "anju/property/staff_show.html"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export",
                        "can_import", "can_template", "can_resign"]
    method_permission_name = {"resign": "resign", "resign_selected": "resign", "delete_selected": "delete",
                              "print_sheet": "show", "pdf": "show"}
    label_columns = {
        "name": _l("Name"), "mobile": _l("Contact phone"), "id_number": _l("Resident ID number"),
        "post": _l("Post"), "org": _l("Employing enterprise"),
        "area_names": _l("Property management areas in charge"),
        "areas": _l("Property management area"), "username": _l("Username"), "status": _l("Status"),
        "left_on": _l("Date of leaving"), "hired_on": _l("Hired on"), "remark": _l("Remark"),
        "left_reason": _l("Reason for leaving"), "id": _l("Actions"),
    }
    list_columns = ["name", "mobile", "id_number", "post", "org", "area_names", "username", "status",
                    "left_on", "id"]
    show_columns = ["name", "mobile", "id_number", "post", "org", "area_names", "hired_on", "status", "left_on",
                    "left_reason", "username", "remark"]
    search_columns = ["areas", "name", "post", "status", "org", "mobile"]
    search_filters = {"areas": [FilterStaffArea], "org": [FilterStaffCompany], "post": [FilterEqual],
                      "status": [FilterEqual]}
    search_form_extra_fields = {
        "areas": StringField(_l("Property management area")),
        "org": StringField(_l("Employing enterprise")),
        "post": SelectField(_l("Post"), choices=_post_choices),
        "status": SelectField(_l("Status"), choices=_status_choices),
    }
    mask_columns = MASKS
    formatters_columns = {"post": dicts.formatter(services.POST_DICT), "status": services.status_label,
                          "id": _row_links}
    list_sql_columns = {"area_names": _listed_area_names, "username": _listed_username}
    order_columns = ["name", "post", "status", "left_on"]
    base_order = ("id", "desc")
    xlsx_columns = STAFF_COLUMNS
    xlsx_title = _l("Staff")
    import_unique = ("id_number",)

    # --- list ---
    def export_columns(self):
        return [*STAFF_COLUMNS,
                xlsx.XColumn("org", _l("Employing enterprise")),
                xlsx.XColumn("status", _l("Status"), kind="choice",
                             choices=lambda: list(services.STATUS_LABELS.items())),
                xlsx.XColumn("left_on", _l("Date of leaving"), kind="date"),
                xlsx.XColumn("username", _l("Username"), mask="mobile")]

    def export_value(self, row, column):
        if column.key == "area_names":
            return "、".join(a.name for a in row.areas)
        return super().export_value(row, column)

    # --- detail ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        self._get_show_widget(pk, item)      # audits a full view of personal data
        sm = self.appbuilder.sm
        certificates = [(c, services.scans_of(c)) for c in item.certificates]
        return self.render_template(
            self.show_template, item=item, title=self.show_title, certificates=certificates,
            mobile=_shown("mobile", item.mobile), id_number=_shown("id_number", item.id_number),
            username=_shown("mobile", item.username), post_label=services.post_label(item.post),
            status_label=services.status_label(item.status), cert_type_label=services.cert_type_label,
            validity_text=services.validity_text, is_expired=services.is_expired,
            url_for_upload=uploads.url_for_upload, active=item.status == StaffStatus.ACTIVE,
            can_edit=sm.has_access("can_edit", "StaffView"), can_delete=sm.has_access("can_delete", "StaffView"),
            can_resign=sm.has_access("can_resign", "StaffView"),
            can_add_cert=sm.has_access("can_add", "CertificateView"),
            can_edit_cert=sm.has_access("can_edit", "CertificateView"),
            can_delete_cert=sm.has_access("can_delete", "CertificateView"),
        )

    @expose("/print/<int:pk>")
    @has_access
    def print_sheet(self, pk):
        return documents.print_response(staff_sheet(self._item_or_404(pk)))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        item = self._item_or_404(pk)
        return documents.pdf_response(staff_sheet(item), _("Staff information %(name)s.pdf", name=masking.person_text(item.name)))

    # --- add, edit ---
    def _form_fields(self, org_id):
        areas = services.enterprise_areas(org_id) if org_id else []
        return [
            field("name", _("Name"), required=True),
            field("mobile", _("Mobile"), required=True),
            field("id_number", _("Resident ID number"), required=True,
                  help=_("18 digits; the person's login is bound to the record by this number.")),
            field("post", _("Post"), "select", required=True,
                  options=[("", _("Please choose"))] + [(c, str(lb)) for c, lb in dicts.items(services.POST_DICT)]),
            field("area_ids", _("Property management areas in charge"), "checkboxes",
                  options=[(str(a.id), a.name) for a in areas],
                  help=_("Only the areas your enterprise manages. A project lead becomes the lead of the chosen "
                         "areas that have none.")),
            field("hired_on", _("Hired on"), "date"),
            field("remark", _("Remark"), "textarea"),
        ]

    def _form_data(self):
        data = {k: request.form.get(k) for k in ("name", "mobile", "id_number", "post", "hired_on", "remark")}
        data["area_ids"] = request.form.getlist("area_ids")
        return data

    def _render_form(self, title, fields, values, error=None, submit=None, intro=None, cancel=None,
                     confirm=None):
        return self.render_template("anju/property/staff_form.html", title=title, fields=fields, values=values,
                                    error=error, submit=submit or _("Save"), intro=intro,
                                    cancel=cancel or url_for("StaffView.list"), confirm=confirm)

    def _org_or_refuse(self):
        try:
            return services.enterprise_id(current_user_obj())
        except DomainError as exc:
            flash(str(exc), "danger")
            return None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        org_id = self._org_or_refuse()
        if org_id is None:
            return redirect(url_for("StaffView.list"))
        error = None
        values = {"area_ids": []}
        if request.method == "GET":
            # From an area without a lead: ?post=project_lead&area=<id> (only the enterprise's areas count).
            if request.args.get("post") in dict(dicts.items(services.POST_DICT)):
                values["post"] = request.args["post"]
            if request.args.get("area", "").isdigit():
                values["area_ids"] = [a for a in [request.args["area"]]
                                      if int(a) in {x.id for x in services.enterprise_areas(org_id)}]
        if request.method == "POST":
            values = self._form_data()
            staff, error = _attempt(lambda: services.create_staff(current_user_obj(), values))
            if error is None:
                flash(_("Staff member %(name)s added.", name=masking.person_text(staff.name)), "success")
                return redirect(url_for("StaffView.show", pk=staff.id))
        return self._render_form(self.add_title, self._form_fields(org_id), values, error,
                                 intro=_("Add certificates from the person's detail page after saving."))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item_or_404(pk)
        org_id = self._org_or_refuse()
        if org_id is None:
            return redirect(url_for("StaffView.show", pk=item.id))
        problem = services.edit_problem(item)
        if problem:
            flash(problem, "danger")
            return redirect(url_for("StaffView.show", pk=item.id))
        error = None
        if request.method == "POST":
            values = self._form_data()
            _done, error = _attempt(lambda: services.update_staff(current_user_obj(), item, values))
            if error is None:
                flash(_("Staff member %(name)s saved.", name=masking.person_text(item.name)), "success")
                return redirect(url_for("StaffView.show", pk=item.id))
            item = self._item_or_404(pk)
        else:
            values = {"name": item.name, "mobile": item.mobile, "id_number": item.id_number, "post": item.post,
                      "hired_on": item.hired_on.isoformat() if item.hired_on else "", "remark": item.remark or "",
                      "area_ids": [str(a.id) for a in item.areas]}
        return self._render_form(self.edit_title, self._form_fields(org_id), values, error,
                                 cancel=url_for("StaffView.show", pk=item.id))

    # --- 离职 ---
    @expose("/resign/<int:pk>", methods=["GET", "POST"])
    @has_access
    def resign(self, pk):
        item = self._item_or_404(pk)
        problem = services.resign_problem(item)
        if problem:
            flash(problem, "danger")
            return redirect(url_for("StaffView.show", pk=item.id))
        error = None
        values = {"left_on": date.today().isoformat(), "reason": ""}
        if request.method == "POST":
            values = {"left_on": request.form.get("left_on"), "reason": request.form.get("reason")}
            _done, error = _attempt(lambda: services.resign_staff(current_user_obj(), item, values["left_on"],
                                                                   values["reason"]))
            if error is None:
                flash(_("%(name)s has left; the record is kept as history.", name=masking.person_text(item.name)), "success")
                return redirect(url_for("StaffView.show", pk=item.id))
            item = self._item_or_404(pk)
        fields = [
            field("who", _("Staff member"), "static", text=f"{item.name}（{services.post_label(item.post)}）"),
            field("left_on", _("Date of leaving"), "date", required=True),
            field("reason", _("Reason for leaving"), "textarea"),
        ]
        return self._render_form(_("Resign: %(name)s", name=masking.person_text(item.name)), fields, values, error,
                                 submit=_("Confirm leaving"), cancel=url_for("StaffView.show", pk=item.id),
                                 confirm=_("Are you sure you want to carry out %(action)s on 「%(name)s」?",
                                           action=_("Resign"), name=masking.person_text(item.name)),
                                 intro=_("The record is kept as history; a project lead stops leading their "
                                         "areas. A later rehire is added as a new record."))

    @action("resign_selected", _l("Resign"), _l("Record the selected people as left today?"), "fa-sign-out",
            single=False)
    def resign_selected(self, items):
        items = items if isinstance(items, list) else [items]
        _done, error = _attempt(lambda: services.resign_many(current_user_obj(), items))
        if error:
            flash(error, "danger")
        else:
            flash(_("%(n)s people recorded as left.", n=len(items)), "success")
        return redirect(self.get_redirect())

    # --- delete ---
    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        if request.method != "POST":
            flash(_("This operation must be submitted from its form."), "danger")
            return redirect(url_for("StaffView.list"))
        item = self._item_or_404(pk)
        name = item.name
        _done, error = _attempt(lambda: services.delete_staff(current_user_obj(), item))
        if error:
            flash(error, "danger")
            return redirect(url_for("StaffView.show", pk=pk))
        flash(_("Staff member %(name)s deleted.", name=masking.person_text(name)), "success")
        return redirect(url_for("StaffView.list"))

    @action("delete_selected", _l("Delete"), _l("Delete the selected people and their certificates?"),
            "fa-trash", single=False)
    def delete_selected(self, items):
        items = items if isinstance(items, list) else [items]
        n, error = _attempt(lambda: services.delete_many(current_user_obj(), items))
        if error:
            flash(error, "danger")
        else:
            flash(_("%(n)s people deleted.", n=n), "success")
        return redirect(self.get_redirect())

    # --- import ---
    def validate_import(self, rows):
        return services.validate_import(current_user_obj(), rows)

    def import_rows(self, rows):
        return services.import_rows(current_user_obj(), rows)


class FilterCertExpiring(BaseFilter):
    """30天内到期: certificates of staff in service expiring within 30 days (the home page's 待办)."""

    name = _l("Expiring within 30 days")
    arg_name = "cert_expiring"

    def apply(self, query, value):
        # The home page links with y; chosen in the search form, any date box value means it.
        if value:
            return query.filter(services.expiring_clause())
        return query


class CertificateView(AnjuModelView):
    """证书: listed and added from the person's detail page (no menu of its own)."""

    datamodel = ScopedInterface(Certificate)
    route_base = "/certificates"
    list_title = _l("Certificate information")
    show_title = _l("Certificate")
    add_title = _l("Add certificate")
    edit_title = _l("Edit certificate")
    show_template = "anju/property/staff_cert_show.html"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    label_columns = {"staff": _l("Staff member"), "cert_type": _l("Certificate type"),
                     "number": _l("Certificate number"), "issuer": _l("Issuing authority"),
                     "issued_on": _l("Issue date"), "valid_until": _l("Valid until")}
    list_columns = ["staff", "cert_type", "number", "issuer", "issued_on", "valid_until"]
    show_columns = list_columns
    search_columns = ["number", "cert_type", "valid_until"]
    # FAB's date filters on 有效期至, then 30天内到期 (value y).
    search_filters = {"cert_type": [FilterEqual],
                      "valid_until": [FilterEqual, FilterGreater, FilterSmaller, FilterNotEqual, FilterCertExpiring]}
    search_form_extra_fields = {"cert_type": SelectField(
        _l("Certificate type"),
        choices=lambda: [("", _("All"))] + [(c, str(lb)) for c, lb in dicts.items(services.CERT_DICT)])}
    formatters_columns = {"cert_type": dicts.formatter(services.CERT_DICT), "valid_until": services.validity_text}
    base_order = ("id", "desc")

    def _staff_in_scope(self, staff_id):
        """The person, if the user sees them (StaffView's scope), else 404."""
        from app.core.scope import apply_scope

        try:
            pk = int(staff_id)
        except (TypeError, ValueError):
            abort(404)
        staff = db.session.execute(apply_scope(select(Staff).where(Staff.id == pk), Staff)).scalars().first()
        if staff is None:
            abort(404)
        return staff

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        sm = self.appbuilder.sm
        return self.render_template(
            self.show_template, item=item, title=self.show_title, scans=services.scans_of(item),
            url_for_upload=uploads.url_for_upload, cert_type_label=services.cert_type_label(item.cert_type),
            validity=services.validity_text(item.valid_until), expired=services.is_expired(item),
            can_edit=sm.has_access("can_edit", "CertificateView"))

    def _fields(self, staff, editing=False):
        return [
            field("who", _("Staff member"), "static", text=f"{staff.name}（{services.post_label(staff.post)}）"),
            field("cert_type", _("Certificate type"), "select", required=True,
                  options=[("", _("Please choose"))] + [(c, str(lb)) for c, lb in dicts.items(services.CERT_DICT)]),
            field("number", _("Certificate number"), required=True),
            field("issuer", _("Issuing authority")),
            field("issued_on", _("Issue date"), "date"),
            field("valid_until", _("Valid until"), "date"),
            field("scan", _("Scan"), "file", accept=".pdf,.jpg,.jpeg,.png",
                  help=_("PDF, JPG or PNG. A new file replaces the earlier scan.") if editing
                  else _("PDF, JPG or PNG.")),
        ]

    def _form_data(self):
        return {k: request.form.get(k) for k in ("cert_type", "number", "issuer", "issued_on", "valid_until")}

    def _render(self, title, fields, values, error, cancel):
        return self.render_template("anju/property/staff_form.html", title=title, fields=fields, values=values,
                                    error=error, submit=_("Save"), intro=None, cancel=cancel)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        staff = self._staff_in_scope(request.values.get("staff"))
        error = None
        values = {}
        if request.method == "POST":
            values = self._form_data()
            cert, error = _attempt(lambda: services.create_certificate(
                current_user_obj(), staff.id, values, request.files.get("scan")))
            if error is None:
                flash(_("Certificate %(number)s added.", number=cert.number), "success")
                return redirect(url_for("StaffView.show", pk=staff.id))
            staff = self._staff_in_scope(staff.id)
        return self._render(_("Add certificate: %(name)s", name=masking.person_text(staff.name)), self._fields(staff), values, error,
                            url_for("StaffView.show", pk=staff.id))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item_or_404(pk)
        error = None
        if request.method == "POST":
            values = self._form_data()
            _done, error = _attempt(lambda: services.update_certificate(
                current_user_obj(), item, values, request.files.get("scan")))
            if error is None:
                flash(_("Certificate %(number)s saved.", number=item.number), "success")
                return redirect(url_for("StaffView.show", pk=item.staff_id))
            item = self._item_or_404(pk)
        else:
            values = {"cert_type": item.cert_type, "number": item.number, "issuer": item.issuer or "",
                      "issued_on": item.issued_on.isoformat() if item.issued_on else "",
                      "valid_until": item.valid_until.isoformat() if item.valid_until else ""}
        return self._render(_("Edit certificate: %(name)s", name=item.staff.name), self._fields(item.staff, True),
                            values, error, url_for("StaffView.show", pk=item.staff_id))

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        if request.method != "POST":
            flash(_("This operation must be submitted from its form."), "danger")
            return redirect(url_for("CertificateView.list"))
        item = self._item_or_404(pk)
        staff_id, number = item.staff_id, item.number
        _done, error = _attempt(lambda: services.delete_certificate(current_user_obj(), item))
        if error:
            flash(error, "danger")
        else:
            flash(_("Certificate %(number)s deleted.", number=number), "success")
        return redirect(url_for("StaffView.show", pk=staff_id))


def register(appbuilder):
    appbuilder.add_view(StaffView(), "Staff", label=_l("Staff"), category="Property",
                        category_label=_l("Property management"), icon="fa-id-badge")
    appbuilder.add_view_no_menu(CertificateView())
    services.register_worklist()
