import io
import zipfile

import pytest

from tests.conftest import JsonApiClient
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_client(db):
    return JsonApiClient()


@pytest.fixture
def collection(organization, api_key):
    return SkillCollectionFactory(
        organization=organization,
        name="support",
        root_path=".claude/skills",
        folder_id=42,
        created_by=api_key.member,
    )


def test_envelope_field_by_field(public_client, api_key, collection):
    files = {**skill_files("pdf-tools"), "bin/data.bin": b"\xff\x00\xfe"}
    version = create_version(collection, files, commit_message="ship", release_label="prod")
    collection.refresh_from_db()
    response = public_client.get(
        "/api/public/v2/skill-collections/support", HTTP_X_API_KEY=api_key.raw_key
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["success", "skill_collection", "files", "version"]
    assert body["success"] is True
    assert body["skill_collection"] == {
        "id": str(collection.pk),
        "workspace_id": str(collection.organization_id),
        "folder_id": 42,
        "root_path": ".claude/skills",
        "name": "support",
        "provider": "claude",
        "is_deleted": False,
        "created_by": str(api_key.member_id),
        "created_at": collection.created_at.isoformat().replace("+00:00", "Z"),
        "updated_by": str(api_key.member_id),
        "updated_at": collection.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert body["version"] == {
        "id": str(version.pk),
        "skill_collection_id": str(collection.pk),
        "workspace_id": str(collection.organization_id),
        "number": 1,
        "root_path_at_version": ".claude/skills",
        "provider": "claude",
        "file_paths": sorted(files),
        "commit_message": "ship",
        "release_label": "prod",
        "archived": False,
        "created_by": str(api_key.member_id),
        "user_email": api_key.member.email,
        "created_at": version.created_at.isoformat().replace("+00:00", "Z"),
    }
    expected = {path: content for path, content in files.items() if isinstance(content, str)}
    expected["bin/data.bin"] = {"base64": "/wD+"}
    assert body["files"] == expected


@pytest.mark.parametrize("identifier", ["uuid", "support", ".claude/skills", ".claude%2Fskills"])
def test_identifiers_and_pins(public_client, api_key, collection, identifier):
    first = create_version(collection, release_label="prod")
    create_version(collection)
    identifier = str(collection.pk) if identifier == "uuid" else identifier
    url = f"/api/public/v2/skill-collections/{identifier}"
    assert public_client.get(url, HTTP_X_API_KEY=api_key.raw_key).json()["version"]["number"] == 2
    pinned = public_client.get(f"{url}?label=prod", HTTP_X_API_KEY=api_key.raw_key).json()
    assert pinned["version"]["id"] == str(first.pk)
    assert (
        public_client.get(f"{url}?version=1", HTTP_X_API_KEY=api_key.raw_key).json()["version"][
            "number"
        ]
        == 1
    )


def test_zip_format(public_client, api_key, collection):
    create_version(collection, skill_files("pdf-tools"))
    response = public_client.get(
        "/api/public/v2/skill-collections/support?format=zip", HTTP_X_API_KEY=api_key.raw_key
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert sorted(archive.namelist()) == sorted(skill_files("pdf-tools"))


@pytest.mark.parametrize(
    ("query", "status"), [("?version=1&label=x", 400), ("?version=x", 400), ("?version=5", 404)]
)
def test_errors(public_client, api_key, collection, query, status):
    create_version(collection)
    response = public_client.get(
        f"/api/public/v2/skill-collections/support{query}", HTTP_X_API_KEY=api_key.raw_key
    )
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["message"]


def test_needs_a_key_and_respects_tenancy(public_client, other_api_key, collection):
    assert public_client.get("/api/public/v2/skill-collections/support").status_code == 401
    response = public_client.get(
        "/api/public/v2/skill-collections/support", HTTP_X_API_KEY=other_api_key.raw_key
    )
    assert response.status_code == 404
