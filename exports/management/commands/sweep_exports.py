from django.core.management.base import BaseCommand

from exports import services


class Command(BaseCommand):
    help = (
        "Requeue (or mark interrupted) exports whose worker stopped renewing its lease, and "
        "delete export files older than the retention time. Run it from cron."
    )

    def handle(self, *args, **options) -> None:
        counts = services.sweep()
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
