"""The sweep of `git-trees/` (skills.git.sweep_trees), on real storage files: states no request
asks for any more go once older than SKILLPORT_SKILLS["GIT_TREES_RETENTION"]; current ones stay."""

from datetime import datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from skills import services
from skills.conf import skills_conf
from skills.git import bundle_repo as git_bundles
from skills.git import repositories as git
from tests.factories import MemberFactory
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db

V1 = skill_files("pdf-tools")
V2 = {**V1, "README.md": "Second.\n"}


def later(settings) -> datetime:
    """A moment past the retention of every entry written so far."""
    seconds = skills_conf.GIT_TREES_RETENTION
    return timezone.now() + timedelta(seconds=seconds + 1)


def entries() -> set[str]:
    try:
        return set(default_storage.listdir(git.TREES_PREFIX)[1])
    except FileNotFoundError:
        return set()


def cloned(collection) -> dict[bytes, bytes]:
    """The refs a clone sees: building the repository reads (or writes) its `git-trees/` entry."""
    return git.build_repo(collection, collection.tenant).get_refs()


@pytest.fixture
def collection():
    collection = SkillCollectionFactory()
    create_version(collection, files=V1)
    return collection


def test_an_older_state_goes_after_the_retention_and_the_current_one_stays(settings, collection):
    cloned(collection)
    [first] = entries()
    assert first.startswith(f"{collection.pk}.")
    create_version(collection, files=V2)
    refs = cloned(collection)
    [current] = entries() - {first}

    assert git.sweep_trees() == 0  # both younger than the retention
    assert entries() == {first, current}
    assert git.sweep_trees(now=later(settings)) == 1
    assert entries() == {current}
    # The next clone reads the kept entry back: same commits, nothing derived again.
    modified = default_storage.get_modified_time(f"{git.TREES_PREFIX}/{current}")
    assert cloned(collection) == refs
    assert default_storage.get_modified_time(f"{git.TREES_PREFIX}/{current}") == modified


def test_a_collection_with_one_entry_keeps_it(settings, collection):
    cloned(collection)
    create_version(collection, files=V2)  # its state is new, but nobody cloned it yet
    assert git.sweep_trees(now=later(settings)) == 0
    assert len(entries()) == 1


def test_entries_of_deleted_collections_and_of_the_old_layout_go(settings, collection):
    gone = SkillCollectionFactory()
    create_version(gone, files=V1)
    cloned(collection)
    cloned(gone)
    services.delete_collection(gone, actor=gone.created_by)  # the API's soft delete
    hard = SkillCollectionFactory()
    create_version(hard, files=V2)
    cloned(hard)
    hard_entries = {name for name in entries() if name.startswith(str(hard.pk))}
    hard.delete()
    # The layout before collection ids were in the name: `git-trees/<digest>`.
    default_storage.save(f"{git.TREES_PREFIX}/{'ab' * 32}", ContentFile(b"old"))
    assert len(entries()) == 4

    assert git.sweep_trees(now=later(settings)) == 3
    [kept] = entries()
    assert kept.startswith(f"{collection.pk}.")
    assert not hard_entries & entries()


def test_a_swept_entry_is_derived_again_by_the_next_clone(settings, collection):
    refs = cloned(collection)
    [entry] = entries()
    # A sweep racing a clone: the entry is gone between two requests (or under one).
    default_storage.delete(f"{git.TREES_PREFIX}/{entry}")
    assert cloned(collection) == refs
    assert entries() == {entry}


def test_a_pass_with_nothing_stale_costs_three_queries(settings, django_assert_num_queries):
    member = MemberFactory()
    for index in range(5):
        collection = SkillCollectionFactory(organization=member.organization)
        create_version(collection, files={**V1, "n.txt": f"{index}\n"})
        cloned(collection)
    with django_assert_num_queries(3):  # live collections, plugins, marketplaces
        assert git.sweep_trees(now=later(settings)) == 0
    assert len(entries()) == 5


def test_the_scheduler_runs_it(settings, collection, capsys):
    cloned(collection)
    create_version(collection, files=V2)
    cloned(collection)
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "GIT_TREES_RETENTION": 0}
    call_command("scheduler", "--once")
    assert "git_trees trees_deleted=1" in capsys.readouterr().out
    assert len(entries()) == 1


def test_a_plugin_keeps_its_newest_entry_and_a_deleted_one_keeps_none(settings):
    member = MemberFactory()
    plugin = plugin_with_skills(member.organization, "review-kit", ["style"], version="1.0.0")
    git_bundles.build_repo(plugin, plugin.tenant)
    [first] = entries()
    assert first.startswith(f"{plugin.pk}.")
    services.update_plugin(plugin, description="Edited")
    refs = git_bundles.build_repo(plugin, plugin.tenant).get_refs()
    [newest] = entries() - {first}

    assert git.sweep_trees(now=later(settings)) == 1
    assert entries() == {newest}
    assert git_bundles.build_repo(plugin, plugin.tenant).get_refs() == refs
    plugin.delete()
    assert git.sweep_trees(now=later(settings)) == 1
    assert entries() == set()
