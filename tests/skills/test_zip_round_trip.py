import io
import random
import zipfile

import pytest

from skills.models import SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, make_zip, skill_files

pytestmark = pytest.mark.django_db


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def collection(organization):
    return SkillCollectionFactory(organization=organization, name="Support Skills")


def upload(client, collection, payload: bytes, query: str = ""):
    return client.generic(
        "POST",
        f"/api/skill_collections/{collection.pk}/versions{query}",
        payload,
        content_type="application/zip",
    )


def test_upload_then_download_is_byte_identical(client, collection):
    files = {path: content.encode() for path, content in skill_files("pdf-tools", "xlsx").items()}
    files["pdf-tools/assets/blob.bin"] = bytes(range(256)) * 64
    response = upload(client, collection, make_zip(files), "?commit_message=zip&release_label=v1")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["type"] == "skill_collection_versions"
    assert data["attributes"]["commit_message"] == "zip"
    assert data["attributes"]["release_label"] == "v1"
    assert data["attributes"]["file_paths"] == sorted(files)
    assert "files" not in data["attributes"]
    assert response["Location"].endswith(f"/api/skill_collection_versions/{data['id']}")

    download = client.get(f"/api/skill_collections/{collection.pk}?format=zip", HTTP_ACCEPT="*/*")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == 'attachment; filename="support-skills-v1.zip"'
    version = SkillCollectionVersion.objects.get(pk=data["id"])
    assert download["ETag"] == f'W/"{version.digest}"'
    with zipfile.ZipFile(io.BytesIO(streamed(download))) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == files


def test_etag_answers_304(client, collection):
    upload(client, collection, make_zip(skill_files("pdf-tools")))
    first = client.get(f"/api/skill_collections/{collection.pk}?format=zip")
    again = client.get(
        f"/api/skill_collections/{collection.pk}?format=zip", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_zip_pins_version_and_label(client, collection):
    upload(
        client,
        collection,
        make_zip({"a/SKILL.md": "---\nname: a\ndescription: A\n---\n"}),
        "?release_label=old",
    )
    upload(client, collection, make_zip(skill_files("pdf-tools")))
    for query in ("version=1", "label=old"):
        response = client.get(f"/api/skill_collections/{collection.pk}?format=zip&{query}")
        with zipfile.ZipFile(io.BytesIO(streamed(response))) as archive:
            assert archive.namelist() == ["a/SKILL.md"]
        assert response["Content-Disposition"].endswith('-v1.zip"')


def test_zip_of_collection_without_versions_is_404(client, collection):
    response = client.get(f"/api/skill_collections/{collection.pk}?format=zip")
    assert response.status_code == 404


def test_upload_needs_zip_content_type(client, collection):
    response = client.post(
        f"/api/skill_collections/{collection.pk}/versions",
        {"data": {"type": "skill_collection_versions", "attributes": {}}},
    )
    assert response.status_code == 415
    assert not SkillCollectionVersion.objects.exists()


def test_upload_to_other_organization_is_404(other_client, collection):
    response = upload(other_client, collection, make_zip(skill_files("pdf-tools")))
    assert response.status_code == 404
    assert not SkillCollectionVersion.objects.exists()


def test_uploads_beyond_django_memory_limit(client, collection, settings):
    """Bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE stream through (zip and JSON)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    blob = random.Random(7).randbytes(1024 * 1024)  # 1 MiB, incompressible
    response = upload(client, collection, make_zip({f"data/{i}.bin": blob for i in range(3)}))
    assert response.status_code == 201, response.content[:300]
    response = client.post(
        "/api/skill_collection_versions",
        {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"files": {"big.txt": "x" * 50_000}},
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": str(collection.pk)}
                    }
                },
            }
        },
    )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["data"]["attributes"]["number"] == 2


def test_stored_archives_when_compression_is_off(client, collection, settings):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "ZIP_COMPRESS_LEVEL": 0}
    files = {path: content.encode() for path, content in skill_files("pdf-tools").items()}
    upload(client, collection, make_zip(files))
    download = client.get(f"/api/skill_collections/{collection.pk}?format=zip")
    with zipfile.ZipFile(io.BytesIO(streamed(download))) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        assert {name: archive.read(name) for name in archive.namelist()} == files


@pytest.mark.parametrize("identifier", ["support-skills", ".claude%2Fskills", ".claude/skills"])
def test_upload_by_name_or_root_path(client, organization, identifier):
    collection = SkillCollectionFactory(
        organization=organization, name="support-skills", root_path=".claude/skills"
    )
    response = client.generic(
        "POST",
        f"/api/skill_collections/{identifier}/versions?release_label=prod",
        make_zip(skill_files("pdf-tools")),
        content_type="application/zip",
    )
    assert response.status_code == 201, response.json()
    assert SkillCollectionVersion.objects.get().skill_collection == collection


def test_a_root_path_ending_in_versions_is_still_a_detail_url(client, organization):
    collection = SkillCollectionFactory(organization=organization, root_path="skills/versions")
    response = client.get("/api/skill_collections/skills/versions")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["id"] == str(collection.pk)
    assert client.get(f"/api/skill_collections/{collection.pk}/versions").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        ("?release_label=" + "l" * 101, "release_label", "max_length"),
        ("?release_label=a%00b", "release_label", "null_characters_not_allowed"),
        ("?commit_message=a%00b", "commit_message", "null_characters_not_allowed"),
    ],
)
def test_query_parameters_are_validated_like_the_json_attributes(
    client, collection, query, parameter, code
):
    response = upload(client, collection, make_zip(skill_files("pdf-tools")), query)
    assert response.status_code == 422, response.json()
    [error] = response.json()["errors"]
    assert (error["source"], error["code"]) == ({"parameter": parameter}, code)
    assert not SkillCollectionVersion.objects.exists()


def test_blank_release_label_is_no_label(client, collection):
    response = upload(client, collection, make_zip(skill_files("pdf-tools")), "?release_label=")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["release_label"] is None
