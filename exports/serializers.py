from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import ResourceSerializer, to_one
from core.errors import ValidationFailed
from core.signing import signed_url
from events.serializers import audited
from exports.bulk import registry, services
from exports.models import Export, SkillExport
from exports.skill_exports import services as skill_exports
from skills.models import Skill, SkillMarketplace, SkillPlugin

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


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "additionalProperties": {},
        "description": "Why an export was interrupted, by kind: "
        '`{"RecordLimitExceeded": "..."}`; null otherwise.',
    }
)
class ErrorsLogField(serializers.JSONField):
    pass


@audited
class ExportSerializer(ResourceSerializer):
    errors_log = ErrorsLogField(read_only=True)
    resource_type = serializers.CharField()
    includes = serializers.ListField(child=serializers.CharField(), required=False)
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    filters = serializers.DictField(required=False)
    metadata = serializers.DictField(required=False)
    attachment_url = serializers.SerializerMethodField()

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

    def get_fields(self):
        fields = super().get_fields()
        # The exportable types, listed in the API docs as the choices of `resource_type`.
        types = registry.exportable_types()
        fields["resource_type"] = serializers.ChoiceField(
            choices=types,
            error_messages={
                "invalid_choice": f"'{{input}}' is not an exportable type; one of: "
                f"{', '.join(types)}."
            },
        )
        return fields

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
        try:
            services.validate_spec(request.auth.tenant, attrs)
        except ValidationFailed as error:  # the service's refusal, as this serializer's errors
            raise serializers.ValidationError(error.errors) from None
        return attrs


@audited
class SkillExportSerializer(ResourceSerializer):
    target = serializers.ChoiceField(choices=SkillExport.Target.choices)
    skill = to_one("skill_exports", read_only=False, required=False, queryset=Skill.objects)
    skill_plugin = to_one(
        "skill_exports", read_only=False, required=False, queryset=SkillPlugin.objects
    )
    skill_marketplace = to_one(
        "skill_exports", read_only=False, required=False, queryset=SkillMarketplace.objects
    )
    file = to_one("skill_exports")
    file_link = to_one("skill_exports")
    created_by = to_one("skill_exports")

    included_serializers = {
        "skill": "skills.serializers.SkillSerializer",
        "skill_plugin": "skills.serializers.SkillPluginSerializer",
        "skill_marketplace": "skills.serializers.SkillMarketplaceSerializer",
        "file": "files.serializers.FileSerializer",
        "file_link": "files.serializers.FileLinkSerializer",
        "created_by": "organizations.serializers.MemberSerializer",
    }

    class Meta:
        model = SkillExport
        resource_name = "skill_exports"
        fields = (
            "target",
            "status",
            "error",
            "created_at",
            "started_at",
            "completed_at",
            "updated_at",
            "skill",
            "skill_plugin",
            "skill_marketplace",
            "file",
            "file_link",
            "created_by",
        )
        read_only_fields = ("status", "error", "started_at", "completed_at")

    def validate(self, attrs):
        errors = skill_exports.target_errors(attrs["target"], attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
