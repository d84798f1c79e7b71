"""The cursor pagination profile (https://jsonapi.org/profiles/ethanresnick/cursor-pagination/),
rule by rule, in the profile's order: sorting, cursors, `page[size]`, `page[after]`,
`page[before]`, both omitted, range pagination, item cursors, links, the error types; and
how the profile is asked for and advertised (JSON:API 1.1 profiles)."""

import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.exceptions import ProfileParameterError, errors_for
from api.pagination import CURSOR_PROFILE, JsonApiPagination
from tests.api.test_tenancy_matrix import ROUTES
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PROFILE_ACCEPT = f'application/vnd.api+json; profile="{CURSOR_PROFILE}"'
LIST = "/api/members?sort=email"


@pytest.fixture
def emails(organization):
    """25 members (the key's own and 24 more); their ids in `sort=email` order."""
    for number in range(24):
        MemberFactory(organization=organization, email=f"m{number:02}@example.com")
    return None


@pytest.fixture
def everything(client, emails) -> list[str]:
    return ids(client.get(LIST + "&page[size]=100"))


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


def cursor_of(body: dict, position: int) -> str:
    return body["data"][position]["meta"]["page"]["cursor"]


def query(link: str | None) -> dict | None:
    if link is None:
        return None
    return {k: v[0] for k, v in parse_qs(urlparse(link).query, keep_blank_values=True).items()}


def profile_get(client, url: str):
    return client.get(url, HTTP_ACCEPT=PROFILE_ACCEPT)


# -- asked for and advertised -------------------------------------------------------------------


def test_the_profile_in_accept_gives_the_first_cursor_page(client, everything):
    response = profile_get(client, LIST + "&page[size]=4")
    body = response.json()
    assert ids(response) == everything[:4]
    assert response["Content-Type"] == PROFILE_ACCEPT
    assert body["jsonapi"] == {"version": "1.1", "profile": [CURSOR_PROFILE]}
    assert "record_count" not in body["meta"]
    assert "Accept" in response["Vary"]


@pytest.mark.parametrize(
    "accept",
    [
        'application/vnd.api+json; profile="http://jsonapi.org/profiles/ethanresnick/cursor-pagination/"',
        'application/vnd.api+json;profile="https://example.com/other https://jsonapi.org/profiles/ethanresnick/cursor-pagination"',
        'text/html, application/vnd.api+json; profile="https://jsonapi.org/profiles/ethanresnick/cursor-pagination/"',
    ],
)
def test_the_profile_uri_is_recognised_among_others(client, everything, accept):
    response = client.get(LIST, HTTP_ACCEPT=accept)
    assert response.json()["jsonapi"]["profile"] == [CURSOR_PROFILE]


def test_a_cursor_parameter_applies_the_profile_without_accept(client, everything):
    response = client.get(LIST + "&page[after]=&page[size]=3")
    assert ids(response) == everything[:3]
    assert response["Content-Type"] == PROFILE_ACCEPT


def test_numbered_pages_keep_working_where_the_profile_is_not_asked_for(client, everything):
    response = client.get(LIST + "&page[size]=4&page[number]=2")
    body = response.json()
    assert ids(response) == everything[4:8]
    assert body["meta"] == {"record_count": 25, "page_count": 7}
    assert response["Content-Type"] == "application/vnd.api+json"
    assert "jsonapi" not in body
    assert "page" not in body["data"][0]["meta"]
    # page[number] names a numbered page even where the profile is in Accept.
    assert ids(profile_get(client, LIST + "&page[size]=4&page[number]=2")) == everything[4:8]


def test_page_number_does_not_mix_with_cursors(client, everything):
    response = client.get(LIST + "&page[after]=&page[number]=2")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[number]"}


# -- sorting: a unique order ----------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["member_type", "-member_type", "-created_at", "name,-email"])
def test_a_partial_sort_is_made_unique_every_item_once(client, emails, sort):
    """`member_type` is the same for nearly every member: `id` breaks the ties."""
    expected = ids(client.get(f"/api/members?sort={sort}&page[size]=100"))
    seen = walk(client, f"/api/members?sort={sort}&page[size]=4&page[after]=", "next")
    assert seen == expected
    assert len(set(seen)) == 25


def lists_and_sorts():
    for type_name, route in sorted(ROUTES.items()):
        fields = getattr(route.viewset, "ordering_fields", None) or ()
        for field in (None, *fields):
            yield type_name, field


@pytest.mark.parametrize(("type_name", "sort"), list(lists_and_sorts()))
def test_every_list_and_sort_pages_with_cursors(client, type_name, sort):
    url = f"/api/{type_name}?page[size]=2" + (f"&sort=-{sort}" if sort else "")
    response = profile_get(client, url)
    assert response.status_code == 200, response.content
    assert response.json()["jsonapi"]["profile"] == [CURSOR_PROFILE]


def test_a_search_ranked_list_pages_with_cursors_over_its_rank(client, organization):
    """`filter[search]` sorts by `search_rank`, a computed value: the cursors carry it."""
    from tests.skills.factories import SkillPluginFactory

    for number in range(9):  # three ranks, three plugins of each: ties broken by id
        SkillPluginFactory(
            organization=organization,
            name=f"kit-{number}",
            description=" ".join(["invoice tools"] * (1 + number % 3)) + " and more",
        )
    SkillPluginFactory(organization=organization, name="unrelated", description="Slides.")
    url = "/api/skill_plugins?filter[search]=invoice"
    expected = ids(client.get(url + "&page[size]=100"))
    assert len(expected) == 9
    assert walk(client, url + "&page[size]=2&page[after]=", "next") == expected
    assert walk(client, url + "&page[size]=2&page[before]=", "prev") == expected


def walk(client, link: str, direction: str) -> list[str]:
    """Every id along `links.next` (or `links.prev`), in list order; at most 20 pages, so a
    cursor that fails to move on fails the test instead of looping."""
    seen = []
    for _ in range(20):
        body = client.get(link).json()
        page = [item["id"] for item in body["data"]]
        seen = seen + page if direction == "next" else page + seen
        link = body["links"][direction]
        if link is None:
            return seen
    raise AssertionError(f"still a {direction} link after 20 pages: {link}")


def test_a_sort_without_a_cursor_is_the_unsupported_sort_error(organization):
    """No list of the API sorts through a relation; one that did would be refused so."""
    from organizations.models import ApiKey

    paginator = JsonApiPagination()
    request = Request(APIRequestFactory().get("/", {"page[after]": ""}))
    with pytest.raises(ProfileParameterError) as refused:
        paginator.paginate_queryset(ApiKey.objects.order_by("member__email"), request)
    [error] = errors_for(refused.value)
    assert error["status"] == "400"
    assert error["source"] == {"parameter": "sort"}
    assert error["links"] == {"type": CURSOR_PROFILE + "unsupported-sort"}


# -- page[size] -----------------------------------------------------------------------------------


def test_the_used_page_size_is_page_size_or_the_default(client, everything):
    assert len(ids(profile_get(client, LIST))) == 10
    assert len(ids(profile_get(client, LIST + "&page[size]=7"))) == 7
    assert len(ids(profile_get(client, LIST + "&page[size]=100"))) == 25


@pytest.mark.parametrize("size", ["0", "-1", "abc", "1.5", "+3", " 3", "\uff13", ""])
def test_page_size_not_a_positive_integer_is_the_invalid_parameter_error(client, emails, size):
    response = profile_get(client, LIST + f"&page[size]={size}")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": "page[size]"}
    assert "links" not in error  # the profile gives this error no type of its own


@pytest.mark.parametrize("size", ["101", "99999999999999999999999"])
@pytest.mark.parametrize("cursor", ["", "&page[after]=", "&page[before]="])
def test_page_size_over_the_max_is_the_max_size_exceeded_error(client, emails, size, cursor):
    response = profile_get(client, LIST + f"&page[size]={size}{cursor}")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": "page[size]"}
    assert error["meta"] == {"page": {"maxSize": 100}}
    assert error["links"] == {"type": CURSOR_PROFILE + "max-size-exceeded"}


# -- page[after], page[before], neither ----------------------------------------------------------


def test_after_starts_immediately_after_the_cursor(client, everything):
    first = profile_get(client, LIST + "&page[size]=5").json()
    page = client.get(LIST + f"&page[size]=3&page[after]={cursor_of(first, 1)}")
    assert ids(page) == everything[2:5]


def test_before_ends_immediately_before_the_cursor(client, everything):
    first = profile_get(client, LIST + "&page[size]=10").json()
    page = client.get(LIST + f"&page[size]=3&page[before]={cursor_of(first, 8)}")
    assert ids(page) == everything[5:8]  # still in the list's order
    # Fewer than the page size before it: only those.
    page = client.get(LIST + f"&page[size]=3&page[before]={cursor_of(first, 1)}")
    assert ids(page) == everything[:1]


def test_nothing_after_or_before_the_cursor_is_an_empty_array(client, everything):
    last = client.get(LIST + "&page[size]=1&page[before]=").json()
    assert [item["id"] for item in last["data"]] == everything[-1:]
    assert ids(client.get(LIST + f"&page[after]={cursor_of(last, 0)}")) == []
    first = profile_get(client, LIST + "&page[size]=1").json()
    assert ids(client.get(LIST + f"&page[before]={cursor_of(first, 0)}")) == []


def test_neither_cursor_starts_with_the_first_item(client, everything):
    assert ids(profile_get(client, LIST + "&page[size]=3")) == everything[:3]
    assert ids(profile_get(client, "/api/members?filter[email]=nobody@example.com")) == []


def test_a_cursor_still_divides_the_list_once_its_item_is_gone(client, everything, organization):
    from organizations.models import Member

    first = profile_get(client, LIST + "&page[size]=5").json()
    Member.objects.get(pk=everything[2]).delete()
    assert (
        ids(client.get(LIST + f"&page[size]=2&page[after]={cursor_of(first, 2)}"))
        == (everything[3:5])
    )
    assert (
        ids(client.get(LIST + f"&page[size]=2&page[before]={cursor_of(first, 2)}"))
        == (everything[0:2])
    )


@pytest.mark.parametrize("parameter", ["page[after]", "page[before]"])
@pytest.mark.parametrize("cursor", ["!!notacursor", "bm90IGpzb24", "WzFd", "W1tb" * 900])
def test_an_invalid_cursor_is_the_invalid_parameter_error(client, emails, parameter, cursor):
    response = client.get(LIST + f"&{parameter}={cursor}")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": parameter}
    assert error["status"] == "400"


def test_a_cursor_of_another_sort_is_invalid(client, everything):
    first = profile_get(client, "/api/members?sort=name,email&page[size]=2").json()
    response = client.get(LIST + f"&page[after]={cursor_of(first, 0)}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[after]"}


# -- range pagination ----------------------------------------------------------------------------


def test_a_range_is_every_item_between_the_cursors(client, everything):
    first = profile_get(client, LIST + "&page[size]=20").json()
    after, before = cursor_of(first, 3), cursor_of(first, 17)
    body = client.get(LIST + f"&page[after]={after}&page[before]={before}").json()
    assert [item["id"] for item in body["data"]] == everything[4:17]
    assert "page" not in body["meta"]


def test_a_range_defaults_to_the_max_page_size(client, everything):
    body = client.get(LIST + "&page[after]=&page[before]=").json()
    assert [item["id"] for item in body["data"]] == everything  # 25, not the default 10


def test_a_truncated_range_is_the_after_page_with_range_truncated(client, everything):
    first = profile_get(client, LIST + "&page[size]=20").json()
    after, before = cursor_of(first, 3), cursor_of(first, 17)
    body = client.get(LIST + f"&page[size]=5&page[after]={after}&page[before]={before}").json()
    without_before = client.get(LIST + f"&page[size]=5&page[after]={after}").json()
    assert [item["id"] for item in body["data"]] == [i["id"] for i in without_before["data"]]
    assert [item["id"] for item in body["data"]] == everything[4:9]
    assert body["meta"]["page"] == {"rangeTruncated": True}
    assert query(body["links"]["next"])["page[after]"] == cursor_of(body, -1)
    assert query(body["links"]["prev"])["page[before]"] == cursor_of(body, 0)


# -- item cursors ---------------------------------------------------------------------------------


def test_each_item_carries_the_cursor_that_falls_on_it(client, everything):
    body = profile_get(client, LIST + "&page[size]=25").json()
    for position in range(25):
        cursor = cursor_of(body, position)
        after = client.get(LIST + f"&page[size]=1&page[after]={cursor}").json()["data"]
        before = client.get(LIST + f"&page[size]=1&page[before]={cursor}").json()["data"]
        assert [item["id"] for item in after] == everything[position + 1 : position + 2]
        assert [item["id"] for item in before] == everything[max(0, position - 1) : position]
    # The resource's own meta is still there beside the profile's `page`.
    assert {"mode", "organization_id", "page"} <= set(body["data"][0]["meta"])


# -- links ---------------------------------------------------------------------------------------


def test_prev_and_next_are_always_present(client, everything):
    for url in (LIST, LIST + "&page[after]=", LIST + "&page[before]=", LIST + "&page[size]=100"):
        links = profile_get(client, url).json()["links"]
        assert "prev" in links and "next" in links


def test_without_before_next_is_null_exactly_on_the_last_page(client, everything):
    body = profile_get(client, LIST + "&page[size]=24").json()
    assert query(body["links"]["next"])["page[after]"] == cursor_of(body, -1)
    body = profile_get(client, LIST + "&page[size]=25").json()
    assert body["links"]["next"] is None
    middle = profile_get(client, LIST + "&page[size]=10").json()
    body = client.get(LIST + f"&page[size]=15&page[after]={cursor_of(middle, 9)}").json()
    assert len(body["data"]) == 15 and body["links"]["next"] is None


def test_without_after_prev_is_null_exactly_on_the_first_page(client, everything):
    body = profile_get(client, LIST + "&page[size]=5").json()
    assert body["links"]["prev"] is None
    body = client.get(LIST + "&page[size]=24&page[before]=").json()
    assert query(body["links"]["prev"])["page[before]"] == cursor_of(body, 0)
    body = client.get(LIST + "&page[size]=25&page[before]=").json()
    assert body["links"]["prev"] is None


def test_links_walk_the_whole_list_both_ways(client, everything):
    assert walk(client, LIST + "&page[size]=7&page[after]=", "next") == everything
    assert walk(client, LIST + "&page[size]=7&page[before]=", "prev") == everything


def test_links_keep_the_query_and_size_and_name_both_ends(client, everything):
    body = profile_get(client, LIST + "&page[size]=3&filter[email.cont]=example").json()
    nxt = query(body["links"]["next"])
    assert nxt["sort"] == "email" and nxt["page[size]"] == "3"
    assert nxt["filter[email.cont]"] == "example"
    assert "page[before]" not in nxt
    assert query(body["links"]["first"])["page[after]"] == ""
    assert query(body["links"]["last"])["page[before]"] == ""
    assert ids(client.get(body["links"]["last"])) == everything[-3:]


def test_a_link_past_an_empty_page_leads_back_into_the_list(client, everything):
    last = client.get(LIST + "&page[size]=1&page[before]=").json()
    empty = client.get(LIST + f"&page[size]=3&page[after]={cursor_of(last, 0)}").json()
    assert empty["data"] == [] and empty["links"]["next"] is None
    assert ids(client.get(empty["links"]["prev"])) == everything[-3:]
    first = profile_get(client, LIST + "&page[size]=1").json()
    empty = client.get(LIST + f"&page[size]=3&page[before]={cursor_of(first, 0)}").json()
    assert empty["data"] == [] and empty["links"]["prev"] is None
    assert ids(client.get(empty["links"]["next"])) == everything[:3]


def test_an_empty_list_has_null_links(client, organization):
    url = "/api/members?filter[email]=nobody@example.com"
    for suffix in ("", "&page[after]=", "&page[before]=", "&page[after]=&page[before]="):
        links = profile_get(client, url + suffix).json()["links"]
        assert links["prev"] is None and links["next"] is None, suffix


def test_related_endpoints_page_with_the_profile_too(client, organization):
    from tests.factories import TeamFactory

    team = TeamFactory(organization=organization)
    members = [MemberFactory(organization=organization) for _ in range(5)]
    team.members.add(*members)
    seen, link = [], f"/api/teams/{team.pk}/members?page[size]=2&page[after]="
    while link:
        body = client.get(link).json()
        assert body["jsonapi"]["profile"] == [CURSOR_PROFILE]
        seen += [item["id"] for item in body["data"]]
        link = body["links"]["next"]
    assert sorted(seen) == sorted(str(member.pk) for member in members)


# -- the official JSON:API 1.1 schema -------------------------------------------------------------

# A copy of https://jsonapi.org/schemas/spec/v1.1/draft, when the environment names one (as
# tests/api/test_atomic_operations.py reads it).
OFFICIAL_SCHEMA = Path(os.environ.get("SKILLPORT_JSONAPI_SCHEMA", "") or "/nonexistent")


@pytest.mark.skipif(
    not OFFICIAL_SCHEMA.is_file(),
    reason="SKILLPORT_JSONAPI_SCHEMA names no copy of the official JSON:API 1.1 schema",
)
def test_the_profile_documents_are_valid_json_api_1_1(client, everything):
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(OFFICIAL_SCHEMA.read_text()))
    first = profile_get(client, LIST + "&page[size]=20").json()
    urls = [
        LIST + "&page[size]=3&page[before]=",
        LIST + f"&page[size]=3&page[after]={cursor_of(first, 2)}",
        LIST
        + f"&page[size]=2&page[after]={cursor_of(first, 2)}&page[before]={cursor_of(first, 9)}",
        LIST + "&page[size]=101&page[after]=",  # max-size-exceeded
        LIST + "&page[after]=!!",  # invalid cursor
        "/api/members?filter[email]=nobody@example.com&page[after]=",
    ]
    documents = [first] + [client.get(url).json() for url in urls]
    for document in documents:
        errors = [error.message for error in validator.iter_errors(document)]
        assert errors == [], (document, errors)
