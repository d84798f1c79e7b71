"""Skillport's rows as the Anthropic Skills API's objects, and its page tokens.

An Anthropic skill is a Skillport `Skill` (one folder holding a `SKILL.md`, id stable across
versions); its versions are the non-archived versions of its collection that hold it. Both SDK
generations read the same objects: the current one's fields (`display_name`,
`latest_version_id`) and the older beta's (`display_title`, `latest_version`, a version's
`version` and `directory`) are all written, each generation ignores the other's.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import InvalidParameter
from skills.models import Skill, SkillCollectionVersion

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SOURCE = "custom"


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds and `Z`, as Anthropic writes `created_at`."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def epoch_version(created_at: datetime) -> str:
    """The beta's version identifier: the version's creation time in Unix epoch microseconds
    (`"1759178010641129"`), as Anthropic's own beta numbers its versions."""
    delta = created_at - EPOCH
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def epoch_datetime(identifier: str) -> datetime | None:
    """The creation time an epoch-microseconds identifier names, None when out of range."""
    try:
        return EPOCH + timedelta(microseconds=int(identifier))
    except (OverflowError, ValueError):
        return None


def skill_object(skill: Skill) -> dict[str, Any]:
    """`skill`, annotated by `selectors.skills_for` with its latest live version."""
    latest_id = getattr(skill, "latest_version_pk", None)
    latest_created = getattr(skill, "latest_version_created_at", None)
    title = skill.skill_collection.name
    return {
        "type": "skill",
        "id": str(skill.pk),
        "display_name": title,
        "display_title": title,
        "latest_version_id": str(latest_id) if latest_id else None,
        "latest_version": epoch_version(latest_created) if latest_created else None,
        "source": SOURCE,
        "created_at": timestamp(skill.created_at),
        "updated_at": timestamp(skill.updated_at),
    }


def version_object(
    skill: Skill, version: SkillCollectionVersion, description: str | None = None
) -> dict[str, Any]:
    """One version of `skill`; `description` is its SKILL.md's at that version when known."""
    return {
        "type": "skill_version",
        "id": str(version.pk),
        "skill_id": str(skill.pk),
        "version": epoch_version(version.created_at),
        "name": skill.name,
        "description": skill.description if description is None else description,
        "directory": folder_name(skill),
        "created_at": timestamp(version.created_at),
    }


def folder_name(skill: Skill) -> str:
    """The top folder of the skill's files in uploads and downloads: its own folder's name
    (equal to its `name`, which validation enforces), or the name for a root skill."""
    return posixpath.basename(skill.path) or skill.name


def deleted_object(kind: str, identifier: str) -> dict[str, str]:
    return {"type": f"{kind}_deleted", "id": identifier}


def page_body(items: list[dict], next_token: str | None) -> dict[str, Any]:
    """Anthropic's list envelope, read by both SDKs' `SyncPageCursor`."""
    return {"data": items, "has_more": next_token is not None, "next_page": next_token}


def encode_token(*values: Any) -> str:
    """An opaque page token: where the previous page ended, for a keyset seek."""
    raw = json.dumps([str(value) for value in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, size: int) -> list[str]:
    """The values of a page token of `size` values; a token that is not one is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not (
        isinstance(values, list)
        and len(values) == size
        and all(isinstance(value, str) for value in values)
    ):
        raise InvalidParameter("page", "'page' is not a page token from a previous response.")
    return values
