from api.filters import ResourceFilterSet
from files.models import File, FileLink


class FileFilterSet(ResourceFilterSet):
    attributes = ["id", "status", "file_name", "file_type", "purpose", "sha256", "created_at"]

    class Meta:
        model = File
        fields = []


class FileLinkFilterSet(ResourceFilterSet):
    attributes = {
        "id": "id",
        "file_id": "file",
        "expires_at": "expires_at",
        "created_at": "created_at",
    }

    class Meta:
        model = FileLink
        fields = []
