"""A throwaway PostgreSQL cluster for `make load`: its own data directory and port, so restarting
it (a fault of `make load FAULTS=1`) harms no other user of the machine's server."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path


def server_bin() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name.split(".")[0]),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """initdb/pg_ctl in `directory` on 127.0.0.1:`port`; as root, run as the `postgres` user
    (then every parent of `directory` must be searchable by that user)."""

    def __init__(self, bin_dir: Path, directory: Path, port: int):
        self.bin_dir = bin_dir
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/skillport_load"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, str(self.bin_dir / command[0]), *command[1:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}")

    def init(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-l", log, "-o", options, *extra)

    def start(self) -> None:
        self._ctl("start")
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "skillport_load"
        )

    def restart(self) -> None:
        """A fast restart: open sessions are cut, as on a failover or a crash-free reboot."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
