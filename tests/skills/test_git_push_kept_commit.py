"""A pushed commit is kept with its version: the version's commit IS the pushed commit (same
id), so a CI job or a person pushes again and again without a pull in between."""

import os
import stat

import pytest

from skills.models import SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files
from tests.skills.gitclient import git_with_key, run_git, url_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def collection(key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=skill_files("pdf-tools"), release_label="stable")
    return collection


@pytest.fixture
def clone(live_server, home, key, collection):
    url = url_of(live_server, collection)
    target = home / "repo"
    git_with_key(home, url, key.raw_key, "clone", "-q", url, str(target))

    def git(*args: str, check: bool = True, env: dict | None = None):
        if env:
            os.environ.update(env)
        try:
            return git_with_key(home, url, key.raw_key, *args, cwd=target, check=check)
        finally:
            for name in env or {}:
                os.environ.pop(name, None)

    git.path = target
    return git


def fresh_clone(live_server, home, key, collection, name: str):
    url = url_of(live_server, collection)
    git_with_key(home, url, key.raw_key, "clone", "-q", url, str(home / name))
    return home / name


def write(git, path: str, content: str) -> None:
    target = git.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)


def test_push_after_push_without_a_pull(live_server, home, key, collection, clone):
    heads = []
    for number in range(3):
        write(clone, f"notes-{number}.txt", f"{number}\n")
        clone("add", "-A")
        clone("commit", "-q", "-m", f"Change {number}")
        pushed = clone("push", "-q", "origin", "main")
        assert "Its commit is the one you pushed." in pushed.stderr
        heads.append(clone("rev-parse", "HEAD").stdout.strip())
    assert collection.versions.count() == 4
    # The server's history is the pushed one: same ids for main and each version's tag.
    assert clone("ls-remote", "origin", "main").stdout.split()[0] == heads[-1]
    fresh = fresh_clone(live_server, home, key, collection, "fresh")
    tags = run_git(home, "rev-parse", "v2", "v3", "v4", cwd=fresh).stdout.split()
    assert tags == heads
    # A plain fetch in the pushing clone has nothing to rewrite.
    clone("fetch", "-q", "origin")
    assert clone("status", "-sb").stdout.startswith("## main...origin/main\n")


def test_the_commit_is_kept_byte_for_byte(live_server, home, key, collection, clone):
    """Author and committer apart, dates with time zones, a message without a final newline,
    and a signature header: the served commit object is the pushed one."""
    write(clone, "README.md", "Signed.\n")
    clone("add", "-A")
    tree = clone("write-tree").stdout.strip()
    parent = clone("rev-parse", "HEAD").stdout.strip()
    raw = (
        f"tree {tree}\nparent {parent}\n"
        "author Ada Author <ada@example.com> 1577934245 +0530\n"
        "committer Carl Committer <carl@example.com> 1577937845 -0800\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n"
        "\nSigned release\n\n  indented body, trailing spaces   \nno final newline"
    )
    (home / "commit.raw").write_text(raw)
    sha = clone("hash-object", "-t", "commit", "-w", str(home / "commit.raw")).stdout.strip()
    clone("update-ref", "refs/heads/main", sha)
    clone("push", "-q", "origin", "main")

    fresh = fresh_clone(live_server, home, key, collection, "fresh")
    assert run_git(home, "rev-parse", "main", "v2", cwd=fresh).stdout.split() == [sha, sha]
    served = run_git(home, "cat-file", "commit", "main", cwd=fresh).stdout
    assert served == raw
    version = SkillCollectionVersion.objects.get(skill_collection=collection, number=2)
    assert bytes(version.git_commit) == raw.encode()


def test_file_modes_are_kept(live_server, home, key, collection, clone):
    write(clone, "pdf-tools/scripts/run.sh", "#!/bin/sh\necho hi\n")
    script = clone.path / "pdf-tools/scripts/run.sh"
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    clone("add", "-A")
    clone("commit", "-q", "-m", "An executable")
    clone("push", "-q", "origin", "main")
    head = clone("rev-parse", "HEAD").stdout.strip()
    version = SkillCollectionVersion.objects.get(skill_collection=collection, number=2)
    assert version.file_modes == {"pdf-tools/scripts/run.sh": "100755"}
    fresh = fresh_clone(live_server, home, key, collection, "fresh")
    assert run_git(home, "rev-parse", "main", cwd=fresh).stdout.strip() == head
    listing = run_git(home, "ls-tree", "-r", "main", cwd=fresh).stdout
    assert "100755 blob" in next(line for line in listing.splitlines() if "run.sh" in line)
    assert os.access(fresh / "pdf-tools/scripts/run.sh", os.X_OK)


def test_a_push_off_the_latest_version_gets_a_derived_commit(live_server, collection, clone):
    """A label branch behind `main`: the version's commit must follow the latest version, so
    Skillport derives it (as for an upload) and says to pull."""
    create_version(collection, files={**skill_files("pdf-tools"), "README.md": "Two.\n"})
    clone("fetch", "-q", "origin")
    clone("checkout", "-q", "-b", "stable", "origin/stable")
    write(clone, "README.md", "Stable fix.\n")
    clone("add", "-A")
    clone("commit", "-q", "-m", "Fix on stable")
    pushed = clone("push", "origin", "stable")
    assert "run `git pull --rebase`" in pushed.stderr
    version = collection.versions.get(number=3)
    assert version.git_commit is None
    assert (
        clone("ls-remote", "origin", "stable").stdout.split()[0]
        != clone("rev-parse", "HEAD").stdout.strip()
    )


def test_api_versions_keep_their_derived_commits(live_server, home, key, collection, clone):
    """A version uploaded through the API after pushed ones is derived on top of them, and the
    same data gives the same ids on every read."""
    write(clone, "a.txt", "a\n")
    clone("add", "-A")
    clone("commit", "-q", "-m", "Pushed")
    clone("push", "-q", "origin", "main")
    pushed = clone("rev-parse", "HEAD").stdout.strip()
    create_version(collection, files={**skill_files("pdf-tools"), "b.txt": "b\n"})
    one = fresh_clone(live_server, home, key, collection, "one")
    two = fresh_clone(live_server, home, key, collection, "two")
    ids = run_git(home, "rev-parse", "main", "main~1", cwd=one).stdout.split()
    assert ids[1] == pushed
    assert run_git(home, "rev-parse", "main", "main~1", cwd=two).stdout.split() == ids
