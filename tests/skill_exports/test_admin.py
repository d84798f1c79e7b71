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
