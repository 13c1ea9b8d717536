"""The base of every module's REST API: scoped datamodel, masking of personal data, capped
pages, secrets never serialised, the OpenAPI document kept true (extra row properties), and
``ServiceCalls`` for endpoints that call a service (422 with the Chinese reason)."""
import logging
from functools import wraps

from flask import request
from flask_appbuilder import ModelRestApi
from flask_babel import gettext as _

from app.core import audit, masking
from app.core.schemas import AnjuSchemaConverter
from app.core.scope import stamp
from app.extensions import db

log = logging.getLogger(__name__)

from app.core.datamodels import SECRET_COLUMNS
from app.core.views import can_view_full_pii


def json_object():
    """The JSON object of a REST request's body, or a DomainError with the Chinese reason."""
    from app.core.errors import DomainError

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."))
    return data


class ServiceCalls:
    """For REST endpoints that call a service: ``_run(fn)`` answers ``ok_status`` with the dict
    the service returned, or 422 with the Chinese reason of its DomainError (the session rolled
    back, nothing half-written). ``run_commits``: commit after a successful call, for services
    that leave the commit to their caller."""

    run_commits = False

    def _run(self, fn, ok_status=200):
        from app.core.errors import DomainError

        try:
            result = fn()
            if self.run_commits:
                db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        return self.response(ok_status, **(result or {}))


class AnjuModelRestApi(ServiceCalls, ModelRestApi):
    """Base REST API: scoped datamodel, masking, capped pages, owner stamping."""

    allow_browser_login = False
    max_page_size = 100
    mask_columns = {}
    # Typed keys, ranges, existing related rows, clean text, Chinese messages (core/schemas.py).
    model2schemaconverter = AnjuSchemaConverter
    # Never serialised in any answer (list, show, or the echo of an add or edit), never
    # searched or ordered by; they may still be written where a view lists them to add.
    secret_columns = SECRET_COLUMNS

    def _init_properties(self):
        super()._init_properties()
        secret = set(self.secret_columns)
        for attr in ("list_columns", "show_columns", "list_select_columns", "show_select_columns",
                     "search_columns", "order_columns"):
            cols = getattr(self, attr, None)
            if cols:
                setattr(self, attr, [c for c in cols if c.split(".")[-1] not in secret])
        if secret & set(self._filters.get_search_filters()):
            self._filters = self.datamodel.get_filters(search_columns=self.search_columns,
                                                       search_filters=self.search_filters)

    def _init_model_schemas(self):
        super()._init_model_schemas()
        for schema in (self.add_model_schema, self.edit_model_schema):
            for name in list(schema.fields):
                if name in self.secret_columns:
                    schema.fields[name].load_only = True
                    schema.dump_fields.pop(name, None)

    # {key: OpenAPI property} a subclass adds to every list and show row (pre_get/pre_get_list).
    extra_response_properties = {}

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        if self.extra_response_properties:
            for name in (self.list_model_schema_name, self.show_model_schema_name):
                api_spec.components.schemas[name].setdefault("properties", {}).update(
                    self.extra_response_properties)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # gettext("") is the catalog's header: an undescribed field has no description.
        description = self.description_columns.get(field.name)
        info["description"] = _(description) if description else ""
        if type(field).__module__ == "app.core.schemas":
            info["type"] = type(field).__mro__[1].__name__  # FAB's names (String, Related)
        return info

    def __init__(self, *args, **kwargs):
        # Field labels in answers and _info: the model's declared (Chinese) labels, not FAB's
        # English names made from the column ("Parent Code", "Accepted At").
        self.label_columns = {**self._declared_labels(), **(self.label_columns or {})}
        super().__init__(*args, **kwargs)
        masking.register_personal(self.datamodel.obj, self.mask_columns)

    def _declared_labels(self):
        def labels_of(model):
            spec = getattr(model, "__audit__", None)
            return {**audit.COMMON_LABELS, **(spec.labels if spec is not None else {})}

        model = self.datamodel.obj
        out = dict(labels_of(model))
        columns = set()
        for attr in ("list_columns", "show_columns", "add_columns", "edit_columns", "search_columns"):
            columns |= set(getattr(self, attr, None) or [])
        for col in columns:
            if "." not in col:
                continue
            root, leaf = col.split(".", 1)
            rel = model.__mapper__.relationships.get(root)
            if rel is not None and "." not in leaf and leaf in labels_of(rel.mapper.class_):
                out[col] = labels_of(rel.mapper.class_)[leaf]
        return out

    def pre_add(self, item):
        stamp(item)

    def _guarded(self, call):
        """Rules broken in pre_add/pre_update/pre_delete answer 422 with the message."""
        from marshmallow import ValidationError as MaValidationError
        from sqlalchemy.exc import IntegrityError

        from app.core.errors import DomainError, conflict_message
        from app.core.validators import ValidationError

        try:
            return call()
        except MaValidationError as exc:
            db.session.rollback()
            return self.response_422(message=exc.messages)
        except (DomainError, ValidationError) as exc:
            db.session.rollback()
            return self.response_422(message=str(exc))
        except IntegrityError:
            db.session.rollback()
            log.warning("integrity error in %s", self.__class__.__name__, exc_info=True)
            return self.response_422(message=conflict_message())

    def post_headless(self):
        return self._guarded(super().post_headless)

    def put_headless(self, pk):
        return self._guarded(lambda: super(AnjuModelRestApi, self).put_headless(pk))

    def delete_headless(self, pk):
        return self._guarded(lambda: super(AnjuModelRestApi, self).delete_headless(pk))

    def pre_get(self, data):
        self._mask(data.get("result"))

    def pre_get_list(self, data):
        for row in data.get("result") or []:
            self._mask(row)

    def _kinds_at(self, path):
        """Personal columns of the model found at ``path`` (relation names) from ours."""
        model = self.datamodel.obj
        try:
            for name in path:
                model = model.__mapper__.relationships[name].mapper.class_
        except (KeyError, AttributeError):
            return {}
        kinds = masking.personal_columns(model)
        return {**kinds, **self.mask_columns} if not path else kinds

    def _mask(self, row):
        """Every personal value of an answer, nested relations included, as the viewer may
        see it (declared on the model, by the API, or named so: legal_rep, *_mobile, ...)."""
        if not row or can_view_full_pii():
            return
        masking.mask_tree(row, self._kinds_at)


def require_password_current(fn):
    """Refuse API calls from a user who must change the password first."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        from app.core.scope import current_user_obj

        user = current_user_obj()
        if user is not None and getattr(user, "must_change_password", False):
            return {"message": _("You must change your password before going on.")}, 403
        return fn(*args, **kwargs)

    return wrapper
