"""PostgreSQL encodes the export: `COPY (<the export's SELECT>) TO STDOUT`, streamed to gzip.

The SELECT is compiled from the export's own queryset (the registry's tenancy gate, the
`apply_filters` vocabulary, the export ordering), so there is no second filter language. Its
select list comes from the same `engine.Plan` as the Python writers: one text expression per
CSV column, or one JSON text per record. Included relationships are correlated subqueries
(to-one: the related row; to-many: `string_agg` in the related type's ordering), `fields` and
`dry_data` are the plan's columns. Every expression renders exactly what the Python path writes
(timestamps as DRF renders them, uuids, `true`/`false`, compact JSON, CSV quoting and `\\r\\n`
line ends), so both paths write the same bytes; the per-row Python path stays for SQLite and
for any column type this module does not know (`can_encode`).

Rows arrive one CopyData message each (read straight from libpq, see `_copy_blocks`), so the
row count is exact; they are joined into blocks of `EXPORT_CHUNK_SIZE` rows and handed to the
compression thread.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from select import POLLIN, poll
from typing import BinaryIO

import orjson
import psycopg
from django.db import connection, models
from django.db.models import F, Func, OuterRef, Subquery, Value
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Cast
from psycopg import pq

from exports.bulk import registry
from exports.bulk.engine import GzipPipe, Plan, Relationship, _as_output

TEXT = models.TextField()

# The kind of SQL value an exported column holds; other field types use the Python path.
TEXT_FIELDS = (models.CharField, models.TextField)
# Text that never needs JSON escaping (hex digits, `-`, `:`, `.`, `T`, `Z`): quoted as it is,
# cheaper than `to_json`.
SAFE_TEXT_FIELDS = (models.UUIDField, models.DateTimeField)
# Whitespace outside JSON strings: PostgreSQL prints jsonb as `{"a": 1}`, orjson as `{"a":1}`.
JSON_SPACES = r'("(?:[^"\\]|\\.)*")|\s+'
# Options of the JSON COPY: CSV with a delimiter and quote that JSON text never holds raw
# (control characters are always escaped in JSON), so each row is its JSON text and `\n`,
# with no escaping at all (the text format would double every backslash).
JSON_COPY_OPTIONS = "FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02', NULL E'\\x03'"
# CSV: cells are never NULL (coalesced to ''); with a NULL marker no value equals, empty
# strings are written unquoted, as Python's csv module writes them.
CSV_COPY_OPTIONS = "FORMAT csv, NULL E'\\x01'"
# One column: Python's csv module writes an empty cell as `""` (a blank line would be no row),
# and so does COPY with the default NULL '' for a non-NULL empty string.
CSV_ONE_COLUMN_OPTIONS = "FORMAT csv"
# json_build_object-free records are `||` chains, but keep plans of sane width.
MAX_COLUMNS = 200


def _kind(model, path: str) -> str | None:
    model_field = registry._model_field(model, path)
    if model_field.is_relation:  # a key: the related primary key
        model_field = model_field.related_model._meta.pk
    if isinstance(model_field, SAFE_TEXT_FIELDS):
        return "safe"
    if isinstance(model_field, models.JSONField):
        return "json"
    if isinstance(model_field, models.BooleanField):
        return "bool"
    if isinstance(model_field, models.IntegerField):
        return "int"
    if isinstance(model_field, TEXT_FIELDS):
        return "text"
    return None


def can_encode(plan: Plan) -> bool:
    """True on PostgreSQL when every column of every level has a known SQL rendering."""
    if connection.vendor != "postgresql":
        return False
    return _known(plan) and len(plan.flat_columns()) <= MAX_COLUMNS


def _known(plan: Plan) -> bool:
    model = plan.exportable.model
    if any(_kind(model, path) is None for path in plan.paths):
        return False
    return all(_known(child) for _, child in plan.children)


# -- SQL building blocks -------------------------------------------------------------------------


class Sql(Func):
    """SQL text with `{0}`, `{1}`, ... standing for the compiled expressions (repeatable)."""

    output_field = TEXT

    def __init__(self, template: str, *expressions):
        super().__init__(*expressions)
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        params: list = []

        def place(match: re.Match) -> str:
            sql, part_params = compiled[int(match.group(1))]
            params.extend(part_params)
            return sql

        # `%` stays as Django wrote it: the compiled parts escape their own.
        return PLACEHOLDER.sub(place, self.sql_template), params


PLACEHOLDER = re.compile(r"\{(\d+)\}")


def _literal(text: str) -> Cast:
    return Cast(Value(text), TEXT)


def _chain(parts: list) -> Sql:
    """`a || b || ...` (NULL if any part is NULL: every part here is coalesced)."""
    return Sql("(" + " || ".join(f"{{{index}}}" for index in range(len(parts))) + ")", *parts)


class JsonArray(Func):
    """`[a,b,...]` of the rows' JSON texts in `ordering` (`[]` without rows)."""

    output_field = TEXT

    def __init__(self, value, ordering: tuple[str, ...]):
        orders = [
            OrderBy(F(name[1:]), descending=True) if name.startswith("-") else OrderBy(F(name))
            for name in ordering
        ]
        super().__init__(value, *orders)

    def as_sql(self, compiler, connection, **extra_context):
        value, *orders = self.get_source_expressions()
        sql, params = compiler.compile(value)
        params = list(params)
        order_sql = []
        for order in orders:
            part, part_params = compiler.compile(order)
            order_sql.append(part)
            params += list(part_params)
        return (
            f"coalesce('[' || string_agg({sql}, ',' ORDER BY {', '.join(order_sql)}) || ']', '[]')",
            params,
        )


def _compact_json(expression) -> Sql:
    return Sql(
        "regexp_replace(({0})::text, {1}, {2}, 'g')", expression, Value(JSON_SPACES), Value("\\1")
    )


def _json_value(model, path: str) -> Sql:
    """The column as JSON text, as orjson writes the Python value ('null' for NULL)."""
    expression, kind = _as_output(model, path), _kind(model, path)
    if kind == "text":
        text = Sql("to_json({0})::text", expression)
    elif kind == "safe":
        text = Sql("('\"' || {0} || '\"')", expression)
    elif kind == "json":
        text = _compact_json(expression)
    else:  # int, bool: `42`, `true`
        text = Sql("({0})::text", expression)
    return Sql("coalesce({0}, 'null')", text)


def _csv_value(model, path: str):
    """The column as a CSV cell, as `engine._cell` writes the Python value (NULL for None)."""
    expression, kind = _as_output(model, path), _kind(model, path)
    if kind in ("text", "safe"):
        return expression
    if kind == "json":
        # a JSON string is written bare, a JSON null as an empty cell, the rest compact
        return Sql(
            "CASE jsonb_typeof({0}) WHEN 'string' THEN {0} #>> '{}' WHEN 'null' THEN NULL "
            "ELSE {1} END",
            expression,
            _compact_json(expression),
        )
    return Sql("({0})::text", expression)


# -- included relationships ----------------------------------------------------------------------


def _related(relationship: Relationship, child: Plan, tenant, value) -> Subquery | Func:
    """`value` (an expression over the related rows) as a correlated subquery: the one related
    row's for a to-one, a JSON array in the related type's ordering for a to-many."""
    related = child.exportable.queryset(tenant)
    ordering = child.exportable.ordering
    if relationship.parent_key:  # the parent holds the key, as the Python path looks it up
        related = related.filter(pk=OuterRef(relationship.parent_key)).order_by()
        return Subquery(related.annotate(_value=value).values("_value")[:1], output_field=TEXT)
    related = related.filter(**{relationship.child_lookup: OuterRef("pk")})
    if not relationship.many:  # the first of the related rows
        related = related.order_by(*ordering).annotate(_value=value).values("_value")[:1]
        return Subquery(related, output_field=TEXT)
    array = related.order_by().annotate(_value=JsonArray(value, ordering)).values("_value")
    return Sql("coalesce({0}, '[]')", Subquery(array, output_field=TEXT))


def _child(plan: Plan, name: str) -> tuple[Relationship, Plan]:
    return next((rel, child) for rel, child in plan.children if rel.name == name)


def _json_path(plan: Plan, parts: list[str], tenant) -> Sql:
    """The JSON text of `engine._pluck(record, parts)`."""
    model = plan.exportable.model
    if len(parts) == 1:
        return _json_value(model, plan.exportable.attributes[parts[0]])
    relationship, child = _child(plan, parts[0])
    value = _related(relationship, child, tenant, _json_path(child, parts[1:], tenant))
    return value if relationship.many else Sql("coalesce({0}, 'null')", value)


def _csv_path(plan: Plan, parts: list[str], tenant):
    """The cell `engine._cell(engine._pluck(record, parts))` (NULL for an empty cell)."""
    if len(parts) == 1:
        return _csv_value(plan.exportable.model, plan.exportable.attributes[parts[0]])
    relationship, child = _child(plan, parts[0])
    if relationship.many:  # a JSON array of the values
        return _json_path(plan, parts, tenant)
    return _related(relationship, child, tenant, _csv_path(child, parts[1:], tenant))


def _json_record(plan: Plan, tenant, joins: list | None = None) -> Sql:
    """The record as orjson writes it: compact, keys in the plan's order, includes nested.

    With `joins` (the export's own level), to-one includes become LEFT JOINs on the related
    key, appended there as (alias, key column, queryset of `_id` and `_value`)."""
    parts: list = []
    keys = [orjson.dumps(name).decode() for name in plan.columns]
    keys += [orjson.dumps(relationship.name).decode() for relationship, _ in plan.children]
    values = [_json_value(plan.exportable.model, path) for path in plan.paths]
    table = plan.exportable.model._meta.db_table
    for relationship, child in plan.children:
        record = _json_record(child, tenant)
        if (
            joins is not None
            and relationship.parent_key
            and child.exportable.model._meta.db_table != table
        ):
            alias = f"_include_{len(joins)}"
            column = plan.exportable.model._meta.get_field(relationship.parent_key).column
            related = child.exportable.queryset(tenant).order_by()
            joined = related.annotate(_id=F("pk"), _value=record).values("_id", "_value")
            joins.append((alias, column, joined))
            value = RawSQL(f'{_quote(alias)}."_value"', [], output_field=TEXT)
        else:
            value = _related(relationship, child, tenant, record)
        values.append(value if relationship.many else Sql("coalesce({0}, 'null')", value))
    if not keys:
        return _literal("{}")
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        parts += [_literal(("{" if index == 0 else ",") + key + ":"), value]
    parts.append(_literal("}"))
    return _chain(parts)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _ordered_once(queryset: models.QuerySet) -> models.QuerySet:
    if queryset.query.distinct:  # keep SELECT DISTINCT away from the computed columns
        inner = queryset.order_by().values("pk")
        queryset = queryset.model._default_manager.filter(pk__in=inner).order_by(
            *queryset.query.order_by
        )
    return queryset


def select(plan: Plan, queryset: models.QuerySet, file_format: str, tenant):
    """The export's queryset selecting its CSV cells or its one JSON text per record."""
    queryset = _ordered_once(queryset)
    if file_format == "json":
        return queryset.values_list(_json_record(plan, tenant))
    cells = [
        Sql("coalesce({0}, '')", _csv_path(plan, name.split("."), tenant))
        for name in plan.flat_columns()
    ]
    return queryset.values_list(*cells)


def _sql_text(cursor, queryset: models.QuerySet) -> str:
    """The queryset's SELECT with its parameters inlined by psycopg (client-side binding)."""
    sql, params = queryset.query.sql_with_params()
    return cursor.mogrify(sql, params)


def _json_select_with_joins(cursor, plan: Plan, queryset, tenant) -> str | None:
    """The JSON SELECT with to-one includes joined after the export's table; None
    when there are none or the table's FROM cannot be told apart."""
    included: list = []
    base = _ordered_once(queryset)
    sql = _sql_text(cursor, base.values_list(_json_record(plan, tenant, included)))
    if not included:
        return None
    table = _quote(plan.exportable.model._meta.db_table)
    found = list(re.finditer(rf"FROM {re.escape(table)}(?= WHERE| INNER| LEFT| ORDER|$)", sql))
    if len(found) != 1:
        return None
    # A plain join on the related key, not LATERAL ... LIMIT 1: PostgreSQL flattens the
    # subquery into the join (a hash join over a few members, an index lookup for a filtered
    # export), where a memoized lateral subquery cost about 40% more per record. The key is the
    # related primary key, so each record joins at most one row.
    joins = "".join(
        f" LEFT JOIN ({_sql_text(cursor, related)}) AS {_quote(alias)}"
        f' ON {_quote(alias)}."_id" = {table}.{_quote(column)}'
        for alias, column, related in included
    )
    return sql[: found[0].end()] + joins + sql[found[0].end() :]


def copy_statement(cursor, plan: Plan, queryset, file_format: str, tenant) -> str:
    """`COPY (<compiled SELECT>) TO STDOUT WITH (...)`, parameters inlined."""
    sql = None
    if file_format == "json":
        sql = _json_select_with_joins(cursor, plan, queryset, tenant)
    if sql is None:
        sql = _sql_text(cursor, select(plan, queryset, file_format, tenant))
    if file_format == "json":
        options = JSON_COPY_OPTIONS
    elif len(plan.flat_columns()) == 1:
        options = CSV_ONE_COLUMN_OPTIONS
    else:
        options = CSV_COPY_OPTIONS
    return f"COPY ({sql}) TO STDOUT WITH ({options})"


# The export's transaction plans its one statement with these (SET LOCAL), measured on
# 1,000,000 records (README "Benchmarks"):
PLANNER_SETTINGS = (
    # JIT-compiling the wide record expressions costs more than it saves.
    ("jit", "off"),
    # The export's order is the tenant's list index read backwards. When one tenant holds most
    # of a table, the planner's estimates favour `created_at`'s own index and a sort on the
    # tie-breaking id (a quarter of the export's time), or a sort after a hash join; with sorts
    # off it reads the list index. A sort no index can spare still runs. The price: a filter
    # another index would serve (a unique name) reads the tenant's rows in index order, at
    # most what an unfiltered export reads.
    ("enable_sort", "off"),
    ("enable_incremental_sort", "off"),
    # Building each record's text (`to_char`, the JSON chain) costs far more than the planner
    # counts, so it keeps the plan on one backend; priced this way, parallel workers build the
    # records and Gather Merge keeps the index's order (about 1.3x a CSV COPY's throughput).
    ("parallel_setup_cost", "100"),
    ("parallel_tuple_cost", "0.001"),
)


def tune_planner(cursor, parallel_workers: int | None) -> None:
    """Set `PLANNER_SETTINGS` and the parallel worker cap (None: the server's) for the rest of
    the transaction."""
    settings = PLANNER_SETTINGS
    if parallel_workers is not None:
        settings += (("max_parallel_workers_per_gather", str(parallel_workers)),)
    calls = ", ".join(["set_config(%s, %s, true)"] * len(settings))
    cursor.execute(f"SELECT {calls}", [part for setting in settings for part in setting])


def _csv_header(plan: Plan) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(plan.flat_columns())
    return buffer.getvalue().encode()


def _csv_block(block: Block) -> bytes | bytearray:
    """COPY ends rows with `\n`, Python's csv module with `\r\n` (inside quoted cells both
    keep their newlines as they are)."""
    if block.data.count(b"\n") == len(block):  # no newline inside a cell
        return block.data.replace(b"\n", b"\r\n")
    return b"".join(row[:-1] + b"\r\n" for row in block.rows())


def write_export(
    plan: Plan,
    queryset: models.QuerySet,
    file_format: str,
    tenant,
    target: BinaryIO,
    *,
    compresslevel: int,
    chunk_size: int,
    progress: Callable[[int], None] | None = None,
    pause: float = 0,
    parallel_workers: int | None = None,
) -> int:
    """Stream the export through COPY into gzipped `target`; returns the number of records.

    `progress(records so far)` runs after every block of `chunk_size` records (then `pause`).
    Runs in the caller's transaction (the export's snapshot), whose planner settings it tunes
    (`tune_planner`)."""
    pipe = GzipPipe(target, compresslevel)
    try:
        if file_format == "json":
            pipe.write(b"[")
        else:
            pipe.write(_csv_header(plan))
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            if connection.in_atomic_block:  # the export's snapshot transaction
                tune_planner(cursor, parallel_workers)
            statement = copy_statement(cursor, plan, queryset, file_format, tenant)
            blocks = _copy_blocks(cursor, statement, chunk_size)
            try:
                count = _stream(blocks, file_format, pipe, chunk_size, progress, pause)
            finally:
                blocks.close()  # ends the COPY now when the export stops early
        if file_format == "json":
            pipe.write(b"]")
    except BaseException:
        pipe.abort()
        raise
    pipe.close()
    return count


class Block:
    """Rows of COPY output joined as they arrive, and where each row ends."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends: list[int] = []

    def __len__(self) -> int:
        return len(self.ends)

    def rows(self) -> Iterator[bytes]:
        start = 0
        for end in self.ends:
            yield bytes(self.data[start:end])
            start = end


def _copy_blocks(cursor, statement: str, rows_per_block: int) -> Iterator[Block]:
    """The rows of `COPY ... TO STDOUT` (one CopyData message each) in blocks of
    `rows_per_block`.

    psycopg's `copy.read()` drives a generator through its wait loop for every row, which costs
    more CPU than PostgreSQL spends encoding the row; this loop asks libpq for every message
    already received (`PQgetCopyData`, non-blocking) and waits on the socket only when there
    is none. Each message is copied into the block's bytearray at once: keeping thousands of
    the memoryviews libpq hands out alive costs more than the copy (they are tracked by the
    garbage collector). psycopg's `cursor.copy()` still starts the COPY, holds the connection,
    and cancels and drains it when the reader stops early."""
    with cursor.copy(statement) as copy:
        pgconn = copy.connection.pgconn
        get_copy_data = pgconn.get_copy_data
        readable = poll()
        readable.register(pgconn.socket, POLLIN)
        block = Block()
        data, ends = block.data, block.ends
        while True:
            size, message = get_copy_data(1)
            if size > 0:
                data += message
                ends.append(len(data))
                if len(ends) >= rows_per_block:
                    yield block
                    block = Block()
                    data, ends = block.data, block.ends
            elif size == 0:  # nothing received yet
                readable.poll()
                pgconn.consume_input()
            else:  # -1: the COPY is complete
                break
        if ends:
            yield block
        _finish_copy(copy, pgconn, readable)


def _finish_copy(copy, pgconn, readable) -> None:
    """Read the COPY's closing result (what psycopg does after the last row), raising the
    server's error if the statement failed after sending rows."""
    while pgconn.is_busy():
        readable.poll()
        pgconn.consume_input()
    results = []
    while (result := pgconn.get_result()) is not None:  # up to the end: the connection is free
        results.append(result)
    for result in results:
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(result, encoding=copy.connection.info.encoding)


def _stream(blocks: Iterator, file_format: str, pipe: GzipPipe, chunk_size, progress, pause):
    """Hand the blocks to the compression thread; the record count."""
    count = 0
    for block in blocks:
        pipe.write(_block(block, file_format, count))
        count += len(block)
        if len(block) == chunk_size:  # not the last, partial one
            if progress is not None:
                progress(count)
            if pause:
                time.sleep(pause)
    return count


def _block(block: Block, file_format: str, written: int) -> bytes | bytearray:
    if file_format != "json":
        return _csv_block(block)
    # each row is one JSON text and `\n` (JSON text holds no raw newline): `,` between records
    data = block.data.replace(b"\n", b",")[:-1]
    return b"," + data if written else data
