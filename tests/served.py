"""A real served Skillport: gunicorn processes on random 127.0.0.1 ports, for tests that need
several processes or the HTTP server itself."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def postgres_databases(server_url: str, *names: str) -> Iterator[list[str]]:
    """New empty databases on `server_url`'s PostgreSQL server (one a killed run left behind is
    dropped first), their URLs; dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [urlunsplit(parts._replace(path=f"/{name}")) for name in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_install(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of a fresh install on a file SQLite database, migrated."""
    environ = install_env(tmp_path, **env)
    manage(environ, "migrate", "--noinput", "-v0")
    return environ


def install_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of an install in `tmp_path` (a file SQLite database, not migrated)."""
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "SKILLPORT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'skillport.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        **env,
    }


def run_manage(
    env: dict[str, str], *args: str, root: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`manage.py <args>` of the checkout at `root` (this one by default), whatever it exits."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage(env: dict[str, str], *args: str, root: Path = ROOT) -> str:
    """`manage.py <args>`, which must succeed; its output."""
    done = run_manage(env, *args, root=root)
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    *args: str,
    workers: int = 1,
    port: int | None = None,
    log: Path | None = None,
    root: Path = ROOT,
) -> Iterator[str]:
    """Serve the app with `config/gunicorn.py` (on `port`, a free one when not given); yields
    the base URL, stops the server after. With `log`, the server's output (stdout and stderr)
    goes to that file; `root` is the checkout served (this one by default)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
    # A file, never a pipe: every request writes a log line, and a pipe nobody drains fills
    # (64 KiB) and then blocks the server mid-request.
    with log.open("w+b") if log is not None else tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *args],
            cwd=root,
            env=env,
            stdout=output,
            stderr=output,
        )
        try:
            deadline = time.monotonic() + 60
            while not reachable("127.0.0.1", port):
                if process.poll() is not None:
                    output.seek(0)
                    raise AssertionError(output.read().decode(errors="replace"))
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
