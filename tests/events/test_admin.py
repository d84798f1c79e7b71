"""Django admin: audit rows read-only, webhooks with their delivery log, and the actions."""

import pytest

from events.models import Event, Version, Webhook, WebhookDelivery
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_events_and_versions_are_read_only(admin_client, organization):
    team = TeamFactory(organization=organization)
    # A team is account-level: its audit rows exist once per mode.
    event = Event.objects.get(resource_id=str(team.pk), mode="test")
    version = Version.objects.get(resource_id=str(team.pk), mode="test")
    assert admin_client.get("/admin/events/event/").status_code == 200
    assert admin_client.get("/admin/events/version/").status_code == 200
    page = admin_client.get(f"/admin/events/event/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.get("/admin/events/event/add/").status_code == 403
    assert admin_client.post(f"/admin/events/version/{version.pk}/delete/").status_code == 403


def test_webhook_page_shows_its_delivery_log(admin_client, receiver, no_backoff, organization):
    from django.core.management import call_command

    webhook = WebhookFactory(organization=organization, callback_url=receiver.url)
    team = TeamFactory(organization=organization)
    team.name = "changed"
    team.save()
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = admin_client.get(f"/admin/events/webhook/{webhook.pk}/change/")
    assert page.status_code == 200
    assert b"teams.update" in page.content  # the inline delivery log names the event
    assert b"200" in page.content


def test_redeliver_action_queues_the_event_again(admin_client, organization):
    webhook = WebhookFactory(organization=organization)
    team = TeamFactory(organization=organization)
    team.name = "changed"
    team.save()
    WebhookDelivery.objects.update(status="delivered")
    event = Event.objects.get(name="teams.update", mode="test")
    response = admin_client.post(
        "/admin/events/event/", {"action": "redeliver", "_selected_action": [event.pk]}
    )
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(webhook=webhook, event=event)
    assert delivery.status == "pending"


def test_reset_circuit_action_closes_it(admin_client, organization, admin_user):
    webhook = WebhookFactory(organization=organization, circuit_state="open")
    response = admin_client.post(
        "/admin/events/webhook/", {"action": "reset_circuit", "_selected_action": [webhook.pk]}
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.circuit_state == "closed"
    version = Version.objects.filter(resource_id=str(webhook.pk)).first()
    assert version.changes == {"circuit_state": ["open", "closed"]}
    assert version.who == {"type": "staff", "id": str(admin_user.pk), "username": "admin"}


def test_staff_changes_are_attributed_to_staff(admin_client, organization, admin_user):
    webhook = WebhookFactory(organization=organization, name="old")
    form = {
        "organization": organization.pk,
        "name": "new",
        "topic": webhook.topic,
        "callback_url": webhook.callback_url,
        "include_resources": "[]",
        "event_callbacks-TOTAL_FORMS": "0",
        "event_callbacks-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/events/webhook/{webhook.pk}/change/", form)
    assert response.status_code == 302, response.content
    version = Version.objects.filter(resource_id=str(webhook.pk)).first()
    assert version.changes == {"name": ["old", "new"]}
    assert version.who["type"] == "staff"
    assert version.who["username"] == admin_user.username


def test_admin_refuses_private_callback_urls(admin_client, organization, settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False
    form = {
        "organization": organization.pk,
        "name": "x",
        "topic": "teams.create",
        "callback_url": "http://169.254.169.254/",
        "include_resources": "[]",
        "event_callbacks-TOTAL_FORMS": "0",
        "event_callbacks-INITIAL_FORMS": "0",
    }
    response = admin_client.post("/admin/events/webhook/add/", form)
    assert response.status_code == 200
    assert b"private" in response.content
    assert not Webhook.objects.exists()
