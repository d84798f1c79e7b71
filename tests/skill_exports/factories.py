"""Registry content for skill exports, built on the skills factories."""

import factory

from api.models import Mode
from files.models import File
from skills.models import Skill
from tests.factories import OrganizationFactory
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


class FileFactory(factory.django.DjangoModelFactory):
    """A file record (its bytes are not needed to mint links to it)."""

    class Meta:
        model = File

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    file_name = factory.Sequence(lambda n: f"file-{n}.zip")
    file_size = 22
    file_type = "application/zip"
    purpose = File.Purpose.SKILL_EXPORT
    sha256 = "0" * 64
    storage_name = factory.LazyAttribute(lambda file: f"files/{file.file_name}")
