"""Rows of every organization-owned model the admin shows, for one tenant (organization, mode).

The admin sweep opens a change form of each such model and checks its choices hold this tenant's
rows only; a new model registered in the admin needs a row here (the sweep says so)."""

from dataclasses import dataclass

from django.utils import timezone

from events.models import Event, EventCallback, Webhook, WebhookDelivery
from exports.models import Export, SkillExport
from organizations.models import ApiKey, Member, Organization, Team
from skills import sharing
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.events.factories import WebhookFactory
from tests.exports.factories import ExportFactory
from tests.factories import ApiKeyFactory, MemberFactory, TeamFactory
from tests.skill_exports.factories import SkillExportFactory
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillMarketplaceFactory,
    SkillPluginFactory,
    create_version,
    skill_files,
)


@dataclass
class Rows:
    organization: Organization
    mode: str
    member: Member
    team: Team
    key: ApiKey
    collection: SkillCollection
    versions: list[SkillCollectionVersion]
    skills: list[Skill]
    plugin: SkillPlugin
    marketplace: SkillMarketplace
    export: Export
    skill_export: SkillExport
    webhook: Webhook
    delivery: WebhookDelivery


def populate(organization: Organization, mode: str, prefix: str) -> Rows:
    """A tenant's rows; `prefix` names its skills, so another tenant's are told apart."""
    member = MemberFactory(organization=organization)
    team = TeamFactory(organization=organization)
    member.teams.add(team)
    key = ApiKeyFactory(member=member, mode=mode)
    collection = SkillCollectionFactory(
        organization=organization, mode=mode, created_by=member, name=f"{prefix}-collection"
    )
    first = create_version(collection, skill_files(f"{prefix}-one"))
    files = {**skill_files(f"{prefix}-one", f"{prefix}-two"), "README.md": "Changed.\n"}
    second = create_version(collection, files, release_label="prod")
    skills = list(Skill.objects.filter(skill_collection=collection).order_by("name"))
    plugin = SkillPluginFactory(organization=organization, mode=mode, name=f"{prefix}-kit")
    plugin.skills.set(skills[:1])
    marketplace = SkillMarketplaceFactory(
        organization=organization, mode=mode, name=f"{prefix}-market"
    )
    marketplace.skill_plugins.set([plugin])
    export = ExportFactory(
        organization=organization,
        mode=mode,
        created_by=member,
        status=Export.Status.INTERRUPTED,
        errors_log={"RuntimeError": "query timeout"},
    )
    skill_export = SkillExportFactory(
        organization=organization, mode=mode, created_by=member, skill_plugin=plugin, completed=True
    )
    webhook = WebhookFactory(organization=organization, mode=mode, topic="skill_plugins.update")
    event = Event.objects.filter(organization=organization, mode=mode).first()
    delivery = WebhookDelivery.objects.create(
        organization=organization,
        mode=mode,
        webhook=webhook,
        event=event,
        next_attempt_at=timezone.now(),
        attempts=1,
    )
    # A share link of the collection (a row for the admin's ShareLink change form).
    sharing.create_share_link(
        tenant=collection.tenant, actor=member, target=collection, label="prod"
    )
    EventCallback.objects.create(
        organization=organization,
        mode=mode,
        webhook=webhook,
        event=event,
        delivery=delivery,
        callback_url=webhook.callback_url,
        response_code=500,
        response_message="Internal Server Error",
    )
    return Rows(
        organization,
        mode,
        member,
        team,
        key,
        collection,
        [first, second],
        skills,
        plugin,
        marketplace,
        export,
        skill_export,
        webhook,
        delivery,
    )
