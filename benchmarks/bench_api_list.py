"""JSON:API list endpoint vs a bare Django JSON view over the same rows, in the same run.

The floor is the cheapest way Django can answer the same page: `.values()` and JsonResponse.
The ratio shows what the JSON:API layer (negotiation, auth, filters, serializer, renderer) costs.
"""

import json
import os
import statistics
import time

from benchmarks.common import save_results, setup

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
ROWS = 1000
PAGE_SIZE = 100


def _time(fn) -> float:
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> dict:
    setup()
    from django.http import JsonResponse
    from django.test import Client, RequestFactory

    from organizations.models import Member
    from organizations.services import create_api_key

    key, raw_key = create_api_key(organization_slug="bench-list")
    Member.objects.bulk_create(
        Member(organization=key.organization, email=f"m{n}@bench.test", name=f"M {n}")
        for n in range(ROWS)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    url = f"/api/members?page[size]={PAGE_SIZE}&include=organization"

    def api() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.content[:200]

    def bare_view(request):
        rows = list(
            Member.objects.filter(organization=key.organization)
            .order_by("-created_at", "id")
            .values()[:PAGE_SIZE]
        )
        return JsonResponse({"data": rows, "count": Member.objects.count()})

    factory = RequestFactory()

    def floor() -> None:
        response = bare_view(factory.get("/bare"))
        assert response.status_code == 200

    api(), floor()  # warm up
    api_median, floor_median = _time(api), _time(floor)
    figures = {
        "page_size": PAGE_SIZE,
        "requests": REQUESTS,
        "jsonapi_list_ms": round(api_median * 1000, 2),
        "bare_view_ms": round(floor_median * 1000, 2),
        "overhead_ratio": round(api_median / floor_median, 2),
    }
    print(json.dumps(figures, indent=2))
    save_results("api_list", figures)
    return figures


if __name__ == "__main__":
    run()
