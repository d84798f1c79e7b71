from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse

from api.exceptions import error_response
from api.methods import allow
from api.views import ResourceViewSet
from core.signing import ExpiredLink, InvalidLink, read_token
from exports.bulk import services
from exports.filters import SORTABLE, ExportFilterSet, SkillExportFilterSet
from exports.models import Export, SkillExport
from exports.serializers import ExportSerializer, SkillExportSerializer
from exports.skill_exports import services as skill_exports
from files.selectors import link_is_live


class SkillExportViewSet(ResourceViewSet):
    queryset = SkillExport.objects.select_related("file", "file_link__file")
    serializer_class = SkillExportSerializer
    filterset_class = SkillExportFilterSet
    ordering_fields = ("created_at",)
    http_method_names = ["get", "post", "head", "options"]

    def create_service(self, data: dict) -> SkillExport:
        target = data["target"]
        return skill_exports.create_skill_export(
            tenant=self.tenant,
            member=self.request.user,
            target=target,
            subject=data[SkillExport.TARGET_RELATIONSHIPS[target]],
        )


class ExportViewSet(ResourceViewSet):
    queryset = Export.objects.all()
    serializer_class = ExportSerializer
    filterset_class = ExportFilterSet
    ordering_fields = SORTABLE
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create_service(self, data: dict) -> Export:
        return services.create_export(self.tenant, self.request.user, data)

    def destroy_service(self, instance: Export) -> None:
        services.delete_export(instance)


@allow("GET")
def download(request, token: str):
    """Serves a signed link's file; no API key, the signature is the authorization."""
    try:
        ticket = read_token(token)
    except ExpiredLink as error:
        return error_response(410, "link_expired", str(error))
    except InvalidLink as error:
        return error_response(403, "invalid_signature", str(error))
    if ticket.link_id and not link_is_live(ticket.link_id):
        return error_response(410, "link_revoked", "The download link was revoked.")
    try:
        handle = default_storage.open(ticket.name, "rb")
    except (OSError, SuspiciousFileOperation):
        # Missing, a folder (IsADirectoryError), an empty name, or outside the storage root.
        return error_response(404, "not_found", "The file no longer exists.")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=ticket.filename,
        content_type=ticket.content_type,
    )
