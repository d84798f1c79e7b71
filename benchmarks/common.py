"""What every benchmark shares: a throwaway Django setup, the PostgreSQL they measure on, and
where figures are kept."""

import json
import os
import socket
import tempfile
from pathlib import Path

# BENCH_RESULTS_DIR elsewhere: a smoke run (tests/test_benchmark_exports.py) keeps the figures.
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).parent / "results")
# The local server (trust auth on these machines); the database is created when missing.
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/skillport_bench"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> tuple[str | None, str | None]:
    """(DATABASE_URL when it is PostgreSQL, else the local server's `skillport_bench`, created
    when missing; None and why when the server cannot be reached)."""
    import psycopg
    from psycopg import sql

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = DEFAULT_POSTGRES_URL
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url, None
    except psycopg.OperationalError as error:
        problem = str(error).strip().splitlines()[0]
    if url != DEFAULT_POSTGRES_URL or "does not exist" not in problem:
        return None, problem
    server, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=3, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        return None, str(error).strip().splitlines()[0]
    return url, None


def setup(*, postgres: bool = False) -> None:
    """Django on DATABASE_URL; without it, on PostgreSQL (`postgres_url`) when `postgres` asks
    for it and the server is reachable, else on a throwaway SQLite database."""
    os.environ.setdefault("SKILLPORT_VAR_DIR", tempfile.mkdtemp(prefix="skillport-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if postgres and not os.environ.get("DATABASE_URL"):
        url, problem = postgres_url()
        if url:
            os.environ["DATABASE_URL"] = url
        else:
            print(f"PostgreSQL unreachable ({problem}): running on SQLite")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def save_results(name: str, figures: dict) -> None:
    """Keep the latest figures of a benchmark in `benchmarks/results/<name>.json`."""
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
