import django_filters
from django.db import models
from django.db.models import Q

from api.filters import BooleanFilter, ResourceFilterSet
from exports.models import Export, SkillExport

SORTABLE = (
    "resource_type",
    "format",
    "status",
    "started_at",
    "completed_at",
    "interrupted_at",
    "records_count",
    "id",
    "created_at",
    "updated_at",
    "reference",
    "reference_origin",
)


def _has_file(queryset, name: str, value: bool | None):
    """`attachment_url` is not null exactly when the export completed and its file is kept."""
    if value is None:
        return queryset
    has_file = Q(status=Export.Status.COMPLETED) & ~Q(attachment="")
    wants_file = value if name.endswith("_present") else not value
    return queryset.filter(has_file if wants_file else ~has_file)


class ExportFilterSet(ResourceFilterSet):
    # JSON attributes: `null`/`present`/`blank`, and `cont` searches their text.
    errors_log_cont = django_filters.CharFilter(field_name="errors_log", lookup_expr="icontains")
    metadata_cont = django_filters.CharFilter(field_name="metadata", lookup_expr="icontains")
    # `attachment_url` is a signed link minted on each read, so only whether there is one is
    # meaningful: it filters on that and does not sort.
    attachment_url_present = BooleanFilter(method=_has_file)
    attachment_url_blank = BooleanFilter(method=_has_file)
    attachment_url_null = BooleanFilter(method=_has_file)
    attribute_notes = {
        "attachment_url": "'attachment_url' is a signed link minted on each read: filter with "
        "attachment_url_present, _blank or _null (whether the export has a file to download); "
        "it does not sort (sort by completed_at).",
    }

    attributes = {
        **{name: name for name in SORTABLE},
        "errors_log": "errors_log",
        "metadata": "metadata",
    }

    class Meta:
        model = Export
        fields = []
        # JSON attributes take the `null`/`present`/`blank` predicates.
        filter_overrides = {models.JSONField: {"filter_class": django_filters.CharFilter}}


class SkillExportFilterSet(ResourceFilterSet):
    attributes = ["id", "target", "status", "created_at", "started_at", "completed_at"]
    multi_value = ("id", "target", "status")

    class Meta:
        model = SkillExport
        fields = []
