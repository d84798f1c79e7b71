"""Export engine against its floor, on PostgreSQL: in an isolated worker, and as `make serve` runs.

The rows are N skill collections of one organization (each `created_by` one of 50 members):

- floor: `psql -c "COPY (SELECT * FROM skills_skillcollection WHERE organization_id = ...) TO
  STDOUT WITH (FORMAT csv, HEADER)" | gzip -1`, the fastest pipeline a user could run by hand,
  measured in the same run on the same rows;
- CSV export throughput vs the floor (goal >= 0.9x);
- JSON export with `includes: ["created_by"]` vs the same floor (goal >= 0.5x);
- worker peak memory exporting N records vs 10k records (goal <= 1.2x).

Each is measured two ways, and each time is the export's `started_at` to `completed_at`
(claim, count, COPY, gzip, storage, completion):

- isolated: the export runs in its own `db_worker --batch` process, which loads the exportable
  declarations first (as a long-running worker has after its first export);
- served: `make serve`'s process layout (config/supervisord.conf: gunicorn, the supervised
  `task_worker`, the scheduler) on the same database and storage; the export is created over the
  API with an API key and run by the supervised worker, as a user runs it. The CPU time each
  supervised program spends while an export runs is reported beside it.

The machine's speed drifts by a tenth or more over minutes (a shared, virtual 2-core machine),
so the kinds are interleaved: each of `BENCH_EXPORT_ROUNDS` rounds (5) measures the floor, the
isolated exports (the supervised worker stopped meanwhile, so it cannot take them) and the
served ones, every other round served first; each figure is the best of its rounds against the
best floor.

N is 300,000 by default, 1,000,000 with BENCH_FULL=1 (or BENCH_EXPORT_RECORDS=n). The database
is DATABASE_URL or the local server's `skillport_bench` (created when missing,
`benchmarks.common.postgres_url`); the benchmark is skipped when it is unreachable. The latest
figures are kept in benchmarks/results/exports.json (exports_full.json with BENCH_FULL=1).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson

from benchmarks.common import free_port, postgres_url, save_results

ROOT = Path(__file__).resolve().parent.parent
SMALL = 10_000
MEMBERS = 50
TABLE = "skills_skillcollection"
TABLE_TYPE = "skill_collections"
SUPERVISOR_CONF = "config/supervisord.conf"  # `make serve`'s, relative to ROOT
# Interleaved rounds of the floor and each export; each figure is the best of its rounds.
ROUNDS = int(os.environ.get("BENCH_EXPORT_ROUNDS", 5))
JSON_INCLUDE = {"format": "json", "includes": ["created_by"]}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WORKER_SETTLE_SECONDS = 3


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
        for table in ("exports_export", TABLE, "organizations_apikey", "organizations_member"):
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


class Served:
    """`make serve`'s process layout (config/supervisord.conf) on the benchmark's database and
    storage, its address on a free port; exports created over its API."""

    def __init__(self, url: str, media: str) -> None:
        self.var = Path(tempfile.mkdtemp(prefix="bench-exports-served-"))
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            # As the Makefile's `serve` exports them.
            "DATABASE_URL": url,
            "MEDIA_ROOT": media,
            "SKILLPORT_ROOT": str(ROOT),
            "SKILLPORT_PYTHON": sys.executable,
            "SKILLPORT_VAR_DIR": str(self.var),
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "SKILLPORT_PUBLIC_URL": self.base,
            "PROMETHEUS_MULTIPROC_DIR": str(self.var / "prometheus"),
        }
        self.keys: dict[str, str] = {}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Served:
        for folder in ("log", "prometheus"):
            (self.var / folder).mkdir()
        with open(self.var / "supervisord.out", "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-c", SUPERVISOR_CONF],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self._healthy():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"the served layout did not start:\n{self.output()}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # supervisord stops its programs, then itself
            self.process.wait(60)
        shutil.rmtree(self.var, ignore_errors=True)

    def _healthy(self) -> bool:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{self.base}/health", timeout=2).close()
            return True
        return False

    def output(self) -> str:
        return (self.var / "supervisord.out").read_text(errors="replace")[-4000:]

    def ctl(self, *args: str) -> str:
        command = [sys.executable, "-m", "supervisor.supervisorctl", "-c", SUPERVISOR_CONF, *args]
        return subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True
        ).stdout

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of each supervised program (its whole process tree) and of
        supervisord itself."""
        tree = _process_tree()
        seconds = {"supervisord": _cpu_seconds([self.process.pid])}
        for line in self.ctl("status").splitlines():  # `web  RUNNING  pid 123, uptime ...`
            program, *_ = line.split()
            found = re.search(r"\bpid (\d+)", line)
            pids = _descendants(tree, int(found.group(1))) if found else []
            seconds[program] = _cpu_seconds(pids)
        return seconds

    def export(self, organization, member, **attributes) -> dict:
        """Create an export over the API; its figures once the supervised worker completed it,
        with the CPU seconds each program spent meanwhile."""
        from core.models import Mode
        from exports.models import Export
        from organizations.services import create_api_key

        Export.objects.filter(organization=organization).delete()
        if organization.slug not in self.keys:
            _, self.keys[organization.slug] = create_api_key(
                organization_slug=organization.slug, mode=Mode.TEST, member_email=member.email
            )
        request = urllib.request.Request(
            f"{self.base}/api/exports",
            data=orjson.dumps({"data": {"type": "exports", "attributes": attributes}}),
            headers={
                "Authorization": f"Bearer {self.keys[organization.slug]}",
                "Content-Type": "application/vnd.api+json",
            },
        )
        before = self.cpu_seconds()
        with urllib.request.urlopen(request, timeout=60) as response:
            export = Export.objects.get(pk=orjson.loads(response.read())["data"]["id"])
        deadline = time.monotonic() + 900
        while export.status not in (Export.Status.COMPLETED, Export.Status.INTERRUPTED):
            if time.monotonic() > deadline:
                raise RuntimeError(f"served export still {export.status}:\n{self.output()}")
            time.sleep(0.1)
            export.refresh_from_db()
        after = self.cpu_seconds()
        if export.status != Export.Status.COMPLETED:
            raise RuntimeError(f"served export {export.status}: {export.errors_log}")
        return {
            "seconds": (export.completed_at - export.started_at).total_seconds(),
            "records": export.records_count,
            # From the POST to the poll that saw it complete: a little more than `seconds`.
            "cpu_seconds": {name: round(after[name] - before[name], 2) for name in after},
        }


def _process_tree() -> dict[int, list[int]]:
    """Children by parent pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(tree: dict[int, list[int]], pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        found.append(current := stack.pop())
        stack.extend(tree.get(current, ()))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of live processes (the threads' included)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


@contextlib.contextmanager
def _worker_stopped(served: Served) -> Iterator[None]:
    """The supervised worker stopped meanwhile, so only the isolated one takes the export."""
    served.ctl("stop", "worker")
    try:
        yield
    finally:
        served.ctl("start", "worker")
        # Past its start-up (Django's setup, the first poll), as a worker a user runs is.
        time.sleep(WORKER_SETTLE_SECONDS)


def _best(runs: list[dict]) -> dict:
    """The fastest run, with every run's seconds."""
    best = min(runs, key=lambda figures: figures["seconds"])
    return {**best, "rounds_seconds": [round(figures["seconds"], 3) for figures in runs]}


def _report(results: dict, level: int) -> None:
    records, floor = results["records"], results["floor_seconds"]
    print(f"exports, {records:,} skill collections on PostgreSQL (gzip level {level}), ", end="")
    print(f"best of {results['rounds']} interleaved rounds:")
    print(f"  floor COPY|gzip -1          {floor:8.2f}s  {records / floor:>10,.0f} rec/s")
    for label, key in (
        ("csv, isolated worker", "csv"),
        ("csv, served", "served_csv"),
        ("json + created_by, isolated", "json_include_created_by"),
        ("json + created_by, served", "served_json_include_created_by"),
    ):
        figures = results[key]
        line = (
            f"  {label:<27} {figures['seconds']:8.2f}s  {figures['records_per_second']:>10,} rec/s"
        )
        if "peak_rss_mib" in figures:
            line += f"  peak {figures['peak_rss_mib']} MiB"
        if "cpu_seconds" in figures:  # what each supervised program spent meanwhile
            line += "  cpu " + " ".join(f"{k} {v}s" for k, v in figures["cpu_seconds"].items())
        print(line)
    small = results["json_include_created_by_10k"]
    print(f"  json + created_by 10k, isolated  peak {small['peak_rss_mib']} MiB")
    for label, key in (
        ("csv vs floor", "csv_vs_floor"),
        ("csv served vs floor", "served_csv_vs_floor"),
        ("json+include vs floor", "json_include_vs_floor"),
        ("json+include served vs floor", "served_json_include_vs_floor"),
        ("peak memory N vs 10k", "peak_memory_n_vs_10k"),
    ):
        print(f"  {label:<28} {results[key]}x  (goal {results['goals'][key]}x)")


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
    kinds = {"csv": {"format": "csv"}, "json_include_created_by": JSON_INCLUDE}
    floors: list[float] = []
    isolated: dict[str, list[dict]] = {kind: [] for kind in kinds}
    served_runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    with Served(url, media) as served:

        def run_isolated() -> None:
            with _worker_stopped(served):
                for kind, attributes in kinds.items():
                    isolated[kind].append(
                        _export(big, big_member, media, resource_type=TABLE_TYPE, **attributes)
                    )

        def run_served() -> None:
            for kind, attributes in kinds.items():
                served_runs[kind].append(
                    served.export(big, big_member, resource_type=TABLE_TYPE, **attributes)
                )

        for number in range(ROUNDS):
            floors.append(_floor(url, big, floor_file))
            # Every other round the other way round, so a drift favours neither path.
            for measure in (run_isolated, run_served)[:: 1 if number % 2 == 0 else -1]:
                measure()
        with _worker_stopped(served):
            small_run = _export(
                small, small_member, media, resource_type=TABLE_TYPE, **JSON_INCLUDE
            )
    floor = min(floors)
    floor_bytes = os.path.getsize(floor_file)
    csv_run, json_run = (_best(isolated[kind]) for kind in kinds)
    served_csv, served_json = (_best(served_runs[kind]) for kind in kinds)
    records = csv_run["records"]

    def throughput(figures: dict) -> dict:
        return {**figures, "records_per_second": round(records / figures["seconds"])}

    results = {
        "records": records,
        "table": TABLE,
        "gzip_level": level,
        "rounds": ROUNDS,
        "floor": "psql COPY (SELECT * ...) TO STDOUT CSV HEADER | gzip -1",
        "floor_seconds": round(floor, 3),
        "floor_rounds_seconds": [round(seconds, 3) for seconds in floors],
        "floor_records_per_second": round(records / floor),
        "floor_file_bytes": floor_bytes,
        "csv": throughput(csv_run),
        "json_include_created_by": throughput(json_run),
        "json_include_created_by_10k": small_run,
        "served_csv": throughput(served_csv),
        "served_json_include_created_by": throughput(served_json),
        "csv_vs_floor": round(floor / csv_run["seconds"], 3),
        "json_include_vs_floor": round(floor / json_run["seconds"], 3),
        "served_csv_vs_floor": round(floor / served_csv["seconds"], 3),
        "served_json_include_vs_floor": round(floor / served_json["seconds"], 3),
        "peak_memory_n_vs_10k": round(json_run["peak_rss_mib"] / small_run["peak_rss_mib"], 3),
        "goals": {
            "csv_vs_floor": ">= 0.9",
            "json_include_vs_floor": ">= 0.5",
            "served_csv_vs_floor": ">= 0.9",
            "served_json_include_vs_floor": ">= 0.5",
            "peak_memory_n_vs_10k": "<= 1.2",
        },
        "peak_rss_mib_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    _report(results, level)
    save_results("exports_full" if os.environ.get("BENCH_FULL") == "1" else "exports", results)
    return results


if __name__ == "__main__":
    run()
