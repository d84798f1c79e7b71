"""Streaming an exportable queryset into a gzipped JSON or CSV file, chunk by chunk.

Records are read with `values_list(...).iterator(chunk_size)` (a server-side cursor on
PostgreSQL); each included relationship costs one query per chunk, so memory is bounded by the
chunk size, never by the number of records.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any, BinaryIO
from uuid import UUID

import orjson
from django.db import models

from exports import registry
from exports.registry import Exportable, Relationship


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
                    "includes", f"'{path}' is not an includable relationship of "
                    f"'{exportable.type_name}'."
                )  # fmt: skip
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


def build_plan(
    type_name: str, includes: list[str], fields: list[str], dry: bool
) -> Plan:
    """Validate includes and field patterns against the declaration (PlanError names which)."""
    try:
        exportable = registry.get(type_name)
    except KeyError:
        raise PlanError("resource_type", f"'{type_name}' is not an exportable type.") from None
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


def _keys(plan: Plan) -> list[str]:
    """Extra columns a level needs for its children: its pk and to-one foreign keys."""
    keys = ["pk"]
    for relationship, _ in plan.children:
        if relationship.parent_key and relationship.parent_key not in keys:
            keys.append(relationship.parent_key)
    return keys


def _records(plan: Plan, rows: list[tuple], offset: int, organization) -> list[dict]:
    """Build the records of `rows` (columns start at `offset`) and attach their children."""
    keys = _keys(plan)
    width = len(plan.columns)
    columns = plan.columns
    records = [dict(zip(columns, row[offset : offset + width], strict=True)) for row in rows]
    for relationship, child in plan.children:
        child_qs = child.exportable.queryset(organization)
        child_keys = _keys(child)
        if relationship.parent_key:
            position = offset + width + keys.index(relationship.parent_key)
            wanted = {row[position] for row in rows if row[position] is not None}
            found = child_qs.filter(pk__in=wanted).values_list(*child.paths, *child_keys)
            child_rows = list(found)
            by_pk = dict(
                zip(
                    (r[len(child.columns)] for r in child_rows),
                    _records(child, child_rows, 0, organization),
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
                .values_list(lookup, *child.paths, *child_keys)
            )
            child_rows = list(found)
            grouped: dict[Any, list] = defaultdict(list)
            for row, record in zip(child_rows, _records(child, child_rows, 1, organization),
                                   strict=True):  # fmt: skip
                grouped[row[0]].append(record)
            for record, parent in zip(records, parents, strict=True):
                value = grouped.get(parent, [])
                record[relationship.name] = value if relationship.many else (value or [None])[0]
    return records


def stream_records(
    plan: Plan, queryset: models.QuerySet, organization, chunk_size: int
) -> Iterator[list[dict]]:
    """Yield lists of records (at most `chunk_size`) read from a server-side cursor."""
    rows = queryset.values_list(*plan.paths, *_keys(plan)).iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        yield _records(plan, chunk, 0, organization)


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


def _pluck(value: Any, parts: list[str]) -> Any:
    if isinstance(value, list):
        return [_pluck(item, parts) for item in value]
    if not parts or value is None:
        return value
    return _pluck(value.get(parts[0]), parts[1:])


class Writer:
    extension = ""
    content_type = "application/gzip"

    def __init__(self, target: BinaryIO, plan: Plan, compresslevel: int = 6):
        self.gzip = gzip.GzipFile(fileobj=target, mode="wb", compresslevel=compresslevel, mtime=0)
        self.plan = plan

    def write(self, records: list[dict]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.gzip.close()


class JsonWriter(Writer):
    """A JSON array of flat objects; included relationships nested by name."""

    extension = "json.gz"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gzip.write(b"[")
        self.empty = True

    def write(self, records: list[dict]) -> None:
        if not records:
            return
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
        self.text = io.TextIOWrapper(self.gzip, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text)
        header = self.plan.flat_columns()
        self.csv.writerow(header)
        self.simple = not self.plan.children
        self.columns = self.plan.columns
        self.dotted = [name.split(".") for name in header]

    def write(self, records: list[dict]) -> None:
        if self.simple:
            columns = self.columns
            rows = ([_cell(record[name]) for name in columns] for record in records)
        else:
            dotted = self.dotted
            rows = ([_cell(_pluck(record, parts)) for parts in dotted] for record in records)
        self.csv.writerows(rows)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()
        super().close()


WRITERS: dict[str, Callable[..., Writer]] = {"json": JsonWriter, "csv": CsvWriter}
