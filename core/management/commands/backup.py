"""`manage.py backup <dir>`: a consistent backup of this install, taken while it runs
(docs/operations/backups.md)."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from core.backup.manifest import BackupError
from core.backup.operations import backup


class Command(BaseCommand):
    help = "Back up the database (snapshot first) and the file storage into a new directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", help="a new or empty directory")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, directory: str, database: str, **options) -> None:
        try:
            manifest = backup(directory, using=database, files=default_storage)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest.row_counts.values())
        self.stdout.write(
            f"Backed up {manifest.database_vendor} database ({rows} rows) and "
            f"{manifest.storage_files} files ({manifest.storage_bytes} bytes) into {directory}"
        )
