import pytest

from skills.models import SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, create_version

pytestmark = pytest.mark.django_db


def test_openapi_documents_the_skills_registry(client):
    response = client.get("/api/openapi.json", HTTP_ACCEPT="*/*")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in (
        "/api/skill_collections",
        "/api/skill_collection_versions",
        "/api/skills",
        "/api/skill_plugins",
        "/api/skill_marketplaces",
    ):
        assert f"{path}:" in schema or f'"{path}"' in schema


def test_admin_pages_and_archive_action(admin_client, organization):
    collection = SkillCollectionFactory(organization=organization)
    version = create_version(collection)
    pages = [
        "/admin/skills/skillcollection/",
        "/admin/skills/skillcollection/?q=" + collection.root_path,
        f"/admin/skills/skillcollection/{collection.pk}/change/",
        "/admin/skills/skillcollectionversion/",
        f"/admin/skills/skillcollectionversion/{version.pk}/change/",
        "/admin/skills/skill/",
        "/admin/skills/skillplugin/",
        "/admin/skills/skillmarketplace/",
        "/admin/skills/blob/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    detail = admin_client.get(f"/admin/skills/skillcollectionversion/{version.pk}/change/")
    assert b"pdf-tools/SKILL.md" in detail.content
    response = admin_client.post(
        "/admin/skills/skillcollectionversion/",
        {"action": "archive_versions", "_selected_action": [str(version.pk)]},
    )
    assert response.status_code == 302
    assert SkillCollectionVersion.objects.get(pk=version.pk).archived is True
