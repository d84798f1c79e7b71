from django.core.management.base import BaseCommand

from core.jobs.loops import sweep_passes
from events import services


class Command(BaseCommand):
    help = (
        "Deliver due webhook deliveries now, or with --enqueue hand the stale ones back to "
        "the workers. With --loop it keeps sweeping (run it next to `db_worker`)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Enqueue tasks instead of delivering here."
        )
        parser.add_argument("--loop", action="store_true", help="Sweep until interrupted.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between sweeps.")
        parser.add_argument("--limit", type=int, default=1000, help="Deliveries per sweep.")

    def handle(self, *args, enqueue: bool, loop: bool, interval: float, limit: int, **options):
        def sweep() -> str:
            count = services.sweep(enqueue=enqueue, limit=limit)
            return f"{count} deliveries {'enqueued' if enqueue else 'attempted'}"

        sweep_passes(sweep, loop=loop, interval=interval, out=self.stdout)
