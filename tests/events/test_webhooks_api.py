"""Webhook CRUD: topics, callback URL safety, the secret shown once, circuit reset."""

import base64

import pytest

from events.models import Webhook
from tests.events.api import patch_webhook
from tests.events.factories import WebhookFactory

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"


def _create(client, **attributes):
    attributes = {"topic": "teams.create", "callback_url": PUBLIC_URL, **attributes}
    return client.post("/api/webhooks", {"data": {"type": "webhooks", "attributes": attributes}})


def _pointer_errors(response) -> dict[str, str]:
    return {e["source"]["pointer"]: e["detail"] for e in response.json()["errors"]}


def test_create_returns_standard_webhooks_secret_once(client, organization):
    response = _create(client, name="Teams", include_resources=["members"])
    assert response.status_code == 201
    data = response.json()["data"]
    assert response["Location"].endswith(f"/api/webhooks/{data['id']}")
    attributes = data["attributes"]
    secret = attributes["shared_secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert attributes["circuit_state"] == "closed"
    assert attributes["circuit_failure_count"] == 0
    assert attributes["include_resources"] == ["members"]
    assert Webhook.objects.get(pk=data["id"]).organization == organization

    shown = client.get(f"/api/webhooks/{data['id']}").json()["data"]["attributes"]
    assert "shared_secret" not in shown
    listed = client.get("/api/webhooks").json()["data"][0]["attributes"]
    assert "shared_secret" not in listed


def test_unknown_topic_is_422_with_pointer(client):
    response = _create(client, topic="teams.exploded")
    assert response.status_code == 422
    assert "/data/attributes/topic" in _pointer_errors(response)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://93.184.216.34/hook",
        "https://user:pass@93.184.216.34/hook",
    ],
)
def test_private_or_odd_callback_urls_are_refused(client, url, settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False
    response = _create(client, callback_url=url)
    assert response.status_code == 422
    assert "/data/attributes/callback_url" in _pointer_errors(response)


def test_private_callback_urls_are_allowed_by_the_environment(client, allow_private):
    assert _create(client, callback_url="http://127.0.0.1:9/hook").status_code == 201


def test_patch_revalidates_the_callback_url(client, organization, settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False
    webhook = WebhookFactory(organization=organization)
    response = patch_webhook(client, webhook, callback_url="http://10.0.0.1/")
    assert response.status_code == 422
    assert "/data/attributes/callback_url" in _pointer_errors(response)


def test_include_resources_must_be_includable_from_the_topic(client):
    response = _create(client, include_resources=["nonsense"])
    assert response.status_code == 422
    assert "/data/attributes/include_resources" in _pointer_errors(response)


def test_patch_closed_resets_an_open_circuit(client, organization):
    webhook = WebhookFactory(
        organization=organization, circuit_state="open", circuit_failure_count=7
    )
    response = patch_webhook(client, webhook, circuit_state="closed")
    assert response.status_code == 200
    attributes = response.json()["data"]["attributes"]
    assert attributes["circuit_state"] == "closed"
    assert attributes["circuit_failure_count"] == 0


def test_failure_count_is_read_only(client, organization):
    webhook = WebhookFactory(organization=organization)
    patch_webhook(client, webhook, circuit_failure_count=9)
    webhook.refresh_from_db()
    assert webhook.circuit_failure_count == 0


def test_delete_answers_204(client, organization):
    webhook = WebhookFactory(organization=organization)
    assert client.delete(f"/api/webhooks/{webhook.pk}").status_code == 204
    assert not Webhook.objects.filter(pk=webhook.pk).exists()


def test_events_versions_are_read_only(client, organization):
    WebhookFactory(organization=organization)
    for type_name in ("events", "versions", "event_stores", "event_callbacks"):
        response = client.post(f"/api/{type_name}", {"data": {"type": type_name}})
        assert response.status_code == 405, type_name
