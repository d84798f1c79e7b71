"""A list's joined to-one relations (api/joined.py): one object per pk, prefetched once."""

import pytest

from api.joined import share_joined, split_prefetches
from skills.models import SkillCollection
from tests.factories import MemberFactory, TeamFactory
from tests.skills.factories import SkillCollectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(organization):
    member = MemberFactory(organization=organization)
    member.teams.add(*TeamFactory.create_batch(2, organization=organization))
    return member


@pytest.fixture
def collections(organization, creator):
    return SkillCollectionFactory.create_batch(
        3, organization=organization, created_by=creator, updated_by=creator
    )


def test_rows_share_one_related_object_prefetched_once(
    collections, creator, django_assert_num_queries
):
    queryset = SkillCollection.objects.filter(pk__in=[c.pk for c in collections])
    queryset = queryset.select_related("created_by").prefetch_related(
        "created_by__teams", "versions"
    )
    queryset, below = split_prefetches(queryset, ["created_by"])
    assert below == {"created_by": ["teams"]}
    assert queryset._prefetch_related_lookups == ("versions",)
    with django_assert_num_queries(2):  # the rows (and their versions)
        rows = list(queryset)
    with django_assert_num_queries(1):  # the teams, once
        share_joined(rows, below)
    assert len({id(row.created_by) for row in rows}) == 1
    expected = {team.pk for team in creator.teams.all()}
    with django_assert_num_queries(0):
        assert {team.pk for team in rows[0].created_by.teams.all()} == expected


@pytest.mark.parametrize("include", ["created_by", "created_by,updated_by", "created_by.teams"])
def test_list_includes_the_shared_member_with_its_teams(client, collections, creator, include):
    body = client.get(f"/api/skill_collections?include={include}").json()
    assert {row["relationships"]["created_by"]["data"]["id"] for row in body["data"]} == {
        str(creator.pk)
    }
    members = [item for item in body["included"] if item["type"] == "members"]
    assert [member["id"] for member in members] == [str(creator.pk)]
    teams = {team["id"] for team in members[0]["relationships"]["teams"]["data"]}
    assert teams == {str(team.pk) for team in creator.teams.all()}
    included_teams = {item["id"] for item in body["included"] if item["type"] == "teams"}
    assert included_teams == (teams if "teams" in include else set())
