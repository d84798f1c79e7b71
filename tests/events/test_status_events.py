"""Status changes made with QuerySet.update() are recorded explicitly with record_event."""

import json

import pytest
from django.core.management import call_command
from django.db import transaction

from events import services
from events.models import Version, Webhook
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_status_change_through_queryset_update_is_recorded(
    client, receiver, no_backoff, organization, status_topic
):
    WebhookFactory(organization=organization, callback_url=receiver.url, topic=status_topic)
    team = TeamFactory(organization=organization, name="Live")
    with transaction.atomic():
        type(team).objects.filter(pk=team.pk).update(name="Archived")
        services.record_event(
            team, "archived", changes={"name": ["Live", "Archived"]}, who="worker"
        )
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115

    events = client.get(f"/api/teams/{team.pk}/events").json()["data"]
    assert [e["attributes"]["name"] for e in events] == ["teams.archived", "teams.create"]
    version = client.get(f"/api/teams/{team.pk}/versions").json()["data"][0]["attributes"]
    assert version["event"] == "update"
    assert version["changes"] == {"name": ["Live", "Archived"]}
    assert version["who"] == {"type": "system", "name": "worker"}
    assert json.loads(receiver.requests[0].body)["meta"]["event"]["name"] == "teams.archived"


def test_record_event_refuses_unknown_topics(organization):
    team = TeamFactory(organization=organization)
    with pytest.raises(ValueError, match="not a registered topic"):
        services.record_event(team, "exploded")
    with pytest.raises(ValueError, match="not tracked"):
        services.record_event(Webhook.CircuitState, "x")


def test_a_status_change_without_changes_still_has_an_audit_version(organization, status_topic):
    team = TeamFactory(organization=organization)
    services.record_event(team, status_topic)
    version = Version.objects.filter(resource_id=str(team.pk)).first()
    assert (version.event, version.changes, version.who) == ("update", {}, None)
