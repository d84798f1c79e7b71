"""Staff see skill exports, files and links in the admin; they can download and revoke."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from files.models import FileLink
from tests.conftest import JsonApiClient
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import completed_export, included

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff():
    User.objects.create_superuser("staff", "staff@example.com", "pw")
    browser = Client()
    browser.login(username="staff", password="pw")
    return browser


def test_admin_pages_download_and_revoke(client, organization, run_worker, staff):
    plugin = plugin_with_skills(organization, "admin-kit", ["one-skill"])
    body = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    link_id = included(body, "file_links")["id"]
    for url in ("/admin/exports/skillexport/", "/admin/files/file/", "/admin/files/filelink/"):
        assert staff.get(url).status_code == 200
    page = staff.get(f"/admin/files/filelink/{link_id}/change/").content.decode()
    download = re.search(r'href="(/api/downloads/[^"]+)"', page).group(1)
    assert JsonApiClient().get(download).status_code == 200

    response = staff.post(
        "/admin/files/filelink/",
        {"action": "revoke_links", "_selected_action": [link_id]},
        follow=True,
    )
    assert response.status_code == 200
    assert FileLink.objects.get(pk=link_id).revoked_at is not None
    assert JsonApiClient().get(download).status_code == 410
