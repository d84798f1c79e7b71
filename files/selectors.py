from django.utils import timezone

from core.signing import signed_url
from files.models import File, FileLink


def link_is_live(link_id: str) -> bool:
    """Downloads check this on every request, so revoking a link takes effect at once."""
    return FileLink.objects.filter(
        pk=link_id,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        file__status=File.Status.ACTIVE,
    ).exists()


def link_url(link: FileLink, request=None) -> str:
    file = link.file
    return signed_url(
        file.storage_name,
        request=request,
        expires_at=link.expires_at,
        filename=file.file_name,
        content_type=file.file_type,
        link_id=str(link.pk),
    ).url
