"""The registry and the exports adopt the audit trail: CRUD events, status events, webhooks."""

import json

import pytest
from django.core.management import call_command

from events.models import Event
from exports.bulk import services as export_services
from exports.models import Export
from tests.events.factories import WebhookFactory
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import create_skill_export

pytestmark = pytest.mark.django_db(transaction=True)


def event_names(client, path: str) -> list[str]:
    response = client.get(f"{path}/events?page[size]=100")
    assert response.status_code == 200, response.json()
    return sorted(item["attributes"]["name"] for item in response.json()["data"])


def test_skill_collection_changes_are_audited(client, organization):
    created = client.post(
        "/api/skill_collections",
        {
            "data": {
                "type": "skill_collections",
                "attributes": {"name": "support", "root_path": ".claude/skills"},
            }
        },
    ).json()["data"]
    path = f"/api/skill_collections/{created['id']}"
    response = client.patch(
        path,
        {
            "data": {
                "type": "skill_collections",
                "id": created["id"],
                "attributes": {"name": "helpdesk"},
            }
        },
    )
    assert response.status_code == 200, response.json()
    relationships = response.json()["data"]["relationships"]
    # `versions` are the content versions here; the audit trail is `audit_versions`.
    assert relationships["audit_versions"]["links"]["related"].endswith("/audit_versions")
    assert relationships["versions"]["links"]["related"].endswith("/versions")
    assert event_names(client, path) == ["skill_collections.create", "skill_collections.update"]
    audit = client.get(f"{path}/audit_versions").json()["data"]
    update = next(item["attributes"] for item in audit if item["attributes"]["event"] == "update")
    assert update["changes"]["name"] == ["support", "helpdesk"]
    assert update["who"]["id"] == str(client.api_key.member.pk)


def test_export_status_changes_are_events(client, organization, run_worker):
    created = client.post(
        "/api/exports", {"data": {"type": "exports", "attributes": {"resource_type": "members"}}}
    ).json()["data"]
    run_worker()
    path = f"/api/exports/{created['id']}"
    assert client.get(path).json()["data"]["attributes"]["status"] == "completed"
    assert event_names(client, path) == ["exports.completed", "exports.create", "exports.start"]
    versions = client.get(f"{path}/versions").json()["data"]
    changes = [item["attributes"]["changes"].get("status") for item in versions]
    assert ["pending", "in_progress"] in changes
    assert ["in_progress", "completed"] in changes


def test_interrupting_an_export_is_an_event(client, organization):
    created = client.post(
        "/api/exports", {"data": {"type": "exports", "attributes": {"resource_type": "teams"}}}
    ).json()["data"]
    assert export_services.interrupt_export(Export.objects.get(pk=created["id"]))
    assert "exports.interrupt" in event_names(client, f"/api/exports/{created['id']}")


def test_skill_export_completion_reaches_a_webhook(
    client, organization, run_worker, receiver, no_backoff
):
    WebhookFactory(
        organization=organization, callback_url=receiver.url, topic="skill_exports.completed"
    )
    plugin = plugin_with_skills(organization, "hooked", ["one-skill"])
    created = create_skill_export(client, "plugin", "skill_plugin", "skill_plugins", plugin.pk)
    run_worker()
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    [delivery] = receiver.requests
    payload = json.loads(delivery.body)
    assert payload["data"]["type"] == "skill_exports"
    assert payload["data"]["id"] == created["id"]
    assert payload["meta"]["event"]["name"] == "skill_exports.completed"
    assert Event.objects.filter(name="skill_exports.start").exists()
