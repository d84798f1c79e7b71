"""Test and live modes are separate: a key sees, changes, relates to, counts, exports and is
notified about its own mode's data only; the organization's structure is shared by both."""

import pytest

from events.models import WebhookDelivery
from exports.models import Export
from skills.models import SkillCollection
from tests.conftest import JsonApiClient
from tests.exports.conftest import read_export_file
from tests.factories import ApiKeyFactory
from tests.skills.factories import make_zip, skill_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_key(api_key):
    """A live key of the same member (and organization) as the test key `client` uses."""
    return ApiKeyFactory(member=api_key.member, mode="live")


@pytest.fixture
def live_client(live_key):
    return JsonApiClient(live_key)


def post(client, type_name: str, attributes: dict, relationships: dict | None = None) -> dict:
    data = {"type": type_name, "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    response = client.post(f"/api/{type_name}", {"data": data})
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def live_collection(live_client, name: str = "live-skills") -> dict:
    collection = post(
        live_client, "skill_collections", {"name": name, "root_path": f".claude/{name}"}
    )
    version = post(
        live_client,
        "skill_collection_versions",
        {"files": skill_files("pdf-tools"), "release_label": "prod"},
        {"skill_collection": {"data": {"type": "skill_collections", "id": collection["id"]}}},
    )
    return {"collection": collection, "version": version}


def test_rows_take_the_mode_of_the_key_that_created_them(client, live_client):
    live = live_collection(live_client)["collection"]
    mine = post(client, "skill_collections", {"name": "mine", "root_path": "mine"})
    assert SkillCollection.objects.get(pk=live["id"]).mode == "live"
    assert SkillCollection.objects.get(pk=mine["id"]).mode == "test"
    assert live["meta"]["mode"] == "live"
    assert mine["meta"]["mode"] == "test"


@pytest.mark.parametrize(
    "suffix",
    ["", "/versions", "/relationships/versions", "/skills", "/current_version", "/events"],
)
def test_a_test_key_cannot_read_live_data(client, live_client, suffix):
    live = live_collection(live_client)["collection"]
    response = client.get(f"/api/skill_collections/{live['id']}{suffix}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_a_test_key_neither_lists_nor_counts_live_data(client, live_client):
    live_collection(live_client)
    # (events about members are account-level: both modes see them, so only skill_* here)
    for path in (
        "skill_collections?",
        "skill_collection_versions?",
        "skills?",
        "events?filter[name.start]=skill&",
    ):
        type_name = path.split("?")[0]
        body = client.get(f"/api/{path}page[number]=1").json()
        assert body["data"] == [], type_name
        assert body["meta"]["record_count"] == 0, type_name


def test_a_test_key_cannot_change_or_delete_live_data(client, live_client):
    live = live_collection(live_client)["collection"]
    url = f"/api/skill_collections/{live['id']}"
    document = {
        "data": {"type": "skill_collections", "id": live["id"], "attributes": {"name": "x"}}
    }
    assert client.patch(url, document).status_code == 404
    assert client.delete(url).status_code == 404
    collection = SkillCollection.objects.get(pk=live["id"])
    assert (collection.name, collection.is_deleted) == ("live-skills", False)


def test_a_test_key_cannot_relate_to_live_data(client, live_client):
    live = live_collection(live_client)
    [skill_id] = [item["id"] for item in live["version"]["relationships"]["skills"]["data"]]
    linkage = {"skills": {"data": [{"type": "skills", "id": skill_id}]}}
    response = client.post(
        "/api/skill_plugins",
        {"data": {"type": "skill_plugins", "attributes": {"name": "p"}, "relationships": linkage}},
    )
    assert response.status_code == 422
    version = client.post(
        "/api/skill_collection_versions",
        {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"files": skill_files("x-skill")},
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": live["collection"]["id"]}
                    }
                },
            }
        },
    )
    assert version.status_code == 422
    plugin = post(client, "skill_plugins", {"name": "mine"})
    response = client.post(
        f"/api/skill_plugins/{plugin['id']}/relationships/skills",
        {"data": [{"type": "skills", "id": skill_id}]},
    )
    assert response.status_code in (404, 422)


def test_names_are_unique_per_mode(client, live_client):
    live_collection(live_client, name="shared")
    post(client, "skill_collections", {"name": "shared", "root_path": ".claude/shared"})
    post(client, "skill_plugins", {"name": "same"})
    post(live_client, "skill_plugins", {"name": "same"})


def test_public_and_upload_endpoints_stay_in_the_mode(client, live_client):
    live = live_collection(live_client)["collection"]
    assert client.get("/api/public/v2/skill-collections/live-skills").status_code == 404
    assert client.get(f"/api/skill_collections/{live['id']}?format=zip").status_code == 404
    response = client.post(
        f"/api/skill_collections/{live['id']}/versions",
        make_zip(skill_files("zipped")),
        content_type="application/zip",
    )
    assert response.status_code == 404
    assert live_client.get("/api/public/v2/skill-collections/live-skills").status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker's heartbeat has its own connection
def test_exports_hold_only_their_modes_records(client, live_client, run_worker):
    live_collection(live_client)
    post(client, "skill_collections", {"name": "mine", "root_path": "mine"})
    export = post(client, "exports", {"resource_type": "skill_collections", "includes": ["skills"]})
    run_worker()
    body = client.get(f"/api/exports/{export['id']}").json()["data"]
    assert body["attributes"]["status"] == "completed"
    assert [record["name"] for record in read_export_file(client, body)] == ["mine"]


def test_the_export_quota_counts_each_mode_separately(client, live_client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_MAX_CONCURRENT": 1}
    post(live_client, "exports", {"resource_type": "teams"})
    post(client, "exports", {"resource_type": "teams"})
    assert sorted(Export.objects.values_list("mode", flat=True)) == ["live", "test"]


def test_a_test_mode_event_never_goes_to_a_live_webhook(client, live_client):
    hook = {"topic": "skill_collections.create", "callback_url": "https://93.184.216.34/h"}
    live_hook = post(live_client, "webhooks", hook)
    test_hook = post(client, "webhooks", hook)
    post(client, "skill_collections", {"name": "mine", "root_path": "mine"})
    assert WebhookDelivery.objects.filter(webhook_id=live_hook["id"]).count() == 0
    assert WebhookDelivery.objects.filter(webhook_id=test_hook["id"]).count() == 1
    live_events = live_client.get("/api/events?filter[name]=skill_collections.create").json()
    assert live_events["data"] == []


def test_the_organization_structure_is_shared_by_both_modes(client, live_client, api_key):
    for each in (client, live_client):
        members = each.get("/api/members").json()["data"]
        assert str(api_key.member.pk) in {member["id"] for member in members}
    assert client.get("/api/organizations").json()["data"][0]["meta"]["mode"] == "test"
    assert live_client.get("/api/organizations").json()["data"][0]["meta"]["mode"] == "live"
