"""Streaming an exportable queryset into a gzipped JSON or CSV file, chunk by chunk.

Records are read with `values_list(...).iterator(chunk_size)` (a server-side cursor on
PostgreSQL); each included relationship costs one query per chunk, so memory is bounded by the
chunk size, never by the number of records.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any, BinaryIO
from uuid import UUID

import orjson
from django.db import connection, models
from django.db.models import F, Func

from exports.bulk import registry
from exports.bulk.registry import Exportable, Relationship
from files.compression import gzip_writer


class PlanError(ValueError):
    def __init__(self, attribute: str, message: str):
        self.attribute = attribute
        super().__init__(message)


@dataclass
class Plan:
    """What to read for one level of the export: its columns and its included children."""

    exportable: Exportable
    columns: list[str]
    children: list[tuple[Relationship, Plan]] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [self.exportable.attributes[name] for name in self.columns]

    def expressions(self) -> list:
        """The columns to select; on PostgreSQL uuids and timestamps arrive as final text."""
        model = self.exportable.model
        return [_as_output(model, path) for path in self.paths]

    def field_kinds(self) -> list[type]:
        return [type(registry._model_field(self.exportable.model, p)) for p in self.paths]

    def flat_columns(self, prefix: str = "") -> list[str]:
        names = [prefix + name for name in self.columns]
        for relationship, child in self.children:
            names += child.flat_columns(f"{prefix}{relationship.name}.")
        return names


def _include_tree(exportable: Exportable, includes: list[str], dry: bool) -> dict:
    tree: dict = {}
    for path in includes:
        node, current = tree, exportable
        for part in path.split("."):
            relationships = current.includable(dry)
            if part not in relationships:
                raise PlanError(
                    "includes",
                    f"'{path}' is not an includable relationship of '{exportable.type_name}'.",
                )
            current = relationships[part].target()
            node = node.setdefault(part, {})
    return tree


def _available(exportable: Exportable, dry: bool) -> list[str]:
    return exportable.dry_attributes() if dry else list(exportable.attributes)


def _build(exportable: Exportable, tree: dict, patterns: list[str], dry: bool, prefix: str):
    names = _available(exportable, dry)
    if patterns:
        names = [
            name
            for name in names
            if (name == "id" and not dry)
            or any(fnmatch.fnmatchcase(prefix + name, pattern) for pattern in patterns)
        ]
    plan = Plan(exportable, names)
    relationships = exportable.includable(dry)
    for name, subtree in tree.items():
        relationship = relationships[name]
        child = _build(relationship.target(), subtree, patterns, dry, f"{prefix}{name}.")
        plan.children.append((relationship, child))
    return plan


def build_plan(type_name: str, includes: list[str], fields: list[str], dry: bool) -> Plan:
    """Validate includes and field patterns against the declaration (PlanError names which)."""
    try:
        exportable = registry.get(type_name)
    except KeyError:
        raise PlanError(
            "resource_type",
            f"'{type_name}' is not an exportable type; one of: "
            f"{', '.join(registry.exportable_types())}.",
        ) from None
    tree = _include_tree(exportable, includes, dry)
    plan = _build(exportable, tree, fields, dry, "")
    if fields:
        candidates = _build(exportable, tree, [], dry, "").flat_columns()
        for pattern in fields:
            if not any(fnmatch.fnmatchcase(name, pattern) for name in candidates):
                raise PlanError(
                    "fields",
                    f"'{pattern}' matches no field of '{type_name}' or of its includes "
                    "(include a relationship to export its fields).",
                )
    return plan


# -- reading -------------------------------------------------------------------------------------


def _iso_text(value: Any) -> Any:
    """A timestamp as DRF renders it: `2026-11-24T07:02:47.123456Z` (no fraction when zero)."""
    if isinstance(value, datetime):
        return orjson.dumps(value, option=JSON_OPTIONS)[1:-1].decode()
    return value


class TimestampText(models.DateTimeField):
    """Output field: timestamps leave the database as final ISO 8601 text."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else _iso_text(value)


class UuidText(models.UUIDField):
    """Output field: uuids leave the database as text (`str(UUID)`)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else str(value)


class PgText(Func):
    """PostgreSQL only: `uuid::text`, which is what `str(UUID)` gives."""

    template = "(%(expressions)s)::text"


class PgIsoTimestamp(Func):
    """PostgreSQL only: a timestamptz as DRF renders it, `2026-11-24T07:02:47.123456Z` in UTC,
    without a fraction when it is zero (to_char is much cheaper than reshaping `::text`, and
    one to_char and a replace cheaper than testing for a zero fraction first)."""

    template = (
        "replace(to_char((%(expressions)s) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
    )


def _as_output(model, path: str):
    """Select uuids and timestamps as final text: formatted by PostgreSQL (no Python work per
    value), or converted from Python objects on other databases."""
    model_field = registry._model_field(model, path)
    if model_field.is_relation:  # a key: the related model's primary key
        model_field = model_field.related_model._meta.pk
    postgresql = connection.vendor == "postgresql"
    if isinstance(model_field, models.UUIDField):
        if postgresql:
            return PgText(F(path), output_field=models.TextField())
        return Func(F(path), template="%(expressions)s", output_field=UuidText())
    if isinstance(model_field, models.DateTimeField):
        if postgresql:
            return PgIsoTimestamp(F(path), output_field=models.TextField())
        return Func(F(path), template="%(expressions)s", output_field=TimestampText())
    return F(path)


def _keys(plan: Plan) -> list:
    """Extra columns a level needs for its children: its pk and to-one foreign keys."""
    if not plan.children:
        return []
    keys = ["pk"]
    for relationship, _ in plan.children:
        if relationship.parent_key and relationship.parent_key not in keys:
            keys.append(relationship.parent_key)
    return keys


def _key_expressions(plan: Plan) -> list:
    return [_as_output(plan.exportable.model, key) for key in _keys(plan)]


def _records(plan: Plan, rows: list[tuple], offset: int, tenant) -> list[dict]:
    """Build the records of `rows` (columns start at `offset`) and attach their children."""
    keys = _keys(plan)
    width = len(plan.columns)
    columns = plan.columns
    if offset:
        records = [dict(zip(columns, row[offset:], strict=False)) for row in rows]
    else:
        # zip stops at the last column
        records = [dict(zip(columns, row, strict=False)) for row in rows]
    for relationship, child in plan.children:
        child_qs = child.exportable.queryset(tenant)
        if relationship.parent_key:
            position = offset + width + keys.index(relationship.parent_key)
            wanted = {row[position] for row in rows if row[position] is not None}
            found = child_qs.filter(pk__in=wanted).values_list(
                *child.expressions(),
                *_key_expressions(child),
                _as_output(child.exportable.model, "pk"),
            )
            child_rows = list(found)
            by_pk = dict(
                zip(
                    (r[-1] for r in child_rows),
                    _records(child, child_rows, 0, tenant),
                    strict=True,
                )
            )
            for record, row in zip(records, rows, strict=True):
                record[relationship.name] = by_pk.get(row[position])
        else:
            position = offset + width + keys.index("pk")
            parents = [row[position] for row in rows]
            lookup = relationship.child_lookup
            found = (
                child_qs.filter(**{f"{lookup}__in": parents})
                .order_by(*child.exportable.ordering)
                .values_list(
                    _as_output(child.exportable.model, lookup),
                    *child.expressions(),
                    *_key_expressions(child),
                )
            )
            child_rows = list(found)
            grouped: dict[Any, list] = defaultdict(list)
            for row, record in zip(child_rows, _records(child, child_rows, 1, tenant), strict=True):
                grouped[row[0]].append(record)
            for record, parent in zip(records, parents, strict=True):
                value = grouped.get(parent, [])
                record[relationship.name] = value if relationship.many else (value or [None])[0]
    return records


def stream_rows(plan: Plan, queryset: models.QuerySet, chunk_size: int) -> Iterator[list[tuple]]:
    """Yield lists of rows (at most `chunk_size`) read from a server-side cursor."""
    rows = queryset.values_list(*plan.expressions(), *_key_expressions(plan)).iterator(
        chunk_size=chunk_size
    )
    while chunk := list(islice(rows, chunk_size)):
        yield chunk


def build_records(plan: Plan, rows: list[tuple], tenant) -> list[dict]:
    """Rows of `stream_rows` as flat dicts, their includes fetched and nested by name."""
    return _records(plan, rows, 0, tenant)


# -- writing -------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _cell(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is datetime:
        return orjson.dumps(value, option=JSON_OPTIONS)[1:-1].decode()
    if kind is UUID:
        return str(value)
    if kind in (list, dict):
        return orjson.dumps(value, default=_json_default, option=JSON_OPTIONS).decode()
    return str(value)


# Field types whose values the csv module writes right: text, numbers, None (uuids and
# timestamps arrive as text, see `_as_output`).
SAME_IN_CSV = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.UUIDField,
    models.DateTimeField,
)


def _pluck(value: Any, parts: list[str]) -> Any:
    if isinstance(value, list):
        return [_pluck(item, parts) for item in value]
    if not parts or value is None:
        return value
    return _pluck(value.get(parts[0]), parts[1:])


class GzipPipe:
    """Compresses in a background thread (ISA-L and zlib release the GIL), so compression
    overlaps the database reads; at most `depth` chunks wait in between, so memory stays
    bounded."""

    def __init__(self, target: BinaryIO, compresslevel: int, depth: int = 4):
        self.gzip = gzip_writer(target, compresslevel)
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="export-gzip", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.gzip.write(data)
                except BaseException as error:  # reported by write()/close()
                    self.error = error

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        self.gzip.close()

    def abort(self) -> None:
        """Stop the thread without finishing the file (the export failed)."""
        self.error = self.error or RuntimeError("aborted")
        self.queue.put(None)
        self.thread.join()


class Writer:
    extension = ""
    content_type = "application/gzip"

    def __init__(self, target: BinaryIO, plan: Plan, tenant, compresslevel: int = 1):
        self.gzip = GzipPipe(target, compresslevel)
        self.plan = plan
        self.tenant = tenant

    def write(self, rows: list[tuple]) -> None:
        """Write one chunk of `stream_rows`."""
        raise NotImplementedError

    def close(self) -> None:
        self.gzip.close()

    def abort(self) -> None:
        self.gzip.abort()


class JsonWriter(Writer):
    """A JSON array of flat objects; included relationships nested by name."""

    extension = "json.gz"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gzip.write(b"[")
        self.empty = True

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        records = build_records(self.plan, rows, self.tenant)
        data = orjson.dumps(records, default=_json_default, option=JSON_OPTIONS)
        if not self.empty:
            self.gzip.write(b",")
        self.gzip.write(data[1:-1])
        self.empty = False

    def close(self) -> None:
        self.gzip.write(b"]")
        super().close()


class CsvWriter(Writer):
    """A header row, then one row per record; included fields as dotted columns (a to-many
    include's column holds a JSON array of its values)."""

    extension = "csv.gz"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer)
        header = self.plan.flat_columns()
        self.csv.writerow(header)
        self.dotted = [name.split(".") for name in header]
        # Without includes, rows go straight to the csv module; only the columns whose values
        # are not already text or numbers are converted.
        self.simple = not self.plan.children
        self.convert = [
            index
            for index, kind in enumerate(self.plan.field_kinds())
            if not issubclass(kind, SAME_IN_CSV)
        ]
        self._flush()

    def _flush(self) -> None:
        self.gzip.write(self.buffer.getvalue().encode())
        self.buffer.seek(0)
        self.buffer.truncate()

    def write(self, rows: list[tuple]) -> None:
        if self.simple:
            convert, write, writerow = self.convert, self.buffer.write, self.csv.writerow
            width = len(self.plan.columns) - 1
            for row in rows:
                if convert:
                    row = list(row)
                    for index in convert:
                        row[index] = _cell(row[index])
                # Fast path: a row of text that needs no quoting is joined as is.
                try:
                    line = ",".join(row)
                except TypeError:  # None or a number: let the csv module write it
                    writerow(row)
                    continue
                if (
                    line  # an empty one-column row is `""`, not a blank line (no row)
                    and line.count(",") == width
                    and '"' not in line
                    and "\n" not in line
                    and ("\r" not in line)
                ):
                    write(line)
                    write("\r\n")
                else:
                    writerow(row)
        else:
            dotted = self.dotted
            records = build_records(self.plan, rows, self.tenant)
            self.csv.writerows(
                [_cell(_pluck(record, parts)) for parts in dotted] for record in records
            )
        self._flush()


WRITERS: dict[str, Callable[..., Writer]] = {"json": JsonWriter, "csv": CsvWriter}
