"""List endpoints: what a page costs against its floor, measured in the same run.

- `overhead`: the JSON:API list (`/api/members`, 100 rows, `include=organization`) vs a bare
  Django view over the same rows (`.values()` + JsonResponse): what the JSON:API layer costs.
- `page_size`: `/api/skill_collections?page[size]=100&include=created_by` vs `page[size]=1` in
  an organization of 200 collections: the per-resource cost (goal <= 2.5x).
- `numbered_page`: `page[size]=100` (with `meta.record_count`) in an organization of
  BENCH_LIST_ROWS collections (300,000; 1,000,000 with BENCH_FULL=1) vs one of 200: the cost of
  table size (goal <= 1.5x). `count_plan` records the scan PostgreSQL chose for that count (the
  tenant's counter rows, core/row_counts.py).
- `keyset_page`: `sort=name&page[after]=` the same way (goal <= 1.3x).
- `document`: an organization's document after adding 20,000 members vs before (goal <= 2x + 2 KB).

The scale figures need PostgreSQL: DATABASE_URL, or the local server's `skillport_bench`
(created when missing); when neither is reachable the run is on SQLite and they are skipped.
Every figure is a ratio of medians taken in one run, the two sides' requests interleaved:
absolute times on a shared machine mean little. The benchmark's organizations are deleted at
the end.
"""

import json
import os
import statistics
import time
import uuid

from benchmarks.common import save_results, setup

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
ROWS = 1000
PAGE_SIZE = 100
SMALL_ROWS = 200
FULL = os.environ.get("BENCH_FULL") == "1"
BIG_ROWS = int(os.environ.get("BENCH_LIST_ROWS", "1000000" if FULL else "300000"))
NEW_MEMBERS = 20000
GOALS = {
    "page_size_ratio": 2.5,
    "numbered_page_ratio": 1.5,
    "keyset_page_ratio": 1.3,
}


def _medians(*fns) -> list[float]:
    """The median time of each function, their samples interleaved (a, b, a, b, ...): a burst
    of load from other jobs on a shared machine then slows both sides of a ratio alike."""
    for fn in fns:
        fn()  # warm up
    samples = [[] for _ in fns]
    for _ in range(REQUESTS):
        for fn, taken in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            taken.append(time.perf_counter() - started)
    return [statistics.median(taken) for taken in samples]


def _getter(client, url: str):
    def get() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response.content

    return get


def _tenant(slug: str):
    from django.test import Client

    from organizations.services import create_api_key

    key, raw_key = create_api_key(organization_slug=slug)
    return key, Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")


def _insert_collections(key, count: int) -> None:
    """`count` skill collections of the key's tenant, created by its member, in one statement."""
    from django.db import connection

    from organizations.models import Member

    creator = Member.objects.create(
        organization=key.organization, email=f"creator-{uuid.uuid4().hex[:8]}@bench.test"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO skills_skillcollection (id, created_at, updated_at, organization_id, mode,
                name, root_path, provider, is_deleted, created_by_id, updated_by_id)
            SELECT gen_random_uuid(), now() - n * interval '1 second', now(), %s, %s,
                'collection-' || n, '.claude/skills-' || n, 'claude', false, %s, %s
            FROM generate_series(1, %s) AS n
            """,
            [key.organization_id, key.mode, creator.pk, creator.pk, count],
        )


def _overhead(figures: dict):
    from django.http import JsonResponse
    from django.test import RequestFactory

    from organizations.models import Member

    key, client = _tenant(f"bench-list-{uuid.uuid4().hex[:8]}")
    Member.objects.bulk_create(
        Member(organization=key.organization, email=f"m{n}@bench.test", name=f"M {n}")
        for n in range(ROWS)
    )
    api = _getter(client, f"/api/members?page[size]={PAGE_SIZE}&include=organization")

    def bare_view(request):
        rows = list(
            Member.objects.filter(organization=key.organization)
            .order_by("-created_at", "id")
            .values()[:PAGE_SIZE]
        )
        return JsonResponse({"data": rows, "count": Member.objects.count()})

    factory = RequestFactory()
    api_median, floor_median = _medians(api, lambda: bare_view(factory.get("/bare")))
    figures["overhead"] = {
        "jsonapi_list_ms": round(api_median * 1000, 2),
        "bare_view_ms": round(floor_median * 1000, 2),
        "ratio": round(api_median / floor_median, 2),
    }
    return key.organization


def _count_plan(client, url: str) -> str:
    """The scan behind `meta.record_count` of `url`: the query that counts, as the list runs it
    (the tenant's counters for an unfiltered list, `count()` for a filtered one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import TenantRowCount

    with CaptureQueriesContext(connection) as queries:
        _getter(client, url)()
    counters = f'FROM "{TenantRowCount._meta.db_table}"'
    sql = next(
        query["sql"]
        for query in queries.captured_queries
        if counters in query["sql"] or 'AS "__count"' in query["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = [row[0].strip() for row in cursor.fetchall()]
    return next((line.lstrip("-> ") for line in plan if "Scan" in line), plan[0])


def _scale(figures: dict) -> list:
    from django.db import connection

    small_key, small = _tenant(f"bench-small-{uuid.uuid4().hex[:8]}")
    big_key, big = _tenant(f"bench-big-{uuid.uuid4().hex[:8]}")
    _insert_collections(small_key, SMALL_ROWS)
    started = time.perf_counter()
    _insert_collections(big_key, BIG_ROWS)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE skills_skillcollection")  # as autovacuum would
    print(f"inserted {BIG_ROWS} collections in {time.perf_counter() - started:.1f} s", flush=True)

    base = "/api/skill_collections?include=created_by&page[size]="
    one, hundred = _medians(_getter(small, f"{base}1"), _getter(small, f"{base}100"))
    figures["page_size"] = {
        "rows": SMALL_ROWS,
        "size_1_ms": round(one * 1000, 2),
        "size_100_ms": round(hundred * 1000, 2),
        "ratio": round(hundred / one, 2),
        "goal": GOALS["page_size_ratio"],
    }
    numbered = "/api/skill_collections?page[size]=100&page[number]=2"
    figures["count_plan"] = _count_plan(big, numbered)
    for name, url in (
        ("numbered_page", numbered),
        ("keyset_page", "/api/skill_collections?sort=name&page[after]=&page[size]=100"),
    ):
        small_median, big_median = _medians(_getter(small, url), _getter(big, url))
        figures[name] = {
            "url": url,
            "small_rows": SMALL_ROWS,
            "big_rows": BIG_ROWS,
            "small_ms": round(small_median * 1000, 2),
            "big_ms": round(big_median * 1000, 2),
            "ratio": round(big_median / small_median, 2),
            "goal": GOALS[f"{name}_ratio"],
        }
    return [small_key.organization, big_key.organization]


def _document(figures: dict):
    from organizations.models import Member

    key, client = _tenant(f"bench-doc-{uuid.uuid4().hex[:8]}")
    url = f"/api/organizations/{key.organization_id}"
    before = len(_getter(client, url)())
    Member.objects.bulk_create(
        (
            Member(organization=key.organization, email=f"d{n}@bench.test", name=f"D {n}")
            for n in range(NEW_MEMBERS)
        ),
        batch_size=5000,
    )
    after = len(_getter(client, url)())
    figures["document"] = {
        "members_added": NEW_MEMBERS,
        "before_bytes": before,
        "after_bytes": after,
        "bound_bytes": 2 * before + 2048,
        "within_bound": after <= 2 * before + 2048,
    }
    return key.organization


def _delete(organizations) -> None:
    from django.db import connection

    # as the database stores them (SQLite binds no UUID objects)
    prep = organizations[0]._meta.pk.get_db_prep_value
    ids = [prep(organization.pk, connection) for organization in organizations]
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        # A direct DELETE: the ORM's cascade would load every collection first.
        cursor.execute(
            f"DELETE FROM skills_skillcollection WHERE organization_id IN ({placeholders})", ids
        )
    for organization in organizations:
        organization.delete()


def run() -> dict:
    setup(postgres=True)
    from django.db import connection

    figures = {"page_size_rows": PAGE_SIZE, "requests": REQUESTS, "database": connection.vendor}
    organizations = [_overhead(figures)]
    try:
        if connection.vendor == "postgresql":
            organizations += _scale(figures)
        else:
            print("scale figures skipped: they need PostgreSQL")
        organizations.append(_document(figures))
    finally:
        _delete(organizations)
    print(json.dumps(figures, indent=2))
    save_results("api_list_full" if FULL else "api_list", figures)
    return figures


if __name__ == "__main__":
    run()
