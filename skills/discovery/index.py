"""The Agent Skills discovery index of a collection, plugin or marketplace (cloudflare/
agent-skills-discovery-rfc): v0.2.0 at `.well-known/agent-skills/index.json`, each skill an
`archive` entry (skills/discovery/archives.py) at `<name>.zip` next to the index, and the legacy
v0.1 index at `.well-known/skills/index.json`, each skill's files at `<name>/<path>` next to it.

A collection serves the skills of its current version (latest not archived) or of the version a
pin names; a plugin serves its skills, each from the latest version that has it, as its zip
export and git repository do; a marketplace serves the skills of all its plugins. Two different
skills of one name cannot both be served under it: the index is then a 409, as a plugin's
repository is.
"""

import re
from collections.abc import Iterable

from django.db.models import QuerySet

from skills.bundles.layouts import BundleError, stored_files
from skills.discovery.archives import SkillFiles, describe, skill_entries
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from skills.validation import SKILL_FILE

SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
# v0.1 file paths: printable ASCII without `\ ? # [ ]`, no `..` (a client refuses the whole
# index for one such path, so a file named otherwise is left out of the legacy listing).
LEGACY_PATH = re.compile(r"^[\x20-\x7e]+$")
LEGACY_FORBIDDEN = set("\\?#[]")


def _unique(skills: Iterable[Skill]) -> list[Skill]:
    """The skills by name, each once; two different skills of one name are a BundleError."""
    by_id = {skill.pk: skill for skill in skills}
    ordered = sorted(by_id.values(), key=lambda skill: (skill.name, str(skill.pk)))
    names = [skill.name for skill in ordered]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BundleError(f"Several skills are named {', '.join(duplicates)}.")
    return ordered


def _latest_files(skills: list[Skill]) -> list[SkillFiles]:
    """Each skill from the latest version that has it, the files of all in one query."""
    files = stored_files({skill.skill_collection_version_id for skill in skills})
    return [
        SkillFiles(
            skill.name,
            skill.description,
            skill_entries(skill.path, files[skill.skill_collection_version_id]),
        )
        for skill in skills
    ]


def served_skill_rows(
    target: SkillCollection | SkillPlugin | SkillMarketplace,
    version: SkillCollectionVersion | None = None,
) -> QuerySet[Skill]:
    """The skill rows the target serves (`version`: a collection's pinned one)."""
    if isinstance(target, SkillCollection):
        version = version or target.current_version
        return Skill.objects.filter(versions=version) if version else Skill.objects.none()
    if isinstance(target, SkillPlugin):
        return target.skills.all()
    return Skill.objects.filter(plugins__marketplaces=target).distinct()


def served_skills(
    target: SkillCollection | SkillPlugin | SkillMarketplace,
    version: SkillCollectionVersion | None = None,
) -> list[SkillFiles]:
    """The skills the target's index lists, by name. `version`: a collection's pinned one."""
    skills = _unique(served_skill_rows(target, version))
    if not isinstance(target, SkillCollection):
        return _latest_files(skills)
    version = version or target.current_version
    if version is None:
        return []
    files = stored_files([version.pk])[version.pk]
    return [
        SkillFiles(skill.name, skill.description, skill_entries(skill.path, files))
        for skill in skills
    ]


def index_v2(skills: list[SkillFiles]) -> dict:
    described = describe(skills)
    return {
        "$schema": SCHEMA,
        "skills": [
            {
                "name": skill.name,
                "type": "archive",
                "description": described[skill.key].description,
                "url": f"{skill.name}.zip",
                "digest": f"sha256:{described[skill.key].sha256}",
            }
            for skill in skills
        ],
    }


def legacy_path(path: str) -> bool:
    return (
        bool(LEGACY_PATH.match(path))
        and not LEGACY_FORBIDDEN & set(path)
        and ".." not in path
        and not path.startswith("/")
    )


def index_v1(skills: list[SkillFiles]) -> dict:
    described = describe(skills)
    listing = []
    for skill in skills:
        paths = [entry.path for entry in skill.entries if legacy_path(entry.path)]
        if SKILL_FILE not in paths:
            continue
        paths.remove(SKILL_FILE)
        listing.append(
            {
                "name": skill.name,
                "description": described[skill.key].description,
                "files": [SKILL_FILE, *paths],
            }
        )
    return {"skills": listing}
