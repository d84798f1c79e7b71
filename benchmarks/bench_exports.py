"""Export engine against its floor, on PostgreSQL, with the real worker process.

- CSV export throughput vs `COPY (SELECT ...) TO STDOUT` through gzip (goal >= 0.5x);
- JSON export with one include (`organization`) vs the same floor (goal >= 0.33x);
- worker peak memory exporting N records vs 10k records (goal <= 1.2x).

N is 200,000 by default and 1,000,000 with BENCH_FULL=1. The database is DATABASE_URL or
postgres://postgres@127.0.0.1:5432/skp_bench; the benchmark is skipped when it is unreachable.
The latest figures are kept in benchmarks/results/exports.json.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import save_results

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/skp_bench"
SMALL = 10_000
COLUMNS = "id, name, email, image_url, member_type, created_at, updated_at"


def _setup(url: str, media: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as error:
        return str(error).strip().splitlines()[0]


def _organization(slug: str, count: int):
    """An organization with exactly `count` members (reused between runs), and one key member."""
    from django.db import connection

    from organizations.models import Member, Organization

    organization, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": slug})
    if Member.objects.filter(organization=organization).count() != count:
        with connection.cursor() as cursor:
            for table in ("exports_export", "organizations_member"):
                cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])
            cursor.execute(
                "INSERT INTO organizations_member (id, created_at, updated_at, organization_id, "
                "name, email, image_url, member_type) SELECT gen_random_uuid(), "
                "now() - make_interval(secs => i), now(), %s, 'Member ' || i, "
                "'member' || i || '@example.com', '', "
                "CASE WHEN i %% 7 = 0 THEN 'service' ELSE 'user' END "
                "FROM generate_series(1, %s) AS i",
                [organization.pk, count],
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE organizations_member")
    return organization, Member.objects.filter(organization=organization).first()


def _floor(organization, level: int) -> float:
    """Seconds for COPY (SELECT ...) TO STDOUT CSV through gzip into a temp file."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    query = (
        f"COPY (SELECT {COLUMNS} FROM organizations_member "
        f"WHERE organization_id = '{organization.pk}') TO STDOUT WITH CSV HEADER"
    )
    with (
        tempfile.TemporaryFile() as target,
        gzip.GzipFile(fileobj=target, mode="wb", compresslevel=level, mtime=0) as out,
        raw.cursor() as cursor,
        cursor.copy(query) as copy,
    ):
        for block in copy:
            out.write(block)
    return time.perf_counter() - started


def _export(organization, member, media: str, **attributes) -> dict:
    """Create an export, run it in a real `db_worker` process; its time, peak memory, count."""
    from django_tasks_db.models import DBTaskResult

    from api.models import Mode, Tenant
    from exports import services
    from exports.models import Export

    DBTaskResult.objects.all().delete()
    Export.objects.filter(organization=organization).delete()
    tenant = Tenant(organization.pk, Mode.TEST)
    export = services.create_export(tenant, member, attributes)
    code = (
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('db_worker', batch=True, startup_delay=False, verbosity=0); "
        # VmHWM is this process's own peak (ru_maxrss would include the parent's at fork).
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kib = int(completed.stdout.strip().splitlines()[-1])
    export.refresh_from_db()
    if export.status != Export.Status.COMPLETED:
        raise RuntimeError(f"export {export.status}: {export.errors_log}")
    size = os.path.getsize(Path(media) / export.attachment)
    return {
        "seconds": (export.completed_at - export.started_at).total_seconds(),
        "records": export.records_count,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "file_bytes": size,
    }


def run() -> dict | None:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        url = DEFAULT_URL
    problem = _reachable(url)
    if problem:
        print(f"bench_exports: skipped, PostgreSQL unreachable at {url}: {problem}")
        return None
    count = 1_000_000 if os.environ.get("BENCH_FULL") == "1" else 200_000
    media = tempfile.mkdtemp(prefix="bench-exports-")
    _setup(url, media)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    level = settings.SKILLPORT["EXPORT_GZIP_LEVEL"]
    big, big_member = _organization("bench-exports-big", count)
    small, small_member = _organization("bench-exports-small", SMALL)

    floor = min(_floor(big, level) for _ in range(2))
    csv_run = _export(big, big_member, media, resource_type="members", format="csv")
    json_run = _export(
        big, big_member, media, resource_type="members", format="json", includes=["organization"]
    )
    small_run = _export(
        small,
        small_member,
        media,
        resource_type="members",
        format="json",
        includes=["organization"],
    )
    records = csv_run["records"]
    results = {
        "records": records,
        "gzip_level": level,
        "floor_copy_gzip_seconds": round(floor, 3),
        "floor_records_per_second": round(records / floor),
        "csv": {**csv_run, "records_per_second": round(records / csv_run["seconds"])},
        "json_include": {**json_run, "records_per_second": round(records / json_run["seconds"])},
        "json_include_10k": small_run,
        "csv_vs_floor": round(floor / csv_run["seconds"], 3),
        "json_include_vs_floor": round(floor / json_run["seconds"], 3),
        "peak_memory_n_vs_10k": round(json_run["peak_rss_mib"] / small_run["peak_rss_mib"], 3),
        "goals": {
            "csv_vs_floor": ">= 0.5",
            "json_include_vs_floor": ">= 0.33",
            "peak_memory_n_vs_10k": "<= 1.2",
        },
        "peak_rss_mib_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"exports, {records:,} members on PostgreSQL (gzip level {level}):")
    print(f"  floor COPY|gzip      {floor:8.2f}s  {records / floor:>10,.0f} rec/s")
    for label, key in (("csv export", "csv"), ("json + include", "json_include")):
        figures = results[key]
        print(
            f"  {label:<20} {figures['seconds']:8.2f}s  {figures['records_per_second']:>10,} "
            f"rec/s  peak {figures['peak_rss_mib']} MiB"
        )
    print(f"  json + include 10k   peak {small_run['peak_rss_mib']} MiB")
    print(f"  csv vs floor          {results['csv_vs_floor']}x  (goal >= 0.5x)")
    print(f"  json+include vs floor {results['json_include_vs_floor']}x  (goal >= 0.33x)")
    print(f"  peak memory N vs 10k  {results['peak_memory_n_vs_10k']}x  (goal <= 1.2x)")
    save_results("exports", results)
    return results


if __name__ == "__main__":
    run()
