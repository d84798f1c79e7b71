"""Deliveries to a real HTTP receiver on loopback: signing, retries, circuit, leases."""

import json
import time

import pytest
from django.core.management import call_command
from django.test import override_settings
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from events import services
from events.models import EventCallback, WebhookDelivery, new_shared_secret
from tests.events.api import patch_webhook
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def sweep() -> None:
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115


def rename(team, name: str) -> None:
    team.name = name
    team.save()


def test_delivery_is_signed_and_carries_the_subject(receiver, no_backoff, organization):
    webhook = WebhookFactory(
        organization=organization, callback_url=receiver.url, include_resources=["members"]
    )
    team = TeamFactory(organization=organization, name="Core")
    rename(team, "Platform")
    sweep()

    [request] = receiver.requests
    payload = StandardWebhook(webhook.shared_secret).verify(request.body, request.headers)
    assert payload["data"]["type"] == "teams"
    assert payload["data"]["id"] == str(team.pk)
    assert payload["data"]["attributes"]["name"] == "Platform"
    assert payload["data"]["links"]["self"] == f"http://localhost:8000/api/teams/{team.pk}"
    assert payload["included"] == []
    assert payload["meta"]["event"]["name"] == "teams.update"
    assert payload["meta"]["event"]["changes"] == {"name": ["Core", "Platform"]}
    assert request.headers["Webhook-Id"] == str(WebhookDelivery.objects.get().pk)
    [callback] = EventCallback.objects.all()
    assert (callback.response_code, callback.response_message) == (200, "ok")
    assert callback.payload == payload


def test_a_wrong_secret_does_not_verify(receiver, no_backoff, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url)
    rename(TeamFactory(organization=organization), "x")
    sweep()
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(new_shared_secret()).verify(request.body, request.headers)


def test_failing_receiver_gets_the_same_event_when_it_is_back(
    client, receiver, no_backoff, organization
):
    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    receiver.statuses = [500, 503]
    team = TeamFactory(organization=organization, name="A")
    rename(team, "B")
    for _ in range(3):
        sweep()
    sweep()  # nothing is left to send

    assert len(receiver.requests) == 3
    assert len({r.headers["Webhook-Id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        StandardWebhook(webhook.shared_secret).verify(request.body, request.headers)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)

    log = client.get(f"/api/webhooks/{webhook.pk}/event_callbacks").json()["data"]
    assert [c["attributes"]["response_code"] for c in log] == [200, 503, 500]
    assert log[-1]["attributes"]["response_message"] == "receiver is down"
    assert log[-1]["relationships"]["event"]["data"]["id"] == str(delivery.event_id)
    webhook.refresh_from_db()
    assert webhook.circuit_failure_count == 0


def test_retries_wait_for_the_backoff(receiver, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url)
    receiver.statuses = [500]
    rename(TeamFactory(organization=organization), "x")
    with override_settings(SKILLPORT_WEBHOOKS={"BACKOFF_BASE": 60}):
        sweep()
        sweep()
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    wait = (delivery.next_attempt_at - EventCallback.objects.get().created_at).total_seconds()
    assert 29 <= wait <= 61


def test_backoff_grows_exponentially_with_jitter():
    with override_settings(SKILLPORT_WEBHOOKS={"BACKOFF_BASE": 10, "BACKOFF_MAX": 100}):
        delays = [services.backoff_delay(attempt) for attempt in (1, 2, 3, 4, 10)]
    assert 5 <= delays[0] <= 10
    assert 10 <= delays[1] <= 20
    assert 20 <= delays[2] <= 40
    assert 40 <= delays[3] <= 80
    assert 50 <= delays[4] <= 100


def test_circuit_opens_after_consecutive_failures_and_reset_sends_everything(
    client, receiver, no_backoff, organization
):
    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    receiver.statuses = [500, 500, 500]
    team = TeamFactory(organization=organization)
    rename(team, "first")
    for _ in range(5):
        sweep()
    webhook.refresh_from_db()
    assert (webhook.circuit_state, webhook.circuit_failure_count) == ("open", 3)
    assert len(receiver.requests) == 3

    rename(team, "second")  # recorded while the circuit is open: it waits
    sweep()
    assert len(receiver.requests) == 3

    response = patch_webhook(client, webhook, circuit_state="closed")
    assert response.json()["data"]["attributes"]["circuit_state"] == "closed"
    sweep()
    names = [json.loads(r.body)["meta"]["event"]["changes"]["name"][1] for r in receiver.requests]
    assert sorted(names[3:]) == ["first", "second"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_worker_dying_mid_delivery_does_not_lose_it(receiver, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url)
    rename(TeamFactory(organization=organization), "x")
    delivery = WebhookDelivery.objects.get()
    with override_settings(SKILLPORT_WEBHOOKS={"LEASE_SECONDS": 0.3}):
        assert services._claim(delivery.pk) is not None  # ...and the worker dies here
        sweep()
        assert receiver.requests == []  # the lease still holds it
        time.sleep(0.4)
        sweep()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_unreachable_receiver_is_a_logged_failure(no_backoff, allow_private, organization):
    webhook = WebhookFactory(organization=organization, callback_url="http://127.0.0.1:9/x")
    rename(TeamFactory(organization=organization), "x")
    sweep()
    [callback] = EventCallback.objects.all()
    assert callback.response_code is None
    assert "refused" in callback.response_message.lower()
    webhook.refresh_from_db()
    assert webhook.circuit_failure_count == 1


def test_private_callback_is_not_called_when_not_allowed(no_backoff, organization, settings):
    WebhookFactory(organization=organization, callback_url="http://127.0.0.1:9/x")
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False
    rename(TeamFactory(organization=organization), "x")
    sweep()
    [callback] = EventCallback.objects.all()
    assert "private" in callback.response_message


def test_destroyed_subject_is_sent_from_its_last_values(receiver, no_backoff, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url, topic="teams.destroy")
    team = TeamFactory(organization=organization, name="Gone")
    team_id = str(team.pk)
    team.delete()
    sweep()
    payload = json.loads(receiver.requests[0].body)
    assert payload["data"]["id"] == team_id
    assert payload["data"]["attributes"]["name"] == "Gone"
    assert payload["meta"]["event"]["name"] == "teams.destroy"


def test_only_the_topic_is_delivered(receiver, no_backoff, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url, topic="teams.destroy")
    rename(TeamFactory(organization=organization), "x")
    sweep()
    assert receiver.requests == []


def test_event_enqueues_its_delivery_on_commit(organization, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    WebhookFactory(organization=organization)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rename(TeamFactory(organization=organization), "x")
    assert len(callbacks) == 1
    delivery = WebhookDelivery.objects.get()
    assert DBTaskResult.objects.filter(args_kwargs__args=[str(delivery.pk)]).count() == 1


def test_sweep_can_hand_stale_deliveries_to_the_workers(organization):
    from django_tasks_db.models import DBTaskResult

    WebhookFactory(organization=organization)
    rename(TeamFactory(organization=organization), "x")
    with override_settings(SKILLPORT_WEBHOOKS={"STALE_AFTER": 0}):
        call_command("scheduler", "--once", "--only", "webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert DBTaskResult.objects.count() == 1


def test_a_slow_receiver_times_out_and_is_retried(receiver, organization):
    import threading

    receiver.hold = threading.Event()
    WebhookFactory(organization=organization, callback_url=receiver.url)
    rename(TeamFactory(organization=organization), "x")
    with override_settings(SKILLPORT_WEBHOOKS={"TIMEOUT": 0.3, "BACKOFF_BASE": 0}):
        sweep()
        receiver.hold.set()
        [callback] = EventCallback.objects.all()
        assert callback.response_code is None
        assert "timed out" in callback.response_message
        sweep()
    assert WebhookDelivery.objects.get().status == "delivered"


def test_an_open_circuit_is_probed_after_its_cooldown(receiver, organization):
    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    receiver.statuses = [500, 500]
    team = TeamFactory(organization=organization)
    fast = {"BACKOFF_BASE": 0, "CIRCUIT_THRESHOLD": 2}
    with override_settings(SKILLPORT_WEBHOOKS={**fast, "CIRCUIT_COOLDOWN": 3600}):
        rename(team, "one")
        rename(team, "two")
        sweep()
        sweep()
        webhook.refresh_from_db()
        assert webhook.circuit_state == "open"
        sweep()  # still cooling down: nothing is tried
        assert len(receiver.requests) == 2
    with override_settings(SKILLPORT_WEBHOOKS={**fast, "CIRCUIT_COOLDOWN": 0}):
        sweep()  # the probe succeeds: the circuit closes and what waited goes out
        sweep()
    webhook.refresh_from_db()
    assert (webhook.circuit_state, webhook.circuit_failure_count) == ("closed", 0)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert len(receiver.requests) == 4


def test_a_failed_probe_keeps_the_circuit_open(receiver, organization):
    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    receiver.statuses = [500, 500]
    fast = {"BACKOFF_BASE": 0, "CIRCUIT_THRESHOLD": 1, "CIRCUIT_COOLDOWN": 0}
    with override_settings(SKILLPORT_WEBHOOKS=fast):
        rename(TeamFactory(organization=organization), "x")
        sweep()
        sweep()
    webhook.refresh_from_db()
    assert (webhook.circuit_state, webhook.circuit_failure_count) == ("open", 2)
    assert len(receiver.requests) == 2


def test_a_paused_circuit_is_never_probed(client, receiver, organization):
    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    patch_webhook(client, webhook, circuit_state="open")
    rename(TeamFactory(organization=organization), "x")
    with override_settings(SKILLPORT_WEBHOOKS={"CIRCUIT_COOLDOWN": 0}):
        sweep()
    assert receiver.requests == []


def test_a_change_through_the_api_is_delivered_with_its_actor(
    client, api_key, receiver, no_backoff, organization
):
    webhook = WebhookFactory(
        organization=organization, callback_url=receiver.url, topic="webhooks.update"
    )
    assert patch_webhook(client, webhook, name="renamed").status_code == 200
    sweep()
    [request] = receiver.requests
    payload = StandardWebhook(webhook.shared_secret).verify(request.body, request.headers)
    assert payload["data"]["attributes"]["name"] == "renamed"
    assert "shared_secret" not in payload["data"]["attributes"]
    assert payload["data"]["meta"]["mode"] == "test"
    assert payload["meta"]["event"]["who"]["id"] == str(api_key.member.pk)
