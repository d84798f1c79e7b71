import django_filters
from django.db import models

from api.filters import ResourceFilterSet
from exports.models import Export, SkillExport

SORTABLE = (
    "resource_type",
    "format",
    "status",
    "started_at",
    "completed_at",
    "interrupted_at",
    "records_count",
    "attachment_url",
    "id",
    "created_at",
    "updated_at",
    "reference",
    "reference_origin",
)


class ExportFilterSet(ResourceFilterSet):
    # JSON attributes: `null`/`present`/`blank`, and `cont` searches their text.
    errors_log_cont = django_filters.CharFilter(field_name="errors_log", lookup_expr="icontains")
    metadata_cont = django_filters.CharFilter(field_name="metadata", lookup_expr="icontains")

    attributes = {
        **{name: name for name in SORTABLE},
        "attachment_url": "attachment",
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
