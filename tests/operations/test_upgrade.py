"""Upgrading in place from the last release (the git tag `RELEASE`) keeps every answer.

The released code is extracted with `git archive` and run with this virtualenv (its requirements
are a subset of ours) on a fresh database and storage: migrated, served by its own gunicorn and
filled through its API over HTTP, exports run by its own task worker. Then this checkout's
`migrate` runs on the same database and storage, this checkout's server starts, and every
document, every zip (by digest), every git repository's refs (`git ls-remote`) and the API key
answer as before; documents may have gained attributes since. An export enqueued by the old
release and left pending over the upgrade is run by this checkout's worker.

On SQLite, and on PostgreSQL (a database of its own on the server) when DATABASE_URL names one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import tarfile
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operations.api import Api, many, one
from tests.served import ROOT, gunicorn, install_env, manage, postgres_databases
from tests.skills.gitclient import run_git

pytestmark = [pytest.mark.worker, pytest.mark.slow]

RELEASE = "v0.1.0"
# The commit the tag names, in main's history: a clone may come without the tag (the project's
# checkouts are rebuilt from landed commits, which carry no tags), never without its history.
RELEASE_COMMIT = "26f4d05c76b76ba9dcc1774aab4875c8a588d17f"
# Values that differ on every read by design: fresh signed links and the request's own id.
VOLATILE = {"trace_id", "attachment_url", "url", "expires_at", "expires_in"}


def release_revision() -> str:
    """The tag when this clone has it, else its commit; skips when neither is here."""
    for revision in (RELEASE, RELEASE_COMMIT):
        found = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if found.returncode == 0:
            if found.stdout.strip() != RELEASE_COMMIT:
                pytest.fail(f"the tag {RELEASE} names {found.stdout.strip()}, not {RELEASE_COMMIT}")
            return revision
    pytest.skip(f"neither the tag {RELEASE} nor its commit is in this clone (a shallow clone?)")


def release_archive(tmp_path: Path) -> Path:
    """The released tree, extracted; skips when the release is not in this clone."""
    archive = tmp_path / "release.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), release_revision()],
        cwd=ROOT,
        check=True,
    )
    old = tmp_path / "release"
    with tarfile.open(archive) as tar:
        tar.extractall(old, filter="data")
    return old


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: a SQLite file, or a new database on DATABASE_URL's server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'skillport.sqlite3'}"
        return
    with postgres_databases(url, f"skp_upgrade_{uuid.uuid4().hex[:10]}") as (database,):
        yield database


def skill_md(name: str, description: str) -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n"


def populate(api: Api) -> dict[str, list[str]]:
    """A registry, exports and a webhook, written through the API; ids by type."""
    collection = api.create(
        "skill_collections",
        {"name": "support", "root_path": ".claude/skills", "provider": "claude"},
    )
    files = {"README.md": "Support skills.\n", "pdf/SKILL.md": skill_md("pdf", "Work with PDFs.")}
    versions = [
        api.create(
            "skill_collection_versions",
            {"files": files, "commit_message": "pdf", "release_label": "stable"},
            {"skill_collection": one("skill_collections", collection["id"])},
        )
    ]
    files = {
        **files,
        "notes/SKILL.md": skill_md("notes", "Write release notes."),
        "bin.dat": {"base64": "AAECAwQ="},
    }
    versions.append(
        api.create(
            "skill_collection_versions",
            {"files": files, "commit_message": "notes", "release_label": "prod"},
            {"skill_collection": one("skill_collections", collection["id"])},
        )
    )
    skills = [skill["id"] for skill in api.get("/api/skills?sort=path")["data"]]
    assert len(skills) == 2
    plugin = api.create(
        "skill_plugins",
        {"name": "support-kit", "version": "1.0.0", "description": "The support skills."},
        {"skills": many("skills", skills)},
    )
    marketplace = api.create(
        "skill_marketplaces",
        {"name": "acme-tools", "owner": {"name": "Acme"}, "description": "Acme's plugins."},
        {"skill_plugins": many("skill_plugins", [plugin["id"]])},
    )
    # A topic nothing in this test fires: the webhook is recorded, never called.
    webhook = api.create(
        "webhooks", {"topic": "teams.update", "callback_url": "https://93.184.216.34/hooks"}
    )
    exports = [
        api.create("exports", {"resource_type": "skill_collection_versions", "format": "json"}),
        api.create("exports", {"resource_type": "skills", "format": "csv", "fields": ["name"]}),
    ]
    skill_export = api.create(
        "skill_exports",
        {"target": "plugin"},
        {"skill_plugin": one("skill_plugins", plugin["id"])},
    )
    return {
        "skill_collections": [collection["id"]],
        "skill_collection_versions": [version["id"] for version in versions],
        "skills": skills,
        "skill_plugins": [plugin["id"]],
        "skill_marketplaces": [marketplace["id"]],
        "webhooks": [webhook["id"]],
        "exports": [export["id"] for export in exports],
        "skill_exports": [skill_export["id"]],
    }


def run_worker(env: dict[str, str], root: Path) -> None:
    manage(env, "task_worker", "--burst", root=root)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_digest(data: bytes) -> str:
    """The digest of a zip's entries (names, bytes, modes), not of its bytes: collection zips are
    built on each request, and zipstream-ng (1.9.3) stamps each entry with the time it is
    built, so the same version's zip differs byte for byte from one minute to the next."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [
            (info.filename, info.external_attr, digest(archive.read(info)))
            for info in archive.infolist()
        ]
    return digest(json.dumps(sorted(entries)).encode())


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def record(api: Api, ids: dict[str, list[str]], home: Path) -> dict:
    """What a client sees: every document (lists and details), zips, files and git refs."""
    seen: dict = {
        "documents": {},
        "zips": {},
        "files": {},
        "git": {},
        "bundle_git": {},
        "bundle_main": {},
    }
    documents = seen["documents"]
    for type_name in [*ids, "organizations", "members"]:
        documents[f"/api/{type_name}"] = api.get(f"/api/{type_name}?page[size]=100")
    for type_name, pks in ids.items():
        for pk in pks:
            documents[f"/api/{type_name}/{pk}"] = api.get(f"/api/{type_name}/{pk}")
    (collection,) = ids["skill_collections"]
    for query in ("", "?version=1", "?version=2", "?label=stable", "?label=prod"):
        sep = "&" if query else "?"
        body = api.raw(f"/api/skill_collections/{collection}{query}{sep}format=zip")
        seen["zips"][query or "latest"] = zip_digest(body)
    for pk in ids["exports"]:
        url = documents[f"/api/exports/{pk}"]["data"]["attributes"]["attachment_url"]
        seen["files"][f"export {pk}"] = digest(download(url))  # stored once: the very bytes
    for pk in ids["skill_exports"]:
        link = documents[f"/api/skill_exports/{pk}"]["data"]["relationships"]["file_link"]
        url = api.get(f"/api/file_links/{link['data']['id']}")["data"]["attributes"]["url"]
        seen["files"][f"skill export {pk}"] = digest(download(url))
    for type_name in ("skill_collections", "skill_plugins", "skill_marketplaces"):
        for pk in ids[type_name]:
            url = f"{api.base}/git/{type_name}/{pk}.git"
            refs = run_git(home, "-c", auth(api.key), "ls-remote", url).stdout
            assert refs.strip(), f"no refs in {url}"
            refs = sorted(refs.splitlines())
            if type_name == "skill_collections":
                seen["git"][f"{type_name}/{pk}"] = refs
                continue
            # A layout change moves `main` (and HEAD) on by one commit (checked separately);
            # tags stay.
            tags = [ref for ref in refs if "\trefs/tags/" in ref]
            seen["bundle_git"][f"{type_name}/{pk}"] = tags
            main = next(ref for ref in refs if ref.endswith("\trefs/heads/main"))
            seen["bundle_main"][f"{type_name}/{pk}"] = main.split("\t")[0]
    # The key also authenticates the other way (X-API-KEY).
    request = urllib.request.Request(
        f"{api.base}/api/organizations", headers={"X-API-KEY": api.key}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    return seen


def auth(key: str) -> str:
    return f"http.extraHeader=Authorization: Bearer {key}"


def bundle_clones(base: str, key: str, home: Path, names: list[str]) -> dict[str, Path]:
    """A clone of each plugin and marketplace repository, as a client keeps one."""
    clones = {}
    for name in names:
        clones[name] = home / "clones" / name
        url = f"{base}/git/{name}.git"
        run_git(home, "-c", auth(key), "clone", "-q", url, str(clones[name]))
    return clones


def without_base(value, base: str):
    """`value` with the server's address (its port differs per run) taken out of every string."""
    return json.loads(json.dumps(value).replace(base, "BASE"))


def still(old, new, where: str = "") -> list[str]:
    """Where `new` answers differently from `old`, keys added to objects since allowed."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            problem
            for key, value in old.items()
            if key not in VOLATILE
            for problem in (
                still(value, new[key], f"{where}/{key}") if key in new else [f"{where}/{key}: gone"]
            )
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for p in still(a, b, f"{where}/{i}")
        ]
    return [] if old == new else [f"{where}: {old!r} -> {new!r}"]


def test_upgrading_from_the_last_release_keeps_every_answer(tmp_path, database_url):
    old_root = release_archive(tmp_path)
    env = install_env(
        tmp_path,
        DATABASE_URL=database_url,
        SKILLPORT_PUBLIC_URL="http://skillport.test",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    home = tmp_path / "home"
    home.mkdir()

    manage(env, "migrate", "--noinput", "-v0", root=old_root)
    key = manage(env, "create_api_key", "--organization", "acme", root=old_root)
    key = key.strip().splitlines()[-1]
    with gunicorn(env, root=old_root) as url:
        api = Api(url, key)
        ids = populate(api)
        run_worker(env, old_root)
        for type_name in ("exports", "skill_exports"):
            for pk in ids[type_name]:
                status = api.get(f"/api/{type_name}/{pk}")["data"]["attributes"]["status"]
                assert status == "completed", (type_name, pk, status)
        # Enqueued by the old release, left pending over the upgrade, run by the new worker.
        pending = api.create("exports", {"resource_type": "skills", "format": "json"})["id"]
        before = without_base(record(api, ids, home), url)
        clones = bundle_clones(url, key, home, list(before["bundle_git"]))
    assert len(before["documents"]) == 10 + sum(len(pks) for pks in ids.values())
    assert len(before["zips"]) == 5 and len(before["files"]) == 3
    assert len(before["git"]) == 1 and len(before["bundle_git"]) == 2
    assert len(before["bundle_git"]["skill_plugins/" + ids["skill_plugins"][0]]) == 1

    manage(env, "migrate", "--noinput", "-v0")
    with gunicorn(env) as url:
        api = Api(url, key)
        after = without_base(record(api, ids, home), url)
        old_mains, new_mains = before.pop("bundle_main"), after.pop("bundle_main")
        problems = still(before, after)
        assert not problems, "\n".join(problems[:40])
        run_worker(env, ROOT)
        done = api.get(f"/api/exports/{pending}")["data"]["attributes"]
        assert done["status"] == "completed", done
        assert done["records_count"] == 2
        # Plugin and marketplace repositories gained the new layout (gemini-extension.json) as
        # one commit on top, by Skillport: a clone made before the upgrade fast-forwards.
        for name, clone in clones.items():
            run_git(home, "-c", auth(key), "fetch", "-q", f"{url}/git/{name}.git", cwd=clone)
            run_git(home, "merge", "-q", "--ff-only", "FETCH_HEAD", cwd=clone)
            commits = run_git(home, "log", "--format=%H|%P|%s|%an", cwd=clone).stdout.splitlines()
            layout = "Layout: add gemini-extension.json|Skillport"
            assert commits[0] == f"{new_mains[name]}|{old_mains[name]}|{layout}", name
            assert commits[1].startswith(f"{old_mains[name]}|"), name
            assert (clone / "plugins" / "support-kit" / "gemini-extension.json").is_file() or (
                clone / "gemini-extension.json"
            ).is_file()


def test_the_comparison_allows_added_attributes_and_nothing_else():
    old = {"data": {"attributes": {"name": "a", "trace_id": "1"}, "links": ["x"]}}
    assert still(old, {"data": {"attributes": {"name": "a", "new": 1}, "links": ["x"]}}) == []
    assert still(old, {"data": {"attributes": {"name": "b"}, "links": ["x"]}}) == [
        "/data/attributes/name: 'a' -> 'b'"
    ]
    assert still(old, {"data": {"attributes": {}, "links": ["x", "y"]}}) == [
        "/data/attributes/name: gone",
        "/data/links: ['x'] -> ['x', 'y']",
    ]


# Operations that can break the processes still running the old release, or hold a lock for
# as long as a table is large: each new migration using one is named in the upgrade docs.
NEEDS_A_WORD = (
    "RemoveField",
    "DeleteModel",
    "RenameField",
    "RenameModel",
    "AlterField",
    "RemoveConstraint",
    "RunSQL",
)


def test_migrations_since_the_release_that_may_need_a_pause_are_documented():
    release = release_revision()
    added = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=A", release, "--", "*/migrations/0*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    docs = (ROOT / "docs" / "operations" / "upgrades.md").read_text()
    undocumented = []
    for name in added:
        path = ROOT / name
        if not path.exists():
            continue
        used = [op for op in NEEDS_A_WORD if f"migrations.{op}" in path.read_text()]
        # Named without its number (renumbered when branches merge), e.g. `drop_git_bundle_commits`.
        label = path.stem.split("_", 1)[1]
        if used and f"`{label}`" not in docs:
            undocumented.append(f"{name} ({', '.join(used)})")
    assert not undocumented, (
        "say in docs/operations/upgrades.md whether these need a pause or a second release: "
        + "; ".join(undocumented)
    )
