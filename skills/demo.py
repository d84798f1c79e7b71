"""The demo registry `make serve` offers on an empty database: a skill collection with two
labelled versions, a plugin holding its skills and a marketplace holding the plugin, written
through the services (so blobs, the skills index and events are what real use gives)."""

from dataclasses import dataclass

from django.db import transaction

from core.models import Tenant
from skills import services
from skills.models import Skill, SkillCollection, SkillMarketplace, SkillPlugin

COLLECTION = "support"
PLUGIN = "support-kit"
MARKETPLACE = "acme-tools"


def _skill_md(name: str, description: str, extra: str = "") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n# {name}\n".encode()


VERSION_1 = {
    "README.md": b"Skills of the support team.\n",
    "pdf-tools/SKILL.md": _skill_md(
        "pdf-tools", "Work with PDFs.", "allowed-tools: Read, Bash(python:*)\n"
    ),
    "pdf-tools/scripts/extract.py": b"import sys\nprint(open(sys.argv[1], 'rb').read()[:8])\n",
}
VERSION_2 = {
    **VERSION_1,
    "pdf-tools/SKILL.md": _skill_md(
        "pdf-tools",
        "Extract text and tables from PDFs, fill PDF forms.",
        "allowed-tools: Read, Bash(python:*)\nlicense: MIT\n",
    ),
    "release-notes/SKILL.md": _skill_md(
        "release-notes", "Write release notes from merged pull requests.", "allowed-tools: Read\n"
    ),
}


@dataclass
class DemoRegistry:
    collection: SkillCollection
    plugin: SkillPlugin
    marketplace: SkillMarketplace
    created: bool


def ensure_demo_registry(tenant: Tenant, actor) -> DemoRegistry:
    """Create the demo registry in `tenant` (an organization in one mode), or find it
    (`created` False) when a previous run made it; what a user changed since is kept."""
    collections = SkillCollection.objects.for_tenant(tenant).filter(name=COLLECTION)
    plugins = SkillPlugin.objects.for_tenant(tenant).filter(name=PLUGIN)
    marketplaces = SkillMarketplace.objects.for_tenant(tenant).filter(name=MARKETPLACE)
    if collections.exists():
        return DemoRegistry(collections.get(), plugins.first(), marketplaces.first(), False)
    with transaction.atomic():
        collection = services.create_collection(
            tenant=tenant,
            actor=actor,
            name=COLLECTION,
            root_path=".claude/skills",
            provider="claude",
        )
        services.create_version(
            collection,
            actor=actor,
            files=VERSION_1,
            commit_message="pdf-tools",
            release_label="stable",
        )
        services.create_version(
            collection,
            actor=actor,
            files=VERSION_2,
            commit_message="release-notes; pdf-tools does forms",
            release_label="prod",
        )
        plugin = services.create_plugin(
            tenant=tenant,
            actor=actor,
            skills=Skill.objects.filter(skill_collection=collection),
            name=PLUGIN,
            version="1.0.0",
            description="The support team's skills.",
            author={"name": "Demo", "email": getattr(actor, "email", "")},
            license="MIT",
            keywords=["pdf", "release-notes"],
        )
        marketplace = services.create_marketplace(
            tenant=tenant,
            actor=actor,
            skill_plugins=[plugin],
            name=MARKETPLACE,
            owner={"name": "Acme", "email": getattr(actor, "email", "")},
            description="Acme's plugins.",
            version="1.0.0",
        )
    return DemoRegistry(collection, plugin, marketplace, True)
