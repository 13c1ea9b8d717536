"""记分标准 (scoring standards): the list (current versions by default), a standard's page
with all its versions, add and edit (an edit of a standard in use writes a new version),
delete while unused, and the Excel template, import and export.

The rules (checks, versioning, import) live in app/credit/rules.py.
"""
from flask import g, request
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired

from app.core.errors import DomainError
from app.core.views import AnjuModelView, ScopedInterface
from app.credit import rules, schemas
from app.credit.models import CreditRule
from app.credit.services import OPERATION_LABELS, SCORE_TYPE_LABELS, SEVERITY_LABELS, label_of
from app.extensions import db
from app.system import dicts
from app.system.params import get_param


class VirtualColumnsInterface(ScopedInterface):
    """A scoped datamodel whose lists may show columns computed from the row
    (``virtual = {name: fn(row)}``): a range, a signed score, a link."""

    virtual = {}

    def is_property(self, col_name):
        return col_name in self.virtual or super().is_property(col_name)

    def is_function(self, col_name):
        return col_name not in self.virtual and super().is_function(col_name)

    def _get_attr_value(self, item, col):
        fn = self.virtual.get(col)
        if fn is not None:
            return fn(item)
        return super()._get_attr_value(item, col)


def score_range(rule):
    return f"{rule.min_score}–{rule.max_score}"


class RuleInterface(VirtualColumnsInterface):
    virtual = {"score_range": score_range}


class FilterVersions(BaseFilter):
    """版本范围 (on the version column): ``current`` the current versions, ``all`` every version.
    With nothing chosen the list shows the current versions (see CreditRuleView)."""

    name = _l("Versions")
    arg_name = "versions"

    def apply(self, query, value):
        if value != "all":
            return query.filter(CreditRule.is_current.is_(True))
        return query


def _choices(labels):
    return [(code, label) for code, label in labels.items()]


def _all(choices):
    return lambda: [("", _l("All"))] + list(choices() if callable(choices) else choices)


def _category_choices():
    return dicts.items(rules.CATEGORY_DICT)


def _default_validity():
    return get_param("credit.general_validity_months")


class CreditRuleView(AnjuModelView):
    datamodel = RuleInterface(CreditRule)
    route_base = "/credit/rules"
    list_title = _l("Scoring standards")
    show_title = _l("Scoring standard")
    add_title = _l("Add scoring standard")
    edit_title = _l("Edit scoring standard")
    show_template = "anju/credit/rule_show.html"
    xlsx_title = _l("Scoring standards")
    xlsx_columns = schemas.RULE_COLUMNS
    import_unique = [("code",)]
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_import",
                        "can_template"]
    label_columns = {**rules.LABELS, "score_range": _l("Score range"), "effective_from": _l("Effective date")}
    list_columns = ["code", "version", "item", "category", "score_type", "suggested_score", "score_range",
                    "operation", "severity", "validity_months", "effective_from", "enabled"]
    show_columns = ["code", "version", "item", "category", "score_type", "suggested_score", "min_score",
                    "max_score", "operation", "severity", "validity_months", "effective_from", "effective_to",
                    "enabled", "is_current", "basis"]
    add_columns = ["code", "item", "category", "score_type", "suggested_score", "min_score", "max_score",
                   "operation", "severity", "validity_months", "effective_from", "effective_to", "enabled", "basis"]
    edit_columns = add_columns[1:]
    search_columns = ["code", "item", "category", "score_type", "version", "operation", "severity", "enabled"]
    inline_search_columns = ["code", "item", "category", "score_type", "version"]
    search_filters = {"category": [FilterEqual], "score_type": [FilterEqual], "operation": [FilterEqual],
                      "severity": [FilterEqual], "version": [FilterVersions]}
    search_form_extra_fields = {
        "category": SelectField(_l("Category"), choices=_all(_category_choices)),
        "score_type": SelectField(_l("Scoring type"), choices=_all(_choices(SCORE_TYPE_LABELS))),
        "operation": SelectField(_l("Operation type"), choices=_all(_choices(OPERATION_LABELS))),
        "severity": SelectField(_l("Severity"), choices=_all(_choices(SEVERITY_LABELS))),
        "version": SelectField(_l("Versions"), choices=[("current", _l("Current versions only")),
                                                        ("all", _l("All versions"))]),
    }
    add_form_extra_fields = {
        "code": StringField(rules.LABELS["code"], validators=[DataRequired()],
                            description=_l("Letters, digits, '-' or '_'; it cannot be changed later.")),
        "category": SelectField(rules.LABELS["category"], choices=_category_choices, validators=[DataRequired()]),
        "score_type": SelectField(rules.LABELS["score_type"], choices=_choices(SCORE_TYPE_LABELS),
                                  validators=[DataRequired()]),
        "operation": SelectField(rules.LABELS["operation"], choices=_choices(OPERATION_LABELS),
                                 validators=[DataRequired()],
                                 description=_l("Manual: applied through 记分申请; system: fed by other modules.")),
        "severity": SelectField(rules.LABELS["severity"], choices=_choices(SEVERITY_LABELS),
                                validators=[DataRequired()]),
        "validity_months": IntegerField(rules.LABELS["validity_months"], default=_default_validity,
                                        validators=[InputRequired()],
                                        description=_l("How long a record under this standard counts "
                                                       "(general 12 months, serious 36 by default).")),
        "enabled": BooleanField(rules.LABELS["enabled"], default=True),
    }
    edit_form_extra_fields = {k: v for k, v in add_form_extra_fields.items() if k != "code"}
    formatters_columns = {
        "category": dicts.formatter(rules.CATEGORY_DICT),
        "score_type": lambda v: label_of(SCORE_TYPE_LABELS, v),
        "operation": lambda v: label_of(OPERATION_LABELS, v),
        "severity": lambda v: label_of(SEVERITY_LABELS, v),
    }
    base_order = ("code", "asc")

    # --- the list: current versions unless the user asks for all ---
    def _versions_arg(self):
        for key in request.args:
            if key.startswith("_flt_") and key.endswith("_version"):
                return key
        return None

    def _get_list_widget(self, filters, *args, **kwargs):
        if self._versions_arg() is None:
            filters = filters.copy().add_filter("version", FilterVersions, "current")
        return super()._get_list_widget(filters, *args, **kwargs)

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = super()._get_search_widget(form=form, exclude_cols=exclude_cols, widgets=widgets)
        inline = widgets.get("inline")
        if inline is not None and self._versions_arg() is None:
            for field in inline.fields:
                if field.column == "version":
                    field.value = "current"      # what the list shows when nothing is chosen
        return widgets

    def export_query(self):
        query = super().export_query()
        if self._versions_arg() is None:
            query = query.filter(CreditRule.is_current.is_(True))
        return query

    # --- a standard's page: this version and every version of its number ---
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        versions = rules.versions_of(item.code)
        return self.render_template(
            self.show_template, title=self.show_title, item=item, versions=versions,
            in_use={v.id: rules.in_use(v) for v in versions}, labels=rules.LABELS,
            category=dicts.formatter(rules.CATEGORY_DICT), score_type=SCORE_TYPE_LABELS,
            operation=OPERATION_LABELS, severity=SEVERITY_LABELS, label_of=label_of,
            can_edit=self._permitted(self, "can_edit") and item.is_current,
            can_delete=self._permitted(self, "can_delete"),
            delete_refusal=rules.delete_refusal(item),
        )

    # --- writes: the rules of app/credit/rules.py; a refusal is flashed and nothing saved ---
    @staticmethod
    def _refuse(exc):
        db.session.rollback()
        raise ValueError(str(exc))

    def pre_add(self, item):
        super().pre_add(item)
        try:
            rules.check_new(item)
        except DomainError as exc:
            self._refuse(exc)

    def pre_update(self, item):
        try:
            g.credit_rule_saved = rules.save_edit(item)
        except DomainError as exc:
            self._refuse(exc)

    def post_update(self, item):
        super().post_update(item)
        # An edit of a standard in use wrote a new version: land on it, named as it is.
        newer = g.pop("credit_rule_saved", None)
        g.anju_saved = (self, newer if newer is not None else item)

    post_update.records_saved = True

    def pre_delete(self, item):
        refusal = rules.delete_refusal(item)
        if refusal:
            raise ValueError(refusal)

    # --- import: all or nothing, through the same checks as the form ---
    def validate_import(self, rows):
        return rules.validate_import(rows)

    def import_rows(self, rows):
        return rules.import_rules(rows)


def register(appbuilder):
    from app.credit.views import menu

    menu(appbuilder, CreditRuleView(), "Scoring standards", _l("Scoring standards"), "fa-list-ol")

