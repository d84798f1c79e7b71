"""Every create/update/destroy of a tracked model leaves an event and an audit version."""

import pytest

from events.context import acting_as
from events.models import Event, EventStore, Version
from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [item["attributes"]["name"] for item in response.json()["data"]]


def test_create_update_destroy_are_events_and_versions(client, organization):
    team = TeamFactory(organization=organization, name="Core")
    team.name = "Platform"
    team.save()
    team_id = str(team.pk)
    team.delete()

    events = client.get(f"/api/events?filter[resource_id]={team_id}&sort=created_at")
    assert events.status_code == 200
    assert _names(events) == ["teams.create", "teams.update", "teams.destroy"]

    versions = client.get(
        f"/api/versions?filter[resource_type]=teams&filter[resource_id]={team_id}&sort=created_at"
    )
    create, update, destroy = versions.json()["data"]
    assert [v["attributes"]["event"] for v in (create, update, destroy)] == [
        "create",
        "update",
        "destroy",
    ]
    assert update["attributes"]["changes"] == {"name": ["Core", "Platform"]}
    assert create["attributes"]["changes"]["slug"] == [None, team.slug]
    assert destroy["attributes"]["changes"]["name"] == ["Platform", None]
    assert update["attributes"]["resource_type"] == "teams"


def test_save_without_changes_records_nothing(organization):
    team = TeamFactory(organization=organization)
    team.save()
    assert Event.objects.filter(resource_id=str(team.pk), mode="test").count() == 1


def test_excluded_fields_are_not_audited(organization):
    team = TeamFactory(organization=organization)
    team.save(update_fields=["updated_at"])  # only updated_at moves, and it is excluded
    assert Version.objects.filter(resource_id=str(team.pk), event="update").count() == 0


def test_event_has_subject_relationship_with_related_link(client, organization):
    team = TeamFactory(organization=organization)
    event = client.get("/api/events?filter[name]=teams.create").json()["data"][0]
    subject = event["relationships"]["subject"]
    assert subject["data"] == {"type": "teams", "id": str(team.pk)}
    assert subject["links"]["related"] == f"http://testserver/api/teams/{team.pk}"
    assert client.get(subject["links"]["related"]).json()["data"]["id"] == str(team.pk)


def test_event_store_is_behind_events_and_versions(client, organization):
    team = TeamFactory(organization=organization)
    event = client.get(f"/api/events?filter[resource_id]={team.pk}").json()["data"][0]
    store_link = event["relationships"]["event_store"]
    store = client.get(store_link["links"]["related"]).json()["data"]
    assert store["type"] == "event_stores"
    assert store["attributes"]["name"] == "teams.create"
    assert store["id"] == store_link["data"]["id"]
    assert EventStore.objects.filter(resource_id=str(team.pk), mode="test").count() == 1


def test_tracked_resource_has_events_versions_event_stores_relationships(client, organization):
    team = TeamFactory(organization=organization, name="A")
    team.name = "B"
    team.save()
    data = client.get(f"/api/teams/{team.pk}").json()["data"]
    for name in ("events", "versions", "event_stores"):
        links = data["relationships"][name]["links"]
        assert links["self"] == f"http://testserver/api/teams/{team.pk}/relationships/{name}"
        assert links["related"] == f"http://testserver/api/teams/{team.pk}/{name}"
    related = client.get(f"/api/teams/{team.pk}/versions").json()
    assert [v["attributes"]["event"] for v in related["data"]] == ["update", "create"]
    assert related["meta"]["record_count"] == 2
    events = client.get(f"/api/teams/{team.pk}/relationships/events").json()
    assert {item["type"] for item in events["data"]} == {"events"}
    assert len(events["data"]) == 2


def test_who_is_the_member_behind_the_api_key(client, api_key):
    response = client.post(
        "/api/webhooks",
        {
            "data": {
                "type": "webhooks",
                "attributes": {
                    "name": "before",
                    "topic": "teams.create",
                    "callback_url": "https://93.184.216.34/h",
                },
            }
        },
    )
    webhook_id = response.json()["data"]["id"]
    client.patch(
        f"/api/webhooks/{webhook_id}",
        {"data": {"type": "webhooks", "id": webhook_id, "attributes": {"name": "after"}}},
    )
    versions = client.get(f"/api/webhooks/{webhook_id}/versions").json()["data"]
    update = versions[0]["attributes"]
    assert update["changes"] == {"name": ["before", "after"]}
    assert update["who"] == {
        "type": "members",
        "id": str(api_key.member.pk),
        "email": api_key.member.email,
        "name": api_key.member.name,
        "mode": "test",
    }
    assert "shared_secret" not in versions[1]["attributes"]["changes"]


def test_who_can_be_set_for_workers_and_scripts(organization):
    member = MemberFactory(organization=organization)
    with acting_as(member):
        team = TeamFactory(organization=organization)
    version = Version.objects.get(resource_id=str(team.pk), mode="test")
    assert version.who["id"] == str(member.pk)


def test_a_failed_write_leaves_no_event(client, organization):
    """The event rows are written in the request's transaction (ATOMIC_REQUESTS)."""
    response = client.post(
        "/api/webhooks",
        {"data": {"type": "webhooks", "attributes": {"topic": "nope", "callback_url": "x"}}},
    )
    assert response.status_code == 422
    assert not Event.objects.filter(name="webhooks.create").exists()


def test_many_to_many_edits_are_audited(client, organization):
    member = MemberFactory(organization=organization)
    first, second = TeamFactory(organization=organization), TeamFactory(organization=organization)
    member.teams.add(first)
    member.teams.add(second)
    member.teams.remove(first)
    versions = client.get(f"/api/members/{member.pk}/versions").json()["data"]
    changes = [v["attributes"]["changes"] for v in versions if v["attributes"]["event"] == "update"]
    both = sorted([str(first.pk), str(second.pk)])
    assert changes == [
        {"teams": [both, [str(second.pk)]]},
        {"teams": [[str(first.pk)], both]},
        {"teams": [[], [str(first.pk)]]},
    ]


def test_the_store_is_append_only(organization):
    team = TeamFactory(organization=organization)
    for model in (EventStore, Event, Version):
        row = model.objects.get(resource_id=str(team.pk), mode="test")
        with pytest.raises(TypeError, match="append-only"):
            row.save()
        with pytest.raises(TypeError, match="append-only"):
            row.delete()


def test_deleting_an_organization_takes_its_audit_trail(organization):
    TeamFactory(organization=organization)
    organization.delete()
    assert not EventStore.objects.exists()
    assert not Event.objects.exists()
