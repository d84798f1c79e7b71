"""share_links: created by a write key for one collection, plugin or marketplace (optionally
pinned), listed, audited, revoked by DELETE or `revoked: true`; their URL reaches that one
resource's discovery index, archives and git repository with no other credential, and nothing
else; a revoked or expired link is a 404."""

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from core.models import Mode
from organizations.models import Scope
from skills import sharing
from skills.discovery.index import SCHEMA
from skills.discovery.paths import index_path
from skills.models import ShareLink
from skills.sharing import share_path
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.discovery import AGENT_SKILLS, LEGACY, content, digest, two_versions, unzip
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

pytestmark = pytest.mark.django_db

V1 = skill_files("pdf-tools")
V2 = {**V1, "pdf-tools/SKILL.md": skill_md("pdf-tools", "Second version.")}


@pytest.fixture
def collection(api_key):
    return two_versions(api_key, V1, V2)


def create(
    client, target, type_name="skill_collections", relationship="skill_collection", **attributes
):
    return client.post(
        "/api/share_links",
        {
            "data": {
                "type": "share_links",
                "attributes": attributes,
                "relationships": {
                    relationship: {"data": {"type": type_name, "id": str(target.pk)}}
                },
            }
        },
    )


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def index(url: str) -> dict:
    response = JsonApiClient().get(f"{path_of(url)}{AGENT_SKILLS}/index.json")
    assert response.status_code == 200, response.content
    return orjson.loads(response.content)


def test_create_and_use_a_share_link_without_a_key(client, collection):
    response = create(client, collection)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    attributes = data["attributes"]
    assert attributes["target"] == "skill_collection"
    assert attributes["revoked"] is False
    assert attributes["url"].endswith(share_path(ShareLink.objects.get(pk=data["id"])))
    assert attributes["git_url"] == attributes["url"] + ".git"
    assert "expires_in" not in attributes
    expires = timezone.datetime.fromisoformat(attributes["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)
    assert response["Location"].endswith(f"/api/share_links/{data['id']}")

    document = index(attributes["url"])
    assert document["$schema"] == SCHEMA
    [entry] = document["skills"]
    assert entry["description"] == "Second version."
    archive = JsonApiClient().get(f"{path_of(attributes['url'])}{AGENT_SKILLS}/pdf-tools.zip")
    assert archive.status_code == 200
    data_bytes = content(archive)
    assert digest(data_bytes) == entry["digest"]
    assert unzip(data_bytes)["SKILL.md"] == V2["pdf-tools/SKILL.md"].encode()
    legacy = JsonApiClient().get(f"{path_of(attributes['url'])}{LEGACY}/pdf-tools/SKILL.md")
    assert legacy.content == V2["pdf-tools/SKILL.md"].encode()
    # The link's index is the resource's own.
    keyed = orjson.loads(client.get(f"{index_path(collection)}{AGENT_SKILLS}/index.json").content)
    assert keyed == document


def test_the_url_is_shown_on_every_read_and_the_token_is_not_stored(client, collection):
    created = create(client, collection).json()["data"]
    shown = client.get(f"/api/share_links/{created['id']}").json()["data"]["attributes"]["url"]
    assert shown == created["attributes"]["url"]
    token = shown.rsplit("/", 1)[1]
    row = ShareLink.objects.filter(pk=created["id"]).values().get()
    assert token not in orjson.dumps(row, default=str).decode()


def test_pinned_links_serve_their_version(client, collection):
    by_number = create(client, collection, version=1).json()["data"]["attributes"]
    by_label = create(client, collection, label="stable").json()["data"]["attributes"]
    assert (by_number["version"], by_label["label"]) == (1, "stable")
    for attributes in (by_number, by_label):
        [entry] = index(attributes["url"])["skills"]
        assert entry["description"] == "Does a useful thing."


def test_links_to_plugins_and_marketplaces(client, organization):
    plugin = plugin_with_skills(organization, "review-kit", ["style"])
    response = create(client, plugin, "skill_plugins", "skill_plugin")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["target"] == "skill_plugin"
    assert [
        entry["name"] for entry in index(response.json()["data"]["attributes"]["url"])["skills"]
    ] == ["style"]


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"version": 9}, "/data/attributes/version"),
        ({"label": "nope"}, "/data/attributes/label"),
        ({"version": 1, "label": "stable"}, "/data/attributes/label"),
        ({"version": 0}, "/data/attributes/version"),
        ({"expires_in": 0}, "/data/attributes/expires_in"),
        ({"expires_in": 400 * 86400}, "/data/attributes/expires_in"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, "/data/attributes/expires_at"),
        ({"expires_at": "2999-01-01T00:00:00Z", "expires_in": 60}, "/data/attributes/expires_in"),
        ({"revoked": True}, "/data/attributes/revoked"),
    ],
)
def test_invalid_links_are_422s(client, collection, attributes, pointer):
    response = create(client, collection, **attributes)
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["source"]["pointer"] == pointer


def test_a_plugin_link_cannot_be_pinned(client, organization):
    plugin = plugin_with_skills(organization, "review-kit", ["style"])
    response = create(client, plugin, "skill_plugins", "skill_plugin", version=1)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/version"


def test_exactly_one_target(client, collection, organization):
    plugin = plugin_with_skills(organization, "review-kit", ["style"])
    none = client.post("/api/share_links", {"data": {"type": "share_links", "attributes": {}}})
    assert none.status_code == 422
    both = client.post(
        "/api/share_links",
        {
            "data": {
                "type": "share_links",
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": str(collection.pk)}
                    },
                    "skill_plugin": {"data": {"type": "skill_plugins", "id": str(plugin.pk)}},
                },
            }
        },
    )
    assert both.status_code == 422


def test_revoke_by_delete_or_attribute(client, collection):
    for how in ("delete", "patch"):
        created = create(client, collection).json()["data"]
        url, path = created["attributes"]["url"], f"/api/share_links/{created['id']}"
        index(url)
        if how == "delete":
            assert client.delete(path).status_code == 204
        else:
            body = {
                "data": {
                    "type": "share_links",
                    "id": created["id"],
                    "attributes": {"revoked": True},
                }
            }
            response = client.patch(path, body)
            assert response.status_code == 200, response.json()
        attributes = client.get(path).json()["data"]["attributes"]
        assert attributes["revoked"] is True
        assert attributes["revoked_at"] is not None
        assert attributes["url"] is None
        for suffix in (
            f"{AGENT_SKILLS}/index.json",
            f"{AGENT_SKILLS}/pdf-tools.zip",
            f"{LEGACY}/index.json",
        ):
            response = JsonApiClient().get(f"{path_of(url)}{suffix}")
            assert response.status_code == 404
            assert response["Content-Type"] == "application/vnd.api+json"
        # Revoked for good.
        body = {
            "data": {"type": "share_links", "id": created["id"], "attributes": {"revoked": False}}
        }
        assert client.patch(path, body).status_code == 422


def test_only_revoked_changes(client, collection):
    created = create(client, collection).json()["data"]
    body = {"data": {"type": "share_links", "id": created["id"], "attributes": {"label": "stable"}}}
    response = client.patch(f"/api/share_links/{created['id']}", body)
    assert response.status_code == 422


def test_an_expired_link_is_a_404(client, collection):
    created = create(client, collection).json()["data"]
    ShareLink.objects.filter(pk=created["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = JsonApiClient().get(
        f"{path_of(created['attributes']['url'])}{AGENT_SKILLS}/index.json"
    )
    assert response.status_code == 404


def test_a_link_to_a_deleted_collection_is_a_404(client, collection):
    url = create(client, collection).json()["data"]["attributes"]["url"]
    client.delete(f"/api/skill_collections/{collection.pk}")
    assert JsonApiClient().get(f"{path_of(url)}{AGENT_SKILLS}/index.json").status_code == 404


def test_a_link_reaches_nothing_but_its_resource(client, collection, organization):
    other = SkillCollectionFactory(organization=organization)
    create_version(other, {"secret/SKILL.md": skill_md("secret", "Classified words.")})
    url = create(client, collection, version=1).json()["data"]["attributes"]["url"]
    base = path_of(url)
    token = base.rsplit("/", 1)[1]
    link_id, signature = token.split(".")
    anonymous = JsonApiClient()
    for path in (
        f"{base}/../../git/skill_collections/{other.pk}{AGENT_SKILLS}/index.json",
        f"{base}/..{AGENT_SKILLS}/index.json",
        f"{base}{AGENT_SKILLS}/secret.zip",
        f"{base}{LEGACY}/secret/SKILL.md",
        f"{base}{LEGACY}/pdf-tools/../../secret/SKILL.md",
        f"{base}/versions/2{AGENT_SKILLS}/index.json",  # no pin beside the link's own
        f"{base}/git/skill_collections/{other.pk}{AGENT_SKILLS}/index.json",
        f"/share/{other.pk.hex}.{signature}{AGENT_SKILLS}/index.json",  # another id, its signature
        f"/share/{link_id}.{signature[:-2]}xx{AGENT_SKILLS}/index.json",  # a forged signature
        f"/share/{link_id}{AGENT_SKILLS}/index.json",
        f"/git/skill_collections/{other.pk}{AGENT_SKILLS}/index.json",  # the key is needed there
        f"/api/skill_collections/{other.pk}",
    ):
        response = anonymous.get(path)
        assert response.status_code in (401, 404), path
        assert b"Classified" not in content(response), path
    # The pinned link serves its version 1, not the latest.
    assert index(url)["skills"][0]["description"] == "Does a useful thing."


def test_links_are_listed_filtered_and_tenant_gated(client, collection, other_client, api_key):
    created = create(client, collection).json()["data"]
    create(client, collection, version=1)
    listed = client.get("/api/share_links").json()
    assert listed["meta"]["record_count"] == 2
    filtered = client.get("/api/share_links", {"filter[version]": "1"}).json()["data"]
    assert [item["attributes"]["version"] for item in filtered] == [1]
    by_target = client.get(
        "/api/share_links", {"filter[skill_collection]": str(collection.pk)}
    ).json()
    assert by_target["meta"]["record_count"] == 2
    client.delete(f"/api/share_links/{created['id']}")
    live_links = client.get("/api/share_links", {"filter[revoked_at.null]": "true"}).json()
    assert [item["attributes"]["version"] for item in live_links["data"]] == [1]
    assert other_client.get("/api/share_links").json()["data"] == []
    assert other_client.get(f"/api/share_links/{created['id']}").status_code == 404
    live = JsonApiClient(ApiKeyFactory(member=api_key.member, mode=Mode.LIVE))
    assert live.get(f"/api/share_links/{created['id']}").status_code == 404
    # Another organization cannot link to this collection.
    assert create(other_client, collection).status_code in (404, 422)


def test_a_read_key_cannot_create_or_revoke(client, collection, api_key):
    created = create(client, collection).json()["data"]
    reader = JsonApiClient(ApiKeyFactory(member=api_key.member, scope=Scope.READ))
    assert create(reader, collection).status_code == 403
    assert reader.delete(f"/api/share_links/{created['id']}").status_code == 403
    assert reader.get(f"/api/share_links/{created['id']}").status_code == 200


def test_links_are_audited(client, collection):
    created = create(client, collection).json()["data"]
    path = f"/api/share_links/{created['id']}"
    client.delete(path)
    events = client.get(f"{path}/events").json()["data"]
    assert sorted(item["attributes"]["name"] for item in events) == [
        "share_links.create",
        "share_links.update",
    ]
    audit = client.get(f"{path}/versions").json()["data"]
    update = next(item["attributes"] for item in audit if item["attributes"]["event"] == "update")
    assert update["changes"]["revoked_at"][0] is None


def test_include_the_target_and_creator(client, collection):
    created = create(client, collection).json()["data"]
    response = client.get(
        f"/api/share_links/{created['id']}", {"include": "skill_collection,created_by"}
    )
    assert response.status_code == 200
    types = sorted(item["type"] for item in response.json()["included"])
    assert types == ["members", "skill_collections"]


def test_the_admin_revokes_share_links_and_shows_their_url(admin_client, collection):
    link = sharing.create_share_link(tenant=collection.tenant, actor=None, target=collection)
    page = admin_client.get(f"/admin/skills/sharelink/{link.pk}/change/")
    assert sharing.share_url(link) in page.content.decode()
    response = admin_client.post(
        "/admin/skills/sharelink/",
        {"action": "revoke_share_links", "_selected_action": [link.pk]},
        follow=True,
    )
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.revoked
    assert JsonApiClient().get(f"{share_path(link)}{AGENT_SKILLS}/index.json").status_code == 404


def test_a_share_link_answers_the_skills_cli_search(client, collection):
    """`SKILLS_API_URL=<share url>`: `<url>/api/search` finds the link's skills, no key."""
    url = create(client, collection).json()["data"]["attributes"]["url"]
    search = f"{path_of(url)}/api/search"
    found = JsonApiClient().get(f"{search}?q=pdf&limit=5").json()["skills"]
    assert [(skill["name"], skill["source"], skill["installs"]) for skill in found] == [
        ("pdf-tools", url, 0)
    ]
    assert JsonApiClient().get(f"{search}?q=unrelated").json() == {"skills": []}
    refused = JsonApiClient().get(f"{search}?q=pdf&limit=0")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"] == {"parameter": "limit"}
    # Another tenant's skills are not reachable through the link.
    other = SkillCollectionFactory(organization=ApiKeyFactory().organization)
    create_version(other, skill_files("pdf-other"))
    assert [s["name"] for s in JsonApiClient().get(f"{search}?q=pdf").json()["skills"]] == [
        "pdf-tools"
    ]
    sharing.revoke(ShareLink.objects.get())
    assert JsonApiClient().get(f"{search}?q=pdf").status_code == 404
