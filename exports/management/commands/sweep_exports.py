from django.core.management.base import BaseCommand

from api import idempotency
from core.jobs.loops import sweep_passes
from exports.bulk import services
from exports.skill_exports import services as skill_exports
from skills.git import repositories as git


class Command(BaseCommand):
    help = (
        "Requeue (or mark interrupted/failed) exports and skill exports whose worker stopped "
        "renewing its lease, delete export files older than the retention time, "
        "Idempotency-Key records older than their TTL and git tree caches of states no longer "
        "current. Run it "
        "from cron, or with --loop next to `db_worker`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep until interrupted.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between sweeps.")

    def handle(self, *args, loop: bool, interval: float, **options) -> None:
        def sweep() -> str:
            counts = services.sweep()
            counts.update({f"skill_exports_{k}": v for k, v in skill_exports.sweep().items()})
            counts["idempotency_keys_purged"] = idempotency.purge_expired()
            counts["git_trees_deleted"] = git.sweep_trees()
            return " ".join(f"{name}={value}" for name, value in counts.items())

        sweep_passes(sweep, loop=loop, interval=interval, out=self.stdout)
