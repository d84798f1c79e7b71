from rest_framework import serializers

from api.serializers import ResourceSerializer
from exports import services
from exports.models import Export
from exports.signing import signed_url

READ_ONLY = (
    "status",
    "started_at",
    "completed_at",
    "interrupted_at",
    "records_count",
    "records_total",
    "records_exported",
    "errors_log",
    "created_at",
    "updated_at",
)


class ExportSerializer(ResourceSerializer):
    resource_type = serializers.CharField()
    includes = serializers.ListField(child=serializers.CharField(), required=False)
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    filters = serializers.DictField(required=False)
    metadata = serializers.DictField(required=False)
    attachment_url = serializers.SerializerMethodField()

    # Relationships `events`, `versions` and `event_stores` are added here (with
    # `to_many("exports")`) when those types exist.

    class Meta:
        model = Export
        resource_name = "exports"
        fields = (
            "resource_type",
            "format",
            "includes",
            "fields",
            "filters",
            "dry_data",
            "reference",
            "reference_origin",
            "metadata",
            *READ_ONLY[:-2],
            "attachment_url",
            "created_at",
            "updated_at",
        )
        read_only_fields = READ_ONLY

    def get_attachment_url(self, export: Export) -> str | None:
        if not export.attachment or export.status != Export.Status.COMPLETED:
            return None
        return signed_url(
            export.attachment,
            request=self.context.get("request"),
            filename=export.file_name,
            content_type="application/gzip",
        ).url

    def validate(self, attrs):
        request = self.context["request"]
        services.validate_spec(request.auth.organization, attrs)
        return attrs
