"""HTTP answers that are not JSON:API documents: streamed zip archives and the public envelope."""

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import slugify
from rest_framework.fields import DateTimeField

from skills import services
from skills.archives import stream_zip
from skills.conf import skills_conf
from skills.models import SkillCollection, SkillCollectionVersion
from skills.serializers import encode_file

_datetime = DateTimeField()


def zip_compress_level() -> int:
    """Deflate level of downloaded archives (0 stores without compressing)."""
    return int(skills_conf.ZIP_COMPRESS_LEVEL)


def zip_filename(collection: SkillCollection, version: SkillCollectionVersion) -> str:
    return f"{slugify(collection.name) or 'skill-collection'}-v{version.number}.zip"


def zip_response(request, collection: SkillCollection, version: SkillCollectionVersion):
    """The version as a streamed zip; `If-None-Match` with its ETag answers 304.

    The ETag is weak: the archive holds the version's files exactly, but the streamer stamps its
    entries with the time it writes them, so two downloads are equivalent, not byte-identical
    (the discovery index's archives are byte-identical: skills/discovery/archives.py)."""
    etag = f'W/"{version.digest}"'
    # Weak comparison (RFC 9110 13.1.2): a strong tag of the same digest matches too.
    tags = [
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("If-None-Match", "").split(",")
    ]
    if etag.removeprefix("W/") in tags:
        response = HttpResponse(status=304)
    else:
        response = StreamingHttpResponse(
            stream_zip(services.version_zip_sources(version), level=zip_compress_level()),
            content_type="application/zip",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{zip_filename(collection, version)}"'
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def public_collection(collection: SkillCollection) -> dict:
    """The PromptLayer `skill_collection` object."""
    return {
        "id": str(collection.pk),
        "workspace_id": str(collection.organization_id),
        "folder_id": collection.folder_id,
        "root_path": collection.root_path,
        "name": collection.name,
        "provider": collection.provider,
        "is_deleted": collection.is_deleted,
        "created_by": str(collection.created_by_id) if collection.created_by_id else None,
        "created_at": _datetime.to_representation(collection.created_at),
        "updated_by": str(collection.updated_by_id) if collection.updated_by_id else None,
        "updated_at": _datetime.to_representation(collection.updated_at),
    }


def public_version(version: SkillCollectionVersion) -> dict:
    """The PromptLayer `version` object."""
    return {
        "id": str(version.pk),
        "skill_collection_id": str(version.skill_collection_id),
        "workspace_id": str(version.organization_id),
        "number": version.number,
        "root_path_at_version": version.root_path_at_version,
        "provider": version.provider,
        "file_paths": list(version.file_paths),
        "commit_message": version.commit_message,
        "release_label": version.release_label,
        "archived": version.archived,
        "created_by": str(version.created_by_id) if version.created_by_id else None,
        "user_email": version.user_email,
        "created_at": _datetime.to_representation(version.created_at),
    }


def public_envelope(collection: SkillCollection, version: SkillCollectionVersion | None) -> dict:
    files = {}
    if version is not None:
        files = {p: encode_file(c) for p, c in services.version_contents(version).items()}
    return {
        "success": True,
        "skill_collection": public_collection(collection),
        "files": files,
        "version": public_version(version) if version is not None else None,
    }
