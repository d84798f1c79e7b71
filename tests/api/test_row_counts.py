"""Per-tenant row counts kept by the database (core/row_counts.py) stay exact on every write
path, and an unfiltered list's `meta.record_count` reads them instead of counting rows."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from core.models import Mode, Tenant, TenantRowCount
from core.row_counts import counted_models, counted_table, is_whole_list, reinstall_lost_triggers
from organizations.models import Member
from skills import services
from skills.models import SkillCollection
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory, MemberFactory, tenant_of
from tests.skills.factories import SkillCollectionFactory, create_version

pytestmark = pytest.mark.django_db


def counter(model, tenant: Tenant) -> int:
    table = counted_table(model)
    rows = TenantRowCount.objects.filter(
        table_name=table.db_table,
        organization_id=tenant.organization_id,
        mode=tenant.mode if table.has_mode else "",
    )
    return rows.aggregate(total=Sum("count"))["total"] or 0


def live_collections(tenant: Tenant) -> int:
    return SkillCollection.objects.for_tenant(tenant).alive().count()


def record_count(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()["meta"]["record_count"]


@pytest.fixture
def tenant(organization) -> Tenant:
    return tenant_of(organization)


@pytest.fixture
def collections(organization):
    return SkillCollectionFactory.create_batch(5, organization=organization)


def test_every_counted_table_has_its_triggers():
    # A model given `list_count` without a migration installing its triggers would read 0s.
    tables = [counted_table(model).db_table for model in counted_models()]
    assert "skills_skillcollection" in tables
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        installed = {row[0] for row in cursor.fetchall()}
    for table in tables:
        for event in ("insert", "update", "delete"):
            assert f"{table}_count_{event}" in installed


def test_create_and_soft_delete_through_the_services(client, organization, tenant, api_key):
    collection = services.create_collection(
        tenant=tenant, actor=api_key.member, name="one", root_path=".claude/one"
    )
    assert counter(SkillCollection, tenant) == 1
    assert record_count(client, "/api/skill_collections") == 1
    services.delete_collection(collection, actor=api_key.member)
    assert counter(SkillCollection, tenant) == live_collections(tenant) == 0
    assert record_count(client, "/api/skill_collections") == 0
    # The soft-deleted row is still listed under its filter, counted exactly.
    assert record_count(client, "/api/skill_collections?filter[is_deleted]=true") == 1


def test_delete_through_the_api(client, tenant, collections):
    response = client.delete(f"/api/skill_collections/{collections[0].pk}")
    assert response.status_code == 204
    assert counter(SkillCollection, tenant) == live_collections(tenant) == 4
    assert record_count(client, "/api/skill_collections") == 4


def test_hard_delete_and_queryset_updates(tenant, collections):
    collections[0].delete()
    assert counter(SkillCollection, tenant) == 4
    SkillCollection.objects.filter(pk__in=[c.pk for c in collections[1:4]]).update(is_deleted=True)
    assert counter(SkillCollection, tenant) == live_collections(tenant) == 1
    SkillCollection.objects.filter(pk=collections[1].pk).update(is_deleted=False)
    assert counter(SkillCollection, tenant) == live_collections(tenant) == 2
    # An update that leaves the live set alone changes nothing.
    SkillCollection.objects.for_tenant(tenant).update(provider="other")
    assert counter(SkillCollection, tenant) == 2
    SkillCollection.objects.for_tenant(tenant).delete()
    assert counter(SkillCollection, tenant) == 0


def test_raw_sql_and_bulk_writes_are_counted(organization, tenant):
    SkillCollection.objects.bulk_create(
        SkillCollectionFactory.build(organization=organization, created_by=None, updated_by=None)
        for _ in range(3)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {COLLECTIONS} SET is_deleted = %s WHERE organization_id = %s",
            [True, SkillCollection._meta.pk.get_db_prep_value(organization.pk, connection)],
        )
    assert counter(SkillCollection, tenant) == live_collections(tenant) == 0


def test_modes_and_tenants_are_counted_apart(client, organization, tenant, collections):
    live = Tenant(organization.pk, Mode.LIVE)
    SkillCollectionFactory.create_batch(2, organization=organization, mode=Mode.LIVE)
    other = SkillCollectionFactory()
    assert counter(SkillCollection, tenant) == 5
    assert counter(SkillCollection, live) == 2
    assert counter(SkillCollection, other.tenant) == 1
    assert record_count(client, "/api/skill_collections") == 5
    live_key = ApiKeyFactory(member=MemberFactory(organization=organization), mode=Mode.LIVE)
    assert record_count(JsonApiClient(live_key), "/api/skill_collections") == 2
    # Members are account-level: one count for both modes.
    members = Member.objects.filter(organization=organization).count()
    assert counter(Member, tenant) == counter(Member, live) == members
    assert record_count(client, "/api/members") == members


def test_deleting_an_organization_drops_its_counters(organization, tenant, collections):
    create_version(collections[0])
    other = SkillCollectionFactory()
    organization.delete()
    assert not TenantRowCount.objects.filter(organization_id=tenant.organization_id).exists()
    assert counter(SkillCollection, other.tenant) == 1


def test_numbered_pages_report_the_real_count(client, organization, tenant, collections):
    collections[0].delete()
    collections[1].is_deleted = True
    collections[1].save()
    assert record_count(client, "/api/skill_collections?page[size]=2&page[number]=2") == 3
    body = client.get("/api/skill_collections?page[size]=2&sort=name").json()
    assert body["meta"] == {"record_count": 3, "page_count": 2}
    name = collections[2].name
    assert record_count(client, f"/api/skill_collections?filter[name]={name}") == 1
    version = create_version(collections[2])
    assert record_count(client, "/api/skill_collection_versions") == 1
    assert record_count(client, f"/api/skill_collections/{collections[2].pk}/versions") == 1
    assert record_count(client, "/api/skills") == version.skills.count() > 0


def _queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def _counts_of(queries: list[str], table: str) -> list[str]:
    """The `QuerySet.count()` queries over `table`."""
    return [sql for sql in queries if 'AS "__count"' in sql and f'FROM "{table}"' in sql]


COUNTERS, COLLECTIONS = TenantRowCount._meta.db_table, SkillCollection._meta.db_table


def test_unfiltered_list_counts_from_the_counters(client, collections):
    queries = _queries(client, "/api/skill_collections?page[size]=2&page[number]=2")
    assert _counts_of(queries, COLLECTIONS) == []
    assert len([sql for sql in queries if f'FROM "{COUNTERS}"' in sql]) == 1


def test_filtered_list_counts_its_rows(client, collections):
    queries = _queries(client, "/api/skill_collections?filter[provider]=claude")
    assert len(_counts_of(queries, COLLECTIONS)) == 1
    assert not [sql for sql in queries if COUNTERS in sql]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
def test_list_count_does_not_scan_the_table(client, collections):
    queries = _queries(client, "/api/skill_collections?page[size]=2")
    (sql,) = [sql for sql in queries if f'FROM "{COUNTERS}"' in sql]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows; is there an index for it?
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"on {COLLECTIONS}" not in plan
    assert f"tenant_row_count_unique on {COUNTERS}" in plan


@pytest.mark.parametrize(
    "type_name",
    [
        "members",
        "teams",
        "skill_collections",
        "skill_collection_versions",
        "skills",
        "skill_plugins",
        "skill_marketplaces",
        "event_stores",
        "events",
        "versions",
        "webhooks",
        "event_callbacks",
        "exports",
        "skill_exports",
        "files",
        "file_links",
        "share_links",
    ],
)
def test_every_counted_list_reads_its_counters(client, type_name):
    queries = _queries(client, f"/api/{type_name}?page[size]=1")
    assert not [sql for sql in queries if 'AS "__count"' in sql]
    assert len([sql for sql in queries if f'FROM "{COUNTERS}"' in sql]) == 1


def test_only_the_whole_live_list_is_the_whole_list(organization, tenant, collections):
    gated = SkillCollection.objects.for_tenant(tenant)
    assert is_whole_list(gated.alive().order_by("name"), tenant)
    assert is_whole_list(SkillCollection.objects.alive().for_tenant(tenant), tenant)
    other = Tenant(organization.pk, Mode.LIVE)
    for queryset in (
        gated,  # soft-deleted rows too
        gated.alive().filter(provider="claude"),
        gated.alive().exclude(name=""),
        gated.alive().distinct(),
        gated.alive().none(),
        gated.alive().union(gated.alive()),
        SkillCollection.objects.for_tenant(other).alive(),
    ):
        assert not is_whole_list(queryset, tenant)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL keeps triggers on ALTER")
@pytest.mark.django_db(transaction=True)
def test_a_table_rebuilt_by_a_later_sqlite_migration_gets_its_triggers_back(organization, tenant):
    # Created with the organization itself, so their creator is one of its members (the tenancy
    # rule refuses a creator of another organization).
    SkillCollectionFactory.create_batch(3, organization=organization)
    # What an AddField with a default (most ALTERs) does on SQLite: copy, drop, rename.
    with connection.schema_editor() as editor:
        editor._remake_table(SkillCollection)
    SkillCollectionFactory(organization=organization)  # written while uncounted
    assert counter(SkillCollection, tenant) == 3

    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate repairs
    assert reinstall_lost_triggers() == []  # already repaired
    assert counter(SkillCollection, tenant) == 4 == live_collections(tenant)
    SkillCollectionFactory(organization=organization)
    assert counter(SkillCollection, tenant) == 5
