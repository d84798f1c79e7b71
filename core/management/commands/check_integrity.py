"""`manage.py check_integrity [--repair]`: stored files, version trees, derived caches and row
counters against the truth. Exit 0 when clean (or everything found was repaired), 1 when
damage remains, 2 when a check could not run; one line per finding, then one summary line."""

import sys

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from core.integrity import CHECKS, Context
from core.integrity.run import run_checks
from core.progress import Progress


class Command(BaseCommand):
    help = "Check stored files, version trees, git caches and row counters; --repair rebuilds."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="rebuild what is derived from the truth (caches, counters); never user data",
        )
        parser.add_argument(
            "--check", action="append", dest="checks", help=f"only these: {', '.join(CHECKS)}"
        )

    def handle(self, *args, repair: bool, checks: list[str] | None, **options) -> None:
        unknown = sorted(set(checks or []) - set(CHECKS))
        if unknown:
            raise CommandError(f"Unknown check(s): {', '.join(unknown)}; known: {sorted(CHECKS)}")
        progress = Progress("checking")
        context = Context(storage=default_storage, repair=repair, step=progress.step)

        def show(finding) -> None:
            progress.clear()
            self.stdout.write(finding.line())

        report = run_checks(context, checks, on_finding=show)
        progress.done()
        for error in report.errors:
            self.stderr.write(f"check failed: {error}")
        self.stdout.write(report.summary(len(checks or CHECKS)))
        sys.stdout.flush()
        if report.status:
            sys.exit(report.status)
