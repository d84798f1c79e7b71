"""On PostgreSQL, COPY encodes exports; the per-row Python path (SQLite's) writes the same file.

Each identity test runs both paths on the same plan and queryset, decompresses both outputs and
compares them value by value (parsed JSON / CSV cells), then byte by byte.
"""

import csv
import gzip
import io
from datetime import UTC, datetime

import orjson
import pytest
from django.conf import settings as django_settings
from django.db import connection

from exports.bulk import engine, pgcopy, registry, services
from exports.models import Export
from organizations.models import Member
from tests.exports.conftest import read_export_file
from tests.exports.factories import ExportFactory
from tests.factories import MemberFactory, OrganizationFactory, TeamFactory
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillPluginFactory,
    create_version,
    skill_files,
)

pytestmark = [
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="COPY is PostgreSQL's; on SQLite every export takes the Python path",
    ),
    pytest.mark.django_db,
]

NASTY = [
    'back\\slash \\n \\\\ "quoted", comma',
    "new\nline and\r\nCRLF and lone\rCR",
    "tab\there\x01\x1f control",
    "unicode é ü 漢字 🚀 \u2028",
    "",
    "   spaces   ",
    "\\.",
    "%s %(name)s 100%",
]


def run_both(organization, file_format, resource_type, **spec) -> tuple[bytes, bytes]:
    """The decompressed files of the Python path and of the COPY path, for the same export."""
    export = Export(
        organization=organization,
        mode="test",
        resource_type=resource_type,
        format=file_format,
        includes=spec.get("includes", []),
        fields=spec.get("fields", []),
        dry_data=spec.get("dry_data", False),
        filters=spec.get("filters", {}),
    )
    plan = engine.build_plan(resource_type, export.includes, export.fields, export.dry_data)
    assert pgcopy.can_encode(plan)
    python_file, copy_file = io.BytesIO(), io.BytesIO()
    writer = engine.WRITERS[file_format](python_file, plan, export.tenant, compresslevel=1)
    for rows in engine.stream_rows(plan, services.export_queryset(export), 3):
        writer.write(rows)
    writer.close()
    count = pgcopy.write_export(
        plan,
        services.export_queryset(export),
        file_format,
        export.tenant,
        copy_file,
        compresslevel=1,
        chunk_size=3,
    )
    python_bytes = gzip.decompress(python_file.getvalue())
    copy_bytes = gzip.decompress(copy_file.getvalue())
    assert count == services.export_queryset(export).count()
    return python_bytes, copy_bytes


def assert_same(file_format: str, python_bytes: bytes, copy_bytes: bytes, exact=True) -> list:
    if file_format == "json":
        python_records, copy_records = orjson.loads(python_bytes), orjson.loads(copy_bytes)
    else:
        python_records = list(csv.reader(io.StringIO(python_bytes.decode(), newline="")))
        copy_records = list(csv.reader(io.StringIO(copy_bytes.decode(), newline="")))
    assert len(copy_records) == len(python_records)
    for python_record, copy_record in zip(python_records, copy_records, strict=True):
        assert copy_record == python_record
    if exact:
        assert copy_bytes == python_bytes
    return python_records


@pytest.fixture
def organization():
    return OrganizationFactory(name='Org "one", \\ é')


@pytest.fixture
def members(organization):
    teams = [
        TeamFactory(organization=organization, name=name, slug=f"team-{index}")
        for index, name in enumerate(NASTY[:4])
    ]
    created = []
    for index, name in enumerate(NASTY * 2):
        member = MemberFactory(
            organization=organization,
            name=name,
            image_url="" if index % 2 else "https://example.com/a b.png",
            member_type="service" if index % 3 == 0 else "user",
        )
        member.teams.set(teams[: index % 5])
        created.append(member)
    other = OrganizationFactory()
    # timestamps without a fraction are written without one, by both paths
    Member.objects.filter(pk=created[0].pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
    )
    foreign = MemberFactory(organization=other, name="elsewhere")
    foreign.teams.set([TeamFactory(organization=other)])
    return created


@pytest.fixture
def plugins(organization):
    member = MemberFactory(organization=organization, name="Plugin author ✓")
    collection = SkillCollectionFactory(organization=organization, created_by=member)
    create_version(collection, skill_files("pdf-tools", "csv-tools"))
    skills = list(collection.skills.all())
    values = [
        ({"name": 'Ann "A" \\ é', "nested": {"z": [1, 2.5, None, True]}, "a": ""}, ["x", "y\n"]),
        ({}, []),
        ({"email": "b@example.com"}, ["only"]),
    ]
    created = []
    for index, (author, keywords) in enumerate(values):
        plugin = SkillPluginFactory(
            organization=organization,
            author=author,
            keywords=keywords,
            description=NASTY[index],
            created_by=member if index != 1 else None,
        )
        plugin.skills.set(skills[: index + 1])
        created.append(plugin)
    return created


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_plain_columns_text_quoting_unicode_nulls(organization, members, file_format):
    python_bytes, copy_bytes = run_both(organization, file_format, "members")
    records = assert_same(file_format, python_bytes, copy_bytes)
    assert len(records) == len(members) + (1 if file_format == "csv" else 0)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_includes_to_one_and_to_many_nested(organization, members, file_format):
    python_bytes, copy_bytes = run_both(
        organization, file_format, "members", includes=["organization", "teams", "teams.members"]
    )
    records = assert_same(file_format, python_bytes, copy_bytes)
    if file_format == "json":
        with_teams = [record for record in records if record["teams"]]
        assert with_teams and all(team["members"] for team in with_teams[0]["teams"])
        assert all(record["organization"]["name"] == organization.name for record in records)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_json_columns_booleans_integers_and_null_to_one(organization, plugins, file_format):
    python_bytes, copy_bytes = run_both(
        organization, file_format, "skill_plugins", includes=["skills", "created_by"]
    )
    records = assert_same(file_format, python_bytes, copy_bytes)
    if file_format == "json":
        assert [record["author"] for record in records] == [plugin.author for plugin in plugins]
        assert sum(record["created_by"] is None for record in records) == 1


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_exports_resource_with_json_booleans_and_integers(organization, members, file_format):
    ExportFactory(
        organization=organization,
        created_by=members[0],
        metadata={"note": NASTY[0], "n": 3, "ok": False, "list": ["a", {"b": None}]},
        filters={"name_cont": "a"},
        errors_log={"Boom": NASTY[1]},
        records_count=12,
        dry_data=True,
    )
    ExportFactory(organization=organization, created_by=members[1], metadata={"x": "only"})
    python_bytes, copy_bytes = run_both(organization, file_format, "exports")
    assert_same(file_format, python_bytes, copy_bytes)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_dry_data_fields_wildcards_and_filters(organization, members, plugins, file_format):
    cases = [
        ("members", {"dry_data": True, "includes": ["teams"]}),
        (
            "members",
            {
                "fields": ["na*", "teams.slug", "organization.*"],
                "includes": ["teams", "organization"],
            },
        ),
        ("members", {"filters": {"name_cont": "%s", "member_type_in": "user,service"}}),
        ("members", {"filters": {"name_cont": "\\"}}),
        (
            "skill_plugins",
            {"fields": ["author", "keywords", "skills.name"], "includes": ["skills"]},
        ),
        ("members", {"filters": {"name_eq": "nobody"}}),
    ]
    for resource_type, spec in cases:
        python_bytes, copy_bytes = run_both(organization, file_format, resource_type, **spec)
        assert_same(file_format, python_bytes, copy_bytes)


def test_one_column_csv_keeps_empty_cells(organization, members):
    python_bytes, copy_bytes = run_both(
        organization, "csv", "members", fields=["name"], dry_data=True
    )
    # the same values; COPY also quotes a lone `\.` (its end-of-data marker), Python does not
    assert_same("csv", python_bytes, copy_bytes, exact=False)
    assert python_bytes.replace(b"\r\n\\.\r\n", b'\r\n"\\."\r\n') == copy_bytes
    assert copy_bytes.count(b'\r\n""\r\n') == 2  # the empty names are rows, not blank lines


def test_other_organizations_rows_never_appear(organization, members):
    python_bytes, copy_bytes = run_both(
        organization, "json", "members", includes=["teams", "teams.members"]
    )
    assert_same("json", python_bytes, copy_bytes)
    assert b"elsewhere" not in copy_bytes


def test_progress_counts_each_block_of_records(organization, members):
    export = Export(organization=organization, mode="test", resource_type="members", format="csv")
    plan = engine.build_plan("members", [], [], False)
    seen = []
    count = pgcopy.write_export(
        plan,
        services.export_queryset(export),
        "csv",
        export.tenant,
        io.BytesIO(),
        compresslevel=1,
        chunk_size=5,
        progress=seen.append,
    )
    total = len(members)
    assert count == total  # exact, although cells hold newlines
    assert seen == list(range(5, total + 1, 5))


def test_the_export_transaction_plans_with_the_exports_settings(organization, members):
    export = Export(organization=organization, mode="test", resource_type="members", format="csv")
    plan = engine.build_plan("members", [], [], False)
    queryset = services.export_queryset(export)
    pgcopy.write_export(
        plan, queryset, "csv", export.tenant, io.BytesIO(), compresslevel=1, chunk_size=5,
        parallel_workers=0,
    )  # fmt: skip
    with connection.cursor() as cursor:  # SET LOCAL: until the export's transaction ends
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
        assert cursor.fetchone()[0] == "0"
        for name, value in pgcopy.PLANNER_SETTINGS:
            cursor.execute("SELECT current_setting(%s)", [name])
            assert cursor.fetchone()[0] == value


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_worker_export_on_postgres_uses_copy(
    client, run_worker, file_format, settings, monkeypatch
):
    calls = []

    def write_export(*args, **kwargs):  # the real one, counted
        calls.append((kwargs["chunk_size"], kwargs["parallel_workers"]))
        return real_write_export(*args, **kwargs)

    real_write_export = pgcopy.write_export
    monkeypatch.setattr(pgcopy, "write_export", write_export)
    api_organization = client.api_key.organization
    MemberFactory.create_batch(25, organization=api_organization, name=NASTY[1])
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_CHUNK_SIZE": 10}
    settings.SKILLPORT["EXPORT_PARALLEL_WORKERS"] = 0
    response = client.post(
        "/api/exports",
        {
            "data": {
                "type": "exports",
                "attributes": {
                    "resource_type": "members",
                    "format": file_format,
                    "includes": ["organization"],
                },
            }
        },
    )
    assert response.status_code == 201
    run_worker()
    export = Export.objects.get(pk=response.json()["data"]["id"])
    assert export.status == Export.Status.COMPLETED, export.errors_log
    assert export.records_count == export.records_exported == 26
    rows = read_export_file(client, client.get(f"/api/exports/{export.pk}").json()["data"])
    assert sum(row["name"] == NASTY[1] for row in rows) == 25
    assert calls == [(10, 0)]


@pytest.mark.parametrize("file_format", ["json", "csv"])
@pytest.mark.parametrize("resource_type", registry.exportable_types())
def test_export_order_comes_from_an_index_without_a_sort(organization, resource_type, file_format):
    """Records leave in the export's order as the tenant's list index holds them (read
    backwards): no sort of the whole table before the first row (a quarter of a 1M-row CSV
    export's time went to an incremental sort on the tie-breaking id)."""
    export = Export(
        organization=organization, mode="test", resource_type=resource_type, format=file_format
    )
    plan = engine.build_plan(resource_type, [], [], False)
    assert not sorts(export_plan(export, plan, file_format))


def export_plan(export: Export, plan: engine.Plan, file_format: str, *, tuned=True) -> list[str]:
    """EXPLAIN of the export's SELECT, planned with the export's own settings."""
    with connection.cursor() as cursor:
        if tuned:
            pgcopy.tune_planner(cursor.connection.cursor(), parallel_workers=2)
        queryset = services.export_queryset(export)
        statement = pgcopy.copy_statement(
            cursor.connection.cursor(), plan, queryset, file_format, export.tenant
        )
        select = statement.removeprefix("COPY (").rsplit(") TO STDOUT", 1)[0]
        cursor.execute(f"EXPLAIN {select}")
        return [row[0] for row in cursor.fetchall()]


def sorts(lines: list[str]) -> list[str]:
    return [line for line in lines if "Sort" in line]


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_one_tenant_holding_most_of_a_table_still_reads_the_list_index(organization, file_format):
    """With most rows one tenant's, PostgreSQL's estimates prefer `created_at`'s own index and
    an incremental sort on the id (a quarter of a 1M-record CSV export), or a hash join and a
    sort for an include; the export's planner settings keep the list index and no sort."""
    member = MemberFactory(organization=organization)
    template = SkillCollectionFactory(organization=organization, created_by=member)
    copy_rows(template, 30_000)
    export = Export(
        organization=organization,
        mode="test",
        resource_type="skill_collections",
        format=file_format,
        includes=["created_by"] if file_format == "json" else [],  # as `make bench` exports
    )
    plan = engine.build_plan("skill_collections", export.includes, [], False)
    assert sorts(export_plan(export, plan, file_format, tuned=False))  # the trap
    lines = export_plan(export, plan, file_format)
    assert not sorts(lines), lines
    assert any("skill_collection_list" in line for line in lines), lines


def copy_rows(template, count: int) -> None:
    """`count` copies of a collection, inserted oldest first (as a table grows), analyzed."""
    table = template._meta.db_table
    columns = [field.column for field in template._meta.concrete_fields]
    overrides = {
        "id": "gen_random_uuid()",
        "created_at": "t.created_at - make_interval(secs => %s - i)",
        "name": "t.name || ' ' || i",
        "root_path": "t.root_path || '-' || i",
    }
    values = [overrides.get(column, f't."{column}"') for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, columns))}) "
            f"SELECT {', '.join(values)} FROM {table} t, generate_series(1, %s) AS i "
            "WHERE t.id = %s",
            [count, count, template.pk],
        )
        cursor.execute(f"ANALYZE {table}")
