"""Plugins and marketplaces as git repositories, read with the real `git` client over smart
HTTP against a live server thread; their trees are the zip exports' entries, byte for byte."""

import io
import json
import re
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.context import acting_as
from events.models import Version as AuditVersion
from exports.skill_exports import bundles
from skills import services
from skills.bundles import layouts
from skills.bundles.epochs import record_layout_epoch
from skills.git.objects import git_path
from skills.models import (
    BundleLayoutEpoch,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory, tenant_of
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import zip_entries
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md
from tests.skills.gitclient import git_with_key, run_git, tree_of, url_of

pytestmark = pytest.mark.django_db(transaction=True)

SERVED_VERSION = re.compile(r"^1\.2\.0\+[0-9a-f]{12}$")


@pytest.fixture
def plugin(key):
    return plugin_with_skills(
        key.organization,
        "review-kit",
        ["style", "security"],
        version="1.2.0",
        description="Code review skills",
        author={"name": "Ada", "email": "ada@example.com"},
    )


@pytest.fixture
def marketplace(key, plugin):
    other = plugin_with_skills(key.organization, "alpha", ["one"], version="0.3.0")
    return services.create_marketplace(
        tenant=tenant_of(key.organization),
        actor=None,
        skill_plugins=[plugin, other],
        name="team-market",
        owner={"name": "Platform"},
        version="3.1.0",
    )


def git(home, live_server, target, raw_key, *args, cwd=None, check=True):
    return git_with_key(home, url_of(live_server, target), raw_key, *args, cwd=cwd, check=check)


def clone(home, live_server, target, raw_key, name="repo"):
    url = url_of(live_server, target)
    git(home, live_server, target, raw_key, "clone", url, str(home / name))
    return home / name


def zip_export(bundle) -> dict[str, bytes]:
    buffer = io.BytesIO()
    bundles.write_zip(bundle, buffer)
    return zip_entries(buffer.getvalue())


def head(home, repo, ref="origin/main") -> str:
    return run_git(home, "rev-parse", ref, cwd=repo).stdout.strip()


def log(home, repo, ref="origin/main") -> list[str]:
    """`subject|author name <email>|author time` of each commit, newest first."""
    return run_git(home, "log", "--format=%s|%an <%ae>|%at", ref, cwd=repo).stdout.splitlines()


def plugin_version(repo, prefix="") -> str:
    return json.loads((repo / prefix / ".claude-plugin" / "plugin.json").read_text())["version"]


def test_a_plugin_clones_as_its_zip_export_with_a_version_tag(live_server, home, key, plugin):
    repo = clone(home, live_server, plugin, key.raw_key)

    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))
    assert sorted(tree_of(repo)) == [
        ".claude-plugin/plugin.json",
        "gemini-extension.json",
        "skills/security/SKILL.md",
        "skills/security/scripts/run.py",
        "skills/style/SKILL.md",
        "skills/style/scripts/run.py",
    ]
    version = plugin_version(repo)
    assert SERVED_VERSION.match(version)
    tags = run_git(home, "tag", cwd=repo).stdout.split()
    assert tags == [f"review-kit--v{version}"]
    assert head(home, repo, tags[0]) == head(home, repo)
    log = run_git(home, "log", "--format=%s|%an", cwd=repo).stdout.splitlines()
    assert log == [f"review-kit {version}|Skillport"]


def test_a_marketplace_clones_as_its_zip_export(live_server, home, key, marketplace, plugin):
    repo = clone(home, live_server, marketplace, key.raw_key)

    assert tree_of(repo) == zip_export(bundles.marketplace_bundle(marketplace))
    listed = json.loads((repo / ".claude-plugin" / "marketplace.json").read_text())["plugins"]
    assert [entry["source"] for entry in listed] == ["./plugins/alpha", "./plugins/review-kit"]
    # The entry's version is the one in the plugin's own plugin.json, and its repository's.
    review_kit = plugin_version(repo, "plugins/review-kit")
    assert listed[1]["version"] == review_kit
    assert review_kit == plugin_version(clone(home, live_server, plugin, key.raw_key, "p"))
    assert run_git(home, "tag", cwd=repo).stdout == ""


def test_a_new_skill_version_is_a_new_commit_and_version(
    live_server, home, key, plugin, marketplace
):
    repo = clone(home, live_server, plugin, key.raw_key)
    market = clone(home, live_server, marketplace, key.raw_key, "market")
    old_head, old_version = head(home, repo), plugin_version(repo)
    old_market = head(home, market)

    skill = plugin.skills.get(name="style")
    changed = skill_md("style", "Checks style, better.")
    create_version(
        skill.skill_collection,
        {"style/SKILL.md": changed, "security/SKILL.md": skill_md("security")},
    )
    git(home, live_server, plugin, key.raw_key, "pull", "-q", "--ff-only", cwd=repo)
    git(home, live_server, marketplace, key.raw_key, "pull", "-q", "--ff-only", cwd=market)

    assert head(home, repo, "origin/main^") == old_head
    new_version = plugin_version(repo)
    assert SERVED_VERSION.match(new_version)
    assert new_version != old_version
    assert (repo / "skills" / "style" / "SKILL.md").read_text() == changed
    assert not (repo / "skills" / "style" / "scripts").exists()
    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))
    assert sorted(run_git(home, "tag", cwd=repo).stdout.split()) == sorted(
        [f"review-kit--v{old_version}", f"review-kit--v{new_version}"]
    )
    # The marketplace holding the plugin moves too, fast-forward, with the new version listed.
    assert head(home, market, "origin/main^") == old_market
    assert plugin_version(market, "plugins/review-kit") == new_version
    assert tree_of(market) == zip_export(bundles.marketplace_bundle(marketplace))


def test_no_change_no_new_commit(live_server, home, key, plugin, marketplace):
    first = clone(home, live_server, plugin, key.raw_key, "one")
    first_market = clone(home, live_server, marketplace, key.raw_key, "market-one")
    # Saved, but nothing that is laid out changed.
    services.update_plugin(plugin, version="1.2.0")
    services.update_marketplace(marketplace, skill_plugins=list(marketplace.skill_plugins.all()))
    # A new version of the skills' collection that changes none of the plugin's skills.
    collection = plugin.skills.first().skill_collection
    create_version(collection, {**skill_files("style", "security"), "README.md": "Changed.\n"})
    second = clone(home, live_server, plugin, key.raw_key, "two")
    second_market = clone(home, live_server, marketplace, key.raw_key, "market-two")

    assert head(home, first) == head(home, second)
    assert head(home, first_market) == head(home, second_market)
    # Created with its skills in one service call: one commit, not an empty one first.
    assert len(log(home, second)) == 1
    assert len(log(home, second_market)) == 1


def test_a_manifest_edit_is_a_new_commit(live_server, home, key, plugin):
    repo = clone(home, live_server, plugin, key.raw_key)
    old_head, old_version = head(home, repo), plugin_version(repo)

    services.update_plugin(plugin, description="Sharper reviews")
    git(home, live_server, plugin, key.raw_key, "pull", "-q", "--ff-only", cwd=repo)

    assert head(home, repo, "origin/main^") == old_head
    assert plugin_version(repo) != old_version
    manifest = json.loads((repo / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["description"] == "Sharper reviews"


def test_the_zip_export_carries_the_served_version(plugin):
    entries = zip_export(bundles.plugin_bundle(plugin))
    assert SERVED_VERSION.match(json.loads(entries[".claude-plugin/plugin.json"])["version"])


@pytest.mark.parametrize("target", ["plugin", "marketplace"])
def test_another_organization_is_404_and_no_key_401(live_server, home, request, target):
    target = request.getfixturevalue(target)
    other = ApiKeyFactory()
    url = live_server.url + git_path(target)
    done = git(home, live_server, target, other.raw_key, "clone", url, str(home / "r"), check=False)
    assert done.returncode != 0
    assert "404" in done.stderr or "not found" in done.stderr
    done = run_git(home, "clone", url, str(home / "anonymous"), check=False)
    assert done.returncode != 0
    assert "could not read Username" in done.stderr


@pytest.mark.parametrize("target", ["plugin", "marketplace"])
def test_errors_are_json_api_documents(anonymous_client, key, request, target):
    target = request.getfixturevalue(target)
    refs = git_path(target) + "/info/refs?service=git-upload-pack"
    anonymous = anonymous_client.get(refs)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Basic realm="Skillport"'
    other_mode = ApiKeyFactory(member=key.member, mode="live")
    hidden = anonymous_client.get(refs, HTTP_AUTHORIZATION=f"Bearer {other_mode.raw_key}")
    assert hidden.status_code == 404
    assert hidden.json()["errors"][0]["status"] == "404"
    pushed = anonymous_client.get(
        git_path(target) + "/info/refs?service=git-receive-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert pushed.status_code == 403


def test_the_rate_limit_applies(anonymous_client, key, plugin):
    key.rate_limit = 1
    key.save()
    path = git_path(plugin) + "/info/refs?service=git-upload-pack"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw_key}"}
    assert anonymous_client.get(path, **auth).status_code == 200
    assert anonymous_client.get(path, **auth).status_code == 429


def test_a_plugin_whose_skills_collide_is_a_409(anonymous_client, key):
    plugin = plugin_with_skills(key.organization, "twins", ["same"])
    plugin.skills.add(*plugin_with_skills(key.organization, "other", ["same"]).skills.all())
    response = anonymous_client.get(
        git_path(plugin) + "/info/refs?service=git-upload-pack",
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 409
    assert "several skills named same" in response.json()["errors"][0]["detail"]


def test_git_url_attributes_clone(live_server, settings, home, key, plugin, marketplace):
    settings.SKILLPORT_WEBHOOKS = {**settings.SKILLPORT_WEBHOOKS, "PUBLIC_URL": live_server.url}
    client = JsonApiClient(key)
    for target, resource in ((plugin, "skill_plugins"), (marketplace, "skill_marketplaces")):
        document = client.get(f"/api/{resource}/{target.pk}").json()
        git_url = document["data"]["attributes"]["git_url"]
        assert git_url == f"{live_server.url}/git/{resource}/{target.pk}.git"
        clone(home, live_server, target, key.raw_key, resource)
        assert (home / resource / ".claude-plugin").is_dir()


# -- the history: derived from the skills' versions and the audit trail ------------------------


def pull(home, live_server, target, raw_key, repo):
    git(home, live_server, target, raw_key, "pull", "-q", "--ff-only", cwd=repo)


def test_two_changes_between_two_reads_are_two_commits(live_server, home, key, plugin):
    repo = clone(home, live_server, plugin, key.raw_key)
    old_head = head(home, repo)

    member = key.member
    with acting_as(member):
        services.update_plugin(plugin, description="Sharper reviews")
    skill = plugin.skills.get(name="style")
    new_version = create_version(
        skill.skill_collection,
        {"style/SKILL.md": skill_md("style", "Better."), "security/SKILL.md": skill_md("security")},
    )
    pull(home, live_server, plugin, key.raw_key, repo)

    history = log(home, repo)
    assert len(history) == 3
    assert head(home, repo, "origin/main~2") == old_head
    edit = plugin.audit_versions.first()  # the newest: the description
    # Each commit: the change's time and who made it; the message names the served version.
    assert history[1] == (
        f"review-kit {plugin_version_at(home, repo, 'origin/main~1')}"
        f"|{member.name} <{member.email}>|{int(edit.created_at.timestamp())}"
    )
    assert history[0] == (
        f"review-kit {plugin_version(repo)}"
        f"|{author_of(new_version)}|{int(new_version.created_at.timestamp())}"
    )
    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))
    tags = run_git(home, "tag", cwd=repo).stdout.split()
    assert len(tags) == 3


def plugin_version_at(home, repo, ref) -> str:
    shown = run_git(home, "show", f"{ref}:.claude-plugin/plugin.json", cwd=repo).stdout
    return json.loads(shown)["version"]


def author_of(version) -> str:
    member = version.created_by
    return f"{member.name} <{member.email}>" if member else "Skillport <noreply@skillport.invalid>"


def test_replacing_a_skill_is_one_commit(live_server, home, key, plugin):
    """`set()` removes and adds (two audit versions): one service call is one commit."""
    repo = clone(home, live_server, plugin, key.raw_key)
    old_head = head(home, repo)
    replacement = plugin_with_skills(key.organization, "spare", ["lint"]).skills.get()

    services.update_plugin(plugin, skills=[plugin.skills.get(name="style"), replacement])
    pull(home, live_server, plugin, key.raw_key, repo)

    assert head(home, repo, "origin/main^") == old_head
    assert sorted(path.name for path in (repo / "skills").iterdir()) == ["lint", "style"]
    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))


def test_a_marketplace_follows_its_plugins_and_links(live_server, home, key, plugin, marketplace):
    market = clone(home, live_server, marketplace, key.raw_key)
    old_head = head(home, market)

    services.update_plugin(plugin, description="Sharper reviews")
    extra = plugin_with_skills(key.organization, "zeta", ["zed"])
    services.update_marketplace(
        marketplace, skill_plugins=[*marketplace.skill_plugins.all(), extra]
    )
    pull(home, live_server, marketplace, key.raw_key, market)

    assert len(log(home, market)) == 3
    assert head(home, market, "origin/main~2") == old_head
    assert (market / "plugins" / "zeta" / "skills" / "zed" / "SKILL.md").is_file()
    assert tree_of(market) == zip_export(bundles.marketplace_bundle(marketplace))
    # A change of a plugin outside the marketplace is no commit of it.
    services.update_plugin(
        plugin_with_skills(key.organization, "outside", ["x"]), description="Elsewhere"
    )
    pull(home, live_server, marketplace, key.raw_key, market)
    assert len(log(home, market)) == 3


def test_an_unaudited_change_is_one_last_commit_of_the_current_content(
    live_server, home, key, plugin
):
    """A link made from the skill's side is not in the plugin's audit trail: the replay cannot
    explain it, so one commit of the current content closes the history."""
    repo = clone(home, live_server, plugin, key.raw_key)
    old_head = head(home, repo)
    extra = plugin_with_skills(key.organization, "spare", ["lint"]).skills.get()

    extra.plugins.add(plugin)
    pull(home, live_server, plugin, key.raw_key, repo)

    assert head(home, repo, "origin/main^") == old_head
    assert (repo / "skills" / "lint" / "SKILL.md").is_file()
    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))
    who = log(home, repo)[0].split("|")[1]
    assert who == "Skillport <noreply@skillport.invalid>"
    # Read again: the same commit, not another one.
    again = clone(home, live_server, plugin, key.raw_key, "again")
    assert head(home, again) == head(home, repo)


def build_history(organization):
    """A plugin and a marketplace with a few changes, through the services."""
    tenant = tenant_of(organization)
    collection = SkillCollectionFactory(organization=organization, created_by=None)
    create_version(collection, skill_files("style", "security"))
    skills = list(collection.skills.order_by("name"))
    plugin = services.create_plugin(
        tenant=tenant, actor=None, skills=skills[:1], name="review-kit", version="1.0.0"
    )
    market = services.create_marketplace(
        tenant=tenant, actor=None, skill_plugins=[plugin], name="market", version="1.0.0"
    )
    services.update_plugin(plugin, skills=skills)
    services.update_plugin(plugin, description="Sharper reviews")
    create_version(collection, {**skill_files("style", "security"), "style/notes.md": "More.\n"})
    services.update_marketplace(market, description="The team's")
    return plugin, market


def copy_clock(source, copy) -> None:
    """Give `copy`'s rows the creation times of `source`'s, row for row in creation order: the
    same data as another install that made the same calls at the same times."""
    for model in (SkillCollectionVersion, AuditVersion):
        times = model.objects.filter(organization=source).order_by("created_at")
        rows = model.objects.filter(organization=copy).order_by("created_at")
        pairs = list(
            zip(
                rows.values_list("pk", flat=True),
                times.values_list("created_at", flat=True),
                strict=True,
            )
        )
        for pk, at in pairs:
            model.objects.filter(pk=pk).update(created_at=at)
    for model in (SkillPlugin, SkillMarketplace):
        for name, at in model.objects.filter(organization=source).values_list("name", "updated_at"):
            model.objects.filter(organization=copy, name=name).update(updated_at=at)


@pytest.mark.parametrize("layout_change", [False, True], ids=["one-layout", "layout-change"])
def test_the_same_data_gives_the_same_commits_on_another_install(
    live_server, home, key, layout_change
):
    plugin, market = build_history(key.organization)
    other = ApiKeyFactory()
    other_plugin, other_market = build_history(other.organization)
    commits = {plugin.pk: 4, market.pk: 5}
    if layout_change:
        # Both had data when layout 2 came, at the same moment (as an install and its restored
        # backup share it), and changed once more after it.
        record_layout_2()
        assert BundleLayoutEpoch.objects.count() == 2
        for organization in (key.organization, other.organization):
            kit = SkillPlugin.objects.for_tenant(tenant_of(organization)).get(name="review-kit")
            services.update_plugin(kit, description="After the layout change")
        commits = {plugin.pk: 6, market.pk: 7}
    copy_clock(key.organization, other.organization)

    for ours, theirs in ((plugin, other_plugin), (market, other_market)):
        repo = clone(home, live_server, ours, key.raw_key, f"ours-{ours.pk}")
        copy = clone(home, live_server, theirs, other.raw_key, f"theirs-{theirs.pk}")
        assert len(log(home, repo)) == commits[ours.pk]
        switches = [line for line in log(home, repo) if line.startswith("Layout: ")]
        assert len(switches) == int(layout_change)
        assert log(home, repo) == log(home, copy)
        assert head(home, repo) == head(home, copy)
        # Derived again without the cached trees and commits: the same ids again.
        for kept in default_storage.listdir("git-trees")[1]:
            default_storage.delete(f"git-trees/{kept}")
        again = clone(home, live_server, ours, key.raw_key, f"again-{ours.pk}")
        assert log(home, again) == log(home, repo)


def test_a_git_request_makes_a_constant_number_of_queries(
    anonymous_client, key, plugin, marketplace, django_assert_max_num_queries
):
    def refs(target):
        response = anonymous_client.get(
            git_path(target) + "/info/refs?service=git-upload-pack",
            HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
        )
        assert response.status_code == 200

    # The key (4: the transaction, the key, its last use), the target, the audit versions, the
    # links, the skills, their versions and files, the layout epochs, the git ids (2): a
    # marketplace's plugins and their audit versions add 2.
    with django_assert_max_num_queries(17):
        refs(marketplace)
    # The next request reads the derived commits back: it lists no files.
    with CaptureQueriesContext(connection) as again:
        refs(marketplace)
    assert not [query for query in again if "skills_versionfile" in query["sql"]]
    for number in range(5):
        services.update_plugin(plugin, description=f"Edit {number}")
        skill = plugin.skills.get(name="style")
        create_version(
            skill.skill_collection,
            {
                "style/SKILL.md": skill_md("style", f"Take {number}."),
                "security/SKILL.md": skill_md("security"),
            },
        )
    for target in (plugin, marketplace):
        with django_assert_max_num_queries(16):
            refs(target)


def test_a_deleted_plugin_leaves_the_marketplace_in_one_commit(
    live_server, home, key, plugin, marketplace
):
    """Deleting a plugin removes its links without a link edit in the marketplace's trail; the
    plugin's own `destroy` audit version is the change point, so the history stays replayable."""
    market = clone(home, live_server, marketplace, key.raw_key)
    old_head = head(home, market)

    with acting_as(key.member):
        marketplace.skill_plugins.get(name="alpha").delete()
    pull(home, live_server, marketplace, key.raw_key, market)

    assert head(home, market, "origin/main^") == old_head
    assert not (market / "plugins" / "alpha").exists()
    assert tree_of(market) == zip_export(bundles.marketplace_bundle(marketplace))
    # Replayed, not patched up: the commit is the deletion's, by its actor and at its time.
    deleted = AuditVersion.objects.filter(event="destroy").get()
    member = f"{key.member.name} <{key.member.email}>"
    assert log(home, market)[0].endswith(f"|{member}|{int(deleted.created_at.timestamp())}")


# -- layout changes (skills/bundles/layouts.py LAYOUTS, BundleLayoutEpoch) ----------------------


def record_layout_2() -> None:
    """What the migration that introduced layout 2 does (skills 0011), on this database."""
    record_layout_epoch(django_apps, SimpleNamespace(connection=connection), 2)


def paths_at(home, repo, ref) -> list[str]:
    return run_git(home, "ls-tree", "-r", "--name-only", ref, cwd=repo).stdout.split()


def remote_refs(home, live_server, target, raw_key) -> list[str]:
    url = url_of(live_server, target)
    return git(home, live_server, target, raw_key, "ls-remote", url).stdout.splitlines()


def tags_of(refs: list[str]) -> list[str]:
    return [ref for ref in refs if "\trefs/tags/" in ref]


def test_a_layout_change_keeps_every_commit_and_adds_one(live_server, home, key, monkeypatch):
    """An install whose plugins were served in layout 1 (no `gemini-extension.json`) before the
    migration to layout 2: clones made before it fast-forward to one commit by Skillport that
    adds the file, and every earlier commit and tag stays."""
    plugin, market = build_history(key.organization)
    repos, refs = {}, {}
    with monkeypatch.context() as release:
        release.setattr(layouts, "CURRENT_LAYOUT", 1)  # as the release before layout 2 served it
        for target in (plugin, market):
            repos[target.pk] = clone(home, live_server, target, key.raw_key, f"old-{target.pk}")
            refs[target.pk] = remote_refs(home, live_server, target, key.raw_key)
    old_logs = {pk: log(home, repo) for pk, repo in repos.items()}
    assert "gemini-extension.json" not in tree_of(repos[plugin.pk])
    assert "plugins/review-kit/gemini-extension.json" not in tree_of(repos[market.pk])

    record_layout_2()
    (epoch,) = BundleLayoutEpoch.objects.all()
    for target in (plugin, market):
        repo = repos[target.pk]
        old_head = head(home, repo)
        git(home, live_server, target, key.raw_key, "pull", "--ff-only", cwd=repo)
        assert head(home, repo, "origin/main^") == old_head
        assert log(home, repo)[1:] == old_logs[target.pk]
        skillport = "Skillport <noreply@skillport.invalid>"
        when = int(epoch.since.timestamp())
        assert log(home, repo)[0] == f"Layout: add gemini-extension.json|{skillport}|{when}"
        bundle = bundles.plugin_bundle(target) if target is plugin else None
        bundle = bundle or bundles.marketplace_bundle(target)
        assert tree_of(repo) == zip_export(bundle)
        # Tags stay where they were; only `main` (and HEAD) moved on.
        now = remote_refs(home, live_server, target, key.raw_key)
        assert tags_of(now) == tags_of(refs[target.pk])
        assert len(tags_of(now)) == (4 if target is plugin else 0)
    assert "gemini-extension.json" in tree_of(repos[plugin.pk])

    # Changes after it are laid out in layout 2 and fast-forward as always.
    services.update_plugin(plugin, description="After the layout change")
    repo = repos[plugin.pk]
    switched = head(home, repo)
    git(home, live_server, plugin, key.raw_key, "pull", "--ff-only", cwd=repo)
    assert head(home, repo, "origin/main^") == switched
    assert tree_of(repo) == zip_export(bundles.plugin_bundle(plugin))
    assert json.loads((repo / "gemini-extension.json").read_text())["description"] == (
        "After the layout change"
    )


def test_a_fresh_install_has_the_newest_layout_from_its_first_commit(live_server, home, key):
    record_layout_2()  # the migration runs before there is any data: it records nothing
    assert not BundleLayoutEpoch.objects.exists()
    plugin, market = build_history(key.organization)

    for target, manifest in ((plugin, ""), (market, "plugins/review-kit/")):
        repo = clone(home, live_server, target, key.raw_key, f"fresh-{target.pk}")
        commits = run_git(home, "rev-list", "origin/main", cwd=repo).stdout.split()
        assert len(commits) == (4 if target is plugin else 5)
        for commit in commits:
            assert f"{manifest}gemini-extension.json" in paths_at(home, repo, commit)
        assert not [line for line in log(home, repo) if line.startswith("Layout:")]
