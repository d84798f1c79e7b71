"""The Anthropic Skills API at `/v1/skills`, as the `anthropic` Python SDK calls it (the current
`client.skills` and the older `client.beta.skills` with `anthropic-beta: skills-2025-10-02`).

Same keys (`Authorization: Bearer` or `X-Api-Key`), tenancy, key scopes, rate limits,
`Idempotency-Key` and validation as the JSON:API; Anthropic's objects, list envelope and errors.
The mapping onto collections, skills and versions is in `skills/anthropic/services.py`.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import IdempotentCreateMixin
from core.errors import NotFound, ValidationFailed
from skills import blobs
from skills.anthropic import errors, objects, selectors, services
from skills.anthropic.parsers import SkillFilesParser
from skills.archives import stream_zip
from skills.downloads import zip_compress_level
from skills.models import Skill, SkillCollectionVersion

FILE_FIELDS = ("files[]", "files")
TITLE_FIELDS = ("display_title", "display_name")


class AnthropicView(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [SkillFilesParser]
    content_negotiation_class = errors.AlwaysJson
    schema = None  # not in /api/openapi.json: see docs/guides/anthropic-api.md

    def get_exception_handler(self):
        return errors.exception_handler

    def get_view_description(self, html=False) -> str:
        return ""  # OPTIONS answers users: the docstrings below are for developers

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        request_id = getattr(request._request, "request_id", None)
        if request_id:
            response["request-id"] = request_id
        return response

    @property
    def tenant(self):
        return self.request.auth.tenant

    def skill(self, skill_id: str) -> Skill:
        return selectors.skill_or_404(self.tenant, skill_id)


def uploaded_files(request) -> list[tuple[str, bytes]]:
    """The `files[]` parts as (path, content), in the order sent."""
    parts = [part for field in FILE_FIELDS for part in request.FILES.getlist(field)]
    if not parts:
        raise ValidationFailed({"files": ["Upload the skill's files as `files[]` parts."]})
    try:
        return [(part.path, part.read()) for part in parts]
    finally:
        for part in parts:
            part.close()


def display_title(request) -> str | None:
    for field in TITLE_FIELDS:
        value = request.data.get(field)
        if value is not None and value.strip():
            if len(value) > services.TITLE_LENGTH or "\n" in value or "\0" in value:
                raise ValidationFailed(
                    {field: [f"A single line of at most {services.TITLE_LENGTH} characters."]}
                )
            return value.strip()
    return None


class SkillListView(IdempotentCreateMixin, AnthropicView):
    """`GET /v1/skills` (paged) and `POST /v1/skills` (multipart `files[]`)."""

    def get(self, request):
        rows, token = selectors.skills_page(self.tenant, request.query_params)
        return Response(objects.page_body([objects.skill_object(s) for s in rows], token))

    def post(self, request):
        created = services.create_skill(
            tenant=self.tenant,
            actor=request.user,
            files=uploaded_files(request),
            display_title=display_title(request),
        )
        return Response(objects.skill_object(self.skill(str(created.pk))))


class SkillDetailView(AnthropicView):
    """`GET` and `DELETE /v1/skills/{skill_id}`."""

    def get(self, request, skill_id):
        return Response(objects.skill_object(self.skill(skill_id)))

    def delete(self, request, skill_id):
        skill = self.skill(skill_id)
        live = selectors.versions_of(skill).count()
        services.delete_skill(skill, actor=request.user, live_versions=live)
        return Response(objects.deleted_object("skill", str(skill.pk)))


def version_objects(skill: Skill, versions: list[SkillCollectionVersion]) -> list[dict]:
    described = selectors.descriptions(skill, versions)
    return [objects.version_object(skill, v, described.get(v.pk)) for v in versions]


class VersionListView(IdempotentCreateMixin, AnthropicView):
    """`GET` (paged) and `POST /v1/skills/{skill_id}/versions`."""

    def get(self, request, skill_id):
        skill = self.skill(skill_id)
        rows, token = selectors.versions_page(skill, request.query_params)
        return Response(objects.page_body(version_objects(skill, rows), token))

    def post(self, request, skill_id):
        skill = self.skill(skill_id)
        version = services.create_version(skill, actor=request.user, files=uploaded_files(request))
        skill = self.skill(skill_id)  # its name and description as this version indexed them
        return Response(objects.version_object(skill, version))


class VersionDetailView(AnthropicView):
    """`GET` and `DELETE /v1/skills/{skill_id}/versions/{version}`."""

    def get(self, request, skill_id, version):
        skill = self.skill(skill_id)
        found = selectors.version_or_404(skill, version)
        return Response(version_objects(skill, [found])[0])

    def delete(self, request, skill_id, version):
        skill = self.skill(skill_id)
        found = selectors.version_or_404(skill, version)
        services.delete_version(skill, found)
        return Response(objects.deleted_object("skill_version", str(found.pk)))


class VersionContentView(AnthropicView):
    """`GET /v1/skills/{skill_id}/versions/{version}/content`: the skill's folder at that
    version as a zip, under its folder's name (`my-skill/SKILL.md`, ...)."""

    def get(self, request, skill_id, version):
        skill = self.skill(skill_id)
        found = selectors.version_or_404(skill, version)
        folder = objects.folder_name(skill)
        prefix = f"{skill.path}/" if skill.path else ""
        rows = (
            found.files.filter(path__startswith=prefix)
            .order_by("path")
            .values_list("path", "blob__storage_name", "blob__size")
        )
        sources = [
            blobs.zip_source(f"{folder}/{path[len(prefix) :]}", name, size)
            for path, name, size in rows
        ]
        response = StreamingHttpResponse(
            stream_zip(sources, level=zip_compress_level()), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="{folder}.zip"'
        response["Cache-Control"] = "private, no-cache"
        return response


class NotFoundView(AnthropicView):
    """Anything else under `/v1/`: Anthropic's 404, never Django's."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound("There is nothing at this path.")
