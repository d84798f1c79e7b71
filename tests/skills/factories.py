import io
import zipfile

import factory

from core.models import Mode
from skills import services
from skills.models import SkillCollection, SkillMarketplace, SkillPlugin
from tests.factories import MemberFactory, OrganizationFactory


def skill_md(name: str, description: str = "Does a useful thing.", extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n# {name}\n"


def skill_files(*names: str) -> dict[str, str]:
    files = {"README.md": "A collection.\n"}
    for name in names:
        files[f"{name}/SKILL.md"] = skill_md(name)
        files[f"{name}/scripts/run.py"] = f"print('{name}')\n"
    return files


def make_zip(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries.items():
            archive.writestr(path, content)
    return buffer.getvalue()


class SkillCollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillCollection

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    created_by = factory.SubFactory(
        MemberFactory, organization=factory.SelfAttribute("..organization")
    )
    updated_by = factory.SelfAttribute("created_by")
    name = factory.Sequence(lambda n: f"collection-{n}")
    root_path = factory.Sequence(lambda n: f".claude/skills-{n}")
    provider = "claude"


def create_version(collection, files=None, **kwargs):
    """A version through the real service (blobs, skills index and all)."""
    files = skill_files("pdf-tools") if files is None else files
    encoded = {
        path: content.encode() if isinstance(content, str) else content
        for path, content in files.items()
    }
    return services.create_version(collection, actor=collection.created_by, files=encoded, **kwargs)


class SkillPluginFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillPlugin

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    name = factory.Sequence(lambda n: f"plugin-{n}")
    version = "1.0.0"
    description = "A plugin."


class SkillMarketplaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillMarketplace

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    name = factory.Sequence(lambda n: f"market-{n}")
    owner = factory.LazyFunction(lambda: {"name": "Acme", "email": "ops@example.com"})
