import base64

import pytest

from skills.models import Blob, Skill, SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

pytestmark = pytest.mark.django_db


def version_document(collection, files, **attributes):
    return {
        "data": {
            "type": "skill_collection_versions",
            "attributes": {"files": files, **attributes},
            "relationships": {
                "skill_collection": {
                    "data": {"type": "skill_collections", "id": str(collection.pk)}
                }
            },
        }
    }


@pytest.fixture
def collection(organization):
    return SkillCollectionFactory(organization=organization, root_path=".claude/skills")


def test_create_version_from_json(client, collection, api_key):
    png = bytes(range(256))
    files = {
        **skill_files("pdf-tools"),
        "pdf-tools/logo.png": {"base64": base64.b64encode(png).decode()},
    }
    response = client.post(
        "/api/skill_collection_versions",
        version_document(collection, files, commit_message="First", release_label="prod"),
    )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    attributes = data["attributes"]
    assert attributes["number"] == 1
    assert attributes["commit_message"] == "First"
    assert attributes["release_label"] == "prod"
    assert attributes["root_path_at_version"] == ".claude/skills"
    assert attributes["provider"] == "claude"
    assert attributes["user_email"] == api_key.member.email
    assert attributes["file_paths"] == sorted(files)
    assert data["relationships"]["created_by"]["data"]["id"] == str(api_key.member_id)
    assert len(data["relationships"]["skills"]["data"]) == 1
    assert "files" not in attributes  # only the single-version GET reads contents back

    detail = client.get(f"/api/skill_collection_versions/{data['id']}").json()["data"]
    assert detail["attributes"]["files"]["pdf-tools/SKILL.md"] == files["pdf-tools/SKILL.md"]
    assert base64.b64decode(detail["attributes"]["files"]["pdf-tools/logo.png"]["base64"]) == png
    listed = client.get("/api/skill_collection_versions").json()["data"]
    assert "files" not in listed[0]["attributes"]


def test_numbers_increase_per_collection(client, collection, organization):
    other = SkillCollectionFactory(organization=organization)
    create_version(collection)
    create_version(other)
    response = client.post(
        "/api/skill_collection_versions", version_document(collection, skill_files("pdf-tools"))
    )
    assert response.json()["data"]["attributes"]["number"] == 2


def test_identical_content_is_stored_once(client, collection, media_root):
    files = skill_files("pdf-tools")
    files["copy.md"] = files["README.md"]
    for _ in range(2):
        response = client.post(
            "/api/skill_collection_versions", version_document(collection, files)
        )
        assert response.status_code == 201
    assert Blob.objects.count() == 3
    stored = [path for path in media_root.rglob("*") if path.is_file()]
    assert len(stored) == 3


def test_skills_are_indexed_with_stable_ids(client, collection):
    first = create_version(collection, skill_files("alpha", "beta"))
    alpha = Skill.objects.get(skill_collection=collection, path="alpha")
    second = create_version(
        collection,
        {
            "alpha/SKILL.md": skill_md(
                "alpha", "Now better.", "license: MIT\nallowed-tools: Read Grep\n"
            ),
        },
    )
    alpha.refresh_from_db()
    response = client.get(f"/api/skills/{alpha.pk}").json()["data"]
    assert response["attributes"]["description"] == "Now better."
    assert response["attributes"]["license"] == "MIT"
    assert response["attributes"]["allowed_tools"] == ["Read", "Grep"]
    assert response["attributes"]["path"] == "alpha"
    assert response["relationships"]["skill_collection_version"]["data"]["id"] == str(second.pk)
    beta = Skill.objects.get(skill_collection=collection, path="beta")
    assert beta.skill_collection_version_id == first.pk
    second_skills = client.get(f"/api/skill_collection_versions/{second.pk}/skills").json()
    assert [item["id"] for item in second_skills["data"]] == [str(alpha.pk)]


def test_release_label_moves(client, collection):
    first = create_version(collection, release_label="prod")
    second = create_version(collection)
    response = client.patch(
        f"/api/skill_collection_versions/{second.pk}",
        {
            "data": {
                "type": "skill_collection_versions",
                "id": str(second.pk),
                "attributes": {"release_label": "prod"},
            }
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["attributes"]["release_label"] == "prod"
    first.refresh_from_db()
    assert first.release_label is None
    third = client.post(
        "/api/skill_collection_versions",
        version_document(collection, skill_files("pdf-tools"), release_label="prod"),
    )
    assert third.status_code == 201
    second.refresh_from_db()
    assert second.release_label is None
    assert SkillCollectionVersion.objects.filter(release_label="prod").count() == 1


def test_archive_version(client, collection):
    version = create_version(collection)
    response = client.patch(
        f"/api/skill_collection_versions/{version.pk}",
        {
            "data": {
                "type": "skill_collection_versions",
                "id": str(version.pk),
                "attributes": {"archived": True},
            }
        },
    )
    assert response.status_code == 200
    version.refresh_from_db()
    assert version.archived is True


def test_versions_are_otherwise_immutable(client, collection):
    version = create_version(collection, commit_message="original")
    response = client.patch(
        f"/api/skill_collection_versions/{version.pk}",
        {
            "data": {
                "type": "skill_collection_versions",
                "id": str(version.pk),
                "attributes": {"commit_message": "rewritten", "files": {"a.md": "x"}},
            }
        },
    )
    assert response.status_code == 422
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/data/attributes/commit_message", "/data/attributes/files"}
    version.refresh_from_db()
    assert version.commit_message == "original"
    assert client.delete(f"/api/skill_collection_versions/{version.pk}").status_code == 405


def test_cannot_add_version_to_another_organizations_collection(other_client, collection):
    response = other_client.post(
        "/api/skill_collection_versions", version_document(collection, skill_files("pdf-tools"))
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == (
        "/data/relationships/skill_collection"
    )
    assert not SkillCollectionVersion.objects.exists()


def test_bad_base64_has_a_pointer(client, collection):
    response = client.post(
        "/api/skill_collection_versions",
        version_document(collection, {"docs/a.bin": {"base64": "***"}}),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == (
        "/data/attributes/files/docs~1a.bin"
    )


def test_list_query_count_is_constant(client, organization, django_assert_max_num_queries):
    for _ in range(4):
        collection = SkillCollectionFactory(organization=organization)
        for _ in range(3):
            create_version(collection, skill_files("alpha", "beta"))
    with django_assert_max_num_queries(16):
        response = client.get(
            "/api/skill_collection_versions?include=skill_collection,skills,created_by"
            "&page[size]=100"
        )
    assert response.status_code == 200
    assert len(response.json()["data"]) == 12
