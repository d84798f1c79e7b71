"""Registry content for skill exports, built on the skills factories."""

from datetime import timedelta

import factory
from django.utils import timezone

from core.models import Mode
from exports.models import SkillExport
from files.models import File, FileLink
from skills.models import Skill
from tests.factories import OrganizationFactory
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillPluginFactory,
    create_version,
    skill_files,
)


def collection_with_skills(
    organization, names, *, collection_name=None, mode=Mode.TEST
) -> list[Skill]:
    """A collection whose one version holds a folder per skill name; returns its skills."""
    extra = {"name": collection_name} if collection_name else {}
    collection = SkillCollectionFactory(organization=organization, mode=mode, **extra)
    create_version(collection, skill_files(*names))
    return list(Skill.objects.filter(skill_collection=collection).order_by("name"))


def plugin_with_skills(organization, name, skill_names, **attributes):
    # The skills in the plugin's mode: a plugin cannot link another mode's skills.
    skills = collection_with_skills(
        organization, skill_names, mode=attributes.get("mode", Mode.TEST)
    )
    # Created and linked at once, as `services.create_plugin` does: one change in its history.
    plugin = SkillPluginFactory(organization=organization, name=name, **attributes)
    plugin.skills.set(skills)
    return plugin


class FileFactory(factory.django.DjangoModelFactory):
    """A stored-file record (the bytes are not needed to list or link it)."""

    class Meta:
        model = File

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    file_name = factory.Sequence(lambda n: f"kit-{n}.zip")
    file_size = 1234
    file_type = "application/zip"
    title = factory.LazyAttribute(lambda file: f"plugin {file.file_name}")
    purpose = File.Purpose.SKILL_EXPORT
    sha256 = "0" * 64
    storage_name = factory.LazyAttribute(lambda file: f"files/test/{file.file_name}")


class FileLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileLink

    file = factory.SubFactory(FileFactory)
    organization = factory.SelfAttribute("file.organization")
    mode = factory.SelfAttribute("file.mode")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class SkillExportFactory(factory.django.DjangoModelFactory):
    """A plugin export; `completed=True` gives it a file and a link like the worker does."""

    class Meta:
        model = SkillExport

    class Params:
        completed = factory.Trait(
            status=SkillExport.Status.COMPLETED,
            started_at=factory.LazyFunction(timezone.now),
            completed_at=factory.LazyFunction(timezone.now),
            file=factory.SubFactory(
                FileFactory,
                organization=factory.SelfAttribute("..organization"),
                mode=factory.SelfAttribute("..mode"),
                created_by=factory.SelfAttribute("..created_by"),
            ),
            file_link=factory.SubFactory(
                FileLinkFactory,
                file=factory.SelfAttribute("..file"),
                created_by=factory.SelfAttribute("..created_by"),
            ),
        )

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    created_by = None
    target = SkillExport.Target.PLUGIN
    skill_plugin = factory.SubFactory(
        SkillPluginFactory,
        organization=factory.SelfAttribute("..organization"),
        mode=factory.SelfAttribute("..mode"),
    )
