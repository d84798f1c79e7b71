"""The database part of a backup, per vendor: a snapshot file, its row counts, and its restore
into an empty database.

PostgreSQL: `pg_dump -Fc` (the machine's client tools) of a snapshot this process exports and
holds open, so that the row counts written to the manifest are those of the dump exactly;
`pg_restore --single-transaction` puts it back. SQLite: the online backup API
(`sqlite3.Connection.backup`), which copies a consistent state while other processes write.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from core.backup.manifest import BackupError

LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}
SQLITE_FILE = "database.sqlite3"
POSTGRESQL_FILE = "database.dump"


def vendor_of(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups of a {connection.vendor} database are not supported.")
    return connection.vendor


def existing_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables of the database (a fresh install's has none before its restore)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def dump(using: str, directory: Path) -> tuple[str, dict[str, int]]:
    """Write the snapshot into `directory`; its file name and the rows per table in it."""
    connection = connections[using]
    if vendor_of(connection) == "sqlite":
        return _sqlite_dump(connection, directory / SQLITE_FILE)
    return _postgresql_dump(connection, directory / POSTGRESQL_FILE)


def restore(using: str, path: Path) -> None:
    """Load the snapshot at `path` into the (empty) database `using`."""
    connection = connections[using]
    if vendor_of(connection) == "sqlite":
        _sqlite_restore(connection, path)
    else:
        _postgresql_restore(connection, path)


def row_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    with connection.cursor() as cursor:
        return _counts(cursor, connection.introspection.table_names(cursor), connection)


def _counts(cursor, tables: list[str], connection) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


# -- SQLite ----------------------------------------------------------------------------------


def _sqlite_file(connection) -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return name


def _sqlite_dump(connection, target: Path) -> tuple[str, dict[str, int]]:
    source = sqlite3.connect(_sqlite_file(connection), timeout=60)
    copy = sqlite3.connect(target)
    try:
        # All pages in one step under one read transaction: one consistent state, and in WAL
        # mode writers go on meanwhile. (A copy in several steps would start over after every
        # write of another process, forever under a steady writer.)
        source.backup(copy)
        cursor = copy.cursor()
        cursor.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        tables = [
            row[0]
            for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = _counts(cursor, tables, connection)
    finally:
        copy.close()
        source.close()
    return target.name, counts


def _sqlite_restore(connection, path: Path) -> None:
    connection.close()  # Django's own connection would hold a stale view of the file
    source = sqlite3.connect(path)
    target = sqlite3.connect(_sqlite_file(connection), timeout=60)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")  # as config/settings.py opens it
    finally:
        target.close()
        source.close()


# -- PostgreSQL ------------------------------------------------------------------------------


def _client_env(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Connection options for the client tools; the password goes in the environment.

    The tools get only libpq's variables built from the database settings (DATABASE_URL), not
    this process's environment: what they connect to is what Django connects to."""
    args = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [option, str(settings_dict[key])]
    env: dict[str, str] = {}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    # libpq reads the TLS options of DATABASE_URL (`?sslmode=require`) from the environment too.
    for option, value in (settings_dict.get("OPTIONS") or {}).items():
        if option in LIBPQ_OPTIONS:
            env[LIBPQ_OPTIONS[option]] = str(value)
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"`{name}` is not installed; install the PostgreSQL client tools of the server's "
            "major version (e.g. the postgresql-client package)."
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _postgresql_dump(connection, target: Path) -> tuple[str, dict[str, int]]:
    args, env = _client_env(connection.settings_dict)
    connection.ensure_connection()
    raw = connection.connection
    autocommit = raw.autocommit
    raw.autocommit = False
    try:
        with raw.cursor() as cursor:
            # The counts and the dump read one snapshot: this transaction exports it and
            # stays open until pg_dump has used it.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _counts(cursor, connection.introspection.table_names(cursor), connection)
            command = [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges"]
            command += [f"--snapshot={snapshot}", "--file", str(target), *args]
            _run([*command, "--dbname", connection.settings_dict["NAME"]], env)
        raw.rollback()
    finally:
        raw.autocommit = autocommit
    return target.name, counts


def _postgresql_restore(connection, path: Path) -> None:
    args, env = _client_env(connection.settings_dict)
    command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", *args, "--dbname", connection.settings_dict["NAME"]]
    connection.close()
    _run([*command, str(path)], env)
