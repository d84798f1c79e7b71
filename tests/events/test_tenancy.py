"""An organization sees only its own events, versions, webhooks and deliveries."""

import pytest
from django.core.management import call_command
from standardwebhooks import Webhook as StandardWebhook

from events.models import Event, EventCallback, EventStore, Version
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_webhook_never_receives_another_organizations_events(
    receiver, no_backoff, organization, other_api_key
):
    mine = WebhookFactory(organization=organization, callback_url=receiver.url)
    theirs = WebhookFactory(organization=other_api_key.organization, callback_url=receiver.url)
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115

    [request] = receiver.requests
    StandardWebhook(mine.shared_secret).verify(request.body, request.headers)
    assert not theirs.deliveries.exists()
    assert not EventCallback.objects.filter(webhook=theirs).exists()


def test_events_are_recorded_in_the_subjects_organization(organization, other_api_key):
    team = TeamFactory(organization=other_api_key.organization)
    for model in (Event, Version, EventStore):
        rows = model.objects.filter(resource_id=str(team.pk))
        # A team is account-level, so its audit trail is recorded in both modes.
        assert sorted(row.mode for row in rows) == ["live", "test"]
        assert {row.organization_id for row in rows} == {team.organization_id}


@pytest.mark.parametrize("type_name", ["events", "versions", "event_stores"])
def test_another_organizations_audit_rows_are_404_and_unlisted(
    client, other_client, organization, type_name
):
    team = TeamFactory(organization=organization)
    mine = client.get(f"/api/{type_name}?filter[resource_id]={team.pk}").json()["data"]
    assert len(mine) == 1
    assert other_client.get(f"/api/{type_name}?filter[resource_type]=teams").json()["data"] == []
    response = other_client.get(f"/api/{type_name}/{mine[0]['id']}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_another_organizations_webhooks_are_404(client, other_client, organization):
    webhook = WebhookFactory(organization=organization)
    assert other_client.get("/api/webhooks").json()["data"] == []
    url = f"/api/webhooks/{webhook.pk}"
    assert other_client.get(url).status_code == 404
    assert other_client.delete(url).status_code == 404
    assert other_client.get(f"{url}/event_callbacks").status_code == 404
    patch = {"data": {"type": "webhooks", "id": str(webhook.pk), "attributes": {"name": "x"}}}
    assert other_client.patch(url, patch).status_code == 404
    assert client.get(url).status_code == 200


def test_another_organizations_team_audit_relationships_are_404(other_client, organization):
    team = TeamFactory(organization=organization)
    assert other_client.get(f"/api/teams/{team.pk}/events").status_code == 404
    assert other_client.get(f"/api/teams/{team.pk}/relationships/versions").status_code == 404
