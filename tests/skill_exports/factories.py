"""Registry content for skill exports, built on the skills factories."""

from skills.models import Skill
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillPluginFactory,
    create_version,
    skill_files,
)


def collection_with_skills(organization, names, *, collection_name=None) -> list[Skill]:
    """A collection whose one version holds a folder per skill name; returns its skills."""
    extra = {"name": collection_name} if collection_name else {}
    collection = SkillCollectionFactory(organization=organization, **extra)
    create_version(collection, skill_files(*names))
    return list(Skill.objects.filter(skill_collection=collection).order_by("name"))


def plugin_with_skills(organization, name, skill_names, **attributes):
    plugin = SkillPluginFactory(organization=organization, name=name, **attributes)
    plugin.skills.set(collection_with_skills(organization, skill_names))
    return plugin
