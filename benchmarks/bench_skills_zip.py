"""Streamed zip download of a skill collection vs `zip -r` of the same files, in the same run.

A live gunicorn (one sync worker, SQLite and local storage in a temporary directory) serves
`GET /api/skill_collections/<id>?format=zip`; the client reads the stream over loopback. The
floor is the `zip` command line tool compressing the same tree at the same level (6); when `zip`
is not installed, Python's `zipfile` writing to disk stands in for it (and the output says so).

The worker's resident memory is sampled during each download, at two archive sizes: a streamed
archive keeps it flat, whatever the size.

Figures: `BENCH_SKILLS_ZIP_MB` (default 100) and `BENCH_SKILLS_ZIP_FILES` (default 2000) set the
large collection; the small one has as many files and a quarter of the bytes.
"""

import http.client
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from benchmarks.common import free_port, save_results

MB = 1_000_000
LARGE_MB = int(os.environ.get("BENCH_SKILLS_ZIP_MB", "100"))
LARGE_FILES = int(os.environ.get("BENCH_SKILLS_ZIP_FILES", "2000"))
FILES_PER_SKILL = 20
PROJECT = Path(__file__).resolve().parent.parent

SEED_SCRIPT = """
import json, pathlib
from organizations.services import create_api_key
from skills import services
key, raw_key = create_api_key(organization_slug="bench-zip")
ids = {}
for root in ROOTS:
    root = pathlib.Path(root)
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*")) if path.is_file()
    }
    collection = services.create_collection(
        tenant=key.tenant, actor=key.member, name=root.name, root_path=root.name
    )
    services.create_version(collection, actor=key.member, files=files)
    ids[root.name] = str(collection.pk)
print(json.dumps({"key": raw_key, "ids": ids}))
"""


def _text_pool(size: int) -> str:
    """Deterministic text-like content (compresses about as well as prose and code)."""
    rng = random.Random(42)
    words = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10))) for _ in range(5000)
    ]
    text = ""
    while len(text) < size:
        text += " ".join(rng.choices(words, k=200_000)) + "\n"
    return text[:size]


def _write_tree(root: Path, files: int, total_bytes: int, pool: str) -> int:
    """`files` files in skill folders (each with a valid SKILL.md), about `total_bytes` in all."""
    skills = max(1, files // FILES_PER_SKILL)
    body_size = total_bytes // max(1, files - skills)
    written = 0
    for index in range(files):
        skill = f"skill-{index % skills:04d}"
        folder = root / skill
        folder.mkdir(parents=True, exist_ok=True)
        if index < skills:
            content = f"---\nname: {skill}\ndescription: Benchmark skill {skill}.\n---\n"
            path = folder / "SKILL.md"
        else:
            offset = (index * 7919) % (len(pool) - body_size)
            content = f"# file {index}\n" + pool[offset : offset + body_size]
            path = folder / "docs" / f"part-{index:05d}.md"
            path.parent.mkdir(exist_ok=True)
        data = content.encode()
        path.write_bytes(data)
        written += len(data)
    return written


def _environment(workdir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "SKILLPORT_VAR_DIR": str(workdir / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(item) for item in children.read_text().split()] if children.exists() else []


def _memory_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _serve(env: dict, port: int) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
        ],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            connection.getresponse().read()
            workers = _children(server.pid)
            if workers:
                return server, workers[0]
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def _download(port: int, path: str, raw_key: str, worker: int, sink: Path) -> dict:
    """Stream the archive to disk while sampling the worker's resident memory."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(_memory_kib(worker))
            time.sleep(0.005)

    rss_before = _memory_kib(worker)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", path, headers={"Authorization": f"Bearer {raw_key}"})
    response = connection.getresponse()
    assert response.status == 200, response.read()[:300]
    received = 0
    with sink.open("wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
            received += len(chunk)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "seconds": elapsed,
        "archive_bytes": received,
        "worker_rss_before_mib": round(rss_before / 1024, 1),
        "worker_rss_peak_mib": round(max([*samples, rss_before]) / 1024, 1),
        "worker_rss_growth_mib": round((max([*samples, rss_before]) - rss_before) / 1024, 1),
    }


def _floor(tree: Path, out: Path) -> tuple[str, float]:
    """`zip -r` of the same tree at level 6, or Python's zipfile when `zip` is missing."""
    started = time.perf_counter()
    if shutil.which("zip"):
        subprocess.run(["zip", "-r", "-q", "-6", str(out), "."], cwd=tree, check=True)
        return "zip -r -6 (Info-ZIP CLI)", time.perf_counter() - started
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree))
    return "python zipfile to disk (zip CLI not installed)", time.perf_counter() - started


def _seeded_install(
    workdir: Path, sizes: dict[str, tuple[int, int]], write_tree, seed_script: str
) -> tuple[dict[str, str], dict[str, Path], dict[str, int], dict]:
    """A migrated install in `workdir` holding one generated tree per size, seeded by
    `seed_script` (its `ROOTS` replaced by the trees' paths; it prints its JSON last)."""
    env = _environment(workdir)
    pool = _text_pool(4 * 1024 * 1024)
    trees, tree_bytes = {}, {}
    for label, (files, total) in sizes.items():
        trees[label] = workdir / "trees" / f"bench-{label}"
        tree_bytes[label] = write_tree(trees[label], files, total, pool)
    _manage(env, "migrate", "--noinput", "-v0")
    script = seed_script.replace("ROOTS", repr([str(path) for path in trees.values()]))
    seeded = json.loads(_manage(env, "shell", "-c", script).strip().splitlines()[-1])
    return env, trees, tree_bytes, seeded


def run() -> dict:
    sizes = {
        # Same number of files, a quarter of the bytes: isolates growth with archive size.
        "small": (LARGE_FILES, LARGE_MB * MB // 4),
        "large": (LARGE_FILES, LARGE_MB * MB),
    }
    with tempfile.TemporaryDirectory(prefix="skillport-bench-zip-") as tmp:
        workdir = Path(tmp)
        env, trees, tree_bytes, seeded = _seeded_install(workdir, sizes, _write_tree, SEED_SCRIPT)
        port = free_port()
        server, worker = _serve(env, port)
        try:
            results = {}
            # The first download warms the worker up (imports, connections) and is not kept.
            for label in ("small", "small", "large"):
                collection_id = seeded["ids"][f"bench-{label}"]
                results[label] = _download(
                    port,
                    f"/api/skill_collections/{collection_id}?format=zip",
                    seeded["key"],
                    worker,
                    workdir / f"download-{label}.zip",
                )
            worker_hwm = _memory_kib(worker, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=10)
        with zipfile.ZipFile(workdir / "download-large.zip") as archive:
            assert len(archive.namelist()) == sizes["large"][0]
        floor_name, floor_seconds = _floor(trees["large"], workdir / "cli-large.zip")
        floor_bytes = (workdir / "cli-large.zip").stat().st_size

    large = results["large"]
    server_mbps = tree_bytes["large"] / MB / large["seconds"]
    floor_mbps = tree_bytes["large"] / MB / floor_seconds
    figures = {
        "collection_files": sizes["large"][0],
        "collection_mb": round(tree_bytes["large"] / MB, 1),
        "server_seconds": round(large["seconds"], 2),
        "server_input_mb_per_s": round(server_mbps, 1),
        "server_archive_mb": round(large["archive_bytes"] / MB, 1),
        "floor": floor_name,
        "floor_seconds": round(floor_seconds, 2),
        "floor_input_mb_per_s": round(floor_mbps, 1),
        "floor_archive_mb": round(floor_bytes / MB, 1),
        "throughput_ratio_vs_floor": round(server_mbps / floor_mbps, 2),
        "throughput_goal": ">= 0.5",
        "memory": {
            label: {
                "collection_mb": round(tree_bytes[label] / MB, 1),
                "files": sizes[label][0],
                **{k: v for k, v in results[label].items() if k.startswith("worker_")},
            }
            for label in ("small", "large")
        },
        "worker_rss_high_water_mib": round(worker_hwm / 1024, 1),
        "memory_goal": "worker peak RSS does not grow with archive size",
    }
    print(json.dumps(figures, indent=2))
    save_results("skills_zip", figures)
    return figures


if __name__ == "__main__":
    run()
