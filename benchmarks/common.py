"""What every benchmark shares: a throwaway Django setup and where figures are kept."""

import json
import os
import tempfile
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


def setup() -> None:
    """Django on a throwaway SQLite database unless DATABASE_URL points elsewhere."""
    os.environ.setdefault("SKILLPORT_VAR_DIR", tempfile.mkdtemp(prefix="skillport-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def save_results(name: str, figures: dict) -> None:
    """Keep the latest figures of a benchmark in `benchmarks/results/<name>.json`."""
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
