"""Django for benchmarks: a throwaway SQLite database unless DATABASE_URL points elsewhere."""

import os
import tempfile


def setup() -> None:
    os.environ.setdefault("SKILLPORT_VAR_DIR", tempfile.mkdtemp(prefix="skillport-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
