"""`make serve`'s demo: the organization 'demo', its registry, and a fresh key with examples.

It lives in `skills` (not `organizations`) because it seeds the registry, which sits above
organizations; every write goes through the services.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from events.context import acting_as
from organizations.models import Team
from organizations.services import create_api_key, create_team
from skills.demo import ensure_demo_registry

TEAM = "Support"


class Command(BaseCommand):
    help = (
        "Create the demo organization and its demo data (kept when present) and print a fresh "
        "key with example calls on the real ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        key, raw_key = create_api_key(organization_slug="demo", name="make serve")
        organization, member = key.organization, key.member
        with transaction.atomic(), acting_as(member):
            team = Team.objects.filter(organization=organization, name=TEAM).first()
            if team is None:
                team = create_team(organization=organization, name=TEAM, members=[member])
            demo = ensure_demo_registry(key.tenant, member)
        state = (
            "created"
            if demo.created
            else "already present, kept as it is (delete var/ to start over)"
        )
        plugin_id = demo.plugin.pk if demo.plugin else "<plugin id>"
        marketplace_id = demo.marketplace.pk if demo.marketplace else "<marketplace id>"
        api = f"http://127.0.0.1:{port}/api"
        get = 'curl -gs -H "$H"'
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Skillport demo organization 'demo' is ready; demo data {state}:",
                    f"  skill collection 'support' {demo.collection.pk} (version 1 label "
                    "'stable', version 2 label 'prod')",
                    f"  plugin 'support-kit' {plugin_id}, marketplace 'acme-tools' "
                    f"{marketplace_id}, team '{team.name}' {team.pk}",
                    "API key (shown once):",
                    f"  {raw_key}",
                    "",
                    "Try (paste the first line into your shell):",
                    f'  KEY={raw_key}; H="Authorization: Bearer $KEY"; '
                    f"J='Content-Type: application/vnd.api+json'; API={api}",
                    f"  {get} $API/organizations",
                    f'  {get} "$API/members?include=organization,teams&sort=-created_at"',
                    f"  {get} $API/teams/{team.pk}/members",
                    f'  {get} "$API/skill_collections/support?label=prod&include=current_version"',
                    f'  {get} -OJ "$API/skill_collections/support?format=zip&version=1"',
                    f'  {get} "$API/skills?filter[name]=pdf-tools"',
                    f'  {get} "$API/skill_plugins/{plugin_id}?include=skills"',
                    f'  {get} "$API/skill_marketplaces/{marketplace_id}?include=skill_plugins"',
                    f'  {get} "$API/versions?filter[resource_type]=skill_collections'
                    f'&filter[resource_id]={demo.collection.pk}"',
                    f'  curl -s -X POST $API/skill_exports -H "$H" -H "$J" -d \'{{"data": '
                    '{"type": "skill_exports", "attributes": {"target": "marketplace"}, '
                    '"relationships": {"skill_marketplace": {"data": {"type": '
                    f'"skill_marketplaces", "id": "{marketplace_id}"}}}}}}}}}}\'',
                    f"  curl -s http://127.0.0.1:{port}/health",
                    f"  open {api}/docs",
                    "",
                ]
            )
        )
