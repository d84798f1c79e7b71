"""`manage.py restore <dir>`: a backup into this fresh install (empty database and storage);
anything else is refused, saying why (docs/operations/backups.md)."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from core.backup.manifest import BackupError
from core.backup.operations import restore


class Command(BaseCommand):
    help = "Restore a backup taken by `manage.py backup` into an empty database and storage."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", help="a directory written by `manage.py backup`")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="leave the database at the backup's migrations (default: migrate after)",
        )

    def handle(self, *args, directory: str, database: str, no_migrate: bool, **options) -> None:
        try:
            warnings = restore(
                directory, using=database, files=default_storage, migrate=not no_migrate
            )
        except BackupError as error:
            raise CommandError(f"Restore refused: {error}") from error
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"Restored {directory}")
