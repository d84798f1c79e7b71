"""Skill collections as git repositories, read with the real `git` client over smart HTTP
against a live server thread (pytest-django's `live_server`)."""

import base64
import gzip
import os
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Mode
from skills import services
from skills.git.objects import git_path
from skills.git.pack import PKT_DATA, entry_name
from skills.models import GitBlobId, VersionFile
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md
from tests.skills.gitclient import git_with_key, run_git, tree_of, url_of

pytestmark = pytest.mark.django_db(transaction=True)

V1 = {**skill_files("pdf-tools"), "pdf-tools/logo.bin": bytes(range(256)) * 3}
V2 = {**skill_files("pdf-tools", "release-notes"), "README.md": "Second.\n"}


@pytest.fixture
def collection(key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=V1, commit_message="First cut", release_label="stable")
    create_version(collection, files=V2, commit_message="Add release notes")
    return collection


def clone_with_header(home, live_server, collection, raw_key, target: Path, check=True):
    url = url_of(live_server, collection)
    return git_with_key(home, url, raw_key, "clone", url, str(target), check=check)


def test_clone_with_bearer_header_gives_history_tags_and_files(live_server, home, key, collection):
    target = home / "repo"
    clone_with_header(home, live_server, collection, key.raw_key, target)

    assert tree_of(target) == {p: c if isinstance(c, bytes) else c.encode() for p, c in V2.items()}
    log = run_git(home, "log", "--format=%s|%an|%ae", "main", cwd=target).stdout.splitlines()
    member = key.member
    assert log == [
        f"Add release notes|{member.name or 'Skillport'}|{member.email}",
        f"First cut|{member.name or 'Skillport'}|{member.email}",
    ]
    tags = run_git(home, "tag", cwd=target).stdout.split()
    assert tags == ["v1", "v2"]
    # `git checkout v1` is version 1's files, byte for byte.
    run_git(home, "checkout", "-q", "v1", cwd=target)
    assert tree_of(target) == {p: c if isinstance(c, bytes) else c.encode() for p, c in V1.items()}
    dates = run_git(home, "log", "--format=%at", "v1", cwd=target).stdout.split()
    first = collection.versions.get(number=1)
    assert dates == [str(int(first.created_at.timestamp()))]


def test_clone_with_basic_auth_any_user_name(live_server, home, key, collection):
    url = url_of(live_server, collection).replace("http://", f"http://anyone:{key.raw_key}@")
    run_git(home, "clone", url, str(home / "repo"))
    assert (home / "repo" / "release-notes" / "SKILL.md").exists()


def test_same_data_same_commit_ids(live_server, home, key, collection):
    one, two = home / "one", home / "two"
    clone_with_header(home, live_server, collection, key.raw_key, one)
    clone_with_header(home, live_server, collection, key.raw_key, two)
    heads = [run_git(home, "rev-parse", "main", "v1", cwd=repo).stdout for repo in (one, two)]
    assert heads[0] == heads[1]


def test_label_branch_moves_with_its_label(live_server, home, key, collection):
    target = home / "repo"
    clone_with_header(home, live_server, collection, key.raw_key, target)
    v1 = run_git(home, "rev-parse", "v1", cwd=target).stdout
    assert run_git(home, "rev-parse", "origin/stable", cwd=target).stdout == v1

    services.update_version(collection.versions.get(number=2), release_label="stable")
    git_with_key(home, url_of(live_server, collection), key.raw_key, "fetch", "origin", cwd=target)
    v2 = run_git(home, "rev-parse", "v2", cwd=target).stdout
    assert run_git(home, "rev-parse", "origin/stable", cwd=target).stdout == v2


def test_fetch_after_a_new_version_brings_the_new_commit(live_server, home, key, collection):
    target = home / "repo"
    clone_with_header(home, live_server, collection, key.raw_key, target)
    old_main = run_git(home, "rev-parse", "origin/main", cwd=target).stdout.strip()

    v3 = {**V2, "release-notes/SKILL.md": skill_md("release-notes", "Writes better notes.")}
    create_version(collection, files=v3, commit_message="Better notes")
    url = url_of(live_server, collection)
    fetched = git_with_key(home, url, key.raw_key, "fetch", "origin", cwd=target)
    assert "v3" in fetched.stderr

    new_main = run_git(home, "rev-parse", "origin/main", cwd=target).stdout.strip()
    assert run_git(home, "rev-parse", "origin/main^", cwd=target).stdout.strip() == old_main
    assert (
        run_git(home, "log", "-1", "--format=%s", new_main, cwd=target).stdout == "Better notes\n"
    )
    run_git(home, "merge", "-q", "--ff-only", "origin/main", cwd=target)
    assert (target / "release-notes" / "SKILL.md").read_text() == v3["release-notes/SKILL.md"]


def test_no_key_is_401_and_git_asks_for_credentials(live_server, home, collection):
    done = run_git(home, "clone", url_of(live_server, collection), str(home / "r"), check=False)
    assert done.returncode != 0
    assert "could not read Username" in done.stderr


def test_no_key_answers_401_with_a_basic_challenge(anonymous_client, collection):
    response = anonymous_client.get(git_path(collection) + "/info/refs?service=git-upload-pack")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Skillport"'


def test_a_wrong_key_is_401(anonymous_client, collection):
    header = "Basic " + base64.b64encode(b"x:sk_test_nope").decode()
    response = anonymous_client.get(
        git_path(collection) + "/info/refs?service=git-upload-pack", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Skillport"'


def test_another_organization_is_404(live_server, home, collection):
    other = ApiKeyFactory()
    done = clone_with_header(home, live_server, collection, other.raw_key, home / "r", check=False)
    assert done.returncode != 0
    assert "404" in done.stderr or "not found" in done.stderr


def test_another_mode_is_404(anonymous_client, key, collection):
    live_key = ApiKeyFactory(member=key.member, mode=Mode.LIVE)
    response = anonymous_client.get(
        git_path(collection) + "/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {live_key.raw_key}",
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_an_id_that_is_no_uuid_is_404(anonymous_client, key):
    response = anonymous_client.get(
        "/git/skill_collections/" + "a" * 36 + ".git/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 404


def test_the_rate_limit_applies(anonymous_client, key, collection):
    key.rate_limit = 1
    key.save()
    path = git_path(collection) + "/info/refs?service=git-upload-pack"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw_key}"}
    assert anonymous_client.get(path, **auth).status_code == 200
    throttled = anonymous_client.get(path, **auth)
    assert throttled.status_code == 429
    assert "Retry-After" in throttled


def test_git_url_attribute_is_absolute_on_the_public_url_and_clones(
    live_server, settings, home, key, collection
):
    settings.SKILLPORT_WEBHOOKS = {**settings.SKILLPORT_WEBHOOKS, "PUBLIC_URL": live_server.url}
    client = JsonApiClient(key)
    document = client.get(f"/api/skill_collections/{collection.pk}").json()
    git_url = document["data"]["attributes"]["git_url"]
    assert git_url == f"{live_server.url}/git/skill_collections/{collection.pk}.git"

    git_with_key(home, git_url, key.raw_key, "clone", git_url, str(home / "repo"))
    assert (home / "repo" / "pdf-tools" / "SKILL.md").exists()


@pytest.mark.parametrize(
    "body",
    [
        b"garbage",
        b"0032want " + b"0" * 40 + b"\n00000009done\n",
        b"0032want " + b"z" * 40 + b"\n00000009done\n",
        b"0051want " + b"1" * 40 + b" side-band-64k thin-pack ofs-delta\n00000009done\n",
        b"",
        b"ffff",
    ],
)
def test_a_malformed_upload_pack_request_is_a_400(anonymous_client, key, collection, body):
    response = anonymous_client.post(
        git_path(collection) + "/git-upload-pack",
        body,
        content_type="application/x-git-upload-pack-request",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "bad_request"


def test_other_methods_and_services_are_json_api_errors(anonymous_client, key, collection):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw_key}"}
    refs = git_path(collection) + "/info/refs"
    posted = anonymous_client.post(refs + "?service=git-upload-pack", **auth)
    assert posted.status_code == 405
    assert posted["Allow"] == "GET, HEAD, OPTIONS"
    assert (
        anonymous_client.get(git_path(collection) + "/git-upload-pack", **auth).status_code == 405
    )
    # The dumb protocol and other services are not served (pushing: test_git_push.py).
    other = anonymous_client.get(refs + "?service=git-upload-archive", **auth)
    assert other.status_code == 403
    assert other.json()["errors"][0]["code"] == "unsupported_service"
    assert anonymous_client.get(refs, **auth).status_code == 403


def test_a_fetch_reads_only_the_new_files_from_storage(live_server, home, key, collection):
    """Blob ids are derived once (GitBlobId) and a file is read only when a pack sends it: with
    every file of versions 1 and 2 gone from storage, a fetch of version 3 still works."""
    target = home / "repo"
    clone_with_header(home, live_server, collection, key.raw_key, target)
    old = set(
        VersionFile.objects.filter(version__skill_collection=collection).values_list(
            "blob__storage_name", flat=True
        )
    )
    assert GitBlobId.objects.count() == len(old)

    new_skill = skill_md("release-notes", "Writes better notes.")
    create_version(collection, files={**V2, "release-notes/SKILL.md": new_skill})
    for name in old:
        default_storage.delete(name)
    git_with_key(home, url_of(live_server, collection), key.raw_key, "fetch", "origin", cwd=target)
    run_git(home, "merge", "-q", "--ff-only", "origin/main", cwd=target)
    assert tree_of(target) == {
        **{p: c if isinstance(c, bytes) else c.encode() for p, c in V2.items()},
        "release-notes/SKILL.md": new_skill.encode(),
    }


def test_a_collection_without_versions_clones_empty(live_server, home, key):
    empty = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    done = clone_with_header(home, live_server, empty, key.raw_key, home / "empty")
    assert "empty repository" in done.stderr


def test_a_deleted_collection_is_404(anonymous_client, key, collection):
    services.delete_collection(collection, actor=key.member)
    response = anonymous_client.get(
        git_path(collection) + "/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 404


def upload_pack_request(want: str) -> bytes:
    line = f"want {want} side-band-64k thin-pack ofs-delta\n".encode()
    return b"%04x" % (len(line) + 4) + line + b"0000" + b"0009done\n"


def test_a_gzipped_upload_pack_request_is_inflated(anonymous_client, key, collection):
    refs = anonymous_client.get(
        git_path(collection) + "/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    ).content
    want = re.search(rb"([0-9a-f]{40}) refs/heads/main\n", refs).group(1).decode()
    response = anonymous_client.post(
        git_path(collection) + "/git-upload-pack",
        gzip.compress(upload_pack_request(want)),
        content_type="application/x-git-upload-pack-request",
        HTTP_CONTENT_ENCODING="gzip",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-git-upload-pack-result"
    assert b"PACK" in b"".join(response.streaming_content)


def test_an_oversized_upload_pack_request_is_a_413(anonymous_client, settings, key, collection):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "GIT_MAX_REQUEST_SIZE": 100}
    body = upload_pack_request("1" * 40) * 3
    for extra, payload in (({}, body), ({"HTTP_CONTENT_ENCODING": "gzip"}, gzip.compress(body))):
        response = anonymous_client.post(
            git_path(collection) + "/git-upload-pack",
            payload,
            content_type="application/x-git-upload-pack-request",
            HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
            **extra,
        )
        assert response.status_code == 413


# About 3 MB: random content no compressor shrinks, so the pack is about that size too.
LARGE = {
    **skill_files("bulk"),
    **{f"bulk/data/part-{n}.bin": os.urandom(600_000) for n in range(5)},
    "bulk/notes.md": "A line of notes.\n" * 20_000,
}


def main_of(anonymous_client, key, collection) -> str:
    refs = anonymous_client.get(
        git_path(collection) + "/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    ).content
    return re.search(rb"([0-9a-f]{40}) refs/heads/main\n", refs).group(1).decode()


def test_the_pack_is_streamed_in_side_band_pkt_lines(anonymous_client, key):
    """The pack is not assembled in memory: the response is a stream of pkt-lines, each at most
    one side-band-64k packet, consumed one by one."""
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=LARGE)
    response = anonymous_client.post(
        git_path(collection) + "/git-upload-pack",
        upload_pack_request(main_of(anonymous_client, key, collection)),
        content_type="application/x-git-upload-pack-request",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 200
    assert response.streaming
    sizes = [len(chunk) for chunk in response.streaming_content]
    assert len(sizes) > 3_000_000 // PKT_DATA
    assert max(sizes) <= PKT_DATA + 5


def test_a_large_clone_is_byte_for_byte(live_server, home, key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=LARGE)
    clone_with_header(home, live_server, collection, key.raw_key, home / "repo")
    assert tree_of(home / "repo") == {
        p: c if isinstance(c, bytes) else c.encode() for p, c in LARGE.items()
    }
    run_git(home, "fsck", "--strict", cwd=home / "repo")


def stored_names(collection) -> set[str]:
    return set(
        VersionFile.objects.filter(version__skill_collection=collection).values_list(
            "blob__storage_name", flat=True
        )
    )


def test_a_second_clone_sends_the_kept_entries_without_reading_a_file(
    live_server, home, key, collection
):
    """The first clone keeps every file's pack entry in storage; with every stored file gone,
    a second clone still gives the same files: it read none of them."""
    clone_with_header(home, live_server, collection, key.raw_key, home / "one")
    entries = [
        entry_name(git_id.encode()) for git_id in GitBlobId.objects.values_list("git_id", flat=True)
    ]
    assert len(entries) == len(stored_names(collection))
    assert all(default_storage.exists(name) for name in entries)

    for name in stored_names(collection):
        default_storage.delete(name)
    clone_with_header(home, live_server, collection, key.raw_key, home / "two")
    assert tree_of(home / "two") == tree_of(home / "one")
    for repo in (home / "one", home / "two"):
        run_git(home, "fsck", "--strict", cwd=repo)


def test_a_damaged_kept_entry_is_derived_again(live_server, home, key, collection):
    clone_with_header(home, live_server, collection, key.raw_key, home / "one")
    git_id = GitBlobId.objects.get(
        blob_id=VersionFile.objects.get(version__number=2, path="README.md").blob_id
    ).git_id
    name = entry_name(git_id.encode())
    with default_storage.open(name, "rb") as handle:
        whole = handle.read()
    default_storage.delete(name)
    default_storage.save(name, ContentFile(whole[: len(whole) // 2]))  # a torn write

    clone_with_header(home, live_server, collection, key.raw_key, home / "two")
    assert tree_of(home / "two") == tree_of(home / "one")
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == whole


def packed_objects(home, repo) -> int:
    """Objects in the repository's packs, counted once per pack that holds them."""
    counted = run_git(home, "count-objects", "-v", cwd=repo).stdout
    return int(re.search(r"^in-pack: (\d+)$", counted, re.M).group(1))


def test_a_fetch_after_a_new_version_receives_only_the_new_objects(
    live_server, home, key, collection
):
    target = home / "repo"
    clone_with_header(home, live_server, collection, key.raw_key, target)
    before = packed_objects(home, target)
    create_version(
        collection,
        files={**V2, "release-notes/SKILL.md": skill_md("release-notes", "Writes better notes.")},
    )
    url = url_of(live_server, collection)
    # The received pack is kept as it came (not unpacked), so its objects can be counted.
    git_with_key(home, url, key.raw_key, "-c", "fetch.unpackLimit=1", "fetch", "origin", cwd=target)
    # The changed file, its folder's tree, the root tree and the commit; nothing else.
    assert packed_objects(home, target) - before == 4
    new = run_git(home, "rev-list", "--objects", "origin/main", "--not", "v2", cwd=target)
    assert len(new.stdout.splitlines()) == 4


def test_trees_and_commits_are_derived_once_per_state_of_the_versions(
    anonymous_client, key, collection
):
    """The second request reads the kept trees and commits: it lists no version's files."""
    path = git_path(collection) + "/info/refs?service=git-upload-pack"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw_key}"}
    files_table = VersionFile._meta.db_table

    def files_listed(queries) -> int:
        return sum(files_table in query["sql"] for query in queries.captured_queries)

    with CaptureQueriesContext(connection) as first:
        derived = anonymous_client.get(path, **auth).content
    with CaptureQueriesContext(connection) as second:
        kept = anonymous_client.get(path, **auth).content
    assert kept == derived
    assert files_listed(first) >= 1
    assert files_listed(second) == 0
    assert len(default_storage.listdir("git-trees")[1]) == 1

    # A new version is a new state: derived again, with the new commit on top.
    create_version(collection, files={**V2, "README.md": "Third.\n"})
    with CaptureQueriesContext(connection) as third:
        refs = anonymous_client.get(path, **auth).content
    assert files_listed(third) >= 1
    assert b"refs/tags/v3" in refs
    assert re.search(rb"([0-9a-f]{40}) refs/tags/v2", refs).group(1) in derived
