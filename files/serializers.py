from rest_framework import serializers

from api.serializers import ResourceSerializer, to_one
from files import selectors
from files.models import File, FileLink

MAX_LINK_SECONDS = 7 * 24 * 3600


class FileSerializer(ResourceSerializer):
    created_by = to_one("files")

    included_serializers = {"created_by": "organizations.serializers.MemberSerializer"}

    class Meta:
        model = File
        resource_name = "files"
        fields = (
            "status",
            "file_name",
            "file_size",
            "file_type",
            "title",
            "purpose",
            "sha256",
            "created_at",
            "updated_at",
            "created_by",
        )
        read_only_fields = fields


class FileLinkSerializer(ResourceSerializer):
    url = serializers.SerializerMethodField()
    expires_in = serializers.IntegerField(
        write_only=True, required=False, min_value=1, max_value=MAX_LINK_SECONDS
    )
    file = to_one("file_links", read_only=False, queryset=File.objects.all())

    included_serializers = {"file": FileSerializer}

    class Meta:
        model = FileLink
        resource_name = "file_links"
        fields = ("url", "expires_at", "expires_in", "revoked_at", "created_at", "file")
        read_only_fields = ("expires_at", "revoked_at", "created_at")

    def get_url(self, link: FileLink) -> str | None:
        if link.revoked_at is not None or link.file.status != File.Status.ACTIVE:
            return None
        return selectors.link_url(link, self.context.get("request"))

    def validate_file(self, file: File) -> File:
        if file.status != File.Status.ACTIVE:
            raise serializers.ValidationError("The file was deleted.")
        return file
