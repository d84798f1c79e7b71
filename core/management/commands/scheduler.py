"""`manage.py scheduler`: the one program that runs the periodic work (core/jobs/schedule.py).

Run exactly one, next to the task workers (config/supervisord.conf does); `--once` runs every job
once and exits, for cron and tests."""

from django.core.management.base import BaseCommand, CommandError

from core.jobs import loops, schedule


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (lease recovery, file retention, idempotency-key purge, git-tree "
        "sweep, webhook re-enqueue), each every its interval, writing one line per run. "
        "With --once run each once and exit."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")
        parser.add_argument(
            "--only",
            action="append",
            metavar="NAME",
            choices=[entry.name for entry in schedule.SCHEDULE],
            help="Run only this job (repeatable).",
        )

    def handle(self, *args, once: bool, only: list[str] | None, **options) -> None:
        entries = schedule.entries(only)
        if once:
            failed = loops.run_once(entries, self.stdout)
            if failed:
                raise CommandError(f"Periodic job(s) failed: {', '.join(failed)}.")
            return
        every = ", ".join(f"{entry.name} every {entry.interval:g} s" for entry in entries)
        self.stdout.write(f"scheduler: {every}")
        self.stdout.flush()
        loops.run_forever(entries, self.stdout)
