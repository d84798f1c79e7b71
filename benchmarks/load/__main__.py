"""`make load` / `make load FAULTS=1`: a bounded locust run against a production-style Skillport.

It starts a throwaway PostgreSQL (benchmarks/load/postgres.py; `DATABASE_URL` when no server
binaries exist, then without the restart fault), migrates it, seeds the demo organization,
starts the webhook receiver and supervisord (benchmarks/load/supervisord.conf: gunicorn with
`LOAD_WEB_WORKERS` workers, two task workers, the scheduler; all on 127.0.0.1), runs locust for
`LOAD_SECONDS`, waits (bounded) for the queues to drain, checks what was written and saves the
figures to benchmarks/results/load.json (or load_faults.json).

With `--faults`, during the run: SIGKILL a gunicorn worker, SIGKILL the task worker holding a
running export, restart PostgreSQL, take the webhook receiver down (60 s, or less in short runs).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from benchmarks.common import free_port, save_results
from benchmarks.load import figures
from benchmarks.load.postgres import Cluster, server_bin
from benchmarks.load.receiver import received

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
PYTHON = sys.executable
SUPERVISOR_CONF = str(HERE / "supervisord.conf")
JSONAPI = "application/vnd.api+json"


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def http(method: str, url: str, key: str | None = None, document: dict | None = None):
    """(status, parsed JSON or None, headers) of one request; never raises for HTTP errors."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = None
    if document is not None:
        body = json.dumps(document).encode()
        headers["Content-Type"] = JSONAPI
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw, status, response_headers = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, response_headers = error.read(), error.code, error.headers
    except OSError:
        return 0, None, {}
    with contextlib.suppress(ValueError):
        return status, json.loads(raw or b"null"), response_headers
    return status, None, response_headers


class Run:
    def __init__(self, seconds: int, faults: bool, users: int, web_workers: int, drain: int):
        self.seconds, self.with_faults, self.users = seconds, faults, users
        self.web_workers, self.drain_seconds = web_workers, drain
        self.dir = ROOT / "var" / ("load-faults" if faults else "load")
        self.record_dir = self.dir / "records"
        self.port, self.receiver_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cluster: Cluster | None = None
        self.processes: list[subprocess.Popen] = []
        self.receiver: subprocess.Popen | None = None
        self.faults: list[dict] = []  # what was done, when (epoch s)
        self.notes: list[str] = []

    # The stack.
    def start_database(self) -> str:
        bin_dir = server_bin()
        if bin_dir is None:
            url = os.environ.get("DATABASE_URL", "")
            if not url.startswith("postgres"):
                sys.exit("make load needs PostgreSQL: server binaries or a postgres DATABASE_URL")
            self.notes.append(
                "no PostgreSQL server binaries: ran on DATABASE_URL, without the restart fault"
            )
            log(self.notes[-1])
            return url
        self.cluster = Cluster(bin_dir, self.dir / "pg", free_port())
        self.cluster.init()
        self.cluster.start()
        log(f"throwaway PostgreSQL ({bin_dir}) on 127.0.0.1:{self.cluster.port}")
        return self.cluster.url

    def environment(self, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            DATABASE_URL=database_url,
            SKILLPORT_ROOT=str(ROOT),
            SKILLPORT_PYTHON=PYTHON,
            SKILLPORT_VAR_DIR=str(self.dir / "var"),
            PORT=str(self.port),
            WEB_CONCURRENCY=str(self.web_workers),
            SKILLPORT_PUBLIC_URL=self.base,
            SKILLPORT_SWEEP_INTERVAL="5",
            SKILLPORT_WEBHOOK_SWEEP_INTERVAL="5",
            SKILLPORT_WEBHOOKS_ALLOW_PRIVATE="true",  # the receiver is on 127.0.0.1
            # The receiver's outage opens the circuit; probe again soon so the run can drain.
            SKILLPORT_WEBHOOKS_CIRCUIT_COOLDOWN="15",
            SKILLPORT_EXPORT_MAX_CONCURRENT="0",  # every user may export at once
        )
        if self.with_faults:
            # Exports last seconds instead of milliseconds, so a kill lands in the middle of one.
            env.update(SKILLPORT_EXPORT_CHUNK_SIZE="5", SKILLPORT_EXPORT_CHUNK_PAUSE="0.3")
        return env

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr}")
        return done.stdout

    def start_receiver(self) -> None:
        self.receiver = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "benchmarks.load.receiver",
                "--port",
                str(self.receiver_port),
                "--log",
                str(self.record_dir / "received.txt"),
            ],
            cwd=ROOT,
        )
        self.wait(lambda: http("GET", f"http://127.0.0.1:{self.receiver_port}/")[0], 30)

    def stop_receiver(self) -> None:
        if self.receiver and self.receiver.poll() is None:
            self.receiver.terminate()
            self.receiver.wait(10)

    def supervisorctl(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "-m", "supervisor.supervisorctl", "-c", SUPERVISOR_CONF, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program) or 0)

    @staticmethod
    def wait(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.2)
        return False

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "var" / "log").mkdir(parents=True)
        self.record_dir.mkdir()
        self.env = self.environment(self.start_database())
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        demo = self.manage("demo", "--port", str(self.port)).splitlines()
        self.key = demo[demo.index("API key (shown once):") + 1].strip()
        self.start_receiver()
        out = (self.dir / "supervisord.out").open("wb")
        self.processes.append(
            subprocess.Popen(
                [PYTHON, "-m", "supervisor.supervisord", "-c", SUPERVISOR_CONF],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
        if not self.wait(lambda: http("GET", f"{self.base}/health")[0] == 200, 120):
            raise RuntimeError(f"the service did not come up: see {self.dir}")
        self.wait(lambda: all(self.pid(f"worker:worker_{n}") for n in (0, 1)), 60)
        log(f"serving on {self.base}: {self.web_workers} web workers, 2 task workers, scheduler")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stop_receiver()
        if self.cluster:
            with contextlib.suppress(Exception):
                self.cluster.stop()

    # Data the users need.
    def seed(self) -> dict:
        api = f"{self.base}/api"

        def first(path: str) -> str:
            status, document, _ = http("GET", f"{api}/{path}", self.key)
            assert status == 200, (path, status, document)
            data = document["data"]
            return (data[0] if isinstance(data, list) else data)["id"]

        status, document, _ = http(
            "POST",
            f"{api}/skill_collections",
            self.key,
            {
                "data": {
                    "type": "skill_collections",
                    "attributes": {
                        "name": "load-uploads",
                        "root_path": ".load/skills",
                        "provider": "claude",
                    },
                }
            },
        )
        assert status == 201, document
        callback = f"http://127.0.0.1:{self.receiver_port}/hooks"
        topics = [
            "exports.completed",
            "skill_exports.completed",
            "skill_collection_versions.create",
        ]
        for topic in topics:
            status, document, _ = http(
                "POST",
                f"{api}/webhooks",
                self.key,
                {
                    "data": {
                        "type": "webhooks",
                        "attributes": {
                            "name": f"load {topic}",
                            "topic": topic,
                            "callback_url": callback,
                        },
                    }
                },
            )
            assert status == 201, document
        return {
            "key": self.key,
            "record_dir": str(self.record_dir),
            "upload_collection_id": document and first("skill_collections/load-uploads"),
            "plugin_id": first("skill_plugins?filter[name]=support-kit"),
            "marketplace_id": first("skill_marketplaces?filter[name]=acme-tools"),
        }

    # Faults.
    def fault(self, kind: str, at: float, until: float | None = None, **detail) -> None:
        entry = {"kind": kind, "at": at, **({"until": until} if until else {}), **detail}
        self.faults.append(entry)
        log(f"fault: {kind} {detail or ''}")

    def kill_web_worker(self) -> None:
        master = self.pid("web")
        children = subprocess.run(
            ["pgrep", "-P", str(master)], capture_output=True, text=True
        ).stdout.split()
        if children:
            os.kill(int(children[0]), signal.SIGKILL)
            self.fault("web worker SIGKILL", time.time(), pid=int(children[0]))

    def kill_task_worker_mid_export(self, within: float) -> None:
        """SIGKILL the task worker whose lease holds an export that is in progress."""
        workers = {self.pid(f"worker:worker_{n}") for n in (0, 1)}
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.db() as connection:
                rows = connection.execute(
                    "SELECT id, lease_owner FROM exports_export WHERE status = 'in_progress'"
                ).fetchall()
            for export_id, owner in rows:
                match = re.match(r"[^:]*:(\d+):", owner or "")
                if match and int(match[1]) in workers:
                    os.kill(int(match[1]), signal.SIGKILL)
                    self.fault(
                        "task worker SIGKILL mid-export",
                        time.time(),
                        pid=int(match[1]),
                        export=str(export_id),
                    )
                    return
            time.sleep(0.1)
        self.notes.append("no export was in progress in time for the task worker kill")
        log(self.notes[-1])

    def restart_database(self) -> None:
        if self.cluster is None:
            return
        started = time.time()
        self.cluster.restart()
        self.fault("PostgreSQL restart", started, until=time.time())

    def receiver_outage(self, seconds: float) -> None:
        started = time.time()
        self.stop_receiver()
        time.sleep(seconds)
        self.start_receiver()
        self.fault("webhook receiver down", started, until=time.time(), seconds=round(seconds))

    def run_faults(self, began: float) -> None:
        def at(fraction: float) -> None:
            time.sleep(max(0.0, began + fraction * self.seconds - time.time()))

        at(0.1)
        self.kill_web_worker()
        at(0.2)
        self.kill_task_worker_mid_export(within=0.15 * self.seconds)
        at(0.35)
        outage = threading.Thread(target=self.receiver_outage, args=(min(60, self.seconds / 2),))
        outage.start()
        at(0.6)
        self.restart_database()
        outage.join()

    # The run.
    def db(self):
        return psycopg.connect(self.env["DATABASE_URL"].replace("postgres://", "postgresql://"))

    def pending(self) -> dict[str, int]:
        queries = {
            "exports": "SELECT count(*) FROM exports_export "
            "WHERE status IN ('pending', 'in_progress')",
            "skill_exports": "SELECT count(*) FROM exports_skillexport "
            "WHERE status IN ('pending', 'in_progress')",
            "webhook_deliveries": "SELECT count(*) FROM events_webhookdelivery "
            "WHERE status = 'pending'",
        }
        try:
            with self.db() as connection:
                return {
                    name: connection.execute(sql).fetchone()[0] for name, sql in queries.items()
                }
        except psycopg.Error as error:
            return {"database": str(error)}

    def load(self, context: dict) -> tuple[float, float]:
        (self.dir / "context.json").write_text(json.dumps(context))
        env = {**os.environ, "SKILLPORT_LOAD_CONTEXT": str(self.dir / "context.json")}
        command = [
            PYTHON,
            "-m",
            "locust",
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--host",
            self.base,
            "--users",
            str(self.users),
            "--spawn-rate",
            str(self.users),
            "--run-time",
            f"{self.seconds}s",
            "--stop-timeout",
            "30",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        log(
            f"locust: {self.users} users for {self.seconds} s"
            + (" with faults" if self.with_faults else "")
        )
        began = time.time()
        locust = subprocess.Popen(command, cwd=ROOT, env=env)
        faults = None
        if self.with_faults:
            faults = threading.Thread(target=self.run_faults, args=(began,))
            faults.start()
        locust.wait()
        ended = time.time()
        if faults:
            faults.join()
        return began, ended

    def drain(self) -> tuple[dict, float]:
        """Wait, bounded, until no export, skill export or delivery is left to do."""
        started = time.monotonic()
        left: dict = {}

        def empty() -> bool:
            nonlocal left
            left = self.pending()
            return not any(isinstance(v, str) or v for v in left.values())

        self.wait(empty, self.drain_seconds)
        return left, round(time.monotonic() - started, 1)

    def check_exports(self) -> dict:
        """Stuck (not finished) and half-written (finished, but the file does not read back
        whole) exports and skill exports."""
        media = Path(self.dir / "var" / "media")
        with self.db() as connection:
            exports = connection.execute(
                "SELECT status, attachment, records_exported FROM exports_export"
            ).fetchall()
            skill_exports = connection.execute(
                "SELECT e.status, f.storage_name FROM exports_skillexport e "
                "LEFT JOIN files_file f ON f.id = e.file_id"
            ).fetchall()
        half_written = []
        for status, attachment, records in exports:
            if status != "completed":
                continue
            try:
                text = gzip.decompress((media / attachment).read_bytes()).decode()
                rows = (
                    len(json.loads(text))
                    if attachment.endswith("json.gz")
                    else (len(text.splitlines()) - 1)
                )
                if rows != records:
                    half_written.append(attachment)
            except (OSError, ValueError, EOFError):
                half_written.append(attachment)
        for status, name in skill_exports:
            if status != "completed":
                continue
            try:
                with zipfile.ZipFile(media / name) as archive:
                    if archive.testzip() is not None:
                        half_written.append(name)
            except (OSError, zipfile.BadZipFile, TypeError):
                half_written.append(str(name))

        def by_status(rows) -> dict[str, int]:
            counts: dict[str, int] = {}
            for row in rows:
                counts[row[0]] = counts.get(row[0], 0) + 1
            return counts

        exports_by_status, skill_by_status = by_status(exports), by_status(skill_exports)
        stuck = sum(
            counts.get(status, 0)
            for counts in (exports_by_status, skill_by_status)
            for status in ("pending", "in_progress")
        )
        return {
            "exports_by_status": exports_by_status,
            "skill_exports_by_status": skill_by_status,
            "exports_completed": exports_by_status.get("completed", 0)
            + skill_by_status.get("completed", 0),
            "stuck": stuck,
            "half_written": len(half_written),
            "half_written_files": half_written[:20],
        }

    def check_writes(self) -> dict:
        """Every acknowledged write (a 201 with its Location) read back with the key."""
        path = self.record_dir / "acks.jsonl"
        acks = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

        def readable(ack: dict) -> bool:
            return http("GET", ack["url"], self.key)[0] == 200

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(readable, acks))
        lost = [ack for ack, ok in zip(acks, results, strict=True) if not ok]
        return {
            "acknowledged": len(acks),
            "lost": len(lost),
            "lost_urls": [a["url"] for a in lost][:20],
        }

    def webhook_ids(self) -> list[str]:
        with self.db() as connection:
            return [
                str(row[0])
                for row in connection.execute("SELECT id FROM events_webhookdelivery").fetchall()
            ]


def read_requests(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", 120)))
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 12)))
    parser.add_argument(
        "--web-workers", type=int, default=int(os.environ.get("LOAD_WEB_WORKERS", 3))
    )
    parser.add_argument(
        "--drain",
        type=int,
        default=int(os.environ.get("LOAD_DRAIN_SECONDS", 300)),
        help="most seconds to wait for exports and webhook deliveries after the load",
    )
    parser.add_argument("--faults", action="store_true")
    arguments = parser.parse_args(argv)
    run = Run(
        arguments.seconds, arguments.faults, arguments.users, arguments.web_workers, arguments.drain
    )
    try:
        run.start()
        began, ended = run.load(run.seed())
        log("load done; waiting for exports and webhook deliveries to drain")
        left, drained_in = run.drain()
        requests = read_requests(run.record_dir / "requests.jsonl")
        result = {
            "machine": f"{os.cpu_count()} cores, shared with other jobs",
            "faults": arguments.faults,
            "users": arguments.users,
            "web_workers": arguments.web_workers,
            "task_workers": 2,
            "database": "throwaway PostgreSQL" if run.cluster else "DATABASE_URL",
            **figures.request_figures(requests, ended - began),
            "drain": {"seconds": drained_in, "left": left},
            **run.check_exports(),
            "webhooks": figures.webhook_figures(
                run.webhook_ids(), received(run.record_dir / "received.txt")
            ),
            "writes": run.check_writes(),
            "notes": run.notes,
        }
        if arguments.faults:
            result["fault_log"] = [
                {
                    **fault,
                    "at": round(fault["at"] - began, 1),
                    **({"until": round(fault["until"] - began, 1)} if "until" in fault else {}),
                }
                for fault in run.faults
            ]
            result["server_errors"] = figures.server_errors_around_faults(
                requests, [f for f in run.faults if f["kind"] != "webhook receiver down"]
            )
    finally:
        run.stop()
    name = "load_faults" if arguments.faults else "load"
    save_results(name, result)
    print(json.dumps(result, indent=2))
    log(f"saved benchmarks/results/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
