"""Writes of the Anthropic Skills API surface, through the registry's own services.

- Creating a skill creates a skill collection (named after the display title, else the skill's
  name) whose first version is the uploaded folder, as uploaded: `<name>/SKILL.md`, ...
- A new version of a skill is a new version of its collection in which the skill's folder is
  replaced by the upload and everything else is kept (other skills of a collection made through
  the JSON:API or git stay as they were).
- Deleting a version archives it; deleting a skill (once its versions are deleted) soft-deletes
  its collection. Both only for a skill that has its collection to itself: in a collection of
  several skills they would change the others.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Iterable

from core.errors import Conflict, ValidationFailed
from core.models import Tenant
from skills import services
from skills.anthropic import objects
from skills.models import Skill, SkillCollection, SkillCollectionVersion
from skills.validation import SKILL_FILE, check_tree, index_skills

ROOT_PREFIX = "anthropic-skills"
COMMIT_MESSAGE = "Uploaded through the Anthropic Skills API"
TITLE_LENGTH = SkillCollection._meta.get_field("name").max_length


def _refuse(detail: str) -> ValidationFailed:
    return ValidationFailed({"files": [detail]})


def upload_tree(files: Iterable[tuple[str, bytes]]) -> tuple[str, dict[str, bytes]]:
    """The uploaded files as a checked tree, and their one top folder, which must hold the
    skill's SKILL.md (raises TreeError or ValidationFailed)."""
    tree = check_tree(files)
    if not tree:
        raise _refuse("Upload at least the skill's SKILL.md.")
    tops = {path.split("/", 1)[0] for path in tree}
    if len(tops) != 1 or any("/" not in path for path in tree):
        raise _refuse(
            "All files must be in the same top-level folder, e.g. 'my-skill/SKILL.md' "
            f"(found {', '.join(sorted(tops)[:5])})."
        )
    (top,) = tops
    if f"{top}/{SKILL_FILE}" not in tree:
        raise _refuse(f"The top-level folder '{top}' must hold a {SKILL_FILE}.")
    nested = sorted(path for path in tree if posixpath.basename(path) == SKILL_FILE)[1:]
    if nested:
        raise _refuse(f"An Anthropic skill holds one {SKILL_FILE}; '{nested[0]}' is another.")
    return top, tree


def _free_name(tenant: Tenant, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, ... when a live collection already has the name
    (Anthropic's titles need not be unique, Skillport's collection names are)."""
    wanted = " ".join(wanted.split())[:TITLE_LENGTH] or "skill"
    taken = set(
        SkillCollection.objects.for_tenant(tenant)
        .alive()
        .filter(name__startswith=wanted)
        .values_list("name", flat=True)
    )
    name, number = wanted, 1
    while name in taken:
        number += 1
        suffix = f"-{number}"
        name = wanted[: TITLE_LENGTH - len(suffix)] + suffix
    return name


def create_skill(
    *, tenant: Tenant, actor, files: Iterable[tuple[str, bytes]], display_title: str | None
) -> Skill:
    top, tree = upload_tree(files)
    (manifest,) = index_skills(tree)  # validates the SKILL.md before anything is stored
    collection = services.create_collection(
        tenant=tenant,
        actor=actor,
        name=_free_name(tenant, display_title or manifest.name),
        root_path=f"{ROOT_PREFIX}/{uuid.uuid4()}",
        provider="claude",
    )
    services.create_version(collection, actor=actor, files=tree, commit_message=COMMIT_MESSAGE)
    return Skill.objects.get(skill_collection=collection, path=top)


def create_version(skill: Skill, *, actor, files: Iterable[tuple[str, bytes]]):
    """A new version of the skill's collection with the skill's folder replaced by the upload."""
    top, tree = upload_tree(files)
    folder = objects.folder_name(skill)
    if top != folder:
        raise _refuse(
            f"A new version of skill '{skill.name}' must be uploaded in its folder '{folder}/', "
            f"not '{top}/'."
        )
    collection = skill.skill_collection
    current = collection.current_version
    prefix = f"{skill.path}/" if skill.path else ""
    kept = {}
    if current is not None and prefix:
        kept = {
            path: content
            for path, content in services.version_contents(current).items()
            if not path.startswith(prefix)
        }
    uploaded = {prefix + path.split("/", 1)[1]: content for path, content in tree.items()}
    return services.create_version(
        collection, actor=actor, files={**kept, **uploaded}, commit_message=COMMIT_MESSAGE
    )


def _refuse_shared(skill: Skill, what: str) -> None:
    others = Skill.objects.filter(skill_collection_id=skill.skill_collection_id).exclude(
        pk=skill.pk
    )
    if others.exists():
        raise Conflict(
            f"Skill '{skill.name}' shares its skill collection "
            f"'{skill.skill_collection.name}' with other skills: {what} would change them too. "
            "Use the JSON:API (archive a version, delete the collection) instead."
        )


def delete_version(skill: Skill, version: SkillCollectionVersion) -> None:
    _refuse_shared(skill, "deleting a version")
    services.update_version(version, archived=True)


def delete_skill(skill: Skill, *, actor, live_versions: int) -> None:
    _refuse_shared(skill, "deleting the skill")
    if live_versions:
        raise ValidationFailed(
            {
                "skill": [
                    f"Skill '{skill.pk}' still has {live_versions} version(s): delete them "
                    "first, then the skill."
                ]
            }
        )
    services.delete_collection(skill.skill_collection, actor=actor)
