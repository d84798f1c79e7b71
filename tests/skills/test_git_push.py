"""Publishing with `git push`, with the real `git` client against a live server thread."""

import dataclasses
import hashlib
import io
import re
import subprocess
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from dulwich.pack import PackStreamReader

from core.models import Mode
from events.models import Event, Version, WebhookDelivery
from skills.git.objects import git_path
from skills.git.push import Refused, check_pack
from skills.models import Blob, SkillCollectionVersion
from skills.validation import Limits
from tests.conftest import JsonApiClient
from tests.events.factories import WebhookFactory
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md
from tests.skills.gitclient import git_with_key, run_git, tree_of, url_of

pytestmark = pytest.mark.django_db(transaction=True)

V1 = skill_files("pdf-tools")


@pytest.fixture
def collection(key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=V1, commit_message="First cut", release_label="stable")
    return collection


@pytest.fixture
def clone(live_server, home, key, collection):
    """A clone of the collection, with a git() that sends the key."""
    url = url_of(live_server, collection)
    target = home / "repo"
    git_with_key(home, url, key.raw_key, "clone", url, str(target))

    def git(*args: str, check: bool = True, raw_key: str = key.raw_key):
        return git_with_key(home, url, raw_key, *args, cwd=target, check=check)

    git.path = target
    return git


def commit_files(git, files: dict[str, str], message: str) -> str:
    for path, content in files.items():
        target = git.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    git("add", "-A")
    git("commit", "-q", "-m", message)
    return git("rev-parse", "HEAD^{tree}").stdout.strip()


NEW_SKILL = {"release-notes/SKILL.md": skill_md("release-notes"), "release-notes/x.txt": "x\n"}


def test_push_to_main_creates_a_version_with_the_pushed_tree(
    live_server, home, key, collection, clone
):
    tree = commit_files(clone, NEW_SKILL, "Add release notes\n\nWith a body.")
    pushed = clone("push", "origin", "main")
    assert "Skillport: created version 2" in pushed.stderr
    assert "remote:" in pushed.stderr

    version = SkillCollectionVersion.objects.get(skill_collection=collection, number=2)
    assert version.commit_message == "Add release notes\n\nWith a body."
    assert version.created_by == key.member
    assert version.release_label is None
    # The API shows it, with exactly the pushed files.
    document = JsonApiClient(key).get(f"/api/skill_collection_versions/{version.pk}").json()
    expected = {**V1, **NEW_SKILL}
    assert document["data"]["attributes"]["files"] == expected
    assert collection.skills.filter(name="release-notes").exists()

    # A fresh clone has a commit for it with the same tree, on top of version 1.
    url = url_of(live_server, collection)
    git_with_key(home, url, key.raw_key, "clone", url, str(home / "fresh"))
    fresh = home / "fresh"
    assert run_git(home, "rev-parse", "v2^{tree}", "main^{tree}", cwd=fresh).stdout.split() == [
        tree,
        tree,
    ]
    assert run_git(home, "log", "--format=%s", "main", cwd=fresh).stdout.splitlines() == [
        "Add release notes",
        "First cut",
    ]
    assert tree_of(fresh) == {path: content.encode() for path, content in expected.items()}


def test_push_fires_the_events_of_a_new_version(live_server, key, collection, clone):
    webhook = WebhookFactory(
        organization=key.organization, topic="skill_collection_versions.create"
    )
    commit_files(clone, NEW_SKILL, "Add release notes")
    clone("push", "origin", "main")
    version = SkillCollectionVersion.objects.get(skill_collection=collection, number=2)
    event = Event.objects.get(name="skill_collection_versions.create", resource_id=str(version.pk))
    assert event.event_store.who["id"] == str(key.member.pk)
    assert event.event_store.who["mode"] == Mode.TEST
    assert Version.objects.filter(resource_id=str(version.pk), event="create").exists()
    # The webhook's delivery is queued with the event (the outbox row).
    assert WebhookDelivery.objects.filter(webhook=webhook, event=event).count() == 1


def test_the_next_push_after_pull_rebase_creates_the_next_version(
    live_server, key, collection, clone
):
    commit_files(clone, NEW_SKILL, "Add release notes")
    clone("push", "origin", "main")
    clone("pull", "-q", "--rebase")
    assert clone("rev-parse", "HEAD").stdout == clone("rev-parse", "origin/main").stdout
    commit_files(clone, {"README.md": "Third.\n"}, "Third")
    clone("push", "origin", "main")
    assert collection.versions.order_by("-number").first().number == 3


def test_several_commits_make_one_version_from_the_tip(live_server, collection, clone):
    commit_files(clone, {"a.txt": "a\n"}, "One")
    commit_files(clone, {"b.txt": "b\n"}, "Two")
    clone("push", "origin", "main")
    assert collection.versions.count() == 2
    tip = collection.versions.get(number=2)
    assert tip.commit_message == "Two"
    assert {"a.txt", "b.txt"} <= set(tip.file_paths)


def test_push_to_a_label_branch_moves_the_label(live_server, collection, clone):
    create_version(collection, files={**V1, "README.md": "Two.\n"}, commit_message="Two")
    clone("fetch", "-q", "origin")
    clone("checkout", "-q", "-b", "stable", "origin/stable")
    commit_files(clone, {"README.md": "Stable fix.\n"}, "Fix on stable")
    clone("push", "origin", "stable")
    new = collection.versions.get(number=3)
    assert new.release_label == "stable"
    assert collection.versions.get(number=1).release_label is None
    assert new.file_paths == sorted(V1)


def stored_files(media_root: Path) -> set[Path]:
    return {path for path in media_root.rglob("*") if path.is_file()}


def test_a_bad_skill_md_is_rejected_with_its_message_and_stores_nothing(
    live_server, media_root, collection, clone
):
    blobs_before = set(Blob.objects.values_list("sha256", flat=True))
    files_before = stored_files(media_root)
    commit_files(clone, {"broken/SKILL.md": "no frontmatter here\n"}, "Broken")
    done = clone("push", "origin", "main", check=False)
    assert done.returncode != 0
    assert "remote: error: broken/SKILL.md: SKILL.md must start with YAML frontmatter." in (
        done.stderr
    )
    assert "[remote rejected] main -> main (broken/SKILL.md: SKILL.md must start" in done.stderr
    assert collection.versions.count() == 1
    assert set(Blob.objects.values_list("sha256", flat=True)) == blobs_before
    assert stored_files(media_root) == files_before


def test_a_file_over_the_size_limit_is_rejected(live_server, settings, collection, clone):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "MAX_FILE_SIZE": 1000}
    commit_files(clone, {"big.txt": "y" * 900 + "\n" + "z" * 200}, "Big")
    done = clone("push", "origin", "main", check=False)
    assert done.returncode != 0
    assert "a file may hold at most 1000 bytes" in done.stderr
    assert collection.versions.count() == 1


def test_a_symlink_is_rejected(live_server, collection, clone):
    (clone.path / "link").symlink_to("README.md")
    commit_files(clone, {}, "Link")
    done = clone("push", "origin", "main", check=False)
    assert "link: Symbolic links are not allowed." in done.stderr
    assert collection.versions.count() == 1


def test_a_non_fast_forward_push_is_refused(live_server, collection, clone):
    create_version(collection, files={**V1, "README.md": "Meanwhile.\n"})
    commit_files(clone, NEW_SKILL, "Stale")
    # Forced, so git sends it and the server decides.
    done = clone("push", "--force", "origin", "main", check=False)
    assert done.returncode != 0
    assert "non-fast-forward" in done.stderr
    assert collection.versions.count() == 2


def test_a_rewritten_history_is_refused_as_non_fast_forward(live_server, collection, clone):
    clone("commit", "-q", "--amend", "-m", "Rewritten")
    done = clone("push", "--force", "origin", "main", check=False)
    assert done.returncode != 0
    assert "non-fast-forward: the pushed commit does not contain the branch" in done.stderr
    assert collection.versions.count() == 1


def test_tags_new_branches_and_deletes_are_refused(live_server, collection, clone):
    commit_files(clone, NEW_SKILL, "Tagged")
    clone("tag", "mine")
    tag = clone("push", "origin", "mine", check=False)
    assert "Tags are Skillport's" in tag.stderr
    branch = clone("push", "origin", "HEAD:refs/heads/feature", check=False)
    assert "new branches are not created" in branch.stderr
    deleted = clone("push", "origin", "--delete", "stable", check=False)
    assert "Deleting a branch is refused" in deleted.stderr
    for done in (tag, branch, deleted):
        assert done.returncode != 0
        assert "[remote rejected]" in done.stderr
    assert collection.versions.count() == 1


def test_another_organization_is_404_and_no_key_401(live_server, home, collection, clone):
    commit_files(clone, NEW_SKILL, "Elsewhere")
    other = ApiKeyFactory()
    done = clone("push", "origin", "main", check=False, raw_key=other.raw_key)
    assert done.returncode != 0
    assert "404" in done.stderr or "not found" in done.stderr
    bare = run_git(
        home, "push", url_of(live_server, collection), "main", cwd=clone.path, check=False
    )
    assert bare.returncode != 0
    assert "could not read Username" in bare.stderr
    assert collection.versions.count() == 1


def test_receive_pack_http_errors(anonymous_client, settings, key, collection):
    path = git_path(collection)
    refs = anonymous_client.get(path + "/info/refs?service=git-receive-pack")
    assert refs.status_code == 401
    assert refs["WWW-Authenticate"] == 'Basic realm="Skillport"'
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw_key}"}
    advertised = anonymous_client.get(path + "/info/refs?service=git-receive-pack", **auth)
    assert advertised.status_code == 200
    assert advertised["Content-Type"] == "application/x-git-receive-pack-advertisement"
    assert b"report-status" in advertised.content and b"refs/heads/main" in advertised.content

    kind = "application/x-git-receive-pack-request"
    assert anonymous_client.get(path + "/git-receive-pack", **auth).status_code == 405
    wrong_type = anonymous_client.post(
        path + "/git-receive-pack", b"0000", content_type="text/plain", **auth
    )
    assert wrong_type.status_code == 415
    garbage = anonymous_client.post(path + "/git-receive-pack", b"zzzz", content_type=kind, **auth)
    assert garbage.status_code == 400
    assert garbage.json()["errors"][0]["code"] == "bad_request"
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "GIT_MAX_PUSH_SIZE": 10}
    too_big = anonymous_client.post(
        path + "/git-receive-pack", b"0" * 11, content_type=kind, **auth
    )
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["code"] == "request_too_large"


def pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def pack_object(kind: int, size: int, payload: bytes, base: bytes = b"") -> bytes:
    """One pack entry: the type-and-size header, a REF_DELTA's base id, zlib data."""
    header, size_left = bytearray([(kind << 4) | (size & 0x0F)]), size >> 4
    while size_left:
        header[-1] |= 0x80
        header.append(size_left & 0x7F)
        size_left >>= 7
    return bytes(header) + base + zlib.compress(payload)


def make_pack(*entries: bytes, count: int | None = None) -> bytes:
    """A pack of `entries`; its header counts `count` objects (default: the entries')."""
    count = len(entries) if count is None else count
    body = b"PACK" + (2).to_bytes(4, "big") + count.to_bytes(4, "big") + b"".join(entries)
    return body + hashlib.sha1(body).digest()


def push_body(pack: bytes, old: bytes = b"0" * 40) -> bytes:
    command = old + b" " + b"1" * 40 + b" refs/heads/main\0report-status side-band-64k\n"
    return pkt(command) + b"0000" + pack


def test_a_pack_that_inflates_past_the_limits_is_refused_before_inflating(
    anonymous_client, settings, key, collection
):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "MAX_VERSION_SIZE": 1000}
    # 50 MB of zeros compress to about 50 KB: the declared size alone refuses it.
    bomb = make_pack(pack_object(3, 50_000_000, b"\0" * 50_000_000))
    response = anonymous_client.post(
        git_path(collection) + "/git-receive-pack",
        push_body(bomb),
        content_type="application/x-git-receive-pack-request",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 200
    assert b"unpack A push inflates to at most 2000 bytes" in response.content
    assert collection.versions.count() == 1


LIMITS = Limits(
    max_file_size=100,
    max_version_size=1000,
    max_files=10,
    max_compression_ratio=200,
    compression_ratio_min_size=1000,
    max_path_length=100,
    max_frontmatter_size=100,
    max_frontmatter_depth=4,
)


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        (b"not a pack at all, not a pack at all", "no git pack"),
        (make_pack(*[pack_object(3, 1, b"x")] * 41), "at most 40 objects"),
        (make_pack(pack_object(3, 5, b"longer than five")), "larger than it declares"),
        (make_pack(pack_object(3, 50, b"short")), "smaller than it declares"),
        (make_pack(pack_object(3, 100, bytes(range(100))))[:40], "truncated"),
        (make_pack(pack_object(3, 3, b"abc"))[:-5], "truncated"),
        (make_pack(*[pack_object(3, 3, b"abc")] * 2, count=1), "more data than its header"),
        # A delta that declares a 10-byte result but copies 64 KiB from its base.
        (make_pack(pack_object(7, 4, b"\x0a\x0a\x80\x00", base=b"\1" * 20)), "malformed delta"),
        # Deltas count by the size they produce: 5 x 1500 bytes > 2 x 1000.
        (
            make_pack(*[pack_object(7, 6, b"\x00\xdc\x0b\xb0\xdc\x05", base=b"\1" * 20)] * 5),
            "inflates to at most 2000",
        ),
    ],
)
def test_check_pack_refuses_what_could_grow_without_bound(pack, message):
    with pytest.raises(Refused, match=message):
        check_pack(pack, LIMITS)


def test_check_pack_passes_a_small_pack_with_a_delta():
    # base 3 bytes -> copy offset 0 size 3, then insert "ab": a 5-byte result.
    delta = b"\x03\x05\x90\x03\x02ab"
    check_pack(make_pack(pack_object(3, 3, b"abc"), pack_object(7, 7, delta, b"\1" * 20)), LIMITS)
    # The same delta against the object before it, by offset (the blob's 12 bytes back).
    blob = pack_object(3, 3, b"abc")
    check_pack(make_pack(blob, pack_object(6, 7, delta, bytes([len(blob)]))), LIMITS)


def test_the_first_push_to_an_empty_collection_creates_version_1(live_server, home, key):
    empty = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    url = url_of(live_server, empty)
    target = home / "empty"
    git_with_key(home, url, key.raw_key, "clone", url, str(target))
    (target / "pdf-tools").mkdir()
    (target / "pdf-tools" / "SKILL.md").write_text(skill_md("pdf-tools"))
    git_with_key(home, url, key.raw_key, "add", "-A", cwd=target)
    git_with_key(home, url, key.raw_key, "commit", "-q", "-m", "Initial", cwd=target)
    git_with_key(home, url, key.raw_key, "push", "origin", "HEAD:main", cwd=target)
    version = empty.versions.get()
    assert (version.number, version.commit_message, version.file_paths) == (
        1,
        "Initial",
        ["pdf-tools/SKILL.md"],
    )


def test_a_read_only_key_cannot_push_and_nothing_is_stored(
    live_server, media_root, home, key, collection, clone
):
    reader = ApiKeyFactory(member=key.member, scope="read")
    # It clones like any key ...
    url = url_of(live_server, collection)
    git_with_key(home, url, reader.raw_key, "clone", url, str(home / "reader"))
    assert tree_of(home / "reader") == {path: content.encode() for path, content in V1.items()}
    files_before = stored_files(media_root)
    commit_files(clone, NEW_SKILL, "Not allowed")
    done = clone("push", "origin", "main", check=False, raw_key=reader.raw_key)
    assert done.returncode != 0
    # Refused at the push's first request; git prints the reason.
    assert "remote: This API key is read-only (scope 'read')" in done.stderr
    assert "error: 403" in done.stderr
    assert collection.versions.count() == 1
    assert stored_files(media_root) == files_before
    # The same push with the key that may write goes through.
    clone("push", "origin", "main")
    assert collection.versions.count() == 2


def test_a_read_only_key_is_refused_by_both_push_endpoints(anonymous_client, key, collection):
    reader = ApiKeyFactory(member=key.member, scope="read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {reader.raw_key}"}
    path = git_path(collection)
    refs = anonymous_client.get(path + "/info/refs?service=git-receive-pack", **auth)
    pushed = anonymous_client.post(
        path + "/git-receive-pack",
        b"0000",
        content_type="application/x-git-receive-pack-request",
        **auth,
    )
    for response in (refs, pushed):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/vnd.api+json"
        assert response.json()["errors"][0]["code"] == "read_only_key"
    # Reading is what the key is for.
    fetch = anonymous_client.get(path + "/info/refs?service=git-upload-pack", **auth)
    assert fetch.status_code == 200


# -- crafted packs: refused with git's `unpack <reason>`, nothing stored -------------------------

ABC = pack_object(3, 3, b"abc")  # a blob
DELTA = b"\x03\x05\x90\x03\x02ab"  # a 3-byte base -> copy it, then insert "ab"


def insert_only(text: bytes) -> bytes:
    """A delta from a 5-byte base whose result is `text` (5 bytes) whatever the base holds."""
    return b"\x05\x05\x05" + text


def blob_id(content: bytes) -> bytes:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).digest()


def with_bad_checksum(pack: bytes) -> bytes:
    return pack[:-1] + bytes([pack[-1] ^ 1])


CRAFTED = {
    # A thin pack's REF_DELTA naming a base the repository does not have (was a 500).
    "unresolved-ref-delta-base": (
        make_pack(ABC, pack_object(7, len(DELTA), DELTA, base=b"\1" * 20)),
        "deltas whose base object is missing: 0101010101",
    ),
    # Two REF_DELTAs, each naming the other's result as its base.
    "delta-loop": (
        make_pack(
            pack_object(7, 8, insert_only(b"AAAAA"), base=blob_id(b"BBBBB")),
            pack_object(7, 8, insert_only(b"BBBBB"), base=blob_id(b"AAAAA")),
        ),
        "deltas whose base object is missing",
    ),
    "truncated-in-an-object": (
        make_pack(ABC, pack_object(3, 100, bytes(range(100))))[:-30],
        "truncated",
    ),
    "truncated-trailer": (make_pack(ABC)[:-5], "truncated"),
    "wrong-trailing-checksum": (with_bad_checksum(make_pack(ABC)), "corrupt: Checksum mismatch"),
    "object-count-too-high": (make_pack(ABC, count=2), "corrupt"),
    "object-count-too-low": (make_pack(ABC, ABC, count=1), "more data than its header"),
    # OFS_DELTA offsets: before the start of the pack, into an object, zero (the delta itself).
    "ofs-delta-outside-the-pack": (
        make_pack(ABC, pack_object(6, len(DELTA), DELTA, base=b"\x7f")),
        "base is not an object of the pack",
    ),
    "ofs-delta-into-an-object": (
        make_pack(ABC, pack_object(6, len(DELTA), DELTA, base=b"\x02")),
        "base is not an object of the pack",
    ),
    "ofs-delta-offset-zero": (
        make_pack(ABC, pack_object(6, len(DELTA), DELTA, base=b"\x00")),
        "base is not an object of the pack",
    ),
}


def pkt_lines(data: bytes) -> list[bytes]:
    lines, index = [], 0
    while index < len(data):
        size = int(data[index : index + 4], 16)
        lines.append(data[index + 4 : index + size] if size else b"")
        index += max(size, 4)
    return [line for line in lines if line]


def report_of(body: bytes) -> tuple[list[str], str]:
    """The report-status lines (side-band channel 1) and what git prints as `remote:` (2)."""
    data = b"".join(line[1:] for line in pkt_lines(body) if line[0] == 1)
    said = b"".join(line[1:] for line in pkt_lines(body) if line[0] == 2)
    return [line.decode().rstrip("\n") for line in pkt_lines(data)], said.decode()


def http(url: str, raw_key: str, body: bytes | None = None) -> tuple[int, bytes]:
    """A real HTTP request to the live server (a push's POST when `body` is given)."""
    headers = {"Authorization": f"Bearer {raw_key}"}
    if body is not None:
        headers["Content-Type"] = "application/x-git-receive-pack-request"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(("pack", "reason"), CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_pack_is_an_unpack_error_and_stores_nothing(
    live_server, media_root, key, collection, clone, pack, reason
):
    repository = url_of(live_server, collection)
    main = clone("rev-parse", "origin/main").stdout.strip().encode()
    refs = http(repository + "/info/refs?service=git-upload-pack", key.raw_key)
    before = (stored_files(media_root), Blob.objects.count(), Event.objects.count())

    status, body = http(repository + "/git-receive-pack", key.raw_key, push_body(pack, main))

    assert status == 200, body[:2000]
    report, said = report_of(body)
    assert report[0].startswith("unpack ") and re.search(reason, report[0]), report
    # As git's own receive-pack answers: git prints "[remote rejected] main -> main (unpacker
    # error)" and the reason.
    assert report[1:] == ["ng refs/heads/main unpacker error"]
    assert f"error: {report[0].removeprefix('unpack ')}\n" in said
    assert collection.versions.count() == 1
    assert http(repository + "/info/refs?service=git-upload-pack", key.raw_key) == refs
    assert (stored_files(media_root), Blob.objects.count(), Event.objects.count()) == before
    # The server is still usable: the next real push creates the next version.
    commit_files(clone, NEW_SKILL, "After a crafted pack")
    clone("push", "origin", "main")
    assert collection.versions.count() == 2


def test_check_pack_passes_a_pack_git_makes_with_offset_deltas(home):
    """git's own pack of two similar files: the second is an OFS_DELTA whose offset takes
    more than one byte (the first file compresses past 127 bytes)."""
    repo = home / "packed"
    run_git(home, "init", "-q", str(repo))
    text = "".join(
        f"line {n} of a file long enough to compress past 127 bytes\n" for n in range(300)
    )
    (repo / "a.txt").write_text(text)
    (repo / "b.txt").write_text(text + "one more line\n")
    run_git(home, "add", "-A", cwd=repo)
    ids = run_git(home, "ls-files", "-s", cwd=repo).stdout.split()[1::4]
    done = subprocess.run(
        ["git", "pack-objects", "--stdout", "--delta-base-offset", "-q"],
        cwd=repo,
        input="\n".join(ids).encode(),
        capture_output=True,
        check=True,
    )
    objects = list(PackStreamReader(hashlib.sha1, io.BytesIO(done.stdout).read).read_objects())
    assert [(o.pack_type_num, o.delta_base > 127) for o in objects if o.pack_type_num == 6] == [
        (6, True)
    ]
    check_pack(done.stdout, dataclasses.replace(LIMITS, max_version_size=100_000))
