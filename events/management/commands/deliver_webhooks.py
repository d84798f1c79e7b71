from django.core.management.base import BaseCommand

from events import services


class Command(BaseCommand):
    help = (
        "Deliver the due webhook deliveries now, in this process, and probe open circuits whose "
        "cooldown is over (development, tests, a one-off). In production the scheduler hands "
        "them to the task workers instead (its `webhooks` job)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="Deliveries per run.")

    def handle(self, *args, limit: int, **options) -> None:
        count = services.sweep(enqueue=False, limit=limit)
        self.stdout.write(f"{count} deliveries attempted")
