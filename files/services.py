"""Writes for files and file links; the bytes go through Django's storage API."""

from datetime import timedelta
from pathlib import Path

from django.core.files import File as DjangoFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.digests import file_sha256
from core.models import Tenant
from core.signing import default_expires_in
from files.models import File, FileLink


def store_file(
    *,
    tenant: Tenant,
    source: Path,
    file_name: str,
    file_type: str,
    purpose: str,
    title: str = "",
    created_by=None,
) -> File:
    """Copy a finished local file into storage and record it."""
    record = File(
        **tenant.owner_fields(),
        file_name=file_name,
        file_size=source.stat().st_size,
        file_type=file_type,
        purpose=purpose,
        title=title,
        sha256=file_sha256(source),
        created_by=created_by,
    )
    with source.open("rb") as handle:
        record.storage_name = default_storage.save(
            f"files/{tenant.organization_id}/{record.pk}/{file_name}", DjangoFile(handle)
        )
    record.save()
    return record


def create_link(file: File, *, expires_in: int | None = None, created_by=None) -> FileLink:
    seconds = expires_in if expires_in is not None else default_expires_in()
    return FileLink.objects.create(
        **file.tenant.owner_fields(),
        file=file,
        expires_at=timezone.now() + timedelta(seconds=seconds),
        created_by=created_by,
    )


def revoke_links(links) -> int:
    return links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def delete_file(file: File) -> None:
    """Remove the bytes, keep the record (status `deleted`) and revoke its links."""
    revoke_links(file.links.all())
    File.objects.filter(pk=file.pk).update(status=File.Status.DELETED, updated_at=timezone.now())
    file.status = File.Status.DELETED
    name = file.storage_name
    transaction.on_commit(lambda: default_storage.delete(name))
