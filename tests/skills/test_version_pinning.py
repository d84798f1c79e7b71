import pytest

from tests.skills.factories import SkillCollectionFactory, create_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(organization):
    collection = SkillCollectionFactory(organization=organization, name="support")
    first = create_version(collection, release_label="stable")
    second = create_version(collection)
    return collection, first, second


def current_id(response):
    return response.json()["data"]["relationships"]["current_version"]["data"]["id"]


def test_default_is_latest(client, versions):
    collection, _, second = versions
    assert current_id(client.get(f"/api/skill_collections/{collection.pk}")) == str(second.pk)


def test_pin_by_number(client, versions):
    collection, first, _ = versions
    response = client.get(f"/api/skill_collections/{collection.pk}?version=1")
    assert current_id(response) == str(first.pk)


def test_pin_by_label_with_include(client, versions):
    _collection, first, _ = versions
    response = client.get("/api/skill_collections/support?label=stable&include=current_version")
    assert current_id(response) == str(first.pk)
    [included] = response.json()["included"]
    assert included["id"] == str(first.pk)
    assert included["attributes"]["release_label"] == "stable"


def test_pin_applies_to_related_endpoint(client, versions):
    collection, first, _ = versions
    response = client.get(f"/api/skill_collections/{collection.pk}/current_version?version=1")
    assert response.json()["data"]["id"] == str(first.pk)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("version=1&label=stable", "label"),
        ("version=0", "version"),
        ("version=abc", "version"),
        ("version=-2", "version"),
        ("format=tar", "format"),
    ],
)
def test_bad_pins_are_400(client, versions, query, parameter):
    collection, _, _ = versions
    response = client.get(f"/api/skill_collections/{collection.pk}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == parameter


@pytest.mark.parametrize("query", ["version=9", "label=nope"])
def test_unknown_pins_are_404(client, versions, query):
    collection, _, _ = versions
    for suffix in ("", "&format=zip"):
        response = client.get(f"/api/skill_collections/{collection.pk}?{query}{suffix}")
        assert response.status_code == 404
        assert response.json()["errors"][0]["status"] == "404"


@pytest.mark.parametrize("query", ["version=1", "label=stable", "format=zip"])
def test_pins_do_not_apply_to_lists(client, versions, query):
    response = client.get(f"/api/skill_collections?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == query.split("=")[0]
