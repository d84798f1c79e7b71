"""`manage.py check_integrity` on an install damaged on purpose: each kind of damage is found
and named (exit 1), and `--repair` fixes exactly what is rebuilt from the truth (the git cache
entry, the row counter), leaving the damaged blobs reported."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from core.integrity.run import CLEAN, DAMAGED
from core.models import TenantRowCount
from skills.git.pack import entry_name
from skills.git.repositories import build_repo
from skills.models import GitBlobId, SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db(transaction=True)


def check(*args: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("check_integrity", *args, stdout=out, stderr=io.StringIO())
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue().splitlines()


@pytest.fixture
def install():
    # A flush between transactional tests leaves counters of rows deleted in any order.
    check("--repair", "--check", "row_counters")
    collection = SkillCollectionFactory()
    create_version(collection)
    version = create_version(collection, files={**skill_files("pdf-tools", "csv-tools")})
    build_repo(collection, collection.tenant)  # fills git-trees/, git-objects/, GitBlobId
    return collection, version


def test_an_intact_install_is_clean(install):
    status, lines = check()
    assert status == CLEAN
    assert lines == [lines[-1]]
    assert lines[-1].startswith("integrity ok: 7 checks,")
    assert ", 0 problems" in lines[-1]


def test_each_damage_is_found_and_repair_fixes_only_caches_and_counters(install):
    collection, version = install
    files = dict(version.files.values_list("path", "blob__storage_name"))
    missing, truncated = files["csv-tools/SKILL.md"], files["csv-tools/scripts/run.py"]
    default_storage.delete(missing)
    with default_storage.open(truncated, "rb") as handle:
        content = handle.read()
    default_storage.delete(truncated)
    default_storage.save(truncated, io.BytesIO(content[:-3]))
    readme = version.files.get(path="README.md").blob_id
    entry = entry_name(GitBlobId.objects.get(blob_id=readme).git_id.encode())
    with default_storage.open(entry, "rb") as handle:
        sealed = bytearray(handle.read())
    sealed[len(sealed) // 2] ^= 0xFF
    default_storage.delete(entry)
    default_storage.save(entry, io.BytesIO(bytes(sealed)))
    # One of the tenant's counter slots (PostgreSQL spreads a count over several).
    counter = TenantRowCount.objects.filter(
        table_name=SkillCollectionVersion._meta.db_table,
        organization_id=collection.organization_id,
        mode=collection.mode,
    ).first()
    TenantRowCount.objects.filter(pk=counter.pk).update(count=counter.count + 5)

    status, lines = check()
    assert status == DAMAGED
    findings = lines[:-1]
    assert sorted(line.split(":")[0] for line in findings) == [
        "blobs",
        "blobs",
        "git_objects",
        "row_counters",
    ]
    assert any(missing in line and "missing from storage" in line for line in findings)
    assert any(truncated in line and "bytes in storage" in line for line in findings)
    assert any(line.startswith(f"git_objects: {entry}: torn or damaged") for line in findings)
    assert any(
        "skills_skillcollectionversion" in line and "counter says 7, there are 2 rows" in line
        for line in findings
    )
    assert "4 problems (0 repaired, 4 remaining)" in lines[-1]
    assert lines[-1].startswith("integrity DAMAGED")

    status, lines = check("--repair")
    assert status == DAMAGED  # the blobs are user data: reported, never rebuilt
    repaired = sorted(line.split(":")[0] for line in lines if line.endswith("(repaired)"))
    assert repaired == ["git_objects", "row_counters"]
    assert "4 problems (2 repaired, 2 remaining)" in lines[-1]

    status, lines = check()
    assert status == DAMAGED
    assert sorted(line.split(":")[0] for line in lines[:-1]) == ["blobs", "blobs"]
    assert default_storage.exists(missing) is False  # nothing invented, nothing deleted
    assert default_storage.size(truncated) == len(content) - 3


def test_a_stale_git_blob_id_and_the_tree_state_naming_it_are_rebuilt(install):
    collection, _version = install
    kept = GitBlobId.objects.first()
    GitBlobId.objects.filter(pk=kept.pk).update(git_id="0" * 40)
    status, lines = check()
    assert status == DAMAGED
    assert any(line.startswith("git_blob_ids: ") for line in lines)

    status, lines = check("--repair")
    assert status == CLEAN
    assert any(line.startswith("git_blob_ids: ") and "(repaired)" in line for line in lines)
    assert check() == (CLEAN, [check()[1][-1]])
    # The repository answers from rebuilt caches with the ids its content gives.
    repo = build_repo(collection, collection.tenant)
    assert repo.refs[b"refs/heads/main"]


def test_an_unknown_check_is_refused(install):
    with pytest.raises(Exception, match="Unknown check"):
        call_command("check_integrity", "--check", "nope")


def test_an_incomplete_version_tree_is_reported_and_never_repaired(install):
    _collection, version = install
    version.files.filter(path="README.md").delete()
    for args in ((), ("--repair",)):
        status, lines = check(*args)
        assert status == DAMAGED
        findings = [line for line in lines[:-1] if line.startswith("version_trees: ")]
        assert len(findings) == 4  # paths, count, size and digest all disagree
        assert all(f"version {version.pk}" in line for line in findings)
        assert not any("(repair" in line for line in findings)


def test_a_damaged_tree_state_is_removed_and_derived_again(install):
    (name,) = [f"git-trees/{entry}" for entry in default_storage.listdir("git-trees")[1]]
    default_storage.delete(name)
    default_storage.save(name, io.BytesIO(b"not a tree state"))
    status, lines = check()
    assert status == DAMAGED
    assert lines[0] == (
        f"git_trees: {name}: torn or damaged (length or CRC-32 does not match) (repairable)"
    )
    status, lines = check("--repair")
    assert status == CLEAN
    assert lines[0].endswith("(repaired)")
    assert check()[0] == CLEAN
    with default_storage.open(name, "rb") as handle:
        assert handle.read() != b"not a tree state"  # derived again at once: the current state
