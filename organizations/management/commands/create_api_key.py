from django.core.management.base import BaseCommand

from organizations.models import Mode, Scope
from organizations.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key (and the organization and member when missing); prints the key."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--mode", choices=Mode.values, default=Mode.TEST)
        parser.add_argument("--member-email", default=None)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--scope",
            choices=Scope.values,
            default=Scope.WRITE,
            help="read: the key may only read; write (default): it may also change data",
        )

    def handle(self, *args, organization, mode, member_email, name, scope, **options):
        key, raw_key = create_api_key(
            organization_slug=organization,
            mode=mode,
            member_email=member_email,
            name=name,
            scope=scope,
        )
        self.stderr.write(
            f"Created {key.mode} {key.scope} key {key.prefix}… for {key.member.email} "
            f"in organization '{key.organization.slug}'. It is shown once:"
        )
        self.stdout.write(raw_key)
