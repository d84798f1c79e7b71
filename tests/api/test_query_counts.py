"""The number of queries per list request does not grow with page size or includes."""

import pytest

from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(organization):
    teams = [TeamFactory(organization=organization) for _ in range(5)]
    for n in range(60):
        MemberFactory(organization=organization).teams.add(teams[n % 5])


@pytest.mark.parametrize("size", [1, 10, 100])
@pytest.mark.parametrize(
    "url",
    [
        "/api/members",
        "/api/members?include=organization,teams",
        "/api/teams?include=members,organization",
        "/api/organizations?include=members.teams,teams",
        "/api/members?page[after]=&include=teams",
    ],
)
def test_query_count_is_constant(client, crowd, django_assert_max_num_queries, url, size):
    separator = "&" if "?" in url else "?"
    # key lookup + count + page + prefetches (+ the request's savepoint): not page size
    with django_assert_max_num_queries(10):
        response = client.get(f"{url}{separator}page[size]={size}")
    assert response.status_code == 200
    assert len(response.json()["data"]) >= 1


@pytest.mark.parametrize("size", [1, 100])
@pytest.mark.parametrize(
    "url",
    [
        "/api/skill_collections?include=created_by",
        "/api/skill_collections?page[after]=&include=created_by",
        "/api/skill_collections?sort=name&page[after]=",
    ],
)
def test_collection_list_query_count_is_constant(
    client, organization, django_assert_max_num_queries, url, size
):
    from tests.skills.factories import SkillCollectionFactory, create_version

    for collection in SkillCollectionFactory.create_batch(30, organization=organization):
        create_version(collection)
    # key lookup and its last use, savepoint, count, page, current versions and their skills,
    # the included members' teams: one query each, never one per row
    with django_assert_max_num_queries(9):
        response = client.get(f"{url}&page[size]={size}")
    assert response.status_code == 200
    assert len(response.json()["data"]) == min(size, 30)
