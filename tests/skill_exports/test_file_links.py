"""files and file_links: signed URLs that need no key, expire, refuse tampering and revocation."""

import time

import pytest

from files import services
from files.models import File, FileLink
from tests.conftest import JsonApiClient
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import completed_export, included

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def export_body(client, organization, run_worker):
    plugin = plugin_with_skills(organization, "linked", ["one-skill"])
    return completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )


def mint(client, file_id: str, **attributes):
    return client.post(
        "/api/file_links",
        {
            "data": {
                "type": "file_links",
                "attributes": attributes,
                "relationships": {"file": {"data": {"type": "files", "id": file_id}}},
            }
        },
    )


def status_of(url: str) -> int:
    return JsonApiClient().get(url).status_code


def test_mint_a_link_and_download_without_a_key(client, export_body):
    file_id = included(export_body, "files")["id"]
    response = mint(client, file_id, expires_in=600)
    assert response.status_code == 201, response.json()
    link = response.json()["data"]
    assert link["relationships"]["file"]["data"] == {"type": "files", "id": file_id}
    assert status_of(link["attributes"]["url"]) == 200
    assert "expires_in" not in link["attributes"]


def test_expired_link_is_refused(client, export_body):
    link = mint(client, included(export_body, "files")["id"], expires_in=1).json()["data"]
    time.sleep(1.5)
    response = JsonApiClient().get(link["attributes"]["url"])
    assert response.status_code == 410
    assert response.json()["errors"][0]["code"] == "link_expired"


def test_tampered_link_is_refused(export_body):
    url = included(export_body, "file_links")["attributes"]["url"]
    token_start = url.rindex("/") + 1
    tampered = (
        url[: token_start + 5]
        + ("A" if url[token_start + 5] != "A" else "B")
        + url[token_start + 6 :]
    )
    response = JsonApiClient().get(tampered)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invalid_signature"


def test_revoked_link_stops_at_once(export_body):
    link = included(export_body, "file_links")
    url = link["attributes"]["url"]
    assert status_of(url) == 200
    services.revoke_links(FileLink.objects.filter(pk=link["id"]))
    response = JsonApiClient().get(url)
    assert response.status_code == 410
    assert response.json()["errors"][0]["code"] == "link_revoked"


def test_deleted_file_cannot_get_new_links(client, export_body):
    file = File.objects.get(pk=included(export_body, "files")["id"])
    services.delete_file(file)
    response = mint(client, str(file.pk))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/relationships/file"
    assert client.get(f"/api/files/{file.pk}").json()["data"]["attributes"]["status"] == "deleted"


@pytest.mark.parametrize("expires_in", [0, -5, 10**9, "soon"])
def test_bad_expires_in_is_422(client, export_body, expires_in):
    response = mint(client, included(export_body, "files")["id"], expires_in=expires_in)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/expires_in"


def test_files_and_links_are_tenant_scoped(client, other_client, export_body):
    file_id = included(export_body, "files")["id"]
    link_id = included(export_body, "file_links")["id"]
    assert other_client.get(f"/api/files/{file_id}").status_code == 404
    assert other_client.get(f"/api/file_links/{link_id}").status_code == 404
    assert other_client.get("/api/files").json()["data"] == []
    response = mint(other_client, file_id)
    assert response.status_code == 422
    assert client.get("/api/files").json()["meta"]["record_count"] == 1
