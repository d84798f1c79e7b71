"""`git clone` of a skill collection from the app vs `git clone` of the same tree from
`git http-backend`, in the same run.

A live gunicorn (one sync worker, SQLite and local storage in a temporary directory) serves the
collection's git repository; the real `git` client clones it over loopback, twice (the second
clone shows what the server keeps from the first). The floor is the same tree committed to a
plain repository (packed with `git gc`, as a hosted repository is) and served by
`git http-backend`, git's own CGI program, behind a minimal threaded HTTP server started here;
it is cloned the same way, twice.

The app's worker resident memory is sampled during each clone, at two collection sizes with the
same file count: a streamed pack keeps it flat, whatever the size.

Figures: `BENCH_GIT_MB` (default 100) and `BENCH_GIT_FILES` (default 10000) set the large
collection; the small one has as many files and a fifth of the bytes. A tenth of the bytes is
incompressible (random) content, the rest text-like.
`python -m benchmarks git` runs this benchmark alone.
"""

import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.bench_skills_zip import (
    _memory_kib,
    _seeded_install,
    _serve,
    _write_tree,
)
from benchmarks.common import free_port, save_results

MB = 1_000_000
LARGE_MB = int(os.environ.get("BENCH_GIT_MB", "100"))
LARGE_FILES = int(os.environ.get("BENCH_GIT_FILES", "10000"))
# The share of files (and bytes) that is random content, which no compressor shrinks.
BINARY_SHARE = 10

SEED_SCRIPT = """
import json, pathlib
from organizations.services import create_api_key
from skills import services
key, raw_key = create_api_key(organization_slug="bench-git")
ids = {}
for root in ROOTS:
    root = pathlib.Path(root)
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts
    }
    collection = services.create_collection(
        tenant=key.tenant, actor=key.member, name=root.name, root_path=root.name
    )
    services.create_version(collection, actor=key.member, files=files, commit_message="Bench")
    ids[root.name] = str(collection.pk)
print(json.dumps({"key": raw_key, "ids": ids}))
"""


def _write_collection(root: Path, files: int, total_bytes: int, pool: str) -> int:
    """Text-like skill files plus a `BINARY_SHARE` percent of random files, deterministic."""
    binary_files = files * BINARY_SHARE // 100
    binary_bytes = total_bytes * BINARY_SHARE // 100
    written = _write_tree(root, files - binary_files, total_bytes - binary_bytes, pool)
    rng = random.Random(7)
    for index in range(binary_files):
        path = root / f"skill-{index % 10:04d}" / "assets" / f"blob-{index:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(binary_bytes // max(1, binary_files)))
        written += binary_bytes // max(1, binary_files)
    return written


def _git(*args: str, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


class _HttpBackend(BaseHTTPRequestHandler):
    """Hands each request to `git http-backend` (CGI) and streams its answer back."""

    project_root = ""

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._cgi(b"")

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._cgi(body)

    def _cgi(self, body: bytes) -> None:
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": self.project_root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        process = subprocess.Popen(
            ["git", "http-backend"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        feeder = threading.Thread(target=self._feed, args=(process, body))
        feeder.start()
        status, headers = "200 OK", []
        while (line := process.stdout.readline().rstrip(b"\r\n")) != b"":
            name, _, value = line.decode().partition(":")
            if name.lower() == "status":
                status = value.strip()
            else:
                headers.append((name, value.strip()))
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        while chunk := process.stdout.read1(1 << 16):
            self.wfile.write(chunk)
        feeder.join()
        process.wait()

    @staticmethod
    def _feed(process: subprocess.Popen, body: bytes) -> None:
        process.stdin.write(body)
        process.stdin.close()


def _floor_repository(tree: Path, project_root: Path) -> Path:
    """The same tree as one commit of a bare repository, packed as a hosted one is."""
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z"}
    env.update(GIT_COMMITTER_DATE=env["GIT_AUTHOR_DATE"], HOME=str(project_root))
    work = project_root / "work"
    shutil.copytree(tree, work)
    _git("init", "-q", "-b", "main", cwd=work, env=env)
    _git("add", "-A", cwd=work, env=env)
    identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    _git(*identity, "commit", "-q", "-m", "Bench", cwd=work, env=env)
    bare = project_root / "floor.git"
    _git("clone", "-q", "--bare", str(work), str(bare), env=env)
    _git("gc", "-q", cwd=bare, env=env)
    shutil.rmtree(work)
    return bare


def _clone(url: str, target: Path, *config: str, worker: int | None = None) -> dict:
    """One `git clone`, timed, with the server worker's resident memory sampled meanwhile."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(_memory_kib(worker))
            time.sleep(0.005)

    rss_before = _memory_kib(worker) if worker else 0
    sampler = threading.Thread(target=sample, daemon=True)
    if worker:
        sampler.start()
    env = {"PATH": os.environ["PATH"], "HOME": str(target.parent), "GIT_TERMINAL_PROMPT": "0"}
    started = time.perf_counter()
    subprocess.run(
        ["git", *config, "clone", "-q", url, str(target)],
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    done.set()
    if worker:
        sampler.join()
    peak = max([*samples, rss_before])
    shutil.rmtree(target)
    figures = {"seconds": elapsed}
    if worker:
        figures.update(
            worker_rss_before_mib=round(rss_before / 1024, 1),
            worker_rss_peak_mib=round(peak / 1024, 1),
            worker_rss_growth_mib=round((peak - rss_before) / 1024, 1),
        )
    return figures


class _FloorServer:
    """`git http-backend` behind a threaded HTTP server, serving the repositories in a folder."""

    def __init__(self, bare: Path) -> None:
        _HttpBackend.project_root = str(bare.parent)
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), _HttpBackend)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{bare.name}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run() -> dict:
    sizes = {
        # Same number of files, a fifth of the bytes: isolates growth with the pack's size.
        "small": (LARGE_FILES, LARGE_MB * MB // 5),
        "large": (LARGE_FILES, LARGE_MB * MB),
    }
    with tempfile.TemporaryDirectory(prefix="skillport-bench-git-") as tmp:
        workdir = Path(tmp)
        env, trees, tree_bytes, seeded = _seeded_install(
            workdir, sizes, _write_collection, SEED_SCRIPT
        )
        bare = _floor_repository(trees["large"], workdir / "floor")
        floor_pack_mb = sum(path.stat().st_size for path in bare.rglob("*.pack")) / MB
        floor_server = _FloorServer(bare)
        port = free_port()
        server, worker = _serve(env, port)
        results, floor = {}, []
        try:
            for label in ("small", "large"):
                collection_id = seeded["ids"][f"bench-{label}"]
                url = f"http://127.0.0.1:{port}/git/skill_collections/{collection_id}.git"
                header = f"http.extraHeader=Authorization: Bearer {seeded['key']}"
                results[label] = []
                for run in (1, 2):
                    if label == "large":
                        # Floor and ours alternate, so a change in the machine's load during
                        # the run weighs on both.
                        floor.append(_clone(floor_server.url, workdir / f"floor-{run}"))
                    target = workdir / f"ours-{label}-{run}"
                    results[label].append(_clone(url, target, "-c", header, worker=worker))
            worker_hwm = _memory_kib(worker, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=10)
            floor_server.close()

    first, second = results["large"]
    figures = {
        "collection_files": sizes["large"][0],
        "collection_mb": round(tree_bytes["large"] / MB, 1),
        "floor": "git clone from git http-backend (CGI) of the same tree, packed by git gc",
        "floor_pack_mb": round(floor_pack_mb, 1),
        "floor_first_clone_seconds": round(floor[0]["seconds"], 2),
        "floor_second_clone_seconds": round(floor[1]["seconds"], 2),
        "first_clone_seconds": round(first["seconds"], 2),
        "second_clone_seconds": round(second["seconds"], 2),
        "first_clone_ratio_vs_floor": round(floor[0]["seconds"] / first["seconds"], 2),
        "second_clone_ratio_vs_floor": round(floor[1]["seconds"] / second["seconds"], 2),
        "ratio": "floor seconds / our seconds (1.0 = as fast as git itself)",
        "memory": {
            label: {
                "collection_mb": round(tree_bytes[label] / MB, 1),
                "files": sizes[label][0],
                **{
                    f"{name}_clone_{key}": value
                    for name, clone in zip(("first", "second"), results[label], strict=True)
                    for key, value in clone.items()
                    if key.startswith("worker_")
                },
            }
            for label in ("small", "large")
        },
        "worker_rss_high_water_mib": round(worker_hwm / 1024, 1),
        "memory_goal": "worker peak RSS does not grow with the collection's size",
    }
    print(json.dumps(figures, indent=2))
    save_results("git", figures)
    return figures


if __name__ == "__main__":
    run()
