import pytest

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(organization):
    return [MemberFactory(organization=organization, email=f"{c}@x.test") for c in "cab"]


def emails(response) -> list[str]:
    return [item["attributes"]["email"] for item in response.json()["data"]]


def test_sort_ascending_and_descending(client, members):
    ascending = emails(client.get("/api/members?sort=email"))
    assert ascending == sorted(ascending)
    assert emails(client.get("/api/members?sort=-email")) == list(reversed(ascending))


def test_default_sort_is_newest_first(client, members):
    assert emails(client.get("/api/members"))[:3] == ["b@x.test", "a@x.test", "c@x.test"]


def test_multiple_sort_fields(client, organization, members):
    MemberFactory(organization=organization, name="same", email="z@x.test")
    MemberFactory(organization=organization, name="same", email="y@x.test")
    result = emails(client.get("/api/members?sort=-name,email&filter[name]=same"))
    assert result == ["y@x.test", "z@x.test"]


@pytest.mark.parametrize("sort", ["nope", "-nope", "email,shoe", "-", "organization__slug"])
def test_unknown_sort_field_is_400(client, members, sort):
    response = client.get(f"/api/members?sort={sort}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "sort"}
