"""`make bench`'s export benchmark, run small: the isolated and the served paths (`make serve`'s
supervised layout, the export created over the API) both measure and report (#24 §5)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.served import postgres_databases

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("DATABASE_URL", "")


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own, named after the suite's (parallel runs do not collide)."""
    if not POSTGRES.startswith(("postgres://", "postgresql://")):
        pytest.skip("the export benchmark measures PostgreSQL's COPY: DATABASE_URL is not one")
    name = f"{urlsplit(POSTGRES).path.lstrip('/') or 'skillport'}_bench_smoke"
    with postgres_databases(POSTGRES, name) as (database,):
        yield database


def test_the_export_benchmark_reports_the_served_path_beside_the_isolated_one(
    database: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BENCH_EXPORT_RECORDS": "3000",
        "BENCH_EXPORT_ROUNDS": "1",
        "BENCH_RESULTS_DIR": str(tmp_path),
        "SKILLPORT_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("BENCH_FULL", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "exports"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((tmp_path / "exports.json").read_text())
    for key in ("csv", "json_include_created_by", "served_csv", "served_json_include_created_by"):
        assert results[key]["records"] == 3000, key
        assert results[key]["seconds"] > 0, key
        assert len(results[key]["rounds_seconds"]) == 1, key
    for key in ("served_csv", "served_json_include_created_by"):
        spent = results[key]["cpu_seconds"]
        assert set(spent) == {"supervisord", "web", "worker", "scheduler"}
        assert spent["worker"] >= 0
    assert results["goals"]["served_csv_vs_floor"] == ">= 0.9"
    assert results["goals"]["served_json_include_vs_floor"] == ">= 0.5"
    # floor_seconds is rounded to the millisecond, the ratio is not
    expected = results["floor_seconds"] / results["served_csv"]["seconds"]
    assert results["served_csv_vs_floor"] == pytest.approx(expected, rel=0.05)
    assert "csv, served" in done.stdout
    assert "json + created_by, served" in done.stdout
    # The committed figures are the real runs': a smoke run writes only where it is told.
    committed = json.loads((ROOT / "benchmarks" / "results" / "exports.json").read_text())
    assert committed["records"] == 300_000
