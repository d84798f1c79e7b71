"""Export engine against its floor, on PostgreSQL, with the real worker process.

The rows are N skill collections of one organization (each `created_by` one of 50 members):

- floor: `psql -c "COPY (SELECT * FROM skills_skillcollection WHERE organization_id = ...) TO
  STDOUT WITH (FORMAT csv, HEADER)" | gzip -1`, the fastest pipeline a user could run by hand,
  measured in the same run on the same rows (best of two, as each export below);
- CSV export throughput vs the floor (goal >= 0.9x);
- JSON export with `includes: ["created_by"]` vs the same floor (goal >= 0.5x);
- worker peak memory exporting N records vs 10k records (goal <= 1.2x).

Each export runs in its own `db_worker --batch` process, which loads the exportable
declarations first (as a long-running worker has after its first export); its time is the
export's `started_at` to `completed_at` (claim, count, COPY, gzip, storage, completion).

N is 300,000 by default, 1,000,000 with BENCH_FULL=1 (or BENCH_EXPORT_RECORDS=n). The database
is DATABASE_URL or the local server's `skillport_bench` (created when missing,
`benchmarks.common.postgres_url`); the benchmark is skipped when it is unreachable. The latest
figures are kept in benchmarks/results/exports.json (exports_full.json with BENCH_FULL=1).
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import postgres_url, save_results

ROOT = Path(__file__).resolve().parent.parent
SMALL = 10_000
MEMBERS = 50
TABLE = "skills_skillcollection"
ROUNDS = 2  # the floor and each export: the best of two (the machine is shared and noisy)


def _setup(url: str, media: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _organization(slug: str, count: int):
    """An organization with exactly `count` skill collections (reused between runs), made by
    copying one collection saved through the ORM (so every column, present or future, gets a
    valid value), and its members."""
    from django.db import connection

    from core.models import Mode
    from organizations.models import Member, Organization
    from skills.models import SkillCollection

    organization, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": slug})
    collections = SkillCollection.objects.filter(organization=organization)
    if collections.count() == count:
        return organization, Member.objects.filter(organization=organization).first()
    with connection.cursor() as cursor:  # raw deletes: the ORM's would record audit events
        for table in ("exports_export", TABLE, "organizations_member"):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])
    members = [
        Member.objects.create(
            organization=organization, name=f"Member {i}", email=f"member{i}@example.com"
        )
        for i in range(MEMBERS)
    ]
    template = SkillCollection.objects.create(
        organization=organization,
        mode=Mode.TEST,
        name="template",
        root_path="template",
        created_by=members[0],
    )
    overrides = {
        "id": "gen_random_uuid()",
        "created_at": "now() - make_interval(secs => i)",
        "updated_at": "now() - make_interval(secs => i / 2)",
        "name": "'collection ' || i",
        "root_path": "'.claude/skills-' || i",
        "folder_id": "CASE WHEN i %% 3 = 0 THEN NULL ELSE i END",
        "created_by_id": "(%s::uuid[])[1 + i %% " + str(MEMBERS) + "]",
        "updated_by_id": "(%s::uuid[])[1 + (i + 1) %% " + str(MEMBERS) + "]",
    }
    columns = [field.column for field in SkillCollection._meta.concrete_fields]
    values = [overrides.get(column, f"t.{connection.ops.quote_name(column)}") for column in columns]
    ids = [str(member.pk) for member in members]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({', '.join(map(connection.ops.quote_name, columns))}) "
            f"SELECT {', '.join(values)} FROM {TABLE} t, generate_series(1, %s) AS i "
            "WHERE t.id = %s",
            [ids, ids, count - 1, template.pk],
        )
    return organization, members[0]


def _settle() -> None:
    """Vacuum what earlier runs and benchmarks deleted (a million dead rows after the list
    benchmark), or autovacuum does it during the measurements; then fresh statistics, and a
    checkpoint so the pages all this dirtied are not written out during the measurements."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        for table in (TABLE, "organizations_member"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError as error:  # needs a superuser or pg_checkpoint
            print(f"bench_exports: no checkpoint before measuring ({error})".strip())


def _floor(url: str, organization, target: str) -> float:
    """Seconds for `psql -c "COPY (SELECT * ...) TO STDOUT CSV HEADER" | gzip -1 > target`."""
    query = (
        f"COPY (SELECT * FROM {TABLE} WHERE organization_id = '{organization.pk}') "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    if shutil.which("psql") is None or shutil.which("gzip") is None:
        raise RuntimeError("the floor needs the psql and gzip binaries")
    pipeline = f"psql {shlex.quote(url)} -c {shlex.quote(query)} | gzip -1 > {shlex.quote(target)}"
    started = time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], check=True)
    return time.perf_counter() - started


def _export(organization, member, media: str, **attributes) -> dict:
    """Create an export, run it in a real `db_worker` process; its time, peak memory, count."""
    from django_tasks_db.models import DBTaskResult

    from core.models import Mode, Tenant
    from exports.bulk import services
    from exports.models import Export

    DBTaskResult.objects.all().delete()
    Export.objects.filter(organization=organization).delete()
    tenant = Tenant(organization.pk, Mode.TEST)
    export = services.create_export(tenant, member, attributes)
    code = (
        # django.setup() declares the exportable types (ExportsConfig.ready), as in a long-running
        # worker, so the figure is the steady state.
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


def _best(organization, member, media: str, **attributes) -> dict:
    """The faster of two exports, as the floor is the faster of two pipelines."""
    runs = [_export(organization, member, media, **attributes) for _ in range(ROUNDS)]
    return min(runs, key=lambda figures: figures["seconds"])


def run() -> dict | None:
    url, problem = postgres_url()
    if url is None:
        print(f"bench_exports: skipped, PostgreSQL unreachable: {problem}")
        return None
    count = 1_000_000 if os.environ.get("BENCH_FULL") == "1" else 300_000
    count = int(os.environ.get("BENCH_EXPORT_RECORDS", count))
    media = tempfile.mkdtemp(prefix="bench-exports-")
    _setup(url, media)
    from django.core.management import call_command

    from exports.conf import exports_conf

    call_command("migrate", verbosity=0)
    level = exports_conf.EXPORT_GZIP_LEVEL
    big, big_member = _organization("bench-exports-big", count)
    small, small_member = _organization("bench-exports-small", SMALL)
    _settle()

    floor_file = str(Path(media) / "floor.csv.gz")
    floor = min(_floor(url, big, floor_file) for _ in range(ROUNDS))
    floor_bytes = os.path.getsize(floor_file)
    csv_run = _best(big, big_member, media, resource_type="skill_collections", format="csv")
    json_run = _best(
        big,
        big_member,
        media,
        resource_type="skill_collections",
        format="json",
        includes=["created_by"],
    )
    small_run = _export(
        small,
        small_member,
        media,
        resource_type="skill_collections",
        format="json",
        includes=["created_by"],
    )
    records = csv_run["records"]
    results = {
        "records": records,
        "table": TABLE,
        "gzip_level": level,
        "floor": "psql COPY (SELECT * ...) TO STDOUT CSV HEADER | gzip -1",
        "floor_seconds": round(floor, 3),
        "floor_records_per_second": round(records / floor),
        "floor_file_bytes": floor_bytes,
        "csv": {**csv_run, "records_per_second": round(records / csv_run["seconds"])},
        "json_include_created_by": {
            **json_run,
            "records_per_second": round(records / json_run["seconds"]),
        },
        "json_include_created_by_10k": small_run,
        "csv_vs_floor": round(floor / csv_run["seconds"], 3),
        "json_include_vs_floor": round(floor / json_run["seconds"], 3),
        "peak_memory_n_vs_10k": round(json_run["peak_rss_mib"] / small_run["peak_rss_mib"], 3),
        "goals": {
            "csv_vs_floor": ">= 0.9",
            "json_include_vs_floor": ">= 0.5",
            "peak_memory_n_vs_10k": "<= 1.2",
        },
        "peak_rss_mib_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"exports, {records:,} skill collections on PostgreSQL (gzip level {level}):")
    print(f"  floor COPY|gzip -1   {floor:8.2f}s  {records / floor:>10,.0f} rec/s")
    for label, key in (("csv export", "csv"), ("json + created_by", "json_include_created_by")):
        figures = results[key]
        print(
            f"  {label:<20} {figures['seconds']:8.2f}s  {figures['records_per_second']:>10,} "
            f"rec/s  peak {figures['peak_rss_mib']} MiB"
        )
    print(f"  json + created_by 10k  peak {small_run['peak_rss_mib']} MiB")
    print(f"  csv vs floor          {results['csv_vs_floor']}x  (goal >= 0.9x)")
    print(f"  json+include vs floor {results['json_include_vs_floor']}x  (goal >= 0.5x)")
    print(f"  peak memory N vs 10k  {results['peak_memory_n_vs_10k']}x  (goal <= 1.2x)")
    save_results("exports_full" if os.environ.get("BENCH_FULL") == "1" else "exports", results)
    return results


if __name__ == "__main__":
    run()
