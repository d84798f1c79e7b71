"""Per-tenant row counts kept by the database, so a list's `meta.record_count` costs the same
at any table size.

A model opts in with `list_count = ListCount(...)` (core/models.py). A migration installs, for
each such table, triggers that add every write statement's difference to `TenantRowCount`:
inserts, deletes (cascades and raw SQL included), updates that move a row in or out of the
live set (a soft delete, `QuerySet.update(is_deleted=...)`) or to another tenant, and
TRUNCATE. Deleting an organization deletes its counters. On PostgreSQL the triggers are
statement-level over transition tables, so a bulk statement costs one counter write per
tenant, not one per row; SQLite has only row-level triggers.

Pagination reads the counter only for the tenant's whole live set: a queryset whose WHERE
clause is exactly the tenancy gate and the model's `live` narrowing (`record_count`). Any
filter changes that clause, and those lists keep counting with `count()`.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Q, Sum
from django.db.models.sql.where import AND

from core.models import ListCount, Tenant, TenantModel, TenantRowCount

COUNTS = TenantRowCount._meta.db_table
ORGANIZATIONS = "organizations_organization"
# Counter rows per tenant and table on PostgreSQL (see TenantRowCount); SQLite writes serially.
SLOTS = 8
UPSERT_KEY = "(table_name, organization_id, mode, slot)"


@dataclass(frozen=True)
class CountedTable:
    """What a migration installs triggers for (frozen there, like every migration state)."""

    db_table: str
    has_mode: bool
    live: tuple[tuple[str, bool], ...] = ()  # (column, value) pairs of a listed row


def counted_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if getattr(model, "list_count", None)]


def counted_table(model: type[models.Model]) -> CountedTable:
    live = tuple(
        (model._meta.get_field(name).column, value) for name, value in model.list_count.live.items()
    )
    return CountedTable(model._meta.db_table, issubclass(model, TenantModel), live)


# -- SQL -------------------------------------------------------------------------------------


def _live(table: CountedTable, row: str) -> str:
    terms = [f'{row}."{column}" = {"true" if value else "false"}' for column, value in table.live]
    return " AND ".join(terms) or "true"


def _mode(table: CountedTable, row: str) -> str:
    return f"{row}.mode" if table.has_mode else "''"


def _postgresql_install(table: CountedTable) -> list[str]:
    name = table.db_table
    function = f"{name}_count_rows"

    def changes(rows: str, delta: int) -> str:
        return (
            f"SELECT r.organization_id, {_mode(table, 'r')} AS mode, {delta} AS delta "
            f"FROM {rows} AS r WHERE {_live(table, 'r')}"
        )

    def add(*parts: str) -> str:
        return f"""
        INSERT INTO {COUNTS} (table_name, organization_id, mode, slot, count)
        SELECT '{name}', organization_id, mode, floor(random() * {SLOTS})::int, total FROM (
            SELECT organization_id, mode, sum(delta) AS total
            FROM ({" UNION ALL ".join(parts)}) AS changes GROUP BY organization_id, mode
        ) AS totals WHERE total <> 0
        ON CONFLICT {UPSERT_KEY} DO UPDATE SET count = {COUNTS}.count + EXCLUDED.count;"""

    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN {add(changes("new_rows", 1))}
            ELSIF TG_OP = 'DELETE' THEN {add(changes("old_rows", -1))}
            ELSE {add(changes("new_rows", 1), changes("old_rows", -1))}
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER {name}_count_insert AFTER INSERT ON {name}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {name}_count_update AFTER UPDATE ON {name}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {name}_count_delete AFTER DELETE ON {name}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {name}_count_truncate AFTER TRUNCATE ON {name}
        FOR EACH STATEMENT EXECUTE FUNCTION api_count_truncate()""",
    ]


def _postgresql_uninstall(table: CountedTable) -> list[str]:
    return [f"DROP FUNCTION IF EXISTS {table.db_table}_count_rows() CASCADE"]


POSTGRESQL_SHARED = [
    f"""
    CREATE OR REPLACE FUNCTION api_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN DELETE FROM {COUNTS} WHERE table_name = TG_TABLE_NAME; RETURN NULL; END $$""",
    f"""
    CREATE OR REPLACE FUNCTION api_count_forget_organizations() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {COUNTS} WHERE organization_id IN (SELECT id FROM old_rows);
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER {ORGANIZATIONS}_count_forget AFTER DELETE ON {ORGANIZATIONS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION api_count_forget_organizations()""",
]
POSTGRESQL_SHARED_UNINSTALL = [
    "DROP FUNCTION IF EXISTS api_count_forget_organizations() CASCADE",
    "DROP FUNCTION IF EXISTS api_count_truncate() CASCADE",
]


def _sqlite_install(table: CountedTable) -> list[str]:
    name = table.db_table

    def add(row: str, delta: int) -> str:
        return (
            f"INSERT INTO {COUNTS} (table_name, organization_id, mode, slot, count) "
            f"SELECT '{name}', {row}.organization_id, {_mode(table, row)}, 0, {delta} "
            f"WHERE {_live(table, row)} "
            f"ON CONFLICT {UPSERT_KEY} DO UPDATE SET count = count + excluded.count;"
        )

    moved = [
        "OLD.organization_id IS NOT NEW.organization_id",
        f"({_live(table, 'OLD')}) IS NOT ({_live(table, 'NEW')})",
    ]
    if table.has_mode:
        moved.append("OLD.mode IS NOT NEW.mode")
    return [
        f"CREATE TRIGGER {name}_count_insert AFTER INSERT ON {name} BEGIN {add('NEW', 1)} END",
        f"CREATE TRIGGER {name}_count_delete AFTER DELETE ON {name} BEGIN {add('OLD', -1)} END",
        f"CREATE TRIGGER {name}_count_update AFTER UPDATE ON {name} WHEN {' OR '.join(moved)} "
        f"BEGIN {add('OLD', -1)} {add('NEW', 1)} END",
    ]


EVENTS = ("insert", "delete", "update")


def _sqlite_uninstall(table: CountedTable) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table.db_table}_count_{event}" for event in EVENTS]


SQLITE_SHARED = [
    f"""CREATE TRIGGER {ORGANIZATIONS}_count_forget AFTER DELETE ON {ORGANIZATIONS}
    BEGIN DELETE FROM {COUNTS} WHERE organization_id = OLD.id; END"""
]
SQLITE_SHARED_UNINSTALL = [f"DROP TRIGGER IF EXISTS {ORGANIZATIONS}_count_forget"]


def _backfill(table: CountedTable) -> list[str]:
    mode = "mode" if table.has_mode else "''"
    group = "organization_id, mode" if table.has_mode else "organization_id"
    return [
        f"DELETE FROM {COUNTS} WHERE table_name = '{table.db_table}'",
        f"""INSERT INTO {COUNTS} (table_name, organization_id, mode, slot, count)
        SELECT '{table.db_table}', organization_id, {mode}, 0, count(*) FROM {table.db_table} AS r
        WHERE {_live(table, "r")} GROUP BY {group}""",
    ]


def install(schema_editor, tables: list[CountedTable], *, shared: bool = False) -> None:
    """Create the counting triggers of `tables` (and the shared ones) and count their rows."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    statements = list((POSTGRESQL_SHARED if postgresql else SQLITE_SHARED) if shared else [])
    for table in tables:
        statements += (_postgresql_install if postgresql else _sqlite_install)(table)
        # After the triggers: the migration's transaction holds the table's lock from there.
        statements += _backfill(table)
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(schema_editor, tables: list[CountedTable], *, shared: bool = False) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    statements = []
    for table in tables:
        statements += (_postgresql_uninstall if postgresql else _sqlite_uninstall)(table)
        statements.append(f"DELETE FROM {COUNTS} WHERE table_name = '{table.db_table}'")
    if shared:
        statements += POSTGRESQL_SHARED_UNINSTALL if postgresql else SQLITE_SHARED_UNINSTALL
    for statement in statements:
        schema_editor.execute(statement)


def _sqlite_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def reinstall_lost_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs) -> list[str]:
    """Put back the counting triggers a migration dropped, and count those tables again.

    SQLite alters most columns by rebuilding the table (a copy, then a rename), and a rebuilt
    table has lost its triggers, so a later migration of a counted table would silently stop
    its counts. Run after every `migrate` (post_migrate); PostgreSQL keeps triggers across
    ALTER TABLE and needs none of this. Returns the tables repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    existing = set(connection.introspection.table_names())
    if COUNTS not in existing:
        return []  # the counters' own migration has not run (or was reversed)
    installed = _sqlite_triggers(connection)
    lost = [
        table
        for table in map(counted_table, counted_models())
        if table.db_table in existing
        and any(f"{table.db_table}_count_{event}" not in installed for event in EVENTS)
    ]
    shared = f"{ORGANIZATIONS}_count_forget" not in installed
    if lost or shared:
        with connection.schema_editor() as editor:
            for table in lost:
                for statement in _sqlite_uninstall(table):
                    editor.execute(statement)
            if shared:
                for statement in SQLITE_SHARED_UNINSTALL:
                    editor.execute(statement)
            install(editor, lost, shared=shared)
    return [table.db_table for table in lost]


# -- reading ---------------------------------------------------------------------------------


def _conditions(queryset: models.QuerySet) -> list | None:
    query = queryset.query
    # What changes the rows besides WHERE: DISTINCT, a UNION, a slice, `extra(tables=...)`.
    if query.distinct or query.combinator or query.is_sliced or query.extra_tables:
        return None
    if query.where.negated:
        return None
    if query.where.connector != AND:
        return None
    return list(query.where.children)


def is_whole_list(queryset: models.QuerySet, tenant: Tenant) -> bool:
    """Whether `queryset` selects exactly the tenant's listed rows: the gate and the model's
    `live` narrowing, nothing else (compared clause by clause, in any order)."""
    list_count: ListCount | None = getattr(queryset.model, "list_count", None)
    if list_count is None:
        return False
    whole = queryset.model._default_manager.for_tenant(tenant).filter(Q(**list_count.live))
    given, expected = _conditions(queryset), _conditions(whole)
    return (
        given is not None
        and expected is not None
        and len(given) == len(expected)
        and all(condition in expected for condition in given)
    )


def record_count(queryset: models.QuerySet, tenant: Tenant | None) -> int:
    """The number of rows of `queryset`: from the counters when it is the tenant's whole list."""
    if tenant is None or not is_whole_list(queryset, tenant):
        return queryset.count()
    table = counted_table(queryset.model)
    counters = TenantRowCount.objects.filter(
        table_name=table.db_table,
        organization_id=tenant.organization_id,
        mode=tenant.mode if table.has_mode else "",
    )
    return counters.aggregate(total=Sum("count"))["total"] or 0


# -- checking --------------------------------------------------------------------------------


def counted_rows(model: type[models.Model]) -> dict[tuple[str, str], int]:
    """(organization id, mode) -> the rows the counters should add up to, counted now."""
    table = counted_table(model)
    rows = model._base_manager.filter(**model.list_count.live)
    group = ("organization_id", "mode") if table.has_mode else ("organization_id",)
    counts = {}
    for row in rows.order_by().values(*group).annotate(n=models.Count("pk")).iterator():
        counts[(str(row["organization_id"]), row.get("mode", ""))] = row["n"]
    return counts


def counter_totals(model: type[models.Model]) -> dict[tuple[str, str], int]:
    """(organization id, mode) -> what the counters of `model`'s table add up to."""
    totals = (
        TenantRowCount.objects.filter(table_name=model._meta.db_table)
        .order_by()
        .values("organization_id", "mode")
        .annotate(total=Sum("count"))
    )
    return {
        (str(row["organization_id"]), row["mode"]): row["total"]
        for row in totals.iterator()
        if row["total"]
    }


def recount(model: type[models.Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Count `model`'s rows again into its counters (writers of the table wait meanwhile)."""
    table = counted_table(model)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Blocks the table's writers (whose triggers would add to counters being rebuilt),
            # not its readers.
            cursor.execute(f"LOCK TABLE {table.db_table} IN SHARE ROW EXCLUSIVE MODE")
        for statement in _backfill(table):
            cursor.execute(statement)
