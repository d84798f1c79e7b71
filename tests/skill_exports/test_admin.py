"""Staff see skill exports, files and links in the admin; they can download and revoke."""

import re

import pytest

from files.models import FileLink
from tests.conftest import JsonApiClient
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import completed_export, included

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_pages_download_and_revoke(client, organization, run_worker, admin_client):
    plugin = plugin_with_skills(organization, "admin-kit", ["one-skill"])
    body = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    link_id = included(body, "file_links")["id"]
    for url in ("/admin/exports/skillexport/", "/admin/files/file/", "/admin/files/filelink/"):
        assert admin_client.get(url).status_code == 200
    page = admin_client.get(f"/admin/files/filelink/{link_id}/change/").content.decode()
    download = re.search(r'href="(/api/downloads/[^"]+)"', page).group(1)
    assert JsonApiClient().get(download).status_code == 200

    response = admin_client.post(
        "/admin/files/filelink/",
        {"action": "revoke_links", "_selected_action": [link_id]},
        follow=True,
    )
    assert response.status_code == 200
    assert FileLink.objects.get(pk=link_id).revoked_at is not None
    assert JsonApiClient().get(download).status_code == 410


def test_admin_interrupt_and_retry_actions(client, organization, run_worker, admin_client):
    from exports.models import SkillExport
    from tests.skill_exports.helpers import create_skill_export

    plugin = plugin_with_skills(organization, "retry-kit", ["one-skill"])
    created = create_skill_export(client, "plugin", "skill_plugin", "skill_plugins", plugin.pk)
    export = SkillExport.objects.get(pk=created["id"])
    changelist = "/admin/exports/skillexport/"

    def act(action: str) -> None:
        response = admin_client.post(
            changelist, {"action": action, "_selected_action": [export.pk]}
        )
        assert response.status_code == 302
        export.refresh_from_db()

    act("interrupt")
    assert export.status == "failed"
    assert export.error == "Interrupted: Interrupted by an administrator."
    run_worker()  # the queued run finds it failed and leaves it so
    export.refresh_from_db()
    assert export.status == "failed" and export.file_id is None

    act("retry")
    assert (export.status, export.error, export.completed_at) == ("pending", "", None)
    run_worker()  # the retry was queued for the real worker
    export.refresh_from_db()
    assert export.status == "completed" and export.file_id and export.file_link_id

    act("retry")  # only failed exports are retried
    act("interrupt")  # only pending or running ones are interrupted
    assert export.status == "completed"
    events = client.get(f"/api/skill_exports/{export.pk}/events?page[size]=50").json()["data"]
    names = sorted(event["attributes"]["name"] for event in events)
    assert names.count("skill_exports.failed") == 1
    assert names.count("skill_exports.completed") == 1
