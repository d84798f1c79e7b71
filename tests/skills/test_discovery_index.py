"""The Agent Skills discovery index (v0.2.0 and the legacy v0.1) under each collection's, plugin's
and marketplace's `skills_index_url`: its shape, archives whose bytes match their digests and
do not change between builds or installs, HEAD, pins, 404s and the tenancy gate."""

import io
import json
import subprocess
import sys
import zipfile

import orjson
import pytest

from core.models import Mode
from organizations.models import Scope
from skills import services
from skills.discovery import archives
from skills.discovery.index import SCHEMA, served_skills
from skills.discovery.paths import index_path
from skills.models import SkillArchive
from tests import served
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory, tenant_of
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.discovery import (
    AGENT_SKILLS,
    LEGACY,
    content,
    digest,
    index_of,
    two_versions,
    unzip,
)
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

pytestmark = pytest.mark.django_db

V1 = {
    **skill_files("pdf-tools", "release-notes"),
    "pdf-tools/logo.bin": bytes(range(256)),
    "pdf-tools/references/FORMS.md": "# Forms\n",
}
V2 = {**V1, "pdf-tools/SKILL.md": skill_md("pdf-tools", "Reads PDFs, better.")}


def encoded(files: dict) -> dict[str, bytes]:
    return {path: c if isinstance(c, bytes) else c.encode() for path, c in files.items()}


def skill_tree(files: dict, folder: str) -> dict[str, bytes]:
    """The files of one skill folder, relative to it (what its archive holds)."""
    prefix = f"{folder}/"
    return {p[len(prefix) :]: c for p, c in encoded(files).items() if p.startswith(prefix)}


@pytest.fixture
def collection(api_key):
    return two_versions(api_key, V1, V2)


def get(client, url, **extra):
    return client.generic("GET", url, **extra)


def test_collection_serves_the_v2_index_of_its_current_version(client, collection):
    response = get(client, index_of(collection))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = orjson.loads(response.content)
    assert document["$schema"] == SCHEMA
    assert [entry["name"] for entry in document["skills"]] == ["pdf-tools", "release-notes"]
    pdf = document["skills"][0]
    assert pdf["type"] == "archive"
    assert pdf["description"] == "Reads PDFs, better."
    assert pdf["url"] == "pdf-tools.zip"
    assert set(pdf) == {"name", "type", "description", "url", "digest"}


def test_each_archive_holds_the_skill_folder_at_its_root_and_matches_its_digest(client, collection):
    document = orjson.loads(get(client, index_of(collection)).content)
    for entry in document["skills"]:
        base = index_of(collection).rsplit("/", 1)[0]
        response = get(client, f"{base}/{entry['url']}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        data = content(response)
        assert digest(data) == entry["digest"]
        assert int(response["Content-Length"]) == len(data)
        assert unzip(data) == skill_tree(V2, entry["name"])


def test_archives_are_deterministic_stored_entries(client, collection):
    url = f"{index_of(collection).rsplit('/', 1)[0]}/pdf-tools.zip"
    first = content(get(client, url))
    SkillArchive.objects.all().delete()  # built again from nothing
    second = content(get(client, url))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    for info in infos:
        assert info.date_time == archives.DATE_TIME
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.external_attr >> 16 == 0o100644
        assert not info.filename.endswith("/")  # no folder entries, no wrapper folder


def test_the_same_content_gives_the_same_archives_in_two_organizations(client, collection):
    document = orjson.loads(get(client, index_of(collection)).content)
    other_key = ApiKeyFactory()
    other = SkillCollectionFactory(organization=other_key.organization, created_by=other_key.member)
    create_version(other, V2)
    SkillArchive.objects.all().delete()  # nothing kept: every archive built again
    other_client = JsonApiClient(other_key)
    other_document = orjson.loads(get(other_client, index_of(other)).content)
    assert other_document["skills"] == document["skills"]
    data = content(get(other_client, f"{index_of(other).rsplit('/', 1)[0]}/pdf-tools.zip"))
    assert digest(data) == document["skills"][0]["digest"]


# Run by `manage.py shell` in a fresh install: the same V2 in a new organization, its index.
ANOTHER_INSTALL = """
import json, sys
from core.models import Tenant
from organizations.models import Organization
from skills import services
from skills.discovery.index import index_v2, served_skills
files = {path: bytes.fromhex(data) for path, data in json.loads(sys.stdin.read()).items()}
organization = Organization.objects.create(name="Elsewhere", slug="elsewhere")
collection = services.create_collection(
    tenant=Tenant(organization.pk, "live"), actor=None, name="c", root_path="x/skills"
)
services.create_version(collection, actor=None, files=files)
print(json.dumps(index_v2(served_skills(collection))))
"""


@pytest.mark.django_db(transaction=True)
def test_another_install_with_the_same_content_serves_the_same_digests(tmp_path):
    api_key = ApiKeyFactory()
    collection = SkillCollectionFactory(
        organization=api_key.organization, created_by=api_key.member
    )
    create_version(collection, V2)
    here = orjson.loads(get(JsonApiClient(api_key), index_of(collection)).content)

    environ = served.sqlite_install(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ANOTHER_INSTALL],
        cwd=served.ROOT,
        env=environ,
        input=json.dumps({path: data.hex() for path, data in encoded(V2).items()}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    elsewhere = json.loads(done.stdout.strip().splitlines()[-1])
    assert elsewhere["skills"] == here["skills"]


def test_head_answers_the_headers_without_a_body(client, collection):
    base = index_of(collection).rsplit("/", 1)[0]
    get_response = get(client, f"{base}/pdf-tools.zip")
    head = client.generic("HEAD", f"{base}/pdf-tools.zip")
    assert head.status_code == 200
    assert content(head) == b""
    assert head["Content-Type"] == "application/zip"
    assert head["Content-Length"] == get_response["Content-Length"]
    assert head["ETag"] == get_response["ETag"]
    index_head = client.generic("HEAD", index_of(collection))
    assert index_head.status_code == 200
    assert index_head.content == b""
    assert int(index_head["Content-Length"]) == len(get(client, index_of(collection)).content)


def test_an_unchanged_archive_answers_304_to_its_etag(client, collection):
    url = f"{index_of(collection).rsplit('/', 1)[0]}/pdf-tools.zip"
    etag = get(client, url)["ETag"]
    assert get(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_pinned_forms_serve_a_version_by_number_or_label(client, collection):
    by_number = orjson.loads(get(client, index_of(collection, "/versions/1")).content)
    by_label = orjson.loads(get(client, index_of(collection, "/labels/stable")).content)
    latest = orjson.loads(get(client, index_of(collection)).content)
    assert by_number == by_label
    assert by_number["skills"][0]["description"] == "Does a useful thing."
    assert by_number["skills"][0]["digest"] != latest["skills"][0]["digest"]
    base = index_of(collection, "/versions/1").rsplit("/", 1)[0]
    data = content(get(client, f"{base}/pdf-tools.zip"))
    assert unzip(data) == skill_tree(V1, "pdf-tools")
    assert digest(data) == by_number["skills"][0]["digest"]
    # An unchanged skill has the same archive in both versions.
    assert by_number["skills"][1] == latest["skills"][1]


def test_a_label_with_a_slash_is_a_pin_too(client, collection):
    version = collection.versions.get(number=1)
    services.update_version(version, release_label="release/2026")
    response = get(client, index_of(collection, "/labels/release%2F2026"))
    assert response.status_code == 200
    assert orjson.loads(response.content)["skills"][0]["description"] == "Does a useful thing."


def test_the_legacy_index_lists_files_served_next_to_it(client, collection):
    base = f"{index_of(collection).split(AGENT_SKILLS)[0]}{LEGACY}"
    response = get(client, f"{base}/index.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = orjson.loads(response.content)
    assert "$schema" not in document
    pdf = document["skills"][0]
    assert pdf == {
        "name": "pdf-tools",
        "description": "Reads PDFs, better.",
        "files": ["SKILL.md", "logo.bin", "references/FORMS.md", "scripts/run.py"],
    }
    for path in pdf["files"]:
        file_response = get(client, f"{base}/pdf-tools/{path}")
        assert file_response.status_code == 200
        assert file_response.content == encoded(V2)[f"pdf-tools/{path}"]
    assert (
        get(client, f"{base}/pdf-tools/SKILL.md")["Content-Type"] == "text/markdown; charset=utf-8"
    )
    assert get(client, f"{base}/pdf-tools/logo.bin")["Content-Type"] == "application/octet-stream"
    assert get(client, f"{base}/pdf-tools/scripts/run.py")["Content-Type"].startswith("text/plain")


def test_plugins_and_marketplaces_serve_their_skills(client, api_key):
    plugin = plugin_with_skills(api_key.organization, "review-kit", ["style", "tests"])
    marketplace = services.create_marketplace(
        tenant=tenant_of(api_key.organization),
        actor=None,
        skill_plugins=[plugin],
        name="team-market",
    )
    for target in (plugin, marketplace):
        document = orjson.loads(get(client, index_of(target)).content)
        assert [entry["name"] for entry in document["skills"]] == ["style", "tests"]
        base = index_of(target).rsplit("/", 1)[0]
        data = content(get(client, f"{base}/style.zip"))
        assert digest(data) == document["skills"][0]["digest"]
        assert unzip(data) == skill_tree(skill_files("style"), "style")
    # Versions and labels are a collection's: a plugin has no pinned form.
    assert get(client, index_of(plugin, "/versions/1")).status_code == 404


def test_skills_index_url_is_the_git_url_without_git(client, collection, api_key):
    plugin = plugin_with_skills(api_key.organization, "review-kit", ["style"])
    for type_name, target in (("skill_collections", collection), ("skill_plugins", plugin)):
        attributes = get(client, f"/api/{type_name}/{target.pk}").json()["data"]["attributes"]
        assert attributes["skills_index_url"] + ".git" == attributes["git_url"]
        assert attributes["skills_index_url"].endswith(f"/git/{type_name}/{target.pk}")


@pytest.mark.parametrize(
    "suffix",
    [
        f"{AGENT_SKILLS}/missing.zip",
        f"{AGENT_SKILLS}/index.jsonx",
        f"{AGENT_SKILLS}/PDF-tools.zip",
        f"{LEGACY}/missing/SKILL.md",
        f"{LEGACY}/pdf-tools/nothing.md",
        f"{LEGACY}/pdf-tools/../release-notes/SKILL.md",
        "/versions/9/.well-known/agent-skills/index.json",
        "/labels/nope/.well-known/agent-skills/index.json",
        "/versions/0/.well-known/agent-skills/index.json",
        "/.well-known/agent-skills/",
    ],
)
def test_what_is_not_there_is_a_json_api_404(client, collection, suffix):
    response = get(client, index_path(collection) + suffix)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/vnd.api+json"
    assert response.json()["errors"][0]["status"] == "404"


def test_there_is_no_root_index(client, collection):
    for path in (
        f"{AGENT_SKILLS}/index.json",
        f"{LEGACY}/index.json",
        "/git/.well-known/agent-skills/index.json",
    ):
        assert get(client, path).status_code == 404


def test_a_collection_without_a_version_has_an_empty_index(client, api_key):
    empty = SkillCollectionFactory(organization=api_key.organization, created_by=api_key.member)
    document = orjson.loads(get(client, index_of(empty)).content)
    assert document == {"$schema": SCHEMA, "skills": []}


def test_two_skills_of_one_name_are_a_conflict(client, api_key):
    collection = SkillCollectionFactory(
        organization=api_key.organization, created_by=api_key.member
    )
    create_version(
        collection, {"a/tool/SKILL.md": skill_md("tool"), "b/tool/SKILL.md": skill_md("tool")}
    )
    response = get(client, index_of(collection))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"


def test_the_key_is_needed_and_the_tenant_gated(
    collection, anonymous_client, other_client, api_key
):
    url = index_of(collection)
    response = get(anonymous_client, url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert get(other_client, url).status_code == 404  # another organization
    live = JsonApiClient(ApiKeyFactory(member=api_key.member, mode=Mode.LIVE))
    assert get(live, url).status_code == 404  # the other mode
    read_only = JsonApiClient(ApiKeyFactory(member=api_key.member, scope=Scope.READ))
    assert get(read_only, url).status_code == 200
    archive_url = f"{url.rsplit('/', 1)[0]}/pdf-tools.zip"
    assert get(anonymous_client, archive_url).status_code == 401
    assert get(other_client, archive_url).status_code == 404


def test_a_deleted_collection_has_no_index(client, collection, api_key):
    services.delete_collection(collection, actor=api_key.member)
    assert get(client, index_of(collection)).status_code == 404


def test_only_get_and_head(client, collection):
    response = client.generic("POST", index_of(collection))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_an_index_costs_a_constant_number_of_queries(
    client, api_key, django_assert_max_num_queries
):
    small = SkillCollectionFactory(organization=api_key.organization, created_by=api_key.member)
    create_version(small, skill_files("one"))
    large = SkillCollectionFactory(organization=api_key.organization, created_by=api_key.member)
    create_version(large, skill_files(*[f"skill-{n}" for n in range(12)]))
    for target in (small, large):
        get(client, index_of(target))  # archives described once
        with django_assert_max_num_queries(8):
            assert get(client, index_of(target)).status_code == 200


def test_an_archive_holds_only_its_own_skill_folder(api_key):
    collection = SkillCollectionFactory(organization=api_key.organization, mode=Mode.TEST)
    create_version(collection, V1)
    [pdf, notes] = served_skills(collection)
    assert [entry.path for entry in notes.entries] == ["SKILL.md", "scripts/run.py"]
    built = archives.build(pdf)
    data = b"".join(built.chunks())
    assert unzip(data) == skill_tree(V1, "pdf-tools")
