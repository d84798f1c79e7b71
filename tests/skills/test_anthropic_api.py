"""The Anthropic Skills API surface (`/v1/skills`), driven by the real `anthropic` SDK (PyPI,
pinned in requirements/test.txt) against a live server, and by the older beta SDK generation
(`client.beta.skills`, `X-Api-Key`, `anthropic-beta: skills-2025-10-02`) in a subprocess.

What one surface writes the other reads: skills made through the SDK are collections of the
JSON:API and git repositories; collections made through the JSON:API are skills of the SDK."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import anthropic
import pytest
from anthropic.lib import files_from_dir

from skills.anthropic.objects import encode_token
from skills.models import Skill, SkillCollection
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory, tenant_of
from tests.skills.factories import SkillCollectionFactory, create_version, skill_md
from tests.skills.gitclient import git_with_key, tree_of, url_of

live = pytest.mark.django_db(transaction=True)

BETA_SDK_VERSION = "0.125.0"  # the last release whose `beta.skills` speaks the 2025-10-02 beta
BETA_SDK_DIR = Path(
    os.environ.get(
        "SKILLPORT_ANTHROPIC_BETA_SDK",
        Path.home() / ".cache" / "skillport-py" / "anthropic-beta",
    )
)


@pytest.fixture
def sdk(live_server):
    """`sdk(raw_key)`: the real SDK on the live server, without retries. Its kept-alive
    connections are closed after the test, so no server thread outlives it."""
    clients = []

    def make(raw_key: str | None, **kwargs) -> anthropic.Anthropic:
        kwargs.setdefault("api_key", raw_key)
        client = anthropic.Anthropic(base_url=live_server.url, max_retries=0, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def write_skill(root: Path, name: str, description: str = "Does a useful thing.") -> Path:
    folder = root / name
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(skill_md(name, description))
    (folder / "scripts" / "run.py").write_text(f"print('{name}')\n")
    (folder / "logo.bin").write_bytes(bytes(range(256)))
    return folder


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def uploaded(folder: Path) -> dict[str, bytes]:
    """The tree `files_from_dir(folder)` uploads: paths under the folder's own name."""
    return {
        path.relative_to(folder.parent).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


@live
def test_sdk_creates_pages_versions_downloads_and_deletes_skills(sdk, live_server, tmp_path, home):
    key = ApiKeyFactory()
    client = sdk(key.raw_key)
    folder = write_skill(tmp_path / "src", "pdf-tools")

    skill = client.skills.create(files=files_from_dir(folder), display_name="PDF tools")
    assert (skill.type, skill.source, skill.display_name) == ("skill", "custom", "PDF tools")
    first_id = skill.latest_version_id

    # What the SDK wrote is a skill collection of the JSON:API and a git repository.
    collection = SkillCollection.objects.get(skills__pk=skill.id)
    api = JsonApiClient(key)
    document = api.get(f"/api/skill_collections/{collection.pk}").json()["data"]
    assert document["attributes"]["name"] == "PDF tools"
    version = api.get(f"/api/skill_collection_versions/{first_id}").json()["data"]
    assert version["attributes"]["files"]["pdf-tools/scripts/run.py"] == "print('pdf-tools')\n"
    assert api.get(f"/api/skills/{skill.id}").json()["data"]["attributes"]["name"] == "pdf-tools"
    git_with_key(
        home, url_of(live_server, collection), key.raw_key, "clone", "-q",
        url_of(live_server, collection), str(tmp_path / "clone"),
    )  # fmt: skip
    assert tree_of(tmp_path / "clone") == uploaded(folder)

    # A new version: the folder as uploaded replaces the old one.
    (folder / "SKILL.md").write_text(skill_md("pdf-tools", "Reads and fills PDF forms."))
    (folder / "scripts" / "run.py").unlink()
    second = client.skills.versions.create(skill.id, files=files_from_dir(folder))
    assert (second.type, second.skill_id, second.name) == ("skill_version", skill.id, "pdf-tools")
    assert second.description == "Reads and fills PDF forms."
    assert client.skills.retrieve(skill.id).latest_version_id == second.id

    versions = list(client.skills.versions.list(skill.id, limit=1))  # one per page
    assert [v.id for v in versions] == [second.id, first_id]
    assert [v.description for v in versions] == [
        "Reads and fills PDF forms.",
        "Does a useful thing.",
    ]
    assert client.skills.versions.retrieve(first_id, skill_id=skill.id).id == first_id

    # The content of a version, as the SDK downloads it: the skill's folder, byte for byte.
    content = client.beta.skills.versions.download(second.id, skill_id=skill.id)
    assert content.headers["content-type"] == "application/zip"
    assert unzip(content.read()) == uploaded(folder)
    old = unzip(client.beta.skills.versions.download(first_id, skill_id=skill.id).read())
    assert old["pdf-tools/scripts/run.py"] == b"print('pdf-tools')\n"

    # Paging: newest first, `next_page` until `has_more` is false.
    others = [
        client.skills.create(files=files_from_dir(write_skill(tmp_path / "src", name)))
        for name in ("alpha", "beta-tool", "gamma")
    ]
    page = client.skills.list(limit=2)
    assert page.has_more is True and page.next_page
    assert [s.id for s in page.data] == [others[2].id, others[1].id]
    assert [s.id for s in client.skills.list(limit=2)] == [
        *(s.id for s in reversed(others)),
        skill.id,
    ]
    assert others[0].display_name == "alpha"  # no title given: the skill's name

    # Deleting: the versions first (archived in Skillport), then the skill (its collection).
    with pytest.raises(anthropic.BadRequestError, match="delete them first"):
        client.skills.delete(skill.id)
    deleted = client.skills.versions.delete(first_id, skill_id=skill.id)
    assert (deleted.type, deleted.id) == ("skill_version_deleted", first_id)
    assert [v.id for v in client.skills.versions.list(skill.id)] == [second.id]
    with pytest.raises(anthropic.NotFoundError):
        client.skills.versions.retrieve(first_id, skill_id=skill.id)
    assert api.get(f"/api/skill_collection_versions/{first_id}").json()["data"]["attributes"][
        "archived"
    ]
    client.skills.versions.delete(second.id, skill_id=skill.id)
    gone = client.skills.delete(skill.id)
    assert (gone.type, gone.id) == ("skill_deleted", skill.id)
    with pytest.raises(anthropic.NotFoundError):
        client.skills.retrieve(skill.id)
    assert skill.id not in {s.id for s in client.skills.list()}
    collection.refresh_from_db()
    assert collection.is_deleted


@live
def test_a_collection_made_through_the_json_api_is_a_skill_of_the_sdk(sdk, tmp_path):
    key = ApiKeyFactory()
    collection = SkillCollectionFactory(organization=key.organization, mode=key.mode)
    create_version(
        collection,
        {
            "README.md": "Two skills.\n",
            "tools/lint/SKILL.md": skill_md("lint"),
            "tools/lint/rules.txt": "no tabs\n",
            "format/SKILL.md": skill_md("format"),
        },
    )
    client = sdk(key.raw_key)
    lint = Skill.objects.get(name="lint")

    read = client.skills.retrieve(str(lint.pk))
    assert read.display_name == collection.name
    assert read.latest_version_id == str(collection.current_version.pk)
    assert {s.id for s in client.skills.list()} == {str(s.pk) for s in Skill.objects.all()}
    content = client.beta.skills.versions.download(read.latest_version_id, skill_id=read.id)
    assert unzip(content.read()) == {
        "lint/SKILL.md": skill_md("lint").encode(),
        "lint/rules.txt": b"no tabs\n",
    }

    # A new version of one skill replaces its folder and keeps everything else.
    folder = tmp_path / "lint"
    folder.mkdir()
    (folder / "SKILL.md").write_text(skill_md("lint", "Lints harder."))
    version = client.skills.versions.create(read.id, files=files_from_dir(folder))
    files = JsonApiClient(key).get(f"/api/skill_collection_versions/{version.id}").json()
    assert set(files["data"]["attributes"]["files"]) == {
        "README.md",
        "format/SKILL.md",
        "tools/lint/SKILL.md",
    }
    with pytest.raises(anthropic.BadRequestError, match="its folder 'lint/'"):
        client.skills.versions.create(
            read.id, files=[("other/SKILL.md", skill_md("other").encode())]
        )

    # Deleting would change the other skill of the collection too: refused.
    with pytest.raises(anthropic.ConflictError) as refused:
        client.skills.versions.delete(version.id, skill_id=read.id)
    assert refused.value.body["error"]["type"] == "conflict_error"
    with pytest.raises(anthropic.ConflictError):
        client.skills.delete(read.id)


@live
def test_keys_scopes_tenancy_and_errors_through_the_sdk(sdk):
    key = ApiKeyFactory()
    client = sdk(key.raw_key)
    files = [("notes/SKILL.md", skill_md("notes").encode())]
    skill = client.skills.create(files=files)

    with pytest.raises(anthropic.AuthenticationError) as unknown:
        sdk("sk-not-a-key").skills.list()
    assert unknown.value.body["error"]["type"] == "authentication_error"

    reader = sdk(ApiKeyFactory(member=key.member, scope="read").raw_key)
    assert [s.id for s in reader.skills.list()] == [skill.id]
    with pytest.raises(anthropic.PermissionDeniedError) as refused:
        reader.skills.create(files=files)
    assert refused.value.body["error"]["type"] == "permission_error"
    assert refused.value.error_code == "read_only_key"  # Skillport's code, where the SDK reads it
    with pytest.raises(anthropic.PermissionDeniedError):
        reader.skills.versions.delete(skill.latest_version_id, skill_id=skill.id)

    stranger = sdk(ApiKeyFactory().raw_key)
    with pytest.raises(anthropic.NotFoundError) as hidden:
        stranger.skills.retrieve(skill.id)
    assert hidden.value.body["error"]["type"] == "not_found_error"
    assert stranger.skills.list().data == []
    live_mode = sdk(ApiKeyFactory(member=key.member, mode="live").raw_key)
    with pytest.raises(anthropic.NotFoundError):
        live_mode.skills.versions.list(skill.id)

    with pytest.raises(anthropic.BadRequestError) as invalid:
        client.skills.create(files=[("Bad_Name/SKILL.md", b"---\nname: Bad_Name\n---\n")])
    assert invalid.value.body["error"]["type"] == "invalid_request_error"
    assert "Bad_Name/SKILL.md" in invalid.value.body["error"]["message"]
    assert invalid.value.error_code == "invalid_skill"
    with pytest.raises(anthropic.BadRequestError, match="same top-level folder"):
        client.skills.create(files=[*files, ("other/x.txt", b"x")])
    with pytest.raises(anthropic.BadRequestError, match=r"may not contain '\.\.'"):
        client.skills.create(files=[("notes/../../SKILL.md", b"x")])

    # `X-Api-Key` instead of `Authorization: Bearer`, as the older SDKs send it.
    by_header = sdk(
        None,
        auth_token="unused",
        default_headers={"Authorization": anthropic.Omit(), "X-Api-Key": key.raw_key},
    )
    assert by_header.skills.retrieve(skill.id).id == skill.id

    limited = sdk(ApiKeyFactory(member=key.member, rate_limit=1).raw_key)
    limited.skills.list()
    with pytest.raises(anthropic.RateLimitError) as throttled:
        limited.skills.list()
    assert throttled.value.body["error"]["type"] == "rate_limit_error"
    assert int(throttled.value.response.headers["retry-after"]) > 0


BETA_SCRIPT = r"""
import io, json, sys, zipfile
import anthropic, httpx

base_url, raw_key = sys.argv[1:3]
sent = []
http = httpx.Client(event_hooks={"request": [lambda request: sent.append(dict(request.headers))]})
client = anthropic.Anthropic(api_key=raw_key, base_url=base_url, max_retries=0, http_client=http)
skill_md = b"---\nname: beta-skill\ndescription: From the beta SDK.\n---\n# Beta\n"
files = [("beta-skill/SKILL.md", skill_md), ("beta-skill/ref/notes.md", b"notes\n")]
out = {"sdk": anthropic.__version__}
skill = client.beta.skills.create(files=files, display_title="Beta skill")
out["skill"] = skill.model_dump()
version = client.beta.skills.versions.create(skill_id=skill.id, files=files[:1])
out["version"] = version.model_dump()
out["versions"] = [v.version for v in client.beta.skills.versions.list(skill_id=skill.id)]
out["retrieved"] = client.beta.skills.versions.retrieve(version.version, skill_id=skill.id).id
out["latest"] = client.beta.skills.retrieve(skill.id).latest_version
archive = client.beta.skills.versions.download(version.version, skill_id=skill.id).read()
out["zip"] = sorted(zipfile.ZipFile(io.BytesIO(archive)).namelist())
out["listed"] = [s.id for s in client.beta.skills.list()]
for listed in client.beta.skills.versions.list(skill_id=skill.id):
    client.beta.skills.versions.delete(listed.version, skill_id=skill.id)
out["deleted"] = client.beta.skills.delete(skill.id).model_dump()
try:
    client.beta.skills.retrieve(skill.id)
except anthropic.NotFoundError as error:
    out["error"] = error.body
out["headers"] = [
    {name: headers.get(name) for name in ("x-api-key", "authorization", "anthropic-beta")}
    for headers in sent
]
print(json.dumps(out))
"""


@live
def test_the_older_beta_sdk_generation(live_server):
    if not (BETA_SDK_DIR / "anthropic").is_dir():
        pytest.skip(
            f"anthropic=={BETA_SDK_VERSION} (the beta skills SDK) not installed: run `pip "
            f"install --target {BETA_SDK_DIR} anthropic=={BETA_SDK_VERSION}` (.ci/run does)"
        )
    key = ApiKeyFactory()
    done = subprocess.run(
        [sys.executable, "-c", BETA_SCRIPT, live_server.url, key.raw_key],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(BETA_SDK_DIR), "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sdk"] == BETA_SDK_VERSION
    skill, version = out["skill"], out["version"]
    assert skill["display_title"] == "Beta skill" and skill["latest_version"].isdigit()
    assert version["directory"] == version["name"] == "beta-skill"
    assert version["description"] == "From the beta SDK."
    assert out["versions"] == [version["version"], skill["latest_version"]]
    assert out["retrieved"] == version["id"]
    assert out["latest"] == version["version"]
    assert out["zip"] == ["beta-skill/SKILL.md"]
    assert out["listed"] == [skill["id"]]
    assert out["deleted"] == {"id": skill["id"], "type": "skill_deleted"}
    assert out["error"]["type"] == "error"
    assert out["error"]["error"]["type"] == "not_found_error"
    assert all(
        sent == {"x-api-key": key.raw_key, "authorization": None, "anthropic-beta": ANY_BETA}
        for sent in out["headers"]
    ), out["headers"]
    assert SkillCollection.objects.get(skills__pk=skill["id"]).is_deleted


class _AnyBeta:
    def __eq__(self, other) -> bool:
        return isinstance(other, str) and "skills-2025-10-02" in other


ANY_BETA = _AnyBeta()


# -- in process: the protocol around the SDK's calls -------------------------------------------


def multipart(files: list[tuple[str, bytes]], **fields: str) -> tuple[bytes, str]:
    """A multipart body as the SDK writes it: `files[]` parts whose file names are paths."""
    boundary = "skillport-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for path, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files[]"; '
            f'filename="{path}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_skill(client, files, path="/v1/skills", **headers):
    body, content_type = multipart(files)
    return client.generic("POST", path, body, content_type=content_type, **headers)


@pytest.mark.django_db
def test_every_error_here_is_an_anthropic_error_document(client):
    for response, status, kind in [
        (JsonApiClient().get("/v1/skills"), 401, "authentication_error"),
        (client.get("/v1/skills/nope"), 404, "not_found_error"),
        (client.get("/v1/skills/nope/versions/1/content"), 404, "not_found_error"),
        (client.get("/v1/messages"), 404, "not_found_error"),
        (client.patch("/v1/skills"), 405, "invalid_request_error"),
        (client.get("/v1/skills?limit=0"), 400, "invalid_request_error"),
        (client.get("/v1/skills?page=bm90IGEgdG9rZW4"), 400, "invalid_request_error"),
        (
            client.generic("POST", "/v1/skills", "{}", "application/json"),
            415,
            "invalid_request_error",
        ),
        (post_skill(client, []), 400, "invalid_request_error"),
    ]:
        assert response.status_code == status, response.content
        body = response.json()
        assert body["type"] == "error" and body["error"]["type"] == kind, body
        assert body["error"]["message"] and body["request_id"] == response["request-id"]
        assert "errors" not in body


@pytest.mark.django_db
def test_x_api_key_trailing_slashes_and_the_beta_query_parameter(api_key):
    anonymous = JsonApiClient()
    created = post_skill(
        anonymous,
        [("tidy/SKILL.md", skill_md("tidy").encode())],
        path="/v1/skills/?beta=true",
        HTTP_X_API_KEY=api_key.raw_key,
        HTTP_ANTHROPIC_BETA="skills-2025-10-02",
    )
    assert created.status_code == 200, created.content
    skill_id = created.json()["id"]
    read = anonymous.get(f"/v1/skills/{skill_id}/?beta=true", HTTP_X_API_KEY=api_key.raw_key)
    assert read.json()["display_title"] == "tidy"


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_first_create(client):
    files = [("once/SKILL.md", skill_md("once").encode())]
    first = post_skill(client, files, HTTP_IDEMPOTENCY_KEY="create-once")
    again = post_skill(client, files, HTTP_IDEMPOTENCY_KEY="create-once")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert SkillCollection.objects.count() == 1


@pytest.mark.django_db
def test_lists_take_a_constant_number_of_queries(client, api_key, django_assert_max_num_queries):
    tenant = tenant_of(api_key.organization)
    for index in range(6):
        collection = SkillCollectionFactory(organization=api_key.organization, mode=tenant.mode)
        create_version(collection, {f"s{index}/SKILL.md": skill_md(f"s{index}")})
        create_version(collection, {f"s{index}/SKILL.md": skill_md(f"s{index}", "Again.")})
    skill = Skill.objects.first()
    # The key (and its last use), the savepoints, and one query for the page.
    with django_assert_max_num_queries(5):
        listed = client.get("/v1/skills?limit=5")
    assert len(listed.json()["data"]) == 5 and listed.json()["has_more"]
    with django_assert_max_num_queries(7):
        versions = client.get(f"/v1/skills/{skill.pk}/versions")
    assert [v["description"] for v in versions.json()["data"]] == ["Again.", "Does a useful thing."]


@pytest.mark.django_db
def test_titles_sources_and_upload_limits(client, settings):
    for _ in range(2):
        post_skill(client, [("same/SKILL.md", skill_md("same").encode())])
    titles = [s["display_name"] for s in client.get("/v1/skills").json()["data"]]
    assert titles == ["same-2", "same"]  # collection names are unique, Anthropic's titles not
    assert client.get("/v1/skills?source=anthropic").json() == {
        "data": [],
        "has_more": False,
        "next_page": None,
    }
    assert len(client.get("/v1/skills?source=custom").json()["data"]) == 2

    many = [("many/SKILL.md", skill_md("many").encode())]
    many += [(f"many/f{index}.txt", b"x") for index in range(100)]
    refused = post_skill(client, many)
    assert refused.status_code == 400
    assert "DATA_UPLOAD_MAX_NUMBER_FILES" in refused.json()["error"]["message"]

    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "MAX_UPLOAD_SIZE": 1000}
    huge = post_skill(client, [("huge/SKILL.md", b"x" * 2000)])
    assert huge.status_code == 413
    assert huge.json()["error"]["type"] == "request_too_large"
    assert SkillCollection.objects.count() == 2


@pytest.mark.django_db
def test_hostile_ids_tokens_and_lengths_are_client_errors(client, api_key):
    collection = SkillCollectionFactory(organization=api_key.organization, mode=api_key.mode)
    create_version(collection, {"ok/SKILL.md": skill_md("ok")})
    skill = Skill.objects.get()
    versions = f"/v1/skills/{skill.pk}/versions"
    for path, status in [
        (f"{versions}?page={encode_token('9' * 2000)}", 400),
        (f"{versions}?page={encode_token('99999999999')}", 400),
        (f"{versions}?page={encode_token('1', '2')}", 400),
        (f"/v1/skills?page={encode_token('not a date', 'x')}", 400),
        (f"/v1/skills?page={encode_token('2026-01-01T00:00:00+00:00', 'x')}", 400),
        (f"{versions}/{'9' * 3000}", 404),
        (f"{versions}/99999999999999999999999", 404),
        (f"{versions}/%00", 404),
        ("/v1/skills/%00/versions", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status, (path, response.content)
        assert response.json()["type"] == "error"
    body, content_type = multipart([("ok/SKILL.md", skill_md("ok").encode())])
    garbled = client.generic(
        "POST", versions, body, content_type=content_type, CONTENT_LENGTH="many"
    )
    assert garbled.status_code == 400 and garbled.json()["type"] == "error"


@pytest.mark.django_db
def test_options_name_the_methods_and_nothing_internal(client):
    # OPTIONS is answered from the route for every path (api/middleware.py): no body at all.
    for path, allowed in [
        ("/v1/skills", "GET, POST, HEAD, OPTIONS"),
        ("/v1/skills/x/versions/1", "GET, DELETE, HEAD, OPTIONS"),
        ("/v1/skills/x/versions/1/content", "GET, HEAD, OPTIONS"),
    ]:
        response = client.options(path)
        assert response.status_code == 204 and response["Allow"] == allowed
        assert response.content == b""
