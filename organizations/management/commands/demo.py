from django.core.management.base import BaseCommand

from organizations.services import create_api_key


class Command(BaseCommand):
    help = "Create the demo organization (if missing) and print a fresh key with example calls."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        _, raw_key = create_api_key(organization_slug="demo", name="make serve")
        base = f"http://127.0.0.1:{port}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Skillport demo organization 'demo' is ready. API key (shown once):",
                    f"  {raw_key}",
                    "",
                    "Try:",
                    f"  curl -H 'Authorization: Bearer {raw_key}' {base}/api/organizations",
                    f"  curl -H 'X-API-KEY: {raw_key}' '{base}/api/members?sort=-created_at'",
                    f"  curl {base}/health",
                    f"  open {base}/api/docs",
                    "",
                ]
            )
        )
