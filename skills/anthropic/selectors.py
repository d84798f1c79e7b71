"""Reads for the Anthropic Skills API surface: a tenant's skills, a skill's live versions, their
pages, and what a version's SKILL.md said."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from api.parameters import MAX_INTEGER, integer_parameter
from core.errors import InvalidParameter, NotFound
from core.models import Tenant
from skills import blobs
from skills.anthropic import objects
from skills.models import Skill, SkillCollectionVersion, VersionFile
from skills.validation import SKILL_FILE, TreeError, parse_skill_md

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


def live_versions(tenant: Tenant) -> QuerySet:
    """Versions that count on this surface: a deleted (archived) version is gone from it."""
    return SkillCollectionVersion.objects.for_tenant(tenant).filter(archived=False)


def skills_for(tenant: Tenant) -> QuerySet:
    """The tenant's skills of live collections, each with its latest live version's id and
    creation time (`latest_version_pk`, `latest_version_created_at`) in the same query."""
    latest = SkillCollectionVersion.objects.filter(skills=OuterRef("pk"), archived=False).order_by(
        "-number"
    )
    return (
        Skill.objects.for_tenant(tenant)
        .filter(skill_collection__is_deleted=False)
        .select_related("skill_collection")
        .annotate(
            latest_version_pk=Subquery(latest.values("pk")[:1]),
            latest_version_created_at=Subquery(latest.values("created_at")[:1]),
        )
    )


def skill_or_404(tenant: Tenant, identifier: str) -> Skill:
    try:
        pk = uuid.UUID(identifier)
    except ValueError:
        pk = None
    skill = skills_for(tenant).filter(pk=pk).first() if pk else None
    if skill is None:
        raise NotFound(f"No skill has the id '{identifier}'.")
    return skill


def versions_of(skill: Skill) -> QuerySet:
    return live_versions(skill.tenant).filter(skills=skill)


def version_or_404(skill: Skill, identifier: str) -> SkillCollectionVersion:
    """A live version of `skill` by its id (the current SDK), its epoch-microseconds `version`
    (the beta SDK), or `latest`."""
    versions = versions_of(skill).order_by("-number")
    found = None
    if identifier == "latest":
        found = versions.first()
    elif identifier.isascii() and identifier.isdigit():
        created_at = objects.epoch_datetime(identifier)
        found = versions.filter(created_at=created_at).first() if created_at else None
    else:
        try:
            found = versions.filter(pk=uuid.UUID(identifier)).first()
        except ValueError:
            found = None
    if found is None:
        raise NotFound(f"Skill '{skill.pk}' has no version '{identifier}'.")
    return found


def page_limit(query_params) -> int:
    return integer_parameter(query_params, "limit", DEFAULT_LIMIT, maximum=MAX_LIMIT)


def skills_page(tenant: Tenant, query_params) -> tuple[list[Skill], str | None]:
    """A page of skills, newest first; the token carries where the previous page ended."""
    queryset = skills_for(tenant)
    source = query_params.get("source")
    if source not in (None, "", objects.SOURCE):
        queryset = queryset.none()  # no Anthropic-published skills are served here
    token = query_params.get("page")
    if token:
        created, pk = objects.decode_token(token, 2)
        try:
            when, pk = datetime.fromisoformat(created), uuid.UUID(pk)
        except ValueError:
            raise InvalidParameter("page", "'page' is not a page token.") from None
        queryset = queryset.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
    limit = page_limit(query_params)
    rows = list(queryset.order_by("-created_at", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    token = objects.encode_token(last.created_at.isoformat(), last.pk) if more else None
    return rows, token


def versions_page(skill: Skill, query_params) -> tuple[list[SkillCollectionVersion], str | None]:
    """A page of a skill's live versions, newest first."""
    queryset = versions_of(skill)
    token = query_params.get("page")
    if token:
        (number,) = objects.decode_token(token, 1)
        if not (number.isascii() and number.isdigit() and len(number) <= 10) or (
            int(number) > MAX_INTEGER
        ):
            raise InvalidParameter("page", "'page' is not a page token.")
        queryset = queryset.filter(number__lt=int(number))
    limit = page_limit(query_params)
    rows = list(queryset.order_by("-number")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, objects.encode_token(rows[-1].number) if more else None


def skill_md_path(skill: Skill) -> str:
    return f"{skill.path}/{SKILL_FILE}" if skill.path else SKILL_FILE


def descriptions(skill: Skill, versions: list[SkillCollectionVersion]) -> dict:
    """version pk -> the description its SKILL.md gives, in one query (None when unreadable)."""
    rows = VersionFile.objects.filter(version__in=versions, path=skill_md_path(skill)).values_list(
        "version_id", "blob__storage_name"
    )
    found = {}
    for version_id, storage_name in rows:
        try:
            content = blobs.read_content(storage_name)
            manifest = parse_skill_md(
                skill_md_path(skill), content, skill.skill_collection.root_path
            )
        except (OSError, TreeError):
            continue
        found[version_id] = manifest.description
    return found


def version_skill_names(version: SkillCollectionVersion) -> list[str]:
    """The paths of the skills a version holds (one for a skill's own collection)."""
    return list(version.skills.values_list("path", flat=True))
