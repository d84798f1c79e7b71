"""Registry content built through the skills services, as the API would build it."""

from skills import services
from skills.models import Skill
from tests.factories import OrganizationFactory


def skill_md(name: str, description: str = "Does a thing.") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n".encode()


def collection_with_skills(organization, names, *, extra_files=None, collection_name=None):
    """A collection whose one version holds a folder per skill name; returns its skills."""
    collection = services.create_collection(
        organization=organization,
        actor=None,
        name=collection_name or "-".join(names),
        root_path=f".claude/skills/{collection_name or names[0]}",
    )
    files = {}
    for name in names:
        files[f"{name}/SKILL.md"] = skill_md(name)
        files[f"{name}/scripts/run.sh"] = f"#!/bin/sh\necho {name}\n".encode()
    files.update(extra_files or {})
    services.create_version(collection, actor=None, files=files, commit_message="init")
    return list(Skill.objects.filter(skill_collection=collection).order_by("name"))


def plugin_with_skills(organization, name, skill_names, **attributes):
    skills = collection_with_skills(organization, skill_names, collection_name=f"{name}-skills")
    return services.create_plugin(
        organization=organization, actor=None, skills=skills, name=name, **attributes
    )


__all__ = ["OrganizationFactory", "collection_with_skills", "plugin_with_skills", "skill_md"]
