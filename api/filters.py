"""The one filter vocabulary, shared by list endpoints and export `filters`.

A resource declares its filterable attributes once on a `ResourceFilterSet`; each attribute
gets one filter per applicable predicate, named `<attr>_<predicate>` (Ransack style). The query
spellings `filter[attr]`, `filter[attr.predicate]` and `filter[q][attr_predicate]` all resolve
to those names, and so do the keys of an export's `filters` object.
"""

import datetime
import re
from collections import OrderedDict
from collections.abc import Mapping

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django_filters.utils import get_model_field
from rest_framework import filters as drf_filters

from api.exceptions import InvalidQueryParameter
from api.serializers import resource_serializer

# predicate -> (django lookup, exclude)
LOOKUP_PREDICATES = {
    "eq": ("exact", False),
    "not_eq": ("exact", True),
    "in": ("in", False),
    "not_in": ("in", True),
    "lt": ("lt", False),
    "lteq": ("lte", False),
    "gt": ("gt", False),
    "gteq": ("gte", False),
    "start": ("istartswith", False),
    "end": ("iendswith", False),
    "cont": ("icontains", False),
    "null": ("isnull", False),
}
STATE_PREDICATES = ("present", "blank", "true", "false")
PREDICATES = (*LOOKUP_PREDICATES, *STATE_PREDICATES)
TEXT_ONLY = {"start", "end", "cont"}
ORDERED_ONLY = {"lt", "lteq", "gt", "gteq"}
TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField, models.URLField)
UNORDERED_FIELDS = (models.BooleanField, models.UUIDField, models.ForeignKey, models.JSONField)
# Integer filter values beyond 64 bits overflow the database driver (a 500 on SQLite).
INTEGER_BOUNDS = {"min_value": -(2**63), "max_value": 2**63 - 1}


class FilterError(ValueError):
    def __init__(self, key: str, message: str | None = None):
        self.key = key
        self.message = message or f"'{key}' is not a filter of this resource."
        super().__init__(self.message)


def _predicates_for(model_field: models.Field) -> list[str]:
    if isinstance(model_field, models.JSONField):
        return ["null", "present", "blank"]
    if isinstance(model_field, models.BooleanField):
        return ["eq", "not_eq", "null", "true", "false"]
    predicates = [p for p in PREDICATES if p not in ("true", "false")]
    if not isinstance(model_field, TEXT_FIELDS):
        predicates = [p for p in predicates if p not in TEXT_ONLY]
    if isinstance(model_field, UNORDERED_FIELDS):
        predicates = [p for p in predicates if p not in ORDERED_ONLY]
    return predicates


class StrictBooleanField(forms.Field):
    """`true`/`false`/`1`/`0`; anything else is an error rather than a silently ignored filter."""

    values = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.values[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Enter true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StorableDateTimeField(forms.DateTimeField):
    """A date/time compared in UTC, as it is stored. `0001-01-01T00:00:00+14:00` has no UTC
    equivalent (SQLite's adapter raised OverflowError: a 500), and PostgreSQL refuses offsets
    beyond 15:59 that ISO 8601 allows (`+23:17`: a 500 there)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(
                "Enter a date/time between the years 1 and 9999 in UTC.", code="invalid"
            ) from None


class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = StorableDateTimeField


def _blank(path: str, model_field: models.Field) -> Q:
    """What `blank` means for a field: NULL; for text also ""; for JSON also the JSON null,
    `{}` and `[]` (the same SQL on SQLite and PostgreSQL)."""
    condition = Q(**{f"{path}__isnull": True})
    if isinstance(model_field, TEXT_FIELDS):
        condition |= Q(**{path: ""})
    elif isinstance(model_field, models.JSONField):
        # `path=None` is the JSON null (SQL NULL is the isnull above).
        condition |= Q(**{path: None}) | Q(**{path: {}}) | Q(**{path: []})
    return condition


def _state_filter(path: str, predicate: str, model_field: models.Field):
    """`present`/`blank`/`true`/`false` take a boolean saying whether the state must hold."""

    def method(queryset, name, value):
        if value is None:
            return queryset
        if predicate in ("true", "false"):
            condition = Q(**{path: predicate == "true"})
        else:
            condition = _blank(path, model_field)
            if predicate == "present":
                condition = ~condition
        return queryset.filter(condition if value else ~condition)

    return BooleanFilter(field_name=path, method=method)


class ResourceFilterSet(django_filters.FilterSet):
    """Declare `attributes = {"name": "orm__path"}` (or a list) and get every predicate."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": DateTimeFilter},
    }
    attributes: Mapping[str, str] | list[str] = ()
    # Attributes whose bare `filter[attr]=a,b` means "any of" (Metorial style).
    multi_value: tuple[str, ...] = ()
    # attr -> why it takes only some predicates or no sort; told in the 400/422 that refuses it.
    attribute_notes: Mapping[str, str] = {}

    @classmethod
    def note_for(cls, key: str) -> str:
        for attr, note in cls.attribute_notes.items():
            if key == attr or key.startswith(f"{attr}_"):
                return f" {note}"
        return ""

    @classmethod
    def get_filters(cls):
        filters = OrderedDict()
        if cls._meta.model is None:
            return filters
        attributes = cls.attributes
        if not isinstance(attributes, Mapping):
            attributes = {name: name for name in attributes}
        for attr, path in attributes.items():
            model_field = get_model_field(cls._meta.model, path)
            for predicate in _predicates_for(model_field):
                name = f"{attr}_{predicate}"
                if predicate in STATE_PREDICATES:
                    filters[name] = _state_filter(path, predicate, model_field)
                    continue
                if predicate == "null":  # a boolean for every field type, JSON included
                    filters[name] = BooleanFilter(field_name=path, lookup_expr="isnull")
                    continue
                lookup, exclude = LOOKUP_PREDICATES[predicate]
                # A relation filters by the related row's key as a plain value: an id that names
                # nothing (or another tenant's row) matches nothing, instead of the 400 a model
                # choice field gives only to ids that do not exist anywhere.
                target = getattr(model_field, "target_field", model_field)
                filter_class, params = cls.filter_for_lookup(target, lookup)
                if isinstance(model_field, models.IntegerField) and lookup != "isnull":
                    params = {**INTEGER_BOUNDS, **params}
                if issubclass(filter_class, django_filters.BooleanFilter):
                    filter_class = BooleanFilter
                filters[name] = filter_class(
                    field_name=path, lookup_expr=lookup, exclude=exclude, **params
                )
        filters.update(cls.declared_filters)
        return filters


def apply_filters(filterset_class, queryset, data: Mapping[str, object], request=None):
    """Filter `queryset` by Ransack-style keys; raise FilterError naming the first bad key."""
    filterset_class = filterset_class or ResourceFilterSet
    normalised = {}
    for key, value in data.items():
        if key not in filterset_class.base_filters:
            note = getattr(filterset_class, "note_for", lambda key: "")(key)
            raise FilterError(key, f"'{key}' is not a filter of this resource.{note}")
        if isinstance(value, (list, tuple)):
            value = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        normalised[key] = "" if value is None else str(value)
    filterset = filterset_class(data=normalised, queryset=queryset, request=request)
    if not filterset.is_valid():
        key, messages = next(iter(filterset.errors.items()))
        raise FilterError(key, " ".join(messages))
    return filterset.qs


FILTER_PARAM = re.compile(r"^filter\[(?P<path>[^\[\]]+)\](?:\[(?P<ransack>[^\[\]]+)\])?$")


def filter_key_for(parameter: str) -> tuple[str, bool] | None:
    """Map one query parameter spelling to (`<attr>_<predicate>`, whether no predicate was given).

    None when the parameter is malformed.
    """
    match = FILTER_PARAM.match(parameter)
    if not match:
        return None
    path, ransack = match["path"], match["ransack"]
    if ransack is not None:
        return (ransack, False) if path == "q" else None
    *attr_parts, last = path.split(".")
    if attr_parts and last in PREDICATES:
        return f"{'_'.join(attr_parts)}_{last}", False
    return f"{path.replace('.', '_')}_eq", True


class FilterBackend(drf_filters.BaseFilterBackend):
    """Reads both spellings from the query string and applies the view's `filterset_class`."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = getattr(view, "filterset_class", None) or ResourceFilterSet
        data, spelled = {}, {}
        for parameter in request.query_params:
            if not parameter.startswith("filter"):
                continue
            parsed = filter_key_for(parameter)
            if parsed is None:
                raise InvalidQueryParameter(parameter, f"'{parameter}' is not a valid filter.")
            key, bare = parsed
            value = request.query_params[parameter]
            if bare and "," in value and key.removesuffix("_eq") in filterset_class.multi_value:
                key = key.removesuffix("_eq") + "_in"
            data[key] = value
            spelled[key] = parameter
        if not data:
            return queryset
        try:
            return apply_filters(filterset_class, queryset, data, request)
        except FilterError as error:
            parameter = spelled[error.key]
            unknown = error.key not in filterset_class.base_filters
            message = error.message
            if unknown:
                note = getattr(filterset_class, "note_for", lambda key: "")(error.key)
                message = f"'{parameter}' is not a filter of this resource.{note}"
            raise InvalidQueryParameter(parameter, message) from None

    def get_schema_operation_parameters(self, view):
        filterset_class = getattr(view, "filterset_class", None) or ResourceFilterSet
        predicates = ", ".join(PREDICATES)
        return [
            {
                "name": f"filter[q][{name}]",
                "required": False,
                "in": "query",
                "description": f"Ransack-style filter; also spelled filter[attr.predicate] "
                f"(predicates: {predicates}).",
                **value_schema(filter_),
            }
            for name, filter_ in filterset_class.base_filters.items()
        ]


def value_schema(filter_) -> dict:
    """The OpenAPI schema of a filter's value, from the form field that reads it: a boolean for
    `null`/`present`/`blank`/`true`/`false`, a comma-separated list for `in`/`not_in`."""
    field = filter_.field
    if isinstance(field, StrictBooleanField):
        item = {"type": "boolean"}
    elif isinstance(field, forms.UUIDField):
        item = {"type": "string", "format": "uuid"}
    elif isinstance(field, forms.DateTimeField):
        item = {"type": "string", "format": "date-time"}
    elif isinstance(field, forms.IntegerField):
        item = {"type": "integer", "minimum": field.min_value, "maximum": field.max_value}
        item = {key: value for key, value in item.items() if value is not None}
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        item = {"type": "string", "enum": [value for value, _label in field.choices if value]}
    else:
        item = {"type": "string", "pattern": "^[^\\u0000]*$"}  # form fields refuse NUL
    if isinstance(filter_, django_filters.BaseCSVFilter):
        return {
            "schema": {"type": "array", "items": item, "minItems": 1},
            "style": "form",
            "explode": False,
        }
    return {"schema": item}


class OrderingFilter(drf_filters.OrderingFilter):
    """`sort=-created_at,name`; an unknown field is a 400, and `id` always breaks ties."""

    ordering_param = "sort"

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, (list, tuple)):
            return super().get_schema_operation_parameters(view)
        terms = [*fields, *(f"-{field}" for field in fields)]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to sort by; `-` sorts descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": terms}},
                "style": "form",
                "explode": False,
            }
        ]

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = {
                item[0] for item in self.get_valid_fields(queryset, view, {"request": request})
            }
            bad = [term for term in fields if term.lstrip("-") not in valid or not term.strip("-")]
            if bad:
                filterset_class = getattr(view, "filterset_class", None)
                notes = "".join(
                    filterset_class.note_for(term.lstrip("-"))
                    for term in bad
                    if hasattr(filterset_class, "note_for")
                )
                raise InvalidQueryParameter(
                    self.ordering_param,
                    f"Cannot sort by: {', '.join(bad)}.{notes}",
                    "invalid_sort",
                )
            ordering = fields
        elif "search_rank" in queryset.query.annotations:  # filter[search]: the best match first
            ordering = ["-search_rank"]
        else:
            ordering = list(self.get_default_ordering(view) or ["-created_at"])
        if not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            ordering.append("id")
        return ordering

    def filter_queryset(self, request, queryset, view):
        return queryset.order_by(*self.get_ordering(request, queryset, view))


STANDARD_PARAMETER = re.compile(
    r"^(?:include|sort|fields\[[a-z_]+\]|page\[(?:number|size|after|before)\]|filter\[.+)$"
)


def include_paths(serializer_class, depth: int = 3, prefix: str = "") -> set[str]:
    """Every include path a serializer accepts (three levels deep)."""
    paths = set()
    if depth == 0:
        return paths
    for name, included in getattr(serializer_class, "included_serializers", {}).items():
        paths.add(prefix + name)
        paths |= include_paths(included, depth - 1, f"{prefix}{name}.")
    return paths


class QueryParameterValidationFilter(drf_filters.BaseFilterBackend):
    """Refuse unknown query parameters, include paths and sparse fields with a 400."""

    def filter_queryset(self, request, queryset, view):
        extra = set(getattr(view, "extra_query_params", ()))
        for parameter, values in request.query_params.lists():
            if not (STANDARD_PARAMETER.match(parameter) or parameter in extra):
                raise InvalidQueryParameter(parameter, f"'{parameter}' is not a known parameter.")
            if len(values) > 1:
                raise InvalidQueryParameter(parameter, f"'{parameter}' is given more than once.")
        if "related_field" in view.kwargs:
            serializer_class = view.get_related_serializer_class()
        else:
            serializer_class = view.get_serializer_class()
        include = request.query_params.get("include")
        if include:
            known = include_paths(serializer_class)
            for path in include.split(","):
                if path not in known:
                    raise InvalidQueryParameter(
                        "include", f"'{path}' is not an includable relationship path."
                    )
        for parameter, value in request.query_params.items():
            if not parameter.startswith("fields["):
                continue
            type_name = parameter[len("fields[") : -1]
            type_serializer = resource_serializer(type_name)
            if type_serializer is None:
                raise InvalidQueryParameter(parameter, f"'{type_name}' is not a resource type.")
            known_fields = set(type_serializer._declared_fields) | set(type_serializer.Meta.fields)
            for field in filter(None, value.split(",")):
                if field not in known_fields:
                    raise InvalidQueryParameter(
                        parameter, f"'{field}' is not a field of '{type_name}'."
                    )
        return queryset
