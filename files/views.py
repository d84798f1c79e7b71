from api.views import ReadOnlyResourceViewSet, ResourceViewSet
from files import filters, serializers, services
from files.models import File, FileLink


class FileViewSet(ReadOnlyResourceViewSet):
    queryset = File.objects.all()
    serializer_class = serializers.FileSerializer
    filterset_class = filters.FileFilterSet
    ordering_fields = ("created_at", "file_name", "file_size", "status")


class FileLinkViewSet(ResourceViewSet):
    queryset = FileLink.objects.select_related("file")
    serializer_class = serializers.FileLinkSerializer
    filterset_class = filters.FileLinkFilterSet
    ordering_fields = ("created_at", "expires_at")
    http_method_names = ["get", "post", "head", "options"]

    def create_service(self, data: dict) -> FileLink:
        return services.create_link(
            data["file"], expires_in=data.get("expires_in"), created_by=self.request.user
        )
