"""page[number]/page[size] with counts and links; keyset page[after]/page[before] cursors."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(organization):
    # The fixture organization already has the key's member: 25 in all.
    return [MemberFactory(organization=organization) for _ in range(24)]


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["data"]]


def query(link: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(link).query, keep_blank_values=True).items()}


def test_default_page_size_is_10_with_counts_and_links(client, members):
    body = client.get("/api/members").json()
    assert len(body["data"]) == 10
    assert body["meta"] == {"record_count": 25, "page_count": 3}
    assert query(body["links"]["next"])["page[number]"] == "2"
    assert query(body["links"]["last"])["page[number]"] == "3"
    assert body["links"]["prev"] is None


def test_pages_cover_every_record_once(client, members):
    seen = []
    for number in (1, 2, 3):
        seen += ids(client.get(f"/api/members?page[number]={number}&page[size]=10"))
    assert len(seen) == len(set(seen)) == 25


def test_last_page_links(client, members):
    body = client.get("/api/members?page[number]=3&page[size]=10").json()
    assert len(body["data"]) == 5
    assert body["links"]["next"] is None
    assert query(body["links"]["prev"])["page[number]"] == "2"


def test_page_beyond_the_end_is_empty(client, members):
    body = client.get("/api/members?page[number]=9").json()
    assert body["data"] == []
    assert body["meta"]["record_count"] == 25


@pytest.mark.parametrize(
    "params, parameter",
    [
        ("page[size]=0", "page[size]"),
        ("page[size]=101", "page[size]"),
        ("page[size]=abc", "page[size]"),
        ("page[number]=0", "page[number]"),
        ("page[number]=x", "page[number]"),
        ("page[after]=!!notacursor", "page[after]"),
        ("page[before]=bm90IGpzb24", "page[before]"),
        ("page[after]=&page[number]=2", "page[number]"),
        ("page[offset]=3", "page[offset]"),
    ],
)
def test_bad_page_parameters_are_400(client, members, params, parameter):
    response = client.get(f"/api/members?{params}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_max_page_size_is_100(client, members):
    assert len(ids(client.get("/api/members?page[size]=100"))) == 25


@pytest.mark.parametrize("sort", ["-created_at", "email", "-email", "name,-created_at"])
def test_keyset_cursors_walk_forward_and_back(client, members, sort):
    expected = ids(client.get(f"/api/members?sort={sort}&page[size]=100"))
    forward, link = [], f"/api/members?sort={sort}&page[size]=7&page[after]="
    pages = []
    while link:
        body = client.get(link).json()
        forward += [item["id"] for item in body["data"]]
        pages.append(body)
        link = body["links"]["next"]
    assert forward == expected
    assert "record_count" not in pages[0]["meta"]
    assert pages[0]["links"]["prev"] is None

    backward, link = [], pages[-1]["links"]["prev"]
    while link:
        body = client.get(link).json()
        backward = [item["id"] for item in body["data"]] + backward
        link = body["links"]["prev"]
    assert backward == expected[: len(expected) - len(pages[-1]["data"])]


@pytest.mark.parametrize("sort", ["revoked_at", "-revoked_at"])
def test_keyset_handles_null_values_in_the_sort_column(organization, sort):
    """NULLs sort last ascending and first descending; cursors step over them exactly once."""
    from django.utils import timezone
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api.pagination import JsonApiPagination
    from organizations.models import ApiKey
    from tests.factories import ApiKeyFactory

    keys = [ApiKeyFactory(member__organization=organization) for _ in range(7)]
    for key in keys[::2]:
        key.revoked_at = timezone.now()
        key.save()
    queryset = ApiKey.objects.order_by(sort, "id")

    def walk(size: int) -> list:
        seen, params = [], {"page[after]": "", "page[size]": str(size)}
        while params is not None:
            paginator = JsonApiPagination()
            request = Request(APIRequestFactory().get("/", params))
            seen += paginator.paginate_queryset(queryset, request)
            cursor = paginator.next_cursor
            params = None if cursor is None else {"page[after]": cursor, "page[size]": str(size)}
        return seen

    everything = walk(100)
    assert len(everything) == 8  # seven keys and the fixture's own
    nulls = [key.revoked_at is None for key in everything]
    assert nulls == sorted(nulls, reverse=sort.startswith("-"))
    assert [key.pk for key in walk(3)] == [key.pk for key in everything]


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("page[number]", "99999999999999999999"),
        ("page[number]", "2147483648"),
        ("page[number]", "9" * 3000),
        ("page[number]", "-1"),
        ("page[number]", "\uff11"),  # a non-ASCII digit
        ("page[size]", "99999999999999999999"),
    ],
)
def test_integers_out_of_range_are_400_not_500(client, members, parameter, value):
    response = client.get(f"/api/members?{parameter}={value}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_the_largest_page_number_is_an_empty_page(client, members):
    body = client.get("/api/members?page[number]=2147483647").json()
    assert body["data"] == []
    assert body["meta"]["record_count"] == 25


def test_a_cursor_of_deeply_nested_json_is_400(client, members):
    response = client.get("/api/members?page[after]=" + "W1tb" * 900)
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[after]"}
