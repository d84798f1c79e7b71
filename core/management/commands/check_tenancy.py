import sys

from django.core.management.base import BaseCommand

from core.boundaries import stored_crossings


class Command(BaseCommand):
    help = (
        "Report every stored foreign key or many-to-many row that links two organizations, or "
        "two modes of one; exit 1 when any is found."
    )

    def handle(self, *args, **options) -> None:
        found = 0
        for finding in stored_crossings():
            self.stdout.write(str(finding))
            found += 1
        self.stdout.write(f"{found} cross-tenant links found.")
        if found:
            sys.exit(1)
